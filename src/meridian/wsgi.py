"""The WSGI application that granian serves."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meridian.settings")
application = get_wsgi_application()
# The URLconf (every view and the API's routers and schemas) is otherwise loaded by the first
# request, after the freeze below: loaded now, it is frozen with the rest.
get_resolver().url_patterns  # noqa: B018

# Everything loaded so far (Django, the apps, the URL and template machinery) lives as long as
# the process: move it out of the collector's sight, so that a full collection during a request
# walks only what requests made, not the whole framework (the long tail of page times; a
# 5,000-slot sync, whose objects set off full collections, spent a fifth of its CPU in them
# while the URLconf was left out).
gc.freeze()
