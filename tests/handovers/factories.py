"""Test data builders for handovers, made through the real services."""

from typing import Any

from meridian.briefs.models import Brief, BriefStatus
from meridian.core.markdown import render_markdown
from meridian.handovers.models import Handover
from meridian.handovers.services import handover_start
from meridian.workspaces.models import Membership


def handover(item: Brief, receiver: Membership, note: str = "Over to you.", **kw: Any) -> Handover:
    return handover_start(
        actor=kw.pop("actor", item.author),
        kind="brief",
        object_id=item.pk,
        receiver=receiver,
        note=note,
        **kw,
    )


def many_briefs(author: Membership, n: int) -> list[Brief]:
    """``n`` open briefs of one author, written at once (test data for bulk handovers)."""
    rows = [
        Brief(
            workspace_id=author.workspace_id,
            author=author,
            title=f"Item {i:04d}",
            body="Some context.",
            body_html=render_markdown("Some context."),
            status=BriefStatus.OPEN,
        )
        for i in range(n)
    ]
    return Brief.objects.bulk_create(rows)
