"""Practice library: replicable practices distilled from counsellor work, from draft to promoted district-wide."""
import streamlit as st

from secondment import activities, clock, practices, ui, vocab

actor = ui.page_gate("practices")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


reviewer = practices.sees_all(actor)

PAGE_SIZE = 20

st.title(ui.tm("nav.practices"))
st.caption(ui.tm("practice.intro"))

ui.show_flash()

options = practices.filter_options(store, actor)
with st.container(border=True):
    c = st.columns([3, 2, 2, 1, 2] if reviewer else [3, 2, 2, 1])
    text = c[0].text_input(t("common.search"), key="pr_text", placeholder=t("practice.search_placeholder"))
    enterprise = ui.select_or_all(c[1], t("field.enterprise"), options["enterprises"], key="pr_enterprise",
                                  format=lambda e: e[1])
    industry = ui.select_or_all(c[2], t("field.industry"), options["industries"], key="pr_industry")
    batch = ui.select_or_all(c[3], t("practice.source_batch"), options["batches"], key="pr_batch")
    status = None
    if reviewer:
        status = ui.select_or_all(c[4], t("field.status"), vocab.PRACTICE_STATUSES, key="pr_status",
                                  format="practice_status")

filters = {"text": text or None, "enterprise": enterprise[0] if enterprise else None, "industry": industry,
           "batch": batch, "status": status}
total = practices.list_practices(store, actor, limit=0, **filters)[1]

if reviewer:
    counts = practices.status_counts(store, actor)
    m = ui.metric_row()
    for s in vocab.PRACTICE_STATUSES:
        m.metric(L("practice_status", s), counts.get(s, 0), border=True)


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
            ui.flash(ui.tm(f"practice.done_{nxt}" if step else "common.saved"))
            st.rerun()


if total == 0:
    if any(v for v in filters.values()):
        ui.empty("practice.empty_filtered")
    else:
        ui.empty("practice.empty_reviewer" if reviewer else "practice.empty")
    rows = []
else:
    limit, offset = ui.paginate(total, PAGE_SIZE, key="pr_page")
    rows, _ = practices.list_practices(store, actor, limit=limit, offset=offset, **filters)
    st.caption(ui.tm("common.shown_of", shown=len(rows), total=total))

for row in rows:
    with st.container(border=True):
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**{ui.md(row['title'])}**")
        ui.status_badge(head, "practice_status", row["status"])
        bits = [b for b in (row["enterprise"], row["industry"],
                            t("practice.from_person", name=row["participant"], batch=row["batch"])
                            if row["participant"] else None,
                            t("practice.promoted_on", date=clock.local_time(row["promoted_at"], "%Y-%m-%d")) if row["promoted_at"] else None)
                if b]
        st.caption(ui.md(" · ".join(bits)))
        if row["summary"]:
            st.markdown(ui.md(row["summary"]))
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
        st.caption(ui.tm("practice.propose_reviewer_help"))
        cadres = activities.participants(store, actor, direction=vocab.CADRE)
        person = st.selectbox(t("field.participant"), [None, *cadres], key="pr_person",
                              format_func=lambda p: t("practice.choose_person") if p is None
                              else f"{p['name']} · {p['batch']} · {p['host_unit'] or ''}", placeholder=ui.t("common.choose"))
        if person:
            entries, _ = activities.list_entries(store, actor, participant_id=person["id"], role="counsellor", limit=50)
            taken = practices.proposed_activity_ids(store, actor, person["id"])
            entries = [e for e in entries if e["id"] not in taken]
            if not entries:
                ui.empty("practice.no_counsellor_entries")
            else:
                entry = st.selectbox(t("field.activity"), entries, key="pr_entry",
                                     format_func=lambda e: f"{e['date']} · {e['title']}", placeholder=ui.t("common.choose"))
                with st.form("pr_propose", clear_on_submit=True):
                    title = st.text_input(t("field.title"), value=entry["title"], max_chars=120)
                    summary = st.text_area(t("practice.summary"), max_chars=4000, value="\n".join(
                        v for v in (entry["description"], entry["outcome"]) if v))
                    sent = st.form_submit_button(t("practice.propose"), type="primary")
                if sent and ui.attempt(practices.propose, store, actor, activity_id=entry["id"], title=title,
                                       summary=summary):
                    ui.flash(ui.tm("practice.proposed"))
                    st.rerun()
