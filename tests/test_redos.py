"""Backtracking: every built-in pattern is timed on lines built from its own pieces; the lint on user patterns."""

from __future__ import annotations

import io
import time

import pytest

from safe_pip._redos import adversarial_lines, backtracking_risk, slowest_line
from safe_pip.classify import classify_stream
from safe_pip.logtext import MAX_LINE_CHARS
from safe_pip.rules import load_rules

# One search of a line as long as any a rule sees. A linear pattern takes well under a millisecond here; the
# quadratic and cubic ones this replaced took 27 ms to 350 ms (network-timeout), so the bound sits between.
SEARCH_BOUND_S = 0.02

BUILTIN_PATTERNS = sorted(
    {
        (rule.id, pattern)
        for rule in load_rules().rules
        for pattern in (*rule.any, *rule.all, *rule.none, *rule.context)
    }
)


@pytest.mark.parametrize(
    ("rule_id", "pattern"), BUILTIN_PATTERNS, ids=[f"{r}:{p[:40]}" for r, p in BUILTIN_PATTERNS]
)
def test_builtin_patterns_are_linear_on_their_own_pieces(rule_id: str, pattern: str) -> None:
    seconds, line = slowest_line(pattern, MAX_LINE_CHARS, SEARCH_BOUND_S, lengths=[MAX_LINE_CHARS])
    assert seconds <= SEARCH_BOUND_S, f"{rule_id}: {seconds * 1000:.0f} ms on {line[:80]!r}..."


def test_adversarial_lines_repeat_the_patterns_pieces_unterminated() -> None:
    pattern = r"""TimeoutError\(.*?host='(?P<host>[^']+)'.*?timed out"""
    lines = adversarial_lines(pattern, 200)
    assert all(len(line) == 200 for line in lines)
    assert any(
        line.startswith("TimeoutError(ahost='a'TimeoutError(") and "timed out" not in line for line in lines
    )


def test_the_timing_check_catches_the_old_network_timeout_pattern() -> None:
    old = r"""(?:ReadTimeoutError|ConnectTimeoutError|TimeoutError)\(.*?host='(?P<host>[^']+)'.*?(?:Read timed out|timed out)"""
    seconds, _ = slowest_line(old, MAX_LINE_CHARS, SEARCH_BOUND_S, lengths=[MAX_LINE_CHARS])
    assert seconds > SEARCH_BOUND_S


def test_an_exponential_pattern_is_caught_on_a_short_line_without_hanging() -> None:
    # CPU time of this process, not the wall clock: a CI runner's other tests may keep the cores busy.
    started = time.process_time()
    seconds, line = slowest_line(r"(a|a)+$", 4096, SEARCH_BOUND_S)
    assert seconds > SEARCH_BOUND_S
    assert len(line) < 64
    assert time.process_time() - started < 5


def test_a_log_of_hostile_timeout_lines_is_diagnosed_in_linear_time() -> None:
    # Twenty 4 KB lines of "TimeoutError(host='a' " took 52 s with the old network-timeout pattern.
    line = ("TimeoutError(host='a' " * 200)[:4096]
    log = ("Collecting foo\n" + f"{line}\n" * 20 + "ERROR: connect failed\n").encode()
    rules = load_rules()
    started = time.process_time()  # CPU, not wall: a loaded machine is not a slow pattern
    classify_stream(io.BytesIO(log), rules)
    assert time.process_time() - started < 1


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a|a)+$",
        r"(a|aa)+$",
        r"(a{1,100}){1,100}$",
        r"a*a*a*a*a*a*b",
        r"(a+)+$",
        r"(?:\w+\s?)*$",
        r".*error.*failed",
    ],
)
def test_the_lint_rejects_patterns_that_backtrack_without_end(pattern: str) -> None:
    assert backtracking_risk(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"error.*failed",
        r"^error: (?P<x>.*) failed: (.*)$",
        r"command '(?P<tool>[\w.+-]*gcc)' failed",
        r"(?:a|b)+c",
        r"(?:ab|cd)+e",
        r"^(?:(?!File ).)*File .*?site-packages/(?P<p>\w+)/",
        r"\d+\.\d+(?:\.\d+)?",
    ],
)
def test_the_lint_accepts_ordinary_patterns(pattern: str) -> None:
    assert backtracking_risk(pattern) is None
