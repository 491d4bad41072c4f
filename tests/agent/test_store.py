"""The store's bulk path: stored data texts and the write-ahead log's checkpoints."""

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.agent.store import Store, _data_text, _data_texts

# Values that are equal in Python but not in JSON (1, 1.0, True; 0.0 and -0.0) on purpose.
# The texts are keyed by repr: strings with quotes and escapes, NaN and infinities, nesting.
scalars = st.one_of(
    st.sampled_from([1, 1.0, True, 0, 0.0, -0.0, False, None, "1", "", "Code", "True", "'1'"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="a'\"\\\n é🙂{}:,", max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "1", "'"]), inner)
    ),
    max_leaves=6,
)
datas = st.dictionaries(st.sampled_from(["app", "title", "n", "url"]), values, max_size=3)


@given(st.lists(datas, max_size=30))
def test_each_data_is_stored_as_its_own_json_text(batch):
    assert _data_texts(batch) == [_data_text(d) for d in batch]
    # Twice: the second batch finds every text kept from the first.
    assert _data_texts(batch) == [_data_text(d) for d in batch]


def test_a_bulk_insert_reads_back_what_was_sent_with_equal_looking_data(tmp_path: Path):
    store = Store(tmp_path / "agent.sqlite3")
    store.create_bucket("b", type="t", client="c", hostname="h")
    sent = [{"n": 1}, {"n": True}, {"n": 1.0}, {"n": -0.0}, {"n": 0.0}, {"n": 1}]
    store.insert("b", [(None, i * 1_000_000, 1_000_000, d) for i, d in enumerate(sent)])
    texts = [row[2] for row in sorted(store.raw_events("b"))]
    assert texts == ['{"n":1}', '{"n":true}', '{"n":1.0}', '{"n":-0.0}', '{"n":0.0}', '{"n":1}']
    store.close()


def test_checkpoint_copies_the_log_into_the_database_file(tmp_path: Path):
    path = tmp_path / "agent.sqlite3"
    store = Store(path)
    store.create_bucket("b", type="t", client="c", hostname="h")
    store.insert("b", [(None, i * 1_000_000, 1, {"app": "Code"}) for i in range(5000)])
    # Writers leave the log alone below its limit: the checkpoint copies it back.
    assert (tmp_path / "agent.sqlite3-wal").stat().st_size > 0
    store.checkpoint()
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(path.read_bytes())  # the main file only, without the log
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM events").fetchone()[0] == 5000
    assert store.count("b") == 5000
    store.close()


@pytest.mark.parametrize("wal_index", [True, False])
def test_commits_by_another_connection_are_noticed_with_or_without_the_wal_index(
    tmp_path: Path, wal_index: bool
):
    # _outside_writes skips PRAGMA data_version while the WAL index's header is unchanged:
    # each commit elsewhere (the CLI's curation), even right after a checkpoint, must show.
    store = Store(tmp_path / "agent.sqlite3")
    if not wal_index:
        store._wal_index = None
    store.create_bucket("b", type="t", client="c", hostname="h")
    store.insert("b", [(None, i * 1_000_000, 1_000_000, {"n": i}) for i in range(6)])
    store.build_columns()
    other = sqlite3.connect(tmp_path / "agent.sqlite3", isolation_level=None)
    for n in range(3):
        assert store.count("b") == 6 - n
        assert len(store.events("b")) == 6 - n  # (read from the copy in memory)
        other.execute("DELETE FROM events WHERE id = (SELECT min(id) FROM events)")
        if n == 1:
            other.execute("PRAGMA wal_checkpoint(RESTART)")
        assert len(store.events("b")) == 5 - n
        store.build_columns()
    other.close()
    store.close()
