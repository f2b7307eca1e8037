"""Plotly figure builders: data frames in, figures out. The same figures serve dashboards, reports and
the presentation mode. Labels arrive already translated; nothing here knows the session."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

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
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50 if title else 10, b=10),
                      font=dict(family=FONT), legend_title_text="", plot_bgcolor="white")
    return fig


def bar(frame: pd.DataFrame, x: str, y: str, *, colour: str | None = None, colours: dict | None = None,
        title: str | None = None, labels: dict | None = None, horizontal: bool = False,
        stacked: bool = True, height: int = 360, text: bool = True) -> go.Figure:
    kwargs = dict(color=colour, color_discrete_map=colours or {}, labels=labels or {},
                  barmode="stack" if stacked else "group", text_auto=text)
    if horizontal:
        fig = px.bar(frame, x=y, y=x, orientation="h", **kwargs)
    else:
        fig = px.bar(frame, x=x, y=y, **kwargs)
    return _layout(fig, title, height)


def donut(frame: pd.DataFrame, names: str, values: str, *, title: str | None = None,
          colours: dict | None = None, height: int = 360) -> go.Figure:
    fig = px.pie(frame, names=names, values=values, hole=0.55, color=names,
                 color_discrete_map=colours or {})
    fig.update_traces(textinfo="label+value", textposition="outside")
    return _layout(fig, title, height)


def line(frame: pd.DataFrame, x: str, y: str, *, colour: str | None = None, colours: dict | None = None,
         title: str | None = None, labels: dict | None = None, height: int = 360) -> go.Figure:
    fig = px.line(frame, x=x, y=y, color=colour, color_discrete_map=colours or {}, labels=labels or {},
                  markers=True)
    return _layout(fig, title, height)


def translated(frame: pd.DataFrame, column: str, labeller) -> pd.DataFrame:
    """A copy with a ``<column>_label`` column for display, keeping the code for colours."""
    out = frame.copy()
    out[f"{column}_label"] = out[column].map(labeller)
    return out


def label_colours(colours: dict[str, str], labeller) -> dict[str, str]:
    """The same palette keyed by display label (what the figure's legend shows)."""
    return {labeller(code): colour for code, colour in colours.items()}
