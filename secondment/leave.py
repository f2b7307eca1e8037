"""Leave and attendance (请销假、考勤).

A secondee asks for leave (kind, dates, reason). Its length in working days on China's official calendar names
who decides: up to ``leave_host_days`` the host unit, up to ``leave_org_days`` the district organisation
department, longer the higher organisation department (the thresholds are reminder rules an administrator sets;
the defaults are 3 and 7). A reviewer records the decision as it was taken, and the return from leave (销假).

Approved leave is not absence: a week whose every working day lies inside approved leave is "on leave" on the
coverage map, and the quiet list and the reminders do not count it as missing.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from secondment import activities, audit, clock, holidays, notify, permissions, textsort, validation, vocab
from secondment.db import Store
from secondment.errors import Conflict, NotFound, ValidationError
from secondment.permissions import Actor

LONGEST_DAYS = 180  # one request; longer is a suspension of the stint, not leave


def approver_for(days: int, rules: dict[str, int]) -> str:
    """Who decides on leave of ``days`` working days: "host", "org" or "higher"."""
    if days <= rules["leave_host_days"]:
        return "host"
    if days <= rules["leave_org_days"]:
        return "org"
    return "higher"


def working_days(calendar, start: date, end: date) -> int:
    """Working days from ``start`` to ``end``, both included."""
    return calendar.working_days_between(start - timedelta(days=1), end)


def _person(db, participant_id: int) -> dict:
    row = db.conn.execute("select id, start_date, end_date from participants where id = ?",
                          (participant_id,)).fetchone()
    if row is None:
        raise NotFound("participant", participant_id)
    return dict(row)


def request(store: Store, actor: Actor, participant_id: int, *, kind, start_date, end_date, reason) -> dict:
    """A leave request, pending, with its length and its approver named by the rules."""
    permissions.require(actor, "leave.request", {"participant_id": participant_id})
    kind = validation.choice("leave_kind", kind, "leave_kind")
    start = validation.parse_date("start_date", start_date)
    end = validation.parse_date("end_date", end_date)
    validation.date_order("start_date", start, "end_date", end)
    reason = validation.text("reason", reason)
    calendar = holidays.calendar(store)
    rules = notify.rules(store)
    with store.write() as db:
        person = _person(db, participant_id)
        validation.within("start_date", start, person["start_date"], person["end_date"], "outside_stint")
        validation.within("end_date", end, person["start_date"], person["end_date"], "outside_stint")
        if (end - start).days + 1 > LONGEST_DAYS:
            raise ValidationError("end_date", end.isoformat(), "leave_too_long", max=LONGEST_DAYS)
        days = working_days(calendar, start, end)
        if days == 0:
            raise ValidationError("end_date", end.isoformat(), "no_working_days")
        clash = db.conn.execute(
            "select start_date, end_date from leave_requests where participant_id = ? and status in "
            "('pending', 'approved') and start_date <= ? and end_date >= ?",
            (participant_id, end.isoformat(), start.isoformat())).fetchone()
        if clash:
            raise ValidationError("start_date", start.isoformat(), "leave_overlaps",
                                  other=f"{clash['start_date']} – {clash['end_date']}")
        leave_id = audit.insert(db, actor, "leave_requests", {
            "participant_id": participant_id, "kind": kind, "start_date": start.isoformat(),
            "end_date": end.isoformat(), "days": days, "reason": reason, "approver": approver_for(days, rules),
            "status": "pending", "requested_by": actor.user_id, "requested_at": clock.stamp()}, action="request")
        return audit.get(db, "leave_requests", leave_id)


def decide(store: Store, actor: Actor, leave_id: int, decision: str, *, note=None) -> dict:
    """Record the decision (approved / rejected) of the approver the request names."""
    permissions.require(actor, "leave.decide")
    if decision not in ("approved", "rejected"):
        raise ValidationError("decision", decision, "unknown_code", allowed="approved / rejected")
    note = validation.text("decision_note", note, required=decision == "rejected")
    with store.write() as db:
        row = audit.get(db, "leave_requests", leave_id)
        if row is None:
            raise NotFound("leave", leave_id)
        if row["status"] != "pending":
            raise Conflict("error.leave_not_pending", status=("t", f"vocab.leave_status.{row['status']}"))
        return audit.update(db, actor, "leave_requests", leave_id, {
            "status": decision, "decided_by": actor.user_id, "decided_at": clock.stamp(), "decision_note": note},
            action=f"leave_{decision}")


def cancel(store: Store, actor: Actor, leave_id: int) -> dict:
    """Withdraw a request not yet decided (or approved leave not yet begun)."""
    with store.write() as db:
        row = audit.get(db, "leave_requests", leave_id)
        if row is None:
            raise NotFound("leave", leave_id)
        permissions.require(actor, "leave.request", {"participant_id": row["participant_id"]})
        if row["status"] not in ("pending", "approved") or (
                row["status"] == "approved" and row["start_date"] <= clock.today().isoformat()):
            raise Conflict("error.leave_not_cancellable")
        return audit.update(db, actor, "leave_requests", leave_id, {"status": "cancelled"}, action="leave_cancel")


def back(store: Store, actor: Actor, leave_id: int, on=None) -> dict:
    """Return from leave (销假): the day back at work, on or after the first day of leave."""
    day = validation.parse_date("back_on", on) if on else clock.today()
    with store.write() as db:
        row = audit.get(db, "leave_requests", leave_id)
        if row is None:
            raise NotFound("leave", leave_id)
        permissions.require(actor, "leave.request", {"participant_id": row["participant_id"]})
        if row["status"] != "approved" or row["back_on"]:
            raise Conflict("error.leave_not_open")
        if day < date.fromisoformat(row["start_date"]):
            raise ValidationError("back_on", day.isoformat(), "before_leave", start=row["start_date"])
        return audit.update(db, actor, "leave_requests", leave_id, {"back_on": day.isoformat()}, action="leave_back")


def list_leave(store: Store, actor: Actor, *, participant_id: int | None = None, status: str | None = None,
               limit: int = 500) -> list[dict]:
    """Leave requests, newest first: one person's (a secondee sees only their own), or everyone's."""
    scope = permissions.scope(actor, "stint.read")
    if scope:
        participant_id = scope["participant_id"]
    clauses, params = ["1 = 1"], []
    if participant_id is not None:
        clauses.append("l.participant_id = ?")
        params.append(participant_id)
    if status:
        clauses.append("l.status = ?")
        params.append(status)
    return store.rows(
        f"select l.*, p.name, b.code as batch, u.display_name as decided_by_name from leave_requests l "
        f"join participants p on p.id = l.participant_id join batches b on b.id = p.batch_id "
        f"left join users u on u.id = l.decided_by where {' and '.join(clauses)} "
        f"order by l.start_date desc, l.id desc limit ?", [*params, limit])


def pending_count(store: Store, actor: Actor) -> int:
    permissions.require(actor, "leave.decide")
    return store.scalar("select count(*) from leave_requests where status = 'pending'") or 0


def _approved(source, ids: list[int], first: date, last: date) -> list[dict]:
    """Approved leave overlapping [first, last]; ``source`` is a Store or an open connection (inside a write)."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    sql = (f"select participant_id, kind, start_date, end_date from leave_requests where status = 'approved' "
           f"and participant_id in ({marks}) and start_date <= ? and end_date >= ?")
    params = [*ids, last.isoformat(), first.isoformat()]
    if isinstance(source, Store):
        return source.rows(sql, params)
    return [dict(zip(("participant_id", "kind", "start_date", "end_date"), r)) for r in source.execute(sql, params)]


def _calendar(source):
    return holidays.calendar(source) if isinstance(source, Store) else holidays.calendar_of(source)


def leave_days(source, ids, first: date, last: date) -> dict[int, set[date]]:
    """Each person's days of approved leave between ``first`` and ``last`` (calendar days)."""
    out: dict[int, set[date]] = defaultdict(set)
    for r in _approved(source, [int(i) for i in ids], first, last):
        day = max(date.fromisoformat(r["start_date"]), first)
        end = min(date.fromisoformat(r["end_date"]), last)
        while day <= end:
            out[r["participant_id"]].add(day)
            day += timedelta(days=1)
    return out


def leave_weeks(source, ids, week_from: str, week_to: str) -> set[tuple[int, str]]:
    """(participant, ISO week) pairs whose every working day is approved leave: weeks not missing. ``source`` is
    a Store or an open connection."""
    first = activities.monday(week_from)
    last = activities.monday(week_to) + timedelta(days=6)
    days = leave_days(source, ids, first, last)
    if not days:
        return set()
    calendar = _calendar(source)
    out = set()
    for pid, off in days.items():
        for week in {activities.week_of(d) for d in off}:
            monday = activities.monday(week)
            working = [monday + timedelta(days=i) for i in range(7) if calendar.is_workday(monday + timedelta(days=i))]
            if working and all(d in off for d in working):
                out.add((pid, week))
    return out


def attendance(store: Store, actor: Actor, *, month: str, batch: str | None = None,
               participant_id: int | None = None) -> list[dict]:
    """The month's attendance per person in their stint: working days, days of approved leave by kind, days at
    work, weeks logged. ``month`` is YYYY-MM."""
    scope = permissions.scope(actor, "stint.read")
    if scope:
        participant_id = scope["participant_id"]
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValidationError("month", month, "not_a_month") from None
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    clauses, params = ["p.start_date <= ?", "p.end_date >= ?", "p.status != 'withdrawn'"], [last.isoformat(),
                                                                                           first.isoformat()]
    if batch:
        clauses.append("b.code = ?")
        params.append(batch)
    if participant_id is not None:
        clauses.append("p.id = ?")
        params.append(participant_id)
    people = store.rows(f"select p.id, p.name, b.code as batch, p.start_date, p.end_date from participants p "
                        f"join batches b on b.id = p.batch_id where {' and '.join(clauses)}", params)
    if not people:
        return []
    ids = [p["id"] for p in people]
    calendar = holidays.calendar(store)
    kinds: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for r in _approved(store, ids, first, last):
        day = max(date.fromisoformat(r["start_date"]), first)
        end = min(date.fromisoformat(r["end_date"]), last)
        while day <= end:
            if calendar.is_workday(day):
                kinds[r["participant_id"]][r["kind"]].add(day)
            day += timedelta(days=1)
    marks = ", ".join("?" for _ in ids)
    logged = {(r["participant_id"]): r["n"] for r in store.rows(
        f"select participant_id, count(distinct week) as n from activities where participant_id in ({marks}) "
        f"and date between ? and ? group by participant_id", [*ids, first.isoformat(), last.isoformat()])}
    out = []
    for p in people:
        start = max(date.fromisoformat(p["start_date"]), first)
        end = min(date.fromisoformat(p["end_date"]), last)
        working = working_days(calendar, start, end) if start <= end else 0
        by_kind = {k: len(kinds[p["id"]].get(k, ())) for k in vocab.LEAVE_KINDS}
        off = sum(by_kind.values())
        out.append({"participant_id": p["id"], "name": p["name"], "batch": p["batch"], "month": month,
                    "working_days": working, "leave_days": off, "present_days": working - off,
                    "weeks_logged": logged.get(p["id"], 0), **{f"leave_{k}": v for k, v in by_kind.items()}})
    return sorted(out, key=lambda r: (textsort.pinyin_key(r["name"]), r["participant_id"]))


def attendance_totals(rows: list[dict]) -> dict:
    """The batch's line under a month's attendance."""
    keys = ["working_days", "leave_days", "present_days", "weeks_logged", *[f"leave_{k}" for k in vocab.LEAVE_KINDS]]
    return {k: sum(r[k] for r in rows) for k in keys} | {"people": len(rows)}
