"""A static files finder for single files of an npm package, where the package's directory
holds far more than the page needs (ECharts' dist/ is 50 MB of builds and source maps for one
1 MB file): only the files named in ``settings.STATIC_VENDOR_FILES`` are found and collected."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage


def _files() -> dict[str, Path]:
    return dict(getattr(settings, "STATIC_VENDOR_FILES", {}))


class VendorFilesFinder(BaseFinder):
    """Finds ``vendor/<lib>/<file>`` at the path ``STATIC_VENDOR_FILES`` maps it to."""

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return [
            Error(f"Static vendor file {source} is missing: run npm ci.", id="meridian.E100")
            for source in _files().values()
            if not Path(source).is_file()
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        source = _files().get(path)
        if source is None:
            return [] if find_all else None
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for path, source in _files().items():
            storage = FileSystemStorage(location=str(Path(source).parent))
            storage.prefix = path.rpartition("/")[0]  # type: ignore[attr-defined]
            yield Path(source).name, storage
