"""The remote store (kgrepo.remote, Repository.connect) against a real ``oxigraph serve``: what the
contract suite does not cover (it runs over this backend too): atomicity of one update request,
the protocol paths, errors, the CLI's ``--repo URL``. Sharing by processes: test_remote_sharing.py.
"""

from __future__ import annotations

import base64
import http.server
import io
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from conftest import ServerPool
from oxigraph_server import OxigraphServer
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryTriples,
    RdfFormat,
)

import kgrepo
from kgrepo import InvalidInput, QuerySyntaxError, Repository, StoreUnavailable
from kgrepo.cli import main
from kgrepo.remote import SparqlStore

pytestmark = pytest.mark.server

G = NamedNode("urn:test:g")
S = NamedNode("urn:test:s")
P = NamedNode("urn:test:p")
NASTY = ['a "quoted" value', "line\nbreak", 'triple """ quotes', "brace } and > and \\", "ünï 😀"]


@pytest.fixture
def server(oxigraph_pool: ServerPool, request: pytest.FixtureRequest) -> OxigraphServer:
    """An empty ``oxigraph serve`` of the session's pool."""
    return oxigraph_pool.acquire(request.node.nodeid)


@pytest.fixture
def store(server: OxigraphServer) -> Iterator[SparqlStore]:
    s = SparqlStore(f"{server.url}/query", f"{server.url}/update", f"{server.url}/store")
    yield s
    s.close()


def quads_of(store: SparqlStore) -> set[Quad]:
    return set(store.quads())


# -- atomicity -------------------------------------------------------------------------------------
def test_a_multi_operation_update_request_is_all_or_nothing(store: SparqlStore) -> None:
    """replace() relies on it: the server applies one request in one transaction."""
    store.extend([Quad(S, P, Literal("old"), G)])
    before = quads_of(store)
    with pytest.raises(StoreUnavailable, match=r"answered 500: The graph <urn:test:g> already"):
        store.update(
            'DELETE DATA { GRAPH <urn:test:g> { <urn:test:s> <urn:test:p> "old" } } ;\n'
            'INSERT DATA { GRAPH <urn:test:g> { <urn:test:s> <urn:test:p> "new" } } ;\n'
            "CREATE GRAPH <urn:test:g>"
        )
    assert quads_of(store) == before


def test_replace_swaps_in_one_request(store: SparqlStore) -> None:
    store.extend([Quad(S, P, Literal("old"), G), Quad(S, P, Literal("kept"), G)])
    store.replace([Quad(S, P, Literal("old"), G)], [Quad(S, P, Literal("new"), G)])
    assert quads_of(store) == {Quad(S, P, Literal("kept"), G), Quad(S, P, Literal("new"), G)}
    store.replace([], [])
    with pytest.raises(InvalidInput, match=r"field 'remove'.*DELETE DATA cannot name blank nodes"):
        store.replace([Quad(S, P, BlankNode(), G)], [Quad(S, P, Literal("x"), G)])
    assert Quad(S, P, Literal("x"), G) not in quads_of(store)


def test_values_that_look_like_syntax_are_stored_verbatim(store: SparqlStore) -> None:
    quads = [Quad(S, P, Literal(v), G) for v in NASTY] + [Quad(S, P, Literal("d"), DefaultGraph())]
    store.extend(quads)
    assert quads_of(store) == set(quads)
    for q in quads:
        assert store.contains(q)
    assert store.held([*quads, Quad(S, P, Literal("absent"), G)]) == quads
    rows = store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"s": S})
    assert {r["o"].value for r in rows} == set(NASTY)  # type: ignore[union-attr]
    store.replace(quads[:2], [])
    assert quads_of(store) == set(quads[2:])


# -- the protocol paths ----------------------------------------------------------------------------
@pytest.mark.parametrize("with_store_url", [True, False])
def test_quads_dump_load_and_len_with_and_without_the_graph_store_protocol(
    server: OxigraphServer, with_store_url: bool
) -> None:
    store_url = f"{server.url}/store" if with_store_url else None
    with closing(SparqlStore(f"{server.url}/query", f"{server.url}/update", store_url)) as store:
        quads = [Quad(S, P, Literal(v), G) for v in NASTY]
        quads.append(Quad(S, P, Literal("d"), DefaultGraph()))
        data = pyoxigraph.serialize(quads, format=RdfFormat.N_QUADS)
        assert data is not None
        store.load(io.BytesIO(data), "nquads")
        assert len(store) == len(quads)
        assert set(store.quads()) == set(quads)
        assert set(store.quads(G)) == set(quads[:-1])
        assert list(store.quads(NamedNode("urn:test:none"))) == []
        assert store.contains_graph(G) and not store.contains_graph(NamedNode("urn:test:none"))
        out = io.BytesIO()
        store.dump(out, "trig")
        assert set(pyoxigraph.parse(out.getvalue(), RdfFormat.TRIG)) == set(quads)
        with pytest.raises(SyntaxError):
            bad = b"<urn:a> <urn:b> <urn:c> <urn:g> .\n<urn:a> <urn:b> ."
            store.load(io.BytesIO(bad), "nquads")
        assert len(store) == len(quads)


def test_query_results_are_pyoxigraph_results_and_union_is_per_query(store: SparqlStore) -> None:
    store.extend([Quad(S, P, Literal("in g"), G), Quad(S, P, Literal("default"), DefaultGraph())])
    # As on the embedded store, the union default graph is every graph, the default one included.
    union = store.query("SELECT ?o WHERE { ?s ?p ?o }")
    assert [v.value for v in union.variables] == ["o"]  # type: ignore[union-attr]
    assert {r["o"] for r in union} == {Literal("in g"), Literal("default")}  # type: ignore[union-attr]
    plain = store.query("SELECT ?o WHERE { ?s ?p ?o }", union=False)
    assert [r[0] for r in plain] == [Literal("default")]  # type: ignore[union-attr]
    ask = store.query("ASK { ?s kg:nothing ?o }")
    assert isinstance(ask, QueryBoolean) and not ask
    graph = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(graph, QueryTriples)
    assert [(t.subject, t.object) for t in graph] == [(S, Literal("in g"))]


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "bindings"),
    [
        ("SELECT * WHERE { ?s ?p }", {}),
        ("SELECT ?s WHERE {\n  ?s ?p ?o ..\n}", {"s": S}),
        ("SELECT ?s WHERE { ?s ?p ?o .. }", {"s": S}),
    ],
)
def test_syntax_errors_give_the_position_in_the_callers_text(
    store: SparqlStore, text: str, bindings: dict[str, NamedNode]
) -> None:
    with pytest.raises(QuerySyntaxError) as local:
        kgrepo.Repository.in_memory().store.query(text)
    assert local.value.line is not None
    position = f"error at {local.value.line}:{local.value.column}: "
    with pytest.raises(QuerySyntaxError, match=f"^{position}") as err:
        store.query(text, bindings)
    assert (err.value.line, err.value.column) == (local.value.line, local.value.column)


def test_update_syntax_errors_give_the_position_in_the_callers_text(store: SparqlStore) -> None:
    text = "INSERT DATA { <urn:a> <urn:b> }"
    with pytest.raises(QuerySyntaxError) as local:
        kgrepo.Repository.in_memory().store.update(text)
    with pytest.raises(QuerySyntaxError, match=f"^error at 1:{local.value.column}: ") as err:
        store.update(text)
    assert (err.value.line, err.value.column) == (1, local.value.column)


def test_an_unreachable_server_is_store_unavailable_naming_the_url_and_the_fix() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(
        StoreUnavailable,
        match=rf"cannot reach the SPARQL server at {re.escape(url)}/query: .*Start it "
        r"\(e\.g\. `oxigraph serve",
    ):
        Repository.connect(url)


def test_a_server_that_does_not_answer_times_out_as_store_unavailable() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with closing(SparqlStore(f"{url}/query", f"{url}/update", timeout=0.2)) as store:
            with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.2 s"):
                store.query("ASK {}")
            with pytest.raises(StoreUnavailable, match=r"It may or may not have been applied"):
                store.extend([Quad(S, P, Literal("x"), G)])


def test_a_wrong_endpoint_and_a_closed_store_are_store_unavailable(server: OxigraphServer) -> None:
    with (
        closing(SparqlStore(f"{server.url}/nothing", f"{server.url}/update")) as store,
        pytest.raises(StoreUnavailable, match=r"/nothing answered 404"),
    ):
        store.query("ASK {}")
    store.close()  # closing again does nothing
    with pytest.raises(StoreUnavailable, match="the repository is closed"):
        store.query("ASK {}")


class _AuthHandler(http.server.BaseHTTPRequestHandler):
    """A loopback endpoint that answers ASK queries only with the right basic credentials."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
        if self.headers.get("Authorization") != expected:
            body, status, media = b"bad credentials", 401, "text/plain"
        else:
            body, status, media = (
                b'{"head":{},"boolean":true}',
                200,
                "application/sparql-results+json",
            )
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_credentials_are_sent_and_a_refusal_is_store_unavailable() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AuthHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/sparql"
    try:
        with closing(SparqlStore(url, url, auth=("alice", "s3cret"))) as good:
            assert bool(good.query("ASK {}")) is True
        with (
            closing(SparqlStore(url, url, auth=("alice", "wrong"))) as bad,
            pytest.raises(
                StoreUnavailable, match=r"refused the request \(401\): bad credentials\. Check the"
            ),
        ):
            bad.query("ASK {}")
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "ftp://host"}, "query_url"),
        ({"url": "127.0.0.1:7878"}, "query_url"),
        ({}, "url"),
        ({"query_url": "http://h/q"}, "url"),
        ({"url": "http://h", "base": "no-slash"}, "base"),
    ],
)
def test_connect_refuses_bad_arguments(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput, match=f"field '{field}'"):
        Repository.connect(**kwargs)  # type: ignore[arg-type]


def test_connect_with_explicit_endpoints(server: OxigraphServer) -> None:
    with Repository.connect(
        query_url=f"{server.url}/query", update_url=f"{server.url}/update"
    ) as repo:
        repo.experiment("explicit")
        assert [e["name"] for e in repo.experiments()] == ["explicit"]
        assert repr(repo) == f"Repository('{server.url}/query', base='https://kgrepo.example/')"


# -- the CLI ---------------------------------------------------------------------------------------
def test_the_cli_takes_a_server_url_as_repo(server: OxigraphServer, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--repo", server.url, "demo"])
    assert result.exit_code == 0, result.output
    assert f"kgrepo --repo {server.url} query" in result.output
    result = runner.invoke(main, ["--repo", server.url, "info"])
    assert result.exit_code == 0, result.output
    assert f"repository: {server.url}" in result.output
    assert "digits" in result.output
    result = runner.invoke(
        main,
        ["--repo", server.url, "query", "-o", "json", "SELECT (COUNT(*) AS ?n) { ?r a kg:Run }"],
        # the root-cause scenario's 2 runs and the tuning history's 80
    )
    assert result.exit_code == 0, result.output
    assert '"n": "82"' in result.output
    assert not (tmp_path / "http:").exists()


def test_the_cli_reports_an_unreachable_server(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(main, ["--repo", f"http://127.0.0.1:{port}", "info"])
    assert result.exit_code == 1
    assert f"cannot reach the SPARQL server at http://127.0.0.1:{port}/query" in result.output
