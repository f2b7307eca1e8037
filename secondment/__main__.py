"""Command line: ``python -m secondment COMMAND``. Every command has --help; bad input exits non-zero with a
one-line reason; no command overwrites an existing database unless told to (--replace).

The command line acts as an administrator; its writes are recorded in the audit trail as ``cli:<user>``.
"""
from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from pathlib import Path

from secondment import clock, db, i18n, vocab
from secondment.errors import SecondmentError, ValidationErrors
from secondment.permissions import Actor

EXPORTS = ("roster", "batches", "activities", "feedback", "practices", "audit")


_DB_PROBLEMS = {"missing": "the file cannot be opened", "not_database": "the file is not an SQLite database "
                "or it is damaged", "newer": "it was written by a newer version of this program",
                "read_only": "the file or its folder is read-only", "io": "the disk could not be read or written"}


class CliUsage(Exception):
    """The command line itself is wrong (unknown command, missing or bad argument)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and status 2 (argparse prints the whole usage first)."""

    def error(self, message):
        raise CliUsage(f"{self.prog}: {message}")


class CliError(Exception):
    """A one-line reason to stop with exit code 2."""


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        who = "unknown"
    return Actor.system(f"cli:{who}")


def _db_path(args) -> Path:
    return Path(args.db) if args.db else db.default_path()


def _target(path: Path, *, made_here: bool = False) -> Path:
    """A file this command will write: never a folder or a device (a rename onto /dev/full would replace the
    device itself), and in a folder that exists (a mistyped path is an error, not a new folder), unless the
    path is the program's own default under data/."""
    if path.exists() and not path.is_file():
        raise CliError(f"{path} is not a regular file (a folder or a device); give the path of a file")
    if not made_here and not path.parent.is_dir():
        raise CliError(f"the folder {path.parent} does not exist")
    return path


def _existing_store(args) -> db.Store:
    path = _db_path(args)
    if not db.Store(path).exists():
        raise CliError(f"no database at {path} (create one with 'init' or 'demo')")
    try:
        store = db.open_store(path, create=False)
    except db.CannotOpen as error:
        raise CliError(f"{path}: {_DB_PROBLEMS[error.reason]}") from None
    from secondment import roster_import

    roster_import.recover(store)   # an import killed half-way is taken back before anything else
    return store


def _read_password(prompt: str) -> str:
    if not sys.stdin.isatty():
        # Scripts may pipe the password in (never on the command line, where ps would show it).
        password = sys.stdin.readline().rstrip("\r\n")   # a Windows line end is not part of the password
        if not password:
            raise CliError("no password given on standard input")
        return password
    first = getpass.getpass(prompt)
    second = getpass.getpass("Repeat: ")
    if first != second:
        raise CliError("the two passwords differ")
    return first


# --- commands ---------------------------------------------------------------------------------------

def cmd_init(args) -> str:
    from secondment import auth

    path = _target(_db_path(args), made_here=not args.db)
    if db.Store(path).exists():
        if not args.replace:
            raise CliError(f"{path} already exists (use --replace to start it again, losing its data)")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = db.open_store(path)
    message = f"created {path} (schema version {db.LATEST_VERSION})"
    if args.admin:
        password = _read_password(f"Password for {args.admin}: ")
        auth.create_user(store, _actor(), args.admin, password, "admin", display_name=args.admin)
        message += f"; administrator '{args.admin}' added"
    return message


def cmd_demo(args) -> str:
    from secondment import demo

    path = _target(_db_path(args), made_here=not args.db)
    if db.Store(path).exists() and args.if_missing:
        return f"kept the database already at {path} (the demo is written only where there is none)"
    if db.Store(path).exists() and not args.replace:
        raise CliError(f"{path} already exists (use --replace to overwrite it with the demo)")
    counts = demo.build(path, seed=args.seed, replace=args.replace)
    summary = ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, int))
    return f"demo programme written to {path}: {summary}"


def cmd_import_roster(args) -> str:
    from secondment import roster_import

    store = _existing_store(args)
    file = Path(args.file)
    plan = roster_import.preview(store, _actor(), roster_import.read_file(file), file.name, args.lang)
    lines = [roster_import.summary(plan, args.lang)]
    if plan.errors:
        lines += [e.message(args.lang) for e in plan.errors]
        raise CliError("\n".join(lines))
    if args.dry_run:
        return "\n".join(lines + ["dry run: nothing written"])
    roster_import.apply(store, _actor(), plan)
    return "\n".join(lines + ["written"])


def cmd_export(args) -> str:
    from secondment import exports

    store = _existing_store(args)
    frame = _export_frame(args.what, store, args.lang)
    out = _target(Path(args.out))
    if out.exists() and not args.replace:
        raise CliError(f"{out} already exists (use --replace to overwrite it)")
    exports.write_file(frame, out, args.format, sheet=i18n.translate(args.lang, f"export.sheet_{args.what}"))
    return f"{len(frame)} rows of {args.what} written to {out}"


def _export_frame(what: str, store: db.Store, lang: str):
    actor = _actor()
    if what == "roster":
        from secondment import roster

        return roster.export_frame(store, actor, lang)
    if what == "batches":
        from secondment import roster

        return roster.batches_frame(store, actor, lang)
    if what == "activities":
        from secondment import activities

        return activities.export_frame(store, actor, lang)
    if what == "feedback":
        from secondment import feedback

        return feedback.export_frame(store, actor, lang)
    if what == "practices":
        from secondment import practices

        return practices.export_frame(store, actor, lang)
    from secondment import audit

    return audit.export_frame(store, actor, lang)


def cmd_backup(args) -> str:
    from secondment import backup

    store = _existing_store(args)
    out = _target(Path(args.out))
    if out.exists() and not args.replace:
        raise CliError(f"{out} already exists (use --replace to overwrite it)")
    backup.backup_to(store, _actor(), out)
    return f"backup written to {out}"


def cmd_notify(args) -> str:
    from datetime import datetime

    from secondment import notify

    store = _existing_store(args)
    now = None
    if args.now is not None:
        try:
            now = datetime.fromisoformat(args.now.strip())
        except ValueError:
            raise CliError(f"--now: {args.now!r} is not a time (e.g. 2026-11-20T09:30, China time)") from None
        now = now if now.tzinfo else now.replace(tzinfo=clock.CHINA)
    report = notify.run(store, _actor(), now=now, dry_run=args.dry_run)
    line = (f"notify{' (dry run, nothing written or sent)' if args.dry_run else ''}: "
            f"{report['notifications']} new notifications, {report['queued']} messages queued, "
            f"{report['sent']} sent, {report['failed']} failed")
    if report["quiet"]:
        line += "; quiet hours: nothing sent"
    elif not args.dry_run and notify.smtp_config() is None:
        line += "; no SMTP server configured: in-app only"
    if report["failed"]:
        raise CliError(f"{line}; first failure: {report['problems'][0]} (tried again on the next run)")
    return line


def cmd_user_add(args) -> str:
    from secondment import auth

    store = _existing_store(args)
    password = _read_password(f"Password for {args.username}: ")
    user_id = auth.create_user(store, _actor(), args.username, password, args.role,
                               display_name=args.display_name, participant_id=args.participant,
                               department_id=args.department, temporary=True)
    return f"user '{args.username}' ({args.role}) added with id {user_id}; they choose their own password " \
           f"at the first sign-in"


def cmd_check(args) -> str:
    path = _db_path(args)
    if not db.Store(path).exists():
        raise CliError(f"no database at {path}")
    try:
        conn = db.connect(path)
        try:
            version = db.schema_version(conn)
            integrity = conn.conn.execute("PRAGMA integrity_check").fetchone()[0]
            fk = conn.conn.execute("PRAGMA foreign_key_check").fetchall()
            counts = {t: conn.conn.execute(f"select count(*) from [{t}]").fetchone()[0]
                      for t in ("batches", "units", "participants", "activities", "feedback", "practices", "users")
                      if conn[t].exists()}
            demo = conn.conn.execute("select value from meta where key = 'is_demo'").fetchone() \
                if conn["meta"].exists() else None
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise CliError(f"{path}: cannot be checked: {_DB_PROBLEMS[db.problem(error)]} ({error})") from None
    if version < db.LATEST_VERSION:
        raise CliError(f"{path}: schema version {version}, this program expects {db.LATEST_VERSION} "
                       f"(it is upgraded when the app or any other command opens it)")
    if integrity != "ok" or fk:
        raise CliError(f"{path}: integrity check failed: {integrity}; {len(fk)} foreign-key problems")
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    kind = "demo" if demo and demo[0] == "1" else "live"
    return f"{path}: ok, schema version {version}, {kind} database; {summary}"


def cmd_secret_rotate(args) -> str:
    from secondment import auth

    store = _existing_store(args)
    path = auth.rotate_secret(store, _actor())
    return f"new signing secret written to {path}; every session has ended, everyone signs in again"


def cmd_holidays_import(args) -> str:
    from secondment import holidays, i18n

    store = _existing_store(args)
    file = Path(args.file)
    if not file.is_file():
        raise CliError(f"no such file: {file}")
    result = holidays.import_file(store, _actor(), file, year=args.year)
    key = "holidays.cli_done" if result["changed"] else "holidays.cli_unchanged"
    return i18n.translate(args.lang, key, year=result["year"], n=result["days"])


# --- parser -------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m secondment", description="双岗 · Two-Way Secondment Manager: command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH",
                       help="database file (default: $SECONDMENT_DB or data/secondment.db)")
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create an empty database, optionally with a first administrator")
    p.add_argument("--admin", metavar="USERNAME", help="first administrator (password asked, never echoed)")
    p.add_argument("--replace", action="store_true", help="replace an existing file, losing its data")

    p = add("demo", cmd_demo, "write the demo programme (68 participants, 9 batches)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--replace", action="store_true", help="replace an existing file")
    group.add_argument("--if-missing", action="store_true",
                       help="write the demo only when there is no database yet; otherwise keep it as it is")
    p.add_argument("--seed", type=int, default=2010, help="random seed (default 2010)")

    p = add("import-roster", cmd_import_roster, "import a roster from CSV or XLSX (Chinese or English headers)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of messages (default zh)")

    p = add("export", cmd_export, "export data to CSV or XLSX")
    p.add_argument("what", choices=EXPORTS, metavar="WHAT", help=" | ".join(EXPORTS))
    p.add_argument("--format", choices=("csv", "xlsx"), required=True)
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of headers and labels")
    p.add_argument("--replace", action="store_true", help="overwrite an existing output file")

    p = add("notify", cmd_notify, "due reminders, notifications and digests (run every few minutes by cron or a timer)")
    p.add_argument("--dry-run", action="store_true", help="say what would be done; write and send nothing")
    p.add_argument("--now", metavar="TIME", help="act as if it were TIME (ISO, China time unless it says otherwise)")

    p = add("backup", cmd_backup, "write a consistent copy of the database (safe while the app runs)")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--replace", action="store_true", help="overwrite an existing output file")

    user = sub.add_parser("user", help="manage accounts", description="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    p = user_sub.add_parser("add", help="add an account (password asked, never echoed)",
                            description="add an account (password asked, never echoed; or read from stdin)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=vocab.APP_ROLES)
    p.add_argument("--participant", type=int, metavar="ID", help="participant id (secondee)")
    p.add_argument("--department", type=int, metavar="ID", help="department unit id (liaison)")
    p.add_argument("--display-name", help="name shown in the app")
    p.add_argument("--db", metavar="PATH", help="database file (default: $SECONDMENT_DB or data/secondment.db)")
    p.set_defaults(func=cmd_user_add)

    add("check", cmd_check, "integrity check and schema version")

    sec = sub.add_parser("secret", help="the session-signing secret",
                         description="the session-signing secret (a key file beside the database)")
    sec_sub = sec.add_subparsers(dest="secret_command", required=True, metavar="ACTION")
    p = sec_sub.add_parser("rotate", help="write a new secret: every session ends",
                           description="write a new session-signing secret; every session token stops working")
    p.add_argument("--db", metavar="PATH", help="database file (default: $SECONDMENT_DB or data/secondment.db)")
    p.set_defaults(func=cmd_secret_rotate)

    hol = sub.add_parser("holidays", help="official public-holiday arrangements",
                         description="official public-holiday arrangements for years the calendar library lacks")
    hol_sub = hol.add_subparsers(dest="holidays_command", required=True, metavar="ACTION")
    p = hol_sub.add_parser("import", help="enter a year's arrangement from a CSV file",
                           description="enter a year's arrangement from a CSV file with the columns 日期/date, "
                                       "类型/kind (放假 holiday, 调休上班 make-up workday) and 名称/name; it "
                                       "replaces what was entered for that year before")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--year", type=int, help="the year (default: the one the file's dates fall in)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of messages (default zh)")
    p.add_argument("--db", metavar="PATH", help="database file (default: $SECONDMENT_DB or data/secondment.db)")
    p.set_defaults(func=cmd_holidays_import)
    return parser


def _fail(message: str, status: int) -> int:
    """Every failure is one line on standard error (at most 2,000 characters) and a status: 2 for what the
    person asked for (a bad argument, file or value), 1 for what went wrong on the machine."""
    line = " ".join(str(message).split())
    _say(f"error: {line[:2000]}{'…' if len(line) > 2000 else ''}", sys.stderr)
    return status


def _say(text: str, stream=None) -> None:
    """Print text that may hold what the terminal cannot show (a file name of undecodable bytes): such a
    character is written as an escape, never as a crash."""
    stream = stream or sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(str(text).encode(encoding, "backslashreplace").decode(encoding, "replace"), file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except CliUsage as error:
        return _fail(f"{error} (see --help)", 2)
    lang = getattr(args, "lang", "en")
    try:
        _say(args.func(args))
        return 0
    except CliError as error:
        return _fail(str(error), 2)
    except ValidationErrors as error:
        shown = "; ".join(e.message(lang) for e in error.errors[:20])
        more = f" (and {len(error.errors) - 20} more)" if len(error.errors) > 20 else ""
        return _fail(shown + more, 2)
    except SecondmentError as error:
        return _fail(error.message(lang), 2)
    except clock.BadPin as error:
        return _fail(str(error), 2)
    except db.CannotOpen as error:
        return _fail(f"{error.path}: {_DB_PROBLEMS[error.reason]}", 2)
    except sqlite3.Error as error:
        return _fail(f"the database: {_DB_PROBLEMS[db.problem(error)]} ({error})", 1)
    except (OverflowError, ValueError, UnicodeError) as error:
        return _fail(f"a value is out of range or unreadable: {error}", 2)
    except OSError as error:
        return _fail(f"{error.strerror or error}{': ' + str(error.filename) if error.filename else ''}", 2)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        return _fail(f"unexpected {type(error).__name__}: {error}", 1)


if __name__ == "__main__":
    sys.exit(main())
