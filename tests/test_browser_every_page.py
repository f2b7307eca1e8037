"""Every page of every demo role, in Chinese and in English, in a real browser, tab by tab: no English word in the
Chinese interface that is not data, no "None", "nan", "NaT", "undefined" or raw ISO timestamp anywhere, no
traceback, and no request to any host but the app's own."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from conftest import new_context, open_from_menu, sign_in, to_english, wait_ready

from secondment import navigation, permissions
from secondment.permissions import Actor

pytestmark = pytest.mark.browser

ROLES = {"demo_admin": "admin", "demo_reviewer": "reviewer", "demo_viewer": "viewer", "demo_secondee": "secondee",
         "demo_talent": "secondee", "demo_liaison": "liaison"}
# Latin text that is not English prose: codes, units and names of formats people know by them.
ALLOWED = {"english", "csv", "xlsx", "excel", "word", "docx", "gb", "mb", "kb", "id", "ok", "pdf", "url", "cli", "sqlite", "utc", "wal", "db",
           "python", "secondment", "esc", "init", "demo", "admin", "bash", "https", "http", "sm", "key", "iso",
           # the names of browsers and systems ("my account" lists each session by them)
           "chrome", "headlesschrome", "chromium", "firefox", "safari", "edge", "linux", "windows", "mac", "os",
           "ios", "android", "ubuntu"}
BAD_TOKENS = re.compile(r"\b(None|nan|NaN|NaT|undefined|null|Invalid Date)\b")
ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
READ_PAGE = """() => {
    const parts = [];
    // Text drawn at size 0 is hidden on purpose (Streamlit's own English, replaced by the app's own words).
    document.querySelectorAll("[data-testid='stMain'] *, [data-testid='stSidebar'] *").forEach(e => {
        if (getComputedStyle(e).fontSize === "0px") e.setAttribute("data-unseen", "1");
    });
    for (const selector of ["[data-testid='stMain']", "[data-testid='stSidebar']"]) {
        const node = document.querySelector(selector);
        if (!node) continue;
        const copy = node.cloneNode(true);
        // Material icons are drawn from ligature names ("download", "event_busy"): not words a person reads.
        // Icons are ligature names; a command shown in a code block is a command, not prose.
        copy.querySelectorAll("[data-testid='stIconMaterial'], .material-symbols-rounded, [translate='no'], " +
                              "[data-testid='stCode'], pre, code").forEach(e => e.remove());
        copy.querySelectorAll("[data-unseen]").forEach(e => {
            // keep what is drawn in its place (a ::after content) out of the reading as well
            [...e.childNodes].forEach(c => { if (c.nodeType === 3) c.textContent = ""; });
        });
        document.body.appendChild(copy);
        copy.style.position = "absolute"; copy.style.left = "-99999px";
        parts.push(copy.innerText);
        copy.remove();
    }
    // The grids draw on a canvas; their accessible tables hold the cells' text.
    document.querySelectorAll("[data-testid='stDataFrame'] table").forEach(t => parts.push(t.innerText));
    parts.push([...document.querySelectorAll("input[placeholder], textarea[placeholder]")]
               .map(e => e.placeholder).join("\\n"));
    return parts.join("\\n").replaceAll("\\u2060", "");
}"""


def pages_for(role: str) -> list[str]:
    probe = Actor(None, "probe", role, participant_id=1, department_id=1)
    return [spec.key for spec in navigation.PAGES if permissions.can(probe, spec.action)]


def data_words(store) -> set[str]:
    """Latin words that occur in the data itself (an enterprise may be called "ABC科技")."""
    words: set[str] = set()
    for table, columns in {"participants": ("name", "post", "contact", "notes"), "units": ("name", "industry"),
                           "activities": ("title", "description", "outcome"), "feedback": ("summary", "details",
                                                                                           "answer"),
                           "practices": ("title", "summary"), "users": ("username", "display_name")}.items():
        for column in columns:
            for row in store.rows(f"select {column} as v from {table} where {column} glob '*[A-Za-z]*'"):
                words |= {w.lower() for w in re.findall(r"[A-Za-z]{2,}", row["v"] or "")}
    return words


def problems_on(page, lang: str, known: set[str]) -> list[str]:
    text = page.evaluate(READ_PAGE)
    found = [f"shows {m.group(0)!r}" for m in BAD_TOKENS.finditer(text)]
    found += [f"raw timestamp {m.group(0)!r}" for m in ISO_STAMP.finditer(text)]
    if page.locator("[data-testid='stException']").count():
        found.append("a traceback")
    # Streamlit's copy button on a command or link says "Copy to clipboard" unless the app gives it its words.
    want = "复制" if lang == "zh" else "Copy"
    for said in page.eval_on_selector_all("[data-testid='stCode'] button", "bs => bs.map(b => b.ariaLabel)"):
        if said != want:
            found.append(f"copy button says {said!r}")
    if lang == "zh":
        english = {w for w in re.findall(r"[A-Za-z]{2,}", text)
                   if w.lower() not in ALLOWED and w.lower() not in known and not re.fullmatch(r"[CT]\d+|W\d+", w)}
        found += [f"English word {w!r}" for w in sorted(english)]
        found += [f"English unit {m.group(0)!r}" for m in re.finditer(r"\d\s?(h|hrs?|min|d)\b", text)]
    return found


@pytest.mark.parametrize("username", list(ROLES))
def test_every_page_speaks_chinese_and_shows_no_raw_values(browser, live_server, username):
    walk(browser, live_server, username, "zh")


# In English: test_browser_every_page_en.py (a module of its own, so the two walks run on two workers).
ENGLISH_WALKERS = [u for u in ROLES if u not in ("demo_talent", "demo_viewer")]   # theirs are the secondee's and
                                                                                  # the reviewer's pages


def walk(browser, live_server, username: str, lang: str) -> None:
    known = data_words(live_server.store)
    own = urlparse(live_server.url).netloc
    outside: list[str] = []
    context = new_context(browser, lang="zh-CN" if lang == "zh" else "en-US")
    context.on("request", lambda r: outside.append(r.url) if urlparse(r.url).scheme in ("http", "https")
               and urlparse(r.url).netloc != own else None)
    report: list[str] = []
    try:
        page = context.new_page()
        if username == "demo_admin":      # the sign-in page, as a stranger sees it
            page.goto(live_server.url)
            page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).first.wait_for(timeout=30_000)
            wait_ready(page)
            report += [f"sign_in: {p}" for p in problems_on(page, lang, known)]
        sign_in(page, live_server.url, username)
        if lang == "en":
            to_english(page)
        keys = pages_for(ROLES[username])
        if lang == "en" and username == "demo_admin":    # the reviewer's English walk covers the pages they share
            keys = [k for k in keys if k not in pages_for("reviewer")]
        for key in keys:
            open_from_menu(page, key)   # no reload, so the whole walk stays quick
            page.wait_for_timeout(250)
            report += [f"{key}: {p}" for p in problems_on(page, lang, known)]
            tabs = page.locator("[data-testid='stMain'] [role='tab']")
            for i in range(1, tabs.count()):
                tabs.nth(i).click()
                wait_ready(page)
                report += [f"{key} tab {i}: {p}" for p in problems_on(page, lang, known)]
        assert not outside, sorted(set(outside))[:5]
        assert not report, "\n".join(sorted(set(report))[:40])
    finally:
        context.close()
