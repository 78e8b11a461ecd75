"""Bad input, as users and CI hand it to safe-pip: each gets one clear line and a defined exit code, never a
traceback. Rule files (rules check: 1; a broken layer is skipped with a warning), logs (diagnose: 0/1/2), safe-pip's
own options (2), and the places it writes (log folder, history: the run goes on, warned once)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import hermetic_env, make_venv, require_wheelhouse, safe_pip_argv
from tests.lab.factory import make_sdist, make_wheel
from tests.lab.projects import c_source_project, module_source

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"
COMPILER_FAILURE = b"  error: command 'gcc' failed: No such file or directory\n"


def rule_text(
    rule_id: str,
    *,
    category: str = "build-failed",
    pattern: str = "zzz",
    summary: str = "s",
    top: str = "",
    after: str = "",
) -> str:
    """A rule file that is valid but for what the arguments change."""
    return (
        f'id = "{rule_id}"\ncategory = "{category}"\ntitle = "t"\n{top}'
        f"[match]\nkeywords = ['zzz']\nany = ['{pattern}']\n"
        f"[explain]\nsummary = '{summary}'\n{after}"
    )


BAD_RULES = {
    # file name: (content, the end of its one-line complaint)
    "not-toml": ("id = [", "not valid TOML"),
    "unknown-key": (rule_text("unknown-key", top="colour = 'red'\n"), "unknown key"),
    "bad-regex": (rule_text("bad-regex", pattern="(zzz"), "bad regular expression"),
    "hostile-regex": (rule_text("hostile-regex", pattern="zzz(a+)+$"), "nested"),
    "unknown-category": (rule_text("unknown-category", category="bad-luck"), "unknown category"),
    "unknown-action": (
        rule_text("unknown-action", after="[[fix]]\naction = 'add-index-url'\n"),
        "unknown fix action",
    ),
    "undefined-capture": (rule_text("undefined-capture", summary="{nowhere} failed"), "nowhere"),
}


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        safe_pip_argv(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("safe-pip: error:")]
    assert len(errors) == 1, result.stderr
    assert words in errors[0], result.stderr


@pytest.fixture
def bad_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "bad-rules"
    folder.mkdir()
    for name, (content, _) in BAD_RULES.items():
        (folder / f"{name}.toml").write_text(content)
    return folder


def test_rules_check_names_each_bad_rule_file_on_one_line(bad_rules: Path, env: dict[str, str]) -> None:
    result = run("rules", "check", str(bad_rules), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for name, (_, complaint) in BAD_RULES.items():
        line = next((line for line in lines if f"{name}.toml" in line), None)
        assert line is not None, result.stdout
        assert line.startswith("invalid: "), line
        assert complaint in line, line
    assert f"0 of {len(BAD_RULES)} rule files valid" in lines[-1]


def test_a_bad_rule_layer_is_skipped_and_the_built_in_rules_still_work(
    bad_rules: Path, env: dict[str, str]
) -> None:
    log = LOGS / "compiler-not-found" / "match-compiler-missing-pip26.log"
    result = run("--rules", str(bad_rules), "diagnose", str(log), env=env)
    assert result.returncode == 0, result.stderr
    assert "(rule compiler-not-found," in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "rule skipped" in line]
    assert len(warnings) == len(BAD_RULES), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "code"),
    [
        # one 50 MB line (a minified file, a progress bar without newlines), then the failure
        (b"x" * (50 << 20) + b"\n" + COMPILER_FAILURE, 0),
        # invalid UTF-8 around the failure: still found, on its own line number
        (b"\xff\xfe\xc3(\n" + COMPILER_FAILURE + b"\xe2\x82\n", 0),
        (b"\x00\x01\x02" * 1000, 1),
    ],
    ids=["50mb-line", "invalid-utf8", "binary"],
)
def test_odd_logs_are_read_not_crashed_on(
    tmp_path: Path, content: bytes, code: int, env: dict[str, str]
) -> None:
    log = tmp_path / "odd.log"
    log.write_bytes(content)
    result = run("diagnose", "--json", str(log), env=env)
    assert result.returncode == code, result.stderr
    assert result.stderr == ""
    if code == 0:
        assert '"category": "missing-compiler"' in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--bogus", "install", "x"], "unknown option '--bogus'"),
        (["--fix", "--max-attempts", "many", "install", "x"], "--max-attempts"),
        (["--python"], "--python"),
        (["diagnose", "--bogus", "x.log"], "--bogus"),
    ],
    ids=["unknown-option", "bad-number", "missing-value", "diagnose-option"],
)
def test_bad_safe_pip_options_are_usage_errors(args: list[str], words: str, env: dict[str, str]) -> None:
    assert_one_line_error(run(*args, env=env), 2, words)


def _failing_build(tmp_path: Path) -> tuple[Path, list[str]]:
    """A venv and the pip arguments of a build that fails (a C syntax error) with a wheel to fall back to:
    --fix runs pip twice."""
    wheelhouse = require_wheelhouse()
    src = tmp_path / "src"
    make_sdist(
        src,
        "broken",
        "2.0",
        c_source_project("broken", module_source("broken", body="not C;"), version="2.0"),
    )
    make_wheel(src, "broken", "1.0")
    args = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(src), "broken"]
    return make_venv(tmp_path / "venv"), args


@pytest.mark.e2e
def test_a_log_folder_that_cannot_be_made_is_warned_about_once(tmp_path: Path) -> None:
    python, args = _failing_build(tmp_path)
    env = hermetic_env(tmp_path)
    Path(env["XDG_STATE_HOME"]).write_text("a file where the state folder should be")
    result = run("--fix", "--python", str(python), "install", *args, env=env, timeout=300)
    assert result.returncode == 0, result.stderr  # the fix still ran, and worked
    warnings = [line for line in result.stderr.splitlines() if "cannot save the log" in line]
    assert len(warnings) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_a_locked_history_is_warned_about_once_and_the_fix_still_runs(tmp_path: Path) -> None:
    python, args = _failing_build(tmp_path)
    env = hermetic_env(tmp_path)
    path = Path(env["XDG_DATA_HOME"]) / "safe-pip" / "history.sqlite3"
    path.parent.mkdir(parents=True)
    # Another process holds the database locked for writing for the whole run (a hung CI job).
    locker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None
        assert locker.stdout.readline() == "locked\n"
        result = run("--fix", "--python", str(python), "install", *args, env=env, timeout=300)
    finally:
        locker.communicate("", timeout=30)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "history" in line and "warning" in line]
    assert len(warnings) == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # Once the lock is gone, the database is intact and usable.
    with sqlite3.connect(path) as database:
        database.execute("SELECT count(*) FROM sqlite_master").fetchone()
