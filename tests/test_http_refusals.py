"""An index's HTTP answer (rule index-http-error): a refusal (401, 403, 404) gets no "longer timeout, more
retries" fix, since waiting longer brings the same answer; a failing index (5xx) keeps it. The summary does not
say "pip" for uv's logs. The logs are the rule's own fixtures (real pip runs and uv's written formats)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

_LOGS = Path(__file__).parent / "fixtures" / "logs" / "index-http-error"


@pytest.mark.parametrize(
    ("log", "status", "retried"),
    [
        ("match-http-403-file-pip20.log", "403", False),
        ("match-http-403-file-pip26.log", "403", False),
        ("match-written-uv0133-wheel-401-nexus.log", "401", False),
        ("match-http500-retries-py27-pip10.log", "500", True),
        ("match-written-uv02-index-page-503.log", "503", True),
    ],
)
def test_only_a_failing_index_is_retried_with_a_longer_timeout(log: str, status: str, retried: bool) -> None:
    with (_LOGS / log).open("rb") as stream:
        top = classify_stream(stream, load_rules())[0]
    assert top.rule == "index-http-error"
    assert f"answered HTTP {status} " in top.summary
    assert not top.summary.startswith("pip ")  # uv's logs too
    assert ("increase-timeout" in [fix.id for fix in top.fixes]) == retried


def test_too_many_requests_is_not_a_refusal() -> None:
    text = "ERROR: HTTP error 429 while getting https://pypi.example.org/packages/x-1.0.tar.gz\n"
    top = classify_stream(io.BytesIO(text.encode()), load_rules())[0]
    assert top.rule == "index-http-error"
    assert "increase-timeout" in [fix.id for fix in top.fixes]
