"""SPEC scenario 3, automated workflows, end to end through the public API.

Retraining of a digits classifier is triggered monthly (a scheduler), after N new items (a data
watcher) or on a commit (CI). Some runs fail in validation; one run deploys. The repository then
tells how often the workflow ran since the last deployment, what triggered each run, and how each
ended — and where the failed runs stopped.

The history, in start order (V = validation, D = deploy):

====  ===========  =========================  ======================  =========
 #    cause        by, why                    what happens            status
====  ===========  =========================  ======================  =========
 0    schedule     airflow, monthly (Jan)     V fails                 Failed
 1    data change  watcher, 1000 new items    V ok, D fails           Failed
 2    code change  ci, commit a1b2c3          V ok, D ok (deployed)   Succeeded
 3    data change  watcher, 1000 new items    V fails                 Failed
 4    schedule     airflow, monthly (Feb)     V fails                 Failed
 5    manual       carol, backfill workflow   no validation           Succeeded
 6    code change  ci, commit d4e5f6          V ok, no D (not asked)  Succeeded
 7    data change  watcher, 1000 new items    V fails                 Failed
====  ===========  =========================  ======================  =========
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

import kgrepo
from kgrepo import Cause, Status, Trigger
from kgrepo.dag import run_dag
from kgrepo.history import run_trigger, runs_since, trace

RETRAIN = kgrepo.Workflow("retrain-digits", version="3", uri="https://git.example.org/ml/digits")
BACKFILL = kgrepo.Workflow("backfill-labels", version="1")
PREPARE = kgrepo.Executable("prepare.py", version="1.4.0")
TRAIN = kgrepo.Executable("train.py", version="2.1.0")
VALIDATE = kgrepo.Executable("validate.py", version="1.0.0")
DEPLOY = kgrepo.Executable("deploy.sh", version="0.9")
NEW_ITEMS = 1000
MIN_ACCURACY = 0.95


class ValidationFailed(Exception):
    """What the validation step raises when the model is not good enough."""


class RegistryUnavailable(Exception):
    """What the deploy step raises when the model registry cannot be reached."""


@dataclass(frozen=True)
class Retraining:
    """One retraining: why it started, how good the model is, and whether to deploy it."""

    trigger: Trigger
    accuracy: float
    deploy: bool = False
    registry_up: bool = True


def retrain(exp: kgrepo.Experiment, version: int, job: Retraining) -> kgrepo.Run:
    """The retraining workflow: prepare → train → validate → (deploy). An exception in a step fails
    that step and the run, and stops the workflow, as an orchestrator would."""
    data = kgrepo.Dataset(
        "digits",
        uri=f"s3://ml/digits/v{version}.parquet",
        digest=f"sha256:digits-v{version}",
        characteristics={"rows": 1797 + NEW_ITEMS * version},
    )
    run = exp.run(trigger=job.trigger, workflow=RETRAIN, config={"seed": 7})
    try:
        with run:
            with run.step("prepare", kind="transform", executable=PREPARE) as step:
                step.use(data)
                clean = step.produce(kgrepo.Dataset("digits-clean", digest=f"sha256:c{version}"))
            with run.step("train", kind="train", executable=TRAIN) as step:
                step.use(clean)
                model = step.produce(
                    kgrepo.Model("svc", digest=f"sha256:m{version}-{job.accuracy}")
                )
            with run.step("validate", kind="evaluate", executable=VALIDATE) as step:
                step.use(model)
                step.log_metric("accuracy", job.accuracy, of=model)
                if job.accuracy < MIN_ACCURACY:
                    raise ValidationFailed(f"accuracy {job.accuracy} < {MIN_ACCURACY}")
            if job.deploy:
                with run.step("deploy", kind="deploy", executable=DEPLOY) as step:
                    step.use(model)
                    if not job.registry_up:
                        raise RegistryUnavailable("registry.example.org: connection refused")
    except (ValidationFailed, RegistryUnavailable):
        pass  # recorded as the failure of the step and of the run
    time.sleep(0.003)  # start times are kept to the millisecond: keep the runs apart
    return run


def backfill(exp: kgrepo.Experiment) -> kgrepo.Run:
    """Another workflow of the same experiment: relabelling, started by hand."""
    trigger = Trigger.manual(by="carol", reason="fix labels")
    with exp.run(trigger=trigger, workflow=BACKFILL) as run, run.step("relabel") as step:
        step.use(kgrepo.Dataset("labels", digest="sha256:labels"))
    time.sleep(0.003)
    return run


def monthly(month: str) -> Trigger:
    return Trigger.schedule(by="airflow", reason=f"monthly retraining ({month})")


def new_items() -> Trigger:
    return Trigger.data_change(
        by="watcher", reason=f"{NEW_ITEMS} new items", concerns="s3://ml/digits/"
    )


def commit(sha: str) -> Trigger:
    return Trigger.code_change(
        by="ci",
        reason=f"commit {sha}",
        concerns=f"https://git.example.org/ml/digits/-/commit/{sha}",
    )


def test_how_often_the_workflow_ran_since_the_last_deployment(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("digits-retraining", goal="keep the digits classifier fresh")
    runs = [
        retrain(exp, 1, Retraining(monthly("January"), accuracy=0.91)),
        retrain(exp, 2, Retraining(new_items(), accuracy=0.97, deploy=True, registry_up=False)),
        retrain(exp, 2, Retraining(commit("a1b2c3"), accuracy=0.975, deploy=True)),
        retrain(exp, 3, Retraining(new_items(), accuracy=0.93)),
        retrain(exp, 3, Retraining(monthly("February"), accuracy=0.92)),
        backfill(exp),
        retrain(exp, 3, Retraining(commit("d4e5f6"), accuracy=0.96)),
        retrain(exp, 4, Retraining(new_items(), accuracy=0.94)),
    ]
    iris = [run.iri.value for run in runs]
    assert [run.status for run in runs] == [
        Status.FAILED,
        Status.FAILED,
        Status.SUCCEEDED,
        Status.FAILED,
        Status.FAILED,
        Status.SUCCEEDED,
        Status.SUCCEEDED,
        Status.FAILED,
    ]

    # how often the retraining workflow ran since the last deployment (the run that deployed
    # included), what triggered each run, and how each ended
    since = runs_since(repo, exp, since_step_kind="deploy", workflow="retrain-digits")
    assert since.since_run == iris[2]  # run 1's deploy failed: it is not a deployment
    assert since.count == 5
    assert [r.iri for r in since.runs] == [iris[2], iris[3], iris[4], iris[6], iris[7]]
    assert since.by_cause == {"CodeChange": 2, "DataChange": 2, "Schedule": 1}
    assert since.by_status == {"Succeeded": 2, "Failed": 3}
    assert [(r.trigger.cause, r.trigger.by, r.trigger.reason) for r in since.runs if r.trigger] == [
        (Cause.CODE_CHANGE, "ci", "commit a1b2c3"),
        (Cause.DATA_CHANGE, "watcher", "1000 new items"),
        (Cause.SCHEDULE, "airflow", "monthly retraining (February)"),
        (Cause.CODE_CHANGE, "ci", "commit d4e5f6"),
        (Cause.DATA_CHANGE, "watcher", "1000 new items"),
    ]
    assert [r.status for r in since.runs] == [
        Status.SUCCEEDED,
        Status.FAILED,
        Status.FAILED,
        Status.SUCCEEDED,
        Status.FAILED,
    ]
    # every workflow of the experiment since then: the manual backfill too
    everything_since = runs_since(repo, exp, since_step_kind="deploy")
    assert everything_since.count == 6
    assert everything_since.by_cause == {
        "CodeChange": 2,
        "DataChange": 2,
        "Manual": 1,
        "Schedule": 1,
    }
    assert everything_since.by_status == {"Failed": 3, "Succeeded": 3}
    # and over the whole history
    whole = runs_since(repo, exp, workflow=RETRAIN)
    assert whole.count == 7
    assert whole.by_cause == {"CodeChange": 2, "DataChange": 3, "Schedule": 2}
    assert whole.by_status == {"Failed": 5, "Succeeded": 2}

    # what triggered one run, with what changed
    trigger = run_trigger(repo, runs[3])
    assert (trigger.cause, trigger.by, trigger.reason, trigger.concerns) == (
        Cause.DATA_CHANGE,
        "watcher",
        "1000 new items",
        "s3://ml/digits/",
    )
    assert run_trigger(repo, runs[6]).concerns == (
        "https://git.example.org/ml/digits/-/commit/d4e5f6"
    )

    # where the failed runs stopped: validation failed, nothing deployed after it
    for failed in (runs[0], runs[3], runs[4], runs[7]):
        dag = run_dag(repo, failed)
        assert [(e.name, e.status) for e in dag.executions] == [
            ("prepare", Status.SUCCEEDED),
            ("train", Status.SUCCEEDED),
            ("validate", Status.FAILED),
        ]
        assert dag.execution("validate").error_type == "ValidationFailed"
    deploy_failed = run_dag(repo, runs[1]).execution("deploy")
    assert (deploy_failed.status, deploy_failed.error_type) == (
        Status.FAILED,
        "RegistryUnavailable",
    )
    assert run_dag(repo, runs[2]).execution("deploy").status is Status.SUCCEEDED

    # the trace: the data versions each run used, each shown once
    datasets = [
        (a.artifact.uri, len(a.used_by))
        for a in trace(repo, exp).artifacts
        if a.artifact.name == "digits"
    ]
    assert datasets == [
        ("s3://ml/digits/v1.parquet", 1),
        ("s3://ml/digits/v2.parquet", 2),
        ("s3://ml/digits/v3.parquet", 3),
        ("s3://ml/digits/v4.parquet", 1),
    ]


def test_no_deployment_yet_is_said_plainly(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("digits-retraining")
    retrain(exp, 1, Retraining(monthly("January"), accuracy=0.91))
    with pytest.raises(kgrepo.InvalidInput, match=r"no run of experiment .* succeeded 'deploy'"):
        runs_since(repo, exp, since_step_kind="deploy")
