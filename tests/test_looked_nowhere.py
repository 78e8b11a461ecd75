"""A release pip looked for nowhere (--no-index without --find-links): the diagnosis names no similar project
(index._no_such_project drops them), so they are neither asked ahead on the second thread nor by
with_index_facts (issue 17: 5-12 ms of CPU, difflib over ~5,000 names); with a folder to look in they are."""

from __future__ import annotations

import pytest

from safe_pip import cli, projectnames
from safe_pip.classify import Diagnosis
from safe_pip.fixes import FixContext
from safe_pip.index import IndexQuery
from safe_pip.index_diagnosis import with_index_facts
from safe_pip.probe import InterpreterFacts

_NOT_FOUND = "ERROR: Could not find a version that satisfies the requirement reqeusts (from versions: none)"


@pytest.mark.parametrize(
    ("args", "nowhere"),
    [
        (("--no-index", "reqeusts"), True),
        (("--no-index", "-f", "wheels", "reqeusts"), False),
        (("--no-index", "-fwheels", "reqeusts"), False),
        (("--no-index", "--find-links", "wheels", "reqeusts"), False),
        (("--no-index", "--find-links=wheels", "reqeusts"), False),
        (("reqeusts",), False),
        (("-i", "https://mirror.example/simple", "reqeusts"), False),
    ],
)
def test_the_command_line_says_where_pip_looked(
    args: tuple[str, ...], nowhere: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    assert cli._looked_nowhere(args) is nowhere


def test_pip_find_links_is_somewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/srv/wheels")
    assert not cli._looked_nowhere(("--no-index", "reqeusts"))


def _asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def similar(name: str, limit: int = 3) -> list[str]:
        asked.append(name)
        return ["requests"]

    monkeypatch.setattr(projectnames, "similar_projects", similar)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    return asked


def test_similar_names_are_asked_ahead_only_where_pip_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _asked(monkeypatch)
    cli._ask_ahead_for_the_index("python3", [_NOT_FOUND], True, ("--no-index", "reqeusts"))
    assert asked == []
    cli._ask_ahead_for_the_index("python3", [_NOT_FOUND], True, ("--no-index", "-f", "wheels", "reqeusts"))
    assert asked == ["reqeusts"]


_FACTS = InterpreterFacts(
    version=(3, 11, 7),
    platform="linux",
    machine="x86_64",
    tags=("cp311-cp311-manylinux_2_17_x86_64", "py3-none-any"),
    pip_version=(24, 0),
    glibc=(2, 36),
    macos=None,
    venv=True,
    externally_managed=False,
    python_h=True,
    site_packages_writable=True,
)


def _explained(monkeypatch: pytest.MonkeyPatch, query: IndexQuery) -> Diagnosis:
    monkeypatch.setattr(
        "safe_pip.probe.detect_facts_and_index_files", lambda *args, **kwargs: (_FACTS, query)
    )
    monkeypatch.setattr("safe_pip.probe.detect_installed_pythons", dict)
    top = Diagnosis(
        "no-matching-distribution",
        "no-matching-distribution",
        0.9,
        "reqeusts",
        "pip found no release",
        "",
        (),
    )
    context = FixContext(pip_command="install", pip_args=("--no-index", "reqeusts"), python="python3")
    found = with_index_facts([top], python="python3", context=context, sources=("--no-index",))
    return found[0]


def test_with_index_facts_asks_no_similar_names_when_pip_looked_nowhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _asked(monkeypatch)
    nowhere = _explained(monkeypatch, IndexQuery("reqeusts", (), no_index=True))
    assert asked == []
    assert nowhere.summary.startswith("pip looked for reqeusts nowhere")
    assert "requests" not in nowhere.summary + nowhere.hint
    # The same answer with a folder to look in: the names are asked, and said.
    somewhere = _explained(monkeypatch, IndexQuery("reqeusts", (), no_index=True, find_links=("wheels",)))
    assert asked == ["reqeusts"]
    assert "Did you mean requests?" in somewhere.summary
