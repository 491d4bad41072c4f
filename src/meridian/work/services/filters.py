"""Saved filters of the task list: a member names the filters they use often, e.g. "My blocked"."""

from collections.abc import Mapping

from django.db import IntegrityError, transaction

from meridian.core.errors import ValidationFailed
from meridian.work.models import SavedFilter
from meridian.workspaces.models import Membership

NAME_MAX = 100
# The task list's filter parameters a saved filter keeps; anything else is dropped.
FILTER_KEYS = ("owner", "status", "tag", "due", "blocked", "project", "q")


def clean_query(query: Mapping[str, object]) -> dict[str, str]:
    """Only the list's own filter parameters, non-empty, as text."""
    return {
        key: str(query[key]).strip()[:200]
        for key in FILTER_KEYS
        if key in query and str(query[key]).strip()
    }


def saved_filter_save(*, actor: Membership, name: str, query: Mapping[str, object]) -> SavedFilter:
    """Keep the task list's current filters under a name of the member's own (unique to them)."""
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "Give the filter a name.")
    if len(name) > NAME_MAX:
        raise ValidationFailed.field("name", f"Keep the name under {NAME_MAX} characters.")
    taken = ValidationFailed.field("name", f"You already have a filter named “{name}”.")
    if SavedFilter.objects.filter(membership=actor, name=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(
                workspace_id=actor.workspace_id,
                membership=actor,
                name=name,
                query=clean_query(query),
            )
    except IntegrityError:  # the same name saved at the same moment from another tab
        raise taken from None


def saved_filter_delete(*, actor: Membership, saved: SavedFilter) -> None:
    """Forget one of the member's saved filters (access.saved_filter_get_for found it theirs)."""
    if saved.membership_id != actor.pk:
        raise ValidationFailed("Only its owner can delete a saved filter.")
    saved.delete()
