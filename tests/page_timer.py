"""Time one page under Streamlit's AppTest, for ``python -m secondment.bench`` (which runs this file in a child
process so that the core itself never imports Streamlit).

    python tests/page_timer.py DB PAGE USERNAME RUNS [STATE]

STATE, a JSON object, is put into the session before the first run (e.g. which tab is open). Prints one JSON
line: the median script-run time, the median time spent inside ``Store.read()/write()`` (the SQL the page
needs, fetches included), the peak Python memory of one run and the size of what one run sends to the browser
(the serialized messages: elements, tables as Arrow, charts as JSON).
"""
from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

from secondment import auth, db, navigation


class _SqlClock:
    """Adds up the time spent inside Store.read()/write() blocks (the SQL a page needs, fetches included)."""

    def __init__(self):
        self.seconds = 0.0
        self._orig_read = db.Store.read
        self._orig_write = db.Store.write

    def install(self):
        clock = self

        def timed(orig):
            @contextmanager
            def wrapper(store):
                start = time.perf_counter()
                with orig(store) as conn:
                    yield conn
                clock.seconds += time.perf_counter() - start
            return wrapper

        db.Store.read = timed(self._orig_read)
        db.Store.write = timed(self._orig_write)

    def uninstall(self):
        db.Store.read = self._orig_read
        db.Store.write = self._orig_write


class _SentBytes:
    """The size of the messages the last run produced (what a browser would be sent)."""

    def __init__(self):
        from streamlit.testing.v1 import local_script_runner

        self.bytes = 0
        runner = local_script_runner.LocalScriptRunner
        original = runner.forward_msgs
        meter = self

        def counted(self_):
            messages = original(self_)
            meter.bytes = sum(m.ByteSize() for m in messages)
            return messages

        runner.forward_msgs = counted


def _one_script_cache() -> None:
    """Compile each page once, as the server does (one script cache for the whole runtime): AppTest makes a new
    cache on every run, so it would time the compiling (and Streamlit's "magic" rewrite) of the page as well."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def measure_page(store: db.Store, spec: navigation.PageSpec, username: str, runs: int,
                 state: dict | None = None) -> dict:
    from streamlit.testing.v1 import AppTest

    sent = _SentBytes()
    _one_script_cache()

    os.environ["SECONDMENT_DB"] = str(store.path)
    actor = auth.actor_from_row(store.one("select * from users where username = ?", (username,)))
    token = auth.start_session(store, actor)

    def one_run(at=None):
        if at is None:
            # Through app.py, as a browser comes: its navigation (which the pages' links need), the sidebar's
            # bell and counts, then the page.
            from conftest import _serve_through_navigation  # the tests' own way through app.py

            _serve_through_navigation()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.switch_page(f"pages/{spec.file}")
            at.session_state["_session_token"] = token
            for key, value in (state or {}).items():
                at.session_state[key] = value
            at.run()
            at._page_hash = ""   # stay on the page (AppTest would re-request the switch on every run)
            return at
        at.run()
        return at

    at = one_run()  # warm-up: imports, caches
    if at.exception:
        return {"error": str(at.exception[0].value)[:80]}
    # app.py turns a fault into a message (ui.fault) instead of an exception: a page showing one is broken too
    from secondment import i18n

    faults = {i18n.translate(lang, "app.fault_unexpected") for lang in i18n.LANGUAGES}
    shown = [e.value for e in at.error if e.value in faults]
    if shown:
        return {"error": f"the page shows a fault: {shown[0][:60]}"}
    times, sql = [], []
    clock = _SqlClock()
    clock.install()
    try:
        for _ in range(runs):
            clock.seconds = 0.0
            start = time.perf_counter()
            one_run(at)
            times.append(time.perf_counter() - start)
            sql.append(clock.seconds)
    finally:
        clock.uninstall()
    tracemalloc.start()
    one_run(at)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"median_s": statistics.median(times), "sql_s": statistics.median(sql), "peak_mb": peak / 2**20,
            "sent_kb": sent.bytes / 1024}


def main(argv: list[str]) -> int:
    path, page, username, runs, *rest = argv
    logging.disable(logging.WARNING)  # AppTest outside a server warns about a missing run context on every call
    store = db.Store(path)
    state = json.loads(rest[0]) if rest else None
    print(json.dumps(measure_page(store, navigation.BY_KEY[page], username, int(runs), state)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
