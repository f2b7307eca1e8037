"""The first start and a wrong path: no database is ever created behind anyone's back, the page says how to
create one, and one-click demo entry needs a demo database on a server only this machine can reach."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, visible_text

from secondment import db, i18n


def signed_out_app(path, monkeypatch, lang="zh"):
    from conftest import _serve_through_navigation
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SECONDMENT_DB", str(path))
    _serve_through_navigation()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["lang"] = lang
    return at.run()


def test_a_missing_database_stops_with_instructions_and_creates_nothing(tmp_path, monkeypatch):
    missing = tmp_path / "mnt" / "secondment.db"
    at = signed_out_app(missing, monkeypatch, lang="en")
    assert not at.exception
    text = visible_text(at)
    assert f"There is no database file at {missing}" in text
    assert "python -m secondment init --admin" in " ".join(c.value for c in at.code)
    assert not at.text_input and not at.button                 # no sign-in form, no demo entry
    assert not missing.exists() and not missing.parent.exists()


def test_a_file_that_is_not_a_database_is_named_and_left_alone(tmp_path, monkeypatch):
    bad = tmp_path / "secondment.db"
    bad.write_bytes(b"PK\x03\x04 a zip file, not a database" * 50)
    at = signed_out_app(bad, monkeypatch)
    assert not at.exception
    assert i18n.translate("zh", "app.db_problem_not_database") in visible_text(at)
    assert bad.read_bytes().startswith(b"PK\x03\x04")


def test_demo_entry_on_a_demo_served_on_loopback(demo_file, tmp_path, monkeypatch):
    from conftest import copy_demo

    store = copy_demo(demo_file, tmp_path / "demo.db")
    monkeypatch.delenv("SECONDMENT_DEMO_SIGNIN", raising=False)
    at = signed_out_app(store.path, monkeypatch)
    assert [b.key for b in at.button if b.key.startswith("demo_")]     # config.toml: server.address 127.0.0.1


def test_the_start_command_builds_the_demo_only_where_there_is_none(tmp_path):
    path = tmp_path / "secondment.db"
    run = lambda: subprocess.run([sys.executable, "-m", "secondment", "demo", "--if-missing", "--db", str(path)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                                 env={**os.environ, "SECONDMENT_DB": ""})
    first = run()
    assert first.returncode == 0 and "demo programme written" in first.stdout
    assert db.Store(path).is_demo()
    stamp = path.stat().st_mtime_ns
    second = run()
    assert second.returncode == 0 and "kept the database" in second.stdout and path.stat().st_mtime_ns == stamp
