"""Which Python and which platform a pasted pip log was printed for, from its own lines.

`safe-pip diagnose` of a log from elsewhere cannot ask that machine's interpreter; when pip found no release
that fits, the log's other lines often say which Python ran: a `python3.13/site-packages` path, a Windows
`Python313\\` folder, a wheel pip fetched for `cp313`, pip's `--version` banner or its "DEPRECATION: Python
2.7" notice, uv's "Using CPython 3.12.3", a `--python-version 3.15` the command asked for; and which platform:
a `--platform win32` in the command, Windows' `Python311-32` (32-bit) folder, a `linux_armv7l` wheel, musl.
Pure: lines in, what they say out (None where they say nothing, or disagree).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LogPython", "log_python", "platform_family"]

# Each pattern captures the Python as major/minor; the comment shows the line it targets.
_PYTHON_PATTERNS = (
    # /home/u/venv/lib/python3.13/site-packages/pip (a path pip prints: "Requirement already satisfied: x in
    # ...", its --version banner, a traceback); also "python3.13 -m pip install ...", "pip3.12 install ..."
    re.compile(
        r"(?:[/\\]|\b)(?:lib[/\\])?python(?P<major>[23])\.(?P<minor>\d{1,2})[/\\](?:site|dist)-packages\b"
    ),
    re.compile(
        r"(?:^|[\s/\\$>])(?:python|pip)(?P<major>[23])\.(?P<minor>\d{1,2})(?:\.exe)? (?:-m pip )?"
        r"(?:install|download|wheel)\b"
    ),
    re.compile(r"(?:^|[\s/\\$>])python(?P<major>[23])\.(?P<minor>\d{1,2})(?:\.exe)? -m pip\b"),
    # Windows' py launcher: "py -3.12 -m pip install torch", "py -3.11-32 -m pip ...", "py -V:3.13 -m pip ..."
    re.compile(
        r"(?:^|[\s>])py(?:\.exe)? -(?:V:)?(?P<major>[23])\.(?P<minor>\d{1,2})(?:-(?:32|64|arm64))? -m pip\b"
    ),
    # C:\Users\u\AppData\Local\Programs\Python\Python313\Lib\site-packages   ...\Python311-32\python.exe
    # (pip's "Requirement already satisfied: six in c:\users\u\...\python312\lib\site-packages": lower case)
    re.compile(r"[/\\][Pp]ython(?P<major>[23])(?P<minor>\d{1,2})(?:-32|-arm64)?[/\\]"),
    # pip 24.2 from /usr/lib/python3/dist-packages/pip (python 3.12)
    re.compile(r"^pip \d[\w.]* from \S.* \(python (?P<major>[23])\.(?P<minor>\d{1,2})\)$"),
    # a wheel pip fetched or used for this interpreter: numpy-2.1.3-cp313-cp313-manylinux_2_17_x86_64.whl
    re.compile(r"-cp(?P<major>[23])(?P<minor>\d{1,2})-cp(?P=major)(?P=minor)m?u?-[\w.]+\.whl\b"),
    # DEPRECATION: Python 2.7 reached the end of its life on January 1st, 2020. ... (pip 19-20)
    # DEPRECATION: Python 3.5 reached the end of its life on September 13th, 2020. ...
    re.compile(
        r"DEPRECATION: Python (?P<major>[23])\.(?P<minor>\d{1,2}) (?:will reach|reached|is no longer|support)"
    ),
    # uv: "Using CPython 3.12.3 interpreter at: /usr/bin/python3", "Using Python 3.13.0 environment at: .venv"
    re.compile(
        r"\bUsing (?:C|Py)?Python (?P<major>[23])\.(?P<minor>\d{1,2})\.\d+\S* (?:interpreter|environment)\b"
    ),
    # `python --version` in a paste or a CI step: "Python 3.13.0"
    re.compile(r"^Python (?P<major>[23])\.(?P<minor>\d{1,2})\.\d+(?:[abrc+]\w*)?$"),
    # pip's own check: "Package 'x' requires a different Python: 3.6.15 not in '>=3.7'"; pip -v's "Link
    # requires a different Python (3.6.15 not in: '>=3.7')"; uv's "the current Python version (3.8.18)"
    re.compile(r"requires a different Python:? \(?(?P<major>[23])\.(?P<minor>\d{1,2})\.\d+ not in"),
    re.compile(r"\bcurrent Python version \((?P<major>[23])\.(?P<minor>\d{1,2})\.\d+\)"),
)
# The Python the command asked pip to find releases for, whatever ran it: pip download --python-version 3.15
_TARGET_PYTHON = re.compile(r"--python-version[= ](?P<major>[23])\.?(?P<minor>\d{1,2})\b")

# The platform the command asked for: pip download --platform win32 --only-binary=:all: ...
_TARGET_PLATFORM = re.compile(r"--platform[= ](?P<tag>[A-Za-z][\w.]*)")
_PLATFORM_PATTERNS = (
    # Windows' 32-bit Python folder: ...\Programs\Python\Python311-32\Scripts\pip.exe
    (re.compile(r"[/\\][Pp]ython[23]\d{1,2}-32[/\\]"), "win32"),
    (re.compile(r"[/\\][Pp]ython[23]\d{1,2}-arm64[/\\]"), "win-arm64"),
    # the py launcher asked for a 32-bit or an ARM64 Python: "py -3.11-32 -m pip install torch"
    (re.compile(r"(?:^|[\s>])py(?:\.exe)? -(?:V:)?[23]\.\d{1,2}-32 "), "win32"),
    (re.compile(r"(?:^|[\s>])py(?:\.exe)? -(?:V:)?[23]\.\d{1,2}-arm64 "), "win-arm64"),
    # a wheel fetched for the machine: x-1.0-cp311-cp311-linux_armv7l.whl (piwheels), ...-win32.whl
    (
        re.compile(
            r"-cp[23]\d{1,2}-[\w]+-(?P<tag>win32|win_amd64|win_arm64|linux_armv[67]l|musllinux_\d+_\d+_\w+|macosx_\d+_\d+_(?:x86_64|arm64))\.whl\b"
        ),
        None,
    ),
    # uname -m / uname -a on a 32-bit ARM board; musl's loader and target triples
    (re.compile(r"\barmv7l\b|\barmv6l\b"), "linux-armv7l"),
    (re.compile(r"/lib/ld-musl-|-linux-musl\b|\bmusllinux_"), "musllinux"),
    # a Mac on Apple silicon as people describe it, or its Homebrew's own prefix (Intel's is /usr/local)
    (
        re.compile(
            r"\bApple M[1-9]\b|\b[Aa]pple [Ss]ilicon\b|(?:^|[\s'\"=:])/opt/homebrew/|\barm64-apple-darwin"
        ),
        "macos-arm64",
    ),
    # uname -a on 32-bit x86 Linux
    (re.compile(r"\bi686 GNU/Linux\b|\bi686-linux-gnu\b"), "linux-i686"),
    # a manylinux wheel pip fetched for this interpreter: numpy-2.2.6-cp313-cp313-manylinux_2_17_x86_64.
    # manylinux2014_x86_64.whl (pip 24's "Using cached ....whl.metadata" too)
    (re.compile(r"-cp[23]\d{1,2}-\w+-manylinux[\w.]*?_(?P<tag>x86_64|aarch64)\.whl\b"), "linux-"),
    # the 64-bit python.org installer's own folders (the 32-bit one adds "-32", the ARM64 one "-arm64"; 3.5
    # on): ...\AppData\Local\Programs\Python\Python312\Lib\site-packages, C:\Program Files\Python313\
    # (pip lower-cases them in "Requirement already satisfied: ... in c:\users\...\python312\lib\...")
    (
        re.compile(r"(?i)\\(?:programs\\python|program files)\\python3(?:[5-9]|1\d)\\"),
        "win-amd64",
    ),
)
# Windows itself, whatever the bitness: a drive-letter path, PowerShell's prompt, a user's AppData folder.
# Read only when no line names a more precise platform (a wheel tag, the installer's folder).
_WINDOWS_ANY = re.compile(r"(?<![\w/])[A-Za-z]:\\|\bAppData\\")

_NAMES = {
    "win32": "32-bit Windows",
    "win-amd64": "64-bit Windows",
    "win-arm64": "Windows on ARM",
    "windows": "Windows",
    "linux-armv7l": "32-bit ARM Linux (armv7l/armv6l)",
    "linux-x86_64": "x86_64 Linux",
    "linux-aarch64": "64-bit ARM Linux (aarch64)",
    "linux-i686": "32-bit x86 Linux",
    "musllinux": "musl Linux (Alpine)",
    "musllinux-x86_64": "musl Linux (Alpine) on x86_64",
    "musllinux-aarch64": "musl Linux (Alpine) on aarch64",
    "macos-x86_64": "macOS on Intel (x86_64)",
    "macos-arm64": "macOS on Apple silicon (arm64)",
}


@dataclass(frozen=True)
class LogPython:
    """The Python X.Y and platform (release-tables.toml's names) the log was printed for, each with the line
    (1-based) and text that says so; None where the lines do not say or disagree."""

    python: str | None = None
    python_line: tuple[int, str] | None = None
    platform: str | None = None
    platform_line: tuple[int, str] | None = None

    @property
    def platform_name(self) -> str:
        return _NAMES.get(self.platform or "", self.platform or "")


def platform_family(tag: str) -> str | None:
    """A wheel platform tag's family as release-tables.toml names it (win32, linux-armv7l...)."""
    tag = tag.lower()
    if tag == "win32":
        return "win32"
    if tag in ("win_amd64", "win-amd64"):
        return "win-amd64"
    if tag in ("win_arm64", "win-arm64"):
        return "win-arm64"
    if tag.startswith("macosx"):
        return "macos-arm64" if tag.endswith("arm64") else "macos-x86_64" if tag.endswith("x86_64") else None
    for arch in ("x86_64", "aarch64", "armv7l", "armv6l", "i686", "ppc64le", "s390x"):
        if tag.endswith(arch):
            if tag.startswith("musllinux"):
                return f"musllinux-{arch}"
            if tag.startswith(("manylinux", "linux")):
                return "linux-armv7l" if arch == "armv6l" else f"linux-{arch}"
    return None


def log_python(lines: Iterable[str]) -> LogPython:
    """What the lines say about the Python and the platform pip looked for releases for. A Python the command
    named (`--python-version`) wins over the interpreter's own traces; two different Pythons (or platforms)
    in the traces say nothing."""
    pythons: dict[str, tuple[int, str]] = {}
    targets: dict[str, tuple[int, str]] = {}
    platforms: dict[str, tuple[int, str]] = {}
    asked: dict[str, tuple[int, str]] = {}
    windows_line: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        if (
            "ython" not in line
            and "cp" not in line
            and "--p" not in line
            and "arm" not in line
            and ("musl" not in line)
            and ("pple" not in line)
            and ("/opt/homebrew/" not in line)
            and ("i686" not in line)
            and ("py -" not in line)
            and ("py.exe -" not in line)
            and (":\\" not in line)
            and ("AppData" not in line)
        ):
            continue
        text = line.strip()
        target = _TARGET_PYTHON.search(text)
        if target:
            targets.setdefault(f"{target.group('major')}.{int(target.group('minor'))}", (number, text))
        for pattern in _PYTHON_PATTERNS:
            found = pattern.search(text)
            if found:
                pythons.setdefault(f"{found.group('major')}.{int(found.group('minor'))}", (number, text))
                break
        tag = _TARGET_PLATFORM.search(text)
        if tag and platform_family(tag.group("tag")):
            asked.setdefault(str(platform_family(tag.group("tag"))), (number, text))
        for pattern, name in _PLATFORM_PATTERNS:
            found = pattern.search(text)
            if found:
                family = (
                    name + found.group("tag")
                    if name == "linux-"
                    else name or platform_family(found.group("tag"))
                )
                if family:
                    platforms.setdefault(family, (number, text))
                break
        if windows_line is None and _WINDOWS_ANY.search(text):
            windows_line = (number, text)
    chosen = targets if targets else pythons
    python = next(iter(chosen)) if len(chosen) == 1 else None
    where = asked if asked else platforms
    if not where and windows_line is not None:
        # no precise platform, but the lines are Windows': "windows" (release-tables' win-* platforms)
        where = {"windows": windows_line}
    platform = next(iter(where)) if len(where) == 1 else None
    return LogPython(
        python=python,
        python_line=chosen[python] if python else None,
        platform=platform,
        platform_line=where[platform] if platform else None,
    )
