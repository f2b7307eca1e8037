"""Official documents: the bulletins the department issues and the reports secondees submit.

- A **bulletin** is a 简报 (``briefing``: the programme), a 通报 (``notice``: how departments handled what was fed
  back) or the ``annual`` report. A reviewer drafts one for a period; the app fills every section from the data
  (the figures are the overview's and the flows page's for the same period, ``secondment.periods``), the reviewer
  edits every section and chooses the highlights, and issues it: it then takes the next number of its kind and
  year, its files are made once and kept byte for byte, and neither the app nor the database lets it change.
- A **report** is a secondee's ``monthly`` report or end-of-stint ``summary``, drafted "report once" from their own
  approved entries, linked objectives and feedback (nothing in it that the data does not say), edited, submitted
  and approved or returned like a week. An approved report is final in the same way.

The content of a document is JSON: ``sections`` (key, heading, text: what people edit), ``figures`` (numbers),
``tables`` and ``charts`` (data, never edited), ``foot`` (报/送/发 lines). ``secondment.officedoc`` lays it out
as a Word file, ``secondment.annex`` as an Excel annex, ``secondment.printview`` as a page to print.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

from secondment import (
    agreements,
    analytics,
    audit,
    clock,
    feedback,
    flows,
    i18n,
    periods,
    permissions,
    stint,
    story,
    validation,
    vocab,
)
from secondment.db import Store, set_meta
from secondment.errors import Conflict, NotFound, PermissionDenied, ValidationError
from secondment.periods import Period
from secondment.permissions import Actor

KINDS = ("briefing", "notice", "annual", "monthly", "summary")
BULLETINS = ("briefing", "notice", "annual")
REPORTS = ("monthly", "summary")
FINAL = ("issued", "approved")
FORMATS = ("docx", "xlsx")
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf"}
SECTION_MAX = 20_000
TITLE_MAX = 120
FOOT_MAX = 500
HIGHLIGHTS_MAX = 12
CANDIDATES = 200
TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
TOPICS = 5

# A unit below either bar is named in a 通报 (only units with enough items to compare: flows.MIN_ITEMS_TO_RANK).
DEFAULT_SETTINGS = {"issuer": "", "briefing_masthead": "", "notice_masthead": "", "bar_on_time": 90,
                    "bar_satisfied": 85}
SETTING_KEYS = tuple(DEFAULT_SETTINGS)
FOOT_KEYS = ("report_to", "copy_to", "send_to")

SECTIONS = {
    "briefing": ("note", "overview", "highlights", "solved", "departments", "topics"),
    "notice": ("intro", "categories", "units", "topics", "requirements"),
    "annual": ("summary", "batches", "roles", "loop", "practices", "compare", "next"),
}


def _t(lang: str):
    return lambda key, **params: i18n.translate(lang, key, **params)


def _number(value):
    """A figure from a frame as a plain number (a missing one, NaN or NA, as None)."""
    if value is None:
        return None
    try:
        if value != value:  # noqa: PLR0124 - NaN is the one value unequal to itself
            return None
    except TypeError:       # pandas' NA cannot be compared
        return None
    return value.item() if hasattr(value, "item") else value


def _pct(value) -> str:
    return "—" if value is None else f"{value:g}%"


# --- settings and the template ------------------------------------------------------------------------------

def settings(store: Store) -> dict:
    raw = store.meta("documents.settings")
    values = dict(DEFAULT_SETTINGS)
    if raw:
        try:
            values.update({k: v for k, v in json.loads(raw).items() if k in DEFAULT_SETTINGS})
        except ValueError:
            pass
    return values


def set_settings(store: Store, actor: Actor, values: dict) -> dict:
    permissions.require(actor, "documents.settings")
    clean = {
        "issuer": validation.text("issuer", values.get("issuer"), required=False, max_len=60) or "",
        "briefing_masthead": validation.text("briefing_masthead", values.get("briefing_masthead"), required=False,
                                             max_len=30) or "",
        "notice_masthead": validation.text("notice_masthead", values.get("notice_masthead"), required=False,
                                           max_len=30) or "",
    }
    for key in ("bar_on_time", "bar_satisfied"):
        clean[key] = validation.integer(key, values.get(key), low=0, high=100)
    with store.write() as db:
        before = settings(store)
        set_meta(db, "documents.settings", json.dumps(clean, ensure_ascii=False, sort_keys=True))
        audit.record(db, actor, "meta", "documents.settings", "documents_settings", before, clean)
    return clean


def issuer(store: Store, lang: str) -> str:
    return settings(store)["issuer"] or i18n.translate(lang, "docs.issuer_default")


def masthead(store: Store, kind: str, lang: str) -> str:
    own = settings(store).get(f"{kind}_masthead") if kind in ("briefing", "notice") else ""
    return own or i18n.translate(lang, f"docs.masthead_{kind}")


def template(store: Store) -> bytes | None:
    """The office's own Word template (its styles, page set-up, headers and footers), or None for the built-in."""
    with store.read() as db:
        row = db.conn.execute("select value from meta where key = 'documents.template'").fetchone()
    if not row or not row[0]:
        return None
    import base64

    return base64.b64decode(row[0])


def check_template(data: bytes) -> None:
    """A .docx Word can open: a zip of at most ``TEMPLATE_MAX_BYTES`` with a document part, no macros, that
    python-docx reads. Raises ValidationError naming the file otherwise."""
    if not data:
        raise ValidationError("template", "", "required")
    if len(data) > TEMPLATE_MAX_BYTES:
        raise ValidationError("template", f"{len(data) // 1024} KB", "file_too_large", limit="5 MB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if sum(i.file_size for i in archive.infolist()) > 8 * TEMPLATE_MAX_BYTES:
                raise ValidationError("template", "", "file_too_large", limit="5 MB")
    except zipfile.BadZipFile:
        raise ValidationError("template", "", "not_docx") from None
    if "word/document.xml" not in names:
        raise ValidationError("template", "", "not_docx")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ValidationError("template", "", "template_macros")
    try:
        import docx

        docx.Document(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - whatever python-docx cannot read is not a template
        raise ValidationError("template", "", "not_docx") from None


def set_template(store: Store, actor: Actor, data: bytes | None) -> bool:
    """Use ``data`` as the Word template from now on (None: back to the built-in). Issued files keep theirs."""
    import base64

    permissions.require(actor, "documents.settings")
    if data is not None:
        check_template(data)
    with store.write() as db:
        set_meta(db, "documents.template", base64.b64encode(data).decode("ascii") if data else "")
        audit.record(db, actor, "meta", "documents.template", "documents_template", None,
                     {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} if data else {"size": 0})
    return True


# --- reading --------------------------------------------------------------------------------------------------

def _row(db, document_id) -> dict:
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        raise NotFound("document", str(document_id)[:20]) from None
    row = db.conn.execute("select * from documents where id = ?", (document_id,)).fetchone()
    if row is None:
        raise NotFound("document", document_id)
    out = dict(row)
    out["content"] = json.loads(out["content"])
    return out


def how_seen(actor: Actor, row: dict) -> str | None:
    """"full", "extract" (a liaison's own department's part of an issued 通报) or None: the one rule of who sees
    which document."""
    if row["kind"] in BULLETINS:
        if permissions.can(actor, "bulletin.draft"):
            return "full"
        if row["status"] == "issued" and permissions.can(actor, "bulletin.read"):
            return "full"
        if row["kind"] == "notice" and row["status"] == "issued" and permissions.can(actor, "notice.extract"):
            return "extract"
        return None
    return "full" if permissions.can(actor, "report.read", {"participant_id": row["participant_id"]}) else None


def get(store: Store, actor: Actor, document_id) -> dict:
    permissions.require(actor, "document.read")
    with store.read() as db:
        row = _row(db, document_id)
    seen = how_seen(actor, row)
    if seen is None:
        raise PermissionDenied("document.read", actor.role)
    if seen == "extract":
        row = {**row, "content": extract(row["content"], actor.department_id)}
    return {**row, "seen": seen}


def extract(content: dict, department_id: int | None) -> dict:
    """A liaison's part of a 通报: the overall figures and their own department's row, nothing on other units."""
    out = {**content, "extract": True}
    out["sections"] = [s for s in content["sections"] if s["key"] in ("intro", "categories", "topics", "requirements")]
    out["tables"] = []
    for table in content.get("tables", []):
        if table["key"] != "units":
            continue
        keep = [r for r, d in zip(table["rows"], table.get("ids", [])) if d == department_id]
        out["tables"].append({**table, "rows": keep, "ids": [department_id] * len(keep)})
    out["charts"] = []
    return out


def visible_kinds(actor: Actor) -> list[str]:
    """The kinds of document the actor may find in the library (a filter offers only these)."""
    out = []
    for kind in KINDS:
        if kind in BULLETINS and (permissions.can(actor, "bulletin.draft") or permissions.can(actor, "bulletin.read")
                                  or kind == "notice" and permissions.can(actor, "notice.extract")) or kind in REPORTS and permissions.can(actor, "report.read", {"participant_id": actor.participant_id}):
            out.append(kind)
    return out


def library(store: Store, actor: Actor, *, kind: str | None = None, year: int | None = None,
            status: str | None = None, participant_id: int | None = None, limit: int = 500) -> list[dict]:
    """Every document the actor may see, newest first, without its content: kind, number, period, author."""
    permissions.require(actor, "document.read")
    ors, params = [], []
    if permissions.can(actor, "bulletin.draft"):
        ors.append("d.kind in ('briefing', 'notice', 'annual')")
    elif permissions.can(actor, "bulletin.read"):
        ors.append("(d.kind in ('briefing', 'notice', 'annual') and d.status = 'issued')")
    elif permissions.can(actor, "notice.extract"):
        ors.append("(d.kind = 'notice' and d.status = 'issued')")
    if permissions.can(actor, "report.read"):
        own = permissions.scope(actor, "report.read")
        if own is None:
            ors.append("d.kind in ('monthly', 'summary')")
        else:
            ors.append("(d.kind in ('monthly', 'summary') and d.participant_id = ?)")
            params.append(own["participant_id"])
    if not ors:
        return []
    where = [f"({' or '.join(ors)})"]
    if kind:
        where.append("d.kind = ?")
        params.append(kind)
    if year:
        where.append("substr(coalesce(d.period_end, d.created_at), 1, 4) = ?")
        params.append(str(int(year)))
    if status:
        where.append("d.status = ?")
        params.append(status)
    if participant_id:
        where.append("d.participant_id = ?")
        params.append(int(participant_id))
    rows = store.rows(f"""
        select d.id, d.kind, d.year, d.number, d.title, d.status, d.period_key, d.period_start, d.period_end,
               d.participant_id, p.name as person, coalesce(u.display_name, u.username) as author,
               d.created_at, d.updated_at, d.submitted_at, d.issued_at, d.reviewed_at, d.lang
        from documents d left join participants p on p.id = d.participant_id left join users u on u.id = d.author_id
        where {' and '.join(where)}
        order by coalesce(d.issued_at, d.reviewed_at, d.submitted_at, d.updated_at, d.created_at) desc, d.id desc
        limit ?""", [*params, int(limit)])
    return rows


def waiting(store: Store, actor: Actor) -> list[dict]:
    """Reports submitted and waiting for review, oldest first."""
    permissions.require(actor, "report.review")
    return store.rows("select d.id, d.kind, d.title, d.period_key, d.submitted_at, p.name as person, b.code as batch "
                      "from documents d join participants p on p.id = d.participant_id "
                      "join batches b on b.id = p.batch_id where d.status = 'submitted' order by d.submitted_at, d.id")


def number_label(row: dict, lang: str) -> str:
    if row.get("number") is None:
        return ""
    return i18n.translate(lang, "docs.number", year=row["year"], n=row["number"])


def file_name(row: dict, fmt: str, lang: str) -> str:
    kind = i18n.translate(lang, f"docs.kind_{row['kind']}")
    if row["kind"] in BULLETINS and row.get("number"):
        stem = f"{kind}_{row['year']}-{row['number']:02d}"
    elif row["kind"] in REPORTS:
        stem = f"{kind}_{(row['content'].get('participant') or {}).get('name', '')}_{row.get('period_key') or ''}"
    else:
        start, end = (row.get("period_start") or "")[:10], (row.get("period_end") or "")[:10]
        whole_month = start[:7] == end[:7] and start.endswith("-01") and \
            (date.fromisoformat(end) + timedelta(days=1)).day == 1 if start and end else False
        when = start[:4] if row["kind"] == "annual" else (start[:7] if whole_month else f"{start}~{end}")
        stem = f"{kind}_{when}_{i18n.translate(lang, 'docs.status_' + row['status'])}"
    for bad in '\\/:*?"<>|\r\n\t':
        stem = stem.replace(bad, "_")
    return f"{stem.strip('_')}.{fmt}"


# --- drafting bulletins ---------------------------------------------------------------------------------------

def _section(key: str, lang: str, text: str) -> dict:
    return {"key": key, "heading": i18n.translate(lang, f"docs.section_{key}"), "text": text}


def _feedback_clause(actor: Actor, period: Period, today: date) -> tuple[str, dict]:
    return feedback.filters_sql(actor, today=today, action="feedback.flows", **period.feedback_filters())


def _categories(store: Store, actor: Actor, period: Period, today: date) -> list[dict]:
    clause, params = _feedback_clause(actor, period, today)
    return store.rows(f"""
        select f.category, count(*) as items,
               sum(case when {feedback.satisfied_sql()} then 1 else 0 end) as satisfied
        from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id
        left join units e on e.id = f.enterprise_id
        where {clause} group by f.category order by items desc, f.category""", params)


def _topic_items(store: Store, actor: Actor, period: Period, today: date, category: str, limit: int = 3) -> list[dict]:
    clause, params = _feedback_clause(actor, period, today)
    return store.rows(f"""
        select f.summary, e.name as enterprise from feedback f join participants p on p.id = f.participant_id
        join batches b on b.id = p.batch_id left join units e on e.id = f.enterprise_id
        where {clause} and f.category = :category order by f.created_at desc, f.id desc limit :limit""",
                      {**params, "category": category, "limit": limit})


def figures(store: Store, actor: Actor, period: Period, today: date) -> dict:
    """The headline figures of a period: the overview's (``analytics.headline``) and the flows page's loop
    (``flows.loop_summary`` with the same period's filters), the same functions, so they agree."""
    loop = analytics.feedback_loop(store, actor, today, period)
    head = analytics.headline(store, actor, today, period, loop=loop)
    keys = ("participants", "cadres", "talents", "active", "activities", "hours", "practices_promoted", "enterprises")
    out = {k: head[k] for k in keys}
    out["hours"] = round(float(out["hours"] or 0), 1)
    for k in ("total", "open", "overdue", "answered", "on_time", "evaluated", "satisfied", "closed", "on_time_pct",
              "satisfied_pct", "closed_pct", "median_days"):
        out[f"loop_{k}"] = loop[k]
    return out


FIGURE_ORDER = ("participants", "cadres", "talents", "active", "enterprises", "activities", "hours", "loop_total",
                "loop_answered", "loop_on_time_pct", "loop_satisfied_pct", "loop_closed_pct", "loop_median_days",
                "loop_open", "loop_overdue", "practices_promoted")


def _figures_table(fig: dict, lang: str) -> dict:
    t = _t(lang)
    return {"key": "figures", "title": t("docs.table_figures"), "columns": [t("docs.col_figure"), t("docs.col_value")],
            "types": ["text", "number"],
            "rows": [[t(f"docs.fig_{k}"), fig[k]] for k in FIGURE_ORDER if k in fig]}


def _units_table(frame, lang: str, min_items: int) -> dict:
    t = _t(lang)
    cols = ("rank", "department", "received", "answered", "on_time", "on_time_pct", "median_days", "evaluated",
            "satisfaction_pct", "open", "overdue")
    rows, ids = [], []
    for r in frame.to_dict("records"):
        rank = _number(r["rank"])
        rows.append([None if rank is None else int(rank), r["department"] or "—",
                     *(_number(r[c]) for c in cols[2:])])
        ids.append(int(r["department_id"]))
    return {"key": "units", "title": t("docs.table_units"), "columns": [t(f"docs.col_{c}") for c in cols],
            "types": ["number", "text"] + ["number"] * (len(cols) - 2), "rows": rows, "ids": ids,
            "note": t("docs.units_note", n=min_items)}


def _overview_text(fig: dict, period: Period, lang: str) -> str:
    return i18n.translate(lang, "docs.overview_text", period=period.label(lang), active=fig["active"],
                          people=fig["participants"], enterprises=fig["enterprises"], entries=fig["activities"],
                          hours=f"{fig['hours']:g}", items=fig["loop_total"], answered=fig["loop_answered"],
                          on_time=_pct(fig["loop_on_time_pct"]), satisfied=_pct(fig["loop_satisfied_pct"]),
                          practices=fig["practices_promoted"])


def _topics_text(store, actor, period, today, lang, cats: list[dict]) -> str:
    t = _t(lang)
    if not cats:
        return t("docs.no_items")
    lines = []
    for c in cats[:TOPICS]:
        lines.append(t("docs.topic_line", category=vocab.label("feedback_category", c["category"], lang),
                       n=c["items"]))
        for item in _topic_items(store, actor, period, today, c["category"]):
            who = f"（{item['enterprise']}）" if lang == "zh" and item["enterprise"] else \
                (f" ({item['enterprise']})" if item["enterprise"] else "")
            lines.append(f"- {item['summary']}{who}")
    return "\n".join(lines)


def _departments_text(frame, lang: str, bars: dict) -> str:
    t = _t(lang)
    if frame.empty:
        return t("docs.no_items")
    ranked = frame[frame["ranked"]]
    lines = [t("docs.units_intro", n=len(frame), ranked=len(ranked), min=flows.MIN_ITEMS_TO_RANK)]
    best = ranked.head(3)
    if len(best):
        lines.append(t("docs.units_best", names="、".join(best["department"].astype(str)) if lang == "zh"
                       else ", ".join(best["department"].astype(str))))
    below = below_bar(frame, bars)
    if below:
        lines.append(t("docs.units_below", on_time=bars["bar_on_time"], satisfied=bars["bar_satisfied"]))
        for r in below:
            lines.append("- " + t("docs.units_below_line", name=r["department"], on_time=_pct(r["on_time_pct"]),
                                  satisfied=_pct(r["satisfaction_pct"]), n=r["received"]))
    else:
        lines.append(t("docs.units_none_below", on_time=bars["bar_on_time"], satisfied=bars["bar_satisfied"]))
    return "\n".join(lines)


def below_bar(frame, bars: dict) -> list[dict]:
    """Units with enough items to compare whose on-time or satisfaction rate is under the bar."""
    out = []
    for r in frame[frame["ranked"]].to_dict("records"):
        on_time, satisfied = _number(r["on_time_pct"]), _number(r["satisfaction_pct"])
        low_time = on_time is not None and on_time < bars["bar_on_time"]
        low_sat = satisfied is not None and satisfied < bars["bar_satisfied"]
        if low_time or low_sat:
            out.append(r)
    return out


def candidates(store: Store, actor: Actor, period: Period, *, today: date | None = None) -> dict:
    """What a reviewer may choose as a bulletin's highlights: approved entries of the period with an outcome
    (newest first) and items answered in the period's loop, with the enterprise and the department."""
    permissions.require(actor, "bulletin.draft")
    today = today or clock.today()
    entries = story.examples(store, period, vocab.ROLES, limit=CANDIDATES)
    clause, params = _feedback_clause(actor, period, today)
    items = store.rows(f"""
        select f.id, f.summary, f.answer, f.status, f.evaluation, e.name as enterprise, d.name as department,
               {clock.china_date_sql('f.answered_at')} as answered
        from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id
        left join units e on e.id = f.enterprise_id left join units d on d.id = f.department_id
        where {clause} and f.answered_at is not null
        order by ({feedback.satisfied_sql()}) desc, f.answered_at desc, f.id desc limit :limit""",
                       {**params, "limit": CANDIDATES})
    return {"entries": entries, "items": items}


def _highlights_text(entries: list[dict], lang: str) -> str:
    t = _t(lang)
    if not entries:
        return t("docs.no_highlights")
    lines = []
    for e in entries:
        lines.append(t("docs.highlight_line", role=vocab.label("role", e["role"], lang), person=e["person"],
                       unit=e.get("unit") or "—", title=e["title"]))
        if e.get("outcome"):
            lines.append(f"  {e['outcome']}")
    return "\n".join(lines)


def _solved_text(items: list[dict], lang: str) -> str:
    t = _t(lang)
    if not items:
        return t("docs.no_solved")
    return "\n".join("- " + t("docs.solved_line", summary=i["summary"], enterprise=i.get("enterprise") or "—",
                              department=i.get("department") or "—") for i in items)


def _varied(entries: list[dict], n: int) -> list[dict]:
    """The first ``n`` highlights with as many roles as there are: the newest of each role first."""
    first, rest, roles = [], [], set()
    for e in entries:
        (rest if e["role"] in roles else first).append(e)
        roles.add(e["role"])
    return (first + rest)[:n]


def _briefing(store, actor, period, lang, today) -> dict:
    t = _t(lang)
    fig = figures(store, actor, period, today)
    cats = _categories(store, actor, period, today)
    frame = flows.department_table(store, actor, today=today, **period.feedback_filters())
    picked = candidates(store, actor, period, today=today)
    entries = _varied(picked["entries"], 4)
    solved = story.solved(store, actor, period, today, limit=5)
    return {
        "sections": [
            _section("note", lang, t("docs.note_default", period=period.label(lang))),
            _section("overview", lang, _overview_text(fig, period, lang)),
            _section("highlights", lang, _highlights_text(entries, lang)),
            _section("solved", lang, _solved_text(solved, lang)),
            _section("departments", lang, _departments_text(frame, lang, settings(store))),
            _section("topics", lang, _topics_text(store, actor, period, today, lang, cats)),
        ],
        "figures": fig,
        "highlights": {"entries": [e["id"] for e in entries], "items": []},
        "tables": [_figures_table(fig, lang), _units_table(frame, lang, flows.MIN_ITEMS_TO_RANK)],
        "charts": [],
    }


def _notice(store, actor, period, lang, today) -> dict:
    t = _t(lang)
    fig = figures(store, actor, period, today)
    cats = _categories(store, actor, period, today)
    frame = flows.department_table(store, actor, today=today, **period.feedback_filters())
    bars = settings(store)
    top = "、".join if lang == "zh" else ", ".join
    categories = t("docs.categories_text", n=fig["loop_total"], top=top(
        t("docs.category_share", category=vocab.label("feedback_category", c["category"], lang), n=c["items"])
        for c in cats[:TOPICS])) if cats else t("docs.no_items")
    return {
        "sections": [
            _section("intro", lang, t("docs.notice_intro", period=period.label(lang), items=fig["loop_total"],
                                      answered=fig["loop_answered"], on_time=_pct(fig["loop_on_time_pct"]),
                                      satisfied=_pct(fig["loop_satisfied_pct"]), open=fig["loop_open"],
                                      overdue=fig["loop_overdue"])),
            _section("categories", lang, categories),
            _section("units", lang, _departments_text(frame, lang, bars)),
            _section("topics", lang, _topics_text(store, actor, period, today, lang, cats)),
            _section("requirements", lang, t("docs.requirements_default")),
        ],
        "figures": fig,
        "bars": {k: bars[k] for k in ("bar_on_time", "bar_satisfied")},
        "tables": [_figures_table(fig, lang), _units_table(frame, lang, flows.MIN_ITEMS_TO_RANK),
                   {"key": "categories", "title": t("docs.table_categories"),
                    "columns": [t("docs.col_category"), t("docs.col_items"), t("docs.col_satisfied")],
                    "types": ["text", "number", "number"],
                    "rows": [[vocab.label("feedback_category", c["category"], lang), c["items"], c["satisfied"]]
                             for c in cats]}],
        "charts": [{"key": "categories", "kind": "bar", "title": t("docs.table_categories"),
                    "labels": [vocab.label("feedback_category", c["category"], lang) for c in cats[:8]],
                    "series": [{"name": t("docs.col_items"), "values": [c["items"] for c in cats[:8]]}]}] if cats else [],
    }


def _annual(store, actor, period, lang, today) -> dict:
    t = _t(lang)
    fig = figures(store, actor, period, today)
    year = int(period.value)
    first = analytics.headline(store, actor, today).get("first_year") or year
    years = list(range(max(int(first), year - 9), year + 1))
    rows = []
    for y in years:
        f = fig if y == year else figures(store, actor, periods.year(y), today)
        rows.append([y, f["participants"], f["activities"], f["loop_total"], f["loop_on_time_pct"],
                     f["loop_satisfied_pct"], f["practices_promoted"]])
    batch_rows = store.rows("""
        select b.code, b.direction, b.start_date, b.end_date, count(p.id) as people from batches b
        left join participants p on p.batch_id = b.id where b.start_date <= ? and b.end_date >= ?
        group by b.id order by b.start_date, b.code""", (period.end.isoformat(), period.start.isoformat()))
    cadre = story.work_by_role(store, period, vocab.CADRE_ROLES)
    talent = story.work_by_role(store, period, vocab.TALENT_CATEGORIES)
    work = [*cadre.to_dict("records"), *talent.to_dict("records")]
    practices = story.promoted(store, period, limit=10)
    solved = story.solved(store, actor, period, today, limit=5)
    role_lines = [t("docs.role_line", role=vocab.label("role", r["role"], lang), n=int(r["entries"]),
                    hours=f"{float(r['hours']):g}") for r in work if r["entries"]]
    previous = rows[-2] if len(rows) > 1 else None
    compare = t("docs.compare_text", year=year, people=rows[-1][1], entries=rows[-1][2], items=rows[-1][3])
    if previous:
        compare += t("docs.compare_last", last=previous[0], people=previous[1], entries=previous[2],
                     items=previous[3])
    return {
        "sections": [
            _section("summary", lang, _overview_text(fig, period, lang)),
            _section("batches", lang, "\n".join(
                t("docs.batch_line", code=b["code"], direction=vocab.label("direction", b["direction"], lang),
                  start=b["start_date"], end=b["end_date"], n=b["people"]) for b in batch_rows) or t("docs.no_batches")),
            _section("roles", lang, "\n".join(role_lines) or t("docs.no_entries")),
            _section("loop", lang, t("docs.notice_intro", period=period.label(lang), items=fig["loop_total"],
                                     answered=fig["loop_answered"], on_time=_pct(fig["loop_on_time_pct"]),
                                     satisfied=_pct(fig["loop_satisfied_pct"]), open=fig["loop_open"],
                                     overdue=fig["loop_overdue"]) + "\n" + _solved_text(solved, lang)),
            _section("practices", lang, "\n".join(
                f"- {p['title']}" + (f"（{p['enterprise']}）" if p["enterprise"] and lang == "zh" else
                                     (f" ({p['enterprise']})" if p["enterprise"] else "")) for p in practices)
                or t("docs.no_practices")),
            _section("compare", lang, compare),
            _section("next", lang, ""),
        ],
        "figures": fig,
        "tables": [
            _figures_table(fig, lang),
            {"key": "years", "title": t("docs.table_years"),
             "columns": [t("docs.col_year"), t("docs.fig_participants"), t("docs.fig_activities"),
                         t("docs.fig_loop_total"), t("docs.fig_loop_on_time_pct"), t("docs.fig_loop_satisfied_pct"),
                         t("docs.fig_practices_promoted")],
             "types": ["number"] * 7, "rows": rows},
            {"key": "batches", "title": t("docs.table_batches"),
             "columns": [t("docs.col_batch"), t("docs.col_direction"), t("docs.col_start"), t("docs.col_end"),
                         t("docs.col_people")], "types": ["text", "text", "date", "date", "number"],
             "rows": [[b["code"], vocab.label("direction", b["direction"], lang), b["start_date"], b["end_date"],
                       b["people"]] for b in batch_rows]},
            {"key": "roles", "title": t("docs.table_roles"),
             "columns": [t("docs.col_role"), t("docs.col_entries"), t("docs.col_hours")],
             "types": ["text", "number", "number"],
             "rows": [[vocab.label("role", r["role"], lang), int(r["entries"]), round(float(r["hours"]), 1)]
                      for r in work]},
        ],
        "charts": [
            {"key": "years", "kind": "bar", "title": t("docs.chart_years"), "labels": [str(r[0]) for r in rows],
             "series": [{"name": t("docs.fig_activities"), "values": [r[2] for r in rows]},
                        {"name": t("docs.fig_loop_total"), "values": [r[3] for r in rows]}]},
            {"key": "roles", "kind": "barh", "title": t("docs.table_roles"),
             "labels": [vocab.label("role", r["role"], lang) for r in work],
             "series": [{"name": t("docs.col_entries"), "values": [int(r["entries"]) for r in work]}]},
        ],
    }


_BUILDERS = {"briefing": _briefing, "notice": _notice, "annual": _annual}


def period_of(row: dict) -> Period:
    if row["kind"] == "annual":
        return periods.year(int(row["period_start"][:4]))
    return periods.span(date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"]))


def draft_bulletin(store: Store, actor: Actor, kind: str, period: Period, *, lang: str = "zh",
                   today: date | None = None) -> int:
    """A new draft of ``kind`` for ``period``, every section filled from the data; returns its id."""
    permissions.require(actor, "bulletin.draft")
    if kind not in BULLETINS:
        raise ValidationError("kind", kind, "invalid_choice")
    if period.start is None or period.end is None:
        raise ValidationError("period", period.key, "invalid_choice")
    today = today or clock.today()
    if period.start > today:
        raise ValidationError("period", period.start.isoformat(), "in_future")
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    body = _BUILDERS[kind](store, actor, period, lang, today)
    content = {"kind": kind, "lang": lang, "masthead": masthead(store, kind, lang), "issuer": issuer(store, lang),
               "title": i18n.translate(lang, f"docs.title_{kind}", period=period.label(lang)),
               "period": {"key": period.key, "start": period.start.isoformat(), "end": period.end.isoformat(),
                          "label": period.label(lang)},
               "foot": {k: "" for k in FOOT_KEYS}, "drafted_on": today.isoformat(), **body}
    stamp = clock.stamp()
    with store.write() as db:
        return audit.insert(db, actor, "documents", {
            "kind": kind, "period_key": period.key, "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(), "title": content["title"], "status": "draft", "lang": lang,
            "content": json.dumps(content, ensure_ascii=False), "author_id": actor.user_id, "created_at": stamp,
            "updated_at": stamp}, action="document_draft")


def choose_highlights(store: Store, actor: Actor, document_id: int, *, entries=(), items=()) -> dict:
    """Rewrite a 简报's highlights and problems solved from the entries and answered items the reviewer chose
    (each must be among the period's candidates)."""
    permissions.require(actor, "bulletin.draft")
    entries, items = [int(e) for e in entries], [int(i) for i in items]
    if len(entries) > HIGHLIGHTS_MAX or len(items) > HIGHLIGHTS_MAX:
        raise ValidationError("highlights", len(entries) + len(items), "too_many", limit=HIGHLIGHTS_MAX)
    with store.read() as db:
        row = _row(db, document_id)
    _editable(row)
    pool = candidates(store, actor, period_of(row))
    by_entry = {e["id"]: e for e in pool["entries"]}
    by_item = {i["id"]: i for i in pool["items"]}
    for e in entries:
        if e not in by_entry:
            raise ValidationError("highlights", e, "not_in_period")
    for i in items:
        if i not in by_item:
            raise ValidationError("solved", i, "not_in_period")
    lang = row["lang"]
    content = row["content"]
    texts = {s["key"]: s["text"] for s in content["sections"]}
    texts["highlights"] = _highlights_text([by_entry[e] for e in entries], lang)
    if items:
        texts["solved"] = _solved_text([by_item[i] for i in items], lang)
    content["highlights"] = {"entries": entries, "items": items}
    return _save(store, actor, row, content, texts, action="document_highlights")


# --- editing, issuing -----------------------------------------------------------------------------------------

def section_field(key: str) -> str:
    """The field a section's errors name (``field.section_note``, ``field.section_role_counsellor`` …)."""
    return "section_" + key.replace(":", "_")


def _editable(row: dict) -> None:
    if row["status"] in FINAL:
        raise Conflict("error.document_final")
    if row["kind"] in REPORTS and row["status"] == "submitted":
        raise Conflict("error.document_submitted")


def _save(store: Store, actor: Actor, row: dict, content: dict, texts: dict, *, title=None, foot=None,
          action: str = "update") -> dict:
    for section in content["sections"]:
        if section["key"] in texts:
            section["text"] = validation.text(section_field(section["key"]), texts[section["key"]],
                                              required=False, max_len=SECTION_MAX) or ""
    if title is not None:
        content["title"] = validation.text("title", title, max_len=TITLE_MAX)
    if foot is not None:
        for key in FOOT_KEYS:
            if key in foot:
                content["foot"][key] = validation.text(f"foot_{key}", foot[key], required=False,
                                                       max_len=FOOT_MAX) or ""
    with store.write() as db:
        current = _row(db, row["id"])          # read again inside the write: it may have been issued meanwhile
        _editable(current)
        if current["version"] != row["version"]:
            raise Conflict("error.document_changed")
        return audit.update(db, actor, "documents", row["id"], {
            "content": json.dumps(content, ensure_ascii=False), "title": content["title"],
            "updated_at": clock.stamp(), "version": current["version"] + 1}, action=action)


def edit(store: Store, actor: Actor, document_id: int, *, sections: dict, title=None, foot=None,
         version: int | None = None) -> dict:
    """Save a draft's sections (key -> text), title and foot. ``version``: the one the editor started from; a
    document someone else saved meanwhile is refused rather than overwritten."""
    with store.read() as db:
        row = _row(db, document_id)
    _may_edit(actor, row)
    _editable(row)
    if version is not None and int(version) != row["version"]:
        raise Conflict("error.document_changed")
    return _save(store, actor, row, row["content"], dict(sections), title=title, foot=foot)


def _may_edit(actor: Actor, row: dict) -> None:
    if row["kind"] in BULLETINS:
        permissions.require(actor, "bulletin.draft")
    else:
        permissions.require(actor, "report.write", {"participant_id": row["participant_id"]})


def discard(store: Store, actor: Actor, document_id: int) -> bool:
    """Throw a draft away (an issued or approved document is kept for ever)."""
    with store.write() as db:
        row = _row(db, document_id)
        _may_edit(actor, row)
        if row["status"] in FINAL:
            raise Conflict("error.document_final")
        if row["kind"] in REPORTS and row["status"] != "draft":
            raise Conflict("error.document_submitted")
        audit.delete(db, actor, "documents", row["id"], action="document_discard")
    return True


def _keep_files(db, actor: Actor, row: dict, stamp: str, store: Store) -> None:
    from secondment import annex, officedoc

    made = {"docx": officedoc.render(row, template=template(store)), "xlsx": annex.render(row)}
    for fmt, data in made.items():
        digest = hashlib.sha256(data).hexdigest()
        db.conn.execute("insert into document_files(document_id, format, data, sha256, size, created_at) "
                        "values (?, ?, ?, ?, ?, ?)", (row["id"], fmt, data, digest, len(data), stamp))
        audit.record(db, actor, "document_files", f"{row['id']}/{fmt}", "document_file", None,
                     {"document_id": row["id"], "format": fmt, "sha256": digest, "size": len(data)})


def _next_number(db, kind: str, year: int) -> int:
    return db.conn.execute("select coalesce(max(number), 0) + 1 from documents where kind = ? and year = ?",
                           (kind, year)).fetchone()[0]


def next_number(store: Store, kind: str, today: date | None = None) -> dict:
    """The number the next issued ``kind`` takes this year (what the page shows before one confirms)."""
    year = (today or clock.today()).year
    with store.read() as db:
        return {"year": year, "n": _next_number(db, kind, year)}


def issue(store: Store, actor: Actor, document_id: int, *, version: int | None = None) -> dict:
    """Issue a bulletin: the next number of its kind in this year, the date, its files made and kept."""
    permissions.require(actor, "bulletin.draft")
    with store.write() as db:
        row = _row(db, document_id)
        if row["kind"] not in BULLETINS:
            raise ValidationError("kind", row["kind"], "invalid_choice")
        _editable(row)
        if version is not None and int(version) != row["version"]:
            raise Conflict("error.document_changed")
        today = clock.today()
        number = _next_number(db, row["kind"], today.year)
        content = row["content"]
        content["number"] = {"year": today.year, "n": number}
        content["issued_on"] = today.isoformat()
        stamp = clock.stamp()
        row = {**row, "year": today.year, "number": number, "content": content, "issued_at": stamp}
        _keep_files(db, actor, row, stamp, store)
        return audit.update(db, actor, "documents", row["id"], {
            "year": today.year, "number": number, "content": json.dumps(content, ensure_ascii=False),
            "issued_by": actor.user_id, "issued_at": stamp, "updated_at": stamp, "status": "issued",
            "version": row["version"] + 1},
            action="document_issue")


# --- reports: monthly and end of stint --------------------------------------------------------------------------

def _approved_entries(db, participant_id: int, first: date | None, last: date | None) -> list[dict]:
    where, params = "a.participant_id = ?", [participant_id]
    if first is not None:
        where += " and a.date between ? and ?"
        params += [first.isoformat(), last.isoformat()]
    return [dict(r) for r in db.conn.execute(
        "select a.id, a.date, a.role, a.title, a.outcome, a.hours from activities a join week_reviews w on "
        "w.participant_id = a.participant_id and w.week = a.week and w.state = 'approved' "
        f"where {where} order by a.date, a.id", params)]


def _report_body(store: Store, actor: Actor, person: dict, kind: str, first: date | None, last: date | None,
                 lang: str, today: date) -> dict:
    t = _t(lang)
    pid = person["id"]
    with store.read() as db:
        entries = _approved_entries(db, pid, first, last)
        where, params = "f.participant_id = ?", [pid]
        if first is not None:
            where += f" and {clock.china_date_sql('f.created_at')} between ? and ?"
            params += [first.isoformat(), last.isoformat()]
        items = [dict(r) for r in db.conn.execute(
            f"select f.id, f.summary, f.status, f.category, d.name as department, "
            f"{clock.china_date_sql('f.created_at')} as raised from feedback f "
            f"left join units d on d.id = f.department_id where {where} order by f.created_at, f.id", params)]
        practices = [dict(r) for r in db.conn.execute(
            "select id, title, status from practices where participant_id = ? and status = 'promoted' "
            "order by created_at", (pid,))] if kind == "summary" else []
    roles = vocab.ROLES_BY_DIRECTION[person["direction"]]
    sections = []
    if kind == "summary":
        sections.append(_section("basics", lang, t("docs.basics_text", host=person["host_unit"],
                                                   home=person["home_unit"], post=person["post"] or "—",
                                                   start=person["start_date"], end=person["end_date"],
                                                   n=len(entries))))
    for role in roles:
        mine = [e for e in entries if e["role"] == role]
        text = stint.entries_text(mine, lang) if mine else t("docs.no_role_entries")
        sections.append({"key": f"role:{role}", "heading": vocab.label("role", role, lang), "text": text})
    progress = agreements.progress(store, actor, pid, today=today)
    objective_lines = []
    for o in progress["objectives"]:
        linked = [link for link in o["links"] if first is None or (first.isoformat() <= (link["day"] or "") <= last.isoformat())]
        objective_lines.append(t("docs.objective_line", role=vocab.label("role", o["role"], lang), text=o["text"],
                                 target=o["target"] or "—", status=vocab.label("objective_status", o["shown_status"], lang),
                                 n=len(linked)))
        objective_lines += [f"  · {link['day']} {link['title']}" for link in linked[:5]]
    sections.append(_section("objectives", lang, "\n".join(objective_lines) or t("docs.no_objectives")))
    sections.append(_section("feedback", lang, "\n".join(
        t("docs.item_line", day=i["raised"], summary=i["summary"], department=i["department"] or "—",
          status=vocab.label("feedback_status", i["status"], lang)) for i in items) or t("docs.no_feedback")))
    if kind == "summary":
        sections.append(_section("practices", lang, "\n".join(f"- {p['title']}" for p in practices)
                                 or t("docs.no_practices")))
        sections.append(_section("reflection", lang, ""))
    else:
        sections.append(_section("next", lang, ""))
    hours = round(sum(float(e["hours"] or 0) for e in entries), 1)
    by_role = {role: sum(1 for e in entries if e["role"] == role) for role in roles}
    return {
        "sections": sections,
        "entry_ids": [e["id"] for e in entries],
        "feedback_ids": [i["id"] for i in items],
        "figures": {"entries": len(entries), "hours": hours, "items": len(items), **{f"role:{r}": n for r, n in by_role.items()}},
        "tables": [{"key": "entries", "title": t("docs.table_entries"),
                    "columns": [t("docs.col_date"), t("docs.col_role"), t("docs.col_title"), t("docs.col_outcome"),
                                t("docs.col_hours")], "types": ["date", "text", "text", "text", "number"],
                    "rows": [[e["date"], vocab.label("role", e["role"], lang), e["title"], e["outcome"] or "",
                              float(e["hours"] or 0)] for e in entries]}],
        "charts": [],
    }


def _month_bounds(value) -> tuple[str, date, date]:
    text = validation.normalise_text(value)
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ValidationError("month", value, "not_a_month") from None
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first.strftime("%Y-%m"), first, last


def report_months(store: Store, actor: Actor, participant_id: int, *, today: date | None = None) -> list[str]:
    """The months a monthly report can be written for: the stint's months that have begun, newest first."""
    permissions.require(actor, "report.read", {"participant_id": participant_id})
    today = today or clock.today()
    with store.read() as db:
        person = stint._person(db, participant_id)
    start = date.fromisoformat(person["start_date"]).replace(day=1)
    end = min(date.fromisoformat(person["end_date"]), today)
    out, day = [], start
    while day <= end:
        out.append(day.strftime("%Y-%m"))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out[::-1]


def find_report(store: Store, actor: Actor, participant_id: int, kind: str, month: str | None = None) -> dict | None:
    permissions.require(actor, "report.read", {"participant_id": participant_id})
    key = month if kind == "monthly" else "stint"
    row = store.one("select id from documents where participant_id = ? and kind = ? and period_key = ?",
                    (participant_id, kind, key))
    return get(store, actor, row["id"]) if row else None


def draft_report(store: Store, actor: Actor, participant_id: int, kind: str, *, month: str | None = None,
                 lang: str = "zh", today: date | None = None, again: bool = False) -> int:
    """The secondee's monthly report (``month``: 'YYYY-MM') or end-of-stint summary, drafted from their own
    approved entries, objectives and feedback. One per month (one summary per stint): an existing draft is
    returned as it is, or with ``again`` drafted afresh from the data (a submitted or approved one is kept)."""
    permissions.require(actor, "report.write", {"participant_id": participant_id})
    if kind not in REPORTS:
        raise ValidationError("kind", kind, "invalid_choice")
    today = today or clock.today()
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    person = _person_of(store, actor, participant_id)
    if kind == "monthly":
        key, first, last = _month_bounds(month)
        if first > today:
            raise ValidationError("month", key, "in_future")
        if key < person["start_date"][:7] or key > person["end_date"][:7]:
            raise ValidationError("month", key, "outside_stint", start=person["start_date"], end=person["end_date"])
        title = i18n.translate(lang, "docs.title_monthly", name=person["name"], year=first.year, month=first.month)
        start, end = first.isoformat(), last.isoformat()
    else:
        key, first, last = "stint", None, None
        title = i18n.translate(lang, "docs.title_summary", name=person["name"])
        start, end = person["start_date"], person["end_date"]
    body = _report_body(store, actor, person, kind, first, last, lang, today)
    content = {"kind": kind, "lang": lang, "title": title, "issuer": person["home_unit"],
               "participant": {"id": person["id"], "name": person["name"], "batch": person["batch"],
                               "host": person["host_unit"], "home": person["home_unit"], "post": person["post"],
                               "direction": person["direction"]},
               "period": {"key": key, "start": start, "end": end}, "foot": {k: "" for k in FOOT_KEYS},
               "drafted_on": today.isoformat(), **body}
    stamp = clock.stamp()
    with store.write() as db:
        current = db.conn.execute("select * from documents where participant_id = ? and kind = ? and period_key = ?",
                                  (participant_id, kind, key)).fetchone()
        if current is not None:
            if not again or current["status"] != "draft" and current["status"] != "returned":
                if again:
                    raise Conflict("error.document_submitted")
                return current["id"]
            audit.update(db, actor, "documents", current["id"], {
                "content": json.dumps(content, ensure_ascii=False), "title": title, "lang": lang,
                "updated_at": stamp, "version": current["version"] + 1}, action="document_redraft")
            return current["id"]
        return audit.insert(db, actor, "documents", {
            "kind": kind, "period_key": key, "period_start": start, "period_end": end, "participant_id": participant_id,
            "title": title, "status": "draft", "lang": lang, "content": json.dumps(content, ensure_ascii=False),
            "author_id": actor.user_id, "created_at": stamp, "updated_at": stamp}, action="document_draft")


def _person_of(store: Store, actor: Actor, participant_id: int) -> dict:
    from secondment import roster

    return roster.get_participant(store, actor, participant_id)


def submit(store: Store, actor: Actor, document_id: int) -> dict:
    with store.write() as db:
        row = _row(db, document_id)
        if row["kind"] not in REPORTS:
            raise ValidationError("kind", row["kind"], "invalid_choice")
        permissions.require(actor, "report.write", {"participant_id": row["participant_id"]})
        if row["status"] not in ("draft", "returned"):
            raise Conflict("error.document_submitted")
        stamp = clock.stamp()
        return audit.update(db, actor, "documents", row["id"], {"status": "submitted", "submitted_at": stamp,
                                                                "updated_at": stamp, "version": row["version"] + 1},
                            action="document_submit")


def review(store: Store, actor: Actor, document_id: int, *, approve: bool, comment=None) -> dict:
    """Approve a submitted report (its files are made and kept; it is final) or return it with a comment."""
    permissions.require(actor, "report.review")
    comment = validation.text("comment", comment, required=not approve, max_len=2000)
    with store.write() as db:
        row = _row(db, document_id)
        if row["kind"] not in REPORTS:
            raise ValidationError("kind", row["kind"], "invalid_choice")
        if row["status"] != "submitted":
            raise Conflict("error.document_not_submitted")
        stamp = clock.stamp()
        if approve:
            _keep_files(db, actor, {**row, "reviewed_at": stamp}, stamp, store)
        return audit.update(db, actor, "documents", row["id"], {
            "status": "approved" if approve else "returned", "review_comment": comment, "reviewed_by": actor.user_id,
            "reviewed_at": stamp, "updated_at": stamp, "version": row["version"] + 1},
            action="document_approve" if approve else "document_return")


# --- files ---------------------------------------------------------------------------------------------------

def kept_file(store: Store, document_id: int, fmt: str) -> tuple[bytes, str] | None:
    row = store.one("select data, sha256 from document_files where document_id = ? and format = ?",
                    (int(document_id), fmt))
    return (row["data"], row["sha256"]) if row else None


def file(store: Store, actor: Actor, document_id, fmt: str) -> tuple[bytes, str]:
    """The document as ``fmt`` ("docx" or "xlsx") and its file name: a final document's kept file byte for byte,
    a draft's made now, a liaison's extract made now from the issued content."""
    from secondment import annex, officedoc

    if fmt not in FORMATS:
        raise ValidationError("format", fmt, "invalid_choice")
    row = get(store, actor, document_id)
    name = file_name(row, fmt, row["lang"])
    if row["seen"] == "full" and row["status"] in FINAL:
        kept = kept_file(store, row["id"], fmt)
        if kept is not None:
            return kept[0], name
    data = officedoc.render(row, template=template(store)) if fmt == "docx" else annex.render(row)
    return data, name


# --- the assessment form (鉴定表) -------------------------------------------------------------------------------

def appraisal(store: Store, actor: Actor, participant_id: int, *, lang: str = "zh",
              today: date | None = None) -> dict:
    """What the 鉴定表 holds, from the stint's agreement, self-checks and assessment."""
    from secondment import assessment

    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    today = today or clock.today()
    person = _person_of(store, actor, participant_id)
    progress = agreements.progress(store, actor, participant_id, today=today)
    checks = stint.checkins(store, actor, participant_id, today=today)
    record = assessment.get(store, actor, participant_id)
    with store.read() as db:
        entries = db.conn.execute(
            "select count(*), coalesce(sum(a.hours), 0) from activities a join week_reviews w on "
            "w.participant_id = a.participant_id and w.week = a.week and w.state = 'approved' "
            "where a.participant_id = ?", (participant_id,)).fetchone()
    days = leave_days(store, person)
    return {"kind": "appraisal", "lang": lang, "person": person, "objectives": progress["objectives"],
            "counts": progress["counts"], "agreement": progress["in_force"] or progress["agreement"],
            "checkins": {"months": len(checks), "submitted": sum(1 for c in checks if c["row"] and
                                                                 c["row"]["status"] != "draft")},
            "entries": entries[0], "hours": round(float(entries[1]), 1), "leave_days": days, "assessment": record,
            "issuer": issuer(store, lang), "made_on": today.isoformat()}


def leave_days(store: Store, person: dict) -> int:
    from secondment import leave

    first, last = date.fromisoformat(person["start_date"]), date.fromisoformat(person["end_date"])
    return len(leave.leave_days(store, [person["id"]], first, last).get(person["id"], set()))


def appraisal_file(store: Store, actor: Actor, participant_id: int, *, lang: str = "zh") -> tuple[bytes, str]:
    from secondment import officedoc

    data = appraisal(store, actor, participant_id, lang=lang)
    name = f"{i18n.translate(lang, 'docs.kind_appraisal')}_{data['person']['name']}.docx"
    return officedoc.appraisal(data, template=template(store)), name.replace("/", "_")
