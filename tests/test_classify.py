"""The engine, with tiny invented rules (the real rules are tested with real logs in test_rule_catalog.py)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest

from safe_pip import classify
from safe_pip.classify import Classifier, Diagnosis, RuleFacts, classify_stream
from safe_pip.fixes import FixContext
from safe_pip.rules import Rule, parse_rule


def make_rule(rule_id: str, **overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "id": rule_id,
        "category": "missing-compiler",
        "title": rule_id,
        "priority": 50,
        "confidence": 0.9,
        "match": {"keywords": ["boom"], "any": [r"boom (?P<thing>\w+)"]},
        "explain": {"summary": "{package} went boom on {thing}.", "hint": "Fix {thing}."},
        "fix": [{"action": "only-binary"}],
    }
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_rule(data, f"{rule_id}.toml")


def run(
    log: str, *rules: Rule, facts: RuleFacts | None = None, context: FixContext | None = None
) -> list[Diagnosis]:
    return classify_stream(io.BytesIO(log.encode()), rules, facts, context)


LOG = """\
Collecting alpha==1.0
  Downloading alpha-1.0.tar.gz
Building wheels for collected packages: alpha
  Building wheel for alpha (pyproject.toml): started
  error: subprocess-exited-with-error
      boom gcc
  ERROR: Failed building wheel for alpha
Failed to build alpha
"""


def test_a_match_gives_summary_evidence_package_and_fixes() -> None:
    (diagnosis,) = run(LOG, make_rule("boom-rule"))
    assert diagnosis.rule == "boom-rule"
    assert diagnosis.package == "alpha"
    assert diagnosis.summary == "alpha went boom on gcc."
    assert diagnosis.hint == "Fix gcc."
    assert [(e.line, e.text) for e in diagnosis.evidence] == [(6, "boom gcc")]
    assert diagnosis.fixes[0].command == "safe-pip install --only-binary alpha alpha==1.0"  # the pin kept
    assert diagnosis.fixes[0].auto


def test_fix_commands_keep_the_users_arguments() -> None:
    context = FixContext(pip_args=("-r", "requirements.txt"))
    (diagnosis,) = run(LOG, make_rule("boom-rule"), context=context)
    assert diagnosis.fixes[0].command == "safe-pip install --only-binary alpha -r requirements.txt"


@pytest.mark.parametrize(
    ("first_line", "path"),
    [
        ("Processing /home/me/alpha", "/home/me/alpha"),
        ("Processing ./dist/alpha-1.0.tar.gz", "./dist/alpha-1.0.tar.gz"),
        ("Processing file:///srv/alpha", "file:///srv/alpha"),
    ],
)
def test_a_package_the_log_names_by_a_local_path_is_never_installed_by_name(
    first_line: str, path: str
) -> None:
    log = LOG.replace("Collecting alpha==1.0\n  Downloading alpha-1.0.tar.gz", first_line)
    rules = (make_rule("boom-rule", fix=[{"action": "only-binary"}, {"action": "no-cache"}]),)
    (diagnosis,) = run(log, *rules)
    assert diagnosis.package == "alpha"
    # No wheel "of alpha" from the index (another project may have the name), and re-runs install the path.
    assert [fix.command for fix in diagnosis.fixes] == [f"safe-pip install --no-cache-dir {path}"]
    (from_index,) = run(LOG, *rules)
    assert from_index.fixes[0].command == "safe-pip install --only-binary alpha alpha==1.0"


def test_pips_failed_build_line_names_a_local_project_by_its_folder() -> None:
    log = LOG.replace("Collecting alpha==1.0\n  Downloading alpha-1.0.tar.gz\n", "").replace(
        "Failed to build alpha",
        "ERROR: Failed to build 'file:///srv/alpha' when getting requirements to build wheel",
    )
    rules = (make_rule("boom-rule", fix=[{"action": "only-binary"}, {"action": "no-cache"}]),)
    log = log.replace("  Building wheel for alpha (pyproject.toml): started\n", "")
    (diagnosis,) = run(log.replace("  ERROR: Failed building wheel for alpha\n", ""), *rules)
    assert diagnosis.package == "alpha"
    assert [fix.command for fix in diagnosis.fixes] == ["safe-pip install --no-cache-dir file:///srv/alpha"]


IMPORT_LOG = """\
Collecting alpha==1.0
Collecting beta>=2
Installing collected packages: beta, alpha
Successfully installed alpha-1.0 beta-2.0
Traceback (most recent call last):
  File "/app/main.py", line 1, in <module>
    import cv2
  File "/venv/lib/python3.11/site-packages/cv2/__init__.py", line 8, in <module>
    boom gl
"""


def _import_rule() -> Rule:
    return make_rule(
        "boom-rule",
        match={
            "keywords": ["boom", 'file "', " import "],
            "context": [
                r"^import (?P<imported>\w+)\s*$",
                r'^File "[^"]*/site-packages/(?P<import_module>\w+)/',
            ],
        },
        fix=[{"action": "only-binary"}, {"action": "no-cache"}],
    )


def test_an_import_after_the_install_names_the_imported_project_not_pips_last() -> None:
    (diagnosis,) = run(IMPORT_LOG, _import_rule())
    assert diagnosis.package == "opencv-python"  # cv2's project, from the traceback's frame
    # A wheel in place of a build changes nothing once the install succeeded: only the other fix is left.
    assert [fix.id for fix in diagnosis.fixes] == ["no-cache"]
    frameless = IMPORT_LOG.replace(
        '  File "/venv/lib/python3.11/site-packages/cv2/__init__.py", line 8, in <module>\n', ""
    )
    (from_code_line,) = run(frameless, _import_rule())
    assert from_code_line.package == "opencv-python"
    bare = frameless.replace("    import cv2\n", "")
    (unnamed,) = run(bare, _import_rule())
    assert unnamed.package is None  # two were installed: pip's last ("beta") says nothing of the import
    only_alpha = bare.replace("Collecting beta>=2\n", "").replace(" beta-2.0", "").replace("beta, ", "")
    (one,) = run(only_alpha, _import_rule())
    assert one.package == "alpha"  # pip installed one distribution: the package in effect is it


def test_lines_without_a_keyword_are_never_tried() -> None:
    rule = make_rule("keyed", match={"keywords": ["kaboom"]})
    assert run(LOG, rule) == []


def test_all_patterns_must_match_within_the_window() -> None:
    rule = make_rule(
        "needs-both", match={"keywords": ["boom", "failed"], "all": [r"Failed building wheel"], "window": 1}
    )
    assert run(LOG, rule)[0].evidence[-1].line == 7
    far = make_rule(
        "needs-both", match={"keywords": ["boom", "collecting"], "all": [r"^Collecting"], "window": 2}
    )
    assert run(LOG, far) == []
    anywhere = make_rule("needs-both", match={"keywords": ["boom", "collecting"], "all": [r"^Collecting"]})
    assert [e.line for e in run(LOG, anywhere)[0].evidence] == [1, 6]


def test_a_none_pattern_vetoes_the_rule() -> None:
    rule = make_rule("vetoed", match={"keywords": ["boom", "downloading"], "none": [r"^Downloading alpha"]})
    assert run(LOG, rule) == []


def test_specific_rules_rank_first_and_one_per_category() -> None:
    generic = make_rule("generic", priority=10)
    specific = make_rule("specific", priority=90, confidence=0.5)
    same_category_lower = make_rule("also-compiler", priority=20)
    other = make_rule("other", priority=30, category="out-of-memory")
    found = run(LOG, generic, specific, same_category_lower, other)
    assert [d.rule for d in found] == ["specific", "other"]


def test_build_failed_is_only_a_fallback_with_the_builds_own_error_lines() -> None:
    fallback = make_rule(
        "build-failed",
        category="build-failed",
        priority=0,
        fallback=True,
        match={"keywords": ["failed building wheel"], "any": [r"Failed building wheel for"]},
        explain={"summary": "Building {package} failed.", "hint": ""},
        fix=[],
    )
    log = LOG.replace("boom gcc", "src/a.c:3:1: error: expected ';' before '}' token")
    (diagnosis,) = run(log, fallback, make_rule("boom-rule"))
    assert diagnosis.category == "build-failed"
    assert diagnosis.package == "alpha"
    assert [e.line for e in diagnosis.evidence] == [6]
    assert [d.rule for d in run(LOG, fallback, make_rule("boom-rule"))] == ["boom-rule"]


def test_install_time_diagnoses_vanish_when_pip_then_succeeded() -> None:
    retried = LOG + "Running setup.py install for alpha ... done\nSuccessfully installed alpha-1.0\n"
    assert run(retried, make_rule("boom-rule")) == []
    # ... unless the rule is about what happens after an install (an import-time traceback).
    assert run(retried, make_rule("boom-rule", phase="any"))
    # ... and a pip error after the success line means the run did fail.
    failed_later = retried + "ERROR: Could not install packages due to an OSError\n"
    assert run(failed_later, make_rule("boom-rule"))


@pytest.mark.parametrize(
    ("line", "package"),
    [
        ("Collecting beta>=2 (from -r requirements.txt (line 3))", "beta"),
        ("Collecting gamma[extra]==1.0", "gamma"),
        ("Processing ./dist/delta-2.0.tar.gz", "delta"),
        ("Processing /tmp/src/epsilon", "epsilon"),
        ('Command "python setup.py egg_info" failed with error code 1 in /tmp/pip-build-8h3k2j/eta/', "eta"),
        ("Running setup.py install for theta ... error", "theta"),
        ("  Running setup.py develop for iota", "iota"),
        ("  Running setup.py bdist_wheel for kappa ... error", "kappa"),
        ("  Running setup.py egg_info for package lambda-x", "lambda-x"),
        ("  Running setup.py (path:/tmp/pip_build_u/mu/setup.py) egg_info for package mu", "mu"),
        ("Downloading/unpacking nu==1.2 (from -r requirements.txt (line 3))", "nu"),
    ],
    ids=[
        "requirement-file",
        "extras",
        "sdist-path",
        "folder",
        "pip9-build-dir",
        "legacy-install",
        "editable-develop",
        "pip9-bdist-wheel",
        "pip15-egg-info-for-package",
        "pip15-egg-info-path",
        "pip15-downloading-unpacking",
    ],
)
def test_the_failing_package_comes_from_pips_own_lines(line: str, package: str) -> None:
    (diagnosis,) = run(f"{line}\n  boom x\n", make_rule("boom-rule"))
    assert diagnosis.package == package


def test_a_nested_pips_requirement_lines_are_not_the_package() -> None:
    # pip -v: the pip that installs build dependencies prints 2 columns in, under pip's own lines.
    log = (
        "Collecting pyyaml==5.4.1\n"
        "  Installing build dependencies: started\n"
        "  Running command pip subprocess to install build dependencies\n"
        "  Collecting setuptools\n"
        "  Processing ./wh/wheel-0.48.0-py3-none-any.whl\n"
        "  Installing build dependencies: finished with status 'done'\n"
        "  boom x\n"
    )
    (diagnosis,) = run(log, make_rule("boom-rule"))
    assert diagnosis.package == "pyyaml"
    # A log cut above pip's own first line: the nested line is all there is, until pip's own comes.
    (cut,) = run(log.split("\n", 3)[3], make_rule("boom-rule"))
    assert cut.package == "wheel"
    # A pasted block indented as a whole keeps its order: the least indent is pip's own.
    indented = "".join(f"    {line}\n" for line in log.splitlines())
    (pasted,) = run(indented, make_rule("boom-rule"))
    assert pasted.package == "pyyaml"


# A paste that starts below pip's "Collecting" line (a Docker BuildKit paste of pastes-r r37 began at
# "#0 0.956   Downloading orjson-3.8.9.tar.gz (657 kB)"): the archive pip fetches names the package, in
# pip 20+'s file name and pip 9-19's URL, under a CI/Docker prefix too; a name that is no archive's does not.
@pytest.mark.parametrize(
    ("log", "package"),
    [
        ("  Downloading orjson-3.8.9.tar.gz (657 kB)\n  boom x\n", "orjson"),
        ("#0 0.956   Downloading orjson-3.8.9.tar.gz (657 kB)\n#0 3.226       boom x\n", "orjson"),
        (
            "Step 5/9 : RUN pip install orjson\n  Using cached orjson-3.8.9.tar.gz (657 kB)\n  boom x\n",
            "orjson",
        ),
        (
            "  Downloading https://files.example.org/packages/ab/cd/PyWavelets-1.1.1.tar.gz (4.6MB)\n  boom x\n",
            "PyWavelets",
        ),
        (
            "Collecting PyWavelets==1.1.1\n  Downloading pywavelets-1.1.1.tar.gz (4.6 MB)\n  boom x\n",
            "PyWavelets",
        ),
        ("Downloading torch (800.0MiB)\n  boom x\n", None),
        # pip -v: the nested pip's archive sits deeper than pip's own "Collecting" line's
        (
            "Collecting orjson\n  Downloading orjson-3.8.9.tar.gz (657 kB)\n"
            "  Collecting maturin>=1\n    Downloading maturin-1.4.0-py3-none-manylinux_2_17_x86_64.whl (8 MB)\n"
            "  boom x\n",
            "orjson",
        ),
    ],
    ids=[
        "pip24-file",
        "buildkit",
        "docker-step-cached",
        "pip9-url",
        "spelling-kept",
        "uv-no-archive",
        "nested",
    ],
)
def test_the_archive_pip_downloads_names_the_package(log: str, package: str | None) -> None:
    (diagnosis,) = run(log, make_rule("boom-rule"))
    assert diagnosis.package == package


# A folder that is a home or a container's work folder is not the project's name (pastes-r r04's Docker
# build: "Processing /home/builder" read as package "builder").
@pytest.mark.parametrize(
    "line",
    [
        "Processing /home/builder",
        "Processing /app",
        "Processing /usr/src/app/",
        "Processing /root",
        "Processing C:\\Users\\kim",
    ],
)
def test_a_home_or_work_folder_names_no_package(line: str) -> None:
    (diagnosis,) = run(f"{line}\n  boom x\n", make_rule("boom-rule"))
    assert diagnosis.package is None
    (named,) = run("Processing /home/builder/fastgeo\n  boom x\n", make_rule("boom-rule"))
    assert named.package == "fastgeo"


@pytest.mark.parametrize("line", ["Processing ./.", "Processing ../", "Processing /tmp/src/epsilon/.."])
def test_a_folder_pip_names_only_by_dots_names_no_package(line: str) -> None:
    # pip 26 prints "Processing ./." for `pip install .`: "." is no project name to put in a sentence or a
    # command ("Upgrade . to a release ...").
    (diagnosis,) = run(f"{line}\n  boom x\n", make_rule("boom-rule"))
    assert diagnosis.package is None


@pytest.mark.parametrize(
    ("paths", "package"),
    [
        # pip >= 20.3: pip-install-<random>/<name>_<32 hex>/
        (
            "/tmp/pip-install-q1w2e3r4/dbus-python_3e16804f2e72475d99d648115b39014b/build/temp.linux-x86_64-cpython-312/x.o",
            "dbus-python",
        ),
        # pip 10-20.2, Windows
        ("C:\\Users\\me\\AppData\\Local\\Temp\\pip-install-a_b9c8\\fastlz\\src\\x.c", "fastlz"),
        # pip 9
        ("/tmp/pip-build-8h3k2j/eta/setup.py", "eta"),
        # the source folder itself (a local path or a VCS URL): its parts are the project's, not names
        ("/tmp/pip-req-build-abc123/build/lib.linux-x86_64-cpython-312/ext.so", "alpha"),
        ("/tmp/pip-req-build-9x8y7z/src/ext.c", "alpha"),
        # the isolated build environment, the build tracker, built wheels, metadata: not the package
        ("/tmp/pip-build-env-k2j3h4/overlay/lib/python3.12/site-packages/setuptools/dist.py", "alpha"),
        ("/tmp/pip-build-env-k2j3h4/normal/lib/python3.12/site-packages/numpy/core/include", "alpha"),
        ("/tmp/pip-build-tracker-a1b2c3/d4e5f6/x", "alpha"),
        ("/tmp/pip-wheel-zz9y8x/psutil-5.9.8-cp312-cp312-linux_x86_64.whl", "alpha"),
        ("/tmp/pip-modern-metadata-u7y6t5/alpha.egg-info/", "alpha"),
        ("/tmp/pip-ephem-wheel-cache-p0o9i8/wheels/ab/cd/", "alpha"),
    ],
    ids=[
        "install-hash-dir",
        "install-dir-windows",
        "pip9-build-dir",
        "req-build-build-subdir",
        "req-build-src-subdir",
        "build-env-overlay",
        "build-env-normal",
        "build-tracker",
        "wheel-dir",
        "metadata-dir",
        "ephem-wheel-cache",
    ],
)
def test_pips_temporary_folders_name_the_package_only_when_they_are_its_build_folder(
    paths: str, package: str
) -> None:
    # (the path on a line the classifier reads: one holding an error)
    log = f"Processing /home/me/src/alpha\n  {paths}: error: cannot open\n  boom x\n"
    (diagnosis,) = run(log, make_rule("boom-rule"))
    assert diagnosis.package == package


def test_a_build_folders_lower_case_keeps_the_spelling_pip_printed_for_the_same_project() -> None:
    # pip names its build folder by the normalised name ("pywavelets_<hex>"): whether a line holding that
    # folder is read (it depends on which rules' keywords it holds) must not change the package's spelling.
    folder = "/tmp/pip-install-q1w2e3r4/pywavelets_3e16804f2e72475d99d648115b39014b/setup.py"
    log = f"Collecting PyWavelets==1.1.1\n  {folder}: error: cannot open\n  boom x\n"
    (diagnosis,) = run(log, make_rule("boom-rule"))
    assert diagnosis.package == "PyWavelets"
    # Another project's build folder is another package.
    other = folder.replace("pywavelets", "numpy")
    (diagnosis,) = run(log.replace(folder, other), make_rule("boom-rule"))
    assert diagnosis.package == "numpy"


def test_unknown_package_is_null_and_reads_naturally() -> None:
    (diagnosis,) = run("boom gcc\n", make_rule("boom-rule"))
    assert diagnosis.package is None
    assert diagnosis.summary == "the package went boom on gcc."
    assert diagnosis.fixes == ()  # only-binary needs a package name


def test_conditions_on_facts_filter_rules_and_are_ignored_when_unknown() -> None:
    rule = make_rule("needs-missing-gcc", when={"tool_missing": ["gcc", "cc"]})
    assert run(LOG, rule, facts=RuleFacts(tools_on_path={"gcc": True})) == []
    assert run(LOG, rule, facts=RuleFacts(tools_on_path={"gcc": False, "cc": False}))
    assert run(LOG, rule, facts=RuleFacts())
    assert run(LOG, rule)


def test_blocks_and_lines_give_the_same_evidence() -> None:
    rule = make_rule("boom-rule")
    log = ("filler line\n" * 5000) + LOG + ("more filler\n" * 5000)
    whole = Classifier([rule])
    whole.feed_stream(io.BytesIO(log.encode()))
    by_line = Classifier([rule])
    for number, raw in enumerate(log.encode().split(b"\n"), start=1):
        by_line.feed_line(number, raw)
    assert whole.diagnoses() == by_line.diagnoses()
    assert whole.diagnoses()[0].evidence[0].line == 5006


def test_json_shape_is_the_contracts() -> None:
    (diagnosis,) = run(LOG, make_rule("boom-rule"))
    assert diagnosis.to_json() == {
        "rule": "boom-rule",
        "category": "missing-compiler",
        "confidence": 0.9,
        "package": "alpha",
        "summary": "alpha went boom on gcc.",
        "hint": "Fix gcc.",
        "evidence": [{"line": 6, "text": "boom gcc"}],
        "fixes": [
            {
                "id": "only-binary",
                "title": "Use a pre-built wheel of alpha",
                "auto": True,
                "pip_args": ["--only-binary", "alpha"],
                "env": {},
                "command": "safe-pip install --only-binary alpha alpha==1.0",
            }
        ],
    }


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("ERROR: Package 'oldpkg' requires a different Python: 3.11.7 not in '<3.8'", "python3.7 -m venv"),
        ("ERROR: Package 'futurepy' requires a different Python: 3.11.7 not in '>=3.99'", None),
    ],
    ids=["older-python-exists", "no-python-fits"],
)
def test_use_python_names_a_python_the_requirement_allows_or_nothing(line: str, command: str | None) -> None:
    from safe_pip.rules import load_rules

    diagnoses = classify_stream(io.BytesIO(line.encode() + b"\n"), load_rules())
    assert diagnoses[0].rule == "requires-python"
    suggested = [fix.command for fix in diagnoses[0].fixes if fix.id == "use-python"]
    if command is None:
        assert suggested == []
    else:
        assert len(suggested) == 1
        assert suggested[0].startswith(command)


def test_use_python_from_a_log_keeps_the_pinned_release_its_own_requires_python_allows() -> None:
    from safe_pip.rules import load_rules

    log = (
        "ERROR: Ignored the following versions that require a different python version: "
        "0.9.0 Requires-Python >=3.6,<3.10; 1.0.0 Requires-Python >=3.8,<3.13; 1.1.0 Requires-Python >=3.9\n"
        "ERROR: Could not find a version that satisfies the requirement toolbelt==0.9 (from versions: 1.2.0)\n"
        "ERROR: No matching distribution found for toolbelt==0.9\n"
    )
    diagnoses = classify_stream(io.BytesIO(log.encode()), load_rules())
    assert diagnoses[0].rule == "requires-python"
    (fix,) = [fix for fix in diagnoses[0].fixes if fix.id == "use-python"]
    # 0.9's own range (<3.10), not the newest release's, and the pin goes with it.
    assert fix.command == "python3.9 -m venv .venv && .venv/bin/python -m pip install toolbelt==0.9"
    assert "toolbelt 0.9" in fix.title
    unpinned = classify_stream(io.BytesIO(log.replace("toolbelt==0.9", "toolbelt").encode()), load_rules())
    (plain,) = [fix for fix in unpinned[0].fixes if fix.id == "use-python"]
    assert plain.command == "python3.14 -m venv .venv && .venv/bin/python -m pip install toolbelt"


def test_template_fields_are_the_values_a_rule_asks_for() -> None:
    from safe_pip.rules import load_rules

    rules = {rule.id: rule for rule in load_rules().rules}
    assert "supported_python" in rules["requires-python"].template_fields
    assert "supported_python" not in rules["no-matching-distribution"].template_fields
    assert {"package", "spec", "versions"} <= rules["no-matching-distribution"].template_fields


@pytest.mark.parametrize(
    "name",
    ["x{", "x}", "x{0}", "{package}", "{thing.__class__}"],
    ids=["open", "close", "index", "field", "attr"],
)
def test_braces_in_captured_text_are_printed_as_they_are(name: str) -> None:
    rule = make_rule(
        "boom-rule",
        match={"keywords": ["boom"], "any": [r"boom (?P<thing>\S+)"]},
        fix=[{"action": "only-binary", "title": "Use a wheel, not {thing}"}],
    )
    (diagnosis,) = run(LOG.replace("boom gcc", f"boom {name}"), rule)
    assert diagnosis.summary == f"alpha went boom on {name}."
    assert diagnosis.fixes[0].title == f"Use a wheel, not {name}"


def test_memory_does_not_grow_with_pips_progress_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    # A log of nothing but "Collecting x" lines (150 MB peaked at 1.19 GB when every one was kept): what the
    # package attribution needs is kept per hit, not per progress line. (With the accelerator, lines met
    # again are kept up to a bound, here made small: see Classifier._memo_entry.)
    import tracemalloc

    monkeypatch.setattr(classify, "_MEMO_BYTES", 64 << 10)
    classifier = Classifier([make_rule("boom-rule")])
    block = b"".join(b"Collecting pkg%d\n" % n for n in range(20_000))
    tracemalloc.start()
    try:
        classifier.feed_block(block, 1)  # warm up: compiled patterns, scan plan
        before = tracemalloc.get_traced_memory()[0]
        for start in range(20_001, 200_001, 20_000):
            classifier.feed_block(block, start)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 256 << 10, f"{grown} bytes kept for 180,000 progress lines"


def test_each_hit_keeps_the_package_in_effect_at_its_line() -> None:
    # Many regions, each a package then its failure: an early hit and a late one each get their own region's.
    log = "".join(f"Collecting pkg{n}\n  boom thing{n}\n" for n in range(1000))
    (early,) = run(log, make_rule("boom-rule"))
    assert (early.package, early.evidence[0].line) == ("pkg0", 2)
    (late,) = run(log, make_rule("late", match={"all": ["thing999$"], "window": 1}))
    assert (late.package, late.evidence[0].line) == ("pkg999", 2000)


# -- issue 13: messages over several lines, warnings and consequences in ranking -------------------------
# torch's cpp_extension: "RuntimeError:" alone, then its message over two lines (a banner between, sometimes).
CUDA_LOG = """\
Collecting ext==1.0
  Building wheel for ext (setup.py): started
      No CUDA runtime is found, using CUDA_HOME='/usr/local/cuda'
      RuntimeError:
      ****************************************
      The detected CUDA version (12.1) mismatches the version that was used to compile
      PyTorch (11.8). Please make sure to use the same CUDA versions.
  ERROR: Failed building wheel for ext
"""
TWO_LINE = (
    r"^RuntimeError:\s*\n(?:\*+\n)?The detected CUDA version \((?P<found>[\d.]+)\)[^\n]*"
    r"\nPyTorch \((?P<torch>[\d.]+)\)"
)


def two_line_rule(join: int = 3) -> Rule:
    return make_rule(
        "two-line",
        match={"keywords": ["runtimeerror"], "any": [TWO_LINE], "join": join},
        explain={"summary": "CUDA {found} is not torch's {torch}.", "hint": ""},
    )


def test_a_multi_line_pattern_sees_the_lines_after_its_keyword_line() -> None:
    (diagnosis,) = run(CUDA_LOG, two_line_rule())
    assert diagnosis.summary == "CUDA 12.1 is not torch's 11.8."
    assert diagnosis.package == "ext"
    assert [e.line for e in diagnosis.evidence] == [4, 5, 6, 7]  # every line the match spans
    assert diagnosis.evidence[0].text == "RuntimeError:"


def test_a_window_is_as_long_as_join_says() -> None:
    assert run(CUDA_LOG, two_line_rule(join=2)) == []  # the torch version is 3 lines after the keyword


@pytest.mark.parametrize("cut", [60, 170, 200, 260])
def test_a_window_continues_in_the_next_block_and_line_by_line(cut: int) -> None:
    data = CUDA_LOG.encode()
    cut = data.index(b"\n", cut) + 1  # blocks hold whole lines
    by_block = Classifier([two_line_rule()])
    by_block.feed_block(data[:cut], 1)
    by_block.feed_block(data[cut:], data[:cut].count(b"\n") + 1)
    by_line = Classifier([two_line_rule()])
    for number, raw in enumerate(data.splitlines(), 1):
        by_line.feed_line(number, raw)
    expected = run(CUDA_LOG, two_line_rule())
    assert by_block.diagnoses() == expected
    assert by_line.diagnoses() == expected


def test_a_window_cut_by_the_end_of_the_log_is_still_searched() -> None:
    log = "RuntimeError:\nThe detected CUDA version (12.1) mismatches the version used to compile\nPyTorch (11.8)"
    (diagnosis,) = run(log, two_line_rule(join=5))
    assert [e.line for e in diagnosis.evidence] == [1, 2, 3]


def test_a_line_dropped_by_the_capture_ends_a_window() -> None:
    classifier = Classifier([two_line_rule()])
    lines = CUDA_LOG.encode().splitlines()
    for number in (4, 5, 7):  # line 6 was not kept
        classifier.feed_line(number, lines[number - 1])
    assert classifier.diagnoses() == []


def test_single_line_patterns_of_a_multi_line_rule_still_match_alone() -> None:
    rule = make_rule(
        "both",
        match={"keywords": ["runtimeerror", "boom"], "any": [TWO_LINE, r"boom (?P<thing>\w+)"], "join": 3},
        explain={"summary": "seen", "hint": ""},
    )
    (diagnosis,) = run(LOG, rule)
    assert [e.line for e in diagnosis.evidence] == [6]


def test_a_part_that_ignores_case_still_finds_its_line() -> None:
    # The literal prefilter of "(?i:cmake must be) installed" ("cmake must be") is lower-case, looked for in
    # the lower-cased line.
    rule = make_rule(
        "cmake",
        match={"keywords": ["must be"], "any": [r"(?P<thing>(?i:cmake must be)) installed"]},
    )
    log = "ERROR: CMAKE must be installed to build dlib\n"
    assert [d.rule for d in run(log, rule)] == ["cmake"]
    assert run("ERROR: CMAKE MUST BE INSTALLED\n", rule) == []  # only the part in (?i:...) ignores case


WARNED = """\
Collecting ext==1.0
  Building wheel for ext (setup.py): started
      warned: A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2
      boom nvcc
  ERROR: Failed building wheel for ext
"""


def warning_rule(**overrides: Any) -> Rule:
    return make_rule(
        "numpy-warning",
        category="abi-mismatch",
        priority=95,
        match={"keywords": ["warned"], "any": ["warned: (?P<thing>.+)"]},
        **overrides,
    )


def test_a_warning_ranks_after_the_error_that_follows_it() -> None:
    boom = make_rule("boom-rule", category="missing-cuda", priority=60)
    assert [d.rule for d in run(WARNED, warning_rule(), boom)] == ["numpy-warning", "boom-rule"]
    assert [d.rule for d in run(WARNED, warning_rule(warning=True), boom)] == ["boom-rule", "numpy-warning"]
    # printed after the error, it is not on the way to it: priority decides
    after = WARNED.replace("      boom nvcc\n", "").replace("  ERROR", "      boom nvcc\n  ERROR", 1)
    after = after.replace("      warned", "      boom nvcc\n      warned").replace(
        "      boom nvcc\n  ERROR", "  ERROR"
    )
    assert [d.rule for d in run(after, warning_rule(warning=True), boom)] == ["numpy-warning", "boom-rule"]


def test_a_warning_ranks_after_the_fallback_when_nothing_else_explains_the_failure() -> None:
    fallback = make_rule(
        "generic",
        category="build-failed",
        priority=45,
        fallback=True,
        match={"keywords": ["failed building"], "any": ["Failed building wheel for (?P<thing>\\S+)"]},
    )
    assert [d.rule for d in run(WARNED, warning_rule(), fallback)] == ["numpy-warning"]
    assert [d.rule for d in run(WARNED, warning_rule(warning=True), fallback)] == ["generic", "numpy-warning"]
    assert [
        d.rule
        for d in run(
            WARNED.replace("  ERROR: Failed building wheel for ext\n", ""),
            warning_rule(warning=True),
            fallback,
        )
    ] == ["numpy-warning"]


OFFLINE = """\
Collecting ext==1.0
  Building wheel for ext (pyproject.toml): started
      boom cargo
      fetched: [Errno -3] Temporary failure in name resolution
  ERROR: Failed building wheel for ext
"""


def test_a_failure_a_missing_tool_caused_ranks_after_it() -> None:
    tool = make_rule("tool-missing", category="missing-rust", priority=60)
    network = make_rule(
        "offline",
        category="network-error",
        priority=90,
        match={"keywords": ["fetched"], "any": ["fetched: (?P<thing>.+)"]},
    )
    assert [d.rule for d in run(OFFLINE, tool, network)] == ["offline", "tool-missing"]
    explaining = make_rule("tool-missing", category="missing-rust", priority=60, explains=["network-error"])
    assert [d.rule for d in run(OFFLINE, explaining, network)] == ["tool-missing", "offline"]
    # a network failure before the tool was looked for is not its consequence
    before = OFFLINE.replace("      boom cargo\n", "").replace("  ERROR", "      boom cargo\n  ERROR")
    assert [d.rule for d in run(before, explaining, network)] == ["offline", "tool-missing"]
