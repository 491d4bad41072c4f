"""A decision record exported as an Architecture Decision Record (Markdown) or as JSON.

Both are made from the record's own snapshot only, so an export says exactly what the record
says, now and later. A record exists only once its proposal has closed, when blind and hidden
proposals show everything; anonymous records hold no named stances to export.
"""

from typing import Any

from django.conf import settings

from meridian.core.moments import local_date
from meridian.decisions.models import DecisionRecord, Kind, Rule, Visibility
from meridian.decisions.selectors import RecordDetail, tally_view

ADR_STATUS = {"in_force": "Accepted", "superseded": "Superseded"}


def _md_escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _status(detail: RecordDetail) -> str:
    if detail.superseded_by is not None:
        return f"Superseded by {detail.superseded_by.adr_id} ({detail.superseded_by.title})"
    return "Accepted"


def _tally_md(record: DecisionRecord) -> list[str]:
    if not record.tally:
        return ["No tally."]
    labels = {o["id"]: o["label"] for o in record.options}
    view = tally_view(record.tally, labels)
    lines = [f"{view.ballots} valid ballot(s), {view.invalid} not valid.", ""]
    if view.rounds:
        names = [label for label, _ in view.rounds[0].cells]
        lines += [
            "Instant-runoff rounds:",
            "",
            "| Round | "
            + " | ".join(_md_escape_cell(n) for n in names)
            + " | Exhausted | Result |",
            "|---|" + "---|" * len(names) + "---|---|",
        ]
        for r in view.rounds:
            cells = [("–" if votes is None else str(votes)) for _, votes in r.cells]
            if r.winner:
                result = f"{r.winner} wins"
            else:
                result = "eliminated: " + ", ".join(r.eliminated)
                if r.tie_break:
                    result += f" (tie broken by {r.tie_break})"
            lines.append(
                f"| {r.number} | " + " | ".join(cells) + f" | {r.exhausted} | "
                f"{_md_escape_cell(result)} |"
            )
        lines += ["", "Borda count:", ""]
        lines += [f"- {_md_escape_cell(b.label)}: {b.value:g} points" for b in view.borda]
    else:
        lines += [
            f"- {b.label}: {b.value:g}" + (f" ({b.note})" if b.note else "") for b in view.bars
        ]
    if view.reasons:
        lines += ["", "Reasons given:", ""]
        lines += [f"- {position}: {reason}" for position, reason in view.reasons]
    return lines


def record_markdown(detail: RecordDetail, *, zone: str | None = None) -> str:
    """The record as an ADR: status, context, decision, rationale, consequences, and the vote.

    ``zone`` is the reader's: the file's date is the one the record's page showed them."""
    r = detail.record
    people = r.participation.get("people", [])
    took_part = [p["name"] for p in people if p.get("took_part")]
    lines = [
        f"# {r.adr_id}: {r.title}",
        "",
        f"- Status: {_status(detail)}",
        f"- Date: {local_date(r.decided_at, zone):%Y-%m-%d}",
        f"- Decided by: {r.owner_name}",
        f"- Rule: {r.rule_text}",
        f"- Gathered: {Visibility(r.visibility).label}" + ("; anonymous" if r.anonymous else ""),
        f"- Participation: {r.participation.get('took_part', 0)} of "
        f"{r.participation.get('invited', 0)} took part"
        + (f" ({', '.join(took_part)})" if took_part else ""),
    ]
    if r.supersedes_id and r.supersedes is not None:
        lines.append(f"- Supersedes: {r.supersedes.adr_id} ({r.supersedes.title})")
    if r.teams:
        lines.append("- Teams: " + ", ".join(t["name"] for t in r.teams))
    if r.tags:
        lines.append("- Tags: " + ", ".join(r.tags))
    if r.review_date:
        lines.append(f"- Review: {r.review_date:%Y-%m-%d}")
    lines += ["", "## Context", "", r.question.strip() or "(No further text.)", ""]
    if r.kind != Kind.CONSENT:
        lines += ["## Options considered", ""]
        lines += [
            f"- {o['label']}" + (f": {o['description']}" if o.get("description") else "")
            for o in r.options
        ]
        lines.append("")
    lines += ["## Decision", "", r.statement, "", "## Rationale", "", r.rationale, ""]
    lines += ["## Consequences", ""]
    lines.append(f"Expected effect: {r.expected_effect}" if r.expected_effect else "None stated.")
    lines += ["", "## How it was decided", "", f"{Kind(r.kind).label}. {r.rule_text}"]
    if r.verdict:
        lines += ["", str(r.verdict.get("explanation", ""))]
    lines += ["", *_tally_md(r), ""]
    if r.stances:
        lines += ["Stances:", ""]
        for s in r.stances:
            reason = f" — {s['reason']}" if s.get("reason") else ""
            lines.append(f"- {s['name']}: {s['stance']}{reason}")
        lines.append("")
    if r.tie_break:
        lines += [f"Ties: {r.tie_break}" + (f" Seed: `{r.seed}`." if r.seed else ""), ""]
    if r.links:
        lines += ["## Links", ""]
        for link in r.links:
            if link["kind"] == "url":
                lines.append(f"- {link['relation']}: {link['url']}")
            else:
                title = f" {link['title']}" if link.get("title") else ""
                lines.append(f"- {link['relation']}: {link['kind']} #{link['id']}{title}")
        lines.append("")
    lines.append(f"Permalink: {settings.BASE_URL}{_permalink(r)}")
    return "\n".join(lines) + "\n"


def _permalink(record: DecisionRecord) -> str:
    from meridian.decisions.services import record_url

    return record_url(record)


def record_json(detail: RecordDetail) -> dict[str, Any]:
    """The record as JSON: its snapshot, its status in the log and its permalink."""
    r = detail.record
    return {
        "id": r.pk,
        "number": r.number,
        "adr_id": r.adr_id,
        "title": r.title,
        "status": "superseded" if detail.superseded_by else "in_force",
        "superseded_by": detail.superseded_by.pk if detail.superseded_by else None,
        "supersedes": r.supersedes_id,
        "proposal_id": r.proposal_id,
        "brief_id": r.brief_id,
        "owner": {"id": r.owner_id, "name": r.owner_name},
        "question": r.question,
        "kind": r.kind,
        "rule": r.rule,
        "rule_label": Rule(r.rule).label,
        "rule_text": r.rule_text,
        "quorum_pct": r.quorum_pct,
        "visibility": r.visibility,
        "anonymous": r.anonymous,
        "tie_break": r.tie_break,
        "seed": r.seed,
        "options": r.options,
        "tally": r.tally,
        "verdict": r.verdict,
        "participation": r.participation,
        "stances": r.stances,
        "statement": r.statement,
        "rationale": r.rationale,
        "expected_effect": r.expected_effect,
        "review_date": r.review_date.isoformat() if r.review_date else None,
        "links": r.links,
        "teams": r.teams,
        "tags": r.tags,
        "opened_at": r.opened_at.isoformat(),
        "closed_at": r.closed_at.isoformat(),
        "close_reason": r.close_reason,
        "decided_at": r.decided_at.isoformat(),
        "permalink": settings.BASE_URL + _permalink(r),
    }
