"""The agent's own page and the curation commands, on the real `meridian agent` process.

The person's zone here is Asia/Kathmandu (UTC+05:45), so a day's bounds and the times shown
are visibly not UTC's.
"""

import http.client
import json
import re
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from .conftest import SRC, AgentProcess

ZONE = "Asia/Kathmandu"
DAY = "2026-12-03"
# 09:00 in Kathmandu is 03:15 UTC.
WINDOWS = [
    ("2026-12-03T03:15:00Z", 1800, {"app": "Code", "title": "main.py"}),
    ("2026-12-03T03:45:00Z", 900, {"app": "Slack", "title": "<script>alert(1)</script>"}),
    ("2026-12-03T04:00:00Z", 900, {"app": "Firefox", "title": "Bank & <b>statement</b>"}),
]
AFK = [
    ("2026-12-03T03:15:00Z", 3000, {"status": "not-afk"}),
    ("2026-12-03T04:05:00Z", 600, {"status": "afk"}),
]


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    import os

    before = os.environ.get("TZ")
    os.environ["TZ"] = ZONE
    try:
        running = AgentProcess(tmp_path_factory.mktemp("page"))
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
    for bucket, kind, events in (("win", "currentwindow", WINDOWS), ("afk", "afkstatus", AFK)):
        running.request(
            "POST", f"/api/0/buckets/{bucket}", {"client": "t", "type": kind, "hostname": "h"}
        )
        body = [{"timestamp": t, "duration": d, "data": data} for t, d, data in events]
        assert running.request("POST", f"/api/0/buckets/{bucket}/events", body)[0] == 200
    yield running
    running.stop()


def fetch(agent, method, path, form=None, host=None, origin=None):
    conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if host:
            headers["Host"] = host
        if origin:
            headers["Origin"] = origin
        body = urlencode(form).encode() if form is not None else None
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        status, got, text = answer.status, dict(answer.getheaders()), answer.read().decode()
    finally:
        conn.close()
    if status == 303:  # a form done: the page it redirects to says what happened, once
        again = fetch(agent, "GET", got["Location"])
        assert fetch(agent, "GET", got["Location"])[2].count('role="status"') == 0
        return again
    return status, got, text


def token_of(html):
    return re.search(r'name="token" value="([^"]+)"', html)[1]


def cli(agent, *args):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "meridian.cli",
            "agent",
            *args,
            "--testing",
            "--dir",
            str(agent.directory),
            "--zone",
            ZONE,
        ],
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_page_shows_the_day_in_the_persons_zone_with_everything_escaped(agent):
    status, headers, html = fetch(agent, "GET", f"/?day={DAY}")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none': no JS
    assert "Thursday 03 December 2026" in html and f"<strong>{ZONE}</strong>" in html
    # Active: 50 minutes of windows while not AFK; away: the 10 minutes after 09:50.
    assert "<dt>Active</dt><dd>50 min</dd>" in html
    assert "<dt>Away (AFK)</dt><dd>10 min</dd>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Bank &amp; &lt;b&gt;statement&lt;/b&gt;" in html
    # The timeline says when, in the person's zone: 09:00 to 10:00 Kathmandu time.
    assert 'aria-label="Activity from 09:00 to 10:00' in html
    assert "<td>Coding</td>" in html and "<td>Communication</td>" in html
    assert fetch(agent, "GET", "/static/agent.css")[0] == 200


def test_another_host_name_or_a_form_without_the_token_is_refused(agent):
    assert fetch(agent, "GET", "/", host="evil.example:80")[0] == 403
    form = {"action": "exclude_app", "app": "Code", "day": DAY, "token": "guess"}
    status, _, body = fetch(agent, "POST", "/curation", form)
    assert status == 403 and "reload the page" in body
    # Another site's page posting a form to the agent, even with the token, is refused.
    form["token"] = token_of(fetch(agent, "GET", f"/?day={DAY}")[2])
    assert fetch(agent, "POST", "/curation", form, origin="http://evil.example")[0] == 403
    assert "Excluded from sharing</dt><dd>0 s" in fetch(agent, "GET", f"/?day={DAY}")[2]
    assert json.loads(fetch(agent, "GET", "/api/0/settings")[2]) == {}  # the API still answers


def test_excluding_relabelling_and_deleting_from_the_page(agent):
    token = token_of(fetch(agent, "GET", f"/?day={DAY}")[2])
    base = {"token": token, "day": DAY}
    status, _, html = fetch(
        agent, "POST", "/curation", {**base, "action": "exclude_app", "app": "Slack"}
    )
    assert status == 200 and "“Slack” is excluded from sharing." in html
    assert "<dt>Excluded from sharing</dt><dd>15 min</dd>" in html
    form = {**base, "action": "relabel", "field": "app", "pattern": "(", "category": "X"}
    status, _, html = fetch(agent, "POST", "/curation", form)
    assert status == 400 and 'role="alert">The pattern is not a regular expression' in html
    form = {
        **base,
        "action": "relabel",
        "field": "app",
        "pattern": "^code$",
        "category": "Deep <work>",
    }
    status, _, html = fetch(agent, "POST", "/curation", form)
    assert status == 200 and "<td>Deep &lt;work&gt;</td>" in html
    form = {**base, "action": "exclude_range", "from": "09:55", "to": "09:50"}
    status, _, html = fetch(agent, "POST", "/curation", form)
    assert status == 400 and "the end must come after the start" in html
    form = {**base, "action": "delete_window", "app": "Firefox"}
    status, _, html = fetch(agent, "POST", "/curation", form)
    assert status == 200 and "Deleted 1 events of “Firefox”" in html
    assert "Bank &amp;" not in html
    code, out = cli(agent, "rules")
    assert (
        code == 0 and "exclude app 'Slack'" in out and "relabel app '^code$' → Deep <work>" in out
    )


def test_the_commands_show_and_curate_the_same_day(agent):
    code, out = cli(agent, "day", DAY)
    assert code == 0, out
    assert f"times in {ZONE}" in out and "from 09:00 to" in out
    active_before = re.search(r"active (\d+) min", out)[1]
    code, out = cli(agent, "exclude", "range", DAY, "09:00", "09:10")
    assert code == 0 and f"{DAY} 09:00 to 09:10 {ZONE} is excluded" in out
    rule = re.search(r"rule (\d+)", out)[1]
    code, out = cli(agent, "day", DAY)
    # The excluded ten minutes are shown as such, no longer as active time.
    assert int(re.search(r"active (\d+) min", out)[1]) == int(active_before) - 10
    assert int(re.search(r"excluded from sharing (\d+) min", out)[1]) >= 10
    assert cli(agent, "rules", "--remove", rule)[0] == 0
    assert f"active {active_before} min" in cli(agent, "day", DAY)[1]
    code, out = cli(agent, "exclude", "title", "(")
    assert code == 1 and "not a regular expression" in out
    code, out = cli(agent, "day", "3 December")
    assert code == 1 and "is not a day" in out
