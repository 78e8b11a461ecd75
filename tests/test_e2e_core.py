"""safe-pip driving real pip in real virtual environments, offline, against local fixtures."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import base_python, make_venv, run_in_terminal, safe_pip_argv
from tests.lab.factory import make_sdist, make_wheel
from tests.lab.projects import setup_py_project

pytestmark = pytest.mark.e2e


def _run(argv: list[str], env: dict[str, str], *, merged: bool = False) -> subprocess.CompletedProcess[bytes]:
    stderr = subprocess.STDOUT if merged else subprocess.PIPE
    return subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=stderr, timeout=120, check=False)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder, "tinypkg", "1.0")
    return folder


def test_successful_install_from_a_local_wheel(fresh_venv: Path, wheels: Path, env: dict[str, str]) -> None:
    argv = safe_pip_argv(
        "--python", str(fresh_venv), "install", "--no-index", "--find-links", str(wheels), "tinypkg"
    )
    result = _run(argv, env)
    assert result.returncode == 0, result.stderr
    assert b"Successfully installed tinypkg-1.0" in result.stdout
    assert b"safe-pip:" not in result.stderr  # nothing of safe-pip's own when nothing failed
    imported = _run([str(fresh_venv), "-c", "import tinypkg; print(tinypkg.VERSION)"], env)
    assert imported.stdout == b"1.0\n"


def test_virtual_env_is_the_target(fresh_venv: Path, wheels: Path, env: dict[str, str]) -> None:
    venv = fresh_venv.parent.parent
    result = _run(
        safe_pip_argv("install", "--no-index", "--find-links", str(wheels), "tinypkg"),
        dict(env, VIRTUAL_ENV=str(venv)),
    )
    assert result.returncode == 0, result.stderr
    assert _run([str(fresh_venv), "-c", "import tinypkg"], env).returncode == 0


def _normalise(output: bytes, *venvs: Path) -> bytes:
    for venv in venvs:
        output = output.replace(str(venv.parent.parent).encode(), b"<venv>")
    return output


def test_output_is_identical_to_plain_pip(tmp_path: Path, wheels: Path, env: dict[str, str]) -> None:
    plain_venv, wrapped_venv = make_venv(tmp_path / "a"), make_venv(tmp_path / "b")
    pip_args = ["install", "--no-index", "--find-links", str(wheels), "tinypkg", "missing-thing"]
    plain = _run([str(plain_venv), "-m", "pip", *pip_args], env)
    wrapped = _run(safe_pip_argv("--python", str(wrapped_venv), *pip_args), env)
    assert plain.returncode == wrapped.returncode == 1
    assert _normalise(wrapped.stdout, wrapped_venv) == _normalise(plain.stdout, plain_venv)
    pip_part = wrapped.stderr.split(b"safe-pip:", 1)[0]
    assert _normalise(pip_part, wrapped_venv) == _normalise(plain.stderr, plain_venv)


def test_failure_keeps_exit_code_and_saves_the_whole_log(
    shared_venv: Path, wheels: Path, env: dict[str, str]
) -> None:
    pip_args = ["install", "--no-index", "--find-links", str(wheels), "no-such-project==1.0"]
    plain = _run([str(shared_venv), "-m", "pip", *pip_args], env, merged=True)
    result = _run(safe_pip_argv("--python", str(shared_venv), *pip_args), env)
    assert result.returncode == plain.returncode == 1
    message = result.stderr.decode()
    log_match = re.search(r"safe-pip: full log: (\S+)", message)
    assert log_match, message
    log = Path(log_match.group(1))
    assert log.is_relative_to(Path(env["XDG_STATE_HOME"]))
    assert sorted(log.read_bytes().splitlines()) == sorted(plain.stdout.splitlines())
    assert "pip install failed (exit code 1)" in message
    assert "ERROR: No matching distribution found for no-such-project==1.0" in message


def test_other_pip_commands_pass_through(shared_venv: Path, env: dict[str, str]) -> None:
    plain = _run([str(shared_venv), "-m", "pip", "list", "--format", "json"], env)
    wrapped = _run(safe_pip_argv("--python", str(shared_venv), "list", "--format", "json"), env)
    assert wrapped.returncode == 0
    assert wrapped.stdout == plain.stdout
    assert wrapped.stderr == plain.stderr
    # A failing pass-through command keeps pip's exit code too.
    unknown = _run(safe_pip_argv("--python", str(shared_venv), "show", "no-such-project"), env)
    assert unknown.returncode == 1
    assert b"Package(s) not found" in unknown.stderr


def test_interpreter_without_pip_is_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    bare = tmp_path / "bare"
    subprocess.run([base_python(), "-m", "venv", "--without-pip", str(bare)], check=True)
    result = _run(safe_pip_argv("--python", str(bare), "install", "x"), env)
    assert result.returncode == 2
    assert re.search(
        rb"safe-pip: error: '.*bare/bin/python' \(--python, Python 3\.\d+\.\d+\) has no pip; run",
        result.stderr,
    )
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("/no/such/python", b"--python '/no/such/python' does not exist"),
        ("/bin/false", b"'/bin/false' (--python) is not a working Python interpreter"),
    ],
    ids=["missing", "not-python"],
)
def test_unusable_interpreter_is_a_usage_error(python: str, message: bytes, env: dict[str, str]) -> None:
    result = _run(safe_pip_argv("--python", python, "install", "x"), env)
    assert result.returncode == 2
    assert message in result.stderr
    assert b"Traceback" not in result.stderr


def test_a_terminal_gets_pips_colours(shared_venv: Path, env: dict[str, str]) -> None:
    """In a terminal pip runs in a pty, so it colours its errors as it would on its own."""
    argv = safe_pip_argv("--python", str(shared_venv), "install", "--no-index", "no-such-project")
    code, seen = run_in_terminal(argv, env)
    assert code == 1
    pip_part = seen.split(b"safe-pip", 1)[0]
    assert b"\x1b[31mERROR: No matching distribution found for no-such-project" in pip_part
    # ...while through pipes pip prints no colour at all.
    piped = _run(argv, env)
    assert b"\x1b[" not in piped.stderr


class _StallingIndex:
    """An HTTP server on 127.0.0.1 that accepts connections and never answers: pip waits on it."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.connected = threading.Event()
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.clients.append(client)
            self.connected.set()

    def close(self) -> None:
        self.server.close()
        for client in self.clients:
            client.close()


@pytest.fixture
def stalling_index() -> Iterator[_StallingIndex]:
    index = _StallingIndex()
    yield index
    index.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize(
    ("signum", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_interrupting_a_stalled_pip_leaves_no_process_behind(
    shared_venv: Path, env: dict[str, str], stalling_index: _StallingIndex, signum: int, expected: int
) -> None:
    argv = safe_pip_argv(
        "--python",
        str(shared_venv),
        "install",
        "--timeout",
        "120",
        "--retries",
        "0",
        "--index-url",
        f"http://127.0.0.1:{stalling_index.port}/simple",
        "anything",
    )
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )  # no terminal: the signal reaches safe-pip alone
    assert stalling_index.connected.wait(60), "pip never reached the index"
    pips = _children(process.pid)
    assert pips, "safe-pip has no child process"
    started = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == expected, stderr
    assert time.monotonic() - started < 30
    assert b"Traceback" not in stderr
    for pid in pips:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_failed_build_is_explained_under_pips_output(
    tmp_path: Path, shared_venv: Path, env: dict[str, str], wheelhouse: Path
) -> None:
    from tests.lab.factory import c_extension_project, make_sdist

    make_sdist(tmp_path / "src", "fastmath", "1.0", c_extension_project("fastmath"))
    empty = tmp_path / "bin"
    empty.mkdir()
    # No gcc or cc anywhere on PATH: what a slim image looks like to setuptools.
    no_compiler = dict(env, PATH=str(empty))
    argv = safe_pip_argv(
        "--python",
        str(shared_venv),
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--find-links",
        str(tmp_path / "src"),
        "fastmath",
    )
    result = _run(argv, no_compiler)
    assert result.returncode == 1
    message = result.stderr.decode()
    assert "safe-pip: pip install failed (exit code 1) while installing fastmath: missing-compiler" in message
    assert "Building fastmath from source failed because the C compiler `gcc` is not installed" in message
    evidence = re.search(r"safe-pip:   line (\d+): (.*)", message)
    assert evidence, message
    log = Path(re.search(r"safe-pip: full log: (\S+)", message).group(1))  # type: ignore[union-attr]
    assert log.read_text().splitlines()[int(evidence.group(1)) - 1].strip() == evidence.group(2)
    # The command to paste runs the same interpreter's pip (--python carried).
    assert f"safe-pip --python {shared_venv} install --only-binary fastmath --no-index" in message


def test_no_color_environment_keeps_safe_pips_messages_plain(shared_venv: Path, env: dict[str, str]) -> None:
    argv = safe_pip_argv("--python", str(shared_venv), "install", "--no-index", "no-such-project")
    _, seen = run_in_terminal(argv, dict(env, NO_COLOR="1"))
    ours = seen[seen.index(b"safe-pip:") :]
    assert b"\x1b[" not in ours


def test_rule_conditions_use_facts_about_this_machine(
    tmp_path: Path, shared_venv: Path, env: dict[str, str]
) -> None:
    """[when] conditions: a rule for a tool that is missing here applies; one for a tool that is present
    here does not."""
    rule = """\
id = "{id}"
category = "no-matching-distribution"
title = "t"
priority = 99
[match]
keywords = ["no matching distribution"]
any = ['''No matching distribution found for (?P<package>\\S+)''']
[when]
tool_missing = ["{tool}"]
[explain]
summary = "{id} explains it."
"""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "when-missing.toml").write_text(rule.format(id="when-missing", tool="no-such-tool-xyz"))
    present = rule.format(id="when-present", tool="python3").replace(
        "no-matching-distribution", "network-error"
    )
    (folder / "when-present.toml").write_text(present)
    result = _run(
        safe_pip_argv(
            "--rules", str(folder), "--python", str(shared_venv), "install", "--no-index", "no-such-project"
        ),
        env,
    )
    message = result.stderr.decode()
    assert "when-missing explains it." in message
    assert "when-present" not in message


def _wait_for_pip(process: subprocess.Popen[bytes], index: _StallingIndex) -> list[int]:
    assert index.connected.wait(60), "pip never reached the index"
    pips = _children(process.pid)
    assert pips, "safe-pip has no child process"
    return pips


def test_a_signal_during_a_retry_ends_the_run_with_no_further_attempt(
    tmp_path: Path, shared_venv: Path, env: dict[str, str], stalling_index: _StallingIndex
) -> None:
    # Attempt 1 fails at once (a wheel for Windows, by path); attempt 2 asks the index for a dependency, which
    # never answers: the SIGTERM arrives while attempt 2's pip waits.
    wrong = make_wheel(tmp_path / "dist", "misfit", "1.0", "py3-none-win_amd64")
    # The fix installs the fitting wheel beside it, whose dependency pip then asks the index for.
    make_wheel(tmp_path / "dist", "misfit", "1.0", requires=["stalldep"])
    argv = safe_pip_argv(
        "--fix", "--python", str(shared_venv), "install", "--timeout", "120", "--retries", "0",
        "--index-url", f"http://127.0.0.1:{stalling_index.port}/simple", str(wrong),
    )  # fmt: skip
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    pips = _wait_for_pip(process, stalling_index)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert b"is not a supported wheel" in stderr  # attempt 1 ran and failed
    assert b"attempt 2/" in stderr
    assert b"attempt 3/" not in stderr
    assert b"Traceback" not in stderr
    for pid in pips:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_pip_killed_by_a_signal_reports_128_plus_it_and_is_not_retried(
    shared_venv: Path, env: dict[str, str], stalling_index: _StallingIndex
) -> None:
    argv = safe_pip_argv(
        "--fix", "--python", str(shared_venv), "install", "--timeout", "120", "--retries", "0",
        "--index-url", f"http://127.0.0.1:{stalling_index.port}/simple", "anything",
    )  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    for pid in _wait_for_pip(process, stalling_index):
        os.kill(pid, signal.SIGKILL)  # the OOM killer, or `kill -9` from another shell
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGKILL, stderr
    assert b"attempt 2/" not in stderr
    assert b"Traceback" not in stderr


def test_a_reader_that_stops_early_does_not_stop_the_install(
    tmp_path: Path, fresh_venv: Path, env: dict[str, str], wheelhouse: Path
) -> None:
    """`safe-pip install -v chatty | head -1`: the pipe closes after one line while the build still prints
    (1.5 MB, far more than a pipe holds); pip goes on, the install succeeds, the saved log is whole."""
    make_sdist(
        tmp_path / "src",
        "chatty",
        "1.0",
        setup_py_project(
            "chatty",
            """\
            import sys
            from setuptools import setup
            for number in range(30000):
                print(f"chatty build line {number} " + "." * 40)
            sys.stdout.flush()
            setup(name="chatty", version="1.0", py_modules=["chatty"])
            """,
            extra_files={"chatty.py": "VALUE = 1\n"},
        ),
    )
    argv = safe_pip_argv(
        "--python", str(fresh_venv), "install", "-v", "--no-index",
        "--find-links", str(wheelhouse), "--find-links", str(tmp_path / "src"), "chatty",
    )  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()
    with process.stderr:
        stderr = process.stderr.read()
    assert process.wait(timeout=300) == 0, stderr
    assert b"Traceback" not in stderr
    installed = subprocess.run([str(fresh_venv), "-c", "import chatty"], check=False)
    assert installed.returncode == 0
    logs = list(Path(env["XDG_STATE_HOME"]).rglob("*.log"))
    assert len(logs) == 1
    saved = logs[0].read_bytes()
    assert b"chatty build line 29999 " in saved
    assert b"Successfully installed chatty-1.0" in saved


def test_a_terminal_that_cannot_show_unicode_gets_replacements_not_an_error(
    tmp_path: Path, shared_venv: Path, env: dict[str, str]
) -> None:
    # LANG=C or a legacy console: safe-pip's own text (here the log's path, under a folder named "état"; in
    # `diagnose`, a build's line naming "café.h") shows `?` for what the stream cannot encode.
    ascii_env = {**env, "PYTHONIOENCODING": "ascii", "XDG_STATE_HOME": str(tmp_path / "\u00e9tat")}
    argv = safe_pip_argv("--python", str(shared_venv), "install", "--no-index", "no-such-project")
    result = _run(argv, ascii_env)
    assert result.returncode == 1, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"internal error" not in result.stderr
    assert b"safe-pip: full log: " + str(tmp_path).encode() + b"/?tat/" in result.stderr
    log = tmp_path / "build.log"
    log.write_text("  accent.c:2:10: fatal error: caf\u00e9.h: No such file or directory\n", encoding="utf-8")
    diagnosed = _run(safe_pip_argv("diagnose", str(log)), ascii_env)
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert b"line 1: accent.c:2:10: fatal error: caf?.h: No such file or directory" in diagnosed.stdout
    assert diagnosed.stderr == b""
