"""The rest of the command line: safe-pip's own commands and the explanation after a failed pip run.

Split from `cli` so that `safe-pip install` imports none of this (argparse, the rule engine) unless pip
failed or one of these commands was asked for. Like `cli`, this module prints results and picks exit codes.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from safe_pip import __version__
from safe_pip.capture import CaptureBuffer
from safe_pip.classify import Classifier, Diagnosis, RuleFacts
from safe_pip.fixes import Fix, FixContext, shell_words
from safe_pip.logtext import NumberedLine, clean_line, last_error_lines
from safe_pip.options import Invocation, UsageError
from safe_pip.redact import redact, redact_json
from safe_pip.render import Console, diagnoses_json, diagnosis_lines
from safe_pip.rules import (
    RuleError,
    RuleSet,
    env_rule_folders,
    iter_rule_paths,
    load_rule_file,
    load_rules,
    read_config,
    slow_patterns,
)

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from typing import Any, BinaryIO, NoReturn

    from safe_pip.history import FixMemory
    from safe_pip.probe import InterpreterFacts, MachineFacts
    from safe_pip.retry import Attempt, RunOutcome

__all__ = ["explain_failure", "load_rule_library", "run_own_command"]

EXIT_USAGE = 2


def run_own_command(invocation: Invocation, console: Console) -> int:
    import argparse

    class Parser(argparse.ArgumentParser):
        """Errors in the style of safe-pip's own option errors: `safe-pip: error: ...`, then the help that
        says more, exit code 2 (argparse's own would print a usage block first)."""

        def error(self, message: str) -> NoReturn:
            # The top parser reports words it did not expect after a command: that command's help says more.
            prog = (
                self.prog
                if self.prog != "safe-pip" or not invocation.command
                else f"safe-pip {invocation.command}"
            )
            raise UsageError(message, help_command=f"{prog} --help")

    parser: argparse.ArgumentParser = Parser(prog="safe-pip", description="safe-pip's own commands")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_diagnose(commands)
    _add_doctor(commands)
    _add_rules(commands)
    _add_history(commands)
    try:
        args = parser.parse_args([invocation.command or "", *invocation.args])
    except SystemExit as exit_request:  # argparse has printed its usage message
        return int(exit_request.code or 0)
    if args.command == "diagnose":
        return _cmd_diagnose(args, invocation, console)
    if args.command == "doctor":
        return _cmd_doctor(args, invocation, console)
    if args.command == "history":
        return _cmd_history(args, console)
    return _cmd_rules(args, invocation, console)


# -- rule library ---------------------------------------------------------------------------------------
def load_rule_library(invocation: Invocation, console: Console) -> RuleSet:
    """Built-in rules, then the user's folder, then SAFE_PIP_RULES, then --rules; broken ones reported."""
    from platformdirs import user_cache_dir, user_config_dir

    config_dir = Path(user_config_dir("safe-pip", appauthor=False))
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
        cache_folder=Path(user_cache_dir("safe-pip", appauthor=False)),
    )
    for problem in rules.problems:
        console.warning(f"rule skipped: {problem}")
    return rules


# -- after a failed pip run -----------------------------------------------------------------------------
def explain_failure(
    console: Console,
    invocation: Invocation,
    capture: CaptureBuffer,
    lines: Sequence[NumberedLine],
    *,
    exit_code: int,
    log_path: str | None,
    python: str,
    duration_s: float = 0.0,
) -> int:
    """After a failed pip run: the diagnosis, then (with --fix, or when the user says yes) the attempt loop;
    --suggest prints what --fix would run. Returns the exit code of the last pip run."""
    from safe_pip.retry import RunOutcome

    rules = load_rule_library(invocation, console)
    args = invocation.args
    options = invocation.options
    # Only when a fix may be picked is it worth asking pip (seconds) which release has a wheel.
    picking = options.suggest or options.fix or _interactive()
    diagnoses = diagnose_run(
        rules,
        invocation,
        python,
        capture=capture,
        log_path=log_path,
        args=args,
        env_changes={},
        pin_wheels=picking,
    )
    _print_failure(
        console,
        invocation.command or "install",
        exit_code=exit_code,
        diagnoses=diagnoses,
        lines=lines,
        log_path=log_path,
        log_whole=_log_is_whole(log_path, capture),
    )
    from safe_pip.retry import usable_fixes

    first = RunOutcome(exit_code, duration_s, tuple(diagnoses), log_path)
    if _killed_by_signal(exit_code):
        # The OOM killer, a CI timeout, `kill -9`: running pip again would meet the same end, whatever the log
        # says (a killed compiler's `Killed signal terminated program cc1plus` is in it too).
        console.say(_interrupted_message(exit_code), style="error")
        return _finish(console, invocation, python, outcomes=[first], args=args)
    usable = usable_fixes(diagnoses[0]) if diagnoses else []
    # The history costs a probe of the interpreter (its tags): only when a fix may be picked from it.
    memory = _fix_memory(console, invocation, python) if usable and picking else None
    worked_before = memory.worked_before(diagnoses[0]) if memory is not None else ()
    failed_before = memory.failed_before(diagnoses[0]) if memory is not None else ()
    plan_fixes = usable_fixes(diagnoses[0], worked_before, failed_before) if diagnoses else []
    for skipped in sorted({fix.id for fix in usable} & set(failed_before)):
        console.say(
            f"not retrying with {skipped}: it did not help {diagnoses[0].package} the last time here "
            "(`safe-pip history --clear` forgets it)",
            style="note",
        )
    because = (
        f" (it worked before for {diagnoses[0].package})"
        if plan_fixes and plan_fixes[0].id in worked_before
        else ""
    )
    if options.suggest:
        if plan_fixes:
            console.say(f"--fix would run: {plan_fixes[0].command}{because}")
        else:
            console.say("--fix would not retry: no safe fix applies")
        return _finish(console, invocation, python, outcomes=[first], args=args)
    fix_mode = options.fix
    if not fix_mode and plan_fixes and _interactive():
        fix_mode = _ask(f"Retry with {_change(plan_fixes[0], args)}{because}? [y/N] ")
    if not fix_mode:
        return _finish(console, invocation, python, outcomes=[first], args=args)
    return _fix_loop(
        console,
        invocation,
        python,
        rules=rules,
        first=first,
        max_attempts=options.max_attempts,
        memory=memory,
    )


def _fix_memory(console: Console, invocation: Invocation, python: str) -> FixMemory | None:
    """The history of fixes for this kind of interpreter; None with --no-history or when the target cannot
    say what it is."""
    if invocation.options.no_history:
        return None
    from safe_pip.history import FixMemory, HistoryStore, default_history_path, interpreter_kind
    from safe_pip.probe import detect_interpreter_facts

    facts = detect_interpreter_facts(python)
    if facts is None:
        return None
    target = facts.wheel_target()
    python_tag = f"{target.implementation}{target.version[0]}{target.version[1]}"
    kind = interpreter_kind(f"{python_tag}-{target.abi}", target.os, target.machine)
    return FixMemory(HistoryStore(default_history_path()), kind, console.warning)


def diagnose_run(
    rules: RuleSet,
    invocation: Invocation,
    python: str,
    *,
    capture: CaptureBuffer,
    log_path: str | None,
    args: tuple[str, ...],
    env_changes: Mapping[str, str],
    pin_wheels: bool = False,
) -> list[Diagnosis]:
    """The diagnoses of one pip run (its fixes written for `args`, the arguments that run used). With
    `pin_wheels` (a fix may be picked), pin-to-wheel asks the target's pip which release has a wheel."""
    import functools

    from safe_pip.facts import source_options
    from safe_pip.probe import (
        detect_interpreter_facts,
        detect_module_installed,
        detect_newest_wheel,
        detect_package_manager,
        detect_pip_version,
        detect_python_for,
        detect_resolves,
        detect_wheel_versions,
    )
    from safe_pip.requested import read_user_requests

    def target_venv() -> bool:
        facts = detect_interpreter_facts(python)
        return facts is not None and facts.venv

    sources = tuple(source_options(args))
    context = FixContext(
        pip_command=invocation.command or "install",
        pip_args=args,
        python=python,
        package_manager=detect_package_manager(),  # apt, dnf, apk, brew...: the fix commands for this machine
        build_jobs=_build_jobs(env_changes),
        importable=functools.partial(detect_module_installed, python),
        wheel_version=functools.partial(detect_newest_wheel, python, sources=sources) if pin_wheels else None,
        wheel_versions=functools.partial(detect_wheel_versions, python, sources=sources)
        if pin_wheels
        else None,
        target_venv=target_venv,
        requests=read_user_requests(args, _read_requirement_file),
        fix_versions=invocation.options.fix_versions,
        fitting_wheel=functools.partial(_fitting_wheel_beside, python),
        target_options=tuple(_target_options(invocation)),
        pip_version=detect_pip_version(python),  # from its dist-info folder: no process started
        resolves=functools.partial(detect_resolves, python)
        if pin_wheels and (invocation.command or "install") == "install"
        else None,
        sudo=_needs_sudo(),
        index_url=_index_url(args),
        secrets=_secret_references(),
        python_for=(lambda requirement, versions: detect_python_for(python, requirement, sources, versions))
        if pin_wheels
        else None,
    )
    classifier = Classifier(rules, _rule_facts(rules), context=context)
    if capture.dropped_lines and log_path and _log_is_whole(log_path, capture):
        # The capture skipped part of a long log: read the saved log, which has every line. A log cut short
        # (its disk filled up) is not read: it lacks the end, where the error is, which the capture has.
        try:
            with open(log_path, "rb") as saved:
                classifier.feed_stream(saved)
        except OSError:
            _feed_capture(classifier, capture)
    else:
        _feed_capture(classifier, capture)
    diagnoses = _with_interpreter_facts(classifier, python, ask=pin_wheels)
    # A release pip did not find: the index, asked once through the target's pip, says why (issue 14).
    from safe_pip.index_diagnosis import with_index_facts

    if not _from_builtin_rule(rules, diagnoses):
        return diagnoses  # a user's own rule says what it says: the index does not rewrite it
    named = (line.raw.decode("utf-8", "replace") for line in capture.lines())
    return with_index_facts(diagnoses, python=python, context=context, sources=sources, lines=named)


def _from_builtin_rule(rules: RuleSet, diagnoses: Sequence[Diagnosis]) -> bool:
    """Whether the top diagnosis comes from a built-in rule (not one of the user's, which may replace it)."""
    rule = rules.by_id(diagnoses[0].rule) if diagnoses else None
    return rule is not None and rule.builtin


def _with_interpreter_facts(classifier: Classifier, python: str | None, *, ask: bool) -> list[Diagnosis]:
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


def _read_requirement_file(name: str) -> str | None:
    """A requirement or constraint file the user's command names (relative to the working folder, as pip
    reads it); None when it cannot be read. Capped: a file is text a person wrote, not a gigabyte."""
    try:
        with open(name, "rb") as file:
            return file.read(4 << 20).decode("utf-8", "replace")
    except OSError:
        return None


def _fitting_wheel_beside(python: str, named: str, project: str) -> str | None:
    """A wheel file of `project` in the folder of the wheel file `named` that the target can install (its
    most preferred tag wins), written as the user wrote the folder; None when there is none."""
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    from safe_pip.probe import detect_interpreter_facts

    facts = detect_interpreter_facts(python)
    folder = os.path.dirname(named)
    try:
        names = sorted(os.listdir(folder or "."))
    except OSError:
        return None
    if facts is None or not facts.tags:
        return None
    rank = {tag: position for position, tag in enumerate(facts.tags)}
    best: tuple[int, str] | None = None
    for name in names:
        try:
            found, _version, _build, tags = parse_wheel_filename(name)
        except InvalidWheelFilename:
            continue
        if found != canonicalize_name(project):
            continue
        fits = [rank[str(tag)] for tag in tags if str(tag) in rank]
        if fits and (best is None or min(fits) < best[0]):
            best = (min(fits), name)
    return os.path.join(folder, best[1]) if best is not None else None


def _secret_references() -> dict[str, str]:
    """URLs with credentials in pip's environment variables, and the variable each came from: a printed
    command names the variable instead of a masked URL that could not work."""
    found: dict[str, str] = {}
    for variable in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        values = os.environ.get(variable, "").split()
        if len(values) == 1 and "@" in values[0]:
            found[values[0]] = variable
    return found


def _needs_sudo() -> bool:
    """Whether system package commands need `sudo`: not as root (a Docker build), nor where there is none."""
    import shutil

    geteuid = getattr(os, "geteuid", None)
    return not (geteuid is not None and geteuid() == 0) and shutil.which("sudo") is not None


def _index_url(args: Sequence[str]) -> str | None:
    """The index the user's pip reads: their --index-url / -i, else PIP_INDEX_URL; None for pip's default."""
    for position, word in enumerate(args):
        name, has_value, value = word.partition("=")
        if name in ("--index-url", "-i"):
            if has_value:
                return value
            return args[position + 1] if position + 1 < len(args) else None
    return os.environ.get("PIP_INDEX_URL") or None


def _build_jobs(env_changes: Mapping[str, str]) -> int | None:
    """Parallel build jobs: half of the last try's when it already limited them, else what fits in memory
    (about 2.5 GB per C++/CUDA compile job) and the usable CPUs."""
    from safe_pip.probe import detect_cpus, detect_memory_available

    if env_changes.get("MAX_JOBS", "").isdigit():
        return max(1, int(env_changes["MAX_JOBS"]) // 2)
    memory, cpus = detect_memory_available(), detect_cpus()
    by_memory = int(memory // (2.5 * (1 << 30))) if memory else 1
    return max(1, min(by_memory, int(cpus or 1)))


def _print_failure(
    console: Console,
    command: str,
    *,
    exit_code: int,
    diagnoses: Sequence[Diagnosis],
    lines: Sequence[NumberedLine],
    log_path: str | None,
    log_whole: bool = True,
) -> None:
    if diagnoses:
        top = diagnoses[0]
        what = f"pip {command} failed (exit code {exit_code})"
        if top.package:
            what += f" while installing {top.package}"
        console.say(f"{what}: {top.category}", style="error")
        console.say("\n".join(diagnosis_lines(diagnoses, console=console)))
    else:
        console.say(
            f"pip {command} failed (exit code {exit_code}); safe-pip does not recognise the cause.",
            style="error",
        )
        errors = last_error_lines(lines)
        if errors:
            console.say("pip's last error lines:")
            for line in errors:
                console.say(f"  line {line.number}: {line.text}")
    if log_path and log_whole:
        console.say(f"full log: {log_path}")
    elif log_path:
        console.say(f"saved log, incomplete (the diagnosis read pip's output itself): {log_path}")


def _log_is_whole(log_path: str | None, capture: CaptureBuffer) -> bool:
    """Whether the saved log holds all of pip's output (a full disk or a failing write cuts it short)."""
    if not log_path:
        return False
    try:
        return os.path.getsize(log_path) >= capture.total_bytes
    except OSError:
        return False


def _fix_loop(
    console: Console,
    invocation: Invocation,
    python: str,
    *,
    rules: RuleSet,
    first: RunOutcome,
    max_attempts: int,
    memory: FixMemory | None = None,
) -> int:
    from safe_pip.capture import CaptureBuffer
    from safe_pip.cli import _log_directory
    from safe_pip.logtext import NumberedLine, normalise_line
    from safe_pip.retry import RunOutcome, fix_records, run_with_fixes
    from safe_pip.runner import run_captured

    command = invocation.command or "install"

    written: list[str] = []

    def run(
        args: tuple[str, ...],
        env_changes: Mapping[str, str],
        before: tuple[str, ...],
        files: tuple[tuple[str, str], ...] = (),
    ) -> RunOutcome:
        spent = 0.0  # the attempt's time includes the command run first
        for path, text in files:
            # A requirement file's copy with one pin moved (--fix-versions nearest), beside the user's file;
            # removed when the loop ends.
            try:
                with open(path, "w", encoding="utf-8") as copy:
                    copy.write(text)
            except OSError as error:
                console.warning(f"cannot write {path!r} for the retry: {error.strerror or error}")
                return RunOutcome(1, 0.0)
            written.append(path)
        if before:
            # A pip command that changes the target first (upgrading pip): shown live like any pip run; when
            # it fails, the attempt ends there, with its exit code and no diagnosis to fix further.
            prepared = run_captured(
                [python, "-m", "pip", *before],
                CaptureBuffer(),
                _log_directory,
                env={**os.environ, **env_changes},
            )
            if prepared.exit_code != 0 or prepared.signal_received is not None:
                console.warning(f"`pip {' '.join(before)}` failed (exit code {prepared.exit_code})")
                return RunOutcome(
                    prepared.exit_code,
                    prepared.duration_s,
                    (),
                    prepared.log_path,
                    prepared.signal_received is not None,
                )
            spent = prepared.duration_s
        capture = CaptureBuffer()
        result = run_captured(
            [python, "-m", "pip", command, *args], capture, _log_directory, env={**os.environ, **env_changes}
        )
        if result.log_problem:
            # Every attempt meets the same unwritable folder: said once per safe-pip run.
            console.warning_once(result.log_problem)
        if result.exit_code == 0 or result.signal_received is not None:
            return RunOutcome(
                result.exit_code,
                spent + result.duration_s,
                (),
                result.log_path,
                result.signal_received is not None,
            )
        lines = [NumberedLine(line.number, normalise_line(line.raw)) for line in capture.lines()]
        diagnoses = diagnose_run(
            rules,
            invocation,
            python,
            capture=capture,
            log_path=result.log_path,
            args=args,
            env_changes=env_changes,
            pin_wheels=True,
        )
        _print_failure(
            console,
            command,
            exit_code=result.exit_code,
            diagnoses=diagnoses,
            lines=lines,
            log_path=result.log_path,
            log_whole=_log_is_whole(result.log_path, capture),
        )
        return RunOutcome(
            result.exit_code,
            spent + result.duration_s,
            tuple(diagnoses),
            result.log_path,
            _killed_by_signal(result.exit_code),  # ends the loop: a killed pip is never retried
        )

    def announce(number: int, plan: Any, cause: Diagnosis) -> None:
        change = _change(plan.fix, invocation.args)
        why = (
            f"{cause.category}; it worked before for {cause.package}"
            if plan.worked_before
            else cause.category
        )
        console.say(f"attempt {number}/{max_attempts}: retrying with {change} ({why})", style="title")
        if plan.fix.moves_pin:
            # The user's own version is overruled: never silently (they opted in with --fix-versions nearest).
            console.say(
                f"changing a version you pinned: {plan.fix.moves_pin} (--fix-versions nearest)", style="error"
            )

    try:
        attempts = run_with_fixes(
            invocation.args,
            run,
            max_attempts=max_attempts,
            announce=announce,
            first=first,
            remembered=memory.worked_before if memory is not None else None,
            failed=memory.failed_before if memory is not None else None,
        )
    finally:
        for path in written:
            try:
                os.unlink(path)
            except OSError:
                pass
    # A --dry-run installs nothing: whether it "worked" says nothing about the fix.
    if memory is not None and "--dry-run" not in invocation.args:
        memory.learn(fix_records(attempts))
    last = attempts[-1]
    applied = [attempt.fix.id for attempt in attempts if attempt.fix]
    if last.outcome.interrupted:
        console.say(_interrupted_message(last.outcome.exit_code), style="error")
    elif last.outcome.exit_code == 0 and applied:
        # A requirement file pip read as a changed copy (removed by now) is named as the user's own file.
        copies = {
            copy: original for attempt in attempts if attempt.fix for copy, original in attempt.fix.copies_of
        }
        words = ["safe-pip", *_target_options(invocation), command, *_replace_copies(last.args, copies)]
        console.say(
            f"fixed in {len(attempts)} attempts ({', '.join(applied)}): "
            f"{shell_words(words, _secret_references())}",
            style="ok",
        )
        moved = [attempt.fix.moves_pin for attempt in attempts if attempt.fix and attempt.fix.moves_pin]
        if moved:
            console.say(
                f"installed a version other than the one you pinned: {'; '.join(moved)}", style="error"
            )
        for original in sorted(set(copies.values())):
            console.say(
                f"{original} still pins the old version: change it there ({'; '.join(moved)}) for the "
                "command above to work without --fix",
                style="error",
            )
    elif len(attempts) > 1:
        console.say(
            f"still failing after {len(attempts)} attempts ({', '.join(applied) or 'no fix'})", style="error"
        )
    elif last.outcome.exit_code != 0:
        console.say("--fix found no safe fix to apply", style="note")
    return _finish(
        console,
        invocation,
        python,
        outcomes=[attempt.outcome for attempt in attempts],
        args=invocation.args,
        attempts=attempts,
    )


def _killed_by_signal(exit_code: int) -> bool:
    """pip's exit code says it was killed by a signal: 128+N, as the runner (or a shell between) reports it;
    pip itself never exits with more than 128."""
    return exit_code > 128


def _interrupted_message(exit_code: int) -> str:
    return f"interrupted: pip was stopped by signal {exit_code - 128} (exit code {exit_code}); not retried"


def _change(fix: Fix, user_args: Sequence[str]) -> str:
    """What a fix changes in the user's command, in a few words: variables, options, words such as a pin
    (`psutil==5.9.8`), and a command run first (`pip install --upgrade pip`)."""
    added = [word for word in fix.args or () if word not in user_args and word not in fix.pip_args]
    env_words = [f"{key}={shlex.quote(value)}" for key, value in fix.env.items()]
    change = " ".join([*env_words, shell_words([*fix.pip_args, *added])]).strip()
    if fix.before:
        first = shell_words(["pip", *fix.before])
        return f"{change} after `{first}`" if change else f"the same command after `{first}`"
    return change or fix.title


def _replace_copies(args: Sequence[str], copies: Mapping[str, str]) -> list[str]:
    """The arguments with each changed copy of a requirement file named as the user's file again."""
    shown = []
    for word in args:
        named = word
        for copy, original in copies.items():
            if named.endswith(copy):
                named = named[: len(named) - len(copy)] + original
        shown.append(named)
    return shown


def _target_options(invocation: Invocation) -> list[str]:
    """safe-pip's options that chose the target, for a command the user may paste."""
    return ["--python", invocation.options.python] if invocation.options.python else []


def _finish(
    console: Console,
    invocation: Invocation,
    python: str,
    *,
    outcomes: Sequence[RunOutcome],
    args: tuple[str, ...],
    attempts: Sequence[Attempt] | None = None,
) -> int:
    """Write the --json-report when asked, and return the last run's exit code."""
    from safe_pip.retry import Attempt as AttemptRecord

    records = list(attempts) if attempts is not None else [AttemptRecord(args, {}, None, outcomes[-1])]
    code = records[-1].outcome.exit_code
    log_path = records[-1].outcome.log_path
    installing = (invocation.command or "install") == "install"
    if code == 0 and invocation.options.verify_import and installing and log_path:
        code = verify_imports(console, invocation, python, lines=_saved_lines(log_path))
    if invocation.options.json_report:
        write_report(console, invocation, python, records, code)
    return code


def _saved_lines(path: str) -> Iterator[str]:
    from safe_pip.logtext import normalise_line

    try:
        with open(path, "rb") as saved:
            for raw in saved:
                yield normalise_line(raw)
    except OSError:
        return


# -- after a successful install: --verify-import ----------------------------------------------------------
def verify_imports(console: Console, invocation: Invocation, python: str, *, lines: Iterable[str]) -> int:
    """Import what pip just installed, in the target; a failing import is diagnosed like a failed install.
    Returns 0 when every module imported, else 1."""
    from safe_pip.facts import parse_installed, requirement_names
    from safe_pip.probe import detect_package_manager, import_installed, parse_import_results

    # pip's "Successfully installed" line, else (pip -q prints none) the names on the command line and in
    # its requirement files.
    installed = [name for name, _version in parse_installed(lines)] or [
        *requirement_names(invocation.args),
        *_names_in_requirement_files(invocation.args),
    ]
    if not installed:
        console.say(
            "--verify-import: pip installed nothing new and named no package, nothing to import", style="note"
        )
        return 0
    code, output = import_installed(python, installed)
    results = parse_import_results(output)
    failed = [(name, module) for name, module, imported in results if not imported]
    if not failed and code == 0:
        modules = ", ".join(module for _name, module, _imported in results) or "no importable modules"
        console.say(f"--verify-import: imported {modules}", style="ok")
        return 0
    rules = load_rule_library(invocation, console)
    context = FixContext(
        pip_command=invocation.command or "install",
        pip_args=invocation.args,
        python=python,
        package_manager=detect_package_manager(),
    )
    classifier = Classifier(rules, _rule_facts(rules), context=context)
    classifier.feed_stream(io.BytesIO(output.encode("utf-8", "replace")))
    diagnoses = [diagnosis for diagnosis in classifier.diagnoses() if not diagnosis.fallback]
    if failed:
        what = ", ".join(f"{module} (from {name})" for name, module in failed)
    else:
        what = f"the import check itself (exit code {code}; an import may have crashed the interpreter)"
    console.say(f"installed, but importing failed: {what}", style="error")
    # The import's output is log text too: shown only as clean_line leaves it (no terminal controls).
    output_lines = [
        NumberedLine(number, clean_line(text.encode("utf-8", "replace")))
        for number, text in enumerate(output.splitlines(), 1)
    ]
    # The import's own error (its traceback's last line), never the import script's marker lines.
    for module, error in _import_errors(output_lines):
        console.say(f"  {module}: {error}")
    if diagnoses:
        console.say("\n".join(diagnosis_lines(diagnoses, console=console)))
    elif not failed:
        shown = [line for line in output_lines if not line.text.startswith("safe-pip-import ")]
        for line in last_error_lines(shown) or shown[-5:]:
            console.say(f"  {line.text}")
    for module, project in _missing_module_projects(output):
        # `No module named 'cv2'`: the module comes from a project of another name (issue 14).
        command = shell_words(["safe-pip", *_target_options(invocation), "install", project])
        console.say(f"  the module {module} is provided by the project {project}: {command}")
    return 1


def _missing_module_projects(output: str) -> list[tuple[str, str]]:
    """(module, project) for each `No module named 'x'` in an import's output whose project has another
    name (`cv2` -> opencv-python)."""
    import re

    from safe_pip.projectnames import module_project

    found: dict[str, str] = {}
    # ModuleNotFoundError: No module named 'cv2'        ImportError: No module named yaml   (Python 2)
    for match in re.finditer(r"No module named '?([A-Za-z_][\w.]*)'?", output):
        project = module_project(match.group(1))
        if project is not None:
            found.setdefault(match.group(1), project)
    return sorted(found.items())


def _import_errors(lines: Sequence[NumberedLine]) -> list[tuple[str, str]]:
    """(module, the last line of its traceback) for each module the import script reported as failed."""
    errors: list[tuple[str, str]] = []
    module: str | None = None
    last = ""
    for line in [*lines, NumberedLine(0, "safe-pip-import end - -")]:
        if line.text.startswith("safe-pip-import "):
            if module is not None:
                errors.append((module, last or "(no error message)"))
            words = line.text.split()
            module = words[3] if len(words) == 4 and words[1] == "failed" else None
            last = ""
        elif line.text.strip() and not line.text.startswith((" ", "\t")):
            last = line.text.strip()
    return errors


def _names_in_requirement_files(args: Sequence[str]) -> list[str]:
    """The distributions the command's requirement files name (nested files followed, relative to the file
    that names them, as pip does), as typed; constraints, unnamed paths and URLs, and unreadable files left
    out (`name @ URL` names one)."""
    import re

    from safe_pip.requested import read_user_requests

    names = []
    for item in read_user_requests(args, _read_requirement_file).items:
        named = item.direct is None or "@" in item.text.split("://", 1)[0]
        head = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", item.text)
        if item.file and not item.constraint and named and head:
            names.append(head.group(0))
    return names


def write_report(
    console: Console, invocation: Invocation, python: str, attempts: Sequence[Attempt], exit_code: int
) -> None:
    """The contract's --json-report: the command, every attempt, the exit code, the last log."""
    import json

    from safe_pip.probe import detect_interpreter_facts

    facts = detect_interpreter_facts(python)
    command = [python, "-m", "pip", invocation.command or "install"]
    report = {
        "schema_version": 1,
        "safe_pip_version": __version__,
        "python": python,
        "pip_version": ".".join(map(str, facts.pip_version)) if facts and facts.pip_version else None,
        "command": [*command, *invocation.args],
        "attempts": [attempt.to_json(command) for attempt in attempts],
        "exit_code": exit_code,
        "log_file": attempts[-1].outcome.log_path if attempts else None,
    }
    path = invocation.options.json_report or ""
    text = json.dumps(redact_json(report), indent=2) + "\n"
    try:
        _write_report_file(path, text.encode("utf-8"))
    except OSError as error:
        console.warning(f"cannot write the JSON report {path!r}: {error.strerror or error}")


def _write_report_file(path: str, data: bytes) -> None:
    """Write the report so that a reader sees the old file or the whole new one, never half of it: a temporary
    file beside it (created 0600: the report holds the command line), then renamed over it. A symbolic link at
    `path` is refused, not followed, so a link planted in a shared folder cannot redirect the write; a pipe or
    terminal (`/dev/stdout`, `/dev/fd/3`), which cannot be replaced, is written to directly."""
    import errno
    import stat
    import tempfile

    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISLNK(found.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None
        if target is None or not (stat.S_ISFIFO(target.st_mode) or stat.S_ISCHR(target.st_mode)):
            raise OSError(errno.ELOOP, "it is a symbolic link, which safe-pip does not write through")
    if found is not None and not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode):
        with open(path, "wb") as stream:  # a pipe or terminal (or a link to one)
            stream.write(data)
        return
    folder, name = os.path.split(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (OSError, ValueError, AttributeError):
        return False


# How long the retry question waits for an answer: a terminal nobody watches (`docker run -t` in CI, a
# forgotten tmux pane) must not hold the run forever.
_ANSWER_TIMEOUT_S = 60.0


def _ask(question: str, timeout: float | None = None) -> bool:
    """Ask a yes/no question on the terminal; no answer within `timeout` seconds counts as no. Ctrl-C is
    not an answer: it interrupts safe-pip (KeyboardInterrupt, exit 130)."""
    import select

    wait = _ANSWER_TIMEOUT_S if timeout is None else timeout
    try:
        sys.stderr.write(f"safe-pip: {redact(question)}")
        sys.stderr.flush()
        # A terminal in line mode is readable once a whole line (or end of input) is typed.
        ready, _, _ = select.select([sys.stdin], [], [], wait)
        if not ready:
            sys.stderr.write(f"\nsafe-pip: no answer in {wait:g} s: not retrying\n")
            return False
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    except KeyboardInterrupt:
        sys.stderr.write("\n")  # the prompt's line is left unfinished otherwise
        raise
    return answer.strip().lower() in ("y", "yes")


def _rule_facts(rules: RuleSet) -> RuleFacts:
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


def _feed_capture(classifier: Classifier, capture: CaptureBuffer) -> None:
    for line in capture.lines():
        classifier.feed_line(line.number, line.raw)


# -- diagnose -------------------------------------------------------------------------------------------
def _add_diagnose(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("diagnose", help="explain an existing pip log")
    parser.add_argument("--json", action="store_true", help="print the diagnoses as JSON")
    parser.add_argument(
        "--here",
        action="store_true",
        help="the log came from this machine: use its facts (the target interpreter, the tools on PATH)",
    )
    parser.add_argument("file", nargs="?", help="the log file; '-' or nothing: standard input")


def _cmd_diagnose(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
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
        from safe_pip.cli import resolve_target
        from safe_pip.probe import detect_package_manager

        target = resolve_target(invocation, Console(color=False, stream=io.StringIO()))
        python = target.path if target is not None else None
        context = FixContext(python=python or "python3", package_manager=detect_package_manager())
        classifier = Classifier(rules, _rule_facts(rules), context=context)
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
    diagnoses = _with_interpreter_facts(classifier, python, ask=False) if here else classifier.diagnoses()
    # A release pip did not find: on this machine the index is asked as after an install (pip's configuration
    # gives the sources); from elsewhere, only what pip's lines say (issue 14).
    from safe_pip.index_diagnosis import with_index_facts, with_log_facts

    if not _from_builtin_rule(rules, diagnoses):
        pass  # a user's own rule says what it says
    elif here and python is not None:
        diagnoses = with_index_facts(diagnoses, python=python, context=classifier.context, sources=())
    else:
        diagnoses = with_log_facts(diagnoses)
    _print_diagnoses(diagnoses, as_json=args.json, console=console)
    return 0 if diagnoses else 1


def _is_saved_log(name: str) -> bool:
    """`name` is a log safe-pip saved (in its log folder): it came from this machine."""
    from safe_pip.cli import _log_directory

    try:
        folder = os.path.realpath(_log_directory())
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


# -- doctor ---------------------------------------------------------------------------------------------
def _add_doctor(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("doctor", help="what this interpreter and machine can install and build")
    parser.add_argument("--json", action="store_true", help="print the facts and findings as JSON")


def _cmd_doctor(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
    """Exit 0 with the report (findings included); 2 when there is no target interpreter at all."""
    from safe_pip.cli import resolve_target
    from safe_pip.doctor import doctor_json, findings
    from safe_pip.probe import detect_interpreter_facts, detect_machine

    target = resolve_target(invocation, console)
    if target is None:
        return EXIT_USAGE
    interpreter = detect_interpreter_facts(target.path)
    machine = detect_machine(interpreter.site_packages if interpreter else None)
    torch_abi = None
    if interpreter is not None and interpreter.packages.get("torch"):
        from safe_pip.probe import detect_torch_abi

        torch_abi = detect_torch_abi(target.path)
    if args.json:
        import json

        report = doctor_json(interpreter, machine, target.path, __version__)
        if report["interpreter"] and report["interpreter"]["torch"]:
            report["interpreter"]["torch"]["cxx11_abi"] = torch_abi
        print(json.dumps(report, indent=2))
        return 0
    for line in _doctor_lines(target.path, target.source, interpreter, machine, torch_abi):
        print(line)
    found = findings(interpreter, machine, target.path)
    print("Findings")
    if not found:
        print("  nothing stands in the way of installing and building packages here")
    for finding in found:
        print(f"  {finding.severity}: {finding.message}")
        print(f"    fix: {finding.fix}")
    return 0


def _doctor_lines(
    python: str,
    source: str,
    interpreter: InterpreterFacts | None,
    machine: MachineFacts,
    torch_abi: bool | None,
) -> list[str]:
    from safe_pip.facts import parse_torch_version

    gb = 1 << 30
    lines = []
    if interpreter is not None:
        target = interpreter.wheel_target()
        pip = ".".join(map(str, interpreter.pip_version)) if interpreter.pip_version else "none"
        kind = "venv" if interpreter.venv else "not a venv"
        first = interpreter.tags[0] if interpreter.tags else "?"
        lines.append(f"Interpreter  {python} ({source}): {target.description}, pip {pip}, {kind}")
        lines.append(f"             ABI {target.abi}; {len(interpreter.tags)} wheel tags, best {first}")
        yes = {True: "yes", False: "no"}
        lines.append(
            f"             Python.h: {yes[interpreter.python_h]}; site-packages writable: "
            f"{yes[interpreter.site_packages_writable]}; externally managed (PEP 668): "
            f"{yes[interpreter.externally_managed]}"
        )
        torch = interpreter.packages.get("torch")
        if torch:
            build = parse_torch_version(torch)
            what = f"CUDA {build['cuda']}" if build["cuda"] else (build["build"] or "build unknown")
            abi = {True: ", C++11 ABI", False: ", pre-C++11 ABI", None: ""}[torch_abi]
            lines.append(f"             torch {torch} ({what}{abi})")
        if interpreter.packages.get("numpy"):
            lines.append(f"             numpy {interpreter.packages['numpy']}")
    else:
        lines.append(f"Interpreter  {python} ({source}): could not be probed")
    distro = machine.distro.pretty_name if machine.distro and machine.distro.pretty_name else machine.platform
    libc = f", {machine.libc[0]} {'.'.join(map(str, machine.libc[1]))}" if machine.libc else ""
    manager = f", package manager {machine.package_manager}" if machine.package_manager else ""
    lines.append(f"Machine      {distro}, {machine.machine}{libc}{manager}")

    def tools(names: tuple[str, ...]) -> str:
        return ", ".join(
            f"{name} {tool.version or '?'}" if tool else f"{name} -"
            for name in names
            for tool in [machine.tools.get(name)]
        )

    lines.append(f"Compilers    {tools(('cc', 'gcc', 'clang', 'c++', 'g++'))}")
    lines.append(f"Build tools  {tools(('cmake', 'ninja', 'meson', 'pkg-config', 'swig', 'make'))}")
    lines.append(f"Rust         {tools(('cargo', 'rustc'))}")
    cuda_home = machine.cuda_home or "unset"
    lines.append(
        f"CUDA         nvcc {machine.nvcc_version or '-'}, CUDA_HOME {cuda_home}, "
        f"NVIDIA driver {machine.driver_version or '-'}"
    )
    memory = (
        f"{machine.memory_available / gb:.1f} GB memory available" if machine.memory_available else "memory ?"
    )
    cpus = f"{machine.cpus:g} CPUs" if machine.cpus else "CPUs ?"
    disks = ", ".join(
        f"{free / gb:.1f} GB free in {folder}" for folder, free in machine.disk_free.items() if free
    )
    lines.append(f"Resources    {memory}, {cpus}, {disks}")
    return lines


# -- rules ----------------------------------------------------------------------------------------------
def _add_rules(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("rules", help="the rule library")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list the rules in effect")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="show one rule")
    show.add_argument("id")
    check = actions.add_parser("check", help="validate rule files")
    check.add_argument("paths", nargs="+", type=Path)


def _cmd_rules(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
    if args.action == "check":
        return _cmd_rules_check(args.paths)
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


def _cmd_rules_check(paths: Sequence[Path]) -> int:
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


# -- history --------------------------------------------------------------------------------------------
def _add_history(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "history", help="fixes tried before on this machine, and whether they worked"
    )
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    parser.add_argument("--clear", action="store_true", help="forget every record")


def _cmd_history(args: argparse.Namespace, console: Console) -> int:
    import json
    import sqlite3

    from safe_pip.history import HistoryStore, default_history_path

    store = HistoryStore(default_history_path())
    try:
        if args.clear:
            count = store.clear()
            console.say(f"forgot {count} record{'' if count == 1 else 's'} ({store.path})")
            return 0
        records = store.records()
    except (sqlite3.Error, OSError) as error:
        console.error(f"cannot read the fix history {store.path}: {error}")
        return 1
    finally:
        for warning in store.warnings:
            console.warning(warning)
    if args.json:
        print(
            json.dumps(
                {
                    "schema_version": 1,
                    "safe_pip_version": __version__,
                    "path": str(store.path),
                    "records": [record.to_json() for record in records],
                },
                indent=2,
            )
        )
        return 0
    if not records:
        console.say(f"no fixes recorded yet ({store.path})")
        return 0
    print(f"{'when (UTC)':<17}  {'package':<20}  {'failure':<26}  {'fix':<18}  {'result':<6}  interpreter")
    for record in records:
        when = record.to_json()["recorded_at"]
        result = "worked" if record.worked else "failed"
        print(
            f"{str(when)[:16].replace('T', ' '):<17}  {record.package:<20}  {record.category:<26}  "
            f"{record.fix:<18}  {result:<6}  {record.interpreter}"
        )
    print(f"({len(records)} record{'' if len(records) == 1 else 's'} in {store.path})")
    return 0
