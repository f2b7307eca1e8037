"""Documents (公文与报告): the library of every document one may see; drafting, editing and issuing a 简报, 通报 or
annual report; a secondee's monthly reports and end-of-stint summary ("report once"); their review; the office's
issuer, mastheads, bars and Word template. The rules live in ``secondment.documents``."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from secondment import clock, documents, periods, permissions, ui

actor = ui.page_gate("documents")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)
today = clock.today()

st.title(ui.tm("nav.documents"))
st.caption(t("docs.caption"))
ui.show_flash()


def can(action: str, pid: int | None = None) -> bool:
    return permissions.can(actor, action, {"participant_id": pid} if pid is not None else None)


own_pid = actor.participant_id if actor.participant_id is not None and can("report.write", actor.participant_id) else None
TABS = [k for k, show in (("library", True), ("bulletins", can("bulletin.draft")), ("reports", own_pid is not None),
                          ("reviews", can("report.review")), ("settings", can("documents.settings"))) if show]
asked_tab = st.query_params.get("tab")
if asked_tab in TABS and ui.arrived("documents"):
    st.session_state["doc_tabs"] = t(f"docs.tab_{asked_tab}")
tabs = dict(zip(TABS, st.tabs([t(f"docs.tab_{k}") for k in TABS], key="doc_tabs", on_change="rerun")))


def done(message: str, section: str) -> None:
    ui.flash(message, section=section)
    st.rerun()


def decide_report(by, document_id: int, approve: bool) -> None:
    """Approve or return a submitted report with the comment typed at the click (a return needs one)."""
    documents.review(store, by, document_id, approve=approve,
                     comment=st.session_state.get(f"doc_rev_comment_{document_id}"))
    st.session_state.pop("doc_open_review", None)


def kind_label(kind: str) -> str:
    return t(f"docs.kind_{kind}")


def status_label(status: str) -> str:
    return t(f"docs.status_{status}")


def when_label(row: dict) -> str:
    """A document's period as people say it: 2026 年 11 月, 2026 年, 整个挂职期."""
    if row["kind"] == "summary":
        return t("docs.whole_stint")
    if row["kind"] == "annual":
        return periods.year(int(row["period_start"][:4])).label(lang)
    return periods.span(date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"])).label(lang)


def number_label(row: dict) -> str:
    return documents.number_label(row, lang) or "—"


def downloads(row: dict, key: str) -> None:
    """Word and Excel files of a document: a final one's kept files, a draft's made when clicked.

    A final document's bytes are handed over as they are: the same bytes keep the same address across reruns, so
    a click that lands while the page is being redrawn still downloads (a made-when-clicked file's address is new
    on every run, and a click holding the old one fetches nothing)."""
    line = st.container(horizontal=True)
    kept = row["status"] in documents.FINAL and row.get("seen") == "full"
    for fmt_ in documents.FORMATS:
        line.download_button(
            t(f"docs.download_{fmt_}"),
            documents.file(store, actor, row["id"], fmt_)[0] if kept else
            (lambda f=fmt_: documents.file(store, actor, row["id"], f)[0]),
            file_name=documents.file_name(row, fmt_, row["lang"]),
            mime=documents.MIME[fmt_],
            key=f"{key}_{fmt_}_{row['id']}_{row['version']}",
            icon=":material/download:",
        )
    line.link_button(t("docs.print"), f"/_doc/print?id={row['id']}", icon=":material/print:")


def show_read_only(row: dict) -> None:
    content = row["content"]
    if content.get("extract"):
        st.info(t("docs.extract_note"), icon=":material/info:")
    for section in content.get("sections", []):
        if not (section.get("text") or "").strip():
            continue
        st.markdown(f"**{ui.md(section['heading'])}**")
        st.markdown(ui.md(section["text"]))
    for table in content.get("tables", []):
        if table.get("rows"):
            st.markdown(f"**{ui.md(table['title'])}**")
            st.dataframe(
                pd.DataFrame(table["rows"], columns=table["columns"]), hide_index=True, width="stretch"
            )


def header(row: dict) -> None:
    line = st.container(horizontal=True, vertical_alignment="center")
    line.subheader(ui.md(row["title"]), anchor=False)
    line.badge(status_label(row["status"]), color="green" if row["status"] in documents.FINAL else "orange")
    if row.get("number"):
        line.badge(number_label(row), color="red")
    if row.get("review_comment") and row["status"] == "returned":
        st.warning(t("docs.returned_with", comment=row["review_comment"]), icon=":material/undo:")


# --- the editor (a bulletin's or a report's draft) ------------------------------------------------------------


def editor(row: dict, section: str) -> None:
    did, version, content = row["id"], row["version"], row["content"]
    bulletin = row["kind"] in documents.BULLETINS
    if row["kind"] == "briefing":
        highlights(row, section)
    with st.form(key=f"doc_form_{did}_{version}"):
        title = st.text_input(t("field.title"), value=content["title"], max_chars=documents.TITLE_MAX) if bulletin else None
        texts = {}
        for part in content["sections"]:
            texts[part["key"]] = st.text_area(
                part["heading"],
                value=part["text"],
                height=max(90, min(360, 26 * (part["text"].count("\n") + 2))),
                max_chars=documents.SECTION_MAX,
                key=f"doc_{did}_{version}_{part['key']}",
                placeholder=t("docs.section_placeholder"),
            )
        foot = None
        if bulletin:
            cols = st.columns(3)
            foot = {
                k: cols[i].text_input(t(f"field.foot_{k}"), value=content["foot"].get(k, ""),
                                      max_chars=documents.FOOT_MAX, key=f"doc_{did}_{version}_foot_{k}")
                for i, k in enumerate(documents.FOOT_KEYS)
            }
        saved = st.form_submit_button(t("docs.save"), type="primary", icon=":material/save:")
    if saved and ui.attempt(documents.edit, store, actor, did, sections=texts, title=title, foot=foot,
                            version=version):
        done(t("docs.saved"), section)
    downloads(row, f"dl_{section}")
    actions = st.container(horizontal=True)
    pending = st.session_state.get("doc_pending")
    if bulletin:
        nxt = documents.next_number(store, row["kind"], today)
        if actions.button(t("docs.issue"), key=f"doc_issue_{did}", icon=":material/verified:"):
            st.session_state["doc_pending"] = ("issue", did)
            st.rerun()
        if pending == ("issue", did):
            st.warning(t("docs.issue_confirm", number=t("docs.number", year=nxt["year"], n=nxt["n"])),
                       icon=":material/warning:")
            if ui.confirm_buttons(t("docs.issue_as", number=t("docs.number", year=nxt["year"], n=nxt["n"])),
                                  key=f"doc_issue_ok_{did}", on_cancel=lambda: st.session_state.pop("doc_pending", None)):
                st.session_state.pop("doc_pending", None)
                issued = ui.attempt(documents.issue, store, actor, did, version=version)
                if issued:
                    st.session_state.pop("doc_open_bulletin", None)
                    st.session_state["doc_just_issued"] = did
                    done(t("docs.issued", number=t("docs.number", year=issued["year"], n=issued["number"])), section)
    else:
        if actions.button(t("docs.submit"), key=f"doc_submit_{did}", icon=":material/send:"):
            st.session_state["doc_pending"] = ("submit", did)
            st.rerun()
        if actions.button(t("docs.redraft"), key=f"doc_redraft_{did}", icon=":material/refresh:"):
            st.session_state["doc_pending"] = ("redraft", did)
            st.rerun()
        if pending == ("submit", did):
            st.warning(t("docs.submit_confirm"), icon=":material/warning:")
            if ui.confirm_buttons(t("docs.submit"), key=f"doc_submit_ok_{did}",
                                  on_cancel=lambda: st.session_state.pop("doc_pending", None)):
                st.session_state.pop("doc_pending", None)
                if ui.attempt(documents.submit, store, actor, did):
                    done(t("docs.submitted"), section)
        if pending == ("redraft", did):
            st.warning(t("docs.redraft_confirm"), icon=":material/warning:")
            if ui.confirm_buttons(t("docs.redraft"), key=f"doc_redraft_ok_{did}",
                                  on_cancel=lambda: st.session_state.pop("doc_pending", None)):
                st.session_state.pop("doc_pending", None)
                month = row["period_key"] if row["kind"] == "monthly" else None
                if ui.attempt(documents.draft_report, store, actor, row["participant_id"], row["kind"], month=month,
                              lang=row["lang"], again=True):
                    done(t("docs.redrafted"), section)
    if row["status"] == "draft":
        if actions.button(t("docs.discard"), key=f"doc_discard_{did}", icon=":material/delete:"):
            st.session_state["doc_pending"] = ("discard", did)
            st.rerun()
        if pending == ("discard", did):
            st.warning(t("docs.discard_confirm"), icon=":material/warning:")
            if ui.confirm_buttons(t("docs.discard"), key=f"doc_discard_ok_{did}",
                                  on_cancel=lambda: st.session_state.pop("doc_pending", None)):
                st.session_state.pop("doc_pending", None)
                if ui.attempt(documents.discard, store, actor, did):
                    st.session_state.pop("doc_open_bulletin", None)
                    st.session_state.pop("doc_open_report", None)
                    done(t("docs.discarded"), section)


def highlights(row: dict, section: str) -> None:
    """A 简报's highlights: approved entries with an outcome and answered items of its period, picked by the reviewer."""
    with st.expander(t("docs.pick_highlights"), icon=":material/star:"):
        pool = documents.candidates(store, actor, documents.period_of(row), today=today)
        chosen = row["content"].get("highlights") or {}
        entries = {e["id"]: e for e in pool["entries"]}
        items = {i["id"]: i for i in pool["items"]}
        if not entries and not items:
            ui.empty("docs.no_candidates")
            return
        picked_entries = st.multiselect(
            t("field.highlights"),
            list(entries),
            default=[e for e in chosen.get("entries", []) if e in entries],
            format_func=lambda e: f"【{L('role', entries[e]['role'])}】{entries[e]['person']}：{entries[e]['title']}",
            max_selections=documents.HIGHLIGHTS_MAX,
            key=f"doc_hl_{row['id']}_{row['version']}",
            placeholder=t("common.choose"),
        )
        picked_items = st.multiselect(
            t("field.solved"),
            list(items),
            default=[i for i in chosen.get("items", []) if i in items],
            format_func=lambda i: f"{items[i]['summary']}（{items[i]['department'] or '—'}）",
            max_selections=documents.HIGHLIGHTS_MAX,
            key=f"doc_sv_{row['id']}_{row['version']}",
            placeholder=t("common.choose"),
        )
        st.caption(t("docs.highlights_help"))
        apply = st.button(t("docs.apply_highlights"), key=f"doc_hl_apply_{row['id']}", icon=":material/edit_note:")
        if apply and ui.attempt(documents.choose_highlights, store, actor, row["id"], entries=picked_entries,
                                items=picked_items):
            done(t("docs.saved"), section)


def open_one(rows: list[dict], state_key: str, label) -> dict | None:
    """A picker of ``rows`` (newest first) that remembers the one open."""
    ids = [r["id"] for r in rows]
    if not ids:
        return None
    if st.session_state.get(state_key) not in ids:
        st.session_state[state_key] = ids[0]
    by_id = {r["id"]: r for r in rows}
    picked = st.selectbox(t("field.document"), ids, key=state_key, format_func=lambda i: label(by_id[i]),
                          placeholder=t("common.choose"))
    return ui.attempt(documents.get, store, actor, picked)


def row_label(r: dict) -> str:
    parts = [kind_label(r["kind"]), when_label(r)]
    if r.get("person"):
        parts.insert(1, r["person"])
    if r.get("number"):
        parts.append(number_label(r))
    parts.append(status_label(r["status"]))
    return " · ".join(parts)


# --- the library ----------------------------------------------------------------------------------------------

with tabs["library"]:
    if tabs["library"].open:
        ui.show_flash(section="library")
        filters = st.container(horizontal=True)
        kind = ui.select_or_all(filters, t("field.kind"), documents.visible_kinds(actor), key="doc_lib_kind", format=kind_label)
        years = list(range(today.year, today.year - 15, -1))
        year = ui.select_or_all(filters, t("field.year"), years, key="doc_lib_year")
        status = ui.select_or_all(filters, t("field.status"), ["issued", "approved", "submitted", "returned", "draft"],
                                  key="doc_lib_status", format=status_label)
        rows = documents.library(store, actor, kind=kind, year=year, status=status)
        if not rows:
            ui.empty("docs.library_empty_writer" if can("bulletin.draft") else
                     "docs.library_empty_secondee" if own_pid else "docs.library_empty")
        else:
            frame = pd.DataFrame(
                {
                    t("docs.col_kind"): [kind_label(r["kind"]) for r in rows],
                    t("docs.col_number"): [documents.number_label(r, lang) for r in rows],
                    t("docs.col_title_doc"): [r["title"] for r in rows],
                    t("docs.col_period"): [when_label(r) for r in rows],
                    t("docs.col_author"): [r["person"] or r["author"] or "" for r in rows],
                    t("docs.col_status"): [status_label(r["status"]) for r in rows],
                    t("docs.col_when"): [
                        clock.local_date(r["issued_at"] or r["reviewed_at"] or r["submitted_at"] or r["updated_at"])
                        for r in rows
                    ],
                }
            )
            st.caption(t("docs.library_help", n=len(rows)))
            event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun",
                                 selection_mode="single-row", key="doc_lib_table")
            picked = ui.picked_row(event, rows)
            if picked is None:
                st.caption(t("docs.pick_one"))
            else:
                row = ui.attempt(documents.get, store, actor, picked["id"])
                if row:
                    with st.container(border=True):
                        header(row)
                        downloads(row, "lib")
                        show_read_only(row)


# --- bulletins --------------------------------------------------------------------------------------------------


def months_back(n: int = 24) -> list[date]:
    first, out = today.replace(day=1), []
    for _ in range(n):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out


if "bulletins" in tabs:
    with tabs["bulletins"]:
        if tabs["bulletins"].open:
            ui.show_flash(section="bulletins")
            with st.container(border=True, key="doc_new_bulletin"):
                st.markdown(f"**{t('docs.new_bulletin')}**")
                line = st.container(horizontal=True)
                kind = line.segmented_control(t("field.kind"), list(documents.BULLETINS), format_func=kind_label,
                                              key="doc_new_kind", default="briefing")
                if kind == "annual":
                    years = list(range(today.year, today.year - 15, -1))
                    picked_year = line.selectbox(t("field.year"), years, key="doc_new_year",
                                                 placeholder=t("common.choose"))
                    period = periods.year(picked_year)
                else:
                    months = months_back()
                    picked_month = line.selectbox(t("field.month"), months, index=1, key="doc_new_month",
                                                  placeholder=t("common.choose"),
                                                  format_func=lambda d: periods.month(d).label(lang))
                    period = periods.month(picked_month)
                st.caption(t(f"docs.new_{kind or 'briefing'}_help"))
                if st.button(t("docs.draft"), type="primary", key="doc_new_go", icon=":material/edit_document:",
                             disabled=kind is None):
                    with st.spinner(t("docs.drafting")):
                        made = ui.attempt(documents.draft_bulletin, store, actor, kind, period, lang=lang, today=today)
                    if made:
                        st.session_state["doc_open_bulletin"] = made
                        done(t("docs.drafted"), "bulletins")
            just = st.session_state.get("doc_just_issued")
            if just:
                shown = ui.attempt(documents.get, store, actor, just)
                if shown:
                    with st.container(border=True, key="doc_just_issued_box"):
                        header(shown)
                        downloads(shown, "just")
            drafts = documents.library(store, actor, status="draft")
            drafts = [r for r in drafts if r["kind"] in documents.BULLETINS]
            if not drafts:
                ui.empty("docs.no_drafts")
            else:
                row = open_one(drafts, "doc_open_bulletin", row_label)
                if row:
                    header(row)
                    editor(row, "bulletins")


# --- a secondee's reports ---------------------------------------------------------------------------------------

if "reports" in tabs:
    with tabs["reports"]:
        if tabs["reports"].open:
            ui.show_flash(section="reports")
            with st.container(border=True, key="doc_new_report"):
                st.markdown(f"**{t('docs.new_report')}**")
                months = documents.report_months(store, actor, own_pid, today=today)
                line = st.container(horizontal=True, vertical_alignment="bottom")
                if months:
                    default = 1 if len(months) > 1 and today.day <= 10 else 0
                    month = line.selectbox(t("field.month"), months, index=default, key="doc_rep_month",
                                           placeholder=t("common.choose"),
                                           format_func=lambda m: periods.month(date.fromisoformat(f"{m}-01")).label(lang))
                    if line.button(t("docs.draft_monthly"), type="primary", key="doc_rep_go",
                                   icon=":material/edit_document:"):
                        made = ui.attempt(documents.draft_report, store, actor, own_pid, "monthly", month=month,
                                          lang=lang, today=today)
                        if made:
                            st.session_state["doc_open_report"] = made
                            done(t("docs.drafted"), "reports")
                if line.button(t("docs.draft_summary"), key="doc_sum_go", icon=":material/summarize:"):
                    made = ui.attempt(documents.draft_report, store, actor, own_pid, "summary", lang=lang, today=today)
                    if made:
                        st.session_state["doc_open_report"] = made
                        done(t("docs.drafted"), "reports")
                st.caption(t("docs.report_help"))
            mine = documents.library(store, actor, participant_id=own_pid)
            mine = [r for r in mine if r["kind"] in documents.REPORTS]
            if not mine:
                ui.empty("docs.no_reports")
            else:
                row = open_one(mine, "doc_open_report", row_label)
                if row:
                    header(row)
                    if row["status"] in ("draft", "returned"):
                        editor(row, "reports")
                    else:
                        downloads(row, "rep")
                        show_read_only(row)


# --- reviews ------------------------------------------------------------------------------------------------------

if "reviews" in tabs:
    with tabs["reviews"]:
        if tabs["reviews"].open:
            ui.show_flash(section="reviews")
            waiting = documents.waiting(store, actor)
            if not waiting:
                ui.empty("docs.no_waiting")
            else:
                st.caption(t("docs.waiting_help", n=len(waiting)))
                row = open_one(
                    waiting, "doc_open_review",
                    lambda r: f"{r['person']} · {r['batch']} · {kind_label(r['kind'])} · "
                              f"{r['period_key'] if r['kind'] == 'monthly' else t('docs.whole_stint')}",
                )
                if row:
                    header(row)
                    downloads(row, "rev")
                    show_read_only(row)
                    st.text_area(t("field.comment"), key=f"doc_rev_comment_{row['id']}",
                                 placeholder=t("docs.comment_placeholder"), max_chars=2000)
                    ui.show_flash(section=f"review_{row['id']}")       # a return without a comment, said here
                    # In the buttons' callbacks (ui.act): a report another reviewer decided a moment before is
                    # answered, not dropped with the list it has left.
                    line = st.container(horizontal=True)
                    for approve in (True, False):
                        line.button(t("docs.approve") if approve else t("docs.return"),
                                    type="primary" if approve else "secondary",
                                    key=f"doc_{'approve' if approve else 'return'}_{row['id']}",
                                    icon=":material/check:" if approve else ":material/undo:",
                                    **ui.act(decide_report, row["id"], approve,
                                             done=t("docs.approved") if approve else t("docs.returned"),
                                             section="reviews", inline=f"review_{row['id']}"))


# --- settings -------------------------------------------------------------------------------------------------------

if "settings" in tabs:
    with tabs["settings"]:
        if tabs["settings"].open:
            ui.show_flash(section="settings")
            current = documents.settings(store)
            with st.form("doc_settings"):
                issuer = st.text_input(t("field.issuer"), value=current["issuer"], max_chars=60,
                                       placeholder=t("docs.issuer_default"))
                cols = st.columns(2)
                mast_b = cols[0].text_input(t("field.briefing_masthead"), value=current["briefing_masthead"],
                                            max_chars=30, placeholder=t("docs.masthead_briefing"))
                mast_n = cols[1].text_input(t("field.notice_masthead"), value=current["notice_masthead"],
                                            max_chars=30, placeholder=t("docs.masthead_notice"))
                bar_t = cols[0].number_input(t("field.bar_on_time"), 0, 100, int(current["bar_on_time"]))
                bar_s = cols[1].number_input(t("field.bar_satisfied"), 0, 100, int(current["bar_satisfied"]))
                st.caption(t("docs.bars_help"))
                save = st.form_submit_button(t("docs.save"), type="primary", icon=":material/save:")
                if save and ui.attempt(documents.set_settings, store, actor,
                                       {"issuer": issuer, "briefing_masthead": mast_b, "notice_masthead": mast_n,
                                        "bar_on_time": bar_t, "bar_satisfied": bar_s}):
                    done(t("docs.saved"), "settings")
            st.markdown(f"**{t('field.template')}**")
            own = documents.template(store)
            st.caption(t("docs.template_own") if own else t("docs.template_builtin"))
            version = st.session_state.get("doc_tpl_version", 0)
            uploaded = st.file_uploader(t("docs.template_upload"), type=["docx"], key=f"doc_tpl_{version}")
            line = st.container(horizontal=True)
            use = uploaded is not None and line.button(t("docs.template_use"), type="primary", key="doc_tpl_use")
            if use and ui.attempt(documents.set_template, store, actor, uploaded.getvalue()):
                st.session_state["doc_tpl_version"] = version + 1
                done(t("docs.template_saved"), "settings")
            if own:
                line.download_button(t("docs.template_download"), own, file_name="template.docx",
                                     mime=documents.MIME["docx"], key="doc_tpl_dl", icon=":material/download:")
                if line.button(t("docs.template_reset"), key="doc_tpl_reset"):
                    st.session_state["doc_pending"] = ("template", 0)
                    st.rerun()
                if st.session_state.get("doc_pending") == ("template", 0):
                    st.warning(t("docs.template_reset_confirm"), icon=":material/warning:")
                    if ui.confirm_buttons(t("docs.template_reset"), key="doc_tpl_reset_ok",
                                          on_cancel=lambda: st.session_state.pop("doc_pending", None)):
                        st.session_state.pop("doc_pending", None)
                        if ui.attempt(documents.set_template, store, actor, None):
                            done(t("docs.template_cleared"), "settings")
