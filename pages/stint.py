"""One person's stint from start to end: agreement (任务书) and objectives with the work linked to them, declarations,
monthly self-checks, site visits, leave, the end-of-stint assessment and the return.

The participant comes from ``?id=`` (reviewers, leaders and administrators pick anyone; a secondee gets their own);
the tab from ``?tab=``. Every read and write goes through the core, which refuses what the user may not do."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from secondment import (
    agreements,
    assessment,
    clock,
    documents,
    holidays,
    leave,
    notify,
    permissions,
    roster,
    stint,
    ui,
    vocab,
)
from secondment.errors import PermissionDenied, SecondmentError

actor = ui.page_gate("stint")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)
can = lambda action, pid=None: permissions.can(actor, action, {"participant_id": pid} if pid else None)

TABS = ("agreement", "declarations", "checkins", "visits", "leave", "assessment", "return")

own_only = permissions.scope(actor, "stint.read") is not None
wanted, raw_id = ui.asked_id()
st.title(ui.tm("nav.stint"))
if own_only:
    if actor.participant_id is None:
        ui.empty("roster.no_record")
        st.stop()
    participant_id = actor.participant_id
    if wanted is not None and wanted != participant_id:
        ui.show_error(PermissionDenied("stint.read", actor.role))
else:
    people = roster.choices(store, actor)
    if not people:
        ui.empty("profile.none_visible")
        st.stop()
    participant_id = ui.pick_participant(people, wanted, raw_id, page_key="stint", key="st_pick")

try:
    person = roster.get_participant(store, actor, participant_id)
    summary = stint.summary(store, actor, participant_id)
except SecondmentError as error:
    ui.show_error(error)
    st.stop()

pid = participant_id
direction = person["direction"]
roles = vocab.ROLES_BY_DIRECTION[direction]
today = clock.today()
progress = summary["progress"]
working = progress["agreement"]

# --- the header: who, where, and where the stint stands ----------------------------------------------------------
head = st.container(horizontal=True, vertical_alignment="center")
head.subheader(ui.md(person["name"]), anchor=False)
ui.status_badge(head, "participant_status", person["status"])
head.badge(ui.md(person["batch"]), color="violet")
ui.status_badge(head, "assessment_stage", summary["assessment"]["stage"], icon=":material/workspace_premium:")
if summary["assessment"].get("conclusion"):
    ui.status_badge(head, "conclusion", summary["assessment"]["conclusion"])
ui.page_link(head, "profile", t("stint.to_profile"), ":material/badge:", {"id": str(pid)})
st.caption(
    ui.tm(
        "stint.header_line",
        host=person["host_unit"] or "—",
        home=person["home_unit"] or "—",
        post=person["post"] or "—",
        start=person["start_date"],
        end=person["end_date"],
    )
)
decl = summary["declarations"]
if decl["missing"] and person["stored_status"] == "planned":
    st.warning(
        ui.tm(
            "stint.blocked_by_declarations",
            kinds="、".join(L("declaration", k) for k in decl["missing"])
            if lang == "zh"
            else ", ".join(L("declaration", k) for k in decl["missing"]),
        ),
        icon=":material/gpp_maybe:",
    )
m = ui.metric_row()
m.metric(
    t("stint.m_agreement"),
    L("agreement_status", progress["in_force"]["status"])
    if progress["in_force"]
    else (L("agreement_status", working["status"]) if working else t("stint.none")),
    border=True,
)
m.metric(
    t("stint.m_objectives"),
    f"{progress['counts']['done']} / {len(progress['objectives'])}",
    help=t("stint.m_objectives_help"),
    border=True,
)
m.metric(t("stint.m_checkins"), f"{summary['checkins_done']} / {summary['checkins_due']}", border=True)
m.metric(t("stint.m_visits"), len(summary["visits"]), border=True)
m.metric(t("stint.m_leave"), t("stint.days", n=summary["leave_days"]), border=True)
ui.show_flash()

asked_tab = st.query_params.get("tab")
if asked_tab in TABS and ui.arrived("stint"):
    st.session_state["st_tabs"] = t(f"stint.tab_{asked_tab}")
tabs = dict(zip(TABS, st.tabs([t(f"stint.tab_{k}") for k in TABS], key="st_tabs", on_change="rerun")))


def done(message_key: str, section: str) -> None:
    ui.flash(ui.tm(message_key), section=section)
    st.rerun()


def decide_leave(by, leave_id: int, decision: str) -> None:
    """Approve or reject a leave request with the note typed beside it at the click (a rejection needs one)."""
    leave.decide(store, by, leave_id, decision, note=st.session_state.get(f"st_lv_note_{leave_id}") or None)


def act(pressed: bool, message_key: str, section: str, fn, *args, **kwargs) -> None:
    """When ``pressed``: call the service; when it worked, say so in ``section`` and draw the page again."""
    if pressed and ui.attempt(fn, *args, **kwargs):
        done(message_key, section)


# --- agreement -----------------------------------------------------------------------------------------------------


def carried(version: dict | None) -> list[dict]:
    """The version's objectives as the core takes them back (each keeps its lineage)."""
    if not version:
        return []
    return [{k: o[k] for k in ("role", "text", "target", "due_date", "lineage")} for o in version["objectives"]]


def objective_fields(container, key: str, values: dict | None = None) -> dict:
    """Role, objective, measurable target and due date, as one objective's inputs."""
    values = values or {}
    c = container.columns([2, 4, 3, 2])
    role = c[0].selectbox(
        t("field.role"),
        roles,
        format_func=fmt("role"),
        key=f"{key}_role",
        index=roles.index(values["role"]) if values.get("role") in roles else 0,
        placeholder=t("common.choose"),
    )
    text = c[1].text_input(t("field.objective"), value=values.get("text", ""), max_chars=400, key=f"{key}_text")
    target = c[2].text_input(
        t("field.target"),
        value=values.get("target", ""),
        max_chars=400,
        key=f"{key}_target",
        placeholder=t("stint.target_hint"),
    )
    due = c[3].text_input(
        t("field.due_date"),
        value=values.get("due_date", person["end_date"]),
        max_chars=20,
        key=f"{key}_due",
        help=t("common.date_help"),
    )
    return {"role": role, "text": text, "target": target, "due_date": due}


def set_status(container, objective: dict) -> None:
    """A reviewer's judgement of an objective, or back to the data's suggestion."""
    options = [None, *vocab.OBJECTIVE_STATUSES]
    with container.popover(t("stint.set_status"), icon=":material/flag:"):
        choice = st.radio(
            t("field.objective_status"),
            options,
            index=options.index(objective["status"]),
            format_func=lambda s: t("stint.status_auto") if s is None else L("objective_status", s),
            key=f"st_os_{objective['id']}",
        )
        act(
            st.button(t("common.save"), key=f"st_os_save_{objective['id']}", disabled=choice == objective["status"]),
            "stint.status_saved",
            "agreement",
            agreements.set_status,
            store,
            actor,
            objective["id"],
            choice,
        )


def edit_objective(container, current: dict, objective: dict) -> None:
    """Change or remove one objective: a new draft of the working version (an amendment, when it is agreed)."""
    with container.popover(t("common.edit"), icon=":material/edit:"):
        key = f"st_edit_{objective['id']}"
        with st.form(key):
            values = objective_fields(st, key, objective)
            b = st.container(horizontal=True)
            save = b.form_submit_button(t("common.save"), type="primary")
            remove = b.form_submit_button(t("stint.remove_objective"))
        rest = [o for o in carried(current) if o["lineage"] != objective["lineage"]]
        if save:
            mine = [
                {**values, "lineage": objective["lineage"]} if o["lineage"] == objective["lineage"] else o
                for o in carried(current)
            ]
            act(True, "stint.draft_saved", "agreement", agreements.draft, store, actor, pid, objectives=mine)
        if remove:
            act(True, "stint.draft_saved", "agreement", agreements.draft, store, actor, pid, objectives=rest)


def show_agreement() -> None:
    ui.show_flash(section="agreement")
    versions = agreements.versions(store, actor, pid)
    current = agreements.working(versions)
    if current is None:
        ui.empty("stint.no_agreement")
    else:
        line = st.container(horizontal=True, vertical_alignment="center")
        line.markdown(ui.tm("stint.version", n=current["version"]))
        ui.status_badge(line, "agreement_status", current["status"])
        in_force = agreements.in_force(versions)
        if current["status"] == "draft" and in_force:
            st.info(ui.tm("stint.amendment_pending", n=in_force["version"]), icon=":material/history_edu:")
        st.caption(
            ui.tm(
                "stint.agreement_line",
                home=current["home_unit"] or "—",
                host=current["host_unit"] or "—",
                post=current["post"] or "—",
                start=current["start_date"],
                end=current["end_date"],
            )
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("field.party"): L("party", p),
                        t("field.signatory"): (current["parties"].get(p) or {}).get("signatory") or "—",
                        t("stint.agreed_at"): clock.local_time(current["parties"][p]["agreed_at"], "%Y-%m-%d")
                        if p in current["parties"]
                        else t("stint.not_yet"),
                        t("stint.recorded_by"): (current["parties"].get(p) or {}).get("recorded_by_name") or "—",
                    }
                    for p in vocab.PARTIES
                ]
            ),
            hide_index=True,
        )
        for role in roles:
            mine = [o for o in progress["objectives"] if o["role"] == role]
            if not mine:
                continue
            st.markdown(f"**{ui.md(L('role', role))}**")
            for o in mine:
                with st.container(border=True):
                    row = st.container(horizontal=True, vertical_alignment="center")
                    row.markdown(ui.md(o["text"]))
                    ui.status_badge(row, "objective_status", o["shown_status"])
                    if o["suggested"]:
                        row.caption(t("stint.suggested"))
                    st.caption(ui.tm("stint.objective_line", target=o["target"], due=o["due_date"], n=o["linked"]))
                    if can("agreement.draft", pid):
                        edit_objective(row, current, o)
                    if o["links"]:
                        with st.expander(t("stint.linked_work", n=o["linked"])):
                            for item in o["links"]:
                                c = st.columns([6, 1])
                                c[0].markdown(
                                    ui.tm(
                                        "stint.linked_item",
                                        kind=t(f"stint.kind_{item['kind']}"),
                                        day=item["day"] or "",
                                        title=item["title"] or "—",
                                    )
                                )
                                act(
                                    can("objective.link", pid)
                                    and c[1].button(t("stint.unlink"), key=f"st_unlink_{item['id']}", type="tertiary"),
                                    "stint.unlinked",
                                    "agreement",
                                    agreements.unlink,
                                    store,
                                    actor,
                                    item["id"],
                                )
                    if can("objective.status") and current["status"] != "superseded":
                        set_status(row, o)

    if current is not None and can("agreement.agree") and current["status"] == "draft":
        waiting = [p for p in vocab.PARTIES if p not in current["parties"]]
        with st.container(key="st_agree"), st.form(f"st_agree_{current['id']}"):
            st.markdown(ui.tm("stint.record_agreement"))
            c = st.columns([2, 3, 2])
            party = c[0].selectbox(t("field.party"), waiting, format_func=fmt("party"), placeholder=t("common.choose"))
            signatory = c[1].text_input(t("field.signatory"), max_chars=60)
            on = c[2].text_input(
                t("field.agreed_on"), value=today.isoformat(), max_chars=20, help=t("common.date_help")
            )
            act(
                st.form_submit_button(t("stint.agree"), type="primary", icon=":material/handshake:"),
                "stint.agreed",
                "agreement",
                agreements.agree,
                store,
                actor,
                current["id"],
                party,
                signatory=signatory,
                on=on,
            )

    if can("objective.link", pid) and progress["objectives"]:
        with st.expander(t("stint.link_work"), icon=":material/link:"):
            pool = agreements.linkable(store, actor, pid)
            objectives = {o["id"]: o for o in progress["objectives"]}
            c = st.columns([3, 2])
            objective = c[0].selectbox(
                t("field.objective"),
                list(objectives),
                key="st_link_obj",
                format_func=lambda i: f"{L('role', objectives[i]['role'])} · {objectives[i]['text']}",
                placeholder=t("common.choose"),
            )
            kind = c[1].selectbox(
                t("field.link_kind"),
                agreements.LINK_KINDS,
                key="st_link_kind",
                format_func=lambda k: t(f"stint.kind_{k}"),
                placeholder=t("common.choose"),
            )
            items = {i["id"]: i for i in pool[kind]}
            if not items:
                st.caption(ui.tm(f"stint.nothing_to_link_{kind}"))
            else:
                chosen = st.multiselect(
                    t("stint.items"),
                    list(items),
                    key=f"st_link_items_{kind}",
                    format_func=lambda i: f"{items[i]['day']} · {items[i]['title']}",
                    placeholder=t("common.choose"),
                )
                if st.button(t("stint.link"), type="primary", icon=":material/add_link:", disabled=not chosen):
                    linked = 0
                    for item in chosen:
                        if ui.attempt(agreements.link, store, actor, objective, kind, item):
                            linked += 1
                    if linked == len(chosen):
                        ui.flash(ui.tm("stint.linked", n=linked), section="agreement")
                        st.session_state.pop(f"st_link_items_{kind}", None)
                        st.rerun()

    if can("agreement.draft", pid):
        if current is not None and current["status"] == "agreed":
            st.caption(ui.tm("stint.amend_help"))
        with st.expander(
            t("stint.add_objective"),
            icon=":material/add_task:",
            expanded=current is None or current["status"] == "draft",
        ):
            with st.container(key="st_add_objective"), st.form("st_add_objective_form"):
                # a new set of inputs after each objective added, so the form starts empty again
                fresh = st.session_state.setdefault("st_new_obj_n", 0)
                new = objective_fields(st, f"st_new_obj_{fresh}")
                added = st.form_submit_button(t("stint.add_objective"), type="primary", icon=":material/add:")
            if (added and ui.attempt(agreements.check_objective, store, actor, pid, new)
                    and ui.attempt(agreements.draft, store, actor, pid, objectives=[*carried(current), new])):
                st.session_state["st_new_obj_n"] = fresh + 1
                done("stint.draft_saved", "agreement")
        if current is not None:
            with st.expander(t("stint.details"), icon=":material/edit_document:"):
                with st.form("st_details"):
                    c = st.columns(3)
                    post = c[0].text_input(t("field.post"), value=current.get("post") or "", max_chars=60)
                    start = c[1].text_input(t("field.start_date"), value=current["start_date"], max_chars=20)
                    end = c[2].text_input(t("field.end_date"), value=current["end_date"], max_chars=20)
                    notes = st.text_area(t("field.notes"), value=current.get("notes") or "", max_chars=2000)
                    saved = st.form_submit_button(t("common.save"), icon=":material/save:")
                act(
                    saved,
                    "stint.draft_saved",
                    "agreement",
                    agreements.draft,
                    store,
                    actor,
                    pid,
                    objectives=carried(current),
                    post=post,
                    start_date=start,
                    end_date=end,
                    notes=notes,
                )

    if len(versions) > 1:
        with st.expander(t("stint.history", n=len(versions)), icon=":material/history:"):
            for v in versions:
                st.markdown(
                    ui.tm(
                        "stint.history_line",
                        n=v["version"],
                        status=L("agreement_status", v["status"]),
                        agreed=clock.local_time(v["agreed_at"], "%Y-%m-%d") if v["agreed_at"] else "—",
                        count=len(v["objectives"]),
                    )
                )
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                t("field.role"): L("role", o["role"]),
                                t("field.objective"): o["text"],
                                t("field.target"): o["target"],
                                t("field.due_date"): o["due_date"],
                            }
                            for o in v["objectives"]
                        ]
                    ),
                    hide_index=True,
                )


# --- declarations ------------------------------------------------------------------------------------------------


def show_declarations() -> None:
    ui.show_flash(section="declarations")
    data = stint.declarations(store, actor, pid)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("field.declaration"): L("declaration", d["kind"]),
                    t("stint.required"): t("common.yes") if d["required"] else t("common.no"),
                    t("field.signed_on"): d["row"]["signed_on"] if d["row"] else t("stint.not_yet"),
                    t("stint.recorded_by"): (d["row"] or {}).get("recorded_by_name") or "—",
                    t("field.note"): (d["row"] or {}).get("note") or "",
                }
                for d in data["kinds"]
            ]
        ),
        hide_index=True,
    )
    st.caption(ui.tm("stint.declarations_help"))
    open_kinds = [d["kind"] for d in data["kinds"] if d["row"] is None]
    if can("declaration.record") and open_kinds:
        with st.form("st_declare"):
            c = st.columns([2, 2, 3])
            kind = c[0].selectbox(
                t("field.declaration"), open_kinds, format_func=fmt("declaration"), placeholder=t("common.choose")
            )
            signed = c[1].text_input(
                t("field.signed_on"), value=today.isoformat(), max_chars=20, help=t("common.date_help")
            )
            note = c[2].text_input(t("field.note"), max_chars=1000)
            act(
                st.form_submit_button(t("stint.record_declaration"), type="primary", icon=":material/verified:"),
                "stint.declared",
                "declarations",
                stint.record_declaration,
                store,
                actor,
                pid,
                kind,
                signed_on=signed,
                note=note,
            )


# --- monthly self-checks ---------------------------------------------------------------------------------------------


def show_checkins() -> None:
    ui.show_flash(section="checkins")
    months = summary["checkins"]
    if not months:
        ui.empty("stint.no_months")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("field.month"): m["month"],
                    t("field.status"): L("checkin_status", m["row"]["status"]) if m["row"] else t("stint.not_yet"),
                    t("stint.due"): m["due"],
                    t("stint.late"): "⚠" if m["late"] else "",
                    t("stint.submitted_at"): clock.local_time(m["row"]["submitted_at"])
                    if m["row"] and m["row"]["submitted_at"]
                    else "",
                }
                for m in months
            ]
        ),
        hide_index=True,
    )
    writable = can("checkin.write", pid)
    by_month = {m["month"]: m for m in months}
    month = st.selectbox(t("field.month"), list(by_month), key=f"st_month_{pid}", placeholder=t("common.choose"))
    row = by_month[month]["row"]
    if row and row["status"] != "draft":
        with st.container(border=True):
            line = st.container(horizontal=True)
            ui.status_badge(line, "checkin_status", row["status"])
            st.markdown(ui.md(row["summary"]))
            if row["next_plan"]:
                st.caption(ui.tm("stint.next_plan_line", text=row["next_plan"]))
            if row["comment"]:
                st.caption(ui.tm("stint.comment_line", text=row["comment"]))
        if row["status"] == "submitted" and can("checkin.review"):
            with st.form(f"st_ack_{row['id']}"):
                comment = st.text_input(t("field.comment"), max_chars=1000)
                act(
                    st.form_submit_button(t("stint.acknowledge"), type="primary", icon=":material/done_all:"),
                    "stint.acknowledged",
                    "checkins",
                    stint.acknowledge_checkin,
                    store,
                    actor,
                    row["id"],
                    comment,
                )
        return
    if not writable:
        st.caption(ui.tm("stint.checkin_waiting"))
        return
    key = f"st_ck_{pid}_{month}"
    if key not in st.session_state:
        st.session_state[key] = row["summary"] if row else stint.checkin_draft(store, actor, pid, month, lang)
    st.caption(ui.tm("stint.checkin_help"))
    with st.popover(t("stint.redraft"), icon=":material/auto_awesome:"):
        st.caption(ui.tm("stint.redraft_confirm"))
        if st.button(t("stint.redraft_go"), key=f"{key}_redraft", type="primary"):
            st.session_state[key] = stint.checkin_draft(store, actor, pid, month, lang)
            st.rerun()
    text = st.text_area(t("field.summary_text"), key=key, height=260, max_chars=6000)
    plan = st.text_area(
        t("field.next_plan"), value=(row or {}).get("next_plan") or "", max_chars=2000, key=f"{key}_plan"
    )
    b = st.container(horizontal=True)
    act(
        b.button(t("stint.save_checkin"), icon=":material/save:", key=f"{key}_save"),
        "common.saved",
        "checkins",
        stint.save_checkin,
        store,
        actor,
        pid,
        month,
        summary=text,
        next_plan=plan,
    )
    if b.button(t("stint.submit_checkin"), type="primary", icon=":material/send:", key=f"{key}_ask"):
        st.session_state[f"{key}_confirm"] = True
    if st.session_state.get(f"{key}_confirm"):
        st.warning(ui.tm("stint.submit_checkin_confirm", month=month), icon=":material/lock:")
        if ui.confirm_buttons(
            t("stint.submit_checkin"), key=f"{key}_go", on_cancel=lambda: st.session_state.pop(f"{key}_confirm", None)
        ):
            st.session_state.pop(f"{key}_confirm", None)
            if ui.attempt(stint.save_checkin, store, actor, pid, month, summary=text, next_plan=plan, submit=True):
                done("stint.checkin_submitted", "checkins")


# --- visits ------------------------------------------------------------------------------------------------------


def show_visits() -> None:
    ui.show_flash(section="visits")
    rows = summary["visits"]
    if not rows:
        ui.empty("stint.no_visits")
    for v in rows:
        with st.expander(ui.tm("stint.visit_title", day=v["visit_date"], who=v["visitors"]), expanded=v is rows[0]):
            for field in ("met", "heard_enterprise", "heard_secondee", "problems"):
                if v[field]:
                    st.markdown(f"**{ui.md(t(f'field.{field}'))}**  \n{ui.md(v[field])}")
            for a in v["actions"]:
                c = st.columns([6, 2])
                state = (
                    t("stint.action_done")
                    if a["done_at"]
                    else (t("stint.action_overdue") if a["due_date"] < today.isoformat() else t("stint.action_open"))
                )
                c[0].markdown(
                    ui.tm(
                        "stint.action_line",
                        action=a["action"],
                        owner=a["owner_name"] or "—",
                        due=a["due_date"],
                        state=state,
                    )
                )
                act(
                    not a["done_at"]
                    and can("visit.record")
                    and c[1].button(t("stint.mark_done"), key=f"st_act_{a['id']}", icon=":material/task_alt:"),
                    "stint.action_marked",
                    "visits",
                    stint.complete_action,
                    store,
                    actor,
                    a["id"],
                )
    if not can("visit.record"):
        return
    owners = stint.action_owners(store, actor)
    shown = [o["display_name"] or o["username"] for o in owners]
    # two people of the same name are told apart by their usernames
    owner_names = {o["id"]: (name if shown.count(name) == 1 else f"{name} ({o['username']})")
                   for o, name in zip(owners, shown)}
    with (
        st.expander(t("stint.new_visit"), icon=":material/directions_walk:", expanded=not rows),
        st.form("st_visit", clear_on_submit=False),
    ):
        c = st.columns([1, 3])
        day = c[0].text_input(t("field.visit_date"), value=today.isoformat(), max_chars=20, help=t("common.date_help"))
        visitors = c[1].text_input(t("field.visitors"), max_chars=200, placeholder=t("stint.visitors_hint"))
        met = st.text_input(t("field.met"), max_chars=200)
        heard_e = st.text_area(t("field.heard_enterprise"), max_chars=4000)
        heard_s = st.text_area(t("field.heard_secondee"), max_chars=4000)
        problems = st.text_area(t("field.problems"), max_chars=4000)
        st.markdown(ui.tm("stint.follow_ups"))
        actions = st.data_editor(
            pd.DataFrame(
                {"action": pd.Series(dtype="str"), "owner": pd.Series(dtype="str"), "due_date": pd.Series(dtype="str")}
            ),
            num_rows="dynamic",
            hide_index=True,
            key="st_visit_actions",
            use_container_width=True,
            column_config={
                # (defaults for a new row, so no cell shows the grid's own English "None")
                "action": st.column_config.TextColumn(t("field.action"), max_chars=400, width="large", default=""),
                "owner": st.column_config.SelectboxColumn(
                    t("field.owner"), options=list(owner_names.values()),
                    default=owner_names.get(actor.user_id) or next(iter(owner_names.values()), None)),
                "due_date": st.column_config.TextColumn(t("field.due_date"), max_chars=10, help=t("common.date_help"),
                                                        default=(today + timedelta(days=14)).isoformat()),
            },
        )
        if st.form_submit_button(t("stint.record_visit"), type="primary", icon=":material/save:"):
            by_name = {name: i for i, name in owner_names.items()}
            rows_in = [
                {"action": r["action"], "owner_id": by_name.get(r["owner"]), "due_date": r["due_date"]}
                for r in actions.to_dict("records")
            ]
            if ui.attempt(
                stint.record_visit,
                store,
                actor,
                pid,
                visit_date=day,
                visitors=visitors,
                met=met,
                heard_enterprise=heard_e,
                heard_secondee=heard_s,
                problems=problems,
                actions=rows_in,
            ):
                st.session_state.pop("st_visit_actions", None)
                done("stint.visit_recorded", "visits")


# --- leave ---------------------------------------------------------------------------------------------------------


def show_leave() -> None:
    calendar = holidays.calendar(store)
    ui.show_flash(section="leave")
    rules = notify.rules(store)
    st.caption(ui.tm("stint.leave_rules", host=rules["leave_host_days"], org=rules["leave_org_days"]))
    requests = summary["leave"]
    if not requests:
        ui.empty("stint.no_leave")
    for r in requests:
        with st.container(border=True):
            line = st.container(horizontal=True, vertical_alignment="center")
            line.markdown(
                ui.tm(
                    "stint.leave_line",
                    kind=L("leave_kind", r["kind"]),
                    start=r["start_date"],
                    end=r["end_date"],
                    n=r["days"],
                )
            )
            ui.status_badge(line, "leave_status", r["status"])
            line.caption(L("leave_approver", r["approver"]))
            st.caption(ui.md(r["reason"]))
            if r["decision_note"]:
                st.caption(ui.tm("stint.decision_line", text=r["decision_note"], who=r["decided_by_name"] or "—"))
            if r["back_on"]:
                st.caption(ui.tm("stint.back_line", day=r["back_on"]))
            b = st.container(horizontal=True)
            if r["status"] == "pending" and can("leave.decide"):
                b.text_input(
                    t("field.note"),
                    key=f"st_lv_note_{r['id']}",
                    max_chars=1000,
                    label_visibility="collapsed",
                    placeholder=t("stint.decision_note"),
                )
                # In the buttons' callbacks (ui.act): a request another reviewer decided a moment before is
                # answered with its new state, not dropped with the buttons it no longer has.
                for decision, label, message in (("approved", "stint.approve", "stint.leave_approved"),
                                                 ("rejected", "stint.reject", "stint.leave_rejected")):
                    b.button(t(label), key=f"st_lv_{'ok' if decision == 'approved' else 'no'}_{r['id']}",
                             type="primary" if decision == "approved" else "secondary",
                             **ui.act(decide_leave, r["id"], decision, done=ui.tm(message), section="leave",
                                      inline="leave"))
            if can("leave.request", pid):
                if r["status"] == "pending" or (r["status"] == "approved" and r["start_date"] > today.isoformat()):
                    act(
                        b.button(t("stint.cancel_leave"), key=f"st_lv_cancel_{r['id']}", type="tertiary"),
                        "stint.leave_cancelled",
                        "leave",
                        leave.cancel,
                        store,
                        actor,
                        r["id"],
                    )
                if r["status"] == "approved" and not r["back_on"] and r["start_date"] <= today.isoformat():
                    with b.popover(t("stint.back_from_leave"), icon=":material/login:"):
                        day = st.text_input(t("field.back_on"), value=min(today, calendar.add_working_days(
                            date.fromisoformat(r["end_date"]), 1)).isoformat(), max_chars=20,
                            key=f"st_lv_back_day_{r['id']}", help=t("common.date_help"))
                        act(st.button(t("common.save"), key=f"st_lv_back_{r['id']}", type="primary"),
                            "stint.leave_back", "leave", leave.back, store, actor, r["id"], day)
    if can("leave.request", pid):
        with st.expander(t("stint.ask_leave"), icon=":material/event_busy:"), st.form("st_leave"):
            c = st.columns(3)
            kind = c[0].selectbox(
                t("field.leave_kind"), vocab.LEAVE_KINDS, format_func=fmt("leave_kind"), placeholder=t("common.choose")
            )
            start = c[1].text_input(t("field.start_date"), max_chars=20, help=t("common.date_help"))
            end = c[2].text_input(t("field.end_date"), max_chars=20, help=t("common.date_help"))
            reason = st.text_area(t("field.reason"), max_chars=1000)
            if st.form_submit_button(t("stint.send_leave"), type="primary", icon=":material/send:"):
                made = ui.attempt(
                    leave.request, store, actor, pid, kind=kind, start_date=start, end_date=end, reason=reason
                )
                if made:
                    ui.flash(
                        ui.tm("stint.leave_sent", n=made["days"], approver=L("leave_approver", made["approver"])),
                        section="leave",
                    )
                    st.rerun()
    st.markdown(ui.tm("stint.attendance"))
    months = [m["month"] for m in summary["checkins"]][:6] or [today.strftime("%Y-%m")]
    rows = [r for month in months for r in leave.attendance(store, actor, month=month, participant_id=pid)]
    if rows:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("field.month"): r["month"],
                        t("stint.working_days"): r["working_days"],
                        t("stint.leave_days"): r["leave_days"],
                        t("stint.present_days"): r["present_days"],
                        t("stint.weeks_logged"): r["weeks_logged"],
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
        )


# --- assessment ---------------------------------------------------------------------------------------------------


def show_assessment() -> None:
    ui.show_flash(section="assessment")
    data = assessment.get(store, actor, pid)
    stage = data["stage"]
    line = st.container(horizontal=True)
    ui.status_badge(line, "assessment_stage", stage)
    if data.get("conclusion"):
        ui.status_badge(line, "conclusion", data["conclusion"])
    concluded = stage == "concluded"
    line.download_button(
        t("docs.download_appraisal"),
        lambda: documents.appraisal_file(store, actor, pid, lang=lang)[0],
        file_name=f"{t('docs.kind_appraisal')}_{person['name']}.docx".replace("/", "_"),
        mime=documents.MIME["docx"],
        key=f"st_appraisal_{pid}",
        icon=":material/download:",
        help=t("docs.download_appraisal_help"),
    )

    st.markdown(ui.tm("stint.part_self"))
    if can("assessment.self", pid) and not concluded:
        key = f"st_self_{pid}"
        if key not in st.session_state:
            st.session_state[key] = data.get("self_text") or assessment.self_draft(store, actor, pid, lang)
        st.caption(ui.tm("stint.self_help"))
        text = st.text_area(t("field.self_text"), key=key, height=240, max_chars=8000)
        act(
            st.button(t("stint.save_self"), type="primary", icon=":material/save:", key=f"{key}_save"),
            "common.saved",
            "assessment",
            assessment.save_self,
            store,
            actor,
            pid,
            text,
        )
    elif data.get("self_text"):
        st.markdown(ui.md(data["self_text"]))
    else:
        st.caption(ui.tm("stint.not_yet"))

    st.markdown(ui.tm("stint.part_host"))
    if data.get("host_at"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        L("appraisal_dimension", d): L("appraisal_grade", data[f"host_{d}"])
                        for d in vocab.APPRAISAL_DIMENSIONS
                    }
                ]
            ),
            hide_index=True,
        )
        st.markdown(ui.md(data["host_comment"]))
        st.caption(
            ui.tm("stint.signed_line", who=data["host_signatory"], day=clock.local_time(data["host_at"], "%Y-%m-%d"))
        )
    else:
        st.caption(ui.tm("stint.not_yet"))
    if can("assessment.manage") and not data.get("host_at") and not concluded:
        for link in data["links"]:
            state = (
                "used"
                if link["used_at"]
                else "revoked"
                if link["revoked_at"]
                else "expired"
                if link["expires_at"] <= clock.stamp()
                else "open"
            )
            st.caption(
                ui.tm(
                    "stint.link_line",
                    contact=link["contact"],
                    made=clock.local_time(link["created_at"]),
                    until=clock.local_time(link["expires_at"]),
                    state=t(f"stint.link_{state}"),
                )
            )
        issued = st.session_state.get(f"st_issued_{pid}")
        if issued:
            st.success(ui.tm("stint.link_issued", until=clock.local_time(issued["expires_at"])), icon=":material/link:")
            ui.code(assessment.link_url(ui.public_origin(), issued["token"]), language=None)
        with st.form("st_issue_link"):
            contact = st.text_input(t("stint.host_contact"), max_chars=60)
            if st.form_submit_button(t("stint.issue_link"), icon=":material/add_link:"):
                made = ui.attempt(assessment.issue_link, store, actor, pid, contact=contact)
                if made:
                    st.session_state[f"st_issued_{pid}"] = made
                    st.rerun()
        with st.expander(t("stint.host_on_paper"), icon=":material/edit_note:"), st.form("st_host_paper"):
            cols = st.columns(len(vocab.APPRAISAL_DIMENSIONS))
            scores = {
                d: cols[i].selectbox(
                    L("appraisal_dimension", d),
                    vocab.APPRAISAL_GRADES,
                    index=None,
                    format_func=fmt("appraisal_grade"),
                    placeholder=t("common.choose"),
                )
                for i, d in enumerate(vocab.APPRAISAL_DIMENSIONS)
            }
            comment = st.text_area(t("field.host_comment"), max_chars=4000)
            signatory = st.text_input(t("field.signatory"), max_chars=60)
            act(
                st.form_submit_button(t("stint.record_host"), type="primary"),
                "stint.host_recorded",
                "assessment",
                assessment.record_host,
                store,
                actor,
                pid,
                scores=scores,
                comment=comment,
                signatory=signatory,
            )

    st.markdown(ui.tm("stint.part_home"))
    if data.get("home_at"):
        st.markdown(ui.md(data["home_view"]))
        st.caption(
            ui.tm("stint.signed_line", who=data["home_signatory"], day=clock.local_time(data["home_at"], "%Y-%m-%d"))
        )
    elif not can("assessment.manage"):
        st.caption(ui.tm("stint.not_yet"))
    if can("assessment.manage") and not concluded:
        with st.form("st_home"):
            view = st.text_area(t("field.home_view"), value=data.get("home_view") or "", max_chars=4000)
            signatory = st.text_input(t("field.signatory"), value=data.get("home_signatory") or "", max_chars=60)
            act(
                st.form_submit_button(t("stint.record_home")),
                "stint.home_recorded",
                "assessment",
                assessment.record_home,
                store,
                actor,
                pid,
                view=view,
                signatory=signatory,
            )

    st.markdown(ui.tm("stint.part_conclusion"))
    if concluded:
        st.markdown(
            ui.tm(
                "stint.conclusion_line",
                conclusion=L("conclusion", data["conclusion"]),
                who=data.get("conclusion_by_name") or "—",
                day=clock.local_time(data["conclusion_at"], "%Y-%m-%d"),
            )
        )
        if data.get("conclusion_note"):
            st.caption(ui.md(data["conclusion_note"]))
    elif can("assessment.manage"):
        if not data.get("host_at"):
            st.caption(ui.tm("stint.conclusion_needs_host"))
        else:
            c = st.columns([2, 4])
            conclusion = c[0].selectbox(
                t("field.conclusion"),
                vocab.CONCLUSIONS,
                index=None,
                format_func=fmt("conclusion"),
                placeholder=t("common.choose"),
                key=f"st_concl_{pid}",
            )
            note = c[1].text_input(t("field.conclusion_note"), max_chars=2000, key=f"st_concl_note_{pid}")
            if st.button(t("stint.conclude"), type="primary", icon=":material/gavel:", disabled=conclusion is None):
                st.session_state["st_concl_confirm"] = True
            if st.session_state.get("st_concl_confirm") and conclusion:
                st.warning(
                    ui.tm("stint.conclude_confirm", conclusion=L("conclusion", conclusion)), icon=":material/lock:"
                )
                if ui.confirm_buttons(
                    t("stint.conclude"),
                    key="st_concl_go",
                    on_cancel=lambda: st.session_state.pop("st_concl_confirm", None),
                ):
                    st.session_state.pop("st_concl_confirm", None)
                    if ui.attempt(assessment.conclude, store, actor, pid, conclusion, note):
                        done("stint.concluded", "assessment")
    else:
        st.caption(ui.tm("stint.not_yet"))


# --- return ----------------------------------------------------------------------------------------------------


def show_return() -> None:
    ui.show_flash(section="return")
    row = summary["return"]
    if row:
        with st.container(border=True):
            st.markdown(
                ui.tm(
                    "stint.return_line",
                    day=row["return_date"],
                    outcome=L("return_outcome", row["outcome"]),
                    post=row["post"] or "—",
                )
            )
            if row["notes"]:
                st.caption(ui.md(row["notes"]))
    else:
        ui.empty("stint.no_return")
    if can("return.record"):
        with (
            st.expander(
                t("stint.record_return") if not row else t("stint.change_return"),
                icon=":material/keyboard_return:",
                expanded=not row and person["status"] == "completed",
            ),
            st.form("st_return"),
        ):
            c = st.columns(3)
            day = c[0].text_input(
                t("field.return_date"),
                value=(row or {}).get("return_date")
                or (person["end_date"] if person["end_date"] <= today.isoformat() else ""),
                max_chars=20,
                help=t("common.date_help"),
            )
            outcomes = list(vocab.RETURN_OUTCOMES)
            outcome = c[1].selectbox(
                t("field.return_outcome"),
                outcomes,
                format_func=fmt("return_outcome"),
                index=outcomes.index(row["outcome"]) if row else None,
                placeholder=t("common.choose"),
            )
            post = c[2].text_input(t("field.return_post"), value=(row or {}).get("post") or "", max_chars=60)
            notes = st.text_area(t("field.notes"), value=(row or {}).get("notes") or "", max_chars=2000)
            act(
                st.form_submit_button(t("common.save"), type="primary", icon=":material/save:"),
                "stint.return_saved",
                "return",
                stint.record_return,
                store,
                actor,
                pid,
                return_date=day,
                outcome=outcome,
                post=post,
                notes=notes,
            )


SHOW = {
    "agreement": show_agreement,
    "declarations": show_declarations,
    "checkins": show_checkins,
    "visits": show_visits,
    "leave": show_leave,
    "assessment": show_assessment,
    "return": show_return,
}
for name, tab in tabs.items():
    with tab:
        if tab.open:
            SHOW[name]()
