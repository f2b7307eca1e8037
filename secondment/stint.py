"""The stint around the weekly log: declarations before it, monthly self-checks and site visits during it, the
return and later use after it, and the lifecycle board that shows where each person of a batch stands.

Declarations (廉洁承诺, 利益回避, 保密承诺) are recorded with their date and who recorded them; the kinds an
administrator marks required gate a stint's activation (``roster.status_sql``). A monthly self-check (月度小结) is
drafted from the secondee's approved entries of the month, so nothing is typed twice. A visit (实地走访) records who
went, whom they met, what they heard, the problems found and follow-up actions, each with an owner and a due date,
which stand on the owner's to-do list. The agreement lives in ``secondment.agreements``, leave in
``secondment.leave``, the assessment in ``secondment.assessment``.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from secondment import (
    assessment,
    audit,
    clock,
    i18n,
    notify,
    permissions,
    roster,
    textsort,
    validation,
    vocab,
)
from secondment import db as dbmod
from secondment.db import Store
from secondment.errors import Conflict, NotFound, ValidationError
from secondment.permissions import Actor

# When a step is late (the lifecycle board, the to-do lists).
AGREEMENT_DAYS = 30        # an agreement is agreed within this many days of the stint's start
VISIT_MONTHS = 6           # a running stint is visited at least this often
ASSESSMENT_DAYS = 30       # the conclusion is recorded within this many days of the end
RETURN_DAYS = 60           # … and the return within this many
MOST_ACTIONS = 20


def _person(db, participant_id: int) -> dict:
    row = db.conn.execute("select p.id, p.name, p.start_date, p.end_date, p.status, b.code as batch, b.direction "
                          "from participants p join batches b on b.id = p.batch_id where p.id = ?",
                          (participant_id,)).fetchone()
    if row is None:
        raise NotFound("participant", participant_id)
    return dict(row)


# --- declarations -------------------------------------------------------------------------------------------

def required_declarations(store: Store) -> list[str]:
    try:
        kinds = json.loads(store.meta(roster.REQUIRED_DECLARATIONS_KEY) or "[]")
    except ValueError:
        return []
    return [k for k in vocab.DECLARATIONS if k in kinds]


def set_required_declarations(store: Store, actor: Actor, kinds) -> list[str]:
    permissions.require(actor, "declaration.rules")
    clean = sorted({validation.choice("declaration", k, "declaration") for k in kinds or []},
                   key=vocab.DECLARATIONS.index)
    before = required_declarations(store)
    with store.write() as db:
        dbmod.set_meta(db, roster.REQUIRED_DECLARATIONS_KEY, json.dumps(clean))
        audit.record(db, actor, "meta", roster.REQUIRED_DECLARATIONS_KEY, "declaration.rules",
                     {"required": before}, {"required": clean})
    return clean


def record_declaration(store: Store, actor: Actor, participant_id: int, kind, *, signed_on, note=None) -> int:
    permissions.require(actor, "declaration.record")
    kind = validation.choice("declaration", kind, "declaration")
    day = validation.parse_date("signed_on", signed_on)
    if day > clock.today():
        raise ValidationError("signed_on", day.isoformat(), "in_future")
    note = validation.text("note", note, required=False)
    with store.write() as db:
        _person(db, participant_id)
        if db.conn.execute("select 1 from declarations where participant_id = ? and kind = ?",
                           (participant_id, kind)).fetchone():
            raise ValidationError("declaration", vocab.label("declaration", kind), "duplicate")
        return audit.insert(db, actor, "declarations", {
            "participant_id": participant_id, "kind": kind, "signed_on": day.isoformat(), "note": note,
            "recorded_by": actor.user_id, "recorded_at": clock.stamp()}, action="declare")


def declarations(store: Store, actor: Actor, participant_id: int) -> dict:
    """Each kind: the signed declaration (or None), and whether it is required; ``missing`` lists required ones
    not yet recorded."""
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    required = required_declarations(store)
    rows = {r["kind"]: r for r in store.rows(
        "select d.*, u.display_name as recorded_by_name from declarations d left join users u on u.id = d.recorded_by "
        "where d.participant_id = ?", (participant_id,))}
    kinds = [{"kind": k, "required": k in required, "row": rows.get(k)} for k in vocab.DECLARATIONS]
    return {"kinds": kinds, "missing": [k for k in required if k not in rows], "required": required}


# --- monthly self-checks ------------------------------------------------------------------------------------

def _month(value) -> tuple[str, date, date]:
    text = validation.normalise_text(value)
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ValidationError("month", value, "not_a_month") from None
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first.strftime("%Y-%m"), first, last


def months_of(person: dict, today: date) -> list[str]:
    """The months of a stint up to the last complete one (a month's check is written once it is over)."""
    start = date.fromisoformat(person["start_date"]).replace(day=1)
    end = min(date.fromisoformat(person["end_date"]), today.replace(day=1) - timedelta(days=1))
    out, day = [], start
    while day <= end:
        out.append(day.strftime("%Y-%m"))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def checkin_draft(store: Store, actor: Actor, participant_id: int, month, lang: str = "zh") -> str:
    """The self-check drafted from the month's approved entries, grouped by role: each entry's date, title and
    outcome exactly as logged. Nothing is added that the entries do not say."""
    permissions.require(actor, "checkin.write", {"participant_id": participant_id})
    month, first, last = _month(month)
    entries = store.rows(
        "select a.date, a.role, a.title, a.outcome, a.hours from activities a join week_reviews w on "
        "w.participant_id = a.participant_id and w.week = a.week and w.state = 'approved' "
        "where a.participant_id = ? and a.date between ? and ? order by a.date, a.id",
        (participant_id, first.isoformat(), last.isoformat()))
    return entries_text(entries, lang)


def entries_text(entries: list[dict], lang: str) -> str:
    """Entries as text grouped under their roles, in programme order (used by every "report once" draft)."""
    if not entries:
        return ""
    lines = []
    for role in vocab.ROLES:
        mine = [e for e in entries if e["role"] == role]
        if not mine:
            continue
        hours = sum(float(e["hours"] or 0) for e in mine)
        lines.append(i18n.translate(lang, "stint.draft_role", role=vocab.label("role", role, lang), n=len(mine),
                                    hours=f"{hours:g}"))
        for e in mine:
            outcome = f" — {e['outcome']}" if e.get("outcome") else ""
            lines.append(f"- {e['date']} {e['title']}{outcome}")
        lines.append("")
    return "\n".join(lines).strip()


def save_checkin(store: Store, actor: Actor, participant_id: int, month, *, summary, next_plan=None,
                 submit: bool = False) -> dict:
    """Write (and with ``submit`` hand in) the month's self-check; a submitted or acknowledged one is kept."""
    permissions.require(actor, "checkin.write", {"participant_id": participant_id})
    month, first, _last = _month(month)
    summary = validation.text("summary_text", summary, max_len=6000)
    next_plan = validation.text("next_plan", next_plan, required=False, max_len=2000)
    today = clock.today()
    if first > today:
        raise ValidationError("month", month, "in_future")
    with store.write() as db:
        person = _person(db, participant_id)
        if month < person["start_date"][:7] or month > person["end_date"][:7]:
            raise ValidationError("month", month, "outside_stint", start=person["start_date"], end=person["end_date"])
        current = db.conn.execute("select * from checkins where participant_id = ? and month = ?",
                                  (participant_id, month)).fetchone()
        stamp = clock.stamp()
        values = {"summary": summary, "next_plan": next_plan, "updated_at": stamp,
                  "status": "submitted" if submit else "draft", "submitted_at": stamp if submit else None}
        if current is None:
            row_id = audit.insert(db, actor, "checkins", {"participant_id": participant_id, "month": month,
                                                          "created_at": stamp, **values},
                                  action="checkin_submit" if submit else "checkin_draft")
        else:
            if current["status"] != "draft":
                raise Conflict("error.checkin_locked", month=month)
            row_id = current["id"]
            audit.update(db, actor, "checkins", row_id, values, action="checkin_submit" if submit else "update")
        return audit.get(db, "checkins", row_id)


def acknowledge_checkin(store: Store, actor: Actor, checkin_id: int, comment=None) -> dict:
    permissions.require(actor, "checkin.review")
    comment = validation.text("comment", comment, required=False)
    with store.write() as db:
        row = audit.get(db, "checkins", checkin_id)
        if row is None:
            raise NotFound("checkin", checkin_id)
        if row["status"] != "submitted":
            raise Conflict("error.checkin_not_submitted")
        return audit.update(db, actor, "checkins", checkin_id, {
            "status": "acknowledged", "comment": comment, "reviewed_by": actor.user_id,
            "reviewed_at": clock.stamp()}, action="checkin_acknowledge")


def checkins(store: Store, actor: Actor, participant_id: int, *, today: date | None = None) -> list[dict]:
    """Every month of the stint so far, newest first, with its self-check (or None) and whether it is late."""
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    today = today or clock.today()
    due_day = notify.rules(store)["checkin_due_day"]
    with store.read() as db:
        person = _person(db, participant_id)
    rows = {r["month"]: r for r in store.rows("select * from checkins where participant_id = ?", (participant_id,))}
    out = []
    for month in reversed(months_of(person, today)):
        due = _checkin_due(month, due_day)
        row = rows.get(month)
        out.append({"month": month, "row": row, "due": due.isoformat(),
                    "late": (row is None or row["status"] == "draft") and today > due})
    return out


def checkins_counted(due: dict[str, date], handed_in: set[str], today: date) -> tuple[int, int]:
    """(handed in, counted) for "月度小结 2 / 3", over the months of the stint so far and their due dates: the
    months whose self-check is due by now, and any handed in early; the record, the profile and the board agree."""
    counted = [m for m, day in due.items() if today > day or m in handed_in]
    return sum(1 for m in counted if m in handed_in), len(counted)


def _checkin_due(month: str, due_day: int) -> date:
    first = date.fromisoformat(f"{month}-01")
    return (first.replace(day=28) + timedelta(days=4)).replace(day=due_day)


def submitted_checkins(store: Store, actor: Actor, *, limit: int = 200) -> list[dict]:
    """Self-checks waiting to be acknowledged, oldest first."""
    permissions.require(actor, "checkin.review")
    return store.rows("select c.*, p.name, b.code as batch from checkins c join participants p on "
                      "p.id = c.participant_id join batches b on b.id = p.batch_id where c.status = 'submitted' "
                      "order by c.submitted_at limit ?", (limit,))


def submitted_checkins_count(store: Store, actor: Actor) -> int:
    permissions.require(actor, "checkin.review")
    return store.scalar("select count(*) from checkins where status = 'submitted'") or 0


# --- site visits ----------------------------------------------------------------------------------------------

def action_owners(store: Store, actor: Actor) -> list[dict]:
    """The accounts that may own a follow-up action: active organisation-department reviewers and administrators."""
    permissions.require(actor, "visit.record")
    roles = permissions.roles_holding("visit.record")
    marks = ", ".join("?" for _ in roles)
    rows = store.rows(f"select id, username, display_name from users where active = 1 and role in ({marks})", roles)
    return sorted(rows, key=lambda r: textsort.pinyin_key(r["display_name"] or r["username"]))


def record_visit(store: Store, actor: Actor, participant_id: int, *, visit_date, visitors, met=None,
                 heard_enterprise=None, heard_secondee=None, problems=None, actions: list[dict] | None = None) -> int:
    """A site visit and its follow-up actions (``{action, owner_id, due_date}``), in one transaction."""
    permissions.require(actor, "visit.record")
    day = validation.parse_date("visit_date", visit_date)
    if day > clock.today():
        raise ValidationError("visit_date", day.isoformat(), "in_future")
    values = {"visitors": validation.text("visitors", visitors, max_len=200),
              "met": validation.text("met", met, required=False, max_len=200),
              "heard_enterprise": validation.text("heard_enterprise", heard_enterprise, required=False, max_len=4000),
              "heard_secondee": validation.text("heard_secondee", heard_secondee, required=False, max_len=4000),
              "problems": validation.text("problems", problems, required=False, max_len=4000)}
    actions = [a for a in (actions or []) if any(str(v or "").strip() for v in a.values())]
    if len(actions) > MOST_ACTIONS:
        raise ValidationError("actions", len(actions), "too_many", most=MOST_ACTIONS)
    owners = {o["id"] for o in action_owners(store, actor)}
    clean = []
    for i, a in enumerate(actions, start=1):
        try:
            text = validation.text("action", a.get("action"), max_len=400)
            owner = a.get("owner_id")
            if owner not in owners:
                raise ValidationError("owner", owner, "required" if owner is None else "not_found")
            due = validation.parse_date("due_date", a.get("due_date"))
            if due < day:
                raise ValidationError("due_date", due.isoformat(), "before_visit")
        except ValidationError as error:
            raise error.at_row(i) from None
        clean.append({"action": text, "owner_id": owner, "due_date": due.isoformat()})
    with store.write() as db:
        person = _person(db, participant_id)
        validation.within("visit_date", day, person["start_date"], person["end_date"], "outside_stint")
        visit_id = audit.insert(db, actor, "visits", {"participant_id": participant_id, "visit_date": day.isoformat(),
                                                      **values, "recorded_by": actor.user_id,
                                                      "created_at": clock.stamp()}, action="visit")
        for a in clean:
            audit.insert(db, actor, "visit_actions", {"visit_id": visit_id, "participant_id": participant_id, **a},
                         action="follow_up")
        return visit_id


def complete_action(store: Store, actor: Actor, action_id: int) -> dict:
    permissions.require(actor, "visit.record")
    with store.write() as db:
        row = audit.get(db, "visit_actions", action_id)
        if row is None:
            raise NotFound("action", action_id)
        if row["done_at"]:
            raise Conflict("error.action_done")
        return audit.update(db, actor, "visit_actions", action_id, {"done_at": clock.stamp(), "done_by": actor.user_id},
                            action="follow_up_done")


def visits(store: Store, actor: Actor, participant_id: int) -> list[dict]:
    """The person's visits, newest first, each with its follow-up actions."""
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    rows = store.rows("select v.*, u.display_name as recorded_by_name from visits v left join users u on "
                      "u.id = v.recorded_by where v.participant_id = ? order by v.visit_date desc, v.id desc",
                      (participant_id,))
    if not rows:
        return rows
    marks = ", ".join("?" for _ in rows)
    acts: dict[int, list] = {}
    for a in store.rows(f"select a.*, u.display_name as owner_name from visit_actions a left join users u on "
                        f"u.id = a.owner_id where a.visit_id in ({marks}) order by a.due_date, a.id",
                        [r["id"] for r in rows]):
        acts.setdefault(a["visit_id"], []).append(a)
    for r in rows:
        r["actions"] = acts.get(r["id"], [])
    return rows


def my_actions(store: Store, actor: Actor, *, today: date | None = None) -> list[dict]:
    """Follow-up actions the actor owns and has not done, soonest first, with whether each is overdue."""
    if not permissions.can(actor, "visit.record") or actor.user_id is None:
        return []
    today = today or clock.today()
    rows = store.rows("select a.*, p.name, v.visit_date from visit_actions a join visits v on v.id = a.visit_id "
                      "join participants p on p.id = a.participant_id where a.owner_id = ? and a.done_at is null "
                      "order by a.due_date, a.id", (actor.user_id,))
    for r in rows:
        r["overdue"] = r["due_date"] < today.isoformat()
    return rows


# --- return and later use --------------------------------------------------------------------------------------

def record_return(store: Store, actor: Actor, participant_id: int, *, return_date, outcome, post=None,
                  notes=None) -> dict:
    """The return (期满返回) and what followed (后续使用); recorded again, it replaces the earlier record."""
    permissions.require(actor, "return.record")
    day = validation.parse_date("return_date", return_date)
    outcome = validation.choice("return_outcome", outcome, "return_outcome")
    post = validation.text("return_post", post, required=False, max_len=60)
    notes = validation.text("notes", notes, required=False)
    with store.write() as db:
        person = _person(db, participant_id)
        if day < date.fromisoformat(person["start_date"]):
            raise ValidationError("return_date", day.isoformat(), "before_start", start=person["start_date"])
        if day > clock.today() + timedelta(days=366):
            raise ValidationError("return_date", day.isoformat(), "too_far")
        values = {"return_date": day.isoformat(), "outcome": outcome, "post": post, "notes": notes,
                  "recorded_by": actor.user_id, "recorded_at": clock.stamp()}
        if audit.get(db, "returns", participant_id) is None:
            audit.insert(db, actor, "returns", {"participant_id": participant_id, **values}, action="record_return")
        else:
            audit.update(db, actor, "returns", participant_id, values, action="record_return")
        return audit.get(db, "returns", participant_id)


def get_return(store: Store, actor: Actor, participant_id: int) -> dict | None:
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    return store.one("select * from returns where participant_id = ?", (participant_id,))


# --- the lifecycle board, outcomes and the whole stint -----------------------------------------------------------

BOARD_COLUMNS = ("participant_id", "name", "status", "agreement", "version", "agreed_version", "declarations", "declarations_required",
                 "checkins", "checkins_due", "visits", "last_visit", "leave_days", "assessment", "conclusion",
                 "outcome", "late")
LATE_STEPS = ("agreement", "declarations", "checkins", "visit", "assessment", "return")


def _months_back(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, 28))


def board(store: Store, actor: Actor, batch_code: str, *, today: date | None = None) -> list[dict]:
    """Where each person of a batch stands, one row each (``BOARD_COLUMNS``), and ``late``: the steps that are
    late today (``LATE_STEPS``). A handful of grouped queries over the batch, whatever its size."""
    permissions.require(actor, "lifecycle.read")
    today = today or clock.today()
    rules = notify.rules(store)
    required = required_declarations(store)
    people = store.rows(f"select p.id, p.name, p.start_date, p.end_date, {roster.status_sql(today)} as status "
                        f"from participants p join batches b on b.id = p.batch_id where b.code = ?", (batch_code,))
    if not people:
        return []
    ids = [p["id"] for p in people]
    marks = ", ".join("?" for _ in ids)

    def grouped(sql: str, extra=()) -> dict[int, dict]:
        return {r["participant_id"]: r for r in store.rows(sql.format(marks=marks), [*ids, *extra])}

    agreements = grouped("select a.participant_id, a.version, a.status, "
                         "(select max(version) from agreements x where x.participant_id = a.participant_id "
                         "and x.status = 'agreed') as agreed_version from agreements a join (select participant_id, "
                         "max(version) as version from agreements where participant_id in ({marks}) "
                         "group by participant_id) m on m.participant_id = a.participant_id and m.version = a.version")
    declared = {}
    for r in store.rows(f"select participant_id, kind from declarations where participant_id in ({marks})", ids):
        declared.setdefault(r["participant_id"], set()).add(r["kind"])
    checks = {}
    for r in store.rows(f"select participant_id, month, status from checkins where participant_id in ({marks})", ids):
        if r["status"] != "draft":
            checks.setdefault(r["participant_id"], set()).add(r["month"])
    visited = grouped("select participant_id, count(*) as n, max(visit_date) as last from visits "
                      "where participant_id in ({marks}) group by participant_id")
    leave = grouped("select participant_id, sum(days) as days from leave_requests where participant_id in ({marks}) "
                    "and status = 'approved' group by participant_id")
    assessed = {r["participant_id"]: r for r in store.rows(
        f"select * from assessments where participant_id in ({marks})", ids)}
    returned = grouped("select participant_id, outcome from returns where participant_id in ({marks})")
    out = []
    for p in people:
        start, end = date.fromisoformat(p["start_date"]), date.fromisoformat(p["end_date"])
        running = p["status"] == "active" or (p["status"] == "planned" and start <= today)
        a = agreements.get(p["id"])
        agreement = "agreed" if a and a["agreed_version"] else (a["status"] if a else "none")
        done_months = checks.get(p["id"], set())
        handed, counted = checkins_counted({m: _checkin_due(m, rules["checkin_due_day"]) for m in months_of(p, today)},
                                           done_months, today)
        v = visited.get(p["id"])
        stage = assessment.stage(assessed.get(p["id"]))
        late = []
        # What is late now: the steps of a running stint while it runs, the closing ones once it has ended.
        if running:
            if agreement != "agreed" and today > start + timedelta(days=AGREEMENT_DAYS):
                late.append("agreement")
            if required and set(required) - declared.get(p["id"], set()):
                late.append("declarations")
            if handed < counted:
                late.append("checkins")
            last_visit = date.fromisoformat(v["last"]) if v else start
            if last_visit < _months_back(today, VISIT_MONTHS):
                late.append("visit")
        elif p["status"] == "completed":
            if today > end + timedelta(days=ASSESSMENT_DAYS) and stage != "concluded":
                late.append("assessment")
            if today > end + timedelta(days=RETURN_DAYS) and p["id"] not in returned:
                late.append("return")
        out.append({
            "participant_id": p["id"], "name": p["name"], "status": p["status"], "agreement": agreement,
            "version": a["version"] if a else None, "agreed_version": a["agreed_version"] if a else None,
            "declarations": len(declared.get(p["id"], set())),
            "declarations_required": len(required), "checkins": handed,
            "checkins_due": counted, "visits": v["n"] if v else 0, "last_visit": v["last"] if v else None,
            "leave_days": int(leave[p["id"]]["days"]) if p["id"] in leave else 0, "assessment": stage,
            "conclusion": (assessed.get(p["id"]) or {}).get("conclusion"),
            "outcome": returned[p["id"]]["outcome"] if p["id"] in returned else None, "late": late})
    return sorted(out, key=lambda r: (textsort.pinyin_key(r["name"]), r["participant_id"]))


def board_totals(rows: list[dict]) -> dict:
    """The board's headline: people, agreements in force, assessments concluded, returns recorded, late per step."""
    return {"people": len(rows), "agreed": sum(r["agreement"] == "agreed" for r in rows),
            "concluded": sum(r["assessment"] == "concluded" for r in rows),
            "returned": sum(r["outcome"] is not None for r in rows),
            "late": {s: sum(s in r["late"] for r in rows) for s in LATE_STEPS},
            "late_people": sum(bool(r["late"]) for r in rows)}


def outcomes(store: Store, actor: Actor, *, today: date | None = None) -> list[dict]:
    """Per batch, oldest first: people, completed stints, conclusions (优秀…不称职) and later use (提拔…回企业)."""
    permissions.require(actor, "lifecycle.read")
    today = today or clock.today()
    status = roster.status_sql(today)
    conclusion_cols = ", ".join(f"sum(s.conclusion = '{c}') as conclusion_{c}" for c in vocab.CONCLUSIONS)
    outcome_cols = ", ".join(f"sum(r.outcome = '{o}') as outcome_{o}" for o in vocab.RETURN_OUTCOMES)
    rows = store.rows(f"""
        select b.code as batch, b.direction, b.intake_year, count(p.id) as people,
               sum({status} = 'completed') as completed, {conclusion_cols}, {outcome_cols},
               sum(r.participant_id is not null) as returned
        from batches b left join participants p on p.batch_id = b.id
        left join assessments s on s.participant_id = p.id left join returns r on r.participant_id = p.id
        group by b.id""")
    for r in rows:
        for k, v in list(r.items()):
            if k not in ("batch", "direction", "intake_year") and v is None:
                r[k] = 0
    return sorted(rows, key=lambda r: roster.batch_key(r["batch"]))


def summary(store: Store, actor: Actor, participant_id: int, *, today: date | None = None) -> dict:
    """The whole stint of one person, for the profile: agreement progress, declarations, check-ins, visits,
    leave, assessment and return."""
    from secondment import agreements, leave

    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    today = today or clock.today()
    months = checkins(store, actor, participant_id, today=today)
    requests = leave.list_leave(store, actor, participant_id=participant_id)
    handed_in, counted = checkins_counted({m["month"]: date.fromisoformat(m["due"]) for m in months},
                                          {m["month"] for m in months if m["row"] and m["row"]["status"] != "draft"},
                                          today)
    return {
        "progress": agreements.progress(store, actor, participant_id, today=today),
        "declarations": declarations(store, actor, participant_id),
        "checkins": months,
        "checkins_done": handed_in,
        "checkins_due": counted,
        "visits": visits(store, actor, participant_id),
        "leave": requests,
        "leave_days": sum(r["days"] for r in requests if r["status"] == "approved"),
        "assessment": assessment.get(store, actor, participant_id),
        "return": get_return(store, actor, participant_id),
    }


