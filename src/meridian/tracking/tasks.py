"""Background jobs of the tracking area."""

from django.tasks import task

from meridian.core.facts import facts_stale


@task()
def activity_facts_refresh(*, workspace_id: int, ids: list[int]) -> None:
    """Have the metrics redo the facts of these daily activity rows (a sync's touched days);
    they are rewritten from the rows' current figures, so running it twice, or after a later
    sync's run, writes the same facts."""
    facts_stale(workspace_id=workspace_id, source_kind="activity_day", ids=ids)
