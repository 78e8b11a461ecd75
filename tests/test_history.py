"""The fix history: a real SQLite file in a temporary folder, parallel writers in real processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from safe_pip.classify import Diagnosis, Evidence
from safe_pip.history import FixMemory, FixRecord, HistoryStore, interpreter_kind

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
