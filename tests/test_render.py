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
