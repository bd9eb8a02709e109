"""The fast SHACL path (kgrepo/validation.py, from ontology/shapes.ttl) agrees with pySHACL.

Valid records are the triples kgrepo itself writes (each graph of a small in-memory repository);
invalid ones are hand-modified copies. For each, pySHACL's verdict (``inference="none"``, the
same shapes, plus the shapes of custom kinds from the repository's schema graph) must equal
whether the fast validator accepts it; for invalid records, the field the fast validator names
must be one pySHACL reports too. The compiler must refuse SHACL it does not implement rather than
check less than the shapes say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyshacl
import pytest
import rdflib
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize
from rdflib.namespace import SH

import kgrepo
from kgrepo import _ontology
from kgrepo.validation import Validator, compile_shapes

KG = "https://w3id.org/kgrepo#"
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
XSD = "http://www.w3.org/2001/XMLSchema#"
KIND = "https://kgrepo.example/kind/Validation/"  # the custom kind's attributes (default base)

Statement = tuple[object, NamedNode, object]


def kg(name: str) -> NamedNode:
    return NamedNode(KG + name)


def to_rdflib(triples: Iterable[Statement]) -> rdflib.Graph:
    """pyoxigraph terms → an rdflib graph, through N-Triples."""
    text = serialize([Triple(s, p, o) for s, p, o in triples], format=RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=text.decode(), format="nt")


@dataclass
class Recorded:
    """What a small repository holds, and the shapes it validates against."""

    graphs: dict[str, list[Statement]]
    shape_quads: list[Quad]
    iris: dict[str, NamedNode]


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    repo = kgrepo.Repository.in_memory()
    try:
        Validation = repo.register_kind(
            "Validation", {"verdict": (str, True), "score": float, "attempts": int}
        )
        exp = repo.experiment("digits", goal="digits", annotations={"owner": "qa", "n": 3})
        trigger = kgrepo.Trigger.data_change(by="airflow", reason="new data",
                                             concerns="https://example.org/data/v2")  # fmt: skip
        with exp.run(trigger=trigger, config={"seed": 1, "opt": {"lr": 0.1}}) as run:
            exe = kgrepo.Executable("train.py", version="a1", digest="sha256:00ff")
            with run.step("train", kind="train", executable=exe) as train:
                data = train.use(
                    kgrepo.Dataset("digits", digest="sha256:ab", uri="file:///d.csv",
                                   characteristics={"rows": 1797}, storage_type="blob")
                )  # fmt: skip
                train.set_params(C=1.0, kernel="rbf", layers=[1, 2])
                model = train.produce(kgrepo.Model("svc", framework=("sklearn", "1.5")))
                metric = train.log_metric("accuracy", 0.97, of=model, scope="class 3")
            with run.step("validate", kind="evaluate") as check:
                validation = check.produce(Validation("check", verdict="pass", attempts=2))
        with pytest.raises(RuntimeError, match="boom"), exp.run() as failed, failed.step("s"):
            raise RuntimeError("boom")
        tricky = 'x" } ; DROP ALL ; #\n"""ü'
        with exp.run(name=tricky) as odd, odd.step(tricky, kind=tricky) as step:
            step.use(kgrepo.Dataset(tricky, description=tricky))
        running = exp.run().start()
        graphs: dict[str, list[Statement]] = {}
        for q in repo.store.quads():
            graphs.setdefault(q.graph_name.value, []).append((q.subject, q.predicate, q.object))
        running.end()
        schema = list(repo.store.quads(NamedNode(repo.base + "schema")))
        env = next(g for g in graphs if "/environment/" in g)
        # A run's record: its graph, and the descriptions of the entities it shares with others.
        shared = graphs[repo.base + "entities"]
        named = {
            "sketch run": graphs[run.iri.value] + shared,
            "failed run": graphs[failed.iri.value] + shared,
            "tricky run": graphs[odd.iri.value] + shared,
            "running run": graphs[running.iri.value] + shared,
            "experiment": graphs[exp.iri.value],
            "environment": graphs[env],
            "schema": [(q.subject, q.predicate, q.object) for q in schema],
        }
        iris = {
            "run": run.iri,
            "data": data.iri,
            "model": model.iri,
            "metric": metric.iri,
            "validation": validation.iri,
            "event": NamedNode(run.iri.value + "/trigger"),
            "setting": NamedNode(train.iri.value + "/setting/C"),
            "agent": NamedNode(repo.base + "agent/airflow"),
            "execution": train.iri,
        }
        return Recorded(named, [*_ontology.shapes_quads(), *schema], iris)
    finally:
        repo.close()


def pyshacl_verdict(recorded: Recorded, triples: list[Statement]) -> tuple[bool, rdflib.Graph]:
    shapes = to_rdflib((q.subject, q.predicate, q.object) for q in recorded.shape_quads)
    conforms, results, _ = pyshacl.validate(
        to_rdflib(triples), shacl_graph=shapes, inference="none"
    )
    return bool(conforms), results


def fast_verdict(recorded: Recorded, triples: list[Statement]) -> kgrepo.ValidationError | None:
    validator = Validator(compile_shapes(recorded.shape_quads))
    try:
        validator.check(triples, str)  # type: ignore[arg-type]
    except kgrepo.ValidationError as err:
        return err
    return None


def violated_fields(recorded: Recorded, results: rdflib.Graph) -> set[str]:
    """The sh:name of the property shapes on every path pySHACL reports a violation on."""
    shapes = to_rdflib((q.subject, q.predicate, q.object) for q in recorded.shape_quads)
    fields = set()
    for path in results.objects(None, SH.resultPath):
        for shape in shapes.subjects(SH.path, path):
            fields.add(str(shapes.value(shape, SH.name)))
    return fields


VALID = ["sketch run", "failed run", "tricky run", "running run", "experiment", "environment"]


@pytest.mark.parametrize("record", VALID)
def test_records_kgrepo_writes_are_valid_for_both(recorded: Recorded, record: str) -> None:
    triples = recorded.graphs[record]
    conforms, results = pyshacl_verdict(recorded, triples)
    assert conforms, results.serialize(format="turtle")
    assert fast_verdict(recorded, triples) is None


def _drop(subject: str, predicate: NamedNode) -> Callable[[Recorded, list[Statement]], None]:
    def change(r: Recorded, triples: list[Statement]) -> None:
        target = r.iris[subject]
        kept = [t for t in triples if not (t[0] == target and t[1] == predicate)]
        assert len(kept) < len(triples), (subject, predicate)
        triples[:] = kept

    return change


def _add(
    subject: str, predicate: NamedNode, value: object
) -> Callable[[Recorded, list[Statement]], None]:
    def change(r: Recorded, triples: list[Statement]) -> None:
        triples.append((r.iris[subject], predicate, value))

    return change


def _set(
    subject: str, predicate: NamedNode, value: object
) -> Callable[[Recorded, list[Statement]], None]:
    def change(r: Recorded, triples: list[Statement]) -> None:
        _drop(subject, predicate)(r, triples)
        _add(subject, predicate, value)(r, triples)

    return change


# (the change, the field the fast validator should name)
INVALID: dict[str, tuple[Callable[[Recorded, list[Statement]], None], str]] = {
    "missing execution name": (_drop("execution", RDFS_LABEL), "name"),
    "missing run start": (_drop("run", NamedNode("http://www.w3.org/ns/prov#startedAtTime")),
                          "started"),
    "missing execution kind": (_drop("execution", kg("stepKind")), "kind"),
    "two statuses on a run": (_add("run", kg("status"), kg("Failed")), "status"),
    "unknown status": (_set("run", kg("status"), kg("Exploded")), "status"),
    "status as a literal": (_set("run", kg("status"), Literal("Succeeded")), "status"),
    "metric value as a string": (_set("metric", kg("value"), Literal("0.97")), "value"),
    "metric value as an integer": (_set("metric", kg("value"), Literal(1)), "value"),
    "metric value as a decimal": (
        _set("metric", kg("value"), Literal("0.97", datatype=NamedNode(XSD + "decimal"))), "value"),
    "metric value ill-typed double": (
        _set("metric", kg("value"), Literal("high", datatype=NamedNode(XSD + "double"))), "value"),
    "metric without measure": (_drop("metric", kg("measure")), "measure"),
    "bad digest": (_set("data", kg("digest"), Literal("nocolon")), "digest"),
    "digest with a space": (_set("data", kg("digest"), Literal("sha256:ab cd")), "digest"),
    "two digests": (_add("data", kg("digest"), Literal("sha256:cd")), "digest"),
    "blank name": (_set("data", RDFS_LABEL, Literal("   ")), "name"),
    "empty name": (_set("model", RDFS_LABEL, Literal("")), "name"),
    "language-tagged name": (_set("data", RDFS_LABEL, Literal("digits", language="en")), "name"),
    "name as an IRI": (_set("data", RDFS_LABEL, NamedNode("https://example.org/digits")), "name"),
    "uri as a string": (_set("data", kg("uri"), Literal("file:///d.csv")), "uri"),
    "trigger without cause": (_drop("event", kg("cause")), "cause"),
    "unknown cause": (_set("event", kg("cause"), kg("Whim")), "cause"),
    "setting value as an IRI": (_set("setting", kg("value"), kg("one")), "value"),
    "setting without value": (_drop("setting", kg("value")), "value"),
    "two names on an agent": (_add("agent", RDFS_LABEL, Literal("cron")), "name"),
    "custom kind without its required attribute": (
        _drop("validation", NamedNode(KIND + "verdict")), "verdict"),
    "custom attribute of the wrong datatype": (
        _set("validation", NamedNode(KIND + "attempts"), Literal("2")), "attempts"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_records_are_refused_by_both(recorded: Recorded, case: str) -> None:
    change, field = INVALID[case]
    triples = list(recorded.graphs["sketch run"])
    change(recorded, triples)
    conforms, results = pyshacl_verdict(recorded, triples)
    err = fast_verdict(recorded, triples)
    assert not conforms, f"pySHACL accepts {case!r}: the change does not break a shape"
    assert err is not None, f"pySHACL refuses {case!r}, the fast validator accepts it"
    assert err.field == field
    assert err.field in violated_fields(recorded, results)
    assert f"field {field!r}" in str(err)


def test_every_shape_is_compiled(recorded: Recorded) -> None:
    rules = compile_shapes(recorded.shape_quads)
    shapes = to_rdflib((q.subject, q.predicate, q.object) for q in recorded.shape_quads)
    targets = set(shapes.objects(None, SH.targetClass))
    assert {r.target.value for r in rules} == {str(t) for t in targets}
    properties = len(set(shapes.objects(None, SH.property)))
    assert sum(len(r.properties) for r in rules) == properties


# -- SHACL the compiler does not implement is refused, not skipped ------------------------------

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def compile_turtle(text: str) -> list[object]:
    return compile_shapes(parse((PREFIXES + text).encode(), RdfFormat.TURTLE))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ;"
            " sh:or ( [ sh:datatype xsd:string ] [ sh:datatype xsd:integer ] ) ] .",
            r"unsupported SHACL terms in a property shape: \['<http://www.w3.org/ns/shacl#or>'\]",
        ),
        (
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
            " sh:property [ sh:path ex:p ; sh:class ex:D ] .",
            "unsupported SHACL terms in a property shape: .*shacl#class",
        ),
        (
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
            " sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ] .",
            "only single-IRI sh:path is supported",
        ),
        (
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
            " sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ] .",
            "only single-IRI sh:path is supported",
        ),
    ],
    ids=["property-or", "property-class", "inverse-path", "sequence-path"],
)
def test_unsupported_property_constraints_are_refused(shape: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_turtle(shape)


@pytest.mark.parametrize(
    "shape",
    [
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
        " sh:or ( [ sh:path ex:p ; sh:minCount 1 ] [ sh:path ex:q ; sh:minCount 1 ] ) .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true ;"
        " sh:property [ sh:path ex:p ] .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:nodeKind sh:IRI .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:T ."
        " ex:T a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;"
        " sh:property [ sh:path ex:p ; sh:maxCount 1 ] .",
        "ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property [ sh:path ex:p ; sh:maxCount 1 ] .",
    ],
    ids=["node-or", "closed", "node-kind", "node", "target-subjects-of", "target-node"],
)
def test_unsupported_node_constraints_and_targets_are_refused(shape: str) -> None:
    # The compiler promises to refuse what it does not implement, "so the fast path can never
    # silently check less than the shapes say"; node-level constraints and other targets count.
    with pytest.raises(ValueError, match="unsupported SHACL"):
        compile_turtle(shape)


def test_unknown_regex_flags_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="flags"):
        compile_turtle(
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
            ' sh:property [ sh:path ex:p ; sh:pattern "a" ; sh:flags "q" ] .'
        )
