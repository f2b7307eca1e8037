"""Accounts, passwords, sign-in with lock-out, and signed session tokens.

Passwords are hashed with Argon2 (argon2-cffi). A session token is a random id signed with the
database's secret (itsdangerous) and stored in ``sessions``; it carries no password and expires after
the idle timeout or at sign-out.
"""
from __future__ import annotations

import functools
import hashlib
import math
import os
import secrets
import threading
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from secondment import audit, clock, permissions, throttle, validation, vocab
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


MIN_PASSWORD_SCORE = 3   # zxcvbn's 0–4: 3 is "safely unguessable" against online guessing


def check_password_rules(password: str | None, username: str | None = None, *,
                         field: str = "password") -> None:
    """At least MIN_PASSWORD_LENGTH characters (not counting spaces around it), at most MAX_PASSWORD_LENGTH,
    not the username itself, no control characters, and not easy to guess: the zxcvbn estimator (common
    passwords, dictionary words, keyboard runs, repeats, the username) must rate it at least
    MIN_PASSWORD_SCORE. The value is never echoed in the message."""
    from zxcvbn import zxcvbn

    password = password or ""
    masked = "•" * min(len(password), 12)
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise ValidationError(field, masked, "too_short", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(field, masked, "too_long", max=MAX_PASSWORD_LENGTH, length=len(password))
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise ValidationError(field, masked, "control_chars")
    if username and password.strip().lower() == username.strip().lower():
        raise ValidationError(field, masked, "password_is_username")
    if zxcvbn(password, user_inputs=[u for u in (username, "secondment", "双岗", "putuo") if u])["score"] \
            < MIN_PASSWORD_SCORE:
        raise ValidationError(field, masked, "too_weak")


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


MAX_USERNAME_LENGTH = 40
# Argon2 takes about 0.4 s of one core: at most this many sign-ins hash at once, so a flood of attempts leaves
# the server able to serve everyone else; the rest wait their turn (or are told to try again).
_HASHING = threading.BoundedSemaphore(2)
_HASH_WAIT_SECONDS = 20
_SIGN_IN_ACTOR = Actor(None, "sign_in", "viewer", "sign_in")


class SignInBusy(SecondmentError):
    key = "auth.busy"


def authenticate(store: Store, username: str, password: str, client: str | None = None) -> Actor:
    """Check a username and password, from ``client`` (the browser's address, for the limits).

    Failures are counted in memory (``throttle``): five from one client block that username there, twenty
    block the client, and only many clients at once hold a username back, for a minute. An unknown username
    costs the same Argon2 check and gets the same answer, so neither says which names exist; it is never
    written anywhere. The hash is checked outside any database transaction, and each outcome is one short
    write: the sign-in or the failure in the audit trail.
    """
    username = (username or "").strip()
    wait = throttle.SIGN_IN.wait(username, client)
    if wait:
        raise AccountLocked(minutes=max(1, math.ceil(wait / 60)))
    row = store.one("select * from users where username = ?", (username,)) \
        if 0 < len(username) <= MAX_USERNAME_LENGTH else None
    if not _HASHING.acquire(timeout=_HASH_WAIT_SECONDS):
        raise SignInBusy()
    try:
        verified = _verify(row["password_hash"] if row else _dummy_hash(), password or "")
    finally:
        _HASHING.release()
    if row is not None and row["active"] and verified:
        throttle.SIGN_IN.succeeded(username, client)
        with store.write(bookkeeping=True) as db:
            db.conn.execute("update users set last_login_at = ? where id = ?", (clock.stamp(), row["id"]))
            audit.record(db, actor_from_row(row), "users", row["id"], "sign_in", None, {"client": client})
        return actor_from_row(row)
    blocked = throttle.SIGN_IN.failed(username, client)
    with store.write(bookkeeping=True) as db:
        # A known account's failures are its business; an unknown name is recorded only as unknown.
        audit.record(db, _SIGN_IN_ACTOR, "users", row["id"] if row else None, "sign_in_failed", None,
                     {"username": row["username"] if row else None, "known": row is not None, "client": client,
                      "blocked_minutes": math.ceil(blocked / 60) if blocked else None})
    if blocked:
        raise AccountLocked(minutes=max(1, math.ceil(blocked / 60)))
    raise SignInFailed()


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_hex(16)))
    return _DUMMY[0]


# --- the signing secret: beside the database, never inside it -----------------------------------------------

SECRET_ENV = "SECONDMENT_SECRET"
SECRET_FILE_ENV = "SECONDMENT_SECRET_FILE"


def secret_path(store: Store) -> Path:
    """The key file that signs session tokens: ``SECONDMENT_SECRET_FILE``, else ``<database>.key`` beside the
    database. It is never in the database, so no backup or copy of the database can sign a session."""
    configured = os.environ.get(SECRET_FILE_ENV, "").strip()
    return Path(configured) if configured else store.path.with_name(store.path.name + ".key")


def _secret(store: Store) -> str:
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured
    path = secret_path(store)
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return _new_secret(path, replace=False)


def _new_secret(path: Path, *, replace: bool) -> str:
    """Write a fresh key file readable by its owner only; an existing one is kept unless ``replace``."""
    value = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    if replace:
        os.replace(temp, path)
        return value
    try:
        os.link(temp, path)          # only if there is none yet: two servers starting at once agree
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def rotate_secret(store: Store, actor: Actor) -> Path:
    """A new signing secret: every session token ever issued stops working, and every session ends."""
    permissions.require(actor, "user.manage")
    if os.environ.get(SECRET_ENV, "").strip():
        raise Conflict("error.secret_from_environment")
    path = secret_path(store)
    _new_secret(path, replace=True)
    with store.write(bookkeeping=True) as db:
        db.conn.execute("update sessions set revoked = 1 where revoked = 0")
        audit.record(db, actor, "sessions", None, "secret_rotated", None, {"file": path.name})
    return path


def serializer(store: Store, salt: str) -> URLSafeTimedSerializer:
    """Signs and checks tokens with the server's key, one ``salt`` per purpose (a session, a host link)."""
    return URLSafeTimedSerializer(_secret(store), salt=salt)


def _serializer(store: Store) -> URLSafeTimedSerializer:
    return serializer(store, "secondment-session")


def _session_key(session_id: str) -> str:
    """What the database keeps of a session id: its SHA-256, so the file alone cannot resume a session."""
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def start_session(store: Store, actor: Actor, *, client: str | None = None, agent: str | None = None) -> str:
    """A signed token naming a new server-side session; the browser keeps it in a cookie. The database keeps
    only the id's hash, with the client's address and browser (for "my account"), never the token."""
    session_id = secrets.token_urlsafe(24)
    stamp = clock.stamp()
    keep_after = _utc(clock.now() - timedelta(days=SESSION_KEEP_DAYS))
    with store.write(bookkeeping=True) as db:
        # Sessions long over are only clutter: keep a month of them (the account page lists recent ones).
        db.conn.execute("delete from sessions where last_seen < ? and user_id = ?", (keep_after, actor.user_id))
        db.conn.execute("insert into sessions(id, user_id, created_at, last_seen, revoked, client, agent) "
                        "values (?, ?, ?, ?, 0, ?, ?)",
                        (_session_key(session_id), actor.user_id, stamp, stamp, (client or "")[:64] or None,
                         (agent or "")[:300] or None))
    return _serializer(store).dumps(session_id)


def _session_of(store: Store, token: str | None, *, max_age: int | None = None) -> str | None:
    """The stored key of the session a token names, or None when the token is missing or forged."""
    if not token:
        return None
    try:
        return _session_key(_serializer(store).loads(token, max_age=max_age))
    except (BadSignature, UnicodeEncodeError, TypeError):
        return None


def resume_session(store: Store, token: str | None, *, touch: bool = True) -> Actor | None:
    """The actor behind a token, or None when it is forged, revoked, idle too long, or the account is off."""
    key = _session_of(store, token, max_age=7 * 24 * 3600)
    if key is None:
        return None
    row = store.one("select s.last_seen, s.revoked, u.* from sessions s join users u on u.id = s.user_id "
                    "where s.id = ?", (key,))
    if row is None or row["revoked"] or not row["active"]:
        return None
    last_seen = _parse(row["last_seen"])
    now_dt = clock.now()
    if last_seen is None or now_dt - last_seen > timedelta(minutes=idle_minutes()):
        end_session(store, token)
        return None
    if touch and now_dt - last_seen > timedelta(seconds=30):
        with store.write(bookkeeping=True) as db:
            db.conn.execute("update sessions set last_seen = ? where id = ?", (clock.stamp(), key))
    return actor_from_row(row)


def end_session(store: Store, token: str | None, actor: Actor | None = None) -> None:
    """Sign out: the session ends at once (audited as a sign-out when the ``actor`` signing out is given)."""
    key = _session_of(store, token)
    if key is None:
        return
    with store.write(bookkeeping=True) as db:
        db.conn.execute("update sessions set revoked = 1 where id = ?", (key,))
        if actor is not None:
            audit.record(db, actor, "users", actor.user_id, "sign_out", None, None)


# --- accounts ------------------------------------------------------------------------------------

USER_COLUMNS = "id, username, display_name, role, participant_id, department_id, active, language, " \
               "created_at, updated_at, last_login_at, must_change_password"


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
                department_id: int | None = None, temporary: bool = False) -> int:
    """A new account. A ``temporary`` password (an administrator chose it: the accounts page and
    ``user add`` say so) must be replaced by its owner at the first sign-in."""
    permissions.require(actor, "user.manage")
    username = _check_username(username)
    check_password_rules(password, username)
    display_name = validation.text("display_name", display_name, required=False)
    with store.write() as db:
        _check_link(db, role, participant_id, department_id)
        if db.conn.execute("select 1 from users where lower(username) = lower(?)", (username,)).fetchone():
            raise ValidationError("username", username, "taken")
        stamp = clock.stamp()
        return audit.insert(db, actor, "users", {
            "username": username, "display_name": display_name or username, "role": role,
            "participant_id": participant_id if permissions.link_of(role) == "participant" else None,
            "department_id": department_id if permissions.link_of(role) == "department" else None,
            "password_hash": hash_password(password), "active": 1, "created_at": stamp, "updated_at": stamp,
            "must_change_password": 1 if temporary else 0,
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
            changes["display_name"] = validation.text("display_name", display_name)
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
        # A password someone else set is temporary: its owner chooses their own at the next sign-in.
        audit.update(db, actor, "users", user_id, {"password_hash": hash_password(new_password),
                                                    "failed_attempts": 0, "locked_until": None,
                                                    "must_change_password": 0 if own else 1,
                                                    "updated_at": clock.stamp()},
                     action="password_change" if own else "password_reset")
        throttle.SIGN_IN.forget(row["username"])
        if not own:
            # A reset ends the account's open sessions: whoever held them must sign in with the new one.
            db.conn.execute("update sessions set revoked = 1 where user_id = ?", (user_id,))


def must_change_password(store: Store, actor: Actor) -> bool:
    """Must the actor choose a password of their own before anything else (an administrator set it)?"""
    permissions.require(actor, "account.self")
    if actor.user_id is None:
        return False
    return bool(store.scalar("select must_change_password from users where id = ?", (actor.user_id,)))


def language_of(store: Store, actor: Actor) -> str | None:
    """The language the account chose last (None when it never chose)."""
    permissions.require(actor, "account.self")
    if actor.user_id is None:
        return None
    return store.scalar("select language from users where id = ?", (actor.user_id,)) or None


def set_language(store: Store, actor: Actor, language: str) -> None:
    permissions.require(actor, "account.self")
    if actor.user_id is None or language not in ("zh", "en"):
        return
    with store.write(bookkeeping=True) as db:
        if audit.get(db, "users", actor.user_id) is not None:
            audit.update(db, actor, "users", actor.user_id, {"language": language}, action="language")


def list_sessions(store: Store, actor: Actor) -> list[dict]:
    """The actor's own sessions, newest first: when each began, when it was last used, and whether it is
    still open (not signed out, not idle past the timeout)."""
    permissions.require(actor, "account.self")
    rows = store.rows("select id, created_at, last_seen, revoked, client, agent from sessions where user_id = ? "
                      "order by created_at desc, rowid desc limit 50", (actor.user_id,))
    limit = timedelta(minutes=idle_minutes())
    now_dt = clock.now()
    out = []
    for row in rows:
        last = _parse(row["last_seen"])
        open_ = not row["revoked"] and last is not None and now_dt - last <= limit
        out.append({"session": row["id"][:6], "created_at": row["created_at"], "last_seen": row["last_seen"],
                    "open": open_, "_id": row["id"], "client": row["client"], "agent": row["agent"]})
    return out


@functools.lru_cache(maxsize=256)
def describe_agent(agent: str | None) -> tuple[str | None, str | None, bool]:
    """(browser, system, on a phone or tablet) of a User-Agent: ("Edge 131", "Windows 10", False)."""
    if not agent:
        return None, None, False
    from ua_parser import parse

    found = parse(agent[:1000])
    browser = system = None
    if found.user_agent and found.user_agent.family != "Other":
        browser = " ".join(v for v in (found.user_agent.family, found.user_agent.major) if v)
    if found.os and found.os.family != "Other":
        system = " ".join(v for v in (found.os.family, found.os.major) if v)
    mobile = bool(found.os and found.os.family in ("iOS", "Android", "iPadOS", "HarmonyOS")) or bool(
        found.device and found.device.family not in (None, "Other", "Mac", "Spider"))
    return browser, system, mobile


def session_id(store: Store, token: str | None) -> str | None:
    """The stored key of the session a token names (None when forged): how "my account" knows this session."""
    return _session_of(store, token)


def end_other_sessions(store: Store, actor: Actor, keep_token: str | None) -> int:
    """Sign the actor out everywhere else (other browsers, devices); returns how many sessions ended."""
    permissions.require(actor, "account.self")
    keep = session_id(store, keep_token) or ""
    with store.write(bookkeeping=True) as db:
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
    on loopback (a laptop at a meeting) and no reverse proxy brings the network to it (``SECONDMENT_TRUST_PROXY``:
    a server on 127.0.0.1 behind nginx serves the whole intranet), unless whoever runs the server sets
    ``SECONDMENT_DEMO_SIGNIN=on`` on purpose (or ``off`` to refuse it everywhere)."""
    from secondment import web

    if not store.is_demo():
        return False
    forced = os.environ.get(DEMO_SIGNIN_ENV, "").strip().lower()
    if forced in ("off", "0", "no", "false"):
        return False
    if forced in ("on", "1", "yes", "true"):
        return True
    return listens_on_loopback(server_address) and not web.trust_proxy()


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
    with store.write(bookkeeping=True) as db:
        row = db.conn.execute("select * from users where username = ? and username like 'demo_%' and active = 1",
                              (username,)).fetchone()
        if row is None:
            raise SignInFailed()
        db.conn.execute("update users set last_login_at = ? where id = ?", (clock.stamp(), row["id"]))
        audit.record(db, actor_from_row(dict(row)), "users", row["id"], "demo_sign_in", None, None)
    return actor_from_row(dict(row))
