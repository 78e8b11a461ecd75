"""package-python-version-guard: which way the setup script's refusal points decides whether upgrading the
package can help (pastes-z-2026-12-02l: numpy 1.17's "Python version >= 3.5 required" under pip 8 on Python
2.7, where `--upgrade numpy` with the same pip fetches the same release again)."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules


def _fix_ids(text: str) -> list[str]:
    diagnoses = classify_stream(io.BytesIO(text.encode()), load_rules())
    assert diagnoses[0].rule == "package-python-version-guard"
    return [fix.id for fix in diagnoses[0].fixes]


@pytest.mark.parametrize(
    "line",
    [
        "    RuntimeError: Python version >= 3.5 required.",
        "    RuntimeError: Python version 2.7 or >= 3.4 required.",
        "    Requests requires Python 3.10 or later.",
        "    Beginning with Matplotlib 3.0, Python 3.5 and above is required.",
    ],
    ids=["numpy-floor", "numpy-or-floor", "or-later", "and-above"],
)
def test_a_python_too_old_for_the_package_gets_no_upgrade_of_it(line: str) -> None:
    log = f"Collecting x==1.0\n    Complete output from command python setup.py egg_info:\n{line}\n"
    assert "upgrade-package" not in _fix_ids(log)


def test_a_python_too_new_for_the_package_keeps_the_upgrade() -> None:
    log = (
        "Collecting scipy==1.9.0\n"
        "      RuntimeError: Cannot install on Python version 3.11.2; only versions >=3.8,<3.11 are supported.\n"
    )
    assert "upgrade-package" in _fix_ids(log)
