"""Official holiday arrangements (法定节假日安排) for the years the calendar library does not cover.

Each December the State Council publishes next year's arrangement: the days off for each festival and the
weekend days worked to make up for them (调休上班). ``chinese_calendar`` ships them only for the years it
knew when it was released; for a later year an administrator enters the arrangement here (on the
administration page, or ``python -m secondment holidays import FILE``). An entered year replaces the library
for that year; the library stays the source for the years it covers and nobody entered.

``calendar(store)`` is the one calendar every deadline, overdue flag and working-day count of a database
reads. It is cached per revision of the entered days (a random token in ``meta`` that every change renews),
so a change made in one session is seen by every other at once.
"""
from __future__ import annotations

import csv
import io
import secrets
import sqlite3
from collections import OrderedDict
from datetime import date
from pathlib import Path

from secondment import audit, clock, permissions, validation, vocab
from secondment.db import Store, set_meta
from secondment.errors import ValidationError, ValidationErrors
from secondment.permissions import Actor
from secondment.workdays import LIBRARY, Calendar, library_arrangement, library_covers

REVISION_KEY = "holidays_rev"
MAX_DAYS_PER_YEAR = 120       # a real arrangement lists about 40 days; more is a wrong file
MAX_FILE_BYTES = 64 * 1024
FIRST_YEAR, LAST_YEAR = 2000, 2100
# From this day of the year on, next year's arrangement is due (the State Council publishes it in autumn).
NOTICE_FROM = (11, 1)

# Words people write for the two kinds, besides the vocabulary's own labels.
_KIND_WORDS = {
    "holiday": ("休", "假", "放假", "休息", "节假日", "holiday", "off", "rest"),
    "workday": ("班", "上班", "补班", "调休", "调休上班", "工作日", "workday", "make-up", "makeup", "work"),
}
_HEADERS = {
    "day": ("日期", "date", "day"),
    "kind": ("类型", "安排", "kind", "type"),
    "name": ("名称", "节日", "节假日", "name", "holiday", "festival"),
}


# --- the calendar of a database ------------------------------------------------------------------------

_CACHE: OrderedDict[str, Calendar] = OrderedDict()
_CACHE_SIZE = 16


def _revision(conn) -> str | None:
    try:
        row = conn.execute("select value from meta where key = ?", (REVISION_KEY,)).fetchone()
    except sqlite3.OperationalError:  # a database without the meta table yet
        return None
    return row[0] if row else None


def calendar_of(conn) -> Calendar:
    """The calendar of the database behind ``conn`` (inside a service's own transaction)."""
    rev = _revision(conn)
    if rev is None:
        return LIBRARY
    cal = _CACHE.get(rev)
    if cal is None:
        entered: dict[int, dict[date, bool]] = {}
        for day, kind in conn.execute("select day, kind from holidays").fetchall():
            d = date.fromisoformat(day)
            entered.setdefault(d.year, {})[d] = kind == "workday"
        cal = Calendar(entered)
        _CACHE[rev] = cal
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(rev)
    return cal


def calendar(store: Store) -> Calendar:
    """The calendar of ``store``: entered years first, then the library, then Monday to Friday."""
    with store.read() as db:
        return calendar_of(db.conn)


# --- reading ---------------------------------------------------------------------------------------------

def years(store: Store, actor: Actor, today: date | None = None) -> list[dict]:
    """Every year from the library's first to next year, with where its arrangement comes from
    ("entered", "library" or None) and how many days it lists, newest first."""
    permissions.require(actor, "holiday.read")
    today = today or clock.today()
    entered = {r["year"]: r for r in store.rows(
        "select year, count(*) as days, max(entered_at) as entered_at from holidays group by year")}
    last = max([today.year + 1, *entered])
    first = min([y for y in range(2004, last + 1) if library_covers(y)] or [today.year])
    out = []
    for year in range(last, first - 1, -1):
        if year in entered:
            out.append({"year": year, "source": "entered", "days": entered[year]["days"],
                        "entered_at": entered[year]["entered_at"]})
        elif library_covers(year):
            out.append({"year": year, "source": "library", "days": len(library_arrangement(year)),
                        "entered_at": None})
        else:
            out.append({"year": year, "source": None, "days": 0, "entered_at": None})
    return out


def arrangement(store: Store, actor: Actor, year: int) -> dict:
    """The year's arrangement as it counts now: ``{"year", "source", "days": [{"day", "kind", "name"}]}``."""
    permissions.require(actor, "holiday.read")
    year = validation.integer("year", year, low=FIRST_YEAR, high=LAST_YEAR)
    rows = store.rows("select day, kind, name from holidays where year = ? order by day", (year,))
    if rows:
        return {"year": year, "source": "entered",
                "days": [{"day": date.fromisoformat(r["day"]), "kind": r["kind"], "name": r["name"]} for r in rows]}
    if library_covers(year):
        return {"year": year, "source": "library", "days": library_arrangement(year)}
    return {"year": year, "source": None, "days": []}


def missing_next_year(store: Store, actor: Actor, today: date | None = None) -> int | None:
    """Next year, when its arrangement is due (from 1 November) and not yet known; else None. Shown to
    administrators and reviewers, the people who can enter it or ask for it."""
    if not permissions.can(actor, "holiday.notice"):
        return None
    today = today or clock.today()
    if (today.month, today.day) < NOTICE_FROM:
        return None
    year = today.year + 1
    return None if calendar(store).covered(year) else year


# --- checking and writing ----------------------------------------------------------------------------------

def _kind(value, row: int | None) -> str:
    clean = validation.normalise_text(value).lower()
    for kind, words in _KIND_WORDS.items():
        if clean in words or clean == vocab.label("holiday_kind", kind, "zh") or \
                clean == vocab.label("holiday_kind", kind, "en").lower():
            return kind
    raise ValidationError("holiday_kind", value, "unknown_code", row=row,
                          allowed=" / ".join(vocab.label("holiday_kind", k, "zh") for k in vocab.HOLIDAY_KINDS))


def check(year, rows: list[dict]) -> tuple[int, list[dict]]:
    """Clean ``rows`` (``day``, ``kind``, ``name``; the row number people see is ``row`` when given, else the
    position from 1) for ``year``. Every bad row is reported at once, naming row, column and value."""
    year = validation.integer("year", year, low=FIRST_YEAR, high=LAST_YEAR)
    errors: list[ValidationError] = []
    clean: dict[date, dict] = {}
    seen: dict[date, int] = {}
    for position, raw in enumerate(rows, start=1):
        row_no = raw.get("row", position)
        if all(validation.normalise_text(raw.get(k)) == "" for k in ("day", "kind", "name")):
            continue  # a blank line
        try:
            day = validation.parse_date("day", raw.get("day"))
            kind = _kind(raw.get("kind"), row_no)
            name = validation.text("holiday_name", raw.get("name"), required=False, max_len=20)
            if day.year != year:
                raise ValidationError("day", day.isoformat(), "holiday_wrong_year", year=year)
            if day in seen:
                raise ValidationError("day", day.isoformat(), "duplicate_row", other=seen[day])
            if kind == "workday" and day.weekday() < 5:
                raise ValidationError("day", day.isoformat(), "makeup_not_weekend")
        except ValidationError as error:
            errors.append(error if error.row is not None else
                          ValidationError(error.field, error.value, error.reason, row=row_no,
                                          **{k: v for k, v in error.params.items()
                                             if k not in ("field", "value", "reason", "row")}))
            continue
        seen[day] = row_no
        clean[day] = {"day": day, "kind": kind, "name": name}
    if not errors and not any(r["kind"] == "holiday" for r in clean.values()):
        errors.append(ValidationError("holiday_kind", "", "holiday_none", year=year))
    if not errors and len(clean) > MAX_DAYS_PER_YEAR:
        errors.append(ValidationError("day", len(clean), "holiday_too_many", max=MAX_DAYS_PER_YEAR))
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    return year, [clean[d] for d in sorted(clean)]


def set_year(store: Store, actor: Actor, year, rows: list[dict]) -> dict:
    """Enter (or replace) ``year``'s arrangement. Audited as one change of the year, with the days before and
    after; every session counts with it from its next page."""
    permissions.require(actor, "holiday.edit")
    year, clean = check(year, rows)
    return _write_year(store, actor, year, [{"day": r["day"].isoformat(), "kind": r["kind"], "name": r["name"]}
                                            for r in clean])


def clear_year(store: Store, actor: Actor, year) -> dict:
    """Remove an entered arrangement, so the library (or Monday to Friday) counts for ``year`` again."""
    permissions.require(actor, "holiday.edit")
    return _write_year(store, actor, validation.integer("year", year, low=FIRST_YEAR, high=LAST_YEAR), [])


def _write_year(store: Store, actor: Actor, year: int, stored: list[dict]) -> dict:
    with store.write() as db:
        before = [dict(r) for r in db.conn.execute(
            "select day, kind, name from holidays where year = ? order by day", (year,)).fetchall()]
        if before == stored:
            return {"year": year, "days": len(stored), "changed": False}
        db.conn.execute("delete from holidays where year = ?", (year,))
        stamp = clock.stamp()
        db.conn.executemany(
            "insert into holidays(day, year, kind, name, entered_by, entered_at) values (?, ?, ?, ?, ?, ?)",
            [(r["day"], year, r["kind"], r["name"], actor.user_id, stamp) for r in stored])
        set_meta(db, REVISION_KEY, secrets.token_hex(8))
        from secondment import feedback  # imports this module
        # the closed loop's stored spans that cross the year (a day either side for the China day) count again
        feedback.count_answer_days(db.conn, "f.created_at < ? and f.answered_at >= ?",
                                   (f"{year + 1}-01-02", f"{year - 1}-12-31"))
        audit.record(db, actor, "holidays", year, "holidays.clear" if not stored else "holidays.set",
                     {"year": year, "days": before} if before else None,
                     {"year": year, "days": stored} if stored else None)
    return {"year": year, "days": len(stored), "changed": True}


def parse_csv(data: bytes) -> tuple[int | None, list[dict]]:
    """Rows of a small CSV (UTF-8 with or without BOM, or GB18030): a header with 日期/date, 类型/kind and
    optionally 名称/name. Returns the single year its dates fall in (None when they span several or none)."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError("file", f"{len(data) // 1024} KB", "file_too_large", max=f"{MAX_FILE_BYTES // 1024} KB")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("file", "", "not_text")
    reader = csv.reader(io.StringIO(text))
    lines = [line for line in reader]
    if not lines:
        raise ValidationError("file", "", "empty_file")
    header = [validation.normalise_text(h).lower() for h in lines[0]]
    positions = {}
    for name, words in _HEADERS.items():
        for i, h in enumerate(header):
            if h in words and name not in positions:
                positions[name] = i
    missing = [n for n in ("day", "kind") if n not in positions]
    if missing:
        raise ValidationError("file", ", ".join(lines[0]), "holiday_columns")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = {n: line[i] if i < len(line) else "" for n, i in positions.items()}
        rows.append({"row": number, "day": cells.get("day", ""), "kind": cells.get("kind", ""),
                     "name": cells.get("name", "")})
    years_seen = set()
    for r in rows:
        try:
            years_seen.add(validation.parse_date("day", r["day"]).year)
        except ValidationError:
            pass
    return (years_seen.pop() if len(years_seen) == 1 else None), rows


def import_file(store: Store, actor: Actor, path_or_bytes, year: int | None = None) -> dict:
    """Enter the arrangement in a CSV file (``holidays import FILE``); the year is the one its dates fall in."""
    permissions.require(actor, "holiday.edit")
    if isinstance(path_or_bytes, (str, Path)):
        path = Path(path_or_bytes)
        if not path.is_file():
            raise ValidationError("file", str(path), "no_such_file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError("file", path.name, "file_too_large", max=f"{MAX_FILE_BYTES // 1024} KB")
        data = path.read_bytes()
    else:
        data = bytes(path_or_bytes)
    found, rows = parse_csv(data)
    year = year or found
    if year is None:
        raise ValidationError("year", "", "holiday_one_year")
    return set_year(store, actor, year, rows)


def template_csv(year: int) -> bytes:
    """A small CSV to fill in from the State Council's notice: the header and two example lines (New Year's
    Day off, and a make-up workday on the year's first Saturday of February)."""
    from datetime import timedelta

    saturday = date(year, 2, 1) + timedelta(days=(5 - date(year, 2, 1).weekday()) % 7)
    return f"日期,类型,名称\n{year}-01-01,放假,元旦\n{saturday.isoformat()},调休上班,春节\n".encode("utf-8-sig")
