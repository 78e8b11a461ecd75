"""Backtracking a regular expression can fall into: a structural lint, and adversarial lines to time it on.

Python's `re` backtracks, and a search cannot be interrupted, so a pattern that is exponential or a high
polynomial in the length of a line hangs safe-pip on one hostile line. Two defences:

- `backtracking_risk(pattern)`: a conservative look at the pattern's structure (used on every user rule):
  nested variable repeats (`(a+)+`, `(a{1,100}){1,100}`), a repeated choice whose alternatives can start
  alike (`(a|a)+`, `(a|aa)+`), and chains of three or more unbounded repeats that can take the same
  characters (`a*a*a*b`, `error.*?x.*?failed` searched anywhere in a line: cubic).
- `adversarial_lines(pattern, length)` and `slowest_line(...)`: lines built from the pattern's own
  pieces, repeated and left unterminated (`TimeoutError(host='a' TimeoutError(host='a' ...`), on which a
  pattern is timed (`rules check`, and the test suite for every built-in pattern).
"""

from __future__ import annotations

import functools
import re
import sys
import time
from collections.abc import Iterable, Iterator

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["adversarial_lines", "backtracking_risk", "slowest_line"]

# Characters a character set is tested against: enough to tell sets apart for overlap and containment.
_UNIVERSE = frozenset(
    [chr(code) for code in range(32, 127)] + ["\t", "\x7f", "\xa0", "\xe9", "\u0394", "\u4e2d", "\U0001f600"]
)
# The implicit `.*?` a search runs before the pattern, tried from every position of the line.
_SEARCH_LOOP = _UNIVERSE
# A repeat counts as unbounded in a chain when it may take this many characters or more.
_LONG_REPEAT = 16
# Pieces of a pattern an adversarial line is built from, at most (each gives four lines).
_MAX_PIECES = 64


def _sre() -> tuple[Any, Any]:
    if sys.version_info >= (3, 11):
        from re import _constants as constants
        from re import _parser as parser
    else:  # pragma: no cover - exercised on older Pythons only
        import sre_constants as constants
        import sre_parse as parser
    return constants, parser


# -- character sets ----------------------------------------------------------------------------------------
def _category_holds(category: Any, char: str, constants: Any) -> bool:
    name = str(category).upper()
    holds = (
        char.isdigit()
        if "DIGIT" in name
        else char.isspace()
        if "SPACE" in name
        else char.isalnum() or char == "_"
        if "WORD" in name
        else char in "\n\r"
        if "LINEBREAK" in name
        else False
    )
    return not holds if "NOT" in name else holds


_SETS: dict[tuple[Any, str, bool], frozenset[str]] = {}


def _set_of(op: Any, value: Any, ignore_case: bool, constants: Any) -> frozenset[str]:
    """The characters of `_UNIVERSE` one item (a literal, a class, `.`) matches."""
    key = (op, repr(value), ignore_case)
    found = _SETS.get(key)
    if found is None:
        found = _SETS[key] = _compute_set(op, value, ignore_case, constants)
    return found


def _compute_set(op: Any, value: Any, ignore_case: bool, constants: Any) -> frozenset[str]:

    def in_class(char: str) -> bool:
        negate = False
        found = False
        for item_op, item in value:
            if item_op == constants.NEGATE:
                negate = True
            elif item_op == constants.LITERAL:
                found = found or ord(char) == item
            elif item_op == constants.RANGE:
                found = found or item[0] <= ord(char) <= item[1]
            elif item_op == constants.CATEGORY:
                found = found or _category_holds(item, char, constants)
        return found != negate

    def holds(char: str) -> bool:
        if op == constants.ANY:
            return char != "\n"
        if op == constants.LITERAL:
            return bool(ord(char) == value)
        if op == constants.NOT_LITERAL:
            return bool(ord(char) != value)
        if op == constants.IN:
            return in_class(char)
        return False

    found = {char for char in _UNIVERSE if holds(char)}
    if ignore_case:
        found |= {char for char in _UNIVERSE if holds(char.lower()) or holds(char.upper())}
    return frozenset(found)


def _atoms(items: Iterable[tuple[Any, Any]], constants: Any) -> Iterator[tuple[Any, Any]]:
    """Every single-character item inside `items`, at any depth."""
    for op, value in items:
        if op in (constants.LITERAL, constants.NOT_LITERAL, constants.IN, constants.ANY):
            yield op, value
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            yield from _atoms(value[2], constants)
        elif op == constants.SUBPATTERN:
            yield from _atoms(value[-1], constants)
        elif op == constants.BRANCH:
            for branch in value[1]:
                yield from _atoms(branch, constants)


def _chars(items: Iterable[tuple[Any, Any]], ignore_case: bool, constants: Any) -> frozenset[str]:
    found: set[str] = set()
    for op, value in _atoms(items, constants):
        found |= _set_of(op, value, ignore_case, constants)
    return frozenset(found)


def _first(items: list[tuple[Any, Any]], ignore_case: bool, constants: Any) -> frozenset[str] | None:
    """The characters a match of `items` can start with; None when `items` can match the empty string."""
    found: set[str] = set()
    for op, value in items:
        if op in (constants.LITERAL, constants.NOT_LITERAL, constants.IN, constants.ANY):
            return frozenset(found | _set_of(op, value, ignore_case, constants))
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            inner = _first(list(value[2]), ignore_case, constants)
            found |= inner or set()
            if value[0] > 0 and inner is not None:
                return frozenset(found)
        elif op == constants.SUBPATTERN:
            inner = _first(list(value[-1]), ignore_case, constants)
            found |= inner or set()
            if inner is not None:
                return frozenset(found)
        elif op == constants.BRANCH:
            alternatives = [_first(list(branch), ignore_case, constants) for branch in value[1]]
            for alternative in alternatives:
                found |= alternative or set()
            if all(alternative is not None for alternative in alternatives):
                return frozenset(found)
    return None


# -- the lint ----------------------------------------------------------------------------------------------
def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` can backtrack without end (super-linearly in the line's length), or None."""
    constants, parser = _sre()
    try:
        parsed = parser.parse(pattern)
    except Exception:  # reported by re.compile
        return None
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    repeats = (constants.MAX_REPEAT, constants.MIN_REPEAT)

    def variable(value: Any) -> bool:
        low, high, _ = value
        return bool(high > 1 and high != low)

    def nested(items: Iterable[tuple[Any, Any]], inside: bool) -> str | None:
        for op, value in items:
            if op in repeats:
                if variable(value):
                    if inside:
                        return "nested repeats, e.g. (a+)+ or (a{1,100}){1,100}"
                    body = list(value[2])
                    choice = _ambiguous_choice(body, ignore_case, constants)
                    if choice:
                        return choice
                    found = nested(body, True)
                else:
                    found = nested(value[2], inside)
            elif op == constants.SUBPATTERN:
                found = nested(value[-1], inside)
            elif op == constants.BRANCH:
                found = next((f for f in (nested(b, inside) for b in value[1]) if f), None)
            elif op in (constants.ASSERT, constants.ASSERT_NOT):
                found = nested(value[1], inside)
            else:
                found = None
            if found:
                return found
        return None

    found = nested(parsed, False)
    if found:
        return found
    items = list(parsed)
    # A repeat at the very end (before `$` at most) never has to give characters back: it does not count.
    while items and (items[-1][0] in repeats or items[-1] == (constants.AT, constants.AT_END)):
        items.pop()
    # A search tries the pattern from every position of the line: a leading repeat (`.*x.*y`) makes that
    # loop one more repeat of the chain.
    leading = bool(items) and items[0][0] in repeats and items[0][1][1] - items[0][1][0] >= _LONG_REPEAT
    chain = _longest_chain(items, [_SEARCH_LOOP] if leading else [], ignore_case, constants)
    if chain >= 3:
        return (
            f"{chain} repeats in a row can take the same characters (such as a*a*a*b, or .*x.*y searched "
            "anywhere in a line): drop a leading .*, or make each repeat exclude what follows it ([^x]*x)"
        )
    return None


def _ambiguous_choice(body: list[tuple[Any, Any]], ignore_case: bool, constants: Any) -> str | None:
    """A choice inside a repeat whose alternatives can start with the same character: (a|a)+, (a|aa)+."""
    for op, value in body:
        if op == constants.SUBPATTERN:
            found = _ambiguous_choice(list(value[-1]), ignore_case, constants)
            if found:
                return found
        elif op == constants.BRANCH:
            starts = [_first(list(branch), ignore_case, constants) for branch in value[1]]
            for index, start in enumerate(starts):
                for other in starts[index + 1 :]:
                    if start is None or other is None or start & other:
                        return "a repeated choice whose alternatives can match alike, e.g. (a|a)+ or (a|aa)+"
    return None


def _longest_chain(
    items: list[tuple[Any, Any]], chain: list[frozenset[str]], ignore_case: bool, constants: Any
) -> int:
    """The most unbounded repeats that can share the characters of one stretch of a line, in order.

    `chain` holds the character sets of the repeats still in play: a repeat stays in play while everything
    after it could also have been taken by it.
    """
    longest = len(chain)
    chain = list(chain)
    for op, value in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            low, high, body = value
            chars = _chars(body, ignore_case, constants)
            inner = list(body)
            while len(inner) == 1 and inner[0][0] == constants.SUBPATTERN:
                inner = list(inner[0][1][-1])
            if inner and inner[0][0] == constants.ASSERT_NOT:
                # `(?:(?!x).)*`: takes everything up to the first x and cannot pass it (a scan, not a choice)
                chain = [c for c in chain if chars <= c]
            elif high - low >= _LONG_REPEAT:
                chain = [*[c for c in chain if c & chars], chars]
            else:
                chain = [c for c in chain if chars <= c]
        elif op in (constants.LITERAL, constants.NOT_LITERAL, constants.IN, constants.ANY):
            chars = _set_of(op, value, ignore_case, constants)
            chain = [c for c in chain if chars <= c]
        elif op == constants.SUBPATTERN:
            inner = list(value[-1])
            longest = max(longest, _longest_chain(inner, chain, ignore_case, constants))
            chars = _chars(inner, ignore_case, constants)
            chain = [c for c in chain if chars <= c]
        elif op == constants.BRANCH:
            for branch in value[1]:
                longest = max(longest, _longest_chain(list(branch), chain, ignore_case, constants))
            chars = _chars([(op, value)], ignore_case, constants)
            chain = [c for c in chain if chars <= c]
        longest = max(longest, len(chain))
    return longest


# -- adversarial lines -------------------------------------------------------------------------------------
def _samples(items: list[tuple[Any, Any]], constants: Any, limit: int = 4) -> list[str]:
    """A few short strings each matching `items` (approximately: assertions and anchors are ignored)."""
    results = [""]
    for op, value in items:
        if op in (constants.LITERAL, constants.NOT_LITERAL, constants.IN, constants.ANY):
            chars = _set_of(op, value, False, constants)
            pick = next((c for c in "a0 x_-.'\"/:(" if c in chars), min(chars) if chars else "")
            options = [pick]
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            low, _, body = value
            options = [sample * max(low, 1) for sample in _samples(list(body), constants, limit)]
        elif op == constants.SUBPATTERN:
            options = _samples(list(value[-1]), constants, limit)
        elif op == constants.BRANCH:
            options = [s for branch in value[1] for s in _samples(list(branch), constants, limit)]
        else:
            options = [""]
        results = list(dict.fromkeys(r + o for r in results for o in options[:limit]))[:limit]
    return results


def _pieces(items: list[tuple[Any, Any]], constants: Any, found: dict[str, None]) -> None:
    """Samples of every prefix of every sequence in the pattern, and of every repeat's body."""
    for end in range(1, len(items) + 1):
        for sample in _samples(items[:end], constants):
            found.setdefault(sample, None)
    for op, value in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            _pieces(list(value[2]), constants, found)
        elif op == constants.SUBPATTERN:
            _pieces(list(value[-1]), constants, found)
        elif op == constants.BRANCH:
            for branch in value[1]:
                _pieces(list(branch), constants, found)


@functools.lru_cache(maxsize=64)
def _pattern_pieces(pattern: str) -> tuple[str, ...]:
    constants, parser = _sre()
    try:
        parsed = parser.parse(pattern)
    except Exception:
        return ()
    found: dict[str, None] = {}
    _pieces(list(parsed), constants, found)
    return tuple(list(found)[:_MAX_PIECES])


def adversarial_lines(pattern: str, length: int) -> list[str]:
    """Lines of `length` characters built from `pattern`'s own pieces, repeated (with and without a space
    between) and cut short, so the pattern's ending never completes; and each ended by a stray character."""
    lines: dict[str, None] = {}
    for piece in _pattern_pieces(pattern):
        if not piece:
            continue
        for unit in (piece, piece + " "):
            line = (unit * (length // len(unit) + 1))[:length]
            lines.setdefault(line, None)
            lines.setdefault(line[:-1] + "\x01", None)
    return list(lines)


def slowest_line(
    pattern: str, max_length: int, limit_s: float, *, lengths: Iterable[int] | None = None
) -> tuple[float, str]:
    """The longest time one search of `pattern` took on its adversarial lines, and that line.

    Lines grow slowly up to `max_length` and the timing stops at the first search over `limit_s`, so an
    exponential pattern is caught on a short line instead of hanging on a long one. Time is this thread's CPU
    time, and a search that looks slow is timed twice more and its fastest time counts (a busy machine is
    not a slow pattern).
    """
    regex = re.compile(pattern)
    if lengths is None:
        steps = [8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]
        lengths = [n for n in steps if n < max_length]
        while lengths and lengths[-1] * 3 // 2 < max_length:
            lengths.append(lengths[-1] * 3 // 2)
        lengths.append(max_length)

    def timed(line: str) -> float:
        # This thread's CPU time, not the wall clock: on a machine other work keeps busy (a CI runner's
        # parallel tests) a search waiting for a core is not a slow search.
        started = time.thread_time()
        regex.search(line)
        return time.thread_time() - started

    worst = (0.0, "")
    for length in lengths:
        for line in adversarial_lines(pattern, length):
            elapsed = timed(line)
            if elapsed > limit_s / 4:
                elapsed = min(elapsed, timed(line), timed(line)) if elapsed <= limit_s * 4 else elapsed
            if elapsed > worst[0]:
                worst = (elapsed, line)
            if elapsed > limit_s:
                return worst
    return worst
