"""Signals as the user set them, with real processes: the whole tree pip started ends on SIGTERM, Ctrl-C in a
terminal still works, `nohup` keeps working, a probe ends with safe-pip, a pip killed by a signal is never
retried, and the retry question cannot wait forever.

Some tests use a stand-in interpreter: a script given as `--python` whose `-m pip ...` does what the test
wants and which runs the real Python for anything else (safe-pip's probes)."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import safe_pip_argv
from tests.lab.factory import make_sdist
from tests.lab.projects import pyproject, setup_py_project

pytestmark = pytest.mark.e2e

# setup.py of `sleepy`: the first time it runs (pip runs it once per build hook) it notes how SIGHUP is set,
# starts a child that sleeps (a compiler that takes long), writes the child's pid, and waits for it.
SLEEPY_SETUP = """\
import os, signal, subprocess, sys
from setuptools import setup

here = os.environ["SLEEPY_DIR"]
pid_file = os.path.join(here, "child.pid")
if not os.path.exists(pid_file):
    ignored = signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    with open(os.path.join(here, "sighup"), "w") as out:
        out.write("ignored" if ignored else "default")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(pid_file + ".tmp", "w") as out:
        out.write(str(child.pid))
    os.rename(pid_file + ".tmp", pid_file)
    child.wait()
setup(name="sleepy", version="1.0", py_modules=[])
"""


def _gone(pid: int) -> bool:
    """The process has ended (a zombie nobody has reaped yet counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def sleepy(
    tmp_path: Path, fresh_venv: Path, wheelhouse: Path, env: dict[str, str]
) -> Iterator[tuple[list[str], dict[str, str], Path]]:
    """safe-pip installing the `sleepy` sdist; its build hangs in a sleeping child until that is killed."""
    make_sdist(
        tmp_path / "src",
        "sleepy",
        "1.0",
        setup_py_project("sleepy", SLEEPY_SETUP, pyproject_toml=pyproject()),
    )
    marks = tmp_path / "marks"
    marks.mkdir()
    argv = safe_pip_argv(
        "--python", str(fresh_venv), "install", "--no-index",
        "--find-links", str(wheelhouse), "--find-links", str(tmp_path / "src"), "sleepy",
    )  # fmt: skip
    yield argv, dict(env, SLEEPY_DIR=str(marks)), marks / "child.pid"
    if (marks / "child.pid").exists():  # whatever the test did, leave nothing running
        try:
            os.kill(int((marks / "child.pid").read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_a_signal_ends_the_whole_process_tree_pip_started(
    sleepy: tuple[list[str], dict[str, str], Path], signum: int
) -> None:
    argv, env, child_pid = sleepy
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )  # no terminal: the signal reaches safe-pip alone, as from `kill` or a CI runner
    try:
        _wait_for(child_pid.exists, 120, "the build's child")
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()  # only if the test failed before it ended
        process.wait(timeout=10)
    assert process.returncode == 128 + signum, stderr
    _wait_for(lambda: _gone(int(child_pid.read_text())), 10, "the build's child to end")


def test_ctrl_c_in_a_terminal_ends_pip_and_its_build(sleepy: tuple[list[str], dict[str, str], Path]) -> None:
    """pip runs in its own process group, so the terminal's SIGINT reaches only safe-pip, which passes it on."""
    argv, env, child_pid = sleepy
    primary, secondary = pty.openpty()

    def take_the_terminal() -> None:  # as a shell does for its foreground job
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        argv, stdin=secondary, stdout=secondary, stderr=secondary, env=env,
        start_new_session=True, preexec_fn=take_the_terminal,  # noqa: PLW1509 (no threads yet)
    )  # fmt: skip
    os.close(secondary)
    seen = _Reader(primary)
    try:
        _wait_for(child_pid.exists, 120, "the build's child")
        os.write(primary, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground process group
        code = process.wait(timeout=30)
    finally:
        process.kill()  # only if the test failed before it ended
        process.wait(timeout=10)
        seen.close()
    assert code == 130, seen.text()
    _wait_for(lambda: _gone(int(child_pid.read_text())), 10, "the build's child to end")


def test_under_nohup_a_hangup_neither_stops_safe_pip_nor_pip(
    sleepy: tuple[list[str], dict[str, str], Path],
) -> None:
    argv, env, child_pid = sleepy
    process = subprocess.Popen(
        ["nohup", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )  # with stdout not a terminal, nohup only sets SIGHUP to be ignored and runs safe-pip
    try:
        _wait_for(child_pid.exists, 120, "the build's child")
        os.killpg(process.pid, signal.SIGHUP)  # the logout: the session's processes get SIGHUP
        time.sleep(1)
        assert process.poll() is None, process.communicate()[1]
        assert (child_pid.parent / "sighup").read_text() == "ignored"  # pip's build inherited SIG_IGN
        os.kill(int(child_pid.read_text()), signal.SIGKILL)  # the long compile step ends; the build goes on
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()  # only if the test failed before it ended
        process.wait(timeout=10)
    assert process.returncode == 0, stderr
    assert b"Successfully installed sleepy-1.0" in stdout


# -- stand-in interpreters --------------------------------------------------------------------------------
# The end of a real log of a compile killed for lack of memory (tests/fixtures/logs/compiler-killed), in a
# build that runs parallel jobs (ninja), where fewer jobs is the safe fix.
OOM_LOG = """\
Processing ./src/bigcpp-1.0.tar.gz
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
Building wheels for collected packages: bigcpp
  Building wheel for bigcpp (pyproject.toml): started
      running build_ext
      building 'bigcpp' extension
      g++ -fPIC -I/usr/include/python3.11 -c bigcpp.cpp -o build/temp.linux-x86_64-cpython-311/bigcpp.o
      g++: fatal error: Killed signal terminated program cc1plus
      compilation terminated.
      ninja: build stopped: subcommand failed.
"""
OOM_TAIL = """\
      [end of output]
  ERROR: Failed building wheel for bigcpp
Failed to build bigcpp
"""


def stand_in(tmp_path: Path, pip_body: str) -> Path:
    """An interpreter whose `-m pip ARGS` runs `pip_body` (Python, with `args` and `runs`, a file each pip
    run adds a line to) and which is the real Python for anything else."""
    path = tmp_path / "stand-in" / "bin" / "python"
    path.parent.mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(pip_body), "    ")
    path.write_text(
        f"#!{sys.executable}\n"
        "import os, signal, sys, time\n"
        "if sys.argv[1:3] == ['-m', 'pip']:\n"
        "    args = sys.argv[3:]\n"
        f"    runs = {str(tmp_path / 'runs')!r}\n"
        f"{body}\n"
        "    sys.exit(1)\n"
        f"os.execv({sys.executable!r}, [{sys.executable!r}, *sys.argv[1:]])\n"
    )
    path.chmod(0o755)
    return path


def _runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "runs"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize(
    ("killed_when", "expected_runs"),
    [("True", 1), ("'MAX_JOBS' in os.environ", 2)],
    ids=["first-run", "retry"],
)
def test_a_pip_killed_by_a_signal_is_never_retried_whatever_its_log_says(
    tmp_path: Path, env: dict[str, str], killed_when: str, expected_runs: int
) -> None:
    """The log says the compiler was killed (out of memory, whose fix is fewer jobs), but pip itself was
    killed by SIGKILL (the OOM killer, a CI timeout): that run ends the loop."""
    python = stand_in(
        tmp_path,
        f"""\
        if "--dry-run" in args:
            sys.exit(1)
        with open(runs, "a") as out:
            out.write(" ".join(args) + "\\n")
        sys.stdout.write({OOM_LOG!r}); sys.stdout.flush()
        if {killed_when}:
            os.kill(os.getpid(), signal.SIGKILL)
        sys.stdout.write({OOM_TAIL!r})
        """,
    )
    result = subprocess.run(
        safe_pip_argv("--fix", "--python", str(python), "install", "./src/bigcpp-1.0.tar.gz"),
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 128 + signal.SIGKILL, result.stderr
    assert len(_runs(tmp_path)) == expected_runs, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == "safe-pip: interrupted: pip was stopped by signal 9 (exit code 137); not retried"


def test_a_signal_during_fix_ends_with_a_message_that_says_interrupted(
    tmp_path: Path, env: dict[str, str]
) -> None:
    python = stand_in(
        tmp_path,
        f"""\
        if "--dry-run" in args:
            sys.exit(1)
        with open(runs, "a") as out:
            out.write(" ".join(args) + "\\n")
        sys.stdout.write({OOM_LOG!r}); sys.stdout.flush()
        if "MAX_JOBS" in os.environ:
            time.sleep(60)  # attempt 2 builds for long; the user gives up
        sys.stdout.write({OOM_TAIL!r})
        """,
    )
    process = subprocess.Popen(
        safe_pip_argv("--fix", "--python", str(python), "install", "./src/bigcpp-1.0.tar.gz"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(lambda: len(_runs(tmp_path)) == 2, 60, "attempt 2")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()  # only if the test failed before it ended
        process.wait(timeout=10)
    assert process.returncode == 143, stderr
    assert b"attempt 2/3" in stderr
    last = stderr.decode().strip().splitlines()[-1]
    assert last == "safe-pip: interrupted: pip was stopped by signal 15 (exit code 143); not retried"


def test_the_pin_to_wheel_probe_ends_with_safe_pip(tmp_path: Path, env: dict[str, str]) -> None:
    """After a failed build, safe-pip asks the target's pip (`install --dry-run`) which release has a wheel;
    a SIGTERM to safe-pip then ends that pip too."""
    probe_pid = tmp_path / "probe.pid"
    python = stand_in(
        tmp_path,
        f"""\
        if "--dry-run" in args:
            open({str(probe_pid)!r} + ".tmp", "w").write(str(os.getpid()))
            os.rename({str(probe_pid)!r} + ".tmp", {str(probe_pid)!r})  # appears whole
            time.sleep(60)  # an index that answers slowly
        sys.stdout.write({OOM_LOG!r}); sys.stdout.write({OOM_TAIL!r})
        """,
    )
    process = subprocess.Popen(
        safe_pip_argv("--suggest", "--python", str(python), "install", "bigcpp"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(probe_pid.exists, 60, "the probe")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        process.kill()  # only if the test failed before it ended
        process.wait(timeout=10)
        pid = int(probe_pid.read_text())
    assert process.returncode in (-signal.SIGTERM, 143)
    try:
        _wait_for(lambda: _gone(pid), 5, "the probe to end")
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


# -- the retry question -----------------------------------------------------------------------------------
class _Reader:
    """Everything written to a pty's other end, read on a thread so the writer never blocks."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._seen = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self._fd], [], [], 0.2)
                if ready:
                    chunk = os.read(self._fd, 65536)
                    if not chunk:
                        return
                    self._seen += chunk
            except (OSError, ValueError):  # EIO: the last writer closed the terminal
                return

    def text(self) -> str:
        return self._seen.decode(errors="replace")

    def close(self) -> None:
        self._thread.join(timeout=2)
        os.close(self._fd)


def test_the_retry_question_does_not_wait_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal nobody answers (`docker run -t` in CI): after the timeout the answer is no."""
    from safe_pip.commands import install

    primary, secondary = pty.openpty()
    terminal = open(secondary, encoding="utf-8")  # noqa: SIM115 (closed below, after the question)
    monkeypatch.setattr(sys, "stdin", terminal)
    monkeypatch.setattr(install, "_ANSWER_TIMEOUT_S", 0.5)
    answers: list[bool] = []
    asking = threading.Thread(target=lambda: answers.append(install._ask("Retry? [y/N] ")), daemon=True)
    started = time.monotonic()
    asking.start()
    asking.join(timeout=10)
    os.close(primary)  # ends a question still waiting (EIO), so the terminal can be closed
    asking.join(timeout=5)
    terminal.close()
    assert answers == [False]
    assert time.monotonic() - started < 5


def test_ctrl_c_at_the_retry_question_exits_130(tmp_path: Path, env: dict[str, str]) -> None:
    python = stand_in(
        tmp_path,
        f"""\
        if "--dry-run" in args:
            sys.exit(1)
        with open(runs, "a") as out:
            out.write(" ".join(args) + "\\n")
        sys.stdout.write({OOM_LOG!r}); sys.stdout.write({OOM_TAIL!r})
        """,
    )
    primary, secondary = pty.openpty()

    def take_the_terminal() -> None:
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        safe_pip_argv("--python", str(python), "install", "./src/bigcpp-1.0.tar.gz"),
        stdin=secondary, stdout=secondary, stderr=secondary, env=env,
        start_new_session=True, preexec_fn=take_the_terminal,  # noqa: PLW1509 (no threads yet)
    )  # fmt: skip
    os.close(secondary)
    seen = _Reader(primary)
    try:
        _wait_for(lambda: seen.text().rstrip().endswith("[y/N]"), 60, "the question")
        os.write(primary, b"\x03")
        code = process.wait(timeout=30)
    finally:
        process.kill()  # only if the test failed before it ended
        process.wait(timeout=10)
        seen.close()
    assert code == 130, seen.text()
    assert len(_runs(tmp_path)) == 1
    assert "Traceback" not in seen.text()


def test_ctrl_z_in_a_terminal_stops_pip_with_safe_pip_and_bg_continues_both(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """pip is outside the terminal's foreground group, so Ctrl-Z reaches only safe-pip, which stops pip too."""
    pid_file = tmp_path / "pip.pid"
    python = stand_in(
        tmp_path,
        f"""\
        # Written aside and renamed: the test reads the file as soon as it exists, and CI once read it empty.
        open({str(pid_file)!r} + ".tmp", "w").write(str(os.getpid()))
        os.rename({str(pid_file)!r} + ".tmp", {str(pid_file)!r})
        time.sleep(60)
        """,
    )
    argv = " ".join(safe_pip_argv("--python", str(python), "install", "x"))
    primary, secondary = pty.openpty()

    def take_the_terminal() -> None:
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    # A shell with job control runs safe-pip as its foreground job, as in an interactive terminal.
    process = subprocess.Popen(
        ["bash", "-c", f"set -m; {argv}; echo stopped-or-done; sleep 60"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env,
        start_new_session=True, preexec_fn=take_the_terminal,  # noqa: PLW1509 (no threads yet)
    )  # fmt: skip
    os.close(secondary)
    seen = _Reader(primary)
    started: list[int] = []
    try:
        _wait_for(pid_file.exists, 60, "pip")
        pip = int(pid_file.read_text())
        safe_pip = int(Path(f"/proc/{pip}/stat").read_text().rsplit(")", 1)[1].split()[1])
        started += [pip, safe_pip]
        os.write(primary, b"\x1a")  # Ctrl-Z
        _wait_for(lambda: _state(safe_pip) == "T" and _state(pip) == "T", 10, "both to stop")
        os.killpg(os.getpgid(safe_pip), signal.SIGCONT)  # what `bg` does
        _wait_for(lambda: _state(pip) not in ("T", "t"), 10, "pip to continue")
    finally:
        for pid in [process.pid, *started]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)
        seen.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
