"""A bounded copy of pip's output, kept in memory for diagnosis while the whole output goes to a log file.

pip can print gigabytes (a verbose CUDA build). What a diagnosis needs is the start (what was collected),
the end (the error box), and from the middle only the lines that look like errors or name a package. So the
buffer keeps the first `head_bytes`, the last `tail_bytes`, and, as text scrolls out of the tail, only the
middle lines that hold one of `KEEP_WORDS`, up to `kept_bytes`. Line numbers stay those of the full output, so
evidence cited from the capture points at the right line of the saved log.

pip writes to two streams. Each is split into lines on its own (`feed(chunk, source)`): a stdout line that
is still unfinished (progress dots without a newline) must not absorb an `ERROR:` line pip prints on stderr
meanwhile. A line is numbered by the line of the merged output (the saved log) on which it ends, so the
numbers stay consecutive whichever stream a line came from.

The buffer works on whole chunks with C-level byte operations (`count`, `find`); it never loops over
lines in Python except the few it keeps, so it keeps up with pip whatever the volume.
"""

from __future__ import annotations

from collections import deque

from safe_pip._value import FrozenValue

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["KEEP_WORDS", "CaptureBuffer", "CapturedLine"]

# Words that make a middle line worth keeping (matched in lower case): error words, and pip's own lines that
# name the package being built (the classifier finds the failing package from them).
#   "ERROR: Failed building wheel for psutil", "gcc: fatal error: Killed signal terminated program cc1plus",
#   "  Building wheel for psutil (pyproject.toml): started", "Collecting numpy==1.26.4"
# Plain substring searches, one per word: several times faster than one regex alternation in CPython.
KEEP_WORDS = (
    b"error",
    b"fail",
    b"fatal",
    b"killed",
    b"traceback",
    b"exception",
    b"no such file",
    b"not found",
    b"cannot",
    b"denied",
    b"undefined",
    b"no space",
    b"collecting ",
    b"building wheel",
    b"running setup.py",
    b"processing ",
)


class CapturedLine(FrozenValue):
    """One line of pip's output: its 1-based number in the whole output and its raw bytes (no newline)."""

    __slots__ = ("number", "raw")
    number: int
    raw: bytes

    def __init__(self, number: int, raw: bytes) -> None:
        self._set(number=number, raw=raw)


class CaptureBuffer:
    """Keeps a bounded, line-numbered selection of a byte stream fed to it in arbitrary chunks."""

    def __init__(
        self,
        *,
        head_bytes: int = 1 << 20,
        tail_bytes: int = 4 << 20,
        kept_bytes: int = 1 << 20,
        max_line_bytes: int = 16 << 10,
        on_first_error: Callable[[], None] | None = None,
    ) -> None:
        # Called once, with the first chunk that holds "rror" or "RROR" (error:, Error, ERROR:): a failure is
        # likely.
        self._on_first_error = on_first_error
        self._head_limit = head_bytes
        self._tail_limit = tail_bytes
        self._kept_limit = kept_bytes
        self._max_line = max_line_bytes
        self._head: list[bytes] = []  # blocks of complete lines
        self._head_size = 0
        self._head_lines = 0
        self._head_closed = False
        self._tail: deque[tuple[int, bytes]] = deque()  # (number of the block's first line, block)
        self._tail_size = 0
        self._kept: deque[CapturedLine] = deque()
        self._kept_size = 0
        self._dropped_lines = 0  # middle lines that were neither kept nor are in the tail
        # Each stream's unfinished last line, in the order they started, and whether it was clipped.
        self._pending: dict[int, bytes] = {}
        self._pending_truncated: set[int] = set()
        self._next_line = 1  # number of the first line not yet in a block
        self.total_bytes = 0

    @property
    def total_lines(self) -> int:
        """Lines seen so far, counting an unfinished last line."""
        return self._next_line - 1 + (1 if self._pending else 0)  # unfinished lines share the last line

    @property
    def dropped_lines(self) -> int:
        """How many lines from the middle of the output are in the log file but not in this buffer."""
        return self._dropped_lines

    def feed(self, chunk: bytes, source: int = 1) -> None:
        """Add the next bytes of output, from stream `source` (pip's stdout or stderr: any key per stream)."""
        self.total_bytes += len(chunk)
        # (pip's own "ERROR: No matching distribution found for x" holds no "rror": it is all capitals)
        if self._on_first_error is not None and (b"rror" in chunk or b"RROR" in chunk):
            announce, self._on_first_error = self._on_first_error, None
            announce()
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._add_to_pending(source, chunk)
            return
        started = self._pending.pop(source, b"")
        block = started + chunk[: cut + 1] if started else chunk[: cut + 1]
        self._pending_truncated.discard(source)
        self._add_to_pending(source, chunk[cut + 1 :])
        self._add_block(block)

    def head_lines_from(self, block: int, number: int) -> tuple[int, int, list[CapturedLine]]:
        """The head's lines from its block number `block` on (the first of which is line `number`), as
        `lines()` gives them, and the block and line numbers to ask from next. The head's blocks are only
        ever added to, never changed or dropped, so another thread may read them while `feed` runs."""
        blocks = self._head[block:]  # a copy: `feed` may add to the head meanwhile
        found = []
        for data in blocks:
            for raw in data.split(b"\n")[:-1]:
                found.append(CapturedLine(number, self._clip(raw)))
                number += 1
        return block + len(blocks), number, found

    def lines(self) -> Iterator[CapturedLine]:
        """Every kept line in output order: the head, the kept middle lines, the tail, the unfinished line."""
        number = 1
        for block in self._head:
            for raw in block.split(b"\n")[:-1]:
                yield CapturedLine(number, self._clip(raw))
                number += 1
        yield from self._kept
        for first, block in self._tail:
            for offset, raw in enumerate(block.split(b"\n")[:-1]):
                yield CapturedLine(first + offset, self._clip(raw))
        for pending in self._pending.values():
            yield CapturedLine(self._next_line, pending)

    def _add_to_pending(self, source: int, data: bytes) -> None:
        if not data or source in self._pending_truncated:
            return
        pending = self._pending.get(source, b"")
        room = self._max_line - len(pending)
        if len(data) > room:
            # A line longer than any error line (minified JSON, a progress bar drawn without newlines):
            # its start is enough for matching; the log file keeps all of it.
            data = data[:room]
            self._pending_truncated.add(source)
        self._pending[source] = pending + data

    def _add_block(self, block: bytes) -> None:
        count = block.count(b"\n")
        if not self._head_closed:
            room = self._head_limit - self._head_size
            if len(block) <= room:
                self._head.append(block)
                self._head_size += len(block)
                self._head_lines += count
                self._next_line += count
                return
            cut = block.rfind(b"\n", 0, room)
            if cut >= 0:
                part = block[: cut + 1]
                part_count = part.count(b"\n")
                self._head.append(part)
                self._head_size += len(part)
                self._head_lines += part_count
                self._next_line += part_count
                block = block[cut + 1 :]
                count -= part_count
            self._head_closed = True
        if len(block) > self._tail_limit:
            # More than the whole tail at once: the tail becomes its last lines, all before them is middle.
            start = block.find(b"\n", len(block) - self._tail_limit - 1) + 1
            while self._tail:
                self._evict_oldest()
            middle, block = block[:start], block[start:]
            self._keep_middle_lines(self._next_line, middle)
            self._next_line += middle.count(b"\n")
            count = block.count(b"\n")
            if not block:
                return
        self._tail.append((self._next_line, block))
        self._tail_size += len(block)
        self._next_line += count
        while self._tail_size > self._tail_limit and len(self._tail) > 1:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        first, old = self._tail.popleft()
        self._tail_size -= len(old)
        self._keep_middle_lines(first, old)

    def _keep_middle_lines(self, first: int, block: bytes) -> None:
        lowered = block.lower()
        starts: set[int] = set()
        for word in KEEP_WORDS:
            position = lowered.find(word)
            while position >= 0:
                start = lowered.rfind(b"\n", 0, position) + 1
                end = lowered.find(b"\n", position)
                starts.add(start)
                position = lowered.find(word, end) if end >= 0 else -1
        number, counted_to = first, 0
        for start in sorted(starts):
            # Count newlines only since the previous kept line: linear in the block.
            number += block.count(b"\n", counted_to, start)
            counted_to = start
            end = block.find(b"\n", start)
            line = CapturedLine(number, self._clip(block[start : end if end >= 0 else len(block)]))
            self._kept.append(line)
            self._kept_size += len(line.raw)
        self._dropped_lines += block.count(b"\n") - len(starts)
        while self._kept_size > self._kept_limit:
            # Keep the most recent matches: in a long build the root cause is usually near the end.
            self._kept_size -= len(self._kept.popleft().raw)
            self._dropped_lines += 1

    def _clip(self, raw: bytes) -> bytes:
        return raw[: self._max_line]
