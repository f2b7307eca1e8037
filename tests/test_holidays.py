"""Official holiday arrangements for the years the calendar library does not cover: entered by an administrator
(page or command line), checked row by row, audited, and read by every deadline and working-day count.

The year used is the first one the installed library does not know, with a made-up arrangement (a Monday-to-
Friday "festival" in February and a make-up Saturday after it), so the tests hold whatever the library version
and whatever the day they run."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import feedback_fixture as fx
import pytest
from conftest import ROOT, actor_for, app_test, visible_text

from secondment import feedback, flows, holidays, i18n, workdays
from secondment.errors import PermissionDenied, ValidationError, ValidationErrors

YEAR = next(y for y in range(2027, 2100) if not workdays.library_covers(y))
FEB = date(YEAR, 2, 1)
MONDAY = FEB + timedelta(days=(7 - FEB.weekday()) % 7)          # the first Monday of February
FESTIVAL = [MONDAY + timedelta(days=i) for i in range(5)]          # Monday to Friday off
MAKEUP = MONDAY + timedelta(days=5)                                # the Saturday after, worked
FRIDAY_BEFORE = MONDAY - timedelta(days=3)


def arrangement_rows() -> list[dict]:
    rows = [{"day": d.isoformat(), "kind": "放假", "name": "春节"} for d in FESTIVAL]
    return rows + [{"day": MAKEUP.isoformat(), "kind": "调休上班", "name": "春节"}]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return fx.built_file(tmp_path_factory.mktemp("hol"))


@pytest.fixture
def world(built, tmp_path):
    return fx.copy_of(built, tmp_path / "hol.db")


def raise_on(store, actors, day: date, urgency: str = "urgent") -> dict:
    fid = feedback.raise_feedback(store, actors["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                  summary="企业用工问题", urgency=urgency, at=f"{day.isoformat()}T02:00:00Z")
    return feedback.get_item(store, actors["fx_admin"], fid, today=day)


def test_the_year_is_one_the_library_lacks():
    assert not workdays.library_covers(YEAR) and workdays.library_covers(2026)
    assert FESTIVAL[0].weekday() == 0 and MAKEUP.weekday() == 5


def test_without_an_arrangement_the_year_counts_monday_to_friday_and_says_so(world):
    store, a = world
    item = raise_on(store, a, FRIDAY_BEFORE)                 # urgent: 3 working days
    assert item["due_date"] == (MONDAY + timedelta(days=2)).isoformat()   # Wednesday of the "festival"
    assert item["due_weekdays_only"] is True
    hint = feedback.due_if_raised(store, a["fx_secondee"], fx.DEPT_A, "urgent", today=FRIDAY_BEFORE)
    assert hint["weekdays_only"] is True and hint["due"].isoformat() == item["due_date"]


def test_an_entered_arrangement_moves_deadlines_over_its_holidays_onto_the_make_up_day(world):
    store, a = world
    result = holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows())
    assert result == {"year": YEAR, "days": 6, "changed": True}
    cal = holidays.calendar(store)
    assert cal.source(YEAR) == "entered" and cal.covered(YEAR)
    assert not any(cal.is_workday(d) for d in FESTIVAL) and cal.is_workday(MAKEUP)
    # One working day after the Friday before is the make-up Saturday; three are Tuesday of the week after.
    assert cal.add_working_days(FRIDAY_BEFORE, 1) == MAKEUP
    urgent = raise_on(store, a, FRIDAY_BEFORE)
    assert urgent["due_date"] == (MAKEUP + timedelta(days=3)).isoformat()
    assert urgent["due_weekdays_only"] is False
    # The raise form's hint and an extension read the same calendar.
    hint = feedback.due_if_raised(store, a["fx_secondee"], fx.DEPT_A, "urgent", today=FRIDAY_BEFORE)
    assert hint == {"limit": 3, "due": MAKEUP + timedelta(days=3), "weekdays_only": False}
    feedback.accept(store, a["fx_liaison_a"], urgent["id"], at=f"{FRIDAY_BEFORE.isoformat()}T03:00:00Z")
    assert feedback.extension_due(store, a["fx_liaison_a"], urgent["id"], 1)["due"] == MAKEUP + timedelta(days=4)
    # Overdue by working days: on the second Monday after the make-up day it is 2 working days late.
    late = feedback.get_item(store, a["fx_admin"], urgent["id"], today=MAKEUP + timedelta(days=9))
    assert late["overdue"] and late["days_late"] == 4               # Wednesday, Thursday, Friday, Monday


def test_the_department_table_counts_answer_times_on_the_same_calendar(world):
    store, a = world
    holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows())
    item = raise_on(store, a, FRIDAY_BEFORE, urgency="normal")
    feedback.accept(store, a["fx_liaison_a"], item["id"], at=f"{FRIDAY_BEFORE.isoformat()}T03:00:00Z")
    answered = MONDAY + timedelta(days=7)                          # the Monday after the festival week
    feedback.answer(store, a["fx_liaison_a"], item["id"], text="已答复", at=f"{answered.isoformat()}T03:00:00Z")
    table = flows.department_table(store, a["fx_reviewer"], today=answered)
    row = table[table["department_id"] == fx.DEPT_A].iloc[0]
    assert row["median_days"] == 2                                 # the make-up Saturday and the Monday


def test_a_changed_arrangement_is_seen_at_once_and_a_removed_one_falls_back(world):
    store, a = world
    holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows())
    assert not holidays.calendar(store).is_workday(FESTIVAL[0])
    holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows()[1:])   # Monday is worked after all
    assert holidays.calendar(store).is_workday(FESTIVAL[0])
    again = holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows()[1:])
    assert again["changed"] is False
    holidays.clear_year(store, a["fx_admin"], YEAR)
    cal = holidays.calendar(store)
    assert cal.source(YEAR) is None and cal.is_workday(FESTIVAL[1]) and not cal.is_workday(MAKEUP)


def test_entered_days_are_audited_with_before_and_after(world):
    store, a = world
    holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows())
    holidays.clear_year(store, a["fx_admin"], YEAR)
    rows = store.rows("select action, row_id, before, after from audit_log where table_name = 'holidays' order by id")
    assert [r["action"] for r in rows] == ["holidays.set", "holidays.clear"]
    assert rows[0]["row_id"] == str(YEAR) and rows[0]["before"] is None
    assert [d["day"] for d in json.loads(rows[0]["after"])["days"]] == [d.isoformat() for d in FESTIVAL + [MAKEUP]]
    assert rows[1]["after"] is None and len(json.loads(rows[1]["before"])["days"]) == 6


def test_bad_rows_are_all_named_and_nothing_is_written(world):
    store, a = world
    bad = [{"day": FESTIVAL[0].isoformat(), "kind": "放假"},
           {"day": FESTIVAL[1].isoformat(), "kind": "调休上班"},          # a weekday cannot be a make-up day
           {"day": f"{YEAR + 1}-01-01", "kind": "放假"},                  # another year
           {"day": "2月30日", "kind": "放假"},                            # not a date
           {"day": FESTIVAL[2].isoformat(), "kind": "半天"},              # not a kind
           {"day": FESTIVAL[0].isoformat(), "kind": "放假"}]              # twice
    with pytest.raises(ValidationErrors) as caught:
        holidays.set_year(store, a["fx_admin"], YEAR, bad)
    messages = [e.message("zh") for e in caught.value.errors]
    assert [e.row for e in caught.value.errors] == [2, 3, 4, 5, 6]
    assert "调休上班日只能是周六或周日" in messages[0] and f"不在 {YEAR} 年内" in messages[1]
    assert "不是可识别的日期" in messages[2] and "半天" in messages[3] and "第 1 行" in messages[4]
    assert store.scalar("select count(*) from holidays") == 0
    with pytest.raises(ValidationError, match="holiday"):
        holidays.set_year(store, a["fx_admin"], YEAR, [{"day": MAKEUP.isoformat(), "kind": "调休上班"}])


def test_only_an_administrator_enters_an_arrangement(world):
    store, a = world
    for username in ("fx_reviewer", "fx_viewer", "fx_secondee", "fx_liaison_a"):
        with pytest.raises(PermissionDenied):
            holidays.set_year(store, a[username], YEAR, arrangement_rows())
        assert holidays.arrangement(store, a[username], YEAR)["source"] is None   # everyone may read it


@pytest.mark.parametrize("encoding, header", [("utf-8-sig", "日期,类型,名称"), ("gb18030", "日期,类型,名称"),
                                              ("utf-8", "date,kind,name")])
def test_a_csv_file_is_read_in_chinese_or_english(world, encoding, header):
    store, a = world
    kinds = {"日期,类型,名称": ("放假", "调休上班"), "date,kind,name": ("holiday", "make-up workday")}[header]
    lines = [header] + [f"{d.isoformat()},{kinds[0]},春节" for d in FESTIVAL] + [f"{MAKEUP.isoformat()},{kinds[1]},"]
    result = holidays.import_file(store, a["fx_admin"], ("\n".join(lines) + "\n").encode(encoding))
    assert result["year"] == YEAR and result["days"] == 6
    assert holidays.calendar(store).is_workday(MAKEUP)


def test_a_file_without_the_columns_or_too_large_is_refused(world):
    store, a = world
    with pytest.raises(ValidationError) as caught:
        holidays.import_file(store, a["fx_admin"], "名字,备注\n张三,无\n".encode())
    assert "日期" in caught.value.message("zh")
    with pytest.raises(ValidationError) as caught:
        holidays.import_file(store, a["fx_admin"], b"x" * (holidays.MAX_FILE_BYTES + 1))
    assert "64 KB" in caught.value.message("en")


def test_the_template_is_a_valid_arrangement():
    year, rows = holidays.parse_csv(holidays.template_csv(YEAR))
    assert year == YEAR and holidays.check(YEAR, rows)[1][1]["kind"] == "workday"


def test_the_notice_shows_from_november_while_next_year_is_missing(world):
    store, a = world
    november, october = date(YEAR - 1, 11, 1), date(YEAR - 1, 10, 31)
    assert holidays.missing_next_year(store, a["fx_admin"], november) == YEAR
    assert holidays.missing_next_year(store, a["fx_reviewer"], november) == YEAR
    assert holidays.missing_next_year(store, a["fx_admin"], october) is None
    for username in ("fx_viewer", "fx_secondee", "fx_liaison_a"):
        assert holidays.missing_next_year(store, a[username], november) is None
    holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows())
    assert holidays.missing_next_year(store, a["fx_admin"], november) is None


def test_the_notice_on_the_pages_of_administrators_and_reviewers(demo_store, monkeypatch):
    monkeypatch.setenv("SECONDMENT_TODAY", f"{YEAR - 1}-11-20")
    notice = i18n.translate("zh", "holidays.notice", year=YEAR)
    for username, shown in (("demo_reviewer", True), ("demo_admin", True), ("demo_viewer", False)):
        at = app_test("overview", demo_store, username)
        at.run()
        assert not at.exception
        assert (notice in visible_text(at)) is shown, username
    holidays.set_year(demo_store, actor_for(demo_store, "demo_admin"), YEAR, arrangement_rows())
    at = app_test("overview", demo_store, "demo_reviewer")
    at.run()
    assert notice not in visible_text(at)


def test_the_admin_page_lists_the_years_and_shows_an_entered_one(demo_store, monkeypatch):
    monkeypatch.setenv("SECONDMENT_TODAY", f"{YEAR - 1}-12-01")
    holidays.set_year(demo_store, actor_for(demo_store, "demo_admin"), YEAR, arrangement_rows())
    at = app_test("admin", demo_store, "demo_admin", lang="en")
    at.session_state["admin_tabs"] = i18n.translate("en", "holidays.tab")   # only the open tab runs
    at.run()
    assert not at.exception
    assert at.selectbox(key="hol_year").value == YEAR - 1 or at.selectbox(key="hol_year").value == YEAR
    at.selectbox(key="hol_year").set_value(YEAR).run()
    assert i18n.translate("en", "holidays.shown_entered", year=YEAR, n=6) in visible_text(at)


def test_the_command_line_imports_a_file(tmp_path, built):
    from secondment import db

    store, _ = fx.copy_of(built, tmp_path / "cli.db")
    file = tmp_path / "holidays.csv"
    file.write_text("日期,类型,名称\n" + "".join(f"{r['day']},{r['kind']},{r['name']}\n" for r in arrangement_rows()),
                    encoding="utf-8")
    run = lambda *args: subprocess.run([sys.executable, "-m", "secondment", *args, "--db", str(store.path)],
                                       cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    done = run("holidays", "import", str(file))
    assert done.returncode == 0 and done.stdout.strip() == f"已录入 {YEAR} 年节假日安排：6 天。" and not done.stderr
    assert holidays.calendar(db.Store(store.path)).is_workday(MAKEUP)
    file.write_text(f"日期,类型\n{FESTIVAL[0].isoformat()},调休上班\n", encoding="utf-8")
    refused = run("holidays", "import", str(file), "--lang", "en")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "Row 2" in refused.stderr
    missing = run("holidays", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_the_item_page_says_a_deadline_counts_monday_to_friday_until_the_year_is_entered(world, monkeypatch):
    store, a = world
    monkeypatch.setenv("SECONDMENT_TODAY", FRIDAY_BEFORE.isoformat())
    fid = raise_on(store, a, FRIDAY_BEFORE)["id"]
    said = i18n.translate("zh", "feedback.calendar_uncovered", year=YEAR)

    def page_text():
        at = app_test("feedback", store, "fx_admin").run()
        next(b for b in at.selectbox if (b.key or "").startswith("fb_items_None_")).set_value(fid).run()
        assert not at.exception
        return visible_text(at)

    assert said in page_text()
    holidays.set_year(store, a["fx_admin"], YEAR, arrangement_rows())
    assert said not in page_text()
