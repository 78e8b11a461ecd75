"""Which interpreter's pip safe-pip drives.

safe-pip is usually installed with pipx, in an environment of its own; installing into *that* environment
would be useless, so the target is chosen the way a user expects `pip` to be chosen:
`--python` / `SAFE_PIP_PYTHON`, else the active virtual environment (`$VIRTUAL_ENV`), else the plain virtual
environment safe-pip itself was installed into (as `venv/bin/pip` installs there), else the active conda
environment (`$CONDA_PREFIX`), else the first `python3`/`python` on PATH that is not safe-pip's own.

The choice is pure: file-system questions go through a `PathLookup` (a protocol, for type checking only),
so tests can answer them.
"""

from __future__ import annotations

import os

from safe_pip._value import FrozenValue

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Protocol

    class PathLookup(Protocol):
        """The few file-system questions the choice needs."""

        def is_file(self, path: str) -> bool: ...

        def is_dir(self, path: str) -> bool: ...

        def is_executable(self, path: str) -> bool: ...

        def real_path(self, path: str) -> str: ...


__all__ = [
    "TargetError",
    "TargetInterpreter",
    "choose_target",
    "interpreter_in_prefix",
    "looks_like_python",
]

_SEARCH_NAMES = ("python3", "python")


class TargetInterpreter(FrozenValue):
    """The interpreter whose `-m pip` runs, and where that choice came from (for messages)."""

    __slots__ = ("path", "source")
    path: str
    # "--python", "SAFE_PIP_PYTHON", "VIRTUAL_ENV", "safe-pip's own virtual environment", "CONDA_PREFIX",
    # "PATH"
    source: str

    def __init__(self, path: str, source: str) -> None:
        self._set(path=path, source=source)


class TargetError(Exception):
    """No usable target interpreter; the message names the bad input and says what to do."""


def interpreter_in_prefix(prefix: str, lookup: PathLookup, *, windows: bool) -> str | None:
    """The interpreter of an environment folder (venv, virtualenv, conda), or None when it has none."""
    if windows:
        # venv puts it in Scripts\, conda at the top of the environment.
        names = [os.path.join(prefix, "Scripts", "python.exe"), os.path.join(prefix, "python.exe")]
    else:
        names = [os.path.join(prefix, "bin", "python"), os.path.join(prefix, "bin", "python3")]
    return next((name for name in names if lookup.is_file(name)), None)


def looks_like_python(path: str) -> bool:
    """Whether `path` is named as an interpreter is (python, python3.12, python3.13t, pypy3, graalpy,
    python.exe); any other program is started once to check it before pip runs."""
    name = os.path.basename(path).lower()
    name = name[:-4] if name.endswith(".exe") else name
    return name.startswith(("python", "pypy", "graalpy"))


def choose_target(
    *,
    option: str | None,
    environ: Mapping[str, str],
    own_prefix: str | None,
    lookup: PathLookup,
    windows: bool = os.name == "nt",
    own_venv: str | None = None,
) -> TargetInterpreter:
    """Pick the target interpreter; raise TargetError with a one-line explanation when there is none.

    `option` is the value of `--python`; `own_prefix` is safe-pip's own environment when a tool installer
    made it (pipx, uv tool), whose interpreters are never chosen from PATH; `own_venv` is the interpreter of
    the plain virtual environment safe-pip was installed into, which is the target unless `--python`,
    `SAFE_PIP_PYTHON` or `$VIRTUAL_ENV` say otherwise.
    """
    if option:
        return _explicit(option, "--python", environ, lookup, windows)
    if environ.get("SAFE_PIP_PYTHON"):
        return _explicit(environ["SAFE_PIP_PYTHON"], "SAFE_PIP_PYTHON", environ, lookup, windows)
    for variable, undo in (("VIRTUAL_ENV", "deactivate"), ("CONDA_PREFIX", "conda deactivate")):
        prefix = environ.get(variable)
        if variable == "CONDA_PREFIX" and own_venv:
            # Like `venv/bin/pip`, a safe-pip installed into a plain virtual environment installs there: an
            # activated venv or --python says otherwise, a conda base that is merely active does not.
            return TargetInterpreter(own_venv, "safe-pip's own virtual environment")
        if not prefix:
            continue
        found = interpreter_in_prefix(prefix, lookup, windows=windows)
        if found is None:
            # Falling back to another interpreter would install into a place the user did not mean.
            raise TargetError(
                f"${variable} is {prefix!r} but it holds no Python interpreter; "
                f"re-create that environment, run `{undo}`, or pass --python PATH"
            )
        return TargetInterpreter(found, variable)
    found = _first_on_path(environ.get("PATH", os.defpath), own_prefix, lookup, windows)
    if found is None:
        raise TargetError(
            "no python3 or python on PATH to run pip with (safe-pip's own environment is never used); "
            "activate a virtual environment or pass --python PATH"
        )
    return TargetInterpreter(found, "PATH")


def _explicit(
    value: str, source: str, environ: Mapping[str, str], lookup: PathLookup, windows: bool
) -> TargetInterpreter:
    if lookup.is_dir(value):
        found = interpreter_in_prefix(value, lookup, windows=windows)
        if found is None:
            raise TargetError(
                f"{source} {value!r} is a folder without a Python interpreter in it; "
                "pass a Python executable or a virtual environment's folder"
            )
        return TargetInterpreter(found, source)
    if os.sep in value or "/" in value or (os.altsep is not None and os.altsep in value):
        if not lookup.is_file(value):
            raise TargetError(f"{source} {value!r} does not exist; pass the path of a Python executable")
        if not lookup.is_executable(value):
            raise TargetError(f"{source} {value!r} is not executable; pass the path of a Python executable")
        return TargetInterpreter(value, source)
    # A bare name such as `python3.12`, looked up on PATH like a shell would.
    found = _search(value, _path_dirs(environ.get("PATH", os.defpath)), lookup, windows)
    if found is None:
        raise TargetError(f"{source} {value!r} is not on PATH; pass the full path of a Python executable")
    return TargetInterpreter(found, source)


def _first_on_path(path: str, own_prefix: str | None, lookup: PathLookup, windows: bool) -> str | None:
    own_dirs = set()
    if own_prefix:
        for sub in ("bin", "Scripts", ""):
            own_dirs.add(lookup.real_path(os.path.join(own_prefix, sub)))
    for directory in _path_dirs(path):
        if own_dirs and lookup.real_path(directory) in own_dirs:
            continue
        for name in _SEARCH_NAMES:
            found = _search(name, [directory], lookup, windows)
            if found is not None:
                return found
    return None


def _search(name: str, directories: Sequence[str], lookup: PathLookup, windows: bool) -> str | None:
    names = [name, name + ".exe"] if windows and not name.lower().endswith(".exe") else [name]
    for directory in directories:
        for candidate_name in names:
            candidate = os.path.join(directory, candidate_name)
            if lookup.is_file(candidate) and lookup.is_executable(candidate):
                return candidate
    return None


def _path_dirs(path: str) -> list[str]:
    # An empty PATH entry means the current directory to a shell; pip users never mean that here.
    return [entry for entry in path.split(os.pathsep) if entry]
