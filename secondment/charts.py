"""Plotly figure builders: data frames in, figures out. The same figures serve dashboards, reports and
the presentation mode. Labels arrive already translated; nothing here knows the session.

Every text that reaches a figure (names, titles, hover text, legend entries) goes through ``safe.html`` first:
Plotly reads ``<b>``, ``<br>`` and ``<a href>`` in labels, and a unit or person named with a tag must show the tag,
not become a link."""
from __future__ import annotations

import collections
import copy
import functools
import hashlib
import math
import pickle
import re
import threading

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from secondment import i18n
from secondment.safe import html

# One palette for the four roles and three talent categories, so a role has the same colour everywhere.
ROLE_COLOURS = {
    "counsellor": "#C8102E", "publicist": "#F2A900", "coordinator": "#1F77B4", "info_officer": "#2CA02C",
    "learning": "#9467BD", "party_practice": "#8C564B", "bridge": "#17BECF",
}
STATUS_COLOURS = {
    "submitted": "#9AA5B1", "accepted": "#1F77B4", "in_progress": "#F2A900", "answered": "#17BECF",
    "closed": "#2CA02C", "closed_unresolved": "#C8102E",
}
DIRECTION_COLOURS = {"cadre_to_enterprise": "#C8102E", "talent_to_government": "#1F77B4"}
# For categories without colours of their own (industries, streets): distinct, and legible with white text.
PALETTE = ("#1F77B4", "#C8102E", "#2CA02C", "#F2A900", "#9467BD", "#17BECF", "#8C564B", "#E377C2", "#7F7F7F")
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


# --- built once: the same data makes the same figure, for every session -----------------------------------------
# Plotly Express spends a few tenths of a second validating what it builds; a page drawn again (or by the next
# reviewer) with unchanged data asks for exactly the same figure. A figure depends on nothing but its arguments,
# so it is kept by their exact bytes (a session can only hit a figure it built from data it was given), and every
# caller gets its own copy, free to change it.
REMEMBERED = 256
_remembered: collections.OrderedDict[tuple[str, bytes], dict] = collections.OrderedDict()
_remembered_lock = threading.Lock()


def remembered(build):
    @functools.wraps(build)
    def figure(*args, **kwargs) -> go.Figure:
        try:
            key = (build.__name__, hashlib.blake2b(pickle.dumps((args, kwargs), protocol=5)).digest())
        except (pickle.PicklingError, TypeError, AttributeError):   # something without bytes: build it, keep nothing
            return build(*args, **kwargs)
        with _remembered_lock:
            kept = _remembered.get(key)
            if kept is not None:
                _remembered.move_to_end(key)
        if kept is None:
            kept = build(*args, **kwargs).to_dict()
            with _remembered_lock:
                _remembered[key] = kept
                while len(_remembered) > REMEMBERED:
                    _remembered.popitem(last=False)
        # Built afresh or not, the same figure (to the byte of its JSON, which is the chart's identity on the page).
        return go.Figure(copy.deepcopy(kept), skip_invalid=False, _validate=False)
    figure.build = build                                     # the plain builder, for the tests' comparison
    return figure


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns show literally in a figure (numbers, dates and codes-free columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: html(v) if isinstance(v, str) else v)
    return out


def _keys(mapping: dict | None) -> dict:
    """A colour map or label map keyed the way ``_text`` shows its keys."""
    return {html(k) if isinstance(k, str) else k: v for k, v in (mapping or {}).items()}


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    """The house style. The title sits below Plotly's tool bar (which would cover it on a phone), and a
    vertical axis's title is written level above the axis: turned on its side, Chinese is hard to read."""
    title = html(title) if title else title
    fig.update_layout(title={"text": title, "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 30}},
                      height=height, margin={"l": 10, "r": 10, "t": 80 if title else 36, "b": 10},
                      font={"family": FONT}, legend_title_text="", plot_bgcolor="white")
    y_title = fig.layout.yaxis.title.text if "yaxis" in fig.layout else None
    if y_title:
        fig.update_yaxes(title_text="")
        fig.add_annotation(text=y_title, xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="bottom",
                           showarrow=False, yshift=6, font={"size": 12, "color": "#555"})
    return fig


def _few_ticks(fig: go.Figure, categories: list, most: int = 6) -> None:
    """A category axis of many periods (weeks, months) labels every k-th only, level, so labels never run
    into each other ("2026-W362026-W38"); weeks after the first say only their number until the year turns
    ("2026-W36", "W40", …, "2027-W01")."""
    periods = all(re.fullmatch(r"\d{4}-(W\d\d|\d\d)", str(c)) for c in categories)
    if len(categories) <= (most if periods else 12):   # names (batches, roles) are all shown up to twelve
        return
    step = -(-len(categories) // most)
    shown = categories[::step]
    text, year = [], None
    for value in shown:
        value = str(value)
        if len(value) == 8 and value[4:6] == "-W":
            text.append(value if value[:4] != year else value[5:])
            year = value[:4]
        else:
            text.append(value)
    fig.update_xaxes(tickmode="array", tickvals=shown, ticktext=text, tickangle=0)


@remembered
def bar(frame: pd.DataFrame, x: str, y: str, *, colour: str | None = None, colours: dict | None = None,
        title: str | None = None, labels: dict | None = None, horizontal: bool = False,
        stacked: bool = True, height: int = 360, text: bool = True) -> go.Figure:
    frame = _text(frame)
    kwargs = {"color": colour, "color_discrete_map": _keys(colours),
              "labels": {k: html(v) for k, v in (labels or {}).items()},
                  "barmode": "stack" if stacked else "group", "text_auto": text}
    if horizontal:
        fig = px.bar(frame, x=y, y=x, orientation="h", **kwargs)
    else:
        fig = px.bar(frame, x=x, y=y, **kwargs)
    fig = _layout(fig, title, height)
    if horizontal and colour == x:
        # Each bar is its own category: the axis already names it, a legend would only repeat it.
        fig.update_layout(showlegend=False)
    elif colour:
        # Long English labels (e.g. "Bridge between enterprise and government") squeeze the plot when the
        # legend stands beside it; below the plot it takes the width it needs.
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0, "xanchor": "left"},
                          margin={"b": 10})
    if not horizontal and colour:
        # Stacked traces would order the axis by first appearance in each trace; keep the frame's order.
        fig.update_xaxes(categoryorder="array", categoryarray=list(dict.fromkeys(frame[x])))
    if not horizontal:
        fig.update_xaxes(type="category")
        _few_ticks(fig, list(dict.fromkeys(frame[x])))
    return fig


@remembered
def donut(frame: pd.DataFrame, names: str, values: str, *, title: str | None = None,
          colours: dict | None = None, height: int = 360) -> go.Figure:
    fig = px.pie(_text(frame), names=names, values=values, hole=0.55, color=names,
                 color_discrete_map=_keys(colours))
    # Whole percentages, level, and none on a slice too small to hold one legibly (the hover has the count).
    fig.update_traces(texttemplate="%{percent:.0%}", textposition="inside", insidetextorientation="horizontal",
                      hovertemplate="%{label}: %{value} (%{percent:.1%})<extra></extra>", sort=False)
    fig.update_layout(uniformtext={"minsize": 12, "mode": "hide"})
    return _layout(fig, title, height)


@remembered
def line(frame: pd.DataFrame, x: str, y: str, *, colour: str | None = None, colours: dict | None = None,
         title: str | None = None, labels: dict | None = None, height: int = 360) -> go.Figure:
    frame = _text(frame)
    fig = px.line(frame, x=x, y=y, color=colour, color_discrete_map=_keys(colours),
                  labels={k: html(v) for k, v in (labels or {}).items()}, markers=True)
    fig = _layout(fig, title, height)
    if not pd.api.types.is_datetime64_any_dtype(frame[x]):
        # Periods written as text ("2026-11", "2026-W48") are categories, one tick each: Plotly would read
        # "2026-11" as a date and, for a single month, draw a millisecond time axis.
        fig.update_xaxes(type="category")
        _few_ticks(fig, list(dict.fromkeys(frame[x])))
    return fig


def in_order(frame: pd.DataFrame, column: str, order, *, within: str | None = None) -> pd.DataFrame:
    """``frame`` sorted by the rank of ``column``'s codes in ``order`` (the programme's order of roles or
    statuses, not A–Z), inside ``within`` (e.g. the week) when given; unknown codes last."""
    rank = {code: i for i, code in enumerate(order)}
    ranked = frame.assign(_rank=frame[column].map(lambda c: rank.get(c, len(rank))))
    return ranked.sort_values([within, "_rank"] if within else ["_rank"], kind="stable").drop(
        columns="_rank").reset_index(drop=True)


def traces_in_order(fig: go.Figure, names) -> go.Figure:
    """The figure's traces (legend entries, stacking) in the order of ``names`` (their display labels)."""
    rank = {html(n): i for i, n in enumerate(names)}
    fig.data = tuple(sorted(fig.data, key=lambda trace: rank.get(trace.name, len(rank))))
    return fig


def translated(frame: pd.DataFrame, column: str, labeller) -> pd.DataFrame:
    """A copy with a ``<column>_label`` column for display, keeping the code for colours."""
    out = frame.copy()
    out[f"{column}_label"] = out[column].map(labeller)
    return out


def palette(labels) -> dict[str, str]:
    """Each label its own colour from ``PALETTE``, in the order given (repeating after nine)."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def whole_numbers(fig: go.Figure, axis: str, largest) -> go.Figure:
    """A count axis ticks whole numbers only (no "0.5 enterprises")."""
    raw = max(1.0, float(largest or 0) / 5)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, int(next(m * magnitude for m in (1, 2, 5, 10) if raw <= m * magnitude)))   # 1, 2, 5 × 10ⁿ
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(dtick=step, tick0=0, tickformat=",d")
    return fig


def label_colours(colours: dict[str, str], labeller) -> dict[str, str]:
    """The same palette keyed by display label (what the figure's legend shows)."""
    return {labeller(code): colour for code, colour in colours.items()}


# --- weekly coverage (activities issue) ---------------------------------------------------------------
OBJECTIVE_COLOURS = {"not_started": "#BDBDBD", "on_track": "#1F77B4", "at_risk": "#F2A900", "done": "#2CA02C"}

WEEK_CELL_COLOURS = {
    "approved": "#2CA02C", "submitted": "#1F77B4", "returned": "#F2A900", "logged": "#9ECAE1",
    "leave": "#B39DDB", "pending": "#D9D9D9", "missing": "#C8102E", "outside": "#F0F0F0",
}


@remembered
def state_heatmap(frame: pd.DataFrame, x: str, y: str, state: str, *, states: list[str], colours: dict[str, str],
                  state_labels: dict[str, str], hover: str | None = None, y_order: list | None = None,
                  title: str | None = None, height: int | None = None) -> go.Figure:
    """A grid of discrete states (e.g. participant × week → approved / missing …) with a legend.

    ``states`` orders the categories; ``state_labels`` holds their translated names for the legend.
    ``hover`` names a column with each cell's hover text."""
    codes = {s: i for i, s in enumerate(states)}
    frame = _text(frame)
    state_labels = {k: html(v) for k, v in state_labels.items()}
    y_order = [html(v) if isinstance(v, str) else v for v in y_order] if y_order else y_order
    xs = list(dict.fromkeys(frame[x])) if not frame.empty else []
    ys = y_order or (list(dict.fromkeys(frame[y])) if not frame.empty else [])
    z = [[None] * len(xs) for _ in ys]
    text = [[""] * len(xs) for _ in ys]
    xi, yi = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    for row in frame.itertuples(index=False):
        r, c = yi.get(getattr(row, y)), xi.get(getattr(row, x))
        if r is None or c is None:
            continue
        z[r][c] = codes.get(getattr(row, state))
        text[r][c] = getattr(row, hover) if hover else state_labels.get(getattr(row, state), "")
    n = max(1, len(states))
    scale = []
    for i, s in enumerate(states):
        scale += [[i / n, colours[s]], [(i + 1) / n, colours[s]]]
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=ys, text=text, hoverinfo="text", zmin=-0.5, zmax=n - 0.5,
                               colorscale=scale, showscale=False, xgap=2, ygap=2))
    for s in states:  # legend entries: one invisible marker per state
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=state_labels.get(s, s),
                                 marker={"size": 12, "color": colours[s], "symbol": "square"}))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="top")
    fig = _layout(fig, title, height or max(240, 26 * len(ys) + 120))
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0})
    return fig


# --- feedback flows (feedback issue) ------------------------------------------------------------------
OUTCOME_COLOURS = {
    "satisfied": "#2CA02C", "basically_satisfied": "#98DF8A", "closed": "#7F7F7F", "closed_unresolved": "#8C564B",
    "answered": "#17BECF", "open": "#9AA5B1", "overdue": "#C8102E",
}
TREND_COLOURS = {"raised": "#1F77B4", "answered": "#17BECF", "closed": "#2CA02C", "overdue": "#C8102E"}


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


@remembered
def sankey(nodes: list[dict], links: list[dict], *, title: str | None = None, height: int = 560,
           node_colours: list[str] | None = None, value_label: str = "") -> go.Figure:
    """A Sankey from ``nodes`` (each with ``label``; order = index) and ``links`` (``source``, ``target``,
    ``value`` as node indices). Links take their source node's colour, lighter."""
    colours = list(node_colours or ["#9AA5B1"] * len(nodes))
    labels = [_two_lines(html(n["label"])) for n in nodes]
    link_colours = [_rgba(colours[lk["source"]], 0.35) for lk in links]
    shown = "%{source.label} → %{target.label}: %{value}<extra></extra>"
    link_hover = [shown] * len(links)
    node_hover = ["%{label}: %{value}<extra></extra>"] * len(nodes)
    sources, targets = [lk["source"] for lk in links], [lk["target"] for lk in links]
    values = [lk["value"] for lk in links]
    # Plotly writes the labels of the last column to the left of its nodes, over the incoming flows. An
    # invisible extra column, fed by every end node, makes the real last column write its labels to the right.
    inflow: dict[int, float] = {}
    for lk in links:
        inflow[lk["target"]] = inflow.get(lk["target"], 0) + lk["value"]
    ends = [i for i in inflow if i not in set(sources)]
    if ends:
        spacer = len(labels)
        labels.append("")
        colours.append("rgba(0,0,0,0)")
        node_hover.append("<extra></extra>")
        for end in ends:
            sources.append(end)
            targets.append(spacer)
            values.append(inflow[end])
            link_colours.append("rgba(0,0,0,0)")
            link_hover.append("<extra></extra>")
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat="d", valuesuffix=f" {html(value_label)}" if value_label else "",
        node={"label": labels, "color": colours, "pad": 22, "thickness": 16, "line": {"color": "white", "width": 0.5},
              "hovertemplate": node_hover},
        link={"source": sources, "target": targets, "value": values, "color": link_colours, "hovertemplate": link_hover},
        # Dark labels with a white halo stay readable over the grey and coloured flows they cross.
        textfont={"size": 12, "color": "#1F2933", "shadow": "0 0 3px white, 0 0 3px white, 0 0 2px white"},
    ))
    return _layout(fig, title, height)


def sankey_node_colours(nodes: list[dict], start: str = "direction") -> list[str]:
    """Each Sankey node's colour by its stage (``flows.sankey_data``'s nodes): directions, roles and outcomes in
    their own colours, categories amber, departments slate."""
    colours = []
    for node in nodes:
        if node["stage"] == "start":
            colours.append(DIRECTION_COLOURS.get(node["code"], "#1F77B4") if start == "direction" else "#1F77B4")
        elif node["stage"] == "role":
            colours.append(ROLE_COLOURS.get(node["code"], "#9AA5B1"))
        elif node["stage"] == "outcome":
            colours.append(OUTCOME_COLOURS.get(node["code"], "#9AA5B1"))
        elif node["stage"] == "category":
            colours.append("#F2A900")
        else:
            colours.append("#5B6B7F")
    return colours


def _two_lines(label: str, longest: int = 18) -> str:
    """A long label (an English role such as "Bridge between enterprise and government") on two lines at the
    space nearest its middle, so it does not run into the next column. ``label`` is already escaped."""
    if len(label) <= longest or " " not in label:
        return label
    middle = len(label) // 2
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return f"{label[:cut]}<br>{label[cut + 1:]}"


# --- roster, profile and batches (roster issue) -------------------------------------------------------
@remembered
def weekly_log(frame: pd.DataFrame, x: str, y: str, state: str, *, states: list[str], colours: dict[str, str],
               state_labels: dict[str, str], labels: dict | None = None, title: str | None = None,
               height: int = 300) -> go.Figure:
    """Entries per week as bars coloured by the week's review state; weeks with nothing logged are shown
    as markers on the axis so a gap is visible, not just absent."""
    fig = go.Figure()
    state_labels = {k: html(v) for k, v in state_labels.items()}
    labels = {k: html(v) for k, v in (labels or {}).items()}
    for s in states:
        part = frame[frame[state] == s]
        if part.empty:
            continue
        if s == "missing":
            fig.add_trace(go.Scatter(x=part[x], y=[0] * len(part), mode="markers", name=state_labels.get(s, s),
                                     marker={"color": colours[s], "symbol": "line-ns-open", "size": 10}))
        else:
            fig.add_trace(go.Bar(x=part[x], y=part[y], name=state_labels.get(s, s), marker_color=colours[s]))
    fig.update_layout(barmode="stack", bargap=0.15, xaxis_title=(labels or {}).get(x, ""),
                      yaxis_title=(labels or {}).get(y, ""))
    fig = _layout(fig, title, height)
    # The legend below the plot: above it, it would print over the axis title written level there.
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.45, "xanchor": "left", "x": 0})
    return fig


@remembered
def polar(frame: pd.DataFrame, theta: str, r: str, *, colour: str = "#C8102E", title: str | None = None,
          height: int = 360) -> go.Figure:
    """A filled radar of one participant's role balance (theta = role label, r = value)."""
    fig = px.line_polar(_text(frame), r=r, theta=theta, line_close=True)
    fig.update_traces(fill="toself", line_color=colour)
    fig = _layout(fig, title, height)
    fig.update_layout(margin={"l": 60, "r": 60, "t": 60 if title else 40, "b": 40},
                      polar={"radialaxis": {"nticks": 4, "tickfont": {"size": 10}},
                                 "angularaxis": {"direction": "clockwise", "rotation": 90}})
    return fig


@remembered
def stint_timeline(frame: pd.DataFrame, start: str, end: str, y: str, colour: str, *,
                   colours: dict | None = None, hover: list[str] | None = None, labels: dict | None = None,
                   title: str | None = None, height: int | None = None) -> go.Figure:
    """Gantt bars (px.timeline) of batches or stints, one row each, in the frame's order."""
    frame = _text(frame)
    fig = px.timeline(frame, x_start=start, x_end=end, y=y, color=colour, color_discrete_map=_keys(colours),
                      hover_data=hover or [], labels={k: html(v) for k, v in (labels or {}).items()})
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=list(frame[y]), title="")
    return _layout(fig, title, height or max(260, 22 * len(frame) + 120))


# Plotly's own words that can reach a person (the tool bar kept below, double-click hints, the Sankey's hover).
_PLOTLY_WORDS = ("download_png", "autoscale", "reset_axes", "zoom_back", "isolate", "source", "target",
                 "incoming", "outgoing")
# Plotly's tool bar, less what a person here has no use for (and whose tooltips would need words of their own).
_PLOTLY_TOOLS_OFF = ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "hoverClosestCartesian",
                     "hoverCompareCartesian", "toggleSpikelines", "sendDataToCloud"]


def plotly_config(language: str) -> dict:
    """Plotly's configuration in ``language``: its own words and its date formats (month and day names,
    "2026年11月" on a month axis) in that language, registered as a locale of its own."""
    def en(key):
        return i18n.translate("en", key)

    def here(key):
        return i18n.translate(language, key)

    name = f"secondment-{language}"
    words = {en(f"plotly.{k}"): here(f"plotly.{k}") for k in _PLOTLY_WORDS}
    lists = {k: here(f"plotly.{key}").split(",") for k, key in (
        ("months", "months"), ("shortMonths", "short_months"), ("days", "days"), ("shortDays", "short_days"))}
    formats = {k: here(f"plotly.{key}") for k, key in (
        ("year", "year"), ("month", "month"), ("dayMonth", "day_month"), ("dayMonthYear", "day_month_year"),
        ("date", "date"))}
    return {"displaylogo": False, "locale": name, "modeBarButtonsToRemove": _PLOTLY_TOOLS_OFF,
            "locales": {name: {"dictionary": words, "format": {**lists, **formats}}}}
