"""A document's statistics as an Excel annex (.xlsx): one sheet for what the document is, one per table.

Dates are Excel dates and figures are numbers (so people can sort and sum); every text a person typed passes
``exports.neutralise`` (no formula runs when the file is opened) and has characters XML forbids removed.
"""
from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from secondment import exports, i18n
from secondment.exports import _display_width
from secondment.officedoc import clean

HEAD = Font(bold=True)
FILL = PatternFill("solid", fgColor="F2F2F2")


def _sheet_name(title: str, taken: set[str]) -> str:
    name = clean(title)[:28] or "Sheet"
    for bad in "[]:*?/\\'":
        name = name.replace(bad, " ")
    name = name.strip() or "Sheet"
    out, n = name, 2
    while out.lower() in taken:
        out, n = f"{name[:26]}_{n}", n + 1
    taken.add(out.lower())
    return out


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return exports.neutralise(clean(value))
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return exports.neutralise(clean(value))


def _widths(ws) -> None:
    for column in ws.columns:
        values = [str(c.value) for c in list(column)[:200] if c.value is not None]
        width = min(60, max(8, max((_display_width(v) for v in values), default=8) + 2))
        ws.column_dimensions[column[0].column_letter].width = width


def render(row: dict) -> bytes:
    content = row["content"]
    lang = content.get("lang") or row.get("lang") or i18n.DEFAULT_LANGUAGE
    t = lambda key, **p: i18n.translate(lang, key, **p)
    book = Workbook()
    meta = book.active
    taken: set[str] = set()
    meta.title = _sheet_name(t("docs.sheet_about"), taken)
    number = content.get("number")
    period = content.get("period") or {}
    about = [
        (t("docs.about_kind"), t(f"docs.kind_{row['kind']}")),
        (t("docs.about_title"), content.get("title")),
        (t("docs.about_number"), t("docs.number", year=number["year"], n=number["n"]) if number else
         t("docs.draft_mark")),
        (t("docs.about_issuer"), content.get("issuer")),
        (t("docs.about_start"), _value(period.get("start"), "date")),
        (t("docs.about_end"), _value(period.get("end"), "date")),
        (t("docs.about_date"), _value(content.get("issued_on") or content.get("drafted_on"), "date")),
        (t("docs.about_status"), t(f"docs.status_{row.get('status') or 'draft'}")),
    ]
    if content.get("participant"):
        about.insert(2, (t("docs.about_person"), content["participant"]["name"]))
    for label, value in about:
        meta.append([label, value if isinstance(value, date) else _value(value, "text")])
    for cell in meta["A"]:
        cell.font = HEAD
    for cell in meta["B"]:
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
    _widths(meta)
    for table in content.get("tables", []):
        ws = book.create_sheet(_sheet_name(table.get("title") or table["key"], taken))
        ws.append([exports.neutralise(clean(c)) for c in table["columns"]])
        for cell in ws[1]:
            cell.font, cell.fill = HEAD, FILL
            cell.alignment = Alignment(horizontal="center")
        kinds = table.get("types", [])
        for values in table.get("rows", []):
            ws.append([_value(v, kinds[i] if i < len(kinds) else "text") for i, v in enumerate(values)])
        for i, kind in enumerate(kinds, start=1):
            if kind == "date":
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "yyyy-mm-dd"
        if table.get("note"):
            ws.append([])
            ws.append([exports.neutralise(clean(table["note"]))])
        ws.freeze_panes = "A2"
        _widths(ws)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
