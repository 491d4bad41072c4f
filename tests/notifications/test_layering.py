"""``notifications`` is a shared layer: it may use core and workspaces, never an area above it."""

from pathlib import Path

import meridian.notifications
from tests.asks.test_layering import imported_modules

ALLOWED = ("meridian.notifications", "meridian.core", "meridian.workspaces")


def test_notifications_import_no_area_that_builds_on_them():
    package = Path(meridian.notifications.__file__).parent
    modules = sorted(package.rglob("*.py"))
    offending = {
        f"{path.relative_to(package)}: {name}"
        for path in modules
        for name in imported_modules(path)
        if name.startswith("meridian.") and not name.startswith(ALLOWED)
    }

    assert len(modules) >= 10  # the check really read the package
    assert offending == set()
