"""`safe-pip diagnose [--here] [--json] [FILE | -]`: explain an existing pip log."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Sequence

from safe_pip import __version__
from safe_pip.classify import Classifier, Diagnosis
from safe_pip.commands.context import EXIT_USAGE
from safe_pip.commands.library import from_builtin_rule, load_rule_library, rule_facts, with_interpreter_facts
from safe_pip.fixes import FixContext
from safe_pip.options import Invocation, UsageError
from safe_pip.redact import redact, redact_json
from safe_pip.render import Console, diagnoses_json, diagnosis_lines

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import BinaryIO


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("diagnose", help="explain an existing pip log")
    parser.add_argument("--json", action="store_true", help="print the diagnoses as JSON")
    parser.add_argument(
        "--here",
        action="store_true",
        help="the log came from this machine: use its facts (the target interpreter, the tools on PATH)",
    )
    parser.add_argument("file", nargs="?", help="the log file; '-' or nothing: standard input")


def run(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
    """Exit 0: at least one diagnosis; 1: nothing recognised; 2: the log cannot be read."""
    name = "-" if args.file is None else args.file
    if not name:
        # An empty name is a script's unset variable (`safe-pip diagnose "$LOG"`), not a request for stdin.
        raise UsageError("diagnose needs a log file name, not an empty one (or '-' for standard input)")
    if name == "-" and sys.stdin.isatty():
        raise UsageError("diagnose needs a log: `safe-pip diagnose build.log`, or pipe one in")
    rules = load_rule_library(invocation, console)
    # A log from elsewhere is diagnosed from its text alone. One from this machine (`--here`, or safe-pip's
    # own saved log) is diagnosed as a failed install is: with the facts of the interpreter safe-pip would use
    # and of the tools on PATH, and fixes written for that interpreter.
    here = bool(getattr(args, "here", False)) or (name != "-" and _is_saved_log(name))
    python = None
    if here:
        from safe_pip.commands.context import resolve_target
        from safe_pip.probe import detect_package_manager

        target = resolve_target(invocation, Console(color=False, stream=io.StringIO()))
        python = target.path if target is not None else None
        context = FixContext(python=python or "python3", package_manager=detect_package_manager())
        classifier = Classifier(rules, rule_facts(rules), context=context)
    else:
        classifier = Classifier(rules)
    # From this machine, a CUDA extension build is told while the log is read (stdin is read once).
    sniff = here and python is not None
    sniffer = None
    # The log's lines again, read only when a release pip did not find is explained from the log's other lines
    # (the Python and platform they name): the file once more, or a copy of standard input kept while read.
    kept = _KeptStream(sys.stdin.buffer) if name == "-" else None
    try:
        try:
            if kept is not None:
                sniffer = _CudaBuildSniffer(kept.stream()) if sniff else None
                classifier.feed_stream(sniffer.stream() if sniffer else kept.stream())
            else:
                with _open_log(name) as stream:
                    sniffer = _CudaBuildSniffer(stream) if sniff else None
                    classifier.feed_stream(sniffer.stream() if sniffer else stream)
        except OSError as error:
            console.error(f"cannot read the log {name!r}: {error.strerror or error}")
            return EXIT_USAGE
        diagnoses = with_interpreter_facts(classifier, python, ask=False) if here else classifier.diagnoses()
        # A release pip did not find: on this machine the index is asked as after an install (pip's
        # configuration gives the sources); from elsewhere, only what pip's lines say (issue 14).
        from safe_pip.index_diagnosis import with_index_facts, with_log_facts

        if not from_builtin_rule(rules, diagnoses):
            pass  # a user's own rule says what it says
        elif here and python is not None:
            diagnoses = with_index_facts(
                diagnoses, python=python, context=classifier.context, sources=(), lines=_LogLines(name, kept)
            )
        else:
            diagnoses = with_log_facts(diagnoses, lines=_LogLines(name, kept))
        built_for = None
        if sniffer is not None and sniffer.matched and python is not None:
            # Which torch/CUDA/Python/ABI the failed CUDA extension build was building for (issue 16.5).
            from safe_pip.commands.torch import cuda_build_target

            built_for = cuda_build_target(python, sniffer.matched)
        _print_diagnoses(diagnoses, as_json=args.json, console=console, build_target=built_for)
        return 0 if diagnoses else 1
    finally:
        if kept is not None:
            kept.copy.close()  # its temporary file, once past 4 MB


class _KeptStream:
    """Passes standard input's bytes on and keeps a copy (in memory up to 4 MB, then in a temporary file), so
    that its lines can be read again after the classifier has read them."""

    def __init__(self, source: BinaryIO) -> None:
        import tempfile

        self.source = source
        self.copy = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - read back later

    def stream(self) -> BinaryIO:
        from typing import cast

        return cast("BinaryIO", self)

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.copy.write(data)
        return data


class _LogLines:
    """The log's lines, read when iterated: the file `name` again, or the copy of standard input."""

    def __init__(self, name: str, kept: _KeptStream | None) -> None:
        self.name = name
        self.kept = kept

    def __iter__(self) -> Iterator[str]:
        from typing import cast

        from safe_pip.logtext import iter_lines

        try:
            if self.kept is not None:
                self.kept.copy.seek(0)
                yield from (line.text for line in iter_lines(cast("BinaryIO", self.kept.copy)))
                return
            with _open_log(self.name) as stream:
                yield from (line.text for line in iter_lines(stream))
        except OSError:
            return


class _CudaBuildSniffer:
    """Passes a log's bytes on to the classifier and meanwhile looks for a line that shows a CUDA extension
    build (`cudalog.is_cuda_extension_build`), until one is found; `matched` holds it."""

    _TAIL = 65536  # an unfinished line kept between reads; a longer one is cut to its end

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.matched: list[str] = []
        self._pending = b""

    def stream(self) -> BinaryIO:
        from typing import cast

        return cast("BinaryIO", self)

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        if self.matched:
            return data
        if not data:
            self._look(self._pending)
            self._pending = b""
            return data
        text = self._pending + data
        cut = text.rfind(b"\n")
        if cut < 0:
            self._pending = text[-self._TAIL :]
            return data
        self._pending = text[cut + 1 :][-self._TAIL :]
        self._look(text[: cut + 1])
        return data

    def _look(self, text: bytes) -> None:
        from safe_pip.cudalog import is_cuda_extension_build

        for line in text.decode("utf-8", "replace").splitlines():
            if is_cuda_extension_build((line,)):
                self.matched.append(line)
                return


def _is_saved_log(name: str) -> bool:
    """`name` is a log safe-pip saved (in its log folder): it came from this machine."""
    from safe_pip.commands.context import log_directory

    try:
        folder = os.path.realpath(log_directory())
        return os.path.dirname(os.path.realpath(name)) == folder
    except (OSError, ValueError):
        return False


def _open_log(name: str) -> BinaryIO:
    if os.path.isdir(name):
        raise IsADirectoryError(21, "Is a directory", name)
    return open(name, "rb")


def _print_diagnoses(
    diagnoses: Sequence[Diagnosis],
    *,
    as_json: bool,
    console: Console,
    build_target: tuple[str, dict[str, object]] | None = None,
) -> None:
    if as_json:
        import json

        report = diagnoses_json(diagnoses, __version__)
        if build_target is not None:
            report["build_target"] = build_target[1]
        print(json.dumps(redact_json(report), indent=2, ensure_ascii=False))
        return
    if not diagnoses:
        print("No known failure found in this log.")
    else:
        stdout = Console(color=console.color and sys.stdout.isatty(), stream=sys.stdout)
        for line in diagnosis_lines(diagnoses, console=stdout):
            print(redact(line))
    if build_target is not None:
        print(redact(build_target[0]))
