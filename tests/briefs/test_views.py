"""The briefs pages through Django's test client: access, forms with bad input, htmx, queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meridian.briefs.models import Brief, BriefLink, BriefParticipant, BriefStatus, Comment
from meridian.briefs.services import Deadline, brief_close, link_add, respond
from meridian.core.markdown import render_markdown
from meridian.recordings.models import Recording
from meridian.workspaces.services import team_add_member, team_create
from tests.briefs.factories import brief, comment, next_week, person

pytestmark = pytest.mark.django_db


def signed_in(client, membership):
    client.force_login(membership.user)
    return client


def url(name: str, b: Brief | None = None, ws=None, **kwargs) -> str:
    workspace = ws or b.workspace  # type: ignore[union-attr]
    if b is not None:
        kwargs["brief_id"] = b.pk
    return reverse(name, kwargs={"workspace": workspace.slug, **kwargs})


@pytest.fixture
def asked(author, kathmandu, new_york):
    return brief(
        author,
        [kathmandu, new_york],
        title="Pricing page rework",
        body="We want to **simplify** the plans.",
        questions=["Is three plans enough?", "Annual discount?"],
        deadline=Deadline(day=next_week()),
    )


def new_brief_post(*members, **overrides) -> dict:
    data = {
        "title": "Office move",
        "body": "We move on the 1st.",
        "ask_kind": "fyi",
        "questions": "Any objections?\nWho needs a parking spot?",
        "required": [f"member:{m.pk}" for m in members],
        "optional": [],
        "deadline_kind": "day",
        "deadline_date": next_week().isoformat(),
        "deadline_at": "",
        "meeting_people": "5",
        "meeting_minutes": "30",
    }
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, asked):
    target = url("brief_detail", asked)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={target}"


def test_member_of_another_workspace_gets_404_and_changes_nothing(client, asked, outsider):
    signed_in(client, outsider)
    assert client.get(url("brief_detail", asked)).status_code == 404
    response = client.post(url("brief_comment_new", asked), {"body": "Hi"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


# --- The list -------------------------------------------------------------------------------------


def test_list_shows_open_overdue_and_closed_briefs(client, author, kathmandu, asked):
    late = brief(author, [kathmandu], title="Late one", deadline=Deadline(day=next_week()))
    past = timezone.now() - timedelta(hours=1)
    BriefParticipant.objects.filter(brief=late).update(local_deadline=past)
    Brief.objects.filter(pk=late.pk).update(respond_by=past)
    done = brief(author, [kathmandu], title="Done one")
    brief_close(acting=author, brief=done, summary="Fine.")

    page = signed_in(client, kathmandu).get(url("brief_list", ws=author.workspace))

    html = page.content.decode()
    assert page.status_code == 200
    for text in ("Pricing page rework", "Late one", "Done one", "Overdue", "Closed", "Open"):
        assert text in html
    assert "Waiting for you" in html


def test_list_filter_answers_htmx_with_the_table_alone(client, author, asked):
    response = signed_in(client, author).get(
        url("brief_list", ws=author.workspace) + "?status=closed", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="brief-list"')
    assert "<html" not in html and "Pricing page rework" not in html


def test_list_query_count_does_not_grow_with_briefs(client, author, kathmandu):
    signed_in(client, author)
    list_url = url("brief_list", ws=author.workspace)
    brief(author, [kathmandu], title="One")
    with CaptureQueriesContext(connection) as few:
        client.get(list_url)
    for n in range(15):
        brief(author, [kathmandu], title=f"Brief {n}")
    with CaptureQueriesContext(connection) as many:
        client.get(list_url)
    assert len(many) == len(few)


# --- Writing a brief -------------------------------------------------------------------------------


def test_author_writes_a_brief_to_a_person_and_a_team(client, author, kathmandu, new_york):
    team = team_create(acting=author, name="Design")
    team_add_member(acting=author, team=team, member=new_york)
    data = new_brief_post(kathmandu, required=[f"member:{kathmandu.pk}", "team:design"])

    response = signed_in(client, author).post(url("brief_new", ws=author.workspace), data)

    b = Brief.objects.get()
    assert response.status_code == 302 and response["Location"] == url("brief_detail", b)
    assert (b.title, b.ask_kind, b.questions) == (
        "Office move",
        "fyi",
        ["Any objections?", "Who needs a parking spot?"],
    )
    assert b.deadline_kind == "local_day" and b.meeting_hours_saved == 2.5
    assert set(BriefParticipant.objects.values_list("membership_id", flat=True)) == {
        kathmandu.pk,
        new_york.pk,
    }


def test_a_moment_deadline_is_read_in_the_authors_time_zone(client, author, kathmandu):
    day = next_week()
    data = new_brief_post(
        kathmandu, deadline_kind="instant", deadline_date="", deadline_at=f"{day}T17:00"
    )
    signed_in(client, author).post(url("brief_new", ws=author.workspace), data)
    # The author works in Europe/Berlin: 17:00 in the form is 17:00 in Berlin.
    expected = datetime(day.year, day.month, day.day, 17, tzinfo=ZoneInfo("Europe/Berlin"))
    assert Brief.objects.get().deadline_at == expected


def test_a_day_that_is_already_over_is_refused_and_nothing_is_written(client, author, kathmandu):
    data = new_brief_post(
        kathmandu, deadline_date=(timezone.now() - timedelta(days=3)).date().isoformat()
    )
    response = signed_in(client, author).post(url("brief_new", ws=author.workspace), data)
    assert response.status_code == 422
    assert "has already passed: choose today or a later day" in response.content.decode()
    assert not Brief.objects.exists()


def test_a_brief_to_nobody_is_refused_naming_the_participants(client, author):
    response = signed_in(client, author).post(
        url("brief_new", ws=author.workspace), new_brief_post()
    )
    assert response.status_code == 422
    assert "Ask at least one member or team" in response.content.decode()
    assert not Brief.objects.exists()


def test_guest_cannot_open_the_new_brief_form(client, workspace):
    guest = person(workspace, role="guest")
    assert signed_in(client, guest).get(url("brief_new", ws=workspace)).status_code == 403


def test_only_the_author_may_open_the_edit_form(client, asked, kathmandu):
    assert signed_in(client, kathmandu).get(url("brief_edit", asked)).status_code == 403


def test_author_edits_the_brief(client, author, asked, kathmandu):
    page = signed_in(client, author).get(url("brief_edit", asked))
    assert page.status_code == 200 and "Is three plans enough?" in page.content.decode()
    data = new_brief_post(kathmandu, title="Pricing page, take two")
    response = client.post(url("brief_edit", asked), data)
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.title == "Pricing page, take two"
    assert list(BriefParticipant.objects.values_list("membership_id", flat=True)) == [kathmandu.pk]


# --- The brief page --------------------------------------------------------------------------------


def test_opening_the_brief_marks_a_participant_seen_and_shows_their_own_deadline(
    client, asked, kathmandu
):
    response = signed_in(client, kathmandu).get(url("brief_detail", asked))
    html = response.content.decode()
    assert response.status_code == 200
    assert BriefParticipant.objects.get(membership=kathmandu).first_seen_at is not None
    ktm_deadline = BriefParticipant.objects.get(membership=kathmandu).local_deadline
    local = ktm_deadline.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert f"{local:%a} {local.day} {local:%b}, {local:%H:%M}</strong>, your time" in html
    assert "<strong>simplify</strong>" in html
    assert "Is three plans enough?" in html
    assert "0 of 2</strong> responded" in html


def test_the_player_is_included_when_the_brief_has_a_recording(client, asked, author):
    Recording.objects.create(
        workspace=asked.workspace,
        brief=asked,
        created_by=author,
        filename="w.webm",
        container="webm",
        original="recordings/w.webm",
        content_type="video/webm",
        size=10,
        duration=20.0,
    )
    comment(asked, author, "Look at this", at_seconds=5)
    html = signed_in(client, author).get(url("brief_detail", asked)).content.decode()
    assert 'data-seek="5.00"' in html
    assert "Pin to moment" in html


def test_markdown_in_a_comment_cannot_run_script(client, asked, kathmandu):
    comment(
        asked,
        kathmandu,
        '<script>alert("x")</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>',
    )
    html = signed_in(client, kathmandu).get(url("brief_detail", asked)).content.decode()
    assert "<script>alert" not in html and "onerror=alert" not in html.replace(
        "&lt;img src=x onerror=alert(1)&gt;", ""
    )
    assert 'href="javascript:' not in html


def test_unanswered_questions_show_their_text_once_escaped(client, asked, kathmandu):
    comment(asked, kathmandu, 'Is "Team & Pro" <b>one</b> plan?', is_question=True)

    html = signed_in(client, kathmandu).get(url("brief_detail", asked)).content.decode()

    side = html[html.index("Unanswered questions") :]
    assert "Is &quot;Team &amp; Pro&quot; &lt;b&gt;one&lt;/b&gt; plan?</a>" in side
    assert "&amp;quot;" not in html and "&amp;amp;" not in html


def test_the_thread_escapes_names_and_keeps_its_controls(client, asked, kathmandu, new_york):
    from meridian.workspaces.services import profile_update

    profile_update(acting=kathmandu, member=kathmandu, display_name="<i>Bikram</i> & co")
    question = comment(asked, kathmandu, "Why **three**?", is_question=True)
    comment(asked, new_york, "Because.", parent=question)

    html = signed_in(client, kathmandu).get(url("brief_detail", asked)).content.decode()

    name = "&lt;i&gt;Bikram&lt;/i&gt; &amp; co"
    assert f'<span id="comment-{question.pk}-by" class="person">{name}</span>' in html
    assert "<p>Why <strong>three</strong>?</p>" in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # mark answered, this answers it
    assert (
        f'action="/w/{asked.workspace.slug}/briefs/{asked.pk}/comments/{question.pk}/answer/"'
        in html
    )
    assert f'href="?reply={question.pk}#reply-{question.pk}"' in html


def test_comment_posted_from_the_page_lands_in_the_thread(client, asked, kathmandu):
    response = signed_in(client, kathmandu).post(
        url("brief_comment_new", asked), {"body": "Why **three**?", "is_question": "on"}
    )
    c = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("brief_detail", asked) + f"#comment-{c.pk}"
    assert c.is_question and c.body_html == render_markdown("Why **three**?")


def test_comment_through_htmx_answers_with_the_thread(client, asked, kathmandu):
    response = signed_in(client, kathmandu).post(
        url("brief_comment_new", asked), {"body": "Sounds right."}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="thread"') and "Sounds right." in html


def test_empty_comment_comes_back_with_the_problem_and_nothing_is_written(client, asked, kathmandu):
    response = signed_in(client, kathmandu).post(url("brief_comment_new", asked), {"body": " "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_empty_comment_through_htmx_comes_back_in_the_thread_with_the_problem(
    client, asked, kathmandu
):
    response = signed_in(client, kathmandu).post(
        url("brief_comment_new", asked), {"body": ""}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="thread"') and 'role="alert"' in html
    assert not Comment.objects.exists()


def test_reply_form_appears_under_the_comment_it_answers(client, asked, author, kathmandu):
    q = comment(asked, kathmandu, "Which plan?", is_question=True)
    page = signed_in(client, author).get(url("brief_detail", asked) + f"?reply={q.pk}")
    assert f'id="reply-{q.pk}"' in page.content.decode()
    client.post(
        url("brief_comment_new", asked), {"body": "Yearly", "parent": q.pk, "answers_parent": "on"}
    )
    q.refresh_from_db()
    assert q.answered_by == author and q.answer.body == "Yearly"


def test_comment_on_a_closed_brief_is_refused_with_the_reason(client, asked, author, kathmandu):
    brief_close(acting=author, brief=asked, summary="Decided.")
    response = signed_in(client, kathmandu).post(url("brief_comment_new", asked), {"body": "Late"})
    assert response.status_code == 409
    assert "read-only" in response.content.decode()
    assert not Comment.objects.exists()


def test_participant_responds_from_the_page(client, asked, kathmandu):
    response = signed_in(client, kathmandu).post(
        url("brief_response_new", asked), {"body": "Three plans are enough."}
    )
    assert response.status_code == 302
    assert BriefParticipant.objects.get(membership=kathmandu).responded_at is not None
    page = client.get(url("brief_detail", asked)).content.decode()
    assert "1 of 2</strong> responded" in page


def test_question_is_marked_answered_from_the_page(client, asked, author, kathmandu):
    q = comment(asked, kathmandu, "Which plan?", is_question=True)
    response = signed_in(client, author).post(url("brief_answer", asked, comment_id=q.pk))
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.answered_by == author


def test_author_edits_a_comment_and_its_history_is_shown(client, asked, kathmandu, new_york):
    c = comment(asked, kathmandu, "Frist")
    edit = url("brief_comment_edit", asked, comment_id=c.pk)
    assert signed_in(client, kathmandu).post(edit, {"body": "First"}).status_code == 302
    history = signed_in(client, new_york).get(edit).content.decode()
    assert "Frist" in history and "<textarea" not in history
    assert client.post(edit, {"body": "Mine now"}).status_code == 403
    c.refresh_from_db()
    assert c.body == "First"


def test_links_are_added_and_removed_from_the_page(client, asked, author, kathmandu):
    other = brief(author, [kathmandu], title="Last year's pricing")
    signed_in(client, kathmandu)
    client.post(
        url("brief_link_new", asked),
        {"relation": "supersedes", "target_brief": other.pk, "note": "old"},
    )
    client.post(url("brief_link_new", asked), {"relation": "context", "url": "javascript:alert(1)"})
    link = BriefLink.objects.get()
    assert (link.target_brief, link.relation) == (other, "supersedes")
    page = client.get(url("brief_detail", asked)).content.decode()
    assert "Last year&#x27;s pricing" in page
    client.post(url("brief_link_delete", asked, link_id=link.pk))
    assert not BriefLink.objects.exists()


def test_web_address_that_is_not_http_is_refused_with_the_reason(client, asked, kathmandu):
    response = signed_in(client, kathmandu).post(
        url("brief_link_new", asked), {"relation": "context", "url": "javascript:alert(1)"}
    )
    assert response.status_code == 422
    assert "is not a web address" in response.content.decode()
    assert not BriefLink.objects.exists()


# --- Closing -------------------------------------------------------------------------------------


def test_author_closes_the_brief_with_a_summary(client, asked, author):
    signed_in(client, author)
    assert client.get(url("brief_close", asked)).status_code == 200
    response = client.post(
        url("brief_close", asked), {"summary": "Three plans, **annual** discount."}
    )
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == BriefStatus.CLOSED
    page = client.get(url("brief_detail", asked)).content.decode()
    assert "<strong>annual</strong>" in page and "read-only" in page
    assert "Add to the discussion" not in page


def test_closing_without_a_summary_is_refused(client, asked, author):
    response = signed_in(client, author).post(url("brief_close", asked), {"summary": ""})
    assert response.status_code == 422
    asked.refresh_from_db()
    assert asked.status == BriefStatus.OPEN


def test_only_the_author_closes(client, asked, kathmandu):
    response = signed_in(client, kathmandu).post(url("brief_close", asked), {"summary": "Done"})
    assert response.status_code == 403
    asked.refresh_from_db()
    assert asked.status == BriefStatus.OPEN


# --- Queries ---------------------------------------------------------------------------------------


def grow(b: Brief, people: list, comments: int) -> None:
    """Put ``comments`` comments (a third of them replies and questions) on the brief."""
    rows = []
    for i in range(comments):
        rows.append(
            Comment(
                workspace=b.workspace,
                brief=b,
                author=people[i % len(people)],
                body=f"Comment {i}",
                body_html=f"<p>Comment {i}</p>",
                is_question=i % 3 == 0,
                at_seconds=float(i % 20) if i % 4 == 0 else None,
            )
        )
    Comment.objects.bulk_create(rows)
    tops = list(
        Comment.objects.filter(brief=b, parent__isnull=True).order_by("id")[: comments // 3]
    )
    for top, reply in zip(
        tops, Comment.objects.filter(brief=b).order_by("-id")[: comments // 3], strict=False
    ):
        if top.pk != reply.pk:
            Comment.objects.filter(pk=reply.pk).update(parent=top, answered_by=people[0])


def page_queries(client, b: Brief) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("brief_detail", b))
    assert response.status_code == 200
    return len(captured)


def test_brief_page_query_count_is_constant_in_comments_and_participants(client, author, workspace):
    few_people = [person(workspace) for _ in range(3)]
    many_people = few_people + [person(workspace) for _ in range(47)]
    small = brief(author, few_people, title="Small")
    large = brief(author, many_people, title="Large")
    Recording.objects.create(
        workspace=workspace,
        brief=large,
        created_by=author,
        filename="w.webm",
        container="webm",
        original="recordings/w.webm",
        content_type="video/webm",
        size=10,
        duration=30.0,
    )
    Recording.objects.create(
        workspace=workspace,
        brief=small,
        created_by=author,
        filename="w.webm",
        container="webm",
        original="recordings/w.webm",
        content_type="video/webm",
        size=10,
        duration=30.0,
    )
    grow(small, few_people, 10)
    grow(large, many_people, 200)
    link_add(acting=author, brief=small, url="https://example.com")
    link_add(acting=author, brief=large, url="https://example.com")
    respond(acting=many_people[0], brief=large, body="ok")
    respond(acting=few_people[0], brief=small, body="ok")
    signed_in(client, author)

    assert page_queries(client, small) == page_queries(client, large)
