"""FR7 (what triggered a run, how often an experiment ran since a point) and FR10 (the trace of an
experiment), through kgrepo.history and the ``trigger``, ``runs-since`` and ``trace`` commands, over
every backend.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import NamedNode

from kgrepo import (
    Agent,
    Dataset,
    InvalidInput,
    Model,
    NotFound,
    Repository,
    Status,
    Trigger,
    Workflow,
)
from kgrepo.cli import main
from kgrepo.history import run_summary, run_trigger, runs_since, trace
from kgrepo.recording import Experiment, Run

UTC = dt.UTC
SHARED = Dataset("digits", uri="file:///data/digits.csv", digest="sha256:d1")


def tick() -> None:
    """Start times are kept to the millisecond: make the next one later than the last."""
    time.sleep(0.003)


def record(
    exp: Experiment,
    trigger: Trigger,
    *,
    kinds: tuple[str, ...] = ("train",),
    fail: str | None = None,
    workflow: Workflow | None = None,
    model: str = "sha256:m0",
) -> Run:
    """A run using the shared dataset, with one step per kind; the step of kind ``fail`` raises."""
    run = exp.run(trigger=trigger, workflow=workflow)
    try:
        with run:
            for kind in kinds:
                with run.step(kind, kind=kind) as step:
                    step.use(SHARED)
                    if kind == fail:
                        raise RuntimeError(f"{kind} failed")
                    if kind == "train":
                        step.produce(Model("svc", digest=model))
    except RuntimeError:
        pass
    tick()
    return run


def iri(x: Run | Experiment) -> str:
    return x.iri.value


# -- FR7: what triggered a run ---------------------------------------------------------------------


def test_run_trigger_tells_cause_agent_reason_and_what_changed(repo: Repository) -> None:
    exp = repo.experiment("triggers")
    triggers = [
        Trigger.manual(by="alice", reason="first try"),
        Trigger.schedule(by="airflow", reason="monthly"),
        Trigger.data_change(by="watcher", reason="1000 new items", concerns=SHARED.uri),
        Trigger.code_change(by=Agent("bob", role="dev"), concerns="https://git.example/c/a1"),
        Trigger.requirement_failure(by="auditor"),
        Trigger.other(),
    ]
    runs = [record(exp, t) for t in triggers]
    for run, trigger in zip(runs, triggers, strict=True):
        info = run_trigger(repo, run)
        assert info.cause is trigger.cause
        assert info.by == (trigger.by.name if trigger.by else None)
        assert info.reason == trigger.reason
        assert info.concerns == trigger.concerns
    assert run_trigger(repo, iri(runs[0])).to_dict() == {
        "cause": "Manual",
        "by": "alice",
        "reason": "first try",
        "concerns": None,
    }
    # the default trigger of a run is manual, by nobody
    assert run_trigger(repo, record(exp, Trigger.manual())).by is None


def test_run_trigger_refuses_what_is_not_a_run(repo: Repository) -> None:
    exp = repo.experiment("triggers")
    record(exp, Trigger.manual())
    with pytest.raises(NotFound, match=re.escape("no run <https://kgrepo.example/run/x>")):
        run_trigger(repo, "https://kgrepo.example/run/x")
    with pytest.raises(InvalidInput, match="is an Experiment, not a run"):
        run_trigger(repo, exp)
    with pytest.raises(InvalidInput, match="expected an IRI string, got int"):
        run_trigger(repo, 42)


# -- FR7: how often since -------------------------------------------------------------------------


def test_runs_since_counts_runs_by_cause_and_status_in_start_order(repo: Repository) -> None:
    exp = repo.experiment("history")
    first = record(exp, Trigger.schedule(by="cron"))
    mark = dt.datetime.now(UTC)
    tick()
    second = record(
        exp, Trigger.data_change(by="watcher"), kinds=("train", "validate"), fail="validate"
    )
    third = record(exp, Trigger.code_change(by="bob"))

    everything = runs_since(repo, exp)
    assert everything.count == 3 and everything.since is None and everything.since_run is None
    assert [r.iri for r in everything.runs] == [iri(first), iri(second), iri(third)]
    assert everything.by_cause == {"CodeChange": 1, "DataChange": 1, "Schedule": 1}
    assert everything.by_status == {"Failed": 1, "Succeeded": 2}

    recent = runs_since(repo, exp, since=mark)
    assert recent.since == mark
    assert [r.iri for r in recent.runs] == [iri(second), iri(third)]
    assert [r.status for r in recent.runs] == [Status.FAILED, Status.SUCCEEDED]
    assert recent.by_cause == {"CodeChange": 1, "DataChange": 1}
    assert recent.runs[0].trigger is not None and recent.runs[0].trigger.by == "watcher"
    assert recent.runs[0].experiment == iri(exp)
    # another timezone, same instant
    assert (
        runs_since(repo, exp, since=mark.astimezone(dt.timezone(dt.timedelta(hours=5)))).count == 2
    )

    # a run as the point: from its start, that run included
    from_run = runs_since(repo, exp, since=second)
    assert [r.iri for r in from_run.runs] == [iri(second), iri(third)]
    assert from_run.since_run == iri(second)
    assert from_run.since == run_summary(repo, second).started
    assert runs_since(repo, iri(exp), since=iri(third)).count == 1

    future = runs_since(repo, exp, since=dt.datetime.now(UTC) + dt.timedelta(days=365))
    assert (future.count, future.runs, future.by_cause, future.by_status) == (0, (), {}, {})


def test_runs_since_the_last_succeeded_step_of_a_kind(repo: Repository) -> None:
    exp = repo.experiment("deployments")
    record(exp, Trigger.schedule(), kinds=("train", "deploy"))  # an older deployment
    record(exp, Trigger.schedule(), kinds=("train", "validate"), fail="validate")
    deployed = record(exp, Trigger.code_change(), kinds=("train", "deploy"))
    record(exp, Trigger.data_change(), kinds=("train", "deploy"), fail="deploy")  # not deployed
    record(exp, Trigger.schedule(), kinds=("train", "validate"), fail="validate")

    result = runs_since(repo, exp, since_step_kind="deploy")
    assert result.since_run == iri(deployed)
    assert result.since == run_summary(repo, deployed).started
    assert result.count == 3
    assert result.runs[0].iri == iri(deployed)
    assert result.by_cause == {"CodeChange": 1, "DataChange": 1, "Schedule": 1}
    assert result.by_status == {"Failed": 2, "Succeeded": 1}
    # another kind: the last run with a succeeded "validate"? none succeeded
    with pytest.raises(InvalidInput, match=r"no run of experiment .* has a succeeded 'validate'"):
        runs_since(repo, exp, since_step_kind="validate")


def test_runs_since_no_deployment_yet_is_an_error_that_says_so(repo: Repository) -> None:
    exp = repo.experiment("never-deployed")
    record(exp, Trigger.schedule(), kinds=("train", "deploy"), fail="deploy")
    with pytest.raises(InvalidInput, match=r"has a succeeded 'deploy' step yet.*omit since_step"):
        runs_since(repo, exp, since_step_kind="deploy")
    # a deployment in another experiment does not count
    other = repo.experiment("other")
    record(other, Trigger.schedule(), kinds=("deploy",))
    with pytest.raises(InvalidInput, match="succeeded 'deploy' step"):
        runs_since(repo, exp, since_step_kind="deploy")


def test_runs_since_one_workflow(repo: Repository) -> None:
    exp = repo.experiment("workflows")
    retrain_1 = Workflow("retrain", version="1")
    retrain_2 = Workflow("retrain", version="2")
    a = record(exp, Trigger.schedule(), workflow=retrain_1)
    b = record(exp, Trigger.schedule(), workflow=retrain_2)
    record(exp, Trigger.manual(), workflow=Workflow("backfill"))
    record(exp, Trigger.manual())
    assert runs_since(repo, exp).count == 4
    assert [r.iri for r in runs_since(repo, exp, workflow="retrain").runs] == [iri(a), iri(b)]
    assert [r.iri for r in runs_since(repo, exp, workflow=retrain_2).runs] == [iri(b)]
    assert runs_since(repo, exp, workflow=Workflow("retrain")).count == 2
    workflow_iri = NamedNode("https://kgrepo.example/workflow/retrain/1")
    assert [r.iri for r in runs_since(repo, exp, workflow=workflow_iri).runs] == [iri(a)]
    assert runs_since(repo, exp, workflow="nothing").count == 0
    assert runs_since(repo, exp, since=b, workflow="retrain").count == 1


def test_runs_since_refuses_bad_input(repo: Repository) -> None:
    exp = repo.experiment("bad")
    run = record(exp, Trigger.manual())
    with pytest.raises(InvalidInput, match="naive datetime is ambiguous"):
        runs_since(repo, exp, since=dt.datetime(2025, 1, 1))
    with pytest.raises(InvalidInput, match="either since or since_step_kind, not both"):
        runs_since(repo, exp, since=dt.datetime.now(UTC), since_step_kind="deploy")
    with pytest.raises(
        NotFound, match=re.escape("no experiment <https://kgrepo.example/experiment/nope>")
    ):
        runs_since(repo, "https://kgrepo.example/experiment/nope")
    with pytest.raises(InvalidInput, match="is a Run, not an experiment"):
        runs_since(repo, run)
    with pytest.raises(InvalidInput, match="is an Experiment, not a run"):
        runs_since(repo, exp, since=exp)
    with pytest.raises(NotFound, match=re.escape("no run <https://kgrepo.example/run/nope>")):
        runs_since(repo, exp, since="https://kgrepo.example/run/nope")
    with pytest.raises(InvalidInput, match="expected a timezone-aware datetime or a run"):
        runs_since(repo, exp, since=dt.date(2025, 1, 1))
    with pytest.raises(InvalidInput, match=r"since_step_kind.*must not be empty"):
        runs_since(repo, exp, since_step_kind=" ")
    with pytest.raises(
        InvalidInput, match=re.escape("expected a workflow name, a kgrepo.Workflow")
    ):
        runs_since(repo, exp, workflow=3)  # type: ignore[arg-type]


# -- FR10: trace ---------------------------------------------------------------------------------


def test_trace_shows_each_artifact_once_with_its_producers_and_users(repo: Repository) -> None:
    exp = repo.experiment("trace")
    runs = []
    for n in range(3):
        with exp.run(trigger=Trigger.schedule(by="cron")) as run:
            with run.step("prepare") as prepare:
                prepare.use(SHARED)
                clean = prepare.produce(Dataset("clean", digest="sha256:c1"))  # equal every run
            with run.step("train", kind="train") as train:
                train.use(clean)
                model = train.produce(Model("svc", digest=f"sha256:m{n % 2}"))  # 2 distinct
                train.log_metric("accuracy", 0.9, of=model)
        runs.append(iri(run))
        tick()
    repo.experiment("elsewhere")  # another experiment's runs do not show
    record(repo.experiment("elsewhere"), Trigger.manual())

    result = trace(repo, exp)
    assert result.experiment == iri(exp)
    assert [r.iri for r in result.runs] == runs
    assert all(r.status is Status.SUCCEEDED for r in result.runs)
    table = [
        (a.artifact.kind, a.artifact.name, a.artifact.digest, a.produced_by, a.used_by)
        for a in result.artifacts
    ]
    r0, r1, r2 = runs
    assert table == [
        ("Dataset", "clean", "sha256:c1", (r0, r1, r2), (r0, r1, r2)),
        ("Dataset", "digits", "sha256:d1", (), (r0, r1, r2)),
        ("Metrics", "accuracy", None, (r0,), ()),
        ("Model", "svc", "sha256:m0", (r0, r2), ()),
        ("Metrics", "accuracy", None, (r1,), ()),
        ("Model", "svc", "sha256:m1", (r1,), ()),
        ("Metrics", "accuracy", None, (r2,), ()),
    ]
    shared = result.artifact("https://kgrepo.example/artifact/Dataset/sha256%3Ad1")
    assert shared.artifact.uri == "file:///data/digits.csv"
    with pytest.raises(NotFound, match="is in no run of experiment"):
        result.artifact("https://kgrepo.example/artifact/Dataset/nope")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["artifacts"][1]["used_by"] == runs


def test_trace_of_custom_kinds_and_of_differently_named_equal_artifacts(repo: Repository) -> None:
    Validation = repo.register_kind("Validation", {"verdict": (str, True)})
    Report = repo.register_kind("Report", {"pages": int}, parent=Validation)
    exp = repo.experiment("custom")
    for name in ("check-b", "check-a"):
        with exp.run() as run, run.step("validate", kind="evaluate") as step:
            step.produce(Report(name, verdict="pass", digest="sha256:v"))
        tick()
    (entry,) = trace(repo, exp).artifacts
    assert (entry.artifact.kind, entry.artifact.name) == ("Report", "check-a")
    assert len(entry.produced_by) == 2


def test_trace_and_runs_since_ask_as_many_queries_for_many_runs_as_for_few(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set-oriented, not one query per run (timings live in benchmarks, not here)."""
    asked: list[str] = []
    select = repo.select

    def counting(sparql: str, **bindings: object) -> list[dict[str, object]]:
        asked.append(sparql)
        return select(sparql, **bindings)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "select", counting)
    counts = []
    for size in (2, 12):
        exp = repo.experiment(f"size {size}")
        for n in range(size):
            record(exp, Trigger.schedule(), kinds=("train", "deploy"), model=f"sha256:{n}")
        asked.clear()
        assert len(trace(repo, exp).runs) == size
        assert runs_since(repo, exp, since_step_kind="deploy").count == 1
        counts.append(len(asked))
    assert counts[0] == counts[1]


def test_trace_of_an_empty_experiment_and_bad_input(repo: Repository) -> None:
    exp = repo.experiment("empty")
    empty = trace(repo, exp)
    assert (empty.runs, empty.artifacts) == ((), ())
    run = record(exp, Trigger.manual())
    with pytest.raises(InvalidInput, match="is a Run, not an experiment"):
        trace(repo, run)
    with pytest.raises(
        NotFound, match=re.escape("no experiment <https://kgrepo.example/experiment/x>")
    ):
        trace(repo, "https://kgrepo.example/experiment/x")


# -- CLI -----------------------------------------------------------------------------------------


def cli(path: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["--repo", str(path), *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, list[str]]:
    """An on-disk repository with an experiment "retrain": schedule, deploy, data change (fails)."""
    path = tmp_path / "repo"
    with Repository.open(path) as repo:
        exp = repo.experiment("retrain")
        runs = [
            record(exp, Trigger.schedule(by="cron", reason="monthly")),
            record(exp, Trigger.code_change(by="bob"), kinds=("train", "deploy")),
            record(
                exp,
                Trigger.data_change(by="watcher", reason="500 new items"),
                kinds=("train", "validate"),
                fail="validate",
            ),
        ]
    return path, [iri(r) for r in runs]


def test_cli_trigger(recorded: tuple[Path, list[str]]) -> None:
    path, runs = recorded
    out = cli(path, "trigger", runs[0])
    assert out.splitlines() == [
        "cause     Schedule",
        "by        cron",
        "reason    monthly",
        "concerns  -",
    ]
    assert json.loads(cli(path, "trigger", runs[2], "-o", "json"))["cause"] == "DataChange"
    assert "is an Experiment, not a run" in cli(
        path, "trigger", "https://kgrepo.example/experiment/retrain", code=1
    )


def test_cli_runs_since(recorded: tuple[Path, list[str]]) -> None:
    path, runs = recorded
    out = cli(path, "runs-since", "retrain", "--since-step-kind", "deploy")
    assert "2 run(s) since " in out and f"(run {runs[1]})" in out
    assert "  by cause: CodeChange 1, DataChange 1" in out
    assert "  by status: Failed 1, Succeeded 1" in out
    by_iri = json.loads(
        cli(path, "runs-since", "https://kgrepo.example/experiment/retrain", "-o", "json")
    )
    assert by_iri["count"] == 3 and [r["iri"] for r in by_iri["runs"]] == runs
    assert by_iri["runs"][0]["trigger"]["reason"] == "monthly"
    csv_lines = cli(path, "runs-since", "retrain", "--since", runs[2], "-o", "csv").splitlines()
    assert csv_lines[0] == "#,started,run,status,cause,by,reason"
    assert csv_lines[1].endswith(f",{runs[2]},Failed,DataChange,watcher,500 new items")
    assert len(csv_lines) == 2
    assert "0 run(s) since 2999-01-01T00:00:00+00:00" in cli(
        path, "runs-since", "retrain", "--since", "2999-01-01T00:00:00Z"
    )
    assert "3 run(s) since 2000-01-01T00:00:00+02:00" in cli(
        path, "runs-since", "retrain", "--since", "2000-01-01T00:00+02:00"
    )
    assert "has no timezone; add one" in cli(
        path, "runs-since", "retrain", "--since", "2025-01-31", code=2
    )
    assert "no experiment named 'nope' (nor is it an IRI)" in cli(
        path, "runs-since", "nope", code=1
    )
    assert "no experiment <https://kgrepo.example/experiment/nope>" in cli(
        path, "runs-since", "https://kgrepo.example/experiment/nope", code=1
    )
    assert "give either since or since_step_kind" in cli(
        path, "runs-since", "retrain", "--since", runs[0], "--since-step-kind", "deploy", code=1
    )


def test_cli_trace(recorded: tuple[Path, list[str]]) -> None:
    path, runs = recorded
    out = cli(path, "trace", "retrain")
    assert "(3 rows)" in out  # the runs
    assert "Dataset  digits" in out and "#1-3" in out  # the shared dataset, used by every run
    data = json.loads(cli(path, "trace", "retrain", "-o", "json"))
    assert [r["iri"] for r in data["runs"]] == runs
    (digits,) = [a for a in data["artifacts"] if a["artifact"]["name"] == "digits"]
    assert digits["used_by"] == runs and digits["produced_by"] == []
    csv_lines = cli(path, "trace", "retrain", "-o", "csv").splitlines()
    assert csv_lines[0] == "artifact,kind,name,digest,produced by,used by"
    assert f",Dataset,digits,sha256:d1,,{' '.join(runs)}" in "\n".join(csv_lines)
