"""A document as a Word file (.docx), laid out as Chinese official documents are (GB/T 9704-2012 conventions).

- A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; body in 仿宋 at 三号 (16 pt) on a fixed 28.95 pt
  line (22 lines to a page), first lines indented two characters; headings in 黑体; the title in 方正小标宋简体 at
  二号 (22 pt), centred.
- A bulletin opens with the red masthead (发文机关标志), its number (第 N 期, or 草稿 while a draft), the issuing unit
  and date on one line, and a red rule; it closes with the 版记: 报/送/发 between rules and "… 印发".
- Page numbers "— N —" in 宋体 四号, odd pages on the right, even pages on the left.

The office may replace the template with its own .docx (``documents.set_template``): its page set-up, headers,
footers and styles are kept and its body is replaced; styles named ``GW Body``, ``GW Title``, ``GW Heading``,
``GW Masthead``, ``GW Table`` and ``GW Foot`` in it win over the built-in ones. Everything a person typed is set as
text (never as fields or markup), with characters XML cannot hold removed.
"""
from __future__ import annotations

import io
import re
from datetime import date

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from secondment import i18n, vocab

RED = RGBColor(0xFF, 0x00, 0x00)
FONTS = {  # East Asian face, Latin face
    "zh": {"title": ("方正小标宋简体", "Times New Roman"), "body": ("仿宋_GB2312", "Times New Roman"),
           "heading": ("黑体", "Times New Roman"), "sub": ("楷体_GB2312", "Times New Roman"),
           "page": ("宋体", "Times New Roman")},
    "en": {"title": ("方正小标宋简体", "Times New Roman"), "body": ("仿宋_GB2312", "Times New Roman"),
           "heading": ("黑体", "Arial"), "sub": ("楷体_GB2312", "Times New Roman"),
           "page": ("宋体", "Times New Roman")},
}
LINE = Pt(28.95)
NUMERALS = "一二三四五六七八九十"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def clean(text) -> str:
    """A person's text as Word can hold it: characters XML forbids removed, nothing else changed."""
    return _ILLEGAL.sub("", "" if text is None else str(text))


def long_date(value, lang: str) -> str:
    if not value:
        return ""
    day = date.fromisoformat(str(value)[:10])
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def heading_number(i: int, lang: str) -> str:
    if lang != "zh":
        return f"{i}. "
    if i <= 10:
        return NUMERALS[i - 1] + "、"
    return (NUMERALS[i // 10 - 1] if i >= 20 else "") + "十" + (NUMERALS[i % 10 - 1] if i % 10 else "") + "、"


# --- styles and runs -----------------------------------------------------------------------------------------

def _fonts(target, east: str, latin: str) -> None:
    """Set a style's or a run's fonts: Latin and East Asian faces (python-docx's ``font.name`` sets only Latin)."""
    target.font.name = latin
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east), ("w:cs", latin)):
        fonts.set(qn(attr), value)


def _style(doc, name: str, lang: str, face: str, size: float, *, bold=False, align=None, indent=False,
           fixed=True, colour=None, before=0, after=0):
    styles = doc.styles
    if name in [s.name for s in styles]:
        return styles[name]
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"]
    east, latin = FONTS[lang][face]
    _fonts(style, east, latin)
    style.font.size = Pt(size)
    style.font.bold = bold
    if colour is not None:
        style.font.color.rgb = colour
    fmt = style.paragraph_format
    if fixed:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if align is not None:
        fmt.alignment = align
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    fmt.widow_control = True
    return style


def _styles(doc, lang: str) -> dict:
    centre = WD_ALIGN_PARAGRAPH.CENTER
    return {
        "body": _style(doc, "GW Body", lang, "body", 16, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY),
        "plain": _style(doc, "GW Plain", lang, "body", 16),
        "title": _style(doc, "GW Title", lang, "title", 22, align=centre, fixed=False, before=12, after=12),
        "heading": _style(doc, "GW Heading", lang, "heading", 16, indent=True),
        "sub": _style(doc, "GW Subheading", lang, "sub", 16, indent=True),
        "masthead": _style(doc, "GW Masthead", lang, "title", 40, align=centre, fixed=False, colour=RED),
        "number": _style(doc, "GW Number", lang, "body", 16, align=centre),
        "table": _style(doc, "GW Table", lang, "body", 11, fixed=False),
        "caption": _style(doc, "GW Caption", lang, "heading", 14, align=centre, fixed=False, before=6, after=6),
        "foot": _style(doc, "GW Foot", lang, "body", 14, fixed=False),
        "page": _style(doc, "GW Page", lang, "page", 14, fixed=False),
    }


def _border(paragraph, side: str, *, colour="000000", size=8) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), "1")
    edge.set(qn("w:color"), colour)
    borders.append(edge)


def _para(doc, text, style, *, align=None):
    paragraph = doc.add_paragraph(style=style)
    if text:
        paragraph.add_run(clean(text))
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _page_field(paragraph) -> None:
    """ "— N —": the page number as a PAGE field between em dashes."""
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("end", None)):
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
        if kind == "separate":
            number = OxmlElement("w:t")
            number.text = "1"
            run._r.append(number)
    paragraph.add_run(" —")


def _setup(doc, styles, *, own_template: bool) -> None:
    section = doc.sections[0]
    if not own_template:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.header_distance, section.footer_distance = Mm(15), Mm(20)
        doc.settings.odd_and_even_pages_header_footer = True
        for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            paragraph.style = styles["page"]
            paragraph.alignment = align
            paragraph.paragraph_format.left_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.LEFT else None
            paragraph.paragraph_format.right_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.RIGHT else None
            _page_field(paragraph)


def _new(template: bytes | None, lang: str):
    if template:
        doc = Document(io.BytesIO(template))
        body = doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
    else:
        doc = Document()
        normal = doc.styles["Normal"]
        _fonts(normal, *FONTS[lang]["body"])
        normal.font.size = Pt(16)
    styles = _styles(doc, lang)
    _setup(doc, styles, own_template=bool(template))
    core = doc.core_properties
    core.author, core.comments, core.keywords = "", "", ""
    return doc, styles


def _text_width(doc):
    section = doc.sections[0]
    return section.page_width - section.left_margin - section.right_margin


# --- pieces ----------------------------------------------------------------------------------------------------

def _masthead(doc, styles, content: dict, row: dict, lang: str) -> None:
    t = lambda key, **p: i18n.translate(lang, key, **p)
    top = _para(doc, content.get("masthead") or "", styles["masthead"])
    top.paragraph_format.space_before = Pt(24)
    top.paragraph_format.space_after = Pt(12)
    number = content.get("number")
    label = t("docs.number", year=number["year"], n=number["n"]) if number else t("docs.draft_mark")
    _para(doc, label, styles["number"])
    line = doc.add_paragraph(style=styles["plain"])
    line.paragraph_format.tab_stops.add_tab_stop(_text_width(doc), WD_TAB_ALIGNMENT.RIGHT)
    line.add_run(clean(content.get("issuer")))
    line.add_run("\t" + long_date(content.get("issued_on") or content.get("drafted_on"), lang))
    _border(line, "bottom", colour="FF0000", size=18)


def _tables(doc, styles, content: dict, lang: str) -> None:
    for table in content.get("tables", []):
        if not table.get("columns"):
            continue
        _para(doc, table.get("title"), styles["caption"])
        grid = doc.add_table(rows=1, cols=len(table["columns"]))
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        _grid_borders(grid)
        for cell, name in zip(grid.rows[0].cells, table["columns"]):
            _cell(cell, name, styles["table"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _repeat_header(grid.rows[0])
        for values in table.get("rows", []):
            cells = grid.add_row().cells
            for cell, value, kind in zip(cells, values, table.get("types", [])):
                shown = "—" if value is None else (f"{value:g}" if isinstance(value, float) else value)
                _cell(cell, shown, styles["table"],
                      align=WD_ALIGN_PARAGRAPH.RIGHT if kind == "number" else None)
        if not table.get("rows"):
            cells = grid.add_row().cells
            merged = cells[0].merge(cells[-1])
            _cell(merged, i18n.translate(lang, "docs.no_rows"), styles["table"], align=WD_ALIGN_PARAGRAPH.CENTER)
        if table.get("note"):
            _para(doc, table["note"], styles["table"])


def _grid_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "4")
        edge.set(qn("w:space"), "0")
        edge.set(qn("w:color"), "000000")
        borders.append(edge)
    tbl_pr.append(borders)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _cell(cell, text, style, *, bold=False, align=None) -> None:
    lines = clean(text).split("\n")
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    for i, line in enumerate(lines):
        if i:
            paragraph = cell.add_paragraph(style=style)
        run = paragraph.add_run(line)
        run.bold = bold or None
        if align is not None:
            paragraph.alignment = align


def _charts(doc, styles, content: dict) -> None:
    from secondment import docfigures

    for chart in content.get("charts", []):
        if not chart.get("labels"):
            continue
        picture = doc.add_paragraph(style=styles["plain"])
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        picture.add_run().add_picture(io.BytesIO(docfigures.png(chart)), width=Cm(15))
        _para(doc, chart.get("title"), styles["caption"])


def _sections(doc, styles, content: dict, lang: str, *, number_headings: bool) -> None:
    shown = [s for s in content.get("sections", []) if (s.get("text") or "").strip()]
    for i, section in enumerate(shown, start=1):
        if section["key"] == "note":           # the editor's note: 编者按 in 楷体, before the numbered body
            note = _para(doc, "", styles["sub"])
            note.add_run(clean(section["heading"]) + ("：" if lang == "zh" else ": ")).bold = True
            note.add_run(clean(section["text"].strip()))
            continue
        prefix = heading_number(i - (1 if shown[0]["key"] == "note" else 0), lang) if number_headings else ""
        _para(doc, prefix + clean(section["heading"]), styles["heading"])
        for line in section["text"].split("\n"):
            if line.strip():
                _para(doc, line.strip(), styles["body"])


def _foot(doc, styles, content: dict, lang: str, date_text: str) -> None:
    t = lambda key, **p: i18n.translate(lang, key, **p)
    foot = content.get("foot") or {}
    lines = [(t(f"docs.foot_{k}"), foot.get(k)) for k in ("report_to", "copy_to", "send_to") if foot.get(k)]
    spacer = doc.add_paragraph(style=styles["plain"])
    spacer.paragraph_format.keep_with_next = True
    first = True
    for label, value in lines:
        paragraph = _para(doc, "", styles["foot"])
        paragraph.paragraph_format.left_indent = Pt(14)
        paragraph.paragraph_format.keep_with_next = True
        paragraph.add_run(label + ("：" if lang == "zh" else ": "))
        paragraph.add_run(clean(value))
        if first:
            _border(paragraph, "top", size=8)
            first = False
    last = doc.add_paragraph(style=styles["foot"])
    last.paragraph_format.left_indent = Pt(14)
    last.paragraph_format.right_indent = Pt(14)
    last.paragraph_format.tab_stops.add_tab_stop(_text_width(doc) - Pt(28), WD_TAB_ALIGNMENT.RIGHT)
    last.add_run(clean(content.get("issuer")))
    last.add_run("\t" + t("docs.printed_on", date=date_text))
    if first:
        _border(last, "top", size=8)
    else:
        _border(last, "top", size=4)
    _border(last, "bottom", size=8)


# --- the documents -------------------------------------------------------------------------------------------

def render(row: dict, template: bytes | None = None) -> bytes:
    """A bulletin, annual report, monthly report or end-of-stint summary as .docx bytes."""
    content = row["content"]
    lang = content.get("lang") or row.get("lang") or i18n.DEFAULT_LANGUAGE
    doc, styles = _new(template, lang)
    bulletin = row["kind"] in ("briefing", "notice", "annual")
    if bulletin and row["kind"] != "annual":
        _masthead(doc, styles, content, row, lang)
        _para(doc, content.get("title"), styles["title"])
    else:
        if row["kind"] == "annual" and content.get("number"):
            _para(doc, i18n.translate(lang, "docs.number", year=content["number"]["year"],
                                      n=content["number"]["n"]), styles["number"])
        elif row.get("status") in ("draft", "returned", "submitted") or not content.get("number") and bulletin:
            _para(doc, i18n.translate(lang, "docs.draft_mark") if row.get("status") != "submitted"
                  else i18n.translate(lang, "docs.submitted_mark"), styles["number"])
        _para(doc, content.get("title"), styles["title"])
        person = content.get("participant")
        if person:
            _para(doc, i18n.translate(lang, "docs.byline", name=person["name"], batch=person["batch"],
                                      host=person["host"] or "—"), styles["number"])
    if content.get("extract"):
        _para(doc, i18n.translate(lang, "docs.extract_mark"), styles["number"])
    _sections(doc, styles, content, lang, number_headings=True)
    if content.get("charts") or content.get("tables"):
        _charts(doc, styles, content)
        _tables(doc, styles, content, lang)
    when = content.get("issued_on") or content.get("drafted_on")
    if bulletin:
        _foot(doc, styles, content, lang, long_date(when, lang))
    else:
        sign = _para(doc, "", styles["plain"], align=WD_ALIGN_PARAGRAPH.RIGHT)
        sign.paragraph_format.space_before = Pt(28)
        sign.add_run(i18n.translate(lang, "docs.signed", name=clean((content.get("participant") or {}).get("name"))))
        _para(doc, long_date(row.get("submitted_at") or when, lang), styles["plain"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _save(doc)


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def appraisal(data: dict, template: bytes | None = None) -> bytes:
    """The 鉴定表 of a stint: basics, objectives, the self-checks, the self-assessment, the host's grades and
    comment, the home unit's view and the conclusion, each with its signatory, date and a place for the seal."""
    lang = data.get("lang") or i18n.DEFAULT_LANGUAGE
    t = lambda key, **p: i18n.translate(lang, key, **p)
    doc, styles = _new(template, lang)
    _para(doc, t("docs.appraisal_title", direction=vocab.label("direction", data["person"]["direction"], lang)),
          styles["title"])
    person, record = data["person"], data.get("assessment") or {}
    grid = doc.add_table(rows=0, cols=4)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    _grid_borders(grid)
    cell_style = styles["table"]

    def pair(*items):
        cells = grid.add_row().cells
        for i, (label, value) in enumerate(items):
            _cell(cells[i * 2], label, cell_style, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            _cell(cells[i * 2 + 1], value or "—", cell_style)

    def wide(label, text, height_cm: float = 0):
        cells = grid.add_row().cells
        _cell(cells[0], label, cell_style, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        merged = cells[1].merge(cells[3])
        _cell(merged, text, cell_style)
        if height_cm:
            grid.rows[-1].height = Cm(height_cm)

    pair((t("docs.ap_name"), person["name"]), (t("docs.ap_batch"), person.get("batch")))
    pair((t("docs.ap_home"), person.get("home_unit")), (t("docs.ap_host"), person.get("host_unit")))
    pair((t("docs.ap_post"), person.get("post")),
         (t("docs.ap_period"), f"{person.get('start_date') or ''} — {person.get('end_date') or ''}"))
    objectives = "\n".join(
        t("docs.ap_objective", role=vocab.label("role", o["role"], lang), text=o["text"],
          status=vocab.label("objective_status", o["shown_status"], lang), n=o["linked"])
        for o in data.get("objectives", [])) or t("docs.no_objectives")
    wide(t("docs.ap_objectives"), objectives, 3)
    wide(t("docs.ap_work"), t("docs.ap_work_text", entries=data["entries"], hours=f"{data['hours']:g}",
                                submitted=data["checkins"]["submitted"], months=data["checkins"]["months"],
                                leave=data["leave_days"]))
    wide(t("docs.ap_self"), (record.get("self_text") or "") + "\n\n" + t("docs.ap_sign_line", who=person["name"],
                                                                          date=record.get("self_at", "")[:10]
                                                                          if record.get("self_at") else ""), 5)
    grades = "　".join(f"{vocab.label('appraisal_dimension', d, lang)}：{vocab.label('appraisal_grade', record.get('host_' + d), lang) if record.get('host_' + d) else '—'}"
                      for d in vocab.APPRAISAL_DIMENSIONS)
    wide(t("docs.ap_host_view"), grades + "\n" + (record.get("host_comment") or "") + "\n\n"
         + t("docs.ap_seal_line", who=record.get("host_signatory") or "", date=(record.get("host_at") or "")[:10]), 4)
    wide(t("docs.ap_home_view"), (record.get("home_view") or "") + "\n\n"
         + t("docs.ap_seal_line", who=record.get("home_signatory") or "", date=(record.get("home_at") or "")[:10]), 3)
    conclusion = vocab.label("conclusion", record["conclusion"], lang) if record.get("conclusion") else ""
    wide(t("docs.ap_conclusion"), t("docs.ap_conclusion_text", conclusion=conclusion or "—",
                                    note=record.get("conclusion_note") or "") + "\n\n"
         + t("docs.ap_seal_line", who=record.get("conclusion_by_name") or "",
             date=(record.get("conclusion_at") or "")[:10]), 3)
    widths = (Cm(3.2), Cm(4.6), Cm(3.2), Cm(4.6))
    for r in grid.rows:
        for cell, width in zip(r.cells, widths):
            cell.width = width
    _para(doc, t("docs.ap_footer", issuer=data.get("issuer") or "", date=long_date(data.get("made_on"), lang)),
          styles["foot"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _save(doc)

