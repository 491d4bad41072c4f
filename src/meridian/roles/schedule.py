"""Time-based work of the roles area: a rota's turn changes hands when it begins.

The once-only key names the rota and the turn, ``roles.rota:7:12``: the ledger lets one worker
carry out a turn, and the effect re-checks ``Rota.last_turn`` under a row lock, so a turn is
applied once however many ticks or workers see it. A scheduler that was down for several turns
applies only the latest one (nobody needs the turns that already passed handed out now).
"""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from meridian.core.scheduler import Occurrence, run_key
from meridian.roles.models import Rota
from meridian.roles.services import rota_turn_apply

JOB = "roles.rota"


def rota_turns_due(now: datetime) -> Iterator[Occurrence]:
    """Each rota whose current turn has begun and not been applied yet."""
    rotas = Rota.objects.filter(role__archived_at__isnull=True)
    for rota in rotas.iterator(500):
        if not rota.member_ids:
            continue
        turn = rota.schedule().turn_at(now)
        if turn > rota.last_turn:
            yield Occurrence(
                run_key(JOB, f"{rota.pk}:{turn}"),
                partial(rota_turn_apply, rota_id=rota.pk, turn=turn),
            )
