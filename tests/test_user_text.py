"""User text is data: Markdown, HTML and image syntax typed into any field of the demo is shown as typed on every
page, in every widget and chart, and never becomes a heading, link, coloured word or outside image.

Every text column a person can fill is planted with a payload naming its field. Each page is then opened by each
role that may open it (through app.py, as a browser comes), and every string Streamlit would render as Markdown
(bodies, labels, help, captions, radio and button-group options) is checked for the payload's syntax left
unescaped; every Plotly figure for the payload's tags left as HTML."""
from __future__ import annotations

import json
import re

import pytest
from conftest import app_test, as_read

from secondment import navigation, permissions

FIELDS = {
    "participants": ("name", "post", "contact", "notes"),
    "units": ("name", "industry"),
    "activities": ("title", "description", "outcome"),
    "week_reviews": ("comment",),
    "feedback": ("summary", "details", "answer", "close_reason"),
    "feedback_events": ("note",),
    "practices": ("title", "summary"),
    "users": ("display_name",),
    "batches": ("notes",),
    # the stint from start to end
    "agreements": ("post", "notes"),
    "objectives": ("text", "target"),
    "agreement_parties": ("signatory",),
    "declarations": ("note",),
    "checkins": ("summary", "next_plan", "comment"),
    "visits": ("visitors", "met", "heard_enterprise", "heard_secondee", "problems"),
    "visit_actions": ("action",),
    "leave_requests": ("reason", "decision_note"),
    "assessments": ("self_text", "host_comment", "host_signatory", "home_view", "home_signatory", "conclusion_note"),
    "returns": ("post", "notes"),
    "host_links": ("contact",),
    "documents": ("title", "review_comment"),
}
TAGS = {(table, column): f"注{i}" for i, (table, column) in
        enumerate((t, c) for t, cols in FIELDS.items() for c in cols)}


def payload(tag: str) -> str:
    return (f"# {tag} **{tag}** [{tag}](http://evil.example/{tag}) ![{tag}](http://evil.example/{tag}.png) "
            f":red[{tag}] ${tag}$ <b>{tag}</b> :material/warning:")


def plant(store) -> None:
    with store.write() as db:
        for (table, column), tag in TAGS.items():
            db.conn.execute(f"update {table} set {column} = coalesce({column}, '') || ' ' || ?", (payload(tag),))


def unescaped(text: str, tag: str) -> list[str]:
    """The payload's syntax around ``tag`` that a Markdown renderer would still interpret."""
    t = re.escape(tag)
    patterns = {
        "heading": rf"(?m)^\s{{0,3}}#+\s+{t}", "bold": rf"(?<!\\)\*\*{t}", "link": rf"(?<!\\)\[{t}(?<!\\)\]",
        "image": rf"(?<!\\)!(?<!\\)\[{t}", "colour": rf"(?<!\\):red(?<!\\)\[{t}", "latex": rf"(?<!\\)\${t}",
        "html": rf"(?<!\\)<b>{t}", "icon": r"(?<!\\):material/warning:",
    }
    return [name for name, pattern in patterns.items() if re.search(pattern, text)]


MARKDOWN_FIELDS = {"body", "label", "help", "caption", "title"}
MARKDOWN_OPTIONS = {"Radio", "ButtonGroup"}
PLAIN_ELEMENTS = {"Text", "Code"}   # st.text and st.code show their body as it is


def strings(message, owner: str):
    """(field name, text, owner element type) for every string in a protobuf message, nested ones included."""
    for field, value in message.ListFields():
        if field.type == field.TYPE_STRING:
            for text in (value if field.is_repeated else [value]):
                yield field.name, text, owner
        elif field.type == field.TYPE_MESSAGE:
            for item in (value if field.is_repeated else [value]):
                yield from strings(item, owner)


def json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def problems(at) -> list[str]:
    found = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = type(node).__name__
        for field, text, _ in strings(proto, kind):
            if field == "spec":   # a Plotly figure, as JSON (which writes "<" as \u003c)
                figure_text = " ".join(json_strings(json.loads(text)))
                found += [f"{kind}.spec: <b>{tag} left as HTML" for tag in TAGS.values()
                          if f"<b>{tag}" in figure_text]
                continue
            tags = [tag for tag in TAGS.values() if tag in text]
            if not tags or kind in PLAIN_ELEMENTS:
                continue
            elif field in MARKDOWN_FIELDS or (field == "options" and kind in MARKDOWN_OPTIONS):
                for tag in tags:
                    bad = unescaped(text, tag)
                    if bad:
                        found.append(f"{kind}.{field}: {bad} in {as_read(text)[:120]!r}")
    return found


@pytest.fixture(scope="module")
def planted(demo_file, tmp_path_factory):
    from conftest import copy_demo

    store = copy_demo(demo_file, tmp_path_factory.mktemp("planted") / "planted.db")
    plant(store)
    return store


ROLES = ("demo_admin", "demo_reviewer", "demo_viewer", "demo_secondee", "demo_talent", "demo_liaison")


def cases():
    from secondment.permissions import Actor

    out = []
    for username in ROLES:
        role = {"demo_admin": "admin", "demo_reviewer": "reviewer", "demo_viewer": "viewer",
                "demo_secondee": "secondee", "demo_talent": "secondee", "demo_liaison": "liaison"}[username]
        probe = Actor(None, username, role, participant_id=1, department_id=1)
        out += [(spec.key, username, None) for spec in navigation.PAGES if permissions.can(probe, spec.action)]
    # Pages whose tabs draw only when opened: every tab, as the reviewer (and the stint as its secondee).
    from secondment import i18n
    from secondment.bench import LAZY_TABS

    for page in ("stint", "lifecycle", "documents", "review", "coverage", "flows"):
        key, views = LAZY_TABS[page]
        for label, _ in views:
            tab = (key, i18n.translate("zh", label))
            out += [(page, "demo_reviewer", tab)] + ([(page, "demo_secondee", tab)] if page == "stint" else [])
    return out


@pytest.mark.parametrize("page, username, tab", cases(), ids=lambda v: v[1] if isinstance(v, tuple) else v)
def test_planted_markup_shows_literally(planted, page, username, tab):
    at = app_test(page, planted, username, timeout=60)
    if tab:
        at.session_state[tab[0]] = tab[1]
    at.run()
    assert not at.exception, at.exception[0].stack_trace[-3:] if at.exception else ""
    seen = problems(at)
    # Open what a person would open next: an item of the feedback list, a participant's profile.
    if page == "feedback":
        picker = [s for s in at.selectbox if s.key and s.key.startswith("fb_") and s.key.endswith("_None")]
        if picker and picker[0].options:
            picker[0].select_index(0).run()
            assert not at.exception
            seen += problems(at)
    assert not seen, "\n".join(sorted(set(seen))[:20])
    assert any(tag in str(getattr(n, "proto", "")) for n in at._tree for tag in TAGS.values()) or page in (
        "account", "presentation", "coverage", "overview", "batches", "flows", "admin", "audit"), \
        f"{page} as {username} shows none of the planted text: the test would prove nothing"


def test_the_payload_is_caught_when_left_unescaped():
    """The checker itself: raw payload is flagged, the escaped payload is not."""
    from secondment.safe import md

    tag = "注99"
    assert set(unescaped(payload(tag), tag)) == {"heading", "bold", "link", "image", "colour", "latex", "html",
                                                 "icon"}
    assert unescaped(md(payload(tag)), tag) == []


def test_a_person_sees_the_payload_as_typed(planted):
    """The escaped text reads back as exactly what was typed (no character lost or doubled)."""
    at = app_test("practices", planted, "demo_secondee")
    at.run()
    tag = TAGS[("practices", "title")]
    shown = [as_read(m.value) for m in at.markdown if tag in m.value]
    assert shown and all(payload(tag) in text for text in shown)
