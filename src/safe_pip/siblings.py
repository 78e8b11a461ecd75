"""Projects that have a sibling on the index shipping the same code as pre-built wheels, so that a failed
source build of the one is avoided by installing the other. A suggestion only: the sibling is another project
(another name, another maintainer's choice of build options), which the user decides to trust.

Data, not code: one entry per project, with whether the sibling's versions follow the project's (then the
user's version specifier carries over to it).
"""

from __future__ import annotations

from safe_pip.facts import canonical_name

__all__ = ["BinarySibling", "binary_sibling", "wheel_systems"]


class BinarySibling:
    __slots__ = ("name", "placeholder", "same_versions", "why")

    def __init__(self, name: str, same_versions: bool, why: str, *, placeholder: bool = False) -> None:
        self.name = name
        self.same_versions = same_versions
        self.why = why
        # The project's newest release is a placeholder that only fails (its build names the project to
        # install): a fix that builds it again (older setuptools, another Python) cannot install anything.
        self.placeholder = placeholder


_TABLE: dict[str, BinarySibling] = {
    # The psycopg2 maintainers publish psycopg2-binary: the same releases, with libpq bundled in wheels.
    "psycopg2": BinarySibling("psycopg2-binary", True, "the same releases as wheels with libpq included"),
    # psycopg 3's optional C speed-ups ship as wheels through its `binary` extra.
    "psycopg": BinarySibling("psycopg[binary]", True, "its pre-built C implementation, as wheels"),
    # pycrypto is unmaintained and has no wheels; pycryptodome is its drop-in successor (module `Crypto`).
    "pycrypto": BinarySibling("pycryptodome", False, "its maintained drop-in successor, with wheels"),
    # The `sklearn` name on the index is a placeholder that refuses to install.
    "sklearn": BinarySibling("scikit-learn", False, "the project's real name", placeholder=True),
    # So are skimage and pytorch, and tensorflow-gpu from 2.12 (its setup.py lists `python_version>"3.7"` as a
    # requirement, which today's setuptools rejects before the placeholder can say "install tensorflow").
    "skimage": BinarySibling("scikit-image", False, "the project's real name", placeholder=True),
    "pytorch": BinarySibling("torch", False, "the project's real name", placeholder=True),
    "tensorflow-gpu": BinarySibling(
        "tensorflow",
        False,
        "tensorflow-gpu's newest release is a placeholder; tensorflow has the GPU support",
        placeholder=True,
    ),
    # Python 2 only projects, whose Python 3 successors keep the module: MySQLdb (mysqlclient is
    # MySQL-python's fork for Python 3), and Beautiful Soup 3's BeautifulSoup (Beautiful Soup 4: bs4).
    "mysql-python": BinarySibling(
        "mysqlclient", False, "its maintained fork for Python 3 (the same MySQLdb module)"
    ),
    "beautifulsoup": BinarySibling(
        "beautifulsoup4", False, "Beautiful Soup 4, its successor for Python 3 (imported as bs4)"
    ),
    # OpenCV's own headless builds: the same releases without the GUI module, which loads libGL and X11
    # libraries that servers and slim container images lack ("libGL.so.1: cannot open shared object file").
    "opencv-python": BinarySibling(
        "opencv-python-headless", True, "the same OpenCV without its GUI, needing no libGL"
    ),
    "opencv-contrib-python": BinarySibling(
        "opencv-contrib-python-headless", True, "the same OpenCV without its GUI, needing no libGL"
    ),
    # pysqlite3 builds against the system's SQLite; pysqlite3-binary bundles SQLite in wheels.
    "pysqlite3": BinarySibling("pysqlite3-binary", True, "the same module as wheels with SQLite included"),
}


def binary_sibling(project: str) -> BinarySibling | None:
    """The sibling of `project` that ships wheels, if one is known."""
    return _TABLE.get(canonical_name(project))


# Projects that publish wheels for some systems only (sys.platform values; empty: for none), checked on the
# index for Python 3.12 (`pip download --only-binary :all: --platform ...`, 2026-12): elsewhere
# `--only-binary X` finds no release and fails at once, so no fix proposes it there (the review of printed
# fixes, fixsafety-2026-12-02k: psycopg2 on Linux and macOS is built from source, psycopg2-binary is what
# has wheels).
_WHEEL_SYSTEMS: dict[str, frozenset[str]] = {
    "psycopg2": frozenset({"win32"}),  # (its Linux wheels stopped at 2.7.7, for Python 3.7 and older)
    "mysqlclient": frozenset({"win32"}),
    "pyaudio": frozenset({"win32"}),
    "pycairo": frozenset({"win32"}),
    "python-ldap": frozenset(),
    "pycrypto": frozenset(),
}


def wheel_systems(project: str) -> frozenset[str] | None:
    """The systems (`win32`, `darwin`, `linux`) a project publishes wheels for, when known to be only some;
    None when not known (most projects: the index is asked, or the fix says it was not)."""
    return _WHEEL_SYSTEMS.get(canonical_name(project))
