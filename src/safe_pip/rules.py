"""Rule files: the schema, loading and validation, and the layered rule library.

One TOML file per rule, the file stem is its id. A rule is data only: literal keywords that prefilter lines,
regular expressions whose named groups become captures, conditions on facts about the machine, message
templates over those captures, and fixes chosen from the closed set in `fixes`. It cannot run anything.

```toml
id = "compiler-not-found"
category = "missing-compiler"          # one of categories.CATEGORIES
title = "No C compiler on PATH"
priority = 80                          # 0..100: specific rules outrank generic ones
confidence = 0.95                      # 0..1
phase = "install"                      # "install" (default): void when the install then succeeded;
                                       # "any": also after a success (import-time tracebacks)
fallback = false                       # true: reported only when no other rule explains the log
                                       # (pip's generic "Failed building wheel", "No matching distribution")
package_context = true                 # false: the failure is not one package's (a conflict), so the
                                       # package comes only from captures, never from pip's progress lines
warning = false                        # true: the message is a warning printed on the way (NumPy's "A
                                       # module that was compiled using NumPy 1.x cannot be run in NumPy
                                       # 2.x" from `import torch` in a build), not what ended the failing
                                       # step: any diagnosis whose evidence comes after it ranks first,
                                       # the fallback's included
explains = []                          # categories this failure causes: a diagnosis of one of them whose
                                       # evidence starts after this rule's ranks after it, whatever the
                                       # priorities (maturin's "Rust not found, installing into a temporary
                                       # directory" then a DNS failure offline: ["network-error"])
references = ["https://docs.python.org/3/extending/building.html"]

[match]
keywords = ["failed", "not found"]     # lower-case literals; a line is tried only if it holds one
any = ['''command '(?P<tool>[\\w.+-]*gcc)' failed''']   # one must match a line: the evidence
all = []                               # each must also match some line (within `window` lines if > 0)
none = []                              # none may match anywhere (near misses)
context = []                           # optional: captures from the nearest match (within `window`),
                                       # e.g. the package from a traceback's site-packages path
window = 0
join = 0                               # 1..10: a pattern holding `\\n` continues on the next lines: it is
                                       # searched in the line and the `join` lines after it, joined with
                                       # "\\n" (each normalised), e.g. torch's two-line message
                                       #   '''RuntimeError:\\s*\\n(?:\\*+\\n)?The detected CUDA version'''
                                       # The window starts at a line holding a keyword; its evidence is
                                       # every line the match spans. Patterns without `\\n` see one line.

[when]                                 # facts about this machine (ignored when unknown)
tool_missing = ["gcc", "cc"]           # also tool_present, header_missing, platform
                                       # pip_older_than = ["20.3"]: the target's pip is older (holds only
                                       # when its version is known)

[defaults]                             # values for captures a pattern may not set
tool = "gcc"

[explain]
summary = "Building {package} failed because the C compiler {tool} is not installed."
hint = "Install a C compiler, or use a pre-built wheel."

[[fix]]
action = "only-binary"                 # an id from fixes.ACTIONS
params = { }                           # the action's parameters; templates over captures allowed
auto = true                            # false: printed, never applied (an unsafe action never is)
unless = []                            # captures that make this fix pointless when the log gave them
                                       # (no network check once pip listed the index's versions)
```

Pattern syntax, for every rule: Python `re`. Case: a pattern is case-sensitive unless it says otherwise,
`(?i)` at its start for all of it, `(?i:...)` for a part (`(?i:cmake) must be installed`); keywords are
lower-case literals, matched in the lower-cased line, so they hold whatever the case. Glued text: lines are
normalised before matching (logtext.normalise_with_indent): CI timestamps, BuildKit and Azure/GitHub prefixes,
pip's box glyphs and indentation are gone, and so is a progress bar something was glued to
(`|████| 500 MB 1.2 MB/s eta 0:00:01Killed` reads `Killed`). A pattern that must survive other text glued
before its message should not anchor with `^`: `(?:^|[\\s:])Killed$`.
"""

from __future__ import annotations

import os
import re
import string
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from functools import cached_property
from pathlib import Path

from safe_pip.categories import CATEGORIES
from safe_pip.fixes import ACTIONS, UNSAFE

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BUILTIN_VALUES",
    "MAX_RULE_FILE_BYTES",
    "USER_LINE_CHARS",
    "WHEN_KEYS",
    "FixSpec",
    "Rule",
    "RuleError",
    "RuleSet",
    "builtin_rule_files",
    "load_rule_file",
    "load_rules",
    "parse_rule",
    "slow_patterns",
]

# How much of a line a rule that is not built-in is matched against (see Rule.builtin).
USER_LINE_CHARS = 1024
# Template values every rule may use besides its captures.
# (`wheel_why`: why a captured `wheel` does not fit the target interpreter, in words; `pip_version`: the
# target's pip, when known; `supported_python`: the newest Python X.Y a captured `requires` (or pip's list of
# `versions` with their Requires-Python) allows, empty when none does.)
BUILTIN_VALUES = frozenset({"package", "wheel_why", "pip_version", "supported_python"})
# Conditions a rule may put on facts about the machine (see probe.py), each a list of strings.
WHEN_KEYS = frozenset({"tool_missing", "tool_present", "platform", "header_missing", "pip_older_than"})
_PHASES = ("install", "any")
_TOP_KEYS = frozenset(
    {
        "warning",
        "explains",
        "id",
        "category",
        "title",
        "priority",
        "confidence",
        "phase",
        "fallback",
        "package_context",
        "references",
        "match",
        "when",
        "defaults",
        "explain",
        "fix",
    }
)
_MATCH_KEYS = frozenset({"keywords", "any", "all", "none", "context", "window", "join"})
# How many following lines a multi-line pattern may see (bounds what a window costs: see classify).
MAX_JOIN = 10
# `(?i:...)`, `(?ai:...)`: a part of a pattern that ignores case (literals found in it are then lower-case).
_SCOPED_IGNORECASE = re.compile(r"\(\?[aLmsux]*i[aLmsux]*(?:-[imsx]*)?:")
# A pattern's leading global inline flags: "(?i)", "(?is)", "(?x)(?i)".
_GLOBAL_FLAGS = re.compile(r"^(?:\(\?[aiLmsux]+\))+")
_FLAGS_GROUP = re.compile(r"\(\?[aiLmsux]+\)")
_EXPLAIN_KEYS = frozenset({"summary", "hint"})
_FIX_KEYS = frozenset({"action", "params", "title", "auto", "unless"})
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class RuleError(Exception):
    """A problem with a rule file; the message names the file, the rule id and the key."""

    def __init__(self, path: str, rule_id: str | None, key: str | None, reason: str) -> None:
        self.path, self.rule_id, self.key, self.reason = path, rule_id, key, reason
        where = path + (f": rule {rule_id!r}" if rule_id else "") + (f": key {key!r}" if key else "")
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class FixSpec:
    """A fix as a rule names it: the action, its parameters, its title, whether it may be applied
    automatically, and the captures that make it pointless."""

    action: str
    params: Mapping[str, str] = field(default_factory=dict)
    title: str | None = None
    auto: bool = True  # a rule may only turn automatic application off, never on for an unsafe action
    # Captures whose presence in the log makes the fix pointless: the fix is offered only when the match
    # captured none of them (a network check once pip has listed the index's versions).
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule file, parsed: when it matches (keywords, patterns, conditions), what it says and fixes."""

    id: str
    category: str
    title: str
    priority: int
    confidence: float
    phase: str
    fallback: bool
    package_context: bool
    keywords: tuple[str, ...]
    any: tuple[str, ...]
    all: tuple[str, ...]
    none: tuple[str, ...]
    context: tuple[str, ...]
    window: int
    when: Mapping[str, tuple[str, ...]]
    defaults: Mapping[str, str]
    summary: str
    hint: str
    fixes: tuple[FixSpec, ...]
    references: tuple[str, ...]
    source: str
    # Each pattern's required literals (see Matcher), found once when the rule is parsed and kept in the
    # library's cache: finding them parses the pattern a second time, which cost more than compiling it.
    literals: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    # Shipped with safe-pip (its patterns are timed on hostile lines in CI): matched against whole lines.
    # Any other rule sees at most USER_LINE_CHARS of a line, which bounds what a pattern the lint let through
    # can cost (`re` cannot be interrupted). Not part of the JSON form.
    builtin: bool = False
    join: int = 0  # following lines a multi-line pattern (one holding "\n") sees
    warning: bool = False  # a warning printed on the way: what comes after it ranks first
    explains: tuple[str, ...] = ()  # categories a later diagnosis of which this failure causes

    @cached_property
    def multiline(self) -> bool:
        """Some pattern continues on a following line (it holds a newline): the rule sees windows of lines."""
        return self.join > 0 and any(
            _is_multiline(p) for p in (*self.any, *self.all, *self.none, *self.context)
        )

    def _literals_of(self, pattern: str) -> tuple[str, ...] | None:
        return self.literals[pattern] if pattern in self.literals else _required_literals(pattern)

    @cached_property
    def gate(self) -> tuple[str, ...] | None:
        """Lower-case literals one of which every line any pattern of this rule matches contains, or None: a
        line without any of them is never searched with the rule's regular expressions."""
        if self.multiline:
            return None  # a multi-line pattern's literals may sit on a later line than the keyword's
        found = [self._literals_of(p) for p in (*self.any, *self.all, *self.none, *self.context)]
        if any(literals is None for literals in found):
            return None
        return tuple(sorted({literal.lower() for literals in found if literals for literal in literals}))

    @cached_property
    def compiled(self) -> CompiledPatterns:
        """The rule's regular expressions, compiled on first use (most rules never meet their keywords)."""

        def matchers(patterns: tuple[str, ...]) -> tuple[Matcher, ...]:
            return tuple(Matcher(p, self._literals_of(p)) for p in patterns)

        return CompiledPatterns(
            matchers(self.any), matchers(self.all), matchers(self.none), matchers(self.context)
        )

    @cached_property
    def line_patterns(self) -> CompiledPatterns:
        """The patterns searched in each line alone: a multi-line pattern is searched in windows only (a
        pattern never matches in their place, so positions hold)."""
        if not self.multiline:
            return self.compiled

        def alone(matchers: tuple[Matcher, ...]) -> tuple[Matcher, ...]:
            return tuple(_NEVER if matcher.multiline else matcher for matcher in matchers)

        patterns = self.compiled
        return CompiledPatterns(
            alone(patterns.any), alone(patterns.all), alone(patterns.none), alone(patterns.context)
        )

    @cached_property
    def line_literals(self) -> tuple[tuple[tuple[str, ...] | None, ...], ...]:
        """The literals of `line_patterns` (none, any, all, context), each pattern's as its Matcher has them,
        found without compiling the patterns."""

        def of(pattern: str) -> tuple[str, ...] | None:
            return (
                _NEVER.literals if self.multiline and _is_multiline(pattern) else self._literals_of(pattern)
            )

        return tuple(tuple(of(p) for p in kind) for kind in (self.none, self.any, self.all, self.context))

    @cached_property
    def template_fields(self) -> frozenset[str]:
        """The values the rule's messages and fixes ask for (so derived ones are computed only when used)."""
        templates = [self.summary, self.hint]
        for fix in self.fixes:
            templates += [fix.title or "", *fix.params.values()]
        return frozenset(name for template in templates for name in _template_fields(template))

    def to_json(self) -> dict[str, Any]:
        """Every field, as JSON data (`rules list --json`, and the cache of a user's rule folder)."""
        return {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "priority": self.priority,
            "confidence": self.confidence,
            "phase": self.phase,
            "fallback": self.fallback,
            "package_context": self.package_context,
            "keywords": list(self.keywords),
            "any": list(self.any),
            "all": list(self.all),
            "none": list(self.none),
            "context": list(self.context),
            "window": self.window,
            "join": self.join,
            "warning": self.warning,
            "explains": list(self.explains),
            "when": {key: list(values) for key, values in self.when.items()},
            "defaults": dict(self.defaults),
            "summary": self.summary,
            "hint": self.hint,
            "fixes": [
                {
                    "action": fix.action,
                    "params": dict(fix.params),
                    "title": fix.title,
                    "auto": fix.auto,
                    "unless": list(fix.unless),
                }
                for fix in self.fixes
            ],
            "references": list(self.references),
            "source": self.source,
            "literals": {
                pattern: None if found is None else list(found) for pattern, found in self.literals.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        """The inverse of `to_json`, without validation: only for data `to_json` wrote."""
        tuples = ("keywords", "any", "all", "none", "context", "references", "explains")
        fields: dict[str, Any] = {
            key: (tuple(value) if key in tuples else value) for key, value in data.items()
        }
        fields["when"] = {key: tuple(values) for key, values in data["when"].items()}
        fields["fixes"] = tuple(
            FixSpec(**{**fix, "unless": tuple(fix.get("unless", ()))}) for fix in data["fixes"]
        )
        fields["literals"] = {
            pattern: tuple(found) if found is not None else None
            for pattern, found in data.get("literals", {}).items()
        }
        return cls(**fields)


class Matcher:
    """A pattern, compiled on its first search, and literals one of which every match contains, to check
    first with `in`.

    A line that reached a rule through a broad keyword ("error") is usually not the line its patterns are
    about; `in` rejects it in tens of nanoseconds, where a regex search that cannot anchor on a literal
    prefix costs microseconds. `literals` is None when no such literals exist; for a case-insensitive
    pattern they are lower-case and are looked for in the lower-cased line. A rule's patterns are made
    together, but a log reaches few of them: each is compiled only when a line gets past its literals (a
    short failed install's log compiled some 60 patterns for a handful of searches, 19 ms).
    """

    __slots__ = ("_regex", "ignore_case", "literals", "multiline", "pattern")

    def __init__(self, pattern: str, literals: tuple[str, ...] | None) -> None:
        self.pattern = pattern
        self.literals = literals
        self.multiline = _is_multiline(pattern)
        # Read from the pattern's text, without compiling it: its leading global flags (Python 3.11 and
        # later accept them only there) or a scoped (?i:...) (tests/test_rules.py checks it against the
        # compiled flags of every built-in pattern).
        self._regex: re.Pattern[str] | None = None
        global_flags = _GLOBAL_FLAGS.match(pattern)
        leading = global_flags.group() if global_flags else ""
        if _FLAGS_GROUP.search(pattern, len(leading)):
            # Global flags further in (Python 3.9 and 3.10 still apply them, with a warning): compiled now.
            self.ignore_case = bool(self.regex.flags & re.IGNORECASE)
        else:
            self.ignore_case = "i" in leading
        self.ignore_case = self.ignore_case or bool(_SCOPED_IGNORECASE.search(pattern))

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled pattern."""
        if self._regex is None:
            self._regex = re.compile(self.pattern)
        return self._regex

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The pattern's first match in `text`; `lowered`, when given, is `text.lower()` (computed once per
        line for all the patterns that read it)."""
        if self.literals is not None:
            haystack = (text.lower() if lowered is None else lowered) if self.ignore_case else text
            for literal in self.literals:
                if literal in haystack:
                    break
            else:
                return None
        return (self._regex if self._regex is not None else self.regex).search(text)


@dataclass(frozen=True)
class CompiledPatterns:
    """A rule's patterns, compiled, by kind."""

    any: tuple[Matcher, ...]
    all: tuple[Matcher, ...]
    none: tuple[Matcher, ...]
    context: tuple[Matcher, ...]


@dataclass(frozen=True)
class RuleSet:
    """The rules in effect, and the problems met while loading them (reported, never fatal)."""

    rules: tuple[Rule, ...]
    problems: tuple[RuleError, ...] = ()
    disabled: frozenset[str] = frozenset()

    def by_id(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


def parse_rule(data: Mapping[str, Any], path: str, *, validate_patterns: bool = True) -> Rule:
    """Check one rule's data and build the Rule; RuleError names the first problem found."""
    stem = Path(path).stem
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleError(path, None, "id", "missing or not a string")
    problem = _Problem(path, rule_id)
    if rule_id != stem:
        raise problem("id", f"must equal the file name {stem!r}")
    if not _ID.match(rule_id):
        raise problem("id", "use lower-case words joined by hyphens")
    _no_unknown_keys(data, _TOP_KEYS, "", problem)
    category = _string(data, "category", problem)
    if category not in CATEGORIES:
        raise problem("category", f"unknown category {category!r}; {_CATEGORY_CHOICES}")
    title = _string(data, "title", problem)
    priority = data.get("priority", 50)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 100:
        raise problem("priority", f"must be an integer from 0 to 100, not {priority!r}")
    confidence = data.get("confidence", 0.8)
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool) or not 0 <= confidence <= 1:
        raise problem("confidence", f"must be a number from 0 to 1, not {confidence!r}")
    phase = data.get("phase", "install")
    if phase not in _PHASES:
        raise problem("phase", f"must be one of {', '.join(_PHASES)}, not {phase!r}")
    fallback = data.get("fallback", False)
    if not isinstance(fallback, bool):
        raise problem("fallback", f"must be true or false, not {fallback!r}")
    package_context = data.get("package_context", True)
    if not isinstance(package_context, bool):
        raise problem("package_context", f"must be true or false, not {package_context!r}")
    references = _strings(data, "references", problem)
    for index, url in enumerate(references):
        if not url.startswith(("https://", "http://")):
            raise problem(f"references[{index}]", f"not a URL: {url!r}")

    match = data.get("match")
    if not isinstance(match, dict):
        raise problem("match", "missing or not a table")
    _no_unknown_keys(match, _MATCH_KEYS, "match.", problem)
    keywords = _strings(match, "keywords", problem, prefix="match.")
    if not keywords:
        raise problem("match.keywords", "at least one keyword is needed (lines without one are never tried)")
    for index, keyword in enumerate(keywords):
        if keyword != keyword.lower() or not keyword.strip():
            raise problem(f"match.keywords[{index}]", f"keywords are non-empty and lower-case: {keyword!r}")
    any_patterns = _strings(match, "any", problem, prefix="match.")
    if not any_patterns:
        raise problem("match.any", "at least one pattern is needed")
    all_patterns = _strings(match, "all", problem, prefix="match.")
    none_patterns = _strings(match, "none", problem, prefix="match.")
    context_patterns = _strings(match, "context", problem, prefix="match.")
    window = match.get("window", 0)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise problem("match.window", f"must be a non-negative integer, not {window!r}")
    join = match.get("join", 0)
    if not isinstance(join, int) or isinstance(join, bool) or not 0 <= join <= MAX_JOIN:
        raise problem("match.join", f"must be an integer from 0 to {MAX_JOIN}, not {join!r}")
    for kind, patterns in (
        ("any", any_patterns),
        ("all", all_patterns),
        ("none", none_patterns),
        ("context", context_patterns),
    ):
        for index, pattern in enumerate(patterns):
            if _is_multiline(pattern) and not join:
                raise problem(
                    f"match.{kind}[{index}]",
                    "the pattern continues on a following line (it holds \\n): set match.join to how many "
                    "lines after the first it may see",
                )
    warning = data.get("warning", False)
    if not isinstance(warning, bool):
        raise problem("warning", f"must be true or false, not {warning!r}")
    explains = _strings(data, "explains", problem)
    for index, explained in enumerate(explains):
        if explained not in CATEGORIES:
            raise problem(f"explains[{index}]", f"unknown category {explained!r}; {_CATEGORY_CHOICES}")
    groups: dict[str, list[set[str]]] = {"any": [], "all": [], "none": [], "context": []}
    if validate_patterns:
        kinds = (
            ("any", any_patterns),
            ("all", all_patterns),
            ("none", none_patterns),
            ("context", context_patterns),
        )
        for kind, patterns in kinds:
            for index, pattern in enumerate(patterns):
                groups[kind].append(_check_pattern(pattern, f"match.{kind}[{index}]", problem))
    else:
        groups["any"] = [set(re.findall(r"\(\?P<(\w+)>", p)) for p in any_patterns]
        groups["all"] = [set(re.findall(r"\(\?P<(\w+)>", p)) for p in all_patterns]

    when_data = data.get("when", {})
    if not isinstance(when_data, dict):
        raise problem("when", "must be a table")
    when: dict[str, tuple[str, ...]] = {}
    for key in when_data:
        if key not in WHEN_KEYS:
            raise problem(f"when.{key}", f"unknown condition (known: {', '.join(sorted(WHEN_KEYS))})")
        when[key] = tuple(_strings(when_data, key, problem, prefix="when."))
        if key == "pip_older_than" and not all(re.fullmatch(r"\d+(?:\.\d+)*", v) for v in when[key]):
            raise problem(f"when.{key}", 'must be versions such as "20.3"')

    defaults_data = data.get("defaults", {})
    if not isinstance(defaults_data, dict) or not all(isinstance(v, str) for v in defaults_data.values()):
        raise problem("defaults", "must be a table of strings")
    defaults = dict(defaults_data)

    available = set(BUILTIN_VALUES) | set(defaults)
    available |= set.intersection(*groups["any"]) if groups["any"] else set()
    for found in groups["all"]:
        available |= found

    explain = data.get("explain")
    if not isinstance(explain, dict):
        raise problem("explain", "missing or not a table")
    _no_unknown_keys(explain, _EXPLAIN_KEYS, "explain.", problem)
    summary = _string(explain, "summary", problem, prefix="explain.")
    hint = explain.get("hint", "")
    if not isinstance(hint, str):
        raise problem("explain.hint", "must be a string")
    _check_template(summary, "explain.summary", available, problem)
    _check_template(hint, "explain.hint", available, problem)

    # The names some pattern may capture (a fix's `unless` names one of them).
    captured = set().union(*groups["any"], *groups["all"], *groups.get("context", []))
    fixes = []
    fix_list = data.get("fix", [])
    if not isinstance(fix_list, list):
        raise problem("fix", "must be an array of tables ([[fix]])")
    for index, fix_data in enumerate(fix_list):
        fixes.append(_parse_fix(fix_data, f"fix[{index}]", available, captured, problem))

    return Rule(
        id=rule_id,
        category=category,
        title=title,
        priority=priority,
        confidence=float(confidence),
        phase=phase,
        fallback=fallback,
        package_context=package_context,
        keywords=tuple(keywords),
        any=tuple(any_patterns),
        all=tuple(all_patterns),
        none=tuple(none_patterns),
        context=tuple(context_patterns),
        window=window,
        join=join,
        warning=warning,
        explains=tuple(explains),
        when=when,
        defaults=defaults,
        summary=summary,
        hint=hint,
        fixes=tuple(fixes),
        references=tuple(references),
        source=path,
        literals={
            pattern: _required_literals(pattern)
            for pattern in (*any_patterns, *all_patterns, *none_patterns, *context_patterns)
        },
    )


def _parse_fix(data: object, key: str, available: set[str], captured: set[str], problem: _Problem) -> FixSpec:
    if not isinstance(data, dict):
        raise problem(key, "must be a table")
    _no_unknown_keys(data, _FIX_KEYS, key + ".", problem)
    action = data.get("action")
    if action not in ACTIONS:
        raise problem(f"{key}.action", f"unknown fix action {action!r} (known: {', '.join(sorted(ACTIONS))})")
    spec = ACTIONS[action]
    params = data.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise problem(f"{key}.params", "must be a table of strings")
    for name, value in params.items():
        if name not in spec.params:
            raise problem(f"{key}.params.{name}", f"action {action!r} takes no parameter {name!r}")
        _check_template(value, f"{key}.params.{name}", available, problem)
    for name in spec.required:
        if name not in params and name != "package":
            raise problem(f"{key}.params", f"action {action!r} needs parameter {name!r}")
    title = data.get("title")
    if title is not None:
        if not isinstance(title, str):
            raise problem(f"{key}.title", "must be a string")
        _check_template(title, f"{key}.title", available | set(spec.params), problem)
    auto = data.get("auto", True)
    if not isinstance(auto, bool):
        raise problem(f"{key}.auto", "must be true or false")
    if auto is True and "auto" in data and spec.safety == UNSAFE:
        raise problem(f"{key}.auto", f"action {action!r} is unsafe and can never be applied automatically")
    unless = tuple(_strings(data, "unless", problem, prefix=key + "."))
    for name in unless:
        if name not in captured:
            raise problem(f"{key}.unless", f"{name!r} is not a capture of this rule's patterns")
    return FixSpec(action=action, params=dict(params), title=title, auto=auto, unless=unless)


class _Problem:
    def __init__(self, path: str, rule_id: str | None) -> None:
        self.path, self.rule_id = path, rule_id

    def __call__(self, key: str, reason: str) -> RuleError:
        return RuleError(self.path, self.rule_id, key, reason)


def _no_unknown_keys(data: Mapping[str, Any], known: frozenset[str], prefix: str, problem: _Problem) -> None:
    for key in data:
        if key not in known:
            raise problem(prefix + key, f"unknown key (known: {', '.join(sorted(known))})")


def _string(data: Mapping[str, Any], key: str, problem: _Problem, prefix: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise problem(prefix + key, "missing or not a non-empty string")
    return value


def _strings(data: Mapping[str, Any], key: str, problem: _Problem, prefix: str = "") -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise problem(prefix + key, "must be an array of strings")
    return list(value)


def _check_pattern(pattern: str, key: str, problem: _Problem) -> set[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise problem(key, f"bad regular expression: {error}") from None
    from safe_pip._redos import backtracking_risk

    risky = backtracking_risk(pattern)
    if risky:
        raise problem(key, f"pattern can backtrack without end in {pattern!r}: {risky}")
    return set(compiled.groupindex)


def _template_fields(template: str) -> list[str]:
    """The `{name}` fields of a message template (ValueError when it is malformed)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _check_template(template: str, key: str, available: set[str], problem: _Problem) -> None:
    try:
        fields = _template_fields(template)
        # template.fill_template fills `{name}` alone: a conversion or format spec would be printed as it is.
        formatted = [
            f"{{{name}!{conversion}}}" if conversion else f"{{{name}:{spec}}}"
            for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None and (spec or conversion)
        ]
    except ValueError as error:
        raise problem(key, f"bad template: {error}") from None
    if formatted:
        raise problem(key, f"bad template field {formatted[0]}: only plain {{name}} fields are filled")
    for name in fields:
        if not name.isidentifier():
            raise problem(key, f"bad template field {{{name}}}")
        if name not in available:
            raise problem(
                key,
                f"template uses {{{name}}}, which the rule does not define "
                f"(available: {', '.join(sorted(available))})",
            )


def _required_literals(pattern: str) -> tuple[str, ...] | None:
    """Literals of which every match of `pattern` contains one, or None.

    `command '(?P<tool>gcc)' failed: No such file` -> ("' failed: No such file",);
    `Error compiling Cython file|Cython\\.Compiler` -> ("Error compiling Cython file", "Cython.Compiler");
    None when some alternative has no literal run of 3 or more characters.
    """
    from safe_pip._redos import _sre

    constants, parser = _sre()
    try:
        parsed = parser.parse(pattern)
    except Exception:
        return None
    # Literals of a part that ignores case are lower-case too, and looked for in the lower-cased line.
    lower = bool(parsed.state.flags & re.IGNORECASE) or bool(_SCOPED_IGNORECASE.search(pattern))

    def best(items: Any) -> tuple[str, ...] | None:
        # The longest literal run of a sequence that must match entirely; a required group contributes its
        # own sequence; a branch contributes one literal per alternative, if every alternative has one.
        choices: list[tuple[str, ...]] = []
        run: list[str] = []
        for op, value in [*items, (None, None)]:
            if op == constants.LITERAL:
                run.append(chr(value))
                continue
            if len(run) >= 3:
                choices.append(("".join(run),))
            run = []
            if op == constants.SUBPATTERN:
                inner = best(value[-1])
                if inner:
                    choices.append(inner)
            elif op == constants.BRANCH:
                alternatives = [best(branch) for branch in value[1]]
                if all(alternatives):
                    choices.append(tuple(literal for found in alternatives if found for literal in found))
        if not choices:
            return None
        # Fewest alternatives first (one long literal beats several), then the longest shortest literal.
        return min(choices, key=lambda found: (len(found), -min(len(literal) for literal in found)))

    found = best(parsed)
    if found is None:
        return None
    return tuple(literal.lower() for literal in found) if lower else found


# A pattern's literal clauses (see literal_clauses): for each of its alternatives, the clauses every match of
# that alternative meets, each clause the literals (lower-case) one of which such a match holds.
Clauses = tuple[tuple[tuple[str, ...], ...], ...]
_CLAUSES: dict[str, Clauses | None] = {}
_MAX_ALTERNATIVES = 16


def literal_clauses(pattern: str) -> Clauses | None:
    """What every match of `pattern` holds, finer than `_required_literals`: for each alternative of the
    pattern (its top-level `|`, inside a group that wraps it all), every literal run of 3 or more characters
    the alternative must match, and for a group of alternatives it must match one of, a literal of each;
    lower-case, to look for in a lower-cased line. None when some alternative holds no such literal, or the
    pattern does not parse. A line lacking a literal of each clause of every alternative cannot match:

    `exit (?:code|status):? (?:-9|137)` -> ((("exit ",), ("code", "status")),)
    `(?i)cmake is not installed|could not find ["']?cmake` -> ((("cmake is not installed",),),
                                                              (("could not find ",), ("cmake",)))
    Kept per pattern (and in the built-in library's cache)."""
    if pattern in _CLAUSES:
        return _CLAUSES[pattern]
    found = _CLAUSES[pattern] = _find_clauses(pattern)
    return found


def _find_clauses(pattern: str) -> Clauses | None:
    from safe_pip._redos import _sre

    constants, parser = _sre()
    try:
        parsed = list(parser.parse(pattern))
    except Exception:
        return None
    repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None)}

    def clauses(items: Any) -> list[tuple[str, ...]]:
        # Every literal run (3+ characters) of a sequence that must match entirely, a required group's own,
        # a repeat's that runs at least once, and one clause for a group of alternatives (a literal of each,
        # its best: fewest literals, then the longest shortest one) when each alternative has one.
        found: list[tuple[str, ...]] = []
        run: list[str] = []
        for op, value in [*items, (None, None)]:
            if op == constants.LITERAL:
                run.append(chr(value))
                continue
            if len(run) >= 3:
                found.append(("".join(run).lower(),))
            run = []
            if op == constants.SUBPATTERN:
                found.extend(clauses(value[-1]))
            elif op in repeats and value[0] >= 1:
                found.extend(clauses(value[2]))
            elif op == constants.BRANCH:
                best = []
                for branch in value[1]:
                    inner = clauses(branch)
                    if not inner:
                        break
                    best.append(min(inner, key=lambda one: (len(one), -min(map(len, one)))))
                else:
                    found.append(tuple(dict.fromkeys(literal for one in best for literal in one)))
            # anything else (an assertion, a class, a conditional group) holds no required literal here
        return found

    while len(parsed) == 1 and parsed[0][0] == constants.SUBPATTERN:
        parsed = list(parsed[0][1][-1])
    # The alternatives: a top-level group of alternatives is read as that many sequences (the parser takes
    # out their common start: `cmake x|could not y` is "c" then `make x|ould not y`), up to a few.
    alternatives = [parsed]
    while len(alternatives) < _MAX_ALTERNATIVES:
        at = next(
            (
                (number, place)
                for number, items in enumerate(alternatives)
                for place, (op, _) in enumerate(items)
                if op == constants.BRANCH
            ),
            None,
        )
        if at is None:
            break
        number, place = at
        items = alternatives[number]
        branches = items[place][1][1]
        if len(alternatives) + len(branches) - 1 > _MAX_ALTERNATIVES:
            break
        alternatives[number : number + 1] = [
            [*items[:place], *branch, *items[place + 1 :]] for branch in branches
        ]
    result = tuple(tuple(clauses(alternative)) for alternative in alternatives)
    return None if not all(result) else result


# Each pattern's answer, kept: a rule's multi-line patterns are asked about by the rule, its line literals,
# the classifier's windows and each Matcher (parsing one costs ~0.1-0.3 ms: ~6 ms a process when asked anew).
_MULTILINE: dict[str, bool] = {}


def _is_multiline(pattern: str) -> bool:
    """The pattern continues on a following line: it matches a newline it names (`\\n`, or `[\\n ]`), not
    only excludes one (`[^\\n]`, a line's rest)."""
    if "\\n" not in pattern and "\n" not in pattern:
        return False  # the usual pattern: not parsed
    found = _MULTILINE.get(pattern)
    if found is None:
        found = _MULTILINE[pattern] = _names_newline(pattern)
    return found


def _names_newline(pattern: str) -> bool:
    """_is_multiline's answer, from the parsed pattern."""
    from safe_pip._redos import _sre

    constants, parser = _sre()
    try:
        parsed = parser.parse(pattern)
    except Exception:
        return False

    repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None)}

    def names_newline(items: Any) -> bool:
        for op, value in items:
            if op == constants.LITERAL:
                found = value == 10
            elif op == constants.IN:
                found = (constants.NEGATE, None) not in value and any(
                    (kind == constants.LITERAL and item == 10)
                    or (kind == constants.RANGE and item[0] <= 10 <= item[1])
                    for kind, item in value
                )
            elif op in repeats:
                found = names_newline(value[2])
            elif op == constants.SUBPATTERN:
                found = names_newline(value[-1])
            elif op == constants.BRANCH:
                found = any(names_newline(branch) for branch in value[1])
            elif op in (constants.ASSERT, constants.ASSERT_NOT):
                found = names_newline(value[1])
            else:
                found = False
            if found:
                return True
        return False

    return names_newline(parsed)


def _toml() -> Any:
    """tomllib (tomli before Python 3.11), imported only when a TOML file is actually read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older Pythons only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib


# The form of the parsed library's cache: a new engine key (join, warning, explains) or a new way of finding
# literals changes it, so a cache written by an older checkout of the same version is not read.
_CACHE_FORMAT = "5"
# A rule file is a few hundred bytes; a larger one is a mistake (or a trap), not a rule.
MAX_RULE_FILE_BYTES = 64 << 10


def _read_rule_file(path: Path) -> str:
    """The text of a regular file of at most MAX_RULE_FILE_BYTES: a FIFO, a device or a symlink to one is
    refused before it is opened for reading (which could block or never end)."""
    import stat

    where = str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RuleError(where, None, None, "not a regular file")
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):  # replaced between the two looks
                raise RuleError(where, None, None, "not a regular file")
            data = stream.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        raise RuleError(where, None, None, f"cannot read: {error}") from None
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RuleError(where, None, None, f"larger than {MAX_RULE_FILE_BYTES >> 10} KiB: not a rule file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RuleError(where, None, None, f"cannot read: {error}") from None


def load_rule_file(path: Path, *, validate_patterns: bool = True) -> Rule:
    text = _read_rule_file(path)
    tomllib = _toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleError(str(path), None, None, f"not valid TOML: {error}") from None
    return parse_rule(data, str(path), validate_patterns=validate_patterns)


def builtin_rule_files() -> list[Path]:
    """The rule files shipped inside the package (`safe_pip/rules`, found with importlib.resources), or the
    checkout's top-level `rules/` when safe-pip runs from a source tree (an editable install)."""
    here = Path(__file__).resolve().parent
    if (here / "rules").is_dir():
        # A regular install: the package folder is on disk (importlib.resources would say the same, but its
        # import alone costs more than reading the folder). Listed by os.listdir, not Path.glob (0.32 against
        # 0.53 ms for 179 files, best of 50, issue 17): the same names, as the folder holds only rule files.
        folder = here / "rules"
        return [folder / name for name in sorted(os.listdir(folder)) if name.endswith(".toml")]
    from importlib.resources import files

    shipped = files("safe_pip").joinpath("rules")
    if shipped.is_dir():
        return sorted(Path(str(entry)) for entry in shipped.iterdir() if entry.name.endswith(".toml"))
    checkout = here.parent.parent / "rules"
    return sorted(checkout.glob("*.toml")) if checkout.is_dir() else []


def _folder_files(folder: Path) -> list[Path]:
    try:
        return sorted(folder.glob("*.toml"))
    except OSError:
        return []


def load_rules(
    *,
    extra_folders: Sequence[Path] = (),
    user_folder: Path | None = None,
    disabled: Iterable[str] = (),
    include_builtin: bool = True,
    cache_folder: Path | None = None,
) -> RuleSet:
    """The layered library: built-in, then the user's folder, then `extra_folders` in order.

    A later rule with the same id replaces an earlier one. A broken rule outside the built-in set is reported
    in `problems` and skipped; built-in rules are trusted (validated in CI), their patterns compiled lazily,
    and, given a `cache_folder`, read from a cache of the parsed library (marshal) after the first time.
    """
    by_id: dict[str, Rule] = {}
    problems: list[RuleError] = []
    if include_builtin:
        for rule in _builtin_rules(builtin_rule_files(), cache_folder):
            by_id[rule.id] = rule
    folders: list[Path] = [user_folder] if user_folder is not None else []
    for folder in [*folders, *extra_folders]:
        if not folder.is_dir():
            problems.append(RuleError(str(folder), None, None, "no such rule folder"))
            continue
        for rule in _folder_rules(folder, cache_folder, problems):
            by_id[rule.id] = rule
    off = frozenset(disabled)
    rules = tuple(rule for rule_id, rule in sorted(by_id.items()) if rule_id not in off)
    return RuleSet(rules=rules, problems=tuple(problems), disabled=off)


def _folder_rules(folder: Path, cache_folder: Path | None, problems: list[RuleError]) -> list[Rule]:
    """The valid rules of a user's folder, broken ones added to `problems`. Given a `cache_folder`, a rule
    whose file has the name, size and time it had when it was last found valid is read from the folder's
    JSON cache instead of being parsed and validated again: 10,000 rules cost seconds to check, a few
    hundred milliseconds to read back."""
    import json
    import stat
    import zlib

    from safe_pip import __version__

    files = _folder_files(folder)
    name = str(folder.resolve() if folder.exists() else folder).encode("utf-8", "surrogateescape")
    cache = cache_folder / f"user-rules-{zlib.crc32(name):08x}.json" if cache_folder is not None else None
    stamp = [__version__, _CACHE_FORMAT, str(folder)]
    known: dict[str, Any] = {}
    if cache is not None and files:
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached["stamp"] == stamp:
                known = cached["rules"]
        except (OSError, ValueError, TypeError, KeyError):
            pass  # no cache yet, or an unreadable one: every file is parsed and it is written again
    rules: list[Rule] = []
    fresh: dict[str, Any] = {}
    for path in files:
        try:
            info = os.stat(path)
        except OSError:
            info = None
        entry = known.get(path.name)
        if (
            info is not None
            and stat.S_ISREG(info.st_mode)
            and entry is not None
            and entry[:2] == [info.st_size, info.st_mtime_ns]
        ):
            try:
                rule = Rule.from_json(entry[2])
            except (TypeError, KeyError, ValueError):
                rule = None
            if rule is not None:
                rules.append(rule)
                fresh[path.name] = entry
                continue
        try:
            rule = load_rule_file(path)
        except RuleError as error:
            problems.append(error)
            continue
        rules.append(rule)
        if info is not None:
            fresh[path.name] = [info.st_size, info.st_mtime_ns, rule.to_json()]
    if cache is not None and fresh != known:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"stamp": stamp, "rules": fresh}), encoding="utf-8")
            os.replace(temporary, cache)
        except OSError:
            pass  # a read-only cache folder only costs the parsing next time
    return rules


def _builtin_rules(files: Sequence[Path], cache_folder: Path | None) -> list[Rule]:
    """The built-in rules; parsing 50+ TOML files costs more than a failed install's whole diagnosis
    budget, so the parsed library is kept in a cache, checked against the files' names, sizes and times.

    One cache file per installation (named after its rules folder) and interpreter: two installs of
    safe-pip (pipx's and a project's venv) do not replace each other's cache on every run.
    """
    if cache_folder is None or not files:
        return [replace(load_rule_file(path, validate_patterns=False), builtin=True) for path in files]
    import zlib

    from safe_pip import __version__

    stamp = [__version__, _CACHE_FORMAT, ",".join(_RULE_FIELDS)]
    for path in files:
        info = path.stat()
        stamp.append(f"{path.name}\0{info.st_size}\0{info.st_mtime_ns}")
    folder = str(files[0].parent).encode("utf-8", "surrogateescape")
    cache = cache_folder / f"builtin-rules-{zlib.crc32(folder):08x}-{sys.implementation.cache_tag}.marshal"
    cached = _read_library_cache(cache, stamp)
    if cached is not None:
        return cached
    rules = [replace(load_rule_file(path, validate_patterns=False), builtin=True) for path in files]
    try:
        cache_folder.mkdir(parents=True, exist_ok=True)
        _write_library_cache(cache, stamp, rules)
    except (OSError, ValueError):
        pass  # a read-only cache folder only costs the parsing next time
    return rules


# The order of a cached rule's values: Rule's fields (a cached rule is made with them, in this order). They
# are part of the cache's stamp too: a checkout whose Rule gained a field reads no row made before it.
_RULE_FIELDS = tuple(item.name for item in dataclass_fields(Rule))
_FIX_FIELDS = tuple(item.name for item in dataclass_fields(FixSpec))


def _kept_rules(rows: Sequence[Sequence[Any]]) -> list[Rule]:
    """Rules (and their FixSpecs) from their kept values, in their fields' order, as their dataclass
    `__init__` makes them (neither class has a `__post_init__` or an `InitVar`) but without it: a frozen
    dataclass's `__init__` sets each field through `object.__setattr__`, 0.92 ms for the library's 179 rules
    and 450 fixes against 0.45 ms here (best of 50, issue 17). A row of another length is a cache of another
    form: TypeError, read as no cache."""
    make = object.__new__
    fixes_at = _RULE_FIELDS.index("fixes")
    rules: list[Rule] = []
    for row in rows:
        if len(row) != len(_RULE_FIELDS):
            raise TypeError(f"a kept rule of {len(row)} values for {len(_RULE_FIELDS)} fields")
        rule = make(Rule)
        values = rule.__dict__
        values.update(zip(_RULE_FIELDS, row))
        fixes = []
        for kept in row[fixes_at]:
            if len(kept) != len(_FIX_FIELDS):
                raise TypeError(f"a kept fix of {len(kept)} values for {len(_FIX_FIELDS)} fields")
            fix = make(FixSpec)
            fix.__dict__.update(zip(_FIX_FIELDS, kept))
            fixes.append(fix)
        values["fixes"] = tuple(fixes)
        rules.append(rule)
    return rules


def _read_library_cache(cache: Path, stamp: list[str]) -> list[Rule] | None:
    """The rules kept in `cache` when it was written for `stamp`, else None.

    marshal, not JSON: the library read back from JSON (660 KB, then a dict per rule turned into tuples,
    then a copy of each marked built-in) cost ~10 ms of a failed install's CPU; marshal gives the tuples as
    they were kept, ~1-2 ms. The user's own cache folder, like the JSON before it; marshal builds plain data
    and runs nothing. Anything unexpected in it (another form, a damaged file) reads as no cache."""
    import marshal

    try:
        with open(cache, "rb") as stream:
            data = stream.read()
        kept_stamp, rows, multiline, clauses = marshal.loads(data)  # noqa: S302 (see the docstring)
        if kept_stamp != stamp:
            return None
        rules = _kept_rules(rows)
    except (OSError, ValueError, EOFError, TypeError, IndexError):
        return None  # no cache yet, or an unreadable one: parse the files and write it again
    _MULTILINE.update(multiline)
    _CLAUSES.update(clauses)
    return rules


def _write_library_cache(cache: Path, stamp: list[str], rules: Sequence[Rule]) -> None:
    """Keep `rules` (and which of their patterns continue on the next line, and each pattern's literal
    clauses: parsing them again at each start cost ~4 and ~60 ms) in `cache`, for `_read_library_cache`."""
    import marshal

    def row(rule: Rule) -> tuple[object, ...]:
        values = [getattr(rule, name) for name in _RULE_FIELDS]
        values[_RULE_FIELDS.index("when")] = {key: tuple(found) for key, found in rule.when.items()}
        values[_RULE_FIELDS.index("defaults")] = dict(rule.defaults)
        values[_RULE_FIELDS.index("fixes")] = tuple(
            (fix.action, dict(fix.params), fix.title, fix.auto, tuple(fix.unless)) for fix in rule.fixes
        )
        values[_RULE_FIELDS.index("literals")] = {
            pattern: None if found is None else tuple(found) for pattern, found in rule.literals.items()
        }
        return tuple(values)

    patterns = [p for rule in rules for p in (*rule.any, *rule.all, *rule.none, *rule.context)]
    multiline = {
        pattern: _is_multiline(pattern) for pattern in patterns if "\\n" in pattern or "\n" in pattern
    }
    clauses = {pattern: literal_clauses(pattern) for pattern in patterns}
    temporary = cache.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(marshal.dumps([stamp, [row(rule) for rule in rules], multiline, clauses]))
    os.replace(temporary, cache)


# The closed set of categories, for the error about an unknown one (their root causes: docs/CONTRACT.md).
_CATEGORY_CHOICES = f"valid categories (docs/CONTRACT.md): {', '.join(CATEGORIES)}"
# The keys config.toml may hold; another is reported (a typo would otherwise be silently ignored).
CONFIG_KEYS = ("disable",)


def read_config(path: Path) -> tuple[list[str], list[RuleError]]:
    """`disable = [...]` from the user's config.toml (missing file: nothing disabled); an unknown key is a
    problem naming it, and the rest of the file still counts."""
    if not path.is_file():
        return [], []
    tomllib = _toml()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return [], [RuleError(str(path), None, None, f"cannot read the config: {error}")]
    unknown = [
        RuleError(str(path), None, key, f"unknown key, ignored (known: {', '.join(CONFIG_KEYS)})")
        for key in data
        if key not in CONFIG_KEYS
    ]
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(item, str) for item in disable):
        return [], [*unknown, RuleError(str(path), None, "disable", "must be an array of rule ids")]
    return list(disable), unknown


# `rules check`: one search of a hostile line as long as a user's rule sees takes at most this long.
SLOW_SEARCH_S = 0.01


def slow_patterns(rule: Rule) -> list[RuleError]:
    """The rule's patterns that are slow on lines built from their own pieces (see _redos), each a problem
    naming the key, the time and the line; lines grow slowly, so an exponential pattern does not hang this."""
    from safe_pip._redos import slowest_line

    problems = []
    for kind in ("any", "all", "none", "context"):
        for index, pattern in enumerate(getattr(rule, kind)):
            lengths = [16, 24, 32, 48, 64, 128, 256, 512, USER_LINE_CHARS]
            seconds, line = slowest_line(pattern, USER_LINE_CHARS, SLOW_SEARCH_S, lengths=lengths)
            if seconds > SLOW_SEARCH_S:
                shown = line if len(line) <= 60 else line[:60] + "..."
                reason = (
                    f"pattern is slow on a hostile line: {seconds * 1000:.0f} ms for one search of "
                    f"{len(line)} characters ({shown!r}); make each repeat exclude what follows it"
                )
                problems.append(RuleError(rule.source, rule.id, f"match.{kind}[{index}]", reason))
    return problems


def iter_rule_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Rule files named by `rules check PATH...`: files as given, folders expanded to their *.toml."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.glob("*.toml"))
        else:
            yield path


def env_rule_folders(environ: Mapping[str, str]) -> list[Path]:
    value = environ.get("SAFE_PIP_RULES", "")
    return [Path(entry) for entry in value.split(os.pathsep) if entry]


# Stands for a multi-line pattern among a rule's one-line ones: its literal is in no line.
_NEVER = Matcher("(?!)", ("\n",))
