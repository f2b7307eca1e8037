"""Backups: a consistent copy of the database made with SQLite's online backup API, so it is safe while
the app is running and writing. Administrators only; every backup is recorded in the audit trail.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from secondment import audit, clock, permissions
from secondment.db import BUSY_TIMEOUT_MS, Store
from secondment.permissions import Actor


def _copy_into(store: Store, target: sqlite3.Connection) -> None:
    source = sqlite3.connect(str(store.path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        source.backup(target)
    finally:
        source.close()
    _scrub(target)
    # A self-contained single file: no write-ahead log needed to open it.
    target.execute("PRAGMA journal_mode = DELETE")


def _scrub(copy: sqlite3.Connection) -> None:
    """What must never leave the server goes from the copy, and from its free pages too (VACUUM rewrites the
    file): the sessions (even hashed, a backup has no use for them) and anything an older version kept in the
    database (a signing secret, sign-in counters). The signing secret itself lives beside the database, in its
    key file, which a backup never includes; a restored database on another server gets a new one there."""
    copy.execute("delete from sessions")
    copy.execute("delete from meta where key = 'secret' or key like 'login\\_throttle:%' escape '\\'")
    copy.commit()
    copy.execute("VACUUM")


def _audit(store: Store, actor: Actor, destination: str, size: int) -> None:
    with store.write() as db:
        audit.record(db, actor, "backup", None, "backup", None,
                     {"file": destination, "bytes": size, "at": clock.stamp()})


def backup_to(store: Store, actor: Actor, out_path: str | Path) -> Path:
    """Write a backup to ``out_path`` (written beside it first, then moved into place)."""
    permissions.require(actor, "backup.create")
    out = Path(out_path)
    if out.exists() and not out.is_file():
        raise IsADirectoryError(f"{out} is not a regular file; a backup is written only to a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        target = sqlite3.connect(tmp)
        try:
            _copy_into(store, target)
        finally:
            target.close()
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _audit(store, actor, out.name, out.stat().st_size)
    return out


def backup_bytes(store: Store, actor: Actor) -> bytes:
    """The backup as bytes, for a download button."""
    permissions.require(actor, "backup.create")
    target = sqlite3.connect(":memory:")
    try:
        _copy_into(store, target)
        data = bytearray(target.serialize())
    finally:
        target.close()
    # The header still says "write-ahead log" (bytes 18-19 = 2); mark it a plain rollback-journal file
    # (1) so the downloaded copy opens on its own, like the file backup_to() writes.
    data[18:20] = b"\x01\x01"
    _audit(store, actor, "download", len(data))
    return bytes(data)


def file_name(today: str | None = None) -> str:
    """A file name people can sort: secondment-backup-2026-11-26T1855Z.db."""
    stamp = (today or clock.stamp()).replace(":", "")[:15] + "Z"
    return f"secondment-backup-{stamp}.db"
