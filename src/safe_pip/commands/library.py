"""The rule library in effect (built-in, the user's, SAFE_PIP_RULES, --rules) and the facts of this machine
that rules' conditions ask about."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from safe_pip.capture import CaptureBuffer
from safe_pip.classify import Classifier, Diagnosis, RuleFacts
from safe_pip.options import Invocation
from safe_pip.render import Console
from safe_pip.rules import RuleSet, env_rule_folders, load_rules, read_config

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def load_rule_library(invocation: Invocation, console: Console) -> RuleSet:
    """Built-in rules, then the user's folder, then SAFE_PIP_RULES, then --rules; broken ones reported."""
    from safe_pip.commands.context import user_folder as safe_pip_folder

    config_dir = Path(safe_pip_folder("config"))
    # SAFE_PIP_CONFIG names another config file (a project's, a CI's); the user's rule folder stays.
    config_file = Path(os.environ.get("SAFE_PIP_CONFIG") or config_dir / "config.toml")
    if os.environ.get("SAFE_PIP_CONFIG") and not config_file.is_file():
        console.warning(f"SAFE_PIP_CONFIG names {str(config_file)!r}, which is not a file; no config read")
    disabled, config_problems = read_config(config_file)
    for problem in config_problems:
        console.warning(f"config: {problem}")
    extra = [*env_rule_folders(os.environ), *(Path(folder) for folder in invocation.options.rules)]
    user_folder = config_dir / "rules"
    rules = load_rules(
        extra_folders=extra,
        user_folder=user_folder if user_folder.is_dir() else None,
        disabled=disabled,
        cache_folder=Path(safe_pip_folder("cache")),
    )
    for problem in rules.problems:
        console.warning(f"rule skipped: {problem}")
    return rules


def rule_facts(rules: RuleSet) -> RuleFacts:
    """The facts rules' [when] conditions ask about, for this machine: cheap ones only (PATH lookups)."""
    import shutil

    from safe_pip.classify import RuleFacts
    from safe_pip.probe import detect_package_manager

    tools = {
        tool
        for rule in rules.rules
        for key in ("tool_missing", "tool_present")
        for tool in rule.when.get(key, ())
    }
    return RuleFacts(
        platform=sys.platform,
        tools_on_path={tool: shutil.which(tool) is not None for tool in sorted(tools)},
        package_manager=detect_package_manager(),
    )


def feed_capture(classifier: Classifier, capture: CaptureBuffer) -> None:
    for line in capture.lines():
        classifier.feed_line(line.number, line.raw)


def from_builtin_rule(rules: RuleSet, diagnoses: Sequence[Diagnosis]) -> bool:
    """Whether the top diagnosis comes from a built-in rule (not one of the user's, which may replace it)."""
    rule = rules.by_id(diagnoses[0].rule) if diagnoses else None
    return rule is not None and rule.builtin


def with_interpreter_facts(classifier: Classifier, python: str | None, *, ask: bool) -> list[Diagnosis]:
    """The classifier's diagnoses, diagnosed again with what they make worth asking the interpreter: for an
    unsupported wheel, its tags (to say which of the wheel's fails); for a release pip did not find, its pip's
    age (too old for today's wheel tags?). `ask`: the pip may be run to learn its version."""
    from safe_pip.probe import detect_interpreter_facts, detect_pip_version

    diagnoses = classifier.diagnoses()
    if python is None:
        return diagnoses
    categories = {diagnosis.category for diagnosis in diagnoses}
    learnt = classifier.facts or RuleFacts()
    if "unsupported-wheel" in categories:
        facts = detect_interpreter_facts(python)
        if facts is not None:
            learnt = replace(learnt, interpreter=facts.wheel_target(), pip_version=facts.pip_version)
    elif "no-matching-distribution" in categories:
        learnt = replace(learnt, pip_version=detect_pip_version(python, ask=ask))
    if learnt != (classifier.facts or RuleFacts()):
        classifier.facts = learnt
        diagnoses = classifier.diagnoses()
    return diagnoses
