"""The classifier's tables kept on disk: made once per machine and rule library, not once per failed install.

A `Classifier` works out what depends on its rules alone (the scan plan, the scanner's term tables, every
literal's index: classify._TABLES and _scan._TABLES, each keyed by what of the rules it is made of) the
first time a process meets those rules: ~20-25 ms of CPU, the largest single part of a failed install's own
cost after its imports. `classifier_tables(folder, make)` puts the tables kept in `folder` into those two
per-process caches before `make()` builds the classifier, which then finds them there by its own key (the
rules' keywords, patterns and literals); when `make()` had to build new ones, they are kept for next time.

The tables go through classify.tables_state() and load_tables_state(): without the optional accelerator's
objects (its finders, a scanner's automaton), which are made again from the plain tables when it runs here
(a few milliseconds instead of ~20). Only what marshal holds exactly is kept (lists, tuples, dicts, sets,
frozensets, bytes, str, numbers, None), plus a scanner's expression as its pattern and flags; anything else
is not kept, and the classifier builds it as before. The file's stamp holds the interpreter, the table
names, and the size and time of the modules that build them (classify, _scan, rules, logtext): tables made
by other code are never read. One file per installation and interpreter. A cache that is missing, damaged
or written by another stamp reads as none; one that cannot be written only costs the building next time.
"""

from __future__ import annotations

import marshal
import os
import sys

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    T = TypeVar("T")

__all__ = ["classifier_tables"]

# The file's form; a new one makes older files unread (they are replaced when tables are next kept).
_FORMAT = 1
# The modules whose code makes the tables: a change to any of them makes the file's tables unread.
_MAKERS = ("safe_pip.classify", "safe_pip._scan", "safe_pip.rules", "safe_pip.logtext")
# Tables that marshal to more than this (a user's tens of thousands of rules) are not kept.
_MAX_BYTES = 32 << 20
# The types a table may be (its members are checked by marshal, then by _same).
_PLAIN = (list, tuple, dict, set, frozenset, bytes, str, int, float, bool)
# A value of a scanner's table that is a compiled expression is kept as this tag, its pattern and flags.
_PATTERN = "safe-pip:re.Pattern"


def classifier_tables(folder: str, make: Callable[[], T]) -> T:
    """`make()` (which builds a Classifier), with the tables kept in `folder` available to it; tables it
    had to build are kept there afterwards."""
    try:
        from safe_pip import _scan, classify

        stamp = _stamp()
        path = os.path.join(folder, _file_name(classify.__file__))
        before = {id(key) for key in classify._TABLES} | {id(key) for key in _scan._TABLES}
        state = _load(path, stamp)
        if state is not None:
            classify.load_tables_state(state)
        # The keys put there from the file (load_tables_state leaves out those made for the accelerator
        # when it does not run here, and the other way round).
        loaded = {id(key) for key in classify._TABLES} | {id(key) for key in _scan._TABLES}
    except Exception:  # a layout this module does not know: the classifier is made as ever
        return make()
    made = make()
    try:
        new_tables = [id(key) for key in classify._TABLES if id(key) not in loaded]
        new_scans = [id(key) for key in _scan._TABLES if id(key) not in loaded]
        if new_tables or new_scans:
            # One entry of each kind: the one just built, else the one read (a rule set whose scan terms
            # stayed the same keeps its scanner's tables; other rule sets' are dropped).
            read = loaded - before
            tables, scans = classify.tables_state()
            tables = [entry for entry in tables if id(entry[0]) in new_tables[-1:]] or [
                entry for entry in tables if id(entry[0]) in read
            ]
            scans = [entry for entry in scans if id(entry[0]) in new_scans[-1:]] or [
                entry for entry in scans if id(entry[0]) in read
            ]
            _keep(path, stamp, tables, scans)
    except Exception:  # noqa: S110 - not kept: the tables are built again next time, nothing else changes
        pass
    return made


def _file_name(classify_file: str) -> str:
    """One file per installation (named after its folder) and interpreter: two installs of safe-pip (pipx's
    and a project's venv) do not replace each other's tables on every run, as the rule library's cache."""
    import zlib

    folder = os.path.dirname(os.path.abspath(classify_file)).encode("utf-8", "surrogateescape")
    return f"classifier-tables-{zlib.crc32(folder):08x}-{sys.implementation.cache_tag}.marshal"


def _stamp() -> list[object]:
    from safe_pip import __version__, _scan, classify

    stamp: list[object] = [
        _FORMAT,
        __version__,
        sys.version,
        sys.implementation.cache_tag,
        tuple(classify._TABLE_NAMES),
        tuple(_scan._TABLE_SLOTS),
    ]
    for name in _MAKERS:
        where = getattr(sys.modules.get(name), "__file__", None)
        if not where:
            raise LookupError(f"{name} has no file to stamp the tables with")
        info = os.stat(where)
        stamp.append((name, info.st_size, info.st_mtime_ns))
    return stamp


def _load(path: str, stamp: list[object]) -> tuple[list[Any], list[Any]] | None:
    """The tables kept in `path` for `stamp` (classify.tables_state's form, a scanner's expression compiled
    again), None when there are none or they are damaged or of another shape."""
    try:
        with open(path, "rb") as stream:
            # The user's own cache folder, as the rule library's cache; marshal builds plain data only.
            kept_stamp, kept_tables, kept_scans = marshal.loads(stream.read())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None  # none yet, or damaged: built and kept again
    if kept_stamp != stamp or type(kept_tables) is not list or type(kept_scans) is not list:
        return None
    import re

    from safe_pip import _scan, classify

    names, slots = set(classify._TABLE_NAMES), len(_scan._TABLE_SLOTS)
    try:
        tables = [(key, values) for key, values in kept_tables]
        scans = [
            (
                key,
                tuple(
                    re.compile(value[1], value[2])
                    if type(value) is tuple and value[:1] == (_PATTERN,)
                    else value
                    for value in values
                ),
            )
            for key, values in kept_scans
        ]
        # Each entry a key (hashable) and the tables a classifier or scanner is made of, no more, no less.
        for key, _ in tables + scans:
            hash(key)
        shaped = all(type(values) is dict and set(values) == names for _, values in tables) and all(
            type(values) is tuple and len(values) == slots for _, values in kept_scans
        )
    except Exception:  # entries of another shape (not pairs, a key that is no key): read as no cache
        return None
    return (tables, scans) if shaped else None


def _keep(
    path: str,
    stamp: list[object],
    new_tables: list[tuple[Any, Any]],
    new_scans: list[tuple[Any, Any]],
) -> None:
    """Write the tables just built (only those: the rule library in use now) to `path`, when marshal gives
    back exactly what they are."""
    import re

    scans = []
    for key, values in new_scans:
        kept = tuple(
            (_PATTERN, value.pattern, value.flags) if isinstance(value, re.Pattern) else value
            for value in values
        )
        scans.append((key, kept))
    tables = [(key, dict(values)) for key, values in new_tables]
    values = [value for _, kept in tables for value in kept.values()] + [
        value for _, kept in scans for value in kept
    ]
    if not all(value is None or type(value) in _PLAIN for value in values):
        return  # the accelerator's finder, say: found before marshal has written half the tables (~6 ms)
    try:
        data = marshal.dumps([stamp, tables, scans])
    except ValueError:
        return  # an object marshal cannot hold (the accelerator's): built each time, as before
    if len(data) > _MAX_BYTES:
        return
    if not _same(marshal.loads(data), [stamp, tables, scans]):  # noqa: S302 (what was just written)
        return
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _same(read: Any, made: Any) -> bool:
    """`read` is `made`'s value with the same types throughout (marshal writes a bytearray as bytes)."""
    if type(read) is not type(made):
        return False
    if isinstance(made, (list, tuple)):
        return len(read) == len(made) and all(map(_same, read, made))
    if isinstance(made, dict):
        return list(read) == list(made) and all(
            _same(read_key, key) and _same(read[key], value)
            for read_key, (key, value) in zip(read, made.items())
        )
    if isinstance(made, (set, frozenset)):
        # (the members are hashable values: equal ones of another type, 1 and True, are told apart here)
        return bool(read == made) and {(type(item), item) for item in read} == {
            (type(item), item) for item in made
        }
    return bool(read == made)
