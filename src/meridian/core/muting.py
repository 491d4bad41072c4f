"""``muted()``: write through the services without telling anyone (the demo, benchmark data).

It lives in core so that the layer that seeds the demo (workspaces) can mute the
notifications layer above it without importing it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_muted: ContextVar[bool] = ContextVar("meridian_notify_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Tell nobody about what is written inside the block.

    Inbox items are still written: they are state ("this awaits you"), not a message.
    """
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    """Whether the current context is muted."""
    return _muted.get()
