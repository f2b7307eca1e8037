"""The few Streamlit helpers pages share: the store, the language, the signed-in actor, the page gate,
error display, downloads and charts, and the page idioms (confirmations, table selections, "All" in a select
box, status badges, pagination). The only module of the core that imports Streamlit.
"""
from __future__ import annotations

import calendar
import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from secondment import auth, clock, db, exports, i18n, navigation, permissions, vocab, web, workdays
from secondment.errors import Conflict, NotFound, SecondmentError
from secondment.permissions import Actor
from secondment.safe import md

COOKIE = web.COOKIE
ICON = Path(__file__).with_name("assets") / "icon.png"
_TOKEN = "_session_token"
_LANG = "lang"
_PICKED = "_lang_picked"  # a language was picked while signed out (on the sign-in page)


# --- store ---------------------------------------------------------------------------------------


def store() -> db.Store:
    """The database the app serves (``SECONDMENT_DB`` or ``data/secondment.db``), migrated once per process.

    A missing file is never created here, let alone filled with the demo programme: a mistyped or unmounted
    path would otherwise open a fresh database with one-click administrator entry. The page says how to
    create one and stops; so it does for a file that is not a database this program can open."""
    path = db.default_path()
    try:
        return db.served(path)
    except db.Missing:
        _stop_with("app.no_database", path, commands=True)
    except db.CannotOpen as error:
        _stop_with("app.cannot_open", path, reason=error.reason)


def server_address() -> str | None:
    """The address the server listens on (``server.address``; empty means every network interface)."""
    return st.get_option("server.address")


def asked_id() -> tuple[int | None, str | None]:
    """``?id=`` as a number (None when absent), and as written; a malformed one is said and ignored."""
    raw = st.query_params.get("id")
    try:
        return (int(raw) if raw not in (None, "") else None), raw
    except ValueError:
        st.warning(tm("profile.bad_id"), icon=":material/link_off:")
        return None, raw


def pick_participant(people: Sequence[dict], wanted: int | None, raw_id: str | None, *, page_key: str,
                     key: str) -> int:
    """The person a page is about, for those who may pick anyone (``people``, non-empty): a link with ``?id=``
    chooses when it brings someone to ``page_key`` (from the roster, another page, a new tab); once on the page,
    the picker decides and the address follows it. (Reading the address on every run took the page's own, not yet
    updated ``?id=`` for a new link and undid every other pick.) An id not among ``people`` is said to be unknown."""
    from secondment.errors import NotFound

    ids = [p["id"] for p in people]
    by_id = {p["id"]: p for p in people}
    shown = f"{key}:shown"     # the person on the page: the browser may send an empty choice while the box redraws
    if wanted in by_id and arrived(page_key):
        st.session_state[key] = wanted
    if wanted is not None and wanted not in by_id:
        show_error(NotFound("participant", wanted))
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = (st.session_state[shown] if st.session_state.get(shown) in by_id
                                 # someone serving now, not a stint yet to begin
                                 else next((p["id"] for p in people if p["status"] == "active"), ids[0]))
    listed = ids
    if len(people) > PICKER_ALL:
        listed = findable(people, st.session_state[key], key)
    # index=None: an empty choice stays empty (Streamlit would read it as the first of the list) and is refilled above
    chosen = st.selectbox(t("profile.choose"), listed, index=None, key=key, placeholder=t("common.choose"),
                          format_func=lambda i: f"{by_id[i]['name']} · {by_id[i]['batch']} · {by_id[i]['host_unit']}")
    if chosen is None:   # draw the box again, refilled above with the person shown
        st.rerun()
    st.session_state[shown] = chosen
    if str(chosen) != raw_id:
        st.query_params["id"] = str(chosen)
    return chosen


PICKER_ALL = 300       # a picker lists everyone up to this many people (a district's programme)
PICKER_LISTED = 50     # beyond it, a search box and the first this-many who match
ROSTER_ROWS = 500      # rows of the roster's table a page (a district's programme fits on one)
CHART_BATCHES = 40     # batches a chart draws at a time (a national rollout has over a thousand)


def findable(people: Sequence[dict], current: int | None, key: str) -> list[int]:
    """The ids a long person picker lists: those matching the search box above it (name, batch or host unit),
    the first ``PICKER_LISTED`` in the list's order, the person shown or chosen (``current``) always among them.
    Ten thousand options would be sent to the browser on every run (half a megabyte) and nobody scrolls them."""
    query = db.search_text(st.text_input(t("profile.find"), key=f"{key}:find", placeholder=t("profile.find_placeholder")))
    wanted = query.casefold()
    matches = [p["id"] for p in people
               if not wanted or wanted in f"{p['name']} {p['batch'] or ''} {p.get('host_unit') or ''}".casefold()]
    listed = matches[:PICKER_LISTED]
    if current is not None and current not in listed:
        listed = [current, *listed]
    if query and not matches:
        st.caption(tm("profile.find_none", query=query))
    else:
        st.caption(tm("profile.find_listed", total=len(people), shown=min(len(matches), PICKER_LISTED),
                      matches=len(matches)))
    return listed


def public_origin() -> str:
    """Where people reach this app (``SECONDMENT_BASE_URL`` when set, else the address this browser used):
    the start of a link the app gives someone to open elsewhere, such as a host contact's appraisal link."""
    from urllib.parse import urlparse

    from secondment import notify

    if os.environ.get("SECONDMENT_BASE_URL"):
        return notify.base_url()
    seen = urlparse(st.context.url or "")
    return f"{seen.scheme}://{seen.netloc}" if seen.scheme and seen.netloc else notify.base_url()


def _stop_with(key: str, path, *, commands: bool = False, reason: str | None = None) -> None:
    st.error(t(key, path=str(path), reason=t(f"app.db_problem_{reason}") if reason else ""),
             icon=":material/database:")
    if commands:
        st.markdown(t("app.create_database"))
        code("python -m secondment init --admin <用户名 / username>\n"
             "python -m secondment demo", language="bash")
    st.stop()


# --- language ------------------------------------------------------------------------------------

def lang() -> str:
    return st.session_state.get(_LANG, i18n.DEFAULT_LANGUAGE)


def set_lang(value: str) -> None:
    st.session_state[_LANG] = value if value in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def t(key: str, **params) -> str:
    return i18n.translate(lang(), key, **params)


def tm(key: str, **params) -> str:
    """``t()`` for Markdown (captions, alerts, titles, labels): the catalogue's own text, with every parameter
    shown exactly as it is (``safe.md``), so a name or comment cannot become a heading, link or image."""
    return t(key, **{k: md(v) if isinstance(v, str) else v for k, v in params.items()})


def label(group: str, code) -> str:
    return vocab.label(group, code, lang())


def fmt(group: str) -> Callable[[Any], str]:
    """A format_func for select boxes over coded values; None shows as "All". The language is bound now:
    Streamlit may call a format function after the script run, when session state is not at hand."""
    return texts()[2](group)


def texts(language: str | None = None):
    """``t, L, fmt`` bound to this run's language, for pages whose format functions outlive the run."""
    language = language or lang()

    def t_(key: str, **params) -> str:
        return i18n.translate(language, key, **params)

    def label_(group: str, code) -> str:
        return vocab.label(group, code, language)

    def fmt_(group: str) -> Callable[[Any], str]:
        return _or_all(lambda code: label_(group, code), language)

    return t_, label_, fmt_


def _or_all(show: Callable[[Any], str], language: str) -> Callable[[Any], str]:
    """A format function that shows None as "All" in ``language`` and any other value with ``show``."""
    every = i18n.translate(language, "common.all")
    return lambda value: every if value is None else show(value)


def page_link(container, key: str, label: str, icon: str | None = None, query: dict | None = None) -> None:
    """A link to another page of the app (every page is registered by app.py's navigation, hidden or not)."""
    container.page_link(f"pages/{navigation.BY_KEY[key].file}", label=label, icon=icon, query_params=query)


def language_picker(container=None) -> None:
    # The widget mirrors lang() (which sign-in may change from the account's saved preference), and a
    # click is applied in its callback, so the widget's own remembered state never flips it back.
    where = container or st.sidebar
    if st.session_state.get("_lang_picker") != lang():
        st.session_state["_lang_picker"] = lang()
    where.segmented_control(
        t("app.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGE_NAMES.get,
        key="_lang_picker", label_visibility="collapsed", on_change=_language_picked)


def _language_picked() -> None:
    choice = st.session_state.get("_lang_picker")
    if choice and choice != lang():
        set_lang(choice)
        actor = current_actor()
        if actor is None:
            st.session_state[_PICKED] = True
        else:
            auth.set_language(store(), actor, choice)
            # A select box keeps showing the option text its format function made in the old language
            # (streamlit/streamlit#13788), so the browser reloads the page: the new session resumes from the
            # cookie, on the same page, in the saved language, with every label drawn afresh.
            st.session_state["_reload"] = True


def localise_builtins() -> None:
    """Streamlit draws a few words of its own in English only (the file uploader's "Drag and drop a file
    here" and "Upload", "Running..." and "Stop" while a page runs, a table's tool bar, a select box's "No
    results"). Replace them with this
    session's words through CSS, or hide them; a style-only block takes no space on the page."""
    drop, button = t("app.uploader_drop"), t("app.uploader_button")
    running, no_results = t("app.running"), t("app.no_results")
    st.html(f"""<style>
      /* A select box's list with nothing matching what was typed says "No results": in this session's words. */
      [role='listbox'][data-empty='true'] [role='option'] span {{ font-size: 0; }}
      [role='listbox'][data-empty='true'] [role='option'] span::after {{
          content: {json.dumps(no_results, ensure_ascii=False)}; font-size: 1rem; }}
      /* "Running..." and "Stop" while a page runs: the words in this session's language, no stop button. */
      [data-testid='stStatusWidget'] label, [data-testid='stStatusWidget'] p {{ font-size: 0; }}
      [data-testid='stStatusWidget'] button {{ display: none; }}
      [data-testid='stStatusWidget']:has([data-testid='stStatusWidgetRunningIcon'])::after {{
          content: {json.dumps(running, ensure_ascii=False)}; font-size: 0.875rem; margin-left: 0.25rem; }}
      /* A table's or chart's own tool bar ("Download as CSV", "Search", "Fullscreen", "Show/hide columns") is
         English only, and its CSV would skip the formula neutralising of the app's own downloads: not shown.
         Every table that people download has the app's CSV and Excel buttons instead. */
      [data-testid='stElementToolbar'] {{ display: none; }}
      [data-testid='stFileUploaderDropzoneInstructions'] span {{ font-size: 0; }}
      [data-testid='stFileUploaderDropzoneInstructions'] > div > span:first-child::after {{
          content: {json.dumps(drop, ensure_ascii=False)}; font-size: 1rem; }}
      [data-testid='stFileUploaderDropzone'] button p {{ font-size: 0; }}
      [data-testid='stFileUploaderDropzone'] button p::after {{ content: {json.dumps(button, ensure_ascii=False)}; font-size: 0.9rem; }}
    </style>""")


def app_styles() -> None:
    """Layout touches Streamlit has no option for, as one style-only block (it takes no space)."""
    st.html("""<style>
      /* Streamlit's own "Press Enter to apply" / "Press Ctrl+Enter to apply" is English only: not shown. */
      [data-testid='InputInstructions'] { display: none; }

      /* metrics in a metric_row(): equal shares of the row; a row of five or more cards three to a row below
         1280 px; two to a row on a phone (never one card alone on a line) */
      [data-testid='stHorizontalBlock'] > [data-testid='stElementContainer']:has(> [data-testid='stMetric']) {
          flex: 1 1 0; min-width: 8rem; }
      @media (max-width: 1279px) {
        [data-testid='stHorizontalBlock']:has(> [data-testid='stElementContainer']:nth-child(5) > [data-testid='stMetric'])
            > [data-testid='stElementContainer'] { flex: 1 1 calc(33.3% - 1rem); } }
      @media (max-width: 640px) {
        [data-testid='stHorizontalBlock'] > [data-testid='stElementContainer']:has(> [data-testid='stMetric']) {
            flex: 1 1 calc(50% - 1rem); } }
    </style>""")


def week_select(container, label: str, weeks: list[str], default: str | None, key: str,
                allow_all: bool = False) -> str | None:
    """A week chosen by name ("2026-W48（11-23 至 11-29）") from ``weeks`` (newest first; typing filters them),
    rather than a calendar pop-up Streamlit draws in English. ``allow_all`` adds "All" (None) first."""
    from secondment import activities

    options = ([None] if allow_all else []) + list(weeks)
    if default not in options:
        default = options[-1] if options and not allow_all else None
    _keep_choice(key, options, default)
    language = lang()
    return container.selectbox(label, options, key=key, placeholder=t("common.choose"),
                               format_func=_or_all(lambda w: activities.week_label(w, language), language))


def month_range(c_from, c_to, labels: tuple[str, str], first: date, last: date, key: str,
                default_all: bool = False) -> tuple[date | None, date | None]:
    """A period picked as months ("2026-11", newest first) instead of calendar pop-ups Streamlit draws in English.
    Returns the first day of the "from" month and the last day of the "to" month (None = open-ended, when
    ``default_all``: the choices then start with "All")."""
    months = list(reversed(workdays.months_between(first, last)))
    options = ([None] if default_all else []) + months
    show = _or_all(str, lang())
    picked = []
    for container, label, default, k in ((c_from, labels[0], None if default_all else months[-1], f"{key}_from"),
                                         (c_to, labels[1], None if default_all else months[0], f"{key}_to")):
        _keep_choice(k, options, default)
        picked.append(container.selectbox(label, options, key=k, format_func=show, placeholder=t("common.choose")))
    start, end = picked
    if start and end and start > end:
        start, end = end, start
    first_day = date.fromisoformat(f"{start}-01") if start else None
    last_day = None
    if end:
        year, month = int(end[:4]), int(end[5:])
        last_day = date(year, month, calendar.monthrange(year, month)[1])
    return first_day, last_day


def _keep_choice(key: str, options: list, default) -> None:
    """Start a select box at ``default``, and move it there when its remembered choice is no longer offered."""
    if st.session_state.get(key, default) not in options:
        st.session_state[key] = default
    st.session_state.setdefault(key, default)


def date_text(container, label: str, *, key: str, value: date | str | None = None, help: str | None = None) -> str:
    """A date typed as people type it (2026-11-26, 2026/11/26, 2026.11.26, 2026年11月26日), instead of Streamlit's
    calendar, whose month names, footer and "yyyy/mm/dd" are English only. Returns the text; the service that
    takes it reads it with ``validation.parse_date`` and names the field if it is not a date."""
    if key not in st.session_state:
        st.session_state[key] = value.isoformat() if isinstance(value, date) else (value or "")
    return container.text_input(label, key=key, max_chars=20, placeholder=t("common.date_placeholder"),
                                help=help or t("common.date_help"))


def metric_row():
    """A row for a few ``st.metric`` cards: side by side on a wide screen, wrapping into even rows on a narrower
    one (five or six cards three to a row, two to a row on a phone; ``app_styles`` counts the cards), so no card
    stands alone on a line (``st.columns`` would stack them one per line on a phone)."""
    return st.container(horizontal=True)


# --- page idioms: confirmations, table selections, "All" choices, status badges, pages --------------------

def confirm_buttons(confirm_label: str, *, key: str, icon: str | None = None,
                    on_cancel: Callable[[], None] | None = None) -> bool:
    """The [confirm] [cancel] pair that ends every confirmation, a dialog's or one drawn inline, in one row.

    True in the run in which confirm is clicked: the caller then acts (and reruns when that worked). Cancel
    calls ``on_cancel`` (an inline confirmation forgets that it is pending) and reruns, which also closes a
    dialog. ``key`` is the confirm button's key; the cancel button's is ``{key}_cancel``."""
    row = st.container(horizontal=True)
    confirmed = row.button(confirm_label, type="primary", key=key, icon=icon)
    if row.button(t("common.cancel"), key=f"{key}_cancel"):
        if on_cancel is not None:
            on_cancel()
        st.rerun()
    return confirmed


_Row = TypeVar("_Row")


PAINTED_ROWS = 150


def painted(frame: pd.DataFrame, style: Callable[[pd.DataFrame], Any]) -> Any:
    """``style(frame)`` (a pandas Styler: red rows, flagged cells) for a table a person reads row by row; a longer
    one as it is. Pandas renders a Styler cell by cell on every run (0.2 s for 500 rows of 13 columns, and twice
    the bytes sent), so a long table keeps only the marks its cells carry (● overdue, ⚠ flagged)."""
    return style(frame) if len(frame) <= PAINTED_ROWS else frame


def picked_row(event: Any, rows: Sequence[_Row]) -> _Row | None:
    """The row of ``rows`` picked in a single-row ``st.dataframe`` selection, or None.

    ``event`` is what ``st.dataframe(..., on_select=...)`` returned, or the table's value in session state (in
    an ``on_select`` callback). No event, no selection, or a pick beyond ``rows`` (the list has changed since)
    all give None."""
    picked = _field(_field(event, "selection"), "rows") or []
    return rows[picked[0]] if picked and 0 <= picked[0] < len(rows) else None


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def select_or_all(container, label: str, options, *, key: str, format: str | Callable[[Any], str] | None = None,
                  **kwargs) -> Any:
    """A select box over ``options`` with "All" (None, the answer for "no filter") first.

    ``format`` names a vocabulary group (codes show as their labels), or is a function that shows the other
    values (by default their text). The language is bound now: Streamlit may call a format function after the
    script run, when session state is not at hand. Other keyword arguments go to ``selectbox``."""
    language = lang()
    show = texts(language)[2](format) if isinstance(format, str) else _or_all(format or str, language)
    kwargs.setdefault("placeholder", t("common.choose"))
    return container.selectbox(label, [None, *options], key=key, format_func=show, **kwargs)


# The colour (and, for some, the icon) of each coded value's badge; a code not listed is grey.
BADGE_COLOURS: Mapping[str, Mapping[str, str]] = {
    "feedback_status": {"submitted": "gray", "accepted": "blue", "in_progress": "orange", "answered": "violet",
                        "closed": "green", "closed_unresolved": "red"},
    "week_state": {"not_submitted": "gray", "submitted": "blue", "approved": "green", "returned": "orange"},
    "practice_status": {"draft": "gray", "reviewed": "blue", "promoted": "green"},
    "urgency": {"urgent": "orange", "normal": "gray"},
    "participant_status": {"active": "green", "planned": "blue", "completed": "gray", "withdrawn": "red"},
    "direction_short": {vocab.CADRE: "red", vocab.TALENT: "blue"},
    "agreement_status": {"draft": "orange", "agreed": "green", "superseded": "gray"},
    "objective_status": {"not_started": "gray", "on_track": "blue", "at_risk": "orange", "done": "green"},
    "checkin_status": {"draft": "gray", "submitted": "blue", "acknowledged": "green"},
    "leave_status": {"pending": "orange", "approved": "green", "rejected": "red", "cancelled": "gray"},
    "assessment_stage": {"not_started": "gray", "self": "blue", "host": "blue", "home": "violet",
                         "concluded": "green"},
    "conclusion": {"excellent": "green", "competent": "blue", "basically_competent": "orange",
                   "not_competent": "red"},
}
BADGE_ICONS: Mapping[str, Mapping[str, str]] = {
    "week_state": {"not_submitted": ":material/edit_note:", "submitted": ":material/schedule_send:",
                   "approved": ":material/verified:", "returned": ":material/undo:"},
}


def status_badge(container, group: str, code: str, icon: str | None = None) -> None:
    """A badge for a coded value of vocabulary ``group``: its label in this session's language, in its colour
    (``BADGE_COLOURS``), with ``icon`` or the group's own icon for the code (``BADGE_ICONS``)."""
    container.badge(label(group, code), color=BADGE_COLOURS.get(group, {}).get(code, "gray"),
                    icon=icon or BADGE_ICONS.get(group, {}).get(code))


def chart_rows(items: Sequence[_Row], size: int, *, key: str, texts: str) -> Sequence[_Row]:
    """The part of ``items`` a chart draws, one row each: all of them up to ``size``; beyond it ``size`` at a time,
    with a picker of the parts (selectbox ``key``) and a note saying so, in the words of ``{texts}.map_page``,
    ``.map_page_item`` and ``.map_paged``. A chart of thousands of rows is tens of thousands of pixels tall and
    takes the browser seconds to draw; nobody reads it."""
    if len(items) <= size:
        return items
    first = st.selectbox(t(f"{texts}.map_page"), list(range(0, len(items), size)), key=key,
                         placeholder=t("common.choose"),
                         format_func=lambda i: t(f"{texts}.map_page_item", first=f"{i + 1:,}",
                                                 last=f"{min(i + size, len(items)):,}"))
    shown = items[first:first + size]
    st.info(tm(f"{texts}.map_paged", total=f"{len(items):,}", size=size, first=f"{first + 1:,}",
               last=f"{first + len(shown):,}"), icon=":material/view_agenda:")
    return shown


def paginate(total: int, page_size: int, *, key: str, container=None, reset: Any = None) -> tuple[int, int]:
    """``(limit, offset)`` of the page of ``total`` rows to show, ``page_size`` rows a page.

    The page picker (number input ``key``, in ``container``) is drawn only when there is more than one page. A
    page beyond the last (the list has shrunk) becomes the last; when ``reset`` is given (the filters, say) and
    differs from the last run's (kept in session state as ``_{key}_for``), the first page is shown again."""
    if reset is not None and st.session_state.get(f"_{key}_for") != reset:
        st.session_state[f"_{key}_for"] = reset
        st.session_state[key] = 1
    pages = max(1, math.ceil(total / page_size))
    if pages == 1:
        return page_size, 0
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = pages
    page = (container or st).number_input(t("common.page", pages=pages), min_value=1, max_value=pages, step=1,
                                          key=key, width=180)
    return page_size, (int(page) - 1) * page_size


# --- who is signed in ------------------------------------------------------------------------------

def current_actor() -> Actor | None:
    """The signed-in actor, re-checked against the server-side session on every run, so sign-out,
    the idle timeout and a deactivated account take effect at once. A fresh browser tab or a
    refresh finds the session through its signed cookie."""
    token = st.session_state.get(_TOKEN)
    if not token:
        cookie = _browser_cookie()
        if cookie and cookie != st.session_state.get("_dead_token"):
            token = cookie
    if not token:
        return None
    actor = auth.resume_session(store(), token)
    if actor is None:
        st.session_state.pop(_TOKEN, None)
        st.session_state["_dead_token"] = token
        return None
    if st.session_state.get(_TOKEN) != token:
        st.session_state[_TOKEN] = token
        _adopt_language(actor)
    return actor


def _adopt_language(actor: Actor) -> None:
    if _LANG in st.session_state:
        return
    chosen = auth.language_of(store(), actor)
    if chosen:
        set_lang(chosen)


def session_token() -> str | None:
    """The signed token of this browser session (for "sign out my other sessions")."""
    return st.session_state.get(_TOKEN)


def client_address() -> str | None:
    """The browser's address, for sign-in limits and "my account". Behind a reverse proxy that the server is
    told to trust (``SECONDMENT_TRUST_PROXY=1``), the first address of ``X-Forwarded-For``."""
    try:
        from secondment import web

        if web.trust_proxy():
            forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
            if forwarded:
                return forwarded[:64]
        return st.context.ip_address
    except RuntimeError:  # no Streamlit runtime (AppTest, bare mode)
        return None


def browser_agent() -> str | None:
    try:
        return st.context.headers.get("User-Agent")
    except RuntimeError:
        return None


def sign_in(actor: Actor, *, shared: bool = False) -> None:
    """Start the actor's session. A language picked on the sign-in page becomes the account's preference (so a
    refresh or a new tab, which adopt the saved one, keep it); otherwise the account's saved language applies,
    never the one the previous person on this tab used. A ``shared`` account (a demo role many visitors use)
    keeps the language its visitor sees on the sign-in page rather than the last visitor's."""
    token = auth.start_session(store(), actor, client=client_address(), agent=browser_agent())
    st.session_state[_TOKEN] = token
    st.session_state.pop("_dead_token", None)
    st.session_state.pop("_clear_cookie", None)
    if st.session_state.pop(_PICKED, False) or shared:
        auth.set_language(store(), actor, lang())
    else:
        st.session_state.pop(_LANG, None)
        _adopt_language(actor)


def sign_out() -> None:
    token = st.session_state.pop(_TOKEN, None)
    auth.end_session(store(), token, auth.resume_session(store(), token, touch=False))
    st.session_state["_dead_token"] = token
    st.session_state["_clear_cookie"] = True


def _browser_cookie() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except RuntimeError:  # no Streamlit runtime, so no browser context (AppTest, bare mode)
        return None


def sync_cookie() -> None:
    """Have the server write or clear the session cookie (``secondment.web``): HttpOnly, so no script on the
    page can read it, and the token itself never written into the page.

    After a sign-in the page asks ``/_auth/enter`` in the background with a one-time code, and the answer sets
    the cookie (no reload: the person is already signed in on this connection); after a sign-out it goes to
    ``/_auth/leave`` and comes back to the start, so the next person on a shared computer begins at the sign-in
    page, not on the last person's page. The instruction is sent on every run until the server has seen the code
    exchanged (or, after a reload, the browser's cookie matches): a run that ends in st.rerun may be replaced
    before its elements mount, and a one-shot script would then never run."""
    token = st.session_state.get(_TOKEN)
    seen = _browser_cookie()
    reload = st.session_state.pop("_reload", False) and token
    held = st.session_state.get("_handoff")
    if token and token != seen and not (held and held[0] == token and web.entered(held[1])):
        if not held or held[0] != token or time.monotonic() - held[2] > web.HANDOFF_SECONDS / 2:
            held = st.session_state["_handoff"] = (token, web.handoff(token), time.monotonic())
        _script(f"fetch('/_auth/enter?quiet=1&code=' + {json.dumps(held[1])}, "
                "{credentials: 'same-origin', cache: 'no-store'});")
    elif not token and (seen or st.session_state.get("_clear_cookie")):
        _script("window.location.replace('/_auth/leave?next=%2F');")
    elif reload:  # a language picked: every label is drawn afresh in it
        _script("window.location.reload();")


def code(text: str, *, language: str | None = None) -> None:
    """A block of text to copy (a command, a link), with Streamlit's copy button, whose label and tooltip are
    English only ("Copy to clipboard", "Copied", drawn by the browser's own script): a small script puts this
    session's words on them, now and whenever Streamlit draws them again (a language change reloads the page)."""
    st.code(text, language=language)
    words = json.dumps({"Copy to clipboard": t("app.copy"), "Copied": t("app.copied")}, ensure_ascii=False)
    _script(f"""window.smCopyWords = {words};
      window.smCopyFix = () => {{
        const words = window.smCopyWords;
        document.querySelectorAll("[data-testid='stCode'] button[aria-label]").forEach(b => {{
          const word = words[b.getAttribute("aria-label")];
          if (word) b.setAttribute("aria-label", word);
        }});
        document.querySelectorAll("[data-testid='stTooltipContent'] p").forEach(e => {{
          const only = e.childNodes.length === 1 ? e.firstChild : null;
          const word = only && only.nodeType === 3 ? words[only.textContent.trim()] : null;
          if (word) only.textContent = word;
        }});
      }};
      if (!window.smCopyWatch) {{
        window.smCopyWatch = new MutationObserver(() => window.smCopyFix());
        window.smCopyWatch.observe(document.body, {{subtree: true, childList: true, characterData: true,
                                                   attributes: true, attributeFilter: ["aria-label"]}});
      }}
      window.smCopyFix();""")


def _script(js: str) -> None:
    with st.sidebar:
        st.html(f"<script>{js}</script>", unsafe_allow_javascript=True)


# --- page gate --------------------------------------------------------------------------------------

def ensure_router() -> None:
    """Make sure app.py's navigation, not Streamlit's old pages-folder mode, decides what runs.

    While no session of this server process has yet run ``st.navigation``, Streamlit treats ``pages/`` as an
    old-style page folder and runs a page file straight from its URL, without app.py. The first such
    request switches that mode off and reruns, so app.py routes it (the page gate below still protects
    the page even during that one run)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_gate(page_key: str) -> Actor:
    """Call first in every page file. Returns the actor, or stops the page with a sign-in prompt or a
    refusal, so a page opened straight from its URL never shows data to the wrong person."""
    ensure_router()
    spec = navigation.BY_KEY[page_key]
    actor = current_actor()
    if actor is None:
        demo_banner()
        st.warning(t("common.please_sign_in"))
        st.stop()
    if not permissions.can(actor, spec.action):
        demo_banner()
        st.error(t("common.page_refused", role=label("app_role", actor.role)))
        st.stop()
    demo_banner()
    if page_key != "account" and auth.must_change_password(store(), actor):
        # A password an administrator chose is known to two people: nothing else until the owner picks theirs.
        st.warning(t("account.must_change"), icon=":material/key:")
        page_link(st, "account", t("account.change_password"), ":material/key:")
        st.stop()
    if page_key in _CALENDAR_NOTICE_PAGES:
        calendar_notice(actor)
    if page_key == navigation.home_for(actor):
        todo_panel(actor, page_key)
    st.session_state["_came_from"] = st.session_state.get(_PAGE)
    st.session_state[_PAGE] = page_key
    return actor


def arrived(page_key: str) -> bool:
    """Is this run the first of ``page_key`` since the person came to it (from another page, or a new tab)?"""
    return st.session_state.get("_came_from") != page_key


# The pages where administrators and reviewers are told that next year's holiday arrangement is missing: their
# home page, where deadlines are set and read, and where it is entered.
_CALENDAR_NOTICE_PAGES = ("overview", "feedback", "flows", "admin")


def calendar_notice(actor: Actor) -> None:
    from secondment import holidays

    year = holidays.missing_next_year(store(), actor)
    if year is None:
        return
    st.warning(t("holidays.notice", year=year), icon=":material/event_busy:")


# --- to-do list, notifications ----------------------------------------------------------------------

_TONE_ICONS = {"error": ":material/error:", "warn": ":material/schedule:", "normal": ":material/pending_actions:"}


def todo_panel(actor: Actor, here: str | None = None) -> None:
    """The to-do list at the top of the role's home page: each line links to where to act. A leader, who has
    nothing to do, sees the week so far instead."""
    from secondment import todo

    if not permissions.can(actor, "todo.read"):
        week = todo.this_week(store(), actor)
        st.caption(t("common.labelled", label=t("todo.week_title", week=week["week"]), value=" · ".join(
            f"{t(f'todo.week_{k}')} {week[k]}" for k in ("entries", "people", "raised", "answered"))))
        return
    lines = todo.for_actor(store(), actor)
    with st.container(border=True, key="todo"):
        st.markdown(f"**{t('todo.title')}**")
        if not lines:
            st.caption(t("todo.none"))
        for n, line in enumerate(lines):
            text, icon = t(f"todo.{line['key']}", **line["params"]), _TONE_ICONS[line["tone"]]
            if line["page"] == here:
                # A link to the page one is on does not navigate: the line sets the address's query instead.
                st.button(text, icon=icon, type="tertiary", key=f"_todo_{n}",
                          on_click=st.query_params.from_dict, args=(line["query"],))
            else:
                page_link(st, line["page"], text, icon, query=line["query"] or None)


def bell(actor: Actor) -> None:
    """The sidebar's bell: the unread count, and the latest notifications, each opening the place it is about."""
    from secondment import notify

    unread = notify.unread_count(store(), actor)
    label = t("notify.bell_unread", n=unread) if unread else t("notify.bell")
    with st.sidebar.popover(label, icon=":material/notifications:", width="stretch", key="_bell"):
        rows = notify.recent(store(), actor, lang(), limit=12)
        if not rows:
            st.caption(t("notify.none"))
        for row in rows:
            text = row["text"] if row["read_at"] else f"● {row['text']}"
            st.markdown(md(text))
            line = st.container(horizontal=True, vertical_alignment="center")
            line.caption(md(clock.local_time(row["created_at"])))
            if line.button(t("notify.open"), key=f"_bell_{row['id']}", type="tertiary"):
                notify.mark_read(store(), actor, [row["id"]])
                st.switch_page(f"pages/{navigation.BY_KEY[row['page']].file}", query_params=row["query"] or None)
        if unread and st.button(t("notify.mark_all"), key="_bell_all", icon=":material/done_all:"):
            notify.mark_read(store(), actor)
            st.rerun()


def todo_counts(actor: Actor) -> dict[str, int]:
    """The sidebar's counts, kept in the session while the data and the day are what they were: every page
    shows them and they cost a few aggregate queries, but a count one's own approval (or anyone's write) has
    changed is worked out again at once (the home page's list itself is always fresh)."""
    from secondment import todo

    key = (actor.user_id, actor.role, store().meta(db.DATA_TOKEN), clock.today())
    held = st.session_state.get("_todo_counts")
    if held and held[0] == key:
        return held[1]
    try:
        counts = todo.counts(store(), actor)
    except SecondmentError:
        counts = {}
    st.session_state["_todo_counts"] = (key, counts)
    return counts


def demo_banner() -> None:
    if store().is_demo():
        st.info(t("app.demo_banner"), icon=":material/science:")


# --- messages that outlive the rerun that follows an action ---------------------------------------------

_PAGE = "_page"
_FLASH = "_flash"
FLASH_SECONDS = 4.0


def flash(message: str, section: str | None = None, tone: str = "success") -> None:
    """Say ``message`` on the current page after the ``st.rerun()`` that follows a successful action (or in
    the run that follows a button's callback, see ``act``); ``tone`` "error" says it as an error.

    The message stays for every run of the same page within a few seconds, not for exactly one run: a run
    can be replaced by another before the browser draws it (a second click, a widget committing its value),
    and a message shown only by the replaced run would never be seen. ``section`` ties it to one part of a
    page (a tab, one item of a list) that calls ``show_flash`` with the same name."""
    st.session_state[_FLASH] = {"text": message, "page": st.session_state.get(_PAGE), "section": section,
                                "at": time.monotonic(), "tone": tone}


def show_flash(container=None, section: str | None = None) -> None:
    """Show the pending message, if it belongs to this page (and section); call near the top of it."""
    pending = st.session_state.get(_FLASH)
    if not pending or pending.get("section") != section:
        return
    if pending["page"] != st.session_state.get(_PAGE):  # the person has moved on to another page
        st.session_state.pop(_FLASH, None)
        return
    if time.monotonic() - pending["at"] > FLASH_SECONDS:
        st.session_state.pop(_FLASH, None)
        if pending.get("shown"):
            return
    pending["shown"] = True
    if pending.get("tone") == "error":
        (container or st).error(pending["text"], icon=":material/error:")
    else:
        (container or st).success(pending["text"], icon=":material/check_circle:")


def act(fn: Callable, *args, done: str | Callable[[], str | None] | None = None, section: str | None = None,
        inline: str | None = None, **kwargs) -> dict:
    """``on_click`` and ``args`` for a button whose action runs as its click's callback, before the page is
    drawn again: the click acts even when what it acts on has left the page meanwhile (another reviewer
    approved the week: the run that follows no longer draws its button, and a plain ``if st.button(…)``
    would drop the click without a word). ``fn(actor, *args, **kwargs)`` is called with the actor signed in
    at the click (checked again, as every run does: a session that ended meanwhile acts on nothing) and each
    keyword that is a callable called first (to read a widget's value at the click). ``done``
    (or what it returns) is said on success and a conflict (someone else changed it first, or it is gone)
    is said as an error, both through ``flash`` in ``section``; another refusal or bad value is said in
    ``inline`` (the item's own place, which stays on the page), a fault as on every page; what was typed
    stays."""
    return {"on_click": _act, "args": (fn, args, kwargs, done, section, inline)}


def _act(fn: Callable, args: tuple, kwargs: dict, done, section: str | None, inline: str | None) -> None:
    actor = current_actor()
    if actor is None:                 # signed out, timed out or deactivated: the run that follows says so
        return
    try:
        fn(actor, *args, **{k: v() if callable(v) else v for k, v in kwargs.items()})
    except (Conflict, NotFound) as error:
        flash(md(error.message(lang())), section, tone="error")
        return
    except SecondmentError as error:
        flash(md(error.message(lang())), inline, tone="error")
        return
    except (sqlite3.Error, OSError) as error:
        _log.error("fault on a page: %s", error, exc_info=error)
        flash(fault_message(error), section, tone="error")
        return
    message = done() if callable(done) else done
    if message:
        flash(message, section)


# --- calling the core --------------------------------------------------------------------------------

def show_error(error: SecondmentError) -> None:
    """A refusal or bad value in the session's language; the values it quotes are shown as typed."""
    st.error(md(error.message(lang())), icon=":material/error:")
    for sub in getattr(error, "errors", [])[:200]:
        st.markdown(f"- {md(sub.message(lang()))}")


def attempt(fn: Callable, *args, **kwargs):
    """Run a core call; a refusal, a bad value, or a database that cannot take the change (busy, full,
    read-only) is shown as a message in the person's language (not a traceback) and gives None. What was
    typed stays in the form."""
    try:
        return fn(*args, **kwargs)
    except SecondmentError as error:
        show_error(error)
        return None
    except (sqlite3.Error, OSError) as error:
        fault(error)
        return None


_log = logging.getLogger("secondment")
_runs = logging.getLogger("secondment.runs")
if not _log.handlers:   # the server's log: the time, as Streamlit's own lines have it, then the message
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(levelname)s %(name)s: %(message)s",
                                            "%Y-%m-%d %H:%M:%S"))
    _log.addHandler(_handler)
SLOW_RUN_ENV = "SECONDMENT_SLOW_RUN_SECONDS"
SLOW_RUN_SECONDS = 5.0


def log_slow_run(started: float, outcome: str) -> None:
    """A run of a page that took ``SECONDMENT_SLOW_RUN_SECONDS`` (5 by default; 0 logs every run) or more goes
    to the server's log with its page and how it ended ("done", "rerun": replaced by a newer run or st.rerun,
    "stopped", "fault"): what an operator reads when people say the app is slow, and what the load run counts."""
    try:
        limit = float(os.environ.get(SLOW_RUN_ENV, SLOW_RUN_SECONDS))
    except ValueError:
        limit = SLOW_RUN_SECONDS
    took = time.perf_counter() - started
    if took >= limit:
        _runs.warning("run of %s took %.3f s (%s)", st.session_state.get(_PAGE, "sign_in"), took, outcome)


def fault_message(error: BaseException) -> str:
    """What a person is told about a fault of the machine (not of what they typed)."""
    if isinstance(error, sqlite3.Error):
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return t("error.database_busy")
        return t("app.fault_database", reason=t(f"app.db_problem_{db.problem(error)}"))
    if isinstance(error, OSError):
        return t("app.fault_disk")
    return t("app.fault_unexpected")


def fault(error: BaseException) -> None:
    """Say a fault in the person's language; the details go to the server's log, never to the page."""
    _log.error("fault on a page: %s", error, exc_info=error)
    st.error(fault_message(error), icon=":material/error:")


# --- tables, downloads, charts ------------------------------------------------------------------------

def downloads(frame: pd.DataFrame | Callable[[], pd.DataFrame], stem: str, *, key: str,
              sheet: str | None = None) -> None:
    """CSV and Excel downloads of a labelled frame (formulas neutralised by ``exports``).

    ``frame`` may be a callable that builds the frame: the files are then made only when someone clicks,
    not on every run of the page (an Excel file of a 10,000-row roster takes seconds to write)."""
    if isinstance(frame, pd.DataFrame) and frame.empty:
        return
    if frame is None:
        return
    build = frame if callable(frame) else (lambda: frame)
    row = st.container(horizontal=True)
    row.download_button(t("common.download_csv"), lambda: exports.to_csv_bytes(build()), file_name=f"{stem}.csv",
                       mime="text/csv", key=f"{key}_csv", icon=":material/download:")
    row.download_button(t("common.download_xlsx"), lambda: exports.to_xlsx_bytes(build(), sheet or stem),
                       file_name=f"{stem}.xlsx", key=f"{key}_xlsx", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def plotly_config(language: str) -> dict:
    """Plotly's configuration for a session in ``language`` (``charts.plotly_config``)."""
    from secondment import charts

    return charts.plotly_config(language)


def chart(fig, *, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", key=key, config=plotly_config(lang()))


def lazy_tabs(labels: list[str], key: str) -> list:
    """Tabs of which only the open one runs (``on_change="rerun"``; test ``tab.open``), that stay on the open tab
    when a label changes (a count in it: Streamlit takes the labels as the tabs' identity, so a new count would
    otherwise reopen the first tab, e.g. right after approving a week from the second one)."""
    at = st.session_state.get(f"{key}:at", 0)
    tabs = st.tabs(labels, key=key, default=labels[at] if 0 <= at < len(labels) else None, on_change="rerun")
    st.session_state[f"{key}:at"] = next((i for i, tab in enumerate(tabs) if tab.open), 0)
    return tabs


def empty(message_key: str, **params) -> None:
    st.info(tm(message_key, **params), icon=":material/info:")
