"""Probes: pure parsers over captured output, and the real probe run in real interpreters."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import pytest

from safe_pip.probe import detect_interpreter_facts, parse_interpreter_check, parse_interpreter_facts

# What the facts script printed in pip 9's Python 3.6 on this machine (trimmed tag list).
PIP9_OUTPUT = "safe-pip-facts " + json.dumps(
    {
        "version": [3, 6, 15],
        "platform": "linux",
        "machine": "x86_64",
        "venv": True,
        "glibc": "glibc 2.36",
        "macos": None,
        "tags": ["cp36-cp36m-manylinux1_x86_64", "cp36-cp36m-linux_x86_64", "py3-none-any"],
        "pip": "9.0.3",
        "externally_managed": False,
        "python_h": True,
        "site_packages_writable": True,
    }
)


def test_parse_interpreter_facts() -> None:
    facts = parse_interpreter_facts("some warning\n" + PIP9_OUTPUT + "\n")
    assert facts is not None
    assert facts.version == (3, 6, 15)
    assert facts.pip_version == (9, 0, 3)
    assert facts.glibc == (2, 36)
    target = facts.wheel_target()
    assert (target.implementation, target.abi, target.os) == ("cp", "cp36m", "linux")


@pytest.mark.parametrize(
    "output",
    ["", "safe-pip-facts {not json", 'safe-pip-facts {"version": [3]}'],
    ids=["nothing", "not-json", "incomplete"],
)
def test_unreadable_facts_are_unknown(output: str) -> None:
    assert parse_interpreter_facts(output) is None


def test_parse_interpreter_check() -> None:
    assert parse_interpreter_check("safe-pip-check 3.11.7 23.2.1\n") == ("3.11.7", "23.2.1")
    assert parse_interpreter_check("safe-pip-check 3.12.1 -\n") == ("3.12.1", None)
    assert parse_interpreter_check("/bin/ls: cannot access\n") is None


def test_the_probe_runs_in_the_target_interpreter(shared_venv: Path) -> None:
    facts = detect_interpreter_facts(str(shared_venv))
    assert facts is not None
    assert facts.version[:2] == sys.version_info[:2]
    assert facts.venv
    assert facts.tags
    assert facts.tags[-1].endswith("-none-any")
    assert facts.pip_version is not None


def test_the_probe_of_a_missing_interpreter_is_unknown(tmp_path: Path) -> None:
    assert detect_interpreter_facts(str(tmp_path / "nope")) is None


PYENV = Path.home() / ".pyenv" / "versions"


@pytest.mark.skipif(not list(PYENV.glob("2.7*/bin/python")), reason="no Python 2.7 here")
def test_the_probe_works_in_python_2() -> None:
    python = next(PYENV.glob("2.7*/bin/python"))
    facts = detect_interpreter_facts(str(python))
    assert facts is not None
    assert facts.version[0] == 2


@pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64", reason="needs Linux x86_64")
def test_an_unsupported_wheel_is_explained_dimension_by_dimension(
    tmp_path: Path, shared_venv: Path, env: dict[str, str]
) -> None:
    import subprocess

    from tests.conftest import safe_pip_argv
    from tests.lab.factory import make_wheel

    wheel = make_wheel(tmp_path, "winonly", "1.0", "cp311-cp311-win_amd64")
    result = subprocess.run(
        safe_pip_argv("--python", str(shared_venv), "install", str(wheel)),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        "The wheel winonly-1.0-cp311-cp311-win_amd64.whl cannot be installed here: it is built for Windows "
        "(win_amd64); this is Linux x86_64."
    ) in result.stderr
    # Printed, not applied: the name would be looked up on the index, which may hold another project.
    assert f"safe-pip --python {shared_venv} install --only-binary winonly winonly" in result.stderr
    assert "is the project you meant" in result.stderr


def test_the_facts_and_the_index_query_come_from_one_run_of_the_target(
    shared_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed install that asks the index (issue 17): the facts script and the query run in one process of
    the target, and what they say is what each says alone."""
    from safe_pip import probe

    python = f"{shared_venv.parent}/./{shared_venv.name}"  # a path no other test has asked about
    alone = probe.parse_interpreter_facts(probe._run([python, "-c", probe._FACTS_SCRIPT]) or "")
    runs: list[list[str]] = []
    real = probe._run_stdout

    def counted(argv: list[str], timeout: float) -> str | None:
        runs.append(argv)
        return real(argv, timeout)

    monkeypatch.setattr(probe, "_run_stdout", counted)
    facts, query = probe.detect_facts_and_index_files(python, "no-such-project", ("--no-index",))
    assert len(runs) == 1
    assert facts is not None
    assert facts == alone
    assert query is not None
    assert query.no_index
    assert not query.files

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the target was started again")

    # Both answers are kept: neither probe starts the target again.
    monkeypatch.setattr(probe, "_run", never)
    monkeypatch.setattr(probe, "_run_stdout", never)
    assert probe.detect_interpreter_facts(python) == facts
    assert probe.detect_index_files(python, "no-such-project", ("--no-index",)) == query
    assert probe.detect_facts_and_index_files(python, "no-such-project", ("--no-index",)) == (facts, query)


def test_facts_that_cannot_be_had_leave_the_index_unasked(tmp_path: Path) -> None:
    from safe_pip import probe

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not python\n")
    fake.chmod(0o755)
    assert probe.detect_facts_and_index_files(str(fake), "requests", ()) == (None, None)


@pytest.mark.skipif(not list(PYENV.glob("2.7*/bin/python")), reason="no Python 2.7 here")
def test_the_facts_and_index_query_run_in_python_2() -> None:
    from safe_pip import probe

    python = str(next(PYENV.glob("2.7*/bin/python")))
    facts, query = probe.detect_facts_and_index_files(python, "no-such-project", ("--no-index",))
    assert facts is not None
    assert facts.version[0] == 2
    assert query is not None
    assert query.no_index
