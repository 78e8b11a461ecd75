"""Fill a message template's `{name}` fields from a mapping, once.

Rule messages and fix titles are templates; the values put into them are captured from logs, so they are
data that may hold `{`, `}` or `{0}`. `str.format` would evaluate attribute and index fields
(`{package.__class__}`) and a second pass over filled text would parse the captures as a template. Here a
field is only `{identifier}`, it is replaced by its value (empty when missing), and the result is never read
again: what a value holds comes out as it went in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["fill_template"]

# `{{` and `}}` are literal braces (as in str.format, which rule files were written against); `{name}` is a
# field; anything else (`{0}`, `{a.b}`, a lone brace) is left as it is.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^\W\d]\w*)\}")


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """`template` with each `{name}` replaced by `values[name]` ("" when missing), in one pass."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        return values.get(name, "")

    return _TOKEN.sub(replace, template)
