"""plan's time (issue 15: at most pip's own dry run + 1 s): pip's dry run, the sdists it names and the
target's facts come from one process of the target interpreter (sdistprobe.dry_run_and_read), and the
machine is then asked only about files and PATH. A second interpreter importing pip to fetch cost most of
plan's extra second on a busy 2-core machine even when it overlapped with the dry run."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from safe_pip import probe
from safe_pip.commands import plan as plan_command
from safe_pip.fixes import FixContext
from safe_pip.installreport import parse_report
from safe_pip.options import parse_argv
from safe_pip.render import Console
from safe_pip.sdistprobe import DryRun, SdistFiles, _read_build, dry_run_and_read
from tests.conftest import require_wheelhouse
from tests.lab.factory import c_extension_project, make_sdist, make_wheel
from tests.lab.servers import serve_index

REPORT = Path(__file__).parent / "fixtures" / "reports" / "wheel-and-sdist-pip23.2.json"


@pytest.fixture
def hermetic(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():  # the target's pip reads the hermetic configuration
        monkeypatch.setenv(name, value)


@pytest.mark.e2e
@pytest.mark.usefixtures("hermetic")
def test_one_process_runs_the_dry_run_fetches_every_sdist_and_reads_the_facts(
    tmp_path: Path, shared_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    for name in ("first", "second"):
        make_sdist(index, name, "1.0", c_extension_project(name, "1.0"))
    make_wheel(index, "plain", "1.0")
    # The current folder holds a `pip` that would break pip: `python -m pip` never imports from there,
    # and neither does the dry run's script.
    (tmp_path / "cwd" / "pip").mkdir(parents=True)
    (tmp_path / "cwd" / "pip" / "__init__.py").write_text(
        "raise ImportError('the pip of the current folder')\n"
    )
    monkeypatch.chdir(tmp_path / "cwd")
    started: list[object] = []
    real_popen = subprocess.Popen

    def counting_popen(argv: list[str], *args: object, **kwargs: object) -> object:
        started.append(argv)
        return real_popen(argv, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    wheels = str(require_wheelhouse())  # setuptools for the isolated builds' metadata step
    with serve_index(index) as url:
        done = dry_run_and_read(
            str(shared_venv),
            ("--index-url", url, "--find-links", wheels, "first", "second", "plain"),
            ("--index-url", url, "--find-links", wheels),
            probe._FACTS_SCRIPT,
        )
    assert len(started) == 1
    assert done.exit_code == 0, done.output
    assert done.report is not None
    assert sorted(item.name for item in done.report.source_builds) == ["first", "second"]
    assert [done.sources[key].problem for key in ("first", "second")] == [None, None]
    assert all("setup.py" in dict(done.sources[key].texts) for key in ("first", "second"))
    assert done.facts_output is not None
    facts = probe.parse_interpreter_facts(done.facts_output)
    assert facts is not None
    assert facts.pip_version is not None
    assert "safe-pip-facts" not in done.output  # pip's output is only pip's


@pytest.mark.e2e
@pytest.mark.usefixtures("hermetic")
def test_a_failing_dry_run_gives_pips_output_and_exit_code(tmp_path: Path, shared_venv: Path) -> None:
    (tmp_path / "index").mkdir()
    with serve_index(tmp_path / "index") as url:
        done = dry_run_and_read(
            str(shared_venv), ("--index-url", url, "nothing-here"), (), probe._FACTS_SCRIPT
        )
    assert done.exit_code == 1
    assert "No matching distribution found for nothing-here" in done.output
    assert done.report is None


def test_the_reports_hash_is_checked_and_what_was_not_fetched_says_so(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    url = "https://files.example/fastmath-2.0.tar.gz"
    fetched = {"path": str(sdist), "sha256": digest, "error": None}
    assert _read_build(url, digest, fetched).problem is None
    wrong = _read_build(url, "0" * 64, fetched).problem
    assert wrong == f"the downloaded file's sha256 {digest} is not the {'0' * 64} pip's report names"
    failed = _read_build(url, digest, {"path": None, "sha256": None, "error": "HTTPError: 404 Client Error"})
    assert failed.problem == "the download failed: HTTPError: 404 Client Error"
    assert _read_build("git+https://example/x.git", None, None).problem == (
        "git+https://example/x.git was not fetched (only archives from http(s) URLs are)"
    )


def test_plan_starts_no_other_process_than_pips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given the dry run's report, sdists and facts, the plan is made without starting anything else."""
    report = parse_report(REPORT.read_text())
    facts_output = subprocess.run(
        [os.environ.get("PYTHON", "python3"), "-c", probe._FACTS_SCRIPT],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    setup = ("setup.py", "from setuptools import setup\nsetup()\n")
    done = DryRun(0, "", report, None, {"fastmath": SdistFiles(("setup.py",), (setup,))}, facts_output)

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(probe, "detect_pip_version", lambda python, ask=False: (23, 2))
    monkeypatch.setattr("safe_pip.sdistprobe.dry_run_and_read", lambda *args, **kwargs: done)
    monkeypatch.setattr(plan_command, "fix_context_for", lambda *args: FixContext())
    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr(probe, "_run", no_process)
    plan = plan_command.make_plan_here("/no/such/python", ("fastmath",), parse_argv(["plan"], {}), Console())
    assert plan.problem is None
    assert [row.distribution.name for row in plan.rows if row.distribution.builds] == ["fastmath"]
    assert probe.detect_interpreter_facts("/no/such/python") is not None  # remembered, not asked again


def test_plans_machine_facts_start_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(probe, "_run", no_process)
    monkeypatch.setattr("subprocess.run", no_process)
    facts = probe.detect_machine(None, versions=False)
    assert facts.driver_version is None
    assert all(info is None or info.version is None for info in facts.tools.values())
