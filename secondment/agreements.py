"""The agreement (任务书) of a stint, its objectives, and the work linked to them.

An agreement names the three parties (home unit, host unit, the organisation department), the post and the
period, and sets objectives under the four roles (a cadre) or the three categories (a talent), each with a
measurable target and a due date. A reviewer or the secondee drafts it; a reviewer records each party's agreement
(who signed for it, when). Once all three have agreed, the version is in force. Amending it makes a new draft
version that must be agreed again; the version in force stays so until then, and every version is kept.

An objective keeps its *lineage* (the id of its first version) through amendments, and entries, feedback items and
practices are linked to the lineage, so work linked under one version still counts under the next.
"""
from __future__ import annotations

from datetime import date, timedelta

from secondment import audit, clock, permissions, textsort, validation, vocab
from secondment.db import Store
from secondment.errors import Conflict, NotFound, ValidationError
from secondment.permissions import Actor

LINK_KINDS = ("activity", "feedback", "practice")
MOST_OBJECTIVES = 40
# Objectives due within this many days with nothing linked yet are "at risk" in the data's suggestion.
SOON_DAYS = 30


def _participant(db, participant_id: int) -> dict:
    row = db.conn.execute(
        "select p.id, p.name, p.post, p.start_date, p.end_date, p.home_unit_id, p.host_unit_id, b.direction, "
        "b.code as batch from participants p join batches b on b.id = p.batch_id where p.id = ?",
        (participant_id,)).fetchone()
    if row is None:
        raise NotFound("participant", participant_id)
    return dict(row)


def _versions(db, participant_id: int) -> list[dict]:
    rows = [dict(r) for r in db.conn.execute(
        "select a.*, hm.name as home_unit, h.name as host_unit from agreements a "
        "left join units hm on hm.id = a.home_unit_id left join units h on h.id = a.host_unit_id "
        "where a.participant_id = ? order by a.version desc", (participant_id,))]
    if not rows:
        return rows
    marks = ", ".join("?" for _ in rows)
    ids = [r["id"] for r in rows]
    parties: dict[int, dict] = {}
    for p in db.conn.execute(
            f"select ap.*, u.display_name as recorded_by_name from agreement_parties ap "
            f"left join users u on u.id = ap.recorded_by where ap.agreement_id in ({marks})", ids):
        parties.setdefault(p["agreement_id"], {})[p["party"]] = dict(p)
    objectives: dict[int, list] = {}
    for o in db.conn.execute(f"select * from objectives where agreement_id in ({marks}) order by position, id", ids):
        objectives.setdefault(o["agreement_id"], []).append(dict(o))
    for r in rows:
        r["parties"] = parties.get(r["id"], {})
        r["objectives"] = objectives.get(r["id"], [])
    return rows


def versions(store: Store, actor: Actor, participant_id: int) -> list[dict]:
    """Every version of the participant's agreement, newest first, with its parties and objectives."""
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    with store.read() as db:
        _participant(db, participant_id)
        return _versions(db, participant_id)


def in_force(rows: list[dict]) -> dict | None:
    """The version in force (the newest agreed one) among ``versions()``, or None."""
    return next((r for r in rows if r["status"] == "agreed"), None)


def working(rows: list[dict]) -> dict | None:
    """The version people work on: the newest (a draft amendment, or the one in force)."""
    return rows[0] if rows else None


def _clean_objective(o: dict, direction: str, start: date, end: date) -> dict:
    role = validation.role_for_direction(validation.choice("role", o.get("role"), "role"), direction)
    text = validation.text("objective", o.get("text"), max_len=400)
    target = validation.text("target", o.get("target"), max_len=400)
    due = validation.parse_date("due_date", o.get("due_date"))
    validation.within("due_date", due, start, end, "outside_agreement")
    return {"role": role, "text": text, "target": target, "due_date": due.isoformat(), "lineage": o.get("lineage")}


def _clean_objectives(objectives, direction: str, start: date, end: date) -> list[dict]:
    if not objectives:
        raise ValidationError("objectives", None, "required")
    if len(objectives) > MOST_OBJECTIVES:
        raise ValidationError("objectives", len(objectives), "too_many", most=MOST_OBJECTIVES)
    out = []
    for i, o in enumerate(objectives, start=1):
        try:
            out.append(_clean_objective(o, direction, start, end))
        except ValidationError as error:
            raise error.at_row(i) from None
    return out


def check_objective(store: Store, actor: Actor, participant_id: int, objective: dict) -> dict:
    """One objective as a form gives it (no row number to name), against the working version's period."""
    permissions.require(actor, "agreement.draft", {"participant_id": participant_id})
    with store.read() as db:
        person = _participant(db, participant_id)
        current = working(_versions(db, participant_id))
    period = current or person
    return _clean_objective(objective, person["direction"], date.fromisoformat(period["start_date"]),
                            date.fromisoformat(period["end_date"]))


def draft(store: Store, actor: Actor, participant_id: int, *, objectives: list[dict], post=None, start_date=None,
          end_date=None, notes=None) -> dict:
    """Write the working draft: the first version, a change to the current draft, or (when the newest version is
    agreed) an amendment as a new version. Parties default to the participant's home and host units; post and
    period to the stint's. Each objective is ``{role, text, target, due_date}`` (``lineage`` to carry one over).
    Returns the version written."""
    permissions.require(actor, "agreement.draft", {"participant_id": participant_id})
    with store.write() as db:
        person = _participant(db, participant_id)
        start = validation.parse_date("start_date", start_date or person["start_date"])
        end = validation.parse_date("end_date", end_date or person["end_date"])
        validation.date_order("start_date", start, "end_date", end)
        post = validation.text("post", post if post is not None else person["post"], required=False)
        notes = validation.text("notes", notes, required=False)
        clean = _clean_objectives(objectives, person["direction"], start, end)
        rows = _versions(db, participant_id)
        newest = working(rows)
        stamp = clock.stamp()
        values = {"post": post, "start_date": start.isoformat(), "end_date": end.isoformat(), "notes": notes,
                  "home_unit_id": person["home_unit_id"], "host_unit_id": person["host_unit_id"],
                  "updated_at": stamp}
        if newest is not None and newest["status"] == "draft":
            agreement_id = newest["id"]
            audit.update(db, actor, "agreements", agreement_id, values, action="redraft")
            known = {o["lineage"]: o for o in newest["objectives"]}
            for o in newest["objectives"]:
                db.conn.execute("delete from objectives where id = ?", (o["id"],))
            # a party's agreement to an earlier wording of this draft no longer holds
            db.conn.execute("delete from agreement_parties where agreement_id = ?", (agreement_id,))
        else:
            agreement_id = audit.insert(db, actor, "agreements", {
                "participant_id": participant_id, "version": (newest["version"] + 1) if newest else 1,
                "status": "draft", "created_by": actor.user_id, "created_at": stamp, **values},
                action="amend" if newest else "draft")
            known = {o["lineage"]: o for o in newest["objectives"]} if newest else {}
        for position, o in enumerate(clean, start=1):
            carried = known.get(o["lineage"]) if o["lineage"] else None
            cur = db.conn.execute(
                "insert into objectives(agreement_id, lineage, position, role, text, target, due_date, status, "
                "status_by, status_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (agreement_id, carried["lineage"] if carried else None, position, o["role"], o["text"], o["target"],
                 o["due_date"], carried["status"] if carried else None, carried["status_by"] if carried else None,
                 carried["status_at"] if carried else None))
            if not carried:
                db.conn.execute("update objectives set lineage = id where id = ?", (cur.lastrowid,))
        written = next(r for r in _versions(db, participant_id) if r["id"] == agreement_id)
        audit.record(db, actor, "objectives", agreement_id, "set", None,
                     {"objectives": [{k: o[k] for k in ("role", "text", "target", "due_date")}
                                     for o in written["objectives"]]})
        return written


def agree(store: Store, actor: Actor, agreement_id: int, party: str, *, signatory, on=None) -> dict:
    """Record that ``party`` (home / host / org) agreed to this version, signed by ``signatory``. When the third
    party agrees, the version comes into force and the one it amends is superseded."""
    permissions.require(actor, "agreement.agree")
    party = validation.choice("party", party, "party")
    signatory = validation.text("signatory", signatory, max_len=60)
    day = validation.parse_date("agreed_on", on) if on else clock.today()
    with store.write() as db:
        row = audit.get(db, "agreements", agreement_id)
        if row is None:
            raise NotFound("agreement", agreement_id)
        if row["status"] != "draft":
            raise Conflict("error.agreement_not_draft", version=row["version"])
        drafted = clock.local_date(row["created_at"])
        if day > clock.today():
            raise ValidationError("agreed_on", day.isoformat(), "in_future")
        if day < drafted:
            raise ValidationError("agreed_on", day.isoformat(), "before_draft", day=drafted.isoformat())
        if db.conn.execute("select 1 from agreement_parties where agreement_id = ? and party = ?",
                           (agreement_id, party)).fetchone():
            raise Conflict("error.party_agreed", party=("t", f"vocab.party.{party}"))
        at = clock.stamp() if on is None else f"{day.isoformat()}T04:00:00Z"
        audit.insert(db, actor, "agreement_parties", {"agreement_id": agreement_id, "party": party,
                                                      "signatory": signatory, "recorded_by": actor.user_id,
                                                      "agreed_at": at}, action="agree")
        done = {r["party"] for r in db.conn.execute(
            "select party from agreement_parties where agreement_id = ?", (agreement_id,))}
        if done >= set(vocab.PARTIES):
            for old in db.conn.execute("select id from agreements where participant_id = ? and status = 'agreed'",
                                       (row["participant_id"],)).fetchall():
                audit.update(db, actor, "agreements", old["id"], {"status": "superseded", "updated_at": at},
                             action="supersede")
            audit.update(db, actor, "agreements", agreement_id, {"status": "agreed", "agreed_at": at,
                                                                 "updated_at": at}, action="in_force")
        return next(r for r in _versions(db, row["participant_id"]) if r["id"] == agreement_id)


def _objective(db, objective_id: int) -> dict:
    row = db.conn.execute("select o.*, a.participant_id, a.status as agreement_status from objectives o "
                          "join agreements a on a.id = o.agreement_id where o.id = ?", (objective_id,)).fetchone()
    if row is None:
        raise NotFound("objective", objective_id)
    return dict(row)


def set_status(store: Store, actor: Actor, objective_id: int, status: str | None) -> dict:
    """A reviewer's judgement of an objective (None hands it back to the data's suggestion)."""
    permissions.require(actor, "objective.status")
    status = validation.choice("objective_status", status, "objective_status", required=False)
    with store.write() as db:
        row = _objective(db, objective_id)
        if row["agreement_status"] == "superseded":
            raise Conflict("error.objective_superseded")
        return audit.update(db, actor, "objectives", objective_id,
                            {"status": status, "status_by": actor.user_id, "status_at": clock.stamp()},
                            action="objective_status")


_ITEM_SQL = {
    "activity": "select participant_id from activities where id = ?",
    "feedback": "select participant_id from feedback where id = ?",
    "practice": "select participant_id from practices where id = ?",
}


def link(store: Store, actor: Actor, objective_id: int, kind: str, item_id: int) -> int:
    """Link one of the participant's own entries, feedback items or practices to an objective."""
    if kind not in LINK_KINDS:
        raise ValidationError("link_kind", kind, "unknown_code", allowed=" / ".join(LINK_KINDS))
    with store.write() as db:
        objective = _objective(db, objective_id)
        permissions.require(actor, "objective.link", {"participant_id": objective["participant_id"]})
        if objective["agreement_status"] == "superseded":
            raise Conflict("error.objective_superseded")
        owner = db.conn.execute(_ITEM_SQL[kind], (item_id,)).fetchone()
        if owner is None:
            raise NotFound(kind, item_id)
        if owner["participant_id"] != objective["participant_id"]:
            raise ValidationError(kind, item_id, "not_this_participant")
        if db.conn.execute("select 1 from objective_links where kind = ? and item_id = ? and lineage = ?",
                           (kind, item_id, objective["lineage"])).fetchone():
            raise ValidationError(kind, item_id, "duplicate")
        return audit.insert(db, actor, "objective_links", {
            "lineage": objective["lineage"], "participant_id": objective["participant_id"], "kind": kind,
            "item_id": item_id, "linked_by": actor.user_id, "linked_at": clock.stamp()}, action="link")


def unlink(store: Store, actor: Actor, link_id: int) -> None:
    with store.write() as db:
        row = audit.get(db, "objective_links", link_id)
        if row is None:
            raise NotFound("link", link_id)
        permissions.require(actor, "objective.link", {"participant_id": row["participant_id"]})
        audit.delete(db, actor, "objective_links", link_id, action="unlink")


def suggest(objective: dict, linked: int, today: date) -> str:
    """What the data says of an objective: nothing linked and not yet due → not started; due within
    ``SOON_DAYS`` (or past due) with nothing linked, or past due with work linked → at risk; work linked and not
    yet due → on track. Only a reviewer says "done"."""
    due = date.fromisoformat(objective["due_date"]) if objective.get("due_date") else None
    if linked == 0:
        return "at_risk" if due is not None and due <= today + timedelta(days=SOON_DAYS) else "not_started"
    return "at_risk" if due is not None and due < today else "on_track"


def _links(db, participant_id: int, lineages: list[int]) -> dict[int, list[dict]]:
    if not lineages:
        return {}
    marks = ", ".join("?" for _ in lineages)
    out: dict[int, list[dict]] = {}
    for r in db.conn.execute(f"""
            select l.id, l.lineage, l.kind, l.item_id, l.linked_at,
                   case l.kind when 'activity' then a.title when 'feedback' then f.summary else x.title end as title,
                   case l.kind when 'activity' then a.date when 'feedback' then substr(f.created_at, 1, 10)
                        else substr(x.created_at, 1, 10) end as day,
                   case l.kind when 'activity' then a.role else null end as role,
                   case l.kind when 'feedback' then f.status when 'practice' then x.status else null end as state
            from objective_links l
            left join activities a on l.kind = 'activity' and a.id = l.item_id
            left join feedback f on l.kind = 'feedback' and f.id = l.item_id
            left join practices x on l.kind = 'practice' and x.id = l.item_id
            where l.participant_id = ? and l.lineage in ({marks}) order by day desc, l.id desc""",
                             [participant_id, *lineages]):
        out.setdefault(r["lineage"], []).append(dict(r))
    return out


def progress(store: Store, actor: Actor, participant_id: int, *, today: date | None = None) -> dict:
    """The objectives of the working version with their linked work and status (the reviewer's, else the data's
    suggestion, marked ``suggested``), and the counts per status."""
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    today = today or clock.today()
    with store.read() as db:
        person = _participant(db, participant_id)
        rows = _versions(db, participant_id)
        current = working(rows)
        if current is None:
            return {"participant": person, "agreement": None, "in_force": None, "objectives": [],
                    "counts": dict.fromkeys(vocab.OBJECTIVE_STATUSES, 0)}
        links = _links(db, participant_id, [o["lineage"] for o in current["objectives"]])
    counts = dict.fromkeys(vocab.OBJECTIVE_STATUSES, 0)
    objectives = []
    for o in current["objectives"]:
        linked = links.get(o["lineage"], [])
        status = o["status"] or suggest(o, len(linked), today)
        counts[status] += 1
        objectives.append({**o, "links": linked, "linked": len(linked), "shown_status": status,
                           "suggested": o["status"] is None})
    return {"participant": person, "agreement": current, "in_force": in_force(rows), "objectives": objectives,
            "counts": counts}


def linkable(store: Store, actor: Actor, participant_id: int, *, limit: int = 300) -> dict[str, list[dict]]:
    """The participant's own entries (newest first), feedback items and practices, for the link picker."""
    permissions.require(actor, "objective.link", {"participant_id": participant_id})
    with store.read() as db:
        return {
            "activity": [dict(r) for r in db.conn.execute(
                "select id, date as day, role, title from activities where participant_id = ? "
                "order by date desc, id desc limit ?", (participant_id, limit))],
            "feedback": [dict(r) for r in db.conn.execute(
                "select id, substr(created_at, 1, 10) as day, summary as title from feedback "
                "where participant_id = ? order by created_at desc limit ?", (participant_id, limit))],
            "practice": [dict(r) for r in db.conn.execute(
                "select id, substr(created_at, 1, 10) as day, title from practices where participant_id = ? "
                "order by created_at desc limit ?", (participant_id, limit))],
        }


def batch_progress(store: Store, actor: Actor, batch_code: str, *, today: date | None = None) -> list[dict]:
    """Per person of a batch: the working agreement's status and version, objectives per status (and per role and
    status in ``by_role``), work linked.
    In SQL over the batch (its people, their newest versions, their links), sorted by pinyin."""
    permissions.require(actor, "lifecycle.read")
    today = today or clock.today()
    with store.read() as db:
        people = [dict(r) for r in db.conn.execute(
            "select p.id, p.name from participants p join batches b on b.id = p.batch_id where b.code = ?",
            (batch_code,))]
        if not people:
            return []
        ids = [p["id"] for p in people]
        marks = ", ".join("?" for _ in ids)
        newest = {r["participant_id"]: dict(r) for r in db.conn.execute(
            f"select a.participant_id, a.id, a.version, a.status from agreements a join "
            f"(select participant_id, max(version) as version from agreements where participant_id in ({marks}) "
            f"group by participant_id) m on m.participant_id = a.participant_id and m.version = a.version", ids)}
        objectives: dict[int, list] = {}
        if newest:
            amarks = ", ".join("?" for _ in newest)
            for o in db.conn.execute(f"select o.*, a.participant_id from objectives o join agreements a on "
                                     f"a.id = o.agreement_id where o.agreement_id in ({amarks})",
                                     [v["id"] for v in newest.values()]):
                objectives.setdefault(o["participant_id"], []).append(dict(o))
        linked = {(r["participant_id"], r["lineage"]): r["n"] for r in db.conn.execute(
            f"select participant_id, lineage, count(*) as n from objective_links where participant_id in ({marks}) "
            f"group by participant_id, lineage", ids)}
    out = []
    for p in people:
        counts = dict.fromkeys(vocab.OBJECTIVE_STATUSES, 0)
        by_role: dict[str, dict[str, int]] = {}
        work = 0
        for o in objectives.get(p["id"], []):
            n = linked.get((p["id"], o["lineage"]), 0)
            work += n
            status = o["status"] or suggest(o, n, today)
            counts[status] += 1
            role = by_role.setdefault(o["role"], dict.fromkeys(vocab.OBJECTIVE_STATUSES, 0))
            role[status] += 1
        a = newest.get(p["id"])
        out.append({"participant_id": p["id"], "name": p["name"], "agreement_status": a["status"] if a else None,
                    "version": a["version"] if a else None, "objectives": sum(counts.values()), "linked": work,
                    "by_role": by_role, **counts})
    return sorted(out, key=lambda r: (textsort.pinyin_key(r["name"]), r["participant_id"]))
