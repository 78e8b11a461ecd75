"""Before `install` of torch packages: the advice (printed only) and `--torch-backend` (issue 16.2).

The decisions are `torchbackend`'s (pure); this module gathers the facts, prints, and runs the first pip run
of a two-run plan (the torch packages alone from the PyTorch index), then hands the user's command back,
constrained to the torch that run installed.
"""

from __future__ import annotations

from safe_pip.options import Invocation
from safe_pip.render import Console

__all__ = ["before_install"]


def before_install(invocation: Invocation, python: str, console: Console) -> tuple[str, ...] | int:
    """The pip arguments to run (the user's, or changed by --torch-backend), or the exit code of a first
    run that failed."""
    import sys

    from safe_pip.commands.context import read_requirement_file
    from safe_pip.requested import read_user_requests
    from safe_pip.torchbackend import torch_requests

    args = invocation.args
    requests = read_user_requests(args, read_requirement_file)
    if not torch_requests(requests):
        return args
    from safe_pip.cudatables import load_tables
    from safe_pip.probe import detect_gpu_facts
    from safe_pip.torchbackend import advice, choose, plan

    gpu = detect_gpu_facts()
    tables = load_tables()
    asked = invocation.options.torch_backend
    if not asked:
        for note in advice(args, requests, gpu, sys.platform, tables):
            console.say(note, style="note")
        return args
    choice = choose(asked, gpu, requests, tables)
    if choice.backend is None:
        console.warning(f"--torch-backend {asked}: not applied, {choice.reason}")
        return args
    steps = plan(args, requests, choice.backend)
    if steps.refused:
        console.warning(f"--torch-backend {asked}: not applied, {steps.refused}")
        return args
    console.say(f"--torch-backend {asked}: torch packages from {steps.index} ({choice.reason})", style="note")
    if steps.first is None:
        return steps.rest
    return _first_run(python, steps.first, steps.rest, console)


def _first_run(
    python: str, first: tuple[str, ...], rest: tuple[str, ...], console: Console
) -> tuple[str, ...] | int:
    """Install the torch packages alone, then return the user's command held to what was installed."""
    import os
    import tempfile

    from safe_pip.probe import run_merged
    from safe_pip.runner import run_passthrough
    from safe_pip.torchbackend import TORCH_PACKAGES, constrained, installed_constraints

    console.say(f"first the torch packages alone: pip install {' '.join(first)}", style="note")
    result = run_passthrough([python, "-m", "pip", "install", *first])
    if result.exit_code != 0:
        console.error(
            f"installing the torch packages from the PyTorch index failed (exit {result.exit_code})"
        )
        return result.exit_code
    script = (
        "import sys\nfrom importlib import metadata\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n        print(name, metadata.version(name))\n    except Exception:\n        pass\n"
    )
    answer = run_merged([python, "-c", script, *sorted(TORCH_PACKAGES)], 60)
    installed = [
        (words[0], words[1])
        for line in (answer[1].splitlines() if answer is not None else [])
        if len(words := line.split()) == 2
    ]
    text = installed_constraints(installed)
    if not text:
        return rest
    folder = tempfile.mkdtemp(prefix="safe-pip-torch-")
    path = os.path.join(folder, "torch-constraints.txt")
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    console.say(f"then the rest, held to {', '.join(text.split())}", style="note")
    return constrained(rest, path)
