"""safe-pip's own commands, run as a user runs them: exit codes, output, JSON (the contract's shape)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from safe_pip import __version__
from tests.conftest import safe_pip_argv

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"
COMPILER_LOG = LOGS / "compiler-not-found" / "match-compiler-missing-pip26.log"


def run(
    *args: str, env: dict[str, str], stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        safe_pip_argv(*args),
        env=env,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_version_and_help(env: dict[str, str]) -> None:
    assert run("--version", env=env).stdout == f"safe-pip {__version__}\n"
    help_text = run("--help", env=env)
    assert help_text.returncode == 0
    assert "usage: safe-pip" in help_text.stdout


def test_no_command_is_a_usage_error(env: dict[str, str]) -> None:
    result = run(env=env)
    assert result.returncode == 2
    assert "safe-pip: error: no command given" in result.stderr


def test_diagnose_prints_the_diagnosis_and_exits_0(env: dict[str, str]) -> None:
    result = run("diagnose", str(COMPILER_LOG), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "likely cause: missing-compiler (rule compiler-not-found, confidence 0.95)",
        "  Building fastmath from source failed because the C compiler `gcc` is not installed (not on PATH).",
        "  line 22: error: [Errno 2] No such file or directory: 'gcc'",
    ]
    assert "  fix: sudo apt-get install -y build-essential" in result.stdout


def test_diagnose_json_has_the_contracts_shape(env: dict[str, str]) -> None:
    result = run("diagnose", "--json", str(COMPILER_LOG), env=env)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["safe_pip_version"] == __version__
    (diagnosis,) = report["diagnoses"]
    assert set(diagnosis) == {
        "rule",
        "category",
        "confidence",
        "package",
        "summary",
        "hint",
        "evidence",
        "fixes",
    }
    assert diagnosis["category"] == "missing-compiler"
    assert diagnosis["package"] == "fastmath"
    assert diagnosis["evidence"] == [
        {"line": 22, "text": "error: [Errno 2] No such file or directory: 'gcc'"}
    ]
    for fix in diagnosis["fixes"]:
        assert set(fix) == {"id", "title", "auto", "pip_args", "env", "command"}
    # The log names fastmath only by the archive it installed ("Processing ./src/fastmath-1.0.tar.gz"): no fix
    # installs the index's project of that name (--only-binary fastmath); the compiler is printed, never applied.
    assert [(fix["id"], fix["auto"]) for fix in diagnosis["fixes"]] == [("install-system-package", False)]


def test_diagnose_reads_stdin(env: dict[str, str]) -> None:
    result = run("diagnose", "--json", "-", env=env, stdin=COMPILER_LOG.read_bytes())
    assert json.loads(result.stdout)["diagnoses"][0]["rule"] == "compiler-not-found"


@pytest.mark.parametrize(
    "content",
    [b"", b"Successfully installed requests-2.31.0\n", bytes(range(256)) * 100, b"\x00" * 1000],
    ids=["empty", "success", "binary", "nul-bytes"],
)
def test_diagnose_exits_1_when_nothing_is_recognised(
    tmp_path: Path, content: bytes, env: dict[str, str]
) -> None:
    log = tmp_path / "log.txt"
    log.write_bytes(content)
    result = run("diagnose", str(log), env=env)
    assert result.returncode == 1, result.stderr
    assert result.stdout == "No known failure found in this log.\n"
    assert json.loads(run("diagnose", "--json", str(log), env=env).stdout)["diagnoses"] == []


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing.log", "No such file or directory"), (".", "Is a directory")],
    ids=["missing", "directory"],
)
def test_diagnose_input_errors_exit_2(tmp_path: Path, target: str, message: str, env: dict[str, str]) -> None:
    result = run("diagnose", str(tmp_path / target), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("safe-pip: error: cannot read the log")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_diagnose_usage_error_exits_2(env: dict[str, str]) -> None:
    result = run("diagnose", "--bogus", env=env)
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


def test_rules_list_show_and_check(env: dict[str, str]) -> None:
    listed = run("rules", "list", env=env)
    assert listed.returncode == 0
    assert any(line.startswith("compiler-not-found ") for line in listed.stdout.splitlines())
    as_json = json.loads(run("rules", "list", "--json", env=env).stdout)
    assert as_json["schema_version"] == 1
    assert {"compiler-not-found", "externally-managed", "build-failed"} <= {
        rule["id"] for rule in as_json["rules"]
    }
    shown = run("rules", "show", "compiler-not-found", env=env)
    assert shown.returncode == 0
    assert 'id = "compiler-not-found"' in shown.stdout
    assert run("rules", "show", "no-such-rule", env=env).returncode == 2
    rules_folder = Path(__file__).resolve().parent.parent / "rules"
    # Checking the whole library times each pattern on its adversarial lines: ~9 s of CPU, over 60 s of wall
    # time on a machine at load 10.
    checked = run("rules", "check", str(rules_folder), env=env, timeout=600)
    assert checked.returncode == 0
    assert checked.stdout.strip().endswith("rule files valid")


def test_rules_check_reports_each_problem_and_exits_1(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "bad-regex.toml").write_text(
        'id = "bad-regex"\ncategory = "missing-compiler"\ntitle = "t"\n'
        "[match]\nkeywords = ['x']\nany = ['(']\n[explain]\nsummary = 's'\n"
    )
    (tmp_path / "not-toml.toml").write_text("id = [")
    result = run("rules", "check", str(tmp_path), env=env)
    assert result.returncode == 1
    bad = tmp_path / "bad-regex.toml"
    assert f"invalid: {bad}: rule 'bad-regex': key 'match.any[0]': bad regular expression" in result.stdout
    assert f"invalid: {tmp_path / 'not-toml.toml'}: not valid TOML" in result.stdout
    assert "0 of 2 rule files valid" in result.stdout


def test_user_rules_layer_over_the_builtin_ones(tmp_path: Path, env: dict[str, str]) -> None:
    # A user's rule with a built-in id replaces it; a broken one is reported and skipped.
    folder = tmp_path / "my-rules"
    folder.mkdir()
    builtin = (Path(__file__).resolve().parent.parent / "rules" / "compiler-not-found.toml").read_text()
    (folder / "compiler-not-found.toml").write_text(
        builtin.replace('title = "No C/C++ compiler on PATH"', 'title = "Mine"')
    )
    (folder / "broken.toml").write_text("nope = [")
    result = run("--rules", str(folder), "rules", "list", "--json", env=env)
    assert result.returncode == 0
    titles = {rule["id"]: rule["title"] for rule in json.loads(result.stdout)["rules"]}
    assert titles["compiler-not-found"] == "Mine"
    assert f"safe-pip: warning: rule skipped: {folder / 'broken.toml'}: not valid TOML" in result.stderr
    # The user's own rule folder (platformdirs' user config folder) is a layer too.
    config = Path(env["XDG_CONFIG_HOME"]) / "safe-pip"
    (config / "rules").mkdir(parents=True)
    (config / "rules" / "compiler-not-found.toml").write_text(
        builtin.replace('title = "No C/C++ compiler on PATH"', 'title = "User"')
    )
    listed = run("rules", "list", "--json", env=env)
    assert {rule["id"]: rule["title"] for rule in json.loads(listed.stdout)["rules"]}[
        "compiler-not-found"
    ] == "User"
    # ... under SAFE_PIP_RULES, which comes after it; and a config file that disables a rule.
    (config / "config.toml").write_text('disable = ["compiler-not-found"]\n')
    listed = run("rules", "list", "--json", env=dict(env, SAFE_PIP_RULES=str(folder)))
    assert "compiler-not-found" not in {rule["id"] for rule in json.loads(listed.stdout)["rules"]}
    # Without it, the log still shows a failed build: the fallback explains it.
    assert "(rule build-failed," in run("diagnose", str(COMPILER_LOG), env=env).stdout


def test_history_lists_clears_and_moves_a_corrupt_file_aside(env: dict[str, str]) -> None:
    from safe_pip.history import FixRecord, HistoryStore

    path = Path(env["XDG_DATA_HOME"]) / "safe-pip" / "history.sqlite3"
    empty = run("history", env=env)
    assert empty.returncode == 0
    assert f"no fixes recorded yet ({path})" in empty.stderr
    HistoryStore(path).record(
        [
            FixRecord(
                "psutil", "5.9.8", "missing-compiler", "only-binary", "cp311-cp311-linux_x86_64", True, 0.0
            )
        ]
    )
    listed = run("history", env=env)
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[1].split() == [
        "1970-01-01",
        "00:00",
        "psutil",
        "missing-compiler",
        "only-binary",
        "worked",
        "cp311-cp311-linux_x86_64",
    ]
    as_json = json.loads(run("history", "--json", env=env).stdout)
    assert as_json["schema_version"] == 1
    assert as_json["records"] == [
        {
            "package": "psutil",
            "version": "5.9.8",
            "category": "missing-compiler",
            "fix": "only-binary",
            "interpreter": "cp311-cp311-linux_x86_64",
            "worked": True,
            "recorded_at": "1970-01-01T00:00:00Z",
        }
    ]
    cleared = run("history", "--clear", env=env)
    assert (cleared.returncode, cleared.stderr.strip()) == (0, f"safe-pip: forgot 1 record ({path})")
    path.write_bytes(b"garbage" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    recovered = run("history", env=env)
    assert recovered.returncode == 0
    assert "could not be read" in recovered.stderr
    assert len(list(path.parent.glob("history.sqlite3.corrupt-*"))) == 1


OLDPY_LOG = LOGS / "wheel-not-supported" / "match-unsupported-oldpy-pip20.log"


def _summary(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["diagnoses"][0]["summary"])


def test_diagnose_here_uses_this_machines_interpreter(env: dict[str, str]) -> None:
    """Issue 13, family 8: a log from elsewhere is read from its text alone; with --here (or for safe-pip's own
    saved log) the wheel is measured against the interpreter safe-pip would use."""
    import sys

    elsewhere = _summary(run("diagnose", "--json", str(OLDPY_LOG), env=env))
    assert "and pip ran on another Python or platform" in elsewhere
    here = _summary(run("--python", sys.executable, "diagnose", "--here", "--json", str(OLDPY_LOG), env=env))
    running = f"CPython {sys.version_info[0]}.{sys.version_info[1]}"
    assert here.endswith(f"it is for CPython 3.9 (cp39); you are running {running}."), here
    stdin = run(
        "--python", sys.executable, "diagnose", "--here", "--json", "-", env=env, stdin=OLDPY_LOG.read_bytes()
    )
    assert _summary(stdin) == here


def test_diagnose_of_a_saved_log_is_diagnosed_here(env: dict[str, str]) -> None:
    import sys

    folder = Path(env["XDG_STATE_HOME"]) / "safe-pip" / "log"
    folder.mkdir(parents=True)
    saved = folder / "pip-20260101-000000-1.log"
    saved.write_bytes(OLDPY_LOG.read_bytes())
    here = _summary(run("--python", sys.executable, "diagnose", "--json", str(saved), env=env))
    assert "you are running CPython" in here
    # the same log anywhere else is not
    other = folder.parent / "pip-20260101-000000-1.log"
    other.write_bytes(OLDPY_LOG.read_bytes())
    assert "pip ran on another Python" in _summary(
        run("--python", sys.executable, "diagnose", "--json", str(other), env=env)
    )
