"""Every command, given a hundred generated bad command lines: one line on standard error and status 1 or 2,
never a traceback, never a half-written file. Run in-process (a hundred processes per command would take
minutes); the same ``main`` the ``python -m secondment`` entry point calls."""
from __future__ import annotations

import io
import os
import random
import sys

import pytest

from secondment import __main__ as cli

# Never a real system path as something a command might *write*: the suite runs as root, and a bug would write
# there (an early version of this test renamed a demo onto /dev/full). Devices appear only as input files.
JUNK = ["", " ", "x" * 20_000, "99999999999999999999999999", "-1", "0", "1e309", "NaN", "\x00", "\udcff", "名册",
        "../x", "--", "-x", "--db", "'; drop table users; --", "%s%s%s", "{0}", "$(rm -rf /)", "C:\\\\x.db",
        "\N{RIGHT-TO-LEFT OVERRIDE}"]


def bad_lines(command: list[str], rng: random.Random, paths: dict[str, str]) -> list[list[str]]:
    """A hundred command lines for ``command`` that are each wrong in at least one way."""
    out = []
    for n in range(100):
        kind = n % 6
        args = list(command)
        if kind == 0:      # an unknown option
            args += [f"--{rng.choice(['nope', 'dbx', 'formatt', 'lang2'])}", rng.choice(JUNK)]
        elif kind == 1:    # a database path that is not a database (for init and demo: one that cannot be made)
            creates = command[0] in ("init", "demo")
            args += ["--db", rng.choice([paths["garbage"], paths["folder"], paths["no_parent"], paths["fifo"],
                                          "\x00bad"] + ([] if creates else [paths["missing"]]))]
        elif kind == 2:    # junk where a value is expected, on a database that is not there
            args += [rng.choice([j for j in JUNK if j != "--"]) or "x", "--db", paths["missing"]]
        elif kind == 3:    # a bad choice or number
            args += [rng.choice(["--lang", "--format", "--role", "--year", "--seed", "--participant",
                                 "--department"]), rng.choice(JUNK), "--db", paths["garbage"]]
        elif kind == 4:    # extra positionals
            args += [rng.choice([j for j in JUNK if j != "--"]) for _ in range(rng.randint(2, 4))] + [
                "--db", paths["missing"]]
        else:              # a real database, but an impossible value
            args += {"export": ["roster", "--format", "csv", "--out", rng.choice([paths["no_parent"], paths["folder"],
                                                                                    paths["fifo"]]), "--replace"],
                     "backup": [rng.choice([paths["no_parent"], paths["folder"], paths["fifo"]]), "--replace"],
                     "import-roster": [rng.choice(["/dev/zero", paths["folder"], paths["garbage"], paths["missing"]])],
                     "user": ["add", rng.choice(JUNK[:6]), "--role", "secondee", "--participant",
                              rng.choice(["99999999999999999999999", "-5", "7777777"])],
                     "holidays": ["import", rng.choice([paths["garbage"], paths["folder"], "/dev/zero"])],
                     "init": ["--replace", "--admin", rng.choice(["", " ", "a b", "x" * 200])],
                     "demo": ["--seed", rng.choice(["x", "1.5", ""])],
                     "check": [rng.choice(JUNK[:5])],
                     "secret": ["rotate", rng.choice(JUNK[:5])],
                     "notify": ["--now", rng.choice(["tomorrow", "2026-13-40", "", "25:00", "x" * 80])]}[command[0]]
            args += ["--db", paths["real"]] if command[0] not in ("init", "demo") else ["--db", paths["folder"]]
        out.append(args)
    return out


COMMANDS = [["init"], ["demo"], ["import-roster"], ["export"], ["backup"], ["user"], ["check"], ["secret"],
            ["holidays"], ["notify"]]


@pytest.fixture
def paths(tmp_path, empty_store):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all, just bytes" * 200)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    fifo = tmp_path / "a-fifo"
    os.mkfifo(fifo)
    return {"garbage": str(garbage), "folder": str(folder), "missing": str(tmp_path / "missing.db"),
            "no_parent": str(tmp_path / "no" / "such" / "folder" / "x.db"), "fifo": str(fifo),
            "real": str(empty_store.path)}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_hundred_bad_command_lines_each_end_in_one_line(command, paths, capsys, monkeypatch):
    rng = random.Random(f"secondment-{command[0]}")
    for argv in bad_lines(command, rng, paths):
        monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
        status = cli.main(argv)
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert status in (1, 2), (argv, status, captured.out[-300:], captured.err[-300:])
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, captured.err[-500:])
        assert "Traceback" not in captured.err + captured.out
    assert not os.path.exists(os.path.dirname(paths["no_parent"]))   # no folder was made for a mistyped path
