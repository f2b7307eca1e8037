"""Roster services: filters, scope, validation, writes with audit, profile aggregates, export."""
from __future__ import annotations

import json
from datetime import date

import pytest

from secondment import roster
from secondment.errors import Conflict, NotFound, PermissionDenied, ValidationError
from secondment.permissions import Actor

TODAY = date(2026, 1, 15)
REVIEWER = Actor(user_id=901, username="rev", role="reviewer", display_name="Rev")
ADMIN = Actor(user_id=902, username="adm", role="admin")
VIEWER = Actor(user_id=903, username="boss", role="viewer")


def build_small(store):
    """Three batches, five units, four people: figures small enough to check by hand."""
    with store.write() as db:
        c = db.conn
        c.executemany("insert into batches(id, code, direction, intake_year, start_date, end_date) "
                      "values (?,?,?,?,?,?)", [
            (1, "C1", "cadre_to_enterprise", 2016, "2016-03-01", "2017-02-28"),
            (2, "T1", "talent_to_government", 2017, "2017-03-01", "2018-02-28"),
            (3, "C2", "cadre_to_enterprise", 2025, "2025-09-01", "2026-08-31"),
        ])
        c.executemany("insert into units(id, name, kind, street) values (?,?,?,?)", [
            (1, "区商务委", "government_department", None),
            (2, "长寿路街道", "street_town", "长寿路街道"),
            (3, "甲科技有限公司", "enterprise", "长寿路街道"),
            (4, "乙实业有限公司", "enterprise", "桃浦镇"),
            (5, "区团委", "party_org", None),
        ])
        c.executemany(
            "insert into participants(id, name, gender, batch_id, home_unit_id, host_unit_id, post, start_date, "
            "end_date, status, contact, notes) values (?,?,?,?,?,?,?,?,?,?,?,?)", [
                (1, "王芳", "female", 1, 1, 3, "党建指导员", "2016-03-01", "2017-02-28", "completed", "=1+1", None),
                (2, "张伟", "male", 1, 2, 4, "总经理助理", "2016-03-01", "2017-02-28", "completed", None, None),
                (3, "李娜", "female", 2, 3, 5, "团委副书记", "2017-03-01", "2018-02-28", "completed", None, None),
                (4, "赵磊", "male", 3, 1, 4, "党建指导员", "2025-09-01", "2026-08-31", "active", None, None),
            ])
        # 赵磊 logged two weeks: 2025-W37 (approved, 2 entries) and 2025-W38 (1 entry, not submitted).
        c.executemany("insert into activities(participant_id, date, week, role, title, hours) values (?,?,?,?,?,?)", [
            (4, "2025-09-08", "2025-W37", "counsellor", "指导支部", 2.0),
            (4, "2025-09-10", "2025-W37", "info_officer", "收集信息", 1.5),
            (4, "2025-09-16", "2025-W38", "counsellor", "主题党日", 3.0),
        ])
        c.execute("insert into week_reviews(participant_id, week, state) values (4, '2025-W37', 'approved')")
        c.execute("insert into feedback(id, participant_id, category, summary, urgency, department_id, status, "
                  "created_at) values (1, 4, 'policy', '政策咨询', 'normal', 1, 'accepted', '2025-09-20T00:00:00Z')")
        c.executemany("insert into practices(title, status, participant_id, created_at) values (?,?,?,?)", [
            ("支部共建", "promoted", 4, "2025-10-01T00:00:00Z"), ("草稿做法", "draft", 4, "2025-10-02T00:00:00Z")])
    return store


@pytest.fixture
def small(empty_store):
    return build_small(empty_store)


SECONDEE = Actor(user_id=904, username="wf", role="secondee", participant_id=1)
LIAISON = Actor(user_id=905, username="liaison", role="liaison", department_id=5)


def names(rows):
    return [r["name"] for r in rows]


# --- reading -------------------------------------------------------------------------------------------

def test_newest_batch_first_then_pinyin(small):
    # C2 (2025) serving now, then T1 (2017), then C1 (2016): 王 (wang) before 张 (zhang).
    assert names(roster.list_participants(small, REVIEWER, today=TODAY)) == ["赵磊", "李娜", "王芳", "张伟"]


@pytest.mark.parametrize("filters, expected", [
    ({"direction": "talent_to_government"}, ["李娜"]),
    ({"batch": "C1"}, ["王芳", "张伟"]),
    ({"batch": " c1 "}, ["王芳", "张伟"]),
    ({"status": "active"}, ["赵磊"]),
    ({"host_unit": 4}, ["赵磊", "张伟"]),
    ({"host_unit": "乙实业"}, ["赵磊", "张伟"]),
    ({"street": "长寿路街道"}, ["李娜", "王芳", "张伟"]),
    ({"street": "桃浦镇"}, ["赵磊", "张伟"]),
    ({"year": 2025}, ["赵磊"]),
    ({"text": "团委"}, ["李娜"]),
    ({"text": "ｃ２"}, ["赵磊"]),   # full-width search text
    ({"batch": "C1", "text": "指导员"}, ["王芳"]),
    ({"text": "nobody"}, []),
])
def test_filters(small, filters, expected):
    assert names(roster.list_participants(small, REVIEWER, today=TODAY, **filters)) == expected


def test_status_moves_on_with_the_dates(small):
    # 赵磊 is stored "active" with a stint to 2026-08-31; 张伟 is withdrawn, which is a decision and stays.
    with small.write() as db:
        db.conn.execute("update participants set status = 'withdrawn' where id = 2")
    def status(day):
        return {r["name"]: r["status"] for r in roster.list_participants(small, REVIEWER, today=day)}

    assert status(date(2025, 8, 1))["赵磊"] == "planned"
    assert status(date(2025, 9, 1))["赵磊"] == "active"
    assert status(date(2026, 9, 1))["赵磊"] == "completed"
    assert status(date(2026, 9, 1))["张伟"] == "withdrawn"
    assert names(roster.list_participants(small, REVIEWER, status="completed", today=date(2026, 9, 1))) == \
        ["赵磊", "李娜", "王芳"]
    assert roster.get_participant(small, REVIEWER, 4, today=date(2026, 9, 1))["stored_status"] == "active"
    assert [b["active"] for b in roster.list_batches(small, REVIEWER, today=date(2026, 9, 1))] == [0, 0, 0]


def test_rows_carry_labels_for_the_table(small):
    row = roster.list_participants(small, REVIEWER, batch="T1")[0]
    assert (row["batch"], row["direction"], row["home_unit"], row["host_unit"], row["post"]) == \
        ("T1", "talent_to_government", "甲科技有限公司", "区团委", "团委副书记")


def test_secondee_sees_only_themselves(small):
    assert names(roster.list_participants(small, SECONDEE)) == ["王芳"]
    assert names(roster.list_participants(small, SECONDEE, batch="C2")) == []
    assert roster.count_participants(small, SECONDEE) == 1
    assert roster.get_participant(small, SECONDEE, 1)["name"] == "王芳"
    with pytest.raises(PermissionDenied):
        roster.get_participant(small, SECONDEE, 2)
    with pytest.raises(PermissionDenied):
        roster.profile(small, SECONDEE, 4)


@pytest.mark.parametrize("call", [
    lambda s: roster.list_participants(s, LIAISON),
    lambda s: roster.get_participant(s, LIAISON, 3),
    lambda s: roster.profile(s, LIAISON, 3),
    lambda s: roster.export_frame(s, LIAISON, "zh"),
    lambda s: roster.export_frame(s, SECONDEE, "zh"),
    lambda s: roster.export_frame(s, VIEWER, "zh"),
    lambda s: roster.list_batches(s, SECONDEE),
])
def test_refusals(small, call):
    with pytest.raises(PermissionDenied):
        call(small)


@pytest.mark.parametrize("actor", [SECONDEE, VIEWER, LIAISON])
def test_only_editors_write(small, actor):
    with pytest.raises(PermissionDenied):
        roster.update_participant(small, actor, 1, post="x")
    with pytest.raises(PermissionDenied):
        roster.withdraw(small, actor, 1, "x")
    with pytest.raises(PermissionDenied):
        roster.save_batch(small, actor, code="C9", direction="cadre_to_enterprise", intake_year=2030,
                          start_date="2030-01-01", end_date="2030-12-31")
    assert small.scalar("select count(*) from audit_log") == 0


def test_batches_with_size_and_derived_status(small):
    rows = roster.list_batches(small, VIEWER, today=TODAY)
    assert [(r["code"], r["size"], r["status"]) for r in rows] == [
        ("C1", 2, "completed"), ("T1", 1, "completed"), ("C2", 1, "active")]
    assert roster.list_batches(small, VIEWER, today=date(2016, 1, 1))[0]["status"] == "planned"


def test_filter_options(small):
    opts = roster.filter_options(small, REVIEWER)
    assert opts["batches"] == ["C1", "C2", "T1"]
    assert opts["streets"] == ["长寿路街道", "桃浦镇"]
    assert opts["years"] == [2016, 2017, 2025]


# --- profile ---------------------------------------------------------------------------------------------

def test_profile_aggregates(small):
    p = roster.profile(small, REVIEWER, 4, today=date(2025, 9, 28))
    weeks = {w["week"]: (w["entries"], w["hours"], w["state"]) for w in p["weeks"]}
    # Stint starts Mon 2025-09-01 (W36); today is Sun of W39: four weeks due.
    assert weeks == {"2025-W36": (0, 0.0, "missing"), "2025-W37": (2, 3.5, "approved"),
                     "2025-W38": (1, 3.0, "not_submitted"), "2025-W39": (0, 0.0, "missing")}
    roles = {r["role"]: (r["entries"], r["hours"]) for r in p["roles"]}
    assert roles == {"counsellor": (2, 5.0), "publicist": (0, 0), "coordinator": (0, 0), "info_officer": (1, 1.5)}
    assert [f["summary"] for f in p["feedback"]] == ["政策咨询"]
    assert {x["title"] for x in p["practices"]} == {"支部共建", "草稿做法"}
    m = p["metrics"]
    assert (m["entries"], m["hours"], m["weeks_logged"], m["weeks_due"], m["weeks_approved"]) == (3, 6.5, 2, 4, 1)
    assert (m["feedback"], m["feedback_open"], m["practices"], m["practices_promoted"]) == (1, 1, 2, 1)


def test_profile_viewer_sees_only_promoted_practices(small):
    assert [x["title"] for x in roster.profile(small, VIEWER, 4, today=TODAY)["practices"]] == ["支部共建"]


def test_profile_of_talent_uses_three_categories(small):
    p = roster.profile(small, REVIEWER, 3, today=TODAY)
    assert [r["role"] for r in p["roles"]] == ["learning", "party_practice", "bridge"]
    assert p["metrics"]["weeks_due"] == 53 and p["metrics"]["weeks_logged"] == 0


def test_profile_not_found(small):
    with pytest.raises(NotFound):
        roster.profile(small, REVIEWER, 999)


# --- writes ------------------------------------------------------------------------------------------------

def _audit(store, table="participants"):
    return [dict(r, before=json.loads(r["before"]) if r["before"] else None,
                 after=json.loads(r["after"]) if r["after"] else None)
            for r in store.rows("select * from audit_log where table_name = ? order by id", (table,))]


def test_create_participant_audited_with_derived_status(small):
    pid = roster.create_participant(small, REVIEWER, today=TODAY, name=" 陈静 ", gender="女", batch="C2",
                                    home_unit_id=2, host_unit_id=3, post="辅导员",
                                    start_date="2025/9/1", end_date="2026年8月31日")
    row = roster.get_participant(small, REVIEWER, pid, today=TODAY)
    assert (row["name"], row["gender"], row["status"], row["start_date"], row["end_date"]) == \
        ("陈静", "female", "active", "2025-09-01", "2026-08-31")
    (entry,) = _audit(small)
    assert entry["action"] == "insert" and entry["before"] is None and entry["after"]["name"] == "陈静"
    assert entry["username"] == "rev"


@pytest.mark.parametrize("values, field, value, reason", [
    ({"name": "  "}, "name", "  ", "required"),
    ({"start_date": "2025-13-01"}, "start_date", "2025-13-01", "bad_date"),
    ({"end_date": "2025-08-01"}, "end_date", "2025-08-01", "before_start"),
    ({"start_date": "2025-08-01"}, "start_date", "2025-08-01", "outside_batch"),
    ({"end_date": "2026-09-30"}, "end_date", "2026-09-30", "outside_batch"),
    ({"home_unit_id": 3}, "home_unit", "甲科技有限公司", "unit_kind_direction"),   # cadre from an enterprise
    ({"host_unit_id": 5}, "host_unit", "区团委", "unit_kind_direction"),           # cadre into government
    ({"host_unit_id": 99}, "host_unit", 99, "not_found"),
    ({"name": "赵磊"}, "name", "赵磊 (C2)", "duplicate"),
    ({"gender": "unknown"}, "gender", "unknown", "unknown_code"),
    ({"post": "长" * 61}, "post", "长" * 61, "too_long"),
])
def test_validation_names_field_value_and_reason(small, values, field, value, reason):
    base = {"name": "陈静", "batch": "C2", "home_unit_id": 1, "host_unit_id": 3, "start_date": "2025-09-01",
                "end_date": "2026-08-31"}
    with pytest.raises(ValidationError) as caught:
        roster.create_participant(small, REVIEWER, today=TODAY, **{**base, **values})
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert caught.value.value == value
    message = caught.value.message("en")
    assert str(value)[:20] in message
    assert small.scalar("select count(*) from participants") == 4


def test_talent_direction_is_the_reverse(small):
    pid = roster.create_participant(small, REVIEWER, today=TODAY, name="周强", batch="T1", home_unit_id=4,
                                    host_unit_id=2, start_date="2017-03-01", end_date="2018-02-28")
    assert roster.get_participant(small, REVIEWER, pid)["status"] == "completed"
    with pytest.raises(ValidationError) as caught:
        roster.create_participant(small, REVIEWER, today=TODAY, name="吴敏", batch="T1", home_unit_id=1,
                                  host_unit_id=5, start_date="2017-03-01", end_date="2018-02-28")
    assert caught.value.field == "home_unit" and "Non-public enterprise" in caught.value.message("en")


def test_update_records_before_and_after_of_changed_fields(small):
    after = roster.update_participant(small, REVIEWER, 4, post="党委副书记(挂职)", contact="13800000000")
    assert after["post"] == "党委副书记(挂职)"
    (entry,) = _audit(small)
    assert entry["action"] == "update" and entry["row_id"] == "4"
    assert entry["before"]["post"] == "党建指导员" and entry["after"]["post"] == "党委副书记(挂职)"
    assert entry["before"]["contact"] is None and entry["after"]["contact"] == "13800000000"
    assert "name" not in entry["after"]
    # Saving the same values again writes nothing, also for text stored with full-width punctuation.
    roster.update_participant(small, REVIEWER, 4, post="党委副书记(挂职)")
    with small.write() as db:
        db.conn.execute("update participants set notes = '调回，原定（2026）' where id = 4")
    roster.update_participant(small, REVIEWER, 4, notes="调回，原定（2026）")
    assert len(_audit(small)) == 1


def test_update_cannot_leave_entries_outside_the_stint(small):
    with pytest.raises(ValidationError) as caught:
        roster.update_participant(small, REVIEWER, 4, start_date="2025-09-15")
    assert caught.value.reason == "entries_outside" and caught.value.params["count"] == 2


def test_end_stint_early(small):
    with pytest.raises(ValidationError) as caught:
        roster.end_stint_early(small, REVIEWER, 4, "2026-09-30", "调回", today=TODAY)
    assert caught.value.reason == "not_earlier"
    with pytest.raises(ValidationError) as caught:
        roster.end_stint_early(small, REVIEWER, 4, "2026-01-10", "  ", today=TODAY)
    assert caught.value.field == "reason"
    after = roster.end_stint_early(small, REVIEWER, 4, "2026-01-10", "因工作需要调回", today=TODAY)
    assert (after["end_date"], after["status"]) == ("2026-01-10", "completed")
    assert "因工作需要调回" in after["notes"]
    (entry,) = _audit(small)
    assert entry["action"] == "end_early"
    assert entry["before"]["end_date"] == "2026-08-31" and entry["after"]["end_date"] == "2026-01-10"


def test_withdraw_keeps_the_person_and_history(small):
    after = roster.withdraw(small, REVIEWER, 4, "个人原因", today=TODAY)
    assert (after["status"], after["end_date"]) == ("withdrawn", "2026-01-15")
    assert small.scalar("select count(*) from participants where id = 4") == 1
    assert small.scalar("select count(*) from activities where participant_id = 4") == 3
    (entry,) = _audit(small)
    assert entry["action"] == "withdraw" and entry["before"]["status"] == "active"
    with pytest.raises(Conflict):
        roster.withdraw(small, REVIEWER, 4, "again", today=TODAY)
    assert not hasattr(roster, "delete_participant")
    assert small.scalar("select count(*) from audit_log where action = 'delete'") == 0


# --- batches -----------------------------------------------------------------------------------------------

def test_save_batch_create_and_edit(small):
    bid = roster.save_batch(small, REVIEWER, code=" c3 ", direction="干部→企业", intake_year="2027",
                            start_date="2027.03.01", end_date="2028/2/29")
    row = roster.get_batch(small, REVIEWER, bid)
    assert (row["code"], row["direction"], row["start_date"], row["end_date"]) == \
        ("C3", "cadre_to_enterprise", "2027-03-01", "2028-02-29")
    roster.save_batch(small, REVIEWER, bid, code="C3", direction="cadre_to_enterprise", intake_year=2027,
                      start_date="2027-03-01", end_date="2028-03-31", notes="延长")
    entries = _audit(small, "batches")
    assert [e["action"] for e in entries] == ["insert", "update"]
    assert entries[1]["before"] == {"end_date": "2028-02-29", "notes": None}


@pytest.mark.parametrize("values, field, reason", [
    ({"code": "T9"}, "batch_code", "batch_code_direction"),
    ({"code": "X1"}, "batch_code", "bad_batch_code"),
    ({"code": "C1"}, "batch_code", "taken"),
    ({"end_date": "2026-12-31"}, "end_date", "before_start"),
    ({"intake_year": "twenty"}, "intake_year", "not_a_number"),
])
def test_save_batch_validation(small, values, field, reason):
    base = {"code": "C9", "direction": "cadre_to_enterprise", "intake_year": 2027, "start_date": "2027-03-01",
                "end_date": "2028-02-28"}
    with pytest.raises(ValidationError) as caught:
        roster.save_batch(small, REVIEWER, **{**base, **values})
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_batch_dates_cannot_exclude_stints(small):
    with pytest.raises(ValidationError) as caught:
        roster.save_batch(small, REVIEWER, 1, code="C1", direction="cadre_to_enterprise", intake_year=2016,
                          start_date="2016-04-01", end_date="2017-02-28")
    assert caught.value.reason == "batch_excludes_stints" and caught.value.params["count"] == 2
    with pytest.raises(ValidationError):
        roster.save_batch(small, REVIEWER, 1, code="T7", direction="talent_to_government", intake_year=2016,
                          start_date="2016-03-01", end_date="2017-02-28")


# --- export ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, name, batch, status, direction", [
    ("zh", "姓名", "批次", "期满", "干部→企业"),
    ("en", "Name", "Batch", "Completed", "Cadre → enterprise"),
])
def test_export_frame_labelled(small, lang, name, batch, status, direction):
    frame = roster.export_frame(small, REVIEWER, lang, batch="C1")
    assert list(frame[name]) == ["王芳", "张伟"]
    assert set(frame[batch]) == {"C1"}
    assert frame.iloc[0][roster.i18n.translate(lang, "field.status")] == status
    assert frame.iloc[0][roster.i18n.translate(lang, "field.direction")] == direction


def test_batches_frame(small):
    frame = roster.batches_frame(small, REVIEWER, "en", today=TODAY)
    assert list(frame["Batch code"]) == ["C1", "T1", "C2"]
    assert list(frame["Status"]) == ["Completed", "Completed", "Active"]


def test_a_finished_stint_can_be_neither_ended_early_nor_withdrawn(small):
    """王芳's stint ended in 2017: the core refuses both steps (the page offers neither), naming the end date."""
    person = roster.get_participant(small, REVIEWER, 1, today=TODAY)
    assert roster.stint_steps(person, TODAY) == ()
    assert roster.stint_steps(roster.get_participant(small, REVIEWER, 4, today=TODAY), TODAY) == (
        "end_early", "withdraw")
    for step in (lambda: roster.end_stint_early(small, REVIEWER, 1, "2016-12-31", "调回", today=TODAY),
                 lambda: roster.withdraw(small, REVIEWER, 1, "个人原因", today=TODAY)):
        with pytest.raises(Conflict) as caught:
            step()
        assert "2017-02-28" in caught.value.message("zh")
    assert _audit(small) == []
    # Not yet begun: it can be withdrawn, not ended early.
    assert roster.stint_steps({**person, "stored_status": "planned"}, date(2016, 1, 1)) == ("withdraw",)

