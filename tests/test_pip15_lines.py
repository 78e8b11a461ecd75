"""pip 1.4-1.5's own lines (pastes-z-2026-12-02l): "Downloading/unpacking X" is that pip's "Collecting X",
also for where a requirement comes from: a fix names the index's project only when the log collected it by
name, not for a VCS URL or an archive's address."""

from __future__ import annotations

import io

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

_GCC = "    unable to execute 'gcc': No such file or directory\n"


def _top(first_line: str) -> tuple[str | None, list[str]]:
    diagnoses = classify_stream(io.BytesIO((first_line + "\n" + _GCC).encode()), load_rules())
    return diagnoses[0].package, [fix.id for fix in diagnoses[0].fixes]


def test_a_vcs_url_collected_by_pip15_is_not_installed_from_the_index_by_name() -> None:
    package, fixes = _top("Downloading/unpacking git+https://github.com/acme/widget.git#egg=widget")
    assert package == "widget"
    assert "only-binary" not in fixes


def test_a_name_collected_by_pip15_is_the_index_project() -> None:
    package, fixes = _top("Downloading/unpacking Widget>=1.0,<2 (from -r requirements.txt (line 3))")
    assert package == "Widget"
    assert "only-binary" in fixes
