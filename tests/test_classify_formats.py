"""The engine on the output formats users paste from CI (issue 13, family 3): captures of one stream only.

A CI step that keeps only stderr (`pip install -v x >/dev/null`) has a build's output (pip 19-23 print it on
stderr at -v) but not pip's "Successfully installed" (stdout). A package whose C extension is optional says so
itself when the extension fails and builds without it: that word voids what the failed extension printed, as
pip's success line does, and a later pip error brings it back."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

# markupsafe 2.0.1 as pip 19.3.1 -v printed it on stderr on a machine without gcc (the install succeeded)
OPTIONAL_EXTENSION = """\
    building 'markupsafe._speedups' extension
    gcc -Wno-unused-result -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -c src/markupsafe/_speedups.c
    unable to execute 'gcc': No such file or directory
    ==========================================================================
    WARNING: The C extension could not be compiled, speedups are not enabled.
    Failure information, if any, is above.
    Retrying the build without the C extension now.
    ==========================================================================
    running install
"""


def categories(log: str) -> list[str]:
    return [d.category for d in classify_stream(io.BytesIO(log.encode()), load_rules())]


def test_the_build_error_of_the_compiler_counts_without_the_packages_word() -> None:
    cut = OPTIONAL_EXTENSION.split("    ====", maxsplit=1)[0]
    assert categories(cut)[:1] == ["missing-compiler"]


@pytest.mark.parametrize("prefix", ["", "2026-12-01T03:14:48,963 "], ids=["console", "log-file"])
def test_an_optional_extension_that_failed_is_no_failure(prefix: str) -> None:
    log = "".join(prefix + line + "\n" for line in OPTIONAL_EXTENSION.splitlines())
    assert categories(log) == []


def test_a_pip_error_after_the_packages_word_brings_the_diagnosis_back() -> None:
    failed = OPTIONAL_EXTENSION + "ERROR: Command errored out with exit status 1: python setup.py install\n"
    assert categories(failed)[:1] == ["missing-compiler"]


def test_a_warning_in_other_words_voids_nothing() -> None:
    other = OPTIONAL_EXTENSION.replace("speedups are not enabled", "speedups are enabled")
    assert categories(other)[:1] == ["missing-compiler"]


# pyrsistent 0.17.3 as pip 21.3.1 -v printed it on stderr without Python.h (the install succeeded)
PYRSISTENT = """\
    pvectorcmodule.c:1:10: fatal error: Python.h: No such file or directory
        1 | #include <Python.h>
    compilation terminated.
    command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1

    ********************************************************************************
    WARNING: Could not build the pvectorc extension module.
             Pyrsistent will still work but performance may be degraded.
             The output above this warning shows how the compilation failed.
    ********************************************************************************
    running install_lib
"""


def test_an_optional_extension_in_other_words_is_no_failure_either() -> None:
    assert categories(PYRSISTENT.split("    ****", maxsplit=1)[0])[:1] == ["missing-python-headers"]
    assert categories(PYRSISTENT) == []
