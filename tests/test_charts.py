"""Figures built once: a remembered figure is exactly the plain builder's, each caller's copy is its own, and
other data (a changed cell, another language's labels) never gets a kept figure."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import plotly.io as pio
import pytest

from secondment import charts


def spec(fig) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


WEEKS = pd.DataFrame({"week": [f"2026-W{w:02d}" for w in range(30, 40)] * 2,
                      "role": ["counsellor"] * 10 + ["publicist"] * 10, "n": list(range(20))})
CELLS = pd.DataFrame({"week": ["2026-W30", "2026-W31", "2026-W30"], "who": ["张三", "张三", "<b>李四</b>"],
                      "state": ["approved", "missing", "leave"]})
LOGGED = CELLS.assign(n=[1, 0, 2])
ROLES = WEEKS.head(4)
STINTS = pd.DataFrame({"start": [date(2026, 1, 5), date(2026, 3, 2)], "end": [date(2026, 7, 3), date(2026, 9, 1)],
                       "name": ["王五", "赵六"], "batch": ["第一批", "第二批"]})

CASES = {
    "bar": lambda f=WEEKS: charts.bar(f, "week", "n", colour="role", colours=charts.ROLE_COLOURS, title="每周条目"),
    "bar_horizontal": lambda f=WEEKS: charts.bar(f, "role", "n", colour="role", horizontal=True),
    "donut": lambda f=WEEKS: charts.donut(f, "role", "n", colours=charts.ROLE_COLOURS),
    "line": lambda f=WEEKS: charts.line(f, "week", "n", colour="role", labels={"n": "条目"}),
    "state_heatmap": lambda f=CELLS: charts.state_heatmap(
        f, "week", "who", "state", states=["approved", "missing", "leave"], colours=charts.WEEK_CELL_COLOURS,
        state_labels={"approved": "已通过", "missing": "未填写", "leave": "请假"}),
    "sankey": lambda f=None: charts.sankey([{"label": "干部"}, {"label": "辅导员"}, {"label": "办结"}],
                                           [{"source": 0, "target": 1, "value": 3}, {"source": 1, "target": 2,
                                                                                     "value": 2}]),
    "weekly_log": lambda f=LOGGED: charts.weekly_log(
        f, "week", "n", "state", states=["approved", "missing", "leave"], colours=charts.WEEK_CELL_COLOURS,
        state_labels={"approved": "已通过", "missing": "未填写", "leave": "请假"}),
    "polar": lambda f=ROLES: charts.polar(f, "role", "n"),
    "stint_timeline": lambda f=STINTS: charts.stint_timeline(f, "start", "end", "name", "batch"),
}


def plain(name: str):
    """The same figure from the builder itself, nothing remembered."""
    saved = dict(charts._remembered)
    charts._remembered.clear()
    try:
        return spec(CASES[name]())
    finally:
        charts._remembered.update(saved)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_remembered_figure_is_exactly_the_builders_and_each_copy_is_its_own(name):
    first = CASES[name]()
    assert spec(first) == plain(name)
    first.update_layout(title_text="changed by one caller")
    first.data[0].name = "changed too"
    again = CASES[name]()
    assert spec(again) == plain(name)                      # the kept figure did not take the first caller's edits
    assert pio.to_json(again, validate=False) == pio.to_json(CASES[name](), validate=False)   # one identity


def test_other_data_or_other_words_never_get_a_kept_figure():
    before = spec(charts.bar(WEEKS, "week", "n", colour="role"))
    changed = WEEKS.copy()
    changed.loc[3, "n"] = 99
    after = spec(charts.bar(changed, "week", "n", colour="role"))
    assert after != before and after == spec(charts.bar.build(changed, "week", "n", colour="role"))
    assert spec(charts.bar(changed, "week", "n", colour="role")) == after
    english = spec(charts.bar(WEEKS, "week", "n", colour="role", title="Entries per week"))
    assert english["layout"]["title"]["text"] == "Entries per week"
    assert spec(charts.bar(WEEKS, "week", "n", colour="role", title="每周条目"))["layout"]["title"]["text"] == "每周条目"


def test_planted_markup_is_escaped_in_a_kept_figure_too():
    for _ in range(2):                                     # built, then remembered
        cells = spec(CASES["state_heatmap"]())
        assert "&lt;b&gt;李四&lt;/b&gt;" in cells["data"][0]["y"] and "<b>李四</b>" not in cells["data"][0]["y"]


def test_the_memory_holds_at_most_its_size(monkeypatch):
    monkeypatch.setattr(charts, "REMEMBERED", 3)
    for n in range(6):
        charts.donut(pd.DataFrame({"k": ["a", "b"], "v": [n, 1]}), "k", "v")
    assert len(charts._remembered) <= 3
