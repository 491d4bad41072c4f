"""Every write of the handovers area: starting, acknowledging and cancelling a handover, its
questions and answers, and handing over everything a member holds in one act.

The handovers layer never imports an area: it works through the registered ``HandoverKind``s
(meridian.handovers.kinds). Each service runs in one transaction, checks everything before it
writes, and tells the other side through ``notification_send``.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from meridian.core.errors import (
    Conflict,
    FieldErrors,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from meridian.core.facts import facts_stale
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.handovers import events as handover_events
from meridian.handovers.kinds import HandoverKind, handover_kinds
from meridian.handovers.models import (
    BatchState,
    Handover,
    HandoverBatch,
    HandoverComment,
    HandoverState,
    ReadinessSnapshot,
)
from meridian.handovers.selectors import readiness_items
from meridian.notifications.services import inbox_resolve, notification_send
from meridian.search.text import excerpt
from meridian.workspaces.models import Membership

MAX_NOTE = 20_000
MAX_COMMENT = 20_000
# "Hand over everything" with more items than this runs as a background task with a progress bar.
BULK_INLINE_LIMIT = 50
# The background run writes this many handovers per transaction, then records its progress.
BULK_CHUNK = 250


# --- Names and addresses --------------------------------------------------------------------


def handover_url(handover: Handover, slug: str) -> str:
    """The site-relative address of a handover's packet page."""
    return reverse("handover_detail", kwargs={"workspace": slug, "handover_id": handover.pk})


def received_cause(handover: Handover | int) -> str:
    """The receiver's inbox cause: the handover awaits their acknowledgement."""
    pk = handover if isinstance(handover, int) else handover.pk
    return f"handovers.received:{pk}"


def question_cause(comment: HandoverComment) -> str:
    """The other side's inbox cause: a question on a handover awaits their answer."""
    return f"handovers.question:{comment.pk}"


def returned_cause(handover: Handover | int) -> str:
    """The giver's inbox item for a handover cancelled because its receiver left."""
    pk = handover if isinstance(handover, int) else handover.pk
    return f"handovers.returned:{pk}"


def batch_cause(batch: HandoverBatch | int) -> str:
    """A receiver's inbox cause for the items of one "hand over everything" act."""
    pk = batch if isinstance(batch, int) else batch.pk
    return f"handovers.batch:{pk}"


def _name(member: Membership) -> str:
    return str(member.profile.display_name)


def kind_get(name: str) -> HandoverKind:
    """A registered kind by name; an unknown kind is a 404 (nothing of it can be found)."""
    kind = handover_kinds().get(name)
    if kind is None:
        raise NotFound(f"Nothing of the kind {name!r} can be handed over.")
    return kind


def _member(acting: Membership, field: str, who: Membership | int | None) -> Membership:
    """A receiver named by the input: an active member of this workspace, else a field error."""
    pk = who.pk if isinstance(who, Membership) else who
    found = (
        Membership.objects.select_related("profile", "user", "workspace")
        .filter(workspace_id=acting.workspace_id, pk=pk)
        .first()
        if pk is not None
        else None
    )
    if found is None:
        raise ValidationFailed.field(field, "Choose a member of this workspace.")
    if not found.is_active:
        raise ValidationFailed.field(
            field, f"{_name(found)} is no longer a member of this workspace."
        )
    return found


def _clean_note(text: str, field: str = "note") -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed.field(
            field, f"A note has at most {MAX_NOTE:,} characters, not {len(text):,}."
        )
    if "\x00" in text:
        raise ValidationFailed.field(field, "The text holds a character that cannot be stored.")
    return text


def _giver_for(
    actor: Membership, kind: HandoverKind, object_id: int, giver: Membership | int | None
) -> Membership:
    """The item's current owner who hands it over: the actor, or (admins) the one named."""
    owners = kind.owners(actor.workspace_id, [object_id]).get(object_id, [])
    if not owners:
        raise Conflict(f"Nobody holds this {kind.noun} now, so there is nobody to hand it from.")
    wanted = giver.pk if isinstance(giver, Membership) else giver
    if wanted is None:
        wanted = actor.pk if actor.pk in owners else owners[0]
    if wanted not in owners:
        raise ValidationFailed.field("giver", f"That member does not hold this {kind.noun}.")
    if wanted != actor.pk and not actor.is_admin:
        raise PermissionDenied(
            f"Only whoever holds this {kind.noun}, or an admin, can hand it over."
        )
    if wanted == actor.pk:
        return actor
    return Membership.objects.select_related("profile", "user", "workspace").get(pk=wanted)


def _pending_conflict(existing: Handover, noun: str) -> Conflict:
    return Conflict(
        f"This {noun} is already in handover from {_name(existing.giver)} to "
        f"{_name(existing.receiver)}; it can be handed on once that one is acknowledged or "
        "cancelled."
    )


# --- One handover ---------------------------------------------------------------------------


@transaction.atomic
def handover_start(
    *,
    actor: Membership,
    kind: str,
    object_id: int,
    receiver: Membership | int | None,
    note: str = "",
    giver: Membership | int | None = None,
) -> Handover:
    """Hand one item to another member with a note; they find its packet in their inbox.

    The giver is the item's current owner (the actor, or for an admin the one named or the
    first holder) and keeps the item and its notifications until the receiver acknowledges.
    """
    handable = kind_get(kind)
    label = handable.titles(actor.workspace_id, [object_id]).get(object_id)
    if label is None:
        raise NotFound(f"No such {handable.noun} in this workspace.")
    giving = _giver_for(actor, handable, object_id, giver)
    taking = _member(actor, "receiver", receiver)
    if taking.pk == giving.pk:
        raise ValidationFailed.field(
            "receiver", f"{_name(giving)} holds this {handable.noun} already; choose someone else."
        )
    text = _clean_note(note)
    existing = (
        Handover.objects.select_related("giver__profile", "receiver__profile")
        .filter(
            workspace_id=actor.workspace_id,
            kind=kind,
            object_id=object_id,
            state=HandoverState.PENDING,
        )
        .first()
    )
    if existing is not None:
        raise _pending_conflict(existing, handable.noun)
    try:
        with transaction.atomic():
            handover = Handover.objects.create(
                workspace_id=actor.workspace_id,
                kind=kind,
                object_id=object_id,
                object_label=label[:300],
                giver=giving,
                receiver=taking,
                note=text,
                note_html=render_markdown(text) if text else "",
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            f"This {handable.noun} was handed over by someone else a moment ago."
        ) from None
    slug = actor.workspace.slug
    notification_send(
        recipient=taking,
        kind="handovers.received",
        subject=f"{_name(giving)} is handing you the {handable.noun} {label}",
        url=handover_url(handover, slug),
        actor=actor,
        cause=received_cause(handover),
        excerpt=excerpt(text) if text else "",
    )
    # Handed on again: "the receiver left, hand it to someone else" is done.
    returned = Handover.objects.filter(
        workspace_id=actor.workspace_id,
        kind=kind,
        object_id=object_id,
        giver=giving,
        state=HandoverState.CANCELLED,
        receiver__is_active=False,
    ).values_list("pk", flat=True)
    inbox_resolve(cause=[returned_cause(pk) for pk in returned], recipient=giving)
    handover_events.handover_started(handover, slug, actor)
    audit_record(
        actor=actor,
        action="handover.start",
        obj=handover,
        data={"kind": kind, "object_id": object_id, "giver": giving.pk, "receiver": taking.pk},
    )
    return handover


def _locked(handover: Handover) -> Handover:
    return (
        Handover.objects.select_for_update(of=("self",))
        .select_related("giver__profile", "receiver__profile", "workspace")
        .get(pk=handover.pk)
    )


def _require_pending(handover: Handover) -> None:
    if handover.state != HandoverState.PENDING:
        raise Conflict(f"This handover was {handover.get_state_display().lower()} already.")


def _resolve_batch_if_done(handover: Handover) -> None:
    """The receiver's summary item of a batch goes once nothing of it awaits them."""
    if handover.batch_id is None:
        return
    waiting = Handover.objects.filter(
        batch_id=handover.batch_id, receiver_id=handover.receiver_id, state=HandoverState.PENDING
    ).exists()
    if not waiting:
        inbox_resolve(cause=batch_cause(handover.batch_id), recipient=handover.receiver)


def _resolve_questions(handover: Handover) -> None:
    """Open questions of a closed handover no longer await anybody."""
    ids = HandoverComment.objects.filter(
        handover=handover, is_question=True, answered_at__isnull=True
    ).values_list("pk", flat=True)
    inbox_resolve(cause=[f"handovers.question:{pk}" for pk in ids])


@transaction.atomic
def handover_acknowledge(*, actor: Membership, handover: Handover) -> Handover:
    """The receiver takes the item: the kind makes them its owner, and the inbox item goes.

    Anyone but the receiver is answered 404: there is no such handover awaiting them.
    """
    if handover.workspace_id != actor.workspace_id or handover.receiver_id != actor.pk:
        raise NotFound("No such handover awaiting you.")
    handover = _locked(handover)
    _require_pending(handover)
    handable = kind_get(handover.kind)
    handable.transfer(handover.object_id, handover.giver, handover.receiver, actor)
    handover.state = HandoverState.ACKNOWLEDGED
    handover.acknowledged_at = timezone.now()
    handover.save(update_fields=["state", "acknowledged_at"])
    inbox_resolve(cause=received_cause(handover), recipient=handover.receiver)
    _resolve_batch_if_done(handover)
    notification_send(
        recipient=handover.giver,
        kind="handovers.acknowledged",
        subject=f"{_name(actor)} took over the {handable.noun} {handover.object_label}",
        url=handover_url(handover, handover.workspace.slug),
        actor=actor,
    )
    handover_events.handover_acknowledged(handover, handover.workspace.slug, actor)
    audit_record(actor=actor, action="handover.acknowledge", obj=handover)
    return handover


@transaction.atomic
def handover_acknowledge_batch(*, actor: Membership, batch: HandoverBatch) -> int:
    """The receiver takes over every item of a batch still waiting for them, in one step.

    Each item is transferred by its kind as one acknowledgement would; the giver is told once,
    with the number of items. Returns how many were acknowledged (0 when none waited).
    """
    if batch.workspace_id != actor.workspace_id:
        raise NotFound("No such handover batch in this workspace.")
    waiting = list(
        Handover.objects.select_for_update(of=("self",))
        .select_related("giver__profile", "receiver__profile", "workspace")
        .filter(batch=batch, receiver=actor, state=HandoverState.PENDING)
        .order_by("pk")
    )
    if not waiting:
        return 0
    kinds = handover_kinds()
    now = timezone.now()
    for handover in waiting:
        handable = kinds.get(handover.kind)
        if handable is None:
            raise NotFound(f"Nothing of the kind {handover.kind!r} can be handed over.")
        handable.transfer(handover.object_id, handover.giver, handover.receiver, actor)
        handover.state = HandoverState.ACKNOWLEDGED
        handover.acknowledged_at = now
    Handover.objects.bulk_update(waiting, ["state", "acknowledged_at"])
    for handover in waiting:
        handover_events.handover_acknowledged(handover, handover.workspace.slug, actor)
    inbox_resolve(
        cause=[received_cause(h) for h in waiting] + [batch_cause(batch)], recipient=actor
    )
    giver = waiting[0].giver
    n = len(waiting)
    notification_send(
        recipient=giver,
        kind="handovers.acknowledged",
        subject=f"{_name(actor)} took over {n} item{'s' if n != 1 else ''} you handed them",
        url=reverse("handover_list", kwargs={"workspace": waiting[0].workspace.slug})
        + f"?batch={batch.pk}",
        actor=actor,
    )
    audit_record(
        actor=actor, action="handover.acknowledge_batch", obj=batch, data={"acknowledged": n}
    )
    return n


@transaction.atomic
def handover_cancel(*, actor: Membership, handover: Handover) -> Handover:
    """The giver (or an admin) takes the handover back; the item stays with the giver."""
    if handover.workspace_id != actor.workspace_id:
        raise NotFound("No such handover in this workspace.")
    if actor.pk != handover.giver_id and actor.pk != handover.created_by_id and not actor.is_admin:
        raise PermissionDenied("Only the giver or an admin can cancel a handover.")
    handover = _locked(handover)
    _require_pending(handover)
    handover.state = HandoverState.CANCELLED
    handover.cancelled_at = timezone.now()
    handover.save(update_fields=["state", "cancelled_at"])
    inbox_resolve(cause=received_cause(handover), recipient=handover.receiver)
    _resolve_batch_if_done(handover)
    _resolve_questions(handover)
    noun = kind_get(handover.kind).noun if handover.kind in handover_kinds() else "item"
    notification_send(
        recipient=handover.receiver,
        kind="handovers.cancelled",
        subject=f"{_name(actor)} cancelled the handover of the {noun} {handover.object_label}",
        url=handover_url(handover, handover.workspace.slug),
        actor=actor,
    )
    audit_record(actor=actor, action="handover.cancel", obj=handover)
    return handover


# --- Questions and answers ------------------------------------------------------------------


def _clean_comment(body: str) -> str:
    body = (body or "").strip()
    problems = FieldErrors()
    if not body:
        problems.add("body", "Write something first.")
    elif len(body) > MAX_COMMENT:
        problems.add("body", f"A question has at most {MAX_COMMENT:,} characters.")
    elif "\x00" in body:
        problems.add("body", "The text holds a character that cannot be stored.")
    problems.raise_any()
    return body


def _require_party(actor: Membership, handover: Handover) -> None:
    if handover.workspace_id != actor.workspace_id:
        raise NotFound("No such handover in this workspace.")
    if actor.pk not in (handover.giver_id, handover.receiver_id):
        raise PermissionDenied("Only the giver and the receiver talk on a handover.")


@transaction.atomic
def handover_ask(*, actor: Membership, handover: Handover, body: str) -> HandoverComment:
    """Ask the other side a question on the handover; it awaits them until answered."""
    _require_party(actor, handover)
    handover = _locked(handover)
    if handover.state == HandoverState.CANCELLED:
        raise Conflict("This handover was cancelled; ask on the item itself.")
    text = _clean_comment(body)
    question = HandoverComment.objects.create(
        workspace_id=handover.workspace_id,
        handover=handover,
        author=actor,
        body=text,
        body_html=render_markdown(text),
        is_question=True,
    )
    other = handover.giver if actor.pk == handover.receiver_id else handover.receiver
    notification_send(
        recipient=other,
        kind="handovers.question",
        subject=f"{_name(actor)} asked about the handover of {handover.object_label}",
        url=f"{handover_url(handover, handover.workspace.slug)}#comment-{question.pk}",
        actor=actor,
        cause=question_cause(question),
        excerpt=excerpt(text),
    )
    audit_record(actor=actor, action="handover.question", obj=question)
    return question


@transaction.atomic
def handover_answer(
    *, actor: Membership, handover: Handover, question: HandoverComment, body: str
) -> HandoverComment:
    """Answer a question on the handover; the question is answered and its asker is told."""
    _require_party(actor, handover)
    if question.handover_id != handover.pk or not question.is_question:
        raise ValidationFailed.field("question", "That is not a question on this handover.")
    handover = _locked(handover)
    question = HandoverComment.objects.select_for_update().get(pk=question.pk)
    if question.answered_at is not None:
        raise Conflict("This question was answered already.")
    text = _clean_comment(body)
    answer = HandoverComment.objects.create(
        workspace_id=handover.workspace_id,
        handover=handover,
        author=actor,
        parent=question,
        body=text,
        body_html=render_markdown(text),
    )
    question.answered_at = timezone.now()
    question.save(update_fields=["answered_at"])
    inbox_resolve(cause=question_cause(question))
    asker = handover.giver if question.author_id == handover.giver_id else handover.receiver
    if asker.pk != actor.pk:
        notification_send(
            recipient=asker,
            kind="handovers.answered",
            subject=f"{_name(actor)} answered your question on {handover.object_label}",
            url=f"{handover_url(handover, handover.workspace.slug)}#comment-{answer.pk}",
            actor=actor,
            excerpt=excerpt(text),
        )
    audit_record(actor=actor, action="handover.answer", obj=answer)
    return answer


# --- Hand over everything -------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """One item of "hand over everything" and who receives it."""

    kind: str
    object_id: int
    receiver_id: int


def bulk_assign(
    items: Sequence[tuple[str, int]], receiver_ids: Sequence[int], per_item: dict[str, int]
) -> list[Assignment]:
    """Who receives each item: the one chosen for it, else the receivers in turn (round-robin).

    ``per_item`` maps ``"kind:id"`` to a receiver id. Pure: the order of ``items`` decides.
    """
    plan: list[Assignment] = []
    turn = 0
    for kind, object_id in items:
        chosen = per_item.get(f"{kind}:{object_id}")
        if chosen is None:
            if not receiver_ids:
                continue
            chosen = receiver_ids[turn % len(receiver_ids)]
            turn += 1
        plan.append(Assignment(kind, object_id, chosen))
    return plan


def _require_may_hand_over_for(actor: Membership, member: Membership) -> None:
    if member.workspace_id != actor.workspace_id:
        raise NotFound("No such member in this workspace.")
    if member.pk != actor.pk and not actor.is_admin:
        raise PermissionDenied("Only admins can hand over everything of someone else.")


@transaction.atomic
def handover_bulk_start(
    *,
    actor: Membership,
    member: Membership,
    assignments: Sequence[Assignment],
    note: str = "",
) -> HandoverBatch:
    """Hand everything of ``assignments`` from ``member`` to their receivers, in one act.

    Everything is checked before anything is written: receivers must be active members other
    than ``member``, kinds must exist. Up to ``BULK_INLINE_LIMIT`` items are handed over at
    once; more run as a background task whose progress the batch records.
    """
    _require_may_hand_over_for(actor, member)
    text = _clean_note(note)
    if not assignments:
        raise ValidationFailed.field("items", "Choose at least one item to hand over.")
    kinds = handover_kinds()
    problems = FieldErrors()
    for name in sorted({a.kind for a in assignments} - set(kinds)):
        problems.add("items", f"Nothing of the kind {name!r} can be handed over.")
    receiver_ids = sorted({a.receiver_id for a in assignments})
    receivers = {
        m.pk: m
        for m in Membership.objects.select_related("profile").filter(
            workspace_id=actor.workspace_id, pk__in=receiver_ids
        )
    }
    for pk in receiver_ids:
        found = receivers.get(pk)
        if found is None:
            problems.add("receivers", "Choose members of this workspace.")
        elif not found.is_active:
            problems.add("receivers", f"{_name(found)} is no longer a member of this workspace.")
        elif found.pk == member.pk:
            problems.add("receivers", f"{_name(member)} cannot hand things over to themselves.")
    problems.raise_any()
    batch = HandoverBatch.objects.create(
        workspace_id=actor.workspace_id,
        giver=member,
        created_by=actor,
        note=text,
        note_html=render_markdown(text) if text else "",
        plan=[[a.kind, a.object_id, a.receiver_id] for a in assignments],
        total=len(assignments),
    )
    audit_record(
        actor=actor,
        action="handover.bulk_start",
        obj=batch,
        data={"giver": member.pk, "total": len(assignments), "receivers": receiver_ids},
    )
    if len(assignments) <= BULK_INLINE_LIMIT:
        _batch_work(batch, actor, list(assignments))
        _batch_finish(batch)
    else:
        from meridian.handovers.tasks import handover_batch_run

        batch_id = batch.pk
        transaction.on_commit(lambda: handover_batch_run.enqueue(batch_id=batch_id))
    return batch


def _batch_work(batch: HandoverBatch, actor: Membership, chunk: list[Assignment]) -> None:
    """Hand over one chunk of a batch: a constant number of queries per kind, bulk inserts."""
    by_kind: dict[str, list[Assignment]] = defaultdict(list)
    for a in chunk:
        by_kind[a.kind].append(a)
    kinds = handover_kinds()
    ws = batch.workspace_id
    created: list[Handover] = []
    skipped = 0
    for name, rows in by_kind.items():
        handable = kinds.get(name)
        if handable is None:
            skipped += len(rows)
            continue
        ids = [a.object_id for a in rows]
        titles = handable.titles(ws, ids)
        owners = handable.owners(ws, ids)
        busy = set(
            Handover.objects.filter(
                workspace_id=ws, kind=name, object_id__in=ids, state=HandoverState.PENDING
            ).values_list("object_id", flat=True)
        )
        for a in rows:
            if a.object_id in busy or a.object_id not in titles:
                skipped += 1
                continue
            if batch.giver_id not in owners.get(a.object_id, []):
                skipped += 1
                continue
            busy.add(a.object_id)
            created.append(
                Handover(
                    workspace_id=ws,
                    kind=name,
                    object_id=a.object_id,
                    object_label=titles[a.object_id][:300],
                    giver_id=batch.giver_id,
                    receiver_id=a.receiver_id,
                    note=batch.note,
                    note_html=batch.note_html,
                    created_by=actor,
                    batch=batch,
                )
            )
    Handover.objects.bulk_create(created, batch_size=500)
    HandoverBatch.objects.filter(pk=batch.pk).update(
        done=F("done") + len(created), skipped=F("skipped") + skipped
    )
    _batch_announce(batch, actor, created)


def _batch_announce(batch: HandoverBatch, actor: Membership, created: list[Handover]) -> None:
    """``handover.started`` for each item of a chunk, as a single handover sends it.

    The chunk's people are read once (not once per item), so a large batch stays a constant
    number of queries per chunk; the events go out when the chunk's transaction commits.
    """
    if not created:
        return
    people = {
        m.pk: m
        for m in Membership.objects.select_related("profile", "workspace").filter(
            pk__in={batch.giver_id, actor.pk, *(h.receiver_id for h in created)}
        )
    }
    slug = people[batch.giver_id].workspace.slug
    for handover in created:
        handover.giver = people[batch.giver_id]
        handover.receiver = people[handover.receiver_id]
        handover_events.handover_started(handover, slug, people[actor.pk])


def _batch_finish(batch: HandoverBatch) -> None:
    """Tell each receiver once, summarising their items, and close the batch."""
    batch.refresh_from_db()
    giver = Membership.objects.select_related("profile", "workspace").get(pk=batch.giver_id)
    counts: dict[int, int] = defaultdict(int)
    for receiver_id in Handover.objects.filter(batch=batch).values_list("receiver_id", flat=True):
        counts[receiver_id] += 1
    receivers = Membership.objects.select_related("profile", "workspace").filter(pk__in=counts)
    url = reverse("handover_list", kwargs={"workspace": giver.workspace.slug})
    actor = batch.created_by
    for receiver in receivers:
        n = counts[receiver.pk]
        notification_send(
            recipient=receiver,
            kind="handovers.received",
            subject=(
                f"{_name(giver)} is handing you {n} item{'s' if n != 1 else ''} "
                "— read the packets and acknowledge"
            ),
            url=f"{url}?batch={batch.pk}",
            actor=actor,
            cause=batch_cause(batch),
            excerpt=excerpt(batch.note) if batch.note else "",
        )
    batch.state = BatchState.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["state", "finished_at"])


def handover_batch_run(*, batch_id: int) -> None:
    """Work through a batch in chunks, recording progress after each; safe to run twice.

    Each chunk is its own transaction so the progress bar moves; an item already handed over
    by an earlier run of the same batch is skipped, not doubled.
    """
    batch = HandoverBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.state != BatchState.RUNNING:
        return
    actor = batch.created_by or batch.giver
    already = set(Handover.objects.filter(batch=batch).values_list("kind", "object_id"))
    plan = [Assignment(k, int(i), int(r)) for k, i, r in batch.plan]
    todo = [a for a in plan if (a.kind, a.object_id) not in already]
    if already:
        HandoverBatch.objects.filter(pk=batch.pk).update(done=len(already), skipped=0)
    try:
        for start in range(0, len(todo), BULK_CHUNK):
            with transaction.atomic():
                _batch_work(batch, actor, todo[start : start + BULK_CHUNK])
        with transaction.atomic():
            _batch_finish(batch)
    except Exception as exc:
        HandoverBatch.objects.filter(pk=batch.pk).update(
            state=BatchState.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        raise


# --- Departures -----------------------------------------------------------------------------


def member_departed(*, member: Membership, now: datetime) -> None:
    """A member left the workspace (inside the removal's transaction): what was being handed to
    them is cancelled, and each giver is told the item stays with them. What they were handing
    to others stays pending: the receiver may still acknowledge it, or an admin cancel it."""
    to_them = list(
        Handover.objects.select_for_update(of=("self",))
        .select_related("giver__profile", "receiver__profile", "workspace")
        .filter(workspace_id=member.workspace_id, receiver=member, state=HandoverState.PENDING)
        .order_by("pk")
    )
    if not to_them:
        return
    kinds = handover_kinds()
    for handover in to_them:
        handover.state = HandoverState.CANCELLED
        handover.cancelled_at = now
    Handover.objects.bulk_update(to_them, ["state", "cancelled_at"])
    inbox_resolve(
        cause=[received_cause(h) for h in to_them]
        + [batch_cause(h.batch_id) for h in to_them if h.batch_id is not None],
        recipient=member,
    )
    for handover in to_them:
        _resolve_questions(handover)
        noun = kinds[handover.kind].noun if handover.kind in kinds else "item"
        notification_send(
            recipient=handover.giver,
            kind="handovers.receiver_left",
            subject=(
                f"{_name(member)} left the workspace: the {noun} {handover.object_label} "
                "stays with you"
            ),
            body="The handover to them was cancelled. Hand it to someone else when you can.",
            url=handover_url(handover, handover.workspace.slug),
            cause=returned_cause(handover),
        )
        audit_record(
            actor=None,
            action="handover.cancel_receiver_left",
            obj=handover,
            workspace=handover.workspace,
        )


@transaction.atomic
def readiness_snapshot_take(*, workspace_id: int, now: datetime | None = None) -> int:
    """Keep every open item's readiness for today (UTC): taken again the same day, the day's
    snapshot is replaced. The metrics redo the facts of the rows written; the number of rows."""
    now = now or timezone.now()
    day = now.date()
    old = list(
        ReadinessSnapshot.objects.filter(workspace_id=workspace_id, day=day).values_list(
            "pk", flat=True
        )
    )
    ReadinessSnapshot.objects.filter(pk__in=old).delete()
    rows = ReadinessSnapshot.objects.bulk_create(
        [
            ReadinessSnapshot(
                workspace_id=workspace_id,
                day=day,
                taken_at=now,
                kind=item.kind,
                object_id=item.object_id,
                title=item.title[:300],
                score=item.score,
                contributors_90d=item.contributors_90d,
                holder_id=item.holder_ids[0] if item.holder_ids else None,
                project_id=item.project_id,
            )
            for item in readiness_items(workspace_id)
        ],
        batch_size=1000,
    )
    # SQLite and PostgreSQL both give the new rows their ids (RETURNING).
    ids = [row.pk for row in rows if row.pk is not None]
    facts_stale(workspace_id=workspace_id, source_kind="readiness_snapshot", ids=[*old, *ids])
    return len(rows)
