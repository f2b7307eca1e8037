"""Storage: the schema, pragmas, transactions, and migrations that upgrade an older file in place."""
import sqlite3
import threading
from datetime import timedelta

import pytest

from secondment import audit, db
from secondment.permissions import Actor

TABLES = {"meta", "batches", "units", "participants", "activities", "week_reviews", "routing", "feedback",
          "feedback_events", "practices", "users", "sessions", "audit_log", "activities_fts"}


def test_fresh_file_has_every_table_and_latest_version(empty_store):
    names = {r["name"] for r in empty_store.rows("select name from sqlite_master where type = 'table'")}
    assert TABLES <= names
    with empty_store.read() as conn:
        assert db.schema_version(conn) == db.LATEST_VERSION >= 2
        assert conn.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS


def test_indexes_serve_the_dashboard_queries(empty_store):
    with empty_store.read() as conn:
        plans = {
            "by_role": "select role, count(*), sum(hours) from activities group by role",
            "participant_role": "select participant_id, role, count(*), sum(hours) from activities "
                                "group by participant_id, role",
            "participant_week": "select count(*) from activities where participant_id = 1 and week = '2026-W01'",
            "dept_status": "select count(*) from feedback where department_id = 1 and status = 'submitted'",
            "recent_trend": "select week, role, count(*), sum(hours) from activities where week >= '2026-W01' "
                            "group by week, role",
        }
        for name, sql in plans.items():
            detail = " ".join(r[3] for r in conn.conn.execute("explain query plan " + sql).fetchall())
            assert "INDEX" in detail.upper(), (name, detail)
            assert "COVERING" in detail.upper() or "SEARCH" in detail.upper(), (name, detail)
            if name == "recent_trend":
                assert "SEARCH" in detail.upper(), detail


def test_migrate_is_idempotent(tmp_path):
    path = tmp_path / "x.db"
    assert db.migrate(path) == db.LATEST_VERSION
    assert db.migrate(path) == db.LATEST_VERSION


def test_older_schema_is_upgraded_in_place_with_no_data_lost(tmp_path):
    path = tmp_path / "old.db"
    conn = db.connect(path, create=True)
    db.migrations.apply(conn, stop_before="0002_department_time_limits")
    conn.conn.execute("PRAGMA user_version = 1")
    conn.conn.execute("insert into units(name, kind) values ('区委组织部', 'government_department')")
    conn.conn.execute("insert into units(name, kind) values ('上海示例科技有限公司', 'enterprise')")
    conn.close()

    assert db.migrate(path) == db.LATEST_VERSION
    store = db.Store(path)
    rows = store.rows("select name, kind, time_limit_days from units order by id")
    assert [r["name"] for r in rows] == ["区委组织部", "上海示例科技有限公司"]
    assert all(r["time_limit_days"] is None for r in rows)
    applied = [r["name"] for r in store.rows("select name from _sqlite_migrations order by id")]
    assert applied == [m.name for m in db.migrations._migrations]


def test_newer_file_than_program_is_refused(tmp_path):
    path = tmp_path / "new.db"
    db.migrate(path)
    conn = db.connect(path)
    conn.conn.execute(f"PRAGMA user_version = {db.LATEST_VERSION + 5}")
    conn.close()
    with pytest.raises(db.CannotOpen, match="this program knows") as caught:
        db.migrate(path)
    assert caught.value.reason == "newer"


def test_write_rolls_back_everything_on_error(empty_store):
    actor = Actor.system()
    with pytest.raises(ZeroDivisionError), empty_store.write() as conn:
        audit.insert(conn, actor, "units", {"name": "甲", "kind": "enterprise"})
        raise ZeroDivisionError
    assert empty_store.scalar("select count(*) from units") == 0
    assert empty_store.scalar("select count(*) from audit_log") == 0


def test_foreign_keys_are_enforced(empty_store):
    with pytest.raises(sqlite3.IntegrityError), empty_store.write() as conn:
        conn.conn.execute("insert into activities(participant_id, date, week, role, title, hours) "
                          "values (999, '2026-01-05', '2026-W02', 'counsellor', 'x', 1)")


def test_audit_records_before_and_after(empty_store):
    actor = Actor(user_id=None, username="tester", role="admin")
    with empty_store.write() as conn:
        unit_id = audit.insert(conn, actor, "units", {"name": "甲公司", "kind": "enterprise"})
        audit.update(conn, actor, "units", unit_id, {"industry": "软件"})
    rows = empty_store.rows("select * from audit_log order by id")
    assert [r["action"] for r in rows] == ["insert", "update"]
    assert '"name": "甲公司"' in rows[0]["after"]
    assert rows[1]["before"] == '{"industry": null}' and rows[1]["after"] == '{"industry": "软件"}'
    assert rows[1]["username"] == "tester" and rows[1]["row_id"] == str(unit_id)


def test_concurrent_writers_queue_instead_of_failing(empty_store):
    actor = Actor.system()
    errors = []

    def writer(n):
        try:
            for i in range(20):
                with empty_store.write() as conn:
                    audit.insert(conn, actor, "units", {"name": f"u{n}-{i}", "kind": "enterprise"})
        except Exception as e:  # noqa: BLE001 - any failure of a writer is what the assertion below reports
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert empty_store.scalar("select count(*) from units") == 80


def test_fts_trigram_finds_chinese_inside_text(empty_store):
    with empty_store.write() as conn:
        conn.conn.execute("insert into batches(code, direction, intake_year, start_date, end_date) "
                          "values ('C1','cadre_to_enterprise',2010,'2010-01-01','2010-12-31')")
        conn.conn.execute("insert into units(name, kind) values ('部','government_department'),('企','enterprise')")
        conn.conn.execute("insert into participants(name, batch_id, home_unit_id, host_unit_id, start_date, "
                          "end_date, status) values ('张三',1,1,2,'2010-01-01','2010-12-31','completed')")
        conn.conn.execute("insert into activities(participant_id, date, week, role, title, description, hours) "
                          "values (1,'2010-03-02','2010-W09','publicist','宣讲','向企业职工宣讲区里的人才新政',2)")
    hits = empty_store.rows("select rowid from activities_fts where activities_fts match ?", ('"人才新政"',))
    assert [h["rowid"] for h in hits] == [1]


def test_where_builder_skips_absent_filters_and_matches_text_literally(empty_store):
    w = db.Where().eq("a", None).eq("b", "").among("c", []).eq("d", 0).among("e", "x").at_most("f", "2026-W01")
    assert w.build() == ("d = ? and e in (?) and f <= ?", [0, "x", "2026-W01"])
    assert db.Where().build() == ("1 = 1", [])
    with empty_store.write() as conn:
        conn.conn.execute("create table t(s text)")
        conn.conn.executemany("insert into t values (?)", [("100%",), ("100 percent",), ("a_b",), ("axb",)])
    for needle, expected in (("0%", ["100%"]), ("a_b", ["a_b"]), ("100", ["100%", "100 percent"])):
        where = db.Where().contains("s", needle)
        assert [r["s"] for r in empty_store.rows(f"select s from t where {where.sql} order by rowid",
                                                 where.params)] == expected


def test_a_missing_database_is_never_created_by_reading(tmp_path):
    missing = tmp_path / "typo" / "secondment.db"
    with pytest.raises(sqlite3.OperationalError):
        db.Store(missing).rows("select 1")
    with pytest.raises(db.CannotOpen) as caught:
        db.migrate(missing, create=False)
    assert caught.value.reason == "missing" and not missing.exists() and not missing.parent.exists()


@pytest.mark.parametrize("content, reason", [(b"this is not a database at all" * 100, "not_database"),
                                             (b"SQLite format 3\x00" + b"\xff" * 4000, "not_database")])
def test_a_file_that_is_not_a_database_says_so(tmp_path, content, reason):
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    with pytest.raises(db.CannotOpen) as caught:
        db.migrate(path, create=False)
    assert caught.value.reason == reason
    assert path.read_bytes() == content   # left exactly as it was


def test_a_backup_holds_no_secret_and_no_usable_session(tmp_path):
    from secondment import auth, backup

    store = db.open_store(tmp_path / "live.db")
    boss = Actor.system("cli:test")
    auth.create_user(store, boss, "boss", "correct-horse-battery", "admin")
    who = auth.authenticate(store, "boss", "correct-horse-battery", "10.0.0.1")
    token = auth.start_session(store, who)
    raw_id = URLSafe(auth._secret(store)).loads(token)
    secret = auth._secret(store)
    assert auth.secret_path(store).exists() and auth.secret_path(store).stat().st_mode & 0o077 == 0
    for copy in (backup.backup_to(store, boss, tmp_path / "copy.db").read_bytes(), backup.backup_bytes(store, boss)):
        assert secret.encode() not in copy and raw_id.encode() not in copy and token.encode() not in copy
        assert auth._session_key(raw_id).encode() not in copy
    restored = tmp_path / "restored" / "live.db"
    restored.parent.mkdir()
    restored.write_bytes(backup.backup_bytes(store, boss))
    again = db.open_store(restored)
    assert again.scalar("select count(*) from sessions") == 0
    assert again.scalar("select count(*) from meta where key = 'secret'") == 0
    assert auth.resume_session(again, token) is None           # the token signs nothing on the restored copy
    assert auth._secret(again) != secret                       # it got a new key file of its own


def test_rotating_the_secret_ends_every_session(tmp_path):
    from secondment import auth

    store = db.open_store(tmp_path / "live.db")
    auth.create_user(store, Actor.system("cli:test"), "boss", "correct-horse-battery", "admin")
    who = auth.authenticate(store, "boss", "correct-horse-battery")
    token = auth.start_session(store, who)
    assert auth.resume_session(store, token) is not None
    auth.rotate_secret(store, who)
    assert auth.resume_session(store, token) is None


def URLSafe(secret):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt="secondment-session")


def test_a_writer_that_never_pauses_cannot_starve_another(empty_store):
    """A long import commits and begins again at once; another writer still gets its turn promptly (writers
    of a process take turns; SQLite's busy handler alone only polls and could miss every gap)."""
    import time

    stop = threading.Event()

    def hog():
        while not stop.is_set():
            with empty_store.write() as conn:
                conn.conn.execute("insert into meta(key, value) values ('hog', '1') "
                                  "on conflict(key) do update set value = value + 1")
                time.sleep(0.05)

    worker = threading.Thread(target=hog)
    worker.start()
    try:
        time.sleep(0.3)
        waits = []
        for _ in range(5):
            started = time.perf_counter()
            with empty_store.write() as conn:
                conn.conn.execute("insert into units(name, kind) values (?, 'enterprise')", (f"u{len(waits)}",))
            waits.append(time.perf_counter() - started)
    finally:
        stop.set()
        worker.join(10)
    assert max(waits) < 2, waits


# --- results kept while the data is unchanged ---------------------------------------------------------------------

def test_kept_results_follow_every_change_and_a_restore(demo_store, tmp_path):
    """``cached_rows`` and the views that keep what they read (the roster, the person picker, the cockpit and the
    presentation's slides) answer as the plain query does after an insert, an edit, a delete, an import and a
    restored backup; a bookkeeping write (a session) keeps what was kept."""
    import shutil

    from conftest import actor_for

    from secondment import (
        activities,
        auth,
        backup,
        clock,
        coverage,
        feedback,
        flows,
        holidays,
        roster,
        roster_import,
        story,
    )

    work = "select count(*) as n, coalesce(sum(hours), 0) as h from activities"
    people = "select count(*) as n from participants"
    secondee = actor_for(demo_store, "demo_secondee")
    reviewer = actor_for(demo_store, "demo_reviewer")

    def told(slides):          # what the slides say (their figures are Plotly objects, compared by their text)
        return [(s["title"], s["message"], repr(s["hero"])) for s in slides]

    kept_views = {             # each a view that keeps what it read, against the same view with nothing kept
        "roster": lambda: roster.list_participants(demo_store, reviewer),
        "picker": lambda: roster.choices(demo_store, reviewer),
        "cockpit": lambda: story.cockpit(demo_store, reviewer),
        "slides": lambda: told(story.slides(demo_store, reviewer)),
        "loop": lambda: flows.loop_summary(demo_store, reviewer),
        "departments": lambda: flows.department_table(demo_store, reviewer).to_json(),
        "coverage": lambda: coverage.coverage_matrix(demo_store, reviewer).to_json(),
    }

    def agree():
        kept = {name: view() for name, view in kept_views.items()}
        kept["sql"] = [demo_store.cached_rows(sql) for sql in (work, people)]
        db.clear_cache()
        plain = {name: view() for name, view in kept_views.items()}
        plain["sql"] = [demo_store.rows(sql) for sql in (work, people)]
        return kept == plain

    assert agree()
    saved = backup.backup_to(demo_store, actor_for(demo_store, "demo_admin"), tmp_path / "kept.db")
    before = demo_store.cached_rows(work)
    entry = activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today().isoformat(),
                                 role="publicist", title="缓存核对", hours=1.5)
    assert agree() and demo_store.cached_rows(work) != before
    activities.update_entry(demo_store, secondee, entry, hours=3)
    assert agree()
    activities.delete_entry(demo_store, secondee, entry)
    assert agree()
    liaison = actor_for(demo_store, "demo_liaison")
    item = demo_store.scalar("select id from feedback where status in ('accepted', 'in_progress') "
                             "and department_id = ? order by id",
                             (liaison.department_id,))
    feedback.answer(demo_store, liaison, item, text="已办理：缓存核对")      # an answer moves the loop's median
    assert agree()
    year = clock.today().year
    holidays.set_year(demo_store, actor_for(demo_store, "demo_admin"), year,
                      [{"day": f"{year}-{m:02d}-10", "kind": "holiday", "name": "核对"} for m in range(1, 13)])
    assert agree()                                                 # entered holidays move the working days
    c5 = demo_store.one("select start_date, end_date from batches where code = 'C5'")
    host = demo_store.scalar("select name from units where kind = 'enterprise' order by id limit 1")
    plan = roster_import.preview(demo_store, reviewer, (
        "姓名,批次,派出单位,挂职单位,开始日期,结束日期\n"
        f"缓存核对,C5,区委组织部,{host},{c5['start_date']},{c5['end_date']}\n").encode(), "one.csv")
    roster_import.apply(demo_store, reviewer, plan)
    assert agree()
    token = demo_store.meta(db.DATA_TOKEN)
    auth.start_session(demo_store, reviewer)                       # bookkeeping: nothing kept is retired
    assert demo_store.meta(db.DATA_TOKEN) == token
    shutil.copyfile(saved, demo_store.path)                        # the backup restored over the database
    for suffix in ("-wal", "-shm"):
        (demo_store.path.parent / (demo_store.path.name + suffix)).unlink(missing_ok=True)
    assert agree() and demo_store.cached_rows(work) == before


def test_kept_results_are_not_shared_across_scopes(demo_store):
    """The SQL and its parameters are the key: a liaison's narrowed count is never a reviewer's."""
    from conftest import actor_for

    from secondment import feedback

    liaison, reviewer = actor_for(demo_store, "demo_liaison"), actor_for(demo_store, "demo_reviewer")
    everyone = feedback.counts(demo_store, reviewer)
    theirs = feedback.counts(demo_store, liaison)
    assert theirs["total"] < everyone["total"]
    assert feedback.counts(demo_store, reviewer) == everyone and feedback.counts(demo_store, liaison) == theirs


def test_kept_results_tell_named_parameters_apart(demo_store):
    """The same SQL with other values for its named parameters is another result (a year is not the programme)."""
    for params in ({"low": 0, "high": 100}, {"low": 0, "high": 2}, {"high": 2, "low": 1}):
        sql = "select count(*) as n from activities where hours between :low and :high"
        assert demo_store.cached_rows(sql, params) == demo_store.rows(sql, params)


def test_a_kept_value_is_worked_out_once_per_state_of_the_data_and_each_caller_gets_a_copy(demo_store):
    """``cached_value``: built once while the data is unchanged, again after a write, never shared across keys,
    and a caller changing its copy changes nobody else's; the flows' working-day spans equal the plain count."""
    from conftest import actor_for

    from secondment import activities, clock

    built = []

    def build(n):
        built.append(n)
        return {"n": n, "rows": [1, 2, 3]}
    reads = {"activities"}
    first = demo_store.cached_value(("probe", 1), lambda: build(1), reads=reads)
    first["rows"].append(99)
    assert demo_store.cached_value(("probe", 1), lambda: build(1), reads=reads) == {"n": 1, "rows": [1, 2, 3]}
    assert demo_store.cached_value(("probe", 2), lambda: build(2), reads=reads)["n"] == 2 and built == [1, 2]
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today().isoformat(),
                         role="publicist", title="缓存核对", hours=1)
    demo_store.cached_value(("probe", 1), lambda: build(1), reads=reads)
    assert built == [1, 2, 1]                                       # the write retired it



def _plain_medians(store):
    """The closed loop's median working days per department and overall, counted from each item's dates."""
    from secondment import clock, flows, holidays

    cal = holidays.calendar(store)
    spans: dict = {}
    for r in store.rows(f"select department_id, {clock.china_date_sql('created_at')} as raised, "
                        f"{clock.china_date_sql('answered_at')} as answered from feedback where answered_at is not null"):
        spans.setdefault(r["department_id"], []).append((cal.working_days_between(r["raised"], r["answered"]), 1))
    return ({dept: flows._median(pairs) for dept, pairs in spans.items()},
            flows._median([pair for pairs in spans.values() for pair in pairs]))


def test_the_loops_stored_spans_give_the_plain_medians_after_every_change(demo_store, tmp_path):
    """Each answered item's stored working days (``answer_days``) give the department table's and the loop's
    medians exactly as counting every item's dates does: after answers, a send-back, a year's holidays entered
    and cleared, a write past the app (the trigger empties the stored count, the reader counts it), a restored
    backup, and an upgrade of the calendar library (every count again at the next start)."""
    import math
    import shutil

    from conftest import actor_for

    from secondment import backup, clock, feedback, flows, holidays

    reviewer, liaison = actor_for(demo_store, "demo_reviewer"), actor_for(demo_store, "demo_liaison")
    admin, secondee = actor_for(demo_store, "demo_admin"), actor_for(demo_store, "demo_secondee")

    def agree():
        by_dept, overall = _plain_medians(demo_store)
        table = flows.department_table(demo_store, reviewer)
        shown = {int(r["department_id"]): (None if r["median_days"] is None or math.isnan(r["median_days"])
                                           else r["median_days"]) for r in table.to_dict("records")}
        assert {d: m for d, m in shown.items() if m is not None} == {d: m for d, m in by_dept.items() if d in shown}
        assert flows.loop_summary(demo_store, reviewer)["median_days"] == overall
        return True

    assert demo_store.scalar("select count(*) from feedback where answered_at is not null and answer_days is null") == 0
    assert agree()
    saved = backup.backup_to(demo_store, admin, tmp_path / "loop.db")
    for item in [r["id"] for r in demo_store.rows(
            "select id from feedback where status in ('accepted', 'in_progress') and department_id = ? order by id "
            "limit 3", (liaison.department_id,))]:
        feedback.answer(demo_store, liaison, item, text="已办理")
    assert agree()
    mine = demo_store.scalar("select id from feedback where status = 'answered' and participant_id = ? order by id",
                             (secondee.participant_id,))
    if mine is not None:
        feedback.evaluate(demo_store, secondee, mine, evaluation="unsatisfied", note="还差一步")
        assert demo_store.one("select answered_at, answer_days from feedback where id = ?", (mine,)) == \
            {"answered_at": None, "answer_days": None}
        assert agree()
    year = demo_store.scalar("select cast(strftime('%Y', max(answered_at)) as integer) from feedback")
    before = _plain_medians(demo_store)
    holidays.set_year(demo_store, admin, year, [{"day": f"{year}-{m:02d}-{d:02d}", "kind": "holiday", "name": "核对"}
                                                for m in range(1, 13) for d in (3, 10, 17, 24)])
    assert _plain_medians(demo_store) != before and agree()        # the holidays moved the counts
    holidays.clear_year(demo_store, admin, year)
    assert _plain_medians(demo_store) == before and agree()
    with demo_store.write() as w:                                    # past the app: a script moves an answer
        moved = w.conn.execute("select id, answered_at from feedback where answered_at is not null order by id").fetchone()
        w.conn.execute("update feedback set answered_at = ? where id = ?",
                       (clock.stamp(clock.parse_stamp(moved[1]) + timedelta(days=9)), moved[0]))
    assert demo_store.scalar("select count(*) from feedback where answered_at is not null and answer_days is null") == 1
    assert agree()
    shutil.copyfile(saved, demo_store.path)
    for suffix in ("-wal", "-shm"):
        (demo_store.path.parent / (demo_store.path.name + suffix)).unlink(missing_ok=True)
    assert agree()
    with demo_store.write() as w:                                    # as counted by an older calendar library
        w.conn.execute("update feedback set answer_days = answer_days + 1 where answered_at is not null")
        w.conn.execute("update meta set value = 'older' where key = ?", (feedback.ANSWER_DAYS_LIBRARY_KEY,))
    db.migrate(demo_store.path)
    assert demo_store.meta(feedback.ANSWER_DAYS_LIBRARY_KEY) == feedback.workdays.LIBRARY_VERSION
    assert agree()


def test_a_write_retires_only_what_was_kept_from_the_tables_it_wrote(demo_store):
    """A weekly log leaves the closed loop's kept figures standing and an answer retires them; the tables a
    statement reads are named through a view, common table expressions and a count that reads no column; a trigger's
    tables (the full-text index) are written with the table that fired it; a change to the schema retires
    every table's token."""
    from conftest import actor_for

    from secondment import activities, auth, clock, feedback

    loop = "select count(*) as n from feedback f where f.answered_at is not null"
    assert demo_store.tables_read(loop) == {"feedback"}
    assert demo_store.tables_read("with t as (select participant_id from activities) "
                                  "select count(*) from t join participants p on p.id = t.participant_id") \
        == {"activities", "participants"}
    with demo_store.write() as w:
        w.conn.execute("create view probe_answered as select id, department_id from feedback "
                       "where answered_at is not null")
    assert demo_store.tables_read("select count(*) from probe_answered") == {"feedback"}     # through the view
    secondee, liaison = actor_for(demo_store, "demo_secondee"), actor_for(demo_store, "demo_liaison")
    counted = []

    def kept():
        return demo_store.cached_value(("probe.loop",), lambda: counted.append(1) or demo_store.rows(loop),
                                       reads=demo_store.tables_read(loop))
    kept()
    assert counted == [1]
    auth.start_session(demo_store, secondee)          # the first write gives every table its token
    kept()
    counted.clear()
    kept()

    def tokens():
        return {r["key"]: r["value"] for r in demo_store.rows(
            "select key, value from meta where key like 'data\\_token:%' escape '\\'")}
    activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today().isoformat(),
                         role="publicist", title="只写工作日志", hours=1)
    after_log = tokens()
    assert kept() and counted == []                                 # the log did not touch the loop
    assert {"activities", "audit_log"} <= {k.split(":", 1)[1] for k in after_log}
    item = demo_store.scalar("select id from feedback where status in ('accepted', 'in_progress') "
                             "and department_id = ? order by id", (liaison.department_id,))
    feedback.answer(demo_store, liaison, item, text="已办理")
    assert kept() == demo_store.rows(loop) and counted == [1]       # the answer did
    changed = {k for k, v in tokens().items() if after_log.get(k) != v}
    assert "data_token:feedback" in changed and "data_token:activities" not in changed
    fts = ["data_token:activities_fts", "data_token:activities_fts_data"]
    activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today().isoformat(),
                         role="publicist", title="全文索引", hours=1)
    assert all(tokens()[k] != after_log[k] for k in fts)           # written by the trigger
    with demo_store.write() as w:
        w.conn.execute("create table probe_schema(x)")
    assert tokens() and all(k.startswith("data_token:") for k in tokens())
    assert tokens().get("data_token:feedback") not in (None, after_log["data_token:feedback"])


def test_kept_results_stay_within_their_byte_budget(demo_store, monkeypatch):
    """Kept results let go of the least recently used while they would hold more than ``CACHE_BYTES``; a result
    larger than the whole budget is worked out each time, and every answer is still the query's."""
    monkeypatch.setattr(db, "CACHE_BYTES", 200_000)
    db.clear_cache()
    sql = "select id, name, notes from participants where id % 7 = ?"
    for rest in range(7):
        assert demo_store.cached_rows(sql, (rest,)) == demo_store.rows(sql, (rest,))
        entries, held = db.cache_footprint()
        assert held <= db.CACHE_BYTES
    assert 0 < entries < 7 + 1
    big = "select * from activities"
    assert demo_store.cached_rows(big) == demo_store.rows(big)
    assert db._footprint(demo_store.rows(big)) > db.CACHE_BYTES and db.cache_footprint()[1] <= db.CACHE_BYTES
    rows = [{"a": "x" * 100, "b": i} for i in range(1000)]
    assert 100_000 < db._footprint(rows) < 400_000                 # about what a thousand such rows hold


# --- a page run's reads through one connection ------------------------------------------------------------------------

def _meta(store, value=None):
    if value is not None:
        with store.write() as w:
            w.conn.execute("insert into meta(key, value) values ('probe', ?) on conflict(key) do update set "
                           "value = excluded.value", (value,))
    return store.scalar("select value from meta where key = 'probe'")


def test_within_one_connection_reads_share_it_see_every_write_and_it_closes_at_the_end(tmp_path):
    store = db.open_store(tmp_path / "a.db")
    with db.one_connection():
        with store.read() as first:
            pass
        with store.read() as second:
            assert second is first                               # one connection for the block's reads
        assert _meta(store, "1") == "1" and _meta(store, "2") == "2"    # each read sees the newest commit
        seen = {}

        def other_thread():
            with store.read() as mine:
                seen.update(value=_meta(store), same=mine is first)
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert seen == {"value": "2", "same": False}             # another thread is not in the block
    with pytest.raises(sqlite3.ProgrammingError):                # closed when the block ends
        first.conn.execute("select 1")
    with store.read() as a, store.read() as b:                  # outside a block: a connection a read
        assert a is not b


def test_within_one_connection_reading_another_file_closes_the_previous_one(tmp_path):
    one, two = db.open_store(tmp_path / "one.db"), db.open_store(tmp_path / "two.db")
    with db.one_connection():
        with one.read() as first:
            pass
        assert _meta(two, "x") == "x"
        with pytest.raises(sqlite3.ProgrammingError):
            first.conn.execute("select 1")
        with one.read() as again:
            assert again is not first


def test_within_one_connection_a_file_replaced_under_the_same_name_is_read_afresh(tmp_path):
    """``demo --replace`` renames a new file over the old one: the next read sees the new file."""
    import os

    live, new = db.open_store(tmp_path / "live.db"), db.open_store(tmp_path / "new.db")
    assert _meta(live, "old") == "old" and _meta(new, "new") == "new"
    for store in (live, new):
        with store.read() as r:
            r.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with db.one_connection():
        assert _meta(live) == "old"
        os.replace(new.path, live.path)
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"new.db{suffix}").unlink(missing_ok=True)
        assert _meta(live) == "new"


def test_within_one_connection_a_missing_file_is_still_an_error(tmp_path):
    store = db.open_store(tmp_path / "gone.db")
    with db.one_connection():
        assert _meta(store, "1") == "1"
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"gone.db{suffix}").unlink(missing_ok=True)
        with pytest.raises(sqlite3.OperationalError):
            _meta(store)
