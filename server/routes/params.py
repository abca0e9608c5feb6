"""Parameters shared by several endpoints: list pages, version numbers, and how integers are read."""

from __future__ import annotations

from typing import Annotated

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter, QueryParameter

from server.errors import FieldError, ProblemError
from server.wire import ascii_integer

LimitParam = Annotated[int, QueryParameter(ge=1, le=1000, description="page size (default 100, at most 1000)")]
CursorParam = Annotated[str | None, QueryParameter(max_length=200, description="the next_cursor of the previous page")]
# A checklist or policy version is 1..1,000,000 (checklists/model.py); a larger one cannot exist, and
# one past SQLite's 64-bit integers could not even be looked up. Its route declares it `{version:str}`:
# the router's own `:int` would read "٣" as 3 and " 1" or "1\n" as 1 before `ascii_integers` sees them.
VersionPath = Annotated[int, PathParameter(ge=1, le=1_000_000, description="a published version number")]


def ascii_integers(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The app-wide guard that an integer query or path parameter is written in ASCII digits only.

    Litestar reads them in msgspec's lax mode, which takes `limit=1e3` as 1000 and `10.0` as 10, and
    Python's `int()` takes "٣" as 3 and " 5" as 5. A client that sends those has a bug the server
    should name, not guess around: 400 `invalid_request` with the parameter's path.
    """
    errors = []
    for source, name in _integer_parameters(handler):
        if source == "path":
            raw = connection.path_params.get(name)
            values = [raw] if isinstance(raw, str) else []
        else:
            values = connection.query_params.getall(name, [])
        if any(ascii_integer(value) is None for value in values):
            errors.append(FieldError(path=f"{source}.{name}", message="expected an integer in ASCII digits (0-9)"))
    if errors:
        raise ProblemError(400, "invalid_request", "an integer parameter is not written in plain digits", errors)


# Worked out once per handler and kept in its `opt` (Litestar's per-handler dict), which lives as long
# as the handler; the OPTIONS handlers Litestar makes itself cannot be weakly referenced.
_INTEGER_PARAMETERS = "integer_parameters"


def _integer_parameters(handler: BaseRouteHandler) -> tuple[tuple[str, str], ...]:
    """(source, name) of each query and path parameter the handler reads as an integer."""
    known = handler.opt.get(_INTEGER_PARAMETERS)
    if known is None:
        known = handler.opt[_INTEGER_PARAMETERS] = _find_integer_parameters(handler)
    return known


def _find_integer_parameters(handler: BaseRouteHandler) -> tuple[tuple[str, str], ...]:
    path_names = {name for path in handler.paths for name in _path_parameter_names(path)}
    out = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        kinds = [t for t in field.inner_types if not t.is_none_type] if field.is_optional else [field]
        if not kinds or not all(k.is_subclass_of(int) and not k.is_subclass_of(bool) for k in kinds):
            continue
        if name in path_names:
            out.append(("path", name))
        elif isinstance(field.kwarg_definition, QueryParameter) or field.kwarg_definition is None:
            query = getattr(field.kwarg_definition, "query", None) or name
            out.append(("query", query))
    return tuple(out)


def _path_parameter_names(path: str) -> list[str]:
    return [part[1:-1].partition(":")[0] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
