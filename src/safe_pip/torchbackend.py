"""Which build of torch to install (issue 16.2): advice before `install torch`, and `--torch-backend`.

Without `--torch-backend` nothing changes: `advice` only says, before pip runs, what the default index would
give this machine (no NVIDIA GPU: several GB of CUDA libraries for nothing, and the CPU index; a driver too
old for the default build's CUDA: the build it runs). With `--torch-backend auto|cpu|cuXYZ`, `choose` names
the build and `plan` changes the command, safely:

- a command that installs torch packages only (torch, torchvision, torchaudio) gets `--index-url
  https://download.pytorch.org/whl/<build>`: that index holds torch and all its dependencies;
- a command that installs anything else too runs twice: first the torch packages alone from the PyTorch
  index, then the user's command unchanged but constrained to the torch that was just installed
  (`torch==2.7.1+cu118`), so that pip cannot swap it for PyPI's build. Never `--extra-index-url`: pip would
  take any project of the same name from either index, whichever has the higher version (dependency
  confusion), for every package of the command;
- a command that names its own index (`-i`, `--extra-index-url`, `--find-links`, `--no-index`), a torch from a
  file or URL, or hashed requirements (`--hash`: the PyTorch index's files have other hashes) is left alone,
  saying why.

Pure: facts in, decisions and pip arguments out.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from safe_pip.cudatables import PYTORCH_INDEX, CudaTables, build_cuda
from safe_pip.facts import takes_value
from safe_pip.gpu import GpuFacts
from safe_pip.requested import Requested, UserRequests

__all__ = [
    "BACKEND_CHOICES",
    "TORCH_PACKAGES",
    "BackendChoice",
    "BackendPlan",
    "advice",
    "choose",
    "constrained",
    "installed_constraints",
    "plan",
    "torch_requests",
]

TORCH_PACKAGES = frozenset({"torch", "torchvision", "torchaudio"})
BACKEND_CHOICES = "auto, cpu or cuXYZ (cu118, cu126, cu128, cu130, ...)"
# Options that choose where packages come from: a command with one of them chose its own index.
_SOURCE_OPTIONS = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index"})
_FILE_OPTIONS = frozenset({"-r", "--requirement", "-e", "--editable"})


def valid_backend(text: str) -> bool:
    return text in ("auto", "cpu") or re.fullmatch(r"cu\d{3}", text) is not None


def torch_requests(requests: UserRequests) -> list[Requested]:
    """The user's requirements (not constraints) of torch, torchvision and torchaudio, as typed."""
    return [item for item in requests.items if item.name in TORCH_PACKAGES and not item.constraint]


def _wanted_release(requests: UserRequests, tables: CudaTables) -> str:
    """The torch release pip would install: the user's pin, else the newest the table knows."""
    return requests.pinned_version("torch") or tables.newest_release().version


def _source_options(args: Sequence[str], requests: UserRequests) -> list[str]:
    found = [word.split("=", 1)[0] for word in args if word.split("=", 1)[0] in _SOURCE_OPTIONS]
    for _name, text in requests.files:
        for line in text.splitlines():
            first = line.strip().split("=", 1)[0].split(None, 1)[0] if line.strip() else ""
            if first in _SOURCE_OPTIONS:
                found.append(first)
    return found


def _capability(gpu: GpuFacts) -> tuple[int, int] | None:
    return next((device.compute_capability for device in gpu.gpus if device.compute_capability), None)


def _driver_build(gpu: GpuFacts, release: str, tables: CudaTables) -> str | None:
    """The CUDA build of `release` this machine runs best: PyPI's when the driver fully supports it, else
    the newest CUDA the driver fully supports, else one it runs through minor version compatibility."""
    row = tables.release(release)
    for full in (True, False):
        fitting = tables.builds_for(
            release, driver=gpu.driver, capability=_capability(gpu), full_support=full
        )
        if fitting:
            return row.pypi if row is not None and row.pypi in fitting else fitting[0]
    return None


@dataclass(frozen=True)
class BackendChoice:
    backend: str | None  # "cpu", "cu128"; None: nothing to apply (reason says why)
    reason: str


def choose(asked: str, gpu: GpuFacts, requests: UserRequests, tables: CudaTables) -> BackendChoice:
    """The build `--torch-backend <asked>` means here."""
    release = _wanted_release(requests, tables)
    row = tables.release(release)
    if asked == "cpu":
        return BackendChoice("cpu", "asked for the CPU build")
    if asked != "auto":
        if row is not None and asked not in row.builds:
            return BackendChoice(
                None, f"torch {release} has no {asked} build (its CUDA builds: {', '.join(row.builds)})"
            )
        return BackendChoice(asked, f"asked for {asked}")
    if not gpu.nvidia:
        return BackendChoice("cpu", "no NVIDIA GPU here")
    if row is None:
        return BackendChoice(None, f"safe-pip's table does not know torch {release}'s builds")
    if gpu.driver is None:
        return BackendChoice(row.pypi, "the NVIDIA driver's version is unknown: PyPI's own build")
    build = _driver_build(gpu, release, tables)
    if build is None:
        return BackendChoice(
            None, f"no CUDA build of torch {release} runs on NVIDIA driver {gpu.driver} and this GPU"
        )
    return BackendChoice(build, f"the CUDA build of torch {release} that NVIDIA driver {gpu.driver} runs")


def advice(
    args: Sequence[str],
    requests: UserRequests,
    gpu: GpuFacts,
    platform: str,
    tables: CudaTables,
    *,
    target_options: Sequence[str] = (),
) -> list[str]:
    """Notes to print before pip installs torch packages from the default index on Linux, when the default
    build does not fit this machine; nothing otherwise. Never changes the command. The command a note
    proposes has safe-pip's options that chose the target (`target_options`, `--python P`)."""
    wanted = torch_requests(requests)
    if not platform.startswith("linux") or not wanted or _source_options(args, requests):
        return []
    if any(item.direct is not None for item in wanted) or gpu.amd:
        return []
    # Quoted for a shell ("torch>=2.1" unquoted would be a redirection), in the user's target.
    names = " ".join(shlex.quote(item.text) for item in wanted)
    prefix = " ".join(["safe-pip", *(shlex.quote(option) for option in target_options)])
    release = _wanted_release(requests, tables)
    row = tables.release(release)
    if not gpu.nvidia:
        return [
            "no NVIDIA GPU here: torch from PyPI is its CUDA build, which pulls several GB of NVIDIA CUDA "
            "libraries (nvidia-*) this machine will not use. The CPU build is a fraction of that: "
            f"{prefix} --torch-backend cpu install {names}  (its index: {PYTORCH_INDEX}/cpu)"
        ]
    if row is None or gpu.driver is None:
        return []
    default_cuda = build_cuda(row.pypi) or ""
    if tables.driver_support(gpu.driver, default_cuda) != "too-old":
        return []
    build = _driver_build(gpu, release, tables)
    needs = tables.family_minimum(default_cuda) or tables.driver_minimum(default_cuda)
    said = (
        f"NVIDIA driver {gpu.driver} is too old for torch {release}'s default build (CUDA {default_cuda} "
        f"needs driver {needs} or newer): torch would install but not use the GPU."
    )
    if build is None:
        return [f"{said} No CUDA build of torch {release} runs on this driver: upgrade the driver."]
    return [
        f"{said} The build this driver runs: {prefix} --torch-backend {build} install {names}  "
        f"(its index: {PYTORCH_INDEX}/{build})"
    ]


@dataclass(frozen=True)
class BackendPlan:
    """The pip runs `--torch-backend` makes of the command: `first` installs the torch packages alone from
    the PyTorch index (None: a single run, `rest`); `rest` is then run constrained to the torch installed
    (`constrained`). `refused` says why the command is left as it is (then `rest` is the command)."""

    first: tuple[str, ...] | None
    rest: tuple[str, ...]
    index: str | None
    refused: str | None = None


def plan(args: Sequence[str], requests: UserRequests, backend: str) -> BackendPlan:
    """How to install the command's torch packages from the PyTorch index of `backend`, the rest as asked."""
    unchanged = tuple(args)
    wanted = torch_requests(requests)
    if not wanted:
        return BackendPlan(None, unchanged, None, "the command installs no torch package")
    sources = _source_options(args, requests)
    if sources:
        return BackendPlan(None, unchanged, None, f"the command chooses its own index ({', '.join(sources)})")
    if any(item.direct is not None for item in wanted):
        return BackendPlan(None, unchanged, None, "torch is installed from a file or URL")
    if requests.hash_checking:
        return BackendPlan(
            None, unchanged, None, "the requirements pin hashes (the PyTorch index's files have others)"
        )
    index = f"{PYTORCH_INDEX}/{backend}"
    others = [item for item in requests.items if not item.constraint and item.name not in TORCH_PACKAGES]
    if not others:
        return BackendPlan(None, (*unchanged, "--index-url", index), index)
    return BackendPlan((*_torch_only(args, wanted), "--index-url", index), unchanged, index)


def _torch_only(args: Sequence[str], wanted: Sequence[Requested]) -> list[str]:
    """The command's options (constraint files included), without its requirements, files and editables,
    then the torch requirements as typed."""
    kept: list[str] = []
    typed = {item.position for item in wanted if item.position is not None}
    position = 0
    while position < len(args):
        word = args[position]
        option = word.split("=", 1)[0]
        if option in _FILE_OPTIONS:  # -r FILE, --requirement=FILE, -e PATH
            position += 1 if "=" in word else 2
            continue
        if re.match(r"-[re].", word):  # -rFILE, -e.
            position += 1
            continue
        if word.startswith("-"):
            step = 2 if "=" not in word and takes_value(word) else 1
            kept.extend(args[position : position + step])
            position += step
            continue
        if position in typed:
            kept.append(word)
        position += 1
    from_files = [item.text for item in wanted if item.position is None]
    return [*kept, *from_files]


def installed_constraints(installed: Sequence[tuple[str, str]]) -> str:
    """A constraint file's text holding each torch package pip just installed at its exact version
    (`torch==2.7.1+cu118`), from pip's "Successfully installed" names and versions."""
    lines = [f"{name}=={version}" for name, version in installed if name.lower() in TORCH_PACKAGES]
    return "".join(f"{line}\n" for line in lines)


def constrained(rest: Sequence[str], constraint_file: str) -> tuple[str, ...]:
    """The second run: the user's command, constrained to the torch packages the first run installed."""
    return (*rest, "--constraint", constraint_file)
