"""The WSGI application that granian serves."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meridian.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URL and template machinery) lives as long as
# the process: move it out of the collector's sight, so that a full collection during a request
# walks only what requests made, not the whole framework (the long tail of page times).
gc.freeze()
