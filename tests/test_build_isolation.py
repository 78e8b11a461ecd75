"""PIP_NO_BUILD_ISOLATION read as pip reads it (issue 15): a false spelling turns isolation off, a true one
leaves it on (pip stores the variable's truth value in `build_isolation` itself), and --no-build-isolation
on the command line wins. Checked against the parsers of the real pips on this machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from safe_pip.buildneeds import analyse
from safe_pip.facts import pip_builds_in_isolation
from safe_pip.fixes import FixContext, render_fix
from safe_pip.installreport import PlannedDistribution
from safe_pip.preflight import FAIL, judge, offers_from
from safe_pip.probe import MachineFacts

OFF = ["0", "false", "False", "FALSE", "no", "off", "n", "f", "Off"]
ON = ["1", "true", "True", "yes", "on", "y", "t", "YES"]


@pytest.mark.parametrize("value", OFF)
def test_a_false_spelling_turns_isolation_off(value: str) -> None:
    assert pip_builds_in_isolation(("x",), {"PIP_NO_BUILD_ISOLATION": value}) is False


@pytest.mark.parametrize("value", ON)
def test_a_true_spelling_leaves_isolation_on(value: str) -> None:
    assert pip_builds_in_isolation(("x",), {"PIP_NO_BUILD_ISOLATION": value}) is True


def test_the_command_line_flag_wins_and_nothing_set_is_isolated() -> None:
    assert pip_builds_in_isolation(("--no-build-isolation", "x"), {"PIP_NO_BUILD_ISOLATION": "1"}) is False
    assert pip_builds_in_isolation(("x",), {}) is True
    assert pip_builds_in_isolation(("x",), {"PIP_NO_BUILD_ISOLATION": "maybe"}) is True  # pip exits


# Asks the interpreter's own pip what `build_isolation` is for each value of the variable.
_ASK_PIP = r"""
import json, os, sys
from pip._internal.commands import create_command
seen = {}
for value in json.loads(sys.argv[1]):
    os.environ["PIP_NO_BUILD_ISOLATION"] = value
    options, _ = create_command("install").parse_args(["x"])
    seen[value] = bool(options.build_isolation)
print(json.dumps(seen))
"""


def _pythons() -> list[str]:
    found = [sys.executable]
    for version in ("3.7.16", "3.10.13", "3.13.0"):  # pip 22.0, 23.0, 24.2 where pyenv has them
        path = Path.home() / ".pyenv" / "versions" / version / "bin" / "python"
        if path.exists():
            found.append(str(path))
    return found


@pytest.mark.parametrize("python", _pythons(), ids=lambda path: Path(path).parent.parent.name)
def test_pips_own_parser_agrees(python: str, env: dict[str, str]) -> None:
    values = OFF + ON
    env = {key: value for key, value in env.items() if key != "PIP_NO_BUILD_ISOLATION"}
    answer = subprocess.run(
        [python, "-c", _ASK_PIP, json.dumps(values)], env=env, capture_output=True, text=True, check=False
    )
    if answer.returncode != 0:
        pytest.skip(f"{python} has no pip to ask: {answer.stderr.strip()[-200:]}")
    seen = json.loads(answer.stdout)
    assert seen == {
        value: pip_builds_in_isolation(("x",), {"PIP_NO_BUILD_ISOLATION": value}) for value in values
    }


TORCH_SETUP = (
    "from setuptools import setup\n"
    "from torch.utils.cpp_extension import BuildExtension, CppExtension\n"
    "setup(ext_modules=[CppExtension('kern', ['kern.cpp'])], cmdclass={'build_ext': BuildExtension})\n"
)


def _machine() -> MachineFacts:
    return MachineFacts("linux", "x86_64", None, None, {}, None, None, None, None, None, None, {})


def test_plan_reads_the_variable_like_the_flag() -> None:
    """A build importing torch fails under isolation (torch is not in its build requirements); without it,
    the target's torch is used: the variable's false spelling is read like --no-build-isolation."""
    sdist = PlannedDistribution("kern", "1.0", "sdist", "http://i/files/kern-1.0.tar.gz", True, False)
    needs = analyse("kern", ("setup.py", "kern.cpp"), {"setup.py": TORCH_SETUP})

    def verdict(args: tuple[str, ...], environ: dict[str, str]) -> str:
        offers = offers_from(
            _machine(), None, programs={"gcc": True}, libraries={}, headers={}, pip_args=args, environ=environ
        )
        return judge(sdist, needs, offers).status

    assert verdict(("kern",), {}) == FAIL
    assert verdict(("kern",), {"PIP_NO_BUILD_ISOLATION": "1"}) == FAIL
    assert verdict(("--no-build-isolation", "kern"), {}) != FAIL
    assert verdict(("kern",), {"PIP_NO_BUILD_ISOLATION": "false"}) != FAIL
    assert verdict(("kern",), {"PIP_NO_BUILD_ISOLATION": "0"}) == verdict(
        ("--no-build-isolation", "kern"), {}
    )


def test_fixes_read_the_variable_like_the_flag() -> None:
    """constrain-build constrains the isolated build environment: nothing to constrain without isolation;
    no-build-isolation would change nothing when the variable already turned it off."""
    context = FixContext(package="pyyaml", pip_args=("pyyaml==5.4.1",), scratch_folder="/tmp/safe-pip-x")
    off = FixContext(
        package="pyyaml",
        pip_args=("pyyaml==5.4.1",),
        scratch_folder="/tmp/safe-pip-x",
        isolation_off_by_environment=True,
    )
    constrained = render_fix("constrain-build", {"requirement": "Cython<3"}, context)
    assert constrained is not None
    assert constrained.auto
    not_isolated = render_fix("constrain-build", {"requirement": "Cython<3"}, off)
    assert not_isolated is None or not not_isolated.auto
    assert render_fix("no-build-isolation", {"module": "torch"}, context) is not None
    assert render_fix("no-build-isolation", {"module": "torch"}, off) is None
