"""The scanner finds exactly the lines, and the terms in each, that one `in` per term and line would."""

from __future__ import annotations

import random

import pytest

from safe_pip._scan import TermScanner

TERMS = [
    b"error",
    b"err",
    b"rror: x",
    b"fail",
    b"max_jobs",
    b"jobs",
    b"ab",
    b"abc",
    b"bca",
    b"a\nb",
    b"c d",
    b"d",
]


def _naive(block: bytes, terms: list[bytes]) -> list[tuple[int, frozenset[int]]]:
    lowered = block.lower()
    found: dict[int, set[int]] = {}
    starts = [0] + [i + 1 for i, byte in enumerate(lowered) if byte == 10]
    for index, term in enumerate(terms):
        position = lowered.find(term)
        while position >= 0:
            line = max(i for i, start in enumerate(starts) if start <= position)
            found.setdefault(line + 1, set()).add(index)
            position = lowered.find(term, position + 1)
    return sorted((number, frozenset(hits)) for number, hits in found.items())


@pytest.mark.parametrize(
    "alone", [None, {b"error", b"fail", b"jobs", b"d"}, set()], ids=["all", "some", "none"]
)
def test_the_scanner_finds_what_one_search_per_term_finds(alone: set[bytes] | None) -> None:
    chooser = random.Random(17)
    scanner = TermScanner(TERMS, alone)
    for _ in range(300):
        block = b"".join(
            chooser.choice([b"a", b"b", b"c", b" ", b"d", b"\n", b"E", b"rror: x", b"_jobs", b"fail"])
            for _ in range(chooser.randint(0, 60))
        )
        got = [(number, hits) for number, _, _, hits in scanner.spans(block, 1)]
        assert got == _naive(block, TERMS), block
        for _number, start, end, hits in scanner.spans(block, 1):
            if b"\n" not in b"".join(TERMS[i] for i in hits):
                assert scanner.line_hits(block[start:end].lower()) == hits


def _accelerated(terms: list[bytes], alone: set[bytes] | None = None) -> TermScanner:
    pytest.importorskip("ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed")
    return TermScanner(terms, alone, accelerate=True)


def test_the_accelerator_finds_what_the_pure_scan_finds() -> None:
    # Random blocks from pieces of overlapping terms, a term across lines, repeated terms among them.
    terms = [*TERMS, b"error"]
    chooser = random.Random(18)
    pure, fast = TermScanner(terms, None, accelerate=False), _accelerated(terms)
    for _ in range(500):
        block = b"".join(
            chooser.choice(
                [b"a", b"b", b"c", b" ", b"d", b"\n", b"E", b"rror: x", b"_jobs", b"FAIL", b"\xc3"]
            )
            for _ in range(chooser.randint(0, 80))
        )
        assert list(fast.spans(block, 7)) == list(pure.spans(block, 7)), block


def test_the_accelerator_finds_what_the_pure_scan_finds_in_every_fixture() -> None:
    from pathlib import Path

    from safe_pip.classify import Classifier
    from safe_pip.rules import load_rules

    plan = Classifier(load_rules())
    fast = _accelerated(plan.scan_terms)
    pure = TermScanner(plan.scan_terms, None, accelerate=False)
    for path in sorted((Path(__file__).parent / "fixtures" / "logs").glob("**/*.log")):
        block = path.read_bytes()
        assert list(fast.spans(block, 1)) == list(pure.spans(block, 1)), path


def test_the_accelerators_lines_are_the_lines_the_scan_finds() -> None:
    """`lines` (one non-overlapping pass) gives the lines `spans` gives; with a term holding a newline it
    gives nothing (such a term is found across lines only by `spans`)."""
    terms = [term for term in TERMS if b"\n" not in term]
    chooser = random.Random(19)
    fast = _accelerated(terms)
    assert _accelerated(TERMS).lines(b"a\nb", 1) is None
    assert TermScanner(terms, None, accelerate=False).lines(b"error", 1) is None
    for _ in range(500):
        block = b"".join(
            chooser.choice(
                [b"a", b"b", b"c", b" ", b"d", b"\n", b"E", b"rror: x", b"_jobs", b"FAIL", b"\xc3"]
            )
            for _ in range(chooser.randint(0, 80))
        )
        lines = fast.lines(block, 7)
        assert lines is not None
        assert list(lines) == [(number, start, end) for number, start, end, _ in fast.spans(block, 7)], block


ANCHORED = [b"mpicc", b"mpicxx", b"mpic++", b"lnk1104", b"lnk1181", b"devel files", b"devel headers", b"fail"]


def test_terms_that_begin_alike_share_one_pass_and_a_line_holding_only_their_start_is_dropped() -> None:
    chooser = random.Random(5)
    scanner = TermScanner(ANCHORED, accelerate=False)
    # Three anchors ("mpic", "lnk11", "devel ") and "fail": four passes for eight terms.
    assert len(scanner._finds) == 4
    pieces = [
        b"mpic",
        b"c",
        b"xx",
        b"++",
        b"lnk11",
        b"04",
        b"81",
        b"devel ",
        b"files",
        b"headers",
        b"fail",
        b"\n",
    ]
    for _ in range(300):
        block = b"".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 30)))
        got = [(number, hits) for number, _, _, hits in scanner.spans(block, 1)]
        assert got == _naive(block, ANCHORED), block
        for _number, start, end, hits in scanner.spans(block, 1):
            assert scanner.line_hits(block[start:end].lower()) == hits
    assert list(scanner.spans(b"mpicfoo\nlnk1199\ndevel fun\n", 1)) == []


def test_no_anchor_is_a_piece_of_ordinary_log_text() -> None:
    # "build" begins "building wheel" and "build_ext": text every pip log holds, so no anchor.
    scanner = TermScanner([b"building wheel", b"build_ext", b"mpicc", b"mpicxx"], accelerate=False)
    assert sorted(term for _, term in scanner._finds) == [b"build_ext", b"building wheel", b"mpic"]
