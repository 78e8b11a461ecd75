"""A pin of a local build (torch==1.11.0+cpu) whose release pip listed is not a newer release (issue 13)."""

from __future__ import annotations

from safe_pip.index import explain_log

_LINE = (
    "ERROR: Could not find a version that satisfies the requirement torch==1.11.0+cpu "
    "(from versions: 1.8.0, 1.8.1, 1.9.0, 1.10.0, 1.10.1, 1.10.2, 1.11.0)"
)


def test_a_local_build_of_a_listed_release_is_not_read_as_a_python_refusal() -> None:
    # The release exists for this Python (it is listed): only the +cpu build is missing for this platform
    # (an arm64 image, a find-links page of x86-64 builds), so nothing here says the Python is why.
    assert explain_log([_LINE]) is None
    assert explain_log([_LINE.replace("1.11.0+cpu", "1.10.2+cu113")]) is None


def test_a_local_build_of_a_newer_release_than_listed_is_still_read_as_before() -> None:
    # Near miss: 1.12.0 is not listed at all, so the pin is a newer release, as a plain pin of it would be.
    newer = explain_log([_LINE.replace("1.11.0+cpu", "1.12.0+cpu")])
    assert newer is not None
    assert newer.category == "python-version-unsupported"
    plain = explain_log([_LINE.replace("1.11.0+cpu", "1.12.0")])
    assert plain is not None
    assert plain.category == newer.category
