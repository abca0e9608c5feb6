"""The one error shape: RFC 9457 problem+json with a stable `code` and field paths.

Every error the server answers, its own and Litestar's (404, 405, 413, validation, internal),
leaves through `problem_response`, so a client handles one shape. No traceback, SQL or file path
ever reaches a client: an unexpected exception is logged here and answered as `internal_error`.
"""

from __future__ import annotations

import errno
import logging
import re
import sqlite3

try:
    import psycopg
    import psycopg_pool
except ImportError:  # pragma: no cover - dependencies of the PostgreSQL store
    psycopg = psycopg_pool = None  # type: ignore[assignment]
from http import HTTPStatus

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from checklists.validate import Invalid, Problem
from server.services import services_of

log = logging.getLogger("tekseru")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One problem with one field of a request: `revisions[3].answers[0].value`."""

    path: str
    message: str


class ProblemBody(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise to answer a problem: `ProblemError(409, "version_exists", "...")`."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def not_found(what: str = "object") -> ProblemError:
    """The 404 for an object that does not exist or that the caller may not see."""
    return ProblemError(404, "not_found", f"no such {what}")


def invalid(problems: Invalid | list[Problem], code: str = "invalid", detail: str | None = None) -> ProblemError:
    """A 400 listing every problem of a document."""
    items = problems.problems if isinstance(problems, Invalid) else problems
    errors = [
        FieldError(path=p.path, message=p.message if p.line is None else f"line {p.line}: {p.message}") for p in items
    ]
    return ProblemError(400, code, detail or f"{len(errors)} problem(s) in the request", errors)


def problem_response(
    status: int, code: str, detail: str, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> Response[bytes]:
    """Build the problem+json response."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = ProblemBody(
        type=f"urn:tekseru:problem:{code}", title=title, status=status, detail=detail, code=code, errors=errors
    )
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


# What Litestar's `Request.stream()` raises when the client disconnects before its body ended.
_CLIENT_LEFT = "client disconnected prematurely"


def handle_problem(_: Request, exc: ProblemError) -> Response[bytes]:
    """Our own errors."""
    return problem_response(exc.status, exc.code, exc.detail, exc.errors, exc.headers)


def handle_http(request: Request, exc: HTTPException) -> Response[bytes]:
    """Litestar's own errors, in our shape."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        return problem_response(400, "invalid_request", _validation_detail(exc), _validation_errors(exc))
    if isinstance(exc, InternalServerException) and exc.detail == _CLIENT_LEFT:
        # Not a fault of the server: a tablet that lost its network mid-push, or a client the
        # server cut off for stalling. Nobody reads this answer.
        log.debug("the client went away during the body of %s %s", request.method, request.url.path)
        return problem_response(400, "client_disconnected", "the client closed the connection before its body ended")
    if status >= 500:
        return handle_unexpected(request, exc)
    code = _STATUS_CODES.get(status, "http_error")
    detail = exc.detail if status != 404 else "no such resource"
    if status == 400 and ("JSON is malformed" in detail or "truncated" in detail):
        code, detail = "malformed_json", f"the body is not valid JSON: {detail}"
    if status == 413:
        detail = "the request body is over the size limit"
    return problem_response(status, code, detail, headers=exc.headers)


def handle_recursion(request: Request, exc: RecursionError) -> Response[bytes]:
    """A body nested deeper than the decoders go: the client's document, not a server fault.

    msgspec (Litestar's JSON bodies, the push envelope) and tomllib (checklists and policies as
    TOML) give up on a document nested about a thousand levels deep with a RecursionError, and so
    does the canonical form of a decoded document. No request of the API nests more than a few
    levels, so such a body is refused like any other that is not of the right shape.
    """
    if not _from_client_nesting(exc):
        return handle_unexpected(request, exc)
    return problem_response(400, "nesting_too_deep", "the body is nested too deeply to be read")


# Where a RecursionError means "the client's document is nested too deeply": msgspec's decoders
# say so in their message; these pure-Python walkers of a decoded document are named by module.
_DOCUMENT_WALKERS = ("tomllib", "checklists/canonical.py")


def _from_client_nesting(exc: RecursionError) -> bool:
    if "while deserializing" in str(exc):
        return True
    tb = exc.__traceback__
    innermost = None
    while tb is not None:
        innermost = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return innermost is not None and any(w in innermost.replace("\\", "/") for w in _DOCUMENT_WALKERS)


# --- storage failures: a full disk or a store that cannot be written -------------------------------

INSUFFICIENT_STORAGE = "insufficient_storage"
STORE_UNAVAILABLE = "store_unavailable"
STORAGE_RETRY_AFTER_S = 30
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_UNAVAILABLE_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})
# SQLite's primary result codes (Python 3.11 gives the extended code in `sqlite_errorcode`; its low
# byte is the primary one): SQLITE_FULL, and SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN.
_SQLITE_FULL = 13
_SQLITE_UNAVAILABLE = frozenset({8, 10, 14})
# The same failures by message, for an error that arrives without its code.
_SQLITE_MESSAGES = (
    ("database or disk is full", INSUFFICIENT_STORAGE),
    ("attempt to write a readonly database", STORE_UNAVAILABLE),
    ("disk i/o error", STORE_UNAVAILABLE),
    ("unable to open database file", STORE_UNAVAILABLE),
)


def storage_failure(exc: BaseException | None) -> str | None:
    """`insufficient_storage` or `store_unavailable` when `exc` (or what caused it) is a storage failure.

    The one place that reads how the file system and SQLite say "full" or "cannot write".
    """
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno is not None:
            if exc.errno in _FULL_ERRNOS:
                return INSUFFICIENT_STORAGE
            if exc.errno in _UNAVAILABLE_ERRNOS:
                return STORE_UNAVAILABLE
        elif psycopg is not None and isinstance(exc, psycopg.Error):
            failure = _postgres_failure(exc)
            if failure is not None:
                return failure
        elif isinstance(exc, sqlite3.Error):
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None and code & 0xFF == _SQLITE_FULL:
                return INSUFFICIENT_STORAGE
            if code is not None and code & 0xFF in _SQLITE_UNAVAILABLE:
                return STORE_UNAVAILABLE
            message = str(exc).lower()
            for words, failure in _SQLITE_MESSAGES:
                if words in message:
                    return failure
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# PostgreSQL's SQLSTATE classes and codes for the same: 53 insufficient resources (53100 disk
# full), 08 connection exceptions, 57P01-57P03 the server shutting down or starting, 25006 a write
# sent to a read-only standby.
_PG_FULL = frozenset({"53100"})
_PG_UNAVAILABLE_CLASSES = ("08", "57P", "53")
_PG_UNAVAILABLE = frozenset({"25006"})


def _postgres_failure(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None)
    if state in _PG_FULL:
        return INSUFFICIENT_STORAGE
    if state in _PG_UNAVAILABLE or (state and state.startswith(_PG_UNAVAILABLE_CLASSES)):
        return STORE_UNAVAILABLE
    if state is None and isinstance(exc, psycopg.OperationalError):  # the connection is gone: no code
        return STORE_UNAVAILABLE
    if psycopg_pool is not None and isinstance(exc, psycopg_pool.PoolTimeout):
        return STORE_UNAVAILABLE
    return None


def storage_problem(failure: str) -> ProblemError:
    """The answer to a write refused for storage: 507 or 503, with `Retry-After`."""
    retry = {"Retry-After": str(STORAGE_RETRY_AFTER_S)}
    if failure == INSUFFICIENT_STORAGE:
        detail = "the server's disk is full; nothing of this request was kept: retry later"
        return ProblemError(507, INSUFFICIENT_STORAGE, detail, headers=retry)
    detail = "the server cannot write its store; nothing of this request was kept: retry later"
    return ProblemError(503, STORE_UNAVAILABLE, detail, headers=retry)


def handle_storage(request: Request, exc: Exception) -> Response[bytes]:
    """An OSError or SQLite error: a storage failure is answered 507/503, anything else as unexpected."""
    failure = storage_failure(exc)
    if failure is None and psycopg is not None and isinstance(exc, psycopg.DataError) and "NUL" in str(exc):
        # Text PostgreSQL cannot hold (U+0000) that got past the checks of what it belongs to.
        return problem_response(
            400, "invalid_text", "a text value holds the character U+0000, which cannot be stored; send it without"
        )
    if failure is None:
        return handle_unexpected(request, exc)
    log.warning("write refused for storage (%s) on %s %s: %s", failure, request.method, request.url.path, exc)
    try:
        db = services_of(request.app).db
    except RuntimeError:  # before the lifespan has built the services: nothing to tell
        db = None
    if db is not None:
        db.storage_failed(failure)
    problem = storage_problem(failure)
    return problem_response(problem.status, problem.code, problem.detail, headers=problem.headers)


def handle_unexpected(request: Request, exc: Exception) -> Response[bytes]:
    """Anything else: log it with the traceback, answer a bare 500 (a storage failure gets its own answer)."""
    if storage_failure(exc) is not None:
        return handle_storage(request, exc)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal_error", "the server failed to answer this request; it has been logged")


def _validation_detail(exc: ValidationException) -> str:
    detail = str(exc.detail or "")
    # Litestar's detail may name the handler's module path: keep only the reason.
    if "Validation failed for" in detail:
        return "the request is not of the expected shape"
    return detail or "the request is not of the expected shape"


def _validation_errors(exc: ValidationException) -> list[FieldError] | None:
    extra = exc.extra
    if not isinstance(extra, list):
        return None
    out = []
    for entry in extra:
        if not isinstance(entry, dict):
            continue
        key = str(entry.get("key") or "")
        message = _clean_message(str(entry.get("message", "invalid")))
        source = entry.get("source")
        source = getattr(source, "value", source)
        unknown = re.search(r"unknown field `([^`]*)`", message)
        if source in (None, "body"):
            path = "" if key in ("data", "$") else _json_path(key)
            if unknown:
                path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
        else:
            path = f"{source}.{key}"
        out.append(FieldError(path=path, message=message))
    return out or None


def _json_path(key: str) -> str:
    return key[2:] if key.startswith("$.") else ("" if key == "$" else key)


def _clean_message(message: str) -> str:
    return re.sub(r" - at `\$[^`]*`$", "", message)


EXCEPTION_HANDLERS = {
    ProblemError: handle_problem,
    HTTPException: handle_http,
    RecursionError: handle_recursion,
    OSError: handle_storage,
    sqlite3.Error: handle_storage,
    **({psycopg.Error: handle_storage} if psycopg is not None else {}),
    Exception: handle_unexpected,
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for the problem+json errors a route can answer."""
    return {
        status: ResponseSpec(
            data_container=ProblemBody,
            description=HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error",
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in sorted(set(statuses))
    }
