"""Batches: each batch's intake, dates, size and status; a timeline of batches or of every stint since 2010;
creating and editing batches for reviewers."""

from collections import Counter

import pandas as pd
import streamlit as st

from secondment import charts, clock, permissions, roster, ui, vocab

actor = ui.page_gate("batches")
store = ui.store()
lang = ui.lang()
t, L, fmt = ui.texts(lang)  # bound to this run's language: format functions may run after it


editor = permissions.can(actor, "batch.edit")
TIMELINE_PEOPLE = 100    # stints in the timeline at a time (22 px each; a district's 68 in one chart)
st.title(ui.tm("nav.batches"))
st.caption(ui.tm("batches.subtitle"))
ui.show_flash()

batches = roster.list_batches(store, actor)
if not batches:
    ui.empty("batches.empty")
else:
    m = ui.metric_row()
    m.metric(t("batches.count"), len(batches), border=True)
    m.metric(L("direction_short", vocab.CADRE), sum(b["direction"] == vocab.CADRE for b in batches), border=True)
    m.metric(L("direction_short", vocab.TALENT), sum(b["direction"] == vocab.TALENT for b in batches), border=True)
    m.metric(t("batches.people"), sum(b["size"] for b in batches), border=True)

    frame = roster.batches_frame(store, actor, lang)
    st.dataframe(frame, hide_index=True, width="stretch", key="ba_table")
    if permissions.can(actor, "participant.export"):
        ui.downloads(frame, t("batches.file_stem"), key="ba_dl", sheet=t("nav.batches"))

    st.subheader(ui.tm("batches.timeline"))
    show = st.segmented_control(t("batches.show"), ["batches", "people"], default="batches", key="ba_show",
                                format_func=lambda s: t(f"batches.show_{s}")) or "batches"
    direction_label = {d: L("direction_short", d) for d in vocab.DIRECTIONS}
    colours = {direction_label[d]: c for d, c in charts.DIRECTION_COLOURS.items()}
    if show == "batches":
        drawn = ui.chart_rows(batches, ui.CHART_BATCHES, key="ba_map_page_batches", texts="batches")
        bars = pd.DataFrame({
            "y": [b["code"] + t("common.in_brackets", text=b["intake_year"])
                  for b in drawn],
            "start": pd.to_datetime([b["start_date"] for b in drawn]),
            # px.timeline draws to the end instant; the last day is inclusive.
            "end": pd.to_datetime([b["end_date"] for b in drawn]) + pd.Timedelta(days=1),
            "direction": [direction_label[b["direction"]] for b in drawn],
            t("batches.size"): [b["size"] for b in drawn],
            t("field.status"): [t(f"batches.status_{b['status']}") for b in drawn],
        })
        hover = [t("batches.size"), t("field.status")]
    else:
        people = roster.stints(store, actor, since="2010-01-01")
        people.sort(key=lambda p: (p["start_date"], roster.batch_key(p["batch"])))
        people = ui.chart_rows(people, TIMELINE_PEOPLE, key="ba_map_page_people", texts="batches")
        rows = [f"{p['name']} · {p['batch']}" for p in people]
        taken = Counter(rows)                    # namesakes in one batch: one row each, told apart by record
        bars = pd.DataFrame({
            "y": [f"{r} · #{p['id']}" if taken[r] > 1 else r for r, p in zip(rows, people)],
            "start": pd.to_datetime([p["start_date"] for p in people]),
            "end": pd.to_datetime([p["end_date"] for p in people]) + pd.Timedelta(days=1),
            "direction": [direction_label[p["direction"]] for p in people],
            t("field.host_unit"): [p["host_unit"] for p in people],
            t("field.status"): [L("participant_status", p["status"]) for p in people],
        })
        hover = [t("field.host_unit"), t("field.status")]
    if bars.empty:
        ui.empty("common.no_data")
    else:
        fig = charts.stint_timeline(bars, "start", "end", "y", "direction", colours=colours, hover=hover,
                                    labels={"direction": t("field.direction"), "y": ""},
                                    height=None if show == "people" else 140 + 34 * len(bars))
        today = pd.Timestamp(clock.today())
        fig.add_vline(x=today, line_dash="dot", line_color="#555")
        ui.chart(fig, key=f"ba_timeline_{show}")

if editor:
    st.subheader(ui.tm("batches.edit_title"))
    by_id = {b["id"]: b for b in batches}
    pick = st.selectbox(t("batches.pick"), [None, *by_id], key="ba_pick",
                        format_func=lambda i: t("batches.new_batch") if i is None else
                        f"{by_id[i]['code']} · {L('direction_short', by_id[i]['direction'])}", placeholder=ui.t("common.choose"))
    current = by_id.get(pick, {})
    with st.form(f"ba_form_{pick}"):
        c = st.columns(3)
        code = c[0].text_input(t("field.batch_code"), value=current.get("code", ""), placeholder="C6 / T5")
        directions = list(vocab.DIRECTIONS)
        direction = c[1].selectbox(t("field.direction"), directions,
                                   index=directions.index(current["direction"]) if current else 0,
                                   format_func=lambda d: L("direction", d), placeholder=ui.t("common.choose"))
        year = c[2].number_input(t("field.intake_year"), min_value=2000, max_value=2100, step=1,
                                 value=int(current.get("intake_year") or clock.today().year))
        c = st.columns(3)
        start = ui.date_text(c[0], t("field.start_date"), value=current["start_date"] if current else None,
                             key=f"bt_start_{pick}")
        end = ui.date_text(c[1], t("field.end_date"), value=current["end_date"] if current else None,
                           key=f"bt_end_{pick}")
        notes = c[2].text_input(t("field.notes"), value=current.get("notes") or "")
        submitted = st.form_submit_button(t("common.save"), type="primary", icon=":material/save:")
    if submitted:
        saved = ui.attempt(roster.save_batch, store, actor, pick, code=code, direction=direction, intake_year=year,
                           start_date=start, end_date=end, notes=notes)
        if saved is not None:
            ui.flash(ui.tm("batches.saved", code=code.strip().upper()))
            st.rerun()
