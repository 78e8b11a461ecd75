"""Credentials in URLs (`https://user:token@host/simple`) are masked in everything safe-pip prints or keeps
apart from pip's own log: its messages, the commands it suggests, JSON reports and the history database.

The mask is pip's own (`redact_netloc` in pip/_internal/utils/misc.py), so a URL reads the same in pip's
output and in safe-pip's: the netloc (what follows `scheme://` up to the first `/`, `?` or `#`) holds
credentials when it has an `@`, and they end at its *last* `@` (a password may hold a raw `@`); they are split
into user and password at the first `:`. The user is kept (percent-quoted, as pip shows it) and the password
becomes `****`; credentials without a `:` (a token given as the user) become `****` altogether. Quotes are
ordinary characters of a netloc, so a password holding `'` or `"` (or shown shell-quoted,
`'https://u:p'"'"'w@host'`) is masked whole.

In free text a netloc also ends at whitespace, and before another `scheme://` written right after it. A
password holding a raw space or `/` cannot be told apart from the text around it; pip does not mask the
latter either. The saved log stays pip's output byte for byte; it is readable only by the user.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

__all__ = ["redact", "redact_json", "redact_netloc"]

# The netloc of each URL in a text: `://` after a scheme's last character, then everything up to the path,
# query, fragment, whitespace, or the `:/` of a URL written right after this one (`https://a@b,https://c@d/`).
# e.g. `Looking in indexes: https://alice:p@ss"w@host:8080/simple` -> `alice:p@ss"w@host:8080`
_NETLOC = re.compile(r"(?<=[A-Za-z0-9+.-])://(?P<netloc>(?:(?!:/)[^\s/?#])*@(?:(?!:/)[^\s/?#])*)")


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it masked."""
    if "@" not in text or "://" not in text:
        return text
    return _NETLOC.sub(lambda match: "://" + redact_netloc(match.group("netloc")), text)


def redact_netloc(netloc: str) -> str:
    """pip's mask of one netloc: `user:pass@host` -> `user:****@host`, `token@host` -> `****@host`."""
    if "@" not in netloc:
        return netloc
    auth, host = netloc.rsplit("@", 1)
    if ":" not in auth:
        return f"****@{host}"
    user = auth.split(":", 1)[0]
    return f"{quote(unquote(user))}:****@{host}"


def redact_json(value: object) -> object:
    """A copy of a JSON-shaped value (dicts, lists, strings...) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(item) for item in value]
    return value
