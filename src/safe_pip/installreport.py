"""pip's installation report (`pip install --dry-run --report FILE`, pip >= 22.2; report version "0" until
pip 23.0, then "1"): what pip would install, and for each distribution whether it comes as a wheel or is
built from source.

Pure: the caller gives the report's text. The format is pip's (https://pip.pypa.io/en/stable/reference/
installation-report/): `install[]` items carry `download_info` (PEP 610's direct_url.json: a `url` and one of
`archive_info`, `dir_info`, `vcs_info`), `is_direct`, `requested` and the distribution's `metadata`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from safe_pip.facts import canonical_name

__all__ = ["InstallReport", "PlannedDistribution", "ReportError", "parse_report"]

WHEEL, SDIST, DIRECTORY, VCS = "wheel", "sdist", "directory", "vcs"


class ReportError(ValueError):
    """The text is not a version-1 installation report."""


@dataclass(frozen=True)
class PlannedDistribution:
    """One distribution pip would install."""

    name: str  # as its metadata spells it
    version: str
    kind: str  # "wheel", "sdist" (an archive built from source), "directory" (a local folder), "vcs"
    url: str  # where pip gets it (download_info.url)
    requested: bool  # named by the user (command line or requirement file), not pulled in as a dependency
    is_direct: bool  # a direct reference (a file, folder or URL the user gave)
    sha256: str | None = None  # the archive's hash, when pip knows it
    editable: bool = False

    @property
    def key(self) -> str:
        """The canonical project name (`Foo_Bar` -> `foo-bar`)."""
        return canonical_name(self.name)

    @property
    def builds(self) -> bool:
        """Whether installing it means building it from source (everything but a wheel)."""
        return self.kind != WHEEL

    @property
    def filename(self) -> str:
        """The file's name in the URL (`psutil-5.9.0.tar.gz`), empty for a folder."""
        return unquote(urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]) if self.kind != VCS else ""


@dataclass(frozen=True)
class InstallReport:
    pip_version: str | None
    distributions: tuple[PlannedDistribution, ...]

    @property
    def source_builds(self) -> tuple[PlannedDistribution, ...]:
        return tuple(item for item in self.distributions if item.builds)


def parse_report(text: str) -> InstallReport:
    """The report's distributions, in pip's order. Raises ReportError, naming what is wrong, for text that is
    not a version-1 report."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ReportError(f"not JSON ({error}): {text[:80]!r}") from None
    if not isinstance(data, dict):
        raise ReportError(f"not a JSON object: {text[:80]!r}")
    # pip 22.2-22.3 wrote version "0" (experimental), with the same fields this reader uses.
    if str(data.get("version")) not in ("0", "1"):
        raise ReportError(f"unknown report version {data.get('version')!r} (expected '1')")
    items = data.get("install")
    if not isinstance(items, list):
        raise ReportError("the report has no 'install' list")
    found = []
    for number, item in enumerate(items):
        try:
            found.append(_distribution(item))
        except (KeyError, TypeError, AttributeError) as error:
            raise ReportError(f"install[{number}] is not readable: missing or wrong {error}") from None
    pip = data.get("pip_version")
    return InstallReport(pip_version=str(pip) if pip else None, distributions=tuple(found))


def _distribution(item: dict[str, object]) -> PlannedDistribution:
    info = item["download_info"]
    metadata = item["metadata"]
    if not isinstance(info, dict) or not isinstance(metadata, dict):
        raise TypeError("download_info/metadata")
    url = str(info["url"])
    sha256 = None
    if "vcs_info" in info:
        kind = VCS
    elif "dir_info" in info:
        kind = DIRECTORY
    else:
        archive = info.get("archive_info") or {}
        hashes = archive.get("hashes") or {}
        sha256 = hashes.get("sha256")
        legacy = str(archive.get("hash") or "")  # pip 22.2-22.x: "sha256=<hex>" only
        if sha256 is None and legacy.startswith("sha256="):
            sha256 = legacy[len("sha256=") :]
        path = urlsplit(url).path
        kind = WHEEL if path.endswith(".whl") else SDIST
    editable = bool(((info.get("dir_info") or {}) if kind == DIRECTORY else {}).get("editable"))
    return PlannedDistribution(
        name=str(metadata["name"]),
        version=str(metadata["version"]),
        kind=kind,
        url=url,
        requested=bool(item.get("requested")),
        is_direct=bool(item.get("is_direct")),
        sha256=str(sha256) if sha256 else None,
        editable=editable,
    )
