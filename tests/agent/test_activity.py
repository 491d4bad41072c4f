"""The day and the slots from events, against a second-by-second model; and the sync's
bookkeeping against a model server, with syncs cut short at every possible batch."""

import contextlib
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.agent.activity import (
    SLOT_US,
    US,
    Curation,
    Rule,
    day_summary,
    merge,
    pieces,
    slots,
    subtract,
)
from meridian.agent.curation import CurationError, Local
from meridian.agent.events import fmt_ts
from meridian.agent.store import Store
from meridian.agent.sync import Client, SyncFailed, _batches, sync

BASE = 1_796_000_400 * US  # a quarter hour in December 2026
SPAN = 3600  # seconds under test: four slots
APPS = [("Code", "main.py"), ("Slack", "general"), ("Firefox", "<b>news</b>"), ("Zoom", "")]

seconds = st.integers(min_value=0, max_value=SPAN)
window_events = st.lists(
    st.tuples(seconds, st.integers(min_value=1, max_value=900), st.sampled_from(APPS)), max_size=12
)
afk_events = st.none() | st.lists(
    st.tuples(seconds, st.integers(min_value=1, max_value=1800), st.booleans()), max_size=8
)
ranges = st.lists(st.tuples(seconds, st.integers(min_value=1, max_value=600)), max_size=2)


def model(windows, afk, hidden):
    """Per second: which app/title is in front (the earliest-starting window; the first wins
    on overlap) and whether the person was away; {(slot, app, title, afk): seconds}."""
    front: dict[int, tuple[str, str]] = {}
    reached = 0
    for start, length, app in sorted(windows, key=lambda w: w[0]):
        for s in range(max(start, reached), min(start + length, SPAN)):
            front[s] = app
        reached = max(reached, min(start + length, SPAN))
    totals: dict[tuple[int, str, str, bool], int] = defaultdict(int)
    for s in range(SPAN):
        if any(a <= s < a + n for a, n in hidden):
            continue
        if afk is None:
            state = False if s in front else None
        elif any(a <= s < a + n and away for a, n, away in afk):
            state = True
        elif any(a <= s < a + n for a, n, _ in afk):
            state = False
        else:
            state = None
        if state is None or (not state and s not in front):
            continue
        app, title = front.get(s, ("", ""))
        totals[(s // 900, app, title, state)] += 1
    return dict(totals)


def as_micros(windows, afk, hidden):
    w = [(BASE + a * US, n * US, app, title) for a, n, (app, title) in windows]
    f = None if afk is None else [(BASE + a * US, n * US, away) for a, n, away in afk]
    h = [(BASE + a * US, BASE + (a + n) * US) for a, n in hidden]
    return w, f, h


@settings(max_examples=150, deadline=None)
@given(window_events, afk_events, ranges)
def test_pieces_match_a_second_by_second_model(windows, afk, hidden):
    w, f, h = as_micros(windows, afk, hidden)
    found: dict[tuple[int, str, str, bool], int] = defaultdict(int)
    for piece in pieces(w, f, BASE, BASE + SPAN * US, h):
        # A piece never crosses a quarter hour.
        assert (piece.start - BASE) // SLOT_US == (piece.end - 1 - BASE) // SLOT_US
        key = ((piece.start - BASE) // SLOT_US, piece.app, piece.title, piece.afk)
        found[key] += (piece.end - piece.start) // US
    assert dict(found) == model(windows, afk, hidden)


@settings(max_examples=100, deadline=None)
@given(window_events, afk_events, st.booleans(), st.booleans())
def test_slots_share_only_what_is_allowed_and_fit_a_quarter_hour(windows, afk, apps, titles):
    w, f, _ = as_micros(windows, afk, [])
    curation = Curation([Rule(1, "exclude_app", "slack"), Rule(2, "exclude_title", r"news")])
    parts = pieces(w, f, BASE, BASE + SPAN * US)
    shared = slots(parts, curation, share_apps=apps, share_titles=titles)
    per_slot: dict[int, int] = defaultdict(int)
    for (start, category, app, title), (active, away) in shared.items():
        assert start % SLOT_US == 0
        assert active + away > 0
        per_slot[start] += active + away
        assert app == "" or (apps and app not in ("Slack", "Firefox"))
        assert title == "" or (apps and titles)
        assert category in ("Coding", "Meetings", "Uncategorized")
    # Windows never overlap after the first-wins rule, so a quarter hour holds 900 s at most.
    assert all(total <= 900 for total in per_slot.values())
    # Everything not excluded is shared (within rounding down to whole seconds per key).
    day = day_summary(parts, curation)
    assert sum(a for a, _ in shared.values()) <= day.active + 0.001
    assert day.active - sum(a for a, _ in shared.values()) < len(shared) + 1


def test_relabels_win_over_the_standard_rules_newest_first():
    curation = Curation(
        [
            Rule(1, "relabel", r"code", "app", "Writing"),
            Rule(2, "relabel", r"^main\.py$", "title", "Reviewing"),
        ]
    )
    assert curation.judge("Code", "main.py") == ("Reviewing", False)
    assert curation.judge("Code", "notes.md") == ("Writing", False)
    assert curation.judge("Zoom", "") == ("Meetings", False)
    assert curation.judge("Gimp", "") == ("Uncategorized", False)


def test_merge_and_subtract():
    assert merge([(5, 7), (1, 3), (2, 4), (9, 9)]) == [(1, 4), (5, 7)]
    assert subtract([(0, 10)], [(2, 3), (5, 12)]) == [(0, 2), (3, 5)]


def test_batches_keep_a_quarter_hour_together_and_respect_the_size():
    changes = [((q * SLOT_US, c, "", ""), (60, 0)) for q in range(5) for c in ("A", "B", "C")]
    batches = _batches(changes, 4)
    assert [len(b) for b in batches] == [3, 3, 3, 3, 3]
    assert [c for b in batches for c in b] == changes
    assert [len(b) for b in _batches(changes, 7)] == [6, 6, 3]


# --- The sync's bookkeeping against a model server ---------------------------------------------


class ModelServer(Client):
    """What the server does with a sync: a slot's key replaces its figures. It may fail at
    the ``fail_at``-th sync request, before storing (``stored=False``) or after (the answer
    is lost on the way back)."""

    def __init__(self, *, allow_apps=False, allow_titles=False):
        super().__init__("http://model", "token")
        self.slots: dict[tuple[str, str, str, str], tuple[int, int]] = {}
        self.policy = {
            "allow_apps": allow_apps,
            "allow_titles": allow_titles,
            "retention_days": 3650,
            "max_slots_per_sync": 5000,
        }
        self.fail_at: int | None = None
        self.stored_before_failing = False
        self.requests = 0
        self.revoked = False

    def call(self, method, path, body=None):
        if self.revoked:
            raise SyncFailed("The server refused the token (401)", code=3)
        if path.endswith("/policy"):
            return self.policy
        self.requests += 1
        failing = self.fail_at is not None and self.requests == self.fail_at
        if failing and not self.stored_before_failing:
            raise SyncFailed("connection reset", code=2)
        for slot in body["slots"]:
            key = (slot["start"], slot["category"], slot["app"] or "", slot["title"] or "")
            self.slots[key] = (slot["active_seconds"], slot["afk_seconds"])
        if failing:
            raise SyncFailed("the answer was lost", code=2)
        return {"accepted": len(body["slots"]), "replaced": 0}

    def totals(self):
        by_category: dict[str, int] = defaultdict(int)
        for (_, category, _, _), (active, _) in self.slots.items():
            by_category[category] += active
        return {k: v for k, v in by_category.items() if v}


@pytest.fixture
def local(tmp_path):
    store = Store(tmp_path / "agent.sqlite3")
    store.create_bucket("win", type="currentwindow", client="t", hostname="h")
    store.create_bucket("afk", type="afkstatus", client="t", hostname="h")
    # Two hours: an hour of Code, half an hour of Slack, half an hour away.
    events = [(None, BASE + i * 60 * US, 60 * US, {"app": "Code", "title": "a"}) for i in range(60)]
    events += [
        (None, BASE + (60 + i) * 60 * US, 60 * US, {"app": "Slack", "title": "b"})
        for i in range(30)
    ]
    store.insert("win", events)
    store.insert(
        "afk",
        [
            (None, BASE, 90 * 60 * US, {"status": "not-afk"}),
            (None, BASE + 90 * 60 * US, 30 * 60 * US, {"status": "afk"}),
        ],
    )
    yield Local(store)
    store.close()


NOW = BASE + 3 * 3600 * US


def run(local, server, **kw):
    return sync(
        local, server, now=NOW, share_apps=True, share_titles=True, say=lambda _: None, **kw
    )


def test_a_sync_sends_categories_and_a_second_sends_nothing(local):
    server = ModelServer()
    report = run(local, server, batch=2)
    assert server.totals() == {"Coding": 3600, "Communication": 1800}
    assert report.slots == len(server.slots) and report.batches > 1
    assert report.lines(ZoneInfo("Asia/Kathmandu"))[:4] == [
        f"Sent {report.slots} slots (categories) in {report.batches} batches, "
        "2026-11-30 06:45 Asia/Kathmandu to 2026-11-30 08:45 Asia/Kathmandu:",
        "  active 1 h 30 min, away 0 h 30 min",
        "  Coding: 1 h 00 min",
        "  Communication: 0 h 30 min",
    ]
    again = run(local, server)
    assert again.slots == 0 and again.lines() == [
        "Nothing new to send: the server has everything up to now."
    ]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=8), st.booleans())
def test_a_sync_cut_short_at_any_batch_is_completed_by_the_next(tmp_path_factory, fail_at, stored):
    directory = tmp_path_factory.mktemp("cut")
    store = Store(directory / "a.sqlite3")
    store.create_bucket("win", type="currentwindow", client="t", hostname="h")
    store.insert(
        "win",
        [
            (None, BASE + i * 300 * US, 300 * US, {"app": ["Code", "Slack"][i % 2]})
            for i in range(24)
        ],
    )
    local = Local(store)
    try:
        server = ModelServer()
        server.fail_at, server.stored_before_failing = fail_at, stored
        with pytest.raises(SyncFailed):  # 16 slots in batches of 2: 8 requests
            run(local, server, batch=2)
        # A change of rules between the two syncs moves time, never adds it.
        local.add_rule("relabel", field="app", pattern="slack", category="Chat")
        server.fail_at = None
        run(local, server)
        assert server.totals() == {"Coding": 3600, "Chat": 3600}
    finally:
        store.close()


def test_exclusions_and_deletions_withdraw_what_was_sent(local):
    server = ModelServer()
    run(local, server)
    local.add_rule("exclude_app", pattern="slack")
    report = run(local, server)
    assert server.totals() == {"Coding": 3600}
    assert report.removed > 0
    local.delete_events(BASE, BASE + 30 * 60 * US, app="Code")
    run(local, server)
    assert server.totals() == {"Coding": 1800}


def test_detail_follows_policy_and_person(local):
    server = ModelServer(allow_apps=True, allow_titles=False)
    run(local, server)
    assert {(k[2], k[3]) for k in server.slots} == {("Code", ""), ("Slack", ""), ("", "")}
    server.policy["allow_apps"] = False
    report = run(local, server)
    # What was sent with app names stays as it was (a zero for it would land on the category
    # slot): nothing is counted twice, and the next quarter hours go without apps.
    assert report.kept == 6 and report.slots == 0  # the six quarter hours with windows
    assert server.totals() == {"Coding": 3600, "Communication": 1800}
    local.store.insert("win", [(None, BASE + 120 * 60 * US, 600 * US, {"app": "Code"})])
    local.store.insert("afk", [(None, BASE + 120 * 60 * US, 600 * US, {"status": "not-afk"})])
    run(local, server)
    assert server.totals() == {"Coding": 4200, "Communication": 1800}
    later = fmt_ts(BASE + 120 * 60 * US).replace("+00:00", "Z")
    assert [k[2] for k in server.slots if k[0] == later] == [""]


def test_a_revoked_token_keeps_everything_queued(local):
    server = ModelServer()
    server.revoked = True
    with pytest.raises(SyncFailed) as failure:
        run(local, server)
    assert failure.value.code == 3
    assert local.status()["acknowledged_slots"] == 0
    server.revoked = False
    run(local, server)
    assert server.totals() == {"Coding": 3600, "Communication": 1800}


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("exclude_title", {"pattern": "("}, "not a regular expression"),
        ("exclude_app", {"pattern": " "}, "pattern of 1 to 200"),
        ("relabel", {"pattern": "x", "field": "app"}, "category of 1 to 100"),
        ("relabel", {"pattern": "x", "field": "url", "category": "A"}, "app or the title"),
        ("exclude_range", {"start": 5, "end": 5}, "ends after it starts"),
        ("forget", {}, "Unknown rule"),
    ],
)
def test_bad_rules_are_refused_naming_the_problem(local, kind, options, message):
    with pytest.raises(CurationError, match=message):
        local.add_rule(kind, **options)
    assert local.rules() == []


def test_the_workspace_rules_come_with_the_policy_and_personal_relabels_win(local):
    server = ModelServer()
    server.policy["category_rules"] = [
        {"category": "Chat", "field": "app", "pattern": "^slack$"},
        {"category": "Broken", "field": "app", "pattern": "("},  # skipped, not fatal
        {"category": "Editing", "field": "title", "pattern": "^a$"},
    ]
    run(local, server)
    assert server.totals() == {"Editing": 3600, "Chat": 1800}
    assert local.workspace_rules() == [("Chat", "app", "^slack$"), ("Editing", "title", "^a$")]
    local.add_rule("relabel", field="app", pattern="code", category="Deep work")
    server.policy["category_rules"] = [{"category": "Talk", "field": "app", "pattern": "slack"}]
    run(local, server)
    assert server.totals() == {"Deep work": 3600, "Talk": 1800}
    del server.policy["category_rules"]  # back to the agent's standard rules
    run(local, server)
    assert server.totals() == {"Deep work": 3600, "Communication": 1800}


def test_deleting_a_range_cuts_the_events_reaching_beyond_it(local):
    afk_before = local.store.events("afk")
    # 08:30 to 08:45 after BASE's hour: inside the long "not-afk" event and Code's minutes.
    lo, hi = BASE + 30 * 60 * US, BASE + 45 * 60 * US
    assert local.delete_events(lo, hi) == 15 + 1
    afk_after = sorted((e.ts, e.dur) for e in local.store.events("afk"))
    assert afk_after == [
        (BASE, 30 * 60 * US),
        (hi, 45 * 60 * US),
        (BASE + 90 * 60 * US, 30 * 60 * US),
    ]
    assert len(afk_before) == 2
    server = ModelServer()
    run(local, server)
    assert server.totals() == {"Coding": 3600 - 900, "Communication": 1800}
    # A range cutting one Code event in two keeps both ends.
    local.delete_events(BASE + 10 * 60 * US + 20 * US, BASE + 10 * 60 * US + 40 * US, app="Code")
    run(local, server)
    assert server.totals() == {"Coding": 3600 - 900 - 20, "Communication": 1800}


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("exclude_app"), st.sampled_from(["Code", "Slack"])),
        st.tuples(st.just("relabel"), st.sampled_from(["Chat", "Deep work"])),
        st.tuples(st.just("exclude_range"), st.integers(min_value=0, max_value=110)),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=110)),
        st.tuples(st.just("remove"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("sync"), st.integers(min_value=0, max_value=6)),
        st.tuples(st.just("share"), st.booleans()),
    ),
    max_size=10,
)


@settings(max_examples=40, deadline=None)
@given(OPERATIONS)
def test_after_any_curation_and_interrupted_syncs_a_clean_sync_leaves_the_server_exact(
    tmp_path_factory, operations
):
    """Whatever the person did and wherever syncs were cut (before or after the server stored
    a batch), one clean sync leaves the server holding exactly what the agent would share."""
    store = Store(tmp_path_factory.mktemp("ops") / "a.sqlite3")
    store.create_bucket("win", type="currentwindow", client="t", hostname="h")
    store.insert(
        "win",
        [
            (
                None,
                BASE + i * 300 * US,
                300 * US,
                {"app": ["Code", "Slack"][i % 2], "title": f"t{i % 3}"},
            )
            for i in range(24)
        ],
    )
    local = Local(store)
    server = ModelServer(allow_apps=True, allow_titles=True)
    share_titles = False
    try:
        for op, value in operations:
            if op == "exclude_app":
                local.add_rule("exclude_app", pattern=value)
            elif op == "relabel":
                local.add_rule("relabel", field="app", pattern="slack", category=value)
            elif op in ("exclude_range", "delete"):
                lo = BASE + value * 60 * US
                if op == "delete":
                    local.delete_events(lo, lo + 7 * 60 * US)
                else:
                    local.add_rule("exclude_range", start=lo, end=lo + 7 * 60 * US)
            elif op == "remove":
                rules = local.rules()
                if rules:
                    local.remove_rule(rules[value % len(rules)].id)
            elif op == "share":
                share_titles = value
            else:
                server.requests = 0
                server.fail_at, server.stored_before_failing = value or None, value % 2 == 0
                with contextlib.suppress(SyncFailed):
                    sync(
                        local,
                        server,
                        now=NOW,
                        share_apps=True,
                        share_titles=share_titles,
                        say=lambda _: None,
                        batch=3,
                    )
        server.fail_at = None
        sync(local, server, now=NOW, share_apps=True, share_titles=share_titles, say=lambda _: None)
        wanted = slots(
            local.pieces(BASE, NOW), local.curation(), share_apps=True, share_titles=share_titles
        )
        held = {k: v for k, v in server.slots.items() if v != (0, 0)}
        assert held == {
            (fmt_ts(k[0]).replace("+00:00", "Z"), k[1], k[2], k[3]): v for k, v in wanted.items()
        }
    finally:
        store.close()
