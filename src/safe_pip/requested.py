"""What the user asked pip for, project by project: every requirement and constraint on the command line and
in its requirement and constraint files, with where it came from.

The fix layer asks this before changing a command: a fix may not contradict a version the user gave, drop an
environment marker, or replace a requirement that names a file, folder or URL (the source of a package) by a
bare name that the index resolves. Pure: files are read through the `read` function the caller gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath

from safe_pip.facts import canonical_name

__all__ = ["Requested", "UserRequests", "nearest_release", "read_user_requests", "release_line", "with_pin"]

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.version import Version

# pip install options whose value is a requirement file (-r) or a constraint file (-c).
_FILE_OPTIONS = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
# Options whose value is a project to install in editable mode (a folder or a VCS URL): a direct source.
_EDITABLE_OPTIONS = ("-e", "--editable")
# A nested file must not send the reader round a loop or over the whole disk.
_MAX_FILES = 100


@dataclass(frozen=True)
class Requested:
    """One requirement or constraint of the user's, as typed."""

    name: str | None  # canonical project name; None when it cannot be known (a folder, a URL without #egg=)
    text: str  # the requirement as typed (`psutil==5.9.0 ; python_version>'3'`)
    specifier: str  # its version specifier (`==5.9.0`, `>=1,<2`), empty when none
    marker: str  # its environment marker, without the `;`, empty when none
    direct: str | None  # the file, folder or URL it installs from (a direct reference), None for a name
    origin: str  # where it was typed: "the command line" or "requirements.txt line 3"
    position: int | None = None  # its index among the command-line arguments, when typed there
    constraint: bool = False  # from a constraint file (-c): limits versions, installs nothing
    # The requirement file it was typed in (as named on the command line, for a file named there; nested
    # files relative to the working folder) and its line number there; None when typed on the command line.
    file: str | None = None
    line: int | None = None
    hashed: bool = False  # its line pins file hashes (`--hash=sha256:...`): pip's hash-checking mode


@dataclass(frozen=True)
class UserRequests:
    """What the user asked pip to install: the requirements, and the files they were read from."""

    items: tuple[Requested, ...] = ()
    # The text of each requirement file read (name -> text), so that a fix can write a changed copy.
    files: tuple[tuple[str, str], ...] = ()
    # The requirement and constraint files named on the command line (not nested ones).
    top_files: tuple[str, ...] = ()

    def file_text(self, name: str) -> str | None:
        return next((text for file, text in self.files if file == name), None)

    def of(self, project: str) -> tuple[Requested, ...]:
        wanted = canonical_name(project)
        return tuple(item for item in self.items if item.name == wanted)

    def specifier(self, project: str) -> str:
        """Every version specifier the user gave for `project`, joined (`>=5,==5.9.0`); empty when none."""
        return ",".join(item.specifier for item in self.of(project) if item.specifier)

    def direct(self, project: str) -> Requested | None:
        """The user's requirement that installs `project` from a file, folder or URL, if there is one: one
        named so, or a folder, archive or URL whose project cannot be read from the command line but whose
        last path part is `project`'s name (pip's log names `./proj` "proj": that source, not the index's)."""
        named = next((item for item in self.of(project) if item.direct is not None), None)
        if named is not None:
            return named
        wanted = canonical_name(project)
        return next((item for item in self.unknown_sources if _source_stem(item.direct) == wanted), None)

    def on_command_line(self, project: str) -> Requested | None:
        return next((item for item in self.of(project) if item.position is not None), None)

    def pinned_version(self, project: str) -> str | None:
        """The version the user pinned `project` to (`==5.9.0`), if they did."""
        for item in self.of(project):
            match = re.search(r"===?\s*([\w.!+*-]+)", item.specifier)
            if match:
                return match.group(1)
        return None

    @property
    def hash_checking(self) -> bool:
        """Whether pip checks hashes (a requirement with `--hash`): a requirement a fix adds needs one too."""
        return any(item.hashed for item in self.items)

    @property
    def unknown_sources(self) -> tuple[Requested, ...]:
        """Direct references whose project could not be named (a folder, a bare URL)."""
        return tuple(item for item in self.items if item.direct is not None and item.name is None)


# An archive's file name: its project before the version ("proj-1.0.tar.gz" -> "proj").
_ARCHIVE_STEM = re.compile(r"^(?P<name>.+?)-\d[^/\\]*?(?:\.tar\.gz|\.zip|\.tar\.bz2|\.tgz|\.whl)$")


def archive_project(file_name: str) -> str | None:
    """The project an sdist's or wheel's file name starts with, as written ("proj-1.0.tar.gz" -> "proj"), or
    None for a name that is not `<project>-<version>.<archive suffix>`."""
    archive = _ARCHIVE_STEM.match(file_name)
    return archive.group("name") if archive else None


def _source_stem(source: str | None) -> str | None:
    """The project name a folder, archive or URL's last path part suggests (canonical), or None."""
    if not source:
        return None
    last = re.split(r"[/\\]", source.split("#")[0].split("?")[0].rstrip("/\\"))[-1]
    stem = archive_project(last) or last.split("@")[0].removesuffix(".git")
    return canonical_name(stem) if stem not in ("", ".", "..") else None


def read_user_requests(args: Sequence[str], read: Callable[[str], str | None]) -> UserRequests:
    """The requirements and constraints of a pip install command line (`args`, after `install`), following
    its -r/-c files (relative to the file that names them, as pip does; `read` returns None for a file that
    cannot be read, and URLs are not followed)."""
    items: list[Requested] = []
    pending: list[tuple[str, bool]] = []
    position = 0
    while position < len(args):
        word = args[position]
        option, has_value, value = word.partition("=")
        if option in _FILE_OPTIONS or option in _EDITABLE_OPTIONS:
            if not has_value:
                position += 1
                value = args[position] if position < len(args) else ""
            if option in _FILE_OPTIONS:
                pending.append((value, _FILE_OPTIONS[option]))
            elif value:
                items.append(_direct(value, "the command line", position=position))
        elif word.startswith(("-r", "-c")) and len(word) > 2 and not word.startswith("--"):
            pending.append((word[2:], word.startswith("-c")))
        elif word.startswith("-"):
            position += _value_words(word)
        else:
            items.append(_requirement(word, "the command line", position=position))
        position += 1
    top_files = tuple(name for name, _constraint in pending)
    texts: list[tuple[str, str]] = []
    seen: set[str] = set()
    while pending and len(seen) < _MAX_FILES:
        name, constraint = pending.pop(0)
        if not name or name in seen or "://" in name:
            continue
        seen.add(name)
        text = read(name)
        if text is None:
            continue
        texts.append((name, text))
        for number, line in _logical_lines(text):
            origin = f"{name} line {number}"
            if line.startswith("-"):
                words = line.split(None, 1)
                option, has_value, value = words[0].partition("=")
                value = value if has_value else (words[1].strip() if len(words) > 1 else "")
                if option in _FILE_OPTIONS:
                    # A file named in a constraint file is a constraint file too (pip reads it as one).
                    nested = (
                        str(PurePath(name).parent / value) if not PurePath(value).is_absolute() else value
                    )
                    pending.append((nested, constraint or _FILE_OPTIONS[option]))
                elif option in _EDITABLE_OPTIONS and value:
                    items.append(
                        replace(_direct(value, origin, constraint=constraint), file=name, line=number)
                    )
                continue
            # A requirement's own options (`--hash=sha256:...`, `--config-settings ...`) are not part of it.
            requirement = re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0]
            parsed = _requirement(requirement, origin, constraint=constraint)
            items.append(replace(parsed, file=name, line=number, hashed="--hash" in line))
    return UserRequests(tuple(items), tuple(texts), top_files)


def with_pin(text: str, line: int, version: str) -> str | None:
    """A requirement file's `text` with the requirement on `line` (1-based, one physical line) pinned to
    `version`, its name, extras, marker and comment kept; None when that line cannot be changed alone (a
    continued line)."""
    from safe_pip.facts import pinned_requirement

    lines = text.splitlines(keepends=True)
    if not 0 < line <= len(lines) or lines[line - 1].rstrip("\r\n").endswith("\\"):
        return None
    raw = lines[line - 1]
    body = raw.rstrip("\r\n")
    ending = raw[len(body) :]
    found = re.search(r"\s+#", body)
    requirement, comment = (body[: found.start()], body[found.start() :]) if found else (body, "")
    if " --hash" in requirement or requirement.lstrip().startswith("-"):
        return None  # hashes are of the pinned release's files: another version needs new hashes
    lines[line - 1] = pinned_requirement(requirement.strip(), version) + comment + ending
    return "".join(lines)


def nearest_release(pinned: str, versions: Sequence[str]) -> str | None:
    """The release of `versions` nearest to the one the user pinned, which has none: the newest of the same
    major.minor, else the closest minor of the same major (upward first; its newest patch), else the closest
    newer major, and a downgrade across a major only when nothing else exists. For 0.x versions the minor is
    the major (0.13 -> 0.14 is a major step, as semantic versioning reads it). Pre-releases only when the pin
    is one."""
    from packaging.version import InvalidVersion, Version

    try:
        anchor = Version(pinned)
    except InvalidVersion:
        return None
    usable = []
    for text in versions:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version != anchor and (anchor.is_prerelease or not version.is_prerelease):
            usable.append(version)
    if not usable:
        return None

    def minor(version: Version) -> tuple[int, ...]:
        # A release line whose newest patch is wanted: major.minor (below 1.0 the same as the major).
        return (*version.release, 0, 0)[:2]

    same_minor = [v for v in usable if minor(v) == minor(anchor)]
    if same_minor:
        return str(max(same_minor))
    for group in (
        [v for v in usable if release_line(v) == release_line(anchor)],  # the same major, another minor
        [v for v in usable if release_line(v) > release_line(anchor)],  # a newer major
        [v for v in usable if release_line(v) < release_line(anchor)],  # an older major, last
    ):
        if not group:
            continue
        upward = [v for v in group if v > anchor]
        closest_minor = min(map(minor, upward)) if upward else max(map(minor, group))
        return str(max(v for v in group if minor(v) == closest_minor))
    return None


def release_line(version: Version) -> tuple[int, ...]:
    """What counts as "the same major" release line: (major,), or below 1.0 (0, minor), as semantic
    versioning reads it (0.13 -> 0.14 is a major step)."""
    release = (*version.release, 0, 0)
    return release[:2] if release[0] == 0 else release[:1]


def _value_words(option: str) -> int:
    """How many following words an option takes as its value (0 when written `--opt=value` or a flag)."""
    from safe_pip.facts import takes_value

    return 1 if "=" not in option and takes_value(option) else 0


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each requirement file line, continuations joined, comments dropped."""
    lines: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        line = re.sub(r"(^|\s)#.*$", "", pending + raw).strip()
        pending = ""
        if line:
            lines.append((start, line))
    return lines


# A project in a file name: `name-1.0-py3-none-any.whl`, `name-1.0.tar.gz`; in a URL: `#egg=name`.
_WHEEL_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._]*)-\d")
_SDIST_NAME = re.compile(r"^(.+?)-\d[^-]*\.(?:tar\.gz|tar\.bz2|tar\.xz|zip|tgz)$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def _direct(
    location: str, origin: str, *, position: int | None = None, constraint: bool = False
) -> Requested:
    """A requirement that names where to install from: a wheel or sdist file, a folder, a URL."""
    base = location.split("#", 1)[0].rstrip("/").replace("\\", "/").rsplit("/", 1)[-1]
    found = _WHEEL_NAME.match(base) if base.endswith(".whl") else _SDIST_NAME.match(base)
    egg = _EGG.search(location)
    name = egg.group(1) if egg else (found.group(1) if found else None)
    return Requested(
        name=canonical_name(name) if name else None,
        text=location,
        specifier="",
        marker="",
        direct=location,
        origin=origin,
        position=position,
        constraint=constraint,
    )


def _requirement(
    text: str, origin: str, *, position: int | None = None, constraint: bool = False
) -> Requested:
    """A PEP 508 requirement (`name[extra]>=1 ; marker`, `name @ url`) or a path or URL."""
    # What packaging's parser would say of a bare name or a path, said without importing it (~10 ms, on
    # every failed install): a name is itself, with no specifier, marker or URL; no requirement starts
    # with "/" or "." (tests/test_requested.py compares both over many words).
    if _BARE_NAME.fullmatch(text) and not _looks_like_path(text):
        return Requested(
            name=canonical_name(text),
            text=text,
            specifier="",
            marker="",
            direct=None,
            origin=origin,
            position=position,
            constraint=constraint,
        )
    if text.startswith(("/", ".")):
        return _direct(text.split(";", 1)[0].strip(), origin, position=position, constraint=constraint)
    if (_BARE_NAME.fullmatch(text) and _looks_like_path(text)) or (
        "/" in text and text == text.strip() and not _REQUIREMENT_MARKS & {*text}
    ):
        # A file's name (`pkg-1.0.tar.gz`: packaging reads it as a name, then it is read as a path), or a
        # relative path or URL without a specifier, extras, `@` or marker (`dist/pkg-1.0.tar.gz`,
        # `git+https://host/o/r.git`: no name holds "/", so packaging refuses it, and it is read as a path).
        return _direct(text, origin, position=position, constraint=constraint)
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        parsed = Requirement(text)
    except InvalidRequirement:
        return _direct(text.split(";", 1)[0].strip(), origin, position=position, constraint=constraint)
    if _looks_like_path(text.split(";", 1)[0].strip()) and not parsed.specifier and not parsed.url:
        # `pkg-1.0-py3-none-any.whl` parses as a name only by accident; a name never ends like a file.
        return _direct(text, origin, position=position, constraint=constraint)
    return Requested(
        name=canonical_name(parsed.name),
        text=text,
        specifier=str(parsed.specifier),
        marker=str(parsed.marker) if parsed.marker else "",
        direct=parsed.url,
        origin=origin,
        position=position,
        constraint=constraint,
    )


# A project name as PEP 508 writes it (letters, digits, and ".", "_", "-" inside).
_BARE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


# What only a requirement with more than a name holds (a version, extras, a URL after `@`, a marker), or a
# space: a word with "/" and none of these is no requirement packaging reads.
_REQUIREMENT_MARKS = frozenset("@;<>=!~[]() \t,")


def _looks_like_path(word: str) -> bool:
    return word.endswith((".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2")) or word in (".", "..")
