"""Brief reads: the list's filters and counts, one brief's state, and the decisions hook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meridian.briefs.models import Brief, BriefParticipant
from meridian.briefs.selectors import (
    BriefFilters,
    brief_detail_for,
    brief_list_for,
    briefs_linked_to,
    sync_hours_saved_for,
)
from meridian.briefs.services import (
    Deadline,
    Meeting,
    brief_close,
    brief_mark_seen,
    link_add,
    respond,
)
from meridian.recordings.models import Recording, RecordingView
from tests.briefs.factories import brief, comment, next_week, person
from tests.decisions.factories import decided, proposal

pytestmark = pytest.mark.django_db


def titles(viewer, **filters) -> list[str]:
    return [b.title for b in brief_list_for(viewer=viewer, filters=BriefFilters(**filters))]


def make_overdue(b: Brief) -> None:
    """Every local deadline of the brief passed an hour ago."""
    past = timezone.now() - timedelta(hours=1)
    BriefParticipant.objects.filter(brief=b).update(local_deadline=past)
    Brief.objects.filter(pk=b.pk).update(respond_by=past)


@pytest.fixture
def three(author, kathmandu, new_york):
    """An open, an overdue and a closed brief."""
    fresh = brief(author, [kathmandu], title="Fresh", deadline=Deadline(day=next_week()))
    late = brief(author, [kathmandu, new_york], title="Late", deadline=Deadline(day=next_week()))
    make_overdue(late)
    done = brief(new_york, [kathmandu], title="Done")
    brief_close(acting=new_york, brief=done, summary="Agreed.")
    return fresh, late, done


def test_list_is_newest_first_and_filters_by_state(author, three):
    assert titles(author) == ["Done", "Late", "Fresh"]
    assert titles(author, status="open") == ["Fresh"]
    assert titles(author, status="overdue") == ["Late"]
    assert titles(author, status="closed") == ["Done"]


def test_a_brief_whose_late_participants_all_responded_is_not_overdue(
    author, kathmandu, new_york, three
):
    _, late, _ = three
    respond(acting=kathmandu, brief=late, body="Yes")
    respond(acting=new_york, brief=late, body="Yes")
    assert titles(author, status="overdue") == []


def test_list_scopes_to_what_concerns_the_viewer(author, kathmandu, new_york, three):
    _, late, _ = three
    respond(acting=new_york, brief=late, body="Done from my side")
    assert titles(kathmandu, scope="to_answer") == ["Late", "Fresh"]
    assert titles(new_york, scope="to_answer") == []
    assert titles(new_york, scope="involved") == ["Late"]
    assert titles(new_york, scope="authored") == ["Done"]
    assert titles(author, q="fres") == ["Fresh"]


def test_list_counts_responses_and_comments_and_the_viewers_part(
    author, kathmandu, new_york, three
):
    _, late, _ = three
    respond(acting=kathmandu, brief=late, body="Yes")
    comment(late, author, "Thanks!")
    row = next(
        b for b in brief_list_for(viewer=kathmandu, filters=BriefFilters()) if b.pk == late.pk
    )
    assert (row.required_count, row.responded_count, row.comment_count) == (2, 1, 2)
    assert row.is_overdue and row.my_kind == "required" and row.my_responded_at is not None


def test_list_never_shows_another_workspaces_briefs(outsider, three):
    assert titles(outsider) == []


def test_detail_shows_completeness_and_unanswered_questions(author, kathmandu, new_york, workspace):
    optional = person(workspace)
    b = brief(author, [kathmandu, new_york], optional=[optional])
    respond(acting=kathmandu, brief=b, body="Yes")
    brief_mark_seen(acting=new_york, brief=b)
    q = comment(b, new_york, "What about mobile?", is_question=True)
    comment(b, kathmandu, "And tablets?", is_question=True, parent=q)

    detail = brief_detail_for(viewer=author, brief=b)

    c = detail.completeness
    assert (c.responded, c.required, c.seen, c.total, c.percent) == (1, 2, 2, 3, 50)
    assert [x.body for x in detail.open_questions] == ["What about mobile?", "And tablets?"]
    assert {r.member.pk: r.state for r in detail.participants} == {
        kathmandu.pk: "responded",
        new_york.pk: "seen",
        optional.pk: "not_seen",
    }
    assert [(i.comment.is_response, len(i.replies)) for i in detail.thread] == [
        (True, 0),
        (False, 1),
    ]


def test_detail_shows_each_participants_share_of_the_recording_watched(author, kathmandu, new_york):
    b = brief(author, [kathmandu, new_york])
    recording = Recording.objects.create(
        workspace=b.workspace,
        brief=b,
        created_by=author,
        filename="w.webm",
        container="webm",
        original="recordings/w.webm",
        content_type="video/webm",
        size=10,
        duration=60.0,
    )
    RecordingView.objects.create(
        workspace=b.workspace,
        recording=recording,
        membership=kathmandu,
        ranges=[[0, 45]],
        fraction=0.75,
    )
    comment(b, kathmandu, "Here", at_seconds=12.5, is_question=True)

    detail = brief_detail_for(viewer=author, brief=b)

    assert {r.member.pk: r.watched_percent for r in detail.participants} == {
        kathmandu.pk: 75,
        new_york.pk: 0,
    }
    assert detail.pins == [
        {
            "seconds": 12.5,
            "comment_id": detail.thread[0].comment.pk,
            "label": f"0:12 {kathmandu.profile.display_name} (question)",
        }
    ]


def test_each_participant_is_overdue_after_their_own_deadline(author, kathmandu, new_york):
    b = brief(author, [kathmandu, new_york], deadline=Deadline(day=next_week()))
    BriefParticipant.objects.filter(membership=kathmandu).update(
        local_deadline=timezone.now() - timedelta(minutes=5)
    )
    detail = brief_detail_for(viewer=author, brief=b)
    assert {r.member.pk: r.overdue for r in detail.participants} == {
        kathmandu.pk: True,
        new_york.pk: False,
    }
    # New York's deadline is still ahead, so the brief as a whole is not overdue yet.
    assert not detail.is_overdue


def test_sync_hours_saved_add_up_over_the_workspace(author, kathmandu, outsider):
    brief(author, [kathmandu], meeting=Meeting(people=6, minutes=30))
    brief(author, [kathmandu], meeting=Meeting(people=4, minutes=60))
    brief(author, [kathmandu])
    brief(outsider, [person(outsider.workspace)], meeting=Meeting(people=100, minutes=600))
    assert sync_hours_saved_for(viewer=kathmandu) == 7.0


def test_decisions_find_the_briefs_that_link_to_them(author, kathmandu, outsider):
    ours = decided(proposal(author, [kathmandu], title="Raise prices"))
    b = brief(author, [kathmandu], title="Should we raise prices?")
    brief(author, [kathmandu], title="Unrelated")
    link_add(acting=author, brief=b, target="decision", target_id=ours.pk)
    elsewhere = person(outsider.workspace)
    their_record = decided(proposal(outsider, [elsewhere], title="Their pricing"))
    theirs = brief(outsider, [elsewhere])
    link_add(acting=outsider, brief=theirs, target="decision", target_id=their_record.pk)

    found = briefs_linked_to(viewer=kathmandu, target="decision", target_id=ours.pk)
    foreign = briefs_linked_to(viewer=kathmandu, target="decision", target_id=their_record.pk)

    assert [x.title for x in found] == ["Should we raise prices?"]
    assert list(foreign) == []
