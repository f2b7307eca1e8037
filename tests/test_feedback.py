"""The closed loop: transitions exactly as the vocabulary says, working-day deadlines and overdue flags,
ownership (a liaison sees and handles only their own department's items), escalation flags, closing
unresolved, routing and time limits, and the audit trail."""
from __future__ import annotations

import json
from datetime import date

import feedback_fixture as fx
import pytest

from secondment import feedback, vocab
from secondment.errors import Conflict, PermissionDenied, ValidationError


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return fx.built_file(tmp_path_factory.mktemp("fb"))


@pytest.fixture
def world(built, tmp_path):
    return fx.copy_of(built, tmp_path / "fb.db")


def raise_one(store, actors, *, category="policy", urgency="normal", at="2026-11-02T02:00:00Z", **kw):
    return feedback.raise_feedback(store, actors["fx_secondee"], participant_id=fx.P_CADRE, category=category,
                                   summary=kw.pop("summary", "企业招工难"), details="需要对接就业服务",
                                   urgency=urgency, at=at, **kw)


# --- driving an item to any status ------------------------------------------------------------------------------

def item_in(store, a, status: str) -> int:
    """A fresh item (at DEPT_A, raised by fx_secondee) brought to ``status`` through the services."""
    fid = raise_one(store, a)
    if status == "submitted":
        return fid
    if status == "closed_unresolved":
        feedback.close_unresolved(store, a["fx_reviewer"], fid, reason="企业已搬离本区")
        return fid
    feedback.accept(store, a["fx_liaison_a"], fid)
    if status == "accepted":
        return fid
    if status == "in_progress":
        feedback.request_extension(store, a["fx_liaison_a"], fid, days=2, reason="需要会商")
        return fid
    feedback.answer(store, a["fx_liaison_a"], fid, text="已对接区就业促进中心")
    if status == "answered":
        return fid
    assert status == "closed"
    feedback.evaluate(store, a["fx_secondee"], fid, evaluation="satisfied")
    return fid


def take(store, a, step: str, fid: int):
    if step == "accept":
        return feedback.accept(store, a["fx_reviewer"], fid)
    if step == "transfer":
        return feedback.transfer(store, a["fx_reviewer"], fid, to_department_id=fx.DEPT_B, reason="属商务委职责")
    if step == "extend":
        return feedback.request_extension(store, a["fx_reviewer"], fid, days=3, reason="需要调研")
    if step == "ask":
        return feedback.ask(store, a["fx_reviewer"], fid, question="请补充企业用工缺口人数")
    if step == "reply":
        return feedback.reply(store, a["fx_secondee"], fid, text="缺口约 30 人")
    if step == "answer":
        return feedback.answer(store, a["fx_reviewer"], fid, text="答复")
    if step == "evaluate":
        return feedback.evaluate(store, a["fx_secondee"], fid, evaluation="basically_satisfied")
    if step == "send_back":
        return feedback.evaluate(store, a["fx_secondee"], fid, evaluation="unsatisfied", note="还没有解决")
    if step == "escalate":
        return feedback.escalate(store, a["fx_reviewer"], fid, note="请加快办理")
    if step == "close_unresolved":
        return feedback.close_unresolved(store, a["fx_reviewer"], fid, reason="无法解决")
    raise AssertionError(step)


STEPS = [s for s in vocab.FEEDBACK_STEPS if s != "raise"]


def test_every_step_and_status_is_covered():
    assert set(STEPS) | {"raise"} == set(vocab.FEEDBACK_STEPS)
    assert {s for s, _ in vocab.FEEDBACK_TRANSITIONS} <= set(STEPS)
    assert set(vocab.FEEDBACK_TRANSITIONS.values()) <= set(vocab.FEEDBACK_STATUSES)


@pytest.mark.parametrize("status", vocab.FEEDBACK_STATUSES)
@pytest.mark.parametrize("step", STEPS)
def test_lifecycle_allows_exactly_the_vocabulary_transitions(world, step, status):
    store, a = world
    fid = item_in(store, a, status)
    assert store.scalar("select status from feedback where id = ?", (fid,)) == status
    if step == "reply" and vocab.next_status("ask", status):      # a reply answers a question: ask one first
        take(store, a, "ask", fid)
    events_before = store.scalar("select count(*) from feedback_events where feedback_id = ?", (fid,))
    expected = vocab.FEEDBACK_TRANSITIONS.get((step, status))
    if expected is None:
        with pytest.raises(Conflict) as refused:
            take(store, a, step, fid)
        assert refused.value.key == "error.transition"
        zh, en = refused.value.message("zh"), refused.value.message("en")
        assert vocab.label("feedback_status", status, "zh") in zh and vocab.label("feedback_step", step, "zh") in zh
        assert vocab.label("feedback_status", status, "en") in en and vocab.label("feedback_step", step, "en") in en
        assert store.scalar("select status from feedback where id = ?", (fid,)) == status
        assert store.scalar("select count(*) from feedback_events where feedback_id = ?", (fid,)) == events_before
    else:
        after = take(store, a, step, fid)
        assert after["status"] == expected
        event = store.one("select * from feedback_events where feedback_id = ? order by id desc limit 1", (fid,))
        assert (event["step"], event["from_status"], event["to_status"]) == (step, status, expected)
        assert store.scalar("select count(*) from feedback_events where feedback_id = ?", (fid,)) == events_before + 1


def test_raise_routes_by_category_and_sets_the_due_date(world):
    store, a = world
    assert feedback.propose_department(store, "production") == fx.DEPT_B
    assert feedback.propose_department(store, "other") is None
    fid = raise_one(store, a, category="production", activity_id=fx.ACTIVITY)
    row = store.one("select * from feedback where id = ?", (fid,))
    assert row["department_id"] == fx.DEPT_B and row["status"] == "submitted"
    assert row["role"] == "info_officer" and row["activity_id"] == fx.ACTIVITY
    assert row["enterprise_id"] == fx.ENT_1  # the cadre's host enterprise by default
    assert row["due_date"] == "2026-11-23"  # Monday Nov 2 + 15 working days
    event = store.one("select * from feedback_events where feedback_id = ?", (fid,))
    assert (event["step"], event["from_status"], event["to_status"], event["to_department_id"]) == (
        "raise", None, "submitted", fx.DEPT_B)
    assert event["user_id"] == a["fx_secondee"].user_id and event["due_date"] == "2026-11-23"


def test_raise_without_routing_needs_a_department_and_the_secondee_may_choose(world):
    store, a = world
    with pytest.raises(ValidationError) as missing:
        raise_one(store, a, category="other")
    assert missing.value.field == "department"
    fid = raise_one(store, a, category="other", department_id=fx.DEPT_D)
    assert store.scalar("select department_id from feedback where id = ?", (fid,)) == fx.DEPT_D
    with pytest.raises(ValidationError) as wrong:  # an enterprise cannot receive feedback
        raise_one(store, a, category="other", department_id=fx.ENT_2)
    assert wrong.value.reason == "wrong_kind"


def test_talent_feedback_counts_as_bridge_work_from_the_home_enterprise(world):
    store, a = world
    fid = feedback.raise_feedback(store, a["fx_talent"], participant_id=fx.P_TALENT, category="policy",
                                  summary="人才公寓", urgency="urgent")
    row = store.one("select * from feedback where id = ?", (fid,))
    assert row["role"] == "bridge" and row["enterprise_id"] == fx.ENT_2


def test_secondee_raises_only_for_themselves_and_from_their_own_entries(world):
    store, a = world
    with pytest.raises(PermissionDenied):
        feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_OTHER, category="policy",
                                summary="x", urgency="normal")
    with pytest.raises(ValidationError) as not_own:
        raise_one(store, a, activity_id=fx.OTHER_ACTIVITY)
    assert not_own.value.reason == "not_own"
    for username in ("fx_liaison_a", "fx_reviewer", "fx_viewer"):
        with pytest.raises(PermissionDenied):
            feedback.raise_feedback(store, a[username], participant_id=fx.P_CADRE, category="policy",
                                    summary="x", urgency="normal")


def test_raise_reports_every_bad_field(world):
    store, a = world
    from secondment.errors import ValidationErrors

    with pytest.raises(ValidationErrors) as bad:
        feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="nonsense",
                                summary="  ", urgency="very")
    assert {e.field for e in bad.value.errors} == {"category", "summary", "urgency"}
    assert store.scalar("select count(*) from feedback") == 0


# --- deadlines and overdue ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raised_at, urgency, due", [
    ("2026-11-27T02:00:00Z", "urgent", "2026-12-02"),  # Friday + 3 working days skips the weekend
    ("2026-11-26T17:00:00Z", "urgent", "2026-12-02"),  # 01:00 Friday in Shanghai: counted from Friday
    ("2026-11-26T02:00:00Z", "urgent", "2026-12-01"),  # Thursday
    ("2026-09-30T02:00:00Z", "urgent", "2026-10-10"),  # across National Day to the make-up Saturday
    ("2026-09-25T02:00:00Z", "normal", "2026-10-22"),  # Sep 28–30, Oct 8–10 (Sat worked), 12–16, 19–22
])
def test_due_dates_count_working_days(world, raised_at, urgency, due):
    store, a = world
    fid = raise_one(store, a, urgency=urgency, at=raised_at)
    assert store.scalar("select due_date from feedback where id = ?", (fid,)) == due


@pytest.mark.parametrize("today, overdue", [
    (date(2026, 11, 27), False), (date(2026, 11, 28), False), (date(2026, 11, 30), False),
    (date(2026, 12, 2), False),  # the due day itself is still on time
    (date(2026, 12, 3), True),
])
def test_overdue_flag_across_a_weekend(world, today, overdue):
    store, a = world
    fid = raise_one(store, a, urgency="urgent", at="2026-11-27T02:00:00Z")  # due Wed Dec 2
    rows, _ = feedback.list_items(store, a["fx_reviewer"], today=today)
    assert rows[0]["id"] == fid and rows[0]["overdue"] is overdue
    assert feedback.get_item(store, a["fx_reviewer"], fid, today=today)["overdue"] is overdue
    assert feedback.counts(store, a["fx_reviewer"], today=today)["overdue"] == int(overdue)
    only, _ = feedback.list_items(store, a["fx_reviewer"], today=today, overdue_only=True)
    assert [r["id"] for r in only] == ([fid] if overdue else [])


def test_overdue_items_come_first_and_answered_items_are_not_overdue(world):
    store, a = world
    on_time = raise_one(store, a, urgency="normal", at="2026-11-27T02:00:00Z", summary="未超期")
    late = raise_one(store, a, urgency="urgent", at="2026-11-20T02:00:00Z", summary="已超期")
    answered = raise_one(store, a, urgency="urgent", at="2026-11-20T02:00:00Z", summary="超期后答复")
    feedback.accept(store, a["fx_liaison_a"], answered, at="2026-11-23T02:00:00Z")
    feedback.answer(store, a["fx_liaison_a"], answered, text="答复", at="2026-11-27T02:00:00Z")  # due Nov 25
    rows, _ = feedback.list_items(store, a["fx_reviewer"], today=date(2026, 11, 30))
    assert rows[0]["id"] == late and rows[0]["overdue"]
    flags = {r["id"]: (r["overdue"], r["late"]) for r in rows}
    assert flags[on_time] == (False, False)
    assert flags[answered] == (False, True)  # answered after the due date: not on time


def test_extension_moves_the_due_date_by_working_days(world):
    store, a = world
    fid = raise_one(store, a, urgency="urgent", at="2026-11-27T02:00:00Z")  # due Dec 2
    feedback.accept(store, a["fx_liaison_a"], fid)
    after = feedback.request_extension(store, a["fx_liaison_a"], fid, days=3, reason="需要会商")
    assert after["due_date"] == "2026-12-07" and after["extended_days"] == 3 and after["status"] == "in_progress"
    for bad in (0, 31, "x"):
        with pytest.raises(ValidationError):
            feedback.request_extension(store, a["fx_liaison_a"], fid, days=bad, reason="r")
    with pytest.raises(ValidationError):
        feedback.request_extension(store, a["fx_liaison_a"], fid, days=2, reason=" ")


def test_time_limits_are_configurable_and_a_department_may_have_its_own(world):
    store, a = world
    with pytest.raises(PermissionDenied):
        feedback.set_time_limits(store, a["fx_reviewer"], {"normal": 10})
    assert feedback.set_time_limits(store, a["fx_admin"], {"normal": 10}) == {"urgent": 3, "normal": 10}
    fid = raise_one(store, a, at="2026-11-02T02:00:00Z")
    assert store.scalar("select due_date from feedback where id = ?", (fid,)) == "2026-11-16"
    feedback.set_time_limits(store, a["fx_admin"], department_limits={fx.DEPT_A: 5})
    normal = raise_one(store, a, at="2026-11-02T02:00:00Z")
    urgent = raise_one(store, a, urgency="urgent", at="2026-11-02T02:00:00Z")
    assert store.scalar("select due_date from feedback where id = ?", (normal,)) == "2026-11-09"
    assert store.scalar("select due_date from feedback where id = ?", (urgent,)) == "2026-11-05"
    assert store.scalar("select count(*) from audit_log where table_name = 'meta' and row_id = ?",
                        (feedback.LIMITS_META_KEY,)) == 1
    with pytest.raises(ValidationError):
        feedback.set_time_limits(store, a["fx_admin"], {"urgent": 0})


def test_routing_catalogue_is_admin_only_and_audited(world):
    store, a = world
    with pytest.raises(PermissionDenied):
        feedback.set_routing(store, a["fx_reviewer"], {"other": fx.DEPT_D})
    routing = feedback.set_routing(store, a["fx_admin"], {"other": fx.DEPT_D, "policy": fx.DEPT_B,
                                                          "production": None})
    by = {r["category"]: r["department_id"] for r in routing}
    assert by["other"] == fx.DEPT_D and by["policy"] == fx.DEPT_B and by["production"] is None
    assert feedback.propose_department(store, "policy") == fx.DEPT_B
    actions = {r["action"] for r in store.rows("select action from audit_log where table_name = 'routing'")}
    assert actions == {"insert", "update", "delete"}
    with pytest.raises(ValidationError):
        feedback.set_routing(store, a["fx_admin"], {"other": fx.ENT_1})


# --- ownership -----------------------------------------------------------------------------------------------------

def test_liaison_cannot_read_or_act_on_another_departments_item(world):
    store, a = world
    fid = raise_one(store, a)  # at DEPT_A
    other = a["fx_liaison_b"]
    with pytest.raises(PermissionDenied):
        feedback.get_item(store, other, fid)
    rows, total = feedback.list_items(store, other)
    assert rows == [] and total == 0
    assert feedback.counts(store, other)["total"] == 0
    for attempt in (lambda: feedback.accept(store, other, fid),
                    lambda: feedback.transfer(store, other, fid, to_department_id=fx.DEPT_B, reason="抢办"),
                    lambda: feedback.request_extension(store, other, fid, days=1, reason="r"),
                    lambda: feedback.answer(store, other, fid, text="t"),
                    lambda: feedback.escalate(store, other, fid),
                    lambda: feedback.close_unresolved(store, other, fid, reason="r"),
                    lambda: feedback.evaluate(store, other, fid, evaluation="satisfied")):
        with pytest.raises(PermissionDenied):
            attempt()
    assert store.scalar("select count(*) from feedback_events where feedback_id = ?", (fid,)) == 1
    assert store.scalar("select status from feedback where id = ?", (fid,)) == "submitted"

    # Its own liaison can; after a transfer the item belongs to the other department only.
    mine, _ = feedback.list_items(store, a["fx_liaison_a"])
    assert [r["id"] for r in mine] == [fid]
    feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.DEPT_B, reason="属商务委职责")
    with pytest.raises(PermissionDenied):
        feedback.get_item(store, a["fx_liaison_a"], fid)
    with pytest.raises(PermissionDenied):
        feedback.accept(store, a["fx_liaison_a"], fid)
    assert feedback.get_item(store, other, fid)["department_id"] == fx.DEPT_B
    assert feedback.accept(store, other, fid)["status"] == "accepted"


def test_secondees_see_and_rate_only_their_own_items(world):
    store, a = world
    fid = item_in(store, a, "answered")
    with pytest.raises(PermissionDenied):
        feedback.get_item(store, a["fx_other"], fid)
    assert feedback.list_items(store, a["fx_other"])[1] == 0
    with pytest.raises(PermissionDenied):
        feedback.evaluate(store, a["fx_other"], fid, evaluation="satisfied")
    with pytest.raises(PermissionDenied):
        feedback.answer(store, a["fx_secondee"], fid, text="我自己答复")
    assert feedback.list_items(store, a["fx_secondee"])[1] == 1
    item = feedback.get_item(store, a["fx_secondee"], fid)
    assert item["allowed_steps"] == ["evaluate", "send_back"]


def test_viewer_reads_everything_and_changes_nothing(world):
    store, a = world
    fid = raise_one(store, a)
    assert feedback.get_item(store, a["fx_viewer"], fid)["allowed_steps"] == []
    for attempt in (lambda: feedback.accept(store, a["fx_viewer"], fid),
                    lambda: feedback.escalate(store, a["fx_viewer"], fid)):
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(PermissionDenied):
        feedback.export_frame(store, a["fx_viewer"], "zh")


# --- send back, escalation, closing unresolved ----------------------------------------------------------------------

def test_unsatisfied_sends_it_back_to_the_same_department_with_a_new_due_date(world):
    store, a = world
    fid = raise_one(store, a, at="2026-11-02T02:00:00Z")
    feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.DEPT_B, reason="转商务委",
                      at="2026-11-03T02:00:00Z")
    feedback.accept(store, a["fx_liaison_b"], fid, at="2026-11-04T02:00:00Z")
    feedback.answer(store, a["fx_liaison_b"], fid, text="第一次答复", at="2026-11-10T02:00:00Z")
    with pytest.raises(ValidationError):  # unsatisfied needs a note saying what is missing
        feedback.evaluate(store, a["fx_secondee"], fid, evaluation="unsatisfied")
    back = feedback.evaluate(store, a["fx_secondee"], fid, evaluation="unsatisfied", note="没有解决用工问题",
                             at="2026-11-11T02:00:00Z")
    assert back["status"] == "in_progress" and back["department_id"] == fx.DEPT_B
    assert back["send_backs"] == 1 and back["answered_at"] is None and back["due_date"] == "2026-12-02"
    again = feedback.answer(store, a["fx_liaison_b"], fid, text="第二次答复", at="2026-11-20T02:00:00Z")
    assert again["status"] == "answered"
    closed = feedback.evaluate(store, a["fx_secondee"], fid, evaluation="satisfied", at="2026-11-21T02:00:00Z")
    assert closed["status"] == "closed" and closed["evaluation"] == "satisfied"
    steps = [(e["step"], e["to_status"], e["to_department"]) for e in feedback.get_item(store, a["fx_reviewer"], fid)["events"]]
    assert steps == [("raise", "submitted", "区民政局"), ("transfer", "submitted", "区商务委"),
                     ("accept", "accepted", "区商务委"), ("answer", "answered", "区商务委"),
                     ("send_back", "in_progress", "区商务委"), ("answer", "answered", "区商务委"),
                     ("evaluate", "closed", "区商务委")]


def test_escalation_flag_after_three_transfers(world):
    store, a = world
    fid = raise_one(store, a)
    hops = [fx.DEPT_B, fx.DEPT_C, fx.DEPT_D]
    for i, target in enumerate(hops, start=1):
        feedback.transfer(store, a["fx_reviewer"], fid, to_department_id=target, reason=f"第{i}次转办")
        item = feedback.get_item(store, a["fx_reviewer"], fid)
        assert item["transfers"] == i
        assert item["escalation_needed"] is (i >= vocab.ESCALATE_AFTER_TRANSFERS)
    assert feedback.counts(store, a["fx_reviewer"])["escalation"] == 1
    flagged, _ = feedback.list_items(store, a["fx_reviewer"], escalation_only=True)
    assert [r["id"] for r in flagged] == [fid]


def test_escalation_flag_after_two_send_backs(world):
    store, a = world
    fid = item_in(store, a, "answered")
    for i in (1, 2):
        feedback.evaluate(store, a["fx_secondee"], fid, evaluation="unsatisfied", note="仍未解决")
        item = feedback.get_item(store, a["fx_reviewer"], fid)
        assert item["send_backs"] == i and item["escalation_needed"] is (i >= vocab.ESCALATE_AFTER_SEND_BACKS)
        feedback.answer(store, a["fx_liaison_a"], fid, text=f"第{i + 1}次答复")
    escalated = feedback.escalate(store, a["fx_reviewer"], fid, note="督办")
    assert escalated["escalated"] == 1 and escalated["status"] == "answered"
    with pytest.raises(Conflict) as again:
        feedback.escalate(store, a["fx_reviewer"], fid)
    assert again.value.key == "error.feedback_escalated"


def test_close_unresolved_records_who_and_why(world):
    store, a = world
    fid = item_in(store, a, "in_progress")
    for who in ("fx_liaison_a", "fx_secondee", "fx_viewer"):
        with pytest.raises(PermissionDenied):
            feedback.close_unresolved(store, a[who], fid, reason="r")
    with pytest.raises(ValidationError):
        feedback.close_unresolved(store, a["fx_reviewer"], fid, reason="  ")
    closed = feedback.close_unresolved(store, a["fx_reviewer"], fid, reason="涉及市级事权区级无法解决")
    assert closed["status"] == "closed_unresolved"
    assert closed["closed_by"] == a["fx_reviewer"].user_id
    assert closed["close_reason"] == "涉及市级事权区级无法解决" and closed["closed_at"]
    item = feedback.get_item(store, a["fx_secondee"], fid)
    assert item["closed_by_name"] == "fx_reviewer"
    last = item["events"][-1]
    assert (last["step"], last["from_status"], last["to_status"], last["user_name"], last["note"]) == (
        "close_unresolved", "in_progress", "closed_unresolved", "fx_reviewer", "涉及市级事权区级无法解决")
    assert item["allowed_steps"] == []


def test_transfer_needs_a_reason_and_another_department(world):
    store, a = world
    fid = raise_one(store, a)
    with pytest.raises(ValidationError):
        feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.DEPT_B, reason="")
    with pytest.raises(ValidationError) as same:
        feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.DEPT_A, reason="r")
    assert same.value.reason == "same_department"
    with pytest.raises(ValidationError):
        feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.ENT_1, reason="r")
    assert store.scalar("select transfers from feedback where id = ?", (fid,)) == 0


# --- audit trail ----------------------------------------------------------------------------------------------------

def test_every_step_writes_an_audit_row_with_before_and_after(world):
    store, a = world
    fid = raise_one(store, a)
    feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.DEPT_B, reason="转办")
    feedback.accept(store, a["fx_liaison_b"], fid)
    feedback.request_extension(store, a["fx_liaison_b"], fid, days=2, reason="延期")
    feedback.answer(store, a["fx_liaison_b"], fid, text="答复")
    feedback.escalate(store, a["fx_reviewer"], fid)
    feedback.evaluate(store, a["fx_secondee"], fid, evaluation="satisfied")
    rows = store.rows("select * from audit_log where table_name = 'feedback' and row_id = ? order by id", (str(fid),))
    assert [r["action"] for r in rows] == ["feedback.raise", "feedback.transfer", "feedback.accept",
                                           "feedback.extend", "feedback.answer", "feedback.escalate",
                                           "feedback.evaluate"]
    assert [r["username"] for r in rows] == ["fx_secondee", "fx_liaison_a", "fx_liaison_b", "fx_liaison_b",
                                             "fx_liaison_b", "fx_reviewer", "fx_secondee"]
    transfer = rows[1]
    assert json.loads(transfer["before"])["department_id"] == fx.DEPT_A
    assert json.loads(transfer["after"])["department_id"] == fx.DEPT_B
    assert json.loads(rows[-1]["after"])["status"] == "closed"
    events = store.rows("select * from feedback_events where feedback_id = ? order by id", (fid,))
    assert len(events) == len(rows)
    assert all(e["at"] and e["user_id"] for e in events)


def test_a_refused_step_writes_nothing(world):
    store, a = world
    fid = item_in(store, a, "closed")
    before = store.scalar("select count(*) from audit_log")
    with pytest.raises(Conflict):
        feedback.answer(store, a["fx_reviewer"], fid, text="迟到的答复")
    assert store.scalar("select count(*) from audit_log") == before


# --- lists and export ------------------------------------------------------------------------------------------------

def test_filters_and_search(world):
    store, a = world
    one = raise_one(store, a, summary="园区停车难", category="policy")
    two = raise_one(store, a, summary="用工需求", category="production", urgency="urgent")
    rev = a["fx_reviewer"]
    ids = lambda **f: [r["id"] for r in feedback.list_items(store, rev, **f)[0]]
    assert ids(category="production") == [two]
    assert ids(department=fx.DEPT_A) == [one]
    assert ids(urgency="urgent") == [two]
    assert ids(text="停车") == [one]
    assert ids(text=f"#{two}") == [two]
    assert ids(status=["closed"]) == []
    assert set(ids(batch="C5")) == {one, two} and ids(batch="T4") == []
    assert ids(period_from="2026-11-03") == [] and set(ids(period_from="2026-11-02", period_to="2026-11-02")) == {one, two}


def test_export_is_labelled_in_the_users_language(world):
    store, a = world
    fid = item_in(store, a, "closed")
    zh = feedback.export_frame(store, a["fx_reviewer"], "zh")
    assert list(zh["编号"]) == [fid] and zh.loc[0, "状态"] == "已办结" and zh.loc[0, "评价"] == "满意"
    assert zh.loc[0, "问题类别"] == "政策需求" and zh.loc[0, "超期"] == "否"
    en = feedback.export_frame(store, a["fx_admin"], "en")
    assert en.loc[0, "Status"] == "Closed" and en.loc[0, "Department"] == "区民政局"
    with pytest.raises(PermissionDenied):
        feedback.export_frame(store, a["fx_liaison_a"], "zh")


def test_each_rule_says_the_same_in_python_and_in_sql(demo_store):
    """The loop's rules are written once per language (feedback.is_open / open_sql and friends); on every demo
    item the Python answer and the SQL answer agree."""
    from conftest import actor_for

    from secondment import clock

    today = clock.today().isoformat()
    rows = demo_store.rows(f"""
        select f.*, {feedback.open_sql()} as open_, {feedback.final_sql()} as final_,
               {feedback.overdue_sql(today='?')} as overdue_, {feedback.answered_late_sql()} as late_,
               {feedback.needs_escalation_sql()} as escalation_, {feedback.satisfied_sql()} as satisfied_
        from feedback f""", (today,))
    assert len(rows) > 100
    for r in rows:
        assert bool(r["open_"]) == feedback.is_open(r)
        assert bool(r["final_"]) == feedback.is_final(r)
        assert bool(r["overdue_"]) == feedback.is_overdue(r, today)
        assert bool(r["late_"]) == feedback.answered_late(r)
        assert bool(r["escalation_"]) == feedback.needs_escalation(r)
        assert bool(r["satisfied_"]) == feedback.is_satisfied(r)
    assert {bool(r["overdue_"]) for r in rows} == {True, False} and any(r["late_"] for r in rows)
    listed, _ = feedback.list_items(demo_store, actor_for(demo_store, "demo_reviewer"), limit=None, today=today)
    assert sum(r["overdue"] for r in listed) == sum(bool(r["overdue_"]) for r in rows)


# --- the department asks the secondee for more (征询补充), the secondee replies (补充说明) ---------------------------

def test_a_question_waits_for_its_reply_and_only_the_right_people_take_each_part(world):
    store, a = world
    fid = item_in(store, a, "accepted")
    due = store.scalar("select due_date from feedback where id = ?", (fid,))
    with pytest.raises(Conflict) as nothing_asked:
        feedback.reply(store, a["fx_secondee"], fid, text="补充")
    assert nothing_asked.value.key == "error.feedback_no_question"
    with pytest.raises(PermissionDenied):                         # another department's liaison
        feedback.ask(store, a["fx_liaison_b"], fid, question="?")
    with pytest.raises(ValidationError) as empty:
        feedback.ask(store, a["fx_liaison_a"], fid, question="  ")
    assert empty.value.field == "question"
    feedback.ask(store, a["fx_liaison_a"], fid, question="请补充企业用工缺口人数")
    item = feedback.get_item(store, a["fx_secondee"], fid)
    assert item["question_open"] == 1 and item["allowed_steps"] == ["reply"]
    assert "ask" not in feedback.get_item(store, a["fx_liaison_a"], fid)["allowed_steps"]   # one question at a time
    with pytest.raises(Conflict) as twice:
        feedback.ask(store, a["fx_liaison_a"], fid, question="再问一次")
    assert twice.value.key == "error.feedback_question_open"
    with pytest.raises(PermissionDenied):                         # another secondee cannot reply for the owner
        feedback.reply(store, a["fx_other"], fid, text="代答")
    after = feedback.reply(store, a["fx_secondee"], fid, text="缺口约 30 人，以普工为主")
    assert after["status"] == "accepted" and after["due_date"] == due     # the item stays put, its time running
    item = feedback.get_item(store, a["fx_liaison_a"], fid)
    assert item["question_open"] == 0 and "ask" in item["allowed_steps"] and "answer" in item["allowed_steps"]
    assert [(e["step"], e["note"]) for e in item["events"][-2:]] == [
        ("ask", "请补充企业用工缺口人数"), ("reply", "缺口约 30 人，以普工为主")]


def test_a_transfer_or_an_answer_makes_a_waiting_question_moot(world):
    store, a = world
    fid = item_in(store, a, "accepted")
    feedback.ask(store, a["fx_liaison_a"], fid, question="请补充材料")
    feedback.transfer(store, a["fx_reviewer"], fid, to_department_id=fx.DEPT_B, reason="属商务委职责")
    assert feedback.get_item(store, a["fx_secondee"], fid)["question_open"] == 0
    other = item_in(store, a, "accepted")
    feedback.ask(store, a["fx_liaison_a"], other, question="请补充材料")
    feedback.answer(store, a["fx_liaison_a"], other, text="已解决")
    assert feedback.get_item(store, a["fx_secondee"], other)["question_open"] == 0
