"""Roster: every participant since 2010 with filters, a table that opens a profile, editing for reviewers,
downloads of what is shown, and an Import tab that previews a spreadsheet before anything is written."""
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from secondment import clock, permissions, roster, roster_import, ui, units, validation, vocab

actor = ui.page_gate("roster")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it
today = clock.today()


editor = permissions.can(actor, "participant.edit")
importer = permissions.can(actor, "participant.import")
exporter = permissions.can(actor, "participant.export")
own_only = permissions.scope(actor, "participant.read") is not None

st.title(ui.tm("nav.roster"))
st.caption(ui.tm("roster.subtitle_own" if own_only else "roster.subtitle"))
ui.show_flash()

if own_only and actor.participant_id is None:
    ui.empty("roster.no_record")
    st.stop()


# --- dialogs: confirmations before a stint is ended or withdrawn ---------------------------------------------

@st.dialog(ui.tm("roster.end_early"))
def end_early_dialog(person: dict) -> None:
    end = date.fromisoformat(person["end_date"])
    start = date.fromisoformat(person["start_date"])
    st.write(ui.tm("roster.end_early_intro", name=person["name"], end=person["end_date"]))
    latest = max(start, end - timedelta(days=1))
    new_end = ui.date_text(st, t("field.end_date"), value=min(max(today, start), latest), key="ro_end_date",
                           help=ui.tm("roster.end_between", start=start.isoformat(), end=latest.isoformat()))
    reason = st.text_area(t("field.reason"), placeholder=t("roster.reason_placeholder"), key="ro_end_reason")
    if ui.confirm_buttons(t("roster.confirm_end"), key="ro_end_confirm", icon=":material/event_busy:") and ui.attempt(
            roster.end_stint_early, store, actor, person["id"], new_end, reason) is not None:
        ui.flash(ui.tm("roster.ended", name=person["name"], end=validation.parse_date("end_date", new_end).isoformat()))
        st.rerun()


@st.dialog(ui.tm("roster.withdraw"))
def withdraw_dialog(person: dict) -> None:
    st.warning(ui.tm("roster.withdraw_intro", name=person["name"]))
    reason = st.text_area(t("field.reason"), key="ro_withdraw_reason")
    confirmed = ui.confirm_buttons(t("roster.confirm_withdraw"), key="ro_withdraw_confirm", icon=":material/block:")
    if confirmed and ui.attempt(roster.withdraw, store, actor, person["id"], reason) is not None:
        ui.flash(ui.tm("roster.withdrawn", name=person["name"]))
        st.rerun()


# --- unit choosers ------------------------------------------------------------------------------------------

def unit_choices(direction: str, side: str) -> dict[int, str]:
    kinds = (roster.HOME_KINDS if side == "home" else roster.HOST_KINDS)[direction]
    return {u["id"]: u["name"] for u in units.list_units(store, actor, kind=kinds)}


def unit_select(container, label: str, choices: dict[int, str], current: int | None, key: str):
    ids = list(choices)
    if current is not None and current not in choices:   # a deactivated unit still shows what is stored
        ids.insert(0, current)
    if not ids:  # nothing to choose yet: say where units come from instead of an empty list
        container.selectbox(label, ["—"], disabled=True, key=key, placeholder=ui.t("common.choose"))
        container.caption(ui.tm("roster.no_units", kind=label))
        return None
    return container.selectbox(label, ids, index=ids.index(current) if current in ids else None, key=key,
                               format_func=lambda i: choices.get(i, f"#{i}"), placeholder="—")


def person_fields(prefix: str, direction: str, person: dict | None = None) -> dict:
    """The participant form's widgets (inside a st.form); returns the values."""
    person = person or {}
    c = st.columns(3)
    values = {"name": c[0].text_input(t("field.name"), value=person.get("name", ""), key=f"{prefix}_name")}
    genders = [None, *vocab.GENDERS]
    values["gender"] = c[1].selectbox(t("field.gender"), genders, index=genders.index(person.get("gender")),
                                      format_func=lambda g: "—" if g is None else L("gender", g),
                                      key=f"{prefix}_gender", placeholder=ui.t("common.choose"))
    politics = [None, *vocab.POLITICAL_STATUSES]
    values["political_status"] = c[2].selectbox(
        t("field.political_status"), politics, index=politics.index(person.get("political_status")),
        format_func=lambda g: "—" if g is None else L("political_status", g), key=f"{prefix}_politics", placeholder=ui.t("common.choose"))
    c = st.columns(3)
    values["home_unit_id"] = unit_select(c[0], t("field.home_unit"), unit_choices(direction, "home"),
                                         person.get("home_unit_id"), f"{prefix}_home")
    values["host_unit_id"] = unit_select(c[1], t("field.host_unit"), unit_choices(direction, "host"),
                                         person.get("host_unit_id"), f"{prefix}_host")
    values["post"] = c[2].text_input(t("field.post"), value=person.get("post") or "", key=f"{prefix}_post")
    c = st.columns(3)
    values["start_date"] = ui.date_text(c[0], t("field.start_date"), value=person.get("start_date"),
                                        key=f"{prefix}_start")
    values["end_date"] = ui.date_text(c[1], t("field.end_date"), value=person.get("end_date"), key=f"{prefix}_end")
    statuses = [None, *vocab.PARTICIPANT_STATUSES] if not person else list(vocab.PARTICIPANT_STATUSES)
    values["status"] = c[2].selectbox(
        t("field.status"), statuses, index=statuses.index(person["status"]) if person else 0,
        format_func=lambda s: t("roster.status_auto") if s is None else L("participant_status", s),
        key=f"{prefix}_status", placeholder=ui.t("common.choose"))
    c = st.columns([1, 2])
    values["contact"] = c[0].text_input(t("field.contact"), value=person.get("contact") or "", key=f"{prefix}_contact")
    values["notes"] = c[1].text_area(t("field.notes"), value=person.get("notes") or "", key=f"{prefix}_notes",
                                     height=68)
    return values


# --- the roster tab ---------------------------------------------------------------------------------------

def draw_roster() -> None:
    total = roster.count_participants(store, actor)
    filters: dict = {}
    if own_only:
        st.info(ui.tm("roster.own_only"), icon=":material/lock:")
    elif total:
        opts = roster.filter_options(store, actor)
        with st.container(border=True):
            c = st.columns([3, 2, 1, 1])
            filters["text"] = c[0].text_input(t("common.search"), key="ro_text", placeholder=t("roster.search")) or None
            filters["direction"] = ui.select_or_all(c[1], t("field.direction"), vocab.DIRECTIONS, key="ro_direction",
                                                    format="direction_short")
            filters["batch"] = ui.select_or_all(c[2], t("field.batch"), opts["batches"], key="ro_batch")
            filters["year"] = ui.select_or_all(c[3], t("roster.intake_year"), opts["years"], key="ro_year")
            c = st.columns([1, 2, 2])
            filters["status"] = ui.select_or_all(c[0], t("field.status"), vocab.PARTICIPANT_STATUSES, key="ro_status",
                                                 format="participant_status")
            host = ui.select_or_all(c[1], t("field.host_unit"), opts["host_units"], key="ro_host",
                                    format=lambda u: u[1])
            filters["host_unit"] = host[0] if host else None
            filters["street"] = ui.select_or_all(c[2], t("roster.street"), opts["streets"], key="ro_street")
    filters = {k: v for k, v in filters.items() if v is not None}
    rows = roster.list_participants(store, actor, **filters)
    if not rows:
        ui.empty("roster.empty" if filters else "roster.empty_all")
    else:
        # A national roster is turned page by page: ten thousand rows would be sent to the browser on every run.
        matched = len(rows)
        pager = st.container(horizontal=True, vertical_alignment="bottom")
        limit, offset = ui.paginate(matched, ui.ROSTER_ROWS, key="ro_page", container=pager,
                                    reset=repr(sorted(filters.items())))
        rows = rows[offset:offset + limit]
        caption = ui.tm("common.shown_of", shown=matched, total=total)
        if matched > limit:
            caption += " " + ui.tm("roster.page_rows", first=offset + 1, last=offset + len(rows))
        pager.caption(caption)
        frame = pd.DataFrame({
            t("field.name"): [r["name"] for r in rows],
            t("field.batch"): [r["batch"] for r in rows],
            t("field.direction"): [L("direction_short", r["direction"]) for r in rows],
            t("field.home_unit"): [r["home_unit"] for r in rows],
            t("field.host_unit"): [r["host_unit"] for r in rows],
            t("field.post"): [r["post"] or "" for r in rows],
            t("field.start_date"): [r["start_date"] for r in rows],
            t("field.end_date"): [r["end_date"] for r in rows],
            t("field.status"): [L("participant_status", r["status"]) for r in rows],
        })
        # Widths that fit the nine columns in the page without a sideways scroll on a laptop.
        widths = {"field.name": 64, "field.batch": 44, "field.direction": 80 if lang == "zh" else 120,
                  "field.home_unit": 120, "field.host_unit": 190, "field.post": 124, "field.start_date": 84,
                  "field.end_date": 84, "field.status": 60 if lang == "zh" else 86}
        small = {t(k): st.column_config.TextColumn(width=w) for k, w in widths.items()}
        event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", column_config=small,
                             selection_mode="single-row", key=f"ro_table_{offset}",
                             height="auto" if len(rows) <= 15 else 560)
        person = ui.picked_row(event, rows) or (rows[0] if own_only else None)
        if person is None:
            st.caption(ui.tm("roster.select_hint" if editor else "roster.select_hint_read"))
        else:
            draw_selected(person)
        if exporter:
            st.caption(ui.tm("roster.downloads"))
            ui.downloads(lambda: roster.export_frame(store, actor, lang, **filters), t("roster.file_stem"),
                         key="ro_dl", sheet=t("nav.roster"))
    if editor:
        draw_add()


def draw_selected(person: dict) -> None:
    with st.container(border=True):
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**{ui.tm('roster.selected', name=person['name'], batch=person['batch'])}**")
        ui.page_link(head, "profile", t("roster.open_profile"), ":material/badge:", {"id": str(person["id"])})
        if not editor:
            return
        steps = roster.stint_steps(person, today)   # nothing for a stint that is over or withdrawn
        if "end_early" in steps and head.button(t("roster.end_early"), key="ro_end_btn",
                                                icon=":material/event_busy:"):
            end_early_dialog(person)
        if "withdraw" in steps and head.button(t("roster.withdraw"), key="ro_withdraw_btn", icon=":material/block:"):
            withdraw_dialog(person)
        with st.expander(ui.tm("roster.edit_title", name=person["name"]), icon=":material/edit:"):
            with st.form(f"ro_edit_{person['id']}"):
                values = person_fields(f"ro_e{person['id']}", person["direction"], person)
                saved = st.form_submit_button(t("common.save"), type="primary", icon=":material/save:")
            if saved:
                changes = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
                before = roster.get_participant(store, actor, person["id"])
                after = ui.attempt(roster.update_participant, store, actor, person["id"], **changes)
                if after is not None:
                    same = all(before.get(k) == after.get(k) for k in roster.EDITABLE)
                    ui.flash(ui.tm("roster.unchanged") if same else ui.tm("roster.updated", name=after["name"]))
                    st.rerun()


def draw_add() -> None:
    with st.expander(t("roster.add"), icon=":material/person_add:"):
        batches = roster.list_batches(store, actor)
        if not batches:
            ui.empty("roster.add_batch_first")
            return
        by_id = {b["id"]: b for b in batches}
        def batch_label(i: int) -> str:
            b = by_id[i]
            return f"{b['code']} · {L('direction_short', b['direction'])} · {b['start_date']} – {b['end_date']}"

        batch_id = st.selectbox(t("field.batch"), list(reversed(list(by_id))), key="ro_add_batch",
                                format_func=batch_label, placeholder=ui.t("common.choose"))
        batch = by_id[batch_id]
        with st.form("ro_add", clear_on_submit=False):
            values = person_fields("ro_add", batch["direction"])
            added = st.form_submit_button(t("common.add"), type="primary", icon=":material/person_add:")
        if added:
            clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
            pid = ui.attempt(roster.create_participant, store, actor, batch=batch_id, **clean)
            if pid is not None:
                ui.flash(ui.tm("roster.added", name=values["name"].strip()))
                st.rerun()


# --- the import tab -----------------------------------------------------------------------------------------

def draw_import() -> None:
    st.markdown(ui.tm("import.intro"))
    st.caption(ui.tm("import.rules"))
    c = st.container(horizontal=True)
    c.download_button(t("import.template"), roster_import.template_bytes("xlsx"),
                         file_name=f"{t('import.template_stem')}.xlsx", key="ro_tpl_xlsx", icon=":material/download:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c.download_button(t("import.template_csv"), roster_import.template_bytes("csv"),
                         file_name=f"{t('import.template_stem')}.csv", key="ro_tpl_csv", icon=":material/download:",
                         mime="text/csv")
    upload = st.file_uploader(t("import.upload"), type=["csv", "xlsx", "txt"], key="ro_upload")
    if upload is None:
        return
    # Checked once per uploaded file (a large one takes seconds), not again on every rerun of the page.
    held = st.session_state.get("ro_plan")
    if held and held[0] == (upload.file_id, lang):
        plan = held[1]
    else:
        plan = ui.attempt(roster_import.preview, store, actor, upload.getvalue(), upload.name, lang)
        if plan is None:
            return
        st.session_state["ro_plan"] = ((upload.file_id, lang), plan)
    frames = roster_import.preview_frames(plan, lang)
    st.info(roster_import.summary(plan, lang), icon=":material/fact_check:")
    m = [ui.metric_row()] * 5
    m[0].metric(t("import.adds"), len(plan.adds), border=True)
    m[1].metric(t("import.updates"), len(plan.updates), border=True)
    m[2].metric(t("import.unchanged"), len(plan.unchanged), border=True)
    m[3].metric(t("import.new_units"), len(plan.new_units), border=True)
    m[4].metric(t("import.errors"), len(plan.errors), border=True)
    if plan.ignored_columns:
        st.caption(ui.tm("import.ignored", columns=t("common.list_sep").join(plan.ignored_columns)))
    if plan.errors:
        st.error(ui.tm("import.errors_title", count=len(plan.errors)), icon=":material/error:")
        st.dataframe(frames["errors"], hide_index=True, width="stretch", key="ro_imp_errors")
        ui.downloads(frames["errors"], t("import.errors_file"), key="ro_imp_err_dl")
        return
    for part, title in (("adds", "import.adds"), ("updates", "import.updates"), ("new_units", "import.new_units")):
        if not frames[part].empty:
            st.subheader(ui.tm(title) + t("common.in_brackets", text=len(frames[part])))
            st.dataframe(frames[part], hide_index=True, width="stretch", key=f"ro_imp_{part}")
    if not (plan.adds or plan.updates or plan.new_units):
        st.success(ui.tm("import.nothing"), icon=":material/check_circle:")
        return
    if st.button(t("import.confirm"), type="primary", key="ro_imp_confirm", icon=":material/upload:"):
        with st.status(t("import.working"), expanded=True) as status:
            bar = st.progress(0)
            result = ui.attempt(roster_import.apply, store, actor, plan,
                                progress=lambda share: bar.progress(max(1, int(share * 100))))
            bar.progress(100)
            if result is None:
                status.update(state="error")
                return
            message = t("import.done", **result)
            status.update(label=message, state="complete")
        st.session_state.pop("ro_plan", None)
        ui.flash(message)
        st.rerun()


if importer:
    tab_roster, tab_import = st.tabs([t("roster.tab_roster"), t("roster.tab_import")])
    with tab_roster:
        draw_roster()
    with tab_import:
        draw_import()
else:
    draw_roster()
