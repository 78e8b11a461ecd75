"""GPU facts: the parsers over recorded driver files, nvidia-smi in several versions, rocminfo and the torch
scripts' output; the probes driven through a given runner and reader; and the probe end to end with a fake
nvidia-smi on PATH and the real torch-facts script run in a real interpreter with a stand-in torch."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import safe_pip.probe
from safe_pip.gpu import (
    Gpu,
    GpuFacts,
    cuda_version_text,
    invalid_smi_field,
    parse_compute_capability,
    parse_cuda_check,
    parse_proc_driver_version,
    parse_rocm_version,
    parse_rocminfo,
    parse_smi_banner,
    parse_smi_error,
    parse_smi_query,
    parse_sys_module_version,
    parse_torch_facts,
)
from safe_pip.probe import (
    check_torch_cuda,
    detect_gpu_facts,
    detect_machine,
    detect_nvidia_driver,
    detect_torch_facts,
    run_merged,
)

# Written in the formats the NVIDIA kernel modules print (the proprietary module; the open module, which puts
# "for <arch>" before the version; a Jetson's L4T module).
PROC_PROPRIETARY = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.82.01  Tue Oct 19 00:13:54 UTC 2021\n"
    "GCC version:  gcc version 9.3.0 (Ubuntu 9.3.0-17ubuntu1~20.04)\n"
)
PROC_OPEN = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.07  Release Build  "
    "(dvs-builder@U22-I3-AE18-23-3)  Fri Mar 14 13:24:07 UTC 2025\n"
    "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n"
)
PROC_OPEN_ARM = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  580.65.06  Release Build  (b@h)  x\n"
)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        (PROC_PROPRIETARY, "470.82.01"),
        (PROC_OPEN, "570.133.07"),
        (PROC_OPEN_ARM, "580.65.06"),  # "aarch64" holds digits: not taken for the version
        ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  384.98  Thu Oct 26 15:16:01 PDT 2017\n", "384.98"),
        ("GCC version:  gcc version 9.3.0\n", None),
        ("", None),
    ],
    ids=["proprietary", "open", "open-aarch64", "two-part", "no-nvrm-line", "empty"],
)
def test_parse_proc_driver_version(text: str, version: str | None) -> None:
    assert parse_proc_driver_version(text) == version


@pytest.mark.parametrize(
    ("text", "version"), [("550.54.14\n", "550.54.14"), ("570.26\n", "570.26"), ("\n", None), ("x\n", None)]
)
def test_parse_sys_module_version(text: str, version: str | None) -> None:
    assert parse_sys_module_version(text) == version


SMI_FIELDS = ("name", "compute_cap", "driver_version")


def test_parse_smi_query_two_gpus() -> None:
    text = "NVIDIA GeForce RTX 4090, 8.9, 550.54.14\nNVIDIA RTX A6000, 8.6, 550.54.14\n"
    rows = parse_smi_query(text, SMI_FIELDS)
    assert rows == [
        {"name": "NVIDIA GeForce RTX 4090", "compute_cap": "8.9", "driver_version": "550.54.14"},
        {"name": "NVIDIA RTX A6000", "compute_cap": "8.6", "driver_version": "550.54.14"},
    ]


@pytest.mark.parametrize(
    "text",
    [
        'Field "compute_cap" is not a valid field to query.\n\n',  # nvidia-smi of the 470 drivers
        "name, compute_cap, driver_version\nNVIDIA A100, 8.0, 535.104.05\n",  # a header: csv without noheader
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the "
        "latest NVIDIA driver is installed and running.\n\n",
        "",
    ],
    ids=["old-smi", "header", "no-driver", "empty"],
)
def test_parse_smi_query_refuses_what_is_not_an_answer(text: str) -> None:
    assert parse_smi_query(text, SMI_FIELDS) is None


def test_smi_errors_in_its_own_words() -> None:
    assert invalid_smi_field('Field "compute_cap" is not a valid field to query.\n') == "compute_cap"
    assert invalid_smi_field("NVIDIA A100, 8.0, 535.104.05\n") is None
    assert parse_smi_error("Failed to initialize NVML: Driver/library version mismatch\n") == (
        "Failed to initialize NVML: Driver/library version mismatch"
    )
    assert parse_smi_error("No devices were found\n") == "No devices were found"
    assert parse_smi_error("NVIDIA A100, 8.0, 535.104.05\n") is None


def test_parse_compute_capability() -> None:
    assert parse_compute_capability("8.9") == (8, 9)
    assert parse_compute_capability(" 12.0 ") == (12, 0)
    assert parse_compute_capability("[N/A]") is None
    assert Gpu("x", (12, 0)).sm == "sm_120"


def test_parse_smi_banner() -> None:
    banner = (
        "+-----------------------------------------------------------------------------------------+\n"
        "| NVIDIA-SMI 570.133.07             Driver Version: 570.133.07     CUDA Version: 12.8     |\n"
        "|-----------------------------------------+------------------------+----------------------+\n"
    )
    assert parse_smi_banner(banner) == ("570.133.07", "12.8")
    assert parse_smi_banner("nothing") == (None, None)


def test_rocm() -> None:
    assert parse_rocm_version("6.0.2-115\n") == "6.0.2"
    assert parse_rocm_version("garbage") is None
    rocminfo = (
        "*******\nAgent 1\n*******\n  Name:                    AMD EPYC 7763 64-Core Processor\n"
        "  Marketing Name:          AMD EPYC 7763 64-Core Processor\n"
        "*******\nAgent 2\n*******\n  Name:                    gfx90a\n  Marketing Name:          AMD Instinct MI210\n"
        "*******\nAgent 3\n*******\n  Name:                    gfx90a\n"
        "    Name:                    amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-\n"
    )
    assert parse_rocminfo(rocminfo) == ("gfx90a",)


def test_cuda_version_text() -> None:
    assert cuda_version_text(11040) == "11.4"
    assert cuda_version_text(12080) == "12.8"


# -- torch facts ---------------------------------------------------------------------------------------------
def _torch_line(**data: object) -> str:
    return "some warning\nsafe-pip-torch " + json.dumps(data) + "\n"


def test_parse_torch_facts_of_a_cuda_build() -> None:
    facts = parse_torch_facts(
        _torch_line(
            version="2.7.1+cu128",
            cuda="12.8",
            hip=None,
            arch_list=["sm_75", "sm_80", "sm_120"],
            available=True,
            capability=[8, 9],
            cxx11_abi=True,
            warnings=[],
        )
    )
    assert facts is not None
    assert (facts.build, facts.cuda_major, facts.device_capability) == ("cuda", 12, (8, 9))
    assert facts.arch_list == ("sm_75", "sm_80", "sm_120")


def test_parse_torch_facts_cpu_missing_and_broken() -> None:
    cpu = parse_torch_facts(_torch_line(version="2.9.1+cpu", cuda=None, available=False, arch_list=[]))
    assert cpu is not None
    assert cpu.build == "cpu"
    assert parse_torch_facts(_torch_line(missing=True)) is None
    assert parse_torch_facts("no marker here") is None
    broken = parse_torch_facts(
        _torch_line(import_error="ImportError: libcudart.so.12: cannot open shared object file")
    )
    assert broken is not None
    assert broken.build is None
    assert broken.import_error is not None


def test_parse_cuda_check() -> None:
    ok = parse_cuda_check("safe-pip-cuda import ok\nsafe-pip-cuda available 1\nsafe-pip-cuda tensor ok\n")
    assert ok.ok
    failed = parse_cuda_check(
        "safe-pip-cuda import ok\nsafe-pip-cuda available 1\nTraceback ...\n"
        "safe-pip-cuda tensor failed\n"
        "safe-pip-cuda error RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    )
    assert not failed.ok
    assert failed.tensor_ok is False
    assert failed.error is not None
    assert "no kernel image" in failed.error
    unavailable = parse_cuda_check("safe-pip-cuda import ok\nsafe-pip-cuda available 0\n")
    assert (unavailable.available, unavailable.tensor_ok, unavailable.ok) == (False, None, False)


# -- the probe, through a recorded runner and reader ---------------------------------------------------------
class Recorded:
    """Answers commands and file reads from recorded text; remembers what was asked."""

    def __init__(self, commands: dict[str, tuple[int, str]], files: dict[str, str]) -> None:
        self.commands = commands
        self.files = files
        self.asked: list[str] = []

    def run(self, argv: Sequence[str], timeout: float) -> tuple[int, str] | None:
        key = " ".join(argv)
        self.asked.append(key)
        for prefix, answer in self.commands.items():
            if key.startswith(prefix):
                return answer
        return None

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def which(self, name: str) -> str | None:
        return (
            f"/usr/bin/{name}" if any(key.startswith(f"/usr/bin/{name}") for key in self.commands) else None
        )


QUERY = "/usr/bin/nvidia-smi --query-gpu=name,compute_cap,driver_version"
OLD_QUERY = "/usr/bin/nvidia-smi --query-gpu=name,driver_version"


def test_no_gpu_at_all() -> None:
    recorded = Recorded({}, {})
    facts = detect_gpu_facts(recorded.run, recorded.read, recorded.which)
    assert facts == GpuFacts()
    assert not facts.nvidia
    assert recorded.asked == []


def test_driver_file_and_new_nvidia_smi() -> None:
    recorded = Recorded(
        {QUERY: (0, "NVIDIA GeForce RTX 5090, 12.0, 575.57.08\n")},
        {"/proc/driver/nvidia/version": PROC_OPEN.replace("570.133.07", "575.57.08")},
    )
    facts = detect_gpu_facts(recorded.run, recorded.read, recorded.which)
    assert facts.driver == "575.57.08"
    assert facts.driver_source == "/proc/driver/nvidia/version"
    assert facts.gpus == (Gpu("NVIDIA GeForce RTX 5090", (12, 0)),)


def test_an_old_nvidia_smi_is_asked_again_without_compute_cap() -> None:
    recorded = Recorded(
        {
            QUERY: (2, 'Field "compute_cap" is not a valid field to query.\n\n'),
            OLD_QUERY: (0, "Tesla V100-SXM2-16GB, 470.82.01\n"),
        },
        {"/sys/module/nvidia/version": "470.82.01\n"},
    )
    facts = detect_gpu_facts(recorded.run, recorded.read, recorded.which)
    assert facts.driver == "470.82.01"
    assert facts.driver_source == "/sys/module/nvidia/version"
    assert facts.gpus == (Gpu("Tesla V100-SXM2-16GB", None),)
    assert facts.smi_problem is None
    assert len(recorded.asked) == 2


def test_nvidia_smi_alone_gives_the_driver() -> None:
    recorded = Recorded({QUERY: (0, "NVIDIA A100-SXM4-80GB, 8.0, 535.104.05\n")}, {})
    facts = detect_gpu_facts(recorded.run, recorded.read, recorded.which)
    assert (facts.driver, facts.driver_source) == ("535.104.05", "nvidia-smi")


def test_a_failing_nvidia_smi_is_reported_in_its_words() -> None:
    recorded = Recorded(
        {QUERY: (9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n")}, {}
    )
    facts = detect_gpu_facts(recorded.run, recorded.read, recorded.which)
    assert facts.driver is None
    assert facts.smi_problem is not None
    assert facts.smi_problem.startswith("NVIDIA-SMI has failed")


def test_rocm_is_read() -> None:
    recorded = Recorded(
        {"/usr/bin/rocminfo": (0, "Agent 2\n  Name:                    gfx1100\n")},
        {"/opt/rocm/.info/version": "6.2.4-120\n"},
    )
    facts = detect_gpu_facts(recorded.run, recorded.read, recorded.which)
    assert (facts.rocm, facts.rocm_gpus, facts.nvidia, facts.amd) == ("6.2.4", ("gfx1100",), False, True)


DRIVER_ONLY = "/usr/bin/nvidia-smi --query-gpu=driver_version"


@pytest.mark.parametrize(
    ("commands", "files", "found"),
    [
        ({}, {"/proc/driver/nvidia/version": PROC_PROPRIETARY}, ("470.82.01", "/proc/driver/nvidia/version")),
        ({}, {"/proc/driver/nvidia/version": PROC_OPEN}, ("570.133.07", "/proc/driver/nvidia/version")),
        ({}, {"/proc/driver/nvidia/version": PROC_OPEN_ARM}, ("580.65.06", "/proc/driver/nvidia/version")),
        ({}, {"/sys/module/nvidia/version": "550.54.14\n"}, ("550.54.14", "/sys/module/nvidia/version")),
        ({DRIVER_ONLY: (0, "535.104.05\n535.104.05\n")}, {}, ("535.104.05", "nvidia-smi")),
        (
            {
                DRIVER_ONLY: (
                    9,
                    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
                )
            },
            {},
            (None, None),
        ),
        ({}, {}, (None, None)),
    ],
    ids=["proprietary", "open", "open-aarch64", "sys-module", "nvidia-smi", "nvidia-smi-fails", "none"],
)
def test_detect_nvidia_driver_reads_every_format(
    commands: dict[str, tuple[int, str]], files: dict[str, str], found: tuple[str | None, str | None]
) -> None:
    # The one driver reader of doctor's CUDA line (MachineFacts.driver_version): gpu.py's parsers, so the open
    # kernel module's "Open Kernel Module for x86_64  570.133.07" is read as the GPU section reads it.
    recorded = Recorded(commands, files)
    assert detect_nvidia_driver(recorded.run, recorded.read, recorded.which) == found
    # A driver file makes nvidia-smi unnecessary.
    assert recorded.asked == ([] if files else [*(f"{key} --format=csv,noheader" for key in commands)])


def test_the_machine_facts_take_the_driver_from_the_one_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        safe_pip.probe, "detect_nvidia_driver", lambda: ("570.133.07", "/proc/driver/nvidia/version")
    )
    assert detect_machine().driver_version == "570.133.07"


# -- end to end: a fake nvidia-smi on PATH, a fake driver file, real subprocesses ----------------------------
def _fake_program(folder: Path, name: str, script: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for nvidia-smi")
def test_probe_end_to_end_with_a_fake_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # The 470 drivers' nvidia-smi: refuses compute_cap (exit 2, on stdout), answers without it.
    _fake_program(
        bin_dir,
        "nvidia-smi",
        'case "$1" in\n'
        "  *compute_cap*) echo 'Field \"compute_cap\" is not a valid field to query.'; echo; exit 2;;\n"
        '  *) echo "NVIDIA GeForce GTX 1080 Ti, 470.82.01";;\nesac',
    )
    driver_file = tmp_path / "version"
    driver_file.write_text(PROC_PROPRIETARY)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def read(path: str) -> str | None:
        if path == "/proc/driver/nvidia/version":
            return driver_file.read_text()
        return None

    facts = detect_gpu_facts(run_merged, read, shutil.which)
    assert facts.driver == "470.82.01"
    assert facts.gpus == (Gpu("NVIDIA GeForce GTX 1080 Ti", None),)


def _stand_in_torch(folder: Path, *, cuda: str | None, available: bool, arch: str) -> Path:
    """A package named torch with the attributes the scripts read (the real one is 800 MB)."""
    package = folder / "torch"
    (package / "cuda").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import types, warnings\n"
        "__version__ = '2.7.1+cu128'\n"
        f"version = types.SimpleNamespace(cuda={cuda!r}, hip=None)\n"
        f"_C = types.SimpleNamespace(_GLIBCXX_USE_CXX11_ABI=True, _cuda_getArchFlags=lambda: {arch!r})\n"
        "from torch import cuda\n"
        "def ones(n, device):\n"
        "    raise RuntimeError('CUDA error: no kernel image is available for execution on the device')\n"
    )
    (package / "cuda" / "__init__.py").write_text(
        "import warnings\n"
        "def is_available():\n"
        f"    if not {available!r}:\n"
        "        warnings.warn('CUDA initialization: The NVIDIA driver on your system is too old "
        "(found version 11040).')\n"
        f"    return {available!r}\n"
        "def get_device_capability(index):\n"
        "    return (12, 0)\n"
    )
    return folder


def _in_folder(folder: Path) -> Callable[[Sequence[str], float], tuple[int, str] | None]:
    def run(argv: Sequence[str], timeout: float) -> tuple[int, str] | None:
        # PYTHONPATH puts the stand-in torch first; the scripts are the real ones.
        env = {**os.environ, "PYTHONPATH": str(folder)}
        import subprocess

        done = subprocess.run(
            list(argv), capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        return done.returncode, done.stdout + done.stderr

    return run


def test_torch_facts_script_in_a_real_interpreter(tmp_path: Path) -> None:
    folder = _stand_in_torch(tmp_path, cuda="12.8", available=False, arch="sm_75 sm_80 sm_120")
    facts = detect_torch_facts(sys.executable, run=_in_folder(folder))
    assert facts is not None
    assert (facts.version, facts.cuda, facts.cuda_available, facts.cxx11_abi) == (
        "2.7.1+cu128",
        "12.8",
        False,
        True,
    )
    assert facts.arch_list == ("sm_75", "sm_80", "sm_120")
    assert facts.warnings == (
        "CUDA initialization: The NVIDIA driver on your system is too old (found version 11040).",
    )


def test_torch_facts_script_without_torch(tmp_path: Path) -> None:
    assert detect_torch_facts(sys.executable, run=_in_folder(tmp_path)) is None


def test_cuda_check_script_in_a_real_interpreter(tmp_path: Path) -> None:
    folder = _stand_in_torch(tmp_path, cuda="12.8", available=True, arch="sm_80")
    check = check_torch_cuda(sys.executable, run=_in_folder(folder))
    assert not check.skipped
    assert (check.imported, check.available, check.tensor_ok) == (True, True, False)
    assert check.error == "RuntimeError: CUDA error: no kernel image is available for execution on the device"
    assert "Traceback" in check.output


def _dist_info(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_cuda_check_skips_what_does_not_use_torch(tmp_path: Path) -> None:
    folder = _stand_in_torch(tmp_path, cuda="12.8", available=True, arch="sm_80")
    _dist_info(folder, "requests", "2.32.3", ("urllib3<3,>=1.21.1",))
    _dist_info(
        folder, "torch_geometric", "2.6.1", ("torch-geometric-extra",)
    )  # another project named torch-*
    _dist_info(folder, "flash_attn", "2.8.3", ("torch", "einops"))
    assert check_torch_cuda(sys.executable, ["requests", "torch_geometric"], run=_in_folder(folder)).skipped
    # A package depending on torch (flash-attn): checked.
    check = check_torch_cuda(sys.executable, ["requests", "flash_attn"], run=_in_folder(folder))
    assert not check.skipped
    assert check.tensor_ok is False
