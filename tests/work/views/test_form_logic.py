"""The pure parts of the work forms: criteria as text and back, tags, the workflow editor's rows."""

import re

from hypothesis import given
from hypothesis import strategies as st

from meridian.work.forms import criteria_parse, criteria_text, tags_parse, workflow_rows

# A criterion as a person writes it: no line breaks, not blank, not starting with a checkbox.
criterion = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda t: t and not t.lower().startswith(("[x]", "[ ]")))
)


@given(st.lists(st.tuples(criterion, st.booleans()), max_size=12))
def test_criteria_survive_the_round_trip_through_the_form(items):
    criteria = [{"text": text, "done": done} for text, done in items]
    assert criteria_parse(criteria_text(criteria)) == criteria


def test_criteria_text_reads_checkboxes_and_drops_blank_lines():
    assert criteria_parse("[x] Copy\n\n[ ] Images\n  [X]   Fonts  \n") == [
        {"text": "Copy", "done": True},
        {"text": "Images", "done": False},
        {"text": "Fonts", "done": True},
    ]


def test_tags_are_split_trimmed_and_kept_once_in_order():
    assert tags_parse(" launch, blog ,,launch\nweb ") == ["launch", "blog", "web"]


@given(st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=15))
def test_new_statuses_get_unique_keys_in_the_order_given(labels):
    data = {"wf-count": str(len(labels))}
    for n, label in enumerate(labels):
        data |= {f"wf-{n}-key": "", f"wf-{n}-label": label, f"wf-{n}-order": str(n + 1)}
    rows = workflow_rows(data, [])
    keys = [row["key"] for row in rows]
    assert len(set(keys)) == len(keys) == len(labels)
    assert [row["label"] for row in rows] == [label.strip()[:50] for label in labels]
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,29}", key) for key in keys)  # as services want


def test_rows_are_ordered_by_their_numbers_and_blank_names_are_dropped():
    data = {
        "wf-count": "3",
        "wf-0-key": "todo", "wf-0-label": "To do", "wf-0-order": "2", "wf-0-category": "open",
        "wf-1-key": "done", "wf-1-label": "", "wf-1-order": "3", "wf-1-category": "done",
        "wf-2-key": "", "wf-2-label": "Ideas", "wf-2-order": "1", "wf-2-category": "open",
    }  # fmt: skip
    assert workflow_rows(data, []) == [
        {"key": "ideas", "label": "Ideas", "category": "open"},
        {"key": "todo", "label": "To do", "category": "open"},
    ]
