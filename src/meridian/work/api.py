"""The work API (filled by its area)."""

from ninja import Router

router = Router(tags=["work"])
