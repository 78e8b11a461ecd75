"""`--preflight` / SAFE_PIP_PREFLIGHT and `plan` as safe-pip's own command (while `check` stays pip's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from safe_pip.options import OWN_COMMANDS, UsageError, misplaced_options, parse_argv
from tests.conftest import safe_pip_argv


def test_preflight_from_the_option_and_the_variable() -> None:
    assert parse_argv(["--preflight", "install", "x"], {}).options.preflight is True
    assert parse_argv(["install", "x"], {"SAFE_PIP_PREFLIGHT": "yes"}).options.preflight is True
    assert parse_argv(["install", "x"], {"SAFE_PIP_PREFLIGHT": "0"}).options.preflight is False
    with pytest.raises(UsageError, match="SAFE_PIP_PREFLIGHT"):
        parse_argv(["install", "x"], {"SAFE_PIP_PREFLIGHT": "maybe"})


def test_preflight_after_the_pip_command_is_recognised_as_safe_pips() -> None:
    own, _rest = misplaced_options(["x", "--preflight"])
    assert own == ("--preflight",)


def test_plan_is_safe_pips_and_check_stays_pips() -> None:
    assert "plan" in OWN_COMMANDS
    assert "check" not in OWN_COMMANDS


def test_plan_help_and_a_pip_too_old(tmp_path: Path, env: dict[str, str]) -> None:
    shown = subprocess.run(
        safe_pip_argv("plan", "--help"), env=env, capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0
    assert "Exit 0: nothing predicted to fail" in " ".join(shown.stdout.split())
    # An interpreter whose pip is 9.0.1 by its dist-info folder (no process needs to run for the version).
    fake = tmp_path / "old" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.symlink_to(Path(sys.executable).resolve())
    (tmp_path / "old" / "lib" / "python3.11" / "site-packages" / "pip-9.0.1.dist-info").mkdir(parents=True)
    old = subprocess.run(
        safe_pip_argv("--python", str(fake), "plan", "requests"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert old.returncode == 2, old.stdout + old.stderr
    assert "pip 9.0.1 cannot resolve without installing" in old.stdout
