"""The memory of fixes: which fix was tried for which package, failure and kind of interpreter, and whether it
worked. Stored in SQLite under `platformdirs.user_data_dir("safe-pip")`.

This module is the one store safe-pip keeps between runs, so it does its own file I/O (like the runner's saved
logs); what to do with what it remembers is decided in `retry.py`, which is pure.

Several safe-pip runs may write at once (parallel CI jobs, `make -j`): the database is in WAL mode with a busy
timeout, and every write is one short transaction. The memory is a convenience and never stops an install, nor
is it ever thrown away because it could not be used this time: a database that another process holds locked
(`BEGIN EXCLUSIVE`, `PRAGMA locking_mode=EXCLUSIVE`), on a full disk or unreadable for lack of permission is
left exactly as it is, with its `-wal` and `-shm` (which may hold the latest records), and skipped for this
run with a warning. Only a file that is not an SQLite database, or a corrupt one, is moved aside (with its
`-wal` and `-shm`, never deleted) and a new one started.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from safe_pip.facts import canonical_name
from safe_pip.redact import redact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from safe_pip.classify import Diagnosis

__all__ = [
    "FixMemory",
    "FixRecord",
    "HistoryStore",
    "default_history_path",
    "interpreter_kind",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fix_outcomes (
    package     TEXT NOT NULL,  -- normalised name (PEP 503)
    version     TEXT,           -- the failing release, when the log said
    category    TEXT NOT NULL,  -- the diagnosis the fix was applied for
    fix         TEXT NOT NULL,  -- the fix action id
    interpreter TEXT NOT NULL,  -- interpreter_kind(): cp311-cp311-linux_x86_64
    worked      INTEGER NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_outcomes_lookup ON fix_outcomes (package, category, interpreter);
"""
# A second writer waits this long for the first one's transaction (a few milliseconds) instead of failing; a
# database held locked for longer is skipped for this run, so a hung job holding it costs each run this once.
_BUSY_TIMEOUT_S = 3.0
# SQLite's primary result codes for "this file is not a (whole) database": SQLITE_CORRUPT, SQLITE_NOTADB.
_UNREADABLE_CODES = frozenset({11, 26})
# The same, by message, for Pythons before 3.11 (no sqlite_errorcode); and a SQLite file whose table is not
# ours (another program's, or a schema from before) is moved aside too: its records cannot be read as fixes.
_UNREADABLE_MESSAGES = (
    "file is not a database",
    "file is encrypted or is not a database",
    "database disk image is malformed",
    "malformed database schema",
    "no such column",
    "no such table",
)


@dataclass(frozen=True)
class FixRecord:
    package: str
    version: str | None
    category: str
    fix: str
    interpreter: str
    worked: bool
    recorded_at: float

    def to_json(self) -> dict[str, object]:
        return {
            "package": self.package,
            "version": self.version,
            "category": self.category,
            "fix": self.fix,
            "interpreter": self.interpreter,
            "worked": self.worked,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.recorded_at)),
        }


def default_history_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("safe-pip", appauthor=False)) / "history.sqlite3"


def interpreter_kind(implementation_abi: str, os_name: str, machine: str) -> str:
    """What makes two interpreters 'the same kind' for a fix: ABI tag, OS and architecture
    (`cp311-cp311-linux_x86_64`). Two venvs of one Python share it; a 3.12 or an arm64 machine does not."""
    return f"{implementation_abi}-{os_name}_{machine}".lower()


class HistoryStore:
    """The database at `path`, opened on first use. `warnings` collects what the caller should tell the user
    (a database moved aside)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = self._open()
        except sqlite3.DatabaseError as error:
            if not _unreadable(error):
                raise  # locked, disk full, read-only...: the file is fine, only not usable now
            self._move_aside(error)
            connection = self._open()
        with closing(connection):
            yield connection

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            # A file that is SQLite but not ours (or half-written) fails here rather than mid-install.
            connection.execute(
                "SELECT package, version, category, fix, interpreter, worked FROM fix_outcomes"
            )
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def _move_aside(self, error: sqlite3.DatabaseError) -> None:
        stamp = int(time.time())
        for attempt in range(1000):
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}{f'-{attempt}' if attempt else ''}")
            if not aside.exists():
                break
        # The journal files go with the database they belong to: left here, SQLite could replay a corrupt
        # file's journal into the new database; deleted, records not yet copied into the file would be lost.
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        self.warnings.append(f"the fix history {self.path} could not be read ({error}); moved it to {aside}")

    def record(self, records: Sequence[FixRecord]) -> None:
        if not records:
            return
        with self._connection() as connection:
            connection.executemany(
                "INSERT INTO fix_outcomes VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        # The package may come from a URL on the command line: no credentials are kept.
                        canonical_name(redact(record.package)),
                        redact(record.version) if record.version else None,
                        record.category,
                        record.fix,
                        record.interpreter,
                        int(record.worked),
                        record.recorded_at,
                    )
                    for record in records
                ],
            )

    def fixes_that_worked(self, package: str, category: str, interpreter: str) -> tuple[str, ...]:
        """Fix ids that made this package's install succeed after this failure here, the latest first."""
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT fix FROM fix_outcomes WHERE package = ? AND category = ? AND interpreter = ? "
                "AND worked = 1 GROUP BY fix ORDER BY MAX(recorded_at) DESC",
                (canonical_name(package), category, interpreter),
            ).fetchall()
        return tuple(str(row[0]) for row in rows)

    def fixes_that_failed(self, package: str, category: str, interpreter: str) -> tuple[str, ...]:
        """Fix ids whose latest try for this package and failure here did not make the install succeed."""
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT fix, worked, MAX(recorded_at) FROM fix_outcomes "
                "WHERE package = ? AND category = ? AND interpreter = ? GROUP BY fix",
                (canonical_name(package), category, interpreter),
            ).fetchall()
        return tuple(str(row[0]) for row in rows if not row[1])

    def records(self) -> list[FixRecord]:
        if not self.path.exists():
            return []
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT package, version, category, fix, interpreter, worked, recorded_at "
                "FROM fix_outcomes ORDER BY recorded_at"
            ).fetchall()
        return [
            FixRecord(str(p), None if v is None else str(v), str(c), str(f), str(i), bool(w), float(t))
            for p, v, c, f, i, w, t in rows
        ]

    def clear(self) -> int:
        """Forget everything; how many records there were."""
        if not self.path.exists():
            return 0
        with self._connection() as connection:
            count = int(connection.execute("SELECT COUNT(*) FROM fix_outcomes").fetchone()[0])
            connection.execute("DELETE FROM fix_outcomes")
        return count


class FixMemory:
    """The history as the attempt loop uses it, for one interpreter kind. Never fatal: a database that cannot
    be used is reported once through `warn` and then left alone for the rest of the run."""

    def __init__(self, store: HistoryStore, interpreter: str, warn: Callable[[str], None]) -> None:
        self.store = store
        self.interpreter = interpreter
        self._warn = warn
        self._broken = False

    def worked_before(self, diagnosis: Diagnosis) -> tuple[str, ...]:
        if self._broken or not diagnosis.package:
            return ()
        try:
            return self.store.fixes_that_worked(diagnosis.package, diagnosis.category, self.interpreter)
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)
            return ()
        finally:
            self._flush_warnings()

    def failed_before(self, diagnosis: Diagnosis) -> tuple[str, ...]:
        """Fix ids that did not help the last time they were tried for this package and failure here."""
        if self._broken or not diagnosis.package:
            return ()
        try:
            return self.store.fixes_that_failed(diagnosis.package, diagnosis.category, self.interpreter)
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)
            return ()
        finally:
            self._flush_warnings()

    def learn(self, outcomes: Sequence[tuple[Diagnosis, str, bool]], now: float | None = None) -> None:
        if self._broken or not outcomes:
            return
        stamp = time.time() if now is None else now
        records = [
            FixRecord(
                cause.package or "", _version_of(cause), cause.category, fix, self.interpreter, worked, stamp
            )
            for cause, fix, worked in outcomes
        ]
        try:
            self.store.record(records)
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)
        finally:
            self._flush_warnings()

    def _give_up(self, error: Exception) -> None:
        self._broken = True
        self._warn(f"the fix history {self.store.path} is not used this time: {error}")

    def _flush_warnings(self) -> None:
        for warning in self.store.warnings:
            self._warn(warning)
        self.store.warnings.clear()


def _unreadable(error: sqlite3.DatabaseError) -> bool:
    """Whether `error` says the file is not a database of ours (moved aside), as opposed to one that cannot be
    used right now (locked: SQLITE_BUSY; full disk: SQLITE_FULL; SQLITE_IOERR, SQLITE_READONLY...)."""
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if isinstance(code, int) and code & 0xFF in _UNREADABLE_CODES:
        return True
    return str(error).startswith(_UNREADABLE_MESSAGES)


def _version_of(diagnosis: Diagnosis) -> str | None:
    """The failing release when the diagnosis' evidence names its file (`foo-2.0.tar.gz`, `foo-2.0-*.whl`)."""
    stem = re.escape(canonical_name(diagnosis.package or "")).replace("\\-", "[-_.]")
    pattern = re.compile(rf"(?i)\b{stem}-(\d[\w.!+]*?)(?:\.tar\.gz|\.zip|-[\w.]+-[\w.]+-[\w.]+\.whl)\b")
    for line in diagnosis.evidence:
        found = pattern.search(line.text)
        if found:
            return found.group(1)
    return None
