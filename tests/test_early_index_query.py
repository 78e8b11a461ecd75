"""The index query started at pip's "No matching distribution found for X" line (issue 17): pip still takes a
quarter of a second to end after it, and the query runs meanwhile. Its answer is the one asked for later only
when everything about it is the same; one nobody asks for is stopped."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from safe_pip import probe
from safe_pip.facts import (
    format_options,
    index_query_options,
    missing_project,
    source_options,
    unfound_project,
)
from tests.conftest import hermetic_env, safe_pip_argv


@pytest.fixture(autouse=True)
def _no_query_left_over() -> Iterator[None]:
    yield None
    probe.stop_early_queries()


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the target was started again")


def test_a_query_started_early_is_the_one_asked(shared_venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    early = f"{shared_venv.parent}/././{shared_venv.name}"  # paths no other test has asked about
    later = f"{shared_venv.parent}/./././{shared_venv.name}"
    # (a deadline far above the default: on a machine under load the early run may take longer than that,
    # and is then rightly stopped and run again, which is not what this asks; CI of 466eb72 at load 14)
    timeout = 120.0
    probe.start_facts_and_index_files(early, "no-such-project", ("--no-index",), timeout)
    expected = probe.detect_facts_and_index_files(later, "no-such-project", ("--no-index",), timeout)
    monkeypatch.setattr(probe, "_run", _never)
    monkeypatch.setattr(probe, "_run_stdout", _never)
    facts, query = probe.detect_facts_and_index_files(early, "no-such-project", ("--no-index",), timeout)
    assert (facts, query) == expected
    assert facts is not None
    assert query is not None
    assert query.no_index
    # Kept as a query run the usual way is: neither probe starts the target again.
    assert probe.detect_interpreter_facts(early) == facts
    assert probe.detect_index_files(early, "no-such-project", ("--no-index",), timeout) == query


def _slow_python(folder: Path) -> Path:
    """An interpreter that answers nothing for ten seconds (each start is counted in `started`)."""
    fake = folder / "python"
    fake.write_text(f"#!/bin/sh\necho started >> {folder / 'started'}\nexec sleep 10\n")
    fake.chmod(0o755)
    return fake


def test_an_early_query_nobody_asks_for_is_stopped(tmp_path: Path) -> None:
    fake = _slow_python(tmp_path)
    probe.start_facts_and_index_files(str(fake), "requests", ())
    began = time.monotonic()
    probe.stop_early_queries()
    assert time.monotonic() - began < 5
    assert not probe._EARLY_QUERIES


def test_a_query_for_other_options_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _slow_python(tmp_path)
    probe.start_facts_and_index_files(str(fake), "requests", ("--no-index",))
    runs: list[list[str]] = []

    def counted(argv: list[str], timeout: float) -> str | None:
        runs.append(argv)
        return None

    monkeypatch.setattr(probe, "_run_stdout", counted)
    monkeypatch.setattr(probe, "_run", lambda argv, timeout: None)
    assert probe.detect_facts_and_index_files(str(fake), "requests", ()) == (None, None)
    assert len(runs) == 1  # asked with other options: run again, the early one left to be stopped
    assert len(probe._EARLY_QUERIES) == 1


def test_an_early_query_keeps_its_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _slow_python(tmp_path)
    probe.start_facts_and_index_files(str(fake), "requests", (), timeout=0.5)
    monkeypatch.setattr(probe, "_run", lambda argv, timeout: None)
    began = time.monotonic()
    assert probe.detect_facts_and_index_files(str(fake), "requests", (), timeout=0.5) == (None, None)
    assert time.monotonic() - began < 5
    assert not probe._EARLY_QUERIES


def test_nothing_is_started_when_the_facts_are_known(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = _slow_python(tmp_path)
    monkeypatch.setitem(probe._KNOWN_FACTS, str(fake), object())
    probe.start_facts_and_index_files(str(fake), "requests", ())
    assert not probe._EARLY_QUERIES


@pytest.mark.parametrize(
    ("text", "project"),
    [
        pytest.param("ERROR: No matching distribution found for torch==2.0.1\n", "torch", id="pinned"),
        pytest.param(
            "ERROR: No matching distribution found for no-such-project\r\n", "no-such-project", id="pty"
        ),
        pytest.param(
            "ERROR: Could not find a version that satisfies the requirement x\n", None, id="other-line"
        ),
    ],
)
def test_the_project_pip_found_nothing_for(text: str, project: str | None) -> None:
    assert missing_project(text.split("\n")[:-1]) == project


@pytest.mark.parametrize(
    ("text", "project"),
    [
        pytest.param(
            "ERROR: Could not find a version that satisfies the requirement torch==2.0.1 (from versions: 2.5.0)\n"
            "ERROR: No matching distribution found for torch==2.0.1\n",
            "torch",
            id="pip-20-on",
        ),
        pytest.param(
            "  Could not find a version that satisfies the requirement nosuch (from versions: )\n",
            "nosuch",
            id="pip-9",
        ),
        pytest.param("Requirement already satisfied: pip in ./venv\n", None, id="satisfied"),
    ],
)
def test_the_first_project_pip_found_nothing_for(text: str, project: str | None) -> None:
    assert unfound_project(text.split("\n")[:-1]) == project


def test_the_query_options_are_the_sources_then_the_formats() -> None:
    args = ["--only-binary", ":all:", "-i", "https://example.org/simple", "--pre", "--no-binary=x", "pkg"]
    assert format_options(args) == ["--only-binary", ":all:", "--no-binary=x"]
    assert index_query_options(source_options(args), args) == (
        "-i",
        "https://example.org/simple",
        "--pre",
        "--only-binary",
        ":all:",
        "--no-binary=x",
    )


FAKE_PIP = """#!/bin/sh
# A stand-in interpreter: as pip, it prints pip's last error line and takes a second to end (pip's tear-down);
# anything else (the facts script and index query) only says when it started.
if [ "$1" = "-m" ]; then
    echo "ERROR: Could not find a version that satisfies the requirement nosuchthing (from versions: none)" >&2
    echo "ERROR: No matching distribution found for nosuchthing" >&2
    sleep 1
    date +%s.%N > {folder}/pip-ended
    exit 1
fi
date +%s.%N >> {folder}/query-started
"""


def test_a_failed_install_starts_the_query_before_pip_has_ended(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text(FAKE_PIP.format(folder=tmp_path))
    fake.chmod(0o755)
    env = hermetic_env(tmp_path)
    result = subprocess.run(
        safe_pip_argv("--python", str(fake), "install", "nosuchthing"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "no-matching-distribution" in result.stderr
    started = [float(line) for line in (tmp_path / "query-started").read_text().split()]
    ended = float((tmp_path / "pip-ended").read_text())
    assert started
    assert started[0] < ended
