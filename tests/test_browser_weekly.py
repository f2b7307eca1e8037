"""The weekly routine in a real browser: a secondee logs and submits, a reviewer returns it with a comment,
the secondee corrects and resubmits, the reviewer approves, and the coverage map shows the week approved."""
import re

import pytest
from conftest import new_context, sign_in, wait_ready, wait_until

from secondment import activities, clock

pytestmark = pytest.mark.browser

COMMENT = "请补充走访的企业名称和人数"


def week_state(store, pid, week):
    return store.scalar("select state from week_reviews where participant_id = ? and week = ?", (pid, week))


def queue_item(page, name, week):
    """The reviewer's expander for that person's week, opened."""
    item = page.locator("[data-testid='stExpander']").filter(has_text=re.compile(f"{name}.*{week}"))
    item.first.wait_for(timeout=30_000)
    # Only an open week draws its entries: opening it runs the page, so it is clicked once, when closed.
    if not item.first.locator("details").first.evaluate("d => d.open"):
        item.first.locator("summary").click()
    item.first.locator("textarea").first.wait_for(state="visible", timeout=30_000)
    return item.first


def open_page(page, label):
    """Go to another page through the sidebar (same session, fresh data)."""
    page.locator("[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']").filter(has_text=label).first.click()
    # The page's own heading, not just an idle status widget: right after the click the old page is still up.
    page.locator("[data-testid='stMain'] h1").filter(has_text=label).first.wait_for(timeout=30_000)
    wait_ready(page)


def bell_count(page) -> int:
    """The unread count on the sidebar's bell ("提醒（3）"; "提醒" alone when nothing is unread)."""
    label = page.locator("[data-testid='stSidebar'] [data-testid='stPopover'] button").first.inner_text()
    found = re.search(r"（(\d+)）", label)
    return int(found.group(1)) if found else 0


def add_entry(page, role, title, description):
    form = page.locator("[data-testid='stForm']").first
    form.get_by_text(role, exact=True).click()
    form.get_by_label("标题").fill(title)
    form.get_by_label("工作内容").fill(description)
    form.get_by_role("button", name=re.compile("保存这一条")).click()
    page.get_by_text(title).first.wait_for(timeout=30_000)
    wait_ready(page)
    assert page.locator("[data-testid='stForm']").first.get_by_label("标题").input_value() == ""  # cleared


def test_weekly_log_return_resubmit_approve(browser, live_server, tmp_path):
    store = live_server.store
    week = activities.week_of(clock.today())
    user = store.one("select participant_id from users where username = 'demo_secondee'")
    pid = user["participant_id"]
    name = store.scalar("select name from participants where id = ?", (pid,))
    with store.write() as db:  # start from an empty, unsubmitted week
        db.conn.execute("delete from practices where activity_id in (select id from activities "
                        "where participant_id = ? and week = ?)", (pid, week))
        db.conn.execute("delete from activities where participant_id = ? and week = ?", (pid, week))
        db.conn.execute("delete from week_reviews where participant_id = ? and week = ?", (pid, week))

    secondee_ctx, reviewer_ctx = new_context(browser), new_context(browser)
    try:
        # 1. the secondee logs two entries and submits the week
        me = secondee_ctx.new_page()
        sign_in(me, live_server.url, "demo_secondee")
        me.locator("[data-testid='stForm']").first.wait_for(timeout=30_000)
        add_entry(me, "辅导员", "指导党支部制定年度计划", "与支部书记梳理三会一课安排")
        add_entry(me, "信息员", "走访车间了解职工诉求", "收集职工对通勤班车的意见")
        assert store.scalar("select count(*) from activities where participant_id = ? and week = ?",
                            (pid, week)) == 2
        me.get_by_role("button", name=re.compile("提交本周周志")).click()
        confirm = me.get_by_role("dialog")              # submitting locks the week: it asks first
        confirm.get_by_text(re.compile("2 条记录")).first.wait_for(timeout=30_000)   # drawn after its title
        confirm.get_by_role("button", name=re.compile("提交本周周志")).click()
        me.get_by_text("正在等待审核").first.wait_for(timeout=30_000)
        assert week_state(store, pid, week) == "submitted"
        bell_before = bell_count(me)

        # 2. a reviewer, in a second browser context, returns it with a comment
        rv = reviewer_ctx.new_page()
        sign_in(rv, live_server.url, "demo_reviewer")
        open_page(rv, "周志审核")
        item = queue_item(rv, name, week)
        item.locator("textarea").first.fill(COMMENT)
        item.locator("textarea").first.press("Tab")
        item.get_by_role("button", name=re.compile("退回修改")).click()
        wait_until(lambda: week_state(store, pid, week) == "returned", "the week to be returned")
        rv.get_by_text(f"已退回 {name} 的 {week} 周志").wait_for(timeout=30_000)

        # 3. the secondee, on their next page, sees the bell count rise and the to-do line, follows the line to
        #    the week, sees the comment, corrects an entry and submits again
        open_page(me, "经验做法库")
        assert bell_count(me) == bell_before + 1
        open_page(me, "我的周志")
        # (on the page it names, a to-do line is a button that opens its week; elsewhere it is a link)
        line = me.locator(".st-key-todo").get_by_role("button", name=re.compile(f"第 {week} 周的周志被退回"))
        line.click()
        me.wait_for_function("w => location.pathname.endsWith('/my_week') && location.search.includes('week=' + w)",
                             arg=week, timeout=30_000)
        wait_ready(me)
        me.get_by_text(COMMENT).first.wait_for(timeout=30_000)
        me.get_by_role("button", name=re.compile("编辑")).nth(1).click()
        dialog = me.get_by_role("dialog")
        dialog.get_by_label("工作内容").fill("走访三号车间，12 名职工反映通勤班车不足")
        dialog.get_by_role("button", name=re.compile("保存")).click()
        me.get_by_text("条目已修改").wait_for(timeout=30_000)
        assert store.scalar("select count(*) from activities where participant_id = ? and week = ? and "
                            "description like '%12 名职工%'", (pid, week)) == 1
        me.locator("[data-testid='stBaseButton-primary']").filter(has_text="重新提交").click()
        me.get_by_role("dialog").get_by_role("button", name=re.compile("重新提交")).click()
        me.get_by_text("正在等待审核").first.wait_for(timeout=30_000)
        assert week_state(store, pid, week) == "submitted"

        # 4. the reviewer's to-do (on the overview, their home page) shows the week waiting; they approve it,
        #    and the coverage map shows the week approved
        open_page(rv, "总览")
        rv.locator(".st-key-todo").get_by_role("link", name=re.compile("份周志等待审核")).wait_for(timeout=30_000)
        open_page(rv, "履职覆盖")
        open_page(rv, "周志审核")
        item = queue_item(rv, name, week)
        item.get_by_text(COMMENT).first.wait_for()          # the earlier comment is shown for context
        wait_ready(rv)                                      # the page's run is over: the button is the live one
        item.get_by_role("button", name=re.compile("^.*通过$")).click()
        # (if it stays unapproved, new_context prints what the reviewer's page showed)
        wait_until(lambda: week_state(store, pid, week) == "approved", "the week to be approved", timeout=60)
        rv.get_by_text(f"已通过 {name} 的 {week} 周志").wait_for(timeout=30_000)

        open_page(rv, "履职覆盖")
        rv.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        cells = rv.evaluate("() => { const el = document.querySelector('.js-plotly-plot');"
                            " return el.data[0].text.flat(); }")
        mine = [c for c in cells if c.startswith(f"{name} · {week}")]
        assert mine and "已通过" in mine[0], mine
        rv.screenshot(path=str(tmp_path / "coverage.png"), full_page=True)
    finally:
        for ctx, who in ((secondee_ctx, "secondee"), (reviewer_ctx, "reviewer")):
            for i, shown in enumerate(ctx.pages):
                shown.screenshot(path=str(tmp_path / f"{who}_{i}.png"), full_page=True)
        secondee_ctx.close()
        reviewer_ctx.close()


def test_a_week_a_reviewer_opened_stays_open_when_another_reviewer_shortens_the_queue(browser, live_server):
    """Two reviewers at once: one opens a week low in the queue and starts a comment; meanwhile the other approves
    the first week of the queue, so on the first one's next run every week below it moves up one place. The
    week that was opened stays open, with its comment, and can be approved."""
    from conftest import actor_for

    store = live_server.store
    other = actor_for(store, "demo_reviewer")
    queue = activities.list_weeks(store, other, state="submitted")
    assert len(queue) >= 5                          # more than three: the queue's weeks start closed
    first, mine = queue[0], queue[3]
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        open_page(page, "周志审核")
        item = queue_item(page, mine["name"], mine["week"])
        activities.review_week(store, other, first["participant_id"], first["week"], "approve")
        item.locator("textarea").first.fill("第四周的意见")
        item.locator("textarea").first.press("Tab")             # the comment is committed: the page runs again
        page.get_by_text(re.compile(f"{first['name']}.*{first['week']}")).first.wait_for(state="detached",
                                                                                         timeout=30_000)
        wait_ready(page)
        opened = page.locator("[data-testid='stExpander']").filter(
            has_text=re.compile(f"{mine['name']}.*{mine['week']}")).first
        assert opened.locator("textarea").first.is_visible()                 # still open, one place higher
        assert opened.locator("textarea").first.input_value() == "第四周的意见"
        opened.get_by_role("button", name=re.compile("通过$")).click()
        page.get_by_text(f"已通过 {mine['name']} 的 {mine['week']} 周志").first.wait_for(timeout=30_000)
        wait_until(lambda: week_state(store, mine["participant_id"], mine["week"]) == "approved", "the approval")
    finally:
        context.close()
