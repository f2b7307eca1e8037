"""Presentation mode for leadership: a few large slides, stepped by hand or played automatically."""
import time
from datetime import timedelta

import streamlit as st

from secondment import analytics, charts, clock, ui, validation, vocab

actor = ui.page_gate("presentation")
store = ui.store()

SLIDES = ("programme", "batches", "roles", "loop", "practices")
st.session_state.setdefault("slide", 0)

# Larger type for a projector; the style-only html takes no space on the page.
st.html("<style>[data-testid='stMetricValue']{font-size:3rem} h1{font-size:2.6rem}</style>")

c_prev, c_next, c_auto = st.columns([1, 1, 3], vertical_alignment="center")
if c_prev.button(ui.t("present.previous"), icon=":material/chevron_left:", width="stretch"):
    st.session_state.slide = (st.session_state.slide - 1) % len(SLIDES)
if c_next.button(ui.t("present.next"), icon=":material/chevron_right:", width="stretch"):
    st.session_state.slide = (st.session_state.slide + 1) % len(SLIDES)
auto = c_auto.toggle(ui.t("present.autoplay"), key="autoplay", help=ui.t("present.autoplay_help"))


def slide_programme():
    h = analytics.headline(store, actor)
    st.title(ui.t("app.title"))
    if not h["participants"]:
        ui.empty("overview.empty")
        return
    st.subheader(ui.t("present.programme_line", since=h["first_year"]))
    c = [ui.metric_row()] * 4
    c[0].metric(ui.t("overview.participants"), h["participants"], border=True)
    c[1].metric(ui.t("overview.cadre_batches"), h["cadre_batches"], border=True)
    c[2].metric(ui.t("overview.talent_batches"), h["talent_batches"], border=True)
    c[3].metric(ui.t("overview.active"), h["active"], border=True)
    c = [ui.metric_row()] * 4
    c[0].metric(ui.t("overview.enterprises"), h["enterprises"], border=True)
    c[1].metric(ui.t("overview.activities"), f"{h['activities']:,}", border=True)
    c[2].metric(ui.t("overview.feedback"), f"{h['feedback']:,}", border=True)
    c[3].metric(ui.t("overview.practices_promoted"), h["practices_promoted"], border=True)


def slide_batches():
    st.title(ui.t("overview.by_batch"))
    frame = analytics.participants_by_batch(store, actor)
    if frame.empty:
        ui.empty("overview.empty")
        return
    frame["direction_label"] = frame["direction"].map(lambda d: ui.label("direction_short", d))
    ui.chart(charts.bar(frame, "batch", "participants", colour="direction_label", height=520,
                        colours=charts.label_colours(charts.DIRECTION_COLOURS,
                                                     lambda d: ui.label("direction_short", d)),
                        labels={"batch": ui.t("field.batch"), "participants": ui.t("overview.participants"),
                                "direction_label": ui.t("field.direction")}), key="p_batches")


def slide_roles():
    """The "four members" at work: the cadres' four roles only (the talents' three categories are another
    story), in the programme's order."""
    st.title(ui.t("present.roles_title"))
    four = vocab.ROLES_BY_DIRECTION[vocab.CADRE]
    roles = analytics.activities_by_role(store, actor)
    roles = charts.in_order(roles[roles["role"].isin(four)], "role", four) if not roles.empty else roles
    if roles.empty:
        ui.empty("overview.no_activities")
        return
    roles["role_label"] = roles["role"].map(lambda r: ui.label("role", r))
    colours = charts.label_colours(charts.ROLE_COLOURS, lambda r: ui.label("role", r))
    left, right = st.columns(2)
    with left:
        ui.chart(charts.donut(roles, "role_label", "entries", colours=colours, height=480,
                              title=ui.t("overview.entries")), key="p_roles")
    with right:
        since = validation.iso_week(clock.today() - timedelta(weeks=25))
        trend = analytics.recent_activity_trend(store, actor, since)
        trend = trend[trend["role"].isin(four)] if not trend.empty else trend
        if not trend.empty:
            trend = charts.in_order(trend, "role", four, within="week")
            trend["role_label"] = trend["role"].map(lambda r: ui.label("role", r))
            fig = charts.bar(trend, "week", "entries", colour="role_label", colours=colours, text=False,
                             height=480, title=ui.t("overview.trend"),
                             labels={"week": ui.t("common.week"), "entries": ui.t("overview.entries"),
                                     "role_label": ui.t("field.role")})
            ui.chart(charts.traces_in_order(fig, [ui.label("role", r) for r in four]), key="p_trend")


def slide_loop():
    st.title(ui.t("present.loop_title"))
    st.caption(ui.t("present.loop_steps"))
    loop = analytics.feedback_loop(store, actor)
    c = [ui.metric_row()] * 4
    c[0].metric(ui.t("overview.feedback"), loop["total"], border=True)
    c[1].metric(ui.t("present.closed_pct"), _pct(loop["closed_pct"]), border=True)
    c[2].metric(ui.t("present.on_time_pct"), _pct(loop["on_time_pct"]), border=True)
    c[3].metric(ui.t("present.satisfied_pct"), _pct(loop["satisfied_pct"]), border=True)
    status = analytics.feedback_by_status(store, actor)
    if not status.empty:
        status["status_label"] = status["status"].map(lambda s: ui.label("feedback_status", s))
        ui.chart(charts.donut(status, "status_label", "items", height=420,
                              colours=charts.label_colours(charts.STATUS_COLOURS,
                                                           lambda s: ui.label("feedback_status", s))),
                 key="p_status")


def slide_practices():
    st.title(ui.t("present.practices_title"))
    frame = analytics.promoted_practices(store, actor)
    if frame.empty:
        ui.empty("present.no_practices")
        return
    for row in frame.itertuples():
        with st.container(border=True):
            st.markdown(f"**{ui.md(row.title)}**")
            st.caption(ui.md(f"{row.enterprise or ''} · {row.batch or ''}"))
            if row.summary:
                st.markdown(ui.md(row.summary))


def _pct(value):
    return "—" if value is None else f"{value}%"


DRAW = {"programme": slide_programme, "batches": slide_batches, "roles": slide_roles, "loop": slide_loop,
        "practices": slide_practices}


INTERVAL = 12


@st.fragment(run_every=INTERVAL if auto else None)
def show():
    # Advance only when a slide has been up for a whole interval, not on every rerun.
    now = time.monotonic()
    shown_at = st.session_state.get("_slide_at")
    if st.session_state.get("_slide_shown") != st.session_state.slide or shown_at is None:
        st.session_state["_slide_at"] = now
    elif auto and now - shown_at >= INTERVAL - 1:
        st.session_state.slide = (st.session_state.slide + 1) % len(SLIDES)
        st.session_state["_slide_at"] = now
    st.session_state["_slide_shown"] = st.session_state.slide
    st.progress((st.session_state.slide + 1) / len(SLIDES),
                text=ui.t("present.position", n=st.session_state.slide + 1, total=len(SLIDES)))
    DRAW[SLIDES[st.session_state.slide]]()


show()
