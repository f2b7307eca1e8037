"""The real app in Chromium: a leader opens it and sees the programme at once."""
import pytest
from conftest import new_context, open_from_menu, to_english, wait_ready

pytestmark = pytest.mark.browser


def test_overview_renders_68_in_a_real_browser(browser, live_server, tmp_path):
    context = new_context(browser)
    page = context.new_page()
    page.goto(live_server.url)
    page.get_by_text("演示数据").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="领导").first.click()
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    wait_ready(page)
    metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("挂职人员" in m and "68" in m for m in metrics), metrics
    assert any("干部批次" in m and "5" in m for m in metrics), metrics
    assert any("人才批次" in m and "4" in m for m in metrics), metrics
    # Plotly draws after the metrics arrive; wait for the four charts rather than count too early.
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 4
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    context.close()


def _pick(page, label: str, value: str) -> None:
    """Choose ``value`` in the select box labelled ``label``, typing it as a person filters the list."""
    box = page.get_by_label(label, exact=True).or_(page.locator(
        f"[data-testid='stSelectbox']:has(label:text-is('{label}')) input")).first
    box.click()
    box.fill(value)
    page.keyboard.press("Enter")
    wait_ready(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_one_month_trend_is_one_month_labelled_in_the_language(browser, live_server, lang):
    """One month chosen: a single category named "2026-11", never a millisecond time axis in English, and the
    y-axis title written level (not turned on its side)."""
    from conftest import sign_in

    from secondment import clock, i18n

    def tr(key):
        return i18n.translate(lang, key)

    # The newest month in which items were raised (China time), so the month has a trend to draw on any date.
    newest = live_server.store.scalar("select max(created_at) from feedback")
    month = clock.local_time(newest, "%Y-%m")
    context = new_context(browser, lang="zh-CN" if lang == "zh" else "en-US")
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "demo_reviewer")
        if lang == "en":
            to_english(page)
        open_from_menu(page, "flows")
        page.get_by_text(tr("flows.period_from")).first.wait_for(timeout=30_000)
        wait_ready(page)
        _pick(page, tr("flows.period_from"), month)
        _pick(page, tr("flows.period_to"), month)
        page.get_by_role("tab", name=tr("flows.tab_trends")).click()
        page.wait_for_selector(".js-plotly-plot .xtick text", timeout=30_000)
        wait_ready(page)
        def texts(selector):
            return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")

        ticks = texts(".js-plotly-plot .xtick text")
        assert ticks == [month], ticks
        assert page.locator(".js-plotly-plot .ytitle").count() == 0          # no title on its side
        level = texts(".js-plotly-plot .annotation-text")
        assert any(t.strip() for t in level), level                              # … it stands level above
    finally:
        context.close()
