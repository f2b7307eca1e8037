"""Sign-in in the real app (Streamlit + Chromium): direct URLs on a freshly started server show the sign-in page
and no data; each demo role sees exactly its pages; refresh and a second tab keep the user signed in (and on the
same page) until sign-out; five wrong passwords lock a username; a secondee cannot open another's profile.

One live server for the whole module. The direct-URL test comes first, so its first request is the server's
first request."""
from __future__ import annotations

import re

import pytest
from conftest import actor_for, new_context, sign_in, wait_ready

from secondment import auth, i18n, navigation, vocab, web

pytestmark = pytest.mark.browser

# app.py draws each role's menu itself with st.page_link in the sidebar.
NAV_LINKS = "[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']"
MAIN = "[data-testid='stMain']"


def zh(key: str, **params) -> str:
    return i18n.translate("zh", key, **params)


def main_text(page) -> str:
    return page.locator(MAIN).inner_text()


def nav_titles(page) -> list[str]:
    # The title only (the icon is a ligature such as "dashboard" in its own span; a count of what waits on the
    # page, "（3）" or " (3)", follows the title).
    return [re.sub(r"\s*[（(]\d+[）)]$", "", link.locator("[data-testid='stMarkdownContainer']").inner_text().strip())
            for link in page.locator(NAV_LINKS).all()]


def wait_sign_in_form(page) -> None:
    """Wait until the sign-in form has drawn whole (it draws field by field): the password field and its button."""
    page.wait_for_selector("input[type='password']", timeout=30_000)
    page.get_by_role("button", name=zh("signin.submit"), exact=True).wait_for(timeout=30_000)


def is_sign_in_page(page) -> bool:
    return page.get_by_label(zh("field.username"), exact=True).count() == 1 and \
        page.get_by_role("button", name=zh("signin.submit"), exact=True).count() == 1


def one_click(page, url: str, store, username: str) -> None:
    """Enter as a demo account with its one-click button."""
    row = store.one("select display_name, role from users where username = ?", (username,))
    page.goto(url)
    wait_ready(page)
    role = vocab.label('app_role', row['role'], 'zh')
    # The button names the role, and the person too when the name is not just the role again.
    label = role if row['display_name'] == role else f"{role} · {row['display_name']}"
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_selector(NAV_LINKS, timeout=30_000)
    wait_ready(page)


def demo_labels(store) -> list[str]:
    """What the demo sign-in page shows on purpose: the demo accounts' display names."""
    return [r["display_name"] for r in store.rows("select display_name from users where username like 'demo%'")]


def data_strings(store) -> list[str]:
    """Names that are data (participants, units, usernames), minus those inside a demo account's label."""
    labels = demo_labels(store)
    names = [r["n"] for r in store.rows("select name as n from participants union all select name from units "
                                        "union all select username from users")]
    return [n for n in names if not any(n in label for label in labels)]


# --- 1. fresh server, signed out, every URL ----------------------------------------------------------------

def test_signed_out_direct_urls_show_sign_in_and_no_data(live_server, browser):
    names = data_strings(live_server.store)
    context = new_context(browser)
    try:
        page = context.new_page()
        # The most sensitive page first: this is the freshly started server's very first page request.
        keys = ["admin"] + [p.key for p in navigation.PAGES if p.key != "admin"]
        for key in keys:
            page.goto(f"{live_server.url}/{key}")
            wait_ready(page)
            wait_sign_in_form(page)
            assert is_sign_in_page(page), key
            text = main_text(page)
            assert page.locator("[data-testid='stDataFrame']").count() == 0, key
            assert page.locator("[data-testid='stPlotlyChart']").count() == 0, key
            assert page.locator(NAV_LINKS).count() == 0, key
            leaked = [n for n in names if n in text]
            assert not leaked, (key, leaked[:5])
    finally:
        context.close()


# --- 2. each demo role sees exactly its pages ------------------------------------------------------------------

@pytest.mark.parametrize("username", ["demo_admin", "demo_reviewer", "demo_viewer", "demo_secondee",
                                      "demo_liaison"])
def test_each_demo_role_sees_exactly_its_pages(live_server, browser, username):
    store = live_server.store
    context = new_context(browser)
    try:
        page = context.new_page()
        one_click(page, live_server.url, store, username)
        expected = [zh(f"nav.{spec.key}") for spec in navigation.pages_for(actor_for(store, username))]
        assert nav_titles(page) == expected
        # Lands on its home page, with the demo banner.
        home = navigation.home_for(actor_for(store, username))
        assert page.url.rstrip("/").endswith(f"/{home}")
        assert zh("app.demo_banner") in main_text(page)
    finally:
        context.close()


def test_a_second_account_of_a_role_signs_in_with_its_password(live_server, browser):
    """demo_talent has no one-click button (one per role); it signs in with the demo password."""
    store = live_server.store
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_talent")
        expected = [zh(f"nav.{spec.key}") for spec in navigation.pages_for(actor_for(store, "demo_talent"))]
        assert nav_titles(page) == expected
    finally:
        context.close()


# --- 3. refresh, second tab, sign-out ----------------------------------------------------------------------------

def test_refresh_and_second_tab_keep_the_session_until_sign_out(live_server, browser):
    store = live_server.store
    display = store.scalar("select display_name from users where username = 'demo_reviewer'")
    mine = "select s.id, s.revoked from sessions s join users u on u.id = s.user_id where u.username = 'demo_reviewer'"
    before = {r["id"] for r in store.rows(mine)}
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        page.locator(NAV_LINKS).filter(has_text=zh("nav.batches")).click()
        page.wait_for_url(re.compile(r"/batches"))
        wait_ready(page)

        page.reload()
        wait_ready(page)
        page.wait_for_selector(NAV_LINKS, timeout=30_000)
        assert page.url.rstrip("/").endswith("/batches")
        assert not is_sign_in_page(page)
        assert display in page.locator("[data-testid='stSidebar']").inner_text()

        second = context.new_page()
        second.goto(f"{live_server.url}/roster")
        wait_ready(second)
        second.wait_for_selector(NAV_LINKS, timeout=30_000)
        assert second.url.rstrip("/").endswith("/roster") and not is_sign_in_page(second)

        page.get_by_role("button", name=zh("app.sign_out")).click()
        wait_sign_in_form(page)
        wait_ready(page)
        page.reload()
        wait_ready(page)
        wait_sign_in_form(page)
        assert is_sign_in_page(page) and page.locator(NAV_LINKS).count() == 0

        # The other tab's session was the same one: it is over too.
        second.reload()
        wait_ready(second)
        wait_sign_in_form(second)
        assert is_sign_in_page(second)
    finally:
        context.close()
    ours = [r for r in store.rows(mine) if r["id"] not in before]
    assert len(ours) == 1 and ours[0]["revoked"] == 1  # one session for both tabs, ended by the sign-out


# --- 4. lock-out -----------------------------------------------------------------------------------------------

def _try(page, url: str, username: str, password: str) -> str:
    """One sign-in attempt on a freshly loaded page (so no earlier message is on screen; the lock is kept on
    the server, so reloading does not reset it). Returns the error shown."""
    page.goto(url)
    wait_ready(page)
    page.get_by_label(zh("field.username"), exact=True).fill(username)
    page.get_by_label(zh("field.password"), exact=True).fill(password)
    page.get_by_role("button", name=zh("signin.submit"), exact=True).click()
    page.wait_for_selector(f"{NAV_LINKS}, [data-testid='stAlertContentError']", timeout=30_000)
    wait_ready(page)
    assert page.locator(NAV_LINKS).count() == 0, "signed in"
    text = page.locator("[data-testid='stAlertContentError']").first.inner_text()
    return [line for line in text.splitlines() if line.strip()][-1].strip()  # without the icon's ligature


def test_five_wrong_passwords_block_the_username_from_that_browser(live_server, browser):
    """(That an unknown username gets exactly the same answers is checked without a browser in test_auth.py.)"""
    username = "demo_liaison2"
    context = new_context(browser)
    try:
        page = context.new_page()
        messages = [_try(page, live_server.url, username, f"wrong-password-{i}") for i in range(5)]
        assert messages[:4] == [zh("auth.failed")] * 4
        assert messages[4] == zh("auth.locked", minutes=15) and username not in messages[4]
        # Now even the right password is refused from this browser, with the same message.
        assert _try(page, live_server.url, username, auth.DEMO_PASSWORD) == zh("auth.locked", minutes=15)
        assert is_sign_in_page(page)
    finally:
        context.close()


# --- 5. a secondee and other people's records -------------------------------------------------------------------

def test_secondee_cannot_reach_another_secondee_by_url(live_server, browser):
    store = live_server.store
    me = actor_for(store, "demo_secondee")
    other = store.one("select p.id, p.name from participants p join activities a on a.participant_id = p.id "
                      "where p.id != ? and p.name not in (select display_name from users) "
                      "group by p.id order by count(*) desc limit 1", (me.participant_id,))
    context = new_context(browser)
    try:
        page = context.new_page()
        one_click(page, live_server.url, store, "demo_secondee")
        for path in ("/roster", f"/roster?id={other['id']}", f"/my_week?id={other['id']}",
                     f"/my_week?participant={other['id']}", f"/feedback?participant={other['id']}"):
            page.goto(f"{live_server.url}{path}")
            wait_ready(page)
            page.wait_for_selector(NAV_LINKS, timeout=30_000)
            text = main_text(page)
            assert other["name"] not in text, path
        # The profile URL with someone else's id is refused with a message, not a traceback.
        page.goto(f"{live_server.url}/profile?id={other['id']}")
        wait_ready(page)
        page.wait_for_selector("[data-testid='stAlertContentError']", timeout=30_000)
        assert "无权" in main_text(page)
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def test_switching_language_redraws_every_label_and_keeps_the_page(live_server, browser):
    # A select box would otherwise keep its option text in the old language (the week picker on My week).
    store = live_server.store
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_talent")
        week = page.locator(f"{MAIN} [data-testid='stSelectbox'] input").first  # shows the chosen option
        week.wait_for(timeout=30_000)
        assert week.input_value().endswith("本周")
        page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).first.click()
        page.get_by_role("heading", name="My week").wait_for(timeout=30_000)
        page.wait_for_function(
            "() => { const s = document.querySelector(\"[data-testid='stMain'] [data-testid='stSelectbox'] input\");"
            " return s && s.value.endsWith('this week'); }", timeout=30_000)
        wait_ready(page)
        assert "本周" not in page.locator(f"{MAIN} [data-testid='stSelectbox'] input").first.input_value()
        assert "/my_week" in page.url and page.locator(NAV_LINKS).count() > 0  # same page, still signed in
        assert store.scalar("select language from users where username = 'demo_talent'") == "en"
    finally:
        context.close()


# --- 6. the session cookie, and the next person on a shared computer ------------------------------------------

def test_the_session_cookie_is_set_by_the_server_and_never_readable_by_scripts(live_server, browser):
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        cookie = next(c for c in context.cookies() if c["name"] == web.COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert web.COOKIE not in page.evaluate("document.cookie")          # no script on the page can read it
        assert cookie["value"] not in page.content()                         # and it was never written into it
        # A refresh resumes the session from the cookie alone.
        page.reload()
        page.wait_for_selector(NAV_LINKS, timeout=30_000)
    finally:
        context.close()


def test_sign_out_then_sign_in_as_another_role_lands_on_their_home(live_server, browser):
    """On a shared office computer: the reviewer signs out on the roster; the secondee who signs in next on the
    same tab lands on their own week, not on a refusal of the reviewer's page."""
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        page.goto(f"{live_server.url}/roster")
        wait_ready(page)
        page.get_by_role("button", name=zh("app.sign_out")).click()
        wait_sign_in_form(page)
        assert not any(c["name"] == web.COOKIE for c in context.cookies())
        assert "/roster" not in page.url
        page.get_by_label(zh("field.username"), exact=True).fill("demo_secondee")
        page.get_by_label(zh("field.password"), exact=True).fill(auth.DEMO_PASSWORD)
        page.get_by_role("button", name=zh("signin.submit"), exact=True).click()
        page.wait_for_selector(NAV_LINKS, timeout=30_000)
        wait_ready(page)
        page.get_by_role("heading", name=zh("nav.my_week")).wait_for(timeout=30_000)
        assert zh("common.page_refused", role=vocab.label("app_role", "secondee", "zh")) not in main_text(page)
    finally:
        context.close()
