"""Validation: good values come back clean; bad ones raise an error naming the field and the value."""
from datetime import date

import pytest

from secondment import validation as v
from secondment.errors import ValidationError


@pytest.mark.parametrize("typed", ["2016-03-01", "2016/3/1", "2016.03.01", "2016年3月1日", " 2016-03-01 ",
                                   "２０１６－０３－０１", "20160301", "2016-03-01T00:00:00", date(2016, 3, 1)])
def test_dates_people_type(typed):
    assert v.parse_date("start_date", typed) == date(2016, 3, 1)


@pytest.mark.parametrize("typed", ["2016-13-01", "2016/2/30", "March 1", "1.3.2016", "abc"])
def test_bad_dates_name_field_and_value(typed):
    with pytest.raises(ValidationError) as e:
        v.parse_date("start_date", typed)
    assert e.value.field == "start_date"
    message = e.value.message("en")
    assert "Start date" in message and str(typed) in message
    assert "开始日期" in e.value.message("zh")


def test_required_and_lengths():
    with pytest.raises(ValidationError, match="Title") as e:
        v.text("title", "   ")
    assert e.value.reason == "required"
    with pytest.raises(ValidationError) as e:
        v.text("title", "长" * 121)
    assert e.value.reason == "too_long" and "120" in e.value.message("en")
    assert v.text("title", "　宣讲会　") == "宣讲会"  # ideographic spaces trimmed
    assert v.text("notes", "", required=False) is None


def test_dates_in_order():
    v.date_order("start_date", date(2020, 1, 1), "end_date", date(2020, 12, 31))
    with pytest.raises(ValidationError) as e:
        v.date_order("start_date", date(2020, 1, 1), "end_date", date(2019, 12, 31))
    assert e.value.field == "end_date" and "2019-12-31" in e.value.message("en")


def test_within_stint_and_batch():
    v.within("date", date(2020, 6, 1), "2020-01-01", "2020-12-31", "outside_stint")
    with pytest.raises(ValidationError) as e:
        v.within("date", date(2021, 1, 1), "2020-01-01", "2020-12-31", "outside_stint")
    assert "2020-01-01" in e.value.message("zh") and "挂职期间" in e.value.message("zh")


@pytest.mark.parametrize("value,code", [("counsellor", "counsellor"), ("辅导员", "counsellor"),
                                         ("Information officer", "info_officer"), (" 信息员 ", "info_officer")])
def test_choice_accepts_code_and_labels(value, code):
    assert v.choice("role", value, "role") == code


def test_unknown_role_refused_with_allowed_values():
    with pytest.raises(ValidationError) as e:
        v.choice("role", "manager", "role")
    assert e.value.reason == "unknown_code" and "manager" in e.value.message("en")


@pytest.mark.parametrize("role,direction,ok", [
    ("counsellor", "cadre_to_enterprise", True), ("bridge", "talent_to_government", True),
    ("counsellor", "talent_to_government", False), ("learning", "cadre_to_enterprise", False)])
def test_talent_never_logs_cadre_role_and_reverse(role, direction, ok):
    if ok:
        assert v.role_for_direction(role, direction) == role
    else:
        with pytest.raises(ValidationError) as e:
            v.role_for_direction(role, direction)
        assert e.value.reason == "wrong_direction"


@pytest.mark.parametrize("value,expected", [(2, 2.0), ("1.5", 1.5), ("8", 8.0)])
def test_hours_good(value, expected):
    assert v.hours(value) == expected


@pytest.mark.parametrize("value", [0, -1, 25, "x", None])
def test_hours_bad(value):
    with pytest.raises(ValidationError) as e:
        v.hours(value)
    assert e.value.field == "hours"


def test_iso_weeks():
    assert v.iso_week(date(2026, 11, 26)) == "2026-W48"
    assert v.iso_week(date(2027, 1, 1)) == "2026-W53"
    assert v.parse_week("week", "2026-W48") == (date(2026, 11, 23), date(2026, 11, 29))
    with pytest.raises(ValidationError):
        v.parse_week("week", "2026-W60")


@pytest.mark.parametrize("code,direction,ok", [("C5", "cadre_to_enterprise", True), ("t4", "talent_to_government", True),
                                                ("T1", "cadre_to_enterprise", False), ("X1", None, False)])
def test_batch_codes(code, direction, ok):
    if ok:
        assert v.batch_code(code, direction) == code.upper()
    else:
        with pytest.raises(ValidationError):
            v.batch_code(code, direction)


def test_free_text_keeps_chinese_punctuation():
    assert v.text("notes", " 负责党建（兼）工作，表现突出。 ") == "负责党建（兼）工作，表现突出。"


@pytest.mark.parametrize("row, zh, en", [
    (None, "“标题”为必填项，请填写后再保存。", "Title is required: please fill it in."),
    (7, "第 7 行，“标题”为必填项。", "Row 7: Title is required."),
])
def test_an_empty_required_field_is_named_without_an_empty_value(row, zh, en):
    error = ValidationError("title", "", "required", row=row)
    assert (error.message("zh"), error.message("en")) == (zh, en)
    assert "“  ”" in ValidationError("title", "  ", "required").message("zh")  # typed spaces are still shown
