"""Sign-in: username and password; on a demo database, one-click entry as each demo role."""
import streamlit as st

from secondment import auth, ui

ui.ensure_router()
ui.demo_banner()
st.title(ui.t("app.title"))
st.caption(ui.t("app.subtitle"))

store = ui.store()
left, right = st.columns([3, 2], gap="large")

with left:
    st.subheader(ui.t("signin.heading"))
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input(ui.t("field.username"), key="signin_username", autocomplete="username")
        password = st.text_input(ui.t("field.password"), type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(ui.t("signin.submit"), type="primary", icon=":material/login:")
    if submitted:
        actor = ui.attempt(auth.authenticate, store, username, password, ui.client_address())
        if actor is not None:
            ui.sign_in(actor)
            st.rerun()

demo_accounts = auth.demo_accounts(store, ui.server_address())
if demo_accounts:
    with right:
        st.subheader(ui.t("signin.demo_heading"))
        st.caption(ui.t("signin.demo_hint"))
        for account in demo_accounts:
            role = ui.label('app_role', account['role'])
            # "系统管理员 · 系统管理员" says it twice: show the name only when it adds something.
            name = account["display_name"] or ""
            label = role if not name or name == role else f"{role} · {name}"
            if st.button(ui.md(label), key=f"demo_{account['username']}", width="stretch",
                         icon=":material/play_circle:"):
                actor = ui.attempt(auth.demo_sign_in, store, account["username"], ui.server_address())
                if actor is not None:
                    ui.sign_in(actor, shared=True)
                    st.rerun()
