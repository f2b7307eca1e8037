"""Roster import (CSV/XLSX, both header languages, every date format, bad rows, idempotence) and export safety."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
from test_roster import REVIEWER, TODAY, build_small

from secondment import exports, roster, roster_import
from secondment.errors import PermissionDenied, ValidationErrors
from secondment.permissions import Actor

ZH = ["姓名", "性别", "政治面貌", "批次", "派出单位", "挂职单位", "挂职职务", "开始日期", "结束日期", "状态", "联系方式", "备注"]
EN = ["Name", "Gender", "Political status", "Batch", "Home unit", "Host unit", "Post", "Start", "End", "Status",
      "Contact", "Notes"]
ROWS = [
    ["陈静", "女", "中共党员", "C2", "区商务委", "丙网络科技有限公司", "党建指导员", "2025-09-01", "2026-08-31", "在岗",
     "13900000001", ""],
    ["刘洋", "male", "CPC member", "C2", "曹杨新村街道", "甲科技有限公司", "总经理助理", "2025-09-01", "2026-08-31", "",
     "", "新人"],
    ["孙丽", "女", "群众", "T1", "丙网络科技有限公司", "区组织部", "办公室副主任", "2017-03-01", "2018-02-28", "期满", "",
     ""],
]


@pytest.fixture
def small(empty_store):
    return build_small(empty_store)


def csv_bytes(header, rows, encoding="utf-8-sig") -> bytes:
    frame = pd.DataFrame(rows, columns=header)
    return frame.to_csv(index=False).encode(encoding)


def xlsx_bytes(header, rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def preview(store, data, filename, lang="zh"):
    return roster_import.preview(store, REVIEWER, data, filename, lang, today=TODAY)


def counts(plan):
    return len(plan.adds), len(plan.updates), len(plan.unchanged), len(plan.new_units), len(plan.errors)


@pytest.mark.parametrize("header", [ZH, EN], ids=["zh", "en"])
@pytest.mark.parametrize("kind", ["csv", "csv_gbk", "xlsx"])
def test_good_file_imports_and_reimport_changes_nothing(small, header, kind):
    data = {"csv": lambda: csv_bytes(header, ROWS), "csv_gbk": lambda: csv_bytes(header, ROWS, "gbk"),
            "xlsx": lambda: xlsx_bytes(header, ROWS)}[kind]()
    name = "roster.xlsx" if kind == "xlsx" else "roster.csv"
    plan = preview(small, data, name)
    assert [e.message("en") for e in plan.errors] == []
    assert counts(plan) == (3, 0, 0, 3, 0)
    assert [(u["name"], u["kind"]) for u in plan.new_units] == [
        ("丙网络科技有限公司", "enterprise"), ("曹杨新村街道", "street_town"), ("区组织部", "government_department")]
    assert small.scalar("select count(*) from participants") == 4     # preview writes nothing
    result = roster_import.apply(small, REVIEWER, plan, today=TODAY)
    assert result == {"adds": 3, "updates": 0, "unchanged": 0, "new_units": 3}
    people = {r["name"]: r for r in roster.list_participants(small, REVIEWER, today=TODAY)}
    assert people["陈静"]["host_unit"] == "丙网络科技有限公司" and people["陈静"]["gender"] == "female"
    assert people["陈静"]["contact"] == "13900000001"
    assert people["刘洋"]["political_status"] == "cpc_member" and people["刘洋"]["status"] == "active"
    assert people["孙丽"]["home_unit_kind"] == "enterprise" and people["孙丽"]["status"] == "completed"
    assert small.scalar("select street from units where name = '曹杨新村街道'") == "曹杨新村街道"
    audited = small.scalar("select count(*) from audit_log where action = 'import'")
    assert audited == 6   # three units + three people
    again = preview(small, data, name)
    assert counts(again) == (0, 0, 3, 0, 0)
    roster_import.apply(small, REVIEWER, again, today=TODAY)
    assert small.scalar("select count(*) from audit_log") == audited


@pytest.mark.parametrize("typed", ["2025-09-01", "2025/9/1", "2025.09.01", "2025年9月1日", "2025-9-1", "20250901",
                                   " ２０２５－０９－０１ "])
def test_date_formats_people_type(small, typed):
    rows = [["陈静", "女", "", "C2", "区商务委", "甲科技有限公司", "", typed, "2026年8月31日", "", "", ""]]
    plan = preview(small, csv_bytes(ZH, rows), "r.csv")
    assert not plan.errors, [e.message("en") for e in plan.errors]
    assert plan.adds[0]["start_date"] == "2025-09-01" and plan.adds[0]["end_date"] == "2026-08-31"


def test_excel_date_cells(small):
    rows = [["陈静", "女", "", "C2", "区商务委", "甲科技有限公司", "", datetime(2025, 9, 1), date(2026, 8, 31), "", "",
             ""]]
    plan = preview(small, xlsx_bytes(ZH, rows), "r.xlsx")
    assert not plan.errors
    assert (plan.adds[0]["start_date"], plan.adds[0]["end_date"]) == ("2025-09-01", "2026-08-31")


def test_full_width_and_spaces_tolerated(small):
    header = ["　姓名 ", " 批次", "派出单位 ", "挂职单位", "开始日期（必填）", "结束日期"]
    rows = [["　王芳 ", "Ｃ１", " 区商务委　", "甲科技有限公司 ", "２０１６/３/１", "2017-02-28"]]
    plan = preview(small, csv_bytes(header, rows), "r.csv")
    assert counts(plan) == (0, 0, 1, 0, 0)


def test_update_lists_changed_fields_and_blank_cells_keep_values(small):
    header = ["姓名", "批次", "派出单位", "挂职单位", "挂职职务", "开始日期", "结束日期", "联系方式", "备注"]
    rows = [["王芳", "C1", "区商务委", "乙实业有限公司", "党建指导员", "2016-03-01", "2017-02-28", "", ""],
            ["张伟", "C1", "长寿路街道", "乙实业有限公司", "总经理助理", "2016-03-01", "2017-02-28", "", ""]]
    plan = preview(small, csv_bytes(header, rows), "r.csv")
    assert counts(plan) == (0, 1, 1, 0, 0)
    (update,) = plan.updates
    assert (update["name"], update["row"]) == ("王芳", 2)
    assert update["changes"] == {"host_unit": (3, 4)}
    assert update["shown"] == {"host_unit": ("甲科技有限公司", "乙实业有限公司")}
    roster_import.apply(small, REVIEWER, plan, today=TODAY)
    row = roster.get_participant(small, REVIEWER, 1)
    assert row["host_unit"] == "乙实业有限公司" and row["contact"] == "=1+1"   # blank contact kept
    entry = small.one("select * from audit_log where table_name = 'participants' and action = 'import'")
    assert json.loads(entry["before"]) == {"host_unit_id": 3, "updated_at": None}
    assert json.loads(entry["after"])["host_unit_id"] == 4


BAD_ROWS = [
    ["陈静", "女", "", "C2", "区商务委", "甲科技有限公司", "", "2025-09-01", "2026-08-31", "", "", ""],      # row 2: fine
    ["", "女", "", "C2", "区商务委", "甲科技有限公司", "", "2025-09-01", "2026-08-31", "", "", ""],         # 3: no name
    ["周强", "男", "", "C9", "区商务委", "甲科技有限公司", "", "2025-09-01", "2026-08-31", "", "", ""],      # 4: batch
    ["吴敏", "女", "", "C2", "区商务委", "甲科技有限公司", "", "2025-13-01", "2026-08-31", "", "", ""],      # 5: date
    ["郑洁", "女", "", "C2", "区商务委", "甲科技有限公司", "", "2026-03-01", "2026-02-01", "", "", ""],      # 6: order
    ["钱多", "外星", "", "C2", "甲科技有限公司", "区团委", "", "2025-09-01", "2026-08-31", "", "", ""],      # 7: 3 bad
    ["陈静", "女", "", "C2", "区商务委", "甲科技有限公司", "", "2025-09-01", "2026-08-31", "", "", ""],      # 8: dup
    ["冯刚", "男", "", "C2", "区商务委", "甲科技有限公司", "", "2024-09-01", "2026-08-31", "", "", ""],      # 9: batch dates
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_bad_rows_all_reported_and_nothing_written(small, kind):
    data = csv_bytes(ZH, BAD_ROWS) if kind == "csv" else xlsx_bytes(ZH, BAD_ROWS)
    plan = preview(small, data, f"bad.{kind}", "en")
    found = [(e["row"], e["column"], e["reason"].split(" (")[0]) for e in plan.error_rows()]
    assert found == [
        (3, "姓名", "required"),
        (4, "批次", "no such batch"),
        (5, "开始日期", "not a date"),
        (6, "结束日期", "is before the start date 2026-03-01"),
        (7, "性别", "not one of the allowed values"),
        (7, "派出单位", ("is a Non-public enterprise; for Cadre → enterprise it must be: a government department, "
                    "party or mass organisation, or street or town")),
        (7, "挂职单位", "is a Party or mass organisation; for Cadre → enterprise it must be: Non-public enterprise"),
        (8, "姓名", "is the same person in the same batch as row 2"),
        (9, "开始日期", "is outside the batch's dates 2025-09-01 to 2026-08-31"),
    ]
    assert plan.error_rows()[2]["value"] == "2025-13-01"
    before = small.scalar("select count(*) from audit_log"), small.scalar("select count(*) from participants")
    with pytest.raises(ValidationErrors) as caught:
        roster_import.apply(small, REVIEWER, plan)
    assert len(caught.value.errors) == 9
    assert (small.scalar("select count(*) from audit_log"), small.scalar("select count(*) from participants")) == before


def test_title_row_above_header_shifts_row_numbers(small):
    text = "2025年挂职人员名单,,,,,\n姓名,批次,派出单位,挂职单位,开始日期,结束日期\n" \
           "陈静,C2,区商务委,甲科技有限公司,2025-09-01,2026-08-31\n,,,,,\n吴敏,C2,区商务委,甲科技有限公司,bad,2026-08-31\n"
    plan = preview(small, text.encode("utf-8"), "r.csv")
    assert len(plan.adds) == 1
    assert [(e.row, e.field) for e in plan.errors] == [(5, "start_date")]


def test_missing_columns_and_unknown_columns(small):
    plan = preview(small, csv_bytes(["姓名", "序号", "批次"], [["王芳", "1", "C1"]]), "r.csv", "en")
    assert sorted(e["value"] for e in plan.error_rows()) == ["End date", "Home unit", "Host unit", "Start date"]
    assert all(e.row == 1 and e.reason == "missing_column" for e in plan.errors)
    assert plan.ignored_columns == ["序号"]


@pytest.mark.parametrize("data, name, reason", [
    (b"\x00\x01garbage", "r.xlsx", "bad_file"),
    (b"PK\x03\x04not really", "r.xlsx", "bad_file"),
    (b"anything", "old.xls", "old_excel"),
])
def test_unreadable_files(small, data, name, reason):
    plan = preview(small, data, name)
    assert [(e.row, e.reason) for e in plan.errors] == [(1, reason)]


def test_apply_rechecks_against_the_database(small):
    plan = preview(small, csv_bytes(ZH, ROWS[:1]), "r.csv")
    roster.create_participant(small, REVIEWER, today=TODAY, name="陈静", batch="C2", home_unit_id=1,
                              host_unit_id=3, start_date="2025-09-01", end_date="2026-08-31")
    roster_import.apply(small, REVIEWER, plan, today=TODAY)   # now an update, not a second 陈静
    assert small.scalar("select count(*) from participants where name = '陈静'") == 1


def test_import_needs_permission(small):
    secondee = Actor(user_id=1, username="s", role="secondee", participant_id=1)
    with pytest.raises(PermissionDenied):
        roster_import.preview(small, secondee, csv_bytes(ZH, ROWS), "r.csv")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_reimports_as_unchanged(small, lang):
    with small.write() as db:   # text stored with full-width punctuation is not "changed" by a round trip
        db.conn.execute("update participants set notes = '因工作需要，提前召回（原定2017-02-28）' where id = 2")
    frame = roster.export_frame(small, REVIEWER, lang, today=TODAY)
    for fmt, data in (("csv", exports.to_csv_bytes(frame)), ("xlsx", exports.to_xlsx_bytes(frame))):
        plan = preview(small, data, f"export.{fmt}", lang)
        assert counts(plan) == (0, 0, 4, 0, 0), [e.message("en") for e in plan.errors]


def test_template_has_chinese_headers_and_imports(small):
    frame = pd.read_excel(io.BytesIO(roster_import.template_bytes("xlsx")))
    assert list(frame.columns) == list(roster_import.TEMPLATE_HEADERS)
    roster.save_batch(small, REVIEWER, code="C5", direction="cadre_to_enterprise", intake_year=2026,
                      start_date="2026-03-01", end_date="2027-02-28")
    plan = preview(small, roster_import.template_bytes("csv"), "template.csv")
    assert not plan.errors and len(plan.adds) == 1


# --- export neutralises formulas ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_export_neutralises_formulas(small, payload):
    roster.update_participant(small, REVIEWER, 4, post=payload, notes=payload)
    frame = roster.export_frame(small, REVIEWER, "zh", batch="C2")
    cells = list(csv.DictReader(io.StringIO(exports.to_csv_bytes(frame).decode("utf-8-sig"))))
    assert cells[0]["挂职职务"] == "'" + payload and cells[0]["备注"] == "'" + payload
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame)))
    ws = book.active
    header = [c.value for c in ws[1]]
    post = ws.cell(row=2, column=header.index("挂职职务") + 1)
    assert post.value == "'" + payload and post.data_type == "s"
    contact = roster.export_frame(small, REVIEWER, "zh", batch="C1")["联系方式"].tolist()
    assert "'=1+1" in exports.to_csv_bytes(roster.export_frame(small, REVIEWER, "zh", batch="C1")).decode("utf-8-sig")
    assert contact[0] == "=1+1"   # the frame keeps the value; only the file neutralises it


def test_units_of_bad_rows_are_not_planned(small):
    rows = [["陈静", "C2", "区商务委", "新甲有限公司", "2025-09-01", "2026-08-31"],
            ["", "C2", "区商务委", "新乙有限公司", "2025-09-01", "2026-08-31"]]
    plan = preview(small, csv_bytes(["姓名", "批次", "派出单位", "挂职单位", "开始日期", "结束日期"], rows), "r.csv")
    assert [u["name"] for u in plan.new_units] == ["新甲有限公司"]
    assert [(e.row, e.field) for e in plan.errors] == [(3, "name")]


def test_a_new_unit_cannot_be_both_enterprise_and_department(small):
    rows = [["陈静", "C2", "新单位", "甲科技有限公司", "2025-09-01", "2026-08-31"],    # home → a department
            ["刘洋", "C2", "区商务委", "新单位", "2025-09-01", "2026-08-31"]]        # host → an enterprise
    plan = preview(small, csv_bytes(["姓名", "批次", "派出单位", "挂职单位", "开始日期", "结束日期"], rows), "r.csv")
    assert [(e.row, e.field, e.reason) for e in plan.errors] == [(3, "host_unit", "unit_kind_conflict")]
