"""The every-page walk of test_browser_every_page.py in English: a module of its own, so that with two workers the
Chinese and the English walks run at the same time (each module keeps its one app server on one worker)."""
from __future__ import annotations

import pytest
from test_browser_every_page import ENGLISH_WALKERS, walk

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username", ENGLISH_WALKERS)
def test_every_page_speaks_english_and_shows_no_raw_values(browser, live_server, username):
    walk(browser, live_server, username, "en")
