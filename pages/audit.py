"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("audit")
st.title(ui.t("nav.audit"))
ui.empty("common.coming_soon")
