"""Background jobs of the workspaces area."""

from django.core.mail import send_mail
from django.tasks import task

from meridian.core.moments import moment_text
from meridian.workspaces.models import Invitation
from meridian.workspaces.services import invitation_link


@task()
def invitation_email_send(*, invitation_id: int) -> None:
    """Email the invitation link; sending twice is harmless (the link stays single-use)."""
    invitation = Invitation.objects.select_related("workspace", "invited_by__profile").get(
        pk=invitation_id
    )
    if invitation.accepted_at or invitation.revoked_at:
        return
    link = invitation_link(invitation)
    inviter = invitation.invited_by.profile.display_name if invitation.invited_by else "Someone"
    send_mail(
        subject=f"{inviter} invited you to {invitation.workspace.name} on Meridian",
        message=(
            f"{inviter} invited you to join {invitation.workspace.name} on Meridian.\n\n"
            f"Accept the invitation: {link}\n\n"
            # The invitee has no profile, hence no zone, yet: UTC, and the text says so.
            f"The link works once and expires on {moment_text(invitation.expires_at, 'UTC')}."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
