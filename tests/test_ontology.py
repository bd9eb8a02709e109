"""kgrepo's ontology, SHACL shapes and vocabulary module against docs/ontology.md and W3C sources.

docs/ontology.md is the binding design: its term table is parsed here, so the ontology cannot
drift from it. The HermiT checks (``slow``) start a JVM: about 2-5 s each.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import owlready2
import pyoxigraph
import pyshacl
import pytest
import rdflib
from owl_check import (
    check_consistency,
    java_available,
    materialisation_problems,
    turtle_to_ntriples,
)
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from kgrepo import _vocab as vocab

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ontology.md"
ONTOLOGY = ROOT / "ontology" / "kgrepo.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
MLSCHEMA = ROOT / "ontology" / "imports" / "MLSchema.ttl"
PROV_O = ROOT / "ontology" / "imports" / "prov-o.ttl"
SAMPLE = ROOT / "tests" / "data" / "sample_run.ttl"
# IRIs in the sample run
RUN = "https://kgrepo.example/run/5f0c3c9e-8d4e-4c5e-9a51-2f1f0b7d6a10"
MODEL = "https://kgrepo.example/artifact/Model/sha256%3Aa1b2c3"
DATASET = "https://kgrepo.example/artifact/Dataset/sha256%3A7e8f90"

KG = rdflib.Namespace("https://w3id.org/kgrepo#")
MLS = rdflib.Namespace("http://www.w3.org/ns/mls#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
PREFIXES = {"kg": KG, "mls": MLS, "prov": PROV, "xsd": XSD, "rdfs": RDFS}
KIND = {
    "class": OWL.Class,
    "object property": OWL.ObjectProperty,
    "datatype property": OWL.DatatypeProperty,
}
PREFIXED = re.compile(r"\b(kg|mls|prov|xsd):([A-Za-z]+)")

needs_java = pytest.mark.skipif(
    not java_available(), reason="the HermiT reasoner needs `java` on PATH, and it is not there"
)


def curie(term: str) -> rdflib.URIRef:
    prefix, local = term.split(":")
    return PREFIXES[prefix][local]


@cache
def graph(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


@cache
def doc_rows() -> list[tuple[list[str], str, set[str], str]]:
    """The rows of the "## Terms" table: (terms, kind, super-terms, domain -> range)."""
    section = DOC.read_text(encoding="utf-8").split("## Terms", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("kg:"):
            continue  # the header, the separator, text around the table
        terms = [t.strip() for t in cells[0].split("/")]
        # "prov:generated (+ mls:hasOutput for models and metrics)": the parenthesis is not a
        # super-property, it is written only for some objects (see kg:hasOutput's comment).
        supers = {":".join(m) for m in PREFIXED.findall(re.sub(r"\(.*?\)", "", cells[2]))}
        rows.append((terms, cells[1], supers, cells[3]))
    return rows


def doc_terms() -> dict[str, str]:
    """Every kg: term the table declares -> its kind ("individual" for Running, Manual, ...)."""
    terms = {}
    for names, kind, _, domain_range in doc_rows():
        terms.update(dict.fromkeys(names, kind))
        if domain_range.startswith("individuals"):
            terms.update(dict.fromkeys(re.findall(r"kg:\w+", domain_range), "individual"))
    return terms


def declared_kg_terms() -> set[rdflib.URIRef]:
    subjects = graph(ONTOLOGY).subjects(RDF.type)
    return {s for s in subjects if isinstance(s, rdflib.URIRef) and s.startswith(str(KG))}


# --- (a) the files parse ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES, SAMPLE], ids=lambda p: p.name)
def test_parses_in_rdflib_and_pyoxigraph(path: Path) -> None:
    assert len(graph(path)) > 0
    quads = list(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(graph(path))


def test_imports_are_w3c_ontologies_and_not_owl_imported() -> None:
    assert (MLS[""], RDF.type, OWL.Ontology) in graph(MLSCHEMA)
    assert (PROV[""], RDF.type, OWL.Ontology) in graph(PROV_O)
    # Offline tools must never try to fetch anything: the alignment is rdfs:seeAlso only.
    assert not list(graph(ONTOLOGY).triples((None, OWL.imports, None)))
    ontology = rdflib.URIRef("https://w3id.org/kgrepo")
    assert set(graph(ONTOLOGY).objects(ontology, RDFS.seeAlso)) == {MLS[""], PROV[""]}
    assert graph(ONTOLOGY).value(ontology, OWL.versionInfo) == rdflib.Literal("0.1.0")


# --- (b) every term of docs/ontology.md, declared and documented -------------------------------


def test_doc_table_is_parsed() -> None:
    terms = doc_terms()
    assert len(terms) > 80
    assert terms["kg:outputSchema"] == "datatype property"  # "kg:inputSchema / kg:outputSchema"
    assert terms["kg:RequirementFailure"] == "individual"


@pytest.mark.parametrize("term, kind", sorted(doc_terms().items()))
def test_doc_term_is_declared(term: str, kind: str) -> None:
    iri = curie(term)
    if kind == "individual":
        assert (iri, RDF.type, OWL.NamedIndividual) in graph(ONTOLOGY)
    else:
        assert (iri, RDF.type, KIND[kind]) in graph(ONTOLOGY)


def test_no_term_beyond_the_doc() -> None:
    documented = {curie(t) for t in doc_terms()}
    assert declared_kg_terms() - documented == set()


def test_every_term_has_english_label_and_comment() -> None:
    g = graph(ONTOLOGY)
    for term in declared_kg_terms():
        labels = [x for x in g.objects(term, RDFS.label) if getattr(x, "language", None) == "en"]
        comments = [x for x in g.objects(term, RDFS.comment) if len(str(x)) > 20]
        assert labels and comments, f"{term} needs an English rdfs:label and a real rdfs:comment"


@pytest.mark.parametrize(
    "cls, members",
    [
        (KG.Status, {"Running", "Succeeded", "Failed", "Abandoned"}),
        (
            KG.TriggerCause,
            {"Manual", "Schedule", "DataChange", "CodeChange", "RequirementFailure", "OtherCause"},
        ),
    ],
)
def test_individuals_are_typed_and_all_different(cls: rdflib.URIRef, members: set[str]) -> None:
    g = graph(ONTOLOGY)
    assert set(g.subjects(RDF.type, cls)) == {KG[m] for m in members}
    lists = [set(Collection(g, node)) for node in g.objects(None, OWL.distinctMembers)]
    assert {KG[m] for m in members} in lists


# --- (c) super-terms, domains and ranges as in the doc; every mls:/prov: IRI exists -------------


def super_terms(term: rdflib.URIRef) -> set[rdflib.URIRef]:
    g = graph(ONTOLOGY)
    return set(g.objects(term, RDFS.subClassOf)) | set(g.objects(term, RDFS.subPropertyOf))


@pytest.mark.parametrize(
    "names, supers", [(names, supers) for names, _, supers, _ in doc_rows()], ids=str
)
def test_super_terms_are_those_of_the_doc(names: list[str], supers: set[str]) -> None:
    # Exactly, not "at least": kgrepo materialises what kgrepo.ttl says, the doc promises the table.
    for name in names:
        assert super_terms(curie(name)) == {curie(s) for s in supers}


@pytest.mark.parametrize(
    "term, sup",
    [
        ("kg:Run", "mls:Run"),
        ("kg:Run", "prov:Activity"),
        ("kg:Execution", "mls:Run"),
        ("kg:Dataset", "mls:Dataset"),
        ("kg:Dataset", "kg:Artifact"),
        ("kg:Artifact", "prov:Entity"),
        ("kg:used", "prov:used"),
        ("kg:generatedBy", "prov:wasGeneratedBy"),
        ("kg:value", "mls:hasValue"),
        ("kg:triggeredBy", "prov:wasStartedBy"),
        ("kg:associatedWith", "prov:wasAssociatedWith"),
    ],
)
def test_key_alignments(term: str, sup: str) -> None:
    assert curie(sup) in super_terms(curie(term))


def all_super_properties(term: rdflib.URIRef) -> set[rdflib.URIRef]:
    g = graph(ONTOLOGY) + graph(MLSCHEMA) + graph(PROV_O)
    return set(g.transitive_objects(term, RDFS.subPropertyOf)) - {term}


@pytest.mark.parametrize("prop", [KG.hasOutput], ids=str)
def test_outputs_are_not_mls_has_output(prop: rdflib.URIRef) -> None:
    # mls:hasOutput's range is mls:Model or mls:ModelEvaluation, disjoint from mls:Data.
    assert MLS.hasOutput not in all_super_properties(prop)
    assert PROV.generated in all_super_properties(prop)
    assert "mls:hasOutput" in " ".join(graph(ONTOLOGY).objects(prop, RDFS.comment))


def test_mls_and_prov_iris_exist_in_the_copies() -> None:
    declared = set(graph(MLSCHEMA).subjects(RDF.type)) | set(graph(PROV_O).subjects(RDF.type))
    used = {
        node
        for triple in graph(ONTOLOGY)
        for node in triple
        if isinstance(node, rdflib.URIRef) and str(node).startswith((str(MLS), str(PROV)))
    }
    assert used, "kgrepo.ttl refers to no ML-Schema or PROV-O term"
    assert used - declared == set()


def expected_ranges(names: list[str], domain_range: str) -> list[rdflib.URIRef]:
    """The rdfs:range per property of a datatype-property row ("literal" is rdfs:Literal)."""
    if "literal" in domain_range:
        return [RDFS.Literal] * len(names)
    ranges = [XSD[m[1]] for m in PREFIXED.findall(domain_range) if m[0] == "xsd"]
    # "kg:threshold / kg:comparison / kg:priority | ... xsd:double / xsd:string / xsd:integer"
    return ranges if len(ranges) == len(names) else ranges[:1] * len(names)


@pytest.mark.parametrize(
    "names, domain_range",
    [(names, dr) for names, kind, _, dr in doc_rows() if kind == "datatype property"],
    ids=str,
)
def test_datatype_property_ranges(names: list[str], domain_range: str) -> None:
    for name, expected in zip(names, expected_ranges(names, domain_range), strict=True):
        assert list(graph(ONTOLOGY).objects(curie(name), RDFS.range)) == [expected]


@pytest.mark.parametrize(
    "names", [names for names, _, _, dr in doc_rows() if dr.startswith("anything")], ids=str
)
def test_no_domain_where_the_doc_says_anything(names: list[str]) -> None:
    for name in names:
        assert graph(ONTOLOGY).value(curie(name), RDFS.domain) is None


def union_members(node: rdflib.term.Node) -> set[rdflib.term.Node]:
    g = graph(ONTOLOGY)
    members = g.value(node, OWL.unionOf)
    return set(Collection(g, members)) if members else {node}


@pytest.mark.parametrize(
    "prop, domain, range_",
    [
        (KG.hasRun, {KG.Experiment}, {KG.Run}),
        (KG.executes, {KG.Run, KG.Execution}, {KG.Workflow, KG.Executable}),
        (KG.used, {KG.Execution}, {KG.Artifact}),
        (KG.hasOutput, {KG.Execution}, {KG.Artifact}),
        (KG.triggeredBy, {KG.Run}, {KG.Event}),
        (KG.status, {KG.Run, KG.Execution}, {KG.Status}),
        (KG.concerns, {KG.Event}, {KG.Artifact, KG.Executable}),
        # kg:measure is used by kg:Requirement too (shapes.ttl); a domain of kg:Metrics alone
        # would make every requirement an mls:ModelEvaluation, disjoint from its
        # mls:EvaluationSpecification.
        (KG.measure, {KG.Metrics, KG.Requirement}, {KG.EvaluationMeasure}),
        (KG.value, {KG.HyperParameterSetting, KG.Metrics, KG.DatasetCharacteristic}, None),
        (KG.uri, {KG.Artifact, KG.Executable, KG.Workflow}, None),
    ],
    ids=lambda v: v.fragment if isinstance(v, rdflib.URIRef) else None,
)
def test_domains_and_ranges(
    prop: rdflib.URIRef, domain: set[rdflib.URIRef], range_: set[rdflib.URIRef] | None
) -> None:
    g = graph(ONTOLOGY)
    assert union_members(g.value(prop, RDFS.domain)) == domain
    if range_ is not None:
        assert union_members(g.value(prop, RDFS.range)) == range_


# --- the SHACL shapes --------------------------------------------------------------------------

# The SHACL subset kgrepo's validator supports is listed once: tools/gen_vocab.py writes it as SH.
SHACL_SUBSET = {
    rdflib.URIRef(v.value) for v in vars(vocab.SH).values() if isinstance(v, pyoxigraph.NamedNode)
}
SHAPED = [
    "Experiment", "Run", "Execution", "Artifact", "Dataset", "Model", "Metrics", "Event",
    "Executable", "Workflow", "HyperParameter", "HyperParameterSetting", "Agent", "Annotation",
    "DatasetCharacteristic", "EvaluationMeasure", "Environment", "Package", "Requirement", "Flag",
]  # fmt: skip


def test_one_commented_shape_per_class() -> None:
    g = graph(SHAPES)
    shapes = set(g.subjects(RDF.type, SH.NodeShape))
    assert shapes == {KG[c + "Shape"] for c in SHAPED}
    for cls in SHAPED:
        shape = KG[cls + "Shape"]
        assert list(g.objects(shape, SH.targetClass)) == [KG[cls]]
        assert (KG[cls], RDF.type, OWL.Class) in graph(ONTOLOGY)
        assert g.value(shape, RDFS.comment) is not None, f"{shape} needs an rdfs:comment"


def test_shapes_use_only_the_supported_subset() -> None:
    g = graph(SHAPES)
    for shape in g.subjects(RDF.type, SH.NodeShape):
        assert {p for p in g.predicates(shape) if p.startswith(str(SH))} <= SHACL_SUBSET
        for prop in g.objects(shape, SH.property):
            assert isinstance(prop, rdflib.BNode)
            assert set(g.predicates(prop)) <= SHACL_SUBSET
            path = g.value(prop, SH.path)
            assert isinstance(path, rdflib.URIRef), f"{shape}: sh:path must be a single IRI"
            known = any((path, RDF.type, None) in graph(p) for p in (ONTOLOGY, PROV_O))
            assert known or path in (RDFS.label, RDFS.comment), f"{shape}: unknown path {path}"
            assert g.value(prop, SH.name) is not None, f"{shape} {path}: sh:name missing"
            assert g.value(prop, SH.nodeKind) in (None, SH.IRI, SH.Literal)


def test_sample_run_conforms_to_shapes() -> None:
    conforms, _, report = pyshacl.validate(graph(SAMPLE), shacl_graph=graph(SHAPES))
    assert conforms, report


def test_shapes_reject_a_malformed_digest() -> None:
    data = graph(SAMPLE) + rdflib.Graph()
    data.set((rdflib.URIRef(MODEL), KG.digest, rdflib.Literal("a1b2c3")))
    conforms, _, report = pyshacl.validate(data, shacl_graph=graph(SHAPES))
    assert not conforms
    assert "digest: at most one, of the form algorithm:hex" in report


# --- the sample run follows the materialisation rule and answers the doc's queries -------------


def test_sample_run_is_fully_materialised() -> None:
    assert materialisation_problems(graph(SAMPLE)) == []


def test_materialisation_check_sees_gaps() -> None:
    data = graph(SAMPLE) + rdflib.Graph()
    data.remove((None, PROV.wasGeneratedBy, None))
    data.remove((None, MLS.hasOutput, None))
    problems = materialisation_problems(data)
    assert any("prov#wasGeneratedBy" in p and p.startswith("missing") for p in problems)
    assert any(p.startswith("missing") and "mls:hasOutput" in p and "Model" in p for p in problems)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?model ?data WHERE { ?model prov:wasGeneratedBy/prov:used ?data }",
        "SELECT ?run ?data WHERE { ?run mls:hasInput ?data . ?data a mls:Dataset }",
        "SELECT ?setting ?param ?value WHERE { ?run mls:hasInput ?setting . "
        "?setting a mls:HyperParameterSetting ; mls:specifiedBy ?param ; mls:hasValue ?value }",
        "SELECT ?run ?model WHERE { ?run mls:hasOutput ?model . ?model a mls:Model }",
    ],
)
def test_sample_answers_plain_prov_and_mls_queries(query: str) -> None:
    store = pyoxigraph.Store()
    store.load(path=SAMPLE, format=pyoxigraph.RdfFormat.TURTLE)
    prefixes = f"PREFIX prov: <{PROV}> PREFIX mls: <{MLS}> "
    assert list(store.query(prefixes + query)), query


# --- (d) OWL consistency with HermiT -----------------------------------------------------------


@pytest.mark.slow
@needs_java
def test_ontology_is_consistent_with_mls_and_prov() -> None:
    check_consistency()


@pytest.mark.slow
@needs_java
def test_sample_run_is_consistent() -> None:
    check_consistency(turtle_to_ntriples(SAMPLE))


@pytest.mark.slow
@needs_java
@pytest.mark.parametrize(
    "extra",
    [
        # ML-Schema's disjointness reaches kg: classes: a dataset is not a model.
        f"<{RUN}/x> <{RDF.type}> <{KG.Dataset}> .\n<{RUN}/x> <{RDF.type}> <{KG.Model}> .\n",
        # Why kgrepo writes mls:hasOutput only for models and metrics (docs/ontology.md).
        f"<{RUN}/execution/1> <{MLS.hasOutput}> <{DATASET}> .\n",
    ],
    ids=["dataset-and-model", "mls-hasOutput-of-a-dataset"],
)
def test_reasoner_detects_inconsistency(extra: str) -> None:
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError, match="inconsistent"):
        check_consistency(turtle_to_ntriples(SAMPLE) + extra)


@pytest.mark.slow
@needs_java
def test_evaluate_step_using_a_model_is_consistent() -> None:
    # kg:used is not a sub-property of mls:hasInput (docs/ontology.md, "Two exceptions"): an
    # evaluation step reading a model stays consistent with ML-Schema's disjointness axioms.
    check_consistency(turtle_to_ntriples(SAMPLE) + f"<{RUN}/execution/3> <{KG.used}> <{MODEL}> .\n")


# --- (e) the generated vocabulary is in sync ----------------------------------------------------


def test_vocab_module_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_vocab.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
