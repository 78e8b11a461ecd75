"""Small real projects that fail to build in one precise way each (as sdists, built by pip at test time).

Each function returns the files of a project; `factory.make_sdist` turns them into `name-version.tar.gz`.
The setuptools version a project builds with is pinned through `setuptools_spec`, so that old and new
setuptools messages can both be produced from the same wheelhouse.
"""

from __future__ import annotations

import textwrap

from tests.lab.factory import normalize

__all__ = [
    "c_source_project",
    "command_project",
    "import_at_build_project",
    "pyproject",
    "setup_py_project",
]


def pyproject(setuptools_spec: str = "setuptools>=40.8", extra: tuple[str, ...] = ()) -> str:
    requires = ", ".join(f'"{item}"' for item in (setuptools_spec, *extra))
    return f'[build-system]\nrequires = [{requires}]\nbuild-backend = "setuptools.build_meta"\n'


def c_source_project(
    name: str,
    source: str,
    *,
    version: str = "1.0",
    libraries: tuple[str, ...] = (),
    language: str = "c",
    setuptools_spec: str = "setuptools>=40.8",
    with_pyproject: bool = True,
) -> dict[str, str]:
    """One extension module built from `source` (C or C++), optionally linked with `libraries`."""
    module = normalize(name)
    suffix = "cpp" if language == "c++" else "c"
    files = {
        "setup.py": textwrap.dedent(
            f"""\
            from setuptools import Extension, setup

            setup(
                name={name!r},
                version={version!r},
                ext_modules=[
                    Extension({module!r}, sources=["{module}.{suffix}"], libraries={list(libraries)!r},
                              language={language!r})
                ],
            )
            """
        ),
        f"{module}.{suffix}": source,
    }
    if with_pyproject:
        files["pyproject.toml"] = pyproject(setuptools_spec)
    return files


def module_source(module: str, includes: tuple[str, ...] = ("Python.h",), body: str = "") -> str:
    """A minimal C extension module that #includes `includes` (a missing one fails the build)."""
    lines = [f"#include <{header}>" for header in includes]
    lines += [
        body,
        f'static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{module}", NULL, -1, NULL}};',
        f"PyMODINIT_FUNC PyInit_{module}(void) {{ return PyModule_Create(&module); }}",
    ]
    return "\n".join(lines) + "\n"


def setup_py_project(
    name: str,
    setup_body: str,
    *,
    version: str = "1.0",
    pyproject_toml: str | None = None,
    extra_files: dict[str, str] | None = None,
) -> dict[str, str]:
    """A project whose setup.py is `setup_body` (for build scripts that break in a given way)."""
    files = {"setup.py": textwrap.dedent(setup_body)}
    if pyproject_toml is not None:
        files["pyproject.toml"] = pyproject_toml
    files.update(extra_files or {})
    return files


def command_project(
    name: str, command: list[str], *, version: str = "1.0", setuptools_spec: str = "setuptools>=40.8"
) -> dict[str, str]:
    """A project whose extension build runs an external tool (cmake, nvcc, swig...), as CMake-based
    setup.py files do in their own build_ext."""
    return setup_py_project(
        name,
        f"""\
        import subprocess
        from setuptools import Extension, setup
        from setuptools.command.build_ext import build_ext


        class BuildWithTool(build_ext):
            def run(self):
                subprocess.check_call({command!r})


        setup(name={name!r}, version={version!r}, ext_modules=[Extension({normalize(name)!r}, sources=[])],
              cmdclass={{"build_ext": BuildWithTool}})
        """,
        version=version,
        pyproject_toml=pyproject(setuptools_spec),
    )


def import_at_build_project(
    name: str, module: str, *, version: str = "1.0", setuptools_spec: str = "setuptools>=40.8"
) -> dict[str, str]:
    """A project whose setup.py imports `module` without declaring it as a build dependency."""
    return setup_py_project(
        name,
        f"""\
        import {module}
        from setuptools import setup

        setup(name={name!r}, version={version!r}, py_modules=[])
        """,
        version=version,
        pyproject_toml=pyproject(setuptools_spec),
    )


def parallel_build_project(
    name: str, modules: int = 3, elements: int = 800_000, version: str = "1.0"
) -> dict[str, str]:
    """C++ extensions compiled in parallel, as many at once as MAX_JOBS says (all of them by default), each
    compile needing about 265 MB: under a memory limit it only fits with fewer jobs."""
    module = normalize(name)
    files = {
        "pyproject.toml": pyproject(),
        "setup.py": textwrap.dedent(
            f"""\
            import os
            from concurrent.futures import ThreadPoolExecutor
            from setuptools import Extension, setup
            from setuptools.command.build_ext import build_ext

            MODULES = [f"{module}_{{i}}" for i in range({modules})]


            class ParallelBuild(build_ext):
                def build_extensions(self):
                    jobs = int(os.environ.get("MAX_JOBS", len(self.extensions)))
                    print(f"building {{len(self.extensions)}} extensions with {{jobs}} jobs", flush=True)
                    with ThreadPoolExecutor(max_workers=jobs) as pool:
                        list(pool.map(self.build_extension, self.extensions))


            setup(
                name={name!r},
                version={version!r},
                ext_modules=[Extension(m, sources=[f"{{m}}.cpp"], language="c++") for m in MODULES],
                cmdclass={{"build_ext": ParallelBuild}},
            )
            """
        ),
    }
    values = ",".join(str(i % 1000) for i in range(elements))
    for index in range(modules):
        name_i = f"{module}_{index}"
        files[f"{name_i}.cpp"] = (
            module_source(name_i, ("Python.h", "vector"))
            + f"std::vector<int> table_{index} = {{{values}}};\n"
        )
    return files
