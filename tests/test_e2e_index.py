"""Issue 14: after "No matching distribution found", the index (asked through the target's own pip, with the
user's own index options) says why. Real pip in real venvs, a loopback index (PEP 503 HTML and PEP 691 JSON,
data-requires-python, yanked files), several pips and Pythons."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import install_pip, make_venv, safe_pip_argv
from tests.lab.factory import make_sdist, make_wheel
from tests.lab.servers import serve_index, silent_server

pytestmark = pytest.mark.e2e

ATTRIBUTES: dict[str, dict[str, object]] = {
    "futurepy-1.0.tar.gz": {"requires-python": ">=3.99"},
    "bad-1.1-py3-none-any.whl": {"yanked": "broken build, use 1.0"},
}


def _pyenv_python(version: str) -> str | None:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = sorted(root.glob(f"{version}.*/bin/python{version}")) if root.is_dir() else []
    return str(found[-1]) if found else None


@pytest.fixture(scope="module")
def index_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("index")
    # oldpin 1.0: wheels for CPython 3.5-3.7 only (Linux and Windows), no sdist; 2.0 installs anywhere.
    for minor in (5, 6, 7):
        for platform in ("manylinux2014_x86_64", "win_amd64"):
            make_wheel(folder, "oldpin", "1.0", f"cp3{minor}-cp3{minor}m-{platform}")
    make_wheel(folder, "oldpin", "2.0")
    make_wheel(folder, "winonly", "1.0", "cp311-cp311-win_amd64")
    make_wheel(folder, "winonly", "1.0", "cp310-cp310-win32")
    make_sdist(folder, "futurepy", "1.0", {"setup.py": "raise SystemExit('never built')\n"})
    make_wheel(folder, "nightly", "1.0rc1")
    make_wheel(folder, "bad", "1.0")
    make_wheel(folder, "bad", "1.1")
    make_sdist(folder, "plain", "1.0", {"setup.py": "raise SystemExit('never built')\n"})
    make_wheel(folder, "fresh", "1.0", "py3-none-manylinux_2_28_x86_64")
    return folder


@pytest.fixture(scope="module")
def index(index_folder: Path) -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []
    with serve_index(index_folder, attributes=ATTRIBUTES, requests=asked) as url:
        yield url, asked


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv") / "venv")


def _safe_pip(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        safe_pip_argv(*args), env=env, capture_output=True, text=True, check=False, timeout=300, cwd=cwd
    )


def _install(
    python: Path, index: str, *words: str, env: dict[str, str], tmp_path: Path, fix: bool = False
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    report = tmp_path / f"report-{time.monotonic_ns()}.json"
    options = ["--fix"] if fix else ["--suggest"]
    result = _safe_pip(
        *options,
        "--json-report",
        str(report),
        "--python",
        str(python),
        "install",
        "--index-url",
        index,
        *words,
        env=env,
    )
    data = json.loads(report.read_text())
    return result, data["attempts"][0]["diagnoses"][0] if data["attempts"][0]["diagnoses"] else {}


def test_a_release_without_a_wheel_for_this_python_gets_the_pythons_it_has_and_the_newest_that_fits(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(venv, index[0], "oldpin==1.0", env=env, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (
        "oldpin 1.0 has wheels for CPython 3.5–3.7 only and no source distribution; you run 3."
        in result.stderr
    )
    assert "Newest oldpin for Python 3." in result.stderr
    assert diagnosis["category"] == "python-version-unsupported"
    assert diagnosis["confidence"] == 0.95
    assert diagnosis["index"]["reason"] == "python-version"  # type: ignore[index]
    assert diagnosis["index"]["newest_usable"] == "2.0"  # type: ignore[index]
    assert diagnosis["index"]["python_versions"] == ["3.7", "3.6", "3.5"]  # type: ignore[index]
    assert diagnosis["facts"]["platform"].startswith("Linux")  # type: ignore[index]
    fixes = {fix["id"]: fix for fix in diagnosis["fixes"]}  # type: ignore[attr-defined]
    # The user pinned 1.0: the pin that works is printed, never applied; so is another Python.
    assert fixes["pin-to-wheel"]["command"].endswith("oldpin==2.0")
    assert not fixes["pin-to-wheel"]["auto"]
    assert "python3.7" in fixes["use-python"]["command"]
    assert not fixes["use-python"]["auto"]


def test_fix_does_not_move_a_pin_to_the_release_the_index_names(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, _diagnosis = _install(venv, index[0], "oldpin==1.0", env=env, tmp_path=tmp_path, fix=True)
    assert result.returncode == 1
    assert "attempt 2/" not in result.stderr
    assert "--fix found no safe fix to apply" in result.stderr


def test_files_only_for_windows_name_what_exists_and_this_machine(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(venv, index[0], "winonly", env=env, tmp_path=tmp_path)
    assert (
        "winonly 1.0 has files only for Windows (win32, win_amd64), and no source distribution; "
        in result.stderr
    )
    assert "this machine is Linux" in result.stderr
    assert diagnosis["category"] == "no-matching-distribution"
    assert diagnosis["index"]["reason"] == "platform"  # type: ignore[index]


def test_requires_python_from_the_index_is_the_reason(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(venv, index[0], "futurepy", env=env, tmp_path=tmp_path)
    assert "futurepy 1.0 requires Python >=3.99 (its Requires-Python)" in result.stderr
    assert diagnosis["category"] == "python-version-unsupported"


def test_only_pre_releases_are_installed_by_pip_itself_so_nothing_is_said(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    """pip takes a pre-release when nothing else fits: no `--pre` hint is ever needed for that."""
    result = _safe_pip(
        "--python", str(venv), "install", "--dry-run", "--index-url", index[0], "nightly", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "1.0rc1" in result.stdout


def test_a_yanked_release_gives_its_reason(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(venv, index[0], "bad>1.0", env=env, tmp_path=tmp_path)
    assert 'bad 1.1 was yanked from the index (reason given: "broken build, use 1.0")' in result.stderr
    assert diagnosis["index"]["reason"] == "yanked"  # type: ignore[index]


def test_only_binary_without_a_wheel_names_the_option(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(
        venv, index[0], "--only-binary", ":all:", "plain", env=env, tmp_path=tmp_path
    )
    assert "plain 1.0 has only a source distribution here" in result.stderr
    assert "--only-binary :all: forbids building it" in result.stderr
    assert diagnosis["index"]["reason"] == "only-binary"  # type: ignore[index]


def test_only_binary_from_pips_configuration_is_seen_too(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(
        venv, index[0], "plain", env=dict(env, PIP_ONLY_BINARY=":all:"), tmp_path=tmp_path
    )
    assert result.returncode == 1
    assert diagnosis["index"]["reason"] == "only-binary"  # type: ignore[index]


def test_a_mistyped_name_gets_did_you_mean_and_the_private_index_note(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    url, asked = index
    asked.clear()
    result, diagnosis = _install(venv, url, "reqeusts", env=env, tmp_path=tmp_path, fix=True)
    assert "There is no project named reqeusts on 127.0.0.1:" in result.stderr
    assert "replaces PyPI (--index-url)" in result.stderr
    assert "Did you mean requests?" in result.stderr
    assert "attempt 2/" not in result.stderr
    fixes = {fix["id"]: fix for fix in diagnosis["fixes"]}  # type: ignore[attr-defined]
    assert fixes["use-project"]["command"].endswith("--index-url " + url + " requests")
    assert not fixes["use-project"]["auto"]
    # Only the user's index was asked, and only for the failing project (pip's run, then safe-pip's query).
    assert asked == ["/simple/reqeusts/", "/simple/reqeusts/"]


def test_a_public_project_missing_from_a_private_index_gets_extra_index_url_only_printed_with_its_risk(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, diagnosis = _install(venv, index[0], "requests", env=env, tmp_path=tmp_path, fix=True)
    assert "attempt 2/" not in result.stderr
    fixes = {fix["id"]: fix for fix in diagnosis["fixes"]}  # type: ignore[attr-defined]
    extra = fixes["add-extra-index"]
    assert "--extra-index-url https://pypi.org/simple" in extra["command"]
    assert "dependency confusion" in extra["title"]
    assert not extra["auto"]


def test_a_module_name_gets_the_project_that_provides_it(
    venv: Path, index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    result, _diagnosis = _install(venv, index[0], "cv2", env=env, tmp_path=tmp_path)
    assert "Did you mean opencv-python?" in result.stderr
    assert "safe-pip --python" in result.stderr
    assert "opencv-python" in result.stderr.split("fix: ", 1)[1]


def test_a_server_that_never_answers_gets_no_guess_and_no_long_wait(
    venv: Path, env: dict[str, str], tmp_path: Path
) -> None:
    with silent_server() as url:
        started = time.monotonic()
        result, diagnosis = _install(
            venv, url, "--timeout", "1", "--retries", "0", "oldpin", env=env, tmp_path=tmp_path
        )
        spent = time.monotonic() - started
    assert result.returncode != 0
    assert "index" not in diagnosis
    # pip's log says only "from versions: none"; asked again, the page timed out: the network is named.
    assert diagnosis["category"] == "network-error"
    assert "could not be read" in str(diagnosis["summary"])
    assert spent < 60, spent


def test_a_log_from_elsewhere_says_what_pips_lines_say(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "ci.log"
    log.write_text(
        "Collecting torch==1.4.0\n"
        "ERROR: Could not find a version that satisfies the requirement torch==1.4.0 "
        "(from versions: 2.2.0, 2.2.1, 2.3.0)\n"
        "ERROR: No matching distribution found for torch==1.4.0\n"
    )
    result = _safe_pip("diagnose", "--json", str(log), env=env)
    assert result.returncode == 0, result.stderr
    [diagnosis] = json.loads(result.stdout)["diagnoses"]
    assert diagnosis["category"] == "python-version-unsupported"
    assert diagnosis["confidence"] == 0.6
    assert "older than every release pip could use here" in diagnosis["summary"]
    assert "index" not in diagnosis


@pytest.mark.parametrize(
    ("pip", "python"),
    [
        ("20.3.4", None),
        ("22.3.1", None),
        ("24.0", None),
        (None, "3.8"),  # pyenv's Python 3.8 with the pip it bundles
        (None, "3.13"),
    ],
    ids=["pip20.3", "pip22.3", "pip24.0", "py3.8", "py3.13"],
)
@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_the_index_is_asked_through_every_pip_and_python(
    pip: str | None,
    python: str | None,
    json_api: bool,
    index_folder: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    base = _pyenv_python(python) if python else None
    if python and base is None:
        pytest.skip(f"no Python {python} from pyenv here")
    target = make_venv(tmp_path / "venv", python=base)
    if pip:
        install_pip(target, pip, env)
    asked: list[str] = []
    with serve_index(index_folder, attributes=ATTRIBUTES, json_api=json_api, requests=asked) as url:
        result, diagnosis = _install(target, url, "oldpin==1.0", env=env, tmp_path=tmp_path)
        yanked, _ = _install(target, url, "bad>1.0", env=env, tmp_path=tmp_path)
    assert "oldpin 1.0 has wheels for CPython 3.5–3.7 only" in result.stderr, result.stderr
    assert diagnosis["index"]["newest_usable"] == "2.0"  # type: ignore[index]
    # Yanked reasons reach pip 20.3 and newer, in HTML and in JSON; pips before 22 install a yanked release
    # when it is the only one that fits (warning with its reason), newer ones refuse it unless pinned.
    if pip in ("20.3.4",):
        assert "Reason for being yanked: broken build, use 1.0" in yanked.stderr, yanked.stderr
        assert yanked.returncode == 0
    else:
        assert 'bad 1.1 was yanked from the index (reason given: "broken build, use 1.0")' in yanked.stderr


def test_pip_too_old_for_the_wheels_tags_is_confirmed_by_the_index(
    index: tuple[str, list[str]], env: dict[str, str], tmp_path: Path
) -> None:
    base = _pyenv_python("3.8")
    if base is None:
        pytest.skip("no Python 3.8 from pyenv here")
    target = make_venv(tmp_path / "venv", python=base)
    install_pip(target, "19.3.1", env)
    result, diagnosis = _install(target, index[0], "fresh", env=env, tmp_path=tmp_path)
    if "glibc 2.2" in result.stderr and "has files only for Linux with glibc" in result.stderr:
        pytest.skip("this machine's glibc is older than 2.28: the wheel does not fit, whatever the pip")
    assert "pip 19.3.1 is too old to know their tags" in result.stderr, result.stderr
    assert diagnosis["index"]["reason"] == "pip-too-old"  # type: ignore[index]
    assert "upgrade-pip" in {fix["id"] for fix in diagnosis["fixes"]}  # type: ignore[attr-defined]


def test_verify_import_names_the_project_of_a_missing_module(
    venv: Path, env: dict[str, str], tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path / "dist", "usescv", "1.0", files={"usescv/__init__.py": "import cv2\n"})
    result = _safe_pip("--verify-import", "--python", str(venv), "install", "--no-index", str(wheel), env=env)
    assert result.returncode == 1, result.stderr
    assert "the module cv2 is provided by the project opencv-python" in result.stderr
