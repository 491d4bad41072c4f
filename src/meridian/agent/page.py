"""The agent's own page at ``/``: the person's day, and the curation forms.

Server-rendered HTML without scripts; every app name, title, pattern and category is
escaped. Forms post to ``/curation`` with the page's token (made when the agent starts), and
the agent answers only requests addressed to 127.0.0.1 or localhost (no other site can post
to it, and no rebound DNS name can read it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from .activity import US, day_summary
from .curation import CurationError, Local

TOP_TITLES = 60


def day_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """The day's start and end in µs since the epoch (a DST day is 23 or 25 hours)."""
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return int(start.timestamp()) * US, int(end.timestamp()) * US


def local_instant(day: date, clock: str, zone: ZoneInfo, what: str) -> int:
    """``HH:MM`` on ``day`` in ``zone`` → µs; "24:00" is the next midnight."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", clock.strip())
    if (
        not match
        or int(match[1]) > 24
        or int(match[2]) > 59
        or (int(match[1]) == 24 and int(match[2]))
    ):
        raise CurationError(f"{what}: give a time of day such as 09:30.")
    hours, minutes = int(match[1]), int(match[2])
    # Wall-clock arithmetic: 09:30 is 09:30 on the clock even on a DST day.
    moment = datetime.combine(day + timedelta(days=hours // 24), time(hours % 24, minutes), zone)
    return int(moment.timestamp()) * US


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def clock(micros: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(micros / US, zone).strftime("%H:%M")


@dataclass
class Outcome:
    message: str
    day: date


def parse_day(text: str | None, today: date) -> date:
    if not text:
        return today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CurationError(f"“{text}” is not a day; use the form 2026-12-05.") from None


def apply(local: Local, zone: ZoneInfo, form: dict[str, str], today: date) -> Outcome:
    """Carry out one form's action; CurationError names what is wrong (nothing changed)."""
    day = parse_day(form.get("day"), today)
    action = form.get("action", "")
    if action == "exclude_app":
        app = form.get("app", "")
        local.add_rule("exclude_app", pattern=app)
        return Outcome(f"“{app}” is excluded from sharing.", day)
    if action == "exclude_title":
        pattern = form.get("pattern", "")
        if form.get("exact") == "1":
            pattern = "^" + re.escape(pattern) + "$"
        local.add_rule("exclude_title", pattern=pattern)
        return Outcome("Windows with matching titles are excluded from sharing.", day)
    if action == "relabel":
        field = form.get("field", "app")
        pattern = form.get("pattern", "")
        if form.get("exact") == "1":
            pattern = "^" + re.escape(pattern) + "$"
        category = form.get("category", "")
        local.add_rule("relabel", field=field, pattern=pattern, category=category)
        return Outcome(f"Relabelled as “{category.strip()}”.", day)
    if action in ("exclude_range", "delete_range"):
        start = local_instant(day, form.get("from", ""), zone, "From")
        end = local_instant(day, form.get("to", ""), zone, "To")
        if end <= start:
            raise CurationError("To: the end must come after the start.")
        span = f"{clock(start, zone)} to {clock(end, zone)}"
        if action == "exclude_range":
            local.add_rule("exclude_range", start=start, end=end)
            return Outcome(f"{span} is excluded from sharing.", day)
        count = local.delete_events(start, end)
        return Outcome(f"Deleted {count} events from {span}.", day)
    if action == "delete_window":
        lo, hi = day_bounds(day, zone)
        app = form.get("app", "")
        title = form.get("title") if "title" in form else None
        if not app:
            raise CurationError("Say which app's events to delete.")
        count = local.delete_events(lo, hi, app=app, title=title)
        return Outcome(f"Deleted {count} events of “{app}” on this day.", day)
    if action == "remove_rule":
        try:
            rule_id = int(form.get("rule", ""))
        except ValueError:
            raise CurationError("Say which rule to remove.") from None
        if not local.remove_rule(rule_id):
            raise CurationError(f"There is no rule {rule_id}.")
        return Outcome("The rule is removed.", day)
    if action == "sharing":
        apps = form.get("share_apps") == "1"
        titles = apps and form.get("share_titles") == "1"
        local.put(share_apps="1" if apps else "0", share_titles="1" if titles else "0")
        return Outcome("Your sharing choices are saved.", day)
    raise CurationError("Unknown action.")


def _rule_text(rule: object, zone: ZoneInfo) -> str:
    kind = getattr(rule, "kind", "")
    if kind == "exclude_app":
        return f"Exclude the app “{escape(rule.pattern)}”"  # type: ignore[attr-defined]
    if kind == "exclude_title":
        return f"Exclude titles matching <code>{escape(rule.pattern)}</code>"  # type: ignore[attr-defined]
    if kind == "exclude_range":
        start, end = rule.start, rule.end  # type: ignore[attr-defined]
        first = datetime.fromtimestamp(start / US, zone).strftime("%a %d %b %Y %H:%M")
        return f"Exclude {escape(first)} to {clock(end, zone)} {escape(str(zone.key))}"
    return (
        f"{'App' if rule.field == 'app' else 'Title'} matching "  # type: ignore[attr-defined]
        f"<code>{escape(rule.pattern)}</code> → {escape(rule.category)}"  # type: ignore[attr-defined]
    )


def render(
    local: Local,
    zone: ZoneInfo,
    day: date,
    token: str,
    *,
    message: str = "",
    error: str = "",
) -> str:
    lo, hi = day_bounds(day, zone)
    curation = local.curation()
    summary = day_summary(local.pieces(lo, hi, curation, hide_ranges=False), curation)
    zone_name = escape(str(zone.key))
    day_text = escape(day.strftime("%A %d %B %Y"))
    hidden = (
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<input type="hidden" name="day" value="{day.isoformat()}">'
    )

    def form(action: str, fields: str, label: str, aria: str = "") -> str:
        aria_attr = f' aria-label="{escape(aria)}"' if aria else ""
        return (
            f'<form class="inline" method="post" action="/curation">{hidden}'
            f'<input type="hidden" name="action" value="{action}">{fields}'
            f"<button{aria_attr}>{label}</button></form>"
        )

    out: list[str] = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Your day, {day_text} — Meridian agent</title>",
        '<link rel="stylesheet" href="/static/agent.css"></head><body>',
        f"<header><h1>Your day: {day_text}</h1>",
        f"<p>Times are in your zone, <strong>{zone_name}</strong>. Only you see this page; "
        "nothing here leaves your computer until you sync.</p>",
        '<form method="get" action="/"><label for="day">Day</label> '
        f'<input type="date" id="day" name="day" value="{day.isoformat()}"> '
        "<button>Show</button></form>"
        f'<nav aria-label="Other days"><a href="/?day={(day - timedelta(days=1)).isoformat()}">'
        "Previous day</a> · "
        f'<a href="/?day={(day + timedelta(days=1)).isoformat()}">Next day</a></nav></header>',
        "<main>",
    ]
    if error:
        out.append(f'<p class="alert" role="alert">{escape(error)}</p>')
    if message:
        out.append(f'<p class="done" role="status">{escape(message)}</p>')
    out.append(
        '<section aria-labelledby="h-totals"><h2 id="h-totals">Totals</h2><dl class="totals">'
        f"<div><dt>Active</dt><dd>{duration(summary.active)}</dd></div>"
        f"<div><dt>Away (AFK)</dt><dd>{duration(summary.afk)}</dd></div>"
        f"<div><dt>Excluded from sharing</dt><dd>{duration(summary.excluded)}</dd></div>"
        "</dl></section>"
    )
    # The timeline: one rectangle per stretch, positioned in per cent of the day.
    span = hi - lo
    rects = []
    # Each category its own shade (the six with most time; the rest share the last).
    ranked_categories = sorted(summary.categories, key=lambda c: -summary.categories[c])
    shade = {c: min(i, 5) for i, c in enumerate(ranked_categories)}
    for start, end, kind, category, app in summary.timeline:
        x = (start - lo) * 100 / span
        w = max((end - start) * 100 / span, 0.05)
        what = {"active": category, "afk": "away", "excluded": "excluded"}[kind]
        label = f"{clock(start, zone)}–{clock(end, zone)} {what}" + (
            f" ({app})" if app and kind == "active" else ""
        )
        rects.append(
            f'<rect class="{kind}{f" c{shade[category]}" if kind == "active" else ""}" x="{x:.3f}%" y="0" width="{w:.3f}%" height="100%">'
            f"<title>{escape(label)}</title></rect>"
        )
    first = clock(summary.timeline[0][0], zone) if summary.timeline else ""
    last = clock(summary.timeline[-1][1], zone) if summary.timeline else ""
    described = (
        f"Activity from {first} to {last}: active {duration(summary.active)}, away "
        f"{duration(summary.afk)}, excluded {duration(summary.excluded)}"
        if summary.timeline
        else "No activity recorded on this day"
    )
    out.append(
        '<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>'
        f'<svg class="timeline" role="img" aria-label="{escape(described)}">{"".join(rects)}</svg>'
        '<div class="axis" aria-hidden="true"><span>00:00</span><span>06:00</span>'
        "<span>12:00</span><span>18:00</span><span>24:00</span></div>"
        '<p class="legend">'
        + "".join(f'<span class="c{shade[c]}"></span>{escape(c)}' for c in ranked_categories[:6])
        + '<span class="afk"></span>away<span class="excluded"></span>excluded</p></section>'
    )
    # Categories.
    rows = "".join(
        f'<tr><td>{escape(name)}</td><td class="num">{duration(s)}</td></tr>'
        for name, s in sorted(summary.categories.items(), key=lambda kv: -kv[1])
    )
    out.append(
        '<section aria-labelledby="h-categories"><h2 id="h-categories">Categories</h2>'
        + (
            f'<table><thead><tr><th scope="col">Category</th><th scope="col" class="num">Active</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else "<p>No active time on this day.</p>"
        )
        + "</section>"
    )
    # Apps.
    app_rows = []
    for app, seconds in sorted(summary.apps.items(), key=lambda kv: -kv[1]):
        category, excluded = curation.judge(app, "")
        state = "excluded" if excluded else escape(category)
        name = escape(app)
        actions = ""
        if not excluded:
            actions += form(
                "exclude_app",
                f'<input type="hidden" name="app" value="{name}">',
                "Exclude",
                f"Exclude {app} from sharing",
            )
        actions += form(
            "relabel",
            '<input type="hidden" name="field" value="app"><input type="hidden" name="exact" value="1">'
            f'<input type="hidden" name="pattern" value="{name}">'
            f'<input name="category" size="10" required maxlength="100" '
            f'aria-label="New category for {name}" placeholder="Category">',
            "Relabel",
            f"Relabel {app}",
        )
        actions += form(
            "delete_window",
            f'<input type="hidden" name="app" value="{name}">',
            "Delete this day’s events",
            f"Delete this day’s events of {app}",
        )
        app_rows.append(
            f'<tr><td>{name}</td><td class="num">{duration(seconds)}</td><td>{state}</td><td>{actions}</td></tr>'
        )
    out.append(
        '<section aria-labelledby="h-apps"><h2 id="h-apps">Apps</h2>'
        + (
            '<table class="wide"><thead><tr><th scope="col">App</th><th scope="col" class="num">Time</th>'
            '<th scope="col">Category</th><th scope="col">Actions</th></tr></thead><tbody>'
            + "".join(app_rows)
            + "</tbody></table>"
            if app_rows
            else "<p>No windows recorded on this day.</p>"
        )
        + "</section>"
    )
    # Window titles.
    title_rows = []
    ranked = sorted(summary.titles.items(), key=lambda kv: -kv[1])
    for (app, title), seconds in ranked[:TOP_TITLES]:
        category, excluded = curation.judge(app, title)
        state = "excluded" if excluded else escape(category)
        t = escape(title)
        a = escape(app)
        actions = ""
        if not excluded:
            actions += form(
                "exclude_title",
                f'<input type="hidden" name="pattern" value="{t}"><input type="hidden" name="exact" value="1">',
                "Exclude",
                f"Exclude the title {title} from sharing",
            )
        actions += form(
            "delete_window",
            f'<input type="hidden" name="app" value="{a}"><input type="hidden" name="title" value="{t}">',
            "Delete",
            f"Delete this day’s events titled {title}",
        )
        title_rows.append(
            f'<tr><td>{a}</td><td class="title">{t or "<em>(no title)</em>"}</td>'
            f'<td class="num">{duration(seconds)}</td><td>{state}</td><td>{actions}</td></tr>'
        )
    more = len(ranked) - TOP_TITLES
    out.append(
        '<section aria-labelledby="h-titles"><h2 id="h-titles">Window titles</h2>'
        + (
            '<table class="wide"><thead><tr><th scope="col">App</th><th scope="col">Title</th>'
            '<th scope="col" class="num">Time</th><th scope="col">Category</th>'
            '<th scope="col">Actions</th></tr></thead><tbody>'
            + "".join(title_rows)
            + "</tbody></table>"
            if title_rows
            else "<p>No window titles on this day.</p>"
        )
        + (f"<p>{more} more titles with less time are not listed.</p>" if more > 0 else "")
        + "</section>"
    )
    # Curation by hand.
    out.append(
        '<section aria-labelledby="h-curate"><h2 id="h-curate">Exclude, relabel or delete</h2>'
        f'<form method="post" action="/curation">{hidden}'
        "<fieldset><legend>A time range of this day</legend>"
        '<label for="from">From</label> <input id="from" name="from" type="time" required> '
        '<label for="to">to</label> <input id="to" name="to" type="time" required> '
        '<button name="action" value="exclude_range">Exclude from sharing</button> '
        '<button name="action" value="delete_range">Delete the events</button>'
        "</fieldset></form>"
        f'<form method="post" action="/curation">{hidden}'
        '<input type="hidden" name="action" value="exclude_title">'
        "<fieldset><legend>Titles matching a pattern</legend>"
        '<label for="xpattern">Regular expression (any case)</label> '
        '<input id="xpattern" name="pattern" required maxlength="200"> '
        "<button>Exclude from sharing</button></fieldset></form>"
        f'<form method="post" action="/curation">{hidden}'
        '<input type="hidden" name="action" value="relabel">'
        "<fieldset><legend>A category of your own</legend>"
        '<label for="rfield">Match the</label> <select id="rfield" name="field">'
        '<option value="app">app</option><option value="title">title</option></select> '
        '<label for="rpattern">against (regular expression)</label> '
        '<input id="rpattern" name="pattern" required maxlength="200"> '
        '<label for="rcategory">category</label> '
        '<input id="rcategory" name="category" required maxlength="100"> '
        "<button>Relabel</button></fieldset></form></section>"
    )
    # Rules.
    rules = local.rules()
    workspace = local.workspace_rules()
    items = "".join(
        f"<li>{_rule_text(rule, zone)} "
        + form(
            "remove_rule",
            f'<input type="hidden" name="rule" value="{rule.id}">',
            "Remove",
            f"Remove rule {rule.id}",
        )
        + "</li>"
        for rule in rules
    )
    out.append(
        '<section aria-labelledby="h-rules"><h2 id="h-rules">Your rules</h2>'
        + (
            f"<ul>{items}</ul>"
            if items
            else "<p>No rules yet: everything is shared as the policy allows.</p>"
        )
        + (
            '<p class="note">Categories not set by your rules come from your workspace\'s '
            f"{len(workspace)} rules (read at each sync); anything else is Uncategorized.</p>"
            if workspace
            else '<p class="note">Categories not set by your rules come from the agent\'s '
            "standard rules (Coding, Writing, Meetings, Communication); anything else is "
            "Uncategorized.</p>"
        )
        + "</section>"
    )
    # Sharing.
    status = local.status()
    apps_on = local.get("share_apps", "1") == "1"
    titles_on = local.get("share_titles", "0") == "1"
    synced = (
        datetime.fromtimestamp(status["synced_until"] / US, zone).strftime("%a %d %b %Y %H:%M")
        + f" {zone_name}"
        if status["synced_until"]
        else "never"
    )
    server = (
        escape(status["server"])
        if status["server"]
        else "not set (run <code>meridian agent login</code>)"
    )
    out.append(
        '<section aria-labelledby="h-sharing"><h2 id="h-sharing">Sharing</h2>'
        f"<p>Server: {server}. Synced up to: {escape(synced)}. "
        f"The server holds {status['acknowledged_slots']} of your 15-minute slots.</p>"
        f'<form method="post" action="/curation">{hidden}'
        '<input type="hidden" name="action" value="sharing"><fieldset><legend>What you allow '
        "(the workspace policy may allow less)</legend>"
        "<p>Active and away minutes per category are always shared.</p>"
        f'<label><input type="checkbox" name="share_apps" value="1"{" checked" if apps_on else ""}> '
        "App names</label> "
        f'<label><input type="checkbox" name="share_titles" value="1"{" checked" if titles_on else ""}> '
        "Window titles (only with app names)</label> <button>Save</button></fieldset></form></section>"
    )
    out.append("</main></body></html>")
    return "".join(out)
