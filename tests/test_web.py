"""The routes that set and clear the session cookie: one-time codes, HttpOnly and SameSite always, Secure over
HTTPS (directly or behind a trusted proxy), and never a redirect to another site."""
from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from secondment import web


@pytest.fixture
def client():
    return TestClient(Starlette(routes=web.routes(), middleware=web.middleware()), base_url="http://app.local")


def test_a_code_is_traded_once_for_an_httponly_strict_cookie(client):
    code = web.handoff("signed-token")
    first = client.get(f"/_auth/enter?code={code}&next=/roster", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/roster"
    cookie = first.headers["set-cookie"]
    assert "sm_session=signed-token" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie                                    # plain HTTP on loopback
    again = client.get(f"/_auth/enter?code={code}&next=/roster", follow_redirects=False)
    assert "set-cookie" not in again.headers                          # used once


def test_the_pages_background_request_gets_the_cookie_and_no_redirect_and_the_code_is_marked_entered(client):
    code = web.handoff("signed-token")
    assert not web.entered(code)
    answer = client.get(f"/_auth/enter?quiet=1&code={code}", follow_redirects=False)
    assert answer.status_code == 204 and "location" not in answer.headers
    assert "sm_session=signed-token" in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]
    assert web.entered(code)
    again = client.get(f"/_auth/enter?quiet=1&code={code}", follow_redirects=False)
    assert again.status_code == 204 and "set-cookie" not in again.headers
    assert not web.entered("never-issued")
    stale = web.handoff("signed-token")
    token, at = web._handoffs[stale]
    web._handoffs[stale] = (token, at - web.HANDOFF_SECONDS - 1)
    client.get(f"/_auth/enter?quiet=1&code={stale}")
    assert not web.entered(stale)                                     # too old: not exchanged, so not entered


def test_behind_a_trusted_proxy_over_https_the_cookie_is_secure(client, monkeypatch):
    monkeypatch.setenv(web.TRUST_PROXY_ENV, "1")
    code = web.handoff("signed-token")
    answer = client.get(f"/_auth/enter?code={code}", headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert "Secure" in answer.headers["set-cookie"]
    monkeypatch.delenv(web.TRUST_PROXY_ENV)
    code = web.handoff("signed-token")
    untrusted = client.get(f"/_auth/enter?code={code}", headers={"X-Forwarded-Proto": "https"},
                           follow_redirects=False)
    assert "Secure" not in untrusted.headers["set-cookie"]            # a header anyone can send is not trusted


def test_an_old_code_is_refused(client, monkeypatch):
    code = web.handoff("signed-token")
    token, at = web._handoffs[code]
    web._handoffs[code] = (token, at - web.HANDOFF_SECONDS - 1)
    assert "set-cookie" not in client.get(f"/_auth/enter?code={code}", follow_redirects=False).headers


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\\\evil.example", "javascript:x",
                                    "", "roster"])
def test_never_a_redirect_to_another_site(client, target):
    answer = client.get("/_auth/leave", params={"next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_leaving_clears_the_cookie_and_headers_guard_the_page(client):
    answer = client.get("/_auth/leave?next=/", follow_redirects=False)
    assert 'sm_session=""' in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    assert answer.headers["x-frame-options"] == "SAMEORIGIN" and answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("base", ["", "/sec"])
def test_a_mistyped_page_address_goes_to_the_start_page_not_streamlits_page_not_found(base):
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def page(request):
        return PlainTextResponse("page")

    app = Starlette(routes=[Route(f"{base}/{{path:path}}", page)], middleware=web.middleware(base))
    client = TestClient(app, base_url="http://app.local")
    html = {"accept": "text/html"}
    for known in ("overview", "sign_in", "home", "roster"):
        assert client.get(f"{base}/{known}", headers=html, follow_redirects=False).status_code == 200
    wrong = client.get(f"{base}/overveiw", headers=html, follow_redirects=False)
    assert wrong.status_code == 302 and wrong.headers["location"] == f"{base}/"
    for served in ("_stcore/health", "static/js/index.js", "favicon.png", "media/abc.png"):
        assert client.get(f"{base}/{served}", headers=html, follow_redirects=False).status_code == 200
    assert client.get(f"{base}/overveiw", follow_redirects=False).status_code == 200   # not a page request
