from __future__ import annotations

import pytest

from safe_pip.options import GlobalOptions, Invocation, UsageError, misplaced_options, parse_argv


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["install", "requests"], Invocation(GlobalOptions(), "install", ("requests",))),
        # pip's own options after the command are pip's, even when safe-pip has one of the same name.
        (
            ["install", "-v", "--python", "x", "-q", "pkg"],
            Invocation(GlobalOptions(), "install", ("-v", "--python", "x", "-q", "pkg")),
        ),
        (
            ["--python", "/v/bin/python", "list"],
            Invocation(GlobalOptions(python="/v/bin/python"), "list", ()),
        ),
        (["--python=/v", "install", "x"], Invocation(GlobalOptions(python="/v"), "install", ("x",))),
        (["-qq", "-v", "wheel", "."], Invocation(GlobalOptions(quiet=2, verbose=1), "wheel", (".",))),
        (["--no-color", "--", "install"], Invocation(GlobalOptions(no_color=True), "install", ())),
        (["--version"], Invocation(GlobalOptions(show_version=True), None, ())),
        (["-h"], Invocation(GlobalOptions(show_help=True), None, ())),
        ([], Invocation(GlobalOptions(), None, ())),
        # An argument that looks like a path is a command word, as pip would see it.
        (["-", "x"], Invocation(GlobalOptions(), "-", ("x",))),
    ],
    ids=[
        "plain",
        "pip-options-after-command",
        "python",
        "python-equals",
        "counts",
        "double-dash",
        "version",
        "help",
        "empty",
        "dash",
    ],
)
def test_parse_argv(argv: list[str], expected: Invocation) -> None:
    assert parse_argv(argv, {}) == expected


def test_no_color_comes_from_the_environment() -> None:
    assert parse_argv(["list"], {"NO_COLOR": "1"}).options.no_color
    # The NO_COLOR convention: an empty value does not count.
    assert not parse_argv(["list"], {"NO_COLOR": ""}).options.no_color


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus", "install"], "unknown option '--bogus'"),
        (["--user", "install", "x"], "unknown option '--user'"),
        (["--python"], "option --python needs a value"),
        (["--python="], "needs a non-empty value"),
        (["--no-color=yes", "list"], "does not take a value"),
        (["-qx", "list"], "unknown option '-qx'"),
    ],
    ids=[
        "unknown",
        "pip-option-before-command",
        "missing-value",
        "empty-value",
        "flag-with-value",
        "bad-cluster",
    ],
)
def test_usage_errors_name_the_bad_argument(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_argv(argv, {})


@pytest.mark.parametrize(
    ("argv", "environ", "fix", "suggest", "attempts", "report"),
    [
        (["--fix", "install"], {}, True, False, 3, None),
        (["install"], {"SAFE_PIP_FIX": "1"}, True, False, 3, None),
        (["--suggest", "install"], {"SAFE_PIP_FIX": "1"}, False, True, 3, None),
        (["--max-attempts", "5", "--json-report=r.json", "install"], {}, False, False, 5, "r.json"),
        (
            ["install"],
            {"SAFE_PIP_MAX_ATTEMPTS": "2", "SAFE_PIP_JSON_REPORT": "x.json"},
            False,
            False,
            2,
            "x.json",
        ),
    ],
    ids=["fix", "fix-env", "suggest-wins", "options", "env"],
)
def test_fix_mode_options(
    argv: list[str], environ: dict[str, str], fix: bool, suggest: bool, attempts: int, report: str | None
) -> None:
    options = parse_argv(argv, environ).options
    assert (options.fix, options.suggest, options.max_attempts, options.json_report) == (
        fix,
        suggest,
        attempts,
        report,
    )


@pytest.mark.parametrize(
    "value", ["0", "x", "-1", "\u00b2", "\u0661"], ids=["0", "x", "-1", "superscript", "arabic"]
)
def test_max_attempts_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(UsageError, match="--max-attempts needs a whole number of 1 or more"):
        parse_argv(["--fix", "--max-attempts", value, "install"], {})
    with pytest.raises(UsageError, match="--max-attempts needs a whole number of 1 or more"):
        parse_argv(["install"], {"SAFE_PIP_MAX_ATTEMPTS": value, "SAFE_PIP_FIX": "1"})


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--max-attempts", "\u00b2", "--version"], {}),
        (["--version"], {"SAFE_PIP_MAX_ATTEMPTS": "x"}),
        (["--suggest", "install"], {"SAFE_PIP_MAX_ATTEMPTS": "0", "SAFE_PIP_FIX": "1"}),
    ],
    ids=["version", "version-env", "suggest"],
)
def test_a_bad_max_attempts_matters_only_with_fix(argv: list[str], environ: dict[str, str]) -> None:
    assert parse_argv(argv, environ).options.max_attempts == 3


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--", "install", "x"], (None, "install", ("x",))),
        (["--", "--python", "/p", "install", "x"], ("/p", "install", ("x",))),
        (
            ["--", "--python=/p", "-vv", "--proxy", "h", "install", "x"],
            ("/p", "install", ("-vv", "--proxy", "h", "x")),
        ),
        (["--python", "/p", "--", "--python", "/p", "wheel", "."], ("/p", "wheel", (".",))),
        (["--", "--version"], (None, "--version", ())),
        (["--", "--unknown", "install"], (None, "--unknown", ("install",))),
    ],
    ids=["plain", "pips-python", "with-pip-options", "same-python-twice", "no-command", "unknown-option"],
)
def test_after_double_dash_comes_pips_command_line(
    argv: list[str], expected: tuple[str | None, str, tuple[str, ...]]
) -> None:
    invocation = parse_argv(argv, {})
    assert (invocation.options.python, invocation.command, invocation.args) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--python", "/a", "--", "--python", "/b", "install"], "two interpreters given"),
        (["--", "--python", "/p"], "no pip command after"),
        (["--", "--python"], "pip's option --python needs a value"),
    ],
    ids=["two-pythons", "no-command", "no-value"],
)
def test_pips_python_after_double_dash_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_argv(argv, {})


@pytest.mark.parametrize(
    ("args", "own", "rest"),
    [
        (["--fix", "x"], ["--fix"], ["x"]),
        (
            ["x", "--max-attempts", "2", "--json-report=r.json"],
            ["--max-attempts", "2", "--json-report=r.json"],
            ["x"],
        ),
        (
            ["--rules", "d", "--no-color", "--python", "p", "x"],
            ["--rules", "d"],
            ["--no-color", "--python", "p", "x"],
        ),
        (["x", "--", "--fix"], [], ["x", "--", "--fix"]),
    ],
    ids=["flag", "values", "pips-own-kept", "after-pips-dashes"],
)
def test_misplaced_options_are_safe_pips_alone(args: list[str], own: list[str], rest: list[str]) -> None:
    assert misplaced_options(args) == (tuple(own), tuple(rest))


@pytest.mark.parametrize(
    ("argv", "environ", "no_history"),
    [
        (["install"], {}, False),
        (["--no-history", "install"], {}, True),
        (["install"], {"SAFE_PIP_NO_HISTORY": "1"}, True),
        (["install"], {"SAFE_PIP_NO_HISTORY": "0"}, False),
        (["install", "--no-history"], {}, False),  # after the command it is pip's word
    ],
    ids=["default", "option", "env", "env-off", "pip-word"],
)
def test_no_history(argv: list[str], environ: dict[str, str], no_history: bool) -> None:
    assert parse_argv(argv, environ).options.no_history is no_history


def test_verify_import_is_a_global_flag() -> None:
    assert parse_argv(["--verify-import", "install", "x"], {}).options.verify_import is True
    assert parse_argv(["install", "--verify-import"], {}).options.verify_import is False


def test_fix_versions_nearest_from_the_option_or_the_environment() -> None:
    assert parse_argv(["--fix-versions", "nearest", "install", "x"], {}).options.fix_versions == "nearest"
    assert (
        parse_argv(["install", "x"], {"SAFE_PIP_FIX_VERSIONS": "nearest"}).options.fix_versions == "nearest"
    )
    assert parse_argv(["--fix-versions=keep", "install", "x"], {}).options.fix_versions == ""
    with pytest.raises(UsageError, match="'newest'"):
        parse_argv(["--fix-versions", "newest", "install", "x"], {})
    # A bad value in the environment does not stop a command that never retries.
    assert parse_argv(["--version"], {"SAFE_PIP_FIX_VERSIONS": "x"}).options.show_version


@pytest.mark.parametrize(
    ("argv", "environ", "backend"),
    [
        (["--torch-backend", "cu128", "install", "torch"], {}, "cu128"),
        (["--torch-backend=cpu", "install", "torch"], {}, "cpu"),
        (["install", "torch"], {"SAFE_PIP_TORCH_BACKEND": "auto"}, "auto"),
        (["--torch-backend", "cu126", "install", "torch"], {"SAFE_PIP_TORCH_BACKEND": "cpu"}, "cu126"),
        (["install", "torch"], {}, ""),  # nothing changes the index unless asked
        (["--torch-backend", "cpu", "doctor"], {}, ""),  # read by pip runs only
    ],
)
def test_torch_backend(argv: list[str], environ: dict[str, str], backend: str) -> None:
    assert parse_argv(argv, environ).options.torch_backend == backend


@pytest.mark.parametrize("value", ["cuda", "cu12", "cu1280", "rocm6.2", "CPU", "cu١٢٨"])
def test_a_bad_torch_backend_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError, match=f"--torch-backend takes auto, cpu or cuXYZ .*not {value!r}"):
        parse_argv(["--torch-backend", value, "install", "torch"], {})
    # `--version` and safe-pip's own commands do not read it.
    assert parse_argv(["--torch-backend", value, "doctor"], {}).command == "doctor"


def test_torch_backend_after_the_pip_command_is_safe_pips_own() -> None:
    assert misplaced_options(["torch", "--torch-backend", "cpu"]) == (("--torch-backend", "cpu"), ("torch",))
