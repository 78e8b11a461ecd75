"""The attempt loop of `--fix`: run pip, diagnose, apply the first safe untried fix of the top diagnosis, run
again; bounded. Pure: running pip and diagnosing a run are given as functions, so the loop is tested alone.

It stops at success, at the attempt limit, when no safe untried fix is left, or when a fix changed nothing
(the same diagnosis for the same package right after it). The same arguments and environment never run twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from safe_pip.classify import Diagnosis
from safe_pip.fixes import Fix

__all__ = ["Attempt", "RunOutcome", "next_fix", "run_with_fixes"]


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
    args: tuple[str, ...]  # pip's arguments after the command
    env_changes: Mapping[str, str]
    fix: Fix | None  # the fix applied before this attempt (None: the user's own command)
    outcome: RunOutcome

    def to_json(self, command: Sequence[str]) -> dict[str, object]:
        return {
            "argv": [*command, *self.args],
            "env_changes": dict(self.env_changes),
            "exit_code": self.outcome.exit_code,
            "duration_s": round(self.outcome.duration_s, 3),
            "diagnoses": [diagnosis.to_json() for diagnosis in self.outcome.diagnoses],
            "fix": self.fix.id if self.fix else None,
        }


@dataclass(frozen=True)
class _Plan:
    fix: Fix
    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


def next_fix(attempts: Sequence[Attempt]) -> _Plan | None:
    """The first safe fix of the last attempt's top diagnosis that would run something not run yet."""
    last = attempts[-1]
    if not last.outcome.diagnoses:
        return None
    top = last.outcome.diagnoses[0]
    before = attempts[-2].outcome.diagnoses if len(attempts) >= 2 else ()
    same_failure = bool(before) and (before[0].category, before[0].package) == (top.category, top.package)
    # A fix that changed nothing ends the loop; fewer build jobs may need one more halving.
    if last.fix is not None and same_failure and last.fix.id != "limit-build-jobs":
        return None
    tried = {(attempt.args, tuple(sorted(attempt.env_changes.items()))) for attempt in attempts}
    for fix in top.fixes:
        if not fix.auto or fix.args is None:
            continue
        env = {**last.env_changes, **fix.env}
        if (fix.args, tuple(sorted(env.items()))) not in tried:
            return _Plan(fix, fix.args, env)
    return None


def run_with_fixes(
    args: tuple[str, ...],
    run: Callable[[tuple[str, ...], Mapping[str, str]], RunOutcome],
    *,
    max_attempts: int,
    announce: Callable[[int, _Plan, Diagnosis], None],
    first: RunOutcome | None = None,
) -> list[Attempt]:
    """Run (or take `first` as the first run), then fix and re-run until one of the stop conditions."""
    attempts = [Attempt(args, {}, None, first if first is not None else run(args, {}))]
    while len(attempts) < max_attempts:
        last = attempts[-1]
        if last.outcome.exit_code == 0 or last.outcome.interrupted:
            break
        plan = next_fix(attempts)
        if plan is None:
            break
        announce(len(attempts) + 1, plan, last.outcome.diagnoses[0])
        attempts.append(Attempt(plan.args, plan.env, plan.fix, run(plan.args, plan.env)))
    return attempts
