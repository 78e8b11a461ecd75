"""The network rules' printed check asks the index the log shows pip reading, not PyPI (issue 13: corpus-unseen-i's
e04-e06, `--index-url` to a dead loopback port and to a name that does not resolve, printed `curl pypi.org`)."""

from __future__ import annotations

import io

import pytest

from safe_pip.classify import classify_stream
from safe_pip.rules import load_rules

_REFUSED = (
    "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection "
    "broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object at 0x7f0>: Failed to "
    "establish a new connection: [Errno 111] Connection refused')': /simple/six/\n"
    "ERROR: Could not find a version that satisfies the requirement six (from versions: none)\n"
    "ERROR: No matching distribution found for six\n"
)


def _check(log: str) -> str:
    found = classify_stream(io.BytesIO(log.encode()), load_rules())
    assert found
    assert found[0].category == "network-error"
    commands = [fix.command for fix in found[0].fixes if fix.id == "check-network"]
    assert commands
    return commands[0]


@pytest.mark.parametrize(
    ("indexes", "command"),
    [
        ("Looking in indexes: http://127.0.0.1:9/simple\n", "curl -sSI http://127.0.0.1:9/simple/six/"),
        (
            "Looking in indexes: https://mirror.example/pypi/simple, https://extra.example/simple\n",
            "curl -sSI https://mirror.example/pypi/simple/six/",
        ),
        # pip hides a password as ****: no check could use that address
        (
            "Looking in indexes: https://user:****@private.example/simple\n",
            "curl -sSI https://pypi.org/simple/six/",
        ),
        ("", "curl -sSI https://pypi.org/simple/six/"),  # PyPI: pip prints no line
    ],
)
def test_the_check_asks_the_index_pip_read(indexes: str, command: str) -> None:
    assert _check(indexes + _REFUSED) == command
