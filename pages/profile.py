"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("profile")
st.title(ui.t("nav.profile"))
ui.empty("common.coming_soon")
