"""What a pasted log's own lines add to pip's "from versions:" line (issue 13, pastes-mb): the user's format
control (--only-binary / --no-binary) on the command that failed, and a dependency's range newer than every
release pip listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.classify import classify_stream
from safe_pip.index import explain_log
from safe_pip.index_diagnosis import _format_control, with_log_facts
from safe_pip.rules import load_rules

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs" / "no-matching-distribution"


def _read(name: str) -> tuple[str, float, str]:
    path = LOGS / f"{name}.log"
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    assert diagnoses[0].rule == "no-matching-distribution"
    [top] = with_log_facts(diagnoses, lines=path.read_text().splitlines())[:1]
    return top.category, top.confidence, top.summary


@pytest.mark.parametrize(
    ("name", "category", "says"),
    [
        # a pin pip does not list under --no-binary=:all: (a release with wheels only), pip 19: not the Python
        ("match-written-no-binary-all-wheel-only-pin-pip19", "no-matching-distribution", "--no-binary :all:"),
        # a mirror tool's pip download, its arguments printed as a Python list
        (
            "match-written-mirror-tool-pip-download-no-binary-list-repr",
            "no-matching-distribution",
            "--no-binary",
        ),
        # --only-binary=:all: and a project with a source archive only
        (
            "match-written-only-binary-all-windows-sdist-only-pin-pip23",
            "no-matching-distribution",
            "only wheels",
        ),
        # zipp asks for more-itertools>=6.0, pip 19 on Python 2.7 lists up to 5.0.0 (6.0 dropped Python 2)
        (
            "match-written-dependency-range-above-listed-py27-pip19",
            "python-version-unsupported",
            "zipp requires",
        ),
        # near miss: the same shape from the user's own requirements file stays pip's reading
        (
            "match-written-requirements-range-above-listed-pip20",
            "no-matching-distribution",
            "pip found no release",
        ),
    ],
)
def test_a_pasted_logs_own_lines_decide_the_reading(name: str, category: str, says: str) -> None:
    found, _confidence, summary = _read(name)
    assert (found, says in summary) == (category, True), summary


def test_format_control_reads_commands_lists_and_the_environment_but_not_pips_own_build_install() -> None:
    assert _format_control(["$ pip install --no-binary=:all: nodeenv==1.3.5"]) == ((), (":all:",))
    assert _format_control(["pip3 download --only-binary :all: -r req.txt"]) == ((":all:",), ())
    assert _format_control(
        ["Command '['python', '-m', 'pip', 'download', '--no-binary', ':all:', 'x']'"]
    ) == (
        (),
        (":all:",),
    )
    assert _format_control(["ENV PIP_ONLY_BINARY=numpy,scipy"]) == (("numpy", "scipy"), ())
    # pip's own install of build dependencies, old pips: "--no-binary :none: --only-binary :none:"
    build_env = (
        "pip install --ignore-installed --no-user --prefix /tmp/x --no-binary :none: --only-binary :none:"
    )
    assert _format_control([build_env]) == ((), ())
    # pip download for another target must say --only-binary=:all:: the target is why, not the option
    target = "pip download tensorflow --python-version 3.15 --only-binary=:all: --no-deps -d wheels"
    assert _format_control([target]) == ((), ())


def test_format_control_names_the_project_or_all() -> None:
    line = (
        "ERROR: Could not find a version that satisfies the requirement docopt==0.6.2 (from versions: none)"
    )
    for_it = explain_log([line], formats=(("docopt",), ()))
    assert for_it is not None
    assert (for_it.kind, "--only-binary docopt" in for_it.summary) == ("only-binary", True)
    # another project named: docopt may still be built, nothing said
    assert explain_log([line], formats=(("numpy",), ())) is None


def test_a_dependency_range_needs_a_parent_and_a_pip_that_does_not_name_its_skips() -> None:
    line = (
        "Could not find a version that satisfies the requirement nassl<2.3.0,>=2.2.0 (from sslyze) "
        "(from versions: 0.17.0, 1.0.1, 1.0.2, 1.0.3)"
    )
    found = explain_log([line])
    assert found is not None
    assert (found.category, found.confidence) == ("python-version-unsupported", 0.5)
    # pip 22.1 on names what it skips for Requires-Python: releases it does not name were not skipped for it
    assert explain_log([line], skipped_for_python=frozenset({"0.18.0"})) is None
    assert explain_log([line], skipped_for_python=frozenset({"2.2.1"})) is not None
    # a range in a far series (a version that may not exist) and one pip lists a release of: nothing said
    assert explain_log([line.replace(">=2.2.0", ">=7.0")]) is None
    assert explain_log([line.replace("<2.3.0,>=2.2.0", ">=1.0")]) is None
