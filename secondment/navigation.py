"""The app's pages: which file draws each, which section it sits in, and the action it needs.

Pure data, so the navigation, the page gate and the tests all read the same list.
"""
from __future__ import annotations

from dataclasses import dataclass

from secondment import permissions
from secondment.permissions import Actor


@dataclass(frozen=True)
class PageSpec:
    key: str          # also the URL path and the i18n key nav.<key>
    file: str         # under pages/
    section: str      # i18n key nav.section_<section>
    action: str       # the permission the page needs to open at all
    icon: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "overview.py", "programme", "overview.read", ":material/dashboard:"),
    PageSpec("presentation", "presentation.py", "programme", "presentation.view", ":material/slideshow:"),
    PageSpec("roster", "roster.py", "programme", "participant.read", ":material/groups:"),
    PageSpec("profile", "profile.py", "programme", "participant.read", ":material/badge:"),
    PageSpec("batches", "batches.py", "programme", "batch.read", ":material/timeline:"),
    PageSpec("stint", "stint.py", "programme", "stint.read", ":material/assignment:"),
    PageSpec("lifecycle", "lifecycle.py", "programme", "lifecycle.read", ":material/view_kanban:"),
    PageSpec("documents", "documents.py", "programme", "document.read", ":material/description:"),
    PageSpec("my_week", "my_week.py", "work", "activity.write", ":material/edit_calendar:"),
    PageSpec("review", "review.py", "work", "week.review", ":material/fact_check:"),
    PageSpec("coverage", "coverage.py", "work", "coverage.read", ":material/grid_on:"),
    PageSpec("practices", "practices.py", "work", "practice.read", ":material/menu_book:"),
    PageSpec("feedback", "feedback.py", "feedback", "feedback.read", ":material/forum:"),
    PageSpec("flows", "flows.py", "feedback", "feedback.flows", ":material/account_tree:"),
    PageSpec("audit", "audit.py", "admin", "audit.read", ":material/history:"),
    PageSpec("admin", "admin.py", "admin", "user.manage", ":material/settings:"),
    PageSpec("account", "account.py", "admin", "account.self", ":material/person:"),
)

BY_KEY = {p.key: p for p in PAGES}
SECTIONS = ("programme", "work", "feedback", "admin")

# Where each role lands after signing in.
HOME = {"admin": "overview", "reviewer": "overview", "viewer": "overview", "secondee": "my_week",
        "liaison": "feedback"}


def pages_for(actor: Actor | None) -> list[PageSpec]:
    if actor is None:
        return []
    return [p for p in PAGES if permissions.can(actor, p.action)]


def home_for(actor: Actor) -> str:
    key = HOME.get(actor.role, "account")
    return key if any(p.key == key for p in pages_for(actor)) else pages_for(actor)[0].key
