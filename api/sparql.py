"""The SPARQL 1.1 Protocol: queries at ``/sparql`` (GET, POST form, POST
``application/sparql-query``), updates at ``/sparql/update``.

- The default graph is the union of all named graphs (as everywhere in kgrepo) unless the
  request names ``default-graph-uri``; ``named-graph-uri`` restricts ``GRAPH``.
- Results are negotiated from ``Accept``: SPARQL JSON (default), XML, CSV, TSV for SELECT/ASK;
  Turtle (default), N-Triples, N-Quads, TriG, RDF/XML, JSON-LD for CONSTRUCT/DESCRIBE.
- Limits (``query_timeout``, ``max_rows``) are enforced by killing the worker process evaluating
  the query (:mod:`kgrepo.api.sparql_runner`) or, on a repository kept in a SPARQL server, by
  dropping the request to that server (:mod:`kgrepo.api.sparql_remote`); either way the body is
  complete before it is sent.
- ``SERVICE`` (federation to other endpoints) and ``LOAD`` are refused: the server does not reach
  out to the network on a client's behalf.
- Updates need the **admin** role, not writer: an update bypasses the validation and the
  provenance every REST write gets (shapes, run graphs, the recording agent), so it is an
  administrator's repair tool; writers record through ``/api/v1``.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from kgrepo.api.deps import Admin, Reader, State
from kgrepo.api.problems import QueryRefused, UnsupportedMediaType
from kgrepo.api.sparql_runner import QueryRequest
from kgrepo.api.sparql_text import UPDATE_KEYWORDS, keywords_in
from pyoxigraph import NamedNode

from kgrepo.errors import InvalidInput, QuerySyntaxError
from kgrepo.repository import Repository

router = APIRouter(tags=["sparql"])
_log = logging.getLogger("kgrepo.api")

_FORM = "application/x-www-form-urlencoded"
_QUERY_BODY = "application/sparql-query"
_UPDATE_BODY = "application/sparql-update"
_EXAMPLE = "SELECT ?model ?data WHERE { ?model prov:wasGeneratedBy/prov:used ?data } LIMIT 10"

DefaultGraphs = Annotated[
    list[str] | None,
    Query(alias="default-graph-uri", description="IRIs making up the default graph"),
]
NamedGraphs = Annotated[
    list[str] | None,
    Query(alias="named-graph-uri", description="IRIs of the graphs GRAPH may use"),
]

_QUERY_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The complete result in the negotiated format",
        "content": {
            "application/sparql-results+json": {},
            "application/sparql-results+xml": {},
            "text/csv": {},
            "text/tab-separated-values": {},
            "text/turtle": {},
            "application/n-triples": {},
            "application/ld+json": {},
        },
    },
    400: {"description": "Syntax error (with line and column) or a refused query"},
    406: {"description": "No acceptable format for this result"},
    422: {"description": "More rows than the server's max_rows"},
    503: {"description": "Stopped at the time limit, or every worker busy"},
}


@router.get("/sparql", summary="SPARQL query (GET)", responses=_QUERY_RESPONSES)
async def query_get(
    request: Request,
    state: State,
    principal: Reader,
    query: Annotated[str, Query(description="The SPARQL query", examples=[_EXAMPLE])],
    default_graph_uri: DefaultGraphs = None,
    named_graph_uri: NamedGraphs = None,
) -> Response:
    return await _query(request, state, query, default_graph_uri or [], named_graph_uri or [])


@router.post(
    "/sparql",
    summary="SPARQL query (POST, form or application/sparql-query)",
    responses=_QUERY_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["query"],
                        "properties": {
                            "query": {"type": "string", "example": _EXAMPLE},
                            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                },
                _QUERY_BODY: {"schema": {"type": "string", "example": _EXAMPLE}},
            },
        }
    },
)
async def query_post(
    request: Request,
    state: State,
    principal: Reader,
    default_graph_uri: DefaultGraphs = None,
    named_graph_uri: NamedGraphs = None,
) -> Response:
    media = _media_type(request)
    body = await request.body()
    if media == _QUERY_BODY:
        text = _decode(body, "query")
        return await _query(request, state, text, default_graph_uri or [], named_graph_uri or [])
    if media == _FORM:
        form = _form(body)
        if "update" in form and "query" not in form:
            raise QueryRefused("SPARQL Update goes to POST /sparql/update (administrators only)")
        texts = form.get("query", [])
        if len(texts) != 1:
            raise InvalidInput("SPARQL request", "query", texts, "give exactly one query")
        return await _query(
            request,
            state,
            texts[0],
            form.get("default-graph-uri", []) + (default_graph_uri or []),
            form.get("named-graph-uri", []) + (named_graph_uri or []),
        )
    raise UnsupportedMediaType(f"POST /sparql takes {_FORM} or {_QUERY_BODY}, not {media!r}")


@router.post(
    "/sparql/update",
    summary="SPARQL update (administrators only)",
    status_code=204,
    responses={
        204: {"description": "Applied, in one transaction"},
        400: {"description": "Syntax error or refused operation (LOAD, SERVICE)"},
        403: {"description": "Needs the admin role"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["update"],
                        "properties": {"update": {"type": "string"}},
                    }
                },
                _UPDATE_BODY: {"schema": {"type": "string"}},
            },
        }
    },
)
async def update(request: Request, state: State, principal: Admin) -> Response:
    media = _media_type(request)
    body = await request.body()
    if media == _UPDATE_BODY:
        text = _decode(body, "update")
    elif media == _FORM:
        texts = _form(body).get("update", [])
        if len(texts) != 1:
            raise InvalidInput("SPARQL request", "update", texts, "give exactly one update")
        text = texts[0]
    else:
        raise UnsupportedMediaType(f"/sparql/update takes {_FORM} or {_UPDATE_BODY}, not {media!r}")
    refused = keywords_in(text, {"SERVICE", "LOAD"})
    if refused:
        raise QueryRefused(f"{refused[0]} is not allowed: the server does not fetch remote data")
    await run_in_threadpool(_apply_update, state.repository, text)
    _log.info("SPARQL update by %s (%d characters)", principal.name, len(text))
    return Response(status_code=204)


def _apply_update(repository: Repository, text: str) -> None:
    repository.store.update(text)
    # The repository caches what the store holds (shared statements, environments, custom kinds)
    # to skip rewriting them; an update may have removed any of it, so forget the caches.
    with repository._lock:
        repository._known_shared.clear()
        repository._known_environments.clear()
        repository._refresh_kinds()


async def _query(
    request: Request, state: State, text: str, default: list[str], named: list[str]
) -> Response:
    for field, values in (("default-graph-uri", default), ("named-graph-uri", named)):
        for value in values:
            try:
                NamedNode(value)
            except ValueError as err:
                raise InvalidInput("SPARQL request", field, value, f"not an IRI ({err})") from None
    if keywords_in(text, {"SERVICE"}):
        raise QueryRefused("SERVICE is not allowed: the server does not query other endpoints")
    job = QueryRequest(text, tuple(default), tuple(named), _accept(request))
    try:
        answer = await state.runner.answer(job)
    except QuerySyntaxError:
        if keywords_in(text, UPDATE_KEYWORDS):
            raise QueryRefused(
                "this is a SPARQL Update: send it to POST /sparql/update (administrators only)"
            ) from None
        raise
    return Response(answer.body, media_type=answer.media_type, headers={"Vary": "Accept"})


def _accept(request: Request) -> tuple[str, ...]:
    """The Accept header's media types, most preferred first (q=0 dropped)."""
    header = request.headers.get("accept", "")
    ranked = []
    for position, part in enumerate(header.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, position, media.lower()))
    return tuple(media for _, _, media in sorted(ranked))


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _decode(body: bytes, field: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidInput("SPARQL request", field, body[:40], f"not UTF-8 ({err})") from None


def _form(body: bytes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as err:
        raise InvalidInput("SPARQL request", "body", body[:40], f"not UTF-8 ({err})") from None
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


__all__ = ["router"]
