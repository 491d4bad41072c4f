"""query2 parsing and evaluation in process (aw_query/query2.py, aw_query/functions.py)."""

import json

import pytest

from meridian.agent import query2
from meridian.agent.events import US, dumps, parse_ts
from meridian.agent.store import Store

DAY_START = parse_ts("2026-12-05T00:00:00+00:00")
DAY_END = parse_ts("2026-12-06T00:00:00+00:00")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "agent.sqlite3")
    store.create_bucket("aw-watcher-window_host", type="currentwindow", client="c", hostname="host")
    store.create_bucket(
        "aw-watcher-web-firefox", type="web.tab.current", client="c", hostname="host"
    )
    store.insert(
        "aw-watcher-window_host",
        [
            (None, parse_ts("2026-12-05T09:00:00Z"), 60 * US, {"app": "Code", "title": "a.py"}),
            (None, parse_ts("2026-12-05T09:01:00Z"), 30 * US, {"app": "Firefox", "title": "Docs"}),
            (None, parse_ts("2026-12-05T09:01:30Z"), 90 * US, {"app": "Code", "title": "b.py"}),
            (None, parse_ts("2026-12-04T09:00:00Z"), 60 * US, {"app": "Code", "title": "old"}),
        ],
    )
    store.insert(
        "aw-watcher-web-firefox",
        [
            (
                None,
                parse_ts("2026-12-05T09:01:00Z"),
                30 * US,
                {"url": "https://www.example.com/docs", "title": "Docs", "audible": False},
            )
        ],
    )
    yield store
    store.close()


def run(store, text):
    return json.loads(dumps(query2.run(store, text, DAY_START, DAY_END)))


def test_values_lists_dicts_and_strings_with_escapes(store):
    result = run(
        store,
        """a = 1; b = [a, 2.5, "x;y", 'it\\'s', "\\w+"]; c = {"k": b, 'n': true};
        RETURN = c;""",
    )

    # A backslash escapes only the quote (aw-core's QString), so regexes pass through.
    assert result == {"k": [1, 2.5, "x;y", "it's", "\\w+"], "n": True}


def test_query_bucket_reads_only_the_period_and_find_bucket_matches_a_prefix(store):
    result = run(
        store,
        'events = query_bucket(find_bucket("aw-watcher-window_")); RETURN = events;',
    )

    # Newest first, as aw-server's storage answers; yesterday's event is outside the period.
    assert [e["data"]["title"] for e in result] == ["b.py", "Docs", "a.py"]
    assert all(isinstance(e["id"], int) for e in result)


def test_filters_merge_sort_limit_and_sum(store):
    result = run(
        store,
        """e = query_bucket("aw-watcher-window_host");
        code = filter_keyvals(e, "app", ["Code"]);
        notcode = exclude_keyvals(e, "app", ["Code"]);
        py = filter_keyvals_regex(e, "title", "\\.py$");
        apps = sort_by_duration(merge_events_by_keys(e, ["app"]));
        RETURN = {"code": sum_durations(code), "notcode": sum_durations(notcode),
                  "py": sum_durations(py), "apps": limit_events(apps, 1),
                  "count": query_bucket_eventcount("aw-watcher-window_host"),
                  "sorted": sort_by_timestamp(e)};""",
    )

    assert result["code"] == 150.0
    assert result["notcode"] == 30.0
    assert result["py"] == 150.0
    assert [(a["data"], a["duration"], a["id"]) for a in result["apps"]] == [
        ({"app": "Code"}, 150.0, None)
    ]
    assert result["count"] == 3
    assert [e["data"]["title"] for e in result["sorted"]] == ["a.py", "Docs", "b.py"]


def test_browser_part_of_the_desktop_query(store):
    result = run(
        store,
        """events = query_bucket("aw-watcher-window_host");
        web = flood(query_bucket("aw-watcher-web-firefox"));
        ff = filter_keyvals(events, "app", ["Firefox"]);
        web = split_url_events(filter_period_intersect(web, ff));
        RETURN = sort_by_duration(merge_events_by_keys(web, ["$domain"]));""",
    )

    assert [(e["data"], e["duration"]) for e in result] == [({"$domain": "example.com"}, 30.0)]


def test_union_concat_and_tag(store):
    result = run(
        store,
        """e = query_bucket("aw-watcher-window_host");
        u = period_union(e, []);
        t = tag(e, [["python", {"type": "regex", "regex": "\\.py"}],
                    ["reading", {"type": "regex", "regex": "Docs"}]]);
        RETURN = {"union": u, "n": sum_durations(concat(e, e)),
                  "tags": sort_by_timestamp(t), "nu": union_no_overlap(e, [])};""",
    )

    assert [(u["timestamp"], u["duration"], u["data"]) for u in result["union"]] == [
        ("2026-12-05T09:00:00+00:00", 180.0, {})
    ]
    assert result["n"] == 360.0
    assert [x["data"]["$tags"] for x in result["tags"]] == [["python"], ["reading"], ["python"]]
    assert len(result["nu"]) == 3


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("RETURN = nothing;", "QueryInterpretException", "variable 'nothing' which is not defined"),
        ("RETURN = nope();", "QueryInterpretException", "function 'nope' which doesn't exist"),
        ("RETURN = flood();", "QueryInterpretException", "invalid amount of arguments"),
        ('RETURN = limit_events([], "x");', "QueryFunctionException", "invalid type"),
        ('RETURN = find_bucket("zzz");', "QueryFunctionException", "Unable to find bucket"),
        ("x = 1;", "QueryParseException", "doesn't assign the RETURN variable"),
        ('RETURN = "unclosed;', "QueryParseException", "Failed to parse string"),
        ("RETURN = [1, 2", "QueryParseException", ""),
        ("1 = 2;", "QueryParseException", "non-variable"),
    ],
)
def test_errors_name_their_kind(store, text, kind, message):
    with pytest.raises(query2.QueryException) as caught:
        query2.run(store, text, DAY_START, DAY_END)

    assert type(caught.value).__name__ == kind
    assert message in str(caught.value)


def test_the_answer_cache_holds_at_most_its_bytes_and_keeps_answering_alike(store, monkeypatch):
    from meridian.agent import server

    monkeypatch.setattr(server, "QUERY_CACHE_BYTES", 600)
    agent = server.Agent(store, testing=True, port=5666)
    days = [f"2026-12-0{day}T00:00:00+00:00/2026-12-0{day + 1}T00:00:00+00:00" for day in (4, 5)]
    bodies = [
        {"timeperiods": [period], "query": [f'RETURN = query_bucket("{bucket}");']}
        for period in days
        for bucket in ("aw-watcher-window_host", "aw-watcher-web-firefox")
    ]

    first = [agent.query(body, "") for body in bodies * 2]
    again = [agent.query(body, "") for body in bodies]

    assert again == first[:4] == first[4:]
    assert agent.cache_bytes == sum(len(entry[0]) for entry in agent.cache.values()) <= 600
    assert 0 < len(agent.cache) < len(bodies)


def test_a_query_asked_again_is_parsed_once_and_answers_with_fresh_values(store, monkeypatch):
    calls = []
    parse = query2.parse
    monkeypatch.setattr(query2, "parse", lambda text: calls.append(text) or parse(text))
    text = """x = [1, "parsed once"]; d = {"k": x, "events": query_bucket("aw-watcher-window_host")};
    RETURN = d;"""

    first = query2.run(store, text, DAY_START, DAY_END)
    first["k"].append("changed by the caller")
    first["events"].clear()
    second = query2.run(store, text, DAY_START, DAY_END)

    assert len(calls) == 1
    assert second["k"] == [1, "parsed once"]
    assert len(second["events"]) == 3
