"""safe-pip's own messages: on stderr, after pip's output, each line prefixed `safe-pip:`.

Colour only when stderr is a terminal and neither `NO_COLOR` nor `--no-color` says otherwise.
"""

from __future__ import annotations

import sys

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

    from safe_pip.classify import Diagnosis

__all__ = ["Console", "diagnoses_json", "diagnosis_lines"]

_STYLES = {"error": "1;31", "warning": "33", "note": "2", "title": "1", "ok": "32"}
# An evidence line longer than this is shown with its middle left out (pip's "from versions:" list of a
# project with hundreds of releases fills a screen); its start and end name what failed and the newest
# versions. JSON reports keep the whole line.
EVIDENCE_CHARS = 240
_EVIDENCE_TAIL = 60


class Console:
    def __init__(
        self, *, color: bool | None = None, quiet: int = 0, verbose: int = 0, stream: TextIO | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if color is None:
            color = _isatty(self.stream)
        self.color = color
        self.quiet = quiet
        self.verbose = verbose
        self._warned: set[str] = set()

    def style(self, text: str, style: str) -> str:
        if not self.color:
            return text
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"

    def say(self, text: str = "", *, style: str | None = None, level: int = 0) -> None:
        """Print one message line (or several); `level` 1 is shown only with -v."""
        if self.quiet or level > self.verbose:
            return
        self._emit(text, style)

    def error(self, text: str) -> None:
        """Errors are shown even with -q: they explain a non-zero exit code."""
        self._emit(f"{self.style('error:', 'error')} {text}", None)

    def warning(self, text: str) -> None:
        if self.quiet > 1:
            return
        self._emit(f"{self.style('warning:', 'warning')} {text}", None)

    def warning_once(self, text: str) -> None:
        """A warning that repeats itself (each attempt's) is shown the first time only."""
        if text not in self._warned:
            self._warned.add(text)
            self.warning(text)

    def _emit(self, text: str, style: str | None) -> None:
        from safe_pip.redact import redact

        prefix = self.style("safe-pip:", "title")
        try:
            for line in redact(text).splitlines() or [""]:
                body = self.style(line, style) if style and line else line
                try:
                    self.stream.write(f"{prefix} {body}\n" if body else f"{prefix}\n")
                except UnicodeEncodeError:
                    # A console that cannot show some character (box glyphs on a legacy code page).
                    encoding = getattr(self.stream, "encoding", None) or "ascii"
                    safe = f"{prefix} {body}\n".encode(encoding, "replace").decode(encoding)
                    self.stream.write(safe)
            self.stream.flush()
        except (OSError, ValueError):
            # stderr is closed or its reader left (`2>&1 | head -1`): nothing more can be said, and the run
            # still ends with pip's exit code rather than an error about the message.
            pass


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


def shorten_middle(text: str, limit: int = EVIDENCE_CHARS) -> str:
    """`text`, or when longer than `limit` its start and end around a note of how much was left out."""
    if len(text) <= limit:
        return text
    head = limit - _EVIDENCE_TAIL
    left_out = len(text) - head - _EVIDENCE_TAIL
    return f"{text[:head]} … [{left_out:,} characters] … {text[-_EVIDENCE_TAIL:]}"


def diagnosis_lines(diagnoses: Sequence[Diagnosis], *, console: Console | None = None) -> list[str]:
    """The human form of diagnoses: what failed, why (with evidence), and the commands that fix it."""

    def style(text: str, name: str) -> str:
        return console.style(text, name) if console is not None else text

    lines: list[str] = []
    for position, diagnosis in enumerate(diagnoses, start=1):
        where = f"rule {diagnosis.rule}, confidence {diagnosis.confidence:.2f}"
        head = f"likely cause: {diagnosis.category} ({where})"
        if len(diagnoses) > 1:
            head = f"{position}. {head}"
        lines.append(style(head, "title"))
        lines.append(f"  {diagnosis.summary}")
        for item in diagnosis.evidence:
            lines.append(style(f"  line {item.line}: ", "note") + shorten_middle(item.text))
        if diagnosis.hint:
            lines.append(f"  hint: {diagnosis.hint}")
        for fix in diagnosis.fixes:
            if not fix.command:
                lines.append(f"  fix: {fix.title}")
                continue
            if fix.safety == "unsafe":
                label = style("  unsafe, not recommended: ", "warning")
            elif fix.auto:
                label = "  fix (safe to apply automatically): "
            else:
                label = "  fix: "
            lines.append(f"{label}{fix.command}")
            lines.append(style(f"      {fix.title}", "note"))
    return lines


def diagnoses_json(diagnoses: Sequence[Diagnosis], version: str) -> dict[str, object]:
    """The contract's `diagnose --json` object."""
    return {
        "schema_version": 1,
        "safe_pip_version": version,
        "diagnoses": [diagnosis.to_json() for diagnosis in diagnoses],
    }
