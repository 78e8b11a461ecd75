"""`safe-pip plan`: the table of what pip would install, which of it is built here, what each build needs,
and the verdict, as text and as JSON (the contract's `plan --json`).

Pure: the report pip wrote, what each sdist holds (sdistprobe), what the machine offers and a FixContext
come from the caller; this assembles the rows and renders them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from safe_pip.buildneeds import BuildNeeds, analyse
from safe_pip.fixes import Fix, FixContext
from safe_pip.installreport import InstallReport
from safe_pip.preflight import FAIL, OK, UNKNOWN, MachineOffers, PlanRow, fixes_for, judge, need_label
from safe_pip.sdistprobe import SdistFiles

__all__ = [
    "EXIT_CANNOT_RUN",
    "EXIT_NOTHING_FAILS",
    "EXIT_SOMETHING_FAILS",
    "Plan",
    "make_plan",
    "needs_to_check",
    "plan_json",
    "plan_lines",
    "up_front",
]

EXIT_NOTHING_FAILS, EXIT_SOMETHING_FAILS, EXIT_CANNOT_RUN = 0, 1, 2
_SOURCE_WORDS = {"wheel": "wheel", "sdist": "source", "directory": "folder", "vcs": "VCS"}
_VERDICT_WORDS = {OK: "ok", FAIL: "will fail", UNKNOWN: "unknown"}


@dataclass(frozen=True)
class Plan:
    rows: tuple[PlanRow, ...] = ()
    # Why the check could not run (pip too old, the dry run gave no report): exit 2.
    problem: str | None = None
    # pip's dry run itself failed (resolution, or preparing an sdist's metadata ran its build and failed):
    # the diagnoses of its output, already rendered as lines, and the distribution it names when known.
    pip_failure: tuple[str, ...] = ()
    failure_fixes: tuple[Fix, ...] = ()  # the fixes of that failure's diagnosis

    @property
    def failing(self) -> tuple[PlanRow, ...]:
        return tuple(row for row in self.rows if row.verdict.status == FAIL)

    @property
    def exit_code(self) -> int:
        if self.problem is not None:
            return EXIT_CANNOT_RUN
        return EXIT_SOMETHING_FAILS if self.failing or self.pip_failure else EXIT_NOTHING_FAILS


def needs_to_check(
    all_needs: Sequence[BuildNeeds],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(programs, pkg-config modules, headers) the machine must be asked about for these builds."""
    programs: set[str] = set()
    modules: set[str] = set()
    headers: set[str] = set()
    for needs in all_needs:
        for need in needs.needs:
            kind, _, name = need.what.partition(":")
            {"tool": programs, "library": modules, "header": headers}.get(kind, set()).add(name)
    return tuple(sorted(programs)), tuple(sorted(modules)), tuple(sorted(headers))


def make_plan(
    report: InstallReport,
    sources: Mapping[str, SdistFiles],
    offers: MachineOffers,
    context: FixContext,
) -> Plan:
    """The rows, in pip's order. `sources`: what was read of each source build, by canonical name (a build
    missing from it was not read)."""
    rows = []
    for distribution in report.distributions:
        needs: BuildNeeds | None = None
        why = ""
        if distribution.builds:
            read = sources.get(distribution.key)
            if read is None:
                why = "its source was not read"
            elif read.problem is not None:
                why = read.problem
            else:
                needs = analyse(distribution.name, read.files, dict(read.texts))
        verdict = judge(distribution, needs, offers, why_unread=why)
        rows.append(PlanRow(distribution, needs, verdict, fixes_for(distribution, verdict, context)))
    return Plan(tuple(rows))


@dataclass(frozen=True)
class UpFront:
    """What `install --preflight --fix` changes before pip runs: the fixes, the arguments and environment
    they make; `unfixed`: the distributions predicted to fail that no safe fix covers."""

    fixes: tuple[Fix, ...]
    args: tuple[str, ...]
    env: Mapping[str, str]
    unfixed: tuple[str, ...]


def up_front(plan: Plan, context: FixContext) -> UpFront:
    """The safe fixes for every predicted failure (and memory risk), each written for the arguments the one
    before it made (`context.pip_args`: the user's), so that the failing builds never start."""
    args = tuple(context.pip_args or ())
    env: dict[str, str] = {}
    applied: list[Fix] = []
    unfixed: list[str] = []
    if plan.pip_failure:
        fix = next((fix for fix in plan.failure_fixes if fix.auto and fix.args is not None), None)
        if fix is None or fix.args is None:
            return UpFront((), args, env, ("pip's dry run",))
        return UpFront((fix,), fix.args, dict(fix.env), ())
    for row in plan.rows:
        if row.verdict.status == OK or (row.verdict.status == UNKNOWN and row.verdict.jobs is None):
            continue
        fixes = fixes_for(row.distribution, row.verdict, replace(context, pip_args=args))
        fix = next((fix for fix in fixes if fix.auto and (fix.args is not None or fix.env)), None)
        if fix is None:
            if row.verdict.status == FAIL:
                unfixed.append(row.distribution.name)
            continue
        applied.append(fix)
        args = fix.args if fix.args is not None else args
        env.update(fix.env)
    return UpFront(tuple(applied), args, env, tuple(unfixed))


def _needs_text(row: PlanRow) -> str:
    if row.needs is None:
        return "-" if not row.distribution.builds else "?"
    shown = [need_label(need.what) for need in row.needs.needs if need.certain]
    shown += [f"{need_label(need.what)}?" for need in row.needs.needs if not need.certain]
    return ", ".join(shown) or "nothing beyond Python"


def plan_lines(plan: Plan, *, verbose: bool = False) -> list[str]:
    """The human table, then each row's reasons and fixes (the first auto fix marked as --fix's)."""
    if plan.problem is not None:
        return [f"safe-pip plan: cannot check: {plan.problem}"]
    lines: list[str] = []
    if plan.pip_failure:
        lines.append("safe-pip plan: pip's own dry run failed, so installing will fail too:")
        lines += [f"  {line}" for line in plan.pip_failure]
        if not plan.rows:
            return lines
    builds = [row for row in plan.rows if row.distribution.builds]
    lines.append(
        f"safe-pip plan: pip would install {len(plan.rows)} distribution(s); {len(builds)} built from source "
        f"here, {len(plan.failing)} predicted to fail"
    )
    header = ("distribution", "version", "from", "needs", "verdict")
    table = [header] + [
        (
            row.distribution.name,
            row.distribution.version,
            _SOURCE_WORDS.get(row.distribution.kind, row.distribution.kind),
            _needs_text(row),
            _VERDICT_WORDS[row.verdict.status],
        )
        for row in plan.rows
        if verbose or row.distribution.builds or len(plan.rows) <= 30
    ]
    widths = [max(len(cells[column]) for cells in table) for column in range(len(header) - 1)]
    for cells in table:
        lines.append(
            "  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + "  " + cells[-1]
        )
    for row in plan.rows:
        if row.verdict.status == OK and not row.fixes:
            continue
        what = f"{row.distribution.name} {row.distribution.version}"
        word = "will fail" if row.verdict.status == FAIL else "unknown"
        for reason in row.verdict.reasons:
            lines.append(f"{what}: {word}: {reason}")
        first_auto = next((fix for fix in row.fixes if fix.auto), None)
        for fix in row.fixes:
            mark = " (safe to apply automatically: --fix)" if fix is first_auto else ""
            lines.append(f"  fix{mark}: {fix.command or fix.title}")
            if fix.command:
                lines.append(f"      {fix.title}")
    return lines


def plan_json(
    plan: Plan, *, version: str, python: str, pip_version: str | None, command: Sequence[str]
) -> dict[str, object]:
    """`plan --json` (docs/CONTRACT.md)."""
    return {
        "schema_version": 1,
        "safe_pip_version": version,
        "python": python,
        "pip_version": pip_version,
        "command": list(command),
        "exit_code": plan.exit_code,
        "problem": plan.problem,
        "pip_failure": list(plan.pip_failure),
        "pip_failure_fixes": [fix.to_json() for fix in plan.failure_fixes],
        "predicted_failures": len(plan.failing),
        "distributions": [_row_json(row) for row in plan.rows],
    }


def _row_json(row: PlanRow) -> dict[str, object]:
    distribution = row.distribution
    checks = {check.need.what: check for check in row.verdict.checks}
    needs = []
    for need in row.needs.needs if row.needs else ():
        check = checks.get(need.what)
        needs.append(
            {
                "need": need.what,
                "certain": need.certain,
                "have": check.have if check else None,
                "detail": check.detail if check and check.have is not True else None,
                "evidence": [
                    {"file": item.file, "line": item.line, "text": item.text} for item in need.evidence
                ],
            }
        )
    return {
        "name": distribution.name,
        "version": distribution.version,
        "source": distribution.kind,
        "url": distribution.url,
        "requested": distribution.requested,
        "build_backend": row.needs.backend if row.needs else None,
        "needs": needs,
        "verdict": row.verdict.status,
        "reasons": list(row.verdict.reasons),
        "fixes": [fix.to_json() for fix in row.fixes],
    }
