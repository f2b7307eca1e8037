"""Audit trail (admins and reviewers): who changed what, when, with the values before and after.

Filters by table, user, action, date range and text; paginated in SQL; a selected entry shows a
field-by-field comparison; the filtered trail exports to CSV and Excel.
"""
import math

import pandas as pd
import streamlit as st

from secondment import audit, clock, ui, validation
from secondment.errors import ValidationError

actor = ui.page_gate("audit")
store = ui.store()
t = ui.t
lang = ui.lang()

st.title(ui.tm("audit.title"))
st.caption(ui.tm("audit.caption"))


@st.cache_data(ttl=30, show_spinner=False)
def _facets(path: str, user_id, username: str, role: str) -> dict:
    # Cached per database and actor; the service still checks the actor's permission.
    return audit.facets(store, actor)


facets = ui.attempt(_facets, str(store.path), actor.user_id, actor.username, actor.role) or {
    "tables": [], "users": [], "actions": []}

c1, c2, c3 = st.columns(3)
table = ui.select_or_all(c1, t("audit.filter_table"), facets["tables"], key="aud_table",
                         format=lambda v: audit.table_label(v, lang))
who = ui.attempt(audit.people, store, actor, facets["users"], lang) or {}
user = ui.select_or_all(c2, t("audit.filter_user"), facets["users"], key="aud_user",
                        format=lambda v: who.get(v, v))
action = ui.select_or_all(c3, t("audit.filter_action"), facets["actions"], key="aud_action",
                          format=lambda v: audit.action_label(v, lang))
c4, c4b, c5, c6 = st.columns([1.2, 1.2, 3, 1])
typed = (ui.date_text(c4, t("audit.filter_from"), key="aud_from"), ui.date_text(c4b, t("audit.filter_to"), key="aud_to"))
dates = []
for field, value in zip(("start_date", "end_date"), typed):
    try:
        dates.append(validation.parse_date(field, value, required=False))
    except ValidationError as error:
        ui.show_error(error)
        dates.append(None)
text = c5.text_input(t("audit.filter_text"), key="aud_text", help=t("audit.filter_text_help"))
page_size = c6.selectbox(t("audit.page_size"), [25, 50, 100, 200], index=1, key="aud_size", placeholder=ui.t("common.choose"))

since, until = dates
if since and until and since > until:
    since, until = until, since
filters = {"table": table, "username": user, "action": action, "since": since, "until": until,
           "text": text.strip() or None}

signature = repr(sorted((k, str(v)) for k, v in filters.items())) + str(page_size)
first = ui.attempt(audit.browse, store, actor, limit=1, **filters)
total = first[1] if first else 0
if total == 0:
    ui.empty("audit.empty" if any(filters.values()) else "audit.empty_all")
    st.stop()

# The page number goes back to the first when the filters change.
pages = max(1, math.ceil(total / page_size))
pager = st.container(horizontal=True, vertical_alignment="bottom")
limit, offset = ui.paginate(total, page_size, key="aud_page", container=pager, reset=signature)
page = offset // limit + 1
rows, total = audit.browse(store, actor, limit=limit, offset=offset, **filters)
pager.caption(ui.tm("audit.page_of", page=page, pages=pages, total=total))
names = audit.reference_names(store, actor, rows)  # "沈婕 (#68)" rather than "68"

frame = pd.DataFrame([{
    t("audit.column.id"): r["id"],
    t("audit.column.at"): clock.local_time(r["at"], "%Y-%m-%d %H:%M:%S"),
    t("audit.column.username"): who.get(r["username"], r["username"] or ""),
    t("audit.column.table"): audit.table_label(r["table_name"], lang),
    t("audit.column.row_id"): r["row_id"] or "",
    t("audit.column.action"): audit.action_label(r["action"], lang),
    t("audit.column.changes"): audit.summary(r, lang, names=names),
} for r in rows])
event = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="single-row",
                     key=f"aud_table_{signature}_{page}",
                     column_config={t("audit.column.changes"): st.column_config.TextColumn(width="large")})
entry = ui.picked_row(event, rows)
if entry is not None:
    st.subheader(ui.tm("audit.detail", id=entry["id"], action=audit.action_label(entry["action"], lang),
                   table=audit.table_label(entry["table_name"], lang), row=entry["row_id"] or ""))
    st.caption(ui.tm("audit.detail_meta", at=clock.local_time(entry["at"], "%Y-%m-%d %H:%M:%S"),
                 user=who.get(entry["username"], entry["username"] or "—")))
    # The record itself, where it lives: a participant's profile, a feedback item with its timeline.
    target = {"participants": ("profile", "id"), "feedback": ("feedback", "item")}.get(entry["table_name"])
    if target and str(entry["row_id"] or "").isdigit():
        ui.page_link(st, target[0], t("audit.open_record"), ":material/open_in_new:",
                     {target[1]: str(entry["row_id"])})
    diff = audit.changes(entry)
    if not diff:
        ui.empty("audit.no_changes")
    else:
        def show(field, value):
            value = audit.value_label(entry["table_name"], field, value, lang, names)
            return "—" if value is None else str(value)

        st.dataframe(pd.DataFrame([{
            t("audit.column.field"): audit.field_label(d["field"], lang, entry["table_name"]),
            t("audit.column.before"): show(d["field"], d["before"]) if entry["before"] else "",
            t("audit.column.after"): show(d["field"], d["after"]) if entry["after"] else "",
        } for d in diff]), hide_index=True, width="stretch")
        if any(d["field"] == "password_hash" for d in diff):
            st.caption(ui.tm("audit.masked"))
else:
    st.caption(ui.tm("audit.select_hint"))

st.divider()
st.subheader(ui.tm("audit.export"))
if st.button(t("audit.prepare_export", total=total), icon=":material/file_export:", key="aud_export"):
    st.session_state["_aud_export_for"] = signature
if st.session_state.get("_aud_export_for") == signature:
    export = ui.attempt(audit.export_frame, store, actor, lang, **filters)
    if export is not None:
        st.caption(ui.tm("audit.export_ready"))
        ui.downloads(export, t("audit.file_stem", day=clock.today().isoformat()), key="aud_download", sheet=t("nav.audit"))
