"""Fetching an sdist through the target's real pip (a loopback index) without running its code, and reading
its build files in place: real archives, a zip, hostile members."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from safe_pip.sdistprobe import MAX_TEXT, read_folder, read_sdist
from tests.lab.factory import c_extension_project, make_sdist


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
