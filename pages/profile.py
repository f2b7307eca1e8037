"""Participant profile: stint, units and post; weekly logging timeline; role balance; feedback; practices.

The participant comes from ``?id=``; reviewers, viewers and admins may pick anyone, a secondee always gets
their own, and any other id is refused by the service before anything about that person is read."""
import pandas as pd
import streamlit as st

from secondment import charts, clock, permissions, roster, stint, ui, vocab
from secondment.errors import SecondmentError

actor = ui.page_gate("profile")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


own_only = permissions.scope(actor, "participant.read") is not None
wanted, raw_id = ui.asked_id()
if own_only:
    if actor.participant_id is None:
        st.title(ui.tm("nav.profile"))
        ui.empty("roster.no_record")
        st.stop()
    participant_id = wanted if wanted is not None else actor.participant_id
else:
    people = roster.choices(store, actor)
    if not people:
        st.title(ui.tm("nav.profile"))
        ui.empty("profile.none_visible")
        st.stop()
    participant_id = ui.pick_participant(people, wanted, raw_id, page_key="profile", key="pf_pick")

try:
    data = roster.profile(store, actor, participant_id)
except SecondmentError as error:   # e.g. a secondee's link to someone else: refused, nothing shown
    st.title(ui.tm("nav.profile"))
    ui.show_error(error)
    if own_only and participant_id != actor.participant_id:
        ui.page_link(st, "profile", t("profile.own"), ":material/badge:", {"id": str(actor.participant_id)})
    st.stop()

person, metrics = data["participant"], data["metrics"]
cadre = person["direction"] == vocab.CADRE

st.title(ui.md(person["name"]))
head = st.container(horizontal=True, vertical_alignment="center")
ui.status_badge(head, "participant_status", person["status"])
head.badge(ui.md(person["batch"]), color="violet")
ui.status_badge(head, "direction_short", person["direction"])
if permissions.can(actor, "participant.edit"):
    ui.page_link(head, "roster", t("profile.edit_in_roster"), ":material/edit:")
st.markdown(ui.tm("profile.stint_line", batch=person["batch"], direction=L("direction", person["direction"]),
              home=person["home_unit"], host=person["host_unit"]))
st.caption(ui.tm("profile.post_line", post=person["post"] or "—", start=person["start_date"], end=person["end_date"],
             status=L("participant_status", person["status"])))
bits = [x for x in (L("gender", person["gender"]) if person["gender"] else None,
                    L("political_status", person["political_status"]) if person["political_status"] else None,
                    person["contact"]) if x]
if bits:
    st.caption(ui.md(" · ".join(bits)))
if person["notes"]:
    with st.expander(t("field.notes")):
        st.text(person["notes"])

m = [ui.metric_row()] * 6
m[0].metric(t("profile.entries"), metrics["entries"], border=True)
m[1].metric(t("profile.hours"), f"{metrics['hours']:g}", border=True)
m[2].metric(t("profile.weeks_logged"), f"{metrics['weeks_logged']} / {metrics['weeks_due']}", border=True,
            help=t("profile.weeks_logged_help", due=metrics["weeks_due"]))
m[3].metric(t("profile.weeks_approved"), metrics["weeks_approved"], border=True)
m[4].metric(t("profile.feedback"), metrics["feedback"], border=True,
            delta=t("profile.feedback_open", open=metrics["feedback_open"]) if metrics["feedback_open"] else None,
            delta_color="off", delta_arrow="off")
# Six metrics share the row: the pill stays short ("推广 1 项") and the help says it in full.
m[5].metric(t("profile.practices"), metrics["practices"], border=True,
            delta=t("profile.practices_promoted_short", promoted=metrics["practices_promoted"])
            if metrics["practices_promoted"] else None, delta_color="off", delta_arrow="off",
            help=t("profile.practices_promoted", promoted=metrics["practices_promoted"])
            if metrics["practices_promoted"] else None)

# --- the whole stint: agreement to return ----------------------------------------------------------------------
if permissions.can(actor, "stint.read", {"participant_id": participant_id}):
    whole = stint.summary(store, actor, participant_id)
    progress = whole["progress"]
    head = st.container(horizontal=True, vertical_alignment="center")
    head.subheader(ui.tm("profile.stint_title"), anchor=False)
    ui.page_link(head, "stint", t("profile.open_stint"), ":material/assignment:", {"id": str(participant_id)})
    steps = st.columns(4)
    agreement = progress["in_force"] or progress["agreement"]
    with steps[0].container(border=True):
        st.caption(t("stint.m_agreement"))
        if agreement:
            ui.status_badge(st, "agreement_status", agreement["status"])
            st.markdown(ui.tm("profile.stint_agreement", n=agreement["version"],
                              done=progress["counts"]["done"], total=len(progress["objectives"])))
        else:
            st.markdown(t("stint.none"))
    with steps[1].container(border=True):
        decl = whole["declarations"]
        st.caption(t("stint.tab_declarations"))
        st.markdown(ui.tm("profile.stint_declarations", n=sum(1 for d in decl["kinds"] if d["row"]),
                          total=len(decl["kinds"])))
        st.caption(ui.tm("profile.stint_checkins", done=whole["checkins_done"], due=whole["checkins_due"],
                         visits=len(whole["visits"]), leave=whole["leave_days"]))
    with steps[2].container(border=True):
        st.caption(t("stint.m_assessment"))
        ui.status_badge(st, "assessment_stage", whole["assessment"]["stage"])
        if whole["assessment"].get("conclusion"):
            ui.status_badge(st, "conclusion", whole["assessment"]["conclusion"])
    with steps[3].container(border=True):
        st.caption(t("stint.tab_return"))
        back = whole["return"]
        st.markdown(ui.tm("profile.stint_return", day=back["return_date"], outcome=L("return_outcome", back["outcome"]))
                    if back else t("stint.not_yet"))
    if progress["objectives"]:
        with st.expander(t("profile.stint_objectives", n=len(progress["objectives"]))):
            st.dataframe(pd.DataFrame([{
                t("field.role"): L("role", o["role"]), t("field.objective"): o["text"], t("field.target"): o["target"],
                t("field.due_date"): o["due_date"], t("field.objective_status"): L("objective_status", o["shown_status"]),
                t("lifecycle.col_linked"): o["linked"]} for o in progress["objectives"]]), hide_index=True)

# --- weekly logging timeline ----------------------------------------------------------------------------------
st.subheader(ui.tm("profile.timeline"))
weeks = pd.DataFrame(data["weeks"])
if weeks.empty:
    ui.empty("profile.timeline_empty")
else:
    state_of = {"not_submitted": "logged"}
    weeks["cell"] = weeks["state"].map(lambda s: state_of.get(s, s))
    states = ["approved", "submitted", "returned", "logged", "missing"]
    names = {"approved": L("week_state", "approved"), "submitted": L("week_state", "submitted"),
             "returned": L("week_state", "returned"), "logged": t("profile.week_logged"),
             "missing": t("profile.week_missing")}
    fig = charts.weekly_log(weeks, "monday", "entries", "cell", states=states, colours=charts.WEEK_CELL_COLOURS,
                            state_labels=names, labels={"monday": t("common.week"), "entries": t("profile.entries")})
    ui.chart(fig, key="pf_timeline")

# --- role balance --------------------------------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    st.subheader(ui.tm("profile.balance" if cadre else "profile.balance_talent"))
    roles = pd.DataFrame(data["roles"])
    if roles.empty or roles["entries"].sum() == 0:
        ui.empty("profile.balance_empty")
    else:
        measure_names = {"entries": t("profile.entries"), "hours": t("common.hours")}
        c = st.columns(2)
        shape = c[0].segmented_control(t("profile.balance"), ["bar", "polar"], default="bar", key="pf_shape",
                                       label_visibility="collapsed",
                                       format_func=lambda s: t(f"profile.balance_{s}"))
        measure = c[1].segmented_control(t("profile.balance_measure"), list(measure_names), default="entries",
                                         key="pf_measure", label_visibility="collapsed",
                                         format_func=measure_names.get) or "entries"
        roles["role_label"] = roles["role"].map(lambda r: L("role", r))
        if shape == "polar":
            fig = charts.polar(roles, "role_label", measure, colour=charts.DIRECTION_COLOURS[person["direction"]])
        else:
            fig = charts.bar(roles, "role_label", measure, colour="role_label", horizontal=True,
                             colours=charts.label_colours(charts.ROLE_COLOURS, lambda r: L("role", r)),
                             labels={"role_label": "", measure: measure_names[measure]}, height=300)
            fig.update_layout(showlegend=False)
        ui.chart(fig, key="pf_balance")

# --- practices -----------------------------------------------------------------------------------------------
with right:
    st.subheader(ui.tm("profile.practices_title"))
    if not data["practices"]:
        ui.empty("profile.practices_empty")
    for item in data["practices"]:
        with st.container(border=True):
            row = st.container(horizontal=True, vertical_alignment="center")
            row.markdown(f"**{ui.md(item['title'])}**")
            ui.status_badge(row, "practice_status", item["status"])
            if item["enterprise"]:
                st.caption(ui.md(item["enterprise"]))
            if item["summary"]:
                st.markdown(ui.md(item["summary"]))

# --- feedback ------------------------------------------------------------------------------------------------
st.subheader(ui.tm("profile.feedback_title"))
if not data["feedback"]:
    ui.empty("profile.feedback_empty")
else:
    frame = pd.DataFrame({
        t("profile.created_at"): [clock.local_time(f["created_at"], "%Y-%m-%d") for f in data["feedback"]],
        t("field.category"): [L("feedback_category", f["category"]) for f in data["feedback"]],
        t("field.summary"): [f["summary"] for f in data["feedback"]],
        t("field.urgency"): [L("urgency", f["urgency"]) for f in data["feedback"]],
        t("field.department"): [f["department"] or "" for f in data["feedback"]],
        t("field.status"): [L("feedback_status", f["status"]) for f in data["feedback"]],
        t("profile.due_date"): [f["due_date"] or "" for f in data["feedback"]],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="pf_feedback")
