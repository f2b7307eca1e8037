"""Pages of the activities issue, run as real signed-in demo users through AppTest."""

import re
from datetime import timedelta

import pytest
from conftest import actor_for, app_test, as_read, visible_text

from secondment import activities, auth, clock, i18n, practices, vocab


def this_week() -> str:
    return activities.week_of(clock.today())


def reset_week(store, username: str, week: str | None = None) -> int:
    """Make the user's week (this week by default) empty and not submitted, so the test starts from a known
    state whatever the demo generated for that week on the day the suite runs."""
    pid = actor_for(store, username).participant_id
    week = week or this_week()
    with store.write() as db:
        db.conn.execute("delete from feedback_events where feedback_id in (select f.id from feedback f join "
                        "activities a on a.id = f.activity_id where a.participant_id = ? and a.week = ?)", (pid, week))
        for table in ("feedback", "practices"):
            db.conn.execute(f"delete from {table} where activity_id in (select id from activities "
                            "where participant_id = ? and week = ?)", (pid, week))
        db.conn.execute("delete from activities where participant_id = ? and week = ?", (pid, week))
        db.conn.execute("delete from week_reviews where participant_id = ? and week = ?", (pid, week))
    return pid


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r} in {[b.label for b in at.button]}"
    return found[0]


@pytest.mark.parametrize("username, direction", [("demo_secondee", vocab.CADRE), ("demo_talent", vocab.TALENT)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_my_week_offers_only_the_roles_of_the_direction(demo_store, username, direction, lang):
    reset_week(demo_store, username)
    at = app_test("my_week", demo_store, username, lang=lang)
    at.run()
    assert not at.exception
    assert at.radio[0].options == [vocab.label("role", r, lang) for r in vocab.ROLES_BY_DIRECTION[direction]]
    assert at.selectbox(key="mw_week").value == this_week()
    assert i18n.translate(lang, "week.no_entries") in visible_text(at)


def test_my_week_add_entry_and_submit(demo_store):
    pid = reset_week(demo_store, "demo_secondee")
    at = app_test("my_week", demo_store, "demo_secondee")
    at.run()
    at.radio(key="mw_role").set_value("info_officer")
    at.text_input(key="mw_title").input("走访企业车间了解职工思想动态")
    at.text_area(key="mw_description").input("与车间主任座谈，了解职工对加班安排的意见")
    at.number_input(key="mw_hours").set_value(1.5)
    button(at, i18n.translate("zh", "week.add")).click().run()
    assert not at.exception
    rows = demo_store.rows("select role, title, hours, date from activities where participant_id = ? and week = ?",
                           (pid, this_week()))
    assert rows == [{"role": "info_officer", "title": "走访企业车间了解职工思想动态", "hours": 1.5,
                     "date": clock.today().isoformat()}]
    text = visible_text(at)
    assert "走访企业车间了解职工思想动态" in text and i18n.translate("zh", "week.added") in text

    button(at, i18n.translate("zh", "week.submit")).click().run()
    assert demo_store.scalar("select count(*) from week_reviews where participant_id = ? and week = ? "
                             "and state = 'submitted'", (pid, this_week())) == 0   # not before it is confirmed
    at.button(key="mw_submit_yes").click().run()
    assert not at.exception
    assert i18n.translate("zh", "week.submitted_done") in visible_text(at)
    assert i18n.translate("zh", "week.added") not in visible_text(at)
    assert demo_store.scalar("select state from week_reviews where participant_id = ? and week = ?",
                             (pid, this_week())) == "submitted"
    assert not [b for b in at.button if b.label == i18n.translate("zh", "common.edit")]   # locked now
    assert len(at.radio) == 0                                                            # no add form


@pytest.mark.parametrize("lang, monday", [("zh", "周一"), ("en", "Mon")])
def test_my_week_day_is_one_tap_with_the_weekday_named(demo_store, lang, monday):
    pid = reset_week(demo_store, "demo_secondee")
    at = app_test("my_week", demo_store, "demo_secondee", lang=lang)
    at.run()
    days = at.button_group(key="mw_date")
    first = activities.monday(this_week())
    assert days.value == clock.today()                                  # today by default
    assert days.options[0] == f"{monday} {first:%m-%d}"                    # 周一 11-23, not a calendar
    assert len(days.options) == (clock.today() - first).days + 1        # nothing after today
    days.set_value(first)
    at.radio(key="mw_role").set_value("coordinator")
    at.text_input(key="mw_title").input("协调解决企业用工需求")
    button(at, i18n.translate(lang, "week.add")).click().run()
    assert not at.exception
    assert demo_store.scalar("select date from activities where participant_id = ? and week = ?",
                             (pid, this_week())) == first.isoformat()


def test_my_week_refuses_an_empty_title_with_a_message(demo_store):
    pid = reset_week(demo_store, "demo_secondee")
    at = app_test("my_week", demo_store, "demo_secondee", lang="en")
    at.run()
    at.text_area(key="mw_description").input("A long description that must not be lost")
    button(at, i18n.translate("en", "week.add")).click().run()
    assert not at.exception
    assert "Title" in " ".join(e.value for e in at.error)
    assert at.text_area(key="mw_description").value == "A long description that must not be lost"
    assert demo_store.scalar("select count(*) from activities where participant_id = ? and week = ?",
                             (pid, this_week())) == 0


def test_changing_week_keeps_the_form_valid(demo_store):
    reset_week(demo_store, "demo_secondee")
    reset_week(demo_store, "demo_secondee", activities.add_weeks(this_week(), -3))   # open for entries
    at = app_test("my_week", demo_store, "demo_secondee")
    at.run()
    weeks = at.selectbox(key="mw_week").options
    at.selectbox(key="mw_week").set_value(activities.add_weeks(this_week(), -3)).run()
    assert not at.exception
    day = at.button_group(key="mw_date").value
    assert activities.week_of(day) == activities.add_weeks(this_week(), -3) and len(weeks) > 3


def test_returned_week_shows_the_comment_and_can_be_resubmitted(demo_store):
    pid = reset_week(demo_store, "demo_secondee")
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, pid, date=clock.today(), role="counsellor", title="指导主题党日", hours=2)
    activities.submit_week(demo_store, secondee, pid, this_week())
    activities.review_week(demo_store, actor_for(demo_store, "demo_reviewer"), pid, this_week(), "return",
                           "请补充活动成效")
    at = app_test("my_week", demo_store, "demo_secondee")
    at.run()
    assert any("请补充活动成效" in e.value for e in at.error)
    assert at.radio(key="mw_role")                                   # the form is back
    button(at, i18n.translate("zh", "week.resubmit")).click().run()
    at.button(key="mw_submit_yes").click().run()
    assert demo_store.scalar("select state from week_reviews where participant_id = ? and week = ?",
                             (pid, this_week())) == "submitted"


def open_week(at, pid: int, week: str):
    """Open that week in the review queue, as a click on its heading does (only an open week draws its
    entries and buttons: the expander reruns the page)."""
    at.session_state[f"rv_open_{pid}_{week}"] = True
    return at.run()


def test_a_closed_week_in_the_queue_draws_nothing_until_it_is_opened(demo_store):
    at = app_test("review", demo_store, "demo_reviewer").run()
    queue = activities.list_weeks(demo_store, actor_for(demo_store, "demo_reviewer"), state="submitted")
    assert len(queue) > 3, "the demo has more weeks waiting than open at first"
    decisions = lambda: [b.key for b in at.button if (b.key or "").startswith("rv_ok_q_")]
    assert decisions() == [] and not [a for a in at.text_area if (a.key or "").startswith("rv_comment_")]
    first = queue[0]
    open_week(at, first["participant_id"], first["week"])
    assert decisions() == [f"rv_ok_q_{first['participant_id']}_{first['week']}"]
    titles = [e["title"] for e in activities.week_entries(demo_store, actor_for(demo_store, "demo_reviewer"),
                                                          first["participant_id"], first["week"])]
    assert titles and all(title in visible_text(at) for title in titles)


def test_review_queue_approves_a_week(demo_store):
    pid = reset_week(demo_store, "demo_secondee")
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, pid, date=clock.today(), role="publicist", title="宣讲区委全会精神",
                         description="向企业党员宣讲区委全会精神和惠企政策", hours=2)
    activities.submit_week(demo_store, secondee, pid, this_week())
    name = demo_store.scalar("select name from participants where id = ?", (pid,))
    at = app_test("review", demo_store, "demo_reviewer")
    at.run()
    assert not at.exception
    assert any(name in as_read(e.label) and this_week() in as_read(e.label) for e in at.expander)
    waiting = demo_store.scalar("select count(*) from week_reviews where state = 'submitted'")
    menu = lambda: [as_read(link.proto.label) for link in at.get("page_link")]
    assert f"周志审核（{waiting}）" in menu()
    key = f"q_{pid}_{this_week()}"
    open_week(at, pid, this_week())
    at.button(key=f"rv_ok_{key}").click().run()
    assert not at.exception
    assert demo_store.scalar("select state from week_reviews where participant_id = ? and week = ?",
                             (pid, this_week())) == "approved"
    # The sidebar's count follows the approval at once, as the queue's own count does (no half-minute lag).
    assert f"周志审核（{waiting - 1}）" in menu(), menu()


def test_slow_runs_go_to_the_server_log_with_their_page_and_end(demo_store, monkeypatch, caplog):
    """With the limit at 0 every run is logged: its page, its time, and how it ended (an approval is one run,
    its decision made in the button's callback; signing out ends its run in st.rerun, and the sign-in page
    follows); with the default limit a quick run is not logged."""
    import logging

    pid = reset_week(demo_store, "demo_secondee")
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, pid, date=clock.today(), role="publicist", title="宣讲",
                         description="宣讲惠企政策", hours=1)
    activities.submit_week(demo_store, secondee, pid, this_week())
    at = app_test("review", demo_store, "demo_reviewer")
    caplog.set_level(logging.WARNING, logger="secondment.runs")
    at.run()
    assert not [r for r in caplog.records if r.name == "secondment.runs"], "a quick run under the default limit"
    open_week(at, pid, this_week())
    monkeypatch.setenv("SECONDMENT_SLOW_RUN_SECONDS", "0")
    at.button(key=f"rv_ok_q_{pid}_{this_week()}").click().run()
    runs = lambda: [r.getMessage() for r in caplog.records if r.name == "secondment.runs"]
    assert len(runs()) == 1 and re.fullmatch(r"run of review took \d+\.\d{3} s \(done\)", runs()[0]), runs()
    at.button(key="_sign_out").click().run()
    assert [m.rsplit(" (", 1)[1] for m in runs()[1:]] == ["rerun)", "done)"], runs()
    assert any(b.key == "sign_in_submit" or "登录" in str(b.label) for b in at.button), "signed out"
    monkeypatch.setenv("SECONDMENT_SLOW_RUN_SECONDS", "soon")      # a wrong value falls back to the default
    at.run()
    assert len(runs()) == 3 and not at.exception


def test_review_runs_only_the_open_tab_and_stays_on_it_when_the_queue_count_changes(demo_store):
    """The queue's count is in its tab's label. Another reviewer approving a week changes it; the person reading
    all entries stays on that tab (Streamlit takes a changed label for a new set of tabs, which opens the first)."""
    at = app_test("review", demo_store, "demo_reviewer").run()
    entries = lambda: [d for d in at.dataframe if (d.key or "").startswith("rv_entries_")]
    assert at.expander and not entries()                           # the queue is open; the entries are not fetched
    queue = activities.list_weeks(demo_store, actor_for(demo_store, "demo_reviewer"), state="submitted")
    assert queue, "the demo has weeks waiting"
    at.session_state["rv_tabs_zh"] = i18n.translate("zh", "review.tab_entries")
    at.run()
    assert entries() and not [e for e in at.expander if "周" in as_read(e.label) and "条" in as_read(e.label)]
    before = str(at.tabs[0].label)
    activities.review_week(demo_store, actor_for(demo_store, "demo_admin"), queue[0]["participant_id"],
                           queue[0]["week"], "approve")
    at.run()
    assert not at.exception
    assert str(at.tabs[0].label) == i18n.translate("zh", "review.tab_queue", n=len(queue) - 1) \
        != before
    assert entries()                                                # still on all entries


def test_review_week_range_is_chosen_by_named_weeks(demo_store):
    at = app_test("review", demo_store, "demo_reviewer")
    at.session_state["rv_tabs_zh"] = i18n.translate("zh", "review.tab_entries")
    at.run()
    start, end = at.selectbox(key="rv_from"), at.selectbox(key="rv_to")
    assert (start.value, end.value) == (activities.add_weeks(this_week(), -11), this_week())   # the last 12 weeks
    mon = activities.monday(this_week())
    assert end.format_func(this_week()) == f"{this_week()}（{mon:%m-%d} 至 {mon + timedelta(days=6):%m-%d}）"
    assert "2010-W" in start.options[-1]                                   # back to the first batch
    start.set_value(activities.add_weeks(this_week(), -1)).run()
    at.selectbox(key="rv_to").set_value(activities.add_weeks(this_week(), -1)).run()
    assert not at.exception
    last_week = demo_store.scalar("select count(*) from activities where week = ?",
                                  (activities.add_weeks(this_week(), -1),))
    assert last_week and i18n.translate("zh", "common.shown_of", shown=last_week, total=last_week) in visible_text(at)


def test_review_return_needs_a_comment(demo_store):
    pid = reset_week(demo_store, "demo_secondee")
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, pid, date=clock.today(), role="publicist", title="宣讲", hours=1)
    activities.submit_week(demo_store, secondee, pid, this_week())
    at = app_test("review", demo_store, "demo_reviewer", lang="en")
    at.run()
    key = f"q_{pid}_{this_week()}"
    open_week(at, pid, this_week())
    at.button(key=f"rv_back_{key}").click().run()
    assert i18n.translate("en", "review.return_needs_comment") in visible_text(at)
    assert demo_store.scalar("select state from week_reviews where participant_id = ? and week = ?",
                             (pid, this_week())) == "submitted"
    at.text_area(key=f"rv_comment_{key}").input("请写明宣讲对象和人数")
    at.button(key=f"rv_back_{key}").click().run()
    row = demo_store.one("select state, comment from week_reviews where participant_id = ? and week = ?",
                         (pid, this_week()))
    assert row == {"state": "returned", "comment": "请写明宣讲对象和人数"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_approving_a_week_another_reviewer_decided_first_says_so(demo_store, lang):
    """Reviewer A reads the queue; B approves the same week; A clicks 通过 on it. The run that follows no longer
    draws that week (its button gone), yet A is told, in A's language, that it was dealt with meanwhile; B's
    decision stands and nothing is written in A's name."""
    pid = reset_week(demo_store, "demo_secondee")
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, pid, date=clock.today(), role="publicist", title="宣讲", hours=1)
    activities.submit_week(demo_store, secondee, pid, this_week())
    at = app_test("review", demo_store, "demo_reviewer", lang=lang).run()
    key = f"q_{pid}_{this_week()}"
    open_week(at, pid, this_week())
    activities.review_week(demo_store, actor_for(demo_store, "demo_admin"), pid, this_week(), "approve")
    at.button(key=f"rv_ok_{key}").click().run()
    assert not at.exception
    told = i18n.translate(lang, "error.week_not_submitted", week=this_week())
    assert [as_read(e.value) for e in at.error] == [told], [e.value for e in at.error]
    assert not at.get("button") or f"rv_ok_{key}" not in [b.key for b in at.button]   # the week left the queue
    row = demo_store.one("select state, reviewed_by from week_reviews where participant_id = ? and week = ?",
                         (pid, this_week()))
    assert row == {"state": "approved", "reviewed_by": actor_for(demo_store, "demo_admin").user_id}


def test_a_click_after_the_session_ended_decides_nothing(demo_store):
    """The decision runs in the button's callback, before the page's own gate: it checks the session again
    itself, so a reviewer signed out elsewhere (or timed out) approves nothing with a stale page."""
    pid = reset_week(demo_store, "demo_secondee")
    secondee = actor_for(demo_store, "demo_secondee")
    activities.add_entry(demo_store, secondee, pid, date=clock.today(), role="publicist", title="宣讲", hours=1)
    activities.submit_week(demo_store, secondee, pid, this_week())
    at = open_week(app_test("review", demo_store, "demo_reviewer").run(), pid, this_week())
    auth.end_session(demo_store, at.session_state["_session_token"])
    at.button(key=f"rv_ok_q_{pid}_{this_week()}").click().run()
    assert not at.exception
    assert demo_store.scalar("select state from week_reviews where participant_id = ? and week = ?",
                             (pid, this_week())) == "submitted"


@pytest.mark.parametrize("query", ["思想动态", "党建"])
def test_review_search_finds_chinese(demo_store, query):
    pid = reset_week(demo_store, "demo_secondee")
    activities.add_entry(demo_store, actor_for(demo_store, "demo_secondee"), pid, date=clock.today(),
                         role="info_officer", title="走访", description=f"收集职工{query}相关情况", hours=1)
    at = app_test("review", demo_store, "demo_reviewer")
    at.session_state["rv_tabs_zh"] = i18n.translate("zh", "review.tab_entries")
    at.run()
    at.text_input(key="rv_text").input(query).run()
    assert not at.exception
    frame = next(d for d in at.dataframe if (d.key or "").startswith("rv_entries_")).value
    assert len(frame) > 0
    text_cols = frame[i18n.translate("zh", "field.title")] + frame[i18n.translate("zh", "field.description")].fillna("")
    assert text_cols.str.contains(query).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coverage_page_draws_the_map(demo_store, lang):
    at = app_test("coverage", demo_store, "demo_reviewer", lang=lang)
    at.run()
    assert not at.exception
    assert len(at.tabs) == 5
    assert len(at.get("plotly_chart")) == 1                     # only the open tab runs
    assert i18n.translate(lang, "coverage.map_help") in visible_text(at)
    assert i18n.translate(lang, "coverage.state_approved") in visible_text(at)


def test_coverage_map_of_many_people_is_paged_and_says_so(city_store):
    """More people than a chart can show: the map draws them 60 at a time with a page picker and says so; the
    pages together hold everyone once; the table under the map lists everyone."""
    import json

    from secondment import coverage

    user = city_store.scalar("select username from users where role = 'reviewer' and active = 1 order by id limit 1")
    this_week = activities.week_of(clock.today())
    everyone = coverage.coverage_matrix(city_store, actor_for(city_store, user),
                                        week_from=activities.add_weeks(this_week, -11), week_to=this_week)
    total = everyone["participant_id"].nunique()
    assert total > 60
    at = app_test("coverage", city_store, user).run()
    assert not at.exception

    def rows() -> list[str]:
        spec = json.loads(next(c for c in at.get("plotly_chart") if c.key == "cv_heatmap").proto.spec)
        return list(spec["data"][0]["y"])

    first = rows()
    assert len(first) == 60
    assert i18n.translate("zh", "coverage.map_paged", total=f"{total:,}", size=60, first="1", last="60") in \
        visible_text(at)
    picker = at.selectbox(key="cv_map_page")
    assert picker.options == ["第 1–60 人", f"第 61–{total} 人"]
    picker.select(60).run()
    second = rows()
    assert len(second) == total - 60 and not set(first) & set(second)
    assert at.dataframe[0].value.shape[0] == total                  # the table lists everyone


def test_coverage_map_of_a_district_is_one_chart(demo_store):
    at = app_test("coverage", demo_store, "demo_reviewer").run()
    assert not at.exception and not [s for s in at.selectbox if s.key == "cv_map_page"]


@pytest.mark.parametrize("tab, expect, charts", [
    ("coverage.tab_quiet", "coverage.quiet_help", 0),
    ("coverage.tab_balance", "coverage.flagged_people", 2),     # one per direction (the page shows both)
    ("coverage.tab_batches", "coverage.participants", 4),
    ("coverage.tab_trends", "coverage.trend_table", 1),
])
def test_coverage_tabs(demo_store, tab, expect, charts):
    at = app_test("coverage", demo_store, "demo_reviewer")
    at.run()
    at.session_state["cv_tab_zh"] = i18n.translate("zh", tab)
    at.run()
    assert not at.exception
    text = visible_text(at) + " ".join(e.label for e in at.expander)
    assert i18n.translate("zh", expect) in text or any(
        i18n.translate("zh", expect) in str(list(d.value.columns)) for d in at.dataframe)
    assert len(at.get("plotly_chart")) == charts


@pytest.mark.parametrize("tab", ["coverage.tab_map", "coverage.tab_balance", "coverage.tab_trends",
                                 "coverage.tab_batches"])
def test_coverage_has_one_period_for_every_tab(demo_store, tab):
    """The weeks are picked once, by name, for the whole page: no tab repeats (and contradicts) them."""
    at = app_test("coverage", demo_store, "demo_reviewer")
    at.run()
    at.session_state["cv_tab_zh"] = i18n.translate("zh", tab)
    at.run()
    start, end = at.selectbox(key="cv_period_from"), at.selectbox(key="cv_period_to")
    assert start.value == activities.add_weeks(this_week(), -11)
    assert end.value == this_week() and "（" in end.format_func(end.value)
    week_pickers = [s.key for s in at.selectbox if s.key and s.key.endswith(("_from", "_to"))]
    assert week_pickers == ["cv_period_from", "cv_period_to"]
    assert not [s for s in at.button_group if s.key in ("cv_bal_direction", "cv_b_direction")]
    start.set_value(this_week()).run()                       # from after to: the range is taken the right way round
    at.selectbox(key="cv_period_to").set_value(activities.add_weeks(this_week(), -2)).run()
    assert not at.exception


def test_quiet_tab_lists_the_quiet(demo_store):
    at = app_test("coverage", demo_store, "demo_reviewer", lang="en")
    at.run()
    at.session_state["cv_tab_en"] = i18n.translate("en", "coverage.tab_quiet")
    at.run()
    from secondment import coverage
    quiet = coverage.quiet_list(demo_store, actor_for(demo_store, "demo_reviewer"))
    for n in (1, 2, 4):
        metric = [m for m in at.metric if m.label == i18n.translate("en", "coverage.quiet_n", n=n)]
        assert metric and int(metric[0].value) == int(quiet[f"quiet_{n}"].sum())
    if quiet["quiet_1"].any():
        names = set(at.dataframe[0].value[i18n.translate("en", "field.participant")])
        assert names == set(quiet[quiet["quiet_1"]]["name"])


def test_coverage_page_for_a_viewer(demo_store):
    at = app_test("coverage", demo_store, "demo_viewer")
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) >= 1


def own_unpromoted(store, username: str) -> list[dict]:
    return store.rows("select id from practices where status != 'promoted' and participant_id = ?",
                      (actor_for(store, username).participant_id,))


@pytest.mark.parametrize("username", ["demo_viewer", "demo_secondee", "demo_liaison"])
def test_practice_library_shows_only_promoted_to_others(demo_store, username):
    at = app_test("practices", demo_store, username)
    at.run()
    assert not at.exception
    promoted = {r["title"] for r in demo_store.rows("select title from practices where status = 'promoted'")}
    drafts = {r["title"] for r in demo_store.rows(
        "select title from practices where status = 'draft' and participant_id != coalesce(?, -1)",
        (actor_for(demo_store, username).participant_id,))} - promoted
    text = visible_text(at)
    first_page, total = practices.list_practices(demo_store, actor_for(demo_store, username), limit=20)
    assert promoted and first_page and all(r["title"] in text for r in first_page)
    assert total == len(promoted) + len(own_unpromoted(demo_store, username))
    assert not any(t in text for t in drafts)
    assert not [b for b in at.button if b.label == i18n.translate("zh", "practice.manage")]


def test_practice_library_reviewer_moves_a_draft_on(demo_store):
    pid = demo_store.scalar("select id from practices where status = 'draft' order by id limit 1")
    at = app_test("practices", demo_store, "demo_reviewer")
    at.run()
    assert not at.exception
    at.selectbox(key="pr_status").set_value("draft").run()
    at.button(key=f"pr_manage_{pid}").click().run()
    step = [b for b in at.button if b.label == i18n.translate("zh", "practice.to_reviewed")]
    assert len(step) == 1
    step[0].click().run()
    assert not at.exception
    assert demo_store.scalar("select status from practices where id = ?", (pid,)) == "reviewed"


def test_practice_library_pages_long_lists(demo_store):
    at = app_test("practices", demo_store, "demo_reviewer", lang="en")
    at.run()
    total = demo_store.scalar("select count(*) from practices")
    assert len([b for b in at.button if b.key and b.key.startswith("pr_manage_")]) == min(20, total)
    if total > 20:
        at.number_input(key="pr_page").set_value(2).run()
        assert len([b for b in at.button if b.key and b.key.startswith("pr_manage_")]) == min(20, total - 20)


@pytest.mark.parametrize("page, username", [
    ("review", "demo_secondee"), ("review", "demo_viewer"), ("review", "demo_liaison"),
    ("coverage", "demo_secondee"), ("coverage", "demo_liaison"), ("coverage", "demo_talent"),
    ("my_week", "demo_reviewer"), ("my_week", "demo_viewer"), ("my_week", "demo_liaison"),
])
def test_wrong_roles_are_refused_and_see_no_data(demo_store, page, username):
    at = app_test(page, demo_store, username)
    at.run()
    assert not at.exception
    role = vocab.label("app_role", actor_for(demo_store, username).role, "zh")
    assert i18n.translate("zh", "common.page_refused", role=role) in [e.value for e in at.error]
    assert len(at.dataframe) == 0 and len(at.get("plotly_chart")) == 0 and len(at.radio) == 0
    assert len(at.expander) == 0


@pytest.mark.parametrize("page", ["my_week", "review", "coverage", "practices"])
def test_signed_out_sees_the_sign_in_form_and_no_data(demo_store, page):
    at = app_test(page, demo_store, None)
    at.run()
    assert not at.exception
    assert at.text_input(key="signin_username") and at.text_input(key="signin_password")
    assert len(at.dataframe) == 0 and len(at.get("plotly_chart")) == 0 and len(at.radio) == 0


def test_admin_logs_for_a_chosen_participant(demo_store):
    pid = reset_week(demo_store, "demo_talent")
    at = app_test("my_week", demo_store, "demo_admin", lang="en")
    at.run()
    assert not at.exception
    person = next(p for p in activities.participants(demo_store, actor_for(demo_store, "demo_admin"))
                  if p["id"] == pid)
    at.selectbox(key="mw_participant").set_value(person).run()
    assert at.radio(key="mw_role").options == [vocab.label("role", r, "en") for r in vocab.TALENT_CATEGORIES]
    at.text_input(key="mw_title").input("Sat in on the budget meeting")
    button(at, i18n.translate("en", "week.add")).click().run()
    row = demo_store.one("select created_by, role from activities where participant_id = ? and week = ?",
                         (pid, this_week()))
    assert row == {"created_by": actor_for(demo_store, "demo_admin").user_id, "role": "learning"}


def test_propose_as_practice_follows_the_permission_table(demo_store, monkeypatch):
    """The button is offered exactly when ``permissions`` says the person may propose (no copy of the rule)."""
    import dataclasses

    from secondment import permissions

    pid = reset_week(demo_store, "demo_secondee")
    activities.add_entry(demo_store, actor_for(demo_store, "demo_secondee"), pid, date=clock.today().isoformat(),
                         role="counsellor", title="辅导企业建立职工议事会", hours=2)
    entry = demo_store.scalar("select id from activities where participant_id = ? and week = ?", (pid, this_week()))

    def offered() -> bool:
        at = app_test("my_week", demo_store, "demo_secondee").run()
        assert not at.exception
        return any(b.key == f"mw_p_{entry}" for b in at.button)

    assert offered()
    rule = permissions.ACTIONS["practice.propose"]
    narrowed = dataclasses.replace(rule, roles=rule.roles - {"secondee"})
    monkeypatch.setattr(permissions, "ACTIONS", {**permissions.ACTIONS, "practice.propose": narrowed})
    assert not offered()
