"""torch in the install flow (issue 16): before `install` of torch packages, the advice (printed only) and
`--torch-backend`; after a failed CUDA extension build, what it was building for.

The decisions are `torchbackend`'s and `torchcheck`'s (pure); this module gathers the facts, prints, and runs
the first pip run of a two-run plan (the torch packages alone from the PyTorch index) as any pip run is run:
streamed, captured, its log saved, diagnosed when it fails (with --fix, fixed), and recorded as an attempt of
the --json-report. It then hands the user's command back, constrained to the torch that run installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from safe_pip.options import Invocation
from safe_pip.render import Console

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from safe_pip.retry import Attempt

__all__ = ["Prepared", "before_install", "cuda_build_target"]


@dataclass(frozen=True)
class Prepared:
    """What the install runs after the torch step: pip's arguments (the user's, or as --torch-backend changed
    them), and the attempts of the first run of a two-run plan (none otherwise), which the --json-report
    lists before the user's command."""

    args: tuple[str, ...]
    earlier: tuple[Attempt, ...] = ()


def before_install(invocation: Invocation, python: str, console: Console) -> Prepared | int:
    """The pip arguments to run (the user's, or changed by --torch-backend), or the exit code of a first
    run that failed."""
    import sys

    from safe_pip.commands.context import read_requirement_file, target_options
    from safe_pip.requested import read_user_requests
    from safe_pip.torchbackend import torch_requests

    args = invocation.args
    requests = read_user_requests(args, read_requirement_file)
    if not torch_requests(requests):
        return Prepared(args)
    from safe_pip.cudatables import load_tables
    from safe_pip.probe import detect_gpu_facts
    from safe_pip.torchbackend import advice, choose, plan

    gpu = detect_gpu_facts()
    tables = load_tables()
    asked = invocation.options.torch_backend
    if not asked:
        options = target_options(invocation)
        for note in advice(args, requests, gpu, sys.platform, tables, target_options=options):
            console.say(note, style="note")
        return Prepared(args)
    choice = choose(asked, gpu, requests, tables)
    if choice.backend is None:
        console.warning(f"--torch-backend {asked}: not applied, {choice.reason}")
        return Prepared(args)
    steps = plan(args, requests, choice.backend)
    if steps.refused:
        console.warning(f"--torch-backend {asked}: not applied, {steps.refused}")
        return Prepared(args)
    console.say(f"--torch-backend {asked}: torch packages from {steps.index} ({choice.reason})", style="note")
    if steps.first is None:
        return Prepared(steps.rest)
    return _first_run(invocation, python, steps.first, steps.rest, console)


def _first_run(
    invocation: Invocation, python: str, first: tuple[str, ...], rest: tuple[str, ...], console: Console
) -> Prepared | int:
    """Install the torch packages alone (as any pip run: streamed, captured, logged, diagnosed), then return
    the user's command held to what was installed."""
    import os
    import tempfile

    from safe_pip.capture import CaptureBuffer
    from safe_pip.commands.context import EXIT_USAGE, log_directory
    from safe_pip.fixes import shell_words
    from safe_pip.probe import run_merged
    from safe_pip.retry import Attempt, RunOutcome
    from safe_pip.runner import LaunchError, run_captured
    from safe_pip.torchbackend import TORCH_PACKAGES, constrained, installed_constraints

    console.say(f"first the torch packages alone: pip install {shell_words(first)}", style="note")
    capture = CaptureBuffer()
    try:
        result = run_captured([python, "-m", "pip", "install", *first], capture, log_directory)
    except LaunchError as error:
        console.error(f"{error}; pass a working Python with --python")
        return EXIT_USAGE
    if result.log_problem:
        console.warning_once(result.log_problem)
    if result.signal_received is not None:
        console.say(f"interrupted: pip was stopped (exit code {result.exit_code})")
        return result.exit_code
    attempts: list[Attempt] = [
        Attempt(first, {}, None, RunOutcome(0, result.duration_s, (), result.log_path))
    ]
    if result.exit_code != 0:
        # Diagnosed (and with --fix, fixed) as any failed pip run; the run ends here unless that worked.
        from safe_pip.commands.install import explain_failure
        from safe_pip.logtext import NumberedLine, normalise_line

        lines = [NumberedLine(line.number, normalise_line(line.raw)) for line in capture.lines()]
        attempts = []
        code = explain_failure(
            console,
            Invocation(invocation.options, "install", first),
            capture,
            lines,
            exit_code=result.exit_code,
            log_path=result.log_path,
            python=python,
            duration_s=result.duration_s,
            made=attempts,
        )
        if code != 0:
            console.error(
                f"installing the torch packages from the PyTorch index failed (exit code {code}); "
                "your command was not run"
            )
            if invocation.options.json_report:
                from safe_pip.commands.report import write_report

                write_report(console, invocation, python, [], code, earlier=attempts)
            return code
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
        return Prepared(rest, tuple(attempts))
    folder = tempfile.mkdtemp(prefix="safe-pip-torch-")
    # The rest of the command (and its --fix retries) reads the file; it goes when safe-pip exits.
    from safe_pip.commands.context import remove_on_exit

    remove_on_exit(folder)
    path = os.path.join(folder, "torch-constraints.txt")
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    console.say(f"then the rest, held to {', '.join(text.split())}", style="note")
    return Prepared(constrained(rest, path), tuple(attempts))


def cuda_build_target(python: str, lines: Iterable[str]) -> tuple[str, dict[str, object]] | None:
    """After a failed build whose log is a CUDA extension built with torch's cpp_extension (issue 16.5):
    the torch/CUDA/Python/C++ ABI/architectures it was building for, from the target's torch, as a fact line
    and as the JSON outputs' `build_target`. Any other log costs a scan of its text, no probe; None when it
    is no such build or the target's torch does not answer."""
    from safe_pip.cudalog import is_cuda_extension_build

    if not is_cuda_extension_build(lines):
        return None
    from safe_pip.probe import detect_interpreter_facts, detect_tools, detect_torch_facts
    from safe_pip.torchcheck import build_target_json, build_target_line

    facts = detect_torch_facts(python)  # imports torch in the target: seconds, and only here
    if facts is None:
        return None
    interpreter = detect_interpreter_facts(python)
    python_version = ".".join(map(str, interpreter.version[:2])) if interpreter is not None else "?"
    nvcc_tool = detect_tools(("nvcc",)).get("nvcc")
    nvcc = nvcc_tool.version if nvcc_tool is not None else None
    line = build_target_line(facts, python_version, nvcc)
    found = build_target_json(facts, python_version, nvcc)
    if line is None or found is None:
        return None
    return f"this CUDA extension was {line}", found
