"""Placeholder until its issue lands."""
import streamlit as st

from secondment import ui

actor = ui.page_gate("batches")
st.title(ui.t("nav.batches"))
ui.empty("common.coming_soon")
