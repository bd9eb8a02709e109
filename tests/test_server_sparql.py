"""The SPARQL 1.1 Protocol of a live ``kgrepo serve``, through real clients (SPARQLWrapper, rdflib),
and its limits: syntax errors, refused queries, a runaway query, a huge result."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph
import pytest
import rdflib
from _live_server import LiveServer, live_server
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

pytestmark = pytest.mark.server

PROBLEM = "https://w3id.org/kgrepo/problems/"
LINEAGE = """
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?model ?data WHERE { ?model prov:wasGeneratedBy/prov:used ?data } ORDER BY ?data
"""
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("sparql")
    options = ("--demo", "--anonymous-read", "--query-timeout", "2", "--max-rows", "1000")
    with live_server(directory, *options) as live:
        yield live


def _wrapper(server: LiveServer, token: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.addCustomHttpHeader("Authorization", f"Bearer {token}")
    return sparql


def test_sparqlwrapper_select_in_every_results_format(server: LiveServer) -> None:
    sparql = _wrapper(server, server.reader)
    sparql.setQuery(LINEAGE)
    sparql.setReturnFormat(JSON)
    rows = sparql.query().convert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert len(rows) >= 2
    assert any(
        r["data"]["value"].endswith("digits-train") or "Dataset" in r["data"]["value"] for r in rows
    )
    sparql.setReturnFormat(XML)
    xml = sparql.query().convert()
    assert len(xml.getElementsByTagName("result")) == len(rows)  # type: ignore[union-attr]
    sparql.setReturnFormat(CSV)
    csv = sparql.query().convert()
    assert csv.decode().splitlines()[0] == "model,data"  # type: ignore[union-attr]
    sparql.setMethod("POST")
    sparql.setReturnFormat(JSON)
    again = sparql.query().convert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert again == rows


#: One triple: the demo's root-cause experiment (the demo also records a tuning history).
DIGITS_EXPERIMENT = (
    "CONSTRUCT { ?e a kg:Experiment } WHERE { ?e a kg:Experiment ; rdfs:label 'digits' }"
)


def test_sparqlwrapper_construct_and_ask(server: LiveServer) -> None:
    sparql = _wrapper(server, server.reader)
    sparql.setQuery(
        "CONSTRUCT { ?e a kg:Experiment } WHERE { ?e a kg:Experiment ; rdfs:label 'digits' }"
    )
    sparql.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=sparql.query().convert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) == 1
    sparql.setQuery("ASK { ?e a kg:Experiment }")
    sparql.setReturnFormat(JSON)
    assert sparql.query().convert()["boolean"] is True  # type: ignore[index,call-overload]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/n-quads", "application/n-quads"),
        ("application/trig;q=0.5, text/turtle", "text/turtle"),
    ],
)
def test_graph_formats(server: LiveServer, accept: str, media: str) -> None:
    response = httpx.get(
        server.url + "/sparql",
        params={"query": DIGITS_EXPERIMENT},
        headers={**server.headers(server.reader), "Accept": accept},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    rdf_format = pyoxigraph.RdfFormat.from_media_type(media)
    assert rdf_format is not None
    assert len(list(pyoxigraph.parse(response.content, rdf_format))) == 1


def test_tsv_and_not_acceptable(server: LiveServer) -> None:
    headers = server.headers(server.reader)
    tsv = httpx.get(
        server.url + "/sparql",
        params={"query": "SELECT ?e WHERE { ?e a kg:Experiment ; rdfs:label 'digits' }"},
        headers={**headers, "Accept": "text/tab-separated-values"},
    )
    assert tsv.text.splitlines() == ["?e", "<https://kgrepo.example/experiment/digits>"]
    refused = httpx.get(
        server.url + "/sparql",
        params={"query": "SELECT ?e WHERE { ?e a kg:Experiment }"},
        headers={**headers, "Accept": "image/png"},
    )
    assert refused.status_code == 406
    assert refused.json()["type"] == PROBLEM + "not-acceptable"


def test_rdflib_sparqlstore_and_update_store(server: LiveServer) -> None:
    store = SPARQLStore(server.url + "/sparql", headers=server.headers(server.reader))
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(LINEAGE))
    assert len(rows) >= 2
    update = SPARQLUpdateStore(
        server.url + "/sparql",
        server.url + "/sparql/update",
        headers=server.headers(server.admin),
    )
    named = rdflib.Graph(store=update, identifier=rdflib.URIRef("urn:kgrepo:test:rdflib"))
    named.add((rdflib.URIRef("urn:x"), rdflib.URIRef("urn:p"), rdflib.Literal("via rdflib")))
    back = list(graph.query("SELECT ?o WHERE { <urn:x> <urn:p> ?o }"))
    assert [str(r[0]) for r in back] == ["via rdflib"]  # type: ignore[index]


def test_default_and_named_graph_uri(server: LiveServer) -> None:
    headers = {**server.headers(server.admin), "content-type": "application/sparql-update"}
    httpx.post(
        server.url + "/sparql/update",
        content="INSERT DATA { GRAPH <urn:g:one> { <urn:s> <urn:p> 1 } "
        "GRAPH <urn:g:two> { <urn:s> <urn:p> 2 } }",
        headers=headers,
    ).raise_for_status()
    query = "SELECT ?o WHERE { <urn:s> <urn:p> ?o } ORDER BY ?o"
    read = server.headers(server.reader)

    def values(**params: object) -> list[str]:
        response = httpx.get(
            server.url + "/sparql", params={"query": query, **params}, headers=read
        )
        assert response.status_code == 200, response.text
        return [b["o"]["value"] for b in response.json()["results"]["bindings"]]

    assert values() == ["1", "2"]
    assert values(**{"default-graph-uri": "urn:g:two"}) == ["2"]
    named = httpx.post(
        server.url + "/sparql",
        data={
            "query": "SELECT ?g ?o WHERE { GRAPH ?g { <urn:s> <urn:p> ?o } }",
            "named-graph-uri": "urn:g:one",
        },
        headers=read,
    ).json()["results"]["bindings"]
    assert [(b["g"]["value"], b["o"]["value"]) for b in named] == [("urn:g:one", "1")]
    bad = httpx.get(
        server.url + "/sparql",
        params={"query": query, "default-graph-uri": "not an iri"},
        headers=read,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "default-graph-uri"


def test_syntax_error_says_line_and_column(server: LiveServer) -> None:
    response = httpx.get(
        server.url + "/sparql",
        params={"query": "SELECT ?s\nWHERE { ?s ?p }"},
        headers=server.headers(server.reader),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == PROBLEM + "query-syntax"
    assert (body["line"], body["column"]) == (2, 16)  # as pyoxigraph reports it


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "/sparql/update"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ],
)
def test_refused_queries(server: LiveServer, query: str, says: str) -> None:
    response = httpx.post(
        server.url + "/sparql", data={"query": query}, headers=server.headers(server.reader)
    )
    assert response.status_code == 400, response.text
    assert response.json()["type"] == PROBLEM + "query-refused"
    assert says in response.json()["detail"]


def test_update_form_and_refused_load(server: LiveServer) -> None:
    headers = server.headers(server.admin)
    load = httpx.post(
        server.url + "/sparql/update",
        data={"update": "LOAD <http://example.org/x.ttl>"},
        headers=headers,
    )
    assert load.status_code == 400 and load.json()["type"] == PROBLEM + "query-refused"
    wrong = httpx.post(
        server.url + "/sparql/update",
        content="x",
        headers={**headers, "content-type": "text/plain"},
    )
    assert wrong.status_code == 415


def _children_cpu(pid: int) -> float:
    """CPU seconds used so far by the live children of ``pid`` (the query workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def test_runaway_query_is_stopped_without_stalling_others(server: LiveServer) -> None:
    read = server.headers(server.reader)
    outcome: dict[str, httpx.Response] = {}

    def runaway() -> None:
        outcome["r"] = httpx.get(
            server.url + "/sparql", params={"query": RUNAWAY}, headers=read, timeout=60
        )

    thread = threading.Thread(target=runaway)
    started = time.monotonic()
    thread.start()
    time.sleep(0.5)
    quick = httpx.get(
        server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=read, timeout=60
    )
    assert quick.status_code == 200
    assert time.monotonic() - started < 2.0  # answered while the runaway query was running
    thread.join()
    response = outcome["r"]
    assert response.status_code == 503
    assert response.json()["type"] == PROBLEM + "query-timeout"
    # the worker evaluating it was killed: no process of the server is still burning CPU on it
    before = _children_cpu(server.process.pid)
    time.sleep(1.0)
    assert _children_cpu(server.process.pid) - before < 0.2


def test_millions_of_rows_are_refused_not_truncated(server: LiveServer) -> None:
    response = httpx.get(
        server.url + "/sparql",
        params={"query": HUGE},
        headers=server.headers(server.reader),
        timeout=60,
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "result-too-large"
    assert response.json()["limit"] == 1000


def test_query_sees_every_acknowledged_write(server: LiveServer) -> None:
    with server.client(server.writer) as client:
        for i in range(3):
            run = client.post("/api/v1/runs", json={"experiment": f"fresh-{i}"}).json()["iri"]
            rows = client.get("/sparql", params={"query": f"ASK {{ <{run}> a kg:Run }}"}).json()
            assert rows["boolean"] is True


def test_anonymous_read_when_switched_on(server: LiveServer) -> None:
    response = httpx.get(server.url + "/sparql", params={"query": "ASK { ?s a kg:Run }"})
    assert response.status_code == 200 and response.json()["boolean"] is True
    assert httpx.get(server.url + "/api/v1/experiments").status_code == 200
    write = httpx.post(server.url + "/api/v1/runs", json={"experiment": "digits"})
    assert write.status_code == 401
    assert write.json()["detail"] == "this needs a token with the role writer"


def test_writes_after_an_update_that_removed_shared_statements(server: LiveServer) -> None:
    """An update may delete what the server believes the store holds; later writes restore it."""
    admin = {**server.headers(server.admin), "content-type": "application/sparql-update"}
    with server.client(server.writer) as client:
        step = {
            "name": "s",
            "inputs": [{"kind": "Dataset", "name": "shared", "digest": "sha256:99"}],
        }
        first = client.post("/api/v1/runs", json={"experiment": "cache"}).json()["iri"]
        data = client.post(f"/api/v1/runs/{first}/steps", json=step).json()["inputs"][0]
        httpx.post(
            server.url + "/sparql/update",
            content=f"DELETE WHERE {{ GRAPH ?g {{ <{data}> rdfs:label ?l }} }}",
            headers=admin,
        ).raise_for_status()
        second = client.post("/api/v1/runs", json={"experiment": "cache"}).json()["iri"]
        assert client.post(f"/api/v1/runs/{second}/steps", json=step).status_code == 201
        labels = client.get(
            "/sparql", params={"query": f"SELECT ?l WHERE {{ <{data}> rdfs:label ?l }}"}
        ).json()["results"]["bindings"]
        assert [b["l"]["value"] for b in labels] == ["shared"]
