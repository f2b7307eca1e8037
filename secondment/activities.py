"""Weekly activity logging under the four roles (cadres) or three categories (talents), and its review.

A secondee logs entries for an ISO week inside their stint, edits them until the week is submitted,
then submits it; a reviewer approves it or returns it with a comment, and a returned week can be
corrected and submitted again. Every write goes through ``audit`` and every call names the actor.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

import pandas as pd

from secondment import audit, clock, i18n, permissions, textsort, validation, vocab
from secondment.db import Store, Where, search_text
from secondment.errors import Conflict, NotFound, ValidationError, ValidationErrors
from secondment.permissions import Actor

LOCKED_STATES = ("submitted", "approved")
REVIEW_DECISIONS = ("approve", "return")
MAX_LIMIT = 100_000


# --- weeks ---------------------------------------------------------------------------------------

def week_of(day: date) -> str:
    return validation.iso_week(day)


def monday(week: str) -> date:
    return validation.parse_week("week", week)[0]


def add_weeks(week: str, n: int) -> str:
    return week_of(monday(week) + timedelta(weeks=n))


@functools.lru_cache(maxsize=16384)        # a week picker names every week since 2010 on every run
def week_label(week: str, lang: str) -> str:
    """A week as people read it: 2026-W48（11-23 至 11-29） / 2026-W48 (11-23 to 11-29)."""
    mon = monday(week)
    return i18n.translate(lang, "week.week_label", week=week, start=mon.strftime("%m-%d"),
                          end=(mon + timedelta(days=6)).strftime("%m-%d"))


def weeks_back_to(first_day, today: date | None = None) -> list[str]:
    """Every ISO week from the one holding ``first_day`` (a date or ISO text; None = a year ago) to this week,
    newest first: the choices of a week picker."""
    today = today or clock.today()
    first = date.fromisoformat(str(first_day)[:10]) if first_day else today - timedelta(weeks=52)
    return list(reversed(week_span(week_of(min(first, today)), week_of(today))))


def week_span(week_from: str, week_to: str) -> list[str]:
    """Every ISO week from ``week_from`` to ``week_to`` inclusive, oldest first."""
    start, end = monday(week_from), monday(week_to)
    out = []
    while start <= end:
        out.append(week_of(start))
        start += timedelta(weeks=1)
    return out


def allowed_weeks(participant: dict, today: date | None = None) -> list[str]:
    """The weeks a participant may log: inside the stint and not after this week, newest first."""
    today = today or clock.today()
    start = validation.parse_date("start_date", participant["start_date"])
    end = min(validation.parse_date("end_date", participant["end_date"]), today)
    if end < start:
        return []
    return list(reversed(week_span(week_of(start), week_of(end))))


# --- participants ------------------------------------------------------------------------------------

_PARTICIPANT_SQL = """
    select p.id, p.name, p.start_date, p.end_date, p.status, p.batch_id, p.host_unit_id, p.home_unit_id,
           b.code as batch, b.direction, h.name as host_unit
    from participants p join batches b on b.id = p.batch_id left join units h on h.id = p.host_unit_id
"""


def participant(store: Store, actor: Actor, participant_id: int) -> dict:
    """One participant with batch, direction and host unit (secondees: only themselves)."""
    permissions.require(actor, "activity.read", {"participant_id": participant_id})
    row = store.one(_PARTICIPANT_SQL + " where p.id = ?", (participant_id,))
    if row is None:
        raise NotFound("participant", participant_id)
    return row


def participants(store: Store, actor: Actor, *, batch: str | None = None, direction: str | None = None,
                 active_only: bool = False) -> list[dict]:
    """Participants for choosers, sorted by pinyin; a secondee sees only themselves."""
    own = permissions.scope(actor, "activity.read")
    where = Where().eq("p.id", own and own["participant_id"]).eq("b.code", batch).eq("b.direction", direction)
    if active_only:
        from secondment import roster

        where.add(f"{roster.status_sql(clock.today())} = 'active'")
    rows = store.rows(_PARTICIPANT_SQL + " where " + where.sql, where.params)
    return sorted(rows, key=lambda r: (textsort.pinyin_key(r["name"]), r["id"]))


def batches(store: Store, actor: Actor) -> list[dict]:
    permissions.require(actor, "activity.read")
    return store.rows("select code, direction, start_date, end_date from batches order by direction, start_date, code")


# --- reading entries -------------------------------------------------------------------------------------

def fts_phrase(text: str) -> str:
    """A quoted FTS5 phrase: the trigram tokenizer then matches the text anywhere, Chinese included."""
    return '"' + text.replace('"', '""') + '"'


def _entry_filters(actor: Actor, *, participant_id=None, batch=None, direction=None, role=None,
                   week_from=None, week_to=None, state=None, text=None) -> tuple[str, list]:
    own = permissions.scope(actor, "activity.read")
    where = (Where()
             .eq("a.participant_id", own and own["participant_id"])
             .eq("a.participant_id", None if participant_id is None else int(participant_id))
             .eq("b.code", batch).eq("b.direction", direction).among("a.role", role)
             .at_least("a.week", week_from and validation.normalise_text(week_from).upper())
             .at_most("a.week", week_to and validation.normalise_text(week_to).upper())
             .among("coalesce(r.state, 'not_submitted')", state))
    text = search_text(text)
    if text:
        if len(text) >= 3:
            where.add("a.id in (select rowid from activities_fts where activities_fts match ?)", fts_phrase(text))
        else:  # trigram needs three characters; one or two are found with LIKE
            where.contains(["a.title", "coalesce(a.description, '')"], text)
    return where.build()


_ENTRY_FROM = """
    from activities a
    join participants p on p.id = a.participant_id
    join batches b on b.id = p.batch_id
    left join week_reviews r on r.participant_id = a.participant_id and r.week = a.week
"""


def list_entries(store: Store, actor: Actor, *, participant_id=None, batch=None, direction=None, role=None,
                 week_from=None, week_to=None, state=None, text=None, limit: int | None = 500,
                 offset: int = 0) -> tuple[list[dict], int]:
    """Entries matching the filters (newest first) and how many match in all.

    A secondee sees only their own. ``text`` searches titles and descriptions (FTS5 trigram for three
    characters or more, so Chinese phrases are found inside a description; LIKE for one or two).
    """
    clause, params = _entry_filters(actor, participant_id=participant_id, batch=batch, direction=direction,
                                    role=role, week_from=week_from, week_to=week_to, state=state, text=text)
    total = store.scalar(f"select count(*) {_ENTRY_FROM} where {clause}", params)
    limit = MAX_LIMIT if limit is None else max(0, min(int(limit), MAX_LIMIT))
    rows = store.rows(
        f"""select a.id, a.participant_id, p.name, b.code as batch, b.direction, a.week, a.date, a.role,
                   a.title, a.description, a.hours, a.outcome, coalesce(r.state, 'not_submitted') as state,
                   a.created_at, a.updated_at
            {_ENTRY_FROM} where {clause}
            order by a.week desc, a.date desc, a.id desc limit ? offset ?""",
        [*params, limit, max(0, int(offset))])
    return rows, total


def get_entry(store: Store, actor: Actor, entry_id: int) -> dict:
    row = store.one("select * from activities where id = ?", (entry_id,))
    if row is None:
        raise NotFound("activity", entry_id)
    permissions.require(actor, "activity.read", {"participant_id": row["participant_id"]})
    return row


def week_entries(store: Store, actor: Actor, participant_id: int, week: str) -> list[dict]:
    permissions.require(actor, "activity.read", {"participant_id": participant_id})
    return store.rows("select * from activities where participant_id = ? and week = ? order by date, id",
                      (participant_id, week))


# --- week state ---------------------------------------------------------------------------------------------

def _state_row(db, participant_id: int, week: str) -> dict | None:
    row = db.conn.execute("select * from week_reviews where participant_id = ? and week = ?",
                          (participant_id, week)).fetchone()
    return dict(row) if row else None


def week_state(store: Store, actor: Actor, participant_id: int, week: str) -> dict:
    """The week's review state (``not_submitted`` when there is no row), comment, entries and hours."""
    permissions.require(actor, "activity.read", {"participant_id": participant_id})
    week = _week(week)
    row = store.one("select * from week_reviews where participant_id = ? and week = ?", (participant_id, week))
    counts = store.one("select count(*) as entries, coalesce(sum(hours), 0) as hours from activities "
                       "where participant_id = ? and week = ?", (participant_id, week))
    out = {"participant_id": participant_id, "week": week, "state": "not_submitted", "comment": None,
           "submitted_at": None, "reviewed_at": None, "reviewed_by": None, **counts}
    if row:
        out.update({k: row[k] for k in ("state", "comment", "submitted_at", "reviewed_at", "reviewed_by")})
    out["editable"] = out["state"] not in LOCKED_STATES
    return out


def _week(value) -> str:
    monday_, _ = validation.parse_week("week", value)
    return week_of(monday_)


def _check_unlocked(db, participant_id: int, week: str) -> None:
    row = _state_row(db, participant_id, week)
    if row and row["state"] in LOCKED_STATES:
        raise Conflict("error.week_locked", week=week)


# --- writing entries ------------------------------------------------------------------------------------------

def _load_participant(db, participant_id) -> dict:
    row = db.conn.execute(_PARTICIPANT_SQL + " where p.id = ?", (participant_id,)).fetchone()
    if row is None:
        raise NotFound("participant", participant_id)
    return dict(row)


def _clean_entry(person: dict, values: dict, *, week: str | None, today: date) -> dict:
    """Validate every field at once; all problems are reported together."""
    errors: list[ValidationError] = []
    clean: dict = {}

    def check(name, fn):
        try:
            clean[name] = fn()
        except ValidationError as error:
            errors.append(error)

    check("date", lambda: validation.parse_date("date", values.get("date")))
    day = clean.get("date")
    if day is not None:
        try:
            validation.within("date", day, person["start_date"], person["end_date"], "outside_stint")
            if day > today:
                raise ValidationError("date", day.isoformat(), "in_future")
            if week:
                start, end = validation.parse_week("week", week)
                validation.within("date", day, start, end, "outside_week")
        except ValidationError as error:
            errors.append(error)
    check("role", lambda: validation.role_for_direction(values.get("role"), person["direction"]))
    check("title", lambda: validation.text("title", values.get("title")))
    check("description", lambda: validation.text("description", values.get("description"), required=False))
    check("hours", lambda: validation.hours(values.get("hours")))
    check("outcome", lambda: validation.text("outcome", values.get("outcome"), required=False))
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    clean["week"] = week_of(clean["date"])
    clean["date"] = clean["date"].isoformat()
    return clean


def add_entry(store: Store, actor: Actor, participant_id: int, *, date=None, role=None, title=None,
              description=None, hours=None, outcome=None, week: str | None = None,
              today: date | None = None) -> int:
    """Log one entry. Refused for someone else (unless admin), outside the stint, in the future, outside
    the chosen ``week``, for a role of the other direction, or when the week is submitted or approved."""
    permissions.require(actor, "activity.write", {"participant_id": participant_id})
    today = today or _today()
    week = _week(week) if week else None
    with store.write() as db:
        person = _load_participant(db, participant_id)
        clean = _clean_entry(person, {"date": date, "role": role, "title": title, "description": description,
                                      "hours": hours, "outcome": outcome}, week=week, today=today)
        _check_unlocked(db, participant_id, clean["week"])
        stamp = clock.stamp()
        return audit.insert(db, actor, "activities", {
            "participant_id": participant_id, **clean,
            "created_by": actor.user_id, "created_at": stamp, "updated_by": actor.user_id, "updated_at": stamp,
        })


def update_entry(store: Store, actor: Actor, entry_id: int, *, week: str | None = None,
                 today: date | None = None, **changes) -> dict:
    """Change an entry of an unsubmitted (or returned) week; the same checks as ``add_entry``."""
    unknown = set(changes) - {"date", "role", "title", "description", "hours", "outcome"}
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    today = today or _today()
    week = _week(week) if week else None
    with store.write() as db:
        current = audit.get(db, "activities", entry_id)
        if current is None:
            raise NotFound("activity", entry_id)
        permissions.require(actor, "activity.write", {"participant_id": current["participant_id"]})
        _check_unlocked(db, current["participant_id"], current["week"])
        person = _load_participant(db, current["participant_id"])
        merged = {k: current[k] for k in ("date", "role", "title", "description", "hours", "outcome")}
        merged.update(changes)
        clean = _clean_entry(person, merged, week=week, today=today)
        if clean["week"] != current["week"]:
            _check_unlocked(db, current["participant_id"], clean["week"])
        return audit.update(db, actor, "activities", entry_id,
                            {**clean, "updated_by": actor.user_id, "updated_at": clock.stamp()})


def delete_entry(store: Store, actor: Actor, entry_id: int) -> dict:
    with store.write() as db:
        current = audit.get(db, "activities", entry_id)
        if current is None:
            raise NotFound("activity", entry_id)
        permissions.require(actor, "activity.write", {"participant_id": current["participant_id"]})
        _check_unlocked(db, current["participant_id"], current["week"])
        if db.conn.execute("select 1 from practices where activity_id = ?", (entry_id,)).fetchone():
            raise Conflict("error.entry_has_practice")
        return audit.delete(db, actor, "activities", entry_id)


def _today() -> date:
    return clock.today()


# --- submitting and reviewing ------------------------------------------------------------------------------

def submit_week(store: Store, actor: Actor, participant_id: int, week: str) -> dict:
    """Submit a week with at least one entry; a returned week may be submitted again."""
    permissions.require(actor, "week.submit", {"participant_id": participant_id})
    week = _week(week)
    with store.write() as db:
        _load_participant(db, participant_id)
        entries = db.conn.execute("select count(*) from activities where participant_id = ? and week = ?",
                                  (participant_id, week)).fetchone()[0]
        if entries == 0:
            raise Conflict("error.week_empty", week=week)
        row = _state_row(db, participant_id, week)
        stamp = clock.stamp()
        values = {"state": "submitted", "submitted_at": stamp, "submitted_by": actor.user_id}
        if row is None:
            audit.insert(db, actor, "week_reviews", {"participant_id": participant_id, "week": week, **values},
                         action="submit")
        elif row["state"] in LOCKED_STATES:
            raise Conflict("error.week_locked", week=week)
        else:
            audit.update(db, actor, "week_reviews", (participant_id, week), values, action="submit")
    return week_state(store, actor, participant_id, week)


def review_week(store: Store, actor: Actor, participant_id: int, week: str, decision: str,
                comment: str | None = None) -> dict:
    """Approve a submitted week, or return it with a comment saying what to correct."""
    permissions.require(actor, "week.review")
    week = _week(week)
    if decision not in REVIEW_DECISIONS:
        raise ValidationError("decision", decision, "unknown_code", allowed=" / ".join(REVIEW_DECISIONS))
    comment = validation.text("comment", comment, required=decision == "return")
    with store.write() as db:
        row = _state_row(db, participant_id, week)
        if row is None or row["state"] != "submitted":
            raise Conflict("error.week_not_submitted", week=week)
        audit.update(db, actor, "week_reviews", (participant_id, week), {
            "state": "approved" if decision == "approve" else "returned", "reviewed_at": clock.stamp(),
            "reviewed_by": actor.user_id, "comment": comment,
        }, action=decision)
    return week_state(store, actor, participant_id, week)


MAX_BULK_APPROVALS = 200


def approve_weeks(store: Store, actor: Actor, weeks, comment: str | None = None) -> int:
    """Approve several submitted weeks (``[(participant_id, week), …]``) at once, all or none: when one of
    them is no longer waiting (someone else decided it meanwhile), nothing is approved and the error names
    it. Returns how many were approved."""
    permissions.require(actor, "week.review")
    weeks = [(int(pid), _week(week)) for pid, week in weeks]
    if not weeks:
        raise ValidationError("weeks", "", "required")
    if len(weeks) > MAX_BULK_APPROVALS:
        raise ValidationError("weeks", len(weeks), "too_many", most=MAX_BULK_APPROVALS)
    comment = validation.text("comment", comment, required=False)
    stamp = clock.stamp()
    with store.write() as db:
        for participant_id, week in dict.fromkeys(weeks):
            row = _state_row(db, participant_id, week)
            if row is None or row["state"] != "submitted":
                raise Conflict("error.week_not_submitted", week=week)
            audit.update(db, actor, "week_reviews", (participant_id, week), {
                "state": "approved", "reviewed_at": stamp, "reviewed_by": actor.user_id, "comment": comment,
            }, action="approve")
    return len(dict.fromkeys(weeks))


def my_weeks(store: Store, actor: Actor, participant_id: int | None = None, *, count: int = 12,
             today: date | None = None) -> list[dict]:
    """The participant's most recent stint weeks (newest first) with entries, hours, state and comment.

    A secondee always gets their own; an admin or reviewer names the participant."""
    if participant_id is None:
        participant_id = actor.participant_id
    if participant_id is None:
        raise ValidationError("participant", None, "required")
    person = participant(store, actor, participant_id)
    weeks = allowed_weeks(person, today)[:count]
    if not weeks:
        return []
    lo, hi = weeks[-1], weeks[0]
    counts = {r["week"]: r for r in store.rows(
        "select week, count(*) as entries, sum(hours) as hours from activities "
        "where participant_id = ? and week between ? and ? group by week", (participant_id, lo, hi))}
    reviews = {r["week"]: r for r in store.rows(
        "select week, state, comment, submitted_at, reviewed_at from week_reviews "
        "where participant_id = ? and week between ? and ?", (participant_id, lo, hi))}
    out = []
    for week in weeks:
        c, r = counts.get(week, {}), reviews.get(week, {})
        out.append({"week": week, "entries": c.get("entries", 0), "hours": c.get("hours") or 0.0,
                    "state": r.get("state", "not_submitted"), "comment": r.get("comment"),
                    "submitted_at": r.get("submitted_at"), "reviewed_at": r.get("reviewed_at")})
    return out


def list_weeks(store: Store, actor: Actor, *, state: str | list | None = "submitted", participant_id=None,
               batch=None, direction=None, week_from=None, week_to=None, limit: int = 500) -> list[dict]:
    """Submitted weeks (the review queue), oldest submission first, or reviewed ones, newest review first
    (the ``limit`` kept is the newest at a national scale, not the oldest), with entries and hours."""
    permissions.require(actor, "week.review")
    states = [state] if isinstance(state, str) else list(state or [])
    reviewed = bool(states) and all(s in ("approved", "returned") for s in states)
    order = "r.reviewed_at desc, r.week desc, p.name" if reviewed else "r.submitted_at, r.week, p.name"
    where, params = (Where().among("r.state", state)
                     .eq("r.participant_id", None if participant_id is None else int(participant_id))
                     .eq("b.code", batch).eq("b.direction", direction)
                     .at_least("r.week", week_from).at_most("r.week", week_to)).build()
    return store.rows(f"""
        select r.participant_id, p.name, b.code as batch, b.direction, r.week, r.state, r.comment,
               r.submitted_at, r.reviewed_at,
               (select count(*) from activities a where a.participant_id = r.participant_id
                   and a.week = r.week) as entries,
               (select coalesce(sum(hours), 0) from activities a where a.participant_id = r.participant_id
                   and a.week = r.week) as hours
        from week_reviews r join participants p on p.id = r.participant_id join batches b on b.id = p.batch_id
        where {where}
        order by {order} limit ?""", [*params, limit])


# --- export --------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("name", "batch", "direction", "week", "date", "role", "title", "description", "hours",
                  "outcome", "state")
_EXPORT_LABELS = {"name": "field.participant", "batch": "field.batch", "direction": "field.direction",
                  "week": "field.week", "date": "field.date", "role": "field.role", "title": "field.title",
                  "description": "field.description", "hours": "field.hours", "outcome": "field.outcome",
                  "state": "field.week_state"}


def labelled(rows: list[dict], lang: str) -> pd.DataFrame:
    """Entries as a table with the user's column names and labels instead of codes."""
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    frame["direction"] = frame["direction"].map(lambda d: vocab.label("direction_short", d, lang))
    frame["role"] = frame["role"].map(lambda r: vocab.label("role", r, lang))
    frame["state"] = frame["state"].map(lambda s: vocab.label("week_state", s, lang))
    return frame.rename(columns={c: i18n.translate(lang, _EXPORT_LABELS[c]) for c in EXPORT_COLUMNS})


def export_frame(store: Store, actor: Actor, lang: str = "zh", **filters) -> pd.DataFrame:
    """Entries matching ``filters`` as a labelled table, for downloads and ``export activities``."""
    permissions.require(actor, "activity.export")
    filters.pop("limit", None)
    filters.pop("offset", None)
    rows, _ = list_entries(store, actor, limit=None, **filters)
    return labelled(rows, lang)
