"""Facts about the target interpreter and this machine.

Each fact has a pure `parse_*` over captured text and a `detect_*`/`check_*` that runs the probe, never
raises, and answers None (or a result that says "unknown") when it cannot tell.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "InterpreterCheck",
    "check_interpreter",
    "parse_interpreter_check",
]

_CHECK_MARK = "safe-pip-check"
# Runs in the target interpreter, which may be any Python from 2.7 on: no f-strings, no importlib.util.
_CHECK_SCRIPT = (
    "import sys\n"
    "try:\n"
    "    import pip\n"
    "    v = getattr(pip, '__version__', 'unknown')\n"
    "except Exception:\n"
    "    v = '-'\n"
    "sys.stdout.write('%s %d.%d.%d %s\\n' % (('"
    + _CHECK_MARK
    + "',) + tuple(sys.version_info[:3]) + (v,)))\n"
)


@dataclass(frozen=True)
class InterpreterCheck:
    """Whether an interpreter runs, its version, and its pip's version (None: no pip)."""

    runs: bool
    python_version: str | None = None
    pip_version: str | None = None
    problem: str | None = None  # what went wrong, in the interpreter's own words when it said something


def parse_interpreter_check(output: str) -> tuple[str, str | None] | None:
    """(Python version, pip version or None) from the check script's output, or None if it is not there.

    >>> parse_interpreter_check("safe-pip-check 3.11.7 23.2.1\\n")
    ('3.11.7', '23.2.1')
    """
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == _CHECK_MARK:
            return parts[1], (None if parts[2] == "-" else parts[2])
    return None


def check_interpreter(
    python: str, env: Mapping[str, str] | None = None, timeout: float = 30
) -> InterpreterCheck:
    """Run `python` on a tiny script to tell a missing pip from a broken or non-Python program."""
    try:
        completed = subprocess.run(
            [python, "-c", _CHECK_SCRIPT],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return InterpreterCheck(runs=False, problem=f"it did not answer within {timeout:g} s")
    except OSError as error:
        return InterpreterCheck(runs=False, problem=error.strerror or str(error))
    output = completed.stdout.decode("utf-8", "replace")
    parsed = parse_interpreter_check(output)
    if parsed is None:
        said = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip().splitlines()
        problem = said[-1] if said else f"it exited with code {completed.returncode} and printed nothing"
        return InterpreterCheck(runs=False, problem=problem)
    return InterpreterCheck(runs=True, python_version=parsed[0], pip_version=parsed[1])
