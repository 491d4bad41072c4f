"""``core`` is the ground floor: no module of it imports an area, not even for type hints."""

import ast
from pathlib import Path

import meridian
import meridian.core

PACKAGE = Path(meridian.__file__).parent
CORE = Path(meridian.core.__file__).parent
# Every Django app of the project besides core: the areas and the shared layers above core.
APPS = {path.parent.name for path in PACKAGE.glob("*/apps.py")} - {"core"}


def _imports(path: Path) -> list[str]:
    """Every module the file imports, wherever the import stands (TYPE_CHECKING, functions)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "meridian":  # from meridian import workspaces
                found.extend(f"meridian.{alias.name}" for alias in node.names)
    return found


def _area_imports() -> set[tuple[str, str]]:
    bad: set[tuple[str, str]] = set()
    for path in CORE.rglob("*.py"):
        for module in _imports(path):
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "meridian" and parts[1] in APPS:
                bad.add((str(path.relative_to(CORE)), module))
    return bad


def test_the_layer_check_knows_the_apps_it_guards():
    assert {
        "accounts",
        "workspaces",
        "asks",
        "notifications",
        "briefs",
        "decisions",
        "recordings",
        "search",
        "webhooks",
        "calendars",
    } <= APPS


def test_no_core_module_imports_another_meridian_app():
    assert _area_imports() == set()
