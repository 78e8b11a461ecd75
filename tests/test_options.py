from __future__ import annotations

import pytest

from safe_pip.options import GlobalOptions, Invocation, UsageError, parse_argv


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
