"""Turn raw pip output into the text a person (or a rule) reads: no colours, no redraws, no NUL bytes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["NumberedLine", "clean_line", "last_error_lines", "looks_like_pip_output"]

# CSI sequences ("\x1b[31m", "\x1b[2K"), OSC sequences (terminal titles, hyperlinks: "\x1b]8;;url\x1b\\"),
# and two-byte escapes ("\x1b7").
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")

# A line that reports an error, in pip's words or a build tool's:
#   "ERROR: Failed building wheel for psutil", "error: command 'gcc' failed: No such file or directory",
#   "× Building wheel for psutil (pyproject.toml) did not run successfully.",
#   "fastmath.c:1:10: fatal error: Python.h: No such file or directory"
_ERROR_LINE = re.compile(r"(?i)(?:^|[\s:(\[])(?:error|fatal|failed|failure)\b|^\s*[×x] \S")
# pip's boilerplate around the real error, which says nothing about its cause:
#   "note: This error originates from a subprocess, and is likely not a problem with pip."
_BOILERPLATE = re.compile(
    r"(?i)^\s*(?:note|hint): |error: subprocess-exited-with-error|^\s*\[end of output\]"
)


# Lines only pip prints: "ERROR: ...", "Usage:", "Collecting x", "Looking in indexes: ...", and the new
# error boxes' "error: subprocess-exited-with-error".
_PIP_LINE = re.compile(
    r"^(?:ERROR: |WARNING: |error: |Usage:|Collecting |Processing |Looking in |Requirement already "
    r"|DEPRECATION: )"
)
# What python prints when the module is missing: "/venv/bin/python: No module named pip"
_NO_PIP = re.compile(r": No module named pip\b")


@dataclass(frozen=True)
class NumberedLine:
    number: int  # 1-based, in the whole log
    text: str


def clean_line(raw: bytes) -> str:
    """Decode one line of output and strip what a terminal would not show as text."""
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        # "\r" redraws a progress bar in place: what stays on screen is the last thing drawn.
        parts = [part for part in text.split("\r") if part.strip()]
        text = parts[-1] if parts else ""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def last_error_lines(lines: Iterable[NumberedLine], limit: int = 8) -> list[NumberedLine]:
    """The last `limit` lines that report an error, without pip's boilerplate notes, in order."""
    found: list[NumberedLine] = []
    for line in lines:
        if _ERROR_LINE.search(line.text) and not _BOILERPLATE.search(line.text):
            found.append(line)
            if len(found) > limit * 4:
                del found[: len(found) - limit]
    return found[-limit:]


def looks_like_pip_output(lines: Iterable[NumberedLine]) -> bool:
    """True when pip itself ran and printed (so a failure is pip's, not a missing pip or a non-Python)."""
    seen_pip = False
    for line in lines:
        if _NO_PIP.search(line.text):
            return False
        seen_pip = seen_pip or bool(_PIP_LINE.match(line.text))
    return seen_pip
