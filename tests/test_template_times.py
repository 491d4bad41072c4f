"""No template formats a moment by itself: moments go through {% moment %}, in the reader's zone.

Django's ``|date`` on a datetime formats in the server's zone (UTC) without naming it, which is
how "Decided 5 December" reached a reader in Berlin on the 6th. ``tests/test_reader_zone.py``
catches a "UTC" left on a page; this catches the silent kind, where no zone is written at all.
Plain dates (``deadline_date``, ``review_date``, the date filters) and the machine-readable
``datetime`` attribute (``|date:'c'``, which carries its offset) are the allowed uses.
"""

import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "meridian"
TEMPLATES = sorted(SOURCE.rglob("templates/**/*.html"))
DATE_FILTER = re.compile(r"([\w.]+)\|date(?::\s*(['\"])(.*?)\2)?")
PLAIN_DATE = re.compile(r"(_date|_day|\.since|\.until|\.decided_from|\.decided_to)$")
MOMENT_FILTERS = re.compile(r"\|(time|timesince|timeuntil|naturaltime|naturalday)\b")


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_moments_are_rendered_in_the_readers_zone(path):
    text = path.read_text()
    for match in DATE_FILTER.finditer(text):
        subject, fmt = match.group(1), match.group(3)
        if fmt == "c" or PLAIN_DATE.search(subject):
            continue
        pytest.fail(
            f"{path.name}: {match.group(0)} formats a moment in the server's zone without "
            "naming it; use {% moment … %} (core/templatetags/moments.py)"
        )
    found = MOMENT_FILTERS.search(text)
    assert found is None, f"{path.name}: {found.group(0)}; use {{% moment %}} or {{% moment_ago %}}"
