"""Accounts and sign-in: hashing, lock-out (same answer whether or not the username exists), idle timeout,
forged and revoked tokens, deactivated accounts, password rules, demo entry, and the audit trail of user writes."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from itsdangerous import URLSafeTimedSerializer

from secondment import audit, auth, clock, db, i18n
from secondment.errors import Conflict, PermissionDenied, ValidationError
from secondment.permissions import Actor

PASSWORD = "correct-horse-battery"
SYSTEM = Actor.system("cli:test")


@pytest.fixture(autouse=True)
def quick_hashes(request, monkeypatch):
    """Argon2 with its real parameters takes ~0.2 s a hash; these tests are about the rules around it, so
    they use light parameters (the hashing test itself keeps the real ones)."""
    if request.node.name != "test_passwords_are_hashed_with_argon2":
        monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        monkeypatch.setattr(auth, "_DUMMY", [])


@pytest.fixture
def store(empty_store):
    """An empty database with one admin, one viewer, a participant and a department."""
    with empty_store.write() as conn:
        c = conn.conn
        c.execute("insert into batches(id, code, direction, intake_year, start_date, end_date) "
                  "values (1, 'C5', 'cadre_to_enterprise', 2024, '2024-03-01', '2026-12-31')")
        c.execute("insert into units(id, name, kind) values (1, '区委组织部', 'party_org')")
        c.execute("insert into units(id, name, kind) values (2, '星河科技', 'enterprise')")
        c.execute("insert into participants(id, name, batch_id, home_unit_id, host_unit_id, start_date, end_date, "
                  "status) values (1, '张明', 1, 1, 2, '2024-03-01', '2026-12-31', 'active')")
    auth.create_user(empty_store, SYSTEM, "boss", PASSWORD, "admin", display_name="Boss")
    auth.create_user(empty_store, SYSTEM, "lead", PASSWORD, "viewer", display_name="Lead")
    return empty_store


def admin(store) -> Actor:
    return auth.authenticate(store, "boss", PASSWORD)


def user_id(store, username) -> int:
    return store.scalar("select id from users where username = ?", (username,))


# --- hashing ------------------------------------------------------------------------------------------

def test_passwords_are_hashed_with_argon2(store):
    stored = store.scalar("select password_hash from users where username = 'boss'")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored
    assert auth.hash_password(PASSWORD) != auth.hash_password(PASSWORD)  # salted
    assert auth._verify(stored, PASSWORD) and not auth._verify(stored, PASSWORD + "x")
    assert not auth._verify("not a hash", PASSWORD)


def test_sign_in_returns_the_actor(store):
    who = auth.authenticate(store, " boss ", PASSWORD)
    assert (who.username, who.role, who.display_name) == ("boss", "admin", "Boss")
    assert store.scalar("select last_login_at from users where username = 'boss'")


# --- lock-out -----------------------------------------------------------------------------------------

def attempts(store, username, password, n, client="10.0.0.1"):
    """The messages of n sign-in attempts from ``client`` (None for a success)."""
    out = []
    for _ in range(n):
        try:
            auth.authenticate(store, username, password, client)
            out.append(None)
        except (auth.SignInFailed, auth.AccountLocked) as error:
            out.append((type(error).__name__, error.message("zh"), error.message("en")))
    return out


@pytest.mark.parametrize("username", ["boss", "nobody-here"])
def test_five_failures_block_the_username_from_that_client(store, username):
    messages = attempts(store, username, "wrong-password", 6)
    assert [m[0] for m in messages] == ["SignInFailed"] * 4 + ["AccountLocked"] * 2
    assert "15 分钟后再试" in messages[4][1] and "Try again in 15 minutes" in messages[4][2]
    # Blocked means blocked: the right password is refused too, with the same message.
    assert attempts(store, username, PASSWORD, 1)[0][0] == "AccountLocked"


def test_a_stranger_cannot_lock_the_administrator_out(store):
    """Five (or fifty) failures from one client block that client; the administrator elsewhere signs in."""
    attempts(store, "boss", "wrong", 50, client="10.6.6.6")
    assert auth.authenticate(store, "boss", PASSWORD, "10.0.0.2").username == "boss"


def test_twenty_failures_block_the_client_for_every_username(store):
    for n in range(4):
        attempts(store, f"name{n}", "wrong", 5, client="10.6.6.6")
    assert attempts(store, "lead", PASSWORD, 1, client="10.6.6.6")[0][0] == "AccountLocked"
    assert auth.authenticate(store, "lead", PASSWORD, "10.0.0.3").username == "lead"


def test_many_clients_at_once_hold_a_username_back_for_a_minute(store):
    for n in range(20):
        attempts(store, "boss", "wrong", 1, client=f"10.9.0.{n}")
    refused = attempts(store, "boss", PASSWORD, 1, client="10.0.0.2")[0]
    assert refused[0] == "AccountLocked" and "1 分钟" in refused[1]


def test_limits_pass_with_time(store):
    from secondment import throttle

    now = [1000.0]
    throttle.SIGN_IN = throttle.Throttle(now=lambda: now[0])
    attempts(store, "boss", "wrong", 5)
    assert attempts(store, "boss", PASSWORD, 1)[0][0] == "AccountLocked"
    now[0] += 15 * 60 + 1
    assert auth.authenticate(store, "boss", PASSWORD, "10.0.0.1").username == "boss"


def test_existing_and_unknown_usernames_get_the_same_answers(store):
    real = attempts(store, "boss", "wrong-password", 7)
    fake = attempts(store, "nobody-here", "wrong-password", 7, client="10.0.0.9")
    assert real == fake


def test_unknown_username_still_costs_a_hash_check(store, monkeypatch):
    calls = []
    real_verify = auth._verify
    monkeypatch.setattr(auth, "_verify", lambda h, p: calls.append(h) or real_verify(h, p))
    attempts(store, "nobody-here", "wrong-password", 1)
    attempts(store, "boss", "wrong-password", 1)
    attempts(store, "x" * 1_000_000, "wrong-password", 1)
    assert len(calls) == 3 and all(h.startswith("$argon2") for h in calls)


def test_unknown_usernames_are_never_stored(store):
    huge = "攻" * 1_000_000
    attempts(store, huge, "wrong", 3)
    attempts(store, "nobody-here", "wrong", 3)
    with store.read() as conn:
        dump = "\n".join(conn.conn.iterdump())
    assert "nobody-here" not in dump and "攻攻攻" not in dump
    assert store.scalar("select count(*) from audit_log where action = 'sign_in_failed'") == 6


def test_sign_ins_and_failures_are_audited(store):
    auth.authenticate(store, "boss", PASSWORD, "10.0.0.1")
    attempts(store, "lead", "wrong", 1, client="10.0.0.5")
    rows = store.rows("select action, row_id, username, after from audit_log where action like 'sign_in%' "
                      "order by id")
    assert [(r["action"], r["row_id"]) for r in rows] == [("sign_in", str(user_id(store, "boss"))),
                                                          ("sign_in_failed", str(user_id(store, "lead")))]
    assert json.loads(rows[1]["after"]) == {"username": "lead", "known": True, "client": "10.0.0.5",
                                            "blocked_minutes": None}


def test_lock_is_per_username_and_case_insensitive(store):
    attempts(store, "BOSS", "wrong", 5)
    assert attempts(store, "boss", PASSWORD, 1)[0][0] == "AccountLocked"
    assert auth.authenticate(store, "lead", PASSWORD, "10.0.0.2").username == "lead"


def test_success_resets_the_count(store):
    attempts(store, "boss", "wrong", 4)
    assert auth.authenticate(store, "boss", PASSWORD, "10.0.0.1")
    assert [m[0] for m in attempts(store, "boss", "wrong", 4)] == ["SignInFailed"] * 4


def test_admin_reset_unlocks(store):
    attempts(store, "lead", "wrong", 5)
    auth.set_password(store, admin(store), user_id(store, "lead"), "a-brand-new-password")
    assert auth.authenticate(store, "lead", "a-brand-new-password", "10.0.0.1").username == "lead"


def test_hashing_happens_outside_any_write(store, monkeypatch):
    """A sign-in's Argon2 check holds no database lock: another writer gets in while it runs."""
    import threading

    entered, release = threading.Event(), threading.Event()
    real_verify = auth._verify

    def slow_verify(h, p):
        entered.set()
        release.wait(10)
        return real_verify(h, p)

    monkeypatch.setattr(auth, "_verify", slow_verify)
    worker = threading.Thread(target=lambda: attempts(store, "boss", "wrong", 1))
    worker.start()
    assert entered.wait(10)
    with store.write() as conn:      # would wait for the busy timeout if sign-in held the write lock
        conn.conn.execute("update users set display_name = 'Boss 2' where username = 'boss'")
    release.set()
    worker.join(10)
    assert store.scalar("select display_name from users where username = 'boss'") == "Boss 2"


# --- sessions -----------------------------------------------------------------------------------------

def test_session_round_trip_and_sign_out(store):
    who = admin(store)
    token = auth.start_session(store, who)
    assert PASSWORD not in token
    assert auth.resume_session(store, token).username == "boss"
    auth.end_session(store, token)
    assert auth.resume_session(store, token) is None


def test_idle_timeout(store, monkeypatch):
    monkeypatch.setenv("SECONDMENT_IDLE_MINUTES", "5")
    token = auth.start_session(store, admin(store))
    sid = auth.session_id(store, token)

    def idle_for(minutes):
        stamp = (clock.now() - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with store.write() as conn:
            conn.conn.execute("update sessions set last_seen = ? where id = ?", (stamp, sid))

    idle_for(4)
    assert auth.resume_session(store, token) is not None  # and touching it renews it
    assert store.scalar("select last_seen from sessions where id = ?", (sid,)) > \
        (clock.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    idle_for(6)
    assert auth.resume_session(store, token) is None
    assert store.scalar("select revoked from sessions where id = ?", (sid,)) == 1
    idle_for(0)
    assert auth.resume_session(store, token) is None  # an ended session stays ended


def test_idle_minutes_setting(monkeypatch):
    monkeypatch.setenv("SECONDMENT_IDLE_MINUTES", "15")
    assert auth.idle_minutes() == 15
    monkeypatch.setenv("SECONDMENT_IDLE_MINUTES", "nonsense")
    assert auth.idle_minutes() == auth.DEFAULT_IDLE_MINUTES


def test_forged_tokens_are_refused(store):
    token = auth.start_session(store, admin(store))
    sid = auth.session_id(store, token)
    assert auth.resume_session(store, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert auth.resume_session(store, sid) is None  # the bare id, unsigned
    other_secret = URLSafeTimedSerializer("another-secret", salt="secondment-session").dumps(sid)
    assert auth.resume_session(store, other_secret) is None
    made_up = URLSafeTimedSerializer(auth._secret(store), salt="secondment-session").dumps("no-such-session")
    assert auth.resume_session(store, made_up) is None
    # The database itself holds only the hash of the id: even with the secret, the stored value resumes nothing.
    stored = store.scalar("select id from sessions")
    replayed = URLSafeTimedSerializer(auth._secret(store), salt="secondment-session").dumps(stored)
    assert auth.resume_session(store, replayed) is None
    assert auth.resume_session(store, "") is None and auth.resume_session(store, None) is None


def test_deactivated_account_cannot_sign_in_and_loses_its_sessions(store):
    lead = auth.authenticate(store, "lead", PASSWORD)
    token = auth.start_session(store, lead)
    auth.update_user(store, admin(store), lead.user_id, active=False)
    assert auth.resume_session(store, token) is None
    with pytest.raises(auth.SignInFailed) as refused:
        auth.authenticate(store, "lead", PASSWORD)
    assert refused.value.message("en") == auth.SignInFailed().message("en")  # no hint that it exists


def test_role_change_takes_effect_on_the_next_request(store):
    lead = auth.authenticate(store, "lead", PASSWORD)
    token = auth.start_session(store, lead)
    auth.update_user(store, admin(store), lead.user_id, role="reviewer")
    assert auth.resume_session(store, token).role == "reviewer"


def test_admin_reset_ends_the_users_sessions(store):
    lead = auth.authenticate(store, "lead", PASSWORD)
    token = auth.start_session(store, lead)
    auth.set_password(store, admin(store), lead.user_id, "another-long-password")
    assert auth.resume_session(store, token) is None


def test_own_sessions_and_signing_out_elsewhere(store):
    lead = auth.authenticate(store, "lead", PASSWORD)
    here, there = auth.start_session(store, lead), auth.start_session(store, lead)
    assert [s["open"] for s in auth.list_sessions(store, lead)] == [True, True]
    assert auth.end_other_sessions(store, lead, here) == 1
    assert auth.resume_session(store, here) and auth.resume_session(store, there) is None


# --- password rules and changes ------------------------------------------------------------------------

@pytest.mark.parametrize("password,reason", [("short", "too_short"), ("", "too_short"), ("x" * 200, "too_long"),
                                             ("NewPerson1", "password_is_username")])
def test_password_rules(store, password, reason):
    with pytest.raises(ValidationError) as refused:
        auth.create_user(store, admin(store), "newperson1", password, "viewer")
    assert refused.value.reason == reason
    for lang in i18n.LANGUAGES:
        message = refused.value.message(lang)
        assert "{" not in message and "reason." not in message
        if password:
            assert password not in message
    assert store.scalar("select count(*) from users where username = 'newperson1'") == 0


def test_own_password_change_needs_the_current_one(store):
    lead = auth.authenticate(store, "lead", PASSWORD)
    with pytest.raises(ValidationError) as refused:
        auth.set_password(store, lead, lead.user_id, "my-new-password", current_password="wrong")
    assert refused.value.reason == "wrong_password"
    auth.set_password(store, lead, lead.user_id, "my-new-password", current_password=PASSWORD)
    assert auth.authenticate(store, "lead", "my-new-password")
    with pytest.raises(auth.SignInFailed):
        auth.authenticate(store, "lead", PASSWORD)


def test_only_admins_manage_accounts(store):
    lead = auth.authenticate(store, "lead", PASSWORD)
    boss_id = user_id(store, "boss")
    for call in (lambda: auth.create_user(store, lead, "x1", "long-enough-pw", "viewer"),
                 lambda: auth.list_users(store, lead),
                 lambda: auth.update_user(store, lead, boss_id, active=False),
                 lambda: auth.set_password(store, lead, boss_id, "long-enough-pw"),
                 lambda: auth.get_user(store, lead, boss_id)):
        with pytest.raises(PermissionDenied):
            call()
    assert auth.get_user(store, lead, lead.user_id)["username"] == "lead"  # own record is fine


def test_admin_cannot_lock_themselves_out(store):
    boss = admin(store)
    with pytest.raises(Conflict):
        auth.update_user(store, boss, boss.user_id, active=False)
    with pytest.raises(Conflict):
        auth.update_user(store, boss, boss.user_id, role="viewer")


def test_last_active_admin_stays(store):
    auth.create_user(store, SYSTEM, "second", PASSWORD, "admin")
    second = auth.authenticate(store, "second", PASSWORD)
    auth.update_user(store, second, user_id(store, "boss"), role="reviewer")  # fine: 'second' remains
    with pytest.raises(Conflict) as refused:
        auth.update_user(store, SYSTEM, second.user_id, active=False)
    assert refused.value.key == "error.last_admin"


def test_usernames_and_links_are_checked(store):
    boss = admin(store)
    with pytest.raises(ValidationError) as taken:
        auth.create_user(store, boss, "BOSS", PASSWORD, "viewer")
    assert taken.value.reason == "taken"
    with pytest.raises(ValidationError) as spaced:
        auth.create_user(store, boss, "two words", PASSWORD, "viewer")
    assert spaced.value.reason == "bad_username"
    with pytest.raises(ValidationError) as unlinked:
        auth.create_user(store, boss, "sec", PASSWORD, "secondee")
    assert unlinked.value.field == "participant"
    with pytest.raises(ValidationError) as not_department:
        auth.create_user(store, boss, "lia", PASSWORD, "liaison", department_id=2)
    assert not_department.value.reason == "wrong_kind"
    with pytest.raises(ValidationError) as bad_role:
        auth.create_user(store, boss, "x", PASSWORD, "superuser")
    assert "admin" in bad_role.value.message("en")
    auth.create_user(store, boss, "sec", PASSWORD, "secondee", participant_id=1)
    with pytest.raises(ValidationError) as twice:
        auth.create_user(store, boss, "sec2", PASSWORD, "secondee", participant_id=1)
    assert twice.value.reason == "taken"
    sec = auth.authenticate(store, "sec", PASSWORD)
    assert sec.participant_id == 1 and sec.department_id is None


def test_cli_can_create_the_first_admin(empty_store):
    new_id = auth.create_user(empty_store, Actor.system("cli:root"), "root", PASSWORD, "admin",
                              display_name=None)
    row = empty_store.one("select username, display_name, role, active from users where id = ?", (new_id,))
    assert row == {"username": "root", "display_name": "root", "role": "admin", "active": 1}
    assert empty_store.scalar("select username from audit_log where table_name = 'users'") == "cli:root"


# --- demo entry -------------------------------------------------------------------------------------------

def test_demo_entry_refused_on_a_real_database(store):
    auth.create_user(store, SYSTEM, "demo_admin", PASSWORD, "admin")
    assert not store.is_demo()
    assert auth.demo_accounts(store, "127.0.0.1") == []
    with pytest.raises(auth.SignInFailed):
        auth.demo_sign_in(store, "demo_admin", "127.0.0.1")


def demo_marked(store):
    auth.create_user(store, SYSTEM, "demo_admin", PASSWORD, "admin")
    auth.create_user(store, SYSTEM, "demo_viewer", PASSWORD, "viewer")
    with store.write() as conn:
        db.set_meta(conn, "is_demo", "1")
    return store


def test_demo_entry_on_a_demo_database(store):
    demo_marked(store)
    assert [a["username"] for a in auth.demo_accounts(store, "127.0.0.1")] == ["demo_admin", "demo_viewer"]
    assert store.scalar("select last_login_at from users where username = 'demo_viewer'") is None
    assert auth.demo_sign_in(store, "demo_viewer", "localhost").role == "viewer"
    assert store.scalar("select last_login_at from users where username = 'demo_viewer'")  # recorded
    with pytest.raises(auth.SignInFailed):
        auth.demo_sign_in(store, "boss", "127.0.0.1")  # only demo accounts


@pytest.mark.parametrize("address", ["", None, "0.0.0.0", "10.1.2.3", "::"])
def test_demo_entry_is_off_while_the_server_listens_on_a_network(store, address, monkeypatch):
    demo_marked(store)
    monkeypatch.delenv(auth.DEMO_SIGNIN_ENV, raising=False)
    assert auth.demo_accounts(store, address) == []
    with pytest.raises(auth.SignInFailed):
        auth.demo_sign_in(store, "demo_admin", address)
    monkeypatch.setenv(auth.DEMO_SIGNIN_ENV, "on")   # turned on deliberately by whoever runs the server
    assert auth.demo_sign_in(store, "demo_admin", address).role == "admin"


def test_demo_entry_is_off_behind_a_reverse_proxy_even_on_loopback(store, monkeypatch):
    """The README's network recipe: the app on 127.0.0.1, nginx in front serving the intranet."""
    demo_marked(store)
    monkeypatch.delenv(auth.DEMO_SIGNIN_ENV, raising=False)
    monkeypatch.setenv("SECONDMENT_TRUST_PROXY", "1")
    assert auth.demo_accounts(store, "127.0.0.1") == []
    with pytest.raises(auth.SignInFailed):
        auth.demo_sign_in(store, "demo_admin", "127.0.0.1")


def test_demo_sign_in_and_sign_out_are_audited(store):
    demo_marked(store)
    actor = auth.demo_sign_in(store, "demo_viewer", "127.0.0.1")
    token = auth.start_session(store, actor)
    auth.end_session(store, token, actor)
    rows = store.rows("select action, row_id, user_id from audit_log where action in ('demo_sign_in', 'sign_out') "
                      "order by id")
    assert [(r["action"], r["row_id"], r["user_id"]) for r in rows] == [
        ("demo_sign_in", str(actor.user_id), actor.user_id), ("sign_out", str(actor.user_id), actor.user_id)]


@pytest.mark.parametrize("name, reason", [
    ("\u200b\u200b", None),                 # only invisible characters: the username stands in
    ("王\u202e明", "control_chars"),          # a direction override would make it read as another name
    ("王明\n管理员", "one_line"),
    ("名" * 41, "too_long"),
])
def test_display_names_are_checked_like_every_other_text(store, name, reason):
    if reason is None:
        auth.create_user(store, admin(store), "shown1", "Str0ng-enough-pass", "viewer", display_name=name)
        assert store.scalar("select display_name from users where username = 'shown1'") == "shown1"
    else:
        with pytest.raises(ValidationError) as refused:
            auth.create_user(store, admin(store), "shown1", "Str0ng-enough-pass", "viewer", display_name=name)
        assert (refused.value.field, refused.value.reason) == ("display_name", reason)
        assert store.scalar("select count(*) from users where username = 'shown1'") == 0
    uid = user_id(store, "lead")
    with pytest.raises(ValidationError) as refused:
        auth.update_user(store, admin(store), uid, role="viewer", display_name=name)
    assert refused.value.field == "display_name"
    assert store.scalar("select display_name from users where id = ?", (uid,)) == "Lead"


def test_demo_entry_can_be_turned_off_on_loopback_too(store, monkeypatch):
    demo_marked(store)
    monkeypatch.setenv(auth.DEMO_SIGNIN_ENV, "off")
    assert auth.demo_accounts(store, "127.0.0.1") == []


# --- audit trail of user writes -----------------------------------------------------------------------------

def trail(store, action=None):
    sql = "select * from audit_log where table_name = 'users'" + (" and action = ?" if action else "") + " order by id"
    return [dict(r, before=json.loads(r["before"] or "null"), after=json.loads(r["after"] or "null"))
            for r in store.rows(sql, (action,) if action else ())]


def test_user_writes_are_audited_with_before_and_after(store):
    boss = admin(store)
    new_id = auth.create_user(store, boss, "carol", PASSWORD, "viewer", display_name="Carol")
    created = trail(store, "insert")[-1]
    assert created["username"] == "boss" and created["row_id"] == str(new_id)
    assert created["before"] is None
    assert created["after"]["username"] == "carol" and created["after"]["role"] == "viewer"
    assert created["after"]["password_hash"] == "***"

    auth.update_user(store, boss, new_id, role="reviewer", display_name="Carol W")
    changed = trail(store, "update")[-1]
    assert changed["before"]["role"] == "viewer" and changed["after"]["role"] == "reviewer"
    assert changed["before"]["display_name"] == "Carol" and changed["after"]["display_name"] == "Carol W"

    auth.update_user(store, boss, new_id, active=False)
    off = trail(store, "update")[-1]
    assert (off["before"]["active"], off["after"]["active"]) == (1, 0)

    auth.set_password(store, boss, new_id, "reset-password-1")
    reset = trail(store, "password_reset")[-1]
    assert reset["before"]["password_hash"] == "***" and reset["after"]["password_hash"] == "***"

    carol = Actor(new_id, "carol", "reviewer")
    auth.set_language(store, carol, "en")
    lang = trail(store, "language")[-1]
    assert (lang["username"], lang["before"]["language"], lang["after"]["language"]) == ("carol", None, "en")

    # No password hash (or password) anywhere in the trail.
    hashes = [r["password_hash"] for r in store.rows("select password_hash from users")]
    text = " ".join(f"{r['before']} {r['after']}" for r in store.rows("select before, after from audit_log"))
    assert not any(h in text for h in hashes)
    assert PASSWORD not in text and "reset-password-1" not in text
    assert "$argon2" not in text


def test_refused_writes_leave_no_trace(store):
    boss = admin(store)
    before = store.scalar("select count(*) from audit_log")
    with pytest.raises(ValidationError):
        auth.create_user(store, boss, "dave", "short", "viewer")
    with pytest.raises(PermissionDenied):
        auth.create_user(store, Actor(99, "x", "viewer"), "dave", PASSWORD, "viewer")
    assert store.scalar("select count(*) from audit_log") == before
    assert audit.browse(store, SYSTEM, table="users", text="dave")[1] == 0


# --- a password someone else chose --------------------------------------------------------------------------

def test_an_account_an_administrator_made_or_reset_must_choose_its_own_password(store):
    new = auth.create_user(store, admin(store), "newbie", PASSWORD, "viewer", temporary=True)
    me = auth.authenticate(store, "newbie", PASSWORD)
    assert auth.must_change_password(store, me)
    assert not auth.must_change_password(store, admin(store))          # the first admin typed their own
    auth.set_password(store, me, new, "another-horse-battery-9", PASSWORD)
    assert not auth.must_change_password(store, me)
    auth.set_password(store, admin(store), new, "reset-horse-battery-7")  # a reset: temporary again
    assert auth.must_change_password(store, auth.authenticate(store, "newbie", "reset-horse-battery-7"))
