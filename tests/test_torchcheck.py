"""torchcheck: the post-install CUDA check's verdict from recorded facts (each failure with its likely cause
and fix), and the fact line of a failed CUDA extension build."""

from __future__ import annotations

import pytest

from safe_pip.cudalog import is_cuda_extension_build
from safe_pip.cudatables import load_tables
from safe_pip.gpu import Gpu, GpuFacts, TorchFacts, parse_cuda_check
from safe_pip.torchcheck import build_target_line, needs_cuda_check, verdict

TABLES = load_tables()
PY = "/v/bin/python"
RTX_4090 = GpuFacts("570.133.07", "nvidia-smi", (Gpu("NVIDIA GeForce RTX 4090", (8, 9)),))
OLD = GpuFacts("470.82.01", "/proc/driver/nvidia/version", (Gpu("Tesla T4", (7, 5)),))
RTX_5090 = GpuFacts("575.57.08", "nvidia-smi", (Gpu("NVIDIA GeForce RTX 5090", (12, 0)),))
OLD_ARCHS = ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")

OK = "safe-pip-cuda import ok\nsafe-pip-cuda available 1\nsafe-pip-cuda tensor ok\n"
UNAVAILABLE = (
    "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old (found version 11040).\n"
    "safe-pip-cuda import ok\nsafe-pip-cuda available 0\n"
)
NO_KERNEL = (
    "safe-pip-cuda import ok\nsafe-pip-cuda available 1\nTraceback (most recent call last):\n"
    "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    "safe-pip-cuda tensor failed\n"
    "safe-pip-cuda error RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
)


def test_a_working_gpu() -> None:
    ok, lines = verdict(parse_cuda_check(OK), RTX_4090, TorchFacts("2.7.1+cu126", "12.6"), TABLES, PY)
    assert ok
    assert lines == [
        "--verify-import: torch uses NVIDIA GeForce RTX 4090: CUDA is available and a tensor computed on it"
    ]


def test_a_cpu_only_torch_on_a_gpu_machine() -> None:
    unavailable = parse_cuda_check("safe-pip-cuda import ok\nsafe-pip-cuda available 0\n")
    ok, lines = verdict(unavailable, RTX_4090, TorchFacts("2.7.1+cpu", None), TABLES, PY)
    assert not ok
    assert lines == [
        "installed, but torch cannot use NVIDIA GeForce RTX 4090: torch.cuda.is_available() is False",
        "  likely cause: torch 2.7.1+cpu is a CPU-only build, but this machine has an NVIDIA GPU (driver "
        "570.133.07): torch.cuda.is_available() is False.",
        "  fix: /v/bin/python -m pip install --force-reinstall torch==2.7.1 "
        "--index-url https://download.pytorch.org/whl/cu126",
    ]


def test_an_old_driver_with_a_cuda_12_torch() -> None:
    facts = TorchFacts("2.5.1", "12.4", arch_list=OLD_ARCHS, cuda_available=False)
    ok, lines = verdict(parse_cuda_check(UNAVAILABLE), OLD, facts, TABLES, PY)
    assert not ok
    assert lines[1].startswith(
        "  likely cause: torch 2.5.1 was built with CUDA 12.4, which needs NVIDIA driver"
    )
    assert lines[2].endswith("torch==2.5.1 --index-url https://download.pytorch.org/whl/cu118")


def test_a_new_architecture_missing_from_an_older_torch() -> None:
    facts = TorchFacts("2.6.0+cu124", "12.4", arch_list=OLD_ARCHS, cuda_available=True)
    ok, lines = verdict(parse_cuda_check(NO_KERNEL), RTX_5090, facts, TABLES, PY)
    assert not ok
    assert lines[0] == (
        "installed, but torch cannot use NVIDIA GeForce RTX 5090: a tensor on the GPU failed: "
        "RuntimeError: CUDA error: no kernel image is available for execution on the device"
    )
    assert lines[1].startswith("  likely cause: torch 2.6.0+cu124 has kernels for sm_50 … sm_90")
    assert lines[2] == (
        "  fix: /v/bin/python -m pip install --force-reinstall 'torch>=2.11' "
        "--index-url https://download.pytorch.org/whl/cu128"
    )


def test_a_failure_without_a_known_cause_shows_what_torch_said() -> None:
    facts = TorchFacts(
        "2.7.1+cu126", "12.6", arch_list=OLD_ARCHS, cuda_available=False, warnings=("CUDA unknown error",)
    )
    ok, lines = verdict(
        parse_cuda_check("safe-pip-cuda import ok\nsafe-pip-cuda available 0\n"), RTX_4090, facts, TABLES, PY
    )
    assert not ok
    assert lines[1:] == [
        "  torch says: CUDA unknown error",
        "  safe-pip doctor --python /v/bin/python shows the driver, the GPU and torch's build",
    ]


def test_torch_that_does_not_import() -> None:
    check = parse_cuda_check(
        "safe-pip-cuda import failed\n"
        "safe-pip-cuda error ImportError: libcudart.so.12: cannot open shared object file: No such file\n"
    )
    ok, lines = verdict(check, RTX_4090, None, TABLES, PY)
    assert not ok
    assert lines[0].endswith(
        "torch does not import: ImportError: libcudart.so.12: cannot open shared object file: No such file"
    )


@pytest.mark.parametrize(
    ("installed", "gpu", "platform", "runs"),
    [
        (["torch"], RTX_4090, "linux", True),
        (["torch"], GpuFacts(), "linux", False),  # no GPU: nothing to prove
        ([], RTX_4090, "linux", False),
        (["torch"], RTX_4090, "darwin", False),
    ],
)
def test_needs_cuda_check(installed: list[str], gpu: GpuFacts, platform: str, runs: bool) -> None:
    assert needs_cuda_check(installed, gpu, platform) is runs


def test_build_target_line() -> None:
    facts = TorchFacts(
        "2.7.1+cu128",
        "12.8",
        arch_list=("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"),
        cxx11_abi=True,
    )
    assert build_target_line(facts, "3.11", "13.0") == (
        "building for torch 2.7.1+cu128 (CUDA 12.8), Python 3.11, C++11 ABI (_GLIBCXX_USE_CXX11_ABI=1), "
        "GPU architectures sm_75 … sm_120; nvcc here: CUDA 13.0"
    )
    old = TorchFacts("2.0.1+cu117", "11.7", cxx11_abi=False)
    assert build_target_line(old, "3.10", None) == (
        "building for torch 2.0.1+cu117 (CUDA 11.7), Python 3.10, pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0); "
        "nvcc here: none on PATH"
    )
    assert build_target_line(TorchFacts(None, None, import_error="ImportError: x"), "3.11", None) is None


@pytest.mark.parametrize(
    ("lines", "cuda"),
    [
        (
            [
                '  File "/tmp/pip-build-env-x/lib/python3.11/site-packages/torch/utils/cpp_extension.py", line 2103'
            ],
            True,
        ),
        (["      /usr/local/cuda/bin/nvcc -I/tmp/x -c csrc/flash_api.cu -o build/flash_api.o"], True),
        (
            [
                "      OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install root."
            ],
            True,
        ),
        (["      gcc -pthread -c psutil/_psutil_linux.c -o build/temp/_psutil_linux.o"], False),
        (["  error: command 'gcc' failed: No such file or directory"], False),
    ],
    ids=["cpp-extension", "nvcc-compile", "cuda-home", "plain-c", "gcc-missing"],
)
def test_is_cuda_extension_build(lines: list[str], cuda: bool) -> None:
    assert is_cuda_extension_build(lines) is cuda
