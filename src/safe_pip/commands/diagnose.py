"""`safe-pip diagnose [--here] [--json] [FILE | -]`: explain an existing pip log."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence

from safe_pip import __version__
from safe_pip.classify import Classifier, Diagnosis
from safe_pip.commands.context import EXIT_USAGE
from safe_pip.commands.library import from_builtin_rule, load_rule_library, rule_facts, with_interpreter_facts
from safe_pip.fixes import FixContext
from safe_pip.options import Invocation, UsageError
from safe_pip.redact import redact, redact_json
from safe_pip.render import Console, diagnoses_json, diagnosis_lines

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import BinaryIO


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("diagnose", help="explain an existing pip log")
    parser.add_argument("--json", action="store_true", help="print the diagnoses as JSON")
    parser.add_argument(
        "--here",
        action="store_true",
        help="the log came from this machine: use its facts (the target interpreter, the tools on PATH)",
    )
    parser.add_argument("file", nargs="?", help="the log file; '-' or nothing: standard input")


def run(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
    """Exit 0: at least one diagnosis; 1: nothing recognised; 2: the log cannot be read."""
    name = "-" if args.file is None else args.file
    if not name:
        # An empty name is a script's unset variable (`safe-pip diagnose "$LOG"`), not a request for stdin.
        raise UsageError("diagnose needs a log file name, not an empty one (or '-' for standard input)")
    if name == "-" and sys.stdin.isatty():
        raise UsageError("diagnose needs a log: `safe-pip diagnose build.log`, or pipe one in")
    rules = load_rule_library(invocation, console)
    # A log from elsewhere is diagnosed from its text alone. One from this machine (`--here`, or safe-pip's
    # own saved log) is diagnosed as a failed install is: with the facts of the interpreter safe-pip would use
    # and of the tools on PATH, and fixes written for that interpreter.
    here = bool(getattr(args, "here", False)) or (name != "-" and _is_saved_log(name))
    python = None
    if here:
        from safe_pip.commands.context import resolve_target
        from safe_pip.probe import detect_package_manager

        target = resolve_target(invocation, Console(color=False, stream=io.StringIO()))
        python = target.path if target is not None else None
        context = FixContext(python=python or "python3", package_manager=detect_package_manager())
        classifier = Classifier(rules, rule_facts(rules), context=context)
    else:
        classifier = Classifier(rules)
    try:
        if name == "-":
            classifier.feed_stream(sys.stdin.buffer)
        else:
            with _open_log(name) as stream:
                classifier.feed_stream(stream)
    except OSError as error:
        console.error(f"cannot read the log {name!r}: {error.strerror or error}")
        return EXIT_USAGE
    diagnoses = with_interpreter_facts(classifier, python, ask=False) if here else classifier.diagnoses()
    # A release pip did not find: on this machine the index is asked as after an install (pip's configuration
    # gives the sources); from elsewhere, only what pip's lines say (issue 14).
    from safe_pip.index_diagnosis import with_index_facts, with_log_facts

    if not from_builtin_rule(rules, diagnoses):
        pass  # a user's own rule says what it says
    elif here and python is not None:
        diagnoses = with_index_facts(diagnoses, python=python, context=classifier.context, sources=())
    else:
        diagnoses = with_log_facts(diagnoses)
    _print_diagnoses(diagnoses, as_json=args.json, console=console)
    return 0 if diagnoses else 1


def _is_saved_log(name: str) -> bool:
    """`name` is a log safe-pip saved (in its log folder): it came from this machine."""
    from safe_pip.commands.context import log_directory

    try:
        folder = os.path.realpath(log_directory())
        return os.path.dirname(os.path.realpath(name)) == folder
    except (OSError, ValueError):
        return False


def _open_log(name: str) -> BinaryIO:
    if os.path.isdir(name):
        raise IsADirectoryError(21, "Is a directory", name)
    return open(name, "rb")


def _print_diagnoses(diagnoses: Sequence[Diagnosis], *, as_json: bool, console: Console) -> None:
    if as_json:
        import json

        print(json.dumps(redact_json(diagnoses_json(diagnoses, __version__)), indent=2, ensure_ascii=False))
        return
    if not diagnoses:
        print("No known failure found in this log.")
        return
    stdout = Console(color=console.color and sys.stdout.isatty(), stream=sys.stdout)
    for line in diagnosis_lines(diagnoses, console=stdout):
        print(redact(line))
