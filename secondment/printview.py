"""A document as a page to print in the browser (``/_doc/print?id=``): A4, the same parts as the Word file (the
masthead, number, red rule, title, sections, charts, tables, the foot), the browser's own print dialog making a PDF
when one is wanted. Jinja2 autoescapes: every text a person typed is shown as typed. Charts are PNG images from
``secondment.docfigures`` inlined as data: addresses (the page asks no other host for anything)."""
from __future__ import annotations

import base64

from secondment import deck, i18n, officedoc


def _charts(content: dict) -> list[dict]:
    from secondment import docfigures

    out = []
    for chart in content.get("charts", []):
        if chart.get("labels"):
            data = base64.b64encode(docfigures.png(chart)).decode("ascii")
            out.append({"title": chart.get("title", ""), "src": f"data:image/png;base64,{data}"})
    return out


def _tables(content: dict) -> list[dict]:
    out = []
    for table in content.get("tables", []):
        rows = [["—" if v is None else (f"{v:g}" if isinstance(v, float) else v) for v in r] for r in table["rows"]]
        out.append({**table, "rows": rows})
    return out


def render(row: dict, lang: str) -> str:
    content = row["content"]
    doc_lang = content.get("lang") or row.get("lang") or lang
    t = lambda key, **p: i18n.translate(doc_lang, key, **p)
    number = content.get("number")
    sections = [s for s in content.get("sections", []) if (s.get("text") or "").strip()]
    numbered, n = [], 0
    for s in sections:
        if s["key"] != "note":
            n += 1
        numbered.append({**s, "prefix": "" if s["key"] == "note" else officedoc.heading_number(n, doc_lang),
                         "lines": [line.strip() for line in s["text"].split("\n") if line.strip()]})
    foot = content.get("foot") or {}
    when = content.get("issued_on") or content.get("drafted_on")
    return deck._environment().get_template("doc_print.html.j2").render(
        lang=doc_lang, ui=lambda key, **p: i18n.translate(lang, key, **p), t=t, row=row, content=content,
        bulletin=row["kind"] in ("briefing", "notice", "annual"), masthead=row["kind"] in ("briefing", "notice"),
        number=t("docs.number", year=number["year"], n=number["n"]) if number else t("docs.draft_mark"),
        date=officedoc.long_date(when, doc_lang), sections=numbered, charts=_charts(content),
        tables=_tables(content), foot=[(t(f"docs.foot_{k}"), foot[k]) for k in ("report_to", "copy_to", "send_to")
                                       if foot.get(k)],
        person=content.get("participant"), colon="：" if doc_lang == "zh" else ": ")
