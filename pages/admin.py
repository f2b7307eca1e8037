"""Administration (admins only): accounts, units and departments, and backups.

Thin page: every read and write goes through auth / units / backup / audit, which check the actor again.
Destructive changes (role change, password reset, deactivation) ask for confirmation in a dialog.
"""
import pandas as pd
import streamlit as st

from secondment import audit, auth, backup, clock, holidays, notify, permissions, stint, ui, units, vocab
from secondment.errors import ValidationError

actor = ui.page_gate("admin")
store = ui.store()
t = ui.t

st.title(ui.tm("admin.title"))

def table_height(rows: int, most: int = 20) -> int:
    """Show up to ``most`` rows without an inner scroll (35 px a row, plus the header)."""
    return 38 + 35 * max(1, min(rows, most))


stamp = clock.local_time  # stored in UTC, read in Shanghai time


def yes_no(value) -> str:
    return t("common.yes") if value else t("common.no")


def participant_picker(label_key: str, key: str, current: int | None = None) -> int | None:
    people = ui.attempt(auth.participant_choices, store, actor) or []
    if not people:
        st.warning(ui.tm("admin.no_participants"))
        return None
    by_id = {p["id"]: p for p in people}

    def show(pid):
        p = by_id[pid]
        text = t("admin.participant_option", name=p["name"], batch=p["batch"] or "—",
                 status=ui.label("participant_status", p["status"]))
        return f"{text} · {t('admin.already_linked', users=p['linked'])}" if p["linked"] else text

    ids = list(by_id)
    if len(ids) > ui.PICKER_ALL:      # a national roster: a search box and the first matches, not 10,000 options
        chosen = st.session_state.get(key)
        ids = ui.findable(people, chosen if chosen in by_id else current if current in by_id else None, key)
    index = ids.index(current) if current in ids else None
    return st.selectbox(t(label_key), ids, index=index, format_func=show, key=key,
                        placeholder=t("admin.choose_participant"))


def department_picker(label_key: str, key: str, current: int | None = None) -> int | None:
    departments = ui.attempt(units.list_units, store, actor, vocab.DEPARTMENT_KINDS) or []
    if not departments:
        st.warning(ui.tm("admin.no_departments"))
        return None
    names = {d["id"]: d["name"] + t("common.in_brackets", text=ui.label("unit_kind", d["kind"])) for d in departments}
    ids = list(names)
    index = ids.index(current) if current in names else None
    return st.selectbox(t(label_key), ids, index=index, format_func=names.get, key=key,
                        placeholder=t("admin.choose_department"))


def picked_from(frame: pd.DataFrame, rows: list[dict], key: str) -> dict | None:
    """``rows`` shown as ``frame``, a table in which one row may be picked: the picked row, or None."""
    event = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="single-row",
                         height=table_height(len(frame)), width="stretch", key=key)
    return ui.picked_row(event, rows)


def passwords_match(first: str, second: str) -> bool:
    if first != second:
        ui.show_error(ValidationError("password", "•" * min(len(second or ""), 12), "passwords_differ"))
        return False
    return True


tab_accounts, tab_units, tab_holidays, tab_reminders, tab_backup = st.tabs(
    [t("admin.tab_accounts"), t("admin.tab_units"), t("holidays.tab"), t("admin.tab_reminders"), t("admin.tab_backup")],
    key="admin_tabs", on_change="rerun")

# --- accounts ----------------------------------------------------------------------------------------

with tab_accounts:
    if tab_accounts.open:   # only the open tab runs (on_change="rerun"): 1,700 accounts and 5,000 units at tier L
        ui.show_flash(section="accounts")
        users = ui.attempt(auth.list_users, store, actor) or []
        c1, c2, c3 = st.columns([2, 3, 1.4], vertical_alignment="bottom")
        role_filter = ui.select_or_all(c1, t("admin.filter_role"), vocab.APP_ROLES, key="acc_role", format="app_role")
        search = c2.text_input(t("admin.search_accounts"), key="acc_search").strip().lower()
        show_inactive = c3.toggle(t("admin.show_inactive"), value=True, key="acc_inactive")

        shown = [u for u in users
                 if (role_filter is None or u["role"] == role_filter)
                 and (show_inactive or u["active"])
                 and (not search or search in u["username"].lower() or search in (u["display_name"] or "").lower())]
        st.caption(ui.tm("admin.accounts_caption", total=len(users), active=sum(1 for u in users if u["active"])))

        selected = None
        if not shown:
            ui.empty("admin.no_accounts")
        else:
            frame = pd.DataFrame([{
                t("field.username"): u["username"],
                t("field.display_name"): u["display_name"],
                t("field.app_role"): ui.label("app_role", u["role"]),
                t("admin.col_linked"): u["participant_name"] or u["department_name"] or "",
                t("admin.col_active"): yes_no(u["active"]),
                t("admin.col_last_login"): stamp(u["last_login_at"]),
                t("admin.col_created"): stamp(u["created_at"]),
            } for u in shown])
            selected = picked_from(frame, shown, f"acc_table_{role_filter}_{search}_{show_inactive}")

        if selected is None:
            st.caption(ui.tm("admin.select_hint"))
        else:
            user = selected
            own = user["id"] == actor.user_id
            st.subheader(ui.tm("admin.selected_account", username=user["username"]))
            if own:
                st.info(ui.tm("admin.self_hint"), icon=":material/info:")

            def role_dialog():
                new_role = st.selectbox(t("field.app_role"), vocab.APP_ROLES, index=vocab.APP_ROLES.index(user["role"]),
                                        format_func=ui.fmt("app_role"), key="dlg_role", disabled=own, placeholder=ui.t("common.choose"))
                name = st.text_input(t("field.display_name"), value=user["display_name"] or "", key="dlg_name")
                participant_id = department_id = None
                if permissions.link_of(new_role) == "participant":
                    participant_id = participant_picker("field.participant", "dlg_participant", user["participant_id"])
                if permissions.link_of(new_role) == "department":
                    department_id = department_picker("field.department", "dlg_department", user["department_id"])
                if new_role != user["role"]:
                    st.warning(ui.tm("admin.confirm_role_body", username=user["username"],
                                 old=ui.label("app_role", user["role"]), new=ui.label("app_role", new_role)))
                if ui.confirm_buttons(t("common.confirm"), key="dlg_role_ok") and ui.attempt(
                        auth.update_user, store, actor, user["id"], role=new_role, display_name=name,
                        participant_id=participant_id, department_id=department_id) is not None:
                    ui.flash(ui.tm("admin.role_changed", username=user["username"]), "accounts")
                    st.rerun()

            def reset_dialog():
                st.warning(ui.tm("admin.confirm_reset_body"))
                st.caption(ui.tm("signin.password_rules", min=auth.MIN_PASSWORD_LENGTH))
                first = st.text_input(t("field.new_password"), type="password", key="dlg_pw1",
                                      autocomplete="new-password")
                second = st.text_input(t("admin.repeat_password"), type="password", key="dlg_pw2",
                                       autocomplete="new-password")
                if ui.confirm_buttons(t("admin.reset_password"), key="dlg_reset_ok") and passwords_match(
                        first, second) and ui.attempt(lambda: auth.set_password(store, actor, user["id"], first) or True):
                    ui.flash(ui.tm("admin.password_reset_done", username=user["username"]), "accounts")
                    st.rerun()

            def active_dialog():
                turning_off = bool(user["active"])
                st.warning(ui.tm("admin.confirm_deactivate_body") if turning_off else t("common.are_you_sure"))
                label = t("admin.deactivate") if turning_off else t("admin.reactivate")
                if ui.confirm_buttons(label, key="dlg_active_ok") and ui.attempt(
                        auth.update_user, store, actor, user["id"], active=not turning_off) is not None:
                    ui.flash(ui.tm("admin.deactivated" if turning_off else "admin.reactivated", username=user["username"]),
                             "accounts")
                    st.rerun()

            b1, b2, b3, _ = st.columns([1, 1, 1, 2])
            if b1.button(t("admin.change_role"), icon=":material/manage_accounts:", key="btn_role", width="stretch"):
                st.dialog(ui.tm("admin.confirm_role"))(role_dialog)()
            if b2.button(t("admin.reset_password"), icon=":material/password:", key="btn_reset", disabled=own,
                         width="stretch"):
                st.dialog(ui.tm("admin.confirm_reset", username=user["username"]))(reset_dialog)()
            if user["active"]:
                if b3.button(t("admin.deactivate"), icon=":material/person_off:", key="btn_active", disabled=own,
                             width="stretch"):
                    st.dialog(ui.tm("admin.confirm_deactivate", username=user["username"]))(active_dialog)()
            elif b3.button(t("admin.reactivate"), icon=":material/person_check:", key="btn_active", width="stretch"):
                st.dialog(ui.tm("admin.confirm_reactivate", username=user["username"]))(active_dialog)()

        st.divider()
        with st.expander(t("admin.new_account"), icon=":material/person_add:"):
            st.caption(ui.tm("admin.new_account_help"))
            new_role = st.selectbox(t("field.app_role"), vocab.APP_ROLES, format_func=ui.fmt("app_role"),
                                    key="new_role", placeholder=ui.t("common.choose"))
            # The person or department is picked outside the form: a national roster's picker has a search box,
            # which must narrow the list as it is typed in.
            participant_id = department_id = None
            if permissions.link_of(new_role) == "participant":
                participant_id = participant_picker("field.participant", "new_participant")
            elif permissions.link_of(new_role) == "department":
                department_id = department_picker("field.department", "new_department")
            with st.form("new_account", clear_on_submit=False, enter_to_submit=False):
                f1, f2 = st.columns(2)
                username = f1.text_input(t("field.username"), key="new_username", autocomplete="off")
                display_name = f2.text_input(t("field.display_name"), key="new_display")
                p1, p2 = st.columns(2)
                first = p1.text_input(t("field.password"), type="password", key="new_pw1", autocomplete="new-password")
                second = p2.text_input(t("admin.repeat_password"), type="password", key="new_pw2",
                                       autocomplete="new-password")
                st.caption(ui.tm("signin.password_rules", min=auth.MIN_PASSWORD_LENGTH))
                submitted = st.form_submit_button(t("admin.create"), type="primary", icon=":material/person_add:")
            if submitted and passwords_match(first, second):
                new_id = ui.attempt(auth.create_user, store, actor, username, first, new_role,
                                    display_name=display_name or None, participant_id=participant_id,
                                    department_id=department_id, temporary=True)
                if new_id is not None:
                    ui.flash(ui.tm("admin.created", username=username.strip()), "accounts")
                    for key in ("new_username", "new_display", "new_pw1", "new_pw2"):
                        st.session_state.pop(key, None)
                    st.rerun()

# --- units and departments ---------------------------------------------------------------------------

with tab_units:
    if tab_units.open:
        ui.show_flash(section="units")
        c1, c2, c3, c4 = st.columns([1.4, 1.4, 2, 1.2], vertical_alignment="bottom")
        kind = ui.select_or_all(c1, t("admin.filter_kind"), vocab.UNIT_KINDS, key="unit_kind_filter", format="unit_kind")
        street = ui.select_or_all(c2, t("admin.filter_street"), vocab.STREETS, key="unit_street_filter")
        needle = c3.text_input(t("admin.search_units"), key="unit_search")
        show_all = c4.toggle(t("admin.show_inactive"), value=False, key="unit_inactive")
        every = ui.attempt(units.list_units, store, actor, kind, active=None if show_all else True, street=street,
                           search=needle) or []
        pager = st.container(horizontal=True, vertical_alignment="bottom")
        # A national list of units (5,000 at tier L) is turned page by page, as the roster is.
        limit, offset = ui.paginate(len(every), ui.ROSTER_ROWS, key="unit_page", container=pager,
                                    reset=repr((kind, street, needle, show_all)))
        rows = every[offset:offset + limit]
        caption = ui.tm("admin.units_caption", total=len(every))
        if len(every) > limit:
            caption += " " + ui.tm("admin.units_page_rows", first=offset + 1, last=offset + len(rows))
        pager.caption(caption)

        def units_frame(rows: list[dict]) -> pd.DataFrame:
            return pd.DataFrame([{
                t("field.unit_name"): r["name"],
                t("field.unit_kind"): ui.label("unit_kind", r["kind"]),
                t("field.street"): r["street"] or "",
                t("field.industry"): r["industry"] or "",
                t("field.time_limit_days"): "" if r["time_limit_days"] is None else str(r["time_limit_days"]),
                t("admin.col_active"): yes_no(r["active"]),
            } for r in rows])

        chosen = None
        if not rows:
            ui.empty("admin.no_units")
        else:
            chosen = picked_from(units_frame(rows), rows, f"unit_table_{kind}_{street}_{needle}_{show_all}_{offset}")
            # every unit the filters match, not only this page, made when the file is asked for
            ui.downloads(lambda: units_frame(every), t("admin.units_file_stem"), key="units_download",
                         sheet=t("admin.tab_units"))

        def unit_fields(prefix: str, row: dict | None) -> dict:
            row = row or {}
            a, b = st.columns(2)
            name = a.text_input(t("field.unit_name"), value=row.get("name") or "", key=f"{prefix}_name")
            kinds = list(vocab.UNIT_KINDS)
            kind_value = b.selectbox(t("field.unit_kind"), kinds, format_func=ui.fmt("unit_kind"),
                                     index=kinds.index(row["kind"]) if row.get("kind") in kinds else 0,
                                     key=f"{prefix}_kind", placeholder=ui.t("common.choose"))
            streets = [None, *vocab.STREETS]
            c, d, e = st.columns(3)
            street_value = c.selectbox(t("field.street"), streets,
                                       index=streets.index(row.get("street")) if row.get("street") in streets else 0,
                                       format_func=lambda s: t("admin.no_street") if s is None else s,
                                       key=f"{prefix}_street", placeholder=ui.t("common.choose"))
            industry = d.text_input(t("field.industry"), value=row.get("industry") or "", key=f"{prefix}_industry")
            limit = e.number_input(t("field.time_limit_days"), min_value=0, max_value=units.MAX_TIME_LIMIT, step=1,
                                   value=int(row.get("time_limit_days") or 0), key=f"{prefix}_limit",
                                   help=t("admin.time_limit_help"))
            notes = st.text_area(t("field.notes"), value=row.get("notes") or "", key=f"{prefix}_notes", height=68)
            return {"name": name, "kind": kind_value, "street": street_value, "industry": industry,
                    "time_limit_days": int(limit) or None, "notes": notes}

        if chosen is None:
            if rows:
                st.caption(ui.tm("admin.unit_select_hint"))
        else:
            st.subheader(ui.tm("admin.edit_unit", name=chosen["name"]))
            with st.form(f"edit_unit_{chosen['id']}"):
                values = unit_fields(f"edit_{chosen['id']}", chosen)
                save = st.form_submit_button(t("common.save"), type="primary", icon=":material/save:")
            if save:
                after = ui.attempt(units.update_unit, store, actor, chosen["id"], **values)
                if after is not None:
                    ui.flash(ui.tm("admin.unit_saved", name=after["name"]), "units")
                    st.rerun()

            def unit_active_dialog():
                turning_off = bool(chosen["active"])
                if turning_off:
                    counts = ui.attempt(units.usage, store, actor, chosen["id"]) or {}
                    st.warning(ui.tm("admin.confirm_unit_body", **{k: counts.get(k, 0) for k in
                                                                ("participants", "feedback", "practices", "accounts",
                                                                 "routing")}))
                else:
                    st.info(ui.tm("common.are_you_sure"))
                label = t("admin.deactivate_unit") if turning_off else t("admin.reactivate_unit")
                if ui.confirm_buttons(label, key="dlg_unit_ok") and ui.attempt(
                        units.set_active, store, actor, chosen["id"], not turning_off) is not None:
                    ui.flash(ui.tm("admin.unit_deactivated" if turning_off else "admin.unit_reactivated",
                               name=chosen["name"]), "units")
                    st.rerun()

            if chosen["active"]:
                if st.button(t("admin.deactivate_unit"), icon=":material/block:", key="btn_unit_active"):
                    st.dialog(ui.tm("admin.confirm_unit_deactivate", name=chosen["name"]))(unit_active_dialog)()
            elif st.button(t("admin.reactivate_unit"), icon=":material/check_circle:", key="btn_unit_active"):
                st.dialog(ui.tm("admin.reactivate_unit"))(unit_active_dialog)()

        st.divider()
        with st.expander(t("admin.new_unit"), icon=":material/add_business:"):
            with st.form("new_unit", clear_on_submit=True):
                values = unit_fields("new_unit", None)
                create = st.form_submit_button(t("admin.new_unit"), type="primary", icon=":material/add:")
            if create:
                new_id = ui.attempt(units.create_unit, store, actor, **values)
                if new_id is not None:
                    ui.flash(ui.tm("admin.unit_created", name=values["name"].strip()), "units")
                    st.rerun()

# --- public holidays -----------------------------------------------------------------------------------

with tab_holidays:
    if tab_holidays.open:
        ui.show_flash(section="holidays")
        st.caption(ui.tm("holidays.intro"))
        known = ui.attempt(holidays.years, store, actor) or []
        source_text = {"entered": t("holidays.source_entered"), "library": t("holidays.source_library"),
                       None: t("holidays.source_none")}
        st.dataframe(pd.DataFrame([{
            t("holidays.col_year"): str(y["year"]), t("holidays.col_source"): source_text[y["source"]],
            t("holidays.col_days"): y["days"], t("holidays.col_entered_at"): stamp(y["entered_at"]),
        } for y in known[:6]]), hide_index=True, width="stretch")
        year_options = [y["year"] for y in known]
        missing = holidays.missing_next_year(store, actor)
        default_year = missing or clock.today().year
        if st.session_state.get("hol_year") not in year_options:
            st.session_state["hol_year"] = default_year if default_year in year_options else year_options[0]
        year = st.selectbox(t("holidays.pick_year"), year_options, key="hol_year", format_func=str, placeholder=ui.t("common.choose"))
        current = ui.attempt(holidays.arrangement, store, actor, year) or {"source": None, "days": []}
        if current["source"] == "entered":
            st.info(ui.tm("holidays.shown_entered", year=year, n=len(current["days"])), icon=":material/event_available:")
        elif current["source"] == "library":
            st.info(ui.tm("holidays.shown_library", year=year), icon=":material/menu_book:")
        else:
            st.warning(ui.tm("holidays.shown_none", year=year), icon=":material/event_busy:")

        kind_labels = {k: ui.label("holiday_kind", k) for k in vocab.HOLIDAY_KINDS}
        version = st.session_state.get(f"hol_version_{year}", 0)
        uploaded = st.file_uploader(t("holidays.upload"), type=["csv"], key=f"hol_upload_{year}_{version}")
        start_rows = [{"day": d["day"].isoformat(), "kind": kind_labels[d["kind"]],
                       "name": (d.get("name_en") if ui.lang() == "en" and d.get("name_en") else d.get("name")) or ""}
                      for d in current["days"]]
        if uploaded is not None:
            try:
                _, file_rows = holidays.parse_csv(uploaded.getvalue())
                start_rows = [{"day": r["day"], "kind": r["kind"], "name": r["name"]} for r in file_rows]
                st.caption(ui.tm("holidays.file_rows", n=len(start_rows)))
            except ValidationError as error:
                ui.show_error(error)
        st.caption(ui.tm("holidays.editor_help", year=year))
        edited = st.data_editor(
            pd.DataFrame(start_rows, columns=["day", "kind", "name"]), num_rows="dynamic", hide_index=True,
            width="stretch", key=f"hol_editor_{year}_{version}_{uploaded.file_id if uploaded else ''}",
            column_config={
                "day": st.column_config.TextColumn(t("field.day"), required=True, max_chars=12),
                "kind": st.column_config.SelectboxColumn(t("field.holiday_kind"), options=list(kind_labels.values()),
                                                         required=True),
                "name": st.column_config.TextColumn(t("field.holiday_name"), max_chars=20)})
        buttons = st.container(horizontal=True)
        if buttons.button(t("holidays.save", year=year), type="primary", icon=":material/save:", key="hol_save"):
            rows = [{"row": i + 1, "day": r.day, "kind": r.kind, "name": r.name}
                    for i, r in enumerate(edited.fillna("").itertuples())]
            result = ui.attempt(holidays.set_year, store, actor, year, rows)
            if result is not None:
                ui.flash(ui.tm("holidays.saved" if result["changed"] else "holidays.unchanged", year=year, n=result["days"]),
                         "holidays")
                st.session_state[f"hol_version_{year}"] = version + 1
                st.rerun()
        buttons.download_button(t("holidays.template"), holidays.template_csv(year), icon=":material/download:",
                                file_name=f"{t('holidays.template_stem', year=year)}.csv", mime="text/csv",
                                key="hol_template", on_click="ignore")
        if current["source"] == "entered":
            def clear_dialog():
                st.warning(ui.tm("holidays.clear_confirm", year=year))
                if ui.confirm_buttons(t("common.delete"), key="hol_clear_ok") and ui.attempt(
                        holidays.clear_year, store, actor, year) is not None:
                    ui.flash(ui.tm("holidays.cleared", year=year), "holidays")
                    st.session_state[f"hol_version_{year}"] = version + 1
                    st.rerun()

            if buttons.button(t("holidays.clear", year=year), icon=":material/delete:", key="hol_clear"):
                st.dialog(ui.tm("holidays.clear", year=year))(clear_dialog)()

# --- backup -------------------------------------------------------------------------------------------

with tab_backup:
    if tab_backup.open:
        st.write(ui.tm("admin.backup_intro"))
        try:
            size = store.path.stat().st_size + sum(p.stat().st_size for p in store.path.parent.glob(
                store.path.name + "-wal"))
            st.caption(ui.tm("admin.db_size", size=f"{size / 1_048_576:.1f} MB"))
        except OSError:
            pass
        st.download_button(t("admin.backup_download"), data=lambda: backup.backup_bytes(store, actor),
                           file_name=backup.file_name(), mime="application/vnd.sqlite3", type="primary",
                           icon=":material/backup:", key="backup_download", on_click="ignore")
        st.caption(ui.tm("admin.backup_cli"))
        ui.code("python -m secondment backup OUT.db", language="bash")

        st.subheader(ui.tm("admin.recent_backups"))
        result = ui.attempt(audit.browse, store, actor, table="backup", limit=10)
        recent = result[0] if result else []
        if not recent:
            ui.empty("admin.no_backups")
        else:
            def size_of(entry) -> str:
                size = next((c["after"] for c in audit.changes(entry) if c["field"] == "bytes"), None)
                return f"{size / 1_048_576:.1f} MB" if isinstance(size, int) else ""

            st.dataframe(pd.DataFrame([{
                t("audit.column.at"): stamp(r["at"]),
                t("audit.column.username"): r["username"],
                t("admin.backup_size"): size_of(r),
            } for r in recent]), hide_index=True)


# --- reminders: the rules, and what was sent ----------------------------------------------------------

with tab_reminders:
    if tab_reminders.open:
        ui.show_flash(section="reminders")
        st.write(ui.tm("admin.reminders_intro"))
        current = notify.rules(store)
        with st.form("rules"):
            cols = st.columns(3)
            values = {}
            for i, (name, (_, low, high)) in enumerate(notify.RULES.items()):
                values[name] = cols[i % 3].number_input(t(f"field.rule_{name}"), min_value=low, max_value=high,
                                                        value=current[name], step=1, key=f"rule_{name}",
                                                        help=t(f"admin.rule_{name}_help"))
            saved = st.form_submit_button(t("common.save"), type="primary", icon=":material/save:")
        if saved and ui.attempt(lambda: notify.set_rules(store, actor, values)):
            ui.flash(ui.tm("admin.rules_saved"), section="reminders")
            st.rerun()
        required = stint.required_declarations(store)
        with st.form("required_declarations"):
            chosen = st.multiselect(t("admin.required_declarations"), vocab.DECLARATIONS, default=required,
                                    format_func=ui.fmt("declaration"), placeholder=t("common.choose"))
            st.caption(ui.tm("stint.declarations_help"))
            saved = st.form_submit_button(t("common.save"), icon=":material/save:")
        if saved and ui.attempt(lambda: stint.set_required_declarations(store, actor, chosen)):
            ui.flash(ui.tm("admin.required_saved"), section="reminders")
            st.rerun()
        smtp = notify.smtp_config()
        st.caption(ui.tm("admin.smtp_on", host=smtp.host, port=smtp.port) if smtp else ui.tm("admin.smtp_off"))
        ui.code("python -m secondment notify --dry-run", language="bash")
        st.subheader(ui.tm("admin.outbox"))
        sent = notify.outbox(store, actor)
        if not sent:
            ui.empty("admin.outbox_empty")
        else:
            st.dataframe(pd.DataFrame([{
                t("admin.outbox_day"): r["day"], t("admin.outbox_channel"): t(f"admin.channel_{r['channel']}"),
                t("admin.outbox_recipient"): r["recipient"], t("admin.outbox_status"): t(f"admin.send_{r['status']}"),
                t("admin.outbox_attempts"): r["attempts"], t("admin.outbox_error"): r["last_error"] or "",
                t("admin.outbox_sent"): stamp(r["sent_at"]) if r["sent_at"] else "",
            } for r in sent]), hide_index=True)
