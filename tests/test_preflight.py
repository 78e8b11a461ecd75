"""Verdicts on source builds against what a machine offers, and the fixes for predicted failures."""

from __future__ import annotations

import pytest

from safe_pip.buildneeds import analyse
from safe_pip.fixes import FixContext
from safe_pip.installreport import PlannedDistribution
from safe_pip.preflight import FAIL, OK, UNKNOWN, MachineOffers, fixes_for, judge

GB = 1 << 30
C_SETUP = (
    'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("fastmath", ["fastmath.c"])])\n'
)
CUDA_SETUP = (
    "from setuptools import setup\n"
    "from torch.utils.cpp_extension import BuildExtension, CUDAExtension\n"
    "setup(ext_modules=[CUDAExtension('kern', ['kern.cu'])], cmdclass={'build_ext': BuildExtension})\n"
)
PG_SETUP = "import subprocess\nsubprocess.check_output(['pg_config', '--includedir'])\nsetup()\n"
HAS_ALL = {"cc": True, "gcc": True, "cargo": True, "rustc": True, "nvcc": True, "pg_config": True}


def _sdist(name: str = "fastmath", version: str = "2.0") -> PlannedDistribution:
    return PlannedDistribution(name, version, "sdist", f"http://i/files/{name}-{version}.tar.gz", True, False)


def _offers(**changes: object) -> MachineOffers:
    values: dict[str, object] = {"tools": HAS_ALL, "python_h": True, "memory_available": 64 * GB, "cpus": 4.0}
    values.update(changes)
    return MachineOffers(**values)  # type: ignore[arg-type]


def test_a_wheel_is_ok_without_reading_anything() -> None:
    wheel = PlannedDistribution("a", "1", "wheel", "http://i/files/a-1-py3-none-any.whl", True, False)
    assert judge(wheel, None, _offers(tools={})).status == OK


@pytest.mark.parametrize(
    ("setup", "offers", "reason"),
    [
        (C_SETUP, _offers(tools={}), "no C/C++ compiler on PATH"),
        (C_SETUP, _offers(python_h=False), "Python.h is missing"),
        (CUDA_SETUP, _offers(tools={"gcc": True}), "nvcc is not on PATH and CUDA_HOME is unset"),
        (
            CUDA_SETUP,
            _offers(tools={"gcc": True}, cuda_home="/opt/cuda", cuda_home_has_nvcc=False),
            "CUDA_HOME is /opt/cuda, which holds no bin/nvcc",
        ),
        (
            PG_SETUP,
            _offers(tools={"gcc": True, "pg_config": False}),
            "pg_config is not on PATH (setup.py line 2",
        ),
    ],
    ids=["no-compiler", "no-headers", "no-nvcc", "cuda-home-empty", "no-pg_config"],
)
def test_a_certain_need_the_machine_lacks_is_a_predicted_failure(
    setup: str, offers: MachineOffers, reason: str
) -> None:
    verdict = judge(_sdist(), analyse("fastmath", ["setup.py"], {"setup.py": setup}), offers)
    assert verdict.status == FAIL
    assert any(reason in text for text in verdict.reasons), verdict.reasons


def test_torch_under_build_isolation_fails_and_without_it_needs_torch_installed() -> None:
    needs = analyse("kern", ["setup.py"], {"setup.py": CUDA_SETUP})
    isolated = judge(_sdist("kern"), needs, _offers())
    assert isolated.status == FAIL
    assert any("not in its build requirements" in reason for reason in isolated.reasons)
    without = judge(_sdist("kern"), needs, _offers(build_isolation=False, torch_installed=True))
    assert without.status == OK


def test_everything_present_is_ok() -> None:
    needs = analyse("fastmath", ["setup.py", "fastmath.c"], {"setup.py": C_SETUP})
    assert judge(_sdist(), needs, _offers()) == judge(_sdist(), needs, _offers())
    assert judge(_sdist(), needs, _offers()).status == OK


def test_c_sources_without_a_declared_extension_and_no_compiler_is_unknown_not_fail() -> None:
    needs = analyse(
        "pyyamlish", ["setup.py", "ext/_yaml.c"], {"setup.py": "from setuptools import setup\nsetup()\n"}
    )
    verdict = judge(_sdist("pyyamlish"), needs, _offers(tools={}))
    assert verdict.status == UNKNOWN
    assert "which the build may not compile" in verdict.reasons[0]


def test_what_was_not_checked_is_unknown() -> None:
    cmake = "project(x LANGUAGES CXX)\nfind_package(Eigen3 REQUIRED)\n"
    pyproject = (
        '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
    )
    needs = analyse("x", ["CMakeLists.txt"], {"CMakeLists.txt": cmake, "pyproject.toml": pyproject})
    verdict = judge(_sdist("x"), needs, _offers())
    assert verdict.status == UNKNOWN
    assert "cannot tell whether CMake finds Eigen3" in verdict.reasons[0]


def test_an_unreadable_sdist_is_unknown_with_why() -> None:
    verdict = judge(_sdist(), None, _offers(), why_unread="the download failed: 404")
    assert (verdict.status, verdict.reasons) == (UNKNOWN, ("the download failed: 404",))


def test_a_cuda_build_with_more_cpus_than_memory_allows_says_max_jobs() -> None:
    needs = analyse("kern", ["setup.py"], {"setup.py": CUDA_SETUP})
    offers = _offers(build_isolation=False, torch_installed=True, memory_available=10 * GB, cpus=16.0)
    verdict = judge(_sdist("kern"), needs, offers)
    assert verdict.status == UNKNOWN
    assert verdict.jobs == 2
    assert "16 parallel compile jobs need about 64 GB" in verdict.reasons[0]
    (fix,) = fixes_for(_sdist("kern"), verdict, FixContext(pip_args=("kern",)))
    assert (fix.id, fix.env["MAX_JOBS"], fix.auto) == ("limit-build-jobs", "2", True)


def test_fixes_a_release_with_a_wheel_within_the_users_versions_then_the_system_package() -> None:
    needs = analyse("fastmath", ["setup.py"], {"setup.py": C_SETUP})
    verdict = judge(_sdist(), needs, _offers(tools={}))
    context = FixContext(
        pip_args=("fastmath<3",), package_manager="apt", wheel_versions=lambda _p: ("1.0", "2.0.1", "3.0")
    )
    fixes = fixes_for(_sdist(), verdict, context)
    assert [(fix.id, fix.auto) for fix in fixes] == [
        ("pin-to-wheel", True),
        ("only-binary", True),
        ("install-system-package", False),
    ]
    assert fixes[0].args == ("--only-binary", "fastmath", "fastmath==2.0.1")
    assert fixes[2].command == "sudo apt-get install -y build-essential"


def test_no_wheel_anywhere_leaves_only_the_machine_fixes() -> None:
    needs = analyse("psycopg2", ["setup.py"], {"setup.py": PG_SETUP})
    verdict = judge(_sdist("psycopg2"), needs, _offers(tools={"gcc": True, "pg_config": False}))
    context = FixContext(pip_args=("psycopg2",), package_manager="apt", wheel_versions=lambda _p: ())
    fixes = fixes_for(_sdist("psycopg2"), verdict, context)
    assert [fix.id for fix in fixes] == ["install-system-package"]
    assert fixes[0].command == "sudo apt-get install -y libpq-dev"


def test_an_unknown_row_without_a_memory_risk_has_no_fixes() -> None:
    assert (
        fixes_for(_sdist(), judge(_sdist(), None, _offers()), FixContext()) == ()
    )  # unknown: nothing to fix


def test_a_toolkit_in_usr_local_cuda_is_found_as_torch_finds_it() -> None:
    """torch's cpp_extension looks in /usr/local/cuda last (CUDA_HOME unset, no nvcc on PATH): a toolkit
    there is no predicted failure; a CUDA_HOME naming another folder is used as it is."""
    needs = analyse("kern", ("setup.py", "kern.cu"), {"setup.py": CUDA_SETUP})
    found = judge(_sdist("kern"), needs, _offers(tools={"gcc": True}, default_cuda_home="/usr/local/cuda"))
    assert [check.have for check in found.checks if check.need.what == "cuda"] == [True]
    assert not any("nvcc" in reason for reason in found.reasons)
    elsewhere = _offers(
        tools={"gcc": True},
        default_cuda_home="/usr/local/cuda",
        cuda_home="/opt/empty",
        cuda_home_has_nvcc=False,
    )
    missing = judge(_sdist("kern"), needs, elsewhere)
    assert missing.status == FAIL
    assert any("CUDA_HOME is /opt/empty, which holds no bin/nvcc" in reason for reason in missing.reasons)
    nothing = judge(_sdist("kern"), needs, _offers(tools={"gcc": True}))
    expected = "nvcc is not on PATH and CUDA_HOME is unset (and /usr/local/cuda holds no bin/nvcc)"
    assert any(expected in reason for reason in nothing.reasons)
