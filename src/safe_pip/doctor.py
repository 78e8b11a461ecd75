"""`safe-pip doctor`: what this interpreter and machine can install and build, and what to fix first.

Pure: it turns the facts `probe` gathered into findings (each with a one-line fix) and into the report's
JSON. The command itself (printing, exit code) is in `commands`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safe_pip.facts import parse_torch_version
from safe_pip.fixes import COMPILER_PACKAGES as _BUILD_COMPILER_PACKAGES
from safe_pip.fixes import PACKAGE_MANAGERS, PYTHON_HEADER_PACKAGES
from safe_pip.probe import InterpreterFacts, MachineFacts

if TYPE_CHECKING:
    from safe_pip.gpu import GpuFacts, TorchFacts

__all__ = ["COMPILER_PACKAGES", "Finding", "doctor_json", "findings"]

_GB = 1 << 30
LOW_MEMORY = 4 * _GB  # below this, parallel C++/CUDA builds get killed
LOW_DISK = 2 * _GB  # torch alone needs more than this while unpacking
_COMPILERS = ("cc", "gcc", "clang", "msvc")
# A C/C++ compiler per package manager: doctor's finding and plan's fix (preflight) both name it (a failed
# build's system-package fix adds the same, fixes.COMPILER_PACKAGES; on macOS, Homebrew's gcc).
COMPILER_PACKAGES = {**_BUILD_COMPILER_PACKAGES, "brew": "gcc"}
_COMPILER_ELSEWHERE = {"darwin": "xcode-select --install", "win32": "install the Microsoft C++ Build Tools"}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str  # "problem" (installs will fail) or "warning" (some installs may fail)
    message: str
    fix: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "severity": self.severity, "message": self.message, "fix": self.fix}


def _install(manager: str | None, packages: dict[str, str], fallback: str) -> str:
    if manager and manager in packages:
        return PACKAGE_MANAGERS[manager].format(packages[manager])
    return fallback


def findings(
    interpreter: InterpreterFacts | None,
    machine: MachineFacts,
    python: str,
    *,
    gpu: GpuFacts | None = None,
    torch_facts: TorchFacts | None = None,
) -> list[Finding]:
    """What stands between this machine and a working `pip install`, most serious first; `gpu` and
    `torch_facts` (probe.detect_gpu_facts, detect_torch_facts) add the GPU's findings (gpudoctor)."""
    found: list[Finding] = []
    manager = machine.package_manager
    if not any(machine.tools.get(name) for name in _COMPILERS):
        found.append(
            Finding(
                "no-compiler",
                "problem",
                "No C compiler on PATH: packages without a wheel for this Python cannot be built.",
                _install(
                    manager,
                    COMPILER_PACKAGES,
                    "xcode-select --install"
                    if machine.platform == "darwin"
                    else "install the Microsoft C++ Build Tools"
                    if machine.platform == "win32"
                    else "install gcc",
                ),
            )
        )
    if interpreter is not None:
        version = f"{interpreter.version[0]}.{interpreter.version[1]}"
        if not interpreter.python_h:
            found.append(
                Finding(
                    "no-python-headers",
                    "problem",
                    f"Python.h is missing for Python {version}: C extensions cannot be built for it.",
                    _install(
                        manager,
                        {
                            manager: package.replace("{version}", version)
                            for manager, package in PYTHON_HEADER_PACKAGES.items()
                        },
                        "install your Python's development headers",
                    ),
                )
            )
        if interpreter.externally_managed and not interpreter.venv:
            found.append(
                Finding(
                    "externally-managed",
                    "problem",
                    "This Python is managed by the OS (PEP 668): pip will refuse to install into it.",
                    "python3 -m venv .venv && . .venv/bin/activate",
                )
            )
        elif not interpreter.site_packages_writable and not interpreter.venv:
            found.append(
                Finding(
                    "site-packages-read-only",
                    "problem",
                    f"This user cannot write to {interpreter.site_packages or 'site-packages'}.",
                    "python3 -m venv .venv && . .venv/bin/activate",
                )
            )
        pip = interpreter.pip_version
        if pip is None:
            found.append(
                Finding("no-pip", "problem", "This Python has no pip.", f"{python} -m ensurepip --upgrade")
            )
        elif machine.platform.startswith("linux") and pip < (20, 3):
            shown = ".".join(str(part) for part in pip)
            found.append(
                Finding(
                    "pip-too-old",
                    "problem",
                    f"pip {shown} does not know manylinux_x_y wheel tags (pip >= 20.3 does): most current "
                    "Linux wheels will be skipped and built from source.",
                    f"{python} -m pip install --upgrade pip",
                )
            )
        # The GPU's and torch's findings (CPU-only torch, driver, GPU architecture, nvcc vs torch's CUDA).
        from safe_pip.cudatables import load_tables
        from safe_pip.gpu import GpuFacts
        from safe_pip.gpudoctor import gpu_findings, torch_build

        tables = load_tables()
        build = torch_build(torch_facts, interpreter.packages.get("torch"), tables)
        found.extend(
            gpu_findings(gpu or GpuFacts(), build, machine.nvcc_version, tables, python, facts=torch_facts)
        )
    if machine.cuda_home and machine.cuda_home_has_nvcc is False:
        found.append(
            Finding(
                "cuda-home-empty",
                "warning",
                f"CUDA_HOME is {machine.cuda_home}, but it holds no bin/nvcc.",
                "point CUDA_HOME at the CUDA toolkit's folder (the one with bin/nvcc), e.g. /usr/local/cuda",
            )
        )
    memory = machine.memory_available
    if memory is not None and memory < LOW_MEMORY:
        found.append(
            Finding(
                "low-memory",
                "warning",
                f"Only {memory / _GB:.1f} GB of memory is available: parallel C++/CUDA builds may be killed.",
                "build heavy packages with MAX_JOBS=1 (or CMAKE_BUILD_PARALLEL_LEVEL=1, MAKEFLAGS=-j1)",
            )
        )
    for folder, free in machine.disk_free.items():
        if free is not None and free < LOW_DISK:
            found.append(
                Finding(
                    "low-disk",
                    "warning",
                    f"Only {free / _GB:.1f} GB free in {folder}.",
                    "free some space, or point TMPDIR at a disk with room",
                )
            )
    return found


def doctor_json(
    interpreter: InterpreterFacts | None,
    machine: MachineFacts,
    python: str,
    version: str,
    *,
    gpu: GpuFacts | None = None,
    torch_facts: TorchFacts | None = None,
) -> dict[str, Any]:
    """The `doctor --json` report (fields documented in README.md); `gpu` is null when not probed."""
    interp: dict[str, Any] | None = None
    if interpreter is not None:
        torch = interpreter.packages.get("torch")
        pip = interpreter.pip_version
        interp = {
            "path": python,
            "version": ".".join(str(part) for part in interpreter.version),
            "implementation": interpreter.wheel_target().implementation,
            "abi": interpreter.wheel_target().abi,
            "pip_version": ".".join(str(part) for part in pip) if pip else None,
            "venv": interpreter.venv,
            "externally_managed": interpreter.externally_managed,
            "python_h": interpreter.python_h,
            "site_packages": interpreter.site_packages,
            "site_packages_writable": interpreter.site_packages_writable,
            "tags": list(interpreter.tags[:10]),
            "tag_count": len(interpreter.tags),
            "torch": dict(parse_torch_version(torch)) if torch else None,
            "numpy": interpreter.packages.get("numpy"),
        }
    distro = machine.distro
    libc = machine.libc
    return {
        "schema_version": 1,
        "safe_pip_version": version,
        "interpreter": interp,
        "machine": {
            "platform": machine.platform,
            "machine": machine.machine,
            "distro": {"id": distro.id, "version": distro.version, "name": distro.pretty_name}
            if distro
            else None,
            "package_manager": machine.package_manager,
            "libc": {"name": libc[0], "version": ".".join(map(str, libc[1]))} if libc else None,
            "tools": {
                name: ({"path": tool.path, "version": tool.version} if tool else None)
                for name, tool in machine.tools.items()
            },
            "cuda_home": machine.cuda_home,
            "nvcc_version": machine.nvcc_version,
            "nvidia_driver": machine.driver_version,
            "memory_available_bytes": machine.memory_available,
            "cpus": machine.cpus,
            "disk_free_bytes": dict(machine.disk_free),
        },
        "gpu": _gpu_json(gpu, torch_facts) if gpu is not None else None,
        "findings": [
            finding.to_json()
            for finding in findings(interpreter, machine, python, gpu=gpu, torch_facts=torch_facts)
        ],
    }


def _gpu_json(gpu: GpuFacts, torch_facts: TorchFacts | None) -> dict[str, Any]:
    from safe_pip.cudatables import load_tables
    from safe_pip.gpudoctor import gpu_json

    return gpu_json(gpu, torch_facts, load_tables())
