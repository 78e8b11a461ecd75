"""A project page the index did not serve (issue 13's `--retries 0` against a dead index): pip's log says only
"from versions: none"; the index query's reason, read by the rules, names the cause."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from safe_pip.classify import Diagnosis, Evidence
from safe_pip.index_diagnosis import _index_unreadable

NONE_LISTED = Diagnosis(
    rule="no-matching-distribution",
    category="no-matching-distribution",
    confidence=0.75,
    package="six",
    summary="pip found no release of six that it can install here (versions seen on the index: none).",
    hint="",
    evidence=(
        Evidence(
            2, "ERROR: Could not find a version that satisfies the requirement six (from versions: none)"
        ),
    ),
)
REFUSED = (
    "http://127.0.0.1:9/simple/six/: connection error: HTTPConnectionPool(host='127.0.0.1', port=9): Max "
    "retries exceeded with url: /simple/six/ (Caused by NewConnectionError('<HTTPConnection object>: Failed to "
    "establish a new connection: [Errno 111] Connection refused'))"
)


def _rules_say(
    category: str, asked: list[tuple[list[str], str]]
) -> Callable[[Sequence[str], str], list[Diagnosis]]:
    def reread(texts: Sequence[str], package: str) -> list[Diagnosis]:
        asked.append((list(texts), package))
        return [
            Diagnosis(
                rule="r",
                category=category,
                confidence=0.93,
                package=package,
                summary=f"pip could not download {package}: connecting to the package index failed.",
                hint="check the index",
                evidence=(Evidence(2, texts[1]),),
            )
        ]

    return reread


def test_the_reason_the_index_gave_is_diagnosed_with_the_logs_own_line_as_evidence() -> None:
    asked: list[tuple[list[str], str]] = []
    found = _index_unreadable(NONE_LISTED, (REFUSED,), _rules_say("network-error", asked))
    assert found is not None
    assert found.category == "network-error"
    assert found.evidence == NONE_LISTED.evidence
    assert found.summary.endswith(
        "asked again, the index page http://127.0.0.1:9/simple/six/ could not be read."
    )
    assert found.index is None  # the contract's `index` lists releases: the index listed none
    # The rules read pip's "Collecting" line first (the package), then the reason.
    assert asked == [(["Collecting six", f"WARNING: Could not fetch URL {REFUSED}"], "six")]


def test_nothing_changes_without_a_reason_or_when_the_rules_name_no_network_cause() -> None:
    asked: list[tuple[list[str], str]] = []
    assert _index_unreadable(NONE_LISTED, (), _rules_say("network-error", asked)) is None
    assert _index_unreadable(NONE_LISTED, (REFUSED,), None) is None
    assert _index_unreadable(NONE_LISTED, (REFUSED,), _rules_say("build-failed", asked)) is None
