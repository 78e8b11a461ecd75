"""A "no matching distribution" diagnosis, made exact by asking the index (issue 14).

After pip found nothing to install for a project (`no-matching-distribution`, `python-version-unsupported`),
the target's own pip is asked once, with the user's source options and pip's configuration, for every file of
that project (`probe.detect_index_files`); `index.explain` says why none fits, and this module turns that into
the diagnosis: the reason, the index's facts (JSON `index` and `facts`), and fixes that stay inside what
`--fix` may do (a version the user pinned, another Python, `--pre`, another project or index: printed only).
A log from elsewhere is read without the index (`with_log_facts`), at lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from safe_pip.classify import Diagnosis, Evidence
from safe_pip.facts import WANTED_REQUIREMENT, index_query_options, missing_project
from safe_pip.fixes import Fix, FixContext, render_fix

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from safe_pip.index import Explanation

__all__ = ["ASKING_CATEGORIES", "with_index_facts", "with_log_facts"]

ASKING_CATEGORIES = ("no-matching-distribution", "python-version-unsupported")
_INDEX_CONFIDENCE = 0.95  # the index's own files, judged with the target's own tags
_PYPI = "https://pypi.org/simple"


def with_index_facts(
    diagnoses: Sequence[Diagnosis],
    *,
    python: str,
    context: FixContext,
    sources: Sequence[str],
    lines: Iterable[str] = (),
    reread: Callable[[Sequence[str], str], Sequence[Diagnosis]] | None = None,
) -> list[Diagnosis]:
    """`diagnoses`, the first replaced by what the index says when it is a release pip did not find (and the
    index could be asked and says something certain); unchanged otherwise. `lines`: the log's lines, read
    for the project's name when the diagnosis has none (pip's "Ignored the following versions" line).
    `reread`: the rules' diagnoses of some lines about a package, asked for the reason pip gave for an index
    page it could not read (a refused connection, a certificate), which its log does not show with
    `--retries 0`."""
    if not diagnoses or diagnoses[0].category not in ASKING_CATEGORIES:
        return list(diagnoses)
    if not diagnoses[0].package:
        named = missing_project(lines)
        if named is None:
            return list(diagnoses)
        diagnoses = [replace(diagnoses[0], package=named), *diagnoses[1:]]
    from safe_pip.index import explain, newest_with_wheel, pythons_with_wheel, versions_with_wheel
    from safe_pip.probe import detect_facts_and_index_files, detect_installed_pythons
    from safe_pip.projectnames import is_popular, similar_projects

    top = diagnoses[0]
    package = str(top.package)
    asking_with = index_query_options(sources, context.pip_args or ())
    # The interpreter's facts and the index's answer, from one run of the target (the query only when the
    # facts are known).
    facts, query = detect_facts_and_index_files(python, package, asking_with)
    if facts is None or query is None:
        return with_log_facts(diagnoses, context, lines)  # the index could not be asked: what the log says
    target = facts.wheel_target()
    version = ".".join(map(str, facts.version))
    requests = context.requests
    asked = requests is not None and bool(requests.of(package))
    requested = requests.specifier(package) if requests is not None and asked else _logged_specifier(top)
    installed = detect_installed_pythons()
    # (none asked when pip looked nowhere, --no-index without --find-links: _no_such_project drops them)
    nowhere = query.no_index and not query.find_links
    similar = () if query.files or nowhere or is_popular(package) else tuple(similar_projects(package))
    explanation = explain(
        query,
        target,
        python_version=version,
        requested=requested,
        installed_pythons=installed,
        similar=similar,
    )
    if explanation is None:
        unreadable = _index_unreadable(top, query.unreachable, reread) if not query.files else None
        if unreadable is not None:
            return [unreadable, *(d for d in diagnoses[1:] if d.category not in ASKING_CATEGORIES)]
        return with_log_facts(diagnoses, context, lines)
    if explanation.kind == "no-such-project" and top.category == "python-version-unsupported":
        # pip's own log saw the project's releases (their Requires-Python): an index that says it has no such
        # project is not the one pip read (another configuration, a stand-in pip); the log is the evidence.
        return with_log_facts(diagnoses, context, lines)
    asking = replace(
        context,
        package=package,
        wheel_version=lambda requirement: newest_with_wheel(query, target, version, requirement),
        # The nearest release to a pin, from the same answer: no second question to the index.
        wheel_versions=lambda _project: versions_with_wheel(query, target, version),
        python_for=lambda requirement, pythons: pythons_with_wheel(
            query, target, version, requirement, pythons
        ),
    )
    fixes = _fixes(explanation.kind, explanation, asking, installed, pin=asked or context.pip_args is None)
    summary = explanation.summary
    if explanation.kind == "no-such-project" and explanation.private_index and is_popular(package):
        fixes.append(render_fix("add-extra-index", {"url": _PYPI}, asking))
    diagnosis = replace(
        top,
        category=explanation.category,
        confidence=max(top.confidence, _INDEX_CONFIDENCE),
        summary=summary,
        hint=explanation.hint,
        fixes=tuple(fix for fix in fixes if fix is not None),
        index=explanation.to_json(),
        facts=dict(explanation.facts),
    )
    return [diagnosis, *(d for d in diagnoses[1:] if d.category not in ASKING_CATEGORIES)]


_WRAPPED_LIST_LINES = 60  # a list of a few hundred versions wrapped at a terminal's width, and no further
_NOT_FOUND = "Could not find a version that satisfies the requirement"
# what a wrapped line's next part may hold: the rest of pip's words, versions, commas, parentheses
_WRAP_REST = re.compile(r"[\w.!+,:()=<>~ \[\];-]*")
# a line of its own, not the rest of a wrapped one: the list was cut there
_NEW_LINE = re.compile(
    r"\s*(?:$|[A-Z]+:|No matching distribution|Could not find|Collecting|Requirement|[$>#])"
)


def _closes_list(text: str) -> bool:
    return ")" in text.partition("(from versions:")[2]


def _with_wrapped_lists(evidence: Sequence[Evidence], lines: Iterable[str]) -> list[str]:
    """The evidence lines' texts, each "Could not find a version ... (from versions: ...)" line a terminal
    wrapped before its list's ")" joined with the log's next lines up to the one that closes it (without the
    line breaks: a terminal's wrap falls anywhere, inside a version or pip's words). A list cut before its end
    (the next line is one of its own, or none closes it within _WRAPPED_LIST_LINES lines) stays as it is: its
    last version is not the list's end."""
    texts = [item.text for item in evidence]
    unclosed = {
        item.line: index
        for index, item in enumerate(evidence)
        if _NOT_FOUND in item.text and not _closes_list(item.text)
    }
    if not unclosed:
        return texts
    first, last = min(unclosed), max(unclosed) + _WRAPPED_LIST_LINES
    joined = {start: texts[index] for start, index in unclosed.items()}
    done: dict[int, bool] = {}
    for number, line in enumerate(lines, 1):
        if number > last or len(done) == len(unclosed):
            break
        if number <= first:
            continue
        rest = line.strip()
        wrapped = _NEW_LINE.match(rest) is None and _WRAP_REST.fullmatch(rest) is not None
        for start in unclosed:
            if start < number <= start + _WRAPPED_LIST_LINES and start not in done:
                if not wrapped:
                    done[start] = False
                    continue
                # (the evidence's text may have lost the space a wrap fell after)
                joined[start] += " " + rest if joined[start].endswith((":", ",")) else line.rstrip("\r\n")
                if _closes_list(joined[start]):
                    done[start] = True
    for start, index in unclosed.items():
        if done.get(start):
            texts[index] = joined[start]
    return texts


def _index_unreadable(
    top: Diagnosis, reasons: Sequence[str], reread: Callable[[Sequence[str], str], Sequence[Diagnosis]] | None
) -> Diagnosis | None:
    """When pip could not read the project's page on the index (its log, with --retries 0 or a quiet run, says
    only "from versions: none"): the network or TLS diagnosis of the reason pip gave the query, with the log's
    own line as its evidence; None when there is no such reason or no rule names it."""
    if not reasons or reread is None or not top.package:
        return None
    found = next(
        (
            diagnosis
            # (pip's own "Collecting X" first: the rules take the package from it, as in a log)
            for diagnosis in reread(
                [
                    f"Collecting {top.package}",
                    *(f"WARNING: Could not fetch URL {reason}" for reason in reasons[:3]),
                ],
                top.package,
            )
            if diagnosis.category in ("network-error", "ssl-error")
        ),
        None,
    )
    if found is None:
        return None
    page = reasons[0].partition(": ")[0]
    return replace(
        found,
        package=top.package,
        summary=(
            f"{found.summary} pip's own log said only that no release of {top.package} fits: asked again, "
            f"the index page {page} could not be read."
        ),
        confidence=min(found.confidence, _INDEX_CONFIDENCE),
        evidence=top.evidence,
    )


def _fixes(
    kind: str, explanation: Explanation, context: FixContext, installed: dict[str, str], *, pin: bool
) -> list[Fix | None]:
    fixes: list[Fix | None] = []
    # (Not for a yanked release: a pin is how pip would take the yanked one; the hint names one that is not.)
    if kind in ("python-version", "only-binary", "no-such-version") and pin:
        # The newest release with a wheel here within the user's versions (applied), else the nearest one
        # to their pin (printed, or applied with --fix-versions nearest).
        # numpy==1.99.0: the index has no such release (the title says so, not "no wheel for this Python")
        unreleased = {"unreleased": "yes"} if kind == "no-such-version" else {}
        fixes.append(render_fix("pin-to-wheel", unreleased, context))
    if kind == "python-version" and explanation.python_versions:
        here = [python for python in explanation.python_versions if python in installed]
        python = here[0] if here else explanation.python_versions[0]
        params = {"version": python, "interpreter": installed.get(python, "")}
        where = f" (installed here: {installed[python]})" if here else ""
        title = (
            f"Use Python {python}{where}, which {context.package} {_requested_version(explanation.requested)}"
        )
        fixes.append(render_fix("use-python", params, context, title=f"{title}supports"))
    if kind == "pip-too-old":
        fixes.append(render_fix("upgrade-pip", {}, context))
    if kind == "pre-release":
        fixes.append(render_fix("allow-prereleases", {}, context))
    if kind == "no-such-project":
        for project in explanation.suggestions[:2]:
            fixes.append(render_fix("use-project", {"project": project}, context))
    return fixes


def _requested_version(specifier: str) -> str:
    pinned = re.fullmatch(r"===?([\w.!+-]+)", specifier)
    return f"{pinned.group(1)} " if pinned else ""


def _logged_specifier(diagnosis: Diagnosis) -> str:
    """The version specifier pip printed for the package (`==2.0.1`), empty when it printed none."""
    for item in diagnosis.evidence:
        match = WANTED_REQUIREMENT.search(item.text)
        if match and match.group("spec") and (diagnosis.package or "").lower() == match.group("name").lower():
            return match.group("spec")
    return ""


# pip 22.1 on, before "Could not find a version": ERROR: Ignored the following versions that require a
# different python version: 1.22.0 Requires-Python >=3.8; 1.22.1 Requires-Python >=3.8
_IGNORED_FOR_PYTHON = "Ignored the following versions that require a different python version:"
_IGNORED_VERSION = re.compile(r"(?:: |; )(?P<version>[\w.!+]+) Requires-Python\b")


def _skipped_for_python(lines: Iterable[str]) -> frozenset[str] | None:
    """The releases pip's "Ignored the following versions" lines name; None when the log has no such line."""
    found: set[str] | None = None
    for line in lines:
        if _IGNORED_FOR_PYTHON in line:
            found = found if found is not None else set()
            found.update(match.group("version") for match in _IGNORED_VERSION.finditer(line))
    return frozenset(found) if found is not None else None


def _indexes_looked_in(lines: Iterable[str]) -> tuple[str, ...]:
    """The index URLs of pip's first "Looking in indexes: URL, URL" line (none: the log shows none)."""
    for line in lines:
        if "Looking in indexes: " in line:
            urls = line.split("Looking in indexes: ", 1)[1]
            return tuple(url.strip() for url in urls.split(",") if url.strip())
    return ()


# The user's format control, as the log shows the pip command (or a tool's list of its arguments) or pip's
# environment: "pip install --no-binary=:all: nodeenv==1.3.5", "pip download --only-binary :all: ...",
# "Command '['python', '-m', 'pip', 'download', '--no-binary', ':all:', 'twmap']' returned ...",
# "ENV PIP_ONLY_BINARY=:all:". (pip's own build-dependency install passes "--no-binary :none:": no value.)
_FORMAT_OPTION = re.compile(
    r"(?:--(?P<option>only|no)-binary|PIP_(?P<env>ONLY|NO)_BINARY)(?:=|\s+|', ')['\"]?"
    r"(?P<value>:all:|[A-Za-z0-9][\w.-]*(?:,[A-Za-z0-9][\w.-]*)*)"
)


_TARGET_OPTION = re.compile(r"--(?:platform|python-version|abi|implementation)\b")


def _format_control(lines: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(--only-binary values, --no-binary values) the log's own lines give pip."""
    only: list[str] = []
    never: list[str] = []
    for line in lines:
        if "binary" not in line.lower():
            continue
        # pip download for another target (--platform, --python-version, --abi, --implementation) demands
        # --only-binary=:all:: there the target, not the option, is why nothing fit
        targeted = _TARGET_OPTION.search(line) is not None
        for match in _FORMAT_OPTION.finditer(line):
            kind = (match.group("option") or match.group("env")).lower()
            values = [":all:"] if match.group("value") == ":all:" else match.group("value").split(",")
            if kind == "only" and targeted:
                continue
            (only if kind == "only" else never).extend(values)
    return tuple(only), tuple(never)


def with_log_facts(
    diagnoses: Sequence[Diagnosis], context: FixContext | None = None, lines: Iterable[str] = ()
) -> list[Diagnosis]:
    """For a log from elsewhere (no index to ask): what pip's own "from versions:" line says beyond "no
    match", at lower confidence (a pin older than every listed release: likely the Python version; no
    release at all of a name that looks like another project's: a typo or an import name; for a project
    release-tables.toml lists, what its list means with the Python and platform the log's `lines` name)."""
    if not diagnoses or diagnoses[0].category not in ASKING_CATEGORIES or not diagnoses[0].package:
        return list(diagnoses)
    from safe_pip.index import explain_log
    from safe_pip.logpython import log_python
    from safe_pip.projectnames import is_popular, similar_projects

    top = diagnoses[0]
    texts = [item.text for item in top.evidence]
    if any("none of the wheel's tags" in text for text in texts):
        # pip -vv named the wheels it skipped for their tags: the release exists for other platforms (rule
        # wheels-only-for-other-platforms), no guess about the Python version from the versions it listed.
        return list(diagnoses)
    texts = _with_wrapped_lists(top.evidence, lines)
    # (pips before 10 print an empty list: "(from versions: )")
    none_listed = any("(from versions: none)" in text or "(from versions: )" in text for text in texts)
    package = str(top.package)
    similar = similar_projects(package) if none_listed and not is_popular(package) else []
    found = explain_log(
        texts,
        similar,
        log_python(lines),
        _skipped_for_python(lines),
        indexes=_indexes_looked_in(lines),
        formats=_format_control(lines),
    )
    if found is None:
        return list(diagnoses)
    evidence = top.evidence
    if found.evidence:
        # the lines that name the Python or the platform, beside pip's own
        seen = {item.line for item in evidence}
        extra = (Evidence(number, text) for number, text in found.evidence if number not in seen)
        evidence = tuple(sorted((*evidence, *extra), key=lambda item: item.line))
    fixes = list(top.fixes)
    if found.kind in ("platform", "python-version"):
        # the Python or the platform (the log names it, or pip's list ends at the table's last release for it)
        # is why: pip read the index, and no other kind of file would fit
        fixes = [fix for fix in fixes if fix.id not in ("prefer-binary", "check-network")]
    elif found.kind in (
        "conda-only",
        "import-name",
        "python-own-name",
        "torch-build",
        "only-binary",
        "no-binary",
    ):
        # a version only conda's channels have, another project's (the index listed a placeholder's
        # releases), Python's own name, or a CUDA build PyTorch never made of that release: no other kind
        # of file, no retry, would bring it
        fixes = [fix for fix in fixes if fix.id not in ("prefer-binary", "check-network")]
    elif found.kind == "no-wheel":
        # a project with no source archive: preferring wheels changes nothing
        fixes = [fix for fix in fixes if fix.id != "prefer-binary"]
    summary, hint = found.summary, found.hint
    if top.rule == "build-dependency-unavailable" and found.kind == "python-version":
        # a build tool the package's build-system.requires names (setuptools>=74.1.0) that this Python is too
        # old for: the build environment installs its own copy, so the tool's old release beside the package
        # changes nothing; an older release of the package (an older floor) or a newer Python does
        summary = f"Building {package}: {summary}"
        hint = (
            f"Use a newer Python, or install an older release of {package} whose build asks for a release "
            f"this Python has (pip builds {package} in an environment of its own, so installing the older "
            "build tool beside it does not help)."
        )
    if found.suggestions:
        fixing = replace(context or FixContext(), package=package)
        fixes = [
            fix
            for fix in (
                render_fix("use-project", {"project": project}, fixing) for project in found.suggestions[:2]
            )
            if fix is not None
        ] + fixes
    diagnosis = replace(
        top,
        category=found.category,
        confidence=found.confidence,
        summary=summary,
        hint=hint,
        fixes=tuple(fixes),
        evidence=evidence,
    )
    return [diagnosis, *(d for d in diagnoses[1:] if d.category not in ASKING_CATEGORIES)]
