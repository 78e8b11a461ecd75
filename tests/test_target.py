from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from safe_pip.commands.context import SystemPathLookup
from safe_pip.target import TargetError, TargetInterpreter, choose_target, interpreter_in_prefix


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """venv/, conda/, usr/bin/python3, own/ (safe-pip's environment, with its python on PATH)."""
    _executable(tmp_path / "venv" / "bin" / "python")
    _executable(tmp_path / "conda" / "bin" / "python")
    _executable(tmp_path / "usr" / "bin" / "python3")
    _executable(tmp_path / "local" / "bin" / "python")
    _executable(tmp_path / "own" / "bin" / "python3")
    return tmp_path


def choose(tree: Path, option: str | None = None, *, own: bool = False, **environ: str) -> TargetInterpreter:
    environ.setdefault("PATH", os.pathsep.join([str(tree / "own" / "bin"), str(tree / "usr" / "bin")]))
    return choose_target(
        option=option,
        environ=environ,
        own_prefix=str(tree / "own") if own else None,
        lookup=SystemPathLookup(),
        windows=False,
    )


def test_option_beats_everything(tree: Path) -> None:
    python = str(tree / "local" / "bin" / "python")
    chosen = choose(tree, python, SAFE_PIP_PYTHON="/elsewhere", VIRTUAL_ENV=str(tree / "venv"))
    assert chosen == TargetInterpreter(python, "--python")


def test_environment_variable_beats_virtual_env(tree: Path) -> None:
    python = str(tree / "local" / "bin" / "python")
    chosen = choose(tree, SAFE_PIP_PYTHON=python, VIRTUAL_ENV=str(tree / "venv"))
    assert chosen == TargetInterpreter(python, "SAFE_PIP_PYTHON")


def test_virtual_env_beats_conda_and_path(tree: Path) -> None:
    chosen = choose(tree, VIRTUAL_ENV=str(tree / "venv"), CONDA_PREFIX=str(tree / "conda"))
    assert chosen == TargetInterpreter(str(tree / "venv" / "bin" / "python"), "VIRTUAL_ENV")


def test_conda_beats_path(tree: Path) -> None:
    chosen = choose(tree, CONDA_PREFIX=str(tree / "conda"))
    assert chosen == TargetInterpreter(str(tree / "conda" / "bin" / "python"), "CONDA_PREFIX")


def test_path_skips_safe_pips_own_environment(tree: Path) -> None:
    assert choose(tree, own=True) == TargetInterpreter(str(tree / "usr" / "bin" / "python3"), "PATH")
    # When safe-pip does not run in an environment made for it alone, its python on PATH is the user's.
    assert choose(tree, own=False) == TargetInterpreter(str(tree / "own" / "bin" / "python3"), "PATH")


def test_path_prefers_python3_then_python_in_path_order(tree: Path) -> None:
    path = os.pathsep.join([str(tree / "local" / "bin"), str(tree / "usr" / "bin")])
    assert choose(tree, PATH=path).path == str(tree / "local" / "bin" / "python")


def test_option_accepts_an_environment_folder_and_a_name_on_path(tree: Path) -> None:
    assert choose(tree, str(tree / "venv")).path == str(tree / "venv" / "bin" / "python")
    assert choose(tree, "python3", PATH=str(tree / "usr" / "bin")).path == str(
        tree / "usr" / "bin" / "python3"
    )


def test_non_executable_files_on_path_are_skipped(tree: Path) -> None:
    (tree / "nox").mkdir()
    (tree / "nox" / "python3").write_text("")
    path = os.pathsep.join([str(tree / "nox"), str(tree / "usr" / "bin")])
    assert choose(tree, PATH=path).path == str(tree / "usr" / "bin" / "python3")


@pytest.mark.parametrize(
    ("option", "environ", "message"),
    [
        ("/does/not/exist", {}, r"--python '/does/not/exist' does not exist"),
        ("python9.9", {}, r"--python 'python9.9' is not on PATH"),
        (None, {"SAFE_PIP_PYTHON": "/nope/python"}, r"SAFE_PIP_PYTHON '/nope/python' does not exist"),
        (
            None,
            {"VIRTUAL_ENV": "/gone/venv"},
            r"\$VIRTUAL_ENV is '/gone/venv' but it holds no Python.*deactivate",
        ),
        (None, {"CONDA_PREFIX": "/gone/conda"}, r"\$CONDA_PREFIX is '/gone/conda'.*conda deactivate"),
        (None, {"PATH": "/nothing/here"}, r"no python3 or python on PATH"),
    ],
    ids=["missing-path", "missing-name", "missing-env-var", "dead-venv", "dead-conda", "empty-path"],
)
def test_errors_name_the_bad_input(
    option: str | None, environ: dict[str, str], message: str, tree: Path
) -> None:
    environ.setdefault("PATH", str(tree / "usr" / "bin"))
    with pytest.raises(TargetError, match=message):
        choose_target(
            option=option, environ=environ, own_prefix=None, lookup=SystemPathLookup(), windows=False
        )


def test_folder_without_interpreter_is_an_error(tree: Path) -> None:
    (tree / "empty").mkdir()
    with pytest.raises(TargetError, match="is a folder without a Python interpreter"):
        choose(tree, str(tree / "empty"))


def test_not_executable_is_an_error(tree: Path) -> None:
    (tree / "plain").write_text("")
    with pytest.raises(TargetError, match="is not executable"):
        choose(tree, str(tree / "plain"))


class _WindowsTree:
    def __init__(self, files: set[str]) -> None:
        self.files = files

    def is_file(self, path: str) -> bool:
        return path in self.files

    def is_dir(self, path: str) -> bool:
        return False

    def is_executable(self, path: str) -> bool:
        return path in self.files

    def real_path(self, path: str) -> str:
        return path


def test_windows_layouts() -> None:
    venv = os.path.join("C:venv", "Scripts", "python.exe")
    conda = os.path.join("C:conda", "python.exe")
    lookup = _WindowsTree({venv, conda})
    assert interpreter_in_prefix("C:venv", lookup, windows=True) == venv
    assert interpreter_in_prefix("C:conda", lookup, windows=True) == conda
    assert interpreter_in_prefix("C:other", lookup, windows=True) is None


def test_a_plain_venv_safe_pip_was_installed_into_is_its_default_target(tree: Path) -> None:
    own = str(tree / "own" / "bin" / "python3")

    def pick(**environ: str) -> TargetInterpreter:
        environ.setdefault("PATH", str(tree / "usr" / "bin"))
        return choose_target(
            option=None,
            environ=environ,
            own_prefix=None,
            lookup=SystemPathLookup(),
            windows=False,
            own_venv=own,
        )

    assert pick() == TargetInterpreter(own, "safe-pip's own virtual environment")
    # A merely active conda environment does not take it elsewhere (as with venv/bin/pip)...
    assert pick(CONDA_PREFIX=str(tree / "conda")).path == own
    # ...but an activated venv and SAFE_PIP_PYTHON do.
    assert pick(VIRTUAL_ENV=str(tree / "venv")).source == "VIRTUAL_ENV"
    assert pick(SAFE_PIP_PYTHON=str(tree / "local" / "bin" / "python")).source == "SAFE_PIP_PYTHON"
