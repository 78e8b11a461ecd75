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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from safe_pip.buildneeds import BUILD_FILES

__all__ = ["SdistFiles", "fetch_sdist", "read_folder", "read_sdist", "sdist_files"]

MAX_DOWNLOAD = 256 << 20  # an sdist larger than this is not fetched (its build is then "unknown")
MAX_MEMBERS = 50_000  # names listed from one archive
MAX_TEXT = 1 << 20  # bytes read from one build file
FETCH_TIMEOUT_S = 120.0

# Runs in the target interpreter (pip >= 22.2, Python >= 3.7): pip's download command parses the user's
# source options with pip's configuration and builds pip's session, which fetches the URL. Nothing is built.
_FETCH_SCRIPT = r"""
import hashlib, json, sys
argv, url, dest, limit = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
out = {"error": None, "sha256": None, "size": 0}
try:
    from pip._internal.commands import create_command
    command = create_command("download")
    options, _args = command.parse_args(list(argv) + ["placeholder"])
    options.no_input = True
    session = command._build_session(options)
    response = session.get(url, stream=True, headers={"Accept-Encoding": "identity"})
    response.raise_for_status()
    digest = hashlib.sha256()
    with open(dest, "wb") as file:
        for chunk in response.iter_content(65536):
            out["size"] += len(chunk)
            if out["size"] > limit:
                raise ValueError("larger than %d bytes" % limit)
            digest.update(chunk)
            file.write(chunk)
    out["sha256"] = digest.hexdigest()
except BaseException as error:
    out["error"] = "%s: %s" % (type(error).__name__, error)
sys.stdout.write("safe-pip-fetch " + json.dumps(out) + "\n")
"""


@dataclass(frozen=True)
class SdistFiles:
    """An sdist's file names (below its top folder) and the text of its build files; `problem` says why
    nothing could be read (then both are empty)."""

    files: tuple[str, ...] = ()
    texts: tuple[tuple[str, str], ...] = ()
    problem: str | None = None


def fetch_sdist(
    python: str,
    url: str,
    sources: Sequence[str],
    dest: str,
    *,
    sha256: str | None,
    timeout: float = FETCH_TIMEOUT_S,
) -> str | None:
    """Fetch `url` to `dest` through the target's pip with the user's source options; None when done, else
    what went wrong. A hash pip gave in its report must match."""
    from safe_pip.runner import stopped_with_safe_pip

    argv = [python, "-c", _FETCH_SCRIPT, json.dumps(list(sources)), url, dest, str(MAX_DOWNLOAD)]
    try:
        with stopped_with_safe_pip():
            completed = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
            )
    except subprocess.TimeoutExpired:
        return f"the download did not finish within {timeout:g} s"
    except OSError as error:
        return f"the target's pip could not start: {error.strerror or error}"
    output = completed.stdout.decode("utf-8", "replace")
    line = next((text for text in output.splitlines() if text.startswith("safe-pip-fetch ")), None)
    if line is None:
        said = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"the download failed: {said[-1] if said else 'no answer'}"
    try:
        result = json.loads(line[len("safe-pip-fetch ") :])
    except ValueError:
        return f"the download failed: {line[:200]}"
    if result.get("error"):
        return f"the download failed: {str(result['error'])[:300]}"
    if sha256 and result.get("sha256") != sha256:
        return f"the downloaded file's sha256 {result.get('sha256')} is not the {sha256} pip's report names"
    return None


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


def sdist_files(python: str, url: str, sources: Sequence[str], sha256: str | None) -> SdistFiles:
    """Fetch (a URL) or open (a local file or folder) what pip would build, and read its build files."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        local = unquote(parts.path)
        return read_folder(local) if os.path.isdir(local) else _checked_local(local, sha256)
    with tempfile.TemporaryDirectory(prefix="safe-pip-sdist-") as folder:
        name = os.path.basename(unquote(parts.path)) or "sdist"
        dest = os.path.join(folder, name)
        problem = fetch_sdist(python, url, sources, dest, sha256=sha256)
        if problem is not None:
            return SdistFiles(problem=problem)
        return read_sdist(dest)


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
