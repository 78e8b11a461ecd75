"""--fix, --suggest and --json-report with real pip against local fixtures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import install_pip, make_venv, safe_pip_argv
from tests.lab.factory import c_extension_project, make_sdist, make_wheel

pytestmark = pytest.mark.e2e


@pytest.fixture
def compiler_case(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> tuple[Path, list[str], dict[str, str]]:
    """fastmath 2.0 is an sdist that needs a C compiler (none on PATH); fastmath 1.0 has a wheel."""
    make_sdist(tmp_path / "src", "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    make_wheel(tmp_path / "src", "fastmath", "1.0")
    (tmp_path / "bin").mkdir()
    python = make_venv(tmp_path / "venv")
    pip_args = [
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--find-links",
        str(tmp_path / "src"),
        "fastmath",
    ]
    return python, pip_args, dict(env, PATH=str(tmp_path / "bin"))


def _safe_pip(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """safe-pip as a user runs it, with its output captured as text."""
    return subprocess.run(
        safe_pip_argv(*args), env=env, capture_output=True, text=True, check=False, timeout=300
    )


def _logs(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["XDG_STATE_HOME"]) / "safe-pip" / "log").glob("pip-*.log"))


def test_fix_installs_the_newest_release_with_a_wheel(
    compiler_case: tuple[Path, list[str], dict[str, str]], tmp_path: Path
) -> None:
    python, pip_args, env = compiler_case
    report = tmp_path / "report.json"
    result = _safe_pip("--fix", "--json-report", str(report), "--python", str(python), *pip_args, env=env)
    assert result.returncode == 0, result.stderr
    # the target's pip, asked with the user's --find-links, found 1.0 as the newest release with a wheel
    assert (
        "safe-pip: attempt 2/3: retrying with --only-binary fastmath fastmath==1.0 (missing-compiler)"
        in result.stderr
    )
    assert "safe-pip: fixed in 2 attempts (pin-to-wheel)" in result.stderr
    installed = subprocess.run(
        [str(python), "-c", "import fastmath; print(fastmath.VERSION)"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert installed.stdout == "1.0\n"
    data = json.loads(report.read_text())
    assert data["schema_version"] == 1
    assert data["exit_code"] == 0
    assert [(a["fix"], a["exit_code"]) for a in data["attempts"]] == [(None, 1), ("pin-to-wheel", 0)]
    assert data["attempts"][0]["diagnoses"][0]["category"] == "missing-compiler"
    assert data["attempts"][1]["argv"][4:6] == ["--only-binary", "fastmath"]
    assert data["attempts"][1]["argv"][-1] == "fastmath==1.0"
    assert Path(data["log_file"]).exists()


def test_safe_pip_fix_environment_variable(compiler_case: tuple[Path, list[str], dict[str, str]]) -> None:
    python, pip_args, env = compiler_case
    result = _safe_pip("--python", str(python), *pip_args, env=dict(env, SAFE_PIP_FIX="1"))
    assert result.returncode == 0, result.stderr


def test_suggest_never_runs_pip_a_second_time(compiler_case: tuple[Path, list[str], dict[str, str]]) -> None:
    python, pip_args, env = compiler_case
    result = _safe_pip("--suggest", "--python", str(python), *pip_args, env=dict(env, SAFE_PIP_FIX="1"))
    assert result.returncode == 1
    assert (
        f"safe-pip: --fix would run: safe-pip --python {python} install --only-binary fastmath --no-index"
        in (result.stderr)
    )
    assert result.stderr.rstrip().endswith("fastmath==1.0") or "fastmath==1.0\n" in result.stderr
    # one install run, one saved log (pin-to-wheel's `pip install --dry-run` query installs nothing)
    assert len(_logs(env)) == 1
    assert (
        "fastmath"
        not in subprocess.run(
            [str(python), "-m", "pip", "list"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )


def test_a_wheel_for_another_platform_is_replaced_by_the_right_one(
    tmp_path: Path, shared_venv: Path, env: dict[str, str]
) -> None:
    wrong = make_wheel(tmp_path / "download", "winonly", "1.0", "cp311-cp311-win_amd64")
    make_wheel(tmp_path / "index", "winonly", "1.0")  # the py3-none-any one, on the find-links "index"
    result = _safe_pip(
        "--fix",
        "--python",
        str(shared_venv),
        "install",
        "--no-index",
        "--find-links",
        str(tmp_path / "index"),
        str(wrong),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "retrying with --only-binary winonly (unsupported-wheel)" in result.stderr


def test_a_pip_too_old_for_the_wheels_is_upgraded_in_the_venv_and_the_command_rerun(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """pip 19.3.1 does not know manylinux_2_28, the only wheel of `fresh`: it finds no release at all."""
    import platform

    make_wheel(tmp_path / "links", "fresh", "1.0", f"py3-none-manylinux_2_28_{platform.machine()}")
    python = make_venv(tmp_path / "venv")
    install_pip(python, "19.3.1", env)
    pip_args = [
        "install",
        "--no-index",
        "--find-links",
        str(tmp_path / "links"),
        "--find-links",
        str(wheelhouse),
    ]
    report = tmp_path / "report.json"
    result = _safe_pip(
        "--fix", "--json-report", str(report), "--python", str(python), *pip_args, "fresh", env=env
    )
    assert result.returncode == 0, result.stderr
    # The index, asked through this pip, confirms it (issue 14): the wheel fits the machine, not the pip.
    assert (
        "fresh 1.0 has wheels this machine can run, but pip 19.3.1 is too old to know their tags"
        in result.stderr
    )
    sources = f"--no-index --find-links {tmp_path / 'links'} --find-links {wheelhouse}"
    assert (
        f"safe-pip: attempt 2/3: retrying with the same command after `pip install --upgrade pip {sources}` "
        "(no-matching-distribution)" in result.stderr
    )
    assert "safe-pip: fixed in 2 attempts (upgrade-pip)" in result.stderr
    data = json.loads(report.read_text())
    assert [(a["fix"], a["exit_code"]) for a in data["attempts"]] == [(None, 1), ("upgrade-pip", 0)]
    assert data["attempts"][0]["argv"] == data["attempts"][1]["argv"]  # the user's command, run again
    version = subprocess.run(
        [str(python), "-m", "pip", "--version"], env=env, capture_output=True, text=True, check=True
    )
    assert not version.stdout.startswith("pip 19."), version.stdout


def test_an_externally_managed_python_is_not_retried(tmp_path: Path, env: dict[str, str]) -> None:
    from tests.lab.interpreters import externally_managed_copy

    python = externally_managed_copy(tmp_path / "os-python")
    if python is None:
        pytest.skip("cannot copy this interpreter")
    make_wheel(tmp_path / "wheels", "tinypkg", "1.0")
    result = _safe_pip(
        "--fix",
        "--python",
        str(python),
        "install",
        "--no-index",
        "--find-links",
        str(tmp_path / "wheels"),
        "tinypkg",
        env=env,
    )
    assert result.returncode == 1
    assert "externally-managed-environment (rule externally-managed" in result.stderr
    assert "--fix found no safe fix to apply" in result.stderr
    assert "attempt 2" not in result.stderr


CGROUP_V1 = Path("/sys/fs/cgroup/memory")


def _empty_and_remove(group: Path) -> None:
    """Kill what is left in the cgroup (after a timeout, the build may still run), then remove it."""
    import os
    import signal
    import time

    for _ in range(50):
        pids = [int(pid) for pid in (group / "cgroup.procs").read_text().split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    group.rmdir()


@pytest.mark.slow
@pytest.mark.skipif(
    not (CGROUP_V1 / "cgroup.procs").exists() or __import__("os").geteuid() != 0,
    reason="needs root and the cgroup v1 memory controller",
)
def test_a_build_out_of_memory_succeeds_with_fewer_jobs(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """Four ~165 MB compiles at once in a 400 MB cgroup: killed; safe-pip sizes MAX_JOBS from the cgroup's
    memory and the retry, one compile at a time, fits with room to spare (a limit just above the need makes
    the kernel evict page cache for minutes instead of killing anything)."""
    import os

    from tests.lab.projects import parallel_build_project

    make_sdist(
        tmp_path / "src", "bigbuild", "1.0", parallel_build_project("bigbuild", modules=4, elements=400_000)
    )
    python = make_venv(tmp_path / "venv")
    group = CGROUP_V1 / f"safe-pip-test-{os.getpid()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(400 << 20))
        # No swap for the group: on a machine with swap the four compiles would be swapped out, slowly, instead
        # of killed at once (the flake of a loaded CI machine); memory+swap at the same limit and swappiness 0.
        if (group / "memory.memsw.limit_in_bytes").exists():
            (group / "memory.memsw.limit_in_bytes").write_text(str(400 << 20))
        (group / "memory.swappiness").write_text("0")
        into_group = ["/bin/sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh"]
        result = subprocess.run(
            [
                *into_group,
                *safe_pip_argv(
                    "--fix",
                    "--python",
                    str(python),
                    "install",
                    "--no-index",
                    "--find-links",
                    str(wheelhouse),
                    "--find-links",
                    str(tmp_path / "src"),
                    "bigbuild",
                ),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            # ~20 s alone; a fresh-clone CI run (another worker compiling beside it) once passed 300 s while the
            # kernel reclaimed the group's page cache before killing a compile: the outcome is the same, later
            timeout=900,
        )
    finally:
        _empty_and_remove(group)
    assert "out-of-memory" in result.stderr, result.stderr[-3000:]
    # 400 MB holds one 2.5 GB-sized job at most: straight to one job, which fits.
    assert "attempt 2/3: retrying with MAX_JOBS=1 " in result.stderr, result.stderr[-4000:]
    assert result.returncode == 0, result.stderr[-3000:]
    # The command to paste next time keeps the fewer jobs.
    assert "fixed in 2 attempts (limit-build-jobs): MAX_JOBS=1 " in result.stderr


def test_the_history_makes_the_second_run_take_the_working_fix_first(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """hungry 2.0's build says it runs its compiles as parallel jobs, then asks for more memory than any
    machine has (a real MemoryError, so fewer build jobs do not help); hungry 1.0 has a wheel. The first run
    learns that fewer jobs failed and the wheel worked; the second run, in a new venv of the same Python, goes
    straight to the wheel."""
    from tests.lab.projects import setup_py_project

    build = """\
        from setuptools import setup
        print("compiling 4 extensions with 4 jobs", flush=True)
        print("reserving the build's working memory", flush=True)
        workspace = bytearray(1 << 47)  # 128 TiB: more than a 47-bit address space holds
        setup(name="hungry", version="2.0")
        """
    make_sdist(tmp_path / "src", "hungry", "2.0", setup_py_project("hungry", build, version="2.0"))
    make_wheel(tmp_path / "src", "hungry", "1.0")
    pip_args = [
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--find-links",
        str(tmp_path / "src"),
    ]

    def install(venv: str, *options: str) -> subprocess.CompletedProcess[str]:
        python = make_venv(tmp_path / venv)
        return _safe_pip(
            "--fix", "--max-attempts", "4", *options, "--python", str(python), *pip_args, "hungry", env=env
        )

    first = install("venv1")
    assert first.returncode == 0, first.stderr
    assert "attempt 2/4: retrying with MAX_JOBS=" in first.stderr, first.stderr[-4000:]
    assert "(out-of-memory)" in first.stderr
    assert "--only-binary hungry (out-of-memory)" in first.stderr
    history = subprocess.run(
        safe_pip_argv("history", "--json"), env=env, capture_output=True, text=True, check=True
    )
    records = [
        (r["package"], r["category"], r["fix"], r["worked"]) for r in json.loads(history.stdout)["records"]
    ]
    assert records[-1] == ("hungry", "out-of-memory", "only-binary", True)
    assert ("hungry", "out-of-memory", "limit-build-jobs", False) in records

    second = install("venv2")
    assert second.returncode == 0, second.stderr
    assert (
        "attempt 2/4: retrying with --only-binary hungry (out-of-memory; it worked before for hungry)"
        in second.stderr
    )
    assert "attempt 3" not in second.stderr
    assert "safe-pip: fixed in 2 attempts (only-binary)" in second.stderr

    third = install("venv3", "--no-history")
    assert "attempt 2/4: retrying with MAX_JOBS=" in third.stderr
    assert "worked before" not in third.stderr


def test_verify_import_diagnoses_a_module_that_installs_but_does_not_import(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """undefsym builds and installs (the linker allows undefined symbols in a shared object), then fails to
    import; tinypkg imports. Without --verify-import the install is a success; with it, exit 1 and the
    undefined-symbol diagnosis."""
    from tests.lab.projects import c_source_project, module_source

    body = "extern int missing_function_xyz(void);\nint call_it(void) { return missing_function_xyz(); }"
    make_sdist(
        tmp_path / "src",
        "undefsym",
        "1.0",
        c_source_project("undefsym", module_source("undefsym", body=body)),
    )
    make_wheel(tmp_path / "src", "tinypkg", "1.0")
    python = make_venv(tmp_path / "venv")
    pip_args = [
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--find-links",
        str(tmp_path / "src"),
    ]
    plain = _safe_pip("--python", str(python), *pip_args, "tinypkg", "undefsym", env=env)
    assert plain.returncode == 0, plain.stderr
    assert "import" not in plain.stderr
    checked = _safe_pip(
        "--verify-import",
        "--python",
        str(python),
        *pip_args,
        "--force-reinstall",
        "tinypkg",
        "undefsym",
        env=env,
    )
    assert checked.returncode == 1, checked.stderr
    assert "safe-pip: installed, but importing failed: undefsym (from undefsym)" in checked.stderr
    assert "abi-mismatch (rule undefined-symbol" in checked.stderr
    assert "undefined symbol: missing_function_xyz" in checked.stderr
    good = _safe_pip(
        "--verify-import", "--python", str(python), *pip_args, "--force-reinstall", "tinypkg", env=env
    )
    assert good.returncode == 0, good.stderr
    assert "safe-pip: --verify-import: imported tinypkg" in good.stderr
    # pip -q prints no "Successfully installed": the names come from the requirement files, nested too.
    (tmp_path / "req").mkdir()
    (tmp_path / "req" / "base.txt").write_text("undefsym==1.0\n")
    (tmp_path / "requirements.txt").write_text("tinypkg  # pure\n-r req/base.txt\n")
    quiet = _safe_pip(
        "--verify-import",
        "--python",
        str(python),
        *pip_args,
        "-q",
        "--force-reinstall",
        "-r",
        str(tmp_path / "requirements.txt"),
        env=env,
    )
    assert quiet.returncode == 1, quiet.stderr
    assert "safe-pip: installed, but importing failed: undefsym (from undefsym)" in quiet.stderr


def test_an_undeclared_build_dependency_that_is_installed_is_built_against(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    """needsdep's setup.py imports tinydep without declaring it. With tinydep installed in the target, --fix
    retries with --no-build-isolation; without it, that fix is only printed (install tinydep first)."""
    from tests.lab.projects import import_at_build_project

    make_sdist(tmp_path / "src", "needsdep", "1.0", import_at_build_project("needsdep", "tinydep"))
    make_wheel(tmp_path / "src", "tinydep", "1.0")
    pip_args = [
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--find-links",
        str(tmp_path / "src"),
    ]
    # First, before pip's cache holds a built wheel of needsdep:
    bare = make_venv(tmp_path / "bare")
    printed = _safe_pip("--suggest", "--python", str(bare), *pip_args, "needsdep", env=env)
    assert printed.returncode == 1
    # tinydep goes into the same target, from the same sources (--no-index: not from a public index)
    assert (
        f"fix: safe-pip --python {bare} install --no-index --find-links {wheelhouse} --find-links "
        f"{tmp_path / 'src'} tinydep && safe-pip --python {bare} install --no-build-isolation"
    ) in printed.stderr
    # needsdep has no wheel at all: --only-binary could not work, so it is not offered.
    assert "--fix would not retry: no safe fix applies" in printed.stderr

    # Asked for in the same command, tinydep is installed first, then needsdep built against it (with a
    # cache of its own, where no wheel of needsdep is yet).
    together = make_venv(tmp_path / "together")
    both = _safe_pip(
        "--fix",
        "--no-history",  # what it learns would be the next part's "it worked before"
        "--python",
        str(together),
        *pip_args,
        "tinydep",
        "needsdep",
        env=dict(env, XDG_CACHE_HOME=str(tmp_path / "together-cache")),
    )
    assert both.returncode == 0, both.stderr[-3000:]
    assert "retrying with --no-build-isolation after `pip install --no-index" in both.stderr

    python = make_venv(tmp_path / "venv")
    subprocess.run(
        [str(python), "-m", "pip", *pip_args, "tinydep", "setuptools", "wheel"],
        env=env,
        capture_output=True,
        check=True,
    )
    fixed = _safe_pip("--fix", "--python", str(python), *pip_args, "needsdep", env=env)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert "attempt 2/3: retrying with --no-build-isolation (undeclared-build-dependency)" in fixed.stderr


def _answer_in_terminal(argv: list[str], env: dict[str, str], answer: bytes) -> tuple[int, bytes]:
    """Run `argv` on a pseudo-terminal (stdin too, as in a shell); type `answer` when it asks [y/N]."""
    import os
    import pty
    import select

    primary, secondary = pty.openpty()
    process = subprocess.Popen(argv, stdin=secondary, stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    answered = False
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not answered and seen.rstrip().endswith(b"[y/N]"):
            os.write(primary, answer)
            answered = True
    os.close(primary)
    return process.wait(timeout=60), seen


@pytest.mark.parametrize(("answer", "exit_code", "runs"), [(b"y\n", 0, 2), (b"\n", 1, 1)], ids=["yes", "no"])
def test_in_a_terminal_the_top_safe_fix_is_offered_and_applied_only_on_yes(
    compiler_case: tuple[Path, list[str], dict[str, str]], answer: bytes, exit_code: int, runs: int
) -> None:
    python, pip_args, env = compiler_case
    code, seen = _answer_in_terminal(safe_pip_argv("--python", str(python), *pip_args), env, answer)
    text = seen.decode(errors="replace")
    assert "safe-pip: Retry with --only-binary fastmath fastmath==1.0? [y/N]" in text
    assert code == exit_code, text
    assert len(_logs(env)) == runs
