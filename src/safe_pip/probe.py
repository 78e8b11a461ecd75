"""Facts about the target interpreter and this machine.

Each fact has a pure `parse_*` over captured text and a `detect_*`/`check_*` that runs the probe, never
raises, and answers None (or a result that says "unknown") when it cannot tell.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safe_pip.wheeltags import InterpreterTags

__all__ = [
    "InterpreterCheck",
    "InterpreterFacts",
    "check_interpreter",
    "detect_interpreter_facts",
    "parse_interpreter_check",
    "parse_interpreter_facts",
]

_CHECK_MARK = "safe-pip-check"
# Runs in the target interpreter, which may be any Python from 2.7 on: no f-strings, no importlib.util.
_CHECK_SCRIPT = (
    "import sys\n"
    "try:\n"
    "    import pip\n"
    "    v = getattr(pip, '__version__', 'unknown')\n"
    "except Exception:\n"
    "    v = '-'\n"
    "sys.stdout.write('%s %d.%d.%d %s\\n' % (('"
    + _CHECK_MARK
    + "',) + tuple(sys.version_info[:3]) + (v,)))\n"
)


@dataclass(frozen=True)
class InterpreterCheck:
    """Whether an interpreter runs, its version, and its pip's version (None: no pip)."""

    runs: bool
    python_version: str | None = None
    pip_version: str | None = None
    problem: str | None = None  # what went wrong, in the interpreter's own words when it said something


def parse_interpreter_check(output: str) -> tuple[str, str | None] | None:
    """(Python version, pip version or None) from the check script's output, or None if it is not there.

    >>> parse_interpreter_check("safe-pip-check 3.11.7 23.2.1\\n")
    ('3.11.7', '23.2.1')
    """
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == _CHECK_MARK:
            return parts[1], (None if parts[2] == "-" else parts[2])
    return None


def check_interpreter(
    python: str, env: Mapping[str, str] | None = None, timeout: float = 30
) -> InterpreterCheck:
    """Run `python` on a tiny script to tell a missing pip from a broken or non-Python program."""
    try:
        completed = subprocess.run(
            [python, "-c", _CHECK_SCRIPT],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return InterpreterCheck(runs=False, problem=f"it did not answer within {timeout:g} s")
    except OSError as error:
        return InterpreterCheck(runs=False, problem=error.strerror or str(error))
    output = completed.stdout.decode("utf-8", "replace")
    parsed = parse_interpreter_check(output)
    if parsed is None:
        said = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip().splitlines()
        problem = said[-1] if said else f"it exited with code {completed.returncode} and printed nothing"
        return InterpreterCheck(runs=False, problem=problem)
    return InterpreterCheck(runs=True, python_version=parsed[0], pip_version=parsed[1])


# Runs in the target interpreter (any Python from 2.7 on, any pip from 9 on): its own view of its tags.
_FACTS_MARK = "safe-pip-facts "
_FACTS_SCRIPT = r"""
import json, os, platform, sys, sysconfig
facts = {"version": list(sys.version_info[:3]), "platform": sys.platform, "machine": platform.machine(),
         "venv": sys.prefix != getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix))}
try:
    facts["glibc"] = os.confstr("CS_GNU_LIBC_VERSION")
except Exception:
    facts["glibc"] = None
facts["macos"] = platform.mac_ver()[0] or None
tags = []
try:
    from pip._vendor.packaging import tags as _tags
    tags = [str(tag) for tag in _tags.sys_tags()]
except Exception:
    for name in ("pip._internal.utils.compatibility_tags", "pip._internal.pep425tags", "pip.pep425tags"):
        try:
            module = __import__(name, fromlist=["get_supported"])
            tags = [tag if isinstance(tag, str) else (str(tag) if hasattr(tag, "platform") else "-".join(tag))
                    for tag in module.get_supported()]
            break
        except Exception:
            pass
facts["tags"] = tags
try:
    import pip
    facts["pip"] = pip.__version__
except Exception:
    facts["pip"] = None
paths = sysconfig.get_paths()
facts["externally_managed"] = os.path.exists(os.path.join(paths.get("stdlib", ""), "EXTERNALLY-MANAGED"))
facts["python_h"] = os.path.exists(os.path.join(paths.get("include", ""), "Python.h"))
facts["site_packages_writable"] = os.access(paths.get("purelib", ""), os.W_OK)
sys.stdout.write("safe-pip-facts " + json.dumps(facts) + "\n")
"""


@dataclass(frozen=True)
class InterpreterFacts:
    """The target interpreter as it sees itself (gathered by running a script in it)."""

    version: tuple[int, int, int]
    platform: str  # sys.platform: "linux", "darwin", "win32"
    machine: str
    tags: tuple[str, ...]  # supported wheel tags, most preferred first, from the target's own pip
    pip_version: tuple[int, ...] | None
    glibc: tuple[int, int] | None
    macos: tuple[int, int] | None
    venv: bool
    externally_managed: bool
    python_h: bool
    site_packages_writable: bool

    def wheel_target(self) -> InterpreterTags:
        """The facts wheel-tag arithmetic needs; the ABI and implementation from the first tag."""
        from safe_pip.wheeltags import InterpreterTags

        first = self.tags[0].split("-") if self.tags else []
        interpreter = first[0] if first else f"cp{self.version[0]}{self.version[1]}"
        implementation = re.sub(r"\d.*$", "", interpreter) or "cp"
        abi = first[1] if len(first) > 1 else interpreter
        return InterpreterTags(
            implementation=implementation,
            version=(self.version[0], self.version[1]),
            abi=abi,
            os=self.platform if self.platform in ("win32", "darwin") else "linux",
            machine=self.machine,
            supported_tags=self.tags,
            glibc=self.glibc,
            macos=self.macos,
            pip_version=self.pip_version,
        )


def parse_interpreter_facts(output: str) -> InterpreterFacts | None:
    """The facts from the script's output; None when they are not there or not readable."""
    for line in output.splitlines():
        if not line.startswith(_FACTS_MARK):
            continue
        try:
            data = json.loads(line[len(_FACTS_MARK) :])
            return InterpreterFacts(
                version=(int(data["version"][0]), int(data["version"][1]), int(data["version"][2])),
                platform=str(data["platform"]),
                machine=str(data["machine"]),
                tags=tuple(str(tag) for tag in data.get("tags") or ()),
                pip_version=_version_tuple(data.get("pip")),
                glibc=_two(_version_tuple((data.get("glibc") or "").replace("glibc", "").strip())),
                macos=_two(_version_tuple(data.get("macos"))),
                venv=bool(data.get("venv")),
                externally_managed=bool(data.get("externally_managed")),
                python_h=bool(data.get("python_h")),
                site_packages_writable=bool(data.get("site_packages_writable")),
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None
    return None


def detect_interpreter_facts(python: str, timeout: float = 20) -> InterpreterFacts | None:
    """Run the facts script in `python`; None when it cannot tell (never raises)."""
    try:
        completed = subprocess.run(
            [python, "-c", _FACTS_SCRIPT],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_interpreter_facts(completed.stdout.decode("utf-8", "replace"))


def _version_tuple(text: object) -> tuple[int, ...] | None:
    if not isinstance(text, str):
        return None
    parts = re.findall(r"\d+", text.split("+")[0])
    return tuple(int(part) for part in parts[:3]) if parts else None


def _two(parts: tuple[int, ...] | None) -> tuple[int, int] | None:
    if not parts:
        return None
    return (parts[0], parts[1] if len(parts) > 1 else 0)
