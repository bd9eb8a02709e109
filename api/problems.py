"""Errors as RFC 9457 problem details (``application/problem+json``), mapped in one table.

Every error a client can get is a JSON object with a stable ``type`` URI per error class, a
``title``, the ``status``, a ``detail`` for humans and, where the error has them, the fields a
program needs (``field``/``value``/``reason`` for bad input, ``line``/``column`` for a SPARQL syntax
error, ``errors`` for request validation). The core raises :mod:`kgrepo.errors`; this layer raises
the few errors only a server has (:class:`ApiError` subclasses); :data:`PROBLEMS` maps both to
statuses, and nothing else in the API chooses a status for an error.

Bad input is always a 4xx. An unexpected exception is a 500 with a generic body (it is a bug).

>>> problem_for(NotFound("no run <https://x/run/1>"))["status"]
404
>>> problem_for(QueryTimeout(2.0))["type"]
'https://w3id.org/kgrepo/problems/query-timeout'
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kgrepo.embeddings.errors import BadModelFile, NoModel, NotEnoughHistory
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kgrepo.errors import (
    Conflict,
    InvalidInput,
    InvalidState,
    KgRepoError,
    NotFound,
    QuerySyntaxError,
    StoreUnavailable,
    TooLarge,
    ValidationError,
)

TYPE_BASE = "https://w3id.org/kgrepo/problems/"
MEDIA_TYPE = "application/problem+json"

_log = logging.getLogger("kgrepo.api")


class ApiError(Exception):
    """An error only the server has (authentication, limits, protocol); see :data:`PROBLEMS`."""

    def __init__(self, detail: str, **extra: Any) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(detail)


class Unauthenticated(ApiError):
    """No token, or a token that is unknown, expired or revoked."""


class Forbidden(ApiError):
    """A valid token whose role does not allow the request."""


class BodyTooLarge(ApiError):
    """The request body exceeds ``Settings.max_body``."""


class UnsupportedMediaType(ApiError):
    """The request body is in a media type the route does not take."""


class NotAcceptable(ApiError):
    """None of the media types the client accepts can carry this result."""


class QueryTimeout(ApiError):
    """A SPARQL query ran past ``Settings.query_timeout``; it was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran longer than {seconds:g} s and was stopped; narrow it (a more selective "
            "pattern, LIMIT) or ask an administrator for a longer query_timeout",
            timeout=seconds,
        )


class ResultTooLarge(ApiError):
    """A SPARQL result has more rows than ``Settings.max_rows``; nothing of it was sent."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the result has more than {limit} rows (the server's max_rows); add a LIMIT, or page "
            "with LIMIT/OFFSET",
            limit=limit,
        )


class ServerBusy(ApiError):
    """Every query worker stayed busy for the whole query time limit."""


class QueryRefused(ApiError):
    """A query the endpoint does not run: SERVICE to another endpoint, LOAD, or an update sent to
    the query endpoint."""


class OpenRunGone(ApiError):
    """A run that is recorded as running but has no open handle on this server (it was started
    before a restart and has been abandoned, or by another process)."""


#: error class -> (HTTP status, stable type slug, title). Looked up along the class's MRO, so the
#: most specific entry wins (ValidationError before InvalidInput before KgRepoError).
PROBLEMS: dict[type[Exception], tuple[int, str, str]] = {
    NotEnoughHistory: (409, "not-enough-history", "Too little history to recommend from"),
    NoModel: (404, "no-model", "No embedding model has been trained"),
    BadModelFile: (422, "bad-model-file", "The embedding model file is unusable"),
    ValidationError: (422, "validation", "A record breaks a shape of the ontology"),
    InvalidInput: (422, "invalid-input", "Invalid input"),
    QuerySyntaxError: (400, "query-syntax", "SPARQL syntax error"),
    InvalidState: (409, "invalid-state", "Not allowed in the current state"),
    NotFound: (404, "not-found", "Not found"),
    Conflict: (409, "conflict", "Conflicts with the repository"),
    StoreUnavailable: (503, "store-unavailable", "The store is unavailable"),
    TooLarge: (422, "too-large", "The answer is over the server's limit"),
    KgRepoError: (400, "kgrepo-error", "Request refused"),
    RequestValidationError: (422, "request-validation", "The request does not validate"),
    Unauthenticated: (401, "unauthenticated", "Authentication required"),
    Forbidden: (403, "forbidden", "Not allowed for this token's role"),
    BodyTooLarge: (413, "body-too-large", "Request body too large"),
    UnsupportedMediaType: (415, "unsupported-media-type", "Unsupported media type"),
    NotAcceptable: (406, "not-acceptable", "No acceptable representation"),
    QueryTimeout: (503, "query-timeout", "Query stopped: time limit"),
    ResultTooLarge: (422, "result-too-large", "Query result over the row limit"),
    ServerBusy: (503, "server-busy", "Every query worker is busy"),
    QueryRefused: (400, "query-refused", "Query refused"),
    OpenRunGone: (409, "run-not-open", "The run is not open on this server"),
}


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": TYPE_BASE + "invalid-input"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "bad input: the field"},
        "value": {"description": "bad input: the value"},
        "reason": {"type": "string", "description": "bad input: why"},
        "line": {"type": "integer", "description": "SPARQL syntax error: line"},
        "column": {"type": "integer", "description": "SPARQL syntax error: column"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses documenting the problems a route may answer with."""
    described = {
        400: "Bad request (e.g. a SPARQL syntax error, with line and column)",
        401: "No token, or an unknown, expired or revoked one",
        403: "The token's role does not allow this",
        404: "No such entity",
        409: "Conflicts with the repository's state",
        413: "Request body too large",
        422: "Invalid input: names the field, the value and the reason",
    }
    return {
        status: {
            "description": described[status],
            "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def problem_for(err: Exception) -> dict[str, Any]:
    """The problem document for ``err`` (a 500 for classes outside :data:`PROBLEMS`)."""
    for cls in type(err).__mro__:
        if cls in PROBLEMS:
            status, slug, title = PROBLEMS[cls]
            break
    else:
        return {
            "type": TYPE_BASE + "internal",
            "title": "Internal server error",
            "status": 500,
            "detail": "an unexpected error; it has been logged",
        }
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status}
    if isinstance(err, RequestValidationError):
        errors = [_validation_entry(e) for e in err.errors()]
        body["detail"] = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        body["errors"] = errors
    elif isinstance(err, ApiError):
        body["detail"] = err.detail
        body.update(err.extra)
    else:
        body["detail"] = str(err)
    if isinstance(err, InvalidInput):
        body.update(
            entity=err.entity, field=err.field, value=_jsonable(err.value), reason=err.reason
        )
    if isinstance(err, ValidationError):
        body["shape"] = err.shape
    if isinstance(err, QuerySyntaxError):
        body.update(line=err.line, column=err.column)
    return body


class ProblemResponse(JSONResponse):
    """A problem document, ASCII-escaped: it may quote bad input that is not Unicode text."""

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode()


def response(err: Exception) -> JSONResponse:
    body = problem_for(err)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(err, Unauthenticated) else None
    return ProblemResponse(body, status_code=body["status"], headers=headers)


def install(app: FastAPI) -> None:
    """Registers the handlers that turn every error into problem+json."""

    async def known(request: Request, err: Exception) -> JSONResponse:
        return response(err)

    async def http(request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, HTTPException)
        body = {
            "type": TYPE_BASE + f"http-{err.status_code}",
            "title": _reason(err.status_code),
            "status": err.status_code,
            "detail": str(err.detail),
        }
        return ProblemResponse(
            body, status_code=err.status_code, headers=getattr(err, "headers", None)
        )

    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return response(err)

    for cls in PROBLEMS:
        app.add_exception_handler(cls, known)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, unexpected)


class BodyLimit:
    """ASGI middleware: refuses a request body over ``limit`` bytes with a 413 problem, whether
    announced by Content-Length or streamed in chunks, before the route sees any of it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = BodyTooLarge(f"the request body exceeds {self.limit} bytes", limit=self.limit)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = 0
                if announced > self.limit:
                    await response(too_large)(scope, receive, send)
                    return
        # Read the body now (it is small by construction) and replay it to the app.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await response(too_large)(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _validation_entry(error: Any) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    where = loc[0] if loc else "body"
    field = ".".join(loc[1:]) or where
    entry = {"in": where, "field": field, "reason": error.get("msg", "invalid")}
    if "input" in error and error.get("type") != "missing":
        entry["value"] = _jsonable(error["input"])
    return entry


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


__all__ = [
    "MEDIA_TYPE",
    "PROBLEMS",
    "TYPE_BASE",
    "ApiError",
    "BodyLimit",
    "BodyTooLarge",
    "Forbidden",
    "NotAcceptable",
    "OpenRunGone",
    "QueryRefused",
    "QueryTimeout",
    "ResultTooLarge",
    "ServerBusy",
    "Unauthenticated",
    "UnsupportedMediaType",
    "install",
    "problem_for",
    "response",
    "responses",
]
