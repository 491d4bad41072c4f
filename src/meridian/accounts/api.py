"""The accounts API: who am I, and my personal tokens."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from meridian.accounts.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut
from meridian.accounts.selectors import token_get_for, token_list_for
from meridian.accounts.services import token_create, token_revoke
from meridian.core.schemas import Problem
from meridian.workspaces.access import requires
from meridian.workspaces.models import Role

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut)
@requires(Role.GUEST)
def me(request: HttpRequest) -> dict[str, Any]:
    """The person behind the token or session, in the workspace the request acts in."""
    m = request.membership  # type: ignore[attr-defined]
    return {
        "id": m.user.pk,
        "email": m.user.email,
        "name": m.user.name,
        "workspace": m.workspace.slug,
        "membership_id": m.pk,
        "role": m.role,
        "display_name": m.profile.display_name,
        "time_zone": m.profile.time_zone,
    }


@router.get("/tokens", response=list[TokenOut])
@requires(Role.MEMBER)
def tokens(request: HttpRequest) -> Any:
    """Your tokens in this workspace (never their secrets)."""
    return token_list_for(viewer=request.membership)  # type: ignore[attr-defined]


@router.post("/tokens", response={201: TokenCreatedOut, 422: Problem})
@requires(Role.MEMBER)
def token_new(request: HttpRequest, payload: TokenIn) -> tuple[int, dict[str, Any]]:
    """Create a token; its secret is in this response and nowhere else, ever."""
    token, raw = token_create(acting=request.membership, name=payload.name)  # type: ignore[attr-defined]
    return 201, {**TokenOut.from_orm(token).dict(), "token": raw}


@router.delete("/tokens/{token_id}", response={200: TokenOut, 404: Problem, 409: Problem})
@requires(Role.MEMBER)
def token_delete(request: HttpRequest, token_id: int) -> Any:
    """Revoke a token; requests carrying it fail from now on."""
    token = token_get_for(request.membership, token_id)  # type: ignore[attr-defined]
    return token_revoke(acting=request.membership, token=token)  # type: ignore[attr-defined]
