"""The demo's audit trail: the last six weeks of the demo programme as the services would have recorded them.

Checked against the demo's own data (every entry agrees with the row it describes, and replaying an item's
entries gives the row as it stands), against the services (a real raise, step, entry, submit and review write
entries of the same shape), and on the audit page.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta

import pytest
from conftest import actor_for, app_test, visible_text

from secondment import activities, audit, clock, db, demo, feedback, vocab

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# What the services write: table -> actions (secondment/activities.py, feedback.py, practices.py).
SERVICE_ACTIONS = {
    "activities": {"insert"},
    "week_reviews": {"submit", "approve", "return"},
    "feedback": {"feedback.raise"} | {f"feedback.{step}" for step in vocab.FEEDBACK_STEPS if step != "raise"},
    "practices": {"propose", "review", "promote"},
}


def trail(store, where: str = "1", params=()) -> list[dict]:
    return [dict(r, before=json.loads(r["before"]) if r["before"] else None,
                 after=json.loads(r["after"]) if r["after"] else None)
            for r in store.rows(f"select * from audit_log where {where} order by id", params)]


def demo_today(store) -> date:
    return date.fromisoformat(store.scalar("select value from meta where key = 'demo_today'"))


def window_start(store) -> str:
    since = datetime.combine(demo_today(store) - timedelta(days=demo.AUDIT_DAYS), time()) - demo.LOCAL_OFFSET
    return since.strftime("%Y-%m-%dT%H:%M:%SZ")


def by_pk(store, table: str, sql_key: str) -> dict:
    """The rows as they stand, without what is derived from their own fields and not a person's doing (the
    closed loop's stored working days, counted from an item's dates: ``feedback.DERIVED``)."""
    from secondment import feedback

    rows = {str(r.pop("k")): r for r in store.rows(f"select {sql_key} as k, * from {table}")}
    for row in rows.values():
        for column in feedback.DERIVED if table == "feedback" else ():
            row.pop(column, None)
    return rows


# --- the trail as a whole ------------------------------------------------------------------------------------

def test_a_few_hundred_entries_in_every_kind(demo_store):
    counts = {(r["table_name"], r["action"]): r["n"] for r in demo_store.rows(
        "select table_name, action, count(*) as n from audit_log group by 1, 2")}
    assert 200 <= sum(counts.values()) <= 2_500
    for kind in (("activities", "insert"), ("week_reviews", "submit"), ("week_reviews", "approve"),
                 ("feedback", "feedback.raise"), ("feedback", "feedback.accept"), ("feedback", "feedback.answer"),
                 ("feedback", "feedback.evaluate")):
        assert counts.get(kind, 0) >= 5, kind
    assert len({a for _, a in counts if a.startswith("feedback.")}) >= 6  # most steps of the loop occur


def test_only_tables_and_actions_the_services_write(demo_store):
    for row in demo_store.rows("select distinct table_name, action from audit_log"):
        assert row["action"] in SERVICE_ACTIONS.get(row["table_name"], ()), row


def test_stamps_inside_the_window_and_in_id_order(demo_store):
    rows = demo_store.rows("select id, at from audit_log order by id")
    stamps = [r["at"] for r in rows]
    assert all(STAMP.match(s) for s in stamps)
    assert stamps == sorted(stamps)
    assert stamps[0] >= window_start(demo_store)
    tomorrow = (demo_today(demo_store) + timedelta(days=1)).isoformat()
    assert stamps[-1] < tomorrow
    assert stamps[0][:10] <= (demo_today(demo_store) - timedelta(days=demo.AUDIT_DAYS - 3)).isoformat()  # covers it


def test_every_entry_names_an_existing_account(demo_store):
    users = {r["id"]: r["username"] for r in demo_store.rows("select id, username from users")}
    rows = demo_store.rows("select user_id, username, count(*) as n from audit_log group by 1, 2")
    assert all(r["user_id"] in users and users[r["user_id"]] == r["username"] for r in rows), rows
    names = {r["username"] for r in rows}
    assert {"demo_reviewer", "demo_secondee", "demo_liaison"} <= names
    assert len(names) >= 10  # the people in post, not one account for everything


def test_the_page_filters_find_the_entries(demo_store):
    boss = actor_for(demo_store, "demo_admin")
    facets = audit.facets(demo_store, boss)
    assert {"activities", "week_reviews", "feedback"} <= set(facets["tables"])
    assert "demo_reviewer" in facets["users"] and "feedback.raise" in facets["actions"]
    total = demo_store.scalar("select count(*) from audit_log")
    assert audit.browse(demo_store, boss, limit=1)[1] == total
    reviewer = demo_store.scalar("select count(*) from audit_log where username = 'demo_reviewer'")
    assert audit.browse(demo_store, boss, username="demo_reviewer", limit=1)[1] == reviewer
    today = demo_today(demo_store)
    week = audit.browse(demo_store, boss, since=today - timedelta(days=7), until=today, limit=1)[1]
    assert 0 < week < total
    summary = demo_store.scalar("select summary from feedback where id = "
                                "(select cast(row_id as int) from audit_log where action = 'feedback.raise' limit 1)")
    assert audit.browse(demo_store, boss, text=summary, table="feedback", limit=1)[1] >= 1


# --- each entry agrees with the data --------------------------------------------------------------------------

def test_activity_entries_are_the_rows_as_written(demo_store):
    rows = by_pk(demo_store, "activities", "id")
    entries = trail(demo_store, "table_name = 'activities'")
    assert entries
    for e in entries:
        row = rows[e["row_id"]]
        assert e["before"] is None and e["after"] == row
        assert (e["at"], e["user_id"]) == (row["created_at"], row["created_by"])
    since = window_start(demo_store)
    assert len(entries) == demo_store.scalar("select count(*) from activities where created_at >= ? "
                                             "and created_by is not null", (since,))


def test_week_entries_agree_with_the_reviews(demo_store):
    rows = by_pk(demo_store, "week_reviews", "participant_id || '/' || week")
    entries = trail(demo_store, "table_name = 'week_reviews'")
    decisions = {"approved": "approve", "returned": "return"}
    seen = {"submit": 0, "approve": 0, "return": 0}
    for e in entries:
        row = rows[e["row_id"]]
        seen[e["action"]] += 1
        if e["action"] == "submit":
            assert e["before"] is None
            assert e["after"] == {**row, "state": "submitted", "reviewed_at": None, "reviewed_by": None,
                                  "comment": None}
            assert (e["at"], e["user_id"]) == (row["submitted_at"], row["submitted_by"])
        else:
            assert e["action"] == decisions[row["state"]]
            assert (e["at"], e["user_id"]) == (row["reviewed_at"], row["reviewed_by"])
            expected = {"state": row["state"], "reviewed_at": row["reviewed_at"], "reviewed_by": row["reviewed_by"]}
            if row["comment"]:
                expected["comment"] = row["comment"]
            assert e["after"] == expected
            assert e["before"] == {k: ("submitted" if k == "state" else None) for k in expected}
    assert seen["submit"] and seen["approve"]
    # Every week submitted or reviewed inside the window is there.
    since = window_start(demo_store)
    assert seen["submit"] == demo_store.scalar("select count(*) from week_reviews where submitted_at >= ?", (since,))
    assert seen["approve"] + seen["return"] == demo_store.scalar(
        "select count(*) from week_reviews where reviewed_at >= ?", (since,))


def test_feedback_entries_are_its_events(demo_store):
    events = {(str(r["feedback_id"]), r["at"]): r for r in demo_store.rows("select * from feedback_events")}
    liaisons = {r["id"] for r in demo_store.rows("select id from users where role = 'liaison'")}
    entries = trail(demo_store, "table_name = 'feedback'")
    for e in entries:
        event = events[(e["row_id"], e["at"])]
        assert e["action"] == f"feedback.{event['step']}"
        assert e["after"]["updated_at"] == e["at"]
        if "status" in e["after"]:
            assert e["after"]["status"] == event["to_status"]
        else:  # a step that keeps the status (transfer before acceptance, escalate) records only what changed
            assert event["from_status"] == event["to_status"]
        if event["user_id"] is not None:
            assert e["user_id"] == event["user_id"]
        else:  # a department without a demo liaison: the reviewer entered it
            assert event["step"] in ("accept", "transfer", "extend", "answer")
            assert e["username"] == "demo_reviewer"
        if event["user_id"] in liaisons:
            assert event["step"] in ("accept", "transfer", "extend", "answer")
    steps = [e for e in entries if e["action"] != "feedback.raise"]
    assert len(steps) == demo_store.scalar("select count(*) from feedback_events where at >= ? and step != 'raise'",
                                           (window_start(demo_store),))


def _replay(entries: list[dict]) -> dict[str, dict]:
    """Each row rebuilt from its insert and the updates after it; every update's before must be the state."""
    state: dict[str, dict] = {}
    for e in entries:
        if e["before"] is None:
            assert e["row_id"] not in state
            state[e["row_id"]] = dict(e["after"])
        elif e["row_id"] in state:
            current = state[e["row_id"]]
            assert e["before"] == {k: current[k] for k in e["before"]}, e
            assert set(e["before"]) == set(e["after"]) and all(e["before"][k] != e["after"][k] for k in e["after"])
            current.update(e["after"])
    from secondment import feedback

    for row in state.values():              # as by_pk: what is derived from the row's own fields is left out
        for column in feedback.DERIVED:
            row.pop(column, None)
    return state


@pytest.mark.parametrize("table, key", [("feedback", "id"), ("week_reviews", "participant_id || '/' || week"),
                                        ("practices", "id")])
def test_replaying_the_entries_gives_the_rows_as_they_stand(demo_store, table, key):
    rebuilt = _replay(trail(demo_store, "table_name = ?", (table,)))
    rows = by_pk(demo_store, table, key)
    assert rebuilt or table == "practices"  # ~40 practices over sixteen years: some six weeks have none
    for row_id, state in rebuilt.items():
        assert state == rows[row_id], row_id


def test_feedback_updates_chain_for_items_raised_before_the_window(demo_store):
    """An item raised earlier has only its recent steps: they follow on from each other and end where the row
    stands."""
    rows = by_pk(demo_store, "feedback", "id")
    entries = trail(demo_store, "table_name = 'feedback' and row_id not in "
                                "(select row_id from audit_log where action = 'feedback.raise')")
    assert entries
    last: dict[str, dict] = {}
    for e in entries:
        if e["row_id"] in last:
            previous = last[e["row_id"]]
            for k, v in e["before"].items():
                if k in previous:
                    assert previous[k] == v, (e["row_id"], k)
            previous.update(e["after"])
        else:
            last[e["row_id"]] = dict(e["after"])
    for row_id, values in last.items():
        assert values == {k: rows[row_id][k] for k in values}, row_id


def test_synthetic_databases_have_the_same_trail(tmp_path):
    """``demo.synthetic`` (the benchmark's tiers) goes through the same pipeline, so the audit page is measured
    against a realistic trail too."""
    counts = demo.synthetic(tmp_path / "s.db", "S", participants=30, today=date(2026, 11, 26))
    store = db.open_store(tmp_path / "s.db")
    assert counts["audit_log"] == store.scalar("select count(*) from audit_log") > 50
    for row in store.rows("select distinct table_name, action from audit_log"):
        assert row["action"] in SERVICE_ACTIONS.get(row["table_name"], ()), row
    stamps = [r["at"] for r in store.rows("select at from audit_log order by id")]
    assert stamps == sorted(stamps) and stamps[0] >= "2026-10-14T16:00:00Z"
    rebuilt = _replay(trail(store, "table_name = 'feedback'"))
    rows = by_pk(store, "feedback", "id")
    assert rebuilt and all(state == rows[row_id] for row_id, state in rebuilt.items())


# --- the same shape as the services ----------------------------------------------------------------------------

def _keys(entry: dict) -> tuple:
    return (entry["table_name"], entry["action"], tuple(sorted(entry["before"] or ())), tuple(sorted(entry["after"] or ())))


def test_entries_look_like_those_the_services_write(demo_store):
    store = demo_store
    today = demo_today(store)
    first = store.scalar("select max(id) from audit_log")
    secondee, reviewer = actor_for(store, "demo_secondee"), actor_for(store, "demo_reviewer")
    pid = secondee.participant_id
    week = activities.week_of(today)
    assert store.one("select 1 from week_reviews where participant_id = ? and week = ?", (pid, week)) is None
    activities.add_entry(store, secondee, pid, date=today.isoformat(), role="counsellor", title="审计形状核对",
                         hours=2, today=today)
    activities.submit_week(store, secondee, pid, week)
    activities.review_week(store, reviewer, pid, week, "approve")
    # Steps an hour apart (in the same second ``updated_at`` would not change and so not be recorded).
    hour = [(clock.now() - timedelta(hours=4 - n)).replace(microsecond=0) for n in range(4)]
    item = feedback.raise_feedback(store, secondee, participant_id=pid, category="policy", summary="审计形状核对",
                                   at=hour[0])
    feedback.accept(store, reviewer, item, at=hour[1])
    feedback.answer(store, reviewer, item, text="已答复", at=hour[2])
    feedback.evaluate(store, secondee, item, evaluation="satisfied", at=hour[3])
    written = trail(store, "id > ?", (first,))
    assert [e["action"] for e in written] == ["insert", "submit", "approve", "feedback.raise", "feedback.accept",
                                              "feedback.answer", "feedback.evaluate"]
    demo_shapes = {_keys(e) for e in trail(store, "id <= ?", (first,))}
    for entry in written:
        assert entry["row_id"] in {str(item), f"{pid}/{week}"} or entry["table_name"] == "activities"
        assert _keys(entry) in demo_shapes, _keys(entry)


# --- the page -------------------------------------------------------------------------------------------------

def test_audit_page_shows_the_demo_trail(demo_store):
    at = app_test("audit", demo_store, "demo_admin")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "操作日志还是空的" not in visible_text(at)
    frame = at.dataframe[0].value
    assert len(frame) == 50  # the first page at the default size
    newest = demo_store.one("select * from audit_log order by id desc limit 1")
    name = demo_store.scalar("select display_name from users where username = ?", (newest["username"],))
    # People by name, with the username to tell namesakes apart: "戴善伯（demo_talent）".
    assert (frame.iloc[0]["编号"], frame.iloc[0]["操作人"]) == (newest["id"], f"{name}（{newest['username']}）")
    assert len(set(frame["操作人"])) > 1
    assert all(frame["修改内容"].str.len() > 0)


@pytest.mark.parametrize("table, action, field", [("week_reviews", "approve", "state"),
                                                  ("feedback", "feedback.accept", "status"),
                                                  ("feedback", "feedback.answer", "status")])
def test_audit_page_filters_and_compares_before_and_after(demo_store, table, action, field):
    at = app_test("audit", demo_store, "demo_reviewer")
    at.run()
    at.selectbox(key="aud_table").set_value(table).run()
    at.selectbox(key="aud_action").set_value(action).run()
    assert not at.exception, [e.value for e in at.exception]
    entries = trail(demo_store, "table_name = ? and action = ?", (table, action))
    frame = at.dataframe[0].value
    assert len(frame) == min(50, len(entries)) > 0
    assert list(frame["编号"]) == [e["id"] for e in reversed(entries)][:50]
    # Pick the newest entry: the comparison lists each changed field, before and after, with its label.
    at.session_state[f"aud_table_{at.session_state['_aud_page_for']}_1"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    entry = entries[-1]
    assert f"记录 #{entry['id']}" in " ".join(s.value for s in at.subheader)
    diff = at.dataframe[1].value
    assert len(diff) == len(entry["after"])
    row = diff[diff["字段"] == audit.field_label(field, "zh", table)].iloc[0]
    labels = (audit.value_label(table, field, entry["before"][field], "zh"),
              audit.value_label(table, field, entry["after"][field], "zh"))
    assert (row["修改前"], row["修改后"]) == labels and labels[0] != labels[1]
    assert labels[1] in ("已通过", "已受理", "已答复")  # a label, not the code


def test_every_stored_utc_time_in_the_trail_reads_in_china_time(demo_store):
    """Whatever the field is called ("at" of a backup, "*_at" of a row), a stored UTC time shows as Shanghai
    wall-clock time under the China-time label, never as raw ISO text."""
    assert audit.value_label("meta", "at", "2026-12-01T20:04:18Z", "zh") == "2026-12-02 04:04:18"
    assert audit.value_label("users", "last_login_at", "2026-12-01T20:04:18Z", "zh") == "2026-12-02 04:04:18"
    assert audit.value_label("activities", "title", "会议纪要 2026-12-01", "zh") == "会议纪要 2026-12-01"
