"""The fixes printed for a log from elsewhere are safe and fit the user (issue 13, fix review
fixsafety-2026-12-02k.md): a project installed from a VCS URL, a direct URL, a local folder or file is never
swapped for the index's project of that name; `--only-binary` is not offered for a project that has no wheel
for the log's system; `--prefer-binary` is not offered when no release fits at all; a notebook is not told to
make a venv it cannot run. The logs are written from the formats pip, uv and the notebooks print."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import Diagnosis, classify_stream
from safe_pip.rules import load_rules

_BOX_PYTHON_H = """  Building wheel for {name} (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for {name} (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [9 lines of output]
      running bdist_wheel
      running build_ext
      building '{name}._core' extension
      x86_64-linux-gnu-gcc -fPIC -I/usr/include/python3.11 -c src/core.c -o build/temp.linux-x86_64-cpython-311/src/core.o
      src/core.c:1:10: fatal error: Python.h: No such file or directory
      compilation terminated.
      error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for {name}
Failed to build {name}
ERROR: Could not build wheels for {name}, which is required to install pyproject.toml-based projects
"""

_GIT = """Collecting git+https://git.example/lab/{repo}.git
  Cloning https://git.example/lab/{repo}.git to /tmp/pip-req-build-k2j4
  Running command git clone --filter=blob:none --quiet https://git.example/lab/{repo}.git /tmp/pip-req-build-k2j4
  Resolved https://git.example/lab/{repo}.git to commit 3f0c2a9d1e7b64c5a8f90e2d3c41b7a6e5f8d901
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Building wheels for collected packages: {name}
"""

_DIRECT_REFERENCE = """Collecting {name}@ git+https://git.example/lab/{repo}@v0.4.1
  Cloning https://git.example/lab/{repo} (to revision v0.4.1) to /tmp/pip-install-5n3b/{name}_1f2e
  Resolved https://git.example/lab/{repo} to commit 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Building wheels for collected packages: {name}
"""

_EDITABLE = """Obtaining {name} from git+https://git.example/lab/{repo}.git@main#egg={name} (from -r requirements.txt (line 3))
  Cloning https://git.example/lab/{repo}.git (to revision main) to ./src/{name}
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Collecting requests>=2.28 (from -r requirements.txt (line 1))
  Using cached requests-2.32.3-py3-none-any.whl (64 kB)
Building wheels for collected packages: {name}
"""

_URL = """Collecting https://files.example/dist/{name}-1.0.tar.gz
  Downloading https://files.example/dist/{name}-1.0.tar.gz (47 kB)
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Building wheels for collected packages: {name}
"""


def _top(log: str) -> Diagnosis:
    diagnoses = classify_stream(io.BytesIO(log.encode()), load_rules())
    assert diagnoses, log
    return diagnoses[0]


@pytest.mark.parametrize(
    ("head", "repo", "name", "source"),
    [
        (_GIT, "tinyhull", "tinyhull", "git+https://git.example/lab/tinyhull.git"),
        # the repository's name is not the project's: still the git source, not the index's rowan-whisp
        (_GIT, "whisp", "rowan-whisp", "git+https://git.example/lab/whisp.git"),
        (_DIRECT_REFERENCE, "tokcount", "tokcount", "git+https://git.example/lab/tokcount@v0.4.1"),
        (_EDITABLE, "mathx", "mathx", "git+https://git.example/lab/mathx.git@main#egg=mathx"),
        (_URL, "geokit", "geokit", "https://files.example/dist/geokit-1.0.tar.gz"),
    ],
    ids=["git", "git-other-name", "name-at-url", "editable-git", "direct-url"],
)
def test_a_project_from_a_url_gets_no_fix_naming_the_index_project(
    head: str, repo: str, name: str, source: str
) -> None:
    top = _top(head.format(repo=repo, name=name) + _BOX_PYTHON_H.format(name=name))
    assert top.package == name
    assert [fix.id for fix in top.fixes] == ["install-system-package"]  # was also --only-binary NAME NAME


def test_the_same_build_from_the_index_keeps_its_wheel_fix() -> None:
    """The near miss: `pip install tinyhull` from the index is offered the wheel."""
    log = "Collecting tinyhull\n  Downloading tinyhull-1.0.tar.gz (12 kB)\n" + _BOX_PYTHON_H.format(
        name="tinyhull"
    )
    fixes = {fix.id: fix for fix in _top(log).fixes}
    assert fixes["only-binary"].command == "safe-pip install --only-binary tinyhull tinyhull"


def test_a_dependency_from_the_index_of_a_url_project_keeps_its_wheel_fix() -> None:
    """A project the log collects by name, required by one from a git URL: the index's is the one that failed."""
    log = (
        _GIT.format(repo="app", name="app").replace("Building wheels for collected packages: app\n", "")
        + "Collecting fastcsvx>=0.9 (from app==1.0)\n  Using cached fastcsvx-0.9.2.tar.gz (88 kB)\n"
        + "Building wheels for collected packages: fastcsvx\n"
        + _BOX_PYTHON_H.format(name="fastcsvx")
    )
    top = _top(log)
    assert top.package == "fastcsvx"
    assert "only-binary" in [fix.id for fix in top.fixes]


def test_a_rerun_printed_for_a_url_project_installs_the_url_again() -> None:
    log = (
        "$ uv pip install git+https://git.example/lab/gsrast\n"
        "error: Failed to download and build `gsrast @ git+https://git.example/lab/gsrast`\n"
        "  Caused by: Failed to build `gsrast @ git+https://git.example/lab/gsrast`\n"
        "  Caused by: Build backend failed to determine requirements with `build_wheel()` (exit status: 1)\n"
        "--- stderr:\n"
        "Traceback (most recent call last):\n"
        '  File "<string>", line 14, in <module>\n'
        "ModuleNotFoundError: No module named 'torch'\n"
        "---\n"
        "  Caused by: This error likely indicates that gsrast @ git+https://git.example/lab/gsrast depends on "
        "torch, but doesn't declare it as a build dependency.\n"
    )
    top = _top(log)
    commands = {fix.id: fix.command for fix in top.fixes}
    assert "only-binary" not in commands
    assert commands["no-build-isolation"].endswith(
        "install --no-build-isolation git+https://git.example/lab/gsrast"
    )


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("Processing ./pkgs/orbitkit-2.0.0.tar.gz", "./pkgs/orbitkit-2.0.0.tar.gz"),
        ("Collecting git+https://git.example/lab/orbitkit.git", "git+https://git.example/lab/orbitkit.git"),
    ],
    ids=["local-sdist", "git"],
)
def test_another_python_installs_the_logs_source_again(line: str, source: str) -> None:
    log = (
        f"{line}\n  Installing build dependencies ... done\n  Preparing metadata (pyproject.toml) ... done\n"
        "ERROR: Package 'orbitkit' requires a different Python: 3.9.18 not in '>=3.11'\n"
    )
    (fix,) = [fix for fix in _top(log).fixes if fix.id == "use-python"]
    assert fix.command.endswith(f".venv/bin/python -m pip install {source}")


def test_a_wheel_file_swapped_for_the_name_says_it_changes_the_source() -> None:
    log = (
        "$ pip install ./dist/geodesk_fast-1.2.0-cp311-cp311-linux_x86_64.whl\n"
        "ERROR: geodesk_fast-1.2.0-cp311-cp311-linux_x86_64.whl is not a supported wheel on this platform.\n"
    )
    (fix,) = [fix for fix in _top(log).fixes if fix.id == "only-binary"]
    assert not fix.auto
    assert "switches where geodesk_fast comes from" in fix.title


_PG_CONFIG = """Collecting psycopg2==2.9.9
  Downloading psycopg2-2.9.9.tar.gz (384 kB)
  Preparing metadata (setup.py) ... error
  error: subprocess-exited-with-error

  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [5 lines of output]
      running egg_info
      writing {temp}psycopg2.egg-info/PKG-INFO

      Error: pg_config executable not found.

      pg_config is required to build psycopg2 from source.  Please add the directory
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed
"""


@pytest.mark.parametrize(
    ("temp", "offered"),
    [
        ("/tmp/pip-pip-egg-info-3kd9/", False),  # Linux (or unknown): no psycopg2 wheel
        ("/private/var/folders/7k/x1y2z3/T/pip-pip-egg-info-a1b2/", False),  # macOS: none either
        ("C:\\Users\\omar\\AppData\\Local\\Temp\\pip-pip-egg-info-w1\\", True),  # Windows: wheels exist
    ],
    ids=["linux", "macos", "windows"],
)
def test_only_binary_is_offered_for_psycopg2_only_where_it_has_wheels(temp: str, offered: bool) -> None:
    fixes = [fix.id for fix in _top(_PG_CONFIG.format(temp=temp)).fixes]
    assert ("only-binary" in fixes) is offered
    assert "use-binary-sibling" in fixes  # psycopg2-binary: the project that has wheels everywhere


@pytest.mark.parametrize(
    "log",
    [
        "  × No solution found when resolving dependencies:\n  ╰─▶ Because tritonfast==3.1.0 has no wheels with a "
        "matching platform tag (e.g., `win_amd64`) and you require tritonfast==3.1.0, we can conclude that your "
        "requirements are unsatisfiable.\n",
        "  × No solution found when resolving dependencies:\n  ╰─▶ Because requets was not found in the package "
        "registry and you require requets, we can conclude that your requirements are unsatisfiable.\n",
        "ERROR: Could not find a version that satisfies the requirement torch-directml-lite (from versions: none)\n"
        "ERROR: No matching distribution found for torch-directml-lite\n",
    ],
    ids=["uv-platform", "uv-registry", "pip-none"],
)
def test_no_release_that_fits_gets_no_prefer_binary(log: str) -> None:
    top = _top(log)
    assert top.category == "no-matching-distribution"
    assert "prefer-binary" not in [fix.id for fix in top.fixes]


_IMP = """Collecting oldpack==0.3
  Downloading oldpack-0.3.tar.gz (9.1 kB)
  error: subprocess-exited-with-error

  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [6 lines of output]
      Traceback (most recent call last):
        File "<string>", line 2, in <module>
        File "/tmp/pip-install-q7/oldpack_7d793037a0760186574b0282f2f435e7/setup.py", line 4, in <module>
          import imp
      ModuleNotFoundError: No module named 'imp'
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed
"""


@pytest.mark.parametrize(
    ("tail", "venv"),
    [
        ("Note: if you're in Colab, you may need to restart the runtime after installing packages.\n", False),
        ("/kaggle/working\n", False),
        ("Note: you may need to restart the kernel to use updated packages.\n", True),
        ("", True),
    ],
    ids=["colab", "kaggle", "jupyter", "terminal"],
)
def test_a_notebook_is_told_what_works_there(tail: str, venv: bool) -> None:
    (fix,) = [fix for fix in _top(_IMP + tail).fixes if fix.id == "use-python"]
    assert ("-m venv" in fix.command) is venv
    if not venv:
        assert "runtime's Python" in fix.title
        assert fix.command == ""
    if "kernel" in tail:
        assert "ipykernel install --user --name python3.11" in fix.command


def test_a_platform_report_that_read_the_index_gets_no_network_check() -> None:
    """uv listed which platforms have wheels: the index answered, and a curl of it finds nothing."""
    log = (
        "  × No solution found when resolving dependencies:\n  ╰─▶ Because tritonfast==3.1.0 has no wheels with a "
        "matching platform tag (e.g., `win_amd64`) and you require tritonfast==3.1.0, we can conclude that your "
        "requirements are unsatisfiable.\n"
    )
    assert [fix.id for fix in _top(log).fixes] == []
    unread = "ERROR: Could not find a version that satisfies the requirement zzq (from versions: none)\n"
    assert [fix.id for fix in _top(unread).fixes] == ["check-network"]
