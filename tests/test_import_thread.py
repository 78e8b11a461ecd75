"""The second thread that imports the diagnosis while pip runs, and the main thread waiting for it before it
imports anything itself (two threads importing modules that import each other get a partly initialised one)."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import pytest

from safe_pip import cli


def test_the_main_thread_waits_for_the_second_threads_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slow_diagnosis_piece.py").write_text(
        "import time\ntime.sleep(0.3)\nFINISHED = True\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "_DIAGNOSIS_MODULES", ("slow_diagnosis_piece",))
    monkeypatch.setattr(cli, "_IMPORTING", [])
    monkeypatch.delitem(sys.modules, "slow_diagnosis_piece", raising=False)
    started = time.monotonic()
    cli._import_diagnosis_meanwhile()
    cli._imports_settled()
    waited = time.monotonic() - started
    module = sys.modules.get("slow_diagnosis_piece")
    assert isinstance(module, types.ModuleType)
    assert getattr(module, "FINISHED", False)  # wholly initialised when the main thread goes on
    assert waited >= 0.25
    cli._imports_settled()  # again: nothing to wait for, no lock left held


def test_nothing_is_waited_for_when_no_error_started_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_IMPORTING", [])
    started = time.monotonic()
    cli._imports_settled()
    assert time.monotonic() - started < 0.1


def test_a_second_thread_that_never_ends_holds_nothing_up_for_long(monkeypatch: pytest.MonkeyPatch) -> None:
    import _thread

    stuck = _thread.allocate_lock()
    stuck.acquire()  # never released: a thread that never finishes its imports
    monkeypatch.setattr(cli, "_IMPORTING", [stuck])
    monkeypatch.setattr(cli, "_IMPORTS_WAIT_S", 0.2)
    started = time.monotonic()
    cli._imports_settled()
    assert 0.15 <= time.monotonic() - started < 2
