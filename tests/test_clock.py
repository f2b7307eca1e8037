"""The one clock: China dates whatever the server's zone, a pinned date for demos, stored times in UTC."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from conftest import ROOT

from secondment import clock


def test_today_is_the_china_date_of_now():
    assert clock.today() == clock.now().astimezone(clock.CHINA).date()
    assert clock.now().tzinfo is not None


def test_a_pinned_date_moves_the_date_and_keeps_the_time_of_day(monkeypatch):
    real = datetime.now(UTC)
    monkeypatch.setenv("SECONDMENT_TODAY", "2026-11-20")
    assert clock.today() == date(2026, 11, 20)
    moved = clock.now()
    assert moved.astimezone(clock.CHINA).date() == date(2026, 11, 20)
    assert abs((moved.astimezone(clock.CHINA).time().hour * 60 + moved.astimezone(clock.CHINA).time().minute)
               - (real.astimezone(clock.CHINA).hour * 60 + real.astimezone(clock.CHINA).minute)) <= 1
    assert clock.stamp().startswith(clock.stamp(moved)[:10])


def test_a_bad_pin_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("SECONDMENT_TODAY", "next monday")
    with pytest.raises(clock.BadPin, match="SECONDMENT_TODAY"):
        clock.today()


def test_the_command_line_says_a_bad_pin_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "secondment", "init", "--db", str(tmp_path / "x.db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "SECONDMENT_TODAY": "2026-13-01"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "SECONDMENT_TODAY" in done.stderr


@pytest.mark.parametrize("stored, shown, day", [
    ("2026-11-26T17:00:00Z", "2026-11-27 01:00", date(2026, 11, 27)),   # after 16:00 UTC it is tomorrow in China
    ("2026-11-26T15:59:59Z", "2026-11-26 23:59", date(2026, 11, 26)),
])
def test_stored_utc_reads_as_china_time(stored, shown, day):
    assert clock.local_time(stored) == shown
    assert clock.local_date(stored) == day
    assert clock.day_start_utc(day) == f"{(day.fromordinal(day.toordinal() - 1)).isoformat()}T16:00:00Z"


def test_china_dates_in_sql_agree_with_python():
    import sqlite3

    conn = sqlite3.connect(":memory:")
    for stored in ("2026-11-26T17:00:00Z", "2026-12-31T16:30:00Z", "2026-06-01T00:00:00Z"):
        in_sql = conn.execute(f"select {clock.china_date_sql('?')}, {clock.china_month_sql('?')}",
                              (stored, stored)).fetchone()
        assert in_sql == (clock.local_date(stored).isoformat(), clock.local_date(stored).isoformat()[:7])


def test_the_app_says_a_bad_pin_instead_of_a_traceback(demo_store, monkeypatch):
    from conftest import app_test, visible_text

    at = app_test("overview", demo_store, "demo_reviewer", lang="en")
    monkeypatch.setenv("SECONDMENT_TODAY", "2026/11/31")
    at.run()
    assert not at.exception
    assert "SECONDMENT_TODAY is set to “2026/11/31”" in visible_text(at)
