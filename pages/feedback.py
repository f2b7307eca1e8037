"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("feedback")
st.title(ui.t("nav.feedback"))
ui.empty("common.coming_soon")
