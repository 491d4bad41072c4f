"""The demo has a dozen briefs in every state, with threads, questions and responses, and mails nobody."""

import shutil
from datetime import datetime

import pytest
import time_machine

from meridian.asks.deadlines import day_off_shift, week_of
from meridian.briefs.models import BriefParticipant, Comment
from meridian.briefs.selectors import BriefFilters, brief_list_for
from meridian.decisions.models import ProposalParticipant
from meridian.workspaces.demo import demo_build
from meridian.workspaces.models import Membership
from tests.conftest import need

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """The demo's recording (in the builds of this module's own) is stored in the test's folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def test_demo_briefs_cover_open_overdue_and_closed(shared_demo):
    workspace = shared_demo.workspace
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
    # Notifications are muted while the demo writes: nothing is sent (the shared build runs
    # whatever is queued when the demo commits at once, so a notification would be mailed).
    assert shared_demo.mailed == []


def test_demo_gives_a_brief_a_real_recording_with_captions_and_pinned_comments(shared_demo):
    need(shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None, "ffmpeg")
    from meridian.recordings.models import Recording, RecordingStatus

    workspace = shared_demo.workspace

    recording = Recording.objects.get(workspace=workspace)
    assert recording.status == RecordingStatus.READY and recording.duration == pytest.approx(
        6, abs=0.5
    )
    assert recording.thumbnail and recording.captions.count() == 1
    assert recording.brief.is_open
    pinned = Comment.objects.filter(brief=recording.brief, at_seconds__isnull=False)
    assert sorted(pinned.values_list("at_seconds", flat=True)) == [2.5, 4.5]


@pytest.mark.parametrize(
    "moment",
    ["2026-12-04T16:00:00+00:00", "2026-12-05T23:30:00+00:00"],
)
def test_demo_deadline_days_are_working_days_for_everyone_asked(moment):
    # A Friday and a Saturday night: "Draft goals" used to be due on a Saturday.
    with time_machine.travel(datetime.fromisoformat(moment), tick=False):
        workspace, _ = demo_build()

    asked = [
        (p.brief.deadline_date, p.membership.profile)
        for p in BriefParticipant.objects.filter(
            workspace=workspace, brief__deadline_kind="local_day"
        ).select_related("brief", "membership__profile")
    ] + [
        (p.proposal.deadline_date, p.membership.profile)
        for p in ProposalParticipant.objects.filter(
            proposal__workspace=workspace, proposal__deadline_kind="local_day"
        ).select_related("proposal", "membership__profile")
    ]
    assert len(asked) > 20
    moved = [
        (day, profile.display_name)
        for day, profile in asked
        if day_off_shift(week_of(profile.time_zone, profile.working_hours), day) is not None
    ]
    assert moved == []
    assert all(day.weekday() <= 3 for day, _ in asked)
