"""Aggregations for dashboards, done in SQL so they stay fast at tier L (never whole tables in pandas)."""
from __future__ import annotations

from datetime import date

import pandas as pd

from secondment import clock, feedback, permissions, roster, vocab
from secondment.db import Store
from secondment.permissions import Actor


def _frame(store: Store, sql: str, params=()) -> pd.DataFrame:
    rows = store.rows(sql, params)
    return pd.DataFrame(rows)


def headline(store: Store, actor: Actor, today: date | None = None) -> dict:
    """The programme's headline figures for the overview."""
    permissions.require(actor, "overview.read")
    active = f"{roster.status_sql(today or clock.today())} = 'active'"
    today = (today or clock.today()).isoformat()
    with store.read() as db:
        q = lambda sql, p=(): db.conn.execute(sql, p).fetchone()[0]
        return {
            "participants": q("select count(*) from participants"),
            "cadres": q("select count(*) from participants p join batches b on b.id = p.batch_id "
                        "where b.direction = 'cadre_to_enterprise'"),
            "talents": q("select count(*) from participants p join batches b on b.id = p.batch_id "
                         "where b.direction = 'talent_to_government'"),
            "cadre_batches": q("select count(*) from batches where direction = 'cadre_to_enterprise'"),
            "talent_batches": q("select count(*) from batches where direction = 'talent_to_government'"),
            "active": q(f"select count(*) from participants p where {active}"),
            "activities": q("select count(*) from activities"),
            "hours": q("select coalesce(sum(hours), 0) from activities"),
            "feedback": q("select count(*) from feedback"),
            "feedback_open": q(f"select count(*) from feedback f where {feedback.open_sql()}"),
            "feedback_overdue": q(f"select count(*) from feedback f where {feedback.overdue_sql(today='?')}", (today,)),
            "practices_promoted": q("select count(*) from practices where status = 'promoted'"),
            "enterprises": q("select count(distinct host_unit_id) from participants p join batches b "
                             "on b.id = p.batch_id where b.direction = 'cadre_to_enterprise'"),
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


def activities_by_role(store: Store, actor: Actor) -> pd.DataFrame:
    """Entries and hours per role; served by the covering (role, hours) index."""
    permissions.require(actor, "overview.read")
    return _frame(store, "select role, count(*) as entries, coalesce(sum(hours), 0) as hours "
                         "from activities group by role")


def feedback_by_status(store: Store, actor: Actor) -> pd.DataFrame:
    permissions.require(actor, "overview.read")
    return _frame(store, "select status, count(*) as items from feedback group by status")


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


def feedback_loop(store: Store, actor: Actor, today: date | None = None) -> dict:
    """Closed-loop figures for leadership: how much is closed, answered on time, and satisfied."""
    permissions.require(actor, "overview.read")
    today = (today or clock.today()).isoformat()
    row = store.one(f"""
        select count(*) as total,
               sum(case when {feedback.final_sql()} then 1 else 0 end) as closed,
               sum(case when f.answered_at is not null then 1 else 0 end) as answered,
               sum(case when {feedback.answered_on_time_sql()} then 1 else 0 end) as on_time,
               sum(case when f.evaluation is not null then 1 else 0 end) as evaluated,
               sum(case when {feedback.satisfied_sql()} then 1 else 0 end) as satisfied,
               sum(case when {feedback.overdue_sql(today='?')} then 1 else 0 end) as overdue
        from feedback f""", (today,))
    row = {k: (v or 0) for k, v in row.items()}
    pct = lambda a, b: round(100 * a / b) if b else None
    return {**row, "closed_pct": pct(row["closed"], row["total"]),
            "on_time_pct": pct(row["on_time"], row["answered"]),
            "satisfied_pct": pct(row["satisfied"], row["evaluated"])}


def promoted_practices(store: Store, actor: Actor, limit: int = 8) -> pd.DataFrame:
    permissions.require(actor, "overview.read")
    return _frame(store, """
        select pr.title, pr.summary, u.name as enterprise, b.code as batch
        from practices pr left join units u on u.id = pr.enterprise_id
        left join participants p on p.id = pr.participant_id left join batches b on b.id = p.batch_id
        where pr.status = 'promoted' order by coalesce(pr.promoted_at, pr.created_at) desc limit ?""", (limit,))
