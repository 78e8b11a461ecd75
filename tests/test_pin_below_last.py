"""A requirement is "newer than the last release for this Python" only when every version it allows is newer
(its lower bound is past that release): a pin older than the Python's last release (torch==2.3.0, where the
last torch for Python 3.9 is 2.8.0) asks for no newer release, so pip's list and the platform decide (an Intel
Mac's list ends at torch 2.2.2: no-matching-distribution, the platform). Written from pip's formats."""

from __future__ import annotations

import pytest
from packaging.version import Version

from safe_pip.index import _all_newer_than, explain_log
from safe_pip.logpython import log_python

_INTEL_MAC = [
    "Collecting numpy==1.26.4 (from -r requirements_macOS.txt (line 4))",
    "  Using cached numpy-1.26.4-cp39-cp39-macosx_10_9_x86_64.whl.metadata (61 kB)",
]
_LIST = "1.7.1, 1.8.0, 1.9.0, 1.10.0, 1.11.0, 1.12.0, 1.13.0, 2.0.0, 2.1.0, 2.2.0, 2.2.1, 2.2.2"


@pytest.mark.parametrize(
    ("spec", "last", "newer"),
    [
        (">=74.1.0", "68.0.0", True),
        (">=80.9.0,<82", "68.0.0", True),
        (">2.8.0", "2.8.0", True),
        ("==3.0.*", "2.8.0", True),
        ("~=3.1", "2.8.0", True),
        ("==2.3.0", "2.8.0", False),  # an older pin: not a request for a newer release
        (">=2.8.0", "2.8.0", False),  # the last release itself fits
        ("<3", "2.8.0", False),  # no lower bound
        ("!=2.0", "2.8.0", False),
        ("", "2.8.0", False),
        ("not a spec", "2.8.0", False),
    ],
)
def test_a_spec_is_past_a_release_only_by_its_lower_bound(spec: str, last: str, newer: bool) -> None:
    assert _all_newer_than(spec, Version(last)) is newer


def test_a_pin_older_than_the_pythons_last_release_is_read_by_the_platform() -> None:
    line = f"ERROR: Could not find a version that satisfies the requirement torch==2.3.0 (from versions: {_LIST})"
    found = explain_log([*_INTEL_MAC, line], log=log_python(_INTEL_MAC))
    assert found is not None
    assert found.category == "no-matching-distribution"
    assert "newer than" not in found.summary
    assert "macOS on Intel" in found.summary


def test_a_pin_past_the_pythons_last_release_is_still_the_python() -> None:
    # torch 2.9.0 needs a Python newer than 3.9 (its last torch: 2.8.0)
    versions = _LIST + ", 2.3.0, 2.4.0, 2.5.0, 2.6.0, 2.7.0, 2.8.0"
    linux = ["  Using cached numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (18 MB)"]
    line = f"ERROR: Could not find a version that satisfies the requirement torch==2.9.0 (from versions: {versions})"
    found = explain_log([*linux, line], log=log_python(linux))
    assert found is not None
    assert found.category == "python-version-unsupported"
