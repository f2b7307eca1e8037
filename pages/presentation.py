"""Presentation for leadership: pick the period, see the story slide by slide, then open it full screen
(nothing but the slides), print it as a handout, or open the cockpit (大屏) for a wall screen.

The slides themselves are pages of their own (``secondment.deck``, served at /_deck/…), so a projector shows no
sidebar and no Streamlit chrome; this page is where a leader chooses what to show."""
from urllib.parse import urlencode

import streamlit as st

from secondment import analytics, deck, periods, story, ui

actor = ui.page_gate("presentation")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)

st.title(t("nav.presentation"))
st.caption(t("present.caption"))
if not analytics.has_participants(store, actor):
    ui.empty("overview.empty")
    st.stop()

offered = periods.options(store, actor)
with st.container(border=True):
    c = st.columns([1.4, 1, 1.6])
    period = c[0].selectbox(t("field.period"), offered, key="pr_period", placeholder=ui.t("common.choose"), format_func=lambda p: p.label(lang))
    auto = c[1].selectbox(t("present.autoplay"), deck.AUTO_SECONDS, key="pr_auto", placeholder=ui.t("common.choose"),
                          format_func=lambda n: t("present.auto_off") if not n else t("present.auto_every", n=n),
                          help=t("present.autoplay_help"))
    slides = story.slides(store, actor, period, lang)
    start = c[2].selectbox(t("present.start_at"), list(range(1, len(slides) + 1)), key=f"pr_start_{period.key}", placeholder=ui.t("common.choose"),
                           format_func=lambda n: f"{n}. {slides[n - 1]['title']}")

query = {"period": period.key, "lang": lang}
row = st.container(horizontal=True)
row.link_button(t("present.start"), "/_deck/present?" + urlencode({**query, "slide": start, "auto": auto}),
                type="primary", icon=":material/slideshow:")
row.link_button(t("present.handout"), "/_deck/handout?" + urlencode(query), icon=":material/print:")
row.link_button(t("present.cockpit"), "/_deck/cockpit?" + urlencode({"lang": lang}), icon=":material/monitor:")
st.caption(t("present.keys"))

st.subheader(t("present.outline", period=period.label(lang)))
for number, slide in enumerate(slides, start=1):
    with st.container(border=True):
        head, figure = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"**{number}. {ui.md(slide['title'])}**")
        head.caption(ui.md(slide["message"]))
        if slide["hero"]:
            figure.metric(slide["hero"]["label"], slide["hero"]["value"])   # the label names what is counted
