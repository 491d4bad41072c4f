"""`meridian agent day | exclude | relabel | delete | rules | login | sync | status`.

The same curation as the agent's page, from a terminal, and the sync to the server. Each
command opens the agent's database directly (SQLite allows it while the agent serves).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .activity import US, day_summary
from .curation import CurationError, Local
from .store import Store


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", type=Path, default=None, help="data directory")
    common.add_argument("--testing", action="store_true", help="use the testing database")
    common.add_argument("--zone", default=None, help="your time zone (default: the system's)")
    parser = argparse.ArgumentParser(prog="meridian agent", description="Curate and sync.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("day", parents=[common], help="show a day: active, away, apps, categories")
    p.add_argument("day", nargs="?", help="YYYY-MM-DD (default: today)")
    p.add_argument("--titles", type=int, default=10, help="how many window titles (10)")

    p = sub.add_parser("exclude", parents=[common], help="exclude from sharing")
    p.add_argument("what", choices=("app", "title", "range"))
    p.add_argument("value", nargs="+", help="app name | title regex | DAY FROM TO (HH:MM)")

    p = sub.add_parser("relabel", parents=[common], help="an app or title pattern → a category")
    p.add_argument("field", choices=("app", "title"))
    p.add_argument("pattern", help="regular expression (any case)")
    p.add_argument("category")

    p = sub.add_parser("delete", parents=[common], help="delete events of a time range for good")
    p.add_argument("day", help="YYYY-MM-DD")
    p.add_argument("start", help="HH:MM")
    p.add_argument("end", help="HH:MM")
    p.add_argument("--app", default=None, help="only this app's window events")

    p = sub.add_parser("rules", parents=[common], help="list your rules, or remove one")
    p.add_argument("--remove", type=int, metavar="ID")

    for name, text in (("login", "save the server and token"), ("sync", "send to the server")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("--server", default=None, help="e.g. https://meridian.example.org")
        p.add_argument("--token", default=None, help="your API token ($MERIDIAN_AGENT_TOKEN)")
        p.add_argument("--share-apps", choices=("yes", "no"), default=None)
        p.add_argument("--share-titles", choices=("yes", "no"), default=None)
    p.add_argument("--batch", type=int, default=5000, help="slots per request (5000)")
    p.add_argument("--pause", type=float, default=0.0, help="seconds between requests (0)")

    sub.add_parser("status", parents=[common], help="what the server has acknowledged")
    return parser


def _open(args: argparse.Namespace) -> Local:
    from .main import database_path, default_dir

    directory = (args.dir or default_dir()).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    return Local(Store(database_path(directory, testing=args.testing)))


def run_command(argv: list[str]) -> int:
    from .zones import local_zone

    args = _parser().parse_args(argv)
    try:
        zone = local_zone(args.zone)
        local = _open(args)
    except (ValueError, OSError) as exc:
        print(f"meridian agent: {exc}", file=sys.stderr)
        return 1
    try:
        return COMMAND_FUNCTIONS[args.command](local, args, zone)
    except CurationError as exc:
        print(f"meridian agent {args.command}: {exc}", file=sys.stderr)
        return 1
    finally:
        local.store.close()


def _today(zone: ZoneInfo) -> date:
    return datetime.now(UTC).astimezone(zone).date()


def cmd_day(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    from .page import clock, day_bounds, duration, parse_day

    day = parse_day(args.day, _today(zone))
    lo, hi = day_bounds(day, zone)
    curation = local.curation()
    summary = day_summary(local.pieces(lo, hi, curation, hide_ranges=False), curation)
    print(f"{day:%A %d %B %Y}, times in {zone}")
    print(
        f"active {duration(summary.active)}, away {duration(summary.afk)}, "
        f"excluded from sharing {duration(summary.excluded)}"
    )
    if summary.timeline:
        first, last = summary.timeline[0][0], summary.timeline[-1][1]
        print(f"from {clock(first, zone)} to {clock(last, zone)}")
    if summary.categories:
        print("categories:")
        for name, seconds in sorted(summary.categories.items(), key=lambda kv: -kv[1]):
            print(f"  {duration(seconds):>14}  {name}")
    if summary.apps:
        print("apps:")
        for app, seconds in sorted(summary.apps.items(), key=lambda kv: -kv[1]):
            category, excluded = curation.judge(app, "")
            print(f"  {duration(seconds):>14}  {app}  [{'excluded' if excluded else category}]")
    if summary.titles and args.titles > 0:
        print("window titles:")
        ranked = sorted(summary.titles.items(), key=lambda kv: -kv[1])
        for (app, title), seconds in ranked[: args.titles]:
            print(f"  {duration(seconds):>14}  {app}: {title}")
    return 0


def cmd_exclude(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    from .page import clock, local_instant, parse_day

    if args.what == "range":
        if len(args.value) != 3:
            raise CurationError("exclude range DAY FROM TO, e.g. 2026-12-05 12:00 13:30")
        day = parse_day(args.value[0], _today(zone))
        start = local_instant(day, args.value[1], zone, "FROM")
        end = local_instant(day, args.value[2], zone, "TO")
        rule = local.add_rule("exclude_range", start=start, end=end)
        what = f"{day} {clock(start, zone)} to {clock(end, zone)} {zone}"
    else:
        value = " ".join(args.value)
        rule = local.add_rule(f"exclude_{args.what}", pattern=value)
        what = f"the {args.what} {value!r}"
    print(f"rule {rule.id}: {what} is excluded from sharing")
    return 0


def cmd_relabel(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    rule = local.add_rule("relabel", field=args.field, pattern=args.pattern, category=args.category)
    print(f"rule {rule.id}: {args.field} matching {args.pattern!r} → {rule.category}")
    return 0


def cmd_delete(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    from .page import local_instant, parse_day

    day = parse_day(args.day, _today(zone))
    start = local_instant(day, args.start, zone, "START")
    end = local_instant(day, args.end, zone, "END")
    count = local.delete_events(start, end, app=args.app)
    print(f"deleted {count} events")
    return 0


def cmd_rules(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    if args.remove is not None:
        if not local.remove_rule(args.remove):
            raise CurationError(f"there is no rule {args.remove}")
        print(f"rule {args.remove} removed")
        return 0
    for rule in local.rules():
        if rule.kind == "exclude_range":
            span = f"{datetime.fromtimestamp(rule.start / US, zone):%Y-%m-%d %H:%M} to "
            span += f"{datetime.fromtimestamp(rule.end / US, zone):%Y-%m-%d %H:%M} {zone}"
            print(f"{rule.id}: exclude {span}")
        elif rule.kind == "relabel":
            print(f"{rule.id}: relabel {rule.field} {rule.pattern!r} → {rule.category}")
        else:
            print(f"{rule.id}: {rule.kind.replace('_', ' ')} {rule.pattern!r}")
    return 0


def _settings(local: Local, args: argparse.Namespace) -> tuple[str, str]:
    server = args.server or os.environ.get("MERIDIAN_AGENT_SERVER") or local.get("server")
    token = args.token or os.environ.get("MERIDIAN_AGENT_TOKEN") or local.get("token")
    if args.share_apps:
        local.put(share_apps="1" if args.share_apps == "yes" else "0")
    if args.share_titles:
        local.put(share_titles="1" if args.share_titles == "yes" else "0")
    if not server or not server.startswith(("http://", "https://")):
        raise CurationError("give the server's address: --server https://meridian.example.org")
    if not token:
        raise CurationError(
            "give your API token: --token (make one under API tokens in your workspace)"
        )
    return server, token


def cmd_login(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    from .sync import Client, SyncFailed

    server, token = _settings(local, args)
    try:
        policy = Client(server, token).call("GET", "/api/v1/activity/policy")
    except SyncFailed as exc:
        print(f"meridian agent login: {exc}", file=sys.stderr)
        return exc.code
    local.put(server=server, token=token)
    # The token is kept in the agent's database: only you may read the directory holding it.
    path = Path(local.store.path)
    for target, mode in ((path.parent, 0o700), (path, 0o600)):
        with contextlib.suppress(OSError):
            target.chmod(mode)
    print(
        f"saved: {server}. The workspace allows {', '.join(policy.get('detail_levels', []))}; "
        f"you allow app names: {'yes' if local.get('share_apps', '1') == '1' else 'no'}, "
        f"titles: {'yes' if local.get('share_titles', '0') == '1' else 'no'}."
    )
    return 0


def sync_once(
    local: Local,
    server: str,
    token: str,
    *,
    batch: int = 5000,
    pause: float = 0.0,
    say: Callable[[str], None] = print,
    zone: ZoneInfo | None = None,
) -> int:
    from .sync import Client, SyncFailed, sync

    try:
        report = sync(
            local,
            Client(server, token),
            now=int(time.time() * US),
            share_apps=local.get("share_apps", "1") == "1",
            share_titles=local.get("share_titles", "0") == "1",
            say=say,
            pause=pause,
            batch=batch,
            zone=zone or UTC,
        )
    except SyncFailed as exc:
        print(f"meridian agent sync: {exc}", file=sys.stderr, flush=True)
        return exc.code
    for line in report.lines(zone or UTC):
        say(line)
    return 0


def cmd_sync(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    server, token = _settings(local, args)

    def say(line: str) -> None:
        print(line, flush=True)

    return sync_once(local, server, token, batch=args.batch, pause=args.pause, say=say, zone=zone)


def cmd_status(local: Local, args: argparse.Namespace, zone: ZoneInfo) -> int:
    status = local.status()
    until = status["synced_until"]
    print(f"server: {status['server'] or 'not set'}")
    print(
        "synced up to: "
        + (
            f"{datetime.fromtimestamp(until / US, zone):%Y-%m-%d %H:%M} {zone}"
            if until
            else "never"
        )
    )
    print(
        f"acknowledged: {status['acknowledged_slots']} slots, "
        f"{status['acknowledged_active_seconds'] // 60} active minutes"
    )
    return 0


def periodic_sync(
    store: Store, seconds: float, stop: threading.Event, zone: ZoneInfo | None = None
) -> None:
    """`meridian agent --sync-every MINUTES`: sync with the saved server until the agent stops."""
    local = Local(store)
    while not stop.wait(seconds):
        server, token = local.get("server"), local.get("token")
        if server and token:
            sync_once(local, server, token, say=lambda line: print(line, flush=True), zone=zone)


COMMAND_FUNCTIONS = {
    "day": cmd_day,
    "exclude": cmd_exclude,
    "relabel": cmd_relabel,
    "delete": cmd_delete,
    "rules": cmd_rules,
    "login": cmd_login,
    "sync": cmd_sync,
    "status": cmd_status,
}
