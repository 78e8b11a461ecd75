"""Issue 16.5: a failed CUDA extension build says which torch/CUDA/Python/C++ ABI/architectures it was building
for, after an install (the failed-install flow) and in `diagnose --here`, as a line and as the JSON outputs'
`build_target`; the target's torch is asked only when the log is such a build. Recorded logs, a stand-in
torch facts probe."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import safe_pip.probe
from safe_pip.capture import CaptureBuffer
from safe_pip.cli import main
from safe_pip.commands.install import explain_failure
from safe_pip.gpu import TorchFacts
from safe_pip.logtext import NumberedLine, normalise_line
from safe_pip.options import parse_argv
from safe_pip.probe import ToolInfo
from safe_pip.render import Console

LOGS = Path(__file__).parent / "fixtures" / "logs"
# A real log: a torch 2.8 CUDA extension built with a CUDA 13 nvcc (torch's cpp_extension in it).
CUDA_BUILD = LOGS / "cuda-version-mismatch" / "match-real-pip26-torch28-cuda13.log"
# A written flash-attn log: setup.py asks CUDA_HOME's nvcc, which is not there.
FLASH_ATTN = LOGS / "nvcc-not-found" / "match-written-flash-attn.log"
# No CUDA at all: psutil without a C compiler.
UNRELATED = LOGS / "compiler-not-found" / "match-cc1plus-missing-pip26.log"

PYTHON_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
TORCH = TorchFacts(
    "2.8.0+cu128",
    "12.8",
    arch_list=("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"),
    cxx11_abi=True,
)
LINE = (
    f"this CUDA extension was building for torch 2.8.0+cu128 (CUDA 12.8), Python {PYTHON_VERSION}, C++11 ABI "
    "(_GLIBCXX_USE_CXX11_ABI=1), GPU architectures sm_75 … sm_120; nvcc here: CUDA 13.0"
)
BUILD_TARGET = {
    "torch": "2.8.0+cu128",
    "cuda": "12.8",
    "hip": None,
    "python": PYTHON_VERSION,
    "cxx11_abi": True,
    "arch_list": ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"],
    "nvcc": "13.0",
    "summary": LINE.removeprefix("this CUDA extension was "),
}


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A stand-in torch facts probe (the real one imports torch in the target) and nvcc 13.0 on PATH;
    returns the interpreters whose torch was asked."""
    calls: list[str] = []

    def torch_facts(python: str) -> TorchFacts:
        calls.append(python)
        return TORCH

    monkeypatch.setattr(safe_pip.probe, "detect_torch_facts", torch_facts)
    monkeypatch.setattr(
        safe_pip.probe,
        "detect_tools",
        lambda names: {"nvcc": ToolInfo("nvcc", "/usr/local/cuda/bin/nvcc", "13.0")},
    )
    return calls


def _failed_install(log: Path, tmp_path: Path) -> tuple[int, str, dict[str, object]]:
    """The failed-install flow over a recorded log, as after `safe-pip --json-report R install ...`."""
    capture = CaptureBuffer()
    capture.feed(log.read_bytes())
    lines = [NumberedLine(line.number, normalise_line(line.raw)) for line in capture.lines()]
    report = tmp_path / "report.json"
    invocation = parse_argv(["--suggest", "--no-history", "--json-report", str(report), "install", "x"], {})
    said = io.StringIO()
    code = explain_failure(
        Console(color=False, stream=said),
        invocation,
        capture,
        lines,
        exit_code=1,
        log_path=None,
        python=sys.executable,
    )
    return code, said.getvalue(), json.loads(report.read_text())


@pytest.mark.parametrize("log", [CUDA_BUILD, FLASH_ATTN], ids=["torch28-nvcc13", "flash-attn"])
def test_a_failed_cuda_extension_build_says_what_it_built_for(
    log: Path, tmp_path: Path, asked: list[str]
) -> None:
    code, said, report = _failed_install(log, tmp_path)
    assert code == 1
    assert asked == [sys.executable]
    assert f"safe-pip: {LINE}\n" in said
    # Printed with the diagnosis, before the log's path would be.
    assert said.index(LINE) > said.index("likely cause")
    assert report["build_target"] == BUILD_TARGET


def test_another_failure_asks_no_torch(tmp_path: Path, asked: list[str]) -> None:
    code, said, report = _failed_install(UNRELATED, tmp_path)
    assert code == 1
    assert asked == []
    assert "building for torch" not in said
    assert "build_target" not in report


def test_a_torch_that_does_not_import_says_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = TorchFacts(
        None, None, import_error="ImportError: libcudart.so.12: cannot open shared object file"
    )
    monkeypatch.setattr(safe_pip.probe, "detect_torch_facts", lambda python: broken)
    _code, said, report = _failed_install(CUDA_BUILD, tmp_path)
    assert "building for torch" not in said
    assert "build_target" not in report


def test_diagnose_here_json_has_the_build_target(
    capsys: pytest.CaptureFixture[str], asked: list[str]
) -> None:
    assert main(["--python", sys.executable, "diagnose", "--here", "--json", str(CUDA_BUILD)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["build_target"] == BUILD_TARGET
    assert out["diagnoses"][0]["category"] == "cuda-version-mismatch"
    assert asked == [sys.executable]


def test_diagnose_here_text_from_stdin(
    capsys: pytest.CaptureFixture[str], asked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class _Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", _Stdin(_Trickle(FLASH_ATTN.read_bytes())))  # type: ignore[arg-type]
    assert main(["--python", sys.executable, "diagnose", "--here", "-"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(f"\n{LINE}\n")
    assert asked == [sys.executable]


def test_diagnose_from_elsewhere_asks_nothing(capsys: pytest.CaptureFixture[str], asked: list[str]) -> None:
    # Without --here the log may come from another machine: this one's torch says nothing about it.
    assert main(["diagnose", "--json", str(CUDA_BUILD)]) == 0
    assert "build_target" not in json.loads(capsys.readouterr().out)
    assert asked == []


def test_diagnose_here_of_another_failure_asks_nothing(
    capsys: pytest.CaptureFixture[str], asked: list[str]
) -> None:
    assert main(["--python", sys.executable, "diagnose", "--here", "--json", str(UNRELATED)]) == 0
    assert "build_target" not in json.loads(capsys.readouterr().out)
    assert asked == []


class _Trickle(io.RawIOBase):
    """A pipe that gives a few bytes a read: the CUDA line arrives cut in pieces."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk, self.data = self.data[:7], self.data[7:]
        buffer[: len(chunk)] = chunk
        return len(chunk)
