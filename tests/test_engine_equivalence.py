"""The engine gives exactly what it gave before issue 17's redesign, on every fixture log.

tests/_engine_before.py is the engine as it was (a frozen copy); both classify every log of
tests/fixtures/logs/** with the built-in library, then with invented user rules beside it (keywords that hold
none of the broad scan words, case-insensitive parts, a multi-line pattern), fed whole, in uneven blocks and line
by line, the new engine with the pure scan and with the optional accelerator, and the results must be equal:
the diagnoses, and what the classifier kept on the way (each rule's hits with their packages and spanned lines,
the package in effect, failed builds, success, build errors). Delete this test and the copy once the new engine
has been trusted for a while.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import random
import sys
from collections import deque
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from safe_pip import _scan
from safe_pip.classify import Classifier, RuleFacts
from safe_pip.rules import Rule, RuleSet, load_rules, parse_rule

sys.path.insert(0, str(Path(__file__).resolve().parent))
before: Any = importlib.import_module("_engine_before")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"
LOG_FILES = sorted(LOGS.glob("**/*.log"))


@pytest.fixture(autouse=True, params=["pure", "fast", "caseless"])
def scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every comparison with the pure scan, and with the optional accelerator (extra 'fast') when it is
    installed: the new engine's results must not depend on it. With the accelerator every block is read
    through the terms' anchors, as a big log's blocks are (see _scan.candidate_lines); "caseless", with
    hyperscan too, through its caseless search, which also tells the window literals a block holds (the
    corpus as one log, and the comparison's own check; test_scan compares its lines with the scan's on
    every fixture)."""
    if request.param in ("fast", "caseless"):
        pytest.importorskip(
            "ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed"
        )
        monkeypatch.delenv("SAFE_PIP_PURE_SCAN", raising=False)
        monkeypatch.setattr(_scan, "_ANCHORS_AFTER", -1)
        if request.param == "caseless":
            pytest.importorskip("hyperscan", reason="the optional caseless search is not installed")
            monkeypatch.setenv("SAFE_PIP_HYPERSCAN", "1")
        else:
            monkeypatch.setenv("SAFE_PIP_HYPERSCAN", "0")
    else:
        monkeypatch.setenv("SAFE_PIP_PURE_SCAN", "1")
    return str(request.param)


def _user_rule(rule_id: str, match: dict[str, Any], **extra: Any) -> Rule:
    data: dict[str, Any] = {
        "id": rule_id,
        "category": "build-failed",
        "title": rule_id,
        "match": match,
        "explain": {"summary": "{package}: " + rule_id},
        **extra,
    }
    return parse_rule(data, f"/home/user/.config/safe-pip/rules/{rule_id}.toml")


@cache
def user_rules() -> tuple[Rule, ...]:
    """Rules a user might write: their keywords are scanned for themselves (none holds a broad scan word)."""
    return (
        # "gcc -pthread ... -Wall -c x.c": a keyword on most lines of a build
        _user_rule("user-gcc-flag", {"keywords": ["gcc"], "any": [r"gcc .*?-W(?P<flag>[\w=-]+)"]}),
        _user_rule("user-setup-py", {"keywords": ["setup.py"], "any": [r"(?i:setup\.py) (?P<step>[a-z_]+)"]}),
        _user_rule(
            "user-traceback",
            {
                "keywords": ["traceback"],
                "any": [r"Traceback \(most recent call last\):\n\s*File \"(?P<where>[^\"]+)\""],
                "join": 2,
            },
            priority=90,
        ),
        _user_rule("user-cyrillic", {"keywords": ["ошибка", "не найден"], "any": ["(?:ошибка|не найден)"]}),
        _user_rule(
            "user-two-keywords",
            {
                "keywords": ["wheel", "whl"],
                "any": [r"(?P<wheel>[\w.-]+\.whl)"],
                "none": ["Successfully installed"],
                "context": [r"Collecting (?P<package>[\w.-]+)"],
                "window": 50,
            },
            warning=True,
        ),
        _user_rule("user-short", {"keywords": ["py"], "any": [r"\bpy(?P<ver>3\d+)\b"]}),
    )


@cache
def builtin() -> RuleSet:
    return load_rules()


def _facts(path: Path) -> RuleFacts | None:
    expect = path.with_suffix(".expect.toml")
    known = tomllib.loads(expect.read_text()).get("facts") if expect.exists() else None
    if not known:
        return None
    return RuleFacts(pip_version=tuple(int(part) for part in known["pip_version"].split(".")))


def _plain(value: Any) -> Any:
    """Values of the two engines' own classes (Diagnosis, Evidence) as plain data, to compare."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Fields at their default are left out: a field added since (a diagnosis' `index`) is compared
        # only where it is set.
        fields = [f for f in dataclasses.fields(value) if getattr(value, f.name) != _default(f)]
        return (type(value).__name__, {f.name: _plain(getattr(value, f.name)) for f in fields})
    if isinstance(value, (list, tuple, deque)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _trace(classifier: Any) -> Any:
    """What a classifier kept while reading, and what it concluded."""
    states = []
    for rule, state in zip(classifier.rules, classifier._states):
        kinds = [state.any, *state.all, *state.context]
        states.append(
            (
                rule.id,
                state.vetoed,
                [(hits.first, list(hits.last), hits.packages, hits.spans) for hits in kinds],
            )
        )
    return _plain(
        {
            "diagnoses": classifier.diagnoses(),
            "states": states,
            "package": classifier._package,
            "failed_builds": classifier._failed_builds,
            "success": (classifier._success_line, classifier._error_after_success),
            "build_errors": (list(classifier._build_errors), classifier._first_build_errors),
            "lines_seen": classifier.lines_seen,
        }
    )


def _feed(classifier: Any, data: bytes, how: str) -> None:
    if how == "stream":
        classifier.feed_stream(io.BytesIO(data))
    elif how == "blocks":
        # Blocks of whole lines of uneven sizes, so windows and lines meet block ends everywhere.
        lines = data.splitlines(keepends=True)
        chooser = random.Random(len(data))
        first = 1
        while lines:
            size = chooser.randint(1, 7)
            block, lines = b"".join(lines[:size]), lines[size:]
            classifier.feed_block(block, first)
            first += block.count(b"\n")
    else:
        for number, raw in enumerate(data.split(b"\n"), 1):
            classifier.feed_line(number, raw)


def _variants(data: bytes) -> list[bytes]:
    """The log, and the log as a CI system shows it: CRLF, timestamps, colours around its error words."""
    ci = b"".join(
        b"2024-05-01T10:23:45.1234567Z " + line.replace(b"ERROR", b"\x1b[31mERROR\x1b[0m")
        for line in data.replace(b"\n", b"\r\n").splitlines(keepends=True)
    )
    return [data, ci]


# The frozen engine reads a log the same way whichever scan the new engine uses (it has its own scan and reads
# neither SAFE_PIP_PURE_SCAN nor _scan): its traces of the last log compared are kept, for the other scan's
# test of the same log, which comes next (the cases are ordered log by log). Half the frozen engine's work.
_before_traces: dict[tuple[object, ...], Any] = {}


def _before_trace(
    key: tuple[object, ...], data: bytes, rules: tuple[Rule, ...], facts: RuleFacts | None, how: str
) -> Any:
    """The frozen engine's trace of `data`; `key` names the log (its first item) and how it is read."""
    if key not in _before_traces:
        if any(kept[0] != key[0] for kept in _before_traces):
            _before_traces.clear()
        old = before.Classifier(rules, facts)
        _feed(old, data, how)
        _before_traces[key] = _trace(old)
    return _before_traces[key]


def _compare(
    key: tuple[object, ...], data: bytes, rules: tuple[Rule, ...], facts: RuleFacts | None, how: str
) -> None:
    new = Classifier(rules, facts)
    _feed(new, data, how)
    assert _trace(new) == _before_trace(key, data, rules, facts, how)


SCANS = ["pure", "fast"]


@pytest.mark.parametrize(
    ("scan", "path"),
    [
        pytest.param(scan, path, id=f"{scan}-{path.parent.name}/{path.stem}")
        for path in LOG_FILES
        for scan in SCANS
    ],
    indirect=["scan"],
)
def test_same_results_as_before_on_every_fixture(scan: str, path: Path) -> None:
    data = path.read_bytes()
    facts = _facts(path)
    builtin_only, with_user = builtin().rules, builtin().rules + user_rules()
    for index, variant in enumerate(_variants(data)):
        _compare((path, index, "builtin", "stream"), variant, builtin_only, facts, "stream")
        _compare((path, index, "user", "stream"), variant, with_user, facts, "stream")
    _compare((path, 0, "user", "blocks"), data, with_user, facts, "blocks")
    _compare((path, 0, "user", "lines"), data, with_user, facts, "lines")


@pytest.mark.parametrize(
    ("scan", "how"),
    [
        pytest.param(scan, how, id=f"{scan}-{how}")
        for how in ["stream", "blocks", "lines"]
        for scan in [*SCANS, "caseless"]
    ],
    indirect=["scan"],
)
def test_same_results_as_before_on_the_whole_corpus_as_one_log(scan: str, how: str) -> None:
    # Many hits per rule (only the first and last few are kept), packages and successes one after another.
    data = b"".join(path.read_bytes().rstrip(b"\n") + b"\n" for path in LOG_FILES)
    _compare(("whole corpus", how), data, builtin().rules + user_rules(), None, how)


def test_the_comparison_can_fail() -> None:
    # The trace sees more than the diagnoses: a rule that also reads pip's "Building wheel" line keeps more hits.
    data = (LOGS / "_success" / "ok-psycopg2-pip22.log").read_bytes()
    rule = user_rules()[0]
    wider = _user_rule(
        "user-gcc-flag", {"keywords": ["gcc", "building wheel"], "any": [rule.any[0] + "|Building wheel"]}
    )
    old = before.Classifier((rule,), None)
    new = Classifier((wider,), None)
    _feed(old, data, "stream")
    _feed(new, data, "stream")
    assert _trace(new) != _trace(old)
