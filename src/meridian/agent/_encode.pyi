from collections.abc import Callable
from typing import Any

def events(
    events: list[Any],
    ev_type: type,
    cache: dict[int, tuple[Any, str]],
    encode: Callable[[Any], str],
    /,
) -> str | None: ...
