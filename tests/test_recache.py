"""_recache: a pattern made from the kept compiled form is the pattern `re` makes (same code, flags and
groups: `re.Pattern` equality compares them), and a dataclass's methods run the code `exec` of their text
compiles, whatever the state of the cache file. Each case runs in a fresh interpreter: `start` replaces
`re._compile` and dataclasses' `exec` for the rest of its process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every built-in rule's patterns, and the modules' own (what a failed install's diagnosis compiles), made
# through the cache and by `re` itself; the result says how many differed and how many the cache held.
_COMPARE = """
import json, re, sys
from safe_pip import _recache
original = re._compile
_recache.start(sys.argv[1])
from safe_pip import cli
for name in (*cli._DIAGNOSIS_MODULES, *cli._INDEX_MODULES, "difflib"):
    __import__(name)
from safe_pip.rules import load_rules
patterns = [(p, 0) for rule in load_rules().rules for p in (*rule.any, *rule.all, *rule.none, *rule.context)]
# A str pattern's key is (pattern, flags), a bytes pattern's (flags, pattern).
patterns += [(key[1], key[0]) if isinstance(key[1], bytes) else key for key in _recache._USED]
made = [(re.compile(p, f), original(p, f)) for p, f in patterns]
new = _recache._STATE["new"]
differ = [repr(a.pattern) for a, b in made if a != b or a.groupindex != b.groupindex or a.groups != b.groups]
kinds = sorted({type(p).__name__ for p, _ in patterns})
_recache.save()
print(json.dumps({"patterns": len(patterns), "differ": differ, "new": new, "kinds": kinds}))
"""


def _run(script: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_patterns_made_from_the_cache_are_those_re_makes(tmp_path: Path) -> None:
    first = _run(_COMPARE, str(tmp_path))  # no cache yet: written at the end
    (cache,) = tmp_path.glob("re-*.marshal")
    second = _run(_COMPARE, str(tmp_path))  # every pattern from the cache
    assert first["differ"] == []
    assert second["differ"] == []
    assert first["new"] is True  # compiled, then saved
    assert second["new"] is False  # nothing compiled that the cache lacked
    assert int(str(second["patterns"])) > 500
    assert second["kinds"] == ["bytes", "str"]  # the log reader's bytes patterns come from the cache too
    assert cache.stat().st_size > 0


def test_a_damaged_or_foreign_cache_is_compiled_around(tmp_path: Path) -> None:
    import marshal

    plain = _run(_DATACLASSES, "-")
    _run(_COMPARE, str(tmp_path))
    _run(_DATACLASSES, str(tmp_path))
    (cache,) = tmp_path.glob("re-*.marshal")
    stamp, entries, codes = marshal.loads(cache.read_bytes())  # noqa: S302 (the test's own file)
    # Code _sre refuses, for every pattern, and no code object for any text; then another interpreter's
    # stamp; then no marshal data at all.
    broken = {key: (parts[0], [1, 2, 3], *parts[2:]) for key, parts in entries.items()}
    for damaged in (
        marshal.dumps([stamp, broken, dict.fromkeys(codes, "not code")]),
        marshal.dumps([[*stamp[:1], "another Python"], entries, codes]),
        b"not marshal data",
    ):
        cache.write_bytes(damaged)
        assert _run(_COMPARE, str(tmp_path))["differ"] == []
        cache.write_bytes(damaged)
        assert _run(_DATACLASSES, str(tmp_path)) == plain


def test_what_re_refuses_or_does_not_cache_behaves_as_before(tmp_path: Path) -> None:
    script = """
import json, re, sys
from safe_pip import _recache
_recache.start(sys.argv[1])
def _error(make):
    try:
        make()
    except (re.error, ValueError) as raised:
        return str(raised)
    return None
error = _error(lambda: re.compile("(unclosed"))
kept = re.compile("a+b")
print(json.dumps({
    "error": error,
    "bytes": bool(re.search(rb"a+", b"caab")),
    "bytes_and_str": [re.compile(b"a+b") is re.compile(b"a+b"), re.compile("a+b").pattern, re.compile(b"a+b").pattern.decode()],
    "bytes_error": _error(lambda: re.compile(b"x", re.UNICODE)),
    "pattern_again": re.compile(kept) is kept,
    "same_object": re.compile("a+b") is kept,
    "flags": re.compile("x", re.I | re.M).flags == (re.I | re.M | re.U),
    "sub": re.sub(r"(?P<w>a)", r"<\\g<w>>", "banana"),
}))
"""
    assert _run(script, str(tmp_path)) == {
        "error": "missing ), unterminated subpattern at position 0",
        "bytes": True,
        "bytes_and_str": [True, "a+b", "a+b"],
        "bytes_error": "cannot use UNICODE flag with a bytes pattern",
        "pattern_again": True,
        "same_object": True,
        "flags": True,
        "sub": "b<a>n<a>n<a>",
    }


# Every dataclass of the modules a failed install imports: its methods' code, as plain data to compare.
_DATACLASSES = """
import dataclasses, json, sys
if sys.argv[1] != "-":
    from safe_pip import _recache
    _recache.start(sys.argv[1])
from safe_pip import cli
for name in (*cli._DIAGNOSIS_MODULES, *cli._INDEX_MODULES, "difflib"):
    __import__(name)
def shape(code):
    consts = [shape(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts]
    return [code.co_name, code.co_code.hex(), consts, list(code.co_names), list(code.co_varnames),
            code.co_filename, code.co_flags]
found = {}
for module in list(sys.modules.values()):
    for value in list(vars(module).values()) if module.__name__.startswith("safe_pip") else ():
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            for key, method in vars(value).items():
                if hasattr(method, "__code__") and method.__code__.co_filename == "<string>":
                    found[f"{value.__module__}.{value.__qualname__}.{key}"] = shape(method.__code__)
if sys.argv[1] != "-":
    _recache.save()
print(json.dumps(found))
"""


def test_dataclass_methods_from_the_cache_are_those_exec_compiles(tmp_path: Path) -> None:
    plain = _run(_DATACLASSES, "-")
    assert len(plain) > 50
    assert _run(_DATACLASSES, str(tmp_path)) == plain  # compiled, then saved
    assert _run(_DATACLASSES, str(tmp_path)) == plain  # from the cache
