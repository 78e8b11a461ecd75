"""Interpreters that fail in one way each, made from the one running the tests without touching it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

__all__ = ["externally_managed_copy"]


def externally_managed_copy(dest: Path) -> Path | None:
    """A copy of the base interpreter whose standard library (symlinked entry by entry) has an
    EXTERNALLY-MANAGED file: pip refuses to install into it (PEP 668). None where this layout is not POSIX."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    base = Path(sys.base_prefix)
    binary = base / "bin" / f"python{version}"
    stdlib = base / "lib" / f"python{version}"
    if not binary.exists() or not stdlib.is_dir():
        return None
    (dest / "bin").mkdir(parents=True)
    copied_lib = dest / "lib" / f"python{version}"
    copied_lib.mkdir(parents=True)
    # The binary is copied (a symlink would lead Python back to the original prefix); the library is linked.
    shutil.copy2(binary, dest / "bin" / binary.name)
    for entry in stdlib.iterdir():
        (copied_lib / entry.name).symlink_to(entry)
    (copied_lib / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=This Python is managed by the test's pretend OS.\n"
    )
    return dest / "bin" / binary.name
