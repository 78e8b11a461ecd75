"""What users expect of a command-line tool, as pip, uv and ruff do it (issue 19.3): -V, --color and the colour
variables, yes/no variables, `help` and `<cmd> --help`, one error style, shell completion, schema_version,
the config file, the JSON report's path checked first, SAFE_PIP_LOG_DIR, the import error itself, the contract
in the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from safe_pip import __version__
from safe_pip.categories import CATEGORIES
from safe_pip.commands.completion import SHELLS, candidates, script
from safe_pip.fixes import FixContext, render_fix
from safe_pip.options import UsageError, env_flag, parse_argv
from safe_pip.rules import RuleError, read_config
from tests.conftest import ROOT, make_venv, safe_pip_argv
from tests.lab.factory import make_wheel


def run(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        safe_pip_argv(*args), env=env, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


def test_dash_capital_v_is_version(env: dict[str, str]) -> None:
    assert run("-V", env=env).stdout == f"safe-pip {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "environ", "color"),
    [
        ([], {}, "auto"),
        (["--color", "always"], {}, "always"),
        (["--color=never"], {"FORCE_COLOR": "1"}, "never"),
        (["--no-color"], {"FORCE_COLOR": "1"}, "never"),
        (["--no-color", "--color", "always"], {}, "always"),  # the last one wins
        ([], {"NO_COLOR": "1"}, "never"),
        ([], {"NO_COLOR": ""}, "auto"),
        ([], {"FORCE_COLOR": "1"}, "always"),
        ([], {"FORCE_COLOR": "0"}, "auto"),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, "never"),
        ([], {"TERM": "dumb"}, "never"),
        ([], {"TERM": "dumb", "FORCE_COLOR": "1"}, "always"),
        (["--color", "always"], {"TERM": "dumb", "NO_COLOR": "1"}, "always"),
    ],
    ids=lambda value: repr(value) if not isinstance(value, str) else value,
)
def test_color_from_the_option_then_the_environment(
    argv: list[str], environ: dict[str, str], color: str
) -> None:
    options = parse_argv([*argv, "list"], environ).options
    assert options.color == color
    assert options.no_color is (color == "never")


def test_a_bad_color_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UsageError, match=r"--color takes auto, always, never, not 'sometimes'"):
        parse_argv(["--color", "sometimes", "list"], {})


def test_forced_colour_reaches_safe_pips_messages_in_a_pipe(env: dict[str, str]) -> None:
    forced = run("--color", "always", "--python", "/nonexistent/python", "install", "x", env=env)
    assert "\x1b[" in forced.stderr
    assert (
        "\x1b["
        in run("--python", "/nonexistent/python", "install", "x", env=dict(env, FORCE_COLOR="1")).stderr
    )
    plain = run("--python", "/nonexistent/python", "install", "x", env=env)
    assert plain.returncode == forced.returncode == 2
    assert "\x1b[" not in plain.stderr


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on", "ON", "y", " yes "])
def test_yes_values_of_boolean_variables(value: str) -> None:
    assert env_flag({"SAFE_PIP_FIX": value}, "SAFE_PIP_FIX")
    assert parse_argv(["install", "x"], {"SAFE_PIP_FIX": value, "SAFE_PIP_NO_HISTORY": value}).options.fix
    assert parse_argv(["install", "x"], {"SAFE_PIP_NO_HISTORY": value}).options.no_history


@pytest.mark.parametrize("value", ["", "0", "false", "False", "no", "OFF"])
def test_no_values_of_boolean_variables(value: str) -> None:
    assert not env_flag({"SAFE_PIP_FIX": value}, "SAFE_PIP_FIX")
    assert not parse_argv(["install", "x"], {"SAFE_PIP_FIX": value}).options.fix


def test_a_boolean_variable_that_is_neither_names_itself() -> None:
    with pytest.raises(UsageError, match=r"SAFE_PIP_FIX='maybe' is not a yes/no value"):
        parse_argv(["install", "x"], {"SAFE_PIP_FIX": "maybe"})


def test_help_and_command_help_agree(env: dict[str, str]) -> None:
    top = run("help", env=env)
    assert top.returncode == 0
    assert top.stdout == run("--help", env=env).stdout
    for command in ("completion", "-V", "--color WHEN", "diagnose", "SAFE_PIP_LOG_DIR", "SAFE_PIP_CONFIG"):
        assert command in top.stdout
    for command in ("diagnose", "doctor", "history", "rules"):
        via_help = run("help", command, env=env)
        assert via_help.returncode == 0, via_help.stderr
        assert via_help.stdout == run(command, "--help", env=env).stdout
        assert via_help.stdout.startswith(f"usage: safe-pip {command}")


def test_own_commands_report_errors_as_the_option_scanner_does(env: dict[str, str]) -> None:
    scanner = run("--bogus", "list", env=env)
    assert scanner.returncode == 2
    assert scanner.stderr.startswith("safe-pip: error: unknown option '--bogus'")
    for args, help_command in [
        (["diagnose", "--bogus"], "safe-pip diagnose --help"),
        (["rules", "bogus"], "safe-pip rules --help"),
        (["rules", "show"], "safe-pip rules show --help"),
    ]:
        result = run(*args, env=env)
        assert result.returncode == 2, args
        assert "usage:" not in result.stderr
        lines = result.stderr.splitlines()
        assert lines[0].startswith("safe-pip: error: "), result.stderr
        assert lines[-1] == f"safe-pip: see `{help_command}`"


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_prints_each_shells_script(shell: str, env: dict[str, str]) -> None:
    printed = run("completion", f"--{shell}", env=env)
    assert printed.returncode == 0
    assert printed.stdout == script(shell)
    assert "SAFE_PIP_AUTO_COMPLETE=1" in printed.stdout or "SAFE_PIP_AUTO_COMPLETE 1" in printed.stdout


def test_completion_without_a_shell_flag_is_pips_own(env: dict[str, str]) -> None:
    result = run("--python", sys.executable, "completion", env=env)
    assert "You must pass --bash or --fish" in result.stdout + result.stderr  # pip's own message


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["--co"], ["--color"]),
        (["--color", ""], ["auto", "always", "never"]),
        (["--fix-versions", "n"], ["nearest"]),
        (["di"], ["diagnose"]),
        (["--fix", "he"], ["help"]),
        (["--python", "/usr/bin/python3", "doc"], ["doctor"]),
        (["ch"], ["check"]),
        (["rules", ""], ["list", "show", "check"]),
        (["rules", "show", "compiler-n"], ["compiler-not-found"]),
        (["rules", "list", "--"], ["--json", "--help"]),
        (["diagnose", "--j"], ["--json"]),
        (["completion", "--"], ["--bash", "--zsh", "--fish"]),
        (["help", "hist"], ["history"]),
        (["--json-report", ""], []),  # a file: the shell completes it
        (["--pre"], ["--preflight"]),
        (["--torch"], ["--torch-backend"]),
        (["--torch-backend", "a"], ["auto"]),
        (["pl"], ["plan"]),
        (["help", "pl"], ["plan"]),
        (["plan", "--j"], ["--json"]),
    ],
)
def test_completion_of_safe_pips_own_words(words: list[str], expected: list[str]) -> None:
    assert candidates(words, len(words) - 1) == expected


def test_completion_after_a_pip_command_asks_pip() -> None:
    asked: list[tuple[list[str], list[str], int]] = []

    def ask_pip(global_words: object, words: object, index: int) -> list[str]:
        asked.append((list(global_words), list(words), index))  # type: ignore[call-overload]
        return ["--no-deps"]

    assert candidates(["--fix", "install", "-r", "req.txt", "--no-d"], 4, ask_pip=ask_pip) == ["--no-deps"]
    assert asked == [(["--fix"], ["install", "-r", "req.txt", "--no-d"], 3)]


def test_every_option_safe_pip_reads_is_completed() -> None:
    """An option added to options.py is offered by completion too (--preflight and --torch-backend were not)."""
    from safe_pip.options import _FLAGS, _VALUE_OPTIONS

    offered = set(candidates(["-"], 0))
    assert {name for name in (*_FLAGS, *_VALUE_OPTIONS) if name.startswith("--")} <= offered


def test_torch_backend_values_are_the_cuda_builds_of_the_newest_torch() -> None:
    from safe_pip.cudatables import load_tables

    builds = load_tables().newest_release().builds
    assert candidates(["--torch-backend", ""], 1) == ["auto", "cpu", *sorted(builds)]


def test_plan_completes_json_then_asks_pip_as_for_install() -> None:
    asked: list[tuple[list[str], list[str], int]] = []

    def ask_pip(global_words: object, words: object, index: int) -> list[str]:
        asked.append((list(global_words), list(words), index))  # type: ignore[call-overload]
        return ["--no-deps", "--no-binary"]

    assert candidates(["plan", "--"], 1, ask_pip=ask_pip) == ["--json", "--no-deps", "--no-binary"]
    assert candidates(
        ["--python", "py", "plan", "--json", "-r", "req.txt", "--no-d"], 6, ask_pip=ask_pip
    ) == [
        "--no-deps",
        "--no-binary",
    ]
    assert asked == [
        ([], ["install", "--"], 1),
        (["--python", "py"], ["install", "-r", "req.txt", "--no-d"], 3),
    ]


def test_bash_completes_safe_pips_and_pips_options(env: dict[str, str], tmp_path: Path) -> None:
    """The bash script itself, sourced in bash: safe-pip's own option, then pip's (from the target's pip)."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "safe-pip").write_text(f'#!/bin/sh\nexec {sys.executable} -m safe_pip "$@"\n')
    (bin_folder / "safe-pip").chmod(0o755)
    program = (
        f"source <({bin_folder}/safe-pip completion --bash)\n"
        'COMP_WORDS=(safe-pip --verify-im); COMP_CWORD=1; _safe_pip_completion safe-pip; echo "${COMPREPLY[@]}"\n'
        f"COMP_WORDS=(safe-pip --python {sys.executable} install --no-build-is); COMP_CWORD=4\n"
        '_safe_pip_completion safe-pip; echo "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "-c", program],
        env=dict(env, PATH=f"{bin_folder}{os.pathsep}{env['PATH']}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.splitlines() == ["--verify-import", "--no-build-isolation"], done.stderr


def test_every_json_output_has_a_schema_version(env: dict[str, str]) -> None:
    import json

    for args in (["rules", "list", "--json"], ["history", "--json"]):
        printed = json.loads(run(*args, env=env).stdout)
        assert printed["schema_version"] == 1, args
        assert printed["safe_pip_version"] == __version__


def test_an_unknown_config_key_is_named_and_the_rest_still_counts(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('disable = ["compiler-not-found"]\ndisabled = ["typo"]\n')
    disabled, problems = read_config(config)
    assert disabled == ["compiler-not-found"]
    assert [str(problem) for problem in problems] == [
        f"{config}: key 'disabled': unknown key, ignored (known: disable)"
    ]


def test_safe_pip_config_names_the_config_file(env: dict[str, str], tmp_path: Path) -> None:
    import json

    config = tmp_path / "project.toml"
    config.write_text('disable = ["compiler-not-found"]\ncolour = "never"\n')
    result = run("rules", "list", "--json", env=dict(env, SAFE_PIP_CONFIG=str(config)))
    assert result.returncode == 0
    assert "compiler-not-found" not in {rule["id"] for rule in json.loads(result.stdout)["rules"]}
    assert f"safe-pip: warning: config: {config}: key 'colour': unknown key, ignored" in result.stderr
    missing = run("rules", "list", env=dict(env, SAFE_PIP_CONFIG=str(tmp_path / "nope.toml")))
    assert "which is not a file; no config read" in missing.stderr


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("missing-folder/report.json", "the folder {tmp}/missing-folder does not exist"),
        (".", "it is a folder; give a file name"),
        ("link.json", "it is a symbolic link, which safe-pip does not write through"),
    ],
)
def test_the_json_report_path_is_checked_before_pip_runs(
    path: str, problem: str, tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "link.json").symlink_to(tmp_path / "elsewhere.json")
    marker = tmp_path / "pip-ran"
    # A stand-in "interpreter" that would leave a mark if it were started at all.
    fake = tmp_path / "python3"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\n")
    fake.chmod(0o755)
    result = run("--json-report", path, "--python", str(fake), "install", "x", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert f"safe-pip: error: --json-report {path!r}: {problem.format(tmp=tmp_path)}" in result.stderr
    assert not marker.exists()


def test_safe_pip_log_dir_is_where_logs_go(shared_venv: Path, tmp_path: Path, env: dict[str, str]) -> None:
    wheel = make_wheel(tmp_path / "wheels", "winonly", "1.0", "cp311-cp311-win_amd64")
    logs = tmp_path / "ci-artifacts" / "safe-pip-logs"
    result = run(
        "--python",
        str(shared_venv),
        "install",
        "--no-index",
        str(wheel),
        env=dict(env, SAFE_PIP_LOG_DIR=str(logs)),
    )
    assert result.returncode != 0
    saved = sorted(logs.glob("pip-*.log"))
    assert len(saved) == 1
    assert f"safe-pip: full log: {saved[0]}" in result.stderr
    assert not (Path(env["XDG_STATE_HOME"]) / "safe-pip" / "log").exists()


@pytest.mark.e2e
def test_verify_import_shows_the_import_error_itself(tmp_path: Path, env: dict[str, str]) -> None:
    wheel = make_wheel(
        tmp_path / "wheels",
        "brokenmod",
        "1.0",
        files={"brokenmod.py": "raise RuntimeError('boom at import')\n"},
    )
    python = make_venv(tmp_path / "venv")
    result = run("--verify-import", "--python", str(python), "install", "--no-index", str(wheel), env=env)
    assert result.returncode == 1
    assert "safe-pip: installed, but importing failed: brokenmod (from brokenmod)" in result.stderr
    assert "safe-pip:   brokenmod: RuntimeError: boom at import" in result.stderr
    assert "safe-pip-import" not in result.stderr


@pytest.mark.parametrize(
    ("args", "command", "title"),
    [
        (("six",), "pipx install six", "Install the application six with pipx"),
        (
            ("--user", "black==24.1", "-q"),
            "pipx install black==24.1",
            "Install the application black==24.1 with pipx",
        ),
        (("-r", "requirements.txt"), "pipx install <package>", None),
    ],
)
def test_the_pep668_fix_names_the_package_from_the_command_line(
    args: tuple[str, ...], command: str, title: str | None
) -> None:
    fix = render_fix("use-pipx", {}, FixContext(pip_args=args))
    assert fix is not None
    assert fix.command == command
    if title is not None:
        assert fix.title == title


def test_the_contract_is_in_the_repository_and_the_category_error_lists_the_categories() -> None:
    contract = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", contract, re.MULTILINE))
    assert set(CATEGORIES) <= documented
    from safe_pip.rules import parse_rule

    rule = {"id": "x", "category": "no-such-thing", "title": "t", "match": {"any": ["a"]}}
    with pytest.raises(RuleError) as raised:
        parse_rule(rule, "x.toml")
    message = str(raised.value)
    assert "unknown category 'no-such-thing'" in message
    assert "docs/CONTRACT.md" in message
    assert all(category in message for category in CATEGORIES)


def test_a_reader_that_leaves_early_is_no_error(env: dict[str, str]) -> None:
    for args in (["completion", "--bash"], ["-V"], ["help"]):
        read, write = os.pipe()
        os.close(read)
        done = subprocess.run(
            safe_pip_argv(*args), env=env, stdout=write, stderr=subprocess.PIPE, check=False
        )
        os.close(write)
        assert done.returncode == 0, args
        assert done.stderr == b"", args
