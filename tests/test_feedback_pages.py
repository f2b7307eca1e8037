"""The feedback and flows pages, per role (AppTest, signed in for real), on the small hand-built fixture."""
from __future__ import annotations

import feedback_fixture as fx
import pytest
from conftest import app_test, as_read, visible_text

from secondment import clock, feedback, i18n


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return fx.built_file(tmp_path_factory.mktemp("fbp"))


@pytest.fixture
def world(built, tmp_path):
    """Three items: A's urgent one (overdue by now), A's normal one, and B's one."""
    store, a = fx.copy_of(built, tmp_path / "pages.db")
    sec = a["fx_secondee"]
    ids = {
        "a_overdue": feedback.raise_feedback(store, sec, participant_id=fx.P_CADRE, category="policy",
                                             summary="甲部门超期事项", urgency="urgent", at="2026-01-05T02:00:00Z"),
        "a_new": feedback.raise_feedback(store, sec, participant_id=fx.P_CADRE, category="policy",
                                         summary="甲部门新事项", urgency="normal"),
        "b": feedback.raise_feedback(store, sec, participant_id=fx.P_CADRE, category="production",
                                     summary="乙部门事项", urgency="normal"),
    }
    return store, a, ids


def everything(at) -> str:
    """All a person could read: text, table cells, and the choices in select boxes."""
    parts = [visible_text(at)]
    for frame in at.dataframe:
        value = frame.value
        parts.append(value.to_string() if hasattr(value, "to_string") else str(value))
    for table in at.table:
        parts.append(str(table.value))
    for box in at.selectbox:
        parts.extend(str(o) for o in box.options)
    return "\n".join(parts)


def item_picker(at, list_key="fb_items"):
    """The "open item" box (its key carries the items' statuses, so a changed status draws it afresh)."""
    return next(box for box in at.selectbox if (box.key or "").startswith(f"{list_key}_None_"))


def liaison_a_opens(store, fid):
    """Department A's liaison on the feedback page with item ``fid`` open."""
    at = app_test("feedback", store, "fx_liaison_a").run()
    item_picker(at).set_value(fid).run()
    return at


def status_of(store, fid):
    return store.scalar("select status from feedback where id = ?", (fid,))


@pytest.mark.parametrize("username, sees, hidden", [
    ("fx_liaison_a", ["甲部门超期事项", "甲部门新事项"], ["乙部门事项"]),
    ("fx_liaison_b", ["乙部门事项"], ["甲部门超期事项", "甲部门新事项"]),
])
def test_liaison_inbox_never_shows_another_departments_items(world, username, sees, hidden):
    store, _, _ids = world
    at = app_test("feedback", store, username).run()
    assert not at.exception
    text = everything(at)
    assert "部门收件箱" in text
    for summary in sees:
        assert summary in text
    for summary in hidden:
        assert summary not in text
    assert not [b for b in at.button if "download" in (b.key or "")]  # a liaison has no export


def test_liaison_opens_an_item_sees_its_timeline_and_accepts_it(world):
    store, _, ids = world
    fid = ids["a_overdue"]
    at = app_test("feedback", store, "fx_liaison_a").run()
    table = at.dataframe[0].value
    assert table.iloc[0]["编号"] == fid and table.iloc[0]["超期"].startswith("● 超期")  # overdue first, red
    item_picker(at).set_value(fid).run()
    assert not at.exception
    text = everything(at)
    assert "办理过程" in text and "提交" in text and "fx_secondee" in text
    assert any("超期" in b for b in text.splitlines())
    at.button(key=f"fb_accept_{fid}").click().run()
    assert not at.exception
    assert status_of(store, fid) == "accepted"
    assert f"已受理事项 #{fid}" in visible_text(at)


def test_a_step_another_liaison_took_first_is_answered_not_dropped(world):
    """Liaison A has the item open at 受理; the administrator accepts it meanwhile; A's click no longer finds the
    step on the page, yet A is told why. Then A types an answer while it is answered by someone else: told too."""
    store, a, ids = world
    fid = ids["a_new"]
    at = liaison_a_opens(store, fid)
    feedback.accept(store, a["fx_admin"], fid)
    at.button(key=f"fb_accept_{fid}").click().run()
    assert not at.exception and status_of(store, fid) == "accepted"
    said = lambda step, status: feedback._refuse(step, status).message("zh")
    assert [as_read(e.value) for e in at.error] == [said("accept", "accepted")]
    assert all(f"已受理事项 #{fid}" not in s.value for s in at.success)
    at.run()                                                 # now the page offers the next steps: answer
    at.text_area(key=f"fb_ans_{fid}").input("已协调落实")
    feedback.answer(store, a["fx_admin"], fid, text="由管理员答复")
    at.button(key=f"fb_answer_{fid}").click().run()
    assert not at.exception and [as_read(e.value) for e in at.error] == [said("answer", "answered")]
    assert store.scalar("select answer from feedback where id = ?", (fid,)) == "由管理员答复"


def test_answering_without_text_is_said_beside_the_answer(world):
    store, a, ids = world
    fid = ids["a_new"]
    feedback.accept(store, a["fx_liaison_a"], fid)
    at = liaison_a_opens(store, fid)
    at.button(key=f"fb_answer_{fid}").click().run()
    assert not at.exception and status_of(store, fid) == "accepted"
    assert any("答复" in e.value for e in at.error), [e.value for e in at.error]
    at.text_area(key=f"fb_ans_{fid}").input("已协调落实").run()
    at.button(key=f"fb_answer_{fid}").click().run()
    assert status_of(store, fid) == "answered" and f"#{fid}" in " ".join(s.value for s in at.success)


def test_transfer_needs_a_reason_on_the_page(world):
    store, _, ids = world
    fid = ids["a_new"]
    at = liaison_a_opens(store, fid)
    at.selectbox(key=f"fb_tr_to_{fid}").set_value(fx.DEPT_B).run()
    at.button(key=f"fb_transfer_{fid}").click().run()
    assert "理由" in visible_text(at) and status_of(store, fid) == "submitted"
    at.text_area(key=f"fb_tr_reason_{fid}").input("属商务委职责").run()
    at.button(key=f"fb_transfer_{fid}").click().run()
    assert not at.exception
    assert store.scalar("select department_id from feedback where id = ?", (fid,)) == fx.DEPT_B
    # The item has left this inbox (the bell still holds the notice that it came here, which it did).
    inbox = [str(o) for box in at.selectbox for o in box.options] + [f.value.to_string() for f in at.dataframe]
    inbox += [m.value for m in at.main.markdown] + [c.value for c in at.main.caption]
    assert not any("甲部门新事项" in text for text in inbox)


def test_secondee_raises_feedback_with_the_proposed_department(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_secondee").run()
    assert not at.exception
    assert "我的反馈（3）" in [t.label for t in at.tabs]
    at.selectbox(key="fb_new_0_category").set_value("production").run()
    dept = at.selectbox(key="fb_new_0_department_production")
    assert dept.value == fx.DEPT_B  # proposed by the routing catalogue
    assert "分办目录推荐：区商务委" in visible_text(at)
    at.selectbox(key="fb_new_0_activity").set_value(fx.ACTIVITY)
    at.text_input(key="fb_new_0_summary").input("企业用电增容审批慢")
    at.text_area(key="fb_new_0_details").input("已等待两个月")
    at.button(key="fb_new_0_submit").click().run()
    assert not at.exception
    row = store.one("select * from feedback order by id desc limit 1")
    assert (row["summary"], row["department_id"], row["activity_id"], row["enterprise_id"]) == (
        "企业用电增容审批慢", fx.DEPT_B, fx.ACTIVITY, fx.ENT_1)
    assert f"已提交问题反馈 #{row['id']}" in visible_text(at)


def test_secondee_may_choose_another_department(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_secondee").run()
    at.selectbox(key="fb_new_0_category").set_value("policy").run()
    at.selectbox(key="fb_new_0_department_policy").set_value(fx.DEPT_D)
    at.text_input(key="fb_new_0_summary").input("社区停车")
    at.button(key="fb_new_0_submit").click().run()
    assert store.scalar("select department_id from feedback order by id desc limit 1") == fx.DEPT_D


def test_secondee_rates_an_answer_unsatisfied_and_it_goes_back(world):
    store, a, ids = world
    fid = ids["b"]
    feedback.accept(store, a["fx_liaison_b"], fid)
    feedback.answer(store, a["fx_liaison_b"], fid, text="已协调供电公司")
    at = app_test("feedback", store, "fx_secondee").run()
    assert "有 1 条反馈已答复" in visible_text(at)
    item_picker(at, "fb_mine").set_value(fid).run()
    assert "已协调供电公司" in visible_text(at)
    at.radio(key=f"fb_eval_{fid}").set_value("unsatisfied").run()
    at.text_area(key=f"fb_eval_note_{fid}").input("仍未通电")
    at.button(key=f"fb_evaluate_{fid}").click().run()
    assert not at.exception
    assert status_of(store, fid) == "in_progress"
    assert store.scalar("select department_id from feedback where id = ?", (fid,)) == fx.DEPT_B


def test_secondee_sees_only_their_own_feedback(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_other").run()
    assert not at.exception
    text = everything(at)
    assert "甲部门超期事项" not in text and "乙部门事项" not in text
    assert "你还没有提交问题反馈" in text


def test_reviewer_escalates_only_after_confirming(world):
    store, _, ids = world
    fid = ids["a_overdue"]
    at = app_test("feedback", store, "fx_reviewer").run()
    assert not at.exception
    text = everything(at)
    assert all(s in text for s in ("甲部门超期事项", "甲部门新事项", "乙部门事项"))
    item_picker(at).set_value(fid).run()
    at.button(key=f"fb_escalate_{fid}").click().run()
    assert "确定对事项" in visible_text(at)
    assert store.scalar("select escalated from feedback where id = ?", (fid,)) == 0
    at.button(key=f"fb_escalate_yes_{fid}").click().run()
    assert not at.exception
    assert store.scalar("select escalated from feedback where id = ?", (fid,)) == 1


def test_cancelling_a_confirmation_takes_no_step_and_offers_it_again(world):
    store, _, ids = world
    fid = ids["a_overdue"]
    at = app_test("feedback", store, "fx_reviewer").run()
    item_picker(at).set_value(fid).run()
    at.button(key=f"fb_escalate_{fid}").click().run()
    at.button(key=f"fb_escalate_yes_{fid}_cancel").click().run()
    assert not at.exception
    assert "确定对事项" not in visible_text(at)
    assert f"fb_escalate_{fid}" in [b.key for b in at.button]    # the step's own button is back
    assert store.scalar("select escalated from feedback where id = ?", (fid,)) == 0


def test_reviewer_closes_unresolved_with_a_reason_after_confirming(world):
    store, a, ids = world
    fid = ids["b"]
    at = app_test("feedback", store, "fx_reviewer").run()
    item_picker(at).set_value(fid).run()
    at.text_area(key=f"fb_close_unresolved_note_{fid}").input("企业已注销")
    at.button(key=f"fb_close_unresolved_{fid}").click().run()
    assert status_of(store, fid) == "submitted"
    at.button(key=f"fb_close_unresolved_yes_{fid}").click().run()
    assert not at.exception
    row = store.one("select * from feedback where id = ?", (fid,))
    assert (row["status"], row["closed_by"], row["close_reason"]) == (
        "closed_unresolved", a["fx_reviewer"].user_id, "企业已注销")


def test_viewer_reads_without_any_step(world):
    store, _, ids = world
    at = app_test("feedback", store, "fx_viewer").run()
    assert not at.exception
    item_picker(at).set_value(ids["a_new"]).run()
    assert "办理过程" in everything(at)
    assert not [b for b in at.button if (b.key or "").startswith("fb_") and not b.key.startswith("fb_items_None")]


def test_page_in_english(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_reviewer", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "Feedback"
    table = at.dataframe[0].value
    assert "Overdue" in table.columns and "Due" in table.columns
    assert "Urgent" in set(table["Urgency"])
    # An opened item reads "**Category**: …" with English punctuation, "**类别**：…" in Chinese.
    for lang, label, colon, number in (("en", "**Category**", ": ", "No."), ("zh", "**问题类别**", "：", "编号")):
        at = app_test("feedback", store, "fx_reviewer", lang=lang).run()
        item_picker(at).set_value(at.dataframe[0].value.iloc[0][number]).run()
        lines = [ln for m in at.markdown for ln in m.value.splitlines() if ln.startswith(label)]
        assert lines and all(ln.startswith(label + colon) for ln in lines), lines


def test_admin_edits_routing_on_the_feedback_page(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_admin").run()
    assert not at.exception
    assert "分办目录与办理时限" in [t.label for t in at.tabs]
    at.selectbox(key="rt_other").set_value(fx.DEPT_D)
    at.button(key="rt_save").click().run()
    assert not at.exception
    assert feedback.propose_department(store, "other") == fx.DEPT_D
    at.number_input(key="rt_urgent").set_value(5)
    at.button(key="rt_save_limits").click().run()
    assert store.meta(feedback.LIMITS_META_KEY) == '{"normal": 15, "urgent": 5}'


def test_reviewer_has_no_routing_editor(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_reviewer").run()
    assert "分办目录与办理时限" not in [t.label for t in at.tabs]


def test_signed_out_sees_nothing(world):
    store, _, _ = world
    at = app_test("feedback", store, None).run()
    assert at.text_input(key="signin_username") and "甲部门" not in everything(at)


# --- flows page ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username, lang", [("fx_reviewer", "zh"), ("fx_viewer", "en")])
def test_flows_page_draws_the_sankey_and_tables(world, username, lang):
    store, _, _ = world
    at = app_test("flows", store, username, lang=lang).run()
    assert not at.exception
    assert len(at.tabs) == 3 and [c.key for c in at.get("plotly_chart")] == ["fl_sankey"]  # only the open tab runs
    at.session_state[f"fl_tab_{lang}"] = i18n.translate(lang, "flows.tab_departments")
    at.run()
    assert not at.exception and not at.get("plotly_chart")
    text = everything(at)
    assert ("区民政局" in text) and (("部门排名" in text) if lang == "zh" else ("Departments ranked" in text))
    at.session_state[f"fl_tab_{lang}"] = i18n.translate(lang, "flows.tab_trends")
    at.run()
    assert not at.exception and [c.key for c in at.get("plotly_chart")] == ["fl_trends"]


def test_flows_drill_down_lists_the_items_behind_a_node(world):
    store, _, _ = world
    at = app_test("flows", store, "fx_reviewer").run()
    box = at.selectbox(key="fl_pick_direction_None")
    links = len(next(f.value for f in at.dataframe if "从" in getattr(f.value, "columns", [])))
    position = next(i for i, o in enumerate(box.options) if o.startswith("承办部门：区商务委"))
    box.set_value(("node", position - links)).run()
    assert not at.exception
    drilled = [f.value for f in at.dataframe if "问题摘要" in getattr(f.value, "columns", [])]
    assert len(drilled) == 1 and list(drilled[0]["问题摘要"]) == ["乙部门事项"]
    assert "流向：承办部门：区商务委" in visible_text(at)


@pytest.mark.parametrize("username", ["fx_secondee", "fx_liaison_a"])
def test_flows_page_refused_for_secondees_and_liaisons(world, username):
    store, _, _ = world
    at = app_test("flows", store, username).run()
    assert not at.exception and not at.get("plotly_chart")
    assert "无权" in visible_text(at)


def test_reviewer_exports_only_when_asked(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_reviewer").run()
    assert not at.get("download_button")
    at.toggle(key="fb_export_on").set_value(True).run()
    assert not at.exception
    assert len(at.get("download_button")) == 2  # CSV and Excel


def test_periods_are_picked_as_months(world):
    store, _, ids = world
    this_month = clock.today().strftime("%Y-%m")
    at = app_test("feedback", store, "fx_reviewer").run()
    start, end = at.selectbox(key="fb_f_from"), at.selectbox(key="fb_f_to")
    assert start.value is None and end.value is None                      # the inbox is not narrowed by default
    assert start.options[:2] == ["全部", this_month] and "2026-01" in start.options
    start.set_value("2026-01").run()
    at.selectbox(key="fb_f_to").set_value("2026-01").run()
    assert not at.exception
    assert list(at.dataframe[0].value["编号"]) == [ids["a_overdue"]]    # raised 2026-01-05 only

    at = app_test("flows", store, "fx_reviewer").run()
    first = clock.local_date(store.scalar("select min(created_at) from feedback")).strftime("%Y-%m")
    assert (at.selectbox(key="fl_from").value, at.selectbox(key="fl_to").value) == (first, this_month)
    assert at.selectbox(key="fl_to").options[0] == this_month            # newest first


def test_choosing_a_department_without_a_liaison_warns_before_the_item_is_sent(world):
    store, _, _ = world
    at = app_test("feedback", store, "fx_secondee").run()
    at.selectbox(key="fb_new_0_category").set_value("production").run()
    warning = i18n.translate("zh", "feedback.no_liaison", department="").strip("：:")[:8]
    assert not [w for w in at.warning if "联络员账户" in w.value]       # 区商务委 has its liaison
    at.selectbox(key="fb_new_0_department_production").set_value(fx.DEPT_D).run()
    assert [w for w in at.warning if "联络员账户" in w.value and warning[:4] in w.value]


def test_a_liaisons_new_item_comes_right_after_the_overdue_ones(world):
    store, a, ids = world
    older = feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                    summary="甲部门已受理事项", urgency="normal")
    feedback.accept(store, a["fx_liaison_a"], older)
    rows, _ = feedback.list_items(store, a["fx_liaison_a"])
    order = [r["id"] for r in rows]
    assert order.index(ids["a_new"]) < order.index(older)       # to accept before what is under way
    assert order[0] == ids["a_overdue"]


def test_picking_the_entry_an_item_came_from_carries_its_text(world):
    store, _, _ = world
    entry = store.one("select title, description from activities where id = ?", (fx.ACTIVITY,))
    at = app_test("feedback", store, "fx_secondee").run()
    at.selectbox(key="fb_new_0_activity").set_value(fx.ACTIVITY).run()
    assert at.text_input(key="fb_new_0_summary").value == entry["title"]
    assert at.text_area(key="fb_new_0_details").value == (entry["description"] or "")
    # What the person wrote themselves stays.
    at.text_input(key="fb_new_0_summary").input("我自己写的概要").run()
    at.selectbox(key="fb_new_0_activity").set_value(None).run()
    at.selectbox(key="fb_new_0_activity").set_value(fx.ACTIVITY).run()
    assert at.text_input(key="fb_new_0_summary").value == "我自己写的概要"


def test_a_link_naming_an_item_opens_it_whatever_the_filters(world):
    store, _, ids = world
    at = app_test("feedback", store, "fx_liaison_a", query={"item": str(ids["a_new"])}).run()
    assert not at.exception
    assert list(at.dataframe[0].value["编号"]) == [ids["a_new"]]
    assert item_picker(at).value == ids["a_new"]
    assert "甲部门新事项" in visible_text(at)


def test_the_department_asks_for_more_and_the_secondee_replies_on_the_page(world):
    store, a, ids = world
    fid = ids["a_new"]
    feedback.accept(store, a["fx_liaison_a"], fid)
    at = liaison_a_opens(store, fid)
    at.button(key=f"fb_ask_go_{fid}").click().run()                     # an empty question is refused, named
    assert "征询内容" in visible_text(at) and not store.scalar(
        "select count(*) from feedback_events where feedback_id = ? and step = 'ask'", (fid,))
    at.text_area(key=f"fb_ask_{fid}").input("请补充**申报人数**").run()
    at.button(key=f"fb_ask_go_{fid}").click().run()
    assert not at.exception and f"已就事项 #{fid} 向挂职人员征询补充" in visible_text(at)
    assert "等待回复：请补充**申报人数**" in visible_text(at)               # the question as typed, not bold
    mine = app_test("feedback", store, "fx_secondee").run()
    item_picker(mine, "fb_mine").set_value(fid).run()
    assert f"{fx.UNITS[fx.DEPT_A][0]}请您补充情况：请补充**申报人数**" in visible_text(mine)
    mine.text_area(key=f"fb_reply_{fid}").input("共 12 人").run()
    mine.button(key=f"fb_reply_go_{fid}").click().run()
    assert not mine.exception and f"已就事项 #{fid} 补充说明" in visible_text(mine)
    assert store.scalar("select note from feedback_events where feedback_id = ? order by id desc limit 1",
                        (fid,)) == "共 12 人"
    assert status_of(store, fid) == "accepted"
