"""doctor's findings from given facts (pure), and the command end to end in a real venv."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from safe_pip.doctor import doctor_json, findings
from safe_pip.facts import OsRelease
from safe_pip.probe import InterpreterFacts, MachineFacts, ToolInfo
from tests.conftest import safe_pip_argv

GOOD_INTERPRETER = InterpreterFacts(
    version=(3, 11, 7),
    platform="linux",
    machine="x86_64",
    tags=("cp311-cp311-manylinux_2_36_x86_64",),
    pip_version=(24, 0),
    glibc=(2, 36),
    macos=None,
    venv=True,
    externally_managed=False,
    python_h=True,
    site_packages_writable=True,
    site_packages="/v/lib/python3.11/site-packages",
    packages={},
)
GOOD_MACHINE = MachineFacts(
    platform="linux",
    machine="x86_64",
    distro=OsRelease("ubuntu", "22.04", ("debian",), "Ubuntu 22.04"),
    libc=("glibc", (2, 35)),
    tools={"gcc": ToolInfo("gcc", "/usr/bin/gcc", "11.4.0")},
    cuda_home=None,
    cuda_home_has_nvcc=None,
    nvcc_version=None,
    driver_version=None,
    memory_available=16 << 30,
    cpus=8.0,
    disk_free={"/tmp": 50 << 30},
)


def _ids(
    interpreter: InterpreterFacts | None = GOOD_INTERPRETER, machine: MachineFacts = GOOD_MACHINE
) -> list[str]:
    return [finding.id for finding in findings(interpreter, machine, "/v/bin/python")]


def test_a_healthy_machine_has_no_findings() -> None:
    assert _ids() == []


@pytest.mark.parametrize(
    ("interpreter", "machine", "finding", "fix"),
    [
        (
            GOOD_INTERPRETER,
            replace(GOOD_MACHINE, tools={}),
            "no-compiler",
            "sudo apt-get install -y build-essential",
        ),
        (
            GOOD_INTERPRETER,
            replace(GOOD_MACHINE, tools={}, distro=OsRelease("alpine", "3.19", (), None)),
            "no-compiler",
            "apk add build-base",
        ),
        (
            replace(GOOD_INTERPRETER, python_h=False),
            GOOD_MACHINE,
            "no-python-headers",
            "sudo apt-get install -y python3.11-dev",
        ),
        (
            replace(GOOD_INTERPRETER, venv=False, externally_managed=True),
            GOOD_MACHINE,
            "externally-managed",
            "python3 -m venv .venv && . .venv/bin/activate",
        ),
        (
            replace(GOOD_INTERPRETER, pip_version=(19, 2, 3)),
            GOOD_MACHINE,
            "pip-too-old",
            "/v/bin/python -m pip install --upgrade pip",
        ),
        (
            replace(GOOD_INTERPRETER, pip_version=None),
            GOOD_MACHINE,
            "no-pip",
            "/v/bin/python -m ensurepip --upgrade",
        ),
        (
            replace(GOOD_INTERPRETER, packages={"torch": "2.3.0+cu121"}),
            replace(GOOD_MACHINE, nvcc_version="12.4"),
            "cuda-mismatch",
            "point CUDA_HOME at a CUDA 12.1 toolkit",  # torch 2.3 has no CUDA 12.4 build to name
        ),
        (GOOD_INTERPRETER, replace(GOOD_MACHINE, memory_available=2 << 30), "low-memory", "MAX_JOBS=1"),
        (GOOD_INTERPRETER, replace(GOOD_MACHINE, disk_free={"/tmp": 1 << 29}), "low-disk", "TMPDIR"),
        (
            GOOD_INTERPRETER,
            replace(GOOD_MACHINE, cuda_home="/opt/nothing", cuda_home_has_nvcc=False),
            "cuda-home-empty",
            "bin/nvcc",
        ),
    ],
    ids=[
        "no-compiler",
        "no-compiler-alpine",
        "no-headers",
        "pep668",
        "old-pip",
        "no-pip",
        "cuda-mismatch",
        "low-memory",
        "low-disk",
        "empty-cuda-home",
    ],
)
def test_findings(interpreter: InterpreterFacts, machine: MachineFacts, finding: str, fix: str) -> None:
    found = {item.id: item for item in findings(interpreter, machine, "/v/bin/python")}
    assert finding in found
    assert fix in found[finding].fix


def test_matching_cuda_versions_are_fine() -> None:
    assert (
        _ids(
            replace(GOOD_INTERPRETER, packages={"torch": "2.3.0+cu124"}),
            replace(GOOD_MACHINE, nvcc_version="12.4"),
        )
        == []
    )


def test_json_report_shape() -> None:
    report = doctor_json(GOOD_INTERPRETER, GOOD_MACHINE, "/v/bin/python", "0.1.0")
    assert set(report) == {"schema_version", "safe_pip_version", "interpreter", "machine", "gpu", "findings"}
    assert report["gpu"] is None  # not probed
    assert report["interpreter"]["abi"] == "cp311"
    assert report["machine"]["package_manager"] == "apt"
    assert report["machine"]["libc"] == {"name": "glibc", "version": "2.35"}
    assert report["findings"] == []


@pytest.mark.e2e
def test_doctor_end_to_end_in_a_venv(shared_venv: Path, env: dict[str, str]) -> None:
    human = subprocess.run(
        safe_pip_argv("--python", str(shared_venv), "doctor"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert human.returncode == 0, human.stderr
    assert human.stdout.startswith(f"Interpreter  {shared_venv} (--python): CPython ")
    for heading in ("Machine ", "Compilers ", "Build tools ", "Rust ", "CUDA ", "Resources ", "Findings"):
        assert f"\n{heading}" in human.stdout
    report = json.loads(
        subprocess.run(
            safe_pip_argv("--python", str(shared_venv), "doctor", "--json"),
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )
    assert report["interpreter"]["venv"] is True
    assert report["interpreter"]["tag_count"] > 10
    assert report["machine"]["platform"].startswith(("linux", "darwin", "win"))
    # A PATH without compilers is reported as such.
    bare = subprocess.run(
        safe_pip_argv("--python", str(shared_venv), "doctor", "--json"),
        env=dict(env, PATH="/nonexistent"),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "no-compiler" in [finding["id"] for finding in json.loads(bare.stdout)["findings"]]
