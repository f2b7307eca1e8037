"""Aggregations for dashboards, done in SQL so they stay fast at tier L (never whole tables in pandas)."""
from __future__ import annotations

from datetime import date

import pandas as pd

from secondment import clock, periods, permissions, roster, vocab
from secondment.db import Store
from secondment.periods import Period
from secondment.permissions import Actor

BATCHES_SHOWN = 40   # a chart names each batch up to this many; beyond, it counts per intake year


def _frame(store: Store, sql: str, params=()) -> pd.DataFrame:
    """A dashboard aggregate as a frame, kept while the data is unchanged (``Store.cached_rows``)."""
    return pd.DataFrame(store.cached_rows(sql, params))


def headline(store: Store, actor: Actor, today: date | None = None, period: Period = periods.ALL,
             loop: dict | None = None) -> dict:
    """The programme's headline figures for the overview and the presentation, over ``period`` (the whole
    programme by default; see ``secondment.periods`` for what belongs to a year or a batch)."""
    permissions.require(actor, "overview.read")
    today = today or clock.today()
    active = f"{roster.status_sql(today)} = 'active'"
    people, people_params = period.people_sql()
    batches, batch_params = period.batches_sql()
    dated, dated_params = period.activities_sql()
    promoted, promoted_params = period.stamped_sql("pr.promoted_at")
    loop = loop or feedback_loop(store, actor, today, period, median=False)   # a caller may pass its own
    member = "from participants p join batches b on b.id = p.batch_id"
    # Each figure is kept while the data is unchanged: every dashboard and slide asks for them.
    q = lambda sql, p=(): next(iter(store.cached_one(sql, p).values()))
    pairs = lambda sql, p: {r["k"]: r["n"] for r in store.cached_rows(sql, p)}
    by_direction = pairs(f"select b.direction as k, count(*) as n {member} where {people} group by b.direction",
                         people_params)
    batch_counts = pairs(f"select b.direction as k, count(*) as n from batches b where {batches} "
                         f"group by b.direction", batch_params)
    # A batch's work is its members' work; a year's, the work dated in it (by anyone).
    work_join = "join participants p on p.id = a.participant_id join batches b on b.id = p.batch_id" \
        if period.kind == "batch" else ""
    work = list(store.cached_one(f"select count(*) as n, coalesce(sum(a.hours), 0) as h from activities a "
                                 f"{work_join} where {dated}", dated_params).values())
    practice_join = "left join participants p on p.id = pr.participant_id left join batches b on b.id = p.batch_id" \
        if period.kind == "batch" else ""
    return {
        "participants": sum(by_direction.values()),
        "cadres": by_direction.get(vocab.CADRE, 0),
        "talents": by_direction.get(vocab.TALENT, 0),
        "cadre_batches": batch_counts.get(vocab.CADRE, 0),
        "talent_batches": batch_counts.get(vocab.TALENT, 0),
        "active": q(f"select count(*) {member} where {people} and {active}", people_params),
        "activities": work[0],
        "hours": work[1],
        "feedback": loop["total"],
        "feedback_open": loop["open"],
        "feedback_overdue": loop["overdue"],
        "practices_promoted": q(f"select count(*) from practices pr {practice_join} "
                                f"where pr.status = 'promoted' and {promoted}", promoted_params),
        "enterprises": q(f"select count(distinct p.host_unit_id) {member} "
                         f"where b.direction = '{vocab.CADRE}' and {people}", people_params),
        "first_year": q("select min(intake_year) from batches"),  # None until a batch exists
    }


def participants_by_batch(store: Store, actor: Actor, today: date | None = None) -> pd.DataFrame:
    permissions.require(actor, "overview.read")
    status = roster.status_sql(today or clock.today())
    return _frame(store, f"""
        select b.code as batch, b.direction, b.intake_year, b.start_date, b.end_date,
               count(p.id) as participants,
               sum(case when p.id is not null and {status} = 'active' then 1 else 0 end) as active
        from batches b left join participants p on p.batch_id = b.id
        group by b.id order by b.start_date, b.code""")


def has_participants(store: Store, actor: Actor) -> bool:
    permissions.require(actor, "overview.read")
    return bool(store.scalar("select exists(select 1 from participants)"))


def batch_codes(store: Store, actor: Actor, period: Period = periods.ALL) -> list[str]:
    """The codes of the batches that belong to ``period``."""
    permissions.require(actor, "overview.read")
    where, params = period.batches_sql()
    return [r["code"] for r in store.rows(f"select b.code from batches b where {where}", params)]


def activities_by_role(store: Store, actor: Actor, period: Period = periods.ALL) -> pd.DataFrame:
    """Entries and hours per role over ``period``; the whole programme is served by the covering (role, hours)
    index."""
    permissions.require(actor, "overview.read")
    dated, params = period.activities_sql()
    join = "join participants p on p.id = a.participant_id join batches b on b.id = p.batch_id" \
        if period.kind == "batch" else ""
    return _frame(store, f"select a.role, count(*) as entries, coalesce(sum(a.hours), 0) as hours "
                         f"from activities a {join} where {dated} group by a.role", params)


def feedback_by_status(store: Store, actor: Actor, period: Period = periods.ALL) -> pd.DataFrame:
    """Items per status over ``period`` (raised in it; a batch's: its members')."""
    from secondment import flows

    permissions.require(actor, "overview.read")
    return pd.DataFrame(flows.status_counts(store, actor, **period.feedback_filters()), columns=["status", "items"])


def recent_activity_trend(store: Store, actor: Actor, since_week: str, until_week: str | None = None
                          ) -> pd.DataFrame:
    """Entries per week and role from ``since_week`` to ``until_week`` (this week by default; bounded, so it
    stays fast at any size). Every week of the span is there, a quiet one with no entries at zero, so "the last
    26 weeks" shows 26 weeks."""
    from secondment import activities

    permissions.require(actor, "overview.read")
    until_week = until_week or activities.week_of(clock.today())
    frame = _frame(store, "select week, role, count(*) as entries, sum(hours) as hours from activities "
                          "where week between ? and ? group by week, role order by week", (since_week, until_week))
    weeks, week = [], since_week
    while week <= until_week and len(weeks) < 520:
        weeks.append(week)
        week = activities.add_weeks(week, 1)
    seen = set(frame["week"]) if not frame.empty else set()
    quiet = [{"week": w, "role": vocab.ROLES[0], "entries": 0, "hours": 0.0} for w in weeks if w not in seen]
    if not quiet:
        return frame
    if frame.empty:
        return pd.DataFrame(quiet)
    return pd.concat([frame, pd.DataFrame(quiet)], ignore_index=True).sort_values("week", kind="stable") \
        .reset_index(drop=True)


def feedback_loop(store: Store, actor: Actor, today: date | None = None, period: Period = periods.ALL, *,
                  median: bool = True) -> dict:
    """Closed-loop figures for leadership over ``period``: the flows page's own summary for the same items
    (``median``: with the median working days to an answer, the one costly figure)."""
    from secondment import flows

    permissions.require(actor, "overview.read")
    return flows.loop_summary(store, actor, today=today or clock.today(), median=median, **period.feedback_filters())


def promoted_practices(store: Store, actor: Actor, limit: int = 8) -> pd.DataFrame:
    permissions.require(actor, "overview.read")
    return _frame(store, """
        select pr.title, pr.summary, u.name as enterprise, b.code as batch
        from practices pr left join units u on u.id = pr.enterprise_id
        left join participants p on p.id = pr.participant_id left join batches b on b.id = p.batch_id
        where pr.status = 'promoted' order by coalesce(pr.promoted_at, pr.created_at) desc limit ?""", (limit,))
