"""cudatables: the CUDA driver / torch build / GPU architecture tables are consistent, and their lookups give
the known answers."""

from __future__ import annotations

import re

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from safe_pip.cudatables import TablesError, arch_runs, build_cuda, load_tables, parse_tables

TABLES = load_tables()


def test_every_build_named_has_a_driver_minimum_and_a_family() -> None:
    named = {build for row in TABLES.torch for build in row.builds} | {entry.build for entry in TABLES.archs}
    missing = {build for build in named if TABLES.driver_minimum(build_cuda(build) or "") is None}
    assert missing == set()
    no_family = {build for build in named if TABLES.family_minimum(build_cuda(build) or "") is None}
    assert no_family == set()


def test_every_release_and_build_has_one_architecture_list() -> None:
    problems = []
    for row in TABLES.torch:
        for build in row.builds:
            covering = [
                entry
                for entry in TABLES.archs
                if entry.build == build and Version(row.version + ".0") in SpecifierSet(entry.torch)
            ]
            if len(covering) != 1:
                problems.append((row.version, build, len(covering)))
    assert problems == []


def test_versions_parse_and_are_not_repeated() -> None:
    versions = [row.version for row in TABLES.torch]
    assert len(versions) == len(set(versions))
    assert versions == sorted(versions, key=Version)
    for cuda, driver in TABLES.toolkit.items():
        assert re.fullmatch(r"\d+\.\d+", cuda)
        Version(driver)
    for row in TABLES.torch:
        assert row.pypi in row.builds
        assert len(row.builds) == len(set(row.builds))


def test_a_newer_toolkit_never_needs_an_older_driver() -> None:
    ordered = sorted(TABLES.toolkit.items(), key=lambda item: tuple(map(int, item[0].split("."))))
    drivers = [Version(driver) for _cuda, driver in ordered]
    assert drivers == sorted(drivers)


def test_the_family_minimum_is_never_newer_than_its_toolkits() -> None:
    # CUDA 11.0 is NVIDIA's one noted exception: it shipped before the 450.80.02 driver that brought minor
    # version compatibility to the CUDA 11 family.
    newer = [
        cuda
        for cuda, driver in TABLES.toolkit.items()
        if (family := TABLES.family_minimum(cuda)) is not None and Version(family) > Version(driver)
    ]
    assert newer == ["11.0"]


def test_the_toml_file_has_no_duplicate_keys() -> None:
    # tomllib itself refuses a key given twice: parsing the shipped text is the check.
    from pathlib import Path

    import safe_pip.cudatables as module

    text = Path(module.__file__).with_name("cuda-tables.toml").read_text(encoding="utf-8")
    with pytest.raises(TablesError, match="not valid TOML"):
        parse_tables(text + '\n[toolkit]\n"12.8" = "570.26"\n')


@pytest.mark.parametrize(
    ("driver", "newest"),
    [
        ("470.82.01", "11.4"),  # the 470 branch: CUDA 11.4
        ("470.42.01", "11.4"),
        ("465.19.01", "11.3"),
        ("525.60.13", "12.0"),
        ("535.104.05", "12.2"),
        ("550.54.14", "12.4"),
        ("570.124.06", "12.8"),
        ("580.65.06", "13.0"),
        ("418.39", None),
    ],
)
def test_newest_cuda_a_driver_runs(driver: str, newest: str | None) -> None:
    assert TABLES.newest_cuda(driver) == newest


@pytest.mark.parametrize(
    ("driver", "cuda", "support"),
    [
        ("470.82.01", "12.8", "too-old"),  # a CUDA 12 build on the 470 branch: no CUDA at all
        ("470.82.01", "11.8", "compatible"),  # CUDA 11.x runs on >= 450.80.02
        ("535.104.05", "12.8", "compatible"),  # minor version compatibility within CUDA 12
        ("570.124.06", "12.8", "full"),
        ("570.124.06", "13.0", "too-old"),  # CUDA 13 needs the 580 branch
        ("580.82.07", "13.0", "full"),
        ("not a version", "12.8", None),
    ],
)
def test_driver_support(driver: str, cuda: str, support: str | None) -> None:
    assert TABLES.driver_support(driver, cuda) == support


@pytest.mark.parametrize(
    ("torch", "pypi", "builds"),
    [
        ("2.3.1", "cu121", ("cu118", "cu121")),
        ("2.7.1+cu128", "cu126", ("cu118", "cu126", "cu128")),
        ("2.8.0", "cu128", ("cu126", "cu128", "cu129")),
        ("2.9.1", "cu128", ("cu126", "cu128", "cu130")),
    ],
)
def test_torch_releases(torch: str, pypi: str, builds: tuple[str, ...]) -> None:
    row = TABLES.release(torch)
    assert row is not None
    assert (row.pypi, row.builds) == (pypi, builds)


def test_an_unknown_release_is_unknown() -> None:
    assert TABLES.release("1.4.0") is None
    assert TABLES.builds_for("1.4.0", driver="550.54.14") == []


@pytest.mark.parametrize(
    ("capability", "archs", "runs"),
    [
        ((8, 6), ("sm_80",), True),  # same major, older minor: binary compatible
        ((8, 9), ("sm_80", "sm_86"), True),
        ((12, 0), ("sm_50", "sm_90"), False),  # Blackwell consumer GPUs need sm_120
        ((12, 0), ("sm_90", "compute_90"), True),  # PTX of an older arch is compiled for the GPU
        ((12, 1), ("sm_120",), True),
        ((9, 0), ("sm_90a",), True),
        ((9, 1), ("sm_90a",), False),  # arch-specific code runs on that GPU only
        ((6, 1), ("sm_75", "sm_80"), False),  # Pascal on a build without sm_60
        ((7, 5), ("compute_80",), False),  # PTX newer than the GPU
    ],
)
def test_arch_runs(capability: tuple[int, int], archs: tuple[str, ...], runs: bool) -> None:
    assert arch_runs(capability, archs) is runs


def test_sm_120_needs_a_cu128_build_of_torch_2_7_or_newer() -> None:
    assert TABLES.builds_for("2.6.0", capability=(12, 0)) == []
    assert TABLES.builds_for("2.7.1", capability=(12, 0)) == ["cu128"]
    assert TABLES.builds_for("2.9.1", capability=(12, 0)) == ["cu130", "cu128"]


def test_builds_for_a_driver() -> None:
    # The 470 branch runs only CUDA 11 builds: torch 2.7's cu118, nothing of 2.8.
    assert TABLES.builds_for("2.7.1", driver="470.82.01") == ["cu118"]
    assert TABLES.builds_for("2.8.0", driver="470.82.01") == []
    # 535 runs every CUDA 12 build through minor version compatibility, none fully beyond 12.2.
    assert TABLES.builds_for("2.9.1", driver="535.104.05") == ["cu128", "cu126"]
    assert TABLES.builds_for("2.9.1", driver="535.104.05", full_support=True) == []
    # A Pascal GPU (6.1) lost its kernels in the cu128 builds of 2.7.
    assert TABLES.builds_for("2.7.1", capability=(6, 1)) == ["cu126", "cu118"]


def test_newest_release_with_a_build() -> None:
    row = TABLES.newest_release_with("cu118")
    assert row is not None
    assert row.version == "2.7"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[toolkit]\n"twelve" = "525.60.13"\n', r"\[toolkit\] 'twelve'"),
        ('[family]\n"12" = "soon"\n', r"\[family\] '12' = 'soon'"),
        ('[[torch]]\nversion = "2.7.1"\nbuilds = ["cu128"]\npypi = "cu128"\n', "not major.minor"),
        ('[[torch]]\nversion = "2.7"\nbuilds = ["cu128"]\npypi = "cu126"\n', "pypi 'cu126' is not one"),
        ('[[torch]]\nversion = "2.7"\nbuilds = ["cuda128"]\npypi = "cuda128"\n', "not cuXYZ"),
        ('[[archs]]\nbuild = "cu128"\ntorch = "2.7+"\narchs = []\n', "not a specifier"),
        ('[[archs]]\nbuild = "cu128"\ntorch = ">=2.7"\narchs = ["blackwell"]\n', "not sm_XY"),
    ],
)
def test_bad_tables_are_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(TablesError, match=message):
        parse_tables(text)
