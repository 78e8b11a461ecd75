"""The closed set of fix actions: what each changes, how safe it is, and how it reads as a command to paste.

A rule names an action and its parameters; it cannot run anything and cannot make an action safer than it is
here. Safety levels:

- `safe`: `--fix` may apply it by itself (it only changes how pip picks or builds the failing package);
- `suggest`: printed as a command for the user to run (it changes the system, the Python, or the plan);
- `unsafe`: printed only with a warning, never applied (it weakens isolation or security).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from safe_pip.facts import (
    canonical_name,
    parsed_versions,
    pinned_requirement,
    python_versions_from,
    requirement_words,
    source_options,
)
from safe_pip.requested import Requested, UserRequests, nearest_release, read_user_requests, with_pin
from safe_pip.template import fill_template

__all__ = [
    "ACTIONS",
    "COMPILER_PACKAGES",
    "PACKAGE_MANAGERS",
    "PYTHON_HEADER_PACKAGES",
    "ActionSpec",
    "Fix",
    "FixContext",
    "render_fix",
    "shell_words",
]

SAFE, SUGGEST, UNSAFE = "safe", "suggest", "unsafe"

# System package managers, and how each installs packages (the first one is the default when the machine's
# is unknown, e.g. when diagnosing a log from elsewhere).
PACKAGE_MANAGERS: dict[str, str] = {
    "apt": "sudo apt-get install -y {}",
    "dnf": "sudo dnf install -y {}",
    "yum": "sudo yum install -y {}",
    "apk": "apk add {}",
    "zypper": "sudo zypper install -y {}",
    "pacman": "sudo pacman -S --needed {}",
    "brew": "brew install {}",
    "conda": "conda install -y {}",
    "winget": "winget install {}",
    "choco": "choco install -y {}",
}


@dataclass(frozen=True)
class ActionSpec:
    """One fix action: its safety, the parameters a rule may give it, and its default title."""

    id: str
    safety: str
    title: str
    params: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class FixContext:
    """What a fix's command needs to know beyond the rule: the package, and the command that failed."""

    package: str | None = None
    pip_command: str = "install"
    # The user's arguments after the pip command, when known (an install run); None when diagnosing a log.
    pip_args: tuple[str, ...] | None = None
    package_manager: str | None = None
    python: str = "python3"
    build_jobs: int | None = None  # parallel build jobs that fit in this machine's memory, when known
    # Whether a module is installed in the target (asked only by no-build-isolation); None: unknown.
    importable: Callable[[str], bool] | None = field(default=None, compare=False)
    # The newest version that has a wheel for the target, of a requirement (`psutil`, `psutil<6`), asked
    # by pin-to-wheel and only-binary when `wheel_versions` cannot say.
    wheel_version: Callable[[str], str | None] | None = field(default=None, compare=False)
    # Every version of a project that has a wheel for the target (None: pip did not say), asked by
    # pin-to-wheel and only-binary: one query answers both "within the user's versions" and "nearest".
    wheel_versions: Callable[[str], tuple[str, ...] | None] | None = field(default=None, compare=False)
    # Whether the target is a virtual environment (asked only by upgrade-pip, which changes the target's pip
    # by itself only there); None: unknown.
    target_venv: Callable[[], bool] | None = field(default=None, compare=False)
    # What the user asked for, project by project (command line and requirement files); None: read from
    # `pip_args` alone.
    requests: UserRequests | None = None
    # "nearest": --fix may move a version the user pinned to the nearest release with a wheel here.
    fix_versions: str = ""
    # A wheel in the same folder as a wheel file the user named, of the same project, that fits the target
    # (asked only by only-binary in place of a wheel that does not fit); None: unknown.
    fitting_wheel: Callable[[str, str], str | None] | None = field(default=None, compare=False)
    # The newest of some Python versions (X.Y, newest first) for which a requirement (`numpy==1.21.0`) has a
    # wheel, asked only by use-python when the user pinned the package; None: unknown.
    python_for: Callable[[str, tuple[str, ...]], str | None] | None = field(default=None, compare=False)
    # Whether pip resolves a whole install command line (a dry run; None: cannot say), asked before a
    # named fix is applied to a dependency the user did not name.
    resolves: Callable[[tuple[str, ...]], bool | None] | None = field(default=None, compare=False)
    # The project whose requirement brought in a dependency and what it required (`pydantic-core` ->
    # (`pydantic`, `==2.14.6`)), from pip's "Collecting X (from Y)" lines; None: unknown.
    required_by: Callable[[str], tuple[str, str] | None] | None = field(default=None, compare=False)
    # What a release of a project requires of another (`pydantic`, `2.8.2`, `pydantic-core` -> `==2.20.1`,
    # "-" for nothing), from the metadata the target's pip reads; None: cannot say. Asked only by
    # pin-to-wheel, to move the user's pin of a parent whose pinned dependency has no wheel here.
    requirement_of: Callable[[str, str, str], str | None] | None = field(default=None, compare=False)
    # The target's pip version, when known (read from its files, no process started).
    pip_version: tuple[int, ...] | None = None
    # safe-pip's own options that chose the target (`--python P`): every printed safe-pip command has them.
    target_options: tuple[str, ...] = ()
    # Whether system package commands need `sudo` (not as root, nor where there is no sudo).
    sudo: bool = True
    # The index the user's pip reads (their --index-url, else PIP_INDEX_URL), when known.
    index_url: str | None = None
    # URLs with credentials that came from environment variables (URL -> variable name): printed commands
    # refer to the variable instead of showing the URL masked.
    secrets: Mapping[str, str] = field(default_factory=dict)
    # A private folder --fix may write a retry's files in (a build constraints file), removed after the loop;
    # None: there is none, and a fix that needs one is only printed.
    scratch_folder: str | None = None
    # The environment changes earlier fixes of this run made (a second build constraint keeps the first).
    applied_env: Mapping[str, str] = field(default_factory=dict)
    # pip's constraint variables the user set (PIP_CONSTRAINT, PIP_BUILD_CONSTRAINT): a fix that would
    # replace them is only printed.
    user_constraint_variables: tuple[str, ...] = ()
    # Whether a C compiler (cc, gcc or clang) is on PATH; None: unknown.
    compiler_on_path: bool | None = None
    # Whether the target interpreter has its headers (Python.h), and its version (X.Y: apt names the headers'
    # package by it, python3.11-dev); None: unknown. Asked only by install-system-package.
    python_headers: Callable[[], tuple[bool, str] | None] | None = field(default=None, compare=False)
    # The CPython versions installed here (X.Y -> an interpreter's path: python3.X on PATH, pyenv's); asked
    # only by use-python, whose bare `python3.X` does not run where that Python is only pyenv's.
    installed_pythons: Callable[[], Mapping[str, str]] | None = field(default=None, compare=False)
    # pip's PIP_NO_BUILD_ISOLATION turned isolation off for this run (facts.pip_builds_in_isolation), as
    # --no-build-isolation in `pip_args` does.
    isolation_off_by_environment: bool = False
    # A log from elsewhere: the system its lines name ("win32", "darwin"; logplatform.log_platform) and
    # whether pip ran in a conda environment. System package commands are then that system's (no apt-get for a
    # Windows log; none at all when the rule knows no package there); None: this machine's, or unknown.
    log_system: str | None = None
    log_conda: bool = False
    # ... and whether on Alpine Linux (its package manager is apk; no other distribution's command fits).
    log_alpine: bool = False
    # A log from elsewhere installs the failing package from a local folder or file (`Processing ./proj`) or a
    # URL (`Collecting git+https://...`, `x @ https://...`): printed commands install that source again (by
    # name, the index's project of that name would come), and no fix looks the name up on an index.
    package_path: str | None = None
    # A log from elsewhere printed by a project manager whose resolver failed on the project's declared Python
    # range ("uv", "poetry", "pdm": uv's "resolving dependencies for split", Poetry's "The current project's
    # Python requirement"), not on the Python it ran: a venv of another Python changes nothing there. "pipx":
    # pipx's pip failed in the venv it makes for an app, whose Python is pipx's --python.
    project_tool: str | None = None
    # A log printed in a notebook ("colab", "kaggle", "jupyter", or "notebook" for one of unknown kind: a
    # cell's `!pip install`; classify's _NOTEBOOKS): Colab's and Kaggle's Python is the runtime's, which a
    # venv does not change; Jupyter runs its kernel's Python.
    log_notebook: str | None = None
    # The requirements a log's pip collected as asked (`Collecting reportgen==1.4.0`, not "(from ...)"
    # another): a printed re-run for a dependency that failed names them, not the dependency alone.
    log_requested: tuple[str, ...] = ()
    # How a log's pip collected the failing package "(from ...)" another project (`pandas==2.1.1` from
    # metagpt==0.8.1): a version there is that project's; "" when the user's own or unknown.
    log_collected_as: str = ""
    # The user's own folder a log installs when the failing package is a dependency pip collected for it
    # ("Processing /home/pi/smahub", then "(from ...->smahub==1.4.0)"): another Python's venv gets the folder.
    log_project_folder: str = ""

    @property
    def builds_isolated(self) -> bool:
        """Whether the run builds in isolated environments (None arguments: the log's, read as isolated)."""
        return not self.isolation_off_by_environment and "--no-build-isolation" not in (self.pip_args or ())


@dataclass(frozen=True)
class PinMove:
    """A version the user asked for that a fix moves: the project, what the user gave (an exact version, or a
    range when they gave no single version) and the release it moves to."""

    project: str
    given: str
    to: str

    def __str__(self) -> str:
        return f"{self.project} {self.given} -> {self.to}"


@dataclass(frozen=True)
class Fix:
    """A fix ready to show (and, when `auto`, to apply): the contract's JSON `fixes[]` entry."""

    id: str
    title: str
    auto: bool
    pip_args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    command: str = ""
    safety: str = SUGGEST
    # The whole argument list after the pip command once this fix is applied to the user's (None when the
    # user's arguments are unknown, or the fix is not a pip re-run): what `--fix` runs.
    args: tuple[str, ...] | None = None
    # A pip command (the words after `python -m pip`) that `--fix` runs in the target before the re-run,
    # such as upgrading pip itself; empty for fixes that only change the re-run.
    before: tuple[str, ...] = ()
    # A version the user pinned that this fix moves (`psutil 5.9.0 -> 5.9.8`): said loudly, and reported.
    moves_pin: PinMove | None = None
    # Files `--fix` writes before the re-run and removes after it (path, text): a requirement file's copy
    # with one pin changed, which `args` names in place of the user's file.
    files: tuple[tuple[str, str], ...] = ()
    # For each such copy, the user's file it stands for (copy path, user's path): what to tell the user.
    copies_of: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "auto": self.auto,
            "pip_args": list(self.pip_args),
            "env": dict(self.env),
            "command": self.command,
            **({"moves_pin": str(self.moves_pin)} if self.moves_pin else {}),
        }


# Either the packages per manager, or what is missing (looked up in `syspackages`).
# `builds`: what the package is installed for, when not for a C build (the default, "c"): "rust" (cargo
# links with the C compiler, needs no Python.h), "no" (not a build: Python itself, or a list of needs shown
# one by one).
_SYSTEM_PARAMS = (*PACKAGE_MANAGERS, "what", "header", "library", "tool", "builds")
# What every C build needs besides the library a rule names, by package manager: the compiler, and the target
# Python's headers (apt names them by version: python3.11-dev; "{version}" is X.Y). doctor names them too.
COMPILER_PACKAGES = {
    "apt": "build-essential",
    "dnf": "gcc gcc-c++ make",
    "yum": "gcc gcc-c++ make",
    "apk": "build-base",
    "zypper": "gcc gcc-c++ make",
    "pacman": "base-devel",
}
PYTHON_HEADER_PACKAGES = {
    "apt": "python{version}-dev",
    "dnf": "python3-devel",
    "yum": "python3-devel",
    "apk": "python3-dev",
    "zypper": "python3-devel",
}

ACTIONS: dict[str, ActionSpec] = {
    spec.id: spec
    for spec in (
        ActionSpec("prefer-binary", SAFE, "Prefer releases that have a wheel over building from source"),
        # `instead_of`: a wheel file or URL in the user's arguments to replace by the package's name, so pip
        # picks the wheel that fits from the index.
        ActionSpec(
            "only-binary", SAFE, "Use a pre-built wheel of {package}", ("package", "instead_of"), ("package",)
        ),
        ActionSpec(
            "no-binary",
            SAFE,
            "Build {package} from source instead of using its wheel",
            ("package",),
            ("package",),
        ),
        ActionSpec(
            "pin-to-wheel",
            SAFE,
            "Install {package} {version}, its newest release with a wheel for this Python",
            # `unreleased = "yes"`: the index has no release of the user's pin at all (numpy==1.99.0).
            ("package", "unreleased"),
            ("package",),
        ),
        ActionSpec(
            "limit-build-jobs",
            SAFE,
            "Build with fewer parallel jobs ({jobs}) so the compile fits in memory",
            # `parallel`: the log line that shows the build runs several jobs at once ("" when the rule saw
            # none: then fewer jobs cannot help, and the fix is only printed).
            ("jobs", "parallel"),
        ),
        # Without build isolation the build runs in the target: its build backend must be installed there.
        ActionSpec(
            "install-build-backend",
            SAFE,
            "Install {backend} first: without build isolation the build imports it from your environment",
            ("module",),
            ("module",),
        ),
        ActionSpec(
            "no-build-isolation",
            SAFE,
            "Build {package} against the {module} already installed (--no-build-isolation)",
            ("module",),
        ),
        # `older_than`: offered only when the target's pip is known to be older than this version (a build
        # rule's way of saying "a newer pip may find a wheel instead of building").
        ActionSpec(
            "upgrade-pip", SAFE, "Upgrade pip, which is too old for the wheels that exist", ("older_than",)
        ),
        ActionSpec("increase-timeout", SAFE, "Retry with a longer network timeout and more retries"),
        ActionSpec("no-cache", SAFE, "Retry without pip's cache (--no-cache-dir) to save disk space"),
        # `interpreter`: that Python's path when one is installed here (pyenv's, or python3.X on PATH); `pin`:
        # the release a log shows the user pinned, whose own Requires-Python chose `version` (a log read
        # without the user's command line).
        ActionSpec(
            "use-python",
            SUGGEST,
            "Use Python {version}, which {package} supports",
            ("version", "interpreter", "pin"),
            ("version",),
        ),
        # The project the user meant by a name the index lacks (an import name, a typo): their choice.
        ActionSpec(
            "use-project", SUGGEST, "Install {project} instead of {package}", ("project", "why"), ("project",)
        ),
        ActionSpec("allow-prereleases", SUGGEST, "Allow pre-releases of {package} (--pre)"),
        # PyPI beside a private index that replaces it: printed with its risk, never applied (no fix adds an
        # index option by itself).
        ActionSpec(
            "add-extra-index",
            SUGGEST,
            "Also read {url} (--extra-index-url): only if {package} is public; pip then takes the highest "
            "version from either index, so a same-named public project can win over a private one "
            "(dependency confusion)",
            ("url",),
            ("url",),
        ),
        ActionSpec("create-venv", SUGGEST, "Install into a virtual environment instead"),
        ActionSpec("use-pipx", SUGGEST, "Install the application {package} with pipx"),
        # Another project that ships the same code as wheels (siblings.py): the user's choice, never --fix's.
        ActionSpec("use-binary-sibling", SUGGEST, "Install {sibling} instead of {package}: {why}"),
        ActionSpec("install-system-package", SUGGEST, "Install {what}", _SYSTEM_PARAMS, ("what",)),
        ActionSpec("set-cuda-home", SUGGEST, "Point CUDA_HOME at the CUDA toolkit", ("path", "version")),
        ActionSpec("install-rust", SUGGEST, "Install the Rust toolchain (rustup)"),
        ActionSpec("install-xcode-tools", SUGGEST, "Install the Xcode Command Line Tools"),
        ActionSpec(
            "add-requirement",
            SUGGEST,
            "Install {requirement} alongside {package}",
            ("requirement",),
            ("requirement",),
        ),
        ActionSpec("upgrade-package", SUGGEST, "Upgrade {package} to a release built for what you have"),
        ActionSpec(
            "constrain-build",
            SAFE,
            "Build {package} with {requirement} in its build environment",
            # `compiles = "yes"`: the build compiles C (Cython's output), so a retry without a C compiler on
            # PATH cannot work and is only printed.
            ("requirement", "compiles"),
            ("requirement",),
        ),
        ActionSpec("set-tmpdir", SUGGEST, "Build in a folder on a disk with free space (TMPDIR)"),
        ActionSpec("set-cert", SUGGEST, "Tell pip which CA certificate to trust (--cert)"),
        ActionSpec("use-truststore", SUGGEST, "Let pip use the system's certificate store"),
        ActionSpec("set-proxy", SUGGEST, "Configure the HTTP(S) proxy pip must use"),
        ActionSpec(
            "check-network",
            SUGGEST,
            "Check that the package index is reachable from here",
            # `project`: whose index page to ask for (default: the failing package); `url`: a fixed address;
            # `index`: the index the log shows pip reading (its project page is asked for).
            ("url", "project", "index"),
        ),
        ActionSpec("regenerate-hashes", SUGGEST, "Regenerate the hashes in your requirements file"),
        ActionSpec("relax-requirements", SUGGEST, "Loosen one of the conflicting requirements"),
        ActionSpec("user-install", SUGGEST, "Install for your user only (--user)"),
        ActionSpec(
            "break-system-packages",
            UNSAFE,
            "Override the OS's protection of its Python (--break-system-packages)",
        ),
        ActionSpec(
            "trusted-host", UNSAFE, "Skip TLS verification for {host} (--trusted-host)", ("host",), ("host",)
        ),
        # Writes over files another installer (apt, conda) owns, which it then no longer matches.
        ActionSpec(
            "ignore-installed",
            UNSAFE,
            "Install over the installed packages without uninstalling them (--ignore-installed)",
        ),
    )
}

# The actions that put the package's name on pip's command line, and what a name may be (PEP 508).
_NAMED_ACTIONS = frozenset({"only-binary", "no-binary", "pin-to-wheel"})
_PROJECT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")

_BUILD_JOB_VARIABLES = ("MAX_JOBS", "CMAKE_BUILD_PARALLEL_LEVEL", "CARGO_BUILD_JOBS", "NPY_NUM_BUILD_JOBS")


def render_fix(
    action: str,
    params: Mapping[str, str],
    context: FixContext,
    *,
    title: str | None = None,
    allow_auto: bool = True,
) -> Fix | None:
    """The fix as the user will see it; None when it cannot be given here (it needs an unknown package)."""
    spec = ACTIONS[action]
    if context.log_system == "win32" and context.python == "python3":
        # Windows installs python.exe; python3 there is the Microsoft Store's installer stub.
        context = replace(context, python="python")
    values = {"package": context.package or "", **params}
    # use-pipx: PEP 668's error names no package; the ones on the command line (as written: `six==1.16`, a
    # wheel file) are what the user meant to install.
    applications = [context.package] if context.package else []
    if action == "use-pipx" and not applications and context.pip_args:
        applications = [context.pip_args[at] for at, _name in requirement_words(context.pip_args)]
        values["package"] = " ".join(applications)
    if "package" in spec.required and not context.package and "package" not in params:
        return None
    # The name the log or the user gave ("" when unknown): a title may say "the package", a command never.
    package = values["package"]
    if "{package}" in (title or spec.title) and not values["package"]:
        values["package"] = "the package"
    pip_args: tuple[str, ...] = ()
    env: dict[str, str] = {}
    before: tuple[str, ...] = ()
    command = ""
    moves: PinMove | None = None
    files: tuple[tuple[str, str], ...] = ()
    copies_of: tuple[tuple[str, str], ...] = ()
    # Whether the user named the package (its versions are then theirs to give), before a fix adds it.
    named_by_user = (
        action in _NAMED_ACTIONS and context.pip_args is not None and bool(_requests(context).of(package))
    )
    if action in _REBUILDS and package and _placeholder_requested(context, package):
        # The newest release of that name is a placeholder that fails on purpose (tensorflow-gpu 2.12.0):
        # built again under older setuptools or another Python it still installs nothing (real run: a
        # constrained rebuild, then `python3.11 -m venv` offered). use-binary-sibling names the project.
        return None
    if action in _NAMED_ACTIONS and not _PROJECT_NAME.fullmatch(package):
        # A rule's parameter or a capture from the log is not a project name ("--index-url=...", ":all:"):
        # it never reaches pip's command line, where it could be read as an option.
        return None
    if action == "prefer-binary":
        pip_args = ("--prefer-binary",)
    elif action == "no-binary":
        if _named_source(context, package):
            return None  # the user named the file or URL to build from: pip takes no choice there
        pip_args = (f"--{action}", package)
    elif action == "only-binary":
        instead_of = values.get("instead_of", "")
        if instead_of.endswith(".whl"):
            return _wheel_in_place_of(spec, values, context, instead_of)
        if _named_source(context, package):
            return None  # a file, folder or URL the user named is never swapped for a name on the index
        if _user_builds_from_source(context, package):
            return None  # their --no-binary comes later on the command line and wins: nothing would change
        if (
            context.wheel_version is None
            and context.wheel_versions is None
            and not _wheels_on(context, package)
        ):
            return None  # the project publishes no wheel for that system (psycopg2 on Linux): pip finds none
        if (context.wheel_version or context.wheel_versions) is not None and context.pip_args is not None:
            # Only worth a retry when a release within the user's own versions has a wheel here.
            release = _wheel_release(context, package)
            if release is None or not release[1]:
                return None
        elif (
            context.pip_args is not None and context.wheel_version is None and context.wheel_versions is None
        ):
            # A run that does not pick a fix (not --fix, --suggest or a terminal) does not ask the index
            # (seconds of pip): whether a wheel fits this machine is unknown, and the title says so.
            title = title or (
                f"Use a pre-built wheel of {package}, if the index has one for this machine "
                "(not asked here: --suggest asks)"
            )
        pip_args = (f"--{action}", package)
    elif action == "pin-to-wheel":
        # The version is found at fix time, by asking the target's pip which release has a fitting wheel
        # within every version the user gave (command line, requirement and constraint files); the pin
        # replaces the user's command-line requirement (its extras and marker kept) or is added beside a
        # requirement file's. A release outside the user's versions is only suggested, unless they opted in
        # with --fix-versions nearest.
        if not package or _named_source(context, package) or _user_builds_from_source(context, package):
            return None
        if context.wheel_version is None and context.wheel_versions is None:
            return None
        parent = None if named_by_user else _parent_move(context, package)
        if parent is not None:
            # Its parent pins it, and no release the parent allows has a wheel here: the parent's pin moves.
            dependency, (package, version) = package, parent
            values["package"] = package
            release = (version, False)
            named_by_user = True
            pinned_parent = _requests(context).pinned_version(package)
            title = title or (
                f"{package} {pinned_parent} pins {dependency}, which has no wheel for this Python in the "
                f"versions it allows; {package} {version} is the nearest release whose {dependency} has one"
            )
        else:
            release = _wheel_release(context, package)
        if release is None:
            return None
        version, within = release
        values["version"] = version
        requests = _requests(context)
        if requests.hash_checking or "--require-hashes" in (context.pip_args or ()):
            # In hash-checking mode a pin needs the new release's hashes, which only the user can vouch for.
            allow_auto = False
        pinned = requests.pinned_version(package)
        if not within:
            unreleased = values.get("unreleased", "").strip().lower() in ("yes", "true", "1")
            if not pinned:
                title = (
                    title
                    or f"No release of {package} within your versions has a wheel here; {version} has one"
                )
            elif unreleased:
                title = (
                    title or f"{package} has no release {pinned}; {version} is the nearest with a wheel here"
                )
            else:
                title = title or (
                    f"{package} {pinned} has no wheel for this Python; "
                    f"{version} is the nearest release with one"
                )
            moves = PinMove(package, pinned or requests.specifier(package), version)
            allow_auto = allow_auto and context.fix_versions == "nearest"
        pip_args = ("--only-binary", package)
        if context.pip_args is not None:
            changed = context.pip_args
            typed = requests.on_command_line(package)
            if typed is not None and typed.position is not None:
                # The user's own word, pinned (extras and marker kept).
                changed = (
                    *changed[: typed.position],
                    pinned_requirement(typed.text, version),
                    *changed[typed.position + 1 :],
                )
            in_files = [item for item in requests.of(package) if item.file is not None and item.specifier]
            if within and typed is None:
                marker = next((item.marker for item in requests.of(package) if item.marker), "")
                changed = (*changed, f"{package}=={version}" + (f" ; {marker}" if marker else ""))
            elif not within and in_files:
                # A requirement or constraint file pins it: a second pin beside it would conflict. With
                # --fix-versions nearest, pip reads a copy of the file with that line changed, written beside
                # it (so that the paths in it mean the same), and the user is told what to change.
                title = f"{title} (change it in {_origin_file(requests, package)})"
                copy = _pinned_copy(requests, package, version)
                if copy is None or len(in_files) > 1 or context.fix_versions != "nearest":
                    allow_auto = False
                    if typed is None:
                        changed = (*changed, f"{package}=={version}")
                else:
                    original, written, text = copy
                    changed = _replace_file_argument(changed, original, written)
                    files = ((written, text),)
                    copies_of = ((written, original),)
            context = replace(context, pip_args=changed)
    elif action == "limit-build-jobs":
        jobs = values.get("jobs", "")
        # ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
        if not (jobs.isascii() and jobs.isdigit()) or int(jobs) < 1:
            jobs = str(context.build_jobs or 1)
        values["jobs"] = jobs
        env = dict.fromkeys(_BUILD_JOB_VARIABLES, jobs)
        env["MAKEFLAGS"] = f"-j{jobs}"
        if "parallel" in params and not params["parallel"].strip():
            allow_auto = False
            title = title or (
                f"Build with fewer parallel jobs ({jobs}), if the build runs several at once "
                "(the log does not show that it does)"
            )
    elif action == "install-build-backend":
        # Only for a build the user runs without isolation (with isolation pip installs the backend itself),
        # and only when the target lacks the backend (when it has it, something else broke its import).
        from safe_pip.projectnames import backend_project

        project = backend_project(values.get("module", ""))
        importable = context.importable
        if (
            project is None
            or context.pip_args is None
            or context.builds_isolated
            or (importable is not None and importable(values.get("module", "")))
        ):
            return None
        values["backend"] = project
        before = ("install", *source_options(context.pip_args), project)
        command = (
            shell_words(["safe-pip", *context.target_options, *before], context.secrets)
            + " && "
            + _pip_command(context, ())
        )
    elif action == "no-build-isolation":
        if context.isolation_off_by_environment:
            return None  # PIP_NO_BUILD_ISOLATION already turned it off: the retry would change nothing
        pip_args = ("--no-build-isolation",)
        module = values.get("module")
        # Building against the target's own packages works when what the build imports is there: then it is
        # a re-run (safe to apply). When it is not, but the user asked for it in the same command, --fix
        # installs it first, as the user wrote it and from the user's sources (the order pip cannot know);
        # otherwise installing it is the user's choice (printed only). Without isolation the build backend
        # (setuptools and wheel, for the setup.py builds that do this) must be in the target too.
        importable = context.importable or (lambda _module: False)
        first: list[str] = []
        if module and not importable(module):
            # The project that provides the module (`skbuild` is scikit-build's), to install and to look for
            # among what the user asked; a build backend's module by the backend's project (`poetry` is
            # poetry-core's, `mesonpy` meson-python's, `scikit_build_core` scikit-build-core's).
            from safe_pip.projectnames import backend_project

            project = backend_project(module) or module
            requests = _requests(context)
            asked = [item.text for item in requests.of(project) if not item.constraint]
            if not asked or context.pip_args is None:
                # Into the same target, from the user's own sources (their index options), as below.
                sources = source_options(context.pip_args) if context.pip_args is not None else ()
                before_words = ["safe-pip", *context.target_options, "install", *sources, project]
                command = shell_words(before_words, context.secrets) + " && "
                command += _pip_command(context, pip_args)
            else:
                # The build may import more of what the user asked for than the one module it stopped at
                # (numpy after cython): every other requirement on the command line goes in first too.
                failing = canonical_name(package) if package else ""
                others = [
                    item.text
                    for item in requests.items
                    if item.position is not None and not item.constraint and item.name not in (None, failing)
                ]
                first = list(dict.fromkeys([*asked, *others]))
        if not command and context.importable is not None:
            # What pip would put into the isolated build environment of a setup.py project (older setuptools
            # builds wheels only with `wheel` beside it: "invalid command 'bdist_wheel'").
            first += [backend for backend in ("setuptools", "wheel") if not importable(backend)]
        if first and context.pip_args is not None and not command:
            before = ("install", *source_options(context.pip_args), *first)
            title = (
                title
                or f"Install {', '.join(first)} first, then build {package} against it (--no-build-isolation)"
            )
            command = (
                shell_words(["safe-pip", *context.target_options, *before], context.secrets)
                + " && "
                + _pip_command(context, pip_args)
            )
    elif action == "upgrade-pip":
        # The new pip comes from where the user's packages come from (their index options), and the user's
        # command then runs unchanged with it. Outside a virtual environment pip belongs to the system or to
        # the user's base Python: printed, never done by --fix.
        older_than = _version_tuple(values.get("older_than", ""))
        if older_than and (context.pip_version is None or context.pip_version >= older_than):
            return None  # the target's pip reads today's wheel tags (or its version is unknown)
        upgrade = ("install", "--upgrade", "pip", *source_options(context.pip_args or ()))
        command = shell_words((context.python, "-m", "pip", *upgrade), context.secrets)
        if context.pip_args is not None:
            command += " && " + _pip_command(context, ())
            if context.target_venv is not None and context.target_venv():
                before = upgrade
    elif action == "increase-timeout":
        pip_args = ("--timeout", "60", "--retries", "10")
    elif action == "no-cache":
        pip_args = ("--no-cache-dir",)
    elif action == "use-python" and context.project_tool == "pipx":
        # pipx makes the app's venv with the Python it is given (real pastes: `pipx install renku` on 3.12,
        # numpy<1.22's build needs distutils; `pipx install .` with pyperclip's old setup on 3.12): a venv
        # made by hand is not the app's. The app is the user's to name (pipx's "Error installing renku.").
        if not values.get("version"):
            return None  # no released Python fits: better no command than a guess
        command = f"pipx install --python python{values['version']} <app>"
        title = (
            f"Install the app with pipx on Python {values['version']}, which "
            f"{package or 'the package that failed'} supports"
        )
    elif action == "use-python" and context.project_tool is not None:
        # uv, Poetry and PDM resolve for every Python the project declares (requires-python, Poetry's
        # `python`), so a venv of another Python fails the same way (real pastes: `uv add mcp` with
        # requires-python >=3.9, `poetry add pyside6` with python ^3.9): the project's range is what to
        # change.
        where = (
            "`python` under [tool.poetry.dependencies] in pyproject.toml"
            if context.project_tool == "poetry"
            else "`requires-python` in pyproject.toml"
        )
        title = (
            f"Set the project's Python versions ({where}) to ones {package or 'the package'} supports, "
            f"then run {context.project_tool} again"
        )
    elif action == "use-python" and context.log_notebook in ("colab", "kaggle"):
        # The notebook runs the runtime's Python whatever venv a cell makes (real pastes: a `python3.10 -m
        # venv` printed for Colab). What works there: a release of the package that supports that Python;
        # when the user pinned one that does not, the newest that does (pip skips the ones that do not).
        where = "Colab" if context.log_notebook == "colab" else "Kaggle"
        name = package or "the package"
        pinned = values.get("pin") or (_requests(context).pinned_version(package) if package else None)
        title = (
            f"{where} runs your notebook on its runtime's Python, which a virtual environment does not "
            f"change: install a release of {name} that supports that Python"
        )
        if pinned and _PROJECT_NAME.fullmatch(package) and not context.package_path:
            title += f" ({package} {pinned} does not; without the pin pip takes the newest that does)"
            command = f"%pip install {package}"
    elif action == "use-python":
        if not values.get("version"):
            return None  # no released Python fits: better no command than a guess
        # Never a bare `pip install` (nor one of "the package", the title's stand-in): <package> to fill in.
        # A project the log installed from a file, folder or URL is installed from it again, not by name.
        source = context.package_path if context.pip_args is None else None
        to_install = [source or context.package] if context.package else ["<package>"]
        log_asked = _log_request(context) if context.pip_args is None and not source else ()
        # ... or, for a dependency of the user's own folder, that folder (real paste: `pip3 install .` of
        # smahub on 3.13, pydantic-core 2.18.2's PyO3 too old: the new venv got pydantic-core alone)
        folder = context.log_project_folder if context.pip_args is None and not source else ""
        if log_asked:
            to_install = list(log_asked)  # a dependency's Python: the venv gets what the user asked for
        elif folder:
            to_install = [folder]
        pinned = _requests(context).pinned_version(package) if package and context.pip_args else None
        logged_pin = values.get("pin") if context.pip_args is None and package else None
        if logged_pin and _PROJECT_NAME.fullmatch(package) and not source and not log_asked and not folder:
            # The log's own list of skipped releases gave this pin's Requires-Python: the version chosen
            # supports it, so the pin goes with it.
            to_install = [f"{package}=={logged_pin}"]
            title = (
                f"Use Python {values['version']}, which {package} {logged_pin} supports (its Requires-Python)"
            )
        elif pinned:
            # The user's pin goes with the suggested Python only if that release has a wheel for it; else the
            # newest older Python that it has one for, asked of the index; else the project unpinned.
            older = python_versions_from(values["version"])
            supported = context.python_for(f"{package}=={pinned}", older) if context.python_for else None
            if supported:
                values["version"] = supported
                to_install = [f"{package}=={pinned}"]
                title = f"Use Python {supported}, the newest that {package} {pinned} has a wheel for"
            elif context.python_for is not None:
                title = (
                    f"Use Python {values['version']} with a newer {package} "
                    f"({package} {pinned} has no wheel for Python {values['version']} or older)"
                )
            else:
                title = (
                    f"Use Python {values['version']} with a release of {package} that supports it "
                    f"(your pinned {pinned} may not)"
                )
        if not values.get("interpreter") and context.installed_pythons is not None:
            # A Python of that version installed here, by its path: `python3.9` is often no command where
            # pyenv installed it (its shim runs only the versions pyenv was told to; real run, numpy 1.21.0).
            values["interpreter"] = context.installed_pythons().get(values["version"], "")
        interpreter = values.get("interpreter") or f"python{values['version']}"
        if not interpreter.endswith(f"python{values['version']}"):
            interpreter = f"python{values['version']}"  # the path is of another version than the one chosen
        typed = _requests(context).on_command_line(package) if package and context.pip_args else None
        if context.pip_args is not None and typed is not None and typed.position is not None:
            # The rest of the user's command goes with it (numpy==1.24.0 pandas==2.2.0 on 3.12: the new
            # Python's venv got numpy alone, real run), the failing requirement as chosen above.
            to_install = [
                *context.pip_args[: typed.position],
                *to_install,
                *context.pip_args[typed.position + 1 :],
            ]
        elif context.pip_args is not None and pinned and to_install == [f"{package}=={pinned}"]:
            # Pinned in a requirement file, with a wheel for that Python: the user's command as it is, the
            # file and all (numpy==1.21.0 in req.txt on 3.12, real run: the venv got numpy alone).
            to_install = list(context.pip_args)
        if context.log_system == "win32":
            # A Windows log: `python3.11` is no command there (python.org's installers put `py`, the
            # launcher, on PATH, which picks a version by `-3.11`), and the venv's Python is
            # .venv\Scripts\python.exe. A word cmd.exe or PowerShell would read as its own syntax (`numpy<2`,
            # quoted the POSIX way): no command.
            if not all(_WINDOWS_WORD.fullmatch(word) and " " not in word for word in to_install):
                return None
            command = f"py -{values['version']} -m venv .venv && .venv\\Scripts\\python -m pip install " + (
                " ".join(to_install)
            )
        elif context.log_notebook in ("jupyter", "notebook"):
            # The notebook runs its kernel's Python: the venv becomes a kernel of its own, to pick.
            kernel = f"python{values['version']}"
            command = f"{shlex.quote(interpreter)} -m venv .venv && " + shell_words(
                [".venv/bin/python", "-m", "pip", "install", "ipykernel", *to_install]
            )
            command += " && " + shell_words(
                [".venv/bin/python", "-m", "ipykernel", "install", "--user", "--name", kernel]
            )
            title = (
                f"{title or fill_template(spec.title, values)}, in a Jupyter kernel of its own: then choose "
                f"the kernel {kernel} for the notebook (it runs its kernel's Python)"
            )
            if context.log_notebook == "notebook":
                title += (
                    f"; on Colab or Kaggle, whose runtime's Python a venv does not change, install a release "
                    f"of {package or 'the package'} that supports that Python instead"
                )
        else:
            command = f"{shlex.quote(interpreter)} -m venv .venv && " + shell_words(
                [".venv/bin/python", "-m", "pip", "install", *to_install]
            )
    elif action == "use-binary-sibling":
        from safe_pip.siblings import binary_sibling

        sibling = binary_sibling(package) if package else None
        if sibling is None:
            return None
        values.update(sibling=sibling.name, why=sibling.why)
        requests = _requests(context)
        typed = requests.on_command_line(package)
        specifier = requests.specifier(package) if sibling.same_versions and context.pip_args else ""
        versions = context.wheel_versions(sibling.name) if specifier and context.wheel_versions else None
        if versions is not None and _newest_within(versions, specifier) is None:
            # The sibling's release of the user's version has no wheel here either (psycopg2-binary 2.8.6 has
            # none for Python 3.11: pip would build it from source as it did psycopg2; real run).
            pinned = requests.pinned_version(package)
            nearest = nearest_release(pinned, versions) if pinned else None
            if nearest is None:
                return None
            title = (
                f"Install {sibling.name} instead of {package}: {sibling.why} ({sibling.name} {pinned} has no "
                f"wheel for this Python; {nearest} is the nearest release with one)"
            )
            specifier = f"=={nearest}"
        if context.pip_args is not None and typed is not None and typed.position is not None:
            user = context.pip_args
            changed = (*user[: typed.position], sibling.name + specifier, *user[typed.position + 1 :])
            command = _pip_command(replace(context, pip_args=changed), ())
        else:
            command = _pip_command(replace(context, pip_args=(sibling.name + specifier,)), ())
            if context.pip_args is not None and requests.of(package):
                # From a requirement file: the file still names the project, which the next `-r` builds again.
                title = (
                    f"{title or fill_template(spec.title, values)} "
                    f"(and replace {package} with it in {_origin_file(requests, package)})"
                )
    elif action == "use-project":
        project = values["project"]
        if not _PROJECT_NAME.fullmatch(project):
            return None
        typed = _requests(context).on_command_line(package) if package else None
        if context.pip_args is not None and typed is not None and typed.position is not None:
            user = context.pip_args
            changed = (*user[: typed.position], project, *user[typed.position + 1 :])
            command = _pip_command(replace(context, pip_args=changed), ())
        else:
            command = _pip_command(replace(context, pip_args=(project,)), ())
        if values.get("why"):
            title = title or f"Install {project} instead of {package or 'the package'}: {values['why']}"
    elif action == "allow-prereleases":
        pip_args = ("--pre",)
    elif action == "add-extra-index":
        command = _pip_command(context, ("--extra-index-url", values["url"]))
    elif action == "create-venv":
        if context.log_system == "win32":
            command = r"python -m venv .venv && .venv\Scripts\activate && " + _pip_command(context, ())
        else:
            command = "python3 -m venv .venv && . .venv/bin/activate && " + _pip_command(context, ())
    elif action == "use-pipx":
        command = (
            shell_words(["pipx", "install", *applications]) if applications else "pipx install <package>"
        )
    elif action == "install-system-package":
        packages: Mapping[str, str] = params
        wanted = next((params[key] for key in ("header", "library", "tool") if params.get(key)), None)
        if wanted is not None and not any(params.get(manager) for manager in PACKAGE_MANAGERS):
            from safe_pip.syspackages import packages_for

            found = packages_for(wanted)
            if found is None:
                return None  # nothing known provides it: better no command than a guessed one
            packages = found
        packages, missing = _with_build_needs(packages, params.get("builds", "c").strip().lower(), context)
        if missing:
            title = (
                f"{title or fill_template(spec.title, values)}, and {missing}, which this machine lacks too"
            )
        command = _system_install(
            packages,
            context.package_manager,
            sudo=context.sudo,
            system="alpine" if context.log_alpine else context.log_system,
            conda=context.log_conda,
        )
        if not command and context.log_system is not None:
            return None  # no package of that system is known: better no command than another system's
    elif action == "set-cuda-home":
        if context.log_system == "win32":
            return None  # a POSIX path and `VAR=value command`: nothing a Windows shell would run
        if context.log_system == "darwin":
            return None  # no CUDA toolkit for macOS since CUDA 10.2: no folder to point CUDA_HOME at
        # A toolkit of one version installs as /usr/local/cuda-X.Y (/usr/local/cuda links to one of them): a
        # fix that needs another version than the current one must not point at the link.
        version = values.get("version", "")
        versioned = f"/usr/local/cuda-{version}" if re.fullmatch(r"\d+\.\d+", version) else None
        path = values.get("path") or versioned or "/usr/local/cuda"
        env = {"CUDA_HOME": path}
    elif action == "install-rust":
        if context.log_system == "win32":
            command = "winget install Rustlang.Rustup"  # rustup's Windows installer, as winget names it
        else:
            command = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"
    elif action == "install-xcode-tools":
        command = "xcode-select --install"
    elif action == "add-requirement":
        command = _pip_command(context, (values["requirement"],))
    elif action == "upgrade-package":
        if not package:
            return None  # nothing to name on the command line
        if _named_source(context, package):
            return None  # a file, folder or URL the user named is never swapped for a name on the index
        named = _requests(context).of(package) if context.pip_args is not None else ()
        if named and not any(item.specifier for item in named):
            # The user asked for it with no version: pip already took the newest release it could (pycrypto
            # 2.6.1, its last, on Python 3.12), and `--upgrade` would build the same one again.
            return None
        if context.pip_args is None and re.search(r"===?|~=|<", context.log_collected_as):
            # Another project pins or caps it ("Collecting pandas==2.1.1 (from metagpt==0.8.1)"): a newer one
            # breaks that project, which pip then reports as incompatible.
            return None
        from safe_pip.siblings import binary_sibling

        sibling = binary_sibling(package)
        if sibling is not None and sibling.retired:
            # No release newer than the one that failed will come (MySQL-python 1.2.5 on Python 3, from a log
            # whose request is unknown): use-binary-sibling names its successor.
            return None
        upgrading = ["safe-pip", *context.target_options, context.pip_command, "--upgrade", package]
        command = shell_words(upgrading, context.secrets)
    elif action == "constrain-build":
        compiles = values.get("compiles", "").strip().lower() in ("yes", "true", "1")
        # Another source build of a package that compiles C, on a machine without a compiler, fails again.
        allow_auto = allow_auto and not (compiles and context.compiler_on_path is False)
        if not values.get("requirement"):
            return None  # a rule always gives one (rules check); nothing to constrain without it
        env, files, allow_auto = _build_constraint(values["requirement"], context, allow_auto)
        variable = _build_constraint_variable(context)
        command = (
            f"echo {shlex.quote(values['requirement'])} > build-constraints.txt && "
            f"{variable}=build-constraints.txt " + _pip_command(context, ())
        )
    elif action == "set-tmpdir":
        env = {"TMPDIR": values.get("path") or "/path/with/space"}
    elif action == "set-cert":
        pip_args = ("--cert", "/path/to/your-ca-bundle.pem")
    elif action == "use-truststore":
        pip_args = ("--use-feature=truststore",)
    elif action == "set-proxy":
        pip_args = ("--proxy", "http://proxy.example:3128")
    elif action == "check-network":
        # The index the user's pip reads, at the failing project's page: where the failure happened.
        # (`index`: the one the log says pip looked in, "Looking in indexes: URL")
        index = (
            values.get("url") or values.get("index") or context.index_url or "https://pypi.org/simple/"
        ).rstrip("/")
        page = values.get("project") or (context.package or "")
        url = f"{index}/{page}/" if page and not values.get("url") else index
        # A Windows log: curl.exe, which Windows 10+ ships; PowerShell 5's `curl` is Invoke-WebRequest, which
        # takes no -sSI (real paste: a `PS C:\>` prompt under "from versions: none").
        curl = "curl.exe" if context.log_system == "win32" else "curl"
        command = shell_words([curl, "-sSI", url], context.secrets)
    elif action == "regenerate-hashes":
        command = "pip-compile --generate-hashes requirements.in"
    elif action == "relax-requirements":
        command = ""
    elif action == "user-install":
        pip_args = ("--user",)
    elif action == "break-system-packages":
        pip_args = ("--break-system-packages",)
    elif action == "ignore-installed":
        pip_args = ("--ignore-installed",)
    elif action == "trusted-host":
        pip_args = ("--trusted-host", values["host"])
    if (
        pip_args
        and context.pip_args is not None
        and (_has_run(context.pip_args, pip_args) or _already_set(context.pip_args, pip_args))
    ):
        # The command already has these options (an earlier fix added them), or the user set one of them:
        # their own value comes later on the command line and wins, so the fix would change nothing.
        return None
    # A fix that writes a file (a build constraint) runs with it, though its printed command writes its own.
    rerun = bool(before) or (not command and bool(pip_args or env)) or bool(files and env)
    if rerun and not before and not command:
        command = _pip_command(context, pip_args, env)
    text = title if title is not None else fill_template(spec.title, values)  # a given title is filled
    auto = allow_auto and spec.safety == SAFE and rerun
    # A dependency nobody named: another requirement may pin it (pydantic 2.5.3 pins pydantic-core), so the
    # changed command is resolved first (a dry run); one pip cannot resolve is only printed.
    if (
        auto
        and action in _NAMED_ACTIONS
        and context.resolves is not None
        and context.pip_args is not None
        and package
        and not named_by_user
        and context.resolves((*pip_args, *context.pip_args)) is False
    ):
        auto = False
        text += " (pip cannot resolve it with the rest of your requirements: another one pins it)"
    return Fix(
        id=action,
        title=text,
        auto=auto,
        pip_args=pip_args,
        env=env,
        command=command,
        safety=spec.safety,
        args=(*pip_args, *context.pip_args) if rerun and context.pip_args is not None else None,
        before=before,
        moves_pin=moves,
        files=files,
        copies_of=copies_of,
    )


def _log_request(context: FixContext) -> tuple[str, ...]:
    """What a log's pip was asked for when the failing package is not among it (a dependency: `Collecting
    fastcsvx>=0.9 (from reportgen==1.4.0)`): a printed command installs that, with the fix's options for the
    dependency. Empty when the package was asked for, or the log does not say."""
    if not context.package or not context.log_requested:
        return ()
    if context.log_requested[0] == "-r":
        return context.log_requested  # the requirement file whose project pulled the dependency in
    return requested_other_than(context.package, context.log_requested)


def requested_other_than(package: str, requested: Sequence[str]) -> tuple[str, ...]:
    """`requested` (requirements as a log's pip was asked for them: `reportgen==1.4.0`) when `package` is not
    one of them, else empty."""
    wanted = canonical_name(package)
    names = [re.match(r"[A-Za-z0-9][\w.-]*", text) for text in requested]
    if any(name is None or canonical_name(name.group(0)) == wanted for name in names):
        return ()
    return tuple(requested)


def _pip_command(context: FixContext, extra: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """`safe-pip install <extra> <the user's args>` (or the package when the args are unknown)."""
    if context.pip_args is not None:
        rest = list(context.pip_args)
    elif context.package_path:
        rest = [context.package_path]
    elif context.package:
        # What was asked: the dependency's parent, or the package with the user's version (`llvmlite==0.34.0`,
        # not `llvmlite`, which would take another release than the one the user chose).
        rest = list(_log_request(context) or context.log_requested or (context.package,))
    else:
        rest = ["<package>"]
    words = ["safe-pip", *context.target_options, context.pip_command, *extra, *rest]
    prefix = "".join(f"{name}={shlex.quote(value)} " for name, value in (env or {}).items())
    return prefix + shell_words(words, context.secrets)


def shell_words(words: Sequence[str], secrets: Mapping[str, str] | None = None) -> str:
    """Words as a command to paste into a POSIX shell: each quoted when it needs it, so that `shlex.split`
    (and the shell) gives back exactly these words. `<package>` is a placeholder for the user to fill.

    A URL holding a password or token would be printed masked (`alice:****@`), which cannot work when
    pasted: it is written as a reference to where it came from instead, the environment variable named in
    `secrets` (URL -> variable, `"$PIP_INDEX_URL"`), else `<your index URL>` for the user to fill in."""
    return " ".join(_shell_word(word, secrets or {}) for word in words)


# A URL whose netloc holds credentials (`https://alice:s3cret@host/simple`), up to whitespace.
_SECRET_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]*@\S*")


def _shell_word(word: str, secrets: Mapping[str, str]) -> str:
    if word == "<package>":
        return word
    found = _SECRET_URL.search(word)
    if found is None:
        return shlex.quote(word)
    head, tail = word[: found.start()], word[found.start() :]
    reference = next(
        (
            f'"${variable}"' + (shlex.quote(tail[len(url) :]) if tail[len(url) :] else "")
            for url, variable in secrets.items()
            if url and tail.startswith(url)
        ),
        None,
    )
    return (shlex.quote(head) if head else "") + (reference or shlex.quote("<your index URL>"))


# Options that take one value (or are flags) where the last one on pip's command line wins: a fix adding
# one the user already gave is overruled by the user's.
_SINGLE_OPTIONS = frozenset(
    {
        "--timeout",
        "--retries",
        "--prefer-binary",
        "--no-cache-dir",
        "--no-build-isolation",
        "--cert",
        "--proxy",
    }
)


def _already_set(user: Sequence[str], added: Sequence[str]) -> bool:
    from safe_pip.facts import takes_value

    names = {word.partition("=")[0] for word in user if word.startswith("--")}
    options = [word for i, word in enumerate(added) if i == 0 or not takes_value(added[i - 1])]
    return any(word in _SINGLE_OPTIONS and word in names for word in options)


# A word a Windows command may hold as it is, or in double quotes when it has spaces.
_WINDOWS_WORD = re.compile(r"[\w .:/\\+=-]+")
# The package managers of each system, the usual one first (a log from elsewhere names only its system).
_SYSTEM_MANAGERS: dict[str, tuple[str, ...]] = {
    "win32": ("winget", "choco", "conda"),
    "darwin": ("brew", "conda"),
    "alpine": ("apk",),
}


def _system_install(
    params: Mapping[str, str],
    manager: str | None,
    *,
    sudo: bool = True,
    system: str | None = None,
    conda: bool = False,
) -> str:
    """The package manager's install command; each package a quoted word (a rule's parameter may hold a
    capture from the log), without `sudo` where it is not needed (as root) or not there. Without this
    machine's manager, a log's system (`system`, and `conda` for a conda environment) limits the choice to
    its own managers (conda's first in a conda environment); empty when none of them has the package."""
    candidates = _SYSTEM_MANAGERS.get(system or "", tuple(PACKAGE_MANAGERS))
    if conda:
        candidates = ("conda", *(name for name in candidates if name != "conda"))
    chosen = (
        manager
        if manager and params.get(manager)
        else next((name for name in candidates if params.get(name)), None)
    )
    if chosen is None:
        return ""
    template = PACKAGE_MANAGERS[chosen]
    if not sudo:
        template = template.removeprefix("sudo ")
    # conda's channel option (`-c conda-forge compilers`) is a word like the packages; a quoted part is one
    # word (winget's `--override "--add ... --passive"`).
    try:
        words = shlex.split(params[chosen])
    except ValueError:  # an unbalanced quote (a capture from the log): plain words
        words = params[chosen].split()
    if chosen in ("winget", "choco"):
        # cmd.exe and PowerShell both read double quotes (not POSIX single quotes) as one word; anything
        # else either shell would read as its own syntax gives no command.
        if not all(_WINDOWS_WORD.fullmatch(word) for word in words):
            return ""
        return template.format(" ".join(f'"{word}"' if " " in word else word for word in words))
    return template.format(" ".join(shlex.quote(word) for word in words))


# Fixes that build or fetch the failing project again, under other options, tools or Python.
_REBUILDS = frozenset(
    (
        "constrain-build",
        "upgrade-package",
        "pin-to-wheel",
        "only-binary",
        "use-python",
        "no-build-isolation",
        "limit-build-jobs",
    )
)


def _placeholder_requested(context: FixContext, package: str) -> bool:
    """Whether pip took a placeholder release of `package` (siblings.py knows its name is retired), as it does
    when the user gave no version for it (or from a log, whose request is unknown)."""
    from safe_pip.siblings import binary_sibling

    sibling = binary_sibling(package)
    if sibling is None or not sibling.placeholder:
        return False
    return context.pip_args is None or _no_version_asked(context, package)


def _no_version_asked(context: FixContext, package: str) -> bool:
    return all(not item.specifier for item in _requests(context).of(package))


def _with_build_needs(
    packages: Mapping[str, str], builds: str, context: FixContext
) -> tuple[Mapping[str, str], str]:
    """The system packages of a failed build here, with the C compiler and the target's Python headers when
    this machine lacks them (and what was added, in words; "" when nothing): on a slim image
    `apt-get install libxml2-dev` alone only moves lxml's build on to "gcc: not found", then to a missing
    Python.h (lxml 4.6.3, pyaudio, mysqlclient, dlib in a Debian bookworm root, real runs). Only for a run on
    this machine (what it lacks is known) with its own package manager."""
    manager = context.package_manager
    if builds == "no" or context.pip_args is None or context.log_system is not None or manager is None:
        return packages, ""
    given = packages.get(manager)
    if not given or manager not in COMPILER_PACKAGES:
        return packages, ""
    words = given.split()
    added: list[str] = []
    missing: list[str] = []
    if context.compiler_on_path is False:
        new = [word for word in COMPILER_PACKAGES[manager].split() if word not in words]
        if len(new) == len(COMPILER_PACKAGES[manager].split()):  # the rule's own packages are not it
            added += new
            missing.append("a C compiler")
    # A rule that installs the headers names them already (python3-dev, python3.11-dev, python3-devel).
    has_headers = any(re.fullmatch(r"python[\d.]*-dev(?:el)?", word) for word in words)
    headers = context.python_headers() if context.python_headers is not None else None
    template = PYTHON_HEADER_PACKAGES.get(manager, "")
    if builds == "c" and headers is not None and not headers[0] and template and not has_headers:
        version = headers[1] if re.fullmatch(r"\d+\.\d+", headers[1]) else ""
        if version or "{version}" not in template:
            added.append(template.replace("{version}", version))
            missing.append(
                f"Python {version}'s headers (Python.h)" if version else "Python's headers (Python.h)"
            )
    if not added:
        return packages, ""
    return {**packages, manager: " ".join([*words, *added])}, " and ".join(missing)


def _version_tuple(text: str) -> tuple[int, ...] | None:
    return tuple(int(part) for part in text.split(".")) if re.fullmatch(r"\d+(?:\.\d+)*", text) else None


def _build_constraint_variable(context: FixContext) -> str:
    """The variable that constrains what pip installs into isolated build environments: pip 25.3 added
    PIP_BUILD_CONSTRAINT (build environments only); older pips pass PIP_CONSTRAINT on to the pip that fills
    a build environment (it constrains the install itself too)."""
    return (
        "PIP_BUILD_CONSTRAINT" if context.pip_version and context.pip_version >= (25, 3) else "PIP_CONSTRAINT"
    )


def _build_constraint(
    requirement: str, context: FixContext, allow_auto: bool
) -> tuple[dict[str, str], tuple[tuple[str, str], ...], bool]:
    """The environment and the file that constrain a build dependency (`Cython<3`) for a retry, and whether
    --fix may apply it: only with a private folder to write the file in, when the build is isolated (with
    --no-build-isolation the build uses the target's own packages), when the user set no constraint variable
    of their own (it would be replaced), and when the user did not ask for that project themselves (their
    versions of it are theirs to give) or asked for it by name alone, any version (`numpy` beside
    scikit-surprise 1.1.1, whose C code needs NumPy 1: `numpy<2` keeps within that; older pips pass
    PIP_CONSTRAINT on to the install itself, which then installs the NumPy the build compiles against)."""
    variable = _build_constraint_variable(context)
    project = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    folder = context.scratch_folder
    if (
        not allow_auto
        or folder is None
        or context.pip_args is None
        or project is None
        or not context.builds_isolated
        or context.user_constraint_variables
        or not all(_any_version(item) for item in _requests(context).of(project.group(0)))
    ):
        return {}, (), False
    slug = re.sub(r"[^a-z0-9]+", "-", project.group(0).lower())
    path = f"{folder.rstrip('/')}/build-constraints-{slug}.txt"
    if any(character.isspace() for character in path):
        return {}, (), False  # pip splits the variable's value on white space
    earlier = context.applied_env.get(variable, "").split()
    value = " ".join([*(name for name in earlier if name != path), path])
    return {variable: value}, ((path, requirement + "\n"),), True


def _any_version(item: Requested) -> bool:
    """Whether a requirement of the user's takes any version of its project: a bare name (extras and markers
    allowed), from the index, no hashes."""
    return not item.specifier and item.direct is None and not item.hashed


def _requests(context: FixContext) -> UserRequests:
    if context.requests is not None:
        return context.requests
    return read_user_requests(context.pip_args or (), lambda _name: None)


def _user_builds_from_source(context: FixContext, package: str) -> bool:
    """Whether the user's command says to build `package` from source (`--no-binary iniconfig`,
    `--no-binary :all:`): a wheel is then against what they asked, and an added `--only-binary` before their
    option changes nothing (pip takes the last one)."""
    args = context.pip_args or ()
    wanted = canonical_name(package)
    for at, word in enumerate(args):
        if word == "--no-binary" and at + 1 < len(args):
            value = args[at + 1]
        elif word.startswith("--no-binary="):
            value = word.partition("=")[2]
        else:
            continue
        names = {name.strip() for name in value.split(",")}
        if ":all:" in names or wanted in {canonical_name(name) for name in names if name}:
            return True
    return False


def _wheels_on(context: FixContext, package: str) -> bool:
    """Whether `package` may have a wheel for the system the fix is for (siblings.wheel_systems): a log's
    system (Linux when its lines name none, as most do), else this machine's. True when not known."""
    import sys

    from safe_pip.siblings import wheel_systems

    systems = wheel_systems(package)
    if systems is None:
        return True
    if context.pip_args is None:
        system = context.log_system or "linux"
    else:
        system = "linux" if sys.platform.startswith("linux") else sys.platform
    return system in systems


def _direct_source(context: FixContext, package: str) -> bool:
    """Whether the user installs `package` from a file, folder or URL they named (a direct reference)."""
    return bool(package) and _requests(context).direct(package) is not None


def _named_source(context: FixContext, package: str) -> bool:
    """Whether `package` comes from a file, folder or URL rather than from the index: a direct reference on
    the user's command line; for a log, the file, folder or URL pip's lines installed it from
    (`package_path`); or, when the user named a file, folder or URL, a project they did not ask for by name
    that pip does not say another requirement brought in (`pip install git+https://host/org/whisp.git` builds
    `rowan-whisp`: the index's rowan-whisp is not that source; a dependency is "Collecting x (from y)")."""
    if _direct_source(context, package):
        return True
    if context.pip_args is None or not package:
        return context.pip_args is None and bool(context.package_path)
    requests = _requests(context)
    if requests.of(package) or not any(item.direct is not None for item in requests.items):
        return False
    return context.required_by is None or context.required_by(package) is None


def _wheel_release(context: FixContext, package: str) -> tuple[str, bool] | None:
    """The release of `package` to install as a wheel here, and whether it is within the versions the user
    gave: the newest within them (as pip's own resolution picks it, which skips yanked releases), else the
    one nearest to the user's pin (requested.nearest_release) that pip takes without a pin's say-so (not
    yanked). None when no release has a wheel, or pip cannot say."""
    requests = _requests(context)
    specifier = requests.specifier(package)
    if context.wheel_version is not None:
        version = context.wheel_version(f"{package}{specifier}")
        if version:
            return version, True
    versions = context.wheel_versions(package) if context.wheel_versions is not None else None
    if versions is None:
        return None
    if context.wheel_version is None:
        within = _newest_within(versions, specifier)
        if within is not None:
            return within, True
    pinned = requests.pinned_version(package)
    remaining = list(versions)
    for _ in range(3 if pinned else 0):
        nearest = nearest_release(pinned or "", remaining)
        if nearest is None:
            break
        # pip lists yanked releases too; a range that holds only this one is taken only when it is not.
        if context.wheel_version is None or context.wheel_version(f"{package}>={nearest},<={nearest}"):
            return nearest, False
        remaining.remove(nearest)
    return None


def _parent_move(context: FixContext, package: str) -> tuple[str, str] | None:
    """(the parent, its release to pin) when `package` was required by a project the user pinned, and no
    release that pin allows of `package` has a wheel here: the parent's release nearest to the user's pin
    whose requirement allows one that has (parentpins.parent_release). None otherwise, or when pip cannot
    say."""
    from safe_pip.parentpins import parent_release

    if context.required_by is None or context.requirement_of is None or context.wheel_versions is None:
        return None
    required = context.required_by(package)
    if required is None:
        return None
    parent, specifier = required
    requests = _requests(context)
    pinned = requests.pinned_version(parent)
    if not pinned or _direct_source(context, parent) or not _PROJECT_NAME.fullmatch(parent):
        return None
    dependency_wheels = context.wheel_versions(package)
    parent_wheels = context.wheel_versions(parent)
    if not dependency_wheels or not parent_wheels:
        return None
    ask = context.requirement_of
    chosen = parent_release(
        pinned, parent_wheels, specifier, dependency_wheels, lambda version: ask(parent, version, package)
    )
    return (parent, chosen) if chosen is not None else None


def _newest_within(versions: Sequence[str], specifier: str) -> str | None:
    """The newest of `versions` the specifier allows (pre-releases only when it names one, as pip does)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        allowed = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    fitting = list(allowed.filter(parsed_versions(versions)))
    return str(max(fitting)) if fitting else None


def _pinned_copy(requests: UserRequests, package: str, version: str) -> tuple[str, str, str] | None:
    """(the user's requirement file, the copy's path beside it, the copy's text) with `package` pinned to
    `version` there; None when the pin is not in a file named on the command line or its line cannot be
    changed alone."""
    import os.path

    item = next(
        (
            item
            for item in requests.of(package)
            if item.file in requests.top_files and item.line and item.specifier
        ),
        None,
    )
    if item is None or item.file is None or item.line is None:
        return None
    text = requests.file_text(item.file)
    changed = with_pin(text, item.line, version) if text is not None else None
    if changed is None:
        return None
    folder, name = os.path.split(item.file)
    return item.file, os.path.join(folder, f".{name}.safe-pip-nearest.txt"), changed


def _replace_file_argument(args: Sequence[str], original: str, written: str) -> tuple[str, ...]:
    """The arguments with the requirement or constraint file `original` (`-r FILE`, `-rFILE`,
    `--requirement=FILE`, `-c FILE`...) named as `written` instead."""
    changed = list(args)
    options = ("-r", "--requirement", "-c", "--constraint")
    for position, word in enumerate(args):
        if word in options and position + 1 < len(args) and args[position + 1] == original:
            changed[position + 1] = written
        elif word in (
            f"-r{original}",
            f"-c{original}",
            f"--requirement={original}",
            f"--constraint={original}",
        ):
            changed[position] = word[: len(word) - len(original)] + written
    return tuple(changed)


def _origin_file(requests: UserRequests, package: str) -> str:
    return next((item.origin for item in requests.of(package) if item.position is None), "your requirements")


def _wheel_in_place_of(
    spec: ActionSpec, values: Mapping[str, str], context: FixContext, wheel: str
) -> Fix | None:
    """In place of a wheel file the user named that does not fit here: a wheel of the same project from the
    same folder that does fit (applied by --fix), else the project by name (printed only: a name is resolved
    on the index, which may hold an unrelated project of that name), except with --no-index, where a name
    resolves only in the folders the user gave."""
    package = values["package"]
    if context.pip_args is None:
        # A log: the wheel's file or URL is the user's, and its project's name is looked up on the index,
        # which may hold another project of that name: printed only, and said.
        fix = _plain(spec, values, context, ("--only-binary", package))
        return replace(
            fix,
            title=(
                f"Install {package} by name from your index instead of {wheel}, with a wheel chosen for this "
                f"interpreter: this switches where {package} comes from (check that the index's {package} is "
                "the project you meant)"
            ),
        )
    position = next(
        (
            index
            for index, arg in enumerate(context.pip_args)
            if arg.endswith(wheel) and not arg.startswith("-")
        ),
        None,
    )
    if position is None:
        return None
    user = context.pip_args
    named = user[position]
    beside = context.fitting_wheel(named, package) if context.fitting_wheel and "://" not in named else None
    if beside is not None:
        args = (*user[:position], beside, *user[position + 1 :])
        return Fix(
            id=spec.id,
            title=f"Install {beside}, the wheel of {package} beside it that fits this interpreter",
            auto=spec.safety == SAFE,
            command=_pip_command(replace(context, pip_args=args), ()),
            safety=spec.safety,
            args=args,
        )
    pip_args = ("--only-binary", package)
    args = (*pip_args, *user[:position], package, *user[position + 1 :])
    # Under --no-index a name resolves only in the user's own --find-links folders; with none, nowhere.
    index_only = "--no-index" in user and any(
        word in ("-f", "--find-links") or word.startswith(("--find-links=", "-f")) for word in user
    )
    title = (
        fill_template(spec.title, values)
        if index_only
        else (
            f"Install {package} by name, with a wheel chosen for this interpreter (check that your index's "
            f"{package} is the project you meant: the name is looked up there, not where {named} came from)"
        )
    )
    return Fix(
        id=spec.id,
        title=title,
        auto=index_only and spec.safety == SAFE,
        pip_args=pip_args,
        command=_pip_command(
            replace(context, pip_args=(*user[:position], package, *user[position + 1 :])), pip_args
        ),
        safety=spec.safety,
        args=args,
    )


def _plain(
    spec: ActionSpec, values: Mapping[str, str], context: FixContext, pip_args: tuple[str, ...]
) -> Fix:
    """A fix that adds options to a command whose arguments are unknown (a log from elsewhere)."""
    return Fix(
        id=spec.id,
        title=fill_template(spec.title, values),
        auto=False,
        pip_args=pip_args,
        command=_pip_command(context, pip_args),
        safety=spec.safety,
    )


def _has_run(words: Sequence[str], run: Sequence[str]) -> bool:
    """Whether `run` appears in `words` as consecutive words."""
    width = len(run)
    return any(tuple(words[start : start + width]) == tuple(run) for start in range(len(words) - width + 1))
