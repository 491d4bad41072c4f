"""Time off: members enter their own days away (admins anyone's), on the profile page and the API."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.workspaces.models import TimeOff
from meridian.workspaces.selectors import time_off_between
from meridian.workspaces.services import profile_update, time_off_add, time_off_remove
from tests import factories
from tests.api.support import bearer, get, problem, send

pytestmark = pytest.mark.django_db

# A Sunday evening in UTC that is already Monday 7 December in Auckland.
NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def profile_url(ws) -> str:
    return reverse("profile", kwargs={"workspace": ws.slug})


def test_a_member_adds_time_off_on_their_profile_and_sees_it_listed(client, member):
    client.force_login(member.user)
    response = client.post(
        reverse("time_off_add", kwargs={"workspace": member.workspace.slug}),
        {"first_day": "2026-12-21", "last_day": "2027-01-01", "note": "Winter break"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#time-off")
    entry = TimeOff.objects.get()
    assert (entry.membership, entry.first_day, entry.last_day) == (
        member,
        date(2026, 12, 21),
        date(2027, 1, 1),
    )
    page = client.get(profile_url(member.workspace)).content.decode()
    assert "Time off" in page and "Mon 21 Dec 2026" in page and "Fri 1 Jan 2027" in page
    assert "(12 days)" in page and "Winter break" in page


def test_time_off_that_ends_before_it_starts_is_refused_on_the_page_and_nothing_is_written(
    client, member
):
    client.force_login(member.user)
    response = client.post(
        reverse("time_off_add", kwargs={"workspace": member.workspace.slug}),
        {"first_day": "2026-12-21", "last_day": "2026-12-20"},
    )
    assert response.status_code == 422
    assert "The last day comes before the first day." in response.content.decode()
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        (date(2027, 1, 1), date(2028, 1, 5), "last_day", "at most a year"),
        (date(2032, 1, 1), date(2032, 1, 2), "first_day", "within five years"),
        (date(2021, 1, 1), date(2021, 1, 2), "first_day", "within five years"),
    ],
)
def test_time_off_longer_than_a_year_or_beyond_five_years_is_refused(
    member, first, last, field, message
):
    with pytest.raises(ValidationFailed) as refused:
        time_off_add(acting=member, member=member, first_day=first, last_day=last)
    assert message in refused.value.errors[field][0]
    assert not TimeOff.objects.exists()


def test_overlapping_time_off_is_refused_naming_the_existing_entry(member):
    time_off_add(
        acting=member, member=member, first_day=date(2027, 2, 1), last_day=date(2027, 2, 5)
    )
    with pytest.raises(ValidationFailed, match="1 Feb 2027 to 5 Feb 2027"):
        time_off_add(
            acting=member, member=member, first_day=date(2027, 2, 5), last_day=date(2027, 2, 9)
        )
    assert TimeOff.objects.count() == 1


def test_only_admins_enter_or_remove_time_off_for_someone_else(admin, member):
    other = factories.member(admin.workspace)
    with pytest.raises(PermissionDenied):
        time_off_add(
            acting=member, member=other, first_day=date(2027, 3, 1), last_day=date(2027, 3, 2)
        )
    entry = time_off_add(
        acting=admin, member=other, first_day=date(2027, 3, 1), last_day=date(2027, 3, 2)
    )
    with pytest.raises(PermissionDenied):
        time_off_remove(acting=member, entry=entry)
    time_off_remove(acting=admin, entry=entry)
    assert not TimeOff.objects.exists()


def test_time_off_between_returns_each_members_overlapping_days_in_one_query(
    member, admin, django_assert_num_queries
):
    other = factories.member(admin.workspace)
    time_off_add(
        acting=member, member=member, first_day=date(2027, 1, 4), last_day=date(2027, 1, 8)
    )
    time_off_add(
        acting=member, member=member, first_day=date(2027, 2, 1), last_day=date(2027, 2, 1)
    )
    time_off_add(acting=other, member=other, first_day=date(2027, 1, 9), last_day=date(2027, 1, 10))
    with django_assert_num_queries(1):
        away = time_off_between(
            admin.workspace_id, [member.pk, other.pk, admin.pk], date(2027, 1, 8), date(2027, 1, 31)
        )
    assert away == {
        member.pk: [(date(2027, 1, 4), date(2027, 1, 8))],
        other.pk: [(date(2027, 1, 9), date(2027, 1, 10))],
    }


def test_the_api_lists_creates_and_deletes_only_your_own_time_off(client, member, admin):
    created = send(
        client,
        "POST",
        "/time-off",
        {"first_day": "2027-01-04", "last_day": "2027-01-08"},
        bearer(member),
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["member_id"] == member.pk and body["days"] == 5

    other = factories.member(admin.workspace)
    theirs = time_off_add(
        acting=other, member=other, first_day=date(2027, 5, 1), last_day=date(2027, 5, 2)
    )
    listed = get(client, "/time-off", bearer(member)).json()
    assert [row["id"] for row in listed["items"]] == [body["id"]]
    problem(send(client, "DELETE", f"/time-off/{theirs.pk}", None, bearer(member)), 404)
    refused = send(
        client,
        "POST",
        "/time-off",
        {"first_day": "2027-06-01", "last_day": "2027-06-02", "member_id": other.pk},
        bearer(member),
    )
    problem(refused, 403)
    assert (
        send(client, "DELETE", f"/time-off/{body['id']}", None, bearer(member)).status_code == 204
    )
    assert list(TimeOff.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_an_admin_adds_time_off_for_another_member_through_the_api(client, admin, member):
    created = send(
        client,
        "POST",
        "/time-off",
        {"first_day": "2027-01-04", "last_day": "2027-01-04", "member_id": member.pk},
        bearer(admin),
    )
    assert created.status_code == 201 and created.json()["member_id"] == member.pk
    mine = get(client, f"/time-off?member_id={member.pk}", bearer(admin)).json()
    assert len(mine["items"]) == 1


def test_bad_time_off_in_the_api_is_a_422_naming_the_field(client, member):
    body = problem(
        send(
            client,
            "POST",
            "/time-off",
            {"first_day": "2027-01-08", "last_day": "2027-01-04"},
            bearer(member),
        ),
        422,
    )
    assert "last_day" in body["errors"]
    assert not TimeOff.objects.exists()


def test_time_off_of_another_workspace_is_not_found(client, member, outsider):
    entry = time_off_add(
        acting=outsider, member=outsider, first_day=date(2027, 1, 4), last_day=date(2027, 1, 4)
    )
    problem(send(client, "DELETE", f"/time-off/{entry.pk}", None, bearer(member)), 404)
    with pytest.raises(NotFound):
        time_off_remove(acting=member, entry=entry)
    client.force_login(member.user)
    response = client.post(
        reverse(
            "time_off_remove", kwargs={"workspace": member.workspace.slug, "time_off_id": entry.pk}
        )
    )
    assert response.status_code == 404 and TimeOff.objects.count() == 1


def test_five_years_count_from_the_members_own_today(member):
    # 20:00 UTC on 6 December is already 7 December in Auckland.
    with pytest.raises(ValidationFailed):
        time_off_add(
            acting=member, member=member, first_day=date(2031, 12, 7), last_day=date(2031, 12, 7)
        )
    profile_update(acting=member, member=member, time_zone="Pacific/Auckland")
    member.refresh_from_db()
    time_off_add(
        acting=member, member=member, first_day=date(2031, 12, 7), last_day=date(2031, 12, 7)
    )
    assert TimeOff.objects.count() == 1
