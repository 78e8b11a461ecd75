"""The saved logs' folder, worked out without importing platformdirs on a plain Linux, is platformdirs' own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from platformdirs import user_log_dir

from safe_pip.commands.context import log_directory, plain_linux_log_directory

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the plain reading is for Linux only")

CASES = [
    pytest.param({"HOME": "/home/ana"}, id="home"),
    pytest.param({"HOME": "/home/ana/"}, id="home-trailing-slash"),
    pytest.param({"HOME": "/"}, id="home-root"),
    pytest.param({"HOME": "/home/ana", "XDG_STATE_HOME": "/srv/state"}, id="xdg-state"),
    pytest.param({"HOME": "/home/ana", "XDG_STATE_HOME": "/srv/state/"}, id="xdg-state-trailing-slash"),
    pytest.param({"HOME": "/home/ana", "XDG_STATE_HOME": ""}, id="xdg-state-empty"),
]


@linux_only
@pytest.mark.parametrize("environ", CASES)
def test_plain_reading_is_platformdirs_reading(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("SAFE_PIP_LOG_DIR", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert plain_linux_log_directory(environ) == user_log_dir("safe-pip", appauthor=False)
    assert log_directory() == user_log_dir("safe-pip", appauthor=False)


@linux_only
@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="no-home"),
        pytest.param({"HOME": "relative/home"}, id="relative-home"),
        pytest.param({"HOME": "/home/ana", "XDG_STATE_HOME": "state"}, id="relative-xdg-state"),
        pytest.param({"HOME": "/home/ana", "XDG_STATE_HOME": " /srv/state"}, id="padded-xdg-state"),
        pytest.param({"HOME": "/home/ana", "ANDROID_DATA": "/data"}, id="maybe-android"),
    ],
)
def test_uncommon_settings_are_left_to_platformdirs(environ: dict[str, str]) -> None:
    assert plain_linux_log_directory(environ) is None


def test_safe_pip_log_dir_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFE_PIP_LOG_DIR", "/ci/artifacts/logs")
    assert log_directory() == "/ci/artifacts/logs"


@linux_only
def test_finding_the_log_folder_does_not_import_platformdirs() -> None:
    """The point of the plain reading: every `safe-pip install` finds the log folder while pip runs, and on a
    plain Linux that no longer imports platformdirs."""
    code = (
        "import sys\n"
        "from safe_pip.commands.context import log_directory\n"
        "log_directory()\n"
        "print('platformdirs' in sys.modules)\n"
    )
    env = {"HOME": "/home/ana", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_leftovers_are_removed_and_none_is_no_work(tmp_path: Path) -> None:
    from safe_pip.commands.context import remove_leftovers, remove_on_exit

    remove_leftovers()  # nothing named: nothing done
    folder = tmp_path / "constraints"
    folder.mkdir()
    (folder / "c.txt").write_text("setuptools<70\n")
    remove_on_exit(str(folder))
    remove_leftovers()
    assert not folder.exists()
