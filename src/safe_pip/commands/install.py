"""After a failed `pip install|download|wheel`: the diagnosis, the fix loop (--fix, --suggest, the retry
question) and what ends a run (--verify-import, --json-report).

Imported only when pip failed (or its import starts on a second thread at pip's first error line): a run
that succeeds never pays for the rule engine."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from safe_pip.capture import CaptureBuffer
from safe_pip.classify import Classifier, Diagnosis
from safe_pip.commands.context import read_requirement_file, target_options
from safe_pip.commands.library import (
    feed_capture,
    from_builtin_rule,
    load_rule_library,
    rule_facts,
    with_interpreter_facts,
)
from safe_pip.fixes import Fix, FixContext, shell_words
from safe_pip.logtext import NumberedLine, last_error_lines, normalise_line
from safe_pip.options import Invocation
from safe_pip.redact import redact
from safe_pip.render import Console, diagnosis_lines
from safe_pip.rules import RuleSet

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from safe_pip.history import FixMemory
    from safe_pip.retry import Attempt, RunOutcome


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
    earlier: Sequence[Attempt] = (),
    made: list[Attempt] | None = None,
    env_changes: Mapping[str, str] | None = None,
    preflight: Mapping[str, object] | None = None,
    prepared: PreparedDiagnosis | None = None,
) -> int:
    """After a failed pip run: the diagnosis, then (with --fix, or when the user says yes) the attempt loop;
    --suggest prints what --fix would run. Returns the exit code of the last pip run.

    `earlier`: pip runs this command made before this one (the --torch-backend first run), listed first in
    the --json-report. `made` given: the attempts are added to it and what ends a run (--verify-import, the
    --json-report) is left to the caller (the --torch-backend first run, after which the user's command runs).
    `env_changes`: what this run's environment already had changed (--preflight's MAX_JOBS, CUDA_HOME...):
    every retry keeps it. `preflight`: what --preflight did, for the --json-report. `prepared`: the rule
    library and the classifier, made while pip ran (`prepare_diagnosis`, for this run's invocation, target,
    capture and `env_changes`); its held warnings are shown here, where loading the library shows them.
    """
    from safe_pip.commands.torch import cuda_build_target
    from safe_pip.retry import RunOutcome

    if prepared is None:
        prepared = prepare_diagnosis(invocation, python, capture, env_changes or {}, console)
    else:
        for warning in prepared.warnings:
            console.warning(warning)
    rules = prepared.rules
    args = invocation.args
    options = invocation.options
    picking = prepared.picking
    scratch = prepared.scratch_folder
    diagnoses = diagnose_run(
        rules,
        invocation,
        python,
        capture=capture,
        log_path=log_path,
        args=args,
        env_changes=env_changes or {},
        pin_wheels=picking,
        scratch_folder=scratch,
        classifier=prepared.classifier,
        fed=prepared.fed,
    )
    # A CUDA extension build: which torch/CUDA/Python/ABI it was building for (the target's torch is asked
    # only for such a log). The second thread scanned the lines it read: when none was such a line, only the
    # rest are scanned here.
    from safe_pip.cudalog import is_cuda_extension_build

    scanned = len(prepared.lines) if not prepared.cuda_seen and _read_head_only(prepared, lines) else 0
    if scanned and not is_cuda_extension_build(line.text for line in lines[scanned:]):
        target = None
    else:
        target = cuda_build_target(python, (line.text for line in lines))
    ending = _Ending(
        tuple(earlier), made, target[1] if target is not None else None, dict(env_changes or {}), preflight
    )
    _print_failure(
        console,
        invocation.command or "install",
        exit_code=exit_code,
        diagnoses=diagnoses,
        lines=lines,
        log_path=log_path,
        log_whole=_log_is_whole(log_path, capture),
        facts_lines=(target[0],) if target is not None else (),
    )
    from safe_pip.retry import usable_fixes

    first = RunOutcome(exit_code, duration_s, tuple(diagnoses), log_path)
    if _killed_by_signal(exit_code):
        # The OOM killer, a CI timeout, `kill -9`: running pip again would meet the same end, whatever the log
        # says (a killed compiler's `Killed signal terminated program cc1plus` is in it too).
        console.say(_interrupted_message(exit_code), style="error")
        return _finish(console, invocation, python, outcomes=[first], args=args, ending=ending)
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
        return _finish(console, invocation, python, outcomes=[first], args=args, ending=ending)
    fix_mode = options.fix
    if not fix_mode and plan_fixes and _interactive():
        fix_mode = _ask(f"Retry with {_change(plan_fixes[0], args)}{because}? [y/N] ")
    if not fix_mode:
        return _finish(console, invocation, python, outcomes=[first], args=args, ending=ending)
    return _fix_loop(
        console,
        invocation,
        python,
        rules=rules,
        first=first,
        max_attempts=options.max_attempts,
        memory=memory,
        scratch_folder=scratch,
        ending=ending,
    )


class PreparedDiagnosis:
    """What explaining a failed run starts with and pip's output does not change: the rule library (and the
    warnings loading it gave, when they are to be shown later), whether a fix may be picked, the retry files'
    folder, and the classifier (its rules, the machine's facts and the fix context), not fed yet."""

    __slots__ = (
        "_head_block",
        "classifier",
        "cuda_seen",
        "fed",
        "lines",
        "picking",
        "rules",
        "scratch_folder",
        "warnings",
    )

    def __init__(
        self,
        rules: RuleSet,
        warnings: Sequence[str],
        picking: bool,
        scratch_folder: str | None,
        classifier: Classifier,
    ) -> None:
        self.rules = rules
        self.warnings = tuple(warnings)
        self.picking = picking
        self.scratch_folder = scratch_folder
        self.classifier = classifier
        self.fed = 0  # the classifier has read the capture's lines 1 to `fed` (its head's, see feed_head)
        self.lines: list[NumberedLine] = []  # those lines, normalised (the failure message's reading of them)
        self.cuda_seen = False  # one of them is a CUDA extension build's (see cuda_build_target)
        self._head_block = 0

    def feed_head(self, capture: CaptureBuffer) -> None:
        """Give the classifier the lines of the capture's head it has not read yet: while pip still runs (its
        output is read in the order `diagnose_run` would read it), so that after pip's exit only the rest
        remains. The head's lines stay in the capture whatever comes after them."""
        from safe_pip.cudalog import is_cuda_extension_build

        self._head_block, number, lines = capture.head_lines_from(self._head_block, self.fed + 1)
        for line in lines:
            self.classifier.feed_line(line.number, line.raw)
        read = [NumberedLine(line.number, normalise_line(line.raw)) for line in lines]
        self.cuda_seen = self.cuda_seen or is_cuda_extension_build(line.text for line in read)
        self.lines += read
        self.fed = number - 1


class _HeldWarnings(Console):
    """A console that keeps the warnings given to it, for the main thread to show at their usual place."""

    def __init__(self) -> None:
        super().__init__(color=False)
        self.held: list[str] = []

    def warning(self, text: str) -> None:
        self.held.append(text)


def prepare_diagnosis(
    invocation: Invocation,
    python: str,
    capture: CaptureBuffer,
    env_changes: Mapping[str, str],
    console: Console | None = None,
) -> PreparedDiagnosis:
    """The start of `explain_failure`, which needs nothing of pip's output: the rule library (its warnings
    shown on `console`, or held when it is None: a second thread makes this while pip still runs), then the
    classifier `diagnose_run` feeds."""
    held = _HeldWarnings()
    rules = load_rule_library(invocation, console if console is not None else held)
    options = invocation.options
    # Only when a fix may be picked is it worth asking pip (seconds) which release has a wheel.
    picking = options.suggest or options.fix or _interactive()
    # Where a retry's own files go (a build constraints file): a private folder made only when one is written.
    scratch = _scratch_folder() if picking else None
    context = fix_context(
        invocation,
        python,
        args=invocation.args,
        env_changes=env_changes,
        pin_wheels=picking,
        scratch_folder=scratch,
        log_lines=lambda: (line.raw.decode("utf-8", "replace") for line in capture.lines()),
    )
    from safe_pip._tablecache import classifier_tables
    from safe_pip.commands.context import user_folder

    # Its tables (~20 ms to build) from the user's cache folder, where the rule library's cache is too.
    facts = rule_facts(rules)
    classifier = classifier_tables(user_folder("cache"), lambda: Classifier(rules, facts, context=context))
    return PreparedDiagnosis(rules, held.held, picking, scratch, classifier)


@dataclass(frozen=True)
class _Ending:
    """What the end of a failed run needs besides its attempts (see `explain_failure`)."""

    earlier: tuple[Attempt, ...] = ()  # the --torch-backend first run's attempts, reported first
    made: list[Attempt] | None = None  # given: the attempts go here, the caller ends the run
    build_target: Mapping[str, object] | None = None  # the --json-report's `build_target`
    start_env: Mapping[str, str] = field(default_factory=dict)  # the first run's (--preflight's) env changes
    preflight: Mapping[str, object] | None = None  # the --json-report's `preflight`


def _read_head_only(prepared: PreparedDiagnosis, lines: Sequence[NumberedLine]) -> bool:
    """Whether `lines` start with the lines the second thread read (the same numbers): its scans of them
    then hold for these."""
    read = prepared.lines
    return len(lines) >= len(read) and (not read or lines[len(read) - 1].number == read[-1].number)


def _scratch_folder() -> str:
    """A name for safe-pip's private folder of retry files, in the temporary folder; not made yet (a retry
    that writes a file makes it, and the fix loop removes it)."""
    import secrets
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"safe-pip-{os.getpid()}-{secrets.token_hex(4)}")


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
    scratch_folder: str | None = None,
    classifier: Classifier | None = None,
    fed: int = 0,
) -> list[Diagnosis]:
    """The diagnoses of one pip run (its fixes written for `args`, the arguments that run used). With
    `pin_wheels` (a fix may be picked), pin-to-wheel asks the target's pip which release has a wheel.
    `classifier`: one made for these rules, arguments and capture (`prepare_diagnosis`), which has read the
    capture's lines 1 to `fed`."""
    from safe_pip.facts import source_options

    sources = tuple(source_options(args))
    if classifier is None:
        context = fix_context(
            invocation,
            python,
            args=args,
            env_changes=env_changes,
            pin_wheels=pin_wheels,
            scratch_folder=scratch_folder,
            log_lines=lambda: (line.raw.decode("utf-8", "replace") for line in capture.lines()),
        )
        classifier = Classifier(rules, rule_facts(rules), context=context)
    context = classifier.context
    if capture.dropped_lines and log_path and _log_is_whole(log_path, capture):
        # The capture skipped part of a long log: read the saved log, which has every line. A log cut short
        # (its disk filled up) is not read: it lacks the end, where the error is, which the capture has.
        if fed:  # a classifier that has read the head already starts again
            classifier = Classifier(rules, rule_facts(rules), context=context)
            fed = 0
        try:
            with open(log_path, "rb") as saved:
                classifier.feed_stream(saved)
        except OSError:
            feed_capture(classifier, capture)
    elif fed:
        for line in capture.lines():
            if line.number > fed:
                classifier.feed_line(line.number, line.raw)
    else:
        feed_capture(classifier, capture)
    diagnoses = with_interpreter_facts(classifier, python, ask=pin_wheels)
    # A release pip did not find: the index, asked once through the target's pip, says why (issue 14).
    from safe_pip.index_diagnosis import with_index_facts

    if not from_builtin_rule(rules, diagnoses):
        return diagnoses  # a user's own rule says what it says: the index does not rewrite it
    named = (line.raw.decode("utf-8", "replace") for line in capture.lines())

    def reread(texts: Sequence[str], package: str) -> list[Diagnosis]:
        again = Classifier(rules, rule_facts(rules), context=replace(context, package=package))
        for number, text in enumerate(texts, 1):
            again.feed_line(number, text.encode("utf-8", "replace"))
        return again.diagnoses()

    return with_index_facts(
        diagnoses, python=python, context=context, sources=sources, lines=named, reread=reread
    )


def fix_context(
    invocation: Invocation,
    python: str,
    *,
    args: tuple[str, ...],
    env_changes: Mapping[str, str],
    pin_wheels: bool = False,
    scratch_folder: str | None = None,
    log_lines: Callable[[], Iterable[str]] | None = None,
) -> FixContext:
    """What a fix for a run of `pip <command> ARGS` in `python` needs to know (shared by the failed-install
    flow and `plan`). With `pin_wheels`, pin-to-wheel may ask the target's pip which release has a wheel.
    `log_lines`: the run's output (read when a fix asks which project required a dependency)."""
    import functools
    import shutil

    from safe_pip.facts import canonical_name, pip_builds_in_isolation, source_options
    from safe_pip.parentpins import requirement_parents
    from safe_pip.probe import (
        detect_installed_pythons,
        detect_interpreter_facts,
        detect_module_installed,
        detect_newest_wheel,
        detect_package_manager,
        detect_pip_version,
        detect_python_for,
        detect_requirement_of,
        detect_resolves,
        detect_wheel_versions,
    )
    from safe_pip.requested import read_user_requests

    def target_venv() -> bool:
        facts = detect_interpreter_facts(python)
        return facts is not None and facts.venv

    def python_headers() -> tuple[bool, str] | None:
        facts = detect_interpreter_facts(python)
        return None if facts is None else (facts.python_h, f"{facts.version[0]}.{facts.version[1]}")

    sources = tuple(source_options(args))

    @functools.cache
    def parents() -> dict[str, tuple[str, str]]:
        return requirement_parents(log_lines()) if log_lines is not None else {}

    return FixContext(
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
        requests=read_user_requests(args, read_requirement_file),
        fix_versions=invocation.options.fix_versions,
        fitting_wheel=functools.partial(_fitting_wheel_beside, python),
        target_options=tuple(target_options(invocation)),
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
        scratch_folder=scratch_folder,
        required_by=lambda dependency: parents().get(canonical_name(dependency)),
        requirement_of=(
            lambda project, version, dependency: detect_requirement_of(
                python, project, version, dependency, sources=sources
            )
        )
        if pin_wheels
        else None,
        applied_env=dict(env_changes),
        compiler_on_path=any(shutil.which(name) for name in ("cc", "gcc", "clang")),
        python_headers=python_headers,  # asked only when a system package is to be installed for a build
        installed_pythons=detect_installed_pythons,  # asked only by use-python: no process started
        user_constraint_variables=tuple(
            name for name in ("PIP_CONSTRAINT", "PIP_BUILD_CONSTRAINT") if os.environ.get(name)
        ),
        # PIP_NO_BUILD_ISOLATION, read as pip reads it (a false spelling turns isolation off).
        isolation_off_by_environment=not pip_builds_in_isolation((), {**os.environ, **env_changes}),
    )


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

    last_jobs = env_changes.get("MAX_JOBS", "")
    if last_jobs.isascii() and last_jobs.isdigit():
        return max(1, int(last_jobs) // 2)
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
    facts_lines: Sequence[str] = (),
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
    for fact in facts_lines:
        console.say(fact)
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
    scratch_folder: str | None = None,
    ending: _Ending | None = None,
) -> int:
    from safe_pip.capture import CaptureBuffer
    from safe_pip.commands.context import log_directory
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
            # A requirement file's copy with one pin moved (--fix-versions nearest), beside the user's file,
            # or a build constraint in safe-pip's private folder (made here, readable by this user only);
            # removed when the loop ends.
            try:
                in_scratch = scratch_folder is not None and os.path.dirname(path) == scratch_folder
                if in_scratch and scratch_folder is not None and not os.path.isdir(scratch_folder):
                    os.mkdir(scratch_folder, 0o700)
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
                log_directory,
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
            [python, "-m", "pip", command, *args], capture, log_directory, env={**os.environ, **env_changes}
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
            scratch_folder=scratch_folder,
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
            env=ending.start_env if ending is not None else None,
        )
    finally:
        for path in written:
            try:
                os.unlink(path)
            except OSError:
                pass
        if scratch_folder is not None:
            with contextlib.suppress(OSError):
                os.rmdir(scratch_folder)
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
        words = ["safe-pip", *target_options(invocation), command, *_replace_copies(last.args, copies)]
        console.say(
            f"fixed in {len(attempts)} attempts ({', '.join(applied)}): "
            f"{_with_environment(last.env_changes, attempts, scratch_folder)}"
            f"{shell_words(words, _secret_references())}",
            style="ok",
        )
        moved = [str(attempt.fix.moves_pin) for attempt in attempts if attempt.fix and attempt.fix.moves_pin]
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
        ending=ending,
    )


def _with_environment(
    env_changes: Mapping[str, str], attempts: Sequence[Attempt], scratch_folder: str | None
) -> str:
    """The environment part of the command that worked, to paste next time (`MAX_JOBS=2 `): a file the fix
    loop wrote in its private folder (removed by now) is written by the command itself, in the working folder
    (`echo 'Cython<3' > build-constraints-cython.txt && PIP_CONSTRAINT=build-constraints-cython.txt `)."""
    private = {
        path: text
        for attempt in attempts
        if attempt.fix
        for path, text in attempt.fix.files
        if scratch_folder is not None and os.path.dirname(path) == scratch_folder
    }
    written = "".join(
        f"echo {shlex.quote(text.strip())} > {shlex.quote(os.path.basename(path))} && "
        for path, text in private.items()
        if any(path in value.split() for value in env_changes.values())
    )

    def named(value: str) -> str:
        return " ".join(os.path.basename(word) if word in private else word for word in value.split())

    return written + "".join(f"{name}={shlex.quote(named(value))} " for name, value in env_changes.items())


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


def _finish(
    console: Console,
    invocation: Invocation,
    python: str,
    *,
    outcomes: Sequence[RunOutcome],
    args: tuple[str, ...],
    attempts: Sequence[Attempt] | None = None,
    ending: _Ending | None = None,
) -> int:
    """Import what was installed (--verify-import) and write the --json-report when asked, unless the caller
    ends the run (`ending.made`); return the last run's exit code."""
    from safe_pip.retry import Attempt as AttemptRecord

    ending = ending or _Ending()
    records = (
        list(attempts)
        if attempts is not None
        else [AttemptRecord(args, ending.start_env, None, outcomes[-1])]
    )
    code = records[-1].outcome.exit_code
    if ending.made is not None:
        ending.made.extend(records)
        return code
    log_path = records[-1].outcome.log_path
    installing = (invocation.command or "install") == "install"
    if code == 0 and invocation.options.verify_import and installing and log_path:
        from safe_pip.commands.verify import verify_imports

        code = verify_imports(console, invocation, python, lines=_saved_lines(log_path))
    if invocation.options.json_report:
        from safe_pip.commands.report import write_report  # only asked for with --json-report

        write_report(
            console,
            invocation,
            python,
            records,
            code,
            earlier=ending.earlier,
            build_target=ending.build_target,
            preflight=ending.preflight,
        )
    return code


def _saved_lines(path: str) -> Iterator[str]:
    from safe_pip.logtext import normalise_line

    try:
        with open(path, "rb") as saved:
            for raw in saved:
                yield normalise_line(raw)
    except OSError:
        return


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
