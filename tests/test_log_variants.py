"""Every match fixture, rewritten the ways logs reach users (CI timestamps, Docker BuildKit, colours, CRLF,
Windows consoles, stray bytes), must give the same top rule with the same evidence line numbers."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from safe_pip.classify import classify_stream
from safe_pip.logtext import wrap_width
from safe_pip.rules import RuleSet, load_rules
from tests.conftest import fixture_log_text

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"
# A log copied with a CI web page's line numbers ("line-numbers" in its name) is itself such a variant: another
# prefix before its numbers is no format anyone pastes.
MATCH_LOGS = sorted(path for path in LOGS.glob("*/match-*.log") if "line-numbers" not in path.name)


@cache
def library() -> RuleSet:
    return load_rules()


def _per_line(prefix: Callable[[int], bytes]) -> Callable[[bytes], bytes]:
    def rewrite(data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join(prefix(n) + line if line else line for n, line in enumerate(lines))

    return rewrite


def _colour(data: bytes) -> bytes:
    data = re.sub(rb"\b(ERROR|error|Error)\b", lambda m: b"\x1b[1;31m" + m.group(1) + b"\x1b[0m", data)
    return _per_line(lambda n: b"\x1b[2K" if n % 3 == 0 else b"")(data)


def _cp1252_console(data: bytes) -> bytes:
    # pip's UTF-8 box glyphs shown by a console reading them as cp1252.
    for glyph in ("\u00d7", "\u2502", "\u2570\u2500>"):
        data = data.replace(glyph.encode(), glyph.encode().decode("cp1252", "replace").encode())
    return data


def _ascii_only(data: bytes) -> bytes:
    # pip on a console that cannot show its glyphs prints none.
    for glyph in ("\u00d7 ", "\u2502 ", "\u2570\u2500> "):
        data = data.replace(glyph.encode(), b"")
    return data


def _noise(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines.insert(0, b"\xff\xfe stray bytes \x00 from a broken terminal")
    return b"\n".join(lines)


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "github-actions": _per_line(lambda n: b"2024-05-01T10:23:%02d.1234567Z " % (n % 60)),
    "gitlab": _per_line(lambda n: b"2024-05-01T10:23:45.123456Z 00O "),
    "jenkins": _per_line(lambda n: b"[2024-05-01T10:23:45.123Z] "),
    "buildkit": _per_line(lambda n: b"#12 %d.%02d " % (n // 10, n % 100)),
    "crlf": lambda data: data.replace(b"\n", b"\r\n"),
    "colour": _colour,
    "cp1252-console": _cp1252_console,
    "ascii-only": _ascii_only,
}


def _top(data: bytes) -> tuple[str, list[int]] | None:
    diagnoses = classify_stream(io.BytesIO(data), library())
    if not diagnoses:
        return None
    return diagnoses[0].rule, [item.line for item in diagnoses[0].evidence]


@cache
def _top_as_is(path: Path) -> tuple[str, list[int]] | None:
    """The log's own diagnosis, made once per process for all its variants (it was made once per variant)."""
    return _top(fixture_log_text(path))


# One test per fixture folder (a rule's match logs) and variant, not one per variant over all the logs: the
# eight whole-corpus tests each took a minute or more, which pytest-xdist could not share between its workers.
# Folder by folder, each folder's variants next to each other (a worker gets them together and reads the
# log's own diagnosis once).
FOLDERS = sorted({path.parent.name for path in MATCH_LOGS})


def _logs_of(folder: str) -> list[Path]:
    return [path for path in MATCH_LOGS if path.parent.name == folder]


@pytest.mark.parametrize(
    ("folder", "variant"),
    [
        pytest.param(folder, variant, id=f"{variant}-{folder}")
        for folder in FOLDERS
        for variant in sorted(VARIANTS)
    ],
)
def test_variants_keep_the_diagnosis(folder: str, variant: str) -> None:
    changed = []
    for path in _logs_of(folder):
        data = fixture_log_text(path)
        if variant == "colour" and wrap_width(data[: 1 << 20]) is not None:
            continue  # a paste hard-wrapped by what displayed it was copied as text: it carries no colour codes
        if _top(VARIANTS[variant](data)) != _top_as_is(path):
            changed.append(path.relative_to(LOGS))
    assert changed == []


@pytest.mark.parametrize("folder", FOLDERS)
def test_leading_noise_shifts_every_line_number_by_one(folder: str) -> None:
    for path in _logs_of(folder):
        data = fixture_log_text(path)
        original, noisy = _top_as_is(path), _top(_noise(data))
        assert original is not None
        assert noisy == (original[0], [line + 1 for line in original[1]]), path
