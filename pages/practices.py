"""Practice library: replicable practices distilled from counsellor work, from draft to promoted district-wide."""
import streamlit as st

from secondment import activities, clock, practices, ui, vocab

actor = ui.page_gate("practices")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


reviewer = practices.sees_all(actor)

PAGE_SIZE = 20
STATUS_COLOURS = {"draft": "gray", "reviewed": "blue", "promoted": "green"}

st.title(t("nav.practices"))
st.caption(t("practice.intro"))

ui.show_flash()

options = practices.filter_options(store, actor)
with st.container(border=True):
    c = st.columns([3, 2, 2, 1, 2] if reviewer else [3, 2, 2, 1])
    text = c[0].text_input(t("common.search"), key="pr_text", placeholder=t("practice.search_placeholder"))
    enterprise = c[1].selectbox(t("field.enterprise"), [None, *options["enterprises"]], key="pr_enterprise",
                                format_func=lambda e: t("common.all") if e is None else e[1])
    industry = c[2].selectbox(t("field.industry"), [None, *options["industries"]], key="pr_industry",
                              format_func=lambda v: t("common.all") if v is None else v)
    batch = c[3].selectbox(t("practice.source_batch"), [None, *options["batches"]], key="pr_batch",
                           format_func=lambda v: t("common.all") if v is None else v)
    status = None
    if reviewer:
        status = c[4].selectbox(t("field.status"), [None, *vocab.PRACTICE_STATUSES], key="pr_status",
                                format_func=fmt("practice_status"))

filters = dict(text=text or None, enterprise=enterprise[0] if enterprise else None, industry=industry,
               batch=batch, status=status)
total = practices.list_practices(store, actor, limit=0, **filters)[1]
pages = max(1, -(-total // PAGE_SIZE))

if reviewer:
    counts = practices.status_counts(store, actor)
    m = st.columns(3)
    for i, s in enumerate(vocab.PRACTICE_STATUSES):
        m[i].metric(L("practice_status", s), counts.get(s, 0), border=True)


def manage(row: dict) -> None:
    """The reviewer's form for one practice, open in its card until saved or closed."""
    with st.form(f"pr_edit_{row['id']}"):
        title = st.text_input(t("field.title"), value=row["title"], max_chars=120)
        summary = st.text_area(t("practice.summary"), value=row["summary"] or "", max_chars=4000, height=160)
        nxt = practices.NEXT_STATUS.get(row["status"])
        b = st.container(horizontal=True)
        step = b.form_submit_button(t(f"practice.to_{nxt}"), type="primary",
                                    icon=":material/arrow_forward:") if nxt else False
        save = b.form_submit_button(t("common.save"), icon=":material/save:")
        close = b.form_submit_button(t("common.cancel"))
    if close:
        st.session_state.pop("pr_open", None)
        st.rerun()
    if save or step:
        done = ui.attempt(practices.review, store, actor, row["id"], title=title, summary=summary,
                          to_status=nxt if step else None)
        if done:
            st.session_state.pop("pr_open", None)
            ui.flash(t(f"practice.done_{nxt}" if step else "common.saved"))
            st.rerun()


if total == 0:
    if any(v for v in filters.values()):
        ui.empty("practice.empty_filtered")
    else:
        ui.empty("practice.empty_reviewer" if reviewer else "practice.empty")
    rows = []
else:
    page_no = 1
    if pages > 1:
        page_no = st.number_input(t("practice.page", pages=pages), min_value=1, max_value=pages, value=1, step=1,
                                  key="pr_page", width=180)
    rows, _ = practices.list_practices(store, actor, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE, **filters)
    st.caption(t("common.shown_of", shown=len(rows), total=total))

for row in rows:
    with st.container(border=True):
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**{row['title']}**")
        head.badge(L("practice_status", row["status"]), color=STATUS_COLOURS.get(row["status"], "gray"))
        bits = [b for b in (row["enterprise"], row["industry"],
                            t("practice.from_person", name=row["participant"], batch=row["batch"])
                            if row["participant"] else None,
                            t("practice.promoted_on", date=clock.local_time(row["promoted_at"], "%Y-%m-%d")) if row["promoted_at"] else None)
                if b]
        st.caption(" · ".join(bits))
        if row["summary"]:
            st.markdown(row["summary"])
        if reviewer:
            if st.session_state.get("pr_open") == row["id"]:
                manage(row)
            elif st.button(t("practice.manage"), key=f"pr_manage_{row['id']}", icon=":material/rate_review:"):
                st.session_state["pr_open"] = row["id"]
                st.rerun()

if rows:
    ui.downloads(practices.export_frame(store, actor, lang, **filters), "practices", key="pr_dl",
                 sheet=t("nav.practices"))

# --- a reviewer proposes from a counsellor entry --------------------------------------------------
if reviewer:
    st.divider()
    with st.expander(t("practice.propose_title"), icon=":material/lightbulb:"):
        st.caption(t("practice.propose_reviewer_help"))
        cadres = activities.participants(store, actor, direction=vocab.CADRE)
        person = st.selectbox(t("field.participant"), [None, *cadres], key="pr_person",
                              format_func=lambda p: t("practice.choose_person") if p is None
                              else f"{p['name']} · {p['batch']} · {p['host_unit'] or ''}")
        if person:
            entries, _ = activities.list_entries(store, actor, participant_id=person["id"], role="counsellor", limit=50)
            taken = practices.proposed_activity_ids(store, actor, person["id"])
            entries = [e for e in entries if e["id"] not in taken]
            if not entries:
                ui.empty("practice.no_counsellor_entries")
            else:
                entry = st.selectbox(t("field.activity"), entries, key="pr_entry",
                                     format_func=lambda e: f"{e['date']} · {e['title']}")
                with st.form("pr_propose", clear_on_submit=True):
                    title = st.text_input(t("field.title"), value=entry["title"], max_chars=120)
                    summary = st.text_area(t("practice.summary"), max_chars=4000, value="\n".join(
                        v for v in (entry["description"], entry["outcome"]) if v))
                    sent = st.form_submit_button(t("practice.propose"), type="primary")
                if sent and ui.attempt(practices.propose, store, actor, activity_id=entry["id"], title=title,
                                       summary=summary):
                    ui.flash(t("practice.proposed"))
                    st.rerun()
