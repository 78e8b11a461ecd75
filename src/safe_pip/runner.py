"""Run pip: its output reaches the user live and byte for byte, while a bounded copy is kept for diagnosis and
the whole of it is saved to a log file; signals meant for safe-pip are passed on to pip, which is waited for.

pip runs in a session (and so a process group) of its own, so that a SIGINT/SIGTERM/SIGHUP reaches everything
it started (the build backend and its compilers), not only pip's own pid: the signal is passed on to the
whole group. The terminal's Ctrl-C therefore reaches safe-pip alone and is passed on like any other. A signal
the user's shell set to be ignored (SIGHUP under `nohup`) stays ignored, by safe-pip and by pip.

When the user's stdout (or stderr) is a terminal, pip writes to a pseudo-terminal instead, so that it still
sees a terminal and draws its progress bars and colours as it would on its own; otherwise it writes to pipes.
Either way safe-pip copies each chunk to the same stream pip meant, as soon as it arrives.

pip is started with `os.posix_spawn` rather than `subprocess`: importing `subprocess` alone costs several
milliseconds, which would come straight out of the start-up budget; everything that is not needed to start
pip (the copying loop, the log folder) is imported after pip has started, while pip starts up itself.
"""

from __future__ import annotations

import os
import stat
import sys
import time

from safe_pip._value import FrozenValue

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Mapping, Sequence
    from types import FrameType, TracebackType
    from typing import Callable, Optional

    from safe_pip.capture import CaptureBuffer
else:
    # The C module under `signal`: the same functions and numbers (handlers and signals as plain ints),
    # without the enums `signal` makes of them at import (0.5-0.7 ms of every run's start, issue 17).
    import _signal as signal

__all__ = [
    "LaunchError",
    "RunResult",
    "SavedLog",
    "exit_code_of",
    "open_answer_file",
    "pip_beside",
    "read_answer_file",
    "run_captured",
    "run_passthrough",
    "stopped_with_safe_pip",
]

_CHUNK = 1 << 16
_KEEP_LOGS = 20  # saved logs kept in the log folder; older ones are removed when a new run starts
# A log written to this recently is never removed, however many there are: its run may still be going (a long,
# quiet build); on POSIX a log whose run still holds it open (flock) is never removed either.
_KEEP_RECENT_S = 3600.0
# Once pip has exited, how long to keep reading from a stream that a leftover grandchild (a build daemon,
# a compiler server) still holds open, before giving up on it.
_DRAIN_AFTER_EXIT_S = 1.5


class _suppress:
    """`contextlib.suppress`, without importing contextlib on every run's start (0.5-0.8 ms, issue 17)."""

    __slots__ = ("_kinds",)

    def __init__(self, *kinds: type[BaseException]) -> None:
        self._kinds = kinds

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, value: object, traceback: object) -> bool:
        return kind is not None and issubclass(kind, self._kinds)


class LaunchError(Exception):
    """The interpreter could not be started at all (missing, not executable, not a program)."""


class RunResult(FrozenValue):
    """How one pip run ended."""

    __slots__ = ("duration_s", "exit_code", "log_path", "log_problem", "signal_received")
    exit_code: int  # pip's exit status; 128+N when pip was killed by signal N or safe-pip was sent signal N
    signal_received: int | None  # a SIGINT/SIGTERM/SIGHUP that safe-pip received and passed on to pip
    duration_s: float
    log_path: str | None
    log_problem: str | None  # why the log could not be (fully) saved, for a warning

    def __init__(
        self,
        exit_code: int,
        signal_received: int | None,
        duration_s: float,
        log_path: str | None,
        log_problem: str | None,
    ) -> None:
        self._set(
            exit_code=exit_code,
            signal_received=signal_received,
            duration_s=duration_s,
            log_path=log_path,
            log_problem=log_problem,
        )


def exit_code_of(returncode: int) -> int:
    """Shell convention: a process killed by signal N reports 128+N (pip killed by SIGKILL -> 137)."""
    return 128 - returncode if returncode < 0 else returncode


class SavedLog:
    """The whole output of one run, in a file only the user can read (index URLs can hold tokens).

    Each chunk is written to the file as it arrives, unbuffered, so a safe-pip killed mid-run (a CI timeout's
    SIGKILL) leaves every byte pip printed up to then. Two runs never share a file: the name is taken with
    O_EXCL, and a run that finds it taken (the same second and pid: a retry, or PID 1 in two containers
    sharing the folder) takes `-2`, `-3`... A log that cannot be written (read-only or full disk) must never
    stop the install: the problem is remembered and reported once, and writing stops.
    """

    def __init__(self, directory: str, *, stamp: float | None = None) -> None:
        self.path: str | None = None
        self.problem: str | None = None
        self._fd: int | None = None
        base = f"pip-{time.strftime('%Y%m%d-%H%M%S', time.localtime(stamp))}-{os.getpid()}"
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            self._fd, self.path = _create_log(directory, base)
        except OSError as error:
            self.problem = f"cannot save the log in {directory}: {error.strerror or error}"
            return
        _hold(self._fd)
        with _suppress(OSError):
            _remove_old_logs(directory, keep=_KEEP_LOGS, current=os.path.basename(self.path))

    def write(self, data: bytes) -> None:
        if self._fd is None:
            return
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)  # a short write is followed by the error itself (ENOSPC)
                view = view[written:]
        except OSError as error:
            self.problem = f"the saved log {self.path} is incomplete: {error.strerror or error}"
            self._close_quietly()

    def close(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.close(fd)
        except OSError as error:  # a network file system reports a failed write on close
            self.problem = f"the saved log {self.path} is incomplete: {error.strerror or error}"

    def _close_quietly(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with _suppress(OSError):
                os.close(fd)


def _create_log(directory: str, base: str) -> tuple[int, str]:
    """A new log file named `base.log` (or `base-N.log` when taken), created 0600, never through a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for number in range(1, 1000):
        path = os.path.join(directory, f"{base}.log" if number == 1 else f"{base}-{number}.log")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"{os.path.join(directory, base)}-*.log: every name is taken")


def _hold(fd: int) -> None:
    """Mark the log as being written: rotation in another run skips a file whose writer holds this lock (it
    goes when the writer's process does, even when killed)."""
    try:
        import fcntl
    except ImportError:  # Windows: the age rule alone protects logs being written
        return
    with _suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)


def _remove_old_logs(directory: str, *, keep: int, current: str) -> None:
    """Remove the oldest `pip-*.log` files beyond `keep` (the `current` one included), except any written to
    in the last `_KEEP_RECENT_S` or still held by their writer. The folder is opened without following a
    symbolic link (ELOOP), and every file is then named relative to it: a log folder that is a link to
    somewhere else is not pruned, and neither is a folder swapped for one while this runs."""
    directory_flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    relative = (
        os.open in os.supports_dir_fd and os.unlink in os.supports_dir_fd and os.listdir in os.supports_fd
    )
    if not relative and os.path.islink(directory):
        return
    folder = os.open(directory, directory_flags) if relative else None
    try:
        logs: list[tuple[float, str]] = []
        for name in os.listdir(folder if folder is not None else directory):
            if not (name.startswith("pip-") and name.endswith(".log")) or name == current:
                continue
            where = name if folder is not None else os.path.join(directory, name)
            with _suppress(OSError):
                found = os.stat(where, dir_fd=folder, follow_symlinks=False)
                if stat.S_ISREG(found.st_mode):
                    logs.append((found.st_mtime, name))
        logs.sort()
        now = time.time()
        for modified, name in logs[: max(0, len(logs) - (keep - 1))]:
            if now - modified >= _KEEP_RECENT_S:
                with _suppress(OSError):
                    _remove_unless_held(name if folder is not None else os.path.join(directory, name), folder)
    finally:
        if folder is not None:
            os.close(folder)


def _remove_unless_held(where: str, folder: int | None) -> None:
    try:
        import fcntl
    except ImportError:
        os.unlink(where, dir_fd=folder)
        return
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(where, flags, dir_fd=folder)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a run is still writing it
        os.unlink(where, dir_fd=folder)
    finally:
        os.close(fd)


def run_passthrough(argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunResult:
    """Run a pip command that needs no diagnosis (`list`, `show`, ...) on the user's own stdio."""
    started = time.monotonic()
    # Same process group as safe-pip: these commands may use the user's terminal (`pip uninstall` asks
    # "Proceed (Y/n)?", `pip config edit` opens an editor), which a process outside its foreground group
    # cannot do without being stopped.
    with _SignalRelay(own_group=False) as relay:
        child = _spawn(argv, env, stdout=None, stderr=None)
        relay.attach(child)
        returncode = child.wait()
    return RunResult(_final_code(returncode, relay), relay.received, time.monotonic() - started, None, None)


def run_captured(
    argv: Sequence[str],
    capture: CaptureBuffer,
    log_directory: Callable[[], str] | None,
    env: Mapping[str, str] | None = None,
    watch: Callable[[bytes], None] | None = None,
) -> RunResult:
    """Run pip with its output streamed to the user, fed to `capture`, and saved under `log_directory()`.

    `log_directory` is called only after pip has started, so that finding it (importing platformdirs)
    overlaps pip's own start-up instead of adding to it. `watch`, when given, sees each chunk of output as
    it arrives (after the user and the log have it, before `capture`).
    """
    started = time.monotonic()
    streams = _Streams.for_terminal_state()
    child_env = dict(os.environ if env is None else env)
    if not streams.uses_pty:
        # Python buffers stdout in blocks when it is a pipe: unbuffered, pip's lines reach the user as they
        # are printed and interleave with its stderr in the order they happened.
        child_env["PYTHONUNBUFFERED"] = "1"
    with _SignalRelay(own_group=True) as relay, streams:
        child = _spawn(
            argv, child_env, stdout=streams.child_stdout, stderr=streams.child_stderr, own_group=True
        )
        relay.attach(child)
        streams.after_launch()
        relay.on_resize = streams.copy_window_size
        log = SavedLog(log_directory()) if log_directory is not None else None

        def sink(source: int, chunk: bytes) -> None:
            if log is not None:
                log.write(chunk)
            if watch is not None:
                watch(chunk)
            capture.feed(chunk, source)

        streams.pump(child, sink)
        returncode = child.wait()
        if relay.received is not None and os.name == "posix":
            # Interrupted: what pip started and is still there (a compiler that outlived it, a process that
            # ignores the signal) ends too.
            child.kill_leftovers()
        if log is not None:
            log.close()
    return RunResult(
        _final_code(returncode, relay),
        relay.received,
        time.monotonic() - started,
        log.path if log is not None else None,
        log.problem if log is not None else None,
    )


def pip_beside(python: str) -> bool:
    """Whether `python` has pip in its own prefix (`lib/python*/site-packages/pip`, Debian's
    `lib/python3/dist-packages/pip`): an interpreter that runs pip's bootstrap (pipboot.BOOT_SCRIPT) as it
    runs `-m pip`. A few stat calls; links are not resolved (a venv's python links to the base one)."""
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    lib = os.path.join(prefix, "lib")
    try:
        names = os.listdir(lib)
    except OSError:
        return False
    return any(
        os.path.isdir(os.path.join(lib, name, site, "pip"))
        for name in names
        if name.startswith("python")
        for site in ("site-packages", "dist-packages")
    )


def open_answer_file() -> int | None:
    """An anonymous file (memfd) that pip's process inherits and writes the bootstrap's answer into; None
    where there is none (not Linux). Inheritable: the next process started gets it (close it after). Until
    then it holds the query the bootstrap runs when pip found nothing (pipboot.QUERY_SCRIPT): read only
    then, instead of parsed at every start of pip."""
    create = getattr(os, "memfd_create", None)
    if create is None:
        return None
    from safe_pip.pipboot import QUERY_SCRIPT

    try:
        fd: int = create("safe-pip-answer", 0)
    except OSError:
        return None
    try:
        data = QUERY_SCRIPT.encode("utf-8")
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        os.close(fd)
        return None
    return fd


def read_answer_file(fd: int, limit: int = 64 << 20) -> bytes:
    """What the bootstrap wrote into `fd` (at most `limit` bytes), which is closed; empty when it answered
    nothing (the file still holds the query)."""
    from safe_pip.pipboot import QUERY_MARK

    parts: list[bytes] = []
    size = 0
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        while size < limit:
            chunk = os.read(fd, min(_CHUNK * 16, limit - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except OSError:
        return b""
    finally:
        os.close(fd)
    answer = b"".join(parts)
    return b"" if answer.startswith(QUERY_MARK.encode("ascii")) else answer


def _final_code(returncode: int, relay: _SignalRelay) -> int:
    if relay.received is not None:
        return 128 + relay.received
    return exit_code_of(returncode)


class _Child:
    """A started pip process: its pid and, once it has ended, its return code (negative: killed by signal).
    With `own_group`, pip leads a process group of its own, and signals go to the whole group."""

    def __init__(self, pid: int, *, own_group: bool = False) -> None:
        self.pid = pid
        self.own_group = own_group
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            # waitpid is retried by Python after a signal handler ran (PEP 475).
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal pip and, in its own group, everything it started."""
        if self.returncode is None:
            if self.own_group:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)

    def kill_leftovers(self) -> None:
        """SIGKILL what is left of pip's process group after pip itself ended."""
        if self.own_group:
            # The group outlives pip while anything it started is in it; its id is not reused until then.
            with _suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)


def _spawn(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    *,
    stdout: int | None,
    stderr: int | None,
    own_group: bool = False,
) -> _Child:
    """Start `argv` with its stdout/stderr on the given descriptors (None: safe-pip's own); with
    `own_group`, in a new session, so that it and everything it starts can be signalled as one group."""
    environment = dict(os.environ if env is None else env)
    if not hasattr(os, "posix_spawn"):
        return _spawn_with_subprocess(argv, environment, stdout=stdout, stderr=stderr)
    actions = [
        (os.POSIX_SPAWN_DUP2, fd, target) for fd, target in ((stdout, 1), (stderr, 2)) if fd is not None
    ]
    # Python ignores SIGPIPE and SIGXFSZ for itself; pip and its compilers expect the defaults. Signals that
    # are ignored otherwise (SIGHUP under nohup) stay ignored in pip: no handler was put over them.
    defaults = [getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name)]
    # A new session rather than only a new process group: a process in a background group of the user's
    # terminal is stopped (SIGTTIN/SIGTTOU) when it reads from it or sets its modes, as pip's password prompt
    # does; outside the terminal's session, reading stdin and getpass work as before.
    try:
        if not own_group:
            pid = os.posix_spawn(argv[0], list(argv), environment, file_actions=actions, setsigdef=defaults)
        else:
            try:
                pid = os.posix_spawn(
                    argv[0], list(argv), environment, file_actions=actions, setsigdef=defaults, setsid=True
                )
            except NotImplementedError:  # no POSIX_SPAWN_SETSID (old libc, some BSDs): a process group only
                pid = os.posix_spawn(
                    argv[0], list(argv), environment, file_actions=actions, setsigdef=defaults, setpgroup=0
                )
    except OSError as error:
        raise LaunchError(f"cannot run {argv[0]!r}: {error.strerror or error}") from error
    return _Child(pid, own_group=own_group)


def _spawn_with_subprocess(
    argv: Sequence[str], env: Mapping[str, str], *, stdout: int | None, stderr: int | None
) -> _Child:
    # Windows: no posix_spawn (nor process groups to signal). Popen has the same poll/wait/send_signal/
    # returncode as _Child.
    import subprocess

    try:
        process = subprocess.Popen(list(argv), stdout=stdout, stderr=stderr, env=env)
    except OSError as error:
        raise LaunchError(f"cannot run {argv[0]!r}: {error.strerror or error}") from error
    return process  # type: ignore[return-value]


class _SignalRelay:
    """Passes SIGINT/SIGTERM/SIGHUP on to pip (its whole group when it has one) and remembers the first one,
    for the exit code. A signal that was ignored when safe-pip started (SIGHUP under `nohup`, SIGINT in a
    background job of a script) is left ignored: no handler replaces SIG_IGN, so pip inherits it.

    With pip in safe-pip's own process group (`own_group=False`), Ctrl-C in a terminal signals that whole
    group, pip included, so it is not passed on a second time (pip would abort its own clean-up); a SIGINT
    sent to safe-pip alone (`kill -INT`, a CI runner) is. In its own group, pip gets every signal from here.
    A second signal is always passed on; a third kills pip.
    """

    def __init__(self, *, own_group: bool) -> None:
        self.received: int | None = None
        self._own_group = own_group
        self.on_resize: Callable[[], None] | None = None
        self._process: _Child | None = None
        self._count = 0
        self._pending: list[int] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _SignalRelay:
        for signum in _relayed_signals():
            if signal.getsignal(signum) != signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._handle)
        if hasattr(signal, "SIGWINCH"):
            self._previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, self._resize)
        if (
            self._own_group
            and hasattr(signal, "SIGTSTP")
            and signal.getsignal(signal.SIGTSTP) == signal.SIG_DFL
        ):
            # Ctrl-Z stops the terminal's foreground group, which pip is no longer in: it is stopped and
            # continued together with safe-pip here.
            self._previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, self._suspend)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def attach(self, process: _Child) -> None:
        self._process = process
        for signum in self._pending:
            self._send(signum)
        self._pending.clear()

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:  # noqa: UP045 (signal API)
        self._count += 1
        if self.received is None:
            self.received = signum
        if self._count >= 3:
            signum = getattr(signal, "SIGKILL", signal.SIGTERM)
        elif (
            self._count == 1
            and signum == signal.SIGINT
            and not self._own_group
            and _terminal_signalled_our_group()
        ):
            return
        if self._process is None:
            self._pending.append(signum)
        else:
            self._send(signum)

    def _resize(self, signum: int, frame: Optional[FrameType]) -> None:  # noqa: UP045 (signal API)
        if self.on_resize is not None:
            self.on_resize()
        if self._process is not None:
            self._send(signum)

    def _suspend(self, signum: int, frame: Optional[FrameType]) -> None:  # noqa: UP045 (signal API)
        # SIGSTOP, not SIGTSTP: pip's group has no parent in its session (an orphaned group), where the
        # kernel discards SIGTSTP.
        self._send(signal.SIGSTOP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # safe-pip stops here, until `fg` or `bg` continues it
        finally:
            # Continued, or never stopped (the kernel discards SIGTSTP in a group without a terminal's
            # shell): pip goes on either way, never left stopped behind a running safe-pip.
            signal.signal(signal.SIGTSTP, self._suspend)
            self._send(signal.SIGCONT)

    def _send(self, signum: int) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with _suppress(OSError):
                process.send_signal(signum)


def _relayed_signals() -> list[int]:
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


def _terminal_signalled_our_group() -> bool:
    """True when safe-pip (and so pip, in the same process group) is the terminal's foreground job."""
    if os.name == "nt":
        return True  # a console Ctrl-C reaches every process attached to the console
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return False  # no controlling terminal: the signal was sent to safe-pip alone
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


class _Stopped(BaseException):
    """Raised in the main thread by a SIGTERM/SIGHUP while a probe runs, so that the probe is ended on the way
    out (subprocess.run kills its child on any exception) before safe-pip ends by that signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: Optional[FrameType]) -> None:  # noqa: UP045 (signal API)
    raise _Stopped(signum)


def stopped_with_safe_pip() -> _StoppedWithSafePip:
    """Around a child process safe-pip starts itself (a probe, the pin-to-wheel dry run): a SIGTERM or SIGHUP
    that would end safe-pip at once (their default) first ends that child, then safe-pip, by the same
    signal. SIGINT already unwinds as KeyboardInterrupt; a signal that is ignored or handled stays so. Only
    the main thread can take signals; elsewhere this does nothing."""
    return _StoppedWithSafePip()


class _StoppedWithSafePip:
    """stopped_with_safe_pip's context manager (a class: contextlib is not imported on every start)."""

    def __init__(self) -> None:
        self._previous: dict[int, object] = {}

    def __enter__(self) -> None:
        try:
            for signum in _relayed_signals():
                if signum != signal.SIGINT and signal.getsignal(signum) == signal.SIG_DFL:
                    self._previous[signum] = signal.signal(signum, _raise_stopped)
        except ValueError:  # not the main thread
            pass

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            if isinstance(value, _Stopped):
                signal.signal(value.signum, signal.SIG_DFL)
                os.kill(os.getpid(), value.signum)
                os._exit(128 + value.signum)  # not reached: the signal's default action ended safe-pip
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]


class _Streams:
    """Where pip writes (a pty or pipes), and the loop that copies its output to the user's streams."""

    def __init__(self, *, stdout_tty: bool, stderr_tty: bool) -> None:
        self.uses_pty = (stdout_tty or stderr_tty) and _pty_available()
        self._terminal_fd = 1 if stdout_tty else 2
        self._sources: list[tuple[int, int]] = []  # (fd safe-pip reads, user fd it copies to)
        self._child_ends: list[int] = []  # fds that only pip should hold once it has started
        self._pty_master: int | None = None
        pty_slave: int | None = None
        if self.uses_pty:
            import pty

            self._pty_master, pty_slave = pty.openpty()
            self._prepare_pty(pty_slave)
            self._sources.append((self._pty_master, self._terminal_fd))
            self._child_ends.append(pty_slave)
        self.child_stdout = pty_slave if stdout_tty and pty_slave is not None else self._pipe(1)
        self.child_stderr = pty_slave if stderr_tty and pty_slave is not None else self._pipe(2)

    def _pipe(self, user_fd: int) -> int:
        read_end, write_end = os.pipe()
        self._sources.append((read_end, user_fd))
        self._child_ends.append(write_end)
        return write_end

    @classmethod
    def for_terminal_state(cls) -> _Streams:
        return cls(stdout_tty=_isatty(1), stderr_tty=_isatty(2))

    def __enter__(self) -> _Streams:
        return self

    def __exit__(self, *exc: object) -> None:
        self.after_launch()
        for fd, _ in self._sources:
            with _suppress(OSError):
                os.close(fd)
        self._sources = []

    def _prepare_pty(self, slave: int) -> None:
        import termios

        self.copy_window_size(slave)
        attributes = termios.tcgetattr(slave)
        # Let "\n" through as "\n": the user's terminal adds its own "\r", and the saved log stays as pip
        # wrote it.
        attributes[1] &= ~termios.ONLCR
        termios.tcsetattr(slave, termios.TCSANOW, attributes)

    def copy_window_size(self, target: int | None = None) -> None:
        """Give the pty the user's terminal size, so progress bars and boxes are drawn to fit it."""
        fd = (
            target if target is not None else next((fd for fd, _ in self._sources[:1] if self.uses_pty), None)
        )
        if fd is None:
            return
        import fcntl
        import termios

        with _suppress(OSError):
            size = fcntl.ioctl(self._terminal_fd, termios.TIOCGWINSZ, b"\0" * 8)
            fcntl.ioctl(fd, termios.TIOCSWINSZ, size)

    def after_launch(self) -> None:
        # Only pip holds the writing ends now, so reading them ends when pip (and its children) are done.
        for fd in self._child_ends:
            with _suppress(OSError):
                os.close(fd)
        self._child_ends = []

    def pump(self, child: _Child, sink: Callable[[int, bytes], None]) -> None:
        """Copy pip's output to the user's streams and to `sink(stream, chunk)` (stream: the user's fd it
        went to, 1 or 2) until pip and whatever holds its streams are done, or a short while after pip
        exited: a leftover process that inherited them (a build daemon) must not keep the run going."""
        if os.name == "nt":
            _pump_with_threads(child, self._sources, sink)
        else:
            _pump_with_select(child, self._sources, sink)


def _pump_with_select(
    child: _Child, sources: list[tuple[int, int]], sink: Callable[[int, bytes], None]
) -> None:
    writer = _UserStreams()
    waiting = _Readable(sources)
    deadline: float | None = None  # set once pip has exited
    try:
        while waiting.destinations:
            # Checked whether or not output arrived: a process that writes steadily (a ticker every 0.1 s)
            # would otherwise keep the loop from ever noticing that pip is gone.
            if deadline is None and child.poll() is not None:
                deadline = time.monotonic() + _DRAIN_AFTER_EXIT_S
            timeout = 0.25 if deadline is None else max(0.0, min(0.25, deadline - time.monotonic()))
            for fd in waiting.ready(timeout):
                try:
                    chunk = os.read(fd, _CHUNK)
                except OSError:
                    chunk = b""  # EIO: the pty's last writer closed it
                destination = waiting.destinations[fd]
                if not chunk:
                    waiting.forget(fd)
                    continue
                writer.write(destination, chunk)
                sink(destination, chunk)
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        waiting.close()


class _Readable:
    """Which of pip's streams have something to read. On Linux `select.poll` itself: `selectors` (with
    `math` and `collections.abc`) costs 1.1-1.2 ms more to import at every run's start (issue 17), for three
    descriptors at most. Elsewhere `selectors.DefaultSelector` (kqueue on macOS, where poll() does not
    work on a pty)."""

    def __init__(self, sources: list[tuple[int, int]]) -> None:
        self.destinations = dict(sources)  # fd read -> the user's fd it is copied to
        self._poll = None
        self._selector = None
        if sys.platform.startswith("linux"):
            import select

            self._poll = select.poll()
            for fd in self.destinations:
                self._poll.register(fd, select.POLLIN)
        else:
            import selectors

            self._selector = selectors.DefaultSelector()
            for fd in self.destinations:
                self._selector.register(fd, selectors.EVENT_READ)

    def ready(self, timeout: float) -> list[int]:
        """The descriptors that can be read (data, end of file or an error), waiting at most `timeout` s."""
        if self._poll is not None:
            # poll's timeout is in milliseconds, rounded up (as selectors' epoll does): never a busy loop.
            return [fd for fd, _ in self._poll.poll(timeout * 1000)]
        if self._selector is None:
            return []
        return [key.fd for key, _ in self._selector.select(timeout=timeout)]

    def forget(self, fd: int) -> None:
        del self.destinations[fd]
        if self._poll is not None:
            self._poll.unregister(fd)
        elif self._selector is not None:
            self._selector.unregister(fd)

    def close(self) -> None:
        if self._selector is not None:
            self._selector.close()


def _pump_with_threads(
    child: _Child, sources: list[tuple[int, int]], sink: Callable[[int, bytes], None]
) -> None:
    # Windows cannot select() on pipes: one reader thread per pipe, the copying stays in the main thread.
    import queue
    import threading

    chunks: queue.Queue[tuple[int, bytes]] = queue.Queue(maxsize=64)

    def read(fd: int, destination: int) -> None:
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except OSError:
                chunk = b""
            chunks.put((destination, chunk))
            if not chunk:
                return

    for fd, destination in sources:
        threading.Thread(target=read, args=(fd, destination), daemon=True).start()
    writer = _UserStreams()
    open_sources = len(sources)
    deadline: float | None = None  # as in _pump_with_select: a leftover writer does not keep the run going
    while open_sources and (deadline is None or time.monotonic() < deadline):
        if deadline is None and child.poll() is not None:
            deadline = time.monotonic() + _DRAIN_AFTER_EXIT_S
        try:
            destination, chunk = chunks.get(timeout=0.25)
        except queue.Empty:
            continue
        if not chunk:
            open_sources -= 1
            continue
        writer.write(destination, chunk)
        sink(destination, chunk)


class _UserStreams:
    """Writes pip's bytes to the user's stdout/stderr unchanged; a closed stream (`| head`) is dropped
    silently so the install itself still finishes and is logged."""

    def __init__(self) -> None:
        self._closed: set[int] = set()
        for stream in (sys.stdout, sys.stderr):
            # Anything safe-pip printed before pip started must come first.
            with _suppress(OSError, ValueError, AttributeError):
                stream.flush()

    def write(self, fd: int, data: bytes) -> None:
        if fd in self._closed:
            return
        view = memoryview(data)
        while view:
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                _wait_writable(fd)
                continue
            except OSError:
                self._closed.add(fd)  # EPIPE and the like: the reader went away
                return
            view = view[written:]


def _wait_writable(fd: int) -> None:
    # Some CI runners hand their children non-blocking stdout; wait instead of losing output.
    import select

    with _suppress(OSError):
        select.select([], [fd], [], 1.0)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _pty_available() -> bool:
    return os.name == "posix"
