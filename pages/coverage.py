"""Coverage: who is logging, who has gone quiet, who neglects a role, and how the roles develop over time."""
from datetime import date

import pandas as pd
import streamlit as st

from secondment import activities, charts, clock, coverage, ui, vocab

actor = ui.page_gate("coverage")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


today = clock.today()
this_week = activities.week_of(today)

st.title(ui.tm("nav.coverage"))

batch_rows = activities.batches(store, actor)
programme_start = min((date.fromisoformat(b["start_date"][:10]) for b in batch_rows), default=today)
all_weeks = activities.weeks_back_to(programme_start, today)  # the week pickers' choices, newest first


def week_range(c_from, c_to, back: int | None, key: str) -> tuple[str, str]:
    """From/to weeks picked by name; ``back`` weeks before this one by default (None = the programme's start)."""
    start = ui.week_select(c_from, t("review.week_from"), all_weeks,
                           all_weeks[-1] if back is None else activities.add_weeks(this_week, -back), f"{key}_from")
    end = ui.week_select(c_to, t("review.week_to"), all_weeks, this_week, f"{key}_to")
    return (start, end) if start <= end else (end, start)


# One set of filters for the whole page: every tab shows the same direction, batch and weeks.
c = st.columns([2, 1, 1.6, 1.6])
direction = c[0].segmented_control(t("field.direction"), list(vocab.DIRECTIONS), format_func=fmt("direction_short"),
                                   key="cv_direction")
batch_codes = [b["code"] for b in batch_rows if direction is None or b["direction"] == direction]
batch = ui.select_or_all(c[1], t("field.batch"), batch_codes, key="cv_batch")
week_from, week_to = week_range(c[2], c[3], 11, "cv_period")
directions = [direction] if direction else [d for d in vocab.DIRECTIONS
                                            if batch is None or any(b["code"] == batch and b["direction"] == d
                                                                    for b in batch_rows)]

# Only the open tab runs (on_change="rerun"), so the page costs one tab's queries, not five.
tabs = st.tabs([t("coverage.tab_map"), t("coverage.tab_quiet"), t("coverage.tab_balance"),
                t("coverage.tab_batches"), t("coverage.tab_trends")], key=f"cv_tab_{lang}", on_change="rerun")

role_label = lambda r: L("role", r)
MAP_ROWS = 60           # people in the heat map at a time (26 px a row: about a screen and a half)
state_labels = {s: t(f"coverage.state_{s}") for s in coverage.CELL_STATES}

# --- heat map -------------------------------------------------------------------------------------
with tabs[0]:
    if tabs[0].open:
        matrix = coverage.coverage_matrix(store, actor, week_from=week_from, week_to=week_to, batch=batch,
                                          direction=direction, today=today)
        if matrix.empty:
            ui.empty("coverage.no_active")
        else:
            # One row label per person; a namesake in the same batch gets the record number too.
            labels = {pid: f"{n} · {b}" for pid, n, b in zip(matrix["participant_id"], matrix["name"], matrix["batch"])}
            taken = pd.Series(list(labels.values())).value_counts()
            labels = {pid: (f"{lab} · #{pid}" if taken[lab] > 1 else lab) for pid, lab in labels.items()}
            matrix["person"] = matrix["participant_id"].map(labels)
            people = list(dict.fromkeys(matrix["person"]))
            summary = matrix[matrix["week"] == matrix["week"].max()]["state"].value_counts()
            st.caption(ui.tm("coverage.this_week_caption", week=matrix["week"].max()))
            shown = ("approved", "submitted", "returned", "logged", "leave", "pending", "missing")
            m = [ui.metric_row()] * len(shown)
            for i, s in enumerate(shown):
                m[i].metric(state_labels[s], int(summary.get(s, 0)), border=True)
            # A chart a person can read: at most MAP_ROWS people at a time, paged, and said so; the table has all.
            shown_people = ui.chart_rows(people, MAP_ROWS, key="cv_map_page", texts="coverage")
            cells = matrix[matrix["person"].isin(set(shown_people))]
            cells = cells.assign(hover=[t("coverage.cell_hover", name=n, week=w, state=state_labels[s], n=e,
                                          hours=f"{h:g}")
                                        for n, w, s, e, h in zip(cells["name"], cells["week"], cells["state"],
                                                                 cells["entries"], cells["hours"])])
            fig = charts.state_heatmap(cells, "week", "person", "state", states=list(coverage.CELL_STATES),
                                       colours=charts.WEEK_CELL_COLOURS, state_labels=state_labels, hover="hover",
                                       y_order=shown_people)
            ui.chart(fig, key="cv_heatmap")
            st.caption(ui.tm("coverage.map_help"))
            table = matrix.pivot(index="person", columns="week", values="state").reindex(people)
            table = table.map(lambda s: state_labels.get(s, ""))
            with st.expander(t("coverage.map_table")):
                st.dataframe(table, width="stretch")
                ui.downloads(table.reset_index().rename(columns={"person": t("field.participant")}),
                             f"coverage_{this_week}", key="cv_map_dl")

# --- quiet list -----------------------------------------------------------------------------------
with tabs[1]:
    if tabs[1].open:
        quiet = coverage.quiet_list(store, actor, batch=batch, direction=direction, today=today)
        if quiet.empty:
            ui.empty("coverage.no_active")
        else:
            m = [ui.metric_row()] * 3
            for i, n in enumerate(coverage.QUIET_SPANS):
                m[i].metric(t("coverage.quiet_n", n=n), int(quiet[f"quiet_{n}"].sum()), border=True)
            span = st.segmented_control(t("coverage.quiet_span"), list(coverage.QUIET_SPANS), default=1,
                                        format_func=lambda n: t("coverage.quiet_n", n=n), key="cv_span") or 1
            st.caption(ui.tm("coverage.quiet_help"))
            rows = quiet[quiet[f"quiet_{span}"]]
            if rows.empty:
                st.success(ui.tm("coverage.quiet_none", n=span), icon=":material/check_circle:")
            else:
                frame = pd.DataFrame({
                    t("field.participant"): rows["name"], t("field.batch"): rows["batch"],
                    t("field.direction"): rows["direction"].map(lambda d: L("direction_short", d)),
                    t("field.host_unit"): rows["host_unit"],
                    t("coverage.last_entry"): rows["last_date"].fillna(t("coverage.never")),
                    t("coverage.quiet_weeks"): rows["quiet_weeks"],
                })
                st.dataframe(frame, hide_index=True, width="stretch")
                ui.downloads(frame, f"quiet_{span}w_{this_week}", key="cv_quiet_dl")

# --- role balance ---------------------------------------------------------------------------------
def balance_section(bal_direction: str, measure: str) -> None:
    """One direction's role balance over the page's weeks: who neglects a role, and the totals."""
    balance = coverage.role_balance(store, actor, week_from=week_from, week_to=week_to, batch=batch,
                                    direction=bal_direction, today=today)
    if balance.empty:
        ui.empty("coverage.no_balance")
        return
    wide = coverage.balance_matrix(balance, measure)
    flags = coverage.flagged(balance)
    flag_map = {r.participant_id: r.roles for r in flags.itertuples(index=False)}
    role_cols = [r for r in vocab.ROLES_BY_DIRECTION[bal_direction] if r in wide.columns]
    shown = pd.DataFrame({t("field.participant"): wide["name"], t("field.batch"): wide["batch"]})
    for r in role_cols:
        shown[role_label(r)] = wide[r].fillna(0)
    shown[t("coverage.flag")] = [("⚠ " + t("common.list_sep").join(role_label(x) for x in flag_map[pid]))
                                 if pid in flag_map else "" for pid in wide["participant_id"]]
    flagged_cells = {(pid, r) for pid, roles_ in flag_map.items() for r in roles_}

    def paint(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for i, pid in enumerate(wide["participant_id"]):
            for r in role_cols:
                if (pid, r) in flagged_cells:
                    styles.iloc[i, frame.columns.get_loc(role_label(r))] = "background-color: #FDE2E1"
        return styles

    st.metric(t("coverage.flagged_people"), len(flag_map), border=True)
    st.dataframe(ui.painted(shown, lambda f: f.style.apply(paint, axis=None).format(precision=1)), hide_index=True,
                 width="stretch", key=f"cv_bal_table_{bal_direction}",
                 column_config={role_label(r): st.column_config.NumberColumn(format="%.1f") for r in role_cols})
    st.caption(ui.tm("coverage.balance_help", weeks=coverage.BALANCE_WEEKS))
    totals = balance.groupby("role", sort=False)[["entries", "hours"]].sum().reset_index()
    order = {r: i for i, r in enumerate(vocab.ROLES)}
    totals = totals.sort_values("role", key=lambda c: c.map(order))       # the programme's own order
    totals["role_label"] = totals["role"].map(role_label)
    ui.chart(charts.bar(totals, "role_label", measure, colour="role_label",
                        colours=charts.label_colours(charts.ROLE_COLOURS, role_label),
                        labels={"role_label": t("field.role"), measure: t(f"coverage.measure_{measure}")},
                        title=t("coverage.balance_totals")), key=f"cv_bal_chart_{bal_direction}")
    ui.downloads(shown, f"role_balance_{bal_direction}_{week_from}_{week_to}", key=f"cv_bal_dl_{bal_direction}")


with tabs[2]:
    if tabs[2].open:
        measure = st.segmented_control(t("coverage.measure"), ["entries", "hours"], default="entries",
                                       format_func=lambda m: t(f"coverage.measure_{m}"), key="cv_measure") or "entries"
        for bal_direction in directions:
            if len(directions) > 1:
                st.subheader(ui.tm(f"vocab.direction.{bal_direction}"))
            balance_section(bal_direction, measure)


# --- per batch ------------------------------------------------------------------------------------
def batch_section(b_direction: str) -> None:
    per_batch = coverage.batch_balance(store, actor, week_from=week_from, week_to=week_to, direction=b_direction,
                                       today=today)
    if batch:
        per_batch = per_batch[per_batch["batch"] == batch]
    if per_batch.empty:
        ui.empty("coverage.no_balance")
        return
    order = {r: i for i, r in enumerate(vocab.ROLES)}
    per_batch = per_batch.assign(role_label=per_batch["role"].map(role_label),
                                 _order=per_batch["role"].map(order)).sort_values(["batch", "_order"], kind="stable")
    left, right = st.columns(2)
    for col, measure_ in ((left, "entries"), (right, "hours")):
        with col:
            ui.chart(charts.bar(per_batch, "batch", measure_, colour="role_label",
                                colours=charts.label_colours(charts.ROLE_COLOURS, role_label),
                                labels={"batch": t("field.batch"), "role_label": t("field.role"),
                                        measure_: t(f"coverage.measure_{measure_}")},
                                title=t(f"coverage.batch_{measure_}"), text=False),
                     key=f"cv_b_{measure_}_{b_direction}")
    frame = pd.DataFrame({
        t("field.batch"): per_batch["batch"], t("field.role"): per_batch["role_label"],
        t("coverage.measure_entries"): per_batch["entries"], t("coverage.measure_hours"): per_batch["hours"],
        t("coverage.participants"): per_batch["participants"], t("coverage.flagged_col"): per_batch["flagged"],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key=f"cv_b_table_{b_direction}")
    ui.downloads(frame, f"batch_balance_{b_direction}_{week_from}_{week_to}", key=f"cv_b_dl_{b_direction}")


with tabs[3]:
    if tabs[3].open:
        for b_direction in directions:
            if len(directions) > 1:
                st.subheader(ui.tm(f"vocab.direction.{b_direction}"))
            batch_section(b_direction)

# --- over time ------------------------------------------------------------------------------------
with tabs[4]:
    if tabs[4].open:
        c = st.columns([2, 2])
        split = c[0].segmented_control(t("coverage.split"), ["role", "batch", "direction"], default="role",
                                       format_func=lambda s: t(f"coverage.split_{s}"), key="cv_split") or "role"
        t_measure = c[1].segmented_control(t("coverage.measure"), ["entries", "hours"], default="entries",
                                           format_func=lambda m: t(f"coverage.measure_{m}"),
                                           key="cv_t_measure") or "entries"
        t_from, t_to = week_from, week_to
        series = coverage.trend(store, actor, week_from=t_from, week_to=t_to, batch=batch, direction=direction,
                                split=split)
        if series.empty:
            ui.empty("coverage.no_trend")
        else:
            if split == "role":
                series["label"] = series["role"].map(role_label)
                colours = charts.label_colours(charts.ROLE_COLOURS, role_label)
            elif split == "direction":
                series["label"] = series["direction"].map(lambda d: L("direction_short", d))
                colours = charts.label_colours(charts.DIRECTION_COLOURS, lambda d: L("direction_short", d))
            else:
                series["label"] = series["batch"]
                colours = None
            order = {r: i for i, r in enumerate(vocab.ROLES + vocab.DIRECTIONS)}
            series = series.sort_values([split, "week"], key=lambda c: c.map(lambda v: order.get(v, v))
                                        if c.name == split and split != "batch" else c)
            fig = charts.bar(series, "week", t_measure, colour="label", colours=colours, text=False,
                             labels={"week": t("common.week"), "label": t(f"coverage.split_{split}"),
                                     t_measure: t(f"coverage.measure_{t_measure}")},
                             title=t("coverage.trend_title"), height=420)
            fig.update_xaxes(categoryorder="category ascending", type="category")
            ui.chart(fig, key="cv_trend")
            pivot = series.pivot_table(index="week", columns="label", values=t_measure, aggfunc="sum", fill_value=0)
            with st.expander(t("coverage.trend_table")):
                st.dataframe(pivot, width="stretch")
                ui.downloads(pivot.reset_index().rename(columns={"week": t("common.week")}),
                             f"trend_{split}_{t_measure}", key="cv_t_dl")
