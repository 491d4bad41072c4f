"""The inbox page: the landing page, items by your deadline, done, snooze, undo and the nav count."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs.services import Deadline, respond
from meridian.notifications.models import InboxItem, InboxState
from meridian.notifications.selectors import inbox_list_for
from meridian.workspaces.services import membership_add
from tests import factories
from tests.briefs.factories import brief
from tests.notifications.factories import many_items

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 3, 12)


def url(name: str, member, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": member.workspace.slug, **kwargs})


@pytest.fixture
def asked(ada, kathmandu):
    return brief(ada, [kathmandu], title="Pricing page", deadline=Deadline(day=THURSDAY))


@pytest.fixture
def item(asked, kathmandu):
    return InboxItem.objects.get(recipient=kathmandu)


@pytest.fixture
def signed_in(client, kathmandu):
    client.force_login(kathmandu.user)
    return client


def test_signing_in_lands_in_your_inbox(client, kathmandu):
    response = client.post(
        reverse("account_login"),
        {"login": kathmandu.user.email, "password": factories.PASSWORD},
    )
    assert client.get(response["Location"])["Location"] == url("inbox", kathmandu)


def test_with_several_workspaces_the_list_links_to_each_inbox(client, kathmandu):
    other = factories.workspace(name="Globex")
    membership_add(workspace=other, user=kathmandu.user, role="member")
    client.force_login(kathmandu.user)
    html = client.get("/").content.decode()
    assert url("inbox", kathmandu) in html and f"/w/{other.slug}/inbox/" in html


def test_the_inbox_says_why_each_item_is_there_in_your_own_time(signed_in, item, kathmandu):
    html = signed_in.get(url("inbox", kathmandu)).content.decode()
    assert "Ada asks for your feedback: Pricing page" in html
    assert "Ada asked you to respond by the end of your Thursday (17:00 Asia/Kathmandu)" in html
    assert f'href="{item.url}"' in html


def test_the_nav_links_the_inbox_and_loads_its_count_without_polling_hidden_tabs(
    signed_in, item, kathmandu
):
    html = signed_in.get(url("brief_list", kathmandu)).content.decode()
    assert f'href="{url("inbox", kathmandu)}"' in html
    assert f'hx-get="{url("inbox_badge", kathmandu)}"' in html
    assert 'hx-trigger="load, badge-poll, inbox-changed from:body"' in html
    badge = signed_in.get(url("inbox_badge", kathmandu))
    assert ">1<" in badge.content.decode() and badge["Cache-Control"] == "no-store"


def test_done_with_htmx_offers_undo_and_refreshes_the_count(signed_in, item, kathmandu):
    response = signed_in.post(
        url("inbox_done", kathmandu, item_id=item.pk), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "Marked done: Ada asks for your feedback: Pricing page." in html
    assert url("inbox_undo", kathmandu, item_id=item.pk) in html
    assert response["HX-Trigger"] == "inbox-changed"
    assert signed_in.get(url("inbox_badge", kathmandu)).content.decode().strip() == ""


def test_done_without_javascript_comes_back_to_the_inbox_with_an_undo_button(
    signed_in, item, kathmandu
):
    response = signed_in.post(url("inbox_done", kathmandu, item_id=item.pk), follow=True)
    html = response.content.decode()
    assert "Marked done: Ada asks for your feedback" in html and ">Undo</button>" in html
    signed_in.post(url("inbox_undo", kathmandu, item_id=item.pk))
    assert InboxItem.objects.get(pk=item.pk).state == InboxState.OPEN


def test_snoozing_to_the_next_working_morning_hides_it_until_then(
    signed_in, item, kathmandu, monday
):
    signed_in.post(
        url("inbox_snooze", kathmandu, item_id=item.pk), {"moment": "next_working_morning"}
    )
    assert "Nothing waits for you" in signed_in.get(url("inbox", kathmandu)).content.decode()
    snoozed = signed_in.get(url("inbox", kathmandu) + "?view=snoozed").content.decode()
    assert "Snoozed until Tue 10 Mar, 09:00 Asia/Kathmandu" in snoozed
    monday.move_to(InboxItem.objects.get(pk=item.pk).snoozed_until)
    assert "Pricing page" in signed_in.get(url("inbox", kathmandu)).content.decode()


def test_snoozing_to_a_past_date_is_a_422_naming_it_and_changes_nothing(signed_in, item, kathmandu):
    response = signed_in.post(
        url("inbox_snooze", kathmandu, item_id=item.pk), {"date": "2026-03-01"}
    )
    assert response.status_code == 422
    assert "Sunday 1 March 2026, 09:00 Asia/Kathmandu is in the past" in response.content.decode()
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


@pytest.mark.parametrize("day", ["9999-12-31", "2031-03-12"])
def test_snoozing_beyond_the_horizon_is_a_422_naming_it_and_changes_nothing(
    signed_in, item, kathmandu, day
):
    response = signed_in.post(url("inbox_snooze", kathmandu, item_id=item.pk), {"date": day})
    assert response.status_code == 422
    assert "too far ahead" in response.content.decode()
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


def test_snoozing_to_the_first_day_of_the_calendar_is_a_422_in_the_past(signed_in, item, kathmandu):
    response = signed_in.post(
        url("inbox_snooze", kathmandu, item_id=item.pk), {"date": "0001-01-01"}
    )
    assert response.status_code == 422 and "is in the past" in response.content.decode()
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


def test_a_date_that_is_not_one_is_named(signed_in, item, kathmandu):
    response = signed_in.post(url("inbox_snooze", kathmandu, item_id=item.pk), {"date": "soon"})
    assert response.status_code == 422 and "“soon” is not a date" in response.content.decode()


def test_someone_elses_item_is_not_found(client, item, ada):
    client.force_login(ada.user)
    assert client.post(url("inbox_done", ada, item_id=item.pk)).status_code == 404
    assert InboxItem.objects.get(pk=item.pk).state == InboxState.OPEN


def test_responding_to_the_brief_empties_the_inbox_page(signed_in, asked, item, kathmandu):
    respond(acting=kathmandu, brief=asked, body="Yes.")
    assert "Nothing waits for you" in signed_in.get(url("inbox", kathmandu)).content.decode()


def test_the_page_orders_by_your_deadline_then_newest_first(signed_in, kathmandu, ada):
    many_items(kathmandu, 4, actor=ada)
    html = signed_in.get(url("inbox", kathmandu)).content.decode()
    positions = [html.index(f"Brief number {n}<") for n in (1, 3, 0, 2)]
    assert positions == sorted(positions)


def test_the_second_page_shows_the_items_after_the_first_in_the_same_order(
    signed_in, kathmandu, ada
):
    many_items(kathmandu, 30, actor=ada)
    titles = list(inbox_list_for(viewer=kathmandu).values_list("title", flat=True))

    html = signed_in.get(url("inbox", kathmandu) + "?page=2").content.decode()

    assert "Page 2 of 2" in html
    positions = [html.index(f"{title}<") for title in titles[25:]]
    assert positions == sorted(positions)
    assert not any(f"{title}<" in html for title in titles[:25])


@pytest.mark.parametrize("htmx", [False, True])
def test_the_page_costs_the_same_queries_for_50_or_500_items(signed_in, kathmandu, ada, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    many_items(kathmandu, 50, actor=ada)
    signed_in.get(url("inbox", kathmandu), headers=headers)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(url("inbox", kathmandu), headers=headers)
    InboxItem.objects.all().delete()
    many_items(kathmandu, 500, actor=ada)
    with CaptureQueriesContext(connection) as many:
        signed_in.get(url("inbox", kathmandu), headers=headers)
    # Session; user with membership; the three tab counts in one statement; the page's ids;
    # its rows.
    assert len(many) == len(few) == 5
    counts = [q["sql"] for q in many.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1


def test_the_nav_badge_shows_the_count_the_page_made_without_asking_again(
    signed_in, kathmandu, ada
):
    many_items(kathmandu, 3, actor=ada)

    html = signed_in.get(url("inbox", kathmandu)).content.decode()

    badge = html[html.index('id="inbox-count"') :]
    badge = badge[: badge.index("</span></span>")]
    assert 'hx-trigger="badge-poll, inbox-changed from:body"' in badge
    assert badge.endswith('<span class="nav-count">3<span class="visually-hidden"> waiting')
    # Elsewhere the badge still loads itself.
    other = signed_in.get(url("profile", kathmandu)).content.decode()
    assert 'hx-trigger="load, badge-poll, inbox-changed from:body"' in other


def test_a_bad_snooze_with_htmx_comes_back_in_the_item_naming_the_problem(
    signed_in, item, kathmandu
):
    response = signed_in.post(
        url("inbox_snooze", kathmandu, item_id=item.pk),
        {"date": "2026-03-01"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert f'id="inbox-item-{item.pk}"' in html and 'role="alert"' in html
    assert "is in the past" in html and 'aria-invalid="true"' in html
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


def test_what_people_wrote_in_an_item_is_shown_as_text_never_run(signed_in, kathmandu, ada):
    many_items(kathmandu, 1, actor=ada)
    InboxItem.objects.filter(recipient=kathmandu).update(
        title='<script>alert("t")</script>',
        reason='<img src=x onerror="alert(1)">',
        url='javascript:"><script>alert(2)</script>',
    )

    html = signed_in.get(url("inbox", kathmandu)).content.decode()

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="javascript:&quot;&gt;&lt;script&gt;' in html


def test_a_bad_snooze_without_javascript_names_the_problem_on_that_item_only(
    signed_in, item, kathmandu, ada
):
    many_items(kathmandu, 2, actor=ada)

    response = signed_in.post(
        url("inbox_snooze", kathmandu, item_id=item.pk), {"date": "2026-03-01"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert html.count('aria-invalid="true"') == 1
    assert f'id="inbox-error-{item.pk}"' in html
    assert f'aria-describedby="inbox-error-{item.pk}"' in html


def test_done_items_are_counted_only_on_their_own_tab(signed_in, item, kathmandu, ada):
    many_items(kathmandu, 3, actor=ada)
    InboxItem.objects.filter(recipient=kathmandu).exclude(pk=item.pk).update(
        state=InboxState.DONE, done_at=item.created_at
    )

    waiting = signed_in.get(url("inbox", kathmandu)).content.decode()
    done = signed_in.get(url("inbox", kathmandu) + "?view=done").content.decode()

    assert 'Waiting <span class="badge">1</span>' in waiting
    assert ">Done</a>" in waiting  # no count: done items pile up for years
    assert 'Done <span class="badge">3</span>' in done
    assert "Brief number 2" in done
