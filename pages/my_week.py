"""My week: a secondee logs the week's work under their roles, submits it, and sees how it was reviewed."""
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from secondment import activities, clock, permissions, practices, ui, vocab

actor = ui.page_gate("my_week")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


today = clock.today()

st.title(ui.tm("nav.my_week"))

# --- whose week -----------------------------------------------------------------------------------
if permissions.ownership(actor, "activity.write") == "participant":   # their own week
    participant_id = actor.participant_id
    if participant_id is None:
        ui.empty("week.no_participant")
        st.stop()
else:  # an administrator may log for anyone
    people = activities.participants(store, actor)
    if not people:
        ui.empty("week.no_people")
        st.stop()
    active = [p for p in people if p["status"] == "active"] + [p for p in people if p["status"] != "active"]
    chosen = st.selectbox(t("week.for_participant"), active, key="mw_participant",
                          format_func=lambda p: f"{p['name']} · {p['batch']} · {L('participant_status', p['status'])}", placeholder=ui.t("common.choose"))
    participant_id = chosen["id"]

person = ui.attempt(activities.participant, store, actor, participant_id)
if person is None:
    st.stop()
direction = person["direction"]
roles = list(vocab.ROLES_BY_DIRECTION[direction])
st.caption(ui.tm("week.stint_caption", batch=person["batch"], direction=L("direction_short", direction),
             host=person["host_unit"] or "—", start=person["start_date"], end=person["end_date"]))

weeks = activities.allowed_weeks(person, today)
if not weeks:
    ui.empty("week.no_weeks", start=person["start_date"], end=person["end_date"])
    st.stop()
this_week = activities.week_of(today)


def day_label(day: date) -> str:
    """A day of the week as people say it: 周三 11-25 / Wed 11-25."""
    return t("week.day_label", weekday=t(f"week.weekday_{day.weekday()}"), date=day.strftime("%m-%d"))


def week_label(week: str) -> str:
    text = activities.week_label(week, lang)
    return f"{text} · {t('week.this_week')}" if week == this_week else text


if st.session_state.get("mw_week") not in weeks:
    st.session_state["mw_week"] = weeks[0]
# A link (a to-do line, a notification) names the week to open: taken once, then the select box is the person's.
linked = st.query_params.get("week")
if linked in weeks and st.session_state.get("_mw_linked") != linked:
    st.session_state["mw_week"] = linked
st.session_state["_mw_linked"] = linked
week = st.selectbox(t("week.pick"), weeks, key="mw_week", format_func=week_label, placeholder=ui.t("common.choose"))
mon = activities.monday(week)
sun = mon + timedelta(days=6)
first_day = max(mon, date.fromisoformat(person["start_date"][:10]))
last_day = min(sun, today, date.fromisoformat(person["end_date"][:10]))
days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]

state = activities.week_state(store, actor, participant_id, week)
ui.status_badge(st, "week_state", state["state"])
if state["state"] == "returned":
    st.error(ui.tm("week.returned_banner", comment=state["comment"] or "—"), icon=":material/rate_review:")
elif state["state"] == "submitted":
    st.info(ui.tm("week.submitted_banner", at=clock.local_time(state["submitted_at"])),
            icon=":material/schedule_send:")
elif state["state"] == "approved":
    st.success(ui.tm("week.approved_banner") + (f" {t('week.comment_was', comment=state['comment'])}"
                                            if state["comment"] else ""), icon=":material/verified:")

ui.show_flash()


# --- quick add ------------------------------------------------------------------------------------
def role_text(code: str) -> str:
    return L("role", code)


# The form keeps what was typed when an entry is refused (so nothing is lost) and is emptied after a
# saved entry; a role or date left over from another person or week is dropped.
FORM_DEFAULTS = {"mw_title": "", "mw_description": "", "mw_outcome": "", "mw_hours": 2.0}
if st.session_state.pop("mw_clear", False):
    st.session_state.update(FORM_DEFAULTS)
if st.session_state.get("mw_role") not in roles:
    st.session_state.pop("mw_role", None)
if not (first_day <= (st.session_state.get("mw_date") or first_day) <= last_day):
    st.session_state["mw_date"] = last_day
st.session_state.setdefault("mw_date", last_day)
st.session_state.setdefault("mw_hours", 2.0)

if state["editable"]:
    st.subheader(ui.tm("week.add_title"))
    with st.form("mw_add", clear_on_submit=False):
        role = st.radio(t("week.role_cadre") if direction == vocab.CADRE else t("week.role_talent"),
                        roles, format_func=role_text, horizontal=True, key="mw_role")
        # One tap on the day (not a calendar pop-up): the week's days up to today, inside the stint.
        day = st.pills(t("field.date"), days, format_func=day_label, key="mw_date")
        example = "week.title_placeholder" if direction == vocab.CADRE else "week.title_placeholder_talent"
        title = st.text_input(t("field.title"), max_chars=120, placeholder=t(example), key="mw_title")
        description = st.text_area(t("field.description"), max_chars=4000, height=100, key="mw_description",
                                   placeholder=t("week.description_placeholder"))
        hours = st.number_input(t("field.hours"), min_value=0.5, max_value=24.0, step=0.5, format="%.1f",
                                key="mw_hours")
        outcome = st.text_input(t("field.outcome"), max_chars=1000, key="mw_outcome",
                                placeholder=t("week.outcome_placeholder"))
        added = st.form_submit_button(t("week.add"), type="primary", icon=":material/add:", width="stretch")
    if added and ui.attempt(activities.add_entry, store, actor, participant_id, date=day, role=role, title=title,
                            description=description, hours=hours, outcome=outcome, week=week):
        ui.flash(ui.tm("week.added"))
        st.session_state["mw_clear"] = True
        st.rerun()


# --- dialogs --------------------------------------------------------------------------------------
@st.dialog(ui.tm("week.edit_title"))
def edit_dialog(entry: dict) -> None:
    with st.form(f"mw_edit_{entry['id']}"):
        role = st.radio(t("field.role"), roles, index=roles.index(entry["role"]) if entry["role"] in roles else 0,
                        format_func=role_text, horizontal=True)
        day = st.pills(t("field.date"), days, format_func=day_label, key=f"mw_edit_day_{entry['id']}",
                       default=min(max(date.fromisoformat(entry["date"]), first_day), last_day))
        title = st.text_input(t("field.title"), value=entry["title"], max_chars=120)
        description = st.text_area(t("field.description"), value=entry["description"] or "", max_chars=4000)
        hours = st.number_input(t("field.hours"), min_value=0.5, max_value=24.0, value=float(entry["hours"]),
                                step=0.5, format="%.1f")
        outcome = st.text_input(t("field.outcome"), value=entry["outcome"] or "", max_chars=1000)
        saved = st.form_submit_button(t("common.save"), type="primary", icon=":material/save:")
    if saved:
        done = ui.attempt(activities.update_entry, store, actor, entry["id"], week=week, date=day, role=role,
                          title=title, description=description, hours=hours, outcome=outcome)
        if done:
            ui.flash(ui.tm("week.updated"))
            st.rerun()


@st.dialog(ui.tm("week.delete_title"))
def delete_dialog(entry: dict) -> None:
    st.write(ui.tm("week.delete_confirm", title=entry["title"], date=entry["date"]))
    if ui.confirm_buttons(t("common.delete"), key="mw_delete_yes", icon=":material/delete:") and ui.attempt(
            activities.delete_entry, store, actor, entry["id"]):
        ui.flash(ui.tm("week.deleted"))
        st.rerun()


@st.dialog(ui.tm("practice.propose_title"))
def propose_dialog(entry: dict) -> None:
    st.caption(ui.tm("practice.propose_help"))
    with st.form(f"mw_propose_{entry['id']}"):
        title = st.text_input(t("field.title"), value=entry["title"], max_chars=120)
        summary = st.text_area(t("practice.summary"), value="\n".join(
            v for v in (entry["description"], entry["outcome"]) if v), max_chars=4000, height=160)
        sent = st.form_submit_button(t("practice.propose"), type="primary", icon=":material/lightbulb:")
    if sent and ui.attempt(practices.propose, store, actor, activity_id=entry["id"], title=title, summary=summary):
        ui.flash(ui.tm("practice.proposed"))
        st.rerun()


def _forget_submit() -> None:
    st.session_state.pop("mw_confirm_submit", None)


@st.dialog(ui.tm("week.submit_title"), on_dismiss=_forget_submit)
def submit_dialog(label: str) -> None:
    """Submitting locks the week until it is reviewed: say so, with what is being sent, before it happens.
    The dialog stays asked for (``mw_confirm_submit``) until it is confirmed, cancelled or closed."""
    st.write(ui.tm("week.submit_confirm", week=activities.week_label(week, lang), n=state["entries"],
                   hours=f"{state['hours']:g}"))
    if ui.confirm_buttons(label, key="mw_submit_yes", icon=":material/send:", on_cancel=_forget_submit) and \
            ui.attempt(activities.submit_week, store, actor, participant_id, week):
        _forget_submit()
        # The message replaces "saved, add the next one" (which would contradict the lock) and agrees with the
        # state banner above.
        ui.flash(ui.tm("week.submitted_done"))
        st.rerun()


# --- the week's entries ---------------------------------------------------------------------------
st.subheader(ui.tm("week.entries_title", n=state["entries"], hours=f"{state['hours']:g}"))
entries = activities.week_entries(store, actor, participant_id, week)
proposed = practices.proposed_activity_ids(store, actor, participant_id) if direction == vocab.CADRE else set()
can_propose = permissions.can(actor, "practice.propose", {"participant_id": participant_id})
if not entries:
    ui.empty("week.no_entries")
for entry in entries:
    with st.container(border=True):
        st.markdown(f"**{ui.md(entry['title'])}**")
        hours_text = t("week.hours_short", hours=f"{entry['hours']:g}")
        st.caption(ui.md(f"{entry['date']} · {role_text(entry['role'])} · {hours_text}"))
        if entry["description"]:
            st.markdown(ui.md(entry["description"]))
        if entry["outcome"]:
            st.markdown(t("common.labelled", label=f"*{ui.md(t('field.outcome'))}*", value=ui.md(entry["outcome"])))
        buttons = st.container(horizontal=True)
        if state["editable"]:
            if buttons.button(t("common.edit"), key=f"mw_e_{entry['id']}", icon=":material/edit:"):
                edit_dialog(entry)
            if buttons.button(t("common.delete"), key=f"mw_d_{entry['id']}", icon=":material/delete:"):
                delete_dialog(entry)
        if entry["role"] == "counsellor" and can_propose:
            if entry["id"] in proposed:
                buttons.caption(ui.tm("practice.already_proposed"))
            elif buttons.button(t("practice.propose"), key=f"mw_p_{entry['id']}", icon=":material/lightbulb:"):
                propose_dialog(entry)

# --- submit ---------------------------------------------------------------------------------------
if state["editable"]:
    if entries:
        label = t("week.resubmit") if state["state"] == "returned" else t("week.submit")
        if st.button(label, type="primary", icon=":material/send:", key="mw_submit", width="stretch"):
            st.session_state["mw_confirm_submit"] = (participant_id, week)
        if st.session_state.get("mw_confirm_submit") == (participant_id, week):
            submit_dialog(label)
        st.caption(ui.tm("week.submit_help"))
    else:
        st.caption(ui.tm("week.submit_needs_entry"))

# --- recent weeks ---------------------------------------------------------------------------------
st.subheader(ui.tm("week.recent_title"))
recent = activities.my_weeks(store, actor, participant_id, count=12, today=today)
# The state and the reviewer's comment right after the week: on a phone the columns past the third are off
# the screen, and the comment is what a returned week's owner must read.
frame = pd.DataFrame([{
    t("field.week"): r["week"],
    t("field.week_state"): (f"⚠ {L('week_state', r['state'])}"
                            if r["week"] < this_week and r["state"] in ("not_submitted", "returned")
                            else L("week_state", r["state"])),
    t("field.comment"): r["comment"] or "",
    t("week.col_entries"): r["entries"],
    t("field.hours"): r["hours"],
} for r in recent])
overdue_rows = [i for i, r in enumerate(recent)
                if r["week"] < this_week and r["state"] in ("not_submitted", "returned")]


def open_week() -> None:
    """A row picked in the table opens that week (runs before the next run, so the picker can follow)."""
    picked = ui.picked_row(st.session_state["mw_recent"], recent)
    if picked is not None:
        st.session_state["mw_week"] = picked["week"]


st.caption(ui.tm("week.recent_help"))
if overdue_rows:
    st.warning(ui.tm("week.overdue_count", n=len(overdue_rows)), icon=":material/schedule:")
shown = frame.style.apply(
    lambda row: ["background-color: #fde2e4; color: #8a1c1c" if row.name in overdue_rows else "" for _ in row],
    axis=1).format({t("field.hours"): "{:g}"}) if overdue_rows else frame
st.dataframe(shown, hide_index=True, width="stretch", height=35 * (len(frame) + 1) + 3, key="mw_recent",
             on_select=open_week, selection_mode="single-row")
