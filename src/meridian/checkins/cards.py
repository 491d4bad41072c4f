"""The team page's answer cards, written in Python rather than by the template engine.

A team page shows up to one card per member (50 and more); looked up variable by variable and
tag by tag, those cards were the larger part of the page's time (docs/benchmarks.md). Each card
is the same markup the template wrote: the member's name linking to their history, when they
answered in the reader's zone, each question with its answer (Markdown rendered and sanitised
when it was written, so shown as stored), and their mood as far as the reader may see it.
"""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meridian.checkins.models import Checkin, CheckinPrompt
from meridian.core.moments import moment_text


def answer_cards(
    prompts: list[CheckinPrompt], *, checkin: Checkin, viewer_id: int, zone: str, slug: str
) -> list[SafeString]:
    """One card per answered prompt (selected with ``membership__profile``), in order."""
    people = reverse(
        "checkin_person", kwargs={"workspace": slug, "checkin_id": checkin.pk, "member_id": 0}
    ).removesuffix("0/")
    questions = [escape(q) for q in checkin.questions]
    cards = []
    for prompt in prompts:
        name = escape(prompt.membership.profile.display_name)
        answered = moment_text(prompt.responded_at, zone) if prompt.responded_at else ""
        parts = [
            f'<article class="card answer" aria-labelledby="answer-{prompt.pk}">'
            f'<h3 id="answer-{prompt.pk}"><a href="{people}{prompt.membership_id}/">{name}</a> '
            f'<span class="small muted">{escape(answered)}</span></h3>'
        ]
        for question, html in zip(questions, prompt.answers_html or [], strict=False):
            if html:
                parts.append(f'<h4>{question}</h4><div class="md">{html}</div>')
        if prompt.mood and prompt.membership_id == viewer_id:
            private = "" if prompt.mood_shared else " (only you see it)"
            parts.append(f'<p class="small">Your mood: {prompt.mood} of 5{private}</p>')
        elif prompt.mood and prompt.mood_shared:
            parts.append(f'<p class="small">Mood: {prompt.mood} of 5 (shared)</p>')
        parts.append("</article>")
        cards.append(mark_safe("".join(parts)))  # noqa: S308  (escaped above; HTML sanitised)
    return cards
