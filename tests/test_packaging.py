"""The distribution: one py3-none-any wheel with the rule library inside, installable with pipx."""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from safe_pip import __version__
from tests.conftest import ROOT, make_venv
from tests.lab.factory import make_wheel

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # hatchling comes from the test environment, so building needs no network.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        env=dict(os.environ, PIP_CONFIG_FILE=os.devnull),
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def test_wheel_is_pure_python_and_holds_the_rules(built_wheel: Path) -> None:
    assert built_wheel.name == f"safe_pip_explain-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(built_wheel).namelist())
    rule_files = sorted(p.name for p in (ROOT / "rules").iterdir() if p.is_file())
    assert rule_files
    for name in rule_files:
        assert f"safe_pip/rules/{name}" in names
    assert "safe_pip/py.typed" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]


def test_wheel_metadata_declares_only_the_allowed_dependencies(built_wheel: Path) -> None:
    archive = zipfile.ZipFile(built_wheel)
    metadata = email.parser.Parser().parsestr(
        archive.read(f"safe_pip_explain-{__version__}.dist-info/METADATA").decode()
    )
    requires = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    runtime = sorted((r for r in requires if "extra" not in str(r.marker)), key=lambda r: r.name)
    assert [r.name for r in runtime] == ["packaging", "platformdirs", "tomli"]
    assert str(runtime[2].marker) == 'python_version < "3.11"'
    assert metadata["Requires-Python"] == ">=3.9"
    entry_points = archive.read(f"safe_pip_explain-{__version__}.dist-info/entry_points.txt").decode()
    assert "safe-pip = safe_pip.cli:run" in entry_points


def test_wheel_ships_the_license_and_says_what_it_is(built_wheel: Path) -> None:
    archive = zipfile.ZipFile(built_wheel)
    dist_info = f"safe_pip_explain-{__version__}.dist-info"
    assert archive.read(f"{dist_info}/licenses/LICENSE").decode() == (ROOT / "LICENSE").read_text()
    metadata = email.parser.Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
    # The name on the index is not `safe-pip`: that one is an unrelated project (see the README's Install).
    assert metadata["Name"] == "safe-pip-explain"
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier") or []
    supported = [
        c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert supported[0] == metadata["Requires-Python"].removeprefix(">=")


def test_installed_wheel_reads_its_rules_with_importlib_resources(
    built_wheel: Path, tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    python = make_venv(tmp_path / "venv")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            str(built_wheel),
        ],
        check=True,
        env=env,
    )
    listing = subprocess.run(
        [
            str(python),
            "-c",
            "from importlib.resources import files; "
            "print(sorted(p.name for p in files('safe_pip').joinpath('rules').iterdir()))",
        ],
        check=True,
        capture_output=True,
        env=env,
        text=True,
        cwd=tmp_path,
    )
    expected = sorted(p.name for p in (ROOT / "rules").iterdir() if p.is_file())
    assert listing.stdout.strip() == str(expected)


def test_pipx_install_gives_a_safe_pip_that_drives_the_active_venv(
    tmp_path: Path, wheelhouse: Path, env: dict[str, str]
) -> None:
    pipx_env = dict(
        env,
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(tmp_path / "bin"),
        PIPX_MAN_DIR=str(tmp_path / "man"),
        # pipx runs pip to build and install safe-pip: from the offline wheelhouse only.
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
    )
    subprocess.run(
        [sys.executable, "-m", "pipx", "install", str(ROOT)],
        check=True,
        env=pipx_env,
        capture_output=True,
        timeout=600,
    )
    safe_pip = tmp_path / "bin" / "safe-pip"
    assert (
        subprocess.run(
            [str(safe_pip), "--version"], capture_output=True, text=True, check=True, env=env
        ).stdout
        == f"safe-pip {__version__}\n"
    )

    target = make_venv(tmp_path / "project")
    make_wheel(tmp_path / "wheels", "marker-package", "2.0")
    installed = subprocess.run(
        [str(safe_pip), "install", "--no-index", "--find-links", str(tmp_path / "wheels"), "marker-package"],
        env=dict(env, VIRTUAL_ENV=str(tmp_path / "project")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    listed = subprocess.run(
        [str(safe_pip), "list", "--format", "json"],
        env=dict(env, VIRTUAL_ENV=str(tmp_path / "project")),
        capture_output=True,
        text=True,
        check=True,
    )
    packages = {item["name"] for item in json.loads(listed.stdout)}
    assert "marker-package" in packages
    assert "platformdirs" not in packages  # safe-pip's own environment was not the target

    # With no environment active, the python on PATH is used, never pipx's environment of safe-pip, even
    # when that environment's bin folder comes first on PATH.
    own_bin = tmp_path / "pipx" / "venvs" / "safe-pip-explain" / "bin"
    path = os.pathsep.join([str(own_bin), str(target.parent)])
    listed = subprocess.run(
        [str(safe_pip), "list", "--format", "json"],
        env=dict(env, PATH=path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "marker-package" in {item["name"] for item in json.loads(listed.stdout)}
