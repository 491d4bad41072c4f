"""ActivityWatch's query2 language: ``name = expression;`` statements ending in ``RETURN``.

Expressions are strings ('…' or "…", where only a backslash before the quote is an escape,
as in aw-core's parser, so regexes like ``\\w`` pass through untouched), numbers, ``true``/
``false``, variables, lists, dicts with string keys and function calls. The functions and
their semantics are aw-core's (aw_query/functions.py over aw_transform).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from . import transforms as t
from .events import Duration, Ev, parse_ts
from .store import Store


class QueryException(Exception):
    pass


class QueryParseException(QueryException):
    pass


class QueryInterpretException(QueryException):
    pass


class QueryFunctionException(QueryException):
    pass


# Parsing ----------------------------------------------------------------------------------


def split_statements(query: str) -> list[str]:
    """Split on semicolons outside string literals."""
    statements = []
    current: list[str] = []
    quote = None
    previous = ""
    for char in query:
        if quote is None and char in "'\"" and previous != "\\":
            quote = char
        elif quote is not None and char == quote and previous != "\\":
            quote = None
        if char == ";" and quote is None:
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
        previous = char
    if current:
        statements.append("".join(current))
    return statements


class Node(ABC):
    __slots__ = ()

    @abstractmethod
    def eval(self, ctx: Context) -> Any:
        """The node's value in ``ctx`` (each kind of node says how)."""


class Const(Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def eval(self, ctx: Context) -> Any:
        return self.value


class Var(Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def eval(self, ctx: Context) -> Any:
        if self.name not in ctx.namespace:
            raise QueryInterpretException(
                f"Tried to reference variable '{self.name}' which is not defined"
            )
        return ctx.namespace[self.name]


class ListNode(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[Node]) -> None:
        self.items = items

    def eval(self, ctx: Context) -> Any:
        return [item.eval(ctx) for item in self.items]


class DictNode(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Node]]) -> None:
        self.items = items

    def eval(self, ctx: Context) -> Any:
        return {key: value.eval(ctx) for key, value in self.items}


class Call(Node):
    __slots__ = ("args", "name", "owned")

    def __init__(self, name: str, args: list[Node]) -> None:
        self.name = name
        self.args = args
        # flood(query_bucket(…)): the events just read are held by nothing else, so flood
        # may change them in place instead of copying them (the desktop query does this).
        self.owned = (
            name == "flood"
            and bool(args)
            and isinstance(args[0], Call)
            and args[0].name == "query_bucket"
        )

    def eval(self, ctx: Context) -> Any:
        spec = FUNCTIONS.get(self.name)
        if spec is None:
            raise QueryInterpretException(
                f"Tried to call function '{self.name}' which doesn't exist"
            )
        function, types = spec
        if self.owned and len(self.args) <= 2:
            # flood(query_bucket(name)): the read oldest first with its columns (flood_read);
            # anything unusual (a wrong type, a missing bucket) goes the general way below.
            inner = self.args[0]
            assert isinstance(inner, Call)
            names = [arg.eval(ctx) for arg in inner.args]
            if len(names) == 1 and isinstance(names[0], str) and ctx.store.has_bucket(names[0]):
                pulse = [arg.eval(ctx) for arg in self.args[1:]]
                for value in pulse:
                    _check_type(value, "float")
                evs, starts, durs = _query_bucket_oldest_first(ctx, names[0])
                return t.flood_read(evs, starts, durs, *pulse)
        args = [arg.eval(ctx) for arg in self.args]
        required = [kind for kind in types if not kind.endswith("?")]
        if not len(required) <= len(args) <= len(types):
            raise QueryInterpretException(
                f"Tried to call function {self.name} with invalid amount of arguments"
            )
        for value, kind in zip(args, types, strict=False):
            _check_type(value, kind.rstrip("?"))
        if self.owned:
            return t.flood(*args, owned=True)
        return function(ctx, *args)


_PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "list": list,
    "str": str,
    "int": int,
    "float": (int, float),
}


def _check_type(value: Any, kind: str) -> None:
    expected = _PY_TYPES.get(kind)
    if expected is not None and (not isinstance(value, expected) or isinstance(value, bool)):
        raise QueryFunctionException(
            f"Variable '{value}' passed to function call is of invalid type. "
            f"Expected {kind} but was {type(value).__name__}"
        )


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> QueryParseException:
        return QueryParseException(f"{message}: {self.text.strip()}")

    def skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"Syntax error, expected '{char}'")
        self.pos += 1

    def name(self) -> str:
        self.skip()
        start = self.pos
        text = self.text
        if self.pos < len(text) and (text[self.pos].isalpha() or text[self.pos] == "_"):
            self.pos += 1
            while self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] == "_"):
                self.pos += 1
        return text[start : self.pos]

    def statement(self) -> tuple[str, Node]:
        target = self.name()
        if not target:
            raise self.error("Cannot assign to a non-variable")
        if self.peek() != "=":
            raise self.error("Invalid syntax for assignment variable")
        self.pos += 1
        if not self.text[self.pos :].strip():
            raise QueryParseException("Nothing to assign")
        value = self.expression()
        if self.peek():
            raise self.error("Invalid syntax for value to assign")
        return target, value

    def expression(self) -> Node:
        char = self.peek()
        if char in ("'", '"'):
            return Const(self.string())
        if char.isdigit() or (char == "-" and self._next_is_digit()):
            return Const(self.number())
        if char == "[":
            self.pos += 1
            items: list[Node] = []
            while self.peek() != "]":
                if not self.peek():
                    raise self.error("List expected a value, got nothing")
                items.append(self.expression())
                if self.peek() == ",":
                    self.pos += 1
                elif self.peek() != "]":
                    raise self.error("Syntax error in list")
            self.pos += 1
            return ListNode(items)
        if char == "{":
            self.pos += 1
            pairs: list[tuple[str, Node]] = []
            while self.peek() != "}":
                if self.peek() not in ("'", '"'):
                    raise self.error("Key in dict is not a str")
                key = self.string()
                if self.peek() != ":":
                    raise self.error("Key in dict is not followed by a :")
                self.pos += 1
                if self.peek() in (",", "}", ""):
                    raise self.error("Dict expected a value, got nothing")
                pairs.append((key, self.expression()))
                if self.peek() == ",":
                    self.pos += 1
                elif self.peek() != "}":
                    raise self.error("Syntax error in dict")
            self.pos += 1
            return DictNode(pairs)
        identifier = self.name()
        if not identifier:
            raise self.error("Syntax error")
        if self.peek() == "(":
            self.pos += 1
            args: list[Node] = []
            while self.peek() != ")":
                if not self.peek():
                    raise self.error("Unclosed function call")
                args.append(self.expression())
                if self.peek() == ",":
                    self.pos += 1
                elif self.peek() != ")":
                    raise self.error("Syntax error in function call")
            self.pos += 1
            return Call(identifier, args)
        return Var(identifier)

    def _next_is_digit(self) -> bool:
        nxt = self.pos + 1
        return nxt < len(self.text) and self.text[nxt].isdigit()

    def number(self) -> int | float:
        start = self.pos
        text = self.text
        if text[self.pos] == "-":
            self.pos += 1
        while self.pos < len(text) and (text[self.pos].isdigit() or text[self.pos] == "."):
            self.pos += 1
        token = text[start : self.pos]
        try:
            return float(token) if "." in token else int(token)
        except ValueError:
            raise self.error(f"Invalid number {token}") from None

    def string(self) -> str:
        text = self.text
        quote = text[self.pos]
        pos = self.pos + 1
        previous = ""
        while pos < len(text):
            char = text[pos]
            if char == quote and previous != "\\":
                break
            previous = char
            pos += 1
        else:
            raise QueryParseException("Failed to parse string")
        raw = text[self.pos + 1 : pos]
        self.pos = pos + 1
        return raw.replace("\\" + quote, quote)


def parse(query: str) -> list[tuple[str, Node]]:
    return [Parser(s).statement() for s in split_statements(query) if s.strip()]


@lru_cache(maxsize=32)
def _parsed(query: str) -> tuple[tuple[str, Node], ...]:
    """:func:`parse`, kept for the last texts asked: the web UI and aw-client send the same
    query for each day (nodes are never changed by evaluation, so they may be shared)."""
    return tuple(parse(query))


# Evaluation -------------------------------------------------------------------------------


class Context:
    def __init__(self, store: Store, start: int, end: int, name: str = "") -> None:
        self.store = store
        self.start = start
        self.end = end
        self.namespace: dict[str, Any] = {
            "True": True,
            "False": False,
            "true": True,
            "false": False,
            "NAME": name,
        }
        # What the query read, so that a cached answer knows when it is stale.
        self.reads: list[tuple[str, int, int]] = []


def run(store: Store, query: str, start: int, end: int, name: str = "") -> Any:
    """Evaluate ``query`` for the period [start, end] and return its RETURN value."""
    return run_context(store, query, start, end, name)[0]


def run_context(
    store: Store, query: str, start: int, end: int, name: str = ""
) -> tuple[Any, Context]:
    """Like :func:`run`, also returning the context (which records what was read)."""
    statements = _parsed(query)
    ctx = Context(store, start, end, name)
    from .events import fmt_ts

    ctx.namespace["STARTTIME"] = fmt_ts(start)
    ctx.namespace["ENDTIME"] = fmt_ts(end)
    for target, node in statements:
        ctx.namespace[target] = node.eval(ctx)
    if "RETURN" not in ctx.namespace:
        raise QueryParseException("Query doesn't assign the RETURN variable, nothing to respond")
    return ctx.namespace["RETURN"], ctx


def parse_period(text: str) -> tuple[int, int]:
    parts = text.split("/")[:2]
    if len(parts) != 2:
        raise QueryParseException(f"Invalid timeperiod: {text}")
    try:
        return parse_ts(parts[0]), parse_ts(parts[1])
    except ValueError:
        raise QueryParseException(f"Invalid timeperiod: {text}") from None


# Functions --------------------------------------------------------------------------------


def _find_bucket(ctx: Context, filter_str: str, hostname: str | None = None) -> str:
    for bucket_id in ctx.store.bucket_ids():
        if filter_str in bucket_id:
            if hostname and ctx.store.bucket_metadata(bucket_id)["hostname"] != hostname:
                continue
            return bucket_id
    raise QueryFunctionException(
        f"Unable to find bucket matching '{filter_str}' (hostname filter set to '{hostname}')"
    )


def _bucket(ctx: Context, bucket_id: str) -> str:
    if not ctx.store.has_bucket(bucket_id):
        raise QueryFunctionException(f"There's no bucket named '{bucket_id}'")
    return bucket_id


def _window_end(ctx: Context) -> int:
    # aw-core rounds the end up to the next millisecond so nothing at the edge is missed.
    return ctx.end - ctx.end % 1000 + 1000


def _query_bucket(ctx: Context, bucket_id: str) -> list[Ev]:
    end = _window_end(ctx)
    ctx.reads.append((_bucket(ctx, bucket_id), ctx.start, end))
    return ctx.store.events(bucket_id, start=ctx.start, end=end)


def _query_bucket_oldest_first(
    ctx: Context, bucket_id: str
) -> tuple[list[Ev], list[int], list[int]]:
    end = _window_end(ctx)
    ctx.reads.append((bucket_id, ctx.start, end))
    return ctx.store.events_oldest_first(bucket_id, start=ctx.start, end=end)


def _query_bucket_eventcount(ctx: Context, bucket_id: str) -> int:
    end = _window_end(ctx)
    ctx.reads.append((_bucket(ctx, bucket_id), ctx.start, end))
    return ctx.store.count(bucket_id, start=ctx.start, end=end)


def _rules(classes: list[Any]) -> list[tuple[Any, t.Rule]]:
    try:
        return [(name, t.Rule(spec)) for name, spec in classes]
    except (ValueError, TypeError) as exc:
        raise QueryFunctionException(str(exc)) from None
    except Exception as exc:  # re.error
        raise QueryFunctionException(f"Invalid rule: {exc}") from None


def _events(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(ctx: Context, *args: Any) -> Any:
        return fn(*args)

    return call


FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "find_bucket": (_find_bucket, ("str", "str?")),
    "query_bucket": (_query_bucket, ("str",)),
    "query_bucket_eventcount": (_query_bucket_eventcount, ("str",)),
    "filter_keyvals": (_events(lambda e, k, v: t.filter_keyvals(e, k, v)), ("list", "str", "list")),
    "exclude_keyvals": (
        _events(lambda e, k, v: t.filter_keyvals(e, k, v, exclude=True)),
        ("list", "str", "list"),
    ),
    "filter_keyvals_regex": (_events(t.filter_keyvals_regex), ("list", "str", "str")),
    "filter_period_intersect": (_events(t.filter_period_intersect), ("list", "list")),
    "period_union": (_events(t.period_union), ("list", "list")),
    "union_no_overlap": (_events(t.union_no_overlap), ("list", "list")),
    "limit_events": (_events(t.limit_events), ("list", "int")),
    "merge_events_by_keys": (_events(t.merge_events_by_keys), ("list", "list")),
    "chunk_events_by_key": (_events(t.chunk_events_by_key), ("list", "str")),
    "sort_by_timestamp": (_events(t.sort_by_timestamp), ("list",)),
    "sort_by_duration": (_events(t.sort_by_duration), ("list",)),
    "sum_durations": (_events(t.sum_durations), ("list",)),
    "concat": (_events(t.concat), ("list", "list")),
    "flood": (_events(t.flood), ("list", "float?")),
    "split_url_events": (_events(t.split_url_events), ("list",)),
    "categorize": (_events(lambda e, c: t.categorize(e, _rules(c))), ("list", "list")),
    "tag": (_events(lambda e, c: t.tag(e, _rules(c))), ("list", "list")),
    "nop": (lambda ctx: 1, ()),
}

__all__ = ["Duration", "QueryException", "parse", "parse_period", "run"]
