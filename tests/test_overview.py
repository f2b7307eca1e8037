"""The overview page: the programme's headline figures, for the roles that may see it."""
import pytest
from conftest import app_test, visible_text

from secondment import clock


def metric(at, label):
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def test_overview_shows_the_programme_in_chinese(demo_store):
    at = app_test("overview", demo_store, "demo_reviewer").run()
    assert not at.exception
    assert at.title[0].value == "项目总览"
    assert metric(at, "挂职人员") == "68"
    assert metric(at, "干部批次") == "5" and metric(at, "人才批次") == "4"
    today = clock.today().isoformat()
    active = demo_store.scalar("select count(*) from participants where status = 'active' "
                               "and start_date <= ? and end_date >= ?", (today, today))
    assert metric(at, "在岗人数") == str(active) and active > 0
    assert "演示数据" in visible_text(at)
    assert len(at.get("plotly_chart")) == 4


def test_overview_in_english(demo_store):
    at = app_test("overview", demo_store, "demo_viewer", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "Programme overview"
    assert metric(at, "Participants") == "68"
    assert metric(at, "Cadre batches") == "5" and metric(at, "Talent batches") == "4"


@pytest.mark.parametrize("username", [None, "demo_secondee", "demo_liaison"])
def test_overview_refused_without_data(demo_store, username):
    at = app_test("overview", demo_store, username).run()
    assert not at.exception
    assert not at.metric and not at.get("plotly_chart")
    text = visible_text(at)
    assert "68" not in text
    assert at.text_input(key="signin_username") if username is None else ("无权" in text)


def test_overview_empty_database_explains_what_to_do(empty_store):
    from secondment import auth
    from secondment.permissions import Actor

    auth.create_user(empty_store, Actor.system(), "boss", "a-long-password", "reviewer")
    at = app_test("overview", empty_store, "boss").run()
    assert not at.exception
    assert "python -m secondment demo" in visible_text(at)


def test_presentation_refused_for_secondee(demo_store):
    at = app_test("presentation", demo_store, "demo_secondee").run()
    assert not at.metric and "无权" in visible_text(at)


def test_period_axes_label_a_few_level_weeks_and_names_all_batches():
    import pandas as pd

    from secondment import charts

    weeks = [f"2026-W{n:02d}" for n in range(23, 49)] + ["2027-W01"]
    fig = charts.bar(pd.DataFrame({"week": weeks, "entries": range(len(weeks))}), "week", "entries")
    shown = list(fig.layout.xaxis.ticktext)
    assert len(shown) <= 7 and shown[0] == "2026-W23" and all(not t.startswith("2026") for t in shown[1:])
    assert fig.layout.xaxis.tickangle == 0 and fig.layout.xaxis.type == "category"
    batches = ["C1", "T1", "C2", "T2", "C3", "T3", "C4", "C5", "T4"]
    fig = charts.bar(pd.DataFrame({"batch": batches, "n": range(9)}), "batch", "n")
    assert fig.layout.xaxis.ticktext is None                    # every batch named


def test_the_recent_trend_has_every_week_of_the_span(demo_store):
    from conftest import actor_for

    from secondment import activities, analytics, clock

    this = activities.week_of(clock.today())
    since = activities.add_weeks(this, -25)
    trend = analytics.recent_activity_trend(demo_store, actor_for(demo_store, "demo_viewer"), since)
    assert trend["week"].nunique() == 26 and trend["week"].min() == since and trend["week"].max() == this


def test_beyond_forty_batches_the_chart_counts_per_intake_year_and_the_table_lists_every_batch(city_store):
    """A programme of many batches (a city's): the chart's bars are intake years, the table still every batch."""
    store = city_store
    counts = {"batches": store.scalar("select count(*) from batches")}
    assert counts["batches"] > 40
    user = store.scalar("select username from users where role = 'reviewer' and active = 1 order by id limit 1")
    at = app_test("overview", store, user).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    chart = next(c for c in at.get("plotly_chart") if "各年份选派人数" in c.proto.spec)
    assert "各批次人数" not in chart.proto.spec
    assert len(at.dataframe[-1].value) == counts["batches"]
