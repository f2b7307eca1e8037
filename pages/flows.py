"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("flows")
st.title(ui.t("nav.flows"))
ui.empty("common.coming_soon")
