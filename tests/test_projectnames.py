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
