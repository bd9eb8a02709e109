"""Bad input is refused with a typed error naming the field and the value, and writes nothing.

Two situations:

- input given outside an open step (value objects, experiments, runs, kinds, the repository): the
  store's full quad set is the same before and after the refused call;
- input given inside an open step: the refused call itself writes nothing, and the exception then
  fails the step and the run like any other (``kg:errorType`` / ``kg:errorMessage``); the bad
  value appears nowhere in the store but in those error messages.

Names and values with quotes, ``>``, ``\"\"\"``, newlines, braces, SPARQL keywords and unicode are
not bad input: they are stored verbatim and read back identically.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kgrepo import (
    Agent,
    Artifact,
    Conflict,
    Dataset,
    Executable,
    Experiment,
    InvalidInput,
    InvalidState,
    KgRepoError,
    Model,
    Repository,
    Run,
    Status,
    Step,
    Trigger,
    ValidationError,
    Workflow,
)

KG = "https://w3id.org/kgrepo#"
XSD_DOUBLE = NamedNode("http://www.w3.org/2001/XMLSchema#double")
ERROR_MESSAGE = NamedNode(KG + "errorMessage")


def all_quads(repo: Repository) -> set[Quad]:
    """Every quad of every named graph, read through SPARQL (works on every backend)."""
    rows = repo.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows}


def names(field: str, value: Any) -> str:
    """The part of an :class:`InvalidInput` message that names the field and the value."""
    return re.escape(f"field {field!r} = {value!r}")


@dataclass
class Open:
    """A repository with an experiment, a running run and an open step, written before the
    snapshot a case is compared against."""

    repo: Repository
    exp: Experiment
    run: Run
    step: Step


@pytest.fixture
def opened(repo: Repository) -> Iterator[Open]:
    exp = repo.experiment("bad input")
    run = exp.run().start()
    step = run.step("victim")
    step.__enter__()
    yield Open(repo, exp, run, step)
    if step.status is Status.RUNNING and run.status is Status.RUNNING:
        step.__exit__(None, None, None)
    if run.status is Status.RUNNING:
        run.end()


def refused_outside(
    opened: Open, bad: Callable[[Open], object], error: type[KgRepoError], match: str
) -> KgRepoError:
    before = all_quads(opened.repo)
    with pytest.raises(error, match=match) as info:
        bad(opened)
    assert all_quads(opened.repo) == before
    assert opened.run.status is Status.RUNNING
    return info.value


def refused_inside(
    repo: Repository,
    bad: Callable[[Step], object],
    error: type[KgRepoError],
    match: str,
    needle: str,
) -> KgRepoError:
    """Runs ``bad`` in an open step; checks the call wrote nothing, the step and run are recorded
    failed with the error, and ``needle`` (part of the bad value) is only in error messages."""
    exp = repo.experiment("bad input")
    with pytest.raises(error, match=match) as outer:
        with exp.run() as run, run.step("victim") as step:
            before = all_quads(repo)
            with pytest.raises(error, match=match) as info:
                bad(step)
            assert all_quads(repo) == before
            raise info.value
    err = outer.value
    assert run.status is Status.FAILED
    assert step.status is Status.FAILED
    for entity in (run, step):
        rows = repo.select(
            """SELECT ?x ?status ?type ?message WHERE {
                 ?x kg:status ?status ; kg:errorType ?type ; kg:errorMessage ?message }""",
            x=entity.iri,
        )
        assert rows == [
            {"x": entity.iri.value, "status": KG + "Failed", "type": type(err).__name__,
             "message": str(err)}
        ]  # fmt: skip
    for q in all_quads(repo):
        if q.predicate == ERROR_MESSAGE:
            continue
        for term in (q.subject, q.object):
            assert needle not in term.value, q
    assert_no_non_finite_double(repo)
    return err


def assert_no_non_finite_double(repo: Repository) -> None:
    for q in all_quads(repo):
        if isinstance(q.object, Literal) and q.object.datatype == XSD_DOUBLE:
            assert math.isfinite(float(q.object.value)), q


# -- empty and whitespace names ----------------------------------------------------------------------

BLANKS = ["", "   ", "\t\n"]

BLANK_NAME_OUTSIDE: dict[str, tuple[Callable[[Open, str], object], str]] = {
    "experiment": (lambda o, v: o.repo.experiment(v), "name"),
    "run name": (lambda o, v: o.exp.run(name=v), "name"),
    "step": (lambda o, v: o.run.step(v), "name"),
    "step kind": (lambda o, v: o.run.step("s", kind=v), "kind"),
    "artifact": (lambda o, v: Artifact(v), "name"),
    "dataset": (lambda o, v: Dataset(v), "name"),
    "model": (lambda o, v: Model(v), "name"),
    "executable": (lambda o, v: Executable(v), "name"),
    "workflow": (lambda o, v: Workflow(v), "name"),
    "agent": (lambda o, v: Agent(v), "name"),
    "run agent": (lambda o, v: o.exp.run(agent=v), "name"),
    "trigger agent": (lambda o, v: Trigger.manual(by=v), "name"),
    "custom kind": (lambda o, v: o.repo.register_kind(v, {"verdict": str}), "name"),
    "attribute": (lambda o, v: o.repo.register_kind("Validation", {v: str}), "attribute name"),
    "run parameter name": (lambda o, v: o.exp.run(config={v: 1}), "parameter name"),
    "annotation key": (lambda o, v: o.repo.experiment("new", annotations={v: 1}), "annotation key"),
}


@pytest.mark.parametrize("blank", BLANKS, ids=["empty", "spaces", "tab-newline"])
@pytest.mark.parametrize("case", list(BLANK_NAME_OUTSIDE))
def test_blank_names_are_refused(opened: Open, case: str, blank: str) -> None:
    bad, field = BLANK_NAME_OUTSIDE[case]
    refused_outside(opened, lambda o: bad(o, blank), InvalidInput, names(field, blank))


BLANK_NAME_INSIDE: dict[str, tuple[Callable[[Step, str], object], str]] = {
    "metric": (lambda s, v: s.log_metric(v, 0.5), "name"),
    "parameter name": (lambda s, v: s.set_param_dict({v: 1}), "parameter name"),
    "nested parameter name": (lambda s, v: s.set_param_dict({"opt": {v: 1}}), "parameter name"),
    "step annotation key": (lambda s, v: s.annotate(**{v: 1}), "annotation key"),
    "artifact annotation key": (
        lambda s, v: s.use(Dataset("d", annotations={v: "zq-needle"})),
        "annotation key",
    ),
}


@pytest.mark.parametrize("blank", BLANKS, ids=["empty", "spaces", "tab-newline"])
@pytest.mark.parametrize("case", list(BLANK_NAME_INSIDE))
def test_blank_names_inside_a_step_are_refused(repo: Repository, case: str, blank: str) -> None:
    bad, field = BLANK_NAME_INSIDE[case]
    refused_inside(repo, lambda s: bad(s, blank), InvalidInput, names(field, blank), "zq-needle")


def test_names_must_be_strings(opened: Open) -> None:
    refused_outside(opened, lambda o: o.repo.experiment(3), InvalidInput, names("name", 3))
    refused_outside(opened, lambda o: o.run.step(None), InvalidInput, names("name", None))
    refused_outside(opened, lambda o: Dataset(b"raw"), InvalidInput, names("name", b"raw"))


# -- quotes, brackets, keywords and unicode are accepted verbatim --------------------------------------

TRICKY = [
    'double "quoted"',
    "single 'quoted'",
    "a > b < c",
    'triple """ quotes',
    "line\nbreak\r\nand tab\t",
    "brace } and { and ]",
    'x" } ; DROP ALL ; #',
    "x' } ; CLEAR DEFAULT ; INSERT DATA { <http://evil.example/a> <http://evil.example/b> <http://evil.example/c> } #",
    "<https://kgrepo.example/experiment/other>",
    "back\\slash \\u0022 \\n",
    "ünïcødé 数字 🚀 e\u0301",
    "a/b?c#d%20&e=f",
    "SELECT * WHERE { ?s ?p ?o }",
]


def record_everywhere(repo: Repository, text: str) -> None:
    exp = repo.experiment(text, goal=text, annotations={text: text})
    trigger = Trigger.manual(by=Agent(text, role=text), reason=text)
    with exp.run(name=text, trigger=trigger, config={text: text}, annotations={text: text}) as run:
        exe = Executable(text, version=text, description=text, digest="sha256:ab")
        with run.step(text, kind=text, executable=exe, annotations={text: text}) as step:
            data = step.use(
                Dataset(text, description=text, version=text, storage_type=text,
                        characteristics={text: text}, annotations={text: text})
            )  # fmt: skip
            step.set_param_dict({"p " + text: text})
            model = step.produce(Model(text, algorithm=text, framework=(text, text)))
            step.log_metric(text, 0.25, of=model, scope=text)
            step.annotate(**{"k " + text: text})
    assert data.name == text


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_is_stored_verbatim_and_read_back(repo: Repository, text: str) -> None:
    record_everywhere(repo, text)
    assert repo.experiment(text).goal == text
    assert [e["name"] for e in repo.experiments()] == [text]

    labels = repo.select("SELECT ?x ?label WHERE { ?x rdfs:label ?label }", label=Literal(text))
    # experiment, run, agent, step, executable, dataset, model, metric, measure, characteristic
    assert len(labels) == 10
    predicates = {
        r["p"].removeprefix(KG)
        for r in repo.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", o=Literal(text))
    }
    assert predicates >= {
        "goal", "key", "annotationValue", "reason", "role", "stepKind", "version",
        "storageType", "value", "algorithm", "framework", "frameworkVersion", "scope",
        "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2000/01/rdf-schema#comment",
    }  # fmt: skip
    # read back through plain SELECTs: same string, not escaped, not truncated
    rows = repo.select("SELECT ?goal WHERE { ?e a kg:Experiment ; kg:goal ?goal }")
    assert rows == [{"goal": text}]
    settings = repo.select(
        "SELECT ?name ?value WHERE { ?s a kg:HyperParameterSetting ; kg:parameter ?p ; kg:value ?value . ?p rdfs:label ?name }"
    )
    assert sorted((r["name"], r["value"]) for r in settings) == sorted(
        [(text, text), ("p " + text, text)]
    )
    # nothing was dropped or injected: the counts are still right
    counts = repo.select(
        """SELECT (COUNT(DISTINCT ?run) AS ?runs) (COUNT(DISTINCT ?step) AS ?steps) WHERE {
             ?e a kg:Experiment ; kg:hasRun ?run . ?run kg:hasExecution ?step }"""
    )
    assert counts == [{"runs": 1, "steps": 1}]
    assert repo.select("SELECT ?s WHERE { ?s ?p <http://evil.example/c> }") == []


def test_many_tricky_names_do_not_collide(repo: Repository) -> None:
    variants = [*TRICKY, "a b", "a%20b", "a/b", "a%2Fb", "é", "e\u0301"]
    for text in variants:
        with repo.experiment(text).run() as run, run.step(text) as step:
            step.use(Dataset(text))
    assert sorted(e["name"] for e in repo.experiments()) == sorted(variants)
    assert len({e["experiment"] for e in repo.experiments()}) == len(variants)
    rows = repo.select("SELECT (COUNT(?run) AS ?n) WHERE { ?run a kg:Run ; kg:status kg:Succeeded }")
    assert rows == [{"n": len(variants)}]


def test_tricky_text_in_a_custom_kind_attribute(repo: Repository) -> None:
    Validation = repo.register_kind("Validation", {"verdict": str})
    text = 'x" } ; DROP ALL ; #\n"""'
    with repo.experiment("custom").run() as run, run.step("check") as step:
        ref = step.produce(Validation("v", verdict=text))
    rows = repo.select(
        "SELECT ?v ?verdict WHERE { ?v ?p ?verdict }", v=ref.iri,
        p=Validation.attributes["verdict"].predicate,
    )  # fmt: skip
    assert [r["verdict"] for r in rows] == [text]


# -- invalid IRIs -----------------------------------------------------------------------------------

BAD_IRIS = [
    "has space.csv",
    "file:///data/with space.csv",
    "<http://example.org/x>",
    "http://example.org/a<b",
    "http://example.org/a>b",
    "relative/path.csv",
    "../up/one.csv",
    "/absolute/path/without/scheme.csv",
    "http://example.org/bad%zzpercent",
    "http://example.org/half%2",
    "",
]


@pytest.mark.parametrize("bad", BAD_IRIS)
@pytest.mark.parametrize(
    "case",
    ["executable uri", "workflow uri", "data change concerns", "code change concerns",
     "requirement concerns"],
)  # fmt: skip
def test_invalid_iris_are_refused(opened: Open, case: str, bad: str) -> None:
    make: dict[str, tuple[Callable[[Open], object], str]] = {
        "executable uri": (lambda o: Executable("train.py", uri=bad), "uri"),
        "workflow uri": (lambda o: Workflow("pipeline", uri=bad), "uri"),
        "data change concerns": (lambda o: Trigger.data_change(concerns=bad), "concerns"),
        "code change concerns": (lambda o: Trigger.code_change(concerns=bad), "concerns"),
        "requirement concerns": (lambda o: Trigger.requirement_failure(concerns=bad), "concerns"),
    }
    bad_call, field = make[case]
    refused_outside(opened, bad_call, InvalidInput, names(field, bad) + ": not an absolute IRI")


@pytest.mark.parametrize("bad", BAD_IRIS)
@pytest.mark.parametrize("how", ["use", "produce"])
def test_invalid_artifact_uris_are_refused(repo: Repository, how: str, bad: str) -> None:
    def call(step: Step) -> object:
        artifact = Dataset("zq-needle", uri=bad)
        return step.use(artifact) if how == "use" else step.produce(artifact)

    refused_inside(repo, call, InvalidInput, names("uri", bad) + ": not an absolute IRI", "zq-needle")


def test_an_iri_that_is_not_a_string_is_refused(opened: Open) -> None:
    refused_outside(
        opened, lambda o: Executable("x", uri=Path("/tmp/x")), InvalidInput,
        names("uri", Path("/tmp/x")) + ": expected an IRI string",
    )  # fmt: skip


BAD_BASES = [
    "http://kg example/",
    "relative/base/",
    "http://example.org/bad%zz/",
    "http://example.org/<a>/",
]


@pytest.mark.parametrize("bad", BAD_BASES)
def test_invalid_base_iris_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match=names("base", bad) + ": not an absolute IRI"):
        Repository.in_memory(base=bad)


@pytest.mark.parametrize("bad", ["http://example.org/kg", "https://example.org/x?y", ""])
def test_a_base_must_end_in_a_slash_or_hash(bad: str) -> None:
    with pytest.raises(InvalidInput, match=names("base", bad) + ": must be an IRI ending in"):
        Repository.in_memory(base=bad)


@pytest.mark.parametrize("bad", BAD_BASES)
def test_an_invalid_base_creates_no_store_on_disk(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "store"
    with pytest.raises(InvalidInput, match=names("base", bad)):
        Repository.open(path, base=bad)
    assert not path.exists()


def test_a_valid_base_is_used_for_every_iri(tmp_path: Path) -> None:
    with Repository.open(tmp_path / "store", base="https://example.org/kg#") as repo:
        with repo.experiment("e").run() as run, run.step("s") as step:
            step.use(Dataset("d", digest="sha256:01"))
        quads = all_quads(repo)
    assert quads
    for q in quads:
        assert q.graph_name.value.startswith("https://example.org/kg#"), q
        assert q.subject.value.startswith("https://example.org/kg#"), q


# -- wrong types ------------------------------------------------------------------------------------

WRONG_TYPES_INSIDE: dict[str, tuple[Callable[[Step], object], str, Any, str]] = {
    "metric value str": (lambda s: s.log_metric("zq-needle", "0.9"), "value", "0.9",
                         "expected a number, got str"),
    "metric value bool": (lambda s: s.log_metric("zq-needle", True), "value", True,
                          "expected a number, got bool"),
    "metric value None": (lambda s: s.log_metric("zq-needle", None), "value", None,
                          "expected a number, got NoneType"),
    "model algorithm bool": (lambda s: s.produce(Model("zq-needle", algorithm=True)), "algorithm",
                             True, "expected a string, got bool"),
    "dataset version int": (lambda s: s.use(Dataset("zq-needle", version=3)), "version", 3,
                            "expected a string, got int"),
    "dataset storage type bool": (lambda s: s.use(Dataset("zq-needle", storage_type=False)),
                                  "storage_type", False, "expected a string, got bool"),
    "digest int": (lambda s: s.use(Dataset("zq-needle", digest=123)), "digest", 123,
                   "expected a string, got int"),
    "setting dict of objects": (lambda s: s.set_params(zq_needle={"a": object}), "parameter 'zq_needle.a'",
                                object, "unsupported type type"),
    "setting list of lists": (lambda s: s.set_params(zq_needle=[[1, 2]]), "parameter 'zq_needle'",
                              [[1, 2]], "unsupported type list"),
    "setting None": (lambda s: s.set_params(zq_needle=None), "parameter 'zq_needle'", None,
                     "unsupported type NoneType"),
    "metric of not a reference": (lambda s: s.log_metric("zq-needle", 0.5, of="model"), "of",
                                  "model", "expected the reference returned by use"),
    "use not an artifact": (lambda s: s.use("zq-needle"), "artifact", "zq-needle",
                            "expected a kgrepo.Artifact"),
    "characteristic object": (lambda s: s.use(Dataset("zq-needle", characteristics={"x": {1}})),
                              "characteristics['x']", {1}, "unsupported type set"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(WRONG_TYPES_INSIDE))
def test_wrong_types_inside_a_step_are_refused(repo: Repository, case: str) -> None:
    bad, field, value, reason = WRONG_TYPES_INSIDE[case]
    match = names(field, value) + ": " + re.escape(reason)
    refused_inside(repo, bad, InvalidInput, match, "zq")


WRONG_TYPES_OUTSIDE: dict[str, tuple[Callable[[Open], object], str, Any]] = {
    "goal bool": (lambda o: o.repo.experiment("new", goal=True), "goal", True),
    "agent role bool": (lambda o: Agent("a", role=True), "role", True),
    "trigger reason int": (lambda o: Trigger.manual(reason=1), "reason", 1),
    "trigger by int": (lambda o: Trigger.manual(by=1), "by", 1),
    "trigger cause str": (lambda o: Trigger("Manual"), "cause", "Manual"),
    "run trigger str": (lambda o: o.exp.run(trigger="manual"), "trigger", "manual"),
    "run workflow str": (lambda o: o.exp.run(workflow="pipeline"), "workflow", "pipeline"),
    "run config list": (lambda o: o.exp.run(config=[("a", 1)]), "configuration", [("a", 1)]),
    "step kind bool": (lambda o: o.run.step("s", kind=True), "kind", True),
    "step executable str": (lambda o: o.run.step("s", executable="train.py"), "executable",
                            "train.py"),
    "step after str": (lambda o: o.run.step("s", after=["prepare"]), "after", "prepare"),
    "executable version int": (lambda o: Executable("x", version=1), "version", 1),
    "experiment annotations list": (lambda o: o.repo.experiment("new", annotations=[1]),
                                    "annotations", [1]),
    "experiment annotation dict": (lambda o: o.repo.experiment("new", annotations={"k": {}}),
                                   "annotations['k']", {}),
    "model framework triple": (lambda o: Model("m", framework=("a", "b", "c")), "framework",
                               ("a", "b", "c")),
}  # fmt: skip


@pytest.mark.parametrize("case", list(WRONG_TYPES_OUTSIDE))
def test_wrong_types_are_refused(opened: Open, case: str) -> None:
    bad, field, value = WRONG_TYPES_OUTSIDE[case]
    refused_outside(opened, bad, InvalidInput, names(field, value))


def test_run_config_values_are_checked_at_start(opened: Open) -> None:
    run = opened.exp.run(config={"opt": {"x": object}})
    refused_outside(opened, lambda o: run.start(), InvalidInput, names("parameter 'opt.x'", object))
    assert run.status is None


def test_lists_are_fine_as_settings(repo: Repository) -> None:
    with repo.experiment("lists").run(config={"layers": [64, 32]}) as run:
        with run.step("s") as step:
            step.set_params(sizes=(1, 2.5, "x", True))
    rows = repo.select("SELECT ?v WHERE { ?s a kg:HyperParameterSetting ; kg:value ?v }")
    assert sorted(r["v"] for r in rows) == ['[1, 2.5, "x", true]', "[64, 32]"]


CUSTOM_TYPES: dict[str, tuple[str, Any, str]] = {
    "int given str": ("count", "3", "expected an integer, got str"),
    "int given float": ("count", 3.0, "expected an integer, got float"),
    "int given bool": ("count", True, "expected an integer, got bool"),
    "float given str": ("score", "0.5", "expected a number, got str"),
    "str given bool": ("label", True, "expected a string, got bool"),
    "bool given str": ("passed", "true", "expected a bool"),
    "bool given int": ("passed", 1, "expected a bool"),
    "datetime given str": ("at", "2024-01-01", "expected a timezone-aware datetime"),
    "naive datetime": ("at", dt.datetime(2024, 1, 1), "expected a timezone-aware datetime"),
}


@pytest.mark.parametrize("case", list(CUSTOM_TYPES))
def test_wrong_types_of_custom_attributes_are_refused(repo: Repository, case: str) -> None:
    kind = repo.register_kind(
        "Check", {"count": int, "score": float, "label": str, "passed": bool, "at": dt.datetime}
    )
    attribute, value, reason = CUSTOM_TYPES[case]
    match = names(attribute, value) + ": " + re.escape(reason)
    refused_inside(repo, lambda s: s.produce(kind("zq-needle", **{attribute: value})),
                   InvalidInput, match, "zq-needle")  # fmt: skip


# -- NaN and infinities: refused (the decision is documented in kgrepo/_terms.py) ------------------------

NON_FINITE = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("number", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "where",
    ["metric", "setting", "setting in a list", "characteristic", "step annotation",
     "custom float attribute"],
)  # fmt: skip
def test_non_finite_numbers_inside_a_step_are_refused(
    repo: Repository, where: str, number: float
) -> None:
    Score = repo.register_kind("Score", {"score": float}) if where.startswith("custom") else None
    calls: dict[str, tuple[Callable[[Step], object], str, Any, str]] = {
        "metric": (lambda s: s.log_metric("zq-needle", number), "value", number, "must be finite"),
        "setting": (lambda s: s.set_params(zq_needle=number), "parameter 'zq_needle'", number,
                    "must be finite"),
        "setting in a list": (lambda s: s.set_params(zq_needle=[1.0, number]),
                              "parameter 'zq_needle'", [1.0, number], ""),
        "characteristic": (lambda s: s.use(Dataset("zq-needle", characteristics={"rows": number})),
                           "characteristics['rows']", number, "must be finite"),
        "step annotation": (lambda s: s.annotate(zq_needle=number), "annotations['zq_needle']",
                            number, "must be finite"),
        "custom float attribute": (lambda s: s.produce(Score("zq-needle", score=number)),
                                   "score", number, "must be finite"),
    }  # fmt: skip
    bad, field, value, reason = calls[where]
    refused_inside(repo, bad, InvalidInput, names(field, value) + ": " + re.escape(reason), "zq")


@pytest.mark.parametrize("number", NON_FINITE, ids=["nan", "inf", "-inf"])
def test_non_finite_numbers_outside_a_step_are_refused(opened: Open, number: float) -> None:
    run = opened.exp.run(config={"lr": number})
    refused_outside(opened, lambda o: run.start(), InvalidInput, names("parameter 'lr'", number))
    refused_outside(
        opened, lambda o: o.repo.experiment("new", annotations={"x": number}), InvalidInput,
        names("annotations['x']", number),
    )  # fmt: skip
    assert_no_non_finite_double(opened.repo)


# -- state, kinds, attributes and digests ----------------------------------------------------------------


def test_a_step_used_after_its_run_ended_is_refused(opened: Open) -> None:
    opened.run.end()
    refused = (
        lambda o: o.step.use(Dataset("late")),
        lambda o: o.step.produce(Model("late")),
        lambda o: o.step.set_params(late=1),
        lambda o: o.step.log_metric("late", 1.0),
        lambda o: o.step.annotate(late=1),
        lambda o: o.run.step("late"),
        lambda o: o.run.end(),
    )
    before = all_quads(opened.repo)
    for bad in refused:
        with pytest.raises(InvalidState, match=r"run <.*> has ended \(Succeeded\)"):
            bad(opened)
    assert all_quads(opened.repo) == before


def test_a_run_started_twice_is_refused(opened: Open) -> None:
    before = all_quads(opened.repo)
    with pytest.raises(InvalidState, match="has already started"):
        opened.run.start()
    assert all_quads(opened.repo) == before


def test_a_run_ended_with_a_non_final_status_is_refused(opened: Open) -> None:
    before = all_quads(opened.repo)
    with pytest.raises(InvalidInput, match=names("status", Status.RUNNING)):
        opened.run.end(Status.RUNNING)
    with pytest.raises(InvalidInput, match=names("status", "Succeeded")):
        opened.run.end("Succeeded")  # type: ignore[arg-type]
    assert all_quads(opened.repo) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verdict": int}, "attribute 'verdict' is registered as str, redefinition says int"),
        ({"verdict": (str, True)}, "attribute 'verdict' is registered as str, redefinition says str \\(required\\)"),
        ({"history": float}, "attribute 'history' is registered as absent"),
    ],
)
def test_a_custom_kind_redefined_differently_is_a_conflict(
    opened: Open, change: dict[str, Any], message: str
) -> None:
    opened.repo.register_kind("Validation", {"verdict": str})
    refused_outside(
        opened, lambda o: o.repo.register_kind("Validation", change), Conflict,
        "kind 'Validation' " + message,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "attributes", "field", "value"),
    [
        ("not-an-identifier", {}, "name", "not-an-identifier"),
        ("class", {}, "name", "class"),
        ("Validation", {"bad name": str}, "attribute name", "bad name"),
        ("Validation", {"uri": str}, "attribute name", "uri"),
        ("Validation", {"verdict": list}, "attribute 'verdict'", list),
        ("Validation", {"verdict": (str, "yes")}, "attribute 'verdict'", (str, "yes")),
    ],
)
def test_bad_custom_kind_definitions_are_refused(
    opened: Open, name: str, attributes: dict[str, Any], field: str, value: Any
) -> None:
    refused_outside(
        opened, lambda o: o.repo.register_kind(name, attributes), InvalidInput, names(field, value)
    )


def test_a_builtin_kind_cannot_be_redefined(opened: Open) -> None:
    refused_outside(
        opened, lambda o: o.repo.register_kind("Dataset", {"x": str}), Conflict,
        "'Dataset' is a built-in artifact kind",
    )  # fmt: skip


def test_an_unknown_attribute_is_refused(opened: Open) -> None:
    refused_outside(
        opened, lambda o: Dataset("d", colour="red"), InvalidInput,
        names("colour", "red") + ": Dataset has no such attribute; it has: storage_type",
    )  # fmt: skip
    refused_outside(
        opened, lambda o: Artifact("d", colour="red"), InvalidInput,
        names("colour", "red") + ": Artifact has no such attribute; it has: none",
    )  # fmt: skip


def test_an_unknown_attribute_of_a_custom_kind_is_refused(opened: Open) -> None:
    Validation = opened.repo.register_kind("Validation", {"verdict": str})
    refused_outside(
        opened, lambda o: Validation("v", verdict="ok", score=1), InvalidInput,
        names("score", 1) + ": Validation has no such attribute; it has: verdict",
    )  # fmt: skip


def test_a_missing_required_attribute_is_refused(opened: Open) -> None:
    Validation = opened.repo.register_kind("Validation", {"verdict": (str, True)})
    refused_outside(
        opened, lambda o: Validation("v"), InvalidInput,
        names("verdict", None) + ": is required by kind Validation",
    )  # fmt: skip


def test_a_kind_of_another_repository_is_refused(repo: Repository) -> None:
    other = Repository.in_memory()
    try:
        Foreign = other.register_kind("Foreign", {"x": str})
    finally:
        other.close()
    refused_inside(
        repo, lambda s: s.use(Foreign("zq-needle")), InvalidInput,
        names("kind", "Foreign") + ": is not registered in this repository", "zq-needle",
    )  # fmt: skip


BAD_DIGESTS = [
    "nocolon",
    "sha256:",
    ":abcdef",
    "sha 256:abcdef",
    "sha256:ab cd",
    "sha256:abc\n",
    "sha256:ab:cd:ef",
    "sha256:ab\u00e9",
    "sha256:ab<script>",
]


@pytest.mark.parametrize("digest", BAD_DIGESTS)
@pytest.mark.parametrize("kind", ["dataset", "model"])
def test_a_malformed_digest_is_a_validation_error(repo: Repository, kind: str, digest: str) -> None:
    def call(step: Step) -> object:
        if kind == "dataset":
            return step.use(Dataset("zq-needle", digest=digest))
        return step.produce(Model("zq-needle", digest=digest))

    err = refused_inside(
        repo, call, ValidationError, names("digest", digest) + ": digest must have the form", "zq"
    )
    assert isinstance(err, ValidationError)
    assert err.field == "digest"
    assert err.shape.strip("<>") == KG + "ArtifactShape"


@pytest.mark.parametrize("digest", ["nocolon", "sha256:ab cd", "sha256:abc\n"])
def test_a_malformed_executable_digest_is_a_validation_error(
    repo: Repository, digest: str
) -> None:
    exe = Executable("zq-needle.py", digest=digest)
    exp = repo.experiment("bad input")
    before = all_quads(repo)
    with pytest.raises(ValidationError, match=names("digest", digest)) as info:
        with exp.run() as run, run.step("victim", executable=exe):
            pass
    assert info.value.field == "digest"
    assert run.status is Status.FAILED
    for q in all_quads(repo) - before:
        if q.predicate != ERROR_MESSAGE:
            assert "zq-needle" not in q.subject.value + q.object.value, q


@pytest.mark.parametrize("digest", ["sha256:9f86d081884c7d65", "md5:d41d8cd98f00b204", "blake2b-256:AB/+="])
def test_well_formed_digests_are_accepted(repo: Repository, digest: str) -> None:
    with repo.experiment("ok").run() as run, run.step("s") as step:
        ref = step.use(Dataset("d", digest=digest))
    rows = repo.select("SELECT ?a ?d WHERE { ?a kg:digest ?d }", a=ref.iri)
    assert [r["d"] for r in rows] == [digest]
