"""Working days on China's official calendar: statutory holidays off, make-up workdays (调休) on.

The calendar comes from the maintained ``chinese_calendar`` library, which knows the State Council's
published arrangements for the years it covers (2004–2026 in the installed version). For a year it does
not cover it raises NotImplementedError; there we fall back to Monday–Friday, and ``covered(year)`` lets a
screen say that a deadline in such a year is counted without holidays.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

# The programme runs in Shanghai: "today", weeks and deadlines are China dates wherever the server runs.
CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in China (the one "today" every page, service and figure uses)."""
    return datetime.now(CHINA).date()


def parse_stamp(value) -> datetime:
    """A stored timestamp (ISO text in UTC, ``Z`` or offset; or a datetime) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp as Shanghai wall-clock text for people to read; "" for no value."""
    if value is None or value == "" or not isinstance(value, (str, datetime)):
        return ""
    return parse_stamp(value).astimezone(CHINA).strftime(fmt)

def months_between(first, last) -> list[str]:
    """Every month from ``first`` to ``last`` (dates or "2026-01" text) as "2026-01", oldest first."""
    year, month = int(str(first)[:4]), int(str(first)[5:7])
    last = str(last)[:7]
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


_MAX_STEPS = 3660  # ten years of days: a guard against a runaway loop on nonsense input


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@lru_cache(maxsize=64)
def covered(year: int) -> bool:
    """Does the official calendar cover ``year``? Outside it, working days are Monday–Friday."""
    try:
        chinese_calendar.is_workday(date(int(year), 6, 1))
        return True
    except NotImplementedError:
        return False


@lru_cache(maxsize=20_000)
def _is_workday(day: date) -> bool:
    if covered(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def is_workday(day) -> bool:
    """A working day: Monday–Friday unless a statutory holiday, or a weekend make-up workday."""
    return _is_workday(_as_date(day))


def add_working_days(start, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself is not counted; n = 0 gives ``start``).

    A 15-working-day limit on an item raised on day D is due on ``add_working_days(D, 15)``.
    A negative n counts backwards.
    """
    day = _as_date(start)
    n = int(n)
    step = 1 if n >= 0 else -1
    left = abs(n)
    guard = 0
    while left:
        day += timedelta(days=step)
        if _is_workday(day):
            left -= 1
        guard += 1
        if guard > _MAX_STEPS * 4:
            raise ValueError(f"cannot add {n} working days to {start}")
    return day


def working_days_between(a, b) -> int:
    """Working days after ``a`` up to and including ``b`` (0 when b == a; negative when b is before a).

    The inverse of ``add_working_days``: ``working_days_between(d, add_working_days(d, n)) == n``.
    Counted from per-year running totals, so the department table's thousands of spans cost a
    subtraction each rather than a walk over the calendar.
    """
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    if (b - a).days > _MAX_STEPS * 4:
        raise ValueError(f"span {a} to {b} is too long")
    if a.year < _EPOCH_YEAR:
        count, day = 0, a
        while day < b:
            day += timedelta(days=1)
            count += _is_workday(day)
        return count
    return _ordinal(b) - _ordinal(a)


_EPOCH_YEAR = 1990


@lru_cache(maxsize=None)
def _year_totals(year: int) -> tuple[int, ...]:
    """Running count of working days from 1 January of ``year`` through each day of it."""
    totals, count, day = [], 0, date(year, 1, 1)
    while day.year == year:
        count += _is_workday(day)
        totals.append(count)
        day += timedelta(days=1)
    return tuple(totals)


@lru_cache(maxsize=None)
def _before_year(year: int) -> int:
    """Working days from 1 January of the epoch year through 31 December of ``year - 1``."""
    total = 0
    for y in range(_EPOCH_YEAR, year):
        total += _year_totals(y)[-1]
    return total


def _ordinal(day: date) -> int:
    return _before_year(day.year) + _year_totals(day.year)[day.timetuple().tm_yday - 1]


def uncovered_years(*days) -> list[int]:
    """The years among ``days`` that the official calendar does not cover (for a note on screen)."""
    years = sorted({_as_date(d).year for d in days if d})
    return [y for y in years if not covered(y)]
