"""The metrics pages: the catalogue (definitions, formulas, values linking to their items, "no
data" as such), the drill-down with links to the tasks, defining a metric, entering a value."""

from datetime import timedelta

import pytest

from meridian.metrics.models import MetricFact
from meridian.metrics.services import custom_metric_create, value_push
from meridian.work.services import task_update
from tests.metrics.conftest import NOW
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def page(client, member, path=""):
    client.force_login(member.user)
    return client.get(f"/w/{member.workspace.slug}/metrics/{path}")


def test_the_catalogue_explains_every_metric_and_shows_no_data_as_such(client, ada):
    out = page(client, ada)
    assert out.status_code == 200
    html = out.content.decode()
    assert "Tasks completed" in html and "Cycle time" in html and "Overdue tasks" in html
    assert "median and 85th percentile" in html
    assert "no data" in html
    assert f'href="/w/{ada.workspace.slug}/metrics/tasks_completed/?days=30"' in html
    assert 'aria-current="page">Metrics' in html or ">Metrics</a>" in html


def test_the_drilldown_lists_the_tasks_behind_the_number_with_links(
    client, ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = task(ada, project(ada), title="Ship <b>pricing</b>", owner=ada)
        task_update(actor=ada, task=item, version=item.version, changes={"status": "done"})
    html = page(client, ada, "tasks_completed/?days=7").content.decode()
    assert "Ship &lt;b&gt;pricing&lt;/b&gt;" in html  # escaped, never markup
    assert f"/tasks/{item.pk}/" in html
    assert "1 fact" in html and "Europe/Berlin" in html


def test_an_unknown_metric_page_is_a_404(client, ada, outsider):
    assert page(client, ada, "nope/").status_code == 404
    custom_metric_create(acting=ada, key="nps", label="NPS", definition="Score")
    assert page(client, outsider, "nps/").status_code == 404


def test_an_admin_defines_a_metric_and_a_bad_key_is_a_form_error(client, ada):
    client.force_login(ada.user)
    url = f"/w/{ada.workspace.slug}/metrics/new/"
    bad = client.post(
        url, {"key": "Bad Key", "label": "x", "definition": "y", "aggregation": "sum"}
    )
    assert bad.status_code == 422 and "lowercase letters" in bad.content.decode()
    good = {"key": "nps", "label": "NPS", "definition": "Score", "aggregation": "mean"}
    assert client.post(url, good).status_code == 302
    assert "NPS" in page(client, ada).content.decode()


def test_a_member_may_not_define_a_metric(client, bo):
    client.force_login(bo.user)
    assert client.get(f"/w/{bo.workspace.slug}/metrics/new/").status_code == 403


def test_a_value_entered_by_hand_is_read_in_the_members_zone_and_keeps_its_note(client, ada):
    custom_metric_create(acting=ada, key="nps", label="NPS", definition="Score")
    client.force_login(ada.user)
    url = f"/w/{ada.workspace.slug}/metrics/nps/values/"
    out = client.post(url, {"value": "41", "at": "2026-11-05T10:00", "note": "Q4 survey"})
    assert out.status_code == 302
    fact = MetricFact.objects.get()
    assert fact.occurred_at == NOW.replace(hour=9)  # 10:00 in Berlin is 09:00 UTC
    assert fact.note == "Q4 survey" and fact.entered_by_id == ada.pk
    future = client.post(url, {"value": "1", "at": "2027-11-05T10:00", "note": "typo"})
    assert future.status_code == 422 and "future" in future.content.decode()


def test_a_level_of_zero_is_a_number_not_no_data(client, ada):
    metric = custom_metric_create(
        acting=ada, key="backlog", label="Backlog", definition="Open items", aggregation="level"
    )
    value_push(acting=ada, metric=metric, at=NOW - timedelta(days=1), value=2)
    value_push(acting=ada, metric=metric, at=NOW - timedelta(hours=1), value=-2)
    html = page(client, ada, "backlog/").content.decode()
    assert "no data" not in html.split("The items behind")[0]


def test_the_drilldown_reads_a_range_of_days_for_one_subject(client, ada, bo):
    from datetime import date

    from meridian.metrics.services import value_push

    metric = custom_metric_create(acting=ada, key="nps", label="NPS", definition="Score")
    value_push(acting=ada, metric=metric, at=NOW - timedelta(days=3), value=7, note="Ada's")
    value_push(
        acting=ada,
        metric=metric,
        at=NOW - timedelta(days=3),
        value=9,
        note="Bo's",
        subject="member",
        subject_id=bo.pk,
    )
    first, last = date(2026, 11, 1), date(2026, 11, 3)
    whole = page(client, ada, f"nps/?first={first}&last={last}").content.decode()
    assert "2 facts" in whole and "<dt>3 days (" in whole
    one = page(client, ada, f"nps/?first={first}&last={last}&subject=member&subject_id={bo.pk}")
    html = one.content.decode()
    assert "<dt>Measured on</dt><dd>Bo</dd>" in html
    assert "1 fact" in html and "Bo&#x27;s" in html and "Ada&#x27;s" not in html
    # A range ending before the values, or a backwards one, shows no facts or the last 7 days.
    assert (
        "No data in these days"
        in page(client, ada, "nps/?first=2026-10-01&last=2026-10-02").content.decode()
    )
    assert "Last 7 days" in page(client, ada, f"nps/?first={last}&last={first}").content.decode()


def test_the_drilldown_of_another_workspaces_subject_is_a_404(client, ada, outsider):
    from meridian.workspaces.services import team_create

    theirs = team_create(acting=outsider, name="Zeta team")
    out = page(client, ada, f"tasks_completed/?subject=team&subject_id={theirs.pk}")
    assert out.status_code == 404
