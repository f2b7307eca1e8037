"""Bringing an existing roster spreadsheet in: read, check every row, preview, then write all or nothing.

Files are CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese Excel saves them) or XLSX; headers in
Chinese or English with common synonyms; the date formats people type. A participant is matched by
(name, batch): an existing one is updated when something differs, otherwise left alone, so importing
the same file twice changes nothing. Units are matched by their exact normalised name or created.
A blank optional cell leaves the stored value as it is.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
from collections.abc import Callable
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


# Headers as Traditional Chinese writes them (a Big5 file from Hong Kong, Macao or Taiwan): read as the same columns.
TRADITIONAL = {
    "name": ("挂職人員", "掛職人員", "掛職人員姓名"), "gender": ("性別",), "batch": ("批次代碼", "掛職批次"),
    "direction": ("掛職方向", "方嚮", "類別"), "home_unit": ("派出單位", "原單位", "所在單位", "原工作單位"),
    "host_unit": ("掛職單位", "掛職企業", "掛職部門", "接收單位"), "post": ("掛職職務", "職務", "掛職崗位"),
    "start_date": ("開始日期", "開始時間", "掛職開始", "掛職開始日期"),
    "end_date": ("結束日期", "結束時間", "掛職結束", "掛職結束日期"), "status": ("狀態", "掛職狀態"),
    "contact": ("聯繫方式", "聯絡方式", "聯繫電話", "聯絡電話", "電話", "手機", "手機號"), "notes": ("備註", "說明"),
}


def _header_key(text) -> str:
    clean = validation.normalise_text(text).lower()
    clean = re.sub(r"[（(].*?[)）]", "", clean)   # "开始日期（必填）", "Start (yyyy-mm-dd)"
    return re.sub(r"[\s_\-*:：]+", "", clean)


def _header_map() -> dict[str, str]:
    out = {}
    for name, words in SYNONYMS.items():
        for word in (*words, *TRADITIONAL.get(name, ())):
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
#
# A roster file is a few kilobytes; the limits below are far above any real one and far below what would hurt
# the server. Every check happens before the content is expanded: an XLSX is a zip whose parts can unpack to
# gigabytes from a few kilobytes, and a sparse sheet can claim a far corner cell a million rows down.

MAX_FILE_BYTES = 20 * 1024 * 1024        # the file as uploaded (a 100,000-row CSV is about 10 MB)
MAX_UNPACKED_BYTES = 100 * 1024 * 1024   # every part of an XLSX, unpacked
MAX_ROWS = 100_000                       # data rows, after the header
MAX_COLUMNS = 40
MAX_CELL_CHARS = 4_000
_HEADER_ROWS = 10                        # the header is looked for among the first ten rows


def check_size(size: int, filename: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ValidationError("file", f"{filename} ({size / 1_048_576:.1f} MB)", "file_too_large",
                              max=f"{MAX_FILE_BYTES // 1_048_576} MB")


def read_file(path: str | Path) -> bytes:
    """A roster file from disk, refused before reading when it is not a regular file or is too large (a device
    such as /dev/zero would otherwise be read for ever)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError("file", str(path), "no_such_file" if not path.exists() else "not_a_file")
    check_size(path.stat().st_size, path.name)
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    check_size(len(data), path.name)
    return data


def _decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM) as most tools write it; otherwise the encoding
    charset-normalizer recognises (GB18030/GBK as Chinese Excel saves, Big5, UTF-16 …)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:256 * 1024]).best()
    if best is not None:
        try:
            return data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationError("file", "", "bad_encoding") from None


def _delimiter(text: str) -> str:
    """The column separator a CSV uses: comma, semicolon (European Excel), tab or bar."""
    sample = "\n".join(text.splitlines()[:_HEADER_ROWS])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _bounded(rows, filename: str) -> list[list]:
    """At most ``MAX_ROWS`` rows after the header rows and ``MAX_COLUMNS`` columns, each cell at most
    ``MAX_CELL_CHARS``; trailing empty cells dropped. More than that is refused, naming the limit."""
    out: list[list] = []
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS + _HEADER_ROWS:
            raise ValidationError("file", filename, "too_many_rows", max=f"{MAX_ROWS:,}")
        cells = list(row)
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise ValidationError("file", filename, "too_many_columns", max=MAX_COLUMNS, row_no=number)
        for value in cells:
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise ValidationError("file", f"{value[:20]}…", "cell_too_long", max=MAX_CELL_CHARS)
        out.append(cells)
    return out


def _read_xlsx(data: bytes, filename: str) -> list[list]:
    import zipfile

    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ValidationError("file", filename, "bad_file") from None
    if unpacked > MAX_UNPACKED_BYTES or len(archive.infolist()) > 10_000:
        raise ValidationError("file", filename, "unpacks_too_large", max=f"{MAX_UNPACKED_BYTES // 1_048_576} MB")
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.active or workbook.worksheets[0]
        # The sheet's own account of its used range, when it gives one, refuses a far corner cell at once;
        # either way the rows are streamed and cut at the limits, so such a cell is never reached.
        declared = sheet.max_row if isinstance(getattr(sheet, "max_row", None), int) else None
        if declared and declared > MAX_ROWS + _HEADER_ROWS + 1:
            raise ValidationError("file", filename, "too_many_rows", max=f"{MAX_ROWS:,}")
        rows = sheet.iter_rows(max_row=MAX_ROWS + _HEADER_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True)
        return _bounded(rows, filename)
    finally:
        workbook.close()


def _read_csv(data: bytes, filename: str) -> list[list]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return _bounded(reader, filename)


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """The file as a frame of raw cells (no header row taken yet); raises ValidationError(file, …)."""
    check_size(len(data), filename or "")
    suffix = Path(filename or "").suffix.lower()
    is_zip = data[:2] == b"PK"
    try:
        if suffix in (".xls",):
            raise ValidationError("file", filename, "old_excel")
        if suffix in (".xlsx", ".xlsm") or (is_zip and suffix not in (".csv", ".txt")):
            rows = _read_xlsx(data, filename)
        else:
            rows = _read_csv(data, filename)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - whatever the parser trips on, a person is told the file cannot be read
        raise ValidationError("file", filename, "bad_file") from None
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _cell(value):
    """A cell as the value to validate: dates stay dates, whole floats lose their ".0", blanks become ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
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
            record["status"] = roster.gate_activation(conn, None, record["status"])
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


CHUNK_ROWS = 1_000                 # rows per write transaction: a fraction of a second of the write lock
STALE_SECONDS = 300                 # a running import silent this long died with its process; it is undone


def apply(store: Store, actor: Actor, plan: ImportPlan, *, today: date | None = None,
          progress: Callable[[float], None] | None = None) -> dict[str, int]:
    """Write a checked plan: all of it or, should anything fail, none of it.

    The plan is checked again against the database as it is now (without holding a lock), then written in
    short transactions of ``CHUNK_ROWS`` rows, so other people's saves go through while a large file imports.
    Each transaction also records how to undo itself (``import_undo``); a failure undoes what was written, and
    an import whose process died is undone the next time the database is opened (``recover``).
    ``progress`` is told the share done (0–1). Refuses a plan with errors. Returns the counts written."""
    permissions.require(actor, "participant.import")
    if plan.errors:
        raise ValidationErrors(plan.errors)
    if not plan.rows:
        return {"adds": 0, "updates": 0, "unchanged": 0, "new_units": 0}
    with store.read() as db:
        _check(db.conn, plan, today or clock.today())
    if plan.errors:
        raise ValidationErrors(plan.errors)
    run = _begin(store, actor, plan)
    steps = [("unit", unit) for unit in plan.new_units] + [("add", rec) for rec in plan.adds] + \
            [("update", rec) for rec in plan.updates]
    unit_ids: dict[str, int] = {}
    try:
        for start in range(0, len(steps), CHUNK_ROWS):
            with store.write() as db:
                for kind, item in steps[start:start + CHUNK_ROWS]:
                    _write_step(db, actor, run, kind, item, unit_ids)
                db.conn.execute("update imports set heartbeat = ? where id = ?", (clock.stamp(), run))
            if progress:
                progress(min(1.0, (start + CHUNK_ROWS) / len(steps)))
        with store.write() as db:
            db.conn.execute("delete from import_undo where import_id = ?", (run,))
            db.conn.execute("update imports set state = 'done', finished_at = ? where id = ?", (clock.stamp(), run))
    except BaseException:
        undo(store, run)
        raise
    return {"adds": len(plan.adds), "updates": len(plan.updates), "unchanged": len(plan.unchanged),
            "new_units": len(plan.new_units)}


def _begin(store: Store, actor: Actor, plan: ImportPlan) -> int:
    stamp = clock.stamp()
    with store.write() as db:
        cur = db.conn.execute(
            "insert into imports(started_at, heartbeat, state, username, file, rows) values (?, ?, 'running', ?, ?, ?)",
            (stamp, stamp, actor.username, plan.filename[:200], len(plan.rows)))
        return cur.lastrowid


def _write_step(db, actor: Actor, run: int, kind: str, item: dict, unit_ids: dict[str, int]) -> None:
    stamp = clock.stamp()
    if kind == "unit":
        unit_ids[item["name"]] = audit.insert(db, actor, "units", {
            "name": item["name"], "kind": item["kind"], "street": item["street"], "active": 1, "notes": None},
            action="import")
        _undo_entry(db, run, "units", unit_ids[item["name"]], None)
        return
    resolve = lambda ref: unit_ids[ref] if isinstance(ref, str) else ref
    if kind == "add":
        new_id = audit.insert(db, actor, "participants", {
            "name": item["name"], "gender": item["gender"], "political_status": item["political_status"],
            "batch_id": item["batch_id"], "home_unit_id": resolve(item["home_unit"]),
            "host_unit_id": resolve(item["host_unit"]), "post": item["post"], "start_date": item["start_date"],
            "end_date": item["end_date"], "status": item["status"], "contact": item["contact"],
            "notes": item["notes"], "created_at": stamp, "updated_at": stamp}, action="import")
        _undo_entry(db, run, "participants", new_id, None)
        return
    changes = {}
    for f, (_, new) in item["changes"].items():
        changes[f"{f}_id" if f in ("home_unit", "host_unit") else f] = resolve(new) if f in ("home_unit", "host_unit") \
            else new
    changes["updated_at"] = stamp
    before = audit.get(db, "participants", item["participant_id"])
    _undo_entry(db, run, "participants", item["participant_id"], {k: before[k] for k in changes})
    audit.update(db, actor, "participants", item["participant_id"], changes, action="import")


def _undo_entry(db, run: int, table: str, row_id: int, before: dict | None) -> None:
    db.conn.execute("insert into import_undo(import_id, table_name, row_id, before) values (?, ?, ?, ?)",
                    (run, table, row_id, None if before is None else json.dumps(before, ensure_ascii=False)))


_UNDO_ACTOR = Actor(None, "import:undo", "admin", "import:undo")


def undo(store: Store, run: int) -> int:
    """Take back what import ``run`` wrote (newest first, in short transactions); returns the rows undone."""
    done = 0
    while True:
        with store.write() as db:
            rows = db.conn.execute("select id, table_name, row_id, before from import_undo where import_id = ? "
                                   "order by id desc limit ?", (run, CHUNK_ROWS)).fetchall()
            for row in rows:
                if row["before"] is None:   # a row the import created
                    if audit.get(db, row["table_name"], row["row_id"]) is not None:
                        db.conn.execute("savepoint keep")
                        try:
                            audit.delete(db, _UNDO_ACTOR, row["table_name"], row["row_id"], action="import_undo")
                        except sqlite3.IntegrityError:   # someone used it meanwhile: it stays
                            db.conn.execute("rollback to keep")
                        db.conn.execute("release keep")
                else:
                    audit.update(db, _UNDO_ACTOR, row["table_name"], row["row_id"], json.loads(row["before"]),
                                 action="import_undo")
                db.conn.execute("delete from import_undo where id = ?", (row["id"],))
            if not rows:
                db.conn.execute("update imports set state = 'rolled_back', finished_at = ? where id = ?",
                                (clock.stamp(), run))
                return done
        done += len(rows)


def recover(store: Store) -> list[int]:
    """Undo every import whose process died half-way (running, and silent for ``STALE_SECONDS``)."""
    from datetime import timedelta

    cutoff = clock.stamp(clock.now() - timedelta(seconds=STALE_SECONDS))
    runs = [r["id"] for r in store.rows("select id from imports where state = 'running' and heartbeat < ?",
                                        (cutoff,))]
    for run in runs:
        undo(store, run)
    return runs


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
    return exports.to_csv_bytes(frame) if fmt == "csv" else exports.to_xlsx_bytes(frame, i18n.translate("zh", "nav.roster"))


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
