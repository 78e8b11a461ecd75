"""Why a wheel does not fit an interpreter: which dimension of its tags fails, and by how much.

The target interpreter's own ordered tag list (from its pip) is the authority on what fits; this module only
explains a misfit in words: the operating system, the CPU architecture, the C library (glibc version,
musl vs glibc), the macOS version, the Python implementation and version, the ABI (abi3, free-threading,
debug), or a pip too old to know a tag that the machine itself supports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# packaging's tags and wheel names are imported where a wheel's name is read (issue 17).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.tags import Tag

__all__ = ["InterpreterTags", "WheelMismatch", "describe_wheel", "explain_wheel", "parse_platform"]

_OS_NAMES = {"linux": "Linux", "darwin": "macOS", "win32": "Windows"}
_IMPLEMENTATIONS = {"cp": "CPython", "pp": "PyPy", "ip": "IronPython", "jy": "Jython", "gp": "GraalPy"}
# Architecture names that mean the same CPU in different tag families.
_ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "win32": "x86", "i686": "x86", "i386": "x86"}
# The first pip that understood a platform tag family (older pips skip such wheels as unsupported).
_PIP_FOR_TAG = (
    (re.compile(r"^manylinux_\d+_\d+_"), (20, 3), "manylinux_x_y"),
    (re.compile(r"^musllinux_\d+_\d+_"), (21, 2), "musllinux"),
    (re.compile(r"^manylinux2014_"), (19, 3), "manylinux2014"),
    (re.compile(r"^manylinux2010_"), (19, 0), "manylinux2010"),
)
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@dataclass(frozen=True)
class InterpreterTags:
    """What a wheel is matched against: facts about the target interpreter and its machine."""

    implementation: str  # interpreter tag prefix: "cp", "pp"
    version: tuple[int, int]
    abi: str  # the interpreter's own ABI tag: "cp311", "cp313t", "cp311d", "pypy310_pp73"
    os: str  # "linux", "darwin", "win32"
    machine: str  # "x86_64", "aarch64", "arm64", "AMD64"
    supported_tags: tuple[str, ...] = ()  # in the target pip's order of preference
    glibc: tuple[int, int] | None = None
    musl: tuple[int, int] | None = None
    macos: tuple[int, int] | None = None
    pip_version: tuple[int, ...] | None = None

    @property
    def description(self) -> str:
        name = _IMPLEMENTATIONS.get(self.implementation, self.implementation)
        threading = " (free-threaded)" if self.abi.endswith("t") else ""
        return f"{name} {self.version[0]}.{self.version[1]}{threading}"

    @property
    def platform_description(self) -> str:
        details = ""
        if self.glibc:
            details = f", glibc {self.glibc[0]}.{self.glibc[1]}"
        elif self.musl:
            details = f", musl {self.musl[0]}.{self.musl[1]}"
        elif self.macos:
            details = f" {self.macos[0]}.{self.macos[1]}"
        return f"{_OS_NAMES.get(self.os, self.os)}{details} on {self.machine}"


@dataclass(frozen=True)
class WheelMismatch:
    """One reason a wheel does not fit: the failing dimension and a sentence that says it exactly."""

    dimension: str  # "os", "arch", "libc", "glibc", "macos", "implementation", "python", "abi", "pip"
    message: str


@dataclass(frozen=True)
class PlatformTag:
    os: str | None  # "linux", "darwin", "win32"; None for "any"
    archs: tuple[str, ...]  # normalised ("x86_64", "aarch64", ...); empty for "any"
    libc: str | None = None  # "glibc", "musl"; None when the tag does not say (or not Linux)
    minimum: tuple[int, int] | None = None  # glibc/musl/macOS version the wheel needs


def parse_platform(tag: str) -> PlatformTag:
    """What a platform tag demands: `manylinux_2_28_aarch64` -> Linux, aarch64, glibc >= 2.28."""
    if tag == "any":
        return PlatformTag(None, ())
    match = re.match(r"^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$", tag)
    if match:
        libc = "glibc" if match.group(1) == "manylinux" else "musl"
        return PlatformTag(
            "linux", (_arch(match.group(4)),), libc, (int(match.group(2)), int(match.group(3)))
        )
    match = re.match(r"^(manylinux1|manylinux2010|manylinux2014)_(.+)$", tag)
    if match:
        return PlatformTag("linux", (_arch(match.group(2)),), "glibc", _LEGACY_MANYLINUX[match.group(1)])
    if tag.startswith("linux_"):
        return PlatformTag("linux", (_arch(tag[len("linux_") :]),))
    match = re.match(r"^macosx_(\d+)_(\d+)_(.+)$", tag)
    if match:
        arch = match.group(3)
        archs = {
            "universal2": ("x86_64", "aarch64"),
            "universal": ("x86_64", "x86", "ppc"),
            "intel": ("x86_64", "x86"),
            "fat64": ("x86_64", "ppc64"),
        }.get(arch, (_arch(arch),))
        return PlatformTag("darwin", archs, None, (int(match.group(1)), int(match.group(2))))
    if tag == "win32":
        return PlatformTag("win32", ("x86",))
    if tag.startswith("win_"):
        return PlatformTag("win32", (_arch(tag[len("win_") :]),))
    return PlatformTag(tag.split("_", 1)[0], (_arch(tag.split("_", 1)[-1]),))


def _arch(name: str) -> str:
    name = name.lower()
    return _ARCH_ALIASES.get(name, name)


def explain_wheel(filename: str, target: InterpreterTags) -> list[WheelMismatch]:
    """Why `filename` (a wheel's file name) does not install on `target`; empty when it does fit.

    Every tag of the wheel is compared with the target and the closest one (fewest failing dimensions) is
    explained. When every dimension fits but the target's pip does not list the tag, the pip is too old.
    """
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return []
    supported = set(target.supported_tags)
    if supported and any(str(tag) in supported for tag in tags):
        return []
    explained = sorted(
        (_mismatches(tag, target) for tag in tags), key=lambda found: (len(found), _order(found))
    )
    best = explained[0] if explained else []
    if not best and supported:
        return _pip_too_old(tags, target)
    return best


def describe_wheel(filename: str) -> str | None:
    """What a wheel is built for, in words, without comparing it to anything (a log from elsewhere):
    `x-1.0-cp311-cp311-win_amd64.whl` -> "CPython 3.11 on Windows x86_64 (cp311-cp311-win_amd64)"."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    tag = sorted(tags, key=str)[0]
    match = re.match(r"^([a-z]+)(\d)(\d*)$", tag.interpreter)
    python = tag.interpreter
    if match:
        family = "Python" if match.group(1) == "py" else _IMPLEMENTATIONS.get(match.group(1), match.group(1))
        python = f"{family} {match.group(2)}" + (f".{match.group(3)}" if match.group(3) else "")
        if tag.abi == "abi3":
            python += "+ (stable ABI)"
        elif tag.abi.endswith("t"):
            python += " (free-threaded)"
    platform = parse_platform(tag.platform)
    where = "any platform"
    if platform.os == "darwin":
        archs = " / ".join("arm64" if arch == "aarch64" else arch for arch in platform.archs)
        where = f"macOS >= {_version(platform.minimum or (10, 0))} on {archs}"
    elif platform.os is not None:
        where = f"{_OS_NAMES.get(platform.os, platform.os)} {' / '.join(platform.archs)}"
        if platform.libc and platform.minimum:
            where += f" with {platform.libc} >= {_version(platform.minimum)}"
    tags_text = ", ".join(sorted(str(item) for item in tags))
    return f"{python} on {where} ({tags_text})"


def _order(found: Sequence[WheelMismatch]) -> tuple[int, ...]:
    ranking = ("os", "arch", "libc", "implementation", "python", "abi", "glibc", "macos", "pip")
    return tuple(sorted(ranking.index(item.dimension) for item in found))


def _mismatches(tag: Tag, target: InterpreterTags) -> list[WheelMismatch]:
    found = [*_platform_mismatches(tag.platform, target)]
    found += _python_mismatches(tag, target)
    return found


def _platform_mismatches(platform: str, target: InterpreterTags) -> Iterable[WheelMismatch]:
    wanted = parse_platform(platform)
    if wanted.os is None:
        return
    here = _OS_NAMES.get(target.os, target.os)
    machine = _arch(target.machine)
    if wanted.os != target.os:
        yield WheelMismatch(
            "os",
            f"it is built for {_OS_NAMES.get(wanted.os, wanted.os)} ({platform}); "
            f"this is {here} {target.machine}",
        )
        return
    if machine not in wanted.archs:
        built = " / ".join(wanted.archs)
        yield WheelMismatch(
            "arch", f"it is built for {built} CPUs ({platform}); this machine is {target.machine}"
        )
    if wanted.os == "linux" and wanted.libc is not None:
        if wanted.libc == "musl" and target.musl is None and target.glibc is not None:
            yield WheelMismatch(
                "libc",
                f"it is built for musl-based Linux such as Alpine ({platform}); "
                f"this system uses glibc {_version(target.glibc)}",
            )
        elif wanted.libc == "glibc" and target.glibc is None and target.musl is not None:
            yield WheelMismatch(
                "libc",
                f"it is built for glibc-based Linux ({platform}); "
                f"this system uses musl {_version(target.musl)} (Alpine)",
            )
        elif wanted.minimum is not None:
            have = target.glibc if wanted.libc == "glibc" else target.musl
            if have is not None and have < wanted.minimum:
                name = "glibc" if wanted.libc == "glibc" else "musl"
                yield WheelMismatch(
                    "glibc",
                    f"it needs {name} >= {_version(wanted.minimum)} ({platform}); "
                    f"this system has {name} {_version(have)}",
                )
    darwin_minimum = wanted.minimum if wanted.os == "darwin" else None
    if darwin_minimum is not None and target.macos is not None and target.macos < darwin_minimum:
        yield WheelMismatch(
            "macos",
            f"it needs macOS >= {_version(darwin_minimum)} ({platform}); "
            f"this Mac runs macOS {_version(target.macos)}",
        )


def _python_mismatches(tag: Tag, target: InterpreterTags) -> list[WheelMismatch]:
    interpreter, abi = tag.interpreter, tag.abi
    match = re.match(r"^([a-z]+)(\d)(\d*)$", interpreter)
    if not match:
        return [
            WheelMismatch("implementation", f"its interpreter tag {interpreter!r} is not one this Python has")
        ]
    family, major, minor = match.group(1), int(match.group(2)), match.group(3)
    found: list[WheelMismatch] = []
    if family not in ("py", target.implementation):
        name = _IMPLEMENTATIONS.get(family, family)
        found.append(
            WheelMismatch(
                "implementation", f"it is for {name} ({interpreter}); you are running {target.description}"
            )
        )
        return found
    if major != target.version[0]:
        found.append(
            WheelMismatch(
                "python", f"it is for Python {major} ({interpreter}); you are running {target.description}"
            )
        )
        return found
    if family != "py" and minor:
        wanted = (major, int(minor))
        name = _IMPLEMENTATIONS.get(family, family)
        if abi == "abi3":
            if wanted > target.version:
                found.append(
                    WheelMismatch(
                        "python",
                        f"its stable ABI needs {name} >= {_version(wanted)} "
                        f"({interpreter}-abi3); you are running {target.description}",
                    )
                )
        elif wanted != target.version:
            found.append(
                WheelMismatch(
                    "python",
                    f"it is for {name} {_version(wanted)} ({interpreter}); "
                    f"you are running {target.description}",
                )
            )
            return found
    if abi == "abi3" and target.abi.endswith("t"):
        found.append(
            WheelMismatch(
                "abi",
                f"it uses the stable ABI (abi3), which a free-threaded Python cannot "
                f"load; you are running {target.description}",
            )
        )
    elif abi not in ("none", "abi3") and abi != target.abi:
        found.append(WheelMismatch("abi", _abi_message(abi, target)))
    return found


def _abi_message(abi: str, target: InterpreterTags) -> str:
    if abi.endswith("t") and not target.abi.endswith("t"):
        return f"it is for a free-threaded Python ({abi}); you are running {target.description}"
    if target.abi.endswith("t") and not abi.endswith("t"):
        return f"it is for the regular (GIL) build ({abi}); you are running {target.description}"
    if abi.endswith("d") != target.abi.endswith("d"):
        return (
            f"it is for a {'debug' if abi.endswith('d') else 'release'} build of Python ({abi}); "
            f"this interpreter's ABI is {target.abi}"
        )
    return f"its ABI tag {abi} differs from this interpreter's ({target.abi})"


def _pip_too_old(tags: Iterable[Tag], target: InterpreterTags) -> list[WheelMismatch]:
    for tag in tags:
        for pattern, version, family in _PIP_FOR_TAG:
            if (
                pattern.match(tag.platform)
                and target.pip_version is not None
                and target.pip_version < version
            ):
                return [
                    WheelMismatch(
                        "pip",
                        f"the machine supports {tag.platform}, but pip "
                        f"{_version(target.pip_version)} is too old to know {family} tags "
                        f"(pip >= {_version(version)} does): upgrade pip",
                    )
                ]
    platforms = ", ".join(sorted({tag.platform for tag in tags}))
    return [
        WheelMismatch(
            "pip", f"this interpreter's pip does not accept its tags ({platforms}); a newer pip may"
        )
    ]


def _version(parts: Sequence[int]) -> str:
    return ".".join(str(part) for part in parts)


def tags_of(names: Iterable[str]) -> tuple[str, ...]:
    """Tag strings, expanded (`cp311-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64` gives two)."""
    from packaging.tags import parse_tag

    return tuple(str(tag) for name in names for tag in parse_tag(name))
