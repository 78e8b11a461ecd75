"""Pure parsers for facts about the machine: each takes text a probe captured and returns a value, or None
when the text does not say. `probe.py` runs the commands and reads the files; everything here is tested with
pasted output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from safe_pip.pipboot import FORMAT_OPTIONS, SOURCE_FLAGS, SOURCE_OPTIONS, WANTED_PATTERN

# packaging is imported where versions are read, not at start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.version import Version

__all__ = [
    "WANTED_REQUIREMENT",
    "OsRelease",
    "canonical_name",
    "cgroup_ancestors",
    "format_options",
    "index_query_options",
    "missing_project",
    "package_manager_for",
    "parse_cgroup_cpu_max",
    "parse_cgroup_memory_limit",
    "parse_cgroup_v1_cpu",
    "parse_from_versions",
    "parse_glibc_version",
    "parse_install_report",
    "parse_installed",
    "parse_ldd_version",
    "parse_meminfo_available",
    "parse_nvcc_version",
    "parse_os_release",
    "parse_proc_cgroup",
    "parse_tool_version",
    "parse_torch_version",
    "parse_vswhere",
    "pinned_requirement",
    "pip_builds_in_isolation",
    "python_version_for",
    "python_versions_from",
    "requirement_names",
    "requirement_words",
    "source_options",
    "takes_value",
    "unfound_project",
]


@dataclass(frozen=True)
class OsRelease:
    """What /etc/os-release says of the system: its id, version, families and name."""

    id: str  # "debian", "ubuntu", "alpine", "fedora", "rhel", "arch", ...
    version: str | None
    like: tuple[str, ...]  # ID_LIKE: the families it follows
    pretty_name: str | None

    @property
    def package_manager(self) -> str | None:
        return package_manager_for(self.id, self.like)


_MANAGERS = {
    "debian": "apt",
    "ubuntu": "apt",
    "linuxmint": "apt",
    "pop": "apt",
    "raspbian": "apt",
    "fedora": "dnf",
    "rhel": "dnf",
    "centos": "dnf",
    "rocky": "dnf",
    "almalinux": "dnf",
    "amzn": "dnf",
    "ol": "dnf",
    "alpine": "apk",
    "opensuse": "zypper",
    "opensuse-leap": "zypper",
    "opensuse-tumbleweed": "zypper",
    "sles": "zypper",
    "suse": "zypper",
    "arch": "pacman",
    "manjaro": "pacman",
    "endeavouros": "pacman",
}


def package_manager_for(distro: str, like: tuple[str, ...] = ()) -> str | None:
    """The system package manager of a distribution (by its ID, else by the families in ID_LIKE)."""
    for name in (distro, *like):
        if name in _MANAGERS:
            return _MANAGERS[name]
    return None


def parse_os_release(text: str) -> OsRelease | None:
    """/etc/os-release: `ID=ubuntu`, `VERSION_ID="22.04"`, `ID_LIKE=debian`, `PRETTY_NAME="..."`."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value.strip().strip('"').strip("'")
    if "ID" not in values:
        return None
    return OsRelease(
        id=values["ID"].lower(),
        version=values.get("VERSION_ID") or None,
        like=tuple(values.get("ID_LIKE", "").lower().split()),
        pretty_name=values.get("PRETTY_NAME") or None,
    )


def parse_glibc_version(text: str | None) -> tuple[int, int] | None:
    """`os.confstr("CS_GNU_LIBC_VERSION")`: "glibc 2.36" -> (2, 36)."""
    match = re.search(r"glibc (\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_ldd_version(text: str) -> tuple[str, tuple[int, int]] | None:
    """`ldd --version` (or the musl loader run bare): ("glibc", (2, 31)) or ("musl", (1, 2)).

    glibc: "ldd (Ubuntu GLIBC 2.35-0ubuntu3.6) 2.35"; musl prints "musl libc (x86_64)" then "Version 1.2.4".
    """
    if "musl" in text:
        match = re.search(r"Version (\d+)\.(\d+)", text)
        return ("musl", (int(match.group(1)), int(match.group(2)))) if match else None
    first = text.splitlines()[0] if text.strip() else ""
    match = re.search(r"(\d+)\.(\d+)\s*$", first)
    if match and ("GLIBC" in first.upper() or "GNU" in first.upper() or first.startswith("ldd")):
        return ("glibc", (int(match.group(1)), int(match.group(2))))
    return None


def parse_tool_version(text: str) -> str | None:
    """The first dotted version in a tool's first non-empty `--version` line:
    "gcc (Debian 12.2.0-14) 12.2.0" -> "12.2.0"; "cmake version 3.25.1" -> "3.25.1"; "GNU Make 4.3" -> "4.3";
    "cargo 1.95.0 (f2d3ce0bd 2026-03-21)" -> "1.95.0"; "1.11.1" (ninja) -> "1.11.1"."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    match = re.search(r"(?<![\w.])v?(\d+(?:\.\d+)+)", first)
    return match.group(1) if match else None


def parse_nvcc_version(text: str) -> str | None:
    """`nvcc --version`: "Cuda compilation tools, release 12.4, V12.4.131" -> "12.4"."""
    match = re.search(r"release (\d+\.\d+)", text)
    return match.group(1) if match else None


def parse_meminfo_available(text: str) -> int | None:
    """/proc/meminfo: "MemAvailable:   16203728 kB" -> bytes."""
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def parse_cgroup_memory_limit(limit: str, usage: str | None = None) -> int | None:
    """Memory a cgroup still allows, in bytes, from its limit and usage files:
    v2 `memory.max` ("max" or bytes) with `memory.current`; v1 `memory.limit_in_bytes` with
    `memory.usage_in_bytes` (v1 reports 9223372036854771712, about 2**63, for "no limit")."""
    value = limit.strip()
    if not value or value == "max" or not (value.isascii() and value.isdigit()):
        return None
    limit_bytes = int(value)
    if limit_bytes >= 1 << 60:
        return None
    used = int(usage.strip()) if usage and usage.strip().isascii() and usage.strip().isdigit() else 0
    return max(0, limit_bytes - used)


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """`/proc/self/cgroup`: the process's group per controller. v1 lines are `4:memory:/ci/job-7`
    (`memory` -> `/ci/job-7`); the v2 line is `0::/user.slice/x.scope` (key "")."""
    groups: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            groups.setdefault(controller, parts[2])
    return groups


def cgroup_ancestors(group: str) -> list[str]:
    """The group and each group above it, deepest first (`/a/b` -> `/a/b`, `/a`, ``): a limit anywhere
    above a process applies to it."""
    parts = [part for part in group.split("/") if part and part not in (".", "..")]
    return ["/" + "/".join(parts[:depth]) if depth else "" for depth in range(len(parts), -1, -1)]


def parse_cgroup_cpu_max(text: str) -> float | None:
    """cgroup v2 `cpu.max`: "200000 100000" -> 2.0 CPUs; "max 100000" -> None (no quota)."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        return int(parts[0]) / int(parts[1])
    except (ValueError, ZeroDivisionError):
        return None


def parse_cgroup_v1_cpu(quota: str, period: str) -> float | None:
    """cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`: "-1" means no quota."""
    try:
        quota_us, period_us = int(quota.strip()), int(period.strip())
    except ValueError:
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return quota_us / period_us


def parse_torch_version(version: str) -> Mapping[str, str | None]:
    """A torch version's local tag: "2.3.0+cu121" -> CUDA 12.1; "2.13.0+cpu" -> CPU build;
    "2.3.0" -> unknown (PyPI's default Linux build is CUDA, but which one the version alone does not say)."""
    base, _, local = version.partition("+")
    cuda: str | None = None
    kind: str | None = None
    match = re.fullmatch(r"cu(\d+?)(\d)", local)
    if match:
        cuda, kind = f"{match.group(1)}.{match.group(2)}", "cuda"
    elif local == "cpu":
        kind = "cpu"
    elif local.startswith("rocm"):
        kind = "rocm"
    return {"version": base, "cuda": cuda, "build": kind}


def parse_vswhere(text: str) -> str | None:
    """`vswhere -latest -products * -requires Microsoft.VisualStudio.Component.VC.Tools.x86.x64
    -property catalog_productDisplayVersion` prints the Build Tools' version ("17.9.2"); nothing when the
    C++ tools are not installed."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if re.fullmatch(r"\d+(?:\.\d+)+", first) else None


def canonical_name(name: str) -> str:
    """PEP 503 normalisation, so `PyYAML`, `pyyaml` and `Py_Yaml` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


# "Successfully installed numpy-2.1.0 scikit-learn-1.5.2": pip's last line after an install.
_INSTALLED_LINE = re.compile(r"^Successfully installed (.+)$")


def parse_installed(lines: Iterable[str]) -> list[tuple[str, str]]:
    """(name, version) of each distribution pip's "Successfully installed" lines name; the version is after
    the last hyphen (names may hold hyphens, versions do not)."""
    found: list[tuple[str, str]] = []
    for line in lines:
        match = _INSTALLED_LINE.match(line.rstrip())  # not indented: pip's own line
        if match:
            for item in match.group(1).split():
                name, _, version = item.rpartition("-")
                if name and version:
                    found.append((name, version))
    return found


# pip options that say where packages come from: kept when asking pip which release has a wheel.
_SOURCE_OPTIONS_WITH_VALUE = frozenset(SOURCE_OPTIONS)
# pip install options that take a value (the value is not a requirement): the source options and these.
_VALUE_OPTIONS = _SOURCE_OPTIONS_WITH_VALUE | frozenset(
    [
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--src",
        "--upgrade-strategy",
        "--progress-bar",
        "--log",
        "--log-file",
        "--exists-action",
        "-C",
        "--config-settings",
        "--global-option",
        "--build-option",
        "--report",
        "--cache-dir",
        "--only-binary",
        "--no-binary",
        "--python",
        "--use-feature",
        "--use-deprecated",
        "--root-user-action",
        "--resume-retries",
    ]
)


# pip's strtobool (pip/_internal/utils/misc.py), which reads every boolean option from pip's configuration
# and its PIP_* variables: these spellings, in any case; anything else makes pip exit with a usage error.
_PIP_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_PIP_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})


def pip_builds_in_isolation(args: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether pip builds sdists in isolated environments for these install arguments, read as pip reads
    them: `--no-build-isolation` on the command line turns isolation off, whatever the environment says.
    Otherwise PIP_NO_BUILD_ISOLATION decides, with pip's inverted reading of it: the option is a store_false
    whose dest is `build_isolation`, and pip's parser (ConfigOptionParser._update_defaults, unchanged from
    pip 10 to 26) assigns the variable's truth value to that dest as it is. So a false spelling (0, false,
    no, off, n, f) turns isolation OFF, and a true one (1, true, yes, on, y, t) leaves it on (pypa/pip#5735).
    A value pip does not accept makes pip exit before it builds anything: isolation is then left on."""
    if "--no-build-isolation" in args:
        return False
    value = environ.get("PIP_NO_BUILD_ISOLATION")
    return value is None or value.strip().lower() not in _PIP_FALSE


def takes_value(option: str) -> bool:
    """Whether a pip install option is followed by a value (`--index-url URL`), as opposed to a flag."""
    return option in _VALUE_OPTIONS


def requirement_names(args: Sequence[str]) -> list[str]:
    """The distributions named on a pip install command line (`numpy>=2`, `./dist/x-1.0-py3-none-any.whl`);
    requirement files, paths to projects and URLs are left out."""
    return [name for _, name in requirement_words(args)]


# A requirement's name and extras, as typed on a command line: `numpy`, `uvicorn[standard] >= 0.30`.
_REQUIREMENT_HEAD = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:[<>=!~;@ ]|$)")


def requirement_words(args: Sequence[str]) -> list[tuple[int, str]]:
    """(position in `args`, distribution name) of each requirement or wheel file on a pip install command
    line; requirement files, paths to projects and URLs are left out."""
    found: list[tuple[int, str]] = []
    skip_value = False
    for position, word in enumerate(args):
        if skip_value:
            skip_value = False
            continue
        if word.startswith("-"):
            skip_value = word in _VALUE_OPTIONS
            continue
        if word.endswith(".whl"):
            found.append((position, word.replace("\\", "/").rsplit("/", 1)[-1].split("-")[0]))
            continue
        match = _REQUIREMENT_HEAD.match(word)
        if match and "/" not in word and not word.endswith((".tar.gz", ".zip")):
            found.append((position, match.group(1)))
    return found


# CPython versions a fix may suggest, newest first.
_PYTHON_VERSIONS = ("3.14", "3.13", "3.12", "3.11", "3.10", "3.9", "3.8", "3.7", "3.6", "2.7")


def python_versions_from(newest: str) -> tuple[str, ...]:
    """The CPython versions (X.Y) from `newest` down to the oldest a fix may suggest, newest first."""
    if newest not in _PYTHON_VERSIONS:
        return ()
    return _PYTHON_VERSIONS[_PYTHON_VERSIONS.index(newest) :]


def python_version_for(requires: str, release: str | None = None) -> str | None:
    """The newest Python (X.Y) that a Requires-Python text allows; with several (`0.9 Requires-Python >=3.8;
    1.0 Requires-Python >=3.99`, pip's list of ignored releases) `release`'s when the list has it (the version
    the user pinned), else the newest release's. None when no released Python fits (`>=3.99`) or the text is
    not a specifier."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    entries = re.findall(r"(?:^|;)\s*(\S+) Requires-Python ([^;]+)", requires)
    specs = [spec for _, spec in entries] or re.findall(r"Requires-Python ([^;]+)", requires) or [requires]
    if release:
        specs = [spec for version, spec in entries if _same_version(version, release)] or specs
    try:
        allowed = SpecifierSet(specs[-1].strip().rstrip(","))
    except InvalidSpecifier:
        return None
    for version in _PYTHON_VERSIONS:
        if allowed.contains(f"{version}.0") or allowed.contains(f"{version}.99"):
            return version
    return None


def parsed_versions(texts: Iterable[str]) -> list[Version]:
    """`texts` as versions, in order, leaving out what is no version (pip's list can hold "0.13.4.win32")."""
    from packaging.version import InvalidVersion, Version

    versions = []
    for text in texts:
        try:
            versions.append(Version(text))
        except InvalidVersion:
            continue
    return versions


def _same_version(one: str, other: str) -> bool:
    """Whether two version texts name one release (`5.0` and `5.0.0`); unparsable ones compare as text."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(one) == Version(other)
    except InvalidVersion:
        return one == other


def pinned_requirement(word: str, version: str) -> str:
    """`word` (a requirement as typed: `Foo[bar]>=1 ; python_version>'3'`) pinned to exactly `version`, its
    extras and environment marker kept."""
    match = _REQUIREMENT_HEAD.match(word)
    head = match.group(1) + (match.group(2) or "") if match else word
    _, has_marker, marker = word.partition(";")
    return f"{head}=={version}" + (f" ; {marker.strip()}" if has_marker and marker.strip() else "")


def parse_install_report(text: str, package: str) -> str | None:
    """The version of `package` a `pip install --dry-run --report -` would install (pip >= 22.2's JSON)."""
    import json

    wanted = canonical_name(package)
    try:
        report = json.loads(text)
        for item in report.get("install", []):
            metadata = item.get("metadata", {})
            if canonical_name(str(metadata.get("name", ""))) == wanted:
                version = metadata.get("version")
                return str(version) if version else None
    except (ValueError, AttributeError, TypeError):
        return None
    return None


# ERROR: Could not find a version that satisfies the requirement ujson===x (from versions: 5.8.0, 5.9.0)
# (pip 9-26 print the versions whose files fit, in this form; "none" when there are none.)
_FROM_VERSIONS = re.compile(
    r"Could not find a version that satisfies the requirement (\S+) \(from versions: ([^)]*)\)"
)


def parse_from_versions(text: str, package: str) -> tuple[str, ...] | None:
    """The versions pip listed for `package` in its "Could not find a version ... (from versions: ...)" line:
    those with a file that fits the target (with --only-binary, a wheel); None when pip did not say."""
    wanted = canonical_name(package)
    for match in _FROM_VERSIONS.finditer(text):
        head = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", match.group(1))
        if head is None or canonical_name(head.group(0)) != wanted:
            continue
        listed = match.group(2).strip()
        return () if listed in ("", "none") else tuple(v.strip() for v in listed.split(",") if v.strip())
    return None


_SOURCE_FLAGS = frozenset(SOURCE_FLAGS)


# The requirement pip looked for, as it printed it (the version a dependency asked for, too):
#   ERROR: Could not find a version that satisfies the requirement torch==2.0.1 (from versions: 2.5.0, ...)
#   ERROR: No matching distribution found for torch==2.0.1
WANTED_REQUIREMENT = re.compile(WANTED_PATTERN)


def missing_project(lines: Iterable[str]) -> str | None:
    """The one project pip said it found no distribution for (`No matching distribution found for x`)."""
    found = {
        match.group("name")
        for line in lines
        if "distribution found for" in line
        for match in [WANTED_REQUIREMENT.search(line)]
        if match
    }
    return found.pop() if len(found) == 1 else None


def unfound_project(lines: Iterable[str]) -> str | None:
    """The project of the first of pip's lines saying it found nothing for a requirement ("Could not find a
    version that satisfies the requirement x", then "No matching distribution found for x"), or None."""
    for line in lines:
        if "satisfies the requirement " in line or "distribution found for " in line:
            match = WANTED_REQUIREMENT.search(line)
            if match:
                return match.group("name")
    return None


def index_query_options(sources: Sequence[str], args: Sequence[str]) -> tuple[str, ...]:
    """The options the index query (probe.detect_index_files) is given for a run of pip with `args`: the
    user's source options (`sources`, from `source_options(args)`), then their format options."""
    return (*sources, *format_options(args))


def format_options(args: Sequence[str]) -> list[str]:
    """The user's --only-binary / --no-binary options (which files pip may use), in order."""
    return _options_in(args, _FORMAT_OPTIONS, frozenset())


_FORMAT_OPTIONS = frozenset(FORMAT_OPTIONS)


def source_options(args: Sequence[str]) -> list[str]:
    """The user's options that choose the index, in order (`--index-url X`, `--find-links=Y`, `--pre`)."""
    return _options_in(args, _SOURCE_OPTIONS_WITH_VALUE, _SOURCE_FLAGS)


def _options_in(args: Sequence[str], with_value: Iterable[str], flags: frozenset[str]) -> list[str]:
    """The words of `args` that are one of the options `with_value` (with their value, `--x=v` or `--x v`)
    or one of the `flags`, in order."""
    kept: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        name, has_value, _ = word.partition("=")
        if name in with_value:
            kept.append(word)
            if not has_value and index + 1 < len(args):
                index += 1
                kept.append(args[index])
        elif word in flags:
            kept.append(word)
        index += 1
    return kept
