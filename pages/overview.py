"""Overview: the programme's headline figures for reviewers and leaders."""
from datetime import timedelta

import streamlit as st

from secondment import analytics, charts, clock, periods, ui, validation, vocab

actor = ui.page_gate("overview")
store = ui.store()
lang = ui.lang()

st.title(ui.t("overview.title"))
st.caption(ui.t("app.subtitle"))

if not analytics.has_participants(store, actor):
    ui.empty("overview.empty")
    st.stop()

# The same periods as the presentation's: the figures of a period agree on both.
offered = periods.options(store, actor)
period = st.selectbox(ui.t("field.period"), offered, key="ov_period", placeholder=ui.t("common.choose"), format_func=lambda p: p.label(lang),
                      help=ui.t("overview.period_help"), width=320)
h = analytics.headline(store, actor, period=period)

c = [ui.metric_row()] * 4
c[0].metric(ui.t("overview.participants"), h["participants"],
            help=ui.t("overview.participants_help", cadres=h["cadres"], talents=h["talents"]), border=True)
c[1].metric(ui.t("overview.cadre_batches"), h["cadre_batches"], border=True)
c[2].metric(ui.t("overview.talent_batches"), h["talent_batches"], border=True)
c[3].metric(ui.t("overview.active"), h["active"], border=True)
c = [ui.metric_row()] * 4
c[0].metric(ui.t("overview.enterprises"), h["enterprises"], border=True)
c[1].metric(ui.t("overview.activities"), f"{h['activities']:,}",
            help=ui.t("overview.hours_help", hours=f"{h['hours']:,.0f}"), border=True)
c[2].metric(ui.t("overview.feedback_open"), h["feedback_open"],
            help=ui.t("overview.feedback_help", total=f"{h['feedback']:,}"),
            delta=ui.t("overview.overdue_delta", n=h["feedback_overdue"]) if h["feedback_overdue"] else None,
            delta_color="inverse", delta_arrow="off", border=True)
c[3].metric(ui.t("overview.practices_promoted"), h["practices_promoted"], border=True)

left, right = st.columns(2)
with left:
    batches = analytics.participants_by_batch(store, actor)
    batches = batches[batches['batch'].isin(analytics.batch_codes(store, actor, period))]
    by_year = len(batches) > analytics.BATCHES_SHOWN     # hundreds of bars are more than anyone reads: per year
    bars = batches
    if by_year:
        bars = batches.groupby(["intake_year", "direction"], as_index=False)["participants"].sum()
        bars["batch"] = bars["intake_year"].astype(str)
    bars = bars.assign(direction_label=bars["direction"].map(lambda d: ui.label("direction_short", d)))
    ui.chart(charts.bar(bars, "batch", "participants", colour="direction_label",
                        colours=charts.label_colours(charts.DIRECTION_COLOURS,
                                                     lambda d: ui.label("direction_short", d)),
                        title=ui.t("overview.by_year" if by_year else "overview.by_batch"),
                        labels={"batch": ui.t("field.intake_year" if by_year else "field.batch"),
                                "participants": ui.t("overview.participants"),
                                "direction_label": ui.t("field.direction")}), key="by_batch")
with right:
    roles = analytics.activities_by_role(store, actor, period)
    if roles.empty:
        ui.empty("overview.no_activities")
    else:
        roles["role_label"] = roles["role"].map(lambda r: ui.label("role", r))
        ui.chart(charts.bar(roles.sort_values("entries"), "role_label", "entries", colour="role_label",
                            colours=charts.label_colours(charts.ROLE_COLOURS, lambda r: ui.label("role", r)),
                            title=ui.t("overview.by_role"), horizontal=True,
                            labels={"role_label": ui.t("field.role"), "entries": ui.t("overview.entries")}),
                 key="by_role")

left, right = st.columns(2)
with left:
    status = analytics.feedback_by_status(store, actor, period)
    if status.empty:
        ui.empty("overview.no_feedback")
    else:
        # The legend reads in the order an item moves through (submitted → … → closed), not A–Z by code.
        status = charts.in_order(status, "status", vocab.FEEDBACK_STATUSES)
        status["status_label"] = status["status"].map(lambda s: ui.label("feedback_status", s))
        ui.chart(charts.donut(status, "status_label", "items", title=ui.t("overview.by_status"),
                              colours=charts.label_colours(charts.STATUS_COLOURS,
                                                           lambda s: ui.label("feedback_status", s))),
                 key="by_status")
with right:
    since = validation.iso_week(clock.today() - timedelta(weeks=25))
    trend = analytics.recent_activity_trend(store, actor, since)
    if trend.empty:
        ui.empty("overview.no_activities")
    else:
        # Legend and stacking in the programme's role order, the same in both languages.
        trend = charts.in_order(trend, "role", vocab.ROLES, within="week")
        trend["role_label"] = trend["role"].map(lambda r: ui.label("role", r))
        fig = charts.bar(trend, "week", "entries", colour="role_label", text=False,
                         colours=charts.label_colours(charts.ROLE_COLOURS, lambda r: ui.label("role", r)),
                         title=ui.t("overview.trend"),
                         labels={"week": ui.t("common.week"), "entries": ui.t("overview.entries"),
                                 "role_label": ui.t("field.role")})
        charts.traces_in_order(fig, [ui.label("role", code) for code in vocab.ROLES])
        ui.chart(fig, key="trend")

st.subheader(ui.t("overview.batch_table"))
table = batches.assign(direction=batches["direction"].map(lambda d: ui.label("direction", d)))
table = table[["batch", "direction", "intake_year", "start_date", "end_date", "participants", "active"]]
table.columns = [ui.t("field.batch"), ui.t("field.direction"), ui.t("field.intake_year"),
                 ui.t("field.start_date"), ui.t("field.end_date"), ui.t("overview.participants"),
                 ui.t("overview.active")]
st.dataframe(table, hide_index=True)
