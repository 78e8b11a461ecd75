"""Rules x lines x facts -> ranked diagnoses. Pure: fed bytes, returns values.

Lines reach the rules only through their keywords (see `_scan.TermScanner`), so the cost of a log is its
scan plus Python work on the few lines that can matter. Memory is bounded whatever the log's size: per rule
only the first and last few hits are kept.

A line the scan brings is gated twice before any regular expression: first as it is (a printable ASCII line
normalises to a part of itself, so a literal it lacks its text lacks too): no rule's gate (the literals its
patterns need) and no structure word in it, and it is dropped before it is decoded and normalised (the
"-Werror" flags and "connection.c" files that hold a broad word); then each rule's gate in the normalised
text. With the optional accelerator (see `_scan`), one automaton call per line finds its keywords, the gates'
literals and the patterns' literals at once, and each rule and pattern costs a set intersection; a multi-line
rule's window is normalised only when the lines it read hold one of its patterns' literals.

Ranking puts the root cause first: higher `priority` (specific rules) before lower (generic ones), then higher
confidence, then the earlier evidence. One diagnosis per category. Then what was printed on the way yields to
what ended the step: a `warning` rule's diagnosis ranks after any diagnosis whose evidence comes later (the
fallback's too), and a diagnosis of a category another diagnosis `explains` ranks after it when its evidence
comes later (the download that failed because a missing tool was being fetched). Fallback rules (pip's
generic "Failed building wheel", "No matching distribution") are reported only when no other rule explains
the log (or when only warnings do); a `build-failed` diagnosis cites the build's own most relevant error lines
as evidence. An install-time diagnosis is dropped when pip went on to succeed (a retry, a legacy fallback
build).

A rule whose patterns continue on following lines (`join`) sees, at each line holding one of its keywords, a
window of that line and the next `join` lines: read from the block in hand, or, at a block's end or when lines
are fed one by one, completed by the lines that come next. Only those rules, only at their keyword lines, pay
for it; every other line costs what it did.
"""

from __future__ import annotations

import re
from array import array
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter

from safe_pip._scan import TermScanner, _accelerator, leftmost_finder, literal_finder
from safe_pip.facts import canonical_name
from safe_pip.fixes import Fix, FixContext, render_fix, requested_other_than
from safe_pip.logplatform import LogPlatform, log_platform
from safe_pip.logtext import (
    MAX_LINE_CHARS,
    normalise_line,
    normalise_with_indent,
    plain_block,
    read_blocks,
    unwrap_blocks,
)
from safe_pip.requested import archive_project
from safe_pip.rules import (
    _NEVER,
    USER_LINE_CHARS,
    CompiledPatterns,
    Matcher,
    Rule,
    RuleSet,
    _is_multiline,
    literal_clauses,
)
from safe_pip.template import fill_template

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from safe_pip.wheeltags import InterpreterTags

__all__ = [
    "Classifier",
    "Diagnosis",
    "Evidence",
    "RuleFacts",
    "classify_stream",
    "load_tables_state",
    "rank",
    "tables_state",
]

_KEEP_HITS = 4  # first and last hits kept per pattern
_EVIDENCE_LINES = 4
FALLBACK_CATEGORY = "build-failed"


@dataclass(frozen=True)
class RuleFacts:
    """What rule conditions ([when]) and derived template values may ask about the target and its machine;
    None means unknown (the condition is then ignored)."""

    platform: str | None = None  # "linux", "darwin", "win32"
    tools_on_path: Mapping[str, bool] | None = None  # tool -> found on PATH (only the probed ones)
    headers: Mapping[str, bool] | None = None  # header file -> found in the include path
    package_manager: str | None = None
    interpreter: InterpreterTags | None = None  # the target interpreter's tags, to explain wheel misfits
    pip_version: tuple[int, ...] | None = None  # the target's pip


@dataclass(frozen=True)
class Evidence:
    line: int
    text: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "text": self.text}


@dataclass(frozen=True)
class Diagnosis:
    rule: str
    category: str
    confidence: float
    package: str | None
    summary: str
    hint: str
    evidence: tuple[Evidence, ...]
    fixes: tuple[Fix, ...] = ()
    title: str = ""
    priority: int = 50
    references: tuple[str, ...] = ()
    fallback: bool = False
    warning: bool = False  # a warning printed on the way: what comes after it ranks first
    explains: tuple[str, ...] = ()  # categories whose later diagnoses this one causes
    # What the index said (releases considered, the reason per release, the newest usable one) and the
    # machine facts the diagnosis used, when it asked them (see `index`); None otherwise.
    index: Mapping[str, object] | None = field(default=None, compare=False)
    facts: Mapping[str, object] | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "category": self.category,
            "confidence": round(self.confidence, 2),
            "package": self.package,
            "summary": self.summary,
            "hint": self.hint,
            "evidence": [item.to_json() for item in self.evidence],
            "fixes": [fix.to_json() for fix in self.fixes],
            **({"index": dict(self.index)} if self.index is not None else {}),
            **({"facts": dict(self.facts)} if self.facts is not None else {}),
        }


# pip's own lines that say which package is being worked on (the failing package is the one in effect at
# the evidence line):
#   "Collecting psutil==5.9.8", "Collecting psutil>=5 (from -r requirements.txt (line 2))",
#   "Processing ./dist/fastmath-1.0.tar.gz", "  Building wheel for psutil (pyproject.toml): started",
#   "Running setup.py install for psutil ... error",
#   "Running setup.py bdist_wheel for psutil ... error" (pip 9),
#   "cwd: /tmp/pip-install-3k2j1h0g/psutil_5f8a.../", "in /tmp/pip-build-8h3k2j/psutil/" (pip 9),
#   "  - Installing psutil (5.9.8): Failed", "  - Updating psutil (5.9.0 -> 5.9.8)" (Poetry's operations)
_PACKAGE_LINES = (
    re.compile(r"^Collecting (?P<name>[^\s;<>=!~\[(]+)"),
    re.compile(r"^- (?:Installing|Updating|Downgrading) (?P<name>[A-Za-z0-9][\w.-]*) \("),
    re.compile(r"^Processing (?P<name>\S+)"),
    re.compile(r"^Building wheel for (?P<name>\S+) \("),
    # pip 1.4-1.5: "Running setup.py egg_info for package numpy", "Running setup.py (path:/tmp/pip_build_x/
    # numpy/setup.py) egg_info for package numpy", after "Downloading/unpacking numpy==1.12.0 (from -r ...)"
    re.compile(
        r"^Running setup\.py (?:\(path:[^)]*\) )?(?:install|bdist_wheel|develop|egg_info) for "
        r"(?:package )?(?P<name>[^\s:]+)"
    ),
    re.compile(r"^Downloading/unpacking (?P<name>[^\s;<>=!~\[(]+)"),
    # The archive pip fetches for the requirement it collects, by file name (pip 20+) or URL (pip 9-19):
    # "  Downloading orjson-3.8.9.tar.gz (657 kB)", "  Using cached https://host/.../psutil-5.9.8.tar.gz";
    # the package of a paste that starts below its "Collecting" line (only an archive's name counts: not
    # uv's "Downloading torch (800.0MiB)" nor pip -v's "Downloading from URL ...").
    re.compile(r"^(?:Downloading|Using cached) (?P<archive>\S+)"),
    # Only pip's per-package build folders name the package in their next part:
    # "pip-install-x/psutil_<32 hex>/" (pip >= 20.3), "pip-install-x/psutil/" (pip 10-20.2),
    # "pip-build-x/psutil/" (pip 9). Not the folders that are the source itself or something else:
    # "pip-req-build-x/build/lib.linux-x86_64-cpython-312/..." (a local folder or VCS URL: its parts are the
    # project's own, "build", "src"), "pip-build-env-x/overlay/" (the isolated build environment),
    # "pip-build-tracker-x/", "pip-wheel-x/" (built wheels), "pip-ephem-wheel-cache-x/wheels/",
    # "pip-modern-metadata-x/", "pip-unpack-x/".
    re.compile(
        r"(?<![\w-])pip-(?:install|build(?!-env-|-tracker-))-[^/\\\s]+[/\\](?P<name>[A-Za-z0-9][\w.-]*?)"
        r"(?:_[0-9a-f]{32})?[/\\]"
    ),
)
# pip's clone of a VCS requirement into the package's build folder (read by _structure_of for its source).
_CLONING = re.compile(
    r"^Cloning (?P<url>[a-z][\w+.-]*://\S+)(?: \(to revision [^)]*\))? to \S*?[/\\]pip-(?:install|build)-"
    r"[^/\\\s]+[/\\](?![\w.-]*_[0-9a-f]{4,31}[/\\]?$)(?P<name>[A-Za-z0-9][\w.-]*?)(?:_[0-9a-f]{32})?[/\\]?$"
)
_PACKAGE_LINE_STARTS = (
    "Collecting ",
    "Processing ",
    "Building wheel for ",
    "Running setup.py ",
    "Downloading/unpacking ",
    "- Installing ",
    "- Updating ",
    "- Downgrading ",
    "Downloading ",
    "Using cached ",
)
# "Failed building wheel for psutil", "Failed to build psutil numpy", "Could not build wheels for psutil,",
# "Failed to build 'x' when getting requirements to build wheel" (pip 25.1+),
# "Failed to build installable wheels for some pyproject.toml based projects (psutil)" (pip 24.1-25.1),
# "Failed to build `psutil==5.9.0`" (uv's report: the name and its version in backquotes);
# "Failed to download and build `psutil==5.9.0`", "Failed to download and build: psutil==5.9.0" and
# "Failed to build: psutil==5.9.0" (older uv);
# not maturin's own sentence "Caused by: Failed to build a native library through cargo"
_FAILED_BUILD = re.compile(
    r"(?:Failed to build installable wheels for some pyproject\.toml based projects \((?P<listed>[^)]+)\)"
    r"|(?:Failed building wheel for|Failed to (?:download and )?build:?|Could not build wheels for)"
    r" (?!(?:a|an|the) )"
    r"['`]?(?P<names>[^,'`=@]+?)(?:(?:==|@)[^,'`]*)?['`]?(?:,| when |$))"
)
# The end of a successful run: "Successfully installed psutil-5.9.8", "Successfully built psutil" (pip wheel),
# "Successfully downloaded psutil" (old pip download), "Saved ./psutil-5.9.8.tar.gz" (pip download); and a
# package's own word that its failed C extension does not fail its build, which it then retries without it
# (markupsafe, simplejson): "WARNING: The C extension could not be compiled, speedups are not enabled.";
# (pyrsistent) "WARNING: Could not build the pvectorc extension module." ("Pyrsistent will still work ...")
# (a stderr-only capture of `pip install -v` has the build's errors and this, but not pip's "Successfully").
_SUCCESS = re.compile(
    r"^(?:Successfully (?:installed|built|downloaded) |Saved \S"
    r"|WARNING: The C extension could not be compiled, speedups are not enabled\.$"
    r"|WARNING: Could not build the \w+ extension module\.$)"
)
_SUCCESS_STARTS = ("Successfully ", "Saved ", "WARNING: The C extension ", "WARNING: Could not build the ")
# A pip-level error: a later one means the run did not succeed after all. (pip 9-19 print their last line
# without "ERROR: ": 'Command "python setup.py egg_info" failed with error code 1 in /tmp/pip-build-x/',
# "No matching distribution found for x".)
_PIP_ERROR = re.compile(
    r"^(?:ERROR: |error: [a-z]+(?:-[a-z]+)+$|Command \".+\" failed with error code -?\d+ in "
    r"|No matching distribution found for )"
)
# pip's error lines that END a run: after one, a "Successfully installed" is another run's (a paste of a
# failed install, then of another command that worked), which does not undo the failure. Not "error:
# subprocess-exited-with-error" nor "Failed building wheel for x": pip 20-23 then go on to `setup.py install`.
_RUN_FAILED = re.compile(
    r"^(?:ERROR: (?:Could not build wheels for |Failed to build installable wheels |No matching distribution "
    r"found for |ResolutionImpossible|Cannot install .+ because these package versions have conflicting "
    r"dependencies|Could not install packages due to an |Command errored out with exit status -?\d+: .*Check "
    r"the logs for full command output|Exception:$)"
    r"|error: (?!subprocess-exited-with-error$)[a-z]+(?:-[a-z]+)+$"
    r"|Command \".+\" failed with error code -?\d+ in |No matching distribution found for )"
)
# Lines that are errors of the build itself, for the fallback's evidence:
#   "src/x.c:12:5: error: 'foo' undeclared", "fatal error: foo.h: No such file", "RuntimeError: ...",
#   "error: command '/usr/bin/gcc' failed with exit code 1"
_BUILD_ERROR = re.compile(r"(?i)\b(?:error|fatal)\b|^\w*(?:Error|Exception): ")
# The same in an ASCII line, asked of its lower case one word at a time (a search with a literal at its
# start is CPython's fast search; the expression above tries both words at every position: 1-2.5 us a line).
_BUILD_ERROR_WORDS = (
    re.compile(r"error(?<![a-z0-9_]error)(?![a-z0-9_])"),
    re.compile(r"fatal(?<![a-z0-9_]fatal)(?![a-z0-9_])"),
)
_BUILD_ERROR_START = re.compile(r"(?i)\w*(?:Error|Exception): ")
# Error lines that are not evidence: pip's boilerplate, the build's own summaries, -Werror flags, warnings.
# What is asked at the line's start, and the phrases looked for anywhere (in an ASCII line: `in` its lower
# case; one expression trying all of them at every position cost 2-4 us on each compiler error line).
_NOT_EVIDENCE_AT_START = re.compile(
    r"(?i)(?:note|hint): |\[end of output\]|error: [a-z]+(?:-[a-z]+)+$|"
    r"ERROR: (?:Failed building wheel|Could not build wheels|Failed to build)|"
    r"Failed to build |ERROR: Command errored out|(?:-Werror|\S*-Werror)|"
    r"Running setup\.py install for .*error$|Command \".*\" failed with error code"
)
_NOT_EVIDENCE_ANYWHERE = (
    "subprocess-exited-with-error",
    "did not run successfully",
    "warning:",
    "see above for output",
    "finished with status 'error'",
)
# The whole, for a line that is not ASCII (tests/test_classify_fastpaths.py checks the parts against it).
_NOT_EVIDENCE = re.compile(
    r"(?i)^(?:note|hint): |subprocess-exited-with-error|^\[end of output\]|did not run successfully|"
    r"^error: [a-z]+(?:-[a-z]+)+$|^ERROR: (?:Failed building wheel|Could not build wheels|Failed to build)|"
    r"^Failed to build |^ERROR: Command errored out|^(?:-Werror|\S*-Werror)|warning:|See above for output|"
    r"finished with status 'error'|^Running setup\.py install for .*error$|"
    r"^Command \".*\" failed with error code"
)
# How telling an error line is, for the fallback's evidence: a compiler diagnostic or an exception says what
# went wrong; "error: command 'gcc' failed with exit code 1" only says that something did.
#   "src/x.c:3:1: error: expected ';'", "fatal error: foo.h: No such file", "RuntimeError: need FOO_ROOT"
_TELLING_ERROR = re.compile(
    r"^\S+?:\d+(?::\d+)?: (?:fatal )?error|^(?:\w+\.)*\w*(?:Error|Exception): |fatal error"
)
_CONSEQUENCE_ERROR = re.compile(
    r"(?i)^error: command .* (?:failed|returned non-zero exit status)|exit status \d+$"
)
# A comment the user typed at a shell prompt is not output of anything: a paste that notes an earlier error
# after the command that now works, or before the next one. No rule reads its hit there.
#   PS C:\Users\jj> # earlier: RuntimeError: Cannot install on Python version 3.13.0; only versions >=3.9
#   (venv) lena@box:~/proj$ # was: fatal error: longintrepr.h: No such file or directory
#   C:\work>REM the cargo error is gone          $ # ...      % # ...      >>> # ...
_TYPED_COMMENT = re.compile(
    r"^\s*(?:PS [^>\n]*>|[A-Za-z]:\\[^>\n]*>|>>>"
    r"|(?:\([^)\n]*\) ?)?(?:[\w.-]+@[\w.-]+(?::[^\s$#%]*)? ?[$#%]|[$%]))"
    r" *(?:# |REM )"
)
# The block scan looks for these broad words first; a rule keyword that contains one of them is checked
# only on the lines where the word was found. Each word scanned costs a pass over the log, so this list is
# short, and the built-in rules choose keywords that contain one of these words. A keyword that contains
# none (a user's rule, say) is scanned for itself.
SCAN_WORDS = (
    "error",
    "errno",
    "fail",
    "not found",
    "no such file",
    "cannot",
    "could not",
    "unable",
    "kill",
    "denied",
    "timed out",
    "success",
    "building wheel",
    "exit ",
    "invalid",
    "hash",
    "memory",
    "require",
    "connect",
    "supported",
    "resolution",
    "not installed",
    'file "',
    "exception",
)


# The rules a set of scan terms brings: those whatever the line, and (keyword, rules) to look for.
# The keywords under a term are looked for at the term's places in the line (see Classifier._candidates): by
# the (up to) 2 bytes after the term in the keyword, each keyword with where the term starts in it.
_Buckets = dict[bytes, list[tuple[int, bytes, frozenset[int]]]]
_Plan = tuple[frozenset[int], tuple[tuple[bytes, _Buckets], ...]]
# Which of a rule's patterns to search in a line: positions in its none, any, all and context patterns.
_Positions = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]
# What a clean line's literals allow (see Classifier._line_plan): whether the line is read at all, and the
# rules to try on it, each with its gate (checked in the line's text) and the patterns worth a search.
_LinePlan = tuple[bool, tuple["_Step", ...]]
# A match's captures as their places in the line's text (name, start, end): the same places give the
# captures of any line whose text differs from it only in its digits (see Classifier._masked_entry).
_Spans = tuple[tuple[str, int, int], ...]
# What the searches of a line found (see Classifier._search_results), as what recording it at a place does:
# the rules whose windows open there, the rules vetoed, the any hits (recorded with the package pip is on)
# and the all and context hits, each with the captures' places.
_Results = tuple[
    tuple[int, ...],
    "tuple[_RuleState, ...]",
    "tuple[tuple[_Hits, _Spans], ...]",
    "tuple[tuple[_Hits, _Spans], ...]",
]
# A pattern's literal clauses (rules.literal_clauses) as the finder's literal indexes: for each alternative,
# its clauses, each the indexes of the literals one of which a match holds.
_ClauseIds = tuple[tuple[frozenset[int], ...], ...]
# A distinct line's results (see Classifier._memo_entry): its text, indent, structure and rules' results;
# or False (a line dropped), True (a line read each time).
# What a line tells of pip's progress (see _structure_of): a package line at pip's indent, its package's
# name and local path, the packages it says failed to build, success and the distributions it names, pip's
# error line, a build error.
_Structure = tuple[bool, "str | None", "str | None", "tuple[str, ...]", bool, int, bool, bool]
_LineResult = tuple[str, int, "_Structure | None", _Results]
# What a line with its digits masked gives (see Classifier._masked_entry): the literal indexes its finder
# call found that hold no digit, the literals holding a digit the line may hold (their index and bytes:
# looked for in each line of that mask), the literals found in the line the entry was made from, and what
# such a line gives: False (dropped), None (read as it is, _consume), or where its text lies in the line,
# its indent, its structure (True: the line names a package, asked again of each line) and its results.
_MaskedLine = tuple[int, int, "_Structure | bool | None", _Results]
_MaskedEntry = tuple[
    frozenset[int], tuple[tuple[int, bytes], ...], frozenset[int], "_MaskedLine | bool | None"
]
if TYPE_CHECKING:
    from typing import Union

    _MemoEntry = Union[_LineResult, bool]


# The Classifier's attributes that depend on its rules' keywords and patterns alone (see Classifier.__init__),
# kept by those (_table_key) and whether the accelerator runs, for at most _MAX_TABLES sets of rules.
_TABLE_NAMES = (
    "_keyword_rules",
    "scan_terms",
    "_term_keywords",
    "_alone",
    "_gate_ids",
    "_pattern_ids",
    "_structure_ids",
    "_keyword_ids",
    "_newline_rules",
    "_clause_ids",
    "_term_ids",
    "_finder",
    "_gates",
    "_gates_text",
    "_every_pattern",
    "_shared_patterns",
    "_window_rules",
    "_window_literals",
    "_window_bytes",
    "_window_finder",
    "_digit_ids",
    "_digit_finder",
    "_digit_literals",
    "_literals",
)
_TABLES: dict[tuple[bool, tuple[object, ...]], dict[str, object]] = {}
_MAX_TABLES = 8


# The tables that hold the accelerator's objects (not plain data), and what each is made again from.
_FINDER_TABLES = ("_finder", "_digit_finder", "_window_finder")


def _window_finder(
    window_bytes: Sequence[Sequence[bytes]], accelerated: bool
) -> tuple[Any, dict[bytes, int], tuple[bytes, ...]] | None:
    """With the accelerator, which window literals a block holds is found in one pass of a search of them
    all (see _BlockIndex), not one `in` per literal and rule (all absent from most blocks: a pass each):
    that search, each literal's index in it and the literals; None without it."""
    window_ids: dict[bytes, int] = {}
    for literals in window_bytes:
        for literal in literals:
            window_ids.setdefault(literal, len(window_ids))
    finder = leftmost_finder(list(window_ids)) if accelerated and window_ids else None
    return None if finder is None else (finder, window_ids, tuple(window_ids))


def _digit_finder(digit_literals: Sequence[Sequence[tuple[int, bytes]]]) -> Any:
    """A finder of the literals holding a digit with their digits masked, in _digit_literals' order (each
    entry the literals one masked literal stands for), or None when there are none (see _literal_plan)."""
    masked = [pairs[0][1].translate(_DIGIT_MASK) for pairs in digit_literals]
    return literal_finder(masked) if masked else None


def tables_state() -> tuple[list[tuple[Any, dict[str, object]]], list[tuple[Any, tuple[object, ...]]]]:
    """The classifier's and its scanner's tables made in this process (classify._TABLES, _scan._TABLES),
    with the optional accelerator's objects left out (None; a scanner's automaton slot empty): what is
    left is plain data, and a scanner's compiled expression, for a cache on disk (_tablecache) to keep.
    `load_tables_state` puts it back and makes the accelerator's objects again from the plain tables (a few
    milliseconds: the rest, ~20 ms of working out, is read)."""
    from safe_pip import _scan

    tables = [
        (key, {name: None if name in _FINDER_TABLES else value for name, value in values.items()})
        for key, values in _TABLES.items()
    ]
    slot = _scan._TABLE_SLOTS.index("_dfa")
    scans = [
        (key, tuple([None] if index == slot else value for index, value in enumerate(values)))
        for key, values in _scan._TABLES.items()
    ]
    return tables, scans


def load_tables_state(
    state: tuple[Sequence[tuple[Any, Mapping[str, object]]], Sequence[tuple[Any, Sequence[object]]]],
) -> None:
    """Put the tables of `tables_state` into this process's caches (without replacing any), the
    accelerator's objects made again where the tables were made with it and it runs here (tables made
    for the other case are left out: their key says which)."""
    from safe_pip import _scan

    tables, scans = state
    accelerated = _accelerator(None) is not None
    for key, values in tables:
        if key in _TABLES or key[0] != accelerated:
            continue
        kept = dict(values)
        if accelerated:
            literals = kept["_literals"]
            kept["_finder"] = literal_finder(list(literals)) if literals else None  # type: ignore[call-overload]
            kept["_digit_finder"] = (
                _digit_finder(kept["_digit_literals"]) if kept["_finder"] is not None else None  # type: ignore[arg-type]
            )
            kept["_window_finder"] = _window_finder(kept["_window_bytes"], True)  # type: ignore[arg-type]
        if len(_TABLES) >= _MAX_TABLES:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = kept
    slot = _scan._TABLE_SLOTS.index("_dfa")
    for scan_key, scan_values in scans:
        if scan_key in _scan._TABLES or scan_key[2] != (accelerated and bool(scan_key[0])):
            continue
        if len(_scan._TABLES) >= _scan._MAX_TABLES:
            _scan._TABLES.pop(next(iter(_scan._TABLES)))
        _scan._TABLES[scan_key] = tuple(
            [None] if index == slot else value for index, value in enumerate(scan_values)
        )


def _table_key(rule: Rule) -> tuple[object, ...]:
    """What of a rule the Classifier's tables are made of (see _TABLE_NAMES): its keywords, its patterns and
    their literals, its window of lines, whether it is built in."""
    return (
        rule.keywords,
        rule.none,
        rule.any,
        rule.all,
        rule.context,
        rule.join,
        rule.builtin,
        tuple(rule.literals.items()),
    )


# The words of _may_be_structure, for the accelerator's literal finder (looked for lower-cased).
_STRUCTURE_WORDS = (
    "pip-",
    "ailed",
    "Collecting ",
    "Processing ",
    "Building wheel for ",
    "Running setup.py ",
    "Could not build",
    "Successfully ",
    "Saved ",
    "speedups are not enabled",
    "- Installing ",
    "- Updating ",
    "- Downgrading ",
    "Downloading/unpacking ",
    "Downloading ",
    "Using cached ",
)


def _is_clean(raw: bytes) -> bool:
    """Printable ASCII (tabs allowed): normalising such a line only cuts it (see `_consume`). Asked as what
    is left once those bytes are deleted (one C pass that allocates nothing for such a line: a third of
    decoding it and asking `isprintable`, 0.24 us for a 465-byte gcc command)."""
    return not raw.translate(None, _CLEAN_BYTES)


def _holds_error_line(raw: bytes, lowered: bytes) -> bool:
    """False when the text of a clean line (`raw`, at most MAX_LINE_CHARS long; `lowered` its lower case)
    is certainly no build error or pip error line (_BUILD_ERROR, _PIP_ERROR). When the line is normalised
    by stripping its spaces alone (no tab, CI prefix, progress bar or box glyph: see
    logtext.normalise_with_indent), its text's word boundaries are the raw line's, so "-Werror=format" is
    no error line; otherwise only an error word followed by no letter is asked for."""
    if not _maybe_error_line(lowered):
        return False
    if b"\t" in raw or raw[:1] in _NOT_PLAIN_STARTS or raw.startswith(b"section_"):
        return True
    stripped = raw.lstrip(b" ")
    if stripped[:1] in _NOT_PLAIN_MARKS or stripped.startswith(b"- "):
        return True  # (and Poetry's "- Installing x (1.0)", a package line no structure word announces)
    return _holds_error_word(lowered)


def _word_ends(lowered: bytes, word: bytes, *, starts: bool = False) -> bool:
    """`lowered` holds `word` followed by no [a-z0-9_] (and, when `starts`, after none): each place the
    word is found (`bytes.find`, CPython's fast search) is checked at its edges. The expressions this
    replaces (_MAYBE_ERROR_LINE, _ERROR_WORD) have no literal prefix, so they were tried at every byte:
    1.5 and 7 us on a 465-byte gcc command holding "-Werror=...", 7 and 42 us on a 2,500-byte link command."""
    find, size, end_of_line = lowered.find, len(word), len(lowered)
    position = find(word)
    while position >= 0:
        end = position + size
        if (end == end_of_line or lowered[end] not in _WORD_BYTES) and (
            not starts or position == 0 or lowered[position - 1] not in _WORD_BYTES
        ):
            return True
        position = find(word, position + 1)
    return False


def _maybe_error_line(lowered: bytes) -> bool:
    """`_MAYBE_ERROR_LINE.search(lowered)`, asked through the words' places."""
    return _word_ends(lowered, b"error") or _word_ends(lowered, b"fatal") or _word_ends(lowered, b"exception")


def _holds_error_word(lowered: bytes) -> bool:
    """`_ERROR_WORD.search(lowered)`, asked through the words' places."""
    return (
        b"error: " in lowered
        or b"exception: " in lowered
        or _word_ends(lowered, b"error", starts=True)
        or _word_ends(lowered, b"fatal", starts=True)
    )


def _is_build_error(text: str, text_lower: str) -> bool:
    """`_BUILD_ERROR.search(text)`, faster in an ASCII line (`text_lower` is its lower case): there a word
    boundary is one of [a-z0-9_] in the lower case, and IGNORECASE is lower-casing."""
    if not text.isascii():
        return _BUILD_ERROR.search(text) is not None
    return (
        any(word.search(text_lower) for word in _BUILD_ERROR_WORDS)
        or _BUILD_ERROR_START.match(text) is not None
    )


def _is_not_evidence(text: str, text_lower: str) -> bool:
    """`_NOT_EVIDENCE.search(text)`, faster in an ASCII line (`text_lower` is its lower case): its start
    asked once, its phrases with `in`."""
    if not text.isascii():
        return _NOT_EVIDENCE.search(text) is not None
    if _NOT_EVIDENCE_AT_START.match(text):
        return True
    return any(phrase in text_lower for phrase in _NOT_EVIDENCE_ANYWHERE)


def _may_be_structure(raw: bytes) -> bool:
    """The line holds what _track_structure acts on, apart from error words (its package, failed-build and
    success lines): a line holding none of these, no error word and no rule's gate is not normalised."""
    return (
        b"pip-" in raw
        or b"ailed" in raw
        or b"Collecting " in raw
        or b"Processing " in raw
        or b"Building wheel for " in raw
        or b"Running setup.py " in raw
        or b"Could not build" in raw
        or b"Successfully " in raw
        or b"Saved " in raw
        or b"speedups are not enabled" in raw
        # Poetry's operations, package lines of _PACKAGE_LINES that hold no other structure word
        or b"- Installing " in raw
        or b"- Updating " in raw
        or b"- Downgrading " in raw
        # the archive of the requirement being collected
        or b"Downloading " in raw
        or b"Using cached " in raw
    )


_NO_HITS: frozenset[int] = frozenset()
# The literals a multi-line rule's line_literals give a pattern searched in windows only (never in a line).
_NEVER_LITERALS = _NEVER.literals
# A line's results kept for its next occurrences (see Classifier._memo_entry): lines up to this long, until
# they take about this many bytes.
_MEMO_LINE_BYTES = 4096
_MEMO_BYTES = 4 << 20
# The slots of the hashes of lines met once (see Classifier._seen): a hash's low bits.
_SEEN_MASK = (1 << 16) - 1
# Sets of scan terms whose candidate rules are kept (see Classifier._candidates).
_MAX_PLANS = 4096
# A log from elsewhere whose diagnosis lines do not say which system printed them (`portaudio.h: No such
# file`, then clang's "command failed") may say it in its other lines (`-I/opt/homebrew/include`, a
# `C:\\Users` path): the lines holding one of these literals (found with bytes.find, at C speed) are kept for
# log_platform; at most this many. A Docker build's log is the container's, whatever its host's lines say:
# none are kept.
_PLATFORM_LITERALS = (
    b":\\",
    b"WinError",
    b"error C",
    b"LNK",
    b"win32",
    b"win_",
    b"win-",
    b"AppData",
    b"\\Scripts\\",
    b"macosx",
    b"/var/folders/",
    b"/opt/homebrew/",
    b"/Cellar/",
    b"Python.framework",
    b"xcrun",
    b"xcode-select",
    b"ld: library",
    b"ld: symbol",
    b"Undefined symbols",
    b"darwin",
    b".dylib",
    b"-fopenmp",
    b"conda",
    b"forge",
    b"compiler_compat",
    b"apk add",
    b"musl",
    b"alpine",
    b"THREAD_STACK",
    b"-Os -fomit",
    b"apt-get install",
    b"apt install",
    b"dnf install",
    b"yum install",
    b"zypper",
    b"pacman -S",
    b"brew install",
)
# What names a Docker build's own system, not the host's: the image's Alpine (`FROM python:3.12-alpine`,
# BuildKit's `[1/5] FROM docker.io/library/python:3.12-alpine@sha256:...`, a `RUN apk add ...` step, musl).
_CONTAINER_LITERALS = (b"apk add", b"musl", b"alpine")
_CONTAINER_MARKS = tuple(mark.decode() for mark in _CONTAINER_LITERALS)
_PLATFORM_LINES = 200
# Only the log's first bytes are read for them (and for _PROJECT_TOOLS): ~40 bytes.find passes over every
# block took a verbose 100 MB log's diagnose from 197.5 to 34.4 MB/s (speed-diagnose-2026-12-02j.md); a
# paste is far shorter, and a long log's own diagnosis lines name its system more often.
_ELSEWHERE_BYTES = 512 << 10
# Lines only a project manager prints when its resolver fails on the project's declared Python range, and
# pipx's summary of a pip that failed in the venv it made for an app (see FixContext.project_tool).
_PROJECT_TOOLS = (
    (b"resolving dependencies for split", "uv"),  # × No solution found when resolving dependencies for split
    (b"your project's requirements are unsatisfiable", "uv"),
    (b"The current project's Python requirement", "poetry"),  # Poetry 1.x
    (b"The current supported Python versions are", "poetry"),  # Poetry 0.x
    (b"PythonRequirement(name='python'", "pdm"),  # PDM's [ResolutionImpossible] list
    (b"Fatal error from pip prevented installation", "pipx"),  # pipx 0.16+, then "Error installing renku."
)
# Lines only a notebook's pip prints, or paths only its machine has (see FixContext.log_notebook): Colab's and
# Kaggle's Python is the runtime's, which a venv does not change; Jupyter's is its kernel's.
_NOTEBOOKS = (
    (b"if you're in Colab", "colab"),  # Note: if you're in Colab, you may need to restart the runtime ...
    (b"google.colab", "colab"),
    (b"/content/drive/", "colab"),
    (b"/content/sample_data", "colab"),
    (b"/kaggle/input/", "kaggle"),
    (b"/kaggle/working", "kaggle"),
    (b"you may need to restart the kernel", "jupyter"),  # %pip's note in Jupyter and IPython
    # A cell's shell escape or magic: a notebook, whose kind the log does not say.
    (b"!pip install", "notebook"),
    (b"%pip install", "notebook"),
)
_DOCKER_BUILD = (
    b"Dockerfile",
    b"RUN pip",
    b"RUN python",
    b"executor failed running",
    b"did not complete successfully",
)
# What a build error or pip error line holds (_BUILD_ERROR, _PIP_ERROR), lower-cased: its word is not
# followed by another letter in the line ("errors.py" is no error line), nor then in its text, which ends
# where the line does unless the line is cut (longer than MAX_LINE_CHARS).
_MAYBE_ERROR_LINE = re.compile(rb"(?:error|fatal|exception)(?![a-z0-9_])")
# The same in a line whose text is the line without its spaces (see _holds_error_line): _BUILD_ERROR's
# error word between word boundaries, or its "SomeError: " / "SomeException: " (anywhere: a superset),
# which _PIP_ERROR's "ERROR: " and "error: a-b" are too.
_ERROR_WORD = re.compile(rb"(?<![a-z0-9_])(?:error|fatal)(?![a-z0-9_])|(?:error|exception): ")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
# Lines whose first byte, or first byte after the spaces, sends normalising through its regular expressions
# (logtext's _PREFIX_STARTS and _ASCII_MARK_STARTS): their text may start inside a word.
_NOT_PLAIN_STARTS = frozenset(bytes([byte]) for byte in b"0123456789[#:>")
_NOT_PLAIN_MARKS = frozenset(bytes([byte]) for byte in b"|+0123456789")  # digits: pip 9's "99% |###|"
# Bytes that normalising removes from within a line (so that text around them joins) or splits it at: a raw
# line holding none of them (and no byte above 127) normalises to a part of itself (_is_clean asks it
# through _CLEAN_BYTES; tests/test_classify_fastpaths.py compares the two).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# The bytes of a clean line (see _is_clean): tab and printable ASCII.
_CLEAN_BYTES = b"\t" + bytes(range(0x20, 0x7F))
# The bytes of lines that are read together, newlines apart (a window's, see _window_cannot_match: they are
# read as they are when they hold no others; see _BlockIndex).
_SPAN_CLEAN_BYTES = b"\t\n" + bytes(range(0x20, 0x7F))
# Matches of the window literals' search in a block up to which a literal it did not report is looked for
# only where they are (see _BlockIndex._holds); past that, in the whole block.
_MAX_OVERLAP_CHECKS = 64
_FIRST = itemgetter(0)
# pip's own lines the classifier follows (the package being worked on, success): each holds a scan word.
#   "Collecting x", "Processing ./x.tar.gz" -> "collecting ", "processing "
#   "Downloading x-1.0.tar.gz", "Using cached x-1.0.tar.gz" -> "downloading ", "using cached "
#   "Running setup.py develop for x" (bdist_wheel, egg_info; "install" is a keyword) -> "running setup.py "
_STRUCTURE_KEYWORDS = (
    "collecting ",
    "processing ",
    "downloading ",
    "using cached ",
    "running setup.py ",
    "downloading/unpacking ",
)


@dataclass
class _Hits:
    """First and last few (line, text, captures) hits of one pattern kind of one rule, and for each kept hit
    the package pip was working on at its line (when given): the package lines themselves are not kept.

    A hit past the first few on a line after every line recorded so far (a line read in order: the common
    case, a log's thousands of like error lines) is only noted, with its captures as places in its text
    (see Classifier._record), in a queue of the last few such; the queue is recorded as `add` does when
    `last`, `packages`, `spans` or `all()` are asked, or another hit comes otherwise. The result is the
    same: of more than _KEEP_HITS such hits in a row, the ones before the last _KEEP_HITS would each be put
    in `last` and `packages` and taken out again by those after them (their lines are none of `first`'s,
    and have no `spans`: a window's hit records the queue first), and the last _KEEP_HITS put out what
    they would have. On an error-dense log this was ~5 us a hit: building its captures and keeping the
    dictionaries in step for hits thrown away four hits later."""

    first: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    _last: deque[tuple[int, str, dict[str, str]]] = field(default_factory=lambda: deque(maxlen=_KEEP_HITS))
    _packages: dict[int, str | None] = field(default_factory=dict)
    # The other lines a multi-line match spans, by the line it starts on (see Classifier._close_window).
    _spans: dict[int, tuple[Evidence, ...]] = field(default_factory=dict)
    first_lines: list[int] = field(default_factory=list)  # the lines of `first`, asked at each later hit
    # Hits noted and not yet recorded (line, text, captures or their places, package), and the last line
    # of any hit so far.
    _pending: deque[tuple[int, str, dict[str, str] | _Spans, str | None]] = field(
        default_factory=lambda: deque(maxlen=_KEEP_HITS)
    )
    _top: int = -1

    @property
    def last(self) -> deque[tuple[int, str, dict[str, str]]]:
        self._flush()
        return self._last

    @property
    def packages(self) -> dict[int, str | None]:
        self._flush()
        return self._packages

    @property
    def spans(self) -> dict[int, tuple[Evidence, ...]]:
        self._flush()
        return self._spans

    def add(self, hit: tuple[int, str, dict[str, str]], package: str | None = None) -> None:
        number = hit[0]
        if number > self._top and len(self.first) >= _KEEP_HITS:
            self._pending.append((number, hit[1], hit[2], package))
            self._top = number
            return
        self._flush()
        self._add(hit, package)

    def add_spans(self, number: int, text: str, spans: _Spans, package: str | None) -> None:
        """`add` of a hit on line `number` whose captures are the places `spans` of `text`."""
        if number > self._top and len(self.first) >= _KEEP_HITS:
            self._pending.append((number, text, spans, package))
            self._top = number
            return
        self._flush()
        self._add((number, text, {name: text[at:end] for name, at, end in spans}), package)

    def _flush(self) -> None:
        pending = self._pending
        while pending:
            number, text, found, package = pending.popleft()
            captures = found if isinstance(found, dict) else {name: text[at:end] for name, at, end in found}
            self._add((number, text, captures), package)

    def _add(self, hit: tuple[int, str, dict[str, str]], package: str | None) -> None:
        first = self.first
        self._top = max(self._top, hit[0])
        if len(first) < _KEEP_HITS:
            first.append(hit)
            self.first_lines.append(hit[0])
        else:
            last = self._last
            if len(last) == _KEEP_HITS:
                dropped = last[0][0]
                if dropped not in self.first_lines:
                    self._packages.pop(dropped, None)
                    self._spans.pop(dropped, None)
            last.append(hit)
        self._packages[hit[0]] = package

    def merge(
        self, hit: tuple[int, str, dict[str, str]], package: str | None, spans: tuple[Evidence, ...]
    ) -> None:
        """A window's hit: its captures join a kept hit on the same line (the line alone matched too)."""
        self._flush()
        if hit[0] in self._packages:
            for kept in self.all():
                if kept[0] == hit[0]:
                    kept[2].update({k: v for k, v in hit[2].items() if k not in kept[2]})
        else:
            self._add(hit, package)
        if spans and hit[0] in self._packages:
            self._spans[hit[0]] = spans

    def all(self) -> list[tuple[int, str, dict[str, str]]]:
        # In line order: a window's hit arrives after the lines it spans were read.
        self._flush()
        return sorted(self.first + list(self._last), key=lambda hit: hit[0])

    def __bool__(self) -> bool:
        return bool(self.first)


class _BlockIndex:
    """What a block holds where windows of lines ask about it (see Classifier._window_cannot_match): whether
    any byte of it is neither printable ASCII, tab nor newline (one C pass when first asked); which window
    literals its lower case holds (with the accelerator: one pass of a finder of them all, `finder`, when
    first asked; else an `in` per literal asked); and for a span of its lines whether they hold such a byte
    or a literal, read from the span alone (a bounded `bytes.find` in the block's lower case). (The places
    of each literal in the whole block, found once and bisected, cost a pass over the block per literal,
    ~0.35 ms per MB each: on an error-dense log ~30 such passes per block, 7.5 ms per MB.)"""

    __slots__ = (
        "_asked",
        "_block",
        "_finder",
        "_first_line",
        "_found",
        "_last_line",
        "_lowered",
        "_matches",
        "_present",
        "_quiet",
        "_unclean",
    )

    def __init__(
        self,
        block: bytes,
        first_line: int = 1,
        lowered: bytes | None = None,
        finder: tuple[Any, Mapping[bytes, int], Sequence[bytes]] | None = None,
        known: tuple[frozenset[bytes], frozenset[bytes], bool] | None = None,
    ) -> None:
        self._block = block
        self._first_line = first_line
        self._last_line: int | None = None
        self._lowered = lowered  # the block's lower case: the scan's, or made when first asked
        self._unclean: bool | None = None
        self._quiet: dict[int, bool] = {}
        # The accelerator's leftmost-first search of the window literals, each literal's index in it, and
        # the literals by index (see _holds); what it found in the block, when first asked.
        self._finder = finder
        self._present: set[bytes] | None = None
        self._matches: list[tuple[int, int, int]] | None = None
        # What the scan's caseless search found (see _scan.TermScanner.block_facts): of the literals `asked`,
        # those the block's lower case holds, and whether the block holds an unclean byte.
        self._asked: frozenset[bytes] = frozenset()
        self._found: frozenset[bytes] = frozenset()
        if known is not None:
            self._asked, self._found, self._unclean = known

    def last_line(self) -> int:
        """The number of the block's last line (a line starts in it; its first is `first_line`)."""
        if self._last_line is None:
            block = self._block
            lines = block.count(b"\n") + (0 if block.endswith(b"\n") or not block else 1)
            self._last_line = self._first_line + lines - 1
        return self._last_line

    def has_line(self, number: int) -> bool:
        """The block holds line `number`."""
        return self._first_line <= number <= self.last_line()

    def line_end_before_last(self, lines: int) -> int:
        """Where the line `lines` lines before the block's last one ends (its newline's place): a line ending
        there or earlier has `lines` lines after it in the block; -1 when the block has no such line. Read
        from the block's end (`lines` reverse searches), not by counting every newline of the block."""
        block = self._block
        position = len(block) - 1 if block.endswith(b"\n") else len(block)
        for _ in range(lines):
            position = block.rfind(b"\n", 0, position)
            if position < 0:
                return -1
        return position

    def quiet(self, key: int, literals: Sequence[bytes]) -> bool:
        """No byte of the block is other than printable ASCII, tab or newline, and none of `literals`
        (lower-case) is in its lower case; kept by `key` (a rule's index)."""
        found = self._quiet.get(key)
        if found is None:
            found = self._quiet[key] = not self._any_unclean() and not any(map(self._holds, literals))
        return found

    def _holds(self, literal: bytes) -> bool:
        """The block's lower case holds `literal`. With the finder: the literals its one leftmost-first pass
        found are there; when it found none, none is. Another one of them may still be there only
        overlapping a match found (every occurrence of any of them starts within one: that search reports
        the leftmost occurrence, then goes on from its end), so it is looked for there (a bounded `find`
        per match), or in the whole block when the matches are many."""
        if literal in self._asked:
            return literal in self._found
        lowered = self._lowered_block()
        if self._finder is None or literal not in self._finder[1]:
            return literal in lowered
        if self._present is None:
            matches = self._finder[0].find_matches_as_indexes(lowered)
            self._present = {self._finder[2][index] for index in set(map(_FIRST, matches))}
            # (kept only when few: a block full of one literal is not held as a list of its places)
            self._matches = matches if len(matches) <= _MAX_OVERLAP_CHECKS else None
        if literal in self._present:
            return True
        if not self._present:
            return False  # no match at all: none of the literals is in the block
        if self._matches is None:
            return literal in lowered
        find, reach = lowered.find, len(literal) - 1
        return any(find(literal, start, end + reach) >= 0 for _, start, end in self._matches)

    def _any_unclean(self) -> bool:
        """The block holds a byte that is not printable ASCII, tab or newline."""
        if self._unclean is None:
            self._unclean = bool(self._block.translate(None, _SPAN_CLEAN_BYTES))
        return self._unclean

    def _lowered_block(self) -> bytes:
        if self._lowered is None:
            self._lowered = self._block.lower()
        return self._lowered

    def unclean_within(self, start: int, end: int) -> bool:
        """`block[start:end]` holds a byte that is not printable ASCII, tab or newline."""
        return (
            self._any_unclean()
            and start < end
            and bool(self._block[start:end].translate(None, _SPAN_CLEAN_BYTES))
        )

    def holds_within(self, literal: bytes, start: int, end: int) -> bool:
        """The lower case of `block[start:end]` holds `literal` (lower-case): found in the block's lower case
        when it is made; else in the span's alone (what the caseless search knew did not need the block's)."""
        if self._lowered is None and self._asked:
            return self._block[start:end].lower().find(literal) >= 0
        return self._lowered_block().find(literal, start, end) >= 0


class _SharedSearch:
    """A line pattern several built-in rules have (the same text): searched once per line for all of them.
    Its last line and result are kept; a rule asking about the same line (the same `str` object, as
    `_search` gives every rule) gets that result. (Each rule's Matcher checks its own literals first; they
    are a necessary condition of a match, so the result is the pattern's whoever asks.)"""

    __slots__ = ("_last", "_matcher")

    def __init__(self, matcher: Matcher) -> None:
        self._matcher = matcher
        self._last: tuple[str | None, re.Match[str] | None] = (None, None)

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        last_text, last_match = self._last
        if last_text is text:
            return last_match
        match = self._matcher.search(text, lowered)
        self._last = (text, match)
        return match


@dataclass
class _RuleState:
    any: _Hits = field(default_factory=_Hits)
    all: list[_Hits] = field(default_factory=list)
    context: list[_Hits] = field(default_factory=list)
    vetoed: bool = False


# A rule's search of a line, resolved (see Classifier._step): the rule's index, its gate, whether it reads
# windows of lines (one opens at the line), whether it is built in, its state, and the matchers to search:
# none, any, all and context (all and context each with the hits it fills).
_Step = tuple[
    int,
    "tuple[str, ...] | None",
    bool,
    bool,
    "_RuleState",
    "tuple[Matcher, ...]",
    "tuple[Matcher, ...]",
    "tuple[tuple[Matcher, _Hits], ...]",
    "tuple[tuple[Matcher, _Hits], ...]",
]


@dataclass
class _Window:
    """A line where a multi-line rule may match, and the lines after it, read as they come (see `join`)."""

    rule: int  # index in Classifier.rules
    first: int  # its first line's number
    lines: list[str]  # the first line's text
    wanted: int  # lines still to read
    package: str | None
    # The lines read after the first, as they are: normalised only when one of the rule's multi-line
    # patterns may match (see Classifier._window_may_match).
    pending: list[bytes] = field(default_factory=list)


class Classifier:
    """Feed it a log (blocks or lines), then ask for the diagnoses."""

    def __init__(
        self,
        rules: RuleSet | Sequence[Rule],
        facts: RuleFacts | None = None,
        context: FixContext | None = None,
    ) -> None:
        all_rules = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
        self.facts = facts
        self.context = context or FixContext()
        self.rules = tuple(rule for rule in all_rules if _conditions_hold(rule, facts))
        # What depends on the rules' keywords and patterns alone (the scan's terms, every literal's index,
        # the accelerator's finder: ~20 ms) is worked out once per process for rules that have the same and
        # shared (see _TABLES): the tests read thousands of small logs, each with a new Classifier (and often
        # a new load_rules(), whose rules are new objects with the same patterns).
        key = (_accelerator(None) is not None, tuple(map(_table_key, self.rules)))
        tables = _TABLES.get(key)
        if tables is None:
            self._build_tables()
            if len(_TABLES) >= _MAX_TABLES:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[key] = {name: getattr(self, name) for name in _TABLE_NAMES}
        else:
            self.__dict__.update(tables)
            self._scanner = TermScanner(self.scan_terms, self._alone)
        # The window literals: hyperscan's caseless search, when it runs, tells which of them a block holds
        # (see _BlockIndex; lower-case ones only, as the block's lower case is asked).
        self._asked_literals = frozenset(
            literal
            for found in self._window_bytes
            for literal in found
            if literal and literal == literal.lower()
        )
        if self._scanner.accelerated:
            self._scanner.present_literals = tuple(sorted(self._asked_literals))
        self._states = [
            _RuleState(all=[_Hits() for _ in rule.all], context=[_Hits() for _ in rule.context])
            for rule in self.rules
        ]
        self._plans: dict[frozenset[int], _Plan] = {}  # see _candidates
        self._line_plans: dict[object, _LinePlan] = {}  # see _consume_found
        self._memo: dict[bytes, _MemoEntry] = {}  # see _memo_entry
        self._memo_bytes = 0
        # The hashes of lines met once, by their low bits: a line is kept (_memo_entry) only when met again,
        # so that a log whose lines are each met once costs what it cost before, not that plus keeping them
        # (another line's hash in the slot only makes a line met again read as if it were the first time).
        self._seen = array("q", bytes(8 * (_SEEN_MASK + 1)))
        # The same for lines with their digits masked, and what such lines give once met twice (see
        # _read_masked, _masked_entry): a log's lines met once mostly differ from others in their numbers.
        self._mask_seen = array("q", bytes(8 * (_SEEN_MASK + 1)))
        self._masked: dict[bytes, _MaskedEntry] = {}
        self._masked_bytes = 0
        self._every_step: list[_Step | None] = [None] * len(self.rules)  # each rule's, made when first run
        self._shared_searches: dict[str, _SharedSearch] = {}
        self._line_patterns: list[CompiledPatterns | None] = [None] * len(self.rules)
        self._windows: list[_Window] = []  # windows of lines waiting for the lines they need
        self._block = b""  # the block being read, and where the current line ends in it
        self._block_index: _BlockIndex | None = None  # what its lines hold, made when a window asks
        self._block_first = 1  # the number of its first line
        # Per rule, where the last line ends at which its windows are known to hold none of its literals
        # (see _window_cannot_match): the block in hand's.
        self._window_limits: dict[int, int] = {}
        self._line_end = 0
        self._next_line = 1  # the number of the line after the last block fed
        # The package pip is working on (its last progress line so far); each hit keeps the one at its line,
        # so memory does not grow with the number of progress lines (a log of 10 million "Collecting x").
        self._package: str | None = None
        # Packages pip named only by a local folder or file ("Processing ./proj", "Processing /tmp/x.tar.gz"):
        # a log from elsewhere then gives no fix that looks the name up on an index (another project).
        self._path_packages: dict[str, str] = {}
        # The least indent of pip's "Collecting"/"Processing" lines so far: pip -v shows the pip that installs
        # build dependencies 2 columns in under pip's own lines, and its "Collecting setuptools" is not the
        # package being installed (a log whose own lines are all indented, a pasted block, keeps its order).
        self._requirement_indent: int | None = None
        self._failed_builds: list[str] = []
        # The log's lines that may name its system (see _PLATFORM_LITERALS); in a Docker build's log only
        # those naming the container's (_CONTAINER_LITERALS).
        self._platform_lines: list[str] = []
        self._docker_build = False
        self._project_tool: str | None = None
        # The files, folders and URLs the log installs from, by project when it says (see _note_sources).
        self._sources: list[tuple[str | None, str]] = []
        self._index_names: set[str] = set()
        self._notebook: str | None = None
        self._requested: list[str] = []
        # The projects collected "(from ...)" another: name -> (as collected, the root of the chain).
        self._origins: dict[str, tuple[str, str]] = {}
        self._elsewhere_read = 0
        self._success_line = 0
        self._installed_count = 0
        self._error_after_success = False
        # The last line where a pip run ended in failure (_RUN_FAILED): a success after it is a later run's.
        self._run_failed_line = 0
        self._build_errors: deque[Evidence] = deque(maxlen=64)
        self._first_build_errors: list[Evidence] = []
        self.lines_seen = 0

    def _build_tables(self) -> None:
        """What depends on the rules alone (see __init__: the attributes of _TABLE_NAMES, and the scanner)."""
        self._keyword_rules: dict[bytes, list[int]] = {}
        for rule_index, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                self._keyword_rules.setdefault(keyword.encode(), []).append(rule_index)
        # The built-in rules' keywords are searched one pass each; those only other rules have (a user's
        # thousands), together, in one pass (see _scan).
        shipped = {keyword.encode() for rule in self.rules if rule.builtin for keyword in rule.keywords}
        keywords = sorted(self._keyword_rules, key=lambda keyword: keyword not in shipped)
        self.scan_terms, self._term_keywords = _scan_plan(keywords)
        self._alone = {word.encode() for word in (*SCAN_WORDS, *_STRUCTURE_KEYWORDS)} | shipped
        self._scanner = TermScanner(self.scan_terms, self._alone)
        self._literal_plan()
        # Each rule's gate (see Rule.gate) as bytes, to check in a raw line before it is normalised.
        self._gates = [
            None if rule.gate is None else tuple(literal.encode() for literal in rule.gate)
            for rule in self.rules
        ]
        self._gates_text = [rule.gate for rule in self.rules]
        # Every pattern of each rule, for a line whose literals are not known (see _search).
        self._every_pattern: list[_Positions] = [
            (
                tuple(range(len(rule.none))),
                tuple(range(len(rule.any))),
                tuple(range(len(rule.all))),
                tuple(range(len(rule.context))),
            )
            for rule in self.rules
        ]
        # Line patterns several built-in rules share (build-memory-error's and compiler-killed's "parallel
        # build" context, say) are searched once a line for all of them (see _SharedSearch, _patterns_of).
        seen: dict[str, int] = {}
        for rule in self.rules:
            if rule.builtin:
                for pattern in {*rule.none, *rule.any, *rule.all, *rule.context}:
                    seen[pattern] = seen.get(pattern, 0) + 1
        self._shared_patterns = {pattern for pattern, count in seen.items() if count > 1}
        # Rules with patterns that continue on the next lines (windows of lines, see _open_window).
        self._window_rules = frozenset(index for index, rule in enumerate(self.rules) if rule.multiline)
        self._window_literals = [_window_literals(rule) for rule in self.rules]
        self._window_bytes = [
            tuple(literal.encode() for literal in found or ()) for found in self._window_literals
        ]
        self._window_finder = _window_finder(self._window_bytes, self._scanner.accelerated)

    # -- feeding ---------------------------------------------------------------------------------------
    def feed_block(self, block: bytes, first_line: int) -> None:
        """A block of whole lines starting at line `first_line` (1-based)."""
        block = plain_block(block)
        if self.facts is None and self._elsewhere_read < _ELSEWHERE_BYTES:
            self._note_elsewhere(block)
        if self._windows:
            self._windows = [w for w in self._windows if not self._fill_window(w, block, 0)]
        self._block = block
        self._block_first = first_line
        self._block_index = None
        if self._window_limits:
            self._window_limits = {}
        number, start = first_line, 0
        finder = self._finder
        lines = self._scanner.candidate_lines(block, first_line) if finder is not None else None
        if finder is not None and lines is not None:
            # With the accelerator each line's literals are found again in it (_consume): the scan gives
            # only the lines (no term holds a newline, so no rule is brought by a term alone), and perhaps
            # lines holding only a term's anchor, which hold none of the terms the finder holds too.
            # What a line the log repeats gives is worked out once (see _memo_entry) and replayed; a line
            # met for the first time (as far as _seen tells) is read as it is, and not kept.
            memo, seen, terms = self._memo, self._seen, self._term_ids
            for number, start, end in lines:
                raw = block[start:end]
                mark = hash(raw)
                slot = mark & _SEEN_MASK
                if seen[slot] != mark or end - start > _MEMO_LINE_BYTES:
                    seen[slot] = mark  # met once (see _seen)
                    if end - start <= _MEMO_LINE_BYTES:
                        self._read_masked(number, raw, end)
                        continue
                    lowered = raw.lower()
                    found = finder.found(lowered)
                    if found.isdisjoint(terms):
                        continue
                    self._line_end = end
                    self._consume(number, raw, _NO_HITS, lowered, found)
                    continue
                entry = memo.get(raw)
                if entry is None:
                    entry = self._memo_entry(raw, end - start)
                if entry is False:
                    continue
                self._line_end = end
                if entry is True:
                    self._consume(number, raw, _NO_HITS)
                else:
                    self._replay(number, entry)
        else:
            for number, start, end, hits in self._scanner.spans(block, first_line):
                self._line_end = end
                self._consume(number, block[start:end], hits)
        self._block = b""
        self._block_index = None
        self._scanner.lowered = (b"", b"")
        self._scanner.block_facts = None
        # The scan counted the lines up to its last one: only the rest are counted here (one pass in all).
        self._next_line = number + block.count(b"\n", start)
        self.lines_seen = self._next_line - (1 if block.endswith(b"\n") else 0)

    def _note_elsewhere(self, block: bytes) -> None:
        """From the log's first _ELSEWHERE_BYTES: the lines that may say which system printed it (see
        _PLATFORM_LITERALS) and the project manager whose Python range failed (see _PROJECT_TOOLS)."""
        limit = min(len(block), _ELSEWHERE_BYTES - self._elsewhere_read)
        self._elsewhere_read += len(block)
        if self._project_tool is None:
            self._project_tool = next(
                (tool for mark, tool in _PROJECT_TOOLS if block.find(mark, 0, limit) >= 0), None
            )
        _note_sources(block, limit, self._sources, self._index_names, self._requested, origins=self._origins)
        self._notebook = _notebook_of(block, limit, self._notebook)
        kept = self._platform_lines
        if len(kept) >= _PLATFORM_LINES:
            return
        if not self._docker_build and any(block.find(mark, 0, limit) >= 0 for mark in _DOCKER_BUILD):
            # A Docker build's log: the host's lines do not name the container's system, its image's do.
            self._docker_build = True
            kept[:] = [line for line in kept if any(mark in line for mark in _CONTAINER_MARKS)]
        starts: set[int] = set()
        for mark in _CONTAINER_LITERALS if self._docker_build else _PLATFORM_LITERALS:
            at = block.find(mark, 0, limit)
            while at >= 0:
                start = block.rfind(b"\n", 0, at) + 1
                starts.add(start)
                end = block.find(b"\n", at)
                at = block.find(mark, end, limit) if end >= 0 else -1
        for start in sorted(starts)[: _PLATFORM_LINES - len(kept)]:
            end = block.find(b"\n", start)
            kept.append(block[start : end if end >= 0 else len(block)].decode("utf-8", "replace"))

    def feed_line(self, number: int, raw: bytes) -> None:
        """One line (without newline); slower than blocks, for lines already split (a capture)."""
        if self.facts is None and self._elsewhere_read < _ELSEWHERE_BYTES:
            self._note_elsewhere(raw)
        if self._windows:
            self._windows = [w for w in self._windows if not self._window_line(w, number, raw)]
        lowered = raw.lower()
        hits = self._scanner.line_hits(lowered)
        if hits:
            self._consume(number, raw, hits)
        self.lines_seen = max(self.lines_seen, number)

    def _literal_plan(self) -> None:
        """With the accelerator, the literals of every rule's gate and patterns (and of the structure lines)
        are found in a line by one call: each gate and pattern then needs a set intersection, not an `in`
        per literal. Case-sensitive literals are looked for lower-cased (a line holding one holds that)."""
        self._gate_ids: list[frozenset[int] | None] = []
        self._pattern_ids: list[tuple[tuple[frozenset[int] | None, ...], ...]] = []
        ids: dict[bytes, int] = {}

        def of(literals: Iterable[str] | None) -> frozenset[int] | None:
            if literals is None:
                return None
            return frozenset(ids.setdefault(literal.lower().encode(), len(ids)) for literal in literals)

        self._structure_ids = of(_STRUCTURE_WORDS) or frozenset()
        # Each keyword's rules by its literal's index: the keywords a line holds, found in the same call,
        # give its candidate rules. A keyword holding "\n" is a term of its own, searched across lines: the
        # scan's hit brings its rules, as in _candidates.
        self._keyword_ids: dict[int, frozenset[int]] = {}
        self._newline_rules: dict[int, frozenset[int]] = {}
        for keyword, rules in self._keyword_rules.items():
            if b"\n" in keyword:
                if keyword in self.scan_terms:
                    self._newline_rules[self.scan_terms.index(keyword)] = frozenset(rules)
                continue
            index = ids.setdefault(keyword, len(ids))
            self._keyword_ids[index] = self._keyword_ids.get(index, frozenset()) | frozenset(rules)
        for rule in self.rules:  # (the patterns are compiled only when a line needs them)
            self._gate_ids.append(of(rule.gate))
            self._pattern_ids.append(tuple(tuple(of(found) for found in kind) for kind in rule.line_literals))
        # Each line pattern's literal clauses (see rules.literal_clauses), finer than its literals: a pattern
        # is searched only in a line holding a literal of each clause of one of its alternatives ("could
        # not find " and "cmake", not "could not find " alone). Only the accelerator's finder reads them, and
        # only the built-in rules have them (kept in the library's cache: a user's thousands of patterns would
        # each be parsed at every start).
        self._clause_ids: list[tuple[tuple[_ClauseIds | None, ...], ...]] = []
        if self._scanner.accelerated:
            for rule in self.rules:
                kinds = (rule.none, rule.any, rule.all, rule.context)
                self._clause_ids.append(
                    tuple(
                        tuple(
                            None
                            if not rule.builtin
                            or literals == _NEVER_LITERALS
                            or (clauses := literal_clauses(pattern)) is None
                            else tuple(tuple(of(clause) or frozenset() for clause in one) for one in clauses)
                            for pattern, literals in zip(patterns, kind)
                        )
                        for patterns, kind in zip(kinds, rule.line_literals)
                    )
                )
        # The scan terms too: a line the scan brings for an anchor alone holds none (see feed_block).
        self._term_ids = frozenset(
            ids.setdefault(term, len(ids)) for term in self.scan_terms if b"\n" not in term
        )
        self._literals = tuple(ids)  # (in their indexes' order: what the finder is made of)
        self._finder = literal_finder(list(ids)) if self._scanner.accelerated and ids else None
        # The literals that hold a digit, and a finder of them with their digits masked (see _masked_entry):
        # for each masked literal, the literals it stands for (index, bytes).
        self._digit_ids = frozenset(
            index for literal, index in ids.items() if any(map(_DIGIT_BYTES.__contains__, literal))
        )
        masked_literals: dict[bytes, list[tuple[int, bytes]]] = {}
        for literal, index in ids.items():
            if index in self._digit_ids:
                masked_literals.setdefault(literal.translate(_DIGIT_MASK), []).append((index, literal))
        self._digit_literals = [tuple(pairs) for pairs in masked_literals.values()]
        self._digit_finder = _digit_finder(self._digit_literals) if self._finder is not None else None

    def _candidates(self, hits: frozenset[int], lowered: bytes) -> set[int]:
        """The rules one of whose keywords the line holds, given the scan terms it holds (`hits`)."""
        plan = self._plans.get(hits)
        if plan is None:
            # Which rules the terms bring whatever the line, and which keywords (holding a term) to look for;
            # made once per set of terms (a log has few such sets), kept for a bounded number of them.
            always: set[int] = set()
            checks: list[tuple[bytes, bytes, frozenset[int]]] = []
            for index in hits:
                term = self.scan_terms[index]
                for keyword in self._term_keywords[index]:
                    rules = frozenset(self._keyword_rules.get(keyword, ()))
                    if keyword == term:
                        always |= rules
                    else:
                        checks.append((term, keyword, rules))
            # Each keyword holds its term: where it is in a line, the term is, `at` bytes into it. So the
            # keywords are asked only at the term's places (`startswith`), and only those whose bytes after
            # the term are the line's there (65 keywords hold "error": one `in` each on every "-Werror" gcc
            # command was a third of the pure scan's time on an error-dense log).
            by_term: dict[bytes, _Buckets] = {}
            for term, keyword, rules in checks:
                if rules <= always:
                    continue
                at = keyword.find(term)
                after = keyword[at + len(term) : at + len(term) + 2]
                by_term.setdefault(term, {}).setdefault(after, []).append((at, keyword, rules))
            plan = frozenset(always), tuple(by_term.items())
            if len(self._plans) < _MAX_PLANS:
                self._plans[hits] = plan
        candidates = set(plan[0])
        find, startswith = lowered.find, lowered.startswith
        for term, buckets in plan[1]:
            size = len(term)
            place = find(term)
            while place >= 0:
                after = lowered[place + size : place + size + 2]
                for key in (b"", after[:1], after) if len(after) == 2 else (b"", after):
                    for at, keyword, rules in buckets.get(key, ()):
                        if place >= at and startswith(keyword, place - at):
                            candidates |= rules
                place = find(term, place + 1)
        return candidates

    def _consume(
        self,
        number: int,
        raw: bytes,
        hits: frozenset[int],
        lowered: bytes | None = None,
        found: frozenset[int] | None = None,
    ) -> None:
        """Read one line the scan brought (`hits`: the scan terms it holds, when the scan said; `lowered`
        its lower case and `found` the literals the accelerator's finder found in it, when known)."""
        if lowered is None:
            lowered = raw.lower()
        clean = _is_clean(raw)
        if self._finder is not None and clean:
            self._consume_found(number, raw, lowered, hits, found)
            return
        if self._finder is not None:
            candidates = self._rules_of_literals(
                self._finder.found(lowered) if found is None else found, hits
            )
        else:
            candidates = self._candidates(hits, lowered)
        if clean:
            # The normalised text of such a line is a part of it: a literal missing from the raw line is
            # missing from the text too, so a line that no rule's gate and no structure line can pass is
            # dropped here, before it is decoded and normalised (most lines a broad word brought: "-Werror",
            # "connection.c").
            passing = set()
            gates = self._gates
            for index in candidates:
                gate = gates[index]
                if gate is None:
                    passing.add(index)
                    continue
                for literal in gate:
                    if literal in lowered:
                        passing.add(index)
                        break
            candidates = passing
            if (
                not candidates
                and not _may_be_structure(raw)
                and (len(raw) > MAX_LINE_CHARS or not _maybe_error_line(lowered))
            ):
                return
        text, indent = normalise_with_indent(raw)
        if not text:
            return
        text_lower = text.lower()
        self._track_structure(number, text, text_lower, indent)
        steps = self._every_step
        for rule_index in candidates:
            if steps[rule_index] is None:
                steps[rule_index] = self._step(rule_index, self._every_pattern[rule_index])
        self._run([steps[rule_index] for rule_index in candidates], number, text, text_lower)  # type: ignore[misc]

    def _consume_found(
        self,
        number: int,
        raw: bytes,
        lowered: bytes,
        hits: frozenset[int],
        found: frozenset[int] | None = None,
    ) -> None:
        """`_consume` of a clean line with the accelerator: one automaton call finds every literal the line
        holds (keywords, gates, patterns, structure words); what those literals allow (the rules whose
        keyword and gate the line holds, and of each the patterns worth a search) is worked out once per set
        of literals (a log has few such sets) and kept."""
        if found is None:
            found = self._finder.found(lowered) if self._finder is not None else frozenset()
        keep, searches = self._plan_of(found, hits)
        if not keep and len(raw) <= MAX_LINE_CHARS and not _holds_error_line(raw, lowered):
            return
        text, indent = normalise_with_indent(raw)
        if not text:
            return
        text_lower = text.lower()
        self._track_structure(number, text, text_lower, indent)
        self._run(searches, number, text, text_lower)

    def _memo_entry(self, raw: bytes, size: int) -> _MemoEntry:
        """What a line the accelerated scan brought gives wherever it is in the log: False (it holds no
        scan term, or no rule and no structure check reads it: see _consume_found), True (it is not clean:
        _consume reads it each time), or its text, its indent, what it tells of pip's progress (see
        _structure_of) and what the searches its literals allow found in it (see _search_results). All of
        that depends on the line's bytes alone; what depends on its place (its number, the package pip is
        on, a rule vetoed, windows) is _replay's. Asked for a line met before (see _seen), up to
        _MEMO_LINE_BYTES long; kept until the lines kept take about _MEMO_BYTES (then all are forgotten): a
        log repeats many of its lines (the same warnings, progress and error lines), and each repeat then
        costs a dictionary look-up instead of the finder's call, normalising, the structure checks and the
        rules' regular expressions."""
        lowered = raw.lower()
        found = self._finder.found(lowered) if self._finder is not None else frozenset()
        entry: _MemoEntry
        if found.isdisjoint(self._term_ids):
            entry = False
        elif not _is_clean(raw):
            entry = True
        else:
            keep, searches = self._plan_of(found, _NO_HITS)
            if not keep and size <= MAX_LINE_CHARS and not _holds_error_line(raw, lowered):
                entry = False
            else:
                text, indent = normalise_with_indent(raw)
                if not text:
                    entry = False
                else:
                    text_lower = text.lower()
                    structure = _structure_of(text, text_lower, indent)
                    entry = (text, indent, structure, self._search_results(searches, text, text_lower))
        if self._memo_bytes > _MEMO_BYTES:
            self._memo.clear()
            self._memo_bytes = 0
        self._memo[raw] = entry
        # (what an entry costs, measured with tracemalloc: its line, text and lower case, and ~1 KB of
        # tuples, captures and the dictionary's slot; a line dropped, its bytes and the slot)
        self._memo_bytes += size + 160 if entry is False else 3 * size + 1024
        return entry

    def _search_results(self, steps: Iterable[_Step], text: str, text_lower: str) -> _Results:
        """What each step's patterns find in a line's text, as _run finds it (its gate, then whether a none
        pattern matches, the first any pattern's captures, each all and context pattern's), wherever the line
        is: _record records it."""
        windows: list[int] = []
        vetoes: list[_RuleState] = []
        any_hits: list[tuple[_Hits, _Spans]] = []
        other_hits: list[tuple[_Hits, _Spans]] = []
        for step in steps:
            rule_index, gate, window, builtin, state, nones, anys, alls, contexts = step
            if gate is not None:
                for literal in gate:
                    if literal in text_lower:
                        break
                else:
                    continue  # none of the literals its patterns need: no regex search for this rule
            if window:
                windows.append(rule_index)
            if builtin or len(text) <= USER_LINE_CHARS:
                subject, subject_lower = text, text_lower
            else:
                subject, subject_lower = text[:USER_LINE_CHARS], None
            for matcher in nones:
                if matcher.search(subject, subject_lower):
                    vetoes.append(state)
                    break
            for matcher in anys:
                match = matcher.search(subject, subject_lower)
                if match:
                    any_hits.append((state.any, _spans(match)))
                    break
            for matcher, hits in (*alls, *contexts):
                match = matcher.search(subject, subject_lower)
                if match:
                    other_hits.append((hits, _spans(match)))
        return tuple(windows), tuple(vetoes), tuple(any_hits), tuple(other_hits)

    def _replay(self, number: int, entry: _LineResult) -> None:
        """Record a line's results (see _memo_entry) at its place: the structure it tells, then each rule's
        window and hits, as _consume_found and _run do."""
        text, indent, structure, results = entry
        if structure is not None:
            self._note_structure(number, text, indent, structure)
        self._record(number, text, results)

    def _record(self, number: int, text: str, results: _Results) -> None:
        """The windows and hits of a line (`text`) at its place, from what its searches found (see
        _search_results: the captures' places in the text). (Each rule's own are in _run's order: its
        window, its veto, its any hit, its all and context hits; rules do not touch each other's.)"""
        windows, vetoes, any_hits, other_hits = results
        if windows:
            block, limits, line_end = self._block, self._window_limits, self._line_end
            for rule_index in windows:
                # (a window the block's rule limit rules out returns at once in _open_window: not called)
                if not block or line_end > limits.get(rule_index, -1):
                    self._open_window(rule_index, number, text)
        for state in vetoes:
            state.vetoed = True
        package = self._package
        for hits, spans in any_hits:
            hits.add_spans(number, text, spans, package)
        for hits, spans in other_hits:
            hits.add_spans(number, text, spans, None)

    def _read_masked(self, number: int, raw: bytes, end: int) -> None:
        """A line the accelerated scan brought, met for the first time (see feed_block): what it gives is
        read from the entry of its digits masked (see _masked_entry) when the log had a line of that mask
        before; otherwise it is read as it is (and the mask's hash noted, see _mask_seen)."""
        masked = raw.translate(_DIGIT_MASK)
        entry = self._masked.get(masked)
        if entry is None:
            mark = hash(masked)
            slot = mark & _SEEN_MASK
            if self._mask_seen[slot] != mark:
                self._mask_seen[slot] = mark
                lowered = raw.lower()
                found = self._finder.found(lowered)  # type: ignore[union-attr]
                if found.isdisjoint(self._term_ids):
                    return
                self._line_end = end
                self._consume(number, raw, _NO_HITS, lowered, found)
                return
            entry = self._masked_entry(raw, masked)
        base, checks, made_of, line = entry
        if checks:
            lowered = raw.lower()
            found = base.union([index for index, literal in checks if literal in lowered])
            if found != made_of:
                # (another set of literals than the entry's line: the line is read as it is, its literals
                # known; made_of holds a scan term whenever any line of the mask does)
                if not found.isdisjoint(self._term_ids):
                    self._line_end = end
                    self._consume(number, raw, _NO_HITS, lowered, found)
                return
        if line is False:
            return
        self._line_end = end
        if line is None or line is True:
            self._consume(number, raw, _NO_HITS, None, made_of)
            return
        indent, size, structure, results = line
        text = raw[indent : indent + size].decode("ascii")
        if structure is True:
            self._track_structure(number, text, text.lower(), indent)
        elif structure is not None and structure is not False:
            self._note_structure(number, text, indent, structure)
        self._record(number, text, results)

    def _masked_entry(self, raw: bytes, masked: bytes) -> _MaskedEntry:
        """What the lines that differ from `raw` only in their digits (`masked`: each digit a "0") give
        wherever they are, made from `raw` (see _MaskedEntry), for a log whose lines differ mostly in their
        numbers (line numbers, versions, sizes, times). Each such line holds the literals `raw` holds that
        hold no digit (a literal without a digit is at a place of a line exactly when it is there in the
        masked line); the literals with a digit are looked for in each line, and a line holding others than
        `raw` is read as it is. Its text is `raw`'s text at the same place when normalising only strips
        its spaces (see _plain_text), and its structure and searches give the same when each expression
        asked treats all digits alike (see _digit_blind: no digit in a literal or a class that holds some
        digits and not all, no back-reference): the captures are then at the same places of its text."""
        lowered = raw.lower()
        found = self._finder.found(lowered)  # type: ignore[union-attr]
        base = found - self._digit_ids
        checks: tuple[tuple[int, bytes], ...] = ()
        if self._digit_finder is not None:
            checks = tuple(
                pair
                for index in sorted(self._digit_finder.found(masked.lower()))
                for pair in self._digit_literals[index]
            )
        line: _MaskedLine | bool | None
        if found.isdisjoint(self._term_ids):
            line = False
        elif not _is_clean(raw):
            line = None
        else:
            keep, searches = self._plan_of(found, _NO_HITS)
            if not keep and len(raw) <= MAX_LINE_CHARS and not _holds_error_line(raw, lowered):
                line = False
            else:
                text, indent = normalise_with_indent(raw)
                if not text or not _plain_text(raw, text, indent) or not all(map(self._step_blind, searches)):
                    line = None
                else:
                    text_lower = text.lower()
                    told = _structure_of(text, text_lower, indent)
                    # (a line naming a package, whose name may hold digits, is asked again each time)
                    structure = True if told is not None and (told[0] or told[3]) else told
                    line = (indent, len(text), structure, self._search_results(searches, text, text_lower))
        if checks and line is not None:
            # What a clean line's literals allow only grows with them (more keywords, gates, patterns,
            # clauses: see _line_plan): when the line is dropped even with every literal with a digit its
            # mask allows, or those literals allow nothing more than the others alone, every line of the
            # mask gives the same, whichever of them it holds: they are not looked for.
            most = base.union([index for index, _ in checks])
            terms = self._term_ids
            if line is False:
                same = most.isdisjoint(terms) or (
                    not self._plan_of(most, _NO_HITS)[0]
                    and len(raw) <= MAX_LINE_CHARS
                    and not _holds_error_line(raw, lowered)
                )
            else:
                same = not base.isdisjoint(terms) and self._plan_of(base, _NO_HITS) == self._plan_of(
                    most, _NO_HITS
                )
            if same:
                checks, found = (), base
        entry = (base, checks, found, line)
        if self._masked_bytes > _MEMO_BYTES:
            self._masked.clear()
            self._masked_bytes = 0
        self._masked[masked] = entry
        self._masked_bytes += 3 * len(raw) + 1024
        return entry

    def _step_blind(self, step: _Step) -> bool:
        """The step's gate and patterns treat all digits alike (see _digit_blind)."""
        _, gate, _, _, _, nones, anys, alls, contexts = step
        if gate is not None and any(map(_has_digit, gate)):
            return False
        matchers = [*nones, *anys, *(matcher for matcher, _ in alls), *(matcher for matcher, _ in contexts)]
        return all(_matcher_blind(matcher) for matcher in matchers)

    def _plan_of(self, found: frozenset[int], hits: frozenset[int]) -> _LinePlan:
        """_line_plan's answer for a clean line's literals (and scan terms), kept per set of them."""
        key: object = found
        if self._newline_rules:
            key = (found, frozenset(index for index in hits if index in self._newline_rules))
        plan = self._line_plans.get(key)
        if plan is None:
            plan = self._line_plan(found, hits)
            if len(self._line_plans) < _MAX_PLANS:
                self._line_plans[key] = plan
        return plan

    def _rules_of_literals(self, found: frozenset[int], hits: frozenset[int]) -> set[int]:
        """The rules a line may concern (with the accelerator): those a keyword among its literals `found`
        names, and those whose multi-line patterns start at a scan term among `hits`."""
        candidates: set[int] = set()
        keyword_ids = self._keyword_ids
        for index in found:
            rules = keyword_ids.get(index)
            if rules is not None:
                candidates |= rules
        if self._newline_rules:
            for index in hits:
                candidates |= self._newline_rules.get(index, frozenset())
        return candidates

    def _line_plan(self, found: frozenset[int], hits: frozenset[int]) -> _LinePlan:
        """For a clean line holding the literals `found` (and the scan terms `hits`): whether it is read at
        all (a rule left to search, or a structure word), and each such rule with its patterns that
        may match (one of whose literals the line holds); a rule none of whose patterns may is left out,
        unless it reads windows of lines (which open whatever the line)."""
        candidates = self._rules_of_literals(found, hits)
        searches: list[_Step] = []
        for rule_index in sorted(candidates):
            ids = self._gate_ids[rule_index]
            if ids is not None and ids.isdisjoint(found):
                continue
            positions: _Positions = tuple(  # type: ignore[assignment]
                tuple(
                    position
                    for position, pattern_ids in enumerate(kind)
                    if (pattern_ids is None or not pattern_ids.isdisjoint(found))
                    and (not clause_ids or _clauses_hold(clause_ids[position], found))
                )
                for kind, clause_ids in zip(
                    self._pattern_ids[rule_index],
                    self._clause_ids[rule_index] if self._clause_ids else ((),) * 4,
                )
            )
            if any(positions) or rule_index in self._window_rules:
                searches.append(self._step(rule_index, positions))
        # A line whose rules (keyword and gate) leave no search and open no window is read only for what it
        # tells of pip's progress, as a line no rule passes is: when it holds a structure word (or, see
        # _consume_found, an error word). Lines of a verbose build pass a rule's gate but hold none of its
        # patterns' literals: they were normalised and asked the structure checks for nothing (11 of the 31
        # lines a psycopg2 build log's scan brings: its 2,500-byte link command, "adding 'x'", "copying").
        keep = bool(searches) or not found.isdisjoint(self._structure_ids)
        return keep, tuple(searches)

    def _step(self, rule_index: int, positions: _Positions) -> _Step:
        """What searching a line with a rule's patterns at `positions` (none, any, all, context) takes, its
        gate having passed, resolved once (per set of literals, see _line_plan): the matchers themselves and
        the hits each fills, so that each line runs one flat loop (see _run) instead of looking them up."""
        rule = self.rules[rule_index]
        state = self._states[rule_index]
        patterns = self._line_patterns[rule_index] or self._patterns_of(rule_index)
        none_at, any_at, all_at, context_at = positions
        return (
            rule_index,
            self._gates_text[rule_index],
            rule_index in self._window_rules,
            rule.builtin,
            state,
            tuple(patterns.none[position] for position in none_at),
            tuple(patterns.any[position] for position in any_at),
            tuple((patterns.all[position], state.all[position]) for position in all_at),
            tuple((patterns.context[position], state.context[position]) for position in context_at),
        )

    def _run(self, steps: Iterable[_Step], number: int, text: str, text_lower: str) -> None:
        """Search one line with each step's patterns whose gate (literals one of which its patterns need)
        the line's text holds; open the rule's window of lines when it reads such windows."""
        for rule_index, gate, window, builtin, state, nones, anys, alls, contexts in steps:
            if gate is not None:
                for literal in gate:
                    if literal in text_lower:
                        break
                else:
                    continue  # none of the literals its patterns need: no regex search for this rule
            if window:
                self._open_window(rule_index, number, text)
            # A user's pattern sees the start of a long line only: what it may cost is bounded (see rules).
            if builtin or len(text) <= USER_LINE_CHARS:
                subject, subject_lower = text, text_lower
            else:
                subject, subject_lower = text[:USER_LINE_CHARS], None
            if not state.vetoed:
                for matcher in nones:
                    if matcher.search(subject, subject_lower):
                        state.vetoed = True
                        break
            for matcher in anys:
                match = matcher.search(subject, subject_lower)
                if match:
                    state.any.add((number, text, _captures(match)), self._package)
                    break
            for matcher, hits in alls:
                match = matcher.search(subject, subject_lower)
                if match:
                    hits.add((number, text, _captures(match)))
            for matcher, hits in contexts:
                match = matcher.search(subject, subject_lower)
                if match:
                    hits.add((number, text, _captures(match)))

    def _patterns_of(self, rule_index: int) -> CompiledPatterns:
        """The rule's line patterns, those it shares with other built-in rules searched through one
        _SharedSearch each; made when the rule first searches a line."""
        rule = self.rules[rule_index]
        patterns = rule.line_patterns
        shared = self._shared_patterns if rule.builtin else set()
        if not shared.isdisjoint((*rule.none, *rule.any, *rule.all, *rule.context)):

            def share(matchers: tuple[Matcher, ...]) -> tuple[Matcher, ...]:
                return tuple(
                    matcher
                    if matcher.pattern not in shared
                    else self._shared_searches.setdefault(matcher.pattern, _SharedSearch(matcher))  # type: ignore[misc]
                    for matcher in matchers
                )

            patterns = CompiledPatterns(
                share(patterns.any), share(patterns.all), share(patterns.none), share(patterns.context)
            )
        self._line_patterns[rule_index] = patterns
        return patterns

    # -- windows of lines (rules with `join`) ---------------------------------------------------------
    def _open_window(self, rule_index: int, number: int, text: str) -> None:
        if self._block and (
            self._line_end <= self._window_limits.get(rule_index, -1)
            or self._window_cannot_match(rule_index, number, text)
        ):
            return
        window = _Window(rule_index, number, [text], self.rules[rule_index].join, self._package)
        if not self._block or not self._fill_window(window, self._block, self._line_end + 1):
            self._windows.append(window)  # the lines it needs come with the next block or line

    def _fill_window(self, window: _Window, block: bytes, position: int) -> bool:
        """Read the window's next lines from `block` at `position`; True when it was complete (and closed)."""
        while window.wanted and position < len(block):
            end = block.find(b"\n", position)
            end = len(block) if end < 0 else end
            window.pending.append(block[position:end])
            window.wanted -= 1
            position = end + 1
        if window.wanted:
            return False
        self._close_window(window)
        return True

    def _window_line(self, window: _Window, number: int, raw: bytes) -> bool:
        """One more line for a window, fed line by line; a gap (lines a capture dropped) closes it."""
        if number == window.first + 1 + len(window.pending):
            window.pending.append(raw)
            window.wanted -= 1
            if window.wanted:
                return False
        self._close_window(window)
        return True

    def _close_window(self, window: _Window) -> None:
        """Search the window with the rule's multi-line patterns; each match is a hit on the line it starts
        on, and its evidence is every line it spans."""
        if not self._window_may_match(window):
            return
        rule, state = self.rules[window.rule], self._states[window.rule]
        lines = [*window.lines, *(normalise_line(raw) for raw in window.pending)]
        if not rule.builtin:
            lines = [line[:USER_LINE_CHARS] for line in lines]
        subject = "\n".join(lines)
        patterns = rule.compiled

        def hit(match: re.Match[str]) -> tuple[tuple[int, str, dict[str, str]], tuple[Evidence, ...]]:
            first = subject.count("\n", 0, match.start())
            last = first + match.group().rstrip("\n").count("\n")
            spanned = range(first + 1, last + 1)
            spans = tuple(Evidence(window.first + i, lines[i]) for i in spanned if lines[i])
            return (window.first + first, lines[first], _captures(match)), spans

        if any(matcher.multiline and matcher.search(subject) for matcher in patterns.none):
            state.vetoed = True
        for matcher in patterns.any:
            match = matcher.search(subject) if matcher.multiline else None
            if match:
                found, spans = hit(match)
                state.any.merge(found, window.package, spans)
                break
        for kind, all_hits in ((patterns.all, state.all), (patterns.context, state.context)):
            for position, matcher in enumerate(kind):
                match = matcher.search(subject) if matcher.multiline else None
                if match:
                    found, spans = hit(match)
                    all_hits[position].merge(found, None, spans)

    def _window_cannot_match(self, rule_index: int, number: int, text: str) -> bool:
        """True when a window opening at the current line (`number`, its text `text`) would lie in the block
        in hand and hold none of the literals its multi-line patterns need (see _window_may_match, which it
        answers before the window is made: its lines all clean, so read as they are, in one piece)."""
        literals = self._window_literals[rule_index]
        if literals is None:
            return False
        index = self._block_index
        if index is None:
            # (the scan lowered the block already: its lower case is shared, not made again)
            scanned, scanned_lower = self._scanner.lowered
            facts = self._scanner.block_facts
            index = self._block_index = _BlockIndex(
                self._block,
                self._block_first,
                scanned_lower if scanned is self._block else None,
                self._window_finder,
                (self._asked_literals, facts[1], facts[2])
                if facts is not None and facts[0] is self._block
                else None,
            )
        join = self.rules[rule_index].join
        if index.quiet(rule_index, self._window_bytes[rule_index]):
            # No line of the block holds one of the literals, and every line is clean: so neither does the
            # line's text (a part of it) nor the lines after it. Only whether they lie in the block is left:
            # up to where a line's window does (the end of the line `join` lines before the block's last) is
            # kept for the rule's next windows in the block (_open_window).
            limit = self._window_limits[rule_index] = index.line_end_before_last(join)
            return self._line_end <= limit
        lowered = text.lower()
        for literal in literals:
            if literal in lowered:
                return False
        block = self._block
        start = position = self._line_end + 1
        end = position
        for _ in range(self.rules[rule_index].join):
            if position >= len(block):
                return False  # the window goes on in the next block
            end = block.find(b"\n", position)
            end = len(block) if end < 0 else end
            position = end + 1
        # What the lines hold is read from the block's index (see _BlockIndex), not from their text: the
        # same answer (the span's bytes are the block's), without slicing, lowering and searching them for
        # each window (~3 us on each "error:" line that opens cmake-missing's window).
        if index.unclean_within(start, end):
            return False
        return not any(
            index.holds_within(literal_bytes, start, end) for literal_bytes in self._window_bytes[rule_index]
        )

    def _window_may_match(self, window: _Window) -> bool:
        """False when none of the literals the rule's multi-line patterns need (each, one of its own) is in
        the window's lines, read as they are: those lines are then never normalised. Only lines whose text is
        a part of them (printable ASCII, see _consume) are read so; any other line, a pattern without such
        literals or one holding "\\n" makes it True."""
        literals = self._window_literals[window.rule]
        if literals is None:
            return True
        first = window.lines[0].lower()
        for literal in literals:
            if literal in first:
                return True
        encoded = self._window_bytes[window.rule]
        for raw in window.pending:
            if not _is_clean(raw):
                return True
            lowered = raw.lower()
            for literal_bytes in encoded:
                if literal_bytes in lowered:
                    return True
        return False

    def _note_failed_builds(self, words: list[str]) -> None:
        # pip 25.1+ names a local project by its URL ("Failed to build 'file:///tmp/proj' when ..."): its name
        # is the folder's, and the URL where it came from.
        for word in words:
            name = _package_name(word)
            if name is None or name in self._failed_builds:
                continue
            self._failed_builds.append(name)
            if _local_path(word) and len(self._path_packages) < 100:
                self._path_packages.setdefault(name, word)

    def _nested_requirement_line(self, text: str, indent: int) -> bool:
        """Whether a "Collecting x"/"Processing x" line sits deeper than pip's own (a nested pip's: -v), or
        a "Downloading x" line deeper than its own "Collecting" line's archive (2 columns in)."""
        if text.startswith(("Downloading ", "Using cached ")):
            return self._requirement_indent is not None and indent > self._requirement_indent + 2
        if indent > 4 or not text.startswith(("Collecting ", "Processing ")):
            return False
        if self._requirement_indent is not None and indent > self._requirement_indent:
            return True
        self._requirement_indent = indent
        return False

    def _track_structure(self, number: int, text: str, text_lower: str, indent: int) -> None:
        structure = _structure_of(text, text_lower, indent)
        if structure is not None:
            self._note_structure(number, text, indent, structure)

    def _note_structure(self, number: int, text: str, indent: int, structure: _Structure) -> None:
        """Follow what a line tells of pip's progress (see _structure_of, which read it): the package being
        worked on, failed builds, success, build errors."""
        package_line, name, local, failed, success, installed, pip_error, build_error = structure
        if package_line and not self._nested_requirement_line(text, indent) and name:
            # pip's build folder spells the project in lower case ("pip-install-x/pywavelets_<hex>/"): the
            # spelling pip printed first for the same project ("Collecting PyWavelets==1.1.1") is kept.
            if self._package is None or canonical_name(name) != canonical_name(self._package):
                self._package = name
            if local is not None and len(self._path_packages) < 100:
                self._path_packages[self._package] = local
        if failed and len(self._failed_builds) < 100:
            self._note_failed_builds(list(failed))
        if success:
            self._success_line = number
            # How many distributions it names ("Successfully installed a-1.0 b-2.0"): with one, pip's last
            # package is the one installed.
            self._installed_count = installed
            self._error_after_success = False
        elif pip_error and _RUN_FAILED.match(text):
            self._run_failed_line = number
            self._error_after_success = self._success_line > 0
        elif self._success_line and (pip_error or failed):
            # (pip before 20 prints "Successfully built x" for the others, then "Failed to build y" without
            # "ERROR:", and goes on to `setup.py install` y: a paste cut there has no error line of pip's)
            self._error_after_success = True
        if build_error:
            evidence = Evidence(number, text)
            if len(self._first_build_errors) < 16:
                self._first_build_errors.append(evidence)
            self._build_errors.append(evidence)

    def feed_stream(self, stream: BinaryIO) -> None:
        line = 1
        # A pasted log may have been hard-wrapped by a viewer: its lines are joined again first.
        for block in unwrap_blocks(read_blocks(stream)):
            self.feed_block(block, line)
            line = self._next_line

    # -- results ---------------------------------------------------------------------------------------
    def diagnoses(self) -> list[Diagnosis]:
        for window in self._windows:  # the log ended before these windows were full
            self._close_window(window)
        self._windows = []
        found = []
        for rule, state in zip(self.rules, self._states):
            diagnosis = self._diagnose(rule, state)
            if diagnosis is not None:
                found.append(diagnosis)
        return rank(found)

    def _diagnose(self, rule: Rule, state: _RuleState) -> Diagnosis | None:
        if state.vetoed or not state.any or not _pip_condition_holds(rule, self.facts):
            return None
        chosen = self._first_complete_hit(rule, state)
        if chosen is None:
            return None
        hit, supporting = chosen
        number = hit[0]
        if rule.phase == "install" and self._succeeded_after(max([number] + [h[0] for h in supporting])):
            return None
        captures: dict[str, str] = dict(rule.defaults)
        matched: set[str] = set()  # the captures the log itself gave (not a default)
        context_hits = self._nearest_context(rule, state, number)
        for _, _, found in [*context_hits, *supporting, hit]:
            captures.update({k: v for k, v in found.items() if v})
            matched.update(k for k, v in found.items() if v)
        # After pip installed several distributions ("Successfully installed a-1 b-2"), pip's lines name only
        # the last package it collected, not the one whose import failed (the import's own lines may name it).
        after_install = 0 < self._success_line < number and not self._error_after_success
        several_installed = after_install and self._installed_count != 1
        package = (
            captures.get("package")
            or _imported_project(captures.get("import_module") or captures.get("imported"))
            or (self._package_at(state, number) if rule.package_context and not several_installed else None)
        )
        values = dict(captures, package=package or "the package")
        if "supported_python" in rule.template_fields:  # parsing specifiers imports packaging (~20 ms)
            from safe_pip.facts import python_version_for

            requires = captures.get("requires") or captures.get("versions")
            values["supported_python"] = (
                python_version_for(requires, captures.get("pin")) if requires else None
            ) or ""
        if self.facts is not None and self.facts.pip_version:
            values["pip_version"] = ".".join(map(str, self.facts.pip_version))
        if "wheel" in captures:
            values["wheel_why"] = self._wheel_why(captures["wheel"], captures.get("tags", ""))
        spanned = [(e.line, e.text) for e in state.any.spans.get(number, ())]
        evidence_hits = sorted({(h[0], h[1]) for h in [hit, *supporting]} | set(spanned))
        if rule.category == FALLBACK_CATEGORY:
            # pip's last failure line ("ERROR: Failed building wheel for x") comes after the build's output;
            # with no error line of the build's own, pip's line is the evidence.
            last = state.any.all()[-1]
            evidence = self._fallback_evidence(last[0]) or (Evidence(last[0], last[1]),)
        else:
            evidence = tuple(Evidence(line, text) for line, text in evidence_hits[:_EVIDENCE_LINES])
        context = replace(
            self.context,
            package=package,
            package_path=self._path_packages.get(package or "")
            or _source_of(package, self._sources, self._index_names),
            package_manager=self.context.package_manager
            or (self.facts.package_manager if self.facts else None),
        )
        if self.facts is None and context.package_manager is None:
            # A log from elsewhere: the lines the diagnosis rests on say which system printed them, and the
            # fix commands are that system's.
            # (and the lines its context patterns read: a compile command whose flags name the system)
            lines = [text for _, text in evidence_hits] + [item.text for item in evidence]
            printed_on = log_platform(lines + [text for _, text, _ in context_hits])
            if printed_on == LogPlatform() and self._platform_lines:
                # Those lines say nothing (`portaudio.h: No such file`, clang's "command failed"): the log's
                # other lines may (the compile command's `-I/opt/homebrew/include` a few lines up, a path).
                printed_on = log_platform(self._platform_lines)
            # A package manager the log's own advice names ("sudo apk add ...", "yum install ...") is then the
            # fix commands' (when the rule knows its package).
            context = replace(
                context,
                package_manager=printed_on.manager,
                log_system=printed_on.system,
                log_conda=printed_on.conda,
                log_alpine=printed_on.alpine,
                project_tool=self._project_tool,
                log_notebook=self._notebook,
                log_requested=_requested_for(
                    package, self._requested, self._index_names, self._origins, self._sources
                ),
                log_collected_as=_collected_as(package, self._origins),
                log_project_folder=_project_folder_for(
                    package, self._origins, self._sources, self._index_names
                ),
            )
        fixes = []
        for spec in rule.fixes:
            if matched.intersection(spec.unless):
                continue
            if after_install and spec.action in _BUILD_CHOICE_ACTIONS:
                continue  # the import of what pip installed failed: another way to install it changes nothing
            params = {key: fill_template(value, values) for key, value in spec.params.items()}
            fix = render_fix(
                spec.action,
                params,
                context,
                # Filled here, once, from the captures and the parameters: render_fix uses it as it is.
                title=fill_template(spec.title, {**values, **params}) if spec.title else None,
                allow_auto=spec.auto,
            )
            if fix is not None:
                fixes.append(fix)
        return Diagnosis(
            rule=rule.id,
            category=rule.category,
            confidence=rule.confidence,
            package=package,
            summary=fill_template(rule.summary, values),
            hint=fill_template(rule.hint, values),
            evidence=evidence,
            fixes=tuple(fixes),
            title=rule.title,
            priority=rule.priority,
            references=rule.references,
            fallback=rule.fallback,
            warning=rule.warning,
            explains=rule.explains,
        )

    def _first_complete_hit(
        self, rule: Rule, state: _RuleState
    ) -> tuple[tuple[int, str, dict[str, str]], list[tuple[int, str, dict[str, str]]]] | None:
        """The first `any` hit for which every `all` pattern has a hit (within the window); its supports.
        Not a hit on a comment the user typed at a prompt (_TYPED_COMMENT)."""
        for hit in state.any.all():
            if _TYPED_COMMENT.match(hit[1]):
                continue
            supporting = []
            for hits in state.all:
                near = [h for h in hits.all() if rule.window == 0 or abs(h[0] - hit[0]) <= rule.window]
                if not near:
                    break
                supporting.append(min(near, key=lambda h: abs(h[0] - hit[0])))
            else:
                return hit, supporting
        return None

    def _wheel_why(self, wheel: str, tags: str) -> str:
        """Why the wheel does not fit, in words: by dimension when the target's facts are known."""
        from safe_pip.wheeltags import describe_wheel, explain_wheel

        filename = wheel if wheel.endswith(".whl") else wheel + ".whl"
        target = self.facts.interpreter if self.facts is not None else None
        if target is not None:
            mismatches = explain_wheel(filename, target)
            if mismatches:
                return "; ".join(item.message for item in mismatches)
        # Without facts about the interpreter pip ran (a log from elsewhere): say what the wheel needs.
        described = describe_wheel(filename)
        if described:
            return f"it is built for {described}, and pip ran on another Python or platform"
        return (
            f"its tags ({tags}) do not fit this Python and platform" if tags else "its tags do not fit here"
        )

    def _nearest_context(
        self, rule: Rule, state: _RuleState, line: int
    ) -> list[tuple[int, str, dict[str, str]]]:
        found = []
        for hits in state.context:
            near = [h for h in hits.all() if rule.window == 0 or abs(h[0] - line) <= rule.window]
            if near:
                found.append(min(near, key=lambda h: abs(h[0] - line)))
        return found

    def _succeeded_after(self, line: int) -> bool:
        """The install succeeded after `line`: pip's success came later, with no error after it, and the run
        that printed `line` did not end in failure before it (a paste of two runs)."""
        return (
            self._success_line > line
            and not self._error_after_success
            and not line <= self._run_failed_line < self._success_line
        )

    def _package_at(self, state: _RuleState, line: int) -> str | None:
        """The package pip was working on at the rule's hit on `line`, else the first that failed to build."""
        return state.any.packages.get(line) or (self._failed_builds[0] if self._failed_builds else None)

    def _fallback_evidence(self, marker_line: int) -> tuple[Evidence, ...]:
        """The build's own error lines closest before pip's failure marker (not pip's boilerplate)."""
        errors = {
            e.line: e for e in (*self._first_build_errors, *self._build_errors) if e.line <= marker_line
        }

        def weight(item: Evidence) -> tuple[int, int]:
            if _TELLING_ERROR.search(item.text):
                return 2, item.line
            return (0 if _CONSEQUENCE_ERROR.search(item.text) else 1), item.line

        chosen = sorted(errors.values(), key=weight)[-3:]
        return tuple(sorted(chosen, key=lambda e: e.line))


def _scan_plan(keywords: Sequence[bytes]) -> tuple[list[bytes], list[list[bytes]]]:
    """Which terms to scan blocks for, and for each term the rule keywords to check on its lines."""
    words = [word.encode() for word in SCAN_WORDS]
    terms: list[bytes] = []
    covered: list[list[bytes]] = []
    positions: dict[bytes, int] = {}  # (a list's index() made 10,000 user keywords cost a second)

    def term_index(term: bytes) -> int:
        if term not in positions:
            positions[term] = len(terms)
            terms.append(term)
            covered.append([])
        return positions[term]

    for keyword in [*keywords, *(k.encode() for k in _STRUCTURE_KEYWORDS)]:
        word = next((word for word in words if word in keyword), keyword)
        covered[term_index(word)].append(keyword)
    for word in words:  # pip's structure lines (errors, "Successfully installed") are followed regardless
        term_index(word)
    return terms, covered


def _window_literals(rule: Rule) -> tuple[str, ...] | None:
    """Lower-case literals one of which every match of the rule's multi-line patterns holds, each within one
    line, or None (not a multi-line rule, or a pattern without such literals). A literal that spans lines
    stands by its longest part between newlines (a match holding it holds that part, within one of its
    lines: python-c-api-changed's "error: lvalue required as left operand of assignment\\n").

    A built-in rule's pattern may give rarer ones through its literal clauses (rules.literal_clauses): every
    match is of one of its alternatives, and holds a literal of each of that alternative's clauses, so one
    clause per alternative (its longest literals) will do as well. uv-requirements-conflict's veto needs "has"
    (its required literal) and, after it, "wheels" or "usable": "has" opened its window at every "has no "
    line (a gcc error's "'PGconn' has no member named"), "wheels"/"usable" do not. The set whose shortest
    literal is longer is kept."""
    if not rule.multiline:
        return None
    found: list[str] = []
    # The patterns `line_literals` stands a never-matching literal for are the multi-line ones.
    for kind, line_kind in zip((rule.none, rule.any, rule.all, rule.context), rule.line_literals):
        for pattern, line_found in zip(kind, line_kind):
            if line_found != ("\n",) or not _is_multiline(pattern):
                continue
            literals = rule._literals_of(pattern)
            if literals is None:
                return None
            pieces = _pieces(literals)
            if rule.builtin:
                finer = _clause_pieces(pattern)
                if finer is not None and (pieces is None or min(map(len, finer)) > min(map(len, pieces))):
                    pieces = finer
            if pieces is None:
                return None
            found.extend(pieces)
    return tuple(sorted(set(found))) or None


def _pieces(literals: Iterable[str]) -> tuple[str, ...] | None:
    """Each literal's longest part between newlines, lower-cased; None when one has none."""
    pieces = tuple(max(literal.split("\n"), key=len).lower() for literal in literals)
    return None if not pieces or not all(pieces) else pieces


def _clause_pieces(pattern: str) -> tuple[str, ...] | None:
    """Literals one of which every match of `pattern` holds (see _window_literals): of each alternative's
    clauses, the one whose shortest literal (its longest part between newlines) is longest, then the one of
    fewest literals; None when the pattern has no clauses or an alternative none that does."""
    clauses = literal_clauses(pattern)
    if clauses is None:
        return None
    found: list[str] = []
    for alternative in clauses:
        best: tuple[str, ...] | None = None
        for clause in alternative:
            pieces = _pieces(clause)
            if pieces is not None and (
                best is None or (min(map(len, pieces)), -len(pieces)) > (min(map(len, best)), -len(best))
            ):
                best = pieces
        if best is None:
            return None
        found.extend(best)
    return tuple(found) or None


def rank(diagnoses: Iterable[Diagnosis]) -> list[Diagnosis]:
    """Most likely root cause first; one diagnosis per category; a fallback only when nothing else matched
    (or only warnings printed before it did)."""
    ordered = sorted(
        diagnoses, key=lambda d: (-d.priority, -d.confidence, d.evidence[0].line if d.evidence else 0, d.rule)
    )
    best: dict[str, Diagnosis] = {}
    for diagnosis in ordered:
        best.setdefault(diagnosis.category, diagnosis)
    result = _causes_first(list(best.values()))
    fallbacks = [d for d in result if d.fallback]
    if fallbacks and (len(fallbacks) > 1 or not result[0].fallback):
        # Generic explanations do not add up (the highest one alone), and none stands beside a specific one
        # unless the specific ones are warnings printed before it.
        keep = result[0] if result[0].fallback else None
        result = [d for d in result if not d.fallback or d is keep]
    return result


def _yields_to(first: Diagnosis, second: Diagnosis) -> bool:
    """`first` was printed on the way to `second`: a warning before it, or a consequence after its cause."""
    if not first.evidence or not second.evidence:
        return False
    if first.warning and not second.warning and second.evidence[-1].line > first.evidence[-1].line:
        return True
    return first.category in second.explains and first.evidence[0].line > second.evidence[0].line


def _causes_first(ordered: list[Diagnosis]) -> list[Diagnosis]:
    """`ordered` (by priority), with each diagnosis moved after those it yields to (see `_yields_to`); a
    stable pass over a handful of diagnoses, bounded (a cycle of yields leaves the priority order)."""
    result = list(ordered)
    for _ in range(len(result)):
        moved = False
        for index, diagnosis in enumerate(result):
            later = [other for other in result[index + 1 :] if _yields_to(diagnosis, other)]
            if later:
                result.remove(diagnosis)
                result.insert(result.index(later[-1]) + 1, diagnosis)
                moved = True
                break
        if not moved:
            break
    return result


def classify_stream(
    stream: BinaryIO,
    rules: RuleSet | Sequence[Rule],
    facts: RuleFacts | None = None,
    context: FixContext | None = None,
) -> list[Diagnosis]:
    classifier = Classifier(rules, facts, context)
    classifier.feed_stream(stream)
    return classifier.diagnoses()


def _conditions_hold(rule: Rule, facts: RuleFacts | None) -> bool:
    """The [when] conditions on facts known before the log is read (`pip_older_than` is checked later, by
    `_pip_condition_holds`: the target's pip may only be looked up once a diagnosis asks for it)."""
    if facts is None or not rule.when:
        return True
    tools = facts.tools_on_path
    for key, values in rule.when.items():
        if key == "platform" and facts.platform is not None and facts.platform not in values:
            return False
        if key == "tool_missing" and tools is not None:
            known = [tools[name] for name in values if name in tools]
            if known and any(known):
                return False
        if key == "tool_present" and tools is not None:
            known = [tools[name] for name in values if name in tools]
            if known and not any(known):
                return False
        if key == "header_missing" and facts.headers is not None:
            known = [facts.headers[name] for name in values if name in facts.headers]
            if known and any(known):
                return False
    return True


def _pip_condition_holds(rule: Rule, facts: RuleFacts | None) -> bool:
    """`pip_older_than`, checked when diagnosing (the pip version may be learnt after the log is read): it
    holds only when the target's pip is known to be older, never on a guess."""
    limits = rule.when.get("pip_older_than")
    if not limits:
        return True
    known = facts.pip_version if facts is not None else None
    return known is not None and any(
        known < tuple(int(part) for part in limit.split(".")) for limit in limits
    )


def _structure_of(text: str, text_lower: str, indent: int) -> _Structure | None:
    """What a line's text (`text_lower` its lower case, `indent` its indent) tells of pip's progress, wherever
    the line is (Classifier._note_structure follows it): whether it is a package line at pip's own indent,
    and its package's name and local path; the packages it says failed to build; whether it says success and
    how many distributions it names; whether it is pip's error line; whether it is a build error. None when
    it tells none of these. Each regular expression runs only on lines that hold its literal: this runs for
    every candidate line."""
    # pip's own progress lines sit at most 4 columns in (pip 9's "    Running setup.py install for x:
    # finished"); a subprocess's output in pip's box sits at 6, e.g. the pip that installs build
    # dependencies, whose "Processing ./setuptools-x.whl" is not the package being installed.
    package_line = (indent <= 4 and text.startswith(_PACKAGE_LINE_STARTS)) or "pip-" in text
    name = local = None
    if package_line:
        for pattern in _PACKAGE_LINES:
            match = pattern.search(text)
            if match:
                token = match.groupdict().get("name")
                if token is None and match.groupdict().get("archive"):
                    name = archive_project(re.split(r"[/\\]", match.group("archive").split("#")[0])[-1])
                    break
                name = _package_name(token)
                if name and token and _local_path(token):
                    local = token
                break
    if package_line and local is None and text.startswith("Cloning "):
        # "Cloning https://host/org/netwidget.git (to revision v2) to /tmp/pip-install-x/netwidget_<hex>":
        # the package (its build folder's name) comes from that repository, not the index (a fix naming it
        # would fetch the index's project of that name).
        cloned = _CLONING.match(text)
        if cloned:
            url = cloned.group("url")
            name = _package_name(cloned.group("name"))
            local = url if re.match(r"[a-z]+\+", url) else "git+" + url
    failed: tuple[str, ...] = ()
    if "ailed" in text or "Could not build" in text:
        found = _FAILED_BUILD.search(text)
        if found:
            failed = tuple((found.group("listed") or found.group("names") or "").replace(",", " ").split())
    success = text.startswith(_SUCCESS_STARTS) and _SUCCESS.match(text) is not None
    installed = len(text.split()) - 2 if success else 0
    pip_error = not success and _PIP_ERROR.match(text) is not None
    build_error = (
        ("error" in text_lower or "fatal" in text_lower or "exception" in text_lower)
        and _is_build_error(text, text_lower)
        and not _is_not_evidence(text, text_lower)
    )
    if not (package_line or failed or success or pip_error or build_error):
        return None
    return package_line, name, local, failed, success, installed, pip_error, build_error


def _clauses_hold(clauses: _ClauseIds | None, found: frozenset[int]) -> bool:
    """A line holding the literals `found` meets each clause of one of a pattern's alternatives (see
    Classifier._literal_plan), or the pattern has no clauses."""
    return clauses is None or any(
        all(not clause.isdisjoint(found) for clause in alternative) for alternative in clauses
    )


def _spans_of(match: re.Match[str] | None) -> _Spans | None:
    """A match's captures as places (see _spans), or None."""
    return None if match is None else _spans(match)


def _spans(match: re.Match[str]) -> _Spans:
    """The places of a match's captures that are not empty (those _captures keeps)."""
    return tuple((name, *match.span(name)) for name, value in match.groupdict().items() if value)


# Each digit as "0": lines that differ only in their numbers are one (see Classifier._masked_entry).
_DIGIT_MASK = bytes.maketrans(b"123456789", b"000000000")
_DIGITS = frozenset("0123456789")
_DIGIT_BYTES = frozenset(b"0123456789")


def _has_digit(literal: str) -> bool:
    return not _DIGITS.isdisjoint(literal)


def _plain_text(raw: bytes, text: str, indent: int) -> bool:
    """A clean line's text is `raw` from `indent` on, cut where its text ends, and normalising it only
    strips its spaces (no CI prefix, progress bar, box glyph or uv label: logtext.normalise_with_indent's
    plain path, whose checks treat all digits alike, as do its cuts): a line that differs from it only in
    its digits has its text at the same place."""
    stripped = raw.lstrip()
    return (
        raw[:1] not in _NOT_PLAIN_STARTS
        and not raw.startswith(b"section_")
        and stripped[:1] not in _NOT_PLAIN_MARKS
        and not stripped.startswith(b"cause: ")
        and indent == len(raw) - len(stripped)
        and raw.startswith(text.encode("ascii"), indent)
    )


_BLIND: dict[str, bool] = {}


def _matcher_blind(matcher: Matcher | _SharedSearch) -> bool:
    """`_digit_blind` of a matcher's pattern (and no digit in the literals it checks first)."""
    if isinstance(matcher, _SharedSearch):
        matcher = matcher._matcher
    pattern = matcher.pattern
    blind = _BLIND.get(pattern)
    if blind is None:
        blind = _BLIND[pattern] = _digit_blind(pattern) and not any(map(_has_digit, matcher.literals or ()))
    return blind


def _digit_blind(pattern: str) -> bool:
    """Every part of `pattern` treats the digits 0-9 alike: no digit as a literal, no class holding some
    of them and not all, no back-reference. Its matches in a text and in that text with other digits are
    then at the same places (the engine's every step asks only what is alike for all digits). False when
    unsure (a part not known here)."""
    import sys

    if sys.version_info >= (3, 11):
        from re import _constants as constants
        from re import _parser as parser
    else:  # pragma: no cover - older Pythons
        import sre_constants as constants
        import sre_parse as parser
    try:
        tree: Any = parser.parse(pattern)
    except re.error:
        return False
    digits = [ord(digit) for digit in "0123456789"]
    literal, not_literal, in_, any_, at = (
        constants.LITERAL,
        constants.NOT_LITERAL,
        constants.IN,
        constants.ANY,
        constants.AT,
    )
    nested: dict[Any, Any] = {
        constants.SUBPATTERN: lambda value: [value[-1]],
        constants.BRANCH: lambda value: value[1],
        constants.MAX_REPEAT: lambda value: [value[2]],
        constants.MIN_REPEAT: lambda value: [value[2]],
        constants.ASSERT: lambda value: [value[1]],
        constants.ASSERT_NOT: lambda value: [value[1]],
    }
    for name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP"):
        op = getattr(constants, name, None)
        if op is not None:
            nested[op] = (
                (lambda value: [value[2]]) if name == "POSSESSIVE_REPEAT" else (lambda value: [value])
            )

    def in_class(items: Any, code: int) -> bool | None:
        """Whether a class (its negation aside, which flips every digit alike) holds the digit `code`;
        None for an item not known here."""
        for op, value in items:
            if op is literal:
                if value == code:
                    return True
            elif op is constants.RANGE:
                low, high = value
                if low <= code <= high:
                    return True
            elif op is constants.CATEGORY:
                # \d, \w, \S and "not a line break" hold every digit; \D, \W, \s and line breaks none
                name = str(value).upper()
                if ("DIGIT" in name or "WORD" in name) != ("NOT" in name):
                    return True
            elif op is not constants.NEGATE:
                return None
        return False

    def blind(items: Any) -> bool:
        for op, value in items:
            if op is literal or op is not_literal:
                if value in digits:
                    return False
            elif op is in_:
                # (a category treats all digits alike: \d, \w, \s and their negations)
                answers = {in_class(value, code) for code in digits}
                if len(answers) > 1 or None in answers:
                    return False
            elif op is any_ or op is at:
                continue
            elif op in nested:
                if not all(blind(part) for part in nested[op](value)):
                    return False
            else:
                return False  # a back-reference, a conditional, or a part not known here
        return True

    return blind(tree)


def _captures(match: re.Match[str]) -> dict[str, str]:
    found = match.groupdict()
    if not found:
        return found  # (a new dict each time: a window's hit may add to it, see _Hits.merge)
    return {name: value for name, value in found.items() if value}


# Fixes that change how pip gets a package (a wheel in place of a build, another release, pip itself): no
# answer to a failure after the install succeeded.
_BUILD_CHOICE_ACTIONS = frozenset(
    {"only-binary", "pin-to-wheel", "prefer-binary", "no-binary", "upgrade-pip"}
)


def _imported_project(module: str | None) -> str | None:
    """The project of a module a traceback shows being imported from an installed environment (`cv2` ->
    opencv-python; a module named as its project is that project)."""
    if not module:
        return None
    from safe_pip.projectnames import module_project

    return module_project(module) or module


# Where pip (or uv) says a project comes from a file, folder or URL rather than from the index by name:
#   Collecting tokcount@ git+https://host/org/tokcount@v0.4.1        (a PEP 508 direct reference)
#   Collecting git+https://host/org/whisp.git   |   Collecting https://host/dist/PyAudio-0.2.14.tar.gz
#   Obtaining mathx from git+https://host/org/mathx.git@main#egg=mathx   |   Obtaining file:///home/x/proj
#   Processing ./vendor/fastgeo   |   Processing c:\users\x\proj
#   error: Failed to download and build `gsrast @ git+https://host/org/gsrast`        (uv)
# and the projects it collects from the index by name ("Collecting requests>=2 (from proj==1.0)", "Could not
# find a version that satisfies the requirement corehttpx>=4 (from webkitx)").
_SOURCE_LINE = re.compile(
    # a Docker BuildKit step's prefix ("#11 39.47 ") or a CI runner's timestamp ("2024-05-01T10:23:45.12Z ")
    rb"(?P<prefix>#\d{1,3} \d{1,5}\.\d{1,3} |\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z )?"
    rb"[ \t]*(?:(?P<collect>Collecting|Obtaining|Processing|Downloading/unpacking) "
    rb"(?:(?P<name>[A-Za-z0-9][\w.-]*)(?: ?@ ?| from ))?(?P<source>[^\s;]+)"
    rb"|[^\n`]*`(?P<uvname>[A-Za-z0-9][\w.-]*) @ (?P<uvsource>[^`\s]+)`"
    rb"|[^\n]*?satisfies the requirement (?P<required>[A-Za-z0-9][\w.-]*))",
)
_SOURCE_MARKS = (
    b"Collecting ",
    b"Obtaining ",
    b"Processing ",
    b"Downloading/unpacking ",  # pip 1.4-1.5's "Collecting"
    b" @ ",
    b"satisfies the requirement ",
)
_DIRECT_PREFIXES = ("git+", "hg+", "svn+", "bzr+", "http://", "https://", "file:")
_MAX_SOURCES = 50
_MAX_REQUESTED = 10
_MAX_SOURCE_LINES = 2000


def _note_sources(
    block: bytes,
    limit: int,
    sources: list[tuple[str | None, str]],
    index: set[str],
    requested: list[str] | None = None,
    *,
    origins: dict[str, tuple[str, str]] | None = None,
) -> None:
    """The direct references the first bytes of a log install from (`sources`: project or None, source), the
    projects it collects by name (`index`): a fix names the failing project on the index only when it came
    from there (see _source_of); and the requirements pip's own lines (not indented: a build environment's
    pip's are) collect as asked, not "(from ...)" another (`requested`, as printed: `reportgen==1.4.0`), and
    for those collected "(from ...)" another, how and the root of that chain (`origins`: `cffi` ->
    (`cffi>=1.12`, `-r requirements.txt`) from "Collecting cffi>=1.12 (from cryptography==43.0.3->-r
    requirements.txt (line 4))"): a paste often starts below the line of what was asked."""
    if len(sources) + len(index) >= 2 * _MAX_SOURCES:
        return
    # Only the lines that hold one of the marks are matched (bytes.find, then the pattern at the line's
    # start): the pattern over every line of 512 KiB took ~30 ms.
    starts: set[int] = set()
    for mark in _SOURCE_MARKS:
        at = block.find(mark, 0, limit)
        while at >= 0 and len(starts) < _MAX_SOURCE_LINES:
            starts.add(block.rfind(b"\n", 0, at) + 1)
            end = block.find(b"\n", at)
            at = block.find(mark, end, limit) if end >= 0 else -1
    for start in sorted(starts):
        if len(sources) >= _MAX_SOURCES or len(index) >= _MAX_SOURCES:
            return
        end = block.find(b"\n", start)
        found = _SOURCE_LINE.match(block, start, end if end >= 0 else len(block))
        if found is None:
            continue
        if found.group("required") is not None:
            # "Could not find a version that satisfies the requirement corehttpx>=4 (from webkitx)": asked of
            # the index by name (here, or by a build environment's pip).
            index.add(canonical_name(found.group("required").decode()))
            continue
        if found.group("uvsource") is not None:
            sources.append((canonical_name(found.group("uvname").decode()), found.group("uvsource").decode()))
            continue
        source = found.group("source").decode("utf-8", "replace")
        name = found.group("name")
        by_name = found.group("collect") in (b"Collecting", b"Downloading/unpacking")
        direct = source.startswith(_DIRECT_PREFIXES) or (not by_name and _local_path(source))
        if direct:
            sources.append((canonical_name(name.decode()) if name else None, source))
        elif by_name and name is None:
            # A name, with its version specifier and "(from ...)" after it.
            project = re.match(r"[A-Za-z0-9][\w.-]*", source)
            if project:
                index.add(canonical_name(project.group(0)))
            line_end = block.find(b"\n", found.end())
            rest = block[found.end() : line_end if line_end >= 0 else len(block)]
            if (
                requested is not None
                and project
                and block[found.end("prefix") if found.group("prefix") else found.start() :][:1] == b"C"
                and not rest.strip()
                and source not in requested
                and len(requested) < _MAX_REQUESTED
            ):
                requested.append(source)
            elif origins is not None and project and len(origins) < _MAX_SOURCES:
                root = _from_root(rest.decode("utf-8", "replace"))
                if root:
                    origins.setdefault(canonical_name(project.group(0)), (source, root))


def _requested_for(
    package: str | None,
    requested: Sequence[str],
    index: set[str],
    origins: Mapping[str, tuple[str, str]] | None = None,
    sources: Sequence[tuple[str | None, str]] = (),
) -> tuple[str, ...]:
    """What the log's pip was asked for (see _note_sources), when `package` is a dependency it collected from
    the index for it: not one of them, yet collected by name ("Collecting fastcsvx>=0.9 (from reportgen)").
    With `origins`: when no line shows what was asked, the root of the dependency's "(from ...)" chain
    (`pynwb==2.5.0`, or `-r requirements.txt` as two words); when the package itself was asked for with a
    version (`Collecting llvmlite==0.34.0`), all that was asked, so a re-run keeps the user's pin. A root that
    may be a project the log installs from a folder or URL (`sources`) is not given. Empty
    otherwise (a package asked for without a version, or one the log did not collect: an import that failed
    later)."""
    if not package or canonical_name(package) not in index:
        return ()
    if requested:
        other = requested_other_than(package, requested)
        if other or origins is None:
            return other
        wanted = canonical_name(package)
        own = [text for text in requested if canonical_name(_requirement_name(text)) == wanted]
        return tuple(requested) if any(_VERSIONED.search(text) for text in own) else ()
    origin = (origins or {}).get(canonical_name(package))
    if origin is None:
        return ()
    root = origin[1]
    if root.startswith("-r "):
        return tuple(root.split(" ", 1))
    named = {name for name, _ in sources}
    if None in named or canonical_name(_requirement_name(root)) in named:
        return ()  # the root may be the user's folder or URL (`pip install -e .`): not a name on the index
    return (root,)


def _project_folder_for(
    package: str | None,
    origins: Mapping[str, tuple[str, str]],
    sources: Sequence[tuple[str | None, str]],
    index: set[str],
) -> str:
    """The user's own folder the log installs ("Processing /home/pi/smahub", from `pip install .`), when
    `package` is a dependency pip collected for it ("Collecting pydantic-core==2.18.2 (from
    pydantic==2.7.1->smahub==1.4.0)"): a venv of another Python gets that folder, not the dependency alone.
    Empty when the chain's root was collected by name or from a requirement file, or the log installs no
    folder, or several, or one by a file: URL (`pip install -e .`'s "Obtaining file:///...": an editable
    install is the user's to repeat)."""
    origin = origins.get(canonical_name(package)) if package else None
    if origin is None or origin[1].startswith("-"):
        return ""
    if canonical_name(_requirement_name(origin[1])) in index:
        return ""
    folders = {
        source
        for name, source in sources
        if name is None and _local_path(source) and not source.startswith("file:")
    }
    return next(iter(folders)) if len(folders) == 1 else ""


def _collected_as(package: str | None, origins: Mapping[str, tuple[str, str]]) -> str:
    """How the log's pip collected `package` "(from ...)" another project (`pandas==2.1.1` from
    metagpt==0.8.1): its version there is that project's to give, not the user's. Empty when the chain's root
    is a requirement file of the user's, or the log does not say."""
    origin = origins.get(canonical_name(package)) if package else None
    if origin is None or origin[1].startswith("-"):
        return ""
    return origin[0]


# The root of pip's "(from ...)" chain after a collected requirement: "(from a==1->b->-r req.txt (line 4))" is
# `-r req.txt`, "(from pynwb==2.5.0)" is `pynwb==2.5.0`. A requirement file in a temporary folder (pipenv's,
# pip-tools') is nothing to re-run.
_TEMPORARY_FILE = re.compile(r"^/(?:tmp|var/folders)/|pipenv-|\\Temp\\")
_FROM_CHAIN = re.compile(r"^\s*\(from (?P<chain>.+)\)\s*$")
_ROOT_FILE = re.compile(r"-r (?P<file>[^\s()]+)(?: \(line \d+\))?")
_ROOT_REQUIREMENT = re.compile(r"[A-Za-z0-9][\w.-]*(?:\[[\w,.-]*\])?(?:(?:===?|~=|!=|<=?|>=?)[\w.*+!-]+,?)*")
_VERSIONED = re.compile(r"===?|~=|<")


def _requirement_name(text: str) -> str:
    found = re.match(r"[A-Za-z0-9][\w.-]*", text)
    return found.group(0) if found else ""


def _from_root(rest: str) -> str:
    chain = _FROM_CHAIN.match(rest)
    if chain is None:
        return ""
    root = chain.group("chain").split("->")[-1].strip()
    as_file = _ROOT_FILE.fullmatch(root)
    if as_file is not None:
        path = as_file.group("file")
        return "" if _TEMPORARY_FILE.search(path) else f"-r {path}"
    return root if _ROOT_REQUIREMENT.fullmatch(root) else ""


def _notebook_of(block: bytes, limit: int, found: str | None) -> str | None:
    """The notebook a log's first bytes say pip ran in (see _NOTEBOOKS): Colab or Kaggle over Jupyter, whose
    note their %pip prints too, and Jupyter over a notebook of unknown kind."""
    rank = ("notebook", "jupyter", "colab", "kaggle")
    for mark, notebook in _NOTEBOOKS:
        if (found is None or rank.index(notebook) > rank.index(found)) and block.find(mark, 0, limit) >= 0:
            found = notebook
    return found


def _source_of(package: str | None, sources: Sequence[tuple[str | None, str]], index: set[str]) -> str | None:
    """The file, folder or URL the log installs `package` from: one it names for it, one whose last part
    (or `#egg=`) is its name, else, when pip collected no project of that name from the index, the one source
    whose project the log does not name (`git+https://host/org/whisp.git` built as `rowan-whisp`)."""
    if not package or not sources:
        return None
    wanted = canonical_name(package)
    for name, source in sources:
        if name == wanted or _source_name(source) == wanted:
            return source
    unnamed = {source for name, source in sources if name is None}
    if wanted not in index and len(unnamed) == 1:
        return unnamed.pop()
    return None


def _source_name(source: str) -> str | None:
    """The project a source's `#egg=` or last path part names (canonical), or None."""
    egg = re.search(r"[#&]egg=([A-Za-z0-9][\w.-]*)", source)
    if egg:
        return canonical_name(egg.group(1))
    name = _package_name(source)
    return canonical_name(name) if name else None


def _local_path(token: str) -> bool:
    """Whether pip's word for a package is a local folder or file (not a name, nor a remote URL)."""
    if token.startswith("file:"):
        return True
    return "://" not in token and ("/" in token or "\\" in token or token.startswith("."))


# Folders whose name is not the project's: a user's home (a Docker image's build user, `pip install .` there)
# and the work folders of container images (`WORKDIR /app`, `COPY . /usr/src/app`).
_UNNAMED_FOLDER = re.compile(
    r"/home/[^/]+|/Users/[^/]+|/root|/(?:usr/src/|opt/)?app|/src|/code|/workspace|[A-Za-z]:\\Users\\[^\\]+"
)


def _package_name(token: str | None) -> str | None:
    """A project name from what pip printed: a name, a requirement, a path or URL to an archive or folder."""
    if not token:
        return None
    token = path = token.rstrip("/\\")
    if "/" in token or "\\" in token or token.startswith("."):
        token = re.split(r"[/\\]", token)[-1].split("#")[0].split("?")[0]
        archive = archive_project(token)
        if archive:
            token = archive
        elif token.endswith((".tar.gz", ".zip", ".whl")):
            return None
        # A VCS URL's repository, "git+https://host/org/vision-zoo.git@v2.1": its name without ".git"
        token = token.split("@")[0].removesuffix(".git")
        if token in (".", ".."):
            return None  # "Processing ./." (pip 26 for `pip install .`): a folder the log does not name
        if _UNNAMED_FOLDER.fullmatch(path):
            return None  # "Processing /home/builder", "Processing /app": a home or a container's work folder
    token = token.split("@")[0].strip()
    if token.startswith("git+"):
        return None
    return token or None
