"""Who sees what of a proposal, and in which order: the one place the gathering modes are decided.

Pages, the API, notifications and exports all ask :func:`sight_for` before showing anything
about others' positions, so blind and hidden proposals cannot leak through one of them.

* open: stances and the running tally are visible as they come in;
* blind: others' stances, the discussion and the running tally only once the viewer has given
  their own stance, or after close;
* hidden until close: nobody, the owner included, sees stances or the tally before close (the
  discussion stays visible: it is not a count);
* anonymous (on top of any of these): stances are never shown with names, and the running
  tally is withheld until close too, because anyone watching a live count change just after
  someone took part could tell what that person chose.

Options are shown in an order shuffled per viewer but stable for them, so the first option
gets no position advantage and nobody's list jumps around between visits.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from meridian.decisions.models import Proposal, ProposalStatus, Visibility

BLIND_NOTE = (
    "Blind: you will see others' stances, the discussion and the running tally once you have "
    "given yours, or when the proposal closes."
)
BLIND_OUTSIDER_NOTE = (
    "Blind: others' stances, the discussion and the tally are shown to participants once they "
    "have given theirs, and to everyone when the proposal closes."
)
HIDDEN_NOTE = (
    "Hidden until close: nobody, the owner included, sees stances or the tally before the "
    "proposal closes."
)
ANONYMOUS_NOTE = (
    "Anonymous: nobody can see who chose what, ever, and the tally appears only when the "
    "proposal closes, so that nobody can tell a choice by watching the count change."
)


@dataclass(frozen=True)
class Sight:
    """What one viewer may see of one proposal right now."""

    stances: bool  # others' stances, with names (never on an anonymous proposal)
    tally: bool  # the running (or final) tally
    comments: bool  # others' comments in the proposal's discussion
    note: str = ""  # why something is hidden, in words for the page and the API


def sight_for(proposal: Proposal, *, responded: bool, is_participant: bool) -> Sight:
    """What a viewer who has (or has not) given a stance may see of the proposal."""
    named = not proposal.anonymous
    if proposal.status == ProposalStatus.CLOSED:
        return Sight(stances=named, tally=True, comments=True, note="" if named else ANONYMOUS_NOTE)
    if proposal.status == ProposalStatus.DRAFT:
        return Sight(stances=False, tally=False, comments=True)
    if proposal.visibility == Visibility.HIDDEN:
        return Sight(stances=False, tally=False, comments=True, note=HIDDEN_NOTE)
    if proposal.visibility == Visibility.BLIND and not responded:
        return Sight(
            stances=False,
            tally=False,
            comments=False,
            note=BLIND_NOTE if is_participant else BLIND_OUTSIDER_NOTE,
        )
    if not named:
        return Sight(stances=False, tally=False, comments=True, note=ANONYMOUS_NOTE)
    return Sight(stances=True, tally=True, comments=True)


def viewer_order[M: models.Model](
    items: Iterable[M], *, proposal_id: int, viewer_id: int
) -> list[M]:
    """The options in this viewer's own order: shuffled by a hash of proposal, viewer and option."""

    def key(item: M) -> str:
        return hashlib.sha256(f"{proposal_id}:{viewer_id}:{item.pk}".encode()).hexdigest()

    return sorted(items, key=key)
