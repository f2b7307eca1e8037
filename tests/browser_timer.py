"""Time full page loads and tab switches in Debian's Chromium, for ``python -m secondment.bench --browser``.

    python tests/browser_timer.py DB USERNAME RUNS PAGE [PAGE ...]

Starts the app on a free port against DB (``streamlit run app.py``, as in production), signs in as USERNAME
and, for each page, loads it RUNS times (a new load through its address, until the script is done and nothing
is running) and switches RUNS + 1 times to each of its tabs (back to the first tab between switches). Prints one JSON line
per page (the median seconds of its loads after the first, which warms the server's kept results) and per tab
(the median of its switches after the first, and the first: the tab's first run on this server).
"""
from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, SCRIPT_DONE, LiveServer, sign_in

DONE = f"() => document.querySelector(\"[data-testid='stMain'] h1\") !== null && ({SCRIPT_DONE})()"


def settled(page, timeout: float = 120_000) -> None:
    """The script has finished: the heading is drawn and Streamlit's script state has said "not running" at two
    checks 150 ms apart (a rerun may follow the first run). The figures so include about 0.3 s of this waiting."""
    for _ in range(2):
        page.wait_for_function(DONE, timeout=timeout)
        page.wait_for_timeout(150)


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    path, username, runs, *pages = argv
    runs = int(runs)
    with tempfile.TemporaryDirectory() as folder:
        server = LiveServer(Path(path), Path(folder) / "streamlit.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
                sign_in(page, server.url, username)
                for key in pages:
                    times = []
                    for _ in range(runs + 1):            # the first load warms the server's caches
                        start = time.perf_counter()
                        page.goto(f"{server.url}/{key}")
                        settled(page)
                        times.append(time.perf_counter() - start)
                    print(json.dumps({"view": key, "median_s": statistics.median(times[1:])}), flush=True)
                    tabs = page.locator("[data-testid='stMain'] [role='tab']")
                    for i in range(1, tabs.count()):
                        name = tabs.nth(i).inner_text().strip()
                        times = []
                        for _ in range(runs + 1):        # the first switch runs the tab on this server first
                            start = time.perf_counter()
                            tabs.nth(i).click()
                            settled(page)
                            times.append(time.perf_counter() - start)
                            tabs.nth(0).click()          # back to the first tab, for the next switch
                            settled(page)
                        print(json.dumps({"view": f"{key} › {name}", "median_s": statistics.median(times[1:]),
                                          "first_s": times[0]}), flush=True)
                browser.close()
            status = Path(f"/proc/{server.proc.pid}/status").read_text()   # the server's peak resident memory
            print(json.dumps({"server_peak_mb": round(int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024)}))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
