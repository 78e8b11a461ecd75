"""A paste of two pip runs: one that failed, then another command that worked. pip's line that ends a run
(classify._RUN_FAILED) makes a later "Successfully installed" another run's, which does not undo the failure;
a wheel build that failed inside a run that then installed the package (pip 20-23's `setup.py install`
fallback, whose "error: subprocess-exited-with-error" and "Failed building wheel" end nothing) still does."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

_BUILD = """Collecting pyaudio
  Downloading PyAudio-0.2.14.tar.gz (47 kB)
Building wheels for collected packages: pyaudio
  Building wheel for pyaudio (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for pyaudio (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [4 lines of output]
      running build_ext
      building 'pyaudio._portaudio' extension
      src/pyaudio/device_api.c:9:10: fatal error: portaudio.h: No such file or directory
      error: command '/usr/bin/gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for pyaudio
Failed to build pyaudio
"""
_OTHER_RUN_WORKED = """$ pip install sounddevice
Collecting sounddevice
  Using cached sounddevice-0.4.6-py3-none-any.whl (31 kB)
Installing collected packages: sounddevice
Successfully installed sounddevice-0.4.6
"""
# What pip printed last when the run ended there, by version.
_RUN_ENDS = {
    "pip23": "ERROR: Could not build wheels for pyaudio, which is required to install pyproject.toml-based projects\n",
    "pip24": "ERROR: Failed to build installable wheels for some pyproject.toml based projects (pyaudio)\n",
    "pip25": "error: failed-wheel-build-for-install\n",
}


def _categories(text: str) -> list[str]:
    return [d.category for d in classify_stream(io.BytesIO(text.encode()), load_rules())]


@pytest.mark.parametrize("pip", sorted(_RUN_ENDS))
def test_a_failed_run_then_another_that_worked_keeps_the_failure(pip: str) -> None:
    assert _categories(_BUILD + _RUN_ENDS[pip] + _OTHER_RUN_WORKED)[:1] == ["missing-system-library"]


def test_a_wheel_build_that_failed_in_a_run_that_then_installed_is_no_diagnosis() -> None:
    fallback = """Installing collected packages: pyaudio
  Running setup.py install for pyaudio ... done
Successfully installed pyaudio-0.2.14
"""
    assert _categories(_BUILD + fallback) == []


def test_the_same_run_without_its_success_is_a_failure() -> None:
    # (the comparison can fail: the build error alone is diagnosed)
    assert _categories(_BUILD)[:1] == ["missing-system-library"]


@pytest.mark.parametrize(
    "end",
    [
        "ERROR: No matching distribution found for pyaudio==9.9\n",
        "No matching distribution found for pyaudio==9.9\n",  # pip 9
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/\n",
        'Command "python setup.py egg_info" failed with error code 1 in /tmp/pip-build-q1/pyaudio/\n',
    ],
    ids=["no-match", "no-match-pip9", "resolution", "egg-info-pip9"],
)
def test_each_line_that_ends_a_run_keeps_an_earlier_failure(end: str) -> None:
    # (pip's own resolver error is diagnosed too, and outranks the build's)
    assert "missing-system-library" in _categories(_BUILD + end + _OTHER_RUN_WORKED)
