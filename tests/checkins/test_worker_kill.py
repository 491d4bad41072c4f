"""Real `meridian worker` processes asking check-ins, killed with SIGKILL at random moments or
run two at once: every member is asked once for their local day, none lost, none twice.

Members in 24 zones work all day every day and the check-in asks at 00:00 local, so with the
real clock each of them is due at once. A batch of prompts, their inbox items and the
batch's ledger key are written in one transaction, so a kill rolls back the batch in flight,
which the next worker asks again.
"""

import os
import random
import signal
import time
from collections import Counter
from datetime import time as clock

import pytest
from django.utils import timezone

from meridian.checkins.models import CheckinPrompt
from meridian.core.models import ScheduledRun
from meridian.core.moments import local_date
from meridian.notifications.models import InboxItem
from tests import factories
from tests.checkins.factories import checkin, team
from tests.core.support import kill_with_descendants, start_worker, wait_for, worker_env

# The workers must see what the test committed.
pytestmark = pytest.mark.django_db(transaction=True)

ALL_DAY = {str(d): [[0, 1440]] for d in range(7)}
ZONES = [
    "Pacific/Pago_Pago", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles",
    "America/Denver", "America/Chicago", "America/New_York", "America/Halifax",
    "America/Sao_Paulo", "Atlantic/South_Georgia", "Atlantic/Azores", "UTC", "Europe/Berlin",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Pacific/Auckland",
]  # fmt: skip
MEMBERS = 240
# The "default" queue only (what these tests kill: the task loop and the scheduler it starts):
# every task here runs there, so the "media" queue's process (a third Django boot per start,
# up to nine starts per test) would only idle until it is killed with them.
WORKER_ARGS = ("--tick-seconds", "1", "--queue", "default")


def _seed(workspace) -> dict[int, str]:
    admin = factories.admin_of(workspace)
    members = [
        factories.member(workspace, time_zone=ZONES[n % len(ZONES)], working_hours=ALL_DAY)
        for n in range(MEMBERS)
    ]
    checkin(admin, team(admin, *members), weekdays=list(range(7)), ask_time=clock(0, 0))
    return {m.pk: m.profile.time_zone for m in members}


def _all_asked(zones: dict[int, str]) -> bool:
    now = timezone.now()
    asked = set(CheckinPrompt.objects.values_list("membership_id", "local_date"))
    return all((pk, local_date(now, zone)) in asked for pk, zone in zones.items())


def _no_duplicates() -> None:
    prompts = list(CheckinPrompt.objects.values_list("pk", "membership_id", "local_date"))
    assert len({(m, d) for _, m, d in prompts}) == len(prompts)
    causes = Counter(
        InboxItem.objects.filter(cause__startswith="checkins.prompt:").values_list(
            "cause", flat=True
        )
    )
    assert causes == Counter(f"checkins.prompt:{pk}" for pk, _, _ in prompts)
    # One ledger key per batch, naming how many it asked: together, no more than were asked.
    keys = list(ScheduledRun.objects.filter(job="checkins.ask").values_list("key", flat=True))
    assert keys
    assert sum(int(key.split(":")[2]) for key in keys) == len(prompts)


def test_a_worker_killed_at_random_moments_asks_everyone_once(workspace, tmp_path):
    zones = _seed(workspace)
    env = worker_env(tmp_path)
    log = tmp_path / "worker.log"
    rng = random.Random(20270308)
    kills = 0
    at_kill: list[int] = []
    for _ in range(6):
        before = CheckinPrompt.objects.count()
        worker = start_worker(env, log, *WORKER_ARGS)
        wait_for(lambda before=before: CheckinPrompt.objects.count() > before, 60)
        time.sleep(rng.uniform(0.0, 0.4))
        kill_with_descendants(worker.pid)
        worker.wait(timeout=30)
        kills += 1
        at_kill.append(CheckinPrompt.objects.count())
        if _all_asked(zones):
            break
    worker = start_worker(env, log, *WORKER_ARGS)
    try:
        done = wait_for(lambda: _all_asked(zones), 120)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    assert done, log.read_text()[-3000:]
    assert kills >= 2
    assert any(0 < n < MEMBERS for n in at_kill), at_kill  # killed while asking
    _no_duplicates()
    print(f"killed {kills} times, with {at_kill} of {MEMBERS} asked")


def test_two_workers_at_once_ask_everyone_once(workspace, tmp_path):
    zones = _seed(workspace)
    env = worker_env(tmp_path)
    log = tmp_path / "worker.log"
    workers = [start_worker(env, log, *WORKER_ARGS) for _ in range(2)]
    try:
        done = wait_for(lambda: _all_asked(zones), 120)
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    assert done, log.read_text()[-3000:]
    _no_duplicates()
