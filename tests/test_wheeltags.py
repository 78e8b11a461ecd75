"""Wheel-tag arithmetic over a table of wheel file names x interpreters (one per dimension that can fail)."""

from __future__ import annotations

import pytest
from packaging import tags

from safe_pip.wheeltags import InterpreterTags, explain_wheel, parse_platform


def _linux_platforms(glibc: tuple[int, int], arch: str, legacy: bool = True) -> list[str]:
    names = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc[1], 4, -1)] if legacy is not None else []
    for name, floor in (("manylinux2014", 17), ("manylinux2010", 12), ("manylinux1", 5)):
        if glibc[1] >= floor:
            names.append(f"{name}_{arch}")
    return [*names, f"linux_{arch}"]


def _target(
    version: tuple[int, int] = (3, 11),
    *,
    implementation: str = "cp",
    abi: str | None = None,
    os: str = "linux",
    machine: str = "x86_64",
    glibc: tuple[int, int] | None = (2, 36),
    musl: tuple[int, int] | None = None,
    macos: tuple[int, int] | None = None,
    pip: tuple[int, ...] = (23, 2, 1),
    platforms: list[str] | None = None,
) -> InterpreterTags:
    abi = abi or f"{implementation}{version[0]}{version[1]}"
    if platforms is None:
        if os == "linux" and musl:
            platforms = [f"musllinux_{musl[0]}_{minor}_{machine}" for minor in range(musl[1], -1, -1)]
            platforms.append(f"linux_{machine}")
        elif os == "linux":
            platforms = _linux_platforms(glibc or (2, 5), machine)
        elif os == "darwin":
            platforms = list(tags.mac_platforms(macos, machine))
        else:
            platforms = [machine]
    if implementation == "cp":
        supported = [*tags.cpython_tags(version, [abi], platforms)]
    else:
        supported = [*tags.generic_tags(f"{implementation}{version[0]}{version[1]}", [abi], platforms)]
    supported += [*tags.compatible_tags(version, f"{implementation}{version[0]}{version[1]}", platforms)]
    return InterpreterTags(
        implementation=implementation,
        version=version,
        abi=abi,
        os=os,
        machine=machine,
        supported_tags=tuple(str(tag) for tag in supported),
        glibc=glibc if not musl else None,
        musl=musl,
        macos=macos,
        pip_version=pip,
    )


LINUX = _target()
OLD_GLIBC = _target(glibc=(2, 17))
ALPINE = _target(glibc=None, musl=(1, 2))
MAC_ARM = _target(os="darwin", machine="arm64", glibc=None, macos=(14, 0))
MAC_13 = _target(os="darwin", machine="arm64", glibc=None, macos=(13, 0))
WINDOWS = _target((3, 12), os="win32", machine="AMD64", glibc=None, platforms=["win_amd64"])
LINUX_313 = _target((3, 13))
FREE_THREADED = _target((3, 13), abi="cp313t")
PYPY = _target((3, 10), implementation="pp", abi="pypy310_pp73")
# pip 19.2 only knows manylinux1/2010 and linux: its tag list is the authority, glibc 2.36 or not.
OLD_PIP = _target(pip=(19, 2), platforms=["manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"])
OLD_PIP_ALPINE = _target(glibc=None, musl=(1, 2), pip=(21, 0), platforms=["linux_x86_64"])

CASES = [
    (
        "winonly-1.0-cp311-cp311-win_amd64.whl",
        LINUX,
        "os",
        "it is built for Windows (win_amd64); this is Linux x86_64",
    ),
    (
        "oldpy-1.0-cp39-cp39-manylinux_2_17_x86_64.whl",
        LINUX,
        "python",
        "it is for CPython 3.9 (cp39); you are running CPython 3.11",
    ),
    ("macarm-1.0-cp311-cp311-macosx_11_0_arm64.whl", LINUX, "os", "built for macOS (macosx_11_0_arm64)"),
    (
        "new-1.0-cp311-cp311-manylinux_2_99_x86_64.whl",
        LINUX,
        "glibc",
        "it needs glibc >= 2.99 (manylinux_2_99_x86_64); this system has glibc 2.36",
    ),
    (
        "arm-1.0-py3-none-manylinux_2_17_aarch64.whl",
        LINUX,
        "arch",
        "it is built for aarch64 CPUs (manylinux_2_17_aarch64); this machine is x86_64",
    ),
    (
        "alpine-1.0-py3-none-musllinux_1_1_x86_64.whl",
        LINUX,
        "libc",
        "built for musl-based Linux such as Alpine",
    ),
    ("glibc-1.0-py3-none-manylinux_2_17_x86_64.whl", ALPINE, "libc", "this system uses musl 1.2 (Alpine)"),
    (
        "glibc-1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        OLD_GLIBC,
        "glibc",
        "it needs glibc >= 2.28 (manylinux_2_28_x86_64); this system has glibc 2.17",
    ),
    ("fine-1.0-cp311-cp311-manylinux2014_x86_64.whl", OLD_GLIBC, None, ""),
    ("fine-1.0-cp311-cp311-macosx_14_0_arm64.whl", MAC_ARM, None, ""),
    (
        "new-1.0-cp311-cp311-macosx_15_0_arm64.whl",
        MAC_13,
        "macos",
        "it needs macOS >= 15.0 (macosx_15_0_arm64); this Mac runs macOS 13.0",
    ),
    ("intel-1.0-cp311-cp311-macosx_11_0_x86_64.whl", MAC_ARM, "arch", "this machine is arm64"),
    ("uni-1.0-cp311-cp311-macosx_10_9_universal2.whl", MAC_ARM, None, ""),
    ("stable-1.0-cp37-abi3-manylinux2014_x86_64.whl", LINUX, None, ""),
    (
        "stable-1.0-cp312-abi3-manylinux2014_x86_64.whl",
        LINUX,
        "python",
        "its stable ABI needs CPython >= 3.12 (cp312-abi3); you are running CPython 3.11",
    ),
    (
        "stable-1.0-cp39-abi3-manylinux2014_x86_64.whl",
        FREE_THREADED,
        "abi",
        "a free-threaded Python cannot load; you are running CPython 3.13 (free-threaded)",
    ),
    (
        "ft-1.0-cp313-cp313t-manylinux2014_x86_64.whl",
        LINUX_313,
        "abi",
        "it is for a free-threaded Python (cp313t); you are running CPython 3.13",
    ),
    (
        "gil-1.0-cp313-cp313-manylinux2014_x86_64.whl",
        FREE_THREADED,
        "abi",
        "it is for the regular (GIL) build (cp313); you are running CPython 3.13 (free-threaded)",
    ),
    (
        "pypy-1.0-pp310-pypy310_pp73-manylinux2014_x86_64.whl",
        LINUX,
        "implementation",
        "it is for PyPy (pp310); you are running CPython 3.11",
    ),
    (
        "cpy-1.0-cp310-cp310-manylinux2014_x86_64.whl",
        PYPY,
        "implementation",
        "it is for CPython (cp310); you are running PyPy 3.10",
    ),
    (
        "legacy-1.0-py2-none-any.whl",
        LINUX,
        "python",
        "it is for Python 2 (py2); you are running CPython 3.11",
    ),
    ("pure-1.0-py3-none-any.whl", LINUX, None, ""),
    (
        "new-1.0-cp311-cp311-manylinux2014_x86_64.whl",
        OLD_PIP,
        "pip",
        "pip 19.2 is too old to know manylinux2014 tags (pip >= 19.3 does): upgrade pip",
    ),
    (
        "new-1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        OLD_PIP,
        "pip",
        "pip 19.2 is too old to know manylinux_x_y tags (pip >= 20.3 does)",
    ),
    (
        "alpine-1.0-cp311-cp311-musllinux_1_1_x86_64.whl",
        OLD_PIP_ALPINE,
        "pip",
        "pip 21.0 is too old to know musllinux tags (pip >= 21.2 does)",
    ),
    (
        "x86-1.0-cp312-cp312-win32.whl",
        WINDOWS,
        "arch",
        "it is built for x86 CPUs (win32); this machine is AMD64",
    ),
    ("arm-1.0-cp312-cp312-win_arm64.whl", WINDOWS, "arch", "built for aarch64 CPUs (win_arm64)"),
    ("fine-1.0-cp312-cp312-win_amd64.whl", WINDOWS, None, ""),
    (
        "debug-1.0-cp311-cp311d-manylinux2014_x86_64.whl",
        LINUX,
        "abi",
        "it is for a debug build of Python (cp311d)",
    ),
    ("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", LINUX, None, ""),
    ("multi-1.0-cp310.cp311-cp310.cp311-manylinux_2_99_x86_64.whl", LINUX, "glibc", "needs glibc >= 2.99"),
    ("plain-1.0-cp311-cp311-linux_x86_64.whl", LINUX, None, ""),
    (
        "plain-1.0-cp311-cp311-linux_aarch64.whl",
        LINUX,
        "arch",
        "it is built for aarch64 CPUs (linux_aarch64)",
    ),
    ("two-1.0-cp310-cp310-win_amd64.whl", LINUX, "os", "built for Windows"),
    ("not-a-wheel.whl", LINUX, None, ""),
]


@pytest.mark.parametrize(
    ("filename", "target", "dimension", "message"),
    CASES,
    ids=[case[0].split("-")[0] + "-" + str(i) for i, case in enumerate(CASES)],
)
def test_explain_wheel(filename: str, target: InterpreterTags, dimension: str | None, message: str) -> None:
    found = explain_wheel(filename, target)
    if dimension is None:
        assert found == []
    else:
        assert found, filename
        assert found[0].dimension == dimension
        assert message in found[0].message


def test_a_wheel_failing_two_ways_reports_both() -> None:
    found = explain_wheel("two-1.0-cp310-cp310-manylinux_2_99_aarch64.whl", LINUX)
    assert [item.dimension for item in found] == ["arch", "glibc", "python"]


@pytest.mark.parametrize(
    ("tag", "os", "archs", "libc", "minimum"),
    [
        ("manylinux_2_28_aarch64", "linux", ("aarch64",), "glibc", (2, 28)),
        ("manylinux2014_x86_64", "linux", ("x86_64",), "glibc", (2, 17)),
        ("manylinux1_i686", "linux", ("x86",), "glibc", (2, 5)),
        ("musllinux_1_2_x86_64", "linux", ("x86_64",), "musl", (1, 2)),
        ("macosx_10_9_universal2", "darwin", ("x86_64", "aarch64"), None, (10, 9)),
        ("win_amd64", "win32", ("x86_64",), None, None),
        ("any", None, (), None, None),
    ],
)
def test_parse_platform(
    tag: str, os: str | None, archs: tuple[str, ...], libc: str | None, minimum: tuple[int, int] | None
) -> None:
    parsed = parse_platform(tag)
    assert (parsed.os, parsed.archs, parsed.libc, parsed.minimum) == (os, archs, libc, minimum)


@pytest.mark.parametrize(
    ("filename", "described"),
    [
        ("w-1.0-cp311-cp311-win_amd64.whl", "CPython 3.11 on Windows x86_64 (cp311-cp311-win_amd64)"),
        (
            "m-1.0-cp311-cp311-macosx_11_0_arm64.whl",
            "CPython 3.11 on macOS >= 11.0 on arm64 (cp311-cp311-macosx_11_0_arm64)",
        ),
        (
            "l-1.0-cp39-cp39-manylinux_2_28_aarch64.whl",
            "CPython 3.9 on Linux aarch64 with glibc >= 2.28 (cp39-cp39-manylinux_2_28_aarch64)",
        ),
        (
            "s-1.0-cp38-abi3-musllinux_1_1_x86_64.whl",
            "CPython 3.8+ (stable ABI) on Linux x86_64 with musl >= 1.1 (cp38-abi3-musllinux_1_1_x86_64)",
        ),
        ("p-1.0-py2-none-any.whl", "Python 2 on any platform (py2-none-any)"),
        ("bad.whl", None),
    ],
)
def test_describe_wheel(filename: str, described: str | None) -> None:
    from safe_pip.wheeltags import describe_wheel

    assert describe_wheel(filename) == described
