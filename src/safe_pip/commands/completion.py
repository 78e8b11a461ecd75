"""Shell completion: `safe-pip completion --bash|--zsh|--fish` prints a script, and the script asks safe-pip.

The scripts are pip's own (`pip completion --bash`), renamed: the shell runs `safe-pip` with
`SAFE_PIP_AUTO_COMPLETE=1`, `COMP_WORDS` (the command line) and `COMP_CWORD` (the index of the word being
completed), and reads the candidates it prints, one a line. safe-pip completes its own options, commands and
their arguments; after a pip command (`safe-pip install --no-`) it asks the target interpreter's pip, the
way pip's own script would, so pip's options are those of the pip that will run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

from safe_pip.options import COLOR_CHOICES, OWN_COMMANDS, UsageError, parse_argv

__all__ = ["SHELLS", "candidates", "complete", "script"]

SHELLS = ("bash", "zsh", "fish")

_SCRIPTS = {
    "bash": """\
# safe-pip bash completion start
_safe_pip_completion()
{
    COMPREPLY=( $( COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   SAFE_PIP_AUTO_COMPLETE=1 $1 2>/dev/null ) )
}
complete -o default -F _safe_pip_completion safe-pip
# safe-pip bash completion end
""",
    "zsh": """\
#compdef safe-pip
# safe-pip zsh completion start
__safe_pip() {
  compadd $( COMP_WORDS="$words[*]" \\
             COMP_CWORD=$((CURRENT-1)) \\
             SAFE_PIP_AUTO_COMPLETE=1 $words[1] 2>/dev/null )
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  # autoload from fpath, call function directly
  __safe_pip "$@"
else
  # eval/source/. command, register function for later
  compdef __safe_pip -P 'safe-pip'
fi
# safe-pip zsh completion end
""",
    "fish": """\
# safe-pip fish completion start
function __fish_complete_safe_pip
    set -lx COMP_WORDS (commandline -o) ""
    set -lx COMP_CWORD ( \\
        math (contains -i -- (commandline -t) $COMP_WORDS)-1 \\
    )
    set -lx SAFE_PIP_AUTO_COMPLETE 1
    string split \\  -- (eval $COMP_WORDS[1])
end
complete -fa "(__fish_complete_safe_pip)" -c safe-pip
# safe-pip fish completion end
""",
}

# safe-pip's own options before the command (the value: what completes the word after it; None: a file).
_GLOBAL_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "--python": None,
    "--fix": (),
    "--suggest": (),
    "--max-attempts": ("1", "2", "3", "4", "5"),
    "--fix-versions": ("keep", "nearest"),
    "--json-report": None,
    "--rules": None,
    "--no-history": (),
    "--verify-import": (),
    "--preflight": (),
    "--torch-backend": ("auto", "cpu"),  # and the CUDA builds of the newest torch (_torch_backends)
    "--color": COLOR_CHOICES,
    "--no-color": (),
    "--quiet": (),
    "--verbose": (),
    "--version": (),
    "--help": (),
}
_TAKES_VALUE = frozenset(option for option, values in _GLOBAL_OPTIONS.items() if values != ())
# pip's commands (pip 26), in `pip help`'s order; each is passed to pip.
PIP_COMMANDS = (
    "install", "lock", "download", "uninstall", "freeze", "inspect", "list", "show", "check", "config",
    "search", "cache", "index", "wheel", "hash", "completion", "debug", "help",
)  # fmt: skip
# safe-pip's own commands and what completes after them (a nested tuple: the first word chooses).
_OWN_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "diagnose": ("--here", "--json", "--help"),
    "doctor": ("--json", "--help"),
    "history": ("--json", "--clear", "--help"),
    "completion": ("--bash", "--zsh", "--fish"),
}
_RULES_ACTIONS = {"list": ("--json", "--help"), "show": (), "check": ("--help",)}


def script(shell: str) -> str:
    """The completion script for `shell` (one of SHELLS)."""
    return _SCRIPTS[shell]


def complete(environ: Mapping[str, str]) -> int:
    """Print the candidates for the word being completed (SAFE_PIP_AUTO_COMPLETE is set); exit code 1, as
    pip's own completion exits."""
    words = environ.get("COMP_WORDS", "").split()[1:]
    try:
        index = int(environ.get("COMP_CWORD", "0")) - 1
    except ValueError:
        return 1
    for candidate in candidates(words, index, ask_pip=_ask_pip):
        print(candidate)
    return 1


AskPip = Callable[[Sequence[str], Sequence[str], int], "list[str] | None"]


def candidates(words: Sequence[str], index: int, *, ask_pip: AskPip | None = None) -> list[str]:
    """What may replace `words[index]` (the words after `safe-pip`; `index` may be len(words), an empty word).
    `ask_pip(globals, words, index)` answers for the words after a pip command; None: no answer."""
    current = words[index] if 0 <= index < len(words) else ""
    before = list(words[: max(index, 0)])
    position = 0
    while position < len(before):
        word = before[position]
        if word == "--":
            position += 1
            break
        if not word.startswith("-"):
            break
        name = word.partition("=")[0]
        position += 2 if name in _TAKES_VALUE and "=" not in word else 1
    if position > len(before):  # the word being completed is an option's value
        values = _GLOBAL_OPTIONS.get(before[-1])
        if before[-1] == "--torch-backend":
            values = _torch_backends()
        return [value for value in values or () if value.startswith(current)]
    if position == len(before):  # the word being completed is an option or the command
        if current.startswith("-"):
            options = (*_GLOBAL_OPTIONS, "-V", "-q", "-v", "-h")
            return [option for option in options if option.startswith(current)]
        commands = (*sorted(OWN_COMMANDS), *PIP_COMMANDS)
        return [command for command in dict.fromkeys(commands) if command.startswith(current)]
    command, arguments = before[position], before[position + 1 :]
    if command == "help":
        commands = (*sorted(OWN_COMMANDS), *PIP_COMMANDS)
        return [name for name in dict.fromkeys(commands) if name.startswith(current)] if not arguments else []
    if command == "rules":
        if not arguments:
            return [action for action in _RULES_ACTIONS if action.startswith(current)]
        if arguments[0] == "show" and len(arguments) == 1:
            return [rule for rule in _builtin_rule_ids() if rule.startswith(current)]
        return [option for option in _RULES_ACTIONS.get(arguments[0], ()) if option.startswith(current)]
    if command == "plan":
        # `plan [--json] PIP-INSTALL-ARGS`: --json first, then what `pip install` takes (the target's pip).
        offered = (
            ["--json"] if not arguments and current.startswith("-") and "--json".startswith(current) else []
        )
        rest = list(arguments[1:] if arguments[:1] == ["--json"] else arguments)
        if ask_pip is not None:
            answer = ask_pip(before[:position], ["install", *rest, current], len(rest) + 1)
            offered += [word for word in answer or () if word not in offered]
        return offered
    if command in _OWN_ARGUMENTS and (command != "completion" or current.startswith("-") or not arguments):
        own = _OWN_ARGUMENTS[command]
        return [option for option in own if option.startswith(current) and option not in arguments]
    if ask_pip is not None:
        answer = ask_pip(before[:position], [*before[position:], current], len(before) - position)
        return list(answer) if answer is not None else []
    return []


def _torch_backends() -> tuple[str, ...]:
    """--torch-backend's values: auto, cpu, and the CUDA builds of the newest torch release safe-pip knows."""
    from safe_pip.cudatables import load_tables

    try:
        newest = load_tables().newest_release()
    except (OSError, ValueError):
        return ("auto", "cpu")
    return ("auto", "cpu", *sorted(newest.builds))


def _builtin_rule_ids() -> list[str]:
    from safe_pip.rules import builtin_rule_files

    return [path.stem for path in builtin_rule_files()]


def _ask_pip(global_words: Sequence[str], words: Sequence[str], index: int) -> list[str] | None:
    """pip's own completion of `pip WORDS`, from the pip that `safe-pip GLOBALS WORDS` would run."""
    import io
    import subprocess

    from safe_pip.commands.context import resolve_target
    from safe_pip.render import Console

    try:
        invocation = parse_argv([*global_words, *words[:1]], os.environ)
    except UsageError:
        return None
    target = resolve_target(invocation, Console(color=False, quiet=2, stream=io.StringIO()))
    if target is None:
        return None
    env = {key: value for key, value in os.environ.items() if key != "SAFE_PIP_AUTO_COMPLETE"}
    env.update(PIP_AUTO_COMPLETE="1", COMP_WORDS=" ".join(["pip", *words]), COMP_CWORD=str(index + 1))
    try:
        done = subprocess.run(
            [target.path, "-m", "pip"], env=env, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.split()


def main_completion(shell_flags: Sequence[str]) -> int:
    """`safe-pip completion --bash|--zsh|--fish`: print that shell's script."""
    shells = [flag[2:] for flag in shell_flags if flag[2:] in SHELLS]
    if len(shells) != 1 or len(shell_flags) != 1:
        raise UsageError(
            f"completion takes one of --bash, --zsh, --fish (got {' '.join(shell_flags) or 'nothing'}); "
            "e.g. `safe-pip completion --bash >> ~/.bashrc`"
        )
    sys.stdout.write(script(shells[0]))
    return 0
