"""Running ``/sparql`` queries with a time limit and a row limit that are enforced for real.

pyoxigraph has no query timeout or cancellation in its Python API, and once a query is evaluating
in Rust nothing in Python can stop it: it releases the GIL (so a thread would not stall other
requests) but a thread cannot be killed, so a runaway query would keep a core busy for minutes
after its client got an error. What can be stopped is a process. So queries are evaluated in a
small pool of worker processes, each a ``fork()`` of the server, and a query that runs past its
deadline is stopped by killing its worker with SIGKILL; the client gets a 503 ``query-timeout``
problem, and the next query gets a fresh worker.

Why fork, and why it stays fast:

- A forked child shares the parent's store copy-on-write: an in-memory store included, which no
  other process could open, and an on-disk store without opening RocksDB a second time (a second
  read-only open next to a writer is undefined behaviour in Oxigraph). The child sees the store
  as it was at the fork: a consistent snapshot.
- Writes go through :class:`GatedStore`, which counts them (a *generation*) and holds a lock that
  ``fork()`` also takes, so no write is half-done inside a snapshot. A worker serves queries for
  as long as the store has not changed since its fork; a query that finds its worker stale forks
  a fresh one first (10-25 ms for a store of 300,000 quads on an idle machine, 50-70 ms under
  heavy load: BENCHMARKS.md, "Server"), so
  a query always sees every write acknowledged before it arrived. A read-only workload pays one
  fork per worker, then only a pipe round trip (well under a millisecond) per query.
- The child is only ever used for reading, exits with its parent (``PR_SET_PDEATHSIG``) and
  never runs the parent's exit handlers.
- The residual risk of forking a threaded process: a lock held at the instant of the fork by
  another thread (a RocksDB background flush, a block-cache lookup of a concurrent in-process
  read) stays locked in the child. Writes are fenced off by the gate; the rest is not. Should a
  child block on such a lock, its query is stopped at the time limit like any runaway query (503)
  and the next query gets a fresh worker: the server itself never stalls. A stress run (3 clients
  recording over REST with in-process lineage reads, 2 clients querying, on-disk store, 40 s,
  nearly every query re-forking) saw no such hang in 487 queries; BENCHMARKS.md's mixed figures
  come from the same situation.
- The alternative for an on-disk store, a RocksDB checkpoint (``Store.backup``) per write
  generation opened read-only by the workers, has no such risk but costs 60-200 ms per refresh
  (measured) and holds off writes while it is taken, so it was not chosen.

The row limit is checked while the child serialises: results are written as SPARQL TSV (or
N-Triples for graphs) through a writer that counts lines and aborts the evaluation past
``max_rows``, then converted to the format the client asked for. The whole body is built before
anything is sent, so a stopped or over-limit query is an error status, never a 200 with a
truncated body (``oxigraph serve --timeout-s`` does the latter).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import IO, Any, cast

import anyio
import anyio.to_thread
from kgrepo.api.problems import NotAcceptable, QueryTimeout, ResultTooLarge, ServerBusy
from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    parse,
    parse_query_results,
    serialize,
)

from kgrepo.errors import QuerySyntaxError, StoreUnavailable
from kgrepo.store import PREFIXES, OxigraphStore, syntax_error

#: Result formats of SELECT and ASK, by media type (the first is the default).
RESULT_FORMATS: dict[str, QueryResultsFormat] = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
    "application/json": QueryResultsFormat.JSON,
    "application/xml": QueryResultsFormat.XML,
}
#: Graph formats of CONSTRUCT and DESCRIBE (the first is the default).
GRAPH_FORMATS: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
    "text/plain": RdfFormat.N_TRIPLES,
}


class GatedStore(OxigraphStore):
    """The embedded store, with every write counted and serialised against forks.

    ``generation`` grows with every write, so a query worker knows whether its snapshot is
    current. The gate is held by each write and by :meth:`fork`, so a snapshot never holds half of
    a write.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path)
        self.gate = threading.Lock()
        self.generation = 0

    @property
    def raw(self) -> Store:
        """The pyoxigraph store (for the query workers)."""
        return self._store

    def extend(self, quads: Sequence[Any]) -> None:
        with self.gate:
            super().extend(quads)
            self.generation += 1

    def replace(self, remove: Sequence[Any], add: Sequence[Any]) -> None:
        with self.gate:
            super().replace(remove, add)
            self.generation += 1

    def update(self, text: str) -> None:
        with self.gate:
            super().update(text)
            self.generation += 1

    def load(self, data: Any, format: str) -> None:
        with self.gate:
            super().load(data, format)
            self.generation += 1


@dataclass(frozen=True)
class QueryRequest:
    """One protocol request: the query text, the protocol's dataset, and the acceptable media
    types in the client's order of preference (empty: the defaults)."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryAnswer:
    """A fully serialised result."""

    media_type: str
    body: bytes


@dataclass
class _Worker:
    pid: int
    conn: Connection
    generation: int


@dataclass
class QueryRunner:
    """A pool of ``workers`` forked processes answering queries over ``store`` within
    ``timeout`` seconds and ``max_rows`` rows. Thread-safe; :meth:`run` blocks (call it from a
    thread), :meth:`answer` is its form for the event loop."""

    store: GatedStore
    workers: int = 2
    timeout: float = 10.0
    max_rows: int = 100_000
    _slots: queue.Queue[_Worker | None] = field(init=False)
    _closed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._slots = queue.Queue()
        for _ in range(self.workers):
            self._slots.put(None)

    def run(self, request: QueryRequest) -> QueryAnswer:
        """Evaluates ``request``, blocking the calling thread; raises QuerySyntaxError,
        NotAcceptable, ResultTooLarge, QueryTimeout or ServerBusy."""
        deadline = time.monotonic() + self.timeout
        with self._lease(self._take()) as lease:
            lease.send(request)
            lease.receive(lease.conn.poll(max(0.0, deadline - time.monotonic())))
        return _answer(lease.outcome, self.max_rows)

    async def answer(self, request: QueryRequest) -> QueryAnswer:
        """:meth:`run` for the event loop: the wait for the worker's answer is a wait on its pipe,
        so neither the loop nor a thread is held meanwhile (a thread would have to win the GIL
        back from the loop at every step, which under a stream of writes costs more than the
        query). Only a query finding every worker busy waits in a thread."""
        deadline = time.monotonic() + self.timeout
        try:
            slot = self._take(wait=False)
        except queue.Empty:
            # Shielded: a request cancelled meanwhile would lose the slot the thread then takes;
            # the cancellation reaches it inside the lease, which puts the slot back.
            with anyio.CancelScope(shield=True):
                slot = await anyio.to_thread.run_sync(self._take)
        with self._lease(slot) as lease:
            lease.send(request)
            with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                await anyio.wait_readable(lease.conn)
            # The loop's poller left the pipe non-blocking, and a message longer than what has
            # arrived would then fail to read: the rest is on its way, so wait for it.
            os.set_blocking(lease.conn.fileno(), True)
            lease.receive(lease.conn.poll())
        return _answer(lease.outcome, self.max_rows)

    def close(self) -> None:
        """Stops every worker (idle ones now, busy ones as they come back)."""
        self._closed = True
        while True:
            try:
                _stop(self._slots.get_nowait())
            except queue.Empty:
                return

    def _take(self, wait: bool = True) -> _Worker | None:
        """A free slot (a worker, or None for one to fork), waiting up to the time limit; with
        ``wait=False``, queue.Empty if none is free now."""
        if self._closed:
            raise StoreUnavailable("the server is shutting down")
        try:
            return self._slots.get(block=wait, timeout=self.timeout if wait else None)
        except queue.Empty:
            if not wait:
                raise
            raise ServerBusy(
                f"every query worker stayed busy for {self.timeout:g} s; try again later"
            ) from None

    @contextlib.contextmanager
    def _lease(self, slot: _Worker | None) -> Iterator[_Lease]:
        """One query's use of a slot, which goes back to the pool whatever happens: with its
        worker if that worker is idle and intact, empty otherwise (a worker left computing, by a
        time limit or a cancelled request, is stopped: its answer would reach the next query)."""
        lease = _Lease(self, slot)
        try:
            yield lease
        finally:
            if lease.pending:
                _stop(lease.worker)
                lease.worker = None
            self._slots.put(lease.worker)

    def _fork(self) -> _Worker:
        parent, child = Pipe()
        with self.store.gate:
            generation = self.store.generation
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            try:
                parent.close()
                _die_with_parent()
                _serve(self.store.raw, child)
            finally:
                os._exit(0)
        child.close()
        return _Worker(pid, parent, generation)


class _Lease:
    """A worker taken from the pool for one query: ``send`` it, then ``receive`` its outcome."""

    def __init__(self, runner: QueryRunner, worker: _Worker | None) -> None:
        self.runner = runner
        self.worker = worker
        self.pending = False  # sent, not yet answered
        self.outcome: tuple[Any, ...] = ()

    @property
    def conn(self) -> Connection:
        assert self.worker is not None
        return self.worker.conn

    def send(self, request: QueryRequest) -> None:
        """Sends ``request`` to the worker, forking a fresh one if the store changed since its
        fork (or it died idle)."""
        runner = self.runner
        if self.worker is None or self.worker.generation != runner.store.generation:
            _stop(self.worker)
            self.worker = None  # never put a stopped worker back, even if the fork fails
            self.worker = runner._fork()
        try:
            self.worker.conn.send((request, runner.max_rows))
        except OSError:  # an idle worker died (killed from outside): one fresh fork
            _stop(self.worker)
            self.worker = None
            self.worker = runner._fork()
            self.worker.conn.send((request, runner.max_rows))
        self.pending = True

    def receive(self, ready: bool) -> None:
        """Takes the worker's outcome if it is ``ready`` (by the deadline); otherwise raises
        QueryTimeout, and the lease stops the worker."""
        if not ready:
            raise QueryTimeout(self.runner.timeout)
        try:
            self.outcome = self.conn.recv()
        except (EOFError, OSError):  # the worker died (killed from outside, out of memory)
            raise StoreUnavailable("the query worker died; try again") from None
        self.pending = False


def _stop(worker: _Worker | None) -> None:
    if worker is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(worker.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # already reaped
        os.waitpid(worker.pid, 0)
    worker.conn.close()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker exits on its pipe's EOF instead
        pass


# -- in the worker process ---------------------------------------------------------------------


def _serve(store: Store, conn: Connection) -> None:  # pragma: no cover - child process
    while True:
        try:
            request, max_rows = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome: tuple[Any, ...] = _evaluate(store, request, max_rows)
        except SyntaxError as err:
            outcome = ("syntax", str(err))
        except _TooMany:
            outcome = ("too-many",)
        except _NoFormat as err:
            outcome = ("not-acceptable", str(err))
        except Exception as err:
            outcome = ("error", f"{type(err).__name__}: {err}")
        conn.send(outcome)


class _TooMany(Exception):
    pass


class _NoFormat(Exception):
    pass


class _CountingWriter:
    """Collects serialised output and aborts it (by raising) past ``limit`` lines + header."""

    def __init__(self, limit: int) -> None:
        self.buffer = io.BytesIO()
        self.lines = 0
        self.limit = limit

    def write(self, data: bytes) -> int:
        self.lines += bytes(data).count(b"\n")
        if self.lines > self.limit:
            raise _TooMany
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def _evaluate(store: Store, request: QueryRequest, max_rows: int) -> tuple[Any, ...]:
    options: dict[str, Any] = {"prefixes": PREFIXES}
    if request.default_graphs:
        options["default_graph"] = [NamedNode(g) for g in request.default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if request.named_graphs:
        options["named_graphs"] = [NamedNode(g) for g in request.named_graphs]
    return serialize_result(store.query(request.query, **options), request.accept, max_rows)


def serialize_result(result: Any, accept: Sequence[str], max_rows: int) -> tuple[Any, ...]:
    """``("ok", media type, body)`` for a pyoxigraph query result in the first format of
    ``accept`` that fits it; raises _TooMany past ``max_rows`` rows, _NoFormat if none fits.
    (Shared with the remote runner, :mod:`kgrepo.api.sparql_remote`.)"""
    if isinstance(result, QueryBoolean):
        media, fmt = _choose(accept, RESULT_FORMATS, "a boolean result")
        out = io.BytesIO()
        result.serialize(out, fmt)
        return ("ok", media, out.getvalue())
    if isinstance(result, QuerySolutions):
        media, fmt = _choose(accept, RESULT_FORMATS, "SELECT results")
        counted = _CountingWriter(max_rows + 1)  # + the header line
        try:
            result.serialize(cast(IO[bytes], counted), QueryResultsFormat.TSV)
        except OSError as err:  # pyoxigraph wraps the writer's exception
            if isinstance(err.__cause__, _TooMany) or counted.lines > counted.limit:
                raise _TooMany from None
            raise
        tsv = counted.buffer.getvalue()
        if fmt == QueryResultsFormat.TSV:
            return ("ok", media, tsv)
        out = io.BytesIO()
        parse_query_results(tsv, QueryResultsFormat.TSV).serialize(out, fmt)
        return ("ok", media, out.getvalue())
    media, rdf = _choose(accept, GRAPH_FORMATS, "a graph (CONSTRUCT/DESCRIBE)")
    counted = _CountingWriter(max_rows)
    try:
        result.serialize(cast(IO[bytes], counted), RdfFormat.N_TRIPLES)
    except OSError as err:
        if isinstance(err.__cause__, _TooMany) or counted.lines > counted.limit:
            raise _TooMany from None
        raise
    nt = counted.buffer.getvalue()
    if rdf == RdfFormat.N_TRIPLES:
        return ("ok", media, nt)
    out = io.BytesIO()
    serialize(parse(nt, RdfFormat.N_TRIPLES), out, rdf)
    return ("ok", media, out.getvalue())


def _choose(accept: Sequence[str], formats: dict[str, Any], what: str) -> tuple[str, Any]:
    if not accept:
        media = next(iter(formats))
        return media, formats[media]
    for media in accept:
        if media in formats:
            return media, formats[media]
        if media in ("*/*", "application/*", "text/*"):
            for known in formats:
                if media == "*/*" or known.startswith(media[:-1]):
                    return known, formats[known]
    raise _NoFormat(
        f"{what} can be sent as {', '.join(formats)}; the request accepts {', '.join(accept)}"
    )


# -- back in the server ----------------------------------------------------------------------


def _answer(outcome: tuple[Any, ...], max_rows: int) -> QueryAnswer:
    kind = outcome[0]
    if kind == "ok":
        return QueryAnswer(outcome[1], outcome[2])
    if kind == "syntax":
        raise syntax_error(SyntaxError(outcome[1]))
    if kind == "too-many":
        raise ResultTooLarge(max_rows)
    if kind == "not-acceptable":
        raise NotAcceptable(outcome[1])
    raise (
        QuerySyntaxError(outcome[1])
        if "SyntaxError" in outcome[1]
        else _evaluation_error(outcome[1])
    )


def _evaluation_error(message: str) -> Exception:
    from kgrepo.errors import InvalidInput

    return InvalidInput("Query", "query", message[:80], f"evaluation failed: {message}")


__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "GatedStore",
    "QueryAnswer",
    "QueryRequest",
    "QueryRunner",
]
