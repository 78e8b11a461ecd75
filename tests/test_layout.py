"""The package's layers: `cli` on top, safe-pip's commands (`safe_pip.commands`) under it, everything else
below both. A module never imports one above it (imports inside functions count too), so there is no import
circle and the home of a behaviour is where its layer says."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "safe_pip"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(source: str, module: str) -> set[str]:
    """Every safe_pip module `source` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the importing module's package
                base = module.rsplit(".", node.level)[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "safe_pip" or name.startswith("safe_pip.")}


def _layer(module: str) -> int:
    if module in ("safe_pip.cli", "safe_pip.__main__"):
        return 2
    if module == "safe_pip.commands" or module.startswith("safe_pip.commands."):
        return 1
    return 0


def _upward_imports(sources: dict[str, str]) -> list[str]:
    known = set(sources)
    wrong = []
    for module, source in sorted(sources.items()):
        for name in sorted(_imported(source, module)):
            if name in known and _layer(name) > _layer(module):
                wrong.append(f"{module} imports {name}")
    return wrong


def _package_sources() -> dict[str, str]:
    return {_module_name(path): path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}


def test_no_module_imports_a_layer_above_it() -> None:
    sources = _package_sources()
    assert "safe_pip.commands.install" in sources  # the layout this test is about
    assert _upward_imports(sources) == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("safe_pip.commands.install", "def f():\n    from safe_pip.cli import resolve_target\n"),
        ("safe_pip.fixes", "from safe_pip.commands.context import log_directory\n"),
        ("safe_pip.probe", "import safe_pip.commands.install\n"),
        ("safe_pip.commands.doctor", "from .. import cli\n"),
    ],
)
def test_an_upward_import_is_found(module: str, source: str) -> None:
    sources = {
        "safe_pip.cli": "",
        "safe_pip.commands.context": "",
        "safe_pip.commands.install": "",
        module: source,
    }
    assert _upward_imports(sources) != []
