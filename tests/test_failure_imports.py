"""What a failed install's diagnosis imports (issue 17): modules it does not need on every failure are
imported where they are used, so that a failure's own cost is not theirs. Each check runs in a fresh
interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported_after(code: str, names: tuple[str, ...]) -> dict[str, bool]:
    check = code + f"import sys\nprint(' '.join(str(name in sys.modules) for name in {names!r}))\n"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), "SAFE_PIP_PURE_SCAN": "1"}
    done = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
    return dict(zip(names, (word == "True" for word in done.stdout.split())))


def test_the_failure_flow_does_not_import_subprocess() -> None:
    """probe runs its programs through subprocess, and a build failure's diagnosis runs none of them:
    `import subprocess` (with threading, selectors, locale: ~5-8 ms of CPU) waits for the first probe
    that runs one."""
    imported = _imported_after(
        "from safe_pip import cli\nfor name in cli._DIAGNOSIS_MODULES:\n    __import__(name)\n",
        ("subprocess", "safe_pip.probe"),
    )
    assert imported == {"subprocess": False, "safe_pip.probe": True}


def test_a_probe_that_runs_a_program_still_runs_it() -> None:
    imported = _imported_after(
        "from safe_pip.probe import run_merged\n"
        "import sys\n"
        "assert run_merged([sys.executable, '-c', 'print(42)']) == (0, '42\\n')\n",
        ("subprocess",),
    )
    assert imported == {"subprocess": True}


_NO_FILES = """
from safe_pip.index import INDEX_MARK, explain, parse_index_output
from safe_pip.wheeltags import InterpreterTags
import json
answer = {"links": [], "fetch": [], "error": None, "index_urls": [], "find_links": [], "no_index": True}
query = parse_index_output(INDEX_MARK + json.dumps(answer) + "\\n", "No_Such.Project")
assert query is not None and query.project == "no-such-project", query
target = InterpreterTags("cp", (3, 11), "cp311", "linux", "x86_64", ("cp311-cp311-linux_x86_64",), (2, 36))
found = explain(query, target, python_version="3.11.7", requested=">=1.0", similar=("requests",))
assert found is not None and found.kind == "no-such-project", found
"""


def test_an_index_answer_without_files_is_read_without_packaging() -> None:
    """A project the index lists no file of (a typo, --no-index: the usual no-release failure) is explained
    without packaging's versions, specifiers and tags (with typing, logging and subprocess: ~10-15 ms of
    CPU); a file listed needs them."""
    assert _imported_after(_NO_FILES, ("packaging", "typing", "subprocess")) == {
        "packaging": False,
        "typing": False,
        "subprocess": False,
    }
    with_file = _NO_FILES.replace(
        '"links": []', '"links": [{"file": "no_such_project-1.0-py3-none-any.whl"}]'
    )
    with_file = with_file.replace('found.kind == "no-such-project"', "True")
    assert _imported_after(with_file, ("packaging",)) == {"packaging": True}


def test_the_command_lets_the_garbage_collector_wait() -> None:
    """`safe-pip` (cli.run) raises the collector's first threshold (a failed install's ~40,000 kept objects
    cost 57 collections, 8-11 ms, at Python's 700), and keeps it on and the older generations' thresholds."""
    code = (
        "import gc, json\n"
        "from safe_pip import cli\n"
        "before = gc.get_threshold()\n"
        "def main():\n"
        "    print(json.dumps([before, gc.get_threshold(), gc.isenabled()]))\n"
        "    return 0\n"
        "cli.main = main\n"
        "cli.run()\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    before, after, enabled = json.loads(done.stdout)
    assert after[0] >= 50_000
    assert after[1:] == before[1:]
    assert enabled is True
