"""Bad input is refused with a typed error naming the field and the value, and writes nothing.

Three situations:

- value objects (artifacts, executables, workflows, agents, triggers) refuse bad input when made,
  before any repository is involved;
- input given to the repository outside an open step (experiments, runs, steps, kinds): the store's
  full quad set is the same before and after the refused call;
- input given inside an open step: the refused call itself writes nothing, and the exception then
  fails the step and the run like any other (``kg:errorType`` / ``kg:errorMessage``); the bad
  value appears nowhere in the store but in those error messages.

Names and values with quotes, ``>``, ``\"\"\"``, newlines, braces, SPARQL keywords and unicode are
not bad input: they are stored verbatim and read back identically.

Cases that touch the store run over every backend; to keep that affordable, the values of one
field are tried in a loop (one run each) rather than one test each.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kgrepo import (
    Agent,
    Artifact,
    ArtifactKind,
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
    Workflow,
)
from kgrepo._terms import DIGEST

KG = "https://w3id.org/kgrepo#"
ERROR_MESSAGE = NamedNode(KG + "errorMessage")
ROOT = Path(__file__).resolve().parent.parent
NEEDLE = "zq-needle"  # part of every bad value given inside a step, to look for it afterwards


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
    repo: Repository, bad: Callable[[Step], object], error: type[KgRepoError], match: str
) -> KgRepoError:
    """Runs ``bad`` in an open step of a new run; checks the call wrote nothing, the step and the
    run are recorded failed with the error, and :data:`NEEDLE` is only in error messages."""
    exp = repo.experiment("bad input")
    with pytest.raises(error, match=match) as outer, exp.run() as run, run.step("victim") as step:
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
    assert_only_in_error_messages(repo, NEEDLE)
    assert_no_non_finite_double(repo)
    return err


def assert_only_in_error_messages(repo: Repository, needle: str) -> None:
    found = repo.select(
        """SELECT ?needle ?s ?p ?o WHERE {
             ?s ?p ?o FILTER(?p != kg:errorMessage
                             && (CONTAINS(STR(?s), ?needle) || CONTAINS(STR(?o), ?needle))) }""",
        needle=Literal(needle),
    )
    assert found == []


def assert_no_non_finite_double(repo: Repository) -> None:
    rows = repo.query(
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && DATATYPE(?o) = xsd:double) }"
    )
    for r in rows:
        assert math.isfinite(float(r["o"].value)), (r["s"], r["p"], r["o"])


# -- empty and whitespace names --------------------------------------------------------------------

BLANKS = ["", "   ", "\t\n"]


@pytest.mark.parametrize("blank", BLANKS, ids=["empty", "spaces", "tab-newline"])
@pytest.mark.parametrize(
    ("make", "entity"),
    [
        (lambda v: Artifact(v), "Artifact"),
        (lambda v: Dataset(v), "Dataset"),
        (lambda v: Model(v), "Model"),
        (lambda v: Executable(v), "Executable"),
        (lambda v: Workflow(v), "Workflow"),
        (lambda v: Agent(v), "Agent"),
        (lambda v: Trigger.manual(by=v), "Agent"),
        (lambda v: Trigger.schedule(by=v), "Agent"),
    ],
    ids=["artifact", "dataset", "model", "executable", "workflow", "agent", "trigger-by-person",
         "trigger-by-program"],
)  # fmt: skip
def test_blank_names_of_value_objects_are_refused(
    make: Callable[[str], object], entity: str, blank: str
) -> None:
    with pytest.raises(InvalidInput, match=f"^{entity}.*: " + names("name", blank)):
        make(blank)


BLANK_NAMES_OUTSIDE: dict[str, tuple[Callable[[Open, str], object], str]] = {
    "experiment": (lambda o, v: o.repo.experiment(v), "name"),
    "run name": (lambda o, v: o.exp.run(name=v), "name"),
    "run agent": (lambda o, v: o.exp.run(agent=v), "name"),
    "step": (lambda o, v: o.run.step(v), "name"),
    "step kind": (lambda o, v: o.run.step("s", kind=v), "kind"),
    "custom kind": (lambda o, v: o.repo.register_kind(v, {"verdict": str}), "name"),
    "attribute": (lambda o, v: o.repo.register_kind("Validation", {v: str}), "attribute name"),
    "run parameter name": (lambda o, v: o.exp.run(config={v: 1}), "config name"),
    "nested run parameter name": (lambda o, v: o.exp.run(config={"opt": {v: 1}}), "config name"),
    "annotation key": (lambda o, v: o.repo.experiment("new", annotations={v: 1}), "annotation key"),
}


@pytest.mark.parametrize("case", list(BLANK_NAMES_OUTSIDE))
def test_blank_names_are_refused(opened: Open, case: str) -> None:
    bad, field = BLANK_NAMES_OUTSIDE[case]
    for blank in BLANKS:
        refused_outside(opened, lambda o, b=blank: bad(o, b), InvalidInput, names(field, blank))


BLANK_NAMES_INSIDE: dict[str, tuple[Callable[[Step, str], object], str]] = {
    "metric": (lambda s, v: s.log_metric(v, 0.5, scope=NEEDLE), "name"),
    "parameter name": (lambda s, v: s.set_param_dict({v: NEEDLE}), "parameter name"),
    "nested parameter name": (lambda s, v: s.set_param_dict({"opt": {v: NEEDLE}}),
                              "parameter name"),
    "step annotation key": (lambda s, v: s.annotate(**{v: NEEDLE}), "annotation key"),
    "artifact annotation key": (lambda s, v: s.use(Dataset(NEEDLE, annotations={v: 1})),
                                "annotation key"),
    "characteristic name": (lambda s, v: s.use(Dataset(NEEDLE, characteristics={v: 1})),
                            "characteristic name"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BLANK_NAMES_INSIDE))
def test_blank_names_inside_a_step_are_refused(repo: Repository, case: str) -> None:
    bad, field = BLANK_NAMES_INSIDE[case]
    for blank in BLANKS:
        refused_inside(repo, lambda s, b=blank: bad(s, b), InvalidInput, names(field, blank))


def test_names_must_be_strings(opened: Open) -> None:
    refused_outside(opened, lambda o: o.repo.experiment(3), InvalidInput, names("name", 3))
    refused_outside(opened, lambda o: o.run.step(None), InvalidInput, names("name", None))
    with pytest.raises(InvalidInput, match=names("name", b"raw")):
        Dataset(b"raw")


# -- quotes, brackets, keywords and unicode are accepted verbatim ----------------------------------

TRICKY = [
    'double "quoted"',
    "single 'quoted'",
    "a > b < c",
    'triple """ quotes',
    "line\nbreak\r\nand tab\t",
    "brace } and { and ]",
    'x" } ; DROP ALL ; #',
    "x' } ; CLEAR DEFAULT ; INSERT DATA { <http://evil.example/a> <http://evil.example/b> 1 } #",
    "<https://kgrepo.example/experiment/other>",
    "back\\slash \\u0022 \\n",
    "ünïcødé 数字 🚀 e\u0301",
    "a/b?c#d%20&e=f",
    "SELECT * WHERE { ?s ?p ?o }",
]
TRICKY_IDS = [
    "dquote", "squote", "angle", "triple-quote", "newline", "brace", "drop-all",
    "insert-data", "iri-lookalike", "backslash", "unicode", "url-chars", "select",
]  # fmt: skip


def record_everywhere(repo: Repository, text: str) -> None:
    exp = repo.experiment(text, goal=text, annotations={text: text})
    trigger = Trigger.manual(by=Agent(text, role=text), reason=text)
    with exp.run(name=text, trigger=trigger, config={text: text}, annotations={text: text}) as run:
        exe = Executable(text, version=text, description=text, digest="sha256:ab")
        with run.step(text, kind=text, executable=exe, annotations={text: text}) as step:
            step.use(
                Dataset(text, description=text, version=text, storage_type=text,
                        characteristics={text: text}, annotations={text: text})
            )  # fmt: skip
            step.set_param_dict({"p " + text: text})
            model = step.produce(Model(text, algorithm=text, framework=(text, text)))
            step.log_metric(text, 0.25, of=model, scope=text)
            step.annotate(**{"k " + text: text})


@pytest.mark.parametrize("text", TRICKY, ids=TRICKY_IDS)
def test_tricky_text_is_stored_verbatim_and_read_back(repo: Repository, text: str) -> None:
    record_everywhere(repo, text)
    assert repo.experiment(text).goal == text
    assert [e["name"] for e in repo.experiments()] == [text]

    labels = repo.select("SELECT ?x ?label WHERE { ?x rdfs:label ?label }", label=Literal(text))
    # experiment, run, agent, step, executable, dataset, model, metric, measure, characteristic,
    # and the run's hyperparameter
    assert len(labels) == 11
    predicates = {
        r["p"].removeprefix(KG)
        for r in repo.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", o=Literal(text))
    }
    assert predicates >= {
        "goal", "key", "annotationValue", "reason", "role", "stepKind", "version",
        "storageType", "value", "algorithm", "framework", "frameworkVersion", "scope",
        "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2000/01/rdf-schema#comment",
    }  # fmt: skip
    # read back through plain SELECTs: the same string, not escaped, not truncated
    rows = repo.select("SELECT ?goal WHERE { ?e a kg:Experiment ; kg:goal ?goal }")
    assert rows == [{"goal": text}]
    settings = repo.select(
        """SELECT ?name ?value WHERE {
             ?s a kg:HyperParameterSetting ; kg:parameter ?p ; kg:value ?value .
             ?p rdfs:label ?name }"""
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
    assert repo.select("SELECT ?s WHERE { ?s <http://evil.example/b> ?o }") == []


def test_tricky_names_do_not_collide(repo: Repository) -> None:
    variants = [*TRICKY, "a b", "a%20b", "a/b", "a%2Fb", "é", "e\u0301"]
    for text in variants:
        with repo.experiment(text).run() as run, run.step(text) as step:
            step.use(Dataset(text))
    assert sorted(e["name"] for e in repo.experiments()) == sorted(variants)
    assert len({e["experiment"] for e in repo.experiments()}) == len(variants)
    rows = repo.select(
        "SELECT (COUNT(?run) AS ?n) WHERE { ?run a kg:Run ; kg:status kg:Succeeded }"
    )
    assert rows == [{"n": len(variants)}]


def test_tricky_text_in_a_custom_kind_attribute(repo: Repository) -> None:
    Validation = repo.register_kind("Validation", {"verdict": str})
    text = 'x" } ; DROP ALL ; #\n"""'
    with repo.experiment("custom").run() as run, run.step("check") as step:
        ref = step.produce(Validation("v", verdict=text))
    rows = repo.select(
        "SELECT ?v ?p ?verdict WHERE { ?v ?p ?verdict }", v=ref.iri,
        p=Validation.attributes["verdict"].predicate,
    )  # fmt: skip
    assert [r["verdict"] for r in rows] == [text]


# -- invalid IRIs ----------------------------------------------------------------------------------

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
BAD_IRI_IDS = ["space", "space-in-file", "angle-wrapped", "lt", "gt", "relative", "dotdot",
               "no-scheme", "bad-percent", "short-percent", "empty"]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_IRIS, ids=BAD_IRI_IDS)
@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda v: Executable("train.py", uri=v), "uri"),
        (lambda v: Workflow("pipeline", uri=v), "uri"),
        (lambda v: Trigger.data_change(concerns=v), "concerns"),
        (lambda v: Trigger.code_change(concerns=v), "concerns"),
        (lambda v: Trigger.requirement_failure(concerns=v), "concerns"),
    ],
    ids=["executable-uri", "workflow-uri", "data-change", "code-change", "requirement-failure"],
)
def test_invalid_iris_are_refused(make: Callable[[str], object], field: str, bad: str) -> None:
    with pytest.raises(InvalidInput, match=names(field, bad) + ": not an absolute IRI"):
        make(bad)


def test_an_iri_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidInput, match=names("uri", Path("/x")) + ": expected an IRI string"):
        Executable("x", uri=Path("/x"))  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["use", "produce"])
def test_invalid_artifact_uris_are_refused(repo: Repository, how: str) -> None:
    for bad in BAD_IRIS:

        def call(step: Step, bad: str = bad) -> object:
            artifact = Dataset(NEEDLE, uri=bad)
            return step.use(artifact) if how == "use" else step.produce(artifact)

        refused_inside(repo, call, InvalidInput, names("uri", bad) + ": not an absolute IRI")


def test_a_run_with_a_bad_executable_uri_never_starts(opened: Open) -> None:
    refused_outside(
        opened, lambda o: o.run.step("s", executable=Executable("x", uri="not a uri")),
        InvalidInput, names("uri", "not a uri"),
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


def test_an_invalid_base_creates_no_store_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with pytest.raises(InvalidInput, match=names("base", "http://kg example/")):
        Repository.open(path, base="http://kg example/")
    assert not path.exists()


def test_a_valid_base_is_used_for_every_iri(tmp_path: Path) -> None:
    base = "https://example.org/kg#"
    with Repository.open(tmp_path / "store", base=base) as repo:
        with repo.experiment("e").run() as run, run.step("s") as step:
            step.use(Dataset("d", digest="sha256:01"))
        quads = all_quads(repo)
    assert quads
    for q in quads:
        assert q.graph_name.value.startswith(base), q
        assert q.subject.value.startswith(base), q


# -- wrong types -----------------------------------------------------------------------------------

WRONG_TYPES_INSIDE: dict[str, tuple[Callable[[Step], object], str, Any, str]] = {
    "metric value str": (lambda s: s.log_metric(NEEDLE, "0.9"), "value", "0.9",
                         "expected a number, got str"),
    "metric value bool": (lambda s: s.log_metric(NEEDLE, True), "value", True,
                          "expected a number, got bool"),
    "metric value None": (lambda s: s.log_metric(NEEDLE, None), "value", None,
                          "expected a number, got NoneType"),
    "model algorithm bool": (lambda s: s.produce(Model(NEEDLE, algorithm=True)), "algorithm",
                             True, "expected a string, got bool"),
    "dataset version int": (lambda s: s.use(Dataset(NEEDLE, version=3)), "version", 3,
                            "expected a string, got int"),
    "dataset storage type bool": (lambda s: s.use(Dataset(NEEDLE, storage_type=False)),
                                  "storage_type", False, "expected a string, got bool"),
    "digest int": (lambda s: s.use(Dataset(NEEDLE, digest=123)), "digest", 123,
                   "expected a string, got int"),
    "setting dict of objects": (lambda s: s.set_param_dict({NEEDLE: {"a": object}}),
                                f"parameter '{NEEDLE}.a'", object, "unsupported type type"),
    "setting list of lists": (lambda s: s.set_param_dict({NEEDLE: [[1, 2]]}),
                              f"parameter '{NEEDLE}'", [[1, 2]], "lists may only hold"),
    "setting None": (lambda s: s.set_param_dict({NEEDLE: None}), f"parameter '{NEEDLE}'", None,
                     "unsupported type NoneType"),
    "metric of not a reference": (lambda s: s.log_metric(NEEDLE, 0.5, of="model"), "of",
                                  "model", "expected the reference returned by use"),
    "use not an artifact": (lambda s: s.use(NEEDLE), "artifact", NEEDLE,
                            "expected a kgrepo.Artifact"),
    "characteristic object": (lambda s: s.use(Dataset(NEEDLE, characteristics={"x": {1}})),
                              "characteristics['x']", {1}, "unsupported type set"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(WRONG_TYPES_INSIDE))
def test_wrong_types_inside_a_step_are_refused(repo: Repository, case: str) -> None:
    bad, field, value, reason = WRONG_TYPES_INSIDE[case]
    refused_inside(repo, bad, InvalidInput, names(field, value) + ": " + re.escape(reason))


@pytest.mark.parametrize(
    ("make", "field", "value"),
    [
        (lambda: Agent("a", role=True), "role", True),
        (lambda: Trigger.manual(reason=1), "reason", 1),
        (lambda: Trigger.manual(by=1), "by", 1),
        (lambda: Trigger("Manual"), "cause", "Manual"),
        (lambda: Executable("x", version=1), "version", 1),
        (lambda: Executable("x", digest=b"sha256:ab"), "digest", b"sha256:ab"),
        (lambda: Workflow("w", version=2.0), "version", 2.0),
        (lambda: Model("m", framework=("a", "b", "c")), "framework", ("a", "b", "c")),
    ],
    ids=["agent-role", "trigger-reason", "trigger-by", "trigger-cause", "executable-version",
         "executable-digest", "workflow-version", "model-framework"],
)  # fmt: skip
def test_wrong_types_of_value_objects_are_refused(
    make: Callable[[], object], field: str, value: Any
) -> None:
    with pytest.raises(InvalidInput, match=names(field, value)):
        make()


WRONG_TYPES_OUTSIDE: dict[str, tuple[Callable[[Open], object], str, Any]] = {
    "goal bool": (lambda o: o.repo.experiment("new", goal=True), "goal", True),
    "run trigger str": (lambda o: o.exp.run(trigger="manual"), "trigger", "manual"),
    "run workflow str": (lambda o: o.exp.run(workflow="pipeline"), "workflow", "pipeline"),
    "run agent int": (lambda o: o.exp.run(agent=7), "agent", 7),
    "run config list": (lambda o: o.exp.run(config=[("a", 1)]), "config", [("a", 1)]),
    "step kind bool": (lambda o: o.run.step("s", kind=True), "kind", True),
    "step executable str": (lambda o: o.run.step("s", executable="train.py"), "executable",
                            "train.py"),
    "step after str": (lambda o: o.run.step("s", after=["prepare"]), "after", "prepare"),
    "experiment annotations list": (lambda o: o.repo.experiment("new", annotations=[1]),
                                    "annotations", [1]),
    "experiment annotation dict": (lambda o: o.repo.experiment("new", annotations={"k": {}}),
                                   "annotations['k']", {}),
    "run annotation object": (lambda o: o.exp.run(annotations={"k": object}).start(),
                              "annotations['k']", object),
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
    exp = repo.experiment("lists")
    with exp.run(config={"layers": [64, 32]}) as run, run.step("s") as step:
        step.set_params(sizes=(1, 2.5, "x", True))
    rows = repo.select("SELECT ?v WHERE { ?s a kg:HyperParameterSetting ; kg:value ?v }")
    assert sorted(r["v"] for r in rows) == ['[1, 2.5, "x", true]', "[64, 32]"]


CUSTOM_TYPES: list[tuple[str, Any, str]] = [
    ("count", "3", "expected an integer, got str"),
    ("count", 3.0, "expected an integer, got float"),
    ("count", True, "expected an integer, got bool"),
    ("score", "0.5", "expected a number, got str"),
    ("label", True, "expected a string, got bool"),
    ("passed", "true", "expected a bool"),
    ("passed", 1, "expected a bool"),
    ("at", "2024-01-01", "expected a timezone-aware datetime"),
    ("at", dt.datetime(2024, 1, 1), "expected a timezone-aware datetime"),
]


def test_wrong_types_of_custom_attributes_are_refused(repo: Repository) -> None:
    Check = repo.register_kind(
        "Check", {"count": int, "score": float, "label": str, "passed": bool, "at": dt.datetime}
    )
    for attribute, value, reason in CUSTOM_TYPES:
        refused_inside(
            repo, lambda s, a=attribute, v=value: s.produce(Check(NEEDLE, **{a: v})),
            InvalidInput, names(attribute, value) + ": " + re.escape(reason),
        )  # fmt: skip


# -- NaN and infinities: refused (the decision is documented in kgrepo/_terms.py) ------------------

NON_FINITE = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize(
    "where",
    ["metric", "setting", "nested setting", "setting in a list", "characteristic",
     "step annotation", "artifact annotation", "custom float attribute"],
)  # fmt: skip
def non_finite_case(
    where: str, number: float, kind: ArtifactKind | None
) -> tuple[Callable[[Step], object], str, Any]:
    """The call giving ``number`` at ``where``, and the field and value its error names."""
    calls: dict[str, tuple[Callable[[Step], object], str, Any]] = {
        "metric": (lambda s: s.log_metric(NEEDLE, number), "value", number),
        "setting": (lambda s: s.set_param_dict({NEEDLE: number}), f"parameter '{NEEDLE}'", number),
        "nested setting": (lambda s: s.set_param_dict({NEEDLE: {"lr": number}}),
                           f"parameter '{NEEDLE}.lr'", number),
        "setting in a list": (lambda s: s.set_param_dict({NEEDLE: [1.0, number]}),
                              f"parameter '{NEEDLE}'", [1.0, number]),
        "characteristic": (lambda s: s.use(Dataset(NEEDLE, characteristics={"rows": number})),
                           "characteristics['rows']", number),
        "step annotation": (lambda s: s.annotate(**{NEEDLE: number}),
                            f"annotations['{NEEDLE}']", number),
        "artifact annotation": (lambda s: s.use(Dataset(NEEDLE, annotations={"w": number})),
                                "annotations['w']", number),
        "custom float attribute": (lambda s: s.produce(kind(NEEDLE, score=number)),  # type: ignore[misc]
                                   "score", number),
    }  # fmt: skip
    return calls[where]


@pytest.mark.parametrize(
    "where",
    ["metric", "setting", "nested setting", "setting in a list", "characteristic",
     "step annotation", "artifact annotation", "custom float attribute"],
)  # fmt: skip
def test_non_finite_numbers_inside_a_step_are_refused(repo: Repository, where: str) -> None:
    Score = repo.register_kind("Score", {"score": float}) if where.startswith("custom") else None
    for number in NON_FINITE:
        bad, field, value = non_finite_case(where, number, Score)
        refused_inside(repo, bad, InvalidInput, names(field, value))


def test_bad_annotations_of_an_existing_experiment_are_refused(opened: Open) -> None:
    # Asking again for an existing experiment must not skip checking the rest of the input.
    refused_outside(
        opened, lambda o: o.repo.experiment("bad input", annotations={" ": 1}), InvalidInput,
        names("annotation key", " "),
    )  # fmt: skip
    refused_outside(
        opened, lambda o: o.repo.experiment("bad input", annotations={"x": float("nan")}),
        InvalidInput, names("annotations['x']", float("nan")),
    )  # fmt: skip


def test_non_finite_numbers_outside_a_step_are_refused(opened: Open) -> None:
    for number in NON_FINITE:
        run = opened.exp.run(config={"lr": number})
        refused_outside(opened, lambda o, r=run: r.start(), InvalidInput,
                        names("parameter 'lr'", number) + ": must be finite")  # fmt: skip
        refused_outside(
            opened, lambda o, n=number: o.repo.experiment("new", annotations={"x": n}),
            InvalidInput, names("annotations['x']", number) + ": must be finite",
        )  # fmt: skip
    assert_no_non_finite_double(opened.repo)


# -- state, kinds, attributes and digests ----------------------------------------------------------


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
    refused_outside(opened, lambda o: o.run.start(), InvalidState, "has already started")


def test_a_run_ended_with_a_non_final_status_is_refused(opened: Open) -> None:
    refused_outside(
        opened, lambda o: o.run.end(Status.RUNNING), InvalidInput, names("status", Status.RUNNING)
    )
    refused_outside(
        opened, lambda o: o.run.end("Succeeded"), InvalidInput, names("status", "Succeeded")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verdict": int}, "attribute 'verdict' is registered as str, redefinition says int"),
        ({"verdict": (str, True)},
         r"attribute 'verdict' is registered as str, redefinition says str \(required\)"),
        ({"history": float}, "attribute 'history' is registered as absent"),
    ],
    ids=["other-type", "now-required", "new-attribute"],
)  # fmt: skip
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
    ids=["not-identifier", "keyword", "attribute-not-identifier", "reserved-attribute",
         "unsupported-type", "required-not-bool"],
)  # fmt: skip
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


def test_an_unknown_attribute_is_refused() -> None:
    with pytest.raises(
        InvalidInput,
        match=names("colour", "red") + ": Dataset has no such attribute; it has: storage_type",
    ):
        Dataset("d", colour="red")
    with pytest.raises(
        InvalidInput,
        match=names("colour", "red") + ": Artifact has no such attribute; it has: none",
    ):
        Artifact("d", colour="red")


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
        repo, lambda s: s.use(Foreign(NEEDLE)), InvalidInput,
        names("kind", "Foreign") + ": is not registered in this repository",
    )  # fmt: skip


BAD_DIGESTS = [
    "nocolon",
    "sha256:",
    ":abcdef",
    "sha 256:abcdef",
    "sha256:ab cd",
    "sha256:ab:cd:ef",
    "sha256:ab\u00e9",
    "sha256:ab<script>",
    "\nsha256:ab",
]


@pytest.mark.parametrize("kind", ["dataset", "model"])
def test_a_malformed_digest_is_refused_when_made(opened: Open, kind: str) -> None:
    # Checked when the artifact is made (the same form as the SHACL shape, which
    # tests/test_validation.py checks on the write path), so the step is never entered with it.
    # "sha256:abc\n": SHACL's "$" is the very end of the string, Python's also before a newline.
    make = Dataset if kind == "dataset" else Model
    for digest in [*BAD_DIGESTS, "sha256:abc\n"]:
        err = refused_outside(
            opened, lambda o, d=digest: make(NEEDLE, digest=d), InvalidInput,
            names("digest", digest) + ": .*algorithm:hex",
        )  # fmt: skip
        assert err.field == "digest"


def test_the_digest_form_is_the_shapes_one() -> None:
    shapes = pyoxigraph.parse(path=str(ROOT / "ontology" / "shapes.ttl"))
    patterns = {
        q.object.value for q in shapes if q.predicate.value == "http://www.w3.org/ns/shacl#pattern"
    }
    assert DIGEST.pattern.removesuffix("\\Z") in {p.strip("^$") for p in patterns}


@pytest.mark.parametrize("digest", ["nocolon", "sha256:ab cd"])
def test_a_malformed_executable_digest_is_refused_before_the_step_runs(
    opened: Open, digest: str
) -> None:
    # The executable is known when the step is made: refusing it only when the step ends would
    # throw away the step's whole record (its inputs, outputs and metrics) after the work is done.
    refused_outside(
        opened, lambda o: o.run.step("s", executable=Executable(NEEDLE, digest=digest)),
        InvalidInput, names("digest", digest) + ": .*algorithm:hex",
    )  # fmt: skip


@pytest.mark.parametrize("digest", ["nocolon", "sha256:ab cd"])
def test_a_malformed_executable_digest_never_gets_into_the_store(
    repo: Repository, digest: str
) -> None:
    exp = repo.experiment("bad input")
    with (
        pytest.raises(InvalidInput, match=names("digest", digest)) as info,
        exp.run() as run,
        run.step("victim", executable=Executable(NEEDLE, digest=digest)),
    ):
        pass
    assert info.value.field == "digest"
    assert run.status is Status.FAILED
    assert_only_in_error_messages(repo, NEEDLE)


@pytest.mark.parametrize(
    "digest", ["sha256:9f86d081884c7d65", "md5:d41d8cd98f00b204", "blake2b-256:AB/+="]
)
def test_well_formed_digests_are_accepted(repo: Repository, digest: str) -> None:
    with repo.experiment("ok").run() as run, run.step("s") as step:
        ref = step.use(Dataset("d", digest=digest))
    rows = repo.select("SELECT ?a ?d WHERE { ?a kg:digest ?d }", a=ref.iri)
    assert [r["d"] for r in rows] == [digest]
