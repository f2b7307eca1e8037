"""The end-of-stint assessment (期满考核鉴定) and the host contact's signed, single-use link.

Four parts, in order: the secondee's self-assessment, drafted from the agreement, the logs and the check-ins; the
host unit's appraisal on the classic dimensions of cadre assessment (德、能、勤、绩、廉) with a comment; the home
unit's view; the organisation department's conclusion (优秀 / 称职 / 基本称职 / 不称职), which needs the host
unit's appraisal first.

The host unit's contact usually has no account. A reviewer issues a link for them: a token signed with the
server's key (``auth.serializer``) naming the link and a random nonce, of which the database keeps only the
SHA-256. The link opens only that person's appraisal form with a short summary of the stint; it works once, until
it expires (the ``host_link_days`` rule), and issuing a new one for the same person withdraws the old. A link that
is unknown, altered, used, withdrawn or expired is refused with one message that says nothing more.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from itsdangerous import BadSignature

from secondment import audit, auth, clock, i18n, notify, permissions, validation, vocab
from secondment.db import Store
from secondment.errors import Conflict, NotFound, SecondmentError
from secondment.permissions import Actor

SALT = "secondment-host-link"
# The conclusion is recorded from this many days before the stint's end (or after it ended early): not before.
OPENS_DAYS_BEFORE_END = 30
PURPOSE = "appraisal"

class LinkRefused(SecondmentError):
    """A host link that cannot be used: the same answer whatever the reason."""

    key = "host.refused"

def stage(row: dict | None) -> str:
    """How far the assessment has come (``vocab.ASSESSMENT_STAGES``)."""
    if not row:
        return "not_started"
    for name, column in (("concluded", "conclusion"), ("home", "home_at"), ("host", "host_at"), ("self", "self_at")):
        if row.get(column):
            return name
    return "not_started"

def _person(db, participant_id: int) -> dict:
    row = db.conn.execute(
        "select p.id, p.name, p.post, p.start_date, p.end_date, b.code as batch, b.direction, h.name as host_unit, "
        "hm.name as home_unit from participants p join batches b on b.id = p.batch_id left join units h on "
        "h.id = p.host_unit_id left join units hm on hm.id = p.home_unit_id where p.id = ?",
        (participant_id,)).fetchone()
    if row is None:
        raise NotFound("participant", participant_id)
    return dict(row)

def get(store: Store, actor: Actor, participant_id: int) -> dict:
    """The assessment so far (empty parts are None), its stage and the links issued for it."""
    permissions.require(actor, "stint.read", {"participant_id": participant_id})
    row = store.one("select s.*, u.display_name as conclusion_by_name from assessments s left join users u on "
                    "u.id = s.conclusion_by where s.participant_id = ?", (participant_id,)) or {}
    links = []
    if permissions.can(actor, "assessment.manage"):
        links = store.rows("select id, contact, created_at, expires_at, used_at, revoked_at from host_links "
                           "where participant_id = ? order by id desc", (participant_id,))
    return {**row, "participant_id": participant_id, "stage": stage(row), "links": links}

def self_draft(store: Store, actor: Actor, participant_id: int, lang: str = "zh") -> str:
    """The self-assessment drafted from the record: the objectives with their targets and linked work, the approved
    entries per role, the monthly self-checks handed in. Only what is recorded; the secondee writes the rest."""
    from secondment import agreements, stint

    permissions.require(actor, "assessment.self", {"participant_id": participant_id})
    t = lambda key, **p: i18n.translate(lang, key, **p)
    lines = []
    progress = agreements.progress(store, actor, participant_id)
    if progress["objectives"]:
        lines.append(t("assessment.draft_objectives"))
        for o in progress["objectives"]:
            lines.append(t("assessment.draft_objective", role=vocab.label("role", o["role"], lang), text=o["text"],
                           target=o["target"], status=vocab.label("objective_status", o["shown_status"], lang),
                           n=o["linked"]))
        lines.append("")
    entries = store.rows(
        "select a.role, count(*) as n, sum(a.hours) as hours from activities a join week_reviews w on "
        "w.participant_id = a.participant_id and w.week = a.week and w.state = 'approved' where a.participant_id = ? "
        "group by a.role", (participant_id,))
    if entries:
        lines.append(t("assessment.draft_entries"))
        by_role = {e["role"]: e for e in entries}
        for role in vocab.ROLES:
            if role in by_role:
                lines.append(t("assessment.draft_role", role=vocab.label("role", role, lang), n=by_role[role]["n"],
                               hours=f"{float(by_role[role]['hours'] or 0):g}"))
        lines.append("")
    done = [m for m in stint.checkins(store, actor, participant_id) if m["row"] and m["row"]["status"] != "draft"]
    if done:
        lines.append(t("assessment.draft_checkins", n=len(done)))
    return "\n".join(lines).strip()

def _write(db, actor: Actor, participant_id: int, values: dict, action: str) -> dict:
    values = {**values, "updated_at": clock.stamp()}
    if audit.get(db, "assessments", participant_id) is None:
        audit.insert(db, actor, "assessments", {"participant_id": participant_id, **values}, action=action)
    else:
        audit.update(db, actor, "assessments", participant_id, values, action=action)
    return audit.get(db, "assessments", participant_id)

def _locked(row: dict | None) -> None:
    if row and row.get("conclusion"):
        raise Conflict("error.assessment_concluded")

def save_self(store: Store, actor: Actor, participant_id: int, text) -> dict:
    permissions.require(actor, "assessment.self", {"participant_id": participant_id})
    text = validation.text("self_text", text, max_len=8000)
    with store.write() as db:
        _person(db, participant_id)
        _locked(audit.get(db, "assessments", participant_id))
        return _write(db, actor, participant_id, {"self_text": text, "self_at": clock.stamp()}, "self_assessment")

def clean_appraisal(scores: dict, comment, signatory) -> dict:
    """The host unit's appraisal: a grade for each of 德、能、勤、绩、廉, a comment and who signed."""
    out = {}
    for dim in vocab.APPRAISAL_DIMENSIONS:
        out[f"host_{dim}"] = validation.choice(f"appraisal_{dim}", (scores or {}).get(dim), "appraisal_grade")
    out["host_comment"] = validation.text("host_comment", comment, max_len=4000)
    out["host_signatory"] = validation.text("signatory", signatory, max_len=60)
    return out

def _withdraw_links(db, actor: Actor, participant_id: int) -> None:
    """Unused links for this person stop working (their form has been filled another way)."""
    for old in db.conn.execute("select id from host_links where participant_id = ? and used_at is null and "
                               "revoked_at is null", (participant_id,)).fetchall():
        audit.update(db, actor, "host_links", old["id"], {"revoked_at": clock.stamp()}, action="link_withdrawn")


def record_host(store: Store, actor: Actor, participant_id: int, *, scores: dict, comment, signatory) -> dict:
    """The host unit's appraisal as a reviewer types it in from the signed paper form; open links are withdrawn."""
    permissions.require(actor, "assessment.manage")
    values = clean_appraisal(scores, comment, signatory)
    with store.write() as db:
        _person(db, participant_id)
        _locked(audit.get(db, "assessments", participant_id))
        _withdraw_links(db, actor, participant_id)
        return _write(db, actor, participant_id, {**values, "host_at": clock.stamp()}, "host_appraisal")

def record_home(store: Store, actor: Actor, participant_id: int, *, view, signatory) -> dict:
    permissions.require(actor, "assessment.manage")
    view = validation.text("home_view", view, max_len=4000)
    signatory = validation.text("signatory", signatory, max_len=60)
    with store.write() as db:
        _person(db, participant_id)
        _locked(audit.get(db, "assessments", participant_id))
        return _write(db, actor, participant_id, {"home_view": view, "home_signatory": signatory,
                                                  "home_at": clock.stamp()}, "home_view")

def conclude(store: Store, actor: Actor, participant_id: int, conclusion, note=None) -> dict:
    """The organisation department's conclusion: from a month before the stint's end, once the self-assessment and
    the host unit's appraisal are in. It ends the assessment (nothing in it changes afterwards)."""
    permissions.require(actor, "assessment.manage")
    conclusion = validation.choice("conclusion", conclusion, "conclusion")
    note = validation.text("conclusion_note", note, required=False, max_len=2000)
    with store.write() as db:
        person = _person(db, participant_id)
        row = audit.get(db, "assessments", participant_id)
        _locked(row)
        opens = date.fromisoformat(person["end_date"]) - timedelta(days=OPENS_DAYS_BEFORE_END)
        if clock.today() < opens:
            raise Conflict("error.assessment_too_early", end=person["end_date"], opens=opens.isoformat())
        if not row or not row.get("self_at"):
            raise Conflict("error.assessment_needs_self")
        if not row.get("host_at"):
            raise Conflict("error.assessment_needs_host")
        return _write(db, actor, participant_id, {"conclusion": conclusion, "conclusion_note": note,
                                                  "conclusion_by": actor.user_id, "conclusion_at": clock.stamp()},
                      "conclude")

# --- the host contact's link ---------------------------------------------------------------------------------

def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()

def issue_link(store: Store, actor: Actor, participant_id: int, *, contact) -> dict:
    """A new link for the host unit's contact; earlier unused links for this person are withdrawn. Returns
    ``{"id", "token", "expires_at"}``; the token is shown once and never stored."""
    permissions.require(actor, "assessment.manage")
    contact = validation.text("contact", contact, max_len=60)
    days = notify.rules(store)["host_link_days"]
    nonce = secrets.token_urlsafe(24)
    now = clock.now()
    with store.write() as db:
        _person(db, participant_id)
        row = db.conn.execute("select host_at, conclusion from assessments where participant_id = ?",
                              (participant_id,)).fetchone()
        if row and (row["host_at"] or row["conclusion"]):
            raise Conflict("error.host_appraisal_in")
        stamp = clock.stamp(now)
        _withdraw_links(db, actor, participant_id)
        expires = clock.stamp(now + timedelta(days=days))
        link_id = audit.insert(db, actor, "host_links", {
            "participant_id": participant_id, "purpose": PURPOSE, "nonce_hash": _hash(nonce), "contact": contact,
            "created_by": actor.user_id, "created_at": stamp, "expires_at": expires}, action="link_issued")
    token = auth.serializer(store, SALT).dumps({"id": link_id, "n": nonce})
    return {"id": link_id, "token": token, "expires_at": expires}

def revoke_link(store: Store, actor: Actor, link_id: int) -> None:
    permissions.require(actor, "assessment.manage")
    with store.write() as db:
        row = audit.get(db, "host_links", link_id)
        if row is None:
            raise NotFound("link", link_id)
        if not row["used_at"] and not row["revoked_at"]:
            audit.update(db, actor, "host_links", link_id, {"revoked_at": clock.stamp()}, action="link_withdrawn")

def _check(db, store: Store, token) -> dict:
    """The link row behind ``token``, or LinkRefused. Call inside a transaction that then uses it."""
    if not isinstance(token, str) or not token or len(token) > 400:
        raise LinkRefused()
    days = notify.rules(store)["host_link_days"]
    try:
        data = auth.serializer(store, SALT).loads(token, max_age=(days + 1) * 86400)
        link_id, nonce = int(data["id"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused() from None
    row = db.conn.execute("select * from host_links where id = ?", (link_id,)).fetchone()
    if (row is None or not secrets.compare_digest(row["nonce_hash"], _hash(nonce)) or row["used_at"]
            or row["revoked_at"] or row["expires_at"] <= clock.stamp()):
        raise LinkRefused()
    return dict(row)

def open_link(store: Store, token) -> dict:
    """What the link shows: that person's name, post, host and home units, period, objectives and approved work
    per role. Nothing else; refused as a whole when the link cannot be used."""
    with store.read() as db:
        link = _check(db, store, token)
        person = _person(db, link["participant_id"])
        done = db.conn.execute("select host_at, conclusion from assessments where participant_id = ?",
                               (person["id"],)).fetchone()
        if done and (done["host_at"] or done["conclusion"]):
            raise LinkRefused()     # typed in from paper meanwhile: nothing left for the link to fill
        # the version in force (the newest agreed), else the newest draft
        current = db.conn.execute("select id from agreements where participant_id = ? "
                                  "order by status = 'agreed' desc, version desc limit 1", (person["id"],)).fetchone()
        objectives = [dict(r) for r in db.conn.execute(
            "select role, text, target, due_date from objectives where agreement_id = ? order by position",
            (current["id"] if current else -1,))]
        work = [dict(r) for r in db.conn.execute(
            "select a.role, count(*) as n from activities a join week_reviews w on w.participant_id = a.participant_id "
            "and w.week = a.week and w.state = 'approved' where a.participant_id = ? group by a.role", (person["id"],))]
        self_text = db.conn.execute("select self_text from assessments where participant_id = ?",
                                    (person["id"],)).fetchone()
    return {"link": {"id": link["id"], "contact": link["contact"], "expires_at": link["expires_at"]},
            "person": person, "objectives": objectives, "work": work,
            "self_text": self_text["self_text"] if self_text else None}

def submit_link(store: Store, token, *, scores: dict, comment, signatory) -> dict:
    """The host contact's appraisal through the link: checked, written and the link used, in one transaction."""
    values = clean_appraisal(scores, comment, signatory)
    with store.write() as db:
        link = _check(db, store, token)
        host = Actor(user_id=None, username=f"host-link:{link['id']}", role="host", display_name=values["host_signatory"])
        row = audit.get(db, "assessments", link["participant_id"])
        if row and (row.get("host_at") or row.get("conclusion")):
            raise LinkRefused()
        stamp = clock.stamp()
        audit.update(db, host, "host_links", link["id"], {"used_at": stamp}, action="link_used")
        return _write(db, host, link["participant_id"], {**values, "host_at": stamp}, "host_appraisal")

def link_url(base: str, token: str) -> str:
    """The address the contact opens: ``<base>/_host/appraisal?token=…`` (``base`` is the app's public address)."""
    return f"{base.rstrip('/')}/_host/appraisal?token={token}"
