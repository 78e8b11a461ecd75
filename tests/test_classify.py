"""The engine, with tiny invented rules (the real rules are tested with real logs in test_rule_catalog.py)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest

from safe_pip.classify import Classifier, Diagnosis, RuleFacts, classify_stream
from safe_pip.fixes import FixContext
from safe_pip.rules import Rule, parse_rule


def make_rule(rule_id: str, **overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "id": rule_id,
        "category": "missing-compiler",
        "title": rule_id,
        "priority": 50,
        "confidence": 0.9,
        "match": {"keywords": ["boom"], "any": [r"boom (?P<thing>\w+)"]},
        "explain": {"summary": "{package} went boom on {thing}.", "hint": "Fix {thing}."},
        "fix": [{"action": "only-binary"}],
    }
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_rule(data, f"{rule_id}.toml")


def run(
    log: str, *rules: Rule, facts: RuleFacts | None = None, context: FixContext | None = None
) -> list[Diagnosis]:
    return classify_stream(io.BytesIO(log.encode()), rules, facts, context)


LOG = """\
Collecting alpha==1.0
  Downloading alpha-1.0.tar.gz
Building wheels for collected packages: alpha
  Building wheel for alpha (pyproject.toml): started
  error: subprocess-exited-with-error
      boom gcc
  ERROR: Failed building wheel for alpha
Failed to build alpha
"""


def test_a_match_gives_summary_evidence_package_and_fixes() -> None:
    (diagnosis,) = run(LOG, make_rule("boom-rule"))
    assert diagnosis.rule == "boom-rule"
    assert diagnosis.package == "alpha"
    assert diagnosis.summary == "alpha went boom on gcc."
    assert diagnosis.hint == "Fix gcc."
    assert [(e.line, e.text) for e in diagnosis.evidence] == [(6, "boom gcc")]
    assert diagnosis.fixes[0].command == "safe-pip install --only-binary alpha alpha"
    assert diagnosis.fixes[0].auto


def test_fix_commands_keep_the_users_arguments() -> None:
    context = FixContext(pip_args=("-r", "requirements.txt"))
    (diagnosis,) = run(LOG, make_rule("boom-rule"), context=context)
    assert diagnosis.fixes[0].command == "safe-pip install --only-binary alpha -r requirements.txt"


def test_lines_without_a_keyword_are_never_tried() -> None:
    rule = make_rule("keyed", match={"keywords": ["kaboom"]})
    assert run(LOG, rule) == []


def test_all_patterns_must_match_within_the_window() -> None:
    rule = make_rule(
        "needs-both", match={"keywords": ["boom", "failed"], "all": [r"Failed building wheel"], "window": 1}
    )
    assert run(LOG, rule)[0].evidence[-1].line == 7
    far = make_rule(
        "needs-both", match={"keywords": ["boom", "collecting"], "all": [r"^Collecting"], "window": 2}
    )
    assert run(LOG, far) == []
    anywhere = make_rule("needs-both", match={"keywords": ["boom", "collecting"], "all": [r"^Collecting"]})
    assert [e.line for e in run(LOG, anywhere)[0].evidence] == [1, 6]


def test_a_none_pattern_vetoes_the_rule() -> None:
    rule = make_rule("vetoed", match={"keywords": ["boom", "downloading"], "none": [r"^Downloading alpha"]})
    assert run(LOG, rule) == []


def test_specific_rules_rank_first_and_one_per_category() -> None:
    generic = make_rule("generic", priority=10)
    specific = make_rule("specific", priority=90, confidence=0.5)
    same_category_lower = make_rule("also-compiler", priority=20)
    other = make_rule("other", priority=30, category="out-of-memory")
    found = run(LOG, generic, specific, same_category_lower, other)
    assert [d.rule for d in found] == ["specific", "other"]


def test_build_failed_is_only_a_fallback_with_the_builds_own_error_lines() -> None:
    fallback = make_rule(
        "build-failed",
        category="build-failed",
        priority=0,
        fallback=True,
        match={"keywords": ["failed building wheel"], "any": [r"Failed building wheel for"]},
        explain={"summary": "Building {package} failed.", "hint": ""},
        fix=[],
    )
    log = LOG.replace("boom gcc", "src/a.c:3:1: error: expected ';' before '}' token")
    (diagnosis,) = run(log, fallback, make_rule("boom-rule"))
    assert diagnosis.category == "build-failed"
    assert diagnosis.package == "alpha"
    assert [e.line for e in diagnosis.evidence] == [6]
    assert [d.rule for d in run(LOG, fallback, make_rule("boom-rule"))] == ["boom-rule"]


def test_install_time_diagnoses_vanish_when_pip_then_succeeded() -> None:
    retried = LOG + "Running setup.py install for alpha ... done\nSuccessfully installed alpha-1.0\n"
    assert run(retried, make_rule("boom-rule")) == []
    # ... unless the rule is about what happens after an install (an import-time traceback).
    assert run(retried, make_rule("boom-rule", phase="any"))
    # ... and a pip error after the success line means the run did fail.
    failed_later = retried + "ERROR: Could not install packages due to an OSError\n"
    assert run(failed_later, make_rule("boom-rule"))


@pytest.mark.parametrize(
    ("line", "package"),
    [
        ("Collecting beta>=2 (from -r requirements.txt (line 3))", "beta"),
        ("Collecting gamma[extra]==1.0", "gamma"),
        ("Processing ./dist/delta-2.0.tar.gz", "delta"),
        ("Processing /tmp/src/epsilon", "epsilon"),
        ('Command "python setup.py egg_info" failed with error code 1 in /tmp/pip-build-8h3k2j/eta/', "eta"),
        ("Running setup.py install for theta ... error", "theta"),
    ],
    ids=[
        "requirement-file",
        "extras",
        "sdist-path",
        "folder",
        "pip9-build-dir",
        "legacy-install",
    ],
)
def test_the_failing_package_comes_from_pips_own_lines(line: str, package: str) -> None:
    (diagnosis,) = run(f"{line}\n  boom x\n", make_rule("boom-rule"))
    assert diagnosis.package == package


def test_unknown_package_is_null_and_reads_naturally() -> None:
    (diagnosis,) = run("boom gcc\n", make_rule("boom-rule"))
    assert diagnosis.package is None
    assert diagnosis.summary == "the package went boom on gcc."
    assert diagnosis.fixes == ()  # only-binary needs a package name


def test_conditions_on_facts_filter_rules_and_are_ignored_when_unknown() -> None:
    rule = make_rule("needs-missing-gcc", when={"tool_missing": ["gcc", "cc"]})
    assert run(LOG, rule, facts=RuleFacts(tools_on_path={"gcc": True})) == []
    assert run(LOG, rule, facts=RuleFacts(tools_on_path={"gcc": False, "cc": False}))
    assert run(LOG, rule, facts=RuleFacts())
    assert run(LOG, rule)


def test_blocks_and_lines_give_the_same_evidence() -> None:
    rule = make_rule("boom-rule")
    log = ("filler line\n" * 5000) + LOG + ("more filler\n" * 5000)
    whole = Classifier([rule])
    whole.feed_stream(io.BytesIO(log.encode()))
    by_line = Classifier([rule])
    for number, raw in enumerate(log.encode().split(b"\n"), start=1):
        by_line.feed_line(number, raw)
    assert whole.diagnoses() == by_line.diagnoses()
    assert whole.diagnoses()[0].evidence[0].line == 5006


def test_json_shape_is_the_contracts() -> None:
    (diagnosis,) = run(LOG, make_rule("boom-rule"))
    assert diagnosis.to_json() == {
        "rule": "boom-rule",
        "category": "missing-compiler",
        "confidence": 0.9,
        "package": "alpha",
        "summary": "alpha went boom on gcc.",
        "hint": "Fix gcc.",
        "evidence": [{"line": 6, "text": "boom gcc"}],
        "fixes": [
            {
                "id": "only-binary",
                "title": "Use a pre-built wheel of alpha",
                "auto": True,
                "pip_args": ["--only-binary", "alpha"],
                "env": {},
                "command": "safe-pip install --only-binary alpha alpha",
            }
        ],
    }


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("ERROR: Package 'oldpkg' requires a different Python: 3.11.7 not in '<3.8'", "python3.7 -m venv"),
        ("ERROR: Package 'futurepy' requires a different Python: 3.11.7 not in '>=3.99'", None),
    ],
    ids=["older-python-exists", "no-python-fits"],
)
def test_use_python_names_a_python_the_requirement_allows_or_nothing(line: str, command: str | None) -> None:
    from safe_pip.rules import load_rules

    diagnoses = classify_stream(io.BytesIO(line.encode() + b"\n"), load_rules())
    assert diagnoses[0].rule == "requires-python"
    suggested = [fix.command for fix in diagnoses[0].fixes if fix.id == "use-python"]
    if command is None:
        assert suggested == []
    else:
        assert len(suggested) == 1
        assert suggested[0].startswith(command)


def test_template_fields_are_the_values_a_rule_asks_for() -> None:
    from safe_pip.rules import load_rules

    rules = {rule.id: rule for rule in load_rules().rules}
    assert "supported_python" in rules["requires-python"].template_fields
    assert "supported_python" not in rules["no-matching-distribution"].template_fields
    assert {"package", "spec", "versions"} <= rules["no-matching-distribution"].template_fields


@pytest.mark.parametrize(
    "name",
    ["x{", "x}", "x{0}", "{package}", "{thing.__class__}"],
    ids=["open", "close", "index", "field", "attr"],
)
def test_braces_in_captured_text_are_printed_as_they_are(name: str) -> None:
    rule = make_rule(
        "boom-rule",
        match={"keywords": ["boom"], "any": [r"boom (?P<thing>\S+)"]},
        fix=[{"action": "only-binary", "title": "Use a wheel, not {thing}"}],
    )
    (diagnosis,) = run(LOG.replace("boom gcc", f"boom {name}"), rule)
    assert diagnosis.summary == f"alpha went boom on {name}."
    assert diagnosis.fixes[0].title == f"Use a wheel, not {name}"


def test_memory_does_not_grow_with_pips_progress_lines() -> None:
    # A log of nothing but "Collecting x" lines (150 MB peaked at 1.19 GB when every one was kept): what the
    # package attribution needs is kept per hit, not per progress line.
    import tracemalloc

    classifier = Classifier([make_rule("boom-rule")])
    block = b"".join(b"Collecting pkg%d\n" % n for n in range(20_000))
    tracemalloc.start()
    try:
        classifier.feed_block(block, 1)  # warm up: compiled patterns, scan plan
        before = tracemalloc.get_traced_memory()[0]
        for start in range(20_001, 200_001, 20_000):
            classifier.feed_block(block, start)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 256 << 10, f"{grown} bytes kept for 180,000 progress lines"


def test_each_hit_keeps_the_package_in_effect_at_its_line() -> None:
    # Many regions, each a package then its failure: an early hit and a late one each get their own region's.
    log = "".join(f"Collecting pkg{n}\n  boom thing{n}\n" for n in range(1000))
    (early,) = run(log, make_rule("boom-rule"))
    assert (early.package, early.evidence[0].line) == ("pkg0", 2)
    (late,) = run(log, make_rule("late", match={"all": ["thing999$"], "window": 1}))
    assert (late.package, late.evidence[0].line) == ("pkg999", 2000)
