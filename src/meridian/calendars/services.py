"""Writes of calendar feeds: making a member's feed address and replacing it."""

from django.db import transaction
from django.utils import timezone

from meridian.calendars.models import CalendarFeed
from meridian.core.secrets import digest, keyed_secret, new_nonce
from meridian.core.services import audit_record
from meridian.workspaces.models import Membership

PREFIX = "cal"


def feed_secret(feed: CalendarFeed) -> str:
    """The secret part of the feed's address (derived, never stored)."""
    return keyed_secret(PREFIX, feed.nonce)


@transaction.atomic
def calendar_feed_rotate(*, acting: Membership) -> tuple[CalendarFeed, str]:
    """Give the acting member a new feed address; the previous one answers 404 from now on."""
    nonce = new_nonce()
    secret = keyed_secret(PREFIX, nonce)
    feed = CalendarFeed.objects.select_for_update().filter(membership=acting).first()
    if feed is None:
        feed = CalendarFeed.objects.create(
            workspace_id=acting.workspace_id,
            membership=acting,
            nonce=nonce,
            digest=digest(secret),
        )
        audit_record(actor=acting, action="calendar.feed_create", obj=feed)
    else:
        feed.nonce, feed.digest, feed.rotated_at = nonce, digest(secret), timezone.now()
        feed.save(update_fields=["nonce", "digest", "rotated_at"])
        audit_record(actor=acting, action="calendar.feed_rotate", obj=feed)
    return feed, secret
