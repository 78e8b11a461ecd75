"""A pattern's literal clauses (rules.literal_clauses) hold in every line it matches: the classifier searches
a pattern only in a line holding a literal of each clause of one of its alternatives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safe_pip.logtext import normalise_line
from safe_pip.rules import _required_literals, literal_clauses, load_rules

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("pattern", "clauses"),
    [
        (r"exit (?:code|status):? ", ((("exit code",),), (("exit status",),))),
        (
            r"(?i)cmake (?:is not installed|not found)|could not find [`'\"]?cmake\b",
            (
                (("cmake is not installed",),),
                (("cmake not found",),),
                (("could not find ",), ("cmake",)),
            ),
        ),
        (r"(?P<parallel>ninja: |with \d+ (?:parallel )?jobs\b)", ((("ninja: ",),), (("with ",), ("jobs",)))),
        (r"(?:failed with )?exit \d", ((("exit ",),),)),  # an optional part holds no clause
        (r"(?:abc)+def|(?:xyz)?uvw", ((("abc",), ("def",)), (("uvw",),))),
        (r"(?<!\wnot )found it", ((("found it",),),)),  # nor an assertion
        (r"\d+: error|[a-z]+", None),
        (r"(", None),
    ],
    ids=[
        "expanded",
        "common-start",
        "wrapped",
        "optional",
        "repeats",
        "assertion",
        "none",
        "invalid",
    ],
)
def test_clauses_of_a_pattern(pattern: str, clauses: object) -> None:
    assert literal_clauses(pattern) == clauses


def _lines() -> list[str]:
    found: set[str] = set()
    for path in FIXTURES.rglob("*.log"):
        for raw in path.read_bytes().split(b"\n"):
            found.add(normalise_line(raw))
            found.add(raw.decode("utf-8", "replace"))
    return sorted(line for line in found if line)


@pytest.mark.slow
def test_every_line_a_built_in_pattern_matches_meets_its_clauses() -> None:
    lines = _lines()
    lowered = [line.lower() for line in lines]
    patterns = {
        pattern
        for rule in load_rules().rules
        for pattern in (*rule.any, *rule.all, *rule.none, *rule.context)
    }
    with_clauses = 0
    for pattern in sorted(patterns):
        clauses = literal_clauses(pattern)
        if clauses is None:
            continue
        with_clauses += 1
        regex = re.compile(pattern)
        # Only the lines holding one of the pattern's required literals can match (Matcher asks them first:
        # tests/test_rules.py holds them to every fixture), so only those are searched.
        required = _required_literals(pattern)
        lower_required = [literal.lower() for literal in required or ()]
        for line, lower in zip(lines, lowered):
            if required is not None and not any(literal in lower for literal in lower_required):
                continue
            if regex.search(line):
                assert any(
                    all(any(literal in lower for literal in clause) for clause in alternative)
                    for alternative in clauses
                ), (pattern, line)
    assert with_clauses > 0.9 * len(patterns)
