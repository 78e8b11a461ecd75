"""What users and CI hand safe-pip that it must take without crashing or guessing: captured text holding
braces, odd option values, closed or early-closing output, safe-pip's options on the wrong side of the pip
command, and an interpreter that is not Python. Each case runs safe-pip as a user does (a subprocess).

Install cases use a stand-in interpreter: a script passed as `--python` whose `-m pip` prints canned output
and exits with a chosen code, and which runs the real Python for anything else (safe-pip's probes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import safe_pip_argv

REQUIRES_PYTHON = "ERROR: Package '{name}' requires a different Python: 3.6.15 not in '>=3.8'\n"
BRACED_NAMES = ["x{", "x}", "x{0}", "{package.__class__}"]
BRACED_IDS = ["open", "close", "positional", "attribute"]


def stand_in_python(folder: Path, *, stdout: str = "", stderr: str = "", code: int = 0) -> Path:
    """An executable acting as a Python whose `-m pip ...` prints `stdout`/`stderr` and exits with `code`."""
    script = folder / "python"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "if sys.argv[1:3] == ['-m', 'pip']:\n"
        f"    sys.stdout.write({stdout!r})\n"
        "    sys.stdout.flush()\n"
        f"    sys.stderr.write({stderr!r})\n"
        f"    sys.exit({code})\n"
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def run(
    *args: str, env: dict[str, str], shell_tail: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """safe-pip with `args`; `shell_tail` (e.g. `>&-`) is a redirection applied by a shell."""
    if not shell_tail:
        return subprocess.run(
            safe_pip_argv(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    import shlex

    command = " ".join(shlex.quote(word) for word in safe_pip_argv(*args)) + " " + shell_tail
    return subprocess.run(
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# -- 1. no input crashes safe-pip ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BRACED_NAMES, ids=BRACED_IDS)
def test_braces_in_a_log_are_diagnosed_not_crashed_on(tmp_path: Path, name: str, env: dict[str, str]) -> None:
    log = tmp_path / "pip.log"
    log.write_text(REQUIRES_PYTHON.format(name=name), encoding="utf-8")
    result = run("diagnose", str(log), env=env)
    assert result.returncode == 0, result.stderr
    assert f"No release of {name} supports this Python version" in result.stdout
    assert f"Use a Python version {name} supports" in result.stdout
    assert "<class" not in result.stdout


@pytest.mark.parametrize("name", BRACED_NAMES, ids=BRACED_IDS)
def test_braces_printed_by_pip_are_diagnosed_not_crashed_on(
    tmp_path: Path, name: str, env: dict[str, str]
) -> None:
    python = stand_in_python(tmp_path, stderr=REQUIRES_PYTHON.format(name=name), code=1)
    result = run("--python", str(python), "--no-history", "install", "x", env=env)
    assert result.returncode == 1, result.stderr
    assert f"safe-pip:   No release of {name} supports this Python version" in result.stderr
    assert "internal error" not in result.stderr
    assert "<class" not in result.stderr
