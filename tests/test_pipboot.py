"""pip through safe-pip's bootstrap (pipboot.BOOT_SCRIPT, issue 17): the same output, exit code and traceback
as `python -m pip`, and, when pip found no release of a project, the facts and index query's output that
`python -c _FACTS_AND_INDEX_SCRIPT` prints, written into the file it is given, from pip's own process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from safe_pip import facts, pipboot, probe
from safe_pip.index import parse_index_output
from safe_pip.runner import open_answer_file, pip_beside, read_answer_file
from tests.conftest import WHEELHOUSE, install_pip, make_venv

pytestmark = pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="the bootstrap needs memfd_create")


def test_the_bootstrap_asks_with_the_diagnosis_options() -> None:
    assert facts.WANTED_REQUIREMENT.pattern == pipboot.WANTED_PATTERN
    assert frozenset(pipboot.SOURCE_OPTIONS) == facts._SOURCE_OPTIONS_WITH_VALUE
    assert frozenset(pipboot.SOURCE_FLAGS) == facts._SOURCE_FLAGS
    assert frozenset(pipboot.FORMAT_OPTIONS) == facts._FORMAT_OPTIONS


def _both(python: Path, args: list[str], env: dict[str, str], cwd: Path) -> tuple[object, object, bytes]:
    plain = subprocess.run(
        [str(python), "-m", "pip", *args], check=False, capture_output=True, env=env, cwd=cwd
    )
    fd = open_answer_file()
    assert fd is not None
    booted = subprocess.run(
        [str(python), "-c", pipboot.BOOT_SCRIPT, str(fd), *args],
        check=False,
        capture_output=True,
        env=env,
        cwd=cwd,
        pass_fds=(fd,),
    )
    answer = read_answer_file(fd)
    return (
        (plain.returncode, plain.stdout, plain.stderr),
        (booted.returncode, booted.stdout, booted.stderr),
        answer,
    )


@pytest.fixture(scope="module", params=["current", "19.3.1", "20.3.4"])
def pip_venv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    python = make_venv(tmp_path_factory.mktemp("boot") / "venv")
    if request.param != "current":
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
        env.pop("PIP_FIND_LINKS", None)
        install_pip(python, request.param, env)
    return python


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["list", "--format=freeze"],
        ["install", "--definitely-not-an-option"],
        ["install", "--no-index", "no-such-project"],
        ["install", "-qqq", "--no-index", "no-such-project"],
        ["download", "--no-index", "--dest", "unused", "no-such-project"],
        ["install", "--no-index", "--find-links", str(WHEELHOUSE), "packaging==0.0.1"],
    ],
)
def test_pip_runs_as_with_dash_m(
    pip_venv: Path, args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    plain, booted, answer = _both(pip_venv, args, env, tmp_path)
    assert booted == plain
    if plain[0] == 0 or "--definitely-not-an-option" in args:  # type: ignore[index]
        assert answer == b""  # asked only after pip found nothing
        return
    first, _, output = answer.decode().partition("\n")
    assert first.startswith(pipboot.BOOT_MARK)
    # What the usual query (a second start of the target) prints, to the byte.
    project = "packaging" if "packaging==0.0.1" in args else "no-such-project"
    sources = tuple(facts.index_query_options(facts.source_options(args[1:]), args[1:]))
    usual = subprocess.run(
        probe._facts_and_index_argv(str(pip_venv), project, sources),
        check=False,
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    assert output == usual.stdout.decode()
    assert probe.parse_interpreter_facts(output) is not None
    query = parse_index_output(output, project)
    assert query is not None
    assert query.no_index


def test_a_traceback_out_of_pip_shows_no_bootstrap_frame(
    shared_venv: Path, env: dict[str, str], tmp_path: Path
) -> None:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "optparse.py").write_text("raise RuntimeError('pip could not start')\n")
    plain, booted, answer = _both(shared_venv, ["install", "x"], {**env, "PYTHONPATH": str(shadow)}, tmp_path)
    assert booted == plain
    assert b"pip could not start" in plain[2]  # type: ignore[index]
    assert answer == b""


def test_the_answer_is_kept_for_its_project_and_options(
    shared_venv: Path, env: dict[str, str], tmp_path: Path
) -> None:
    python = f"{shared_venv.parent}/././/{shared_venv.name}"  # a path no other test has asked about
    _, _, answer = _both(Path(python), ["install", "--no-index", "no-such-project"], env, tmp_path)
    assert probe.remember_boot_answer(python, answer.decode()) == ("no-such-project", ("--no-index",))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the target was started again")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(probe, "_run", never)
        patch.setattr(probe, "_run_stdout", never)
        found, query = probe.detect_facts_and_index_files(python, "no-such-project", ("--no-index",))
    assert found is not None
    assert query is not None
    assert query.no_index
    assert probe.remember_boot_answer(python, "not an answer\n") is None


def test_pip_beside(shared_venv: Path, tmp_path: Path) -> None:
    assert pip_beside(str(shared_venv))
    assert not pip_beside(str(tmp_path / "bin" / "python"))
