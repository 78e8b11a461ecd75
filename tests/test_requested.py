from __future__ import annotations

import pytest

from safe_pip import requested
from safe_pip.facts import canonical_name
from safe_pip.requested import read_user_requests


def test_requirement_files_are_found_by_every_spelling_and_constraints_apart() -> None:
    files = {"a.txt": "one\n", "b.txt": "two\n", "c.txt": "three\n", "constraints.txt": "four<2\n"}
    args = ("-r", "a.txt", "--requirement=b.txt", "-rc.txt", "-c", "constraints.txt", "x")
    requests = read_user_requests(args, files.get)
    assert [(item.name, item.file, item.constraint) for item in requests.items] == [
        ("x", None, False),
        ("one", "a.txt", False),
        ("two", "b.txt", False),
        ("three", "c.txt", False),
        ("four", "constraints.txt", True),
    ]
    assert requests.top_files == ("a.txt", "b.txt", "c.txt", "constraints.txt")


def test_a_requirement_file_names_distributions_with_their_specifiers_markers_and_sources() -> None:
    text = (
        "# pinned\n"
        "numpy==2.1.0 --hash=sha256:abc \\\n"
        "    --hash=sha256:def\n"
        "Pillow[avif]>=10 ; python_version >= '3.9'  # images\n"
        "-r base.txt\n"
        "--index-url https://example.org/simple\n"
        "-c constraints.txt\n"
        "-e ./local\n"
        "./vendor/thing-1.0.tar.gz\n"
        "https://example.org/x-1.0.tar.gz\n"
        "mylib @ https://example.org/mylib-1.0.tar.gz\n"
    )
    files = {"req/main.txt": text, "req/base.txt": "six\n", "req/constraints.txt": "numpy<3\n"}
    requests = read_user_requests(("-r", "req/main.txt"), files.get)
    by_name = {item.name: item for item in requests.items if not item.constraint}
    # A requirement's own options (--hash) are not part of it; its line is where it starts.
    assert (by_name["numpy"].specifier, by_name["numpy"].line) == ("==2.1.0", 2)
    assert by_name["pillow"].marker == 'python_version >= "3.9"'
    assert by_name["mylib"].direct == "https://example.org/mylib-1.0.tar.gz"
    assert by_name["thing"].direct == "./vendor/thing-1.0.tar.gz"
    # Nested files are read relative to the file that names them (as pip does), constraints as constraints.
    assert (by_name["six"].file, by_name["six"].constraint) == ("req/base.txt", False)
    assert requests.specifier("numpy") == "==2.1.0,<3"
    # A URL's project is read from its file name; a folder's cannot be known.
    assert by_name["x"].direct == "https://example.org/x-1.0.tar.gz"
    assert [item.text for item in requests.unknown_sources] == ["./local"]


def test_an_unreadable_or_looping_file_is_skipped() -> None:
    files = {"a.txt": "-r a.txt\nsix\n"}
    requests = read_user_requests(("-r", "a.txt", "-r", "missing.txt"), files.get)
    assert [item.name for item in requests.items] == ["six"]


WORDS = (
    "psutil",
    "PyYAML",
    "zope.interface",
    "backports_zoneinfo",
    "a",
    "x1",
    "foo-",
    "-foo",
    "foo..bar",
    "pkg-1.0-py3-none-any.whl",
    "pkg-1.0.tar.gz",
    "x.zip",
    ".",
    "..",
    "./local",
    "../up/pkg-2.0.tar.gz",
    "sdists/benchfail-1.0.tar.gz",
    "dist/pkg-1.0-py3-none-any.whl",
    "folder/sub",
    "git+https://github.com/owner/repo.git",
    "git+https://github.com/owner/repo.git@v1.0#egg=repo",
    "file:///tmp/x-1.0.tar.gz",
    "a/b==1",
    "x/y ; python_version > '3'",
    "x/y;python_version>'3'",
    "x/y[extra]",
    "name @ file:///tmp/x/y.whl",
    "pkg/",
    "/",
    "a/b\tc",
    "PKG-2.0.ZIP",
    "a/b\n",
    " a/b",
    "a/b\rc",
    "pkg-1.0.tgz",
    "/abs/path/pkg-1.0-cp311-cp311-linux_x86_64.whl",
    "/abs/folder ; python_version > '3'",
    ".hidden",
    "numpy==2.1.0",
    "requests[socks]>=2",
    "mylib @ https://example.org/mylib-1.0.tar.gz",
    "https://example.org/x-1.0.tar.gz",
    "six ; python_version >= '3'",
    "name with space",
    "ünïcode",
    "",
)


@pytest.mark.parametrize("word", WORDS, ids=repr)
def test_a_word_reads_as_packaging_parses_it(word: str) -> None:
    """A bare name and a path are read without packaging's parser: the same as with it."""
    from packaging.requirements import InvalidRequirement, Requirement

    def parsed(text: str) -> requested.Requested:  # the reading through packaging alone
        try:
            found = Requirement(text)
        except InvalidRequirement:
            return requested._direct(text.split(";", 1)[0].strip(), "here", position=3)
        if (
            requested._looks_like_path(text.split(";", 1)[0].strip())
            and not found.specifier
            and not found.url
        ):
            return requested._direct(text, "here", position=3)
        return requested.Requested(
            name=canonical_name(found.name),
            text=text,
            specifier=str(found.specifier),
            marker=str(found.marker) if found.marker else "",
            direct=found.url,
            origin="here",
            position=3,
        )

    assert requested._requirement(word, "here", position=3) == parsed(word)
