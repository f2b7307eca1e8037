"""Aggregations for dashboards, done in SQL so they stay fast at tier L (never whole tables in pandas)."""
from __future__ import annotations

from datetime import date

import pandas as pd

from secondment import permissions
from secondment.db import Store
from secondment.permissions import Actor


def _frame(store: Store, sql: str, params=()) -> pd.DataFrame:
    rows = store.rows(sql, params)
    return pd.DataFrame(rows)


def headline(store: Store, actor: Actor, today: date | None = None) -> dict:
    """The programme's headline figures for the overview."""
    permissions.require(actor, "overview.read")
    today = (today or date.today()).isoformat()
    with store.read() as db:
        q = lambda sql, p=(): db.conn.execute(sql, p).fetchone()[0]  # noqa: E731
        return {
            "participants": q("select count(*) from participants"),
            "cadres": q("select count(*) from participants p join batches b on b.id = p.batch_id "
                        "where b.direction = 'cadre_to_enterprise'"),
            "talents": q("select count(*) from participants p join batches b on b.id = p.batch_id "
                         "where b.direction = 'talent_to_government'"),
            "cadre_batches": q("select count(*) from batches where direction = 'cadre_to_enterprise'"),
            "talent_batches": q("select count(*) from batches where direction = 'talent_to_government'"),
            "active": q("select count(*) from participants where status = 'active' "
                        "and start_date <= ? and end_date >= ?", (today, today)),
            "activities": q("select count(*) from activities"),
            "hours": q("select coalesce(sum(hours), 0) from activities"),
            "feedback": q("select count(*) from feedback"),
            "feedback_open": q("select count(*) from feedback where status in ('submitted','accepted','in_progress')"),
            "feedback_overdue": q("select count(*) from feedback where status in ('submitted','accepted',"
                                  "'in_progress') and due_date < ?", (today,)),
            "practices_promoted": q("select count(*) from practices where status = 'promoted'"),
            "enterprises": q("select count(distinct host_unit_id) from participants p join batches b "
                             "on b.id = p.batch_id where b.direction = 'cadre_to_enterprise'"),
        }


def participants_by_batch(store: Store, actor: Actor) -> pd.DataFrame:
    permissions.require(actor, "overview.read")
    return _frame(store, """
        select b.code as batch, b.direction, b.intake_year, b.start_date, b.end_date,
               count(p.id) as participants,
               sum(case when p.status = 'active' then 1 else 0 end) as active
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


def recent_activity_trend(store: Store, actor: Actor, since_week: str) -> pd.DataFrame:
    """Entries per week and role since a week (bounded, so it stays fast at any size)."""
    permissions.require(actor, "overview.read")
    return _frame(store, "select week, role, count(*) as entries, sum(hours) as hours from activities "
                         "where week >= ? group by week, role order by week", (since_week,))
