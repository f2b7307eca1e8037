"""The presentation, the handout and the cockpit in a real browser, at a projector's and a laptop's size:
every slide fits with nothing else on the screen, the keyboard and a click step through it, the cockpit
refreshes by itself, the handout prints one slide per A4 page, and nothing is asked of any other host."""
import re
from urllib.parse import urlparse

import pytest
from conftest import new_context, sign_in, wait_ready

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768)]

# What a slide that does not fit looks like: the slide (or its body) taller than the screen, a scroll bar, or a
# drawn element reaching past the screen's edge.
FITS = """() => {
  const s = document.querySelector('.slide.current');
  const out = [...s.querySelectorAll('*')].filter(e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (r.bottom > innerHeight + 1 || r.right > innerWidth + 1 || r.left < -1); })
    .map(e => e.tagName + '.' + (e.getAttribute('class') || '')).slice(0, 5);
  const body = s.querySelector('.body');
  return {key: s.dataset.key, out, slideFits: s.scrollHeight <= s.clientHeight + 1,
          bodyFits: body.scrollHeight <= body.clientHeight + 1,
          scrolls: document.documentElement.scrollHeight > innerHeight + 1 || document.documentElement.scrollWidth > innerWidth + 1,
          chrome: !!document.querySelector('[data-testid], iframe'),
          drawn: [...s.querySelectorAll('[data-fig]')].every(c => c.querySelector('.main-svg'))};
}"""


@pytest.fixture(scope="module")
def viewer_cookies(browser, live_server):
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url, "demo_viewer")
    cookies = context.cookies()
    context.close()
    return cookies


def person(browser, cookies, width=1920, height=1080, lang="zh-CN"):
    context = new_context(browser, lang=lang, viewport={"width": width, "height": height})
    context.add_cookies(cookies)
    hosts = set()
    context.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    return context, hosts


# Both sizes, and both kinds of period (a whole programme's figures are the longest, this year's the emptiest).
@pytest.mark.parametrize("width,height,period", [(1920, 1080, "all"), (1366, 768, "year"), (1366, 768, "all")])
def test_every_slide_fits_the_screen_with_nothing_else_on_it(browser, live_server, viewer_cookies, width, height,
                                                               period):
    from secondment import clock

    key = "all" if period == "all" else f"year:{clock.today().year}"
    context, hosts = person(browser, viewer_cookies, width, height)
    page = context.new_page()
    page.goto(f"{live_server.url}/_deck/present?period={key}")
    page.wait_for_selector(".slide.current")
    total = page.locator(".slide").count()
    assert total >= 6
    seen = []
    for n in range(1, total + 1):
        page.wait_for_function("n => document.body.dataset.slide === String(n)", arg=n)
        page.wait_for_function("() => [...document.querySelectorAll('.slide.current [data-fig]')]"
                               ".every(c => c.querySelector('.main-svg'))", timeout=15_000)
        fit = page.evaluate(FITS)
        assert fit["slideFits"] and fit["bodyFits"] and not fit["out"], (width, height, fit)
        assert not fit["scrolls"] and not fit["chrome"], fit
        assert page.locator("#counter").inner_text() == f"{n} / {total}"
        seen.append(fit["key"])
        page.keyboard.press("ArrowRight")
    assert seen[0] == "programme" and seen[-1] == "compare" and len(set(seen)) == total
    assert hosts == {urlparse(live_server.url).netloc}, hosts
    context.close()


def test_keyboard_click_and_a_link_step_through_the_slides_and_escape_leaves(browser, live_server, viewer_cookies):
    context, _ = person(browser, viewer_cookies, 1366, 768)
    page = context.new_page()
    page.goto(f"{live_server.url}/_deck/present?period=all&slide=3")
    page.wait_for_selector(".slide.current")
    current = lambda: page.evaluate("() => document.querySelector('.slide.current').dataset.key")
    assert current() == "roles" and page.locator("#counter").inner_text().startswith("3 /")
    page.keyboard.press("ArrowLeft")
    assert current() == "where"
    page.keyboard.press("Space")
    assert current() == "roles"
    page.mouse.click(600, 400)                       # a click anywhere: the next slide
    assert current() == "talents"
    assert re.search(r"[?&]slide=4\b", page.url)     # the address opens the slide shown
    page.keyboard.press("End")
    total = page.locator(".slide").count()
    assert page.locator("#counter").inner_text() == f"{total} / {total}"
    page.keyboard.press("ArrowRight")                # round to the first
    assert current() == "programme"
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/presentation$"))
    wait_ready(page)
    page.get_by_role("heading", name="演示模式").wait_for(timeout=30_000)
    context.close()


def test_autoplay_moves_on_by_itself(browser, live_server, viewer_cookies):
    context, _ = person(browser, viewer_cookies, 1366, 768)
    page = context.new_page()
    page.goto(f"{live_server.url}/_deck/present?period=all&auto=8")
    page.wait_for_selector(".slide.current")
    assert page.evaluate("() => document.body.dataset.slide") == "1"
    page.wait_for_function("() => document.body.dataset.slide === '2'", timeout=15_000)
    page.keyboard.press("p")                          # P stops it
    assert page.get_by_role("button", name=re.compile("自动播放")).get_attribute("aria-pressed") == "false"
    context.close()


@pytest.mark.parametrize("width,height", SIZES)
def test_the_cockpit_refreshes_itself_and_shows_no_streamlit_chrome(browser, live_server, viewer_cookies, width,
                                                                     height):
    context, hosts = person(browser, viewer_cookies, width, height)
    page = context.new_page()
    page.goto(f"{live_server.url}/_deck/cockpit?refresh=2")
    page.wait_for_selector("#board")
    first = page.locator("#board").get_attribute("data-stamp")
    page.wait_for_function("() => Number(document.body.dataset.refreshed) >= 2", timeout=20_000)
    assert not page.locator("[data-testid], iframe").count()
    assert page.locator(".street").count() == 10 and page.locator(".tile").count() == 5
    fit = page.evaluate("() => [document.documentElement.scrollHeight <= innerHeight,"
                        " document.documentElement.scrollWidth <= innerWidth]")
    assert fit == [True, True]
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 21, 38)"          # the dark theme
    page.wait_for_function("s => document.querySelector('#board').dataset.stamp !== s", arg=first, timeout=10_000)
    assert hosts == {urlparse(live_server.url).netloc}, hosts
    context.close()


def test_the_handout_prints_one_slide_per_a4_landscape_page(browser, live_server, viewer_cookies):
    context, _ = person(browser, viewer_cookies)
    page = context.new_page()
    page.goto(f"{live_server.url}/_deck/handout?period=all&lang=en")
    page.wait_for_function("() => [...document.querySelectorAll('[data-fig]')].every(c => c.querySelector('.main-svg'))",
                           timeout=20_000)
    slides = page.locator(".slide").count()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) == slides
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    width, height = float(box.group(1)), float(box.group(2))
    assert abs(width - 842) < 3 and abs(height - 595) < 3      # A4 landscape, in points
    assert "Two-way secondment" in page.locator(".slide").first.inner_text()
    context.close()


def test_the_presentation_page_opens_the_slides_in_a_new_tab(browser, live_server, viewer_cookies):
    context, _ = person(browser, viewer_cookies)
    page = context.new_page()
    page.goto(f"{live_server.url}/presentation")
    wait_ready(page)
    with context.expect_page() as opened:
        page.get_by_role("link", name="开始放映").click()
    slides = opened.value
    slides.wait_for_selector(".slide.current")
    assert "/_deck/present" in slides.url and "period=all" in slides.url
    context.close()
