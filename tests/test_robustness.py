"""What users and CI hand safe-pip that it must take without crashing or guessing: captured text holding
braces, odd option values, closed or early-closing output, safe-pip's options on the wrong side of the pip
command, and an interpreter that is not Python. Each case runs safe-pip as a user does (a subprocess).

Install cases use a stand-in interpreter: a script passed as `--python` whose `-m pip` prints canned output
and exits with a chosen code, and which runs the real Python for anything else (safe-pip's probes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import safe_pip_argv

REQUIRES_PYTHON = "ERROR: Package '{name}' requires a different Python: 3.6.15 not in '>=3.8'\n"
BRACED_NAMES = ["x{", "x}", "x{0}", "{package.__class__}"]
BRACED_IDS = ["open", "close", "positional", "attribute"]


def stand_in_python(
    folder: Path, *, stdout: str = "", stderr: str = "", code: int = 0, label: str | None = None
) -> Path:
    """An executable acting as a Python whose `-m pip ...` prints `stdout`/`stderr` and exits with `code`;
    with a `label` it first prints `<label> pip <its arguments>`."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "python"
    said = f"    print({label!r}, 'pip', *sys.argv[3:])\n" if label else ""
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "if sys.argv[1:3] == ['-m', 'pip']:\n"
        f"{said}"
        f"    sys.stdout.write({stdout!r})\n"
        "    sys.stdout.flush()\n"
        f"    sys.stderr.write({stderr!r})\n"
        f"    sys.exit({code})\n"
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def run(
    *args: str, env: dict[str, str], shell_tail: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """safe-pip with `args`; `shell_tail` (e.g. `>&-`) is a redirection applied by a shell."""
    if not shell_tail:
        return subprocess.run(
            safe_pip_argv(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    import shlex

    command = " ".join(shlex.quote(word) for word in safe_pip_argv(*args)) + " " + shell_tail
    return subprocess.run(
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# -- 1. no input crashes safe-pip ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BRACED_NAMES, ids=BRACED_IDS)
def test_braces_in_a_log_are_diagnosed_not_crashed_on(tmp_path: Path, name: str, env: dict[str, str]) -> None:
    log = tmp_path / "pip.log"
    log.write_text(REQUIRES_PYTHON.format(name=name), encoding="utf-8")
    result = run("diagnose", str(log), env=env)
    assert result.returncode == 0, result.stderr
    assert f"No release of {name} supports this Python version" in result.stdout
    assert f"Use a Python version {name} supports" in result.stdout
    assert "<class" not in result.stdout


@pytest.mark.parametrize("name", BRACED_NAMES, ids=BRACED_IDS)
def test_braces_printed_by_pip_are_diagnosed_not_crashed_on(
    tmp_path: Path, name: str, env: dict[str, str]
) -> None:
    python = stand_in_python(tmp_path, stderr=REQUIRES_PYTHON.format(name=name), code=1)
    result = run("--python", str(python), "--no-history", "install", "x", env=env)
    assert result.returncode == 1, result.stderr
    assert f"safe-pip:   No release of {name} supports this Python version" in result.stderr
    assert "internal error" not in result.stderr
    assert "<class" not in result.stderr


@pytest.mark.parametrize(
    ("args", "environ"),
    [(["--max-attempts", "\u00b2"], {}), ([], {"SAFE_PIP_MAX_ATTEMPTS": "many"})],
    ids=["superscript-option", "bad-environment"],
)
def test_a_bad_max_attempts_is_a_usage_error_of_fix_alone(
    args: list[str], environ: dict[str, str], env: dict[str, str]
) -> None:
    env = {**env, **environ}
    version = run(*args, "--version", env=env)
    assert (version.returncode, version.stderr) == (0, "")
    fixing = run(*args, "--fix", "install", "x", env=env)
    assert fixing.returncode == 2
    assert "--max-attempts needs a whole number" in fixing.stderr
    assert "internal error" not in fixing.stderr


def test_a_closed_stdout_is_not_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    version = run("--version", env=env, shell_tail=">&-")
    assert (version.returncode, version.stderr) == (0, "")
    python = stand_in_python(
        tmp_path, stdout="Collecting x\n", stderr=REQUIRES_PYTHON.format(name="x"), code=1
    )
    failing = run("--python", str(python), "--no-history", "install", "x", env=env, shell_tail=">&-")
    assert failing.returncode == 1, failing.stderr
    assert "Traceback" not in failing.stderr
    assert "likely cause: python-version-unsupported" in failing.stderr
    log = failing.stderr.rsplit("full log: ", 1)[1].strip()
    # The saved log is pip's output once: the closed stdout did not lend its number to the log file.
    assert Path(log).read_text(encoding="utf-8").count("Collecting x") == 1
    listing = run("--python", str(python), "list", env=env, shell_tail=">&-")
    assert listing.returncode == 1, listing.stderr
    assert "Traceback" not in listing.stderr


def test_a_reader_that_leaves_early_gets_the_commands_exit_code(env: dict[str, str]) -> None:
    # `safe-pip rules list --json | head -1`: its output is larger than a pipe holds.
    with subprocess.Popen(
        safe_pip_argv("rules", "list", "--json"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().strip() == b"{"  # the listing object (schema_version, rules)
        process.stdout.close()
        errors = process.stderr.read()
        assert (process.wait(timeout=60), errors) == (0, b"")


def test_a_message_to_a_closed_stderr_is_dropped() -> None:
    import io
    import os

    from safe_pip.render import Console

    reader, writer = os.pipe()
    os.close(reader)
    with io.TextIOWrapper(io.FileIO(writer, "w"), write_through=True) as stream:
        Console(stream=stream, color=False).say("the reader of stderr has left")  # no BrokenPipeError


# -- 8. options are unambiguous -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "meant"),
    [
        (["install", "--fix", "x"], "`safe-pip --fix install x`"),
        (
            ["install", "x", "--max-attempts", "2", "--suggest"],
            "`safe-pip --max-attempts 2 --suggest install x`",
        ),
        (["list", "--no-history"], "`safe-pip --no-history list`"),
    ],
    ids=["fix", "value-and-flag", "passed-through-command"],
)
def test_safe_pip_options_after_the_pip_command_are_pointed_out(
    tmp_path: Path, args: list[str], meant: str, env: dict[str, str]
) -> None:
    option = args[2] if args[1] == "x" else args[1]
    python = stand_in_python(tmp_path, stderr=f"\nUsage: ...\n\nno such option: {option}\n", code=2)
    result = run("--python", str(python), *args, env=env)
    assert result.returncode == 2
    assert f"safe-pip's own options go before the pip command, e.g. {meant}" in result.stderr


def test_pips_own_options_after_the_pip_command_are_not_pointed_out(
    tmp_path: Path, env: dict[str, str]
) -> None:
    python = stand_in_python(tmp_path, code=1, stderr="ERROR: boom\n")
    result = run("--python", str(python), "install", "--no-color", "--python", "y", "x", env=env)
    assert result.returncode == 1
    assert "own options go before" not in result.stderr


@pytest.mark.parametrize(
    "line",
    [
        ["--", "--python", "{chosen}", "install", "x"],
        ["--", "--python={chosen}", "-v", "install", "x"],
        ["--python", "{chosen}", "--", "install", "x"],
        ["--python", "{chosen}", "install", "x"],
    ],
    ids=["pips-python-after-dashes", "inline-with-pip-option", "dashes-after-own-python", "own-python"],
)
def test_the_interpreter_named_with_python_is_the_one_whose_pip_runs(
    tmp_path: Path, line: list[str], env: dict[str, str]
) -> None:
    default = stand_in_python(tmp_path / "default" / "bin", label="default", code=1, stderr="ERROR: boom\n")
    chosen = stand_in_python(tmp_path / "chosen", label="chosen", code=1, stderr="ERROR: boom\n")
    env = {**env, "VIRTUAL_ENV": str(default.parent.parent)}
    result = run(*(word.format(chosen=chosen) for word in line), env=env)
    assert result.returncode == 1, result.stderr
    verbose = " -v" if "-v" in line else ""
    assert result.stdout.splitlines()[0] == f"chosen pip install{verbose} x"
    assert "pip install failed (exit code 1)" in result.stderr  # diagnosed as an install


def test_two_different_interpreters_are_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    one = stand_in_python(tmp_path / "one")
    two = stand_in_python(tmp_path / "two")
    result = run("--python", str(one), "--", "--python", str(two), "install", "x", env=env)
    assert result.returncode == 2
    assert "two interpreters given" in result.stderr


def test_words_after_dashes_without_a_command_go_to_pip_unchanged(
    tmp_path: Path, env: dict[str, str]
) -> None:
    python = stand_in_python(tmp_path, label="it")
    result = run("--python", str(python), "--", "--version", env=env)
    assert (result.returncode, result.stdout) == (0, "it pip --version\n")


@pytest.mark.parametrize("name", ["true", "python3"], ids=["named-otherwise", "named-like-python"])
def test_a_program_that_is_not_python_is_refused_not_a_silent_success(
    tmp_path: Path, name: str, env: dict[str, str]
) -> None:
    program = tmp_path / name
    program.symlink_to("/bin/true")
    result = run("--python", str(program), "install", "foo", env=env)
    assert result.returncode == 2
    assert f"{str(program)!r} (--python) is not a working Python interpreter" in result.stderr


def test_a_quiet_successful_install_with_a_real_python_still_succeeds(
    tmp_path: Path, env: dict[str, str]
) -> None:
    python = stand_in_python(tmp_path, code=0)  # pip -q: nothing printed
    result = run("--python", str(python), "install", "-q", "x", env=env)
    assert (result.returncode, result.stderr) == (0, "")


def test_an_empty_log_name_is_a_usage_error(env: dict[str, str]) -> None:
    result = subprocess.run(
        safe_pip_argv("diagnose", ""),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "diagnose needs a log file name, not an empty one" in result.stderr


# -- 2. log text reaches the terminal without controls --------------------------------------------------

# BS, BEL, a C1 CSI (U+009B), a right-to-left override and an isolate, in a package name pip prints.
SPOOF = "evil\b\b\x07\u009b2K\u202egpj.exe\u2066"
SPOOF_CONTROLS = set("\b\x07\u009b\u202e\u2066")


def test_controls_in_log_text_never_reach_safe_pips_messages(tmp_path: Path, env: dict[str, str]) -> None:
    error = REQUIRES_PYTHON.format(name=SPOOF)
    log = tmp_path / "pip.log"
    log.write_text(error, encoding="utf-8")
    for as_json in ([], ["--json"]):
        result = run("diagnose", *as_json, str(log), env=env)
        assert result.returncode == 0, result.stderr
        assert "evilgpj.exe" in result.stdout
        assert not set(result.stdout) & SPOOF_CONTROLS


def test_pips_own_output_keeps_its_controls_while_safe_pips_lines_lose_them(
    tmp_path: Path, env: dict[str, str]
) -> None:
    error = REQUIRES_PYTHON.format(name=SPOOF)
    python = stand_in_python(tmp_path, stderr=error, code=1)
    result = subprocess.run(
        safe_pip_argv("--python", str(python), "--no-history", "install", "x"),
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    relayed, _, own = result.stderr.partition(b"safe-pip:")
    assert relayed == error.encode()  # pip's output, byte for byte
    own_text = (b"safe-pip:" + own).decode()
    assert "No release of evilgpj.exe supports this Python version" in own_text
    assert not set(own_text) & SPOOF_CONTROLS
