"""The import rules of docs/architecture.md: `core` never imports `recipes` or `sviml_cli`, and
`recipes` never imports `sviml_cli` (function-level imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def imported_packages(path: Path) -> set[str]:
    """The top-level package of every import in `path`, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("layer", "forbidden"), [("core", {"recipes", "sviml_cli"}), ("recipes", {"sviml_cli"})])
def test_lower_layers_never_import_upper_ones(layer, forbidden):
    offenders = {str(path.relative_to(REPO)): sorted(imported_packages(path) & forbidden)
                 for path in sorted((REPO / layer).rglob("*.py")) if imported_packages(path) & forbidden}
    assert offenders == {}


def test_the_check_sees_function_level_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from recipes import launch\n    import sviml_cli.main\n")
    assert {"recipes", "sviml_cli"} <= imported_packages(module)
