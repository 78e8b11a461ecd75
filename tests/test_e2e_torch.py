"""Issue 16 end to end: the real `safe-pip` and real pip, a loopback "PyTorch index" (127.0.0.1) serving
stand-in wheels named like the real ones (torch-2.7.1+cpu-py3-none-any.whl: a module with torch's version and
CUDA facts, not 800 MB), the user's own loopback index, and the GPU a test gives (a fake nvidia-smi, a fake
driver file: tests/lab/gpu_machine.py hands them to the probes).

- `--torch-backend cpu install torch`: pip runs with the PyTorch index alone; the user's index is never asked;
- `--torch-backend cpu install torch tinyapp`: two pip runs, torch alone from the PyTorch index, then the
  command from the user's index constrained to the exact torch installed; both in --json-report, both logged;
  a first run that fails is diagnosed, reported, and the command is not run;
- without the flag the index is never changed: only the advice is printed;
- `--verify-import` on a machine with an NVIDIA GPU and a CPU-only torch: torch-cpu-only and the exact fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.factory import make_wheel
from tests.lab.servers import serve_index

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for nvidia-smi"),
]

LAUNCHER = Path(__file__).parent / "lab" / "gpu_machine.py"
# The open kernel module's form (the old doctor parser missed it): the driver the probes must read.
PROC_OPEN = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  575.57.08  Release Build  "
    "(dvs-builder@U22-I3-AE18-23-3)  Fri May 23 13:24:07 UTC 2025\n"
    "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n"
)


def _torch_files(version: str, cuda: str | None) -> dict[str, str]:
    """A package named torch answering as a real build does: a CPU build's CUDA is None and never available."""
    return {
        "torch/__init__.py": (
            "import types\n"
            f"__version__ = {version!r}\n"
            f"version = types.SimpleNamespace(cuda={cuda!r}, hip=None)\n"
            "_C = types.SimpleNamespace(_GLIBCXX_USE_CXX11_ABI=True, _cuda_getArchFlags=lambda: '')\n"
            "from torch import cuda\n"
        ),
        "torch/cuda/__init__.py": "def is_available():\n    return False\n",
    }


@pytest.fixture
def indexes(tmp_path: Path) -> dict[str, Path]:
    """The PyTorch index's CPU build folder and the user's index folder (PyPI's role: a newer CUDA torch)."""
    pytorch = tmp_path / "pytorch-cpu"
    make_wheel(pytorch, "torch", "2.7.1+cpu", files=_torch_files("2.7.1+cpu", None))
    make_wheel(pytorch, "torchvision", "0.22.1+cpu", requires=["torch==2.7.1"])
    user = tmp_path / "user-index"
    make_wheel(user, "torch", "2.8.0", files=_torch_files("2.8.0", "12.8"))
    make_wheel(user, "tinyapp", "1.0", requires=["torch>=2"])
    return {"pytorch": pytorch, "user": user}


def _machine(env: dict[str, str], tmp_path: Path, *, gpu: bool) -> dict[str, str]:
    """The environment of a machine without a GPU, or with an RTX 4090: a fake nvidia-smi (on PATH, and the
    only program the probes find) and the open kernel module's driver file."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    files: dict[str, str] = {}
    if gpu:
        smi = bin_dir / "nvidia-smi"
        smi.write_text('#!/bin/sh\necho "NVIDIA GeForce RTX 4090, 8.9, 570.133.07"\n')
        smi.chmod(0o755)
        driver = tmp_path / "proc-driver-nvidia-version"
        driver.write_text(PROC_OPEN)
        files["/proc/driver/nvidia/version"] = str(driver)
    return dict(
        env,
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        SAFE_PIP_LAB_FILES=json.dumps(files),
        SAFE_PIP_LAB_PATH=str(bin_dir),
    )


def _safe_pip(venv: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LAUNCHER), "--python", str(venv), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _installed(venv: Path, name: str) -> str | None:
    done = subprocess.run(
        [str(venv), "-c", f"from importlib import metadata; print(metadata.version({name!r}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _saved_logs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state").rglob("*.log"))


def _files_served(requests: list[str]) -> list[str]:
    return sorted(path.rsplit("/", 1)[-1] for path in requests if path.startswith("/files/"))


def test_torch_alone_comes_from_the_pytorch_index_only(
    fresh_venv: Path, env: dict[str, str], tmp_path: Path, indexes: dict[str, Path]
) -> None:
    pytorch_asked: list[str] = []
    user_asked: list[str] = []
    report = tmp_path / "report.json"
    with (
        serve_index(indexes["pytorch"], root="cpu", requests=pytorch_asked) as pytorch,
        serve_index(indexes["user"], requests=user_asked) as user,
    ):
        machine = dict(
            _machine(env, tmp_path, gpu=False),
            PIP_INDEX_URL=user,
            SAFE_PIP_LAB_PYTORCH_INDEX=pytorch.removesuffix("/cpu"),
        )
        done = _safe_pip(
            fresh_venv, ["--torch-backend", "cpu", "--json-report", str(report), "install", "torch"], machine
        )
    assert done.returncode == 0, done.stderr
    assert f"--torch-backend cpu: torch packages from {pytorch} (asked for the CPU build)" in done.stderr
    written = json.loads(report.read_text())
    assert [attempt["argv"][3:] for attempt in written["attempts"]] == [
        ["install", "torch", "--index-url", pytorch]
    ]
    assert "step" not in written["attempts"][0]  # one run: the user's command, with the index added
    assert _installed(fresh_venv, "torch") == "2.7.1+cpu"
    # The command-line index wins over PIP_INDEX_URL: the user's index was never asked.
    assert user_asked == []
    assert _files_served(pytorch_asked) == ["torch-2.7.1%2Bcpu-py3-none-any.whl"]


def test_torch_and_another_package_run_pip_twice(
    fresh_venv: Path, env: dict[str, str], tmp_path: Path, indexes: dict[str, Path]
) -> None:
    pytorch_asked: list[str] = []
    user_asked: list[str] = []
    report = tmp_path / "report.json"
    with (
        serve_index(indexes["pytorch"], root="cpu", requests=pytorch_asked) as pytorch,
        serve_index(indexes["user"], requests=user_asked) as user,
    ):
        temporary = tmp_path / "tmp"
        temporary.mkdir()
        machine = dict(
            _machine(env, tmp_path, gpu=False),
            PIP_INDEX_URL=user,
            SAFE_PIP_LAB_PYTORCH_INDEX=pytorch.removesuffix("/cpu"),
            TMPDIR=str(temporary),
        )
        args = ["--torch-backend", "cpu", "--json-report", str(report), "install", "torch", "tinyapp"]
        done = _safe_pip(fresh_venv, args, machine)
    assert done.returncode == 0, done.stderr
    # The constraints file the second run read is gone with safe-pip.
    assert not [path.name for path in temporary.iterdir() if path.name.startswith("safe-pip-")]
    assert f"first the torch packages alone: pip install torch --index-url {pytorch}" in done.stderr
    assert "then the rest, held to torch==2.7.1+cpu" in done.stderr
    written = json.loads(report.read_text())
    first, second = written["attempts"]
    assert (first["step"], first["argv"][3:], first["exit_code"]) == (
        "torch-packages",
        ["install", "torch", "--index-url", pytorch],
        0,
    )
    assert "step" not in second
    assert second["argv"][3:6] == ["install", "torch", "tinyapp"]
    assert second["argv"][6] == "--constraint"
    assert second["argv"][7].endswith("/torch-constraints.txt")
    assert written["exit_code"] == 0
    # Each run has its saved log, the user's command's last.
    logs = _saved_logs(tmp_path)
    assert len(logs) == 2
    last = Path(written["log_file"])
    assert last in logs
    assert "tinyapp" in last.read_text()
    (first_log,) = [log for log in logs if log != last]
    assert "Successfully installed torch-2.7.1+cpu" in first_log.read_text()
    assert (_installed(fresh_venv, "torch"), _installed(fresh_venv, "tinyapp")) == ("2.7.1+cpu", "1.0")
    # torch came from the PyTorch index alone; the rest from the user's index alone.
    assert _files_served(pytorch_asked) == ["torch-2.7.1%2Bcpu-py3-none-any.whl"]
    assert _files_served(user_asked) == ["tinyapp-1.0-py3-none-any.whl"]
    assert not any("tinyapp" in path for path in pytorch_asked)


def test_a_failing_first_run_is_diagnosed_and_the_command_not_run(
    fresh_venv: Path, env: dict[str, str], tmp_path: Path, indexes: dict[str, Path]
) -> None:
    user_asked: list[str] = []
    report = tmp_path / "report.json"
    with (
        serve_index(indexes["pytorch"], root="cpu") as pytorch,
        serve_index(indexes["user"], requests=user_asked) as user,
    ):
        machine = dict(
            _machine(env, tmp_path, gpu=False),
            PIP_INDEX_URL=user,
            SAFE_PIP_LAB_PYTORCH_INDEX=pytorch.removesuffix("/cpu"),
        )
        args = ["--torch-backend", "cpu", "--json-report", str(report), "install", "torch==2.6.0", "tinyapp"]
        done = _safe_pip(fresh_venv, args, machine)
    assert done.returncode == 1, done.stderr
    # Diagnosed as any failed pip run, with its saved log named.
    assert "safe-pip: pip install failed (exit code 1)" in done.stderr
    assert "no-matching-distribution" in done.stderr
    logs = _saved_logs(tmp_path)
    assert len(logs) == 1
    assert f"full log: {logs[0]}" in done.stderr
    assert "your command was not run" in done.stderr
    written = json.loads(report.read_text())
    assert [attempt["step"] for attempt in written["attempts"]] == ["torch-packages"]
    attempt = written["attempts"][0]
    assert attempt["argv"][3:] == ["install", "torch==2.6.0", "--index-url", pytorch]
    assert attempt["exit_code"] == 1
    assert attempt["diagnoses"][0]["category"] == "no-matching-distribution"
    assert (written["exit_code"], written["log_file"]) == (1, str(logs[0]))
    assert not any("tinyapp" in path for path in user_asked)
    assert _installed(fresh_venv, "tinyapp") is None


def test_without_the_flag_the_index_is_never_changed(
    fresh_venv: Path, env: dict[str, str], tmp_path: Path, indexes: dict[str, Path]
) -> None:
    pytorch_asked: list[str] = []
    report = tmp_path / "report.json"
    with (
        serve_index(indexes["pytorch"], root="cpu", requests=pytorch_asked) as pytorch,
        serve_index(indexes["user"]) as user,
    ):
        machine = dict(
            _machine(env, tmp_path, gpu=False),
            PIP_INDEX_URL=user,
            SAFE_PIP_LAB_PYTORCH_INDEX=pytorch.removesuffix("/cpu"),
        )
        done = _safe_pip(fresh_venv, ["--json-report", str(report), "install", "torch"], machine)
    assert done.returncode == 0, done.stderr
    # The advice, printed only: no NVIDIA GPU here, and the command that would install the CPU build.
    assert "safe-pip: no NVIDIA GPU here: torch from PyPI is its CUDA build" in done.stderr
    # (in the same target: the user chose it with --python)
    assert f"--torch-backend cpu install torch  (its index: {pytorch})" in done.stderr
    assert f"safe-pip --python {fresh_venv}" in done.stderr
    assert [attempt["argv"][3:] for attempt in json.loads(report.read_text())["attempts"]] == [
        ["install", "torch"]
    ]
    assert pytorch_asked == []
    assert _installed(fresh_venv, "torch") == "2.8.0"


def test_verify_import_finds_a_cpu_only_torch_on_a_gpu(
    fresh_venv: Path, env: dict[str, str], tmp_path: Path, indexes: dict[str, Path]
) -> None:
    with serve_index(indexes["pytorch"], root="cpu") as pytorch:
        # The user installs the CPU build from an index of their own: safe-pip changes nothing before.
        machine = dict(_machine(env, tmp_path, gpu=True), PIP_INDEX_URL=pytorch)
        done = _safe_pip(fresh_venv, ["--verify-import", "install", "torch==2.7.1+cpu"], machine)
    assert done.returncode == 1, done.stderr
    assert "safe-pip: --verify-import: imported torch" in done.stderr
    said = done.stderr[done.stderr.index("safe-pip: installed, but torch cannot use") :].splitlines()
    # The driver is the open kernel module file's (575.57.08), read before nvidia-smi's (570.133.07).
    assert said[:3] == [
        "safe-pip: installed, but torch cannot use NVIDIA GeForce RTX 4090: torch.cuda.is_available() is False",
        "safe-pip:   likely cause: torch 2.7.1+cpu is a CPU-only build, but this machine has an NVIDIA GPU "
        "(driver 575.57.08): torch.cuda.is_available() is False.",
        f"safe-pip:   fix: {fresh_venv} -m pip install --force-reinstall torch==2.7.1 "
        "--index-url https://download.pytorch.org/whl/cu126",
    ]
