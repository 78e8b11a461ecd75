from __future__ import annotations

import random

import pytest

from safe_pip.capture import CaptureBuffer, CapturedLine


def _feed_in_chunks(buffer: CaptureBuffer, data: bytes, seed: int) -> None:
    rng = random.Random(seed)
    position = 0
    while position < len(data):
        size = rng.choice([1, 2, 7, 100, 4096, 70000])
        buffer.feed(data[position : position + size])
        position += size


def _numbered(data: bytes) -> dict[int, bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return dict(enumerate(lines, start=1))


def test_small_output_is_kept_whole_with_exact_line_numbers() -> None:
    data = b"Collecting x\n  error: boom\nlast line without newline"
    buffer = CaptureBuffer()
    _feed_in_chunks(buffer, data, seed=1)
    assert list(buffer.lines()) == [
        CapturedLine(1, b"Collecting x"),
        CapturedLine(2, b"  error: boom"),
        CapturedLine(3, b"last line without newline"),
    ]
    assert buffer.total_lines == 3
    assert buffer.total_bytes == len(data)
    assert buffer.dropped_lines == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_output_keeps_head_tail_and_middle_errors_with_their_numbers(seed: int) -> None:
    lines = [f"compiling file{n}.c with some flags".encode() for n in range(1, 50001)]
    lines[20000] = b"src/x.c:10:5: error: 'foo' undeclared"  # line 20001, in the middle
    lines[30000] = b"  Building wheel for pkg (setup.py): started"  # line 30001
    data = b"\n".join(lines) + b"\n"
    buffer = CaptureBuffer(head_bytes=4096, tail_bytes=8192, kept_bytes=4096)
    _feed_in_chunks(buffer, data, seed=seed)

    kept = list(buffer.lines())
    truth = _numbered(data)
    # Every kept line is the real line with that number.
    assert all(truth[line.number] == line.raw for line in kept)
    numbers = [line.number for line in kept]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    assert numbers[0] == 1
    assert numbers[-1] == 50000
    assert 20001 in numbers
    assert 30001 in numbers
    # An uninteresting middle line is dropped, and counted.
    assert 25000 not in numbers
    assert buffer.dropped_lines == 50000 - len(kept)
    stored = sum(len(line.raw) + 1 for line in kept)
    assert stored <= 4096 + 8192 * 2 + 4096


def test_kept_middle_lines_are_bounded_and_the_newest_win() -> None:
    data = b"".join(b"error number %d\n" % n for n in range(1, 100001))
    buffer = CaptureBuffer(head_bytes=1024, tail_bytes=1024, kept_bytes=2048)
    buffer.feed(data)
    kept = list(buffer.lines())
    assert sum(len(line.raw) for line in kept) < 1024 + 2048 + 1024 * 2
    assert kept[-1] == CapturedLine(100000, b"error number 100000")
    assert buffer.total_lines == 100000


def test_a_giant_line_is_clipped_but_numbering_continues() -> None:
    buffer = CaptureBuffer(max_line_bytes=100)
    buffer.feed(b"a" * 5000)
    buffer.feed(b"b" * 5000 + b"\nnext\n")
    kept = list(buffer.lines())
    assert kept[0].number == 1
    assert len(kept[0].raw) == 100
    assert kept[1] == CapturedLine(2, b"next")


def test_output_without_any_newline_is_kept() -> None:
    buffer = CaptureBuffer()
    buffer.feed(b"ERROR: x")
    assert list(buffer.lines()) == [CapturedLine(1, b"ERROR: x")]
    assert buffer.total_lines == 1


def test_empty_output() -> None:
    buffer = CaptureBuffer()
    buffer.feed(b"")
    assert list(buffer.lines()) == []
    assert buffer.total_lines == 0


def test_the_first_error_is_announced_once() -> None:
    announced: list[int] = []
    buffer = CaptureBuffer(on_first_error=lambda: announced.append(buffer.total_bytes))
    buffer.feed(b"Collecting psutil\n  Building wheel: started\n")
    assert announced == []
    buffer.feed(b"  ERROR: Failed building wheel for psutil\n")
    buffer.feed(b"error: command 'gcc' failed\n")
    assert len(announced) == 1
    assert [line.raw for line in buffer.lines()][-2:] == [
        b"  ERROR: Failed building wheel for psutil",
        b"error: command 'gcc' failed",
    ]


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"ERROR: No matching distribution found for nosuchthing\n", id="pip-capitals"),
        pytest.param(b"error: command 'gcc' failed\n", id="lower-case"),
        pytest.param(b"RuntimeError: boom\n", id="exception"),
    ],
)
def test_any_spelling_of_error_is_announced(line: bytes) -> None:
    announced: list[int] = []
    buffer = CaptureBuffer(on_first_error=lambda: announced.append(1))
    buffer.feed(b"Collecting nosuchthing\n")
    buffer.feed(line)
    assert announced == [1]


def test_an_unfinished_stdout_line_does_not_swallow_a_stderr_line() -> None:
    """pip prints progress dots on stdout without a newline, then `ERROR:` on stderr: the error stays a
    line of its own (numbered by the saved log's line it ends on), and the dots line goes on after it."""
    buffer = CaptureBuffer()
    buffer.feed(b"Collecting x\n  Running setup.py install ...", source=1)
    buffer.feed(b"ERROR: boom\n", source=2)
    buffer.feed(b". done\n", source=1)
    buffer.feed(b"ERROR: no newline", source=2)
    assert list(buffer.lines()) == [
        CapturedLine(1, b"Collecting x"),
        CapturedLine(2, b"ERROR: boom"),
        CapturedLine(3, b"  Running setup.py install .... done"),
        CapturedLine(4, b"ERROR: no newline"),
    ]
    assert buffer.total_lines == 4


def test_the_heads_lines_read_in_steps_are_those_lines_gives() -> None:
    """What the second thread reads while pip runs (head_lines_from, in as many steps as it likes) is the
    start of what lines() gives, numbers and clipping included; the head ends at its limit."""
    buffer = CaptureBuffer(head_bytes=64, tail_bytes=64, max_line_bytes=16)
    block, number, read = 0, 1, []
    for chunk in (
        b"Collecting a\nBuilding wheel",
        b" for a (setup.py): started\nx\n",
        b"y" * 40 + b"\n",
        b"z\n" * 40,
    ):
        buffer.feed(chunk)
        block, number, found = buffer.head_lines_from(block, number)
        read += found
    assert read == list(buffer.lines())[: len(read)]
    assert [line.number for line in read] == list(range(1, number))
    assert read[1].raw == b"Building wheel f"  # clipped as lines() clips it
    assert buffer.dropped_lines > 0  # the middle was dropped: the head's lines were not
    assert buffer.head_lines_from(block, number) == (block, number, [])
