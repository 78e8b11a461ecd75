from __future__ import annotations

import pytest

from safe_pip.logtext import (
    NumberedLine,
    clean_line,
    iter_lines,
    last_error_lines,
    line_numbering,
    looks_like_pip_output,
    normalise_line,
    read_blocks,
    scan_block,
    unnumber_blocks,
    utf16_encoding,
)


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
        ("x\u009b2Ky \u009b31mred".encode(), "xy red"),
        (b"ab\x08\x08cd\x07\x0b\x0c\x7f\tend", "abcd\tend"),
        ("evil\u202egpj.exe \u2066a\u2069 \u200fb\u200e \u202ac\u202c".encode(), "evilgpj.exe a b c"),
        ("caf\u00e9 \u00a0\u2713 \u0646".encode(), "caf\u00e9 \u00a0\u2713 \u0646"),
    ],
    ids=[
        "ansi-colour",
        "osc-hyperlink",
        "cr-redraw",
        "crlf",
        "nul",
        "invalid-utf8",
        "box-glyph",
        "c1-csi",
        "c0-controls",
        "bidi-controls",
        "ordinary-unicode-kept",
    ],
)
def test_clean_line(raw: bytes, text: str) -> None:
    assert clean_line(raw) == text


def _lines(text: str) -> list[NumberedLine]:
    return [
        NumberedLine(n, normalise_line(line.encode())) for n, line in enumerate(text.splitlines(), start=1)
    ]


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
    assert found[1].text == "error: command 'gcc' failed: No such file or directory"


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


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"      error: command 'gcc' failed", "error: command 'gcc' failed"),
        (
            "  \u00d7 Building wheel for x did not run successfully.".encode(),
            "Building wheel for x did not run successfully.",
        ),
        ("  \u2502 exit code: 1".encode(), "exit code: 1"),
        ("  \u2570\u2500> [6 lines of output]".encode(), "[6 lines of output]"),
        ("  \u00c3\u2014 Building wheel for x".encode(), "Building wheel for x"),
        (
            "  \u251c\u2500\u25b6 The build backend returned an error".encode(),
            "The build backend returned an error",
        ),
        ("  \u2570\u2500\u25b6 Hash mismatch for `x==1.0`".encode(), "Hash mismatch for `x==1.0`"),
        (b"  cause: Connection refused (os error 111)", "Connection refused (os error 111)"),
        (
            "  cause: \u00e9chec de connexion (os error 111)".encode(),
            "\u00e9chec de connexion (os error 111)",
        ),
        (b"  because: cause: x", "because: cause: x"),
        (b"2024-05-01T10:23:45.1234567Z ERROR: boom", "ERROR: boom"),
        (b"2024-05-01T10:23:45.123456Z 00O ERROR: boom", "ERROR: boom"),
        (b"[2024-05-01T10:23:45.123Z] ERROR: boom", "ERROR: boom"),
        (b"10:23:45  ERROR: boom", "ERROR: boom"),
        (b"#12 34.56 ERROR: boom", "ERROR: boom"),
        (b"#12 34.56       error: command 'gcc' failed", "error: command 'gcc' failed"),
        (b"34.52 error: externally-managed-environment", "error: externally-managed-environment"),
        (b"0.512     python3-xyz, where xyz is", "python3-xyz, where xyz is"),
        (b"##[error]ERROR: boom", "ERROR: boom"),
        (
            b"2024-05-01T10:23:45.1234567Z ##[error]Process completed with exit code 1.",
            "Process completed with exit code 1.",
        ),
        (b"\x1b[31mERROR:\x1b[0m boom\r", "ERROR: boom"),
        (b"x" * 10000, "x" * 4096),
    ],
    ids=[
        "indent",
        "box-cross",
        "box-bar",
        "box-arrow",
        "box-mojibake",
        "uv-cause",
        "uv-last-cause",
        "uv-cause-not-a-terminal",
        "uv-cause-not-a-terminal-non-ascii",
        "cause-inside-a-line",
        "github",
        "gitlab",
        "jenkins-iso",
        "jenkins-time",
        "buildkit",
        "buildkit-indented",
        "buildx-summary-seconds",
        "buildx-summary-seconds-indented",
        "azure",
        "github-azure",
        "ansi-crlf",
        "long-line",
    ],
)
def test_normalise_line(raw: bytes, text: str) -> None:
    assert normalise_line(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("     |████████████████████████████████| 500 MB 1.2 MB/s eta 0:00:01Killed", "Killed"),
        ("    100% |████████████████████████████████| 500.1MB 1.2MB/s eta 0:00:01Killed", "Killed"),
        ("   ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 500.0/500.0 MB 1.2 MB/s eta 0:00:01Killed", "Killed"),
        ("\r|█▌    | 10 MB 1.2 MB/s eta 0:05:01\r|██████| 500 MB 1.2 MB/s eta 0:00:01Killed", "Killed"),
        ("2024-05-01T10:23:45.1234567Z |################| 500 MB 9 MB/s eta 0:00:01Killed", "Killed"),
        ("|████████████████████████████████| 500 MB 1.2 MB/s eta 0:00:01", ""),
        # pip 9 killed before the end of the download: the percentage it reached
        ("    99% |████████████████████████████████| 360.3MB 32.1MB/s eta 0:00:01Killed", "Killed"),
        ("    7% |██▍                             | 25.1MB 3.3MB/s eta 0:01:42Killed", "Killed"),
        ("  57% |##################              | 24.0MB 2.1MB/s eta 0:00:09Killed", "Killed"),
        # not progress bars: pip's ASCII box, a percentage in prose, a table
        ("| exit code: 1", "exit code: 1"),
        ("100% of tests passed", "100% of tests passed"),
        ("|col|  12 MB used", "|col|  12 MB used"),
        ("  57% | 12 MB | done", "57% | 12 MB | done"),
        ("  3 passed, 57% of 12 MB", "3 passed, 57% of 12 MB"),
    ],
    ids=[
        "pip10",
        "pip9",
        "pip22",
        "redrawn",
        "ci-ascii",
        "bar-alone",
        "pip9-at-99",
        "pip9-at-7",
        "pip9-ascii-at-57",
        "ascii-box",
        "percent",
        "table",
        "percent-table",
        "percent-prose",
    ],
)
def test_normalise_line_drops_a_progress_bar_glued_to_what_follows(raw: str, text: str) -> None:
    assert normalise_line(raw.encode()) == text


def test_read_blocks_keeps_lines_whole_and_skips_the_rest_of_overlong_ones() -> None:
    import io

    data = b"a\n" + b"x" * (200 << 10) + b"\nlast\nno newline"
    blocks = list(read_blocks(io.BytesIO(data), block_size=4096))
    joined = b"".join(blocks)
    assert all(block.endswith(b"\n") for block in blocks[:-1])
    # The overlong line keeps its first 64 KiB, and the line count is unchanged.
    assert joined.count(b"\n") == data.count(b"\n")
    assert joined.split(b"\n")[2] == b"last"
    assert joined.endswith(b"no newline")
    assert len(joined) < 70 << 10


def test_read_blocks_keeps_what_a_terminal_shows_of_an_overlong_redrawn_line() -> None:
    import io

    # pip 9 in a terminal capture (`script`): one line of hundreds of redraws, the shell's "Killed" glued to
    # the last one, then "\r" and the newline
    bar = b"\r\x1b[K    %d%% |%s| %d.0MB 2.1MB/s eta 0:00:09"
    redraws = b"".join(bar % (n % 100, b"#" * 32, n) for n in range(4000))
    data = b"  Downloading http://x/big-1.0-py3-none-any.whl (41.9MB)\n" + redraws + b"Killed\r\ndone-137\n"
    assert len(redraws) > 100 << 10
    for size in (4096, 1 << 20, 333):
        lines = b"".join(read_blocks(io.BytesIO(data), block_size=size)).split(b"\n")
        assert len(lines) == 4  # each line keeps its number
        assert lines[2] == b"done-137"
        if size < len(data):  # a line inside one block is whole; one across blocks is cut
            assert len(lines[1]) < 140 << 10
        assert normalise_line(lines[1]) == "Killed"
    # an overlong line with no "\r" keeps its start only, as before
    plain = b"a\n" + b"y" * (100 << 10) + b"\nb\n"
    kept = b"".join(read_blocks(io.BytesIO(plain), block_size=4096)).split(b"\n")
    assert kept[1] == b"y" * (64 << 10)
    assert kept[2] == b"b"


def test_normalise_line_reads_what_is_left_on_screen_of_a_long_redrawn_line() -> None:
    raw = b"".join(b"\r 12%% |%s| %d kB" % (b"#" * 30, n) for n in range(600)) + b"\rERROR: Exception:\r"
    assert len(raw) > 16 << 10
    assert normalise_line(raw) == "ERROR: Exception:"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"> ERROR: No matching distribution found for x", "ERROR: No matching distribution found for x"),
        (b">   Building wheel for x (setup.py) ... error", "Building wheel for x (setup.py) ... error"),
        (b"> > Killed", "Killed"),
        (b"> 2024-05-01T10:23:45.1234567Z error: command 'gcc' failed", "error: command 'gcc' failed"),
        (b">=1.0 is required", ">=1.0 is required"),
        (b">>> import torch", ">>> import torch"),
        # ">" glued to the text, which GitHub renders as a quote too (the sixteenth paste set's o52)
        (b">error: externally-managed-environment", "error: externally-managed-environment"),
        (b"> >note: If you believe this is a mistake", "note: If you believe this is a mistake"),
    ],
    ids=[
        "quote",
        "quote-indent",
        "nested",
        "quote-then-ci",
        "version-bound",
        "python-prompt",
        "glued",
        "nested-glued",
    ],
)
def test_normalise_line_drops_a_markdown_quote(raw: bytes, text: str) -> None:
    assert normalise_line(raw) == text


def test_unwrap_blocks_joins_a_markdown_quoted_paste_a_console_wrapped() -> None:
    import io

    from safe_pip.logtext import unwrap_blocks

    # cmd.exe cut the lines at 80 columns, then the paste was quoted ("> ") in an issue
    pieces = [
        b"> Collecting rgf_python",
        b">   Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None))",
        b">  after connection broken by 'SSLError(SSLError(1, '[SSL: CERTIFICATE_VERIFY_FAIL",
        b"> ED] certificate verify failed (_ssl.c:777)'),)': /simple/rgf-python/",
        b">   Could not fetch URL https://pypi.python.org/simple/rgf-python/: There was a pr",
        b"> oblem confirming the ssl certificate: HTTPSConnectionPool(host='pypi.python.org'",
        b"> , port=443): Max retries exceeded",
        b"> No matching distribution found for rgf_python",
    ]
    data = b"\n".join(pieces) + b"\n"
    lines = b"".join(unwrap_blocks(read_blocks(io.BytesIO(data)))).split(b"\n")
    assert len(lines) == len(pieces) + 1
    assert b"CERTIFICATE_VERIFY_FAILED] certificate verify failed" in lines[3]
    assert b"There was a problem confirming the ssl certificate" in lines[6]


def test_pips_progress_bars_are_not_taken_for_a_wrap_of_their_length_in_bytes() -> None:
    from safe_pip.logtext import wrap_width

    # pip's bars are 40 glyphs of 3 bytes: with the size, rate and time, 158-160 bytes, one of the usual wrap
    # widths (160); in a short log the line after the widest starts at the margin as a piece would.
    bar = "     " + "━" * 40 + " {} MB 59.0 MB/s eta 0:00:00"
    lines = [
        "Collecting lightgbm==4.5.0",
        "  Downloading lightgbm-4.5.0-py3-none-manylinux_2_28_x86_64.whl (3.6 MB)",
        bar.format("3.6/3.6"),
        "Collecting scipy",
        "  Downloading scipy-1.17.1-cp311-cp311-manylinux_2_27_x86_64.whl (35.3 MB)",
        bar.format("35.3/35.3"),
        "Installing collected packages: scipy, lightgbm",
        "Successfully installed lightgbm-4.5.0 scipy-1.17.1",
        "OSError: libgomp.so.1: cannot open shared object file: No such file or directory",
    ]
    sample = "\n".join(lines).encode() + b"\n"
    assert max(map(len, sample.split(b"\n"))) == 160
    assert wrap_width(sample) is None


_PS_LOG = (
    "Collecting psutil\r\n  Building wheel for psutil (pyproject.toml) ... error\r\n"
    "      error: Microsoft Visual C++ 14.0 or greater is required. Get it with ...\r\n"
    "  ERROR: Failed building wheel for psutil — ×│╰─> 失败\r\n"
)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe" + _PS_LOG.encode("utf-16-le"),  # Windows PowerShell 5.1: `pip install psutil > pip.log`
        b"\xfe\xff" + _PS_LOG.encode("utf-16-be"),
        _PS_LOG.encode("utf-16-le"),  # no byte order mark
        _PS_LOG.encode("utf-16-be"),
    ],
    ids=["le-bom", "be-bom", "le", "be"],
)
@pytest.mark.parametrize("block_size", [4096, 7, 33])  # odd sizes cut a character in two
def test_read_blocks_gives_a_utf16_log_as_utf8_with_its_lines(data: bytes, block_size: int) -> None:
    import io

    joined = b"".join(read_blocks(io.BytesIO(data), block_size=block_size))
    assert joined.decode("utf-8") == _PS_LOG


@pytest.mark.parametrize(
    "start",
    [
        b"Collecting x\n" * 4,
        b"Collecting x\x00\n" * 4,  # a few NUL bytes in a UTF-8 log
        b"\x00" * 64,
        b"ab\x00",  # too short to tell
        "Сборка колеса\n".encode() * 3,
    ],
    ids=["ascii", "some-nul", "all-nul", "short", "utf8-cyrillic"],
)
def test_utf16_encoding_is_none_for_utf8_logs(start: bytes) -> None:
    assert utf16_encoding(start) is None


def test_utf16_encoding_names_the_byte_order() -> None:
    assert utf16_encoding(b"\xff\xfeC\x00o\x00") == "utf-16"
    assert utf16_encoding("Collecting psutil\r\n".encode("utf-16-le")) == "utf-16-le"
    assert utf16_encoding("Collecting psutil\r\n".encode("utf-16-be")) == "utf-16-be"


_VIEWER_LINES = [
    b"$ pip install matplotlib",
    b"Collecting matplotlib",
    b"  Downloading matplotlib-3.2.0.tar.gz",
]
_VIEWER_LINES += [b"    SyntaxError: invalid syntax", b"", b"ERROR: Job failed: exit code 1"] * 2


@pytest.mark.parametrize(
    ("numbered", "first"),
    [
        # GitLab's job page: "23 $ pip install matplotlib"
        ([b"%d %s" % (i, line) for i, line in enumerate(_VIEWER_LINES, 23)], 23),
        ([b"%d\t%s" % (i, line) for i, line in enumerate(_VIEWER_LINES, 1)], 1),
        # Travis: "218Traceback (most recent call last):" (a space after the number reads as its separator)
        ([b"%d%s" % (i, line) for i, line in enumerate(_VIEWER_LINES, 216)], 216),
        # the paste left lines out after its fourth line: the numbers go on from 40
        ([b"%d %s" % (i if i < 5 else i + 35, line) for i, line in enumerate(_VIEWER_LINES, 1)], 1),
    ],
    ids=["space", "tab", "glued", "cut"],
)
def test_unnumber_blocks_drops_a_viewers_line_numbers(numbered: list[bytes], first: int) -> None:
    data = b"\n".join(numbered) + b"\n"
    assert line_numbering(data) == first
    expected = [line.strip() for line in _VIEWER_LINES]
    assert [line.strip() for line in b"".join(unnumber_blocks([data])).split(b"\n")[:-1]] == expected
    # In blocks of a few lines, as read_blocks gives a long log: the same.
    blocks = [b"\n".join(numbered[i : i + 4]) + b"\n" for i in range(0, len(numbered), 4)]
    assert [line.strip() for line in b"".join(unnumber_blocks(blocks)).split(b"\n")[:-1]] == expected


@pytest.mark.parametrize(
    "lines",
    [
        [b'10.19 File "x.py", line 1', b"10.19   raise X", b"10.19 X: boom"] * 3,  # BuildKit's seconds
        [b"12:00:%02d  Collecting x" % i for i in range(10)],  # Jenkins' times
        [b"1 error generated.", b"2 warnings generated.", b"Collecting x", b"ERROR: y"] * 3,
        [b"1 passed", b"2 passed"],  # too short to tell
    ],
    ids=["buildkit-seconds", "times", "counts", "short"],
)
def test_line_numbering_is_none_for_logs_a_viewer_did_not_number(lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    assert line_numbering(data) is None
    assert b"".join(unnumber_blocks([data])) == data


def test_scan_block_finds_keyword_lines_with_their_numbers() -> None:
    block = b"Collecting x\ncompiling\n\x1b[31mERROR\x1b[0m: no such file\nfine\nfatal Error\n"
    found = list(scan_block(block, 10, [b"error", b"no such file", b"collecting "]))
    assert [(n, hits) for n, _, hits in found] == [
        (10, frozenset({2})),
        (12, frozenset({0, 1})),
        (14, frozenset({0})),
    ]
    assert found[1][1] == b"ERROR: no such file"


def test_iter_lines_numbers_every_line() -> None:
    import io

    data = b"one\r\ntwo\r\n\r\nthree"
    assert list(iter_lines(io.BytesIO(data))) == [
        NumberedLine(1, "one"),
        NumberedLine(2, "two"),
        NumberedLine(3, ""),
        NumberedLine(4, "three"),
    ]


@pytest.mark.parametrize(
    ("pasted", "printed"),
    [
        # a blog's or Discourse's typographic quotes outside a code block
        (
            "ModuleNotFoundError: No module named \u2018cmake\u2019",
            "ModuleNotFoundError: No module named 'cmake'",
        ),
        ("File \u201c<string>\u201d, line 198", 'File "<string>", line 198'),
        # non-breaking spaces of a copy from HTML (indentation, and U+202F before French punctuation)
        ("\u00a0\u00a0\u00a0 error\u202f: command 'gcc' failed", "    error : command 'gcc' failed"),
        # a code block escaped twice
        ("fatal error: &#x27;SDL.h&#x27; file not found", "fatal error: 'SDL.h' file not found"),
        ("torch&lt;2,&gt;=1.13 and &quot;x&quot; &amp;&amp; y", 'torch<2,>=1.13 and "x" && y'),
        # what a terminal prints stays: a shell's "&&", an unknown entity, other punctuation
        ("pip install x && pip check &foo; \u2014 \u2026", "pip install x && pip check &foo; \u2014 \u2026"),
        # the box glyph a cp1252 console printed, which _BOX reads as it is
        ("\u00e2\u201d\u201a  exit code: 1", "\u00e2\u201d\u201a  exit code: 1"),
    ],
)
def test_plain_block_reads_a_web_pages_quotes_spaces_and_entities_as_printed(
    pasted: str, printed: str
) -> None:
    from safe_pip.logtext import plain_block

    block = (pasted + "\n") * 3
    assert plain_block(block.encode()) == ((printed + "\n") * 3).encode()
