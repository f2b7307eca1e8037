"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("presentation")
st.title(ui.t("nav.presentation"))
ui.empty("common.coming_soon")
