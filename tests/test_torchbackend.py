"""torchbackend: the advice before `install torch`, what `--torch-backend` picks, and how it changes the
command (one run for torch packages alone, two runs otherwise, never --extra-index-url), from recorded facts."""

from __future__ import annotations

import pytest

from safe_pip.cudatables import load_tables
from safe_pip.gpu import Gpu, GpuFacts
from safe_pip.requested import UserRequests, read_user_requests
from safe_pip.torchbackend import (
    BackendPlan,
    advice,
    choose,
    constrained,
    installed_constraints,
    plan,
    valid_backend,
)

TABLES = load_tables()
NO_GPU = GpuFacts()
NEW = GpuFacts("570.133.07", "nvidia-smi", (Gpu("NVIDIA GeForce RTX 4090", (8, 9)),))
OLD = GpuFacts("470.82.01", "/proc/driver/nvidia/version", (Gpu("Tesla T4", (7, 5)),))
PASCAL = GpuFacts("570.133.07", "nvidia-smi", (Gpu("NVIDIA GeForce GTX 1080 Ti", (6, 1)),))
CUDA_13_DRIVER = GpuFacts("580.82.07", "nvidia-smi", (Gpu("NVIDIA H100 80GB HBM3", (9, 0)),))
BLACKWELL_575 = GpuFacts("575.57.08", "nvidia-smi", (Gpu("NVIDIA GeForce RTX 5090", (12, 0)),))


def _requests(args: list[str], files: dict[str, str] | None = None) -> UserRequests:
    return read_user_requests(args, (files or {}).get)


@pytest.mark.parametrize("text", ["auto", "cpu", "cu118", "cu128", "cu130"])
def test_valid_backends(text: str) -> None:
    assert valid_backend(text)


@pytest.mark.parametrize("text", ["", "cuda", "cu12", "cu1280", "rocm6.2", "CPU"])
def test_invalid_backends(text: str) -> None:
    assert not valid_backend(text)


# -- advice: printed only, the command unchanged --------------------------------------------------------------
def test_no_gpu_names_the_cpu_index() -> None:
    args = ["torch", "torchvision"]
    (note,) = advice(args, _requests(args), NO_GPU, "linux", TABLES)
    assert "several GB of NVIDIA CUDA libraries" in note
    assert note.endswith(
        "safe-pip --torch-backend cpu install torch torchvision  (its index: https://download.pytorch.org/whl/cpu)"
    )


def test_an_old_driver_names_the_build_it_runs() -> None:
    args = ["torch==2.7.1"]
    (note,) = advice(args, _requests(args), OLD, "linux", TABLES)
    assert note.startswith(
        "NVIDIA driver 470.82.01 is too old for torch 2.7.1's default build (CUDA 12.6 needs driver 525.60.13"
    )
    assert note.endswith(
        "safe-pip --torch-backend cu118 install torch==2.7.1  (its index: https://download.pytorch.org/whl/cu118)"
    )


def test_a_570_driver_and_the_newest_torch_whose_default_is_cuda_13() -> None:
    # PyPI's torch is a CUDA 13 build from 2.11 on; CUDA 13 needs the 580 driver.
    (note,) = advice(["torch"], _requests(["torch"]), NEW, "linux", TABLES)
    assert "(CUDA 13.0 needs driver 580.65.06 or newer)" in note
    assert "safe-pip --torch-backend cu126 install torch " in note


def test_the_proposed_command_is_quoted_for_a_shell_and_keeps_the_target() -> None:
    args = ["torch>=2.7,<2.8", "torchvision"]
    (note,) = advice(
        args, _requests(args), NO_GPU, "linux", TABLES, target_options=("--python", "/opt/my env/bin/python")
    )
    assert note.endswith(
        "safe-pip --python '/opt/my env/bin/python' --torch-backend cpu install 'torch>=2.7,<2.8' torchvision"
        "  (its index: https://download.pytorch.org/whl/cpu)"
    )


def test_an_old_driver_and_a_release_without_a_build_for_it() -> None:
    args = ["torch==2.8.0"]
    (note,) = advice(args, _requests(args), OLD, "linux", TABLES)
    assert note.endswith("No CUDA build of torch 2.8.0 runs on this driver: upgrade the driver.")


@pytest.mark.parametrize(
    ("args", "gpu", "platform"),
    [
        (["torch"], CUDA_13_DRIVER, "linux"),  # the default build fits
        (["torch==2.7.1"], NEW, "linux"),
        (["torch"], NO_GPU, "darwin"),  # macOS wheels are small and CPU/MPS anyway
        (["numpy"], NO_GPU, "linux"),  # no torch package
        (
            ["torch", "--index-url", "https://download.pytorch.org/whl/cpu"],
            NO_GPU,
            "linux",
        ),  # chose its index
        (["torch", "--extra-index-url", "https://example.org/simple"], NO_GPU, "linux"),
        (["torch @ https://example.org/torch-2.7.1-cp311-cp311-linux_x86_64.whl"], NO_GPU, "linux"),
    ],
    ids=["fits", "fits-pinned", "macos", "no-torch", "own-index", "extra-index", "direct-url"],
)
def test_no_advice(args: list[str], gpu: GpuFacts, platform: str) -> None:
    assert advice(args, _requests(args), gpu, platform, TABLES) == []


def test_an_index_in_a_requirement_file_counts_as_the_users_choice() -> None:
    files = {"req.txt": "--index-url https://mirror.example/simple\ntorch\n"}
    args = ["-r", "req.txt"]
    assert advice(args, _requests(args, files), NO_GPU, "linux", TABLES) == []


# -- choose: what --torch-backend means here ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("asked", "gpu", "args", "backend"),
    [
        ("auto", NO_GPU, ["torch"], "cpu"),
        ("auto", NEW, ["torch==2.7.1"], "cu126"),  # PyPI's build, which the driver fully supports
        ("auto", OLD, ["torch==2.7.1"], "cu118"),  # the 470 driver runs CUDA 11 only
        ("auto", PASCAL, ["torch==2.8.0"], "cu126"),  # cu128 of 2.8 has no kernels for sm_61
        ("auto", BLACKWELL_575, ["torch==2.9.1"], "cu128"),  # cu130 needs the 580 driver; cu126 lacks sm_120
        ("cpu", NEW, ["torch"], "cpu"),
        ("cu128", OLD, ["torch==2.9.1"], "cu128"),  # asked for: the user's word
    ],
)
def test_choose(asked: str, gpu: GpuFacts, args: list[str], backend: str) -> None:
    assert choose(asked, gpu, _requests(args), TABLES).backend == backend


def test_choose_refuses_a_build_the_release_does_not_have() -> None:
    choice = choose("cu118", NEW, _requests(["torch==2.9.1"]), TABLES)
    assert choice.backend is None
    assert choice.reason == "torch 2.9.1 has no cu118 build (its CUDA builds: cu126, cu128, cu130)"


def test_choose_auto_when_nothing_runs() -> None:
    choice = choose("auto", BLACKWELL_575, _requests(["torch==2.6.0"]), TABLES)
    assert choice.backend is None
    assert "no CUDA build of torch 2.6.0 runs" in choice.reason


# -- plan: how the command changes ----------------------------------------------------------------------------
def test_torch_packages_alone_get_the_index_url() -> None:
    args = ["-U", "torch", "torchvision==0.22.1"]
    assert plan(args, _requests(args), "cu128") == BackendPlan(
        None,
        ("-U", "torch", "torchvision==0.22.1", "--index-url", "https://download.pytorch.org/whl/cu128"),
        "https://download.pytorch.org/whl/cu128",
    )


def test_torch_with_other_packages_runs_twice() -> None:
    args = ["--user", "numpy<2", "torch==2.7.1", "-r", "req.txt", "-c", "pins.txt", "transformers"]
    files = {"req.txt": "torchaudio\naccelerate\n", "pins.txt": "torch<2.8\n"}
    result = plan(args, _requests(args, files), "cu118")
    # First the torch packages alone (the constraint file kept), from the PyTorch index only.
    assert result.first == (
        "--user",
        "torch==2.7.1",
        "-c",
        "pins.txt",
        "torchaudio",
        "--index-url",
        "https://download.pytorch.org/whl/cu118",
    )
    # Then the user's command unchanged (its torch now installed), never with the PyTorch index.
    assert result.rest == tuple(args)
    assert "--extra-index-url" not in (*result.first, *result.rest)


def test_the_second_run_is_held_to_the_torch_just_installed() -> None:
    text = installed_constraints(
        [("torch", "2.7.1+cu118"), ("filelock", "3.18.0"), ("torchaudio", "2.7.1+cu118")]
    )
    assert text == "torch==2.7.1+cu118\ntorchaudio==2.7.1+cu118\n"
    assert constrained(("numpy", "torch"), "/tmp/c.txt") == ("numpy", "torch", "--constraint", "/tmp/c.txt")


@pytest.mark.parametrize(
    ("args", "files", "reason"),
    [
        (["numpy"], {}, "the command installs no torch package"),
        (["torch", "-i", "https://mirror.example/simple"], {}, "the command chooses its own index (-i)"),
        (["torch", "--no-index", "--find-links", "wheels/"], {}, "(--no-index, --find-links)"),
        (["./torch-2.7.1-cp311-cp311-linux_x86_64.whl"], {}, "torch is installed from a file or URL"),
        (["torch @ https://example.org/torch.whl"], {}, "torch is installed from a file or URL"),
        (["-r", "req.txt"], {"req.txt": "torch==2.7.1 --hash=sha256:00\n"}, "pin hashes"),
    ],
)
def test_commands_left_alone(args: list[str], files: dict[str, str], reason: str) -> None:
    result = plan(args, _requests(args, files), "cu128")
    assert (result.first, result.rest) == (None, tuple(args))
    assert result.refused is not None
    assert reason in result.refused
