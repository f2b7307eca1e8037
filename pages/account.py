"""My account (every role): who I am, change my password, my language, my sessions."""
import pandas as pd
import streamlit as st

from secondment import auth, clock, i18n, notify, ui
from secondment.errors import ValidationError

actor = ui.page_gate("account")
store = ui.store()
t = ui.t

st.title(ui.tm("account.title"))
me = ui.attempt(auth.get_user, store, actor, actor.user_id) if actor.user_id is not None else None

ui.show_flash()
if ui.attempt(auth.must_change_password, store, actor):
    st.warning(ui.tm("account.must_change"), icon=":material/key:")

left, right = st.columns([1, 1], gap="large")

with left:
    st.subheader(ui.tm("account.profile"))
    st.markdown(f"**{ui.md(actor.display_name)}** · {ui.md(actor.username)}")
    st.caption(ui.label("app_role", actor.role))
    link = ui.attempt(auth.account_links, store, actor) or {}
    if link.get("participant"):
        st.caption(ui.tm("account.linked_participant", name=link["participant"]))
    if link.get("department"):
        st.caption(ui.tm("account.linked_department", name=link["department"]))

    st.subheader(ui.tm("account.language"))
    # The radio mirrors the session's language (the sidebar picker may change it too); a click saves it.
    if st.session_state.get("acct_lang") != ui.lang():
        st.session_state["acct_lang"] = ui.lang()

    def _language_changed() -> None:
        choice = st.session_state.get("acct_lang")
        if choice and choice != ui.lang():
            ui.set_lang(choice)
            auth.set_language(store, actor, choice)
            ui.flash(i18n.translate(choice, "account.language_saved"))

    st.radio(t("account.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGE_NAMES.get, horizontal=True,
             key="acct_lang", label_visibility="collapsed", on_change=_language_changed)
    st.caption(ui.tm("account.language_help"))

with right:
    st.subheader(ui.tm("account.change_password"))
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(t("field.current_password"), type="password", autocomplete="current-password")
        new = st.text_input(t("field.new_password"), type="password", autocomplete="new-password")
        repeat = st.text_input(t("account.repeat_password"), type="password", autocomplete="new-password")
        st.caption(ui.tm("signin.password_rules", min=auth.MIN_PASSWORD_LENGTH))
        submitted = st.form_submit_button(t("account.change_password"), type="primary", icon=":material/key:")
    if submitted:
        if new != repeat:
            ui.show_error(ValidationError("new_password", "•" * min(len(repeat), 12), "passwords_differ"))
        elif ui.attempt(lambda: auth.set_password(store, actor, actor.user_id, new, current) or True):
            ui.flash(ui.tm("account.password_changed"))
            st.rerun()

st.divider()
st.subheader(ui.tm("account.digest_title"))
mine = notify.digest_of(store, actor)
said = ui.texts()[0]   # bound to this run's language: the radio formats its options after the run too
with st.form("digest"):
    c1, c2 = st.columns([1, 2])
    choice = c1.radio(t("field.digest"), notify.DIGESTS, index=notify.DIGESTS.index(mine["digest"]),
                      format_func=lambda d: said(f"account.digest_{d}"), horizontal=True)
    address = c2.text_input(t("field.email"), value=mine["email"] or "", max_chars=254, autocomplete="email")
    st.caption(ui.tm("account.digest_help" if notify.smtp_config() else "account.digest_no_smtp"))
    saved = st.form_submit_button(t("common.save"), icon=":material/save:")
if saved and ui.attempt(lambda: notify.set_digest(store, actor, choice, address) or True):
    ui.flash(ui.tm("account.digest_saved"))
    st.rerun()

st.divider()
st.subheader(ui.tm("account.sessions"))
st.caption(ui.tm("account.sessions_help", minutes=auth.idle_minutes()))
sessions = ui.attempt(auth.list_sessions, store, actor) or []


def device(agent: str | None) -> str:
    """"Chrome 131，Windows 10电脑" rather than a token's first characters."""
    browser, system, mobile = auth.describe_agent(agent)
    if not browser and not system:
        return t("account.device_unknown")
    return t("account.device_mobile" if mobile else "account.device_desktop",
             browser=browser or t("account.device_unknown"), system=system or t("account.unknown_system"))


this = auth.session_id(store, ui.session_token())
if sessions:
    st.dataframe(pd.DataFrame([{
        t("account.session_device"): device(s["agent"]),
        t("account.session_from"): s["client"] or "—",
        t("account.session_started"): clock.local_time(s["created_at"]),
        t("account.session_last_seen"): clock.local_time(s["last_seen"]),
        t("account.session_state"): t("account.session_this") if s["_id"] == this else
        t("account.session_open") if s["open"] else t("account.session_closed"),
    } for s in sessions]), hide_index=True, width="stretch")
    others = sum(1 for s in sessions if s["open"] and s["_id"] != this)
    if st.button(t("account.end_others"), icon=":material/logout:", disabled=others == 0, key="acct_end_others"):
        ended = ui.attempt(auth.end_other_sessions, store, actor, ui.session_token())
        if ended is not None:
            ui.flash(ui.tm("account.ended_others", count=ended))
            st.rerun()
