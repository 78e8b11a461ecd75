"""After torch is installed: does it use the GPU (issue 16.3)? And what a CUDA extension build was building
for (issue 16.5).

Pure: `verdict` turns the post-install check's answer (`gpu.CudaCheck`, run by `probe.check_torch_cuda` in the
target) into the lines to print, with the reason from doctor's GPU findings and the exact fix;
`build_target_line` says which torch/CUDA/Python/C++ ABI a failed CUDA extension build was building for.
"""

from __future__ import annotations

from collections.abc import Sequence

from safe_pip.cudatables import CudaTables
from safe_pip.gpu import CudaCheck, GpuFacts, TorchFacts
from safe_pip.gpudoctor import gpu_findings, torch_build

__all__ = [
    "build_target_json",
    "build_target_line",
    "needs_cuda_check",
    "verdict",
]

# The findings that explain a torch that does not use the GPU (not nvcc's, which concerns builds only).
_RUNTIME_FINDINGS = ("torch-cpu-only", "driver-too-old", "gpu-arch-missing")


def needs_cuda_check(installed: Sequence[str], gpu: GpuFacts, platform: str) -> bool:
    """Whether --verify-import runs the CUDA check: an NVIDIA GPU is here and pip installed something (the
    check itself skips when none of it is torch or depends on torch)."""
    return bool(installed) and gpu.nvidia and (platform.startswith("linux") or platform == "win32")


def verdict(
    check: CudaCheck,
    gpu: GpuFacts,
    facts: TorchFacts | None,
    tables: CudaTables,
    python: str,
) -> tuple[bool, list[str]]:
    """(torch uses the GPU?, the lines to print). A failure is said in torch's words, then the likely cause
    from doctor's GPU findings, each with its fix."""
    device = gpu.gpus[0].name if gpu.gpus else "the NVIDIA GPU"
    if check.ok:
        return True, [f"--verify-import: torch uses {device}: CUDA is available and a tensor computed on it"]
    if not check.imported:
        what = f"torch does not import: {check.error or 'no error message'}"
    elif not check.available:
        what = "torch.cuda.is_available() is False"
    else:
        what = f"a tensor on the GPU failed: {check.error or 'no error message'}"
    lines = [f"installed, but torch cannot use {device}: {what}"]
    build = torch_build(facts, facts.version if facts is not None else None, tables)
    found = [
        finding
        for finding in gpu_findings(gpu, build, None, tables, python, facts=facts)
        if finding.id in _RUNTIME_FINDINGS
    ]
    for finding in found:
        lines.append(f"  likely cause: {finding.message}")
        lines.append(f"  fix: {finding.fix}")
    if not found:
        for warning in (facts.warnings if facts is not None else ())[:2]:
            lines.append(f"  torch says: {warning}")
        lines.append(f"  safe-pip doctor --python {python} shows the driver, the GPU and torch's build")
    return False, lines


def build_target_line(facts: TorchFacts, python_version: str, nvcc: str | None) -> str | None:
    """The combination a CUDA extension builds for, as a fact line of its diagnosis:
    "building for torch 2.7.1+cu128 (CUDA 12.8), Python 3.11, C++11 ABI (_GLIBCXX_USE_CXX11_ABI=1),
    GPU architectures sm_75 … sm_120; nvcc here: CUDA 13.0". None when torch does not import."""
    if facts.version is None or facts.import_error is not None:
        return None
    cuda = f"CUDA {facts.cuda}" if facts.cuda else ("ROCm " + facts.hip if facts.hip else "CPU only")
    parts = [f"building for torch {facts.version} ({cuda})", f"Python {python_version}"]
    if facts.cxx11_abi is not None:
        flag = int(facts.cxx11_abi)
        parts.append(f"{'C++11' if facts.cxx11_abi else 'pre-C++11'} ABI (_GLIBCXX_USE_CXX11_ABI={flag})")
    if facts.arch_list:
        archs = facts.arch_list
        shown = f"{archs[0]} … {archs[-1]}" if len(archs) > 2 else " ".join(archs)
        parts.append(f"GPU architectures {shown}")
    line = ", ".join(parts)
    return f"{line}; nvcc here: {f'CUDA {nvcc}' if nvcc else 'none on PATH'}"


def build_target_json(facts: TorchFacts, python_version: str, nvcc: str | None) -> dict[str, object] | None:
    """`build_target_line`'s facts as the JSON outputs' `build_target` object (CONTRACT.md); None when torch
    does not import."""
    line = build_target_line(facts, python_version, nvcc)
    if line is None:
        return None
    return {
        "torch": facts.version,
        "cuda": facts.cuda,
        "hip": facts.hip,
        "python": python_version,
        "cxx11_abi": facts.cxx11_abi,
        "arch_list": list(facts.arch_list),
        "nvcc": nvcc,
        "summary": line,
    }
