"""Documents in a real browser, two people at once: a reviewer drafts the 简报 for last month, edits the editor's
note, issues it as 第 N 期 and downloads it; a secondee drafts, edits and submits a monthly report; the reviewer
approves it. A browser with no cookies gets nothing of the print view."""
import io
from datetime import timedelta

import docx
import pytest
from conftest import new_context, open_from_menu, sign_in, wait_ready, wait_until

from secondment import clock, periods

pytestmark = pytest.mark.browser

NOTE = "本期重点：稳岗扩岗，<b>不是标记</b>。"
NEXT = "下月走访园区企业三家，跟进用工问题。"


def tab(page, name):
    page.get_by_role("tab", name=name).click()
    wait_ready(page)


def button(page, key):
    """The Streamlit button with ``key`` (its container carries the class st-key-<key>)."""
    return page.locator(f".st-key-{key} button").first


def test_bulletin_and_monthly_report_from_draft_to_final(browser, live_server, tmp_path):
    store = live_server.store
    last = periods.month(clock.today().replace(day=1) - timedelta(days=1))
    year = clock.today().year
    before = store.scalar("select coalesce(max(number), 0) from documents where kind = 'briefing' and year = ?",
                          (year,))
    reviewer_ctx, secondee_ctx = new_context(browser), new_context(browser)
    try:
        reviewer, secondee = reviewer_ctx.new_page(), secondee_ctx.new_page()
        sign_in(reviewer, live_server.url, "demo_reviewer")
        sign_in(secondee, live_server.url, "demo_secondee")

        # The reviewer drafts last month's 简报 (the default kind and month), edits the note and saves.
        open_from_menu(reviewer, "documents")
        tab(reviewer, "起草简报通报")
        reviewer.get_by_role("button", name="起草", exact=True).click()
        reviewer.get_by_text("草稿已生成").wait_for(timeout=60_000)
        wait_ready(reviewer)
        doc = store.one("select id, period_start, period_end from documents where kind = 'briefing' "
                        "order by id desc limit 1")
        assert (doc["period_start"], doc["period_end"]) == (last.start.isoformat(), last.end.isoformat())
        note = reviewer.get_by_label("编者按")
        note.fill(NOTE)
        reviewer.get_by_role("button", name="保存").first.click()
        wait_until(lambda: NOTE in store.scalar("select content from documents where id = ?", (doc["id"],)),
                   "the edited note saved")
        wait_ready(reviewer)

        # Meanwhile the secondee drafts a monthly report, adds next steps, saves and submits it.
        open_from_menu(secondee, "documents")
        tab(secondee, "我的报告")
        secondee.get_by_role("button", name="起草月度报告").click()
        secondee.get_by_text("草稿已生成").wait_for(timeout=60_000)
        wait_ready(secondee)
        report = store.one("select id from documents where kind = 'monthly' order by id desc limit 1")["id"]
        secondee.get_by_label("下一步工作").fill(NEXT)
        secondee.get_by_role("button", name="保存").first.click()
        wait_until(lambda: NEXT in store.scalar("select content from documents where id = ?", (report,)),
                   "the report's next steps saved")
        wait_ready(secondee)

        # The reviewer issues the 简报: the confirmation names the number it takes.
        number = f"{year}年第{before + 1}期"
        button(reviewer, f"doc_issue_{doc['id']}").click()
        reviewer.get_by_text(f"将签发为 {number}").wait_for()
        reviewer.get_by_role("button", name=f"签发为 {number}").click()
        reviewer.get_by_text(f"已签发为 {number}").wait_for(timeout=60_000)
        wait_ready(reviewer)
        assert store.one("select status, number from documents where id = ?", (doc["id"],)) == {
            "status": "issued", "number": before + 1}
        with reviewer.expect_download() as got:
            reviewer.locator(".st-key-doc_just_issued_box").get_by_role("button", name="下载 Word").click()
        path = tmp_path / "briefing.docx"
        got.value.save_as(path)
        assert got.value.suggested_filename.endswith(".docx")
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(path.read_bytes())).paragraphs)
        assert number in text and NOTE in text and "双向挂职工作简报" in text
        assert path.read_bytes() == store.scalar(
            "select data from document_files where document_id = ? and format = 'docx'", (doc["id"],))

        # The secondee submits; the reviewer approves.
        button(secondee, f"doc_submit_{report}").click()
        button(secondee, f"doc_submit_ok_{report}").click()
        wait_until(lambda: store.scalar("select status from documents where id = ?", (report,)) == "submitted",
                   "the report submitted")
        reviewer.reload()
        wait_ready(reviewer)
        tab(reviewer, "报告审核")
        reviewer.get_by_text(NEXT).wait_for()
        button(reviewer, f"doc_approve_{report}").click()
        wait_until(lambda: store.scalar("select status from documents where id = ?", (report,)) == "approved",
                   "the report approved")
        reviewer.get_by_text("报告已通过并存档").wait_for()

        # The print view: the issued 简报 for the reviewer, nothing for a stranger.
        reviewer.goto(f"{live_server.url}/_doc/print?id={doc['id']}")
        assert number in reviewer.inner_text("body") and NOTE in reviewer.inner_text("body")
        assert reviewer.locator("b", has_text="不是标记").count() == 0        # typed markup stays text
    finally:
        reviewer_ctx.close()
        secondee_ctx.close()
    stranger = new_context(browser)
    try:
        page = stranger.new_page()
        response = page.goto(f"{live_server.url}/_doc/print?id={doc['id']}")
        assert response.status == 401 and NOTE not in page.inner_text("body")
    finally:
        stranger.close()
