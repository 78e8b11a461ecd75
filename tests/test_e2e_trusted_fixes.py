"""Issue 18: fixes applied without anyone reading them must be safe and right. Real pip, loopback indexes
and local files; each test is one rule the fix layer keeps for every fix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_venv, safe_pip_argv
from tests.lab.factory import c_extension_project, make_sdist, make_wheel
from tests.lab.servers import dead_port, serve_index

pytestmark = pytest.mark.e2e


def _safe_pip(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        safe_pip_argv(*args), env=env, capture_output=True, text=True, check=False, timeout=300, cwd=cwd
    )


def _logs(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["XDG_STATE_HOME"]) / "safe-pip" / "log").glob("pip-*.log"))


def _installed(python: Path, module: str, env: dict[str, str]) -> str | None:
    """The VERSION of `module` in the target, None when it does not import."""
    done = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.VERSION)"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.fixture
def no_compiler(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment of a machine without a C compiler: PATH holds nothing."""
    (tmp_path / "bin").mkdir()
    return dict(env, PATH=str(tmp_path / "bin"))


def test_a_private_wheel_path_is_never_swapped_for_the_indexs_project_of_that_name(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The user's own `utils` wheel is for Windows; the index holds an unrelated public `utils`."""
    private = make_wheel(tmp_path / "private", "utils", "1.0", "cp311-cp311-win_amd64")
    make_wheel(tmp_path / "public", "utils", "9.9")
    python = make_venv(tmp_path / "venv")
    with serve_index(tmp_path / "public") as index:
        result = _safe_pip(
            "--fix", "--python", str(python), "install", "--index-url", index, str(private), env=env
        )
    assert result.returncode == 1, result.stderr
    assert _installed(python, "utils", env) is None
    assert "attempt 2/" not in result.stderr
    assert "is the project you meant" in result.stderr  # printed, not applied
    assert len(_logs(env)) == 1


def test_a_private_wheel_path_is_replaced_by_the_fitting_wheel_in_its_own_folder(
    tmp_path: Path, env: dict[str, str]
) -> None:
    private = make_wheel(tmp_path / "private", "utils", "1.0", "cp311-cp311-win_amd64")
    make_wheel(tmp_path / "private", "utils", "1.0", files={"utils/__init__.py": "VERSION = 'private'\n"})
    make_wheel(tmp_path / "public", "utils", "9.9")
    python = make_venv(tmp_path / "venv")
    with serve_index(tmp_path / "public") as index:
        result = _safe_pip(
            "--fix", "--python", str(python), "install", "--index-url", index, str(private), env=env
        )
    assert result.returncode == 0, result.stderr
    assert _installed(python, "utils", env) == "private"
    assert "utils-1.0-py3-none-any.whl" in result.stderr


@pytest.fixture
def pinned_sdist(tmp_path: Path) -> Path:
    """fastmath 2.0 is only an sdist (needs a compiler); 2.0.1 and 3.0 have wheels; 1.0 has one too."""
    src = tmp_path / "src"
    make_sdist(src, "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    for version in ("1.0", "2.0.1", "3.0"):
        make_wheel(src, "fastmath", version)
    return src


def test_a_requirement_file_pin_without_a_wheel_is_kept_and_the_nearest_release_suggested(
    tmp_path: Path, pinned_sdist: Path, wheelhouse: Path, no_compiler: dict[str, str]
) -> None:
    (tmp_path / "requirements.txt").write_text("fastmath==2.0\n")
    python = make_venv(tmp_path / "venv")
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(pinned_sdist)]
    result = _safe_pip(
        "--fix",
        "--python",
        str(python),
        "install",
        *sources,
        "-r",
        "requirements.txt",
        env=no_compiler,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    # No retry that contradicts the pin (3.0 would be a conflict; any retry here would fail the same way).
    assert "attempt 2/" not in result.stderr
    assert "fastmath 2.0 has no wheel for this Python; 2.0.1 is the nearest release with one" in result.stderr
    assert "requirements.txt line 1" in result.stderr
    assert result.stderr.count("safe-pip: likely cause: missing-compiler") == 1
    assert _installed(python, "fastmath", no_compiler) is None

    # Opted in, the Dockerfile wish: pip reads a copy of the file with the pin moved; the user's file stays.
    nearest = _safe_pip(
        "--fix",
        "--fix-versions",
        "nearest",
        "--python",
        str(python),
        "install",
        *sources,
        "-r",
        "requirements.txt",
        env=no_compiler,
        cwd=tmp_path,
    )
    assert nearest.returncode == 0, nearest.stderr
    assert _installed(python, "fastmath", no_compiler) == "2.0.1"
    assert "changing a version you pinned: fastmath 2.0 -> 2.0.1" in nearest.stderr
    assert (tmp_path / "requirements.txt").read_text() == "fastmath==2.0\n"
    # What to paste names the user's file, and says what to change there.
    assert "fixed in 2 attempts (pin-to-wheel): safe-pip --python" in nearest.stderr
    assert "-r requirements.txt" in nearest.stderr
    assert (
        "requirements.txt still pins the old version: change it there (fastmath 2.0 -> 2.0.1)"
        in nearest.stderr
    )
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def test_fix_versions_nearest_moves_a_command_line_pin_and_says_so(
    tmp_path: Path, pinned_sdist: Path, wheelhouse: Path, no_compiler: dict[str, str]
) -> None:
    python = make_venv(tmp_path / "venv")
    report = tmp_path / "report.json"
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(pinned_sdist)]
    args = ["--python", str(python), "--json-report", str(report), "install", *sources, "fastmath==2.0"]
    plain = _safe_pip("--fix", *args, env=no_compiler)
    assert plain.returncode == 1
    assert "attempt 2/" not in plain.stderr
    result = _safe_pip("--fix", "--fix-versions", "nearest", *args, env=no_compiler)
    assert result.returncode == 0, result.stderr
    assert _installed(python, "fastmath", no_compiler) == "2.0.1"  # same major.minor, not the newest
    assert "changing a version you pinned: fastmath 2.0 -> 2.0.1" in result.stderr
    data = json.loads(report.read_text())
    assert data["attempts"][1]["moves_pin"] == "fastmath 2.0 -> 2.0.1"


def test_a_project_with_only_sdists_gets_no_only_binary_retry(
    tmp_path: Path, wheelhouse: Path, no_compiler: dict[str, str]
) -> None:
    make_sdist(tmp_path / "src", "psyco", "2.9", c_extension_project("psyco", "2.9"))
    python = make_venv(tmp_path / "venv")
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(tmp_path / "src")]
    result = _safe_pip("--fix", "--python", str(python), "install", *sources, "psyco", env=no_compiler)
    assert result.returncode == 1, result.stderr
    assert "--only-binary" not in result.stderr
    assert "--fix found no safe fix to apply" in result.stderr
    assert len(_logs(no_compiler)) == 1


def test_a_refused_connection_is_not_retried_over_the_users_own_retries(
    tmp_path: Path, shared_venv: Path, env: dict[str, str]
) -> None:
    index = f"http://127.0.0.1:{dead_port()}/simple"
    result = _safe_pip(
        "--fix",
        "--python",
        str(shared_venv),
        "install",
        "--retries",
        "1",
        "--index-url",
        index,
        "nothing-here",
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "network-error" in result.stderr
    assert "--timeout" not in result.stderr
    assert "attempt 2/" not in result.stderr
    # The advice names the user's index and the package, not a public index.
    assert f"curl -sSI {index}/nothing-here/" in result.stderr
    assert len(_logs(env)) == 1


def test_an_index_pip_could_not_read_without_saying_so_is_named_a_network_error(
    shared_venv: Path, env: dict[str, str]
) -> None:
    # With --retries 0 pip's log says only "from versions: none", as for a project that does not exist.
    index = f"http://127.0.0.1:{dead_port()}/simple"
    args = ("--python", str(shared_venv), "install", "--retries", "0", "--index-url", index, "nothing-here")
    result = _safe_pip(*args, env=env)
    assert result.returncode == 1, result.stderr
    assert "(from versions: none)" in result.stderr
    assert "likely cause: network-error (rule connection-failed" in result.stderr
    assert f"the index page {index}/nothing-here/ could not be read" in result.stderr
    assert f"curl -sSI {index}/nothing-here/" in result.stderr


def test_a_fix_that_failed_is_not_repeated_on_the_next_run(
    tmp_path: Path, wheelhouse: Path, no_compiler: dict[str, str]
) -> None:
    """fastmath 1.0's wheel needs a dependency nobody has: pinning to it fails, and is remembered."""
    src = tmp_path / "src"
    make_sdist(src, "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    make_wheel(src, "fastmath", "1.0", requires=["nowhere-to-be-found"])
    python = make_venv(tmp_path / "venv")
    args = [
        "--python",
        str(python),
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--find-links",
        str(src),
    ]
    first = _safe_pip("--fix", "--max-attempts", "2", *args, "fastmath", env=no_compiler)
    assert first.returncode == 1
    assert "retrying with --only-binary fastmath fastmath==1.0" in first.stderr
    second = _safe_pip("--fix", "--max-attempts", "2", *args, "fastmath", env=no_compiler)
    assert "retrying with --only-binary fastmath fastmath==1.0" not in second.stderr
    assert "not retrying with pin-to-wheel: it did not help fastmath the last time here" in second.stderr
    # A dry run teaches nothing: its "success" installs nothing.
    history = subprocess.run(
        safe_pip_argv("history", "--json"), env=no_compiler, capture_output=True, text=True, check=True
    )
    records = json.loads(history.stdout)["records"]
    assert [(r["package"], r["fix"], r["worked"]) for r in records][:1] == [
        ("fastmath", "pin-to-wheel", False)
    ]


def test_printed_commands_carry_the_python_that_was_chosen(
    tmp_path: Path, pinned_sdist: Path, wheelhouse: Path, no_compiler: dict[str, str]
) -> None:
    python = make_venv(tmp_path / "venv")
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(pinned_sdist)]
    result = _safe_pip(
        "--suggest", "--python", str(python), "install", *sources, "fastmath==2.0", env=no_compiler
    )
    assert result.returncode == 1, result.stderr
    # The nearest release is a suggestion (the user pinned 2.0), printed for this very interpreter.
    assert f"fix: safe-pip --python {python} install --only-binary fastmath --no-index" in result.stderr
    assert "fastmath==2.0.1" in result.stderr
    assert "--fix would not retry: no safe fix applies" in result.stderr


@pytest.fixture
def cython3_breaks_the_build(tmp_path: Path) -> Path:
    """oldyaml 5.4.1 is only an sdist whose setup.py fails as PyYAML 5.4's does under Cython 3; its build
    requires Cython, of which the index has 3.0.0 (newest) and 0.29.36."""
    src = tmp_path / "src"
    setup = (
        "import Cython\n"
        "from setuptools import setup\n"
        "if Cython.__version__.startswith('3'):\n"
        "    raise AttributeError(\"'build_ext' object has no attribute 'cython_sources'\")\n"
        "setup(name='oldyaml', version='5.4.1', py_modules=['oldyaml'])\n"
    )
    pyproject = (
        '[build-system]\nrequires = ["setuptools", "Cython"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    files = {"pyproject.toml": pyproject, "setup.py": setup, "oldyaml.py": "VERSION = '5.4.1'\n"}
    make_sdist(src, "oldyaml", "5.4.1", files)
    for version in ("0.29.36", "3.0.0"):
        make_wheel(src, "Cython", version, files={"Cython/__init__.py": f"__version__ = {version!r}\n"})
    return src


def test_a_build_that_breaks_with_a_new_build_dependency_is_retried_with_that_dependency_constrained(
    tmp_path: Path, cython3_breaks_the_build: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """The user's pin stays; only the isolated build environment gets `Cython<3`, from a file in a private
    folder that is gone afterwards."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(env, TMPDIR=str(scratch))
    python = make_venv(tmp_path / "venv")
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(cython3_breaks_the_build)]
    result = _safe_pip("--fix", "--python", str(python), "install", *sources, "oldyaml==5.4.1", env=env)
    assert result.returncode == 0, result.stderr
    assert "cython3-incompatible" in result.stderr
    assert "attempt 2/" in result.stderr
    assert "Cython<3" in result.stderr
    # The command to paste next time writes the constraint itself.
    pasted = "echo 'Cython<3' > build-constraints-cython.txt && PIP_CONSTRAINT=build-constraints-cython.txt"
    assert f"(constrain-build): {pasted} safe-pip" in result.stderr
    assert _installed(python, "oldyaml", env) == "5.4.1"
    assert list(scratch.iterdir()) == []  # the constraints file and its folder are removed


@pytest.fixture
def old_setup_py(tmp_path: Path, wheelhouse: Path) -> Path:
    """oldsuds 0.6 is only an sdist whose setup.py fails as suds-jurko 0.6's does: with setuptools 81 or newer
    on `import pkg_resources`, with 58 or newer on `use_2to3`. The index has the wheelhouse's setuptools
    (84) and copies of it numbered 80.9.0 and 57.5.0 (setuptools reads its version from its metadata)."""
    import zipfile

    src = tmp_path / "src"
    setup = (
        "import sys\n"
        "import setuptools\n"
        "major = int(setuptools.__version__.split('.')[0])\n"
        "if major >= 81:\n"
        "    raise ModuleNotFoundError(\"No module named 'pkg_resources'\")\n"
        "if major >= 58:\n"
        "    sys.exit('error in oldsuds setup command: use_2to3 is invalid.')\n"
        "setuptools.setup(name='oldsuds', version='0.6', py_modules=['oldsuds'])\n"
    )
    pyproject = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    files = {"pyproject.toml": pyproject, "setup.py": setup, "oldsuds.py": "VERSION = '0.6'\n"}
    make_sdist(src, "oldsuds", "0.6", files)
    real = next(wheelhouse.glob("setuptools-*.whl"))
    with zipfile.ZipFile(real) as wheel:
        contents = {name: wheel.read(name) for name in wheel.namelist() if not name.endswith("/")}
    for version in ("57.5.0", "80.9.0"):
        copied: dict[str, str | bytes] = {}
        for path, data in contents.items():
            folder, _, rest = path.partition("/")
            if not folder.endswith(".dist-info"):
                copied[path] = data
            elif rest in ("entry_points.txt", "top_level.txt"):
                # make_wheel writes METADATA, WHEEL and RECORD for the new version
                copied[f"setuptools-{version}.dist-info/{rest}"] = data
        make_wheel(src, "setuptools", version, files=copied)
    return src


def test_a_second_build_constraint_of_the_same_dependency_is_applied_after_the_first(
    tmp_path: Path, old_setup_py: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """setuptools<81 gets the build past pkg_resources to use_2to3, whose fix is setuptools<58: the same
    constraint file with another text is a new run (it was taken for a repeat, and the loop stopped)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(env, TMPDIR=str(scratch))
    python = make_venv(tmp_path / "venv")
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(old_setup_py)]
    result = _safe_pip("--fix", "--python", str(python), "install", *sources, "oldsuds==0.6", env=env)
    assert result.returncode == 0, result.stderr
    assert "pkg-resources-missing" in result.stderr
    assert "use-2to3-removed" in result.stderr
    assert "attempt 3/" in result.stderr
    assert "fixed in 3 attempts (constrain-build, constrain-build)" in result.stderr
    assert _installed(python, "oldsuds", env) == "0.6"
    assert list(scratch.iterdir()) == []


def test_a_build_constraint_of_the_users_own_is_never_replaced(
    tmp_path: Path, cython3_breaks_the_build: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    (tmp_path / "mine.txt").write_text("setuptools>=40\n")
    env = dict(env, PIP_CONSTRAINT=str(tmp_path / "mine.txt"))
    python = make_venv(tmp_path / "venv")
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(cython3_breaks_the_build)]
    result = _safe_pip("--fix", "--python", str(python), "install", *sources, "oldyaml==5.4.1", env=env)
    assert result.returncode == 1, result.stderr
    assert "attempt 2/" not in result.stderr
    assert "PIP_CONSTRAINT=build-constraints.txt" in result.stderr  # printed for the user to merge


def test_a_build_without_isolation_gets_its_missing_backend_installed_first(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """A venv without setuptools (as Python 3.12's are) and `--no-build-isolation`: pip cannot import the
    backend; --fix installs setuptools from the user's own sources, then runs the same command."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (project / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='proj', version='1.0', py_modules=['proj'])\n"
    )
    (project / "proj.py").write_text("VERSION = '1.0'\n")
    python = make_venv(tmp_path / "venv")
    subprocess.run([str(python), "-m", "pip", "uninstall", "-qy", "setuptools"], env=env, check=False)
    sources = ["--no-index", "--find-links", str(wheelhouse)]
    args = ["install", "--no-build-isolation", *sources, str(project)]
    result = _safe_pip("--fix", "--python", str(python), *args, env=env)
    assert "build-backend-unavailable" in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "install-build-backend" in result.stderr
    assert _installed(python, "proj", env) == "1.0"


@pytest.fixture
def parent_pins_sdist(tmp_path: Path) -> Path:
    """appcore 1.0 pins fastext==1.0, only an sdist (needs a compiler); appcore 1.1 pins fastext==1.1, which
    has a wheel; appcore 0.9 pins fastext==0.9, an sdist too."""
    src = tmp_path / "src"
    for version in ("0.9", "1.0"):
        make_sdist(src, "fastext", version, c_extension_project("fastext", version))
    make_wheel(src, "fastext", "1.1")
    for version in ("0.9", "1.0", "1.1"):
        make_wheel(src, "appcore", version, requires=[f"fastext=={version}"])
    return src


def test_fix_versions_nearest_moves_the_pinned_parent_of_a_dependency_it_pins_without_a_wheel(
    tmp_path: Path, parent_pins_sdist: Path, wheelhouse: Path, no_compiler: dict[str, str]
) -> None:
    python = make_venv(tmp_path / "venv")
    report = tmp_path / "report.json"
    sources = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(parent_pins_sdist)]
    args = ["--python", str(python), "--json-report", str(report), "install", *sources, "appcore==1.0"]
    # Without the opt-in: the move of the user's pin is printed, not run (and fastext alone is not pinned:
    # appcore 1.0 allows only its 1.0).
    plain = _safe_pip("--fix", *args, env=no_compiler)
    assert plain.returncode == 1
    assert "attempt 2/" not in plain.stderr
    assert (
        "appcore 1.0 pins fastext, which has no wheel for this Python in the versions it allows; appcore 1.1 is "
        "the nearest release whose fastext has one"
    ) in plain.stderr
    result = _safe_pip("--fix", "--fix-versions", "nearest", *args, env=no_compiler)
    assert result.returncode == 0, result.stderr
    assert _installed(python, "appcore", no_compiler) == "1.1"
    assert _installed(python, "fastext", no_compiler) == "1.1"
    assert "changing a version you pinned: appcore 1.0 -> 1.1" in result.stderr
    data = json.loads(report.read_text())
    assert data["attempts"][1]["moves_pin"] == "appcore 1.0 -> 1.1"
