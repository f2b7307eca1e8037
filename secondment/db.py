"""The one way to the database: open, migrate, read, write.

Streamlit runs each session's script in its own thread, so there is no shared connection: every
operation opens its own (WAL, busy timeout, foreign keys on) and closes it. Writes are short
``BEGIN IMMEDIATE`` transactions, so two writers queue instead of failing half-way.
"""
from __future__ import annotations

import copy
import itertools
import json
import os
import secrets
import sqlite3
import sys
import threading
import unicodedata
import urllib.parse
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

from secondment import clock

_T = TypeVar("_T")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "secondment.db"
BUSY_TIMEOUT_MS = 10_000

migrations = Migrations("secondment")


def default_path() -> Path:
    """``SECONDMENT_DB`` when set, else ``data/secondment.db``."""
    env = os.environ.get("SECONDMENT_DB", "").strip()
    return Path(env) if env else DEFAULT_DB


class Missing(Exception):
    """The database file the app is to serve does not exist (never created on the fly: see ``served``)."""


_SERVED: set[str] = set()
_SERVING = threading.Lock()


def served(path: str | Path | None = None) -> Store:
    """The database the app serves, migrated (and a half-done import taken back) once per process.

    A missing file is never created here, let alone filled with the demo programme: a mistyped or unmounted
    path would otherwise open a fresh database with one-click administrator entry. Raises ``Missing``, or
    ``CannotOpen`` for a file that is not a database this program can open."""
    path = Path(path or default_path())
    key = str(path)
    if key not in _SERVED:
        with _SERVING:
            if key not in _SERVED:
                if not Store(path).exists():
                    raise Missing(key)
                migrate(path, create=False)
                from secondment import roster_import

                roster_import.recover(Store(path))
                _SERVED.add(key)
    return Store(path)


class CannotOpen(Exception):
    """The database file cannot be used: ``reason`` is "missing", "not_database", "newer", "read_only" or "io"
    (each has a message in the catalogue, ``app.db_problem_<reason>``)."""

    def __init__(self, path, reason: str, detail: str = ""):
        self.path, self.reason, self.detail = Path(path), reason, detail
        super().__init__(f"{path}: {reason}{': ' + detail if detail else ''}")


def problem(error: BaseException) -> str:
    """The kind of a database error, as ``CannotOpen``'s reasons name it."""
    text = str(error).lower()
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return "not_database"
    if "readonly" in text or "read-only" in text:
        return "read_only"
    if "unable to open" in text:
        return "missing"
    if "full" in text or "disk i/o" in text:
        return "io"
    return "io"


def connect(path: str | Path, *, create: bool = False) -> sqlite_utils.Database:
    """A connection to ``path`` (WAL, busy timeout, foreign keys on). The file must exist unless ``create``:
    a mistyped path is an error, never a new empty database."""
    uri = "file:" + urllib.parse.quote(str(Path(path).resolve())) + ("?mode=rwc" if create else "?mode=rw")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=True)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.row_factory = sqlite3.Row
    return sqlite_utils.Database(conn)


def like_pattern(text: str) -> str:
    """``%text%`` for ``like ? escape '\\'``, with the text's own ``%``, ``_`` and ``\\`` taken literally."""
    return "%" + str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Where:
    """The one builder of a filtered list's WHERE clause: each method adds its condition only when given a
    value (None, "" and an empty list mean "no filter"), always with parameters, never with the value inline.
    Text search is literal everywhere (``%`` and ``_`` typed by a person are not wildcards).

    Conditions are written with ``?``; a builder made with ``named=True`` turns them into ``:w0``, ``:w1`` …
    and keeps ``params`` as a dict, for queries that also use named parameters of their own (``:today``).

    >>> w = Where().eq("b.code", "C3").among("a.role", ["counsellor"]).eq("b.direction", None)
    >>> w.sql, w.params
    ('b.code = ? and a.role in (?)', ['C3', 'counsellor'])
    >>> Where(named=True).eq("f.status", "submitted").build()
    ('f.status = :w0', {'w0': 'submitted'})
    """

    def __init__(self, *, named: bool = False):
        self._parts: list[str] = []
        self.named = named
        self.params: list | dict = {} if named else []

    @staticmethod
    def given(value) -> bool:
        return value is not None and value != "" and value != [] and value != ()

    def add(self, condition: str, *params) -> Where:
        if condition.count("?") != len(params):
            raise ValueError(f"{condition!r} has {condition.count('?')} placeholders for {len(params)} values")
        if self.named:
            pieces = condition.split("?")
            condition = pieces[0]
            for value, piece in zip(params, pieces[1:]):
                name = f"w{len(self.params)}"
                self.params[name] = value
                condition += f":{name}{piece}"
        else:
            self.params.extend(params)
        self._parts.append(condition)
        return self

    def eq(self, column: str, value) -> Where:
        return self.add(f"{column} = ?", value) if self.given(value) else self

    def among(self, column: str, values) -> Where:
        values = [values] if isinstance(values, (str, int)) else list(values or [])
        return self.add(f"{column} in ({', '.join('?' for _ in values)})", *values) if values else self

    def at_least(self, column: str, value) -> Where:
        return self.add(f"{column} >= ?", value) if self.given(value) else self

    def at_most(self, column: str, value) -> Where:
        return self.add(f"{column} <= ?", value) if self.given(value) else self

    def before(self, column: str, value) -> Where:
        return self.add(f"{column} < ?", value) if self.given(value) else self

    def contains(self, expressions: str | list[str], text, *, or_equal: tuple[str, object] | None = None) -> Where:
        """Any of ``expressions`` contains ``text`` literally (``%`` and ``_`` in it are not wildcards), or
        (``or_equal=(expression, value)``) that expression equals the value, e.g. an item's number."""
        text = search_text(text)
        if not text:
            return self
        expressions = [expressions] if isinstance(expressions, str) else expressions
        # As typed, and with full-width letters and digits as half-width ("ｃ２" finds C2), since stored text
        # keeps whatever width it was typed in.
        conditions, params = [], []
        for variant in dict.fromkeys((text, unicodedata.normalize("NFKC", text))):
            conditions += [f"{e} like ? escape '\\'" for e in expressions]
            params += [like_pattern(variant)] * len(expressions)
        if or_equal is not None:
            conditions.append(f"{or_equal[0]} = ?")
            params.append(or_equal[1])
        return self.add("(" + " or ".join(conditions) + ")", *params)

    @property
    def sql(self) -> str:
        return " and ".join(self._parts) or "1 = 1"

    def build(self) -> tuple[str, list | dict]:
        return self.sql, self.params


MAX_SEARCH = 200  # characters of a search box that count; a longer text is cut, never sent whole to SQL


def search_text(value) -> str:
    """What a search box holds, as searched: trimmed (the ideographic space too) and at most ``MAX_SEARCH``
    characters, otherwise as typed, since stored text keeps its Chinese punctuation (，（）) as written."""
    if value is None:
        return ""
    return str(value).strip()[:MAX_SEARCH]


class _TakeTurns:
    """Writers of this process take the write lock in the order they asked for it.

    SQLite's busy handler polls (every 100 ms at most), so a writer that commits and begins again at once — a
    large import in chunks — could keep the lock away from everyone else for longer than the busy timeout.
    Here the lock is handed from one writer straight to the next in line. Writers in other processes (the
    command line) still meet SQLite's own busy timeout."""

    def __init__(self):
        self._lock = threading.Lock()
        self._busy = False
        self._queue: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._lock:
            if not self._busy:
                self._busy = True
                return True
            turn = threading.Event()
            self._queue.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():        # handed over just as the wait ended
                return True
            self._queue.remove(turn)
            return False

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()   # ownership passes on; _busy stays True
            else:
                self._busy = False


_TURNS: dict[str, _TakeTurns] = {}
_TURNS_LOCK = threading.Lock()


_READER = threading.local()


@contextmanager
def one_connection() -> Iterator[None]:
    """Within this block, this thread's reads of a file go through one connection, closed at the end.

    Opening a connection and parsing the schema cost about 3 ms, and a page makes dozens of reads (a fifth of a
    page's time at tier M): ``app.py`` runs each page inside this block, so a page run opens one connection for
    its reads, not forty. Outside such a block every read opens and closes its own connection, so no connection
    outlives the work it was opened for (one held open across a file replaced under it would write its old log
    into the new file when it closed). One connection per thread at most: reading another file closes the
    previous one, and a file replaced under the same name within the block is noticed and read afresh."""
    outer = getattr(_READER, "held", None)
    _READER.held = [None, None]
    try:
        yield
    finally:
        held, _READER.held = _READER.held, outer
        if held[1] is not None:
            held[1].close()


def _reader(path: Path) -> tuple[sqlite_utils.Database, bool]:
    """A connection for reading ``path`` and whether the caller closes it (False: the block's own)."""
    held = getattr(_READER, "held", None)
    if held is None:
        return connect(path), True
    try:
        info = os.stat(path)
        ident = (str(path), info.st_dev, info.st_ino, info.st_ctime_ns)   # a new file may reuse an inode
    except OSError:
        return connect(path), True        # the file is missing: connect says so in its own words
    if held[0] == ident:
        return held[1], False
    if held[1] is not None:
        held[1].close()
        held[:] = [None, None]
    db = connect(path)
    held[:] = [ident, db]
    return db, False


def _turns(path: Path) -> _TakeTurns:
    key = str(Path(path).resolve())
    with _TURNS_LOCK:
        return _TURNS.setdefault(key, _TakeTurns())


class Store:
    """A database file. ``read()`` and ``write()`` each open one connection for one operation."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A connection for reading (within ``one_connection()``, the block's; each statement still sees the
        newest committed data, as the connection is in autocommit mode)."""
        db, own = _reader(self.path)
        try:
            yield db
        finally:
            if own:
                db.close()
            elif db.conn.in_transaction:
                db.conn.execute("ROLLBACK")

    @contextmanager
    def write(self, *, bookkeeping: bool = False) -> Iterator[sqlite_utils.Database]:
        """One short transaction: everything inside commits together or not at all. Writers of this process
        take turns in the order they came (``_TakeTurns``). Each write gives the data a new token (``DATA_TOKEN``)
        and every table it wrote (SQLite names them as the statements are compiled, triggers' included) a new
        table token, which retires the results ``cached_rows`` kept from those tables; ``bookkeeping`` writes
        (sessions, sign-in times, the bell's notifications, the notifier's marks) give new tokens to their tables
        only."""
        turns = _turns(self.path)
        if not turns.acquire(BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        try:
            db = connect(self.path)
            try:
                db.conn.execute("BEGIN IMMEDIATE")
                written = _watch_writes(db.conn)
                try:
                    yield db
                except BaseException:
                    if db.conn.in_transaction:
                        db.conn.execute("ROLLBACK")
                    raise
                else:
                    db.conn.set_authorizer(None)
                    stamp(db, written, bookkeeping=bookkeeping)
                    db.conn.execute("COMMIT")
            finally:
                db.close()
        finally:
            turns.release()

    def rows(self, sql: str, params=()) -> list[dict]:
        with self.read() as db:
            return [dict(r) for r in db.conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params=()) -> dict | None:
        with self.read() as db:
            row = db.conn.execute(sql, params).fetchone()
            return dict(row) if row is not None else None

    def scalar(self, sql: str, params=()):
        with self.read() as db:
            row = db.conn.execute(sql, params).fetchone()
            return row[0] if row is not None else None

    def cached_rows(self, sql: str, params=()) -> list[dict]:
        """``rows``, kept in this process for everyone while the tables it reads are unchanged (their table
        tokens, see ``write``): for the aggregates every dashboard asks for, which at a national scale cost a
        second each, and which a secondee's weekly log or a reviewer's approval leaves standing unless they
        read the tables it wrote. The SQL and its parameters are the key, so people whose scope narrows a query
        never share its result. Only for queries whose text holds every date they depend on (as the app's
        queries do: they never ask SQLite for 'now')."""
        key = self._cache_key(self.tables_read(sql, params), ("rows", sql, _params_key(params)))
        if key is None:
            return self.rows(sql, params)
        hit = _cache_get(key)
        if hit is _MISSING:
            hit = self.rows(sql, params)
            _cache_put(key, hit)
        return [dict(r) for r in hit]

    def cached_value(self, key: tuple, build: Callable[[], _T], *, reads, copy_with: Callable[[_T], _T] = copy.deepcopy
                     ) -> _T:
        """``build()``, kept like ``cached_rows`` while the tables in ``reads`` are unchanged, for what is worked
        out in Python from such rows (e.g. thousands of working-day spans). ``key`` names the work and holds
        every input it depends on besides the data (its SQL and parameters); ``reads`` names every table
        ``build`` reads (``tables_read`` of its SQL, and any other). Each caller gets its own copy
        (``copy_with``: a shallow ``dict`` or ``list`` is enough when the values inside cannot change)."""
        full = self._cache_key(frozenset(reads), ("value", repr(key)))
        if full is None:
            return build()
        hit = _cache_get(full)
        if hit is _MISSING:
            hit = build()
            _cache_put(full, hit)
        return copy_with(hit)

    def tables_read(self, sql: str, params=()) -> frozenset[str]:
        """The tables ``sql`` reads, as SQLite names them when it compiles the statement (through views and
        common table expressions, the full-text index's own tables included); worked out once per SQL text."""
        found = _TABLES_READ.get(sql)
        if found is None:
            tables: set[str] = set()

            def note(action, table, *_):
                if action == sqlite3.SQLITE_READ and table:
                    tables.add(table)
                return sqlite3.SQLITE_OK
            with self.read() as db:
                db.conn.set_authorizer(note)
                try:
                    db.conn.execute("explain " + sql, params).fetchall()
                finally:
                    db.conn.set_authorizer(None)
                views = {r[0] for r in db.conn.execute("select name from sqlite_master where type = 'view'")}
            found = frozenset(t for t in tables if not t.startswith("sqlite_") and t not in views)
            with _CACHE_LOCK:
                if len(_TABLES_READ) > CACHE_ENTRIES * 4:
                    _TABLES_READ.clear()
                _TABLES_READ[sql] = found
        return found

    def _cache_key(self, tables: frozenset[str], what: tuple) -> tuple | None:
        """The key of a kept result: this file, the tokens of the tables it reads (the data token for a table
        written only before table tokens existed), and what was asked; None when the data has no token yet."""
        tokens = {r["key"]: r["value"] for r in self.rows("select key, value from meta where key >= ? and key < ?",
                                                          (DATA_TOKEN, DATA_TOKEN + "~"))}
        everything = tokens.get(DATA_TOKEN)
        if everything is None:
            return None
        stamps = tuple((t, tokens.get(TABLE_TOKEN + t, everything)) for t in sorted(tables)) or (("", everything),)
        return (str(self.path), stamps, *what)

    def cached_one(self, sql: str, params=()) -> dict | None:
        found = self.cached_rows(sql, params)
        return found[0] if found else None

    def cached_scalar(self, sql: str, params=()):
        """``scalar``, kept like ``cached_rows``."""
        row = self.cached_one(sql, params)
        return next(iter(row.values())) if row else None

    def meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("select value from meta where key = ?", (key,))
        return default if value is None else value

    def is_demo(self) -> bool:
        try:
            return self.meta("is_demo") == "1"
        except sqlite3.OperationalError:
            return False


DATA_TOKEN = "data_token"
TABLE_TOKEN = DATA_TOKEN + ":"      # + a table's name: the state of that table
CACHE_ENTRIES = 512
CACHE_BYTES = 128 * 1024 * 1024     # what the kept results may hold, about (see _footprint)
_CACHE: OrderedDict = OrderedDict()  # key -> (result, its footprint)
_CACHE_HELD = [0]
_CACHE_LOCK = threading.Lock()
_TABLES_READ: dict[str, frozenset[str]] = {}
_MISSING = object()
_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_SCHEMA = {getattr(sqlite3, name) for name in dir(sqlite3)
           if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_", "SQLITE_ALTER_TABLE"))}


def _params_key(params) -> str:
    """Named parameters (a dict) by their names and values, positional ones in order."""
    return repr(sorted(params.items()) if isinstance(params, dict) else tuple(params))


def _cache_get(key):
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is None:
            return _MISSING
        _CACHE.move_to_end(key)
        return hit[0]


def _cache_put(key, value) -> None:
    """Keep ``value``, letting go of the least recently used results while more than ``CACHE_ENTRIES`` or
    ``CACHE_BYTES`` are held (a result larger than the whole budget is not kept)."""
    size = _footprint(value)
    if size > CACHE_BYTES:
        return
    with _CACHE_LOCK:
        old = _CACHE.pop(key, None)
        if old is not None:
            _CACHE_HELD[0] -= old[1]
        _CACHE[key] = (value, size)
        _CACHE_HELD[0] += size
        while len(_CACHE) > CACHE_ENTRIES or _CACHE_HELD[0] > CACHE_BYTES:
            _, (_, freed) = _CACHE.popitem(last=False)
            _CACHE_HELD[0] -= freed


def clear_cache() -> None:
    """Let go of every kept result (tests compare a kept view with the same view worked out afresh)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _CACHE_HELD[0] = 0


def cache_footprint() -> tuple[int, int]:
    """How many results are kept and about how many bytes they hold (for the benchmark)."""
    with _CACHE_LOCK:
        return len(_CACHE), _CACHE_HELD[0]


def _footprint(value, depth: int = 0) -> int:
    """About how many bytes ``value`` holds: containers measured from up to 16 of their items (a list of
    rows is rows of one shape); a dict's keys are not counted, as rows share their column names."""
    size = sys.getsizeof(value)
    if depth > 4:
        return size
    if isinstance(value, dict):
        sample = list(itertools.islice(value.values(), 16))
    elif isinstance(value, (list, tuple, set, frozenset)):
        sample = list(itertools.islice(value, 16))
    else:
        return size
    if sample:
        size += len(value) * sum(_footprint(v, depth + 1) for v in sample) // len(sample)
    return size


def _watch_writes(conn: sqlite3.Connection) -> set[str]:
    """The tables the statements on ``conn`` write from now on ("*" for a change to the schema), filled in
    by SQLite as it compiles each statement."""
    written: set[str] = set()

    def note(action, table, *_):
        if action in _WRITES and table:
            written.add(table)
        elif action in _SCHEMA:
            written.add("*")
        return sqlite3.SQLITE_OK
    conn.set_authorizer(note)
    return written


def stamp(db: sqlite_utils.Database, written: set[str], *, bookkeeping: bool = False) -> None:
    """A write commits: new tokens for the tables it wrote (every table, after a change to the schema), a token
    for each table that has none yet, and unless ``bookkeeping`` a new data token."""
    fresh = secrets.token_hex(8)
    if "*" in written:
        db.conn.execute("delete from meta where key >= ? and key < ?", (TABLE_TOKEN, TABLE_TOKEN + "~"))
    for table in sorted(t for t in written if t not in ("*", "meta") and not t.startswith("sqlite_")):
        set_meta(db, TABLE_TOKEN + table, fresh)
    db.conn.execute("insert or ignore into meta(key, value) select ? || name, ? from sqlite_master "
                    "where type = 'table' and name not like 'sqlite\\_%' escape '\\'", (TABLE_TOKEN, fresh))
    if not bookkeeping:
        new_token(db)


def new_token(db: sqlite_utils.Database) -> None:
    """The data changed: a new random token (a restored backup brings back its own, naming its own state)."""
    set_meta(db, DATA_TOKEN, secrets.token_hex(8))


def set_meta(db: sqlite_utils.Database, key: str, value) -> None:
    db.conn.execute("insert into meta(key, value) values (?, ?) "
                    "on conflict(key) do update set value = excluded.value", (key, str(value)))


def schema_version(db: sqlite_utils.Database) -> int:
    return db.conn.execute("PRAGMA user_version").fetchone()[0]


LATEST_VERSION = 0  # set below, after the migrations are registered


def migrate(path: str | Path, *, create: bool = True) -> int:
    """Create (when ``create``) or upgrade the file in place; returns the schema version. Safe to call on every
    start. A file that cannot be used raises ``CannotOpen`` saying why."""
    path = Path(path)
    if not create and not path.exists():
        raise CannotOpen(path, "missing")
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = connect(path, create=create)
    except (sqlite3.Error, OSError) as error:
        raise CannotOpen(path, problem(error), str(error)) from None
    try:
        db.conn.execute("PRAGMA journal_mode = WAL")
        if schema_version(db) > LATEST_VERSION:
            raise CannotOpen(path, "newer", f"schema version {schema_version(db)}, this program knows "
                                            f"{LATEST_VERSION}")
        if migrations.pending(db):
            migrations.apply(db)
            db.conn.execute(f"PRAGMA user_version = {len(migrations.applied(db))}")
        from secondment import feedback  # imports this module
        feedback.library_changed(db)      # the closed loop's stored spans counted with this calendar library
        return schema_version(db)
    except sqlite3.Error as error:
        raise CannotOpen(path, problem(error), str(error)) from None
    finally:
        db.close()


def open_store(path: str | Path | None = None, *, create: bool = True) -> Store:
    store = Store(path)
    migrate(store.path, create=create)
    return store


# --------------------------------------------------------------------------------------------
# Migrations: small named steps, each in its own transaction, never edited once released.
# --------------------------------------------------------------------------------------------


# Full-text search over activity titles and descriptions. The trigram tokenizer matches any
# three-character run, so Chinese text (no spaces between words) is searchable. Statements are run
# one by one: executescript() would commit the migration's transaction half-way.
_FTS_STATEMENTS = (
    """create virtual table activities_fts using fts5(
           title, description, content='activities', content_rowid='id', tokenize='trigram')""",
    """create trigger activities_ai after insert on activities begin
           insert into activities_fts(rowid, title, description)
           values (new.id, new.title, coalesce(new.description, ''));
       end""",
    """create trigger activities_ad after delete on activities begin
           insert into activities_fts(activities_fts, rowid, title, description)
           values ('delete', old.id, old.title, coalesce(old.description, ''));
       end""",
    """create trigger activities_au after update of title, description on activities begin
           insert into activities_fts(activities_fts, rowid, title, description)
           values ('delete', old.id, old.title, coalesce(old.description, ''));
           insert into activities_fts(rowid, title, description)
           values (new.id, new.title, coalesce(new.description, ''));
       end""",
)


@migrations(name="0001_initial")
def _m0001(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["batches"].create({
        "id": int, "code": str, "direction": str, "intake_year": int,
        "start_date": str, "end_date": str, "notes": str,
    }, pk="id", not_null={"code", "direction", "intake_year", "start_date", "end_date"})
    db["batches"].create_index(["code"], unique=True)

    db["units"].create({
        "id": int, "name": str, "kind": str, "street": str, "industry": str,
        "active": int, "notes": str,
    }, pk="id", not_null={"name", "kind"}, defaults={"active": 1})
    db["units"].create_index(["name"], unique=True)
    db["units"].create_index(["kind", "name"])

    db["participants"].create({
        "id": int, "name": str, "gender": str, "political_status": str, "batch_id": int,
        "home_unit_id": int, "host_unit_id": int, "post": str,
        "start_date": str, "end_date": str, "status": str, "contact": str, "notes": str,
        "created_at": str, "updated_at": str,
    }, pk="id", not_null={"name", "batch_id", "home_unit_id", "host_unit_id", "start_date", "end_date", "status"},
        foreign_keys=[("batch_id", "batches", "id"), ("home_unit_id", "units", "id"),
                      ("host_unit_id", "units", "id")])
    db["participants"].create_index(["batch_id", "status"])
    db["participants"].create_index(["host_unit_id"])
    db["participants"].create_index(["status", "end_date"])

    db["activities"].create({
        "id": int, "participant_id": int, "date": str, "week": str, "role": str,
        "title": str, "description": str, "hours": float, "outcome": str,
        "created_by": int, "created_at": str, "updated_by": int, "updated_at": str,
    }, pk="id", not_null={"participant_id", "date", "week", "role", "title", "hours"},
        foreign_keys=[("participant_id", "participants", "id")])
    # The dashboards' real queries, each served by a covering index: one participant's weeks (my week,
    # profile timeline); recent weeks across everyone (coverage, quiet list); recent weeks by role
    # (trends); and (role, hours), (participant, role, hours) for role balance over all time.
    db["activities"].create_index(["participant_id", "week", "role", "hours"])
    db["activities"].create_index(["week", "participant_id", "role", "hours"])
    db["activities"].create_index(["week", "role", "hours"])
    db["activities"].create_index(["role", "hours"])
    db["activities"].create_index(["participant_id", "role", "hours"])

    db["week_reviews"].create({
        "participant_id": int, "week": str, "state": str, "submitted_at": str, "submitted_by": int,
        "reviewed_at": str, "reviewed_by": int, "comment": str,
    }, pk=("participant_id", "week"), not_null={"state"},
        foreign_keys=[("participant_id", "participants", "id")])
    db["week_reviews"].create_index(["week", "state"])
    db["week_reviews"].create_index(["state"])

    db["routing"].create({"category": str, "department_id": int}, pk="category",
                         foreign_keys=[("department_id", "units", "id")])

    db["feedback"].create({
        "id": int, "participant_id": int, "activity_id": int, "enterprise_id": int, "role": str,
        "category": str, "summary": str, "details": str, "urgency": str,
        "department_id": int, "status": str, "created_at": str, "accepted_at": str,
        "answered_at": str, "closed_at": str, "due_date": str, "extended_days": int,
        "transfers": int, "send_backs": int, "escalated": int, "answer": str, "evaluation": str,
        "closed_by": int, "close_reason": str, "updated_at": str,
    }, pk="id", not_null={"participant_id", "category", "summary", "urgency", "department_id", "status",
                          "created_at"},
        defaults={"transfers": 0, "send_backs": 0, "escalated": 0, "extended_days": 0},
        foreign_keys=[("participant_id", "participants", "id"), ("activity_id", "activities", "id"),
                      ("enterprise_id", "units", "id"), ("department_id", "units", "id")])
    db["feedback"].create_index(["department_id", "status"])
    db["feedback"].create_index(["participant_id", "status"])
    db["feedback"].create_index(["status", "due_date"])
    db["feedback"].create_index(["created_at"])

    db["feedback_events"].create({
        "id": int, "feedback_id": int, "at": str, "user_id": int, "step": str,
        "from_status": str, "to_status": str, "from_department_id": int, "to_department_id": int,
        "note": str,
    }, pk="id", not_null={"feedback_id", "at", "step"},
        foreign_keys=[("feedback_id", "feedback", "id")])
    db["feedback_events"].create_index(["feedback_id", "at"])

    db["practices"].create({
        "id": int, "title": str, "summary": str, "participant_id": int, "enterprise_id": int,
        "activity_id": int, "status": str, "created_by": int, "created_at": str,
        "reviewed_by": int, "reviewed_at": str, "promoted_by": int, "promoted_at": str, "updated_at": str,
    }, pk="id", not_null={"title", "status", "created_at"},
        foreign_keys=[("participant_id", "participants", "id"), ("enterprise_id", "units", "id"),
                      ("activity_id", "activities", "id")])
    db["practices"].create_index(["status"])

    db["users"].create({
        "id": int, "username": str, "display_name": str, "role": str, "participant_id": int,
        "department_id": int, "password_hash": str, "active": int, "language": str,
        "failed_attempts": int, "locked_until": str, "created_at": str, "updated_at": str,
    }, pk="id", not_null={"username", "role", "password_hash"},
        defaults={"active": 1, "failed_attempts": 0},
        foreign_keys=[("participant_id", "participants", "id"), ("department_id", "units", "id")])
    db["users"].create_index(["username"], unique=True)

    db["sessions"].create({
        "id": str, "user_id": int, "created_at": str, "last_seen": str, "revoked": int,
    }, pk="id", defaults={"revoked": 0}, foreign_keys=[("user_id", "users", "id")])

    db["audit_log"].create({
        "id": int, "at": str, "user_id": int, "username": str, "table_name": str, "row_id": str,
        "action": str, "before": str, "after": str,
    }, pk="id", not_null={"at", "table_name", "action"})
    db["audit_log"].create_index(["at"])
    db["audit_log"].create_index(["table_name", "row_id"])
    db["audit_log"].create_index(["user_id", "at"])

    for statement in _FTS_STATEMENTS:
        db.conn.execute(statement)
    set_meta(db, "created_at", clock.stamp())
    set_meta(db, "is_demo", "0")


@migrations(name="0002_department_time_limits")
def _m0002(db: sqlite_utils.Database) -> None:
    # A department may have its own answer time limit (working days); empty means the urgency default.
    db["units"].add_column("time_limit_days", int)
    db["users"].add_column("last_login_at", str)


@migrations(name="0003_feedback_event_due")
def _m0003(db: sqlite_utils.Database) -> None:
    # Each step of the loop records the due date after it (raise, transfer, extension, send back move it),
    # so the timeline shows how the deadline changed. Transfers out of a department are counted per
    # department for the flows table.
    db["feedback_events"].add_column("due_date", str)
    db["feedback_events"].create_index(["step", "from_department_id"])
    db["feedback"].create_index(["participant_id", "created_at"])


@migrations(name="0004_activity_reference_indexes")
def _m0004(db: sqlite_utils.Database) -> None:
    # Deleting an activity entry checks the foreign keys that point at it; without these indexes that
    # check scans all feedback and practices (about 10 ms per delete at tier M, far more at L).
    db["feedback"].create_index(["activity_id"], if_not_exists=True)
    db["practices"].create_index(["activity_id"], if_not_exists=True)
    db["practices"].create_index(["participant_id"], if_not_exists=True)


@migrations(name="0005_holidays")
def _m0005(db: sqlite_utils.Database) -> None:
    # Official holiday arrangements an administrator enters for years the calendar library does not cover:
    # one row per listed day, "holiday" (off) or "workday" (a weekend worked, 调休上班).
    db["holidays"].create({
        "day": str, "year": int, "kind": str, "name": str, "entered_by": int, "entered_at": str,
    }, pk="day", not_null={"year", "kind"})
    db["holidays"].create_index(["year"])


@migrations(name="0006_secrets_out_of_the_database")
def _m0006(db: sqlite_utils.Database) -> None:
    # The session-signing secret moves to a key file beside the database (auth.secret_path), so no copy of the
    # database can sign a session; sessions are kept by the hash of their id, with the client's address and
    # browser. Old sessions (stored by their plain id) end: everyone signs in again once. Failed sign-ins are
    # counted in memory now; the per-username counters kept in meta (unknown names among them) go.
    db.conn.execute("delete from meta where key = 'secret' or key like 'login\\_throttle:%' escape '\\'")
    db.conn.execute("delete from sessions")
    db["sessions"].add_column("client", str)
    db["sessions"].add_column("agent", str)
    db.conn.execute("update users set failed_attempts = 0, locked_until = null")


@migrations(name="0007_import_journal")
def _m0007(db: sqlite_utils.Database) -> None:
    # A large roster import is written in short transactions (others' saves go through meanwhile); each
    # records how to undo itself, so a failure, or a process killed half-way, leaves nothing half-written.
    db["imports"].create({"id": int, "started_at": str, "heartbeat": str, "finished_at": str, "state": str,
                          "username": str, "file": str, "rows": int}, pk="id", not_null={"started_at", "state"})
    db["imports"].create_index(["state"])
    db["import_undo"].create({"id": int, "import_id": int, "table_name": str, "row_id": int, "before": str},
                             pk="id", not_null={"import_id", "table_name", "row_id"},
                             foreign_keys=[("import_id", "imports", "id")])
    db["import_undo"].create_index(["import_id", "id"])


@migrations(name="0008_must_change_password")
def _m0008(db: sqlite_utils.Database) -> None:
    # An account whose password someone else chose (an administrator creating it or resetting it) is asked
    # for a password of its own before anything else.
    db["users"].add_column("must_change_password", int, not_null_default=0)


@migrations(name="0009_notifications")
def _m0009(db: sqlite_utils.Database) -> None:
    # What the app tells each person (secondment.notify): one row per person and cause, so nothing is told twice.
    db["notifications"].create({
        "id": int, "user_id": int, "kind": str, "cause": str, "params": str, "page": str, "query": str,
        "created_at": str, "read_at": str,
    }, pk="id", not_null={"user_id", "kind", "cause", "created_at"}, foreign_keys=[("user_id", "users", "id")])
    db["notifications"].create_index(["user_id", "cause"], unique=True)
    db["notifications"].create_index(["user_id", "read_at", "id"])
    # Digests and robot messages waiting to be sent, sent, or failed: one per recipient, channel and day.
    db["outbox"].create({
        "id": int, "channel": str, "recipient": str, "user_id": int, "department_id": int, "day": str,
        "subject": str, "body_text": str, "body_html": str, "status": str, "attempts": int, "last_error": str,
        "created_at": str, "sent_at": str,
    }, pk="id", not_null={"channel", "recipient", "day", "status", "created_at"}, defaults={"attempts": 0})
    db["outbox"].create_index(["channel", "recipient", "day"], unique=True)
    db["outbox"].create_index(["status"])
    # Each person's digest: none, daily or weekly, to the address they give (never a password: those live in
    # the environment or Streamlit's secrets).
    db["users"].add_column("email", str)
    db["users"].add_column("digest", str, not_null_default="none")
    # What was recorded before this version is history, not news: notifications start from here.
    for key, table in (("notify.audit_seen", "audit_log"), ("notify.event_seen", "feedback_events")):
        set_meta(db, key, db.conn.execute(f"select coalesce(max(id), 0) from {table}").fetchone()[0])


@migrations(name="0010_stint_lifecycle")
def _m0010(db: sqlite_utils.Database) -> None:
    # The stint from its agreement to its return (secondment.agreements, stint, leave, assessment).
    db["agreements"].create({
        "id": int, "participant_id": int, "version": int, "status": str, "home_unit_id": int, "host_unit_id": int,
        "post": str, "start_date": str, "end_date": str, "notes": str, "agreed_at": str,
        "created_by": int, "created_at": str, "updated_at": str,
    }, pk="id", not_null={"participant_id", "version", "status", "created_at"},
        foreign_keys=[("participant_id", "participants", "id")])
    db["agreements"].create_index(["participant_id", "version"], unique=True)
    # Each party's agreement to one version: who signed for it, who recorded it, when.
    db["agreement_parties"].create({
        "agreement_id": int, "party": str, "signatory": str, "recorded_by": int, "agreed_at": str,
    }, pk=("agreement_id", "party"), not_null={"agreed_at"}, foreign_keys=[("agreement_id", "agreements", "id")])
    # An objective keeps its lineage (the id of its first version) through amendments; links follow the lineage.
    db["objectives"].create({
        "id": int, "agreement_id": int, "lineage": int, "position": int, "role": str, "text": str, "target": str,
        "due_date": str, "status": str, "status_by": int, "status_at": str,
    }, pk="id", not_null={"agreement_id", "role", "text"}, foreign_keys=[("agreement_id", "agreements", "id")])
    db["objectives"].create_index(["agreement_id", "position"])
    db["objectives"].create_index(["lineage"])
    db["objective_links"].create({
        "id": int, "lineage": int, "participant_id": int, "kind": str, "item_id": int, "linked_by": int,
        "linked_at": str,
    }, pk="id", not_null={"lineage", "participant_id", "kind", "item_id", "linked_at"})
    db["objective_links"].create_index(["kind", "item_id", "lineage"], unique=True)
    db["objective_links"].create_index(["participant_id", "lineage"])
    db["declarations"].create({
        "id": int, "participant_id": int, "kind": str, "signed_on": str, "note": str, "recorded_by": int,
        "recorded_at": str,
    }, pk="id", not_null={"participant_id", "kind", "signed_on", "recorded_at"},
        foreign_keys=[("participant_id", "participants", "id")])
    db["declarations"].create_index(["participant_id", "kind"], unique=True)
    db["checkins"].create({
        "id": int, "participant_id": int, "month": str, "summary": str, "next_plan": str, "status": str,
        "submitted_at": str, "comment": str, "reviewed_by": int, "reviewed_at": str,
        "created_at": str, "updated_at": str,
    }, pk="id", not_null={"participant_id", "month", "status", "created_at"},
        foreign_keys=[("participant_id", "participants", "id")])
    db["checkins"].create_index(["participant_id", "month"], unique=True)
    db["checkins"].create_index(["month", "status"])
    db["visits"].create({
        "id": int, "participant_id": int, "visit_date": str, "visitors": str, "met": str, "heard_enterprise": str,
        "heard_secondee": str, "problems": str, "recorded_by": int, "created_at": str,
    }, pk="id", not_null={"participant_id", "visit_date", "visitors", "created_at"},
        foreign_keys=[("participant_id", "participants", "id")])
    db["visits"].create_index(["participant_id", "visit_date"])
    db["visit_actions"].create({
        "id": int, "visit_id": int, "participant_id": int, "action": str, "owner_id": int, "due_date": str,
        "done_at": str, "done_by": int,
    }, pk="id", not_null={"visit_id", "participant_id", "action", "owner_id", "due_date"},
        foreign_keys=[("visit_id", "visits", "id"), ("owner_id", "users", "id")])
    db["visit_actions"].create_index(["owner_id", "done_at", "due_date"])
    db["visit_actions"].create_index(["visit_id"])
    db["leave_requests"].create({
        "id": int, "participant_id": int, "kind": str, "start_date": str, "end_date": str, "days": int,
        "reason": str, "approver": str, "status": str, "requested_by": int, "requested_at": str,
        "decided_by": int, "decided_at": str, "decision_note": str, "back_on": str,
    }, pk="id", not_null={"participant_id", "kind", "start_date", "end_date", "days", "approver", "status",
                          "requested_at"}, foreign_keys=[("participant_id", "participants", "id")])
    db["leave_requests"].create_index(["participant_id", "start_date"])
    db["leave_requests"].create_index(["status", "start_date"])
    db["assessments"].create({
        "participant_id": int, "self_text": str, "self_at": str,
        "host_de": str, "host_neng": str, "host_qin": str, "host_ji": str, "host_lian": str, "host_comment": str,
        "host_signatory": str, "host_at": str, "home_view": str, "home_signatory": str, "home_at": str,
        "conclusion": str, "conclusion_note": str, "conclusion_by": int, "conclusion_at": str, "updated_at": str,
    }, pk="participant_id", foreign_keys=[("participant_id", "participants", "id")])
    # A link for a host unit's contact, who has no account: only its signature's hash is kept, used once.
    db["host_links"].create({
        "id": int, "participant_id": int, "purpose": str, "nonce_hash": str, "contact": str, "created_by": int,
        "created_at": str, "expires_at": str, "used_at": str, "revoked_at": str,
    }, pk="id", not_null={"participant_id", "purpose", "nonce_hash", "created_at", "expires_at"},
        foreign_keys=[("participant_id", "participants", "id")])
    db["host_links"].create_index(["participant_id"])
    db["returns"].create({
        "participant_id": int, "return_date": str, "post": str, "outcome": str, "notes": str, "recorded_by": int,
        "recorded_at": str,
    }, pk="participant_id", not_null={"return_date", "outcome"},
        foreign_keys=[("participant_id", "participants", "id")])



@migrations(name="0011_documents")
def _m0011(db: sqlite_utils.Database) -> None:
    # The documents the department issues and the reports secondees submit (secondment.documents): a bulletin
    # (简报, 通报, the annual report) is drafted, edited and issued with its number; a report (monthly, end of
    # stint) is drafted, submitted and approved or returned. The content is JSON (sections, figures, tables);
    # ``version`` counts the writes, so an editor who started from an older one is refused, not overwritten.
    db["documents"].create({
        "id": int, "kind": str, "year": int, "number": int, "period_key": str, "period_start": str,
        "period_end": str, "participant_id": int, "title": str, "status": str, "lang": str, "content": str,
        "author_id": int, "created_at": str, "updated_at": str, "submitted_at": str, "review_comment": str,
        "reviewed_by": int, "reviewed_at": str, "issued_by": int, "issued_at": str, "version": int,
    }, pk="id", not_null={"kind", "status", "lang", "content", "created_at", "version"}, defaults={"version": 1},
        foreign_keys=[("participant_id", "participants", "id"), ("author_id", "users", "id")])
    db["documents"].create_index(["kind", "year", "number"], unique=True)
    db["documents"].create_index(["kind", "status", "period_start"])
    db["documents"].create_index(["participant_id", "kind", "period_key"])
    # The files of a final document exactly as issued or approved, downloaded again byte for byte.
    db["document_files"].create({
        "document_id": int, "format": str, "data": bytes, "sha256": str, "size": int, "created_at": str,
    }, pk=("document_id", "format"), not_null={"data", "sha256", "size", "created_at"},
        foreign_keys=[("document_id", "documents", "id")])
    # Final is final, whatever path a write takes (a page, the command line, a script on the file): the
    # database itself refuses to change or remove an issued or approved document or any kept file.
    final = "begin select raise(abort, 'document is final'); end"
    issued = "old.status in ('issued', 'approved')"
    for sql in (
        f"create trigger documents_final_update before update on documents when {issued} {final}",
        f"create trigger documents_final_delete before delete on documents when {issued} {final}",
        f"create trigger document_files_update before update on document_files {final}",
        f"create trigger document_files_delete before delete on document_files {final}",
    ):
        db.conn.execute(sql)

@migrations(name="0012_feedback_answer_days")
def _m0012(db: sqlite_utils.Database) -> None:
    # The closed loop's median working days from raising to answer were counted from 100,000 spans on every view
    # after a change (seconds at a national scale): each item keeps its own count (feedback.count_answer_days),
    # which a trigger empties whenever the item's dates change, and the medians group by it from an index. The
    # counts are filled right after the migrations, by migrate()'s feedback.library_changed (no library yet).
    db["feedback"].add_column("answer_days", int)
    db.conn.execute("create trigger feedback_answer_days_stale after update of created_at, answered_at on feedback "
                    "begin update feedback set answer_days = null where id = new.id; end")
    db.conn.execute("create index idx_feedback_answer_days on feedback(department_id, answer_days, created_at, "
                    "answered_at) where answered_at is not null")


LATEST_VERSION = len(migrations._migrations)


def to_json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
