"""The install flow's torch step (commands/torch.py): the advice printed before pip, and --torch-backend's
changed command, with recorded GPU facts (the probe is replaced; no pip runs here)."""

from __future__ import annotations

import io

import pytest

import safe_pip.probe
from safe_pip.commands.torch import before_install
from safe_pip.gpu import Gpu, GpuFacts
from safe_pip.options import parse_argv
from safe_pip.render import Console

OLD = GpuFacts("470.82.01", "/proc/driver/nvidia/version", (Gpu("Tesla T4", (7, 5)),))


def _run(argv: list[str], gpu: GpuFacts, monkeypatch: pytest.MonkeyPatch) -> tuple[object, str]:
    monkeypatch.setattr(safe_pip.probe, "detect_gpu_facts", lambda: gpu)
    out = io.StringIO()
    invocation = parse_argv(argv, {})
    result = before_install(invocation, "/v/bin/python", Console(color=False, stream=out))
    assert not isinstance(result, int)
    assert result.earlier == ()  # a single run: no first run to report
    return result.args, out.getvalue()


def test_no_gpu_prints_the_cpu_index_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    result, said = _run(["install", "torch"], GpuFacts(), monkeypatch)
    assert result == ("torch",)
    assert "https://download.pytorch.org/whl/cpu" in said
    assert "several GB" in said


def test_an_old_driver_is_told_the_build_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    result, said = _run(["install", "torch==2.7.1"], OLD, monkeypatch)
    assert result == ("torch==2.7.1",)
    assert "safe-pip --torch-backend cu118 install torch==2.7.1" in said


def test_torch_backend_auto_applies_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    result, said = _run(
        ["--torch-backend", "auto", "install", "torch==2.7.1", "torchvision"], OLD, monkeypatch
    )
    assert result == ("torch==2.7.1", "torchvision", "--index-url", "https://download.pytorch.org/whl/cu118")
    assert "torch packages from https://download.pytorch.org/whl/cu118" in said


def test_torch_backend_with_its_own_index_is_not_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["--torch-backend", "cpu", "install", "torch", "-i", "https://mirror.example/simple"]
    result, said = _run(argv, GpuFacts(), monkeypatch)
    assert result == ("torch", "-i", "https://mirror.example/simple")
    assert "not applied, the command chooses its own index (-i)" in said


def test_no_torch_no_word(monkeypatch: pytest.MonkeyPatch) -> None:
    result, said = _run(["install", "numpy"], GpuFacts(), monkeypatch)
    assert (result, said) == (("numpy",), "")
