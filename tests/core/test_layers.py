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


# What each app builds on is below it; an app never imports one that builds on it (it plugs
# into it through the registry instead). Recordings and decisions build on briefs, so briefs
# imports neither; the shared layers and the feeds import no area.
NOT_BELOW = {
    "briefs": {"decisions", "recordings"},
    "asks": {"briefs", "decisions", "recordings", "notifications", "webhooks", "calendars"},
    "notifications": {"briefs", "decisions", "recordings", "webhooks", "calendars"},
    "calendars": {"briefs", "decisions", "recordings"},
    "webhooks": {"briefs", "decisions", "recordings"},
}


def _imports_of(app: str, forbidden: set[str]) -> set[tuple[str, str]]:
    root = PACKAGE / app
    bad: set[tuple[str, str]] = set()
    for path in root.rglob("*.py"):
        for module in _imports(path):
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "meridian" and parts[1] in forbidden:
                bad.add((str(path.relative_to(PACKAGE)), module))
    return bad


def test_no_app_imports_an_app_that_builds_on_it():
    assert {app: _imports_of(app, forbidden) for app, forbidden in NOT_BELOW.items()} == {
        app: set() for app in NOT_BELOW
    }


def test_the_app_layer_check_catches_an_import_from_above(tmp_path, monkeypatch):
    fake = tmp_path / "briefs"
    fake.mkdir()
    (fake / "views.py").write_text("from meridian import decisions\n")
    monkeypatch.setattr(__name__ + ".PACKAGE", tmp_path)
    assert _imports_of("briefs", {"decisions"}) == {("briefs/views.py", "meridian.decisions")}
