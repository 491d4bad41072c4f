"""Schemathesis over every API operation: no server error and no answer the document does not allow.

It generates requests from the served OpenAPI document and sends them through the WSGI app as the
admin of the seeded demo workspace, with a fresh API token per operation (an operation may revoke
its own token or demote its caller; the next one starts afresh). Examples per operation:
MERIDIAN_SCHEMATHESIS_EXAMPLES (default 5, so `make test` stays quick); the full run of the issue
uses 50: ``MERIDIAN_SCHEMATHESIS_EXAMPLES=50 pytest tests/api/test_schemathesis.py``.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.transport.serialization import serialize_binary

from meridian.accounts.services import token_create
from meridian.workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("MERIDIAN_SCHEMATHESIS_EXAMPLES", "5"))
# A schema-valid request may still break a rule no JSON Schema can say (a cursor this API never
# gave out, a deadline already passed, an id of another workspace): 422 names the field then.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)


@schemathesis.serializer("application/offset+octet-stream")
def _upload_chunk(ctx, value) -> bytes:
    """A resumable upload's chunk is raw bytes (the tus protocol's media type)."""
    return serialize_binary(value)


@pytest.fixture
def keep_connection():
    """Requests go straight to the WSGI app, which closes the database connection after each one
    (as Django's test client prevents): that would end the test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin(settings, tmp_path, shared_demo) -> Membership:
    settings.MEDIA_ROOT = tmp_path / "media"
    workspace = shared_demo.workspace
    return Membership.objects.filter(workspace=workspace, role=Role.ADMIN).order_by("pk").first()


def _failures_of(operation, headers_for, answered: Counter[int]) -> list[str]:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        answered[case.call_and_validate(headers=headers_for()).status_code // 100] += 1

    try:
        run()
    except Exception as exc:  # recorded, so that every other operation is still tried
        return [f"{operation.label}: {str(exc)[:2000]}"]
    return []


def test_every_operation_answers_within_its_schema_and_never_with_a_server_error(
    admin, keep_connection
):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    answered: Counter[int] = Counter()
    for operation in operations:
        _, raw = token_create(acting=admin, name=f"schemathesis {operation.label}"[:100])
        failures += _failures_of(
            operation, lambda raw=raw: {"Authorization": f"Bearer {raw}"}, answered
        )
    assert len(operations) > 50
    # The token worked: generated ids mostly miss (404), but many operations succeed.
    assert answered[2] > len(operations) // 2
    assert failures == []
