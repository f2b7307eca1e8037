"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("review")
st.title(ui.t("nav.review"))
ui.empty("common.coming_soon")
