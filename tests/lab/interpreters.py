"""Interpreters that fail in one way each, made from the one running the tests without touching it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["externally_managed_copy", "headerless_copy"]

# `python3.X`: the binary's and the standard library folder's name.
_PYTHON = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def _copy_base_interpreter(dest: Path, copy_entry: Callable[[Path, Path], None]) -> Path | None:
    """A copy of the base interpreter under `dest`: the binary copied (a symlink would lead Python back to
    the original prefix), each standard-library entry passed to `copy_entry(entry, target)` (which links or
    edits it). None where this layout is not POSIX."""
    base = Path(sys.base_prefix)
    binary = base / "bin" / _PYTHON
    stdlib = base / "lib" / _PYTHON
    if not binary.exists() or not stdlib.is_dir():
        return None
    (dest / "bin").mkdir(parents=True)
    copied_lib = dest / "lib" / _PYTHON
    copied_lib.mkdir(parents=True)
    shutil.copy2(binary, dest / "bin" / binary.name)
    for entry in stdlib.iterdir():
        copy_entry(entry, copied_lib / entry.name)
    return dest / "bin" / binary.name


def _link(entry: Path, target: Path) -> None:
    target.symlink_to(entry)


def externally_managed_copy(dest: Path) -> Path | None:
    """A copy of the base interpreter whose standard library (symlinked entry by entry) has an
    EXTERNALLY-MANAGED file: pip refuses to install into it (PEP 668). None where this layout is not POSIX."""
    python = _copy_base_interpreter(dest, _link)
    if python is not None:
        (dest / "lib" / _PYTHON / "EXTERNALLY-MANAGED").write_text(
            "[externally-managed]\nError=This Python is managed by the test's pretend OS.\n"
        )
    return python


def headerless_copy(dest: Path) -> Path | None:
    """A copy of the base interpreter without its include folder, whose build configuration points at the
    copy (so the headers are not found through the original prefix either); None where not POSIX."""
    base = str(Path(sys.base_prefix))

    def link_or_repoint(entry: Path, target: Path) -> None:
        if entry.name.startswith("_sysconfigdata"):
            # The build configuration names the original prefix (-I.../include/python3.X): point it here.
            target.write_text(entry.read_text().replace(base, str(dest)))
        else:
            target.symlink_to(entry)

    python = _copy_base_interpreter(dest, link_or_repoint)
    if python is not None:
        for library in (Path(base) / "lib").glob("libpython*"):
            shutil.copy2(library, dest / "lib" / library.name)
    return python
