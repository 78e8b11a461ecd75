"""scripts/anchor-stats' readers of a log: the lines pip itself printed (pip 9 to 26), and uv's own lines and
hints. Logs written here from the formats of each pip and uv."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(
        "anchor_stats_script", str(ROOT / "scripts" / "anchor-stats")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


PIP26_BUILD = """\
Processing ./src/fastmath-2.0.tar.gz
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
Building wheels for collected packages: fastmath
  Building wheel for fastmath (pyproject.toml): started
  Building wheel for fastmath (pyproject.toml): finished with status 'error'
  error: subprocess-exited-with-error
  \n  × Building wheel for fastmath (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [3 lines of output]
      running build_ext
      error: command 'gcc' failed: No such file or directory
      ERROR: something the build printed
      [end of output]
  \n  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for fastmath
Failed to build fastmath
error: failed-wheel-build-for-install

× Failed to build installable wheels for some pyproject.toml based projects
╰─> fastmath
"""

PIP20_BUILD = """\
Processing ./src/fastmath-2.0.tar.gz
Building wheels for collected packages: fastmath
  Building wheel for fastmath (setup.py): finished with status 'error'
  ERROR: Command errored out with exit status 1:
   command: /venv/bin/python -u -c 'import sys, setuptools' bdist_wheel -d /tmp/pip-wheel-x
       cwd: /tmp/pip-req-build-x/
  Complete output (3 lines):
  running build_ext
  ERROR: the build's own capitals
  error: command 'gcc' failed with exit status 1
  ----------------------------------------
  ERROR: Failed building wheel for fastmath
ERROR: Command errored out with exit status 1: /venv/bin/python -u -c 'import sys' install Check the logs for full command output.
"""

PIP9_BUILD = """\
Collecting fastmath
Installing collected packages: fastmath
  Running setup.py install for fastmath: finished with status 'error'
    Complete output from command /venv/bin/python -u -c "import setuptools" install --record /tmp/r.txt:
    running install
    error: command 'gcc' failed with exit status 1
    \n    ----------------------------------------
Command "/venv/bin/python -u -c "import setuptools" install --record /tmp/r.txt" failed with error code 1 in /tmp/pip-build-x/fastmath/
"""


def test_pip26_keeps_its_messages_and_box_not_the_build_output(script: ModuleType) -> None:
    assert [line.strip() for line in script.pip_own_lines(PIP26_BUILD)] == [
        "error: subprocess-exited-with-error",
        "× Building wheel for fastmath (pyproject.toml) did not run successfully.",
        "│ exit code: 1",
        "╰─> [3 lines of output]",
        "note: This error originates from a subprocess, and is likely not a problem with pip.",
        "ERROR: Failed building wheel for fastmath",
        "Failed to build fastmath",
        "error: failed-wheel-build-for-install",
        "× Failed to build installable wheels for some pyproject.toml based projects",
        "╰─> fastmath",
    ]


def test_pip20_leaves_out_the_complete_output_block(script: ModuleType) -> None:
    kept = [line.strip() for line in script.pip_own_lines(PIP20_BUILD)]
    assert kept[0] == "ERROR: Command errored out with exit status 1:"
    assert kept[1].startswith("command: ")  # continues pip's message, more indented
    assert kept[2] == "cwd: /tmp/pip-req-build-x/"
    assert kept[3:] == [
        "ERROR: Failed building wheel for fastmath",
        "ERROR: Command errored out with exit status 1: /venv/bin/python -u -c 'import sys' install Check the "
        "logs for full command output.",
    ]


def test_pip9_leaves_out_the_complete_output_block_and_keeps_its_unprefixed_error(script: ModuleType) -> None:
    kept = script.pip_own_lines(PIP9_BUILD)
    assert len(kept) == 1
    assert kept[0].startswith('Command "/venv/bin/python')


def test_pip19_0_error_prefixed_block_is_the_builds(script: ModuleType) -> None:
    log = (
        "  Building wheel for dlib (setup.py) ... error\n"
        "  ERROR: Complete output from command /usr/bin/python3 -u -c 'import setuptools' bdist_wheel:\n"
        "  ERROR: running bdist_wheel\n"
        "  CMake must be installed to build the following extensions: dlib\n"
        "  \n"
        "  ----------------------------------------\n"
        "  ERROR: Failed building wheel for dlib\n"
    )
    assert [line.strip() for line in script.pip_own_lines(log)] == ["ERROR: Failed building wheel for dlib"]


def test_verbose_build_output_is_left_out_up_to_pips_next_line(script: ModuleType) -> None:
    log = (
        "  Running command Building wheel for fastmath (pyproject.toml)\n"
        "  running build_ext\n"
        "  error: command 'gcc' failed: No such file or directory\n"
        "  error: subprocess-exited-with-error\n"
        "  \n"
        "  × Building wheel for fastmath (pyproject.toml) did not run successfully.\n"
        "  │ exit code: 1\n"
        "  ╰─> See above for output.\n"
    )
    assert [line.strip() for line in script.pip_own_lines(log)] == [
        "error: subprocess-exited-with-error",
        "× Building wheel for fastmath (pyproject.toml) did not run successfully.",
        "│ exit code: 1",
        "╰─> See above for output.",
    ]


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        pytest.param(
            "Collecting x\n"
            "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device\n\n",
            ["ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device"],
            id="pip-error-line",
        ),
        pytest.param(
            "Collecting x\nCould not find a version that satisfies the requirement x (from versions: )\n"
            "No matching distribution found for x\n",
            [
                "Could not find a version that satisfies the requirement x (from versions: )",
                "No matching distribution found for x",
            ],
            id="pip9-unprefixed",
        ),
        pytest.param(
            "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n"
            "    six==1.16.0 from https://x/six.whl:\n"
            "        Expected sha256 000\n"
            "             Got        abc\n"
            "\n"
            "Collecting y\n",
            [
                "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.",
                "    six==1.16.0 from https://x/six.whl:",
                "        Expected sha256 000",
                "             Got        abc",
            ],
            id="message-continued-by-indented-lines",
        ),
        pytest.param(
            "Downloading torch-2.1.0.whl (670 MB)\n"
            "   |████████████████████████████████| 670 MB 1.2 MB/s eta 0:00:01Killed\n"
            "Killed\n"
            "Error: Process completed with exit code 137.\n",
            [],
            id="progress-the-shell-and-ci-are-not-pip",
        ),
        pytest.param(
            "2024-05-01T10:23:45.1234567Z ERROR: No matching distribution found for x\n"
            "2024-05-01T10:23:45.1234567Z Collecting y\n",
            ["2024-05-01T10:23:45.1234567Z ERROR: No matching distribution found for x"],
            id="ci-timestamps",
        ),
    ],
)
def test_pips_own_lines(script: ModuleType, log: str, expected: list[str]) -> None:
    assert script.pip_own_lines(log) == expected


def test_pips_crash_traceback_is_kept_another_programs_is_not(script: ModuleType) -> None:
    pip_crash = (
        "ERROR: Exception:\n"
        "Traceback (most recent call last):\n"
        '  File "/venv/lib/python3.11/site-packages/pip/_internal/cli/base_command.py", line 180, in wrapper\n'
        "    status = run_func(*args)\n"
        "OSError: [Errno 28] No space left on device\n"
        "Collecting z\n"
    )
    assert script.pip_own_lines(pip_crash) == pip_crash.splitlines()[:-1]
    import_error = (
        "Traceback (most recent call last):\n"
        '  File "<string>", line 1, in <module>\n'
        "ImportError: /venv/lib/python3.11/site-packages/ext.so: undefined symbol: foo_v2\n"
    )
    assert script.pip_own_lines(import_error) == []


def test_a_traceback_in_pips_exception_message_is_kept_to_its_end(script: ModuleType) -> None:
    log = (
        "ERROR: Exception:\n"
        "Traceback (most recent call last):\n"
        '  File "/v/lib/python3.11/site-packages/pip/_vendor/pyproject_hooks/_impl.py", line 321, in _call_hook\n'
        "    raise BackendUnavailable(data.get('traceback', ''))\n"
        "pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback (most recent call last):\n"
        '  File "/v/lib/python3.11/site-packages/pip/_vendor/pyproject_hooks/_in_process/_in_process.py", line 77\n'
        "    obj = import_module(mod_path)\n"
        "ModuleNotFoundError: No module named 'setuptools'\n"
        "\n"
    )
    assert script.pip_own_lines(log) == log.splitlines()[:-1]


UV_BUILD = """\
Using Python 3.11.7 environment at: /tmp/venv
Resolved 1 package in 5ms
   Building fastmath==2.0
error: Failed to build `fastmath==2.0`
  cause: The build backend returned an error
  cause: Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)

         [stdout]
         running build_ext

         [stderr]
         hint: a line the build printed
         error: [Errno 2] No such file or directory: 'gcc'

hint: Build failures usually indicate a problem with the package or the build environment
"""

UV_OLD_BUILD = """\
  × Failed to build `fastmath==2.0`
  ├─▶ The build backend returned an error
  ╰─▶ Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)

      [stderr]
      fastmath.c:1:10: fatal error: Python.h: No such file or directory

      hint: This error likely indicates that you need to install a library that provides "Python.h"
      for `fastmath@2.0`
  help: `fastmath` (v2.0) was included because `app` depends on `fastmath`
"""


def test_uv_own_lines_leave_out_the_builds_stdout_and_stderr(script: ModuleType) -> None:
    assert [line.strip() for line in script.uv_own_lines(UV_BUILD)] == [
        "Using Python 3.11.7 environment at: /tmp/venv",
        "Resolved 1 package in 5ms",
        "Building fastmath==2.0",
        "error: Failed to build `fastmath==2.0`",
        "cause: The build backend returned an error",
        "cause: Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)",
        "",
        "hint: Build failures usually indicate a problem with the package or the build environment",
    ]


def test_uv_hint_lines_in_both_formats(script: ModuleType) -> None:
    assert [line.strip() for line in script.uv_hint_lines(UV_BUILD)] == [
        "hint: Build failures usually indicate a problem with the package or the build environment"
    ]
    assert [line.strip() for line in script.uv_hint_lines(UV_OLD_BUILD)] == [
        'hint: This error likely indicates that you need to install a library that provides "Python.h"',
        "for `fastmath@2.0`",
    ]
    assert (
        "help: `fastmath` (v2.0) was included because `app` depends on `fastmath`"
        in script.uv_own_lines(UV_OLD_BUILD)[-1]
    )
