"""The one seam through which every area tells a person something: ``notify(...)``.

For now it emails the recipient, through a background task started once the caller's
transaction commits (so a rolled-back write never sends mail), and records nothing else.
The notify issue replaces the inside of this module — inbox, digests, quiet hours, focus
time, urgency — keeping ``notify``'s signature, so the areas that call it never change.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task

from meridian.workspaces.models import Membership

_muted: ContextVar[bool] = ContextVar("meridian_notify_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Write through the services without telling anyone (the demo and the benchmark data)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify(*, recipient: Membership, kind: str, subject: str, url: str, body: str = "") -> None:
    """Tell a member about something that needs them; ``url`` is where to act (site-relative)."""
    if _muted.get() or not recipient.is_active:
        return
    recipient_id = recipient.pk
    transaction.on_commit(
        lambda: notification_email_send.enqueue(
            membership_id=recipient_id, kind=kind, subject=subject, url=url, body=body
        )
    )


@task()
def notification_email_send(
    *, membership_id: int, kind: str, subject: str, url: str, body: str = ""
) -> None:
    """Email one notification; a member who left in the meantime gets nothing."""
    recipient = (
        Membership.objects.select_related("user", "workspace")
        .filter(pk=membership_id, is_active=True)
        .first()
    )
    if recipient is None:
        return
    link = url if url.startswith(("http://", "https://")) else settings.BASE_URL + url
    text = f"{body}\n\n{link}" if body else link
    send_mail(
        subject=f"[{recipient.workspace.name}] {subject}",
        message=f"{text}\n\n— Meridian ({kind})",
        from_email=None,
        recipient_list=[recipient.user.email],
    )
