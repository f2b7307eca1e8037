"""The audit trail: every write records who, when, which table and row, the action, before and after.

Services write through ``insert``, ``update`` and ``delete`` here, inside their own ``store.write()``
transaction, so the change and its audit row commit together or not at all.
"""
from __future__ import annotations

import re
from datetime import UTC

import sqlite_utils

from secondment import clock, permissions, vocab
from secondment.db import Store, Where, to_json
from secondment.permissions import Actor


def record(db: sqlite_utils.Database, actor: Actor, table: str, row_id, action: str,
           before: dict | None = None, after: dict | None = None) -> None:
    db.conn.execute(
        "insert into audit_log(at, user_id, username, table_name, row_id, action, before, after) "
        "values (?, ?, ?, ?, ?, ?, ?, ?)",
        (clock.stamp(), actor.user_id, actor.username, table, None if row_id is None else str(row_id), action,
         to_json(_clean(before)), to_json(_clean(after))))


_SECRET_COLUMNS = {"password_hash"}


def _clean(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {k: ("***" if k in _SECRET_COLUMNS else v) for k, v in dict(row).items()}


def get(db: sqlite_utils.Database, table: str, pk) -> dict | None:
    pks = db[table].pks
    if isinstance(pk, (tuple, list)):
        where = " and ".join(f"[{c}] = ?" for c in pks)
        params = list(pk)
    else:
        where, params = f"[{pks[0]}] = ?", [pk]
    row = db.conn.execute(f"select * from [{table}] where {where}", params).fetchone()
    return dict(row) if row is not None else None


def insert(db: sqlite_utils.Database, actor: Actor, table: str, row: dict, action: str = "insert") -> int:
    """Insert ``row`` and audit it; returns the new row id."""
    cols = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    cur = db.conn.execute(f"insert into [{table}] ({cols}) values ({marks})", list(row.values()))
    row_id = cur.lastrowid
    pks = db[table].pks
    pk = tuple(row[c] for c in pks) if len(pks) > 1 else (row.get(pks[0]) if pks[0] in row else row_id)
    record(db, actor, table, _pk_text(pk), action, None, get(db, table, pk))
    return row_id


def update(db: sqlite_utils.Database, actor: Actor, table: str, pk, changes: dict,
           action: str = "update") -> dict:
    """Apply ``changes`` to one row and audit the before/after of the columns that changed."""
    before = get(db, table, pk)
    if before is None:
        from secondment.errors import NotFound

        raise NotFound(table, pk)
    changed = {k: v for k, v in changes.items() if before.get(k) != v}
    if not changed:
        return before
    pks = db[table].pks
    sets = ", ".join(f"[{c}] = ?" for c in changed)
    keys = list(pk) if isinstance(pk, (tuple, list)) else [pk]
    where = " and ".join(f"[{c}] = ?" for c in pks)
    db.conn.execute(f"update [{table}] set {sets} where {where}", list(changed.values()) + keys)
    after = get(db, table, pk)
    record(db, actor, table, _pk_text(pk), action,
           {k: before[k] for k in changed}, {k: after[k] for k in changed})
    return after


def delete(db: sqlite_utils.Database, actor: Actor, table: str, pk, action: str = "delete") -> dict:
    before = get(db, table, pk)
    if before is None:
        from secondment.errors import NotFound

        raise NotFound(table, pk)
    pks = db[table].pks
    keys = list(pk) if isinstance(pk, (tuple, list)) else [pk]
    where = " and ".join(f"[{c}] = ?" for c in pks)
    db.conn.execute(f"delete from [{table}] where {where}", keys)
    record(db, actor, table, _pk_text(pk), action, before, None)
    return before


def _pk_text(pk) -> str:
    return "/".join(str(p) for p in pk) if isinstance(pk, (tuple, list)) else str(pk)


def _where(table=None, username=None, action=None, since=None, until=None, text=None):
    where = Where().eq("table_name", table).eq("username", username).eq("action", action)
    where.at_least("at", since and _bound(since))
    if until:  # ``until`` is inclusive of its whole day when given as a date.
        where.add("at < ?", _bound(until, end=True))
    where.contains("(coalesce(before, '') || ' ' || coalesce(after, '') || ' ' || coalesce(row_id, '') || ' ' "
                   "|| coalesce(username, ''))", str(text or "").strip())
    return where.build()


def _bound(value, end: bool = False) -> str:
    """A date (2026-11-26, a day in China) or timestamp as the UTC text the ``at`` column sorts against."""
    from datetime import date, datetime, time, timedelta

    from secondment.clock import CHINA, parse_stamp

    if isinstance(value, str) and len(value.strip()) == 10:
        value = date.fromisoformat(value.strip())
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value + timedelta(days=1) if end else value, time(), CHINA)
    return parse_stamp(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def browse(store: Store, actor: Actor, *, table: str | None = None, username: str | None = None,
           action: str | None = None, since=None, until=None,
           text: str | None = None, limit: int = 500, offset: int = 0) -> tuple[list[dict], int]:
    """Audit rows, newest first, with the total count for the filters.

    ``since``/``until`` are dates or timestamps; a date ``until`` includes that whole day. ``text`` is found
    in the before/after values, the row id or the username (wildcards are taken literally).
    """
    permissions.require(actor, "audit.read")
    clause, params = _where(table, username, action, since, until, text)
    total = store.scalar(f"select count(*) from audit_log where {clause}", params)
    rows = store.rows(f"select * from audit_log where {clause} order by id desc limit ? offset ?",
                      [*params, int(limit), int(offset)])
    return rows, total


def facets(store: Store, actor: Actor) -> dict[str, list[str]]:
    """The tables, users and actions that occur in the trail, for the filter choosers."""
    permissions.require(actor, "audit.read")
    return {
        "tables": [r["t"] for r in store.rows("select distinct table_name as t from audit_log order by t")],
        "users": [r["u"] for r in store.rows("select distinct username as u from audit_log "
                                             "where username is not null order by u")],
        "actions": [r["a"] for r in store.rows("select distinct action as a from audit_log order by a")],
    }


def _loads(value) -> dict:
    import json

    if not value:
        return {}
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return {"value": value}
    return data if isinstance(data, dict) else {"value": data}


def changes(row: dict) -> list[dict]:
    """One audit row's before/after as a list of changed fields: ``{"field", "before", "after"}``.

    An insert lists the new values, a delete the old ones, an update only what changed.
    """
    before, after = _loads(row.get("before")), _loads(row.get("after"))
    out = []
    for name in list(dict.fromkeys([*before, *after])):
        b, a = before.get(name), after.get(name)
        if row.get("before") and row.get("after") and b == a and name not in ("password_hash",):
            continue
        out.append({"field": name, "before": b, "after": a})
    return out


# Column names whose label depends on the table (users.role is the app role, not an activity's role).
_FIELD_KEYS = {("users", "role"): "field.app_role", ("units", "name"): "field.unit_name",
               ("units", "kind"): "field.unit_kind", ("batches", "code"): "field.batch_code"}
# Coded values shown with their vocabulary label.
_VALUE_GROUPS = {
    ("users", "role"): "app_role", ("units", "kind"): "unit_kind", ("participants", "status"): "participant_status",
    ("participants", "gender"): "gender", ("participants", "political_status"): "political_status",
    ("activities", "role"): "role", ("feedback", "role"): "role", ("feedback", "status"): "feedback_status",
    ("feedback", "category"): "feedback_category", ("feedback", "urgency"): "urgency",
    ("feedback", "evaluation"): "evaluation", ("feedback_events", "step"): "feedback_step",
    ("feedback_events", "from_status"): "feedback_status", ("feedback_events", "to_status"): "feedback_status",
    ("practices", "status"): "practice_status", ("week_reviews", "state"): "week_state",
    ("batches", "direction"): "direction", ("routing", "category"): "feedback_category",
}


# Columns that hold another row's id, and the table whose name for it people read.
_REFERENCES = {
    "participant_id": "participants", "department_id": "units", "home_unit_id": "units", "host_unit_id": "units",
    "enterprise_id": "units", "from_department_id": "units", "to_department_id": "units", "batch_id": "batches",
    "activity_id": "activities", "user_id": "users", "created_by": "users", "updated_by": "users",
    "submitted_by": "users", "reviewed_by": "users", "promoted_by": "users", "closed_by": "users",
}
_NAME_SQL = {"participants": "select id, name from participants where id in ({})",
             "units": "select id, name from units where id in ({})",
             "batches": "select id, code from batches where id in ({})",
             "activities": "select id, title from activities where id in ({})",
             "users": "select id, username from users where id in ({})"}


def reference_names(store: Store, actor: Actor, rows: list[dict]) -> dict[tuple[str, int], str]:
    """The names behind the ids that ``rows``' changes mention (a participant, unit, batch, entry or account),
    as ``{(table, id): name}``, so a change reads "沈婕 (#68)" rather than "68". One query per table."""
    permissions.require(actor, "audit.read")
    wanted: dict[str, set[int]] = {}
    for row in rows:
        for item in changes(row):
            target = _REFERENCES.get(item["field"])
            if target:
                wanted.setdefault(target, set()).update(
                    v for v in (item["before"], item["after"]) if isinstance(v, int) and not isinstance(v, bool))
    out: dict[tuple[str, int], str] = {}
    for target, ids in wanted.items():
        ids = sorted(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for r in store.rows(_NAME_SQL[target].format(", ".join("?" * len(chunk))), chunk):
                values = list(r.values())
                out[(target, values[0])] = str(values[1])
    return out


def people(store: Store, actor: Actor, usernames, lang: str) -> dict[str, str]:
    """How each of ``usernames`` (as the trail records them) reads to a person: "沈婕（p53）" for an account,
    "命令行：root" for the command line (``cli:<user>``), the username itself for an account since deleted."""
    from secondment import i18n

    permissions.require(actor, "audit.read")
    wanted = sorted({u for u in usernames if u})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for r in store.rows(f"select username, display_name from users where username in "
                            f"({', '.join('?' * len(chunk))})", chunk):
            found[r["username"]] = r["display_name"]
    out = {}
    for username in wanted:
        if username.startswith("cli:"):
            out[username] = i18n.translate(lang, "audit.by_cli", user=username[4:])
        elif found.get(username) and found[username] != username:
            out[username] = i18n.translate(lang, "audit.by_person", name=found[username], user=username)
        else:
            out[username] = username
    return out


_UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|\+00:00)")


def value_label(table: str | None, name: str, value, lang: str, names: dict | None = None):
    """A stored value as people read it: coded values by their label, an id by the name behind it (given
    ``names`` from ``reference_names``), a stored time in China time, everything else as it is."""
    from secondment import vocab

    target = _REFERENCES.get(name)
    if names and target and (target, value) in names:
        return f"{names[(target, value)]} (#{value})"
    group = _VALUE_GROUPS.get((table, name))
    if group and isinstance(value, str):
        return vocab.label(group, value, lang)
    if isinstance(value, str) and _UTC_STAMP.fullmatch(value):  # a stored UTC time, whatever its field's name
        from secondment.clock import local_time

        try:
            return local_time(value, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    return value


def field_label(name: str, lang: str, table: str | None = None) -> str:
    from secondment import i18n

    special = _FIELD_KEYS.get((table, name))
    for key in ((special,) if special else ()) + (
            f"field.{name}", f"audit.column.{name}", f"audit.field.{name}", f"field.{name.removesuffix('_id')}"):
        if i18n.has(key):
            return i18n.translate(lang, key)
    return name


def table_label(name: str | None, lang: str) -> str:
    from secondment import i18n

    if not name:
        return ""
    key = f"audit.table.{name}"
    return i18n.translate(lang, key) if i18n.has(key) else name


def action_label(name: str | None, lang: str) -> str:
    from secondment import i18n

    if not name:
        return ""
    key = f"audit.action.{name}"
    if i18n.has(key):
        return i18n.translate(lang, key)
    group, _, step = name.partition(".")
    if group == "feedback" and step in vocab.FEEDBACK_STEPS:  # feedback.accept, feedback.transfer, ...
        return i18n.translate(lang, "audit.action.feedback_step", step=vocab.label("feedback_step", step, lang))
    return name


def _show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return to_json(value) or ""
    return str(value)


# In a one-line summary of a new or deleted row, the identifying fields come first and bookkeeping is left out.
_SUMMARY_FIRST = ("username", "name", "title", "code", "display_name", "role", "kind", "status", "category",
                  "summary", "participant_id", "department_id", "date", "week")
_SUMMARY_SKIP = {"id", "created_at", "updated_at", "created_by", "updated_by", "failed_attempts", "locked_until",
                 "last_login_at", "password_hash", "answer_days"}


def summary(row: dict, lang: str, limit: int = 6, names: dict | None = None) -> str:
    """A readable one-line account of the change: "字段: 旧 → 新; …" (ids named when ``names`` is given)."""
    parts = []
    table = row.get("table_name")
    items = changes(row)
    if not (row.get("before") and row.get("after")):
        side = "after" if row.get("after") else "before"
        items = [i for i in items if i["field"] not in _SUMMARY_SKIP and i[side] not in (None, "")]
        rank = {name: n for n, name in enumerate(_SUMMARY_FIRST)}
        items.sort(key=lambda i: rank.get(i["field"], len(rank)))
    else:
        # Bookkeeping columns (updated_at, …) only when nothing else changed.
        items = [i for i in items if i["field"] not in _SUMMARY_SKIP] or items

    def show(item, side):
        return _show(value_label(table, item["field"], item[side], lang, names))

    for item in items[:limit]:
        label = field_label(item["field"], lang, table)
        if row.get("before") and row.get("after"):
            parts.append(f"{label}: {show(item, 'before')} → {show(item, 'after')}")
        elif row.get("after"):
            parts.append(f"{label}: {show(item, 'after')}")
        else:
            parts.append(f"{label}: {show(item, 'before')}")
    if len(items) > limit:
        parts.append("…")
    return "; ".join(parts)


EXPORT_LIMIT = 200_000


def export_frame(store: Store, actor: Actor, lang: str = "zh", **filters):
    """The filtered trail as a labelled DataFrame (newest first), for CSV/XLSX downloads and the CLI."""
    import pandas as pd

    from secondment import i18n
    from secondment.clock import local_time

    permissions.require(actor, "audit.read")
    filters.pop("limit", None)
    filters.pop("offset", None)
    rows, _ = browse(store, actor, limit=EXPORT_LIMIT, offset=0, **filters)
    names = reference_names(store, actor, rows)
    who = people(store, actor, (r["username"] for r in rows), lang)
    cols = ["id", "at", "username", "table", "row_id", "action", "changes", "before", "after"]
    data = [{
        "id": r["id"], "at": local_time(r["at"], "%Y-%m-%d %H:%M:%S"),
        "username": who.get(r["username"], r["username"] or ""),
        "table": table_label(r["table_name"], lang), "row_id": r["row_id"] or "",
        "action": action_label(r["action"], lang), "changes": summary(r, lang, limit=50, names=names),
        "before": r["before"] or "", "after": r["after"] or "",
    } for r in rows]
    frame = pd.DataFrame(data, columns=cols)
    frame.columns = [i18n.translate(lang, f"audit.column.{c}") for c in cols]
    return frame
