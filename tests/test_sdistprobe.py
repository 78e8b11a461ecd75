"""Fetching an sdist through the target's real pip (a loopback index) without running its code, and reading
its build files in place: real archives, a zip, hostile members."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from safe_pip.sdistprobe import MAX_TEXT, fetch_sdist, read_folder, read_sdist, sdist_files
from tests.lab.factory import c_extension_project, make_sdist
from tests.lab.servers import serve_index


def test_a_real_sdists_build_files_are_read_below_its_top_folder(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    read = read_sdist(str(sdist))
    assert read.problem is None
    assert sorted(read.files) == ["PKG-INFO", "fastmath.c", "pyproject.toml", "setup.py"]
    assert dict(read.texts).keys() == {"pyproject.toml", "setup.py"}
    assert "Extension(" in dict(read.texts)["setup.py"]


def test_a_zip_sdist(tmp_path: Path) -> None:
    path = tmp_path / "z-1.0.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("z-1.0/setup.py", "setup()\n")
        archive.writestr("z-1.0/src/z.c", "int x;\n")
        archive.writestr("z-1.0/docs/", "")
    read = read_sdist(str(path))
    assert (read.files, read.texts) == (("setup.py", "src/z.c"), (("setup.py", "setup()\n"),))


def test_links_and_oversized_build_files_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        link = tarfile.TarInfo("evil-1.0/setup.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
        big = b"#" * (MAX_TEXT + 1)
        info = tarfile.TarInfo("evil-1.0/pyproject.toml")
        info.size = len(big)
        archive.addfile(info, io.BytesIO(big))
    read = read_sdist(str(path))
    assert read.problem is None
    assert read.files == ("pyproject.toml",)  # the link is not even listed
    assert read.texts == ()
    assert not (tmp_path / "evil-1.0").exists()


def test_a_broken_archive_says_so(tmp_path: Path) -> None:
    path = tmp_path / "broken-1.0.tar.gz"
    path.write_bytes(b"not an archive")
    read = read_sdist(str(path))
    assert read.problem is not None
    assert read.problem.startswith("the sdist could not be read")


def test_a_local_folder(tmp_path: Path) -> None:
    (tmp_path / "proj" / ".git").mkdir(parents=True)
    (tmp_path / "proj" / ".git" / "HEAD").write_text("x")
    (tmp_path / "proj" / "setup.py").write_text("setup()\n")
    (tmp_path / "proj" / "src").mkdir()
    (tmp_path / "proj" / "src" / "m.c").write_text("")
    read = read_folder(str(tmp_path / "proj"))
    assert sorted(read.files) == ["setup.py", "src/m.c"]


@pytest.mark.e2e
def test_pip_fetches_without_running_setup_py_and_checks_the_hash(
    tmp_path: Path, env: dict[str, str], shared_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "setup-py-ran"
    files = c_extension_project("probe", "1.0")
    files["setup.py"] = f"open({str(marker)!r}, 'w').close()\n" + files["setup.py"]
    sdist = make_sdist(tmp_path / "index", "probe", "1.0", files)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    python = str(shared_venv)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():  # the target's pip reads the hermetic configuration
        monkeypatch.setenv(name, value)
    with serve_index(tmp_path / "index") as index:
        url = index.replace("/simple", "/files/probe-1.0.tar.gz")
        dest = tmp_path / "fetched.tar.gz"
        assert fetch_sdist(python, url, ["--index-url", index], str(dest), sha256=digest) is None
        assert dest.read_bytes() == sdist.read_bytes()
        wrong = fetch_sdist(python, url, [], str(tmp_path / "again"), sha256="0" * 64)
        assert wrong is not None
        assert "is not the 000" in wrong
        missing = fetch_sdist(
            python, index.replace("/simple", "/files/nothing.tar.gz"), [], str(dest), sha256=None
        )
        assert missing is not None
        assert "404" in missing
        read = sdist_files(python, url, ["--index-url", index], digest)
    assert read.problem is None
    assert "setup.py" in dict(read.texts)
    assert not marker.exists()


@pytest.mark.e2e
def test_one_process_started_early_fetches_every_sdist(
    tmp_path: Path, env: dict[str, str], shared_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fetch process may start before the URLs are known and is handed every URL at once: one
    interpreter start (and pip import) for all the sdists, whatever their number."""
    import subprocess

    from safe_pip.sdistprobe import SdistFetcher

    digests = {}
    for name in ("first", "second"):
        sdist = make_sdist(tmp_path / "index", name, "1.0", c_extension_project(name, "1.0"))
        digests[name] = hashlib.sha256(sdist.read_bytes()).hexdigest()
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def counting_popen(argv: list[str], *args: object, **kwargs: object) -> object:
        started.append(argv)
        return real_popen(argv, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    with serve_index(tmp_path / "index") as index:
        urls = [(index.replace("/simple", f"/files/{name}-1.0.tar.gz"), digests[name]) for name in digests]
        with SdistFetcher(str(shared_venv), ["--index-url", index]) as fetcher:
            fetcher.start()
            read = fetcher.read([*urls, (urls[0][0], "0" * 64)])
    assert len(started) == 1
    assert [item.problem for item in read[:2]] == [None, None]
    assert all("setup.py" in dict(item.texts) for item in read[:2])
    assert read[2].problem is not None
    assert "is not the 000" in read[2].problem


def test_a_fetcher_not_needed_is_ended(shared_venv: Path) -> None:
    from safe_pip.sdistprobe import SdistFetcher

    fetcher = SdistFetcher(str(shared_venv), []).start()
    process = fetcher._process
    assert process is not None
    fetcher.close()
    assert process.returncode is not None


def test_a_fetcher_that_cannot_start_says_so(tmp_path: Path) -> None:
    from safe_pip.sdistprobe import SdistFetcher

    with SdistFetcher(str(tmp_path / "no-python"), []) as fetcher:
        (problem,) = fetcher.fetch([("https://example.invalid/x-1.0.tar.gz", str(tmp_path / "x"), None)])
    assert problem is not None
    assert problem.startswith("the target's pip could not start")
