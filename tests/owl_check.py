"""OWL consistency of kgrepo's ontology, ML-Schema and PROV-O, optionally with instance data.

``check_consistency(extra_ntriples)`` loads ontology/kgrepo.ttl and the local copies in
ontology/imports/ (converted to N-Triples with rdflib, since owlready2 cannot read Turtle) plus the
given N-Triples into one fresh owlready2 World, entirely from memory (no network, no owl:imports),
and runs HermiT on it. HermiT needs ``java`` on PATH; ``java_available()`` tells.

``materialisation_problems(graph)`` lists where ``graph`` breaks the materialisation rule of
docs/ontology.md: every super-type and super-property written next to every kg: type and property.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import owlready2
import rdflib
from rdflib.namespace import RDF, RDFS

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "kgrepo.ttl"
IMPORTS = (
    ROOT / "ontology" / "imports" / "MLSchema.ttl",
    ROOT / "ontology" / "imports" / "prov-o.ttl",
)

KG = rdflib.Namespace("https://w3id.org/kgrepo#")
MLS = rdflib.Namespace("http://www.w3.org/ns/mls#")

# Where each N-Triples text is loaded in the World; owlready2 wants one ontology IRI per load.
_DATA_IRI = "https://kgrepo.example/owl-check/data#"

# HermiT rejects xsd:dateTime literals with over 3 fractional digits (MalformedLiteralException)
# though they are valid XSD, and kgrepo writes microseconds; milliseconds are all consistency needs.
_SUB_MILLISECONDS = re.compile(
    r'("-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d+'  # "2026-11-22T11:26:48.615 | 753
    r'([^"]*"\^\^<http://www\.w3\.org/2001/XMLSchema#dateTime>)'  # +00:00"^^<...#dateTime>
)


def java_available() -> bool:
    return shutil.which("java") is not None


def turtle_to_ntriples(path: Path) -> str:
    return rdflib.Graph().parse(path, format="turtle").serialize(format="nt")


def check_consistency(extra_ntriples: str = "") -> None:
    """Run HermiT on kgrepo.ttl + MLSchema.ttl + prov-o.ttl (+ ``extra_ntriples``).

    Raises ``owlready2.OwlReadyInconsistentOntologyError`` (message: "... inconsistent ...") if
    they are inconsistent, ``owlready2.OwlReadyJavaError`` if HermiT itself fails. Fractions of a
    second in xsd:dateTime literals are cut to milliseconds first, the most HermiT accepts.
    """
    world = owlready2.World()
    try:
        sources = [(f"file://{p}#", turtle_to_ntriples(p)) for p in (ONTOLOGY, *IMPORTS)]
        if extra_ntriples:
            sources.append((_DATA_IRI, _SUB_MILLISECONDS.sub(r"\1\2", extra_ntriples)))
        for iri, ntriples in sources:
            stream = io.BytesIO(ntriples.encode("utf-8"))
            world.get_ontology(iri).load(fileobj=stream, format="ntriples")
        try:
            owlready2.sync_reasoner(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            n = len(extra_ntriples.splitlines())
            raise owlready2.OwlReadyInconsistentOntologyError(
                f"HermiT: kgrepo.ttl + ML-Schema + PROV-O + {n} extra triples are inconsistent"
            ) from error
    finally:
        world.close()


def _closure(graph: rdflib.Graph, term: rdflib.URIRef, link: rdflib.URIRef) -> set[rdflib.URIRef]:
    """Every super-term of ``term`` along ``link`` (rdfs:subClassOf or rdfs:subPropertyOf)."""
    found: set[rdflib.URIRef] = set()
    todo = [term]
    while todo:
        for parent in graph.objects(todo.pop(), link):
            if isinstance(parent, rdflib.URIRef) and parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def materialisation_problems(data: rdflib.Graph) -> list[str]:
    """Statements missing next to ``data``'s kg: types and properties, or there by mistake.

    For every ``?s a kg:C``: ``?s a S`` for each super-class S of kg:C in kgrepo.ttl (transitively,
    kg: super-classes included). For every ``?s kg:p ?o``: ``?s P ?o`` for each super-property P.
    And the two exceptions of docs/ontology.md: ``?s mls:hasOutput ?o`` exactly when ``?o`` is a
    kg:Model or kg:Metrics and ``?o kg:generatedBy ?s``; ``?s mls:hasInput
    ?o`` exactly when ``?o`` is a kg:Dataset and ``?s kg:used ?o`` or ``?s kg:consumed ?o``.
    """
    ontology = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    problems = []
    for s, cls in data.subject_objects(RDF.type):
        if isinstance(cls, rdflib.URIRef) and cls.startswith(KG):
            for sup in sorted(_closure(ontology, cls, RDFS.subClassOf)):
                if (s, RDF.type, sup) not in data:
                    problems.append(f"missing {s.n3()} a {sup.n3()} (it is a {cls.n3()})")
    for s, p, o in data:
        if isinstance(p, rdflib.URIRef) and p.startswith(KG):
            for sup in sorted(_closure(ontology, p, RDFS.subPropertyOf)):
                if (s, sup, o) not in data:
                    problems.append(f"missing {s.n3()} {sup.n3()} {o.n3()} (from {p.n3()})")
            if p == KG.generatedBy:
                modelish = (s, RDF.type, KG.Model) in data or (s, RDF.type, KG.Metrics) in data
                if modelish != ((o, MLS.hasOutput, s) in data):
                    what = "missing" if modelish else "unexpected"
                    problems.append(f"{what} {o.n3()} mls:hasOutput {s.n3()} (from {p.n3()})")
            if p in (KG.used, KG.consumed):
                dataish = (o, RDF.type, KG.Dataset) in data
                if dataish != ((s, MLS.hasInput, o) in data):
                    what = "missing" if dataish else "unexpected"
                    problems.append(f"{what} {s.n3()} mls:hasInput {o.n3()} (from {p.n3()})")
    return problems
