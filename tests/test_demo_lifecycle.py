"""The demo's stint lifecycle: agreements and objectives, declarations, monthly self-checks, site visits, leave, the
assessment and the return, for every batch.

Past stints went through every step; the batches in post are part-way. The demo is built at two ``today`` dates
(each once for the module, read only), so nothing here depends on the day the suite runs.
"""
from __future__ import annotations

import itertools
import json
import sqlite3
from collections import Counter
from datetime import date, timedelta

import pytest

from secondment import activities, db, demo, leave, notify, stint, vocab, workdays
from secondment.permissions import Actor

DATES = (date(2027, 3, 15), date(2026, 12, 2))
LIFECYCLE = demo.LIFECYCLE_TABLES
RULES = {name: default for name, (default, _, _) in notify.RULES.items()}
ADMIN = Actor.system("test")


@pytest.fixture(scope="module", params=DATES, ids=lambda d: d.isoformat())
def built(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("lifecycle") / "demo.db"
    counts = demo.build(path, today=request.param)
    return db.Store(path), request.param, counts


@pytest.fixture(scope="module")
def store(built):
    return built[0]


@pytest.fixture(scope="module")
def today(built):
    return built[1]


def current_batches(store, today):
    """The newest cadre and talent batches: in post on ``today``."""
    out = []
    for direction in vocab.DIRECTIONS:
        out.append(store.one("select * from batches where direction = ? order by start_date desc limit 1",
                             (direction,)))
        assert out[-1]["start_date"] <= today.isoformat() <= out[-1]["end_date"]
    return out


def people(store, where="1 = 1", params=()):
    return store.rows(f"select p.*, b.code as batch, b.direction from participants p join batches b "
                      f"on b.id = p.batch_id where {where} order by p.id", params)


# --- every table, every batch -------------------------------------------------------------------------------------

def test_every_lifecycle_table_is_filled_and_counted(built):
    store, _, counts = built
    for table in LIFECYCLE:
        n = store.scalar(f"select count(*) from {table}")
        assert n > 0, table
        assert counts[table] == n, table
    meta = store.meta(stint.roster.REQUIRED_DECLARATIONS_KEY)
    assert json.loads(meta) == ["integrity", "confidentiality"]
    assert stint.required_declarations(store) == ["integrity", "confidentiality"]


def test_every_batch_and_everyone_has_an_agreement(store):
    rows = store.rows("select b.code, count(distinct p.id) as people, count(distinct a.participant_id) as agreed "
                      "from batches b join participants p on p.batch_id = b.id "
                      "left join agreements a on a.participant_id = p.id group by b.id")
    assert len(rows) == 9
    assert all(r["people"] == r["agreed"] for r in rows), rows


def test_agreements_are_versioned_as_the_service_keeps_them(store):
    versions: dict[int, list[dict]] = {}
    for a in store.rows("select * from agreements order by participant_id, version"):
        versions.setdefault(a["participant_id"], []).append(a)
    parties = {}
    for p in store.rows("select * from agreement_parties"):
        parties.setdefault(p["agreement_id"], {})[p["party"]] = p
    person = {p["id"]: p for p in people(store)}
    amended = 0
    for pid, rows in versions.items():
        assert [r["version"] for r in rows] == list(range(1, len(rows) + 1))
        assert len(rows) <= 2
        amended += len(rows) == 2
        assert sum(r["status"] == "agreed" for r in rows) <= 1
        for older, newer in itertools.pairwise(rows):
            assert older["status"] in ("agreed", "superseded")
            assert (older["status"] == "superseded") == (newer["status"] == "agreed")
            assert older["created_at"] < newer["created_at"]
        for r in rows:
            signed = parties.get(r["id"], {})
            p = person[pid]
            assert (r["home_unit_id"], r["host_unit_id"], r["post"]) == (p["home_unit_id"], p["host_unit_id"],
                                                                         p["post"])
            assert r["start_date"] == p["start_date"] and r["end_date"] >= p["end_date"]
            if r["status"] == "draft":
                assert set(signed) < set(vocab.PARTIES) and r["agreed_at"] is None
            else:
                assert set(signed) == set(vocab.PARTIES)
                assert r["agreed_at"] == max(s["agreed_at"] for s in signed.values())
                assert all(s["signatory"] and s["recorded_by"] == demo.REVIEWER_ID for s in signed.values())
    assert amended >= 3


def test_agreed_near_the_start(store, today):
    """Past and running stints were agreed by all three parties within the month after the start, except the
    few the board shows late."""
    rows = store.rows("select a.agreed_at, p.start_date from agreements a join participants p on "
                      "p.id = a.participant_id where a.version = 1 and a.agreed_at is not null")
    assert len(rows) >= 50
    for r in rows:
        start = date.fromisoformat(r["start_date"])
        assert start - timedelta(days=10) <= date.fromisoformat(r["agreed_at"][:10]) <= start + timedelta(days=30)


def test_objectives_under_the_directions_roles_with_targets_and_due_dates(store):
    by_agreement: dict[int, list[dict]] = {}
    for o in store.rows("select o.*, a.participant_id, a.version, a.start_date, a.end_date, b.direction "
                        "from objectives o join agreements a on a.id = o.agreement_id join participants p "
                        "on p.id = a.participant_id join batches b on b.id = p.batch_id order by o.id"):
        by_agreement.setdefault(o["agreement_id"], []).append(o)
    first_ids = {}
    for rows in by_agreement.values():
        direction = rows[0]["direction"]
        roles = Counter(o["role"] for o in rows)
        assert set(roles) == set(vocab.ROLES_BY_DIRECTION[direction])
        assert all(1 <= n <= 4 for n in roles.values())
        assert [o["position"] for o in rows] == list(range(1, len(rows) + 1))
        for o in rows:
            assert o["text"] and o["target"] and "{" not in o["text"] + o["target"]
            assert o["start_date"] <= o["due_date"] <= o["end_date"]
            assert o["status"] in (None, *vocab.OBJECTIVE_STATUSES)
            assert (o["status"] is None) == (o["status_at"] is None) == (o["status_by"] is None)
            if o["version"] == 1:
                assert o["lineage"] == o["id"]
                first_ids[o["id"]] = o["participant_id"]
            else:  # carried over: the first version's id; added: its own
                assert o["lineage"] == o["id"] or first_ids[o["lineage"]] == o["participant_id"]
    done = Counter(r["status"] for r in store.rows(
        "select o.status from objectives o join agreements a on a.id = o.agreement_id join participants p "
        "on p.id = a.participant_id where p.status = 'completed' and a.status = 'agreed'"))
    assert done["done"] > 0.75 * sum(done.values())


def test_links_cite_the_persons_own_work_by_lineage(store):
    links = store.rows("select * from objective_links")
    lineages = {r["lineage"]: r["participant_id"] for r in store.rows(
        "select o.lineage, a.participant_id from objectives o join agreements a on a.id = o.agreement_id")}
    owners = {"activity": "activities", "feedback": "feedback", "practice": "practices"}
    for link in links:
        assert lineages[link["lineage"]] == link["participant_id"]
        table = owners[link["kind"]]
        assert store.scalar(f"select participant_id from {table} where id = ?", (link["item_id"],)) \
            == link["participant_id"]
    assert {link["kind"] for link in links} == set(owners)
    per_person = Counter(link["participant_id"] for link in links if link["kind"] == "activity")
    logging = [r["participant_id"] for r in store.rows(
        "select participant_id from activities group by 1 having count(distinct week) >= 15")]
    assert sum(2 <= per_person[p] <= 6 for p in logging) >= 0.8 * len(logging)
    assert store.scalar("select count(*) from objective_links l join activities a on a.id = l.item_id "
                        "where l.kind = 'activity' and (l.linked_at < a.created_at or a.role not in "
                        "(select role from objectives where lineage = l.lineage))") == 0


def test_declarations_signed_a_few_days_before_the_start(store, today):
    for p in people(store, "p.start_date <= ?", (today.isoformat(),)):
        signed = store.rows("select * from declarations where participant_id = ?", (p["id"],))
        for d in signed:
            assert 1 <= (date.fromisoformat(p["start_date"]) - date.fromisoformat(d["signed_on"])).days <= 7
            assert d["recorded_at"][:10] >= d["signed_on"] and d["recorded_by"] == demo.REVIEWER_ID
    missing = store.rows("select p.id, b.id as batch_id from participants p join batches b on b.id = p.batch_id "
                         "where (select count(*) from declarations d where d.participant_id = p.id) < 3")
    assert 1 <= len(missing) <= 3
    newest = {b["id"] for b in current_batches(store, today)}
    assert all(m["batch_id"] in newest for m in missing)
    assert store.scalar("select max(signed_on) from declarations") < today.isoformat()


# --- during the stint --------------------------------------------------------------------------------------------

def test_check_ins_for_the_months_of_the_stint_drafted_from_the_log(store, today):
    """Nearly every finished month of a stint has its self-check, and each says what the month's approved
    entries say, exactly as the app drafts it."""
    expected = found = 0
    for p in people(store, "p.status != 'planned'"):
        months = stint.months_of(p, today)
        rows = {r["month"]: r for r in store.rows("select * from checkins where participant_id = ?", (p["id"],))}
        assert set(rows) <= set(months)
        expected += len(months)
        found += len(rows)
        for month, row in rows.items():
            draft = stint.checkin_draft(store, ADMIN, p["id"], month)
            assert row["summary"] == (draft or demo.text.CHECKIN_EMPTY), (p["id"], month)
            assert row["created_at"] < today.isoformat() and row["created_at"][:7] > month
            assert (row["status"] == "draft") == (row["submitted_at"] is None)
            assert (row["status"] == "acknowledged") == (row["reviewed_at"] is not None)
            if row["reviewed_at"]:
                assert row["reviewed_at"] > row["submitted_at"] and row["reviewed_by"] == demo.REVIEWER_ID
    assert found >= 0.9 * expected
    old = Counter(r["status"] for r in store.rows("select status from checkins where month < ?",
                                                  ((today - timedelta(days=100)).strftime("%Y-%m"),)))
    assert set(old) == {"acknowledged"}


def test_visits_by_the_organisation_department_with_follow_up_actions(store, today):
    visits = store.rows("select v.*, p.start_date, p.end_date, p.status from visits v join participants p "
                        "on p.id = v.participant_id")
    per_person = Counter(v["participant_id"] for v in visits)
    assert all(1 <= n <= 3 for n in per_person.values())
    for v in visits:
        assert v["start_date"] <= v["visit_date"] <= min(v["end_date"], today.isoformat())
        assert v["visitors"].startswith("区委组织部") and v["met"] and v["heard_enterprise"] and v["heard_secondee"]
        assert v["recorded_by"] == demo.REVIEWER_ID
    finished = [p["id"] for p in people(store, "p.status = 'completed'")]
    assert all(per_person[p] >= 1 for p in finished)
    actions = store.rows("select a.*, v.visit_date from visit_actions a join visits v on v.id = a.visit_id")
    assert all(a["due_date"] >= a["visit_date"] for a in actions)
    owners = {r["id"] for r in store.rows("select id from users where role in ('reviewer', 'admin')")}
    assert {a["owner_id"] for a in actions} <= owners
    assert all((a["done_at"] is None) == (a["done_by"] is None) for a in actions)
    old = [a for a in actions if a["visit_date"] < (today - timedelta(days=120)).isoformat()]
    assert old and all(a["done_at"] for a in old)


def test_demo_reviewer_has_an_open_follow_up_due_soon_or_overdue(store, today):
    reviewer = store.one("select * from users where username = 'demo_reviewer'")
    actor = Actor(reviewer["id"], reviewer["username"], reviewer["role"])
    mine = stint.my_actions(store, actor, today=today)
    assert mine
    assert any(a["overdue"] or a["due_date"] <= (today + timedelta(days=14)).isoformat() for a in mine)


def test_leave_follows_the_rules(store, today):
    rows = store.rows("select l.*, p.start_date as stint_start, p.end_date as stint_end from leave_requests l "
                      "join participants p on p.id = l.participant_id order by l.participant_id, l.start_date")
    for r in rows:
        start, end = date.fromisoformat(r["start_date"]), date.fromisoformat(r["end_date"])
        assert r["stint_start"] <= r["start_date"] <= r["end_date"] <= r["stint_end"]
        assert r["days"] == leave.working_days(workdays.LIBRARY, start, end) >= 1
        assert r["approver"] == leave.approver_for(r["days"], RULES)
        assert r["kind"] in vocab.LEAVE_KINDS and r["reason"]
        assert r["requested_at"] < today.isoformat()
        if r["status"] in ("approved", "rejected"):
            assert r["decided_at"] > r["requested_at"] and r["decided_by"] == demo.REVIEWER_ID
        else:
            assert r["decided_at"] is None
        if r["status"] == "rejected":
            assert r["decision_note"]
        if r["back_on"]:
            assert r["status"] == "approved" and r["end_date"] < r["back_on"] <= today.isoformat()
        if r["status"] == "pending":
            assert r["start_date"] > today.isoformat()
    for _, mine in itertools.groupby(rows, key=lambda r: r["participant_id"]):
        held = [r for r in mine if r["status"] in ("pending", "approved")]
        for a, b in itertools.pairwise(held):
            assert a["end_date"] < b["start_date"]
    statuses = Counter(r["status"] for r in rows)
    approvers = Counter(r["approver"] for r in rows)
    assert statuses["approved"] > 0.75 * len(rows) and statuses["rejected"] and statuses["cancelled"]
    assert approvers["host"] > approvers["org"] > approvers["higher"] > 0


def test_nothing_is_logged_on_a_day_of_approved_leave(store):
    assert store.scalar("select count(*) from activities a join leave_requests l on l.participant_id = "
                        "a.participant_id and l.status = 'approved' and a.date between l.start_date and "
                        "l.end_date") == 0


def test_demo_secondee_has_a_week_on_approved_leave(store, today):
    pid = store.scalar("select participant_id from users where username = 'demo_secondee'")
    this_week = activities.week_of(today)
    weeks = leave.leave_weeks(store, [pid], "2000-W01", this_week)
    assert weeks
    for _, week in weeks:
        assert week < this_week
        assert store.scalar("select count(*) from activities where participant_id = ? and week = ?",
                            (pid, week)) == 0


# --- the batches in post, and the past ones --------------------------------------------------------------------------

def test_batches_in_post_are_part_way(store, today):
    for batch in current_batches(store, today):
        ids = [p["id"] for p in people(store, "p.batch_id = ?", (batch["id"],))]
        marks = ", ".join("?" for _ in ids)
        newest = store.rows(f"select a.status, a.version from agreements a where a.participant_id in ({marks}) "
                            f"and a.version = (select max(version) from agreements x where x.participant_id = "
                            f"a.participant_id)", ids)
        statuses = Counter(r["status"] for r in newest)
        assert statuses["draft"] >= 1 and statuses["agreed"] > len(ids) / 2, batch["code"]
        assert store.scalar(f"select count(*) from leave_requests where status = 'pending' and participant_id in "
                            f"({marks})", ids) >= 1
        for table in ("assessments", "returns", "host_links"):
            assert store.scalar(f"select count(*) from {table} where participant_id in ({marks})", ids) == 0
        board = stint.board(store, ADMIN, batch["code"], today=today)
        late = stint.board_totals(board)
        assert 1 <= late["late_people"] <= len(board) // 2, (batch["code"], late)
    cadres = current_batches(store, today)[0]
    board = stint.board(store, ADMIN, cadres["code"], today=today)
    assert any(r["version"] == 2 and r["agreement"] == "agreed" for r in board)  # an amendment awaiting agreement


def test_completed_stints_were_assessed_and_returned(store, today):
    finished = people(store, "p.status = 'completed'")
    assert len(finished) >= 40
    conclusions = Counter()
    for p in finished:
        a = store.one("select * from assessments where participant_id = ?", (p["id"],))
        r = store.one("select * from returns where participant_id = ?", (p["id"],))
        assert a and a["conclusion"] in vocab.CONCLUSIONS, p["id"]
        assert a["self_text"] and a["host_comment"] and a["host_signatory"] and a["home_view"]
        assert all(a[f"host_{d}"] in vocab.APPRAISAL_GRADES for d in vocab.APPRAISAL_DIMENSIONS)
        assert a["self_at"] < a["host_at"] < a["home_at"] < a["conclusion_at"] < today.isoformat()
        assert a["conclusion_at"][:10] <= (date.fromisoformat(p["end_date"]) + timedelta(days=30)).isoformat()
        conclusions[a["conclusion"]] += 1
        assert r and r["return_date"] > p["end_date"] and r["post"]
        allowed = ("promoted", "retained", "transferred") if p["direction"] == vocab.CADRE else \
            ("back_to_enterprise", "retained")
        assert r["outcome"] in allowed
    assert conclusions["competent"] + conclusions["excellent"] >= 0.9 * len(finished)
    assert conclusions["not_competent"] == 0
    grades = Counter(g for row in store.rows("select host_de, host_neng, host_qin, host_ji, host_lian "
                                             "from assessments") for g in row.values())
    assert grades["excellent"] + grades["good"] >= 0.95 * sum(grades.values())
    used = store.rows("select l.used_at, s.host_at from host_links l join assessments s on "
                      "s.participant_id = l.participant_id where l.used_at is not null")
    assert used and all(u["used_at"] == u["host_at"] for u in used)
    for past in store.rows("select code from batches where end_date < ?", (today.isoformat(),)):
        totals = stint.board_totals(stint.board(store, ADMIN, past["code"], today=today))
        assert totals["late_people"] <= 1, past["code"]


def test_the_services_read_it(store, today):
    rows = stint.outcomes(store, ADMIN, today=today)
    assert sum(r["returned"] for r in rows) >= 40
    pid = store.scalar("select participant_id from users where username = 'demo_secondee'")
    summary = stint.summary(store, ADMIN, pid, today=today)
    assert summary["progress"]["in_force"] and summary["progress"]["objectives"]
    assert summary["checkins_done"] >= 1 and summary["visits"] and summary["leave_days"] >= 5
    assert summary["assessment"]["stage"] == "not_started" and summary["return"] is None
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    for batch in current_batches(store, today):
        totals = leave.attendance_totals(leave.attendance(store, ADMIN, month=month, batch=batch["code"]))
        assert totals["people"] >= 3 and totals["working_days"] > totals["leave_days"]


# --- determinism ------------------------------------------------------------------------------------------------

def test_same_seed_same_today_same_lifecycle(built, tmp_path):
    store, day, counts = built
    again = tmp_path / "again.db"
    assert demo.build(again, today=day) == counts
    other, mine = sqlite3.connect(again), sqlite3.connect(store.path)
    try:
        for table in LIFECYCLE:
            sql = f"select * from {table} order by 1, 2"
            assert other.execute(sql).fetchall() == mine.execute(sql).fetchall(), table
    finally:
        other.close()
        mine.close()
