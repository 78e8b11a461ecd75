"""A dependency pinned by the project that requires it (pydantic 2.5.3 pins pydantic-core==2.14.6): when no
release it allows has a wheel here, moving the dependency alone conflicts with its parent, so the release to
move is the parent's own pin, to the nearest release whose requirement allows a dependency with a wheel.

Pure: pip's log lines and `pip install --dry-run --report` JSON in, versions out; asking the index is the
caller's (probe.detect_requirement_of).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from safe_pip.facts import canonical_name
from safe_pip.requested import nearest_release

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# Collecting pydantic-core==2.14.6 (from pydantic==2.5.3)
# Collecting tokenizers!=0.11.3,<0.14,>=0.11.1 (from transformers==4.30.2)
# Collecting idna<4,>=2.5 (from requests[socks]==2.31.0->-r requirements.txt (line 1))   (pip 20.2 and older)
# Collecting colorama; sys_platform == "win32" (from click==8.1.7)
# (a requirement file's own line, "(from -r requirements.txt (line 3))", names no parent)
_COLLECTING = re.compile(
    r"^\s*Collecting (?P<child>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[^\]]*\])?"
    r"(?P<spec>[^;(]*?)\s*(?:;[^(]*)?\(from (?P<parent>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
)
# Processing /tmp/wheels/fastext-1.0.tar.gz (from appcore==1.0)     (a file from --find-links: its name says
# the version)
_PROCESSING = re.compile(
    r"^\s*Processing \S*?(?P<file>[^/\\\s]+\.(?:tar\.gz|zip|tar\.bz2|whl)) \(from "
    r"(?P<parent>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
)
# Past this many distinct dependencies a log is not read further (memory stays bounded on any log).
_MOST_PARENTS = 5000
# How many releases of a parent are asked for their requirement (a pip run each) before giving up.
MOST_TRIES = 6


def requirement_parents(lines: Iterable[str]) -> dict[str, tuple[str, str]]:
    """For each dependency pip collected because another project required it: that project and what it
    required (`pydantic-core` -> (`pydantic`, `==2.14.6`)), from pip's "Collecting X (from Y)" lines. The
    first line of each dependency counts (a later one is a retry of the same)."""
    parents: dict[str, tuple[str, str]] = {}
    for line in lines:
        if "(from " not in line:
            continue
        found = _collected(line)
        if found is None:
            continue
        child, parent, specifier = found
        if child not in parents:
            parents[child] = (parent, specifier)
            if len(parents) >= _MOST_PARENTS:
                break
    return parents


def _collected(line: str) -> tuple[str, str, str] | None:
    """(the dependency's canonical name, the project that required it, what it required) from one of pip's
    "Collecting X (from Y)" or "Processing FILE (from Y)" lines."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    match = _COLLECTING.match(line)
    if match is not None:
        return canonical_name(match.group("child")), match.group("parent"), match.group("spec").strip()
    match = _PROCESSING.match(line)
    if match is None:
        return None
    name = match.group("file")
    try:
        project, version = (
            parse_wheel_filename(name)[:2] if name.endswith(".whl") else parse_sdist_filename(name)
        )
    except (InvalidSdistFilename, InvalidWheelFilename):
        return None
    return canonical_name(str(project)), match.group("parent"), f"=={version}"


def requirement_in_report(text: str, project: str, dependency: str) -> str | None:
    """What the release of `project` in a `pip install --dry-run --no-deps --report -` JSON requires of
    `dependency` (its specifier; "" when it requires it without one), for the environment pip reported (its
    markers evaluated there, extras not requested); "-" when it does not require it; None when the report
    does not say (no such release in it, unreadable)."""
    import json

    from packaging.markers import InvalidMarker, UndefinedEnvironmentName
    from packaging.requirements import InvalidRequirement, Requirement

    wanted = canonical_name(project)
    needed = canonical_name(dependency)
    try:
        report = json.loads(text)
        environment = report.get("environment") or {}
        metadata = next(
            item.get("metadata", {})
            for item in report.get("install", [])
            if canonical_name(str(item.get("metadata", {}).get("name", ""))) == wanted
        )
        requires = metadata.get("requires_dist") or []
    except (ValueError, AttributeError, TypeError, StopIteration):
        return None
    specifiers = []
    for text_requirement in requires:
        try:
            requirement = Requirement(str(text_requirement))
        except InvalidRequirement:
            continue
        if canonical_name(requirement.name) != needed:
            continue
        if requirement.marker is not None:
            try:
                if not requirement.marker.evaluate({**environment, "extra": ""}):
                    continue
            except (InvalidMarker, UndefinedEnvironmentName, TypeError):
                return None
        specifiers.append(str(requirement.specifier))
    if not specifiers:
        return "-"
    return ",".join(spec for spec in specifiers if spec)


def parent_release(
    pinned: str,
    parent_versions: Sequence[str],
    required: str,
    dependency_wheels: Sequence[str],
    requirement_at: Callable[[str], str | None],
    *,
    tries: int = MOST_TRIES,
) -> str | None:
    """The release of the parent nearest to the `pinned` one (requested.nearest_release's order) whose
    requirement on the dependency (`requirement_at(version)`: a specifier, "-" for none, None unknown) allows
    a release in `dependency_wheels` (those with a wheel here). `required` is what the pinned release
    requires (`==2.14.6`): when every release with a wheel lies above what it allows, only newer parents are
    asked (below it, only older ones). At most `tries` releases are asked; None when none of them fits."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        anchor = Version(pinned)
        allowed_now = SpecifierSet(required)
        wheels = [Version(text) for text in dependency_wheels]
    except (InvalidVersion, InvalidSpecifier):
        return None
    if not wheels or any(allowed_now.contains(wheel, prereleases=True) for wheel in wheels):
        return None  # no wheel at all, or the pinned parent already allows one: nothing to move
    # Where the wheels lie against what the pinned parent allows (most of them: a stray old placeholder
    # release does not count): newer wheels need a newer parent, older ones an older parent.
    above, below = _count_above(allowed_now, wheels), _count_below(allowed_now, wheels)
    newer_needed = above > below
    older_needed = below > above
    remaining = []
    for text in parent_versions:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if (newer_needed and version < anchor) or (older_needed and version > anchor):
            continue
        remaining.append(text)
    for _ in range(tries):
        candidate = nearest_release(pinned, remaining)
        if candidate is None:
            return None
        requirement = requirement_at(candidate)
        if requirement == "-":
            return candidate
        try:
            allowed = SpecifierSet(requirement) if requirement is not None else None
        except InvalidSpecifier:
            allowed = None
        if allowed is not None and any(allowed.contains(wheel) for wheel in wheels):
            return candidate
        # The older patches of a release line that does not fit pin the same or older: the next line is asked.
        line = _minor(candidate)
        remaining = [text for text in remaining if text != candidate and _minor(text) != line]
    return None


def _minor(text: str) -> tuple[int, ...] | None:
    from packaging.version import InvalidVersion, Version

    try:
        return (*Version(text).release, 0)[:2]
    except InvalidVersion:
        return None


def _count_above(specifier: SpecifierSet, wheels: Sequence[Version]) -> int:
    """How many wheels' versions lie above what the specifier allows (0 when it has no upper bound)."""
    bound = _bound(specifier, ("==", "===", "<=", "<"), max)
    return 0 if bound is None else sum(wheel > bound for wheel in wheels)


def _count_below(specifier: SpecifierSet, wheels: Sequence[Version]) -> int:
    """How many wheels' versions lie below what the specifier allows (0 when it has no lower bound)."""
    bound = _bound(specifier, ("==", "===", ">=", ">", "~="), min)
    return 0 if bound is None else sum(wheel < bound for wheel in wheels)


def _bound(
    specifier: SpecifierSet, operators: tuple[str, ...], pick: Callable[[list[Version]], Version]
) -> Version | None:
    """The highest (`pick=max`) or lowest (`min`) version the specifier's parts with `operators` name."""
    from packaging.version import InvalidVersion, Version

    found = []
    for part in specifier:
        if part.operator in operators and "*" not in part.version:
            try:
                found.append(Version(part.version))
            except InvalidVersion:
                continue
    return pick(found) if found else None
