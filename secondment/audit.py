"""The audit trail: every write records who, when, which table and row, the action, before and after.

Services write through ``insert``, ``update`` and ``delete`` here, inside their own ``store.write()``
transaction, so the change and its audit row commit together or not at all.
"""
from __future__ import annotations

import sqlite_utils

from secondment import permissions
from secondment.db import Store, now, to_json
from secondment.permissions import Actor


def record(db: sqlite_utils.Database, actor: Actor, table: str, row_id, action: str,
           before: dict | None = None, after: dict | None = None) -> None:
    db.conn.execute(
        "insert into audit_log(at, user_id, username, table_name, row_id, action, before, after) "
        "values (?, ?, ?, ?, ?, ?, ?, ?)",
        (now(), actor.user_id, actor.username, table, None if row_id is None else str(row_id), action,
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


def browse(store: Store, actor: Actor, *, table: str | None = None, username: str | None = None,
           action: str | None = None, since: str | None = None, until: str | None = None,
           text: str | None = None, limit: int = 500, offset: int = 0) -> tuple[list[dict], int]:
    """Audit rows, newest first, with the total count for the filters."""
    permissions.require(actor, "audit.read")
    where, params = ["1 = 1"], []
    if table:
        where.append("table_name = ?"); params.append(table)
    if username:
        where.append("username = ?"); params.append(username)
    if action:
        where.append("action = ?"); params.append(action)
    if since:
        where.append("at >= ?"); params.append(str(since))
    if until:
        where.append("at < ?"); params.append(str(until))
    if text:
        where.append("(coalesce(before, '') || coalesce(after, '') || coalesce(row_id, '')) like ?")
        params.append(f"%{text}%")
    clause = " and ".join(where)
    total = store.scalar(f"select count(*) from audit_log where {clause}", params)
    rows = store.rows(f"select * from audit_log where {clause} order by id desc limit ? offset ?",
                      [*params, limit, offset])
    return rows, total
