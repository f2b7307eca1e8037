"""Validation of every value a person can enter. Each check returns the clean value or raises a
``ValidationError`` naming the field, the value and the reason; nothing here writes.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from secondment import vocab
from secondment.errors import ValidationError

# Lengths people can reasonably need; longer input is refused rather than cut.
MAX_LEN = {
    "name": 40, "post": 60, "contact": 60, "notes": 2000, "title": 120, "description": 4000,
    "outcome": 1000, "summary": 200, "details": 4000, "comment": 1000, "note": 1000, "unit_name": 80,
    "industry": 40, "display_name": 40, "reason": 1000, "answer": 4000, "batch_code": 8,
}

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def normalise_text(value) -> str:
    """Full-width characters to half-width (NFKC), surrounding spaces (incl. the ideographic space) off."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.strip()


# Fields that hold one line (a name, a title): a line break in them is a mistake or a trick.
SINGLE_LINE = {"name", "title", "post", "contact", "summary", "unit_name", "display_name", "industry", "batch_code",
               "holiday_name", "username"}
# Characters that reorder how text reads (bidirectional overrides and isolates): a name could be made to read
# as another's. Refused everywhere.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible(text_value: str) -> bool:
    """Does the text hold anything a person can see (not only spaces, zero-width or control characters)?"""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs", "Zl", "Zp")
               for ch in text_value)


def text(field: str, value, *, required: bool = True, max_len: int | None = None) -> str | None:
    """Free text as typed: surrounding spaces (incl. the ideographic space) off, nothing else changed, so
    Chinese punctuation (，。（）) stays as written. Codes, dates and numbers go through ``normalise_text``.
    Text made only of invisible characters counts as empty; control characters and direction overrides are
    refused, and so is a line break in a one-line field."""
    if isinstance(value, bool):
        raise ValidationError(field, value, "not_text")
    clean = "" if value is None else str(value).strip()
    if not clean or not _visible(clean):
        if required:
            raise ValidationError(field, value, "required")
        return None
    for ch in clean:
        if (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r") or ch in _BIDI_CONTROLS:
            raise ValidationError(field, clean.encode("unicode_escape").decode("ascii")[:60], "control_chars")
    if field in SINGLE_LINE and ("\n" in clean or "\r" in clean):
        raise ValidationError(field, clean, "one_line")
    clean = clean.replace("\r\n", "\n").replace("\r", "\n")
    limit = max_len or MAX_LEN.get(field)
    if limit and len(clean) > limit:
        raise ValidationError(field, clean, "too_long", max=limit, length=len(clean))
    return clean


def choice(field: str, value, group: str, *, required: bool = True) -> str | None:
    """A coded value of a vocabulary group; its code, Chinese or English label are all accepted."""
    clean = normalise_text(value)
    if not clean:
        if required:
            raise ValidationError(field, value, "required")
        return None
    codes = vocab.options(group)
    if clean in codes:
        return clean
    lowered = clean.lower()
    for code in codes:
        zh, en = vocab.GROUPS[group][code]
        if clean == zh or lowered == en.lower():
            return code
    raise ValidationError(field, clean, "unknown_code",
                          allowed=" / ".join(vocab.GROUPS[group][c][0] for c in codes))


def parse_date(field: str, value, *, required: bool = True) -> date | None:
    """The date formats people type: 2016-03-01, 2016/3/1, 2016.03.01, 2016年3月1日, 20160301."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    clean = normalise_text(value).replace(" ", "")
    if not clean or clean.lower() in ("nan", "nat", "none"):
        if required:
            raise ValidationError(field, value, "required")
        return None
    clean = clean.split("T")[0]
    if re.match(r"^\d{4}-\d{2}-\d{2}\d{2}:\d{2}", clean):  # "2016-03-01 00:00:00" without the space
        clean = clean[:10]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(clean)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise ValidationError(field, value, "bad_date")


def date_order(start_field: str, start: date | None, end_field: str, end: date | None) -> None:
    if start and end and end < start:
        raise ValidationError(end_field, end.isoformat(), "before_start", start=start.isoformat())


def within(field: str, value: date, start: date | str, end: date | str, reason: str) -> None:
    """``value`` inside [start, end] (both inclusive)."""
    start_d = parse_date("start_date", start)
    end_d = parse_date("end_date", end)
    if value < start_d or value > end_d:
        raise ValidationError(field, value.isoformat(), reason, start=start_d.isoformat(), end=end_d.isoformat())


MIN_HOURS = 0.1   # six minutes: less than that is not a piece of work, and would be stored as 0


def hours(value, field: str = "hours") -> float:
    if isinstance(value, bool):   # True is not "1 hour"
        raise ValidationError(field, value, "not_a_number")
    try:
        number = float(normalise_text(value)) if not isinstance(value, (int, float)) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(field, value, "not_a_number") from None
    if not (MIN_HOURS <= number <= 24):
        raise ValidationError(field, value, "hours_range", min=MIN_HOURS, max=24)
    return round(number * 2) / 2 if abs(number * 2 - round(number * 2)) < 1e-9 else round(number, 2)


def integer(field: str, value, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, value, "not_a_number")
    try:
        number = int(normalise_text(value)) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise ValidationError(field, value, "not_a_number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(field, value, "out_of_range", min=low, max=high)
    return number


def role_for_direction(role: str, direction: str, field: str = "role") -> str:
    """A cadre logs only the four roles, a talent only the three categories."""
    role = choice(field, role, "role")
    if role not in vocab.ROLES_BY_DIRECTION[direction]:
        raise ValidationError(field, vocab.label("role", role), "wrong_direction",
                              direction=vocab.label("direction_short", direction))
    return role


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(field: str, value) -> tuple[date, date]:
    """``2026-W48`` → (Monday, Sunday) of that ISO week."""
    clean = normalise_text(value).upper()
    m = re.match(r"^(\d{4})-?W(\d{1,2})$", clean)
    if not m:
        raise ValidationError(field, value, "bad_week")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValidationError(field, value, "bad_week") from None
    return monday, date.fromisocalendar(int(m.group(1)), int(m.group(2)), 7)


def batch_code(value, direction: str | None = None) -> str:
    clean = text("batch_code", value).upper()
    if not re.match(r"^[CT]\d{1,3}$", clean):
        raise ValidationError("batch_code", clean, "bad_batch_code")
    if direction and (clean[0] == "C") != (direction == vocab.CADRE):
        raise ValidationError("batch_code", clean, "batch_code_direction",
                              direction=vocab.label("direction_short", direction))
    return clean
