"""`safe-pip rules list [--json] | show ID | check PATH...`: the rule library."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from safe_pip import __version__
from safe_pip.commands.context import EXIT_USAGE
from safe_pip.commands.library import load_rule_library
from safe_pip.options import Invocation
from safe_pip.render import Console
from safe_pip.rules import RuleError, iter_rule_paths, load_rule_file, slow_patterns

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("rules", help="the rule library")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list the rules in effect")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="show one rule")
    show.add_argument("id")
    check = actions.add_parser("check", help="validate rule files")
    check.add_argument("paths", nargs="+", type=Path)


def run(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
    if args.action == "check":
        return _check(args.paths)
    rules = load_rule_library(invocation, console)
    if args.action == "list":
        if args.json:
            import json

            listing = {
                "schema_version": 1,
                "safe_pip_version": __version__,
                "rules": [rule.to_json() for rule in rules.rules],
            }
            print(json.dumps(listing, indent=2))
        else:
            for rule in rules.rules:
                print(f"{rule.id:40} {rule.category:32} {rule.priority:3}  {rule.title}")
        return 0
    shown = rules.by_id(args.id)
    if shown is None:
        console.error(f"no rule {args.id!r}; `safe-pip rules list` shows the rules in effect")
        return EXIT_USAGE
    print(f"# {shown.source}")
    print(Path(shown.source).read_text(encoding="utf-8"), end="")
    return 0


def _check(paths: Sequence[Path]) -> int:
    """Exit 0 when every rule file is valid, 1 when any is not (each problem: file, rule id, key)."""
    problems: list[RuleError] = []
    seen: dict[str, str] = {}
    count = invalid = 0
    for path in iter_rule_paths(paths):
        count += 1
        try:
            rule = load_rule_file(path)
        except RuleError as error:
            problems.append(error)
            invalid += 1
            continue
        found = slow_patterns(rule)  # hostile lines built from each pattern's own pieces, timed
        if rule.id in seen:
            found.insert(0, RuleError(str(path), rule.id, "id", f"duplicate of {seen[rule.id]}"))
        seen[rule.id] = str(path)
        problems += found
        invalid += bool(found)
    for problem in problems:
        print(f"invalid: {problem}")
    if count == 0:
        print("no rule files found")
        return 1
    print(f"{count - invalid} of {count} rule files valid")
    return 1 if problems else 0
