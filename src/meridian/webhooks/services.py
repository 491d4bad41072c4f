"""Every write to outgoing webhooks: endpoints, their secrets, allowed hosts, deliveries and attempts.

Admins manage endpoints; events become deliveries after the emitting transaction commits
(meridian.core.events), and each attempt is claimed with a conditional UPDATE on the attempt
number, so two workers, or the scheduler and the first send, never post one attempt twice.
"""

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from meridian.core.errors import Conflict, FieldErrors, ValidationFailed
from meridian.core.events import Event
from meridian.core.secrets import keyed_secret, new_nonce
from meridian.core.services import audit_record
from meridian.webhooks import addresses, sending
from meridian.webhooks.kinds import event_kinds
from meridian.webhooks.models import AllowedHost, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from meridian.workspaces.access import require_role, require_same_workspace
from meridian.workspaces.models import Membership, Role, Workspace

MAX_DESCRIPTION = 200
MAX_ENDPOINTS = 20
# After the first attempt, retries wait this long: 1 min, 5 min, 30 min, 2 h, 6 h; then failed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SECRET_PREFIX = "whsec"
# A host name, an IPv4 address or an IPv6 address (without brackets).
HOST_RE = re.compile(r"[a-z0-9][a-z0-9.\-:]*")


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, derived from its nonce and the site key (never stored)."""
    return keyed_secret(SECRET_PREFIX, endpoint.secret_nonce)


def allowed_hosts(workspace_id: int) -> set[str]:
    """The hosts this workspace's admins allowed to resolve to private addresses."""
    return set(AllowedHost.objects.filter(workspace_id=workspace_id).values_list("host", flat=True))


def _clean(
    *, workspace_id: int, url: str, events: Sequence[str], description: str, problems: FieldErrors
) -> tuple[str, list[str], str]:
    url = url.strip()
    description = description.strip()
    if len(url) > 2000:
        problems.add("url", "A webhook address has at most 2,000 characters.")
    else:
        try:
            addresses.check(url, allowed_hosts=allowed_hosts(workspace_id))
        except ValidationFailed as exc:
            problems.add("url", exc.detail)
    kinds = event_kinds()
    unknown = [e for e in events if e not in kinds]
    if unknown:
        problems.add("events", f"Unknown event kind: {', '.join(unknown)}.")
    chosen = [k for k in kinds if k in set(events)]
    if not chosen and not unknown:
        problems.add("events", "Choose at least one event to send.")
    if len(description) > MAX_DESCRIPTION:
        problems.add("description", f"A description has at most {MAX_DESCRIPTION} characters.")
    return url, chosen, description


@transaction.atomic
def endpoint_create(
    *,
    acting: Membership,
    url: str,
    events: Sequence[str],
    description: str = "",
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """An admin adds an address to post events to; its signing secret is returned only here."""
    require_role(acting, Role.ADMIN)
    problems = FieldErrors()
    url, chosen, description = _clean(
        workspace_id=acting.workspace_id,
        url=url,
        events=events,
        description=description,
        problems=problems,
    )
    if WebhookEndpoint.objects.filter(workspace_id=acting.workspace_id).count() >= MAX_ENDPOINTS:
        problems.add("url", f"A workspace has at most {MAX_ENDPOINTS} webhook endpoints.")
    problems.raise_any()
    endpoint = WebhookEndpoint.objects.create(
        workspace_id=acting.workspace_id,
        url=url,
        events=chosen,
        description=description,
        active=active,
        secret_nonce=new_nonce(),
        created_by=acting,
    )
    audit_record(actor=acting, action="webhook.create", obj=endpoint, data={"events": chosen})
    return endpoint, endpoint_secret(endpoint)


@transaction.atomic
def endpoint_update(
    *,
    acting: Membership,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """An admin changes an endpoint's address, events, description or switches it on or off."""
    require_role(acting, Role.ADMIN)
    require_same_workspace(acting, endpoint)
    problems = FieldErrors()
    new_url, chosen, new_description = _clean(
        workspace_id=acting.workspace_id,
        url=endpoint.url if url is None else url,
        events=endpoint.events if events is None else events,
        description=endpoint.description if description is None else description,
        problems=problems,
    )
    problems.raise_any()
    endpoint.url, endpoint.events, endpoint.description = new_url, chosen, new_description
    if active is not None:
        endpoint.active = active
    endpoint.save(update_fields=["url", "events", "description", "active", "updated_at"])
    audit_record(
        actor=acting,
        action="webhook.update",
        obj=endpoint,
        data={"events": chosen, "active": endpoint.active},
    )
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(
    *, acting: Membership, endpoint: WebhookEndpoint
) -> tuple[WebhookEndpoint, str]:
    """An admin replaces the signing secret; the old one stops signing at once."""
    require_role(acting, Role.ADMIN)
    require_same_workspace(acting, endpoint)
    endpoint.secret_nonce = new_nonce()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret_nonce", "secret_rotated_at", "updated_at"])
    audit_record(actor=acting, action="webhook.rotate_secret", obj=endpoint)
    return endpoint, endpoint_secret(endpoint)


@transaction.atomic
def endpoint_delete(*, acting: Membership, endpoint: WebhookEndpoint) -> None:
    """An admin removes an endpoint with its delivery log; nothing more is sent to it."""
    require_role(acting, Role.ADMIN)
    require_same_workspace(acting, endpoint)
    audit_record(actor=acting, action="webhook.delete", obj=endpoint, data={"url": endpoint.url})
    endpoint.delete()


@transaction.atomic
def allowed_host_add(*, acting: Membership, host: str) -> AllowedHost:
    """An admin lets one host receive webhooks although it resolves to a private address."""
    require_role(acting, Role.ADMIN)
    name = addresses.normalize_host(host)
    if not HOST_RE.fullmatch(name) or len(name) > 253:
        raise ValidationFailed.field(
            "host", "Give a host name or an IP address alone, e.g. hooks.internal or 10.0.0.5."
        )
    if AllowedHost.objects.filter(workspace_id=acting.workspace_id, host=name).exists():
        raise Conflict(f"{name} is already allowed.")
    allowed = AllowedHost.objects.create(
        workspace_id=acting.workspace_id, host=name, added_by=acting
    )
    audit_record(actor=acting, action="webhook.host_allow", obj=allowed, data={"host": name})
    return allowed


@transaction.atomic
def allowed_host_remove(*, acting: Membership, allowed: AllowedHost) -> None:
    """An admin withdraws a host from the allow-list; private addresses are refused again."""
    require_role(acting, Role.ADMIN)
    require_same_workspace(acting, allowed)
    audit_record(
        actor=acting, action="webhook.host_disallow", obj=allowed, data={"host": allowed.host}
    )
    allowed.delete()


# --- Deliveries ---------------------------------------------------------------------------


def deliveries_for_event(event: Event) -> list[int]:
    """Write one delivery per active endpoint subscribed to the event; their ids, to send."""
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(workspace_id=event.workspace_id, active=True)
        if event.kind in e.events
    ]
    if not endpoints:
        return []
    workspace = Workspace.objects.get(pk=event.workspace_id)
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            workspace_id=event.workspace_id,
            endpoint=endpoint,
            kind=event.kind,
            payload=event.payload,
            next_attempt_at=now,
        )
        delivery.body = json.dumps(
            {
                "id": str(delivery.uid),
                "event": event.kind,
                "occurred_at": event.occurred_at.isoformat(),
                "workspace": {"id": workspace.pk, "slug": workspace.slug, "name": workspace.name},
                "data": event.payload,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        rows.append(delivery)
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows)
    return [
        pk
        for pk in WebhookDelivery.objects.filter(uid__in=[r.uid for r in rows]).values_list(
            "pk", flat=True
        )
    ]


def _claim(delivery_id: int, attempt: int, now: datetime) -> WebhookDelivery | None:
    """Take attempt number ``attempt`` of a pending delivery, or None if it is not due or taken."""
    retry_at = now + RETRY_DELAYS[attempt - 1] if attempt < MAX_ATTEMPTS else None
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        attempts=attempt - 1,
        next_attempt_at__lte=now,
    ).update(attempts=attempt, last_attempt_at=now, next_attempt_at=retry_at)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int, attempt: int, now: datetime | None = None) -> str:
    """Make one attempt at posting a delivery; ``"skipped"`` when it is not this attempt's turn.

    A failed attempt leaves the delivery pending with its next try already set (so a worker
    killed during the POST is retried at that time too); the last failed attempt marks it
    failed. The address is resolved and checked again, against the current allow-list.
    """
    now = now or timezone.now()
    if not 1 <= attempt <= MAX_ATTEMPTS:
        return "skipped"
    with transaction.atomic():
        delivery = _claim(delivery_id, attempt, now)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    if not endpoint.active:
        answer = sending.Answer(None, "The endpoint is switched off.")
    else:
        try:
            target = addresses.check(
                endpoint.url, allowed_hosts=allowed_hosts(delivery.workspace_id)
            )
        except ValidationFailed as exc:
            answer = sending.Answer(None, f"Refused before sending: {exc.detail}")
        else:
            answer = _post(delivery, endpoint, target, now)
    return _record(delivery, answer, attempt)


def _post(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    target: addresses.Target,
    now: datetime,
) -> sending.Answer:
    body = delivery.body.encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": sending.USER_AGENT,
        "Meridian-Event": delivery.kind,
        "Meridian-Delivery": str(delivery.uid),
        "Meridian-Signature": sending.signature(endpoint_secret(endpoint), timestamp, body),
    }
    return sending.post(
        target,
        headers=headers,
        body=body,
        connect_timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        read_timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )


def _record(delivery: WebhookDelivery, answer: sending.Answer, attempt: int) -> str:
    changes: dict[str, object] = {
        "response_code": answer.status,
        "last_error": answer.error[:500],
    }
    if answer.ok:
        changes.update(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None)
    elif attempt >= MAX_ATTEMPTS:
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(**changes)
    return str(changes.get("status", DeliveryStatus.PENDING))
