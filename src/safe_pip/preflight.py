"""Before any build starts: for each distribution pip would build from source, whether this machine has what
the build needs, and the fix when it has not.

Pure: the needs (buildneeds), what the machine offers (`MachineOffers`, gathered by probe) and a FixContext
whose questions to the index (which release has a wheel) the caller wires in. A verdict is "fail" only on a
need the build certainly has and the machine certainly lacks; what cannot be told is "unknown", with why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from safe_pip.buildneeds import BuildNeeds, Need
from safe_pip.doctor import COMPILER_PACKAGES
from safe_pip.fixes import Fix, FixContext, render_fix
from safe_pip.installreport import PlannedDistribution
from safe_pip.probe import InterpreterFacts, MachineFacts

__all__ = [
    "FAIL",
    "OK",
    "UNKNOWN",
    "Check",
    "MachineOffers",
    "PlanRow",
    "Verdict",
    "build_jobs_that_fit",
    "check_needs",
    "fixes_for",
    "judge",
    "need_label",
    "offers_from",
]

FAIL, OK, UNKNOWN = "fail", "ok", "unknown"
_GB = 1 << 30
# Memory one parallel compile job of a torch C++/CUDA extension takes at its peak (nvcc on flash-attn-sized
# kernels takes more; these are the floor that the projects' own MAX_JOBS advice starts from).
_JOB_MEMORY = {"cuda": 4 * _GB, "torch": 2 * _GB}
_COMPILERS = ("cc", "gcc", "clang", "c++", "g++", "msvc")


@dataclass(frozen=True)
class MachineOffers:
    """What this machine offers a build; None where it could not be told."""

    tools: Mapping[str, bool]  # program -> on PATH (compilers, cargo, rustc, nvcc, cmake, pg_config, ...)
    python_h: bool | None
    cuda_home: str | None = None
    cuda_home_has_nvcc: bool | None = None
    # The toolkit a build finds by itself when CUDA_HOME is unset and no nvcc is on PATH (torch's
    # cpp_extension and CMake's FindCUDAToolkit look in /usr/local/cuda last), when its bin/nvcc is there.
    default_cuda_home: str | None = None
    torch_installed: bool | None = None  # in the target interpreter
    build_isolation: bool = True  # neither --no-build-isolation nor PIP_NO_BUILD_ISOLATION turned it off
    libraries: Mapping[str, bool | None] = field(default_factory=dict)  # pkg-config module -> found
    headers: Mapping[str, bool | None] = field(default_factory=dict)  # header -> found in the include paths
    memory_available: int | None = None
    cpus: float | None = None


def offers_from(
    machine: MachineFacts,
    interpreter: InterpreterFacts | None,
    *,
    programs: Mapping[str, bool],
    libraries: Mapping[str, bool | None],
    headers: Mapping[str, bool | None],
    pip_args: Sequence[str],
    environ: Mapping[str, str] | None = None,
    default_cuda_home: str | None = None,
) -> MachineOffers:
    """What the machine offers, from doctor's facts and the answers to the questions these builds raised.
    `environ`: the environment pip runs in (PIP_NO_BUILD_ISOLATION)."""
    from safe_pip.facts import pip_builds_in_isolation

    tools = {name: info is not None for name, info in machine.tools.items()}
    tools.update(programs)
    return MachineOffers(
        tools=tools,
        python_h=interpreter.python_h if interpreter is not None else None,
        cuda_home=machine.cuda_home,
        cuda_home_has_nvcc=machine.cuda_home_has_nvcc,
        default_cuda_home=default_cuda_home,
        torch_installed=bool(interpreter.packages.get("torch")) if interpreter is not None else None,
        build_isolation=pip_builds_in_isolation(pip_args, environ or {}),
        libraries=libraries,
        headers=headers,
        memory_available=machine.memory_available,
        cpus=machine.cpus,
    )


@dataclass(frozen=True)
class Check:
    need: Need
    have: bool | None  # None: cannot tell
    detail: str  # what is missing or why it cannot be told ("pg_config is not on PATH")


@dataclass(frozen=True)
class Verdict:
    status: str  # FAIL, OK, UNKNOWN
    reasons: tuple[str, ...]  # for FAIL: each missing need with its evidence; for UNKNOWN: why
    checks: tuple[Check, ...] = ()
    jobs: int | None = None  # parallel build jobs that fit in memory, when fewer than the CPUs

    @property
    def missing(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.need.certain and check.have is False)


@dataclass(frozen=True)
class PlanRow:
    distribution: PlannedDistribution
    needs: BuildNeeds | None  # None for a wheel, or an sdist that could not be read
    verdict: Verdict
    fixes: tuple[Fix, ...] = ()


def need_label(what: str) -> str:
    """A need as the table shows it: `compiler` -> `C/C++ compiler`, `tool:pg_config` -> `pg_config`."""
    named = {
        "compiler": "C/C++ compiler",
        "python-headers": "Python.h",
        "rust": "Rust (cargo)",
        "cuda": "CUDA",
    }
    if what in named:
        return named[what]
    kind, _, name = what.partition(":")
    return {"library": f"lib {name}", "header": name, "cmake": f"CMake package {name}"}.get(kind, name)


def _check(need: Need, offers: MachineOffers) -> Check:
    what = need.what
    kind, _, name = what.partition(":")
    if what == "compiler":
        have = any(offers.tools.get(tool) for tool in _COMPILERS)
        return Check(need, have, "no C/C++ compiler on PATH (cc, gcc, clang, c++)")
    if what == "python-headers":
        return Check(need, offers.python_h, "Python.h is missing for the target interpreter")
    if what == "rust":
        have = bool(offers.tools.get("cargo") and offers.tools.get("rustc"))
        return Check(need, have, "cargo/rustc are not on PATH")
    if what == "cuda":
        if offers.tools.get("nvcc") or offers.cuda_home_has_nvcc:
            return Check(need, True, "")
        if not offers.cuda_home and offers.default_cuda_home:
            return Check(need, True, "")  # found where the build looks last (torch: /usr/local/cuda)
        home = (
            f"CUDA_HOME is {offers.cuda_home}, which holds no bin/nvcc"
            if offers.cuda_home
            else "CUDA_HOME is unset (and /usr/local/cuda holds no bin/nvcc)"
        )
        return Check(need, False, f"nvcc is not on PATH and {home}")
    if what == "torch":
        if not offers.build_isolation:
            detail = "torch is not installed in the target (the build runs without isolation)"
            return Check(need, offers.torch_installed, detail)
        return Check(
            need,
            False,
            "the build imports torch, which is not in its build requirements: pip builds in an isolated "
            "environment without it",
        )
    if kind == "tool":
        if name not in offers.tools:
            return Check(need, None, f"whether {name} is on PATH was not checked")
        return Check(need, offers.tools[name], f"{name} is not on PATH")
    if kind == "library":
        if not offers.tools.get("pkg-config"):
            return Check(need, None, f"pkg-config is not here to say whether {name} is installed")
        return Check(need, offers.libraries.get(name), f"pkg-config does not find {name}")
    if kind == "header":
        return Check(need, offers.headers.get(name), f"{name} is not in the system's include folders")
    return Check(need, None, f"cannot tell whether CMake finds {name}")


def check_needs(needs: BuildNeeds, offers: MachineOffers) -> tuple[Check, ...]:
    return tuple(_check(need, offers) for need in needs.needs)


def build_jobs_that_fit(needs: BuildNeeds, offers: MachineOffers) -> tuple[int, int, int] | None:
    """(jobs that fit, jobs the build would run, bytes per job) when a torch extension's parallel compile
    (one ninja job per CPU unless MAX_JOBS says otherwise) needs more memory than is available; else None."""
    heavy = [what for what in ("cuda", "torch") if any(n.what == what and n.certain for n in needs.needs)]
    if not heavy or offers.memory_available is None or offers.cpus is None:
        return None
    per_job = _JOB_MEMORY[heavy[0]]
    jobs = max(1, int(offers.cpus))
    fitting = max(1, offers.memory_available // per_job)
    return (int(fitting), jobs, per_job) if fitting < jobs else None


def judge(
    distribution: PlannedDistribution,
    needs: BuildNeeds | None,
    offers: MachineOffers,
    *,
    why_unread: str = "",
) -> Verdict:
    """The verdict on installing `distribution` here. A wheel needs no build: OK."""
    if not distribution.builds:
        return Verdict(OK, ())
    if needs is None:
        return Verdict(UNKNOWN, (why_unread or "its source could not be read",))
    checks = check_needs(needs, offers)
    missing = [check for check in checks if check.need.certain and check.have is False]
    if missing:
        reasons = tuple(f"{check.detail} ({check.need.evidence[0]})" for check in missing)
        return Verdict(FAIL, reasons, checks)
    unknown = [
        f"{check.detail} ({check.need.evidence[0]})"
        for check in checks
        if check.have is None and check.need.certain
    ]
    unknown += [
        f"{check.detail}; it has {check.need.evidence[0]}, which the build may not compile"
        for check in checks
        if not check.need.certain and check.have is False
    ]
    if not needs.backend and not needs.needs and "setup.py" not in _files_read(needs):
        unknown.append("it declares no build backend and has no setup.py: how it builds is not known")
    jobs = build_jobs_that_fit(needs, offers)
    fitting: int | None = None
    if jobs is not None:
        fitting, running, per_job = jobs
        unknown.append(
            f"{running} parallel compile jobs need about {running * per_job / _GB:.0f} GB; "
            f"{(offers.memory_available or 0) / _GB:.1f} GB is available: the compiler may be killed "
            f"(MAX_JOBS={fitting} fits)"
        )
    if unknown:
        return Verdict(UNKNOWN, tuple(unknown), checks, fitting)
    return Verdict(OK, (), checks)


def _files_read(needs: BuildNeeds) -> tuple[str, ...]:
    return tuple({evidence.file for need in needs.needs for evidence in need.evidence})


def fixes_for(
    row_distribution: PlannedDistribution, verdict: Verdict, context: FixContext
) -> tuple[Fix, ...]:
    """The fixes for a predicted failure (or a memory risk): a release with a wheel here within the user's
    versions (pin-to-wheel, --only-binary), then what to install on the machine."""
    if verdict.status == OK:
        return ()
    context = replace(context, package=row_distribution.name)
    found: list[Fix | None] = []
    if verdict.status == FAIL:
        found.append(render_fix("pin-to-wheel", {}, context))
        found.append(render_fix("only-binary", {}, context))
        for check in verdict.missing:
            found.extend(_machine_fixes(check, context))
    if verdict.jobs is not None:
        found.append(
            render_fix(
                "limit-build-jobs", {"jobs": str(verdict.jobs), "parallel": "one ninja job per CPU"}, context
            )
        )
    unique: dict[tuple[str, str, tuple[str, ...] | None], Fix] = {}
    for fix in found:
        if fix is not None:
            unique.setdefault((fix.id, fix.command, fix.args), fix)
    return tuple(unique.values())


def _machine_fixes(check: Check, context: FixContext) -> Sequence[Fix | None]:
    what = check.need.what
    kind, _, name = what.partition(":")
    if what == "compiler":
        return [
            render_fix(
                "install-system-package",
                {"what": "a C/C++ compiler", "builds": "no", **COMPILER_PACKAGES},
                context,
            )
        ]
    if what == "python-headers":
        return [
            render_fix(
                "install-system-package",
                {"what": "Python's headers", "header": "Python.h", "builds": "no"},
                context,
            )
        ]
    if what == "rust":
        return [render_fix("install-rust", {}, context)]
    if what == "cuda":
        return [render_fix("set-cuda-home", {}, context)]
    if what == "torch":
        return [render_fix("no-build-isolation", {"module": "torch"}, context)]
    if kind in ("tool", "library", "header"):
        # each need is a check of its own: the compiler and the headers are told apart
        return [render_fix("install-system-package", {"what": name, kind: name, "builds": "no"}, context)]
    return []
