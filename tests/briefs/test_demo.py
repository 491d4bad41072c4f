"""The demo has a dozen briefs in every state, with threads, questions and responses, and mails nobody."""

import pytest

from meridian.briefs.models import BriefParticipant, Comment
from meridian.briefs.selectors import BriefFilters, brief_list_for
from meridian.workspaces.demo import demo_build
from meridian.workspaces.models import Membership

pytestmark = pytest.mark.django_db


def test_demo_briefs_cover_open_overdue_and_closed(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workspace, _ = demo_build()
    viewer = Membership.objects.filter(workspace=workspace).first()

    def count(status: str) -> int:
        return brief_list_for(viewer=viewer, filters=BriefFilters(status=status)).count()

    assert count("") == 12
    assert count("open") >= 4 and count("overdue") >= 3 and count("closed") >= 3
    comments = Comment.objects.filter(workspace=workspace)
    assert comments.filter(is_question=True, answered_at__isnull=False).exists()
    assert comments.filter(is_question=True, answered_at__isnull=True).exists()
    assert comments.filter(is_response=True).count() >= 8
    assert BriefParticipant.objects.filter(
        workspace=workspace, first_seen_at__isnull=False
    ).exists()
    # Notifications are muted while the demo writes: nothing is queued, nothing is sent.
    assert callbacks == []
    assert mailoutbox == []
