"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("roster")
st.title(ui.t("nav.roster"))
ui.empty("common.coming_soon")
