"""Projects that have a sibling on the index shipping the same code as pre-built wheels, so that a failed
source build of the one is avoided by installing the other, and projects that publish wheels for some systems
only. A sibling is a suggestion only: another project (another name, another maintainer's choice of build
options), which the user decides to trust.

Data, not code: siblings.toml beside this module (one entry per project). Pure: `parse_siblings(text)` reads
the data and says which entry and key are wrong; `binary_sibling` and `wheel_systems` read the shipped file
once.
"""

from __future__ import annotations

import functools

from safe_pip.facts import canonical_name

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BinarySibling", "SiblingsError", "binary_sibling", "parse_siblings", "wheel_systems"]

SYSTEMS = frozenset({"linux", "darwin", "win32"})


class SiblingsError(ValueError):
    """siblings.toml's data is not as documented (the message names the entry, the key and the bad value)."""


class BinarySibling:
    __slots__ = ("name", "placeholder", "retired", "same_versions", "why")

    def __init__(
        self, name: str, same_versions: bool, why: str, *, placeholder: bool = False, retired: bool = False
    ) -> None:
        self.name = name
        self.same_versions = same_versions
        self.why = why
        # The project's newest release is a placeholder that only fails (its build names the project to
        # install): a fix that builds it again (older setuptools, another Python) cannot install anything.
        self.placeholder = placeholder
        # The project is abandoned for the sibling: no release newer than the one that failed will come, so
        # "upgrade it" installs nothing new (MySQL-python 1.2.5, 2014, the last; mysqlclient is its fork).
        self.retired = retired


class Siblings:
    __slots__ = ("siblings", "wheel_systems")

    def __init__(self, siblings: dict[str, BinarySibling], wheel_systems: dict[str, frozenset[str]]) -> None:
        self.siblings = siblings
        self.wheel_systems = wheel_systems


def _value(entry: dict[str, Any], key: str, kind: type, where: str, default: object = None) -> Any:
    value = entry.get(key, default)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise SiblingsError(
            f"{where}: {key} must be a {'non-empty ' if kind is str else ''}{kind.__name__}, not {value!r}"
        )
    return value


def _checked_names(section: object, table: str, origin: str) -> dict[str, dict[str, Any]]:
    if not isinstance(section, dict):
        raise SiblingsError(f"{origin}: [{table}] must be a table of projects, not {section!r}")
    for project, entry in section.items():
        if project != canonical_name(project):
            raise SiblingsError(
                f"{origin}: [{table}.{project}]: the project's name must be written canonically "
                f"({canonical_name(project)!r})"
            )
        if not isinstance(entry, dict):
            raise SiblingsError(f"{origin}: [{table}.{project}] must be a table, not {entry!r}")
    return section


def parse_siblings(text: str, origin: str = "siblings.toml") -> Siblings:
    """The entries of a siblings.toml text; SiblingsError names the first entry and key that are wrong."""
    from safe_pip.rules import _toml

    tomllib = _toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SiblingsError(f"{origin}: not valid TOML: {error}") from None
    unknown = set(data) - {"sibling", "wheels"}
    if unknown:
        raise SiblingsError(f"{origin}: unknown table(s) {', '.join(sorted(unknown))} (only sibling, wheels)")
    siblings: dict[str, BinarySibling] = {}
    for project, entry in _checked_names(data.get("sibling", {}), "sibling", origin).items():
        where = f"{origin}: [sibling.{project}]"
        extra = set(entry) - {"name", "same_versions", "why", "placeholder", "retired"}
        if extra:
            raise SiblingsError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        siblings[project] = BinarySibling(
            _value(entry, "name", str, where),
            _value(entry, "same_versions", bool, where),
            _value(entry, "why", str, where),
            placeholder=_value(entry, "placeholder", bool, where, False),
            retired=_value(entry, "retired", bool, where, False),
        )
    systems: dict[str, frozenset[str]] = {}
    for project, entry in _checked_names(data.get("wheels", {}), "wheels", origin).items():
        where = f"{origin}: [wheels.{project}]"
        extra = set(entry) - {"systems", "checked"}
        if extra:
            raise SiblingsError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        listed = _value(entry, "systems", list, where)
        wrong = [system for system in listed if system not in SYSTEMS]
        if wrong:
            raise SiblingsError(f"{where}: systems {wrong!r} are not of {', '.join(sorted(SYSTEMS))}")
        _value(entry, "checked", str, where)
        systems[project] = frozenset(listed)
    return Siblings(siblings, systems)


@functools.lru_cache(maxsize=1)
def load_siblings() -> Siblings:
    """The table shipped beside this module (read once)."""
    from pathlib import Path

    path = Path(__file__).with_name("siblings.toml")
    return parse_siblings(path.read_text(encoding="utf-8"), str(path))


def binary_sibling(project: str) -> BinarySibling | None:
    """The sibling of `project` that ships wheels, if one is known."""
    return load_siblings().siblings.get(canonical_name(project))


def wheel_systems(project: str) -> frozenset[str] | None:
    """The systems (`win32`, `darwin`, `linux`) a project publishes wheels for, when known to be only some;
    None when not known (most projects: the index is asked, or the fix says it was not)."""
    return load_siblings().wheel_systems.get(canonical_name(project))
