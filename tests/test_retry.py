"""The attempt loop with a scripted pip: what it runs, in which order, and when it stops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from safe_pip.classify import Diagnosis, Evidence
from safe_pip.fixes import Fix, PinMove
from safe_pip.retry import RunOutcome, fix_records, order_fixes, run_with_fixes


def _diagnosis(category: str, *fixes: Fix, package: str = "psutil") -> Diagnosis:
    return Diagnosis("rule", category, 0.9, package, "summary", "", (Evidence(1, "x"),), tuple(fixes))


def _fix(fix_id: str, args: tuple[str, ...], env: Mapping[str, str] | None = None, auto: bool = True) -> Fix:
    return Fix(fix_id, fix_id, auto, args[:2], dict(env or {}), "cmd", "safe", args)


class ScriptedPip:
    """Answers each run from a table keyed by (args, env), or (args, env, command run first); records every
    run, and every command run first."""

    def __init__(self, answers: Mapping[tuple[object, ...], RunOutcome]) -> None:
        self.answers = answers
        self.runs: list[tuple[tuple[str, ...], dict[str, str]]] = []
        self.befores: list[tuple[str, ...]] = []

    def __call__(
        self,
        args: tuple[str, ...],
        env: Mapping[str, str],
        before: tuple[str, ...],
        files: tuple[tuple[str, str], ...] = (),
    ) -> RunOutcome:
        self.runs.append((args, dict(env)))
        key: tuple[object, ...] = (args, tuple(sorted(env.items())))
        if before:
            self.befores.append(before)
            key = (*key, before)
        return self.answers[key]


ONLY_BINARY = ("--only-binary", "psutil", "psutil")
FAILED = RunOutcome(1, 0.1, (_diagnosis("missing-compiler", _fix("only-binary", ONLY_BINARY)),))


def _loop(pip: ScriptedPip, max_attempts: int = 3) -> list[tuple[int, str]]:
    announced: list[tuple[int, str]] = []
    attempts = run_with_fixes(
        ("psutil",),
        pip,
        max_attempts=max_attempts,
        announce=lambda n, plan, cause: announced.append((n, plan.fix.id)),
    )
    assert len(attempts) == len(pip.runs)
    return announced


def test_a_safe_fix_is_applied_and_the_loop_stops_at_success() -> None:
    pip = ScriptedPip({(("psutil",), ()): FAILED, (ONLY_BINARY, ()): RunOutcome(0, 0.1)})
    assert _loop(pip) == [(2, "only-binary")]
    assert [args for args, _ in pip.runs] == [("psutil",), ONLY_BINARY]


def test_no_retry_without_a_safe_fix() -> None:
    unsafe = RunOutcome(
        1,
        0.1,
        (
            _diagnosis(
                "externally-managed-environment",
                _fix("break-system-packages", ("--break-system-packages", "psutil"), auto=False),
            ),
        ),
    )
    pip = ScriptedPip({(("psutil",), ()): unsafe})
    assert _loop(pip) == []
    assert len(pip.runs) == 1


def test_a_fix_that_changed_nothing_ends_the_loop() -> None:
    second = RunOutcome(
        1,
        0.1,
        (
            _diagnosis(
                "missing-compiler",
                _fix("only-binary", ONLY_BINARY),
                _fix("prefer-binary", ("--prefer-binary", "psutil")),
            ),
        ),
    )
    pip = ScriptedPip({(("psutil",), ()): FAILED, (ONLY_BINARY, ()): second})
    assert _loop(pip) == [(2, "only-binary")]


def test_never_the_same_arguments_twice_and_never_over_the_limit() -> None:
    looping = RunOutcome(1, 0.1, (_diagnosis("out-of-memory", _fix("only-binary", ONLY_BINARY)),))
    other = RunOutcome(1, 0.1, (_diagnosis("missing-compiler", _fix("only-binary", ONLY_BINARY)),))
    pip = ScriptedPip({(("psutil",), ()): looping, (ONLY_BINARY, ()): other})
    _loop(pip)
    runs = [(args, tuple(sorted(env.items()))) for args, env in pip.runs]
    assert len(runs) == len(set(runs)) == 2
    pip = ScriptedPip({(("psutil",), ()): FAILED, (ONLY_BINARY, ()): RunOutcome(1, 0.1, FAILED.diagnoses)})
    _loop(pip, max_attempts=1)
    assert len(pip.runs) == 1


def test_fewer_build_jobs_may_be_halved_again() -> None:
    def oom(jobs: str) -> RunOutcome:
        return RunOutcome(
            1, 0.1, (_diagnosis("out-of-memory", _fix("limit-build-jobs", ("psutil",), {"MAX_JOBS": jobs})),)
        )

    pip = ScriptedPip(
        {
            (("psutil",), ()): oom("4"),
            (("psutil",), (("MAX_JOBS", "4"),)): oom("2"),
            (("psutil",), (("MAX_JOBS", "2"),)): RunOutcome(0, 0.1),
        }
    )
    assert _loop(pip, max_attempts=3) == [(2, "limit-build-jobs"), (3, "limit-build-jobs")]
    assert pip.runs[-1] == (("psutil",), {"MAX_JOBS": "2"})


OOM_THEN_WHEEL = RunOutcome(
    1,
    0.1,
    (
        _diagnosis(
            "out-of-memory",
            _fix("limit-build-jobs", ("psutil",), {"MAX_JOBS": "1"}),
            _fix("only-binary", ONLY_BINARY),
        ),
    ),
)


def test_a_fix_that_worked_before_is_tried_first() -> None:
    pip = ScriptedPip({(("psutil",), ()): OOM_THEN_WHEEL, (ONLY_BINARY, ()): RunOutcome(0, 0.1)})
    announced: list[tuple[str, bool]] = []
    asked: list[tuple[str | None, str]] = []

    def remembered(diagnosis: Diagnosis) -> tuple[str, ...]:
        asked.append((diagnosis.package, diagnosis.category))
        return ("only-binary",)

    run_with_fixes(
        ("psutil",),
        pip,
        max_attempts=3,
        announce=lambda n, plan, cause: announced.append((plan.fix.id, plan.worked_before)),
        remembered=remembered,
    )
    assert announced == [("only-binary", True)]
    assert asked == [("psutil", "out-of-memory")]


def test_without_a_memory_the_rule_order_holds() -> None:
    pip = ScriptedPip(
        {
            (("psutil",), ()): OOM_THEN_WHEEL,
            (("psutil",), (("MAX_JOBS", "1"),)): RunOutcome(0, 0.1),
        }
    )
    assert _loop(pip) == [(2, "limit-build-jobs")]


def test_order_fixes_puts_the_latest_success_first_and_keeps_the_rest_in_rule_order() -> None:
    fixes = [_fix(name, (name,)) for name in ("a", "b", "c", "d")]
    assert [fix.id for fix in order_fixes(fixes, ("c", "b"))] == ["c", "b", "a", "d"]
    assert [fix.id for fix in order_fixes(fixes, ("unknown",))] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("moved", "first"),
    [
        (
            PinMove("pyyaml", "5.4.1", "6.0.4"),
            "constrain-build",
        ),  # another major: the user's version is kept first
        (
            PinMove("regex", "2022.10.31", "2024.9.11"),
            "constrain-build",
        ),  # calendar versions: each year a line
        (PinMove("pkg", ">=1,<2", "3.0"), "constrain-build"),  # a range moved
        (PinMove("hdbscan", "0.8.29", "0.8.44"), "pin-to-wheel"),  # the same line (0.8): the rule's order
        (PinMove("psutil", "5.9.0", "5.9.8"), "pin-to-wheel"),
        (PinMove("pydantic", "2.5.3", "2.8.2"), "pin-to-wheel"),
    ],
)
def test_a_pin_moved_to_another_major_release_goes_after_the_fixes_that_keep_it(
    moved: PinMove, first: str
) -> None:
    pin = replace(_fix("pin-to-wheel", ("x==2",)), moves_pin=moved)
    constrain = _fix("constrain-build", ("x==1",), {"PIP_CONSTRAINT": "/tmp/s.txt"})
    assert order_fixes([pin, constrain], ())[0].id == first
    # A fix that worked before still comes first.
    assert order_fixes([pin, constrain], ("pin-to-wheel",))[0].id == "pin-to-wheel"


def test_a_fix_that_gets_past_one_cause_to_the_next_is_followed_by_the_next_fix() -> None:
    """pandas 2.0.3 on Python 3.13: setuptools<81 in its build gets it past pkg_resources to a Cython error
    (the same category, another rule): not 'a fix that changed nothing', so the loop goes on."""
    constrain = _fix("constrain-build", ("pandas==2.0.3",), {"PIP_CONSTRAINT": "/tmp/s.txt"})
    pin = _fix("pin-to-wheel", ("pandas==2.2.3",))
    first = Diagnosis(
        "pkg-resources-missing",
        "build-backend-error",
        0.9,
        "pandas",
        "",
        "",
        (Evidence(1, "x"),),
        (constrain,),
    )
    second = Diagnosis(
        "cython3-incompatible", "build-backend-error", 0.9, "pandas", "", "", (Evidence(1, "x"),), (pin,)
    )
    pip = ScriptedPip(
        {
            (("pandas==2.0.3",), ()): RunOutcome(1, 0.1, (first,)),
            (("pandas==2.0.3",), (("PIP_CONSTRAINT", "/tmp/s.txt"),)): RunOutcome(1, 0.1, (second,)),
            (("pandas==2.2.3",), (("PIP_CONSTRAINT", "/tmp/s.txt"),)): RunOutcome(0, 0.1),
        }
    )
    attempts = run_with_fixes(("pandas==2.0.3",), pip, max_attempts=3, announce=lambda *_: None)
    assert [attempt.fix.id if attempt.fix else None for attempt in attempts] == [
        None,
        "constrain-build",
        "pin-to-wheel",
    ]
    assert attempts[-1].outcome.exit_code == 0


def test_a_build_constraint_changed_in_the_same_file_is_another_run() -> None:
    """suds-jurko 0.6 on 3.11: setuptools<81 gets its build past pkg_resources to use_2to3, whose fix is
    setuptools<58 in the same constraint file (the same arguments and environment, another file text). That
    is a new run, not a repeat; the same text again is."""
    path = "/tmp/scratch/build-constraints-setuptools.txt"
    env = {"PIP_CONSTRAINT": path}

    def constrain(requirement: str) -> Fix:
        return replace(
            _fix("constrain-build", ("suds-jurko==0.6",), env), files=((path, requirement + "\n"),)
        )

    def diagnosis(rule: str, requirement: str) -> Diagnosis:
        return Diagnosis(
            rule,
            "build-backend-error",
            0.9,
            "suds-jurko",
            "",
            "",
            (Evidence(1, "x"),),
            (constrain(requirement),),
        )

    written: list[tuple[tuple[str, str], ...]] = []
    outcomes = iter(
        [
            RunOutcome(1, 0.1, (diagnosis("pkg-resources-missing", "setuptools<81"),)),
            RunOutcome(1, 0.1, (diagnosis("use-2to3-removed", "setuptools<58"),)),
            RunOutcome(0, 0.1),
        ]
    )

    def pip(
        args: tuple[str, ...],
        env: Mapping[str, str],
        before: tuple[str, ...],
        files: tuple[tuple[str, str], ...] = (),
    ) -> RunOutcome:
        written.append(files)
        return next(outcomes)

    attempts = run_with_fixes(("suds-jurko==0.6",), pip, max_attempts=3, announce=lambda *_: None)
    assert [attempt.fix.id if attempt.fix else None for attempt in attempts] == [
        None,
        "constrain-build",
        "constrain-build",
    ]
    assert written == [(), ((path, "setuptools<81\n"),), ((path, "setuptools<58\n"),)]
    assert attempts[-1].outcome.exit_code == 0

    # The same constraint asked for again after it failed: nothing new to run, the loop ends.
    outcomes = iter(
        [
            RunOutcome(1, 0.1, (diagnosis("pkg-resources-missing", "setuptools<81"),)),
            RunOutcome(1, 0.1, (diagnosis("use-2to3-removed", "setuptools<81"),)),
        ]
    )
    written.clear()
    attempts = run_with_fixes(("suds-jurko==0.6",), pip, max_attempts=3, announce=lambda *_: None)
    assert len(attempts) == 2


def test_fix_records_say_what_each_fix_was_for_and_whether_it_worked() -> None:
    pip = ScriptedPip(
        {
            (("psutil",), ()): OOM_THEN_WHEEL,
            (("psutil",), (("MAX_JOBS", "1"),)): OOM_THEN_WHEEL,
            (ONLY_BINARY, (("MAX_JOBS", "1"),)): RunOutcome(0, 0.1),
        }
    )
    attempts = run_with_fixes(("psutil",), pip, max_attempts=3, announce=lambda n, plan, cause: None)
    learned = [(cause.category, cause.package, fix, worked) for cause, fix, worked in fix_records(attempts)]
    assert learned == [
        ("out-of-memory", "psutil", "limit-build-jobs", False),
        ("out-of-memory", "psutil", "only-binary", True),
    ]


UPGRADE = ("install", "--upgrade", "pip")


def _upgrade_pip() -> Fix:
    return Fix("upgrade-pip", "upgrade-pip", True, (), {}, "cmd", "safe", ("psutil",), UPGRADE)


def test_a_fix_that_changes_the_target_first_reruns_the_same_command_once() -> None:
    old_pip = RunOutcome(1, 0.1, (_diagnosis("no-matching-distribution", _upgrade_pip()),))
    pip = ScriptedPip({(("psutil",), ()): old_pip, (("psutil",), (), UPGRADE): RunOutcome(0, 0.1)})
    assert _loop(pip) == [(2, "upgrade-pip")]
    assert pip.befores == [UPGRADE]
    assert [args for args, _ in pip.runs] == [("psutil",), ("psutil",)]


def test_upgrading_pip_is_not_repeated_when_it_did_not_help() -> None:
    old_pip = RunOutcome(1, 0.1, (_diagnosis("no-matching-distribution", _upgrade_pip()),))
    pip = ScriptedPip({(("psutil",), ()): old_pip, (("psutil",), (), UPGRADE): old_pip})
    assert _loop(pip, max_attempts=5) == [(2, "upgrade-pip")]
    assert pip.befores == [UPGRADE]


def test_a_fix_that_failed_before_is_not_repeated() -> None:
    pip = ScriptedPip({(("psutil",), ()): FAILED})
    asked: list[str | None] = []

    def failed(diagnosis: Diagnosis) -> tuple[str, ...]:
        asked.append(diagnosis.package)
        return ("only-binary",)

    attempts = run_with_fixes(("psutil",), pip, max_attempts=3, announce=lambda *_: None, failed=failed)
    assert len(attempts) == 1
    assert asked == ["psutil"]
    # Without that memory the same failure gets the fix.
    assert (
        len(
            run_with_fixes(
                ("psutil",),
                ScriptedPip({**pip.answers, (ONLY_BINARY, ()): RunOutcome(0, 0.1)}),
                max_attempts=3,
                announce=lambda *_: None,
            )
        )
        == 2
    )


def test_the_first_runs_environment_is_kept_by_every_retry() -> None:
    """--preflight set MAX_JOBS before pip ran: the first attempt ran with it, and a fix after it adds its own
    changes to it rather than dropping it."""
    preflight = {"MAX_JOBS": "2"}
    pip = ScriptedPip(
        {
            (("psutil",), (("MAX_JOBS", "2"),)): FAILED,
            (ONLY_BINARY, (("MAX_JOBS", "2"),)): RunOutcome(0, 0.1),
        }
    )
    attempts = run_with_fixes(("psutil",), pip, max_attempts=3, announce=lambda *_: None, env=preflight)
    assert [dict(attempt.env_changes) for attempt in attempts] == [preflight, preflight]
    assert pip.runs == [(("psutil",), preflight), (ONLY_BINARY, preflight)]


def test_a_given_first_run_is_recorded_with_its_environment() -> None:
    pip = ScriptedPip({(ONLY_BINARY, (("CUDA_HOME", "/usr/local/cuda"),)): RunOutcome(0, 0.1)})
    attempts = run_with_fixes(
        ("psutil",),
        pip,
        max_attempts=3,
        announce=lambda *_: None,
        first=FAILED,
        env={"CUDA_HOME": "/usr/local/cuda"},
    )
    assert attempts[0].to_json(["pip", "install"])["env_changes"] == {"CUDA_HOME": "/usr/local/cuda"}
    assert attempts[1].env_changes == {"CUDA_HOME": "/usr/local/cuda"}
