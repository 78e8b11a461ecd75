"""--json-report: the contract's report of a run (the command, every attempt, the exit code, the last log),
written so that a reader never sees half of it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence

from safe_pip import __version__
from safe_pip.options import Invocation
from safe_pip.redact import redact_json
from safe_pip.render import Console

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from safe_pip.retry import Attempt


# The `step` of the --torch-backend first run's attempts: the torch packages alone, from the PyTorch index.
TORCH_PACKAGES_STEP = "torch-packages"


def write_report(
    console: Console,
    invocation: Invocation,
    python: str,
    attempts: Sequence[Attempt],
    exit_code: int,
    *,
    earlier: Sequence[Attempt] = (),
    build_target: Mapping[str, object] | None = None,
    preflight: Mapping[str, object] | None = None,
) -> None:
    """The contract's --json-report: the command, every attempt, the exit code, the last log. `earlier`: the
    --torch-backend first run's attempts (listed first, with `"step": "torch-packages"`); `build_target`:
    what a failed CUDA extension build was building for; `preflight`: what --preflight predicted and
    changed before the first attempt."""
    import json

    from safe_pip.probe import detect_interpreter_facts

    facts = detect_interpreter_facts(python)
    command = [python, "-m", "pip", invocation.command or "install"]
    every = [*earlier, *attempts]
    report = {
        "schema_version": 1,
        "safe_pip_version": __version__,
        "python": python,
        "pip_version": ".".join(map(str, facts.pip_version)) if facts and facts.pip_version else None,
        "command": [*command, *invocation.args],
        "attempts": [
            *({**attempt.to_json(command), "step": TORCH_PACKAGES_STEP} for attempt in earlier),
            *(attempt.to_json(command) for attempt in attempts),
        ],
        "exit_code": exit_code,
        "log_file": every[-1].outcome.log_path if every else None,
        **({"build_target": dict(build_target)} if build_target is not None else {}),
        **({"preflight": dict(preflight)} if preflight is not None else {}),
    }
    path = invocation.options.json_report or ""
    text = json.dumps(redact_json(report), indent=2) + "\n"
    try:
        _write_report_file(path, text.encode("utf-8"))
    except OSError as error:
        console.warning(f"cannot write the JSON report {path!r}: {error.strerror or error}")


def _write_report_file(path: str, data: bytes) -> None:
    """Write the report so that a reader sees the old file or the whole new one, never half of it: a temporary
    file beside it (created 0600: the report holds the command line), then renamed over it. A symbolic link at
    `path` is refused, not followed, so a link planted in a shared folder cannot redirect the write; a pipe or
    terminal (`/dev/stdout`, `/dev/fd/3`), which cannot be replaced, is written to directly."""
    import errno
    import stat
    import tempfile

    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISLNK(found.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None
        if target is None or not (stat.S_ISFIFO(target.st_mode) or stat.S_ISCHR(target.st_mode)):
            raise OSError(errno.ELOOP, "it is a symbolic link, which safe-pip does not write through")
    if found is not None and not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode):
        with open(path, "wb") as stream:  # a pipe or terminal (or a link to one)
            stream.write(data)
        return
    folder, name = os.path.split(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
