"""What kgrepo writes is readable by tools that know only the standards.

The demo's data, exported, is loaded by rdflib (another SPARQL engine) and answers plain PROV-O and
ML-Schema queries; it follows the materialisation rule of docs/ontology.md; and, with kgrepo.ttl,
ML-Schema and PROV-O, it is consistent for an OWL reasoner (HermiT).
"""

from __future__ import annotations

import io

import pyoxigraph
import pytest
import rdflib
from owl_check import check_consistency, java_available, materialisation_problems

import kgrepo
from kgrepo import demo


def union_ntriples(repo: kgrepo.Repository) -> str:
    """The union of all graphs of ``repo``, through its N-Quads export, as N-Triples."""
    buffer = io.BytesIO()
    repo.dump(buffer, "nquads")
    triples = {
        pyoxigraph.Triple(q.subject, q.predicate, q.object)
        for q in pyoxigraph.parse(buffer.getvalue(), pyoxigraph.RdfFormat.N_QUADS)
    }
    return pyoxigraph.serialize(
        sorted(triples, key=str), format=pyoxigraph.RdfFormat.N_TRIPLES
    ).decode()


@pytest.fixture(scope="module")
def exported() -> tuple[demo.DemoResult, rdflib.Graph]:
    repo = kgrepo.Repository.in_memory()
    result = demo.record(repo)
    return result, rdflib.Graph().parse(data=union_ntriples(repo), format="nt")


def _rows(graph: rdflib.Graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row) for row in graph.query(query)}  # type: ignore[union-attr]


def test_plain_prov_query_in_rdflib(exported: tuple[demo.DemoResult, rdflib.Graph]) -> None:
    result, graph = exported
    rows = _rows(
        graph,
        """PREFIX prov: <http://www.w3.org/ns/prov#>
           PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT DISTINCT ?model ?name WHERE {
             ?model prov:wasGeneratedBy/prov:used ?data . ?data rdfs:label ?name .
             ?model a <http://www.w3.org/ns/mls#Model> }""",
    )
    assert rows == {
        (result.good_model, "digits-train"),
        (result.bad_model, "alphanumeric-train"),
    }


def test_plain_mls_query_in_rdflib(exported: tuple[demo.DemoResult, rdflib.Graph]) -> None:
    result, graph = exported
    rows = _rows(
        graph,
        """PREFIX mls: <http://www.w3.org/ns/mls#>
           PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT DISTINCT ?run ?name WHERE {
             ?run mls:hasInput ?data . ?data a mls:Dataset ; rdfs:label ?name .
             ?experiment a mls:Experiment ; mls:hasPart ?run }""",
    )
    # The workflow runs read the raw datasets (their prepare steps are runs of their own).
    assert rows == {(result.good_run, "digits"), (result.bad_run, "alphanumeric")}
    settings = _rows(
        graph,
        """PREFIX mls: <http://www.w3.org/ns/mls#>
           PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT DISTINCT ?name ?value WHERE {
             ?run mls:hasInput ?setting . ?setting a mls:HyperParameterSetting ;
               mls:specifiedBy/rdfs:label ?name ; mls:hasValue ?value }""",
    )
    assert {("C", "10.0"), ("kernel", "rbf"), ("seed", "7")} <= settings


def test_materialisation_rule(exported: tuple[demo.DemoResult, rdflib.Graph]) -> None:
    _, graph = exported
    assert materialisation_problems(graph) == []


@pytest.mark.slow
@pytest.mark.skipif(not java_available(), reason="the HermiT reasoner needs `java` on PATH")
def test_demo_data_is_consistent_with_the_ontologies() -> None:
    repo = kgrepo.Repository.in_memory()
    demo.record(repo)
    check_consistency(union_ntriples(repo))
