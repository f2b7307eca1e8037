"""What the app tells each person: notifications inside the app, daily or weekly e-mail digests, and group-robot
messages per department.

Notifications come from what the app already records, read once each (a watermark per log):
- the audit trail: a week approved or returned, a practice promoted, a password reset by an administrator;
- the feedback loop's events: an item routed or transferred to a department, answered, sent back, escalated;
- the calendar (``due``): a deadline near, a deadline passed (a chaser, and a second one to the reviewers too),
  a week not yet logged or submitted (to the secondee, and later to the reviewers, one line per week).
Each has a *cause*; a person holds at most one notification per cause, so nothing is told twice, whichever
session or command-line run finds it first.

``run`` (``python -m secondment notify``, from cron or a systemd timer) does all of that, then queues at most
one digest per person per day (``outbox``, unique per channel, recipient and day) and sends what waits; a send
that fails stays in the outbox and is tried again on the next run.
"""
from __future__ import annotations

import json
import os
import smtplib
import ssl
import tomllib
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from html import escape
from pathlib import Path

from secondment import activities, audit, clock, errors, feedback, holidays, i18n, permissions
from secondment import db as dbmod
from secondment.db import Store
from secondment.permissions import Actor

KINDS = ("week_returned", "week_approved", "practice_promoted", "password_reset", "item_routed",
         "item_transferred", "item_answered", "item_sent_back", "item_escalated", "deadline_near",
         "deadline_passed", "deadline_second", "week_missing", "weeks_missing", "agreement_in_force",
         "leave_approved", "leave_rejected", "checkin_acknowledged", "follow_up_assigned")
DIGESTS = ("none", "daily", "weekly")
MAX_ATTEMPTS = 8

# The rules an administrator may change, their defaults and bounds.
RULES = {
    "week_reminder_weekday": (5, 1, 7),     # from this weekday (1 = Monday) a week not submitted is a reminder
    "week_to_reviewer_weeks": (1, 1, 8),    # … and goes to the reviewers once it is this many weeks old
    "due_soon_days": (2, 0, 10),            # working days before a deadline the liaison is reminded
    "chaser_days": (1, 0, 10),              # working days after a deadline: the chaser
    "second_chaser_days": (5, 1, 30),       # … and the second one, to the reviewers too
    "quiet_start": (22, 0, 23),             # no e-mail or robot message from this hour (China time) …
    "quiet_end": (7, 0, 23),                # … until this one
    "digest_hour": (8, 0, 23),              # digests go out from this hour
    "backup_days": (7, 1, 90),              # an administrator's to-do when the last backup is older
    "leave_host_days": (3, 1, 30),          # leave up to this many working days: the host unit decides …
    "leave_org_days": (7, 1, 90),           # … up to this many, the district organisation department; longer, higher
    "checkin_due_day": (5, 1, 28),          # a month's self-check is due by this day of the next month
    "host_link_days": (14, 1, 60),          # a host contact's link to the appraisal form expires after these days
}


def rules(store: Store) -> dict[str, int]:
    """The rules in force: the administrator's values, the defaults for the rest."""
    stored = {r["key"][len("rules."):]: r["value"] for r in store.rows("select key, value from meta where key like "
                                                                       "'rules.%'")}
    out = {}
    for name, (default, low, high) in RULES.items():
        try:
            value = int(stored.get(name, default))
        except (TypeError, ValueError):
            value = default
        out[name] = min(max(value, low), high)
    return out


def set_rules(store: Store, actor: Actor, values: dict) -> dict[str, int]:
    permissions.require(actor, "rules.edit")
    checked = {}
    for name, value in values.items():
        if name not in RULES:
            raise errors.ValidationError("rule", name, "unknown_code", allowed=" / ".join(RULES))
        _, low, high = RULES[name]
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise errors.ValidationError(f"rule_{name}", value, "not_a_number") from None
        if not low <= number <= high:
            raise errors.ValidationError(f"rule_{name}", value, "out_of_range", min=low, max=high)
        checked[name] = number
    before = rules(store)
    merged = {**before, **checked}
    if merged["leave_org_days"] < merged["leave_host_days"]:
        raise errors.ValidationError("rule_leave_org_days", merged["leave_org_days"], "below_host_days",
                                     host=merged["leave_host_days"])
    with store.write() as db:
        for name, number in checked.items():
            dbmod.set_meta(db, f"rules.{name}", number)
        audit.record(db, actor, "meta", "rules", "rules.edit", {k: before[k] for k in checked}, checked)
    return rules(store)


# --- who is told ---------------------------------------------------------------------------------------------

def _users_of_participant(db, participant_id) -> list[int]:
    return [r[0] for r in db.conn.execute("select id from users where active = 1 and participant_id = ?",
                                          (participant_id,))]


def _roles_sql(roles) -> str:
    return ", ".join(f"'{r}'" for r in roles)   # role names from the permission table, not from anyone's input


def _liaisons(db, department_id) -> list[int]:
    """The accounts that answer for a department's items."""
    roles = _roles_sql(permissions.roles_linked_to("department"))
    return [r[0] for r in db.conn.execute(f"select id from users where active = 1 and role in ({roles}) and "
                                          "department_id = ?", (department_id,))]


def _reviewers(db) -> list[int]:
    """The accounts told of what needs supervising."""
    roles = _roles_sql(permissions.roles_holding("notify.supervise"))
    return [r[0] for r in db.conn.execute(f"select id from users where active = 1 and role in ({roles})")]


def _tell(db, users, kind: str, cause: str, params: dict, page: str, query: dict | None = None,
          at: str | None = None, skip: int | None = None) -> int:
    told = 0
    for user in dict.fromkeys(users):
        if user is None or user == skip:
            continue
        cur = db.conn.execute(
            "insert or ignore into notifications(user_id, kind, cause, params, page, query, created_at) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            (user, kind, cause, json.dumps(params, ensure_ascii=False), page,
             json.dumps(query or {}, ensure_ascii=False), at or clock.stamp()))
        told += cur.rowcount
    return told


# --- from the logs ---------------------------------------------------------------------------------------------

_AUDITED = {("week_reviews", "return"): "week_returned", ("week_reviews", "approve"): "week_approved",
            ("practices", "promote"): "practice_promoted", ("users", "password_reset"): "password_reset",
            ("agreements", "in_force"): "agreement_in_force", ("leave_requests", "leave_approved"): "leave_approved",
            ("leave_requests", "leave_rejected"): "leave_rejected",
            ("checkins", "checkin_acknowledge"): "checkin_acknowledged",
            ("visit_actions", "follow_up"): "follow_up_assigned"}
_AUDITED_TABLES = tuple(sorted({table for table, _ in _AUDITED}))
_STEPS = {"raise": "item_routed", "transfer": "item_transferred", "answer": "item_answered",
          "send_back": "item_sent_back", "escalate": "item_escalated", "ask": "info_asked", "reply": "info_given"}


def _from_audit(db, row) -> int:
    kind = _AUDITED.get((row["table_name"], row["action"]))
    if kind is None:
        return 0
    cause, at, by = f"audit:{row['id']}", row["at"], row["user_id"]
    if row["table_name"] == "week_reviews":
        participant, week = str(row["row_id"]).split("/", 1)
        after = json.loads(row["after"] or "{}")
        return _tell(db, _users_of_participant(db, int(participant)), kind, cause,
                     {"week": week, "comment": after.get("comment") or ""}, "my_week", {"week": week}, at, by)
    if row["table_name"] == "practices":
        practice = db.conn.execute("select id, title, participant_id from practices where id = ?",
                                   (row["row_id"],)).fetchone()
        if practice is None:
            return 0
        return _tell(db, _users_of_participant(db, practice[2]), kind, cause, {"title": practice[1]},
                     "practices", {}, at, by)
    if row["table_name"] in _STINT_TABLES:
        return _from_stint(db, row, kind, cause, at, by)
    return _tell(db, [int(row["row_id"])], kind, cause, {}, "account", {}, at, by)


_STINT_TABLES = ("agreements", "leave_requests", "checkins", "visit_actions")


def _from_stint(db, row, kind: str, cause: str, at: str, by: int | None) -> int:
    """The stint's news: to the secondee (an agreement in force, a leave decision, a self-check read), or to the
    owner of a visit's follow-up action. Each links to the tab of the stint record it concerns."""
    found = db.conn.execute(f"select * from {row['table_name']} where id = ?", (row["row_id"],))
    names = [d[0] for d in found.description]
    values = found.fetchone()
    if values is None:
        return 0
    after = dict(zip(names, values))
    participant = after.get("participant_id")
    if kind == "follow_up_assigned":
        name = db.conn.execute("select name from participants where id = ?", (participant,)).fetchone()
        return _tell(db, [after.get("owner_id")], kind, cause,
                     {"action": after.get("action") or "", "due": after.get("due_date") or "",
                      "name": name[0] if name else ""}, "stint", {"id": str(participant), "tab": "visits"}, at, by)
    params = {"version": after.get("version"), "start": after.get("start_date"), "end": after.get("end_date"),
              "month": after.get("month")}
    tab = {"agreement_in_force": "agreement", "checkin_acknowledged": "checkins"}.get(kind, "leave")
    return _tell(db, _users_of_participant(db, int(participant)), kind, cause,
                 {k: v for k, v in params.items() if v is not None}, "stint", {"tab": tab}, at, by)


def _from_event(db, event) -> int:
    kind = _STEPS.get(event["step"])
    if kind is None:
        return 0
    item = db.conn.execute("select id, summary, participant_id, department_id from feedback where id = ?",
                           (event["feedback_id"],)).fetchone()
    if item is None:
        return 0
    params = {"id": item[0], "summary": item[1]}
    where = ("feedback", {"item": item[0]})
    if kind in ("item_routed", "item_transferred"):
        users = _liaisons(db, event["to_department_id"] or item[3])
    elif kind in ("item_answered", "info_asked"):
        users = _users_of_participant(db, item[2])
    elif kind in ("item_sent_back", "info_given"):
        users = _liaisons(db, item[3])
    else:
        users = _liaisons(db, item[3]) + _reviewers(db)
    return _tell(db, users, kind, f"event:{event['id']}", params, *where, at=event["at"], skip=event["user_id"])


def sweep(store: Store, now: datetime | None = None, *, calendar: bool = False) -> int:
    """Turn what was recorded since the last sweep into notifications (and, with ``calendar``, what the
    calendar makes due: the command line's job). Cheap when nothing is new: two indexed lookups."""
    now = now or clock.now()
    seen_audit = int(store.meta("notify.audit_seen", "0"))
    seen_event = int(store.meta("notify.event_seen", "0"))
    last_audit = store.scalar("select coalesce(max(id), 0) from audit_log")
    last_event = store.scalar("select coalesce(max(id), 0) from feedback_events")
    if last_audit <= seen_audit and last_event <= seen_event and not calendar:
        return 0
    told = 0
    with store.write(bookkeeping=True) as db:
        seen_audit = int(db.conn.execute("select coalesce((select value from meta where key = "
                                         "'notify.audit_seen'), 0)").fetchone()[0])
        seen_event = int(db.conn.execute("select coalesce((select value from meta where key = "
                                         "'notify.event_seen'), 0)").fetchone()[0])
        told += _scan(db, seen_audit, seen_event)
        dbmod.set_meta(db, "notify.audit_seen", last_audit)
        dbmod.set_meta(db, "notify.event_seen", last_event)
        if calendar:
            told += _due(db, store, now)
            dbmod.set_meta(db, "notify.due_at", clock.stamp(now))
    return told


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# --- from the calendar -----------------------------------------------------------------------------------------

def _due(db, store: Store, now: datetime) -> int:
    today = now.astimezone(clock.CHINA).date()
    rule = rules(store)
    cal = holidays.calendar(store)
    told = 0
    rows = db.conn.execute(f"select f.id, f.summary, f.department_id, f.due_date from feedback f "
                           f"where {feedback.open_sql()} and f.due_date is not null").fetchall()
    for fid, summary, department, due in rows:
        params, where = {"id": fid, "summary": summary, "due": due}, {"item": fid}
        due_day = date.fromisoformat(due)
        if due_day >= today:
            if cal.working_days_between(today, due_day) <= rule["due_soon_days"]:
                told += _tell(db, _liaisons(db, department), "deadline_near", f"near:{fid}:{due}", params,
                              "feedback", where)
            continue
        late = cal.working_days_between(due_day, today)
        if late >= rule["chaser_days"]:
            told += _tell(db, _liaisons(db, department), "deadline_passed", f"late:{fid}:{due}", params,
                          "feedback", where)
        if late >= rule["second_chaser_days"]:
            told += _tell(db, _liaisons(db, department) + _reviewers(db), "deadline_second", f"late2:{fid}:{due}",
                          params, "feedback", where)
    told += _missing_weeks(db, today, rule)
    return told


def _missing_weeks(db, today: date, rule: dict) -> int:
    from secondment import roster

    told = 0
    this = activities.week_of(today)
    late_week = activities.add_weeks(this, -rule["week_to_reviewer_weeks"])
    active = f"{roster.status_sql(today)} = 'active'"
    # One pass over the people in post, with their state for this week and for the week now late.
    people = db.conn.execute(f"""
        select p.id, p.start_date, now.state, late.state from participants p
        left join week_reviews now on now.participant_id = p.id and now.week = ?
        left join week_reviews late on late.participant_id = p.id and late.week = ?
        where {active}""", (this, late_week)).fetchall()
    from secondment import leave

    away = leave.leave_weeks(db.conn, [p[0] for p in people], late_week, this) if people else set()
    if today.isoweekday() >= rule["week_reminder_weekday"]:
        for pid, start, state, _ in people:
            if (pid, this) in away:
                continue
            if activities.week_of(date.fromisoformat(start)) <= this and state in (None, "returned"):
                told += _tell(db, _users_of_participant(db, pid), "week_missing", f"missing:{pid}:{this}",
                              {"week": this}, "my_week", {"week": this})
    # A week still not submitted this many weeks on: one line per week to the reviewers, naming how many.
    missing = sum(1 for pid, start, _, late in people
                  if activities.week_of(date.fromisoformat(start)) <= late_week and late in (None, "returned")
                  and (pid, late_week) not in away)
    if missing:
        told += _tell(db, _reviewers(db), "weeks_missing", f"missing_week:{late_week}",
                      {"week": late_week, "n": missing}, "coverage", {})
    return told


# --- reading them ------------------------------------------------------------------------------------------------

def unread_count(store: Store, actor: Actor) -> int:
    permissions.require(actor, "notification.read")
    if actor.user_id is None:
        return 0
    sweep(store, calendar=False)   # what was recorded; the calendar's share comes from `notify` runs (cron)
    return store.scalar("select count(*) from notifications where user_id = ? and read_at is null",
                        (actor.user_id,)) or 0


def recent(store: Store, actor: Actor, lang: str, limit: int = 30) -> list[dict]:
    """The actor's own notifications, newest first, each said in ``lang``."""
    permissions.require(actor, "notification.read")
    if actor.user_id is None:
        return []
    rows = store.rows("select * from notifications where user_id = ? order by id desc limit ?",
                      (actor.user_id, int(limit)))
    return [{**r, "text": describe(r, lang), "query": json.loads(r["query"] or "{}")} for r in rows]


def describe(row: dict, lang: str) -> str:
    params = json.loads(row["params"] or "{}")
    return i18n.translate(lang, f"notify.{row['kind']}", **params)


def mark_read(store: Store, actor: Actor, ids=None) -> int:
    """Mark the actor's notifications ``ids`` read (all of them when None)."""
    permissions.require(actor, "notification.read")
    stamp = clock.stamp()
    with store.write(bookkeeping=True) as db:
        if ids is None:
            cur = db.conn.execute("update notifications set read_at = ? where user_id = ? and read_at is null",
                                  (stamp, actor.user_id))
        else:
            marks = ", ".join("?" for _ in ids) or "null"
            cur = db.conn.execute(f"update notifications set read_at = ? where user_id = ? and read_at is null "
                                  f"and id in ({marks})", (stamp, actor.user_id, *[int(i) for i in ids]))
    return cur.rowcount


def set_digest(store: Store, actor: Actor, digest: str, email: str | None) -> None:
    """A person's own choice: no digest, or a daily or weekly one to ``email``."""
    permissions.require(actor, "account.self")
    if digest not in DIGESTS:
        raise errors.ValidationError("digest", digest, "unknown_code", allowed=" / ".join(DIGESTS))
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not _looks_like_address(email)):
        raise errors.ValidationError("email", email, "not_an_email")
    if digest != "none" and email is None:
        raise errors.ValidationError("email", "", "required")
    with store.write() as db:
        audit.update(db, actor, "users", actor.user_id, {"digest": digest, "email": email}, action="digest")


def _looks_like_address(value: str) -> bool:
    local, _, domain = value.partition("@")
    return bool(local) and "." in domain and not any(c.isspace() or c in "<>,;\"" for c in value)


def digest_of(store: Store, actor: Actor) -> dict:
    permissions.require(actor, "account.self")
    row = store.one("select email, digest from users where id = ?", (actor.user_id,)) or {}
    return {"email": row.get("email"), "digest": row.get("digest") or "none"}


# --- sending -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    security: str          # "starttls", "tls" or "none"
    sender: str
    user: str | None = None
    password: str | None = None


SECRETS = Path(".streamlit") / "secrets.toml"


def _secrets() -> dict:
    path = Path(os.environ.get("SECONDMENT_SECRETS", SECRETS))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def smtp_config() -> Smtp | None:
    """SMTP from the environment (SECONDMENT_SMTP_HOST, _PORT, _SECURITY, _SENDER, _USER, _PASSWORD) or the
    ``[smtp]`` table of Streamlit's secrets file; None when no host is set (in-app only)."""
    table = _secrets().get("smtp", {})
    get = lambda name: os.environ.get(f"SECONDMENT_SMTP_{name.upper()}") or table.get(name)
    host = get("host")
    if not host:
        return None
    security = str(get("security") or "starttls").lower()
    port = int(get("port") or {"tls": 465, "none": 25}.get(security, 587))
    return Smtp(str(host), port, security, str(get("sender") or f"secondment@{host}"), get("user"), get("password"))


def base_url() -> str:
    return str(os.environ.get("SECONDMENT_BASE_URL") or _secrets().get("app", {}).get("base_url")
               or "http://localhost:8501").rstrip("/")


def webhooks() -> dict[int, str]:
    """Department id → group-robot URL, from ``[webhooks]`` in the secrets file or SECONDMENT_WEBHOOK_<id>."""
    out = {int(k): str(v) for k, v in _secrets().get("webhooks", {}).items() if str(k).isdigit()}
    for key, value in os.environ.items():
        if key.startswith("SECONDMENT_WEBHOOK_") and key[19:].isdigit():
            out[int(key[19:])] = value
    return out


def _link(row: dict) -> str:
    query = json.loads(row["query"] or "{}")
    from urllib.parse import urlencode

    return f"{base_url()}/{row['page']}" + (f"?{urlencode(query)}" if query else "")


def _translator(lang: str):
    return lambda key, **params: i18n.translate(lang, key, **params)


def _quiet(now: datetime, rule: dict) -> bool:
    hour = now.astimezone(clock.CHINA).hour
    start, end = rule["quiet_start"], rule["quiet_end"]
    return (start <= hour or hour < end) if start > end else start <= hour < end


def _queue_digests(db, store: Store, now: datetime, rule: dict) -> int:
    today = now.astimezone(clock.CHINA).date()
    queued = 0
    users = db.conn.execute("select id, email, digest, language, display_name from users where active = 1 and "
                            "email is not null and digest in ('daily', 'weekly')").fetchall()
    day_start, day_end = clock.day_start_utc(today), clock.day_start_utc(today, 1)
    for uid, email, digest, language, name in users:
        if digest == "weekly" and today.isoweekday() != 1:
            continue
        # At most one a day as sent, not only as queued: while an earlier digest still waits (the server was down)
        # or one went out today, what came since waits for the next one.
        if db.conn.execute(
                "select 1 from outbox where channel = 'email' and user_id = ? and ((status in ('pending', 'failed') "
                "and attempts < ?) or (sent_at >= ? and sent_at < ?)) limit 1",
                (uid, MAX_ATTEMPTS, day_start, day_end)).fetchone():
            continue
        key = f"digest.{uid}"
        upto = int(db.conn.execute("select coalesce((select value from meta where key = ?), 0)", (key,)).fetchone()[0])
        rows = _dicts(db.conn.execute("select * from notifications where user_id = ? and id > ? order by id",
                                      (uid, upto)))
        if not rows:
            continue
        lang = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
        t = _translator(lang)
        subject = t("notify.digest_subject", n=len(rows))
        lines = [(describe(r, lang), clock.local_time(r["created_at"]), _link(r)) for r in rows]
        text = "\n".join([t("notify.digest_hello", name=name or ""), ""] +
                         [f"- {what} ({when})\n  {link}" for what, when, link in lines] +
                         ["", t("notify.digest_footer", url=f"{base_url()}/account")])
        html = ("<p>" + escape(t("notify.digest_hello", name=name or "")) + "</p><ul>" +
                "".join(f'<li>{escape(what)} <small>({escape(when)})</small><br><a href="{escape(link)}">'
                        f'{escape(link)}</a></li>' for what, when, link in lines) +
                "</ul><p><small>" + escape(t("notify.digest_footer", url=f"{base_url()}/account")) + "</small></p>")
        cur = db.conn.execute(
            "insert or ignore into outbox(channel, recipient, user_id, day, subject, body_text, body_html, status, "
            "created_at) values ('email', ?, ?, ?, ?, ?, ?, 'pending', ?)",
            (email, uid, today.isoformat(), subject, text, html, clock.stamp(now)))
        if cur.rowcount:     # at most one a day: what came after today's waits for tomorrow's
            queued += 1
            dbmod.set_meta(db, key, rows[-1]["id"])
    return queued


_ROBOT_KINDS = ("item_routed", "item_transferred", "item_sent_back", "deadline_near", "deadline_passed",
                "deadline_second", "item_escalated")


def _queue_robots(db, now: datetime) -> int:
    today = now.astimezone(clock.CHINA).date()
    queued = 0
    for department in webhooks():
        key = f"robot.{department}"
        upto = int(db.conn.execute("select coalesce((select value from meta where key = ?), 0)", (key,)).fetchone()[0])
        marks = ", ".join("?" for _ in _ROBOT_KINDS)
        rows = _dicts(db.conn.execute(
            f"select min(n.id) as id, n.kind, n.cause, n.params, max(n.id) as last from notifications n "
            f"join users u on u.id = n.user_id where u.role in ({_roles_sql(permissions.roles_linked_to('department'))}) "
            f"and u.department_id = ? and n.id > ? "
            f"and n.kind in ({marks}) group by n.kind, n.cause order by 1", (department, upto, *_ROBOT_KINDS)))
        if not rows:
            continue
        name = db.conn.execute("select name from units where id = ?", (department,)).fetchone()
        lang = i18n.DEFAULT_LANGUAGE
        text = "\n".join([i18n.translate(lang, "notify.robot_title", department=name[0] if name else department)] +
                         [f"- {describe(r, lang)}" for r in rows])
        cur = db.conn.execute(
            "insert or ignore into outbox(channel, recipient, department_id, day, subject, body_text, status, "
            "created_at) values ('webhook', ?, ?, ?, '', ?, 'pending', ?)",
            (f"department:{department}", department, today.isoformat(), text, clock.stamp(now)))
        if cur.rowcount:
            queued += 1
            dbmod.set_meta(db, key, max(r["last"] for r in rows))
    return queued


def _send_email(smtp: Smtp, row: dict) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = row["subject"], smtp.sender, row["recipient"]
    message.set_content(row["body_text"])
    if row["body_html"]:
        message.add_alternative(row["body_html"], subtype="html")
    context = ssl.create_default_context()
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=20, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(message)


def _send_robot(url: str, row: dict) -> None:
    body = json.dumps({"msgtype": "text", "text": {"content": row["body_text"]}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=20) as response:
        if response.status >= 300:
            raise OSError(f"HTTP {response.status}")


def _send_waiting(store: Store, now: datetime, smtp: Smtp | None) -> tuple[int, int, list[str]]:
    sent = failed = 0
    problems: list[str] = []
    robots = webhooks()
    waiting = store.rows("select * from outbox where status in ('pending', 'failed') and attempts < ? order by id",
                         (MAX_ATTEMPTS,))
    for row in waiting:
        try:
            if row["channel"] == "email":
                if smtp is None:
                    continue
                _send_email(smtp, row)
            else:
                url = robots.get(row["department_id"])
                if url is None:
                    continue
                _send_robot(url, row)
        except (OSError, smtplib.SMTPException, ValueError) as error:
            failed += 1
            problems.append(f"{row['channel']} {row['recipient']}: {error.__class__.__name__}: {error}"[:300])
            with store.write(bookkeeping=True) as db:
                db.conn.execute("update outbox set status = 'failed', attempts = attempts + 1, last_error = ? "
                                "where id = ?", (problems[-1], row["id"]))
                audit.record(db, Actor.system("notify"), "outbox", row["id"], "send_failed", None,
                             {"channel": row["channel"], "error": problems[-1]})
            continue
        sent += 1
        with store.write(bookkeeping=True) as db:
            db.conn.execute("update outbox set status = 'sent', attempts = attempts + 1, sent_at = ?, "
                            "last_error = null where id = ?", (clock.stamp(now), row["id"]))
            audit.record(db, Actor.system("notify"), "outbox", row["id"], "sent", None, {"channel": row["channel"]})
    return sent, failed, problems


class _DryRun(Exception):
    pass


def run(store: Store, actor: Actor, *, now: datetime | None = None, dry_run: bool = False) -> dict:
    """One pass: notifications from the logs and the calendar, digests and robot messages queued (outside quiet
    hours, digests from the digest hour), and everything waiting sent. Safe to repeat: nothing twice."""
    permissions.require(actor, "notify.run")
    now = now or clock.now()
    rule = rules(store)
    report = {"notifications": 0, "queued": 0, "sent": 0, "failed": 0, "problems": [], "quiet": _quiet(now, rule)}
    if dry_run:
        try:
            with store.write(bookkeeping=True) as db:
                report["notifications"] = _sweep_into(db, store, now)
                if not report["quiet"]:
                    report["queued"] = _queue(db, store, now, rule)
                raise _DryRun
        except _DryRun:
            pass
        return report
    report["notifications"] = sweep(store, now, calendar=True)
    if report["quiet"]:
        return report
    with store.write(bookkeeping=True) as db:
        report["queued"] = _queue(db, store, now, rule)
    report["sent"], report["failed"], report["problems"] = _send_waiting(store, now, smtp_config())
    return report


def _queue(db, store: Store, now: datetime, rule: dict) -> int:
    queued = _queue_robots(db, now)
    # No mail server, no digests: the app is in-app only, and nothing piles up to go out all at once later.
    if smtp_config() is not None and now.astimezone(clock.CHINA).hour >= rule["digest_hour"]:
        queued += _queue_digests(db, store, now, rule)
    return queued


def _scan(db, seen_audit: int, seen_event: int) -> int:
    """Notifications for what the audit trail and the feedback loop recorded after the ids given."""
    told = 0
    marks = ", ".join("?" for _ in _AUDITED_TABLES)
    for row in _dicts(db.conn.execute(f"select * from audit_log where id > ? and table_name in ({marks}) order by id",
                                      (seen_audit, *_AUDITED_TABLES))):
        told += _from_audit(db, row)
    for event in _dicts(db.conn.execute("select * from feedback_events where id > ? order by id", (seen_event,))):
        told += _from_event(db, event)
    return told


def _sweep_into(db, store: Store, now: datetime) -> int:
    """``sweep``'s work inside a transaction the caller holds (the dry run's, rolled back)."""
    return _scan(db, int(store.meta("notify.audit_seen", "0")), int(store.meta("notify.event_seen", "0"))) + \
        _due(db, store, now)


def outbox(store: Store, actor: Actor, limit: int = 50) -> list[dict]:
    """What was queued and sent, newest first (for administrators)."""
    permissions.require(actor, "notify.run")
    return store.rows("select id, channel, recipient, day, subject, status, attempts, last_error, created_at, "
                      "sent_at from outbox order by id desc limit ?", (int(limit),))

