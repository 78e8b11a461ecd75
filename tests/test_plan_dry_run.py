"""plan's time (issue 15: pip's own dry run + at most 1 s): the fetch process starts before pip's dry run
and is handed every sdist's URL at once when the report arrives; the machine's facts are gathered on a
thread meanwhile, without starting the tools (which are only looked up on PATH)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from safe_pip import probe
from safe_pip.commands import plan as plan_command
from safe_pip.fixes import FixContext
from safe_pip.options import parse_argv
from safe_pip.plan import Plan
from safe_pip.render import Console
from safe_pip.sdistprobe import SdistFetcher, SdistFiles

REPORT = Path(__file__).parent / "fixtures" / "reports" / "wheel-and-sdist-pip23.2.json"


def _report_with_remote_sdists() -> str:
    data = json.loads(REPORT.read_text())
    sdist = next(item for item in data["install"] if item["download_info"]["url"].endswith(".tar.gz"))
    second = json.loads(json.dumps(sdist))
    second["metadata"]["name"] = "slowmath"
    sdist["download_info"]["url"] = "https://files.example/fastmath-2.0.tar.gz"
    second["download_info"]["url"] = "https://files.example/slowmath-2.0.tar.gz"
    data["install"].append(second)
    return json.dumps(data)


def test_the_fetch_process_and_the_facts_overlap_with_pips_dry_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    facts_thread: list[str] = []
    handed: list[list[str]] = []

    def start(self: SdistFetcher) -> SdistFetcher:
        events.append("fetcher started")
        return self

    def read(self: SdistFetcher, wanted: Sequence[tuple[str, str | None]]) -> list[SdistFiles]:
        handed.append([url for url, _sha in wanted])
        return [SdistFiles(("setup.py",), (("setup.py", "from setuptools import setup\nsetup()\n"),))] * len(
            wanted
        )

    def dry_run(python: str, args: Sequence[str], report: str, timeout: float = 900) -> tuple[int, str]:
        events.append("dry run started")
        time.sleep(0.5)
        Path(report).write_text(_report_with_remote_sdists())
        events.append("dry run ended")
        return 0, ""

    real_machine = probe.detect_machine

    def machine(site_packages: str | None = None, *, versions: bool = True) -> probe.MachineFacts:
        facts_thread.append(threading.current_thread().name)
        events.append(f"machine facts (versions={versions})")
        return real_machine(site_packages, versions=versions)

    monkeypatch.setattr(probe, "detect_pip_version", lambda python, ask=False: (23, 2))
    monkeypatch.setattr(probe, "run_dry_run", dry_run)
    monkeypatch.setattr(probe, "detect_interpreter_facts", lambda python: None)
    monkeypatch.setattr(probe, "detect_machine", machine)
    monkeypatch.setattr(SdistFetcher, "start", start)
    monkeypatch.setattr(SdistFetcher, "read", read)
    monkeypatch.setattr(plan_command, "fix_context_for", lambda *args: FixContext())
    invocation = parse_argv(["plan", "fastmath"], {})
    plan = plan_command.make_plan_here("python3", ("fastmath",), invocation, Console())

    assert plan.problem is None
    assert events.index("fetcher started") < events.index("dry run started")
    assert events.index("machine facts (versions=False)") < events.index("dry run ended")
    assert facts_thread != [threading.current_thread().name]
    assert handed == [
        ["https://files.example/fastmath-2.0.tar.gz", "https://files.example/slowmath-2.0.tar.gz"]
    ]
    assert [row.distribution.name for row in plan.rows if row.distribution.builds] == ["fastmath", "slowmath"]


def test_a_failed_dry_run_ends_the_fetch_process_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    monkeypatch.setattr(probe, "detect_pip_version", lambda python, ask=False: (23, 2))
    monkeypatch.setattr(probe, "run_dry_run", lambda *args, **kwargs: (1, "ERROR: nothing here\n"))
    monkeypatch.setattr(probe, "detect_interpreter_facts", lambda python: None)
    monkeypatch.setattr(SdistFetcher, "start", lambda self: self)
    monkeypatch.setattr(SdistFetcher, "close", lambda self: closed.append(True))
    monkeypatch.setattr(
        SdistFetcher, "read", lambda self, wanted: pytest.fail("no URL is handed after a failed dry run")
    )
    monkeypatch.setattr(plan_command, "_failed_dry_run", lambda *args, **kwargs: Plan(problem="failed"))
    invocation = parse_argv(["plan", "x"], {})
    assert plan_command.make_plan_here("python3", ("x",), invocation, Console()).problem == "failed"
    assert closed


def test_plans_machine_facts_start_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(probe, "_run", no_process)
    monkeypatch.setattr("subprocess.run", no_process)
    facts = probe.detect_machine(None, versions=False)
    assert facts.driver_version is None
    assert all(info is None or info.version is None for info in facts.tools.values())
