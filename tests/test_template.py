"""Templates are filled once; what goes into them is data, whatever braces it holds."""

from __future__ import annotations

import pytest

from safe_pip.rules import RuleError, parse_rule
from safe_pip.template import fill_template


@pytest.mark.parametrize(
    "value",
    ["x{", "x}", "x{0}", "{package}", "{package.__class__}", "{}", "{{", "a}}b"],
    ids=["open", "close", "positional", "field-name", "attribute", "empty", "double-open", "double-close"],
)
def test_a_value_comes_out_as_it_went_in(value: str) -> None:
    assert fill_template("Use {package} ({package})", {"package": value}) == f"Use {value} ({value})"


def test_only_name_fields_are_filled_and_a_missing_one_is_empty() -> None:
    template = "{package} {missing}|{0}|{a.b}|{a[0]}|{a!r}|{{package}}|{|}"
    assert fill_template(template, {"package": "p", "a": "A"}) == "p |{0}|{a.b}|{a[0]}|{a!r}|{package}|{|}"


@pytest.mark.parametrize("field", ["{package!r}", "{package:>20}"], ids=["conversion", "format-spec"])
def test_a_rule_template_holds_plain_fields_only(field: str) -> None:
    data = {
        "id": "r",
        "category": "build-failed",
        "title": "t",
        "match": {"keywords": ["boom"], "any": ["boom"]},
        "explain": {"summary": f"{field} failed"},
    }
    with pytest.raises(RuleError, match="only plain"):
        parse_rule(data, "r.toml")
