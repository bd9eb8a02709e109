"""A repository's graph in a SPARQL 1.1 server, shared by many processes and machines.

:class:`SparqlStore` offers the interface of the embedded :class:`~kgrepo.store.OxigraphStore`
over HTTP: reads through the SPARQL 1.1 Query protocol, writes through the Update protocol, and
bulk reads and loads through the Graph Store protocol (when the server has one). It is tested
against ``oxigraph serve`` (PyPI package ``oxigraph``); :meth:`kgrepo.Repository.connect` opens a
repository on one.

Atomicity. Every write method is ONE update request, and a SPARQL server applies one request in
one transaction: :meth:`~SparqlStore.extend` is one ``INSERT DATA``, :meth:`~SparqlStore.replace`
is ``DELETE DATA {…} ; INSERT DATA {…}`` in one request (Oxigraph applies a multi-operation request
all or nothing; a test checks it). That is what keeps a run never torn when its process dies, as
on the embedded store. A write that times out may or may not have been applied: the error says so.

Values are never formatted into text by hand: terms are written by pyoxigraph's serialiser
(``str(term)``, which escapes quotes, backslashes and newlines) and bindings go in as inline
data (:mod:`kgrepo._bind`). Results are read by pyoxigraph's parsers, so :meth:`SparqlStore.query`
returns the same result types as the embedded store.

The union default graph. kgrepo's queries read the union of all named graphs. Oxigraph takes
that per query (the ``union-default-graph`` parameter, which this store sends); another server
must be configured with a union default graph (e.g. Fuseki's ``tdb2:unionDefaultGraph``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import httpx
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    Quad,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    parse,
    parse_query_results,
    serialize,
)

from kgrepo._bind import Value, bind
from kgrepo._lineage_index import LineageIndex
from kgrepo.errors import InvalidInput, QuerySyntaxError, StoreUnavailable
from kgrepo.store import FORMATS, PREFIXES, QueryResult, Term, check_syntax

__all__ = ["SparqlStore"]

# One line, so the caller's line numbers stay right; columns on line 1 are corrected.
_PROLOGUE = "".join(f"PREFIX {p}: <{iri}> " for p, iri in PREFIXES.items())
_POSITION = re.compile(r"error at (\d+):(\d+)")
_RESULTS = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}
# SELECT/ASK answer in SPARQL JSON, CONSTRUCT/DESCRIBE in N-Triples: the server picks by query form.
_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, */*;q=0.1"
_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
_COUNT = """SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"""
_ALL_QUADS = """SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"""
_GRAPH_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


class SparqlStore:
    """A graph kept in a SPARQL 1.1 server: ``query_url`` (Query protocol), ``update_url``
    (Update protocol) and, optionally, ``store_url`` (Graph Store protocol, used for quads, dump
    and load; without it those go through SPARQL queries and updates).

    One persistent HTTP connection pool (keep-alive) serves every request; ``timeout`` (seconds)
    bounds each request, ``auth`` is anything httpx accepts (e.g. ``("user", "password")``).

    Failures are typed: an unreachable server or a timeout is
    :class:`~kgrepo.errors.StoreUnavailable` naming the URL; a query or update that does not parse
    is :class:`~kgrepo.errors.QuerySyntaxError` with the line and column in the caller's text;
    a refused request (401/403, another 4xx) or a server failure (5xx) is
    :class:`~kgrepo.errors.StoreUnavailable` with the server's message.

    >>> store = SparqlStore("http://127.0.0.1:9/query", "http://127.0.0.1:9/update")
    >>> store.query("ASK {}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    kgrepo.errors.StoreUnavailable: cannot reach the SPARQL server at http://127.0.0.1:9/query: ...
    >>> store.close()
    """

    #: Not on disk: kgrepo code that asks a store for its directory gets None.
    path = None
    #: Whether rows come in index order without ORDER BY (see kgrepo._sortkeys): not promised by
    #: the protocol, and false of an in-memory ``oxigraph serve``, so sorted listings take the
    #: general path.
    index_ordered = False
    #: Re-inserting statements the server holds costs nothing but bytes in the update, where
    #: asking which it holds costs a round trip: a write sends its shared statements unasked.
    asks_before_sharing = False
    #: No lineage index (see :mod:`kgrepo._lineage_index`): other processes write here too.
    lineage_index: LineageIndex | None = None

    def __init__(
        self,
        query_url: str,
        update_url: str,
        store_url: str | None = None,
        *,
        timeout: float = 30.0,
        auth: httpx.Auth | tuple[str, str] | None = None,
    ) -> None:
        for field, url in (("query_url", query_url), ("update_url", update_url)):
            _check_url(field, url)
        if store_url is not None:
            _check_url("store_url", store_url)
        self.query_url = query_url
        self.update_url = update_url
        self.store_url = store_url
        # Parsed once: httpx would parse a string URL again on every request.
        self._query = httpx.URL(query_url)
        self._union_query = self._query.copy_merge_params({"union-default-graph": ""})
        self._update_endpoint = httpx.URL(update_url)
        self.timeout = timeout
        # Loading the CA bundle takes ~170 ms: only when some endpoint is https (no redirects are
        # followed, so a plain-http store never reaches an https URL).
        secure = any(u.startswith("https://") for u in (query_url, update_url, store_url or ""))
        self._client: httpx.Client | None = httpx.Client(timeout=timeout, auth=auth, verify=secure)

    def __repr__(self) -> str:
        return f"SparqlStore({self.query_url!r})"

    # -- writes: each one request, applied by the server in one transaction -----------------------
    def extend(self, quads: Sequence[Quad]) -> None:
        """Adds the quads in one transaction (one ``INSERT DATA`` request)."""
        if quads:
            self._update(f"INSERT DATA {{ {_data(quads)} }}")

    def replace(self, remove: Sequence[Quad], add: Sequence[Quad]) -> None:
        """Removes ``remove`` and adds ``add`` in one transaction (one update request)."""
        operations = []
        if remove:
            for q in remove:
                if any(isinstance(t, BlankNode) for t in (q.subject, q.object, q.graph_name)):
                    raise InvalidInput("Store", "remove", q, "DELETE DATA cannot name blank nodes")
            operations.append(f"DELETE DATA {{ {_data(remove)} }}")
        if add:
            operations.append(f"INSERT DATA {{ {_data(add)} }}")
        if operations:
            self._update(" ;\n".join(operations))

    def update(self, text: str) -> None:
        """Runs a SPARQL update (administrators only; kgrepo's own writes use extend/replace)."""
        self._update(_PROLOGUE + text, caller_text=text)

    def load(self, data: IO[bytes], format: str) -> None:
        """Loads quads in one transaction: a file that does not parse adds nothing.

        The file is parsed here first (so a syntax error is pyoxigraph's ``SyntaxError``, as on the
        embedded store), then sent in one request.
        """
        quads = list(parse(data, FORMATS[format]))
        if not quads:
            return
        if self.store_url is None:
            self.extend(quads)
            return
        body = serialize(quads, format=RdfFormat.N_QUADS)
        assert body is not None
        self._send(
            "POST",
            self.store_url,
            content=body,
            headers={"Content-Type": RdfFormat.N_QUADS.media_type},
        )

    # -- reads -------------------------------------------------------------------------------------
    def query(
        self, text: str, bindings: Mapping[str, Value] | None = None, *, union: bool = True
    ) -> QueryResult:
        """Runs a SPARQL query; ``bindings`` are bound as inline data (see :mod:`kgrepo._bind`),
        never formatted into the text.

        With ``union`` (the default) the default graph is the union of all named graphs. The
        prefixes of :data:`kgrepo.store.PREFIXES` are predeclared. Returns pyoxigraph's
        ``QuerySolutions``, ``QueryBoolean`` or ``QueryTriples``.
        """
        bound = bind(text, bindings or {})
        response = self._send(
            "POST",
            self._union_query if union else self._query,
            content=(_PROLOGUE + bound).encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": _ACCEPT},
            caller_text=text,
            bound=bound is not text,
        )
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media in _RESULTS:
            return parse_query_results(response.content, _RESULTS[media])
        graph_format = RdfFormat.from_media_type(media) if media else None
        if graph_format is None:
            raise StoreUnavailable(
                f"the SPARQL server at {self.query_url} answered in an unknown format {media!r}"
            )
        # A throwaway in-memory store turns the parsed triples into pyoxigraph's QueryTriples.
        scratch = Store()
        scratch.extend(parse(response.content, graph_format))
        return scratch.query(_TRIPLES)

    def contains(self, quad: Quad) -> bool:
        """Whether the store holds ``quad`` (a quad with a blank node is never found: blank node
        labels are local to each request)."""
        return bool(self.held([quad]))

    def held(self, quads: Sequence[Quad]) -> list[Quad]:
        """Those of ``quads`` that the store holds, in one request (not one per quad)."""
        rows = [
            f"({i} {_graph(q.graph_name)} {q.subject} {q.predicate} {q.object})"
            for i, q in enumerate(quads)
            if not any(isinstance(t, BlankNode) for t in (q.subject, q.object, q.graph_name))
        ]
        if not rows:
            return []
        # The index comes back, not the terms: a server may answer a literal in another lexical
        # form (1e-9 as 1.0E-9), which would not compare equal to the quad asked about.
        text = (
            "SELECT ?i WHERE { VALUES (?i ?g ?s ?p ?o) { "
            + " ".join(rows)
            + " } { GRAPH ?g { ?s ?p ?o } } UNION { FILTER(!BOUND(?g)) ?s ?p ?o } }"
        )
        return [quads[int(row["i"].value)] for row in self._select(text, {})]

    def contains_graph(self, graph: NamedNode) -> bool:
        return bool(self.query("ASK { GRAPH ?g { } }", {"g": graph}, union=False))

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        """Every quad, or the quads of ``graph``."""
        if self.store_url is None:
            if graph is None:
                return self._select_quads(_ALL_QUADS, {})
            return self._select_quads(_GRAPH_QUADS, {"g": graph})
        if graph is None:
            return iter(list(parse(self._get_store(None, RdfFormat.N_QUADS), RdfFormat.N_QUADS)))
        body = self._get_store(graph, RdfFormat.N_TRIPLES)
        return iter([Quad(t.subject, t.predicate, t.object, graph) for t in _triples(body)])

    def __len__(self) -> int:
        count = next(self._select(_COUNT, {}))["n"]
        assert count is not None
        return int(count.value)

    def dump(self, output: IO[bytes], format: str) -> None:
        serialize(self.quads(), output, FORMATS[format])

    def flush(self) -> None:
        """Nothing to do: the server has made every acknowledged write durable."""

    def close(self) -> None:
        """Closes the HTTP connections; closing again does nothing."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- HTTP --------------------------------------------------------------------------------------
    def _select(self, text: str, bindings: Mapping[str, Term]) -> QuerySolutions:
        """A SELECT over the store's own default graph (no union)."""
        rows = self.query(text, bindings, union=False)
        assert isinstance(rows, QuerySolutions)
        return rows

    def _select_quads(self, text: str, bindings: Mapping[str, Term]) -> Iterator[Quad]:
        out = []
        for row in self._select(text, bindings):
            g = row["g"]
            out.append(Quad(row["s"], row["p"], row["o"], g if g is not None else DefaultGraph()))
        return iter(out)

    def _get_store(self, graph: NamedNode | None, format: RdfFormat) -> bytes:
        assert self.store_url is not None
        response = self._send(
            "GET",
            self.store_url,
            params={"graph": graph.value} if graph is not None else None,
            headers={"Accept": format.media_type},
            missing_ok=True,
        )
        return b"" if response.status_code == 404 else response.content

    def _update(self, body: str, caller_text: str | None = None) -> None:
        self._send(
            "POST",
            self._update_endpoint,
            content=body.encode(),
            headers={"Content-Type": "application/sparql-update"},
            caller_text=caller_text,
            write=True,
        )

    def _send(
        self,
        method: str,
        endpoint: str | httpx.URL,
        *,
        caller_text: str | None = None,
        bound: bool = False,
        write: bool = False,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        if self._client is None:
            raise StoreUnavailable("the repository is closed; connect again to use it")
        url = str(endpoint).partition("?")[0]  # messages name the endpoint, not its parameters
        try:
            response = self._client.request(method, endpoint, **kwargs)
        except httpx.TimeoutException as err:
            maybe = " It may or may not have been applied." if write else ""
            raise StoreUnavailable(
                f"the SPARQL server at {url} did not answer within {self.timeout} s "
                f"({err!r}).{maybe} Check that the server is up and not overloaded, or raise "
                "the timeout."
            ) from None
        except httpx.TransportError as err:
            raise StoreUnavailable(
                f"cannot reach the SPARQL server at {url}: {err}. Start it (e.g. `oxigraph serve "
                "--location DIR --bind 127.0.0.1:7878`) or fix the URL."
            ) from None
        if response.is_success or (missing_ok and response.status_code == 404):
            return response
        message = response.text.strip()[:500]
        if response.status_code == 400 and caller_text is not None:
            raise _syntax_error(message, caller_text, bound=bound)
        if response.status_code in (401, 403):
            raise StoreUnavailable(
                f"the SPARQL server at {url} refused the request ({response.status_code}): "
                f"{message}. Check the credentials given as `auth`."
            )
        raise StoreUnavailable(
            f"the SPARQL server at {url} answered {response.status_code}: {message}"
        )


def _data(quads: Iterable[Quad]) -> str:
    """The body of ``INSERT DATA``/``DELETE DATA``, every term written by pyoxigraph."""
    by_graph: dict[NamedNode | BlankNode | DefaultGraph, list[str]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(f"{q.subject} {q.predicate} {q.object} .")
    parts = []
    for graph, triples in by_graph.items():
        body = "\n".join(triples)
        parts.append(body if isinstance(graph, DefaultGraph) else f"GRAPH {graph} {{\n{body}\n}}")
    return "\n".join(parts)


def _graph(graph: NamedNode | BlankNode | DefaultGraph) -> str:
    """A graph name in a VALUES row; the default graph is left unbound (``UNDEF``)."""
    return "UNDEF" if isinstance(graph, DefaultGraph) else str(graph)


def _triples(body: bytes) -> Iterator[Any]:
    return iter(parse(body, RdfFormat.N_TRIPLES)) if body else iter(())


def _syntax_error(message: str, caller_text: str, *, bound: bool) -> QuerySyntaxError:
    """The server's parse error, its position moved back into the caller's own text."""
    if bound:
        # Inlined bindings moved columns: parse the caller's own text (same parser) for them.
        try:
            check_syntax(caller_text)
        except QuerySyntaxError as err:
            if err.line is not None:
                return err
        except Exception:  # it parses here (a server-specific refusal): the server says why
            pass
    match = _POSITION.search(message)
    if not match:
        return QuerySyntaxError(message)
    line, column = int(match.group(1)), int(match.group(2))
    if line == 1:
        column -= len(_PROLOGUE)
    fixed = _POSITION.sub(f"error at {line}:{column}", message, count=1)
    return QuerySyntaxError(fixed, line, column)


def _check_url(field: str, url: str) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInput("SparqlStore", field, url, "expected an http:// or https:// URL")
