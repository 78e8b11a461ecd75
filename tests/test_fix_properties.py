"""Properties of the fix layer (issue 18), for any diagnosis and any user command: an automatic fix never adds
an index option, never changes the source of a file, folder or URL requirement, never contradicts a version
the user gave (unless they opted in with --fix-versions nearest), and never repeats a fix the history says
failed for the same package."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from safe_pip.classify import Diagnosis, Evidence
from safe_pip.facts import takes_value
from safe_pip.fixes import ACTIONS, Fix, FixContext, render_fix
from safe_pip.requested import read_user_requests
from safe_pip.retry import Attempt, RunOutcome, next_fix

PROJECTS = ["psutil", "numpy", "utils", "flash-attn", "torch"]
# The releases with a wheel for the target, per project, as pip's dry run would find them.
WHEELS = {"psutil": ["5.9.8", "7.2.2"], "numpy": ["1.26.4", "2.1.0"], "utils": ["9.9"], "torch": ["2.8.0"]}
INDEX_OPTIONS = frozenset(
    {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index", "--trusted-host"}
)
FILES = {
    "req.txt": "psutil==5.9.0\nnumpy>=1.20,<2 ; python_version >= '3'\n-c cons.txt\n",
    "cons.txt": "torch<2.5\n",
    "plain.txt": "utils\n",
}

names = st.sampled_from(PROJECTS)
requirement_words = st.one_of(
    names,
    st.builds(lambda n, v: f"{n}=={v}", names, st.sampled_from(["1.0", "5.9.0", "2.8.0", "9.9"])),
    st.builds(lambda n, v: f"{n}>={v}", names, st.sampled_from(["1.0", "5.0", "3.0"])),
    st.builds(lambda n: f"{n} ; python_version > '3'", names),
    st.builds(lambda n: f"./dist/{n.replace('-', '_')}-1.0.tar.gz", names),
    st.builds(lambda n: f"./private/{n.replace('-', '_')}-1.0-cp312-cp312-win_amd64.whl", names),
    st.builds(lambda n: f"{n} @ https://files.example/{n}-1.0.tar.gz", names),
    st.just("."),
)
option_words = st.sampled_from(
    [
        ("--index-url", "https://pkgs.example/simple"),
        ("--no-index",),
        ("--find-links", "./wheels"),
        ("-r", "req.txt"),
        ("-r", "plain.txt"),
        ("-c", "cons.txt"),
        ("--retries", "1"),
        ("--timeout", "5"),
        ("-q",),
        ("--pre",),
        ("--no-binary", "psutil"),
        ("--no-binary", ":all:"),
    ]
)
user_commands = st.lists(
    st.one_of(requirement_words.map(lambda word: (word,)), option_words), min_size=1, max_size=6
).map(lambda groups: tuple(word for group in groups for word in group))
# Every action, with those that rewrite the user's requirements drawn more often.
actions = st.one_of(
    st.sampled_from(sorted(ACTIONS)), st.sampled_from(["pin-to-wheel", "only-binary", "no-binary"])
)
params = st.fixed_dictionaries(
    {},
    optional={
        "module": names,
        "instead_of": st.builds(lambda n: f"{n.replace('-', '_')}-1.0-cp312-cp312-win_amd64.whl", names),
        "jobs": st.sampled_from(["1", "2"]),
        "parallel": st.sampled_from(["", "ninja: "]),
        "version": st.sampled_from(["3.11", ""]),
        "requirement": st.one_of(names, st.builds(lambda n: f"{n}<2", names)),
        "what": st.just("a compiler"),
        "apt": st.just("build-essential"),
        "host": st.just("pkgs.example"),
    },
)


def _newest_wheel(requirement: str) -> str | None:
    parsed = Requirement(requirement)
    found = list(parsed.specifier.filter(WHEELS.get(canonicalize_name(parsed.name), []), prereleases=True))
    return found[-1] if found else None


def _context(package: str, args: tuple[str, ...], nearest: bool) -> FixContext:
    return FixContext(
        package=package,
        pip_args=args,
        requests=read_user_requests(args, FILES.get),
        wheel_version=_newest_wheel,
        wheel_versions=lambda project: tuple(WHEELS.get(canonicalize_name(project), [])),
        importable=lambda module: module in ("setuptools", "wheel", "torch"),
        fitting_wheel=lambda path, project: path.rsplit("/", 1)[0] + f"/{project}-1.0-py3-none-any.whl",
        target_venv=lambda: True,
        fix_versions="nearest" if nearest else "",
        scratch_folder="/tmp/safe-pip-1-ab",  # where a build constraint's file is written
    )


def _is_direct(word: str) -> bool:
    return "/" in word or word == "." or "@" in word


def _user_specifier(args: tuple[str, ...], project: str) -> SpecifierSet:
    return SpecifierSet(read_user_requests(args, FILES.get).specifier(project))


def _check(fix: Fix, args: tuple[str, ...], nearest: bool) -> None:
    assert fix.args is not None
    added = [word for word in fix.args if word not in args]
    # 1. No index option is added (nor a value that would follow one).
    assert not [word for word in added if word.partition("=")[0] in INDEX_OPTIONS], (fix, args)
    # 2. Every file, folder or URL requirement stays, or is replaced by a file from its own folder.
    for word in args:
        if _is_direct(word) and not word.startswith("-") and word not in fix.args:
            folder = word.rsplit("/", 1)[0]
            assert any(new.startswith(folder + "/") for new in added), (fix, args)
            assert "--no-index" in args or fix.id == "only-binary", (fix, args)
    # 2b. No wheel is asked for where the user said to build from source (`--no-binary psutil`, `:all:`).
    refused = {args[i + 1] for i, word in enumerate(args[:-1]) if word == "--no-binary"}
    asked = {fix.args[i + 1] for i, word in enumerate(fix.args[:-1]) if word == "--only-binary"}
    assert not [name for name in asked - set(args) if name in refused or ":all:" in refused], (fix, args)
    # 3. A build constraint written for the retry (`numpy<2`) is only of a project the user gave no version,
    #    file, folder or URL for (a bare name, or none at all).
    for path, text in fix.files:
        if "/build-constraints-" in path:
            constrained = Requirement(text.strip()).name
            assert str(_user_specifier(args, constrained)) == "", (fix, args)
            assert read_user_requests(args, FILES.get).direct(constrained) is None, (fix, args)
    # 4. A requirement the fix adds or changes is within every version the user gave.
    values = {fix.args[i + 1] for i, word in enumerate(fix.args[:-1]) if takes_value(word)}
    for word in added:
        if word.startswith("-") or _is_direct(word) or word in values:
            continue
        try:
            requirement = Requirement(word)
        except InvalidRequirement:
            continue
        pinned = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        allowed = _user_specifier(args, requirement.name)
        if pinned and not nearest:
            assert allowed.contains(pinned[0], prereleases=True), (fix, args)
        # A marker the user wrote stays with the requirement.
        typed = [
            w for w in args if not w.startswith("-") and w.split(";")[0].strip().startswith(requirement.name)
        ]
        if typed and ";" in typed[0] and requirement.name in typed[0].split()[0]:
            assert requirement.marker is not None, (fix, args)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=actions, values=params, args=user_commands, data=st.data(), nearest=st.booleans())
def test_an_automatic_fix_keeps_sources_indexes_and_versions(
    action: str, values: dict[str, str], args: tuple[str, ...], data: st.DataObject, nearest: bool
) -> None:
    # The failing package is mostly one the command names (as in a real log), sometimes a dependency.
    named = [
        name for name in PROJECTS if any(name.replace("-", "_") in word or name in word for word in args)
    ]
    from_command = bool(named) and data.draw(st.booleans())
    package: str = data.draw(st.sampled_from(named) if from_command else names)
    # A rule gives every parameter its action requires (rules.py checks it when loading).
    assume(all(name in values for name in ACTIONS[action].required if name != "package"))
    fix = render_fix(action, values, _context(package, args, nearest))
    if fix is None or not fix.auto:
        return
    _check(fix, args, nearest)


@settings(max_examples=300, deadline=None)
@given(
    args=user_commands,
    package=names,
    requirement=st.one_of(names, st.builds(lambda n: f"{n}<2", names)),
    nearest=st.booleans(),
)
def test_an_automatic_build_constraint_keeps_the_users_versions(
    args: tuple[str, ...], package: str, requirement: str, nearest: bool
) -> None:
    fix = render_fix("constrain-build", {"requirement": requirement}, _context(package, args, nearest))
    if fix is None or not fix.auto:
        return
    _check(fix, args, nearest)


@settings(max_examples=200, deadline=None)
@given(
    args=user_commands,
    package=names,
    chosen=st.lists(
        st.sampled_from(["only-binary", "pin-to-wheel", "prefer-binary", "no-cache"]), min_size=1
    ),
    failed=st.sets(st.sampled_from(["only-binary", "pin-to-wheel", "prefer-binary", "no-cache"])),
)
def test_a_fix_the_history_says_failed_is_never_picked(
    args: tuple[str, ...], package: str, chosen: list[str], failed: set[str]
) -> None:
    context = _context(package, args, nearest=False)
    fixes = tuple(fix for action in chosen if (fix := render_fix(action, {}, context)) is not None)
    diagnosis = Diagnosis("rule", "missing-compiler", 0.9, package, "s", "", (Evidence(1, "x"),), fixes)
    first = Attempt(args, {}, None, RunOutcome(1, 0.1, (diagnosis,)))
    plan = next_fix([first], failed=lambda _diagnosis: tuple(failed))
    if plan is not None:
        assert plan.fix.id not in failed
        assert plan.fix.auto
