"""``asks`` is a shared layer: it may use core and workspaces, never an area that builds on it."""

import ast
from pathlib import Path

import meridian.asks

ALLOWED = ("meridian.asks", "meridian.core", "meridian.workspaces")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_asks_imports_no_area_that_builds_on_it():
    package = Path(meridian.asks.__file__).parent
    modules = sorted(package.rglob("*.py"))
    offending = {
        f"{path.relative_to(package)}: {name}"
        for path in modules
        for name in imported_modules(path)
        if name.startswith("meridian.") and not name.startswith(ALLOWED)
    }

    assert len(modules) >= 6  # the check really read the package
    assert offending == set()


def test_the_check_catches_an_area_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from meridian.briefs.models import Brief\nimport meridian.decisions\n")

    assert imported_modules(sample) == {"meridian.briefs.models", "meridian.decisions"}
