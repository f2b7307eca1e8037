"""Feedback: one page whose content depends on who is signed in.

Secondee: raise feedback and follow "my feedback" (state, timeline, rate the answer).
Liaison: the department inbox (only their own department): accept, transfer, extension, answer.
Reviewer / admin: every item with filters, the same handling steps, escalate and close unresolved (behind a
confirmation), downloads. Admin also edits the routing catalogue and the time limits. Viewer: read-only.
Overdue items stand out everywhere (red badge and column, sorted first).
"""

import pandas as pd
import streamlit as st

from secondment import activities, clock, feedback, permissions, ui, vocab

actor = ui.page_gate("feedback")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it
today = clock.today()


when = clock.local_time


def lv(label: str, value) -> str:
    """"**类别**：值" / "**Category**: value" (the colon of the session's language); the value shown as typed."""
    return t("common.labelled", label=f"**{label}**", value=ui.md(value))


own = permissions.ownership(actor, "feedback.read")
is_secondee = own == "participant"      # my own items: raise and follow them
is_liaison = own == "department"        # my department's inbox
can_handle = permissions.can(actor, "feedback.handle")
can_supervise = permissions.can(actor, "feedback.supervise")

st.title(ui.tm("feedback.title"))
flash_box = st.container()  # always there, so what follows keeps its place whether or not a message shows
ui.show_flash(flash_box)

dept_rows = feedback.departments(store, actor)
dept_names = {d["id"]: d["name"] for d in dept_rows}
unanswered = feedback.without_liaison(store, actor)   # departments no liaison account answers for

if is_liaison:
    if actor.department_id is None:
        ui.empty("feedback.no_department")
        st.stop()
    name = feedback.unit_name(store, actor, actor.department_id)
    st.caption(ui.tm("feedback.inbox_caption", department=name or "—"))
elif is_secondee:
    st.caption(ui.tm("feedback.secondee_caption"))
elif not can_handle:                    # read-only: leaders
    st.caption(ui.tm("feedback.viewer_caption"))
else:
    st.caption(ui.tm("feedback.all_caption"))

# --- headline counts (within the actor's own scope) -------------------------------------------------------
c = feedback.counts(store, actor, today=today)
m = [ui.metric_row()] * 4
m[0].metric(t("feedback.m_open"), c["open"], border=True)
m[1].metric(t("feedback.m_overdue"), c["overdue"], border=True,
            delta=t("feedback.m_overdue_delta") if c["overdue"] else None, delta_color="inverse", delta_arrow="off")
m[2].metric(t("feedback.m_answered"), c["answered"], border=True, help=t("feedback.m_answered_help"))
m[3].metric(t("feedback.m_escalation"), c["escalation"], border=True, help=t("feedback.m_escalation_help"))


# --- shared pieces ------------------------------------------------------------------------------------------------
def overdue_text(row: dict) -> str:
    if row["overdue"]:
        return "● " + t("feedback.overdue_by", n=row["days_late"])
    if row["late"]:
        return "○ " + t("feedback.answered_late")
    return ""


def items_table(rows: list[dict], key: str) -> int | None:
    """The items as a table (overdue rows red, first); returns the id of a selected row."""
    # The number and the summary lead (on a phone they are what fits), the overdue mark right after them.
    frame = pd.DataFrame([{
        t("feedback.col_id"): r["id"],
        t("field.summary"): r["summary"],
        t("feedback.col_overdue"): overdue_text(r),
        t("field.status"): L("feedback_status", r["status"]),
        t("field.category"): L("feedback_category", r["category"]),
        t("field.urgency"): L("urgency", r["urgency"]),
        t("field.department"): r["department"] or "",
        t("feedback.col_due"): (r["due_date"] or "") + (t("feedback.weekdays_only_mark") if r["due_weekdays_only"] else ""),
        t("feedback.col_days_left"): None if r["days_left"] is None or r["overdue"] else r["days_left"],
        t("field.participant"): r["participant"],
        t("field.enterprise"): r["enterprise"] or "",
        t("feedback.col_raised"): when(r["created_at"])[:10],
        t("feedback.col_flags"): " ".join(
            ([t("feedback.flag_escalation")] if r["escalation_needed"] else [])
            + ([t("feedback.flag_escalated")] if r["escalated"] else [])),
    } for r in rows])
    if not frame.empty:  # whole working days, blank when overdue or closed
        frame[t("feedback.col_days_left")] = frame[t("feedback.col_days_left")].astype("Int64")
    overdue_rows = [i for i, r in enumerate(rows) if r["overdue"]]
    if not frame.empty and not frame[t("feedback.col_overdue")].astype(bool).any():
        frame = frame.drop(columns=[t("feedback.col_overdue")])  # nothing late: give the room to the summary

    def paint(row):
        colour = "background-color: #fde2e2; color: #8a0000" if row.name in overdue_rows else ""
        return [colour] * len(row)

    config = {t("feedback.col_overdue"): st.column_config.TextColumn(width="medium"),
              t("field.summary"): st.column_config.TextColumn(width="large"),
              t("feedback.col_id"): st.column_config.NumberColumn(width="small", format="%d")}
    event = st.dataframe(ui.painted(frame, lambda f: f.style.apply(paint, axis=1)), hide_index=True, width="stretch", key=key,
                         on_select="rerun", selection_mode="single-row", column_config=config,
                         height=min(520, 38 + 35 * max(1, len(rows))))
    picked = ui.picked_row(event, rows)
    return picked["id"] if picked is not None else None


def pick_item(rows: list[dict], selected: int | None, key: str) -> int | None:
    """The item to open: a row picked in the table, else the select box (which remembers the open item
    across the reruns a step causes, when the list itself changes)."""
    ids = [r["id"] for r in rows]
    by_id = {r["id"]: r for r in rows}
    remembered = st.session_state.get(f"{key}_open")
    wanted = selected if selected in ids else (remembered if remembered in ids else None)
    chosen = st.selectbox(t("feedback.open_item"), ids, index=ids.index(wanted) if wanted is not None else None,
                          # The shown text carries the status: a select box would keep an option's old text
                          # (streamlit/streamlit#13788), so a change of status makes it a new box.
                          key=f"{key}_{selected}_{'.'.join(str(by_id[i]['status']) for i in ids)}",
                          placeholder=t("feedback.open_item_placeholder"),
                          format_func=lambda i: ("● " if by_id[i]["overdue"] else "") + f"#{i} · {by_id[i]['summary']}"
                          + f" · {L('feedback_status', by_id[i]['status'])}")
    st.session_state[f"{key}_open"] = chosen
    return chosen


def who(ev: dict, item: dict) -> str:
    """Who took a step; when the account is not recorded (imported history), who must have taken it."""
    if ev["user_name"]:
        return ev["user_name"] + (t("common.in_brackets", text=L("app_role", ev["user_role"])) if ev.get("user_role") else "")
    if ev["step"] in ("raise", "evaluate", "send_back", "reply"):
        return item["participant"]
    if ev["step"] in ("accept", "transfer", "extend", "ask", "answer"):
        return t("feedback.ev_department_staff", department=ev["from_department"] or ev["to_department"] or "—")
    return t("feedback.ev_system")


def timeline(item: dict) -> None:
    """The item's steps, one short block each (a seven-column table would be one character wide on a phone):
    when, what and who on the first line; the status, department, due date and note below."""
    st.markdown(f"**{t('feedback.timeline')}**")
    for ev in item["events"]:
        step = ev["step"]
        label = L("feedback_step", step)
        if step == "evaluate" and item.get("evaluation"):
            label += t("common.in_brackets", text=L("evaluation", item["evaluation"]))
        if step == "send_back":
            label += t("common.in_brackets", text=L("evaluation", "unsatisfied"))
        moved = ev["from_department"] != ev["to_department"] and ev["from_department"]
        status = (f"{L('feedback_status', ev['from_status'])} → " if ev["from_status"] else "") + \
            L("feedback_status", ev["to_status"])
        department = f"{ev['from_department']} → {ev['to_department']}" if moved else (ev["to_department"] or "")
        facts = [status, department] + ([t("feedback.ev_due", due=ev["due_date"])] if ev.get("due_date") else [])
        with st.container(border=True, gap="small"):
            st.markdown(f"**{ui.md(when(ev['at']))} · {ui.md(label)}** · {ui.md(who(ev, item))}")
            st.caption(ui.md(" · ".join(f for f in facts if f)))
            if ev["note"]:
                st.markdown(ui.md(ev["note"]))


def detail(item: dict) -> None:
    """Everything about one item, its timeline, and the steps this person may take now."""
    with st.container(border=True):
        st.subheader(f"\\#{item['id']} · {ui.md(item['summary'])}")
        badges = st.container(horizontal=True)
        ui.status_badge(badges, "feedback_status", item["status"])
        ui.status_badge(badges, "urgency", item["urgency"])
        if item["overdue"]:
            badges.badge(t("feedback.badge_overdue", n=item["days_late"]),
                         icon=":material/alarm:", color="red")
        if item["late"]:
            badges.badge(t("feedback.answered_late"), icon=":material/alarm:", color="orange")
        if item["escalation_needed"]:
            badges.badge(t("feedback.flag_escalation"), icon=":material/priority_high:", color="red")
        if item["escalated"]:
            badges.badge(t("feedback.flag_escalated"), icon=":material/flag:", color="violet")
        a, b, c3 = st.columns(3)
        a.markdown(f"{lv(t('field.category'), L('feedback_category', item['category']))}  \n"
                   f"{lv(t('field.role'), L('role', item['role']) if item['role'] else '—')}  \n"
                   f"{lv(t('field.enterprise'), item['enterprise'] or '—')}")
        b.markdown(f"{lv(t('field.department'), item['department'] or '—')}  \n"
                   f"{lv(t('field.participant'), item['participant'])}{ui.tm('common.in_brackets', text=item['batch'])}  \n"
                   f"{lv(t('feedback.col_raised'), when(item['created_at']))}")
        due_note = ""
        if item["due_weekdays_only"]:
            due_note = f"  \n:gray[{t('feedback.calendar_uncovered', year=item['due_date'][:4])}]"
        days_left = (t("feedback.days_left", n=item["days_left"]) if item["days_left"] is not None
                     and item["days_left"] >= 0 and not item["overdue"] else "")
        c3.markdown(f"{lv(t('feedback.col_due'), item['due_date'] or '—')} {days_left}  \n"
                    f"{lv(t('feedback.col_transfers'), item['transfers'])} · "
                    f"{lv(t('feedback.col_send_backs'), item['send_backs'])} · "
                    f"{lv(t('feedback.col_extended'), item['extended_days'])}{due_note}")
        if item["details"]:
            st.markdown(f"**{t('field.details')}**")
            st.text(item["details"])
        if item["answer"] and item["status"] in ("answered", "closed", "closed_unresolved"):
            st.markdown(f"**{t('field.answer')}**{t('common.in_brackets', text=when(item['answered_at']))}")
            st.info(ui.md(item["answer"]), icon=":material/reply:")
        if item["evaluation"] and item["status"] == "closed":
            st.markdown(f"{lv(t('field.evaluation'), L('evaluation', item['evaluation']))}")
        if item["status"] == "closed_unresolved":
            st.warning(ui.tm("feedback.closed_unresolved_by", who=item.get("closed_by_name") or "—",
                         when=when(item["closed_at"]), reason=item["close_reason"] or "—"),
                       icon=":material/block:")
        if item["question_open"]:
            question = next(ev["note"] for ev in reversed(item["events"]) if ev["step"] == "ask")
            if "reply" in item["allowed_steps"]:
                st.warning(ui.tm("feedback.question_waiting", department=item["department"] or "—",
                                 question=question), icon=":material/contact_support:")
            else:
                st.info(ui.tm("feedback.question_pending", question=question), icon=":material/contact_support:")
        timeline(item)
        actions(item)


def forget_confirmation() -> None:
    """Nothing is waiting for "confirm" any longer (the step was taken, or cancelled)."""
    st.session_state.pop("fb_confirm", None)


def done(message_key: str, item_id: int, result) -> None:
    if result is not None:
        ui.flash(ui.tm(message_key, id=item_id))
        forget_confirmation()
        st.rerun()


def take_step(by, step, item_id: int, **values) -> None:
    """A step on an item, as ``by`` at the click (``ui.act``)."""
    step(store, by, item_id, **values)
    forget_confirmation()


def actions(item: dict) -> None:
    steps = [s for s in item["allowed_steps"] if s != "send_back"]
    if not steps:
        return
    st.markdown(f"**{t('feedback.actions')}**")
    fid = item["id"]
    # Keyed, so the chosen step stays chosen across the reruns that typing into its form causes.
    tabs = st.tabs([t(f"feedback.do_{s}") for s in steps], key=f"fb_steps_{fid}_{'_'.join(steps)}",
                   on_change="rerun")
    for tab, step in zip(tabs, steps):
        with tab:
            if step == "accept":
                st.text_input(t("field.note"), key=f"fb_acc_note_{fid}", placeholder=t("feedback.optional"))
                ui.show_flash(section=f"fb_step_{fid}")
                # Accepting and answering run in their buttons' callbacks (ui.act): when another liaison of the
                # department took the step a moment before, the click is answered, not dropped with the step.
                st.button(t("feedback.do_accept"), type="primary", key=f"fb_accept_{fid}", icon=":material/inbox:",
                          **ui.act(take_step, feedback.accept, fid, done=ui.tm("feedback.accepted", id=fid),
                                   inline=f"fb_step_{fid}",
                                   note=lambda: st.session_state.get(f"fb_acc_note_{fid}") or None))
            elif step == "transfer":
                others = [d["id"] for d in dept_rows if d["id"] != item["department_id"]]
                target = st.selectbox(t("feedback.transfer_to"), others, index=None, key=f"fb_tr_to_{fid}",
                                      format_func=lambda i: dept_names.get(i, str(i)),
                                      placeholder=t("feedback.pick_department"))
                if target is not None and target in unanswered:
                    st.warning(ui.tm("feedback.no_liaison", department=dept_names.get(target, "")),
                               icon=":material/warning:")
                reason = st.text_area(t("field.reason"), key=f"fb_tr_reason_{fid}", height=80,
                                      placeholder=t("feedback.transfer_reason_placeholder"))
                if st.button(t("feedback.do_transfer"), type="primary", key=f"fb_transfer_{fid}",
                             icon=":material/forward:"):
                    if target is None:
                        st.error(ui.tm("feedback.pick_department"), icon=":material/error:")
                    else:
                        done("feedback.transferred", fid, ui.attempt(
                            feedback.transfer, store, actor, fid, to_department_id=target, reason=reason))
            elif step == "extend":
                days = st.number_input(t("field.extension_days"), min_value=1,
                                       max_value=feedback.MAX_EXTENSION_DAYS, value=5, step=1,
                                       key=f"fb_ext_days_{fid}")
                new_due = ui.attempt(feedback.extension_due, store, actor, fid, int(days))
                if new_due:
                    st.caption(ui.tm("feedback.extension_hint", due=item["due_date"], new=new_due["due"].isoformat()))
                    if new_due["weekdays_only"]:
                        st.caption(ui.tm("feedback.calendar_uncovered", year=new_due["due"].year))
                reason = st.text_area(t("field.reason"), key=f"fb_ext_reason_{fid}", height=80)
                if st.button(t("feedback.do_extend"), type="primary", key=f"fb_extend_{fid}",
                             icon=":material/more_time:"):
                    done("feedback.extended", fid, ui.attempt(
                        feedback.request_extension, store, actor, fid, days=int(days), reason=reason))
            elif step == "answer":
                st.text_area(t("field.answer"), key=f"fb_ans_{fid}", height=120,
                             placeholder=t("feedback.answer_placeholder"))
                ui.show_flash(section=f"fb_step_{fid}")
                st.button(t("feedback.do_answer"), type="primary", key=f"fb_answer_{fid}", icon=":material/reply:",
                          **ui.act(take_step, feedback.answer, fid, done=ui.tm("feedback.answered", id=fid),
                                   inline=f"fb_step_{fid}", text=lambda: st.session_state.get(f"fb_ans_{fid}")))
            elif step in ("ask", "reply"):
                if step == "ask":
                    st.caption(ui.tm("feedback.ask_hint", who=item["participant"]))
                text = st.text_area(t(f"field.{'question' if step == 'ask' else 'reply'}"), key=f"fb_{step}_{fid}",
                                    height=100, placeholder=t(f"feedback.{step}_placeholder"))
                if st.button(t(f"feedback.do_{step}"), type="primary", key=f"fb_{step}_go_{fid}",
                             icon=":material/contact_support:" if step == "ask" else ":material/reply:"):
                    fn = feedback.ask if step == "ask" else feedback.reply
                    kwargs = {"question": text} if step == "ask" else {"text": text}
                    done("feedback.asked" if step == "ask" else "feedback.replied", fid,
                         ui.attempt(fn, store, actor, fid, **kwargs))
            elif step == "evaluate":
                verdict = st.radio(t("field.evaluation"), list(vocab.EVALUATIONS), format_func=fmt("evaluation"),
                                   key=f"fb_eval_{fid}", horizontal=True, index=None)
                note = st.text_area(t("field.note"), key=f"fb_eval_note_{fid}", height=80,
                                    placeholder=t("feedback.evaluate_note_placeholder"))
                if verdict == "unsatisfied":
                    st.caption(ui.tm("feedback.unsatisfied_hint", department=item["department"] or "—"))
                if st.button(t("feedback.do_evaluate"), type="primary", key=f"fb_evaluate_{fid}",
                             icon=":material/thumbs_up_down:"):
                    if verdict is None:
                        st.error(ui.tm("feedback.pick_evaluation"), icon=":material/error:")
                    else:
                        done("feedback.sent_back" if verdict == "unsatisfied" else "feedback.evaluated", fid,
                             ui.attempt(feedback.evaluate, store, actor, fid, evaluation=verdict, note=note or None))
            elif step in ("escalate", "close_unresolved"):
                label = t("field.reason") if step == "close_unresolved" else t("field.note")
                note = st.text_area(label, key=f"fb_{step}_note_{fid}", height=80,
                                    placeholder=t(f"feedback.{step}_placeholder"))
                pending = st.session_state.get("fb_confirm") == (step, fid)
                if not pending:
                    if st.button(t(f"feedback.do_{step}"), key=f"fb_{step}_{fid}",
                                 icon=":material/flag:" if step == "escalate" else ":material/block:"):
                        st.session_state["fb_confirm"] = (step, fid)
                        st.rerun()
                else:
                    st.warning(ui.tm(f"feedback.confirm_{step}", id=fid), icon=":material/warning:")
                    if ui.confirm_buttons(t("common.confirm"), key=f"fb_{step}_yes_{fid}",
                                          on_cancel=forget_confirmation):
                        fn = feedback.escalate if step == "escalate" else feedback.close_unresolved
                        kwargs = {"note": note or None} if step == "escalate" else {"reason": note}
                        done("feedback.escalated" if step == "escalate" else "feedback.closed_unresolved", fid,
                             ui.attempt(fn, store, actor, fid, **kwargs))


def show_list(rows: list[dict], total: int, key: str, empty_key: str) -> None:
    if not rows:
        ui.empty(empty_key)
        return
    st.caption(ui.tm("common.shown_of", shown=len(rows), total=total))
    selected = items_table(rows, key)
    chosen = pick_item(rows, selected, key)
    if chosen is not None:
        item = ui.attempt(feedback.get_item, store, actor, chosen, today=today)
        if item is not None:
            detail(item)


# --- secondee: raise feedback and my feedback ---------------------------------------------------------------------
def raise_form() -> None:
    participant_id = actor.participant_id
    person = ui.attempt(activities.participant, store, actor, participant_id)
    if person is None:
        return
    version = st.session_state.get("fb_form_version", 0)
    k = f"fb_new_{version}_"
    st.caption(ui.tm("feedback.raise_help"))
    entries, _ = activities.list_entries(store, actor, participant_id=participant_id, limit=200)
    by_id = {e["id"]: e for e in entries}
    def carry_activity() -> None:
        """Picking the entry the item came from carries its title and text into the form, unless the person
        has written their own already (what an earlier pick carried may be replaced)."""
        entry = by_id.get(st.session_state.get(k + "activity"))
        carried = st.session_state.get(k + "carried", ("", ""))
        if entry is None:
            return
        text = "\n".join(v for v in (entry["description"], entry["outcome"]) if v)
        for key, value, before in ((k + "summary", entry["title"][:200], carried[0]),
                                   (k + "details", text, carried[1])):
            if (st.session_state.get(key) or "") in ("", before):
                st.session_state[key] = value
        st.session_state[k + "carried"] = (entry["title"][:200], text)

    activity_id = st.selectbox(
        t("feedback.from_activity"), [None, *by_id], key=k + "activity", on_change=carry_activity,
        format_func=lambda i: t("feedback.on_its_own") if i is None
        else f"{by_id[i]['date']} · {L('role', by_id[i]['role'])} · {by_id[i]['title']}", placeholder=ui.t("common.choose"))
    ents = feedback.enterprises(store, actor)
    ent_ids = [e["id"] for e in ents]
    ent_names = {e["id"]: e["name"] for e in ents}
    default_ent = person["host_unit_id"] if person["direction"] == vocab.CADRE else person["home_unit_id"]
    if default_ent not in ent_ids and default_ent is not None:
        ent_ids.insert(0, default_ent)
        ent_names[default_ent] = feedback.unit_name(store, actor, default_ent) or str(default_ent)
    c1, c2 = st.columns(2)
    enterprise = c1.selectbox(t("field.enterprise"), ent_ids, key=k + "enterprise",
                              index=ent_ids.index(default_ent) if default_ent in ent_ids else None,
                              format_func=lambda i: ent_names.get(i, str(i)), placeholder=ui.t("common.choose"))
    category = c2.selectbox(t("field.category"), list(vocab.FEEDBACK_CATEGORIES), index=None,
                            format_func=fmt("feedback_category"), key=k + "category",
                            placeholder=t("feedback.pick_category"))
    summary = st.text_input(t("field.summary"), key=k + "summary", max_chars=200,
                            placeholder=t("feedback.summary_placeholder"))
    details = st.text_area(t("field.details"), key=k + "details", height=120,
                           placeholder=t("feedback.details_placeholder"))
    c1, c2 = st.columns(2)
    urgency = c1.segmented_control(t("field.urgency"), list(vocab.URGENCIES), default="normal",
                                   format_func=fmt("urgency"), key=k + "urgency") or "normal"
    proposed = feedback.propose_department(store, category) if category else None
    dept_ids = [d["id"] for d in dept_rows]
    department = c2.selectbox(t("field.department"), dept_ids, key=f"{k}department_{category}",
                              index=dept_ids.index(proposed) if proposed in dept_ids else None,
                              format_func=lambda i: dept_names.get(i, str(i)),
                              placeholder=t("feedback.pick_department"),
                              help=t("feedback.department_help"))
    if category and proposed is None:
        c2.caption(ui.tm("feedback.no_routing"))
    elif category and department == proposed:
        c2.caption(ui.tm("feedback.proposed", department=dept_names.get(proposed, "")))
    if department is not None and department in unanswered:
        c2.warning(ui.tm("feedback.no_liaison", department=dept_names.get(department, "")), icon=":material/warning:")
    due = feedback.due_if_raised(store, actor, department, urgency, today)
    st.caption(ui.tm("feedback.limit_hint", days=due["limit"], due=due["due"].isoformat()))
    if due["weekdays_only"]:
        st.caption(ui.tm("feedback.calendar_uncovered", year=due["due"].year))
    if st.button(t("feedback.submit"), type="primary", icon=":material/send:", key=k + "submit"):
        if category is None:
            st.error(ui.tm("feedback.pick_category"), icon=":material/error:")
            return
        if department is None:
            st.error(ui.tm("feedback.pick_department"), icon=":material/error:")
            return
        new_id = ui.attempt(feedback.raise_feedback, store, actor, participant_id=participant_id,
                            activity_id=activity_id, enterprise_id=enterprise, category=category, summary=summary,
                            details=details, urgency=urgency, department_id=department)
        if new_id is not None:
            st.session_state["fb_form_version"] = version + 1
            ui.flash(ui.tm("feedback.raised", id=new_id))
            st.rerun()


if is_secondee:
    if actor.participant_id is None:
        ui.empty("feedback.no_participant")
        st.stop()
    rows, total = feedback.list_items(store, actor, today=today, limit=500)
    # Overdue first, then the answers waiting for the secondee's rating, then the rest as listed.
    rows = sorted(rows, key=lambda r: (not r["overdue"], r["status"] != "answered"))
    tab_mine, tab_new = st.tabs([t("feedback.tab_mine", n=total), t("feedback.tab_raise")], key="fb_secondee_tabs",
                                on_change="rerun")
    with tab_new:
        raise_form()
    with tab_mine:
        waiting = [r for r in rows if r["status"] == "answered"]
        if waiting:
            st.info(ui.tm("feedback.waiting_evaluation", n=len(waiting)), icon=":material/thumbs_up_down:")
        show_list(rows, total, "fb_mine", "feedback.mine_empty")
    st.stop()


# --- everyone else: filters, the list, the item ----------------------------------------------------------------------
show_admin = permissions.can(actor, "routing.edit")
if show_admin:  # the administrator's routing editor sits in a tab beside the items
    tab_objs = st.tabs([t("feedback.tab_items_plain"), t("feedback.tab_routing")], key="fb_main_tabs",
                       on_change="rerun")
    items_area = tab_objs[0]
else:
    tab_objs = None
    items_area = st.container()
# A link from elsewhere (flows, the audit trail) names an item: ?item=12 opens it, whatever the filters were.
linked = str(st.query_params.get("item") or "").lstrip("#")
if linked.isdigit() and ui.arrived("feedback"):
    st.session_state.update({"fb_f_text": f"#{int(linked)}", "fb_f_status": [], "fb_items_open": int(linked),
                             "fb_mine_open": int(linked)})

with items_area:
    with st.container(border=True):
        f = st.columns([1.6, 1.3, 1, 1, 1.4]) if not is_liaison else st.columns([1.6, 1, 1, 1.4])
        status = f[0].multiselect(t("field.status"), list(vocab.FEEDBACK_STATUSES), format_func=fmt("feedback_status"),
                                  key="fb_f_status", placeholder=t("common.all"),
                                  default=list(vocab.OPEN_FEEDBACK_STATUSES) + ["answered"]
                                  if is_liaison and "fb_f_status" not in st.session_state else None)
        f = f[1:]
        department = None
        if not is_liaison:
            department = ui.select_or_all(f[0], t("field.department"), dept_names, key="fb_f_department",
                                          format=lambda i: dept_names.get(i, str(i)))
            f = f[1:]
        category = ui.select_or_all(f[0], t("field.category"), vocab.FEEDBACK_CATEGORIES, key="fb_f_category",
                                    format="feedback_category")
        urgency = ui.select_or_all(f[1], t("field.urgency"), vocab.URGENCIES, key="fb_f_urgency", format="urgency")
        text = f[2].text_input(t("common.search"), key="fb_f_text", placeholder=t("feedback.search_placeholder"))
        f = st.columns(5) if not is_liaison else st.columns([1, 1, 1, 1.4])
        batch = None
        if not is_liaison:
            batch_codes = feedback.batch_codes(store, actor)
            batch = ui.select_or_all(f[0], t("field.batch"), batch_codes, key="fb_f_batch")
            f = f[1:]
        first, last = feedback.raised_bounds(store, actor)
        period_from, period_to = ui.month_range(f[0], f[1], (t("feedback.raised_from"), t("feedback.raised_to")),
                                                first or today, max(last or today, today), "fb_f", default_all=True)
        overdue_only = f[2].toggle(t("feedback.overdue_only"), key="fb_f_overdue")
        escalation_only = f[3].toggle(t("feedback.escalation_only"), key="fb_f_escalation") if not is_liaison else False

    filters = {"status": status or None, "department": department, "category": category, "urgency": urgency,
               "overdue_only": overdue_only, "escalation_only": escalation_only, "text": text or None, "batch": batch,
               "period_from": period_from, "period_to": period_to, "today": today}
    rows, total = feedback.list_items(store, actor, limit=500, **filters)
    head, tail = st.columns([3, 1], vertical_alignment="center")
    head.markdown(f"**{t('feedback.tab_inbox' if is_liaison else 'feedback.tab_items', n=total)}**")
    # The export runs only when asked for: every matching item, not only the 500 shown.
    if rows and permissions.can(actor, "feedback.export") and tail.toggle(
            t("feedback.prepare_download"), key="fb_export_on", help=t("feedback.prepare_download_help")):
        frame = feedback.export_frame(store, actor, lang, **filters)
        ui.downloads(frame, f"feedback_{today.isoformat()}", key="fb_download", sheet=t("feedback.sheet"))
    show_list(rows, total, "fb_items", "feedback.inbox_empty" if is_liaison else "feedback.items_empty")


# --- admin: routing catalogue and time limits -----------------------------------------------------------------------
def routing_editor() -> None:
    st.markdown(f"**{t('routing.title')}**")
    st.caption(ui.tm("routing.help"))
    current = {r["category"]: r["department_id"] for r in feedback.get_routing(store, actor)}
    dept_ids = [d["id"] for d in dept_rows]
    choice = {}
    cols = st.columns(2)
    for i, category in enumerate(vocab.FEEDBACK_CATEGORIES):
        value = current.get(category)
        choice[category] = cols[i % 2].selectbox(
            L("feedback_category", category), [None, *dept_ids], key=f"rt_{category}",
            index=([None, *dept_ids].index(value) if value in dept_ids else 0),
            format_func=lambda d: t("routing.not_routed") if d is None else dept_names.get(d, str(d)), placeholder=ui.t("common.choose"))
    lonely = [c for c, d in choice.items() if d is not None and d in unanswered]
    if lonely:
        st.warning(ui.tm("routing.no_liaison", categories="、".join(L("feedback_category", c) for c in lonely)
                         if lang == "zh" else ", ".join(L("feedback_category", c) for c in lonely)),
                   icon=":material/warning:")
    if st.button(t("routing.save"), type="primary", key="rt_save", icon=":material/save:"):
        changed = {c: d for c, d in choice.items() if d != current.get(c)}
        if not changed:
            st.info(ui.tm("routing.unchanged"))
        elif ui.attempt(feedback.set_routing, store, actor, changed) is not None:
            st.success(ui.tm("common.saved"), icon=":material/check_circle:")

    st.divider()
    st.markdown(f"**{t('routing.limits_title')}**")
    st.caption(ui.tm("routing.limits_help"))
    limits = feedback.get_time_limits(store, actor)
    c1, c2, _ = st.columns([1, 1, 2])
    urgent = c1.number_input(t("routing.limit_urgent"), min_value=1, max_value=feedback.MAX_LIMIT_DAYS,
                             value=int(limits["urgent"]), step=1, key="rt_urgent")
    normal = c2.number_input(t("routing.limit_normal"), min_value=1, max_value=feedback.MAX_LIMIT_DAYS,
                             value=int(limits["normal"]), step=1, key="rt_normal")
    st.markdown(f"**{t('routing.department_limits')}**")
    st.caption(ui.tm("routing.department_limits_help"))
    base = pd.DataFrame([{"id": d["id"], "name": d["name"], "kind": L("unit_kind", d["kind"]),
                          "days": d["time_limit_days"]} for d in dept_rows])
    edited = st.data_editor(
        base, hide_index=True, width="stretch", key="rt_departments", disabled=["id", "name", "kind"],
        column_config={"id": None, "name": st.column_config.TextColumn(t("field.department")),
                       "kind": st.column_config.TextColumn(t("field.unit_kind")),
                       "days": st.column_config.NumberColumn(t("field.time_limit_days"), min_value=1,
                                                             max_value=feedback.MAX_LIMIT_DAYS, step=1)})
    if st.button(t("routing.save_limits"), type="primary", key="rt_save_limits", icon=":material/save:"):
        department_limits = {}
        for before, after in zip(base.itertuples(), edited.itertuples()):
            old = None if pd.isna(before.days) else int(before.days)
            new = None if pd.isna(after.days) else int(after.days)
            if old != new:
                department_limits[int(before.id)] = new
        result = ui.attempt(feedback.set_time_limits, store, actor, {"urgent": int(urgent), "normal": int(normal)},
                            department_limits)
        if result is not None:
            st.success(ui.tm("common.saved"), icon=":material/check_circle:")


if tab_objs is not None:
    with tab_objs[1]:
        routing_editor()
