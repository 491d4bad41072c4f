"""What the recordings area plugs into the others: the player and its button on a brief's page,
what a brief knows of its recording, a recording for the demo, transcripts in search, and the
abandoned-upload job."""

from meridian.briefs.demo import DEMO_RECORDING
from meridian.briefs.selectors import BRIEF_MEDIA, BriefMedia
from meridian.core import registry
from meridian.core.scheduler import Job
from meridian.recordings import schedule, search
from meridian.recordings.demo import demo_recording_made
from meridian.recordings.selectors import (
    brief_player_panel,
    brief_recording_latest,
    brief_recording_processing,
    brief_recording_watched,
)
from meridian.search.registry import Kind

registry.panel(
    registry.Panel(
        point="brief.detail",
        template="recordings/_brief_player.html",
        context=brief_player_panel,
        order=10,
    )
)
registry.panel(
    registry.Panel(point="brief.author_actions", template="recordings/_brief_actions.html")
)
registry.register(
    BRIEF_MEDIA,
    BriefMedia(
        latest=brief_recording_latest,
        watched=brief_recording_watched,
        processing=brief_recording_processing,
        reindex=search.brief_transcripts_index,
    ),
)
registry.register(DEMO_RECORDING, demo_recording_made)
registry.register(
    registry.SEARCH_DOCUMENTS,
    Kind("transcript", "Transcript", "Transcripts", search.transcript_documents),
)

registry.register(registry.SCHEDULED_JOBS, Job("upload.abandoned", schedule.uploads_abandoned))
