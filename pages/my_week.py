"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("my_week")
st.title(ui.t("nav.my_week"))
ui.empty("common.coming_soon")
