"""What the diagnosis says of real runs where the category was right and the sentence was not (issue 13, corpus
unseen-l-2026-12-02l.md): the folder a --target install could not write, a build-dependency install the kernel
killed (no compiler ran), a constraint in the way of a conflict, a pkg-config name that already starts with
"lib". The logs are the rules' own fixtures (real runs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safe_pip.classify import Diagnosis, classify_stream
from safe_pip.rules import load_rules

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"


def _top(path: Path) -> Diagnosis:
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    assert diagnoses, path
    return diagnoses[0]


def _logs(rule: str) -> list[Path]:
    found = sorted((LOGS / rule).glob("match-*.log"))
    assert found, rule
    return found


@pytest.mark.parametrize("path", _logs("target-dir-permission-denied"), ids=lambda p: p.stem)
def test_target_folder_named_not_pips_temporary_one(path: Path) -> None:
    top = _top(path)
    assert top.category == "permission-denied"
    assert "/opt/l-target/" in top.summary
    assert "pip-target-" not in top.summary
    # a venv or --user does not put the files in the folder asked for (and pip refuses --user with --target)
    assert not any(fix.id in ("create-venv", "user-install") for fix in top.fixes)


@pytest.mark.parametrize("path", _logs("build-deps-install-killed"), ids=lambda p: p.stem)
def test_killed_build_dependency_install_is_not_a_compiler(path: Path) -> None:
    top = _top(path)
    assert top.category == "out-of-memory"
    assert "build dependencies" in top.summary
    assert "compiler (" not in top.summary
    assert not any(fix.id == "limit-build-jobs" for fix in top.fixes)


@pytest.mark.parametrize("path", _logs("constraint-conflict"), ids=lambda p: p.stem)
def test_conflict_names_the_constraint(path: Path) -> None:
    top = _top(path)
    assert top.category == "resolution-conflict"
    assert "the constraint " in top.summary
    assert "PIP_CONSTRAINT" in top.summary
    assert " together" not in top.summary


@pytest.mark.parametrize("path", _logs("pkg-config-package-missing"), ids=lambda p: p.stem)
def test_pkg_config_hint_does_not_double_lib(path: Path) -> None:
    top = _top(path)
    if top.rule != "pkg-config-package-missing":
        pytest.skip("another rule reads this fixture first")
    assert "liblib" not in top.hint


@pytest.mark.parametrize("path", _logs("mariadb-connector-missing"), ids=lambda p: p.stem)
def test_mariadb_package_gets_connector_c_not_mysql_client(path: Path) -> None:
    top = _top(path)
    assert top.category == "missing-system-library"
    commands = " ".join(fix.command for fix in top.fixes)
    assert "default-libmysqlclient-dev" not in commands
    if "libmariadb-dev" not in commands:
        # A Windows log (mariadb's own "Could not find InstallationDir of MariaDB Connector/C"): no Linux
        # package command is printed there at all.
        assert "InstallationDir of MariaDB Connector/C" in path.read_text(encoding="utf-8")
        assert "apt" not in commands


@pytest.mark.parametrize("path", _logs("install-disk-full"), ids=lambda p: p.stem)
def test_full_environment_disk_names_what_was_asked_for(path: Path) -> None:
    top = _top(path)
    assert top.category == "disk-full"
    installing = next(
        line for line in path.read_text().splitlines() if line.startswith("Installing collected packages: ")
    )
    last = installing.rsplit(", ", 1)[-1].split(": ")[-1].strip()
    assert top.package == last
    assert f"Installing {last} " in top.summary
    # TMPDIR does not hold what is being installed
    assert not any(fix.id == "set-tmpdir" for fix in top.fixes)


@pytest.mark.parametrize("path", _logs("compiler-killed"), ids=lambda p: p.stem)
def test_killed_compiler_is_named_when_gcc_names_it(path: Path) -> None:
    named = re.search(r"fatal error: Killed signal terminated program ([\w+.-]+)", path.read_text())
    if named is None:
        pytest.skip("gcc's sentence is not in this log")
    top = _top(path)
    assert top.rule == "compiler-killed"
    assert f"({named.group(1)})" in top.summary
