from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from safe_pip.fixes import ACTIONS, SAFE, UNSAFE, Fix, FixContext, PinMove, render_fix

PSUTIL = FixContext(package="psutil")


@pytest.mark.parametrize(
    ("action", "params", "context", "command", "auto"),
    [
        ("only-binary", {}, PSUTIL, "safe-pip install --only-binary psutil psutil", True),
        (
            "only-binary",
            {},
            FixContext(package="psutil", pip_args=("-r", "req.txt")),
            "safe-pip install --only-binary psutil -r req.txt",
            True,
        ),
        ("no-binary", {}, PSUTIL, "safe-pip install --no-binary psutil psutil", True),
        ("prefer-binary", {}, PSUTIL, "safe-pip install --prefer-binary psutil", True),
        (
            "limit-build-jobs",
            {"jobs": "2"},
            PSUTIL,
            "MAX_JOBS=2 CMAKE_BUILD_PARALLEL_LEVEL=2 CARGO_BUILD_JOBS=2 NPY_NUM_BUILD_JOBS=2 MAKEFLAGS=-j2 "
            "safe-pip install psutil",
            True,
        ),
        (
            "no-build-isolation",
            {"module": "torch"},
            FixContext(package="flash-attn"),
            "safe-pip install torch && safe-pip install --no-build-isolation flash-attn",
            False,
        ),
        (
            "install-system-package",
            {"what": "libpq", "apt": "libpq-dev", "dnf": "libpq-devel"},
            PSUTIL,
            "sudo apt-get install -y libpq-dev",
            False,
        ),
        (
            "install-system-package",
            {"what": "libpq", "apt": "libpq-dev", "dnf": "libpq-devel"},
            FixContext(package="psycopg2", package_manager="dnf"),
            "sudo dnf install -y libpq-devel",
            False,
        ),
        ("set-cuda-home", {}, PSUTIL, "CUDA_HOME=/usr/local/cuda safe-pip install psutil", False),
        (
            "set-cuda-home",
            {"version": "12.8"},
            PSUTIL,
            "CUDA_HOME=/usr/local/cuda-12.8 safe-pip install psutil",
            False,
        ),
        (
            "set-cuda-home",
            {"version": "see torch.version.cuda"},
            PSUTIL,
            "CUDA_HOME=/usr/local/cuda safe-pip install psutil",
            False,
        ),
        (
            "upgrade-pip",
            {},
            FixContext(python="/v/bin/python"),
            "/v/bin/python -m pip install --upgrade pip",
            False,
        ),
        ("break-system-packages", {}, PSUTIL, "safe-pip install --break-system-packages psutil", False),
        (
            "trusted-host",
            {"host": "pypi.example"},
            PSUTIL,
            "safe-pip install --trusted-host pypi.example psutil",
            False,
        ),
        (
            "use-python",
            {"version": "3.11"},
            PSUTIL,
            "python3.11 -m venv .venv && .venv/bin/python -m pip install psutil",
            False,
        ),
    ],
    ids=[
        "only-binary",
        "only-binary-requirements",
        "no-binary",
        "prefer-binary",
        "build-jobs",
        "no-build-isolation",
        "system-default-apt",
        "system-dnf",
        "cuda-home",
        "cuda-home-of-a-version",
        "cuda-home-version-unknown",
        "upgrade-pip",
        "break-system-packages",
        "trusted-host",
        "use-python",
    ],
)
def test_render(action: str, params: dict[str, str], context: FixContext, command: str, auto: bool) -> None:
    fix = render_fix(action, params, context)
    assert fix is not None
    assert fix.command == command
    assert fix.auto is auto


def test_package_fixes_need_a_package_and_never_all() -> None:
    assert render_fix("only-binary", {}, FixContext()) is None
    assert render_fix("no-binary", {}, FixContext(package=":all:")) is None


def test_a_wheel_the_index_was_not_asked_about_is_offered_as_unchecked() -> None:
    """pyaudio 0.2.14 on Linux (a real run): its releases have wheels for Windows only. A run that picks no
    fix does not ask the index, so the title must not promise a wheel (ujson: not known either way); one
    that asked, and heard of none, offers nothing; the index's answer is what counts when it was asked."""
    unasked = render_fix("only-binary", {}, FixContext(package="ujson", pip_args=("ujson",)))
    assert unasked is not None
    assert unasked.title.startswith("Use a pre-built wheel of ujson, if the index has one for this machine")
    assert (
        render_fix(
            "only-binary",
            {},
            FixContext(package="pyaudio", pip_args=("pyaudio",), wheel_versions=lambda _: ()),
        )
        is None
    )
    asked = FixContext(package="pyaudio", pip_args=("pyaudio",), wheel_versions=lambda _: ("0.2.13",))
    fix = render_fix("only-binary", {}, asked)
    assert fix is not None
    assert fix.title == "Use a pre-built wheel of pyaudio"


def test_no_wheel_is_proposed_on_a_system_the_project_publishes_none_for() -> None:
    """siblings.toml's [wheels] entries (sdist-only projects on Linux: gdal, dlib, uwsgi, dbus-python, ...):
    a log from Linux gets no `--only-binary` for them, one from a system the entry lists does."""
    from safe_pip.siblings import load_siblings

    systems_of = load_siblings().wheel_systems
    assert {"gdal", "dlib", "uwsgi", "dbus-python", "python-ldap"} <= set(systems_of)
    for project, systems in systems_of.items():
        for system in ("linux", "darwin", "win32"):
            context = FixContext(package=project, log_system=system)
            fix = render_fix("only-binary", {}, context)
            assert (fix is not None) == (system in systems), (project, system)


def test_a_rule_can_turn_auto_off_but_unsafe_actions_are_never_auto() -> None:
    only = render_fix("only-binary", {}, PSUTIL, allow_auto=False)
    assert only is not None
    assert not only.auto
    for action, spec in ACTIONS.items():
        params = dict.fromkeys(spec.required, "x")
        # psycopg2: a project with a known binary sibling, so that every action has something to say.
        # (install-build-backend is a fix only for a build the user runs without isolation.)
        # (an upgrade is a fix only of a version the user gave: unpinned, pip took the newest already.)
        args = ("--no-build-isolation", "psycopg2") if action == "install-build-backend" else ("psycopg2",)
        args = ("psycopg2<2.9",) if action == "upgrade-package" else args
        context = FixContext(package="psycopg2", pip_args=args, wheel_version=lambda _: "2.9.9")
        fix = render_fix(action, params, context)
        assert fix is not None, action
        # Automatic only when safe, and when applying it is re-running pip with other arguments or variables
        # (upgrading pip, or installing a build dependency first, are not applied by themselves yet).
        assert fix.auto is (spec.safety == SAFE and fix.args is not None), action
        if spec.safety == UNSAFE:
            assert not fix.auto


def test_only_binary_can_replace_a_wheel_path_by_the_package() -> None:
    context = FixContext(package="winonly", pip_args=("./dist/winonly-1.0-cp311-cp311-win_amd64.whl", "-q"))
    fix = render_fix("only-binary", {"instead_of": "winonly-1.0-cp311-cp311-win_amd64.whl"}, context)
    assert fix is not None
    assert fix.command == "safe-pip install --only-binary winonly winonly -q"


@pytest.mark.parametrize(
    ("params", "manager", "command"),
    [
        ({"what": "x", "header": "ffi.h"}, "apt", "sudo apt-get install -y libffi-dev"),
        ({"what": "x", "header": "ffi.h"}, "dnf", "sudo dnf install -y libffi-devel"),
        ({"what": "x", "header": "libxml/xmlversion.h"}, "apk", "apk add libxml2-dev libxslt-dev"),
        ({"what": "x", "library": "ssl"}, "brew", "brew install openssl"),
        ({"what": "x", "library": "pq"}, "apt", "sudo apt-get install -y libpq-dev"),
        ({"what": "x", "tool": "pg_config"}, "dnf", "sudo dnf install -y libpq-devel"),
        ({"what": "x", "header": "portaudio.h"}, None, "sudo apt-get install -y portaudio19-dev"),
    ],
    ids=["ffi-apt", "ffi-dnf", "libxml-apk", "ssl-brew", "pq-apt", "pg-config-dnf", "unknown-manager-apt"],
)
def test_system_packages_from_the_table(params: dict[str, str], manager: str | None, command: str) -> None:
    fix = render_fix("install-system-package", params, FixContext(package="x", package_manager=manager))
    assert fix is not None
    assert fix.command == command


def test_no_command_for_something_no_package_is_known_to_provide() -> None:
    assert render_fix("install-system-package", {"what": "x", "header": "myown.h"}, PSUTIL) is None


def test_options_the_command_already_has_are_not_offered_again() -> None:
    applied = FixContext(package="psutil", pip_args=("--no-cache-dir", "psutil"))
    assert render_fix("no-cache", {}, applied) is None
    assert (
        render_fix(
            "only-binary", {}, FixContext(package="psutil", pip_args=("--only-binary", "psutil", "psutil"))
        )
        is None
    )
    # another package's --only-binary is not this one's
    other = render_fix(
        "only-binary", {}, FixContext(package="psutil", pip_args=("--only-binary", "numpy", "psutil"))
    )
    assert other is not None
    assert other.args == ("--only-binary", "psutil", "--only-binary", "numpy", "psutil")


def test_no_build_isolation_is_a_safe_rerun_only_when_the_module_is_installed() -> None:
    installed = {"torch"}
    context = FixContext(package="flash-attn", pip_args=("flash-attn",), importable=installed.__contains__)
    there = render_fix("no-build-isolation", {"module": "torch"}, context)
    assert there is not None
    assert (there.auto, there.args) == (True, ("--no-build-isolation", "flash-attn"))
    missing = render_fix("no-build-isolation", {"module": "numpy"}, context)
    assert missing is not None
    assert missing.auto is False
    assert missing.command.startswith("safe-pip install numpy && ")
    unknown = render_fix("no-build-isolation", {"module": "torch"}, FixContext(package="flash-attn"))
    assert unknown is not None
    assert unknown.auto is False


@pytest.mark.parametrize(
    ("pip_args", "expected", "asked_for"),
    [
        (("psutil", "-q"), ("--only-binary", "psutil", "psutil==5.9.8", "-q"), "psutil"),
        (("-r", "req.txt"), ("--only-binary", "psutil", "-r", "req.txt", "psutil==5.9.8"), "psutil"),
        # pip is asked within the user's range, and the pin keeps the extras.
        (
            ("PSUtil[test]<6", "six"),
            ("--only-binary", "psutil", "PSUtil[test]==5.9.8", "six"),
            "psutil<6",
        ),
        # "-c psutil" would be a constraints file named psutil, not the requirement.
        (("-c", "psutil", "psutil"), ("--only-binary", "psutil", "-c", "psutil", "psutil==5.9.8"), "psutil"),
    ],
    ids=["bare-name-replaced", "requirements-file-added", "range-and-extras", "option-value-skipped"],
)
def test_pin_to_wheel_pins_the_version_pip_found(
    pip_args: tuple[str, ...], expected: tuple[str, ...], asked_for: str
) -> None:
    asked: list[str] = []

    def newest(package: str) -> str | None:
        asked.append(package)
        return "5.9.8"

    fix = render_fix(
        "pin-to-wheel", {}, FixContext(package="psutil", pip_args=pip_args, wheel_version=newest)
    )
    assert fix is not None
    assert (fix.auto, fix.args, asked) == (True, expected, [asked_for])
    assert fix.title == "Install psutil 5.9.8, its newest release with a wheel for this Python"
    # No answer from pip (or not asked): no pin is offered; only-binary is the rule's next fix.
    assert render_fix("pin-to-wheel", {}, FixContext(package="psutil", wheel_version=lambda _: None)) is None
    assert render_fix("pin-to-wheel", {}, FixContext(package="psutil")) is None


def test_upgrade_pip_runs_first_in_a_venv_with_the_users_sources() -> None:
    user = ("--no-index", "--find-links", "/wheels", "fresh")
    in_venv = render_fix(
        "upgrade-pip",
        {},
        FixContext(package="fresh", pip_args=user, python="/v/bin/python", target_venv=lambda: True),
    )
    assert in_venv is not None
    assert in_venv.auto
    assert in_venv.before == ("install", "--upgrade", "pip", "--no-index", "--find-links", "/wheels")
    assert in_venv.args == user  # then the user's command, unchanged
    assert in_venv.command == (
        "/v/bin/python -m pip install --upgrade pip --no-index --find-links /wheels"
        " && safe-pip install --no-index --find-links /wheels fresh"
    )
    # Outside a venv (or not knowing), the same command is printed but never run by --fix.
    for target_venv in (lambda: False, None):
        system = render_fix(
            "upgrade-pip",
            {},
            FixContext(package="fresh", pip_args=user, python="/usr/bin/python3", target_venv=target_venv),
        )
        assert system is not None
        assert (system.auto, system.before, system.args) == (False, (), None)
        assert system.command.startswith("/usr/bin/python3 -m pip install --upgrade pip --no-index")


# -- issue 18: a fix keeps where packages come from and the versions the user gave ---------------------------
def _wheels(available: dict[str, str | None]) -> tuple[list[str], FixContext]:
    """A wheel_version stand-in: what pip would say per requirement asked (None: no wheel), and the asks."""
    asked: list[str] = []

    def newest(requirement: str) -> str | None:
        asked.append(requirement)
        return available.get(requirement)

    return asked, FixContext(wheel_version=newest)


@pytest.mark.parametrize(
    "pip_args",
    [
        ("--no-build-isolation", "--no-binary", "psutil", "psutil==5.9.0"),
        ("--no-binary=:all:", "psutil"),
        ("--no-binary", "requests,PSUTIL", "psutil"),
    ],
)
@pytest.mark.parametrize("action", ["pin-to-wheel", "only-binary"])
def test_no_wheel_fix_for_a_package_the_user_builds_from_source(
    pip_args: tuple[str, ...], action: str
) -> None:
    """iniconfig 2.0.0 with `--no-binary iniconfig`: an `--only-binary` put before the user's option changes
    nothing (pip takes the last), and a wheel is what they said not to install."""
    context = FixContext(package="psutil", pip_args=pip_args, wheel_version=lambda _: "5.9.8")
    assert render_fix(action, {}, context) is None
    other = replace(context, pip_args=("--no-binary", "requests", "psutil"))
    fix = render_fix(action, {}, other)
    assert fix is not None
    assert fix.auto


def test_pin_to_wheel_asks_within_the_requirement_files_pin() -> None:
    from safe_pip.requested import read_user_requests

    files = {"req.txt": "psutil>=5.9,<6\nsix\n"}
    asked, context = _wheels({"psutil<6,>=5.9": "5.9.8"})
    requests = read_user_requests(("-r", "req.txt"), files.get)
    context = replace(context, package="psutil", pip_args=("-r", "req.txt"), requests=requests)
    fix = render_fix("pin-to-wheel", {}, context)
    assert fix is not None
    assert (fix.auto, fix.args, asked) == (
        True,
        ("--only-binary", "psutil", "-r", "req.txt", "psutil==5.9.8"),
        ["psutil<6,>=5.9"],
    )


def test_a_pin_without_a_wheel_gets_the_nearest_release_as_a_suggestion_only() -> None:
    from safe_pip.requested import read_user_requests

    files = {"req.txt": "psutil==5.9.0\n"}
    asked: list[str] = []

    def versions(project: str) -> tuple[str, ...]:
        asked.append(project)
        return ("5.9.8", "6.0.0", "7.2.2")  # nothing within ==5.9.0; 5.9.8 is the nearest

    requests = read_user_requests(("-r", "req.txt"), files.get)
    context = FixContext(
        package="psutil", pip_args=("-r", "req.txt"), requests=requests, wheel_versions=versions
    )
    fix = render_fix("pin-to-wheel", {}, context)
    assert fix is not None
    assert asked == ["psutil"]  # one question answers both "within" and "nearest"
    assert fix.auto is False
    assert "psutil 5.9.0 has no wheel for this Python; 5.9.8 is the nearest release with one" in fix.title
    assert "req.txt line 1" in fix.title
    # With --fix-versions nearest, pip reads a copy of the file with that line changed, beside the original
    # (a second pin on the command line would conflict with the file's).
    nearest = render_fix("pin-to-wheel", {}, replace(context, fix_versions="nearest"))
    assert nearest is not None
    assert nearest.auto is True
    assert nearest.args == ("--only-binary", "psutil", "-r", ".req.txt.safe-pip-nearest.txt")
    assert nearest.files == ((".req.txt.safe-pip-nearest.txt", "psutil==5.9.8\n"),)
    assert nearest.moves_pin == PinMove("psutil", "5.9.0", "5.9.8")


def test_fix_versions_nearest_moves_a_command_line_pin_and_says_so() -> None:
    context = FixContext(
        package="numpy",
        pip_args=("numpy==1.21.0 ; python_version>'3'",),
        wheel_versions=lambda project: ("1.26.4", "2.1.0"),
    )
    plain = render_fix("pin-to-wheel", {}, context)
    assert plain is not None
    assert plain.auto is False
    assert str(plain.moves_pin) == "numpy 1.21.0 -> 1.26.4"
    fix = render_fix("pin-to-wheel", {}, replace(context, fix_versions="nearest"))
    assert fix is not None
    assert fix.auto is True
    # The marker stays with the requirement.
    assert fix.args == ("--only-binary", "numpy", "numpy==1.26.4 ; python_version>'3'")
    assert fix.to_json()["moves_pin"] == "numpy 1.21.0 -> 1.26.4"


@pytest.mark.parametrize(
    ("text", "line", "changed"),
    [
        ("six\npsutil==5.9.0  # pinned by ops\n", 2, "six\npsutil==5.9.8  # pinned by ops\n"),
        (
            "PSUtil[test]==5.9.0 ; python_version > '3'\r\n",
            1,
            "PSUtil[test]==5.9.8 ; python_version > '3'\r\n",
        ),
        ("psutil==5.9.0 \\\n    --hash=sha256:abc\n", 1, None),
        ("psutil==5.9.0 --hash=sha256:abc\n", 1, None),
        ("psutil==5.9.0\n", 3, None),
    ],
    ids=["comment-kept", "extras-marker-crlf", "continued", "hashed", "no-such-line"],
)
def test_with_pin_changes_one_line_and_keeps_the_rest(text: str, line: int, changed: str | None) -> None:
    from safe_pip.requested import with_pin

    assert with_pin(text, line, "5.9.8") == changed


@pytest.mark.parametrize(
    "pip_args",
    [
        ("./dist/psutil-5.9.0.tar.gz",),
        ("psutil @ https://files.example/psutil-5.9.0.tar.gz",),
        ("-e", "git+https://git.example/psutil#egg=psutil"),
        # A folder or archive whose project the command line does not name: pip's log names it by the folder.
        ("./psutil",),
        ("/src/psutil/",),
        ("file:///src/psutil-5.9.0.tar.gz",),
    ],
    ids=["local-sdist", "direct-url", "editable-vcs", "unnamed-folder", "absolute-folder", "file-url"],
)
@pytest.mark.parametrize("action", ["pin-to-wheel", "only-binary", "no-binary"])
def test_no_named_fix_for_a_project_the_user_installs_from_a_file_or_url(
    action: str, pip_args: tuple[str, ...]
) -> None:
    _, context = _wheels({"psutil": "7.2.2"})
    assert render_fix(action, {}, replace(context, package="psutil", pip_args=pip_args)) is None


@pytest.mark.parametrize("action", ["pin-to-wheel", "only-binary"])
def test_a_log_whose_package_came_from_a_path_gets_no_fix_by_name_from_the_index(action: str) -> None:
    _, context = _wheels({"proj": "2.0"})
    by_name = render_fix(action, {}, replace(context, package="proj"))
    assert by_name is not None  # the same log naming the project from the index: the fix is offered
    assert render_fix(action, {}, replace(context, package="proj", package_path="/tmp/proj")) is None


def test_a_printed_rerun_installs_the_logs_path_again_not_the_name() -> None:
    fix = render_fix(
        "no-build-isolation", {"module": "torch"}, FixContext(package="proj", package_path="./proj")
    )
    assert fix is not None
    assert fix.command == "safe-pip install torch && safe-pip install --no-build-isolation ./proj"


def test_the_module_installed_first_goes_to_the_same_target_from_the_users_sources() -> None:
    context = FixContext(
        package="proj",
        pip_args=("--index-url", "https://mirror.example/simple", "./proj"),
        target_options=("--python", "/venv/bin/python"),
    )
    fix = render_fix("no-build-isolation", {"module": "torchxyz"}, context)
    assert fix is not None
    assert fix.command.startswith(
        "safe-pip --python /venv/bin/python install --index-url https://mirror.example/simple torchxyz && "
    )


def test_only_binary_is_offered_only_when_a_wheel_exists_within_the_users_versions() -> None:
    asked, context = _wheels({"psycopg2": None})
    context = replace(context, package="psycopg2", pip_args=("psycopg2",))
    assert render_fix("only-binary", {}, context) is None
    assert asked == ["psycopg2"]
    _, with_wheel = _wheels({"psutil==5.9.8": "5.9.8"})
    fix = render_fix("only-binary", {}, replace(with_wheel, package="psutil", pip_args=("psutil==5.9.8",)))
    assert fix is not None
    assert fix.auto is True


def test_a_wheel_path_is_replaced_only_by_a_fitting_wheel_from_the_same_folder() -> None:
    named = "./private/utils-1.0-cp312-cp312-win_amd64.whl"
    params = {"instead_of": "utils-1.0-cp312-cp312-win_amd64.whl"}
    beside = "./private/utils-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    found = FixContext(package="utils", pip_args=(named,), fitting_wheel=lambda path, project: beside)
    fix = render_fix("only-binary", params, found)
    assert fix is not None
    assert fix.auto is True
    assert fix.args == (beside,)
    # No fitting wheel there: the name would be looked up on the index, which may hold another project.
    alone = render_fix("only-binary", params, replace(found, fitting_wheel=lambda path, project: None))
    assert alone is not None
    assert alone.auto is False
    assert "is the project you meant" in alone.title
    # With --no-index the name resolves only in the user's own --find-links folders.
    offline = ("--no-index", "--find-links", "./private", named)
    local = render_fix("only-binary", params, replace(found, pip_args=offline, fitting_wheel=None))
    assert local is not None
    assert local.auto is True
    assert local.args == ("--only-binary", "utils", "--no-index", "--find-links", "./private", "utils")


def test_a_fix_whose_option_the_user_already_set_is_not_a_fix() -> None:
    context = FixContext(package="psutil", pip_args=("--retries", "1", "psutil"))
    assert render_fix("increase-timeout", {}, context) is None
    assert render_fix("increase-timeout", {}, replace(context, pip_args=("--timeout=5", "psutil"))) is None
    assert render_fix("increase-timeout", {}, replace(context, pip_args=("psutil",))) is not None


def test_system_commands_drop_sudo_where_it_is_not_needed() -> None:
    params = {"what": "a compiler", "apt": "build-essential"}
    assert render_fix("install-system-package", params, PSUTIL) is not None
    root = render_fix("install-system-package", params, replace(PSUTIL, sudo=False))
    assert root is not None
    assert root.command == "apt-get install -y build-essential"


def test_check_network_names_the_users_index_and_the_package() -> None:
    fix = render_fix("check-network", {}, replace(PSUTIL, index_url="https://pkgs.example/simple/"))
    assert fix is not None
    assert fix.command == "curl -sSI https://pkgs.example/simple/psutil/"
    # a Windows log's: Windows' own curl.exe (PowerShell 5 reads `curl` as Invoke-WebRequest)
    windows = render_fix("check-network", {}, replace(PSUTIL, log_system="win32"))
    assert windows is not None
    assert windows.command == "curl.exe -sSI https://pypi.org/simple/psutil/"


def test_use_python_for_a_pipx_app_names_pipx_python_option() -> None:
    # pipx makes the app's venv itself: `python3.11 -m venv .venv` is not the app's (pastes: pipx install renku
    # on 3.12, numpy<1.22 needs distutils). The app is the user's to name.
    fix = render_fix("use-python", {"version": "3.11"}, FixContext(package="numpy", project_tool="pipx"))
    assert fix is not None
    assert fix.command == "pipx install --python python3.11 <app>"
    assert "numpy supports" in fix.title
    assert render_fix("use-python", {}, FixContext(package="numpy", project_tool="pipx")) is None


def test_a_pipx_summary_gets_pipx_own_python_fix() -> None:
    import io

    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    log = (
        "me@mbp ~ % pipx install renku\n"
        "Fatal error from pip prevented installation. Full pip output in file:\n"
        "    /Users/me/.local/pipx/logs/cmd_2024-01-05_10.00.00_pip_errors.log\n\n"
        "pip seemed to fail to build package:\n    numpy<1.22.0,>=1.20.0\n\n"
        "Some possibly relevant errors from pip install:\n"
        "    ModuleNotFoundError: No module named 'distutils'\n\nError installing renku.\n"
    )
    top = next(iter(classify_stream(io.BytesIO(log.encode()), load_rules())))
    commands = [fix.command for fix in top.fixes if fix.id == "use-python"]
    assert commands
    assert commands[0].startswith("pipx install --python python3.")
    assert commands[0].endswith(" <app>")


def test_printed_commands_carry_the_options_that_chose_the_target() -> None:
    context = FixContext(package="psutil", pip_args=("psutil",), target_options=("--python", "./p9"))
    fix = render_fix("prefer-binary", {}, context)
    assert fix is not None
    assert fix.command == "safe-pip --python ./p9 install --prefer-binary psutil"


_HOSTILE_NAMES = [
    "foo|touch${IFS}PWNED",
    "a;b",
    "$(id)",
    "`id`",
    "x'y",
    'x"y',
    "a b",
    "-rf",
    "c\u202eb",
    "\x9b31m",
]


def test_an_upgrade_needs_the_packages_name() -> None:
    # The title's "the package" stands in for an unknown name; a command never does.
    assert render_fix("upgrade-package", {}, FixContext(package=None)) is None
    named = render_fix("upgrade-package", {}, FixContext(package="psutil"))
    assert named is not None
    assert named.command.endswith("--upgrade psutil")
    pinned = render_fix("upgrade-package", {}, FixContext(package="psutil", pip_args=("psutil==5.6.0",)))
    assert pinned is not None
    assert pinned.command == "safe-pip install --upgrade psutil"


def test_no_upgrade_of_what_pip_already_took_newest_or_from_a_file() -> None:
    """pycrypto on Python 3.12 (a real run): asked for with no version, pip built its last release, 2.6.1;
    `--upgrade pycrypto` would build it again. A folder the user named is never swapped for the index's."""
    unpinned = FixContext(package="pycrypto", pip_args=("pycrypto",))
    assert render_fix("upgrade-package", {}, unpinned) is None
    assert render_fix("upgrade-package", {}, FixContext(package="proj", pip_args=("./proj",))) is None
    sibling = render_fix("use-binary-sibling", {}, unpinned)
    assert sibling is not None
    assert sibling.command == "safe-pip install pycryptodome"


@pytest.mark.parametrize("name", _HOSTILE_NAMES)
@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("use-pipx", {}),
        ("use-python", {"version": "3.11"}),
        ("upgrade-package", {}),
        ("add-requirement", {"requirement": "{package}"}),
        ("install-system-package", {"what": "x", "apt": "lib{package}-dev"}),
        ("set-tmpdir", {"path": "/tmp/{package}"}),
        ("trusted-host", {"host": "{package}"}),
        ("check-network", {"url": "https://h/{package}"}),
    ],
)
def test_every_printed_command_parses_into_the_intended_words(
    name: str, action: str, params: dict[str, str]
) -> None:
    import shlex

    from safe_pip.template import fill_template

    filled = {key: fill_template(value, {"package": name}) for key, value in params.items()}
    # (an upgrade of a name typed with no version is no fix: the name as a log gives it)
    typed = None if action == "upgrade-package" else (name,)
    fix = render_fix(action, filled, FixContext(package=name, pip_args=typed))
    assert fix is not None
    words = shlex.split(fix.command.replace("&&", " && "))
    # Whatever the name holds, it comes back inside one word, never as shell syntax (a system package
    # parameter is a list of words by design: a space there separates packages).
    pieces = name.split() if action == "install-system-package" else [name]
    assert all(any(piece in word for word in words) for piece in pieces), (fix.command, words)
    assert not any(word in ("|", ";", "&", ">", "<") for word in words)


def test_an_undeclared_build_dependency_the_user_asked_for_is_installed_first() -> None:
    installed = {"setuptools", "wheel"}
    context = FixContext(
        package="flash-attn",
        pip_args=("--index-url", "https://i.example/simple", "torch==2.8.0", "flash-attn"),
        importable=installed.__contains__,
    )
    fix = render_fix("no-build-isolation", {"module": "torch"}, context)
    assert fix is not None
    assert fix.auto is True
    assert fix.before == ("install", "--index-url", "https://i.example/simple", "torch==2.8.0")
    assert fix.args == ("--no-build-isolation", *(context.pip_args or ()))
    assert fix.command.startswith("safe-pip install --index-url https://i.example/simple torch==2.8.0 && ")
    # Not asked for and not installed: installing it is the user's choice.
    other = render_fix("no-build-isolation", {"module": "torch"}, replace(context, pip_args=("flash-attn",)))
    assert other is not None
    assert other.auto is False
    # Without isolation the build backend must be there too.
    bare = render_fix(
        "no-build-isolation", {"module": "torch"}, replace(context, importable=lambda _m: False)
    )
    assert bare is not None
    assert bare.before[-3:] == ("torch==2.8.0", "setuptools", "wheel")


def test_a_url_with_a_password_is_printed_as_a_reference_to_where_it_came_from() -> None:
    import shlex

    from safe_pip.fixes import shell_words

    url = "https://alice:s3cr%40t@pkgs.example/simple"
    from_env = FixContext(package="psutil", index_url=url, secrets={url: "PIP_INDEX_URL"})
    fix = render_fix("check-network", {}, from_env)
    assert fix is not None
    assert fix.command == 'curl -sSI "$PIP_INDEX_URL"/psutil/'
    assert shlex.split(fix.command)[-1] == "$PIP_INDEX_URL/psutil/"
    # Typed on the command line: no variable holds it, the user fills it in.
    typed = shell_words(["safe-pip", "install", "--index-url", url, "psutil"])
    assert typed == "safe-pip install --index-url '<your index URL>' psutil"
    assert shell_words([f"--index-url={url}"]) == "--index-url='<your index URL>'"
    assert "s3cr" not in typed


def test_fewer_build_jobs_is_applied_only_when_the_log_shows_parallel_jobs() -> None:
    seen = render_fix("limit-build-jobs", {"parallel": "ninja: "}, PSUTIL)
    assert seen is not None
    assert seen.auto is True
    serial = render_fix("limit-build-jobs", {"parallel": ""}, PSUTIL)
    assert serial is not None
    assert serial.auto is False
    assert "if the build runs several at once" in serial.title


def test_a_known_binary_sibling_is_suggested_never_applied() -> None:
    context = FixContext(package="psycopg2", pip_args=("psycopg2==2.9.9", "-q"))
    fix = render_fix("use-binary-sibling", {}, context)
    assert fix is not None
    assert fix.auto is False
    assert fix.title.startswith("Install psycopg2-binary instead of psycopg2")
    assert fix.command == "safe-pip install psycopg2-binary==2.9.9 -q"
    # A successor with versions of its own does not inherit the pin.
    crypto = render_fix(
        "use-binary-sibling", {}, FixContext(package="pycrypto", pip_args=("pycrypto==2.6.1",))
    )
    assert crypto is not None
    assert crypto.command == "safe-pip install pycryptodome"
    assert render_fix("use-binary-sibling", {}, PSUTIL) is None


def test_use_python_keeps_the_pin_only_with_a_python_that_release_supports() -> None:
    asked: list[tuple[str, tuple[str, ...]]] = []

    def python_for(requirement: str, versions: tuple[str, ...]) -> str | None:
        asked.append((requirement, versions))
        return "3.9" if requirement == "numpy==1.21.0" and "3.9" in versions else None

    context = FixContext(package="numpy", pip_args=("numpy==1.21.0",), python_for=python_for)
    fix = render_fix("use-python", {"version": "3.11"}, context)
    assert fix is not None
    assert fix.command == "python3.9 -m venv .venv && .venv/bin/python -m pip install numpy==1.21.0"
    assert fix.title == "Use Python 3.9, the newest that numpy 1.21.0 has a wheel for"
    assert asked == [("numpy==1.21.0", ("3.11", "3.10", "3.9", "3.8", "3.7", "3.6", "2.7"))]
    # No wheel of the pin for any older Python: the suggested one, with a newer numpy (no pin).
    other = render_fix("use-python", {"version": "3.11"}, replace(context, pip_args=("numpy==1.99",)))
    assert other is not None
    assert other.command == "python3.11 -m venv .venv && .venv/bin/python -m pip install numpy"
    assert "numpy 1.99 has no wheel for Python 3.11 or older" in other.title
    # Unpinned: the suggested Python and the project, as before.
    plain = render_fix("use-python", {"version": "3.11"}, replace(context, pip_args=("numpy",)))
    assert plain is not None
    assert plain.command == "python3.11 -m venv .venv && .venv/bin/python -m pip install numpy"


def test_a_wheel_path_is_not_replaced_by_name_under_no_index_without_find_links() -> None:
    named = "./private/utils-1.0-cp312-cp312-win_amd64.whl"
    params = {"instead_of": "utils-1.0-cp312-cp312-win_amd64.whl"}
    fix = render_fix("only-binary", params, FixContext(package="utils", pip_args=("--no-index", named)))
    assert fix is not None
    assert fix.auto is False


@settings(max_examples=300, deadline=None)
@given(name=st.text(min_size=1, max_size=30))
@example(name="PYTORCH")
def test_any_captured_name_pastes_as_the_intended_words(name: str) -> None:
    import shlex

    from safe_pip.siblings import binary_sibling

    sibling = binary_sibling(name)
    # a retired name whose newest release is a placeholder (PYTORCH) gets no upgrade: it fails on the name
    placeholder = sibling is not None and sibling.placeholder
    context = FixContext(package=name, pip_args=(name,))
    expected = {
        "use-pipx": ["pipx", "install", name],
        "upgrade-package": ["safe-pip", "install", "--upgrade", name],
        "add-requirement": ["safe-pip", "install", name, name],
        "trusted-host": ["safe-pip", "install", "--trusted-host", name, name],
    }
    for action, words in expected.items():
        if action == "upgrade-package" and placeholder:
            continue
        params = {"requirement": name} if action == "add-requirement" else {"host": name}
        # An upgrade of a name the user typed with no version is no fix (pip took its newest): a log's.
        typed = replace(context, pip_args=None) if action == "upgrade-package" else context
        fix = render_fix(action, params if action in ("add-requirement", "trusted-host") else {}, typed)
        assert fix is not None
        assert shlex.split(fix.command) == words, (action, fix.command)


@pytest.mark.parametrize(
    ("pinned", "versions", "nearest"),
    [
        ("5.9.0", ["5.9.8", "6.0.0", "7.2.2"], "5.9.8"),  # the same major.minor, its newest patch
        ("5.7.0", ["5.8.0", "5.9.0", "5.13.0", "6.0.0"], "5.8.0"),  # the closest minor above, not the newest
        ("1.3.3", ["1.4.0", "1.4.1", "1.8.0"], "1.4.1"),  # ... and that minor's newest patch
        ("9.5.0", ["10.4.0", "11.0.0", "13.0.0"], "10.4.0"),  # the closest newer major
        ("0.13.3", ["0.14.0", "0.14.1", "0.23.3"], "0.14.1"),  # below 1.0 the minor is the major
        ("2.0", ["1.0", "1.5"], "1.5"),  # a downgrade across a major only when nothing else exists
        ("5.9.0", ["5.9.8rc1", "6.0.0"], "6.0.0"),  # no pre-release for a final pin
        ("5.9.0", [], None),
    ],
)
def test_nearest_release_prefers_the_closest_line_over_the_newest(
    pinned: str, versions: list[str], nearest: str | None
) -> None:
    from safe_pip.requested import nearest_release

    assert nearest_release(pinned, versions) == nearest


def test_pips_list_of_versions_with_a_fitting_file() -> None:
    from safe_pip.facts import parse_from_versions

    text = (
        "ERROR: Could not find a version that satisfies the requirement ujson===x (from versions: 5.8.0, 6.1.0)\n"
        "ERROR: No matching distribution found for ujson===x\n"
    )
    assert parse_from_versions(text, "UJSON") == ("5.8.0", "6.1.0")
    assert parse_from_versions(text.replace("5.8.0, 6.1.0", "none"), "ujson") == ()
    assert parse_from_versions(text, "other") is None
    # pip 9 printed the same line with "Could not find a version that satisfies the requirement" too.
    assert (
        parse_from_versions(
            "Could not find a version that satisfies the requirement a===x (from versions: )", "a"
        )
        == ()
    )


def test_a_constraint_file_pin_is_moved_in_a_copy_never_contradicted_on_the_command_line() -> None:
    from safe_pip.requested import read_user_requests

    files = {"constraints.txt": "frozenlist==1.3.3\n"}
    args = ("frozenlist", "-c", "constraints.txt")
    context = FixContext(
        package="frozenlist",
        pip_args=args,
        requests=read_user_requests(args, files.get),
        wheel_versions=lambda project: ("1.4.1", "1.8.0"),
    )
    plain = render_fix("pin-to-wheel", {}, context)
    assert plain is not None
    assert plain.auto is False
    assert "constraints.txt line 1" in plain.title
    nearest = render_fix("pin-to-wheel", {}, replace(context, fix_versions="nearest"))
    assert nearest is not None
    assert nearest.auto is True
    assert nearest.args == (
        "--only-binary",
        "frozenlist",
        "frozenlist==1.4.1",
        "-c",
        ".constraints.txt.safe-pip-nearest.txt",
    )
    assert nearest.files == ((".constraints.txt.safe-pip-nearest.txt", "frozenlist==1.4.1\n"),)


def test_an_undeclared_build_dependency_brings_the_users_other_requirements_first() -> None:
    context = FixContext(
        package="pycocotools",
        pip_args=("numpy<2", "cython<3", "pycocotools==2.0.0", "-q"),
        importable={"setuptools", "wheel"}.__contains__,
    )
    fix = render_fix("no-build-isolation", {"module": "Cython"}, context)
    assert fix is not None
    assert fix.auto is True
    # cython first (the module the build stopped at), then numpy (it would stop there next), never the package
    assert fix.before == ("install", "cython<3", "numpy<2")


def test_a_build_rule_upgrades_pip_first_only_when_the_targets_pip_is_old() -> None:
    params = {"older_than": "20.3"}
    old = FixContext(
        package="cryptography", pip_args=("cryptography",), pip_version=(18, 1), target_venv=lambda: True
    )
    fix = render_fix("upgrade-pip", params, old)
    assert fix is not None
    assert fix.auto is True
    assert fix.before[:3] == ("install", "--upgrade", "pip")
    assert render_fix("upgrade-pip", params, replace(old, pip_version=(23, 2, 1))) is None
    assert render_fix("upgrade-pip", params, replace(old, pip_version=None)) is None  # unknown: not offered


def test_a_named_fix_for_a_dependency_is_applied_only_when_pip_resolves_it() -> None:
    asked: list[tuple[str, ...]] = []

    def resolves(args: tuple[str, ...]) -> bool:
        asked.append(args)
        return False  # pydantic==2.5.3 pins pydantic-core==2.14.6, which has no wheel here

    context = FixContext(
        package="pydantic-core",
        pip_args=("pydantic==2.5.3",),
        wheel_versions=lambda project: ("2.27.0",),
        resolves=resolves,
    )
    fix = render_fix("pin-to-wheel", {}, context)
    assert fix is not None
    assert fix.auto is False
    assert "another one pins it" in fix.title
    assert asked == [("--only-binary", "pydantic-core", "pydantic==2.5.3", "pydantic-core==2.27.0")]
    # A requirement the user named is judged by the user's own versions, with no dry run.
    named = render_fix("pin-to-wheel", {}, replace(context, package="pydantic", pip_args=("pydantic",)))
    assert named is not None
    assert len(asked) == 1


def test_the_nearest_release_is_one_pip_takes_without_a_pin_not_a_yanked_one() -> None:
    # requests 2.32.0 and 2.32.1 were yanked: pip lists them among the versions, but takes them only pinned.
    taken = {"requests==2.31.0": None, "requests>=2.33.0,<=2.33.0": "2.33.0"}
    asked: list[str] = []

    def newest(requirement: str) -> str | None:
        asked.append(requirement)
        return taken.get(requirement)

    context = FixContext(
        package="requests",
        pip_args=("requests==2.31.0",),
        wheel_version=newest,
        wheel_versions=lambda project: ("2.32.0", "2.32.1", "2.33.0"),
    )
    fix = render_fix("pin-to-wheel", {}, context)
    assert fix is not None
    assert str(fix.moves_pin) == "requests 2.31.0 -> 2.33.0"
    assert asked[1:] == [
        "requests>=2.32.1,<=2.32.1",
        "requests>=2.32.0,<=2.32.0",
        "requests>=2.33.0,<=2.33.0",
    ]


def test_a_pin_is_not_applied_in_hash_checking_mode() -> None:
    from safe_pip.requested import read_user_requests

    files = {"req.txt": "psutil>=5 --hash=sha256:abc\n"}
    requests = read_user_requests(("-r", "req.txt"), files.get)
    context = FixContext(
        package="psutil", pip_args=("-r", "req.txt"), requests=requests, wheel_version=lambda r: "5.9.8"
    )
    fix = render_fix("pin-to-wheel", {}, context)
    assert fix is not None
    assert fix.auto is False


def _constrain(context: FixContext) -> Fix:
    fix = render_fix("constrain-build", {"requirement": "Cython<3"}, context)
    assert fix is not None
    return fix


_BUILD = FixContext(package="pyyaml", pip_args=("pyyaml==5.4.1",), scratch_folder="/tmp/safe-pip-1-ab")


def test_a_build_constraint_is_applied_from_a_file_in_the_private_folder() -> None:
    fix = _constrain(_BUILD)
    assert fix.auto
    assert fix.args == ("pyyaml==5.4.1",)
    assert fix.env == {"PIP_CONSTRAINT": "/tmp/safe-pip-1-ab/build-constraints-cython.txt"}
    assert fix.files == (("/tmp/safe-pip-1-ab/build-constraints-cython.txt", "Cython<3\n"),)
    # What the user reads writes its own file: the private folder is gone after the run.
    assert fix.command.startswith(
        "echo 'Cython<3' > build-constraints.txt && PIP_CONSTRAINT=build-constraints"
    )
    newer = _constrain(replace(_BUILD, pip_version=(25, 3)))
    assert list(newer.env) == ["PIP_BUILD_CONSTRAINT"]
    assert "PIP_BUILD_CONSTRAINT=build-" in newer.command


def test_a_second_build_constraint_keeps_the_first() -> None:
    first = "/tmp/safe-pip-1-ab/build-constraints-setuptools.txt"
    fix = _constrain(replace(_BUILD, applied_env={"PIP_CONSTRAINT": first}))
    assert fix.env["PIP_CONSTRAINT"] == f"{first} /tmp/safe-pip-1-ab/build-constraints-cython.txt"


@pytest.mark.parametrize(
    "args",
    [
        ("pyyaml==5.4.1", "cython"),  # Cython by name alone: any version, Cython<3 among them
        ("pyyaml==5.4.1", "Cython[all] ; python_version >= '3'"),
    ],
)
def test_a_build_constraint_of_a_project_the_user_named_without_a_version_is_applied(
    args: tuple[str, ...],
) -> None:
    """scikit-surprise 1.1.1 with `numpy` (any version) beside it: numpy<2 keeps within what was asked."""
    fix = _constrain(replace(_BUILD, pip_args=args))
    assert fix.auto
    assert fix.files == (("/tmp/safe-pip-1-ab/build-constraints-cython.txt", "Cython<3\n"),)


@pytest.mark.parametrize(
    "context",
    [
        replace(_BUILD, scratch_folder=None),  # nowhere private to write the file
        replace(_BUILD, pip_args=("--no-build-isolation", "pyyaml==5.4.1")),  # no build environment
        replace(_BUILD, user_constraint_variables=("PIP_CONSTRAINT",)),  # the user's own would be replaced
        replace(_BUILD, pip_args=("pyyaml==5.4.1", "cython>=3")),  # the user's versions of Cython
        replace(_BUILD, pip_args=("pyyaml==5.4.1", "cython<4")),  # a range is theirs too, however wide
        replace(_BUILD, scratch_folder="/tmp/my folder"),  # pip splits the variable on white space
        replace(_BUILD, pip_args=None),  # the command is not known
    ],
)
def test_a_build_constraint_is_only_printed_where_it_could_contradict_or_do_nothing(
    context: FixContext,
) -> None:
    fix = _constrain(context)
    assert not fix.auto
    assert fix.args is None
    assert fix.env == {}
    assert fix.files == ()
    assert "build-constraints.txt" in fix.command


@pytest.mark.parametrize(
    ("module", "project"),
    [
        ("setuptools", "setuptools"),
        ("mesonpy", "meson-python"),
        ("poetry", "poetry-core"),
        ("flit_core", "flit-core"),
    ],
)
def test_a_missing_backend_is_installed_first_for_a_build_without_isolation(
    module: str, project: str
) -> None:
    args = ("--no-build-isolation", "--no-index", "--find-links", "/w", "./proj")
    context = FixContext(package="proj", pip_args=args, importable=lambda _module: False)
    fix = render_fix("install-build-backend", {"module": module}, context)
    assert fix is not None
    assert fix.auto
    assert fix.before == ("install", "--no-index", "--find-links", "/w", project)  # the user's sources
    assert fix.args == args  # then the same command
    assert fix.title.startswith(f"Install {project} first")


@pytest.mark.parametrize(
    "context",
    [
        FixContext(package="proj", pip_args=("./proj",)),  # isolated: pip installs the backend itself
        FixContext(package="proj", pip_args=("--no-build-isolation", "./proj"), importable=lambda _m: True),
        FixContext(package="proj", pip_args=None),
    ],
)
def test_no_backend_install_where_it_cannot_be_the_fix(context: FixContext) -> None:
    assert render_fix("install-build-backend", {"module": "setuptools"}, context) is None


def test_a_build_constraint_for_a_build_that_compiles_is_only_printed_without_a_compiler() -> None:
    params = {"requirement": "Cython<3", "compiles": "yes"}
    without = render_fix("constrain-build", params, replace(_BUILD, compiler_on_path=False))
    assert without is not None
    assert not without.auto
    assert "build-constraints.txt" in without.command
    with_compiler = render_fix("constrain-build", params, replace(_BUILD, compiler_on_path=True))
    assert with_compiler is not None
    assert with_compiler.auto
    # A build that may be pure Python (setuptools<58 for use_2to3) is retried either way.
    pure = render_fix(
        "constrain-build", {"requirement": "setuptools<58"}, replace(_BUILD, compiler_on_path=False)
    )
    assert pure is not None
    assert pure.auto


# -- a log from elsewhere: its system's commands (issue 13) ------------------------------------------------


def test_a_windows_log_gets_no_apt_get_and_a_venv_it_can_activate() -> None:
    windows = replace(PSUTIL, log_system="win32")
    # header-not-found's portaudio.h: the table knows no Windows package, so no command at all
    assert render_fix("install-system-package", {"what": "x", "header": "portaudio.h"}, windows) is None
    venv = render_fix("create-venv", {}, windows)
    assert venv is not None
    assert venv.command.startswith("python -m venv .venv && .venv\\Scripts\\activate && ")


def test_a_macos_log_gets_no_cuda_home() -> None:
    # No CUDA toolkit for macOS since 10.2: /usr/local/cuda names nothing there (causal-conv1d on a Mac,
    # midrender/mamba-chat#3); a Linux log still gets it.
    assert render_fix("set-cuda-home", {}, replace(PSUTIL, log_system="darwin")) is None
    linux = render_fix("set-cuda-home", {}, replace(PSUTIL, log_system="linux"))
    assert linux is not None
    assert linux.command == "CUDA_HOME=/usr/local/cuda safe-pip install psutil"


def test_a_macos_log_gets_brew_and_a_conda_log_gets_conda() -> None:
    header = {"what": "x", "header": "portaudio.h"}
    mac = render_fix("install-system-package", header, replace(PSUTIL, log_system="darwin"))
    assert mac is not None
    assert mac.command == "brew install portaudio"
    compilers = {"what": "a compiler", "apt": "build-essential", "conda": "-c conda-forge compilers"}
    conda = render_fix("install-system-package", compilers, replace(PSUTIL, log_conda=True))
    assert conda is not None
    assert conda.command == "conda install -y -c conda-forge compilers"
    # this machine's manager (an install here) wins over what a log says
    here = render_fix(
        "install-system-package", compilers, replace(PSUTIL, package_manager="apt", log_conda=True)
    )
    assert here is not None
    assert here.command == "sudo apt-get install -y build-essential"


def test_winget_options_keep_their_quoted_words_for_windows_shells() -> None:
    params = {
        "what": "the Build Tools",
        "winget": 'Microsoft.VisualStudio.2022.BuildTools --override "--add Microsoft.VisualStudio.Workload.VCTools"',
    }
    fix = render_fix("install-system-package", params, replace(PSUTIL, log_system="win32"))
    assert fix is not None
    assert fix.command == (
        'winget install Microsoft.VisualStudio.2022.BuildTools --override "--add Microsoft.VisualStudio.Workload.VCTools"'
    )
    # a word either Windows shell would read as its own syntax gives no command
    params["winget"] = "Some.Package & calc"
    assert render_fix("install-system-package", params, replace(PSUTIL, log_system="win32")) is None


def test_a_windows_log_gets_windows_commands_for_rust_python_and_none_for_cuda_home() -> None:
    windows = replace(PSUTIL, log_system="win32")
    rust = render_fix("install-rust", {}, windows)
    assert rust is not None
    assert rust.command == "winget install Rustlang.Rustup"
    assert render_fix("set-cuda-home", {}, windows) is None
    upgrade = render_fix("upgrade-pip", {}, replace(windows, pip_args=("psutil",)))
    assert upgrade is not None
    assert upgrade.command.startswith("python -m pip install --upgrade pip")


# A failed build here, on a machine without a C compiler and without the target's Python.h (a slim Debian
# image: lxml 4.6.3, pyaudio, mysqlclient, dlib, real runs): the library's package alone only moves the build on
# to the next missing thing, so the one command installs what the machine lacks too.
_SLIM = FixContext(
    package="lxml",
    pip_args=("lxml==4.6.3",),
    package_manager="apt",
    sudo=False,
    compiler_on_path=False,
    python_headers=lambda: (False, "3.11"),
)
_LIBXML = {
    "what": "the development files of libxml2",
    "apt": "libxml2-dev libxslt1-dev",
    "dnf": "libxml2-devel",
}
_COMPILER = {"what": "a C/C++ compiler", "apt": "build-essential", "dnf": "gcc gcc-c++ make"}


@pytest.mark.parametrize(
    ("params", "context", "command"),
    [
        (_LIBXML, _SLIM, "apt-get install -y libxml2-dev libxslt1-dev build-essential python3.11-dev"),
        (_COMPILER, _SLIM, "apt-get install -y build-essential python3.11-dev"),
        (
            _LIBXML,
            replace(_SLIM, package_manager="dnf"),
            "dnf install -y libxml2-devel gcc gcc-c++ make python3-devel",
        ),
        (
            _LIBXML,
            replace(_SLIM, compiler_on_path=True),
            "apt-get install -y libxml2-dev libxslt1-dev python3.11-dev",
        ),
        (
            _LIBXML,
            replace(_SLIM, python_headers=lambda: (True, "3.11")),
            "apt-get install -y libxml2-dev libxslt1-dev build-essential",
        ),
        # what this machine lacks is unknown: a log from elsewhere, or a run whose facts were not read
        (_LIBXML, replace(_SLIM, pip_args=None), "apt-get install -y libxml2-dev libxslt1-dev"),
        (
            _LIBXML,
            replace(_SLIM, compiler_on_path=None, python_headers=None),
            "apt-get install -y libxml2-dev libxslt1-dev",
        ),
        # the rule's own packages are the headers, or it is not for a C build
        (
            {"what": "Python's headers", "header": "Python.h"},
            replace(_SLIM, compiler_on_path=True),
            "apt-get install -y python3-dev",
        ),
        ({**_LIBXML, "builds": "rust"}, _SLIM, "apt-get install -y libxml2-dev libxslt1-dev build-essential"),
        ({**_LIBXML, "builds": "no"}, _SLIM, "apt-get install -y libxml2-dev libxslt1-dev"),
    ],
    ids=[
        "library-slim",
        "compiler-slim",
        "library-dnf",
        "has-compiler",
        "has-headers",
        "log-from-elsewhere",
        "facts-unknown",
        "headers-rule",
        "rust",
        "not-a-build",
    ],
)
def test_system_packages_of_a_build_add_what_this_machine_lacks(
    params: dict[str, str], context: FixContext, command: str
) -> None:
    fix = render_fix("install-system-package", params, context)
    assert fix is not None
    assert fix.command == command


def test_the_title_says_what_the_machine_lacks_too() -> None:
    fix = render_fix("install-system-package", _LIBXML, _SLIM)
    assert fix is not None
    assert fix.title == (
        "Install the development files of libxml2, and a C compiler and Python 3.11's headers (Python.h), "
        "which this machine lacks too"
    )


# A name whose newest release is a placeholder that fails on purpose (tensorflow-gpu 2.12.0: today's setuptools
# rejects its `python_version>"3.7"` requirement before it can say "install tensorflow"; real run on 3.12): a
# rebuild under older setuptools or another Python installs nothing, the project it stands for does.
_PLACEHOLDER = FixContext(package="tensorflow-gpu", pip_args=("tensorflow-gpu",), package_manager="apt")


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("constrain-build", {"requirement": "setuptools<66"}),
        ("use-python", {"version": "3.11"}),
        ("upgrade-package", {}),
        ("only-binary", {}),
    ],
    ids=["constrain-build", "use-python", "upgrade-package", "only-binary"],
)
def test_no_rebuild_of_a_placeholder_release(action: str, params: dict[str, str]) -> None:
    assert render_fix(action, params, _PLACEHOLDER) is None
    assert (
        render_fix(action, params, replace(_PLACEHOLDER, pip_args=None)) is None
    )  # a log: pip took the newest
    # A version the user pinned is a real release (tensorflow-gpu 2.10.0 had wheels): theirs to build.
    pinned = replace(_PLACEHOLDER, pip_args=("tensorflow-gpu==2.10.0",))
    if action != "upgrade-package":
        assert render_fix(action, params, pinned) is not None


@pytest.mark.parametrize(
    ("package", "args", "command"),
    [
        ("tensorflow-gpu", ("tensorflow-gpu",), "safe-pip install tensorflow"),
        ("mysql-python", ("MySQL-python", "six"), "safe-pip install mysqlclient six"),
        ("beautifulsoup", ("-r", "req.txt"), "safe-pip install beautifulsoup4"),
    ],
    ids=["placeholder", "python2-fork", "python2-successor"],
)
def test_the_project_to_install_instead(package: str, args: tuple[str, ...], command: str) -> None:
    fix = render_fix("use-binary-sibling", {}, FixContext(package=package, pip_args=args))
    assert fix is not None
    assert fix.command == command
    assert not fix.auto


def test_use_python_names_the_interpreter_installed_here() -> None:
    # pyenv installed 3.9, but its shim runs `python3.9` only for the versions pyenv was told to use ("pyenv:
    # python3.9: command not found", real run): the printed command names the interpreter by its path.
    pyenv = {"3.12": "/usr/bin/python3.12", "3.9": "/root/.pyenv/versions/3.9.18/bin/python3.9"}
    context = FixContext(
        package="numpy",
        pip_args=("numpy==1.21.0",),
        python_for=lambda requirement, versions: "3.9",
        installed_pythons=lambda: pyenv,
    )
    fix = render_fix("use-python", {"version": "3.11"}, context)
    assert fix is not None
    assert fix.command == (
        "/root/.pyenv/versions/3.9.18/bin/python3.9 -m venv .venv && .venv/bin/python -m pip install numpy==1.21.0"
    )
    # Not installed here: the bare name (the title says which Python to get).
    elsewhere = render_fix("use-python", {"version": "3.11"}, replace(context, installed_pythons=dict))
    assert elsewhere is not None
    assert elsewhere.command.startswith("python3.9 -m venv .venv && ")


def test_a_sibling_with_the_same_versions_keeps_the_pin_only_where_it_has_a_wheel() -> None:
    # psycopg2-binary 2.8.6 has wheels for Python 3.9 and older only: on 3.11 pip would build it from source
    # as it did psycopg2 (real run in a slim Debian root): the nearest release with a wheel, said so.
    binary = ("2.9.10", "2.9.9", "2.9.1", "2.9")
    context = FixContext(
        package="psycopg2",
        pip_args=("psycopg2==2.8.6",),
        wheel_versions=lambda project: binary if project == "psycopg2-binary" else None,
    )
    fix = render_fix("use-binary-sibling", {}, context)
    assert fix is not None
    assert fix.command == "safe-pip install psycopg2-binary==2.9.10"
    assert (
        "psycopg2-binary 2.8.6 has no wheel for this Python; 2.9.10 is the nearest release with one"
        in fix.title
    )
    has_it = render_fix("use-binary-sibling", {}, replace(context, pip_args=("psycopg2==2.9.9",)))
    assert has_it is not None
    assert has_it.command == "safe-pip install psycopg2-binary==2.9.9"
    none_here = render_fix("use-binary-sibling", {}, replace(context, wheel_versions=lambda project: ()))
    assert none_here is None


def test_a_sibling_for_a_requirement_file_says_to_change_the_file() -> None:
    from safe_pip.requested import read_user_requests

    files = {"req.txt": "psycopg2==2.9.9\nnetifaces\n"}
    args = ("-r", "req.txt")
    context = FixContext(package="psycopg2", pip_args=args, requests=read_user_requests(args, files.get))
    fix = render_fix("use-binary-sibling", {}, context)
    assert fix is not None
    assert fix.command == "safe-pip install psycopg2-binary==2.9.9"
    assert fix.title.endswith("(and replace psycopg2 with it in req.txt line 1)")


def test_use_python_installs_the_whole_command_in_the_new_venv() -> None:
    # numpy==1.24.0 pandas==2.2.0 on 3.12 (real run): the venv of the Python numpy 1.24.0 has a wheel for got
    # numpy alone; the user's other requirements go with it, in their order.
    context = FixContext(
        package="numpy",
        pip_args=("--no-cache-dir", "numpy==1.24.0", "pandas==2.2.0"),
        python_for=lambda requirement, versions: "3.11",
    )
    fix = render_fix("use-python", {"version": "3.11"}, context)
    assert fix is not None
    assert fix.command == (
        "python3.11 -m venv .venv && .venv/bin/python -m pip install --no-cache-dir numpy==1.24.0 pandas==2.2.0"
    )
    # No wheel of the pin for that Python: the project unpinned, the rest as it was.
    newer = render_fix("use-python", {"version": "3.11"}, replace(context, python_for=lambda r, v: None))
    assert newer is not None
    assert newer.command.endswith("pip install --no-cache-dir numpy pandas==2.2.0")


def test_use_python_keeps_a_requirement_file_whose_pin_it_supports() -> None:
    from safe_pip.requested import read_user_requests

    files = {"req.txt": "numpy==1.21.0\nrequests\n"}
    args = ("-r", "req.txt")
    context = FixContext(
        package="numpy",
        pip_args=args,
        requests=read_user_requests(args, files.get),
        python_for=lambda requirement, versions: "3.9",
    )
    fix = render_fix("use-python", {"version": "3.11"}, context)
    assert fix is not None
    assert fix.command == "python3.9 -m venv .venv && .venv/bin/python -m pip install -r req.txt"


@pytest.mark.parametrize(
    ("module", "project"),
    [
        ("mesonpy", "meson-python"),
        ("poetry", "poetry-core"),
        ("scikit_build_core", "scikit-build-core"),
        ("maturin", "maturin"),
        ("skbuild", "scikit-build"),
    ],
)
def test_a_diagnosed_log_s_no_isolation_fix_installs_the_backend_s_project(module: str, project: str) -> None:
    # A log read with `diagnose` (the command unknown): the printed command installs the project that provides
    # the module (`pip install mesonpy` or `poetry` would be the wrong project; corpus-unseen-i's e24, e27, e28).
    fix = render_fix("no-build-isolation", {"module": module}, FixContext(package="proj", pip_args=None))
    assert fix is not None
    assert fix.command.startswith(f"safe-pip install {project} && ")


def test_a_pin_of_no_release_is_not_said_to_lack_a_wheel() -> None:
    # numpy==1.99.0 (real run on 3.12): the index has no such release; the nearest with a wheel is offered.
    context = FixContext(
        package="numpy", pip_args=("numpy==1.99.0",), wheel_versions=lambda project: ("2.0.0", "1.26.4")
    )
    fix = render_fix("pin-to-wheel", {"unreleased": "yes"}, context)
    assert fix is not None
    assert fix.title == "numpy has no release 1.99.0; 1.26.4 is the nearest with a wheel here"
    assert fix.command == "safe-pip install --only-binary numpy numpy==1.26.4"
    released = render_fix("pin-to-wheel", {}, context)
    assert released is not None
    assert (
        released.title == "numpy 1.99.0 has no wheel for this Python; 1.26.4 is the nearest release with one"
    )


def test_use_python_for_a_windows_log_names_the_py_launcher_and_the_scripts_folder() -> None:
    # A Windows paste (numpy 1.24.4 on 3.12, fix review of the paste corpora) was told `python3.11 -m venv
    # .venv && .venv/bin/python ...`: neither is a command there. The launcher picks the version.
    context = FixContext(package="numpy", log_system="win32")
    fix = render_fix("use-python", {"version": "3.11"}, context)
    assert fix is not None
    assert fix.command == r"py -3.11 -m venv .venv && .venv\Scripts\python -m pip install numpy"
    # A word cmd.exe or PowerShell reads as its own syntax: no command rather than a POSIX-quoted one.
    assert render_fix("use-python", {"version": "3.11"}, replace(context, package=None)) is None
    # Elsewhere, as before.
    other = render_fix("use-python", {"version": "3.11"}, replace(context, log_system=None))
    assert other is not None
    assert other.command == "python3.11 -m venv .venv && .venv/bin/python -m pip install numpy"


@pytest.mark.parametrize(
    ("tool", "where"),
    [("uv", "`requires-python` in pyproject.toml"), ("poetry", "`python` under [tool.poetry.dependencies]")],
    ids=["uv", "poetry"],
)
def test_use_python_for_a_project_managers_python_range_says_what_to_change_without_a_venv(
    tool: str, where: str
) -> None:
    # `uv add mcp` with requires-python >=3.9, `poetry add pyside6` with python ^3.9 (paste corpora): the
    # resolver fails on the project's declared range, whatever Python runs it; a venv of Python 3.14 fails the
    # same way. A sentence instead of that command.
    fix = render_fix("use-python", {"version": "3.14"}, FixContext(package="mcp", project_tool=tool))
    assert fix is not None
    assert fix.command == ""
    assert where in fix.title
    assert "mcp" in fix.title
    assert fix.args is None
    assert fix.pip_args == ()


@pytest.mark.parametrize(
    ("project", "log_system", "offered"),
    [
        ("psycopg2", None, False),  # a log that names no system: Linux's, where psycopg2 has no wheel
        ("psycopg2", "darwin", False),
        ("psycopg2", "win32", True),
        ("pycrypto", "win32", False),  # no wheel anywhere
        ("ujson", None, True),  # not known: the index decides
    ],
)
def test_only_binary_is_not_printed_where_the_project_publishes_no_wheel(
    project: str, log_system: str | None, offered: bool
) -> None:
    fix = render_fix("only-binary", {}, FixContext(package=project, log_system=log_system))
    assert (fix is not None) is offered


def test_a_run_asks_the_index_before_the_table_of_projects_without_wheels() -> None:
    """On this machine without the index's answer, psycopg2 on Linux gets no --only-binary; with it, the
    index's answer decides (a release that has a wheel here is offered)."""
    import sys

    unasked = render_fix("only-binary", {}, FixContext(package="psycopg2", pip_args=("psycopg2",)))
    assert (unasked is None) is sys.platform.startswith("linux")
    asked = FixContext(package="psycopg2", pip_args=("psycopg2",), wheel_versions=lambda _: ("2.7.7",))
    assert render_fix("only-binary", {}, asked) is not None


def test_use_python_on_colab_names_a_release_not_a_venv() -> None:
    pinned = render_fix(
        "use-python",
        {"version": "3.10", "pin": "1.21.6"},
        FixContext(package="numpy", log_notebook="colab"),
    )
    assert pinned is not None
    assert pinned.command == "%pip install numpy"
    assert "numpy 1.21.6 does not" in pinned.title
    unpinned = render_fix(
        "use-python", {"version": "3.12"}, FixContext(package="orbitkit", log_notebook="kaggle")
    )
    assert unpinned is not None
    assert unpinned.command == ""  # pip already took the newest release it could: the same again fails
    assert unpinned.title.startswith("Kaggle runs your notebook on its runtime's Python")
    terminal = render_fix("use-python", {"version": "3.12"}, FixContext(package="orbitkit"))
    assert terminal is not None
    assert "-m venv" in terminal.command


@pytest.mark.parametrize(
    ("project", "offered"),
    [("MySQL-python", False), ("pycrypto", False), ("BeautifulSoup", False), ("pyrsistent", True)],
)
def test_upgrade_is_not_proposed_for_a_project_retired_for_its_sibling(project: str, offered: bool) -> None:
    # A log (its request unknown) of MySQL-python 1.2.5's setup.py failing on Python 3: 1.2.5 is its last
    # release, so `--upgrade MySQL-python` builds the same one again; mysqlclient is the fix (siblings.toml's
    # `retired`). A project not retired keeps the printed upgrade.
    fix = render_fix("upgrade-package", {}, FixContext(package=project))
    assert (fix is not None) is offered
    sibling = render_fix("use-binary-sibling", {}, FixContext(package=project))
    assert (sibling is not None) is not offered
