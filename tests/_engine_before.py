"""The rule engine as it was before issue 17 (commit 8a86480), frozen: tests/test_engine_equivalence.py
compares the current engine's results with it over the whole fixture corpus. Delete both once the new engine has
been trusted for a while. Not linted beyond syntax: a verbatim copy.
"""
# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from safe_pip.facts import canonical_name
from safe_pip.fixes import Fix, FixContext, render_fix
from safe_pip.classify import (
    _DOCKER_BUILD,
    _ELSEWHERE_BYTES,
    _PLATFORM_LINES,
    _PLATFORM_LITERALS,
    _PROJECT_TOOLS,
    _collected_as,
    _note_sources,
    _notebook_of,
    _project_folder_for,
    _requested_for,
    _source_of,
)
from safe_pip.logplatform import LogPlatform, log_platform
from safe_pip.logtext import _STEP_HEADER, _after_step_header, unwrap_blocks
from safe_pip.rules import _SCOPED_IGNORECASE, USER_LINE_CHARS, Rule, RuleSet, _is_multiline
from safe_pip.template import fill_template
from safe_pip.rules import _required_literals

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from safe_pip.wheeltags import InterpreterTags

__all__ = ["Classifier", "Diagnosis", "Evidence", "RuleFacts", "classify_stream", "rank"]

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
        }


# pip's own lines that say which package is being worked on (the failing package is the one in effect at
# the evidence line):
#   "Collecting psutil==5.9.8", "Collecting psutil>=5 (from -r requirements.txt (line 2))",
#   "Processing ./dist/fastmath-1.0.tar.gz", "  Building wheel for psutil (pyproject.toml): started",
#   "Running setup.py install for psutil ... error",
#   "Running setup.py bdist_wheel for psutil ... error" (pip 9),
#   "cwd: /tmp/pip-install-3k2j1h0g/psutil_5f8a.../", "in /tmp/pip-build-8h3k2j/psutil/" (pip 9)
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
    # "  Downloading orjson-3.8.9.tar.gz (657 kB)", "  Using cached https://host/.../psutil-5.9.8.tar.gz"
    re.compile(r"^(?:Downloading|Using cached) (?P<archive>\S+)"),
    # (not "pip-build-env-x/overlay/...": that is the isolated build environment, not a package)
    re.compile(
        # (pip-req-build-x is the source itself: its next part is the project's own, "build", "src"; kept
        # in step with classify's package lines, which this copy is compared with)
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
# "Failed to build: psutil==5.9.0" (older uv)
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
# A pip-level error: a later one means the run did not succeed after all.
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
# pip's own lines the classifier follows (the package being worked on, success): each holds a scan word.
#   "Collecting x", "Processing ./x.tar.gz" -> "collecting ", "processing "
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
    the package pip was working on at its line (when given): the package lines themselves are not kept."""

    first: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    last: deque[tuple[int, str, dict[str, str]]] = field(default_factory=lambda: deque(maxlen=_KEEP_HITS))
    packages: dict[int, str | None] = field(default_factory=dict)
    # The other lines a multi-line match spans, by the line it starts on (see Classifier._close_window).
    spans: dict[int, tuple[Evidence, ...]] = field(default_factory=dict)

    def add(self, hit: tuple[int, str, dict[str, str]], package: str | None = None) -> None:
        if len(self.first) < _KEEP_HITS:
            self.first.append(hit)
        else:
            if len(self.last) == _KEEP_HITS:
                dropped = self.last[0][0]
                if all(kept[0] != dropped for kept in self.first):
                    self.packages.pop(dropped, None)
                    self.spans.pop(dropped, None)
            self.last.append(hit)
        self.packages[hit[0]] = package

    def merge(
        self, hit: tuple[int, str, dict[str, str]], package: str | None, spans: tuple[Evidence, ...]
    ) -> None:
        """A window's hit: its captures join a kept hit on the same line (the line alone matched too)."""
        if hit[0] in self.packages:
            for kept in self.all():
                if kept[0] == hit[0]:
                    kept[2].update({k: v for k, v in hit[2].items() if k not in kept[2]})
        else:
            self.add(hit, package)
        if spans and hit[0] in self.packages:
            self.spans[hit[0]] = spans

    def all(self) -> list[tuple[int, str, dict[str, str]]]:
        # In line order: a window's hit arrives after the lines it spans were read.
        return sorted(self.first + list(self.last), key=lambda hit: hit[0])

    def __bool__(self) -> bool:
        return bool(self.first)


@dataclass
class _RuleState:
    any: _Hits = field(default_factory=_Hits)
    all: list[_Hits] = field(default_factory=list)
    context: list[_Hits] = field(default_factory=list)
    vetoed: bool = False


@dataclass
class _Window:
    """A line where a multi-line rule may match, and the lines after it, read as they come (see `join`)."""

    rule: int  # index in Classifier.rules
    first: int  # its first line's number
    lines: list[str]
    wanted: int  # lines still to read
    package: str | None


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
        self._keyword_rules: dict[bytes, list[int]] = {}
        for rule_index, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                self._keyword_rules.setdefault(keyword.encode(), []).append(rule_index)
        self.scan_terms, self._term_keywords = _scan_plan(list(self._keyword_rules))
        self._states = [
            _RuleState(all=[_Hits() for _ in rule.all], context=[_Hits() for _ in rule.context])
            for rule in self.rules
        ]
        # Rules with patterns that continue on the next lines, and their windows waiting for those lines.
        self._window_rules = frozenset(index for index, rule in enumerate(self.rules) if _old(rule)[0])
        self._windows: list[_Window] = []
        self._block = b""  # the block being read, and where the current line ends in it
        self._line_end = 0
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
        # (as the engine does since the fix review of the paste corpora: a log's lines that may name its
        # system, for a diagnosis whose own lines do not; the project manager whose Python range failed)
        self._platform_lines: list[str] = []
        self._docker_build = False
        self._project_tool: str | None = None
        self._sources: list[tuple[str | None, str]] = []
        self._index_names: set[str] = set()
        self._notebook: str | None = None
        self._requested: list[str] = []
        self._origins: dict[str, tuple[str, str]] = {}
        self._elsewhere_read = 0
        self._success_line = 0
        self._installed_count = 0
        self._error_after_success = False
        self._run_failed_line = 0
        self._build_errors: deque[Evidence] = deque(maxlen=64)
        self._first_build_errors: list[Evidence] = []
        self.lines_seen = 0

    # -- feeding ---------------------------------------------------------------------------------------
    def feed_block(self, block: bytes, first_line: int) -> None:
        """A block of whole lines starting at line `first_line` (1-based)."""
        block = plain_block(block)
        self._note_elsewhere(block)
        if self._windows:
            self._windows = [w for w in self._windows if not self._fill_window(w, block, 0)]
        self._block = block
        for number, start, end, hits in scan_spans(block, first_line, self.scan_terms):
            self._line_end = end
            self._consume(number, block[start:end], hits)
        self._block = b""
        self.lines_seen = first_line - 1 + block.count(b"\n") + (0 if block.endswith(b"\n") else 1)

    def _note_elsewhere(self, block: bytes) -> None:
        if self.facts is not None or self._elsewhere_read >= _ELSEWHERE_BYTES:
            return
        limit = min(len(block), _ELSEWHERE_BYTES - self._elsewhere_read)
        self._elsewhere_read += len(block)
        if self._project_tool is None:
            self._project_tool = next((tool for mark, tool in _PROJECT_TOOLS if mark in block[:limit]), None)
        _note_sources(block, limit, self._sources, self._index_names, self._requested, origins=self._origins)
        self._notebook = _notebook_of(block, limit, self._notebook)
        if not self._docker_build and any(mark in block[:limit] for mark in _DOCKER_BUILD):
            self._docker_build = True
            self._platform_lines = [
                line for line in self._platform_lines if any(m in line for m in ("apk add", "musl", "alpine"))
            ]
        marks = (b"apk add", b"musl", b"alpine") if self._docker_build else _PLATFORM_LITERALS
        start = 0
        for line in block.split(b"\n"):
            seen = line[: max(0, limit - start)]
            start += len(line) + 1
            if len(self._platform_lines) < _PLATFORM_LINES and any(m in seen for m in marks):
                self._platform_lines.append(line.decode("utf-8", "replace"))

    def feed_line(self, number: int, raw: bytes) -> None:
        """One line (without newline); slower than blocks, for lines already split (a capture)."""
        self._note_elsewhere(raw)
        if self._windows:
            self._windows = [w for w in self._windows if not self._window_line(w, number, raw)]
        lowered = raw.lower()
        hits = frozenset(index for index, term in enumerate(self.scan_terms) if term in lowered)
        if hits:
            self._consume(number, raw, hits)
        self.lines_seen = max(self.lines_seen, number)

    def _consume(self, number: int, raw: bytes, hits: frozenset[int]) -> None:
        text, indent = normalise_with_indent(raw)
        if not text:
            return
        lowered = raw.lower()
        text_lower = text.lower()
        self._track_structure(number, text, text_lower, indent)
        candidates: set[int] = set()
        for index in hits:
            term = self.scan_terms[index]
            for keyword in self._term_keywords[index]:
                if keyword == term or keyword in lowered:
                    candidates.update(self._keyword_rules.get(keyword, ()))
        for rule_index in candidates:
            rule = self.rules[rule_index]
            gate = _old(rule)[1]
            if gate is not None and not any(literal in text_lower for literal in gate):
                continue  # none of the literals its patterns need: no regex search for this rule
            state = self._states[rule_index]
            patterns = _old(rule)[3]
            if self._window_rules and rule_index in self._window_rules:
                self._open_window(rule_index, number, text)
            # A user's pattern sees the start of a long line only: what it may cost is bounded (see rules).
            subject = text if rule.builtin or len(text) <= USER_LINE_CHARS else text[:USER_LINE_CHARS]
            if not state.vetoed and any(matcher.search(subject) for matcher in patterns.none):
                state.vetoed = True
            for matcher in patterns.any:
                match = matcher.search(subject)
                if match:
                    state.any.add((number, text, _captures(match)), self._package)
                    break
            for position, matcher in enumerate(patterns.all):
                match = matcher.search(subject)
                if match:
                    state.all[position].add((number, text, _captures(match)))
            for position, matcher in enumerate(patterns.context):
                match = matcher.search(subject)
                if match:
                    state.context[position].add((number, text, _captures(match)))

    # -- windows of lines (rules with `join`) ---------------------------------------------------------
    def _open_window(self, rule_index: int, number: int, text: str) -> None:
        window = _Window(rule_index, number, [text], self.rules[rule_index].join, self._package)
        if not self._block or not self._fill_window(window, self._block, self._line_end + 1):
            self._windows.append(window)  # the lines it needs come with the next block or line

    def _fill_window(self, window: _Window, block: bytes, position: int) -> bool:
        """Read the window's next lines from `block` at `position`; True when it was complete (and closed)."""
        while window.wanted and position < len(block):
            end = block.find(b"\n", position)
            end = len(block) if end < 0 else end
            window.lines.append(normalise_line(block[position:end]))
            window.wanted -= 1
            position = end + 1
        if window.wanted:
            return False
        self._close_window(window)
        return True

    def _window_line(self, window: _Window, number: int, raw: bytes) -> bool:
        """One more line for a window, fed line by line; a gap (lines a capture dropped) closes it."""
        if number == window.first + len(window.lines):
            window.lines.append(normalise_line(raw))
            window.wanted -= 1
            if window.wanted:
                return False
        self._close_window(window)
        return True

    def _close_window(self, window: _Window) -> None:
        """Search the window with the rule's multi-line patterns; each match is a hit on the line it starts
        on, and its evidence is every line it spans."""
        rule, state = self.rules[window.rule], self._states[window.rule]
        lines = window.lines if rule.builtin else [line[:USER_LINE_CHARS] for line in window.lines]
        subject = "\n".join(lines)
        patterns = _old(rule)[2]

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
        """Whether a "Collecting x"/"Processing x" line sits deeper than pip's own (a nested pip's, pip -v)."""
        if text.startswith(("Downloading ", "Using cached ")):
            return self._requirement_indent is not None and indent > self._requirement_indent + 2
        if indent > 4 or not text.startswith(("Collecting ", "Processing ")):
            return False
        if self._requirement_indent is not None and indent > self._requirement_indent:
            return True
        self._requirement_indent = indent
        return False

    def _track_structure(self, number: int, text: str, text_lower: str, indent: int) -> None:
        # Each regex runs only on lines that hold its literal: this runs for every candidate line.
        # pip's own progress lines sit at most 4 columns in (pip 9's "    Running setup.py install for x:
        # finished"); a subprocess's output in pip's box sits at 6, e.g. the pip that installs build
        # dependencies, whose "Processing ./setuptools-x.whl" is not the package being installed.
        if (
            (indent <= 4 and text.startswith(_PACKAGE_LINE_STARTS)) or "pip-" in text
        ) and not self._nested_requirement_line(text, indent):
            cloned = _CLONING.match(text) if text.startswith("Cloning ") else None
            if cloned:
                name = _package_name(cloned.group("name"))
                if name:
                    if self._package is None or canonical_name(name) != canonical_name(self._package):
                        self._package = name
                    url = cloned.group("url")
                    if len(self._path_packages) < 100:
                        self._path_packages[self._package] = (
                            url if re.match(r"[a-z]+\+", url) else "git+" + url
                        )
            for pattern in () if cloned else _PACKAGE_LINES:
                match = pattern.search(text)
                if match:
                    token = match.groupdict().get("name")
                    if token is None and match.groupdict().get("archive"):
                        archive = _ARCHIVE.match(re.split(r"[/\\]", match.group("archive").split("#")[0])[-1])
                        name = archive.group("name") if archive else None
                        token = None
                    else:
                        name = _package_name(token)
                    if name:
                        if self._package is None or canonical_name(name) != canonical_name(self._package):
                            self._package = name
                        if token and _local_path(token) and len(self._path_packages) < 100:
                            self._path_packages[self._package] = token
                    break
        names: list[str] = []
        if "ailed" in text or "Could not build" in text:
            failed = _FAILED_BUILD.search(text)
            if failed:
                names = (failed.group("listed") or failed.group("names") or "").replace(",", " ").split()
                if names and len(self._failed_builds) < 100:
                    self._note_failed_builds(names)
        if text.startswith(_SUCCESS_STARTS) and _SUCCESS.match(text):
            self._success_line = number
            # How many distributions it names ("Successfully installed a-1.0 b-2.0"): with one, pip's last
            # package is the one installed.
            self._installed_count = len(text.split()) - 2
            self._error_after_success = False
        elif _PIP_ERROR.match(text) and _RUN_FAILED.match(text):
            self._run_failed_line = number
            self._error_after_success = self._success_line > 0
        elif self._success_line and (names or _PIP_ERROR.match(text)):
            self._error_after_success = True
        if (
            ("error" in text_lower or "fatal" in text_lower or "exception" in text_lower)
            and _BUILD_ERROR.search(text)
            and not _NOT_EVIDENCE.search(text)
        ):
            evidence = Evidence(number, text)
            if len(self._first_build_errors) < 16:
                self._first_build_errors.append(evidence)
            self._build_errors.append(evidence)

    def feed_stream(self, stream: BinaryIO) -> None:
        line = 1
        for block in unwrap_blocks(read_blocks(stream)):
            self.feed_block(block, line)
            line += block.count(b"\n")

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
        matched: set[str] = set()  # as the engine does since a fix may name captures that void it
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
            # A log from elsewhere: its system's fix commands (as the engine does since issue 13's pastes).
            # (and, as the engine does since the second pastes corpus, the lines its context patterns read)
            lines = [text for _, text in evidence_hits] + [item.text for item in evidence]
            printed_on = log_platform(lines + [text for _, text, _ in context_hits])
            if printed_on == LogPlatform() and self._platform_lines:
                printed_on = log_platform(self._platform_lines)
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


def _captures(match: re.Match[str]) -> dict[str, str]:
    return {name: value for name, value in match.groupdict().items() if value}


_ARCHIVE = re.compile(r"^(?P<name>.+?)-\d[^/\\]*?(?:\.tar\.gz|\.zip|\.tar\.bz2|\.tgz|\.whl)$")


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


def _local_path(token: str) -> bool:
    """Whether pip's word for a package is a local folder or file (not a name, nor a remote URL)."""
    if token.startswith("file:"):
        return True
    return "://" not in token and ("/" in token or "\\" in token or token.startswith("."))


def _package_name(token: str | None) -> str | None:
    """A project name from what pip printed: a name, a requirement, a path or URL to an archive or folder."""
    if not token:
        return None
    token = path = token.rstrip("/\\")
    if "/" in token or "\\" in token or token.startswith("."):
        token = re.split(r"[/\\]", token)[-1].split("#")[0].split("?")[0]
        archive = _ARCHIVE.match(token)
        if archive:
            token = archive.group("name")
        elif token.endswith((".tar.gz", ".zip", ".whl")):
            return None
        # A VCS URL's repository, "git+https://host/org/vision-zoo.git@v2.1": its name without ".git"
        token = token.split("@")[0].removesuffix(".git")
        if token in (".", ".."):
            return None  # "Processing ./." (pip 26 for `pip install .`): a folder the log does not name
        if re.fullmatch(
            r"/home/[^/]+|/Users/[^/]+|/root|/(?:usr/src/|opt/)?app|/src|/code|/workspace|[A-Za-z]:\\Users\\[^\\]+",
            path,
        ):
            return None
    token = token.split("@")[0].strip()
    if token.startswith("git+"):
        return None
    return token or None


# --- frozen copies of the logtext and rules code the engine used (issue 17's baseline) -----------------
MAX_LINE_CHARS = 4096
_BLOCK = 1 << 20
# Of a line longer than this, only the start is kept (the rest is skipped up to the next newline).
_MAX_RAW_LINE = 64 << 10

# CSI sequences ("\x1b[31m", "\x1b[2K"), OSC sequences (terminal titles, hyperlinks: "\x1b]8;;url\x1b\\"),
# two-byte escapes ("\x1b7"), and CSI as its one C1 character ("\x9b31m").
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]"
)
_ANSI_BYTES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")

# Prefixes that CI systems and Docker put before each line, removed repeatedly from the start:
#   GitHub Actions, Azure: "2024-05-01T10:23:45.1234567Z "   GitLab: "2024-05-01T10:23:45.123456Z 00O "
#   Jenkins timestamper: "[2024-05-01T10:23:45.123Z] " or "10:23:45  "   BuildKit: "#12 34.56 "
#   Azure/GitHub annotations: "##[error]", "::error::"   GitLab sections: "section_start:1714558000:step\r"
#   A Markdown quote around a paste: "> " (nested "> > "), or ">" glued to the text (">error: ...", which
#   GitHub renders as a quote too), not Python's prompt ">>> import x"
_CI_PREFIX = re.compile(
    r"^(?:>(?: >)*(?: |$|(?=[^\s>=]))"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?(?: \d\d[OE]\+?)? ?"
    r"|\[\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?\] ?"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)? +"
    r"|#\d+ \d+(?:\.\d+)? "
    r"|\d{1,5}\.\d{1,3} "
    r"|##\[(?:error|warning|section|debug|command|group|endgroup)\]"
    r"|::(?:error|warning|notice|debug)[^:]*::"
    r"|section_(?:start|end):\d+:[\w.-]+(?:\[[^\]]*\])?"
    r"|\[pipenv\.exceptions\.\w+\]: ?)"
)
# pip's boxes: "× Building wheel ...", "│ exit code: 1", "╰─> [6 lines of output]", the same glyphs read as
# cp1252 by a Windows console ("Ã—", "â”‚", "â•°â”€>"), and ASCII stand-ins some CI log viewers substitute;
# uv 0.13's chain of causes when its output is not a terminal: "  cause: Connection refused (os error 111)".
_BOX = re.compile(r"^(?:×|│|╰─>|[├╰]─▶|Ã—|â”‚|â•°â”€>|\|(?= )|\+->|cause:(?= ))\s*")
# pip's download progress bar, which what comes next may be glued to when pip printed no newline (the shell's
# "Killed" when the kernel ended pip): the bar, the size, the speed and the time left, each as pip drew them
#   pip 10-21:  "|████████████████████████████████| 500 MB 1.2 MB/s eta 0:00:01Killed"
#   pip 9:      "100% |████████████████████████████████| 500.1MB 1.2MB/s eta 0:00:01Killed"
#   pip 22+:    "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 500.0/500.0 MB 1.2 MB/s eta 0:00:01Killed"
#   --progress-bar ascii: "|################################| 500 MB 1.2 MB/s eta 0:00:01"
_PROGRESS = re.compile(
    r"^(?:\d{1,3}% )?(?:\|[█▉▊▋▌▍▎▏#. -]*\||[━╸╺╾╼-]{3,}) +[\d.]+(?:/[\d.]+)? ?[kMGT]?i?B\b"
    r"(?: +[\d.]+ ?[kMGT]?i?B/s)?(?: +eta (?:\d+:)?\d+:\d\d)? *"
)


# How a progress bar line starts (cheap to check before the regex on every line normalised).
_PROGRESS_STARTS = frozenset("|━╸0123456789")
# What a terminal would act on rather than show, once colours are gone: C0 controls but tab (BS and BEL
# rewrite or ring), DEL, C1 controls (U+009B is a one-character CSI), and the bidirectional marks, embeddings,
# overrides and isolates that reorder what is shown (U+202E makes `gpj.exe` read `exe.jpg`), and the Unicode
# line separators. A log line carries them only to mislead: they never reach safe-pip's own messages.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def clean_line(raw: bytes) -> str:
    """Decode one line and strip what a terminal would not show as text (colours, redraws, controls)."""
    if b"\r" in raw:
        # "\r" redraws a progress bar in place: what stays on screen is the last thing drawn.
        parts = [part for part in raw.split(b"\r") if part.strip()]
        raw = parts[-1] if parts else b""
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    if not text.isprintable():  # fast for the usual line; every character above is not printable
        text = _CONTROLS.sub("", text)
    return text


def _last_drawn(raw: bytes) -> bytes:
    """Of a line redrawn with "\\r", the last part that holds more than spaces (as `clean_line` keeps)."""
    end = len(raw)
    while end > 0:
        start = raw.rfind(b"\r", 0, end) + 1
        if raw[start:end].strip():
            return raw[start:end]
        end = start - 1
    return b""


def normalise_line(raw: bytes) -> str:
    """The text rules match: clean, without CI prefixes, pip's box glyphs or indentation, at most 4 KiB."""
    return normalise_with_indent(raw)[0]


def normalise_with_indent(raw: bytes) -> tuple[str, int]:
    """`normalise_line`, and how far the line was indented after any CI prefix: pip prints its own progress
    lines near the margin and a subprocess's output further in, so indentation tells them apart."""
    if len(raw) > MAX_LINE_CHARS * 4 and b"\r" in raw:
        raw = _last_drawn(raw)  # a line redrawn in place: what is left on screen
    text = clean_line(raw[: MAX_LINE_CHARS * 4])
    while True:
        match = _CI_PREFIX.match(text)
        if not match or not match.end():
            break
        text = text[match.end() :]
    # Mirrors logtext: a BuildKit step header glued to its first record (a viewer that lost the newline).
    if text[:1] in "#[" and " #" in text and _STEP_HEADER.match(text):
        text = _after_step_header(text)
    stripped = text.lstrip()
    indent = len(text) - len(stripped)
    text = stripped.rstrip()
    if text[:1] in _PROGRESS_STARTS and (not text[:1].isdigit() or text.find("% |", 1, 6) > 0):
        match = _PROGRESS.match(text)
        if match:
            text = text[match.end() :]
    match = _BOX.match(text)
    if match:
        text = text[match.end() :]
    return text[:MAX_LINE_CHARS], indent


# A web viewer's line numbers go and a hard-wrapped paste's lines are joined again by logtext.unwrap_blocks
# itself (imported above): that is text normalisation the redesign compared here did not touch, and it keeps
# changing with what pastes show.


# Mirrors logtext's reading of a log saved in UTF-16 (Windows PowerShell's `>`): given as UTF-8.
def _utf16_encoding(start: bytes) -> str | None:
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        body = start[2 : 4096 & ~1]
        high = body[1::2] if start[:2] == b"\xff\xfe" else body[0::2]
        if high and high.count(0) * 2 >= len(high):
            return "utf-16"
    sample = start[: 4096 & ~1]
    chars = len(sample) // 2
    if chars < 16:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd * 10 >= chars * 9 and even * 10 <= chars:
        return "utf-16-le"
    if even * 10 >= chars * 9 and odd * 10 <= chars:
        return "utf-16-be"
    return None


def _chunks(stream: BinaryIO, block_size: int) -> Iterator[bytes]:
    data = stream.read(block_size)
    while 0 < len(data) < 4096:  # enough of the start to tell, whatever the block size
        more = stream.read(block_size)
        if not more:
            break
        data += more
    encoding = _utf16_encoding(data) if data else None
    if encoding is None:
        while data:
            yield data
            data = stream.read(block_size)
        return
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    while data:
        yield decoder.decode(data).encode("utf-8")
        data = stream.read(block_size)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8")


def read_blocks(stream: BinaryIO, block_size: int = _BLOCK) -> Iterator[bytes]:
    """Blocks of whole lines (each ends with "\\n", except perhaps the last), with bounded memory.

    A line longer than 64 KiB keeps its first 64 KiB; the rest of it is skipped, so line numbers stay right.
    Of such a line redrawn in place with "\\r" (a progress bar in a terminal's capture: pip 9 redraws
    "57% |████▎ | 24.0MB 2.1MB/s eta 0:00:09" hundreds of times on one line), what was left on screen is
    kept too, after a "\\r": the shell's "Killed" or pip's next words glued to the bar are there.
    """
    pending = b""
    skipping = False  # inside the unkept rest of an overlong line
    drawn = _Redrawn()
    for chunk in _chunks(stream, block_size):
        data = chunk
        if skipping:
            cut = data.find(b"\n")
            drawn.follow(data if cut < 0 else data[:cut])
            if cut < 0:
                continue
            yield drawn.line(pending)
            pending = b""
            data = data[cut + 1 :]
            skipping = False
        data = pending + data if pending else data
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            pending = data[cut + 1 :]
            yield data[: cut + 1]
        if len(pending) > _MAX_RAW_LINE:
            drawn = _Redrawn()
            drawn.follow(pending)
            pending = pending[:_MAX_RAW_LINE]
            skipping = True
    if skipping:
        yield drawn.line(pending)[:-1]
    elif pending:
        yield pending


class _Redrawn:
    """Follows an overlong line's parts between "\\r"s (each bounded): the last part with text is what a
    terminal shows of the line at its end."""

    def __init__(self) -> None:
        self.current = b""  # since the last "\r" (at most 64 KiB)
        self.last = b""  # the last whole part that held more than spaces
        self.redrawn = False

    def follow(self, data: bytes) -> None:
        if b"\r" not in data:
            if len(self.current) < _MAX_RAW_LINE:
                self.current = (self.current + data)[:_MAX_RAW_LINE]
            return
        self.redrawn = True
        first, *middle, rest = data.split(b"\r")
        whole = (self.current + first)[:_MAX_RAW_LINE]
        if whole.strip():
            self.last = whole
        for part in reversed(middle):
            if part.strip():
                self.last = part[:_MAX_RAW_LINE]
                break
        self.current = rest[:_MAX_RAW_LINE]

    def line(self, head: bytes) -> bytes:
        """The kept line: its first 64 KiB, then what was left on screen of a redrawn line."""
        if not self.redrawn:
            return head + b"\n"
        shown = self.current if self.current.strip() else self.last
        return head + b"\r" + shown + b"\n"


# What a web page makes of a paste, back to what the terminal printed (issue 13, pages: blogs, forums, Q&A):
# typographic quotes a blog or Discourse puts for ' and " outside its code blocks (No module named ‘cmake’),
# the non-breaking spaces of a copy from HTML (U+00A0, and U+202F before French punctuation), and the HTML
# entities of a code block escaped twice (&lt; &gt; &quot; &#39; &#x27; &apos; &amp; &nbsp;). gcc's own
# ‘’ in a UTF-8 locale read as ' too, which every rule accepts alongside them. The ” of a box glyph a cp1252
# console printed (â”‚, â•°â”€>: _BOX) stays. None holds a newline, so line numbers hold.
_PAGE_TEXT = re.compile(
    rb"(?<!\xc3\xa2)\xe2\x80[\x98\x99\x9c\x9d\xaf]|\xc2\xa0|&(?:lt|gt|quot|apos|amp|nbsp|#39|#x27|#34);"
)
_PAGE_TEXT_AS = {
    b"\xe2\x80\x98": b"'",
    b"\xe2\x80\x99": b"'",
    b"\xe2\x80\x9c": b'"',
    b"\xe2\x80\x9d": b'"',
    b"\xe2\x80\xaf": b" ",
    b"\xc2\xa0": b" ",
    b"&lt;": b"<",
    b"&gt;": b">",
    b"&quot;": b'"',
    b"&apos;": b"'",
    b"&amp;": b"&",
    b"&nbsp;": b" ",
    b"&#39;": b"'",
    b"&#x27;": b"'",
    b"&#34;": b'"',
}
_PAGE_ENTITIES = (b"&lt;", b"&gt;", b"&quot;", b"&#", b"&amp;", b"&apos;", b"&nbsp;")


def _page_text_as(match: re.Match[bytes]) -> bytes:
    return _PAGE_TEXT_AS[match.group()]


def plain_block(block: bytes) -> bytes:
    """The block without colour codes, which can split a keyword ("\\x1b[1mERROR\\x1b[0m:"), and with a web
    page's quotes, spaces and entities as the terminal printed them (_PAGE_TEXT); none holds a newline, so
    line numbers hold."""
    if b"\x1b" in block:
        block = _ANSI_BYTES.sub(b"", block)
    if (
        b"\xe2\x80" in block
        or b"\xc2\xa0" in block
        or (b"&" in block and any(e in block for e in _PAGE_ENTITIES))
    ):
        block = _PAGE_TEXT.sub(_page_text_as, block)
    return block


def scan_block(
    block: bytes, first_line: int, keywords: Sequence[bytes]
) -> Iterator[tuple[int, bytes, frozenset[int]]]:
    """The lines of `block` that contain one of `keywords` (lower-case), with the indexes of those found.

    Yields (line number, raw line without its newline, keyword indexes), in order. Each keyword is searched
    over the whole block with `bytes.find`, skipping to the end of a line once it is found there: the cost
    is a few C-level scans per block, not a Python loop over lines.
    """
    block = plain_block(block)
    for number, start, end, hits in scan_spans(block, first_line, keywords):
        yield number, block[start:end], hits


def scan_spans(
    block: bytes, first_line: int, keywords: Sequence[bytes]
) -> Iterator[tuple[int, int, int, frozenset[int]]]:
    """`scan_block` of a `plain_block`, giving where each line is in it: (line number, start, end, keyword
    indexes), `block[start:end]` the line without its newline (so the lines after it can be read too)."""
    lowered = block.lower()
    hits: dict[int, set[int]] = {}
    for index, keyword in enumerate(keywords):
        find = lowered.find
        position = find(keyword)
        while position >= 0:
            start = lowered.rfind(b"\n", 0, position) + 1
            found = hits.get(start)
            if found is None:
                hits[start] = {index}
            else:
                found.add(index)
            end = find(b"\n", position)
            if end < 0:
                break
            position = find(keyword, end)
    number, counted_to = first_line, 0
    for start in sorted(hits):
        number += block.count(b"\n", counted_to, start)
        counted_to = start
        end = block.find(b"\n", start)
        yield number, start, end if end >= 0 else len(block), frozenset(hits[start])


class Matcher:
    """A compiled pattern, and literals one of which every match contains, to check first with `in`.

    A line that reached a rule through a broad keyword ("error") is usually not the line its patterns are
    about; `in` rejects it in tens of nanoseconds, where a regex search that cannot anchor on a literal
    prefix costs microseconds. `literals` is None when no such literals exist; for a case-insensitive
    pattern they are lower-case and are looked for in the lower-cased line.
    """

    __slots__ = ("ignore_case", "literals", "multiline", "regex")

    def __init__(self, pattern: str, literals: tuple[str, ...] | None) -> None:
        self.regex = re.compile(pattern)
        self.ignore_case = bool(self.regex.flags & re.IGNORECASE) or bool(_SCOPED_IGNORECASE.search(pattern))
        self.literals = literals
        self.multiline = _is_multiline(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        if self.literals is not None:
            haystack = text.lower() if self.ignore_case else text
            if not any(literal in haystack for literal in self.literals):
                return None
        return self.regex.search(text)


class _OldPatterns:
    def __init__(self, any, all, none, context):
        self.any, self.all, self.none, self.context = any, all, none, context


_NEVER = Matcher("(?!)", ("\n",))
_OLD: dict[int, tuple[object, object, object, object]] = {}


def _old(rule):
    """(multiline, gate, compiled, line_patterns) of a rule, as rules.Rule computed them."""
    key = id(rule)
    if key not in _OLD:
        patterns = (*rule.any, *rule.all, *rule.none, *rule.context)
        multiline = rule.join > 0 and any(_is_multiline(p) for p in patterns)

        def lits(p):
            return rule.literals[p] if p in rule.literals else _required_literals(p)

        found = [lits(p) for p in patterns]
        if multiline or any(f is None for f in found):
            gate = None
        else:
            gate = tuple(sorted({l.lower() for f in found if f for l in f}))

        def matchers(ps):
            return tuple(Matcher(p, lits(p)) for p in ps)

        compiled = _OldPatterns(
            matchers(rule.any), matchers(rule.all), matchers(rule.none), matchers(rule.context)
        )
        if multiline:

            def alone(ms):
                return tuple(_NEVER if m.multiline else m for m in ms)

            line = _OldPatterns(
                alone(compiled.any), alone(compiled.all), alone(compiled.none), alone(compiled.context)
            )
        else:
            line = compiled
        _OLD[key] = (rule, multiline, gate, compiled, line)
    return _OLD[key][1:]
