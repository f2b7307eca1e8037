"""The closed loop in a real browser, three people at once (three browser contexts on one server):
a secondee raises an item; the liaison of the proposed department transfers it; the second department's
liaison accepts and answers; the secondee rates it unsatisfied and it returns to that department; it is
answered again and rated satisfied; the reviewer then sees the whole timeline and the flow."""
from __future__ import annotations

import re
import time

import pytest
from conftest import new_context, wait_ready
from playwright.sync_api import expect

from secondment import auth, feedback, vocab
from secondment.permissions import Actor

pytestmark = pytest.mark.browser

SUMMARY = "浏览器测试 企业用电增容审批慢"


def liaison_for(store, department_id: int, fallback_username: str) -> str:
    """The username of a liaison of ``department_id``; creates one when the demo has none."""
    row = store.one("select username from users where role = 'liaison' and active = 1 and department_id = ? "
                    "order by username = ? desc, id", (department_id, fallback_username))
    if row:
        return row["username"]
    username = f"{fallback_username}_b"
    auth.create_user(store, Actor.system(), username, auth.DEMO_PASSWORD, "liaison", department_id=department_id,
                     display_name=f"{username}")
    return username


def plan(store):
    """Pick a category routed to demo_liaison's department, and a second department for the transfer."""
    first = store.one("select department_id from users where username = 'demo_liaison'")["department_id"]
    routes = {r["category"]: r["department_id"] for r in store.rows("select * from routing")}
    category = next((c for c, d in routes.items() if d == first), None)
    if category is None:  # make the catalogue route one category to the first liaison's department
        category = "production"
        feedback.set_routing(store, Actor.system(), {category: first})
    second = (store.one("select department_id from users where username = 'demo_liaison2'") or {}).get("department_id")
    if second is None or second == first:
        second = next(d["id"] for d in feedback.departments(store, Actor.system()) if d["id"] != first)
    names = {d["id"]: d["name"] for d in feedback.departments(store, Actor.system())}
    return category, first, second, names


def sign_in(page, base_url: str, username: str, password: str = auth.DEMO_PASSWORD) -> None:
    """Sign in through the form and wait for the signed-in shell (its sign-out button), whatever the menu."""
    page.goto(base_url)
    page.get_by_label("用户名").or_(page.get_by_label("Username")).first.fill(username)
    page.get_by_label("密码").or_(page.get_by_label("Password")).first.fill(password)
    page.get_by_role("button", name="登录").or_(page.get_by_role("button", name="Sign in")).first.click()
    page.get_by_role("button", name="退出登录").or_(page.get_by_role("button", name="Sign out")).first.wait_for(
        timeout=30_000)
    wait_ready(page)


def choose(page, label: str, option: str | re.Pattern, typed: str | None = None) -> None:
    """Pick ``option`` in the Streamlit select box labelled ``label``."""
    box = page.get_by_role("combobox", name=label).filter(visible=True).first
    box.click()
    if typed:
        page.keyboard.type(typed)
    page.get_by_role("option", name=option).first.click()
    wait_ready(page)


def fill(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True).filter(visible=True).first
    field.fill(value)
    field.press("Tab")  # Streamlit takes a text area's value when it loses focus
    wait_ready(page)


def click(page, name: str, role: str = "button") -> None:
    target = page.get_by_role(role, name=name, exact=True).filter(visible=True).first
    target.click()
    if role == "tab":  # the tab set may be redrawn by a rerun just as it is clicked: make sure it took
        for _ in range(20):
            if page.get_by_role("tab", name=name, exact=True).filter(visible=True).first.get_attribute(
                    "aria-selected") == "true":
                break
            page.wait_for_timeout(250)
            page.get_by_role("tab", name=name, exact=True).filter(visible=True).first.click()
    wait_ready(page)


def open_item(page, fid: int) -> None:
    choose(page, "打开事项", re.compile(rf"^(● )?#{fid} · "), typed=f"#{fid} ")


def go(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def body(page) -> str:
    return page.inner_text("body")


def shows(page, text, timeout: float = 30_000) -> None:
    """Wait until the page shows ``text`` (a string or a compiled pattern)."""
    expect(page.locator("body")).to_contain_text(text, timeout=timeout)


def eventually(check, timeout: float = 30.0):
    """Poll ``check()`` until it returns something true (the server writes on its own schedule)."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.2)


def status(store, fid):
    return store.one("select status, department_id, send_backs from feedback where id = ?", (fid,))


def test_closed_loop_across_three_people(browser, live_server, tmp_path):
    store = live_server.store
    category, first, second, names = plan(store)
    liaison1 = liaison_for(store, first, "demo_liaison")
    liaison2 = liaison_for(store, second, "demo_liaison2")
    url = live_server.url
    contexts = [new_context(browser) for _ in range(3)]
    secondee, one, two = (c.new_page() for c in contexts)
    try:
        sign_in(secondee, url, "demo_secondee")
        sign_in(one, url, liaison1)
        sign_in(two, url, liaison2)

        # 1. The secondee raises an item; the routing catalogue proposes the first department.
        go(secondee, f"{url}/feedback")
        click(secondee, "提交问题反馈", role="tab")
        choose(secondee, "问题类别", vocab.label("feedback_category", category, "zh"))
        shows(secondee, f"分办目录推荐：{names[first]}")
        fill(secondee, "问题摘要", SUMMARY)
        click(secondee, "提交")
        shows(secondee, re.compile(r"已提交问题反馈 #\d+"))
        match = re.search(r"已提交问题反馈 #(\d+)", body(secondee))
        fid = int(match.group(1))
        assert status(store, fid) == {"status": "submitted", "department_id": first, "send_backs": 0}
        secondee.screenshot(path=str(tmp_path / "1_raised.png"), full_page=True)

        # 2. The first department's liaison sees it in the inbox and transfers it with a reason.
        go(one, f"{url}/feedback")
        open_item(one, fid)
        shows(one, SUMMARY)
        click(one, "转办", role="tab")
        choose(one, "转办至", names[second], typed=names[second][:3])
        fill(one, "理由", "属于该部门职责，转请办理")
        click(one, "转办")
        shows(one, f"事项 #{fid} 已转办")
        assert status(store, fid)["department_id"] == second

        # 3. The second department's liaison accepts and answers.
        go(two, f"{url}/feedback")
        open_item(two, fid)
        click(two, "受理")
        shows(two, f"已受理事项 #{fid}")
        click(two, "答复", role="tab")
        fill(two, "答复内容", "已协调供电公司现场勘察 两周内完成增容")
        click(two, "答复")
        shows(two, f"事项 #{fid} 已答复")
        assert status(store, fid)["status"] == "answered"

        # 4. The secondee rates it unsatisfied: back to the same (second) department.
        go(secondee, f"{url}/feedback")
        shows(secondee, "已答复，请打开评价")
        open_item(secondee, fid)
        shows(secondee, "已协调供电公司现场勘察")
        secondee.get_by_role("radiogroup").get_by_text("不满意", exact=True).click()
        wait_ready(secondee)
        fill(secondee, "说明", "两周已过仍未增容")
        click(secondee, "评价")
        shows(secondee, f"事项 #{fid} 已退回部门重办")
        assert status(store, fid) == {"status": "in_progress", "department_id": second, "send_backs": 1}

        # 5. It is back in the second department's inbox; answered again; rated satisfied.
        go(two, f"{url}/feedback")
        open_item(two, fid)
        click(two, "答复", role="tab")
        fill(two, "答复内容", "增容已完成并通电。")
        click(two, "答复")
        shows(two, f"事项 #{fid} 已答复")
        assert status(store, fid)["status"] == "answered"
        go(secondee, f"{url}/feedback")
        open_item(secondee, fid)
        secondee.get_by_role("radiogroup").get_by_text("满意", exact=True).click()
        wait_ready(secondee)
        click(secondee, "评价")
        shows(secondee, f"事项 #{fid} 已办结")
        assert status(store, fid)["status"] == "closed"
        assert store.scalar("select evaluation from feedback where id = ?", (fid,)) == "satisfied"

        # The first liaison no longer sees it.
        go(one, f"{url}/feedback")
        one.get_by_label("搜索").fill(f"#{fid}")
        one.get_by_label("搜索").press("Enter")
        shows(one, "收件箱里没有符合条件的事项")
        assert SUMMARY not in body(one)

        # 6. The reviewer (in the first liaison's browser, signed in again) sees the whole timeline and the flow.
        contexts[1].clear_cookies()
        reviewer = one
        sign_in(reviewer, url, "demo_reviewer")
        go(reviewer, f"{url}/feedback")
        reviewer.get_by_label("搜索").fill(f"#{fid}")
        reviewer.get_by_label("搜索").press("Enter")
        shows(reviewer, "显示 1 / 共 1 条")
        open_item(reviewer, fid)
        shows(reviewer, "办理过程")
        # The timeline is drawn block by block: read it once its last step is there and the run has ended
        # (read earlier, it held two steps when the machine was busy).
        shows(reviewer, "评价（满意）")
        wait_ready(reviewer)
        # The timeline: one block a step, in order, under its heading.
        main = reviewer.locator("[data-testid='stMain']").inner_text()
        timeline = main[main.rfind("办理过程"):]
        steps = [s for s in ("提交", "转办", "受理", "答复", "退回重办", "答复", "评价")]
        positions, start = [], 0
        for step in steps:
            found = timeline.find(step, start)
            assert found >= 0, (step, timeline)
            positions.append(found)
            start = found + len(step)
        for text in (names[first], names[second], "属于该部门职责", "两周已过仍未增容", "满意"):
            assert text in timeline, text
        reviewer.screenshot(path=str(tmp_path / "2_timeline.png"), full_page=True)

        go(reviewer, f"{url}/flows")
        reviewer.wait_for_selector(".js-plotly-plot", timeout=30_000)
        sankey = reviewer.locator(".js-plotly-plot").first.inner_text()
        assert names[second] in sankey
        choose(reviewer, "流向或节点", re.compile(rf"^承办部门：{re.escape(names[second])}（\d+）$"),
               typed=names[second][:4])
        shows(reviewer, f"流向：承办部门：{names[second]}")
        reviewer.screenshot(path=str(tmp_path / "3_flows.png"), full_page=True)
    except Exception:
        for name, page in (("secondee", secondee), ("one", one), ("two", two)):
            page.screenshot(path=str(tmp_path / f"failed_{name}.png"), full_page=True)
        raise
    finally:
        for c in contexts:
            c.close()
