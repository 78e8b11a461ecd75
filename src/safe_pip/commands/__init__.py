"""safe-pip's own commands, one module each, and the flow after a failed pip run.

    context.py   what every command reads from where it runs: the target interpreter, the log folder
    library.py   the rule library in effect and the machine facts rules ask about
    install.py   after a failed install/download/wheel: diagnosis, fix loop, retry question
    verify.py    --verify-import          report.py   --json-report
    diagnose.py  doctor.py  rules.py  history.py: `safe-pip diagnose|doctor|rules|history`
    completion.py  `safe-pip completion --bash|--zsh|--fish` (and the words a shell asks to complete)

Split from `cli` so that `safe-pip install` imports none of this (argparse, the rule engine) unless pip
failed or one of these commands was asked for. Like `cli`, these modules print results and pick exit codes;
none imports `cli`.
"""

from __future__ import annotations

from safe_pip.options import Invocation, UsageError
from safe_pip.render import Console

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

__all__ = ["run_own_command"]


def run_own_command(invocation: Invocation, console: Console) -> int:
    if invocation.command == "plan" and invocation.args[:1] not in (("--help",), ("-h",)):
        # Its arguments are pip's (`-r requirements.txt`, `--index-url URL`): argparse would read them.
        from safe_pip.commands import plan

        return plan.run(invocation.args, invocation, console)
    import argparse

    class Parser(argparse.ArgumentParser):
        """Errors in the style of safe-pip's own option errors: `safe-pip: error: ...`, then the help that
        says more, exit code 2 (argparse's own would print a usage block first)."""

        def error(self, message: str) -> NoReturn:
            # The top parser reports words it did not expect after a command: that command's help says more.
            prog = (
                self.prog
                if self.prog != "safe-pip" or not invocation.command
                else f"safe-pip {invocation.command}"
            )
            raise UsageError(message, help_command=f"{prog} --help")

    parser: argparse.ArgumentParser = Parser(prog="safe-pip", description="safe-pip's own commands")
    commands = parser.add_subparsers(dest="command", required=True)
    from safe_pip.commands import diagnose, doctor, history, plan, rules

    diagnose.add_parser(commands)
    doctor.add_parser(commands)
    plan.add_parser(commands)
    rules.add_parser(commands)
    history.add_parser(commands)
    try:
        args = parser.parse_args([invocation.command or "", *invocation.args])
    except SystemExit as exit_request:  # argparse has printed its usage message
        return int(exit_request.code or 0)
    if args.command == "diagnose":
        return diagnose.run(args, invocation, console)
    if args.command == "doctor":
        return doctor.run(args, invocation, console)
    if args.command == "history":
        return history.run(args, console)
    return rules.run(args, invocation, console)
