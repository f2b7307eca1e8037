"""Working days on China's official calendar: statutory holidays off, make-up workdays (调休) on.

A ``Calendar`` answers every working-day question the app asks (is this a working day, the n-th working day
after a date, how many lie between two dates). Its source, year by year:

1. a year's arrangement an administrator entered as the State Council published it (``holidays`` table,
   ``secondment.holidays``): that year's listed holidays are off and its listed make-up workdays are on;
2. otherwise the maintained ``chinese_calendar`` library, for the years it covers (2004–2026 in the installed
   version);
3. otherwise Monday to Friday, and ``covered(year)`` is False so that every screen can say so.

``LIBRARY`` is the calendar with nothing entered (a new database, the demo generator); services use the
calendar of their database through ``secondment.holidays.calendar``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar

from secondment.clock import as_date

LIBRARY_VERSION = getattr(chinese_calendar, "__version__", "?")   # counts stored with it are its (feedback)
_MAX_STEPS = 3660  # ten years of days: a guard against a runaway loop on nonsense input
_EPOCH_YEAR = 1990


def months_between(first, last) -> list[str]:
    """Every month from ``first`` to ``last`` (dates or "2026-01" text) as "2026-01", oldest first."""
    year, month = int(str(first)[:4]), int(str(first)[5:7])
    last = str(last)[:7]
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@lru_cache(maxsize=128)
def library_covers(year: int) -> bool:
    """Does the installed ``chinese_calendar`` know ``year``'s official arrangement?"""
    try:
        chinese_calendar.is_workday(date(int(year), 6, 1))
        return True
    except NotImplementedError:
        return False


_FESTIVALS = {h.value: h.chinese for h in chinese_calendar.Holiday}


def library_arrangement(year: int) -> list[dict]:
    """The library's holidays and make-up workdays of ``year`` as ``{"day", "kind", "name", "name_en"}`` rows
    (kind "holiday" or "workday"), oldest first; empty when the library does not cover the year."""
    if not library_covers(year):
        return []
    out = []
    for kind, days in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays)):
        for day, name in days.items():
            if day.year == year and (kind == "holiday" or day.weekday() >= 5):
                out.append({"day": day, "kind": kind, "name": _FESTIVALS.get(name, name), "name_en": name})
    return sorted(out, key=lambda r: r["day"])


class Calendar:
    """China's working days, with the years in ``entered`` (year → {day: is it a working day}) taken from an
    administrator's entries instead of the library."""

    def __init__(self, entered: Mapping[int, Mapping[date, bool]] | None = None):
        self.entered = MappingProxyType({int(y): MappingProxyType(dict(days)) for y, days in (entered or {}).items()})
        self._days: dict[date, bool] = {}
        self._totals: dict[int, tuple[int, ...]] = {}
        self._before: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"Calendar(entered years {sorted(self.entered)})"

    # --- which years are known ---------------------------------------------------------------------------

    def source(self, year: int) -> str | None:
        """"entered", "library" or None (counted Monday to Friday) for ``year``."""
        if int(year) in self.entered:
            return "entered"
        return "library" if library_covers(int(year)) else None

    def covered(self, year: int) -> bool:
        """Is ``year``'s official arrangement known? Outside it, working days are Monday–Friday."""
        return self.source(year) is not None

    def uncovered_years(self, *days) -> list[int]:
        """The years among ``days`` whose arrangement is not known (for a note on screen)."""
        years = sorted({as_date(d).year for d in days if d})
        return [y for y in years if not self.covered(y)]

    # --- days --------------------------------------------------------------------------------------------

    def _is_workday(self, day: date) -> bool:
        known = self._days.get(day)
        if known is None:
            entered = self.entered.get(day.year)
            if entered is not None:
                known = entered.get(day, day.weekday() < 5)
            elif library_covers(day.year):
                known = chinese_calendar.is_workday(day)
            else:
                known = day.weekday() < 5
            self._days[day] = known
        return known

    def is_workday(self, day) -> bool:
        """A working day: Monday–Friday unless a statutory holiday, or a weekend make-up workday."""
        return self._is_workday(as_date(day))

    def add_working_days(self, start, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted; n = 0 gives ``start``).

        A 15-working-day limit on an item raised on day D is due on ``add_working_days(D, 15)``.
        A negative n counts backwards.
        """
        day = as_date(start)
        n = int(n)
        step = 1 if n >= 0 else -1
        left = abs(n)
        guard = 0
        while left:
            day += timedelta(days=step)
            if self._is_workday(day):
                left -= 1
            guard += 1
            if guard > _MAX_STEPS * 4:
                raise ValueError(f"cannot add {n} working days to {start}")
        return day

    def working_days_between(self, a, b) -> int:
        """Working days after ``a`` up to and including ``b`` (0 when b == a; negative when b is before a).

        The inverse of ``add_working_days``: ``working_days_between(d, add_working_days(d, n)) == n``.
        Counted from per-year running totals, so the department table's thousands of spans cost a
        subtraction each rather than a walk over the calendar.
        """
        a, b = as_date(a), as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        if (b - a).days > _MAX_STEPS * 4:
            raise ValueError(f"span {a} to {b} is too long")
        if a.year < _EPOCH_YEAR:
            count, day = 0, a
            while day < b:
                day += timedelta(days=1)
                count += self._is_workday(day)
            return count
        return self._ordinal(b) - self._ordinal(a)

    def spans(self, pairs: Iterable[tuple]) -> list[int]:
        """``working_days_between(a, b)`` for each pair, each distinct day (ISO text or a date) looked up once:
        the closed loop's hundred thousand spans at a national scale fall on a few thousand days."""
        seen: dict = {}

        def ordinal(value):
            found = seen.get(value)
            if found is None:
                day = as_date(value)
                found = seen[value] = (day, self._ordinal(day) if day.year >= _EPOCH_YEAR else None)
            return found
        out = []
        for a, b in pairs:
            (day_a, ord_a), (day_b, ord_b) = ordinal(a), ordinal(b)
            if ord_a is None or ord_b is None or abs((day_b - day_a).days) > _MAX_STEPS * 4:
                out.append(self.working_days_between(day_a, day_b))     # the walk, or its error
            else:
                out.append(ord_b - ord_a)
        return out

    def _year_totals(self, year: int) -> tuple[int, ...]:
        """Running count of working days from 1 January of ``year`` through each day of it."""
        totals = self._totals.get(year)
        if totals is None:
            out, count, day = [], 0, date(year, 1, 1)
            while day.year == year:
                count += self._is_workday(day)
                out.append(count)
                day += timedelta(days=1)
            totals = self._totals[year] = tuple(out)
        return totals

    def _before_year(self, year: int) -> int:
        """Working days from 1 January of the epoch year through 31 December of ``year - 1``."""
        total = self._before.get(year)
        if total is None:
            total = sum(self._year_totals(y)[-1] for y in range(_EPOCH_YEAR, year))
            self._before[year] = total
        return total

    def _ordinal(self, day: date) -> int:
        return self._before_year(day.year) + self._year_totals(day.year)[day.timetuple().tm_yday - 1]


# The library's calendar with nothing entered: a new database, the demo generator, tests of the rules.
LIBRARY = Calendar()
