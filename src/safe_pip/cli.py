"""The `safe-pip` command: the one place that prints final results and picks the exit code.

Exit codes (see CONTRACT.md): pip's own exit code when pip ran; 130/143/129 when interrupted by
SIGINT/SIGTERM/SIGHUP; 2 for a usage error in safe-pip's own options or an unusable target interpreter;
70 when safe-pip itself failed.
"""

from __future__ import annotations

import io  # already loaded by the interpreter for sys.stdout: costs nothing
import os
import sys

from safe_pip import __version__
from safe_pip.commands.context import log_directory, remove_leftovers, resolve_target
from safe_pip.options import (
    OWN_COMMANDS,
    OWN_WITH_OPTIONS,
    PIP_COMMANDS_DIAGNOSED,
    Invocation,
    UsageError,
    misplaced_options,
    parse_argv,
)
from safe_pip.render import Console

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from _thread import LockType
    from collections.abc import Callable, Sequence

    from safe_pip.commands.install import PreparedDiagnosis
    from safe_pip.retry import Attempt


__all__ = ["main", "run"]

EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
_INTERRUPTED_CODES = (129, 130, 143)  # SIGHUP, SIGINT, SIGTERM as shells report them

HELP = f"""\
usage: safe-pip [OPTIONS] install|download|wheel [PIP ARGS...]
       safe-pip [OPTIONS] <other pip command> [ARGS...]
       safe-pip diagnose [--here] [--json] [FILE | -]
       safe-pip doctor [--json]
       safe-pip plan [--json] [PIP INSTALL ARGS...]
       safe-pip rules list [--json] | rules show ID | rules check PATH...
       safe-pip history [--json] [--clear]
       safe-pip completion --bash|--zsh|--fish
       safe-pip help [COMMAND] | -V, --version | -h, --help

safe-pip {__version__} runs pip in the target interpreter, streams its output unchanged, and when an
install fails says why and how to fix it. pip's exit code is returned unchanged.

Options (before the pip command; everything after it goes to pip):
  --python PATH     interpreter (or environment folder) whose pip runs [env: SAFE_PIP_PYTHON]
                    default: $VIRTUAL_ENV, else $CONDA_PREFIX, else python3/python on PATH
  --fix             apply safe fixes and retry [env: SAFE_PIP_FIX=1]
  --suggest         never retry: print the command --fix would run (wins over SAFE_PIP_FIX)
  --max-attempts N  pip runs allowed with --fix, first one included (default 3) [env: SAFE_PIP_MAX_ATTEMPTS]
  --json-report FILE  write the run's attempts and diagnoses as JSON [env: SAFE_PIP_JSON_REPORT]
  --rules DIR       extra rule folder (repeatable) [env: SAFE_PIP_RULES, a path list]
  --no-history      neither read nor write the memory of fixes that worked [env: SAFE_PIP_NO_HISTORY=1]
  --verify-import   after a successful install, import what was installed; diagnose a failing import
  --preflight       before an install, check what would be built here and whether it can be (`plan`);
                    with --fix, apply the safe fix before any build starts [env: SAFE_PIP_PREFLIGHT=1]
  --color WHEN      colour in safe-pip's own messages: auto (a terminal), always, never
                    [env: NO_COLOR, FORCE_COLOR; TERM=dumb is never]
  --no-color        same as --color never
  -q, --quiet       fewer messages of safe-pip's own (pip's output is never altered)
  -v, --verbose     more messages of safe-pip's own
  -V, --version     print safe-pip's version
  -h, --help        print this help

Commands of safe-pip's own (`safe-pip help COMMAND` or `safe-pip COMMAND --help` says more):
  diagnose          explain an existing pip log (a CI log, a paste)
  doctor            what this interpreter and machine can install and build
  plan              resolve without installing: what would be built here, what each build needs, and
                    whether this machine has it (`safe-pip plan -r requirements.txt`)
  rules             list, show and check the rules diagnoses come from
  history           fixes tried before on this machine, and whether they worked
  completion        print a completion script: --bash, --zsh or --fish (without one: pip's own)
Any other command is pip's: `safe-pip help install` is `pip help install`.

Yes/no variables (SAFE_PIP_FIX, SAFE_PIP_NO_HISTORY, SAFE_PIP_PREFLIGHT) take 1/true/yes/on or
0/false/no/off, any case.
Saved logs: the whole output of each run is kept in the user log folder (SAFE_PIP_LOG_DIR sets another);
its path is printed on failure. Config file: ~/.config/safe-pip/config.toml (SAFE_PIP_CONFIG sets another).
"""


# See run(): objects made before the cyclic garbage collector runs.
_GC_YOUNG = 50_000


def run() -> None:
    """The `safe-pip` console command: `main()`, then exit at once.

    Exiting with os._exit skips the interpreter's tear-down of every imported module, a few milliseconds
    that `safe-pip install` would otherwise add after pip has finished. Nothing of safe-pip's relies on
    atexit handlers or finalizers; what must reach the disk is closed before `main` returns.

    The cyclic garbage collector runs after _GC_YOUNG new objects instead of Python's 700 (2,000 from 3.13):
    a failed install's diagnosis allocates ~40,000 (modules, the rule library's and the classifier's tables,
    compiled patterns, all kept to the end), and the 57-66 collections they caused cost 8-12 ms of CPU and
    freed 157 objects in all (gc.callbacks, the bench's build failure and no-release failure; 1-2 ms on a
    no-op install). A run that makes cycles steadily (a long pip output) still has them collected, every
    _GC_YOUNG objects.
    """
    import gc

    gc.set_threshold(max(gc.get_threshold()[0], _GC_YOUNG), *gc.get_threshold()[1:])
    code = main()
    remove_leftovers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a closed pipe, or None: nothing left to flush into
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `safe-pip` command; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "SAFE_PIP_AUTO_COMPLETE" in os.environ:  # the shell asks what completes (see `completion`)
        from safe_pip.commands.completion import complete

        return complete(os.environ)
    _reopen_closed_standard_streams()
    _tolerate_any_encoding()
    console = Console(color=False)
    try:
        invocation = parse_argv(args, os.environ)
        options = invocation.options
        console = Console(
            color={"always": True, "never": False}.get(options.color),
            quiet=options.quiet,
            verbose=options.verbose,
        )
        return _dispatch(invocation, console)
    except UsageError as error:
        console.error(f"{error}\nsee `{error.help_command}`")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place that turns a bug into a message instead of a traceback
        console.error(
            f"internal error: {type(error).__name__}: {error}; please report it with the command line"
        )
        if os.environ.get("SAFE_PIP_DEBUG"):
            raise
        return EXIT_INTERNAL
    finally:
        _stop_early_queries()
        _forget_scan_database()


# What explaining a failure imports: the failed-install flow, then what it imports later inside functions
# (the index's reading, asked for a release pip did not find; the user's requirements; the probes of the
# target that a fix may ask; the CUDA build check's scan of the log; the retry
# loop's records; the fix context's reading of which project required a dependency). Not packaging's
# requirement parser: a bare name or a path is read without it (see requested._requirement). Not _redos
# either: the rules' literals and multi-line checks come from the library's cache; a rule the cache lacks (a
# user's new one) is parsed, and _redos imported, where the library is loaded (this same thread).
_DIAGNOSIS_MODULES = (
    "safe_pip.commands.install",
    "safe_pip.index_diagnosis",
    "safe_pip.requested",
    "safe_pip.probe",
    "safe_pip.cudalog",
    "safe_pip.commands.torch",
    "safe_pip.retry",
    "safe_pip.parentpins",
)
# What asking the index about a release pip did not find imports besides (index_diagnosis.with_index_facts):
# imported on the second thread only when pip said it found none. (difflib: where similar_projects is asked.)
_INDEX_MODULES = ("safe_pip.index", "safe_pip.projectnames", "safe_pip.wheeltags")


def _import_diagnosis_meanwhile(prepare: Callable[[], None] | None = None) -> None:
    """At pip's first error line, import what explaining a failure needs on a second thread, then `prepare`
    what it starts with (the rule library and the classifier: see _cmd_pip): pip is usually still building
    or shutting down then, and the main thread only waits for its output, so the explanation no longer
    begins with ~30 ms of imports and ~35 ms of making the classifier. A run without an error never starts
    it (nothing spent on success); a run that ends well stops it between two steps (_stop_preparing). The
    thread prints and writes nothing; an import or a step that fails there is done again, and reported, in
    the main thread."""
    import _thread  # the C module: `threading` itself would cost an import on every run

    importing = _thread.allocate_lock()
    importing.acquire()
    _IMPORTING.append(importing)
    _thread.start_new_thread(_import_diagnosis, (importing, prepare))


# Held by the second thread while it imports and prepares. Two threads importing modules that import each
# other make Python hand one of them a partly initialised module ("partially initialized module 'typing' has
# no attribute 'ClassVar'", seen in a test run): the main thread waits for the second one before it imports.
_IMPORTING: list[LockType] = []
_IMPORTS_WAIT_S = 10.0
# Set when pip ended well: the second thread then imports and prepares nothing more.
_PIP_SUCCEEDED: list[bool] = []
# How often the second thread, once prepared, reads what pip has printed since (unless pip ends first).
_FEED_EVERY_S = 0.05


def _imports_settled() -> None:
    """Wait until the second thread's imports and preparation (if it was started) are done: a few seconds at
    most, so that nothing the second thread meets can hold up the install (they take tens of
    milliseconds)."""
    for importing in _IMPORTING:
        if importing.acquire(True, _IMPORTS_WAIT_S):
            importing.release()


def _stop_preparing() -> None:
    """pip ended well: the second thread (when started) stops at its next step; nothing will be explained."""
    _PIP_SUCCEEDED.append(True)


def _index_query_starter(python: str, args: Sequence[str]) -> Callable[[bytes], None]:
    """What watches pip's output for the line saying it found nothing for a requirement ("Could not find a
    version that satisfies the requirement X", the first of pip's last two lines) and then starts the index
    query the diagnosis will ask (probe.start_facts_and_index_files), once: pip still takes a quarter of a
    second to end after that line (its interpreter's tear-down), time the query runs in. It sees the chunk
    before the capture does, so the start comes before the capture's second thread begins its imports."""
    started = False

    def watch(chunk: bytes) -> None:
        nonlocal started
        if started or (b"the requirement " not in chunk and b"distribution found for " not in chunk):
            return
        # Only what the start needs (not the rule engine), once the second thread is not importing.
        _imports_settled()
        from safe_pip.facts import index_query_options, source_options, unfound_project
        from safe_pip.probe import start_facts_and_index_files

        # Whole lines only (the piece after the last newline may be a name cut in two). The options are
        # those index_diagnosis.with_index_facts asks with: the query is used only when they and the
        # project are the same.
        project = unfound_project(chunk.decode("utf-8", "replace").split("\n")[:-1])
        if project is not None:
            started = True
            start_facts_and_index_files(python, project, index_query_options(source_options(args), args))

    return watch


def _ask_ahead_for_the_index(python: str, lines: Sequence[str], picking: bool, args: Sequence[str]) -> None:
    """pip found no release of the project one of `lines` names: what explaining that asks besides the
    index's answer (which pip's bootstrap brings), asked on the second thread while pip still ends; each is
    kept per process, so the main thread's asking gets it at once. Asked as with_index_facts and
    with_interpreter_facts ask it: which popular projects are spelt nearly the same (difflib over ~5,000
    names; not when pip looked nowhere, see _looked_nowhere), and, when no fix may be picked (nothing is
    started then), the target's pip version from its folder."""
    from safe_pip.facts import unfound_project
    from safe_pip.probe import detect_pip_version
    from safe_pip.projectnames import is_popular, similar_projects

    project = unfound_project(lines)
    if project is not None and not _looked_nowhere(args) and not is_popular(project):
        similar_projects(project)
    if not picking:
        detect_pip_version(python, ask=False)


def _looked_nowhere(args: Sequence[str]) -> bool:
    """The command line turns the index off (--no-index) and gives no --find-links (nor PIP_FIND_LINKS): pip
    looked nowhere, and the diagnosis then names no similar project (index._no_such_project drops them), so
    they are not asked ahead (5-12 ms of CPU, issue 17). pip's configuration may still give a folder: the
    diagnosis then asks for them itself, as when this thread had not got that far."""
    return (
        "--no-index" in args
        and not os.environ.get("PIP_FIND_LINKS")
        and not any(word.startswith(("--find", "-f")) for word in args)
    )


def _stop_early_queries() -> None:
    """Stop the index queries started early that the diagnosis did not ask for (none, usually)."""
    probe = sys.modules.get("safe_pip.probe")  # never imported: nothing was started
    if probe is not None:
        probe.stop_early_queries()


def _keep_scan_database() -> None:
    """A failed install's output is read as `diagnose` reads a log: with the optional accelerators, the
    caseless search's (hyperscan's) database is read from the user's cache folder, and made there for the
    next runs, once the output passes half a megabyte (16 MB: see _scan._caseless_database). Set before the
    second thread feeds the classifier (a scanner that found no database keeps its anchors' passes)."""
    from safe_pip import _scan
    from safe_pip.commands.context import user_folder

    _scan.database_folder = user_folder("cache")


def _forget_scan_database() -> None:
    """The folder _keep_scan_database set is this run's only (`main` runs again in the tests' process)."""
    if "safe_pip._scan" in sys.modules:  # (never imported: nothing was set)
        from safe_pip import _scan

        _scan.database_folder = None


def _compile_from_cache() -> None:
    """From here on, regular expressions and dataclasses' methods are made from their compiled forms kept in
    the user's cache folder (see _recache): a failed install's diagnosis compiled ~100 patterns and the
    methods of ~28 dataclasses, 30-40 ms of CPU, at each run."""
    from safe_pip._recache import start
    from safe_pip.commands.context import user_folder

    start(user_folder("cache"))


def _import_diagnosis(importing: LockType, prepare: Callable[[], None] | None = None) -> None:
    try:
        _compile_from_cache()
        for name in _DIAGNOSIS_MODULES:
            if _PIP_SUCCEEDED:
                return
            __import__(name)
        if prepare is not None and not _PIP_SUCCEEDED:
            prepare()
    except BaseException:  # noqa: S110 - see _import_diagnosis_meanwhile
        pass
    finally:
        importing.release()


def _tolerate_any_encoding() -> None:
    """A terminal or pipe that cannot show some character (LANG=C, a legacy code page) gets a `?` for it, not
    an error: safe-pip's text holds what pip and builds printed (box glyphs, names in any script). pip's own
    output passes as bytes and is not affected."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (OSError, ValueError):  # closed, or not a text stream that can change
                pass


def _reopen_closed_standard_streams() -> None:
    """A standard stream the caller closed (`safe-pip install x >&-`) is reopened on the null device, as
    daemons do: otherwise the next file safe-pip opens (the saved log, a pipe to pip) takes its number and
    gets what was meant for the terminal, and Python has made `sys.stdout` None. What was written there is
    lost either way; pip's exit code is still the one returned."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            # The lowest free number, which is `fd` itself: the lower ones are open by now.
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            os.set_inheritable(fd, True)  # os.open's are not, and pip inherits the standard streams
    if sys.stdout is None:
        sys.stdout = open(1, "w", errors="replace", closefd=False)  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(2, "w", errors="replace", closefd=False)  # noqa: SIM115 - lives as long as the process


def _let_the_reader_leave() -> None:
    """safe-pip's own output on stdout (`rules list --json | head -1`): when the reader leaves, the rest is
    dropped instead of raising BrokenPipeError, so the command ends with its own exit code, as `install`
    does when the reader of pip's output leaves. Left alone when stdout is not the process's own (a test's
    capture)."""
    stream = sys.stdout
    if stream is not sys.__stdout__ or not isinstance(stream, io.TextIOWrapper):
        return
    stream.flush()
    raw = io.FileIO(stream.fileno(), "w", closefd=False)
    sys.stdout = _ReaderMayLeave(
        io.BufferedWriter(raw),
        encoding=stream.encoding,
        errors="replace",
        line_buffering=stream.line_buffering,
    )


def _drop_stdout() -> None:
    # The null device takes the pipe's place: the text still buffered, and all that follows, goes there.
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)


class _ReaderMayLeave(io.TextIOWrapper):
    """A text stdout whose reader may leave: see `_let_the_reader_leave`."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except BrokenPipeError:
            _drop_stdout()
            return len(text)

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            _drop_stdout()
            super().flush()


def _dispatch(invocation: Invocation, console: Console) -> int:
    options = invocation.options
    command = invocation.command
    own = command in OWN_COMMANDS or _own_meaning(command, invocation.args)
    if options.show_version or options.show_help or own:
        _let_the_reader_leave()
    if options.show_version:
        print(f"safe-pip {__version__}")
        return 0
    if options.show_help:
        print(HELP, end="")
        return 0
    if command is None:
        raise UsageError("no command given (e.g. `safe-pip install requests`)")
    if command == "completion" and own:
        from safe_pip.commands.completion import main_completion

        return main_completion(invocation.args)
    if command == "help" and own:
        # `safe-pip help` and `safe-pip help diagnose` are safe-pip's; `safe-pip help install` is pip's.
        if not invocation.args or invocation.args[0] not in OWN_COMMANDS:
            print(HELP, end="")
            return 0
        from safe_pip.options import Invocation as _Invocation

        invocation = _Invocation(options, invocation.args[0], ("--help",))
        command = invocation.command
    if command == "diagnose":
        return _cmd_diagnose(invocation, console)
    if command in OWN_COMMANDS:
        from safe_pip.commands import run_own_command

        return run_own_command(invocation, console)
    return _cmd_pip(invocation, console)


def _cmd_diagnose(invocation: Invocation, console: Console) -> int:
    """`safe-pip diagnose`, started as a failed install's diagnosis is: regular expressions and
    dataclasses' methods made from their compiled forms (see _compile_from_cache), and the classifier's
    tables (_tablecache), kept in the user's cache folder. Its imports, patterns and tables are a failed
    install's: ~40-45 ms of CPU at each start, before the first line of the log is read."""
    _compile_from_cache()
    from safe_pip import _scan
    from safe_pip._recache import save
    from safe_pip._tablecache import classifier_tables
    from safe_pip.commands import run_own_command
    from safe_pip.commands.context import user_folder

    folder = user_folder("cache")
    _scan.database_folder = folder  # the optional caseless search's database, kept for the next runs
    try:
        return classifier_tables(folder, lambda: run_own_command(invocation, console))
    finally:
        _scan.database_folder = None
        save()  # when this run compiled a pattern the cache lacked


def _own_meaning(command: str | None, args: Sequence[str]) -> bool:
    """Whether a pip command word is safe-pip's own here: `completion --bash|--zsh|--fish`, and `help` alone
    or followed by one of safe-pip's commands. Otherwise both stay pip's (`completion`, `help install`)."""
    if command == "help":
        return not args or args[0] in OWN_COMMANDS or args[0] in ("help", "completion")
    flags = OWN_WITH_OPTIONS.get(command or "")
    return flags is not None and any(arg in flags for arg in args)


def _cmd_pip(invocation: Invocation, console: Console) -> int:
    from safe_pip.runner import LaunchError, run_captured, run_passthrough

    command = invocation.command or ""
    if invocation.options.json_report and command in PIP_COMMANDS_DIAGNOSED:
        problem = _report_path_problem(invocation.options.json_report)
        if problem:
            # Before pip runs: a long install should not end with a report that cannot be written.
            raise UsageError(f"--json-report {invocation.options.json_report!r}: {problem}")
    target = resolve_target(invocation, console)
    if target is None:
        return EXIT_USAGE
    from safe_pip.target import looks_like_python

    if not looks_like_python(target.path):
        # `--python /usr/bin/true` would "succeed" having installed nothing: a program not named like an
        # interpreter is asked first (one start of it; a python* name costs nothing here).
        unusable = _unusable_interpreter(target.path, target.source)
        if unusable:
            console.error(unusable)
            return EXIT_USAGE
    env_changes: dict[str, str] = {}
    earlier: tuple[Attempt, ...] = ()  # the --torch-backend first run's attempts, for the --json-report
    preflight_report: dict[str, object] | None = None  # what --preflight did, for the --json-report
    if invocation.options.preflight and command == "install":
        from safe_pip.commands.plan import preflight

        done = preflight(invocation, target.path, console)
        env_changes, preflight_report = dict(done.env), done.to_json()
        invocation = Invocation(invocation.options, command, done.args)
    if command == "install" and (invocation.options.torch_backend or _may_install_torch(invocation.args)):
        # torch packages: the advice on which build fits here, or --torch-backend applied (issue 16).
        from safe_pip.commands.torch import before_install

        planned = before_install(invocation, target.path, console)
        if isinstance(planned, int):
            return planned
        invocation = Invocation(invocation.options, command, planned.args)
        earlier = planned.earlier
    argv = [target.path, "-m", "pip", command, *invocation.args]
    console.say(f"running {' '.join(argv)} (interpreter from {target.source})", style="note", level=1)
    if command not in PIP_COMMANDS_DIAGNOSED:
        try:
            result = run_passthrough(argv)
        except LaunchError as error:
            console.error(f"{error} ({target.source}); pass a working Python with --python")
            return EXIT_USAGE
        if result.exit_code not in (0, *_INTERRUPTED_CODES) and result.signal_received is None:
            unusable = _unusable_interpreter(target.path, target.source)
            if unusable:
                console.error(unusable)
                return EXIT_USAGE
            _say_where_options_go(invocation, console)
        return result.exit_code

    from safe_pip.capture import CaptureBuffer
    from safe_pip.runner import open_answer_file, pip_beside, read_answer_file

    # Made on the second thread while pip still runs (see _import_diagnosis_meanwhile): what explaining a
    # failure starts with, which pip's output does not change.
    prepared: list[PreparedDiagnosis] = []
    # pip said it found no release of a requirement (the whole lines of the output that said so): the index's
    # reading is imported there too, and what it asks besides the index is asked ahead.
    unfound: list[list[str]] = []

    def prepare() -> None:
        from safe_pip.commands.install import prepare_diagnosis

        _keep_scan_database()
        ready = prepare_diagnosis(invocation, target.path, capture, env_changes)
        if unfound and not _PIP_SUCCEEDED:
            for name in _INDEX_MODULES:
                __import__(name)
            _ask_ahead_for_the_index(target.path, unfound[0], ready.picking, invocation.args)
        # Then pip's output as it comes (the head of the capture: all of it but for a log over 1 MB), read
        # each time pip has said more, until it ends: after its exit the classifier has little left to read.
        ended = False
        while not ended and not _PIP_SUCCEEDED:
            ready.feed_head(capture)
            ended = pip_ended.acquire(True, _FEED_EVERY_S)
        if ended:
            pip_ended.release()
        if _PIP_SUCCEEDED:
            return
        ready.feed_head(capture)  # what pip printed last
        prepared.append(ready)  # only when whole: a step that failed leaves the main thread to do it all

    def watch_unfound(chunk: bytes) -> None:
        if not unfound and (b"the requirement " in chunk or b"distribution found for " in chunk):
            unfound.append(chunk.decode("utf-8", "replace").split("\n")[:-1])

    _PIP_SUCCEEDED.clear()  # this run's
    import _thread

    pip_ended = _thread.allocate_lock()  # released when pip has ended (its output is all in the capture)
    pip_ended.acquire()
    capture = CaptureBuffer(on_first_error=lambda: _import_diagnosis_meanwhile(prepare))
    # pip through its bootstrap (pipboot.BOOT_SCRIPT: pip's `-m pip` run unchanged), which, when pip found no
    # release of a project, asks pip's finder in that same process what the diagnosis will ask the index:
    # no second start of the target's pip. Only for an interpreter with pip in its own prefix.
    answer_fd = open_answer_file() if looks_like_python(target.path) and pip_beside(target.path) else None
    run_argv = argv
    if answer_fd is not None:
        from safe_pip.pipboot import BOOT_SCRIPT

        run_argv = [target.path, "-c", BOOT_SCRIPT, str(answer_fd), command, *invocation.args]
    stop_preparing = True  # unless pip ran and failed
    try:
        result = run_captured(
            run_argv,
            capture,
            log_directory,
            env={**os.environ, **env_changes} if env_changes else None,
            # The bootstrap's answer replaces the query started early (a second start of the target's pip).
            watch=_index_query_starter(target.path, invocation.args) if answer_fd is None else watch_unfound,
        )
        stop_preparing = result.exit_code == 0
    except LaunchError as error:
        console.error(f"{error} ({target.source}); pass a working Python with --python")
        return EXIT_USAGE
    finally:
        answer = read_answer_file(answer_fd) if answer_fd is not None else b""
        if stop_preparing:
            _stop_preparing()
        pip_ended.release()
    _imports_settled()  # from here on, the main thread imports
    if answer and result.exit_code != 0 and result.signal_received is None:
        from safe_pip.probe import remember_boot_answer

        remember_boot_answer(target.path, answer.decode("utf-8", "replace"))
    if result.log_problem:
        console.warning_once(result.log_problem)
    if result.signal_received is not None:
        console.say(f"interrupted: pip was stopped (exit code {result.exit_code})")
        return result.exit_code
    if result.exit_code == 0 and capture.total_bytes == 0:
        # pip says something on success unless told to be quiet (`-q`): silence is worth one check that a
        # Python ran at all, not a program that exits 0 whatever it is given.
        unusable = _unusable_interpreter(target.path, target.source)
        if unusable:
            console.error(unusable)
            return EXIT_USAGE
    if result.exit_code == 0:
        if not invocation.options.json_report and not invocation.options.verify_import:
            return 0
        code = 0
        if invocation.options.verify_import and command == "install":
            from safe_pip.logtext import normalise_line

            installed = (normalise_line(line.raw) for line in capture.lines())
            from safe_pip.commands.verify import verify_imports

            code = verify_imports(console, invocation, target.path, lines=installed)
        if invocation.options.json_report:
            from safe_pip.commands.report import write_report
            from safe_pip.retry import Attempt, RunOutcome

            outcome = RunOutcome(0, result.duration_s, (), result.log_path)
            write_report(
                console,
                invocation,
                target.path,
                [Attempt(invocation.args, env_changes, None, outcome)],
                code,
                earlier=earlier,
                preflight=preflight_report,
            )
        return code

    from safe_pip.logtext import NumberedLine, looks_like_pip_output, normalise_line

    # The lines the second thread read are normalised already (prepare_diagnosis: PreparedDiagnosis.lines).
    ready = prepared[0] if prepared else None
    lines = list(ready.lines) if ready is not None else []
    lines += (
        NumberedLine(line.number, normalise_line(line.raw))
        for line in capture.lines()
        if ready is None or line.number > ready.fed
    )
    if not looks_like_pip_output(lines):
        # Only now is it worth starting the interpreter again, to tell "no pip" from "not Python".
        unusable = _unusable_interpreter(target.path, target.source)
        if unusable:
            console.error(unusable)
            return EXIT_USAGE
    _say_where_options_go(invocation, console)
    _compile_from_cache()  # (done already when the second thread ran)
    _keep_scan_database()  # (the same)
    from safe_pip._recache import save
    from safe_pip.commands.install import explain_failure

    try:
        return explain_failure(
            console,
            invocation,
            capture,
            lines,
            exit_code=result.exit_code,
            log_path=result.log_path,
            python=target.path,
            duration_s=result.duration_s,
            earlier=earlier,
            env_changes=env_changes,
            preflight=preflight_report,
            prepared=ready,
        )
    finally:
        save()  # when this run compiled a pattern the cache lacked


def _may_install_torch(args: Sequence[str]) -> bool:
    """A word naming torch, or a requirement file that may (cheap: the start-up path of every install)."""
    return any("torch" in word.lower() or word.startswith(("-r", "--requirement")) for word in args)


def _say_where_options_go(invocation: Invocation, console: Console) -> None:
    """After pip failed: safe-pip's options written after the pip command reached pip, which does not know
    them (`safe-pip install --fix x`); say where they go."""
    import shlex

    own, rest = misplaced_options(invocation.args)
    if not own:
        return
    meant = " ".join(shlex.quote(word) for word in ("safe-pip", *own, invocation.command or "", *rest))
    console.warning(
        f"{' '.join(shlex.quote(word) for word in own)} went to pip: safe-pip's own options go before "
        f"the pip command, e.g. `{meant}`"
    )


def _unusable_interpreter(python: str, source: str) -> str | None:
    """After a failure: a message when the interpreter itself is the problem (not Python, no pip)."""
    from safe_pip.probe import check_interpreter

    check = check_interpreter(python)
    if not check.runs:
        problem = check.problem or "it did not run"
        if len(problem) > 120:
            problem = problem[:117] + "..."
        return (
            f"{python!r} ({source}) is not a working Python interpreter ({problem}); "
            "pass a working one with --python"
        )
    if check.pip_version is None:
        return (
            f"{python!r} ({source}, Python {check.python_version}) has no pip; "
            f"run `{python} -m ensurepip --upgrade`, or pass another interpreter with --python"
        )
    return None


def _report_path_problem(path: str) -> str | None:
    """Why the --json-report file cannot be written (its folder missing or not writable, a folder in its
    place, a symbolic link), checked before pip runs; None when it can be. Nothing is created."""
    if os.path.islink(path):
        import stat

        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = 0
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):  # a pipe or terminal is written through
            return "it is a symbolic link, which safe-pip does not write through"
        return None
    if os.path.isdir(path):
        return "it is a folder; give a file name"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"the folder {folder} does not exist"
    if os.path.exists(path) and not os.path.islink(path):
        if os.path.isfile(path) and not os.access(folder, os.W_OK):
            return f"the folder {folder} is not writable (the report replaces the file through it)"
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    return None
