"""The accounts API: who am I, and my personal tokens."""

from django.db.models import QuerySet
from ninja import Router, Status
from ninja.pagination import paginate

from meridian.accounts.models import ApiToken
from meridian.accounts.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut
from meridian.accounts.selectors import token_get_for, token_list_for
from meridian.accounts.services import token_create, token_revoke
from meridian.core.errors import PermissionDenied
from meridian.core.idempotency import answer_holds_secret
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Membership, Role

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut)
@requires(Role.GUEST)
def me(request: ApiRequest) -> Membership:
    """The person behind the token or session, in the workspace the request acts in."""
    return request.membership


@router.get("/tokens", response={200: list[TokenOut], 403: Problem})
@requires(Role.MEMBER)
@paginate(CursorPagination, key="-created_at")
def tokens(request: ApiRequest) -> QuerySet[ApiToken]:
    """Your tokens in this workspace, newest first, with when each was last used (never secrets)."""
    return token_list_for(viewer=request.membership)


@router.post("/tokens", response={201: TokenCreatedOut, 403: Problem})
@requires(Role.MEMBER)
def token_new(request: ApiRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    """Create a token (signed-in session only); its secret is in this answer and nowhere else."""
    if hasattr(request, "api_token"):
        # A leaked token must not be able to outlive its revocation by minting successors.
        raise PermissionDenied("A token cannot create tokens; sign in to create one.")
    token, raw = token_create(acting=request.membership, name=payload.name)
    answer_holds_secret(request)  # an Idempotency-Key repeat must not get the secret back
    return Status(201, TokenCreatedOut.from_token(token, raw))


@router.delete(
    "/tokens/{token_id}", response={200: TokenOut, 403: Problem, 404: Problem, 409: Problem}
)
@requires(Role.MEMBER)
def token_delete(request: ApiRequest, token_id: int) -> ApiToken:
    """Revoke one of your tokens; requests carrying it fail with 401 from now on."""
    token = token_get_for(request.membership, token_id)
    return token_revoke(acting=request.membership, token=token)
