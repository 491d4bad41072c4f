"""Shapes of the webhooks API."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator

from meridian.webhooks.kinds import event_kinds
from meridian.webhooks.models import WebhookDelivery, WebhookEndpoint


def _known(kind: str) -> str:
    kinds = event_kinds()
    if kind not in kinds:
        raise ValueError(f"Unknown event kind {kind!r}; the kinds are: {', '.join(kinds)}.")
    return kind


def _enum(schema: dict[str, Any]) -> None:
    # The registry is read when the OpenAPI document is built, once every area has declared.
    schema["enum"] = list(event_kinds())


# One of the event kinds the areas declare (registry.webhook_event), listed as an enum.
EventKind = Annotated[str, AfterValidator(_known), Field(json_schema_extra=_enum)]


class EventKindOut(Schema):
    """A kind of event an endpoint may subscribe to."""

    event: str = Field(..., description="The Meridian-Event header's value, e.g. task.completed.")
    label: str = Field(..., description="When it is sent.")
    data: list[str] = Field(..., description="The keys of the body's data object.")


class EndpointIn(Schema):
    url: str = Field(..., min_length=1, max_length=2000, description="An http(s) address.")
    events: list[EventKind] = Field(..., min_length=1, description="The event kinds to send.")
    description: str = Field("", max_length=200)
    active: bool = True


class EndpointPatch(Schema):
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[EventKind] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class EndpointOut(Schema):
    """A webhook endpoint as admins see it: never its secret."""

    id: int
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime
    secret_rotated_at: datetime | None


class EndpointCreatedOut(EndpointOut):
    """An endpoint just created, or whose secret was just replaced, with its signing secret."""

    secret: str = Field(..., description="The signing secret. Shown only once; store it now.")

    @classmethod
    def with_secret(cls, endpoint: WebhookEndpoint, secret: str) -> "EndpointCreatedOut":
        return cls(**EndpointOut.model_validate(endpoint).model_dump(), secret=secret)


class DeliveryOut(Schema):
    """One event sent (or being sent) to an endpoint, and how its attempts went."""

    id: UUID = Field(..., description="The Meridian-Delivery header's value.")
    event: str
    status: str = Field(..., description="pending, succeeded or failed.")
    attempts: int
    response_code: int | None = Field(..., description="The status of the last answer.")
    next_attempt_at: datetime | None = Field(..., description="When a pending one is tried next.")
    last_attempt_at: datetime | None
    last_error: str
    created_at: datetime
    payload: dict

    @staticmethod
    def resolve_id(obj: WebhookDelivery) -> UUID:
        return obj.uid

    @staticmethod
    def resolve_event(obj: WebhookDelivery) -> str:
        return obj.kind


class AllowedHostIn(Schema):
    host: str = Field(..., min_length=1, max_length=253)


class AllowedHostOut(Schema):
    id: int
    host: str
    created_at: datetime
