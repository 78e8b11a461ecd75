"""use-python for a dependency of the user's own folder (`pip install .`): the new venv gets the folder, not
the dependency alone (real paste, pastes-md md01: smahub on Python 3.13 pulled pydantic-core 2.18.2, whose PyO3
knows Python up to 3.12). Lines written from pip 24's formats; the build's lines from maturin's."""

from __future__ import annotations

import io

from safe_pip.classify import Diagnosis, classify_stream
from safe_pip.rules import load_rules

_HEAD = """{collect}
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Collecting pydantic==2.7.1 (from {root})
  Using cached pydantic-2.7.1-py3-none-any.whl (409 kB)
Collecting pydantic-core==2.18.2 (from pydantic==2.7.1->{root})
  Using cached pydantic_core-2.18.2.tar.gz (383 kB)
  Installing build dependencies ... done
  Getting requirements to build wheel ... done
  Preparing metadata (pyproject.toml) ... done
Building wheels for collected packages: pydantic-core
  Building wheel for pydantic-core (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for pydantic-core (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [5 lines of output]
      Running `maturin pep517 build-wheel -i /home/pi/app/.venv/bin/python3 --compatibility off`
      🐍 Found CPython 3.13 at /home/pi/app/.venv/bin/python3
      error: the configured Python interpreter version (3.13) is newer than PyO3's maximum supported version (3.12)
      = help: please check if an updated version of PyO3 is available. Current version: 0.21.1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for pydantic-core
Failed to build pydantic-core
"""


def _use_python(collect: str, root: str) -> str:
    text = _HEAD.format(collect=collect, root=root)
    top: Diagnosis = classify_stream(io.BytesIO(text.encode()), load_rules())[0]
    assert top.package == "pydantic-core"
    return {fix.id: fix.command for fix in top.fixes}["use-python"]


def test_a_dependency_of_the_users_folder_gets_the_folder_in_the_new_venv() -> None:
    command = _use_python("Processing /home/pi/smahub", "smahub==1.4.0")
    assert command.endswith("-m pip install /home/pi/smahub")
    assert "pydantic-core" not in command.split("install", 1)[1]


def test_a_dependency_of_a_project_from_the_index_gets_what_was_asked() -> None:
    # the root was asked by name: the venv gets it (as before), not a folder
    command = _use_python("Collecting smahub==1.4.0", "smahub==1.4.0")
    assert command.endswith("-m pip install smahub==1.4.0")


def test_an_editable_folder_is_left_to_the_user() -> None:
    # `pip install -e .` ("Obtaining file:///..."): the editable install is not repeated by a printed command
    command = _use_python("Obtaining file:///home/pi/smahub", "smahub==1.4.0")
    assert "/home/pi/smahub" not in command
