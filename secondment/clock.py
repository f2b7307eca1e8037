"""The one clock: "now", "today" and China dates, for every page, service, command and test.

The programme runs in Shanghai, so "today", ISO weeks and deadlines are China dates (Asia/Shanghai) wherever
the server runs; timestamps are stored in UTC as ISO text (``2026-11-26T02:30:00Z``) and shown in China time.

``SECONDMENT_TODAY`` (``YYYY-MM-DD``) pins the date the app lives on, for a leader's demo or a training room
that should look the same every time it is shown: the time of day still moves, the date stays. Nothing else
reads the system clock; SQL never calls ``date('now')`` but is given today by Python; stored UTC text is
turned into China dates in SQL only through ``china_date_sql`` / ``china_month_sql``.
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
PIN_ENV = "SECONDMENT_TODAY"
# China has kept UTC+8 all year since 1991 (no daylight saving), so SQL may add a fixed offset.
_CHINA_OFFSET_SQL = "'+8 hours'"


class BadPin(ValueError):
    """``SECONDMENT_TODAY`` is set but is not a date."""


def pinned() -> date | None:
    """The date ``SECONDMENT_TODAY`` pins, or None. Read on every call, so a test or a command may set it."""
    value = os.environ.get(PIN_ENV, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadPin(f"{PIN_ENV}={value!r} is not a date (YYYY-MM-DD)") from error


def now() -> datetime:
    """This instant as an aware UTC datetime (moved by whole days onto the pinned date, when one is set)."""
    real = datetime.now(UTC)
    pin = pinned()
    if pin is None:
        return real
    return real + timedelta(days=(pin - real.astimezone(CHINA).date()).days)


def today() -> date:
    """Today's date in China: the one "today" every page, service and figure uses."""
    return now().astimezone(CHINA).date()


def stamp(at=None) -> str:
    """``at`` (None = now; an aware or naive-UTC datetime, or ISO text) as stored text: UTC to the second."""
    moment = now() if at is None else parse_stamp(at)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_stamp(value) -> datetime:
    """A stored timestamp (ISO text in UTC, ``Z`` or offset; or a datetime) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    dt = datetime.fromisoformat(str(value))  # Python 3.11 reads the "Z" itself
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def local_date(value) -> date | None:
    """The China date of a stored UTC timestamp (a date is returned as it is; None or "" gives None)."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_stamp(value).astimezone(CHINA).date()


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp as Shanghai wall-clock text for people to read; "" for no value."""
    if value is None or value == "" or not isinstance(value, (str, datetime)):
        return ""
    return parse_stamp(value).astimezone(CHINA).strftime(fmt)


def day_start_utc(day, plus_days: int = 0) -> str:
    """The first instant of a China day (plus ``plus_days``) as stored UTC text, to compare with timestamps."""
    d = as_date(day) + timedelta(days=plus_days)
    return stamp(datetime(d.year, d.month, d.day, tzinfo=CHINA))


def as_date(value) -> date:
    """A date from a date, a datetime (its own date) or ISO text (its first ten characters)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def china_date_sql(column: str) -> str:
    """SQL for the China date (``YYYY-MM-DD``) of a stored UTC timestamp column."""
    return f"date({column}, {_CHINA_OFFSET_SQL})"


def china_month_sql(column: str) -> str:
    """SQL for the China month (``YYYY-MM``) of a stored UTC timestamp column."""
    return f"strftime('%Y-%m', {column}, {_CHINA_OFFSET_SQL})"
