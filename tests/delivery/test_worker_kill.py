"""Real `meridian worker` processes, killed with SIGKILL at random moments or run two at once,
and a real local SMTP server counting what it accepts.

Two workers at once email every due notification and digest exactly once. A worker killed at
random moments while emails go out loses none; what it can repeat is bounded. SMTP has no
two-phase commit: a server keeps a message whose sender vanished after the final "." but
before reading the "250" (this test's server takes 10 ms per message, as a real one writes
its queue), and the worker has no record that it was accepted, so its successor sends it
again, with the same Message-ID. Each kill can repeat at most the one message that worker had
in flight; the test checks that bound and prints the count.
"""

import asyncio
import os
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from meridian.delivery.emails import message_id
from meridian.delivery.models import Delivery, Digest
from meridian.delivery.services import delivery_accept
from tests import factories
from tests.core.support import kill_with_descendants, start_worker, wait_for, worker_env
from tests.core.test_email import Inbox, free_port
from tests.delivery.support import notice

# The workers must see what the test committed.
pytestmark = pytest.mark.django_db(transaction=True)

ALL_DAY = {str(d): [[0, 1440]] for d in range(7)}
MEMBERS = 12
NOTICES = 200
# The "default" queue only (what these tests kill: the task loop and the scheduler it starts):
# every task here runs there, so the "media" queue's process (a third Django boot per start,
# up to nine starts per test) would only idle until it is killed with them.
WORKER_ARGS = ("--tick-seconds", "1", "--queue", "default")


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


class SlowInbox(Inbox):
    """A mail server that takes 10 ms per message, so a kill lands while emails go out."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp_inbox(settings):
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


def test_a_worker_killed_at_random_moments_loses_and_repeats_nothing(
    workspace, slow_smtp_inbox, tmp_path
):
    smtp_inbox = slow_smtp_inbox
    _seed(workspace)
    env = _env(tmp_path, smtp_inbox)
    log = tmp_path / "worker.log"
    rng = random.Random(20270314)
    kills = 0
    for _ in range(8):
        before = len(smtp_inbox.received)
        worker = start_worker(env, log, *WORKER_ARGS)
        # Once this worker has sent something, kill it at a random moment soon after.
        wait_for(lambda before=before: len(smtp_inbox.received) > before, 60)
        time.sleep(rng.uniform(0.0, 0.5))
        kill_with_descendants(worker.pid)
        worker.wait(timeout=30)
        kills += 1
        if _all_accepted():
            break
    worker = start_worker(env, log, *WORKER_ARGS)
    try:
        done = wait_for(_all_accepted, 120)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)

    received = Counter(message["Message-ID"] for _, message in smtp_inbox.received)
    assert done, log.read_text()[-3000:]
    assert kills >= 3  # killed while emails were going out, again and again
    assert set(received) == _expected_ids()  # none lost
    repeated = {mid: n for mid, n in received.items() if n > 1}
    # At most the one message in flight per kill, each at most once more, same Message-ID.
    assert all(n == 2 for n in repeated.values()), repeated
    assert len(repeated) <= kills, (repeated, kills)
    assert len(smtp_inbox.received) == NOTICES + MEMBERS + len(repeated)
    print(f"killed {kills} times while sending; repeated {len(repeated)}: {repeated}")


def test_two_workers_at_once_send_each_email_once(workspace, smtp_inbox, tmp_path):
    _seed(workspace)
    env = _env(tmp_path, smtp_inbox)
    log = tmp_path / "worker.log"
    workers = [start_worker(env, log, *WORKER_ARGS) for _ in range(2)]
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
