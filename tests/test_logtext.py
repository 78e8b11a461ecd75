from __future__ import annotations

import pytest

from safe_pip.logtext import NumberedLine, clean_line, last_error_lines, looks_like_pip_output


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"\x1b[31mERROR: boom\x1b[0m", "ERROR: boom"),
        (b"\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\", "link"),
        (b"  10%\r  50%\r 100% done", " 100% done"),
        (b"line with crlf\r", "line with crlf"),
        (b"nul\x00byte", "nulbyte"),
        (b"bad \xff utf8", "bad \ufffd utf8"),
        (b"\xc3\x97 Building wheel", "\u00d7 Building wheel"),
    ],
    ids=["ansi-colour", "osc-hyperlink", "cr-redraw", "crlf", "nul", "invalid-utf8", "box-glyph"],
)
def test_clean_line(raw: bytes, text: str) -> None:
    assert clean_line(raw) == text


def _lines(text: str) -> list[NumberedLine]:
    return [NumberedLine(n, line) for n, line in enumerate(text.splitlines(), start=1)]


def test_last_error_lines_skip_boilerplate_and_keep_order() -> None:
    log = _lines(
        """\
Collecting fastmath
  Building wheel for fastmath (pyproject.toml): started
  error: subprocess-exited-with-error

  \u00d7 Building wheel for fastmath (pyproject.toml) did not run successfully.
  \u2502 exit code: 1
  \u2570\u2500> [3 lines of output]
      running build_ext
      error: command 'gcc' failed: No such file or directory
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for fastmath
Failed to build fastmath
"""
    )
    found = last_error_lines(log)
    assert [line.number for line in found] == [5, 9, 13, 14]
    assert found[1].text.strip() == "error: command 'gcc' failed: No such file or directory"


def test_last_error_lines_limit_keeps_the_last() -> None:
    log = _lines("\n".join(f"error {n}" for n in range(100)))
    assert [line.text for line in last_error_lines(log, limit=3)] == ["error 97", "error 98", "error 99"]


def test_no_error_lines_in_a_successful_log() -> None:
    log = _lines("Collecting x\nInstalling collected packages: x\nSuccessfully installed x-1.0\n")
    assert last_error_lines(log) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ERROR: No matching distribution found for x\n", True),
        ("Collecting x\n  error: subprocess-exited-with-error\n", True),
        ("/venv/bin/python: No module named pip\n", False),
        ("/bin/ls: cannot access 'pip': No such file or directory\n", False),
        ("", False),
    ],
    ids=["pip-error", "pip-build", "no-pip", "not-python", "silent"],
)
def test_looks_like_pip_output(text: str, expected: bool) -> None:
    assert looks_like_pip_output(_lines(text)) is expected
