"""The built-in rule library against real logs: every rule, its fixtures, and the success logs.

tests/fixtures/logs/<rule-id>/match-*.log   -> that rule is the top diagnosis
tests/fixtures/logs/<rule-id>/nomatch-*.log -> that rule is not among the diagnoses (near misses)
tests/fixtures/logs/_success/*.log          -> no diagnosis at all
A `<log>.expect.toml` beside a match log may pin `package` and the `evidence` line numbers; beside any log, its
`[facts]` table gives what safe-pip knew about the target when pip ran (`pip_version`), for rules that ask.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

from safe_pip.classify import Diagnosis, RuleFacts, classify_stream
from safe_pip.rules import RuleSet, builtin_rule_files, load_rule_file, load_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "tests" / "fixtures" / "logs"
RULE_FILES = sorted((ROOT / "rules").glob("*.toml"))
RULE_IDS = [path.stem for path in RULE_FILES]


@cache
def library() -> RuleSet:
    return load_rules()


def _facts(path: Path) -> RuleFacts | None:
    expect = path.with_suffix(".expect.toml")
    known = tomllib.loads(expect.read_text()).get("facts") if expect.exists() else None
    if not known:
        return None
    pip_version = tuple(int(part) for part in known["pip_version"].split("."))
    return RuleFacts(pip_version=pip_version)


@cache
def diagnose(path: Path) -> tuple[Diagnosis, ...]:
    with path.open("rb") as stream:
        return tuple(classify_stream(stream, library(), _facts(path)))


def _logs(pattern: str) -> list[Path]:
    return sorted(LOGS.glob(pattern))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_every_rule_file_is_valid(path: Path) -> None:
    load_rule_file(path)


def test_the_shipped_library_is_the_rules_folder() -> None:
    assert [path.name for path in builtin_rule_files()] == [path.name for path in RULE_FILES]
    assert {rule.id for rule in library().rules} == set(RULE_IDS)
    assert library().problems == ()


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_positive_and_near_miss_fixtures(rule_id: str) -> None:
    folder = LOGS / rule_id
    assert len(list(folder.glob("match-*.log"))) >= 2, f"{rule_id}: needs at least 2 match-*.log"
    assert len(list(folder.glob("nomatch-*.log"))) >= 1, f"{rule_id}: needs at least 1 nomatch-*.log"


def test_no_fixture_folder_without_a_rule() -> None:
    folders = {path.name for path in LOGS.iterdir() if path.is_dir()}
    assert folders - set(RULE_IDS) == {"_success"}


@pytest.mark.parametrize("path", _logs("*/match-*.log"), ids=_id)
def test_match_logs_give_their_rule_first(path: Path) -> None:
    diagnoses = diagnose(path)
    assert diagnoses, f"nothing recognised in {path}"
    top = diagnoses[0]
    assert top.rule == path.parent.name, [(d.rule, d.evidence[:1]) for d in diagnoses]
    assert top.evidence, "a diagnosis must cite its evidence"
    lines = path.read_bytes().split(b"\n")
    for item in top.evidence:
        assert 1 <= item.line <= len(lines)
    expect = path.with_suffix(".expect.toml")
    if expect.exists():
        wanted = tomllib.loads(expect.read_text())
        if "package" in wanted:
            assert top.package == wanted["package"]
        if "evidence" in wanted:
            assert [item.line for item in top.evidence] == wanted["evidence"]


@pytest.mark.parametrize("path", _logs("*/nomatch-*.log"), ids=_id)
def test_near_miss_logs_do_not_give_their_rule(path: Path) -> None:
    assert path.parent.name not in [d.rule for d in diagnose(path)]


@pytest.mark.parametrize("path", _logs("_success/*.log"), ids=_id)
def test_successful_runs_give_no_diagnosis(path: Path) -> None:
    assert diagnose(path) == ()


def test_a_pip_too_old_diagnosis_needs_the_pip_version() -> None:
    """Without knowing the target's pip (a log from elsewhere), pip's age is not guessed."""
    path = LOGS / "pip-too-old" / "match-manylinux-2-28-only-pip19.log"
    with path.open("rb") as stream:
        unknown = classify_stream(stream, library())
    assert [d.rule for d in unknown] == ["no-matching-distribution"]
    assert diagnose(path)[0].summary == (
        "pip found no release of fresh it can install, and this pip (19.3.1) is too old to recognise the "
        "manylinux_x_y wheels most projects publish today."
    )


@cache
def _fixture_lines() -> list[tuple[bytes, str, Path]]:
    """Every line of every fixture log, as the keyword search sees it (plain_block: a page's no-break
    space is a space) lower-cased, as the classifier reads it, and its log."""
    from safe_pip.logtext import normalise_line, plain_block

    lines = []
    for path in _logs("**/*.log"):
        for raw in plain_block(path.read_bytes()).split(b"\n"):
            text = normalise_line(raw)
            if text:
                lines.append((raw.lower(), text, path))
    return lines


# One test per rule (all the rules in one test took most of a minute, which pytest-xdist could not share
# between its workers); the fixture lines are read once per process.
@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_keywords_hold_on_every_line_a_pattern_matches(rule_id: str) -> None:
    """A rule only sees lines holding one of its keywords: a pattern matching a line without one is
    silently dead. Checked on every line of every fixture log, for every pattern of every rule."""
    rule = next(rule for rule in library().rules if rule.id == rule_id)
    keywords = [keyword.encode() for keyword in rule.keywords]
    patterns = [*rule.compiled.any, *rule.compiled.all, *rule.compiled.none, *rule.compiled.context]
    dead = []
    for lowered, text, path in _fixture_lines():
        if any(p.search(text) for p in patterns) and not any(k in lowered for k in keywords):
            dead.append((rule.id, path.name, text[:80]))
    assert dead == []


def test_every_category_of_the_contract_has_a_rule() -> None:
    from safe_pip.categories import CATEGORIES

    assert {rule.category for rule in library().rules} == set(CATEGORIES)
