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
    # A wait would last _IMPORTS_WAIT_S (10 s); 1 s spares a busy CI box.
    assert time.monotonic() - started < 1


def test_a_second_thread_that_never_ends_holds_nothing_up_for_long(monkeypatch: pytest.MonkeyPatch) -> None:
    import _thread

    stuck = _thread.allocate_lock()
    stuck.acquire()  # never released: a thread that never finishes its imports
    monkeypatch.setattr(cli, "_IMPORTING", [stuck])
    monkeypatch.setattr(cli, "_IMPORTS_WAIT_S", 0.2)
    started = time.monotonic()
    cli._imports_settled()
    assert 0.15 <= time.monotonic() - started < 2


def test_the_second_thread_prepares_after_its_imports_and_the_main_thread_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "_DIAGNOSIS_MODULES", ("json",))
    monkeypatch.setattr(cli, "_IMPORTING", [])
    monkeypatch.setattr(cli, "_PIP_SUCCEEDED", [])
    done: list[bool] = []

    def prepare() -> None:
        time.sleep(0.3)
        done.append(True)

    cli._import_diagnosis_meanwhile(prepare)
    cli._imports_settled()
    assert done == [True]


def test_a_run_that_ended_well_prepares_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_DIAGNOSIS_MODULES", ("json",))
    monkeypatch.setattr(cli, "_IMPORTING", [])
    monkeypatch.setattr(cli, "_PIP_SUCCEEDED", [])
    cli._stop_preparing()
    done: list[bool] = []
    cli._import_diagnosis_meanwhile(lambda: done.append(True))
    cli._imports_settled()
    assert done == []


@pytest.mark.parametrize("small_capture", [False, True], ids=["whole-capture", "saved-log-read"])
def test_a_diagnosis_prepared_on_the_second_thread_prints_what_the_main_thread_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_capture: bool
) -> None:
    """The same text (a held warning at its place included) whether the rule library and the classifier were
    made, and the capture's head read, while pip ran or after it; also when the capture dropped lines and
    the saved log is read instead (the classifier that read the head then starts again)."""
    import io

    from safe_pip.capture import CaptureBuffer
    from safe_pip.commands.install import explain_failure, prepare_diagnosis
    from safe_pip.logtext import NumberedLine, normalise_line
    from safe_pip.options import parse_argv
    from safe_pip.render import Console

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    log = Path(__file__).parent / "fixtures/logs/compiler-not-found/match-compiler-missing-pip26.log"
    data = log.read_bytes()
    saved = tmp_path / "saved.log"
    saved.write_bytes(data)
    invocation = parse_argv(["--rules", str(tmp_path / "no-such-folder"), "install", "fastmath"], {})
    shown = []
    for prepared_first in (False, True):
        capture = (
            CaptureBuffer(head_bytes=512, tail_bytes=512, kept_bytes=256)
            if small_capture
            else CaptureBuffer()
        )
        stream = io.StringIO()
        console = Console(color=False, stream=stream)
        half = len(data) // 2
        capture.feed(data[:half])
        prepared = prepare_diagnosis(invocation, sys.executable, capture, {}) if prepared_first else None
        if prepared is not None:
            prepared.feed_head(capture)
        capture.feed(data[half:])
        if prepared is not None:
            prepared.feed_head(capture)
            assert prepared.fed > 0
            read = [line for line in capture.lines() if line.number <= prepared.fed]
            assert prepared.lines == [NumberedLine(line.number, normalise_line(line.raw)) for line in read]
        assert stream.getvalue() == ""  # held, not shown yet
        assert bool(capture.dropped_lines) == small_capture
        lines = [NumberedLine(line.number, normalise_line(line.raw)) for line in capture.lines()]
        code = explain_failure(
            console,
            invocation,
            capture,
            lines,
            exit_code=1,
            log_path=str(saved),
            python=sys.executable,
            prepared=prepared,
        )
        shown.append((code, stream.getvalue()))
    assert shown[0] == shown[1]
    assert "no such rule folder" in shown[0][1]
    assert "missing-compiler" in shown[0][1]


@pytest.mark.parametrize(
    ("rest", "asked"),
    [
        (
            b"OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install root.\n",
            True,
        ),
        (b"error: command 'gcc' failed: No such file or directory\n", False),
    ],
    ids=["cuda-line-after-the-head-read", "no-cuda-line"],
)
def test_the_cuda_build_check_reads_the_lines_the_second_thread_did_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rest: bytes, asked: bool
) -> None:
    import io

    from safe_pip.capture import CaptureBuffer
    from safe_pip.commands import torch
    from safe_pip.commands.install import explain_failure, prepare_diagnosis
    from safe_pip.logtext import NumberedLine, normalise_line
    from safe_pip.options import parse_argv
    from safe_pip.render import Console

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls: list[list[str]] = []
    monkeypatch.setattr(torch, "cuda_build_target", lambda python, lines: calls.append(list(lines)))
    invocation = parse_argv(["install", "flash-attn"], {})
    capture = CaptureBuffer()
    capture.feed(b"Collecting flash-attn\n  Building wheel for flash-attn (setup.py): started\n")
    prepared = prepare_diagnosis(invocation, sys.executable, capture, {})
    prepared.feed_head(capture)
    capture.feed(b"  " + rest + b"ERROR: Failed building wheel for flash-attn\n")
    lines = list(prepared.lines)
    lines += [
        NumberedLine(line.number, normalise_line(line.raw)) for line in capture.lines() if line.number > 2
    ]
    explain_failure(
        Console(color=False, stream=io.StringIO()),
        invocation,
        capture,
        lines,
        exit_code=1,
        log_path=None,
        python=sys.executable,
        prepared=prepared,
    )
    assert bool(calls) == asked
    if asked:
        assert len(calls[0]) == 4  # every line, the ones the second thread read included
