"""The --json-report file (report.write_report): private, never written through a symbolic link, and
replaced whole or not at all."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from safe_pip.commands.report import write_report
from safe_pip.options import parse_argv
from safe_pip.render import Console
from safe_pip.retry import Attempt, RunOutcome


def _write(report: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """write_report for a failed `install *args`; returns what safe-pip said."""
    import safe_pip.probe

    monkeypatch.setattr(safe_pip.probe, "detect_interpreter_facts", lambda python: None)
    invocation = parse_argv(["--json-report", str(report), "install", *args], {})
    attempt = Attempt(invocation.args, {}, None, RunOutcome(1, 0.5, (), "/logs/pip.log"))
    stream = io.StringIO()
    write_report(Console(color=False, stream=stream), invocation, "/v/bin/python", [attempt], 1)
    return stream.getvalue()


def test_the_report_is_readable_by_the_user_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "report.json"
    previous = os.umask(0o022)
    try:
        assert _write(report, monkeypatch, "psutil") == ""
        assert report.stat().st_mode & 0o777 == 0o600
        report.chmod(0o644)  # a report from before is replaced by a private one
        assert _write(report, monkeypatch, "psutil") == ""
    finally:
        os.umask(previous)
    assert report.stat().st_mode & 0o777 == 0o600
    assert json.loads(report.read_text())["command"][-1] == "psutil"
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_a_symbolic_link_in_place_of_the_report_is_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("export PATH=...\n")
    link = tmp_path / "report.json"  # planted in a shared folder by someone else
    link.symlink_to(victim)
    said = _write(link, monkeypatch, "psutil")
    assert victim.read_text() == "export PATH=...\n"
    assert link.is_symlink()
    assert f"cannot write the JSON report {str(link)!r}: it is a symbolic link" in said
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bashrc", "report.json"]


def test_a_report_to_a_pipe_through_a_link_is_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--json-report /dev/stdout` (a link to a pipe or terminal) cannot be replaced, nor clobber a file."""
    read_end, write_end = os.pipe()
    link = tmp_path / "stdout"
    link.symlink_to(
        f"/proc/self/fd/{write_end}" if Path("/proc/self/fd").is_dir() else f"/dev/fd/{write_end}"
    )
    try:
        assert _write(link, monkeypatch, "psutil") == ""
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reader:
            assert json.loads(reader.read())["exit_code"] == 1
    finally:
        for fd in (read_end, write_end):
            with contextlib.suppress(OSError):
                os.close(fd)


def test_a_report_that_does_not_fit_on_the_disk_leaves_the_previous_one_whole(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = small_disk / "report.json"
    assert _write(report, monkeypatch, "psutil") == ""
    before = report.read_bytes()
    said = _write(report, monkeypatch, *[f"package-{index:06d}" for index in range(8000)])  # > 64 KiB
    assert "cannot write the JSON report" in said
    assert "No space left on device" in said
    assert report.read_bytes() == before
    assert [path.name for path in small_disk.iterdir()] == ["report.json"]
