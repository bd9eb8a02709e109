"""Running ``/sparql`` queries on a repository kept in a remote SPARQL server.

When the repository lives in a SPARQL server (``Settings.store`` is an ``http(s)://`` URL, see
:mod:`kgrepo.remote`), the server evaluates the queries: there is no local store to fork, so
:class:`RemoteQueryRunner` replaces :class:`~kgrepo.api.sparql_runner.QueryRunner` (same
interface: ``run(QueryRequest) -> QueryAnswer`` and ``close()``). The limits stay real:

- Time: the whole exchange (connect, evaluation, every byte of the body) must finish within
  ``timeout`` seconds, measured against one deadline while the body streams in; past it the
  request is dropped and the client gets a 503 ``query-timeout`` problem. Dropping the connection
  stops the work on our side; the remote server may go on evaluating (``oxigraph serve`` has no
  cancellation either): give it its own limit (``oxigraph serve --timeout-s``), whose truncated
  200 answers this runner reads as the malformed bodies they are, never passes on.
- Rows: the answer is asked for as SPARQL TSV (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE),
  one row per line, and counted as it streams; past ``max_rows`` the request is dropped (422).
- The body is complete, parsed and re-serialised in the client's format before anything is sent,
  so a stopped query is never a 200 with a partial body.
- The dataset: without ``default-graph-uri`` and ``named-graph-uri`` the default graph is the
  union of all graphs, as everywhere in kgrepo. Oxigraph cannot combine that union with
  ``named-graph-uri``, so a request naming only ``named-graph-uri`` gets the server's own default
  graph (empty in a kgrepo repository, which writes into named graphs), as SPARQL prescribes for
  ``FROM NAMED`` without ``FROM``; the embedded runner gives the union there.
- At most ``workers`` queries are in flight at once; others wait up to ``timeout`` (then 503
  ``server-busy``), so a burst of slow queries cannot take every request thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import anyio.to_thread
import httpx
from kgrepo.api.problems import QueryTimeout, ServerBusy
from kgrepo.api.sparql_runner import (
    QueryAnswer,
    QueryRequest,
    _answer,
    _NoFormat,
    _TooMany,
    serialize_result,
)
from pyoxigraph import QueryResultsFormat, RdfFormat, Store, parse, parse_query_results

from kgrepo.errors import StoreUnavailable
from kgrepo.remote import _PROLOGUE, SparqlStore, _syntax_error

_ACCEPT = "text/tab-separated-values, application/n-triples;q=0.9"
_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


@dataclass
class RemoteQueryRunner:
    """Sends ``/sparql`` queries to ``store``'s query endpoint within ``timeout`` seconds and
    ``max_rows`` rows, at most ``workers`` at a time. Thread-safe; :meth:`run` blocks,
    :meth:`answer` awaits it in a thread."""

    store: SparqlStore
    workers: int = 2
    timeout: float = 10.0
    max_rows: int = 100_000
    _slots: threading.BoundedSemaphore = field(init=False)
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.workers)
        secure = self.store.query_url.startswith("https://")
        self._client = httpx.Client(timeout=self.timeout, verify=secure)

    def run(self, request: QueryRequest) -> QueryAnswer:
        """Evaluates ``request`` on the remote server; raises QuerySyntaxError, NotAcceptable,
        ResultTooLarge, QueryTimeout, ServerBusy or StoreUnavailable."""
        deadline = time.monotonic() + self.timeout
        if not self._slots.acquire(timeout=self.timeout):
            raise ServerBusy(
                f"every query slot stayed busy for {self.timeout:g} s; try again later"
            )
        try:
            try:
                media, body = self._fetch(request, deadline)
            except _TooMany:
                return _answer(("too-many",), self.max_rows)
            except httpx.TimeoutException:
                raise QueryTimeout(self.timeout) from None
            except httpx.TransportError as err:
                raise StoreUnavailable(
                    f"cannot reach the SPARQL server at {self.store.query_url}: {err}"
                ) from None
        finally:
            self._slots.release()
        try:
            outcome = serialize_result(_parse(media, body), request.accept, self.max_rows)
        except _TooMany:
            outcome = ("too-many",)
        except _NoFormat as err:
            outcome = ("not-acceptable", str(err))
        except SyntaxError as err:  # a body cut short (e.g. by the server's own time limit)
            raise StoreUnavailable(
                f"the SPARQL server at {self.store.query_url} sent an incomplete answer ({err}); "
                "it may have stopped the query at its own time limit"
            ) from None
        return _answer(outcome, self.max_rows)

    async def answer(self, request: QueryRequest) -> QueryAnswer:
        """:meth:`run` from the event loop, in a thread (the exchange with the server blocks)."""
        return await anyio.to_thread.run_sync(self.run, request)

    def close(self) -> None:
        """Closes the HTTP connections (the store itself is closed with the repository)."""
        self._client.close()

    def _fetch(self, request: QueryRequest, deadline: float) -> tuple[str, bytes]:
        params = tuple(("default-graph-uri", g) for g in request.default_graphs)
        params += tuple(("named-graph-uri", g) for g in request.named_graphs)
        if not request.default_graphs and not request.named_graphs:
            params += (("union-default-graph", ""),)
        with self._client.stream(
            "POST",
            self.store.query_url,
            params=params,
            content=(_PROLOGUE + request.query).encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": _ACCEPT},
            # Each wait (connecting, the first byte, the next) gets what is left of the deadline.
            timeout=max(0.001, deadline - time.monotonic()),
        ) as response:
            if response.status_code == 400:
                response.read()
                raise _syntax_error(response.text.strip()[:500], request.query, bound=False)
            if not response.is_success:
                response.read()
                raise StoreUnavailable(
                    f"the SPARQL server at {self.store.query_url} answered "
                    f"{response.status_code}: {response.text.strip()[:500]}"
                )
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            # TSV has a header line; N-Triples has none.
            limit = self.max_rows + (1 if media == "text/tab-separated-values" else 0)
            chunks, lines = [], 0
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("past the query time limit")
                lines += chunk.count(b"\n")
                if lines > limit:
                    raise _TooMany
                chunks.append(chunk)
            return media, b"".join(chunks)


def _parse(media: str, body: bytes) -> object:
    if media == "text/tab-separated-values":
        return parse_query_results(body, QueryResultsFormat.TSV)
    if media == "application/n-triples":
        scratch = Store()
        scratch.extend(parse(body, RdfFormat.N_TRIPLES))
        return scratch.query(_TRIPLES)
    raise StoreUnavailable(f"the SPARQL server answered in an unexpected format {media!r}")


__all__ = ["RemoteQueryRunner"]
