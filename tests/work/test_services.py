"""The work services: tasks, their timeline and versions, dependencies, threads, links, files."""

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meridian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from meridian.notifications.models import InboxItem, InboxState
from meridian.work.models import Dependency, Task, TaskComment, TaskEvent, TaskFile, TaskLink
from meridian.work.services import (
    Due,
    EditConflict,
    comment_add,
    dependency_add,
    dependency_remove,
    project_update,
    question_answer,
    task_file_add,
    task_follow,
    task_link_add,
    task_unfollow,
    task_update,
)
from meridian.workspaces.models import Role, TimeOff
from tests import factories
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Task.objects.count(),
        TaskEvent.objects.count(),
        Dependency.objects.count(),
        TaskComment.objects.count(),
        InboxItem.objects.count(),
    )


def test_task_starts_in_the_first_open_status_with_markdown_rendered_safely(ana, site):
    t = task(
        ana,
        site,
        description="**Bold** <script>alert(1)</script>",
        criteria=[{"text": "Copy reviewed"}],
    )
    assert t.status == "todo" and not t.is_done and t.version == 1
    assert "<strong>Bold</strong>" in t.description_html and "<script>" not in t.description_html
    assert t.criteria == [{"text": "Copy reviewed", "done": False}]
    assert list(t.events.values_list("field", "new")) == [("created", "Write the copy")]


def test_status_not_in_the_workflow_is_422_naming_the_allowed_ones_and_nothing_is_written(
    ana, site
):
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        task(ana, site, status="shipped")
    assert "To do (todo)" in caught.value.errors["status"][0]
    assert "Done (done)" in caught.value.errors["status"][0]
    assert _counts() == before


def test_several_bad_fields_are_named_together(ana, site, other_workspace):
    stranger = factories.admin_of(other_workspace)
    with pytest.raises(ValidationFailed) as caught:
        task(ana, site, title=" ", owner=stranger, estimate_minutes=-5, criteria=[{"text": ""}])
    assert set(caught.value.errors) == {"title", "owner", "estimate_minutes", "criteria"}
    assert not Task.objects.exists()


def test_guest_may_not_write_a_task(workspace, site):
    guest = factories.member(workspace, role=Role.GUEST)
    with pytest.raises(PermissionDenied):
        task(guest, site)


def test_local_day_due_falls_at_the_end_of_the_owners_own_working_day(clock, ana, ben, site):
    t = task(ana, site, owner=ben, due=Due("local_day", date=date(2026, 12, 9)))
    # 17:00 in Kathmandu (UTC+5:45) is 11:15 UTC.
    assert t.due_by == datetime(2026, 12, 9, 11, 15, tzinfo=UTC)


def test_working_time_due_counts_the_owners_working_hours_from_now(clock, ana, site):
    # Monday 09:00 Berlin; 10 working hours: 8 on Monday, 2 on Tuesday → Tuesday 11:00 Berlin.
    t = task(ana, site, owner=ana, due=Due("working_time", working_minutes=600))
    assert t.due_by == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def test_an_owner_away_on_the_due_day_is_due_at_the_end_of_their_first_day_back(
    clock, ana, ben, site
):
    TimeOff.objects.create(
        workspace_id=ben.workspace_id,
        membership=ben,
        first_day=date(2026, 12, 9),
        last_day=date(2026, 12, 10),
    )
    t = task(ana, site, owner=ben, due=Due("local_day", date=date(2026, 12, 9)))
    # Away Wednesday and Thursday: 17:00 in Kathmandu on Friday 11 December.
    assert t.due_by == datetime(2026, 12, 11, 11, 15, tzinfo=UTC)


def test_working_time_due_skips_the_days_the_owner_is_away(clock, ana, site):
    TimeOff.objects.create(
        workspace_id=ana.workspace_id,
        membership=ana,
        first_day=date(2026, 12, 8),
        last_day=date(2026, 12, 8),
    )
    # 8 hours on Monday, away on Tuesday, 2 hours on Wednesday → Wednesday 11:00 Berlin.
    t = task(ana, site, owner=ana, due=Due("working_time", working_minutes=600))
    assert t.due_by == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def test_owner_of_a_task_with_a_due_date_finds_it_in_their_inbox_until_it_moves_or_is_done(
    clock, ana, ben, site
):
    t = task(ana, site, owner=ben, due=Due("local_day", date=date(2026, 12, 9)))
    item = InboxItem.objects.get(recipient=ben, cause=f"work.task:{t.pk}")
    assert item.state == InboxState.OPEN and item.due_at == t.due_by

    t = task_update(actor=ana, task=t, version=t.version, changes={"owner": ana})
    item.refresh_from_db()
    assert item.state == InboxState.GONE
    mine = InboxItem.objects.get(recipient=ana, cause=f"work.task:{t.pk}", state=InboxState.OPEN)
    # Recomputed for Ana: 17:00 Berlin is 16:00 UTC.
    assert mine.due_at == t.due_by == datetime(2026, 12, 9, 16, 0, tzinfo=UTC)

    task_update(actor=ana, task=t, version=t.version, changes={"status": "done"})
    mine.refresh_from_db()
    assert mine.state == InboxState.GONE


def test_every_changed_field_is_one_timeline_entry_as_a_person_reads_it(ana, ben, site):
    t = task(ana, site, estimate_minutes=30)
    t = task_update(
        actor=ana,
        task=t,
        version=1,
        changes={
            "title": "Write the landing copy",
            "status": "doing",
            "owner": ben,
            "estimate_minutes": 90,
            "tags": ["Copy"],
        },
    )
    assert t.version == 2
    changed = {e.field: (e.old, e.new) for e in t.events.exclude(field="created")}
    assert changed == {
        "title": ("Write the copy", "Write the landing copy"),
        "status": ("To do", "Doing"),
        "owner": ("", "Ben Kathmandu"),
        "estimate": ("30 min", "1 h 30 min"),
        "tags": ("", "copy"),
    }


def test_an_older_version_is_a_conflict_carrying_the_other_change_and_nothing_is_written(
    ana, ben, site
):
    t = task(ana, site)
    task_update(actor=ben, task=t, version=1, changes={"title": "Ben's title"})
    before = _counts()
    with pytest.raises(EditConflict) as caught:
        task_update(actor=ana, task=t, version=1, changes={"title": "Ana's title"})
    error = caught.value
    assert error.status_code == 409 and "Ben Kathmandu" in error.detail
    assert error.current.title == "Ben's title" and error.current.version == 2
    assert [(e.field, e.old, e.new) for e in error.changes] == [
        ("title", "Write the copy", "Ben's title")
    ]
    assert _counts() == before
    assert Task.objects.get().title == "Ben's title"


def test_unknown_field_is_422(ana, site):
    t = task(ana, site)
    with pytest.raises(ValidationFailed) as caught:
        task_update(actor=ana, task=t, version=1, changes={"colour": "red"})
    assert "colour" in caught.value.errors


def test_a_task_cannot_be_put_under_its_own_subtask(ana, site):
    parent = task(ana, site, title="Parent")
    child = task(ana, site, title="Child", parent=parent)
    with pytest.raises(ValidationFailed) as caught:
        task_update(actor=ana, task=parent, version=parent.version, changes={"parent": child})
    assert caught.value.errors["parent"] == [
        "A task cannot be under its own subtask: Parent → Child → Parent."
    ]


def test_dependency_cycle_is_422_naming_it_across_projects(ana, site):
    other = project(ana, "Billing")
    a, b, c = task(ana, site, title="A"), task(ana, other, title="B"), task(ana, site, title="C")
    dependency_add(actor=ana, blocker=a, blocked=b)
    dependency_add(actor=ana, blocker=b, blocked=c)
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        dependency_add(actor=ana, blocker=c, blocked=a)
    assert caught.value.errors["blocker"] == [
        "That would make a cycle of blocking tasks: C → A → B → C."
    ]
    assert _counts() == before


def test_dependency_twice_is_409_and_removal_is_in_both_timelines(ana, site):
    a, b = task(ana, site, title="A"), task(ana, site, title="B")
    dep = dependency_add(actor=ana, blocker=a, blocked=b)
    with pytest.raises(Conflict):
        dependency_add(actor=ana, blocker=a, blocked=b)
    dependency_remove(actor=ana, dependency=dep)
    assert list(b.events.values_list("field", flat=True))[:2] == [
        "blocked_by_removed",
        "blocked_by_added",
    ]
    assert not Dependency.objects.exists()


def test_question_awaits_the_owner_until_answered_and_mentions_are_highlighted(ana, ben, site):
    t = task(ana, site, owner=ana)
    handle = ana.user.email.split("@")[0]
    q = comment_add(actor=ben, task=t, body=f"@{handle} which font? @nobody", is_question=True)
    assert f'<span class="mention">@{handle}</span>' in q.body_html and "@nobody" in q.body_html
    assert q.mention_rows.get().membership == ana
    item = InboxItem.objects.get(recipient=ana, cause=f"work.question:{q.pk}")
    assert item.state == InboxState.OPEN

    answered = question_answer(actor=ana, comment=q, body="Inter.")
    assert answered.answered_by == ana and answered.replies.get().body == "Inter."
    item.refresh_from_db()
    assert item.state == InboxState.GONE
    with pytest.raises(Conflict):
        question_answer(actor=ana, comment=q, body="Again")


def test_link_to_a_task_of_another_workspace_is_422_and_kinds_are_named(ana, site, outsider):
    t = task(ana, site)
    theirs = task(outsider, project(outsider, "Theirs"))
    with pytest.raises(ValidationFailed) as caught:
        task_link_add(actor=ana, task=t, kind="task", target_id=theirs.pk)
    assert caught.value.errors == {"target_id": [f"No task #{theirs.pk} in this workspace."]}
    with pytest.raises(ValidationFailed) as caught:
        task_link_add(actor=ana, task=t, kind="spreadsheet", target_id=1)
    assert "task" in caught.value.errors["kind"][0]
    other = task(ana, site, title="Related")
    task_link_add(actor=ana, task=t, kind="task", target_id=other.pk, note="see")
    assert TaskLink.objects.get().target_id == other.pk
    assert t.events.filter(field="link_added", new="Related").exists()


def test_file_is_stored_under_a_made_up_name_and_an_empty_one_is_refused(
    ana, site, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    t = task(ana, site)
    row = task_file_add(
        actor=ana, task=t, upload=SimpleUploadedFile("../../plan <b>.pdf", b"%PDF-1.4 x")
    )
    assert row.filename == "plan <b>.pdf" and row.content_type == "application/pdf"
    assert row.file.name.startswith(f"work/{t.workspace_id}/") and "plan" not in row.file.name
    with pytest.raises(ValidationFailed):
        task_file_add(actor=ana, task=t, upload=SimpleUploadedFile("empty.txt", b""))
    assert TaskFile.objects.count() == 1


def test_follow_twice_is_harmless_and_foreign_task_is_404(ana, site, outsider):
    t = task(ana, site)
    task_follow(actor=ana, task=t)
    task_follow(actor=ana, task=t)
    assert list(t.followers.all()) == [ana]
    task_unfollow(actor=ana, task=t)
    assert not t.followers.exists()
    with pytest.raises(NotFound):
        task_follow(actor=outsider, task=t)


def test_workflow_change_dropping_a_used_status_is_422_naming_it(ana, site):
    task(ana, site, status="review")
    flow = [s for s in site.statuses() if s["key"] != "review"]
    with pytest.raises(ValidationFailed) as caught:
        project_update(actor=ana, project=site, version=site.version, changes={"workflow": flow})
    assert "“In review” is still used by 1 task" in caught.value.errors["workflow"][0]
    renamed = [dict(s, label="Shipped") if s["key"] == "done" else s for s in site.statuses()]
    updated = project_update(
        actor=ana, project=site, version=site.version, changes={"workflow": renamed}
    )
    assert updated.status("done")["label"] == "Shipped" and updated.version == 2


def test_a_due_date_added_later_puts_the_task_in_the_owners_inbox_and_reopening_brings_it_back(
    clock, ana, ben, site
):
    t = task(ana, site, owner=ben)
    assert not InboxItem.objects.exists()
    t = task_update(
        actor=ana,
        task=t,
        version=1,
        changes={"due": Due("instant", at=datetime(2026, 12, 10, 9, tzinfo=UTC))},
    )
    item = InboxItem.objects.get(recipient=ben, state=InboxState.OPEN)
    assert item.due_at == datetime(2026, 12, 10, 9, tzinfo=UTC)
    t = task_update(actor=ana, task=t, version=t.version, changes={"status": "done"})
    assert not InboxItem.objects.filter(state=InboxState.OPEN).exists()
    task_update(actor=ana, task=t, version=t.version, changes={"status": "doing"})
    assert InboxItem.objects.get(recipient=ben, state=InboxState.OPEN).cause == f"work.task:{t.pk}"


def test_who_is_told_what_by_email(
    ana, ben, site, mailoutbox, django_capture_on_commit_callbacks, settings
):
    from tests.support import IMMEDIATE_TASKS

    settings.TASKS = IMMEDIATE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        task(ana, site, title="Mine", owner=ana)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        t = task(ana, site, title="Yours", owner=ben)
    assert [(m.to, "Ana Berlin gave you a task: Yours" in m.subject) for m in mailoutbox] == [
        ([ben.user.email], True)
    ]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        q = comment_add(actor=ana, task=t, body="When can you start?", is_question=True)
    assert [m.to for m in mailoutbox] == [[ben.user.email]] and "asked a question" in mailoutbox[
        0
    ].subject
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question_answer(actor=ben, comment=q, body="Monday.")
    assert [m.to for m in mailoutbox] == [
        [ana.user.email]
    ] and "answered your question" in mailoutbox[0].subject
