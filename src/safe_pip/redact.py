"""Credentials in URLs (`https://user:token@host/simple`) are masked in everything safe-pip prints or keeps
apart from pip's own log: its messages, the commands it suggests, JSON reports and the history database.

The mask follows pip's own (`user:****@` when there is a password, `****@` for a lone token), so a URL reads
the same in pip's output and in safe-pip's. The saved log stays pip's output byte for byte; it is readable
only by the user.
"""

from __future__ import annotations

import re

__all__ = ["redact", "redact_json"]

# scheme://userinfo@ — userinfo stops at whitespace, `/` or quotes, so a path with an `@` (npm scopes,
# `pkg @ file:///x`) is left alone.
_CREDENTIALS = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:'\"]*)(?::(?P<password>[^\s/@'\"]*))?@"
)


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it masked."""
    if "@" not in text or "://" not in text:
        return text
    return _CREDENTIALS.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    if match.group("password") is not None:
        return f"{match.group('scheme')}{match.group('user')}:****@"
    return f"{match.group('scheme')}****@"


def redact_json(value: object) -> object:
    """A copy of a JSON-shaped value (dicts, lists, strings...) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(item) for item in value]
    return value
