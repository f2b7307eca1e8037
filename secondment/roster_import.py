"""Bringing an existing roster spreadsheet in: read, check every row, preview, then write all or nothing.

Files are CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese Excel saves them) or XLSX; headers in
Chinese or English with common synonyms; the date formats people type. A participant is matched by
(name, batch): an existing one is updated when something differs, otherwise left alone, so importing
the same file twice changes nothing. Units are matched by their exact normalised name or created.
A blank optional cell leaves the stored value as it is.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from secondment import audit, clock, i18n, permissions, roster, validation, vocab
from secondment.db import Store
from secondment.errors import ValidationError, ValidationErrors
from secondment.permissions import Actor

FIELDS = ("name", "gender", "political_status", "batch", "direction", "home_unit", "host_unit", "post",
          "start_date", "end_date", "status", "contact", "notes")
REQUIRED = ("name", "batch", "home_unit", "host_unit", "start_date", "end_date")
# Fields compared with a stored participant (direction follows from the batch).
COMPARED = ("gender", "political_status", "home_unit", "host_unit", "post", "start_date", "end_date", "status",
            "contact", "notes")

SYNONYMS = {
    "name": ("姓名", "名字", "挂职人员", "挂职人员姓名", "name", "full name", "participant"),
    "gender": ("性别", "gender", "sex"),
    "political_status": ("政治面貌", "political status", "politics"),
    "batch": ("批次", "批次代码", "挂职批次", "batch", "batch code"),
    "direction": ("挂职方向", "方向", "类别", "direction"),
    "home_unit": ("派出单位", "原单位", "所在单位", "原工作单位", "home unit", "home", "sending unit"),
    "host_unit": ("挂职单位", "挂职企业", "挂职部门", "接收单位", "host unit", "host", "receiving unit"),
    "post": ("挂职职务", "职务", "挂职岗位", "post", "position", "role title"),
    "start_date": ("开始日期", "开始时间", "挂职开始", "挂职开始日期", "起始日期", "start", "start date", "from"),
    "end_date": ("结束日期", "结束时间", "挂职结束", "挂职结束日期", "截止日期", "end", "end date", "to"),
    "status": ("状态", "挂职状态", "status"),
    "contact": ("联系方式", "联系电话", "电话", "手机", "手机号", "contact", "phone", "telephone", "mobile"),
    "notes": ("备注", "说明", "notes", "note", "remarks", "comment"),
}
TEMPLATE_HEADERS = ("姓名", "性别", "政治面貌", "批次", "派出单位", "挂职单位", "挂职职务", "开始日期", "结束日期",
                    "状态", "联系方式", "备注")


def _header_key(text) -> str:
    clean = validation.normalise_text(text).lower()
    clean = re.sub(r"[（(].*?[)）]", "", clean)   # "开始日期（必填）", "Start (yyyy-mm-dd)"
    return re.sub(r"[\s_\-*:：]+", "", clean)


def _header_map() -> dict[str, str]:
    out = {}
    for name, words in SYNONYMS.items():
        for word in words:
            out[_header_key(word)] = name
        for lang in i18n.LANGUAGES:   # the export's own labels read back in
            out.setdefault(_header_key(i18n.translate(lang, f"field.{name}")), name)
    return out


@dataclass
class ImportPlan:
    filename: str
    lang: str = "zh"
    columns: dict[str, str] = field(default_factory=dict)        # field -> header as in the file
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict]] = field(default_factory=list)   # (spreadsheet row, raw values by field)
    adds: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    new_units: list[dict] = field(default_factory=list)
    file_errors: list[ValidationError] = field(default_factory=list)   # the file itself or its header row
    errors: list[ValidationError] = field(default_factory=list)        # file errors + every bad row

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_rows(self) -> list[dict]:
        """Every problem as row / column / value / reason, in the plan's language."""
        out = []
        for e in self.errors:
            column = self.columns.get(e.field) or i18n.translate(self.lang, f"field.{e.field}")
            reason = ValidationError(e.field, e.value, e.reason, **_extra(e)).message(self.lang)
            out.append({"row": e.row, "column": column, "value": "" if e.value is None else str(e.value),
                        "reason": _reason_text(e, self.lang), "message": reason})
        return out


def _extra(error: ValidationError) -> dict:
    return {k: v for k, v in error.params.items() if k not in ("field", "value", "reason", "row")}


def _reason_text(error: ValidationError, lang: str) -> str:
    from secondment.errors import _param

    return i18n.translate(lang, f"reason.{error.reason}",
                          **{k: _param(v, lang) for k, v in _extra(error).items()})


# --- reading the file ------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("file", "", "bad_encoding")


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """The file as a frame of raw cells (no header row taken yet); raises ValidationError(file, …)."""
    suffix = Path(filename or "").suffix.lower()
    is_zip = data[:2] == b"PK"
    try:
        if suffix in (".xlsx", ".xlsm") or (is_zip and suffix not in (".csv", ".txt")):
            return pd.read_excel(io.BytesIO(data), header=None, dtype=object, engine="openpyxl")
        if suffix in (".xls",):
            raise ValidationError("file", filename, "old_excel")
        text = _decode(data)
        first = text.splitlines()[0] if text.strip() else ""
        sep = "\t" if first.count("\t") > first.count(",") else ","
        return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False, sep=sep)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - whatever the parser trips on, a person is told the file cannot be read
        raise ValidationError("file", filename, "bad_file") from None


def _cell(value):
    """A cell as the value to validate: dates stay dates, whole floats lose their ".0", blanks become ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if value is pd.NaT:
        return ""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]   # our own export's formula guard, read back as the value it protects
    return value


def _find_header(frame: pd.DataFrame, mapping: dict[str, str]) -> int | None:
    """The row (0-based) among the first ten that names the most known columns (a title row may precede it)."""
    best, best_hits = None, 1
    for idx in range(min(10, len(frame))):
        hits = len({mapping[k] for k in (_header_key(v) for v in frame.iloc[idx].tolist() if _cell(v) != "")
                    if k in mapping})
        if hits > best_hits:
            best, best_hits = idx, hits
    return best


def parse(data: bytes, filename: str, lang: str = "zh") -> ImportPlan:
    """Read the file into a plan's raw rows and header mapping (no database needed)."""
    plan = ImportPlan(filename=filename, lang=lang)
    try:
        frame = read_table(data, filename)
    except ValidationError as error:
        plan.file_errors.append(ValidationError(error.field, error.value, error.reason, row=1))
        plan.errors = list(plan.file_errors)
        return plan
    mapping = _header_map()
    header_idx = _find_header(frame, mapping)
    if header_idx is None:
        plan.file_errors += [ValidationError("column", i18n.translate(lang, f"field.{f}"), "missing_column",
                                             row=1) for f in REQUIRED]
        plan.errors = list(plan.file_errors)
        return plan
    header_row = header_idx + 1
    positions: dict[str, int] = {}
    for pos, raw in enumerate(frame.iloc[header_idx].tolist()):
        title = validation.normalise_text(_cell(raw))
        if not title:
            continue
        name = mapping.get(_header_key(title))
        if name is None:
            plan.ignored_columns.append(title)
        elif name in positions:
            plan.file_errors.append(ValidationError("column", title, "duplicate_column", row=header_row))
        else:
            positions[name] = pos
            plan.columns[name] = title
    for name in REQUIRED:
        if name not in positions:
            plan.file_errors.append(ValidationError("column", i18n.translate(lang, f"field.{name}"),
                                                    "missing_column", row=header_row))
    for idx in range(header_idx + 1, len(frame)):
        values = {name: _cell(frame.iat[idx, pos]) for name, pos in positions.items()}
        if all(validation.normalise_text(v) == "" for v in values.values() if not isinstance(v, date)) and \
                not any(isinstance(v, date) for v in values.values()):
            continue   # a blank line
        plan.rows.append((idx + 1, values))
    plan.errors = list(plan.file_errors)
    return plan


# --- checking the rows against the database --------------------------------------------------------------

def _norm(value) -> str:
    return validation.normalise_text(value)


def _check(conn, plan: ImportPlan, today: date) -> None:
    """Fill the plan's adds / updates / unchanged / new units / errors from its raw rows. A row's own fields
    follow the same rules as the add/edit form (``roster.check_fields`` and ``roster.check_units``); what is
    particular to a file is here: batches and units named rather than picked, units created on the way,
    the same person twice in one file, and a row that matches someone already on the roster."""
    plan.adds, plan.updates, plan.unchanged, plan.new_units = [], [], [], []
    plan.errors = list(plan.file_errors)
    batches = {r["code"].upper(): dict(r) for r in conn.execute("select * from batches")}
    units = {_norm(r["name"]): dict(r) for r in conn.execute("select id, name, kind from units")}
    people = {(_norm(r["name"]), r["batch_id"]): dict(r) for r in conn.execute(
        f"select p.*, {roster.status_sql(today)} as effective_status from participants p")}
    unit_names = {u["id"]: u["name"] for u in units.values()}
    new_units: dict[str, dict] = {}
    seen: dict[tuple, int] = {}
    for row_no, raw in plan.rows:
        checker = roster.Checker(row_no)
        batch = _batch_of(raw, batches, checker)
        direction = batch["direction"] if batch else None
        clean = roster.check_fields(raw, batch, checker)
        name, start, end = clean.pop("name"), clean.pop("start_date"), clean.pop("end_date")
        row_units, sides = _units_of(raw, direction, units, new_units, checker)
        roster.check_units(sides.get("home"), sides.get("host"), direction, checker)
        key = (name, batch["id"]) if name and batch else None
        if key and key in seen:
            checker.add(ValidationError("name", name, "duplicate_row", other=seen[key]))
        elif key:
            seen[key] = row_no
        existing = people.get(key) if key else None
        if existing and start and end and not checker.errors:
            outside = roster.entries_outside(_Conn(conn), existing["id"], start.isoformat(), end.isoformat())
            if outside is not None:
                checker.add(outside)
        if checker.errors:
            plan.errors.extend(checker.errors)
            continue
        new_units.update(row_units)
        record = {"row": row_no, "name": name, "batch": batch["code"], "batch_id": batch["id"],
                  "home_unit": _unit_ref(sides["home"]), "host_unit": _unit_ref(sides["host"]),
                  "home_unit_name": sides["home"]["name"], "host_unit_name": sides["host"]["name"],
                  "start_date": start.isoformat(), "end_date": end.isoformat(), **clean}
        if existing is None:
            if not record["status"]:
                record["status"] = roster.derived_status(start, end, today)
            plan.adds.append(record)
            continue
        changes, shown = {}, {}
        for f in COMPARED:
            new = record[f]
            if new is None or new == "":
                continue   # a blank optional cell leaves the stored value alone
            is_unit = f in ("home_unit", "host_unit")
            # The status as the roster shows it today (a stint that ran out reads "completed").
            old = existing[f"{f}_id"] if is_unit else existing["effective_status" if f == "status" else f]
            if not roster.same_value(old, new):
                changes[f] = (old, new)
                shown[f] = (unit_names.get(old, old), record[f"{f}_name"]) if is_unit else (old, new)
        target = {**record, "participant_id": existing["id"], "changes": changes, "shown": shown}
        (plan.updates if changes else plan.unchanged).append(target)
    plan.new_units = sorted(new_units.values(), key=lambda u: u["row"])
    plan.errors.sort(key=lambda e: (e.row or 0))


class _Conn:
    """A bare sqlite3 connection seen as the ``db`` the roster's rules take (they read ``db.conn``)."""

    def __init__(self, conn):
        self.conn = conn


def _batch_of(raw: dict, batches: dict[str, dict], checker: roster.Checker) -> dict | None:
    """The row's batch by its code ("C5", "C5批"), checked against a direction column when there is one."""
    code = _norm(raw.get("batch")).upper().removesuffix("批")
    if not code:
        checker.check(validation.text, "batch", "")
        return None
    batch = batches.get(code)
    if batch is None:
        checker.add(ValidationError("batch", raw.get("batch"), "unknown_batch",
                                    known=", ".join(sorted(batches, key=roster.batch_key)) or "—"))
        return None
    if _norm(raw.get("direction")):
        given = checker.check(roster.direction_value, raw.get("direction"))
        if given and given != batch["direction"]:
            checker.add(ValidationError("direction", raw.get("direction"), "direction_mismatch", batch=batch["code"]))
    return batch


def _units_of(raw: dict, direction: str | None, units: dict, new_units: dict, checker: roster.Checker):
    """The row's home and host units by name: an existing unit, or a new one whose kind follows from its side
    and name (created only when every row is good). Returns the new units this row needs and, per side, the
    unit as ``{"id" (existing only), "name", "kind"}``."""
    row_units: dict[str, dict] = {}
    sides: dict[str, dict] = {}
    for side in ("home", "host"):
        unit_name = checker.check(validation.text, f"{side}_unit", raw.get(f"{side}_unit"),
                                  max_len=validation.MAX_LEN["unit_name"])
        if not unit_name or not direction:
            continue
        existing = units.get(unit_name)
        if existing:
            sides[side] = existing
            continue
        planned = new_units.get(unit_name) or row_units.get(unit_name)
        if planned and not roster.unit_fits(planned["kind"], direction, side):
            checker.add(ValidationError(f"{side}_unit", unit_name, "unit_kind_conflict", other=planned["row"]))
            continue
        if not planned:
            planned = row_units[unit_name] = {"name": unit_name, "row": checker.row,
                                              "kind": roster.infer_unit_kind(unit_name, direction, side),
                                              "street": unit_name if unit_name in vocab.STREETS else None}
        sides[side] = planned
    return row_units, sides


def _unit_ref(unit: dict):
    """An existing unit by id; a new one by name (created on apply)."""
    return unit["id"] if "id" in unit else unit["name"]


def preview(store: Store, actor: Actor, file_bytes_or_path, filename: str | None = None, lang: str = "zh", *,
            today: date | None = None) -> ImportPlan:
    """Read and check a roster file; nothing is written. The plan lists adds, updates (with the changed
    fields), unchanged rows, units to be created, and every bad row with its row number, column and reason."""
    permissions.require(actor, "participant.import")
    if isinstance(file_bytes_or_path, (str, Path)):
        path = Path(file_bytes_or_path)
        data, filename = path.read_bytes(), filename or path.name
    else:
        data = bytes(file_bytes_or_path)
    plan = parse(data, filename or "roster.csv", lang)
    if plan.file_errors:   # an unreadable file or missing columns: row checks would only repeat it
        return plan
    with store.read() as db:
        _check(db.conn, plan, today or clock.today())
    return plan


def apply(store: Store, actor: Actor, plan: ImportPlan, *, today: date | None = None) -> dict[str, int]:
    """Write a checked plan in one transaction (all or nothing), re-checking it against the database as it
    is now. Refuses a plan with errors. Returns the counts written."""
    permissions.require(actor, "participant.import")
    if plan.errors:
        raise ValidationErrors(plan.errors)
    if not plan.rows:
        return {"adds": 0, "updates": 0, "unchanged": 0, "new_units": 0}
    with store.write() as db:
        _check(db.conn, plan, today or clock.today())
        if plan.errors:
            raise ValidationErrors(plan.errors)
        unit_ids: dict[str, int] = {}
        for unit in plan.new_units:
            unit_ids[unit["name"]] = audit.insert(db, actor, "units", {
                "name": unit["name"], "kind": unit["kind"], "street": unit["street"], "active": 1,
                "notes": None}, action="import")
        resolve = lambda ref: unit_ids[ref] if isinstance(ref, str) else ref
        stamp = clock.stamp()
        for rec in plan.adds:
            audit.insert(db, actor, "participants", {
                "name": rec["name"], "gender": rec["gender"], "political_status": rec["political_status"],
                "batch_id": rec["batch_id"], "home_unit_id": resolve(rec["home_unit"]),
                "host_unit_id": resolve(rec["host_unit"]), "post": rec["post"], "start_date": rec["start_date"],
                "end_date": rec["end_date"], "status": rec["status"], "contact": rec["contact"],
                "notes": rec["notes"], "created_at": stamp, "updated_at": stamp}, action="import")
        for rec in plan.updates:
            changes = {}
            for f, (_, new) in rec["changes"].items():
                changes[f"{f}_id" if f in ("home_unit", "host_unit") else f] = (
                    resolve(new) if f in ("home_unit", "host_unit") else new)
            audit.update(db, actor, "participants", rec["participant_id"], {**changes, "updated_at": stamp},
                         action="import")
    return {"adds": len(plan.adds), "updates": len(plan.updates), "unchanged": len(plan.unchanged),
            "new_units": len(plan.new_units)}


def summary(plan: ImportPlan, lang: str = "zh") -> str:
    return i18n.translate(lang, "import.summary", file=plan.filename, rows=len(plan.rows), adds=len(plan.adds),
                          updates=len(plan.updates), unchanged=len(plan.unchanged), units=len(plan.new_units),
                          errors=len(plan.errors))


def template_bytes(fmt: str = "xlsx") -> bytes:
    """An empty roster with Chinese headers and one example row, for people to fill in."""
    from secondment import exports

    example = ["张三", "男", "中共党员", "C5", "区商务委", "示例科技有限公司", "党建指导员", "2026-03-01",
               "2027-02-28", "在岗", "", ""]
    frame = pd.DataFrame([example], columns=list(TEMPLATE_HEADERS))
    return exports.to_csv_bytes(frame) if fmt == "csv" else exports.to_xlsx_bytes(frame, "roster")


def _show(field: str, value, lang: str) -> str:
    groups = {"gender": "gender", "political_status": "political_status", "status": "participant_status"}
    if value is None or value == "":
        return "—"
    return vocab.label(groups[field], value, lang) if field in groups else str(value)


def preview_frames(plan: ImportPlan, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The plan as labelled tables for the preview: adds, updates (with "field: old → new"), new units, errors."""
    tr = lambda key: i18n.translate(lang, key)
    adds = pd.DataFrame([{
        tr("import.row"): r["row"], tr("field.name"): r["name"], tr("field.batch"): r["batch"],
        tr("field.home_unit"): r["home_unit_name"], tr("field.host_unit"): r["host_unit_name"],
        tr("field.post"): r["post"] or "", tr("field.start_date"): r["start_date"], tr("field.end_date"): r["end_date"],
        tr("field.status"): _show("status", r["status"], lang)} for r in plan.adds])
    updates = pd.DataFrame([{
        tr("import.row"): r["row"], tr("field.name"): r["name"], tr("field.batch"): r["batch"],
        tr("import.changes"): "；".join(f"{tr('field.' + f)}: {_show(f, old, lang)} → {_show(f, new, lang)}"
                                       for f, (old, new) in r["shown"].items())} for r in plan.updates])
    units = pd.DataFrame([{
        tr("field.unit_name"): u["name"], tr("field.unit_kind"): vocab.label("unit_kind", u["kind"], lang),
        tr("import.row"): u["row"]} for u in plan.new_units])
    errors = pd.DataFrame([{
        tr("import.row"): e["row"], tr("import.column"): e["column"], tr("import.value"): e["value"],
        tr("import.reason"): e["reason"]} for e in plan.error_rows()])
    return {"adds": adds, "updates": updates, "new_units": units, "errors": errors}
