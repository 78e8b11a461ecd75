"""Names that are not the project people mean: what safe-pip suggests instead, and when it suggests nothing."""

from __future__ import annotations

import pytest

from safe_pip.projectnames import similar_projects


@pytest.mark.parametrize(
    "typed",
    [
        "python3",
        "python",
        "python3.11",
        "python3-dev",
        "python3.12-venv",
        "tkinter",
        "sqlite3",
        "venv",
        "json",
        "ssl",
        "distutils",
        "cgi",
        "urllib2",
        "pkg-resources",
    ],
)
def test_no_look_alike_for_python_itself_or_its_standard_library(typed: str) -> None:
    # `pip install python3` found no project: a look-alike (spython, ipython; anysqlite for sqlite3, ujson for
    # json, python-dotenv for python3-dev, real runs) is someone else's project, not what was meant.
    assert similar_projects(typed) == []


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("reqeusts", "requests"),
        ("pil", "pillow"),
        ("cv2", "opencv-python"),
        ("python-dateutl", "python-dateutil"),
    ],
)
def test_look_alikes_of_projects_stay(typed: str, meant: str) -> None:
    assert similar_projects(typed)[:1] == [meant]


@pytest.mark.parametrize(
    ("project", "said", "advice"),
    [
        ("python3", "python3 is Python itself", "system's package manager"),
        ("tkinter", "tkinter is a module of Python's standard library", "python3-tk for tkinter"),
        (
            "pkg-resources",
            "`pkg-resources==0.0.0` line is what Debian's and Ubuntu's pip wrote",
            "Delete the",
        ),
    ],
    ids=["python", "stdlib", "freeze-artefact"],
)
def test_the_index_explanation_says_what_a_python_name_is(project: str, said: str, advice: str) -> None:
    from safe_pip.index import IndexQuery, explain
    from safe_pip.wheeltags import InterpreterTags

    target = InterpreterTags(
        implementation="cp",
        version=(3, 12),
        abi="cp312",
        os="linux",
        machine="x86_64",
        supported_tags=("cp312-cp312-manylinux_2_17_x86_64", "py3-none-any"),
        glibc=(2, 36),
        pip_version=(24, 0),
    )
    query = IndexQuery(
        project,
        (),
        index_urls=("https://pypi.org/simple",),
        not_found=(f"https://pypi.org/simple/{project}/",),
    )
    found = explain(query, target, python_version="3.12.1")
    assert found is not None
    assert found.kind == "no-such-project"
    assert found.summary.startswith(f"There is no project named {project} on pypi.org: ")
    assert said in found.summary
    assert advice in found.hint


def test_the_prefilter_keeps_what_difflib_would_score() -> None:
    """_may_be_close keeps the names difflib.get_close_matches would score (its two bounds, computed apart):
    the look-alikes found through it are the same, over typed names of every sort (misspelt popular names,
    short, long, other scripts, punctuation)."""
    import difflib
    import random

    from safe_pip.projectnames import _may_be_close, popular_projects

    names = popular_projects()
    rng = random.Random(17)
    typed = ["reqeusts", "numpyy", "abc", "x" * 40, "ñandú", "torch-\u0130", "a.b_c-d", "--"]
    for _ in range(50):
        letters = list(rng.choice(names))
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(letters) + 1)
            if rng.random() < 0.5:
                letters.insert(at, rng.choice("abcdefghijklmnopqrstuvwxyz-_.0123456789é"))
            elif at < len(letters):
                del letters[at]
        typed.append("".join(letters) or "q")
    for word in typed:
        for cutoff in (0.6, 0.75):
            kept = _may_be_close(word, names, cutoff)
            found = difflib.get_close_matches(word, kept, n=len(kept), cutoff=cutoff) if kept else []
            assert found == difflib.get_close_matches(word, names, n=len(names), cutoff=cutoff), word
