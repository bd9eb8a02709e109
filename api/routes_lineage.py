"""``/api/v1``: the lineage questions (FR2-FR8, FR10) over the core's functions.

The core's result dataclasses are the response models (pydantic reads dataclasses), so the OpenAPI
document describes every field the Python API returns.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from kgrepo.api import convert, problems
from kgrepo.api.deps import Reader, Repo, State, Writer
from kgrepo.api.models import EquivalentIn, EquivalentOut, FlagIn, FlagOut

from kgrepo import compare, dag, history, lineage, reuse
from kgrepo.results import TriggerInfo

router = APIRouter(tags=["lineage"], responses=problems.responses(401, 403, 404, 413, 422))


@router.get("/artifacts/{artifact:path}/lineage", responses=problems.responses(422))
def artifact_lineage(
    artifact: str,
    state: State,
    principal: Reader,
    direction: Literal["upstream", "downstream"] = "upstream",
    depth: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> lineage.Lineage:
    """How the artifact came to be (upstream, FR4) or what it touched (downstream, FR5). A
    lineage of more steps than the server's ``max_steps`` is a 422 ``too-large``: ask with a
    ``depth``."""
    repo = state.repository
    node = convert.iri(repo, "artifact", artifact)
    walk = lineage.upstream if direction == "upstream" else lineage.downstream
    return walk(repo, node, depth, max_steps=state.settings.max_steps)


@router.get("/artifacts/{artifact:path}/recipe")
def artifact_recipe(artifact: str, state: State, principal: Reader) -> lineage.Recipe:
    """What it takes to reproduce the artifact: ordered steps, executables, settings (FR8)."""
    repo = state.repository
    node = convert.iri(repo, "artifact", artifact)
    return lineage.recipe(repo, node, max_steps=state.settings.max_steps)


@router.post("/artifacts/{artifact:path}/flags", status_code=201)
def flag_artifact(artifact: str, body: FlagIn, repo: Repo, principal: Writer) -> FlagOut:
    """Flags the artifact as bad (attributed to the token's owner); everything derived from it
    becomes a suspect."""
    node = convert.iri(repo, "artifact", artifact)
    return FlagOut(flag=lineage.flag(repo, node, body.reason, by=principal.name))


@router.get("/suspects")
def list_suspects(repo: Repo, principal: Reader) -> list[lineage.Suspect]:
    """Every artifact derived from a flagged one, with the flag's reason."""
    return lineage.suspects(repo)


@router.get("/runs/{run:path}/dag")
def run_dag(run: str, repo: Repo, principal: Reader) -> dag.RunDag:
    """The run's executions in order, with their inputs and outputs (FR3)."""
    return dag.run_dag(repo, convert.iri(repo, "run", run))


@router.get("/runs/{run:path}/trigger")
def run_trigger(run: str, repo: Repo, principal: Reader) -> TriggerInfo:
    """Why the run started (FR7)."""
    return history.run_trigger(repo, convert.iri(repo, "run", run))


@router.get("/experiments/{experiment:path}/trace")
def experiment_trace(experiment: str, repo: Repo, principal: Reader) -> history.Trace:
    """Every run of the experiment, artifacts equal across runs shown once (FR10)."""
    return history.trace(repo, convert.iri(repo, "experiment", experiment))


@router.get("/diff/runs")
def diff_runs(a: str, b: str, repo: Repo, principal: Reader) -> compare.Diff:
    """What differs between two runs (FR2)."""
    return compare.diff_runs(repo, convert.iri(repo, "run", a), convert.iri(repo, "run", b))


@router.get("/diff/artifacts")
def diff_artifacts(a: str, b: str, repo: Repo, principal: Reader) -> compare.Diff:
    """What differs between two artifacts of the same kind (FR2)."""
    iri_a, iri_b = convert.iri(repo, "artifact", a), convert.iri(repo, "artifact", b)
    return compare.diff_artifacts(repo, iri_a, iri_b)


@router.post("/equivalent")
def equivalent(body: EquivalentIn, repo: Repo, principal: Reader) -> EquivalentOut:
    """FR6: the latest successful execution with this executable, inputs (by digest) and
    parameters, or ``{"found": false}``. A question, not a write (hence POST for the body only)."""
    executable = convert.executable(body.executable)
    assert executable is not None
    inputs = [convert.artifact(repo, a, "Reuse") for a in body.inputs]
    found = reuse.find_equivalent(repo, executable, inputs, body.params)
    if found is None:
        return EquivalentOut(found=False, execution=None, run=None, outputs=[])
    return EquivalentOut(found=True, **found.to_dict())


__all__ = ["router"]
