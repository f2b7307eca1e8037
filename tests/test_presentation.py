"""The presentation, its handout and the cockpit: the story's figures, the page that launches them, and the
routes that serve them (who may open them, what they send)."""
import re
from html import unescape

import pytest
from conftest import actor_for, app_test, visible_text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from secondment import activities, analytics, auth, clock, flows, periods, story, web


def metric(at, label):
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def stat(slide, label):
    for s in slide["stats"]:
        if s["label"] == label:
            return s["value"]
    raise AssertionError(f"no figure {label!r} on slide {slide['key']}: {[s['label'] for s in slide['stats']]}")


def the_periods(store, actor):
    offered = periods.options(store, actor)
    newest_batch = next(p for p in offered if p.kind == "batch")
    oldest_batch = [p for p in offered if p.kind == "batch"][-1]
    return [periods.ALL, periods.year(clock.today().year), newest_batch, oldest_batch]


def test_every_figure_on_the_slides_is_the_overviews_and_the_flows_pages_for_the_same_period(demo_store):
    viewer = actor_for(demo_store, "demo_viewer")
    for period in the_periods(demo_store, viewer):
        slides = {s["key"]: s for s in story.slides(demo_store, viewer, period, "zh")}
        first, loop = slides["programme"], slides["loop"]

        overview = app_test("overview", demo_store, "demo_viewer").run()
        overview.selectbox(key="ov_period").set_value(period).run()
        assert not overview.exception
        assert first["hero"]["value"] == metric(overview, "挂职人员"), period
        for label in ("干部批次", "人才批次", "在岗人数", "挂职企业"):
            assert stat(first, label) == metric(overview, label), (period, label)
        if "changed" in slides and slides["changed"]["hero"]["label"] == "全区推广做法":
            assert slides["changed"]["hero"]["value"] == metric(overview, "全区推广做法")

        page = app_test("flows", demo_store, "demo_viewer").run()
        if period.kind == "batch":
            page.selectbox(key="fl_batch").set_value(period.value).run()
        elif period.kind == "year":
            months = page.selectbox(key="fl_from").options
            page.selectbox(key="fl_from").set_value(f"{period.value}-01")
            page.selectbox(key="fl_to").set_value(months[0]).run()   # the newest month: nothing is raised later
        else:
            oldest = page.selectbox(key="fl_from").options[-1]
            page.selectbox(key="fl_from").set_value(oldest).run()
        assert not page.exception
        assert loop["hero"]["value"] == metric(page, "收集问题"), period
        for label in ("按时答复率", "满意率", "答复用时（中位数）"):
            assert stat(loop, label) == metric(page, label), (period, label)


def test_the_figures_come_from_the_data(demo_store):
    viewer = actor_for(demo_store, "demo_viewer")
    whole = analytics.headline(demo_store, viewer)
    assert (whole["participants"], whole["cadre_batches"], whole["talent_batches"]) == (68, 5, 4)
    batch = next(p for p in periods.options(demo_store, viewer) if p.kind == "batch")
    members = demo_store.scalar("select count(*) from participants p join batches b on b.id = p.batch_id "
                                "where b.code = ?", (batch.value,))
    assert analytics.headline(demo_store, viewer, period=batch)["participants"] == members
    year = periods.year(clock.today().year)
    raised = demo_store.scalar("select count(*) from feedback where created_at >= ? and created_at < ?",
                               (clock.day_start_utc(year.start), clock.day_start_utc(year.end, 1)))
    assert flows.loop_summary(demo_store, viewer, **year.feedback_filters())["total"] == raised
    entries = demo_store.scalar("select count(*) from activities where substr(week, 1, 4) = ?", (str(year.value),))
    assert analytics.headline(demo_store, viewer, period=year)["activities"] == entries


def test_the_four_members_slide_has_only_the_four_roles_and_real_approved_examples(demo_store):
    viewer = actor_for(demo_store, "demo_viewer")
    slides = {s["key"]: s for s in story.slides(demo_store, viewer, periods.ALL, "zh")}
    roles = slides["roles"]
    bars = roles["figures"][0].data
    assert sorted(y for trace in bars for y in trace.y) == sorted(["辅导员", "宣传员", "协调员", "信息员"])
    examples = roles["lists"][0]["items"]
    assert 1 <= len(examples) <= 3
    for item in examples:
        row = demo_store.one("select a.title, a.outcome, w.state from activities a join week_reviews w on "
                             "w.participant_id = a.participant_id and w.week = a.week where a.title = ? and "
                             "a.outcome = ?", (item["title"], item["detail"]))
        assert row and row["state"] == "approved"
    talents = slides["talents"]["figures"][0].data
    assert sorted(y for trace in talents for y in trace.y) == sorted(["学习政府工作方法", "党建管理实践", "桥梁纽带"])


def test_a_batch_tells_its_own_directions_story_and_compares_with_the_batch_before(demo_store):
    viewer = actor_for(demo_store, "demo_viewer")
    batches = [p for p in periods.options(demo_store, viewer) if p.kind == "batch"]
    talent = next(p for p in batches if p.direction == "talent_to_government")
    keys = [s["key"] for s in story.slides(demo_store, viewer, talent, "en")]
    assert "roles" not in keys and "where" not in keys and "talents" in keys
    first = batches[-1]          # the first intake: nothing before it
    compare = story.slides(demo_store, viewer, first, "zh")[-1]
    assert compare["key"] == "compare" and compare["empty"] and not compare["rows"]
    pair = periods.previous(demo_store, viewer, talent)
    assert pair and pair[1].kind == "batch" and pair[1].direction == talent.direction and pair[1].start < talent.start


def test_compare_shows_the_change_with_its_arrow(demo_store):
    viewer = actor_for(demo_store, "demo_viewer")
    compare = story.slides(demo_store, viewer, periods.ALL, "zh")[-1]
    now, before = periods.previous(demo_store, viewer, periods.ALL)
    a = analytics.headline(demo_store, viewer, period=now)["participants"]
    b = analytics.headline(demo_store, viewer, period=before)["participants"]
    row = compare["rows"][0]
    assert row["now"] == str(a) and row["before"] == str(b)
    assert row["arrow"] == ("▲" if a > b else "▼" if a < b else "＝")


def test_the_presentation_page_offers_the_periods_and_links_to_the_slides(demo_store):
    at = app_test("presentation", demo_store, "demo_viewer").run()
    assert not at.exception
    assert at.title[0].value == "演示模式"
    links = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert links["开始放映"].startswith("/_deck/present?") and "period=all" in links["开始放映"]
    assert links["讲义（打印 / PDF）"].startswith("/_deck/handout?")
    assert links["实时大屏"].startswith("/_deck/cockpit?")
    batch = next(p for p in at.selectbox(key="pr_period").options if "批次" in p)
    at.selectbox(key="pr_period").select(next(p for p in periods.options(demo_store, actor_for(
        demo_store, "demo_viewer")) if p.label("zh") == batch)).run()
    links = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert "period=batch%3A" in links["开始放映"]
    at = app_test("presentation", demo_store, "demo_viewer", lang="en").run()
    assert at.title[0].value == "Presentation" and "lang=en" in at.get("link_button")[0].proto.url


def test_the_presentation_page_is_refused_and_explains_an_empty_programme(demo_store, empty_store):
    at = app_test("presentation", demo_store, "demo_secondee").run()
    assert not at.get("link_button") and "无权" in visible_text(at)
    from secondment.permissions import Actor

    auth.create_user(empty_store, Actor.system(), "boss", "a-long-password", "viewer")
    at = app_test("presentation", empty_store, "boss").run()
    assert not at.exception and not at.get("link_button")
    assert "python -m secondment demo" in visible_text(at)


# --- the routes ---------------------------------------------------------------------------------------------------

@pytest.fixture
def client(demo_store, monkeypatch):
    monkeypatch.setenv("SECONDMENT_DB", str(demo_store.path))
    return TestClient(Starlette(routes=web.routes(), middleware=web.middleware()), base_url="http://app.local")


def signed_in(client, store, username):
    client.cookies.set(web.COOKIE, auth.start_session(store, actor_for(store, username)))
    return client


def slide_texts(html: str) -> list[str]:
    sections = re.findall(r'<section class="slide.*?</section>', html, re.DOTALL)
    return [unescape(re.sub(r"<[^>]+>", " ", s)) for s in sections]


def test_a_stranger_and_a_secondee_get_no_slides(client, demo_store):
    for path in ("/_deck/present", "/_deck/handout", "/_deck/cockpit", "/_deck/cockpit?part=board"):
        stranger = client.get(path)
        assert stranger.status_code == 401 and "请先登录" in stranger.text and "68" not in stranger.text
    signed_in(client, demo_store, "demo_secondee")
    for path in ("/_deck/present", "/_deck/cockpit"):
        refused = client.get(path)
        assert refused.status_code == 403 and "无权" in refused.text and 'class="slide' not in refused.text
    client.cookies.set(web.COOKIE, "forged-token")
    assert client.get("/_deck/present").status_code == 401


def test_the_slides_are_served_in_the_language_asked_with_the_story_and_a_strict_policy(client, demo_store):
    signed_in(client, demo_store, "demo_viewer")
    page = client.get("/_deck/present?period=all&slide=3")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert 'data-start="3"' in page.text and "演示数据" in page.text
    texts = slide_texts(page.text)
    viewer = actor_for(demo_store, "demo_viewer")
    slides = story.slides(demo_store, viewer, periods.ALL, "zh")
    assert len(texts) == len(slides)
    for text, slide in zip(texts, slides):
        assert slide["title"] in text and slide["message"] in text
        if slide["hero"]:
            assert slide["hero"]["value"] in text
    # every script is the app's own file; nothing names another host
    assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", page.text) == ["/_deck/plotly.min.js", "/_deck/deck.js"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    english = client.get("/_deck/present?period=all&lang=en")
    assert "Two-way secondment" in english.text and "The four members at work" in english.text
    unknown = client.get("/_deck/present?period=batch:ZZ9")
    assert unknown.status_code == 404 and "ZZ9" not in unknown.text.split("<body>")[0]
    for asset in ("/_deck/deck.js", "/_deck/plotly.min.js"):
        served = client.get(asset)
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]


def test_planted_markup_is_shown_as_text_on_the_slides_and_the_cockpit(client, demo_store):
    planted = '<img src="http://evil.example/x.png"><script>alert(1)</script>**bold**'
    entry = demo_store.one("select a.id from activities a join week_reviews w on w.participant_id = "
                           "a.participant_id and w.week = a.week where w.state = 'approved' and a.role = "
                           "'counsellor' and trim(coalesce(a.outcome, '')) <> '' order by a.date desc, a.id desc "
                           "limit 1")
    newest = demo_store.one("select a.id from activities a join week_reviews w on w.participant_id = "
                            "a.participant_id and w.week = a.week where w.state = 'approved' "
                            "order by a.date desc, a.id desc limit 1")     # first in the cockpit's feed
    with demo_store.write() as db:
        db.conn.execute("update activities set title = ? where id in (?, ?)", (planted, entry["id"], newest["id"]))
    signed_in(client, demo_store, "demo_viewer")
    for path in ("/_deck/present", "/_deck/handout", "/_deck/cockpit"):
        html = client.get(path).text
        assert "<img src=\"http://evil" not in html and "<script>alert" not in html, path
        assert "&lt;img src=&#34;http://evil.example/x.png&#34;&gt;" in html or \
            "\\u003cimg src=\\\"http://evil" in html, path
    # inside the figures' JSON too, nothing can close the script element
    html = client.get("/_deck/present").text
    figures = html.split('id="figures">', 1)[1].split("</script>", 1)[0]
    assert "<" not in figures


def test_the_cockpit_shows_the_live_figures_and_the_ten_streets(client, demo_store):
    signed_in(client, demo_store, "demo_viewer")
    page = client.get("/_deck/cockpit?refresh=1")
    assert page.status_code == 200 and 'data-refresh="2"' in page.text     # never faster than every 2 s
    viewer = actor_for(demo_store, "demo_viewer")
    live = story.cockpit(demo_store, viewer)
    week = activities.week_of(clock.today())
    assert live["figures"]["week_entries"] == demo_store.scalar("select count(*) from activities where week = ?",
                                                                (week,))
    assert len(live["streets"]) == 10
    text = unescape(re.sub(r"<[^>]+>", " ", page.text))
    for street in live["streets"]:
        assert street["label"] in text
    board = client.get("/_deck/cockpit?part=board")
    assert board.text.lstrip().startswith('<div id="board"') and "<html" not in board.text
