"""Accounts, passwords, sign-in with lock-out, and signed session tokens.

Passwords are hashed with Argon2 (argon2-cffi). A session token is a random id signed with the
database's secret (itsdangerous) and stored in ``sessions``; it carries no password and expires after
the idle timeout or at sign-out.
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from secondment import audit, clock, permissions, vocab
from secondment.db import Store
from secondment.errors import Conflict, NotFound, SecondmentError, ValidationError
from secondment.permissions import Actor

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
DEFAULT_IDLE_MINUTES = 60
DEMO_PASSWORD = "demo-password"
SESSION_KEEP_DAYS = 30

_hasher = PasswordHasher()


class SignInFailed(SecondmentError):
    """Wrong username or password; never says which."""

    key = "auth.failed"


class AccountLocked(SecondmentError):
    key = "auth.locked"


def idle_minutes() -> int:
    try:
        return max(1, int(os.environ.get("SECONDMENT_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)))
    except ValueError:
        return DEFAULT_IDLE_MINUTES


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str | None, username: str | None = None, *,
                         field: str = "password") -> None:
    """At least MIN_PASSWORD_LENGTH characters, at most MAX_PASSWORD_LENGTH, not the username itself.
    The value is never echoed in the message."""
    password = password or ""
    masked = "•" * min(len(password), 12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(field, masked, "too_short", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(field, masked, "too_long", max=MAX_PASSWORD_LENGTH, length=len(password))
    if username and password.strip().lower() == username.strip().lower():
        raise ValidationError(field, masked, "password_is_username")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def actor_from_row(row: dict) -> Actor:
    return Actor(user_id=row["id"], username=row["username"], role=row["role"],
                 display_name=row.get("display_name") or row["username"],
                 participant_id=row.get("participant_id"), department_id=row.get("department_id"))


def _parse(ts: str | None) -> datetime | None:
    return clock.parse_stamp(ts) if ts else None


_utc = clock.stamp


def authenticate(store: Store, username: str, password: str) -> Actor:
    """Check a username and password. Five failures lock the username for a while, whether or not
    it exists, so the answer never tells an attacker which usernames are real.

    The failure count is committed before the refusal is raised (raising inside ``store.write()``
    would roll it back), and an unknown username still costs one Argon2 verification, so neither
    the answer nor its timing tells whether the name exists.
    """
    username = (username or "").strip()
    now_dt = clock.now()
    refusal: SecondmentError | None = None
    actor: Actor | None = None
    with store.write() as db:
        row = db.conn.execute("select * from users where username = ?", (username,)).fetchone()
        row = dict(row) if row else None
        throttle_key = _throttle_key(username)
        meta = db.conn.execute("select value from meta where key = ?", (throttle_key,)).fetchone()
        failures, locked_until = _decode_throttle(meta[0] if meta else None)
        if locked_until and locked_until > now_dt:
            minutes = max(1, int((locked_until - now_dt).total_seconds() // 60) + 1)
            refusal = AccountLocked(minutes=minutes)
        else:
            verified = _verify(row["password_hash"] if row else _dummy_hash(), password or "")
            ok = row is not None and bool(row["active"]) and verified
            if ok:
                db.conn.execute("delete from meta where key = ?", (throttle_key,))
                db.conn.execute("update users set failed_attempts = 0, locked_until = null, last_login_at = ? "
                                "where id = ?", (clock.stamp(), row["id"]))
                actor = actor_from_row(row)
            else:
                failures += 1
                locked = None
                if failures >= MAX_FAILED_ATTEMPTS:
                    locked = now_dt + timedelta(minutes=LOCK_MINUTES)
                    failures = 0
                db.conn.execute("insert into meta(key, value) values (?, ?) on conflict(key) do update set "
                                "value = excluded.value", (throttle_key, _encode_throttle(failures, locked)))
                if row is not None:
                    db.conn.execute("update users set failed_attempts = ?, locked_until = ? where id = ?",
                                    (failures, _utc(locked) if locked else None, row["id"]))
                if locked:
                    audit.record(db, Actor(None, "sign_in", "viewer", "sign_in"), "users",
                                 row["id"] if row else None, "lock", None,
                                 {"username": username, "locked_until": _utc(locked)})
                    refusal = AccountLocked(minutes=LOCK_MINUTES)
                else:
                    refusal = SignInFailed()
    if refusal is not None:
        raise refusal
    assert actor is not None
    return actor


def _throttle_key(username: str) -> str:
    return f"login_throttle:{(username or '').strip().lower()}"


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_hex(16)))
    return _DUMMY[0]


def _decode_throttle(value: str | None) -> tuple[int, datetime | None]:
    if not value:
        return 0, None
    count, _, until = value.partition("|")
    return int(count or 0), _parse(until) if until else None


def _encode_throttle(failures: int, locked: datetime | None) -> str:
    return f"{failures}|{_utc(locked) if locked else ''}"


# --- session tokens ----------------------------------------------------------------------------

def _serializer(store: Store) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(store.meta("secret") or "", salt="secondment-session")


def start_session(store: Store, actor: Actor) -> str:
    """A signed token naming a new server-side session; the browser keeps it in a cookie."""
    session_id = secrets.token_urlsafe(24)
    stamp = clock.stamp()
    keep_after = _utc(clock.now() - timedelta(days=SESSION_KEEP_DAYS))
    with store.write() as db:
        # Sessions long over are only clutter: keep a month of them (the account page lists recent ones).
        db.conn.execute("delete from sessions where last_seen < ? and user_id = ?", (keep_after, actor.user_id))
        db.conn.execute("insert into sessions(id, user_id, created_at, last_seen, revoked) values (?, ?, ?, ?, 0)",
                        (session_id, actor.user_id, stamp, stamp))
    return _serializer(store).dumps(session_id)


def resume_session(store: Store, token: str | None, *, touch: bool = True) -> Actor | None:
    """The actor behind a token, or None when it is forged, revoked, idle too long, or the account is off."""
    if not token:
        return None
    try:
        session_id = _serializer(store).loads(token, max_age=7 * 24 * 3600)
    except BadSignature:
        return None
    row = store.one("select s.last_seen, s.revoked, u.* from sessions s join users u on u.id = s.user_id "
                    "where s.id = ?", (session_id,))
    if row is None or row["revoked"] or not row["active"]:
        return None
    last_seen = _parse(row["last_seen"])
    now_dt = clock.now()
    if last_seen is None or now_dt - last_seen > timedelta(minutes=idle_minutes()):
        end_session(store, token)
        return None
    if touch and now_dt - last_seen > timedelta(seconds=30):
        with store.write() as db:
            db.conn.execute("update sessions set last_seen = ? where id = ?", (clock.stamp(), session_id))
    return actor_from_row(row)


def end_session(store: Store, token: str | None) -> None:
    if not token:
        return
    try:
        session_id = _serializer(store).loads(token)
    except BadSignature:
        return
    with store.write() as db:
        db.conn.execute("update sessions set revoked = 1 where id = ?", (session_id,))


# --- accounts ------------------------------------------------------------------------------------

USER_COLUMNS = "id, username, display_name, role, participant_id, department_id, active, language, " \
               "created_at, updated_at, last_login_at"


def _check_link(db, role: str, participant_id, department_id, user_id: int | None = None) -> None:
    if role not in vocab.APP_ROLES:
        raise ValidationError("app_role", role, "unknown_code", allowed=", ".join(vocab.APP_ROLES))
    link = permissions.link_of(role)
    if link == "participant":
        if participant_id is None:
            raise ValidationError("participant", participant_id, "required")
        if db.conn.execute("select 1 from participants where id = ?", (participant_id,)).fetchone() is None:
            raise ValidationError("participant", participant_id, "not_found")
        linked = permissions.roles_linked_to("participant")
        if db.conn.execute(f"select 1 from users where participant_id = ? and role in ({', '.join('?' * len(linked))}) "
                           "and active = 1 and id != ?", (participant_id, *linked, user_id or -1)).fetchone():
            raise ValidationError("participant", participant_id, "taken")
    if link == "department":
        if department_id is None:
            raise ValidationError("department", department_id, "required")
        unit = db.conn.execute("select kind from units where id = ?", (department_id,)).fetchone()
        if unit is None:
            raise ValidationError("department", department_id, "not_found")
        if unit[0] not in vocab.DEPARTMENT_KINDS:
            raise ValidationError("department", department_id, "wrong_kind")


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationError("username", username, "required")
    if len(username) > 40 or any(c.isspace() for c in username):
        raise ValidationError("username", username, "bad_username")
    return username


def create_user(store: Store, actor: Actor, username: str, password: str, role: str, *,
                display_name: str | None = None, participant_id: int | None = None,
                department_id: int | None = None) -> int:
    permissions.require(actor, "user.manage")
    username = _check_username(username)
    check_password_rules(password, username)
    with store.write() as db:
        _check_link(db, role, participant_id, department_id)
        if db.conn.execute("select 1 from users where lower(username) = lower(?)", (username,)).fetchone():
            raise ValidationError("username", username, "taken")
        stamp = clock.stamp()
        return audit.insert(db, actor, "users", {
            "username": username, "display_name": (display_name or "").strip() or username, "role": role,
            "participant_id": participant_id if permissions.link_of(role) == "participant" else None,
            "department_id": department_id if permissions.link_of(role) == "department" else None,
            "password_hash": hash_password(password), "active": 1, "created_at": stamp, "updated_at": stamp,
        })


def list_users(store: Store, actor: Actor) -> list[dict]:
    """Every account (never its password hash) with the linked participant's and department's names."""
    permissions.require(actor, "user.manage")
    cols = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))
    return store.rows(f"select {cols}, p.name as participant_name, d.name as department_name "
                      "from users u left join participants p on p.id = u.participant_id "
                      "left join units d on d.id = u.department_id order by u.username")


def account_links(store: Store, actor: Actor) -> dict:
    """The names of the actor's own linked participant and department (for "My account")."""
    permissions.require(actor, "account.self")
    out = {}
    if actor.participant_id is not None:
        out["participant"] = store.scalar("select name from participants where id = ?", (actor.participant_id,))
    if actor.department_id is not None:
        out["department"] = store.scalar("select name from units where id = ?", (actor.department_id,))
    return out


def participant_choices(store: Store, actor: Actor) -> list[dict]:
    """Participants an account can be linked to (id, name, batch code, status, linked username), by pinyin."""
    from secondment.textsort import sort_by_pinyin

    permissions.require(actor, "user.manage")
    rows = store.rows("select p.id, p.name, b.code as batch, p.status, "
                      "(select group_concat(u.username, ', ') from users u where u.participant_id = p.id "
                      " and u.active = 1) as linked "
                      "from participants p left join batches b on b.id = p.batch_id")
    return sort_by_pinyin(rows)


def get_user(store: Store, actor: Actor, user_id: int) -> dict:
    if actor.user_id != user_id:
        permissions.require(actor, "user.manage")
    row = store.one(f"select {USER_COLUMNS} from users where id = ?", (user_id,))
    if row is None:
        raise NotFound("user", user_id)
    return row


def update_user(store: Store, actor: Actor, user_id: int, *, role: str | None = None,
                display_name: str | None = None, participant_id: int | None = None,
                department_id: int | None = None, active: bool | None = None) -> dict:
    permissions.require(actor, "user.manage")
    with store.write() as db:
        current = audit.get(db, "users", user_id)
        if current is None:
            raise NotFound("user", user_id)
        role = role or current["role"]
        participant_id = participant_id if participant_id is not None else current["participant_id"]
        department_id = department_id if department_id is not None else current["department_id"]
        _check_link(db, role, participant_id, department_id, user_id)
        manages = permissions.role_can(role, "user.manage")
        if user_id == actor.user_id and (not manages or active is False):
            raise Conflict("error.self_demote")
        new_active = bool(current["active"]) if active is None else bool(active)
        if permissions.role_can(current["role"], "user.manage") and current["active"] and not (manages and new_active):
            managers = permissions.roles_holding("user.manage")
            others = db.conn.execute(f"select count(*) from users where role in ({', '.join('?' * len(managers))}) "
                                     "and active = 1 and id != ?", (*managers, user_id)).fetchone()[0]
            if others == 0:
                raise Conflict("error.last_admin")
        link = permissions.link_of(role)
        changes = {"role": role, "participant_id": participant_id if link == "participant" else None,
                   "department_id": department_id if link == "department" else None, "updated_at": clock.stamp()}
        if display_name is not None:
            if not display_name.strip():
                raise ValidationError("display_name", display_name, "required")
            changes["display_name"] = display_name.strip()
        if active is not None:
            changes["active"] = 1 if active else 0
        after = audit.update(db, actor, "users", user_id, changes)
        if active is False:
            db.conn.execute("update sessions set revoked = 1 where user_id = ?", (user_id,))
        return {k: v for k, v in after.items() if k != "password_hash"}


def set_password(store: Store, actor: Actor, user_id: int, new_password: str,
                 current_password: str | None = None) -> None:
    """An owner changes their own password (giving the current one); an admin resets anyone's."""
    own = actor.user_id == user_id
    permissions.require(actor, "account.self" if own else "user.manage")
    with store.write() as db:
        row = audit.get(db, "users", user_id)
        if row is None:
            raise NotFound("user", user_id)
        check_password_rules(new_password, row["username"], field="new_password")
        if own and not _verify(row["password_hash"], current_password or ""):
            raise ValidationError("current_password", "", "wrong_password")
        audit.update(db, actor, "users", user_id, {"password_hash": hash_password(new_password),
                                                    "failed_attempts": 0, "locked_until": None,
                                                    "updated_at": clock.stamp()},
                     action="password_change" if own else "password_reset")
        db.conn.execute("delete from meta where key = ?", (_throttle_key(row["username"]),))
        if not own:
            # A reset ends the account's open sessions: whoever held them must sign in with the new one.
            db.conn.execute("update sessions set revoked = 1 where user_id = ?", (user_id,))


def set_language(store: Store, actor: Actor, language: str) -> None:
    permissions.require(actor, "account.self")
    if actor.user_id is None or language not in ("zh", "en"):
        return
    with store.write() as db:
        if audit.get(db, "users", actor.user_id) is not None:
            audit.update(db, actor, "users", actor.user_id, {"language": language}, action="language")


def list_sessions(store: Store, actor: Actor) -> list[dict]:
    """The actor's own sessions, newest first: when each began, when it was last used, and whether it is
    still open (not signed out, not idle past the timeout)."""
    permissions.require(actor, "account.self")
    rows = store.rows("select id, created_at, last_seen, revoked from sessions where user_id = ? "
                      "order by created_at desc, rowid desc limit 50", (actor.user_id,))
    limit = timedelta(minutes=idle_minutes())
    now_dt = clock.now()
    out = []
    for row in rows:
        last = _parse(row["last_seen"])
        open_ = not row["revoked"] and last is not None and now_dt - last <= limit
        out.append({"session": row["id"][:6], "created_at": row["created_at"], "last_seen": row["last_seen"],
                    "open": open_, "_id": row["id"]})
    return out


def session_id(store: Store, token: str | None) -> str | None:
    """The server-side id a token names (None when forged)."""
    if not token:
        return None
    try:
        return _serializer(store).loads(token)
    except BadSignature:
        return None


def end_other_sessions(store: Store, actor: Actor, keep_token: str | None) -> int:
    """Sign the actor out everywhere else (other browsers, devices); returns how many sessions ended."""
    permissions.require(actor, "account.self")
    keep = session_id(store, keep_token) or ""
    with store.write() as db:
        cur = db.conn.execute("update sessions set revoked = 1 where user_id = ? and id != ? and revoked = 0",
                              (actor.user_id, keep))
        return cur.rowcount


DEMO_SIGNIN_ENV = "SECONDMENT_DEMO_SIGNIN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def listens_on_loopback(address: str | None) -> bool:
    """Is the server reachable only from this machine? An empty address means every interface."""
    address = (address or "").strip().lower()
    return address in LOOPBACK or address.startswith("127.")


def demo_entry_open(store: Store, server_address: str | None) -> bool:
    """One-click entry as a demo account: only on a database built as a demo, and only while the server listens
    on loopback (a laptop at a meeting), unless whoever runs the server sets ``SECONDMENT_DEMO_SIGNIN=on`` on
    purpose (or ``off`` to refuse it everywhere)."""
    if not store.is_demo():
        return False
    forced = os.environ.get(DEMO_SIGNIN_ENV, "").strip().lower()
    if forced in ("off", "0", "no", "false"):
        return False
    if forced in ("on", "1", "yes", "true"):
        return True
    return listens_on_loopback(server_address)


def demo_accounts(store: Store, server_address: str | None) -> list[dict]:
    """The demo's one-click accounts, one per app role; empty unless ``demo_entry_open``."""
    if not demo_entry_open(store, server_address):
        return []
    rows = store.rows("select username, display_name, role from users where active = 1 and "
                      "username like 'demo_%' order by id")
    seen, out = set(), []
    for row in rows:
        if row["role"] not in seen:
            seen.add(row["role"])
            out.append(row)
    order = {r: i for i, r in enumerate(vocab.APP_ROLES)}
    return sorted(out, key=lambda r: order.get(r["role"], 99))


def demo_sign_in(store: Store, username: str, server_address: str | None) -> Actor:
    """One-click entry as a demo account; refused unless ``demo_entry_open``."""
    if not demo_entry_open(store, server_address):
        raise SignInFailed()
    with store.write() as db:
        row = db.conn.execute("select * from users where username = ? and username like 'demo_%' and active = 1",
                              (username,)).fetchone()
        if row is None:
            raise SignInFailed()
        db.conn.execute("update users set last_login_at = ? where id = ?", (clock.stamp(), row["id"]))
    return actor_from_row(dict(row))
