"""Real `meridian worker` processes, killed with SIGKILL at random moments or run two at once,
email every due notification and digest exactly once to a real local SMTP server."""

import os
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.conf import settings

from meridian.delivery.emails import message_id
from meridian.delivery.models import Delivery, Digest
from meridian.delivery.services import delivery_accept
from tests import factories
from tests.core.support import kill_with_descendants, start_worker, wait_for, worker_env
from tests.delivery.support import notice

# The workers must see what the test committed.
pytestmark = pytest.mark.django_db(transaction=True)

ALL_DAY = {str(d): [[0, 1440]] for d in range(7)}
MEMBERS = 12
NOTICES = 200


def _seed(workspace) -> None:
    """Notices due at once for members who are always reachable, and a digest due for each."""
    from datetime import time as clock

    members = [
        factories.member(workspace, working_hours=ALL_DAY, digest_time=clock(0, 0))
        for _ in range(MEMBERS)
    ]
    rng = random.Random(7)
    for n in range(NOTICES):
        delivery_accept(notice(rng.choice(members), subject=f"Notice {n}", cause=f"k:{n}"))
    for member in members:
        for n in range(3):
            delivery_accept(notice(member, kind="test.replied", subject=f"Digest item {n}"))
    # Waiting since long ago, so every digest and email is due for the workers, which read the
    # real clock even when the test session runs at another moment (--clock-at).
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    Delivery.objects.update(created_at=long_ago)
    Delivery.objects.filter(channel="now").update(deliver_after=long_ago)


def _env(tmp_path, smtp_inbox) -> dict[str, str]:
    options = settings.MAILERS["default"]["OPTIONS"]
    return {
        **worker_env(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.delivery.worker_settings",
        "MERIDIAN_EMAIL_URL": f"smtp://{options['host']}:{options['port']}",
    }


def _all_accepted() -> bool:
    return (
        not Delivery.objects.filter(channel="now", emailed_at__isnull=True).exists()
        and Digest.objects.filter(emailed_at__isnull=False).count() == MEMBERS
    )


def _expected_ids() -> set[str]:
    return {
        message_id("delivery", pk)
        for pk in Delivery.objects.filter(channel="now").values_list("pk", flat=True)
    } | {message_id("digest", pk) for pk in Digest.objects.values_list("pk", flat=True)}


def test_a_worker_killed_at_random_moments_loses_and_repeats_nothing(
    workspace, smtp_inbox, tmp_path
):
    _seed(workspace)
    env = _env(tmp_path, smtp_inbox)
    log = tmp_path / "worker.log"
    rng = random.Random(20270314)
    kills_mid_run = 0
    for _ in range(8):
        worker = start_worker(env, log, "--tick-seconds", "1")
        time.sleep(rng.uniform(1.0, 4.0))
        kill_with_descendants(worker.pid)
        worker.wait(timeout=30)
        if _all_accepted():
            break
        kills_mid_run += bool(smtp_inbox.received)
    worker = start_worker(env, log, "--tick-seconds", "1")
    try:
        done = wait_for(_all_accepted, 120)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)

    received = Counter(message["Message-ID"] for _, message in smtp_inbox.received)
    assert done, log.read_text()[-3000:]
    assert kills_mid_run >= 2  # killed while emails were going out, more than once
    assert set(received) == _expected_ids()  # none lost
    assert [mid for mid, n in received.items() if n > 1] == []  # none repeated
    assert len(smtp_inbox.received) == NOTICES + MEMBERS


def test_two_workers_at_once_send_each_email_once(workspace, smtp_inbox, tmp_path):
    _seed(workspace)
    env = _env(tmp_path, smtp_inbox)
    log = tmp_path / "worker.log"
    workers = [start_worker(env, log, "--tick-seconds", "1") for _ in range(2)]
    try:
        done = wait_for(_all_accepted, 120)
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)

    received = Counter(message["Message-ID"] for _, message in smtp_inbox.received)
    assert done, log.read_text()[-3000:]
    assert set(received) == _expected_ids()
    assert [mid for mid, n in received.items() if n > 1] == []
