"""The page the host unit's contact opens through a signed link: one person's stint in short and the appraisal form.

The contact has no account and the page is opened from a message, usually on a phone, so it stands alone: no
navigation into the app, no link but the language switch (to this same page), nothing fetched from anywhere,
no script. Rendered from ``secondment.assessment.open_link`` by the same autoescaping Jinja environment as the
presentation (user text is data), served by ``secondment.web`` at ``/_host/appraisal``.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from urllib.parse import urlencode

from markupsafe import Markup

from secondment import clock, deck, i18n, vocab

# The longest text each field takes (the same limits as ``assessment.clean_appraisal``), shown by the browser too.
COMMENT_MAX = 4000
SIGNATORY_MAX = 60
# The form's own field names; the grade of dimension ``d`` is posted as ``grade_<d>``.
GRADE_FIELD = "grade_{}"


@lru_cache(maxsize=1)
def _css() -> tuple[Markup, str]:
    """The page's one style sheet, inlined, and its CSP source (its hash): no other style is admitted."""
    text = (deck.TEMPLATES / "_host.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"


def csp() -> str:
    """Nothing from any host (not even this one, but the inline sheet by its hash); no script; the form posts
    only here; no site may frame the page."""
    return (f"default-src 'none'; style-src {_css()[1]}; img-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def _render(name: str, lang: str, *, switch: dict | None = None, demo: bool = False, **context) -> str:
    return deck._environment().get_template(name).render(
        lang=lang, t=deck._texts(lang, "host."), css=_css()[0], switch=switch, demo=demo, **context)


def _switch(lang: str, token: str | None = None) -> dict:
    """The link to this page in the other language (a relative address: the same page, the same host)."""
    other = next(code for code in i18n.LANGUAGES if code != lang)
    query = {"token": token, "lang": other} if token else {"lang": other}
    return {"href": "?" + urlencode(query), "lang": other, "label": i18n.LANGUAGE_NAMES[other]}


def _invalid(field: str | None) -> str | None:
    """Which of the form's parts a validation error names (``assessment.clean_appraisal``'s field names)."""
    if not field:
        return None
    if field.startswith("appraisal_"):
        return field[len("appraisal_"):]
    return {"host_comment": "comment", "signatory": "signatory"}.get(field)


def form(data: dict, *, lang: str, token: str, action: str, demo: bool = False, values: dict | None = None,
         error: str | None = None, error_field: str | None = None) -> str:
    """The summary and the form. ``data`` is ``assessment.open_link``'s answer; ``values`` what was typed
    (``scores``, ``comment``, ``signatory``) when the form comes back with ``error`` about ``error_field``."""
    values = values or {}
    scores = values.get("scores") or {}
    person = data["person"]
    invalid = _invalid(error_field)

    def label(group: str, code) -> str:
        return vocab.label(group, code, lang)

    counts = {w["role"]: w["n"] for w in data["work"]}
    work = [{"role": label("role", role), "count": i18n.translate(lang, "host.entries", n=counts[role])}
            for role in (*vocab.ROLES, *sorted(set(counts) - set(vocab.ROLES))) if counts.get(role)]
    objectives = [{"role": label("role", o["role"]), "text": o["text"],
                   "target": i18n.translate(lang, "host.target", target=o["target"] or "—"),
                   "due": i18n.translate(lang, "host.due", due=i18n.format_date(o["due_date"], lang))
                   if o["due_date"] else None} for o in data["objectives"]]
    dimensions = [{"name": GRADE_FIELD.format(d), "label": label("appraisal_dimension", d),
                   "hint": i18n.translate(lang, f"host.hint_{d}"), "value": scores.get(d), "invalid": invalid == d}
                  for d in vocab.APPRAISAL_DIMENSIONS]
    grades = [{"code": g, "label": label("appraisal_grade", g)} for g in vocab.APPRAISAL_GRADES]
    return _render(
        "host_form.html.j2", lang, switch=_switch(lang, token), demo=demo, person=person,
        direction=label("direction", person.get("direction")) if person.get("direction") else "",
        period=i18n.translate(lang, "host.period_value", start=i18n.format_date(person["start_date"], lang),
                              end=i18n.format_date(person["end_date"], lang)),
        once=i18n.translate(lang, "host.once", expires=clock.local_time(data["link"]["expires_at"])),
        objectives=objectives, work=work, self_text=data.get("self_text"), token=token, action=action,
        dimensions=dimensions, grades=grades, comment=values.get("comment") or "",
        signatory=values.get("signatory") or "", error=error, invalid=invalid, comment_max=COMMENT_MAX,
        signatory_max=SIGNATORY_MAX)


def message(lang: str, *keys: str, heading: str | None = None, status: int = 200, switch: bool = False) -> str:
    """A page of a few sentences and nothing else: the refusal, the thanks, a fault. ``switch``: offer the other
    language (without any token: what such a page says needs none)."""
    return _render("host_message.html.j2", lang, switch=_switch(lang) if switch else None,
                   heading=i18n.translate(lang, heading) if heading else None,
                   lines=[i18n.translate(lang, key) for key in keys], status=status)


def refused(lang: str) -> str:
    return message(lang, "host.refused", status=404, switch=True)


def thanks(lang: str) -> str:
    return message(lang, "host.thanks", "host.thanks_note", heading="host.thanks_title")
