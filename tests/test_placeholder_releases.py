"""A release table's `placeholders`: versions that are no release of the project (torch's 0.1.2 archives of the
name's first holder, gone from the index since). pips of 2018-2022 listed only them where no torch wheel fit the
interpreter, so such a list is read as "none". Lines written from pip's formats."""

from __future__ import annotations

import pytest

from safe_pip.index import explain_log
from safe_pip.releasetables import ReleaseTablesError, load_release_tables, parse_release_tables

_LINE = "ERROR: Could not find a version that satisfies the requirement {spec} (from versions: {versions})"
_PLACEHOLDERS = "0.1.2, 0.1.2.post1, 0.1.2.post2"


@pytest.mark.parametrize("spec", ["torch", "torch==1.8.1+cu111", "torch>=1.4"])
@pytest.mark.parametrize("head", [[], ["PS C:\\Users\\jw> py -3.7-32 -m pip install torch"]])
def test_a_list_of_placeholders_reads_as_none(spec: str, head: list[str]) -> None:
    from safe_pip.logpython import log_python

    listed = explain_log([*head, _LINE.format(spec=spec, versions=_PLACEHOLDERS)], log=log_python(head))
    none = explain_log([*head, _LINE.format(spec=spec, versions="none")], log=log_python(head))
    assert listed is not None
    assert none is not None
    assert (listed.category, listed.summary, listed.hint) == (none.category, none.summary, none.hint)
    assert "0.1.2" not in listed.summary


def test_a_real_release_among_them_is_read_as_a_list() -> None:
    # the "none" reading (no wheel fits) is not given: a real release was listed
    assert explain_log([_LINE.format(spec="torch==9.9", versions="none")]) is not None
    assert explain_log([_LINE.format(spec="torch==9.9", versions=_PLACEHOLDERS + ", 1.4.0")]) is None


def test_the_table_keeps_torchs_placeholders_and_checks_the_key() -> None:
    assert load_release_tables()["torch"].placeholders == ("0.1.2", "0.1.2.post1", "0.1.2.post2")
    entry = '[x]\nwheel_only = true\npythons = "3.8-3.12"\nnewest = "2.0"\n'
    assert parse_release_tables(entry)["x"].placeholders == ()
    with pytest.raises(ReleaseTablesError, match=r"\[x\] placeholders must be a list"):
        parse_release_tables(entry + 'placeholders = "0.1"\n')
    with pytest.raises(ReleaseTablesError, match=r"\[x\] placeholders must be a version"):
        parse_release_tables(entry + 'placeholders = ["not a version"]\n')
