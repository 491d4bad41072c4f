"""The emails of the delivery layer, each with a plain-text and an HTML part.

A message is built from the delivery rows alone (what the notice carried) plus the
recipient's own zone and the workspace's name, so it can say nothing the notice did not:
blind and anonymous rules hold in email as they do in the inbox.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from meridian.core import registry
from meridian.core.moments import deadline_text
from meridian.delivery.models import Delivery, Digest
from meridian.workspaces.models import Membership, Profile


def absolute(url: str) -> str:
    """A link the email reader can follow: site-relative URLs are put under BASE_URL."""
    if url.startswith(("http://", "https://")):
        return url
    return settings.BASE_URL + (url if url.startswith("/") else "/" + url)


def one_line(text: str) -> str:
    """A subject as a mail header may carry it: a title's line breaks become spaces (a header
    with a line break is refused, and the email would never go out)."""
    return " ".join(text.split())


def message_id(kind: str, pk: int) -> str:
    """A Message-ID that is the same for every try of one email, so a mail program that
    receives it twice (a worker killed just after the server accepted it) can show it once."""
    domain = urlsplit(settings.BASE_URL).hostname or "meridian.invalid"
    return f"<meridian.{kind}.{pk}@{domain}>"


def preferences_link(recipient: Membership) -> str:
    return absolute(reverse("delivery_preferences", kwargs={"workspace": recipient.workspace.slug}))


@dataclass(frozen=True)
class Item:
    """One notification as an email shows it."""

    subject: str
    body: str
    excerpt: str
    link: str
    deadline: str
    urgent_by: str


def _item(delivery: Delivery, zone: str, names: dict[int, str]) -> Item:
    return Item(
        subject=delivery.subject,
        body=delivery.body,
        excerpt=delivery.excerpt,
        link=absolute(delivery.url),
        deadline=deadline_text(delivery.due_at, zone) if delivery.due_at else "",
        urgent_by=names.get(delivery.actor_id or 0, "") if delivery.urgent else "",
    )


def _actor_names(deliveries: Iterable[Delivery]) -> dict[int, str]:
    """Display names of those who sent urgent notifications (the recipient sees who used it)."""
    ids = {d.actor_id for d in deliveries if d.urgent and d.actor_id}
    return dict(
        Profile.objects.filter(membership_id__in=ids).values_list("membership_id", "display_name")
    )


def notice_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The email of one notification sent at once."""
    recipient = delivery.recipient
    zone = recipient.profile.time_zone
    item = _item(delivery, zone, _actor_names([delivery]))
    context = {
        "item": item,
        "workspace": recipient.workspace.name,
        "preferences": preferences_link(recipient),
        "kind": _kind_label(delivery.kind),
    }
    prefix = f"Urgent — sent by {item.urgent_by}: " if item.urgent_by else ""
    message = EmailMultiAlternatives(
        subject=one_line(f"[{recipient.workspace.name}] {prefix}{delivery.subject}"),
        body=render_to_string("delivery/email/notice.txt", context),
        to=[recipient.user.email],
        headers={"Message-ID": message_id("delivery", delivery.pk)},
    )
    message.attach_alternative(render_to_string("delivery/email/notice.html", context), "text/html")
    return message


def _kind_label(kind: str) -> str:
    declared = registry.notification_kinds().get(kind)
    return declared.label if declared else kind


@dataclass(frozen=True)
class Group:
    """The digest's items of one kind, with their count."""

    label: str
    count: int
    items: Sequence[Item]


def digest_message(digest: Digest, deliveries: Sequence[Delivery]) -> EmailMultiAlternatives:
    """The daily digest: the member's waiting notifications grouped by kind, with counts."""
    recipient = digest.recipient
    zone = recipient.profile.time_zone
    names = _actor_names(deliveries)
    groups: dict[str, list[Item]] = {}
    for delivery in deliveries:
        groups.setdefault(delivery.kind, []).append(_item(delivery, zone, names))
    ordered = [
        Group(label=_kind_label(kind), count=len(items), items=items)
        for kind, items in sorted(groups.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    ]
    total = sum(group.count for group in ordered)
    context = {
        "groups": ordered,
        "total": total,
        "day": f"{digest.local_date:%A} {digest.local_date.day} {digest.local_date:%B}",
        "workspace": recipient.workspace.name,
        "preferences": preferences_link(recipient),
    }
    noun = "notification" if total == 1 else "notifications"
    message = EmailMultiAlternatives(
        subject=one_line(f"[{recipient.workspace.name}] Your digest: {total} {noun}"),
        body=render_to_string("delivery/email/digest.txt", context),
        to=[recipient.user.email],
        headers={"Message-ID": message_id("digest", digest.pk)},
    )
    message.attach_alternative(render_to_string("delivery/email/digest.html", context), "text/html")
    return message
