"""classify.tables_state / load_tables_state: the classifier's tables as plain data, and back."""

from __future__ import annotations

import io
import marshal
from pathlib import Path

import pytest

from safe_pip import _scan, classify
from safe_pip.classify import Classifier, load_tables_state, tables_state
from safe_pip.rules import load_rules

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"


@pytest.mark.parametrize("pure", [False, True], ids=["accelerated-if-installed", "pure"])
def test_tables_kept_as_plain_data_give_the_same_diagnoses(
    pure: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pure:
        monkeypatch.setenv("SAFE_PIP_PURE_SCAN", "1")
    else:
        monkeypatch.delenv("SAFE_PIP_PURE_SCAN", raising=False)
    rules = load_rules()
    monkeypatch.setattr(classify, "_TABLES", {})
    monkeypatch.setattr(_scan, "_TABLES", {})
    Classifier(rules)
    state = tables_state()
    # Plain data: marshal gives back exactly what it was given (the built-in rules' scanner has no trie).
    kept = marshal.loads(marshal.dumps(state))  # noqa: S302 (written just above)
    assert kept == state
    for _, tables in state[0]:
        assert all(tables[name] is None for name in classify._FINDER_TABLES)
    logs = sorted(LOGS.glob("*/match-*.log"))[::7]
    expected = [_diagnose(rules, log) for log in logs]
    built = dict(classify._TABLES)

    # A fresh process: only what was kept; the classifier must not work its tables out again.
    monkeypatch.setattr(classify, "_TABLES", {})
    monkeypatch.setattr(_scan, "_TABLES", {})
    load_tables_state(kept)

    def no_building(self: Classifier) -> None:
        raise AssertionError("the tables were built again")

    monkeypatch.setattr(Classifier, "_build_tables", no_building)
    assert [_diagnose(rules, log) for log in logs] == expected
    ((key, tables),) = classify._TABLES.items()
    for name, value in built[key].items():
        if name in classify._FINDER_TABLES:
            assert (value is None) == (tables[name] is None), name
        else:
            assert tables[name] == value, name


def test_tables_made_for_the_other_scan_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ahocorasick_rs", reason="the optional accelerator (extra 'fast') is not installed")
    monkeypatch.delenv("SAFE_PIP_PURE_SCAN", raising=False)
    monkeypatch.setattr(classify, "_TABLES", {})
    monkeypatch.setattr(_scan, "_TABLES", {})
    Classifier(load_rules())
    state = tables_state()
    monkeypatch.setattr(classify, "_TABLES", {})
    monkeypatch.setattr(_scan, "_TABLES", {})
    monkeypatch.setenv("SAFE_PIP_PURE_SCAN", "1")
    load_tables_state(state)
    assert classify._TABLES == {}
    assert _scan._TABLES == {}


def _diagnose(rules: object, log: Path) -> list[dict[str, object]]:
    classifier = Classifier(rules)  # type: ignore[arg-type]
    classifier.feed_stream(io.BytesIO(log.read_bytes()))
    return [diagnosis.to_json() for diagnosis in classifier.diagnoses()]
