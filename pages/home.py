"""The app's root URL: sends each signed-in user to their role's home page."""
import streamlit as st

from secondment import navigation, ui

ui.ensure_router()
actor = ui.current_actor()
if actor is None:
    st.switch_page("pages/sign_in.py")
st.switch_page(f"pages/{navigation.BY_KEY[navigation.home_for(actor)].file}")
