"""The release table (`release-tables.toml`, beside this module): for some much-installed projects, which
CPython versions and platforms their releases cover, each project's last release for each Python it dropped,
and whether it publishes only wheels. A log from elsewhere says which release pip looked for and what it
listed, not why nothing fit: the table says when the list itself points at the Python version or the
platform. Pure: `parse_release_tables(text)` reads the data, `load_release_tables()` the shipped file once; a
project the table does not list is unknown (None), never guessed.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from packaging.version import Version

__all__ = [
    "AS_OF",
    "ProjectReleases",
    "ReleaseTablesError",
    "load_release_tables",
    "may_list",
    "parse_release_tables",
]

AS_OF = "2026-12-01"  # the day the index was read (release-tables.toml's header)

_PYTHON = re.compile(r"[23]\.\d{1,2}")
_PLATFORMS = frozenset(
    {
        "linux-x86_64",
        "linux-aarch64",
        "linux-armv7l",
        "linux-i686",
        "linux-ppc64le",
        "linux-s390x",
        "musllinux-x86_64",
        "musllinux-aarch64",
        "macos-x86_64",
        "macos-arm64",
        "win-amd64",
        "win-arm64",
        "win32",
    }
)


class ReleaseTablesError(ValueError):
    """The table's data is not as documented (the message names the project, the key and the bad value)."""


@dataclass(frozen=True)
class ProjectReleases:
    """One project's entry. `pythons`: the oldest and newest CPython any release covers; `last`: the last
    release for each Python it no longer releases for; `platforms`: each platform's newest release with a
    wheel (wheel-only projects; empty otherwise); `firsts`: a platform's first release with a wheel, for the
    platforms that got wheels long after the project's first release (jaxlib on Windows from 0.4.13);
    `placeholders`: versions that are no release of the project."""

    name: str
    wheel_only: bool
    pythons: tuple[str, str]
    newest: str
    last: tuple[tuple[str, str], ...]
    platforms: tuple[tuple[str, str], ...]
    firsts: tuple[tuple[str, str], ...] = ()
    # Versions that are no release of the project (an early name-holder's source archives: torch 0.1.2,
    # 0.1.2.post1, 0.1.2.post2): pip listing only these found no real release for this interpreter.
    placeholders: tuple[str, ...] = ()

    def covers_python(self, python: str) -> bool:
        """Whether some release has a file for CPython `python` ("3.13")."""
        low, high = self.pythons
        return _key(low) <= _key(python) <= _key(high)

    def pythons_ending_at(self, version: str) -> tuple[str, ...]:
        """The Pythons whose last release is `version` (a list that ends there was cut by the Python)."""
        from packaging.version import InvalidVersion, Version

        try:
            wanted = Version(version)
        except InvalidVersion:
            return ()
        return tuple(python for python, last in self.last if Version(last) == wanted)

    def platforms_ending_at(self, version: str) -> tuple[str, ...]:
        """The platforms whose newest wheel is `version`, older than the project's newest release."""
        from packaging.version import InvalidVersion, Version

        try:
            wanted = Version(version)
        except InvalidVersion:
            return ()
        if wanted == Version(self.newest):
            return ()
        return tuple(platform for platform, last in self.platforms if Version(last) == wanted)

    def platforms_starting_at(self, version: str) -> tuple[str, ...]:
        """The platforms whose first wheel is `version` (the table's `first`)."""
        from packaging.version import InvalidVersion, Version

        try:
            wanted = Version(version)
        except InvalidVersion:
            return ()
        return tuple(platform for platform, first in self.firsts if Version(first) == wanted)

    def first_on(self, platform: str) -> str | None:
        """The first release with a wheel for `platform` ("windows": any Windows), when the table says."""
        from packaging.version import Version

        found = [
            first
            for name, first in self.firsts
            if name == platform or (platform == "windows" and name.startswith("win"))
        ]
        return str(min(found, key=Version)) if found else None

    def covers_platform(self, platform: str) -> bool | None:
        """Whether some release has a wheel for `platform` (None: not a wheel-only project, so unknown).
        "windows" (a log that shows Windows but not its bitness): a wheel for any Windows."""
        if not self.wheel_only:
            return None
        if platform == "windows":
            return any(name.startswith("win") for name, _ in self.platforms)
        return any(name == platform for name, _ in self.platforms)

    def platform_current(self, platform: str) -> bool:
        """Whether the project's newest release has a wheel for `platform` (one it still builds for)."""
        return any(name == platform and last == self.newest for name, last in self.platforms)


def _key(python: str) -> tuple[int, int]:
    major, minor = python.split(".")
    return int(major), int(minor)


def _toml() -> Any:
    """tomllib (tomli before Python 3.11)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older Pythons only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib


def parse_release_tables(text: str, origin: str = "release-tables.toml") -> dict[str, ProjectReleases]:
    """The table's projects by name; ReleaseTablesError naming the project and key when the data is bad."""
    tomllib = _toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ReleaseTablesError(f"{origin}: not valid TOML: {error}") from None
    projects = {}
    for name, entry in data.items():
        where = f"{origin}: [{name}]"
        if not isinstance(entry, dict):
            raise ReleaseTablesError(f"{where} must be a table, not {entry!r}")
        wheel_only = entry.get("wheel_only")
        if not isinstance(wheel_only, bool):
            raise ReleaseTablesError(f"{where} wheel_only must be true or false, not {wheel_only!r}")
        span = entry.get("pythons")
        low, _, high = span.partition("-") if isinstance(span, str) else ("", "", "")
        if not (_PYTHON.fullmatch(low) and _PYTHON.fullmatch(high)) or _key(low) > _key(high):
            raise ReleaseTablesError(f"{where} pythons must be 'X.Y-X.Y', oldest first, not {span!r}")
        newest = _version(entry.get("newest"), f"{where} newest")
        last = entry.get("last", {})
        platforms = entry.get("platforms", {})
        if not isinstance(last, dict) or not isinstance(platforms, dict):
            raise ReleaseTablesError(f"{where} last and platforms must be tables of strings")
        for python, version in last.items():
            if not _PYTHON.fullmatch(python) or not _key(low) <= _key(python) <= _key(high):
                raise ReleaseTablesError(f"{where} last: {python!r} is not a Python in {span}")
            if _version(version, f"{where} last.{python}") >= newest:
                raise ReleaseTablesError(f"{where} last.{python} = {version!r} is not older than newest")
        for platform, version in platforms.items():
            if platform not in _PLATFORMS:
                raise ReleaseTablesError(f"{where} platforms: unknown platform {platform!r}")
            if _version(version, f"{where} platforms.{platform}") > newest:
                raise ReleaseTablesError(f"{where} platforms.{platform} = {version!r} is newer than newest")
        if platforms and not wheel_only:
            raise ReleaseTablesError(f"{where} platforms is only for a wheel-only project")
        firsts = entry.get("first", {})
        if not isinstance(firsts, dict):
            raise ReleaseTablesError(f"{where} first must be a table of strings")
        for platform, version in firsts.items():
            if platform not in platforms:
                raise ReleaseTablesError(f"{where} first: {platform!r} is not one of its platforms")
            if _version(version, f"{where} first.{platform}") > _version(platforms[platform], where):
                raise ReleaseTablesError(f"{where} first.{platform} = {version!r} is newer than its last")
        placeholders = entry.get("placeholders", [])
        if not isinstance(placeholders, list):
            raise ReleaseTablesError(f"{where} placeholders must be a list of version strings")
        for version in placeholders:
            _version(version, f"{where} placeholders")
        projects[name.lower()] = ProjectReleases(
            name=name,
            wheel_only=wheel_only,
            pythons=(low, high),
            newest=str(newest),
            last=tuple(sorted(last.items(), key=lambda item: _key(item[0]))),
            platforms=tuple(sorted(platforms.items())),
            firsts=tuple(sorted(firsts.items())),
            placeholders=tuple(placeholders),
        )
    return projects


def _version(value: object, where: str) -> Version:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(value)) if isinstance(value, str) else Version("not a version")
    except InvalidVersion:
        raise ReleaseTablesError(f"{where} must be a version string, not {value!r}") from None


def may_list(project: str) -> bool:
    """Whether the shipped table has an entry for `project` (its canonical name), told from the table's
    `[name]` headers alone: most projects pip finds no release of are not in it, and reading the whole
    table (TOML, then each entry's checks) cost 3-7 ms of a failed install's CPU. tests/test_releasetables
    holds the headers equal to the parsed table's names."""
    return project in _listed_names()


@functools.lru_cache(maxsize=1)
def _listed_names() -> frozenset[str]:
    return frozenset(name.lower() for name in re.findall(r"(?m)^\[([^\]\s]+)\]", _table_text()))


@functools.lru_cache(maxsize=1)
def _table_text() -> str:
    from pathlib import Path

    return Path(__file__).with_name("release-tables.toml").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def load_release_tables() -> dict[str, ProjectReleases]:
    """The table shipped beside this module (read once)."""
    from pathlib import Path

    return parse_release_tables(_table_text(), str(Path(__file__).with_name("release-tables.toml")))
