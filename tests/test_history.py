"""The fix history: a real SQLite file in a temporary folder, parallel writers in real processes."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from safe_pip import history
from safe_pip.classify import Diagnosis, Evidence
from safe_pip.history import FixMemory, FixRecord, HistoryStore, interpreter_kind
from tests.conftest import fill_disk

HERE = interpreter_kind("cp311-cp311", "linux", "x86_64")


def _record(
    package: str, fix: str, *, worked: bool = True, at: float = 1.0, interpreter: str = HERE
) -> FixRecord:
    return FixRecord(package, None, "missing-compiler", fix, interpreter, worked, at)


def test_fixes_that_worked_are_found_for_the_same_package_failure_and_interpreter(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.record(
        [
            _record("PSUtil", "prefer-binary", at=1.0),
            _record("psutil", "only-binary", at=2.0),
            _record("psutil", "limit-build-jobs", worked=False, at=3.0),
            _record("psutil", "no-binary", interpreter="cp312-cp312-linux_x86_64", at=4.0),
            _record("other", "pin-to-wheel", at=5.0),
        ]
    )
    assert store.fixes_that_worked("psutil", "missing-compiler", HERE) == ("only-binary", "prefer-binary")
    assert store.fixes_that_worked("psutil", "out-of-memory", HERE) == ()
    assert store.fixes_that_worked("Py.Yaml", "missing-compiler", HERE) == ()
    assert [record.fix for record in store.records()] == [
        "prefer-binary",
        "only-binary",
        "limit-build-jobs",
        "no-binary",
        "pin-to-wheel",
    ]
    assert store.records()[0].package == "psutil"  # stored normalised


def test_clear_forgets_everything_and_counts(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    assert store.clear() == 0
    store.record([_record("a", "only-binary"), _record("b", "only-binary")])
    assert store.clear() == 2
    assert store.records() == []


def test_a_corrupt_database_is_moved_aside_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file that took its place\n" * 20)
    store = HistoryStore(path)
    store.record([_record("psutil", "only-binary")])
    assert store.fixes_that_worked("psutil", "missing-compiler", HERE) == ("only-binary",)
    moved = list(tmp_path.glob("history.sqlite3.corrupt-*"))
    assert len(moved) == 1
    assert moved[0].read_bytes().startswith(b"this is not a database")
    assert len(store.warnings) == 1
    assert "could not be read" in store.warnings[0]
    assert str(moved[0]) in store.warnings[0]


def _write_many(path: str, worker: int) -> None:
    # The writers' turns are what is tested, not the busy timeout: on a CI box at load 18 a writer holding the
    # lock may wait for a core longer than the 3 s a run waits (then it skips the memory, by design).
    history._BUSY_TIMEOUT_S = 60.0
    store = HistoryStore(Path(path))
    for index in range(40):
        store.record([_record(f"pkg{worker}", "only-binary", at=float(index))])


def test_parallel_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    context = multiprocessing.get_context("spawn")  # separate interpreters, like separate safe-pip runs
    workers = [context.Process(target=_write_many, args=(str(path), worker)) for worker in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    records = HistoryStore(path).records()
    assert len(records) == 160
    assert {record.package for record in records} == {"pkg0", "pkg1", "pkg2", "pkg3"}


def _diagnosis(package: str | None, evidence: str = "error: command 'gcc' failed") -> Diagnosis:
    return Diagnosis("rule", "missing-compiler", 0.9, package, "summary", "", (Evidence(7, evidence),), ())


def test_memory_learns_and_recalls_with_the_version_when_the_evidence_names_the_file(tmp_path: Path) -> None:
    warnings: list[str] = []
    memory = FixMemory(HistoryStore(tmp_path / "h.sqlite3"), HERE, warnings.append)
    cause = _diagnosis("tiny-pkg", "Processing ./wheels/tiny_pkg-2.0.tar.gz")
    memory.learn([(cause, "limit-build-jobs", False), (cause, "only-binary", True)], now=10.0)
    assert memory.worked_before(_diagnosis("Tiny_Pkg")) == ("only-binary",)
    assert memory.worked_before(_diagnosis(None)) == ()
    assert [(record.version, record.worked) for record in memory.store.records()] == [
        ("2.0", False),
        ("2.0", True),
    ]
    assert warnings == []


def test_an_unusable_history_warns_once_and_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the history's folder should be")
    warnings: list[str] = []
    memory = FixMemory(HistoryStore(blocker / "h.sqlite3"), HERE, warnings.append)
    assert memory.worked_before(_diagnosis("psutil")) == ()
    memory.learn([(_diagnosis("psutil"), "only-binary", True)])
    assert len(warnings) == 1
    assert "is not used this time" in warnings[0]
    assert str(blocker / "h.sqlite3") in warnings[0]


def test_a_fix_whose_last_try_failed_is_remembered_as_failed(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.record(
        [
            _record("psycopg2", "only-binary", worked=False, at=1.0),
            _record("psycopg2", "only-binary", worked=False, at=2.0),
            _record("psycopg2", "prefer-binary", worked=False, at=3.0),
            _record("psycopg2", "prefer-binary", worked=True, at=4.0),  # the latest try decides
            _record("psycopg2", "pin-to-wheel", worked=False, interpreter="cp312-cp312-linux_x86_64"),
        ]
    )
    assert store.fixes_that_failed("psycopg2", "missing-compiler", HERE) == ("only-binary",)
    memory = FixMemory(store, HERE, lambda warning: None)
    assert memory.failed_before(_diagnosis("psycopg2")) == ("only-binary",)


# -- a history that cannot be used now is left as it is ----------------------------------------------------
def _hold_locked(path: Path) -> subprocess.Popen[str]:
    """Another process (a hung CI job) that holds the database in exclusive locking mode, with a record it
    committed still in the `-wal` file (no checkpoint), until its stdin closes."""
    code = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('PRAGMA wal_autocheckpoint=0')\n"
        "db.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
        "db.execute('INSERT INTO fix_outcomes VALUES (?, NULL, ?, ?, ?, 1, 2.0)',"
        " ('locker', 'missing-compiler', 'only-binary', sys.argv[2]))\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    locker = subprocess.Popen(
        [sys.executable, "-c", code, str(path), HERE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None
    assert locker.stdout.readline() == "locked\n"
    return locker


def test_a_locked_history_is_skipped_with_a_warning_and_nothing_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "_BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).record([_record("psutil", "only-binary")])
    locker = _hold_locked(path)
    try:
        warnings: list[str] = []
        memory = FixMemory(HistoryStore(path), HERE, warnings.append)
        assert memory.worked_before(_diagnosis("psutil")) == ()
        memory.learn([(_diagnosis("psutil"), "prefer-binary", True)])
        assert len(warnings) == 1, warnings
        assert "is not used this time: database is locked" in warnings[0]
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "history.sqlite3",
            "history.sqlite3-wal",
        ]  # not moved aside, its -wal not deleted
    finally:
        locker.communicate("", timeout=30)
    assert [record.package for record in HistoryStore(path).records()] == ["psutil", "locker"]


def test_a_history_on_a_full_disk_is_skipped_with_a_warning_and_nothing_is_lost(
    tmp_path: Path, small_disk: Path
) -> None:
    built = tmp_path / "built.sqlite3"
    HistoryStore(built).record([_record("psutil", "only-binary")])
    with sqlite3.connect(built) as database:  # everything in the file itself, as after the last run ended
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = small_disk / "history.sqlite3"
    shutil.copyfile(built, path)
    filler = fill_disk(small_disk)
    warnings: list[str] = []
    memory = FixMemory(HistoryStore(path), HERE, warnings.append)
    assert memory.worked_before(_diagnosis("psutil")) == ()
    memory.learn([(_diagnosis("psutil"), "prefer-binary", True)])
    assert len(warnings) == 1, warnings
    assert "is not used this time" in warnings[0]
    assert not list(small_disk.glob("*corrupt*"))
    filler.unlink()
    assert [record.package for record in HistoryStore(path).records()] == ["psutil"]


def test_a_corrupt_database_is_never_moved_over_another(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    moved: list[str] = []
    for round_ in range(2):  # twice in the same second
        path.write_bytes(b"not a database %d\n" % round_ * 100)
        store = HistoryStore(path)
        store.record([_record("psutil", "only-binary")])
        moved += store.warnings
    assert len(moved) == 2
    asides = sorted(tmp_path.glob("history.sqlite3.corrupt-*"))
    assert {aside.read_bytes()[:16] for aside in asides} == {b"not a database 0", b"not a database 1"}
