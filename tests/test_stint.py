"""The stint lifecycle in the core: agreement versions, declarations gating activation, leave approvers and
leave weeks, check-ins drafted from the log, visits and their follow-ups, the assessment, the return, and the
lifecycle board against a hand-built programme.

Today is pinned to Thursday 2026-11-26 (2026-W48). People:
  1 张伟  cadre  C1  2026-09-01 … 2027-08-31, stored active; entries W45 (approved), W46 (submitted)
  2 李娜  talent T1  2026-11-10 … 2027-11-09, stored active
  3 王强  cadre  C2  2025-03-03 … 2026-08-31, completed
  4 赵敏  cadre  C1  2026-01-05 … 2027-01-04, stored active; nothing logged since W30
"""
from datetime import date, timedelta

import pytest

from secondment import agreements, assessment, audit, clock, coverage, leave, notify, roster, stint, todo
from secondment.errors import Conflict, NotFound, PermissionDenied, ValidationError
from secondment.permissions import Actor

TODAY = date(2026, 11, 26)
ADMIN = Actor(1, "admin", "admin", "管理员")
REVIEWER = Actor(2, "reviewer", "reviewer", "审核人")
VIEWER = Actor(3, "viewer", "viewer", "领导")
SECONDEE = Actor(4, "p1", "secondee", "张伟", participant_id=1)
OTHER = Actor(5, "p4", "secondee", "赵敏", participant_id=4)
LIAISON = Actor(6, "liaison", "liaison", "联络员", department_id=2)


@pytest.fixture
def store(empty_store, monkeypatch):
    monkeypatch.setenv("SECONDMENT_TODAY", TODAY.isoformat())
    with empty_store.write() as db:
        x = db.conn.execute
        x("insert into batches(id, code, direction, intake_year, start_date, end_date) values "
          "(1, 'C1', 'cadre_to_enterprise', 2026, '2026-01-05', '2027-08-31'), "
          "(2, 'C2', 'cadre_to_enterprise', 2025, '2025-03-03', '2026-08-31'), "
          "(3, 'T1', 'talent_to_government', 2026, '2026-11-10', '2027-11-09')")
        x("insert into units(id, name, kind) values (1, '甲企业', 'enterprise'), (2, '乙部门', 'party_org'), "
          "(3, '丙企业', 'enterprise')")
        for row in ((1, "张伟", 1, "2026-09-01", "2027-08-31", "active", 2, 1),
                    (2, "李娜", 3, "2026-11-10", "2027-11-09", "active", 3, 2),
                    (3, "王强", 2, "2025-03-03", "2026-08-31", "completed", 2, 3),
                    (4, "赵敏", 1, "2026-01-05", "2027-01-04", "active", 2, 3)):
            x("insert into participants(id, name, batch_id, start_date, end_date, status, home_unit_id, host_unit_id) "
              "values (?, ?, ?, ?, ?, ?, ?, ?)", row)
        for uid, name, role, pid, dept in ((1, "admin", "admin", None, None), (2, "reviewer", "reviewer", None, None),
                                           (3, "viewer", "viewer", None, None), (4, "p1", "secondee", 1, None),
                                           (5, "p4", "secondee", 4, None), (6, "liaison", "liaison", None, 2)):
            x("insert into users(id, username, display_name, role, participant_id, department_id, password_hash) "
              "values (?, ?, ?, ?, ?, ?, 'x')", (uid, name, name, role, pid, dept))
        for pid, day, week, role, title, outcome in (
                (1, "2026-11-03", "2026-W45", "counsellor", "指导支部**换届**", "完成换届选举"),
                (1, "2026-11-05", "2026-W45", "publicist", "宣讲新政策", None),
                (1, "2026-11-10", "2026-W46", "coordinator", "协调用地审批", "已受理"),
                (4, "2026-07-21", "2026-W30", "counsellor", "旧的记录", None)):
            x("insert into activities(participant_id, date, week, role, title, outcome, hours) "
              "values (?, ?, ?, ?, ?, ?, 2)", (pid, day, week, role, title, outcome))
        x("insert into week_reviews(participant_id, week, state, submitted_at) values "
          "(1, '2026-W45', 'approved', '2026-11-06T09:00:00Z'), (1, '2026-W46', 'submitted', '2026-11-13T09:00:00Z')")
    return empty_store


def objectives(direction_roles=("counsellor", "publicist", "coordinator", "info_officer"), due="2027-06-30"):
    return [{"role": r, "text": f"{r} 目标", "target": "每月 1 次", "due_date": due} for r in direction_roles]


def agree_all(store, version):
    for party in ("home", "host", "org"):
        version = agreements.agree(store, REVIEWER, version["id"], party, signatory=f"{party} 签字人")
    return version


# --- the agreement ---------------------------------------------------------------------------------------------

def test_an_amended_agreement_must_be_agreed_again_and_every_version_is_kept(store):
    first = agreements.draft(store, REVIEWER, 1, objectives=objectives())
    assert (first["version"], first["status"]) == (1, "draft")
    half = agreements.agree(store, REVIEWER, first["id"], "home", signatory="派出单位 李书记")
    assert half["status"] == "draft" and set(half["parties"]) == {"home"}
    with pytest.raises(Conflict):                      # one party agrees once
        agreements.agree(store, REVIEWER, first["id"], "home", signatory="又一次")
    first = agree_all_rest(store, first)
    assert first["status"] == "agreed" and set(first["parties"]) == {"home", "host", "org"}

    carried = [{**{k: o[k] for k in ("role", "text", "target", "due_date", "lineage")}} for o in first["objectives"]]
    carried[0]["target"] = "每月 2 次"
    second = agreements.draft(store, SECONDEE, 1, objectives=carried)
    assert (second["version"], second["status"], second["parties"]) == (2, "draft", {})
    rows = agreements.versions(store, REVIEWER, 1)
    assert [(r["version"], r["status"]) for r in rows] == [(2, "draft"), (1, "agreed")]
    assert agreements.in_force(rows)["version"] == 1   # the agreed version stays in force meanwhile
    assert [o["lineage"] for o in second["objectives"]] == [o["lineage"] for o in first["objectives"]]

    second = agree_all(store, second)
    rows = agreements.versions(store, REVIEWER, 1)
    assert [(r["version"], r["status"]) for r in rows] == [(2, "agreed"), (1, "superseded")]
    assert rows[1]["objectives"][0]["target"] == "每月 1 次" and rows[0]["objectives"][0]["target"] == "每月 2 次"
    with pytest.raises(Conflict):
        agreements.agree(store, REVIEWER, rows[1]["id"], "org", signatory="旧版")
    actions = [r["action"] for r in store.rows("select action from audit_log where table_name in "
                                               "('agreements', 'agreement_parties') order by id")]
    assert actions.count("agree") == 6 and "amend" in actions and "supersede" in actions


def agree_all_rest(store, version):
    for party in ("host", "org"):
        version = agreements.agree(store, REVIEWER, version["id"], party, signatory=f"{party} 签字人")
    return version


def test_objectives_follow_the_direction_and_the_period(store):
    with pytest.raises(ValidationError) as error:
        agreements.draft(store, REVIEWER, 1, objectives=objectives(("learning",)))
    assert error.value.field == "role" and error.value.row == 1
    with pytest.raises(ValidationError) as error:
        agreements.draft(store, REVIEWER, 1, objectives=objectives(due="2028-01-01"))
    assert error.value.field == "due_date" and "2027-08-31" in error.value.message("zh")
    with pytest.raises(ValidationError) as error:
        agreements.draft(store, REVIEWER, 1, objectives=[{"role": "counsellor", "text": "x", "target": "",
                                                          "due_date": "2027-01-01"}])
    assert error.value.field == "target"
    assert agreements.versions(store, REVIEWER, 1) == []   # nothing half-written
    talent = agreements.draft(store, REVIEWER, 2, objectives=objectives(("learning", "party_practice", "bridge"),
                                                                        due="2027-10-01"))
    assert [o["role"] for o in talent["objectives"]] == ["learning", "party_practice", "bridge"]


def test_who_may_draft_agree_and_read(store):
    with pytest.raises(PermissionDenied):
        agreements.draft(store, OTHER, 1, objectives=objectives())       # another secondee's stint
    with pytest.raises(PermissionDenied):
        agreements.draft(store, VIEWER, 1, objectives=objectives())
    version = agreements.draft(store, SECONDEE, 1, objectives=objectives())
    with pytest.raises(PermissionDenied):
        agreements.agree(store, SECONDEE, version["id"], "org", signatory="自己")
    with pytest.raises(PermissionDenied):
        agreements.versions(store, OTHER, 1)
    with pytest.raises(PermissionDenied):
        agreements.versions(store, LIAISON, 1)
    assert agreements.versions(store, VIEWER, 1)[0]["id"] == version["id"]


def test_work_links_to_objectives_and_the_status_is_suggested_until_a_reviewer_sets_it(store):
    version = agree_all(store, agreements.draft(store, REVIEWER, 1, objectives=objectives()))
    counsellor, publicist = version["objectives"][0], version["objectives"][1]
    mine = [r["id"] for r in store.rows("select id from activities where participant_id = 1 order by id")]
    theirs = store.scalar("select id from activities where participant_id = 4")
    agreements.link(store, SECONDEE, counsellor["id"], "activity", mine[0])
    agreements.link(store, SECONDEE, publicist["id"], "activity", mine[1])
    with pytest.raises(ValidationError) as error:
        agreements.link(store, SECONDEE, counsellor["id"], "activity", mine[0])
    assert error.value.reason == "duplicate"
    with pytest.raises(PermissionDenied):
        agreements.link(store, OTHER, counsellor["id"], "activity", theirs)
    with pytest.raises(ValidationError) as error:
        agreements.link(store, REVIEWER, counsellor["id"], "activity", theirs)
    assert error.value.reason == "not_this_participant"
    with pytest.raises(NotFound):
        agreements.link(store, SECONDEE, counsellor["id"], "feedback", 999)

    progress = agreements.progress(store, SECONDEE, 1, today=TODAY)
    shown = {o["role"]: (o["shown_status"], o["suggested"], o["linked"]) for o in progress["objectives"]}
    assert shown == {"counsellor": ("on_track", True, 1), "publicist": ("on_track", True, 1),
                     "coordinator": ("not_started", True, 0), "info_officer": ("not_started", True, 0)}
    assert progress["objectives"][0]["links"][0]["title"] == "指导支部**换届**"   # the entry's text, as typed
    # Due within 30 days with nothing linked → at risk; past due with work linked → at risk; a reviewer says done.
    assert agreements.suggest({"due_date": "2026-12-20"}, 0, TODAY) == "at_risk"
    assert agreements.suggest({"due_date": "2026-11-01"}, 3, TODAY) == "at_risk"
    assert agreements.suggest({"due_date": "2027-06-01"}, 0, TODAY) == "not_started"
    with pytest.raises(PermissionDenied):
        agreements.set_status(store, SECONDEE, counsellor["id"], "done")
    agreements.set_status(store, REVIEWER, counsellor["id"], "done")
    progress = agreements.progress(store, VIEWER, 1, today=TODAY)
    assert progress["counts"] == {"not_started": 2, "on_track": 1, "at_risk": 0, "done": 1}

    # An amendment carries the links along with the objective's lineage.
    carried = [{k: o[k] for k in ("role", "text", "target", "due_date", "lineage")} for o in version["objectives"]]
    agreements.draft(store, REVIEWER, 1, objectives=carried)
    again = agreements.progress(store, REVIEWER, 1, today=TODAY)
    assert again["agreement"]["version"] == 2
    assert [o["linked"] for o in again["objectives"]] == [1, 1, 0, 0]
    assert again["objectives"][0]["shown_status"] == "done"
    assert agreements.batch_progress(store, REVIEWER, "C1", today=TODAY)[0]["done"] == 1


# --- declarations gate activation ------------------------------------------------------------------------------

def status_of(store, pid):
    return store.scalar(f"select {roster.status_sql(TODAY)} from participants p where id = ?", (pid,))


def test_a_stint_missing_a_required_declaration_cannot_become_active(store):
    stint.set_required_declarations(store, ADMIN, ["integrity", "confidentiality"])
    with pytest.raises(PermissionDenied):
        stint.set_required_declarations(store, REVIEWER, [])
    # A new stint already under way is stored as planned, and stays planned while a declaration is missing.
    new = roster.create_participant(store, REVIEWER, today=TODAY, name="孙丽", batch="C1", home_unit_id=2,
                                    host_unit_id=1, start_date="2026-11-02", end_date="2027-08-31")
    assert store.scalar("select status from participants where id = ?", (new,)) == "planned"
    assert status_of(store, new) == "planned"
    assert [line["key"] for line in todo.for_actor(store, REVIEWER, TODAY)].count("declarations_missing") == 1
    stint.record_declaration(store, REVIEWER, new, "integrity", signed_on="2026-10-28")
    assert status_of(store, new) == "planned"
    with pytest.raises(ValidationError) as error:
        stint.record_declaration(store, REVIEWER, new, "integrity", signed_on="2026-10-29")
    assert error.value.reason == "duplicate"
    with pytest.raises(ValidationError) as error:
        stint.record_declaration(store, REVIEWER, new, "conflict", signed_on=(TODAY + timedelta(days=1)).isoformat())
    assert error.value.reason == "in_future"
    stint.record_declaration(store, REVIEWER, new, "confidentiality", signed_on="2026-10-28")
    assert status_of(store, new) == "active"          # by itself, once the last required one is in
    assert stint.declarations(store, SECONDEE, 1)["missing"] == ["integrity", "confidentiality"]
    # A stint that was already active stays so: the rule gates becoming active, not what has been.
    assert status_of(store, 1) == "active"
    # The import's new rows are held back the same way.
    with store.read() as db:
        assert roster.gate_activation(db.conn, None, "active") == "planned"
        assert roster.gate_activation(db.conn, 1, "active", "active") == "active"
    with pytest.raises(PermissionDenied):
        stint.record_declaration(store, SECONDEE, 1, "integrity", signed_on="2026-08-28")


# --- leave ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "days", "approver"), [
    ("2026-12-07", "2026-12-08", 2, "host"),       # Monday–Tuesday
    ("2026-12-07", "2026-12-11", 5, "org"),        # a whole working week
    ("2026-12-07", "2026-12-18", 10, "higher"),    # two
])
def test_leave_goes_to_the_approver_its_length_names(store, start, end, days, approver):
    made = leave.request(store, SECONDEE, 1, kind="personal", start_date=start, end_date=end, reason="家中有事")
    assert (made["days"], made["approver"], made["status"]) == (days, approver, "pending")


def test_the_thresholds_are_rules_and_holidays_are_not_leave_days(store):
    notify.set_rules(store, ADMIN, {"leave_host_days": 1, "leave_org_days": 2})
    made = leave.request(store, SECONDEE, 1, kind="sick", start_date="2026-12-07", end_date="2026-12-08", reason="病")
    assert made["approver"] == "org"
    with pytest.raises(ValidationError) as error:
        notify.set_rules(store, ADMIN, {"leave_org_days": 0})
    assert error.value.field == "rule_leave_org_days"
    with pytest.raises(ValidationError) as error:
        notify.set_rules(store, ADMIN, {"leave_host_days": 5})    # above the organisation department's 2
    assert error.value.reason == "below_host_days"
    # National Day 2026: 1–7 October are off, Saturday 10 October is a make-up working day (调休).
    with pytest.raises(ValidationError) as error:
        leave.request(store, REVIEWER, 4, kind="annual", start_date="2026-10-01", end_date="2026-10-07", reason="x")
    assert error.value.reason == "no_working_days"
    made = leave.request(store, REVIEWER, 4, kind="annual", start_date="2026-09-30", end_date="2026-10-11",
                         reason="年休")
    assert made["days"] == 4          # 30 Sep, 8, 9 and 10 Oct


def test_leave_is_checked_decided_and_closed(store):
    with pytest.raises(ValidationError) as error:
        leave.request(store, SECONDEE, 1, kind="personal", start_date="2027-09-01", end_date="2027-09-02", reason="x")
    assert error.value.field == "start_date" and error.value.reason == "outside_stint"
    with pytest.raises(ValidationError) as error:
        leave.request(store, SECONDEE, 1, kind="personal", start_date="2026-12-05", end_date="2026-12-06", reason="x")
    assert error.value.reason == "no_working_days"   # a weekend
    with pytest.raises(PermissionDenied):
        leave.request(store, OTHER, 1, kind="personal", start_date="2026-12-07", end_date="2026-12-07", reason="x")
    made = leave.request(store, SECONDEE, 1, kind="personal", start_date="2026-12-07", end_date="2026-12-07",
                         reason="x")
    with pytest.raises(ValidationError) as error:
        leave.request(store, SECONDEE, 1, kind="sick", start_date="2026-12-07", end_date="2026-12-09", reason="y")
    assert error.value.reason == "leave_overlaps"
    with pytest.raises(PermissionDenied):
        leave.decide(store, SECONDEE, made["id"], "approved")
    with pytest.raises(ValidationError):
        leave.decide(store, REVIEWER, made["id"], "rejected")      # a refusal says why
    leave.decide(store, REVIEWER, made["id"], "approved", note="同意")
    with pytest.raises(Conflict):
        leave.decide(store, REVIEWER, made["id"], "rejected", note="改主意")
    assert leave.list_leave(store, OTHER) == []                     # another secondee sees none of it
    assert [r["id"] for r in leave.list_leave(store, SECONDEE)] == [made["id"]]
    cancelled = leave.cancel(store, SECONDEE, made["id"])          # approved, not begun
    assert cancelled["status"] == "cancelled"


def test_approved_leave_removes_those_weeks_from_missing(store):
    # 赵敏 logged nothing since W30: W45–W47 would be missing. Leave covers all of W46 and W47.
    quiet = coverage.quiet_list(store, REVIEWER, today=TODAY).set_index("participant_id")
    assert quiet.loc[4, "quiet_weeks"] == 4 and bool(quiet.loc[4, "quiet_4"])
    made = leave.request(store, REVIEWER, 4, kind="sick", start_date="2026-11-09", end_date="2026-11-20",
                         reason="住院")
    before = coverage.coverage_matrix(store, REVIEWER, weeks=4, today=TODAY)
    assert set(before[before.participant_id == 4].state) == {"missing", "pending"}   # pending leave is not leave
    leave.decide(store, REVIEWER, made["id"], "approved")
    cells = {r.week: r.state for r in coverage.coverage_matrix(store, REVIEWER, weeks=4, today=TODAY).itertuples()
             if r.participant_id == 4}
    assert cells == {"2026-W45": "missing", "2026-W46": "leave", "2026-W47": "leave", "2026-W48": "pending"}
    quiet = coverage.quiet_list(store, REVIEWER, today=TODAY).set_index("participant_id")
    assert quiet.loc[4, "quiet_weeks"] == 2 and not bool(quiet.loc[4, "quiet_4"]) and bool(quiet.loc[4, "quiet_2"])
    # Part of a week is not the week: a day's leave in W45 leaves it missing.
    assert (4, "2026-W45") not in leave.leave_weeks(store, [4], "2026-W45", "2026-W45")
    # The reviewers' reminder of last week's missing logs does not count a week on leave.
    late = notify.rules(store)["week_to_reviewer_weeks"]
    assert late == 1
    with store.write() as db:
        assert (4, "2026-W47") in leave.leave_weeks(db.conn, [4], "2026-W47", "2026-W47")
    rows = leave.attendance(store, REVIEWER, month="2026-11", batch="C1")
    zhao = next(r for r in rows if r["participant_id"] == 4)
    assert (zhao["working_days"], zhao["leave_days"], zhao["leave_sick"], zhao["present_days"]) == (21, 10, 10, 11)
    assert leave.attendance_totals(rows)["leave_days"] == 10


# --- check-ins, visits, the assessment and the return ---------------------------------------------------------------

def test_the_monthly_self_check_is_drafted_from_the_approved_log_only(store):
    text = stint.checkin_draft(store, SECONDEE, 1, "2026-11", "zh")
    assert "指导支部**换届** — 完成换届选举" in text and "宣讲新政策" in text
    assert "协调用地审批" not in text                   # W46 is submitted, not approved
    assert text.index("【辅导员】") < text.index("【宣传员】")
    with pytest.raises(PermissionDenied):
        stint.checkin_draft(store, OTHER, 1, "2026-11")
    stint.save_checkin(store, SECONDEE, 1, "2026-10", summary="十月小结")
    row = stint.save_checkin(store, SECONDEE, 1, "2026-10", summary="十月小结（改）", submit=True)
    assert row["status"] == "submitted"
    with pytest.raises(Conflict):
        stint.save_checkin(store, SECONDEE, 1, "2026-10", summary="再改")
    with pytest.raises(ValidationError) as error:
        stint.save_checkin(store, SECONDEE, 1, "2026-12", summary="未来")
    assert error.value.reason == "in_future"
    with pytest.raises(ValidationError) as error:
        stint.save_checkin(store, SECONDEE, 1, "2026-08", summary="挂职前")
    assert error.value.reason == "outside_stint"
    months = stint.checkins(store, SECONDEE, 1, today=TODAY)
    assert [m["month"] for m in months] == ["2026-10", "2026-09"]
    assert [m["late"] for m in months] == [False, True]
    stint.acknowledge_checkin(store, REVIEWER, row["id"], "好")
    with pytest.raises(Conflict):
        stint.acknowledge_checkin(store, REVIEWER, row["id"])


def test_a_visit_puts_its_follow_ups_on_their_owners_list(store):
    with pytest.raises(ValidationError) as error:
        stint.record_visit(store, REVIEWER, 1, visit_date="2026-11-20", visitors="王科长",
                           actions=[{"action": "协调场地", "owner_id": 6, "due_date": "2026-12-01"}])
    assert error.value.field == "owner" and error.value.row == 1     # a liaison does not own follow-ups
    visit = stint.record_visit(store, REVIEWER, 1, visit_date="2026-11-20", visitors="王科长、李老师",
                               met="企业党支部书记", heard_enterprise="希望多宣讲政策", problems="场地紧张",
                               actions=[{"action": "协调场地", "owner_id": 2, "due_date": "2026-11-25"},
                                        {"action": "送政策上门", "owner_id": 1, "due_date": "2026-12-10"}])
    mine = stint.my_actions(store, REVIEWER, today=TODAY)
    assert [(a["action"], a["overdue"]) for a in mine] == [("协调场地", True)]
    line = next(x for x in todo.for_actor(store, REVIEWER, TODAY) if x["key"] == "follow_ups")
    assert (line["n"], line["params"]["late"], line["tone"], line["page"]) == (1, 1, "error", "lifecycle")
    stint.complete_action(store, REVIEWER, mine[0]["id"])
    assert stint.my_actions(store, REVIEWER, today=TODAY) == []
    with pytest.raises(PermissionDenied):
        stint.record_visit(store, SECONDEE, 1, visit_date="2026-11-20", visitors="我")
    shown = stint.visits(store, SECONDEE, 1)
    assert shown[0]["id"] == visit and len(shown[0]["actions"]) == 2


def test_the_assessment_runs_in_order_and_locks_at_the_conclusion(store):
    agree_all(store, agreements.draft(store, REVIEWER, 3, objectives=objectives(due="2026-06-30")))
    with pytest.raises(Conflict):
        assessment.conclude(store, REVIEWER, 3, "competent")          # the host unit's appraisal first
    assessment.save_self(store, REVIEWER.__class__(7, "admin2", "admin"), 3, "个人总结")
    draft = assessment.self_draft(store, ADMIN, 3, "zh")
    assert "counsellor 目标" in draft and "每月 1 次" in draft
    with pytest.raises(ValidationError) as error:
        assessment.record_host(store, REVIEWER, 3, scores={"de": "excellent"}, comment="好", signatory="王经理")
    assert error.value.field == "appraisal_neng"
    grades = dict.fromkeys(("de", "neng", "qin", "ji", "lian"), "good")
    assessment.record_host(store, REVIEWER, 3, scores=grades, comment="表现良好", signatory="王经理")
    assessment.record_home(store, REVIEWER, 3, view="同意", signatory="派出单位")
    done = assessment.conclude(store, REVIEWER, 3, "competent", "期满考核称职")
    assert assessment.stage(done) == "concluded"
    with pytest.raises(Conflict):
        assessment.record_home(store, REVIEWER, 3, view="改", signatory="x")
    with pytest.raises(PermissionDenied):
        assessment.conclude(store, VIEWER, 3, "excellent")
    back = stint.record_return(store, REVIEWER, 3, return_date="2026-09-01", outcome="promoted", post="副科长")
    assert back["outcome"] == "promoted"
    with pytest.raises(ValidationError) as error:
        stint.record_return(store, REVIEWER, 3, return_date="2024-01-01", outcome="promoted")
    assert error.value.reason == "before_start"
    outcome = next(r for r in stint.outcomes(store, VIEWER, today=TODAY) if r["batch"] == "C2")
    assert (outcome["people"], outcome["completed"], outcome["conclusion_competent"], outcome["outcome_promoted"],
            outcome["returned"]) == (1, 1, 1, 1, 1)


def tampered(token: str) -> str:
    """The token with one character of its signature changed (not its last: base64's last character may carry
    padding bits, so changing it can leave the signature the same)."""
    i = len(token) - 6
    return token[:i] + ("B" if token[i] != "B" else "C") + token[i + 1:]


def test_a_host_link_works_once_until_it_expires(store, monkeypatch):
    made = assessment.issue_link(store, REVIEWER, 3, contact="王经理")
    seen = assessment.open_link(store, made["token"])
    assert seen["person"]["name"] == "王强" and seen["link"]["contact"] == "王经理"
    assert set(seen) == {"link", "person", "objectives", "work", "self_text"}
    grades = dict.fromkeys(("de", "neng", "qin", "ji", "lian"), "excellent")
    with pytest.raises(ValidationError):
        assessment.submit_link(store, made["token"], scores=grades, comment="", signatory="王经理")
    assert assessment.open_link(store, made["token"])["person"]["id"] == 3      # a bad form leaves it unused
    assessment.submit_link(store, made["token"], scores=grades, comment="优秀", signatory="王经理")
    for attempt in (lambda: assessment.open_link(store, made["token"]),
                    lambda: assessment.submit_link(store, made["token"], scores=grades, comment="再", signatory="x")):
        with pytest.raises(assessment.LinkRefused):
            attempt()
    row = assessment.get(store, REVIEWER, 3)
    assert (row["host_de"], row["host_signatory"], row["stage"]) == ("excellent", "王经理", "host")
    who = store.rows("select username, action from audit_log where table_name in ('host_links', 'assessments') "
                     "order by id")
    assert [w["action"] for w in who] == ["link_issued", "link_used", "host_appraisal"]
    assert who[-1]["username"].startswith("host-link:")
    with pytest.raises(Conflict):
        assessment.issue_link(store, REVIEWER, 3, contact="王经理")           # nothing left to fill

    # Expiry: a link issued for person 4 stops working after host_link_days.
    late = assessment.issue_link(store, REVIEWER, 4, contact="赵经理")
    days = notify.rules(store)["host_link_days"]
    monkeypatch.setenv("SECONDMENT_TODAY", (TODAY + timedelta(days=days + 1)).isoformat())
    with pytest.raises(assessment.LinkRefused):
        assessment.open_link(store, late["token"])
    monkeypatch.setenv("SECONDMENT_TODAY", TODAY.isoformat())
    # A new link withdraws the old; an altered or foreign token is refused.
    newer = assessment.issue_link(store, REVIEWER, 4, contact="赵经理")
    with pytest.raises(assessment.LinkRefused):
        assessment.open_link(store, late["token"])
    assert assessment.open_link(store, newer["token"])["person"]["id"] == 4
    for bad in ("", "x" * 500, tampered(newer["token"]), late["token"].split(".")[0] + "." + newer["token"].split(
            ".", 1)[1], None, 42):
        with pytest.raises(assessment.LinkRefused):
            assessment.open_link(store, bad)
    assert "token" not in str(store.rows("select * from host_links"))   # only the nonce's hash is kept
    assert all(newer["token"] not in (r["after"] or "") for r in store.rows("select after from audit_log"))


# --- the board -----------------------------------------------------------------------------------------------

def test_the_board_matches_a_hand_built_batch(store):
    stint.set_required_declarations(store, ADMIN, ["integrity"])
    agree_all(store, agreements.draft(store, REVIEWER, 1, objectives=objectives()))
    agreements.draft(store, REVIEWER, 4, objectives=objectives(due="2027-01-04"))        # a draft only
    stint.record_declaration(store, REVIEWER, 1, "integrity", signed_on="2026-08-25")
    stint.record_declaration(store, REVIEWER, 1, "conflict", signed_on="2026-08-25")
    stint.save_checkin(store, SECONDEE, 1, "2026-09", summary="九月", submit=True)
    stint.save_checkin(store, SECONDEE, 1, "2026-10", summary="十月")                     # a draft: not in
    stint.record_visit(store, REVIEWER, 1, visit_date="2026-10-15", visitors="王科长")
    for pid, start, end in ((1, "2026-12-07", "2026-12-08"), (4, "2026-11-09", "2026-11-13")):
        made = leave.request(store, REVIEWER, pid, kind="personal", start_date=start, end_date=end, reason="x")
        leave.decide(store, REVIEWER, made["id"], "approved")
    leave.request(store, REVIEWER, 4, kind="personal", start_date="2026-12-14", end_date="2026-12-14", reason="待批")

    rows = {r["name"]: r for r in stint.board(store, VIEWER, "C1", today=TODAY)}
    assert list(rows) == ["张伟", "赵敏"]                                      # pinyin order
    zhang, zhao = rows["张伟"], rows["赵敏"]
    assert {k: zhang[k] for k in ("agreement", "version", "declarations", "declarations_required", "checkins",
                                  "checkins_due", "visits", "last_visit", "leave_days", "assessment")} == {
        "agreement": "agreed", "version": 1, "declarations": 2, "declarations_required": 1, "checkins": 1,
        "checkins_due": 2, "visits": 1, "last_visit": "2026-10-15", "leave_days": 2, "assessment": "not_started"}
    assert zhang["late"] == ["checkins"]                                       # October's is past 5 November
    # 赵敏: started in January; agreement only drafted, no integrity pledge, ten months without check-ins or a visit.
    assert (zhao["agreement"], zhao["version"], zhao["declarations"], zhao["checkins"], zhao["checkins_due"],
            zhao["visits"], zhao["leave_days"]) == ("draft", 1, 0, 0, 10, 0, 5)
    assert zhao["late"] == ["agreement", "declarations", "checkins", "visit"]
    totals = stint.board_totals(list(rows.values()))
    assert (totals["people"], totals["agreed"], totals["late_people"], totals["late"]["checkins"]) == (2, 1, 2, 2)
    with pytest.raises(PermissionDenied):
        stint.board(store, SECONDEE, "C1")
    done = {r["name"]: r for r in stint.board(store, VIEWER, "C2", today=TODAY)}["王强"]
    assert done["late"] == ["assessment", "return"]          # ended 31 August, nothing recorded since


def test_every_lifecycle_write_is_audited(store):
    version = agreements.draft(store, REVIEWER, 1, objectives=objectives())
    agreements.agree(store, REVIEWER, version["id"], "org", signatory="组织部")
    stint.record_declaration(store, REVIEWER, 1, "integrity", signed_on="2026-08-25")
    stint.save_checkin(store, SECONDEE, 1, "2026-10", summary="十月")
    stint.record_visit(store, REVIEWER, 1, visit_date="2026-10-15", visitors="王科长",
                       actions=[{"action": "跟进", "owner_id": 2, "due_date": "2026-12-01"}])
    leave.request(store, SECONDEE, 1, kind="personal", start_date="2026-12-07", end_date="2026-12-07", reason="x")
    stint.record_return(store, REVIEWER, 3, return_date="2026-09-01", outcome="retained")
    tables = {r["table_name"] for r in store.rows("select table_name from audit_log")}
    assert {"agreements", "objectives", "agreement_parties", "declarations", "checkins", "visits", "visit_actions",
            "leave_requests", "returns"} <= tables
    rows = audit.browse(store, REVIEWER, table="leave_requests")
    assert rows


def test_the_clock_is_the_pinned_one(store):
    assert clock.today() == TODAY


def test_the_stints_news_reaches_the_secondee_and_the_follow_ups_owner(store):
    version = agree_all(store, agreements.draft(store, REVIEWER, 1, objectives=objectives()))
    made = leave.request(store, SECONDEE, 1, kind="personal", start_date="2026-12-07", end_date="2026-12-07",
                         reason="x")
    leave.decide(store, REVIEWER, made["id"], "approved")
    checkin = stint.save_checkin(store, SECONDEE, 1, "2026-10", summary="十月", submit=True)
    stint.acknowledge_checkin(store, REVIEWER, checkin["id"])
    stint.record_visit(store, REVIEWER, 1, visit_date="2026-11-20", visitors="王科长",
                       actions=[{"action": "协调场地", "owner_id": 1, "due_date": "2026-12-01"}])
    notify.sweep(store)
    mine = {r["kind"]: r for r in notify.recent(store, SECONDEE, "zh")}
    assert {"agreement_in_force", "leave_approved", "checkin_acknowledged"} <= set(mine)
    assert mine["leave_approved"]["page"] == "stint"
    assert mine["leave_approved"]["text"] == "您 2026-12-07 至 2026-12-07 的请假已批准"
    assert notify.recent(store, OTHER, "zh") == []
    owner = notify.recent(store, ADMIN, "en")
    assert [r["kind"] for r in owner] == ["follow_up_assigned"]
    assert owner[0]["text"] == "A visit follow-up is yours (张伟): 协调场地, due 2026-12-01"
    assert version["version"] == 1


def test_an_agreement_is_dated_when_it_can_have_been_signed_and_a_conclusion_waits_for_the_end(store):
    version = agreements.draft(store, REVIEWER, 1, objectives=objectives())
    for day, reason in (((TODAY + timedelta(days=1)).isoformat(), "in_future"), ("2001-01-01", "before_draft")):
        with pytest.raises(ValidationError) as error:
            agreements.agree(store, REVIEWER, version["id"], "home", signatory="李书记", on=day)
        assert (error.value.field, error.value.reason) == ("agreed_on", reason)
    # 赵敏's stint ends 2027-01-04: the conclusion opens a month before, and needs the self-assessment.
    grades = dict.fromkeys(("de", "neng", "qin", "ji", "lian"), "good")
    assessment.record_host(store, REVIEWER, 4, scores=grades, comment="好", signatory="赵经理")
    with pytest.raises(Conflict) as error:
        assessment.conclude(store, REVIEWER, 4, "competent")
    assert error.value.key == "error.assessment_too_early" and "2026-12-05" in error.value.message("zh")
    assessment.record_host(store, REVIEWER, 3, scores=grades, comment="好", signatory="王经理")
    with pytest.raises(Conflict) as error:
        assessment.conclude(store, REVIEWER, 3, "competent")
    assert error.value.key == "error.assessment_needs_self"


def test_the_record_the_profile_and_the_board_count_self_checks_alike(demo_store, as_user):
    """"月度小结 2 / 3" on the stint record and the profile, and the board's row, for every person of the current
    batches: the months due by now (and any handed in early), one rule."""
    reviewer = as_user("demo_reviewer")
    for code in [r["code"] for r in demo_store.rows("select code from batches order by start_date desc limit 2")]:
        for row in stint.board(demo_store, reviewer, code):
            whole = stint.summary(demo_store, reviewer, row["participant_id"])
            assert (whole["checkins_done"], whole["checkins_due"]) == (row["checkins"], row["checkins_due"]), row
