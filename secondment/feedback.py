"""Feedback to departments and the district's closed loop: collect → accept → handle → answer → evaluate.

A secondee raises an item (from one of their activity entries or on its own); the routing catalogue
proposes the department for its category. The department's liaison accepts it, may transfer it to
another department (with a reason) or ask for an extension (days and a reason), and answers it. The
secondee rates the answer: satisfied or basically satisfied closes it; unsatisfied sends it back to the
same department to redo (退回重办). Reviewers escalate items (提级督办) and may close an item as
unresolved, which records who closed it and why.

Every step is checked against ``vocab.FEEDBACK_TRANSITIONS`` (anything not listed is refused with a
clear ``Conflict``), and writes the item's change (audited, before/after) and one ``feedback_events`` row
(who, when, from → to status, from → to department, note, due date after the step) in one transaction.

Time limits are counted in working days on China's official calendar (``workdays``): by urgency
(defaults urgent 3, normal 15; configurable), or the department's own limit when it has one. The due
date restarts when an item is transferred (the new department's limit) or sent back (time to redo),
and moves by the granted days on an extension.

Dates of the loop are China dates (Asia/Shanghai); timestamps are stored in UTC like everything else.
"""
from __future__ import annotations

import json
import math
from datetime import date
from types import MappingProxyType

import pandas as pd

from secondment import audit, clock, holidays, i18n, permissions, validation, vocab, workdays
from secondment.db import Store, Where, set_meta, stamp
from secondment.errors import Conflict, NotFound, ValidationError
from secondment.permissions import Actor
from secondment.textsort import pinyin_key
from secondment.workdays import Calendar

OPEN = vocab.OPEN_FEEDBACK_STATUSES
FINAL = vocab.FINAL_FEEDBACK_STATUSES
LIMITS_META_KEY = "feedback_time_limits"
MAX_EXTENSION_DAYS = 30
MAX_LIMIT_DAYS = 120
MAX_LIMIT = 100_000
# The role an item counts under when it is raised on its own (not from an activity entry).
DEFAULT_ROLE = {vocab.CADRE: "info_officer", vocab.TALENT: "bridge"}


# --- dates ------------------------------------------------------------------------------------------

local_date = clock.local_date
_stamp = clock.stamp  # ``at`` None = now; a datetime or ISO text back-dates a step (demo data and tests)


def _today(today) -> date:
    return clock.today() if today is None else clock.as_date(today)


# --- reference data: departments, enterprises, routing, time limits -------------------------------------

def departments(store: Store, actor: Actor, *, include_inactive: bool = False) -> list[dict]:
    """Units that can receive feedback (government departments, party/mass organisations, streets/towns),
    sorted by pinyin, with their own time limit."""
    permissions.require(actor, "feedback.read")
    kinds = ", ".join(f"'{k}'" for k in vocab.DEPARTMENT_KINDS)
    rows = store.rows(f"select id, name, kind, time_limit_days, active from units where kind in ({kinds})"
                      + ("" if include_inactive else " and coalesce(active, 1) = 1"))
    return sorted(rows, key=lambda r: (pinyin_key(r["name"]), r["id"]))


def enterprises(store: Store, actor: Actor) -> list[dict]:
    """Non-public enterprises for the "host enterprise" chooser, sorted by pinyin."""
    permissions.require(actor, "feedback.read")
    rows = store.rows("select id, name from units where kind = 'enterprise' and coalesce(active, 1) = 1")
    return sorted(rows, key=lambda r: (pinyin_key(r["name"]), r["id"]))


def unit_name(store: Store, actor: Actor, unit_id: int | None) -> str | None:
    """A unit's name (for captions: a liaison's own department, a secondee's enterprise)."""
    permissions.require(actor, "feedback.read")
    if unit_id is None:
        return None
    return store.scalar("select name from units where id = ?", (unit_id,))


def batch_codes(store: Store, actor: Actor) -> list[str]:
    """Batch codes for the filters, cadre batches first, oldest first."""
    permissions.require(actor, "feedback.read")
    return [r["code"] for r in store.rows("select code from batches order by direction, start_date, code")]


def _routing(store_or_db, category: str) -> int | None:
    sql = ("select r.department_id from routing r join units u on u.id = r.department_id "
           "where r.category = ? and coalesce(u.active, 1) = 1")
    if isinstance(store_or_db, Store):
        return store_or_db.scalar(sql, (category,))
    row = store_or_db.conn.execute(sql, (category,)).fetchone()
    return row[0] if row else None


def propose_department(store: Store, category: str) -> int | None:
    """The department the routing catalogue proposes for a category (None when it has none)."""
    return _routing(store, category)


def without_liaison(store: Store, actor: Actor) -> set[int]:
    """The departments no active liaison account answers for: an item routed there waits unseen, so the
    routing editor, the raise form and the transfer step warn about them."""
    permissions.require(actor, "feedback.read")
    roles = permissions.roles_linked_to("department")
    return {r["id"] for r in store.rows(
        "select u.id from units u where u.kind in ('government_department', 'party_org', 'street_town') "
        f"and not exists (select 1 from users x where x.department_id = u.id and x.role in "
        f"({', '.join('?' * len(roles))}) and x.active = 1)", roles)}


def get_routing(store: Store, actor: Actor) -> list[dict]:
    """The routing catalogue: every category with its department (None when not routed yet)."""
    permissions.require(actor, "feedback.read")
    rows = {r["category"]: r for r in store.rows(
        "select r.category, r.department_id, u.name as department from routing r "
        "left join units u on u.id = r.department_id")}
    return [{"category": c, "department_id": rows.get(c, {}).get("department_id"),
             "department": rows.get(c, {}).get("department")} for c in vocab.FEEDBACK_CATEGORIES]


def set_routing(store: Store, actor: Actor, mapping: dict) -> list[dict]:
    """Set the department for each category in ``mapping`` (None removes the entry). Admin only."""
    permissions.require(actor, "routing.edit")
    with store.write() as db:
        for category, department_id in mapping.items():
            category = validation.choice("category", category, "feedback_category")
            current = audit.get(db, "routing", category)
            if department_id is None:
                if current is not None:
                    audit.delete(db, actor, "routing", category)
                continue
            _check_department(db, department_id)
            if current is None:
                audit.insert(db, actor, "routing", {"category": category, "department_id": int(department_id)})
            else:
                audit.update(db, actor, "routing", category, {"department_id": int(department_id)})
    return get_routing(store, actor)


def _limits_from_text(text: str | None) -> dict[str, int]:
    limits = dict(vocab.DEFAULT_TIME_LIMITS)
    if text:
        try:
            stored = json.loads(text)
            limits.update({k: int(v) for k, v in stored.items() if k in vocab.URGENCIES})
        except (ValueError, TypeError, AttributeError):
            pass
    return limits


def _limits(db) -> dict[str, int]:
    row = db.conn.execute("select value from meta where key = ?", (LIMITS_META_KEY,)).fetchone()
    return _limits_from_text(row[0] if row else None)


def get_time_limits(store: Store, actor: Actor) -> dict[str, int]:
    """Answer time limits in working days per urgency ({"urgent": 3, "normal": 15} unless changed)."""
    permissions.require(actor, "feedback.read")
    return _limits_from_text(store.meta(LIMITS_META_KEY))


def set_time_limits(store: Store, actor: Actor, limits: dict | None = None,
                    department_limits: dict | None = None) -> dict[str, int]:
    """Change the urgency limits and/or departments' own limits (``{department_id: days or None}``).
    Applies to items raised, transferred, sent back or extended from now on. Admin only."""
    permissions.require(actor, "routing.edit")
    clean: dict[str, int] = {}
    for urgency, days in (limits or {}).items():
        urgency = validation.choice("urgency", urgency, "urgency")
        clean[urgency] = validation.integer("time_limit_days", days, low=1, high=MAX_LIMIT_DAYS)
    with store.write() as db:
        if clean:
            before = _limits(db)
            after = {**before, **clean}
            if after != before:
                set_meta(db, LIMITS_META_KEY, json.dumps(after, sort_keys=True))
                audit.record(db, actor, "meta", LIMITS_META_KEY, "update", before, after)
        for department_id, days in (department_limits or {}).items():
            _check_department(db, department_id)
            value = None if days in (None, "", 0) else validation.integer("time_limit_days", days, low=1,
                                                                           high=MAX_LIMIT_DAYS)
            audit.update(db, actor, "units", int(department_id), {"time_limit_days": value})
    return get_time_limits(store, actor)


def _limit_days(db, department_id: int, urgency: str) -> int:
    """Working days allowed: the urgency's limit, or the department's own limit when it has one
    (for an urgent item the shorter of the two, so urgency still counts)."""
    limits = _limits(db)
    base = limits.get(urgency, limits["normal"])
    row = db.conn.execute("select time_limit_days from units where id = ?", (department_id,)).fetchone()
    own = row[0] if row else None
    if own:
        return min(own, base) if urgency == "urgent" else int(own)
    return base


def limit_for(store: Store, actor: Actor, department_id: int | None, urgency: str) -> int:
    """The time limit that would apply (for the raise form's hint)."""
    permissions.require(actor, "feedback.read")
    with store.read() as db:
        if department_id is None:
            return _limits(db).get(urgency, vocab.DEFAULT_TIME_LIMITS["normal"])
        return _limit_days(db, department_id, urgency)


def _check_department(db, department_id) -> dict:
    if department_id in (None, ""):
        raise ValidationError("department", department_id, "required")
    row = db.conn.execute("select id, name, kind from units where id = ?", (department_id,)).fetchone()
    if row is None:
        raise ValidationError("department", department_id, "not_found")
    if row["kind"] not in vocab.DEPARTMENT_KINDS:
        raise ValidationError("department", row["name"], "wrong_kind")
    return dict(row)


# --- raising an item --------------------------------------------------------------------------------------

def _resource(row) -> dict:
    return {"participant_id": row["participant_id"], "department_id": row["department_id"]}


def _event(db, feedback_id: int, actor: Actor, stamp: str, step: str, from_status, to_status,
           from_department, to_department, note, due_date) -> None:
    db.conn.execute(
        "insert into feedback_events(feedback_id, at, user_id, step, from_status, to_status, "
        "from_department_id, to_department_id, note, due_date) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (feedback_id, stamp, actor.user_id, step, from_status, to_status, from_department, to_department,
         note, due_date))


def raise_feedback(store: Store, actor: Actor, *, participant_id: int, activity_id: int | None = None,
                   enterprise_id: int | None = None, category, summary, details=None, urgency="normal",
                   department_id: int | None = None, role: str | None = None, at=None) -> int:
    """A new item, status "submitted", routed to ``department_id`` or the routing catalogue's proposal.

    From an activity entry, the entry must be the participant's own and its role is the item's role;
    on its own, a cadre's item counts as information-officer work and a talent's as bridge work.
    The host enterprise defaults to the participant's host unit (a cadre) or home unit (a talent).
    """
    permissions.require(actor, "feedback.raise", {"participant_id": participant_id})
    errors = []
    clean: dict = {}
    for name, fn in (("category", lambda: validation.choice("category", category, "feedback_category")),
                     ("summary", lambda: validation.text("summary", summary)),
                     ("details", lambda: validation.text("details", details, required=False)),
                     ("urgency", lambda: validation.choice("urgency", urgency, "urgency"))):
        try:
            clean[name] = fn()
        except ValidationError as error:
            errors.append(error)
    if errors:
        from secondment.errors import ValidationErrors

        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    stamp = _stamp(at)
    with store.write() as db:
        person = db.conn.execute(
            "select p.id, p.host_unit_id, p.home_unit_id, b.direction from participants p "
            "join batches b on b.id = p.batch_id where p.id = ?", (participant_id,)).fetchone()
        if person is None:
            raise NotFound("participant", participant_id)
        if activity_id is not None:
            entry = db.conn.execute("select participant_id, role from activities where id = ?",
                                    (activity_id,)).fetchone()
            if entry is None:
                raise ValidationError("activity", activity_id, "not_found")
            if entry["participant_id"] != participant_id:
                raise ValidationError("activity", activity_id, "not_own")
            role = role or entry["role"]
        role = validation.choice("role", role, "role") if role else DEFAULT_ROLE[person["direction"]]
        if enterprise_id is None:
            enterprise_id = person["host_unit_id"] if person["direction"] == vocab.CADRE else person["home_unit_id"]
        enterprise = db.conn.execute("select name, kind from units where id = ?", (enterprise_id,)).fetchone()
        if enterprise is None:
            raise ValidationError("enterprise", enterprise_id, "not_found")
        if enterprise["kind"] != "enterprise":   # what an item is about is an enterprise, not a department
            raise ValidationError("enterprise", enterprise["name"], "wrong_kind")
        if department_id is None:
            department_id = _routing(db, clean["category"])
        _check_department(db, department_id)
        due = holidays.calendar_of(db.conn).add_working_days(local_date(stamp),
                                                             _limit_days(db, department_id, clean["urgency"]))
        item_id = audit.insert(db, actor, "feedback", {
            "participant_id": participant_id, "activity_id": activity_id, "enterprise_id": enterprise_id,
            "role": role, **clean, "department_id": int(department_id), "status": "submitted",
            "created_at": stamp, "due_date": due.isoformat(), "extended_days": 0, "transfers": 0,
            "send_backs": 0, "escalated": 0, "updated_at": stamp,
        }, action="feedback.raise")
        _event(db, item_id, actor, stamp, "raise", None, "submitted", None, int(department_id), None,
               due.isoformat())
        return item_id


# --- the steps of the loop ------------------------------------------------------------------------------------

def _refuse(step: str, status: str) -> Conflict:
    return Conflict("error.transition", step=("t", f"vocab.feedback_step.{step}"),
                    status=("t", f"vocab.feedback_status.{status}"))


def check_transition(step: str, status: str) -> str:
    """The status ``step`` leads to from ``status``; a Conflict naming both when the loop refuses it."""
    to_status = vocab.next_status(step, status)
    if to_status is None:
        raise _refuse(step, status)
    return to_status


def _step(store: Store, actor: Actor, feedback_id: int, step: str, action: str, changes_fn, *, note=None,
          at=None) -> dict:
    stamp = _stamp(at)
    with store.write() as db:
        row = audit.get(db, "feedback", feedback_id)
        if row is None:
            raise NotFound("feedback", feedback_id)
        permissions.require(actor, action, _resource(row))
        to_status = check_transition(step, row["status"])
        changes = changes_fn(db, row, stamp) or {}
        changes.update(status=to_status, updated_at=stamp)
        after = audit.update(db, actor, "feedback", feedback_id, changes, action=f"feedback.{step}")
        if "answered_at" in changes:
            count_answer_days(db.conn, "f.id = ?", (feedback_id,))
        _event(db, feedback_id, actor, stamp, step, row["status"], to_status, row["department_id"],
               after["department_id"], note, after["due_date"])
        return after


def accept(store: Store, actor: Actor, feedback_id: int, *, note=None, at=None) -> dict:
    """The department takes the item on (受理)."""
    note = validation.text("note", note, required=False)
    return _step(store, actor, feedback_id, "accept", "feedback.handle",
                 lambda db, row, stamp: {"accepted_at": stamp}, note=note, at=at)


def transfer(store: Store, actor: Actor, feedback_id: int, *, to_department_id: int, reason, at=None) -> dict:
    """Pass the item to another department (转办), with a reason; its time limit starts again there."""
    reason = validation.text("reason", reason)

    def changes(db, row, stamp):
        target = _check_department(db, to_department_id)
        if int(to_department_id) == row["department_id"]:
            raise ValidationError("department", target["name"], "same_department")
        due = holidays.calendar_of(db.conn).add_working_days(
            local_date(stamp), _limit_days(db, int(to_department_id), row["urgency"]))
        return {"department_id": int(to_department_id), "transfers": (row["transfers"] or 0) + 1,
                "accepted_at": None, "due_date": due.isoformat(), "extended_days": 0}

    return _step(store, actor, feedback_id, "transfer", "feedback.handle", changes, note=reason, at=at)


def request_extension(store: Store, actor: Actor, feedback_id: int, *, days, reason, at=None) -> dict:
    """More working days to answer (申请延期), with a reason; the due date moves by ``days``."""
    days = validation.integer("extension_days", days, low=1, high=MAX_EXTENSION_DAYS)
    reason = validation.text("reason", reason)

    def changes(db, row, stamp):
        due = holidays.calendar_of(db.conn).add_working_days(row["due_date"], days)
        return {"due_date": due.isoformat(), "extended_days": (row["extended_days"] or 0) + days}

    return _step(store, actor, feedback_id, "extend", "feedback.handle", changes, note=reason, at=at)


def _question_open(db, feedback_id: int) -> bool:
    return bool(db.conn.execute(f"select {question_open_sql()} from feedback f where f.id = ?",
                                (feedback_id,)).fetchone()[0])


def ask(store: Store, actor: Actor, feedback_id: int, *, question, at=None) -> dict:
    """The department asks the secondee for more information (征询补充); one question waits at a time."""
    question = validation.text("question", question)

    def changes(db, row, stamp):
        if _question_open(db, feedback_id):
            raise Conflict("error.feedback_question_open")

    return _step(store, actor, feedback_id, "ask", "feedback.handle", changes, note=question, at=at)


def reply(store: Store, actor: Actor, feedback_id: int, *, text, at=None) -> dict:
    """The secondee answers the department's question (补充说明)."""
    text = validation.text("reply", text)

    def changes(db, row, stamp):
        if not _question_open(db, feedback_id):
            raise Conflict("error.feedback_no_question")

    return _step(store, actor, feedback_id, "reply", "feedback.evaluate", changes, note=text, at=at)


def answer(store: Store, actor: Actor, feedback_id: int, *, text, at=None) -> dict:
    """The department's answer (答复); the secondee then rates it."""
    text = validation.text("answer", text)
    return _step(store, actor, feedback_id, "answer", "feedback.handle",
                 lambda db, row, stamp: {"answered_at": stamp, "answer": text}, note=text, at=at)


def evaluate(store: Store, actor: Actor, feedback_id: int, *, evaluation, note=None, at=None) -> dict:
    """The secondee rates the answer. Satisfied or basically satisfied closes the item; unsatisfied (a note
    saying what is missing is required) sends it back to the same department to redo, with a new due date."""
    evaluation = validation.choice("evaluation", evaluation, "evaluation")
    if evaluation == "unsatisfied":
        note = validation.text("note", note)

        def back(db, row, stamp):
            due = holidays.calendar_of(db.conn).add_working_days(
                local_date(stamp), _limit_days(db, row["department_id"], row["urgency"]))
            return {"evaluation": evaluation, "send_backs": (row["send_backs"] or 0) + 1, "answered_at": None,
                    "due_date": due.isoformat(), "extended_days": 0}

        return _step(store, actor, feedback_id, "send_back", "feedback.evaluate", back, note=note, at=at)
    note = validation.text("note", note, required=False)
    return _step(store, actor, feedback_id, "evaluate", "feedback.evaluate",
                 lambda db, row, stamp: {"evaluation": evaluation, "closed_at": stamp,
                                         "closed_by": actor.user_id}, note=note, at=at)


def escalate(store: Store, actor: Actor, feedback_id: int, *, note=None, at=None) -> dict:
    """A reviewer takes the item under supervision (提级督办); it stays where it is, flagged."""
    note = validation.text("note", note, required=False)

    def changes(db, row, stamp):
        if row["escalated"]:
            raise Conflict("error.feedback_escalated")
        return {"escalated": 1}

    return _step(store, actor, feedback_id, "escalate", "feedback.supervise", changes, note=note, at=at)


def close_unresolved(store: Store, actor: Actor, feedback_id: int, *, reason, at=None) -> dict:
    """A reviewer closes the item as unresolved (办结未解决), recording who and why."""
    reason = validation.text("reason", reason)
    return _step(store, actor, feedback_id, "close_unresolved", "feedback.supervise",
                 lambda db, row, stamp: {"closed_at": stamp, "closed_by": actor.user_id, "close_reason": reason},
                 note=reason, at=at)


# --- the loop's rules, each written once: as Python for one item and as SQL for lists ---------------------------

SATISFIED = ("satisfied", "basically_satisfied")   # evaluations that count as satisfied


def _codes(values) -> str:
    """Our own status codes as an SQL list (constants of ``vocab``, never user text, so safe to inline)."""
    return ", ".join(f"'{v}'" for v in values)


def is_satisfied(row: dict) -> bool:
    """Rated satisfied or basically satisfied."""
    return row.get("evaluation") in SATISFIED


def satisfied_sql(alias: str = "f") -> str:
    return f"{alias}.evaluation in ({_codes(SATISFIED)})"


def is_open(row: dict) -> bool:
    """Waiting for the department: submitted, accepted or in progress."""
    return row["status"] in OPEN


def open_sql(alias: str = "f") -> str:
    return f"{alias}.status in ({_codes(OPEN)})"


def is_final(row: dict) -> bool:
    """Closed, either way (evaluated, or closed unresolved by a reviewer)."""
    return row["status"] in FINAL


def final_sql(alias: str = "f") -> str:
    return f"{alias}.status in ({_codes(FINAL)})"


def question_open_sql(alias: str = "f") -> str:
    """A question from the department waits for the secondee's reply: the item is with its department and, of
    its asks, replies, transfers and answers, the latest is an ask (a transfer or an answer makes it moot)."""
    asking = sorted(status for step, status in vocab.FEEDBACK_TRANSITIONS if step == "ask")
    return (f"({alias}.status in ({_codes(asking)}) and (select e.step from feedback_events e "
            f"where e.feedback_id = {alias}.id and e.step in ('ask', 'reply', 'transfer', 'answer') "
            f"order by e.id desc limit 1) = 'ask')")


def is_overdue(row: dict, today=None) -> bool:
    """Open and past its due date."""
    return is_open(row) and bool(row.get("due_date")) and row["due_date"] < _today(today).isoformat()


def overdue_sql(alias: str = "f", today: str = ":today") -> str:
    """``today`` is the SQL expression (a parameter) holding today's ISO date."""
    return f"({open_sql(alias)} and {alias}.due_date < {today})"


def count_answer_days(conn, where: str = "f.answer_days is null", params=()) -> int:
    """Store the working days from raising to answer (``answer_days``, what the closed loop's medians count) of
    the answered items ``where`` picks, counted with the database's calendar, inside the caller's transaction;
    returns how many. Kept up to date by every answer (``_step``), every change of a year's holidays
    (``holidays``), an upgrade of the calendar library (``library_changed``) and the demo's build; a trigger
    empties it whenever an item's dates change, so a value is never stale and an empty one is counted when read
    (``flows``)."""
    rows = conn.execute(f"""select f.id, {clock.china_date_sql('f.created_at')}, {clock.china_date_sql('f.answered_at')}
                            from feedback f where f.answered_at is not null and ({where})""", params).fetchall()
    days = holidays.calendar_of(conn).spans((r[1], r[2]) for r in rows)
    conn.executemany("update feedback set answer_days = ? where id = ?", [(n, r[0]) for n, r in zip(days, rows)])
    return len(rows)


ANSWER_DAYS_LIBRARY_KEY = "feedback.answer_days_library"
DERIVED = ("answer_days",)   # worked out from the item's own dates, never a person's doing: not in the audit trail


def library_changed(db) -> bool:
    """Were the stored ``answer_days`` counted with another version of the calendar library? Then every one
    is counted again, in its own transaction (``db.migrate`` asks at every start)."""
    def known():
        row = db.conn.execute("select value from meta where key = ?", (ANSWER_DAYS_LIBRARY_KEY,)).fetchone()
        return row is not None and row[0] == workdays.LIBRARY_VERSION
    if known():
        return False
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        if not known():
            count_answer_days(db.conn, "1 = 1")
            set_meta(db, ANSWER_DAYS_LIBRARY_KEY, workdays.LIBRARY_VERSION)
            stamp(db, {"feedback"})
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    return True


def answered_late(row: dict) -> bool:
    """Answered (on its China date) after its due date: the opposite of "answered on time"."""
    answered = local_date(row.get("answered_at"))
    return answered is not None and bool(row.get("due_date")) and answered.isoformat() > row["due_date"]


def answered_late_sql(alias: str = "f") -> str:
    return f"({alias}.answered_at is not null and {clock.china_date_sql(f'{alias}.answered_at')} > {alias}.due_date)"


def answered_on_time_sql(alias: str = "f") -> str:
    return f"({alias}.answered_at is not null and {clock.china_date_sql(f'{alias}.answered_at')} <= {alias}.due_date)"


def needs_escalation(row: dict) -> bool:
    """Not closed, and transferred or sent back too often: a reviewer should take it under supervision."""
    return not is_final(row) and ((row.get("transfers") or 0) >= vocab.ESCALATE_AFTER_TRANSFERS
                                  or (row.get("send_backs") or 0) >= vocab.ESCALATE_AFTER_SEND_BACKS)


def needs_escalation_sql(alias: str = "f") -> str:
    return (f"(not {final_sql(alias)} and ({alias}.transfers >= {vocab.ESCALATE_AFTER_TRANSFERS} "
            f"or {alias}.send_backs >= {vocab.ESCALATE_AFTER_SEND_BACKS}))")


def supervised_sql(alias: str = "f") -> str:
    """Needs escalation, or already escalated and not closed (the "escalation" filter)."""
    return f"({needs_escalation_sql(alias)} or (not {final_sql(alias)} and {alias}.escalated = 1))"


# The permission each step needs (on the item's participant and department).
STEP_ACTIONS = MappingProxyType({
    "accept": "feedback.handle", "transfer": "feedback.handle", "extend": "feedback.handle",
    "ask": "feedback.handle", "answer": "feedback.handle", "reply": "feedback.evaluate",
    "evaluate": "feedback.evaluate", "send_back": "feedback.evaluate",
    "escalate": "feedback.supervise", "close_unresolved": "feedback.supervise"})


def allowed_steps(actor: Actor, row: dict) -> list[str]:
    """The steps this actor may take on this item now (for the page's buttons)."""
    out = []
    resource = _resource(row)
    for step in vocab.FEEDBACK_STEPS:
        if vocab.next_status(step, row["status"]) is None:
            continue
        action = STEP_ACTIONS.get(step)
        if action is None or not permissions.can(actor, action, resource):
            continue
        if step == "escalate" and row.get("escalated"):
            continue
        if (step == "ask" and row.get("question_open")) or (step == "reply" and not row.get("question_open")):
            continue
        out.append(step)
    return out


# --- reading ---------------------------------------------------------------------------------------------------

_SELECT = f"""
    select f.*, p.name as participant, b.code as batch, b.direction, e.name as enterprise,
           d.name as department,
           case when {overdue_sql()} then 1 else 0 end as overdue,
           case when {answered_late_sql()} then 1 else 0 end as late,
           case when {needs_escalation_sql()} then 1 else 0 end as escalation_needed,
           case when {question_open_sql()} then 1 else 0 end as question_open
    from feedback f
    join participants p on p.id = f.participant_id
    join batches b on b.id = p.batch_id
    left join units e on e.id = f.enterprise_id
    left join units d on d.id = f.department_id
"""


def _many(value) -> list:
    if value is None or value == "":
        return []
    return [value] if isinstance(value, (str, int)) else list(value)


def raised_bounds(store: Store, actor: Actor, action: str = "feedback.read") -> tuple[date | None, date | None]:
    """The China dates of the first and last items the actor may see under ``action`` (None when there are
    none): the span of a period filter."""
    permissions.require(actor, action)
    clause, params = filters_sql(actor, action=action)
    row = store.one(f"select min(f.created_at) as lo, max(f.created_at) as hi from feedback f where {clause}", params)
    return local_date(row["lo"]), local_date(row["hi"])


def filters_sql(actor: Actor, *, status=None, department=None, category=None, urgency=None,
                overdue_only: bool = False, escalation_only: bool = False, text=None, period_from=None,
                period_to=None, participant_id=None, batch=None, direction=None, role=None, today=None,
                action: str = "feedback.read") -> tuple[str, dict]:
    """The WHERE clause (over ``feedback f``, ``participants p``, ``batches b``, ``units e`` for the enterprise)
    and its named parameters (``:today`` among them), narrowed to the actor's own items (a secondee's own, a
    liaison's own department)."""
    own = permissions.scope(actor, action) or {}
    where = Where(named=True)
    where.eq("f.participant_id", own.get("participant_id")).eq("f.department_id", own.get("department_id"))
    where.among("f.status", _many(status)).among("f.department_id", [int(d) for d in _many(department)])
    where.among("f.category", _many(category)).among("f.urgency", _many(urgency)).among("f.role", _many(role))
    where.among("b.code", _many(batch)).among("b.direction", _many(direction))
    where.eq("f.participant_id", None if participant_id is None else int(participant_id))
    if overdue_only:
        where.add(overdue_sql())
    if escalation_only:
        where.add(supervised_sql())
    # Period: the China date the item was raised, inclusive at both ends.
    where.at_least("f.created_at", period_from and _utc_bound(period_from, 0))
    where.before("f.created_at", period_to and _utc_bound(period_to, 1))
    where.contains(["f.summary", "coalesce(f.details, '')", "coalesce(e.name, '')", "p.name"], text,
                   or_equal=("cast(f.id as text)", str(text or "").strip().lstrip("#")))
    clause, params = where.build()
    return clause, {**params, "today": _today(today).isoformat()}


def _utc_bound(day, plus_days: int) -> str:
    """Start of a China day (plus ``plus_days``) as a UTC timestamp text, to compare with created_at."""
    return clock.day_start_utc(validation.parse_date("date", day), plus_days)


def list_items(store: Store, actor: Actor, *, limit: int | None = 500, offset: int = 0, **filters
               ) -> tuple[list[dict], int]:
    """Items matching the filters, overdue first, then those needing escalation, then by due date;
    and how many match in all. A secondee sees their own items, a liaison their department's."""
    clause, params = filters_sql(actor, **filters)
    base = f"from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id " \
           f"left join units e on e.id = f.enterprise_id where {clause}"
    # Both kept while the data is unchanged: at a national scale the ordering of every item costs a second.
    total = store.cached_one(f"select count(*) as n {base}", params)["n"]
    limit = MAX_LIMIT if limit is None else max(0, min(int(limit), MAX_LIMIT))
    # A liaison's new items, not yet accepted, come right after the overdue ones: accepting them is the next
    # thing their department has to do; answered ones, waiting for the secondee's rating, after those at work.
    new_first = "case f.status when 'submitted' then 0 when 'answered' then 2 else 1 end," if \
        permissions.ownership(actor, "feedback.read") == "department" else ""
    rows = store.cached_rows(f"""{_SELECT} where {clause}
        order by overdue desc,
                 case when {final_sql()} then 1 else 0 end, {new_first}
                 escalation_needed desc, f.escalated desc, f.due_date, f.id desc
        limit :limit offset :offset""", {**params, "limit": limit, "offset": max(0, int(offset))})
    today = _today(filters.get("today"))
    cal = holidays.calendar(store)
    for row in rows:
        decorate(row, today, cal)
    return rows, total


def decorate(row: dict, today: date, cal: Calendar) -> dict:
    """Flags as booleans, and the working days left (open items) or overdue by, on the database's calendar;
    ``due_weekdays_only`` when the due date lies in a year with no known holiday arrangement."""
    row["overdue"] = bool(row["overdue"])
    row["late"] = bool(row["late"])
    row["escalation_needed"] = bool(row["escalation_needed"])
    due = row.get("due_date")
    row["days_left"] = cal.working_days_between(today, due) if due and is_open(row) else None
    row["days_late"] = cal.working_days_between(due, today) if row["overdue"] else None
    row["due_weekdays_only"] = bool(due) and not cal.covered(int(due[:4]))
    return row


def extension_due(store: Store, actor: Actor, feedback_id: int, days) -> dict | None:
    """The due date an extension of ``days`` working days would give, and whether it is counted Monday to
    Friday for want of a holiday arrangement (the extension form's hint)."""
    item = get_item(store, actor, feedback_id)
    if not item.get("due_date"):
        return None
    days = validation.integer("extension_days", days, low=1, high=MAX_EXTENSION_DAYS)
    cal = holidays.calendar(store)
    due = cal.add_working_days(item["due_date"], days)
    return {"due": due, "weekdays_only": bool(cal.uncovered_years(item["due_date"], due))}


def due_if_raised(store: Store, actor: Actor, department_id: int | None, urgency: str, today=None) -> dict:
    """What raising an item today would mean: its time limit, due date, and whether that date is counted
    Monday to Friday for want of a holiday arrangement (the raise form's hint)."""
    limit = limit_for(store, actor, department_id, urgency)
    cal = holidays.calendar(store)
    due = cal.add_working_days(_today(today), limit)
    return {"limit": limit, "due": due, "weekdays_only": not cal.covered(due.year)}


def get_item(store: Store, actor: Actor, feedback_id: int, *, today=None) -> dict:
    """One item with its timeline (oldest first); refused unless the actor may read it."""
    row = store.one(_SELECT + " where f.id = :id", {"id": feedback_id, "today": _today(today).isoformat()})
    if row is None:
        raise NotFound("feedback", feedback_id)
    permissions.require(actor, "feedback.read", _resource(row))
    decorate(row, _today(today), holidays.calendar(store))
    row["events"] = store.rows("""
        select ev.*, coalesce(u.display_name, u.username) as user_name, u.role as user_role,
               fd.name as from_department, td.name as to_department
        from feedback_events ev
        left join users u on u.id = ev.user_id
        left join units fd on fd.id = ev.from_department_id
        left join units td on td.id = ev.to_department_id
        where ev.feedback_id = ? order by ev.at, ev.id""", (feedback_id,))
    if row.get("closed_by"):
        who = store.one("select coalesce(display_name, username) as name from users where id = ?",
                        (row["closed_by"],))
        row["closed_by_name"] = who["name"] if who else None
    row["allowed_steps"] = allowed_steps(actor, row)
    return row


def counts(store: Store, actor: Actor, *, today=None) -> dict:
    """Headline counts within the actor's scope: open, overdue, answered awaiting evaluation, escalation."""
    clause, params = filters_sql(actor, today=today)
    row = store.cached_one(f"""
        select count(*) as total,
               coalesce(sum(case when {open_sql()} then 1 else 0 end), 0) as open,
               coalesce(sum(case when {overdue_sql()} then 1 else 0 end), 0) as overdue,
               coalesce(sum(case when f.status = 'answered' then 1 else 0 end), 0) as answered,
               coalesce(sum(case when {needs_escalation_sql()} then 1 else 0 end), 0) as escalation
        from feedback f {"" if clause == "1 = 1" else
                         "join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id"}
        where {clause}""", params)   # nothing to narrow (a reviewer's view): the feedback table alone
    return row


# --- export -------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "created_at", "participant", "batch", "enterprise", "role", "category", "summary",
                  "details", "urgency", "department", "status", "due_date", "overdue", "answered_at", "late",
                  "transfers", "send_backs", "escalated", "answer", "evaluation", "closed_at", "close_reason")
_EXPORT_LABELS = {
    "id": "feedback.col_id", "created_at": "feedback.col_raised", "participant": "field.participant",
    "batch": "field.batch", "enterprise": "field.enterprise", "role": "field.role", "category": "field.category",
    "summary": "field.summary", "details": "field.details", "urgency": "field.urgency",
    "department": "field.department", "status": "field.status", "due_date": "feedback.col_due",
    "overdue": "feedback.col_overdue", "answered_at": "feedback.col_answered", "late": "feedback.col_late",
    "transfers": "feedback.col_transfers", "send_backs": "feedback.col_send_backs",
    "escalated": "feedback.col_escalated", "answer": "field.answer", "evaluation": "field.evaluation",
    "closed_at": "feedback.col_closed", "close_reason": "feedback.col_close_reason",
}


def labelled(rows: list[dict], lang: str) -> pd.DataFrame:
    """Items as a table with the user's column names and labels instead of codes."""
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS)).astype(object)
    yes, no = i18n.translate(lang, "common.yes"), i18n.translate(lang, "common.no")
    for column, group in (("role", "role"), ("category", "feedback_category"), ("urgency", "urgency"),
                          ("status", "feedback_status"), ("evaluation", "evaluation")):
        frame[column] = frame[column].map(lambda c, g=group: vocab.label(g, c, lang) if _present(c) else "")
    for column in ("overdue", "late", "escalated"):
        frame[column] = frame[column].map(lambda v: yes if _present(v) and v else no)
    for column in ("created_at", "answered_at", "closed_at"):
        frame[column] = frame[column].map(clock.local_time)
    names = {c: i18n.translate(lang, k) for c, k in _EXPORT_LABELS.items()}
    return frame.rename(columns=names)


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def export_frame(store: Store, actor: Actor, lang: str = "zh", **filters) -> pd.DataFrame:
    """Items matching ``filters`` as a labelled table, for downloads and ``export feedback``."""
    permissions.require(actor, "feedback.export")
    filters.pop("limit", None)
    filters.pop("offset", None)
    rows, _ = list_items(store, actor, limit=None, **filters)
    return labelled(rows, lang)
