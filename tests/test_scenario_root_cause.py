"""SPEC scenario 1 — Root cause. Public API only.

A digits classifier is trained (run 1, by hand, alice). Later someone points the data step at
another dataset with more classes (run 2, a data-change trigger, bob), and the retrained model
predicts labels that do not exist. Comparing the lineage of the old and the new model shows at once
that the dataset changed, who or what triggered that run, and which artifacts are affected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest

import kgrepo
from kgrepo import Cause, Dataset, Executable, Model, Repository, Trigger, demo
from kgrepo.lineage import RootCause, root_cause
from kgrepo.results import TriggerInfo


def sha256(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


DIGITS = Dataset(
    "digits",
    uri="file:///data/digits/v1/digits.csv",
    digest=sha256("digits", 1),
    characteristics={"rows": 1797, "features": 64, "classes": 10},
)
EMNIST = Dataset(
    "emnist-byclass",
    uri="file:///data/emnist/byclass.csv",
    digest=sha256("emnist", "byclass"),
    characteristics={"rows": 8140, "features": 64, "classes": 62},
)
PREPARE = Executable("prepare.py", version="1.4.0", digest=sha256("prepare.py", "1.4.0"))
TRAIN = Executable("train.py", version="2.1.0", digest=sha256("train.py", "2.1.0"))
EVALUATE = Executable("evaluate.py", version="2.1.0")
FIRST_REASON = "first model for the pilot"
SWAP_REASON = "data step pointed at the EMNIST export"


@dataclass(frozen=True)
class Trained:
    run: str
    model: str
    derived: frozenset[str]  # every artifact the run derived from its raw data


def train(
    repo: Repository,
    raw: Dataset,
    trigger: Trigger,
    *,
    C: float = 10.0,
    train_code: Executable = TRAIN,
    tag: str,
) -> Trained:
    exp = repo.experiment("digits", goal="recognise handwritten digits")
    with exp.run(trigger=trigger, config={"seed": 7}) as run:
        with run.step("prepare", kind="transform", executable=PREPARE) as step:
            step.use(raw)
            step.set_params(scale="minmax", test_size=0.25)
            train_split = step.produce(
                Dataset(f"{raw.name}-train", digest=sha256(raw.digest, "train"))
            )
            test_split = step.produce(
                Dataset(f"{raw.name}-test", digest=sha256(raw.digest, "test"))
            )
        with run.step("train", kind="train", executable=train_code) as step:
            step.use(train_split)
            step.set_params(algorithm="SVC", C=C, kernel="rbf")
            model = step.produce(
                Model(
                    "digits-svc",
                    digest=sha256(tag),
                    algorithm="SVC",
                    framework=("scikit-learn", "1.5.2"),
                )
            )
        with run.step("evaluate", kind="evaluate", executable=EVALUATE) as step:
            step.use(model)
            step.use(test_split)
            accuracy = step.log_metric("accuracy", 0.97, of=model)
    derived = {train_split.iri.value, test_split.iri.value, model.iri.value, accuracy.iri.value}
    return Trained(run.iri.value, model.iri.value, frozenset(derived))


def first_and_swapped(repo: Repository) -> tuple[Trained, Trained]:
    first = train(repo, DIGITS, Trigger.manual(by="alice", reason=FIRST_REASON), tag="m1")
    swapped = train(
        repo,
        EMNIST,
        Trigger.data_change(by="bob", reason=SWAP_REASON, concerns=EMNIST.uri),
        tag="m2",
    )
    return first, swapped


def classes(repo: Repository, dataset: str) -> int:
    """The recorded number of classes of a dataset (a plain ML-Schema-style query)."""
    rows = repo.select(
        "SELECT DISTINCT ?d ?n WHERE { ?d kg:hasCharacteristic ?c . ?c rdfs:label 'classes' ; "
        "kg:value ?n }",
        d=dataset,
    )
    assert len(rows) == 1, rows
    return int(rows[0]["n"])


def test_the_swapped_dataset_is_named_with_who_triggered_it_and_what_it_affects(
    repo: Repository,
) -> None:
    first, swapped = first_and_swapped(repo)
    cause = root_cause(repo, first.model, swapped.model)

    assert isinstance(cause, RootCause)
    assert (cause.a, cause.b) == (first.model, swapped.model)
    # where: the data step; what: the dataset it read
    assert cause.step == "prepare"
    assert [a.name for a in cause.only_in_a] == ["digits"]
    assert [a.name for a in cause.only_in_b] == ["emnist-byclass"]
    (old,), (new,) = cause.only_in_a, cause.only_in_b
    assert (old.kind, old.digest, old.uri) == ("Dataset", DIGITS.digest, DIGITS.uri)
    assert (new.kind, new.digest, new.uri) == ("Dataset", EMNIST.digest, EMNIST.uri)
    assert cause.differences == (
        f"input only in a: Dataset 'digits' ({DIGITS.digest})",
        f"input only in b: Dataset 'emnist-byclass' ({EMNIST.digest})",
    )
    # ... and the new dataset has more classes: labels the deployed model never knew
    assert classes(repo, new.iri) == 62 > classes(repo, old.iri) == 10

    # who or what triggered each run
    assert cause.trigger_a == TriggerInfo(Cause.MANUAL, "alice", FIRST_REASON, None)
    assert cause.trigger_b == TriggerInfo(Cause.DATA_CHANGE, "bob", SWAP_REASON, EMNIST.uri)

    # what is affected: everything derived from the new dataset, the new model among them
    affected = {a.iri for a in cause.affected}
    assert swapped.model in affected
    assert affected == swapped.derived
    assert not affected & first.derived
    assert first.model not in affected
    assert {a.kind for a in cause.affected} == {"Dataset", "Model", "Metrics"}

    data = json.loads(json.dumps(cause.to_dict()))
    assert data["step"] == "prepare"
    assert data["trigger_b"] == {
        "cause": "DataChange",
        "by": "bob",
        "reason": SWAP_REASON,
        "concerns": EMNIST.uri,
    }
    assert swapped.model in [a["iri"] for a in data["affected"]]


def test_comparing_the_other_way_round(repo: Repository) -> None:
    first, swapped = first_and_swapped(repo)
    cause = root_cause(repo, swapped.model, first.model)
    assert cause.step == "prepare"
    assert [a.name for a in cause.only_in_a] == ["emnist-byclass"]
    assert [a.name for a in cause.only_in_b] == ["digits"]
    assert cause.trigger_a is not None and cause.trigger_a.cause is Cause.DATA_CHANGE
    assert cause.trigger_b is not None and cause.trigger_b.by == "alice"
    assert {a.iri for a in cause.affected} == first.derived


def test_through_the_demo(repo: Repository) -> None:
    result = demo.record(repo)
    cause = root_cause(repo, result.good_model, result.bad_model)
    assert cause.step == "prepare"
    assert [a.name for a in cause.only_in_a] == ["digits"]
    assert [a.name for a in cause.only_in_b] == ["alphanumeric"]
    assert cause.only_in_b[0].digest == demo.ALPHANUMERIC.digest
    assert cause.trigger_a is not None and cause.trigger_b is not None
    assert (cause.trigger_a.cause, cause.trigger_a.by) == (Cause.MANUAL, "alice")
    assert (cause.trigger_b.cause, cause.trigger_b.by) == (Cause.DATA_CHANGE, "bob")
    assert cause.trigger_b.concerns == demo.ALPHANUMERIC.uri
    affected = {a.iri: a for a in cause.affected}
    assert result.bad_model in affected
    assert result.good_model not in affected
    assert sorted(a.name for a in cause.affected) == [
        "accuracy",
        "alphanumeric-test",
        "alphanumeric-train",
        "digits-svc",
        "macro_f1",
    ]
    assert classes(repo, cause.only_in_b[0].iri) > classes(repo, cause.only_in_a[0].iri)


def test_a_model_compared_with_itself_has_no_root_cause(repo: Repository) -> None:
    first, _ = first_and_swapped(repo)
    cause = root_cause(repo, first.model, first.model)
    assert cause.step is None
    assert cause.differences == () and cause.only_in_a == () and cause.only_in_b == ()
    assert cause.affected == ()
    assert cause.trigger_a == cause.trigger_b


def test_a_changed_hyperparameter_is_found_at_the_training_step(repo: Repository) -> None:
    first = train(repo, DIGITS, Trigger.manual(by="alice"), tag="m1")
    tuned = train(repo, DIGITS, Trigger.schedule(by="airflow", reason="monthly"), C=1.0, tag="m3")
    cause = root_cause(repo, first.model, tuned.model)
    assert cause.step == "train"
    assert cause.differences == ("parameter C: 10.0 != 1.0",)
    assert cause.only_in_a == cause.only_in_b == ()
    assert cause.trigger_b == TriggerInfo(Cause.SCHEDULE, "airflow", "monthly", None)


def test_a_parameter_of_another_type_is_a_difference(repo: Repository) -> None:
    """1 and 1.0 are different settings (xsd:integer vs xsd:double; FR6 does not reuse one for the
    other), so the lineages differ at the training step."""
    as_float = train(repo, DIGITS, Trigger.manual(by="alice"), C=1.0, tag="m1")
    as_int = train(repo, DIGITS, Trigger.manual(by="alice"), C=1, tag="m4")
    cause = root_cause(repo, as_float.model, as_int.model)
    assert cause.step == "train"
    assert cause.differences == ("parameter C: 1.0 != 1",)


def test_new_training_code_is_found_at_the_training_step(repo: Repository) -> None:
    first = train(repo, DIGITS, Trigger.manual(by="alice"), tag="m1")
    patched = Executable("train.py", version="2.2.0", digest=sha256("train.py", "2.2.0"))
    code_change = Trigger.code_change(
        by="carol",
        reason="new SVC defaults",
        concerns="https://git.example.org/ml/digits/-/commit/ab12",
    )
    retrained = train(repo, DIGITS, code_change, train_code=patched, tag="m5")
    cause = root_cause(repo, first.model, retrained.model)
    assert cause.step == "train"
    assert len(cause.differences) == 1
    assert cause.differences[0].startswith("executable: ('train.py', '2.1.0', ")
    assert "'2.2.0'" in cause.differences[0]
    assert cause.trigger_b is not None and cause.trigger_b.cause is Cause.CODE_CHANGE


def test_unknown_or_wrong_iris_are_refused(repo: Repository) -> None:
    first, _ = first_and_swapped(repo)
    missing = "https://kgrepo.example/artifact/Model/missing"
    with pytest.raises(
        kgrepo.NotFound, match=r"no artifact <https://kgrepo\.example/artifact/Model/missing>"
    ):
        root_cause(repo, first.model, missing)
    with pytest.raises(kgrepo.InvalidInput, match=r"is a Run, not an artifact"):
        root_cause(repo, first.run, first.model)
