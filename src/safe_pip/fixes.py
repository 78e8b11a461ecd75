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

from safe_pip.facts import canonical_name, pinned_requirement, requirement_words, source_options
from safe_pip.template import fill_template

__all__ = ["ACTIONS", "PACKAGE_MANAGERS", "ActionSpec", "Fix", "FixContext", "render_fix"]

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
    # only by pin-to-wheel.
    wheel_version: Callable[[str], str | None] | None = field(default=None, compare=False)
    # Whether the target is a virtual environment (asked only by upgrade-pip, which changes the target's pip
    # by itself only there); None: unknown.
    target_venv: Callable[[], bool] | None = field(default=None, compare=False)


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

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "auto": self.auto,
            "pip_args": list(self.pip_args),
            "env": dict(self.env),
            "command": self.command,
        }


# Either the packages per manager, or what is missing (looked up in `syspackages`).
_SYSTEM_PARAMS = (*PACKAGE_MANAGERS, "what", "header", "library", "tool")

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
            ("package",),
            ("package",),
        ),
        ActionSpec(
            "limit-build-jobs",
            SAFE,
            "Build with fewer parallel jobs ({jobs}) so the compile fits in memory",
            ("jobs",),
        ),
        ActionSpec(
            "no-build-isolation",
            SAFE,
            "Build {package} against the {module} already installed (--no-build-isolation)",
            ("module",),
        ),
        ActionSpec("upgrade-pip", SAFE, "Upgrade pip, which is too old for the wheels that exist"),
        ActionSpec("increase-timeout", SAFE, "Retry with a longer network timeout and more retries"),
        ActionSpec("no-cache", SAFE, "Retry without pip's cache (--no-cache-dir) to save disk space"),
        ActionSpec(
            "use-python",
            SUGGEST,
            "Use Python {version}, which {package} supports",
            ("version",),
            ("version",),
        ),
        ActionSpec("create-venv", SUGGEST, "Install into a virtual environment instead"),
        ActionSpec("use-pipx", SUGGEST, "Install the application {package} with pipx"),
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
            SUGGEST,
            "Build {package} with {requirement} in its build environment",
            ("requirement",),
            ("requirement",),
        ),
        ActionSpec("set-tmpdir", SUGGEST, "Build in a folder on a disk with free space (TMPDIR)"),
        ActionSpec("set-cert", SUGGEST, "Tell pip which CA certificate to trust (--cert)"),
        ActionSpec("use-truststore", SUGGEST, "Let pip use the system's certificate store"),
        ActionSpec("set-proxy", SUGGEST, "Configure the HTTP(S) proxy pip must use"),
        ActionSpec("check-network", SUGGEST, "Check that the package index is reachable from here", ("url",)),
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
    values = {"package": context.package or "", **params}
    if "package" in spec.required and not context.package and "package" not in params:
        return None
    if "{package}" in (title or spec.title) and not values["package"]:
        values["package"] = "the package"
    pip_args: tuple[str, ...] = ()
    env: dict[str, str] = {}
    before: tuple[str, ...] = ()
    command = ""
    package = values["package"]
    if action in _NAMED_ACTIONS and not _PROJECT_NAME.fullmatch(package):
        # A rule's parameter or a capture from the log is not a project name ("--index-url=...", ":all:"):
        # it never reaches pip's command line, where it could be read as an option.
        return None
    if action == "prefer-binary":
        pip_args = ("--prefer-binary",)
    elif action in ("only-binary", "no-binary"):
        pip_args = (f"--{action}", package)
        instead_of = values.get("instead_of", "")
        if instead_of.endswith(".whl") and context.pip_args is not None:
            # Only the wheel file or URL the user named is replaced, never an option (--require-hashes).
            replaced = tuple(
                package if arg.endswith(instead_of) and not arg.startswith("-") else arg
                for arg in context.pip_args
            )
            context = replace(context, pip_args=replaced)
    elif action == "pin-to-wheel":
        # The version is found at fix time, by asking the target's pip which release has a fitting wheel
        # (within the user's own version range, when the command line names the package with one); the pin
        # replaces that requirement in the user's arguments (or is added, for -r files).
        user = context.pip_args
        position = _requirement_position(user, package) if user is not None and package else None
        requirement = user[position] if user is not None and position is not None else package
        version = context.wheel_version(requirement) if context.wheel_version and package else None
        if not version:
            return None
        values["version"] = version
        pip_args = ("--only-binary", package)
        if user is not None:
            if position is None:
                pinned = (*user, f"{package}=={version}")
            else:
                pinned = (
                    *user[:position],
                    pinned_requirement(user[position], version),
                    *user[position + 1 :],
                )
            context = replace(context, pip_args=pinned)
    elif action == "limit-build-jobs":
        jobs = values.get("jobs", "")
        if not jobs.isdigit() or int(jobs) < 1:
            jobs = str(context.build_jobs or 1)
        values["jobs"] = jobs
        env = dict.fromkeys(_BUILD_JOB_VARIABLES, jobs)
        env["MAKEFLAGS"] = f"-j{jobs}"
    elif action == "no-build-isolation":
        pip_args = ("--no-build-isolation",)
        module = values.get("module")
        # Building against the target's own packages only works when the one the build imports is there:
        # then it is a plain re-run (safe to apply); otherwise it has to be installed first (printed only).
        if module and not (context.importable is not None and context.importable(module)):
            command = f"safe-pip install {shlex.quote(module)} && " + _pip_command(context, pip_args)
    elif action == "upgrade-pip":
        # The new pip comes from where the user's packages come from (their index options), and the user's
        # command then runs unchanged with it. Outside a virtual environment pip belongs to the system or to
        # the user's base Python: printed, never done by --fix.
        upgrade = ("install", "--upgrade", "pip", *source_options(context.pip_args or ()))
        command = " ".join(shlex.quote(word) for word in (context.python, "-m", "pip", *upgrade))
        if context.pip_args is not None:
            command += " && " + _pip_command(context, ())
            if context.target_venv is not None and context.target_venv():
                before = upgrade
    elif action == "increase-timeout":
        pip_args = ("--timeout", "60", "--retries", "10")
    elif action == "no-cache":
        pip_args = ("--no-cache-dir",)
    elif action == "use-python":
        if not values.get("version"):
            return None  # no released Python fits: better no command than a guess
        command = (
            f"python{values['version']} -m venv .venv && .venv/bin/python -m pip install {package}".rstrip()
        )
    elif action == "create-venv":
        command = "python3 -m venv .venv && . .venv/bin/activate && " + _pip_command(context, ())
    elif action == "use-pipx":
        command = f"pipx install {package or '<package>'}"
    elif action == "install-system-package":
        packages: Mapping[str, str] = params
        wanted = next((params[key] for key in ("header", "library", "tool") if params.get(key)), None)
        if wanted is not None and not any(params.get(manager) for manager in PACKAGE_MANAGERS):
            from safe_pip.syspackages import packages_for

            found = packages_for(wanted)
            if found is None:
                return None  # nothing known provides it: better no command than a guessed one
            packages = found
        command = _system_install(packages, context.package_manager)
    elif action == "set-cuda-home":
        # A toolkit of one version installs as /usr/local/cuda-X.Y (/usr/local/cuda links to one of them): a
        # fix that needs another version than the current one must not point at the link.
        version = values.get("version", "")
        versioned = f"/usr/local/cuda-{version}" if re.fullmatch(r"\d+\.\d+", version) else None
        path = values.get("path") or versioned or "/usr/local/cuda"
        env = {"CUDA_HOME": path}
    elif action == "install-rust":
        command = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"
    elif action == "install-xcode-tools":
        command = "xcode-select --install"
    elif action == "add-requirement":
        command = _pip_command(context, (values["requirement"],))
    elif action == "upgrade-package":
        command = f"safe-pip install --upgrade {shlex.quote(package)}" if package else ""
    elif action == "constrain-build":
        requirement = shlex.quote(values["requirement"])
        command = (
            f"echo {requirement} > build-constraints.txt && "
            "PIP_CONSTRAINT=build-constraints.txt " + _pip_command(context, ())
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
        url = values.get("url") or "https://pypi.org/simple/pip/"
        command = f"curl -sSI {shlex.quote(url)}"
    elif action == "regenerate-hashes":
        command = "pip-compile --generate-hashes requirements.in"
    elif action == "relax-requirements":
        command = ""
    elif action == "user-install":
        pip_args = ("--user",)
    elif action == "break-system-packages":
        pip_args = ("--break-system-packages",)
    elif action == "trusted-host":
        pip_args = ("--trusted-host", values["host"])
    if pip_args and context.pip_args is not None and _has_run(context.pip_args, pip_args):
        return None  # the command already has these options (an earlier fix added them): nothing to offer
    rerun = bool(before) or (not command and bool(pip_args or env))
    if rerun and not before:
        command = _pip_command(context, pip_args, env)
    text = title if title is not None else fill_template(spec.title, values)  # a given title is filled
    return Fix(
        id=action,
        title=text,
        auto=allow_auto and spec.safety == SAFE and rerun,
        pip_args=pip_args,
        env=env,
        command=command,
        safety=spec.safety,
        args=(*pip_args, *context.pip_args) if rerun and context.pip_args is not None else None,
        before=before,
    )


def _pip_command(context: FixContext, extra: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """`safe-pip install <extra> <the user's args>` (or the package when the args are unknown)."""
    if context.pip_args is not None:
        rest = list(context.pip_args)
    elif context.package:
        rest = [context.package]
    else:
        rest = ["<package>"]
    words = ["safe-pip", context.pip_command, *extra, *rest]
    prefix = "".join(f"{name}={shlex.quote(value)} " for name, value in (env or {}).items())
    return prefix + " ".join(shlex.quote(word) if word != "<package>" else word for word in words)


def _system_install(params: Mapping[str, str], manager: str | None) -> str:
    if manager and params.get(manager):
        return PACKAGE_MANAGERS[manager].format(params[manager])
    for name, template in PACKAGE_MANAGERS.items():
        if params.get(name):
            return template.format(params[name])
    return ""


def _requirement_position(args: Sequence[str], package: str) -> int | None:
    """Where the user's command line names `package` as a requirement (`psutil`, `psutil>=5`), if it does."""
    wanted = canonical_name(package)
    return next(
        (position for position, name in requirement_words(args) if canonical_name(name) == wanted), None
    )


def _has_run(words: Sequence[str], run: Sequence[str]) -> bool:
    """Whether `run` appears in `words` as consecutive words."""
    width = len(run)
    return any(tuple(words[start : start + width]) == tuple(run) for start in range(len(words) - width + 1))
