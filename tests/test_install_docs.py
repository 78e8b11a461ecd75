"""The README's and docs' install lines: none fetches `safe-pip` by name from the index (an unrelated project
owns that name there), and the README's Install lines work as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip import __version__
from tests.conftest import ROOT, WHEELHOUSE

# `safe-pip` on the index is another project; this one's name, `safe-pip-explain`, is not published yet, so a
# line fetching it by name would fail today (or meet whoever registers it first).
FORBIDDEN = frozenset({"safe-pip", "safe-pip-explain"})
# The installers' options that take a value (the value is not a requirement).
_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f",
        "--find-links", "--python", "--pip-args", "--suffix", "--spec", "-t", "--target", "--prefix",
        "--root", "--platform", "--python-version", "--implementation", "--abi", "--trusted-host",
        "--cache-dir", "--index", "--default-index", "--from", "--with", "-w", "--with-requirements",
    }
)  # fmt: skip


def documentation_files() -> list[Path]:
    docs = ROOT / "docs"
    found = [ROOT / "README.md"]
    if docs.is_dir():
        found += sorted(
            p for p in docs.rglob("*") if p.is_file() and p.suffix in (".md", ".yml", ".yaml", "")
        )
    examples = ROOT / "examples"
    if examples.is_dir():
        found += sorted(p for p in examples.rglob("*") if p.is_file())
    return found


def command_lines(path: Path) -> list[tuple[int, str]]:
    """The lines that are commands: inside fenced code blocks of Markdown, every line of anything else."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".md":
        return list(enumerate(text.splitlines(), 1))
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append((number, line))
    return lines


def fetched_by_name(line: str) -> list[str]:
    """The requirement names an install command on `line` would fetch from an index (paths, URLs, `.`,
    placeholders and variables excluded)."""
    names: list[str] = []
    for segment in re.split(r"&&|\|\||[;|]", line):
        try:
            words = shlex.split(segment, comments=True)
        except ValueError:
            words = segment.split()
        names += _names_in_command(words)
    return names


def _names_in_command(words: list[str]) -> list[str]:
    for start, word in enumerate(words):
        tool = word.rsplit("/", 1)[-1]
        rest: list[str] | None = None
        if tool in ("uvx",):
            rest = words[start + 1 :]
        elif re.fullmatch(r"pip[0-9.]*|pipx|uv|-m", tool) and start + 1 < len(words):
            following = words[start + 1 :]
            if tool == "-m" and following[0] != "pip":
                continue
            if tool == "-m":
                following = following[1:]
            if tool == "uv" and following[:1] in (["tool"], ["pip"]):
                following = following[1:]
            if following[:1] in (["install"], ["run"], ["inject"]) or (
                tool == "pipx" and following[:1] == ["upgrade"]
            ):
                rest = following[1:]
        if rest is None:
            continue
        names: list[str] = []
        skip = False
        for arg in rest:
            if skip:
                skip = False
                continue
            if arg.startswith("-"):
                skip = arg in _VALUE_OPTIONS
                continue
            if (
                "/" in arg
                or arg.startswith((".", "$", "~"))
                or "<" in arg
                or arg.endswith((".whl", ".tar.gz", ".zip"))
            ):
                continue
            try:
                names.append(canonicalize_name(Requirement(arg).name))
            except InvalidRequirement:
                continue
            if tool in ("uvx",) or words[start + 1 : start + 2] == ["run"]:
                break  # what follows the app is its own arguments
        return names
    return []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RUN pip install pipx && pipx install safe-pip", ["safe-pip"]),
        ("pip install safe-pip==1.0.1", ["safe-pip"]),
        ("python3 -m pip install --upgrade Safe_Pip", ["safe-pip"]),
        ("uv tool install safe-pip-explain", ["safe-pip-explain"]),
        ("uvx safe-pip --version", ["safe-pip"]),
        ("pipx run safe-pip doctor", ["safe-pip"]),
        ("pip install -r requirements.txt safe-pip  # comment", ["safe-pip"]),
        ("pipx install dist/safe_pip_explain-*.whl", []),
        ("pipx install .", []),
        ("pipx install 'git+https://<your-git-host>/<owner>/safe-pip.git'", []),
        ("pip install /tmp/dist/safe_pip_explain-*.whl", []),
        ("safe-pip install -r requirements.txt", []),
        ("safe-pip install --only-binary psutil psutil", []),
        (".venv/bin/python -m pip install -e '.[test]'", []),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_the_check_finds_a_name_fetched_from_the_index(line: str, expected: list[str]) -> None:
    assert [name for name in fetched_by_name(line) if name in FORBIDDEN] == expected


def test_no_documented_line_installs_safe_pip_by_name_from_the_index() -> None:
    files = documentation_files()
    assert ROOT / "docs" / "CONTRACT.md" in files
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in command_lines(path)
        if FORBIDDEN.intersection(fetched_by_name(line))
    ]
    assert not offenders, "these lines would install a project from the index, not this one:\n" + "\n".join(
        offenders
    )


def readme_install_lines() -> list[str]:
    """The commands of the README's Install section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\n", 2)[1]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_names_the_wheel_scripts_build_makes() -> None:
    lines = readme_install_lines()
    assert lines[0] == "scripts/build"
    assert (ROOT / "scripts" / "build").stat().st_mode & 0o111
    assert any("<" in line for line in lines), "the git URL is a marked placeholder"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"dist/safe_pip_explain-{__version__}-py3-none-any.whl" in readme


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("line", [line for line in readme_install_lines()[1:] if "<" not in line])
def test_readme_install_line_gives_a_working_safe_pip(line: str, tmp_path: Path, env: dict[str, str]) -> None:
    if not (WHEELHOUSE / ".complete").exists():
        pytest.skip(f"the offline wheelhouse {WHEELHOUSE} is not filled; run scripts/test")
    built = subprocess.run(["scripts/build"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    assert f"built dist/safe_pip_explain-{__version__}-py3-none-any.whl" in built.stdout
    run_env = dict(
        env,
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(tmp_path / "bin"),
        PIPX_MAN_DIR=str(tmp_path / "man"),
        # pipx runs pip: safe-pip's dependencies (and hatchling, for `.`) from the offline wheelhouse only.
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(WHEELHOUSE),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]),
    )
    done = subprocess.run(
        ["bash", "-c", line], cwd=ROOT, env=run_env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stderr
    version = subprocess.run(
        [str(tmp_path / "bin" / "safe-pip"), "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert version.stdout == f"safe-pip {__version__}\n"


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_examples_keep_logs_and_report_as_artifacts(name: str) -> None:
    path = ROOT / "docs" / "ci" / name
    assert path in documentation_files()  # so the install check above reads it
    text = path.read_text(encoding="utf-8")
    assert "SAFE_PIP_LOG_DIR:" in text
    assert "SAFE_PIP_JSON_REPORT:" in text
    assert "SAFE_PIP_NO_HISTORY" in text or "XDG_DATA_HOME" in text  # history off, or in the cache
    artifacts = text.split("upload-artifact" if "github" in name else "artifacts:", 1)[1]
    assert "safe-pip-logs/" in artifacts
    assert "safe-pip-report.json" in artifacts
    assert "\t" not in text
