"""Official documents: drafted from the data, edited, issued or approved, kept exactly, opened as files."""
from __future__ import annotations

import io
import sqlite3
import zipfile
from datetime import date, timedelta

import docx
import openpyxl
import pytest

from secondment import analytics, clock, documents, flows, officedoc, periods
from secondment.errors import Conflict, PermissionDenied, ValidationError


def last_month() -> periods.Period:
    return periods.month(clock.today().replace(day=1) - timedelta(days=1))


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line."""
    doc = docx.Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return "\n".join(lines)


def docx_tables(data: bytes) -> list[list[list[str]]]:
    doc = docx.Document(io.BytesIO(data))
    return [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]


def sheet(data: bytes, title: str):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book[title]


@pytest.fixture
def reviewer(as_user):
    return as_user("demo_reviewer")


# --- bulletins: figures from the same functions as the pages ----------------------------------------------

def test_briefing_figures_are_the_overview_and_flows_figures_for_the_same_period(demo_store, reviewer):
    period = last_month()
    today = clock.today()
    doc_id = documents.draft_bulletin(demo_store, reviewer, "briefing", period)
    row = documents.get(demo_store, reviewer, doc_id)
    fig = row["content"]["figures"]
    head = analytics.headline(demo_store, reviewer, today, period)
    loop = flows.loop_summary(demo_store, reviewer, today=today, **period.feedback_filters())
    for key in ("participants", "active", "activities", "enterprises", "practices_promoted"):
        assert fig[key] == head[key], key
    for key in ("total", "answered", "on_time_pct", "satisfied_pct", "open", "overdue", "median_days"):
        assert fig[f"loop_{key}"] == loop[key], key
    assert fig["loop_total"] > 0 and fig["activities"] > 0, "the demo's last month has work and items"

    data, name = documents.file(demo_store, reviewer, doc_id, "docx")
    assert name.endswith(".docx") and period.start.strftime("%Y-%m") in name
    tables = docx_tables(data)
    figures_table = next(t for t in tables if t[0] == ["指标", "数值"])
    shown = {r[0]: r[1] for r in figures_table[1:]}
    assert shown["反馈问题（件）"] == str(loop["total"])
    assert shown["已答复（件）"] == str(loop["answered"])
    assert shown["审核通过工作记录（条）"] == str(head["activities"])
    text = docx_text(data)
    assert "双向挂职工作简报" in text and "（草稿）" in text and period.label("zh") in text

    xlsx, _ = documents.file(demo_store, reviewer, doc_id, "xlsx")
    ws = sheet(xlsx, "主要数据")
    values = {r[0].value: r[1].value for r in ws.iter_rows(min_row=2)}
    assert values["反馈问题（件）"] == loop["total"] and isinstance(values["反馈问题（件）"], int)
    about = sheet(xlsx, "说明")
    dates = {r[0].value: r[1].value for r in about.iter_rows()}
    assert dates["起始日期"].date() == period.start and dates["截止日期"].date() == period.end


def test_notice_units_table_is_the_flows_department_table_without_ranks_below_five(demo_store, reviewer):
    period = last_month()
    doc_id = documents.draft_bulletin(demo_store, reviewer, "notice", period)
    content = documents.get(demo_store, reviewer, doc_id)["content"]
    units = next(t for t in content["tables"] if t["key"] == "units")
    frame = flows.department_table(demo_store, reviewer, today=clock.today(), **period.feedback_filters())
    assert [r[1] for r in units["rows"]] == list(frame["department"])
    assert [r[2] for r in units["rows"]] == [int(x) for x in frame["received"]]
    for r in units["rows"]:
        if r[2] < flows.MIN_ITEMS_TO_RANK:
            assert r[0] is None, f"{r[1]} has {r[2]} items and must not be ranked"
    data, _ = documents.file(demo_store, reviewer, doc_id, "docx")
    grid = next(t for t in docx_tables(data) if t[0][1] == "承办单位")
    assert [r[1] for r in grid[1:]] == list(frame["department"])
    bars = documents.settings(demo_store)
    below = documents.below_bar(frame, bars)
    text = docx_text(data)
    for r in below:
        assert r["department"] in text


def test_annual_report_has_years_and_charts_drawn_on_the_server(demo_store, reviewer):
    year = clock.today().year
    doc_id = documents.draft_bulletin(demo_store, reviewer, "annual", periods.year(year))
    content = documents.get(demo_store, reviewer, doc_id)["content"]
    years = next(t for t in content["tables"] if t["key"] == "years")
    assert years["rows"][-1][0] == year and len(years["rows"]) >= 2
    assert years["rows"][-1][2] == content["figures"]["activities"]
    data, _ = documents.file(demo_store, reviewer, doc_id, "docx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        images = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert len(images) == len([c for c in content["charts"] if c["labels"]]) >= 1


def test_issued_bulletin_is_numbered_per_kind_and_year_and_cannot_change(demo_store, reviewer, as_user):
    period = last_month()
    first = documents.draft_bulletin(demo_store, reviewer, "briefing", period)
    second = documents.draft_bulletin(demo_store, reviewer, "briefing", period)
    notice = documents.draft_bulletin(demo_store, reviewer, "notice", period)
    documents.edit(demo_store, reviewer, first, sections={"note": "本期编者按：重点关注稳岗。"})
    documents.issue(demo_store, reviewer, first)
    documents.issue(demo_store, reviewer, second)
    documents.issue(demo_store, reviewer, notice)
    year = clock.today().year
    numbers = {d: documents.get(demo_store, reviewer, d) for d in (first, second, notice)}
    assert [(r["year"], r["number"]) for r in numbers.values()] == [(year, 1), (year, 2), (year, 1)]

    kept, _ = documents.kept_file(demo_store, first, "docx")
    text = docx_text(kept)
    assert f"{year}年第1期" in text and "本期编者按：重点关注稳岗。" in text and "（草稿）" not in text
    admin = as_user("demo_admin")
    for actor in (reviewer, admin):
        with pytest.raises(Conflict):
            documents.edit(demo_store, actor, first, sections={"note": "改"})
        with pytest.raises(Conflict):
            documents.issue(demo_store, actor, first)
        with pytest.raises(Conflict):
            documents.discard(demo_store, actor, first)
        with pytest.raises(Conflict):
            documents.choose_highlights(demo_store, actor, first, entries=[])
    raw = sqlite3.connect(demo_store.path)
    for sql in ("update documents set title = 'x' where id = ?", "delete from documents where id = ?",
                "update document_files set data = x'00' where document_id = ?",
                "delete from document_files where document_id = ?"):
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(sql, (first,))
    raw.close()
    again, name = documents.file(demo_store, admin, first, "docx")
    assert again == kept and f"{year}-01" in name
    actions = [r["action"] for r in demo_store.rows(
        "select action from audit_log where table_name = 'documents' and row_id = ? order by id", (str(first),))]
    assert actions == ["document_draft", "update", "document_issue"]


def test_who_sees_which_document(demo_store, reviewer, as_user):
    period = last_month()
    draft = documents.draft_bulletin(demo_store, reviewer, "briefing", period)
    issued = documents.draft_bulletin(demo_store, reviewer, "notice", period)
    documents.issue(demo_store, reviewer, issued)
    viewer, liaison = as_user("demo_viewer"), as_user("demo_liaison")
    assert {r["id"] for r in documents.library(demo_store, viewer)} == {issued}
    with pytest.raises(PermissionDenied):
        documents.get(demo_store, viewer, draft)
    with pytest.raises(PermissionDenied):
        documents.draft_bulletin(demo_store, viewer, "briefing", period)

    seen = documents.get(demo_store, liaison, issued)
    assert seen["seen"] == "extract"
    units = [t for t in seen["content"]["tables"] if t["key"] == "units"]
    assert units and all(d == liaison.department_id for d in units[0]["ids"])
    full = documents.get(demo_store, reviewer, issued)["content"]
    others = {r[1] for r, d in zip(full["tables"][1]["rows"], full["tables"][1]["ids"])
              if d != liaison.department_id and r[1] != full["issuer"]}   # the issuer is a unit too
    assert others
    data, _ = documents.file(demo_store, liaison, issued, "docx")
    text = docx_text(data)
    assert "本单位摘录" in text
    assert not any(name in text for name in others), "a liaison's extract names no other unit"
    with pytest.raises(PermissionDenied):
        documents.get(demo_store, liaison, draft)
    assert {r["id"] for r in documents.library(demo_store, liaison)} == {issued}

    secondee = as_user("demo_secondee")
    assert documents.library(demo_store, secondee) == []
    with pytest.raises(PermissionDenied):
        documents.get(demo_store, secondee, issued)


# --- reports: "report once" ----------------------------------------------------------------------------------

def _busy_month(store, participant_id: int) -> str:
    """The month in which this person has the most approved entries (and someone else has some too)."""
    row = store.one("""
        select substr(a.date, 1, 7) as month, count(*) as n from activities a join week_reviews w
        on w.participant_id = a.participant_id and w.week = a.week and w.state = 'approved'
        where a.participant_id = ? and a.date <= ? group by month order by n desc, month desc limit 1""",
                    (participant_id, clock.today().isoformat()))
    return row["month"]


def test_monthly_report_holds_exactly_the_months_approved_entries_of_its_author(demo_store, as_user):
    secondee, reviewer = as_user("demo_secondee"), as_user("demo_reviewer")
    pid = secondee.participant_id
    month = _busy_month(demo_store, pid)
    doc_id = documents.draft_report(demo_store, secondee, pid, "monthly", month=month)
    content = documents.get(demo_store, secondee, doc_id)["content"]
    expected = demo_store.rows("""
        select a.id, a.title from activities a join week_reviews w on w.participant_id = a.participant_id
        and w.week = a.week and w.state = 'approved' where a.participant_id = ? and a.date like ? order by a.date, a.id""",
                               (pid, f"{month}-%"))
    assert content["entry_ids"] == [e["id"] for e in expected] and expected
    others = demo_store.rows("select title from activities where participant_id != ? and date like ?",
                             (pid, f"{month}-%"))
    unapproved = demo_store.rows("""
        select a.title from activities a left join week_reviews w on w.participant_id = a.participant_id
        and w.week = a.week where a.participant_id = ? and a.date like ? and coalesce(w.state, '') != 'approved'""",
                                 (pid, f"{month}-%"))
    data, name = documents.file(demo_store, secondee, doc_id, "docx")
    grid = next(t for t in docx_tables(data) if t[0][0] == "日期")
    assert [r[2] for r in grid[1:]] == [e["title"] for e in expected]
    # the report also names the author's objectives, whose wording the demo may share with an entry's title
    objectives = {o["text"] for o in demo_store.rows(
        "select o.text from objectives o join agreements g on g.id = o.agreement_id where g.participant_id = ?", (pid,))}
    mine = {e["title"] for e in expected} | objectives
    assert others, "someone else worked that month too"
    # (another's title may be a part of one of the author's: "解读…办法" inside "向某企业管理层解读…办法")
    foreign = lambda title: not any(title in own for own in mine) and title in docx_text(data)
    assert not [o["title"] for o in others if foreign(o["title"])]
    assert not [u["title"] for u in unapproved if foreign(u["title"])]
    assert month in name

    # edit, submit (then frozen), return with a comment, resubmit, approve (then final)
    documents.edit(demo_store, secondee, doc_id, sections={"next": "下月继续走访园区企业。"})
    documents.submit(demo_store, secondee, doc_id)
    with pytest.raises(Conflict):
        documents.edit(demo_store, secondee, doc_id, sections={"next": "改"})
    with pytest.raises(ValidationError) as refused:
        documents.review(demo_store, reviewer, doc_id, approve=False, comment="")
    assert refused.value.field == "comment"
    documents.review(demo_store, reviewer, doc_id, approve=False, comment="请补充成效。")
    assert documents.get(demo_store, secondee, doc_id)["status"] == "returned"
    documents.edit(demo_store, secondee, doc_id, sections={"next": "下月继续走访园区企业，补充成效。"})
    documents.submit(demo_store, secondee, doc_id)
    assert [w["id"] for w in documents.waiting(demo_store, reviewer)] == [doc_id]
    with pytest.raises(PermissionDenied):
        documents.review(demo_store, secondee, doc_id, approve=True)
    documents.review(demo_store, reviewer, doc_id, approve=True)
    row = documents.get(demo_store, secondee, doc_id)
    assert row["status"] == "approved"
    with pytest.raises(Conflict):
        documents.edit(demo_store, secondee, doc_id, sections={"next": "改"})
    kept, _ = documents.kept_file(demo_store, doc_id, "docx")
    assert "下月继续走访园区企业，补充成效。" in docx_text(kept)


def test_a_secondee_reports_only_for_themselves_and_within_their_stint(demo_store, as_user):
    secondee = as_user("demo_secondee")
    pid = secondee.participant_id
    other = demo_store.one("select id from participants where id != ? order by id limit 1", (pid,))["id"]
    with pytest.raises(PermissionDenied):
        documents.draft_report(demo_store, secondee, other, "monthly", month=_busy_month(demo_store, other))
    with pytest.raises(PermissionDenied):
        documents.report_months(demo_store, secondee, other)
    person = demo_store.one("select start_date from participants where id = ?", (pid,))
    before = (date.fromisoformat(person["start_date"]) - timedelta(days=40)).strftime("%Y-%m")
    with pytest.raises(ValidationError) as outside:
        documents.draft_report(demo_store, secondee, pid, "monthly", month=before)
    assert outside.value.field == "month" and outside.value.reason == "outside_stint"
    future = (clock.today().replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    with pytest.raises(ValidationError) as ahead:
        documents.draft_report(demo_store, secondee, pid, "monthly", month=future)
    assert ahead.value.reason in ("in_future", "outside_stint")
    with pytest.raises(ValidationError) as bad:
        documents.draft_report(demo_store, secondee, pid, "monthly", month="2026-13")
    assert bad.value.reason == "not_a_month"
    months = documents.report_months(demo_store, secondee, pid)
    assert months[0] <= clock.today().strftime("%Y-%m") and months == sorted(months, reverse=True)


def test_summary_and_assessment_form(demo_store, as_user):
    secondee, reviewer = as_user("demo_secondee"), as_user("demo_reviewer")
    pid = secondee.participant_id
    doc_id = documents.draft_report(demo_store, secondee, pid, "summary")
    content = documents.get(demo_store, secondee, doc_id)["content"]
    approved = demo_store.scalar("""
        select count(*) from activities a join week_reviews w on w.participant_id = a.participant_id
        and w.week = a.week and w.state = 'approved' where a.participant_id = ?""", (pid,))
    assert content["figures"]["entries"] == approved == len(content["entry_ids"])
    data, name = documents.appraisal_file(demo_store, reviewer, pid)
    text = docx_text(data)
    person = demo_store.one("select name from participants where id = ?", (pid,))
    for label in ("姓名", "派出单位", "挂职单位", "目标任务完成情况", "个人总结", "接收单位鉴定意见", "派出单位意见",
                  "组织部门考核结论", "（盖章）"):
        assert label in text, label
    assert person["name"] in text and f"审核通过工作记录 {approved} 条" in text and person["name"] in name
    with pytest.raises(PermissionDenied):
        documents.appraisal_file(demo_store, as_user("demo_liaison"), pid)


# --- user text, templates, settings --------------------------------------------------------------------------

def test_typed_text_stays_text_in_word_and_excel(demo_store, reviewer, as_user):
    period = last_month()
    doc_id = documents.draft_bulletin(demo_store, reviewer, "briefing", period)
    planted = '<w:p><w:r><w:t>X</w:t></w:r></w:p> {{ 7*7 }} <script>alert(1)</script> =HYPERLINK("http://x")'
    with pytest.raises(ValidationError) as refused:
        documents.edit(demo_store, reviewer, doc_id, sections={"note": planted + "\x07"})
    assert refused.value.field == "section_note" and refused.value.reason == "control_chars"
    documents.edit(demo_store, reviewer, doc_id, sections={"note": planted},
                   foot={"report_to": "区委 <b>领导</b>", "copy_to": "", "send_to": "=1+1"})
    data, _ = documents.file(demo_store, reviewer, doc_id, "docx")
    text = docx_text(data)
    assert '<w:p><w:r><w:t>X</w:t></w:r></w:p> {{ 7*7 }} <script>alert(1)</script>' in text
    assert "区委 <b>领导</b>" in text and "=1+1" in text
    secondee = as_user("demo_secondee")
    pid = secondee.participant_id
    entry = demo_store.one("""select a.id from activities a join week_reviews w on w.participant_id = a.participant_id
        and w.week = a.week and w.state = 'approved' where a.participant_id = ? order by a.date desc limit 1""", (pid,))
    raw = sqlite3.connect(demo_store.path)
    raw.execute("update activities set title = '=HYPERLINK(\"http://evil\")', outcome = 'bell' || char(7) || 'rang' "
                "where id = ?", (entry["id"],))
    raw.commit()
    raw.close()
    month = demo_store.one("select substr(date, 1, 7) as m from activities where id = ?", (entry["id"],))["m"]
    report = documents.draft_report(demo_store, secondee, pid, "monthly", month=month)
    xlsx, _ = documents.file(demo_store, secondee, report, "xlsx")
    ws = sheet(xlsx, "审核通过的工作记录")
    titles = [r[2].value for r in ws.iter_rows(min_row=2)]
    assert "'=HYPERLINK(\"http://evil\")" in titles
    assert "bellrang" in docx_text(documents.file(demo_store, secondee, report, "docx")[0])   # \x07: XML cannot hold it
    assert all(isinstance(r[0].value, __import__("datetime").datetime) for r in ws.iter_rows(min_row=2))


def test_the_office_can_replace_the_template(demo_store, reviewer, as_user):
    admin = as_user("demo_admin")
    own = docx.Document()
    own.sections[0].header.paragraphs[0].text = "本单位专用模板页眉"
    buffer = io.BytesIO()
    own.save(buffer)
    with pytest.raises(PermissionDenied):
        documents.set_template(demo_store, reviewer, buffer.getvalue())
    documents.set_template(demo_store, admin, buffer.getvalue())
    doc_id = documents.draft_bulletin(demo_store, reviewer, "briefing", last_month())
    data, _ = documents.file(demo_store, reviewer, doc_id, "docx")
    made = docx.Document(io.BytesIO(data))
    assert made.sections[0].header.paragraphs[0].text == "本单位专用模板页眉"
    assert "双向挂职工作简报" in docx_text(data)
    for bad, reason in ((b"not a zip at all", "not_docx"), (b"", "required")):
        with pytest.raises(ValidationError) as refused:
            documents.set_template(demo_store, admin, bad)
        assert refused.value.field == "template" and refused.value.reason == reason
    macro = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(macro, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        out.writestr("word/vbaProject.bin", b"\x00")
    with pytest.raises(ValidationError) as refused:
        documents.set_template(demo_store, admin, macro.getvalue())
    assert refused.value.reason == "template_macros"
    documents.set_template(demo_store, admin, None)
    assert documents.template(demo_store) is None


def test_built_in_layout_follows_the_official_conventions(demo_store, reviewer):
    doc_id = documents.draft_bulletin(demo_store, reviewer, "briefing", last_month())
    documents.issue(demo_store, reviewer, doc_id)
    data, _ = documents.file(demo_store, reviewer, doc_id, "docx")
    made = docx.Document(io.BytesIO(data))
    section = made.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.5)
    assert [round(x.mm) for x in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    body = made.styles["GW Body"]
    assert body.font.size.pt == 16 and body.element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"
    masthead = next(p for p in made.paragraphs if p.style.name == "GW Masthead")
    assert masthead.style.font.color.rgb == officedoc.RED
    assert made.settings.odd_and_even_pages_header_footer
    assert "PAGE" in section.footer._element.xml and "PAGE" in section.even_page_footer._element.xml


def test_settings_name_the_issuer_and_bars(demo_store, reviewer, as_user):
    admin = as_user("demo_admin")
    with pytest.raises(ValidationError) as refused:
        documents.set_settings(demo_store, admin, {"issuer": "x", "bar_on_time": 120, "bar_satisfied": 80})
    assert refused.value.field == "bar_on_time"
    documents.set_settings(demo_store, admin, {"issuer": "中共某某区委组织部", "briefing_masthead": "挂职工作简报",
                                               "bar_on_time": 95, "bar_satisfied": 90})
    doc_id = documents.draft_bulletin(demo_store, reviewer, "briefing", last_month())
    text = docx_text(documents.file(demo_store, reviewer, doc_id, "docx")[0])
    assert "中共某某区委组织部" in text and "挂职工作简报" in text


def test_two_editors_do_not_overwrite_each_other(demo_store, reviewer, as_user):
    doc_id = documents.draft_bulletin(demo_store, reviewer, "briefing", last_month())
    start = documents.get(demo_store, reviewer, doc_id)["version"]
    documents.edit(demo_store, as_user("demo_admin"), doc_id, sections={"note": "管理员先改"}, version=start)
    with pytest.raises(Conflict):
        documents.edit(demo_store, reviewer, doc_id, sections={"note": "审核人后改"}, version=start)
    assert documents.get(demo_store, reviewer, doc_id)["content"]["sections"][0]["text"] == "管理员先改"


def test_a_bulletin_cannot_cover_the_future(demo_store, reviewer):
    ahead = periods.month(clock.today().replace(day=1) + timedelta(days=40))
    with pytest.raises(ValidationError) as refused:
        documents.draft_bulletin(demo_store, reviewer, "briefing", ahead)
    assert refused.value.field == "period"
