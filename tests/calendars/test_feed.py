"""The secret ICS feed: valid RFC 5545 read back with icalendar, each deadline in UTC, rotation."""

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from icalendar import Calendar

from meridian.briefs.models import BriefParticipant
from meridian.briefs.services import Deadline, Invitee, brief_update, respond
from meridian.calendars.services import calendar_feed_rotate
from meridian.decisions.models import ProposalParticipant
from tests.briefs.factories import brief, next_week, person
from tests.decisions.factories import proposal, vote

pytestmark = pytest.mark.django_db


def _feed(secret: str, client: Client | None = None):
    return (client or Client()).get(f"/calendar/{secret}.ics")


def _events(response) -> list:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return list(calendar.walk("VEVENT"))


def test_each_member_sees_the_brief_at_their_own_deadline_in_utc(workspace, admin):
    day = next_week()
    auckland = person(workspace, "Pacific/Auckland")
    angeles = person(workspace, "America/Los_Angeles")
    made = brief(admin, [auckland, angeles], title="Budget 2027", deadline=Deadline(day=day))
    _, nz_secret = calendar_feed_rotate(acting=auckland)
    _, la_secret = calendar_feed_rotate(acting=angeles)

    nz_events, la_events = _events(_feed(nz_secret)), _events(_feed(la_secret))
    assert len(nz_events) == len(la_events) == 1
    nz, la = nz_events[0], la_events[0]
    nz_due = BriefParticipant.objects.get(brief=made, membership=auckland).local_deadline
    la_due = BriefParticipant.objects.get(brief=made, membership=angeles).local_deadline
    assert nz.decoded("DTSTART") == nz_due
    assert la.decoded("DTSTART") == la_due
    # Written in UTC ("Z"), so every calendar app shows it in its own zone without a VTIMEZONE.
    utc = nz_due.astimezone(UTC)
    assert f"DTSTART:{utc:%Y%m%dT%H%M%S}Z\r\n".encode() in _feed(nz_secret).content
    # The same day ends a day earlier in UTC for Auckland than for Los Angeles.
    assert nz.decoded("DTSTART") < la.decoded("DTSTART")
    assert nz.decoded("DTSTART").astimezone(ZoneInfo("Pacific/Auckland")).date() == day
    assert la.decoded("DTSTART").astimezone(ZoneInfo("America/Los_Angeles")).date() == day
    assert str(nz["SUMMARY"]) == "Respond to the brief: Budget 2027"
    url = f"{settings.BASE_URL}/w/{workspace.slug}/briefs/{made.pk}/"
    assert str(nz["URL"]) == url
    assert url in str(nz["DESCRIPTION"])
    assert nz.decoded("DTSTAMP")
    assert str(nz["UID"]) != str(la["UID"])
    assert str(_events(_feed(nz_secret))[0]["UID"]) == str(nz["UID"])  # stable across fetches


def test_a_response_or_a_stance_takes_the_deadline_out_of_the_feed(workspace, admin):
    ana = person(workspace, "Europe/Berlin")
    made = brief(admin, [ana], title="Pricing", deadline=Deadline(day=next_week()))
    asked = proposal(admin, [ana], title="Four-day week")
    _, secret = calendar_feed_rotate(acting=ana)
    summaries = sorted(str(e["SUMMARY"]) for e in _events(_feed(secret)))
    assert summaries == ["Give your stance: Four-day week", "Respond to the brief: Pricing"]
    due = ProposalParticipant.objects.get(proposal=asked, membership=ana).local_deadline
    stance = next(e for e in _events(_feed(secret)) if "stance" in str(e["SUMMARY"]))
    assert stance.decoded("DTSTART") == due

    respond(acting=ana, brief=made, body="Fine by me.")
    vote(ana, asked, position="agree")
    assert _events(_feed(secret)) == []


def test_being_removed_from_the_ask_takes_it_out_of_your_feed_not_the_others(workspace, admin):
    ana = person(workspace, "Europe/Berlin")
    bo = person(workspace, "Asia/Tokyo")
    made = brief(admin, [ana, bo], title="Pricing", deadline=Deadline(day=next_week()))
    _, ana_secret = calendar_feed_rotate(acting=ana)
    brief_update(acting=admin, brief=made, participants=[Invitee(member_id=bo.pk)])
    assert _events(_feed(ana_secret)) == []
    _, bo_secret = calendar_feed_rotate(acting=bo)
    assert len(_events(_feed(bo_secret))) == 1


def test_a_title_with_ics_punctuation_reads_back_as_written_in_one_event(workspace, admin):
    ana = person(workspace, "Europe/Berlin")
    title = "Q1; budget, draft \\ END:VEVENT"
    brief(admin, [ana], title=title, deadline=Deadline(day=next_week()))
    _, secret = calendar_feed_rotate(acting=ana)
    [event] = _events(_feed(secret))
    assert str(event["SUMMARY"]) == f"Respond to the brief: {title}"


def test_a_blind_proposal_in_the_feed_carries_nobody_elses_stance(workspace, admin):
    ana = person(workspace, display_name="Ana Early")
    bo = person(workspace)
    p = proposal(admin, [ana, bo], title="Office move", visibility="blind")
    vote(ana, p, position="object", reason="ANA-BLIND-REASON")
    _, secret = calendar_feed_rotate(acting=bo)
    body = _feed(secret).content.decode()
    assert "Office move" in body
    assert "ANA-BLIND-REASON" not in body and "Ana Early" not in body and "object" not in body


def test_rotating_the_address_makes_the_old_one_answer_404(workspace, member):
    _, old = calendar_feed_rotate(acting=member)
    assert _feed(old).status_code == 200
    assert Client().head(f"/calendar/{old}.ics").status_code == 200  # apps probe with HEAD
    _, new = calendar_feed_rotate(acting=member)
    assert new != old
    assert _feed(old).status_code == 404
    assert _feed(new).status_code == 200
    assert _feed("cal_not-a-real-secret").status_code == 404


def test_the_profile_page_shows_the_address_and_rotates_it(client, workspace, member):
    client.force_login(member.user)
    profile = f"/w/{workspace.slug}/profile/"
    assert "Make my calendar address" in client.get(profile).content.decode()
    assert client.post(f"/w/{workspace.slug}/calendar/feed/").status_code == 302
    page = client.get(profile).content.decode()
    first = page.split('id="calendar-url" class="secret" readonly value="')[1].split('"')[0]
    assert first.startswith(f"{settings.BASE_URL}/calendar/cal_") and first.endswith(".ics")
    assert Client().get(first.removeprefix(settings.BASE_URL)).status_code == 200

    client.post(f"/w/{workspace.slug}/calendar/feed/")
    page = client.get(profile).content.decode()
    second = page.split('id="calendar-url" class="secret" readonly value="')[1].split('"')[0]
    assert second != first
    assert Client().get(first.removeprefix(settings.BASE_URL)).status_code == 404


def test_a_member_who_left_has_no_feed(workspace, admin, member):
    from meridian.workspaces.services import member_deactivate

    _, secret = calendar_feed_rotate(acting=member)
    member_deactivate(acting=admin, member=member)
    assert _feed(secret).status_code == 404
