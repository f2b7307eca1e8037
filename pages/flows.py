"""Flows: where feedback goes (Sankey), the items behind a flow, how departments answer, and monthly trends."""

import pandas as pd
import streamlit as st

from secondment import charts, clock, feedback, flows, ui

actor = ui.page_gate("flows")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it
today = clock.today()


st.title(ui.tm("flows.title"))
st.caption(ui.tm("flows.caption"))

first, last = flows.period_bounds(store, actor)
if first is None:
    ui.empty("flows.empty")
    st.stop()

dept_rows = feedback.departments(store, actor, include_inactive=True)
dept_names = {d["id"]: d["name"] for d in dept_rows}
batch_codes = feedback.batch_codes(store, actor)

with st.container(border=True):
    f = st.columns([1.2, 1, 1, 1.3, 1.2])
    period_from, period_to = ui.month_range(f[0], f[1], (t("flows.period_from"), t("flows.period_to")), first,
                                            max(last, today), "fl")
    batch = ui.select_or_all(f[2], t("field.batch"), batch_codes, key="fl_batch")
    department = ui.select_or_all(f[3], t("field.department"), dept_names, key="fl_department",
                                  format=lambda i: dept_names.get(i, str(i)))
    start = f[4].segmented_control(t("flows.start"), list(flows.STARTS), default="direction", key="fl_start",
                                   format_func=lambda s: t(f"flows.start_{s}")) or "direction"

filters = {"period_from": period_from, "period_to": period_to, "batch": batch, "department": department, "today": today}
data = flows.sankey_data(store, actor, start=start, lang=lang, **filters)

# The loop in four figures, for the items the filters pick (the presentation's loop slide shows the same).
summary = flows.loop_summary(store, actor, **filters)
pct = lambda v: "—" if v is None else f"{v}%"
c = [ui.metric_row()] * 4
c[0].metric(t("story.raised"), f"{summary['total']:,}", border=True)
c[1].metric(t("present.on_time_pct"), pct(summary["on_time_pct"]), border=True)
c[2].metric(t("present.satisfied_pct"), pct(summary["satisfied_pct"]), border=True)
c[3].metric(t("flows.median_working_days"), "—" if summary["median_days"] is None
            else f"{summary['median_days']:g}", border=True)   # the unit in the label: a card has room for a number

# Only the open tab runs its queries (on_change="rerun"): the page costs one tab, not three.
tab_flow, tab_departments, tab_trends = st.tabs([t("flows.tab_sankey"), t("flows.tab_departments"),
                                                 t("flows.tab_trends")], key=f"fl_tab_{lang}", on_change="rerun")

# --- Sankey and drill-down -----------------------------------------------------------------------------------------
with tab_flow:
    if tab_flow.open:
        if data["total"] == 0:
            ui.empty("flows.no_items")
        else:
            def stage_name(stage: str) -> str:
                return t(f"flows.start_{start}") if stage == "start" else t(f"flows.stage_{stage}")

            stage_names = " → ".join(stage_name(s) for s in flows.STAGES)
            st.caption(ui.tm("flows.sankey_help", n=data["total"], stages=stage_names))
            colours = charts.sankey_node_colours(data["nodes"], start)
            ui.chart(charts.sankey(data["nodes"], data["links"], node_colours=colours,
                                   height=max(560, min(2000, 44 * sum(1 for n in data["nodes"] if n["stage"] == "department"))),
                                   value_label=t("flows.items_unit")), key="fl_sankey")
            st.markdown(f"**{t('flows.drill')}**")
            st.caption(ui.tm("flows.drill_help"))
            nodes = data["nodes"]
            options = [("link", i) for i in range(len(data["links"]))] + [("node", n["index"]) for n in nodes]

            def option_label(opt) -> str:
                kind, i = opt
                if kind == "node":
                    n = nodes[i]
                    return t("common.labelled", label=stage_name(n["stage"]), value=n["label"]) + t("common.in_brackets", text=n["value"])
                link = data["links"][i]
                return f"{nodes[link['source']]['label']} → {nodes[link['target']]['label']}" + t("common.in_brackets", text=link["value"])

            left, right = st.columns([3, 2])
            with left:
                links_frame = pd.DataFrame([{t("flows.col_from"): nodes[lk["source"]]["label"],
                                             t("flows.col_to"): nodes[lk["target"]]["label"],
                                             t("flows.col_items"): lk["value"]} for lk in data["links"]])
                event = st.dataframe(links_frame, hide_index=True, width="stretch", height=280, key="fl_links",
                                     on_select="rerun", selection_mode="single-row")
            picked = ui.picked_row(event, range(len(data["links"])))  # the index of the picked link
            default = ("link", picked) if picked is not None else None
            with right:
                choice = st.selectbox(t("flows.pick_flow"), options, key=f"fl_pick_{start}_{default}",
                                      index=options.index(default) if default in options else None,
                                      format_func=option_label, placeholder=t("flows.pick_flow_placeholder"))
            if choice is not None:
                kind, i = choice
                if kind == "link":
                    link = data["links"][i]
                    source = (link["source_stage"], link["source_code"])
                    target = (link["target_stage"], link["target_code"])
                    title = option_label(choice)
                else:
                    n = nodes[i]
                    source, target, title = (n["stage"], n["code"]), None, option_label(choice)
                items, total = flows.items_behind(store, actor, source=source, target=target, start=start, **filters)
                st.markdown(f"**{ui.tm('flows.items_behind', flow=title)}**")
                st.caption(ui.tm("common.shown_of", shown=len(items), total=total))
                # Each item and each person opens where it lives (the feedback page, the profile).
                frame = pd.DataFrame([{
                    t("feedback.col_overdue"): "● " + t("feedback.col_overdue") if r["overdue"] else "",
                    t("feedback.col_id"): f"feedback?item={r['id']}", t("field.summary"): r["summary"],
                    t("field.status"): L("feedback_status", r["status"]),
                    t("field.category"): L("feedback_category", r["category"]),
                    t("field.department"): r["department"],
                    t("field.participant"): f"profile?id={r['participant_id']}#{r['participant']}",
                    t("field.batch"): r["batch"], t("feedback.col_due"): r["due_date"],
                    t("field.evaluation"): L("evaluation", r["evaluation"]) if r["evaluation"] else "",
                    t("feedback.col_raised"): clock.local_time(r["created_at"], "%Y-%m-%d"),
                } for r in items])
                st.dataframe(frame, hide_index=True, width="stretch", column_config={
                    t("feedback.col_id"): st.column_config.LinkColumn(display_text=r"item=(\d+)$", width="small"),
                    t("field.participant"): st.column_config.LinkColumn(display_text=r"#(.*)$")})
                st.caption(ui.tm("flows.open_in_feedback"))

# --- department table ------------------------------------------------------------------------------------------------
with tab_departments:
    if tab_departments.open:
        table = flows.department_table(store, actor, **filters)
        if table.empty:
            ui.empty("flows.no_items")
        else:
            st.caption(ui.tm("flows.departments_help", n=flows.MIN_ITEMS_TO_RANK))

            def show(frame: pd.DataFrame, ranked: bool) -> pd.DataFrame:
                out = pd.DataFrame({
                    **({t("flows.col_rank"): frame["rank"]} if ranked else {}),
                    t("field.department"): frame["department"],
                    t("flows.col_received"): frame["received"],
                    t("flows.col_held"): frame["held"],
                    t("flows.col_open"): frame["open"],
                    t("flows.col_overdue"): frame["overdue"],
                    t("flows.col_answered"): frame["answered"],
                    t("flows.col_on_time_pct"): frame["on_time_pct"],
                    t("flows.col_median_days"): frame["median_days"],
                    t("flows.col_satisfaction_pct"): frame["satisfaction_pct"],
                    t("flows.col_evaluated"): frame["evaluated"],
                    t("flows.col_transferred_out"): frame["transferred_out"],
                })
                return out

            config = {t("flows.col_on_time_pct"): st.column_config.NumberColumn(format="%.1f%%"),
                      t("flows.col_satisfaction_pct"): st.column_config.NumberColumn(format="%.1f%%"),
                      t("flows.col_median_days"): st.column_config.NumberColumn(format="%.1f"),
                      t("flows.col_overdue"): st.column_config.NumberColumn(help=t("flows.col_overdue_help"))}
            ranked = table[table["ranked"]]
            small = table[~table["ranked"]]
            st.markdown(f"**{t('flows.ranked_title')}**")
            if ranked.empty:
                ui.empty("flows.none_ranked", n=flows.MIN_ITEMS_TO_RANK)
            else:
                shown = show(ranked, True)

                def paint(row):
                    return ["color: #C8102E; font-weight: 600" if (c == t("flows.col_overdue") and row[c]) else ""
                            for c in row.index]

                st.dataframe(shown.style.apply(paint, axis=1), hide_index=True, width="stretch", column_config=config)
            if not small.empty:
                st.markdown(f"**{t('flows.unranked_title', n=flows.MIN_ITEMS_TO_RANK)}**")
                st.dataframe(show(small, False), hide_index=True, width="stretch", column_config=config)
            export = show(table, True)
            ui.downloads(export, f"feedback_departments_{today.isoformat()}", key="fl_dept_download",
                         sheet=t("flows.tab_departments"))

# --- monthly trends ---------------------------------------------------------------------------------------------------
with tab_trends:
    if tab_trends.open:
        trend = flows.monthly_trends(store, actor, **filters)
        if trend.empty:
            ui.empty("flows.no_items")
        else:
            trend["measure_label"] = trend["measure"].map(lambda m: t(f"flows.trend_{m}"))
            ui.chart(charts.line(trend, "month", "items", colour="measure_label", title=t("flows.trends_title"),
                                 colours=charts.label_colours(charts.TREND_COLOURS, lambda m: t(f"flows.trend_{m}")),
                                 labels={"month": t("common.month"), "items": t("flows.items_unit"),
                                         "measure_label": ""}), key="fl_trends")
            wide = trend.pivot_table(index="month", columns="measure", values="items", aggfunc="sum").reset_index()
            wide = wide[["month", *[m for m in flows.TREND_MEASURES if m in wide.columns]]]
            wide.columns = [t("common.month"), *[t(f"flows.trend_{m}") for m in wide.columns[1:]]]
            st.dataframe(wide, hide_index=True, width="stretch")
            ui.downloads(wide, f"feedback_trends_{today.isoformat()}", key="fl_trend_download",
                         sheet=t("flows.tab_trends"))
