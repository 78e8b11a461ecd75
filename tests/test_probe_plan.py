"""The machine questions `safe-pip plan` asks (programs, pkg-config modules, headers) and pip's dry run, on
PATHs and folders made for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.probe import detect_headers, detect_pkg_config_modules, detect_programs


def _program(folder: Path, name: str, script: str = "exit 0") -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_programs_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _program(tmp_path / "bin", "pg_config")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert detect_programs(["pg_config", "mysql_config"]) == {"pg_config": True, "mysql_config": False}


def test_pkg_config_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A pkg-config that knows one module: `pkg-config --exists cairo` succeeds, any other fails.
    _program(tmp_path / "bin", "pkg-config", '[ "$2" = cairo ]')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert detect_pkg_config_modules(["cairo", "libxml-2.0"]) == {"cairo": True, "libxml-2.0": False}
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert detect_pkg_config_modules(["cairo"]) == {"cairo": None}


def test_headers_in_cpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "inc" / "made").mkdir(parents=True)
    (tmp_path / "inc" / "made" / "up.h").write_text("")
    monkeypatch.setenv("CPATH", str(tmp_path / "inc"))
    found = detect_headers(["made/up.h", "made/other-safe-pip-test.h", "../etc/passwd"])
    assert found == {"made/up.h": True, "made/other-safe-pip-test.h": False, "../etc/passwd": None}
