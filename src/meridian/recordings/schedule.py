"""Time-based work of the recordings area: unfinished uploads do not pile up on disk."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings

from meridian.core.scheduler import Occurrence, run_key
from meridian.recordings.models import Upload, UploadStatus
from meridian.recordings.services import upload_abandon

# At most this many abandoned uploads are removed per tick; the next tick continues.
BATCH = 200


def uploads_abandoned(now: datetime) -> Iterator[Occurrence]:
    """Each unfinished upload quiet for longer than UPLOAD_ABANDON_HOURS is removed, once.

    Removal checks again, under the upload's file lock, that it is still quiet.
    """
    before = now - timedelta(hours=settings.UPLOAD_ABANDON_HOURS)
    quiet = Upload.objects.filter(
        updated_at__lt=before,
        status__in=[UploadStatus.RECEIVING, UploadStatus.FINISHING, UploadStatus.REJECTED],
    ).select_related("workspace")
    for upload in quiet.order_by("updated_at", "pk")[:BATCH]:
        yield Occurrence(
            run_key("upload.abandoned", upload.pk),
            partial(upload_abandon, upload=upload, before=before),
        )
