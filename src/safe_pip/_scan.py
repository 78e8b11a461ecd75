"""Find the lines of a block that hold any of many lower-case terms, with few C-level passes over it.

The classifier reads a line only when it holds one of its scan terms (classify.SCAN_WORDS and the keywords
that hold none of them). The cost of a log is then the passes over each block, so the terms are searched thus:

- a term that holds another term is not searched: it is looked for (`in`) only in the lines where the shorter
  one was found (`max_jobs` in the lines of `jobs`);
- the broad words and the built-in rules' own keywords: one `bytes.find` pass each (CPython's fast search);
- the keywords only other rules need (a user's 10,000 rules): one regular expression, their trie, which finds
  the lines holding any of them in one pass; the terms a line holds are then read from that line alone.

`spans` gives for each such line its number, where it is in the block, and exactly the indexes of the terms
it holds, as one `bytes.find` pass per term would (a term holding "\\n" is searched alone, across lines).

Each `bytes.find` pass costs about 0.45-0.6 ms per MB however rare its term, so the pure scan costs that
times the number of terms searched (~110-140 passes with today's rules: ~19 MB/s on a verbose build log).
When the optional `ahocorasick-rs` package is installed (`pip install safe-pip-explain[fast]`), one
Aho-Corasick pass over the block (a DFA, ~2 ms per MB) finds every line holding a term and the result is
the same (tests/test_scan.py compares the two: `lines`, `spans`); `SAFE_PIP_PURE_SCAN=1` keeps the pure
scan even then. Past a log's first half megabyte (`candidate_lines`), the accelerator's SIMD search looks for
the terms' anchors instead, in a few passes of at most 64 patterns each (~1 ms per MB in all). Where
`hyperscan` is installed too (the same extra), a big log's blocks are read instead by one caseless search of
every term over the block as it is (no lower case made; `_caseless_database`), once its database is kept.

Anchors make the passes fewer: terms that begin alike ("mpic" for mpicc/mpicxx/mpic++, "lnk11" for
LNK1104/LNK1181, "devel" for the "devel files/headers/..." wordings) are found by one pass for their shared
beginning, their lines then read for the terms with `in`, and a line holding only the anchor is dropped. A
beginning that ordinary log text holds ("build") is never an anchor: it would send most lines through the
checks. With today's rules: 118 passes instead of 141.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections.abc import Collection, Iterator, Sequence
from operator import itemgetter

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LiteralFinder", "TermScanner", "leftmost_finder", "literal_finder"]


class TermScanner:
    """The lines of a block holding any of `terms` (lower-case bytes); the terms in `alone` (all when None)
    are searched each with a pass of its own, the others through one trie-shaped regular expression."""

    __slots__ = (
        "_accelerated",
        "_across_lines",
        "_anchor_passes",
        "_anchors",
        "_ascii_finds",
        "_automaton_terms",
        "_block_bytes",
        "_caseless",
        "_dfa",
        "_finds",
        "_trie",
        "_trie_terms",
        "_under",
        "block_facts",
        "lowered",
        "present_literals",
        "terms",
    )

    def __init__(
        self,
        terms: Sequence[bytes],
        alone: Collection[bytes] | None = None,
        *,
        accelerate: bool | None = None,
    ) -> None:
        self.terms = tuple(terms)
        # The last block a scan read and its lower case (a caller reading the same block shares it).
        self.lowered: tuple[bytes, bytes] = (b"", b"")
        self._block_bytes = 0  # the bytes of the blocks `candidate_lines` read
        # see candidate_lines: made when first asked
        self._anchor_passes: list[tuple[Any, bool]] | None = None
        # see candidate_lines: the caseless search's (database, scratch) when it runs, False when it cannot
        self._caseless: tuple[Any, Any] | bool | None = None
        # Literals a caller asks about whole blocks (the classifier's window literals): the caseless search
        # tells which of them the block's lower case holds, and whether the block holds a byte that is not
        # printable ASCII, tab or newline, as `block_facts` (the block, those literals, that), or None.
        self.present_literals: tuple[bytes, ...] = ()
        self.block_facts: tuple[bytes, frozenset[bytes], bool] | None = None
        # What follows depends on the terms alone (and on whether the accelerator runs): worked out once per
        # process for each set of terms and shared (see _TABLES), as is the automaton of the terms.
        accelerated = bool(self.terms) and _accelerator(accelerate) is not None
        key = (self.terms, None if alone is None else frozenset(alone), accelerated)
        tables = _TABLES.get(key)
        if tables is None:
            self._build(alone, accelerate)
            if len(_TABLES) >= _MAX_TABLES:
                _TABLES.pop(next(iter(_TABLES)))
            tables = _TABLES[key] = tuple(getattr(self, name) for name in _TABLE_SLOTS)
        else:
            for name, value in zip(_TABLE_SLOTS, tables):
                setattr(self, name, value)

    def _build(self, alone: Collection[bytes] | None, accelerate: bool | None) -> None:
        """The scan's tables of its terms (see __init__)."""
        index_of = {term: index for index, term in reversed(list(enumerate(self.terms)))}
        unique = [index for index, term in enumerate(self.terms) if index_of[term] == index]
        # The optional accelerator (see the module's doc): None when absent, refused or asked not to be used.
        self._automaton_terms = unique
        self._accelerated = bool(unique) and _accelerator(accelerate) is not None
        # The accelerator's automaton of the terms, made when a block first asks (shared, see __init__).
        self._dfa: list[Any] = [None]
        self._across_lines = any(b"\n" in term for term in self.terms)
        searched = [index for index in unique if alone is None or self.terms[index] in alone]
        # A term holding a shorter searched term is looked for only where that one was found.
        self._under: dict[int, list[int]] = {}
        holds = _terms_inside([self.terms[index] for index in unique], self._accelerated)
        kept = []
        searched_terms = {self.terms[index] for index in searched}
        for index in searched:
            term = self.terms[index]
            inner = _shortest_inside(term, holds[term] & searched_terms, b"\n" in term)
            if inner is None:
                kept.append(index)
            else:
                self._under.setdefault(index_of[inner], []).append(index)
        self._finds = [(index, self.terms[index]) for index in kept]
        rest = [index for index in unique if alone is not None and self.terms[index] not in alone]
        trie_terms: list[int] = []
        found_alone = {term for _, term in self._finds}
        for index in rest:
            term = self.terms[index]
            inner = _shortest_inside(term, holds[term] & found_alone, b"\n" in term)
            if b"\n" in term and inner is None:
                self._finds.append((index, term))  # found across lines, as a pass of its own finds it
            elif inner is not None:
                self._under.setdefault(index_of[inner], []).append(index)
            else:
                trie_terms.append(index)
        self._trie_terms = {self.terms[index]: index for index in trie_terms}
        self._trie = _trie_regex([self.terms[index] for index in trie_terms]) if trie_terms else None
        # Terms that begin alike (`mpicc`, `mpicxx`, `mpic++`: "mpic") are found through one pass for what
        # they share; its lines are then read for the terms (an anchor's index lies past the terms').
        self._anchors: dict[int, list[int]] = {}
        searched_alone = {term: index for index, term in self._finds if b"\n" not in term}
        for anchor, members in _anchor_cover(list(searched_alone)):
            pseudo = len(self.terms) + len(self._anchors)
            self._anchors[pseudo] = [searched_alone[term] for term in members]
            grouped = set(self._anchors[pseudo])
            self._finds = [(index, term) for index, term in self._finds if index not in grouped]
            self._finds.append((pseudo, anchor))
        # The passes an ASCII block needs: no term holding a byte above 127 (the locales' messages, ~50 of the
        # built-in rules' ~250 passes) can be in it (nor, then, a longer term looked for in its lines).
        self._ascii_finds = [(index, term) for index, term in self._finds if term.isascii()]

    def spans(self, block: bytes, first_line: int) -> Iterator[tuple[int, int, int, frozenset[int]]]:
        """(line number, start, end, term indexes) of each line of `block` holding a term, in order;
        `block[start:end]` is the line without its newline."""
        if self._accelerated:
            yield from self._automaton_spans(block, first_line)
            return
        lowered = block.lower()
        self.lowered = (block, lowered)
        hits: dict[int, set[int]] = {}
        find = lowered.find
        rfind = lowered.rfind
        # (bytes.isascii reads 1 MB in ~0.04 ms; each pass it spares costs ~0.35 ms)
        for index, term in self._ascii_finds if block.isascii() else self._finds:
            position = find(term)
            while position >= 0:
                start = rfind(b"\n", 0, position) + 1
                found = hits.get(start)
                if found is None:
                    hits[start] = {index}
                else:
                    found.add(index)
                end = find(b"\n", position)
                if end < 0:
                    break
                position = find(term, end)
        if self._trie is not None:
            line_end = -1
            for match in self._trie.finditer(lowered):
                position = match.start()
                if position < line_end:
                    continue  # a line already found: its terms are read from it below
                start = rfind(b"\n", 0, position) + 1
                line_end = find(b"\n", position)
                if line_end < 0:
                    line_end = len(lowered)
                found = hits.get(start)
                if found is None:
                    found = hits[start] = set()
                found.update(self._trie_hits(lowered[start:line_end]))
        under, anchors = self._under, self._anchors
        number, counted_to = first_line, 0
        for start in sorted(hits):
            end = block.find(b"\n", start)
            end = end if end >= 0 else len(block)
            found = hits[start]
            if anchors and not self._read_anchors(found, lowered[start:end]):
                continue  # the line holds an anchor but none of its terms
            number += block.count(b"\n", counted_to, start)
            counted_to = start
            if under:
                line = lowered[start:end]
                for index in list(found):
                    for inner in under.get(index, ()):
                        if self.terms[inner] in line:
                            found.add(inner)
            yield number, start, end, frozenset(found)

    def _read_anchors(self, found: set[int], line: bytes) -> bool:
        """Replace the anchors in `found` by those of their terms `line` holds; whether any term is left."""
        terms = self.terms
        for pseudo in [index for index in found if index in self._anchors]:
            found.discard(pseudo)
            found.update(index for index in self._anchors[pseudo] if terms[index] in line)
        return bool(found)

    def _automaton_spans(
        self, block: bytes, first_line: int
    ) -> Iterator[tuple[int, int, int, frozenset[int]]]:
        """`spans` through the accelerator: every occurrence of every term, given to the line it starts in."""
        lowered = block.lower()
        self.lowered = (block, lowered)
        matches = self._automaton().find_matches_as_indexes(lowered, overlapping=True)
        if not matches:
            return
        indexes = self._automaton_terms
        rfind, find = lowered.rfind, lowered.find
        hits: dict[int, set[int]] = {}
        line_start = line_end = -1
        found: set[int] = set()
        for pattern, position, _ in matches:  # in the order their ends are reached
            if not line_start <= position < line_end:
                line_start = rfind(b"\n", 0, position) + 1
                line_end = find(b"\n", position)
                if line_end < 0:
                    line_end = len(lowered)
                known = hits.get(line_start)
                found = hits[line_start] = set() if known is None else known
            found.add(indexes[pattern])
        number, counted_to = first_line, 0
        for start in sorted(hits):
            number += block.count(b"\n", counted_to, start)
            counted_to = start
            end = block.find(b"\n", start)
            yield number, start, end if end >= 0 else len(block), frozenset(hits[start])

    def lines(self, block: bytes, first_line: int) -> Iterator[tuple[int, int, int]] | None:
        """(line number, start, end) of each line of `block` holding a term, as `spans` gives them but
        without the terms, when the accelerator can find them in one non-overlapping pass (no term holds a
        newline: an occurrence a match overlaps is in the line of that match); None otherwise."""
        if not self._accelerated or self._across_lines:
            return None
        return self._automaton_lines(block, first_line)

    def _automaton_lines(self, block: bytes, first_line: int) -> Iterator[tuple[int, int, int]]:
        lowered = block.lower()
        self.lowered = (block, lowered)
        rfind, find, count = lowered.rfind, lowered.find, block.count
        number, counted_to, line_end = first_line, 0, -1
        for _, position, _ in self._automaton().find_matches_as_indexes(lowered):  # in the order they start
            if position < line_end:
                continue
            start = rfind(b"\n", 0, position) + 1
            line_end = find(b"\n", position)
            if line_end < 0:
                line_end = len(lowered)
            number += count(b"\n", counted_to, start)
            counted_to = start
            yield number, start, line_end

    def candidate_lines(self, block: bytes, first_line: int) -> Iterator[tuple[int, int, int]] | None:
        """(line number, start, end) of each line of `block` holding a term, as `lines` gives them, and
        perhaps of lines holding only one of the terms' anchors (see `_anchor_set`): the caller reads each
        line's terms itself (the classifier's literal finder holds them) and drops those. None when `lines`
        is None.

        The accelerator's SIMD search (Teddy) runs only for at most 64 patterns in leftmost-first order;
        past that it is an automaton stepped byte by byte (its DFA: ~2.1 ms per MB of a verbose build log
        for ~280 terms). The terms' anchors, a few groups of at most 64 (each term holds one of them), are
        searched one group a pass (~0.2-0.35 ms per MB each on the same log, ~1 ms in all); a lone anchor
        shorter than 3 bytes (".h") has a pass of its own (one pattern: a memchr-based search). Where the
        search would be no faster (too many groups, or a machine without those instructions) the lines
        are `lines`' own. With hyperscan and a kept database (see _caseless_database), the lines are
        exactly `lines`' own, found in one caseless pass over the block as it is."""
        if not self._accelerated or self._across_lines:
            return None
        self._block_bytes += len(block)
        caseless = self._caseless
        if caseless is None or caseless is True:
            # (a small log never asks: reading a kept database costs more than the automaton of all terms)
            if caseless is None and (self._block_bytes > _ANCHORS_AFTER or _caseless_forced()):
                caseless = self._caseless = self._caseless_search(make=False)
            elif caseless is True and self._block_bytes > _CASELESS_AFTER:
                caseless = self._caseless = self._caseless_search(make=True)
        if caseless is not None and caseless is not True and caseless is not False:
            self.lowered = (b"", b"")  # (none made: a caller that needs the block's lower case makes it)
            return self._caseless_lines(block, first_line, caseless)
        passes = self._anchor_passes
        if passes is None:
            if self._block_bytes <= _ANCHORS_AFTER:
                return self._automaton_lines(block, first_line)  # a small log: not worth making the passes
            passes = self._anchor_passes = _anchor_passes(
                [self.terms[index] for index in self._automaton_terms]
            )
        if not passes:
            return self._automaton_lines(block, first_line)
        return self._anchored_lines(block, first_line, passes)

    def _caseless_search(self, make: bool) -> tuple[Any, Any] | bool:
        """The second optional accelerator's (hyperscan's) caseless search of the terms over a block as it
        is, with its scratch space (see `_caseless_database`); True when it is there but no database is
        kept yet (asked again, with `make`, past _CASELESS_AFTER bytes of the log); False when it is not
        there, not wanted, or its database is being made for the next runs."""
        terms = [self.terms[index] for index in self._automaton_terms]
        database = _caseless_database(terms, self.present_literals, make)
        if database is None or database is True:
            return database is True
        return database, _hyperscan_module().Scratch(database)

    def _caseless_lines(
        self, block: bytes, first_line: int, search: tuple[Any, Any]
    ) -> Iterator[tuple[int, int, int]]:
        """(line number, start, end) of each line of `block` holding a term, through hyperscan's caseless
        search (`search`: its database and scratch space), which reports the end of every term's match in
        order (no term holds a newline: a match lies in the line its end is in), and once each of the
        present literals and unclean bytes the block holds (see _caseless_database): `block_facts`."""
        database, scratch = search
        ends: list[int] = []
        note = ends.append
        others: set[int] = set()
        other = others.add
        terms = len(self._automaton_terms)
        database.scan(
            block,
            match_event_handler=lambda index, _from, to, _flags, _context: (
                note(to) if index < terms else other(index)
            ),
            scratch=scratch,
        )
        asked = self.present_literals
        controls = terms + len(asked)  # (the patterns past the literals: see _CONTROL_BYTES)
        present = frozenset(asked[index - terms] for index in others if index < controls)
        unclean = any(index >= controls for index in others) or not block.isascii() or b"\0" in block
        self.block_facts = (block, present, unclean)
        return _lines_of_ends(block, first_line, ends)

    def _anchored_lines(
        self, block: bytes, first_line: int, passes: list[tuple[Any, bool]]
    ) -> Iterator[tuple[int, int, int]]:
        lowered = block.lower()
        self.lowered = (block, lowered)
        rfind, find = lowered.rfind, lowered.find
        ends: dict[int, int] = {}
        size = len(lowered)
        # (an ASCII block holds no anchor holding a byte above 127: bytes.isascii reads 1 MB in ~0.06 ms)
        plain = block.isascii()
        for automaton, unusual in passes:
            if unusual and plain:
                continue
            line_end = -1
            # Leftmost-first and non-overlapping: a line holding an anchor has a match that starts in it
            # (no anchor holds a newline, so no match runs on from the line before).
            for _, position, _ in automaton.find_matches_as_indexes(lowered):
                if position < line_end:
                    continue
                start = rfind(b"\n", 0, position) + 1
                line_end = find(b"\n", position)
                if line_end < 0:
                    line_end = size
                ends[start] = line_end
        count = block.count
        number, counted_to = first_line, 0
        for start in sorted(ends):
            number += count(b"\n", counted_to, start)
            counted_to = start
            yield number, start, ends[start]

    @property
    def accelerated(self) -> bool:
        """The scan runs on the optional accelerator."""
        return self._accelerated

    def _automaton(self) -> Any:
        """The accelerator's automaton of the terms (a DFA), made when first asked: a log fed line by line
        (a capture) never asks."""
        if self._dfa[0] is None:
            self._dfa[0] = _automaton(
                [self.terms[index] for index in self._automaton_terms], True, whole_blocks=True
            )
        return self._dfa[0]

    def line_hits(self, lowered: bytes) -> frozenset[int]:
        """The indexes of the terms one lower-cased line holds."""
        found = {index for index, term in self._finds if term in lowered}
        if self._anchors:
            self._read_anchors(found, lowered)
        if self._trie is not None and self._trie.search(lowered):
            found.update(self._trie_hits(lowered))
        if self._under:
            for index in list(found):
                for inner in self._under.get(index, ()):
                    if self.terms[inner] in lowered:
                        found.add(inner)
        return frozenset(found)

    def _trie_hits(self, line: bytes) -> set[int]:
        """The trie's terms in one line: at each place the longest that starts there, and the terms it starts
        with (a zero-width search, so overlapping terms are all seen)."""
        found: set[int] = set()
        if self._trie is None:
            return found
        terms = self._trie_terms
        for match in _overlapping(self._trie).finditer(line):
            text = match.group(1)
            for length in range(len(text), 0, -1):
                index = terms.get(text[:length])
                if index is not None:
                    found.add(index)
        return found


class LiteralFinder:
    """Which of many lower-case literals a line holds, in one call of the accelerator's automaton (instead of
    one `in` per literal); see `literal_finder`."""

    __slots__ = ("_automaton",)

    def __init__(self, automaton: Any) -> None:
        self._automaton = automaton

    def found(self, lowered: bytes) -> frozenset[int]:
        """The indexes of the literals `lowered` holds."""
        return frozenset(map(_FIRST, self._automaton.find_matches_as_indexes(lowered, overlapping=True)))


_FIRST = itemgetter(0)  # a match's literal index


def literal_finder(literals: Sequence[bytes], accelerate: bool | None = None) -> LiteralFinder | None:
    """A LiteralFinder of `literals` when the accelerator is there and wanted (see TermScanner), or None."""
    automaton = _automaton(literals, accelerate)
    return None if automaton is None else LiteralFinder(automaton)


def leftmost_finder(literals: Sequence[bytes], accelerate: bool | None = None) -> Any:
    """The accelerator's leftmost-first, non-overlapping search of `literals` (its SIMD search for up to 64
    of them: ~0.4-0.6 ms per MB when they are rare, where one `in` per literal costs ~0.27 ms per MB each),
    or None (see TermScanner). Its `find_matches_as_indexes(text)` gives (index, start, end) of the
    leftmost match, then the leftmost from that match's end on, and so on: an occurrence of any literal
    starts within one of the matches it gives."""
    ahocorasick_rs = _accelerator(accelerate) if literals else None
    if ahocorasick_rs is None:
        return None
    return ahocorasick_rs.BytesAhoCorasick(list(literals), matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST)


def _accelerator(accelerate: bool | None) -> Any:
    """The accelerator's module, or None: not installed, or not wanted (`accelerate=False`, or
    SAFE_PIP_PURE_SCAN set when `accelerate` is None); `accelerate=True` and not installed: ImportError."""
    if accelerate is False or (accelerate is None and os.environ.get("SAFE_PIP_PURE_SCAN")):
        return None
    try:
        import ahocorasick_rs  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if accelerate:
            raise
        return None
    return ahocorasick_rs


def _automaton(terms: Sequence[bytes], accelerate: bool | None, *, whole_blocks: bool = False) -> Any:
    """The accelerator's automaton of `terms`, or None: not installed, not wanted (`accelerate=False`, or
    SAFE_PIP_PURE_SCAN set when `accelerate` is None), or no terms. `whole_blocks`: it reads megabytes at a
    time, so it is built as a DFA (a few milliseconds more to build, about 40% faster to run: 1.7 ms per MB
    of a verbose build log instead of 2.7); a line at a time, the default is as fast and cheaper to build."""
    ahocorasick_rs = _accelerator(accelerate) if terms else None
    if ahocorasick_rs is None:
        return None
    kind = getattr(getattr(ahocorasick_rs, "Implementation", None), "DFA", None) if whole_blocks else None
    return ahocorasick_rs.BytesAhoCorasick(list(terms), implementation=kind)


# TermScanner's tables (the attributes below) by its terms, the terms searched alone and whether the
# accelerator runs: a process that reads many small logs (the tests: thousands) makes them once (~6 ms).
_TABLE_SLOTS = (
    "_accelerated",
    "_across_lines",
    "_anchors",
    "_ascii_finds",
    "_automaton_terms",
    "_dfa",
    "_finds",
    "_trie",
    "_trie_terms",
    "_under",
)
_TABLES: dict[tuple[tuple[bytes, ...], frozenset[bytes] | None, bool], tuple[Any, ...]] = {}
_MAX_TABLES = 8


# A log's first blocks, up to this many bytes, are scanned by the automaton of all terms (a DFA: ~2.3 ms to
# make); past that, by the anchors' passes (see candidate_lines: ~3.5 ms to make, ~1 ms per MB faster).
_ANCHORS_AFTER = 512 << 10
# At most this many patterns are searched with the accelerator's SIMD search (see candidate_lines), and at
# most this many passes of it are made over a block (past that the automaton of all terms is as fast: at 513
# terms, 322 plain anchors, it read a verbose build log in 5.7 ms per MB where 7-9 passes took 6.2-7.4).
_SIMD_PATTERNS = 64
_MAX_ANCHOR_PASSES = 6
# The anchors of plain ASCII are searched in groups of at most this many (see _anchor_passes).
_SIMD_GROUP = 52
# Machines where the accelerator has its SIMD search (x86-64 with SSSE3/AVX2, 64-bit ARM with NEON).
_SIMD_MACHINES = frozenset({"x86_64", "amd64", "aarch64", "arm64"})


def _anchor_set(terms: Sequence[bytes]) -> list[bytes]:
    """Pieces of `terms`, each term holding one (a line holding a term holds its piece): a term holding
    another term stands by it; terms that begin alike (at least 4 bytes, not found in ordinary log text, see
    `_anchor_cover`) by their beginning; a term holding a byte above 127 (the locales' messages) by a piece of
    3 bytes holding one, shared with other such terms where it can be (such bytes are rare in most logs); any
    other term by itself."""
    import ahocorasick_rs  # type: ignore[import-not-found,unused-ignore]  # (installed: see _anchor_passes)

    automaton = ahocorasick_rs.BytesAhoCorasick(list(terms))  # which terms hold others (~0.3 ms to make)
    minimal = [
        term
        for index, term in enumerate(terms)
        if all(found == index for found, _, _ in automaton.find_matches_as_indexes(term, overlapping=True))
    ]
    plain = [term for term in minimal if term.isascii()]
    anchors: list[bytes] = []
    grouped: set[bytes] = set()
    for anchor, members in _anchor_cover(plain):
        anchors.append(anchor)
        grouped.update(members)
    anchors.extend(term for term in plain if term not in grouped)
    # The others: the piece most of those left hold first (then the least piece, so the choice is the same
    # whatever the order of the terms).
    pieces: dict[bytes, set[bytes]] = {}
    for term in minimal:
        if term.isascii():
            continue
        if len(term) < 3:
            anchors.append(term)
            continue
        for start in range(len(term) - 2):
            piece = term[start : start + 3]
            if not piece.isascii():
                pieces.setdefault(piece, set()).add(term)
    while pieces:
        piece, held = min(pieces.items(), key=lambda item: (-len(item[1]), item[0]))
        anchors.append(piece)
        pieces = {other: rest for other, among in pieces.items() if (rest := among - held)}
    return anchors


def _anchor_passes(terms: Sequence[bytes]) -> list[tuple[Any, bool]]:
    """The accelerator's leftmost-first searches of `terms`' anchors (see candidate_lines), each with whether
    only a block holding a byte above 127 needs it (its anchors all hold one: the locales' messages, ~35 of
    the built-in rules' ~290 anchors). The others in groups of at most _SIMD_GROUP alike in length (the
    SIMD search reads as many bytes of each pattern as its shortest has, up to 3; its candidates grow
    faster than its patterns: 5 groups of ~50 read a verbose build log in ~2.3-2.6 ms per MB where 5 of
    ~57 holding the others too took ~3.1); an anchor shorter than 3 bytes alone. Empty when that would not
    be faster."""
    import platform

    if platform.machine().lower() not in _SIMD_MACHINES:
        return []
    import ahocorasick_rs  # type: ignore[import-not-found,unused-ignore]  # (installed: TermScanner asked)

    anchors = sorted(_anchor_set(terms), key=lambda anchor: (len(anchor), anchor))
    groups = [[anchor] for anchor in anchors if len(anchor) < 3]
    for plain in (True, False):
        rest = [anchor for anchor in anchors if len(anchor) >= 3 and anchor.isascii() == plain]
        count = -(-len(rest) // (_SIMD_GROUP if plain else _SIMD_PATTERNS))
        if plain:
            # Larger groups (up to _SIMD_PATTERNS) rather than more passes than _MAX_ANCHOR_PASSES: a few
            # more keywords must not send every block through the automaton of all terms.
            count = max(min(count, _MAX_ANCHOR_PASSES - len(groups)), -(-len(rest) // _SIMD_PATTERNS))
        size = -(-len(rest) // count) if count else 0
        groups.extend(rest[start : start + size] for start in range(0, len(rest), size or 1))
    unusual = [not any(map(bytes.isascii, group)) for group in groups]
    if unusual.count(False) > _MAX_ANCHOR_PASSES or unusual.count(True) > _MAX_ANCHOR_PASSES:
        return []
    kind = ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
    return [
        (ahocorasick_rs.BytesAhoCorasick(group, matchkind=kind), skip) for group, skip in zip(groups, unusual)
    ]


# The second optional accelerator (hyperscan, extra 'fast'): one caseless search of every term over a block as
# it is (no lower case made: one pass where the anchors take five or six passes over a lower case made first;
# a verbose build log's block scan ~2.2 ms per MB where it took ~5.2). Its database of today's ~400 terms
# takes ~0.1 s and ~40 MB to make, more than a diagnosis may hold: it is made once per rule set and machine by
# a process of its own, started when a log passes this many bytes, and kept in `database_folder`, where later
# runs read it (~1-2 ms) once a log passes _ANCHORS_AFTER.
_CASELESS_AFTER = 16 << 20
# The databases made or read in this process, by their terms and present literals.
_CASELESS: dict[tuple[tuple[bytes, ...], tuple[bytes, ...]], Any] = {}
# Where the databases are kept (the commands that diagnose set it to the user's cache folder); None: never
# used (but with SAFE_PIP_HYPERSCAN=1, which makes one in the process itself, from a log's first block:
# the tests' way to run it on small logs).
database_folder: str | None = None
# The process making a database (see _make_database_later), kept while it runs.
_MAKING: list[Any] = []
# What that process runs: the terms (marshalled) on its standard input, the file to write as its argument.
_MAKE_DATABASE = """
import marshal, os, sys
import hyperscan
made_of = marshal.loads(sys.stdin.buffer.read())
patterns, flags = made_of[2], made_of[3]
database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
database.compile(expressions=patterns, ids=list(range(len(patterns))), flags=flags, literal=True)
path = sys.argv[1]
temporary = f"{path}.{os.getpid()}.tmp"
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(temporary, "wb") as stream:
    stream.write(marshal.dumps([made_of, hyperscan.dumpb(database)]))
os.replace(temporary, path)
"""


def _hyperscan_module() -> Any:
    """hyperscan's module, or None: not installed, or not wanted (SAFE_PIP_HYPERSCAN=0; SAFE_PIP_PURE_SCAN
    is asked before, by TermScanner)."""
    if os.environ.get("SAFE_PIP_HYPERSCAN") == "0":
        return None
    try:
        import hyperscan  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return hyperscan


def _hyperscan_installed() -> bool:
    """hyperscan can be imported and is wanted, told without importing it (its import holds ~2 MB)."""
    if os.environ.get("SAFE_PIP_HYPERSCAN") == "0":
        return False
    from importlib.util import find_spec

    return find_spec("hyperscan") is not None


def _caseless_forced() -> bool:
    return os.environ.get("SAFE_PIP_HYPERSCAN") == "1"


# The bytes of a line that is not clean (see classify._is_clean) below 128, but NUL (which hyperscan's literal
# search does not take: looked for with `in`): patterns of the caseless search, each reported once a block.
_CONTROL_BYTES = tuple(bytes([byte]) for byte in (*range(1, 9), *range(11, 32), 127))
# hyperscan's HS_FLAG_CASELESS and HS_FLAG_SINGLEMATCH (hs_compile.h), named here so that a run without a
# kept database need not import it.
_HS_CASELESS, _HS_SINGLEMATCH = 1, 8
# The form of a kept database's file: marshal of (what it is made of, hyperscan's serialized database).
_DATABASE_FORM = 1


def _caseless_patterns(terms: Sequence[bytes], present: Sequence[bytes]) -> tuple[list[bytes], list[int]]:
    """The caseless search's patterns and their flags: the terms (every match), then the present literals
    and the control bytes (the first match of each in a block)."""
    caseless, once = _HS_CASELESS, _HS_SINGLEMATCH
    patterns = [*terms, *present, *_CONTROL_BYTES]
    flags = [caseless] * len(terms) + [caseless | once] * len(present) + [once] * len(_CONTROL_BYTES)
    return patterns, flags


def _caseless_database(terms: Sequence[bytes], present: Sequence[bytes], make: bool) -> Any:
    """hyperscan's database of `terms`, then `present` and _CONTROL_BYTES (see _caseless_patterns; ASCII
    letters matched in either case, as `bytes.lower` makes them alike): made or read before in this
    process, or read from `database_folder`; with SAFE_PIP_HYPERSCAN=1 made now. True when hyperscan is
    there, none is kept and `make` is false; with `make`, a process is started that makes it for the next
    runs (None). None too when hyperscan is not there or not wanted, no folder is set, or the database
    cannot be made or run (an old release without its literal search; a kept file made of other patterns
    or for another machine is made again). hyperscan is imported only when a database is made or read."""
    if os.environ.get("SAFE_PIP_HYPERSCAN") == "0":
        return None  # (not wanted now: nor is a database made or read before in this process)
    key = (tuple(terms), tuple(present))
    database = _CASELESS.get(key)
    if database is not None:
        return database
    patterns, flags = _caseless_patterns(terms, present)
    if not all(patterns) or any(b"\0" in pattern for pattern in patterns):
        return None  # (its literal search takes neither an empty pattern nor a NUL byte)
    if _caseless_forced():
        hyperscan = _hyperscan_module()
        if hyperscan is None:
            return None
        try:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            database.compile(expressions=patterns, ids=list(range(len(patterns))), flags=flags, literal=True)
            database.scan(b"x", match_event_handler=_no_match, scratch=hyperscan.Scratch(database))
        except Exception:  # an old release (no literal search), a processor it does not run on
            return None
        _CASELESS[key] = database
        return database
    if database_folder is None or not _hyperscan_installed():
        return None
    import marshal
    import zlib

    # (the file's name tells files of other patterns apart; what it holds is checked: names may collide)
    machine = os.uname().machine if hasattr(os, "uname") else os.environ.get("PROCESSOR_ARCHITECTURE", "")
    made_of = [_DATABASE_FORM, machine, patterns, flags]
    name = f"scan-{zlib.crc32(repr(made_of).encode()):08x}-{len(patterns)}.hsdb"
    path = os.path.join(database_folder, name)
    try:
        with open(path, "rb") as stream:
            kept_made_of, data = marshal.loads(stream.read())  # noqa: S302 (the user's own cache folder)
        if kept_made_of != made_of:
            raise ValueError("made of other patterns")
        hyperscan = _hyperscan_module()
        database = hyperscan.loadb(data, hyperscan.HS_MODE_BLOCK)
        # (one made for another processor or release fails here; a database read has no scratch space)
        database.scan(b"x", match_event_handler=_no_match, scratch=hyperscan.Scratch(database))
    except Exception:  # none kept yet, damaged, made of other patterns or not for this machine
        if make:
            _make_database_later(path, made_of)
            return None
        return True
    _CASELESS[key] = database
    return database


def _make_database_later(path: str, made_of: list[Any]) -> None:
    """Start a process that makes the database (`made_of`: see _caseless_database) and writes it to `path`
    (atomically), not waited for: this run goes on with the anchors' passes; one that cannot start costs
    only the next runs' speed."""
    import marshal
    import subprocess
    import sys

    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _MAKE_DATABASE, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _MAKING.append(child)
        if child.stdin is not None:
            child.stdin.write(marshal.dumps(made_of))
            child.stdin.close()
    except OSError:
        pass


def _no_match(*_: object) -> None:
    return None


def _lines_of_ends(block: bytes, first_line: int, ends: list[int]) -> Iterator[tuple[int, int, int]]:
    """(line number, start, end) of each line of `block` in which one of `ends` (in order) falls."""
    rfind, find, count = block.rfind, block.find, block.count
    number, counted_to, line_end = first_line, 0, -1
    size = len(block)
    for to in ends:
        if to <= line_end:
            continue  # in the line found last
        start = rfind(b"\n", 0, to) + 1
        line_end = find(b"\n", to)
        if line_end < 0:
            line_end = size
        number += count(b"\n", counted_to, start)
        counted_to = start
        yield number, start, line_end


# What fills ordinary build logs: an anchor found in it would send most lines through its terms' checks.
_COMMON_TEXT = (
    b"collecting downloading processing installing build dependencies getting requirements to build wheel "
    b"preparing metadata (pyproject.toml) building wheels for collected packages running setup.py install "
    b"running build_ext building extension creating build/temp.linux-x86_64-cpython-311 copying src/package "
    b"gcc -pthread -wno-unused-result -wsign-compare -dndebug -g -fwrapv -o2 -wall -fpic -i/usr/include "
    b"-werror=declaration-after-statement -wstrict-prototypes -std=c99 -shared -wl,-o1 -lz -c module.c -o "
    b"note: this error originates from a subprocess, and is likely not a problem with pip. warning: "
    b"successfully built successfully installed requirement already satisfied using cached version of "
    b'traceback (most recent call last): file "setup.py", line 12, in <module> subprocess-exited-with-error '
    b"compiling compiler import support report found filename names is not does not using for did not need "
    b"checking for whether yes no deprecated configuration information python function"
)


def _anchor_cover(terms: Sequence[bytes], shortest: int = 4) -> list[tuple[bytes, list[bytes]]]:
    """Beginnings (at least `shortest` bytes, not found in ordinary log text) each shared by two or more of
    `terms`, chosen greedily (the one most terms share first): (anchor, its terms), each term in one group.
    Beginnings, not any inner piece: those are words or word starts ("devel", "mpic"), rarely fragments
    common text holds."""
    shared: dict[bytes, set[bytes]] = {}
    for term in sorted(set(terms)):
        for length in range(shortest, len(term)):
            shared.setdefault(term[:length], set()).add(term)
    # Built once; each choice then takes its terms out of the other beginnings (this runs at every start).
    shared = {anchor: members for anchor, members in shared.items() if len(members) >= 2}
    shared = {anchor: members for anchor, members in shared.items() if anchor not in _COMMON_TEXT}
    groups: list[tuple[bytes, list[bytes]]] = []
    while shared:
        anchor, members = max(shared.items(), key=lambda item: (len(item[1]), len(item[0]), item[0]))
        groups.append((anchor, sorted(members)))
        shared = {other: rest for other, held in shared.items() if len(rest := held - members) >= 2}
    return groups


def _shortest_inside(term: bytes, others: Collection[bytes], across_lines: bool) -> bytes | None:
    """The shortest of `others` that `term` holds (a line holding `term` holds it too), or None."""
    if across_lines:
        return None  # searched across lines, as one pass of its own found it
    inside = [other for other in others if other in term and b"\n" not in other and other != term]
    return min(inside, key=lambda other: (len(other), other)) if inside else None


def _terms_inside(terms: Sequence[bytes], accelerated: bool) -> dict[bytes, set[bytes]]:
    """For each of `terms` (each once), the others it holds that hold no newline: with the accelerator, one
    automaton call per term (~0.6 ms in all for ~280 terms); else an `in` per shorter term (~4 ms)."""
    holds: dict[bytes, set[bytes]] = {}
    if accelerated:
        import ahocorasick_rs  # type: ignore[import-not-found,unused-ignore]

        automaton = ahocorasick_rs.BytesAhoCorasick(list(terms))
        for term in terms:
            found = {
                terms[index] for index, _, _ in automaton.find_matches_as_indexes(term, overlapping=True)
            }
            holds[term] = {other for other in found if other != term and b"\n" not in other}
        return holds
    shorter = sorted((term for term in terms if b"\n" not in term), key=len)
    sizes = [len(term) for term in shorter]
    for term in terms:
        # (a term as long holds another only when they are equal)
        holds[term] = {other for other in shorter[: bisect_left(sizes, len(term))] if other in term}
    return holds


def _trie_regex(terms: Sequence[bytes]) -> re.Pattern[bytes]:
    """One expression matching any of `terms` (at each place the longest), shaped as their trie so that
    thousands of terms cost what a few do: `kw-1|kw-2` -> `kw\\-(?:1|2)`."""
    root: dict[int, dict] = {}  # type: ignore[type-arg]
    for term in terms:
        node = root
        for byte in term:
            node = node.setdefault(byte, {})
        node[-1] = {}

    def emit(node: dict) -> bytes:  # type: ignore[type-arg]
        branches = [
            re.escape(bytes([byte])) + emit(child) for byte, child in sorted(node.items()) if byte >= 0
        ]
        if -1 in node:
            branches.append(b"")  # the longest first: a term that ends here is the last choice
        if len(branches) == 1:
            return branches[0]
        return b"(?:" + b"|".join(branches) + b")"

    return re.compile(emit(root))


_OVERLAPPING: dict[re.Pattern[bytes], re.Pattern[bytes]] = {}


def _overlapping(trie: re.Pattern[bytes]) -> re.Pattern[bytes]:
    """The trie as a zero-width search that captures the term at each place, so that matches may overlap."""
    found = _OVERLAPPING.get(trie)
    if found is None:
        found = _OVERLAPPING[trie] = re.compile(b"(?=(" + trie.pattern + b"))")
    return found
