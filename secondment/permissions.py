"""Who may do what: an actor asks to perform an action on a resource.

``ACTIONS`` is the one table of every action, the app roles that hold it, and for which roles the
holding is limited to their own records (a secondee's own participant record, a liaison's own
department). ``can()`` is the one function that decides; ``require()`` raises when it says no.
Every service that reads or writes calls ``require()`` with the acting user.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from secondment.errors import PermissionDenied

ALL_ROLES = frozenset({"admin", "reviewer", "secondee", "liaison", "viewer"})


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the core sees it."""

    user_id: int | None
    username: str
    role: str
    display_name: str = ""
    participant_id: int | None = None
    department_id: int | None = None

    @classmethod
    def system(cls, username: str = "cli") -> Actor:
        """The command line acts as an administrator, recorded under its own name in the audit trail."""
        return cls(user_id=None, username=username, role="admin", display_name=username)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    # role -> which ownership it needs: "participant" (resource's participant_id is the actor's) or
    # "department" (resource's department_id is the actor's). Roles not listed need no ownership.
    own: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    doc: str = ""


def _rule(roles: str, own: dict[str, str] | None = None, doc: str = "") -> Rule:
    return Rule(frozenset(roles.split()), MappingProxyType(own or {}), doc)


# The record an account of a role is linked to, and its ownership-limited actions to: a secondee's own
# participant record, a liaison's own department. The one place that ties a role to a link.
LINKS: MappingProxyType = MappingProxyType({"secondee": "participant", "liaison": "department"})
OWN_PARTICIPANT = {role: link for role, link in LINKS.items() if link == "participant"}
OWN_DEPARTMENT = {role: link for role, link in LINKS.items() if link == "department"}

ACTIONS: MappingProxyType = MappingProxyType({
    # programme overview and presentation
    "overview.read": _rule("admin reviewer viewer", doc="headline figures and dashboards"),
    "presentation.view": _rule("admin reviewer viewer", doc="full-screen presentation mode"),
    # batches and roster
    "batch.read": _rule("admin reviewer viewer", doc="list batches and their timeline"),
    "batch.edit": _rule("admin reviewer", doc="create or change a batch"),
    "participant.read": _rule("admin reviewer viewer secondee", OWN_PARTICIPANT,
                              doc="see a participant's record and profile"),
    "participant.edit": _rule("admin reviewer", doc="add, edit, end early, withdraw a participant"),
    "participant.import": _rule("admin reviewer", doc="import a roster file"),
    "participant.export": _rule("admin reviewer", doc="export the roster"),
    # weekly activity
    "activity.read": _rule("admin reviewer viewer secondee", OWN_PARTICIPANT,
                           doc="read activity entries"),
    "activity.write": _rule("admin secondee", OWN_PARTICIPANT,
                            doc="add, edit, delete activity entries of an unsubmitted week"),
    "week.submit": _rule("admin secondee", OWN_PARTICIPANT, doc="submit a week for review"),
    "week.review": _rule("admin reviewer", doc="approve or return a submitted week"),
    "coverage.read": _rule("admin reviewer viewer", doc="coverage map, quiet list, role balance"),
    "activity.export": _rule("admin reviewer", doc="export activity entries"),
    # practices
    "practice.read": _rule("admin reviewer viewer secondee liaison",
                           doc="browse the practice library (non-reviewers see promoted practices)"),
    "practice.propose": _rule("admin reviewer secondee", OWN_PARTICIPANT,
                              doc="propose a counsellor entry as a practice"),
    "practice.review": _rule("admin reviewer", doc="move a practice to reviewed or promoted"),
    # feedback and the closed loop
    "feedback.read": _rule("admin reviewer viewer secondee liaison", {**OWN_PARTICIPANT, **OWN_DEPARTMENT},
                           doc="read feedback items and their timelines"),
    "feedback.raise": _rule("admin secondee", OWN_PARTICIPANT, doc="raise a feedback item"),
    "feedback.handle": _rule("admin reviewer liaison", OWN_DEPARTMENT,
                             doc="accept, transfer, extend or answer an item"),
    "feedback.evaluate": _rule("admin secondee", OWN_PARTICIPANT, doc="rate an answer"),
    "feedback.supervise": _rule("admin reviewer", doc="escalate or close unresolved"),
    "feedback.flows": _rule("admin reviewer viewer", doc="flows, department table and trends"),
    "feedback.export": _rule("admin reviewer", doc="export feedback items"),
    "routing.edit": _rule("admin", doc="edit the routing catalogue and time limits"),
    # the stint from agreement to return (secondment.agreements, stint, leave, assessment)
    "stint.read": _rule("admin reviewer viewer secondee", OWN_PARTICIPANT,
                        doc="see a stint's agreement, declarations, check-ins, visits, leave, assessment and return"),
    "agreement.draft": _rule("admin reviewer secondee", OWN_PARTICIPANT,
                             doc="draft or amend an agreement (任务书) and its objectives"),
    "agreement.agree": _rule("admin reviewer", doc="record a party's agreement to an agreement"),
    "objective.link": _rule("admin reviewer secondee", OWN_PARTICIPANT,
                            doc="link an entry, feedback item or practice to an objective"),
    "objective.status": _rule("admin reviewer", doc="set an objective's status"),
    "declaration.record": _rule("admin reviewer", doc="record a signed declaration"),
    "declaration.rules": _rule("admin", doc="choose which declarations a stint needs before it is active"),
    "checkin.write": _rule("admin secondee", OWN_PARTICIPANT, doc="write and submit a monthly self-check"),
    "checkin.review": _rule("admin reviewer", doc="acknowledge a monthly self-check"),
    "visit.record": _rule("admin reviewer", doc="record a site visit and its follow-up actions"),
    "leave.request": _rule("admin reviewer secondee", OWN_PARTICIPANT, doc="ask for leave, cancel it, return from it"),
    "leave.decide": _rule("admin reviewer", doc="record the decision on a leave request"),
    "assessment.self": _rule("admin secondee", OWN_PARTICIPANT, doc="write the end-of-stint self-assessment"),
    "assessment.manage": _rule("admin reviewer",
                               doc="issue host links, record the home unit's view and the conclusion"),
    "return.record": _rule("admin reviewer", doc="record the return and later use"),
    "lifecycle.read": _rule("admin reviewer viewer", doc="see the lifecycle board, attendance and outcomes"),
    # official documents (secondment.documents): bulletins, reports, the assessment form
    "document.read": _rule("admin reviewer viewer secondee liaison",
                           doc="open the document library (each sees only the documents below)"),
    "bulletin.read": _rule("admin reviewer viewer", doc="read and download issued bulletins and annual reports"),
    "bulletin.draft": _rule("admin reviewer", doc="draft, edit and issue a bulletin (简报, 通报) or annual report"),
    "notice.extract": _rule("admin liaison", doc="read one's own department's part of an issued 通报"),
    "report.read": _rule("admin reviewer secondee", OWN_PARTICIPANT,
                         doc="read a secondee's monthly reports and end-of-stint summary"),
    "report.write": _rule("admin secondee", OWN_PARTICIPANT,
                          doc="draft, edit and submit a monthly report or end-of-stint summary"),
    "report.review": _rule("admin reviewer", doc="approve or return a submitted report"),
    "documents.settings": _rule("admin", doc="set the issuing unit, mastheads, bars and the Word template"),
    # accounts, reference data, audit, backup
    "account.self": _rule("admin reviewer secondee liaison viewer", doc="change own password and language"),
    "user.manage": _rule("admin", doc="create, deactivate, reset, change role of accounts"),
    "unit.read": _rule("admin reviewer viewer secondee liaison", doc="list units for choosers"),
    "unit.edit": _rule("admin reviewer", doc="create or edit units and departments"),
    "audit.read": _rule("admin reviewer", doc="browse and export the audit trail"),
    "backup.create": _rule("admin", doc="download a backup of the database"),
    # the official holiday calendar behind every working-day count
    # reminders and notifications (secondment.notify, secondment.todo)
    "notification.read": _rule("admin reviewer viewer secondee liaison", doc="read and clear one's own notifications"),
    "todo.read": _rule("admin reviewer secondee liaison", doc="see one's own to-do list (a leader has none)"),
    "notify.supervise": _rule("admin reviewer", doc="be told of second chasers, escalations and weeks not submitted"),
    "rules.edit": _rule("admin", doc="change the reminder rules"),
    "notify.run": _rule("admin", doc="send due reminders and digests; see the outbox"),
    "holiday.read": _rule("admin reviewer viewer secondee liaison", doc="see the public-holiday arrangements"),
    "holiday.edit": _rule("admin", doc="enter or remove a year's public-holiday arrangement"),
    "holiday.notice": _rule("admin reviewer", doc="be told that next year's arrangement is missing"),
})


def can(actor: Actor | None, action: str, resource: dict | None = None) -> bool:
    """May ``actor`` do ``action`` on ``resource``?

    ``resource`` may hold ``participant_id`` and/or ``department_id``. For a role that needs ownership,
    a missing resource means "some of my own" (e.g. may I read feedback at all?) and is allowed; the
    service then narrows the query to the actor's own records with ``scope()``.
    """
    if actor is None:
        return False
    rule = ACTIONS.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}")
    if actor.role not in rule.roles:
        return False
    need = rule.own.get(actor.role)
    if need is None or resource is None:
        return True
    if need == "participant":
        return actor.participant_id is not None and resource.get("participant_id") == actor.participant_id
    if need == "department":
        return actor.department_id is not None and resource.get("department_id") == actor.department_id
    return False


def require(actor: Actor | None, action: str, resource: dict | None = None) -> None:
    if not can(actor, action, resource):
        raise PermissionDenied(action, actor.role if actor else None)


def scope(actor: Actor, action: str) -> dict[str, int] | None:
    """The ownership filter a list query must apply for this actor, or None for everything.

    Raises when the actor may not do the action at all. A secondee gets ``{"participant_id": id}``,
    a liaison ``{"department_id": id}``.
    """
    require(actor, action)
    need = ACTIONS[action].own.get(actor.role)
    if need == "participant":
        return {"participant_id": actor.participant_id if actor.participant_id is not None else -1}
    if need == "department":
        return {"department_id": actor.department_id if actor.department_id is not None else -1}
    return None


def actions_for(role: str) -> list[str]:
    return [name for name, rule in ACTIONS.items() if role in rule.roles]


def role_can(role: str | None, action: str) -> bool:
    """Does ``role`` hold ``action`` at all (for a role being given to an account, before any actor has it)?"""
    return role in ACTIONS[action].roles


def roles_holding(action: str) -> tuple[str, ...]:
    """The roles that hold ``action``, in a stable order (for SQL over stored accounts)."""
    return tuple(sorted(ACTIONS[action].roles))


def link_of(role: str | None) -> str | None:
    """"participant", "department" or None: what an account of ``role`` must be linked to."""
    return LINKS.get(role)


def roles_linked_to(link: str) -> tuple[str, ...]:
    return tuple(sorted(role for role, linked in LINKS.items() if linked == link))


def ownership(actor: Actor | None, action: str) -> str | None:
    """"participant" or "department" when the actor holds ``action`` only over their own records, None when
    over everything (or not at all): how a page tells "my items" from "all items" without naming roles."""
    if not can(actor, action):
        return None
    return ACTIONS[action].own.get(actor.role)
