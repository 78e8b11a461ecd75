"""The attempt loop of `--fix`: run pip, diagnose, apply the first safe untried fix of the top diagnosis, run
again; bounded. Pure: running pip and diagnosing a run are given as functions, so the loop is tested alone.

It stops at success, at the attempt limit, when no safe untried fix is left, or when a fix changed nothing
(the same rule's diagnosis for the same package right after it). The same arguments, environment and files
written for the run (a build constraint's text) never run twice, except once after a fix that changes the
target first (upgrading pip), which is what makes that run different.
Fixes that worked before for the same package and failure (the history) are tried first; a fix whose last
try for them failed is not tried again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from safe_pip.classify import Diagnosis
from safe_pip.fixes import Fix

__all__ = [
    "Attempt",
    "Remembered",
    "RunOutcome",
    "fix_records",
    "next_fix",
    "order_fixes",
    "run_with_fixes",
    "usable_fixes",
]


@dataclass(frozen=True)
class RunOutcome:
    """What one pip run gave: its exit code, how long it took, its diagnoses, where its log is."""

    exit_code: int
    duration_s: float
    diagnoses: tuple[Diagnosis, ...] = ()
    log_path: str | None = None
    interrupted: bool = False


@dataclass(frozen=True)
class Attempt:
    """One pip run of an install: its arguments, environment changes, the fix applied before it, and how
    it ended."""

    args: tuple[str, ...]  # pip's arguments after the command
    env_changes: Mapping[str, str]
    fix: Fix | None  # the fix applied before this attempt (None: the user's own command)
    outcome: RunOutcome

    @property
    def before(self) -> tuple[str, ...]:
        """The pip command run in the target first (the fix's, e.g. upgrading pip); empty for most."""
        return self.fix.before if self.fix is not None else ()

    def to_json(self, command: Sequence[str]) -> dict[str, object]:
        return {
            "argv": [*command, *self.args],
            "env_changes": dict(self.env_changes),
            "exit_code": self.outcome.exit_code,
            "duration_s": round(self.outcome.duration_s, 3),
            "diagnoses": [diagnosis.to_json() for diagnosis in self.outcome.diagnoses],
            "fix": self.fix.id if self.fix else None,
            **({"moves_pin": str(self.fix.moves_pin)} if self.fix and self.fix.moves_pin else {}),
        }


# The fix ids that worked before for a diagnosis (its package and category), the latest first.
Remembered = Callable[[Diagnosis], Sequence[str]]


@dataclass(frozen=True)
class _Plan:
    """A fix chosen for the next attempt: its pip arguments and environment, and whether it worked before."""

    fix: Fix
    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    worked_before: bool = False


def order_fixes(fixes: Sequence[Fix], worked_before: Sequence[str]) -> list[Fix]:
    """The rule's order, except that fixes which worked before come first (the latest first). A pin moved to
    the nearest release with a wheel (--fix-versions nearest) keeps its place in the rule's order when it
    stays in the pinned release's line (psutil 5.9.0 -> 5.9.8): a wheel that installs beats another source
    build that may fail for the next reason (a missing compiler). A move to another major release (PyYAML
    5.4.1 -> 6.0.4: another API) goes after the fixes that keep the user's version (a constrained rebuild)."""
    rank = {fix_id: index for index, fix_id in enumerate(worked_before)}
    return sorted(fixes, key=lambda fix: (rank.get(fix.id, len(rank)), _moves_to_another_line(fix)))


def _moves_to_another_line(fix: Fix) -> bool:
    """Whether the fix moves a pin to another major release line (`x 5.4.1 -> 6.0.4`; below 1.0 the minor
    is the major, as requested.nearest_release reads it)."""
    if not fix.moves_pin:
        return False
    from packaging.version import InvalidVersion, Version

    from safe_pip.requested import release_line

    try:
        return release_line(Version(fix.moves_pin.given)) != release_line(Version(fix.moves_pin.to))
    except InvalidVersion:
        return True  # a range moved (`x >=1,<2 -> 3.0`): no release line is kept


def usable_fixes(
    diagnosis: Diagnosis, worked_before: Sequence[str] = (), failed_before: Sequence[str] = ()
) -> list[Fix]:
    """The fixes --fix may apply for a diagnosis, in the order to try them: safe, runnable, and not one
    whose last try for the same package, failure and kind of interpreter did not help (a fix that failed is
    not repeated); those that worked before come first."""
    runnable = [
        fix for fix in diagnosis.fixes if fix.auto and fix.args is not None and fix.id not in failed_before
    ]
    return order_fixes(runnable, worked_before)


def next_fix(
    attempts: Sequence[Attempt], remembered: Remembered | None = None, failed: Remembered | None = None
) -> _Plan | None:
    """The first safe fix of the last attempt's top diagnosis that would run something not run yet."""
    last = attempts[-1]
    if not last.outcome.diagnoses:
        return None
    top = last.outcome.diagnoses[0]
    before = attempts[-2].outcome.diagnoses if len(attempts) >= 2 else ()
    # The same failure: the same rule found it, for the same package. Another rule of the same category means
    # the fix got the build past one cause to the next (pkg_resources, then a Cython error): worth going on.
    same_failure = bool(before) and (before[0].rule, before[0].category, before[0].package) == (
        top.rule,
        top.category,
        top.package,
    )
    # A fix that changed nothing ends the loop; fewer build jobs may need one more halving.
    if last.fix is not None and same_failure and last.fix.id != "limit-build-jobs":
        return None
    # What each attempt ran with: its arguments, environment, the command run first, and the files the fixes
    # had written by then (they stay until the loop ends). A build constraint of the same project is one file
    # whose text a later fix changes (setuptools<81, then setuptools<58 for the use_2to3 the first one got
    # the build to): the same arguments and environment, another run.
    files: dict[str, str] = {}
    tried: set[tuple[object, ...]] = set()
    for attempt in attempts:
        if attempt.fix is not None:
            files.update(attempt.fix.files)
        tried.add(_key(attempt.before, attempt.args, attempt.env_changes, files))
    worked_before = tuple(remembered(top)) if remembered is not None and top.package else ()
    failed_before = tuple(failed(top)) if failed is not None and top.package else ()
    for fix in usable_fixes(top, worked_before, failed_before):
        env = {**last.env_changes, **fix.env}
        written = {**files, **dict(fix.files)}
        if fix.args is not None and _key(fix.before, fix.args, env, written) not in tried:
            return _Plan(fix, fix.args, env, fix.id in worked_before)
    return None


def _key(
    before: tuple[str, ...], args: tuple[str, ...], env: Mapping[str, str], files: Mapping[str, str]
) -> tuple[object, ...]:
    return before, args, tuple(sorted(env.items())), tuple(sorted(files.items()))


def run_with_fixes(
    args: tuple[str, ...],
    run: Callable[
        [tuple[str, ...], Mapping[str, str], tuple[str, ...], tuple[tuple[str, str], ...]], RunOutcome
    ],
    *,
    max_attempts: int,
    announce: Callable[[int, _Plan, Diagnosis], None],
    first: RunOutcome | None = None,
    remembered: Remembered | None = None,
    failed: Remembered | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Attempt]:
    """Run (or take `first` as the first run), then fix and re-run until one of the stop conditions. `run`
    gets the arguments, the environment changes, a pip command to run first (empty: none), and files to write
    before the run (path, text: a requirement file's changed copy). `env`: the first run's environment
    changes (what `--preflight` set first: MAX_JOBS, ...), kept by every retry unless a fix changes them."""
    start = dict(env or {})
    attempts = [Attempt(args, start, None, first if first is not None else run(args, start, (), ()))]
    while len(attempts) < max_attempts:
        last = attempts[-1]
        if last.outcome.exit_code == 0 or last.outcome.interrupted:
            break
        plan = next_fix(attempts, remembered, failed)
        if plan is None:
            break
        announce(len(attempts) + 1, plan, last.outcome.diagnoses[0])
        outcome = run(plan.args, plan.env, plan.fix.before, plan.fix.files)
        attempts.append(Attempt(plan.args, plan.env, plan.fix, outcome))
    return attempts


def fix_records(attempts: Sequence[Attempt]) -> list[tuple[Diagnosis, str, bool]]:
    """What the history should learn from a loop: for each fix applied, the diagnosis it was applied for, the
    fix id, and whether the run after it succeeded. Diagnoses without a package teach nothing."""
    learned: list[tuple[Diagnosis, str, bool]] = []
    for before, after in zip(attempts, attempts[1:]):
        if after.fix is None or not before.outcome.diagnoses or after.outcome.interrupted:
            continue
        cause = before.outcome.diagnoses[0]
        if cause.package:
            learned.append((cause, after.fix.id, after.outcome.exit_code == 0))
    return learned
