"""_tablecache: a Classifier whose tables come from the cache file has the tables a fresh build makes (the
same values and types) and gives the same diagnoses; a missing, damaged, foreign or other rules' cache is
built around and written again (with the optional accelerator, its objects are not kept but made again
from the plain tables). Each case runs in a fresh interpreter: the tables are kept per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The built-in rules (or, with a third argument, all but the first ten), classified through the cache in
# argv[1]; then the same rules' tables built afresh in this process, compared value and type; then a few
# fixture logs diagnosed by both classifiers.
_COMPARE = """
import json, sys
from pathlib import Path
from safe_pip import _scan, classify
from safe_pip._tablecache import _same, classifier_tables
from safe_pip.classify import Classifier
from safe_pip.rules import load_rules
rules = load_rules().rules
if len(sys.argv) > 2:
    rules = rules[10:]
built = []
original = Classifier._build_tables
def counted(self):
    built.append(True)
    original(self)
Classifier._build_tables = counted
cached = classifier_tables(sys.argv[1], lambda: Classifier(rules))
from_cache = not built
logs = sorted(Path("tests/fixtures/logs").glob("*/match-*.log"))[::40]
def diagnose():
    found = []
    for log in logs:
        classifier = Classifier(rules)
        classifier.feed_block(log.read_bytes(), 1)
        found.append(repr(classifier.diagnoses()))
    return found
with_cache = diagnose()
tables, scans = dict(classify._TABLES), dict(_scan._TABLES)
classify._TABLES.clear()
_scan._TABLES.clear()
fresh = Classifier(rules)
(key, values), = classify._TABLES.items()
(scan_key, scan_values), = _scan._TABLES.items()
# With the accelerator its objects (finders, a scanner's automaton) are compared by being there, as they
# are made again from the plain tables, not read.
finders = set(classify._FINDER_TABLES) if _scan._accelerator(None) else set()
dfa = _scan._TABLE_SLOTS.index("_dfa") if finders else -1
same = set(tables[key]) == set(values) and all(
    (tables[key][name] is None) == (value is None) if name in finders else _same(tables[key][name], value)
    for name, value in values.items()
)
same = same and scan_key in scans and all(
    (a.pattern, a.flags) == (b.pattern, b.flags) if hasattr(b, "pattern") else index == dfa or _same(a, b)
    for index, (a, b) in enumerate(zip(scans[scan_key], scan_values))
)
same = same and (not finders or tables[key]["_finder"] is not None)
built_again = diagnose()
diagnoses = [[a == b, a.count("Diagnosis(")] for a, b in zip(with_cache, built_again)]
print(json.dumps({"from_cache": from_cache, "same": same, "diagnoses": diagnoses}))
"""


def _run(folder: Path, *args: str, pure: bool = True) -> dict[str, object]:
    # The pure scan, unless asked: then the optional accelerator's (when installed), whose objects are made
    # again from the plain tables kept.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SAFE_PIP_PURE_SCAN": "1"}
    if not pure:
        env.pop("SAFE_PIP_PURE_SCAN")
    done = subprocess.run(
        [sys.executable, "-c", _COMPARE, str(folder), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _cache(folder: Path) -> Path:
    (cache,) = folder.glob("classifier-tables-*.marshal")
    return cache


def _built_then_read(folder: Path, pure: bool = True) -> None:
    """A first run builds the tables and keeps them; a second reads them from the cache without writing it
    again; both give the tables and diagnoses a build gives."""
    first = _run(folder, pure=pure)  # no cache yet: built, then kept
    cache = _cache(folder)
    kept = cache.stat().st_mtime_ns
    second = _run(folder, pure=pure)  # from the cache, not written again
    assert first["from_cache"] is False
    assert second["from_cache"] is True
    assert first["same"] is True
    assert second["same"] is True
    assert cache.stat().st_mtime_ns == kept
    diagnoses = second["diagnoses"]
    assert isinstance(diagnoses, list)
    assert len(diagnoses) > 5
    assert all(same for same, _ in diagnoses)
    assert sum(count for _, count in diagnoses) > 0


def test_tables_from_the_cache_are_those_a_build_makes(tmp_path: Path) -> None:
    _built_then_read(tmp_path)


def test_tables_made_with_the_accelerator_are_kept_without_its_objects(tmp_path: Path) -> None:
    """With the accelerator, the tables are kept without its finders and automata (classify.tables_state),
    which are made again when read (load_tables_state): the same tables and diagnoses as a build's. Tables
    kept by a run with it are not used by a run without it (nor the other way round): each builds its own."""
    import importlib.util

    if importlib.util.find_spec("ahocorasick_rs") is None:
        import pytest

        pytest.skip("the optional accelerator (ahocorasick-rs) is not installed")
    _built_then_read(tmp_path, pure=False)
    pure = _run(tmp_path)  # the accelerator's tables are not the pure scan's: built, and kept instead
    assert pure["from_cache"] is False
    assert pure["same"] is True
    assert _run(tmp_path)["from_cache"] is True
    assert _run(tmp_path, pure=False)["from_cache"] is False


def test_a_damaged_foreign_or_other_rules_cache_is_built_around(tmp_path: Path) -> None:
    import marshal

    _run(tmp_path)
    cache = _cache(tmp_path)
    good = cache.read_bytes()
    stamp, tables, scans = marshal.loads(good)  # noqa: S302 (the file this test wrote)
    for damaged in (
        b"",
        b"not marshal at all",
        good[: len(good) // 2],
        marshal.dumps([["another interpreter", *stamp[1:]], tables, scans]),
        marshal.dumps([stamp, "not a list", scans]),
        marshal.dumps([stamp, [(key, "not a dict") for key, _ in tables], scans]),
        marshal.dumps([stamp, [1, 2], scans]),
        marshal.dumps([stamp, [([1], {})], [([2], ())]]),
    ):
        cache.write_bytes(damaged)
        again = _run(tmp_path)
        assert again["from_cache"] is False
        assert again["same"] is True
        assert marshal.loads(cache.read_bytes()) == marshal.loads(good)  # noqa: S302 (written again)
    other = _run(tmp_path, "other rules")  # another rule set: built, and it replaces the kept one
    assert other["from_cache"] is False
    assert other["same"] is True
    assert _run(tmp_path, "other rules")["from_cache"] is True
    assert _run(tmp_path)["from_cache"] is False


def test_tables_marshal_cannot_hold_are_not_kept(tmp_path: Path) -> None:
    from safe_pip._tablecache import _keep, _same

    path = tmp_path / "tables.marshal"
    _keep(str(path), ["stamp"], [(("key",), {"name": bytearray(b"x")})], [])  # bytearray: read as bytes
    assert not path.exists()
    _keep(str(path), ["stamp"], [(("key",), {"name": object()})], [])  # not marshal data at all
    assert not path.exists()
    _keep(str(path), ["stamp"], [(("key",), {"name": {b"x", 1}})], [])
    assert path.exists()
    assert _same({1, b"x"}, {1, b"x"})
    assert not _same({True}, {1})
    assert not _same([b"x"], [bytearray(b"x")])


def test_diagnose_reads_the_same_through_the_caches(tmp_path: Path) -> None:
    """`safe-pip diagnose` keeps its patterns' code and its classifier's tables in the cache folder: its
    output is the same without them (the first run), from them (the second) and with them damaged."""
    logs = sorted((ROOT / "tests" / "fixtures" / "logs").glob("*/match-*.log"))[::250]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "SAFE_PIP_PURE_SCAN": "1",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }

    def diagnose() -> list[str]:
        return [
            subprocess.run(
                [sys.executable, "-m", "safe_pip", "diagnose", "--json", str(log)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            ).stdout
            for log in logs
        ]

    first = diagnose()
    folder = tmp_path / "cache" / "safe-pip"
    assert len(list(folder.glob("classifier-tables-*.marshal"))) == 1
    assert len(list(folder.glob("re-*.marshal"))) == 1
    assert diagnose() == first
    for kept in [*folder.glob("classifier-tables-*.marshal"), *folder.glob("re-*.marshal")]:
        kept.write_bytes(kept.read_bytes()[:1000])
    assert diagnose() == first
    assert len(logs) > 3
    assert any('"category"' in out for out in first)
