"""A comment the user typed at a shell prompt is not output (pastes-md-2026-12-02m): a paste that ends with
the command that now works and a note of the error it used to print is a success, and a note typed before a
failing command does not outrank what the command printed."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

_GUARD = "RuntimeError: Cannot install on Python version 3.13.0; only versions >=3.9,<3.13 are supported."
_SUCCESS = """Collecting numba==0.61.0
  Using cached numba-0.61.0-cp313-cp313-win_amd64.whl.metadata (2.8 kB)
Installing collected packages: numba
Successfully installed numba-0.61.0
"""


def _categories(text: str) -> list[str]:
    return [d.category for d in classify_stream(io.BytesIO(text.encode()), load_rules())]


@pytest.mark.parametrize(
    "prompt",
    [
        "PS C:\\Users\\jj> # earlier: ",
        "C:\\Users\\jj>REM earlier: ",
        "(venv) jj@box:~/proj$ # earlier: ",
        "root@pi:~# # earlier: ",
        "$ # ",
        "% # ",
    ],
    ids=["powershell", "cmd-rem", "bash-venv", "bash-root", "dollar", "zsh"],
)
def test_a_typed_note_of_an_old_error_after_a_success_is_no_diagnosis(prompt: str) -> None:
    assert _categories(_SUCCESS + prompt + _GUARD + "\n") == []


def test_the_same_line_as_output_after_the_success_is_still_read() -> None:
    assert _categories(_SUCCESS + _GUARD + "\n") == ["python-version-unsupported"]


def test_a_typed_note_before_a_failure_gives_way_to_what_the_command_printed() -> None:
    text = (
        "$ # last week: " + _GUARD + "\n"
        "$ pip install pycrypto==2.6.1\n"
        "Collecting pycrypto==2.6.1\n"
        "  Building wheel for pycrypto (setup.py) ... error\n"
        "      src/_fastmath.c:33:10: fatal error: longintrepr.h: No such file or directory\n"
        "  ERROR: Failed building wheel for pycrypto\n"
    )
    assert _categories(text)[0] == "build-backend-error"


def test_a_command_line_with_a_trailing_comment_is_not_a_typed_comment() -> None:
    # (only a line that is nothing but the comment is skipped: here the hit is pip's own output below)
    text = "$ pip install numba  # fails\n" + _GUARD + "\n"
    assert _categories(text) == ["python-version-unsupported"]
