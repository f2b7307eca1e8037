"""The practice library: replicable practices distilled from counsellor work.

A reviewer, or the secondee from their own counsellor entry, proposes a practice (draft); reviewers
move it to reviewed and then promoted district-wide, and may edit its title and summary on the way.
Everyone signed in browses promoted practices; reviewers and admins see every status; a secondee
also sees their own proposals whatever their status.
"""
from __future__ import annotations

import pandas as pd

from secondment import audit, clock, i18n, permissions, textsort, validation, vocab
from secondment.db import Store, Where
from secondment.errors import Conflict, NotFound, ValidationError
from secondment.permissions import Actor

NEXT_STATUS = {"draft": "reviewed", "reviewed": "promoted"}
SOURCE_ROLE = "counsellor"


def propose(store: Store, actor: Actor, *, title, summary=None, activity_id: int | None = None,
            participant_id: int | None = None, enterprise_id: int | None = None) -> int:
    """A new draft practice. From an activity, its participant and host enterprise are taken from it
    and it must be a counsellor entry; a secondee may propose only from their own entry."""
    permissions.require(actor, "practice.propose")
    title = validation.text("title", title)
    summary = validation.text("summary", summary, required=False, max_len=4000)
    with store.write() as db:
        if activity_id is not None:
            entry = db.conn.execute(
                "select a.id, a.participant_id, a.role, p.host_unit_id from activities a "
                "join participants p on p.id = a.participant_id where a.id = ?", (activity_id,)).fetchone()
            if entry is None:
                raise NotFound("activity", activity_id)
            permissions.require(actor, "practice.propose", {"participant_id": entry["participant_id"]})
            if entry["role"] != SOURCE_ROLE:
                raise ValidationError("activity", vocab.label("role", entry["role"]), "not_counsellor")
            if db.conn.execute("select 1 from practices where activity_id = ?", (activity_id,)).fetchone():
                raise ValidationError("activity", activity_id, "duplicate")
            participant_id = entry["participant_id"]
            enterprise_id = enterprise_id or entry["host_unit_id"]
        else:
            if permissions.ownership(actor, "practice.propose") == "participant":
                raise ValidationError("activity", None, "required")  # only from their own counsellor entry
            if participant_id is not None:
                person = db.conn.execute("select host_unit_id from participants where id = ?",
                                         (participant_id,)).fetchone()
                if person is None:
                    raise NotFound("participant", participant_id)
                enterprise_id = enterprise_id or person["host_unit_id"]
        if enterprise_id is not None and db.conn.execute(
                "select 1 from units where id = ?", (enterprise_id,)).fetchone() is None:
            raise NotFound("enterprise", enterprise_id)
        stamp = clock.stamp()
        return audit.insert(db, actor, "practices", {
            "title": title, "summary": summary, "participant_id": participant_id, "enterprise_id": enterprise_id,
            "activity_id": activity_id, "status": "draft", "created_by": actor.user_id, "created_at": stamp,
            "updated_at": stamp,
        }, action="propose")


def review(store: Store, actor: Actor, practice_id: int, *, to_status: str | None = None,
           title=None, summary=None) -> dict:
    """Move a practice one step (draft → reviewed → promoted) and/or edit its title and summary."""
    permissions.require(actor, "practice.review")
    with store.write() as db:
        current = audit.get(db, "practices", practice_id)
        if current is None:
            raise NotFound("practice", practice_id)
        changes: dict = {}
        if title is not None:
            changes["title"] = validation.text("title", title)
        if summary is not None:
            changes["summary"] = validation.text("summary", summary, required=False, max_len=4000)
        action = "update"
        if to_status is not None and to_status != current["status"]:
            if NEXT_STATUS.get(current["status"]) != to_status:
                raise Conflict("error.practice_step", status=("t", f"vocab.practice_status.{current['status']}"),
                               to=("t", f"vocab.practice_status.{to_status}")
                               if to_status in vocab.PRACTICE_STATUSES else to_status)
            stamp = clock.stamp()
            changes["status"] = to_status
            if to_status == "reviewed":
                changes.update(reviewed_by=actor.user_id, reviewed_at=stamp)
            else:
                changes.update(promoted_by=actor.user_id, promoted_at=stamp)
            action = "review" if to_status == "reviewed" else "promote"
        if not changes:
            return current
        changes["updated_at"] = clock.stamp()
        return audit.update(db, actor, "practices", practice_id, changes, action=action)


def sees_all(actor: Actor) -> bool:
    return permissions.can(actor, "practice.review")


_FROM = """
    from practices x
    left join participants p on p.id = x.participant_id
    left join batches b on b.id = p.batch_id
    left join units u on u.id = x.enterprise_id
    left join activities a on a.id = x.activity_id
"""


def _visibility(actor: Actor) -> tuple[str, list]:
    """Reviewers and admins see every status; others the promoted ones (and a secondee their own)."""
    if sees_all(actor):
        return "1 = 1", []
    if permissions.ownership(actor, "practice.propose") == "participant" and actor.participant_id is not None:
        return "(x.status = 'promoted' or x.participant_id = ?)", [actor.participant_id]  # their own proposals
    return "x.status = 'promoted'", []


def list_practices(store: Store, actor: Actor, *, status: str | None = None, text: str | None = None,
                   enterprise: str | int | None = None, industry: str | None = None, batch: str | None = None,
                   practice_id: int | None = None, limit: int = 500,
                   offset: int = 0) -> tuple[list[dict], int]:
    """Practices matching the filters, newest first, and the total. ``text`` searches title and summary;
    ``enterprise`` is a unit id or part of its name."""
    permissions.require(actor, "practice.read")
    visible, visible_params = _visibility(actor)
    where = Where().add(visible, *visible_params)
    where.eq("x.id", None if practice_id is None else int(practice_id)).eq("x.status", status)
    where.contains(["x.title", "coalesce(x.summary, '')"], text)
    if isinstance(enterprise, int):
        where.eq("x.enterprise_id", enterprise)
    else:
        where.contains("u.name", enterprise)
    where.eq("u.industry", industry).eq("b.code", batch)
    clause, params = where.build()
    total = store.scalar(f"select count(*) {_FROM} where {clause}", params)
    rows = store.rows(f"""
        select x.id, x.title, x.summary, x.status, x.participant_id, p.name as participant, b.code as batch,
               b.direction, x.enterprise_id, u.name as enterprise, u.industry, x.activity_id,
               a.date as activity_date, a.title as activity_title, x.created_at, x.reviewed_at, x.promoted_at
        {_FROM} where {clause}
        order by coalesce(x.promoted_at, x.reviewed_at, x.created_at) desc, x.id desc limit ? offset ?""",
        [*params, limit, offset])
    return rows, total


def status_counts(store: Store, actor: Actor) -> dict[str, int]:
    """Practices per status (everything for reviewers, else what the actor may see)."""
    permissions.require(actor, "practice.read")
    where, params = _visibility(actor)
    counts = {s: 0 for s in vocab.PRACTICE_STATUSES}
    for row in store.rows(f"select x.status, count(*) as n from practices x where {where} group by x.status", params):
        counts[row["status"]] = row["n"]
    return counts


def get(store: Store, actor: Actor, practice_id: int) -> dict:
    rows, _ = list_practices(store, actor, practice_id=practice_id, limit=1)
    if not rows:
        raise NotFound("practice", practice_id)
    return rows[0]


def filter_options(store: Store, actor: Actor) -> dict[str, list]:
    """Enterprises, industries and batches that occur in the practices this actor can see."""
    permissions.require(actor, "practice.read")
    where, params = _visibility(actor)
    rows = store.rows(f"""select distinct x.enterprise_id, u.name as enterprise, u.industry, b.code as batch
                          {_FROM} where {where}""", params)
    enterprises = sorted({(r["enterprise_id"], r["enterprise"]) for r in rows if r["enterprise_id"]},
                         key=lambda e: textsort.pinyin_key(e[1]))
    return {
        "enterprises": enterprises,
        "industries": sorted({r["industry"] for r in rows if r["industry"]}, key=textsort.pinyin_key),
        "batches": sorted({r["batch"] for r in rows if r["batch"]}),
    }


def proposed_activity_ids(store: Store, actor: Actor, participant_id: int) -> set[int]:
    permissions.require(actor, "activity.read", {"participant_id": participant_id})
    return {r["activity_id"] for r in store.rows(
        "select activity_id from practices where participant_id = ? and activity_id is not null", (participant_id,))}


EXPORT_COLUMNS = ("title", "summary", "status", "enterprise", "industry", "participant", "batch", "promoted_at")
_LABELS = {"title": "field.title", "summary": "practice.summary", "status": "field.status",
           "enterprise": "field.enterprise", "industry": "field.industry", "participant": "field.participant",
           "batch": "field.batch", "promoted_at": "practice.promoted_at"}


def labelled(rows: list[dict], lang: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    frame["status"] = frame["status"].map(lambda s: vocab.label("practice_status", s, lang))
    frame["promoted_at"] = frame["promoted_at"].map(lambda v: i18n.format_date(v, lang))
    return frame.rename(columns={c: i18n.translate(lang, _LABELS[c]) for c in EXPORT_COLUMNS})


def export_frame(store: Store, actor: Actor, lang: str = "zh", **filters) -> pd.DataFrame:
    filters.pop("limit", None)
    filters.pop("offset", None)
    rows, _ = list_practices(store, actor, limit=1_000_000, **filters)
    return labelled(rows, lang)
