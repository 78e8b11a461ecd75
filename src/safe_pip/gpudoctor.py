"""doctor's GPU section: the facts (driver, GPUs, ROCm, torch as it sees itself) and the findings that stop a
torch from using the GPU here, each with the command that fixes it.

Pure: it reasons over `gpu.GpuFacts`, `gpu.TorchFacts` and the CUDA tables; `probe` gathered the facts.
Findings (ids are stable, as doctor's others):
- `torch-cpu-only`: a CPU-only torch on a machine with an NVIDIA GPU;
- `driver-too-old`: the driver cannot run torch's CUDA (not even through minor version compatibility);
- `gpu-arch-missing`: torch holds no kernels this GPU runs (sm_120 on a torch built before Blackwell);
- `cuda-mismatch`: nvcc's CUDA is not torch's (another major: CUDA extensions refuse to build; another
  minor: torch only warns).
No NVIDIA GPU is nothing to fix: the section says so and torch runs on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safe_pip.cudatables import PYTORCH_INDEX, CudaTables, arch_runs, build_cuda
from safe_pip.doctor import Finding
from safe_pip.facts import parse_torch_version
from safe_pip.fixes import shell_words
from safe_pip.gpu import GpuFacts, TorchFacts

__all__ = ["TorchBuild", "gpu_findings", "gpu_json", "gpu_lines", "torch_build"]


@dataclass(frozen=True)
class TorchBuild:
    """What is known of the installed torch: from torch itself when it imported, else from its version."""

    version: str  # "2.7.1+cu128"
    cuda: str | None  # "12.8"
    kind: str | None  # "cuda", "cpu", "rocm", or None when unknown (PyPI's "2.7.1" says nothing)
    arch_list: tuple[str, ...]  # empty when unknown

    @property
    def release(self) -> str:
        return self.version.split("+", 1)[0]


def torch_build(facts: TorchFacts | None, version: str | None, tables: CudaTables) -> TorchBuild | None:
    """The installed torch's build: torch's own answer first; else its version's local tag (+cu128, +cpu);
    else, for a plain version from PyPI on Linux, the table's PyPI build of that release."""
    if facts is not None and facts.version and facts.import_error is None:
        arch: tuple[str, ...] = facts.arch_list
        if not arch and facts.cuda:
            build = f"cu{facts.cuda.replace('.', '')}"
            arch = tables.build_archs(facts.version, build) or ()
        return TorchBuild(facts.version, facts.cuda, facts.build, arch)
    text = version or (facts.version if facts is not None else None)
    if not text:
        return None
    parsed = parse_torch_version(text)
    cuda, kind = parsed["cuda"], parsed["build"]
    if kind is None and "+" not in text:
        row = tables.release(text)
        if row is not None:
            cuda, kind = build_cuda(row.pypi), "cuda"
    build_name = f"cu{cuda.replace('.', '')}" if cuda else None
    known = tables.build_archs(text, build_name) if build_name else None
    return TorchBuild(text, cuda, kind, known or ())


def _reinstall(python: str, requirement: str, build: str) -> str:
    return shell_words(
        [
            python,
            "-m",
            "pip",
            "install",
            "--force-reinstall",
            requirement,
            "--index-url",
            f"{PYTORCH_INDEX}/{build}",
        ]
    )


def _fitting_build(
    tables: CudaTables, release: str, driver: str | None, capability: tuple[int, int] | None
) -> tuple[str, str] | None:
    """(requirement, build) of a torch that runs here: this release's build when it has one (its PyPI build
    first, then the newest CUDA), else the newest release that has one ('torch>=2.7' for a newer one)."""
    for full in (True, False):
        fitting = tables.builds_for(release, driver=driver, capability=capability, full_support=full)
        if fitting:
            row = tables.release(release)
            best = row.pypi if row is not None and row.pypi in fitting else fitting[0]
            return f"torch=={release}", best
    for row in sorted(tables.torch, key=lambda row: tuple(map(int, row.version.split("."))), reverse=True):
        fitting = tables.builds_for(row.version, driver=driver, capability=capability)
        if fitting:
            best = row.pypi if row.pypi in fitting else fitting[0]
            newer = tuple(map(int, row.version.split("."))) > tuple(map(int, release.split(".")[:2]))
            requirement = f"torch>={row.version}" if newer else f"torch=={row.version}.*"
            return requirement, best
    return None


def _capability(gpu: GpuFacts, facts: TorchFacts | None) -> tuple[int, int] | None:
    for device in gpu.gpus:
        if device.compute_capability is not None:
            return device.compute_capability
    return facts.device_capability if facts is not None else None


def gpu_findings(
    gpu: GpuFacts,
    torch: TorchBuild | None,
    nvcc: str | None,
    tables: CudaTables,
    python: str,
    *,
    facts: TorchFacts | None = None,
) -> list[Finding]:
    """What stops torch from using the GPU here (or CUDA extensions from building), most serious first."""
    found: list[Finding] = []
    capability = _capability(gpu, facts)
    if torch is not None and gpu.nvidia and torch.kind == "cpu":
        fit = _fitting_build(tables, torch.release, gpu.driver, capability)
        fix = (
            _reinstall(python, *fit)
            if fit
            else f"reinstall torch from {PYTORCH_INDEX}/<cuXYZ>, the CUDA build your driver runs"
        )
        found.append(
            Finding(
                "torch-cpu-only",
                "problem",
                f"torch {torch.version} is a CPU-only build, but this machine has an NVIDIA GPU"
                f"{f' (driver {gpu.driver})' if gpu.driver else ''}: torch.cuda.is_available() is False.",
                fix,
            )
        )
    if torch is not None and torch.cuda and gpu.driver:
        support = tables.driver_support(gpu.driver, torch.cuda)
        if support == "too-old":
            family = tables.family_minimum(torch.cuda) or tables.driver_minimum(torch.cuda)
            newest = tables.newest_cuda(gpu.driver)
            runs = f" (it runs CUDA {newest} and older)" if newest else ""
            fit = _fitting_build(tables, torch.release, gpu.driver, capability)
            upgrade = f"upgrade the NVIDIA driver to {family} or newer"
            found.append(
                Finding(
                    "driver-too-old",
                    "problem",
                    f"torch {torch.version} was built with CUDA {torch.cuda}, which needs NVIDIA driver "
                    f"{family} or newer; this driver is {gpu.driver}{runs}: torch cannot use the GPU.",
                    f"{upgrade}, or install the build this driver runs: {_reinstall(python, *fit)}"
                    if fit
                    else upgrade,
                )
            )
    if torch is not None and torch.kind == "cuda" and torch.arch_list:
        for device in gpu.gpus or ():
            cap = device.compute_capability
            if cap is None or arch_runs(cap, torch.arch_list):
                continue
            fit = _fitting_build(tables, torch.release, gpu.driver, cap)
            shown = (
                f"{torch.arch_list[0]} … {torch.arch_list[-1]}"
                if len(torch.arch_list) > 2
                else (", ".join(torch.arch_list))
            )
            found.append(
                Finding(
                    "gpu-arch-missing",
                    "problem",
                    f"torch {torch.version} has kernels for {shown}, none of which runs on the {device.name} "
                    f"({device.sm}, compute capability {cap[0]}.{cap[1]}): CUDA calls fail with "
                    "'no kernel image is available for execution on the device'.",
                    _reinstall(python, *fit)
                    if fit
                    else f"install a torch built for {device.sm} (build it from source with "
                    f"TORCH_CUDA_ARCH_LIST={cap[0]}.{cap[1]})",
                )
            )
            break
    if torch is not None and torch.cuda and nvcc:
        torch_major, nvcc_major = torch.cuda.split(".")[0], nvcc.split(".")[0]
        if torch_major != nvcc_major:
            row = tables.release(torch.release)
            builds = row.builds if row is not None else ()
            same = [build for build in builds if (build_cuda(build) or "").startswith(f"{nvcc_major}.")]
            other = f", or {_reinstall(python, f'torch=={torch.release}', same[-1])}" if same else ""
            found.append(
                Finding(
                    "cuda-mismatch",
                    "problem",
                    f"nvcc is CUDA {nvcc}, torch {torch.version} was built with CUDA {torch.cuda}: CUDA "
                    "extensions (flash-attn, xformers, apex, ...) refuse to build against another major "
                    "CUDA release.",
                    f"install a CUDA {torch_major}.x toolkit and point CUDA_HOME at it (e.g. "
                    f"CUDA_HOME=/usr/local/cuda-{torch.cuda}){other}",
                )
            )
        elif torch.cuda != nvcc:
            row = tables.release(torch.release)
            nvcc_build = f"cu{nvcc.replace('.', '')}"
            other = (
                f", or install the torch build for CUDA {nvcc}: "
                f"{_reinstall(python, f'torch=={torch.release}', nvcc_build)}"
                if row is not None and nvcc_build in row.builds
                else ""
            )
            found.append(
                Finding(
                    "cuda-mismatch",
                    "warning",
                    f"torch {torch.version} was built with CUDA {torch.cuda}, but the CUDA toolkit here is "
                    f"{nvcc}: CUDA extensions build (torch only warns), but may not load everywhere.",
                    f"point CUDA_HOME at a CUDA {torch.cuda} toolkit{other}",
                )
            )
    return found


def gpu_json(gpu: GpuFacts, torch: TorchFacts | None, tables: CudaTables) -> dict[str, Any]:
    """doctor --json's `gpu` object (documented in README.md and docs/CONTRACT.md)."""
    data: dict[str, Any] = dict(gpu.to_json())
    data["driver_newest_cuda"] = tables.newest_cuda(gpu.driver) if gpu.driver else None
    family = tables.newest_family(gpu.driver) if gpu.driver else None
    data["driver_cuda_family"] = f"{family}.x" if family is not None else None
    data["torch"] = torch.to_json() if torch is not None else None
    return data


def gpu_lines(gpu: GpuFacts, torch: TorchFacts | None, tables: CudaTables) -> list[str]:
    """doctor's GPU lines, after its CUDA line."""
    lines: list[str] = []
    if gpu.driver:
        newest = tables.newest_cuda(gpu.driver)
        family = tables.newest_family(gpu.driver)
        runs = ""
        if newest:
            runs = f"; runs CUDA {newest} and older"
            if family is not None and not newest.startswith(f"{family}."):
                runs += f", and CUDA {family}.x through minor version compatibility"
            elif family is not None:
                runs += f" (all of CUDA {family}.x through minor version compatibility)"
        lines.append(f"GPU          NVIDIA driver {gpu.driver} (from {gpu.driver_source}){runs}")
    elif not gpu.gpus:
        lines.append("GPU          no NVIDIA GPU found (no driver, no nvidia-smi): torch runs on the CPU")
    for index, device in enumerate(gpu.gpus):
        cap = device.compute_capability
        what = f"compute capability {cap[0]}.{cap[1]} ({device.sm})" if cap else "compute capability unknown"
        lines.append(f"             GPU {index}: {device.name}, {what}")
    if gpu.smi_problem:
        lines.append(f"             nvidia-smi: {gpu.smi_problem}")
    if gpu.rocm or gpu.rocm_gpus:
        lines.append(
            f"             ROCm {gpu.rocm or '?'}"
            + (f", GPUs {', '.join(gpu.rocm_gpus)}" if gpu.rocm_gpus else "")
        )
    if torch is not None:
        if torch.import_error:
            lines.append(f"             torch does not import: {torch.import_error}")
        else:
            build = f"CUDA {torch.cuda}" if torch.cuda else (f"ROCm {torch.hip}" if torch.hip else "CPU only")
            arch = f", {' '.join(torch.arch_list)}" if torch.arch_list else ""
            available = {True: "yes", False: "no", None: "?"}[torch.cuda_available]
            abi = {True: ", C++11 ABI", False: ", pre-C++11 ABI", None: ""}[torch.cxx11_abi]
            lines.append(
                f"             torch {torch.version}: {build}{arch}{abi}; CUDA available: {available}"
            )
            for warning in torch.warnings[:2]:
                lines.append(f"               torch says: {warning}")
    return lines
