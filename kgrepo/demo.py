"""The demo: SPEC scenario 1 (root cause), and a tuning history to learn from, recorded through
the public API.

A digits classifier is trained and deployed; later someone points the data step at another dataset
with more classes, and the retrained model predicts labels that do not exist. Comparing the
lineage of the two models shows the dataset changed, who triggered that run, and why.

The tuning history (:func:`record_tuning`) is what the recommender (SPEC scenario 7) learns from:
80 runs of 16 scikit-learn configurations (decision trees, k-nearest neighbours, logistic
regression, SVMs) on 5 datasets, each with the dataset's characteristics and the configuration's
real cross-validated accuracy (``kgrepo/data/demo-tuning.json``, written by
``benchmarks/recommend/demo_tuning.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import kgrepo

DIGITS = kgrepo.Dataset(
    "digits",
    uri="file:///data/digits/v1/digits.csv",
    digest="sha256:5a3c9e0b1f7d2c4e6a8b0d1f3e5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c",
    storage_type="blob",
    characteristics={"rows": 1797, "features": 64, "classes": 10},
    description="8x8 images of handwritten digits 0-9",
)
ALPHANUMERIC = kgrepo.Dataset(
    "alphanumeric",
    uri="file:///data/alphanumeric/v3/alphanumeric.csv",
    digest="sha256:c1e9f7d5b3a1c9e7f5d3b1a9c7e5f3d1b9a7c5e3f1d9b7a5c3e1f9d7b5a3c1e9",
    storage_type="blob",
    characteristics={"rows": 4212, "features": 64, "classes": 36},
    description="8x8 images of handwritten digits and letters",
)
PREPARE = kgrepo.Executable(
    "prepare.py",
    version="1.4.0",
    uri="https://git.example.org/ml/digits/-/blob/1.4.0/prepare.py",
    digest="sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
)
TRAIN = kgrepo.Executable(
    "train.py",
    version="2.1.0",
    uri="https://git.example.org/ml/digits/-/blob/2.1.0/train.py",
    digest="sha256:a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1",
)
EVALUATE = kgrepo.Executable("evaluate.py", version="2.1.0")


@dataclass(frozen=True)
class DemoResult:
    experiment: str
    good_run: str
    bad_run: str
    good_model: str
    bad_model: str


def record(repo: kgrepo.Repository) -> DemoResult:
    """Records the two runs of the digits pipeline into ``repo``."""
    exp = repo.experiment("digits", goal="recognise handwritten digits")
    workflow = kgrepo.Workflow(
        "digits-pipeline", version="2.1.0", uri="https://git.example.org/ml/digits"
    )
    good_run, good_model = _pipeline(
        exp,
        workflow,
        DIGITS,
        kgrepo.Trigger.manual(by="alice", reason="first model for the pilot"),
        accuracy=0.974,
        digest="sha256:7d1e3c5a9b0f2e4d6c8a0b2f4e6d8c0a2b4f6e8d0c2a4b6f8e0d2c4a6b8f0e2d",
    )
    bad_run, bad_model = _pipeline(
        exp,
        workflow,
        ALPHANUMERIC,
        kgrepo.Trigger.data_change(
            by="bob",
            reason="data step pointed at the alphanumeric dataset",
            concerns=ALPHANUMERIC.uri,
        ),
        accuracy=0.861,
        digest="sha256:e2d0c8b6a4f2e0d8c6b4a2f0e8d6c4b2a0f8e6d4c2b0a8f6e4d2c0b8a6f4e2d0",
    )
    return DemoResult(exp.iri.value, good_run, bad_run, good_model, bad_model)


def _pipeline(
    exp: kgrepo.Experiment,
    workflow: kgrepo.Workflow,
    raw: kgrepo.Dataset,
    trigger: kgrepo.Trigger,
    *,
    accuracy: float,
    digest: str,
) -> tuple[str, str]:
    with exp.run(trigger=trigger, workflow=workflow, config={"seed": 7, "test_size": 0.25}) as run:
        with run.step("prepare", kind="transform", executable=PREPARE) as step:
            source = step.use(raw)
            step.set_params(scale="minmax", test_size=0.25)
            train = step.produce(
                kgrepo.Dataset(f"{raw.name}-train", uri=f"{raw.uri}.train.parquet")
            )
            test = step.produce(kgrepo.Dataset(f"{raw.name}-test", uri=f"{raw.uri}.test.parquet"))
        with run.step("train", kind="train", executable=TRAIN) as step:
            step.use(train)
            step.set_params(algorithm="SVC", C=10.0, kernel="rbf", gamma=0.001)
            model = step.produce(
                kgrepo.Model(
                    "digits-svc",
                    uri=f"file:///models/{digest[7:19]}/model.joblib",
                    digest=digest,
                    algorithm="SVC",
                    framework=("scikit-learn", "1.5.2"),
                )
            )
        with run.step("evaluate", kind="evaluate", executable=EVALUATE) as step:
            step.use(model)
            step.use(test)
            step.log_metric("accuracy", accuracy, of=model)
            step.log_metric("macro_f1", round(accuracy - 0.011, 3), of=model)
        del source
    return run.iri.value, model.iri.value


def record_tuning(repo: kgrepo.Repository) -> list[str]:
    """Records the tuning history into ``repo``: one experiment ``tune-<dataset>`` per dataset,
    one run per configuration (a ``cv`` step that uses the dataset, sets the configuration and
    logs its accuracy). Returns the experiments' IRIs.

    >>> import kgrepo
    >>> repo = kgrepo.Repository.in_memory()
    >>> len(record_tuning(repo))
    5
    >>> sorted((e["name"], e["runs"]) for e in repo.experiments())[0]
    ('tune-breast-cancer', 16)
    """
    text = resources.files("kgrepo").joinpath("data", "demo-tuning.json").read_text()
    experiments = []
    for d in json.loads(text)["datasets"]:
        data = kgrepo.Dataset(d["name"], digest=d["digest"], characteristics=d["characteristics"])
        exp = repo.experiment(f"tune-{d['name']}", goal=f"a classifier for {d['name']}")
        for r in d["runs"]:
            with exp.run() as run, run.step("cv", kind="train") as step:
                step.use(data)
                step.set_param_dict(r["configuration"])
                step.log_metric("accuracy", r["accuracy"])
        experiments.append(exp.iri.value)
    return experiments
