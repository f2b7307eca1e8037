"""The two HTTP routes the app adds beside Streamlit's own, and its response headers.

Streamlit cannot set a cookie: a script can, but then the cookie is readable by every script on the page (never
``HttpOnly``) and the token has to be written into the page. So a session token never goes into the page:
after a sign-in the page is sent to ``/_auth/enter?code=…`` with a one-time code (valid for a minute, used
once), and that route sets the cookie from the server — ``HttpOnly``, ``SameSite=Strict``, and ``Secure`` when
the browser came over HTTPS (directly, or through a reverse proxy the server is told to trust). Signing out goes
through ``/_auth/leave``, which clears it and returns to the start.

Starlette, not Streamlit: the core still never imports Streamlit. ``app.py`` mounts these with ``st.App``.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from urllib.parse import urlparse

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.routing import Route

COOKIE = "sm_session"
COOKIE_DAYS = 7
HANDOFF_SECONDS = 60
TRUST_PROXY_ENV = "SECONDMENT_TRUST_PROXY"

_handoffs: dict[str, tuple[str, float]] = {}
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
    with _lock:
        found = _handoffs.pop(code, None)
    if found is None or time.monotonic() - found[1] > HANDOFF_SECONDS:
        return None
    return found[0]


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
            Route("/_deck/icon.png", _asset(deck.ASSETS / "icon.png", "image/png"))]


class _Headers(BaseHTTPMiddleware):
    """Headers every response carries: no framing by other sites, no MIME sniffing, no referrer to other hosts."""

    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


# What the server itself serves below its root (Streamlit's assets and endpoints, the app's own routes).
_SERVED = ("_stcore", "_auth", "_deck", "static", "media", "component", "app", "favicon", "robots.txt", "healthz")


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
