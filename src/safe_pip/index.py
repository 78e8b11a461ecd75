"""Why the index had nothing pip could install, from what the index itself lists: every file of the project
(its tags, Requires-Python, yanked reason), the target interpreter, and the user's version and options.

`pip install torch==2.0.1` on Python 3.13 ends in "No matching distribution found"; the index says why:
torch 2.0.1 has wheels for CPython 3.8-3.11 only and no source distribution. This module turns the files
the target's own pip saw (`probe.detect_index_files`, through the user's index options and configuration)
into that sentence, the reason for each release, and the nearest thing that works: the newest release that
installs here, a Python that the release supports, `--pre`, the project a mistyped or import name stands for.
Pure: the query's output and the facts come in, values go out. A log from elsewhere, without the index, is
read by `explain_log` (what pip printed, at lower confidence).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from safe_pip.logpython import LogPython
from safe_pip.releasetables import AS_OF as RELEASES_AS_OF
from safe_pip.releasetables import ProjectReleases
from safe_pip.wheeltags import InterpreterTags, explain_wheel, parse_platform

# packaging (with typing, logging, subprocess and its tag code: ~10-15 ms of CPU) is imported by the functions
# that read versions, specifiers and wheel names: not when the index lists no file of the project (issue 17).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

__all__ = [
    "INDEX_MARK",
    "Explanation",
    "IndexFile",
    "IndexQuery",
    "LogExplanation",
    "Release",
    "explain",
    "explain_log",
    "newest_with_wheel",
    "parse_index_output",
    "pythons_with_wheel",
]

INDEX_MARK = "safe-pip-index "

# Why a file cannot be installed here, most telling first: the order breaks ties between reasons.
PLATFORM, PYTHON, PIP, ONLY_BINARY, NO_BINARY, PRE, YANKED = (
    "platform",
    "python",
    "pip",
    "only-binary",
    "no-binary",
    "pre-release",
    "yanked",
)
_ORDER = (PLATFORM, PYTHON, PIP, ONLY_BINARY, NO_BINARY, PRE, YANKED)
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
_OS_WORDS = {"linux": "Linux", "darwin": "macOS", "win32": "Windows"}


@dataclass(frozen=True)
class IndexFile:
    """One file the index (or a --find-links folder) lists for the project, as the target's pip read it."""

    filename: str
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; the reason ("" when none was given) otherwise
    origin: str | None = None  # the page that listed it


@dataclass(frozen=True)
class IndexQuery:
    """What the target's pip saw when asked for every file of one project with the user's sources."""

    project: str
    files: tuple[IndexFile, ...]
    index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    not_found: tuple[str, ...] = ()  # pages that answered 404
    unreachable: tuple[str, ...] = ()  # pages that could not be read (connection, TLS, timeout): the reason
    only_binary: tuple[str, ...] = ()  # pip's format control, from the command line and configuration
    no_binary: tuple[str, ...] = ()
    pre: bool = False
    no_index: bool = False
    pip_version: tuple[int, ...] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Release:
    """One release of the project and why it cannot be installed here (`reason` empty when it can)."""

    version: str
    files: int
    reason: str
    blockers: tuple[str, ...]  # the reasons of its most nearly fitting file; empty when one fits
    has_wheel_here: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "files": self.files,
            "usable": not self.blockers,
            "reason": self.reason or None,
        }


@dataclass(frozen=True)
class Explanation:
    """Why nothing of `project` fitting the user's request installs here, and what would."""

    project: str
    kind: str  # python-version, platform, pip-too-old, only-binary, no-binary, pre-release, yanked,
    #            no-such-version, no-such-project
    category: str
    summary: str
    hint: str
    releases: tuple[Release, ...] = ()  # newest first
    requested: str = ""  # the user's version specifier (`==2.0.1`), empty when none
    newest_usable: str | None = None  # the newest release that installs here, whatever the user asked
    python_versions: tuple[str, ...] = ()  # Pythons (X.Y) the requested release has files for, newest first
    suggestions: tuple[str, ...] = ()  # projects the user may have meant
    private_index: str | None = None  # the user's index when it replaces PyPI and lacks the project
    facts: Mapping[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        considered = [release for release in self.releases if release.version]
        return {
            "project": self.project,
            "reason": self.kind,
            "requested": self.requested or None,
            "releases_considered": len(considered),
            "releases": [release.to_json() for release in considered[:50]],
            "newest_usable": self.newest_usable,
            "python_versions": list(self.python_versions),
            "suggestions": list(self.suggestions),
        }


# -- the query's output ------------------------------------------------------------------------------------
def parse_index_output(text: str, project: str) -> IndexQuery | None:
    """The query script's report (its `safe-pip-index {json}` line); None when it is not there, not readable,
    or the script failed inside pip (an old or changed pip: nothing said rather than a guess)."""
    # (facts' PEP 503 name, as packaging's: packaging is imported only when a file is listed, _file_version)
    from safe_pip.facts import canonical_name

    for line in text.splitlines():
        if not line.startswith(INDEX_MARK):
            continue
        try:
            data = json.loads(line[len(INDEX_MARK) :])
            if data.get("error"):
                return None
            wanted = canonical_name(project)
            files = []
            for item in data.get("links") or ():
                name = str(item.get("file") or "")
                if _file_version(name, wanted) is None:
                    continue  # another project's file in a --find-links folder, a page's other links
                yanked = item.get("yanked")
                files.append(
                    IndexFile(
                        filename=name,
                        requires_python=_text(item.get("requires_python")),
                        yanked=None if yanked is None else str(yanked),
                        origin=_text(item.get("from")),
                    )
                )
            not_found, unreachable = _fetch_problems(str(message) for message in data.get("fetch") or ())
            return IndexQuery(
                project=wanted,
                files=tuple(dict.fromkeys(files)),  # a file listed twice (two indexes, one mirror) once
                index_urls=tuple(str(url) for url in data.get("index_urls") or ()),
                find_links=tuple(str(url) for url in data.get("find_links") or ()),
                not_found=not_found,
                unreachable=unreachable,
                only_binary=tuple(str(name) for name in data.get("only_binary") or ()),
                no_binary=tuple(str(name) for name in data.get("no_binary") or ()),
                pre=bool(data.get("pre")),
                no_index=bool(data.get("no_index")),
                pip_version=_version_tuple(data.get("pip")),
            )
        except (ValueError, TypeError, AttributeError):
            return None
    return None


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _version_tuple(text: object) -> tuple[int, ...] | None:
    parts = re.findall(r"\d+", str(text).split("+")[0]) if isinstance(text, str) else []
    return tuple(int(part) for part in parts[:3]) or None


# pip's words when it could not read a page (pip 9 to 26, all at debug level):
#   Could not fetch URL https://pypi.org/simple/reqeusts/: 404 Client Error: Not Found for url: ... - skipping
#   Could not fetch URL http://127.0.0.1:9/simple/x/: connection error: HTTPConnectionPool(...) - skipping
#   Could not fetch URL https://host/simple/x/: There was a problem confirming the ssl certificate: ...
_FETCH = re.compile(r"Could not fetch URL (?P<url>\S+?):? (?P<why>.*?)(?: - skipping)?$")


def _fetch_problems(messages: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    not_found: list[str] = []
    unreachable: list[str] = []
    for message in messages:
        match = _FETCH.search(message)
        if match is None:
            if "timed out" in message or "Skipping page" in message:
                unreachable.append(message)
            continue
        if re.match(r"404\b", match.group("why")):
            not_found.append(match.group("url"))
        else:
            unreachable.append(f"{match.group('url')}: {match.group('why')}")
    return tuple(not_found), tuple(unreachable)


def _file_version(filename: str, project: str) -> Version | None:
    """The version of a distribution file of `project` (a canonical name); None when it is not one."""
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    if filename.endswith(".whl"):
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return None
        return version if name == project else None
    suffix = next((suffix for suffix in _SDIST_SUFFIXES if filename.endswith(suffix)), None)
    if suffix is None:
        return None  # eggs, Windows installers: pip installs neither
    stem = filename[: -len(suffix)]
    for position, character in enumerate(stem):
        if character == "-" and canonicalize_name(stem[:position]) == project:
            try:
                return Version(stem[position + 1 :])
            except InvalidVersion:
                return None
    return None


# -- one file, one release ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Verdict:
    file: IndexFile
    version: Version
    wheel: bool
    blockers: frozenset[str]
    details: tuple[str, ...]  # the wheel's misfit in words, for the platform and pip reasons


def _allowed_formats(project: str, only_binary: Sequence[str], no_binary: Sequence[str]) -> tuple[bool, bool]:
    """(wheels allowed, sdists allowed) for `project` under pip's format control: a project named in one of
    the options wins over `:all:` in the other."""
    from packaging.utils import canonicalize_name

    only = {canonicalize_name(name) if name != ":all:" else name for name in only_binary}
    never = {canonicalize_name(name) if name != ":all:" else name for name in no_binary}
    if project in only:
        return True, False
    if project in never:
        return False, True
    if ":all:" in only:
        return True, False
    if ":all:" in never:
        return False, True
    return True, True


def _pinned_exactly(specifier: SpecifierSet) -> bool:
    return any(spec.operator in ("==", "===") and "*" not in spec.version for spec in specifier)


def _verdict(
    item: IndexFile,
    version: Version,
    target: InterpreterTags,
    python_version: str,
    *,
    formats: tuple[bool, bool],
    allow_pre: bool,
    allow_yanked: bool,
) -> _Verdict:
    blockers: set[str] = set()
    details: list[str] = []
    wheel = item.filename.endswith(".whl")
    if wheel:
        for mismatch in explain_wheel(item.filename, target):
            if mismatch.dimension in ("os", "arch", "libc", "glibc", "macos", "musl"):
                blockers.add(PLATFORM)
            elif mismatch.dimension == "pip":
                blockers.add(PIP)
            else:
                blockers.add(PYTHON)
            details.append(mismatch.message)
        if PLATFORM not in blockers and PIP not in blockers and not _platform_known(item.filename, target):
            # The machine runs the wheel's platform but this pip does not know the tag (manylinux_2_28 for
            # pip < 20.3), whatever else is wrong with this file (a wheel for another Python).
            blockers.add(PIP)
        if not formats[0]:
            blockers.add(NO_BINARY)
    elif not formats[1]:
        blockers.add(ONLY_BINARY)
    if item.requires_python and not _python_fits(item.requires_python, python_version):
        blockers.add(PYTHON)
    if version.is_prerelease and not allow_pre:
        blockers.add(PRE)
    if item.yanked is not None and not allow_yanked:
        blockers.add(YANKED)
    return _Verdict(item, version, wheel, frozenset(blockers), tuple(details))


def _platform_known(filename: str, target: InterpreterTags) -> bool:
    """Whether the target's pip lists one of the wheel's platform tags (for any Python)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    from packaging.version import InvalidVersion

    try:
        _name, _version, _build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return True
    known = _known_platforms(target.supported_tags)
    return not known or any(tag.platform == "any" or tag.platform in known for tag in tags)


@functools.cache
def _known_platforms(supported: tuple[str, ...]) -> frozenset[str]:
    return frozenset(tag.rsplit("-", 1)[-1] for tag in supported)


def _python_fits(requires: str, python_version: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requires).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return True  # pip ignores a Requires-Python it cannot read


def _python_tags(filename: str) -> set[tuple[str, int, int | None]]:
    """(implementation, major, minor or None) of each interpreter tag of a wheel (`cp311` -> cp 3 11)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    from packaging.version import InvalidVersion

    found: set[tuple[str, int, int | None]] = set()
    try:
        _name, _version, _build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return found
    for tag in tags:
        match = re.match(r"^([a-z]+)(\d)(\d*)$", tag.interpreter)
        if match:
            minor = int(match.group(3)) if match.group(3) else None
            found.add((match.group(1), int(match.group(2)), minor))
    return found


# -- the explanation ---------------------------------------------------------------------------------------
def explain(
    query: IndexQuery,
    target: InterpreterTags,
    *,
    python_version: str,
    requested: str = "",
    installed_pythons: Mapping[str, str] | None = None,
    similar: Sequence[str] = (),
) -> Explanation | None:
    """Why no release of the project within `requested` (a version specifier, `==2.0.1`) installs on
    `target` (whose full version is `python_version`), from the files the index lists; None when the index
    says nothing certain (it could not be read, or something there does fit: the failure lies elsewhere).
    `similar`: projects the user may have meant (asked only when the project is not there)."""
    project = query.project
    facts = _facts_json(target, python_version)
    if not query.files:
        if query.unreachable or (not query.not_found and query.index_urls and not query.no_index):
            return None  # an index that could not be read, or one that answered oddly: no guess
        return _no_such_project(query, similar, facts)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(requested)
    except InvalidSpecifier:
        specifier = SpecifierSet()
        requested = ""
    allow_pre = query.pre or bool(specifier.prereleases)
    # pip 22 and newer skip a yanked release unless pinned to it with ==; older pips take one when every
    # release that fits is yanked (with a warning), so for them it is never why nothing fit.
    old_pip = query.pip_version is not None and query.pip_version < (22, 0)
    pinned = _pinned_exactly(specifier) or old_pip
    by_version = dict(_groups(query, target, python_version, allow_pre, pinned))
    if not allow_pre and not _final_fits(by_version, specifier):
        # pip takes a pre-release when no final release within the specifier has a file it can use.
        allow_pre = True
        by_version = dict(_groups(query, target, python_version, allow_pre, pinned))
    releases = tuple(
        _release(version, by_version[version], target, python_version)
        for version in sorted(by_version, reverse=True)
    )
    # The newest release that installs here with the user's options, whatever version they asked for (a
    # pre-release only when they allow one, or when no final release installs here, as pip chooses).
    everything = dict(_groups(query, target, python_version, query.pre, old_pip))
    if not query.pre and not _final_fits(everything, SpecifierSet()):
        everything = dict(_groups(query, target, python_version, True, old_pip))
    newest_usable = next(
        (
            str(version)
            for version, group in sorted(everything.items(), reverse=True)
            if _fits_with(group, set())
        ),
        None,
    )
    matching = [
        version
        for version in sorted(by_version, reverse=True)
        if specifier.contains(version, prereleases=True)
    ]
    base = {"project": project, "releases": releases, "requested": requested, "facts": facts}
    if not matching:
        shown = ", ".join(release.version for release in releases[:6]) + (
            ", ..." if len(releases) > 6 else ""
        )
        return Explanation(
            kind="no-such-version",
            category="no-matching-distribution",
            summary=f"{project} has no release {requested} on the index (its releases: {shown}).",
            hint=(
                f"Check the version: the newest {project} that installs here is {newest_usable}."
                if newest_usable
                else f"No release of {project} installs here either."
            ),
            newest_usable=newest_usable,
            **base,  # type: ignore[arg-type]
        )
    matched = [by_version[version] for version in matching]
    if any(not verdict.blockers for group in matched for verdict in group):
        return None  # the index has a file that fits: pip failed for another reason
    kind = _main_reason(matched)
    release = next(
        (group for group in matched if any(kind in verdict.blockers for verdict in group)), matched[0]
    )
    chosen = str(release[0].version)
    wording = _WORDINGS[kind](project, chosen, release, matched, target, python_version, query)
    pythons = _pythons_for(release, target)
    newest_here = newest_usable
    if kind == PRE:
        newest_here = next((str(group[0].version) for group in matched if _fits_with(group, {PRE})), None)
    summary = wording
    if kind == PYTHON:
        summary += f" Newest {project} for Python {python_version.rsplit('.', 1)[0]}: " + (
            f"{newest_usable}." if newest_usable else "none (no release has a file for it)."
        )
    hint = _hint(
        kind, project, chosen, newest=newest_here, pythons=pythons, installed=installed_pythons or {}
    )
    return Explanation(
        kind={PYTHON: "python-version", PIP: "pip-too-old"}.get(kind, kind),
        category="python-version-unsupported" if kind == PYTHON else "no-matching-distribution",
        summary=summary,
        hint=hint,
        newest_usable=newest_here,
        python_versions=pythons,
        **base,  # type: ignore[arg-type]
    )


def _final_fits(by_version: Mapping[Version, Sequence[_Verdict]], specifier: SpecifierSet) -> bool:
    return any(
        not version.is_prerelease
        and specifier.contains(version)
        and any(not (verdict.blockers - {PRE, YANKED}) for verdict in group)
        for version, group in by_version.items()
    )


def _release(version: Version, verdicts: Sequence[_Verdict], target: InterpreterTags, python: str) -> Release:
    best = min(verdicts, key=lambda verdict: (len(verdict.blockers), _rank(verdict.blockers)))
    reason = ""
    if best.blockers:
        kind = min(best.blockers, key=_ORDER.index)
        reason = _release_reason(kind, verdicts, target, python)
    return Release(
        version=str(version),
        files=len(verdicts),
        reason=reason,
        blockers=tuple(sorted(best.blockers, key=_ORDER.index)),
        has_wheel_here=any(verdict.wheel and not verdict.blockers for verdict in verdicts),
    )


def _rank(blockers: Iterable[str]) -> tuple[int, ...]:
    return tuple(sorted(_ORDER.index(blocker) for blocker in blockers))


def _fits_with(group: Sequence[_Verdict], allowed: set[str]) -> bool:
    """Whether a file of the release would install if the reasons in `allowed` were lifted (with an empty
    `allowed`: whether one installs as it is)."""
    return any(verdict.blockers <= allowed and (verdict.blockers or not allowed) for verdict in group)


def _main_reason(matched: Sequence[Sequence[_Verdict]]) -> str:
    """The reason that alone keeps the most matching releases out (lifting it would let them in); when no
    single reason does, the most telling one of the most nearly fitting files."""
    counts = {kind: sum(1 for group in matched if _fits_with(group, {kind})) for kind in _ORDER}
    # On a tie, a reason of the files built for this platform wins over "other platforms": torch 2.7.0 has
    # Windows wheels too, but its Linux wheel is what a too-old pip cannot read.
    best = max(_ORDER, key=lambda kind: (counts[kind], kind != PLATFORM, -_ORDER.index(kind)))
    if counts[best]:
        return best
    nearest = min(
        (verdict for group in matched for verdict in group),
        key=lambda verdict: (len(verdict.blockers), _rank(verdict.blockers)),
    )
    return min(nearest.blockers, key=_ORDER.index)


def _release_reason(kind: str, verdicts: Sequence[_Verdict], target: InterpreterTags, python: str) -> str:
    if kind == PYTHON:
        requires = {verdict.file.requires_python for verdict in verdicts if verdict.file.requires_python}
        if requires and not any(_python_fits(text, python) for text in requires):
            return f"requires Python {sorted(requires)[0]}"
        return f"no file for {target.description}"
    if kind == PLATFORM:
        return f"no file for {target.platform_description}"
    if kind == PIP:
        return "its wheels need a newer pip"
    if kind == ONLY_BINARY:
        return "no wheel here (--only-binary)"
    if kind == NO_BINARY:
        return "no source distribution (--no-binary)"
    if kind == PRE:
        return "a pre-release"
    reasons = {verdict.file.yanked for verdict in verdicts if verdict.file.yanked}
    return "yanked" + (f": {sorted(reasons)[0]}" if reasons else "")


def _pythons_for(release: Sequence[_Verdict], target: InterpreterTags) -> tuple[str, ...]:
    """The Pythons (X.Y, newest first) a release has wheels for on this platform (within its
    Requires-Python), else those its sdist's Requires-Python allows."""
    found = {
        (major, minor)
        for verdict in release
        if verdict.wheel and PLATFORM not in verdict.blockers and PIP not in verdict.blockers
        for implementation, major, minor in _python_tags(verdict.file.filename)
        if implementation == target.implementation and minor is not None
    }
    if not found:
        for verdict in release:
            if not verdict.wheel:
                found.update(_pythons_allowed(verdict.file.requires_python))
    requires = [verdict.file.requires_python for verdict in release if verdict.file.requires_python]
    if found and requires:
        # Wheels tagged cp3x may still declare a Requires-Python that excludes some of those.
        allowed = set().union(*(_pythons_allowed(text) for text in requires))
        found = {version for version in found if version in allowed} or found
    return tuple(f"{major}.{minor}" for major, minor in sorted(found, reverse=True))


_KNOWN_PYTHONS = tuple((3, minor) for minor in range(14, 5, -1))


def _pythons_allowed(requires: str | None) -> set[tuple[int, int]]:
    if not requires:
        return set(_KNOWN_PYTHONS)
    return {
        (major, minor)
        for major, minor in _KNOWN_PYTHONS
        if _python_fits(requires, f"{major}.{minor}.0") or _python_fits(requires, f"{major}.{minor}.99")
    }


def _span(versions: Sequence[str]) -> str:
    """`3.8, 3.9, 3.10, 3.11` -> `3.8-3.11` (an en dash) when consecutive."""
    if not versions:
        return ""
    ordered = sorted(versions, key=lambda text: tuple(int(part) for part in text.split(".")))
    minors = [int(text.split(".")[1]) for text in ordered]
    if len(ordered) > 2 and minors == list(range(minors[0], minors[0] + len(minors))):
        return f"{ordered[0]}–{ordered[-1]}"
    return ", ".join(ordered)


def _words_python(
    project: str,
    version: str,
    release: Sequence[_Verdict],
    _matched: Sequence[Sequence[_Verdict]],
    target: InterpreterTags,
    python: str,
    _query: IndexQuery,
) -> str:
    you = f"you run {python.rsplit('.', 1)[0] if python.count('.') == 2 else python}"
    wheels = [verdict for verdict in release if verdict.wheel and PLATFORM not in verdict.blockers]
    sdists = [verdict for verdict in release if not verdict.wheel]
    requires = sorted(
        {v.file.requires_python for v in release if v.file.requires_python and PYTHON in v.blockers}
    )
    excluded = [
        v for v in release if v.file.requires_python and not _python_fits(v.file.requires_python, python)
    ]
    if requires and len(excluded) == len(release):
        # Every file declares a Requires-Python that excludes this Python: that is the project's own word.
        return f"{project} {version} requires Python {requires[0]} (its Requires-Python); {you}."
    pythons: set[str] = set()
    for verdict in wheels:
        for implementation, major, minor in _python_tags(verdict.file.filename):
            if implementation == target.implementation and minor is not None:
                pythons.add(f"{major}.{minor}")
    name = {"cp": "CPython", "pp": "PyPy"}.get(target.implementation, target.implementation)
    what = (
        f"has wheels for {name} {_span(sorted(pythons))} only" if pythons else "has no wheel for this Python"
    )
    if not sdists:
        tail = "and no source distribution"
    elif any(PYTHON in verdict.blockers for verdict in sdists):
        tail = f"and its source distribution requires Python {sdists[0].file.requires_python}"
    else:
        tail = "and its source distribution cannot be used"
    return f"{project} {version} {what} {tail}; {you}."


def _platform_names(verdicts: Iterable[_Verdict]) -> list[str]:
    """What the files are built for, grouped: `Windows (win32, win_amd64)`, `Linux with glibc >= 2.28`."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    from packaging.version import InvalidVersion

    groups: dict[str, set[str]] = {}
    for verdict in verdicts:
        if not verdict.wheel:
            continue
        try:
            _name, _version, _build, tags = parse_wheel_filename(verdict.file.filename)
        except (InvalidWheelFilename, InvalidVersion):
            continue
        for tag in tags:
            platform = parse_platform(tag.platform)
            if platform.os is None:
                continue
            label = _OS_WORDS.get(platform.os, platform.os)
            if platform.os == "linux" and platform.libc == "glibc" and platform.minimum:
                label += f" with glibc >= {platform.minimum[0]}.{platform.minimum[1]}"
            elif platform.os == "linux" and platform.libc == "musl":
                label += " with musl"
            groups.setdefault(label, set()).add(tag.platform)
    return [
        f"{label} ({', '.join(sorted(tags)[:4])}{', ...' if len(tags) > 4 else ''})"
        for label, tags in sorted(groups.items())
    ]


def _words_platform(
    project: str,
    version: str,
    release: Sequence[_Verdict],
    matched: Sequence[Sequence[_Verdict]],
    target: InterpreterTags,
    _python: str,
    _query: IndexQuery,
) -> str:
    every = [verdict for group in matched for verdict in group]
    names = _platform_names(every)
    which = f"{project} {version}" if len(matched) == 1 else f"{project}"
    built = "; ".join(names) if names else "other platforms"
    sdist = "" if any(not verdict.wheel for verdict in every) else ", and no source distribution"
    return f"{which} has files only for {built}{sdist}; this machine is {target.platform_description}."


def _words_pip(
    project: str,
    version: str,
    release: Sequence[_Verdict],
    _matched: Sequence[Sequence[_Verdict]],
    target: InterpreterTags,
    _python: str,
    query: IndexQuery,
) -> str:
    pip = ".".join(map(str, target.pip_version or query.pip_version or ())) or "this pip"
    detail = next(
        (
            message
            for verdict in release
            if verdict.blockers == {PIP}
            for message in verdict.details
            if "pip" in message
        ),
        "",
    )
    return (
        f"{project} {version} has wheels this machine can run, but pip {pip} is too old to know their tags"
        + (f" ({detail})." if detail else ".")
    )


def _words_only_binary(
    project: str,
    version: str,
    _release: Sequence[_Verdict],
    _matched: Sequence[Sequence[_Verdict]],
    _target: InterpreterTags,
    _python: str,
    query: IndexQuery,
) -> str:
    from packaging.utils import canonicalize_name

    named = (
        project
        if canonicalize_name(project) in {canonicalize_name(n) for n in query.only_binary}
        else ":all:"
    )
    return (
        f"{project} {version} has only a source distribution here (no wheel for this Python and platform), "
        f"and --only-binary {named} forbids building it."
    )


def _words_no_binary(
    project: str,
    version: str,
    _release: Sequence[_Verdict],
    _matched: Sequence[Sequence[_Verdict]],
    _target: InterpreterTags,
    _python: str,
    query: IndexQuery,
) -> str:
    from packaging.utils import canonicalize_name

    named = (
        project if canonicalize_name(project) in {canonicalize_name(n) for n in query.no_binary} else ":all:"
    )
    return (
        f"{project} {version} has only wheels (no source distribution), and --no-binary {named} forbids them."
    )


def _words_pre(
    project: str,
    version: str,
    _release: Sequence[_Verdict],
    matched: Sequence[Sequence[_Verdict]],
    _target: InterpreterTags,
    _python: str,
    _query: IndexQuery,
) -> str:
    pres = [str(group[0].version) for group in matched if _fits_with(group, {PRE})][:4]
    return (
        f"Only pre-releases of {project} match ({', '.join(pres)}); pip skips pre-releases unless asked "
        "(--pre, or a pin to one)."
    )


def _words_yanked(
    project: str,
    version: str,
    release: Sequence[_Verdict],
    _matched: Sequence[Sequence[_Verdict]],
    _target: InterpreterTags,
    _python: str,
    _query: IndexQuery,
) -> str:
    reasons = sorted({verdict.file.yanked for verdict in release if verdict.file.yanked})
    why = f' (reason given: "{reasons[0]}")' if reasons else " (no reason given)"
    return (
        f"{project} {version} was yanked from the index{why}; pip skips a yanked release unless pinned to it "
        "with ==."
    )


_WORDINGS = {
    PYTHON: _words_python,
    PLATFORM: _words_platform,
    PIP: _words_pip,
    ONLY_BINARY: _words_only_binary,
    NO_BINARY: _words_no_binary,
    PRE: _words_pre,
    YANKED: _words_yanked,
}


def _hint(
    kind: str,
    project: str,
    version: str,
    *,
    newest: str | None,
    pythons: Sequence[str],
    installed: Mapping[str, str],
) -> str:
    if kind == PYTHON:
        here = [python for python in pythons if python in installed]
        parts = []
        if newest:
            parts.append(f"Install {project}=={newest} (the newest release for this Python)")
        if pythons:
            python = here[0] if here else pythons[0]
            where = f" (installed here: {installed[python]})" if here else ""
            parts.append(f"use Python {python}{where} for {project} {version}")
        return (", or ".join(parts) + ".") if parts else f"No release of {project} supports this Python."
    if kind == PLATFORM:
        return (
            f"{project} does not install on this platform. If it is a dependency only needed elsewhere, "
            f"guard it with a marker (`{project} ; sys_platform == 'win32'`); otherwise run on a platform it "
            "ships files for."
        )
    if kind == PIP:
        return "Upgrade pip in this environment (python -m pip install --upgrade pip), then install again."
    if kind == ONLY_BINARY:
        where = f" ({newest} has a wheel here)" if newest else ""
        return (
            f"Pin a release of {project} that has a wheel here{where}, or let pip build {project} from "
            "source (drop it from --only-binary, in your command or pip's configuration)."
        )
    if kind == NO_BINARY:
        return (
            f"Let pip use {project}'s wheels (drop it from --no-binary, in your command or pip's "
            "configuration)."
        )
    if kind == PRE:
        return (
            f"Add --pre to allow pre-releases, or pin one ({project}=={newest})." if newest else "Add --pre."
        )
    return f"Pin a release of {project} that is not yanked" + (f" ({newest})." if newest else ".")


# What a name that is Python's own (projectnames.python_own_name) is, and what to do instead of pip.
_PYTHON_OWN = {
    "freeze-artefact": (
        "a `{project}==0.0.0` line is what Debian's and Ubuntu's pip wrote into `pip freeze` output for the "
        "pkg_resources it carries, not a project.",
        "Delete the {project} line from your requirements file (pkg_resources comes with setuptools).",
    ),
    "python": (
        "{project} is Python itself (or its system package), not a project pip installs.",
        "Install that Python with your system's package manager (or from python.org, or pyenv), then "
        "create a venv with it: pip installs packages into a Python, not Python.",
    ),
    "stdlib": (
        "{project} is a module of Python's standard library (or was: distutils, imp, cgi were removed), "
        "not a project pip installs.",
        "Nothing to install with pip: it comes with Python (a distribution may ship it apart: on "
        "Debian/Ubuntu python3-tk for tkinter, python3-venv for venv; a module Python removed needs an older "
        "Python or the project that replaced it).",
    ),
}


def _python_own_name(project: str) -> str | None:
    from safe_pip.projectnames import python_own_name

    return python_own_name(project)


def _no_such_project(query: IndexQuery, similar: Sequence[str], facts: Mapping[str, object]) -> Explanation:
    project = query.project
    indexes = [url for url in query.index_urls if not query.no_index]
    where = (
        "in your --find-links folders"
        if query.no_index or not indexes
        else f"on {', '.join(_hosts(indexes))}"
    )
    summary = f"There is no project named {project} {where}."
    if query.no_index and not query.find_links:
        # --no-index and no folder or page to look in: pip looked nowhere (a Dockerfile's offline step run
        # without its wheel folder, a PIP_FIND_LINKS that did not reach this environment).
        summary = (
            f"pip looked for {project} nowhere: --no-index turns the index off and no --find-links folder or "
            "page was given (on the command line, PIP_FIND_LINKS or pip's configuration)."
        )
    private = None
    if indexes and not any(_is_pypi(url) for url in indexes):
        private = indexes[0]
        summary += (
            f" Your index {_hosts(indexes[:1])[0]} replaces PyPI (--index-url), so a public project that it "
            "does not mirror is not found."
        )
    nowhere = query.no_index and not query.find_links
    if nowhere:
        similar = ()  # a name nobody looked for is not misspelt
    if similar:
        summary += f" Did you mean {' or '.join(similar)}?"
    hint = (
        "Give pip the folder of wheels to install from (--find-links DIR), or drop --no-index."
        if nowhere
        else f"Check the name: {similar[0]} is the project you may mean"
        + (" (the module you import is not always the project's name)." if similar else ".")
        if similar
        else "Check the name (and the index: a private project needs its index)."
    )
    own = None if nowhere or private else _python_own_name(project)
    if own is not None:
        # `pip install python3`, `tkinter`, `pkg-resources==0.0.0` (real runs): not a project anywhere.
        summary, hint = _PYTHON_OWN[own]
        summary = f"There is no project named {project} {where}: " + summary.format(project=project)
        hint = hint.format(project=project)
    if private:
        hint += (
            " If the project is public, add PyPI beside your index only knowingly: with --extra-index-url "
            "pip takes the highest version from either index, so anyone can publish a same-named project on "
            "PyPI that wins over a private one (dependency confusion)."
        )
    return Explanation(
        project=project,
        kind="no-such-project",
        category="no-matching-distribution",
        summary=summary,
        hint=hint,
        suggestions=tuple(similar),
        private_index=private,
        facts=facts,
    )


def _is_pypi(url: str) -> bool:
    return bool(re.match(r"^https?://(?:[^/@]*@)?(?:pypi\.org|pypi\.python\.org)(?::\d+)?/", url + "/"))


def _hosts(urls: Sequence[str]) -> list[str]:
    """The host of each index URL (credentials and paths left out)."""
    hosts = []
    for url in urls:
        match = re.match(r"^[a-z+]+://(?:[^/@]*@)?([^/]+)", url)
        hosts.append(match.group(1) if match else url)
    return hosts


def _facts_json(target: InterpreterTags, python_version: str) -> dict[str, object]:
    return {
        "python": python_version,
        "interpreter": target.description,
        "platform": target.platform_description,
        "pip": ".".join(map(str, target.pip_version)) if target.pip_version else None,
    }


# -- what fixes ask of the index's answer ------------------------------------------------------------------
def newest_with_wheel(
    query: IndexQuery, target: InterpreterTags, python_version: str, requirement: str
) -> str | None:
    """The newest release within `requirement` (`torch`, `torch==2.0.1`, `torch>=2,<3`) that has a wheel for
    `target`, as the index lists it (pre-releases and yanked releases as pip treats them)."""
    specifier = _specifier_of(requirement)
    if specifier is None:
        return None
    allow_pre = query.pre or bool(specifier.prereleases)
    for version, group in _groups(query, target, python_version, allow_pre, _pinned_exactly(specifier)):
        if specifier.contains(version, prereleases=True) and any(
            verdict.wheel and not (verdict.blockers - {NO_BINARY}) for verdict in group
        ):
            return str(version)
    return None


def versions_with_wheel(query: IndexQuery, target: InterpreterTags, python_version: str) -> tuple[str, ...]:
    """Every release with a wheel for `target`, oldest first, as the index lists it (pre-releases and yanked
    releases included: the fix layer asks `newest_with_wheel` whether pip takes one unpinned)."""
    usable = [
        version
        for version, group in _groups(query, target, python_version, True, True)
        if any(verdict.wheel and not (verdict.blockers - {NO_BINARY}) for verdict in group)
    ]
    return tuple(str(version) for version in sorted(usable))


def pythons_with_wheel(
    query: IndexQuery, target: InterpreterTags, python_version: str, requirement: str, pythons: Sequence[str]
) -> str | None:
    """The first of `pythons` (X.Y, newest first) for which a release within `requirement` has a wheel on
    this platform, as the index lists it."""
    specifier = _specifier_of(requirement)
    if specifier is None:
        return None
    for version, group in _groups(query, target, python_version, True, True):
        if not specifier.contains(version, prereleases=True):
            continue
        supported = set(_pythons_for([verdict for verdict in group if verdict.wheel], target))
        for python in pythons:
            if python in supported:
                return python
    return None


def _specifier_of(requirement: str) -> SpecifierSet | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    match = re.match(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*([^;]*)", requirement)
    try:
        return SpecifierSet(match.group(1).strip()) if match else SpecifierSet()
    except InvalidSpecifier:
        return None


def _groups(
    query: IndexQuery, target: InterpreterTags, python_version: str, allow_pre: bool, allow_yanked: bool
) -> list[tuple[Version, list[_Verdict]]]:
    formats = _allowed_formats(query.project, query.only_binary, query.no_binary)
    groups: dict[Version, list[_Verdict]] = {}
    for item in query.files:
        version = _file_version(item.filename, query.project)
        if version is not None:
            groups.setdefault(version, []).append(
                _verdict(
                    item,
                    version,
                    target,
                    python_version,
                    formats=formats,
                    allow_pre=allow_pre,
                    allow_yanked=allow_yanked,
                )
            )
    return sorted(groups.items(), reverse=True)


# -- a log from elsewhere ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogExplanation:
    """What pip's own lines say about why nothing fit, without the index: lower confidence."""

    kind: str  # python-version (older than every release listed), no-such-project (none listed), platform
    category: str
    summary: str
    hint: str
    confidence: float
    suggestions: tuple[str, ...] = ()
    evidence: tuple[tuple[int, str], ...] = ()  # other lines of the log the explanation rests on


# ERROR: Could not find a version that satisfies the requirement torch==1.4.0 (from versions: 2.2.0, 2.2.1)
_FROM_VERSIONS = re.compile(
    r"Could not find a version that satisfies the requirement (?P<package>[A-Za-z0-9][\w.-]*)"
    r"(?:\[[^\]]*\])?(?P<spec>[^\s(]*)"
    # where the requirement came from, printed first by pips before 21.2: (from -r requirements.txt (line 28))
    r"(?P<origin> \((?!from versions:)[^()\n]*(?:\([^()\n]*\))?[^()\n]*\))?"
    r"(?: \(from versions: (?P<versions>[^)]*)\))?"
    # a list cut before its ")" (a line over 4 KiB: setuptools' few hundred versions): what is there
    r"(?(versions)|(?: \(from versions: (?P<cut>[^)]*)$)?)"
)


# A PyTorch index of one CUDA build: https://download.pytorch.org/whl/cu130 (also .../whl/nightly/cu130)
_TORCH_BUILD_INDEX = re.compile(r"^https?://download\.pytorch\.org/whl/(?:nightly/)?(?P<build>cu\d{3})/?$")


def _torch_build_missing(package: str, spec: str, indexes: Sequence[str]) -> LogExplanation | None:
    """torch pinned at a release, asked of one PyTorch CUDA index (the only index pip looked in) whose build
    that release does not have (cuda-tables.toml's builds of it): the index holds no such torch, whatever the
    Python (torch 2.10 from .../whl/cu131: PyTorch built 2.10 for cu126, cu128 and cu130 only). None when the
    table does not know the release, the index is not one build's, or the release has that build."""
    from packaging.utils import canonicalize_name

    pinned = re.fullmatch(r"===?(?P<version>\d+\.\d+[\w.!]*)(?:\+(?P<local>[\w.]+))?", spec)
    if canonicalize_name(package) != "torch" or pinned is None or len(indexes) != 1:
        return None
    index = _TORCH_BUILD_INDEX.match(indexes[0].strip())
    if index is None:
        return None
    build = index.group("build")
    if pinned.group("local") not in (None, build):
        return None  # +cu118 asked of the cu130 index: another question
    from safe_pip.cudatables import build_cuda, load_tables

    row = load_tables().release(pinned.group("version"))
    if row is None or build in row.builds:
        return None
    builds = [item for item in row.builds if build_cuda(item)]
    if not builds:
        return None
    asked = build_cuda(build) or ""

    def cuda_key(item: str) -> tuple[int, ...]:
        return tuple(int(part) for part in (build_cuda(item) or "0.0").split("."))

    below = [item for item in builds if cuda_key(item) <= tuple(int(part) for part in asked.split("."))]
    nearest = max(below, key=cuda_key) if below else min(builds, key=cuda_key)
    return LogExplanation(
        kind="torch-build",
        category="no-matching-distribution",
        summary=(
            f"pip looked only in PyTorch's {build} index ({indexes[0].strip()}), and PyTorch built torch "
            f"{row.version} for {', '.join(builds)} only: that index has no torch{spec} for any Python, so "
            "nothing fit (the CUDA in the index URL is not one of the release's builds)."
        ),
        hint=(
            f"Name one of torch {row.version}'s builds in the index URL, e.g. "
            f"https://download.pytorch.org/whl/{nearest} (CUDA {build_cuda(nearest)}); a build runs on any "
            "driver new enough for its CUDA, and needs no CUDA toolkit installed."
        ),
        confidence=0.75,
    )


def _in_unlisted_series(below: Version, above: Version, wanted: Version) -> bool:
    """Whether `wanted` is in a series (major.minor) that must exist between two adjacent listed releases but
    was not listed (4.2 between 3.4 and 4.3: 4.0-4.2 came before 4.3; 1.21 between 1.20 and 1.22), or a later
    release of the series of the newest listed below it, which the next series follows (1.21.6 after 1.21.1,
    then 1.22.0: pips before 22.1 leave out the 1.21 releases whose Requires-Python excludes this Python)."""
    low, high, pin = ((*v.release, 0)[:2] for v in (below, above, wanted))
    if pin == low != high:
        return True
    if high[0] > low[0]:
        return low[0] < pin[0] < high[0] or (pin[0] == high[0] and pin[1] < high[1])
    return pin[0] == high[0] and low[1] < pin[1] < high[1]


def _format_explained(
    package: str,
    spec: str,
    wheels: bool,
    formats: tuple[Sequence[str], Sequence[str]],
    listed: str | None,
) -> LogExplanation:
    """pip was told to take only wheels (`wheels`) or only source archives of `package`, and nothing of that
    kind fit: the option, not the Python version or the name, is what the user can change."""
    from packaging.utils import canonicalize_name

    only_binary, no_binary = formats
    option = "--only-binary" if wheels else "--no-binary"
    values = only_binary if wheels else no_binary
    named = package if canonicalize_name(package) in {canonicalize_name(v) for v in values} else ":all:"
    items = [text.strip() for text in (listed or "").split(",") if text.strip() and text.strip() != "none"]
    shown = ", ".join(items[-3:]) if len(items) <= 3 else "..., " + ", ".join(items[-3:])
    seen = f" (versions pip could use: {shown})" if items else ""
    if wheels:
        summary = (
            f"pip was told to install only wheels of {package} ({option} {named}), and no release of "
            f"{package}{spec} has a wheel for this Python and platform{seen}: the source archives it could "
            "have built were not allowed."
        )
        hint = (
            f"Let pip build {package} from source (drop it from --only-binary, in your command or pip's "
            f"configuration: `--only-binary :all: --no-binary {package}` keeps wheels for the rest), or pin "
            "a release that has a wheel here."
        )
    else:
        summary = (
            f"pip was told to build {package} from source ({option} {named}), and no release of "
            f"{package}{spec} has a source archive{seen}: releases published as wheels only are left out."
        )
        hint = (
            f"Let pip use {package}'s wheels (drop it from --no-binary, in your command or pip's "
            f"configuration: `--no-binary :all: --only-binary {package}` keeps building the rest), or pin a "
            "release that has a source archive."
        )
    return LogExplanation(
        kind="only-binary" if wheels else "no-binary",
        category="no-matching-distribution",
        summary=summary,
        hint=hint,
        confidence=0.7,
    )


# pip's "(from parent...)" after a requirement another project declared; not "(from -r file (line N))" nor
# "(from -c file ...)", the user's own lines, whose ranges may name releases that do not exist.
_DEPENDENCY_ORIGIN = re.compile(r" \(from (?!-[rc] )(?P<parent>[A-Za-z0-9][\w.\[\],-]*)[^()]*\)")


def _range_above_listed(
    package: str,
    spec: str,
    origin: str | None,
    versions: Sequence[Version],
    skipped_for_python: frozenset[str] | None,
) -> LogExplanation | None:
    """A dependency's range whose lowest version is newer than every release pip listed ("nassl<2.3.0,>=2.2.0
    (from sslyze) (from versions: ..., 1.0.3)", "sslyze>=2.0.6 (from pshtt) (from versions: ..., 1.4.3)"):
    the package that asks for it was published against those releases, so they exist, and pip left them out
    here; pips before 22.1 leave out without a word the releases whose Requires-Python excludes this Python,
    and wheel-only releases stop at the Pythons of their time. The same reading as a pin newer than the
    listed series, for a requirement the user did not write (-r/-c lines are the user's own: a range there
    may name releases that do not exist)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    parent = _DEPENDENCY_ORIGIN.fullmatch(origin or "")
    if parent is None or not versions or not spec:
        return None
    try:
        specifiers = SpecifierSet(spec.rstrip(";,"))
    except InvalidSpecifier:
        return None
    lows = []
    for item in specifiers:
        if item.operator in (">=", ">", "~=") and "*" not in item.version:
            try:
                lows.append(Version(item.version))
            except InvalidVersion:
                return None
    if not lows:
        return None
    low = max(lows)
    newest = max(versions)
    next_series = low.release[0] == newest.release[0] + 1 and (*low.release, 0)[1] <= 2
    if low <= newest or not (low.release[0] == newest.release[0] or next_series) or low.is_prerelease:
        return None
    if skipped_for_python is not None and not any(
        Version(text) >= low for text in skipped_for_python if _is_version(text)
    ):
        # pip 22.1 on names the releases it leaves out for their Requires-Python: not these
        return None
    package_spec = f"{package}{spec.rstrip(';,')}"
    return LogExplanation(
        kind="python-version",
        category="python-version-unsupported",
        summary=(
            f"{parent.group('parent')} requires {package_spec}, newer than every release pip could use here "
            f"(newest listed: {newest}): those releases exist, and most likely require another Python "
            "version than this one (pips before 22.1 do not print the releases they skip for their "
            "Requires-Python; wheel-only releases stop at the Pythons of their time)."
        ),
        hint=(
            f"Use a Python version the releases {package_spec} support, or install an older release of "
            f"{parent.group('parent')} that accepts the ones pip listed. `safe-pip diagnose --here` on the "
            "machine that ran pip asks the index."
        ),
        confidence=0.5,
    )


def _is_version(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def explain_log(
    lines: Iterable[str],
    similar: Sequence[str] = (),
    log: LogPython | None = None,
    skipped_for_python: frozenset[str] | None = None,
    *,
    indexes: Sequence[str] = (),
    formats: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> LogExplanation | None:
    """From pip's "Could not find a version ... (from versions: ...)" line alone: a pinned version older than
    every version pip could use means older releases are hidden from this interpreter, most likely by its
    Python version; no version at all for a name that looks like another project's means a typo or an import
    name (`similar`, from the caller). For a project release-tables.toml lists, what the list (or its absence)
    means there, with the Python and platform the rest of the log names (`log`, from logpython).
    `skipped_for_python`: the releases pip 22.1+ said it ignored for their Requires-Python ("Ignored the
    following versions that require a different python version: 8.2.0 Requires-Python >=3.10; ..."), None
    when the log has no such line. `indexes`: the index URLs pip's "Looking in indexes:" line names (none:
    not shown). `formats`: the --only-binary and --no-binary values the log's own pip command (or pip's
    environment) gives. None when the lines say nothing more than pip did."""
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    for line in lines:
        match = _FROM_VERSIONS.search(line)
        if match is None:
            continue
        package = match.group("package")
        listed = [text.strip() for text in (match.group("versions") or "").split(",") if text.strip()]
        spec = match.group("spec")
        wrong_build = _torch_build_missing(package, spec, indexes)
        if wrong_build is not None:
            return wrong_build
        pinned = re.fullmatch(r"===?([\w.!+-]+)", spec)
        from safe_pip.facts import parsed_versions
        from safe_pip.releasetables import load_release_tables, may_list

        versions = parsed_versions(listed)

        placeholder = _placeholder_of(package, spec, versions)
        if placeholder is not None:
            return placeholder
        name = canonicalize_name(package)
        wheels, sdists = _allowed_formats(name, *formats)
        if not (wheels and sdists):
            # the user's own format control decides before any reading of the list: under --no-binary :all:
            # a pin pip does not list is most likely a release with wheels only (nodeenv 1.3.5), under
            # --only-binary a release (or a project) with no wheel for this Python and platform
            return _format_explained(package, spec, wheels, formats, match.group("versions"))
        known = load_release_tables().get(name) if may_list(name) else None
        listed_text = match.group("versions")
        if known is not None and versions and _only_placeholders(known, versions):
            # (torch's 0.1.2 name-holder archives, listed alone: pip found no real release, as "none")
            versions, listed_text = [], "none"
        if known is not None:
            told = _explain_with_table(known, spec, versions, listed_text, log or LogPython())
            if told is not None:
                return told
            if match.group("cut") is not None:
                # (its last version may be cut too: left out; the list's end is not known)
                shown_part = [text.strip() for text in match.group("cut").split(",")][:-1]
                told = _explain_with_table(
                    known, spec, parsed_versions(shown_part), "cut", log or LogPython(), cut=True
                )
                if told is not None:
                    return told
        if pinned and versions and match.group("versions") not in (None, "none"):
            try:
                wanted = Version(pinned.group(1))
            except InvalidVersion:
                return None
            from safe_pip.projectnames import conda_own_name

            if wanted not in versions and conda_own_name(package):
                # conda's own packages (and Anaconda's MKL bindings) pinned at the version conda installed:
                # not a Python-version question, the release is conda's and the index never had it
                listed_newest = max(versions)
                return LogExplanation(
                    kind="conda-only",
                    category="no-matching-distribution",
                    summary=(
                        f"{package} {wanted} is a release from conda's channels (Anaconda), not one on the "
                        f"index pip reads (it lists {', '.join(str(v) for v in sorted(versions)[-3:])}): a "
                        "requirements file written by `pip freeze` in an Anaconda environment pins the "
                        "packages of the conda environment itself at the versions conda installed."
                    ),
                    hint=(
                        f"Delete the {package} line from the requirements file if your code does not import "
                        f"it (conda's tools and Anaconda's MKL bindings come with the environment, not with "
                        f"your project), or pin a release pip "
                        f"listed ({package}=={listed_newest}); write the file with `pip list --not-required "
                        "--format=freeze` or by hand instead of a full `pip freeze` of the conda environment."
                    ),
                    confidence=0.7,
                )
            oldest = min(versions)
            if wanted < oldest:
                newest = max(versions)
                return LogExplanation(
                    kind="python-version",
                    category="python-version-unsupported",
                    summary=(
                        f"{package} {wanted} is older than every release pip could use here (oldest listed: "
                        f"{oldest}): its files most likely do not support this Python version (an old "
                        "release's wheels stop at the Pythons of its time)."
                    ),
                    hint=(
                        f"Install a {package} release pip listed ({package}=={newest} is the newest), or use "
                        f"the Python version {package} {wanted} was released for. `safe-pip diagnose --here` "
                        "on the machine that ran pip asks the index."
                    ),
                    confidence=0.6,
                )
            newest = max(versions)
            below = [version for version in versions if version < wanted]
            above = [version for version in versions if version > wanted]
            # (a local version, torch==1.8.0+cu111, is another index's build: not this case)
            plain_pin = wanted not in versions and not wanted.is_prerelease and not wanted.local
            # Only where the line is the legacy resolver's (the requirement's origin before the versions:
            # pip before 20.3, which also leaves out releases whose Requires-Python excludes this Python
            # without a word). pip 22.1 on prints those it leaves out, and on real logs of newer pips a pin
            # between listed releases was a version that does not exist (mysqlclient 2.1.2, Django 4.2.99,
            # black 22.0).
            legacy = match.group("origin") is not None
            if (
                legacy
                and below
                and above
                and plain_pin
                and _in_unlisted_series(max(below), min(above), wanted)
            ):
                # A pin in a series pip left out between releases it listed (opencv-python==4.2.0.34
                # between 3.4.11.45 and 4.3.0.38 on Python 3.9, where 4.0-4.2 must exist): a project that
                # keeps several series has wheels for this Python in some, and a release whose wheels all
                # stop at older Pythons is left out of the list without a word. A pin where no release is
                # missing (idna==2.99 between 2.10 and 3.0) is a version that does not exist, as likely as
                # not.
                nearest = min(above)
                return LogExplanation(
                    kind="python-version",
                    category="python-version-unsupported",
                    summary=(
                        f"{package} {wanted} is not among the releases pip could use here, though older "
                        f"({max(below)}) and newer ({nearest}) ones are: if it is on the index, its files "
                        "most likely do not support this Python version or platform (an old release's wheels "
                        "stop at the Pythons of its time); if it is not, the version does not exist."
                    ),
                    hint=(
                        f"Install a {package} release pip listed ({package}=={nearest} is the nearest newer "
                        f"one), or use the Python version {package} {wanted} was released for. `safe-pip "
                        "diagnose --here` on the machine that ran pip asks the index."
                    ),
                    confidence=0.5,
                )
            # An early release of the next series (pyyaml==6.0.1 beside 5.4.1 on Python 2.7, numpy==2.0.0
            # beside 1.24.4 on 3.8, both pip 19) is the same case: a project's next major release is the one
            # that drops the old Pythons. A pin further on (torch==9.0, numpy==2.5) may not exist at all.
            next_series = wanted.release[0] == newest.release[0] + 1 and (*wanted.release, 0)[1] <= 2
            # A local build of a listed release (torch==1.11.0+cpu beside 1.11.0, from a find-links page
            # with no +cpu build for this platform, an arm64 image on an Apple-silicon Mac) sorts after it
            # but is not a newer release: the release exists for this Python, only that build is missing.
            listed_release = wanted.local is not None and Version(wanted.public) in versions
            # A pip that prints the releases it skips for their Requires-Python (22.1 on: the log has that
            # line) and does not name this one did not skip it for the Python: clip==1.0 beside 0.2.0 under
            # "Ignored the following versions ...: 8.2.0 Requires-Python >=3.10; ..." is a version that does
            # not exist (a conda environment file's pin of a project installed from git elsewhere).
            skipped = skipped_for_python is not None and not any(
                _same_release(text, wanted) for text in skipped_for_python
            )
            if (
                wanted > newest
                and (wanted.release[0] == newest.release[0] or next_series)
                and not wanted.is_prerelease
                and not listed_release
                and not skipped
            ):
                # A pin in the series pip listed, newer than all of it (numpy==2.3.0 beside 2.2.6 on 3.10,
                # futures==3.3.0 beside 3.1.1 on any Python 3): pips before 22.1 hide releases whose
                # Requires-Python excludes this interpreter without a word, and no pip lists a release whose
                # only files are wheels for other Pythons. A pin in another series (torch==9.0) is a version
                # that does not exist, as likely as not: no explanation for that.
                return LogExplanation(
                    kind="python-version",
                    category="python-version-unsupported",
                    summary=(
                        f"{package} {wanted} is newer than every release pip could use here (newest listed: "
                        f"{newest}): if it is on the index, its files most likely require another Python "
                        "version than this one (pips before 22.1 do not print the releases they skip for "
                        "their Requires-Python); if it is not, the version does not exist."
                    ),
                    hint=(
                        f"Use a Python version {package} {wanted} supports, or install {package}=={newest}, "
                        "the newest release pip listed for this one. `safe-pip diagnose --here` on the "
                        "machine that ran pip asks the index."
                    ),
                    confidence=0.5,
                )
        newer_range = _range_above_listed(package, spec, match.group("origin"), versions, skipped_for_python)
        if newer_range is not None:
            return newer_range
        older_range = _range_below_listed(package, spec, match.group("origin"), versions)
        if older_range is not None:
            return older_range
        # (not when pip said it left releases out for their Requires-Python: a backport such as dataclasses
        # is a project for the Pythons before the module joined the standard library)
        own = (
            _python_own_name(package)
            if match.group("versions") in ("none", "") and not skipped_for_python
            else None
        )
        if own is not None:
            # `python>=3.7` in a requirements file, `pip install tkinter`, `pkg-resources==0.0.0`: no project
            summary, hint = _PYTHON_OWN[own]
            if own == "python" and spec:
                hint += (
                    f" A `{package}{spec}` line in a requirements file asks pip for Python itself: delete it."
                )
            return LogExplanation(
                kind="python-own-name",
                category="no-matching-distribution",
                summary=f"pip found no release of {package}: " + summary.format(project=package),
                hint=hint.format(project=package),
                confidence=0.7,
            )
        # (pips before 10 print an empty list: "(from versions: )")
        if match.group("versions") in ("none", "") and similar:
            return LogExplanation(
                kind="no-such-project",
                category="no-matching-distribution",
                summary=(
                    f"pip found no release at all of {package}; if the name is mistyped or is a module's "
                    f"name, the project may be {' or '.join(similar)}."
                ),
                hint=f"Check the name: did you mean {similar[0]}?",
                confidence=0.5,
                suggestions=tuple(similar),
            )
        return None
    return None


def _placeholder_of(package: str, spec: str, versions: Sequence[Version]) -> LogExplanation | None:
    """A requirement named after another project's import name (`sklearn==0.20.1`, `bs4==0.0.2`), where the
    index lists only that name's placeholder releases (0.0, 0.0.1: a stub that points to the real project)
    and none fits the version asked for, which is the real project's: the name is why, not the Python
    version (a pin past every listed release would otherwise read as one). None otherwise."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    from safe_pip.projectnames import meant_project

    if not spec or not versions or max(versions) >= Version("0.1"):
        return None
    meant = meant_project(package)
    if meant is None:
        return None
    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    if any(wanted.contains(version, prereleases=True) for version in versions):
        return None
    listed = ", ".join(str(version) for version in sorted(versions))
    # (a pin of a placeholder-like version, bs4==0.0.2, is no version of the real project: name it bare)
    pinned = re.fullmatch(r"===?([\w.!+-]+)", spec)
    theirs = not (pinned and _version_below(pinned.group(1), "0.1"))
    return LogExplanation(
        kind="import-name",
        category="no-matching-distribution",
        summary=(
            f"{package} is the import name of {meant}, not the project to install: the index's {package} "
            f"has only placeholder releases ({listed}), none {spec}"
            + (f"; the version asked for is {meant}'s." if theirs else ".")
        ),
        hint=(
            f"Install {meant}{spec if theirs else ''} instead of {package}{spec} (`import {package}` comes "
            f"from {meant})."
        ),
        confidence=0.7,
    )


def _version_below(text: str, bound: str) -> bool:
    """Whether the version `text` is below `bound` (False when `text` is no version)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text) < Version(bound)
    except InvalidVersion:
        return False


def _same_release(text: str, wanted: Version) -> bool:
    """Whether the version `text` (from pip's list of ignored releases) is `wanted` (5.0 is 5.0.0)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text) == wanted
    except InvalidVersion:
        return False


def _wanted_exists(known: ProjectReleases, spec: str) -> bool:
    """Whether some release up to the table's newest can satisfy `spec` (a pin at most the newest; a range
    that holds the newest or starts at most at it): a pin or range past every release the table knows may
    not exist at all."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    pinned = re.fullmatch(r"===?([\w.!+-]+)", spec)
    try:
        if pinned:
            return Version(pinned.group(1)) <= Version(known.newest)
        if not spec:
            return True
        wanted = SpecifierSet(spec)
        if wanted.contains(known.newest, prereleases=True):
            return True
        # A range the newest release is past (numpy~=2.2.1, torch>=2.1,<2.2): it exists when its own lower
        # bound does, the way a pin at most the newest does (~=2.2.1 and ==2.2.* start at 2.2.1 and 2.2).
        newest = Version(known.newest)
        for clause in wanted:
            if clause.operator in ("~=", ">=", "==") and not clause.version.endswith(".*"):
                bound = Version(clause.version)
            elif clause.operator == "==":
                bound = Version(clause.version[:-2])
            else:
                continue
            if bound <= newest and wanted.contains(bound, prereleases=True):
                return True
        return False
    except (InvalidVersion, InvalidSpecifier):
        return False


def _range_below_listed(
    package: str, spec: str, origin: str | None, versions: Sequence[Version]
) -> LogExplanation | None:
    """A range (not a pin: `_in_unlisted_series` and the pin checks read those) that pip listed no release of,
    though it listed newer ones: every release it allows is older than all of them ("triton<3,>=2.0.0 (from
    versions: 3.2.0, ...)" on Python 3.13), or, for a range a dependency declares, lies in a series left out
    between two listed releases ("cumm<0.5.0,>=0.4.5 (from spconv) (from versions: 0.1.0, 0.5.0, ...)" on
    Python 3.12, where 0.2-0.4 came before 0.5). Those releases exist (the series between came first; a
    package was published against its dependency's releases) and pip left them out here: an old release's
    wheels stop at the Pythons of its time, so most likely the Python version. A range in a listed series, or
    whose neighbours leave no series out, may name releases that do not exist: nothing more than pip said."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    if not versions or not spec or re.fullmatch(r"===?[^,;]+", spec.rstrip(";,")):
        return None
    try:
        specifiers = SpecifierSet(spec.rstrip(";,"))
    except InvalidSpecifier:
        return None
    if any(specifiers.contains(version, prereleases=True) for version in versions):
        return None
    lows: list[Version] = []
    highs: list[Version] = []  # exclusive upper bounds
    try:
        for item in specifiers:
            if "*" in item.version:
                return None
            bound = Version(item.version)
            if item.operator in (">=", ">"):
                lows.append(bound)
            elif item.operator == "~=":
                lows.append(bound)
                highs.append(Version(".".join(map(str, (*bound.release[:-2], bound.release[-2] + 1)))))
            elif item.operator in ("<", "<="):
                # (no listed release is in the range, so "<=X" never meets a listed X)
                highs.append(bound)
    except (InvalidVersion, IndexError):
        return None
    if not highs:
        return None
    high = min(highs)
    low = max(lows) if lows else None
    oldest = min(versions)
    package_spec = f"{package}{spec.rstrip(';,')}"
    parent = _DEPENDENCY_ORIGIN.fullmatch(origin or "")
    asker = f"{parent.group('parent')} requires {package_spec}, which" if parent else package_spec
    if high <= oldest:
        return LogExplanation(
            kind="python-version",
            category="python-version-unsupported",
            summary=(
                f"{asker} allows only releases older than every one pip could use here (oldest listed: "
                f"{oldest}): their files most likely do not support this Python version (an old release's "
                "wheels stop at the Pythons of its time)."
            ),
            hint=(
                f"Use the Python version those {package} releases were made for, or allow {package} "
                f"{oldest} or newer"
                + (f" (a release of {parent.group('parent')} that accepts it)" if parent else "")
                + ". `safe-pip diagnose --here` on the machine that ran pip asks the index."
            ),
            confidence=0.55,
        )
    below = [version for version in versions if version < (low or high)]
    above = [version for version in versions if version >= high]
    if (
        parent is None
        or low is None
        or low.is_prerelease
        or not below
        or not above
        or not _in_unlisted_series(max(below), min(above), low)
    ):
        return None
    nearest = min(above)
    return LogExplanation(
        kind="python-version",
        category="python-version-unsupported",
        summary=(
            f"{parent.group('parent')} requires {package_spec}, whose releases pip did not list though older "
            f"({max(below)}) and newer ({nearest}) ones are: the releases in between exist, and their files "
            "most likely do not support this Python version or platform (an old release's wheels stop at the "
            "Pythons of its time)."
        ),
        hint=(
            f"Use a Python version those {package} releases support, or a release of "
            f"{parent.group('parent')} that accepts {package} {nearest} or newer. `safe-pip diagnose --here` "
            "on the machine that ran pip asks the index."
        ),
        confidence=0.5,
    )


def _excludes_all(spec: str, versions: Sequence[Version]) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        return False
    return bool(spec) and not any(wanted.contains(version, prereleases=True) for version in versions)


def _platform_words(known: ProjectReleases) -> str:
    return ", ".join(LogPython(platform=platform).platform_name for platform, _ in known.platforms)


def _python_words(pythons: Sequence[str]) -> str:
    return "Python " + " or ".join(pythons)


def _only_placeholders(known: ProjectReleases, versions: Sequence[Version]) -> bool:
    """Whether every version pip listed is one the table calls no release of the project (torch 0.1.2...)."""
    from safe_pip.facts import parsed_versions

    placeholders = set(parsed_versions(known.placeholders))
    return bool(placeholders) and all(version in placeholders for version in versions)


def _all_newer_than(spec: str, last: Version) -> bool:
    """Whether every version `spec` allows is newer than `last`, told by its lower bounds (>=, >, ~=, ==):
    `>=74.1.0` past 68.0.0, but not `==2.3.0` (older than 2.8.0: it is not asking for a newer release) nor a
    spec with no lower bound (`<3`, `!=2.0`)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        specifiers = list(SpecifierSet(spec))
    except InvalidSpecifier:
        return False
    for specifier in specifiers:
        operator, text = specifier.operator, specifier.version
        if operator not in (">=", ">", "~=", "==", "==="):
            continue
        try:
            bound = Version(text[:-2] if text.endswith(".*") else text)
        except InvalidVersion:
            continue
        if bound > last or (operator == ">" and bound == last):
            return True
    return False


def _range_past_last_for_python(known: ProjectReleases, spec: str, log: LogPython) -> LogExplanation | None:
    """A range (or pin) newer than the project's last release for the Python the log shows: pdftotext's build
    asking for setuptools>=74.1.0 on 3.7 (the last setuptools for 3.7 is 68.0.0). Read whether pip's list is
    there or not: the releases that would satisfy it do not support this Python. None when the log does not
    show the Python, or the project still releases for it."""
    from packaging.version import Version

    last_here = dict(known.last).get(log.python) if log.python is not None else None
    if last_here is None or log.python_line is None or not _all_newer_than(spec, Version(last_here)):
        return None
    name = known.name
    return LogExplanation(
        kind="python-version",
        category="python-version-unsupported",
        summary=(
            f"{name}{spec} asks for a release newer than {last_here}, {name}'s last release for Python "
            f"{log.python} (the index on {RELEASES_AS_OF}); the log shows Python {log.python} (line "
            f"{log.python_line[0]}): the releases that would satisfy it do not support this Python version."
        ),
        hint=(
            f"Use a newer Python for {name}{spec} ({name} {known.newest} supports up to Python "
            f"{known.pythons[1]}), or install {name}=={last_here}, the last release for this one."
        ),
        confidence=0.7,
        evidence=(log.python_line,),
    )


def _first_patch(python: str, text: str) -> str | None:
    """Python `python` (X.Y) at its first patch releases, X.Y.0 or X.Y.1, as `text` names it ("Python 3.13.0",
    "Python 3.11.1 (tags/v3.11.1:a7a450f, ...)"); None for a later patch, a pre-release or no patch at all."""
    match = re.search(rf"(?<![\w.]){re.escape(python)}\.([01])(?![\w.])", text)
    return f"{python}.{match.group(1)}" if match else None


def _explain_with_table(
    known: ProjectReleases,
    spec: str,
    versions: Sequence[Version],
    listed: str | None,
    log: LogPython,
    *,
    cut: bool = False,
) -> LogExplanation | None:
    """What pip's line means for a project the release table knows (as of its date): a list that ends exactly
    at the project's last release for some Python (or platform), a range newer than the project's last release
    for the Python the log names, or no release at all of a project that publishes only wheels, read with the
    Python and platform the log names. `cut`: the list's end is not in the log (`versions` is its start). None
    when the table and the log together say no more than pip did."""
    from packaging.version import InvalidVersion, Version

    name = known.name
    dated = f"(the index on {RELEASES_AS_OF})"
    seen_python = (log.python_line,) if log.python_line else ()
    seen_platform = (log.platform_line,) if log.platform_line else ()
    shown = f"the log shows Python {log.python} (line {log.python_line[0]})" if log.python_line else ""
    pin = re.fullmatch(r"===?([\w.!+-]+)", spec)
    try:
        wanted_pin = Version(pin.group(1)) if pin else None
    except InvalidVersion:
        wanted_pin = None
    if (
        versions
        and listed not in (None, "none")
        and _excludes_all(spec, versions)
        and _wanted_exists(known, spec)
    ):
        finals = [version for version in versions if not version.is_prerelease]
        start = str(min(finals)) if finals else str(min(versions))  # (2.13.0rc0 ... 2.13.0: the first final)
        starting = known.platforms_starting_at(start)
        if (
            wanted_pin is not None
            and wanted_pin < min(versions)
            and starting
            and (
                log.platform is None
                or log.platform in starting
                or (log.platform == "windows" and any(item.startswith("win") for item in starting))
            )
        ):
            # The list starts exactly at the first release with a wheel for a platform, and the pin is older:
            # that platform's wheels begin later (jaxlib on Windows from 0.4.13): not the Python version.
            where = " or ".join(LogPython(platform=platform).platform_name for platform in starting)
            return LogExplanation(
                kind="platform",
                category="no-matching-distribution",
                summary=(
                    f"pip's list of {name} releases starts at {start}, {name}'s first release with a wheel "
                    f"for {where} {dated}: {name}{spec} is older and has no wheel for this platform (its "
                    "wheels are for other platforms), so the Python version is not why."
                ),
                hint=(
                    f"Install {name}=={start} or newer (the releases this platform has), or use a machine "
                    f"{name}{spec} has wheels for."
                ),
                confidence=0.65,
                evidence=seen_platform,
            )
        end = str(max(versions))
        pythons = known.pythons_ending_at(end) if not cut else ()
        if pythons and (log.python is None or log.python in pythons):
            return LogExplanation(
                kind="python-version",
                category="python-version-unsupported",
                summary=(
                    f"pip's list of {name} releases ends at {end}, {name}'s last release for "
                    f"{_python_words(pythons)} {dated}{'; ' + shown if shown else ''}: the releases "
                    "that would "
                    f"satisfy {name}{spec} do not support this Python version."
                ),
                hint=(
                    f"Use a newer Python for {name}{spec} ({name} {known.newest} supports up to Python "
                    f"{known.pythons[1]}), or install {name}=={end}, the last release for this one."
                ),
                confidence=0.7,
                evidence=seen_python,
            )
        past = _range_past_last_for_python(known, spec, log)
        if past is not None:
            return past
        platforms = known.platforms_ending_at(end) if not cut else ()
        if platforms and not pythons and (log.platform is None or log.platform in platforms):
            where = " or ".join(LogPython(platform=platform).platform_name for platform in platforms)
            return LogExplanation(
                kind="platform",
                category="no-matching-distribution",
                summary=(
                    f"pip's list of {name} releases ends at {end}, {name}'s last release with a wheel for "
                    f"{where} {dated}: {name} publishes no wheels for this platform after that, and the "
                    "Python version is not why."
                ),
                hint=(
                    f"Install {name}=={end} (the last release for this platform), or use a machine {name} "
                    "still publishes wheels for."
                ),
                confidence=0.7,
                evidence=seen_platform,
            )
        return None
    if (listed is None or cut) and spec and _wanted_exists(known, spec):
        # pip 20.3-21.1 print no list at all when every release was left out for its Requires-Python ("Could
        # not find a version that satisfies the requirement setuptools>=80.9.0" and nothing after); a list cut
        # before its end shows nothing of the releases after the cut
        past = _range_past_last_for_python(known, spec, log)
        if past is not None:
            return past
    if cut:
        return None
    if listed is not None and listed.strip() in ("none", "") and known.wheel_only:
        # ("none" from pip 10 on, an empty list from older pips: the same fact)
        low, high = known.pythons
        if log.python is not None and not known.covers_python(log.python):
            newer = tuple(map(int, log.python.split("."))) > tuple(map(int, high.split(".")))
            return LogExplanation(
                kind="python-version",
                category="python-version-unsupported",
                summary=(
                    f"pip found no release of {name} with a wheel for this interpreter, and {shown}: {name} "
                    f"publishes only wheels (no source archive), for CPython {low} to {high} {dated}, none "
                    "for "
                    f"Python {log.python}{' yet' if newer else ''}."
                ),
                hint=(
                    f"Use a Python {name} has wheels for (Python {high} is the newest), e.g. a virtual "
                    f"environment made with python{high}."
                ),
                confidence=0.7,
                evidence=seen_python,
            )
        covered = known.covers_platform(log.platform) if log.platform else None
        if log.platform == "musllinux":
            covered = any(platform.startswith("musllinux") for platform, _ in known.platforms)
        first = known.first_on(log.platform) if log.platform else None
        if (
            log.platform_line is not None
            and first is not None
            and wanted_pin is not None
            and wanted_pin < Version(first)
        ):
            # a pin older than the first release with a wheel for the platform the log shows (jaxlib 0.1.37
            # on Windows): none there, whatever the Python
            return LogExplanation(
                kind="platform",
                category="no-matching-distribution",
                summary=(
                    f"pip found no release of {name} with a wheel for this machine: {name} publishes only "
                    f"wheels, and its first for {log.platform_name} is {first} {dated} (line "
                    f"{log.platform_line[0]} of the log names the platform): {name}{spec} is older, so the "
                    "Python version is not why."
                ),
                hint=f"Install {name}=={first} or newer, or use a machine {name}{spec} has wheels for.",
                confidence=0.7,
                evidence=seen_platform,
            )
        if log.platform_line is not None and covered is False:
            return LogExplanation(
                kind="platform",
                category="no-matching-distribution",
                summary=(
                    f"pip found no release of {name} with a wheel for this machine: {name} publishes only "
                    f"wheels, none for {log.platform_name} (the index on {RELEASES_AS_OF}; line "
                    f"{log.platform_line[0]} of the log names the platform): the Python version is not why."
                ),
                hint=(
                    f"{name} has wheels for {_platform_words(known)}: install it on one of those, or build "
                    "it from its own sources if the project documents how."
                ),
                confidence=0.7,
                evidence=seen_platform,
            )
        # Neither the Python nor the platform is shown to be why. Logs like this come mostly from a Python
        # newer than any wheel the project had then (a release covers today's newest Python months after it
        # ships), so that is the likely cause, said as such; a platform the log names is then no reason.
        # (a Python the log names reaches here only when the table covers it)
        python_shown_fine = log.python_line if log.python is not None else None
        if (
            python_shown_fine
            and log.platform_line is not None
            and log.platform is not None
            and known.platform_current(log.platform)
        ):
            # The log names both, and today's releases have wheels for that Python on that platform: what
            # pip saw then was an index without them yet, a Python newer than every wheel of the time
            # (onnxruntime on 3.12.0 in December 2023, open3d on 3.13).
            return LogExplanation(
                kind="python-version",
                category="python-version-unsupported",
                summary=(
                    f"pip found no release of {name} with a wheel for this interpreter: {name} publishes "
                    f"only wheels, and {shown}, on {log.platform_name} (line {log.platform_line[0]}). "
                    f"{name} has wheels for both today {dated}, so the log is older than them: Python "
                    f"{log.python} was newer than every {name} wheel then."
                ),
                hint=(
                    f"Retry now (today's {name} supports Python {log.python}), or use an older Python in a "
                    f"virtual environment for {name} releases of that time."
                ),
                confidence=0.6,
                evidence=seen_python + seen_platform,
            )
        first_patch = None
        if python_shown_fine and log.python:
            first_patch = _first_patch(log.python, python_shown_fine[1])
        if first_patch and log.platform_line is None:
            # (the platforms its newest release still has wheels for: torch's stop at 2.2.2 on Intel Macs,
            # before any cp313)
            current = [
                LogPython(platform=platform).platform_name
                for platform, _ in known.platforms
                if known.platform_current(platform)
            ]
            still = f"{name} has wheels for Python {log.python} today"
            if log.python in dict(known.last):
                still += f", in releases up to {dict(known.last)[log.python]}"
            elif current:
                still += f", its newest release on {', '.join(current)}"
            # The log names the Python at one of its first patch releases (3.13.0 in December 2024, 3.12.1
            # in January 2024) and no platform: a Python that new comes from the months after it came
            # out, when a wheel-only project often had no wheels for it yet (torch's cp313 macOS and
            # Windows wheels came with 2.6, three months after 3.13.0); that it has them today says
            # nothing of then.
            return LogExplanation(
                kind="python-version",
                category="python-version-unsupported",
                summary=(
                    f"pip found no release of {name} with a wheel for this interpreter: {name} publishes "
                    f"only wheels, and {shown}: {first_patch}, one of Python {log.python}'s first "
                    "releases, so the log most likely comes from the months after it came out, before "
                    f"{name} had wheels for it ({name} has them on the index of {RELEASES_AS_OF}). A "
                    "platform without wheels is the other cause."
                ),
                hint=(
                    f"Retry now: {still}. Or use an older Python in a virtual environment for {name} "
                    "releases of that time."
                ),
                confidence=0.6,
                evidence=seen_python,
            )
        return LogExplanation(
            kind="no-wheel",
            category="no-matching-distribution" if python_shown_fine else "python-version-unsupported",
            summary=(
                f"pip found no release of {name} it can install here: {name} publishes only wheels (no "
                f"source archive), for CPython {low} to {high} on {_platform_words(known)} {dated}, so no "
                "wheel fits this interpreter's Python version or platform. "
                + (
                    f"Python {log.python} (line {python_shown_fine[0]}) has wheels today: the platform (or "
                    "a 32-bit Python) is the likely reason, or a log older than those wheels."
                    if python_shown_fine
                    else "The log does not say which Python pip ran on: most often it is a Python newer than "
                    f"any {name} wheel at the time (or older than the oldest); a 32-bit Python or a platform "
                    "without wheels is the other cause. `safe-pip diagnose --here` on that machine can tell."
                )
            ),
            hint=(
                f"Check `python --version` (a Python outside {low}-{high} has no {name} wheel) and the "
                "platform (32-bit Windows or Python, 32-bit ARM and musl have none unless listed above)."
            ),
            confidence=0.6,
            evidence=seen_python + seen_platform,
        )
    last = dict(known.last).get(log.python or "")
    pinned = re.fullmatch(r"===?([\w.!+-]+)", spec)
    if last is not None and not versions and pinned is not None:
        # No list (pip 20.3's resolver prints none): a pin newer than the table's last release for the Python
        # the log names, and not past the project's newest.
        try:
            past_last = Version(last) < Version(pinned.group(1)) <= Version(known.newest)
        except InvalidVersion:
            past_last = False
        if past_last:
            return LogExplanation(
                kind="python-version",
                category="python-version-unsupported",
                summary=(
                    f"{name}{spec} is newer than {last}, {name}'s last release for Python {log.python} "
                    f"{dated}, and {shown}: its files do not support this Python version."
                ),
                hint=f"Use a newer Python for {name}{spec}, or install {name}=={last}.",
                confidence=0.7,
                evidence=seen_python,
            )
    if listed is None and pinned is not None and known.wheel_only and log.python is None and "+" not in spec:
        # No list, and no Python in the log: a pinned release of a project that publishes only wheels, not
        # past its newest. Its wheels stop at the Pythons of its time; in logs like this (torch==1.5.0 in a
        # python:3 image, ray==2.40.0 on 3.8) that was the reason. Said as likely, at lower confidence.
        try:
            released = Version(pinned.group(1)) <= Version(known.newest)
        except InvalidVersion:
            released = False
        if released and (log.platform is None or known.covers_platform(log.platform) is not False):
            high = known.pythons[1]
            return LogExplanation(
                kind="python-version",
                category="python-version-unsupported",
                summary=(
                    f"pip found no file of {name}{spec} for this interpreter and printed no list of the "
                    "releases it saw; the log does not say which Python it ran on. "
                    f"{name} publishes only wheels, and a pinned release's wheels stop at the Pythons of its "
                    f"time: a Python newer (or older) than {name} {pinned.group(1)}'s is the likely reason; "
                    f"a platform without {name} wheels, or a version that does not exist, are the others."
                ),
                hint=(
                    f"Check `python --version` against the Pythons {name} {pinned.group(1)} has wheels for; "
                    f"for a newer Python, pin a newer {name} ({known.newest}, the newest {dated}, supports "
                    f"Python up to {high})."
                ),
                confidence=0.5,
                evidence=seen_platform,
            )
    return None
