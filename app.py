"""Entry point: page config, sign-in gate, language, and navigation built from the user's role."""
from __future__ import annotations

import streamlit as st

from secondment import navigation, ui

st.set_page_config(page_title="双岗 · Two-Way Secondment", page_icon=":material/handshake:", layout="wide")

actor = ui.current_actor()
ui.sync_cookie()

with st.sidebar:
    st.markdown(f"**{ui.t('app.title')}**")
    ui.language_picker(st.sidebar)

if actor is None:
    page = st.navigation([st.Page("pages/sign_in.py", title=ui.t("nav.sign_in"), icon=":material/login:",
                                  url_path="sign_in", default=True)], position="hidden")
else:
    home = navigation.home_for(actor)
    sections: dict[str, list] = {}
    for spec in navigation.pages_for(actor):
        sections.setdefault(ui.t(f"nav.section_{spec.section}"), []).append(
            st.Page(f"pages/{spec.file}", title=ui.t(f"nav.{spec.key}"), icon=spec.icon,
                    url_path=spec.key, default=spec.key == home))
    page = st.navigation(sections)
    with st.sidebar:
        st.caption(ui.t("app.signed_in_as", name=actor.display_name, role=ui.label("app_role", actor.role)))
        if st.button(ui.t("app.sign_out"), icon=":material/logout:", key="_sign_out"):
            ui.sign_out()
            st.rerun()

page.run()
