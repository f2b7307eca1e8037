"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("coverage")
st.title(ui.t("nav.coverage"))
ui.empty("common.coming_soon")
