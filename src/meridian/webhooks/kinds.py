"""The workspace events an endpoint can subscribe to, as areas emit them (meridian.core.events).

Each payload carries ids, titles, absolute URLs and the acting member's name; never a blind
stance before its proposal closes, nor who voted in an anonymous proposal.
"""

EVENT_KINDS: dict[str, str] = {
    "brief.created": "A brief was written and its participants asked",
    "brief.closed": "A brief was closed with a summary",
    "comment.added": "A comment, question or response was added to a brief or a proposal",
    "proposal.opened": "A proposal opened for stances",
    "proposal.closed": "A proposal closed, with its outcome",
}
