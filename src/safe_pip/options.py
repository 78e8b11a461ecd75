"""Split a safe-pip command line into safe-pip's own options, the command, and the command's arguments.

`safe-pip [GLOBAL OPTIONS] COMMAND [ARGS...]`: everything after COMMAND belongs to pip (or to one of
safe-pip's own commands) and is passed on unchanged, in order. This scanner is hand-written rather than
argparse because it runs in front of every `pip install`, where start-up time is budgeted (importing
argparse alone costs more than the rest of safe-pip's start-up); safe-pip's own commands use argparse.
"""

from __future__ import annotations

from safe_pip._value import FrozenValue

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "OWN_COMMANDS",
    "PIP_COMMANDS_DIAGNOSED",
    "GlobalOptions",
    "Invocation",
    "UsageError",
    "env_flag",
    "misplaced_options",
    "parse_argv",
]

# pip commands whose failures safe-pip explains; every other pip command is passed through untouched.
PIP_COMMANDS_DIAGNOSED = frozenset({"install", "download", "wheel"})
# safe-pip's own commands (they never run pip).
OWN_COMMANDS = frozenset({"diagnose", "doctor", "history", "plan", "rules"})
# pip commands that are safe-pip's own with these options: `completion --bash|--zsh|--fish` completes safe-pip
# (and pip after its command); `completion` otherwise is pip's, passed through.
OWN_WITH_OPTIONS = {"completion": frozenset({"--bash", "--zsh", "--fish"})}
# --color's values; the environment's FORCE_COLOR / NO_COLOR / TERM=dumb decide "auto".
COLOR_CHOICES = ("auto", "always", "never")


class UsageError(Exception):
    """A mistake in safe-pip's own options (exit code 2); the message names the bad argument, and
    `help_command` is the help that says more (`safe-pip diagnose --help`)."""

    def __init__(self, message: str, help_command: str = "safe-pip --help") -> None:
        super().__init__(message)
        self.help_command = help_command


class GlobalOptions(FrozenValue):
    """safe-pip's own options, from the command line and the environment."""

    __slots__ = (
        "color",
        "fix",
        "fix_versions",
        "json_report",
        "max_attempts",
        "no_color",
        "no_history",
        "preflight",
        "python",
        "quiet",
        "rules",
        "show_help",
        "show_version",
        "suggest",
        "torch_backend",
        "verbose",
        "verify_import",
    )
    python: str | None
    fix: bool  # apply safe fixes and retry (--fix, SAFE_PIP_FIX=1)
    suggest: bool  # never retry, print the commands --fix would run (wins over SAFE_PIP_FIX)
    # "nearest": --fix may move a version the user pinned to the nearest release with a wheel here
    # (--fix-versions nearest, SAFE_PIP_FIX_VERSIONS=nearest); "" keeps every version the user gave.
    fix_versions: str
    max_attempts: int  # total pip runs allowed with --fix
    json_report: str | None
    rules: tuple[str, ...]  # extra rule folders (--rules, repeatable), after SAFE_PIP_RULES
    no_history: bool  # neither read nor write the fix history (--no-history, SAFE_PIP_NO_HISTORY=1)
    verify_import: bool  # after a successful install, import what was installed (--verify-import)
    preflight: bool  # before `install`, run `plan`'s check (--preflight, SAFE_PIP_PREFLIGHT=1)
    # "auto", "cpu", "cuXYZ": install torch packages from that PyTorch build's index (--torch-backend,
    # SAFE_PIP_TORCH_BACKEND); "" changes nothing.
    torch_backend: str
    no_color: bool  # colour is off (--color never, --no-color, NO_COLOR, TERM=dumb): color == "never"
    # "always", "never" or "auto" (a terminal decides), from --color/--no-color, then NO_COLOR, FORCE_COLOR,
    # TERM=dumb
    color: str
    quiet: int
    verbose: int
    show_help: bool
    show_version: bool

    def __init__(
        self,
        *,
        python: str | None = None,
        fix: bool = False,
        suggest: bool = False,
        fix_versions: str = "",
        max_attempts: int = 3,
        json_report: str | None = None,
        rules: tuple[str, ...] = (),
        no_history: bool = False,
        verify_import: bool = False,
        preflight: bool = False,
        torch_backend: str = "",
        no_color: bool = False,
        color: str = "",
        quiet: int = 0,
        verbose: int = 0,
        show_help: bool = False,
        show_version: bool = False,
    ) -> None:
        self._set(
            python=python,
            fix=fix,
            suggest=suggest,
            fix_versions=fix_versions,
            max_attempts=max_attempts,
            json_report=json_report,
            rules=rules,
            no_history=no_history,
            verify_import=verify_import,
            preflight=preflight,
            torch_backend=torch_backend,
            no_color=no_color or color == "never",
            color=color or ("never" if no_color else "auto"),
            quiet=quiet,
            verbose=verbose,
            show_help=show_help,
            show_version=show_version,
        )


class Invocation(FrozenValue):
    """The options, the command word (None when there is none) and the words after it, unchanged."""

    __slots__ = ("args", "command", "options")
    options: GlobalOptions
    command: str | None
    args: tuple[str, ...]

    def __init__(self, options: GlobalOptions, command: str | None, args: tuple[str, ...] = ()) -> None:
        self._set(options=options, command=command, args=args)


# Options that take a value, and flags, by every spelling.
_VALUE_OPTIONS = {
    "--python": "python",
    "--rules": "rules",
    "--max-attempts": "max_attempts",
    "--json-report": "json_report",
    "--fix-versions": "fix_versions",
    "--torch-backend": "torch_backend",
    "--color": "color",
}
_REPEATABLE = frozenset({"rules"})
_FLAGS = {
    "--fix": "fix",
    "--suggest": "suggest",
    "--no-history": "no_history",
    "--verify-import": "verify_import",
    "--preflight": "preflight",
    "--no-color": "no_color",
    "--help": "show_help",
    "-h": "show_help",
    "--version": "show_version",
    "-V": "show_version",
}
# What --fix-versions may say: "nearest" (move a pin to the nearest release with a wheel); "" is the default.
_FIX_VERSIONS = frozenset({"", "nearest", "keep"})
_COUNTS = {"-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose"}

# safe-pip's options that pip does not have (the value: whether one follows). Found after the pip command they
# reach pip, which rejects them; `--python` and `--no-color` are pip's own too, so they are not in the list.
_SAFE_PIP_ONLY = {
    "--fix": False,
    "--suggest": False,
    "--no-history": False,
    "--verify-import": False,
    "--preflight": False,
    "--max-attempts": True,
    "--json-report": True,
    "--rules": True,
    "--fix-versions": True,
    "--torch-backend": True,
    "--color": True,
}

# pip's general options (`pip help`), which pip reads after its command as well as before it: after `--` they
# may come before the command word (the value: whether one follows).
_PIP_GENERAL = {
    "--python": True,
    "--log": True,
    "--log-file": True,
    "--local-log": True,
    "--keyring-provider": True,
    "--proxy": True,
    "--retries": True,
    "--timeout": True,
    "--exists-action": True,
    "--trusted-host": True,
    "--cert": True,
    "--client-cert": True,
    "--cache-dir": True,
    "--use-feature": True,
    "--use-deprecated": True,
    "--debug": False,
    "--isolated": False,
    "--require-virtualenv": False,
    "-v": False,
    "--verbose": False,
    "-q": False,
    "--quiet": False,
    "--no-input": False,
    "--no-cache-dir": False,
    "--disable-pip-version-check": False,
    "--no-color": False,
    "--no-python-version-warning": False,
}


def parse_argv(argv: Sequence[str], environ: Mapping[str, str]) -> Invocation:
    """Scan global options up to the first non-option word, which is the command."""
    values: dict[str, object] = {}
    counts = {"quiet": 0, "verbose": 0}
    index = 0
    after_dashes = False
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            after_dashes = True
            break
        if not word.startswith("-") or word == "-":
            break
        name, has_value, inline = word.partition("=")
        if name in _VALUE_OPTIONS:
            if has_value:
                value = inline
            else:
                index += 1
                if index >= len(argv):
                    raise UsageError(f"option {name} needs a value")
                value = argv[index]
            if not value:
                raise UsageError(f"option {name} needs a non-empty value")
            key = _VALUE_OPTIONS[name]
            if key == "color" and value not in COLOR_CHOICES:
                raise UsageError(f"option --color takes {', '.join(COLOR_CHOICES)}, not {value!r}")
            if key in _REPEATABLE:
                values[key] = (*_tuple(values.get(key)), value)
            else:
                values[key] = value
        elif has_value:
            raise UsageError(f"option {name} does not take a value (got {word!r})")
        elif word in _FLAGS:
            values[_FLAGS[word]] = True
            if word == "--no-color":
                values["color"] = "never"  # the last of --color/--no-color wins
        elif word in _COUNTS:
            counts[_COUNTS[word]] += 1
        elif _is_short_cluster(word):
            # -qq, -vv
            for letter in word[1:]:
                counts[_COUNTS["-" + letter]] += 1
        else:
            raise UsageError(
                f"unknown option {word!r}; safe-pip's own options go before the pip command, "
                "pip's options after it (e.g. `safe-pip install --user pkg`)"
            )
        index += 1
    command = argv[index] if index < len(argv) else None
    args = tuple(argv[index + 1 :]) if command is not None else ()
    python = _str_or_none(values.get("python"))
    if after_dashes:
        pip_python, command, args = _pip_command_line(tuple(argv[index:]))
        if pip_python is not None:
            if python is not None and python != pip_python:
                raise UsageError(
                    f"two interpreters given: safe-pip's --python {python!r} "
                    f"and pip's --python {pip_python!r}"
                )
            python = pip_python
    suggest = bool(values.get("suggest", False))
    fix = not suggest and (bool(values.get("fix", False)) or env_flag(environ, "SAFE_PIP_FIX"))
    # The number only matters to --fix: a bad one (option or environment) is no reason to refuse `--version`,
    # a plain install or --suggest.
    given = _str_or_none(values.get("max_attempts")) or environ.get("SAFE_PIP_MAX_ATTEMPTS") or "3"
    attempts = _attempts(given)
    if attempts is None:
        if fix:
            raise UsageError(f"--max-attempts needs a whole number of 1 or more, not {given!r}")
        attempts = 3
    fix_versions = _str_or_none(values.get("fix_versions")) or environ.get("SAFE_PIP_FIX_VERSIONS") or ""
    fix_versions = "" if fix_versions == "keep" else fix_versions
    if fix_versions not in _FIX_VERSIONS and command in PIP_COMMANDS_DIAGNOSED:
        # Only a pip run that --fix may retry reads it: a bad value does not stop `--version` or `diagnose`.
        raise UsageError(
            f"--fix-versions takes {' or '.join(sorted(_FIX_VERSIONS - {''}))}, not {fix_versions!r}"
        )
    torch_backend = _str_or_none(values.get("torch_backend")) or environ.get("SAFE_PIP_TORCH_BACKEND") or ""
    if torch_backend and not _is_torch_backend(torch_backend) and command in PIP_COMMANDS_DIAGNOSED:
        # Only a pip run reads it: a bad value does not stop `--version` or `doctor`.
        raise UsageError(
            f"--torch-backend takes auto, cpu or cuXYZ (cu118, cu126, cu128, ...), not {torch_backend!r}"
        )
    options = GlobalOptions(
        python=python,
        fix=fix,
        suggest=suggest,
        fix_versions=fix_versions if fix_versions in _FIX_VERSIONS else "",
        max_attempts=attempts,
        json_report=_str_or_none(values.get("json_report")) or environ.get("SAFE_PIP_JSON_REPORT") or None,
        rules=_tuple(values.get("rules")),
        no_history=bool(values.get("no_history", False)) or env_flag(environ, "SAFE_PIP_NO_HISTORY"),
        verify_import=bool(values.get("verify_import", False)),
        preflight=bool(values.get("preflight", False)) or env_flag(environ, "SAFE_PIP_PREFLIGHT"),
        torch_backend=torch_backend if command in PIP_COMMANDS_DIAGNOSED else "",
        color=_color(_str_or_none(values.get("color")), environ),
        quiet=counts["quiet"],
        verbose=counts["verbose"],
        show_help=bool(values.get("show_help", False)),
        show_version=bool(values.get("show_version", False)),
    )
    return Invocation(options, command, args)


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"", "0", "false", "no", "off", "n", "f"})


def env_flag(environ: Mapping[str, str], name: str) -> bool:
    """A yes/no environment variable, read as pip reads its own (`PIP_NO_CACHE_DIR=yes`): 1/true/yes/on (and
    y, t) in any case are yes; unset, empty, 0/false/no/off are no; anything else is a usage error."""
    value = environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"{name}={environ[name]!r} is not a yes/no value (1/true/yes/on or 0/false/no/off)")


def _color(option: str | None, environ: Mapping[str, str]) -> str:
    """--color/--no-color first; then NO_COLOR (https://no-color.org), FORCE_COLOR (any value but empty or 0),
    and TERM=dumb, as pip, uv and ruff read them; else "auto" (colour when stderr is a terminal)."""
    if option:
        return option
    if environ.get("NO_COLOR", ""):
        return "never"
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return "always"
    if environ.get("TERM") == "dumb":
        return "never"
    return "auto"


def misplaced_options(args: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """safe-pip's own options (with their values) among the words after the pip command, and the other
    words, in order; nothing after a `--` of pip's counts (it ends pip's options)."""
    own: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            rest.extend(args[index:])
            break
        name, has_value, _ = word.partition("=")
        if name not in _SAFE_PIP_ONLY:
            rest.append(word)
            index += 1
            continue
        taken = 2 if _SAFE_PIP_ONLY[name] and not has_value else 1
        own.extend(args[index : index + taken])
        index += taken
    return tuple(own), tuple(rest)


def _pip_command_line(words: tuple[str, ...]) -> tuple[str | None, str | None, tuple[str, ...]]:
    """What follows `--`: pip's command line, whose general options may come before the command word.

    Returns pip's `--python` (None when absent), the command word and its arguments. pip's general options
    are moved after the command word, where pip reads them the same way, so that the command is known (and
    diagnosed). pip's `--python P` would run the default interpreter's pip under P; safe-pip runs P's own
    pip instead, as its own `--python P` does, so the pip that runs and the one diagnosed are one.
    """
    python = None
    general: list[str] = []
    index = 0
    while index < len(words):
        name, has_value, inline = words[index].partition("=")
        if _is_short_cluster(name):  # -vv, -qq
            general.append(words[index])
            index += 1
            continue
        if name not in _PIP_GENERAL or (has_value and not _PIP_GENERAL[name]):
            break
        taken = [words[index]]
        if _PIP_GENERAL[name] and not has_value:
            if index + 1 >= len(words):
                raise UsageError(f"pip's option {name} needs a value")
            taken.append(words[index + 1])
        if name == "--python":
            python = inline if has_value else taken[1]
        else:
            general.extend(taken)
        index += len(taken)
    if index >= len(words):
        if python is not None:
            raise UsageError(f"no pip command after pip's options {' '.join(words)!r}")
        return None, words[0] if words else None, words[1:]  # e.g. `-- --version`: pip's, unchanged
    return python, words[index], (*general, *words[index + 1 :])


def _is_torch_backend(text: str) -> bool:
    """auto, cpu, or a CUDA build of the PyTorch index: cu + three ASCII digits (cu118, cu128, cu130)."""
    digits = text[2:]
    return text in ("auto", "cpu") or (
        text.startswith("cu") and len(digits) == 3 and digits.isascii() and digits.isdigit()
    )


def _attempts(text: str) -> int | None:
    """A number of pip runs (1 or more), or None when `text` is not one."""
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        return None
    return int(text)


def _is_short_cluster(word: str) -> bool:
    return len(word) > 2 and word[0] == "-" and word[1] != "-" and all(c in "qv" for c in word[1:])


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, tuple) else ()


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
