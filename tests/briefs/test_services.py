"""Brief services: who may do what, follow-the-sun deadlines, the thread, and nothing half-written."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from meridian.briefs.models import (
    Brief,
    BriefLink,
    BriefParticipant,
    BriefStatus,
    Comment,
    CommentRevision,
    Mention,
)
from meridian.briefs.services import (
    Deadline,
    Invitee,
    Meeting,
    brief_close,
    brief_create,
    brief_mark_seen,
    brief_update,
    comment_edit,
    link_add,
    link_remove,
    question_answer,
    respond,
)
from meridian.core.errors import Conflict, PermissionDenied, ValidationFailed
from meridian.core.models import AuditEntry
from meridian.core.workingtime import end_of_local_day, working_week
from meridian.recordings.models import Recording
from meridian.workspaces.models import Role
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.briefs.factories import brief, comment, next_week, person
from tests.decisions.factories import decided, proposal

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_5 = {d: [(540, 1020)] for d in range(5)}


def rows() -> tuple[int, int, int, int]:
    return (
        Brief.objects.count(),
        BriefParticipant.objects.count(),
        Comment.objects.count(),
        BriefLink.objects.count(),
    )


def recording_of(b: Brief, seconds: float = 30.0) -> Recording:
    return Recording.objects.create(
        workspace=b.workspace,
        brief=b,
        created_by=b.author,
        filename="walkthrough.webm",
        container="webm",
        original="recordings/walkthrough.webm",
        content_type="video/webm",
        size=1000,
        duration=seconds,
    )


# --- Writing a brief ----------------------------------------------------------------------------


def test_brief_asks_members_and_whole_teams_without_its_author(author, kathmandu, new_york):
    team = team_create(acting=author, name="Design")
    team_add_member(acting=author, team=team, member=new_york)
    team_add_member(acting=author, team=team, member=author)

    b = brief_create(
        author=author,
        title="New onboarding",
        participants=[Invitee(member_id=kathmandu.pk), Invitee(team="design")],
    )

    asked = {p.membership_id: p for p in BriefParticipant.objects.filter(brief=b)}
    assert set(asked) == {kathmandu.pk, new_york.pk}
    assert asked[new_york.pk].via_team == team
    assert asked[kathmandu.pk].via_team is None


def test_someone_named_required_and_optional_is_required(author, kathmandu):
    b = brief_create(
        author=author,
        title="Roadmap",
        participants=[
            Invitee(member_id=kathmandu.pk, required=False),
            Invitee(member_id=kathmandu.pk),
        ],
    )
    assert BriefParticipant.objects.get(brief=b).kind == "required"


def test_unknown_participant_is_a_field_error_naming_it_and_nothing_is_written(author):
    with pytest.raises(ValidationFailed) as caught:
        brief_create(author=author, title="Roadmap", participants=[Invitee(member_id=999999)])
    assert caught.value.errors == {
        "participants": ["There is no member #999999 in this workspace."]
    }
    assert rows() == (0, 0, 0, 0)


def test_participant_from_another_workspace_is_refused_like_an_unknown_one(author, outsider):
    with pytest.raises(ValidationFailed) as caught:
        brief_create(author=author, title="Roadmap", participants=[Invitee(member_id=outsider.pk)])
    assert caught.value.errors["participants"] == [
        f"There is no member #{outsider.pk} in this workspace."
    ]
    assert rows() == (0, 0, 0, 0)


def test_unknown_team_is_a_field_error_naming_the_team(author, kathmandu):
    with pytest.raises(ValidationFailed) as caught:
        brief_create(
            author=author,
            title="Roadmap",
            participants=[Invitee(member_id=kathmandu.pk), Invitee(team="ghosts")],
        )
    assert caught.value.errors["participants"] == ["There is no team “ghosts” in this workspace."]
    assert rows() == (0, 0, 0, 0)


def test_a_brief_must_ask_someone_besides_its_author(author):
    with pytest.raises(ValidationFailed) as caught:
        brief_create(
            author=author, title="Notes to self", participants=[Invitee(member_id=author.pk)]
        )
    assert "at least one member or team" in caught.value.errors["participants"][0]
    assert rows() == (0, 0, 0, 0)


def test_every_bad_field_is_named_at_once(author):
    with pytest.raises(ValidationFailed) as caught:
        brief_create(
            author=author,
            title=" ",
            participants=[],
            ask_kind="vibes",
            questions=["x" * 501],
            meeting=Meeting(people=3),
        )
    assert set(caught.value.errors) == {
        "title",
        "participants",
        "ask_kind",
        "questions",
        "meeting_minutes",
    }
    assert rows() == (0, 0, 0, 0)


def test_a_deadline_instant_in_the_past_is_refused(author, kathmandu):
    past = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as caught:
        brief(author, [kathmandu], deadline=Deadline(at=past))
    assert "has already passed" in caught.value.errors["deadline_at"][0]
    assert rows() == (0, 0, 0, 0)


def test_a_follow_the_sun_day_that_is_over_for_someone_names_them(author, kathmandu):
    # Wednesday 20:00 UTC is already Thursday in Kathmandu: their Wednesday has ended.
    with (
        time_machine.travel(datetime(2026, 12, 9, 20, tzinfo=UTC), tick=False),
        pytest.raises(ValidationFailed) as caught,
    ):
        brief(author, [kathmandu], deadline=Deadline(day=date(2026, 12, 9)))
    message = caught.value.errors["deadline_date"][0]
    assert kathmandu.profile.display_name in message
    assert "Asia/Kathmandu" in message
    assert rows() == (0, 0, 0, 0)


def test_follow_the_sun_deadline_is_the_end_of_each_persons_working_day(
    author, kathmandu, new_york
):
    day = next_week()
    b = brief(author, [kathmandu, new_york], deadline=Deadline(day=day))

    deadlines = dict(
        BriefParticipant.objects.filter(brief=b).values_list("membership_id", "local_deadline")
    )
    ktm = end_of_local_day(working_week("Asia/Kathmandu", WEEKDAYS_9_TO_5), day)
    nyc = end_of_local_day(working_week("America/New_York", WEEKDAYS_9_TO_5), day)
    assert deadlines == {kathmandu.pk: ktm, new_york.pk: nyc}
    assert nyc - ktm > timedelta(hours=9)
    # The brief as a whole is due when the last of them has passed.
    assert b.respond_by == nyc


def test_meeting_replaced_counts_people_times_minutes(author, kathmandu):
    b = brief(author, [kathmandu], meeting=Meeting(people=6, minutes=45))
    assert b.meeting_hours_saved == 4.5


def test_guest_cannot_write_a_brief(workspace, kathmandu):
    guest = factories.member(workspace, role=Role.GUEST)
    with pytest.raises(PermissionDenied):
        brief(guest, [kathmandu])
    assert rows() == (0, 0, 0, 0)


def test_writing_a_brief_is_audited_and_tells_each_participant(
    author, kathmandu, new_york, sent_mail
):
    with sent_mail.capture():
        b = brief(author, [kathmandu], optional=[new_york], title="Q3 hiring plan")

    assert AuditEntry.objects.filter(action="brief.create", object_id=str(b.pk)).exists()
    assert sent_mail.to() == sorted([kathmandu.user.email, new_york.user.email])
    assert "Q3 hiring plan" in sent_mail.messages[0].subject
    assert f"/briefs/{b.pk}/" in sent_mail.messages[0].body


def test_markdown_body_is_stored_rendered_and_sanitized(author, kathmandu):
    b = brief(author, [kathmandu], body="**Bold** <script>alert(1)</script>")
    assert b.body_html == "<p><strong>Bold</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


# --- Changing a brief ----------------------------------------------------------------------------


def test_only_the_author_may_change_a_brief(author, kathmandu):
    b = brief(author, [kathmandu])
    with pytest.raises(PermissionDenied):
        brief_update(acting=kathmandu, brief=b, title="Hijacked")
    assert Brief.objects.get().title == "Pricing page rework"


def test_author_changes_title_and_participants_and_newcomers_are_told(
    author, kathmandu, new_york, sent_mail
):
    b = brief(author, [kathmandu])
    with sent_mail.capture():
        brief_update(
            acting=author,
            brief=b,
            title="Pricing page, take two",
            participants=[Invitee(member_id=new_york.pk)],
        )
    b.refresh_from_db()
    assert b.title == "Pricing page, take two"
    assert list(BriefParticipant.objects.values_list("membership_id", flat=True)) == [new_york.pk]
    assert sent_mail.to() == [new_york.user.email]


def test_someone_who_responded_cannot_be_taken_off_the_brief(author, kathmandu, new_york):
    b = brief(author, [kathmandu, new_york])
    respond(acting=kathmandu, brief=b, body="Yes.")
    with pytest.raises(ValidationFailed) as caught:
        brief_update(acting=author, brief=b, participants=[Invitee(member_id=new_york.pk)])
    assert "already responded" in caught.value.errors["participants"][0]
    assert BriefParticipant.objects.count() == 2


def test_changing_the_deadline_recomputes_every_local_deadline(author, kathmandu):
    b = brief(author, [kathmandu], deadline=Deadline(day=next_week()))
    later = next_week() + timedelta(days=7)
    brief_update(acting=author, brief=b, deadline=Deadline(day=later))
    p = BriefParticipant.objects.get()
    assert p.local_deadline == end_of_local_day(
        working_week("Asia/Kathmandu", WEEKDAYS_9_TO_5), later
    )
    b.refresh_from_db()
    assert b.respond_by == p.local_deadline


# --- Seen and responded --------------------------------------------------------------------------


def test_seen_is_the_first_time_a_participant_opened_the_brief(author, kathmandu):
    b = brief(author, [kathmandu])
    first = brief_mark_seen(acting=kathmandu, brief=b).first_seen_at
    again = brief_mark_seen(acting=kathmandu, brief=b).first_seen_at
    assert first is not None and again == first
    assert brief_mark_seen(acting=author, brief=b) is None
    assert AuditEntry.objects.filter(action="brief.seen").count() == 1


def test_responding_marks_the_participant_responded(author, kathmandu):
    b = brief(author, [kathmandu])
    response = respond(acting=kathmandu, brief=b, body="Approved, with one change.")
    p = BriefParticipant.objects.get()
    assert response.is_response
    assert p.responded_at is not None and p.first_seen_at is not None


def test_someone_not_asked_cannot_respond_and_nothing_is_written(author, kathmandu, new_york):
    b = brief(author, [kathmandu])
    with pytest.raises(PermissionDenied):
        respond(acting=new_york, brief=b, body="Me too")
    assert Comment.objects.count() == 0


# --- The thread ----------------------------------------------------------------------------------


def test_reply_to_a_reply_joins_the_thread_of_its_top_comment(author, kathmandu):
    b = brief(author, [kathmandu])
    top = comment(b, author, "What about Europe?")
    reply = comment(b, kathmandu, "Later.", parent=top)
    nested = comment(b, author, "When?", parent=reply)
    assert nested.parent_id == top.pk


def test_reply_to_a_comment_of_another_brief_is_refused(author, kathmandu):
    one, other = brief(author, [kathmandu]), brief(author, [kathmandu], title="Other")
    elsewhere = comment(other, author)
    with pytest.raises(ValidationFailed) as caught:
        comment(one, kathmandu, parent=elsewhere)
    assert "same brief" in caught.value.errors["parent"][0]
    assert Comment.objects.filter(brief=one).count() == 0


def test_empty_comment_is_refused_naming_the_body(author, kathmandu):
    b = brief(author, [kathmandu])
    with pytest.raises(ValidationFailed) as caught:
        comment(b, kathmandu, "   ")
    assert list(caught.value.errors) == ["body"]
    assert Comment.objects.count() == 0


def test_comment_on_a_closed_brief_is_a_conflict_with_the_reason(author, kathmandu):
    b = brief(author, [kathmandu])
    brief_close(acting=author, brief=b, summary="Shipped.")
    with pytest.raises(Conflict) as caught:
        comment(b, kathmandu)
    assert caught.value.status_code == 409
    assert "closed" in caught.value.detail and "read-only" in caught.value.detail
    assert Comment.objects.count() == 0


def test_comment_pinned_to_a_moment_of_the_recording(author, kathmandu):
    b = brief(author, [kathmandu])
    recording_of(b, seconds=90)
    c = comment(b, kathmandu, "Here the chart is wrong", at_seconds=61.25, is_question=True)
    assert c.at_seconds == 61.25
    assert c.pin_label == "1:01"


def test_pin_past_the_end_of_the_recording_is_refused(author, kathmandu):
    b = brief(author, [kathmandu])
    recording_of(b, seconds=30)
    with pytest.raises(ValidationFailed) as caught:
        comment(b, kathmandu, at_seconds=45)
    assert "30 seconds long" in caught.value.errors["at_seconds"][0]
    assert Comment.objects.count() == 0


def test_pin_without_a_recording_is_refused(author, kathmandu):
    b = brief(author, [kathmandu])
    with pytest.raises(ValidationFailed) as caught:
        comment(b, kathmandu, at_seconds=3)
    assert "no recording" in caught.value.errors["at_seconds"][0]


def test_mentions_are_resolved_to_members_of_the_workspace_and_told(
    author, kathmandu, new_york, outsider, sent_mail
):
    b = brief(author, [kathmandu])
    ktm_handle = kathmandu.user.email.split("@")[0]
    outsider_handle = outsider.user.email.split("@")[0]
    with sent_mail.capture():
        c = comment(b, new_york, f"@{ktm_handle} can you check? cc @{outsider_handle} @nobody")

    assert list(Mention.objects.filter(comment=c).values_list("membership_id", flat=True)) == [
        kathmandu.pk
    ]
    # The mentioned member and the brief's author hear about it; the outsider does not.
    assert sent_mail.to() == sorted([kathmandu.user.email, author.user.email])


def test_a_comment_highlights_the_members_it_mentions_and_nobody_else(
    author, kathmandu, new_york, outsider
):
    b = brief(author, [kathmandu])
    ktm = kathmandu.user.email.split("@")[0]
    stranger = outsider.user.email.split("@")[0]
    c = comment(b, new_york, f"@{ktm} can you check? cc @{stranger}, mail me at me@{ktm}.example")

    assert f'<span class="mention">@{ktm}</span> can you check?' in c.body_html
    assert f"cc @{stranger}," in c.body_html  # not a member here: plain text, nobody told
    assert f"me@{ktm}.example" in c.body_html
    assert c.body_html.count('class="mention"') == 1


def test_an_edited_comment_highlights_a_mention_it_gains(author, kathmandu, new_york):
    b = brief(author, [kathmandu])
    ktm = kathmandu.user.email.split("@")[0]
    c = comment(b, new_york, "Can someone check?")
    comment_edit(acting=new_york, comment=c, body=f"Can @{ktm} check? Not `@{ktm}` in code.")

    c.refresh_from_db()
    assert f'Can <span class="mention">@{ktm}</span> check?' in c.body_html
    assert f"<code>@{ktm}</code>" in c.body_html


def test_author_edits_a_comment_and_the_old_text_is_kept(author, kathmandu):
    b = brief(author, [kathmandu])
    c = comment(b, kathmandu, "Frist draft")
    comment_edit(acting=kathmandu, comment=c, body="First draft")
    comment_edit(acting=kathmandu, comment=c, body="First draft, reviewed")

    c.refresh_from_db()
    assert c.body == "First draft, reviewed" and c.edited_at is not None
    assert list(CommentRevision.objects.values_list("body", flat=True)) == [
        "Frist draft",
        "First draft",
    ]


def test_nobody_else_may_edit_a_comment(author, kathmandu):
    b = brief(author, [kathmandu])
    c = comment(b, kathmandu, "Mine")
    with pytest.raises(PermissionDenied):
        comment_edit(acting=author, comment=c, body="Yours now")
    c.refresh_from_db()
    assert c.body == "Mine" and not CommentRevision.objects.exists()


def test_question_is_marked_answered_by_whom_and_with_which_reply(author, kathmandu):
    b = brief(author, [kathmandu])
    q = comment(b, kathmandu, "Which plan?", is_question=True)
    a = comment(b, author, "The yearly one.", parent=q)

    question_answer(acting=author, question=q, answer=a)

    q.refresh_from_db()
    assert (q.answered_by_id, q.answer_id) == (author.pk, a.pk) and q.answered_at is not None


def test_a_reply_can_answer_its_question_in_one_step(author, kathmandu):
    b = brief(author, [kathmandu])
    q = comment(b, kathmandu, "Which plan?", is_question=True)
    a = comment(b, author, "Yearly.", parent=q, answers_parent=True)
    q.refresh_from_db()
    assert q.answer_id == a.pk


def test_answering_twice_is_a_conflict(author, kathmandu):
    b = brief(author, [kathmandu])
    q = comment(b, kathmandu, "Which plan?", is_question=True)
    question_answer(acting=author, question=q)
    with pytest.raises(Conflict):
        question_answer(acting=kathmandu, question=q)


def test_only_a_question_can_be_answered(author, kathmandu):
    b = brief(author, [kathmandu])
    c = comment(b, kathmandu, "Nice.")
    with pytest.raises(ValidationFailed):
        question_answer(acting=author, question=c)
    c.refresh_from_db()
    assert c.answered_at is None


def test_guest_comments_only_on_briefs_they_are_asked_in(workspace, author, kathmandu):
    guest = person(workspace, role=Role.GUEST)
    asked = brief(author, [guest])
    not_asked = brief(author, [kathmandu], title="Internal")
    comment(asked, guest, "Thanks!")
    with pytest.raises(PermissionDenied):
        comment(not_asked, guest, "Hello?")
    assert Comment.objects.filter(brief=not_asked).count() == 0


# --- Links ---------------------------------------------------------------------------------------


def test_link_another_brief_and_a_web_address(author, kathmandu):
    b, earlier = brief(author, [kathmandu]), brief(author, [kathmandu], title="Last year's pricing")
    link_add(
        acting=kathmandu, brief=b, target_brief=earlier, relation="supersedes", note="Replaces it"
    )
    link_add(acting=kathmandu, brief=b, url="https://example.com/research", relation="context")
    assert list(BriefLink.objects.values_list("target", "relation")) == [
        ("brief", "supersedes"),
        ("url", "context"),
    ]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x", "example"]
)
def test_link_to_anything_but_a_web_address_is_refused(author, kathmandu, url):
    b = brief(author, [kathmandu])
    with pytest.raises(ValidationFailed) as caught:
        link_add(acting=kathmandu, brief=b, url=url)
    assert "http://" in caught.value.errors["url"][0]
    assert not BriefLink.objects.exists()


def test_a_brief_cannot_link_itself_or_another_workspaces_brief(author, kathmandu, outsider):
    b = brief(author, [kathmandu])
    theirs = brief(outsider, [person(outsider.workspace)], title="Secret")
    for target in (b, theirs):
        with pytest.raises(ValidationFailed):
            link_add(acting=author, brief=b, target_brief=target)
    assert not BriefLink.objects.exists()


def test_the_same_link_twice_is_a_conflict(author, kathmandu):
    b = brief(author, [kathmandu])
    link_add(acting=author, brief=b, url="https://example.com")
    with pytest.raises(Conflict):
        link_add(acting=author, brief=b, url="https://example.com")
    assert BriefLink.objects.count() == 1


def test_decision_link_is_the_hook_for_the_decisions_app(author, kathmandu):
    record = decided(proposal(author, [kathmandu]))
    b = brief(author, [kathmandu])
    link = link_add(
        acting=author, brief=b, target="decision", target_id=record.pk, relation="context"
    )
    assert (link.target, link.target_id, link.url, link.target_brief) == (
        "decision",
        record.pk,
        "",
        None,
    )


def test_only_the_links_adder_or_the_author_removes_it(author, kathmandu, new_york):
    b = brief(author, [kathmandu, new_york])
    link = link_add(acting=kathmandu, brief=b, url="https://example.com")
    with pytest.raises(PermissionDenied):
        link_remove(acting=new_york, link=link)
    link_remove(acting=author, link=link)
    assert not BriefLink.objects.exists()


# --- Closing -------------------------------------------------------------------------------------


def test_author_closes_with_a_summary_and_participants_are_told(author, kathmandu, sent_mail):
    b = brief(author, [kathmandu])
    with sent_mail.capture():
        brief_close(acting=author, brief=b, summary="We go with **plan B**.")
    b.refresh_from_db()
    assert b.status == BriefStatus.CLOSED and b.closed_by == author
    assert b.summary_html == "<p>We go with <strong>plan B</strong>.</p>\n"
    assert sent_mail.to() == [kathmandu.user.email]


def test_closing_needs_a_summary(author, kathmandu):
    b = brief(author, [kathmandu])
    with pytest.raises(ValidationFailed) as caught:
        brief_close(acting=author, brief=b, summary="  ")
    assert list(caught.value.errors) == ["summary"]
    b.refresh_from_db()
    assert b.status == BriefStatus.OPEN


def test_only_the_author_closes(author, kathmandu):
    b = brief(author, [kathmandu])
    with pytest.raises(PermissionDenied):
        brief_close(acting=kathmandu, brief=b, summary="Done")
    assert Brief.objects.get().status == BriefStatus.OPEN


def test_a_closed_brief_is_read_only(author, kathmandu):
    b = brief(author, [kathmandu])
    c = comment(b, kathmandu, "Before")
    q = comment(b, kathmandu, "Open question?", is_question=True)
    brief_close(acting=author, brief=b, summary="Done")
    attempts = [
        lambda: brief_update(acting=author, brief=b, title="After"),
        lambda: comment_edit(acting=kathmandu, comment=c, body="After"),
        lambda: respond(acting=kathmandu, brief=b, body="Late"),
        lambda: question_answer(acting=author, question=q),
        lambda: link_add(acting=author, brief=b, url="https://example.com"),
        lambda: brief_close(acting=author, brief=b, summary="Again"),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()
    assert Comment.objects.count() == 2 and not BriefLink.objects.exists()
    assert Brief.objects.get().title == "Pricing page rework"


def test_without_working_hours_the_end_of_the_day_is_local_midnight(author, workspace):
    night_owl = person(workspace, "Pacific/Chatham", hours={})
    day = next_week()
    brief(author, [night_owl], deadline=Deadline(day=day))
    midnight = datetime(
        day.year, day.month, day.day, tzinfo=ZoneInfo("Pacific/Chatham")
    ) + timedelta(days=1)
    assert BriefParticipant.objects.get().local_deadline == midnight


def test_a_title_with_a_line_break_is_refused_so_its_emails_cannot_break():
    from meridian.briefs.services import brief_create
    from meridian.core.errors import ValidationFailed
    from meridian.workspaces.models import Membership
    from tests import factories

    ws = factories.workspace()
    author = Membership.objects.select_related("profile", "workspace").get(workspace=ws)
    with pytest.raises(ValidationFailed, match="one line"):
        brief_create(author=author, title="Plan\nBcc: all@example.com", participants=[])
