"""The emails of the delivery layer, each with a plain-text and an HTML part.

A message is built from the delivery rows alone (what the notice carried) plus the
recipient's own zone and the workspace's name, so it can say nothing the notice did not:
blind and anonymous rules hold in email as they do in the inbox.
"""

import email.message
import email.policy
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import Policy
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from meridian.core import registry
from meridian.core.moments import deadline_text
from meridian.delivery import rules as delivery_rules
from meridian.delivery.models import Delivery, Digest
from meridian.workspaces.models import Membership, Profile


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, keeping each header class it makes.

    The standard one makes a new class (``type(...)``) for every header of every message — about
    15 per email, a sizeable part of a digest's CPU time. The classes hold nothing of their own,
    so one per header name serves every message alike.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> Any:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_HEADER_CLASSES = _HeaderClasses()


@lru_cache(maxsize=8)
def _with_header_classes(policy: Policy) -> Policy:
    """``policy`` (Django's SMTP backend asks for email.policy.SMTP), its header classes made
    once. Policies compare by identity, so each is cloned once; one that is not an
    ``EmailPolicy`` (no header classes) is kept as it is."""
    if not isinstance(policy, email.policy.EmailPolicy):
        return policy
    return policy.clone(header_factory=_HEADER_CLASSES)


class Email(EmailMultiAlternatives):
    """An email of the delivery layer: a plain-text and an HTML part.

    Its MIME boundary is chosen here, at random (128 bits), rather than by Python's generator,
    which compiles a new regular expression per message to check that its boundary is not in
    the text: a random boundary of this length is not in it.
    """

    def message(self, *, policy: Policy | None = None) -> email.message.EmailMessage:
        msg = super().message(policy=_with_header_classes(policy or email.policy.default))
        if msg.is_multipart() and msg.get_boundary() is None:
            msg.set_boundary(f"==meridian-{secrets.token_hex(16)}==")
        return msg


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
    return absolute(_preferences_path(recipient.workspace.slug))


@lru_cache(maxsize=1024)
def _preferences_path(workspace: str) -> str:
    # The same for every digest of a workspace: reversed once, not per email.
    return reverse("delivery_preferences", kwargs={"workspace": workspace})


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
    if not ids:
        return {}  # most emails: not even an empty query to build
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
    message = Email(
        subject=one_line(f"[{recipient.workspace.name}] {prefix}{delivery.subject}"),
        body=render_to_string("delivery/email/notice.txt", context),
        to=[recipient.user.email],
        headers={"Message-ID": message_id("delivery", delivery.pk)},
    )
    message.attach_alternative(render_to_string("delivery/email/notice.html", context), "text/html")
    return message


def _kind_label(kind: str, kinds: dict[str, registry.NotificationKind] | None = None) -> str:
    declared = (registry.notification_kinds() if kinds is None else kinds).get(kind)
    return declared.label if declared else kind


@dataclass(frozen=True)
class Group:
    """The digest's items of one kind, with their count."""

    label: str
    count: int
    items: Sequence[Item]


@dataclass(frozen=True)
class SectionLine:
    text: str
    link: str


@dataclass(frozen=True)
class Section:
    """A part another area adds to the digest (registry.DIGEST_SECTIONS), links made absolute."""

    title: str
    lines: Sequence[SectionLine]


def weekly_sections(digests: Sequence[Digest]) -> dict[int, list[Section]]:
    """What the areas add to the first digest a member is sent in a week (Monday to Sunday of
    their local days): the goals' weekly status; later digests that week carry none, nor any
    digest of a member who turned the weekly summary off (rules.WEEKLY_KIND). By digest
    id, for a batch of digests in a constant number of queries."""
    if not digests:
        return {}
    mondays = {d.pk: d.local_date - timedelta(days=d.local_date.weekday()) for d in digests}
    sent = set(
        Digest.objects.filter(
            recipient_id__in={d.recipient_id for d in digests},
            local_date__gte=min(mondays.values()),
            local_date__lt=max(d.local_date for d in digests),
            emailed_at__isnull=False,
        )
        .exclude(pk__in=[d.pk for d in digests])
        .values_list("recipient_id", "local_date")
    )
    off = delivery_rules.weekly_off({d.recipient_id for d in digests})
    first = [
        d
        for d in digests
        if d.recipient_id not in off
        and not any(
            rid == d.recipient_id and mondays[d.pk] <= day < d.local_date for rid, day in sent
        )
    ]
    found = registry.digest_sections([(d.recipient, d.local_date) for d in first])
    return {
        d.pk: [
            Section(
                title=section.title,
                lines=[
                    SectionLine(line.text, absolute(line.url) if line.url else "")
                    for line in section.lines
                ],
            )
            for section in found.get(d.recipient_id, [])
            if section.lines
        ]
        for d in first
    }


def digest_message(
    digest: Digest,
    deliveries: Sequence[Delivery],
    sections: Sequence[Section] | None = None,
) -> EmailMultiAlternatives:
    """The daily digest: the member's waiting notifications grouped by kind, with counts, and
    the weekly sections (``sections``, as :func:`weekly_sections` gives them for a batch)."""
    if sections is None:
        sections = weekly_sections([digest]).get(digest.pk, [])
    recipient = digest.recipient
    zone = recipient.profile.time_zone
    names = _actor_names(deliveries)
    groups: dict[str, list[Item]] = {}
    for delivery in deliveries:
        groups.setdefault(delivery.kind, []).append(_item(delivery, zone, names))
    kinds = registry.notification_kinds()
    ordered = [
        Group(label=_kind_label(kind, kinds), count=len(items), items=items)
        for kind, items in sorted(groups.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    ]
    total = sum(group.count for group in ordered)
    context = {
        "groups": ordered,
        "sections": sections,
        "total": total,
        "day": f"{digest.local_date:%A} {digest.local_date.day} {digest.local_date:%B}",
        "workspace": recipient.workspace.name,
        "preferences": preferences_link(recipient),
    }
    noun = "notification" if total == 1 else "notifications"
    subject = f"Your digest: {total} {noun}" if total else "Your weekly summary"
    message = Email(
        subject=one_line(f"[{recipient.workspace.name}] {subject}"),
        body=render_to_string("delivery/email/digest.txt", context),
        to=[recipient.user.email],
        headers={"Message-ID": message_id("digest", digest.pk)},
    )
    message.attach_alternative(render_to_string("delivery/email/digest.html", context), "text/html")
    return message
