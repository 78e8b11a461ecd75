from __future__ import annotations

import io

import pytest

from safe_pip.render import Console


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "color", "coloured"),
    [(_Terminal(), None, True), (io.StringIO(), None, False), (_Terminal(), False, False)],
    ids=["terminal", "pipe", "no-color"],
)
def test_colour_only_on_a_terminal_and_never_when_turned_off(
    stream: io.StringIO, color: bool | None, coloured: bool
) -> None:
    Console(color=color, stream=stream).error("boom")
    assert ("\x1b[" in stream.getvalue()) is coloured
    assert stream.getvalue().endswith("boom\n")


def test_every_line_is_prefixed_and_quiet_keeps_errors() -> None:
    stream = io.StringIO()
    console = Console(color=False, stream=stream)
    console.say("one\ntwo")
    assert stream.getvalue() == "safe-pip: one\nsafe-pip: two\n"
    quiet = io.StringIO()
    Console(color=False, quiet=1, stream=quiet).say("hidden")
    Console(color=False, quiet=1, stream=quiet).error("shown")
    assert quiet.getvalue() == "safe-pip: error: shown\n"


def test_a_console_that_cannot_encode_a_character_gets_a_replacement() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    Console(color=False, stream=stream).say("box \u2502 glyph")
    stream.flush()
    assert raw.getvalue() == b"safe-pip: box ? glyph\n"


def test_a_long_evidence_line_keeps_its_start_and_end_and_says_what_was_left_out() -> None:
    from safe_pip.classify import Diagnosis, Evidence
    from safe_pip.render import EVIDENCE_CHARS, diagnosis_lines

    listed = ", ".join(f"0.{n}.0" for n in range(400))
    long_line = (
        f"ERROR: Could not find a version that satisfies the requirement x==9 (from versions: {listed})"
    )
    short_line = "ERROR: No matching distribution found for x==9"
    diagnosis = Diagnosis(
        rule="r",
        category="no-matching-distribution",
        confidence=0.9,
        package="x",
        summary="s",
        hint="",
        evidence=(Evidence(1, long_line), Evidence(2, short_line)),
        fixes=(),
    )
    shown = [line for line in diagnosis_lines([diagnosis]) if line.startswith("  line ")]
    assert shown[1] == f"  line 2: {short_line}"
    first = shown[0].removeprefix("  line 1: ")
    assert first.startswith(
        "ERROR: Could not find a version that satisfies the requirement x==9 (from versions:"
    )
    assert first.endswith("0.398.0, 0.399.0)")
    left_out = len(long_line) - EVIDENCE_CHARS
    assert f"[{left_out:,} characters]" in first
    assert len(first) < EVIDENCE_CHARS + 40
    assert diagnosis.to_json()["evidence"] == [  # the JSON report keeps every character
        {"line": 1, "text": long_line},
        {"line": 2, "text": short_line},
    ]
