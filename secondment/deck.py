"""The presentation, its printable handout and the cockpit (大屏) as documents of their own.

A projector or a wall screen wants nothing but the slide: no sidebar, no Streamlit chrome. So these are plain
HTML pages the server renders from ``secondment.story`` (Jinja2, autoescaped: user text is data) and serves
at ``/_deck/…`` (``secondment.web``), with their script, Plotly and everything else from the app itself and a
Content-Security-Policy that lets the browser ask no other host for anything.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jinja2
import plotly.io as pio

from secondment import charts, clock, i18n

TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"
PLOTLY_JS = Path(pio.__file__).resolve().parent.parent / "package_data" / "plotly.min.js"
AUTO_SECONDS = (0, 8, 12, 20, 30, 60)
REFRESH_MIN, REFRESH_DEFAULT, REFRESH_MAX = 2, 60, 3600

# Nothing but the app's own server: scripts only from files it serves (no inline script at all), styles inline
# (Plotly writes its own), pictures from data: and blob: (Plotly's), no frames of other sites.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env


def _figure(fig) -> dict:
    """A figure as plain JSON data (numbers, dates and text), sized by the page, not by the builder."""
    data = json.loads(pio.to_json(fig, validate=False))
    layout = data.get("layout", {})
    layout.pop("height", None)
    layout.pop("width", None)
    layout["autosize"] = True
    layout["paper_bgcolor"] = "rgba(0,0,0,0)"
    return {"data": data.get("data", []), "layout": layout}


def _config(lang: str) -> dict:
    return {**charts.plotly_config(lang), "displayModeBar": False, "staticPlot": True, "responsive": True}


def _texts(lang: str, prefix: str = "deck.") -> dict:
    return {k[len(prefix):]: v for k, v in i18n.catalogue(lang).items() if k.startswith(prefix)}


def _slides_context(slides: list[dict]) -> tuple[list[dict], dict]:
    figures, shown = {}, []
    for n, slide in enumerate(slides):
        ids = []
        for m, fig in enumerate(slide["figures"]):
            ident = f"f{n}-{m}"
            figures[ident] = _figure(fig)
            ids.append(ident)
        shown.append({**slide, "figure_ids": ids})
    return shown, figures


def presentation(slides: list[dict], *, lang: str, period_label: str, demo: bool, start: int = 1, auto: int = 0,
                 leave: str = "/presentation", handout: bool = False) -> str:
    """The slides as one page: one slide on screen at a time (keyboard, click, automatic), or, as a handout,
    every slide on its own A4 landscape page."""
    shown, figures = _slides_context(slides)
    start = min(max(1, int(start)), max(1, len(shown)))
    return _environment().get_template("deck.html.j2").render(
        lang=lang, t=_texts(lang), slides=shown, figures=figures, config=_config(lang), period=period_label,
        demo=demo, start=start, auto=auto if auto in AUTO_SECONDS else 0, leave=leave, handout=handout,
        title=i18n.translate(lang, "deck.title"), made=clock.local_time(clock.now()))


def cockpit(data: dict, *, lang: str, demo: bool, refresh: int = REFRESH_DEFAULT, board_only: bool = False) -> str:
    """The wall screen; ``board_only``: just its changing part, which the page fetches again every ``refresh``
    seconds."""
    refresh = min(max(REFRESH_MIN, int(refresh)), REFRESH_MAX)
    name = "cockpit_board.html.j2" if board_only else "cockpit.html.j2"
    streets = [{**s, "px": _x(s["x"]), "py": _y(s["y"])} for s in data["streets"]]
    top = max([s["active"] for s in streets] + [1])
    for s in streets:
        s["heat"] = round(0.18 + 0.82 * s["active"] / top, 2) if s["active"] else 0.0
    return _environment().get_template(name).render(
        lang=lang, t=_texts(lang), data=data, streets=streets, demo=demo, refresh=refresh,
        title=i18n.translate(lang, "deck.cockpit_title"), stamp=clock.local_time(clock.now(), "%H:%M:%S"),
        outline=_OUTLINE)


# The district's outline on the schematic, in the same 0–1 square as ``story.STREET_PLACES`` (a sketch).
def _x(x: float) -> int:
    return round(130 + x * 740)


def _y(y: float) -> int:
    return round(90 + y * 600)


_OUTLINE = " ".join(f"{_x(x)},{_y(y)}" for x, y in (
    (-0.10, -0.04), (0.50, -0.07), (1.02, -0.03), (1.07, 0.36), (1.02, 0.72), (0.94, 1.02), (0.50, 1.05),
    (0.12, 1.02), (-0.07, 0.62)))


def message_page(lang: str, key: str, *, back: str = "/") -> str:
    """A short page in the person's language for a refusal (not signed in, not allowed, no database)."""
    return _environment().get_template("message.html.j2").render(
        lang=lang, title=i18n.translate(lang, "deck.title"), message=i18n.translate(lang, key), back=back,
        back_label=i18n.translate(lang, "deck.back"))
