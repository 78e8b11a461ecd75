"""install --preflight end to end with real pip on a loopback index (issue 15), for what test_e2e_plan.py
leaves out:

- a torch extension whose setup.py, like real ones, raises while pip prepares its metadata when no CUDA
  toolkit is found (torch.utils.cpp_extension: `OSError: CUDA_HOME environment variable is not set`), so
  that pip's dry run itself fails: plan diagnoses it (missing-cuda, exit 1) and `install --preflight` prints
  it before anything is built;
- what --preflight set in the environment (MAX_JOBS for a machine short of memory) is kept by the --fix
  retries after it, and the --json-report says what --preflight did.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_venv, require_wheelhouse, safe_pip_argv
from tests.lab.factory import make_sdist, make_wheel
from tests.lab.servers import serve_index

pytestmark = pytest.mark.e2e

PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=40.8", "torch"]\nbuild-backend = "setuptools.build_meta"\n'
)

# A stand-in for torch.utils.cpp_extension with the real one's behaviour where it matters here: CUDA_HOME
# is found at import (the variable, else the folder above nvcc on PATH), and CUDAExtension asks for its
# library folder, raising torch's own OSError when there is none. (The real one also tries /usr/local/cuda
# last; left out so that the failure shows on machines that have one.)
CPP_EXTENSION = textwrap.dedent(
    """\
    import os
    import shutil

    from setuptools import Extension
    from setuptools.command.build_ext import build_ext as BuildExtension


    def _find_cuda_home():
        home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
        if home is None:
            nvcc = shutil.which("nvcc")
            home = os.path.dirname(os.path.dirname(nvcc)) if nvcc else None
        return home


    CUDA_HOME = _find_cuda_home()


    def _join_cuda_home(*paths):
        if CUDA_HOME is None:
            raise OSError(
                "CUDA_HOME environment variable is not set. Please set it to your CUDA install root."
            )
        return os.path.join(CUDA_HOME, *paths)


    def library_paths(cuda=False):
        return [_join_cuda_home("lib64")] if cuda else []


    def CUDAExtension(name, sources, *args, **kwargs):
        kwargs["library_dirs"] = kwargs.get("library_dirs", []) + library_paths(cuda=True)
        kwargs["language"] = "c++"
        return Extension(name, sources, *args, **kwargs)
    """
)


def _torch_extension(name: str, source: str) -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT,
        "setup.py": textwrap.dedent(
            f"""\
            from setuptools import setup
            from torch.utils.cpp_extension import BuildExtension, CUDAExtension

            setup(
                name="{name}",
                version="2.0",
                ext_modules=[CUDAExtension("{name}", ["{name}.cpp"])],
                cmdclass={{"build_ext": BuildExtension}},
            )
            """
        ),
        f"{name}.cpp": source,
    }


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("index")
    # cudaraise: its metadata step raises without a CUDA toolkit. jobsy: builds past its metadata and its
    # compile fails (`#error`), whatever the toolkit. Each has an older release with a wheel.
    make_sdist(folder, "cudaraise", "2.0", _torch_extension("cudaraise", "int f(void) { return 0; }\n"))
    make_sdist(folder, "jobsy", "2.0", _torch_extension("jobsy", "#error deliberately broken\n"))
    for name in ("cudaraise", "jobsy"):
        make_wheel(folder, name, "1.0")
    make_wheel(
        folder,
        "torch",
        "2.5.1",
        files={
            "torch/__init__.py": "",
            "torch/utils/__init__.py": "",
            "torch/utils/cpp_extension.py": CPP_EXTENSION,
        },
    )
    with serve_index(folder) as url:
        yield url


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("preflight") / "venv")


def _path_without_nvcc(folder: Path) -> str:
    """PATH's folders, with every nvcc in them hidden (links to everything else in `folder`)."""
    folder.mkdir(exist_ok=True)
    for part in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(part):
            continue
        for entry in os.listdir(part):
            target = folder / entry
            if entry != "nvcc" and not target.exists() and os.access(os.path.join(part, entry), os.X_OK):
                target.symlink_to(os.path.join(part, entry))
    return str(folder)


def _no_cuda(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in env.items() if key not in ("CUDA_HOME", "CUDA_PATH")}
    env["PATH"] = _path_without_nvcc(tmp_path / "bin")
    return env


def _merged(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """safe-pip's messages and pip's output in the order they were written."""
    return subprocess.run(
        safe_pip_argv(*args),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=600,
    )


def test_a_metadata_step_raising_without_cuda_is_diagnosed_by_plan(
    index: str, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    env = _no_cuda(env, tmp_path)
    sources = ("--index-url", index, "--find-links", str(require_wheelhouse()))
    plan = _merged(env, "--python", str(venv), "plan", *sources, "cudaraise")
    assert plan.returncode == 1, plan.stdout
    assert "safe-pip plan: pip's own dry run failed, so installing will fail too:" in plan.stdout
    assert "likely cause: missing-cuda (rule cuda-home-not-set)" in plan.stdout
    assert "OSError: CUDA_HOME environment variable is not set" in plan.stdout  # the evidence line
    # The fixes are commands that install (not `safe-pip plan --only-binary ...`).
    assert f"fix: safe-pip --python {venv} install --only-binary cudaraise" in plan.stdout, plan.stdout
    printed = subprocess.run(
        safe_pip_argv("--python", str(venv), "plan", "--json", *sources, "cudaraise"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    as_json = json.loads(printed.stdout)
    assert as_json["exit_code"] == 1
    assert as_json["pip_failure"][0].startswith("likely cause: missing-cuda")
    assert as_json["pip_failure_fixes"][0]["id"] == "pin-to-wheel"


def test_install_preflight_prints_the_diagnosis_before_any_build(
    index: str, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    env = _no_cuda(env, tmp_path)
    sources = ("--index-url", index, "--find-links", str(require_wheelhouse()))
    done = _merged(env, "--preflight", "--python", str(venv), "install", *sources, "cudaraise")
    assert done.returncode == 1, done.stdout
    said = done.stdout
    first = said.index("preflight: safe-pip plan: pip's own dry run failed")
    assert "likely cause: missing-cuda" in said[first:]
    # The install pip runs after the preflight's lines, and never builds (its metadata step fails again).
    assert said.index("Collecting cudaraise") > first
    assert "Building wheel" not in said
    assert "Running setup.py install" not in said


def test_install_preflight_fix_installs_the_wheel_and_reports_what_preflight_did(
    index: str, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    env = _no_cuda(env, tmp_path)
    report = tmp_path / "report.json"
    sources = ("--index-url", index, "--find-links", str(require_wheelhouse()))
    done = _merged(
        env,
        "--preflight",
        "--fix",
        "--json-report",
        str(report),
        "--python",
        str(venv),
        "install",
        *sources,
        "cudaraise",
    )
    assert done.returncode == 0, done.stdout
    assert "preflight: applying pin-to-wheel before any build starts" in done.stdout
    assert "cudaraise-2.0.tar.gz" not in done.stdout.split("preflight: applying")[-1]
    data = json.loads(report.read_text())
    assert data["preflight"]["predicted_failures"] == ["pip's dry run"]
    assert [fix["id"] for fix in data["preflight"]["fixes"]] == ["pin-to-wheel"]
    assert "cudaraise==1.0" in data["preflight"]["args"]
    assert [attempt["exit_code"] for attempt in data["attempts"]] == [0]
    assert data["attempts"][0]["argv"][-1] == "cudaraise==1.0"


# Runs safe-pip on a machine that seems to have 2 GB of memory and 2 CPUs: two parallel nvcc jobs need
# about 8 GB, so --preflight sets MAX_JOBS=1 before pip runs.
_SHORT_OF_MEMORY = (
    "import sys, safe_pip.probe as probe\n"
    "probe.detect_memory_available = lambda: 2 << 30\n"
    "probe.detect_cpus = lambda: 2.0\n"
    "from safe_pip.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_preflights_environment_is_kept_by_the_fix_loop_and_reported(
    index: str, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    if not any(shutil.which(name) for name in ("cc", "gcc", "c++", "g++", "clang")):
        pytest.skip("no C/C++ compiler here: preflight would pin the wheel, not set MAX_JOBS")
    toolkit = tmp_path / "cuda"
    (toolkit / "bin").mkdir(parents=True)
    (toolkit / "bin" / "nvcc").write_text("#!/bin/sh\nexit 0\n")
    (toolkit / "bin" / "nvcc").chmod(0o755)
    env = dict(_no_cuda(env, tmp_path), CUDA_HOME=str(toolkit))
    report = tmp_path / "report.json"
    argv = [
        *safe_pip_argv()[:1],
        "-c",
        _SHORT_OF_MEMORY,
        "--preflight",
        "--fix",
        "--json-report",
        str(report),
        "--python",
        str(venv),
        "install",
        "--index-url",
        index,
        "--find-links",
        str(require_wheelhouse()),
        "jobsy",
    ]
    done = subprocess.run(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stdout
    assert "preflight: applying limit-build-jobs before any build starts" in done.stdout
    data = json.loads(report.read_text())
    assert [fix["id"] for fix in data["preflight"]["fixes"]] == ["limit-build-jobs"]
    assert data["preflight"]["env_changes"]["MAX_JOBS"] == "1"
    attempts = data["attempts"]
    assert len(attempts) >= 2
    assert attempts[0]["exit_code"] != 0  # the compile error
    assert attempts[0]["fix"] is None
    assert attempts[-1]["exit_code"] == 0
    # Every attempt ran with what --preflight set, the retries too.
    assert all(attempt["env_changes"].get("MAX_JOBS") == "1" for attempt in attempts)
    # The command to paste next time keeps it as well.
    fixed = next(line for line in done.stdout.splitlines() if "fixed in 2 attempts (pin-to-wheel)" in line)
    assert "MAX_JOBS=1" in fixed
