"""The period a leader looks at: the whole programme, a calendar year, or one batch.

One period means the same on the overview, the flows page and every slide of the presentation:
- people: a batch's members; in a year, everyone whose stint overlaps it;
- work: entries of its ISO weeks (a batch: its members' entries);
- feedback: items raised inside it (a batch: its members' items) — the flows page's own filters;
- practices: promoted inside it (a batch: its members' practices).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from secondment import clock, errors, i18n, permissions
from secondment.db import Store
from secondment.permissions import Actor

KINDS = ("all", "year", "batch")
# A span of days (a month, a quarter) is what a bulletin covers (``span``); pickers offer only KINDS.
DATED = ("year", "span")


@dataclass(frozen=True)
class Period:
    kind: str                      # one of KINDS
    value: str | int | None = None  # the year, or the batch code
    start: date | None = None      # first day inside (None: from the beginning)
    end: date | None = None        # last day inside (None: to this day)
    direction: str | None = None   # a batch's direction

    @property
    def key(self) -> str:
        """What a link or a select box carries: "all", "year:2026", "batch:C5"."""
        return "all" if self.kind == "all" else f"{self.kind}:{self.value}"

    @property
    def batch(self) -> str | None:
        return str(self.value) if self.kind == "batch" else None

    def label(self, lang: str) -> str:
        if self.kind == "all":
            return i18n.translate(lang, "period.all")
        if self.kind == "year":
            return i18n.translate(lang, "period.year", year=self.value)
        if self.kind == "span":
            if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1 and self.start.month == self.end.month:
                return i18n.translate(lang, "period.month", year=self.start.year, month=self.start.month)
            return i18n.translate(lang, "period.span", start=self.start.isoformat(), end=self.end.isoformat())
        return i18n.translate(lang, "period.batch", batch=self.value)

    # --- the one rule, as SQL fragments and filters -----------------------------------------------------------
    def people_sql(self, p: str = "p", b: str = "b") -> tuple[str, list]:
        """Participants (``p`` joined to its batch ``b``) who belong to the period."""
        if self.kind == "batch":
            return f"{b}.code = ?", [self.value]
        if self.kind in DATED:
            return f"{p}.start_date <= ? and {p}.end_date >= ?", [self.end.isoformat(), self.start.isoformat()]
        return "1 = 1", []

    def batches_sql(self, b: str = "b") -> tuple[str, list]:
        """Batches that belong to the period (a year: those whose span overlaps it)."""
        if self.kind == "batch":
            return f"{b}.code = ?", [self.value]
        if self.kind in DATED:
            return f"{b}.start_date <= ? and {b}.end_date >= ?", [self.end.isoformat(), self.start.isoformat()]
        return "1 = 1", []

    def dated_sql(self, column: str, b: str = "b") -> tuple[str, list]:
        """Rows whose China date ``column`` (a 'YYYY-MM-DD' text) falls inside; a batch's: its members' rows."""
        if self.kind == "batch":
            return f"{b}.code = ?", [self.value]
        if self.kind in DATED:
            return f"{column} between ? and ?", [self.start.isoformat(), self.end.isoformat()]
        return "1 = 1", []

    def activities_sql(self, a: str = "a", b: str = "b") -> tuple[str, list]:
        """Activity entries (``a``) of the period. Entries are logged by the ISO week, so a year's are those of
        its weeks (2026-W01 … 2026-W53: a few days at either end may fall in the next or the last calendar
        year), which the (week, …) indexes serve alone; a batch's: its members' (``b`` joined)."""
        if self.kind == "span":
            return f"{a}.date between ? and ?", [self.start.isoformat(), self.end.isoformat()]
        if self.kind != "year":
            return self.dated_sql(f"{a}.date", b)
        return f"{a}.week between ? and ?", [f"{self.value}-W01", f"{self.value}-W53"]

    def stamped_sql(self, column: str, b: str = "b") -> tuple[str, list]:
        """Rows whose UTC timestamp ``column`` falls on a China day inside."""
        if self.kind in DATED:
            return (f"{column} >= ? and {column} < ?",
                    [clock.day_start_utc(self.start, 0), clock.day_start_utc(self.end, 1)])
        return self.dated_sql(column, b)

    def feedback_filters(self) -> dict:
        """The flows page's filters that show the same items."""
        if self.kind == "batch":
            return {"batch": self.value}
        if self.kind in DATED:
            return {"period_from": self.start, "period_to": self.end}
        return {}

    def weeks(self, today: date) -> tuple[date, date] | None:
        """First and last day to chart week by week (None: the whole history, too long for weeks)."""
        if self.start is None:
            return None
        return self.start, min(self.end, today)


ALL = Period("all")


def year(value: int) -> Period:
    return Period("year", int(value), date(int(value), 1, 1), date(int(value), 12, 31))


def span(start: date, end: date) -> Period:
    """The days from ``start`` to ``end`` (a bulletin's month): people whose stint overlaps them, work dated in
    them, items raised and practices promoted in them."""
    return Period("span", f"{start.isoformat()}~{end.isoformat()}", start, end)


def month(first: date) -> Period:
    first = first.replace(day=1)
    return span(first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))


def options(store: Store, actor: Actor, today: date | None = None) -> list[Period]:
    """What a leader can pick: the whole programme, each year from this one back to the first intake, each
    batch (newest first)."""
    permissions.require(actor, "overview.read")
    today = today or clock.today()
    # Years in which some batch served (the programme has quiet years between intakes), and always this year.
    years = {today.year}
    for r in store.rows("select start_date, end_date from batches"):
        years.update(range(int(r["start_date"][:4]), min(int(r["end_date"][:4]), today.year) + 1))
    out = [ALL] + [year(y) for y in sorted(years, reverse=True)]
    out += [Period("batch", r["code"], date.fromisoformat(r["start_date"]), date.fromisoformat(r["end_date"]),
                   r["direction"])
            for r in store.rows("select code, direction, start_date, end_date from batches "
                                "order by start_date desc, code desc")]
    return out


def parse(store: Store, actor: Actor, key: str | None, today: date | None = None) -> Period:
    """The period a link names ("all", "year:2026", "batch:C5"); an unknown one is refused by name."""
    key = (key or "all").strip()
    for period in options(store, actor, today):
        if period.key == key:
            return period
    raise errors.NotFound("period", key[:40])


def previous(store: Store, actor: Actor, period: Period, today: date | None = None) -> tuple[Period, Period] | None:
    """The pair to compare: a year with the last year before it in which the programme ran, a batch with the
    batch before it in the same direction, the whole programme as this year against the last year before it.
    None when there is nothing before."""
    today = today or clock.today()
    offered = options(store, actor, today)
    if period.kind in ("all", "year"):
        now = year(today.year) if period.kind == "all" else period
        earlier = [p for p in offered if p.kind == "year" and int(p.value) < int(now.value)]
        return (now, earlier[0]) if earlier else None
    batches = [p for p in offered if p.kind == "batch" and p.direction == period.direction]
    batches.sort(key=lambda p: (p.start, str(p.value)))
    at = next(i for i, p in enumerate(batches) if p.key == period.key)
    return (period, batches[at - 1]) if at > 0 else None
