"""Property tests: on arbitrary input, normalisation, capture, classification and rule loading never raise
anything but their documented errors, and line numbers stay right."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safe_pip.capture import CaptureBuffer
from safe_pip.classify import classify_stream
from safe_pip.logtext import MAX_LINE_CHARS, normalise_line, plain_block, read_blocks, scan_block
from safe_pip.rules import _TOP_KEYS, RuleError, RuleSet, load_rules, parse_rule

# Log-like bytes: pip's words, box glyphs, escapes, CR, NUL, invalid UTF-8 and newlines, mixed at random.
FRAGMENTS = [
    b"ERROR: ",
    b"error: ",
    b"No such file or directory",
    b"fatal error: x.h",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x1b[31m",
    b"\x1b[0m",
    "\u00d7 ".encode(),
    "\u2502 ".encode(),
    b"\x00",
    b"\xff\xfe",
    b"  ",
    b"Collecting psutil",
    b"Killed",
    b"Successfully installed x-1.0",
    b"[Errno 2] ",
    b"'gcc'",
    b"2024-05-01T10:23:45.1234567Z ",
    b"#12 3.45 ",
    b"Failed building wheel for x",
]
log_bytes = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=40)), max_size=200).map(
    b"".join
)


@cache
def library() -> RuleSet:
    return load_rules()


@given(st.binary(max_size=20000))
def test_normalise_line_never_raises_and_is_bounded(raw: bytes) -> None:
    text = normalise_line(raw)
    assert isinstance(text, str)
    assert len(text) <= MAX_LINE_CHARS
    assert "\x00" not in text


@given(log_bytes, st.integers(min_value=1, max_value=64))
@example(b"ERROR: \xc2\xa0", 1)  # a no-break space the scan reads as a space (plain_block), on its own line
def test_blocks_and_scans_keep_line_numbers(data: bytes, block_size: int) -> None:
    data = data.replace(b"\x1b", b"")  # scan_block removes colour codes; compare plain lines
    # plain_block also reads a web page's typography (no-break spaces, curly quotes, HTML entities) as the
    # terminal printed it, never across a newline: the lines it yields are those of the plain text.
    truth = plain_block(data).split(b"\n")
    number = 1
    for block in read_blocks(io.BytesIO(data), block_size=block_size):
        for line, raw, _ in scan_block(block, number, [b"error", b"killed", b"collecting "]):
            assert raw == truth[line - 1]
        number += block.count(b"\n")


@given(log_bytes, st.lists(st.integers(min_value=1, max_value=300), max_size=30))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_capture_keeps_true_line_numbers(data: bytes, cuts: list[int]) -> None:
    buffer = CaptureBuffer(head_bytes=64, tail_bytes=128, kept_bytes=64, max_line_bytes=10000)
    position = 0
    for size in [*cuts, len(data)]:
        buffer.feed(data[position : position + size])
        position += size
    truth = data.split(b"\n")
    for line in buffer.lines():
        assert line.raw == truth[line.number - 1]


@given(log_bytes)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_classification_never_raises_and_cites_real_lines(data: bytes) -> None:
    diagnoses = classify_stream(io.BytesIO(data), library())
    lines = data.count(b"\n") + 1
    for diagnosis in diagnoses:
        assert diagnosis.evidence
        for item in diagnosis.evidence:
            assert 1 <= item.line <= lines


toml_values = st.recursive(
    st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.floats(allow_nan=False)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
# Every key the schema knows, and one it does not.
rule_keys = st.sampled_from([*sorted(_TOP_KEYS), "other"])


@given(st.dictionaries(rule_keys, toml_values, max_size=10))
def test_arbitrary_rule_data_only_raises_rule_error(data: dict[str, Any]) -> None:
    try:
        parse_rule(data, "fuzz.toml")
    except RuleError:
        pass


@given(st.text(max_size=300))
def test_arbitrary_rule_files_only_raise_rule_error(tmp_path_factory: Any, text: str) -> None:
    from safe_pip.rules import load_rule_file

    path = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_rule_file(path)
    except RuleError:
        pass


# A scripted pip for the attempt loop: each run fails (or not) with a diagnosis whose fixes are drawn at random
# from a small pool, so that fixes repeat, collide and change nothing in every way.
_FIX_POOL = [
    ("only-binary", ("--only-binary", "x"), {}, ()),
    ("prefer-binary", ("--prefer-binary",), {}, ()),
    ("limit-build-jobs", (), {"MAX_JOBS": "2"}, ()),
    ("limit-build-jobs", (), {"MAX_JOBS": "1"}, ()),
    ("upgrade-pip", (), {}, ("install", "--upgrade", "pip")),
    ("no-cache", ("--no-cache-dir",), {}, ()),
]
_outcome_plan = st.lists(
    st.tuples(
        st.booleans(),  # succeeded
        st.sampled_from(["missing-compiler", "out-of-memory", "network-error"]),
        st.sampled_from(["x", "y", None]),
        st.lists(st.tuples(st.integers(0, len(_FIX_POOL) - 1), st.booleans()), max_size=4),
    ),
    min_size=1,
    max_size=12,
)


# Cheap examples, and a repeat needs a particular sequence of failures: many more than the default 100.
@settings(max_examples=1500)
@given(_outcome_plan, st.integers(1, 6), st.lists(st.sampled_from([f[0] for f in _FIX_POOL]), max_size=3))
def test_the_attempt_loop_is_bounded_and_never_repeats_a_run(
    plan: list[tuple[bool, str, str | None, list[tuple[int, bool]]]],
    max_attempts: int,
    remembered: list[str],
) -> None:
    from collections.abc import Mapping

    from safe_pip.classify import Diagnosis, Evidence
    from safe_pip.fixes import Fix
    from safe_pip.retry import RunOutcome, run_with_fixes

    user = ("x",)
    runs: list[tuple[object, ...]] = []

    def run(
        args: tuple[str, ...],
        env: Mapping[str, str],
        before: tuple[str, ...],
        files: tuple[tuple[str, str], ...] = (),
    ) -> RunOutcome:
        runs.append((before, args, tuple(sorted(env.items()))))
        succeeded, category, package, fixes = plan[min(len(runs), len(plan)) - 1]
        if succeeded:
            return RunOutcome(0, 0.0)
        offered = tuple(
            Fix(name, name, auto, pip_args, env_changes, "cmd", "safe", (*pip_args, *user), before_run)
            for (name, pip_args, env_changes, before_run), auto in ((_FIX_POOL[i], a) for i, a in fixes)
        )
        diagnosis = Diagnosis("rule", category, 0.9, package, "s", "", (Evidence(1, "e"),), offered)
        return RunOutcome(1, 0.0, (diagnosis,))

    attempts = run_with_fixes(
        user, run, max_attempts=max_attempts, announce=lambda *_: None, remembered=lambda _: remembered
    )
    assert 1 <= len(attempts) == len(runs) <= max_attempts
    assert len(set(runs)) == len(runs)  # never the same argv, environment and command run first twice
    # every retry applied an automatic fix the run before it offered
    for before, after in zip(attempts, attempts[1:]):
        assert after.fix is not None
        assert after.fix.auto
        assert after.fix in before.outcome.diagnoses[0].fixes
        assert before.outcome.exit_code != 0
