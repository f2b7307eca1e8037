"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("admin")
st.title(ui.t("nav.admin"))
ui.empty("common.coming_soon")
