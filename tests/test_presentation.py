"""The presentation, its handout and the cockpit: the story's figures, the page that launches them, and the
routes that serve them (who may open them, what they send)."""
import base64
import json
import re
from collections import Counter, defaultdict
from html import unescape

import numpy as np
import pytest
from conftest import actor_for, app_test, visible_text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from secondment import (
    activities,
    analytics,
    auth,
    clock,
    feedback,
    flows,
    i18n,
    periods,
    roster,
    story,
    units,
    vocab,
    web,
)


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


# --- what the overview and the flows page show, read off the pages ---------------------------------------------

def plain(shown) -> str:
    """A figure as shown, without thousands separators (a metric may show 1234 where a slide shows 1,234)."""
    return str(shown).replace(",", "")


def number(shown) -> float | None:
    """The number a shown figure starts with ("84%", "7.5 个工作日", "1,270", "5 件超期"); None for "—" or ""."""
    found = re.match(r"-?\d+(?:\.\d+)?", plain(shown).strip())
    return None if found is None else float(found.group())


def zh(key, **params) -> str:
    return i18n.translate("zh", key, **params)


def _array(values) -> list:
    """A Plotly array as its JSON carries it: a list, or numbers packed in base64 ({"dtype", "bdata"})."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def drawn(figure) -> dict:
    """A slide's figure as the JSON a browser gets (the same form as a page's chart)."""
    return json.loads(figure.to_json())


def page_chart(at, key) -> dict | None:
    """The Plotly figure (its JSON) a page drew with ``ui.chart(..., key=key)``; None when it drew none."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(f"-{key}"):
            return json.loads(chart.proto.spec)
    return None


def bars(figure: dict) -> dict:
    """A horizontal bar chart's {category: length}, over all its traces."""
    out: dict = defaultdict(int)
    for trace in figure["data"]:
        for category, length in zip(_array(trace["y"]), _array(trace["x"])):
            out[category] += length
    return dict(out)


def slices(figure: dict) -> dict:
    trace = figure["data"][0]
    return dict(zip(_array(trace["labels"]), _array(trace["values"])))


def sankey_flows(figure: dict) -> tuple[list[dict], dict]:
    """A drawn Sankey's columns, left to right, each {label: items through it}, and its flows
    {(column, from label, to label): items}; the invisible spacer column (label "") left out."""
    trace = figure["data"][0]
    labels = list(trace["node"]["label"])
    links = [(s, t, v) for s, t, v in zip(*(_array(trace["link"][k]) for k in ("source", "target", "value")))
             if labels[t]]
    reached = {t for _, t, _ in links}
    column = {i: 0 for i, label in enumerate(labels) if label and i not in reached}
    while len(column) < sum(1 for label in labels if label):
        further = {t: column[s] + 1 for s, t, _ in links if s in column and t not in column}
        assert further, "a Sankey node that no flow reaches"
        column.update(further)
    assert len({(column[i], labels[i]) for i in column}) == len(column), "two nodes of one column share a label"
    columns: list[dict] = [defaultdict(int) for _ in range(max(column.values()) + 1)]
    flows_: dict = defaultdict(int)
    for s, t, v in links:
        flows_[(column[s], labels[s], labels[t])] += v
        columns[column[t]][labels[t]] += v
        if column[s] == 0:
            columns[0][labels[s]] += v
    return [dict(c) for c in columns], dict(flows_)


def on_the_overview(at, period) -> dict:
    at.selectbox(key="ov_period").set_value(period).run()
    assert not at.exception, period
    by_role, by_status = page_chart(at, "by_role"), page_chart(at, "by_status")
    return {"metrics": {m.label: m.value for m in at.metric}, "help": {m.label: m.proto.help for m in at.metric},
            "delta": {m.label: m.proto.delta for m in at.metric},
            "by_role": bars(by_role) if by_role else {}, "by_status": slices(by_status) if by_status else {}}


def on_the_flows_page(at, period) -> dict:
    months = at.selectbox(key="fl_from").options          # newest first, from the first item's month to today's
    if period.kind == "year":
        inside = [m for m in months if m.startswith(f"{period.value}-")]
        if not inside:   # the year ended before the first item was raised: the page would show none
            return {"metrics": {"收集问题": "0", "按时答复率": "—", "满意率": "—", "答复用时中位数（工作日）": "—"},
                    "sankey": None}
        span = inside[-1], inside[0]
    else:
        span = months[-1], months[0]
    at.selectbox(key="fl_from").set_value(span[0])
    at.selectbox(key="fl_to").set_value(span[1])
    at.selectbox(key="fl_batch").set_value(period.value if period.kind == "batch" else None).run()
    assert not at.exception, period
    sankey = page_chart(at, "fl_sankey")
    return {"metrics": {m.label: m.value for m in at.metric}, "sankey": sankey_flows(sankey) if sankey else None}


def serves_in(row, period) -> bool:
    """A roster row in ``period``, as periods.py words the rule: a batch's members; in a year, everyone whose
    stint overlaps it."""
    if period.kind == "batch":
        return row["batch"] == period.value
    if period.kind == "year":
        return row["start_date"] <= period.end.isoformat() and row["end_date"] >= period.start.isoformat()
    return True


# --- each slide against the pages ------------------------------------------------------------------------------

def programme_agrees(first, ov, members, key):
    assert first["hero"]["value"] == ov["metrics"]["挂职人员"], key
    for label in ("干部批次", "人才批次", "在岗人数", "挂职企业"):
        assert stat(first, label) == ov["metrics"][label], (key, label)
    cadres, talents = re.findall(r"\d[\d,]*", ov["help"]["挂职人员"])     # "机关干部 44 人，企业人才 24 人"
    assert (plain(stat(first, "机关干部")), plain(stat(first, "企业人才"))) == (plain(cadres), plain(talents)), key
    # The roster's rows picked by the period's rule are the overview's people (the slides below count from them).
    assert [sum(1 for r in members if r["direction"] == d) for d in (vocab.CADRE, vocab.TALENT)] == \
        [int(plain(cadres)), int(plain(talents))], key


def where_agrees(where, ov, members, industry_of, key):
    cadres = [r for r in members if r["direction"] == vocab.CADRE and r["host_unit_id"]]
    hosts = {r["host_unit_id"]: r for r in cadres}
    streets = {r["host_street"] for r in cadres if r["host_street"]}
    trades = {industry_of[h] for h in hosts if industry_of[h]}
    assert where["hero"]["value"] == ov["metrics"]["挂职企业"] and plain(where["hero"]["value"]) == str(len(hosts)), key
    assert stat(where, "街道镇") == str(len(streets)) and stat(where, "行业") == str(len(trades)), key
    assert plain(stat(where, "机关干部")) == str(len(cadres)), key
    assert stat(where, "现有挂职企业") == str(len({r["host_unit_id"] for r in cadres if r["status"] == "active"})), key
    assert where["message"] == zh("story.where_message", n=len(hosts), streets=len(streets), industries=len(trades))
    if not hosts:
        assert where["empty"] and not where["figures"], key
        return
    street_bars, industry_donut = (drawn(f) for f in where["figures"])
    per_street = Counter(vocab.label("street", r["host_street"], "zh") if r["host_street"] else zh("story.no_street")
                         for r in hosts.values())
    assert bars(street_bars) == per_street, key
    per_trade = Counter(industry_of[r["host_unit_id"]] or zh("story.no_industry") for r in cadres)
    shown = slices(industry_donut)
    named = {k: v for k, v in shown.items() if k != zh("story.other_industries")}
    rest = [v for k, v in per_trade.items() if k not in named]
    assert {k: per_trade.get(k) for k in named} == named, key                 # each named industry's cadres
    assert shown.get(zh("story.other_industries"), 0) == sum(rest), key       # the rest, together
    assert not rest or min(named.values()) >= max(rest), key                   # the named are the largest


def work_agrees(slide, ov, members, by_role, direction, key):
    roles = vocab.ROLES_BY_DIRECTION[direction]
    cadre = direction == vocab.CADRE
    expected = {vocab.label("role", r, "zh"): ov["by_role"].get(vocab.label("role", r, "zh"), 0) for r in roles}
    entries = int(sum(expected.values()))
    hours = f"{sum(by_role.get(r, 0.0) for r in roles):,.0f}"
    people = sum(1 for r in members if r["direction"] == direction)
    assert plain(slide["hero"]["value"]) == str(entries), key
    assert plain(stat(slide, "机关干部" if cadre else "企业人才")) == str(people), key
    assert stat(slide, "工作小时") == hours, key
    if people:
        assert plain(stat(slide, "人均记录")) == str(round(entries / people)), key
    if cadre:
        assert slide["message"] == zh("story.roles_message", n=people, entries=f"{entries:,}", hours=hours), key
    else:
        units_ = len({r["host_unit_id"] for r in members if r["direction"] == direction and r["host_unit_id"]})
        assert plain(stat(slide, "挂职单位")) == str(units_), key
        assert slide["message"] == zh("story.talents_message", n=people, units=units_, entries=f"{entries:,}"), key
    if not entries:
        assert slide["empty"] and not slide["figures"], key
    else:
        assert bars(drawn(slide["figures"][0])) == expected, key


def loop_agrees(loop, ov, fl, key):
    raised = fl["metrics"]["收集问题"]
    assert loop["hero"]["value"] == raised, key
    for label in ("按时答复率", "满意率"):
        assert stat(loop, label) == fl["metrics"][label], (key, label)
    # the median: the slide writes its unit small after the number, the flows card names it in its label
    median = next(s for s in loop["stats"] if s["label"] == "答复用时（中位数）")
    assert median["number"] == fl["metrics"]["答复用时中位数（工作日）"], key
    status = ov["by_status"]
    total = sum(status.values())
    counted = lambda codes: sum(status.get(vocab.label("feedback_status", s, "zh"), 0) for s in codes)
    closed = "—" if not total else f"{round(100 * counted(feedback.FINAL) / total)}%"
    open_, overdue = counted(feedback.OPEN), int(number(ov["delta"]["办理中的反馈"]) or 0)
    assert total == number(raised) and plain(ov["metrics"]["办理中的反馈"]) == str(open_), key
    assert stat(loop, "办结率") == closed, key
    assert stat(loop, "在办 / 超期") == f"{open_} / {overdue}", key
    assert loop["message"] == zh("story.loop_message", n=raised, closed=closed, on_time=fl["metrics"]["按时答复率"],
                                 satisfied=fl["metrics"]["满意率"]), key
    if fl["sankey"] is None:
        assert not total and loop["empty"] and not loop["figures"], key
        return
    columns, page_flows = fl["sankey"]     # direction → role → category → department → outcome
    outcomes = columns[4]
    assert outcomes.get(zh("flows.outcome_overdue"), 0) == overdue, key
    assert outcomes.get(zh("flows.outcome_open"), 0) + overdue == open_, key
    # The slide's Sankey: category → the departments holding most (the rest as one) → outcome.
    shown, slide_flows = sankey_flows(drawn(loop["figures"][0]))
    assert len(shown) == 3 and sum(shown[0].values()) == number(raised), key
    assert shown[0] == columns[2] and shown[2] == outcomes, key
    other = zh("flows.other_departments")
    named = {d: v for d, v in shown[1].items() if d != other}
    rest = {d: v for d, v in columns[3].items() if d not in named}
    assert {d: columns[3].get(d) for d in named} == named, key
    assert shown[1].get(other, 0) == sum(rest.values()), key
    assert not rest or min(named.values()) >= max(rest.values()), key
    folded: dict = defaultdict(int)
    for (column, source, target), items in page_flows.items():
        if column in (2, 3):
            fold = lambda d: other if d in rest else d
            folded[(column - 2, fold(source) if column == 3 else source, fold(target) if column == 2 else target)] \
                += items
    assert slide_flows == dict(folded), key


def changed_agrees(changed, ov, fl, key):
    promoted = int(plain(ov["metrics"]["全区推广做法"]))
    outcomes = fl["sankey"][0][4] if fl["sankey"] else {}
    solved = sum(outcomes.get(zh(f"flows.outcome_{e}"), 0) for e in feedback.SATISFIED)
    if promoted:
        assert (changed["hero"]["label"], plain(changed["hero"]["value"])) == ("全区推广做法", str(promoted)), key
        assert changed["message"] == zh("story.changed_message", practices=promoted, solved=solved), key
    else:
        assert (changed["hero"]["label"], plain(changed["hero"]["value"])) == ("满意解决的问题", str(solved)), key
        assert changed["message"] == zh("story.changed_solved", solved=solved), key
    practices, fixed = changed["lists"]
    assert (len(practices["items"]), len(fixed["items"])) == (min(3, promoted), min(story.LISTED, solved)), key


def compare_agrees(compare, period, offered, shown, key):
    if compare["empty"]:
        assert not compare["rows"] and period.kind == "batch", key     # only the first batch has none before it
        return
    now, before = (offered[label] for label in compare["columns"][1:3])
    assert now == (periods.year(clock.today().year) if period.kind == "all" else period), key
    assert before.kind == now.kind and before.direction == now.direction and before.start < now.start, key
    # the flows card names the median's unit in its label ("答复用时中位数（工作日）": 11), the slide after the number
    days = lambda v: v if v == "—" else zh("story.days", n=v)
    figures = [{**ov["metrics"], **fl["metrics"], "答复用时（中位数）": days(fl["metrics"]["答复用时中位数（工作日）"])}
               for ov, fl in (shown(now), shown(before))]
    assert len(compare["rows"]) == len(story.COMPARED), key
    for row in compare["rows"]:
        a, b = (f[row["label"]] for f in figures)
        assert (plain(row["now"]), plain(row["before"])) == (plain(a), plain(b)), (key, row["label"])
        x, y = number(a), number(b)
        assert row["arrow"] == ("" if x is None or y is None else "▲" if x > y else "▼" if x < y else "＝"), \
            (key, row["label"])


def test_every_figure_on_the_slides_is_the_overviews_and_the_flows_pages_for_the_same_period(demo_store):
    """Every figure of every slide against what the overview and the flows page show for the same period (their
    metrics, charts and Sankey, read off the pages), or, for what they do not show (streets, industries), against
    the roster's rows picked by the period's rule, first checked against the overview's people."""
    viewer = actor_for(demo_store, "demo_viewer")
    offered = {p.label("zh"): p for p in periods.options(demo_store, viewer)}
    overview = app_test("overview", demo_store, "demo_viewer").run()
    flows_page = app_test("flows", demo_store, "demo_viewer").run()
    seen: dict = {}

    def shown(period):
        if period.key not in seen:
            seen[period.key] = on_the_overview(overview, period), on_the_flows_page(flows_page, period)
        return seen[period.key]

    people = roster.list_participants(demo_store, viewer)
    industry_of = {u["id"]: u["industry"] for u in units.list_units(demo_store, viewer, active=None)}
    told = set()
    for period in the_periods(demo_store, viewer):
        key = period.key
        slides = {s["key"]: s for s in story.slides(demo_store, viewer, period, "zh")}
        told |= set(slides)
        ov, fl = shown(period)
        members = [r for r in people if serves_in(r, period)]
        programme_agrees(slides["programme"], ov, members, key)
        by_role = {r["role"]: r["hours"] for r in analytics.activities_by_role(demo_store, viewer, period)
                   .to_dict("records")}       # the overview's chart's own rows, for the hours it does not draw
        assert f"{sum(by_role.values()):,.0f}" == re.search(r"\d[\d,]*", ov["help"]["周志条目"]).group(), key
        if "where" in slides:
            where_agrees(slides["where"], ov, members, industry_of, key)
        for direction, slide in ((vocab.CADRE, "roles"), (vocab.TALENT, "talents")):
            if slide in slides:
                work_agrees(slides[slide], ov, members, by_role, direction, key)
        loop_agrees(slides["loop"], ov, fl, key)
        changed_agrees(slides["changed"], ov, fl, key)
        compare_agrees(slides["compare"], period, offered, shown, key)
    assert told == set(story.SLIDES)       # every kind of slide was checked in some period


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


def test_the_cockpits_newest_work_is_what_ordering_every_approved_entry_by_date_finds(demo_store):
    """The cockpit walks the week index backwards for the newest approved entries: the same rows, in the same
    order, as the plain query that orders every approved entry by date, however many are asked for."""
    from secondment import story

    plain = """
        select a.date as day, a.title, a.role, h.name as unit, p.name as person
        from activities a join week_reviews w on w.participant_id = a.participant_id and w.week = a.week
        join participants p on p.id = a.participant_id left join units h on h.id = p.host_unit_id
        where w.state = 'approved' order by a.date desc, a.id desc limit ?"""
    approved = demo_store.scalar("select count(*) from activities a join week_reviews w on w.participant_id = "
                                 "a.participant_id and w.week = a.week where w.state = 'approved'")
    assert approved > 100
    for n in (1, 14, 100, approved + 5):
        fast = demo_store.rows(story.LATEST_WORK_SQL, (n,))
        assert fast == demo_store.rows(plain, (n,)) and len(fast) == min(n, approved)
