"""The HTTP routes the app adds beside Streamlit's own, and its response headers.

Streamlit cannot set a cookie: a script can, but then the cookie is readable by every script on the page (never
``HttpOnly``) and the token has to be written into the page. So a session token never goes into the page:
after a sign-in the page asks ``/_auth/enter?code=…&quiet=1`` in the background (a same-origin ``fetch``, no
reload) with a one-time code (valid for a minute, used once), and that route sets the cookie from the server —
``HttpOnly``, ``SameSite=Strict``, and ``Secure`` when the browser came over HTTPS (directly, or through a reverse
proxy the server is told to trust). Signing out goes through ``/_auth/leave``, which clears it and returns to the
start.

The host unit's contact, who has no account, fills the end-of-stint appraisal at ``/_host/appraisal`` through a
signed, single-use link (``secondment.assessment``, ``secondment.hostpage``).

Starlette, not Streamlit: the core still never imports Streamlit. ``app.py`` mounts these with ``st.App``.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from urllib.parse import parse_qsl, urlparse

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

COOKIE = "sm_session"
COOKIE_DAYS = 7
HANDOFF_SECONDS = 60
TRUST_PROXY_ENV = "SECONDMENT_TRUST_PROXY"

_handoffs: dict[str, tuple[str, float]] = {}
_entered: dict[str, float] = {}       # codes exchanged for their cookie, kept a while so the page can stop asking
_lock = threading.Lock()


def handoff(token: str) -> str:
    """A one-time code that ``/_auth/enter`` exchanges for ``token`` within ``HANDOFF_SECONDS``."""
    code = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _lock:
        for old in [c for c, (_, at) in _handoffs.items() if now - at > HANDOFF_SECONDS]:
            del _handoffs[old]
        _handoffs[code] = (token, now)
    return code


def take(code: str | None) -> str | None:
    """The token behind ``code``, once; None when unknown, used or too old."""
    if not code:
        return None
    now = time.monotonic()
    with _lock:
        found = _handoffs.pop(code, None)
        if found is not None and now - found[1] <= HANDOFF_SECONDS:
            for old in [c for c, at in _entered.items() if now - at > 2 * HANDOFF_SECONDS]:
                del _entered[old]
            _entered[code] = now
    if found is None or now - found[1] > HANDOFF_SECONDS:
        return None
    return found[0]


def entered(code: str) -> bool:
    """Whether ``code`` was exchanged for its cookie (in the last two minutes)."""
    with _lock:
        return code in _entered


def trust_proxy() -> bool:
    return os.environ.get(TRUST_PROXY_ENV, "").strip().lower() in ("1", "on", "yes", "true")


def _https(request) -> bool:
    if request.url.scheme == "https":
        return True
    return trust_proxy() and request.headers.get("x-forwarded-proto", "").split(",")[0].strip() == "https"


def safe_next(value: str | None) -> str:
    """A path on this site to go to next; anything else (another host, a scheme, "//evil") is "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc:
        return "/"
    return value


async def enter(request):
    token = take(request.query_params.get("code"))
    if request.query_params.get("quiet"):               # the page's own background request: nothing to follow
        response = Response(status_code=204)
    else:
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if token is not None:
        response.set_cookie(COOKIE, token, max_age=COOKIE_DAYS * 24 * 3600, path="/", httponly=True,
                            samesite="strict", secure=_https(request))
    response.headers["Cache-Control"] = "no-store"
    return response


async def leave(request):
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the presentation, its handout and the cockpit (secondment.deck) ---------------------------------------------

def _language(request, row_language: str | None) -> str:
    from secondment import i18n

    asked = request.query_params.get("lang")
    for lang in (asked, row_language):
        if lang in i18n.LANGUAGES:
            return lang
    return i18n.DEFAULT_LANGUAGE


def _page(html: str, status: int = 200) -> HTMLResponse:
    from secondment import deck

    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = deck.CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _number(request, name: str, default: int) -> int:
    try:
        return int(request.query_params.get(name, default))
    except (TypeError, ValueError):
        return default


def _deck_response(request, kind: str):
    """Runs in a worker thread: the session from the cookie, the permission from the core, the page."""
    from secondment import auth, db, deck, errors, periods, permissions, story

    lang = _language(request, None)
    try:
        store = db.served()
    except (db.Missing, db.CannotOpen):
        return _page(deck.message_page(lang, "deck.no_database"), 503)
    actor = auth.resume_session(store, request.cookies.get(COOKIE))
    if actor is None:
        return _page(deck.message_page(lang, "deck.sign_in_first", back="/presentation"), 401)
    lang = _language(request, auth.language_of(store, actor))
    if not permissions.can(actor, "presentation.view"):
        return _page(deck.message_page(lang, "deck.not_allowed"), 403)
    if auth.must_change_password(store, actor):
        return _page(deck.message_page(lang, "deck.change_password", back="/account"), 403)
    demo = store.is_demo()
    if kind == "cockpit":
        data = story.cockpit(store, actor, lang)
        return _page(deck.cockpit(data, lang=lang, demo=demo, refresh=_number(request, "refresh", deck.REFRESH_DEFAULT),
                                  board_only=request.query_params.get("part") == "board"))
    try:
        period = periods.parse(store, actor, request.query_params.get("period"))
    except errors.NotFound:
        return _page(deck.message_page(lang, "deck.bad_period", back="/presentation"), 404)
    slides = story.slides(store, actor, period, lang)
    return _page(deck.presentation(slides, lang=lang, period_label=period.label(lang), demo=demo,
                                   start=_number(request, "slide", 1), auto=_number(request, "auto", 0),
                                   handout=kind == "handout"))


async def present(request):
    return await run_in_threadpool(_deck_response, request, "present")


async def handout(request):
    return await run_in_threadpool(_deck_response, request, "handout")


async def cockpit(request):
    return await run_in_threadpool(_deck_response, request, "cockpit")


def _document_response(request):
    """Runs in a worker thread: a document to print, for whoever may read it (``documents.get`` decides)."""
    from secondment import auth, db, deck, documents, errors, printview

    lang = _language(request, None)
    try:
        store = db.served()
    except (db.Missing, db.CannotOpen):
        return _page(deck.message_page(lang, "deck.no_database"), 503)
    actor = auth.resume_session(store, request.cookies.get(COOKIE))
    if actor is None:
        return _page(deck.message_page(lang, "deck.sign_in_first", back="/documents"), 401)
    lang = _language(request, auth.language_of(store, actor))
    if auth.must_change_password(store, actor):
        return _page(deck.message_page(lang, "deck.change_password", back="/account"), 403)
    try:
        row = documents.get(store, actor, request.query_params.get("id"))
    except errors.PermissionDenied:
        return _page(deck.message_page(lang, "deck.not_allowed", back="/documents"), 403)
    except errors.NotFound:
        return _page(deck.message_page(lang, "docs.print_not_found", back="/documents"), 404)
    return _page(printview.render(row, lang))


async def print_document(request):
    return await run_in_threadpool(_document_response, request)


# --- the host contact's appraisal link (secondment.assessment, secondment.hostpage) --------------------------

HOST_BODY_LIMIT = 64 * 1024
HOST_FORM_FIELDS = 32


def _host_response(html: str, status: int = 200) -> HTMLResponse:
    """Every answer of the link's page: never stored, never framed, no referrer (the token is in the address)."""
    from secondment import hostpage

    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = hostpage.csp()
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _host_language(value: str | None) -> str:
    from secondment import i18n

    return value if value in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def _host_store(lang: str):
    """The served database, or the page that says there is none (a 503)."""
    from secondment import db, hostpage

    try:
        return db.served(), None
    except (db.Missing, db.CannotOpen):
        return None, _host_response(hostpage.message(lang, "host.no_database", status=503), 503)


def _host_action(lang: str) -> str:
    """Where the form posts: the page's own address with the language but never the token ("appraisal" relative
    to /_host/appraisal?token=… is /_host/appraisal, wherever the app is mounted)."""
    return f"appraisal?lang={lang}"


def _host_show(request):
    """GET: the form for a link that can still be used, the refusal for any other."""
    from secondment import assessment, hostpage

    lang = _host_language(request.query_params.get("lang"))
    store, fault = _host_store(lang)
    if fault is not None:
        return fault
    token = request.query_params.get("token") or ""
    try:
        data = assessment.open_link(store, token)
    except assessment.LinkRefused:
        return _host_response(hostpage.refused(lang), 404)
    return _host_response(hostpage.form(data, lang=lang, token=token, action=_host_action(lang),
                                        demo=store.is_demo()))


def _host_submit(fields: dict[str, str], lang: str):
    """POST: the appraisal written and the link used, or the form again saying what is missing, or the refusal."""
    from secondment import assessment, errors, hostpage, i18n, vocab

    store, fault = _host_store(lang)
    if fault is not None:
        return fault
    token = fields.get("token") or ""
    values = {"scores": {d: fields.get(hostpage.GRADE_FIELD.format(d)) for d in vocab.APPRAISAL_DIMENSIONS},
              "comment": fields.get("comment"), "signatory": fields.get("signatory")}
    try:
        assessment.submit_link(store, token, **values)
    except assessment.LinkRefused:
        return _host_response(hostpage.refused(lang), 404)
    except errors.ValidationError as error:
        return _host_again(store, token, lang, values, error.message(lang), error.field, 422)
    except sqlite3.OperationalError as error:
        if "locked" not in str(error).lower() and "busy" not in str(error).lower():
            raise
        return _host_again(store, token, lang, values, i18n.translate(lang, "error.database_busy"), None, 503)
    return _host_response(hostpage.thanks(lang))


def _host_again(store, token: str, lang: str, values: dict, error: str, field: str | None, status: int):
    """The form once more with what was typed, for a link that still opens (else the refusal, as for GET)."""
    from secondment import assessment, hostpage

    try:
        data = assessment.open_link(store, token)
    except assessment.LinkRefused:
        return _host_response(hostpage.refused(lang), 404)
    return _host_response(hostpage.form(data, lang=lang, token=token, action=_host_action(lang),
                                        demo=store.is_demo(), values=values, error=error, error_field=field),
                          status)


def _host_message(lang: str, key: str, status: int):
    from secondment import hostpage

    return _host_response(hostpage.message(lang, key, status=status), status)


def _host_guarded(lang: str, answer, *args):
    """Runs in a worker thread: ``answer(*args)``, or, when the database or the disk fails, a page that says the
    system is not available (never Starlette's bare error, never anything of the person)."""
    try:
        return answer(*args)
    except (sqlite3.Error, OSError):
        return _host_message(lang, "host.no_database", 503)


async def _host_body(request) -> bytes | None:
    """The request's body, or None when it is longer than ``HOST_BODY_LIMIT`` (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > HOST_BODY_LIMIT:
                return None
        except ValueError:
            return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > HOST_BODY_LIMIT:
            return None
    return bytes(body)


def _host_fields(content_type: str, body: bytes) -> dict[str, str] | None:
    """An HTML form's fields (``application/x-www-form-urlencoded``, UTF-8); a name sent twice keeps its first
    value. None for a body that is not such a form."""
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=HOST_FORM_FIELDS)
    except ValueError:  # not UTF-8 (UnicodeDecodeError is a ValueError), or too many fields
        return None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


async def host_appraisal(request):
    """``/_host/appraisal``: GET ``?token=…`` shows the form, POST (the token in the form) submits it."""
    lang = _host_language(request.query_params.get("lang"))
    if request.method != "POST":
        return await run_in_threadpool(_host_guarded, lang, _host_show, request)
    body = await _host_body(request)
    if body is None:
        return await run_in_threadpool(_host_message, lang, "host.too_large", 413)
    fields = _host_fields(request.headers.get("content-type", ""), body)
    if fields is None:
        return await run_in_threadpool(_host_message, lang, "host.bad_request", 400)
    lang = _host_language(fields.get("lang") or lang)
    return await run_in_threadpool(_host_guarded, lang, _host_submit, fields, lang)


def _asset(path, media_type: str):
    async def serve(request):
        response = FileResponse(path, media_type=media_type)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
    return serve


def routes() -> list[Route]:
    from secondment import deck

    return [Route("/_auth/enter", enter), Route("/_auth/leave", leave),
            Route("/_deck/present", present), Route("/_deck/handout", handout), Route("/_deck/cockpit", cockpit),
            Route("/_deck/deck.js", _asset(deck.ASSETS / "deck.js", "text/javascript")),
            Route("/_deck/plotly.min.js", _asset(deck.PLOTLY_JS, "text/javascript")),
            Route("/_deck/icon.png", _asset(deck.ASSETS / "icon.png", "image/png")),
            Route("/_host/appraisal", host_appraisal, methods=["GET", "POST"]),
            Route("/_doc/print", print_document)]


class _Headers(BaseHTTPMiddleware):
    """Headers every response carries: no framing by other sites, no MIME sniffing, no referrer to other hosts."""

    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


# What the server itself serves below its root (Streamlit's assets and endpoints, the app's own routes).
_SERVED = ("_stcore", "_auth", "_deck", "_host", "_doc", "static", "media", "component", "app", "favicon",
           "robots.txt",
           "healthz")


def known_paths() -> set[str]:
    """Every page address the app's navigation resolves (app.py registers each, signed in or not)."""
    from secondment import navigation

    return {spec.key for spec in navigation.PAGES} | {"sign_in", "home", "start"}


class _UnknownPages(BaseHTTPMiddleware):
    """A mistyped page address goes to the start page instead of Streamlit's English-only "Page not found"."""

    def __init__(self, app, base: str = ""):
        super().__init__(app)
        self.base = "/" + base.strip("/") if base.strip("/") else ""
        self.pages = known_paths()

    async def dispatch(self, request, call_next):
        path = request.url.path
        if request.method == "GET" and path.startswith(self.base) and "text/html" in request.headers.get(
                "accept", ""):
            rest = path[len(self.base):].strip("/")
            first = rest.split("/", 1)[0]
            if rest and rest not in self.pages and not first.startswith(_SERVED) and "." not in first:
                return RedirectResponse(f"{self.base}/", status_code=302)
        return await call_next(request)


def middleware(base_path: str = "") -> list[Middleware]:
    """``base_path``: Streamlit's ``server.baseUrlPath`` (app.py reads it), under which every page lives."""
    return [Middleware(_Headers), Middleware(_UnknownPages, base=base_path or "")]
