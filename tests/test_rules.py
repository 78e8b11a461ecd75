"""Rule files: schema validation (each problem names file, rule and key) and layered loading."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from safe_pip.rules import RuleError, builtin_rule_files, load_rule_file, load_rules

ROOT = Path(__file__).resolve().parent.parent
VALID = textwrap.dedent(
    """\
    id = "{id}"
    category = "missing-compiler"
    title = "No compiler"
    priority = 70
    confidence = 0.9

    [match]
    keywords = ["failed"]
    any = ['''command '(?P<tool>gcc)' failed''']

    [explain]
    summary = "Building {{package}} needs {{tool}}."
    hint = "Install {{tool}}."

    [[fix]]
    action = "only-binary"
    """
)


def write_rule(folder: Path, rule_id: str, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rule_id}.toml"
    path.write_text(text if text is not None else VALID.format(id=rule_id))
    return path


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    rule = load_rule_file(write_rule(tmp_path, "my-rule"))
    assert rule.id == "my-rule"
    assert rule.category == "missing-compiler"
    assert rule.keywords == ("failed",)
    assert rule.compiled.any[0].search("command 'gcc' failed")


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (('id = "{id}"', 'id = "other"'), "id", "must equal the file name"),
        (
            ('category = "missing-compiler"', 'category = "compiler"'),
            "category",
            "unknown category 'compiler'",
        ),
        (("priority = 70", "priority = 700"), "priority", "integer from 0 to 100"),
        (("confidence = 0.9", "confidence = 2"), "confidence", "number from 0 to 1"),
        (('keywords = ["failed"]', 'keywords = ["Failed"]'), "match.keywords[0]", "lower-case"),
        (('keywords = ["failed"]', "keywords = []"), "match.keywords", "at least one keyword"),
        (
            ("any = ['''command '(?P<tool>gcc)' failed''']", "any = ['(unclosed']"),
            "match.any[0]",
            "bad regular expression",
        ),
        (
            ("any = ['''command '(?P<tool>gcc)' failed''']", "any = ['(a+)+b']"),
            "match.any[0]",
            "backtrack without end",
        ),
        (
            ('summary = "Building {{package}} needs {{tool}}."', 'summary = "needs {{compiler}}"'),
            "explain.summary",
            "uses {compiler}, which the rule does not define",
        ),
        (('action = "only-binary"', 'action = "sudo-rm"'), "fix[0].action", "unknown fix action 'sudo-rm'"),
        (
            ('action = "only-binary"', 'action = "trusted-host"\nparams = { host = "x" }\nauto = true'),
            "fix[0].auto",
            "can never be applied automatically",
        ),
        (
            ('action = "only-binary"', 'action = "only-binary"\nparams = { host = "x" }'),
            "fix[0].params.host",
            "takes no parameter 'host'",
        ),
        (("priority = 70", "priority = 70\ncolour = 'red'"), "colour", "unknown key"),
        (("[match]", "[when]\nmoon = ['full']\n\n[match]"), "when.moon", "unknown condition"),
    ],
    ids=[
        "id-stem",
        "category",
        "priority",
        "confidence",
        "keyword-case",
        "no-keywords",
        "bad-regex",
        "redos",
        "undefined-capture",
        "unknown-action",
        "unsafe-auto",
        "unknown-param",
        "unknown-key",
        "unknown-when",
    ],
)
def test_each_problem_names_file_rule_and_key(
    tmp_path: Path, change: tuple[str, str], key: str, reason: str
) -> None:
    text = VALID.format(id="bad-rule")
    old, new = (part.replace("{id}", "bad-rule").replace("{{", "{").replace("}}", "}") for part in change)
    assert old in text, old
    path = write_rule(tmp_path, "bad-rule", text.replace(old, new))
    with pytest.raises(RuleError) as caught:
        load_rule_file(path)
    assert caught.value.path == str(path)
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert str(path) in str(caught.value)


def test_not_toml_is_reported(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "broken", "id = [unclosed")
    with pytest.raises(RuleError, match="not valid TOML"):
        load_rule_file(path)


def test_optional_capture_needs_a_default(tmp_path: Path) -> None:
    text = VALID.format(id="two-patterns").replace(
        "any = ['''command '(?P<tool>gcc)' failed''']",
        "any = ['''command '(?P<tool>gcc)' failed''', 'cc failed']",
    )
    with pytest.raises(RuleError, match=r"uses \{tool\}"):
        load_rule_file(write_rule(tmp_path, "two-patterns", text))
    fixed = text.replace("[explain]", '[defaults]\ntool = "gcc"\n\n[explain]')
    assert load_rule_file(write_rule(tmp_path, "two-patterns", fixed)).defaults == {"tool": "gcc"}


def test_layers_override_by_id_disable_and_report_broken_rules(tmp_path: Path) -> None:
    user = tmp_path / "user"
    extra = tmp_path / "extra"
    write_rule(user, "shared-id")
    write_rule(user, "user-only")
    write_rule(extra, "shared-id", VALID.format(id="shared-id").replace("priority = 70", "priority = 99"))
    write_rule(extra, "broken", "not toml [")
    ruleset = load_rules(
        include_builtin=False, user_folder=user, extra_folders=[extra], disabled=["user-only"]
    )
    assert [rule.id for rule in ruleset.rules] == ["shared-id"]
    assert ruleset.rules[0].priority == 99  # the later layer wins
    assert [problem.path for problem in ruleset.problems] == [str(extra / "broken.toml")]
    missing = load_rules(include_builtin=False, extra_folders=[tmp_path / "nope"])
    assert "no such rule folder" in str(missing.problems[0])


def test_builtin_rules_are_found() -> None:
    files = builtin_rule_files()
    assert files
    assert all(path.suffix == ".toml" for path in files)


def test_the_builtin_library_cache_round_trips_and_follows_changes(tmp_path: Path) -> None:
    import marshal
    from dataclasses import fields

    from safe_pip.rules import _RULE_FIELDS, Rule, _builtin_rules

    assert tuple(field.name for field in fields(Rule)) == _RULE_FIELDS  # the cache's order of values
    written = load_rules(cache_folder=tmp_path / "library")
    assert written == load_rules()
    assert load_rules(cache_folder=tmp_path / "library") == written  # read back, it loses nothing
    assert all(rule.builtin for rule in written.rules)
    cache = tmp_path / "cache"
    path = write_rule(tmp_path / "rules", "cached-rule")
    assert [rule.title for rule in _builtin_rules([path], cache)] == ["No compiler"]
    (cached,) = cache.glob("builtin-rules-*.marshal")
    # The second load reads the cache: what is in it is what comes back.
    stamp, rows, multiline, clauses = marshal.loads(cached.read_bytes())  # noqa: S302 (its own file)
    title = _RULE_FIELDS.index("title")
    rows = [(*row[:title], "From the cache", *row[title + 1 :]) for row in rows]
    cached.write_bytes(marshal.dumps([stamp, rows, multiline, clauses]))
    assert [rule.title for rule in _builtin_rules([path], cache)] == ["From the cache"]
    # A changed rule file no longer fits the cache: parsed again, the cache rewritten in place.
    path.write_text(path.read_text().replace("No compiler", "Changed title!"))
    assert [rule.title for rule in _builtin_rules([path], cache)] == ["Changed title!"]
    assert list(cache.glob("builtin-rules-*.marshal")) == [cached]
    # A corrupt cache is replaced, never trusted.
    for damaged in (b"{not marshal", cached.read_bytes()[:-40], marshal.dumps([stamp, [("x",)], {}, {}])):
        cached.write_bytes(damaged)
        assert [rule.title for rule in _builtin_rules([path], cache)] == ["Changed title!"]
    # Another installation (another rules folder) keeps a cache of its own beside this one.
    other = write_rule(tmp_path / "other-install" / "rules", "cached-rule")
    other.write_text(other.read_text().replace("No compiler", "Other install"))
    assert [rule.title for rule in _builtin_rules([other], cache)] == ["Other install"]
    assert [rule.title for rule in _builtin_rules([path], cache)] == ["Changed title!"]
    assert len(list(cache.glob("builtin-rules-*.marshal"))) == 2


@pytest.mark.parametrize("pattern", [r"(a|a)+$", r"(a|aa)+$", r"(a{1,100}){1,100}$", r"a*a*a*a*a*a*b"])
def test_patterns_that_hang_are_refused_when_loading(tmp_path: Path, pattern: str) -> None:
    text = VALID.format(id="hangs").replace(
        "any = ['''command '(?P<tool>gcc)' failed''']", f"any = ['''{pattern}''']"
    )
    text = text.replace("{{tool}}", "gcc").replace("{tool}", "gcc")
    with pytest.raises(RuleError, match="backtrack without end") as caught:
        load_rule_file(write_rule(tmp_path, "hangs", text))
    assert caught.value.key == "match.any[0]"


def test_a_rule_file_must_be_a_regular_file_of_modest_size(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # reading it would block for ever
    with pytest.raises(RuleError, match="not a regular file"):
        load_rule_file(fifo)
    device = tmp_path / "device.toml"
    device.symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(RuleError, match="not a regular file"):
        load_rule_file(device)
    big = write_rule(tmp_path, "big", VALID.format(id="big") + "#" * (1 << 20) + "\n")
    with pytest.raises(RuleError, match="larger than 64 KiB"):
        load_rule_file(big)
    loaded = load_rules(include_builtin=False, extra_folders=[tmp_path])
    assert {Path(problem.path).name for problem in loaded.problems} == {
        "fifo.toml",
        "device.toml",
        "big.toml",
    }


def test_a_users_pattern_sees_the_start_of_a_long_line_only(tmp_path: Path) -> None:
    import io

    from safe_pip.classify import classify_stream
    from safe_pip.rules import USER_LINE_CHARS

    rule = load_rule_file(write_rule(tmp_path, "my-rule"))
    near = "x" * (USER_LINE_CHARS - 40) + " command 'gcc' failed"
    far = "x" * USER_LINE_CHARS + " command 'gcc' failed"
    assert classify_stream(io.BytesIO(near.encode() + b"\n"), [rule])
    assert not classify_stream(io.BytesIO(far.encode() + b"\n"), [rule])
    from safe_pip.rules import _builtin_rules

    (builtin,) = _builtin_rules([ROOT / "rules" / "compiler-not-found.toml"], None)
    assert builtin.builtin
    assert not rule.builtin


def test_rules_check_times_each_pattern_on_hostile_lines(tmp_path: Path) -> None:
    from safe_pip.rules import slow_patterns

    # Cubic, and not a shape the lint knows: a search from every "z(" tries every "q" after it.
    slow = r"z\(.*?q(?P<tool>[^']+)'.*?timed out"
    text = VALID.format(id="slow").replace("command '(?P<tool>gcc)' failed", slow)
    rule = load_rule_file(write_rule(tmp_path, "slow", text))
    (problem,) = slow_patterns(rule)
    assert problem.key == "match.any[0]"
    assert "slow on a hostile line" in str(problem)
    assert slow_patterns(load_rule_file(write_rule(tmp_path, "fine"))) == []


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (("any = ['''command", "join = 11\nany = ['''command"), "match.join", "from 0 to 10"),
        (("' failed''']", "' failed\\n''']"), "match.any[0]", "set match.join"),
        (("' failed''']", "' failed[\\n ]x''']"), "match.any[0]", "set match.join"),
        (('title = "No compiler"', 'title = "x"\nwarning = 1'), "warning", "true or false"),
        (
            ('title = "No compiler"', 'title = "x"\nexplains = ["dns"]'),
            "explains[0]",
            "unknown category 'dns'",
        ),
    ],
    ids=["join-too-long", "newline-without-join", "newline-in-class-without-join", "warning", "explains"],
)
def test_issue_13_keys_are_checked(tmp_path: Path, change: tuple[str, str], key: str, reason: str) -> None:
    old, new = change
    text = VALID.format(id="bad-rule")
    assert old in text, old
    with pytest.raises(RuleError) as caught:
        load_rule_file(write_rule(tmp_path, "bad-rule", text.replace(old, new, 1)))
    assert (caught.value.key, reason in caught.value.reason) == (key, True), caught.value


def test_a_pattern_that_only_excludes_a_newline_is_a_one_line_pattern(tmp_path: Path) -> None:
    # compiler-killed's "make[^\n]{0,200}?-j": the rest of one line, no join needed
    text = VALID.format(id="one-line").replace("' failed''']", "' failed[^\\n]*''']")
    rule = load_rule_file(write_rule(tmp_path, "one-line", text))
    assert not rule.multiline
    text = VALID.format(id="two-lines").replace("' failed''']", "' failed\\nnext''']")
    rule = load_rule_file(write_rule(tmp_path, "two-lines", text.replace("[match]", "[match]\njoin = 1")))
    assert (rule.multiline, rule.join, rule.gate) == (True, 1, None)


def test_issue_13_keys_survive_the_builtin_cache(tmp_path: Path) -> None:
    from safe_pip.rules import Rule

    text = VALID.format(id="x").replace(
        "[match]", 'warning = true\nexplains = ["network-error"]\n[match]\njoin = 2'
    )
    rule = load_rule_file(write_rule(tmp_path, "x", text))
    again = Rule.from_json(rule.to_json())
    assert (again.join, again.warning, again.explains) == (2, True, ("network-error",))


def test_a_users_rules_are_read_back_from_the_cache_until_their_files_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import safe_pip.rules as rules_module

    user, cache = tmp_path / "user", tmp_path / "cache"
    write_rule(user, "kept-rule")
    changed = write_rule(user, "changed-rule")
    write_rule(user, "broken", "not toml [")
    first = load_rules(include_builtin=False, user_folder=user, cache_folder=cache)
    assert [rule.id for rule in first.rules] == ["changed-rule", "kept-rule"]
    assert (
        load_rules(include_builtin=False, user_folder=user).rules == first.rules
    )  # the cache changes nothing
    parsed: list[str] = []
    load = rules_module.load_rule_file

    def counting(path: Path, **options: bool) -> rules_module.Rule:
        parsed.append(path.name)
        return load(path, **options)

    monkeypatch.setattr(rules_module, "load_rule_file", counting)
    assert load_rules(include_builtin=False, user_folder=user, cache_folder=cache).rules == first.rules
    assert parsed == ["broken.toml"]  # a broken rule is not cached: it is reported every time
    changed.write_text(VALID.format(id="changed-rule").replace("priority = 70", "priority = 99"))
    os.utime(changed, ns=(1, 1))  # another time, whatever the clock's resolution
    parsed.clear()
    again = load_rules(include_builtin=False, user_folder=user, cache_folder=cache)
    assert parsed == ["broken.toml", "changed-rule.toml"]
    assert [rule.priority for rule in again.rules] == [99, 70]
    assert [problem.path for problem in again.problems] == [str(user / "broken.toml")]


def test_a_matcher_knows_its_case_without_compiling_and_compiles_on_its_first_search() -> None:
    """Matchers are made for a whole rule, but compiled one by one when a line passes their literals (issue
    17: a short failed install compiled some 60 patterns): what they read from the pattern's text without
    compiling it (case) is what the compiled pattern says, for every built-in pattern."""
    import re

    from safe_pip.rules import _SCOPED_IGNORECASE, Matcher, load_rules

    for rule in load_rules().rules:
        for pattern in (*rule.any, *rule.all, *rule.none, *rule.context):
            matcher = Matcher(pattern, rule._literals_of(pattern))
            compiled = re.compile(pattern)
            expected = bool(compiled.flags & re.IGNORECASE) or bool(_SCOPED_IGNORECASE.search(pattern))
            assert matcher.ignore_case == expected, (rule.id, pattern)
            assert matcher._regex is None, (rule.id, pattern)
    matcher = Matcher("(?i)Fatal error: (?P<what>\\w+)", ("fatal error: ",))
    assert matcher.search("nothing here") is None
    assert matcher._regex is None  # rejected by its literal: never compiled
    found = matcher.search("FATAL ERROR: boom")
    assert found is not None
    assert found.group("what") == "boom"


def test_a_fix_unless_names_a_capture_of_the_rules_patterns(tmp_path: Path) -> None:
    text = VALID.format(id="unless").replace(
        'action = "only-binary"', 'action = "only-binary"\nunless = ["tool"]'
    )
    rule = load_rule_file(write_rule(tmp_path, "unless", text))
    assert rule.fixes[0].unless == ("tool",)
    from safe_pip.rules import Rule

    assert Rule.from_json(rule.to_json()).fixes == rule.fixes  # survives the built-in cache
    bad = text.replace('unless = ["tool"]', 'unless = ["compiler"]')
    with pytest.raises(RuleError) as caught:
        load_rule_file(write_rule(tmp_path, "unless", bad))
    assert (caught.value.key, "not a capture" in caught.value.reason) == ("fix[0].unless", True)


def test_a_fix_is_left_out_when_the_log_gave_a_capture_it_names(tmp_path: Path) -> None:
    import io

    from safe_pip.classify import classify_stream

    text = VALID.format(id="unless").replace(
        "any = ['''command '(?P<tool>gcc)' failed''']",
        "any = ['''command '(?P<tool>gcc)' failed(?: with (?P<why>\\w+))?''']",
    )
    text = text.replace("[explain]", '[defaults]\nwhy = ""\n\n[explain]')
    text = text.replace('action = "only-binary"', 'action = "check-network"\nunless = ["why"]')
    text += '\n[[fix]]\naction = "prefer-binary"\n'
    rule = load_rule_file(write_rule(tmp_path, "unless", text))
    bare = classify_stream(io.BytesIO(b"error: command 'gcc' failed\n"), (rule,))
    with_why = classify_stream(io.BytesIO(b"error: command 'gcc' failed with ENOENT\n"), (rule,))
    assert [fix.id for fix in bare[0].fixes] == ["check-network", "prefer-binary"]
    assert [fix.id for fix in with_why[0].fixes] == ["prefer-binary"]
