"""The failure lab: every scenario of `tests/lab/scenarios.py` made to happen for real, run through
`safe-pip --fix --json-report` with real pip in a fresh venv, across the pip versions of the matrix.

Each run checks that safe-pip returns pip's exit code, names the category, the package and an evidence line of
the first failure, and, where a safe fix exists, that --fix made the install succeed. The pip-version matrix
runs where pip's output differs between versions: the scenarios of FULL_MATRIX with every pip of the matrix,
the other build and wheel scenarios with the oldest pip of each output format (20.3.4: "Command errored out";
22.3.1: the boxed "did not run successfully") and the newest, the rest with the newest (the older pips carry
the `slow` marker; they still run in CI). `SAFE_PIP_LAB_MATRIX=full` runs every build and wheel scenario
with every pip.

`SAFE_PIP_LAB_TABLE=FILE` appends one JSON line per run (scenario, pip, category, fixed), which
`scripts/lab-table` turns into the scenario x pip table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import OLD_PIPS, hermetic_env, install_pip, make_venv, require_wheelhouse, safe_pip_argv
from tests.lab.scenarios import SCENARIOS, Lab, Scenario, Unavailable

pytestmark = pytest.mark.e2e

NEWEST = "newest"
# The pips the build and wheel scenarios run with: the list, then the wheelhouse's newest.
MATRIX = ["20.3.4", "21.3.1", "22.3.1", "23.3.2", "24.0", NEWEST]
# One pip per format of pip's error output, and the newest: what the other build and wheel scenarios run with.
FORMATS = ["20.3.4", "22.3.1", NEWEST]
# Scenarios whose pip output changed between versions beyond the box around a build's output: the build
# backend's own errors (setup.py's legacy paths, build isolation, MemoryError), the resolver's messages
# (Requires-Python, conflicts), a wheel's tags.
FULL_MATRIX = frozenset(
    {
        "no-compiler",
        "build-memory-error",
        "old-setup-py",
        "undeclared-build-dependency",
        "wheel-os",
        "requires-python",
        "conflicting-pins",
    }
)


def _version(pip: str) -> tuple[int, ...]:
    return (999,) if pip == NEWEST else tuple(int(part) for part in pip.split("."))


def _cases() -> list[object]:
    cases: list[object] = []
    for scenario in SCENARIOS:
        if scenario.kind not in ("build", "wheel"):
            pips = [NEWEST]
        elif scenario.id in FULL_MATRIX or os.environ.get("SAFE_PIP_LAB_MATRIX") == "full":
            pips = MATRIX
        else:
            pips = FORMATS
        for pip in pips:
            if _version(pip) < scenario.min_pip:
                continue
            marks = [pytest.mark.slow] if pip != NEWEST else []
            cases.append(pytest.param(scenario, pip, id=f"{scenario.id}-pip{pip}", marks=marks))
    return cases


@pytest.fixture(scope="session")
def venv_template(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A venv per pip version, made once per test session (per xdist worker) and copied for each run."""
    made: dict[str, Path] = {}

    def template(pip: str) -> Path:
        if pip not in made:
            wheelhouse = require_wheelhouse()
            folder = tmp_path_factory.mktemp(f"venv-pip{pip}")
            python = make_venv(folder / "venv")
            env = hermetic_env(folder)
            if pip == NEWEST:
                subprocess.run(
                    [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "--no-index",
                     "--find-links", str(wheelhouse), "pip"],
                    check=True, capture_output=True, env=env,
                )  # fmt: skip
            else:
                install_pip(python, pip, env)
            made[pip] = folder / "venv"
        return made[pip]

    return template


def _pip_version(python: Path, env: dict[str, str]) -> tuple[int, ...]:
    printed = subprocess.run(
        [str(python), "-m", "pip", "--version"], capture_output=True, text=True, check=True, env=env
    ).stdout
    return tuple(int(part) for part in printed.split()[1].split(".")[:3])


@pytest.mark.parametrize(("scenario", "pip"), _cases())
def test_lab(
    scenario: Scenario, pip: str, venv_template: Callable[[str], Path], tmp_path: Path, wheelhouse: Path
) -> None:
    venv = tmp_path / "venv"
    shutil.copytree(venv_template(pip), venv, symlinks=True)
    try:
        _run(scenario, pip, venv / "bin" / "python", tmp_path, wheelhouse)
    finally:
        # pytest keeps the last runs' temporary folders: a venv with a CUDA torch in it is 6 GB.
        shutil.rmtree(venv, ignore_errors=True)


OTHER_PYTHON = "3.13"


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if s.id in ("wheel-os", "requires-python", "no-compiler")],
    ids=lambda s: s.id,
)
def test_lab_with_another_python(scenario: Scenario, tmp_path: Path, wheelhouse: Path) -> None:
    """The same scenarios with a Python 3.13 target (pyenv's, with the pip it bundles)."""
    pyenv = shutil.which("pyenv")
    root = os.environ.get("PYENV_ROOT") or (
        subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        if pyenv
        else ""
    )
    found = sorted(Path(root).glob(f"versions/{OTHER_PYTHON}.*/bin/python{OTHER_PYTHON}")) if root else []
    if not found:
        pytest.skip(f"no Python {OTHER_PYTHON} from pyenv on this machine")
    python = make_venv(tmp_path / "venv", python=str(found[-1]))
    _run(scenario, f"py{OTHER_PYTHON}", python, tmp_path, wheelhouse)


def _run(scenario: Scenario, pip: str, python: Path, tmp_path: Path, wheelhouse: Path) -> None:
    env = hermetic_env(tmp_path)
    lab = Lab(tmp_path / "lab", wheelhouse, python, _pip_version(python, env))
    (lab.folder / "src").mkdir(parents=True)
    with lab.resources:
        try:
            setup = scenario.setup(lab)
        except Unavailable as why:
            pytest.skip(f"{scenario.id}: {why}")
        report = tmp_path / "report.json"
        options = ["--fix", "--max-attempts", "5", "--json-report", str(report)]
        if setup.verify_import:
            options.append("--verify-import")
        argv = safe_pip_argv(*options, "--python", str(setup.python or python), "install", *setup.args)
        result = subprocess.run(
            argv, env={**env, **setup.env}, capture_output=True, text=True, check=False, timeout=600
        )
    data = json.loads(report.read_text())
    attempts = data["attempts"]
    first = attempts[0]
    if setup.verify_import:
        # pip succeeded; the diagnosis is of the import that followed
        assert first["exit_code"] == 0, result.stderr
        category, evidence = _printed_diagnosis(result.stderr)
        package = scenario.package if f"(from {scenario.package})" in result.stderr else None
    else:
        assert first["exit_code"] != 0, result.stderr
        assert first["diagnoses"], result.stderr
        top = first["diagnoses"][0]
        category, package = top["category"], top["package"]
        evidence = "\n".join(item["text"] for item in top["evidence"])
    fixed = result.returncode == 0
    _record(scenario, pip, lab.pip_version, category, fixed, len(attempts))
    # pip's exit code: the last pip run's, unless the import check failed after it
    assert result.returncode == (1 if setup.verify_import else attempts[-1]["exit_code"]), result.stderr
    assert category == scenario.category, result.stderr
    if scenario.package is not None:
        assert package is not None, result.stderr
        assert package.lower() == scenario.package, result.stderr
    assert scenario.evidence.lower() in evidence.lower(), result.stderr
    assert fixed is scenario.fixed, result.stderr
    if fixed:
        assert attempts[-1]["fix"] is not None, result.stderr


def _printed_diagnosis(stderr: str) -> tuple[str | None, str]:
    """The category and evidence lines of the diagnosis safe-pip printed (for the import check)."""
    category = None
    evidence: list[str] = []
    for line in stderr.splitlines():
        if "likely cause:" in line and category is None:
            category = line.split("likely cause:", 1)[1].split()[0]
        elif category is not None and line.startswith("safe-pip:   line "):
            evidence.append(line.split(":", 2)[2])
    return category, "\n".join(evidence)


def _record(
    scenario: Scenario, pip: str, version: tuple[int, ...], category: str | None, fixed: bool, attempts: int
) -> None:
    table = os.environ.get("SAFE_PIP_LAB_TABLE")
    if not table:
        return
    line = {
        "scenario": scenario.id,
        "pip": pip
        if pip[0].isdigit()
        else ".".join(map(str, version)) + ("" if pip == NEWEST else f" {pip}"),
        "expected": scenario.category,
        "category": category,
        "fix_expected": scenario.fixed,
        "fixed": fixed,
        "attempts": attempts,
    }
    with open(table, "a", encoding="utf-8") as stream:  # one short append per run: safe across workers
        stream.write(json.dumps(line) + "\n")


def test_every_category_has_a_scenario() -> None:
    from safe_pip.categories import CATEGORIES

    covered = {scenario.category for scenario in SCENARIOS}
    assert set(CATEGORIES) == covered


def test_the_old_pips_are_in_the_wheelhouse() -> None:
    require_wheelhouse()
    for pip in MATRIX[:-1]:
        assert list(OLD_PIPS.glob(f"pip-{pip}-*.whl")), pip


def test_the_reduced_matrix_names_real_scenarios_and_pips() -> None:
    assert set(FORMATS) <= set(MATRIX)
    assert {scenario.id for scenario in SCENARIOS if scenario.id in FULL_MATRIX} == FULL_MATRIX
    assert all(scenario.kind in ("build", "wheel") for scenario in SCENARIOS if scenario.id in FULL_MATRIX)
