"""User text is data: helpers that make a piece of it show literally wherever it goes.

Streamlit draws Markdown (with its own extensions: ``:red[...]``, ``:material/x:``, emoji shortcodes, ``$LaTeX$``)
in titles, captions, alerts, expander and tab labels, buttons and widget labels; Plotly reads a subset of HTML
(``<b>``, ``<br>``, ``<a href>``) in every label and hover text. A name, title, comment or answer someone typed
must never become a heading, a link, a coloured word or an image fetched from another host, so it passes through
``md()`` on its way into Markdown and through ``html()`` on its way into a chart.
"""
from __future__ import annotations

import html as _html
import re

# CommonMark lets any ASCII punctuation be escaped with a backslash, and then shows it as itself; escaping all of
# it covers Markdown, GitHub's extensions and Streamlit's own (":red[…]", ":emoji:", "$…$") at once.
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LEADING_SPACES = re.compile(r"^[ \t]+", re.MULTILINE)
# Streamlit's Markdown (GitHub's "autolink literal") makes a link of any "http://…", "www.…" or "a@b.c" in the
# text after escapes are read, so an escaped URL would still become a live link: an invisible word joiner
# (U+2060) inside the marker keeps the text exactly as it reads and stops the link.
_WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def md(value) -> str:
    """``value`` as Markdown that shows exactly its characters: punctuation escaped, line breaks kept as line
    breaks (not paragraphs, lists or headings), leading spaces kept (not a code block). None gives ""."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + _WORD_JOINER + m.group(1)[1:], text)
    text = _MD_PUNCTUATION.sub(r"\\\1", text)
    text = _LEADING_SPACES.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), text)
    return "  \n".join(text.split("\n"))


def html(value) -> str:
    """``value`` as text for a Plotly label or hover: ``<``, ``>`` and ``&`` shown as themselves, never tags."""
    if value is None:
        return ""
    return _html.escape(str(value), quote=False)
