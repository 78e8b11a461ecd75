"""The classifier's faster ways of asking its own expressions give what the expressions give."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from safe_pip import classify
from safe_pip.logtext import normalise_line

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"

# Lines at the edges: Unicode letters IGNORECASE folds to ASCII ones, word boundaries, anchors.
EDGES = (
    "ſubprocess-exited-with-error",
    "\u212aerror: a-b",
    "İerror",
    "ӧerror",
    "1error",
    "error1",
    "_error",
    "x_error y",
    "errors",
    "fatal",
    "Error: x",
    "ValueError: x",
    "error: a-b",
    "note: error",
    "warning: x error",
    "ERROR: Command errored out",
    "-Werror x error",
    "foo-Werror=1 error",
    "Running setup.py install for x ... error",
    'Command "python setup.py egg_info" failed with error code 1',
    "See above for output. error",
    "ＥＲＲＯＲ",
)


@cache
def _lines() -> tuple[str, ...]:
    found = set(EDGES)
    for log in LOGS.glob("**/*.log"):
        for raw in log.read_bytes().splitlines():
            text = normalise_line(raw)
            found.update((text, text.upper(), text.swapcase()))
    return tuple(sorted(found))


def test_is_build_error_is_the_expression() -> None:
    differ = [
        text
        for text in _lines()
        if classify._is_build_error(text, text.lower()) != (classify._BUILD_ERROR.search(text) is not None)
    ]
    assert differ == []


def test_is_not_evidence_is_the_expression() -> None:
    differ = [
        text
        for text in _lines()
        if classify._is_not_evidence(text, text.lower()) != (classify._NOT_EVIDENCE.search(text) is not None)
    ]
    assert differ == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("src/x.c:3:1: error: expected ';'", True),
        ("-Werror=format-security", False),
        ("RuntimeError: need FOO_ROOT", True),
        ("\u212aError: x", True),  # not ASCII: the expression itself
    ],
)
def test_is_build_error(text: str, expected: bool) -> None:
    assert classify._is_build_error(text, text.lower()) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ERROR: Command errored out with exit status 1", True),
        ("  × Getting requirements did not run successfully.", True),
        ("ſee above for output", True),  # not ASCII: the expression itself
        ("src/x.c:3:1: error: expected ';'", False),
    ],
)
def test_is_not_evidence(text: str, expected: bool) -> None:
    assert classify._is_not_evidence(text, text.lower()) is expected
