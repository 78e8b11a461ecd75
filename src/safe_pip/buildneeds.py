"""What building a source distribution needs from the machine, read from its files before any build starts.

Pure: the caller gives the sdist's file list and the text of its build files (pyproject.toml, setup.py,
setup.cfg, CMakeLists.txt, meson.build, Cargo.toml). Each need carries the evidence it rests on (file, line,
text) and whether the build certainly needs it (a declared extension, a build backend) or only likely (C
sources in the archive that the build may not compile). What a build backend or a well-known project needs is
data: buildneeds.toml, beside this module.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safe_pip.facts import canonical_name

__all__ = ["BUILD_FILES", "BuildNeeds", "Evidence", "Need", "analyse", "need_table"]

# The files read from an sdist (at its top level); everything else is known by name only.
BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "CMakeLists.txt", "meson.build", "Cargo.toml")
_MAX_EVIDENCE = 3
_NEED = re.compile(r"compiler|python-headers|rust|cuda|torch|(?:tool|library|header|cmake):[\w.+/-]+")


@dataclass(frozen=True)
class Evidence:
    file: str
    line: int | None  # 1-based; None for a file's presence
    text: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.text}" if self.text else where


@dataclass(frozen=True)
class Need:
    what: str  # one of buildneeds.toml's closed set: "compiler", "tool:pg_config", "library:cairo", ...
    evidence: tuple[Evidence, ...]
    certain: bool  # the build declares it (not only sources present that it may not compile)


@dataclass(frozen=True)
class BuildNeeds:
    needs: tuple[Need, ...]
    backend: str | None  # [build-system] build-backend; None when not declared
    build_requires: tuple[str, ...]  # canonical names of [build-system] requires
    brought: tuple[str, ...] = ()  # tools the build requirements install into the build environment
    notes: tuple[str, ...] = field(default=())

    def get(self, what: str) -> Need | None:
        return next((need for need in self.needs if need.what == what), None)


def _toml() -> Any:
    """tomllib (tomli before Python 3.11)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older Pythons only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib


@functools.cache
def need_table() -> dict[str, Any]:
    """buildneeds.toml, validated: every need named in it is one of the closed set."""
    tomllib = _toml()
    path = Path(__file__).with_name("buildneeds.toml")
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    for section in ("requires", "projects"):
        for name, entry in data.get(section, {}).items():
            for need in entry.get("needs", []):
                if not _NEED.fullmatch(need):
                    raise ValueError(f"{path.name}: [{section}.{name}] needs an unknown {need!r}")
    for name, need in data.get("cmake_packages", {}).items():
        if need and not _NEED.fullmatch(need):
            raise ValueError(f"{path.name}: [cmake_packages] {name} = an unknown {need!r}")
    return data


class _Found:
    """Needs as they are found, merged by what is needed."""

    def __init__(self) -> None:
        self.evidence: dict[str, list[Evidence]] = {}
        self.certain: dict[str, bool] = {}

    def add(self, what: str, evidence: Evidence, *, certain: bool = True) -> None:
        kept = self.evidence.setdefault(what, [])
        if len(kept) < _MAX_EVIDENCE and evidence not in kept:
            kept.append(evidence)
        self.certain[what] = self.certain.get(what, False) or certain

    def needs(self, dropped: Sequence[str]) -> tuple[Need, ...]:
        return tuple(
            Need(what, tuple(evidence), self.certain[what])
            for what, evidence in self.evidence.items()
            if what not in dropped
        )


def analyse(project: str, files: Sequence[str], texts: Mapping[str, str]) -> BuildNeeds:
    """What building `project` from an sdist holding `files` (paths below its top folder) needs; `texts`: the
    text of those of BUILD_FILES it has."""
    table = need_table()
    found = _Found()
    notes: list[str] = []
    pyproject = texts.get("pyproject.toml", "")
    backend, requires = _build_system(pyproject)
    brought: set[str] = set()
    for name in requires:
        entry = table["requires"].get(name)
        if entry is None:
            continue
        evidence = _line_of(pyproject, "pyproject.toml", re.escape(name).replace(r"\-", "[-_.]"))
        for what in entry.get("needs", []):
            found.add(what, replace_text(evidence, f"{evidence.text} ({entry['why']})"))
        brought.update(entry.get("brings", []))
    known = table["projects"].get(canonical_name(project))
    if known is not None:
        for what in known["needs"]:
            found.add(what, Evidence("buildneeds.toml", None, f"{project}: {known['why']}"))
    setup = texts.get("setup.py", "")
    _scan_setup_py(setup, found, table)
    _scan_config_tools(texts.get("setup.cfg", ""), "setup.cfg", found, table)
    uses_cmake = backend in ("scikit_build_core.build", "skbuild", "py_build_cmake.build") or "cmake" in (
        {*requires, *brought}
    )
    cmake_call = _line_of(setup, "setup.py", r"""['"]cmake['"]|CMakeExtension|CMakeBuild|\bskbuild\b""")
    if cmake_call.line is not None:
        uses_cmake = True
        found.add("tool:cmake", cmake_call)
    if "CMakeLists.txt" in texts:
        if uses_cmake:
            _scan_cmake(texts["CMakeLists.txt"], found, table)
        else:
            notes.append(
                "CMakeLists.txt is not used by the build (no CMake backend, setup.py never runs cmake)"
            )
    if backend == "mesonpy" and "meson.build" in texts:
        _scan_meson(texts["meson.build"], found, table)
    rust_build = backend == "maturin" or "setuptools-rust" in requires or found.evidence.get("rust")
    if "Cargo.toml" in files or "Cargo.toml" in texts:
        found.add("rust", Evidence("Cargo.toml", None, "a Rust crate"), certain=bool(rust_build))
    _scan_sources(files, found)
    dropped = [f"tool:{name}" for name in brought] + (["torch"] if "torch" in brought else [])
    for what in dropped:
        if what in found.evidence:
            notes.append(f"{what.removeprefix('tool:')} comes with the build requirements")
    return BuildNeeds(
        needs=found.needs(dropped),
        backend=backend,
        build_requires=tuple(requires),
        brought=tuple(sorted(brought)),
        notes=tuple(notes),
    )


def replace_text(evidence: Evidence, text: str) -> Evidence:
    return Evidence(evidence.file, evidence.line, text)


def _build_system(text: str) -> tuple[str | None, list[str]]:
    """([build-system] build-backend, canonical names of its requires) of a pyproject.toml's text."""
    if not text:
        return None, []
    tomllib = _toml()
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        system = tomllib.loads(text).get("build-system") or {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None, []
    names = []
    for item in system.get("requires") or []:
        try:
            names.append(canonical_name(Requirement(str(item)).name))
        except InvalidRequirement:
            continue
    backend = system.get("build-backend")
    return (str(backend) if backend else None), names


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line without its comment) of a Python or CMake file's non-empty lines."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            lines.append((number, line))
    return lines


def _line_of(text: str, file: str, pattern: str) -> Evidence:
    """The first line of `text` matching `pattern` (an Evidence with line None when none does)."""
    for number, line in _code_lines(text):
        if re.search(pattern, line):
            return Evidence(file, number, line[:120])
    return Evidence(file, None, "")


# setup.py lines that declare what the build compiles, each with an example of the line it targets.
_SETUP_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # ext_modules=[Extension("fastmath", sources=["fastmath.c"])] ; setuptools.Extension(...)
    (r"(?<![A-Za-z0-9_])Extension\s*\(", ("compiler", "python-headers")),
    # Pybind11Extension("m", ["m.cpp"])
    (r"\bPybind11Extension\s*\(", ("compiler", "python-headers")),
    # ext_modules=cythonize("pkg/*.pyx")
    (r"\bcythonize\s*\(", ("compiler", "python-headers")),
    # CUDAExtension(name="kern", sources=["kern.cu"])
    (r"\bCUDAExtension\s*\(", ("compiler", "cuda", "torch")),
    # CppExtension("ops", ["ops.cpp"])
    (r"\bCppExtension\s*\(", ("compiler", "torch")),
    # from torch.utils.cpp_extension import BuildExtension ; import torch
    (r"\btorch\.utils\.cpp_extension\b|^\s*(?:import torch\b|from torch\b)", ("torch",)),
    # rust_extensions=[RustExtension("pkg._lib", binding=Binding.PyO3)] ; from setuptools_rust import ...
    (r"\bRustExtension\s*\(|\bsetuptools_rust\b", ("rust",)),
    # swig_opts=["-c++"]
    (r"\bswig_opts\b", ("tool:swig",)),
)
# pkg-config asked by a build script: subprocess.check_output(["pkg-config", "--cflags", "libxml-2.0"])
_PKG_CONFIG_CALL = re.compile(r"""['"]pkg-config['"]((?:\s*,\s*['"][^'"]*['"])+)""")
# pkgconfig.parse("cairo") ; pkgconfig.cflags('libxml-2.0')
_PKGCONFIG_MODULE = re.compile(r"""\bpkgconfig\.\w+\(\s*['"]([\w.+-]+)['"]""")


def _scan_setup_py(text: str, found: _Found, table: Mapping[str, Any]) -> None:
    for number, line in _code_lines(text):
        evidence = Evidence("setup.py", number, line[:120])
        for pattern, needs in _SETUP_PATTERNS:
            if re.search(pattern, line):
                for what in needs:
                    found.add(what, evidence)
        call = _PKG_CONFIG_CALL.search(line)
        if call is not None:
            found.add("tool:pkg-config", evidence)
            for word in re.findall(r"""['"]([^'"]*)['"]""", call.group(1)):
                if word and not word.startswith("-"):
                    found.add(f"library:{word}", evidence)
        module = _PKGCONFIG_MODULE.search(line)
        if module is not None:
            found.add("tool:pkg-config", evidence)
            found.add(f"library:{module.group(1)}", evidence)
    _scan_config_tools(text, "setup.py", found, table)


def _scan_config_tools(text: str, file: str, found: _Found, table: Mapping[str, Any]) -> None:
    """A library's configuration program a build script runs: "pg_config", 'mysql_config'."""
    tools = table["scripts"]["config_tools"]
    for number, line in _code_lines(text):
        for tool in tools:
            # setup.py: subprocess.check_output(["pg_config", "--includedir"]); setup.cfg: pg_config = ...
            quoted = re.search(rf"""['"]{re.escape(tool)}['"]""", line)
            key = file == "setup.cfg" and re.match(rf"{re.escape(tool)}\s*=", line)
            if quoted or key:
                found.add(f"tool:{tool}", Evidence(file, number, line[:120]))


def _scan_cmake(text: str, found: _Found, table: Mapping[str, Any]) -> None:
    packages: Mapping[str, str] = table["cmake_packages"]
    flat = _cmake_calls(text)
    found.add("compiler", Evidence("CMakeLists.txt", None, "a CMake build compiles C/C++"))
    for number, name, args in flat:
        evidence = Evidence("CMakeLists.txt", number, f"{name}({args})"[:120])
        lowered = name.lower()
        words = args.split()
        if lowered in ("project", "enable_language") and "CUDA" in words:
            found.add("cuda", evidence)
        elif lowered == "find_package" and words:
            required = "REQUIRED" in words
            need = packages.get(words[0], f"cmake:{words[0]}")  # "" for what pip or CMake itself brings
            if need:
                found.add(need, evidence, certain=required)
        elif lowered == "pkg_check_modules" and len(words) > 1:
            found.add("tool:pkg-config", evidence)
            required = "REQUIRED" in words
            for word in words[1:]:
                if word.isupper() or word.startswith("IMPORTED"):
                    continue  # REQUIRED, QUIET, IMPORTED_TARGET, GLOBAL
                found.add(f"library:{re.split(r'[<>=]', word)[0]}", evidence, certain=required)


def _cmake_calls(text: str) -> list[tuple[int, str, str]]:
    """(line, command, arguments) of the CMake commands in `text`, calls over several lines joined."""
    cleaned = "\n".join(re.sub(r"#.*$", "", line) for line in text.splitlines())
    calls = []
    for match in re.finditer(r"\b([A-Za-z_]\w*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)", cleaned):
        number = cleaned.count("\n", 0, match.start()) + 1
        calls.append((number, match.group(1), " ".join(match.group(2).split())))
    return calls


def _scan_meson(text: str, found: _Found, table: Mapping[str, Any]) -> None:
    builtin = set(table["meson"]["builtin"])
    for number, line in _code_lines(text):
        evidence = Evidence("meson.build", number, line[:120])
        project = re.match(r"project\s*\((.*)", line)
        if project is not None:
            languages = re.findall(r"'(c|cpp|cuda|cython|fortran|rust)'", project.group(1))
            if {"c", "cpp", "cython"} & set(languages):
                found.add("compiler", evidence)
            if "cuda" in languages:
                found.add("cuda", evidence)
            if "rust" in languages:
                found.add("rust", evidence)
        # dependency('libxml-2.0') ; dependency('zlib', required: false)
        for name, rest in re.findall(r"\bdependency\(\s*'([^']+)'([^)]*)\)?", line):
            if name in builtin:
                continue
            optional = re.search(r"required\s*:\s*false", rest) is not None
            found.add("tool:pkg-config", evidence, certain=not optional)
            found.add(f"library:{name}", evidence, certain=not optional)
        # find_program('swig')
        for name, rest in re.findall(r"\bfind_program\(\s*'([^']+)'([^)]*)\)?", line):
            optional = re.search(r"required\s*:\s*false", rest) is not None
            if name not in ("python", "python3", "cython"):
                found.add(f"tool:{name}", evidence, certain=not optional)


_SOURCES = (
    ((".c",), "compiler", "C source"),
    ((".cpp", ".cc", ".cxx", ".c++"), "compiler", "C++ source"),
    ((".pyx",), "compiler", "Cython source"),
    ((".cu", ".cuh"), "cuda", "CUDA source"),
    ((".rs",), "rust", "Rust source"),
    ((".i",), "tool:swig", "SWIG interface"),
)


def _scan_sources(files: Sequence[str], found: _Found) -> None:
    """Sources in the archive: likely needs, unless a build file declared them already."""
    for suffixes, what, kind in _SOURCES:
        matching = [name for name in files if name.lower().endswith(suffixes)]
        if matching:
            shown = ", ".join(matching[:2]) + (f" and {len(matching) - 2} more" if len(matching) > 2 else "")
            found.add(what, Evidence(matching[0], None, f"{kind} ({shown})"), certain=False)
