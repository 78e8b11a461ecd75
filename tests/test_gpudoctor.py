"""doctor's GPU section from recorded facts: the five machines of issue 16 (no GPU; a GPU with a CPU-only
torch; the 470 driver with a CUDA 12 torch; an sm_120 GPU with a torch built before it; nvcc 13 with a CUDA
12.8 torch), and the near misses that must stay quiet."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from safe_pip.cudatables import load_tables
from safe_pip.gpu import Gpu, GpuFacts, TorchFacts, parse_proc_driver_version
from safe_pip.gpudoctor import TorchBuild, gpu_findings, gpu_json, gpu_lines, torch_build
from tests.conftest import safe_pip_argv

TABLES = load_tables()
PY = "/v/bin/python"
OLD_ARCHS = ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")

NO_GPU = GpuFacts()
RTX_4090 = GpuFacts("570.133.07", "/proc/driver/nvidia/version", (Gpu("NVIDIA GeForce RTX 4090", (8, 9)),))
# The 470 branch (CUDA 11.4), read from its kernel module's file as the probe reads it.
OLD_DRIVER = GpuFacts(
    parse_proc_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.82.01  Tue Oct 19 2021\n"),
    "/proc/driver/nvidia/version",
    (Gpu("Tesla T4", (7, 5)),),
)
RTX_5090 = GpuFacts("575.57.08", "nvidia-smi", (Gpu("NVIDIA GeForce RTX 5090", (12, 0)),))


def _torch(version: str, cuda: str | None, archs: tuple[str, ...] = (), **more: object) -> TorchFacts:
    return TorchFacts(version=version, cuda=cuda, arch_list=archs, **more)  # type: ignore[arg-type]


def _findings(
    gpu: GpuFacts, torch: TorchFacts | None, nvcc: str | None = None, version: str | None = None
) -> list[tuple[str, str, str]]:
    build = torch_build(torch, version, TABLES)
    return [(f.id, f.severity, f.fix) for f in gpu_findings(gpu, build, nvcc, TABLES, PY, facts=torch)]


def test_no_gpu_is_nothing_alarming() -> None:
    # A CUDA torch from PyPI on a machine without a GPU: it runs on the CPU; nothing to fix.
    torch = _torch("2.9.1", "12.8", cuda_available=False)
    assert _findings(NO_GPU, torch) == []
    assert _findings(NO_GPU, None, version="2.9.1") == []
    lines = gpu_lines(NO_GPU, torch, TABLES)
    assert lines[0] == "GPU          no NVIDIA GPU found (no driver, no nvidia-smi): torch runs on the CPU"


def test_a_gpu_with_a_new_driver_and_a_cpu_only_torch() -> None:
    torch = _torch("2.7.1+cpu", None, cuda_available=False)
    assert _findings(RTX_4090, torch) == [
        (
            "torch-cpu-only",
            "problem",
            "/v/bin/python -m pip install --force-reinstall torch==2.7.1 "
            "--index-url https://download.pytorch.org/whl/cu126",
        )
    ]


def test_the_cpu_build_known_from_its_version_alone() -> None:
    # torch did not answer (the probe timed out): its version's +cpu tag says as much.
    assert [f[0] for f in _findings(RTX_4090, None, version="2.9.1+cpu")] == ["torch-cpu-only"]


def test_an_old_driver_with_a_cuda_12_torch() -> None:
    torch = _torch("2.5.1+cu124", "12.4", OLD_ARCHS, cuda_available=False)
    found = gpu_findings(OLD_DRIVER, torch_build(torch, None, TABLES), None, TABLES, PY, facts=torch)
    assert [(f.id, f.severity) for f in found] == [("driver-too-old", "problem")]
    assert found[0].message == (
        "torch 2.5.1+cu124 was built with CUDA 12.4, which needs NVIDIA driver 525.60.13 or newer; this driver "
        "is 470.82.01 (it runs CUDA 11.4 and older): torch cannot use the GPU."
    )
    assert found[0].fix == (
        "upgrade the NVIDIA driver to 525.60.13 or newer, or install the build this driver runs: "
        "/v/bin/python -m pip install --force-reinstall torch==2.5.1 --index-url https://download.pytorch.org/whl/cu118"
    )


def test_an_old_driver_and_a_torch_release_without_a_cuda_11_build() -> None:
    # torch 2.8 has no CUDA 11 build: the newest release that has one is named (2.7, cu118).
    torch = _torch("2.8.0", "12.8", cuda_available=False)
    (finding,) = gpu_findings(OLD_DRIVER, torch_build(torch, None, TABLES), None, TABLES, PY, facts=torch)
    assert finding.fix.endswith("'torch==2.7.*' --index-url https://download.pytorch.org/whl/cu118")


def test_a_driver_that_runs_cuda_12_through_minor_version_compatibility_is_fine() -> None:
    gpu = GpuFacts("535.104.05", "nvidia-smi", (Gpu("NVIDIA A100-SXM4-80GB", (8, 0)),))
    assert _findings(gpu, _torch("2.8.0+cu128", "12.8", ("sm_75", "sm_80", "sm_90"))) == []


def test_a_new_gpu_architecture_missing_from_an_older_torch() -> None:
    torch = _torch("2.6.0+cu124", "12.4", OLD_ARCHS, cuda_available=True)
    found = gpu_findings(RTX_5090, torch_build(torch, None, TABLES), None, TABLES, PY, facts=torch)
    assert [(f.id, f.severity) for f in found] == [("gpu-arch-missing", "problem")]
    assert "sm_50 … sm_90, none of which runs on the NVIDIA GeForce RTX 5090 (sm_120" in found[0].message
    # The 575 driver cannot run CUDA 13 builds: the newest release with a cu128 build.
    assert found[0].fix == (
        "/v/bin/python -m pip install --force-reinstall 'torch>=2.11' --index-url https://download.pytorch.org/whl/cu128"
    )


def test_sm_120_on_a_driver_for_cuda_13() -> None:
    gpu = GpuFacts("580.82.07", "nvidia-smi", (Gpu("NVIDIA RTX PRO 6000 Blackwell", (12, 0)),))
    torch = _torch("2.6.0+cu124", "12.4", OLD_ARCHS)
    (finding,) = gpu_findings(gpu, torch_build(torch, None, TABLES), None, TABLES, PY, facts=torch)
    assert finding.fix.endswith("'torch>=2.12' --index-url https://download.pytorch.org/whl/cu130")


def test_a_gpu_the_build_covers_by_binary_compatibility_is_fine() -> None:
    # An sm_89 GPU runs sm_86 code: no finding.
    assert _findings(RTX_4090, _torch("2.3.1+cu121", "12.1", ("sm_80", "sm_86"))) == []


def test_the_architecture_list_comes_from_the_table_when_torch_cannot_say() -> None:
    # torch.cuda.get_arch_list() is empty when CUDA is not available; a PyPI torch 2.6 is cu124.
    assert [f[0] for f in _findings(RTX_5090, None, version="2.6.0")] == ["gpu-arch-missing"]


def test_nvcc_13_with_a_cuda_12_8_torch() -> None:
    torch = _torch("2.8.0+cu128", "12.8", ("sm_75", "sm_80", "sm_86", "sm_90"))
    found = gpu_findings(RTX_4090, torch_build(torch, None, TABLES), "13.0", TABLES, PY, facts=torch)
    assert [(f.id, f.severity) for f in found] == [("cuda-mismatch", "problem")]
    assert found[0].message.startswith("nvcc is CUDA 13.0, torch 2.8.0+cu128 was built with CUDA 12.8")
    # torch 2.8 has no CUDA 13 build: only the toolkit can change.
    assert found[0].fix == (
        "install a CUDA 12.x toolkit and point CUDA_HOME at it (e.g. CUDA_HOME=/usr/local/cuda-12.8)"
    )


def test_nvcc_13_with_a_torch_that_has_a_cuda_13_build() -> None:
    torch = _torch("2.9.1+cu128", "12.8", ("sm_75", "sm_80", "sm_86", "sm_90"))
    (finding,) = gpu_findings(RTX_4090, torch_build(torch, None, TABLES), "13.0", TABLES, PY, facts=torch)
    assert finding.fix.endswith(
        ", or /v/bin/python -m pip install --force-reinstall torch==2.9.1 --index-url https://download.pytorch.org/whl/cu130"
    )


def test_another_minor_of_the_same_cuda_is_a_warning() -> None:
    torch = _torch("2.8.0+cu128", "12.8", ("sm_80", "sm_86", "sm_90"))
    assert [(f[0], f[1]) for f in _findings(RTX_4090, torch, nvcc="12.4")] == [("cuda-mismatch", "warning")]
    assert _findings(RTX_4090, torch, nvcc="12.8") == []


@pytest.mark.parametrize(
    ("facts", "version", "expected"),
    [
        (None, "2.7.1+cu118", TorchBuild("2.7.1+cu118", "11.8", "cuda", OLD_ARCHS)),
        (None, "2.9.1+cpu", TorchBuild("2.9.1+cpu", None, "cpu", ())),
        (None, "2.7.1", TorchBuild("2.7.1", "12.6", "cuda", OLD_ARCHS)),  # PyPI's 2.7 is cu126
        (None, "1.4.0", TorchBuild("1.4.0", None, None, ())),  # unknown: nothing guessed
        (None, None, None),
    ],
)
def test_torch_build(facts: TorchFacts | None, version: str | None, expected: TorchBuild | None) -> None:
    assert torch_build(facts, version, TABLES) == expected


def test_json_and_lines_of_a_gpu_machine() -> None:
    torch = _torch("2.5.1+cu124", "12.4", OLD_ARCHS, cuda_available=False, cxx11_abi=False)
    data = gpu_json(OLD_DRIVER, torch, TABLES)
    assert data["nvidia_driver"] == "470.82.01"
    assert data["driver_newest_cuda"] == "11.4"
    assert data["driver_cuda_family"] == "11.x"
    assert data["gpus"] == [{"name": "Tesla T4", "compute_capability": "7.5", "arch": "sm_75"}]
    assert data["torch"]["cuda_available"] is False
    json.dumps(data)
    assert gpu_lines(OLD_DRIVER, torch, TABLES) == [
        "GPU          NVIDIA driver 470.82.01 (from /proc/driver/nvidia/version); runs CUDA 11.4 and older "
        "(all of CUDA 11.x through minor version compatibility)",
        "             GPU 0: Tesla T4, compute capability 7.5 (sm_75)",
        "             torch 2.5.1+cu124: CUDA 12.4, sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90, pre-C++11 ABI; "
        "CUDA available: no",
    ]


# -- end to end: `safe-pip doctor` with a fake nvidia-smi on PATH and a stand-in torch in a real venv ---------
def _install_stand_in_torch(venv_python: Path, version: str, cuda: str, archs: str) -> None:
    """A package named torch (with its dist-info) answering as an sm_90-era CUDA build does on a newer GPU:
    CUDA available, with torch's own warning that the GPU's capability is not compatible."""
    site = Path(
        subprocess.run(
            [str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    package = site / "torch"
    (package / "cuda").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import types\n"
        f"__version__ = {version!r}\n"
        f"version = types.SimpleNamespace(cuda={cuda!r}, hip=None)\n"
        f"_C = types.SimpleNamespace(_GLIBCXX_USE_CXX11_ABI=False, _cuda_getArchFlags=lambda: {archs!r})\n"
        "from torch import cuda\n"
    )
    (package / "cuda" / "__init__.py").write_text(
        "import warnings\n"
        "def is_available():\n"
        "    warnings.warn('NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the '\n"
        "                  'current PyTorch installation.')\n"
        "    return True\n"
        "def get_device_capability(index):\n"
        "    return (12, 0)\n"
    )
    info = site / f"torch-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
    (info / "RECORD").write_text("")


@pytest.mark.e2e
def test_doctor_end_to_end_with_a_fake_nvidia_smi(
    fresh_venv: Path, env: dict[str, str], tmp_path: Path
) -> None:
    _install_stand_in_torch(fresh_venv, "2.6.0+cu124", "12.4", " ".join(OLD_ARCHS))
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text('#!/bin/sh\necho "NVIDIA GeForce RTX 5090, 12.0, 575.57.08"\n')
    smi.chmod(0o755)
    with_gpu = dict(env, PATH=f"{bin_dir}{os.pathsep}{env['PATH']}")
    report = json.loads(
        subprocess.run(
            safe_pip_argv("--python", str(fresh_venv), "doctor", "--json"),
            env=with_gpu,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    gpu = report["gpu"]
    assert (gpu["nvidia_driver"], gpu["driver_source"]) == ("575.57.08", "nvidia-smi")
    assert gpu["gpus"] == [
        {"name": "NVIDIA GeForce RTX 5090", "compute_capability": "12.0", "arch": "sm_120"}
    ]
    assert gpu["torch"]["arch_list"] == list(OLD_ARCHS)
    assert gpu["torch"]["warnings"][0].startswith("NVIDIA GeForce RTX 5090 with CUDA capability sm_120")
    assert report["interpreter"]["torch"]["cxx11_abi"] is False
    ids = [finding["id"] for finding in report["findings"]]
    assert "gpu-arch-missing" in ids
    human = subprocess.run(
        safe_pip_argv("--python", str(fresh_venv), "doctor"),
        env=with_gpu,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "\nGPU          NVIDIA driver 575.57.08 (from nvidia-smi); runs CUDA 12.9 and older" in human
    assert "\n             GPU 0: NVIDIA GeForce RTX 5090, compute capability 12.0 (sm_120)\n" in human
    assert "'torch>=2.11' --index-url https://download.pytorch.org/whl/cu128" in human
    # Without nvidia-smi (and no driver on this machine): no GPU, and nothing GPU-related to fix.
    bare = json.loads(
        subprocess.run(
            safe_pip_argv("--python", str(fresh_venv), "doctor", "--json"),
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    if bare["gpu"]["nvidia_driver"] is None:  # a machine with a real NVIDIA driver reports its own
        assert bare["gpu"]["gpus"] == []
        assert not {"gpu-arch-missing", "torch-cpu-only", "driver-too-old"} & {
            finding["id"] for finding in bare["findings"]
        }
