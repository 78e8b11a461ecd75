"""The CUDA and PyTorch tables (`cuda-tables.toml`, beside this module): which driver each CUDA toolkit needs,
which CUDA builds each torch release has and which one PyPI serves, and which GPU architectures each build
holds. Pure: `parse_tables(text)` reads the data, `load_tables()` reads the shipped file once; the lookups
answer None ("unknown") rather than guess for a version the table does not list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = [
    "PYTORCH_INDEX",
    "ArchEntry",
    "CudaTables",
    "TablesError",
    "TorchRelease",
    "arch_runs",
    "build_cuda",
    "load_tables",
    "parse_tables",
]

PYTORCH_INDEX = "https://download.pytorch.org/whl"


class TablesError(ValueError):
    """The tables' data is not as documented (the message names the key and the bad value)."""


@dataclass(frozen=True)
class TorchRelease:
    version: str  # "2.7": every 2.7.x
    builds: tuple[str, ...]  # CUDA builds on the PyTorch index: ("cu118", "cu126", "cu128")
    pypi: str  # the build PyPI's Linux x86_64 wheel is


@dataclass(frozen=True)
class ArchEntry:
    build: str
    torch: str  # the torch releases it covers, a version specifier (">=2.7,<2.9")
    archs: tuple[str, ...]


def build_cuda(build: str) -> str | None:
    """A build's CUDA version: "cu128" -> "12.8", "cu118" -> "11.8", "cu130" -> "13.0"; None for "cpu"."""
    match = re.fullmatch(r"cu(\d+)(\d)", build)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _release_key(version: str) -> str | None:
    """The table's row for a torch version: "2.7.1+cu128" -> "2.7"."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _plain(version: str) -> Version | None:
    try:
        return Version(version.split("+", maxsplit=1)[0])
    except InvalidVersion:
        return None


def _arch_number(arch: str) -> tuple[str, int, int, str] | None:
    """sm_86 -> ("sm", 8, 6, ""); compute_120 -> ("compute", 12, 0, ""); sm_90a -> ("sm", 9, 0, "a")."""
    match = re.fullmatch(r"(sm|compute)_(\d+)(\d)([af]?)", arch)
    if not match:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)


def arch_runs(capability: tuple[int, int], archs: tuple[str, ...] | list[str]) -> bool:
    """Whether a GPU of this compute capability runs code compiled for `archs`: its own sm_XY or an older
    minor of the same major (sm_80 runs on an 8.6 GPU; sm_90 does not run on 12.0), or PTX (compute_XY) no
    newer than the GPU, which the driver compiles for it. Code for one GPU only (sm_90a) runs on it alone."""
    major, minor = capability
    for arch in archs:
        parsed = _arch_number(arch)
        if parsed is None:
            continue
        kind, arch_major, arch_minor, suffix = parsed
        if kind == "compute":
            if (arch_major, arch_minor) <= capability:
                return True
        elif suffix == "a":
            if (arch_major, arch_minor) == capability:
                return True
        elif arch_major == major and arch_minor <= minor:
            return True
    return False


@dataclass(frozen=True)
class CudaTables:
    toolkit: Mapping[str, str]  # CUDA toolkit -> oldest driver with full support
    family: Mapping[int, str]  # CUDA major -> oldest driver that runs it (minor version compatibility)
    torch: tuple[TorchRelease, ...]  # oldest release first
    archs: tuple[ArchEntry, ...]

    # -- drivers -----------------------------------------------------------------------------------------
    def driver_minimum(self, cuda: str) -> str | None:
        """The driver a CUDA toolkit's own release needs ("11.4" -> "470.42.01"); None when not listed."""
        return self.toolkit.get(_major_minor(cuda) or cuda)

    def family_minimum(self, cuda: str) -> str | None:
        """The oldest driver that runs anything of this CUDA major release ("12.8" -> "525.60.13")."""
        major = cuda.split(".", maxsplit=1)[0]
        return self.family.get(int(major)) if major.isascii() and major.isdigit() else None

    def driver_support(self, driver: str, cuda: str) -> str | None:
        """ "full" (the driver is as new as the toolkit's own), "compatible" (older, but runs it through
        minor version compatibility), "too-old" (cannot run it), or None (the driver or CUDA unknown)."""
        have = _plain(driver)
        if have is None:
            return None
        full = self.driver_minimum(cuda)
        if full is not None and have >= Version(full):
            return "full"
        family = self.family_minimum(cuda)
        if family is None:
            return None if full is None else "too-old"
        return "compatible" if have >= Version(family) else "too-old"

    def newest_cuda(self, driver: str) -> str | None:
        """The newest CUDA toolkit the driver fully supports (470.82.01 -> "11.4"); None when none listed."""
        have = _plain(driver)
        if have is None:
            return None
        fits = [cuda for cuda, needs in self.toolkit.items() if have >= Version(needs)]
        return max(fits, key=_cuda_key) if fits else None

    def newest_family(self, driver: str) -> int | None:
        """The newest CUDA major release the driver runs (through minor version compatibility)."""
        have = _plain(driver)
        if have is None:
            return None
        fits = [major for major, needs in self.family.items() if have >= Version(needs)]
        return max(fits) if fits else None

    # -- torch -------------------------------------------------------------------------------------------
    def release(self, torch_version: str) -> TorchRelease | None:
        """The row of a torch version ("2.7.1", "2.7.1+cu118", "2.7"); None when the table lacks it."""
        key = _release_key(torch_version)
        return next((row for row in self.torch if row.version == key), None)

    def newest_release(self) -> TorchRelease:
        return max(self.torch, key=lambda row: Version(row.version))

    def build_archs(self, torch_version: str, build: str) -> tuple[str, ...] | None:
        """The architectures an official build of a torch version holds; None when unknown."""
        version = _plain(torch_version)
        if version is None:
            return None
        for entry in self.archs:
            if entry.build == build and SpecifierSet(entry.torch).contains(version, prereleases=True):
                return entry.archs
        return None

    def builds_for(
        self,
        torch_version: str,
        *,
        driver: str | None = None,
        capability: tuple[int, int] | None = None,
        full_support: bool = False,
    ) -> list[str]:
        """The CUDA builds of a torch release this machine can run, newest CUDA first: the driver runs their
        CUDA (fully, with `full_support`) and their architectures include the GPU's. Unknown facts do not
        rule a build out; an unknown release has none."""
        row = self.release(torch_version)
        if row is None:
            return []
        fitting = []
        for build in row.builds:
            cuda = build_cuda(build)
            if cuda is None:
                continue
            if driver is not None:
                support = self.driver_support(driver, cuda)
                if support == "too-old" or (full_support and support == "compatible"):
                    continue
            if capability is not None:
                archs = self.build_archs(row.version, build)
                if archs is not None and not arch_runs(capability, archs):
                    continue
            fitting.append(build)
        return sorted(fitting, key=lambda build: _cuda_key(build_cuda(build) or "0.0"), reverse=True)

    def newest_release_with(self, build: str) -> TorchRelease | None:
        """The newest torch release that has a build (cu118 -> 2.7)."""
        rows = [row for row in self.torch if build in row.builds]
        return max(rows, key=lambda row: Version(row.version)) if rows else None


def _major_minor(cuda: str) -> str | None:
    match = re.match(r"(\d+)\.(\d+)", cuda)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _cuda_key(cuda: str) -> tuple[int, int]:
    major, _, minor = cuda.partition(".")
    return (int(major), int(minor or 0))


def parse_tables(text: str, source: str = "cuda-tables.toml") -> CudaTables:
    """Read and check the tables' TOML; TablesError names the key and value that are wrong."""
    from safe_pip.rules import _toml

    tomllib = _toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TablesError(f"{source}: not valid TOML: {error}") from None
    toolkit: dict[str, str] = {}
    for cuda, driver in (data.get("toolkit") or {}).items():
        if not re.fullmatch(r"\d+\.\d+", cuda) or not isinstance(driver, str) or _plain(driver) is None:
            raise TablesError(f"{source}: [toolkit] {cuda!r} = {driver!r} is not a CUDA version and a driver")
        toolkit[cuda] = driver
    family: dict[int, str] = {}
    for major, driver in (data.get("family") or {}).items():
        if not (major.isascii() and major.isdigit()) or not isinstance(driver, str) or _plain(driver) is None:
            raise TablesError(f"{source}: [family] {major!r} = {driver!r} is not a CUDA major and a driver")
        family[int(major)] = driver
    releases: list[TorchRelease] = []
    for row in data.get("torch") or []:
        version, builds, pypi = row.get("version"), row.get("builds"), row.get("pypi")
        if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+", version):
            raise TablesError(f"{source}: [[torch]] version {version!r} is not major.minor")
        if not isinstance(builds, list) or not builds or not all(isinstance(b, str) for b in builds):
            raise TablesError(f"{source}: [[torch]] {version}: builds {builds!r} is not a list of builds")
        if any(build_cuda(build) is None for build in builds):
            raise TablesError(f"{source}: [[torch]] {version}: builds {builds!r} holds a name not cuXYZ")
        if pypi not in builds:
            raise TablesError(f"{source}: [[torch]] {version}: pypi {pypi!r} is not one of its builds")
        releases.append(TorchRelease(version, tuple(builds), str(pypi)))
    archs: list[ArchEntry] = []
    for entry in data.get("archs") or []:
        build, torch, names = entry.get("build"), entry.get("torch"), entry.get("archs")
        try:
            SpecifierSet(str(torch))
        except InvalidSpecifier:
            raise TablesError(f"{source}: [[archs]] {build}: torch {torch!r} is not a specifier") from None
        if not isinstance(names, list) or not all(
            isinstance(name, str) and _arch_number(name) for name in names
        ):
            raise TablesError(f"{source}: [[archs]] {build} {torch}: archs {names!r} are not sm_XY")
        archs.append(ArchEntry(str(build), str(torch), tuple(names)))
    releases.sort(key=lambda row: Version(row.version))
    return CudaTables(toolkit, family, tuple(releases), tuple(archs))


@functools.cache
def load_tables() -> CudaTables:
    """The tables shipped beside this module (read once)."""
    from pathlib import Path

    path = Path(__file__).with_name("cuda-tables.toml")
    return parse_tables(path.read_text(encoding="utf-8"), str(path))
