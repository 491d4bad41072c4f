"""Helpers shared by every area's tests."""

from django.conf import settings

# Tasks run at once, in the test's own thread; every queue Meridian uses is valid (mail goes to
# "default", recordings to "media"), so a test that reaches any task does not fail on its queue.
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": list(settings.TASK_QUEUES),
    }
}
