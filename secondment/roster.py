"""The registry of batches and participants: the roster, a participant's profile, and their changes.

Every function takes the acting user first and asks ``permissions`` before it reads or writes; a secondee
sees only their own record. Writes are validated, audited with before/after, and never delete a person:
a stint is ended early or withdrawn instead.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

import pandas as pd

from secondment import audit, clock, i18n, permissions, validation, vocab
from secondment.db import Store, Where
from secondment.errors import Conflict, NotFound, ValidationError
from secondment.permissions import Actor
from secondment.textsort import pinyin_key

# Unit kinds that may send or receive a secondee, per direction (DESIGN.md: cadres leave government
# departments, party organisations and streets for enterprises; talents go the other way).
GOVERNMENT_KINDS = ("government_department", "party_org", "street_town")
HOME_KINDS = {vocab.CADRE: GOVERNMENT_KINDS, vocab.TALENT: ("enterprise",)}
HOST_KINDS = {vocab.CADRE: ("enterprise",), vocab.TALENT: GOVERNMENT_KINDS}
STREET_SUFFIXES = ("街道", "镇")

EDITABLE = ("name", "gender", "political_status", "batch_id", "home_unit_id", "host_unit_id", "post",
            "start_date", "end_date", "status", "contact", "notes")
BATCH_STATUSES = ("planned", "active", "completed")

def status_sql(today: date, alias: str = "p") -> str:
    """The status as of ``today``, as SQL over participants ``alias``: a planned or active stint moves on
    with its dates (the stored value is what was last written); completed and withdrawn are decisions and
    stay. Every count of "active" in the app uses this one rule. ``today`` is a date, so its ISO text is
    safe to inline. A stint stored as planned stays planned past its start while a declaration the administrator requires is
    missing (``declarations_missing_sql``): it cannot become active without them."""
    day, p = today.isoformat(), alias
    return (f"(case when {p}.status in ('planned', 'active') then case when {p}.start_date > '{day}' then 'planned' "
            f"when {p}.end_date < '{day}' then 'completed' "
            f"when {p}.status = 'planned' and {declarations_missing_sql(p)} then 'planned' "
            f"else 'active' end else {p}.status end)")


REQUIRED_DECLARATIONS_KEY = "stint.required_declarations"


def declarations_missing_sql(alias: str = "p") -> str:
    """SQL: does participant ``alias`` lack a declaration the administrator requires (a JSON list in meta)?"""
    return (f"exists (select 1 from meta m, json_each(m.value) k where m.key = '{REQUIRED_DECLARATIONS_KEY}' "
            f"and not exists (select 1 from declarations d where d.participant_id = {alias}.id and d.kind = k.value))")


def gate_activation(conn, participant_id: int | None, status: str | None, stored: str | None = None) -> str | None:
    """The status to store: a stint that would start as active now, but lacks a required declaration, is stored
    as planned (and becomes active by itself once the declarations are recorded). One already active stays so."""
    if status != "active" or stored == "active":
        return status
    missing = conn.execute(
        f"select {declarations_missing_sql('p')} from (select ? as id) p", (participant_id or -1,)).fetchone()[0]
    return "planned" if missing else status


_SELECT = """
    select p.id, p.name, p.gender, p.political_status, p.batch_id, b.code as batch, b.direction,
           b.intake_year, b.start_date as batch_start, b.end_date as batch_end,
           p.home_unit_id, hm.name as home_unit, hm.kind as home_unit_kind, hm.street as home_street,
           p.host_unit_id, h.name as host_unit, h.kind as host_unit_kind, h.street as host_street,
           p.post, p.start_date, p.end_date, {status} as status, p.status as stored_status, p.contact, p.notes,
           p.created_at, p.updated_at
    from participants p
    join batches b on b.id = p.batch_id
    left join units hm on hm.id = p.home_unit_id
    left join units h on h.id = p.host_unit_id
"""


@functools.lru_cache(maxsize=4096)
def batch_key(code: str | None) -> tuple:
    """C1 < C2 < … < C10 < T1 …: cadre batches first, then by number."""
    code = code or ""
    digits = "".join(ch for ch in code[1:] if ch.isdigit())
    return (code[:1], int(digits) if digits else 0, code)


def infer_unit_kind(name: str, direction: str, side: str) -> str:
    """The kind of a unit first met as ``side`` ("home"/"host") of a ``direction`` stint."""
    kinds = HOME_KINDS[direction] if side == "home" else HOST_KINDS[direction]
    if kinds == ("enterprise",):
        return "enterprise"
    return "street_town" if name.endswith(STREET_SUFFIXES) else "government_department"


def direction_value(value) -> str:
    """A direction by its code, full label or short label (干部→企业)."""
    try:
        return validation.choice("direction", value, "direction_short")
    except ValidationError:
        return validation.choice("direction", value, "direction")


def _today(today: date | None) -> date:
    return today or clock.today()


def derived_status(start: date | str, end: date | str, today: date | None = None) -> str:
    """planned / active / completed from the dates alone (used for batches and as a default)."""
    today = _today(today)
    start = validation.parse_date("start_date", start)
    end = validation.parse_date("end_date", end)
    if today < start:
        return "planned"
    return "completed" if today > end else "active"


# --- batches ---------------------------------------------------------------------------------------

def list_batches(store: Store, actor: Actor, *, today: date | None = None) -> list[dict]:
    """Every batch with its size, active count and status derived from its dates, oldest first."""
    permissions.require(actor, "batch.read")
    rows = store.rows("""
        select b.*, count(p.id) as size,
               coalesce(sum({status} = 'active'), 0) as active,
               coalesce(sum(p.status = 'withdrawn'), 0) as withdrawn
        from batches b left join participants p on p.batch_id = b.id
        group by b.id""".replace("{status}", status_sql(_today(today))))
    for row in rows:
        row["status"] = derived_status(row["start_date"], row["end_date"], today)
    return sorted(rows, key=lambda r: (r["start_date"], batch_key(r["code"])))


def get_batch(store: Store, actor: Actor, batch_id: int) -> dict:
    permissions.require(actor, "batch.read")
    for row in list_batches(store, actor):
        if row["id"] == batch_id:
            return row
    raise NotFound("batch", batch_id)


def save_batch(store: Store, actor: Actor, batch_id: int | None = None, *, code, direction, intake_year,
               start_date, end_date, notes=None) -> int:
    """Create (``batch_id`` None) or edit a batch; returns its id."""
    permissions.require(actor, "batch.edit")
    direction = direction_value(direction)
    clean = {
        "code": validation.batch_code(code, direction),
        "direction": direction,
        "intake_year": validation.integer("intake_year", intake_year, low=2000, high=2100),
        "start_date": validation.parse_date("start_date", start_date),
        "end_date": validation.parse_date("end_date", end_date),
        "notes": validation.text("notes", notes, required=False),
    }
    validation.date_order("start_date", clean["start_date"], "end_date", clean["end_date"])
    clean["start_date"] = clean["start_date"].isoformat()
    clean["end_date"] = clean["end_date"].isoformat()
    with store.write() as db:
        clash = db.conn.execute("select id from batches where upper(code) = ? and id != ?",
                                (clean["code"], batch_id or -1)).fetchone()
        if clash:
            raise ValidationError("batch_code", clean["code"], "taken")
        if batch_id is None:
            return audit.insert(db, actor, "batches", clean)
        if audit.get(db, "batches", batch_id) is None:
            raise NotFound("batch", batch_id)
        people = db.conn.execute("select count(*) from participants where batch_id = ?", (batch_id,)).fetchone()[0]
        current = audit.get(db, "batches", batch_id)
        if people and current["direction"] != direction:
            raise ValidationError("direction", vocab.label("direction_short", direction), "batch_has_people",
                                  count=people)
        outside = db.conn.execute(
            "select count(*) from participants where batch_id = ? and (start_date < ? or end_date > ?)",
            (batch_id, clean["start_date"], clean["end_date"])).fetchone()[0]
        if outside:
            raise ValidationError("start_date", f"{clean['start_date']} – {clean['end_date']}",
                                  "batch_excludes_stints", count=outside)
        audit.update(db, actor, "batches", batch_id, clean)
        return batch_id


BATCH_COLUMNS = ("code", "direction", "intake_year", "start_date", "end_date", "size", "active", "status", "notes")
_BATCH_LABELS = {"code": "field.batch_code", "direction": "field.direction", "intake_year": "field.intake_year",
                 "start_date": "field.start_date", "end_date": "field.end_date", "size": "batches.size",
                 "active": "batches.active", "status": "field.status", "notes": "field.notes"}


def batches_frame(store: Store, actor: Actor, lang: str = "zh", *, today: date | None = None) -> pd.DataFrame:
    """The batches as a labelled table (page and ``export batches``)."""
    frame = pd.DataFrame(list_batches(store, actor, today=today), columns=list(BATCH_COLUMNS))
    frame["direction"] = frame["direction"].map(lambda d: vocab.label("direction_short", d, lang))
    frame["status"] = frame["status"].map(lambda s: i18n.translate(lang, f"batches.status_{s}"))
    return frame.rename(columns={c: i18n.translate(lang, _BATCH_LABELS[c]) for c in BATCH_COLUMNS})


# --- the roster --------------------------------------------------------------------------------------

def _select(today: date | None) -> str:
    return _SELECT.format(status=status_sql(_today(today)))


def _where(actor: Actor, *, direction=None, batch=None, status=None, host_unit=None, street=None, year=None,
           text=None, participant_id=None, today: date | None = None) -> tuple[str, list]:
    own = permissions.scope(actor, "participant.read")
    where = Where().eq("p.id", own and own["participant_id"])
    where.eq("p.id", None if participant_id is None else int(participant_id)).eq("b.direction", direction)
    if isinstance(batch, int):
        where.eq("b.id", batch)
    else:
        where.eq("upper(b.code)", batch and validation.normalise_text(batch).upper())
    where.among(status_sql(_today(today)), status)
    if isinstance(host_unit, int):
        where.eq("p.host_unit_id", host_unit)
    elif host_unit:
        where.contains("h.name", host_unit)
    if street:
        # The street or town a stint sits in: the host's or home unit's street, or the unit that is the street.
        where.add("(h.street = ? or hm.street = ? or h.name = ? or hm.name = ?)", *[street] * 4)
    where.eq("b.intake_year", int(year) if year else None)
    where.contains(["p.name", "coalesce(p.post, '')", "coalesce(h.name, '')", "coalesce(hm.name, '')",
                    "coalesce(p.contact, '')", "coalesce(p.notes, '')", "b.code"], text)
    return where.build()


def list_participants(store: Store, actor: Actor, *, direction=None, batch=None, status=None, host_unit=None,
                      street=None, year=None, text=None, today: date | None = None) -> list[dict]:
    """Participants matching the filters (all optional), newest batch first, then by the pinyin of the name.

    ``batch``: a code ("C3") or id; ``host_unit``: an id or part of the name; ``street``: a street/town name;
    ``year``: the batch's intake year; ``text``: part of name, post, units, contact or notes.
    ``status`` is the status as of ``today`` (see ``status_sql``). A secondee gets only their own row."""
    clause, params = _where(actor, direction=direction, batch=batch, status=status, host_unit=host_unit,
                            street=street, year=year, text=text, today=today)
    sql = f"{_select(today)} where {clause}"
    if any(v is not None for v in (direction, batch, status, host_unit, street, year, text)):
        return _in_order(store.rows(sql, params))
    # The whole roster (the page's first view) is kept per state of the data for everyone of this scope; a
    # filtered one is read afresh, so that typing in the search box does not fill the memory with lists.
    return _kept_in_order(store, "roster.list", sql, params)


def _kept_in_order(store: Store, name: str, sql: str, params) -> list[dict]:
    """``_in_order`` of the query's rows, sorted once per state of the data (10,000 names by pinyin at a national
    scale) for everyone whose scope gives the same SQL and parameters; each caller gets its own row copies."""
    return store.cached_value((name, sql, params), lambda: _in_order(store.rows(sql, params)),
                              reads=store.tables_read(sql, params), copy_with=lambda rows: [dict(r) for r in rows])


def _in_order(rows: list[dict]) -> list[dict]:
    """Newest batch first (the people serving now lead the list), by name within a batch."""
    rows.sort(key=lambda r: (pinyin_key(r["name"]), r["id"]))
    rows.sort(key=lambda r: (r["batch_start"] or "", batch_key(r["batch"])), reverse=True)
    return rows


def choices(store: Store, actor: Actor, today: date | None = None) -> list[dict]:
    """Everyone this actor may see, for a person picker: id, name, batch, host unit and status only, in the
    roster's order (at a national scale the full rows cost a page half a second it does not need)."""
    clause, params = _where(actor, today=today)
    sql = (f"select p.id, p.name, b.code as batch, b.start_date as batch_start, h.name as host_unit, "
           f"{status_sql(_today(today))} as status from participants p join batches b on b.id = p.batch_id "
           f"left join units hm on hm.id = p.home_unit_id left join units h on h.id = p.host_unit_id where {clause}")
    return _kept_in_order(store, "roster.choices", sql, params)


def count_participants(store: Store, actor: Actor) -> int:
    """How many participants this actor may see at all (the "of M" in "showing N of M")."""
    clause, params = _where(actor)
    return store.scalar(f"select count(*) from participants p join batches b on b.id = p.batch_id "
                        f"left join units h on h.id = p.host_unit_id left join units hm on hm.id = p.home_unit_id "
                        f"where {clause}", params) or 0


def filter_options(store: Store, actor: Actor) -> dict[str, list]:
    """Values the roster's filters can take, from the participants this actor can see."""
    rows = list_participants(store, actor)
    hosts = {(r["host_unit_id"], r["host_unit"]) for r in rows if r["host_unit_id"]}
    streets = {s for r in rows for s in (r["host_street"], r["home_street"]) if s}
    streets |= {r[k] for r in rows for k in ("host_unit", "home_unit") if r[k] in vocab.STREETS}
    return {
        "batches": sorted({r["batch"] for r in rows}, key=batch_key),
        "host_units": sorted(hosts, key=lambda u: pinyin_key(u[1])),
        "streets": [s for s in vocab.STREETS if s in streets] + sorted(streets - set(vocab.STREETS)),
        "years": sorted({r["intake_year"] for r in rows}),
    }


def get_participant(store: Store, actor: Actor, participant_id: int, *, today: date | None = None) -> dict:
    """One participant with batch, units and dates; a secondee may read only their own."""
    permissions.require(actor, "participant.read", {"participant_id": participant_id})
    row = store.one(f"{_select(today)} where p.id = ?", (participant_id,))
    if row is None:
        raise NotFound("participant", participant_id)
    return row


# --- validation and writes ----------------------------------------------------------------------------

def unit_fits(kind: str, direction: str, side: str) -> bool:
    return kind in (HOME_KINDS if side == "home" else HOST_KINDS)[direction]


def unit_kind_error(field: str, name: str, kind: str, direction: str, side: str, row: int | None = None):
    kinds = (HOME_KINDS if side == "home" else HOST_KINDS)[direction]
    allowed = "vocab.unit_kind.enterprise" if kinds == ("enterprise",) else "roster.kinds_government"
    return ValidationError(field, name, "unit_kind_direction", row=row, kind=("t", f"vocab.unit_kind.{kind}"),
                           direction=("t", f"vocab.direction_short.{direction}"), allowed=("t", allowed))


class Checker:
    """Collects every ``ValidationError`` of one record instead of stopping at the first (said of ``row`` when
    the record is a line of a file): ``check(fn, *args)`` returns the clean value or None."""

    def __init__(self, row: int | None = None):
        self.row = row
        self.errors: list[ValidationError] = []

    def check(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationError as error:
            self.errors.append(error.at_row(self.row))
            return None

    def add(self, error: ValidationError) -> None:
        self.errors.append(error.at_row(self.row))


def check_fields(values: dict, batch: dict | None, checker: Checker) -> dict:
    """The rules of a participant's own fields, the one place the add/edit form and the roster import both use:
    name; gender, political status and status as coded values (any blank optional); post, contact and notes;
    start and end dates in order and inside the batch. Returns the clean values (None where a value is bad
    or blank; dates as ``date``), every problem in ``checker``."""
    c = checker.check
    clean = {
        "name": c(validation.text, "name", values.get("name")),
        "gender": c(validation.choice, "gender", values.get("gender"), "gender", required=False),
        "political_status": c(validation.choice, "political_status", values.get("political_status"),
                              "political_status", required=False),
        "status": c(validation.choice, "status", values.get("status"), "participant_status", required=False),
        "post": c(validation.text, "post", values.get("post"), required=False),
        "contact": c(validation.text, "contact", values.get("contact"), required=False),
        "notes": c(validation.text, "notes", values.get("notes"), required=False),
    }
    start = c(validation.parse_date, "start_date", values.get("start_date"))
    end = c(validation.parse_date, "end_date", values.get("end_date"))
    if start and end and c(validation.date_order, "start_date", start, "end_date", end) is None and end >= start \
            and batch:
        c(validation.within, "start_date", start, batch["start_date"], batch["end_date"], "outside_batch")
        c(validation.within, "end_date", end, batch["start_date"], batch["end_date"], "outside_batch")
    clean["start_date"], clean["end_date"] = start, end
    return clean


def check_units(home: dict | None, host: dict | None, direction: str | None, checker: Checker) -> None:
    """Each unit's kind fits its side of the stint's direction, and the host is not the home unit.
    ``home``/``host`` are unit rows (``name``, ``kind``, and ``id`` when they exist already)."""
    for side, unit in (("home", home), ("host", host)):
        if unit and direction and not unit_fits(unit["kind"], direction, side):
            checker.add(unit_kind_error(f"{side}_unit", unit["name"], unit["kind"], direction, side))
    if home and host and validation.normalise_text(home["name"]) == validation.normalise_text(host["name"]):
        checker.add(ValidationError("host_unit", host["name"], "same_as_home"))


def entries_outside(db, participant_id: int, start: str, end: str) -> ValidationError | None:
    """Changing a stint's dates may not leave logged weeks outside it: the error saying so, or None."""
    row = db.conn.execute("select count(*), min(date), max(date) from activities where participant_id = ? "
                          "and (date < ? or date > ?)", (participant_id, start, end)).fetchone()
    if not row[0]:
        return None
    field = "start_date" if row[1] < start else "end_date"
    return ValidationError(field, start if field == "start_date" else end, "entries_outside",
                           count=row[0], first=row[1], last=row[2])


def _check_entries_inside(db, participant_id: int, start: str, end: str) -> None:
    error = entries_outside(db, participant_id, start, end)
    if error is not None:
        raise error


def _clean_participant(db, values: dict, participant_id: int | None, today: date) -> dict:
    """Validate a whole participant record from the form (``values`` holds every field, units and batch by id);
    returns the clean columns or raises the first problem."""
    batch_id = values.get("batch_id")
    batch = db.conn.execute("select * from batches where id = ?", (batch_id,)).fetchone() if batch_id else None
    if batch is None:
        raise ValidationError("batch", batch_id, "required" if not batch_id else "not_found")
    checker = Checker()
    clean = check_fields(values, dict(batch), checker)
    units = {}
    for side in ("home", "host"):
        unit_id = values.get(f"{side}_unit_id")
        unit = db.conn.execute("select * from units where id = ?", (unit_id,)).fetchone() if unit_id else None
        if unit is None:
            checker.add(ValidationError(f"{side}_unit", unit_id, "required" if not unit_id else "not_found"))
        units[side] = dict(unit) if unit else None
    check_units(units["home"], units["host"], batch["direction"], checker)
    if checker.errors:
        raise checker.errors[0]
    start, end = clean["start_date"], clean["end_date"]
    clean.update(batch_id=batch["id"], home_unit_id=units["home"]["id"], host_unit_id=units["host"]["id"],
                 start_date=start.isoformat(), end_date=end.isoformat(),
                 status=clean["status"] or derived_status(start, end, today))
    stored = db.conn.execute("select status from participants where id = ?",
                             (participant_id or -1,)).fetchone()
    clean["status"] = gate_activation(db.conn, participant_id, clean["status"], stored[0] if stored else None)
    clash = db.conn.execute("select id from participants where name = ? and batch_id = ? and id != ?",
                            (clean["name"], clean["batch_id"], participant_id or -1)).fetchone()
    if clash:
        raise ValidationError("name", f"{clean['name']} ({batch['code']})", "duplicate")
    if participant_id is not None:
        _check_entries_inside(db, participant_id, clean["start_date"], clean["end_date"])
    return clean


def _resolve_batch(db, batch) -> int | None:
    """A batch given as id or code → its id (None when absent)."""
    if batch is None or batch == "":
        return None
    if isinstance(batch, int):
        return batch
    row = db.conn.execute("select id from batches where upper(code) = ?",
                          (validation.normalise_text(batch).upper(),)).fetchone()
    if row is None:
        raise ValidationError("batch", batch, "not_found")
    return row["id"]


def create_participant(store: Store, actor: Actor, *, today: date | None = None, batch=None, **values) -> int:
    """Add a participant (``batch`` as id or code, units as ``home_unit_id``/``host_unit_id``); returns the id."""
    permissions.require(actor, "participant.edit")
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise TypeError(f"create_participant() got unknown fields {sorted(unknown)}")
    with store.write() as db:
        if batch is not None:
            values["batch_id"] = _resolve_batch(db, batch)
        clean = _clean_participant(db, values, None, _today(today))
        stamp = clock.stamp()
        return audit.insert(db, actor, "participants", {**clean, "created_at": stamp, "updated_at": stamp})


def update_participant(store: Store, actor: Actor, participant_id: int, *, today: date | None = None,
                       batch=None, **changes) -> dict:
    """Change any of ``EDITABLE``; the whole record is re-validated. Returns the row after the change."""
    permissions.require(actor, "participant.edit")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"update_participant() cannot change {sorted(unknown)}")
    with store.write() as db:
        current = audit.get(db, "participants", participant_id)
        if current is None:
            raise NotFound("participant", participant_id)
        if batch is not None:
            changes["batch_id"] = _resolve_batch(db, batch)
        merged = {**current, **changes}
        if "status" not in changes:
            merged["status"] = current["status"]
        clean = _clean_participant(db, merged, participant_id, _today(today))
        diff = {k: v for k, v in clean.items() if not same_value(current.get(k), v)}
        if not diff:
            return current
        return audit.update(db, actor, "participants", participant_id, {**diff, "updated_at": clock.stamp()})


def same_value(stored, clean) -> bool:
    """A stored value equals a cleaned one, also when it differs only by what cleaning normalises
    (full-width punctuation typed before, or by another tool), so re-saving a form changes nothing."""
    if stored == clean:
        return True
    return (isinstance(stored, str) and isinstance(clean, str)
            and validation.normalise_text(stored) == validation.normalise_text(clean))


def _with_reason(notes: str | None, label: str, reason: str, day: date) -> str:
    line = f"[{day.isoformat()} {label}] {reason}"
    return f"{notes}\n{line}" if notes else line


# What can still happen to a stint, by its status as of today: only a running stint can end early; a stint
# not yet over can be withdrawn (中止); a completed or withdrawn one is history.
STINT_STEPS = {"planned": ("withdraw",), "active": ("end_early", "withdraw"), "completed": (), "withdrawn": ()}


def stint_steps(person: dict, today: date | None = None) -> tuple[str, ...]:
    """The steps ``person`` (a participant row with its stored status and dates) still allows today."""
    status = person.get("stored_status", person["status"])
    if status in ("planned", "active"):
        status = derived_status(person["start_date"], person["end_date"], today)
    return STINT_STEPS.get(status, ())


def _open_stint(db, participant_id: int, step: str, today: date) -> dict:
    """The participant's row, for ``step``, which a withdrawn or finished stint no longer allows."""
    current = audit.get(db, "participants", participant_id)
    if current is None:
        raise NotFound("participant", participant_id)
    if current["status"] == "withdrawn":
        raise Conflict("roster.already_withdrawn")
    if step not in stint_steps(current, today):
        raise Conflict("roster.stint_over" if step == "withdraw" else "roster.stint_not_running",
                       end=current["end_date"])
    return current


def end_stint_early(store: Store, actor: Actor, participant_id: int, end_date, reason, *,
                    today: date | None = None) -> dict:
    """Bring the end of a stint forward; the reason is kept in the notes and the audit trail."""
    permissions.require(actor, "participant.edit")
    today = _today(today)
    end = validation.parse_date("end_date", end_date)
    reason = validation.text("reason", reason)
    with store.write() as db:
        current = _open_stint(db, participant_id, "end_early", today)
        start = validation.parse_date("start_date", current["start_date"])
        validation.date_order("start_date", start, "end_date", end)
        if end >= validation.parse_date("end_date", current["end_date"]):
            raise ValidationError("end_date", end.isoformat(), "not_earlier", end=current["end_date"])
        _check_entries_inside(db, participant_id, current["start_date"], end.isoformat())
        changes = {"end_date": end.isoformat(), "status": derived_status(start, end, today),
                   "notes": _with_reason(current["notes"], i18n.translate("zh", "roster.ended_early_note"),
                                         reason, today),
                   "updated_at": clock.stamp()}
        return audit.update(db, actor, "participants", participant_id, changes, action="end_early")


def withdraw(store: Store, actor: Actor, participant_id: int, reason, *, today: date | None = None) -> dict:
    """Mark a participant withdrawn (中止). Their history stays; an ongoing stint ends today."""
    permissions.require(actor, "participant.edit")
    today = _today(today)
    reason = validation.text("reason", reason)
    with store.write() as db:
        current = _open_stint(db, participant_id, "withdraw", today)
        changes = {"status": "withdrawn",
                   "notes": _with_reason(current["notes"], i18n.translate("zh", "roster.withdrawn_note"),
                                         reason, today),
                   "updated_at": clock.stamp()}
        start = validation.parse_date("start_date", current["start_date"])
        if start <= today < validation.parse_date("end_date", current["end_date"]):
            changes["end_date"] = today.isoformat()
        return audit.update(db, actor, "participants", participant_id, changes, action="withdraw")


# --- profile ---------------------------------------------------------------------------------------------

def _weeks_between(start: date, end: date) -> list[tuple[str, date]]:
    out, day = [], start - timedelta(days=start.weekday())
    while day <= end:
        out.append((validation.iso_week(day), day))
        day += timedelta(weeks=1)
    return out


def profile(store: Store, actor: Actor, participant_id: int, *, today: date | None = None) -> dict:
    """Everything the profile page shows, each part a small SQL aggregate over one participant."""
    person = get_participant(store, actor, participant_id, today=today)
    today = _today(today)
    start = validation.parse_date("start_date", person["start_date"])
    end = min(validation.parse_date("end_date", person["end_date"]), today)
    with store.read() as db:
        q = lambda sql, p=(participant_id,): [dict(r) for r in db.conn.execute(sql, p).fetchall()]
        logged = {r["week"]: r for r in q(
            "select week, count(*) as entries, sum(hours) as hours from activities "
            "where participant_id = ? group by week")}
        reviews = {r["week"]: r for r in q(
            "select week, state, comment, reviewed_at from week_reviews where participant_id = ?")}
        roles = {r["role"]: r for r in q(
            "select role, count(*) as entries, sum(hours) as hours from activities "
            "where participant_id = ? group by role")}
        feedback = q("""
            select f.id, f.created_at, f.category, f.summary, f.urgency, f.status, f.due_date, f.answered_at,
                   f.evaluation, e.name as enterprise, d.name as department
            from feedback f left join units e on e.id = f.enterprise_id left join units d on d.id = f.department_id
            where f.participant_id = ? order by f.created_at desc, f.id desc""")
        own = actor.participant_id == participant_id
        everything = own or permissions.can(actor, "practice.review")
        practices = q(f"""
            select x.id, x.title, x.summary, x.status, x.promoted_at, x.created_at, u.name as enterprise
            from practices x left join units u on u.id = x.enterprise_id
            where x.participant_id = ? {'' if everything else "and x.status = 'promoted'"}
            order by coalesce(x.promoted_at, x.reviewed_at, x.created_at) desc""")
    weeks = []
    stint_weeks = {w for w, _ in _weeks_between(start, end)} if end >= start else set()
    for week, monday in _weeks_between(min(start, end), max(end, start)) if end >= start else []:
        row = logged.get(week)
        review = reviews.get(week)
        entries = row["entries"] if row else 0
        state = review["state"] if review else ("not_submitted" if entries else "missing")
        weeks.append({"week": week, "monday": monday.isoformat(), "entries": entries,
                      "hours": round(row["hours"] or 0, 2) if row else 0.0, "state": state,
                      "comment": review["comment"] if review else None})
    # Weeks logged outside the stint (should not happen, but must not vanish from the count).
    for week in sorted(set(logged) - stint_weeks):
        row = logged[week]
        monday = validation.parse_week("week", week)[0]
        review = reviews.get(week)
        weeks.append({"week": week, "monday": monday.isoformat(), "entries": row["entries"],
                      "hours": round(row["hours"] or 0, 2), "state": review["state"] if review else "not_submitted",
                      "comment": review["comment"] if review else None})
    weeks.sort(key=lambda w: w["week"])
    direction_roles = vocab.ROLES_BY_DIRECTION[person["direction"]]
    balance = [{"role": r, "entries": roles.get(r, {}).get("entries", 0),
                "hours": round(roles.get(r, {}).get("hours") or 0, 2)} for r in direction_roles]
    balance += [{"role": r, "entries": v["entries"], "hours": round(v["hours"] or 0, 2)}
                for r, v in roles.items() if r not in direction_roles]
    in_stint = [w for w in weeks if w["week"] in stint_weeks]
    metrics = {
        "entries": sum(w["entries"] for w in weeks),
        "hours": round(sum(w["hours"] for w in weeks), 1),
        "weeks_logged": sum(1 for w in in_stint if w["entries"]),
        "weeks_due": len(in_stint),
        "weeks_approved": sum(1 for w in weeks if w["state"] == "approved"),
        "feedback": len(feedback),
        "feedback_open": sum(1 for f in feedback if f["status"] in vocab.OPEN_FEEDBACK_STATUSES),
        "practices": len(practices),
        "practices_promoted": sum(1 for p in practices if p["status"] == "promoted"),
    }
    return {"participant": person, "weeks": weeks, "roles": balance, "feedback": feedback,
            "practices": practices, "metrics": metrics}


# --- export ----------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("name", "gender", "political_status", "batch", "direction", "home_unit", "host_unit", "post",
                  "start_date", "end_date", "status", "contact", "notes")


def labelled(rows: list[dict], lang: str) -> pd.DataFrame:
    """Roster rows with the user's column names and labels instead of codes (the import reads them back)."""
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    for column, group in (("gender", "gender"), ("political_status", "political_status"),
                          ("direction", "direction_short"), ("status", "participant_status")):
        frame[column] = frame[column].map(lambda v, g=group: vocab.label(g, v, lang) if v else "")
    return frame.rename(columns={c: i18n.translate(lang, f"field.{c}") for c in EXPORT_COLUMNS})


def export_frame(store: Store, actor: Actor, lang: str = "zh", **filters) -> pd.DataFrame:
    """The filtered roster as a labelled table for downloads and ``export roster``."""
    permissions.require(actor, "participant.export")
    return labelled(list_participants(store, actor, **filters), lang)


def stints(store: Store, actor: Actor, *, since: str = "2010-01-01") -> list[dict]:
    """Every visible participant's stint since ``since`` (the batches page's timeline)."""
    permissions.require(actor, "batch.read")
    return [r for r in list_participants(store, actor) if r["end_date"] >= since]
