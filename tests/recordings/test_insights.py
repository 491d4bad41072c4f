"""Viewer insights: who watched how much, where people stopped, which moments drew a response;
for the brief's author and admins only."""

import math

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from meridian.briefs.services import comment_add
from meridian.recordings.models import Reaction, Recording
from meridian.recordings.progress import MAX_RETENTION_POINTS, retention, retention_step
from meridian.recordings.selectors import recording_insights_for
from meridian.recordings.services import reaction_add, recording_view_record
from meridian.workspaces.models import Role
from tests import factories
from tests.briefs.factories import person
from tests.recordings.support import send_file

seconds = st.floats(min_value=0, max_value=600, allow_nan=False)
viewer_ranges = st.lists(st.tuples(seconds, seconds).map(sorted), max_size=8)


@given(st.lists(viewer_ranges, max_size=6), st.floats(min_value=0.5, max_value=600))
def test_retention_counts_each_viewer_at_most_once_per_point(viewers, duration):
    step = retention_step(duration)
    counts = retention(viewers, duration, step)
    assert len(counts) == math.ceil(duration / step)
    assert all(0 <= n <= len(viewers) for n in counts)


@given(st.floats(min_value=1, max_value=8 * 3600))
def test_a_viewer_who_watched_everything_counts_at_every_point(duration):
    step = retention_step(duration)
    counts = retention([[(0.0, duration)]], duration, step)
    assert counts == [1] * math.ceil(duration / step)
    assert len(counts) <= MAX_RETENTION_POINTS


def test_retention_marks_where_people_stopped():
    assert retention([[(0, 10)], [(0, 4)], [(6, 10), (0, 2)]], 10) == [3, 3, 2, 2, 1, 1, 2, 2, 2, 2]
    assert retention([], 0) == [] and retention([[(0, 5)]], None) == []


@pytest.fixture
def watched(db, author, teammate, brief, clips) -> Recording:
    """A minute-long recording: the teammate watched it all, another member the first 20 s."""
    recording = send_file(author, brief, clips["webm"]).recording
    Recording.objects.filter(pk=recording.pk).update(duration=60.0)
    recording.refresh_from_db()
    early = person(author.workspace, "UTC", display_name="Early Leaver")
    recording_view_record(viewer=teammate, recording=recording, ranges=[[0, 60]])
    recording_view_record(viewer=early, recording=recording, ranges=[[0, 20]])
    reaction_add(acting=teammate, recording=recording, seconds=11, emoji=Reaction.EMOJI[0])
    comment_add(acting=early, brief=brief, body="Why this step?", at_seconds=12.5)
    return recording


@pytest.mark.django_db
def test_the_author_learns_who_watched_how_much_and_where_people_stopped(author, watched):
    found = recording_insights_for(viewer=author, recording=watched)
    assert [(v.name, round(v.fraction, 2)) for v in found.viewers][1] == ("Early Leaver", 0.33)
    assert found.viewers[0].fraction == 1.0
    assert found.step == 1 and len(found.retention) == 60
    assert found.retention[:20] == [2] * 20 and found.retention[20:] == [1] * 40
    assert found.retention_rows[30] == (30, 1, 50)
    [moment] = found.moments
    assert moment.start == 10.0 and moment.comments == 1
    assert moment.reactions == {Reaction.EMOJI[0]: 1}


@pytest.mark.django_db
def test_only_the_author_and_admins_see_the_insights_page_chart_and_csv(author, teammate, watched):
    slug = author.workspace.slug
    page = f"/w/{slug}/recordings/{watched.pk}/insights/"
    client = Client()
    client.force_login(author.user)
    html = client.get(page).content.decode()
    assert "Early Leaver" in html and "33 %" in html
    assert "vendor/echarts/echarts.min.js" in html and 'id="retention-data"' in html
    assert "0:10</a>" in html  # the moment that drew a comment and a reaction
    csv = client.get(f"/w/{slug}/recordings/{watched.pk}/insights.csv")
    lines = csv.content.decode().splitlines()
    assert csv["Content-Type"].startswith("text/csv")
    assert lines[0] == "second,viewers,percent_of_viewers" and lines[1] == "0,2,100"
    assert lines[-1] == "59,1,50"

    admin = Client()
    admin.force_login(factories.member(author.workspace, role=Role.ADMIN).user)
    assert admin.get(page).status_code == 200

    other = Client()
    other.force_login(teammate.user)
    assert other.get(page).status_code == 403
    assert other.get(f"/w/{slug}/recordings/{watched.pk}/insights.csv").status_code == 403
    ws = {"HTTP_X_MERIDIAN_WORKSPACE": slug}
    assert other.get(f"/api/v1/recordings/{watched.pk}/insights", **ws).status_code == 403
    api = client.get(f"/api/v1/recordings/{watched.pk}/insights", **ws).json()
    assert api["retention"][:2] == [2, 2] and api["viewers"][1]["name"] == "Early Leaver"


@pytest.mark.django_db
def test_the_player_beacon_refuses_ranges_that_are_not_time(teammate, watched):
    client = Client()
    client.force_login(teammate.user)
    ws = {"HTTP_X_MERIDIAN_WORKSPACE": teammate.workspace.slug}
    url = f"/api/v1/recordings/{watched.pk}/progress"
    for bad in ([[5, 1]], [[-1, 2]], [[0, 1, 2]], [[0, 1]] * 1000):
        response = client.post(url, {"ranges": bad}, content_type="application/json", **ws)
        assert response.status_code == 422, bad
    first = client.post(url, {"ranges": [[0, 5]]}, content_type="application/json", **ws)
    again = client.post(url, {"ranges": [[0, 5]]}, content_type="application/json", **ws)
    assert first.json()["ranges"] == again.json()["ranges"]  # sending twice changes nothing
