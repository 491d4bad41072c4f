from collections.abc import Callable
from typing import Any

def answer(
    value: Any, ev_type: type, duration_type: type, leaf: Callable[[Any], str], /
) -> bytes | None: ...
def events(
    events: list[Any],
    ev_type: type,
    cache: dict[int, tuple[Any, str]],
    encode: Callable[[Any], str],
    /,
) -> str | None: ...
def intersect_lasting(
    events: list[Any], filters: list[Any], ev_type: type, /
) -> list[Any] | None: ...
def merge_by_data(
    events: list[Any], ev_type: type, miss: Callable[[Any], Any], /
) -> bool | None: ...
def relabel(events: list[Any], ev_type: type, miss: Callable[[Any], Any], /) -> bool | None: ...
def flood_pass(
    events: list[Any], ev_type: type, pulse: int, ascending: int, /
) -> list[Any] | bool | None: ...
def filter_keyvals(
    events: list[Any], ev_type: type, key: str, values: list[Any], exclude: bool, /
) -> list[Any] | None: ...
def read_columns(
    ev_type: type,
    tss: Any,
    durs: Any,
    ids: Any,
    didx: Any,
    datas: list[Any],
    head: list[int],
    middle: int,
    high: int,
    start: int,
    end: int,
    longest: int,
    /,
) -> tuple[list[Any], list[int], list[int]] | None: ...
def head_fields[D: dict[str, str]](
    block: str, headers_type: type[D], limit: int, /
) -> D | None: ...
