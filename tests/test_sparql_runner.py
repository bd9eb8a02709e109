"""The query workers of ``/sparql`` on their own: snapshots follow writes, limits stop queries,
a dead worker is replaced."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import anyio
import pytest
from kgrepo.api.problems import NotAcceptable, QueryTimeout, ResultTooLarge, ServerBusy
from kgrepo.api.sparql_runner import GatedStore, QueryAnswer, QueryRequest, QueryRunner
from pyoxigraph import Literal, NamedNode, Quad

from kgrepo.errors import QuerySyntaxError, StoreUnavailable

T = TypeVar("T")
P = NamedNode("urn:p")
G = NamedNode("urn:g")


@pytest.fixture
def runner() -> Iterator[QueryRunner]:
    store = GatedStore(None)
    store.extend([Quad(NamedNode(f"urn:s{i}"), P, Literal(i), G) for i in range(200)])
    pool = QueryRunner(store, workers=1, timeout=1.0, max_rows=100)
    yield pool
    pool.close()


def _values(runner: QueryRunner, query: str) -> list[str]:
    answer = runner.run(QueryRequest(query))
    assert answer.media_type == "application/sparql-results+json"
    rows = json.loads(answer.body)["results"]["bindings"]
    return [b["o"]["value"] for b in rows]


def test_a_query_sees_every_write_before_it(runner: QueryRunner) -> None:
    assert _values(runner, "SELECT ?o WHERE { <urn:new> <urn:p> ?o }") == []
    runner.store.extend([Quad(NamedNode("urn:new"), P, Literal("fresh"), G)])
    assert _values(runner, "SELECT ?o WHERE { <urn:new> <urn:p> ?o }") == ["fresh"]


def test_a_dead_worker_is_replaced(runner: QueryRunner) -> None:
    assert _values(runner, "SELECT ?o WHERE { <urn:s1> <urn:p> ?o }") == ["1"]
    worker = runner._slots.queue[0]
    assert worker is not None
    os.kill(worker.pid, signal.SIGKILL)
    time.sleep(0.1)
    assert _values(runner, "SELECT ?o WHERE { <urn:s2> <urn:p> ?o }") == ["2"]


def test_limits(runner: QueryRunner) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than 1 s"):
        runner.run(QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))
    assert time.monotonic() - started < 3
    with pytest.raises(ResultTooLarge, match="more than 100 rows"):
        runner.run(QueryRequest("SELECT * WHERE { ?s ?p ?o }"))
    assert len(_values(runner, "SELECT ?o WHERE { ?s ?p ?o } LIMIT 100")) == 100
    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        runner.run(QueryRequest("SELECT * WHERE { ?s ?p }"))
    with pytest.raises(NotAcceptable, match="SELECT results can be sent as"):
        runner.run(QueryRequest("SELECT * WHERE { ?s ?p ?o } LIMIT 1", accept=("image/png",)))


def test_graphs_are_limited_and_converted(runner: QueryRunner) -> None:
    with pytest.raises(ResultTooLarge):
        runner.run(QueryRequest("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))
    answer = runner.run(
        QueryRequest(
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3", accept=("application/ld+json",)
        )
    )
    assert answer.media_type == "application/ld+json"
    assert len(json.loads(answer.body)) == 3
    default = runner.run(QueryRequest("DESCRIBE <urn:s1>"))
    assert default.media_type == "text/turtle"
    assert b"urn:s1" in default.body


def _on_uvloop(coroutine: Callable[[], Awaitable[T]]) -> T:
    """Runs ``coroutine`` on the event loop ``kgrepo serve`` runs on (uvicorn picks uvloop)."""
    return anyio.run(coroutine, backend_options={"use_uvloop": True})


def test_on_the_event_loop_an_answer_larger_than_the_pipe_arrives_whole() -> None:
    # The loop's poller makes the pipe non-blocking: an answer of several pipe buffers must still
    # be read whole, not taken for a dead worker.
    store = GatedStore(None)
    store.extend([Quad(NamedNode(f"urn:s{i}"), P, Literal("x" * 200), G) for i in range(5_000)])
    pool = QueryRunner(store, workers=1, timeout=10.0, max_rows=10_000)
    try:
        for _ in range(3):
            answer = _on_uvloop(lambda: pool.answer(QueryRequest("SELECT * WHERE { ?s ?p ?o }")))
            assert len(answer.body) > 1_000_000
            assert len(json.loads(answer.body)["results"]["bindings"]) == 5_000
    finally:
        pool.close()


def test_on_the_event_loop_limits_hold_and_a_cancelled_query_stops_its_worker(
    runner: QueryRunner,
) -> None:
    runaway = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than 1 s"):
        _on_uvloop(lambda: runner.answer(runaway))
    assert time.monotonic() - started < 3

    async def cancelled() -> None:
        with anyio.move_on_after(0.2):  # the client went away while its query ran
            await runner.answer(runaway)

    _on_uvloop(cancelled)
    stopped = runner._slots.queue[0]
    assert stopped is None  # not put back computing: its answer would reach the next query
    query = QueryRequest("SELECT ?o WHERE { <urn:s3> <urn:p> ?o }")
    answer = _on_uvloop(lambda: runner.answer(query))
    assert [b["o"]["value"] for b in json.loads(answer.body)["results"]["bindings"]] == ["3"]


def test_on_the_event_loop_a_query_waits_for_a_busy_worker_up_to_the_time_limit(
    runner: QueryRunner,
) -> None:
    query = QueryRequest("SELECT ?o WHERE { <urn:s4> <urn:p> ?o }")
    held = runner._take()  # the only worker, busy with another query

    async def freed_meanwhile() -> QueryAnswer:
        async def free() -> None:
            await anyio.sleep(0.3)
            runner._slots.put(held)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(free)
            return await runner.answer(query)

    answer = _on_uvloop(freed_meanwhile)
    assert [b["o"]["value"] for b in json.loads(answer.body)["results"]["bindings"]] == ["4"]

    held = runner._take()
    with pytest.raises(ServerBusy, match="stayed busy for 1 s"):
        _on_uvloop(lambda: runner.answer(query))
    runner._slots.put(held)
    runner.close()
    with pytest.raises(StoreUnavailable, match="shutting down"):
        _on_uvloop(lambda: runner.answer(query))
