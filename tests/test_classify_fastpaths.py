"""The classifier's faster ways of asking its own expressions give what the expressions give."""

from __future__ import annotations

import dataclasses
import io
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from safe_pip import _scan, classify
from safe_pip.classify import Classifier
from safe_pip.logtext import normalise_line
from safe_pip.rules import Matcher, Rule, load_rules, parse_rule

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"

# Lines at the edges: Unicode letters IGNORECASE folds to ASCII ones, word boundaries, anchors.
EDGES = (
    "ſubprocess-exited-with-error",
    "\u212aerror: a-b",
    "İerror",
    "ӧerror",
    "1error",
    "error1",
    "_error",
    "x_error y",
    "errors",
    "fatal",
    "Error: x",
    "ValueError: x",
    "error: a-b",
    "note: error",
    "warning: x error",
    "ERROR: Command errored out",
    "-Werror x error",
    "foo-Werror=1 error",
    "Running setup.py install for x ... error",
    'Command "python setup.py egg_info" failed with error code 1',
    "See above for output. error",
    "ＥＲＲＯＲ",
)


@cache
def _lines() -> tuple[str, ...]:
    found = set(EDGES)
    for log in LOGS.glob("**/*.log"):
        for raw in log.read_bytes().splitlines():
            text = normalise_line(raw)
            found.update((text, text.upper(), text.swapcase()))
    return tuple(sorted(found))


def test_is_build_error_is_the_expression() -> None:
    differ = [
        text
        for text in _lines()
        if classify._is_build_error(text, text.lower()) != (classify._BUILD_ERROR.search(text) is not None)
    ]
    assert differ == []


def test_is_not_evidence_is_the_expression() -> None:
    differ = [
        text
        for text in _lines()
        if classify._is_not_evidence(text, text.lower()) != (classify._NOT_EVIDENCE.search(text) is not None)
    ]
    assert differ == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("src/x.c:3:1: error: expected ';'", True),
        ("-Werror=format-security", False),
        ("RuntimeError: need FOO_ROOT", True),
        ("\u212aError: x", True),  # not ASCII: the expression itself
    ],
)
def test_is_build_error(text: str, expected: bool) -> None:
    assert classify._is_build_error(text, text.lower()) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ERROR: Command errored out with exit status 1", True),
        ("  × Getting requirements did not run successfully.", True),
        ("ſee above for output", True),  # not ASCII: the expression itself
        ("src/x.c:3:1: error: expected ';'", False),
    ],
)
def test_is_not_evidence(text: str, expected: bool) -> None:
    assert classify._is_not_evidence(text, text.lower()) is expected


def _rule(rule_id: str, builtin: bool) -> Rule:
    data: dict[str, Any] = {
        "id": rule_id,
        "category": "build-failed",
        "title": rule_id,
        "match": {
            "keywords": ["error"],
            "any": [r"error: (?P<what>\w+) failed"],
            "context": [r"(?P<parallel>\bwith \d+ jobs\b)"],
        },
        "explain": {"summary": "{package}: " + rule_id},
    }
    return dataclasses.replace(parse_rule(data, f"/rules/{rule_id}.toml"), builtin=builtin)


@pytest.mark.parametrize("builtin", [True, False], ids=["built-in", "user"])
def test_a_pattern_rules_share_is_searched_once_a_line(
    builtin: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built-in rules with the same pattern search it once a line, and each keeps its own hit."""
    searched: list[str] = []
    search = Matcher.search

    def counting(self: Matcher, text: str, lowered: str | None = None) -> re.Match[str] | None:
        searched.append(self.pattern)
        return search(self, text, lowered)

    monkeypatch.setattr(Matcher, "search", counting)
    classifier = Classifier([_rule("first-rule", builtin), _rule("second-rule", builtin)])
    # (two different lines: a line met again is not searched again, see the next test)
    log = b"make\nerror: linking failed with 4 jobs\nerror: linking failed with 8 jobs\n"
    classifier.feed_stream(io.BytesIO(log))
    times = 2 if builtin else 4  # two lines, once each or once each for each rule
    assert searched.count(r"error: (?P<what>\w+) failed") == times
    assert searched.count(r"(?P<parallel>\bwith \d+ jobs\b)") == times
    lines = ["error: linking failed with 4 jobs", "error: linking failed with 8 jobs"]
    for state in classifier._states:
        assert [hit[:2] for hit in state.any.all()] == [(2, lines[0]), (3, lines[1])]
        assert [hit[2] for hit in state.context[0].all()] == [
            {"parallel": "with 4 jobs"},
            {"parallel": "with 8 jobs"},
        ]


@pytest.mark.parametrize("scan", ["pure", "fast"])
def test_a_line_met_again_gives_what_it_gave(scan: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the accelerator, a line the log repeats is read as it comes the first time and kept the second
    (Classifier._seen, _memo_entry): its later occurrences are searched by no pattern, yet each is recorded
    at its own place (its number, the package pip is on, a copy of its captures), as the pure scan, which
    reads every occurrence, records it."""
    if scan == "fast":
        pytest.importorskip(
            "ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed"
        )
        monkeypatch.delenv("SAFE_PIP_PURE_SCAN", raising=False)
        monkeypatch.setattr(_scan, "_ANCHORS_AFTER", -1)
    else:
        monkeypatch.setenv("SAFE_PIP_PURE_SCAN", "1")
    searched: list[str] = []
    search = Matcher.search

    def counting(self: Matcher, text: str, lowered: str | None = None) -> re.Match[str] | None:
        searched.append(self.pattern)
        return search(self, text, lowered)

    monkeypatch.setattr(Matcher, "search", counting)
    classifier = Classifier([_rule("first-rule", True)])
    line = b"error: linking failed with 4 jobs\n"
    other = b"error: linking failed with 8 jobs\n"
    log = b"Collecting a\n" + line + b"Collecting b\n" + line + other + line + line
    classifier.feed_stream(io.BytesIO(log))
    # the line: read, read and kept, then replayed twice; the other line read once
    assert searched.count(r"error: (?P<what>\w+) failed") == (3 if scan == "fast" else 5)
    state = classifier._states[0]
    text, other_text = line.decode().strip(), other.decode().strip()
    numbers = [2, 4, 5, 6, 7]
    assert [hit[:2] for hit in state.any.all()] == [(number, text) for number in numbers[:2]] + [
        (5, other_text),
        (6, text),
        (7, text),
    ]
    assert [state.any.packages[number] for number in numbers] == ["a", "b", "b", "b", "b"]
    captures = [hit[2] for hit in state.any.all()]
    assert captures == [{"what": "linking"}] * 5
    # a hit's captures are its own (a window's match merges its captures into them)
    assert len({id(found) for found in captures}) == 5
    assert [evidence.line for evidence in classifier._build_errors] == numbers


def test_a_window_literal_that_spans_lines_stands_by_its_longest_line() -> None:
    """A multi-line pattern whose literal holds a newline still rules its windows out by literal (the part
    of it within one line), and the window that holds it still matches."""
    data: dict[str, Any] = {
        "id": "lvalue-rule",
        "category": "build-failed",
        "title": "lvalue-rule",
        "match": {
            "keywords": ["lvalue required"],
            "any": [r"error: lvalue required as left operand\n\s*#\s*define (?P<what>Py_\w+)"],
            "join": 1,
        },
        "explain": {"summary": "{what}"},
    }
    rule = dataclasses.replace(parse_rule(data, "/rules/lvalue-rule.toml"), builtin=True)
    assert classify._window_literals(rule) == ("error: lvalue required as left operand",)
    log = (
        b"x.c:1:1: error: lvalue required as left operand of assignment\n  foo\n"
        b"object.h:2:3: error: lvalue required as left operand\n  #  define Py_TYPE(ob)\n"
    )
    classifier = Classifier([rule])
    classifier.feed_stream(io.BytesIO(log))
    assert [hit[0] for hit in classifier._states[0].any.all()] == [3]
    assert [d.summary for d in classifier.diagnoses()] == ["Py_TYPE"]


# Raw lines at the edges of the byte-level checks: word edges around the error words, control bytes, tabs,
# bytes above 127, a word at the very start or end.
RAW_EDGES = (
    b"error",
    b"xerror",
    b"errorx",
    b"-werror=format-security",
    b"-werror=format error",
    b"_fatal",
    b"fatal_",
    b"9exception",
    b"exception9",
    b"someexception: x",
    b"error: ",
    b"error:x",
    b"errorerror error",
    b"errors errorerror",
    b"\terror\t",
    b"a\x7fb",
    b"a\x0bb",
    b"a\x00b",
    b"\xc3\xa9error",
    b"error\xc3\xa9",
    b"",
)


@cache
def _raw_lines() -> tuple[bytes, ...]:
    found = set(RAW_EDGES)
    for log in LOGS.glob("**/*.log"):
        for raw in log.read_bytes().split(b"\n"):
            found.update((raw, raw.lower()))
    return tuple(sorted(found))


def test_is_clean_is_the_decoded_reading() -> None:
    def decoded(raw: bytes) -> bool:
        return raw.isascii() and (
            raw.decode("ascii").isprintable() or not classify._CONTROL_BYTES.search(raw)
        )

    assert [raw for raw in _raw_lines() if classify._is_clean(raw) != decoded(raw)] == []


def test_error_word_reads_are_the_expressions() -> None:
    maybe = [
        raw
        for raw in _raw_lines()
        if classify._maybe_error_line(raw) != bool(classify._MAYBE_ERROR_LINE.search(raw))
    ]
    word = [
        raw
        for raw in _raw_lines()
        if classify._holds_error_word(raw) != bool(classify._ERROR_WORD.search(raw))
    ]
    assert (maybe, word) == ([], [])


@pytest.mark.parametrize(
    ("lowered", "maybe", "word"),
    [
        (b"-werror=format-security", True, False),
        (b"copying lib/errors.py", False, False),
        (b"x.c:1:2: error: y", True, True),
        (b"errorerror error", True, True),
        (b"someexception: x", True, True),
        (b"fatal_x", False, False),
    ],
)
def test_error_word_reads(lowered: bytes, maybe: bool, word: bool) -> None:
    assert (classify._maybe_error_line(lowered), classify._holds_error_word(lowered)) == (maybe, word)


def test_block_index_answers_as_the_span_itself() -> None:
    """_BlockIndex (what a window's lines hold, found once a block) against the span's own bytes: every span
    of one to four whole lines of every fixture log, and spans cut inside lines and runs of other bytes."""
    control = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
    literals = (b"error", b"cmake must be installed", b"has no member named", b"\xc3\x97", b"e")
    blocks = [log.read_bytes() for log in sorted(LOGS.glob("**/*.log"))]
    blocks.append(b"ab\xc3\x97cd\n\x07x\ny\xe2\x94\x82\xe2\x94\x82z\nERROR x\n")
    differ: list[tuple[bytes, int, int, str | bytes]] = []
    for block in blocks:
        index = classify._BlockIndex(block)
        starts = [0] + [at + 1 for at in range(len(block)) if block[at] == 10]
        spans = [(a, b) for i, a in enumerate(starts) for b in starts[i : i + 5]]
        spans += [(a, a + cut) for a in range(min(len(block), 64)) for cut in (0, 1, 2, 3, 7)]
        for start, end in spans:
            span = block[start:end]
            if index.unclean_within(start, end) != bool(not span.isascii() or control.search(span)):
                differ.append((block[:40], start, end, "unclean"))
            for literal in literals:
                if index.holds_within(literal, start, end) != (literal in span.lower()):
                    differ.append((block[:40], start, end, literal))
    assert differ == []


@pytest.mark.parametrize("block", [b"", b"a", b"a\n", b"a\nb", b"a\nb\n", b"\n\n", b"a\n\nb\n"], ids=repr)
def test_block_index_lines(block: bytes) -> None:
    starts = [0] + [at + 1 for at in range(len(block)) if block[at] == 10]
    lines = len([start for start in starts if start < len(block)])
    index = classify._BlockIndex(block, 7)
    assert [index.has_line(number) for number in range(5, 7 + lines + 2)] == [
        7 <= number < 7 + lines for number in range(5, 7 + lines + 2)
    ]


def test_block_index_quiet_through_the_window_literals_finder() -> None:
    """With the accelerator, which window literals a block holds comes from one leftmost-first search of
    them all (_BlockIndex._holds): a literal that search does not report (it overlaps one reported) is
    looked for where the reported ones are, or in the whole block when they are many; against `in`."""
    pytest.importorskip("ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed")
    literals = [b"because", b"cause", b"ecause x", b"cmake", b"make", b"x", b"no such"]
    ids = {literal: index for index, literal in enumerate(literals)}
    finder = (_scan.leftmost_finder(literals), ids, tuple(literals))
    blocks = [
        b"",
        b"nothing here\n",
        b"because x\n",
        b"becausecause\n",
        b"cmake\nmake\n",
        b"BECAUSE X CMAKE\n",
        b"ecause x" * 100 + b"\nmake",
    ]
    blocks += [path.read_bytes() for path in sorted(LOGS.glob("*/match-*.log"))[:200]]
    for block in blocks:
        lowered = block.lower()
        for key, literal in enumerate(literals):
            index = classify._BlockIndex(block, 1, None, finder)
            assert index._holds(literal) == (literal in lowered), (block[:60], literal)
            plain = classify._BlockIndex(block)
            assert index.quiet(key, [literal]) == plain.quiet(key, [literal])


def test_block_index_quiet() -> None:
    assert classify._BlockIndex(b"x error\ny\n").quiet(0, [b"cmake"])
    assert not classify._BlockIndex(b"x CMake\ny\n").quiet(0, [b"cmake"])
    assert not classify._BlockIndex(b"x \xc3\x97\ny\n").quiet(0, [b"cmake"])
    assert not classify._BlockIndex(b"x\x07\ny\n").quiet(0, [b"cmake"])


def test_the_keywords_under_a_term_are_found_as_one_in_each_finds_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_candidates looks for the keywords that hold a scan term only at the term's places in the line; the
    rules it gives are those one `in` per keyword gives (every fixture line, and lines glued from pieces of
    keywords, so that a keyword's term is met at the line's edges and keywords overlap)."""
    monkeypatch.setenv("SAFE_PIP_PURE_SCAN", "1")
    from safe_pip.rules import load_rules

    classifier = Classifier(load_rules())
    keywords = sorted({keyword for found in classifier._term_keywords for keyword in found})
    lines = {raw.lower() for log in LOGS.glob("**/*.log") for raw in log.read_bytes().splitlines()}
    chooser = random.Random(2026)
    for _ in range(20000):
        first, second = chooser.choice(keywords), chooser.choice(keywords)
        lines.add(
            first[chooser.randint(0, 4) :]
            + chooser.choice([b"", b" ", b"x"])
            + second[: chooser.randint(1, 40)]
        )
    checked = 0
    for lowered in sorted(lines):
        hits = classifier._scanner.line_hits(lowered)
        if not hits:
            continue
        wanted: set[int] = set()
        for index in hits:
            for keyword in classifier._term_keywords[index]:
                if keyword in lowered:
                    wanted.update(classifier._keyword_rules.get(keyword, ()))
        assert classifier._candidates(hits, lowered) == wanted, lowered
        checked += 1
    assert checked > 10000


@pytest.mark.parametrize(
    ("pattern", "blind"),
    [
        (r"error: (?P<what>\w+) failed", True),
        (r"exit (?:code|status):? (?:-9|137)\b", False),
        (r"\d+\.\d+\s\S+[^\s]", True),
        (r"[0-5]x", False),
        (r"[^0-9a-f]{2}", True),
        (r"[^\d]x|\D", True),
        (r"(\w)\1", False),
        (r"(?i)lib(?=c)(?<!x)(?:a|b)*?c+", True),
        (r"python2\.7", False),
        (r"(?:\s|$)", True),
    ],
)
def test_digit_blind(pattern: str, blind: bool) -> None:
    assert classify._digit_blind(pattern) is blind


def test_the_structure_expressions_treat_digits_alike() -> None:
    """Classifier._masked_entry keeps a line's structure for the lines that differ from it only in their
    digits (its package names excepted, asked again): every expression _structure_of asks must then treat
    all digits alike."""
    expressions = [
        *classify._PACKAGE_LINES,
        classify._FAILED_BUILD,
        classify._SUCCESS,
        classify._PIP_ERROR,
        classify._BUILD_ERROR_START,
        classify._NOT_EVIDENCE_AT_START,
        classify._NOT_EVIDENCE,
        classify._BUILD_ERROR,
        *classify._BUILD_ERROR_WORDS,
    ]
    assert all(classify._digit_blind(expression.pattern) for expression in expressions)


def _kept(classifier: Classifier) -> Any:
    """What a classifier kept while reading (each rule's hits, packages and spans; its structure)."""
    states = [
        (
            state.vetoed,
            [
                (hits.first, list(hits.last), hits.packages, hits.spans)
                for hits in (state.any, *state.all, *state.context)
            ],
        )
        for state in classifier._states
    ]
    return (
        [diagnosis.to_json() for diagnosis in classifier.diagnoses()],
        states,
        classifier._package,
        classifier._failed_builds,
        classifier._success_line,
        classifier._error_after_success,
        list(classifier._build_errors),
        classifier._first_build_errors,
        classifier.lines_seen,
    )


def test_lines_that_differ_in_their_digits_give_what_each_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the accelerator a line whose digits masked were met before is read from what that line gave
    (Classifier._read_masked, _masked_entry): every fixture log (up to 64 KB) followed by two copies with
    other digits, as one log, gives what the pure scan (which reads every line) gives."""
    pytest.importorskip("ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed")
    rules = load_rules()
    shift, scramble = (
        bytes.maketrans(b"0123456789", b"1234567890"),
        bytes.maketrans(b"0123456789", b"3074185296"),
    )
    parts: list[bytes] = []
    for path in sorted(LOGS.glob("**/*.log")):
        data = path.read_bytes()
        if len(data) <= 64 << 10:
            data = data if data.endswith(b"\n") else data + b"\n"
            parts.extend((data, data.translate(shift), data.translate(scramble)))
    log = b"".join(parts)
    kept = {}
    for scan in ("pure", "fast"):
        if scan == "fast":
            monkeypatch.delenv("SAFE_PIP_PURE_SCAN", raising=False)
            monkeypatch.setattr(_scan, "_ANCHORS_AFTER", -1)
            # (the memo forgets all once it holds _MEMO_BYTES: the fixture corpus outgrew it, so a forgetting
            # late in this log left few entries; forgetting is tested in test_classify)
            monkeypatch.setattr(classify, "_MEMO_BYTES", 1 << 40)
        else:
            monkeypatch.setenv("SAFE_PIP_PURE_SCAN", "1")
        classifier = Classifier(rules)
        classifier.feed_stream(io.BytesIO(log))
        kept[scan] = _kept(classifier)
        if scan == "fast":
            assert len(classifier._masked) > 500  # (the masked lines were read from their entries)
    assert kept["fast"] == kept["pure"]
