"""The probe of a source distribution pip would build (probe.py's kind: it touches the outside world, never
raises, and says what went wrong instead): fetch the sdist through the target's own pip, and read the few
build files buildneeds.py looks at, without extracting anything to disk.

Why not `pip download --no-deps URL`: measured with pip 23.2 on an sdist whose setup.py leaves a mark when
run, `pip download` prepares the sdist's metadata (runs setup.py in an isolated build environment), and so
does `--no-build-isolation`. Fetching must not run the package's code: the script below asks pip's own
session (the user's index options and pip's configuration: proxy, certificates, netrc, keyring; its HTTP
cache, which the dry run just filled) for the URL, and only writes the bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from safe_pip.buildneeds import BUILD_FILES
from safe_pip.installreport import InstallReport

__all__ = [
    "DryRun",
    "SdistFiles",
    "dry_run_and_read",
    "read_folder",
    "read_sdist",
]

MAX_DOWNLOAD = 256 << 20  # an sdist larger than this is not fetched (its build is then "unknown")
MAX_MEMBERS = 50_000  # names listed from one archive
MAX_TEXT = 1 << 20  # bytes read from one build file

# Runs in the target interpreter (pip >= 22.2, Python >= 3.7) in place of `python -m pip install --dry-run
# --report REPORT ARGS` (plan): pip's own main with the same words, then, in the same process, the sdists
# pip's report names fetched through pip's session (pip is imported already: no second interpreter start,
# no second import of pip, which cost ~0.35 s of CPU, most of plan's extra time on a busy machine), and the
# interpreter's facts (probe's facts script). pip's output is the user's to see and diagnose; what this adds
# goes to a file. argv: pip's words (JSON), the source options for the session (JSON), the folder, the size
# limit, the facts script.
_DRY_RUN_SCRIPT = r"""
import hashlib, io, json, os, sys
if sys.path and sys.path[0] in ("", os.getcwd()):
    sys.path.pop(0)  # as `python -m pip` does: pip is not imported from the current folder
words, sources, folder = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
limit, facts_script = int(sys.argv[4]), sys.argv[5]
from pip._internal.cli.main import main
report = os.path.join(folder, "report.json")
code = main(["install", "--dry-run", "--report", report] + words)
out = {"exit_code": code, "fetched": {}, "facts": None, "error": None}
try:
    shown, sys.stdout = sys.stdout, io.StringIO()
    try:
        exec(facts_script, {"__name__": "safe_pip_facts"})
        out["facts"] = sys.stdout.getvalue()
    finally:
        sys.stdout = shown
except BaseException as error:
    out["error"] = "facts: %s: %s" % (type(error).__name__, error)
urls = []
if code == 0:
    try:
        with open(report) as file:
            for item in json.load(file).get("install", []):
                info = item.get("download_info") or {}
                url = str(info.get("url") or "")
                path = url.split("#")[0].split("?")[0]
                remote = url.startswith(("http://", "https://"))
                if "archive_info" in info and remote and not path.endswith(".whl"):
                    urls.append(url)
    except BaseException as error:
        out["error"] = "report: %s: %s" % (type(error).__name__, error)
if urls:
    try:
        from pip._internal.commands import create_command
        command = create_command("download")
        options, _args = command.parse_args(list(sources) + ["placeholder"])
        options.no_input = True
        session = command._build_session(options)
    except BaseException as error:
        session = None
        problem = "%s: %s" % (type(error).__name__, error)
    for number, url in enumerate(urls):
        dest = os.path.join(folder, "%d-%s" % (number, os.path.basename(url.split("#")[0].split("?")[0])))
        got = {"path": None, "sha256": None, "error": None, "size": 0}
        try:
            if session is None:
                raise RuntimeError(problem)
            response = session.get(url, stream=True, headers={"Accept-Encoding": "identity"})
            response.raise_for_status()
            digest = hashlib.sha256()
            with open(dest, "wb") as file:
                for chunk in response.iter_content(65536):
                    got["size"] += len(chunk)
                    if got["size"] > limit:
                        raise ValueError("larger than %d bytes" % limit)
                    digest.update(chunk)
                    file.write(chunk)
            got["path"], got["sha256"] = dest, digest.hexdigest()
        except BaseException as error:
            got["error"] = "%s: %s" % (type(error).__name__, error)
        out["fetched"][url] = got
with open(os.path.join(folder, "safe-pip-plan.json"), "w") as file:
    json.dump(out, file)
sys.exit(code)
"""


@dataclass(frozen=True)
class DryRun:
    """pip's dry run and what plan read with it: pip's exit code and merged output (-1: it could not run or
    did not finish), its report, each source build it names read (by canonical name), and the target's
    facts script output (probe.parse_interpreter_facts reads it)."""

    exit_code: int
    output: str
    report: InstallReport | None = None
    report_problem: str | None = None
    sources: Mapping[str, SdistFiles] = field(default_factory=dict)
    facts_output: str | None = None


def dry_run_and_read(
    python: str, args: Sequence[str], sources: Sequence[str], facts_script: str, timeout: float = 900
) -> DryRun:
    """`pip install --dry-run --report ARGS` in the target (nothing is installed; pip still prepares the
    metadata of the sdists it resolves, which runs their build backends in isolated environments), then
    each source build it would run read: fetched in the same process through pip's session (download only,
    the report's hash checked), or a local file or folder opened in place."""
    from safe_pip.installreport import ReportError, parse_report
    from safe_pip.runner import stopped_with_safe_pip

    with tempfile.TemporaryDirectory(prefix="safe-pip-plan-") as folder:
        argv = [
            python,
            "-c",
            _DRY_RUN_SCRIPT,
            json.dumps(list(args)),
            json.dumps(list(sources)),
            folder,
            str(MAX_DOWNLOAD),
            facts_script,
        ]
        try:
            with stopped_with_safe_pip():
                completed = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
        except subprocess.TimeoutExpired:
            return DryRun(-1, f"pip's dry run did not finish within {timeout:g} s\n")
        except OSError as error:
            return DryRun(-1, f"pip's dry run could not start: {error}\n")
        output = completed.stdout.decode("utf-8", "replace")
        added = _read_json(os.path.join(folder, "safe-pip-plan.json"))
        facts = added.get("facts") if isinstance(added.get("facts"), str) else None
        if completed.returncode != 0:
            return DryRun(completed.returncode, output, facts_output=facts)
        try:
            with open(os.path.join(folder, "report.json"), encoding="utf-8") as file:
                report = parse_report(file.read())
        except (OSError, ReportError) as error:
            return DryRun(0, output, report_problem=str(error), facts_output=facts)
        fetched = added.get("fetched")
        fetched = fetched if isinstance(fetched, dict) else {}
        read = {
            item.key: _read_build(item.url, item.sha256, fetched.get(item.url))
            for item in report.source_builds
        }
        return DryRun(0, output, report, None, read, facts)


def _read_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_build(url: str, sha256: str | None, fetched: object) -> SdistFiles:
    """A source build pip's report names: a local file or folder opened in place, or what the dry run's
    process fetched (its hash checked against the report's)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        local = unquote(parts.path)
        return read_folder(local) if os.path.isdir(local) else _checked_local(local, sha256)
    if not isinstance(fetched, dict):
        return SdistFiles(problem=f"{url} was not fetched (only archives from http(s) URLs are)")
    if fetched.get("error") or not fetched.get("path"):
        return SdistFiles(problem=f"the download failed: {str(fetched.get('error'))[:300]}")
    if sha256 and fetched.get("sha256") != sha256:
        got = fetched.get("sha256")
        return SdistFiles(
            problem=f"the downloaded file's sha256 {got} is not the {sha256} pip's report names"
        )
    return read_sdist(str(fetched["path"]))


@dataclass(frozen=True)
class SdistFiles:
    """An sdist's file names (below its top folder) and the text of its build files; `problem` says why
    nothing could be read (then both are empty)."""

    files: tuple[str, ...] = ()
    texts: tuple[tuple[str, str], ...] = ()
    problem: str | None = None


def read_sdist(path: str) -> SdistFiles:
    """The names and build files of a .tar.gz/.tar.bz2/.tar.xz/.zip sdist, read in place: only regular
    files' names are listed (at most MAX_MEMBERS), and only BUILD_FILES at its top level are read (at most
    MAX_TEXT bytes each). Nothing is written."""
    names: list[str] = []
    texts: dict[str, str] = {}
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist()[:MAX_MEMBERS]:
                    if info.is_dir():
                        continue
                    name = _below_top(info.filename)
                    names.append(name)
                    if name in BUILD_FILES and info.file_size <= MAX_TEXT:
                        with archive.open(info) as opened:
                            texts[name] = opened.read(MAX_TEXT).decode("utf-8", "replace")
        else:
            with tarfile.open(path, "r:*") as tar:
                for count, member in enumerate(tar):
                    if count >= MAX_MEMBERS:
                        break
                    if not member.isfile():
                        continue  # links, devices, folders: never followed nor read
                    name = _below_top(member.name)
                    names.append(name)
                    if name in BUILD_FILES and member.size <= MAX_TEXT:
                        extracted = tar.extractfile(member)
                        if extracted is not None:
                            texts[name] = extracted.read(MAX_TEXT).decode("utf-8", "replace")
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError, ValueError) as error:
        return SdistFiles(problem=f"the sdist could not be read: {error}")
    return SdistFiles(tuple(names), tuple(sorted(texts.items())))


def read_folder(folder: str) -> SdistFiles:
    """The same for a local project folder (a requirement naming a directory): names below it (skipping
    hidden folders such as .git and virtual environments) and its top-level build files."""
    root = Path(folder)
    if not root.is_dir():
        return SdistFiles(problem=f"{folder} is not a folder")
    names: list[str] = []
    for base, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".") and name not in ("node_modules",)]
        relative = Path(base).relative_to(root)
        names.extend(str(relative / name) if str(relative) != "." else name for name in files)
        if len(names) >= MAX_MEMBERS:
            break
    texts = {}
    for name in BUILD_FILES:
        path = root / name
        if path.is_file() and path.stat().st_size <= MAX_TEXT:
            texts[name] = path.read_text(encoding="utf-8", errors="replace")
    return SdistFiles(tuple(names[:MAX_MEMBERS]), tuple(sorted(texts.items())))


def _checked_local(path: str, sha256: str | None) -> SdistFiles:
    if sha256:
        try:
            digest_of = hashlib.sha256()
            with open(path, "rb") as file:
                for chunk in iter(lambda: file.read(1 << 16), b""):
                    digest_of.update(chunk)
            digest = digest_of.hexdigest()
        except OSError as error:
            return SdistFiles(problem=f"the sdist could not be read: {error}")
        if digest != sha256:
            return SdistFiles(problem=f"{path}'s sha256 {digest} is not the {sha256} pip's report names")
    return read_sdist(path)


def _below_top(name: str) -> str:
    """`fastmath-2.0/setup.py` -> `setup.py` (an sdist's files sit in one top folder)."""
    first, slash, rest = name.lstrip("./").partition("/")
    return rest if slash else first
