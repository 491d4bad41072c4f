"""Helpers for API tests: credentials, and the one shape every error answer has."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.utils.crypto import get_random_string

from meridian.accounts.models import User
from meridian.accounts.services import token_create
from meridian.workspaces.models import Membership

API = "/api/v1"


def bearer(member: Membership, name: str = "tests") -> dict[str, str]:
    """Headers that act as the member through a fresh personal token of their workspace."""
    _, raw = token_create(acting=member, name=name)
    return {"Authorization": f"Bearer {raw}"}


def sign_in(client: Client, user: User) -> dict[str, str]:
    """Sign the browser in and give it a CSRF cookie; returns the header a page's script sends."""
    client.force_login(user)
    csrf = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    return {"X-CSRFToken": csrf}


def get(client: Client, path: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """GET an API path (query string included) with the given headers."""
    return client.get(f"{API}{path}", headers=headers or {})


def send(
    client: Client, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> HttpResponse:
    """Send an unsafe request with a JSON body (or none) and the given headers."""
    data = "" if body is None else json.dumps(body)
    call = getattr(client, method.lower())
    return call(f"{API}{path}", data=data, content_type="application/json", headers=headers or {})


def problem(response: HttpResponse, status: int) -> dict[str, Any]:
    """The body of an error answer, after checking it is the API's JSON problem and nothing else."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body
