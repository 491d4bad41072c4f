"""Pure parts of the recordings area: watch ranges, byte ranges, WebVTT, time codes."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from meridian.core.errors import size_label
from meridian.recordings import media
from meridian.recordings.captions import BadCaptions, Cue, parse_vtt, write_vtt
from meridian.recordings.progress import covered, merge_ranges, watched_fraction
from meridian.recordings.serving import Unsatisfiable, parse_range
from meridian.recordings.templatetags.recording_tags import timecode, timeline_x

seconds = st.floats(min_value=0, max_value=3600, allow_nan=False)
ranges = st.lists(st.tuples(seconds, seconds).map(sorted), max_size=30)


@given(ranges)
def test_merged_ranges_are_sorted_disjoint_and_cover_the_same_time(raw):
    merged = merge_ranges(raw, join=0.0)

    assert all(a < b for a, b in merged)
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))
    assert covered(merged) == pytest.approx(covered(raw))
    assert merge_ranges(merged, join=0.0) == merged


@given(ranges, st.floats(min_value=0.1, max_value=3600))
def test_the_watched_fraction_stays_between_zero_and_one(raw, duration):
    assert 0.0 <= watched_fraction(raw, duration) <= 1.0


@given(ranges, ranges, st.floats(min_value=0.1, max_value=3600))
def test_watching_more_never_lowers_the_fraction(before, more, duration):
    assert watched_fraction(before + more, duration) >= watched_fraction(before, duration)


def test_watching_to_within_a_second_of_the_end_counts_as_all_of_it():
    assert watched_fraction([[0, 59.5]], 60) == 1.0
    assert watched_fraction([[0, 30]], 60) == 0.5
    assert watched_fraction([[0, 30]], None) == 0.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=900-", (900, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=5-1", None),
        ("bytes=0-1,5-9", None),
        ("items=0-1", None),
    ],
)
def test_range_headers_are_read_as_rfc_9110_says(header, expected):
    assert parse_range(header, 1000) == expected


def test_a_range_past_the_end_is_unsatisfiable():
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=1000-", 1000)


cue_text = (
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1)
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: bool(t) and "-->" not in t)
)


@given(st.lists(st.tuples(seconds, cue_text), min_size=1, max_size=20))
def test_cues_written_as_webvtt_read_back_the_same(raw):
    cues = [Cue(start=round(s, 3), end=round(s, 3) + 1, text=t) for s, t in raw]

    back = parse_vtt(write_vtt(cues))

    assert [(c.start, c.end, c.text) for c in back] == [
        (pytest.approx(c.start, abs=0.001), pytest.approx(c.end, abs=0.001), c.text) for c in cues
    ]


def test_cue_markup_is_dropped_and_entities_decoded():
    cues = parse_vtt(
        "WEBVTT\n\n00:00:01.500 --> 00:00:02.000\n<v Ada>Hi <script>alert(1)</script> &lt;b&gt;\n"
    )

    assert cues == [Cue(start=1.5, end=2.0, text="Hi alert(1) <b>")]


@pytest.mark.parametrize("text", ["", "<html></html>", "WEBVTT\n\n", "WEBVTT\n\nnot a cue\n"])
def test_text_that_is_not_webvtt_with_cues_is_refused(text):
    with pytest.raises(BadCaptions):
        parse_vtt(text)


def test_time_codes_and_timeline_positions():
    assert [timecode(s) for s in (0, 5.9, 65, 3723)] == ["0:00", "0:05", "1:05", "1:02:03"]
    assert timeline_x(30, 60) == "500.0"
    assert timeline_x(30, None) == ""


def test_sizes_read_as_people_say_them():
    assert [size_label(n) for n in (900, 1536, 2 * 1024**3)] == ["900 bytes", "1.5 KiB", "2 GiB"]


def video(width: int, height: int, duration: float, codec: str = "h264") -> media.Probe:
    """What ffprobe reports for H.264 in Matroska (which browsers do not play as it is)."""
    return media.Probe(
        container="matroska,webm", extension=".mkv", content_type="video/x-matroska",
        kind="video", duration=duration, width=width, height=height, video_codec=codec,
    )  # fmt: skip


sizes = st.integers(min_value=16, max_value=8192)
lengths = st.floats(min_value=0.5, max_value=6 * 3600, allow_nan=False)


@given(sizes, sizes, st.floats(min_value=1.001, max_value=50))
def test_a_transcode_costing_more_than_1080p_for_an_hour_is_refused(w, h, over):
    # Drawn over the budget rather than filtered to it: most random sizes and lengths fall
    # within it, and Hypothesis gives up on a test that throws most of its inputs away.
    seconds = 1920 * 1080 * 3600 * over / (w * h)

    with pytest.raises(media.TooCostly, match=f"{w}×{h} video"):
        media.refuse_costly(video(w, h, seconds))


@given(sizes, sizes, lengths)
def test_a_transcode_within_1080p_for_an_hour_is_accepted(w, h, seconds):
    assume(w * h * seconds <= 1920 * 1080 * 3600)

    media.refuse_costly(video(w, h, seconds))  # raises nothing


@given(sizes, sizes, lengths)
def test_a_file_that_plays_as_it_is_is_never_refused_for_its_size(w, h, seconds):
    playable = media.Probe(
        container="matroska,webm", extension=".webm", content_type="video/webm", kind="video",
        duration=seconds, width=w, height=h, video_codec="vp9",
    )  # fmt: skip

    media.refuse_costly(playable)


@given(sizes, sizes, lengths, lengths)
def test_ffmpeg_limits_grow_with_the_input_and_stay_bounded(w, h, shorter, longer):
    shorter, longer = sorted((shorter, longer))

    assert media.transcode_seconds(video(w, h, shorter)) <= media.transcode_seconds(
        video(w, h, longer)
    )
    assert (
        media.TRANSCODE_SECONDS_MIN
        <= media.transcode_seconds(video(w, h, longer))
        <= media.TRANSCODE_SECONDS_MAX
    )
    assert media.ffmpeg_memory(video(w, h, 1)) <= media.ffmpeg_memory(video(w + 16, h, 1))
    assert media.ffmpeg_memory(video(8192, 8192, 1)) < 4 * 1024**3


def test_an_hour_of_1080p_may_take_at_most_the_hour_cap_and_a_minute_of_720p_six_minutes():
    assert media.transcode_seconds(video(1920, 1080, 3600)) == media.TRANSCODE_SECONDS_MAX
    assert media.transcode_seconds(video(1280, 720, 60)) == 120 + 4 * 60
