"""Weekly activity logging: the core's refusals, the submit/return/resubmit cycle, and search (Chinese too)."""
from datetime import date

import pytest

from secondment import activities
from secondment.errors import Conflict, PermissionDenied, ValidationError, ValidationErrors
from secondment.permissions import Actor

TODAY = date(2026, 11, 26)          # a Thursday in 2026-W48
WEEK = "2026-W48"                   # 2026-11-23 … 2026-11-29
LAST_WEEK = "2026-W47"              # 2026-11-16 … 2026-11-22


def build(store):
    """Two batches, one enterprise, a cadre (1), a talent (2), another cadre (3); users for every role."""
    with store.write() as db:
        x = db.conn.execute
        x("insert into batches(id, code, direction, intake_year, start_date, end_date) values "
          "(1, 'C5', 'cadre_to_enterprise', 2026, '2026-09-01', '2027-08-31'), "
          "(2, 'T4', 'talent_to_government', 2026, '2026-09-01', '2027-08-31')")
        x("insert into units(id, name, kind, industry) values (1, '华东软件有限公司', 'enterprise', '软件'), "
          "(2, '区委组织部', 'party_org', null)")
        for pid, name, batch, start in ((1, '张伟', 1, '2026-09-01'), (2, '李娜', 2, '2026-09-01'),
                                        (3, '王强', 1, '2026-09-01')):
            x("insert into participants(id, name, batch_id, home_unit_id, host_unit_id, start_date, end_date, status) "
              "values (?, ?, ?, 2, 1, ?, '2027-08-31', 'active')", (pid, name, batch, start))
        for uid, username, role, pid in ((1, 'admin', 'admin', None), (2, 'reviewer', 'reviewer', None),
                                          (3, 'cadre', 'secondee', 1), (4, 'talent', 'secondee', 2),
                                          (5, 'viewer', 'viewer', None), (6, 'other', 'secondee', 3)):
            x("insert into users(id, username, role, participant_id, password_hash) values (?, ?, ?, ?, 'x')",
              (uid, username, role, pid))
    return store


def actor(username):
    return {
        "admin": Actor(1, "admin", "admin"), "reviewer": Actor(2, "reviewer", "reviewer"),
        "cadre": Actor(3, "cadre", "secondee", participant_id=1),
        "talent": Actor(4, "talent", "secondee", participant_id=2),
        "viewer": Actor(5, "viewer", "viewer"), "other": Actor(6, "other", "secondee", participant_id=3),
    }[username]


@pytest.fixture
def store(empty_store):
    return build(empty_store)


def add(store, who="cadre", pid=1, **values):
    entry = {"date": "2026-11-24", "role": "counsellor", "title": "指导党支部开展主题党日", "hours": 2,
             "description": "与企业党支部书记一起梳理党建工作中的难点", "week": WEEK, "today": TODAY}
    entry.update(values)
    return activities.add_entry(store, actor(who), pid, **entry)


def reasons(error):
    errors = error.errors if isinstance(error, ValidationErrors) else [error]
    return {(e.field, e.reason) for e in errors}


# --- adding -----------------------------------------------------------------------------------------

def test_add_entry_records_week_and_audit(store):
    entry_id = add(store)
    row = store.one("select * from activities where id = ?", (entry_id,))
    assert (row["week"], row["role"], row["hours"], row["created_by"]) == (WEEK, "counsellor", 2.0, 3)
    audit = store.one("select * from audit_log where table_name = 'activities' and row_id = ?", (str(entry_id),))
    assert audit["action"] == "insert" and audit["username"] == "cadre"


@pytest.mark.parametrize("day, reason", [
    ("2026-08-31", "outside_stint"),       # the day before the stint starts
    ("2026-11-27", "in_future"),           # tomorrow
    ("2026-11-20", "outside_week"),        # inside the stint but in last week, not the chosen one
])
def test_refuses_dates(store, day, reason):
    with pytest.raises(ValidationError) as error:
        add(store, date=day, week=None if reason == "outside_stint" else WEEK)
    assert (error.value.field, error.value.reason) == ("date", reason)
    assert store.scalar("select count(*) from activities") == 0


def test_refuses_a_date_after_the_stint(store):
    with store.write() as db:
        db.conn.execute("update participants set end_date = '2026-11-20' where id = 1")
    with pytest.raises(ValidationError) as error:
        add(store, date="2026-11-23", week=None)
    assert error.value.reason == "outside_stint"


@pytest.mark.parametrize("who, pid, role", [
    ("cadre", 1, "learning"), ("cadre", 1, "bridge"), ("talent", 2, "counsellor"), ("talent", 2, "info_officer")])
def test_refuses_a_role_of_the_other_direction(store, who, pid, role):
    with pytest.raises(ValidationError) as error:
        add(store, who, pid, role=role)
    assert (error.value.field, error.value.reason) == ("role", "wrong_direction")


@pytest.mark.parametrize("who, pid, role", [("cadre", 1, "info_officer"), ("talent", 2, "party_practice")])
def test_accepts_a_role_of_own_direction(store, who, pid, role):
    assert add(store, who, pid, role=role)


def test_reports_every_bad_field_at_once(store):
    with pytest.raises(ValidationErrors) as error:
        add(store, title="  ", hours=30, role="bridge")
    assert reasons(error.value) == {("title", "required"), ("hours", "hours_range"), ("role", "wrong_direction")}


def test_secondee_cannot_write_for_someone_else(store):
    with pytest.raises(PermissionDenied):
        add(store, "cadre", 3)
    other = add(store, "other", 3)
    with pytest.raises(PermissionDenied):
        activities.update_entry(store, actor("cadre"), other, title="改掉", today=TODAY)
    with pytest.raises(PermissionDenied):
        activities.delete_entry(store, actor("cadre"), other)
    with pytest.raises(PermissionDenied):
        activities.submit_week(store, actor("cadre"), 3, WEEK)
    assert store.one("select title from activities where id = ?", (other,))["title"] == "指导党支部开展主题党日"


@pytest.mark.parametrize("who", ["reviewer", "viewer"])
def test_reviewers_and_viewers_do_not_log(store, who):
    with pytest.raises(PermissionDenied):
        add(store, who, 1)


def test_admin_may_act_for_anyone(store):
    entry_id = add(store, "admin", 3)
    activities.update_entry(store, actor("admin"), entry_id, hours=3.5, today=TODAY)
    activities.submit_week(store, actor("admin"), 3, WEEK)
    assert activities.week_state(store, actor("admin"), 3, WEEK)["state"] == "submitted"
    assert store.scalar("select count(*) from audit_log where username = 'admin'") == 3


# --- submit, return, resubmit ------------------------------------------------------------------------------

def test_cannot_submit_an_empty_week(store):
    with pytest.raises(Conflict) as error:
        activities.submit_week(store, actor("cadre"), 1, WEEK)
    assert error.value.key == "error.week_empty"


@pytest.mark.parametrize("decision", [None, "approve"])
def test_refuses_changes_after_submission(store, decision):
    entry_id = add(store)
    activities.submit_week(store, actor("cadre"), 1, WEEK)
    if decision:
        activities.review_week(store, actor("reviewer"), 1, WEEK, decision)
    for attempt in (lambda: activities.update_entry(store, actor("cadre"), entry_id, title="新标题", today=TODAY),
                    lambda: activities.delete_entry(store, actor("cadre"), entry_id),
                    lambda: add(store, title="补一条"),
                    lambda: activities.update_entry(store, actor("admin"), entry_id, hours=1, today=TODAY),
                    lambda: activities.submit_week(store, actor("cadre"), 1, WEEK)):
        with pytest.raises(Conflict) as error:
            attempt()
        assert error.value.key == "error.week_locked"
    assert store.scalar("select count(*) from activities") == 1
    assert store.one("select title from activities")["title"] == "指导党支部开展主题党日"
    assert activities.week_state(store, actor("cadre"), 1, WEEK)["editable"] is False


def test_cannot_move_an_entry_into_a_submitted_week(store):
    add(store, date="2026-11-18", week=LAST_WEEK)
    activities.submit_week(store, actor("cadre"), 1, LAST_WEEK)
    entry_id = add(store)
    with pytest.raises(Conflict):
        activities.update_entry(store, actor("cadre"), entry_id, date="2026-11-19", today=TODAY)


def test_returned_week_can_be_corrected_and_resubmitted(store):
    entry_id = add(store)
    activities.submit_week(store, actor("cadre"), 1, WEEK)
    state = activities.review_week(store, actor("reviewer"), 1, WEEK, "return", "请补充工作成效")
    assert (state["state"], state["comment"], state["editable"]) == ("returned", "请补充工作成效", True)
    weeks = activities.my_weeks(store, actor("cadre"), today=TODAY)
    assert weeks[0] == {**weeks[0], "week": WEEK, "state": "returned", "comment": "请补充工作成效", "entries": 1}

    activities.update_entry(store, actor("cadre"), entry_id, outcome="支部制定了年度计划", week=WEEK, today=TODAY)
    add(store, title="宣讲区委全会精神", role="publicist", date="2026-11-25")
    assert activities.submit_week(store, actor("cadre"), 1, WEEK)["state"] == "submitted"
    state = activities.review_week(store, actor("reviewer"), 1, WEEK, "approve")
    assert (state["state"], state["entries"], state["hours"]) == ("approved", 2, 4.0)
    actions = [r["action"] for r in store.rows(
        "select action from audit_log where table_name = 'week_reviews' order by id")]
    assert actions == ["submit", "return", "submit", "approve"]


@pytest.mark.parametrize("who", ["cadre", "viewer", "talent"])
def test_review_needs_a_reviewer(store, who):
    add(store)
    activities.submit_week(store, actor("cadre"), 1, WEEK)
    with pytest.raises(PermissionDenied):
        activities.review_week(store, actor(who), 1, WEEK, "approve")
    assert activities.week_state(store, actor("reviewer"), 1, WEEK)["state"] == "submitted"


def test_return_needs_a_comment_and_a_submitted_week(store):
    add(store)
    with pytest.raises(Conflict) as error:
        activities.review_week(store, actor("reviewer"), 1, WEEK, "approve")
    assert error.value.key == "error.week_not_submitted"
    activities.submit_week(store, actor("cadre"), 1, WEEK)
    with pytest.raises(ValidationError) as bad:
        activities.review_week(store, actor("reviewer"), 1, WEEK, "return", "   ")
    assert (bad.value.field, bad.value.reason) == ("comment", "required")
    assert activities.week_state(store, actor("reviewer"), 1, WEEK)["state"] == "submitted"


def test_review_queue_lists_submitted_weeks(store):
    add(store)
    add(store, "talent", 2, role="learning", title="学习公文写作")
    activities.submit_week(store, actor("cadre"), 1, WEEK)
    queue = activities.list_weeks(store, actor("reviewer"))
    assert [(q["name"], q["week"], q["entries"], q["hours"]) for q in queue] == [("张伟", WEEK, 1, 2.0)]
    with pytest.raises(PermissionDenied):
        activities.list_weeks(store, actor("cadre"))


def test_reviewed_weeks_come_newest_review_first_and_a_limit_keeps_the_newest(demo_store):
    """The reviewed weeks' list is the newest reviews (a national programme has hundreds of thousands), not the
    oldest submissions sorted afterwards; the queue stays oldest submission first."""
    from conftest import actor_for

    reviewer = actor_for(demo_store, "demo_reviewer")
    done = activities.list_weeks(demo_store, reviewer, state=["approved", "returned"], limit=7)
    newest = demo_store.rows("select participant_id, week from week_reviews where state in ('approved', 'returned') "
                             "order by reviewed_at desc, week desc limit 7")
    assert [(r["participant_id"], r["week"]) for r in done] == [(r["participant_id"], r["week"]) for r in newest]
    assert [r["reviewed_at"] for r in done] == sorted((r["reviewed_at"] for r in done), reverse=True)
    queue = activities.list_weeks(demo_store, reviewer, state="submitted")
    assert [r["submitted_at"] for r in queue] == sorted(r["submitted_at"] for r in queue)


# --- weeks --------------------------------------------------------------------------------------------------------

def test_allowed_weeks_stay_inside_the_stint():
    person = {"start_date": "2026-09-01", "end_date": "2027-08-31"}
    weeks = activities.allowed_weeks(person, TODAY)
    assert weeks[0] == WEEK and weeks[-1] == "2026-W36" and len(weeks) == 13
    ended = activities.allowed_weeks({"start_date": "2026-09-01", "end_date": "2026-09-20"}, TODAY)
    assert ended == ["2026-W38", "2026-W37", "2026-W36"]
    assert activities.allowed_weeks({"start_date": "2026-12-01", "end_date": "2027-08-31"}, TODAY) == []


def test_my_weeks_shows_recent_weeks_with_figures(store):
    add(store, hours=1.5)
    add(store, date="2026-11-17", week=LAST_WEEK, hours=3)
    activities.submit_week(store, actor("cadre"), 1, LAST_WEEK)
    weeks = activities.my_weeks(store, actor("cadre"), count=3, today=TODAY)
    assert [(w["week"], w["entries"], w["hours"], w["state"]) for w in weeks] == [
        (WEEK, 1, 1.5, "not_submitted"), (LAST_WEEK, 1, 3.0, "submitted"), ("2026-W46", 0, 0.0, "not_submitted")]
    with pytest.raises(PermissionDenied):
        activities.my_weeks(store, actor("cadre"), 2, today=TODAY)


# --- reading and search ---------------------------------------------------------------------------------------------

@pytest.fixture
def searchable(store):
    add(store, title="主题党日", description="组织企业党员学习二十届四中全会精神，讨论如何落实")
    add(store, title="走访车间", role="info_officer", description="了解职工思想动态和生产经营情况", date="2026-11-25")
    add(store, "talent", 2, role="learning", title="Learning the budget process",
        description="Sat in on the street office's budget meeting")
    return store


@pytest.mark.parametrize("query, titles", [
    ("四中全会", {"主题党日"}),               # a phrase inside a description
    ("党员学习二十届", {"主题党日"}),
    ("思想动态", {"走访车间"}),
    ("全会", {"主题党日"}),                   # two characters: below the trigram length, found with LIKE
    ("职", {"走访车间"}),                     # one character
    ("走访车间", {"走访车间"}),               # a title
    ("budget meeting", {"Learning the budget process"}),
    ("BUDGET", {"Learning the budget process"}),
    ("党", {"主题党日"}),
    ("不存在的短语", set()),
    ('"引号', set()),                         # quotes cannot break the FTS query
])
def test_search_finds_phrases(searchable, query, titles):
    rows, total = activities.list_entries(searchable, actor("reviewer"), text=query)
    assert {r["title"] for r in rows} == titles and total == len(titles)


def test_secondee_lists_only_own_entries(searchable):
    rows, total = activities.list_entries(searchable, actor("talent"))
    assert total == 1 and {r["participant_id"] for r in rows} == {2}
    rows, _ = activities.list_entries(searchable, actor("talent"), participant_id=1)
    assert rows == []


def test_filters_combine(searchable):
    activities.submit_week(searchable, actor("cadre"), 1, WEEK)
    rows, _ = activities.list_entries(searchable, actor("reviewer"), state="submitted")
    assert {r["title"] for r in rows} == {"主题党日", "走访车间"}
    rows, _ = activities.list_entries(searchable, actor("reviewer"), state=["not_submitted"])
    assert {r["participant_id"] for r in rows} == {2}
    rows, _ = activities.list_entries(searchable, actor("reviewer"), role="info_officer",
                                      direction="cadre_to_enterprise")
    assert [r["title"] for r in rows] == ["走访车间"]
    rows, _ = activities.list_entries(searchable, actor("reviewer"), batch="T4", week_from=WEEK, week_to=WEEK)
    assert [r["participant_id"] for r in rows] == [2]
    rows, total = activities.list_entries(searchable, actor("reviewer"), week_to=LAST_WEEK)
    assert (rows, total) == ([], 0)


def test_search_index_follows_edits_and_deletes(searchable):
    rows, _ = activities.list_entries(searchable, actor("reviewer"), text="思想动态")
    entry_id = rows[0]["id"]
    activities.update_entry(searchable, actor("cadre"), entry_id, description="了解企业融资需求", today=TODAY)
    assert activities.list_entries(searchable, actor("reviewer"), text="思想动态")[1] == 0
    assert activities.list_entries(searchable, actor("reviewer"), text="融资需求")[1] == 1
    activities.delete_entry(searchable, actor("cadre"), entry_id)
    assert activities.list_entries(searchable, actor("reviewer"), text="融资需求")[1] == 0


@pytest.mark.parametrize("lang, columns", [
    ("zh", ["挂职人员", "批次", "挂职方向", "周次", "日期", "履职类别", "标题", "工作内容", "时长（小时）", "成效", "审核状态"]),
    ("en", ["Participant", "Batch", "Direction", "Week", "Date", "Role", "Title", "Description", "Hours", "Outcome",
            "Review state"]),
])
def test_export_frame_is_labelled(searchable, lang, columns):
    frame = activities.export_frame(searchable, actor("reviewer"), lang, text="四中全会")
    assert list(frame.columns) == columns
    assert frame.iloc[0].tolist()[:6] == ["张伟", "C5", "干部→企业" if lang == "zh" else "Cadre → enterprise", WEEK,
                                          "2026-11-24", "辅导员" if lang == "zh" else "Counsellor"]
    with pytest.raises(PermissionDenied):
        activities.export_frame(searchable, actor("cadre"), lang)


def test_chinese_punctuation_is_kept_as_typed(store):
    entry_id = add(store, title="　主题党日：学习　", description="梳理难点，明确措施。", outcome="形成清单（初稿）")
    row = store.one("select title, description, outcome from activities where id = ?", (entry_id,))
    assert row == {"title": "主题党日：学习", "description": "梳理难点，明确措施。", "outcome": "形成清单（初稿）"}
    rows, _ = activities.list_entries(store, actor("reviewer"), text="难点，明确")
    assert [r["id"] for r in rows] == [entry_id]


def test_approving_several_weeks_is_all_or_none(store):
    add(store)
    add(store, "talent", 2, role="learning", title="学习公文写作")
    activities.submit_week(store, actor("cadre"), 1, WEEK)
    # 2's week was never submitted: nothing is approved, and the error names the week.
    with pytest.raises(Conflict) as error:
        activities.approve_weeks(store, actor("reviewer"), [(1, WEEK), (2, WEEK)])
    assert WEEK in error.value.message("zh")
    assert activities.week_state(store, actor("reviewer"), 1, WEEK)["state"] == "submitted"
    activities.submit_week(store, actor("talent"), 2, WEEK)
    with pytest.raises(PermissionDenied):
        activities.approve_weeks(store, actor("viewer"), [(1, WEEK)])
    assert activities.approve_weeks(store, actor("reviewer"), [(1, WEEK), (2, WEEK), (1, WEEK)], "好") == 2
    assert {activities.week_state(store, actor("reviewer"), p, WEEK)["state"] for p in (1, 2)} == {"approved"}
    assert store.scalar("select count(*) from audit_log where action = 'approve'") == 2
    with pytest.raises(ValidationError):
        activities.approve_weeks(store, actor("reviewer"), [])
