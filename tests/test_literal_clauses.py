"""A pattern's literal clauses (rules.literal_clauses) hold in every line it matches: the classifier searches
a pattern only in a line holding a literal of each clause of one of its alternatives."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from safe_pip.logtext import normalise_line
from safe_pip.rules import Rule, _required_literals, literal_clauses, load_rules

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


@cache
def _lines() -> tuple[list[str], list[str]]:
    """Every line of every fixture log, as the classifier reads it and as decoded, and each lower-cased."""
    found: set[str] = set()
    for path in FIXTURES.rglob("*.log"):
        for raw in path.read_bytes().split(b"\n"):
            found.add(normalise_line(raw))
            found.add(raw.decode("utf-8", "replace"))
    lines = sorted(line for line in found if line)
    return lines, [line.lower() for line in lines]


def _patterns(rule: Rule) -> set[str]:
    return {*rule.any, *rule.all, *rule.none, *rule.context}


RULES = {rule.id: rule for rule in load_rules().rules}


# One test per rule (the patterns of all the rules in one test took a minute, which pytest-xdist could not
# share between its workers); the fixture lines are read once per process.
@pytest.mark.slow
@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_line_a_built_in_pattern_matches_meets_its_clauses(rule_id: str) -> None:
    lines, lowered = _lines()
    for pattern in sorted(_patterns(RULES[rule_id])):
        clauses = literal_clauses(pattern)
        if clauses is None:
            continue
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


def test_most_built_in_patterns_have_clauses() -> None:
    patterns = {pattern for rule in RULES.values() for pattern in _patterns(rule)}
    with_clauses = sum(literal_clauses(pattern) is not None for pattern in patterns)
    assert with_clauses > 0.9 * len(patterns)
