"""The installation report reader, on reports real pip wrote (tests/fixtures/reports, made with pip 22.3.1 and
23.2.1 against a local folder of wheels and sdists) and on broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.installreport import ReportError, parse_report

REPORTS = Path(__file__).parent / "fixtures" / "reports"


@pytest.mark.parametrize("name", ["wheel-and-sdist-pip23.2.json", "wheel-and-sdist-pip22.3.json"])
def test_a_wheel_and_an_sdist_dependency(name: str) -> None:
    report = parse_report((REPORTS / name).read_text())
    rows = [(d.name, d.version, d.kind, d.requested, d.is_direct) for d in report.distributions]
    assert rows == [
        ("purelib", "1.0", "wheel", True, False),
        ("fastmath", "2.0", "sdist", False, False),
    ]
    assert [d.name for d in report.source_builds] == ["fastmath"]
    sdist = report.source_builds[0]
    assert sdist.filename == "fastmath-2.0.tar.gz"
    assert sdist.sha256 is not None
    assert len(sdist.sha256) == 64
    assert report.pip_version in ("22.3.1", "23.2.1")


def test_a_folder_a_git_checkout_and_an_sdist_url() -> None:
    report = parse_report((REPORTS / "direct-dir-vcs-url-pip23.2.json").read_text())
    rows = [(d.name, d.kind, d.requested, d.is_direct, d.filename) for d in report.distributions]
    assert rows == [
        ("fastmath", "directory", True, True, "localproj"),
        ("probe", "vcs", True, True, ""),
        ("tinyweb", "sdist", True, True, "tinyweb-0.3.tar.gz"),
    ]
    assert all(d.builds for d in report.distributions)
    assert report.distributions[0].sha256 is None


def test_a_legacy_hash_field_is_read() -> None:
    text = (
        '{"version": "1", "install": [{"download_info": {"url": "https://x/files/a-1.0.tar.gz", '
        '"archive_info": {"hash": "sha256=abc"}}, "requested": true, "metadata": {"name": "A", "version": "1.0"}}]}'
    )
    (item,) = parse_report(text).distributions
    assert (item.key, item.sha256, item.kind, item.is_direct) == ("a", "abc", "sdist", False)


def test_a_wheel_url_with_a_fragment_is_still_a_wheel() -> None:
    text = (
        '{"version": "1", "install": [{"download_info": {"url": "https://x/a-1.0-py3-none-any.whl#sha256=1", '
        '"archive_info": {}}, "metadata": {"name": "a", "version": "1.0"}}]}'
    )
    assert parse_report(text).distributions[0].kind == "wheel"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        ('{"version": "2", "install": []}', "unknown report version '2'"),
        ('{"version": "1"}', "no 'install' list"),
        ('{"version": "1", "install": [{"metadata": {}}]}', "install[0] is not readable"),
    ],
    ids=["text", "list", "version-2", "no-install", "no-download-info"],
)
def test_what_is_not_a_report_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ReportError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_report(text)
