"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("account")
st.title(ui.t("nav.account"))
ui.empty("common.coming_soon")
