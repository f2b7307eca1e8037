"""Reference data: units (government departments, party/mass organisations, non-public enterprises,
social organisations, streets and towns).

``list_units`` serves every chooser in the app, so it stays simple: filters in, ``list[dict]`` out, sorted
by the pinyin of the name. Writes are validated and audited; a unit is never deleted (participants,
feedback and accounts point at it), only deactivated, which hides it from choosers.
"""
from __future__ import annotations

from collections.abc import Iterable

from secondment import audit, permissions, validation, vocab
from secondment.db import Store, Where
from secondment.errors import NotFound, ValidationError
from secondment.permissions import Actor
from secondment.textsort import pinyin_key

COLUMNS = ("id", "name", "kind", "street", "industry", "time_limit_days", "active", "notes")
EDITABLE = ("name", "kind", "street", "industry", "time_limit_days", "notes")
MAX_TIME_LIMIT = 120


def list_units(store: Store, actor: Actor, kind: str | Iterable[str] | None = None, *,
               active: bool | None = True, street: str | None = None, search: str | None = None) -> list[dict]:
    """Units as dicts (``COLUMNS``), sorted by the pinyin of the name.

    ``kind``: one code or several (e.g. ``vocab.DEPARTMENT_KINDS`` for a department chooser);
    ``active``: True (default, what choosers want), False (only deactivated) or None (all);
    ``search``: part of the name or industry.
    """
    permissions.require(actor, "unit.read")
    where = Where().among("kind", kind).eq("active", None if active is None else int(bool(active)))
    where.eq("street", street).contains(["name", "coalesce(industry, '')"], search)
    rows = store.rows(f"select {', '.join(COLUMNS)} from units where {where.sql}", where.params)
    return sorted(rows, key=lambda row: pinyin_key(row["name"]))


def get_unit(store: Store, actor: Actor, unit_id: int) -> dict:
    permissions.require(actor, "unit.read")
    row = store.one(f"select {', '.join(COLUMNS)} from units where id = ?", (unit_id,))
    if row is None:
        raise NotFound("unit", unit_id)
    return row


def usage(store: Store, actor: Actor, unit_id: int) -> dict[str, int]:
    """How much points at a unit: participants (home or host), feedback items, practices, accounts, routing."""
    permissions.require(actor, "unit.read")
    one = lambda sql: store.scalar(sql, (unit_id, unit_id) if sql.count("?") == 2 else (unit_id,)) or 0
    return {
        "participants": one("select count(*) from participants where home_unit_id = ? or host_unit_id = ?"),
        "feedback": one("select count(*) from feedback where department_id = ? or enterprise_id = ?"),
        "practices": one("select count(*) from practices where enterprise_id = ?"),
        "accounts": one("select count(*) from users where department_id = ? and active = 1"),
        "routing": one("select count(*) from routing where department_id = ?"),
    }


def _clean(db, values: dict, unit_id: int | None) -> dict:
    """Validate the editable fields present in ``values``; returns the clean ones."""
    out: dict = {}
    if "name" in values:
        name = validation.text("unit_name", values["name"])
        clash = db.conn.execute("select id from units where lower(name) = lower(?) and id != ?",
                                (name, unit_id or -1)).fetchone()
        if clash:
            raise ValidationError("unit_name", name, "taken")
        out["name"] = name
    if "kind" in values:
        out["kind"] = validation.choice("unit_kind", values["kind"], "unit_kind")
    if "street" in values:
        street = validation.normalise_text(values["street"]) or None
        if street is not None and street not in vocab.STREETS:
            raise ValidationError("street", street, "unknown_code", allowed=" / ".join(vocab.STREETS))
        out["street"] = street
    if "industry" in values:
        out["industry"] = validation.text("industry", values["industry"], required=False)
    if "notes" in values:
        out["notes"] = validation.text("notes", values["notes"], required=False)
    if "time_limit_days" in values:
        raw = values["time_limit_days"]
        out["time_limit_days"] = (None if raw is None or str(raw).strip() == ""
                                  else validation.integer("time_limit_days", raw, low=1, high=MAX_TIME_LIMIT))
    return out


def _check_kind_rules(db, row: dict, unit_id: int | None) -> None:
    """A time limit belongs to departments only; a unit that receives feedback or has liaisons stays one."""
    if row.get("time_limit_days") is not None and row["kind"] not in vocab.DEPARTMENT_KINDS:
        raise ValidationError("time_limit_days", row["time_limit_days"], "wrong_kind")
    if unit_id is not None and row["kind"] not in vocab.DEPARTMENT_KINDS:
        used = db.conn.execute(
            "select (select count(*) from users where department_id = ?) + "
            "(select count(*) from routing where department_id = ?) + "
            "(select count(*) from feedback where department_id = ?)", (unit_id, unit_id, unit_id)).fetchone()[0]
        if used:
            raise ValidationError("unit_kind", vocab.label("unit_kind", row["kind"]), "department_in_use")


def create_unit(store: Store, actor: Actor, *, name: str, kind: str, street: str | None = None,
                industry: str | None = None, time_limit_days: int | None = None, notes: str | None = None) -> int:
    permissions.require(actor, "unit.edit")
    with store.write() as db:
        row = _clean(db, {"name": name, "kind": kind, "street": street, "industry": industry,
                          "time_limit_days": time_limit_days, "notes": notes}, None)
        _check_kind_rules(db, row, None)
        return audit.insert(db, actor, "units", {**row, "active": 1})


def update_unit(store: Store, actor: Actor, unit_id: int, **changes) -> dict:
    """Change any of ``EDITABLE`` (and ``active``); returns the row after the change."""
    permissions.require(actor, "unit.edit")
    unknown = set(changes) - set(EDITABLE) - {"active"}
    if unknown:
        raise TypeError(f"update_unit() cannot change {sorted(unknown)}")
    with store.write() as db:
        current = audit.get(db, "units", unit_id)
        if current is None:
            raise NotFound("unit", unit_id)
        clean = _clean(db, changes, unit_id)
        if "active" in changes:
            clean["active"] = 1 if changes["active"] else 0
        kind_changed = "kind" in clean and clean["kind"] != current["kind"]
        _check_kind_rules(db, {**current, **clean}, unit_id if kind_changed else None)
        after = audit.update(db, actor, "units", unit_id, clean,
                             action="deactivate" if clean.get("active") == 0 and current["active"] else
                             "reactivate" if clean.get("active") == 1 and not current["active"] else "update")
        return {k: after[k] for k in COLUMNS}


def set_active(store: Store, actor: Actor, unit_id: int, active: bool) -> dict:
    """Deactivate (hide from choosers; history keeps pointing at it) or reactivate a unit."""
    return update_unit(store, actor, unit_id, active=active)
