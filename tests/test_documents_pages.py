"""The documents page as each role sees it (AppTest, signed in for real, on the demo)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import actor_for, app_test, visible_text

from secondment import clock, documents, i18n, periods


def labels(at) -> list[str]:
    return [str(b.label) for b in at.button] + [str(b.label) for b in at.get("form_submit_button")]


def tab_labels(at) -> list[str]:
    return [str(tab.label) for tab in at.tabs]


def last_month():
    return periods.month(clock.today().replace(day=1) - timedelta(days=1))


@pytest.mark.parametrize(("user", "tabs"), [
    ("demo_admin", ["文件库", "起草简报通报", "报告审核", "公文设置"]),
    ("demo_reviewer", ["文件库", "起草简报通报", "报告审核"]),
    ("demo_viewer", ["文件库"]),
    ("demo_liaison", ["文件库"]),
    ("demo_secondee", ["文件库", "我的报告"]),
])
def test_each_role_sees_its_own_tabs(demo_store, user, tabs):
    at = app_test("documents", demo_store, user).run()
    assert not at.exception and not at.error
    assert tab_labels(at) == tabs
    assert "还没有" in visible_text(at)          # the empty library says what to do


def test_a_stranger_is_sent_to_sign_in(demo_store):
    at = app_test("documents", demo_store, None).run()
    assert not at.exception
    assert "公文与报告" not in [str(t.value) for t in at.title]


def test_a_reviewer_drafts_edits_and_issues_a_briefing(demo_store):
    at = app_test("documents", demo_store, "demo_reviewer", query={"tab": "bulletins"}).run()
    assert not at.exception
    assert "没有正在起草的文件" in visible_text(at)
    at.button(key="doc_new_go").click().run()
    assert not at.exception and not at.error
    row = demo_store.one("select id, version, kind, period_start from documents")
    assert row["kind"] == "briefing" and row["period_start"] == last_month().start.isoformat()
    note = next(a for a in at.text_area if a.label == "编者按")
    note.set_value("本期编者按：请各单位关注稳岗。")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and not at.error
    content = documents.get(demo_store, actor_for(demo_store, "demo_reviewer"), row["id"])["content"]
    assert content["sections"][0]["text"] == "本期编者按：请各单位关注稳岗。"
    at.button(key=f"doc_issue_{row['id']}").click().run()
    year = clock.today().year
    assert f"将签发为 {year}年第1期" in visible_text(at)
    at.button(key=f"doc_issue_ok_{row['id']}").click().run()
    assert not at.exception and not at.error
    issued = demo_store.one("select status, number from documents where id = ?", (row["id"],))
    assert issued == {"status": "issued", "number": 1}
    assert f"已签发为 {year}年第1期" in visible_text(at)


def test_a_secondee_drafts_and_submits_a_monthly_report(demo_store):
    at = app_test("documents", demo_store, "demo_secondee", query={"tab": "reports"}).run()
    assert not at.exception and not at.error
    assert "起草月度报告" in labels(at) and "起草简报通报" not in tab_labels(at)
    at.button(key="doc_rep_go").click().run()
    assert not at.exception and not at.error
    row = demo_store.one("select id, kind, status, participant_id from documents")
    pid = demo_store.scalar("select participant_id from users where username = 'demo_secondee'")
    assert row["kind"] == "monthly" and row["participant_id"] == pid
    nxt = next(a for a in at.text_area if a.label == "下一步工作")
    nxt.set_value("下月走访园区企业三家。")
    at.get("form_submit_button")[0].click().run()
    at.button(key=f"doc_submit_{row['id']}").click().run()
    at.button(key=f"doc_submit_ok_{row['id']}").click().run()
    assert not at.exception and not at.error
    assert demo_store.scalar("select status from documents where id = ?", (row["id"],)) == "submitted"

    rev = app_test("documents", demo_store, "demo_reviewer", query={"tab": "reviews"}).run()
    assert not rev.exception and "下月走访园区企业三家。" in visible_text(rev)
    rev.button(key=f"doc_return_{row['id']}").click().run()
    assert rev.error and "审核意见" in rev.error[0].value         # returning needs a comment, named
    assert demo_store.scalar("select status from documents where id = ?", (row["id"],)) == "submitted"
    rev.button(key=f"doc_approve_{row['id']}").click().run()
    assert not rev.exception
    assert demo_store.scalar("select status from documents where id = ?", (row["id"],)) == "approved"
    assert i18n.translate("zh", "docs.approved") in [s.value for s in rev.success]


def test_approving_a_report_another_reviewer_decided_first_says_so(demo_store):
    """Reviewer A has the report open; B approves it; A's click is answered (the report is no longer waiting),
    though the list A's page draws next no longer holds it; B's decision stands."""
    pid = demo_store.scalar("select participant_id from users where username = 'demo_secondee'")
    secondee, admin = actor_for(demo_store, "demo_secondee"), actor_for(demo_store, "demo_admin")
    report = documents.draft_report(demo_store, secondee, pid, "monthly",
                                    month=(clock.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    documents.submit(demo_store, secondee, report)
    rev = app_test("documents", demo_store, "demo_reviewer", query={"tab": "reviews"}).run()
    assert f"doc_approve_{report}" in [b.key for b in rev.button]
    documents.review(demo_store, admin, report, approve=True)
    rev.button(key=f"doc_approve_{report}").click().run()
    assert not rev.exception
    assert [e.value for e in rev.error] == [i18n.translate("zh", "error.document_not_submitted")]
    assert demo_store.one("select status, reviewed_by from documents where id = ?", (report,)) == {
        "status": "approved", "reviewed_by": admin.user_id}


def test_the_library_in_english_and_a_liaison_reads_an_extract(demo_store):
    reviewer = actor_for(demo_store, "demo_reviewer")
    doc_id = documents.draft_bulletin(demo_store, reviewer, "notice", last_month())
    documents.issue(demo_store, reviewer, doc_id)
    at = app_test("documents", demo_store, "demo_liaison", lang="en").run()
    assert not at.exception and not at.error
    assert [str(t.value) for t in at.title] == ["Documents"]
    frame = at.dataframe[0].value
    assert list(frame["Kind"]) == ["Notice"] and list(frame["Status"]) == ["Issued"]


def test_settings_refuse_a_bad_bar_naming_it(demo_store):
    at = app_test("documents", demo_store, "demo_admin", query={"tab": "settings"}).run()
    assert not at.exception
    at.text_input[0].set_value("中共示范区委组织部")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and not at.error
    assert documents.settings(demo_store)["issuer"] == "中共示范区委组织部"
