"""Regular expressions and dataclasses' methods compiled once per machine, not once per run: their compiled
forms, kept on disk.

A failed install's diagnosis compiles some 100 patterns (the modules' own, the rules' that a line reached,
packaging's and the standard library's): `re` parses each and turns it into the code its C engine runs, in
Python, ~0.3 ms a pattern, 30-40 ms in all, the largest single part of the diagnosis's own CPU after the
imports themselves. The code depends only on the pattern, its flags and the interpreter, so it is kept in
the user's cache folder after the first time, and a pattern met again is made by `_sre.compile` straight
from it (~4 us).

`start(folder)` replaces `re._compile` for the rest of the process (safe-pip's own: pip runs in another). What
it returns is what `re` returns: the same C object, made from the same code by the same call `re` makes
(`re._compiler.compile`'s last step, the same from Python 3.9 to 3.13). A pattern the cache lacks, a cache
written by another interpreter (its version, `_sre.MAGIC`, `_sre.CODESIZE`), a cache that cannot be read or
whose code `_sre` refuses, and anything unusual (`re.DEBUG`, a compiled pattern) are compiled by `re` itself,
as before. Bytes patterns are kept too (the log reader's ten: ~1 ms at each failure, issue 17). `save()`
writes the cache again when this run compiled a pattern it lacked (a temporary file renamed over it: a reader
never sees half of one); a folder that cannot be written only costs the compiling next time.

Dataclasses are the other compiler at a failed install's start: for each of the ~28 classes its modules
define, `dataclasses` writes the source of `__init__`, `__repr__`, `__eq__`... and runs it with `exec`, which
compiles it first: ~15-20 ms in all. The text depends only on the class's fields, so `start` gives the
`dataclasses` module an `exec` of its own that runs the code object compiled from the same text, kept in the
same file (as `compile(text, "<string>", "exec")` makes it: what `exec` of the text runs; code objects are
what a `.pyc` file holds). Text it has not met is compiled then, and kept by `save()`.
"""

from __future__ import annotations

import marshal
import os
import re
import sys

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["save", "start"]

# The cache's form; a new one makes older files unread (they are replaced on the next save).
_FORMAT = 2  # 2: bytes patterns too
# At most this many patterns are kept (user rules can bring thousands): beyond it, only this run's.
_MAX_PATTERNS = 4096

# (pattern, flags) for a str pattern, (flags, pattern) for a bytes one -> the arguments of _sre.compile after
# the pattern: (flags, code, groups, groupindex, indexgroup).
_KNOWN: dict[tuple[object, object], tuple[Any, ...]] = {}
# The source text dataclasses runs -> its code object.
_CODE: dict[str, Any] = {}
_USED: set[tuple[object, object]] = set()  # the patterns this run made (kept by save when the cache is full)
_MADE: dict[tuple[object, object], re.Pattern[Any]] = {}
_STATE: dict[str, Any] = {}  # "path", "original" (re._compile), "new" (a pattern was added)


def _stamp() -> list[object]:
    import _sre  # type: ignore[import-not-found,unused-ignore]

    return [_FORMAT, sys.version, sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE, sys.maxunicode]


def start(folder: str) -> None:
    """Read the cache in `folder` (if any) and make `re` compile through it from now on. Once per process."""
    if "original" in _STATE:
        return
    try:
        import _sre  # type: ignore[import-not-found,unused-ignore]

        compiler: Any = getattr(re, "_compiler", None)
        if compiler is None:  # Python before 3.11
            import sre_compile as compiler
        parse = compiler._parser.parse if hasattr(compiler, "_parser") else _sre_parse()
        code_of = compiler._code
        sre_compile = _sre.compile
        original: Callable[[Any, Any], Any] = re._compile  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return  # an interpreter whose `re` is not laid out so: it compiles as ever
    path = os.path.join(folder, f"re-{sys.implementation.cache_tag}.marshal")
    _STATE.update(path=path, original=original, new=False)
    try:
        with open(path, "rb") as stream:
            # The user's own cache folder, as the rule library's cache (and __pycache__ for code objects).
            stamp, entries, codes = marshal.loads(stream.read())  # noqa: S302 (load(stream) reads bit by bit)
        if stamp == _stamp() and isinstance(entries, dict) and isinstance(codes, dict):
            _KNOWN.update(entries)
            _CODE.update(codes)
    except (OSError, ValueError, EOFError, TypeError):
        pass  # no cache yet, or one that cannot be read: every pattern is compiled, and it is written again
    debug = int(re.DEBUG)

    def compile_cached(pattern: Any, flags: Any) -> Any:
        kind = type(pattern)
        if kind is not str and kind is not bytes:
            return original(pattern, flags)
        try:
            number = int(flags)
        except (TypeError, ValueError):
            return original(pattern, flags)
        # A bytes pattern's key is (flags, pattern), a str pattern's (pattern, flags): the two are never
        # compared item by item (`"x" == b"x"` warns under `python -b`, and the two hash alike).
        key = (pattern, number) if kind is str else (number, pattern)
        made = _MADE.get(key)
        if made is not None:
            return made
        if number & debug:
            return original(pattern, flags)
        parts = _KNOWN.get(key)
        if parts is not None:
            try:
                made = sre_compile(pattern, *parts)
            except Exception:  # code _sre refuses (a damaged cache): re compiles it
                _KNOWN.pop(key, None)
                made = None
        if made is None:
            try:
                parts = _parts(parse, code_of, pattern, number)
                made = sre_compile(pattern, *parts)
            except Exception:  # a bad pattern: re raises its own error, as without the cache
                return original(pattern, flags)
            _KNOWN[key] = parts
            _STATE["new"] = True
        _MADE[key] = made
        _USED.add(key)
        return made

    re._compile = compile_cached  # type: ignore[attr-defined]
    _run_dataclass_code_from_cache()


def _run_dataclass_code_from_cache() -> None:
    import builtins
    import dataclasses

    code_type = type(_run_dataclass_code_from_cache.__code__)

    def run(text: Any, scope: Any = None, names: Any = None) -> None:
        if type(text) is str:
            code = _CODE.get(text)
            if type(code) is not code_type:
                # What exec(text) compiles: no `from __future__` flags (dataclasses has none; this module's
                # must not reach it).
                code = compile(text, "<string>", "exec", dont_inherit=True)
                _CODE[text] = code
                _STATE["new"] = True
            text = code
        builtins.exec(text, scope, names)  # noqa: S102 (what dataclasses ran: its own text, compiled)

    dataclasses.exec = run  # type: ignore[attr-defined]  # the name its methods' makers call


def _sre_parse() -> Any:
    import sre_parse  # Python before 3.11

    return sre_parse.parse


def _parts(parse: Any, code_of: Any, pattern: str | bytes, flags: int) -> tuple[Any, ...]:
    """What `re._compiler.compile(pattern, flags)` hands `_sre.compile` after the pattern."""
    parsed = parse(pattern, flags)
    code = [int(word) for word in code_of(parsed, flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex, tuple(indexgroup))


def save() -> None:
    """Write the cache again when this run compiled a pattern it lacked."""
    if not _STATE.get("new"):
        return
    _STATE["new"] = False
    path: str = _STATE["path"]
    entries = dict(_KNOWN)
    if len(entries) > _MAX_PATTERNS:
        entries = {key: parts for key, parts in entries.items() if key in _USED}
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as stream:
            marshal.dump([_stamp(), entries, dict(_CODE)], stream)
        os.replace(temporary, path)
    except (OSError, ValueError):
        try:
            os.unlink(temporary)
        except OSError:
            pass
