"""Who is logging, who has gone quiet, who neglects a role: coverage and role balance in SQL.

Every query is bounded by a range of weeks (served by the (week, participant_id, role, hours) index)
or a participant set (served by (participant_id, week)), so the whole activities table is never
loaded; pandas only arranges the small aggregated results (participants × weeks or × roles).
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from secondment import activities, clock, leave, permissions, roster, textsort, vocab
from secondment.activities import add_weeks, week_of, week_span
from secondment.db import Store, Where
from secondment.permissions import Actor

# "pending": this week, nothing logged yet, and the week is not over: not (yet) missing.
# "leave": every working day of the week is approved leave (secondment.leave): not missing.
CELL_STATES = ("approved", "submitted", "returned", "logged", "leave", "pending", "missing", "outside")
MAP_MOST_WEEKS = 26
QUIET_SPANS = (1, 2, 4)
BALANCE_WEEKS = 8


def _today(today: date | None) -> date:
    return today or clock.today()


def _people(store: Store, *, batch=None, direction=None, active_only=True, week_from=None,
            week_to=None, today: date | None = None) -> pd.DataFrame:
    """Participants (with batch, direction, stint weeks), sorted by pinyin. With a week range: those whose
    stint overlaps it."""
    where = Where().add("p.status != 'planned'")
    if active_only:
        where.add(f"{roster.status_sql(_today(today))} = 'active'")
    where.eq("b.code", batch).eq("b.direction", direction)
    where.at_least("p.end_date", week_from and activities.monday(week_from).isoformat())
    where.at_most("p.start_date", week_to and (activities.monday(week_to) + timedelta(days=6)).isoformat())
    rows = store.rows(f"""
        select p.id as participant_id, p.name, b.code as batch, b.direction, p.start_date, p.end_date,
               p.status, u.name as host_unit
        from participants p join batches b on b.id = p.batch_id left join units u on u.id = p.host_unit_id
        where {where.sql}""", where.params)
    frame = pd.DataFrame(rows, columns=["participant_id", "name", "batch", "direction", "start_date", "end_date",
                                        "status", "host_unit"])
    if frame.empty:
        return frame
    frame["start_week"] = frame["start_date"].map(lambda d: week_of(date.fromisoformat(d[:10])))
    frame["end_week"] = frame["end_date"].map(lambda d: week_of(date.fromisoformat(d[:10])))
    frame["_key"] = frame["name"].map(textsort.pinyin_key)
    return frame.sort_values(["_key", "participant_id"]).drop(columns="_key").reset_index(drop=True)


def _id_list(ids) -> tuple[str, list]:
    ids = [int(i) for i in ids]
    return ", ".join("?" for _ in ids), ids


# --- coverage -----------------------------------------------------------------------------------------

def coverage_matrix(store: Store, actor: Actor, *, weeks: int = 12, today: date | None = None,
                    batch: str | None = None, direction: str | None = None, week_from: str | None = None,
                    week_to: str | None = None) -> pd.DataFrame:
    """Active secondees × weeks, one row per cell: the weeks ``week_from``–``week_to`` (at most the last
    ``MAP_MOST_WEEKS`` of them), or else the last ``weeks`` weeks, this week included.

    ``state`` of a cell: approved / submitted / returned (its review), else logged (≥1 entry, not submitted),
    else pending (this week, which is not over yet), else missing (inside the stint, nothing logged), else
    outside (before or after the stint).
    """
    permissions.require(actor, "coverage.read")
    this_week = week_of(_today(today))
    if week_from and week_to:
        span = week_span(min(week_from, week_to), min(max(week_from, week_to), this_week))[-MAP_MOST_WEEKS:]
    else:
        span = week_span(add_weeks(this_week, -(weeks - 1)), this_week)
    columns = ["participant_id", "name", "batch", "direction", "week", "entries", "hours", "state", "comment"]
    people = _people(store, batch=batch, direction=direction, today=today)
    if people.empty:
        return pd.DataFrame(columns=columns)
    marks, ids = _id_list(people["participant_id"])
    counts = {(r["participant_id"], r["week"]): r for r in store.rows(
        f"select participant_id, week, count(*) as entries, sum(hours) as hours from activities "
        f"where week between ? and ? and participant_id in ({marks}) group by week, participant_id",
        [span[0], span[-1], *ids])}
    reviews = {(r["participant_id"], r["week"]): r for r in store.rows(
        f"select participant_id, week, state, comment from week_reviews "
        f"where week between ? and ? and participant_id in ({marks})", [span[0], span[-1], *ids])}
    on_leave = leave.leave_weeks(store, ids, span[0], span[-1])
    out = []
    for person in people.itertuples(index=False):
        for week in span:
            c = counts.get((person.participant_id, week))
            r = reviews.get((person.participant_id, week))
            entries = c["entries"] if c else 0
            if r and r["state"] in ("approved", "submitted", "returned"):
                state = r["state"]
            elif entries:
                state = "logged"
            elif (person.participant_id, week) in on_leave:
                state = "leave"
            elif person.start_week <= week <= person.end_week:
                state = "pending" if week == this_week else "missing"
            else:
                state = "outside"
            out.append({"participant_id": person.participant_id, "name": person.name, "batch": person.batch,
                        "direction": person.direction, "week": week, "entries": entries,
                        "hours": float(c["hours"]) if c else 0.0, "state": state,
                        "comment": r["comment"] if r else None})
    return pd.DataFrame(out, columns=columns)


def coverage_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Cells per state and week (the counts under the heat map)."""
    if matrix.empty:
        return pd.DataFrame(columns=["week", *CELL_STATES])
    table = matrix.pivot_table(index="week", columns="state", values="participant_id", aggfunc="count",
                               fill_value=0)
    return table.reindex(columns=list(CELL_STATES), fill_value=0).reset_index()


def quiet_list(store: Store, actor: Actor, *, today: date | None = None, batch: str | None = None,
               direction: str | None = None, spans=QUIET_SPANS) -> pd.DataFrame:
    """Active secondees who logged nothing in the last 1, 2 or 4 complete weeks (this week not counted).

    ``quiet_<n>`` is True when the participant's stint covered all of those n weeks and none has an
    entry; ``quiet_weeks`` counts consecutive complete weeks without an entry (up to the largest span).
    """
    permissions.require(actor, "coverage.read")
    this_week = week_of(_today(today))
    longest = max(spans)
    window = week_span(add_weeks(this_week, -longest), add_weeks(this_week, -1))
    columns = ["participant_id", "name", "batch", "direction", "host_unit", "last_week", "last_date",
               "quiet_weeks", *[f"quiet_{n}" for n in spans]]
    people = _people(store, batch=batch, direction=direction, today=today)
    if people.empty:
        return pd.DataFrame(columns=columns)
    marks, ids = _id_list(people["participant_id"])
    logged = {(r["participant_id"], r["week"]) for r in store.cached_rows(
        f"select distinct participant_id, week from activities where week between ? and ? "
        f"and participant_id in ({marks})", [window[0], window[-1], *ids])}
    last = {r["participant_id"]: r for r in store.cached_rows(
        f"select participant_id, max(week) as last_week from activities where participant_id in ({marks}) "
        f"group by participant_id", ids)}
    last_dates = {r["participant_id"]: r["last_date"] for r in store.cached_rows(
        f"select a.participant_id, max(a.date) as last_date from activities a join "
        f"(select participant_id, max(week) as week from activities where participant_id in ({marks}) "
        f"group by participant_id) m on m.participant_id = a.participant_id and m.week = a.week "
        f"group by a.participant_id", ids)}
    on_leave = leave.leave_weeks(store, ids, window[0], window[-1])
    out = []
    for person in people.itertuples(index=False):
        row = {"participant_id": person.participant_id, "name": person.name, "batch": person.batch,
               "direction": person.direction, "host_unit": person.host_unit,
               "last_week": (last.get(person.participant_id) or {}).get("last_week"),
               "last_date": last_dates.get(person.participant_id)}
        # A week of approved leave is neither quiet nor logged: it is passed over, not counted.
        quiet_weeks = 0
        for k in range(1, longest + 1):
            week = add_weeks(this_week, -k)
            if week < person.start_week or (person.participant_id, week) in logged:
                break
            if (person.participant_id, week) not in on_leave:
                quiet_weeks += 1
        row["quiet_weeks"] = quiet_weeks
        for n in spans:
            row[f"quiet_{n}"] = quiet_weeks >= n
        out.append(row)
    return pd.DataFrame(out, columns=columns)


# --- role balance ---------------------------------------------------------------------------------------

def _roles(direction: str | None) -> tuple[str, ...]:
    return vocab.ROLES_BY_DIRECTION[direction] if direction else vocab.ROLES


def role_balance(store: Store, actor: Actor, *, week_from: str, week_to: str, batch: str | None = None,
                 direction: str | None = None, today: date | None = None,
                 flag_weeks: int = BALANCE_WEEKS) -> pd.DataFrame:
    """Participant × role entries and hours for the period [week_from, week_to], one row per pair,
    for everyone whose stint overlaps the period (roles of their own direction only).

    ``flagged`` marks a role with no entry in the last ``flag_weeks`` weeks (this week included) for a
    participant active now whose stint began before that window.
    """
    permissions.require(actor, "coverage.read")
    columns = ["participant_id", "name", "batch", "direction", "role", "entries", "hours", "recent_entries",
               "flagged"]
    people = _people(store, batch=batch, direction=direction, active_only=False, week_from=week_from,
                     week_to=week_to)
    if people.empty:
        return pd.DataFrame(columns=columns)
    marks, ids = _id_list(people["participant_id"])
    period = {(r["participant_id"], r["role"]): r for r in store.rows(
        f"select participant_id, role, count(*) as entries, sum(hours) as hours from activities "
        f"where week between ? and ? and participant_id in ({marks}) group by participant_id, role",
        [week_from, week_to, *ids])}
    this_week = week_of(_today(today))
    window_start = add_weeks(this_week, -(flag_weeks - 1))
    recent = {(r["participant_id"], r["role"]): r["entries"] for r in store.rows(
        f"select participant_id, role, count(*) as entries from activities "
        f"where week between ? and ? and participant_id in ({marks}) group by participant_id, role",
        [window_start, this_week, *ids])}
    out = []
    for person in people.itertuples(index=False):
        judged = person.status == "active" and person.start_week <= window_start
        for role in vocab.ROLES_BY_DIRECTION[person.direction]:
            p = period.get((person.participant_id, role))
            n_recent = recent.get((person.participant_id, role), 0)
            out.append({"participant_id": person.participant_id, "name": person.name, "batch": person.batch,
                        "direction": person.direction, "role": role, "entries": p["entries"] if p else 0,
                        "hours": float(p["hours"]) if p else 0.0, "recent_entries": n_recent,
                        "flagged": bool(judged and n_recent == 0)})
    return pd.DataFrame(out, columns=columns)


def balance_matrix(balance: pd.DataFrame, value: str = "entries") -> pd.DataFrame:
    """Wide form of ``role_balance``: one row per participant, one column per role."""
    if balance.empty:
        return pd.DataFrame()
    wide = balance.pivot_table(index=["participant_id", "name", "batch"], columns="role", values=value,
                               aggfunc="sum", sort=False)
    roles = [r for r in vocab.ROLES if r in wide.columns]
    return wide[roles].reset_index()


def flagged(balance: pd.DataFrame) -> pd.DataFrame:
    """Participants with at least one neglected role, and which roles."""
    if balance.empty:
        return pd.DataFrame(columns=["participant_id", "name", "batch", "direction", "roles"])
    rows = balance[balance["flagged"]]
    return (rows.groupby(["participant_id", "name", "batch", "direction"], sort=False)["role"]
            .apply(list).rename("roles").reset_index())


def batch_balance(store: Store, actor: Actor, *, week_from: str, week_to: str, direction: str | None = None,
                  today: date | None = None) -> pd.DataFrame:
    """The role balance per batch: entries, hours, participants and how many are flagged, per role."""
    balance = role_balance(store, actor, week_from=week_from, week_to=week_to, direction=direction, today=today)
    columns = ["batch", "direction", "role", "entries", "hours", "participants", "flagged"]
    if balance.empty:
        return pd.DataFrame(columns=columns)
    out = (balance.groupby(["batch", "direction", "role"], sort=False)
           .agg(entries=("entries", "sum"), hours=("hours", "sum"), participants=("participant_id", "nunique"),
                flagged=("flagged", "sum"))
           .reset_index())
    out["flagged"] = out["flagged"].astype(int)
    return out[columns]


# --- over time ---------------------------------------------------------------------------------------------

def trend(store: Store, actor: Actor, *, week_from: str, week_to: str, batch: str | None = None,
          direction: str | None = None, split: str = "role") -> pd.DataFrame:
    """Entries and hours per week, split by ``role``, ``batch`` or ``direction``, for a week range."""
    permissions.require(actor, "coverage.read")
    if split not in ("role", "batch", "direction"):
        raise ValueError(split)
    group = {"role": "a.role", "batch": "b.code", "direction": "b.direction"}[split]
    where, params = ["a.week between ? and ?"], [week_from, week_to]
    if batch:
        where.append("b.code = ?"); params.append(batch)
    if direction:
        where.append("b.direction = ?"); params.append(direction)
    rows = store.rows(f"""
        select a.week, {group} as {split}, count(*) as entries, coalesce(sum(a.hours), 0) as hours
        from activities a join participants p on p.id = a.participant_id join batches b on b.id = p.batch_id
        where {' and '.join(where)} group by a.week, {group} order by a.week""", params)
    return pd.DataFrame(rows, columns=["week", split, "entries", "hours"])
