"""The lifecycle board (全程管理): where each person of a batch stands from agreement to return, with what is late;
progress against the agreements; the month's attendance; what waits for a decision; outcomes across every batch."""

import pandas as pd
import streamlit as st

from secondment import agreements, charts, clock, leave, permissions, roster, stint, ui, vocab

actor = ui.page_gate("lifecycle")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)

st.title(ui.tm("nav.lifecycle"))
st.caption(ui.tm("lifecycle.intro"))
ui.show_flash()

batches = roster.list_batches(store, actor)
if not batches:
    ui.empty("lifecycle.no_batches")
    st.stop()
today = clock.today()
newest = sorted(batches, key=lambda b: (b["start_date"], b["code"]), reverse=True)
codes = [b["code"] for b in newest]
by_code = {b["code"]: b for b in batches}
if st.session_state.get("lc_batch") not in codes:
    st.session_state["lc_batch"] = next((b["code"] for b in newest if b["status"] == "active"), codes[0])
batch = st.selectbox(
    t("field.batch"),
    codes,
    key="lc_batch",
    format_func=lambda c: (
        f"{c} · {L('direction_short', by_code[c]['direction'])} · "
        f"{by_code[c]['start_date'][:4]}–{by_code[c]['end_date'][:4]}"
    ),
    placeholder=t("common.choose"),
)

TABS = ("board", "progress", "attendance", "waiting", "outcomes")
WAITING_SHOWN = 30   # each waiting list shows its oldest this many (a national programme has hundreds)


def agreement_cell(row: dict) -> str:
    """ "已确认 v1", or "已确认 v1 · v2 修订中" while an amendment waits, or "草稿 v1", or "未建立"."""
    if row["agreement"] == "none":
        return t("stint.none")
    if row["agreed_version"]:
        text = f"{L('agreement_status', 'agreed')} v{row['agreed_version']}"
        if row["version"] != row["agreed_version"]:
            text += " · " + t("lifecycle.amending", n=row["version"])
        return text
    return f"{L('agreement_status', row['agreement'])} v{row['version']}"


tabs = dict(zip(TABS, st.tabs([t(f"lifecycle.tab_{k}") for k in TABS], key="lc_tabs", on_change="rerun")))

with tabs["board"]:
    if tabs["board"].open:
        rows = stint.board(store, actor, batch)
        if not rows:
            ui.empty("lifecycle.empty_batch")
        else:
            totals = stint.board_totals(rows)
            m = ui.metric_row()
            m.metric(t("lifecycle.m_people"), totals["people"], border=True)
            m.metric(t("lifecycle.m_agreed"), f"{totals['agreed']} / {totals['people']}", border=True)
            m.metric(t("lifecycle.m_late"), totals["late_people"], border=True)
            m.metric(t("lifecycle.m_concluded"), f"{totals['concluded']} / {totals['people']}", border=True)
            m.metric(t("lifecycle.m_returned"), f"{totals['returned']} / {totals['people']}", border=True)
            late_steps = [s for s in stint.LATE_STEPS if totals["late"][s]]
            if late_steps:
                late = pd.DataFrame(
                    {
                        "step": [t(f"lifecycle.late_{s}") for s in late_steps],
                        "n": [totals["late"][s] for s in late_steps],
                    }
                )
                fig = charts.bar(
                    late,
                    "step",
                    "n",
                    horizontal=True,
                    title=t("lifecycle.late_chart"),
                    labels={"step": "", "n": t("lifecycle.people")},
                    height=80 + 40 * len(late_steps),
                )
                charts.whole_numbers(fig, "x", int(late["n"].max() or 1))   # people, not fractions of them
                ui.chart(fig, key="lc_late_chart")
            frame = pd.DataFrame(
                [
                    {
                        "id": r["participant_id"],
                        t("field.name"): r["name"],
                        t("field.status"): L("participant_status", r["status"]),
                        t("lifecycle.col_agreement"): agreement_cell(r),
                        t("lifecycle.col_declarations"): f"{r['declarations']} / {len(vocab.DECLARATIONS)}",
                        t("lifecycle.col_checkins"): f"{r['checkins']} / {r['checkins_due']}",
                        t("lifecycle.col_visits"): r["visits"],
                        t("lifecycle.col_last_visit"): r["last_visit"] or "—",
                        t("lifecycle.col_leave"): r["leave_days"],
                        t("lifecycle.col_assessment"): L("assessment_stage", r["assessment"]),
                        t("lifecycle.col_conclusion"): L("conclusion", r["conclusion"]) if r["conclusion"] else "—",
                        t("lifecycle.col_return"): L("return_outcome", r["outcome"]) if r["outcome"] else "—",
                        t("lifecycle.col_late"): ("、" if lang == "zh" else ", ").join(
                            t(f"lifecycle.late_{s}") for s in r["late"]
                        )
                        or "—",
                    }
                    for r in rows
                ]
            )
            event = st.dataframe(
                frame,
                hide_index=True,
                column_config={"id": None},
                on_select="rerun",
                selection_mode="single-row",
                key="lc_board",
            )
            st.caption(ui.tm("lifecycle.board_help"))
            picked = ui.picked_row(event, rows)
            if picked:
                ui.page_link(
                    st,
                    "stint",
                    t("lifecycle.open_stint", name=picked["name"]),
                    ":material/assignment:",
                    {"id": str(picked["participant_id"])},
                )
            ui.downloads(frame.drop(columns=["id"]), f"lifecycle_{batch}", key="lc_board_dl")

with tabs["progress"]:
    if tabs["progress"].open:
        rows = agreements.batch_progress(store, actor, batch)
        if not rows or not any(r["objectives"] for r in rows):
            ui.empty("lifecycle.no_objectives")
        else:
            all_counts = {s: sum(r[s] for r in rows) for s in vocab.OBJECTIVE_STATUSES}
            m = ui.metric_row()
            for s in vocab.OBJECTIVE_STATUSES:
                m.metric(L("objective_status", s), all_counts[s], border=True)
            roles = [r for r in vocab.ROLES_BY_DIRECTION[by_code[batch]["direction"]]]
            long = pd.DataFrame(
                [
                    {
                        "role": L("role", role),
                        "status": L("objective_status", s),
                        "n": sum(r["by_role"].get(role, {}).get(s, 0) for r in rows),
                    }
                    for role in roles
                    for s in vocab.OBJECTIVE_STATUSES
                ]
            )
            fig = charts.bar(
                long,
                "role",
                "n",
                colour="status",
                horizontal=True,
                title=t("lifecycle.progress_chart"),
                colours={L("objective_status", s): charts.OBJECTIVE_COLOURS[s] for s in vocab.OBJECTIVE_STATUSES},
                labels={"role": "", "n": t("lifecycle.objectives"), "status": ""},
            )
            charts.whole_numbers(fig, "x", int(long.groupby("role")["n"].sum().max() or 1))
            ui.chart(fig, key="lc_progress_chart")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("field.name"): r["name"],
                            t("lifecycle.col_agreement"): L("agreement_status", r["agreement_status"])
                            if r["agreement_status"]
                            else t("stint.none"),
                            t("lifecycle.col_objectives"): r["objectives"],
                            **{L("objective_status", s): r[s] for s in vocab.OBJECTIVE_STATUSES},
                            t("lifecycle.col_linked"): r["linked"],
                        }
                        for r in rows
                    ]
                ),
                hide_index=True,
            )

with tabs["attendance"]:
    if tabs["attendance"].open:
        info = by_code[batch]
        first, last = info["start_date"][:7], min(info["end_date"][:7], today.strftime("%Y-%m"))
        months = [
            m
            for m in reversed(stint.months_of({"start_date": info["start_date"], "end_date": info["end_date"]}, today))
        ] or [first]
        if last not in months and last >= first:
            months.insert(0, last)
        month = st.selectbox(t("field.month"), months, key=f"lc_month_{batch}", placeholder=t("common.choose"))
        rows = leave.attendance(store, actor, month=month, batch=batch)
        if not rows:
            ui.empty("lifecycle.no_attendance")
        else:
            totals = leave.attendance_totals(rows)
            frame = pd.DataFrame(
                [
                    {
                        t("field.name"): r["name"],
                        t("stint.working_days"): r["working_days"],
                        **{L("leave_kind", k): r[f"leave_{k}"] for k in vocab.LEAVE_KINDS},
                        t("stint.leave_days"): r["leave_days"],
                        t("stint.present_days"): r["present_days"],
                        t("stint.weeks_logged"): r["weeks_logged"],
                    }
                    for r in rows
                ]
            )
            total_row = {
                t("field.name"): t("lifecycle.total", n=totals["people"]),
                t("stint.working_days"): totals["working_days"],
                **{L("leave_kind", k): totals[f"leave_{k}"] for k in vocab.LEAVE_KINDS},
                t("stint.leave_days"): totals["leave_days"],
                t("stint.present_days"): totals["present_days"],
                t("stint.weeks_logged"): totals["weeks_logged"],
            }
            frame = pd.concat([frame, pd.DataFrame([total_row])], ignore_index=True)
            st.dataframe(frame, hide_index=True)
            ui.downloads(frame, f"attendance_{batch}_{month}", key="lc_att_dl")

with tabs["waiting"]:
    if tabs["waiting"].open:
        ui.show_flash(section="waiting")
        st.caption(ui.tm("lifecycle.waiting_all_batches"))
        shown = False
        if permissions.can(actor, "leave.decide"):
            pending = leave.list_leave(store, actor, status="pending", limit=WAITING_SHOWN)
            total = leave.pending_count(store, actor)
            st.markdown(ui.tm("lifecycle.pending_leave", n=total))
            if len(pending) < total:
                st.caption(ui.tm("common.shown_of", shown=len(pending), total=total))
            if pending:
                shown = True
                for r in pending:
                    c = st.columns([5, 2])
                    c[0].markdown(
                        ui.tm(
                            "lifecycle.leave_item",
                            name=r["name"],
                            batch=r["batch"],
                            kind=L("leave_kind", r["kind"]),
                            start=r["start_date"],
                            end=r["end_date"],
                            n=r["days"],
                            approver=L("leave_approver", r["approver"]),
                        )
                    )
                    ui.page_link(
                        c[1],
                        "stint",
                        t("lifecycle.decide"),
                        ":material/open_in_new:",
                        {"id": str(r["participant_id"]), "tab": "leave"},
                    )
        if permissions.can(actor, "checkin.review"):
            waiting = stint.submitted_checkins(store, actor, limit=WAITING_SHOWN)
            total = stint.submitted_checkins_count(store, actor)
            st.markdown(ui.tm("lifecycle.checkins_waiting", n=total))
            if len(waiting) < total:
                st.caption(ui.tm("common.shown_of", shown=len(waiting), total=total))
            for r in waiting:
                shown = True
                c = st.columns([5, 2])
                c[0].markdown(ui.tm("lifecycle.checkin_item", name=r["name"], batch=r["batch"], month=r["month"]))
                ui.page_link(
                    c[1],
                    "stint",
                    t("lifecycle.read"),
                    ":material/open_in_new:",
                    {"id": str(r["participant_id"]), "tab": "checkins"},
                )
        mine = stint.my_actions(store, actor)
        if permissions.can(actor, "visit.record"):
            st.markdown(ui.tm("lifecycle.my_actions", n=len(mine)))
            for a in mine:
                shown = True
                c = st.columns([5, 2])
                c[0].markdown(
                    ui.tm(
                        "lifecycle.action_item",
                        name=a["name"],
                        action=a["action"],
                        due=a["due_date"],
                        late=t("stint.action_overdue") if a["overdue"] else "",
                    )
                )
                ui.page_link(
                    c[1],
                    "stint",
                    t("lifecycle.read"),
                    ":material/open_in_new:",
                    {"id": str(a["participant_id"]), "tab": "visits"},
                )
        if not shown:
            ui.empty("lifecycle.nothing_waiting")

with tabs["outcomes"]:
    if tabs["outcomes"].open:
        rows = stint.outcomes(store, actor)
        if not any(r["returned"] or any(r[f"conclusion_{c}"] for c in vocab.CONCLUSIONS) for r in rows):
            ui.empty("lifecycle.no_outcomes")
        else:
            done_rows = ui.chart_rows([r for r in rows if r["returned"]], ui.CHART_BATCHES, key="lc_outcomes_page",
                                      texts="lifecycle")
            long = pd.DataFrame(
                [
                    {"batch": r["batch"], "outcome": L("return_outcome", o), "n": r[f"outcome_{o}"]}
                    for r in done_rows
                    for o in vocab.RETURN_OUTCOMES
                ]
            )
            fig = charts.bar(
                long,
                "batch",
                "n",
                colour="outcome",
                title=t("lifecycle.outcomes_chart"),
                colours=charts.palette([L("return_outcome", o) for o in vocab.RETURN_OUTCOMES]),
                labels={"batch": "", "n": t("lifecycle.people"), "outcome": ""},
            )
            charts.whole_numbers(fig, "y", int(long.groupby("batch")["n"].sum().max() or 1))
            ui.chart(fig, key="lc_outcomes_chart")
        frame = pd.DataFrame(
            [
                {
                    t("field.batch"): r["batch"],
                    t("field.direction"): L("direction_short", r["direction"]),
                    t("lifecycle.col_people"): r["people"],
                    t("lifecycle.col_completed"): r["completed"],
                    **{L("conclusion", c): r[f"conclusion_{c}"] for c in vocab.CONCLUSIONS},
                    **{L("return_outcome", o): r[f"outcome_{o}"] for o in vocab.RETURN_OUTCOMES},
                    t("lifecycle.col_returned"): r["returned"],
                }
                for r in rows
            ]
        )
        st.dataframe(frame, hide_index=True)
        ui.downloads(frame, "outcomes", key="lc_outcomes_dl")
