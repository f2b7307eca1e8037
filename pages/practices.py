"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("practices")
st.title(ui.t("nav.practices"))
ui.empty("common.coming_soon")
