"""siblings.toml: its data as documented, and the look-ups the fixes use."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

import safe_pip.siblings as module
from safe_pip.facts import canonical_name
from safe_pip.siblings import SiblingsError, binary_sibling, load_siblings, parse_siblings, wheel_systems

SHIPPED = load_siblings()


def test_binary_siblings_are_valid_requirements_of_other_projects() -> None:
    assert SHIPPED.siblings
    for project, sibling in SHIPPED.siblings.items():
        assert project == canonical_name(project)
        wanted = Requirement(sibling.name)
        # Another project, or the same one with the extra that brings its wheels (psycopg[binary]).
        assert canonical_name(wanted.name) != project or wanted.extras
        assert sibling.why.strip()


def test_wheel_systems_name_only_known_systems() -> None:
    assert SHIPPED.wheel_systems
    for project, systems in SHIPPED.wheel_systems.items():
        assert project == canonical_name(project)
        assert systems <= module.SYSTEMS, project


def test_look_ups_take_any_spelling_of_a_name_and_know_nothing_of_unlisted_projects() -> None:
    sibling = binary_sibling("PsycoPG2")
    assert sibling is not None
    assert (sibling.name, sibling.same_versions, sibling.placeholder) == ("psycopg2-binary", True, False)
    placeholder = binary_sibling("sklearn")
    assert placeholder is not None
    assert placeholder.placeholder
    assert binary_sibling("requests") is None
    assert wheel_systems("Python_LDAP") == frozenset()
    assert wheel_systems("psycopg2") == frozenset({"win32"})
    assert wheel_systems("requests") is None


def test_the_parser_reads_what_the_header_documents() -> None:
    parsed = parse_siblings(
        '[sibling.foo-bar]\nname = "foo-bar-binary"\nsame_versions = true\nwhy = "wheels"\n'
        '[wheels.baz]\nsystems = ["linux", "darwin"]\nchecked = "today"\n'
    )
    assert set(parsed.siblings) == {"foo-bar"}
    assert parsed.siblings["foo-bar"].placeholder is False
    assert parsed.wheel_systems == {"baz": frozenset({"linux", "darwin"})}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[sibling.Foo_Bar]\nname = 'x'\nsame_versions = true\nwhy = 'y'\n",
            r"\[sibling.Foo_Bar\].*'foo-bar'",
        ),
        (
            "[sibling.foo]\nname = 'x'\nsame_versions = 'yes'\nwhy = 'y'\n",
            r"\[sibling.foo\]: same_versions must be",
        ),
        (
            "[sibling.foo]\nname = ''\nsame_versions = true\nwhy = 'y'\n",
            r"\[sibling.foo\]: name must be a non-empty",
        ),
        ("[sibling.foo]\nname = 'x'\nsame_versions = true\nwhy = 'y'\nfast = 1\n", r"unknown key\(s\) fast"),
        ("[wheels.foo]\nsystems = ['windows']\nchecked = 'x'\n", r"\[wheels.foo\]: systems \['windows'\]"),
        ("[wheels.foo]\nsystems = []\n", r"\[wheels.foo\]: checked must be"),
        ("[wheel.foo]\nsystems = []\n", r"unknown table\(s\) wheel"),
        ("[wheels.foo]\nsystems = [", r"not valid TOML"),
    ],
)
def test_wrong_entries_are_named(text: str, message: str) -> None:
    with pytest.raises(SiblingsError, match=message):
        parse_siblings(text)


def test_the_shipped_file_has_no_duplicate_entries() -> None:
    # tomllib itself refuses a table given twice: parsing the shipped text with one appended is the check.
    text = Path(module.__file__).with_name("siblings.toml").read_text(encoding="utf-8")
    with pytest.raises(SiblingsError, match="not valid TOML"):
        parse_siblings(text + "\n[wheels.psycopg2]\nsystems = []\nchecked = 'x'\n")
