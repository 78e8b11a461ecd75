"""The saved log, end to end. A log cut short by a full disk: the diagnosis reads pip's output from safe-pip's
own bounded copy (which keeps the end, where the error is), not the truncated file, and says the log is
incomplete. Two pip runs in one second (a --fix retry) keep two logs.

pip is a stand-in interpreter (a script passed as `--python`) whose `-m pip` prints what the test needs;
anything else (safe-pip's probes) runs the real Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import safe_pip_argv

BUILD_ERROR = (
    "      error: command 'gcc' failed: No such file or directory\n"
    "      [end of output]\n"
    "  ERROR: Failed building wheel for fastmath\n"
    "ERROR: Could not build wheels for fastmath, which is required to install pyproject.toml-based projects\n"
)


def _long_build_python(folder: Path) -> Path:
    """A Python whose pip prints ~8 MB of build lines (more than safe-pip keeps in memory) then fails."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "python"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "if sys.argv[1:3] == ['-m', 'pip']:\n"
        "    out = sys.stdout\n"
        "    out.write('Collecting fastmath\\n  Building wheel for fastmath (pyproject.toml): started\\n')\n"
        "    for n in range(160_000):\n"
        "        out.write(f'      copying src/fastmath/generated/module_{n:06d}.py -> build/lib\\n')\n"
        "    out.flush()\n"
        f"    sys.stderr.write({BUILD_ERROR!r})\n"
        "    sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def test_a_log_cut_short_by_a_full_disk_is_not_what_is_diagnosed(
    tmp_path: Path, small_disk: Path, env: dict[str, str]
) -> None:
    python = _long_build_python(tmp_path / "bin")
    env = dict(env, XDG_STATE_HOME=str(small_disk))  # the log folder is on the 64 KiB disk
    result = subprocess.run(
        safe_pip_argv("--python", str(python), "install", "fastmath"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    messages = [line for line in result.stderr.splitlines() if line.startswith("safe-pip:")]
    said = "\n".join(messages)
    assert "pip install failed (exit code 1) while installing fastmath: missing-compiler" in said, said
    assert "is incomplete: No space left on device" in said
    (log,) = small_disk.rglob("pip-*.log")
    assert f"saved log, incomplete (the diagnosis read pip's output itself): {log}" in said
    assert "full log:" not in said


def test_two_attempts_in_one_second_keep_both_logs_and_report_the_last(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """--fix retries at once (a build killed for memory, retried with fewer jobs): both runs start within the
    same second, so their logs would share a name; the second's must exist and be the report's log_file."""
    folder = tmp_path / "bin"
    folder.mkdir()
    python = folder / "python"
    python.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "if sys.argv[1:3] == ['-m', 'pip']:\n"
        "    print('Collecting fastmath\\n  Building wheel for fastmath (pyproject.toml): started', flush=True)\n"
        "    if os.environ.get('MAX_JOBS'):\n"
        "        print('Successfully installed fastmath-1.0')\n"
        "        sys.exit(0)\n"
        "    sys.stderr.write('      ninja: build stopped: subcommand failed.\\n'\n"  # parallel jobs
        "                     '      c++: fatal error: Killed signal terminated program cc1plus\\n'\n"
        "                     '  ERROR: Failed building wheel for fastmath\\n')\n"
        "    sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    python.chmod(0o755)
    report = tmp_path / "report.json"
    result = subprocess.run(
        safe_pip_argv(
            "--fix",
            "--no-history",
            "--json-report",
            str(report),
            "--python",
            str(python),
            "install",
            "fastmath",
        ),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert len(data["attempts"]) == 2, data
    logs = sorted((tmp_path / "state").rglob("pip-*.log"), key=lambda path: path.stat().st_mtime)
    assert len(logs) == 2, result.stderr
    assert data["log_file"] == str(logs[-1])
    assert b"Successfully installed fastmath-1.0" in logs[-1].read_bytes()
    assert b"Killed signal terminated program" in logs[0].read_bytes()
