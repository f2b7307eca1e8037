"""Shared fixtures: stores (empty and demo), actors, AppTest runs as a given user, and the browser harness.

The demo programme is built once per test session and copied per test (a file copy is milliseconds),
so each test may write freely.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secondment import auth, clock, db, web
from secondment.permissions import Actor

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    if not config.getoption("numprocesses", None):
        # One process: fast tests first, browser tests last, so a broken core fails in seconds.
        items.sort(key=lambda item: 1 if item.get_closest_marker("browser") else 0)
        return
    # Several workers (pyproject.toml: -n 2 --dist loadfile): a module stays on one worker, so a browser
    # module's one app server serves all its tests; the browser modules, the longest, start first.
    items.sort(key=lambda item: 0 if item.get_closest_marker("browser") else 1)


# --- stores ------------------------------------------------------------------------------------

@pytest.fixture
def empty_store(tmp_path) -> db.Store:
    return db.open_store(tmp_path / "empty.db")


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> Path:
    from secondment import demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo.build(path, today=clock.today())
    # Fold the WAL into the main file so a plain copy carries everything.
    conn = db.connect(path)
    conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture(scope="session")
def city_file(tmp_path_factory) -> Path:
    """A synthetic programme of 400 participants (more than 40 batches, about 70 people active at once)."""
    from secondment import demo

    path = tmp_path_factory.mktemp("city") / "city.db"
    demo.synthetic(path, "S", participants=400)
    conn = db.connect(path)
    conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def city_store(city_file, tmp_path) -> db.Store:
    return copy_demo(city_file, tmp_path / "city.db")


def copy_demo(demo_file: Path, target: Path) -> db.Store:
    shutil.copyfile(demo_file, target)
    return db.open_store(target)


@pytest.fixture
def demo_store(demo_file, tmp_path) -> db.Store:
    return copy_demo(demo_file, tmp_path / "demo.db")


def actor_for(store: db.Store, username: str) -> Actor:
    row = store.one("select * from users where username = ?", (username,))
    assert row is not None, f"no user {username}"
    return auth.actor_from_row(row)


@pytest.fixture
def as_user(demo_store):
    """``as_user("demo_reviewer")`` → that demo account's Actor."""
    return lambda username: actor_for(demo_store, username)


# --- page tests ----------------------------------------------------------------------------------

def _serve_through_navigation() -> None:
    """AppTest starts every run as if no session of the server had yet called ``st.navigation``: with a pages/
    folder beside app.py, Streamlit's old folder mode would then run the page file alone, without app.py, and
    the page's router would rerun (dropping a click). A running server leaves that mode after its first session,
    so the tests start where a browser meets the app: app.py's navigation decides."""
    from streamlit.runtime import pages_manager
    from streamlit.testing.v1 import app_test as module

    class ServedPagesManager(pages_manager.PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pages_manager.PagesManager.uses_pages_directory = False

    module.PagesManager = ServedPagesManager


def app_test(page: str, store: db.Store, username: str | None, *, lang: str = "zh", timeout: float = 30,
             query: dict | None = None):
    """An AppTest of the app opened on ``pages/<page>.py``, run as ``username`` (None = signed out), on ``store``.

    Signs in the real way: a server-side session and its signed token in session state.
    """
    from streamlit.testing.v1 import AppTest

    os.environ["SECONDMENT_DB"] = str(store.path)
    # Through app.py, as a browser comes: its navigation, sign-in gate and sidebar run before the page does.
    _serve_through_navigation()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.switch_page(f"pages/{page}.py")
    # AppTest re-requests a switched-to page on every run, which Streamlit treats as a new navigation (a click
    # is dropped), so the request is forgotten after the first run: then the test stays wherever the app goes.
    first_run = at.run

    def run(*args, **kwargs):
        result = first_run(*args, **kwargs)
        at._page_hash = ""
        return result

    at.run = run
    if username is not None:
        at.session_state["_session_token"] = auth.start_session(store, actor_for(store, username))
    at.session_state["lang"] = lang
    if query:
        for key, value in query.items():
            at.query_params[key] = value
    return at


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(monkeypatch):
    """Failed sign-ins are counted in the server's memory: each test starts with none."""
    from secondment import throttle

    monkeypatch.setattr(throttle, "SIGN_IN", throttle.Throttle())


@pytest.fixture(autouse=True)
def _restore_db_env():
    before = os.environ.get("SECONDMENT_DB")
    yield
    if before is None:
        os.environ.pop("SECONDMENT_DB", None)
    else:
        os.environ["SECONDMENT_DB"] = before


_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_read(markdown_source: str) -> str:
    """A Markdown source as a person reads it where it only escapes characters: each backslash escape shows the
    character itself (CommonMark), and a hard line break is a line break."""
    return _MD_ESCAPE.sub(r"\1", str(markdown_source)).replace("  \n", "\n").replace("\u2060", "")


def visible_text(at) -> str:
    """Everything a person would read on an AppTest page, as one string (Markdown escapes read as their
    characters, as the browser shows them)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "metric", "text", "exception"):
        for el in getattr(at, kind, []):
            value = getattr(el, "value", None)
            label = getattr(el, "label", None)
            parts.extend(as_read(v) if kind != "text" else str(v) for v in (label, value) if v is not None)
    return "\n".join(parts)


# --- browser harness --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``streamlit run app.py`` on a free port against its own database file."""

    def __init__(self, db_path: Path, log_path: Path, cpus: set[int] | None = None):
        """``cpus``: the cores the server may run on (the load run's ``--split-cores``); all by default."""
        self.db_path = db_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, "SECONDMENT_DB": str(db_path), "PYTHONUNBUFFERED": "1"}
        self.log = open(log_path, "w")  # noqa: SIM115 - open for the server's lifetime, closed in stop()
        pin = ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus else []
        self.proc = subprocess.Popen(
            [*pin, sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        import urllib.request

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start in {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def browser():
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the test command installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def live_server(demo_file, tmp_path_factory):
    """One app server per test module, on a private copy of the demo database."""
    folder = tmp_path_factory.mktemp("live")
    store = copy_demo(demo_file, folder / "live.db")
    server = LiveServer(store.path, folder / "streamlit.log")
    server.store = store
    yield server
    server.stop()
    # Shown only when a test of the module failed: the server's own account of what went wrong.
    print("--- streamlit log (last 40 lines) ---")
    print("\n".join(server.log_path.read_text(errors="replace").splitlines()[-40:]))


def new_context(browser, lang: str = "zh-CN", **options):
    """A browser context (one person). Closed while a test is failing, it first prints what each of its
    pages shows, so a CI log says what the person saw instead of only which wait timed out."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, "locale": lang, **options})
    close = context.close

    def close_reporting(*args, **kwargs):
        if sys.exc_info()[0] is not None:
            for page in context.pages:
                print(f"--- what {page.url} showed when the test failed ---")
                try:
                    print(page.locator("[data-testid='stMain']").inner_text(timeout=2_000)[:4000])
                except Exception as error:  # noqa: BLE001 - the page itself may be what broke
                    print(f"(could not read the page: {error})")
        close(*args, **kwargs)

    context.close = close_reporting
    return context


# The page's script has run to its end. Streamlit marks its root with the script's state (the status widget's
# "Running" shows only after a short delay, so it alone says nothing in the first moments of a run).
SCRIPT_DONE = ("() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
               " const state = app && app.getAttribute('data-test-script-state');"
               " const busy = document.querySelector('[data-testid=\"stStatusWidget\"]');"
               " return !!state && state !== 'running' && state !== 'rerunRequested' && state !== 'initial'"
               " && !(busy && busy.innerText.match(/Running|运行/)); }")


def wait_ready(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' indicator)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(SCRIPT_DONE, timeout=timeout)
    page.wait_for_timeout(300)


def wait_until(predicate, what: str, timeout: float = 30) -> None:
    """Poll ``predicate`` (e.g. a database query) until true; fail naming ``what`` was awaited."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError(f"waited {timeout:g}s for: {what}")
        time.sleep(0.2)


def open_from_menu(page, key: str) -> None:
    """Open the page ``key`` through the sidebar menu, as a person goes (no reload), and wait until it is drawn.
    The menu's links are relative ("flows") or, under a base path, end in "/flows"."""
    page.locator(f"[data-testid='stSidebar'] a[href='{key}'], [data-testid='stSidebar'] a[href$='/{key}']"
                 ).first.click()
    page.wait_for_function("k => location.pathname.endsWith('/' + k)", arg=key, timeout=30_000)
    wait_ready(page)


def to_english(page) -> None:
    """Switch the signed-in session to English with the sidebar's language picker (the page reloads)."""
    page.get_by_text("English", exact=True).first.click()
    page.wait_for_timeout(1500)
    wait_ready(page)


def sign_in(page, base_url: str, username: str, password: str = auth.DEMO_PASSWORD) -> None:
    page.goto(base_url)
    page.get_by_label("用户名").or_(page.get_by_label("Username")).first.fill(username)
    page.get_by_label("密码").or_(page.get_by_label("Password")).first.fill(password)
    page.get_by_role("button", name="登录").or_(page.get_by_role("button", name="Sign in")).first.click()
    # app.py draws the role's menu itself (st.page_link in the sidebar); Streamlit's own nav is off.
    page.wait_for_selector("[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']", timeout=30_000)
    wait_ready(page)
    # The page fetches its HttpOnly session cookie in the background (no reload); a test may reload next.
    wait_until(lambda: any(c["name"] == web.COOKIE for c in page.context.cookies()), "the session cookie")
