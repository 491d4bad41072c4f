"""Mentions in anything a member writes: ``@handle`` resolved to the workspace's members.

A handle is the part of a member's email address before the ``@`` (case-insensitive), the same
for every area's threads (briefs, tasks); the Markdown renderer highlights only the handles of
members who really exist (``mention_handles``), so a made-up ``@name`` stays plain text.
"""

import re
from collections.abc import Iterable

from meridian.core.markdown import MENTION_RE
from meridian.workspaces.models import Membership

MAX_MENTIONS = 50


def mentions_resolve(acting: Membership, text: str) -> list[Membership]:
    """The active members of the acting member's workspace that ``text`` mentions, in order."""
    handles = list(dict.fromkeys(h.lower() for h in MENTION_RE.findall(text)))[:MAX_MENTIONS]
    if not handles:
        return []
    members = Membership.objects.select_related("user", "workspace", "profile").filter(
        workspace_id=acting.workspace_id, is_active=True
    )
    by_handle: dict[str, Membership] = {}
    candidates = members.filter(
        user__email__iregex=r"^(" + "|".join(re.escape(h) for h in handles) + r")@"
    )
    for member in candidates:
        by_handle.setdefault(member.user.email.split("@")[0].lower(), member)
    return [by_handle[h] for h in handles if h in by_handle]


def mention_handles(members: Iterable[Membership]) -> list[str]:
    """The handles the Markdown highlights: only members who really exist."""
    return [m.user.email.split("@")[0].lower() for m in members]
