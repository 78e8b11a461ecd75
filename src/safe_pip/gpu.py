"""GPU facts: the NVIDIA driver, each GPU and its compute capability, ROCm, and what an installed torch says
about itself.

Pure: every parser takes the text a file or a command gave (`/proc/driver/nvidia/version`,
`/sys/module/nvidia/version`, `nvidia-smi --query-gpu=...`, `/opt/rocm/.info/version`, `rocminfo`, the torch
facts script's output). `probe.detect_gpu_facts` and `probe.detect_torch_facts` run the commands and read the
files, through a runner and a reader they are given, so that tests can drive them with recorded output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = [
    "CudaCheck",
    "Gpu",
    "GpuFacts",
    "TorchFacts",
    "cuda_version_text",
    "invalid_smi_field",
    "parse_compute_capability",
    "parse_cuda_check",
    "parse_proc_driver_version",
    "parse_rocm_version",
    "parse_rocminfo",
    "parse_smi_banner",
    "parse_smi_error",
    "parse_smi_query",
    "parse_sys_module_version",
    "parse_torch_facts",
]

_DRIVER = r"\d{2,4}(?:\.\d+){1,2}"


@dataclass(frozen=True)
class Gpu:
    name: str
    compute_capability: tuple[int, int] | None  # (8, 9) for an RTX 4090; None when nvidia-smi is too old

    @property
    def sm(self) -> str | None:
        """The architecture name CUDA gives this GPU (`sm_89`)."""
        if self.compute_capability is None:
            return None
        return f"sm_{self.compute_capability[0]}{self.compute_capability[1]}"


@dataclass(frozen=True)
class GpuFacts:
    """What this machine has; empty (no driver, no GPU) when nothing was found."""

    driver: str | None = None  # the NVIDIA kernel driver's version ("550.54.14")
    driver_source: str | None = None  # where it was read: "/proc/driver/nvidia/version", "nvidia-smi", ...
    gpus: tuple[Gpu, ...] = ()
    smi_problem: str | None = None  # nvidia-smi ran but failed ("couldn't communicate with the driver")
    rocm: str | None = None  # the ROCm release installed under /opt/rocm ("6.0.2")
    rocm_gpus: tuple[str, ...] = ()  # AMD GPU targets rocminfo lists ("gfx90a")

    @property
    def nvidia(self) -> bool:
        """An NVIDIA driver or GPU is here."""
        return self.driver is not None or bool(self.gpus)

    @property
    def amd(self) -> bool:
        return bool(self.rocm_gpus)

    def to_json(self) -> dict[str, object]:
        return {
            "nvidia_driver": self.driver,
            "driver_source": self.driver_source,
            "gpus": [
                {
                    "name": gpu.name,
                    "compute_capability": ".".join(map(str, gpu.compute_capability))
                    if gpu.compute_capability
                    else None,
                    "arch": gpu.sm,
                }
                for gpu in self.gpus
            ],
            "nvidia_smi_problem": self.smi_problem,
            "rocm": self.rocm,
            "rocm_gpus": list(self.rocm_gpus),
        }


def parse_proc_driver_version(text: str) -> str | None:
    """`/proc/driver/nvidia/version`'s first line, in the proprietary module's form
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023") and the open
    module's ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build  (...)")."""
    for line in text.splitlines():
        if not line.startswith("NVRM version:"):
            continue
        # The version is the first dotted number after "Kernel Module" (the open module puts "for <arch>"
        # between them, and <arch> may hold digits: x86_64, aarch64).
        match = re.search(rf"Kernel Module(?:\s+for\s+\S+)?\s+({_DRIVER})\b", line)
        if match:
            return match.group(1)
    return None


def parse_sys_module_version(text: str) -> str | None:
    """`/sys/module/nvidia/version`: the loaded module's version alone ("550.54.14\\n")."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first if re.fullmatch(_DRIVER, first) else None


def parse_smi_error(text: str) -> str | None:
    """nvidia-smi's own complaint, when it printed one instead of an answer, in its words:
    `Field "compute_cap" is not a valid field to query.` (an nvidia-smi older than the field),
    `NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. ...`,
    `Failed to initialize NVML: Driver/library version mismatch`, `No devices were found`."""
    for line in text.splitlines():
        stripped = line.strip()
        if re.search(
            r"is not a valid field to query|NVIDIA-SMI has failed|Failed to initialize NVML|"
            r"No devices were found|couldn't communicate with the NVIDIA driver|Unable to determine",
            stripped,
        ):
            return stripped
    return None


def invalid_smi_field(text: str) -> str | None:
    """The field an nvidia-smi too old for it refused:
    `Field "compute_cap" is not a valid field to query.`"""
    match = re.search(r'Field "([\w.]+)" is not a valid field to query', text)
    return match.group(1) if match else None


def parse_smi_query(text: str, fields: tuple[str, ...]) -> list[dict[str, str]] | None:
    """`nvidia-smi --query-gpu=<fields> --format=csv,noheader` (one GPU a line:
    "NVIDIA GeForce RTX 4090, 8.9, 550.54.14"): one mapping a GPU; None when the output is not that (an error,
    a header, the wrong number of columns). A GPU's name never holds a comma; "[N/A]" stays as printed."""
    rows: list[dict[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != len(fields) or cells == list(fields):
            return None
        rows.append(dict(zip(fields, cells)))
    if not rows:
        return None
    if "driver_version" in fields and not all(re.fullmatch(_DRIVER, row["driver_version"]) for row in rows):
        return None
    return rows


def parse_compute_capability(text: str) -> tuple[int, int] | None:
    """ "8.9" -> (8, 9); "12.0" -> (12, 0); "[N/A]" -> None."""
    match = re.fullmatch(r"(\d+)\.(\d+)", text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_smi_banner(text: str) -> tuple[str | None, str | None]:
    """Plain `nvidia-smi`'s header box: (driver version, the newest CUDA the driver supports), from
    "| NVIDIA-SMI 550.54.14   Driver Version: 550.54.14   CUDA Version: 12.4 |"."""
    driver = re.search(rf"Driver Version:\s*({_DRIVER})", text)
    cuda = re.search(r"CUDA Version:\s*(\d+\.\d+)", text)
    return (driver.group(1) if driver else None, cuda.group(1) if cuda else None)


def parse_rocm_version(text: str) -> str | None:
    """`/opt/rocm/.info/version`: "6.0.2-115" -> "6.0.2"."""
    match = re.match(r"\s*(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else None


def parse_rocminfo(text: str) -> tuple[str, ...]:
    """The GPU agents' targets from `rocminfo` ("  Name:                    gfx90a"), in order, once each."""
    found: list[str] = []
    for match in re.finditer(r"^\s*Name:\s+(gfx[0-9a-f]+)\b", text, re.MULTILINE):
        if match.group(1) not in found:
            found.append(match.group(1))
    return tuple(found)


# -- torch in the target -----------------------------------------------------------------------------------
TORCH_FACTS_MARK = "safe-pip-torch "


@dataclass(frozen=True)
class TorchFacts:
    """An installed torch as it sees itself (the facts script in probe.py imports it in the target)."""

    version: str | None  # torch.__version__ ("2.7.1+cu128")
    cuda: str | None  # torch.version.cuda ("12.8"); None for a CPU or ROCm build
    hip: str | None = None  # torch.version.hip, for a ROCm build
    arch_list: tuple[str, ...] = ()  # the GPU architectures compiled in ("sm_75", ..., "compute_120")
    cuda_available: bool | None = None  # torch.cuda.is_available()
    device_capability: tuple[int, int] | None = None  # of device 0, when CUDA is available
    cxx11_abi: bool | None = None  # torch._C._GLIBCXX_USE_CXX11_ABI
    warnings: tuple[str, ...] = ()  # what torch warned while asking (the reason CUDA is not available)
    import_error: str | None = None  # "ImportError: libcudart.so.12: cannot open shared object file"

    @property
    def build(self) -> str | None:
        """ "cuda", "rocm", "cpu", or None when torch did not import."""
        if self.import_error is not None or self.version is None:
            return None
        if self.cuda:
            return "cuda"
        if self.hip:
            return "rocm"
        return "cpu"

    @property
    def cuda_major(self) -> int | None:
        major = (self.cuda or "").split(".")[0]
        return int(major) if major.isascii() and major.isdigit() else None

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "cuda": self.cuda,
            "hip": self.hip,
            "build": self.build,
            "arch_list": list(self.arch_list),
            "cuda_available": self.cuda_available,
            "cxx11_abi": self.cxx11_abi,
            "warnings": list(self.warnings),
            "import_error": self.import_error,
        }


def parse_torch_facts(output: str) -> TorchFacts | None:
    """The torch facts script's marker line; None when it is not there (torch not installed, the script did
    not run)."""
    for line in output.splitlines():
        if not line.startswith(TORCH_FACTS_MARK):
            continue
        try:
            data = json.loads(line[len(TORCH_FACTS_MARK) :])
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        if data.get("missing"):
            return None
        capability = data.get("capability")
        return TorchFacts(
            version=_str(data.get("version")),
            cuda=_str(data.get("cuda")),
            hip=_str(data.get("hip")),
            arch_list=tuple(str(arch) for arch in data.get("arch_list") or ()),
            cuda_available=data["available"] if isinstance(data.get("available"), bool) else None,
            device_capability=(int(capability[0]), int(capability[1]))
            if isinstance(capability, list) and len(capability) == 2
            else None,
            cxx11_abi=data["cxx11_abi"] if isinstance(data.get("cxx11_abi"), bool) else None,
            warnings=tuple(str(text) for text in data.get("warnings") or ()),
            import_error=_str(data.get("import_error")),
        )
    return None


def _str(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and str(value) else None


# -- after an install: does CUDA work? ----------------------------------------------------------------------
CUDA_CHECK_MARK = "safe-pip-cuda "


@dataclass(frozen=True)
class CudaCheck:
    """The post-install check's answer: torch imported, CUDA available, a tiny tensor computed on the GPU."""

    imported: bool
    available: bool | None
    tensor_ok: bool | None  # None: not tried (CUDA not available)
    error: str | None  # the last line of the failure ("RuntimeError: CUDA error: no kernel image ...")
    output: str  # everything the check printed (tracebacks, torch's warnings), for the classifier
    skipped: bool = False  # nothing installed is torch or depends on it: nothing was checked

    @property
    def ok(self) -> bool:
        return self.imported and bool(self.available) and bool(self.tensor_ok)


def parse_cuda_check(output: str) -> CudaCheck:
    """Marker lines: "safe-pip-cuda skip" (nothing installed uses torch), "safe-pip-cuda import ok|failed",
    "safe-pip-cuda available 1|0", "safe-pip-cuda tensor ok|failed", "safe-pip-cuda error <text>"."""
    imported = False
    available: bool | None = None
    tensor: bool | None = None
    error: str | None = None
    skipped = False
    for line in output.splitlines():
        if not line.startswith(CUDA_CHECK_MARK):
            continue
        words = line[len(CUDA_CHECK_MARK) :].split(" ", 1)
        key, value = words[0], (words[1] if len(words) > 1 else "")
        if key == "skip":
            skipped = True
        elif key == "import":
            imported = value == "ok"
        elif key == "available":
            available = value == "1"
        elif key == "tensor":
            tensor = value == "ok"
        elif key == "error" and value:
            error = value
    return CudaCheck(imported, available, tensor, error, output, skipped)


def cuda_version_text(code: int) -> str:
    """The driver's CUDA version as CUDA's messages give it ("found version 11040") -> "11.4"."""
    return f"{code // 1000}.{code % 1000 // 10}"
