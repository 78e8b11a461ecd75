"""index: why nothing on the index installs here, from the files it lists (pure: no pip, no network)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import io
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from packaging import tags

from safe_pip.classify import Diagnosis, Evidence
from safe_pip.fixes import FixContext, render_fix
from safe_pip.index import (
    INDEX_MARK,
    IndexFile,
    IndexQuery,
    explain,
    explain_log,
    newest_with_wheel,
    parse_index_output,
    pythons_with_wheel,
)
from safe_pip.index_diagnosis import with_log_facts
from safe_pip.projectnames import is_popular, module_project, popular_projects, similar_projects
from safe_pip.wheeltags import InterpreterTags

ROOT = Path(__file__).resolve().parent.parent


def _linux(
    minor: int,
    glibc: tuple[int, int] = (2, 36),
    *,
    manylinux_x_y: bool = True,
    pip: tuple[int, ...] = (24, 0),
) -> InterpreterTags:
    """CPython 3.minor on Linux x86_64 with `glibc`, tagged as its pip would (without manylinux_x_y tags
    for a pip older than 20.3)."""
    platforms = []
    if manylinux_x_y:
        platforms += [f"manylinux_{glibc[0]}_{m}_x86_64" for m in range(glibc[1], 16, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
    abi = f"cp3{minor}"
    supported = [
        *tags.cpython_tags((3, minor), [abi], platforms),
        *tags.compatible_tags((3, minor), abi, platforms),
    ]
    return InterpreterTags(
        implementation="cp",
        version=(3, minor),
        abi=abi,
        os="linux",
        machine="x86_64",
        supported_tags=tuple(str(tag) for tag in supported),
        glibc=glibc,
        pip_version=pip,
    )


def _files(*names: str, attributes: Mapping[str, Mapping[str, str]] | None = None) -> tuple[IndexFile, ...]:
    attributes = attributes or {}
    return tuple(
        IndexFile(
            name,
            requires_python=(attributes.get(name) or {}).get("requires_python"),
            yanked=(attributes.get(name) or {}).get("yanked"),
        )
        for name in names
    )


TORCH = _files(
    *(
        f"torch-2.0.1-cp3{minor}-cp3{minor}-{platform}.whl"
        for minor in (8, 9, 10, 11)
        for platform in ("manylinux1_x86_64", "win_amd64", "macosx_11_0_arm64")
    ),
    "torch-2.5.0-cp313-cp313-manylinux1_x86_64.whl",
    "torch-2.5.0-cp312-cp312-manylinux1_x86_64.whl",
)


def test_a_release_without_a_wheel_for_this_python_names_the_pythons_it_has_and_the_newest_that_fits() -> (
    None
):
    found = explain(
        IndexQuery("torch", TORCH),
        _linux(13),
        python_version="3.13.0",
        requested="==2.0.1",
        installed_pythons={"3.11": "/opt/py/bin/python3.11"},
    )
    assert found is not None
    assert found.kind == "python-version"
    assert found.category == "python-version-unsupported"
    assert found.summary == (
        "torch 2.0.1 has wheels for CPython 3.8–3.11 only and no source distribution; you run 3.13. "
        "Newest torch for Python 3.13: 2.5.0."
    )
    assert found.newest_usable == "2.5.0"
    assert found.python_versions == ("3.11", "3.10", "3.9", "3.8")
    assert "use Python 3.11 (installed here: /opt/py/bin/python3.11) for torch 2.0.1" in found.hint
    data = found.to_json()
    assert data["newest_usable"] == "2.5.0"
    assert data["releases_considered"] == 2
    assert data["releases"] == [
        {"version": "2.5.0", "files": 2, "usable": True, "reason": None},
        {"version": "2.0.1", "files": 12, "usable": False, "reason": "no file for CPython 3.13"},
    ]


def test_requires_python_is_named_as_the_reason() -> None:
    files = _files(
        "pandas-2.2.3.tar.gz",
        "pandas-2.2.3-cp39-cp39-manylinux_2_17_x86_64.whl",
        "pandas-2.0.3.tar.gz",
        attributes={
            "pandas-2.2.3.tar.gz": {"requires_python": ">=3.9"},
            "pandas-2.2.3-cp39-cp39-manylinux_2_17_x86_64.whl": {"requires_python": ">=3.9"},
            "pandas-2.0.3.tar.gz": {"requires_python": ">=3.8"},
        },
    )
    found = explain(IndexQuery("pandas", files), _linux(8), python_version="3.8.18", requested="==2.2.3")
    assert found is not None
    assert found.kind == "python-version"
    assert found.summary.startswith("pandas 2.2.3 requires Python >=3.9 (its Requires-Python); you run 3.8.")
    assert found.newest_usable == "2.0.3"


def test_files_only_for_another_platform_name_what_exists_and_this_machine() -> None:
    files = _files(
        "pywin32-306-cp311-cp311-win_amd64.whl",
        "pywin32-306-cp311-cp311-win32.whl",
        "pywin32-306-cp312-cp312-win_arm64.whl",
    )
    found = explain(IndexQuery("pywin32", files), _linux(11), python_version="3.11.7")
    assert found is not None
    assert (found.kind, found.category) == ("platform", "no-matching-distribution")
    assert found.summary == (
        "pywin32 306 has files only for Windows (win32, win_amd64, win_arm64), and no source distribution; "
        "this machine is Linux, glibc 2.36 on x86_64."
    )


def test_wheels_for_a_newer_glibc_name_the_glibc_they_need() -> None:
    files = _files("fresh-1.0-cp311-cp311-manylinux_2_28_x86_64.whl")
    found = explain(IndexQuery("fresh", files), _linux(11, (2, 17)), python_version="3.11.7")
    assert found is not None
    assert found.kind == "platform"
    assert "Linux with glibc >= 2.28 (manylinux_2_28_x86_64)" in found.summary
    assert "glibc 2.17" in found.summary


def test_a_pip_too_old_for_the_tags_is_told_from_a_platform_the_machine_lacks() -> None:
    files = _files("fresh-1.0-cp311-cp311-manylinux_2_28_x86_64.whl", "fresh-1.0-cp311-cp311-win_amd64.whl")
    old_pip = _linux(11, (2, 36), manylinux_x_y=False, pip=(19, 3, 1))
    found = explain(IndexQuery("fresh", files), old_pip, python_version="3.11.7")
    assert found is not None
    assert found.kind == "pip-too-old"
    assert (
        "pip 19.3.1 is too old to know their tags (the machine supports manylinux_2_28_x86_64"
        in found.summary
    )


def test_only_pre_releases_are_taken_as_pip_takes_them() -> None:
    """pip installs a pre-release when no final release within the specifier has a usable file (real pip
    20.3-26 do: tests/test_e2e_index.py), so that is no reason for a failure."""
    files = _files("nightly-2.0b1-py3-none-any.whl", "nightly-1.0rc1-py3-none-any.whl")
    assert explain(IndexQuery("nightly", files), _linux(11), python_version="3.11.7") is None
    only_old_python = _files("nightly-2.0b1-cp37-cp37m-manylinux1_x86_64.whl", "nightly-1.0-py3-none-any.whl")
    found = explain(
        IndexQuery("nightly", only_old_python), _linux(11), python_version="3.11.7", requested=">=2.0b1"
    )
    assert found is not None
    assert found.kind == "python-version"


def test_a_yanked_release_gives_its_reason_unless_pinned_to_it() -> None:
    files = _files(
        "bad-1.1-py3-none-any.whl",
        "bad-1.0-py3-none-any.whl",
        attributes={"bad-1.1-py3-none-any.whl": {"yanked": "broken"}},
    )
    found = explain(IndexQuery("bad", files), _linux(11), python_version="3.11.7", requested=">1.0")
    assert found is not None
    assert found.kind == "yanked"
    assert 'bad 1.1 was yanked from the index (reason given: "broken")' in found.summary
    assert explain(IndexQuery("bad", files), _linux(11), python_version="3.11.7", requested="==1.1") is None
    old_pip = IndexQuery(
        "bad", files, pip_version=(21, 3, 1)
    )  # takes a yanked release when nothing else fits
    assert explain(old_pip, _linux(11), python_version="3.11.7", requested=">1.0") is None


def test_only_binary_and_no_binary_name_the_option() -> None:
    sdist_only = IndexQuery("plain", _files("plain-1.0.tar.gz"), only_binary=(":all:",))
    found = explain(sdist_only, _linux(11), python_version="3.11.7")
    assert found is not None
    assert found.kind == "only-binary"
    assert "--only-binary :all: forbids building it" in found.summary
    wheels_only = IndexQuery("plain", _files("plain-1.0-py3-none-any.whl"), no_binary=("plain",))
    found = explain(wheels_only, _linux(11), python_version="3.11.7")
    assert found is not None
    assert found.kind == "no-binary"
    assert "--no-binary plain forbids them" in found.summary


def test_a_version_that_does_not_exist_lists_the_releases() -> None:
    files = _files("requests-2.32.3-py3-none-any.whl", "requests-2.31.0-py3-none-any.whl")
    found = explain(IndexQuery("requests", files), _linux(11), python_version="3.11.7", requested="==9.9")
    assert found is not None
    assert found.kind == "no-such-version"
    assert found.summary == "requests has no release ==9.9 on the index (its releases: 2.32.3, 2.31.0)."


def test_a_project_the_index_lacks_gets_did_you_mean_and_a_private_index_its_warning() -> None:
    missing = IndexQuery(
        "reqeusts",
        (),
        index_urls=("https://pypi.org/simple",),
        not_found=("https://pypi.org/simple/reqeusts/",),
    )
    found = explain(missing, _linux(11), python_version="3.11.7", similar=["requests"])
    assert found is not None
    assert found.kind == "no-such-project"
    assert found.summary == "There is no project named reqeusts on pypi.org. Did you mean requests?"
    assert found.private_index is None
    private = IndexQuery(
        "requests",
        (),
        index_urls=("https://alice:token@pkgs.corp.example/simple",),
        not_found=("https://pkgs.corp.example/simple/requests/",),
    )
    found = explain(private, _linux(11), python_version="3.11.7")
    assert found is not None
    assert "Your index pkgs.corp.example replaces PyPI (--index-url)" in found.summary
    assert "token" not in found.summary
    assert "dependency confusion" in found.hint


def test_an_index_that_could_not_be_read_or_that_has_a_fitting_file_says_nothing() -> None:
    unreachable = IndexQuery("x", (), index_urls=("http://127.0.0.1:9/simple",), unreachable=("timed out",))
    assert explain(unreachable, _linux(11), python_version="3.11.7") is None
    fits = IndexQuery("x", _files("x-1.0-py3-none-any.whl"))
    assert explain(fits, _linux(11), python_version="3.11.7") is None


def test_fixes_ask_the_index_answer_for_wheels_and_pythons() -> None:
    query = IndexQuery("torch", TORCH)
    assert newest_with_wheel(query, _linux(13), "3.13.0", "torch") == "2.5.0"
    assert newest_with_wheel(query, _linux(13), "3.13.0", "torch==2.0.1") is None
    assert newest_with_wheel(query, _linux(13), "3.13.0", "torch>=2,<3") == "2.5.0"
    assert pythons_with_wheel(query, _linux(13), "3.13.0", "torch==2.0.1", ("3.13", "3.12", "3.11")) == "3.11"


def _index_line(**data: object) -> str:
    return "noise\n" + INDEX_MARK + json.dumps(data) + "\n"


def test_parse_index_output_keeps_the_projects_files_and_reads_fetch_problems() -> None:
    text = _index_line(
        links=[
            {"file": "torch-2.0.1-cp311-cp311-win_amd64.whl", "requires_python": ">=3.8", "yanked": None},
            {"file": "other-1.0-py3-none-any.whl"},
            {"file": "torch", "why": "not a file"},
            {"file": "Torch-2.0.1.tar.gz", "yanked": ""},
        ],
        fetch=[
            "Could not fetch URL https://pypi.org/simple/torch/: 404 Client Error: Not Found - skipping",
            "Could not fetch URL http://127.0.0.1:9/simple/torch/: connection error: refused - skipping",
        ],
        index_urls=["https://pypi.org/simple"],
        only_binary=[":all:"],
        pip="24.0",
        error=None,
    )
    query = parse_index_output(text, "torch")
    assert query is not None
    assert [item.filename for item in query.files] == [
        "torch-2.0.1-cp311-cp311-win_amd64.whl",
        "Torch-2.0.1.tar.gz",
    ]
    assert query.files[0].requires_python == ">=3.8"
    assert query.files[1].yanked == ""  # yanked without a reason
    assert query.not_found == ("https://pypi.org/simple/torch/",)
    assert query.unreachable == ("http://127.0.0.1:9/simple/torch/: connection error: refused",)
    assert query.only_binary == (":all:",)
    assert query.pip_version == (24, 0)
    assert parse_index_output(_index_line(error="AttributeError: x"), "torch") is None
    assert parse_index_output("no report here", "torch") is None


def test_a_log_alone_says_python_version_at_lower_confidence() -> None:
    line = (
        "ERROR: Could not find a version that satisfies the requirement torch==1.4.0 "
        "(from versions: 2.2.0, 2.2.1, 2.3.0)"
    )
    found = explain_log([line])
    assert found is not None
    assert (found.kind, found.confidence) == ("python-version", 0.6)
    assert (
        "torch 1.4.0 is older than every release pip could use here (oldest listed: 2.2.0)" in found.summary
    )
    newer = line.replace("1.4.0", "9.0")
    assert explain_log([newer]) is None
    # A pin newer than all listed in the same series: a Python version the release's files exclude (pip 22.0.2
    # on Ubuntu 22.04's 3.10 for numpy==2.3.0 prints no "Ignored the following versions" line)
    series = explain_log([line.replace("1.4.0", "2.4.0")])
    assert series is not None
    assert (series.kind, series.category, series.confidence) == (
        "python-version",
        "python-version-unsupported",
        0.5,
    )
    assert (
        "torch 2.4.0 is newer than every release pip could use here (newest listed: 2.3.0)" in series.summary
    )
    assert explain_log([line.replace("1.4.0", "2.4.0rc1")]) is None
    # An early release of the next series, likewise (the release that dropped the old Pythons); further on, not
    following = explain_log([line.replace("1.4.0", "3.0.1")])
    assert following is not None
    assert following.category == "python-version-unsupported"
    assert explain_log([line.replace("1.4.0", "3.5.0")]) is None
    assert explain_log([line.replace("1.4.0", "4.0.0")]) is None
    # ... unless the log shows a pip that prints the releases it skips for their Requires-Python (22.1 on) and
    # its list does not name the pin: no release of it was skipped for the Python, it does not exist
    skipped = frozenset({"8.2.0", "8.3.0"})
    assert explain_log([line.replace("1.4.0", "3.0.1")], skipped_for_python=skipped) is None
    assert explain_log([line.replace("1.4.0", "2.4.0")], skipped_for_python=frozenset()) is None
    named = explain_log([line.replace("1.4.0", "3.0.1")], skipped_for_python=frozenset({"3.0.1", "3.1"}))
    assert named is not None
    assert named.category == "python-version-unsupported"
    assert explain_log([line], skipped_for_python=skipped) is not None  # older than every release: as before
    none = "ERROR: Could not find a version that satisfies the requirement cv2 (from versions: none)"
    typo = explain_log([none], ["opencv-python"])
    assert typo is not None
    assert typo.suggestions == ("opencv-python",)


def test_an_import_name_with_placeholder_releases_is_the_name_not_a_python_version() -> None:
    # pip 19's legacy line for `sklearn==0.20.1` in a requirements file (the index's sklearn lists only its
    # 0.0 stub): the version is scikit-learn's, not one of sklearn's hidden from this Python
    line = (
        "  ERROR: Could not find a version that satisfies the requirement sklearn==0.20.1 "
        "(from -r requirements.txt (line 4)) (from versions: 0.0)"
    )
    found = explain_log([line])
    assert found is not None
    assert (found.kind, found.category, found.confidence) == ("import-name", "no-matching-distribution", 0.7)
    assert found.hint.startswith("Install scikit-learn==0.20.1 instead of sklearn==0.20.1")
    ranged = explain_log([line.replace("==0.20.1", ">=0.9")])
    assert ranged is not None
    assert ranged.hint.startswith("Install scikit-learn>=0.9 instead of sklearn>=0.9")
    # a pin of a placeholder-like version is no version of the real project: the project bare
    stub = "ERROR: Could not find a version that satisfies the requirement bs4==0.0.2 (from versions: 0.0.0, 0.0.1)"
    bare = explain_log([stub])
    assert bare is not None
    assert bare.hint.startswith("Install beautifulsoup4 instead of bs4==0.0.2")
    # near misses: a module name that is a real project with real releases (psycopg2), a name that is
    # its own project, and a placeholder release that fits the requirement (pip failed for another reason)
    real = (
        "ERROR: Could not find a version that satisfies the requirement psycopg2==2.9.99 "
        "(from versions: 2.9.7, 2.9.8, 2.9.9)"
    )
    own = (
        "ERROR: Could not find a version that satisfies the requirement tinylib==0.20.1 (from versions: 0.0)"
    )
    fits = "ERROR: Could not find a version that satisfies the requirement sklearn>=0.0 (from versions: 0.0)"
    for other in (real, own, fits):
        told = explain_log([other])
        assert told is None or told.kind != "import-name"


def test_pythons_own_name_and_pip9s_empty_list_in_a_log_alone() -> None:
    # `python>=3.7` in a requirements file (pip 24): Python itself, the line to delete
    line = "ERROR: Could not find a version that satisfies the requirement python>=3.7 (from versions: none)"
    found = explain_log([line])
    assert found is not None
    assert (found.kind, found.category) == ("python-own-name", "no-matching-distribution")
    assert "A `python>=3.7` line in a requirements file asks pip for Python itself: delete it." in found.hint
    # pips before 10 print an empty list for a name the index lacks: read as "none"
    empty = "  Could not find a version that satisfies the requirement tkinter (from versions: )"
    stdlib = explain_log([empty])
    assert stdlib is not None
    assert stdlib.kind == "python-own-name"
    old = "  Could not find a version that satisfies the requirement yaml (from -r r.txt (line 1)) (from versions: )"
    typo = explain_log([old], ["pyyaml"])
    assert typo is not None
    assert (typo.kind, typo.suggestions) == ("no-such-project", ("pyyaml",))
    # near miss: a backport of a standard-library module that pip left out for its Requires-Python
    backport = "ERROR: Could not find a version that satisfies the requirement dataclasses==0.8 (from versions: none)"
    told = explain_log([backport], skipped_for_python=frozenset({"0.8"}))
    assert told is None or told.kind != "python-own-name"


def test_a_pin_of_condas_own_packages_is_condas_release_not_a_python_version() -> None:
    # `pip freeze` of an Anaconda environment deployed to Heroku (pastes-z-2026-12-02l): conda's builds of
    # anaconda-client and mkl-service, at versions PyPI never had, older or newer than every listed release
    newer = (
        "ERROR: Could not find a version that satisfies the requirement anaconda-client==1.7.2 "
        "(from -r /tmp/build_0c1d2e3f/requirements.txt (line 3)) (from versions: 1.1.1, 1.2.2)"
    )
    found = explain_log([newer])
    assert found is not None
    assert (found.kind, found.category) == ("conda-only", "no-matching-distribution")
    assert "anaconda-client 1.7.2 is a release from conda's channels" in found.summary
    assert "anaconda-client==1.2.2" in found.hint
    older = explain_log(
        [newer.replace("anaconda-client==1.7.2", "mkl-service==2.3.0").replace("1.1.1, 1.2.2", "2.4.0")]
    )
    assert older is not None
    assert older.category == "no-matching-distribution"
    # a listed release is no conda pin; another project's older pin keeps the Python-version reading
    assert explain_log([newer.replace("1.7.2", "1.2.2")]) is None
    other = explain_log([newer.replace("anaconda-client==1.7.2", "clickhouse==1.7.2")])
    assert other is not None
    assert other.category == "python-version-unsupported"


def test_a_pin_past_the_listed_series_that_pips_ignored_list_leaves_out_does_not_exist() -> None:
    # conda's "Pip subprocess error" of an environment file pinning geotile==1.0 (listed up to 0.3.4) under pip's
    # "Ignored the following versions ...: 0.4.0 Requires-Python >=3.11; ...": 1.0 was not skipped for the Python
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    name = "match-written-conda-env-pin-of-unpublished-release-ignored-line"
    path = ROOT / "tests" / "fixtures" / "logs" / "no-matching-distribution" / f"{name}.log"
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    lines = path.read_text(encoding="utf-8").splitlines()
    [top] = with_log_facts(diagnoses, lines=lines)[:1]
    assert (top.rule, top.category) == ("no-matching-distribution", "no-matching-distribution")
    without = [line for line in lines if "Ignored the following versions" not in line]
    [before] = with_log_facts(diagnoses, lines=without)[:1]
    assert before.category == "python-version-unsupported"


def test_a_log_alone_reads_a_pin_between_listed_releases_and_the_requirements_origin() -> None:
    # pip before 21.2 names where the requirement came from before the versions it saw.
    line = (
        "ERROR: Could not find a version that satisfies the requirement opencv-python==4.2.0.34 "
        "(from -r requirements.txt (line 28)) (from versions: 3.4.11.45, 4.3.0.38, 4.4.0.46)"
    )
    gap = explain_log([line])
    assert gap is not None
    assert (gap.category, gap.confidence) == ("python-version-unsupported", 0.5)
    assert "older (3.4.11.45) and newer (4.3.0.38) ones are" in gap.summary
    assert "opencv-python==4.3.0.38 is the nearest newer one" in gap.hint
    older = explain_log(
        [line.replace("4.2.0.34", "3.1.0.0").replace(" (from -r requirements.txt (line 28))", "")]
    )
    assert older is not None
    assert "older than every release" in older.summary
    # A listed release, a local build of another index, or a pre-release: nothing more than pip said.
    assert explain_log([line.replace("4.2.0.34", "4.3.0.38")]) is None
    # A pin where no release is missing between its listed neighbours: a version that does not exist, as
    # likely as not (pip 20.3's legacy resolver, idna==2.99 between 2.10 and 3.0).
    assert (
        explain_log(
            [
                line.replace("opencv-python==4.2.0.34", "idna==2.99").replace(
                    "3.4.11.45, 4.3.0.38, 4.4.0.46", "2.9, 2.10, 3.0, 3.1"
                )
            ]
        )
        is None
    )
    # The later releases of a listed series (pip 21.3.1 on Python 3.11 lists numpy 1.21.0 and 1.21.1, whose
    # Requires-Python allows it, and leaves out 1.21.2-1.21.6).
    later = line.replace("opencv-python==4.2.0.34", "numpy==1.21.6").replace(
        "3.4.11.45, 4.3.0.38, 4.4.0.46", "1.21.0, 1.21.1, 1.22.0"
    )
    assert explain_log([later]) is not None
    # The same lines as pip 20.3 on print them (no origin): a pin between listed releases there was a version
    # that does not exist on real logs (mysqlclient 2.1.2 between 2.1.1 and 2.2.0, pip 23.0.1).
    assert explain_log([later.replace(" (from -r requirements.txt (line 28))", "")]) is None
    assert explain_log([line.replace(" (from -r requirements.txt (line 28))", "")]) is None
    # A series left out in one major: numpy 1.21 between 1.20.3 and 1.22.0.
    assert (
        explain_log(
            [
                line.replace("opencv-python==4.2.0.34", "numpy==1.21.0").replace(
                    "3.4.11.45, 4.3.0.38, 4.4.0.46", "1.20.3, 1.22.0"
                )
            ]
        )
        is not None
    )
    assert explain_log([line.replace("4.2.0.34", "4.2.0+cu111")]) is None
    assert explain_log([line.replace("4.2.0.34", "4.2.0rc1")]) is None


def test_a_foreign_logs_diagnosis_is_rewritten_with_what_the_log_says() -> None:
    line = "ERROR: Could not find a version that satisfies the requirement reqeusts (from versions: none)"
    diagnosis = Diagnosis(
        rule="no-matching-distribution",
        category="no-matching-distribution",
        confidence=0.75,
        package="reqeusts",
        summary="pip found no release",
        hint="",
        evidence=(Evidence(3, line),),
    )
    [rewritten] = with_log_facts([diagnosis])
    assert "the project may be requests" in rewritten.summary
    assert rewritten.confidence == 0.5
    assert rewritten.fixes[0].id == "use-project"
    assert rewritten.fixes[0].command == "safe-pip install requests"
    assert not rewritten.fixes[0].auto


# Projects release-tables.toml lists (numpy, pandas, pyyaml) are read with it: the list ends exactly at their
# last release for some Python, which says more than the series (0.7; the series alone: the torch test above).
_TABLE = (0.7, "last release for Python")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Ubuntu 22.04's pip 22.0.2 on 3.10, numpy==2.3.0 (Requires-Python >=3.11): no "Ignored ..." line
        ("match-numpy230-newer-pin-py310-ubuntu2204-pip22", _TABLE),
        # Ubuntu 20.04's pip 20.0.2 on 3.8, pandas==2.1.0 (Requires-Python >=3.9)
        ("match-pandas210-newer-pin-py38-ubuntu2004-pip20", _TABLE),
        # pip 19.2.3 on Python 2.7, pyyaml==6.0.1 (listed up to 5.4.1): the next series dropped Python 2
        ("match-pyyaml601-next-series-pin-py27-pip19", _TABLE),
        # pip 19.3.1 on Python 3.8, numpy==2.0.0 (listed up to 1.24.4)
        ("match-numpy200-next-series-pin-py38-pip19", _TABLE),
        # pip 21.3.1 on 3.6, cryptography==42.0.0 (listed up to 40.0.2, the last for 3.6); no line names the Python
        ("match-cryptography42-py36-list-ends-pip21", _TABLE),
    ],
)
def test_a_real_pin_newer_than_the_listed_series_reads_as_the_python_version(
    name: str, expected: tuple[float, str]
) -> None:
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    path = ROOT / "tests" / "fixtures" / "logs" / "no-matching-distribution" / f"{name}.log"
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    assert diagnoses[0].category == "no-matching-distribution"
    [top] = with_log_facts(diagnoses)[:1]
    assert (top.rule, top.category, top.confidence) == (
        "no-matching-distribution",
        "python-version-unsupported",
        expected[0],
    )
    assert expected[1] in top.summary


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("reqeusts", ["requests"]),
        ("cv2", ["opencv-python"]),
        ("PIL", ["pillow"]),
        ("sklearn", ["scikit-learn"]),
        ("skimage", ["scikit-image"]),
        ("bs4", ["beautifulsoup4"]),
        ("beautifulsoup", ["beautifulsoup4"]),
        ("opencv", ["opencv-python"]),
        ("dotenv", ["python-dotenv"]),
        ("Crypto", ["pycryptodome"]),
    ],
    ids=str,
)
def test_similar_projects(typed: str, meant: list[str]) -> None:
    assert similar_projects(typed)[: len(meant)] == meant


def test_module_names_map_to_their_projects_only_when_they_differ() -> None:
    assert module_project("cv2") == "opencv-python"
    assert module_project("skbuild") == "scikit-build"
    assert module_project("yaml.constructor") == "pyyaml"
    assert module_project("numpy") is None
    assert module_project("x; rm -rf /") is None
    assert similar_projects("zzqqxx-internal") == []


def test_an_undeclared_build_dependency_is_installed_by_its_project_name() -> None:
    context = FixContext(package="pkg", pip_args=("pkg",), importable=lambda _module: False)
    fix = render_fix("no-build-isolation", {"module": "skbuild"}, context)
    assert fix is not None
    assert fix.command.startswith("safe-pip install scikit-build && ")


def test_the_popular_list_is_generated_data_and_its_script_reads_a_ranked_table(tmp_path: Path) -> None:
    text = (ROOT / "src" / "safe_pip" / "popular-projects.txt").read_text()
    assert "Generated by scripts/popular-projects" in text.splitlines()[1]
    assert len(popular_projects()) >= 1000
    assert is_popular("Requests")
    assert is_popular("scikit_learn")
    loader = importlib.machinery.SourceFileLoader(
        "popular_projects_script", str(ROOT / "scripts" / "popular-projects")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    script = importlib.util.module_from_spec(spec)
    loader.exec_module(script)
    table = "name\tversion\trank_among_15000_most_downloaded\nzeta\t1\t2\nalpha\t1\t1\nnot-ranked\t1\t\n"
    assert script.ranked_from_tsv(table) == ["alpha", "zeta"]
    rows = {"rows": [{"project": "b", "download_count": 5}, {"project": "a", "download_count": 9}]}
    assert script.ranked_from_json(json.dumps(rows)) == ["a", "b"]


def test_the_newest_release_named_is_a_final_one_when_one_installs_here() -> None:
    files = _files(
        "tensorflow-2.12.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "tensorflow-2.21.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "tensorflow-2.22.0rc0-cp312-cp312-manylinux_2_17_x86_64.whl",
    )
    found = explain(
        IndexQuery("tensorflow", files), _linux(12), python_version="3.12.1", requested="==2.12.0"
    )
    assert found is not None
    assert found.newest_usable == "2.21.0"
    assert found.summary.endswith("Newest tensorflow for Python 3.12: 2.21.0.")


def test_a_python_with_wheels_is_preferred_over_one_that_would_build_the_sdist() -> None:
    files = _files(
        "numpy-2.0.0.tar.gz",
        "numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "numpy-2.0.0-cp39-cp39-manylinux_2_17_x86_64.whl",
        attributes={name: {"requires_python": ">=3.9"} for name in ("numpy-2.0.0.tar.gz",)},
    )
    found = explain(IndexQuery("numpy", files), _linux(8), python_version="3.8.18", requested="==2.0.0")
    assert found is not None
    assert found.python_versions == ("3.12", "3.9")


def test_no_index_without_find_links_says_pip_looked_nowhere() -> None:
    nowhere = IndexQuery("wheelonly", (), index_urls=("https://pypi.org/simple",), no_index=True)
    found = explain(nowhere, _linux(11), python_version="3.11.7", similar=["wheel"])
    assert found is not None
    assert found.kind == "no-such-project"
    assert found.summary.startswith("pip looked for wheelonly nowhere: --no-index")
    assert "Did you mean" not in found.summary  # a name nobody looked for is not misspelt
    assert "--find-links DIR" in found.hint
    folder = IndexQuery("wheelonly", (), find_links=("/wheels",), no_index=True)
    found = explain(folder, _linux(11), python_version="3.11.7")
    assert found is not None
    assert found.summary == "There is no project named wheelonly in your --find-links folders."


@pytest.mark.parametrize(
    ("name", "category", "confidence", "phrase", "extra_evidence"),
    [
        # pip 21.3.1 on 3.6, black==24.1.0: the list ends at 22.8.0, black's last release for 3.6 (calendar
        # versions: no "next series" to read)
        (
            "match-black240-py36-list-ends-at-last-release-pip21",
            "python-version-unsupported",
            0.7,
            "black's last release for Python 3.6",
            [],
        ),
        # the same list, a pin past every release the table knows: a version that may not exist
        (
            "match-black991-py36-pin-past-newest-pip21",
            "no-matching-distribution",
            0.75,
            "found no release",
            [],
        ),
        # a compatible-release range (numpy~=2.2.1) on 3.8: the list ends at 1.24.4, numpy's last for 3.8, and
        # the range starts below the newest release (cp38 in the wheel pip took names the Python)
        (
            "match-written-numpy-compatible-range-list-ends-at-py38-last-pip21",
            "python-version-unsupported",
            0.7,
            "numpy's last release for Python 3.8",
            [2],
        ),
        # the same list, a range that starts past every release the table knows: it may not exist
        (
            "match-written-numpy-compatible-range-past-newest-pip21",
            "no-matching-distribution",
            0.75,
            "found no release",
            [],
        ),
        # pip download --python-version 3.15: tensorflow's wheels stop at 3.14 (pre-releases counted)
        (
            "match-tensorflow-download-python-version-315-versions-none-pip23",
            "python-version-unsupported",
            0.7,
            "none for Python 3.15 yet",
            [1],
        ),
        # --platform win32: torch has no 32-bit Windows wheel at all
        (
            "match-torch-download-win32-versions-none-pip23",
            "no-matching-distribution",
            0.7,
            "none for 32-bit Windows",
            [1],
        ),
        # --platform macosx_10_15_x86_64, torch==2.5.0: the list ends at 2.2.2, torch's last for Intel Macs
        (
            "match-torch250-download-macos-x86-64-list-ends-pip23",
            "no-matching-distribution",
            0.7,
            "last release with a wheel for macOS on Intel",
            [1],
        ),
        # pip 24.2 on 3.13, nothing else in the log: wheel-only, and the log names no Python or platform: the
        # likely cause (a Python newer than the project's wheels), said as such
        (
            "match-tfio-py313-versions-none-no-evidence-pip24",
            "python-version-unsupported",
            0.6,
            "The log does not say which Python pip ran on: most often",
            [],
        ),
        # Real runs (unseen-m): wheel-only projects whose wheels stopped at CPython 3.11 or 3.12, installed on a
        # newer Python; the log is pip's two lines and the prompt
        *(
            (
                name,
                "python-version-unsupported",
                0.6,
                "The log does not say which Python pip ran on: most often",
                [],
            )
            for name in (
                "match-tensorflow-addons-py312-versions-none-pip2501",
                "match-tflite-runtime-py313-versions-none-pip252",
                "match-tree-sitter-languages-py313-versions-none-pip252",
            )
        ),
    ],
)
def test_a_log_alone_read_with_the_release_table(
    name: str, category: str, confidence: float, phrase: str, extra_evidence: list[int]
) -> None:
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    path = ROOT / "tests" / "fixtures" / "logs" / "no-matching-distribution" / f"{name}.log"
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    lines = path.read_text(encoding="utf-8").splitlines()
    [top] = with_log_facts(diagnoses, lines=lines)[:1]
    assert (top.category, top.confidence) == (category, confidence)
    assert phrase in top.summary
    before = {item.line for item in diagnoses[0].evidence}
    assert sorted({item.line for item in top.evidence} - before) == extra_evidence
    if extra_evidence:
        # the log names the Python or the platform: no network check, no "prefer wheels"
        assert not {fix.id for fix in top.fixes} & {"check-network", "prefer-binary"}


@pytest.mark.parametrize(
    ("name", "category", "phrase"),
    [
        # Real runs (unseen-n): a build's build-system.requires floor (setuptools>=74.1.0, >=80.9.0) above
        # setuptools' last release for the Python the log shows; pip 20.1.1's and 19.0.3's lists are cut at the
        # line's 4 KiB (the end is not in the log), pip 18.1's list ends at 59.6.0, the last for 3.6
        ("match-pdftotext-setuptools-floor-py37-pip201", "python-version-unsupported", "newer than 68.0.0"),
        ("match-berkeleydb-setuptools-floor-py37-pip190", "python-version-unsupported", "newer than 68.0.0"),
        ("match-pdftotext-setuptools-floor-py37-pip193", "python-version-unsupported", "newer than 68.0.0"),
        ("match-pdftotext-setuptools-floor-py36-pip181", "python-version-unsupported", "ends at 59.6.0"),
        # a wheelhouse with old setuptools on 3.11, which newer setuptools support: what it says, unchanged
        (
            "match-written-wheelhouse-old-setuptools-py311-pip24",
            "no-matching-distribution",
            "needs setuptools",
        ),
    ],
)
def test_a_build_dependency_floor_past_the_last_release_for_the_logs_python(
    name: str, category: str, phrase: str
) -> None:
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    path = ROOT / "tests" / "fixtures" / "logs" / "build-dependency-unavailable" / f"{name}.log"
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    lines = path.read_text(encoding="utf-8").splitlines()
    [top] = with_log_facts(diagnoses, lines=lines)[:1]
    assert top.category == category
    assert phrase in top.summary
    if category == "python-version-unsupported":
        # the build installs its own setuptools: the hint is the package's older release or a newer Python,
        # never the build tool's old release beside it; no network check
        assert top.summary.startswith(f"Building {top.package}: ")
        assert "older release of" in top.hint
        assert "check-network" not in {fix.id for fix in top.fixes}


def test_a_cut_list_is_read_for_its_start_only() -> None:
    # a list cut before its ")" (a line over 4 KiB): no "ends at" reading from its last shown version, which
    # is not the list's end (here 59.6.0, setuptools' last for 3.6, cut in the middle of the list)
    from safe_pip.logpython import log_python

    line = (
        "ERROR: Could not find a version that satisfies the requirement setuptools>=74.1.0 (from versions: "
        "58.0.0, 59.6.0, 60.0.0"
    )
    cut_alone = explain_log([line])
    assert cut_alone is None
    on_312 = explain_log([line], log=log_python(["a in /v/lib/python3.12/site-packages"]))
    assert on_312 is None
    on_37 = explain_log([line], log=log_python(["a in /v/lib/python3.7/site-packages"]))
    assert on_37 is not None
    assert on_37.category == "python-version-unsupported"
    assert "newer than 68.0.0" in on_37.summary


def test_the_release_table_needs_the_logs_own_lines_for_a_python_outside_its_range() -> None:
    # the same "versions: none" without the command line that named Python 3.15: no guess
    line = "ERROR: Could not find a version that satisfies the requirement tensorflow (from versions: none)"
    alone = explain_log([line])
    assert alone is not None
    # nothing named: the likely cause, at the lower confidence, saying the log cannot tell
    assert (alone.category, alone.confidence) == ("python-version-unsupported", 0.6)
    assert "does not say which Python" in alone.summary
    # pip 9's empty list is the same fact as "none"
    empty = explain_log([line.replace("(from versions: none)", "(from versions: )")])
    assert empty is not None
    assert (empty.category, empty.summary) == (alone.category, alone.summary)
    from safe_pip.logpython import log_python

    named = explain_log(
        [line], log=log_python(["Requirement already satisfied: a in /v/lib/python3.15/site-packages"])
    )
    assert named is not None
    assert named.category == "python-version-unsupported"
    covered = explain_log([line], log=log_python(["Python 3.12.4"]))
    assert covered is not None
    # a Python with wheels today: the platform (or a 32-bit Python) is the likely reason
    assert covered.category == "no-matching-distribution"
    assert "Python 3.12 (line 1) has wheels today" in covered.summary


@pytest.mark.parametrize("shown", ["Python 3.12.0", "$ python3 --version\nPython 3.12.1"])
def test_a_python_at_its_first_patch_releases_dates_the_log(shown: str) -> None:
    # tensorflow's first cp312 wheels came with 2.16 (March 2024), months after 3.12.0 and 3.12.1: a log naming
    # one of those (and no platform) comes most likely from that time, whatever wheels exist today
    from safe_pip.logpython import log_python

    line = "ERROR: Could not find a version that satisfies the requirement tensorflow (from versions: none)"
    early = explain_log([line], log=log_python(shown.split("\n")))
    assert early is not None
    assert (early.category, early.confidence) == ("python-version-unsupported", 0.6)
    assert "one of Python 3.12's first releases" in early.summary
    # a pre-release or a later patch is no such clue; a platform the log names keeps its own reading
    for later in ("Python 3.12.10", "Python 3.12.0rc3"):
        other = explain_log([line], log=log_python([later]))
        assert other is None or "first releases" not in other.summary
    windows_wheel = "Using cached tensorflow_intel-2.15.0-cp312-cp312-win_amd64.whl"
    on_windows = explain_log([line], log=log_python([*shown.split("\n"), windows_wheel]))
    assert on_windows is None or "first releases" not in on_windows.summary


def _wrapped_versions_log(width: int, cut: bool = False) -> list[str]:
    # tensorflow==2.12.0 on Python 3.7: pip lists the releases up to 2.11.0 (tensorflow's last for 3.7), the line
    # wrapped at a terminal's width (inside a version too), as people paste it
    releases = ["1.13.1", "1.15.5", "2.0.0", "2.4.4", "2.8.0rc0", "2.9.3", "2.10.1", "2.11.0rc2", "2.11.0"]
    line = (
        "ERROR: Could not find a version that satisfies the requirement tensorflow==2.12.0 (from versions: "
        + ", ".join(releases)
        + ")"
    )
    wrapped = [line[start : start + width] for start in range(0, len(line), width)]
    if cut:
        wrapped = wrapped[:-1]
    return [
        "$ pip install tensorflow==2.12.0",
        *wrapped,
        "ERROR: No matching distribution found for tensorflow==2.12.0",
    ]


@pytest.mark.parametrize("width", [80, 97, 100, 104, 111, 120, 150])
def test_a_versions_list_wrapped_over_lines_is_read_whole(width: int) -> None:
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    lines = _wrapped_versions_log(width)
    diagnoses = classify_stream(io.BytesIO("\n".join(lines).encode()), load_rules())
    assert diagnoses[0].category == "no-matching-distribution"
    [top] = with_log_facts(diagnoses, lines=lines)[:1]
    # the list ends at 2.11.0, tensorflow's last release for Python 3.7 (whatever column the wrap fell in)
    assert top.category == "python-version-unsupported"
    assert "ends at 2.11.0" in top.summary
    # pip read the index and the Python is why: no network check, no "prefer wheels"
    assert not {fix.id for fix in top.fixes} & {"check-network", "prefer-binary"}


def test_a_versions_list_cut_before_its_end_is_not_joined_with_other_lines() -> None:
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    lines = _wrapped_versions_log(100, cut=True)
    diagnoses = classify_stream(io.BytesIO("\n".join(lines).encode()), load_rules())
    [top] = with_log_facts(diagnoses, lines=lines)[:1]
    assert "ends at 2.11.0" not in top.summary
    # A paste cut right after 2.11.0 (tensorflow's last for Python 3.7), then pip's next line of its own, which
    # closes a parenthesis: joined, the cut list would read as ending there
    cut = [
        "ERROR: Could not find a version that satisfies the requirement tensorflow==2.12.0 (from versions: "
        "1.13.1, 2.10.1, 2.11.0,",
        "ERROR: No matching distribution found for tensorflow==2.12.0 (from -r requirements.txt (line 1))",
    ]
    diagnoses = classify_stream(io.BytesIO("\n".join(cut).encode()), load_rules())
    assert diagnoses[0].evidence[0].line == 1
    [top] = with_log_facts(diagnoses, lines=cut)[:1]
    assert "ends at 2.11.0" not in top.summary


def test_a_pinned_wheel_only_release_without_a_list_or_a_python_is_likely_the_python() -> None:
    # pip 20.3's resolver prints no list; the log names no Python: a pinned release of a project that publishes
    # only wheels is likely older (or newer) than the interpreter, said at 0.5
    line = "ERROR: Could not find a version that satisfies the requirement torch==1.5.0"
    told = explain_log([line])
    assert told is not None
    assert (told.category, told.confidence) == ("python-version-unsupported", 0.5)
    assert "does not say which Python" in told.summary
    assert "likely reason" in told.summary
    # a release past the table's newest, a local build (another index's), an unpinned request, a project with
    # source archives, a platform the project has no wheels for: no such guess
    for other in (
        line.replace("1.5.0", "99.0"),
        line.replace("1.5.0", "1.5.0+cpu"),
        line.replace("==1.5.0", ""),
        line.replace("torch==1.5.0", "numpy==1.16.0"),
    ):
        guessed = explain_log([other])
        assert guessed is None or guessed.category != "python-version-unsupported", other
    from safe_pip.logpython import log_python

    armv7 = explain_log([line], log=log_python(["Linux pi 6.1.21-v7+ #1642 SMP armv7l GNU/Linux"]))
    assert armv7 is None or armv7.category != "python-version-unsupported"


def test_pip_203s_line_without_a_list_needs_the_python_the_log_names() -> None:
    # pip 20.3's resolver prints no "from versions" list: only the log's Python and the table can tell
    from safe_pip.logpython import log_python

    line = "ERROR: Could not find a version that satisfies the requirement pandas==2.1.0"
    assert explain_log([line]) is None
    on_38 = log_python(["Requirement already satisfied: numpy in /v/lib/python3.8/site-packages (1.24.4)"])
    found = explain_log([line], log=on_38)
    assert found is not None
    assert found.category == "python-version-unsupported"
    assert "2.0.3, pandas's last release for Python 3.8" in found.summary
    assert found.evidence == (on_38.python_line,)
    assert explain_log([line.replace("2.1.0", "2.0.3")], log=on_38) is None  # not past its last release
    assert explain_log([line.replace("2.1.0", "9.0.0")], log=on_38) is None  # past every release known
    assert explain_log([line], log=log_python(["Python 3.12.1"])) is None  # a Python it still supports


def test_no_wheel_at_all_read_with_the_python_and_the_platform_the_log_names() -> None:
    # "from versions: none" for a project that publishes only wheels, read with what the log shows
    from safe_pip.logpython import log_python

    line = "ERROR: Could not find a version that satisfies the requirement onnxruntime (from versions: none)"
    # Python 3.12 in the 64-bit installer's folder, Windows: onnxruntime has cp312 win_amd64 wheels today, so
    # the log predates them (a new Python), not the platform
    windows_64 = log_python(
        [
            "Python 3.12.0",
            "pip 23.3.1 from C:\\Users\\t\\AppData\\Local\\Programs\\Python\\Python312\\Lib\\site-packages\\pip"
            " (python 3.12)",
        ]
    )
    told = explain_log([line], log=windows_64)
    assert told is not None
    assert (told.category, told.kind) == ("python-version-unsupported", "python-version")
    assert "older than them" in told.summary
    # the same Python, the platform not shown: 3.12.0 is one of 3.12's first releases, so the same reading (the
    # log predates the wheels); a later patch, the platform (or a 32-bit Python) is the likely reason
    unknown = explain_log([line], log=log_python(["Python 3.12.0"]))
    assert unknown is not None
    assert unknown.category == "python-version-unsupported"
    later = explain_log([line], log=log_python(["Python 3.12.7"]))
    assert later is not None
    assert later.category == "no-matching-distribution"
    # a platform whose wheels stopped (macOS on Intel: onnxruntime's last is older than its newest): not a new
    # Python, said as before
    intel_mac = log_python(
        ["Python 3.12.0", "Collecting x (from y)", "  Downloading a-1.0-cp312-cp312-macosx_10_9_x86_64.whl"]
    )
    stopped = explain_log([line], log=intel_mac)
    assert stopped is None or stopped.category != "python-version-unsupported"
    # a Windows log (bitness unknown) for a project with no Windows wheels at all: the platform
    triton = "ERROR: Could not find a version that satisfies the requirement triton (from versions: none)"
    conda_windows = log_python(["(base) C:\\Users\\d\\proj>conda env create -f environment.yaml"])
    platform = explain_log([triton], log=conda_windows)
    assert platform is not None
    assert (platform.category, platform.kind) == ("no-matching-distribution", "platform")
    assert "none for Windows" in platform.summary


def test_a_torch_pin_asked_of_a_cuda_index_without_that_build() -> None:
    # torch 2.10 was built for cu126, cu128 and cu130 (cuda-tables.toml): the cu131 index has no 2.10 at all
    line = (
        "ERROR: Could not find a version that satisfies the requirement torch==2.10.0 (from versions: none)"
    )
    told = explain_log([line], indexes=("https://download.pytorch.org/whl/cu131",))
    assert told is not None
    assert (told.kind, told.category) == ("torch-build", "no-matching-distribution")
    assert "cu126, cu128, cu130" in told.summary
    assert "whl/cu130" in told.hint
    # a build the release has, PyPI beside it, an unknown release, another package, an unpinned request, a
    # local version of another build: not this explanation
    for other_line, indexes in (
        (line, ("https://download.pytorch.org/whl/cu130",)),
        (line, ("https://pypi.org/simple", "https://download.pytorch.org/whl/cu131")),
        (line.replace("2.10.0", "1.4.0"), ("https://download.pytorch.org/whl/cu131",)),
        (line.replace("torch==", "torchvision=="), ("https://download.pytorch.org/whl/cu131",)),
        (line.replace("==2.10.0", ""), ("https://download.pytorch.org/whl/cu131",)),
        (line.replace("2.10.0", "2.10.0+cu118"), ("https://download.pytorch.org/whl/cu131",)),
    ):
        found = explain_log([other_line], indexes=indexes)
        assert found is None or found.kind != "torch-build", (other_line, indexes)


def test_a_pin_older_than_the_first_wheel_for_the_platform() -> None:
    # jaxlib's Windows wheels begin at 0.4.13 (release-tables.toml's `first`): a list that starts there with
    # an older pin, or a pin below it where the log shows Windows, is the platform, not the Python version
    from safe_pip.logpython import log_python

    listed = (
        "ERROR: Could not find a version that satisfies the requirement jaxlib==0.4.6 (from versions: 0.4.13, "
        "0.4.14, 0.4.16, 0.4.17, 0.4.18, 0.4.19, 0.4.20, 0.4.21, 0.4.22, 0.4.23)"
    )
    told = explain_log([listed])
    assert told is not None
    assert (told.kind, told.category) == ("platform", "no-matching-distribution")
    assert "first release with a wheel for 64-bit Windows" in told.summary
    # TensorFlow on Apple silicon from 2.13.0 on, the list opening with its release candidates
    m1 = (
        "ERROR: Could not find a version that satisfies the requirement tensorflow==2.10.0 (from versions: "
        "2.13.0rc0, 2.13.0rc1, 2.13.0, 2.13.1, 2.14.0, 2.15.0, 2.16.1)"
    )
    apple = explain_log([m1])
    assert apple is not None
    assert apple.category == "no-matching-distribution"
    assert "Apple silicon" in apple.summary
    # a Linux log: the list's start is not Windows' first, so not this reading
    linux = log_python(
        ["  Using cached numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"]
    )
    other = explain_log([listed], log=linux)
    assert other is None or other.kind != "platform"
    # a list starting elsewhere, or a pin inside the list's span: not this reading
    later = explain_log([listed.replace("0.4.13, ", "")])
    assert later is None or "first release with a wheel" not in later.summary
    # no list, Windows shown, a pin below Windows' first release
    none = (
        "ERROR: Could not find a version that satisfies the requirement jaxlib==0.1.37 (from versions: none)"
    )
    windows = explain_log(
        [none], log=log_python(["PS C:\\work\\nf> pip install -q jax==0.1.57 jaxlib==0.1.37"])
    )
    assert windows is not None
    assert (windows.kind, windows.category) == ("platform", "no-matching-distribution")
    # the same pin on a Linux log: no such reading (jaxlib 0.1.37 is gone from the index, not a platform's)
    on_linux = explain_log([none], log=linux)
    assert on_linux is None or on_linux.kind != "platform"


def test_a_range_older_than_every_listed_release_or_in_a_series_left_out() -> None:
    # pastes-ma: a range pip listed no release of. Below every listed release (triton<3 on Python 3.13,
    # whose 2.x wheels stop at 3.12): the releases exist and stop at older Pythons, the user's range or not.
    # (xformers: not in the release table, which reads triton's own list first)
    below = (
        "ERROR: Could not find a version that satisfies the requirement xformers<0.0.21,>=0.0.16 (from "
        "versions: 0.0.22, 0.0.23, 0.0.24, 0.0.25)"
    )
    older = explain_log([below])
    assert older is not None
    assert (older.category, older.confidence) == ("python-version-unsupported", 0.55)
    assert "allows only releases older than every one pip could use here (oldest listed: 0.0.22)" in (
        older.summary
    )
    compatible = explain_log([below.replace("xformers<0.0.21,>=0.0.16", "xformers~=0.0.16.0")])
    assert compatible is not None
    assert compatible.category == "python-version-unsupported"
    # A dependency's range in a series left out between listed releases (spconv asks cumm 0.4.x; 0.2-0.4 came
    # before 0.5, so they exist, and pip left them out on Python 3.12).
    gap = (
        "ERROR: Could not find a version that satisfies the requirement cumm<0.5.0,>=0.4.5 (from spconv) "
        "(from versions: 0.1.0, 0.5.0, 0.5.1, 0.5.3, 0.6.0)"
    )
    between = explain_log([gap])
    assert between is not None
    assert (between.category, between.confidence) == ("python-version-unsupported", 0.5)
    assert "spconv requires cumm<0.5.0,>=0.4.5" in between.summary
    assert "older (0.1.0) and newer (0.5.0) ones are" in between.summary
    # Not read that way: the user's own range between listed releases (it may name releases that do not
    # exist), a range holding a listed release, and a range with no upper bound (newer than every release:
    # _range_above_listed's or nothing).
    own = explain_log([gap.replace(" (from spconv)", "")])
    assert own is None or own.category != "python-version-unsupported"
    held = explain_log([gap.replace("0.1.0, 0.5.0", "0.1.0, 0.4.6, 0.5.0")])
    assert held is None or held.category != "python-version-unsupported"
    unbounded = explain_log([below.replace("xformers<0.0.21,>=0.0.16", "xformers>=0.1")])
    assert unbounded is None or "older than every release" not in unbounded.summary
    # A pin keeps its own readings (older than every listed release: the pin's wording).
    pin = explain_log([below.replace("xformers<0.0.21,>=0.0.16", "xformers==0.0.20")])
    assert pin is not None
    assert "xformers 0.0.20 is older than every release" in pin.summary


@pytest.mark.parametrize(
    "name",
    [
        "match-written-dependency-range-below-listed-torch-py312-pip24",
        "match-written-dependency-range-in-unlisted-series-cumm-py313-pip25",
    ],
)
def test_a_dependencys_range_pip_left_out_reads_as_the_python_version(name: str) -> None:
    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    path = ROOT / "tests" / "fixtures" / "logs" / "no-matching-distribution" / f"{name}.log"
    with path.open("rb") as stream:
        diagnoses = classify_stream(stream, load_rules())
    [top] = with_log_facts(diagnoses, lines=path.read_text(encoding="utf-8").splitlines())[:1]
    assert (top.rule, top.category) == ("no-matching-distribution", "python-version-unsupported")
