"""The real app in Chromium: a leader opens it and sees the programme at once."""
import pytest
from conftest import new_context, wait_ready

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
