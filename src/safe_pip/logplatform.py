"""Which kind of machine a pasted log comes from, read from the lines a diagnosis rests on.

`safe-pip diagnose` of a log from elsewhere knows nothing of that machine, yet its fix commands must not send
a Windows user to apt-get: the lines themselves say where they were printed (MSVC's `C1083`, `[WinError 5]`, a
`C:\\` path; macOS's `macosx-` build folders, ld64's "library not found for -l", Homebrew's paths; a conda
environment's compiler names and folders; Alpine's `apk add`, musl and the flags its Pythons build with).
Pure: text in, a guess out (None when the lines do not say).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LogPlatform", "log_platform"]

# Each pattern names something only that system prints, as it appears in a pip log.
_WINDOWS = re.compile(
    r"(?<![\w/])[A-Za-z]:\\"  # C:\Users\...   c:\\python39\\...
    r"|\[WinError \d+\]"  # [WinError 5] Access is denied
    r"|\bfatal error C\d{4}\b|\bLNK\d{4}\b"  # MSVC's compiler and linker codes
    r"|\b(?:win-amd64|win32|win_amd64|win-arm64|win_arm64)\b"  # build folders and wheel tags
    r"|\bAppData\\|\\Scripts\\(?:pip|python)"
)
_MACOS = re.compile(
    r"\bmacosx[-_]\d"  # build/temp.macosx-11.0-arm64-cpython-311, macosx_11_0_arm64 wheels
    r"|/private/var/folders/|^/var/folders/|\s/var/folders/"  # macOS's temporary folders
    r"|/opt/homebrew/|/usr/local/Cellar/|/Library/Frameworks/Python\.framework/"
    r"|\bxcrun: |\bxcode-select: "
    r"|(?:^|\s)ld: library not found for -l"  # ld64's wording (GNU ld: "cannot find -l")
    r"|(?:^|\s)ld: library '[^']+' not found"  # Xcode 15's linker
    r"|\bld: symbol\(s\) not found for architecture|Undefined symbols for architecture"
    r"|-darwin\.so\b|\bapple-darwin"
    r"|\bdlopen\([^)]*\.dylib"  # macOS's loader: dlopen(libhdf5.dylib, 6): image not found
    r"|clang(?:\+\+)?: error: unsupported option '-fopenmp'"  # Apple's clang (a Linux clang has OpenMP)
)
# A Linux build's own names (its build folders, Debian's compiler name): such a line counts for no other
# system whatever folders it names (TA-Lib's setup.py adds -I/opt/homebrew/include and
# -L/opt/homebrew/opt/ta-lib/lib on every system: an Ubuntu paste's compile and link lines).
_LINUX = re.compile(r"\b(?:temp|lib)\.linux-\w|\b\w+-linux-gnu-(?:gcc|g\+\+|cc)\b")
_CONDA = re.compile(
    r"conda[-_](?:linux|cos\d)"  # x86_64-conda-linux-gnu-cc, x86_64-conda_cos6-linux-gnu-gcc
    r"|apple-darwin\d+(?:\.\d+)*-clang"  # conda's clang on macOS: x86_64-apple-darwin13.4.0-clang
    r"|[/\\](?:mini|ana)conda\d?[/\\]|[/\\](?:miniforge|mambaforge)\d?[/\\]"
    r"|[/\\]compiler_compat[/\\]"
)

# Alpine Linux (musl): its package manager's advice, musl's names, and the flag Alpine's Pythons (the
# distribution's and the python:*-alpine images') are built with, which their compile commands repeat.
_ALPINE = re.compile(
    r"\bapk add\b|\bmusl-dev\b|/lib/ld-musl-|-linux-musl|\bmusllinux_\d"
    r"|-DTHREAD_STACK_SIZE=0x100000\b|-Os -fomit-frame-pointer\b"
    r"|\balpine\d*[:/-]|[:-]alpine(?:\d[\d.]*)?\b"  # alpine:3.19, python:alpine, python:3.12-alpine3.19
)

# A package's own advice naming the system's package manager (psutil's "Try running:" then "sudo apk add gcc
# python3-dev musl-dev linux-headers", "yum install python3-devel", "brew install libomp"): the fix commands
# are that manager's, whatever the compile lines show. The command at the start of the line or after a
# colon, `sudo`, a quote, a backtick or "run"/"try"/"use"/"with"/"via" (not in the middle of other prose).
_ADVICE = re.compile(
    r"(?:^\s*|[:;`'\"(]\s*|\$ |\bsudo |\b(?:[Rr]un|[Tt]ry|[Uu]se|[Ww]ith|via)\s+)"
    r"(?P<command>apt-get install|apt install|apk add|dnf install|yum install|zypper install|zypper in"
    r"|pacman -S|brew install)\s+[\w@.+-]"
)
_ADVICE_MANAGER = {
    "apt-get install": "apt",
    "apt install": "apt",
    "apk add": "apk",
    "dnf install": "dnf",
    "yum install": "yum",
    "zypper install": "zypper",
    "zypper in": "zypper",
    "pacman -S": "pacman",
    "brew install": "brew",
}


@dataclass(frozen=True)
class LogPlatform:
    """The system a log was printed on (`sys.platform`'s names: "win32", "darwin", "linux"; None: the lines
    do not say), whether pip ran in a conda environment, whether on Alpine Linux (musl, apk), and the package
    manager the log's own advice names ("apt", "dnf", "yum", "apk", "zypper", "pacman", "brew"; None: none
    or more than one)."""

    system: str | None = None
    conda: bool = False
    alpine: bool = False
    manager: str | None = None


def log_platform(lines: Iterable[str]) -> LogPlatform:
    """The system the lines name most often (a tie, or none: unknown), whether one names conda or Alpine
    (Alpine only when neither Windows nor macOS is named: then the system is Linux), and the package manager
    the lines' advice names (one only; Homebrew's advice counts as a macOS line, a Linux manager's makes the
    system Linux when no line names Windows or macOS)."""
    windows = macos = 0
    conda = alpine = False
    managers: set[str] = set()
    for line in lines:
        if not _LINUX.search(line):
            windows += bool(_WINDOWS.search(line))
            macos += bool(_MACOS.search(line))
        conda = conda or bool(_CONDA.search(line))
        alpine = alpine or bool(_ALPINE.search(line))
        advice = _ADVICE.search(line)
        if advice is not None:
            manager = _ADVICE_MANAGER[advice.group("command")]
            managers.add(manager)
            macos += manager == "brew" and not _MACOS.search(line)
    named = next(iter(managers)) if len(managers) == 1 else None
    system = "win32" if windows > macos else "darwin" if macos > windows else None
    if managers and "brew" not in managers and system is None:
        system = "linux"
    if (named == "brew") != (system == "darwin") or system == "win32":
        named = None  # Homebrew on Linux, apt on a macOS log, any on Windows: the lines disagree
    if alpine and system in (None, "linux") and named in (None, "apk"):
        return LogPlatform(system="linux", conda=conda, alpine=True, manager=named)
    return LogPlatform(system=system, conda=conda, manager=named)
