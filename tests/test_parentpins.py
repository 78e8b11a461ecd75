"""A dependency its parent pins without a wheel here: which project required it (pip's log), what a release
requires (pip's report), and which release of the parent to move the user's pin to."""

from __future__ import annotations

import json

import pytest

from safe_pip.fixes import FixContext, render_fix
from safe_pip.parentpins import parent_release, requirement_in_report, requirement_parents


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # pip 20.3-26 from an index
        (
            "Collecting pydantic-core==2.14.6 (from pydantic==2.5.3)",
            ("pydantic-core", "pydantic", "==2.14.6"),
        ),
        (
            "  Collecting tokenizers!=0.11.3,<0.14,>=0.11.1 (from transformers==4.30.2)",
            ("tokenizers", "transformers", "!=0.11.3,<0.14,>=0.11.1"),
        ),
        # pip 20.2 and older: the chain to the requirement file follows the parent
        (
            "Collecting idna<4,>=2.5 (from requests[socks]==2.31.0->-r requirements.txt (line 1))",
            ("idna", "requests", "<4,>=2.5"),
        ),
        # a marker, and extras of the dependency
        ('Collecting colorama; sys_platform == "win32" (from click==8.1.7)', ("colorama", "click", "")),
        ("Collecting Foo_Bar[fast]>=2 (from app==1)", ("foo-bar", "app", ">=2")),
        # a file from --find-links: its name gives the version
        ("Processing /srv/wheels/fastext-1.0.tar.gz (from appcore==1.0)", ("fastext", "appcore", "==1.0")),
        (
            "Processing ./w/fast_ext-1.1-py3-none-any.whl (from appcore==1.0)",
            ("fast-ext", "appcore", "==1.1"),
        ),
    ],
)
def test_the_project_that_required_a_dependency_is_read_from_pips_lines(
    line: str, expected: tuple[str, str, str]
) -> None:
    child, parent, spec = expected
    assert requirement_parents([line]) == {child: (parent, spec)}


@pytest.mark.parametrize(
    "line",
    [
        "Collecting six (from -r requirements.txt (line 3))",  # the user's own file names no parent
        "Collecting six",
        "Processing /srv/wheels/appcore-1.0-py3-none-any.whl",
        "Processing /srv/wheels/notanarchive.txt (from appcore==1.0)",
        "Requirement already satisfied: idna<4,>=2.5 in ./v/lib/python3.12/site-packages (from requests)",
    ],
)
def test_lines_that_name_no_parent_give_none(line: str) -> None:
    assert requirement_parents([line]) == {}


def test_the_first_line_of_a_dependency_counts() -> None:
    lines = [
        "Collecting pydantic-core==2.14.6 (from pydantic==2.5.3)",
        "Collecting pydantic-core==2.20.1 (from pydantic==2.8.2)",
    ]
    assert requirement_parents(lines)["pydantic-core"] == ("pydantic", "==2.14.6")


def _report(requires: list[str], name: str = "pydantic", python: str = "3.13") -> str:
    return json.dumps(
        {
            "environment": {"python_version": python, "sys_platform": "linux", "platform_system": "Linux"},
            "install": [{"metadata": {"name": name, "version": "2.8.2", "requires_dist": requires}}],
        }
    )


def test_a_releases_requirement_is_read_from_the_report_with_its_markers_evaluated() -> None:
    requires = [
        "annotated-types>=0.4.0",
        "pydantic-core==2.20.1",
        "typing-extensions>=4.12.2; python_version >= '3.13'",
        "typing-extensions>=4.6.1; python_version < '3.13'",
        "email-validator>=2.0.0; extra == 'email'",
    ]
    assert requirement_in_report(_report(requires), "pydantic", "pydantic-core") == "==2.20.1"
    assert requirement_in_report(_report(requires), "pydantic", "typing_extensions") == ">=4.12.2"
    assert (
        requirement_in_report(_report(requires, python="3.12"), "pydantic", "typing-extensions") == ">=4.6.1"
    )
    # Only an extra asks for it, or nothing does: the release does not require it.
    assert requirement_in_report(_report(requires), "pydantic", "email-validator") == "-"
    assert requirement_in_report(_report(requires), "pydantic", "numpy") == "-"
    assert requirement_in_report(_report(["numpy"]), "pydantic", "numpy") == ""


@pytest.mark.parametrize("text", ["", "not json", json.dumps({"install": []}), _report([], name="other")])
def test_a_report_without_the_release_says_nothing(text: str) -> None:
    assert requirement_in_report(text, "pydantic", "pydantic-core") is None


PYDANTIC = (
    *(f"2.5.{patch}" for patch in range(4)),
    *(f"2.6.{patch}" for patch in range(5)),
    *(f"2.7.{patch}" for patch in range(5)),
    *(f"2.8.{patch}" for patch in range(3)),
    "2.9.0",
)
CORE_PINS = {
    **{f"2.5.{patch}": f"==2.14.{patch}" for patch in range(4)},
    **{f"2.6.{patch}": "==2.16.3" for patch in range(5)},
    **{f"2.7.{patch}": "==2.18.4" for patch in range(5)},
    **{f"2.8.{patch}": "==2.20.1" for patch in range(3)},
}


def test_the_nearest_newer_parent_whose_pin_has_a_wheel_is_chosen_asking_only_newer_ones() -> None:
    asked: list[str] = []

    def requirement_at(version: str) -> str | None:
        asked.append(version)
        return CORE_PINS.get(version)

    # (pydantic-core's own 0.0.1 is a placeholder wheel: one stray old release does not turn the search back)
    chosen = parent_release("2.5.3", PYDANTIC, "==2.14.6", ("0.0.1", "2.20.1", "2.23.4"), requirement_at)
    assert chosen == "2.8.2"
    # The wheels are newer than what 2.5.3 allows: older releases of pydantic are not asked, and of a release
    # line that does not fit only its newest patch is.
    assert asked == ["2.6.4", "2.7.4", "2.8.2"]


def test_older_parents_are_asked_when_only_older_dependencies_have_wheels() -> None:
    pins = {"1.4.0": "==0.9", "1.3.0": "==0.8"}
    chosen = parent_release("1.5.0", ("1.3.0", "1.4.0", "1.5.0", "2.0.0"), "==1.0", ("0.8",), pins.get)
    assert chosen == "1.3.0"


def test_a_release_that_no_longer_requires_the_dependency_fits() -> None:
    assert parent_release("1.0", ("1.0", "1.1"), "==1.0", ("2.0",), lambda version: "-") == "1.1"


def test_releases_pip_cannot_read_are_skipped_and_the_asking_is_bounded() -> None:
    asked: list[str] = []

    def unknown(version: str) -> str | None:
        asked.append(version)
        return None

    versions = tuple(f"1.{minor}" for minor in range(20))
    assert parent_release("1.0", versions, "==1.0", ("9.0",), unknown, tries=4) is None
    assert len(asked) == 4


def test_nothing_moves_when_the_pinned_parent_already_allows_a_wheel_or_there_is_none() -> None:
    assert parent_release("2.5.3", PYDANTIC, "==2.14.6", ("2.14.6",), CORE_PINS.get) is None
    assert parent_release("2.5.3", PYDANTIC, "==2.14.6", (), CORE_PINS.get) is None
    assert parent_release("not a version", PYDANTIC, "==2.14.6", ("2.20.1",), CORE_PINS.get) is None


def _context(args: tuple[str, ...], fix_versions: str = "") -> FixContext:
    wheels = {"pydantic-core": ("2.20.1", "2.23.4"), "pydantic": PYDANTIC}
    return FixContext(
        package="pydantic-core",
        pip_args=args,
        wheel_versions=wheels.get,
        required_by=lambda name: ("pydantic", "==2.14.6") if name == "pydantic-core" else None,
        requirement_of=lambda project, version, dependency: CORE_PINS.get(version),
        fix_versions=fix_versions,
    )


def test_pin_to_wheel_moves_the_users_pin_of_the_parent_only_with_the_opt_in() -> None:
    args = ("--quiet", "pydantic[email]==2.5.3 ; python_version >= '3.8'")
    printed = render_fix("pin-to-wheel", {}, _context(args))
    assert printed is not None
    assert not printed.auto
    assert str(printed.moves_pin) == "pydantic 2.5.3 -> 2.8.2"
    assert printed.title == (
        "pydantic 2.5.3 pins pydantic-core, which has no wheel for this Python in the versions it allows; "
        "pydantic 2.8.2 is the nearest release whose pydantic-core has one"
    )
    applied = render_fix("pin-to-wheel", {}, _context(args, fix_versions="nearest"))
    assert applied is not None
    assert applied.auto
    assert applied.args is not None
    # The user's own word, pinned anew: its extras and marker kept; pydantic-core itself is not pinned.
    assert "pydantic[email]==2.8.2 ; python_version >= '3.8'" in applied.args
    assert not any(word.startswith("pydantic-core") for word in applied.args)


def test_a_parent_the_user_did_not_pin_is_not_moved() -> None:
    fix = render_fix("pin-to-wheel", {}, _context(("pydantic",), fix_versions="nearest"))
    # pydantic-core itself is pinned instead (newest with a wheel: nobody named it).
    assert fix is not None
    assert fix.moves_pin is None
    assert fix.args is not None
    assert "pydantic-core==2.23.4" in fix.args
