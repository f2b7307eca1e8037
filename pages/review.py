"""Review: the submitted weeks waiting for a decision, and every entry with filters and full-text search."""

import pandas as pd
import streamlit as st

from secondment import activities, clock, permissions, ui, vocab
from secondment.errors import SecondmentError

actor = ui.page_gate("review")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


today = clock.today()
QUEUE_SHOWN = 30
EAGER_EXPORT = 5000

st.title(ui.tm("nav.review"))

ui.show_flash()

# --- filters --------------------------------------------------------------------------------------
batch_rows = activities.batches(store, actor)
with st.container(border=True):
    c = st.columns(4)
    direction = ui.select_or_all(c[0], t("field.direction"), vocab.DIRECTIONS, key="rv_direction",
                                 format="direction_short")
    batch_codes = [b["code"] for b in batch_rows if direction is None or b["direction"] == direction]
    batch = ui.select_or_all(c[1], t("field.batch"), batch_codes, key="rv_batch")
    people = activities.participants(store, actor, batch=batch, direction=direction)
    person = ui.select_or_all(c[2], t("field.participant"), people, key="rv_person",
                              format=lambda p: f"{p['name']} · {p['batch']}")
    role_options = list(vocab.ROLES_BY_DIRECTION[direction]) if direction else list(vocab.ROLES)
    roles = c[3].multiselect(t("field.role"), role_options, format_func=fmt("role"), key="rv_roles",
                             placeholder=t("common.all"))
    c = st.columns(4)
    # Weeks by name, newest first, back to the first batch.
    this_week = activities.week_of(today)
    all_weeks = activities.weeks_back_to(min((b["start_date"] for b in batch_rows), default=None), today)
    week_from = ui.week_select(c[0], t("review.week_from"), all_weeks, activities.add_weeks(this_week, -11),
                               "rv_from", allow_all=True)
    week_to = ui.week_select(c[1], t("review.week_to"), all_weeks, this_week, "rv_to", allow_all=True)
    states = c[2].multiselect(t("field.week_state"), list(vocab.WEEK_STATES), format_func=fmt("week_state"),
                              key="rv_states", placeholder=t("common.all"))
    text = c[3].text_input(t("common.search"), key="rv_text", placeholder=t("review.search_placeholder"))
participant_id = person["id"] if person else None

queue = activities.list_weeks(store, actor, state="submitted", participant_id=participant_id, batch=batch,
                              direction=direction)
# Only the open tab runs: approving from the queue does not also fetch 500 entries and the reviewed weeks.
tab_queue, tab_entries, tab_done = ui.lazy_tabs([t("review.tab_queue", n=len(queue)), t("review.tab_entries"),
                                                 t("review.tab_reviewed")], f"rv_tabs_{lang}")


def entries_frame(rows: list[dict]) -> pd.DataFrame:
    return activities.labelled(rows, lang)


def review_box(item: dict, where: str = "q") -> None:
    """A submitted week's entries with the comment box and the approve / return buttons."""
    key = f"{where}_{item['participant_id']}_{item['week']}"
    if item["comment"]:
        st.caption(ui.tm("review.previous_comment", comment=item["comment"]))
    rows = activities.week_entries(store, actor, item["participant_id"], item["week"])
    for entry in rows:
        hours = t("week.hours_short", hours=f"{entry['hours']:g}")
        st.markdown(f"**{ui.md(entry['title'])}** — " + ui.md(f"{L('role', entry['role'])} · {entry['date']} · {hours}"))
        if entry["description"]:
            st.caption(ui.md(entry["description"]))
        if entry["outcome"]:
            st.caption(ui.tm("common.labelled", label=t("field.outcome"), value=entry["outcome"]))
    st.text_area(t("field.comment"), key=f"rv_comment_{key}", placeholder=t("review.comment_placeholder"),
                 height=80)
    ui.show_flash(section=key)        # a return without a comment is said here, beside the buttons
    # Each decision runs as its button's callback (ui.act), so a click on a week another reviewer decided a
    # moment before still gets an answer, though the run that follows no longer draws that week.
    b = st.container(horizontal=True)
    b.button(t("review.approve"), type="primary", icon=":material/check:", key=f"rv_ok_{key}",
             **ui.act(decide, item, key, "approve", done=ui.tm("review.approved", name=item["name"],
                                                                week=item["week"])))
    b.button(t("review.return"), icon=":material/undo:", key=f"rv_back_{key}", **ui.act(
        decide, item, key, "return", done=ui.tm("review.returned", name=item["name"], week=item["week"]),
        inline=key))


def decide(by: permissions.Actor, item: dict, key: str, decision: str) -> None:
    """Approve or return ``item`` with the comment typed in its box at the click (a return needs one)."""
    comment = (st.session_state.get(f"rv_comment_{key}") or "").strip() or None
    if decision == "return" and comment is None:
        raise SecondmentError("review.return_needs_comment")
    activities.review_week(store, by, item["participant_id"], item["week"], decision, comment)


@st.dialog(ui.tm("review.bulk_title"))
def bulk_dialog(chosen: list[dict]) -> None:
    st.write(ui.tm("review.bulk_confirm", n=len(chosen)))
    st.caption("；".join(f"{c['name']} {c['week']}" for c in chosen[:12]) + ("…" if len(chosen) > 12 else ""))
    comment = st.text_input(t("field.comment"), key="rv_bulk_comment", placeholder=t("review.bulk_comment"))
    if ui.confirm_buttons(t("review.bulk_approve", n=len(chosen)), key="rv_bulk_yes", icon=":material/done_all:"):
        done = ui.attempt(activities.approve_weeks, store, actor,
                          [(c["participant_id"], c["week"]) for c in chosen], comment or None)
        if done:
            ui.flash(ui.tm("review.bulk_done", n=done))
            st.rerun()


def bulk_approve(queue: list[dict]) -> None:
    """Tick the weeks that need no comment in a table and approve them together (after a confirmation)."""
    with st.expander(ui.tm("review.bulk_heading", n=len(queue)), icon=":material/done_all:"):
        frame = pd.DataFrame([{
            t("field.participant"): q["name"], t("field.batch"): q["batch"], t("field.week"): q["week"],
            t("week.col_entries"): q["entries"], t("field.hours"): q["hours"],
            t("review.submitted_at"): clock.local_time(q["submitted_at"]) if q.get("submitted_at") else "",
        } for q in queue])
        event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun",
                             selection_mode="multi-row", key=f"rv_bulk_{len(queue)}_{queue[0]['week']}",
                             height=min(400, 38 + 35 * len(queue)))
        picked = [queue[i] for i in (event.selection.rows if event else []) if i < len(queue)]
        if st.button(t("review.bulk_approve", n=len(picked)), type="primary", icon=":material/done_all:",
                     key="rv_bulk_go", disabled=not picked):
            bulk_dialog(picked)


# --- the queue of submitted weeks -----------------------------------------------------------------
with tab_queue:
    if tab_queue.open:
        st.caption(ui.tm("review.queue_help"))
        if not queue:
            ui.empty("review.queue_empty")
        else:
            if len(queue) > QUEUE_SHOWN:
                st.caption(ui.tm("review.queue_more", shown=QUEUE_SHOWN, total=len(queue)))
            bulk_approve(queue[:activities.MAX_BULK_APPROVALS])
        for item in queue[:QUEUE_SHOWN]:
            header = ui.tm("review.queue_item", name=item["name"], batch=item["batch"], week=item["week"],
                           n=item["entries"], hours=f"{item['hours']:g}")
            # Keyed by the week: a week someone opened stays open when the queue above it shifts (another
            # reviewer approved a week meanwhile); unkeyed, every expander would close again on the next run.
            # Only an open week's entries and buttons are drawn (opening one runs the page): thirty closed
            # weeks of entries cost the browser more than the server.
            box = st.expander(header, expanded=len(queue) <= 3, on_change="rerun",
                              key=f"rv_open_{item['participant_id']}_{item['week']}")
            if box.open:
                with box:
                    review_box(item)

# --- every entry ----------------------------------------------------------------------------------
with tab_entries:
    if tab_entries.open:
        filters = {"participant_id": participant_id, "batch": batch, "direction": direction, "role": roles or None,
                   "week_from": week_from, "week_to": week_to, "state": states or None, "text": text or None}
        rows, total = activities.list_entries(store, actor, limit=500, **filters)
        if not rows:
            ui.empty("review.entries_empty")
        else:
            st.caption(ui.tm("common.shown_of", shown=len(rows), total=total) + " " + ui.tm("review.pick_entry"))
            event = st.dataframe(entries_frame(rows), hide_index=True, width="stretch", height=480,
                                 on_select="rerun", selection_mode="single-row", key=f"rv_entries_{total}")
            entry = ui.picked_row(event, rows)
            if entry is not None:
                # A found entry leads somewhere: its person's profile, and its week's decision when it waits.
                with st.container(border=True):
                    head = st.container(horizontal=True, vertical_alignment="center")
                    head.markdown(ui.tm("review.picked_entry", name=entry["name"], week=entry["week"],
                                        title=entry["title"]))
                    ui.page_link(head, "profile", t("roster.open_profile"), ":material/badge:",
                                 {"id": str(entry["participant_id"])})
                    # The queue already holds every submitted week these filters reach, this entry's among them.
                    waiting = [w for w in queue if (w["participant_id"], w["week"]) == (entry["participant_id"],
                                                                                        entry["week"])]
                    if waiting:
                        review_box(waiting[0], "e")
                    else:
                        st.caption(ui.tm("review.picked_state", state=L("week_state", entry.get("state")
                                                                         or "not_submitted")))
            # A file is built on every run, so a very large selection waits until it is asked for.
            if permissions.can(actor, "activity.export") and (
                    total <= EAGER_EXPORT or st.toggle(t("review.prepare_download", n=total), key="rv_prepare")):
                frame = activities.export_frame(store, actor, lang, **filters)
                ui.downloads(frame, f"activities_{week_from}_{week_to}", key="rv_download",
                             sheet=t("review.sheet"))

# --- reviewed weeks -------------------------------------------------------------------------------
with tab_done:
    if tab_done.open:
        done = activities.list_weeks(store, actor, state=["approved", "returned"], participant_id=participant_id,
                                     batch=batch, direction=direction, week_from=week_from, week_to=week_to)
        if not done:
            ui.empty("review.reviewed_empty")
        else:
            st.dataframe(pd.DataFrame([{
                t("field.participant"): r["name"], t("field.batch"): r["batch"], t("field.week"): r["week"],
                t("field.week_state"): L("week_state", r["state"]), t("week.col_entries"): r["entries"],
                t("field.hours"): r["hours"], t("field.comment"): r["comment"] or "",
                t("review.reviewed_at"): clock.local_time(r["reviewed_at"]),
            } for r in done]), hide_index=True,
                width="stretch")
