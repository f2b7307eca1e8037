"""In a real browser, on a demo planted with Markdown, HTML and image syntax in every text field: every page of
a reviewer, a secondee and an administrator shows it as typed, draws no heading, link or image from it, and asks
no host but the app's own for anything (an intranet has no way out, and an outside "image" is a beacon)."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from conftest import LiveServer, copy_demo, new_context, sign_in, wait_ready
from test_user_text import TAGS, payload, plant

from secondment import navigation, permissions
from secondment.permissions import Actor

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def planted_server(demo_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted_live")
    store = copy_demo(demo_file, folder / "planted.db")
    plant(store)
    server = LiveServer(store.path, folder / "streamlit.log")
    server.store = store
    yield server
    server.stop()


def pages_for(role: str) -> list[str]:
    probe = Actor(None, "probe", role, participant_id=1, department_id=1)
    return [spec.key for spec in navigation.PAGES if permissions.can(probe, spec.action)]


@pytest.mark.parametrize("username, role", [("demo_reviewer", "reviewer"), ("demo_secondee", "secondee"),
                                            ("demo_admin", "admin")])
def test_planted_markup_is_shown_as_typed_and_nothing_leaves_the_intranet(browser, planted_server, username, role):
    server = planted_server
    own = urlparse(server.url).netloc
    outside: list[str] = []
    context = new_context(browser)
    context.on("request", lambda request: outside.append(request.url)
               if urlparse(request.url).scheme in ("http", "https", "ws", "wss")
               and urlparse(request.url).netloc != own else None)
    try:
        page = context.new_page()
        sign_in(page, server.url, username)
        literal_seen = False
        for key in pages_for(role):
            page.goto(f"{server.url}/{key}")
            wait_ready(page)
            page.wait_for_timeout(500)
            report = page.evaluate("""tags => {
                const main = document.querySelector("[data-testid='stApp']");
                const headings = [...main.querySelectorAll("h1,h2,h3,h4,h5,h6")].map(h => h.innerText)
                    .filter(t => tags.some(tag => t.trim().startsWith(tag)));
                const strong = [...main.querySelectorAll("strong,b,em")].map(e => e.innerText)
                    .filter(t => tags.includes(t.trim()));
                const links = [...main.querySelectorAll("a[href]")].map(a => a.href)
                    .filter(h => h.includes("evil.example"));
                const images = [...main.querySelectorAll("img[src]")].map(i => i.src)
                    .filter(s => !s.startsWith(location.origin) && !s.startsWith("data:"));
                return {headings, strong, links, images, text: main.innerText.replaceAll("\u2060", "")};
            }""", list(TAGS.values()))
            assert not report["headings"], (key, report["headings"][:3])
            assert not report["strong"], (key, report["strong"][:3])
            assert not report["links"] and not report["images"], (key, report["links"][:3], report["images"][:3])
            literal_seen |= any(f"**{tag}**" in report["text"] and f"![{tag}](" in report["text"]
                                for tag in TAGS.values())
        assert literal_seen, "no page showed the planted syntax as typed: the test would prove nothing"
        assert not outside, f"requests to other hosts: {sorted(set(outside))[:10]}"
    finally:
        context.close()


def test_the_payload_reads_back_whole(browser, planted_server):
    """A secondee's entry title is shown character for character as it was typed."""
    server = planted_server
    context = new_context(browser)
    try:
        page = context.new_page()
        sign_in(page, server.url, "demo_secondee")
        page.goto(f"{server.url}/practices")
        wait_ready(page)
        tag = TAGS[("practices", "title")]
        page.wait_for_function("text => document.querySelector(\"[data-testid='stMain']\").innerText"
                               ".replaceAll('\\u2060', '').includes(text)", arg=payload(tag), timeout=30_000)
    finally:
        context.close()
