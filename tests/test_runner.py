"""The runner with real processes: a small Python program stands in for pip's output, so that each stream
property (bytes, exit status, signals, terminals) is tested on its own. Real pip is in test_e2e_core.py."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import read_until_closed

# Runs run_captured on the program given as argv[1:] and writes a JSON summary to the file descriptor named
# by REPORT_FD (stdout and stderr are the streams under test).
DRIVER = textwrap.dedent(
    """\
    import json, os, sys
    from safe_pip.capture import CaptureBuffer
    from safe_pip.runner import run_captured
    log_dir = os.environ["TEST_LOG_DIR"]
    capture = CaptureBuffer()
    result = run_captured(sys.argv[1:], capture, lambda: log_dir)
    summary = {
        "exit_code": result.exit_code, "signal": result.signal_received, "log": result.log_path,
        "problem": result.log_problem,
        "captured": [[line.number, line.raw.decode("latin-1")] for line in capture.lines()],
    }
    with os.fdopen(int(os.environ["REPORT_FD"]), "w") as report:
        json.dump(summary, report)
    """
)

PRODUCER = textwrap.dedent(
    """\
    import os, sys
    out, err = sys.stdout.buffer, sys.stderr.buffer
    out.write(b"Collecting thing\\n"); out.flush()
    err.write(b"progress 10%\\rprogress 100%\\n"); err.flush()
    out.write(bytes(range(256)) + b"\\n"); out.flush()
    err.write(b"ERROR: no trailing newline"); err.flush()
    out.write(b"\\x1b[31mred\\x1b[0m\\n"); out.flush()
    sys.exit(int(os.environ.get("EXIT", "0")))
    """
)


def _drive(
    tmp_path: Path, program: str, *, env: dict[str, str] | None = None
) -> tuple[bytes, bytes, dict[str, object]]:
    read_fd, write_fd = os.pipe()
    environment = dict(
        os.environ if env is None else env, TEST_LOG_DIR=str(tmp_path / "logs"), REPORT_FD=str(write_fd)
    )
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(write_fd,),
        env=environment,
    )
    os.close(write_fd)
    stdout, stderr = process.communicate(timeout=60)
    with os.fdopen(read_fd) as report:
        summary = json.load(report)
    assert process.returncode == 0, stderr
    return stdout, stderr, summary


def _direct(program: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, env=env, check=False, timeout=60
    )


def test_output_reaches_each_stream_byte_for_byte(tmp_path: Path) -> None:
    stdout, stderr, summary = _drive(tmp_path, PRODUCER)
    direct = _direct(PRODUCER)
    assert stdout == direct.stdout
    assert stderr == direct.stderr
    assert summary["exit_code"] == 0


def test_log_file_holds_everything_and_only_the_user_can_read_it(tmp_path: Path) -> None:
    _, _, summary = _drive(tmp_path, PRODUCER)
    direct = _direct(PRODUCER)
    log = Path(str(summary["log"]))
    assert log.parent == tmp_path / "logs"
    content = log.read_bytes()
    assert sorted(content) == sorted(direct.stdout + direct.stderr)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_capture_has_the_merged_lines_in_order(tmp_path: Path) -> None:
    _, _, summary = _drive(tmp_path, PRODUCER)
    captured = summary["captured"]
    assert isinstance(captured, list)
    assert captured[0] == [1, "Collecting thing"]
    assert [1, "Collecting thing"] in captured
    assert any(text.startswith("progress 10%\rprogress 100%") for _, text in captured)


@pytest.mark.parametrize(("exit_env", "expected"), [("0", 0), ("1", 1), ("3", 3), ("23", 23)])
def test_exit_code_is_kept(tmp_path: Path, exit_env: str, expected: int) -> None:
    _, _, summary = _drive(tmp_path, PRODUCER, env=dict(os.environ, EXIT=exit_env))
    assert summary["exit_code"] == expected


def test_killed_child_reports_128_plus_signal(tmp_path: Path) -> None:
    _, _, summary = _drive(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert summary["exit_code"] == 128 + signal.SIGKILL
    assert summary["signal"] is None


def test_unwritable_log_folder_does_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file where the folder should be")
    stdout, _, summary = _drive(tmp_path, PRODUCER)
    assert summary["log"] is None
    assert "cannot save the log" in str(summary["problem"])
    assert stdout == _direct(PRODUCER).stdout


def _old_logs(logs: Path, count: int, *, age_s: float = 86400.0) -> list[Path]:
    """`count` saved logs last written `age_s` ago (and a second apart, oldest first)."""
    logs.mkdir(exist_ok=True)
    made = []
    for n in range(count):
        path = logs / f"pip-20200101-0000{n:02d}-1.log"
        path.write_text("old")
        stamp = time.time() - age_s - (count - n)
        os.utime(path, (stamp, stamp))
        made.append(path)
    return made


def test_old_logs_are_pruned(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _old_logs(logs, 30)
    (logs / "unrelated.txt").write_text("kept")
    _drive(tmp_path, PRODUCER)
    names = sorted(p.name for p in logs.iterdir())
    assert len([n for n in names if n.endswith(".log")]) == 20
    assert "unrelated.txt" in names
    assert "pip-20200101-000000-1.log" not in names


def test_a_log_that_may_still_be_written_is_never_pruned(tmp_path: Path) -> None:
    """Logs written to in the last minutes (another run's, a long quiet build) stay, however many there are;
    so does an old one whose writer still holds it (its lock)."""
    import fcntl

    logs = tmp_path / "logs"
    recent = _old_logs(logs, 25, age_s=60.0)
    _drive(tmp_path, PRODUCER)
    assert all(path.exists() for path in recent)
    assert len(list(logs.glob("pip-*.log"))) == 26
    for path in recent:
        path.unlink()
    old = _old_logs(logs, 30)
    with old[0].open("ab") as writing:  # the oldest, but its run is still going
        fcntl.flock(writing.fileno(), fcntl.LOCK_SH)
        _drive(tmp_path, PRODUCER)
    assert old[0].exists()
    assert not old[1].exists()


def test_a_symlinked_log_folder_is_not_pruned_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    kept = _old_logs(elsewhere, 30)
    (tmp_path / "logs").symlink_to(elsewhere)
    _, _, summary = _drive(tmp_path, PRODUCER)
    assert all(path.exists() for path in kept)
    assert summary["log"]  # the run's own log is still saved


def test_two_runs_in_the_same_second_keep_both_logs(tmp_path: Path) -> None:
    from safe_pip.runner import SavedLog

    logs = [SavedLog(str(tmp_path), stamp=1_700_000_000.0) for _ in range(3)]  # one pid, one second
    for number, log in enumerate(logs):
        log.write(b"run %d\n" % number)
        log.close()
    assert [log.problem for log in logs] == [None, None, None]
    paths = [Path(str(log.path)) for log in logs]
    assert len(set(paths)) == 3
    assert [path.read_bytes() for path in paths] == [b"run 0\n", b"run 1\n", b"run 2\n"]


def test_the_log_is_on_disk_as_output_arrives(tmp_path: Path) -> None:
    from safe_pip.runner import SavedLog

    log = SavedLog(str(tmp_path))
    log.write(b"ERROR: the line a killed run must not lose\n")
    assert Path(str(log.path)).read_bytes() == b"ERROR: the line a killed run must not lose\n"
    log.close()


def test_a_safe_pip_killed_mid_run_leaves_the_error_in_its_log(tmp_path: Path) -> None:
    """A CI timeout SIGKILLs safe-pip while pip (which printed its error) is still running."""
    program = "import sys, time\nprint('Collecting thing', flush=True)\n"
    program += "sys.stderr.write('ERROR: the tail\\n'); sys.stderr.flush(); time.sleep(3)\n"
    read_fd, write_fd = os.pipe()
    environment = dict(os.environ, TEST_LOG_DIR=str(tmp_path / "logs"), REPORT_FD=str(write_fd))
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, sys.executable, "-c", program],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=(write_fd,),
        env=environment,
    )
    os.close(write_fd)
    os.close(read_fd)
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + 30
    while b"ERROR: the tail" not in seen and time.monotonic() < deadline:
        seen += os.read(process.stderr.fileno(), 4096)
    time.sleep(0.5)  # the chunk reaches the user's stream just before the log; pip itself sleeps on
    process.kill()
    process.wait(timeout=30)
    process.stderr.close()
    (log,) = (tmp_path / "logs").glob("pip-*.log")
    assert b"ERROR: the tail\n" in log.read_bytes()


def test_a_log_on_a_full_disk_is_said_to_be_incomplete(small_disk: Path) -> None:
    from safe_pip.runner import SavedLog

    log = SavedLog(str(small_disk / "logs"))
    for _ in range(200):
        log.write(b"x" * 1023 + b"\n")
    log.close()
    assert log.path is not None
    assert log.problem == f"the saved log {log.path} is incomplete: No space left on device"
    assert 0 < Path(log.path).stat().st_size < 200 * 1024


def test_pty_when_stdout_is_a_terminal(tmp_path: Path) -> None:
    """pip must see a terminal (to draw progress bars), and the log must not get the pty's "\\r\\n"."""
    program = "import os, sys; print('tty' if os.isatty(1) else 'pipe', os.get_terminal_size(1).columns)"
    primary, secondary = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 123, 0, 0))
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, sys.executable, "-c", program],
        stdout=secondary,
        stderr=secondary,
        pass_fds=(write_fd,),
        env=dict(os.environ, TEST_LOG_DIR=str(tmp_path / "logs"), REPORT_FD=str(write_fd)),
    )
    os.close(secondary)
    os.close(write_fd)
    seen = read_until_closed(primary)
    process.wait(timeout=60)
    with os.fdopen(read_fd) as report:
        summary = json.load(report)
    assert b"tty 123" in seen
    assert Path(str(summary["log"])).read_bytes() == b"tty 123\n"


SLEEPER = textwrap.dedent(
    """\
    import os, signal, sys, time
    def bye(signum, frame):
        sys.stdout.write("child got %d\\n" % signum); sys.stdout.flush(); sys.exit(1)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    signal.signal(signal.SIGHUP, bye)
    sys.stdout.write("child %d ready\\n" % os.getpid()); sys.stdout.flush()
    time.sleep(60)
    """
)


@pytest.mark.parametrize(
    ("signum", "expected"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)],
    ids=["sigterm", "sigint", "sighup"],
)
def test_signals_are_passed_on_and_the_child_is_waited_for(
    tmp_path: Path, signum: int, expected: int
) -> None:
    cli = [sys.executable, "-m", "safe_pip", "--python", sys.executable, "install"]
    # safe-pip runs `<python> -m pip install ...`; a fake `pip` module on PYTHONPATH stands in for it here, so
    # the test controls exactly when the child is ready. (Real pip under Ctrl-C is in test_e2e_core.py.)
    fake = tmp_path / "fake"
    (fake / "pip").mkdir(parents=True)
    (fake / "pip" / "__init__.py").write_text("")
    (fake / "pip" / "__main__.py").write_text(SLEEPER)
    env = dict(os.environ, PYTHONPATH=str(fake), XDG_STATE_HOME=str(tmp_path / "state"))
    process = subprocess.Popen(
        cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )  # no controlling terminal: nothing else signals pip
    assert process.stdout is not None
    ready = process.stdout.readline().decode()
    child = int(ready.split()[1])
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == expected, stderr
    assert f"child got {signum}".encode() in stdout
    assert b"Traceback" not in stderr
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_output_is_live(tmp_path: Path) -> None:
    """The first line arrives while the child is still running, not when it ends."""
    # The child goes on only once the test has read its first line (or after 60 s): a run that relayed pip's
    # output only at its end would keep the test waiting 60 s, whatever the machine's load.
    go = tmp_path / "go"
    program = (
        "import os, sys, time; print('first'); sys.stdout.flush()\n"
        f"for _ in range(600):\n    if os.path.exists({str(go)!r}): break\n    time.sleep(0.1)\n"
        "print('second')"
    )
    cli = [sys.executable, "-m", "safe_pip", "--python", sys.executable, "install"]
    fake = tmp_path / "fake"
    (fake / "pip").mkdir(parents=True)
    (fake / "pip" / "__init__.py").write_text("")
    (fake / "pip" / "__main__.py").write_text(program)
    env = dict(os.environ, PYTHONPATH=str(fake), XDG_STATE_HOME=str(tmp_path / "state"))
    started = time.monotonic()
    process = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    assert process.stdout.readline() == b"first\n"
    assert time.monotonic() - started < 45
    go.touch()
    assert process.communicate(timeout=60)[0] == b"second\n"


def test_the_run_ends_soon_after_pip_when_a_leftover_process_keeps_writing(tmp_path: Path) -> None:
    """A build daemon that inherited pip's stdout writes every 0.1 s for 30 s: the run ends about when pip
    does, with pip's own output relayed, not when the daemon stops."""
    pid_file = tmp_path / "daemon.pid"
    program = textwrap.dedent(
        f"""\
        import subprocess, sys
        ticker = "import sys, time\\nfor _ in range(300): print('.', end='', flush=True); time.sleep(0.1)"
        daemon = subprocess.Popen([sys.executable, "-c", ticker], start_new_session=True)
        open({str(pid_file)!r}, "w").write(str(daemon.pid))
        print("pip is done", flush=True)
        """
    )
    started = time.monotonic()
    try:
        stdout, _, summary = _drive(tmp_path, program)
    finally:
        if pid_file.exists():  # it ends on its own at its next write to the closed pipe
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert time.monotonic() - started < 8
    assert b"pip is done\n" in stdout
    assert summary["exit_code"] == 0


def test_an_unfinished_stdout_line_does_not_swallow_pips_stderr_error_line(tmp_path: Path) -> None:
    program = textwrap.dedent(
        """\
        import sys, time
        sys.stdout.write("  Running setup.py install for thing ..."); sys.stdout.flush(); time.sleep(0.2)
        sys.stderr.write("ERROR: boom\\n"); sys.stderr.flush(); time.sleep(0.2)
        sys.stdout.write(" error\\n"); sys.stdout.flush()
        """
    )
    stdout, stderr, summary = _drive(tmp_path, program)
    assert (stdout, stderr) == (b"  Running setup.py install for thing ... error\n", b"ERROR: boom\n")
    assert summary["captured"] == [[1, "ERROR: boom"], [2, "  Running setup.py install for thing ... error"]]
