"""What safe-pip must never do, whatever a rule file or a log says: change where packages come from, trust a
host, override the OS's protection, weaken hash checking, or show credentials; and never run a shell."""

from __future__ import annotations

import ast
import io
import json
import shlex
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from safe_pip.fixes import ACTIONS, SAFE, FixContext, render_fix
from safe_pip.redact import redact, redact_json
from safe_pip.render import Console
from tests.conftest import hermetic_env, make_venv, require_wheelhouse, safe_pip_argv
from tests.lab.factory import make_sdist
from tests.lab.projects import pyproject, setup_py_project
from tests.lab.servers import serve_index

SRC = Path(__file__).resolve().parent.parent / "src" / "safe_pip"

# What a fix applied by --fix may add to the user's command line, and the options among them that take a value.
ALLOWED_OPTIONS = {
    "--only-binary",
    "--no-binary",
    "--prefer-binary",
    "--no-build-isolation",
    "--timeout",
    "--retries",
    "--no-cache-dir",
}
TAKES_VALUE = {"--only-binary", "--no-binary", "--timeout", "--retries"}
BUILD_JOB_ENV = {
    "MAX_JOBS",
    "CMAKE_BUILD_PARALLEL_LEVEL",
    "CARGO_BUILD_JOBS",
    "NPY_NUM_BUILD_JOBS",
    "MAKEFLAGS",
}

hostile = st.one_of(
    st.sampled_from(
        [
            "--index-url=http://evil.example/simple",
            "-ihttp://evil.example/simple",
            "--extra-index-url",
            "--trusted-host=evil.example",
            "--break-system-packages",
            "--user",
            "--require-hashes",
            "hashes",
            "s",
            ":all:",
            "psutil",
            "psutil.whl",
            "1 --index-url http://evil.example",
            "",
        ]
    ),
    st.text(max_size=30),
)
user_args = st.lists(
    st.sampled_from(
        [
            "psutil",
            "psutil<6",
            "-r",
            "requirements.txt",
            "--require-hashes",
            "--index-url",
            "https://user:token@pypi.example/simple",
            "./dist/psutil-5.9.0-cp27-cp27mu-manylinux1_x86_64.whl",
            "--no-deps",
        ]
    ),
    max_size=6,
)


@settings(max_examples=600, deadline=None)
# a superscript digit passes str.isdigit() but not int() (a fresh-clone CI run found it)
@example(action="limit-build-jobs", params={"jobs": "\u00b2"}, package=None, args=[], found_version=None)
@given(
    action=st.sampled_from(sorted(name for name, spec in ACTIONS.items() if spec.safety == SAFE)),
    params=st.dictionaries(st.sampled_from(["package", "instead_of", "jobs", "module", "version"]), hostile),
    package=st.one_of(st.none(), hostile),
    args=user_args,
    found_version=st.one_of(st.none(), hostile),
)
def test_an_automatic_fix_only_adds_safe_options_and_keeps_the_users(
    action: str, params: dict[str, str], package: str | None, args: list[str], found_version: str | None
) -> None:
    context = FixContext(
        package=package,
        pip_args=tuple(args),
        wheel_version=lambda _requirement: found_version,
        importable=lambda _module: True,
        target_venv=lambda: True,
        build_jobs=2,
    )
    fix = render_fix(action, params, context)
    if fix is None or not fix.auto:
        return
    assert fix.args is not None
    added = list((Counter(fix.args) - Counter(args)).elements())
    position = 0
    while position < len(added):
        word = added[position]
        if word.startswith("-"):
            assert word in ALLOWED_OPTIONS, fix
            position += 2 if word in TAKES_VALUE else 1
            continue
        # a requirement replacing the user's, or the pin of a package: a name, never an option
        assert word[0].isalnum(), fix
        position += 1
    # every option the user gave is still there (--require-hashes, their index)
    options = Counter(arg for arg in args if arg.startswith("-"))
    assert not options - Counter(fix.args), fix
    assert set(fix.env) <= BUILD_JOB_ENV, fix
    assert all(value.lstrip("-j").isdigit() for value in fix.env.values()), fix
    if fix.before:
        assert fix.before[:3] == ("install", "--upgrade", "pip"), fix
        assert set(fix.before[3:]) <= set(args), fix


def test_unsafe_and_index_changing_actions_are_never_applied() -> None:
    context = FixContext(package="psutil", pip_args=("psutil",))
    for action in ("break-system-packages", "trusted-host", "user-install", "set-cert", "set-proxy"):
        fix = render_fix(action, {"host": "pypi.org"}, context)
        assert fix is not None
        assert not fix.auto, action
    assert render_fix("break-system-packages", {}, context).safety == "unsafe"  # type: ignore[union-attr]


def test_no_rule_proposes_turning_tls_verification_off_for_a_certificate_problem() -> None:
    # A certificate that is not trusted, expired or for another name (category ssl-error) is fixed by giving
    # pip the CA (--cert, the system's trust store) or by the index's owner, never by --trusted-host, which
    # turns verification off for the host (the ssl rules' hints say not to). A plain-HTTP index the user
    # named (insecure-index-ignored: there is no certificate to verify) may still be trusted by name.
    from safe_pip.rules import load_rules

    rules = load_rules().rules
    ssl_rules = [
        rule for rule in rules if rule.category == "ssl-error" and rule.id != "insecure-index-ignored"
    ]
    assert len(ssl_rules) >= 5
    for rule in ssl_rules:
        assert all(fix.action != "trusted-host" for fix in rule.fixes), rule.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:s3cret@pypi.example/simple", "https://user:****@pypi.example/simple"),
        ("--index-url=https://ghp_abc123@host/simple/", "--index-url=https://****@host/simple/"),
        (
            "Looking in indexes: http://u:p@127.0.0.1:8080/simple",
            "Looking in indexes: http://u:****@127.0.0.1:8080/simple",
        ),
        (
            "git+https://oauth2:tok@gitlab.example/g/p.git@v1.0",
            "git+https://oauth2:****@gitlab.example/g/p.git@v1.0",
        ),
        ("a https://a:1@x b https://b:2@y", "a https://a:****@x b https://b:****@y"),
        ("https://pypi.org/simple/ no credentials", "https://pypi.org/simple/ no credentials"),
        ("pkg @ file:///tmp/pkg.whl, mail me@example.com", "pkg @ file:///tmp/pkg.whl, mail me@example.com"),
        ("https://pypi.example/simple/@scope/pkg", "https://pypi.example/simple/@scope/pkg"),
        # The credentials end at the netloc's last `@` (pip's rule), whatever the password holds.
        ("-i https://alice:p@ssTAIL@host/simple x", "-i https://alice:****@host/simple x"),
        ("https://tok@en@host/", "https://****@host/"),
        ("https://alice:it's\"q@host/simple", "https://alice:****@host/simple"),
        # A fix command, shell-quoted: the quoting survives the mask.
        (
            "safe-pip install --index-url 'https://alice:pa'\"'\"'ss@host/simple' foo",
            "safe-pip install --index-url 'https://alice:****@host/simple' foo",
        ),
        ("https://a:b:c@host:8080/x?q=1", "https://a:****@host:8080/x?q=1"),
        ("https://a@b,https://c:d@e/", "https://****@b,https://c:****@e/"),
        ("https://o'brien@x:pw@host/", "https://o%27brien%40x:****@host/"),  # the user as pip shows it
    ],
    ids=lambda value: value[:40],
)
def test_credentials_in_urls_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_json_values_are_masked_at_any_depth() -> None:
    report = {
        "command": ["pip", "-i", "https://u:pw@h/simple"],
        "attempts": [{"env": {"X": "https://t@h"}}],
        "n": 1,
    }
    assert redact_json(report) == {
        "command": ["pip", "-i", "https://u:****@h/simple"],
        "attempts": [{"env": {"X": "https://****@h"}}],
        "n": 1,
    }


@settings(max_examples=300)
@given(
    user=st.text("abc-_.%", min_size=1, max_size=8), secret=st.text("xyz0123456789!$&()*+,;=~", min_size=3)
)
def test_a_masked_url_never_holds_its_password(user: str, secret: str) -> None:
    url = f"https://{user}:{secret}@host.example/simple"
    assert secret not in redact(f"pip install -i {url} pkg").replace("host.example", "")


# What a netloc may hold in a command line: anything but whitespace and the characters that end it.
_NETLOC_TEXT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="/?#[]\\"),
    min_size=1,
    max_size=24,
)


@settings(max_examples=500)
# (A path starting `/` after a netloc ending in `:` makes `x:://...`, read as a second URL: masked more than
# pip would, never less.)
@given(
    netloc=_NETLOC_TEXT, path=st.text("abc/._-@", max_size=10).filter(lambda path: not path.startswith("/"))
)
def test_a_url_is_masked_exactly_as_pip_masks_it(netloc: str, path: str) -> None:
    """pip's own redact_auth_from_url is the reference, for any netloc (quotes, `@`, `:`, `%` included)."""
    from pip._internal.utils.misc import redact_auth_from_url

    url = f"https://{netloc}/{path}"
    expected = redact_auth_from_url(url)
    assert redact(url) == expected
    assert redact(f"safe-pip: retrying with --index-url {url} pkg") == (
        f"safe-pip: retrying with --index-url {expected} pkg"
    )
    assert redact_json({"argv": ["pip", url]}) == {"argv": ["pip", expected]}


@settings(max_examples=300)
@given(user=_NETLOC_TEXT.filter(lambda user: "'" not in user), password=_NETLOC_TEXT)
def test_a_printed_command_is_masked_and_still_pastes(user: str, password: str) -> None:
    """A command holding an index URL, shell-quoted and printed: the URL word is pip's masked URL. (A user
    holding `'` is shown as its shell quoting, percent-quoted: masked, but not pip's spelling of it.)"""
    from pip._internal.utils.misc import redact_auth_from_url

    url = f"https://{user}:{password}@host.example/simple"
    stream = io.StringIO()
    command = " ".join(shlex.quote(word) for word in ["safe-pip", "install", "-i", url, "pkg"])
    Console(color=False, stream=stream).say(f"fix: {command}")
    printed = stream.getvalue().removeprefix("safe-pip: fix: ")
    assert shlex.split(printed) == ["safe-pip", "install", "-i", redact_auth_from_url(url), "pkg"]


def test_safe_pip_runs_no_shell() -> None:
    """No `shell=True`, os.system or os.popen anywhere in safe-pip: user arguments are never a shell's input."""
    for path in sorted(SRC.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    shell_true = isinstance(keyword.value, ast.Constant) and keyword.value.value is True
                    assert not (keyword.arg == "shell" and shell_true), f"{path.name}:{node.lineno}"
                function = node.func
                if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
                    called = f"{function.value.id}.{function.attr}"
                    assert called not in ("os.system", "os.popen"), f"{path.name}:{node.lineno}"


# setup.py of a build that fails like a compile killed for memory unless the build jobs are limited.
_KILLED_UNLESS_FEW_JOBS = """\
import os, sys
from setuptools import setup

if not os.environ.get("MAX_JOBS"):
    sys.stderr.write("building 2 extensions with 2 jobs\\n")  # parallel: fewer jobs can help
    sys.stderr.write("c++: fatal error: Killed signal terminated program cc1plus\\n")
    sys.exit(1)
setup(name="broken", version="1.0", py_modules=[])
"""


@pytest.mark.e2e
def test_credentials_never_reach_messages_reports_or_history(tmp_path: Path) -> None:
    """A real failing build from an index whose URL holds a password, with --fix: the password is in no line
    safe-pip prints, not in the JSON report, not in the history database; the saved log is the user's only.
    The password holds a raw `@` and quotes, which pip reads as part of it (the netloc's last `@` ends it).
    The build fails as a compiler killed for memory does, so the fix tried (fewer jobs) needs no wheel."""
    wheelhouse = require_wheelhouse()
    index = tmp_path / "index"
    make_sdist(
        index,
        "broken",
        "1.0",
        setup_py_project("broken", _KILLED_UNLESS_FEW_JOBS, pyproject_toml=pyproject()),
    )
    for wheel in wheelhouse.glob("*.whl"):  # the build's setuptools and wheel come from the same index
        (index / wheel.name).symlink_to(wheel)
    python = make_venv(tmp_path / "venv")
    env = hermetic_env(tmp_path)
    report = tmp_path / "report.json"
    with serve_index(index) as url:
        secret_url = url.replace("http://", "http://builder:hunter2-'s3\"c@ret@")
        result = subprocess.run(
            safe_pip_argv(
                "-v", "--fix", "--json-report", str(report), "--python", str(python),
                "install", "--index-url", secret_url, "--retries", "0", "broken",
            ),
            env=env, capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    messages = [line for line in result.stderr.splitlines() if line.startswith("safe-pip:")]
    assert any("builder:****@" in line for line in messages), result.stderr  # the command is shown, masked
    assert any(line.startswith("safe-pip: running ") for line in messages), result.stderr  # the -v line
    for secret in ("hunter2", "s3", "ret@"):
        assert secret not in "\n".join(messages)
    data = json.loads(report.read_text())
    assert len(data["attempts"]) >= 2, data  # a fix was tried, so its command is in the report too
    for secret in ("hunter2", "s3", "ret@"):
        assert secret not in report.read_text()
    assert "builder:****@" in json.dumps(data["command"])
    history = list((tmp_path / "data").rglob("history.sqlite3"))
    assert history, "the fix that was tried is remembered"
    with sqlite3.connect(history[0]) as database:
        rows = database.execute("SELECT * FROM fix_outcomes").fetchall()
    assert rows
    assert "hunter2" not in repr(rows)
    log = Path(data["log_file"])
    assert log.stat().st_mode & 0o777 == 0o600


# Sources a user may name instead of a project on the index, and projects a build from them may be named
# (the source's own name, or another: `git+https://host/org/whisp.git` builds `rowan-whisp`).
_DIRECT_SOURCES = [
    "git+https://git.example/lab/whisp.git",
    "git+https://git.example/lab/whisp.git@v1.0#egg=whisp",
    "whisp @ git+https://git.example/lab/whisp@v1.0",
    "https://files.example/dist/whisp-1.0.tar.gz",
    "./vendor/whisp",
    "./dist/whisp-1.0-cp311-cp311-linux_x86_64.whl",
]


@settings(max_examples=300, deadline=None)
@given(
    action=st.sampled_from(sorted(name for name, spec in ACTIONS.items() if spec.safety == SAFE)),
    source=st.sampled_from(_DIRECT_SOURCES),
    package=st.sampled_from(["whisp", "rowan-whisp"]),
    others=st.lists(st.sampled_from(["-q", "--no-deps", "requests"]), max_size=2),
)
def test_an_automatic_fix_never_swaps_the_users_source_for_a_name_on_the_index(
    action: str, source: str, package: str, others: list[str]
) -> None:
    """The fix review (fixsafety-2026-12-02k): `--only-binary rowan-whisp rowan-whisp` was applied by itself to
    `pip install git+https://.../whisp.git`, whose project the index may hold as an unrelated one."""
    args = (source, *others)
    context = FixContext(
        package=package,
        pip_args=args,
        wheel_version=lambda _requirement: "1.0",
        wheel_versions=lambda _project: ("1.0",),
        importable=lambda _module: True,
        target_venv=lambda: True,
        build_jobs=2,
    )
    fix = render_fix(action, {}, context)
    if fix is None or not fix.auto:
        return
    assert fix.args is not None
    assert source in fix.args, fix  # the user's source stays
    added = list((Counter(fix.args) - Counter(args)).elements())
    requirements = {
        word.split("==")[0].lower()
        for at, word in enumerate(added)
        if not word.startswith("-") and (at == 0 or added[at - 1] not in TAKES_VALUE)
    }
    # no requirement of either name is added
    assert package not in requirements, fix
    assert "whisp" not in requirements, fix
    if package == "whisp":
        # the project the user named by its source: no option says to take it from the index as a wheel
        assert "--only-binary" not in added, fix
