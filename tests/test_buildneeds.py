"""What an sdist's build needs, read from its files: real-shaped build files (each modelled on a real project's),
near misses (a comment, an unused CMakeLists.txt, an optional dependency), and the data table's own checks."""

from __future__ import annotations

import textwrap

import pytest

from safe_pip.buildneeds import BuildNeeds, analyse, need_table


def _needs(result: BuildNeeds) -> dict[str, bool]:
    return {need.what: need.certain for need in result.needs}


SETUPTOOLS = (
    '[build-system]\nrequires = ["setuptools>=40.8", "wheel"]\nbuild-backend = "setuptools.build_meta"\n'
)


def test_a_c_extension_needs_a_compiler_and_headers_from_its_extension_line() -> None:
    setup = textwrap.dedent(
        """\
        from setuptools import Extension, setup

        setup(name="fastmath", ext_modules=[Extension("fastmath", sources=["fastmath.c"])])
        """
    )
    result = analyse("fastmath", ["setup.py", "fastmath.c", "PKG-INFO"], {"setup.py": setup})
    assert _needs(result) == {"compiler": True, "python-headers": True}
    evidence = result.get("compiler")
    assert evidence is not None
    assert str(evidence.evidence[0]).startswith("setup.py line 3: setup(name=")


def test_psycopg2s_setup_asks_pg_config() -> None:
    setup = textwrap.dedent(
        """\
        import subprocess
        from setuptools import setup, Extension
        # pg_config is searched on PATH
        def query(option):
            return subprocess.check_output(["pg_config", option]).decode()
        setup(name="psycopg2", ext_modules=[Extension("psycopg2._psycopg", ["psycopg/psycopgmodule.c"])])
        """
    )
    cfg = "[build_ext]\ndefine=\npg_config=\n"
    result = analyse("psycopg2", ["setup.py", "setup.cfg"], {"setup.py": setup, "setup.cfg": cfg})
    need = result.get("tool:pg_config")
    assert need is not None
    assert need.certain
    places = [(e.file, e.line) for e in need.evidence]
    assert ("setup.py", 5) in places
    assert ("setup.cfg", 3) in places
    assert any(e.file == "buildneeds.toml" for e in need.evidence)  # the well-known project's entry


def test_a_setuptools_rust_build_needs_rust_from_its_build_requirements() -> None:
    pyproject = textwrap.dedent(
        """\
        [build-system]
        requires = ["setuptools>=61", "setuptools-rust>=1.5"]
        build-backend = "setuptools.build_meta"
        """
    )
    setup = 'from setuptools import setup\nfrom setuptools_rust import RustExtension\nsetup(rust_extensions=[RustExtension("x._x")])\n'
    result = analyse(
        "x",
        ["pyproject.toml", "setup.py", "Cargo.toml", "src/lib.rs"],
        {"pyproject.toml": pyproject, "setup.py": setup},
    )
    assert _needs(result) == {"rust": True}
    lines = [(e.file, e.line) for e in result.needs[0].evidence]
    assert lines[0] == ("pyproject.toml", 2)


def test_maturin_needs_rust_but_not_python_headers() -> None:
    pyproject = '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n'
    result = analyse("orjson", ["pyproject.toml", "Cargo.toml", "src/lib.rs"], {"pyproject.toml": pyproject})
    assert _needs(result) == {"rust": True}


def test_a_cuda_extension_needs_nvcc_torch_and_a_compiler() -> None:
    setup = textwrap.dedent(
        """\
        from setuptools import setup
        from torch.utils.cpp_extension import BuildExtension, CUDAExtension

        setup(
            name="kern",
            ext_modules=[CUDAExtension("kern", ["kern.cpp", "kern_cuda.cu"])],
            cmdclass={"build_ext": BuildExtension},
        )
        """
    )
    result = analyse(
        "kern", ["setup.py", "kern.cpp", "kern_cuda.cu"], {"setup.py": setup, "pyproject.toml": SETUPTOOLS}
    )
    needs = _needs(result)
    assert needs["cuda"] is True
    assert needs["torch"] is True
    assert needs["compiler"] is True
    cuda = result.get("cuda")
    assert cuda is not None
    assert (cuda.evidence[0].file, cuda.evidence[0].line) == ("setup.py", 6)


def test_torch_in_the_build_requirements_is_not_a_need_of_the_machine() -> None:
    pyproject = (
        '[build-system]\nrequires = ["setuptools", "torch"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    setup = "from torch.utils.cpp_extension import CppExtension\nsetup(ext_modules=[CppExtension('o', ['o.cpp'])])\n"
    result = analyse("ops", ["setup.py"], {"setup.py": setup, "pyproject.toml": pyproject})
    assert "torch" not in _needs(result)
    assert "torch comes with the build requirements" in result.notes


def test_scikit_build_core_brings_cmake_and_reads_find_package() -> None:
    pyproject = '[build-system]\nrequires = ["scikit-build-core", "pybind11"]\nbuild-backend = "scikit_build_core.build"\n'
    cmake = textwrap.dedent(
        """\
        cmake_minimum_required(VERSION 3.15)
        project(fastgeo LANGUAGES CXX)
        find_package(Python REQUIRED COMPONENTS Interpreter Development.Module)
        find_package(ZLIB REQUIRED)
        find_package(OpenSSL)  # optional
        find_package(Eigen3 3.3
                     REQUIRED)
        pkg_check_modules(XML REQUIRED IMPORTED_TARGET libxml-2.0>=2.9)
        """
    )
    result = analyse("fastgeo", ["CMakeLists.txt"], {"pyproject.toml": pyproject, "CMakeLists.txt": cmake})
    needs = _needs(result)
    assert "tool:cmake" not in needs  # the cmake wheel comes with scikit-build-core
    assert needs["header:zlib.h"] is True
    assert needs["header:openssl/ssl.h"] is False
    assert needs["cmake:Eigen3"] is True
    assert needs["library:libxml-2.0"] is True
    assert needs["python-headers"] is True
    eigen = result.get("cmake:Eigen3")
    assert eigen is not None
    assert eigen.evidence[0].line == 6


def test_setup_py_running_cmake_needs_cmake_on_path() -> None:
    setup = 'import subprocess\nsubprocess.check_call(["cmake", "-S", ".", "-B", "build"])\n'
    cmake = "project(fast LANGUAGES C CUDA)\n"
    result = analyse("fast", ["setup.py", "CMakeLists.txt"], {"setup.py": setup, "CMakeLists.txt": cmake})
    needs = _needs(result)
    assert needs["tool:cmake"] is True
    assert needs["cuda"] is True


def test_an_unused_cmakelists_is_not_read() -> None:
    cmake = "project(lib LANGUAGES C CUDA)\nfind_package(ZLIB REQUIRED)\n"
    setup = "from setuptools import setup\nsetup(name='lib', packages=['lib'])\n"
    result = analyse("lib", ["setup.py", "CMakeLists.txt"], {"setup.py": setup, "CMakeLists.txt": cmake})
    assert _needs(result) == {}
    assert any("CMakeLists.txt is not used" in note for note in result.notes)


def test_meson_python_dependencies_and_an_optional_one() -> None:
    pyproject = '[build-system]\nrequires = ["meson-python", "cython"]\nbuild-backend = "mesonpy"\n'
    meson = textwrap.dedent(
        """\
        project('lxmlish', 'c', 'cython')
        py = import('python').find_installation()
        xml = dependency('libxml-2.0')
        z = dependency('zlib', required: false)
        thr = dependency('threads')
        """
    )
    result = analyse("lxmlish", ["meson.build"], {"pyproject.toml": pyproject, "meson.build": meson})
    needs = _needs(result)
    assert needs["library:libxml-2.0"] is True
    assert needs["library:zlib"] is False
    assert "library:threads" not in needs
    assert "tool:meson" not in needs  # meson-python brings meson and ninja
    assert needs["compiler"] is True


def test_pkg_config_named_by_setup_py() -> None:
    setup = (
        "import subprocess, pkgconfig\n"
        "flags = subprocess.check_output(['pkg-config', '--cflags', '--libs', 'libxml-2.0'])\n"
        "cairo = pkgconfig.parse('cairo')\n"
    )
    result = analyse("p", ["setup.py"], {"setup.py": setup})
    assert {"tool:pkg-config", "library:libxml-2.0", "library:cairo"} <= set(_needs(result))


@pytest.mark.parametrize(
    ("files", "texts"),
    [
        (
            ["pyproject.toml", "pkg/__init__.py"],
            {
                "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            },
        ),
        (
            ["setup.py"],
            {"setup.py": "# no Extension(...) here\nfrom setuptools import setup\nsetup(name='p')\n"},
        ),
        (
            ["setup.py"],
            {"setup.py": "from setuptools import setup\nsetup(name='p', description='pg_config helper')\n"},
        ),
    ],
    ids=["hatchling", "extension-in-a-comment", "pg_config-in-prose"],
)
def test_pure_python_needs_nothing(files: list[str], texts: dict[str, str]) -> None:
    assert analyse("p", files, texts).needs == ()


def test_sources_alone_are_a_likely_need_only() -> None:
    result = analyse("p", ["setup.py", "src/speedups.c", "src/a.c", "src/b.c"], {"setup.py": "setup()\n"})
    need = result.get("compiler")
    assert need is not None
    assert need.certain is False
    assert str(need.evidence[0]) == "src/speedups.c: C source (src/speedups.c, src/a.c and 1 more)"


def test_the_data_table_names_only_known_needs() -> None:
    table = need_table()
    assert table["requires"]["maturin"]["needs"] == ["rust"]
    assert table["projects"]["psycopg2"]["needs"][-1] == "tool:pg_config"
    for section in ("requires", "projects"):
        for name, entry in table[section].items():
            assert entry.get("why"), f"[{section}.{name}] says why"
            assert entry.get("needs") or entry.get("brings"), f"[{section}.{name}] needs or brings something"


@pytest.mark.parametrize(
    ("project", "files", "expected"),
    [
        # lxml 4.9.2 on Python 3.12 (no wheel): its setupinfo.py runs xml2-config and xslt-config; only
        # setup.py is read, which names neither.
        ("lxml", ["setup.py", "setupinfo.py", "src/lxml/etree.c"], {"tool:xml2-config", "tool:xslt-config"}),
        # uWSGI 2.0.23: setup.py runs uwsgiconfig.py, which compiles with cc and Python's headers.
        ("uWSGI", ["setup.py", "uwsgiconfig.py", "core/uwsgi.c"], {"compiler", "python-headers"}),
    ],
    ids=["lxml-needs-xslt-config", "uwsgi-needs-python-headers"],
)
def test_well_known_projects_needs_seen_in_the_measurements(
    project: str, files: list[str], expected: set[str]
) -> None:
    """docs/measurements/plan-2026-11-30.md: what their files do not show, the table says (certain)."""
    setup = "from setuptools import setup\nsetup()\n"
    result = analyse(project, files, {"setup.py": setup})
    certain = {what for what, sure in _needs(result).items() if sure}
    assert expected <= certain
