"""The command line: every command documented and with --help; bad input exits 2 with a one-line reason;
nothing is overwritten unless asked; writes land in the audit trail."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secondment import __main__ as cli
from secondment import db

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["init", "demo", "import-roster", "export", "backup", "check", "notify"]


def run(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "secondment", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)


@pytest.mark.parametrize("command", COMMANDS + ["user add", "holidays import", "secret rotate"])
def test_every_command_has_help(command):
    result = run(*command.split(), "--help")
    assert result.returncode == 0
    assert "usage:" in result.stdout and "--db" in result.stdout


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS + ["user add", "holidays import", "secret rotate"]:
        assert f"python -m secondment {command}" in readme, command
    parser_commands = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert parser_commands == set(COMMANDS) | {"user", "holidays", "secret"}


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_line = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
               if line and not line.startswith(("#", "set ", "cd ", "export "))]
    assert len(ci_line) == 1
    assert ci_line[0] in readme


def test_init_with_admin_reads_password_from_stdin(tmp_path):
    path = tmp_path / "new.db"
    result = run("init", "--db", str(path), "--admin", "chief", stdin="a-long-password\n")
    assert result.returncode == 0, result.stderr
    store = db.Store(path)
    user = store.one("select username, role, password_hash from users")
    assert user["username"] == "chief" and user["role"] == "admin"
    assert "a-long-password" not in user["password_hash"]
    audit = store.one("select username, table_name, action, after from audit_log")
    assert audit["username"].startswith("cli:") and audit["table_name"] == "users"
    assert "***" in audit["after"]


def test_init_refuses_existing_file(tmp_path):
    path = tmp_path / "x.db"
    assert run("init", "--db", str(path)).returncode == 0
    result = run("init", "--db", str(path))
    assert result.returncode == 2
    assert "already exists" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_short_password_is_refused_and_nothing_written(tmp_path):
    path = tmp_path / "x.db"
    result = run("init", "--db", str(path), "--admin", "chief", stdin="short\n")
    assert result.returncode == 2
    assert "Password" in result.stderr or "密码" in result.stderr
    assert db.Store(path).scalar("select count(*) from users") == 0


def test_check_on_missing_file(tmp_path):
    result = run("check", "--db", str(tmp_path / "nothing.db"))
    assert result.returncode == 2 and "no database" in result.stderr


def test_bad_arguments_exit_nonzero():
    assert run("export", "nonsense", "--format", "csv", "--out", "x.csv").returncode != 0
    assert run("user", "add", "x", "--role", "king").returncode != 0


@pytest.fixture(scope="module")
def cli_demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "x.db"
    result = run("demo", "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_demo_then_check(cli_demo):
    result = run("check", "--db", str(cli_demo))
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout and "demo" in result.stdout and "participants 68" in result.stdout
    names = {r["name"] for r in db.Store(cli_demo).rows("select name from sqlite_master where type='table'")}
    assert {"batches", "units", "participants", "activities", "feedback", "feedback_events", "practices",
            "users", "audit_log"} <= names


def test_demo_refuses_to_overwrite(cli_demo):
    result = run("demo", "--db", str(cli_demo))
    assert result.returncode == 2 and "--replace" in result.stderr


@pytest.mark.parametrize("what", ["roster", "activities", "feedback", "practices", "audit", "batches"])
def test_export(cli_demo, tmp_path, what):
    out = tmp_path / f"{what}.csv"
    result = run("export", what, "--format", "csv", "--out", str(out), "--db", str(cli_demo))
    assert result.returncode == 0, result.stderr
    text = out.read_bytes().decode("utf-8-sig")
    # The demo's audit trail starts empty (only the header); every other export has rows.
    assert len(text.splitlines()) >= (1 if what == "audit" else 2)
    again = run("export", what, "--format", "csv", "--out", str(out), "--db", str(cli_demo))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_export_xlsx_roster_in_english(cli_demo, tmp_path):
    import pandas as pd

    out = tmp_path / "roster.xlsx"
    result = run("export", "roster", "--format", "xlsx", "--out", str(out), "--db", str(cli_demo), "--lang", "en")
    assert result.returncode == 0, result.stderr
    frame = pd.read_excel(out)
    assert len(frame) == 68 and "Name" in frame.columns


def test_backup_and_user_add(cli_demo, tmp_path):
    work = tmp_path / "w.db"
    shutil.copyfile(cli_demo, work)
    out = tmp_path / "backup.db"
    result = run("backup", str(out), "--db", str(work))
    assert result.returncode == 0, result.stderr
    assert db.Store(out).scalar("select count(*) from participants") == 68
    dept = db.Store(work).scalar("select id from units where kind = 'government_department' limit 1")
    result = run("user", "add", "liaison_x", "--role", "liaison", "--department", str(dept), "--db", str(work),
                 stdin="another-long-password\n")
    assert result.returncode == 0, result.stderr
    assert db.Store(work).one("select role from users where username = 'liaison_x'")["role"] == "liaison"
    result = run("user", "add", "sec_x", "--role", "secondee", "--db", str(work), stdin="another-long-password\n")
    assert result.returncode == 2 and re.search("Participant|挂职人员", result.stderr)
