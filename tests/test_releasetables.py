"""release-tables.toml: its data as documented, and the look-ups a pasted log's explanation uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

import safe_pip.releasetables as module
from safe_pip.releasetables import ReleaseTablesError, load_release_tables, parse_release_tables

TABLES = load_release_tables()


def test_every_entry_is_consistent() -> None:
    for name, entry in TABLES.items():
        assert name == entry.name.lower()
        for python, last in entry.last:
            assert entry.covers_python(python), (name, python)
            assert Version(last) < Version(entry.newest), (name, python)
        # a Python 3 dropped later has a later (or the same) last release (2.7 may outlive 3.5: requests
        # 2.27.1 was the last for both 2.7 and 3.6, 2.25.1 the last for 3.5)
        lasts = [Version(last) for python, last in entry.last if not python.startswith("2.")]
        assert lasts == sorted(lasts), name
        assert bool(entry.platforms) == entry.wheel_only, name


def test_the_headers_name_every_project_of_the_table() -> None:
    # may_list reads the `[name]` headers alone: a project the table has is never missed there.
    assert module._listed_names() == set(TABLES)
    assert all(module.may_list(name) for name in TABLES)
    assert not module.may_list("no-such-project")


def test_the_toml_file_has_no_duplicate_keys() -> None:
    # tomllib itself refuses a key given twice: parsing the shipped text is the check.
    text = Path(module.__file__).with_name("release-tables.toml").read_text(encoding="utf-8")
    with pytest.raises(ReleaseTablesError, match="not valid TOML"):
        parse_release_tables(text + "\n[torch]\nwheel_only = true\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('pythons = "3.9-3.8"', "pythons must be 'X.Y-X.Y'"),
        ('pythons = "3.8"', "pythons must be 'X.Y-X.Y'"),
        ('newest = "not a version"', "newest must be a version string"),
        ('last = { "3.7" = "9.0" }', "is not older than newest"),
        ('last = { "3.2" = "1.0" }', "is not a Python in 3.6-3.13"),
        ('platforms = { "amiga" = "1.0" }', "unknown platform"),
        ("wheel_only = 1", "wheel_only must be true or false"),
        ('first = { "win-amd64" = "1.0" }', "is not one of its platforms"),
        ('first = { "linux-x86_64" = "2.5" }', "is newer than its last"),
    ],
)
def test_bad_data_is_named(change: str, message: str) -> None:
    entry = {
        "wheel_only": "wheel_only = true",
        "pythons": 'pythons = "3.6-3.13"',
        "newest": 'newest = "2.0"',
        "last": 'last = { "3.6" = "1.0" }',
        "platforms": 'platforms = { "linux-x86_64" = "2.0" }',
    }
    entry[change.split(" ", 1)[0]] = change
    with pytest.raises(ReleaseTablesError, match=message) as raised:
        parse_release_tables("[demo]\n" + "\n".join(entry.values()) + "\n", "t.toml")
    assert "t.toml: [demo]" in str(raised.value)


def test_a_list_that_ends_at_a_last_release_names_the_python() -> None:
    torch = TABLES["torch"]
    assert torch.pythons_ending_at("1.10.2") == ("3.6",)
    assert torch.pythons_ending_at("1.10.1") == ()
    assert TABLES["black"].pythons_ending_at("22.8.0") == ("3.6",)
    assert TABLES["onnxruntime"].pythons_ending_at("1.19.2") == ("3.8", "3.9")  # both dropped after it


def test_a_list_that_ends_at_a_platforms_last_release_names_the_platform() -> None:
    torch = TABLES["torch"]
    assert torch.platforms_ending_at("2.2.2") == ("macos-x86_64",)
    assert torch.platforms_ending_at(torch.newest) == ()  # the newest is every platform's: says nothing
    assert torch.covers_platform("win32") is False
    assert torch.covers_platform("win-amd64") is True
    assert TABLES["black"].covers_platform("win32") is None  # not wheel-only: unknown


def test_pythons_covered() -> None:
    assert TABLES["tensorflow"].covers_python("3.13")
    assert not TABLES["tensorflow"].covers_python("3.15")
    assert not TABLES["tensorflow-io-gcs-filesystem"].covers_python("3.13")
    assert TABLES["torch"].covers_python("3.10")  # 3.10 before 3.6 as numbers, not as text
