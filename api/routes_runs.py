"""``/api/v1``: experiments, runs (start, read, end) and their steps.

Every write is attributed to the token's owner: a run started here has them as its agent
(``prov:wasAssociatedWith``, on the run and each of its executions) and, unless the request
names someone else, as the one who triggered it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from kgrepo.api import convert, problems
from kgrepo.api.deps import Reader, Repo, ServerState, State, Writer
from kgrepo.api.models import (
    ArtifactIn,
    ExperimentIn,
    ExperimentOut,
    ExperimentSummary,
    MetricIn,
    RunEnd,
    RunIn,
    RunOut,
    StepIn,
    StepOut,
)
from kgrepo.api.tokens import Principal

from kgrepo import _resolve, history
from kgrepo.artifacts import Artifact, ArtifactRef
from kgrepo.errors import InvalidInput, NotFound
from kgrepo.recording import Run, Step
from kgrepo.records import Agent, Status, Workflow
from kgrepo.repository import Repository
from kgrepo.results import RunSummary

T = TypeVar("T")
router = APIRouter(responses=problems.responses(401, 403, 404, 409, 413, 422))
_REF = re.compile(r"(inputs|outputs)\[(\d+)\]\Z")


@router.post("/experiments", status_code=201, tags=["experiments"], response_model=ExperimentOut)
def create_experiment(body: ExperimentIn, repo: Repo, principal: Writer) -> ExperimentOut:
    """Creates the experiment (or returns it, adding a missing goal and new annotations)."""
    exp = repo.experiment(body.name, goal=body.goal, annotations=body.annotations or None)
    return ExperimentOut(iri=exp.iri.value, name=exp.name, goal=exp.goal)


@router.get("/experiments", tags=["experiments"])
def list_experiments(repo: Repo, principal: Reader) -> list[ExperimentSummary]:
    """Every experiment: IRI, name, goal, creation time, number of runs."""
    return [ExperimentSummary(**row) for row in repo.experiments()]


@router.get("/experiments/{experiment:path}/runs", tags=["experiments"])
def experiment_runs(experiment: str, repo: Repo, principal: Reader) -> history.RunHistory:
    """The experiment's runs (FR7): status, start, trigger."""
    return history.runs_since(repo, _experiment(repo, experiment))


@router.get("/experiments/{experiment:path}", tags=["experiments"])
def get_experiment(experiment: str, repo: Repo, principal: Reader) -> ExperimentSummary:
    """An experiment: IRI, name, goal, creation time, number of runs."""
    node = _experiment(repo, experiment)
    for row in repo.experiments():
        if row["experiment"] == node.value:
            return ExperimentSummary(**row)
    raise NotFound(f"no experiment <{node.value}>")


@router.post("/runs", status_code=201, tags=["runs"], response_model=RunOut)
async def start_run(body: RunIn, state: State, principal: Writer, request: Request) -> RunOut:
    """Starts a run (written at once, marked running); end it with ``POST /runs/{run}/end``.

    With a final ``status``, records the whole run instead, ``steps`` included, in one
    transaction (an atomic run): one request per run, and bad input anywhere writes nothing."""
    return await _recorded(request, state, _start_run, body, principal)


def _start_run(state: ServerState, body: RunIn, principal: Principal) -> RunOut:
    repo = state.repository
    whole = body.status is not None
    if body.steps and not whole:
        raise InvalidInput("Run", "steps", "[…]", "steps come with a final status (a whole run)")
    if body.error is not None and body.status != "Failed":
        raise InvalidInput("Run", "error", body.error, "only a failed run has an error")
    agent = Agent(principal.name) if principal.name else None
    # Created with the run's first write, so that a run refused for bad input creates nothing.
    exp = repo._experiment_deferred(body.experiment)
    run = exp.run(
        trigger=convert.trigger(body.trigger, principal.name),
        config=body.config,
        workflow=Workflow(**body.workflow.model_dump()) if body.workflow else None,
        agent=agent,
        name=body.name,
        annotations=body.annotations or None,
        atomic=whole,
        origin=convert.origin(body.environment),
    )
    run.start()
    if not whole:
        state.runs.add(run)
        return _run_out(run)
    batch = _Batch()
    steps = [
        _record_step(state, run, step, batch, f"steps[{i}]") for i, step in enumerate(body.steps)
    ]
    run.end(Status(body.status), RuntimeError(body.error) if body.error else None)
    return _run_out(run, steps)


@router.get("/runs/{run:path}/status", tags=["runs"])
def run_status(run: str, repo: Repo, principal: Reader) -> RunSummary:
    """The run's summary: experiment, status, start and end, trigger."""
    node = _resolve.require(repo, convert.iri(repo, "run", run), "run")
    return history.run_summary(repo, node)


@router.post("/runs/{run:path}/end", tags=["runs"], response_model=RunOut)
async def end_run(
    run: str, body: RunEnd, state: State, principal: Writer, request: Request
) -> RunOut:
    """Ends an open run with its final status (and error message, for a failed run)."""
    return await _recorded(request, state, _end_run, run, body)


def _end_run(state: ServerState, run: str, body: RunEnd) -> RunOut:
    error = RuntimeError(body.error) if body.error else None
    if error is not None and body.status != "Failed":
        raise InvalidInput("Run", "error", body.error, "only a failed run has an error")
    with state.runs.using(convert.iri(state.repository, "run", run)) as handle:
        handle.end(Status(body.status), error)
        state.runs.close(handle)
    return _run_out(handle)


@router.post("/runs/{run:path}/steps", status_code=201, tags=["runs"], response_model=StepOut)
async def record_step(
    run: str, body: StepIn, state: State, principal: Writer, request: Request
) -> StepOut:
    """Records a whole step (an execution) of an open run in one atomic write: inputs, outputs,
    parameters, metrics. Bad input fails the request and writes nothing."""
    return await _recorded(request, state, _record_open_step, run, body)


def _record_open_step(state: ServerState, run: str, body: StepIn) -> StepOut:
    with state.runs.using(convert.iri(state.repository, "run", run)) as handle:
        return _record_step(state, handle, body)


#: Recording requests with a body of at most this many bytes run on the event loop (_recorded).
INLINE_BODY = 64 * 1024


async def _recorded(
    request: Request, state: ServerState, record: Callable[..., T], *args: Any
) -> T:
    """``record(state, *args)``, a store write whose cost grows with the request's body: on the
    event loop if the store is embedded and the body small, in a worker thread otherwise.

    A write to the embedded store is Python and Oxigraph work that holds the GIL most of the time,
    so a thread gains it little parallelism; what the thread adds is handing the GIL over between
    it and the loop, which on a busy machine costs more than the write (BENCHMARKS.md, "Server":
    4-request runs went from ~23 to ~40 runs/s on the loop). A large body (a whole run of many
    steps, up to the body limit) still goes to a thread, so as not to hold up other requests for
    long, and so does every write to a SPARQL server, which mostly waits on the network."""
    if not state.settings.remote and len(await request.body()) <= INLINE_BODY:
        return record(state, *args)
    return await run_in_threadpool(record, state, *args)


class _Batch:
    """The steps of a whole-run request recorded so far, for its 'steps[i]' references."""

    _STEP = re.compile(r"steps\[(\d+)\]\Z")
    _ARTIFACT = re.compile(r"steps\[(\d+)\]\.(inputs|outputs)\[(\d+)\]\Z")

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.artifacts: list[dict[str, list[ArtifactRef]]] = []

    def step(self, where: str, value: str) -> Step:
        match = self._STEP.match(value)
        if match is None or int(match.group(1)) >= len(self.steps):
            raise InvalidInput(where, "after", value, "expected 'steps[i]' naming an earlier step")
        return self.steps[int(match.group(1))]

    def artifact(self, where: str, value: str) -> ArtifactRef | None:
        """The artifact ``value`` names ('steps[i].outputs[j]' or 'steps[i].inputs[j]'), None if
        it is not such a name."""
        match = self._ARTIFACT.match(value)
        if match is None:
            return None
        i, side, j = int(match.group(1)), match.group(2), int(match.group(3))
        if i >= len(self.steps) or j >= len(self.artifacts[i][side]):
            raise InvalidInput(where, "iri", value, f"names no {side[:-1]} of an earlier step")
        return self.artifacts[i][side][j]


def _record_step(
    state: ServerState,
    handle: Run,
    body: StepIn,
    batch: _Batch | None = None,
    where: str | None = None,
) -> StepOut:
    repo = state.repository
    entity = f"Step {body.name!r}" if where is None else f"{where} ({body.name!r})"

    def artifact(a: ArtifactIn) -> Artifact | ArtifactRef:
        earlier = batch.artifact(entity, a.iri) if batch is not None and a.iri else None
        return earlier if earlier is not None else convert.artifact(repo, a, entity)

    def previous(iri: str) -> Step:
        return batch.step(entity, iri) if batch is not None else state.runs.step(handle, iri)

    inputs = [artifact(a) for a in body.inputs]
    outputs = [artifact(a) for a in body.outputs]
    after = None if body.after is None else [previous(a) for a in body.after]
    step = handle.step(
        body.name,
        kind=body.kind,
        executable=convert.executable(body.executable),
        after=after,
        annotations=body.annotations or None,
    )
    # Checked before entering the step: bad input must not leave a failed step behind.
    _check_metrics(body.metrics, len(inputs), len(outputs), entity)
    # Not `with step`: an exception there records the step as failed, but bad input must write
    # nothing. A step is written only when it ends, so dropping it unended writes nothing.
    step.__enter__()
    used = [step.use(a) for a in inputs]
    made = [step.produce(a) for a in outputs]
    if body.params:
        step.set_param_dict(body.params)
    metrics = [_metric(repo, step, m, used, made) for m in body.metrics]
    if body.status == "Failed":
        failure = RuntimeError(body.error or "failed")
        step.__exit__(RuntimeError, failure, None)
    elif body.error is not None:
        raise InvalidInput(entity, "error", body.error, "only a failed step has an error")
    else:
        step.__exit__(None, None, None)
    if batch is None:
        state.runs.add_step(handle, step)
    else:
        batch.steps.append(step)
        batch.artifacts.append({"inputs": used, "outputs": made})
    assert step.status is not None
    return StepOut(
        iri=step.iri.value,
        status=step.status.value,
        inputs=[r.iri.value for r in used],
        outputs=[r.iri.value for r in made],
        metrics=[r.iri.value for r in metrics],
    )


def _check_metrics(metrics: list[MetricIn], inputs: int, outputs: int, entity: str) -> None:
    for m in metrics:
        match = _REF.match(m.of or "")
        if match and int(match.group(2)) >= (inputs if match.group(1) == "inputs" else outputs):
            raise InvalidInput(entity, f"metric {m.name!r} of", m.of, "no such input or output")


def _metric(
    repo: Repository, step: Any, m: MetricIn, used: list[ArtifactRef], made: list[ArtifactRef]
) -> ArtifactRef:
    of = None
    if m.of is not None:
        match = _REF.match(m.of)
        if match:
            of = (used if match.group(1) == "inputs" else made)[int(match.group(2))]
        else:
            from kgrepo import reuse

            node = _resolve.require(repo, convert.iri(repo, "artifact", m.of), "artifact")
            of = reuse.load_artifact(repo, node.value)
    ref: ArtifactRef = step.log_metric(m.name, m.value, of=of, scope=m.scope)
    return ref


def _experiment(repo: Repository, value: str) -> Any:
    node = convert.iri(repo, "experiment", value)
    return _resolve.require(repo, node, "experiment")


def _run_out(run: Run, steps: list[StepOut] | None = None) -> RunOut:
    return RunOut(
        iri=run.iri.value,
        experiment=run.experiment.iri.value,
        status=run.status.value if run.status else "NotStarted",
        agent=run.agent.name if run.agent else None,
        steps=steps or [],
    )


__all__ = ["router"]
