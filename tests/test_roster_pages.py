"""Roster, profile and batches pages as people see them (AppTest, signed in for real)."""
from __future__ import annotations

import pytest
from conftest import app_test, visible_text
from test_roster import build_small

from secondment import auth, i18n
from secondment.permissions import Actor

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def small(empty_store):
    store = build_small(empty_store)
    admin = Actor.system("test")
    for username, role, link in (("rev", "reviewer", {}), ("boss", "viewer", {}),
                                 ("wf", "secondee", {"participant_id": 1}), ("zl", "secondee", {"participant_id": 4}),
                                 ("tw", "liaison", {"department_id": 5})):
        auth.create_user(store, admin, username, PASSWORD, role, **link)
    return store


def table(at, index=0):
    return at.dataframe[index].value


def test_roster_as_reviewer_on_small_store(small):
    at = app_test("roster", small, "rev").run()
    assert not at.exception
    frame = table(at)
    assert list(frame["姓名"]) == ["赵磊", "李娜", "王芳", "张伟"]   # newest batch first
    assert "显示 4 / 共 4 条" in visible_text(at)
    at.selectbox(key="ro_batch").set_value("C1").run()
    assert list(table(at)["姓名"]) == ["王芳", "张伟"]
    assert "显示 2 / 共 4 条" in visible_text(at)
    at.text_input(key="ro_text").set_value("总经理").run()
    assert list(table(at)["姓名"]) == ["张伟"]
    # Reviewers get the downloads and the import tab.
    assert len(at.tabs) == 2
    assert any("CSV" in str(b.label) for b in at.get("download_button"))


def test_roster_in_english(small):
    at = app_test("roster", small, "rev", lang="en").run()
    frame = table(at)
    assert {"Name", "Batch", "Host unit", "Status"} <= set(frame.columns)
    assert "Showing 4 of 4" in visible_text(at)


def test_roster_as_secondee_shows_only_their_own_row(small):
    at = app_test("roster", small, "wf").run()
    assert not at.exception
    assert list(table(at)["姓名"]) == ["王芳"]
    text = visible_text(at)
    assert "张伟" not in text and "赵磊" not in text and "李娜" not in text
    assert len(at.tabs) == 0 and not at.get("download_button")


def test_roster_refused_for_liaison(small):
    at = app_test("roster", small, "tw").run()
    assert not at.dataframe and "无权打开此页面" in visible_text(at)


def test_profile_of_own_record(small):
    at = app_test("profile", small, "zl").run()
    assert not at.exception
    text = visible_text(at)
    assert at.title[0].value == "赵磊" and "乙实业有限公司" in text
    assert "政策咨询" in table(at).to_string()


def test_profile_of_another_refused_for_secondee_without_their_data(small):
    at = app_test("profile", small, "wf", query={"id": "4"}).run()
    assert not at.exception
    text = visible_text(at)
    assert "无权操作" in text
    for secret in ("赵磊", "乙实业有限公司", "政策咨询", "支部共建", "C2"):
        assert secret not in text
    assert not at.dataframe


def test_profile_picker_for_reviewer_follows_the_link(small):
    at = app_test("profile", small, "rev", lang="en", query={"id": "3"}).run()
    assert not at.exception
    assert at.title[0].value == "李娜"
    assert at.selectbox(key="pf_pick").value == 3
    assert "Category balance" in visible_text(at)
    at.selectbox(key="pf_pick").set_value(4).run()
    assert at.title[0].value == "赵磊" and "Four-role balance" in visible_text(at)
    charts_before = len(at.get("plotly_chart"))
    at.segmented_control(key="pf_shape").set_value("polar").run()
    at.segmented_control(key="pf_measure").set_value("hours").run()
    assert not at.exception and len(at.get("plotly_chart")) == charts_before == 2


def test_batches_page_renders(small):
    at = app_test("batches", small, "rev").run()
    assert not at.exception
    assert list(table(at)["批次代码"]) == ["C1", "T1", "C2"]
    assert at.get("plotly_chart")
    at.segmented_control(key="ba_show").set_value("people").run()
    assert not at.exception and at.get("plotly_chart")


def test_batches_page_creates_a_batch(small):
    at = app_test("batches", small, "rev").run()
    form = at.get("form")
    assert form
    at.text_input[0].set_value("c3")
    at.text_input(key="bt_start_None").set_value("2027-03-01")
    at.text_input(key="bt_end_None").set_value("2028年2月29日")       # the ways people type a date
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception
    assert small.scalar("select count(*) from batches where code = 'C3'") == 1
    assert "批次 C3 已保存" in visible_text(at)


# --- on the demo programme ------------------------------------------------------------------------------------

def test_demo_roster_as_reviewer_shows_68(demo_store):
    at = app_test("roster", demo_store, "demo_reviewer").run()
    assert not at.exception
    assert len(table(at)) == 68
    assert "显示 68 / 共 68 条" in visible_text(at)


def test_demo_roster_as_secondee_shows_one(demo_store):
    at = app_test("roster", demo_store, "demo_secondee").run()
    own = demo_store.one("select p.name from users u join participants p on p.id = u.participant_id "
                         "where u.username = 'demo_secondee'")["name"]
    assert list(table(at)["姓名"]) == [own]


def test_demo_profile_of_another_refused(demo_store):
    row = demo_store.one("select p.id, p.name from participants p where p.id != (select participant_id from users "
                         "where username = 'demo_secondee') order by p.id limit 1")
    at = app_test("profile", demo_store, "demo_secondee", query={"id": str(row["id"])}).run()
    text = visible_text(at)
    assert "无权操作" in text and row["name"] not in text


def test_demo_batches_page(demo_store):
    """A district's nine batches and 68 stints are one chart each, with no picker."""
    at = app_test("batches", demo_store, "demo_viewer").run()
    assert not at.exception and len(table(at)) == 9
    assert not [s for s in at.selectbox if s.key.startswith("ba_map_page")]
    at.session_state["ba_show"] = "people"
    at.run()
    assert not at.exception and not [s for s in at.selectbox if s.key.startswith("ba_map_page")]


def test_adding_a_person_before_any_enterprise_exists_says_where_units_come_from(empty_store):
    from secondment import roster

    admin = Actor.system("test")
    auth.create_user(empty_store, admin, "rev", PASSWORD, "reviewer")
    roster.save_batch(empty_store, admin, code="C1", direction="cadre_to_enterprise", intake_year=2026,
                      start_date="2026-03-01", end_date="2027-02-28")
    at = app_test("roster", empty_store, "rev").run()
    assert not at.exception
    text = visible_text(at)
    assert "没有可选的派出单位" in text and "没有可选的挂职单位" in text and "系统管理" in text


def test_profile_picker_sent_no_value_keeps_the_person(small):
    """The browser may send an empty choice for the picker (a rerun while the box is being redrawn): the page stays
    on the person shown, instead of jumping to the first of the list."""
    at = app_test("profile", small, "rev", query={"id": "3"}).run()
    for pid in (4, 3):
        at.selectbox(key="pf_pick").set_value(pid).run()
        shown = at.title[0].value
        at.selectbox(key="pf_pick").set_value(None).run()
        assert not at.exception
        assert at.title[0].value == shown and at.query_params["id"] == str(pid)
        assert at.selectbox(key="pf_pick").value == pid        # and the box shows that person again


def test_a_long_person_picker_lists_a_few_and_finds_anyone_by_name_batch_or_unit(city_store):
    """Beyond ``ui.PICKER_ALL`` people the picker lists the first ``PICKER_LISTED`` (people serving now first) and
    a search box finds the rest; the person shown is always among the choices; a search with no match says so."""
    from conftest import actor_for

    from secondment import roster, ui

    user = city_store.scalar("select username from users where role = 'reviewer' and active = 1 order by id limit 1")
    everyone = roster.choices(city_store, actor_for(city_store, user))
    assert len(everyone) > ui.PICKER_ALL
    for page, key in (("profile", "pf_pick"), ("stint", "st_pick")):
        at = app_test(page, city_store, user).run()
        assert not at.exception
        picker = at.selectbox(key=key)
        assert len(picker.options) == ui.PICKER_LISTED
        assert f"共 {len(everyone)} 人；列出 {ui.PICKER_LISTED} 位" in visible_text(at)
        far = everyone[-1]                                         # the last in the roster's order: not listed
        assert f"{far['name']} · {far['batch']} · {far['host_unit']}" not in picker.options
        label = lambda p: f"{p['name']} · {p['batch']} · {p['host_unit']}"
        initial = next(p for p in everyone if p["id"] == picker.value)
        at.text_input(key=f"{key}:find").input(far["name"]).run()
        named = [p for p in everyone if far["name"] in f"{p['name']} {p['batch']} {p['host_unit'] or ''}"]
        listed = named[:ui.PICKER_LISTED]
        expected = listed if initial in listed else [initial, *listed]     # the person shown stays a choice
        assert at.selectbox(key=key).options == [label(p) for p in expected]
        assert label(far) in at.selectbox(key=key).options
        at.selectbox(key=key).set_value(far["id"]).run()
        assert not at.exception and far["name"] in visible_text(at)
        assert at.selectbox(key=key).value == far["id"]
        at.text_input(key=f"{key}:find").input("不存在的人名").run()
        assert "没有符合“不存在的人名”的挂职人员" in visible_text(at)
        assert at.selectbox(key=key).options == [label(far)]
        assert far["name"] in visible_text(at)                      # still on the person chosen


def test_a_long_roster_is_turned_page_by_page_and_a_new_filter_starts_at_the_first(city_store, monkeypatch):
    """Beyond ``ui.ROSTER_ROWS`` matching people the roster's table shows one page of them with a page picker; every
    page together is the whole roster in its order, each once; the caption says which rows are shown; changing a
    filter goes back to the first page."""
    from conftest import actor_for

    from secondment import roster, ui

    monkeypatch.setattr(ui, "ROSTER_ROWS", 150)
    user = city_store.scalar("select username from users where role = 'reviewer' and active = 1 order by id limit 1")
    everyone = roster.list_participants(city_store, actor_for(city_store, user))
    assert len(everyone) > 2 * 150
    at = app_test("roster", city_store, user).run()
    assert not at.exception
    pages = -(-len(everyone) // 150)
    assert at.number_input(key="ro_page").value == 1 and at.number_input(key="ro_page").max == pages
    seen = []
    for page in range(1, pages + 1):
        at.number_input(key="ro_page").set_value(page).run()
        assert not at.exception
        shown = table(at)
        first, last = (page - 1) * 150 + 1, min(page * 150, len(everyone))
        assert len(shown) == last - first + 1
        assert f"本页为第 {first}–{last} 位" in visible_text(at)
        seen += list(shown["姓名"])
    assert seen == [p["name"] for p in everyone]                 # every person once, in the roster's order
    at.text_input(key="ro_text").input(everyone[0]["name"][:1]).run()
    assert not at.exception
    matching = roster.list_participants(city_store, actor_for(city_store, user), text=everyone[0]["name"][:1])
    if len(matching) > 150:
        assert at.number_input(key="ro_page").value == 1
    else:
        assert not at.number_input and "本页为第" not in visible_text(at)
    assert list(table(at)["姓名"])[:150] == [p["name"] for p in matching][:150]


def test_the_timeline_of_every_stint_is_drawn_a_hundred_at_a_time_and_says_so(city_store):
    """A chart a person can read: beyond ``TIMELINE_PEOPLE`` stints the batches page's timeline draws one part
    of them with a picker of the parts and a note; the parts together are every stint once; the batches' own
    timeline is drawn forty at a time the same way while the table lists them all."""
    import json

    from conftest import actor_for

    from secondment import roster

    user = city_store.scalar("select username from users where role = 'reviewer' and active = 1 order by id limit 1")
    total = len(roster.stints(city_store, actor_for(city_store, user), since="2010-01-01"))
    assert total > 2 * 100
    batches = len(roster.list_batches(city_store, actor_for(city_store, user)))
    assert batches > 40
    at = app_test("batches", city_store, user).run()
    assert not at.exception
    assert at.selectbox(key="ba_map_page_batches").options == ["第 1–40 项", f"第 41–{batches} 项"]
    spec = json.loads(next(c for c in at.get("plotly_chart") if c.key == "ba_timeline_batches").proto.spec)
    assert sum(len(trace["y"]) for trace in spec["data"]) == 40
    assert at.dataframe[0].value.shape[0] == batches                 # the table lists every batch
    at.session_state["ba_show"] = "people"
    at.run()
    assert not at.exception

    def rows() -> list[str]:
        spec = json.loads(next(c for c in at.get("plotly_chart") if c.key == "ba_timeline_people").proto.spec)
        return [y for trace in spec["data"] for y in trace["y"]]

    picker = at.selectbox(key="ba_map_page_people")
    assert picker.options[0] == "第 1–100 项" and len(picker.options) == -(-total // 100)
    assert i18n.translate("zh", "batches.map_paged", total=f"{total:,}", size=100, first="1", last="100") in \
        visible_text(at)
    drawn = []
    for start in range(0, total, 100):
        at.selectbox(key="ba_map_page_people").set_value(start).run()
        assert not at.exception
        part = rows()
        assert len(part) == min(100, total - start)
        drawn += part
    assert len(drawn) == total and len(set(drawn)) == total       # every stint once
