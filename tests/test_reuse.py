"""FR6: has this step already run with the same executable version, the same inputs and the same
configuration? (``kgrepo.reuse``, ``Step.find_reusable`` and ``Step.reuse``), over every backend.

An earlier execution matches when its executable (name, version, digest), its inputs (kind and
content digest) and its settings (name, value and type) are all the same and it succeeded; the
latest such execution wins. Any difference, a failed execution or an input whose content cannot be
told (no digest) means no match. A reuse is recorded (``kg:reusedFrom``, ``kg:reusedOutput``) and
leaves the lineage of the reused outputs pointing at the execution that generated them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyoxigraph import NamedNode

import kgrepo
from kgrepo import (
    Artifact,
    ArtifactRef,
    Dataset,
    Executable,
    InvalidInput,
    InvalidState,
    Model,
    Repository,
    reuse,
)
from kgrepo import lineage as lin
from kgrepo.reuse import Reusable

KG = "https://w3id.org/kgrepo#"


def digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


FEATURIZE = Executable(
    "featurize.py",
    version="1.0",
    uri="https://git.example.org/ml/featurize.py",
    digest=digest("featurize.py", "1.0"),
)
RAW = Dataset("raw", uri="file:///data/raw.csv", digest=digest("raw"))
VOCAB = Dataset("vocab", uri="file:///data/vocab.txt", digest=digest("vocab"))
PARAMS: dict[str, Any] = {"bins": 10, "scale": 1.0, "method": "quantile", "dropna": True}


@dataclass
class Recorded:
    """One recorded featurize execution: its IRIs and the references it produced."""

    run: str
    execution: str
    outputs: list[ArtifactRef] = field(default_factory=list)


def featurize(
    repo: Repository,
    *,
    executable: Executable | None = FEATURIZE,
    inputs: tuple[Artifact, ...] = (RAW, VOCAB),
    params: Mapping[str, Any] = PARAMS,
    output: str = "features",
    fail: bool = False,
) -> Recorded:
    """Records one run whose featurize step produces a dataset and a metric (and fails if asked)."""
    with repo.experiment("features").run() as run:
        refused = pytest.raises(RuntimeError, match="out of memory")
        with (
            refused if fail else contextlib.nullcontext(),
            run.step("featurize", executable=executable) as step,
        ):
            for artifact in inputs:
                step.use(artifact)
            step.set_param_dict(params)
            out = step.produce(Dataset(output, uri=f"file:///data/{output}", digest=digest(output)))
            step.log_metric("rows", 1000, of=out)
            if fail:
                raise RuntimeError("out of memory")
    return Recorded(run.iri.value, step.iri.value, [out])


def find(
    repo: Repository,
    *,
    executable: Executable | None = FEATURIZE,
    inputs: tuple[Artifact | ArtifactRef, ...] = (RAW, VOCAB),
    params: Mapping[str, Any] = PARAMS,
) -> tuple[Reusable | None, Reusable | None]:
    """What ``find_equivalent`` and an open step's ``find_reusable`` both answer (they must agree).
    The probing step reuses what it found, as a pipeline would."""
    via_function = (
        reuse.find_equivalent(repo, executable, inputs, params) if executable is not None else None
    )
    with (
        repo.experiment("probe").run() as run,
        run.step("featurize", executable=executable) as step,
    ):
        for artifact in inputs:
            step.use(artifact)
        step.set_param_dict(params)
        via_step = step.find_reusable()
        if via_step is not None:
            step.reuse(via_step)
    return via_function, via_step


# -- a match ---------------------------------------------------------------------------------------
def test_an_equivalent_execution_is_found_by_the_step_and_by_find_equivalent(
    repo: Repository,
) -> None:
    earlier = featurize(repo)
    via_function, via_step = find(repo)
    assert via_function is not None and via_step is not None
    assert via_function == via_step
    assert via_function.execution == earlier.execution
    assert via_function.run == earlier.run
    # the dataset produced is offered; the metric describing it is not an output to reuse
    assert [o.iri for o in via_function.outputs] == [earlier.outputs[0].iri]
    offered = via_function.outputs[0]
    assert (offered.name, offered.kind.name) == ("features", "Dataset")
    assert offered.artifact.digest == digest("features")
    assert offered.artifact.uri == "file:///data/features"
    assert json.loads(json.dumps(via_function.to_dict())) == {
        "execution": earlier.execution,
        "run": earlier.run,
        "outputs": [{"iri": offered.iri.value, "name": "features", "kind": "Dataset"}],
    }


def offers(found: Reusable | None, recorded: Recorded) -> bool:
    """Whether ``found`` offers exactly the outputs ``recorded`` generated."""
    return found is not None and [o.iri for o in found.outputs] == [o.iri for o in recorded.outputs]


def test_inputs_by_digest_in_any_order_and_as_references(repo: Repository) -> None:
    earlier = featurize(repo)
    renamed = Dataset("raw-copy", uri="s3://bucket/raw.csv", digest=RAW.digest)  # same content
    found, by_step = find(repo, inputs=(VOCAB, renamed))
    assert found is not None and found.execution == earlier.execution
    assert by_step == found
    raw_inputs = lin.upstream(repo, earlier.outputs[0]).raw_inputs
    raw_iri = next(a.iri for a in raw_inputs if a.digest == RAW.digest)
    raw_ref = reuse.load_artifact(repo, raw_iri)  # a recorded artifact as a reference
    assert raw_ref.iri == NamedNode(raw_iri) and raw_ref.artifact.digest == RAW.digest
    # the latest equivalent execution is now the probe's reuse, which offers the same outputs
    assert offers(reuse.find_equivalent(repo, FEATURIZE, (raw_ref, VOCAB), PARAMS), earlier)


def test_nested_settings_match_their_dotted_names(repo: Repository) -> None:
    earlier = featurize(repo, params={"opt": {"lr": 0.1, "momentum": 0.9}, "bins": 3})
    dotted = {"opt.lr": 0.1, "opt.momentum": 0.9, "bins": 3}
    found, by_step = find(repo, params=dotted)
    assert found is not None and found.execution == earlier.execution
    assert by_step == found
    nested = {"bins": 3, "opt": {"momentum": 0.9, "lr": 0.1}}
    assert offers(reuse.find_equivalent(repo, FEATURIZE, (RAW, VOCAB), nested), earlier)


def test_the_executable_uri_and_description_do_not_matter(repo: Repository) -> None:
    earlier = featurize(repo)
    moved = Executable(
        FEATURIZE.name,
        version=FEATURIZE.version,
        digest=FEATURIZE.digest,
        uri="https://mirror.example.org/featurize.py",
        description="same code, other place",
    )
    found = reuse.find_equivalent(repo, moved, (RAW, VOCAB), PARAMS)
    assert found is not None and found.execution == earlier.execution


# -- any difference: no match ----------------------------------------------------------------------
OTHER_RAW = Dataset("raw", uri="file:///data/raw.csv", digest=digest("raw", "v2"))
DIFFERENCES: dict[str, dict[str, Any]] = {
    "another version": {
        "executable": Executable("featurize.py", version="1.1", digest=FEATURIZE.digest)
    },
    "another executable digest": {
        "executable": Executable("featurize.py", version="1.0", digest=digest("patched"))
    },
    "no executable digest": {"executable": Executable("featurize.py", version="1.0")},
    "another executable name": {
        "executable": Executable("featurise.py", version="1.0", digest=FEATURIZE.digest)
    },
    "another digest of an input": {"inputs": (OTHER_RAW, VOCAB)},
    "an input of another kind": {"inputs": (Artifact("raw", digest=RAW.digest), VOCAB)},
    "an extra input": {"inputs": (RAW, VOCAB, Dataset("stopwords", digest=digest("stop")))},
    "a missing input": {"inputs": (RAW,)},
    "another parameter value": {"params": {**PARAMS, "bins": 11}},
    "int instead of float (1 vs 1.0)": {"params": {**PARAMS, "scale": 1}},
    "float instead of int (10.0 vs 10)": {"params": {**PARAMS, "bins": 10.0}},
    "int instead of bool (1 vs True)": {"params": {**PARAMS, "dropna": 1}},
    "str instead of int": {"params": {**PARAMS, "bins": "10"}},
    "an extra parameter": {"params": {**PARAMS, "seed": 0}},
    "a missing parameter": {"params": {k: v for k, v in PARAMS.items() if k != "dropna"}},
    "a parameter renamed": {
        "params": {**{k: v for k, v in PARAMS.items() if k != "bins"}, "nbins": 10}
    },
}


@pytest.mark.parametrize("change", list(DIFFERENCES), ids=list(DIFFERENCES))
def test_any_difference_means_no_match(repo: Repository, change: str) -> None:
    featurize(repo)
    assert find(repo, **DIFFERENCES[change]) == (None, None)
    assert find(repo) != (None, None)  # the unchanged step still matches


def test_a_failed_earlier_execution_is_not_offered(repo: Repository) -> None:
    failed = featurize(repo, fail=True)
    status = repo.select("SELECT ?e ?s WHERE { ?e kg:status ?s }", e=failed.execution)
    assert [r["s"] for r in status] == [KG + "Failed"]
    assert find(repo) == (None, None)
    # a later success is found, and a later failure does not hide it
    succeeded = featurize(repo)
    featurize(repo, fail=True)
    found, by_step = find(repo)
    assert found is not None and by_step is not None
    assert found.execution == by_step.execution == succeeded.execution


def test_lookup_answers_as_the_named_query(repo: Repository) -> None:
    """``reuse.lookup`` asks reuse-lookup.rq's question in two phases; both pick the same
    execution among several equivalent ones, the latest successes and failures interleaved."""
    from pyoxigraph import Literal

    from kgrepo import queries

    featurize(repo)
    latest = featurize(repo)
    featurize(repo, fail=True)
    key = reuse.signature(FEATURIZE, [RAW, VOCAB], PARAMS)
    assert key is not None
    rows = repo.select(queries.text("reuse-lookup"), signature=Literal(key))
    found = reuse.lookup(repo, key)
    assert found is not None
    assert [(r["execution"], r["run"]) for r in rows] == [(found.execution, found.run)]
    assert (found.execution, found.run) == (latest.execution, latest.run)
    assert [o.name for o in found.outputs] == ["features"]  # the metric is not offered


def test_an_input_without_digest_never_matches(repo: Repository) -> None:
    undigested = Dataset("raw", uri="file:///data/raw.csv")
    earlier = featurize(repo, inputs=(undigested, VOCAB))
    # the earlier execution has no signature: equal content cannot be told
    rows = repo.select("SELECT ?e ?s WHERE { ?e kg:signature ?s }", e=earlier.execution)
    assert rows == []
    assert find(repo, inputs=(undigested, VOCAB)) == (None, None)
    featurize(repo)
    # with the digest known on one side only, still nothing
    assert find(repo, inputs=(undigested, VOCAB)) == (None, None)
    assert reuse.signature(FEATURIZE, [undigested, VOCAB], PARAMS) is None


def test_a_step_without_executable_is_never_reusable(repo: Repository) -> None:
    featurize(repo, executable=None)
    assert find(repo, executable=None) == (None, None)
    assert reuse.signature(None, [RAW], {}) is None


def test_the_latest_successful_match_wins(repo: Repository) -> None:
    first = featurize(repo, output="features-1")
    second = featurize(repo, output="features-2")  # recomputed (e.g. nondeterministic)
    found, by_step = find(repo)
    assert found is not None and by_step is not None
    assert found.execution == by_step.execution == second.execution
    assert [o.name for o in found.outputs] == ["features-2"]
    assert first.execution != second.execution


# -- recording a reuse -----------------------------------------------------------------------------
TRAIN = Executable("train.py", version="3.2", digest=digest("train.py", "3.2"))


def test_reuse_is_recorded_and_lineage_still_points_at_the_original(repo: Repository) -> None:
    original = featurize(repo)
    with repo.experiment("features").run() as run:
        with run.step("featurize", executable=FEATURIZE) as step:
            step.use(RAW)
            step.use(VOCAB)
            step.set_param_dict(PARAMS)
            earlier = step.find_reusable()
            assert earlier is not None
            (features,) = step.reuse(earlier)
            reusing = step.iri.value
        with run.step("train", kind="train", executable=TRAIN) as step:
            step.use(features)  # the reused output feeds the next step
            step.set_params(C=0.5)
            model = step.produce(Model("model", digest=digest("model")))
    assert run.status is kgrepo.Status.SUCCEEDED
    assert features.iri == original.outputs[0].iri

    # recorded in the reusing run's graph, with the PROV-O super-property
    rows = repo.select(
        "SELECT ?e ?g ?p ?o WHERE { GRAPH ?g { ?e ?p ?o } "
        "FILTER(?p IN (kg:reusedFrom, kg:reusedOutput, prov:wasInformedBy)) }",
        e=reusing,
    )
    assert {(r["g"], r["p"], r["o"]) for r in rows} == {
        (run.iri.value, KG + "reusedFrom", original.execution),
        (run.iri.value, "http://www.w3.org/ns/prov#wasInformedBy", original.execution),
        (run.iri.value, KG + "reusedOutput", features.iri.value),
    }
    # the reused dataset was not generated again
    generators = repo.select("SELECT DISTINCT ?a ?e WHERE { ?a kg:generatedBy ?e }", a=features.iri)
    assert [r["e"] for r in generators] == [original.execution]

    # upstream of the new model: the train step of this run, then the ORIGINAL featurize
    up = lin.upstream(repo, model)
    assert [(s.name, s.iri, s.depth) for s in up.steps] == [
        ("train", up.steps[0].iri, 1),
        ("featurize", original.execution, 2),
    ]
    assert up.steps[0].run == run.iri.value
    assert up.steps[1].run == original.run
    assert sorted(a.name for a in up.raw_inputs) == ["raw", "vocab"]
    assert [s.iri for s in lin.recipe(repo, model).steps] == [original.execution, up.steps[0].iri]
    assert [s.iri for s in lin.upstream(repo, features).steps] == [original.execution]


def test_a_reuse_of_a_reuse_still_offers_the_original_outputs(repo: Repository) -> None:
    original = featurize(repo)
    executions = []
    for _ in range(3):
        with (
            repo.experiment("features").run() as run,
            run.step("featurize", executable=FEATURIZE) as step,
        ):
            step.use(RAW)
            step.use(VOCAB)
            step.set_param_dict(PARAMS)
            earlier = step.find_reusable()
            assert earlier is not None
            assert [o.iri for o in earlier.outputs] == [original.outputs[0].iri]
            assert [o.iri for o in step.reuse(earlier)] == [original.outputs[0].iri]
            executions.append((earlier.execution, step.iri.value))
    # each reuse found the latest equivalent execution: the original, then the previous reuse
    assert executions[0][0] == original.execution
    assert executions[1][0] == executions[0][1]
    assert executions[2][0] == executions[1][1]
    generators = repo.select(
        "SELECT DISTINCT ?a ?e WHERE { ?a kg:generatedBy ?e }", a=original.outputs[0].iri
    )
    assert [r["e"] for r in generators] == [original.execution]


def test_reuse_refuses_what_is_not_a_reusable_and_a_second_reuse(repo: Repository) -> None:
    featurize(repo)
    with (
        repo.experiment("features").run() as run,
        run.step("featurize", executable=FEATURIZE) as step,
    ):
        step.use(RAW)
        step.use(VOCAB)
        step.set_param_dict(PARAMS)
        earlier = step.find_reusable()
        assert earlier is not None
        with pytest.raises(
            InvalidInput, match=r"field 'earlier'.*expected the result of find_reusable"
        ):
            step.reuse(earlier.execution)  # type: ignore[arg-type]
        step.reuse(earlier)
        with pytest.raises(InvalidState, match=r"has already reused <"):
            step.reuse(earlier)
    with pytest.raises(InvalidState, match=r"has ended"):
        step.find_reusable()
    with repo.experiment("features").run() as later:
        pending = later.step("featurize", executable=FEATURIZE)  # not entered
        with pytest.raises(InvalidState, match=r"has not started"):
            pending.find_reusable()


def test_find_equivalent_refuses_bad_input(repo: Repository) -> None:
    featurize(repo)
    with pytest.raises(InvalidInput, match=r"field 'executable'.*expected a kgrepo.Executable"):
        reuse.find_equivalent(repo, "featurize.py", (RAW,), PARAMS)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"field 'inputs'.*expected kgrepo artifacts"):
        reuse.find_equivalent(repo, FEATURIZE, (RAW.digest,), PARAMS)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"parameter 'bins'.*unsupported type"):
        reuse.find_equivalent(repo, FEATURIZE, (RAW,), {"bins": object()})
    with pytest.raises(InvalidInput, match=r"parameter 'scale'.*must be finite"):
        reuse.find_equivalent(repo, FEATURIZE, (RAW,), {"scale": float("nan")})
    with pytest.raises(InvalidInput, match=r"parameter name.*must be a non-empty string"):
        reuse.find_equivalent(repo, FEATURIZE, (RAW,), {"": 1})


def test_signature_is_stable_and_sensitive(repo: Repository) -> None:
    key = reuse.signature(FEATURIZE, [RAW, VOCAB], PARAMS)
    assert key is not None and key.startswith("sha256:")
    assert key == reuse.signature(FEATURIZE, [VOCAB, RAW], dict(reversed(PARAMS.items())))
    assert key != reuse.signature(FEATURIZE, [RAW, VOCAB], {**PARAMS, "scale": 1})
    recorded = featurize(repo)
    rows = repo.select("SELECT ?e ?s WHERE { ?e kg:signature ?s }", e=recorded.execution)
    assert [r["s"] for r in rows] == [key]
    found = reuse.lookup(repo, key)
    assert found is not None and found.execution == recorded.execution
    assert reuse.lookup(repo, "sha256:" + "0" * 64) is None


def test_finding_a_reusable_step_stays_cheap_when_its_outputs_are_widely_used(
    repo: Repository,
) -> None:
    """FR6 lookups are 'a single indexed lookup': they must not slow down because the outputs they
    offer are used (and so described) by many runs. (A popular output is the point of reuse.)"""
    earlier = featurize(repo)
    for i in range(14):
        with repo.experiment("training").run() as run, run.step("train", executable=TRAIN) as step:
            step.use(Dataset("features", uri="file:///data/features", digest=digest("features")))
            step.set_params(C=float(i))
    outcome: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: outcome.update(
            found=reuse.find_equivalent(repo, FEATURIZE, (RAW, VOCAB), PARAMS)
        ),
        daemon=True,
    )
    thread.start()
    thread.join(3.0)
    assert not thread.is_alive(), "find_equivalent took more than 3 s"
    assert offers(outcome["found"], earlier)
