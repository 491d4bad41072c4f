"""The person's time zone (kept apart so that starting the agent loads no page code)."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_zone(name: str | None = None) -> ZoneInfo:
    """The zone named, else ``$TZ``, else the system's (/etc/localtime), else UTC."""
    name = name or os.environ.get("TZ", "").lstrip(":") or None
    if name is None:
        try:
            target = os.readlink("/etc/localtime")
            if "zoneinfo/" in target:
                name = target.split("zoneinfo/", 1)[1]
        except OSError:
            pass
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone “{name}”; use a name such as Europe/Berlin.") from None


__all__ = ["local_zone"]
