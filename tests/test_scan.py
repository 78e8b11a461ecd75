"""The scanner finds exactly the lines, and the terms in each, that one `in` per term and line would."""

from __future__ import annotations

import platform
import random
from pathlib import Path

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


def test_a_block_without_bytes_above_127_skips_the_passes_of_terms_holding_one() -> None:
    """The pure scan: a term holding such a byte (a locale's message), alone, under a shorter term or as the
    start several share, is searched in a block only when the block holds such a byte; the lines found are
    one `in` per term's either way."""
    terms = [
        b"error",
        "убито".encode(),
        "убит".encode(),
        "убийство".encode(),
        "l'ex\xe9cution".encode(),
        b"kill",
    ]
    terms += ["error: ошибка".encode()]
    pieces = [b"a", b" ", b"\n", b"error", b"kill", b"Kill", "Убито".encode(), "убит".encode(), b": "]
    pieces += ["\u043e\u0448\u0438\u0431\u043a\u0430".encode(), "убийство".encode(), "é".encode(), b"l'ex"]
    chooser = random.Random(1127)
    for alone in (None, {b"error", b"kill"}):
        scanner = TermScanner(terms, alone, accelerate=False)
        if alone is None:  # (else the locales' terms are the trie's: one pass, whatever the block)
            assert len(scanner._ascii_finds) < len(scanner._finds)
        for _ in range(400):
            block = b"".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 40)))
            if chooser.random() < 0.5:
                block = bytes(byte for byte in block if byte < 128)
            got = [(number, hits) for number, _, _, hits in scanner.spans(block, 1)]
            assert got == _naive(block, terms), block


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


# Terms of the shapes the anchors are made for: alike beginnings, terms holding others, a short one,
# messages in other scripts (bytes above 127), and lines of pieces of them.
ANCHOR_TERMS = [
    *ANCHORED,
    b"jobs",
    b"max_jobs",
    b".h",
    b"error",
    b"\xd0\xbd\xd0\xb5 \xd0\xbd\xd0\xb0\xd0\xb9\xd0\xb4\xd0\xb5\xd0\xbd",
    b"\xd0\xbd\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb5\xd1\x81\xd1\x82\xd0\xb0",
    b"\xe7\xa9\xba\xe9\x97\xb4",
]
ANCHOR_PIECES = [
    b"mpic",
    b"xx",
    b"lnk11",
    b"04",
    b"devel ",
    b"files",
    b"FAIL",
    b"max_",
    b"JOBS",
    b".",
    b"H",
    b"erro",
    b"r",
    b"\xd0\xbd\xd0\xb5 ",
    b"\xd0\xbd\xd0\xb0\xd0\xb9\xd0\xb4\xd0\xb5\xd0\xbd",
    b"\xd0\xbc\xd0\xb5\xd1\x81\xd1\x82\xd0\xb0",
    b"\xe7\xa9\xba",
    b"\xe9\x97\xb4",
    b" ",
    b"\n",
]


def _anchored(terms: list[bytes], monkeypatch: pytest.MonkeyPatch) -> TermScanner:
    """A scanner that reads every block through its anchors (not only a log's blocks past the first MB)."""
    from safe_pip import _scan

    monkeypatch.setattr(_scan, "_ANCHORS_AFTER", -1)
    monkeypatch.setattr(_scan, "_SIMD_MACHINES", frozenset({platform.machine().lower()}))
    return _accelerated(terms)


def _holds_term(line: bytes, terms: list[bytes]) -> bool:
    return any(term in line.lower() for term in terms)


def test_the_anchors_lines_are_the_lines_the_scan_finds_and_some_that_hold_no_term(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`candidate_lines` gives every line `lines` gives, and besides them only lines that hold no term (an
    anchor alone: "mpicfoo", "devel fun"), each line once and in order."""
    scanner = _anchored(ANCHOR_TERMS, monkeypatch)
    chooser = random.Random(23)
    extra = 0
    for _ in range(500):
        block = b"".join(chooser.choice(ANCHOR_PIECES) for _ in range(chooser.randint(0, 40)))
        candidates = scanner.candidate_lines(block, 7)
        expected = scanner.lines(block, 7)
        assert candidates is not None
        assert expected is not None
        found = list(candidates)
        assert [line for line in found if _holds_term(block[line[1] : line[2]], ANCHOR_TERMS)] == list(
            expected
        ), block
        extra += sum(not _holds_term(block[start:end], ANCHOR_TERMS) for _, start, end in found)
        assert all(block.count(b"\n", 0, start) + 7 == number for number, start, _ in found)
    assert extra  # the test reads lines holding an anchor alone
    assert scanner._anchor_passes  # through the anchors' passes


def test_the_anchors_lines_in_every_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from safe_pip.classify import Classifier
    from safe_pip.rules import load_rules

    terms = [term for term in Classifier(load_rules()).scan_terms if b"\n" not in term]
    scanner = _anchored(terms, monkeypatch)
    for path in sorted((Path(__file__).parent / "fixtures" / "logs").glob("**/*.log")):
        block = path.read_bytes()
        found = list(scanner.candidate_lines(block, 1) or ())
        held = [line for line in found if _holds_term(block[line[1] : line[2]], terms)]
        assert held == list(scanner.lines(block, 1) or ()), path


def test_each_term_holds_an_anchor_and_passes_stay_few() -> None:
    from safe_pip import _scan
    from safe_pip.classify import Classifier
    from safe_pip.rules import load_rules

    pytest.importorskip("ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed")
    for terms in (ANCHOR_TERMS, [t for t in Classifier(load_rules()).scan_terms if b"\n" not in t]):
        unique = list(dict.fromkeys(terms))
        anchors = _scan._anchor_set(unique)
        assert all(any(anchor in term for anchor in anchors) for term in unique)
        assert len(set(anchors)) == len(anchors)
    # "mpicc", "mpicxx", "mpic++" by "mpic"; "max_jobs" by "jobs"; the Cyrillic pair by one piece
    assert {b"mpic", b"jobs", b".h"} <= set(anchors := _scan._anchor_set(ANCHOR_TERMS))
    assert b"max_jobs" not in anchors
    assert sum(not anchor.isascii() for anchor in anchors) == 2
    # The built-in rules' terms: whether their anchors are searched in passes or by the automaton of all terms,
    # never more passes than _MAX_ANCHOR_PASSES of each kind. Since 2026-12-02 (513 terms, 322 plain anchors)
    # they would need 9, and the automaton reads them: measured the faster path at that size (5.7 ms per MB of a
    # verbose build log against 6.2-7.4 ms for 7-9 passes; docs/measurements/speed-diagnose-2026-12-02n.md).
    builtin = list(dict.fromkeys(t for t in Classifier(load_rules()).scan_terms if b"\n" not in t))
    passes = _scan._anchor_passes(builtin)
    assert sum(not unusual for _, unusual in passes) <= _scan._MAX_ANCHOR_PASSES
    assert sum(unusual for _, unusual in passes) <= _scan._MAX_ANCHOR_PASSES
    # A term set that would need more passes is read by the automaton (no passes), the same lines found.
    # (terms that share no beginning: each is its own anchor)
    words = ("".join(chr(97 + number // 26**place % 26) for place in range(4)) for number in range(10**4))
    many = [f"{word}-qx".encode() for word in words][: 64 * (_scan._MAX_ANCHOR_PASSES + 1)]
    assert _scan._anchor_passes(many) == []
    scanner = _accelerated(many)
    block = (b"x\n" + many[7] + b"\nnothing\n" + many[400].upper() + b" y\n") * 3
    found = list(scanner.candidate_lines(block, 1) or ())
    assert [number for number, _, _ in found] == [2, 4, 6, 8, 10, 12]
    assert found == list(scanner.lines(block, 1) or ())


def test_a_log_is_read_through_the_anchors_once_past_its_first_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safe_pip import _scan

    scanner = _accelerated(ANCHOR_TERMS)
    monkeypatch.setattr(_scan, "_ANCHORS_AFTER", 100)
    block = b"mpicc x\nnothing\nMAX_JOBS=2\nmpicfoo\n" * 2
    first = list(scanner.candidate_lines(block, 1) or ())
    assert scanner._anchor_passes is None  # 72 bytes read: the automaton of all terms
    assert first == list(scanner.lines(block, 1) or ())
    later = list(scanner.candidate_lines(block, 9) or ())
    assert scanner._anchor_passes is not None
    machine_has_simd = platform.machine().lower() in _scan._SIMD_MACHINES
    assert [line for line in later if b"mpicfoo" not in block[line[1] : line[2]]] == list(
        scanner.lines(block, 9) or ()
    )
    assert len(later) == (6 if machine_has_simd else 4)


def _caseless(terms: list[bytes], monkeypatch: pytest.MonkeyPatch) -> TermScanner:
    """A scanner that reads every block through hyperscan's caseless search (made in the process)."""
    pytest.importorskip("hyperscan", reason="the optional caseless search (extra 'fast') is not installed")
    monkeypatch.setenv("SAFE_PIP_HYPERSCAN", "1")
    return _accelerated(terms)


# Pieces in other cases than the terms' (bytes.lower folds A-Z only: "\xc9" is not "\xe9"), and Latin-1's
# upper and lower e-acute beside a term that holds one.
CASE_PIECES = [*ANCHOR_PIECES, b"ErRoR", b"MpIcXx", b"\xc9T\xc9", b"\xe9t\xe9", b"LNK1181", b"Devel Headers"]


def test_the_caseless_search_gives_the_lines_the_scan_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """`candidate_lines` through hyperscan gives exactly the lines `lines` gives (every line holding a term in
    the block's lower case), numbered, in order, on random blocks of pieces in every case."""
    terms = [*ANCHOR_TERMS, b"\xe9t\xe9"]
    scanner = _caseless(terms, monkeypatch)
    chooser = random.Random(29)
    for _ in range(500):
        block = b"".join(chooser.choice(CASE_PIECES) for _ in range(chooser.randint(0, 40)))
        found = scanner.candidate_lines(block, 7)
        assert found is not None
        assert scanner.lowered == (b"", b"")  # no lower case made
        assert list(found) == list(scanner.lines(block, 7) or ()), block
    assert isinstance(scanner._caseless, tuple)  # through hyperscan


def test_the_caseless_search_in_every_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from safe_pip.classify import Classifier
    from safe_pip.rules import load_rules

    terms = [term for term in Classifier(load_rules()).scan_terms if b"\n" not in term]
    scanner = _caseless(terms, monkeypatch)
    for path in sorted((Path(__file__).parent / "fixtures" / "logs").glob("**/*.log")):
        block = path.read_bytes()
        assert list(scanner.candidate_lines(block, 1) or ()) == list(scanner.lines(block, 1) or ()), path
    assert isinstance(scanner._caseless, tuple)


def test_the_caseless_database_is_made_apart_kept_and_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without SAFE_PIP_HYPERSCAN=1 no database is made in the process: a log past _CASELESS_AFTER starts a
    process that keeps one in `database_folder` (the log goes on through the anchors); a later log past
    _ANCHORS_AFTER reads it; a damaged file is read as none. No folder: hyperscan is never used."""
    pytest.importorskip("hyperscan", reason="the optional caseless search (extra 'fast') is not installed")
    from safe_pip import _scan

    monkeypatch.delenv("SAFE_PIP_HYPERSCAN", raising=False)
    monkeypatch.setattr(_scan, "_CASELESS", {})
    monkeypatch.setattr(_scan, "_ANCHORS_AFTER", 10)
    monkeypatch.setattr(_scan, "_CASELESS_AFTER", 100)
    monkeypatch.setattr(_scan, "_SIMD_MACHINES", frozenset({platform.machine().lower()}))
    block = b"mpicc x\nnothing\nMAX_JOBS=2\nmpicfoo\nDevel Headers\n"
    monkeypatch.setattr(_scan, "database_folder", None)
    scanner = _accelerated(ANCHOR_TERMS)
    for _ in range(4):
        list(scanner.candidate_lines(block, 1) or ())
    assert scanner._caseless is False
    monkeypatch.setattr(_scan, "database_folder", str(tmp_path))
    scanner = _accelerated(ANCHOR_TERMS)
    list(scanner.candidate_lines(block, 1) or ())
    assert scanner._caseless is True  # past _ANCHORS_AFTER, none kept
    for _ in range(3):
        list(scanner.candidate_lines(block, 1) or ())
    assert scanner._caseless is False  # past _CASELESS_AFTER: being made apart
    assert _scan._MAKING[-1].wait(120) == 0
    kept = list(tmp_path.glob("scan-*.hsdb"))
    assert len(kept) == 1
    scanner = _accelerated(ANCHOR_TERMS)
    list(scanner.candidate_lines(block, 1) or ())
    assert isinstance(scanner._caseless, tuple)
    assert list(scanner.candidate_lines(block, 1) or ()) == list(scanner.lines(block, 1) or ())
    kept[0].write_bytes(b"not a database")
    monkeypatch.setattr(_scan, "_CASELESS", {})
    scanner = _accelerated(ANCHOR_TERMS)
    list(scanner.candidate_lines(block, 1) or ())
    assert scanner._caseless is True


def test_the_caseless_search_tells_the_present_literals_and_unclean_bytes_a_block_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`block_facts`: of the literals asked, exactly those the block's lower case holds (in any case, across
    lines too), and whether the block holds a byte other than printable ASCII, tab and newline (a control
    byte, NUL, DEL, a byte above 127), as one `in` per literal and one `translate` would say."""
    scanner = _caseless(ANCHOR_TERMS, monkeypatch)
    asked = (b"because ", b"jobs\nmpic", b"\xe9t\xe9", b"devel headers")
    scanner.present_literals = asked
    clean = b"\t\n" + bytes(range(0x20, 0x7F))
    pieces = [*CASE_PIECES, b"BeCause ", b"\r", b"\x00", b"\x7f", b"\x1b[0m", b"\x0c", b"\t", b"~"]
    chooser = random.Random(31)
    for _ in range(500):
        block = b"".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 40)))
        list(scanner.candidate_lines(block, 1) or ())
        assert scanner.block_facts is not None
        facts_block, present, unclean = scanner.block_facts
        assert facts_block is block
        assert present == {literal for literal in asked if literal in block.lower()}, block
        assert unclean == bool(block.translate(None, clean)), block
