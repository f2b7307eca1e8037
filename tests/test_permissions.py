"""Permissions: every action against every app role, with and without ownership, checked against the ACTIONS
table; the table and the code agree (every action used is listed, every listed action is used); every page file
checks its user first."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from secondment import i18n, navigation, permissions, vocab
from secondment.errors import PermissionDenied
from secondment.permissions import ACTIONS, Actor

ROOT = Path(__file__).resolve().parent.parent
MY_PARTICIPANT, OTHER_PARTICIPANT = 7, 8
MY_DEPARTMENT, OTHER_DEPARTMENT = 3, 4

CASES = [(action, role) for action in ACTIONS for role in vocab.APP_ROLES]


def actor(role: str, linked: bool = True) -> Actor:
    return Actor(user_id=1, username=f"u_{role}", role=role, display_name=role,
                 participant_id=MY_PARTICIPANT if linked and role == "secondee" else None,
                 department_id=MY_DEPARTMENT if linked and role == "liaison" else None)


OWN = {"participant_id": MY_PARTICIPANT, "department_id": MY_DEPARTMENT}
OTHERS = {"participant_id": OTHER_PARTICIPANT, "department_id": OTHER_DEPARTMENT}


def test_app_roles_are_the_vocabulary_roles():
    assert permissions.ALL_ROLES == set(vocab.APP_ROLES)
    for name, rule in ACTIONS.items():
        assert rule.roles <= permissions.ALL_ROLES, name
        assert set(rule.own) <= rule.roles, f"{name}: ownership for a role that does not hold it"
        assert set(rule.own.values()) <= {"participant", "department"}, name


@pytest.mark.parametrize("action,role", CASES)
def test_every_action_for_every_role(action, role):
    rule = ACTIONS[action]
    holds = role in rule.roles
    needs_own = rule.own.get(role)
    who = actor(role)

    # No resource named: "may I do this at all?" (the service narrows with scope()).
    assert permissions.can(who, action) is holds
    # The actor's own record / department.
    assert permissions.can(who, action, OWN) is holds
    # Someone else's record / department: only roles that need no ownership.
    assert permissions.can(who, action, OTHERS) is (holds and needs_own is None)
    # A resource that names neither a participant nor a department cannot be "own".
    assert permissions.can(who, action, {}) is (holds and needs_own is None)

    # require() agrees with can(), and its refusal is a clear, translated message.
    for resource in (None, OWN, OTHERS):
        if permissions.can(who, action, resource):
            permissions.require(who, action, resource)
        else:
            with pytest.raises(PermissionDenied) as refused:
                permissions.require(who, action, resource)
            for lang in i18n.LANGUAGES:
                message = refused.value.message(lang)
                assert "action." not in message and "vocab." not in message and "{" not in message
                assert vocab.label("app_role", role, lang) in message

    # scope(): the filter a list query applies.
    if not holds:
        with pytest.raises(PermissionDenied):
            permissions.scope(who, action)
    elif needs_own == "participant":
        assert permissions.scope(who, action) == {"participant_id": MY_PARTICIPANT}
    elif needs_own == "department":
        assert permissions.scope(who, action) == {"department_id": MY_DEPARTMENT}
    else:
        assert permissions.scope(who, action) is None


@pytest.mark.parametrize("action,role", [(a, r) for a, r in CASES if ACTIONS[a].own.get(r)])
def test_unlinked_account_owns_nothing(action, role):
    """A secondee with no participant (or liaison with no department) never matches a record, and its
    scope matches no row rather than every row."""
    who = actor(role, linked=False)
    assert not permissions.can(who, action, OWN)
    assert not permissions.can(who, action, {"participant_id": None, "department_id": None})
    assert set(permissions.scope(who, action).values()) == {-1}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_signed_out_may_do_nothing(action):
    assert not permissions.can(None, action)
    assert not permissions.can(None, action, OWN)
    with pytest.raises(PermissionDenied):
        permissions.require(None, action)


def test_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(KeyError):
        permissions.can(actor("admin"), "no.such_action")


def test_system_actor_is_an_admin_under_its_own_name():
    cli = Actor.system("cli:ops")
    assert cli.role == "admin" and cli.user_id is None and cli.username == "cli:ops"
    assert all(permissions.can(cli, a) for a in ACTIONS)


# DESIGN.md's roles table, written out independently of ACTIONS: who holds what, and who only for their own.
EXPECTED = {
    "overview.read": "admin reviewer viewer",
    "presentation.view": "admin reviewer viewer",
    "batch.read": "admin reviewer viewer",
    "batch.edit": "admin reviewer",
    "participant.read": "admin reviewer viewer secondee*",
    "participant.edit": "admin reviewer",
    "participant.import": "admin reviewer",
    "participant.export": "admin reviewer",
    "activity.read": "admin reviewer viewer secondee*",
    "activity.write": "admin secondee*",
    "week.submit": "admin secondee*",
    "week.review": "admin reviewer",
    "coverage.read": "admin reviewer viewer",
    "activity.export": "admin reviewer",
    "practice.read": "admin reviewer viewer secondee liaison",
    "practice.propose": "admin reviewer secondee*",
    "practice.review": "admin reviewer",
    "feedback.read": "admin reviewer viewer secondee* liaison*",
    "feedback.raise": "admin secondee*",
    "feedback.handle": "admin reviewer liaison*",
    "feedback.evaluate": "admin secondee*",
    "feedback.supervise": "admin reviewer",
    "feedback.flows": "admin reviewer viewer",
    "feedback.export": "admin reviewer",
    "routing.edit": "admin",
    "account.self": "admin reviewer secondee liaison viewer",
    "user.manage": "admin",
    "unit.read": "admin reviewer viewer secondee liaison",
    "unit.edit": "admin reviewer",
    "audit.read": "admin reviewer",
    "backup.create": "admin",
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_table_matches_the_design(action):
    assert action in ACTIONS, f"{action} disappeared from ACTIONS"
    words = EXPECTED[action].split()
    assert ACTIONS[action].roles == {w.rstrip("*") for w in words}
    assert set(ACTIONS[action].own) == {w.rstrip("*") for w in words if w.endswith("*")}


def test_leaders_only_read():
    readish = ("read", "view", "flows", "self")
    for name in permissions.actions_for("viewer"):
        assert name.split(".")[1] in readish, f"viewer holds {name}"


def test_only_admins_manage_accounts_and_backups():
    for name in ("user.manage", "backup.create", "routing.edit"):
        assert ACTIONS[name].roles == {"admin"}


# --- the table and the code agree ----------------------------------------------------------------------

def _source_files() -> list[Path]:
    return sorted([*(ROOT / "secondment").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"])


def _strings(node) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def actions_in_code() -> dict[str, set[str]]:
    """action -> files where it is passed to require()/can()/scope(), or named as a page's action."""
    found: dict[str, set[str]] = {}
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in ("require", "can", "scope") and len(node.args) >= 2:
                for value in _strings(node.args[1]):
                    found.setdefault(value, set()).add(path.relative_to(ROOT).as_posix())
            if name == "PageSpec" and len(node.args) >= 4:
                for value in _strings(node.args[3]):
                    found.setdefault(value, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_action_in_the_code_is_in_the_table():
    unknown = {a: sorted(f) for a, f in actions_in_code().items() if a not in ACTIONS}
    assert not unknown, f"actions used in the code but missing from permissions.ACTIONS: {unknown}"


def action_literals_outside_the_table() -> set[str]:
    """ACTIONS names written anywhere in the code other than permissions.py (a service may pass its action
    through a helper, e.g. ``_step(..., "feedback.evaluate")`` which then calls require())."""
    found = set()
    for path in _source_files():
        if path.name == "permissions.py":
            continue
        found |= {s for s in _strings(ast.parse(path.read_text(encoding="utf-8"))) if s in ACTIONS}
    return found


def test_every_action_in_the_table_is_used():
    used = set(actions_in_code()) | action_literals_outside_the_table()
    unused = sorted(a for a in ACTIONS if a not in used)
    assert not unused, f"actions in permissions.ACTIONS that no service or page checks: {unused}"


def test_navigation_pages_use_known_actions():
    for spec in navigation.PAGES:
        assert spec.action in ACTIONS, spec


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_has_a_label(action):
    for lang in i18n.LANGUAGES:
        assert f"action.{action}" in i18n.catalogue(lang), (action, lang)


def _first_call(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # docstring
        return statement
    return None


@pytest.mark.parametrize("spec", navigation.PAGES, ids=lambda s: s.key)
def test_every_page_checks_its_user_first(spec):
    """The first statement after the imports is ``ui.page_gate("<its own key>")``, so a page opened
    straight from its URL shows nothing before the check."""
    statement = _first_call(ROOT / "pages" / spec.file)
    call = statement.value if isinstance(statement, (ast.Assign, ast.Expr)) else None
    assert isinstance(call, ast.Call), f"{spec.file}: first statement is not a call"
    assert isinstance(call.func, ast.Attribute) and call.func.attr == "page_gate", spec.file
    assert [a.value for a in call.args] == [spec.key], spec.file


def test_navigation_follows_the_table():
    for role in vocab.APP_ROLES:
        keys = {p.key for p in navigation.pages_for(actor(role))}
        assert keys == {p.key for p in navigation.PAGES if role in ACTIONS[p.action].roles}
        assert navigation.home_for(actor(role)) in keys
    assert navigation.pages_for(None) == []
