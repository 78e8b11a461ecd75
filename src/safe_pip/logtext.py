"""Turn raw pip output into numbered lines of plain text, as a rule (or a person) reads them.

A log can be anything a user pastes: colours, CI timestamps, CRLF, progress redraws, invalid UTF-8, NUL bytes,
pip's box glyphs and indentation, gigabytes of compiler output. It is read in blocks; line numbers are those
of the input (1-based, one per "\\n"). Only lines that hold a keyword are decoded and normalised
(`scan_block`), which is what keeps a 1 GB log fast: everything else stays bytes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = [
    "MAX_LINE_CHARS",
    "NumberedLine",
    "clean_line",
    "iter_lines",
    "last_error_lines",
    "line_numbering",
    "looks_like_pip_output",
    "normalise_line",
    "normalise_with_indent",
    "plain_block",
    "read_blocks",
    "scan_block",
    "scan_spans",
    "unnumber_blocks",
    "unwrap_blocks",
    "utf16_encoding",
    "word_wrap_width",
    "wrap_width",
]

# Matching looks at most this much of a line, so no pattern can run away on a 50 MB line.
MAX_LINE_CHARS = 4096
_BLOCK = 1 << 20
# Of a line longer than this, only the start is kept (the rest is skipped up to the next newline).
_MAX_RAW_LINE = 64 << 10

# CSI sequences ("\x1b[31m", "\x1b[2K"), OSC sequences (terminal titles, hyperlinks: "\x1b]8;;url\x1b\\"),
# two-byte escapes ("\x1b7"), and CSI as its one C1 character ("\x9b31m").
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]"
)
_ANSI_BYTES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")

# Prefixes that CI systems and Docker put before each line, removed repeatedly from the start:
#   GitHub Actions, Azure: "2024-05-01T10:23:45.1234567Z "   GitLab: "2024-05-01T10:23:45.123456Z 00O "
#   Jenkins timestamper: "[2024-05-01T10:23:45.123Z] " or "10:23:45  "   BuildKit: "#12 34.56 "
#   docker buildx's error summary, the failed step's last lines after their seconds alone: "34.52 error: ..."
#   Azure/GitHub annotations: "##[error]", "::error::"   GitLab sections: "section_start:1714558000:step\r"
#   pipenv, which re-prints pip's output line by line after its exception's name:
#   "[pipenv.exceptions.InstallError]:   Running setup.py install for x ... error"
#   A Markdown quote around a paste: "> " (nested "> > "), or ">" glued to the text (">error: ...", which
#   GitHub renders as a quote too), not Python's prompt ">>> import x"
_CI_PREFIX = re.compile(
    r"^(?:>(?: >)*(?: |$|(?=[^\s>=]))"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?(?: \d\d[OE]\+?)? ?"
    r"|\[\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?\] ?"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)? +"
    r"|#\d+ \d+(?:\.\d+)? "
    r"|\d{1,5}\.\d{1,3} "
    r"|##\[(?:error|warning|section|debug|command|group|endgroup)\]"
    r"|::(?:error|warning|notice|debug)[^:]*::"
    r"|section_(?:start|end):\d+:[\w.-]+(?:\[[^\]]*\])?"
    r"|\[pipenv\.exceptions\.\w+\]: ?)"
)
# pip's boxes: "× Building wheel ...", "│ exit code: 1", "╰─> [6 lines of output]", the same glyphs read as
# cp1252 by a Windows console ("Ã—", "â”‚", "â•°â”€>"), and ASCII stand-ins some CI log viewers substitute;
# uv's chain of causes (uv < 0.9): "× Failed to build `x==1.0`", "├─▶ The build backend returned an error",
# "╰─▶ Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)"; and the same chain as uv 0.13
# prints it when its output is not a terminal (a CI log, `uv ... 2>&1 | tee`, nox and hatch running uv):
# "  cause: Connection refused (os error 111)" (_UV_CAUSE).
_BOX = re.compile(r"^(?:×|│|╰─>|[├╰]─▶|Ã—|â”‚|â•°â”€>|\|(?= )|\+->|cause:(?= ))\s*")
_UV_CAUSE = "cause: "
# pip's download progress bar, which what comes next may be glued to when pip printed no newline (the shell's
# "Killed" when the kernel ended pip): the bar, the size, the speed and the time left, each as pip drew them
#   pip 10-21:  "|████████████████████████████████| 500 MB 1.2 MB/s eta 0:00:01Killed"
#   pip 9:      "100% |████████████████████████████████| 500.1MB 1.2MB/s eta 0:00:01Killed"
#   pip 22+:    "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 500.0/500.0 MB 1.2 MB/s eta 0:00:01Killed"
#   --progress-bar ascii: "|################################| 500 MB 1.2 MB/s eta 0:00:01"
# pip 9 draws the percentage it reached: a pip killed during a download leaves "99% |███████▉ | ...Killed".
_PROGRESS = re.compile(
    r"^(?:\d{1,3}% )?(?:\|[█▉▊▋▌▍▎▏#. -]*\||[━╸╺╾╼-]{3,}) +[\d.]+(?:/[\d.]+)? ?[kMGT]?i?B\b"
    r"(?: +[\d.]+ ?[kMGT]?i?B/s)?(?: +eta (?:\d+:)?\d+:\d\d)? *"
)


# How a progress bar line starts (cheap to check before the regex on every line normalised).
_PROGRESS_STARTS = frozenset("|━╸0123456789")
# How the first character of a line with a CI prefix (_CI_PREFIX; "section_" aside) can be, and of an ASCII
# line with a progress bar or a box glyph (_PROGRESS, _BOX): other lines skip those expressions.
_PREFIX_STARTS = frozenset("0123456789[#:>")
_ASCII_MARK_STARTS = frozenset("|+")
# What a terminal would act on rather than show, once colours are gone: C0 controls but tab (BS and BEL
# rewrite or ring), DEL, C1 controls (U+009B is a one-character CSI), and the bidirectional marks, embeddings,
# overrides and isolates that reorder what is shown (U+202E makes `gpj.exe` read `exe.jpg`), and the Unicode
# line separators. A log line carries them only to mislead: they never reach safe-pip's own messages.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class NumberedLine:
    """One normalised line of a log and its number."""

    number: int  # 1-based, in the whole log
    text: str


def clean_line(raw: bytes) -> str:
    """Decode one line and strip what a terminal would not show as text (colours, redraws, controls)."""
    if b"\r" in raw:
        # "\r" redraws a progress bar in place: what stays on screen is the last thing drawn.
        parts = [part for part in raw.split(b"\r") if part.strip()]
        raw = parts[-1] if parts else b""
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    if not text.isprintable():  # fast for the usual line; every character above is not printable
        text = _CONTROLS.sub("", text)
    return text


def _last_drawn(raw: bytes) -> bytes:
    """Of a line redrawn with "\\r", the last part that holds more than spaces (as `clean_line` keeps)."""
    end = len(raw)
    while end > 0:
        start = raw.rfind(b"\r", 0, end) + 1
        if raw[start:end].strip():
            return raw[start:end]
        end = start - 1
    return b""


# BuildKit's plain progress prints a step's header, then each line of its output as a record of its own,
# "#8 1.884 " before it; a viewer or a log collector that lost the newline after the header glues the step's
# first record to it (heroku/alpinehelloworld#28's paste):
#   "#8 [4/7] RUN pip3 install -q -r /tmp/requirements.txt #8 1.884 error: externally-managed-environment"
# The line's text is then what follows the header's command: the record a rule reads from the margin. (Records
# glued to each other are left as they are: the first one's text is the line's, as before.)
_STEP_HEADER = re.compile(r"(?:#\d{1,5} )?\[(?:[\w.-]+ +)?\d+/\d+\] ")
_GLUED_RECORD = re.compile(r"\s#\d{1,5} \d{1,6}\.\d{1,3} ")


def _after_step_header(text: str) -> str:
    """`text` without a BuildKit step header glued before its first record (see _GLUED_RECORD)."""
    record = _GLUED_RECORD.search(text)
    return text[record.end() :] if record else text


def normalise_line(raw: bytes) -> str:
    """The text rules match: clean, without CI prefixes, pip's box glyphs or indentation, at most 4 KiB."""
    return normalise_with_indent(raw)[0]


def normalise_with_indent(raw: bytes) -> tuple[str, int]:
    """`normalise_line`, and how far the line was indented after any CI prefix: pip prints its own progress
    lines near the margin and a subprocess's output further in, so indentation tells them apart."""
    if len(raw) > MAX_LINE_CHARS * 4 and b"\r" in raw:
        raw = _last_drawn(raw)  # a line redrawn in place: what is left on screen
    raw = raw[: MAX_LINE_CHARS * 4]
    if raw.isascii():
        # The usual line (printable ASCII, no CI prefix, progress bar or box glyph at its start): only its
        # indentation goes, without a regular expression (the same result as below, in a tenth of the time).
        text = raw.decode("ascii")
        if text.isprintable() and text[:1] not in _PREFIX_STARTS and not text.startswith("section_"):
            stripped = text.lstrip()
            if stripped[:1] not in _ASCII_MARK_STARTS and not (
                stripped[:1].isdigit() and stripped.find("% |", 1, 6) > 0  # pip 9's "99% |###|"
            ):
                indent = len(text) - len(stripped)
                if stripped.startswith(_UV_CAUSE):  # _BOX's label of uv's chain, without its expression
                    stripped = stripped[len(_UV_CAUSE) :].lstrip()
                return stripped.rstrip()[:MAX_LINE_CHARS], indent
    text = clean_line(raw)
    while True:
        match = _CI_PREFIX.match(text)
        if not match or not match.end():
            break
        text = text[match.end() :]
    if text[:1] in "#[" and " #" in text and _STEP_HEADER.match(text):
        text = _after_step_header(text)
    stripped = text.lstrip()
    indent = len(text) - len(stripped)
    text = stripped.rstrip()
    if text[:1] in _PROGRESS_STARTS and (not text[:1].isdigit() or text.find("% |", 1, 6) > 0):
        match = _PROGRESS.match(text)
        if match:
            text = text[match.end() :]
    match = _BOX.match(text)
    if match:
        text = text[match.end() :]
    return text[:MAX_LINE_CHARS], indent


# Windows PowerShell 5.1 writes what `>`, `Tee-Object` and `Out-File` save in UTF-16LE with a byte order mark
# (`pip install x > pip.log`), and so does Notepad's "Unicode"; a log saved so is read as UTF-8 from its first
# bytes on (its "\n" code units become the same "\n" bytes: every line keeps its number).
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Without a byte order mark: text whose every second byte is NUL, at least this many characters of it.
_UTF16_SAMPLE_CHARS = 16


def utf16_encoding(start: bytes) -> str | None:
    """The codec of a log in UTF-16 that starts with `start` ("utf-16" when a byte order mark says which
    order, which the codec then drops), or None: a log of ASCII text in UTF-16 without a mark has a NUL at
    every odd byte (little-endian) or every even one (big-endian), and hardly ever one at the others; a UTF-8
    log with a few NUL bytes in it has neither."""
    if start[:2] in _UTF16_BOMS:
        # pip's lines are mostly ASCII: in UTF-16 a NUL is the high byte of most code units. A mark followed
        # by anything else is two stray bytes at the start of a UTF-8 log (a broken terminal's).
        body = start[2 : 4096 & ~1]
        high = body[1::2] if start[:2] == b"\xff\xfe" else body[0::2]
        if high and high.count(0) * 2 >= len(high):
            return "utf-16"
    sample = start[: 4096 & ~1]
    chars = len(sample) // 2
    if chars < _UTF16_SAMPLE_CHARS:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd * 10 >= chars * 9 and even * 10 <= chars:
        return "utf-16-le"
    if even * 10 >= chars * 9 and odd * 10 <= chars:
        return "utf-16-be"
    return None


def _chunks(stream: BinaryIO, block_size: int) -> Iterator[bytes]:
    """The stream's bytes in chunks of about `block_size`, as UTF-8 when the log is in UTF-16."""
    data = stream.read(block_size)
    while 0 < len(data) < 4096:  # enough of the start to tell, whatever the block size
        more = stream.read(block_size)
        if not more:
            break
        data += more
    encoding = utf16_encoding(data) if data else None
    if encoding is None:
        while data:
            yield data
            data = stream.read(block_size)
        return
    # Chunks may end inside a character: the incremental decoder keeps the odd byte for the next one.
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    while data:
        yield decoder.decode(data).encode("utf-8")
        data = stream.read(block_size)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8")


def read_blocks(stream: BinaryIO, block_size: int = _BLOCK) -> Iterator[bytes]:
    """Blocks of whole lines (each ends with "\\n", except perhaps the last), with bounded memory.

    A line longer than 64 KiB keeps its first 64 KiB; the rest of it is skipped, so line numbers stay right.
    Of such a line redrawn in place with "\\r" (a progress bar in a terminal's capture: pip 9 redraws
    "57% |████▎ | 24.0MB 2.1MB/s eta 0:00:09" hundreds of times on one line), what was left on screen is
    kept too, after a "\\r": the shell's "Killed" or pip's next words glued to the bar are there.
    A log in UTF-16 (`utf16_encoding`) is given as UTF-8.
    """
    pending = b""
    skipping = False  # inside the unkept rest of an overlong line
    drawn = _Redrawn()
    for chunk in _chunks(stream, block_size):
        data = chunk
        if skipping:
            cut = data.find(b"\n")
            drawn.follow(data if cut < 0 else data[:cut])
            if cut < 0:
                continue
            yield drawn.line(pending)
            pending = b""
            data = data[cut + 1 :]
            skipping = False
        data = pending + data if pending else data
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            pending = data[cut + 1 :]
            yield data[: cut + 1]
        if len(pending) > _MAX_RAW_LINE:
            drawn = _Redrawn()
            drawn.follow(pending)
            pending = pending[:_MAX_RAW_LINE]
            skipping = True
    if skipping:
        yield drawn.line(pending)[:-1]
    elif pending:
        yield pending


class _Redrawn:
    """Follows an overlong line's parts between "\\r"s (each bounded): the last part with text is what a
    terminal shows of the line at its end."""

    def __init__(self) -> None:
        self.current = b""  # since the last "\r" (at most 64 KiB)
        self.last = b""  # the last whole part that held more than spaces
        self.redrawn = False

    def follow(self, data: bytes) -> None:
        if b"\r" not in data:
            if len(self.current) < _MAX_RAW_LINE:
                self.current = (self.current + data)[:_MAX_RAW_LINE]
            return
        self.redrawn = True
        first, *middle, rest = data.split(b"\r")
        whole = (self.current + first)[:_MAX_RAW_LINE]
        if whole.strip():
            self.last = whole
        for part in reversed(middle):
            if part.strip():
                self.last = part[:_MAX_RAW_LINE]
                break
        self.current = rest[:_MAX_RAW_LINE]

    def line(self, head: bytes) -> bytes:
        """The kept line: its first 64 KiB, then what was left on screen of a redrawn line."""
        if not self.redrawn:
            return head + b"\n"
        shown = self.current if self.current.strip() else self.last
        return head + b"\r" + shown + b"\n"


# A log pasted through a viewer, a mail or a terminal that hard-wraps at a fixed width (`fold -w 80`, a CI
# page copied at 120 columns) cuts each longer line into pieces of exactly that many characters: "[Errno 111]
# Connection refused" ends one line and starts the next. The width is read from the start of the log: no line
# longer than it, and enough lines exactly that long (a log nobody wrapped has a command line of 300
# characters long before its 400th line, or too few lines of one same longest length).
_WRAP_SAMPLE = 256 << 10
_WRAP_MIN, _WRAP_MAX = 60, 240
_WRAP_MIN_LINES = 3
_WRAP_USUAL = frozenset((80, 100, 120, 132, 160))
# A CI prefix on a continuation piece (added after the wrap) goes before the piece is joined on. A Markdown
# quote counts as a prefix only where the width is counted after the prefixes (the paste was wrapped, then
# quoted line by line): elsewhere a piece may start with "> " of its own text.
_CI_PREFIX_BYTES = re.compile(_CI_PREFIX.pattern.replace(r">(?: >)*(?: |$|(?=[^\s>=]))|", "", 1).encode())
_LINE_PREFIX_BYTES = re.compile(_CI_PREFIX.pattern.encode())
_QUOTE_BYTES = re.compile(rb">(?: >)*(?: |$)")


def _prefix_end(line: bytes, unprefixed: bool) -> int:
    """Where the text of a raw line starts after its CI prefix; after all its prefixes (a quote, then a
    timestamp, or the other way round) when the width is counted after them (`unprefixed`)."""
    if not unprefixed:
        prefix = _CI_PREFIX_BYTES.match(line)
        return prefix.end() if prefix else 0
    end = 0
    for _ in range(4):
        prefix = _LINE_PREFIX_BYTES.match(line[end:])
        if not prefix or not prefix.end():
            break
        end += prefix.end()
    return end


def _width(line: bytes, unprefixed: bool = False) -> int:
    """The characters of a raw line as a viewer counts them (CR and the newline aside), after its CI prefix
    when `unprefixed` (a log wrapped first, then timestamped line by line)."""
    line = line.rstrip(b"\r")
    if unprefixed:
        line = line[_prefix_end(line, True) :]
    return len(line) if line.isascii() else len(line.decode("utf-8", "replace"))


# pip's progress bar (pip >= 22, rich): "━━━━━━━━ 2.2/2.2 MB 59.0 MB/s eta 0:00:00", 3 bytes a glyph: no text
# a wrap cut, whatever its length in bytes.
_BAR_GLYPH = "━".encode()


def _full(line: bytes, width: int, unprefixed: bool) -> bool:
    """The line is a whole piece of a wrap at `width`: that many characters (a viewer, a terminal), or that
    many bytes (`fold`, which counts bytes and may cut a character in two: joining the bytes mends it)."""
    if _BAR_GLYPH in line:
        return False
    line = line.rstrip(b"\r")
    if unprefixed:
        line = line[_prefix_end(line, True) :]
    return len(line) == width or (not line.isascii() and len(line.decode("utf-8", "replace")) == width)


def wrap_width(sample: bytes) -> tuple[int, bool] | None:
    """The width the log in `sample` (its start) was hard-wrapped at, and whether it is counted after each
    line's CI prefix; None when it looks unwrapped."""
    lines = sample[:_WRAP_SAMPLE].split(b"\n")
    if len(sample) > _WRAP_SAMPLE or not sample.endswith(b"\n"):
        lines.pop()  # cut by the sample or the block: its width is unknown
    if len(lines) < 1:
        return None
    # Cheap first: the longest line in bytes (a character takes 1 to 4 of them, CR one more; a CI prefix
    # takes at most 40).
    longest = max(map(len, lines))
    if longest < _WRAP_MIN or longest > 4 * _WRAP_MAX + 41:
        return None
    lines = [line for line in lines if line.strip()]
    for unprefixed in (False, True):
        widths = [_width(line, unprefixed) for line in lines]
        # The widest line in characters (a viewer's columns), or in bytes when that is a line of other than
        # ASCII (`fold` counts bytes: its pieces of Cyrillic or Chinese text are shorter in characters; and no
        # line of a log it folded is longer in bytes).
        sizes = [len(_unprefixed(line) if unprefixed else line.rstrip(b"\r")) for line in lines]
        widest_bytes = max((size for size, line in zip(sizes, lines) if _BAR_GLYPH not in line), default=0)
        if not any(size == widest_bytes and not line.isascii() for size, line in zip(sizes, lines)):
            widest_bytes = 0
        for widest in dict.fromkeys((max(widths, default=0), widest_bytes)):
            if _WRAP_MIN <= widest <= _WRAP_MAX and _wrapped_at(lines, widest, unprefixed, len(widths)):
                return widest, unprefixed
    return None


# A mail or a web form that wraps a paste at words (Python's textwrap, a mail client at 72 or 76 columns, a
# format=flowed message) cuts a longer line at a space before the width, not at the width: its pieces are
# shorter than the width, each ends with the space it was cut at (the space stays on the line it fits on), and
# the word that starts the next piece did not fit after it. A log nobody wrapped seldom ends a line with a
# space, and much more seldom one whose next line's first word would reach past the longest line: the width
# is the longest line, and enough lines (3, or 1 in a short log at a width mail and terminals use) end with a
# space whose next word does not fit, nearly every line that ends with a space among them.
_WORD_WRAP_MIN_LINES = 3
_WORD_WRAP_USUAL = frozenset((70, 72, 75, 76, 78, 79, 80))
_LEADING_CHUNK = re.compile(rb"[ \t]+|[^ \t]+")


def _chars(text: bytes) -> int:
    return len(text) if text.isascii() else len(text.decode("utf-8", "replace"))


def _cut_at_space(line: bytes, following: bytes, width: int) -> bool:
    """`line` is a piece of a line wrapped at words at `width`: it ends with the space the wrap cut at, and
    the first word (or run of spaces) of `following` would have taken it past the width."""
    line = line.rstrip(b"\r")
    if not line.endswith((b" ", b"\t")) or not line.strip():
        return False
    chunk = _LEADING_CHUNK.match(following.rstrip(b"\r"))
    return chunk is not None and _chars(line) + _chars(chunk.group()) > width


def word_wrap_width(sample: bytes, width: int | None = None) -> int | None:
    """The width the log in `sample` (its start) was wrapped at words at (see `_cut_at_space`), or whether
    it was at `width` when given (a log `wrap_width` found cut at a width may also be cut at words: a long
    URL is cut at the width, the text around it at spaces); None when it looks not wrapped at words."""
    lines = sample[:_WRAP_SAMPLE].split(b"\n")
    if len(sample) > _WRAP_SAMPLE or not sample.endswith(b"\n"):
        lines.pop()  # cut by the sample or the block: its width is unknown
    lines = [line.rstrip(b"\r") for line in lines]
    if width is None:
        width = max(map(_chars, lines), default=0)  # in characters, as a mail client counts them
    if not _WRAP_MIN <= width <= _WRAP_MAX:
        return None
    trailing = cut = 0
    for line, following in zip(lines, lines[1:]):
        if line.endswith((b" ", b"\t")) and line.strip():
            trailing += 1
            cut += _cut_at_space(line, following, width)
        elif _chars(line) == width and following[:1] == b" " and following[1:2].strip():
            cut += 1  # a word ended at the width: the space it was cut at starts the next piece
    # At a width mail and terminals use, in a log of up to 100 lines, one line cut is enough when every line
    # ending with a space is one (a short paste with its one long error line).
    few = width in _WORD_WRAP_USUAL and len(lines) <= 100
    if (
        cut < (1 if few else _WRAP_MIN_LINES)
        or cut * 10 < trailing * 9
        or (cut < _WRAP_MIN_LINES and cut < trailing)
    ):
        return None
    return width


def _unprefixed(line: bytes) -> bytes:
    line = line.rstrip(b"\r")
    return line[_prefix_end(line, True) :]


def _wrapped_at(lines: list[bytes], widest: int, unprefixed: bool, count: int) -> bool:
    """The lines (none longer than `widest`) look cut into pieces of `widest`: pieces of one width, not lines
    that happen to be the longest."""
    full = [_full(line, widest, unprefixed) for line in lines]
    at_width = full.count(True)
    # At least 3 and 1 line in 30; in a log of up to 100 lines (one or two lines longer than the window) one
    # or two are enough at a width terminals and viewers use.
    few = at_width < _WRAP_MIN_LINES
    if (few and (widest not in _WRAP_USUAL or count > 100)) or (not few and at_width * 30 < count):
        return False
    # A wrap does not indent what it carries over: most pieces after a full one start at the margin, or one
    # space in when the cut fell before a space (all of them, and none as a line of pip's own, when one or
    # two pieces are all there is to go by); pip indents a build's output by two or more.
    after = [_piece_start(lines[i + 1], unprefixed) for i, whole in enumerate(full[:-1]) if whole]
    if not after:
        return False
    margin = [text for text in after if text and not text[:2].isspace()]
    if few and (len(margin) < len(after) or any(_PIP_MESSAGE.match(text) for text in margin)):
        return False
    return len(margin) * 2 >= len(after)


def _piece_start(line: bytes, unprefixed: bool) -> str:
    """The start of a line after its CI prefix, as text without colours; "" for a line that cannot be a piece
    carried over: one with a CI prefix of its own when the width was counted with the prefixes (a viewer
    that wraps prefixed lines prefixes only the first piece)."""
    if not unprefixed:
        prefix = _CI_PREFIX_BYTES.match(line)
        if prefix and prefix.end():
            return ""
    text = line[_prefix_end(line, True) if unprefixed else 0 :][:80].decode("utf-8", "replace")
    return _ANSI.sub("", text) if "\x1b" in text else text  # a colour or "erase line" before the margin


def _continues(lines: list[bytes], index: int, width: int, unprefixed: bool, words: bool) -> bool:
    """`lines[index]` is a piece whose line goes on on the next line: as wide as the wrap, or (`words`) cut
    at a space before it."""
    line = lines[index]
    if _full(line, width, unprefixed):
        return True
    return words and index + 1 < len(lines) and _cut_at_space(line, lines[index + 1], width)


def _unwrap(lines: list[bytes], width: int, unprefixed: bool, words: bool = False) -> list[bytes]:
    """Each line `width` characters long (or, `words`, cut at a space before it: see `_cut_at_space`) joined
    with the line after it (and on, while the pieces go on), at the line of its last piece, the lines of the
    other pieces left empty: every line keeps its number. The space a wrap at words cut at stayed on its
    piece, so the pieces are joined as they are."""
    out: list[bytes] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not _continues(lines, index, width, unprefixed, words):
            out.append(line)
            index += 1
            continue
        index += 1
        joined = [line.rstrip(b"\r")]
        # A paste quoted after the wrap, its width counted with the quote: the pieces carry it too.
        quoted = unprefixed or _QUOTE_BYTES.match(line) is not None
        spare = 0
        while index < len(lines) and _continues(lines, index - 1, width, unprefixed, words):
            piece = lines[index]
            # A mail or a form wraps the text it was given, prefixes and all: only a viewer's pieces carry a
            # prefix of their own ("23.1 will enforce" at a piece's start is text, not a CI timer).
            start = 0 if words else _prefix_end(piece, quoted)
            joined.append(piece[start:].rstrip(b"\r"))
            spare += 1
            index += 1
        # The whole line goes where its last piece was, so that the line after it still follows it (a rule
        # reading a message over two lines); the pieces before are left empty.
        out.extend([b""] * spare)
        out.append(b"".join(joined))
    return out


# A log copied from a web viewer that numbers its lines (GitLab's and GitHub Actions' job pages, Travis') has
# the viewer's number before each line, consecutive, followed by a space or a tab or glued to the text:
#   "23 $ pip install numpy==1.10.4"   "25   Downloading https://…"   "218Traceback (most recent call last):"
# Read from the log's start: the first line's number is a prefix of its leading digits, and that many lines
# of the sample carry the numbers that follow it.
_NUMBERED_MIN_LINES = 8
_NUMBERED_SAMPLE_LINES = 200
_LEADING_DIGITS = re.compile(rb"\d{1,9}")
_NUMBER_GAP = 10000  # a number further ahead than this is text, not a viewer's number after a cut


def _numbered_lines(lines: list[bytes], first: int) -> int:
    """How many of `lines` start with the viewer's number when the first is `first`, following the numbers
    over a cut (a paste that left lines out goes on with a higher number)."""
    hits = 0
    number = first
    for line in lines:
        if not line.startswith(b"%d" % number):
            number = _number_after_cut(line, number)
        if line.startswith(b"%d" % number):
            hits += 1
        number += 1
    return hits


def line_numbering(sample: bytes) -> int | None:
    """The number a viewer gave the first line of `sample` when its lines carry consecutive numbers (all
    of them in a paste of 3 to 7 lines, 9 in 10 of the first 200 otherwise; a paste may skip numbers where
    it left lines out); None when the log is not numbered."""
    lines = sample[:_WRAP_SAMPLE].split(b"\n", _NUMBERED_SAMPLE_LINES)[:_NUMBERED_SAMPLE_LINES]
    if len(lines) > 1 and lines[-1] == b"":
        lines.pop()
    if len(lines) < 3:
        return None
    digits = _LEADING_DIGITS.match(lines[0])
    if not digits:
        return None
    run = digits.group()
    for cut in range(len(run), 0, -1):  # "2161 gem installed" is line 216's "1 gem installed"
        first = int(run[:cut])
        hits = _numbered_lines(lines, first)
        # A short paste: every line; a longer one: 9 in 10 (a line the viewer left unnumbered, a stray one).
        if hits == len(lines) or (len(lines) >= _NUMBERED_MIN_LINES and hits * 10 >= len(lines) * 9):
            return first
    return None


def _number_after_cut(line: bytes, number: int) -> int:
    """The viewer's number of `line` when it carries one further ahead than `number` (lines were cut from
    the paste), followed by a space, a tab or nothing; `number` otherwise."""
    digits = _LEADING_DIGITS.match(line)
    if digits is None or line[digits.end() : digits.end() + 1] not in (b" ", b"\t", b"\r", b""):
        return number
    found = int(digits.group())
    return found if number < found <= number + _NUMBER_GAP else number


def unnumber_blocks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """`read_blocks`' blocks without a viewer's line numbers (see `line_numbering`); the same blocks when the
    log is not numbered. A line that does not start with its expected number keeps its text; after a cut in
    the paste ("... 40 lines ...") the numbers are followed again from the next line that carries one."""
    blocks = iter(blocks)
    first = next(blocks, None)
    if first is None:
        return
    number = line_numbering(first)
    if number is None:
        yield first
        yield from blocks
        return
    for block in _chain(first, blocks):
        lines = block.split(b"\n")
        for index, line in enumerate(lines[:-1] if block.endswith(b"\n") else lines):
            expected = b"%d" % number
            if not line.startswith(expected):
                number = _number_after_cut(line, number)
                expected = b"%d" % number
            if line.startswith(expected):
                cut = len(expected)
                if line[cut : cut + 1] in (b" ", b"\t"):
                    cut += 1
                lines[index] = line[cut:]
            number += 1
        yield b"\n".join(lines)


def unwrap_blocks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """`read_blocks`' blocks with a hard-wrapped log's lines joined again (see `wrap_width`); the same blocks
    when the log was not wrapped. Line numbers hold: a line joined again is at its last piece's, the other
    pieces are left as empty lines. A viewer's line numbers go first (`unnumber_blocks`)."""
    blocks = unnumber_blocks(blocks)
    first = next(blocks, None)
    if first is None:
        return
    found = wrap_width(first)
    # Cut at words too (a long URL cut at the width, the text around it at spaces), or at words only.
    words = found is None or not found[1]
    if found is None:
        at_words = word_wrap_width(first)
        found = None if at_words is None else (at_words, False)
    elif words:
        words = word_wrap_width(first, found[0]) is not None
    if found is None:
        yield first
        yield from blocks
        return
    width, unprefixed = found
    carry = b""
    for block in _chain(first, blocks):
        lines = (carry + block).split(b"\n")
        tail = lines.pop()  # what follows the last newline (empty for a whole block)
        # Pieces at the block's end may continue in the next block: kept back until it comes (the last line
        # when it ends with a space, when cut at words: whether it is a piece depends on the next line).
        keep = len(lines)
        while keep and (
            _continues(lines, keep - 1, width, unprefixed, words)
            or (words and keep == len(lines) and lines[-1].rstrip(b"\r").endswith((b" ", b"\t")))
        ):
            keep -= 1
        carry = b"\n".join([*lines[keep:], tail])
        if keep:
            yield b"\n".join(_unwrap(lines[:keep], width, unprefixed, words)) + b"\n"
    if carry:
        yield b"\n".join(_unwrap(carry.split(b"\n"), width, unprefixed, words))


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


# What a web page makes of a paste, back to what the terminal printed (issue 13, pages: blogs, forums, Q&A):
# typographic quotes a blog or Discourse puts for ' and " outside its code blocks (No module named ‘cmake’),
# the non-breaking spaces of a copy from HTML (U+00A0, and U+202F before French punctuation), and the HTML
# entities of a code block escaped twice (&lt; &gt; &quot; &#39; &#x27; &apos; &amp; &nbsp;). gcc's own
# ‘’ in a UTF-8 locale read as ' too, which every rule accepts alongside them. The ” of a box glyph a cp1252
# console printed (â”‚, â•°â”€>: _BOX) stays. None holds a newline, so line numbers hold.
_PAGE_TEXT = re.compile(
    rb"(?<!\xc3\xa2)\xe2\x80[\x98\x99\x9c\x9d\xaf]|\xc2\xa0|&(?:lt|gt|quot|apos|amp|nbsp|#39|#x27|#34);"
)
_PAGE_TEXT_AS = {
    b"\xe2\x80\x98": b"'",
    b"\xe2\x80\x99": b"'",
    b"\xe2\x80\x9c": b'"',
    b"\xe2\x80\x9d": b'"',
    b"\xe2\x80\xaf": b" ",
    b"\xc2\xa0": b" ",
    b"&lt;": b"<",
    b"&gt;": b">",
    b"&quot;": b'"',
    b"&apos;": b"'",
    b"&amp;": b"&",
    b"&nbsp;": b" ",
    b"&#39;": b"'",
    b"&#x27;": b"'",
    b"&#34;": b'"',
}
_PAGE_ENTITIES = (b"&lt;", b"&gt;", b"&quot;", b"&#", b"&amp;", b"&apos;", b"&nbsp;")


def _page_text_as(match: re.Match[bytes]) -> bytes:
    return _PAGE_TEXT_AS[match.group()]


def plain_block(block: bytes) -> bytes:
    """The block without colour codes, which can split a keyword ("\\x1b[1mERROR\\x1b[0m:"), and with a web
    page's quotes, spaces and entities as the terminal printed them (_PAGE_TEXT); none holds a newline, so
    line numbers hold."""
    if b"\x1b" in block:
        block = _ANSI_BYTES.sub(b"", block)
    # (both multi-byte marks hold bytes above 127: an ASCII block, most logs' every block, is told by one
    # isascii pass, 0.07 ms per MB, where the two searches took ~1.9 ms per MB of a verbose build log)
    if (not block.isascii() and (b"\xe2\x80" in block or b"\xc2\xa0" in block)) or (
        b"&" in block and any(e in block for e in _PAGE_ENTITIES)
    ):
        block = _PAGE_TEXT.sub(_page_text_as, block)
    return block


def scan_block(
    block: bytes, first_line: int, keywords: Sequence[bytes]
) -> Iterator[tuple[int, bytes, frozenset[int]]]:
    """The lines of `block` that contain one of `keywords` (lower-case), with the indexes of those found.

    Yields (line number, raw line without its newline, keyword indexes), in order. Each keyword is searched
    over the whole block with `bytes.find`, skipping to the end of a line once it is found there: the cost
    is a few C-level scans per block, not a Python loop over lines.
    """
    block = plain_block(block)
    for number, start, end, hits in scan_spans(block, first_line, keywords):
        yield number, block[start:end], hits


def scan_spans(
    block: bytes, first_line: int, keywords: Sequence[bytes]
) -> Iterator[tuple[int, int, int, frozenset[int]]]:
    """`scan_block` of a `plain_block`, giving where each line is in it: (line number, start, end, keyword
    indexes), `block[start:end]` the line without its newline (so the lines after it can be read too)."""
    from safe_pip._scan import TermScanner

    return TermScanner(keywords).spans(block, first_line)


def iter_lines(stream: BinaryIO) -> Iterator[NumberedLine]:
    """Every line of a log, normalised and numbered (for small logs and tests; rules use `scan_block`)."""
    number = 1
    for block in read_blocks(stream):
        lines = block.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        for raw in lines:
            yield NumberedLine(number, normalise_line(raw))
            number += 1


# A line that reports an error, in pip's words or a build tool's:
#   "ERROR: Failed building wheel for psutil", "error: command 'gcc' failed: No such file or directory",
#   "Building wheel for psutil (pyproject.toml) did not run successfully.",
#   "fastmath.c:1:10: fatal error: Python.h: No such file or directory"
_ERROR_LINE = re.compile(r"(?i)(?:^|[\s:(\[])(?:error|fatal|failed|failure)\b|did not run successfully")
# pip's boilerplate around the real error, which says nothing about its cause:
#   "note: This error originates from a subprocess, and is likely not a problem with pip."
_BOILERPLATE = re.compile(
    r"(?i)^(?:note|hint): |^error: subprocess-exited-with-error|^\[end of output\]|^error: [a-z-]+-failed$"
)


def last_error_lines(lines: Iterable[NumberedLine], limit: int = 8) -> list[NumberedLine]:
    """The last `limit` lines that report an error, without pip's boilerplate notes, in order."""
    found: list[NumberedLine] = []
    for line in lines:
        if _ERROR_LINE.search(line.text) and not _BOILERPLATE.search(line.text):
            found.append(line)
            if len(found) > limit * 4:
                del found[: len(found) - limit]
    return found[-limit:]


# Lines only pip prints: "ERROR: ...", "Usage:", "Collecting x", "Looking in indexes: ...", and the new
# error boxes' "error: subprocess-exited-with-error".
_PIP_LINE = re.compile(
    r"^(?:ERROR: |WARNING: |error: |Usage:|Collecting |Processing |Looking in |Requirement already "
    r"|DEPRECATION: )"
)
# A line pip prints whole, with or without the "ERROR: " pips before 19.3 did not put first: a short paste
# whose command line happens to be as wide as a usual terminal (100 characters) is followed by one of these,
# not by the rest of a line cut there.
#   torch-1.0.0-cp37-cp37m-win_amd64.whl is not a supported wheel on this platform.      (pip 9 to 19.2)
#   Could not find a version that satisfies the requirement jaxlib (from versions: )
# (read from a line's first 80 characters: a long wheel name leaves only "... .whl is not" of its sentence)
_PIP_MESSAGE = re.compile(
    _PIP_LINE.pattern
    + r"|^(?:Could not find a version that satisfies the requirement |No matching distribution found for "
    r"|\S+\.whl is not(?: |$)|Command \"(?:python|/|[A-Za-z]:\\)"
    r"|Exception:\s*$|You are using pip version |Successfully (?:installed|built|uninstalled) "
    r"|Installing collected packages: |Building wheels for collected packages: |Obtaining |Downloading "
    r"|Using cached |Could not install packages due to |Defaulting to user installation )"
)
# What python prints when the module is missing: "/venv/bin/python: No module named pip"
_NO_PIP = re.compile(r": No module named pip\b")


def looks_like_pip_output(lines: Iterable[NumberedLine]) -> bool:
    """True when pip itself ran and printed (so a failure is pip's, not a missing pip or a non-Python)."""
    seen_pip = False
    for line in lines:
        if _NO_PIP.search(line.text):
            return False
        seen_pip = seen_pip or bool(_PIP_LINE.match(line.text))
    return seen_pip
