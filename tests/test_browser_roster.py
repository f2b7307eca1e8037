"""The roster in a real browser: a reviewer filters, opens a profile, edits a post and finds the change in the
audit trail; a secondee's roster shows only themselves; a file is imported only when every row is good. One live
server for the module."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import new_context, sign_in, wait_ready, wait_until

pytestmark = pytest.mark.browser

GRID = "[data-testid='stDataFrame']"


def grid_text(page, index: int = 0) -> str:
    # The grid draws on a canvas; its accessible table carries the visible cells' text.
    return page.locator(GRID).nth(index).locator("table").text_content() or ""


def grid_rows(page, index: int = 0) -> int:
    return page.locator(GRID).nth(index).locator("[role=row]").count() - 1   # minus the header row


def wait_grid_contains(page, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "text => [...document.querySelectorAll(\"[data-testid='stDataFrame'] table\")]"
        ".some(t => t.textContent.includes(text))", arg=text, timeout=timeout)


def select_first_row(page) -> None:
    box = page.locator(GRID).first.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)   # the row marker of the first data row
    wait_ready(page)


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("h1", timeout=30_000)
    wait_ready(page)


def open_import(page, base_url: str) -> None:
    """The roster's import tab, as the reviewer signed in on ``page`` opens it."""
    open_page(page, f"{base_url}/roster")
    page.get_by_role("tab", name="导入").click()


def test_reviewer_filters_opens_profile_edits_post_and_sees_audit(browser, live_server):
    store = live_server.store
    person = store.one("select p.id, p.name, p.post from participants p join batches b on b.id = p.batch_id "
                       "where b.code = 'C5' order by p.id limit 1")
    new_post = "党委副书记(挂职)·浏览器测试"
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "demo_reviewer")
        open_page(page, f"{live_server.url}/roster")
        page.get_by_text("显示 68 / 共 68 条").wait_for()

        search = page.get_by_label("搜索", exact=True)
        search.fill(person["name"])
        search.press("Enter")
        page.get_by_text(re.compile(r"显示 \d+ / 共 68 条")).first.wait_for()
        wait_ready(page)
        wait_grid_contains(page, person["name"])
        assert 1 <= grid_rows(page) < 68
        # the unfiltered count goes (while the page reruns, Streamlit keeps the old caption on screen, marked stale)
        page.get_by_text("显示 68 / 共 68 条").wait_for(state="detached", timeout=30_000)

        select_first_row(page)
        page.get_by_text(f"已选择：{person['name']}").wait_for()
        page.get_by_text(f"编辑 {person['name']}").click()
        form = page.locator("[data-testid='stForm']").first
        form.get_by_label("挂职职务").fill(new_post)
        form.get_by_label("挂职职务").press("Tab")    # the field commits its text as a person leaving it does
        form.get_by_role("button", name="保存").click()
        wait_until(lambda: store.scalar("select post from participants where id = ?", (person["id"],)) == new_post,
                   "the new post to be saved")
        page.get_by_text(f"已保存 {person['name']} 的修改").wait_for(timeout=30_000)

        wait_ready(page)
        if not page.get_by_role("link", name="打开档案").is_visible():
            select_first_row(page)
        page.get_by_role("link", name="打开档案").click()
        page.wait_for_url(re.compile(rf"/profile\?id={person['id']}$"), timeout=30_000)
        page.wait_for_selector(f"h1:has-text('{person['name']}')", timeout=30_000)
        wait_ready(page)
        assert new_post in page.locator("[data-testid='stMain']").inner_text()

        # The audit trail page: the change is there with the value before and after.
        entry = store.one("select * from audit_log where table_name = 'participants' and row_id = ? "
                          "order by id desc limit 1", (str(person["id"]),))
        assert entry["username"] == "demo_reviewer" and entry["action"] == "update"
        assert person["post"] in entry["before"] and new_post in entry["after"]
        open_page(page, f"{live_server.url}/audit")
        page.get_by_role("textbox", name="内容包含").fill(new_post)
        page.keyboard.press("Enter")
        wait_ready(page)
        wait_grid_contains(page, new_post)
        assert new_post in grid_text(page) and person["post"] in grid_text(page)
    finally:
        context.close()


def test_secondee_roster_shows_only_themselves(browser, live_server):
    own = live_server.store.one("select p.name from users u join participants p on p.id = u.participant_id "
                                "where u.username = 'demo_secondee'")["name"]
    others = [r["name"] for r in live_server.store.rows("select name from participants where name != ?", (own,))]
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "demo_secondee")
        open_page(page, f"{live_server.url}/roster")
        page.get_by_text("显示 1 / 共 1 条").wait_for()
        wait_grid_contains(page, own)
        assert grid_rows(page) == 1
        text = grid_text(page)
        assert own in text and not any(name in text for name in others)
        assert page.get_by_role("tab", name="导入").count() == 0
        assert page.get_by_role("button", name="下载 CSV").count() == 0
    finally:
        context.close()


def test_reviewer_downloads_the_filtered_roster(browser, live_server):
    """The files are made when the button is clicked (deferred), and carry what the filters show."""
    context = new_context(browser, accept_downloads=True, viewport={"width": 1400, "height": 1200})
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        page.goto(f"{live_server.url}/roster")
        newest = live_server.store.scalar("select code from batches order by start_date desc, code limit 1")
        wait_grid_contains(page, newest)   # newest batch first: its people head the list
        wait_ready(page)   # the page has finished drawing, as a person would see it before clicking
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="下载 CSV").first.click()
        text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[0].startswith("姓名,")
        assert len(lines) == 1 + live_server.store.scalar("select count(*) from participants")
    finally:
        context.close()


HEADER = "姓名,性别,批次,派出单位,挂职单位,挂职职务,开始日期,结束日期\n"


def upload(page, name: str, text: str) -> None:
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    wait_ready(page)


def test_reviewer_imports_a_file_only_when_every_row_is_good(browser, live_server):
    store = live_server.store
    before = store.scalar("select count(*) from participants")
    # Dates inside the newest cadre batch as the demo placed it on the day the suite runs, typed the ways
    # people type them (2025/9/1, 2027年8月31日, 2025.09.01).
    c5 = store.one("select start_date, end_date from batches where code = 'C5'")
    start, end = date.fromisoformat(c5["start_date"]), date.fromisoformat(c5["end_date"])
    slash, dotted = f"{start.year}/{start.month}/{start.day}", f"{start.year}.{start.month:02d}.{start.day:02d}"
    written_end, bad = f"{end.year}年{end.month}月{end.day}日", f"{start.year}-13-01"
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        open_import(page, live_server.url)
        # A bad date on row 3: the page lists it by row, column and value, and nothing is written.
        upload(page, "bad.csv", HEADER + f" 柯一鸣 ,男,C5,区委组织部,上海导入测试科技有限公司,副总经理(挂职),{slash},"
                                          f"{written_end}\n莫语桐,女,C5,区委组织部,上海导入测试科技有限公司,,{bad},"
                                          f"{end.isoformat()}\n")
        page.get_by_text("文件中有 1 处错误").wait_for(timeout=30_000)
        wait_grid_contains(page, bad)
        errors = page.evaluate("bad => [...document.querySelectorAll(\"[data-testid='stDataFrame'] table\")]"
                               ".map(t => t.textContent).find(t => t.includes(bad))", bad)
        assert errors.startswith(f"行号列内容原因3开始日期{bad}不是可识别的日期"), errors   # row 3, column, value, reason
        assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0
        assert store.scalar("select count(*) from participants") == before
        # The corrected file: a preview, then the import on confirmation.
        upload(page, "good.csv", HEADER + f" 柯一鸣 ,男,C5,区委组织部,上海导入测试科技有限公司,副总经理(挂职),{slash},"
                                           f"{written_end}\n莫语桐,女,C5,区委组织部,上海导入测试科技有限公司,,{dotted},"
                                           f"{end.isoformat()}\n")
        page.get_by_role("button", name=re.compile("确认导入")).wait_for(timeout=30_000)
        metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
        assert any("将新增" in m and "2" in m for m in metrics), metrics
        assert store.scalar("select count(*) from participants") == before    # not yet
        page.get_by_role("button", name=re.compile("确认导入")).click()
        page.get_by_text("导入完成：新增 2 人").first.wait_for(timeout=30_000)
        rows = store.rows("select p.name, p.start_date, p.end_date, h.name as host from participants p "
                          "join units h on h.id = p.host_unit_id where p.name in ('柯一鸣', '莫语桐') order by p.name")
        assert [(r["name"], r["start_date"], r["end_date"], r["host"]) for r in rows] == [
            ("柯一鸣", start.isoformat(), end.isoformat(), "上海导入测试科技有限公司"),
            ("莫语桐", start.isoformat(), end.isoformat(), "上海导入测试科技有限公司")]
    finally:
        context.close()


def server_memory_mb(server) -> float:
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_a_hostile_upload_is_refused_with_a_message_and_the_server_stays_small(browser, live_server):
    from test_security import _sparse_corner_xlsx, _zip_bomb_xlsx

    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        open_import(page, live_server.url)
        for name, data, message in (("sparse.xlsx", _sparse_corner_xlsx(), "行数过多"),
                                    ("bomb.xlsx", _zip_bomb_xlsx(), "解压后超过")):
            page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(files=[{
                "name": name, "buffer": data,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
            wait_ready(page)
            wait_grid_contains(page, message, timeout=30_000)
            assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0
            assert server_memory_mb(live_server) < 500, server_memory_mb(live_server)
    finally:
        context.close()


def test_profile_picker_lands_on_each_person_picked(browser, live_server):
    """Three picks in a row land on the three people (the page used to take its own ?id= for a new link and
    undo every other pick), and the address follows the pick."""
    people = live_server.store.rows("select id, name from participants where name not in (select display_name "
                                    "from users) order by id limit 4")
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        open_page(page, f"{live_server.url}/profile?id={people[0]['id']}")
        page.get_by_role("heading", name=people[0]["name"], exact=True).wait_for(timeout=30_000)
        for person in people[1:]:
            box = page.locator("[data-testid='stSelectbox']").first
            box.click()
            page.keyboard.type(person["name"])
            page.keyboard.press("Enter")
            page.get_by_role("heading", name=person["name"], exact=True).wait_for(timeout=30_000)
            wait_ready(page)
            page.wait_for_timeout(500)     # a late rerun must not take the page back
            assert page.get_by_role("heading", name=person["name"], exact=True).count() == 1
            assert f"id={person['id']}" in page.url
        # A name that matches no one: the list says so in Chinese (Streamlit's own words are "No results")
        page.locator("[data-testid='stSelectbox']").first.click()
        page.keyboard.type("zzzz")
        empty = page.locator("[role='listbox'][data-empty='true'] [role='option'] span").first
        empty.wait_for(timeout=10_000)
        assert empty.evaluate("e => getComputedStyle(e, '::after').content") == '"没有匹配的选项"'
        assert empty.evaluate("e => getComputedStyle(e).fontSize") == "0px"
        page.keyboard.press("Escape")
    finally:
        context.close()
