"""A stint from its agreement to its assessment, in a real browser, by four people at once: a reviewer drafts the
agreement with objectives under all four roles and records the three parties' agreement; the secondee links two of
their entries to objectives; the host unit's contact, in a browser with no account, fills the appraisal through the
link the reviewer issued (and cannot use it twice); the reviewer records the conclusion; the profile shows it all."""
import re
from datetime import timedelta

import pytest
from conftest import new_context, sign_in, wait_ready, wait_until
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from secondment import clock

pytestmark = pytest.mark.browser

OBJECTIVES = [  # role label, objective, target
    ("辅导员", "指导企业党支部规范“三会一课”", "每季度检查台账 1 次"),
    ("宣传员", "宣讲区里的惠企政策", "全年宣讲 4 场"),
    ("协调员", "协调解决企业用工难题", "对接部门 3 次"),
    ("信息员", "收集企业诉求并按时反馈", "每月报送 2 条"),
]
HOST_COMMENT = "该同志挂职期间工作扎实，<b>深受</b>企业好评。"


def pick(page, label, option, scope=None):
    """Choose ``option`` in the Streamlit select box labelled ``label``."""
    where = scope or page
    for attempt in range(3):
        box = where.get_by_role("combobox", name=label).filter(visible=True).first
        box.click()
        box.press("ControlOrMeta+a")
        page.keyboard.type(option[:12])   # a box showing its choice lists only what matches its text
        try:
            page.get_by_role("option", name=option, exact=True).first.click(timeout=10_000)
            break
        except PlaywrightTimeout:
            # A rerun that started as the list opened drew the box anew and closed the list: open it again.
            if attempt == 2:
                raise
            wait_ready(page)
    wait_ready(page)


def tab(page, name):
    page.get_by_role("tab", name=name).click()
    wait_ready(page)


def test_a_stint_from_agreement_to_conclusion(browser, live_server):
    store = live_server.store
    pid = store.scalar("select participant_id from users where username = 'demo_secondee'")
    name = store.scalar("select name from participants where id = ?", (pid,))
    with store.write() as db:     # start this person's stint record from nothing
        x = db.conn.execute
        for table in ("objective_links", "host_links", "assessments", "returns"):
            x(f"delete from {table} where participant_id = ?", (pid,))
        x("delete from agreement_parties where agreement_id in (select id from agreements where participant_id = ?)",
          (pid,))
        x("delete from objectives where agreement_id in (select id from agreements where participant_id = ?)", (pid,))
        x("delete from agreements where participant_id = ?", (pid,))
        # the stint nears its end: the assessment is due (it opens a month before the end)
        x("update participants set end_date = ? where id = ?", ((clock.today() + timedelta(days=20)).isoformat(), pid))
    entries = store.rows("select id, date, title from activities where participant_id = ? order by date desc, id desc "
                         "limit 2", (pid,))
    assert len(entries) == 2

    reviewer_ctx, secondee_ctx, host_ctx = new_context(browser), new_context(browser), new_context(browser)
    try:
        # 1. the reviewer drafts the agreement: one objective under each of the four roles
        rv = reviewer_ctx.new_page()
        sign_in(rv, live_server.url, "demo_reviewer")
        rv.goto(f"{live_server.url}/stint?id={pid}")
        wait_ready(rv)
        rv.get_by_text("还没有任务书").first.wait_for(timeout=30_000)
        for role, text, target in OBJECTIVES:
            form = rv.locator(".st-key-st_add_objective")
            pick(rv, "履职类别", role, form)
            form.get_by_label("目标任务", exact=True).fill(text)
            form.get_by_label("可衡量的指标").fill(target)
            form.get_by_role("button", name=re.compile("添加目标任务")).click()
            rv.get_by_text(text).first.wait_for(timeout=30_000)
            wait_ready(rv)
        version = store.one("select id, version, status from agreements where participant_id = ?", (pid,))
        assert (version["version"], version["status"]) == (1, "draft")
        roles = [r["role"] for r in store.rows("select role from objectives where agreement_id = ? order by position",
                                               (version["id"],))]
        assert roles == ["counsellor", "publicist", "coordinator", "info_officer"]

        # … and records each party's agreement; the third brings it into force
        for party, signatory in (("派出单位", "派出单位 李书记"), ("挂职单位", "企业 王总"), ("区委组织部", "组织部 张科长")):
            form = rv.locator(".st-key-st_agree")
            pick(rv, "签署方", party, form)
            form.get_by_label("签字人").fill(signatory)
            form.get_by_role("button", name=re.compile("登记确认")).click()
            rv.get_by_text("已登记确认").first.wait_for(timeout=30_000)
            wait_ready(rv)
        wait_until(lambda: store.scalar("select status from agreements where id = ?", (version["id"],)) == "agreed",
                   "the agreement to come into force")
        assert store.scalar("select count(*) from agreement_parties where agreement_id = ?", (version["id"],)) == 3

        # 2. the secondee, in their own browser, links two of their entries to objectives
        me = secondee_ctx.new_page()
        sign_in(me, live_server.url, "demo_secondee")
        me.goto(f"{live_server.url}/stint")
        wait_ready(me)
        me.get_by_text("把工作关联到目标任务").first.click()
        pick(me, "目标任务", f"辅导员 · {OBJECTIVES[0][1]}")
        chooser = me.get_by_label("选择要关联的条目")
        for entry in entries:
            chooser.click()
            me.get_by_role("option", name=f"{entry['date']} · {entry['title']}", exact=True).click()
            me.keyboard.press("Escape")
        me.get_by_role("button", name="关联", exact=True).click()
        me.get_by_text("已关联 2 项").first.wait_for(timeout=30_000)
        linked = store.rows("select l.item_id from objective_links l join objectives o on o.lineage = l.lineage "
                            "where o.agreement_id = ? and o.role = 'counsellor'", (version["id"],))
        assert sorted(r["item_id"] for r in linked) == sorted(e["id"] for e in entries)
        # the secondee may not record a party's agreement, nor conclude
        assert me.get_by_role("button", name=re.compile("登记确认")).count() == 0
        # … and hands in the self-assessment, drafted from the agreement and the log
        tab(me, "期满考核鉴定")
        draft = me.get_by_label("个人总结").first
        draft.wait_for(timeout=30_000)
        assert OBJECTIVES[0][1] in draft.input_value()
        me.get_by_role("button", name=re.compile("保存个人总结")).click()
        wait_until(lambda: store.scalar("select self_at from assessments where participant_id = ?", (pid,)),
                   "the self-assessment to be saved")
        assert me.get_by_role("button", name=re.compile("作出考核结论")).count() == 0

        # 3. at the end of the stint, the reviewer issues the host contact's link …
        tab(rv, "期满考核鉴定")
        rv.get_by_label("挂职单位联系人").fill("企业 王总")
        rv.get_by_role("button", name=re.compile("生成填写链接")).click()
        code = rv.locator("[data-testid='stCode']").first
        code.wait_for(timeout=30_000)
        url = code.inner_text().strip()
        assert re.fullmatch(r"http://[^/]+/_host/appraisal\?token=[\w.\-]+", url), url

        # … who opens it in a browser with no account, sees only that person, and fills the appraisal
        host = host_ctx.new_page()
        host.goto(url)
        host.get_by_text(name).first.wait_for(timeout=30_000)
        assert host.get_by_text(OBJECTIVES[0][1]).count() >= 1
        assert host.locator("a[href*='stint'], a[href*='profile'], a[href*='roster']").count() == 0
        for i, grade in enumerate(("excellent", "excellent", "good", "excellent", "good")):
            host.locator("fieldset").nth(i).locator(f"input[value='{grade}']").check()
        host.locator("#comment").fill(HOST_COMMENT)
        host.locator("#signatory").fill("企业 王总")
        host.locator("button[type='submit']").click()
        host.wait_for_load_state()
        assert name not in host.locator("body").inner_text()      # the thank-you page says nothing of the person
        row = store.one("select * from assessments where participant_id = ?", (pid,))
        assert (row["host_de"], row["host_qin"], row["host_comment"], row["host_signatory"]) == (
            "excellent", "good", HOST_COMMENT, "企业 王总")
        # the same link again: refused, and nothing of the person shows
        again = host_ctx.new_page()
        response = again.goto(url)
        assert response.status in (404, 410)
        assert name not in again.locator("body").inner_text()

        # 4. the reviewer sees the appraisal (the planted tag as text) and records the conclusion
        rv.reload()
        wait_ready(rv)
        tab(rv, "期满考核鉴定")
        rv.get_by_text(HOST_COMMENT).first.wait_for(timeout=30_000)
        pick(rv, "考核结论", "称职")
        rv.get_by_role("button", name=re.compile("作出考核结论")).first.click()
        rv.get_by_text(re.compile("作出后考核鉴定不能再修改")).first.wait_for(timeout=30_000)
        # the confirm button by its key: the warning draws before it, so "the last such button" could still be
        # the first one while the run is drawing (a second click on it only asks again)
        rv.locator(".st-key-st_concl_go button").click()
        rv.get_by_text("考核结论已作出").first.wait_for(timeout=30_000)
        assert store.scalar("select conclusion from assessments where participant_id = ?", (pid,)) == "competent"

        # 5. the profile shows the whole stint
        rv.goto(f"{live_server.url}/profile?id={pid}")
        wait_ready(rv)
        rv.get_by_text("挂职全程").first.wait_for(timeout=30_000)
        wait_ready(rv)                  # the heading comes before the blocks below it: read once the run has ended
        main = rv.locator("[data-testid='stMain']")
        text = main.inner_text()
        assert "已确认" in text and "第 1 版 · 目标完成 0 / 4" in text
        assert "已作出考核结论" in text and "称职" in text
    finally:
        reviewer_ctx.close()
        secondee_ctx.close()
        host_ctx.close()
