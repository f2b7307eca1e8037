"""The demo programme's shape: batches, people, the weekly log, the feedback loop, practices, accounts.

The demo is built once for the module (``today`` fixed, so the figures do not move with the calendar);
tests only read it.
"""
from __future__ import annotations

import itertools
import re
import sqlite3
from collections import Counter
from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher

from secondment import auth, demo, vocab

TODAY = date(2026, 11, 26)
THIS_WEEK = "2026-W48"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    counts = demo.build(path, today=TODAY)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    yield conn, counts, path
    conn.close()


@pytest.fixture(scope="module")
def q(demo_db):
    conn = demo_db[0]
    return lambda sql, *params: [dict(r) for r in conn.execute(sql, params).fetchall()]


def scalar(q, sql, *params):
    return next(iter(q(sql, *params)[0].values()))


# --- batches and people ----------------------------------------------------------------------------------

def test_counts_match_the_tables(demo_db, q):
    _, counts, _ = demo_db
    for table, n in counts.items():
        assert scalar(q, f"select count(*) from {table}") == n, table


def test_nine_batches_with_the_right_codes_and_directions(q):
    rows = q("select code, direction, start_date, end_date from batches order by start_date")
    assert sorted(r["code"] for r in rows) == ["C1", "C2", "C3", "C4", "C5", "T1", "T2", "T3", "T4"]
    for r in rows:
        assert r["direction"] == (vocab.CADRE if r["code"].startswith("C") else vocab.TALENT)
        assert r["start_date"] < r["end_date"]
    assert rows[0]["code"] == "C1" and rows[0]["start_date"].startswith("2010")


def test_sixty_eight_people_mostly_cadres(q):
    by_direction = {r["direction"]: r["n"] for r in q(
        "select b.direction, count(*) as n from participants p join batches b on b.id = p.batch_id group by 1")}
    assert sum(by_direction.values()) == 68
    assert by_direction[vocab.CADRE] > by_direction[vocab.TALENT] > 0
    assert len({r["name"] for r in q("select name from participants")}) == 68


def test_every_status_and_the_latest_batches_in_post(q):
    statuses = {r["status"]: r["n"] for r in q("select status, count(*) as n from participants group by 1")}
    assert set(statuses) == set(vocab.PARTICIPANT_STATUSES)
    assert statuses["withdrawn"] >= 2 and statuses["planned"] >= 2 and statuses["active"] >= 8
    for direction in vocab.DIRECTIONS:
        latest = q("select id, start_date, end_date from batches where direction = ? order by start_date desc "
                   "limit 1", direction)[0]
        assert latest["start_date"] <= TODAY.isoformat() <= latest["end_date"]
        assert scalar(q, "select count(*) from participants where batch_id = ? and status = 'active'",
                      latest["id"]) >= 3
        older = q("select distinct p.status from participants p join batches b on b.id = p.batch_id "
                  "where b.direction = ? and b.id != ?", direction, latest["id"])
        assert {r["status"] for r in older} <= {"completed", "withdrawn"}


def test_status_agrees_with_the_dates(q):
    today = TODAY.isoformat()
    for p in q("select * from participants"):
        assert p["start_date"] <= p["end_date"]
        if p["status"] == "planned":
            assert p["start_date"] > today
        elif p["status"] == "active":
            assert p["start_date"] <= today <= p["end_date"]
        else:
            assert p["end_date"] < today
        assert p["contact"][3:7] == "****" and len(p["contact"]) == 11
        assert p["gender"] in vocab.GENDERS and p["political_status"] in vocab.POLITICAL_STATUSES


def test_units_and_placements(q):
    kinds = {r["kind"]: r["n"] for r in q("select kind, count(*) as n from units group by 1")}
    assert kinds["street_town"] == len(vocab.STREETS) and kinds["enterprise"] >= 40
    assert kinds["government_department"] >= 10 and kinds["party_org"] >= 5
    assert scalar(q, "select count(*) from units where kind = 'enterprise' "
                     "and (street is null or industry is null)") == 0
    rows = q("select b.direction, h.kind as home, x.kind as host from participants p join batches b "
             "on b.id = p.batch_id join units h on h.id = p.home_unit_id join units x on x.id = p.host_unit_id")
    for r in rows:
        if r["direction"] == vocab.CADRE:
            assert r["home"] in vocab.DEPARTMENT_KINDS and r["host"] == "enterprise"
        else:
            assert r["home"] == "enterprise" and r["host"] in vocab.DEPARTMENT_KINDS


# --- the weekly log -------------------------------------------------------------------------------------------

def test_about_five_thousand_activities_in_every_role(q):
    assert 4_500 <= scalar(q, "select count(*) from activities") <= 5_500
    assert {r["role"] for r in q("select distinct role from activities")} == set(vocab.ROLES)
    mixed = q("select count(*) as n from activities a join participants p on p.id = a.participant_id "
              "join batches b on b.id = p.batch_id where (b.direction = ? and a.role not in (?, ?, ?, ?)) "
              "or (b.direction = ? and a.role not in (?, ?, ?))",
              vocab.CADRE, *vocab.CADRE_ROLES, vocab.TALENT, *vocab.TALENT_CATEGORIES)
    assert mixed[0]["n"] == 0
    by_role = {r["role"]: r["n"] for r in q("select role, count(*) as n from activities group by 1")}
    assert by_role["info_officer"] > by_role["publicist"] and by_role["coordinator"] > by_role["publicist"]


def test_activities_inside_the_stint_on_weekdays_with_their_week(q):
    rows = q("select a.date, a.week, a.hours, a.title, a.created_at, p.start_date, p.end_date, p.status "
             "from activities a join participants p on p.id = a.participant_id")
    for r in rows:
        day = date.fromisoformat(r["date"])
        assert r["start_date"] <= r["date"] <= min(r["end_date"], TODAY.isoformat())
        assert day.weekday() < 5
        year, week, _ = day.isocalendar()
        assert r["week"] == f"{year}-W{week:02d}"
        assert 0.5 <= r["hours"] <= 8 and (r["hours"] * 2).is_integer()
        assert r["title"] and r["created_at"][:10] == r["date"]
        assert r["status"] != "planned"


def test_one_to_three_entries_in_a_logged_week(q):
    sizes = {r["n"] for r in q("select count(*) as n from activities group by participant_id, week")}
    assert sizes == {1, 2, 3}


def test_people_in_post_logged_last_week_except_the_quiet_ones(q):
    last_week = f"2026-W{int(THIS_WEEK[-2:]) - 1:02d}"
    active = q("select p.id, max(a.week) as last from participants p left join activities a "
               "on a.participant_id = p.id where p.status = 'active' group by p.id")
    logging = [r for r in active if r["last"] and r["last"] >= last_week]
    quiet = [r for r in active if r["last"] and r["last"] < "2026-W46"]
    assert len(logging) >= len(active) // 2 and len(quiet) >= 2


def test_some_people_in_post_leave_a_role_aside_for_eight_weeks(q):
    since = (TODAY - timedelta(weeks=8)).isoformat()
    rows = q("""select p.id, r.role,
                       sum(a.date >= ?) as recent, sum(a.date < ?) as before
                from participants p join batches b on b.id = p.batch_id
                join (select 'counsellor' as role union select 'publicist' union select 'coordinator'
                      union select 'info_officer') r on b.direction = 'cadre_to_enterprise'
                left join activities a on a.participant_id = p.id and a.role = r.role
                where p.status = 'active' group by p.id, r.role""", since, since)
    neglected = [r for r in rows if not r["recent"] and r["before"]]
    assert neglected


def test_week_reviews(q):
    states = {r["state"]: r["n"] for r in q("select state, count(*) as n from week_reviews group by 1")}
    assert states["approved"] > 0.8 * sum(states.values())
    assert states.get("submitted", 0) >= 3 and states.get("returned", 0) >= 3
    assert scalar(q, "select count(*) from week_reviews where week = ?", THIS_WEEK) == 0
    assert scalar(q, "select count(*) from week_reviews where state = 'returned' and coalesce(comment, '') = ''") == 0
    assert scalar(q, "select count(*) from week_reviews r where not exists (select 1 from activities a "
                     "where a.participant_id = r.participant_id and a.week = r.week)") == 0
    assert scalar(q, "select count(*) from week_reviews where reviewed_at < submitted_at") == 0


# --- feedback --------------------------------------------------------------------------------------------------

def test_about_five_hundred_feedback_items_in_every_status(q):
    assert 450 <= scalar(q, "select count(*) from feedback") <= 550
    assert {r["status"] for r in q("select distinct status from feedback")} == set(vocab.FEEDBACK_STATUSES)
    urgent = scalar(q, "select avg(urgency = 'urgent') from feedback")
    assert 0.08 < urgent < 0.25


def test_feedback_comes_mostly_from_cadres_and_their_entries(q):
    rows = q("select f.*, b.direction, a.participant_id as entry_owner, a.role as entry_role, e.kind as ekind "
             "from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id "
             "left join activities a on a.id = f.activity_id left join units e on e.id = f.enterprise_id")
    assert sum(r["direction"] == vocab.CADRE for r in rows) > 0.8 * len(rows)
    assert sum(r["activity_id"] is not None for r in rows) > 0.8 * len(rows)
    for r in rows:
        assert r["ekind"] == "enterprise"
        if r["activity_id"] is not None:
            assert r["entry_owner"] == r["participant_id"] and r["entry_role"] == r["role"]
        assert r["role"] in ("info_officer", "coordinator", "bridge")


def test_nothing_cites_an_entry_of_the_week_still_open(q):
    # This week's entries can still be edited or deleted; feedback and practices cite finished weeks only.
    for table in ("feedback", "practices"):
        assert scalar(q, f"select count(*) from {table} x join activities a on a.id = x.activity_id "
                         "where a.week = ?", THIS_WEEK) == 0


def test_feedback_histories_follow_the_closed_loop(q):
    events: dict[int, list[dict]] = {}
    for e in q("select * from feedback_events order by feedback_id, id"):
        events.setdefault(e["feedback_id"], []).append(e)
    for item in q("select * from feedback"):
        trail = events[item["id"]]
        assert trail[0]["step"] == "raise" and trail[0]["to_status"] == "submitted"
        assert trail[0]["at"] == item["created_at"]
        for before, after in itertools.pairwise(trail):
            assert before["at"] < after["at"]
            assert after["from_status"] == before["to_status"]
            assert vocab.FEEDBACK_TRANSITIONS[(after["step"], after["from_status"])] == after["to_status"]
            assert after["from_department_id"] == before["to_department_id"]
        last = trail[-1]
        steps = [e["step"] for e in trail]
        assert item["status"] == last["to_status"] and item["department_id"] == last["to_department_id"]
        assert item["updated_at"] == last["at"]
        assert item["transfers"] == steps.count("transfer") and item["send_backs"] == steps.count("send_back")
        assert item["escalated"] == ("escalate" in steps) and steps.count("escalate") <= 1
        assert item["due_date"] == last["due_date"]
        assert (item["closed_at"] is not None) == (item["status"] in vocab.FINAL_FEEDBACK_STATUSES)
        if item["status"] == "closed":
            assert item["evaluation"] in ("satisfied", "basically_satisfied") and item["answer"]
        if item["status"] == "answered":
            assert item["answered_at"] == last["at"] or "escalate" in steps
        if item["status"] == "closed_unresolved":
            assert item["closed_by"] and item["close_reason"]


def test_due_dates_count_working_days(q):
    from secondment import workdays

    # Never moved: still with the routed department (no own limit), so the urgency's limit applies.
    for item in q("select * from feedback where transfers = 0 and send_backs = 0 and extended_days = 0"):
        raised = date.fromisoformat(item["created_at"][:10])  # raised in working hours: the same China date
        limit = vocab.DEFAULT_TIME_LIMITS[item["urgency"]]
        assert item["due_date"] == workdays.LIBRARY.add_working_days(raised, limit).isoformat()


def test_overdue_transferred_reopened_escalated_and_unresolved_items(q):
    today = TODAY.isoformat()
    assert scalar(q, "select count(*) from feedback where status in ('submitted', 'accepted', 'in_progress') "
                     "and due_date < ?", today) >= 3
    assert scalar(q, "select count(*) from feedback where transfers between 1 and 3") >= 10
    assert scalar(q, "select count(*) from feedback where send_backs between 1 and 2") >= 5
    assert scalar(q, "select count(*) from feedback where escalated = 1") >= 3
    assert scalar(q, "select count(*) from feedback where status = 'closed_unresolved'") >= 3
    assert scalar(q, "select max(at) from feedback_events") < today


def test_events_name_the_acting_demo_users(q):
    liaison = q("select id, department_id from users where username = 'demo_liaison'")[0]
    acted = q("select distinct user_id from feedback_events where step in ('accept', 'answer') "
              "and to_department_id = ?", liaison["department_id"])
    assert {r["user_id"] for r in acted} == {liaison["id"]}
    reviewer = scalar(q, "select id from users where username = 'demo_reviewer'")
    assert {r["user_id"] for r in q("select distinct user_id from feedback_events where step = 'escalate'")} \
        == {reviewer}
    secondee = q("select id, participant_id from users where username = 'demo_secondee'")[0]
    raised = q("select distinct e.user_id from feedback_events e join feedback f on f.id = e.feedback_id "
               "where e.step = 'raise' and f.participant_id = ?", secondee["participant_id"])
    assert {r["user_id"] for r in raised} == {secondee["id"]}


def test_routing_covers_every_category(q):
    rows = q("select r.category, u.kind from routing r join units u on u.id = r.department_id")
    assert {r["category"] for r in rows} == set(vocab.FEEDBACK_CATEGORIES)
    assert all(r["kind"] in vocab.DEPARTMENT_KINDS for r in rows)


# --- practices and accounts -------------------------------------------------------------------------------------

def test_practices_at_every_status_from_counsellor_work(q):
    rows = q("select x.*, a.role, a.participant_id as owner, p.host_unit_id from practices x "
             "join activities a on a.id = x.activity_id join participants p on p.id = x.participant_id")
    assert 30 <= len(rows) <= 50
    assert {r["status"] for r in rows} == set(vocab.PRACTICE_STATUSES)
    assert len({r["title"] for r in rows}) == len(rows)
    for r in rows:
        assert r["role"] == "counsellor" and r["owner"] == r["participant_id"]
        assert r["enterprise_id"] == r["host_unit_id"]
        assert (r["promoted_at"] is not None) == (r["status"] == "promoted")
        assert (r["reviewed_at"] is not None) == (r["status"] in ("reviewed", "promoted"))


def test_a_demo_account_for_every_app_role(q):
    users = {r["username"]: r for r in q("select * from users")}
    demo_roles = {r["role"] for name, r in users.items() if name.startswith("demo_")}
    assert demo_roles == set(vocab.APP_ROLES)
    hashes = {r["password_hash"] for r in users.values()}
    assert len(hashes) == 1
    assert PasswordHasher().verify(hashes.pop(), auth.DEMO_PASSWORD)
    assert users["demo_viewer"]["display_name"] == "区委领导"


def test_demo_secondee_and_talent_are_people_in_post(q):
    for username, direction in (("demo_secondee", vocab.CADRE), ("demo_talent", vocab.TALENT)):
        person = q("select p.status, b.direction, p.id from users u join participants p on p.id = u.participant_id "
                   "join batches b on b.id = p.batch_id where u.username = ?", username)[0]
        assert person["status"] == "active" and person["direction"] == direction
        assert scalar(q, "select count(*) from activities where participant_id = ?", person["id"]) >= 30
    mine = scalar(q, "select count(*) from feedback f join users u on u.participant_id = f.participant_id "
                     "where u.username = 'demo_secondee'")
    assert mine >= 15


def test_liaisons_sit_where_the_feedback_goes(q):
    busiest = q("select department_id from feedback group by 1 order by count(*) desc limit 1")[0]["department_id"]
    assert scalar(q, "select department_id from users where username = 'demo_liaison'") == busiest
    second = scalar(q, "select department_id from users where username = 'demo_liaison2'")
    assert second != busiest
    assert scalar(q, "select count(*) from feedback_events where step = 'transfer' and to_department_id = ?",
                  second) >= 3


def test_activities_are_written_by_their_secondee(q):
    rows = q("select a.created_by, u.participant_id, a.participant_id as owner from activities a "
             "left join users u on u.id = a.created_by")
    assert any(r["created_by"] for r in rows) and any(r["created_by"] is None for r in rows)
    assert all(r["participant_id"] == r["owner"] for r in rows if r["created_by"])


def test_marked_as_demo(q):
    meta = {r["key"]: r["value"] for r in q("select key, value from meta")}
    assert meta["is_demo"] == "1" and meta["demo_seed"] == str(demo.DEMO_SEED)
    assert meta["demo_today"] == TODAY.isoformat()


def test_full_text_index_covers_the_activities(q):
    assert scalar(q, "select count(*) from activities_fts where activities_fts match '组织生活'") > 0


# --- the file ------------------------------------------------------------------------------------------------------

def test_same_seed_same_data_and_refuses_to_overwrite(demo_db, tmp_path):
    conn, counts, _ = demo_db
    again = tmp_path / "again.db"
    assert demo.build(again, today=TODAY) == counts
    other = sqlite3.connect(again)
    try:
        for sql in ("select id, name from participants order by id",
                    "select id, participant_id, date, role, title, hours from activities order by id",
                    "select feedback_id, at, step, to_status from feedback_events order by id"):
            assert other.execute(sql).fetchall() == [tuple(r) for r in conn.execute(sql)]
    finally:
        other.close()
    with pytest.raises(FileExistsError, match="replace"):
        demo.build(again, today=TODAY)
    demo.build(again, seed=7, today=TODAY, replace=True)
    replaced = sqlite3.connect(again)
    try:
        assert replaced.execute("select value from meta where key = 'demo_seed'").fetchone()[0] == "7"
        assert replaced.execute("select count(*) from participants").fetchone()[0] == 68
    finally:
        replaced.close()
    assert not list(tmp_path.glob(".*building*"))


def test_synthetic_smoke(tmp_path):
    counts = demo.synthetic(tmp_path / "s.db", "S", participants=30, today=TODAY)
    assert counts["participants"] == 30 and counts["activities"] > 1_000 and counts["feedback"] > 100
    conn = sqlite3.connect(tmp_path / "s.db")
    try:
        meta = dict(conn.execute("select key, value from meta").fetchall())
        assert meta["is_demo"] == "1" and meta["tier"] == "S"
        assert conn.execute("select count(*) from activities_fts").fetchone()[0] == counts["activities"]
        roles = {r[0] for r in conn.execute("select role from users where username like 'demo_%'")}
        assert roles == set(vocab.APP_ROLES)
    finally:
        conn.close()
    with pytest.raises(ValueError):
        demo.synthetic(tmp_path / "x.db", "XL")


# --- no two texts read as copies -----------------------------------------------------------------------------

PARTICULARS = re.compile(r"(?:\d+月\d+日|周[一二三四五六日]|[上下]午|\d+)+")


def _gist(text):
    return PARTICULARS.sub("#", text)


@pytest.mark.parametrize("sql", [
    "select description as t from activities",
    "select summary as t from feedback", "select details as t from feedback",
    "select answer as t from feedback where answer is not null",
    "select title as t from practices", "select summary as t from practices"])
def test_no_two_texts_differ_only_in_their_numbers_and_dates(q, sql):
    texts = Counter(_gist(r["t"]) for r in q(sql))
    assert [t for t, n in texts.items() if n > 1] == []


def _shingles(text, k=4):
    text = PARTICULARS.sub("", text)
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def test_no_two_practices_tell_the_same_story(q):
    """Not the same paragraph under another firm's name: at most a quarter of their four-character runs shared."""
    texts = [(r["id"], _shingles(r["title"] + r["summary"])) for r in q("select * from practices")]
    for (i, a), (j, b) in itertools.combinations(texts, 2):
        assert len(a & b) / len(a | b) < 0.25, (i, j)
