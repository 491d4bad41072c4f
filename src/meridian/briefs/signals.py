"""A brief's attached files leave storage with their rows, however those rows are deleted.

A file link is taken off by ``services.link_remove``, but a brief, or a whole workspace, is
also deleted by cascade (an operator, the admin site, a future service), and Django deletes
rows without ever touching a FileField's file. This receiver removes the stored file once the
deletion has committed, so a rolled-back deletion keeps its file.
"""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from meridian.briefs.models import BriefLink


@receiver(post_delete, sender=BriefLink, dispatch_uid="briefs.link_file_delete")
def link_file_delete(
    sender: type[BriefLink], instance: BriefLink, using: str, **kwargs: object
) -> None:
    """Remove a deleted file link's stored file after the deletion commits."""
    stored = instance.file.name if instance.file else ""
    if stored:
        transaction.on_commit(lambda: default_storage.delete(stored), using=using)
