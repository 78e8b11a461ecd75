"""`safe-pip plan [--json] [PIP INSTALL ARGS...]`: resolve with the target's pip without installing, and say
before any build starts which distributions would be built here, what each build needs, and whether this
machine has it. Also the check `install --preflight` runs first.

The flow: pip's dry run (its report), each sdist fetched through the target's pip and read in place
(sdistprobe), the needs (buildneeds), the machine asked only what those needs raise (probe), the verdicts and
fixes (preflight), the table (plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from safe_pip import __version__
from safe_pip.commands.context import EXIT_USAGE
from safe_pip.options import Invocation
from safe_pip.render import Console

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from safe_pip.fixes import Fix, FixContext
    from safe_pip.plan import Plan

# pip's --dry-run with --report came in pip 22.2.
DRY_RUN_PIP = (22, 2)
# pip failing for these reasons did not check anything: the check could not run (exit 2), not a prediction.
_NOT_A_PREDICTION = frozenset({"network-error", "ssl-error"})


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Only for `safe-pip plan --help` (and `help plan`): the arguments are pip's, read by `run`."""
    parser = commands.add_parser(
        "plan",
        help="resolve without installing: what would be built here, and whether it can be",
        description="Resolve `pip install PIP-ARGS` with the target's pip without installing anything "
        "(pip >= 22.2), and say for each distribution it would build from source what the build needs "
        "(compiler, Python.h, Rust, CUDA, torch, cmake, pkg-config, system libraries) and whether this "
        "machine has it. "
        "Exit 0: nothing predicted to fail; 1: something is; 2: the check could not run.",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the plan as JSON (first, before pip's args)"
    )
    parser.add_argument("pip_args", nargs="*", metavar="PIP-ARGS", help="what you would give `pip install`")


def run(args: Sequence[str], invocation: Invocation, console: Console) -> int:
    """Exit 0: nothing predicted to fail; 1: something is; 2: the check could not run."""
    import json

    as_json = False
    words = list(args)
    while words and words[0] in ("--json",):
        as_json = True
        words.pop(0)
    from safe_pip.commands.context import resolve_target

    target = resolve_target(invocation, console)
    if target is None:
        return EXIT_USAGE
    plan = make_plan_here(target.path, tuple(words), invocation, console)
    if as_json:
        from safe_pip.plan import plan_json
        from safe_pip.probe import detect_pip_version

        pip = detect_pip_version(target.path, ask=True)
        data = plan_json(
            plan,
            version=__version__,
            python=target.path,
            pip_version=".".join(map(str, pip)) if pip else None,
            command=words,
        )
        print(json.dumps(data, indent=2))
    else:
        from safe_pip.plan import plan_lines

        for line in plan_lines(plan, verbose=invocation.options.verbose > 0):
            print(line)
    return plan.exit_code


def make_plan_here(python: str, args: tuple[str, ...], invocation: Invocation, console: Console) -> Plan:
    """The plan for `pip install ARGS` in `python`'s environment; nothing is built or installed.

    pip's dry run is most of the time. What else plan needs comes from the same process (sdistprobe's
    dry_run_and_read): after pip's own main returns, the sdists its report names are fetched through pip's
    session, already built, and the interpreter's facts are read; the machine is then asked only about
    files and PATH (no process started). Measured on a busy 2-core machine, a second interpreter importing
    pip to fetch was most of plan's extra second even when it overlapped with the dry run: CPU, not waiting,
    was what it cost."""
    import os

    from safe_pip.buildneeds import analyse
    from safe_pip.facts import source_options
    from safe_pip.plan import Plan, make_plan, needs_to_check
    from safe_pip.preflight import offers_from
    from safe_pip.probe import (
        _FACTS_SCRIPT,
        detect_default_cuda_home,
        detect_headers,
        detect_interpreter_facts,
        detect_machine,
        detect_pip_version,
        detect_pkg_config_modules,
        detect_programs,
        remember_interpreter_facts,
    )
    from safe_pip.sdistprobe import dry_run_and_read

    pip = detect_pip_version(python, ask=True)
    if pip is None:
        return Plan(problem=f"the pip of {python} could not be asked its version")
    if pip < DRY_RUN_PIP:
        shown = ".".join(map(str, pip))
        return Plan(
            problem=f"pip {shown} cannot resolve without installing (`install --dry-run --report` needs "
            f"pip >= 22.2); upgrade it: {python} -m pip install --upgrade pip"
        )
    done = dry_run_and_read(python, args, tuple(source_options(args)), _FACTS_SCRIPT)
    interpreter = remember_interpreter_facts(python, done.facts_output) if done.facts_output else None
    if done.exit_code != 0:
        return _failed_dry_run(python, args, invocation, console, code=done.exit_code, output=done.output)
    if done.report is None:
        return Plan(problem=f"pip's dry run wrote no readable report: {done.report_problem}")
    read = done.sources
    all_needs = [
        analyse(item.name, read[item.key].files, dict(read[item.key].texts))
        for item in done.report.source_builds
        if read[item.key].problem is None
    ]
    programs, modules, headers = needs_to_check(all_needs)
    interpreter = interpreter or detect_interpreter_facts(python)
    machine = detect_machine(interpreter.site_packages if interpreter else None, versions=False)
    offers = offers_from(
        machine,
        interpreter,
        programs=detect_programs(programs),
        libraries=detect_pkg_config_modules(modules),
        headers=detect_headers(headers),
        pip_args=args,
        environ=os.environ,
        default_cuda_home=detect_default_cuda_home(),
    )
    return make_plan(done.report, read, offers, fix_context_for(python, args, invocation))


def fix_context_for(python: str, args: tuple[str, ...], invocation: Invocation) -> FixContext:
    from dataclasses import replace

    from safe_pip.commands.install import fix_context

    # Fixes are written as the install the user is about to run (`plan`'s own word would not install).
    return replace(
        fix_context(invocation, python, args=args, env_changes={}, pin_wheels=True), pip_command="install"
    )


def _failed_dry_run(
    python: str, args: tuple[str, ...], invocation: Invocation, console: Console, *, code: int, output: str
) -> Plan:
    """pip's dry run failed: resolving, or preparing an sdist's metadata (which runs its build backend) —
    what the install would hit first. Its output is diagnosed as a failed install's is."""
    from safe_pip.capture import CaptureBuffer
    from safe_pip.commands.install import diagnose_run
    from safe_pip.commands.library import load_rule_library
    from safe_pip.plan import Plan

    capture = CaptureBuffer()
    capture.feed(output.encode("utf-8", "replace"))
    rules = load_rule_library(invocation, console)
    # Its fixes are written as the install the user is about to run (`plan`'s own word would not install).
    installing = Invocation(invocation.options, "install", args)
    diagnoses = diagnose_run(
        rules, installing, python, capture=capture, log_path=None, args=args, env_changes={}, pin_wheels=True
    )
    last = next((line for line in reversed(output.splitlines()) if line.strip()), "")
    if not diagnoses or diagnoses[0].category in _NOT_A_PREDICTION:
        why = f"{diagnoses[0].category}: {diagnoses[0].summary}" if diagnoses else last
        return Plan(problem=f"pip's dry run failed (exit code {code}): {why}")
    lines: list[str] = []
    top = diagnoses[0]
    lines.append(f"likely cause: {top.category} (rule {top.rule}): {top.summary}")
    lines += [f"line {item.line}: {item.text}" for item in top.evidence[:3]]
    first_auto = next((fix for fix in top.fixes if fix.auto), None)
    for fix in top.fixes:
        mark = " (safe to apply automatically: --fix)" if fix is first_auto else ""
        lines.append(f"fix{mark}: {fix.command or fix.title}")
    return Plan(pip_failure=tuple(lines), failure_fixes=tuple(top.fixes))


@dataclass(frozen=True)
class Preflight:
    """What `install --preflight` did before pip ran: the install's arguments and environment changes (the
    fix loop starts from them), the fixes applied, the distributions predicted to fail and those no safe fix
    covers."""

    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    fixes: tuple[Fix, ...] = ()
    predicted: tuple[str, ...] = ()
    unfixed: tuple[str, ...] = ()
    problem: str | None = None  # why the check could not run (then the install runs as asked)

    def to_json(self) -> dict[str, object]:
        """The --json-report's `preflight` (docs/CONTRACT.md)."""
        return {
            "predicted_failures": list(self.predicted),
            "fixes": [fix.to_json() for fix in self.fixes],
            "args": list(self.args),
            "env_changes": dict(self.env),
            "unfixed": list(self.unfixed),
            "problem": self.problem,
        }


def preflight(invocation: Invocation, python: str, console: Console) -> Preflight:
    """`install --preflight`: the plan first. Without --fix (or with --suggest), print what is predicted to
    fail and install as asked; with --fix, apply the safe fix of each predicted failure up front, so the
    failing build never starts. Returns install's arguments and environment changes (and what was done, for
    the --json-report); a check that cannot run leaves the install as it was."""
    from safe_pip.plan import EXIT_CANNOT_RUN, plan_lines, up_front

    args = tuple(invocation.args)
    plan = make_plan_here(python, args, invocation, console)
    if plan.exit_code == EXIT_CANNOT_RUN:
        why = plan_lines(plan)[0].removeprefix("safe-pip plan: ")
        console.warning(f"preflight: {why}; installing as asked")
        return Preflight(args, problem=plan.problem)
    predicted = tuple(row.distribution.name for row in plan.failing) + (
        ("pip's dry run",) if plan.pip_failure else ()
    )
    if plan.exit_code == 0 and not any(row.fixes for row in plan.rows):
        console.say("preflight: nothing pip would build here is predicted to fail", level=1)
        return Preflight(args)
    for line in plan_lines(plan):
        console.say(f"preflight: {line}")
    if not invocation.options.fix or invocation.options.suggest:
        return Preflight(args, predicted=predicted)
    done = up_front(plan, fix_context_for(python, args, invocation))
    for fix in done.fixes:
        console.say(f"preflight: applying {fix.id} before any build starts: {fix.title}")
    if done.unfixed:
        console.say(f"preflight: no safe fix for {', '.join(done.unfixed)}; pip runs and may fail there")
    return Preflight(done.args, dict(done.env), done.fixes, predicted, done.unfixed)
