"""Issue 15 end to end: real pip against a loopback index holding sdists that need a C compiler, Rust
(setuptools-rust), CUDA (a CUDAExtension setup.py), cmake and pg_config, each with an older release that
has a wheel. On a PATH lacking the tool, `safe-pip plan` predicts the failure and names its evidence; on a
PATH with everything it says nothing false; `install --preflight --fix` ends green without ever starting the
failing build (read from the saved log)."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_venv, require_wheelhouse, safe_pip_argv
from tests.lab.factory import c_extension_project, make_sdist, make_wheel
from tests.lab.servers import serve_index

pytestmark = pytest.mark.e2e

PYPROJECT = '[build-system]\nrequires = [{requires}]\nbuild-backend = "setuptools.build_meta"\n'
COMPILERS = ("cc", "gcc", "c++", "g++", "clang")


def _rust() -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT.format(requires='"setuptools>=40.8", "setuptools-rust"'),
        "setup.py": textwrap.dedent(
            """\
            from setuptools import setup
            from setuptools_rust import RustExtension

            setup(name="rusty", version="2.0", rust_extensions=[RustExtension("rusty._lib")])
            """
        ),
        "Cargo.toml": '[package]\nname = "rusty"\nversion = "2.0.0"\n',
        "src/lib.rs": "",
    }


def _cuda() -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT.format(requires='"setuptools>=40.8", "torch"'),
        "setup.py": textwrap.dedent(
            """\
            from setuptools import setup
            from torch.utils.cpp_extension import BuildExtension, CUDAExtension

            setup(
                name="kern",
                version="2.0",
                ext_modules=[CUDAExtension("kern", ["kern.cpp", "kern_cuda.cu"])],
                cmdclass={"build_ext": BuildExtension},
            )
            """
        ),
        "kern.cpp": "",
        "kern_cuda.cu": "",
    }


def _cmake() -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT.format(requires='"setuptools>=40.8"'),
        "setup.py": textwrap.dedent(
            """\
            import subprocess
            from setuptools import Extension, setup
            from setuptools.command.build_ext import build_ext

            class CMakeBuild(build_ext):
                def build_extension(self, ext):
                    subprocess.check_call(["cmake", "-S", ".", "-B", self.build_temp])

            setup(name="cmaky", version="2.0", ext_modules=[Extension("cmaky", [])], cmdclass={"build_ext": CMakeBuild})
            """
        ),
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.10)\nproject(cmaky LANGUAGES C)\n",
    }


def _pg() -> dict[str, str]:
    files = c_extension_project("pgthing", "2.0")
    files["setup.py"] = textwrap.dedent(
        """\
        import subprocess
        from setuptools import Extension, setup

        class PgConfig:
            def include_dir(self):
                return subprocess.check_output(["pg_config", "--includedir"]).decode().strip()

        setup(name="pgthing", version="2.0", ext_modules=[Extension("pgthing", ["pgthing.c"])])
        """
    )
    return files


# project -> (sdist files, programs the PATH lacks, the reason plan gives)
SCENARIOS = {
    "fastmath": (c_extension_project("fastmath", "2.0"), COMPILERS, "no C/C++ compiler on PATH"),
    "rusty": (_rust(), ("cargo", "rustc"), "cargo/rustc are not on PATH (pyproject.toml line 2"),
    # CUDA_HOME names a folder without a toolkit: torch uses it as it is (without it, torch would find a
    # toolkit in /usr/local/cuda on a machine that has one, and so does plan).
    "kern": (_cuda(), ("nvcc",), "nvcc is not on PATH and CUDA_HOME is {cuda_home}, which holds no bin/nvcc"),
    "cmaky": (_cmake(), ("cmake",), "cmake is not on PATH (setup.py line 5: class CMakeBuild(build_ext):)"),
    "pgthing": (_pg(), ("pg_config",), "pg_config is not on PATH (setup.py line 6"),
}
TOOLS = (
    *COMPILERS,
    "cargo",
    "rustc",
    "nvcc",
    "cmake",
    "pg_config",
    "pkg-config",
    "ninja",
    "make",
    "ld",
    "as",
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("index")
    for name, (files, _lacking, _reason) in SCENARIOS.items():
        make_sdist(folder, name, "2.0", files)
        make_wheel(folder, name, "1.0")
    # Stand-ins from the index for what build isolation installs: enough for pip to prepare the metadata.
    make_wheel(
        folder,
        "setuptools-rust",
        "1.9",
        files={
            "setuptools_rust/__init__.py": "class RustExtension:\n    def __init__(self, *a, **k): pass\n"
        },
    )
    cpp = (
        "from setuptools import Extension\nfrom setuptools.command.build_ext import build_ext as BuildExtension\n"
        "def CUDAExtension(name, sources, **kw):\n    return Extension(name, sources, **kw)\n"
    )
    make_wheel(
        folder,
        "torch",
        "2.5.1",
        files={"torch/__init__.py": "", "torch/utils/__init__.py": "", "torch/utils/cpp_extension.py": cpp},
    )
    with serve_index(folder) as url:
        yield url


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("plan") / "venv")


def _path_without(folder: Path, lacking: tuple[str, ...]) -> str:
    """A PATH holding this machine's build tools except `lacking` (links in `folder`)."""
    folder.mkdir(exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool)
        if found and tool not in lacking:
            (folder / tool).symlink_to(found)
    return str(folder)


def _no_toolkit(project: str, tmp_path: Path) -> dict[str, str]:
    """For the CUDA build: CUDA_HOME naming an empty folder (no toolkit, whatever /usr/local/cuda holds)."""
    if project != "kern":
        return {}
    (tmp_path / "no-cuda").mkdir(exist_ok=True)
    return {"CUDA_HOME": str(tmp_path / "no-cuda")}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        safe_pip_argv(*args), env=env, capture_output=True, text=True, check=False, timeout=600
    )


def _needs_tools(lacking: tuple[str, ...]) -> None:
    if not any(shutil.which(tool) for tool in lacking):
        pytest.skip(f"this machine has none of {lacking}: the buildable case cannot be shown here")


@pytest.mark.parametrize("project", list(SCENARIOS))
def test_plan_predicts_the_failure_and_is_silent_when_the_tool_is_there(
    project: str, index: str, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    _files, lacking, reason = SCENARIOS[project]
    wheels = str(require_wheelhouse())
    env = {key: value for key, value in env.items() if key not in ("CUDA_HOME", "CUDA_PATH")}
    args = ("--python", str(venv), "plan", "--index-url", index, "--find-links", wheels, project)
    lacking_env = dict(
        env, PATH=_path_without(tmp_path / "lacking", lacking), **_no_toolkit(project, tmp_path)
    )
    failing = _run(lacking_env, *args)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    reason = reason.format(cuda_home=lacking_env.get("CUDA_HOME"))
    assert f"{project} 2.0: will fail: {reason}" in failing.stdout, failing.stdout
    assert f"safe-pip --python {venv} install --only-binary {project}" in failing.stdout
    assert f"{project}=={'1.0'}" in failing.stdout

    as_json = _run(lacking_env, "--python", str(venv), "plan", "--json", *args[3:])
    data = json.loads(as_json.stdout)
    (row,) = data["distributions"]
    assert (row["name"], row["source"], row["verdict"], data["exit_code"]) == (project, "sdist", "fail", 1)
    assert row["fixes"][0]["id"] == "pin-to-wheel"

    _needs_tools(lacking)
    whole_env = dict(env, PATH=_path_without(tmp_path / "whole", ()))
    fine = _run(whole_env, *args)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "will fail" not in fine.stdout
    assert f"  {project}" in fine.stdout


@pytest.mark.parametrize("project", list(SCENARIOS))
def test_install_preflight_fix_never_starts_the_failing_build(
    project: str, index: str, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    _files, lacking, _reason = SCENARIOS[project]
    env = {key: value for key, value in env.items() if key not in ("CUDA_HOME", "CUDA_PATH")}
    env["PATH"] = _path_without(tmp_path / "lacking", lacking)
    env.update(_no_toolkit(project, tmp_path))
    env["SAFE_PIP_PREFLIGHT"] = "1"
    wheels = str(require_wheelhouse())
    result = _run(
        env, "--fix", "--python", str(venv), "install", "--index-url", index, "--find-links", wheels, project
    )
    assert result.returncode == 0, result.stderr
    assert "preflight: applying pin-to-wheel before any build starts" in result.stderr
    logs = sorted((Path(env["XDG_STATE_HOME"]) / "safe-pip" / "log").glob("pip-*.log"))
    assert len(logs) == 1  # one pip run: the fixed one
    log = logs[0].read_text()
    assert f"{project}-2.0.tar.gz" not in log
    assert "Building wheel" not in log
    assert "setup.py" not in log
    installed = subprocess.run(
        [str(venv), "-c", f"import {project}; print({project}.VERSION)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.stdout.strip() == "1.0"
