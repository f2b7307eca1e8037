"""The stint record and the lifecycle board as people see them (AppTest, signed in for real, on the demo)."""
from __future__ import annotations

import pytest
from conftest import app_test, visible_text

from secondment import stint
from secondment.permissions import Actor


@pytest.fixture
def demo(demo_store):
    return demo_store


def own_id(store, username):
    return store.scalar("select participant_id from users where username = ?", (username,))


def buttons(at) -> list[str]:
    return [str(b.label) for b in at.button] + [str(b.label) for b in at.get("form_submit_button")]


def test_a_secondee_sees_their_own_stint_and_can_write_what_is_theirs(demo):
    pid = own_id(demo, "demo_secondee")
    at = app_test("stint", demo, "demo_secondee").run()
    assert not at.exception and not at.error
    text = visible_text(at)
    name = demo.scalar("select name from participants where id = ?", (pid,))
    assert name in text and "任务书" in text
    assert "st_pick" not in at.session_state                 # no person picker: their own record
    labels = buttons(at)
    assert "登记确认" not in labels                    # parties' agreement is recorded by reviewers
    # Another person's id in the address: refused, and nothing of that person is shown.
    other = demo.scalar("select id from participants where id != ? and batch_id = (select batch_id from "
                        "participants where id = ?) limit 1", (pid, pid))
    other_name = demo.scalar("select name from participants where id = ?", (other,))
    at = app_test("stint", demo, "demo_secondee", query={"id": str(other)}).run()
    text = visible_text(at)
    assert other_name not in text and name in text
    assert at.error                                           # said, not silently shown someone else


def test_a_leader_reads_but_writes_nothing(demo):
    at = app_test("stint", demo, "demo_viewer").run()
    assert not at.exception and not at.error
    assert len(at.tabs) == 7
    assert not [b for b in buttons(at) if b in ("添加目标任务", "登记确认", "关联", "保存")]
    board = app_test("lifecycle", demo, "demo_viewer").run()
    assert not board.exception and not board.error


@pytest.mark.parametrize("page", ["stint", "lifecycle"])
def test_a_liaison_may_open_neither_page(demo, page):
    at = app_test(page, demo, "demo_liaison").run()
    assert at.error and "无权" in at.error[0].value
    assert not at.tabs


def test_the_board_shows_the_batch_as_the_core_counts_it(demo):
    at = app_test("lifecycle", demo, "demo_reviewer").run()
    assert not at.exception and not at.error
    batch = at.selectbox(key="lc_batch").value
    rows = stint.board(demo, Actor.system(), batch)
    totals = stint.board_totals(rows)
    frame = at.dataframe[0].value
    assert len(frame) == totals["people"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["人数"] == str(totals["people"])
    assert metrics["任务书已确认"] == f"{totals['agreed']} / {totals['people']}"
    assert metrics["有逾期事项"] == str(totals["late_people"])
    assert sorted(frame["姓名"]) == sorted(r["name"] for r in rows)


@pytest.mark.parametrize("page", ["stint", "lifecycle"])
def test_the_pages_in_english(demo, page):
    at = app_test(page, demo, "demo_reviewer", lang="en").run()
    assert not at.exception and not at.error
    text = visible_text(at)
    assert ("Stint record" if page == "stint" else "Lifecycle board") in text
    assert "stint." not in text and "lifecycle." not in text          # no key shows instead of its text


def test_the_outcomes_chart_draws_a_part_of_many_batches_and_the_table_lists_them_all(demo, monkeypatch):
    """Beyond ``ui.CHART_BATCHES`` batches with returns the outcomes chart draws that many at a time, with a
    picker of the parts and a note; the parts together are every such batch once; the table lists every batch.
    A district's batches are one chart."""
    import json

    from secondment import i18n, ui

    def open_outcomes(at):
        at.run()
        at.session_state["lc_tabs"] = i18n.translate("zh", "lifecycle.tab_outcomes")
        return at.run()

    def drawn(at) -> list[str]:
        spec = json.loads(next(c for c in at.get("plotly_chart") if c.key == "lc_outcomes_chart").proto.spec)
        return list(dict.fromkeys(x for trace in spec["data"] for x in trace["x"]))

    at = open_outcomes(app_test("lifecycle", demo, "demo_reviewer"))
    assert not at.exception and not [s for s in at.selectbox if s.key == "lc_outcomes_page"]
    returned = [r["batch"] for r in stint.outcomes(demo, Actor.system()) if r["returned"]]
    assert len(returned) >= 3 and drawn(at) == returned
    monkeypatch.setattr(ui, "CHART_BATCHES", 2)
    at = open_outcomes(app_test("lifecycle", demo, "demo_reviewer"))
    assert not at.exception
    picker = at.selectbox(key="lc_outcomes_page")
    assert len(picker.options) == -(-len(returned) // 2) and picker.options[0] == "第 1–2 批"
    assert i18n.translate("zh", "lifecycle.map_paged", total=f"{len(returned):,}", size=2, first="1", last="2") \
        in visible_text(at)
    seen = []
    for start in range(0, len(returned), 2):
        at.selectbox(key="lc_outcomes_page").set_value(start).run()
        assert not at.exception
        seen += drawn(at)
    assert seen == returned
    assert len(at.dataframe[0].value) == len(stint.outcomes(demo, Actor.system()))


def test_a_reviewer_decides_leave_and_one_decided_first_elsewhere_is_answered(demo):
    """Approve from the stint's leave tab (the note typed beside it is kept with the decision); a request the
    administrator decided while the reviewer's page was open is answered with its state, not dropped."""
    from datetime import timedelta

    from conftest import actor_for

    from secondment import clock, i18n, leave

    pid = own_id(demo, "demo_secondee")
    secondee = actor_for(demo, "demo_secondee")
    from secondment import holidays

    # Two free working days a few weeks ahead, whatever today is (a weekend or a day already on leave is refused).
    calendar, taken = holidays.calendar(demo), demo.rows(
        "select start_date, end_date from leave_requests where participant_id = ? and status in ('pending', "
        "'approved')", (pid,))
    last = demo.scalar("select end_date from participants where id = ?", (pid,))
    days = [d for d in (clock.today() + timedelta(days=n) for n in range(1, 60)) if calendar.is_workday(d)
            and d.isoformat() <= last and not any(r["start_date"] <= d.isoformat() <= r["end_date"] for r in taken)]
    ask = lambda day: leave.request(demo, secondee, pid, kind="personal", reason="家中有事",
                                    start_date=day.isoformat(), end_date=day.isoformat())["id"]
    one, two = ask(days[0]), ask(days[1])
    at = app_test("stint", demo, "demo_reviewer", query={"id": str(pid), "tab": "leave"}).run()
    assert not at.exception
    at.text_input(key=f"st_lv_note_{one}").input("同意，注意交接")
    at.button(key=f"st_lv_ok_{one}").click().run()
    assert not at.exception
    assert demo.one("select status, decision_note from leave_requests where id = ?", (one,)) == {
        "status": "approved", "decision_note": "同意，注意交接"}
    assert i18n.translate("zh", "stint.leave_approved") in [s.value for s in at.success]
    leave.decide(demo, actor_for(demo, "demo_admin"), two, "rejected", note="时间冲突")
    at.button(key=f"st_lv_ok_{two}").click().run()
    from conftest import as_read

    from secondment.errors import Conflict
    told = Conflict("error.leave_not_pending", status=("t", "vocab.leave_status.rejected")).message("zh")
    assert not at.exception and [as_read(e.value) for e in at.error] == [told], "told, not dropped"
    assert demo.scalar("select status from leave_requests where id = ?", (two,)) == "rejected"
