"""What every command reads from where it runs: the target interpreter (which pip runs, which doctor
examines), the folder for saved logs, the user's requirement files, the options that chose the target."""

from __future__ import annotations

import os
import sys

from safe_pip.options import Invocation
from safe_pip.render import Console

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safe_pip.target import TargetInterpreter


EXIT_USAGE = 2


# Files that mark an environment made for one tool alone: pipx's and uv's (`uv tool install`).
_TOOL_ENVIRONMENT_MARKERS = ("pipx_metadata.json", "uv-receipt.toml")


def resolve_target(invocation: Invocation, console: Console) -> TargetInterpreter | None:
    """The interpreter whose pip runs (or that doctor examines); None after saying why there is none."""
    from safe_pip.target import TargetError, choose_target

    try:
        return choose_target(
            option=invocation.options.python,
            environ=os.environ,
            own_prefix=own_prefix(),
            lookup=SystemPathLookup(),
            own_venv=own_plain_venv(),
        )
    except TargetError as error:
        console.error(str(error))
        return None


class SystemPathLookup:
    """The real file system, for `target.choose_target`."""

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def is_executable(self, path: str) -> bool:
        return os.access(path, os.X_OK)

    def real_path(self, path: str) -> str:
        return os.path.realpath(path)


def own_prefix() -> str | None:
    """safe-pip's own environment when a tool installer made it (pipx, uv tool), else None.

    Only such an environment is skipped when looking for python on PATH. A plain venv that safe-pip was
    pip-installed into is the user's own (a Dockerfile's `ENV PATH=/opt/venv/bin:$PATH`): it stays a target.
    """
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return None
    if any(os.path.exists(os.path.join(sys.prefix, name)) for name in _TOOL_ENVIRONMENT_MARKERS):
        return sys.prefix
    return None


def own_plain_venv() -> str | None:
    """The interpreter of the plain virtual environment safe-pip runs from (its wheel pip-installed inside a
    venv), which is its default target as it is pip's; None under pipx or uv tool, or outside a venv."""
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix) or own_prefix() is not None:
        return None
    return sys.executable or None


def log_directory() -> str:
    """Where saved logs go: SAFE_PIP_LOG_DIR (a CI's artifact folder), else the user log folder."""
    given = os.environ.get("SAFE_PIP_LOG_DIR")
    if given:
        return os.path.abspath(os.path.expanduser(given))
    plain = plain_linux_log_directory(os.environ)
    if plain is not None:
        return plain
    # Imported here, after pip has started: platformdirs' import is the largest part of safe-pip's start-up.
    from platformdirs import user_log_dir

    return user_log_dir("safe-pip", appauthor=False)


def plain_linux_log_directory(environ: Mapping[str, str]) -> str | None:
    """platformdirs' `user_log_dir("safe-pip")` on a plain Linux, worked out without importing platformdirs
    (with what it imports, pathlib, tempfile, shutil, bz2, lzma..., 15-35 ms of CPU in every run, success
    included): `$XDG_STATE_HOME/safe-pip/log`, else `~/.local/state/safe-pip/log`. None where platformdirs'
    versions could differ or platformdirs decides more (see plain_linux_folder): it is asked then."""
    state = plain_linux_folder("state", environ)
    return None if state is None else os.path.join(state, "log")


# The user folders of platformdirs' that safe-pip asks for (the saved logs' is under "state"): the XDG
# variable that names one, and where it is under HOME otherwise.
_USER_FOLDERS = {
    "cache": ("XDG_CACHE_HOME", ".cache"),
    "config": ("XDG_CONFIG_HOME", ".config"),
    "state": ("XDG_STATE_HOME", ".local/state"),
}


def user_folder(kind: str) -> str:
    """platformdirs' `user_cache_dir("safe-pip")` (kind "cache") or `user_config_dir("safe-pip")`
    ("config"), worked out without importing platformdirs on a plain Linux (see plain_linux_folder): its
    import, with tempfile and random, was 5-10 ms of each failed install's and diagnose's CPU."""
    plain = plain_linux_folder(kind, os.environ)
    if plain is not None:
        return plain
    import platformdirs

    folder = platformdirs.user_cache_dir if kind == "cache" else platformdirs.user_config_dir
    return folder("safe-pip", appauthor=False)


def plain_linux_folder(kind: str, environ: Mapping[str, str]) -> str | None:
    """`user_folder(kind)` on a plain Linux: `$XDG_CACHE_HOME/safe-pip` (`$XDG_CONFIG_HOME`), else
    `~/.cache/safe-pip` (`~/.config`, `~/.local/state`). None where platformdirs' versions could differ or
    platformdirs decides more (another system, a possible Android, a relative or space-padded XDG variable,
    a HOME that is unset or not absolute): it is asked then."""
    variable, under_home = _USER_FOLDERS[kind]
    if sys.platform != "linux" or "ANDROID_DATA" in environ or hasattr(sys, "getandroidapilevel"):
        return None
    home = environ.get("HOME", "")
    value = environ.get(variable, "")
    if not home.startswith("/") or home != home.strip():
        return None
    if value:
        if not value.startswith("/") or value != value.strip():
            return None
        return os.path.join(value, "safe-pip")
    # (os.path.expanduser's own reading of HOME: its trailing slashes dropped, "/" alone kept as the root)
    return os.path.join(home.rstrip("/") + "/" + under_home, "safe-pip")


def read_requirement_file(name: str) -> str | None:
    """A requirement or constraint file the user's command names (relative to the working folder, as pip
    reads it); None when it cannot be read. Capped: a file is text a person wrote, not a gigabyte."""
    try:
        with open(name, "rb") as file:
            return file.read(4 << 20).decode("utf-8", "replace")
    except OSError:
        return None


def target_options(invocation: Invocation) -> list[str]:
    """safe-pip's options that chose the target, for a command the user may paste."""
    return ["--python", invocation.options.python] if invocation.options.python else []


# Folders a run made for itself (a constraints file its second pip run reads), removed when safe-pip exits:
# `cli.run` leaves through os._exit, which runs no atexit handler.
_LEFTOVERS: list[str] = []


def remove_on_exit(folder: str) -> None:
    """Have `folder` (one safe-pip made) removed with everything in it when safe-pip exits."""
    _LEFTOVERS.append(folder)


def remove_leftovers() -> None:
    """Remove what `remove_on_exit` named; a folder already gone, or one that cannot go, is left alone."""
    if not _LEFTOVERS:
        return  # every run ends here: shutil's import (bz2, lzma, fnmatch: 2-3 ms) only when there is work
    import shutil

    while _LEFTOVERS:
        shutil.rmtree(_LEFTOVERS.pop(), ignore_errors=True)
