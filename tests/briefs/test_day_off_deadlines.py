"""The rule for days off: a deadline day someone does not work moves to their next working day.

Hana works Monday to Friday in Tokyo. A brief due Sunday 6 December used to show "Due end of
Sun 6 Dec" for her, i.e. midnight of her day off. Now her deadline is the end of Monday's
working hours, in the brief, its reminders, its page and the API, and the form says so before
the brief is sent.
"""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from meridian.briefs.models import Brief, BriefParticipant
from meridian.briefs.services import Deadline
from tests.api.support import bearer, get, send
from tests.briefs.factories import brief, person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # Thursday
SUNDAY = date(2026, 12, 6)
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY_END_TOKYO = datetime(2026, 12, 7, 17, 0, tzinfo=TOKYO)
WEEKEND_WORK = {str(d): [[540, 1020]] for d in (5, 6)}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hana(workspace):
    return person(workspace, "Asia/Tokyo", display_name="Hana Sato")


@pytest.fixture
def weekend(workspace):
    return person(workspace, "Europe/Lisbon", hours=WEEKEND_WORK, display_name="Rui Weekend")


def form_data(*members, **overrides) -> dict:
    data = {
        "title": "Draft goals",
        "ask_kind": "feedback",
        "required": [f"member:{m.pk}" for m in members],
        "deadline_kind": "day",
        "deadline_date": SUNDAY.isoformat(),
    }
    data.update(overrides)
    return data


def kept(warning) -> str:
    """The value of the warning's "Keep this day" box: what ticking it agrees to."""
    found = re.search(r'name="days_off_ok" value="([0-9a-f]+)"', warning.content.decode())
    assert found is not None, "no day-off warning to agree to"
    return found.group(1)


def new_url(member) -> str:
    return reverse("brief_new", kwargs={"workspace": member.workspace.slug})


def test_a_sunday_deadline_is_the_end_of_monday_for_someone_working_monday_to_friday(
    author, hana, weekend
):
    b = brief(author, [hana, weekend], deadline=Deadline(day=SUNDAY))

    due = dict(
        BriefParticipant.objects.filter(brief=b).values_list("membership_id", "local_deadline")
    )
    assert due[hana.pk] == MONDAY_END_TOKYO
    # Someone who does work on Sunday keeps the end of their Sunday.
    assert due[weekend.pk] == datetime(2026, 12, 6, 17, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
    assert Brief.objects.get().respond_by == MONDAY_END_TOKYO  # the last of them


def test_the_brief_page_and_the_api_show_the_moved_deadline_in_her_zone(client, author, hana):
    b = brief(author, [hana], deadline=Deadline(day=SUNDAY))

    client.force_login(hana.user)
    page = client.get(
        reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})
    )
    assert "Due Mon 7 Dec, 17:00 · Asia/Tokyo" in page.content.decode()
    assert "end of Sun 6 Dec" not in page.content.decode()
    out = get(client, f"/briefs/{b.pk}", bearer(hana)).json()
    (row,) = out["participants"]
    assert datetime.fromisoformat(row["local_deadline"]) == MONDAY_END_TOKYO


def test_the_form_warns_naming_who_is_off_and_their_new_deadline_and_saves_nothing(
    client, author, hana, weekend
):
    client.force_login(author.user)

    response = client.post(new_url(author), form_data(hana, weekend))

    html = response.content.decode()
    assert response.status_code == 200
    assert "That day is a day off for one person you ask." in html
    assert (
        "Hana Sato (Asia/Tokyo) does not work on Sunday 6 December: their deadline becomes "
        "the end of Monday 7 December, 17:00 Asia/Tokyo."
    ) in html
    assert "Rui Weekend" not in html.split('id="day-off-warning"')[1].split("</div>")[0]
    assert not Brief.objects.exists()


def test_ticking_keep_this_day_sends_the_brief_with_the_moved_deadline(client, author, hana):
    client.force_login(author.user)
    warning = client.post(new_url(author), form_data(hana))

    response = client.post(new_url(author), form_data(hana, days_off_ok=kept(warning)))

    assert response.status_code == 302
    assert BriefParticipant.objects.get().local_deadline == MONDAY_END_TOKYO


def test_keeping_a_day_then_choosing_another_day_off_warns_again(client, author, hana):
    client.force_login(author.user)
    warning = client.post(new_url(author), form_data(hana))

    saturday = form_data(hana, deadline_date="2026-12-05", days_off_ok=kept(warning))
    response = client.post(new_url(author), saturday)

    assert response.status_code == 200
    assert "does not work on Saturday 5 December" in response.content.decode()
    assert not Brief.objects.exists()


def test_keeping_a_day_then_asking_someone_else_off_that_day_warns_again(
    client, author, hana, workspace
):
    kenji = person(workspace, "Asia/Tokyo", display_name="Kenji Mori")
    client.force_login(author.user)
    warning = client.post(new_url(author), form_data(hana))

    response = client.post(new_url(author), form_data(hana, kenji, days_off_ok=kept(warning)))

    assert response.status_code == 200
    assert "Kenji Mori (Asia/Tokyo) does not work on Sunday 6 December" in response.content.decode()
    assert not Brief.objects.exists()


def test_an_old_page_ticking_the_box_as_1_is_warned_again(client, author, hana):
    client.force_login(author.user)
    response = client.post(new_url(author), form_data(hana, days_off_ok="1"))
    assert response.status_code == 200 and not Brief.objects.exists()


def test_a_working_day_is_sent_without_a_warning(client, author, hana):
    client.force_login(author.user)
    response = client.post(new_url(author), form_data(hana, deadline_date="2026-12-08"))
    assert response.status_code == 302 and Brief.objects.count() == 1


def test_editing_a_brief_that_keeps_its_day_warns_only_about_people_newly_asked(
    client, author, hana, workspace
):
    b = brief(author, [hana], deadline=Deadline(day=SUNDAY))
    kenji = person(workspace, "Asia/Tokyo", display_name="Kenji Mori")
    client.force_login(author.user)
    edit = reverse("brief_edit", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})

    same = client.post(edit, form_data(hana, title="Draft goals, v2"))
    assert same.status_code == 302
    more = client.post(edit, form_data(hana, kenji, title="Draft goals, v3"))
    html = more.content.decode()
    assert more.status_code == 200 and "Kenji Mori (Asia/Tokyo) does not work" in html
    assert "Hana Sato (Asia/Tokyo) does not work" not in html
    b.refresh_from_db()
    assert b.title == "Draft goals, v2"


def test_the_api_answers_each_persons_moved_deadline_without_asking_to_confirm(
    client, author, hana
):
    body = {
        "title": "Draft goals",
        "participants": [{"member_id": hana.pk}],
        "deadline_date": SUNDAY.isoformat(),
    }
    response = send(client, "POST", "/briefs", body, bearer(author))
    assert response.status_code == 201
    (row,) = response.json()["participants"]
    assert datetime.fromisoformat(row["local_deadline"]) == MONDAY_END_TOKYO
