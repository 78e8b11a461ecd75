"""A package pip clones from a repository ("Cloning URL to .../pip-install-x/<name>_<hex>") comes from there,
not from the index: no printed or automatic fix names it for pip to fetch the index's project of that name
(`--only-binary netwidget netwidget` was offered for a clone refused with HTTP 403; pastes-mf-2026-12-02m)."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

_FAILED_BUILD = """Collecting netwidget
{clone}
  Running command git clone --filter=blob:none --quiet https://git.example.org/lab/netwidget.git {folder}
  Resolved https://git.example.org/lab/netwidget.git to commit 3f2a9c1d0e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Building wheels for collected packages: netwidget
  Building wheel for netwidget (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for netwidget (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [3 lines of output]
      running build_ext
      src/netwidget/_fast.c:412:5: error: implicit declaration of function 'nw_frobnicate'
      error: command '/usr/bin/gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for netwidget
Failed to build netwidget
ERROR: Could not build wheels for netwidget, which is required to install pyproject.toml-based projects
"""
_FOLDERS = {
    "pip23": "/tmp/pip-install-8unb1xa3/netwidget_6ca67665ad9843449e44d7933502a518",
    "pip20": "/tmp/pip-install-q1w2e3r4/netwidget",
    "windows": "C:\\Users\\ana\\AppData\\Local\\Temp\\pip-install-k9x_2b1c\\netwidget_0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
}


def _fixes(log: str) -> list[tuple[str, str]]:
    diagnoses = classify_stream(io.BytesIO(log.encode()), load_rules())
    return [(fix.id, fix.command) for fix in diagnoses[0].fixes]


@pytest.mark.parametrize("where", sorted(_FOLDERS))
@pytest.mark.parametrize("revision", ["", " (to revision v2.1)"])
def test_no_fix_fetches_the_index_project_of_a_cloned_package(where: str, revision: str) -> None:
    folder = _FOLDERS[where]
    clone = f"  Cloning https://git.example.org/lab/netwidget.git{revision} to {folder}"
    fixes = _fixes(_FAILED_BUILD.format(clone=clone, folder=folder))
    assert not [command for _, command in fixes if "netwidget" in command and "git+" not in command]


def test_without_the_clone_the_index_project_may_be_named() -> None:
    # (the comparison can fail: the same build of a package from the index gets its wheel fix)
    log = _FAILED_BUILD.format(clone="  Downloading netwidget-2.1.tar.gz (88 kB)", folder="/tmp/x")
    assert ("only-binary", "safe-pip install --only-binary netwidget netwidget") in _fixes(log)
