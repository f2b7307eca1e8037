"""Accounts, passwords, sign-in with lock-out, and signed session tokens.

Passwords are hashed with Argon2 (argon2-cffi). A session token is a random id signed with the
database's secret (itsdangerous) and stored in ``sessions``; it carries no password and expires after
the idle timeout or at sign-out.
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from secondment import audit, permissions, vocab
from secondment.db import Store, now
from secondment.errors import Conflict, NotFound, SecondmentError, ValidationError
from secondment.permissions import Actor

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
DEFAULT_IDLE_MINUTES = 60
DEMO_PASSWORD = "demo-password"

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


def check_password_rules(password: str | None) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", "•" * len(password or ""), "too_short", min=MIN_PASSWORD_LENGTH)


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
    if not ts:
        return None
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _utc(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def authenticate(store: Store, username: str, password: str) -> Actor:
    """Check a username and password. Five failures lock the username for a while, whether or not
    it exists, so the answer never tells an attacker which usernames are real."""
    username = (username or "").strip()
    now_dt = datetime.now(timezone.utc)
    with store.write() as db:
        row = db.conn.execute("select * from users where username = ?", (username,)).fetchone()
        row = dict(row) if row else None
        throttle_key = f"login_throttle:{username.lower()}"
        meta = db.conn.execute("select value from meta where key = ?", (throttle_key,)).fetchone()
        failures, locked_until = _decode_throttle(meta[0] if meta else None)
        if locked_until and locked_until > now_dt:
            raise AccountLocked(minutes=max(1, int((locked_until - now_dt).total_seconds() // 60) + 1))
        ok = row is not None and row["active"] and _verify(row["password_hash"], password or "")
        if not ok:
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
                audit.record(db, Actor(None, username or "?", "viewer"), "users",
                             row["id"] if row else None, "lock", None, {"username": username})
                raise AccountLocked(minutes=LOCK_MINUTES)
            raise SignInFailed()
        db.conn.execute("delete from meta where key = ?", (throttle_key,))
        db.conn.execute("update users set failed_attempts = 0, locked_until = null, last_login_at = ? "
                        "where id = ?", (now(), row["id"]))
        return actor_from_row(row)


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
    stamp = now()
    with store.write() as db:
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
    now_dt = datetime.now(timezone.utc)
    if last_seen is None or now_dt - last_seen > timedelta(minutes=idle_minutes()):
        end_session(store, token)
        return None
    if touch and now_dt - last_seen > timedelta(seconds=30):
        with store.write() as db:
            db.conn.execute("update sessions set last_seen = ? where id = ?", (now(), session_id))
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


def _check_link(db, role: str, participant_id, department_id) -> None:
    if role not in vocab.APP_ROLES:
        raise ValidationError("app_role", role, "unknown_code")
    if role == "secondee":
        if participant_id is None:
            raise ValidationError("participant", participant_id, "required")
        if db.conn.execute("select 1 from participants where id = ?", (participant_id,)).fetchone() is None:
            raise ValidationError("participant", participant_id, "not_found")
    if role == "liaison":
        if department_id is None:
            raise ValidationError("department", department_id, "required")
        if db.conn.execute("select 1 from units where id = ?", (department_id,)).fetchone() is None:
            raise ValidationError("department", department_id, "not_found")


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
    check_password_rules(password)
    with store.write() as db:
        _check_link(db, role, participant_id, department_id)
        if db.conn.execute("select 1 from users where username = ?", (username,)).fetchone():
            raise ValidationError("username", username, "taken")
        stamp = now()
        return audit.insert(db, actor, "users", {
            "username": username, "display_name": (display_name or username).strip(), "role": role,
            "participant_id": participant_id if role == "secondee" else None,
            "department_id": department_id if role == "liaison" else None,
            "password_hash": hash_password(password), "active": 1, "created_at": stamp, "updated_at": stamp,
        })


def list_users(store: Store, actor: Actor) -> list[dict]:
    permissions.require(actor, "user.manage")
    return store.rows(f"select {USER_COLUMNS} from users order by username")


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
        _check_link(db, role, participant_id, department_id)
        if user_id == actor.user_id and (role != "admin" or active is False):
            raise Conflict("error.self_demote")
        changes = {"role": role, "participant_id": participant_id if role == "secondee" else None,
                   "department_id": department_id if role == "liaison" else None, "updated_at": now()}
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
    check_password_rules(new_password)
    with store.write() as db:
        row = audit.get(db, "users", user_id)
        if row is None:
            raise NotFound("user", user_id)
        if own and not _verify(row["password_hash"], current_password or ""):
            raise ValidationError("current_password", "", "wrong_password")
        audit.update(db, actor, "users", user_id, {"password_hash": hash_password(new_password),
                                                    "failed_attempts": 0, "locked_until": None,
                                                    "updated_at": now()},
                     action="password_change" if own else "password_reset")
        db.conn.execute("delete from meta where key = ?", (f"login_throttle:{row['username'].lower()}",))


def set_language(store: Store, actor: Actor, language: str) -> None:
    permissions.require(actor, "account.self")
    if actor.user_id is None or language not in ("zh", "en"):
        return
    with store.write() as db:
        db.conn.execute("update users set language = ? where id = ?", (language, actor.user_id))


def demo_accounts(store: Store) -> list[dict]:
    """The demo's one-click accounts, one per app role; empty unless the database is a demo."""
    if not store.is_demo():
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


def demo_sign_in(store: Store, username: str) -> Actor:
    """One-click entry as a demo account; refused on a database that is not a demo."""
    if not store.is_demo():
        raise SignInFailed()
    row = store.one("select * from users where username = ? and username like 'demo_%' and active = 1",
                    (username,))
    if row is None:
        raise SignInFailed()
    return actor_from_row(row)
