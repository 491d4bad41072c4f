"""A recording's files, and an unfinished upload's partial file, leave with their rows.

``services.recording_delete`` removes a recording's files itself, but a brief or a workspace
deleted by cascade takes its recordings and uploads with it, and Django never deletes the
files behind a FileField (nor knows of an upload's partial file), nor the search documents of
their transcripts. These receivers remove them
once the deletion has committed, so a rolled-back deletion keeps them. Deleting a file that
is already gone is no error, so the service's own removal and this one do not collide.
"""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from meridian.recordings.models import Recording, Upload


@receiver(post_delete, sender=Recording, dispatch_uid="recordings.recording_files_delete")
def recording_files_delete(
    sender: type[Recording], instance: Recording, using: str, **kwargs: object
) -> None:
    """Remove a deleted recording's original, playable copy and thumbnail after commit."""
    names = [str(f.name) for f in (instance.original, instance.playable, instance.thumbnail) if f]

    def remove() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(remove, using=using)


@receiver(pre_delete, sender=Recording, dispatch_uid="recordings.recording_cues_unindex")
def recording_cues_unindex(
    sender: type[Recording], instance: Recording, using: str, **kwargs: object
) -> None:
    """Take a recording's transcript and captions out of search as it is deleted (also when its
    brief or workspace is, by cascade); the deletion's transaction undoes it if rolled back."""
    from meridian.recordings.models import CaptionCue
    from meridian.recordings.search import cues_search_remove

    cues_search_remove(
        CaptionCue.objects.filter(caption__recording=instance).values_list("pk", flat=True)
    )


@receiver(post_delete, sender=Upload, dispatch_uid="recordings.upload_partial_delete")
def upload_partial_delete(
    sender: type[Upload], instance: Upload, using: str, **kwargs: object
) -> None:
    """Remove a deleted upload's partial file (the bytes received so far) after commit."""
    from meridian.recordings.services import partial_path

    path = partial_path(instance)
    transaction.on_commit(lambda: path.unlink(missing_ok=True), using=using)
