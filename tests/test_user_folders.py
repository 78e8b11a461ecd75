"""The cache and config folders, worked out without importing platformdirs on a plain Linux, are
platformdirs' own (as the saved logs' folder is: test_log_directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from platformdirs import user_cache_dir, user_config_dir

from safe_pip.commands.context import plain_linux_folder, user_folder

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the plain reading is for Linux only")

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    pytest.param({"HOME": "/home/ana"}, id="home"),
    pytest.param({"HOME": "/home/ana/"}, id="home-trailing-slash"),
    pytest.param({"HOME": "/"}, id="home-root"),
    pytest.param({"HOME": "/home/ana", "XDG_CACHE_HOME": "/srv/cache"}, id="xdg-cache"),
    pytest.param({"HOME": "/home/ana", "XDG_CONFIG_HOME": "/srv/config/"}, id="xdg-config-trailing-slash"),
    pytest.param({"HOME": "/home/ana", "XDG_CACHE_HOME": "", "XDG_CONFIG_HOME": ""}, id="xdg-empty"),
    pytest.param(
        {"HOME": "/home/ana", "XDG_CACHE_HOME": "/c", "XDG_CONFIG_HOME": "/d", "XDG_STATE_HOME": "/e"},
        id="xdg-all",
    ),
]


@linux_only
@pytest.mark.parametrize("environ", CASES)
def test_plain_reading_is_platformdirs_reading(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert plain_linux_folder("cache", environ) == user_cache_dir("safe-pip", appauthor=False)
    assert plain_linux_folder("config", environ) == user_config_dir("safe-pip", appauthor=False)
    assert user_folder("cache") == user_cache_dir("safe-pip", appauthor=False)
    assert user_folder("config") == user_config_dir("safe-pip", appauthor=False)


@linux_only
@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="no-home"),
        pytest.param({"HOME": "relative/home"}, id="relative-home"),
        pytest.param({"HOME": " /home/ana"}, id="padded-home"),
        pytest.param(
            {"HOME": "/home/ana", "XDG_CACHE_HOME": "cache", "XDG_CONFIG_HOME": "config"}, id="relative"
        ),
        pytest.param({"HOME": "/home/ana", "XDG_CACHE_HOME": "/c ", "XDG_CONFIG_HOME": " /d"}, id="padded"),
        pytest.param({"HOME": "/home/ana", "ANDROID_DATA": "/data"}, id="maybe-android"),
    ],
)
def test_uncommon_settings_are_left_to_platformdirs(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert plain_linux_folder("cache", environ) is None
    assert plain_linux_folder("config", environ) is None
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "ANDROID_DATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if "HOME" in environ and os.path.isabs(environ["HOME"].strip()):
        # (platformdirs itself answers; without an absolute HOME it may ask the password database)
        assert user_folder("cache") == user_cache_dir("safe-pip", appauthor=False)
        assert user_folder("config") == user_config_dir("safe-pip", appauthor=False)


@linux_only
def test_a_failure_s_diagnosis_does_not_import_platformdirs(tmp_path: Path) -> None:
    """The point of the plain reading: what a failed install's diagnosis imports and asks first (the
    compiled-pattern cache, the rule library, the classifier's tables) finds its folders without it."""
    code = (
        "import sys\n"
        "from safe_pip import cli\n"
        "cli._compile_from_cache()\n"
        "for name in cli._DIAGNOSIS_MODULES:\n"
        "    __import__(name)\n"
        "from safe_pip.commands.library import load_rule_library\n"
        "from safe_pip.options import parse_argv\n"
        "from safe_pip.render import Console\n"
        "import os\n"
        "load_rule_library(parse_argv(['install', 'x'], os.environ), Console(color=False))\n"
        "print('platformdirs' in sys.modules)\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert (tmp_path / ".cache" / "safe-pip").is_dir()  # the rule library's cache went to the plain folder
