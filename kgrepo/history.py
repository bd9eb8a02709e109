"""FR7 and FR10: why runs started, how often an experiment ran since a point, and its trace.

Three questions, each a documented query of ``ontology/queries/`` and a typed result:

- :func:`run_trigger` — what triggered a run (``run-trigger.rq``);
- :func:`runs_since` — the runs of an experiment since a time, a run, or the last run that did a
  step of some kind, e.g. the last deployment (``runs-since.rq``, ``runs-latest-with-step.rq``);
- :func:`trace` — every run of an experiment and every artifact they produced or used, each shown
  once with the runs that produced and used it (``runs-summary.rq``, ``experiment-executions.rq``,
  ``execution-outputs.rq``, ``execution-inputs.rq``, ``artifact-info.rq``; the same question as
  one query: ``trace-artifacts.rq``).

The trace is a few set-oriented queries whatever the number of runs, never one per run.

>>> import kgrepo
>>> from kgrepo import history
>>> repo = kgrepo.Repository.in_memory()
>>> exp = repo.experiment("digits")
>>> data = kgrepo.Dataset("digits", digest="sha256:ab12")
>>> for trigger in (kgrepo.Trigger.schedule(by="cron"), kgrepo.Trigger.manual(by="alice")):
...     with exp.run(trigger=trigger) as run:
...         with run.step("train", kind="train") as step:
...             _ = step.use(data)
>>> history.run_trigger(repo, run).cause
<Cause.MANUAL: 'Manual'>
>>> runs = history.runs_since(repo, exp)
>>> runs.count, runs.by_cause
(2, {'Manual': 1, 'Schedule': 1})
>>> [(a.artifact.name, len(a.used_by)) for a in history.trace(repo, exp).artifacts]
[('digits', 2)]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pyoxigraph import NamedNode

from kgrepo import _resolve, _terms, queries
from kgrepo.errors import InvalidInput, NotFound
from kgrepo.records import Cause, Status, Workflow
from kgrepo.results import ArtifactInfo, Result, RunSummary, TriggerInfo

if TYPE_CHECKING:
    from kgrepo.repository import Repository

__all__ = [
    "NO_TRIGGER",
    "RunHistory",
    "Trace",
    "TraceArtifact",
    "run_summary",
    "run_trigger",
    "runs_since",
    "trace",
]

#: The ``by_cause`` key of runs recorded without a trigger event (only possible in imported data).
NO_TRIGGER = "Unknown"

Row = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class RunHistory(Result):
    """The runs of an experiment since a point, ordered by start time (ties by IRI).

    ``since`` is the point (inclusive: a run that started exactly then is counted; times are
    compared to the millisecond, the precision kgrepo records). ``since_run`` is the run that point
    came from: the run given as ``since``, or the latest run with a succeeded step of
    ``since_step_kind``; it is the first of ``runs`` unless the workflow filter or another
    experiment leaves it out. ``by_cause`` counts the runs by trigger cause (``"Schedule"``,
    ``"DataChange"``…), ``by_status`` by status (``"Succeeded"``, ``"Failed"``…); both hold only
    the values that occur.
    """

    count: int
    runs: tuple[RunSummary, ...]
    since: dt.datetime | None
    by_cause: dict[str, int]
    by_status: dict[str, int]
    since_run: str | None = None


@dataclasses.dataclass(frozen=True)
class TraceArtifact(Result):
    """One artifact of a trace, with the runs that produced it and the runs that used it (IRIs, in
    start order). A run that produced an artifact and used it in a later step is in both."""

    artifact: ArtifactInfo
    produced_by: tuple[str, ...]
    used_by: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Trace(Result):
    """FR10: every run of an experiment (in start order) and every artifact they produced or used.

    Artifacts equal across runs (same kind and digest) have one IRI, so each appears once.
    Artifacts are ordered by the first run that touched them, then by kind and name.
    """

    experiment: str
    runs: tuple[RunSummary, ...]
    artifacts: tuple[TraceArtifact, ...]

    def artifact(self, iri: str) -> TraceArtifact:
        """The entry of the artifact ``iri``; :class:`~kgrepo.errors.NotFound` if it is not here."""
        for entry in self.artifacts:
            if entry.artifact.iri == iri:
                return entry
        raise NotFound(f"artifact <{iri}> is in no run of experiment <{self.experiment}>")


# -- FR7: triggers ---------------------------------------------------------------------------------
def run_trigger(repo: Repository, run: object) -> TriggerInfo:
    """What triggered ``run`` (an IRI or a :class:`~kgrepo.Run`): cause, by whom, why, what changed.

    Raises :class:`~kgrepo.errors.NotFound` for an unknown run (or a run recorded without a trigger,
    which only imported data can be) and :class:`~kgrepo.errors.InvalidInput` for an IRI that is not
    a run.
    """
    iri = _resolve.require(repo, run, "run")
    rows = repo.select(queries.text("run-trigger"), run=iri)
    if not rows:
        raise NotFound(f"run <{iri.value}> has no recorded trigger event")
    return _trigger(min(rows, key=_row_key))


def run_summary(repo: Repository, run: object) -> RunSummary:
    """One run's status, times, name, experiment and trigger (errors as :func:`run_trigger`)."""
    iri = _resolve.require(repo, run, "run")
    rows = repo.select(queries.text("runs-summary"), run=iri)
    if not rows:
        raise NotFound(f"run <{iri.value}> has no status or start time; it is not a kgrepo run")
    return _summaries(rows)[0]


# -- FR7: how often since --------------------------------------------------------------------------
def runs_since(
    repo: Repository,
    experiment: object,
    *,
    since: object = None,
    since_step_kind: str | None = None,
    workflow: str | Workflow | NamedNode | None = None,
) -> RunHistory:
    """The runs of ``experiment`` (an IRI or :class:`~kgrepo.Experiment`) since a point.

    - ``since`` a timezone-aware datetime: runs that started at or after it;
    - ``since`` a run (IRI or :class:`~kgrepo.Run`, of any experiment): runs that started at or
      after its start, that run included;
    - ``since_step_kind="deploy"``: runs since the start of the latest run of the experiment with a
      succeeded execution of that kind (SPEC scenario 3: "how often did the workflow run since the
      last deployment"). The deploying run is included, as ``since_run``. When no run has such an
      execution, :class:`~kgrepo.errors.InvalidInput` says so (there is no point to count from, and
      counting every run would silently answer another question);
    - neither: every run of the experiment.

    ``workflow`` keeps the runs of one workflow: a name (any version), a :class:`~kgrepo.Workflow`
    (its name, and its version when it has one) or a workflow IRI as a NamedNode. It filters the
    runs counted, not the search for the last ``since_step_kind`` run.

    A ``since`` in the future is no error: it gives zero runs. Raises
    :class:`~kgrepo.errors.InvalidInput` for a naive datetime, for both ``since`` and
    ``since_step_kind``, or for an IRI that is not an experiment (or not a run, for ``since``), and
    :class:`~kgrepo.errors.NotFound` for an unknown experiment or run.
    """
    exp = _resolve.require(repo, experiment, "experiment")
    if since is not None and since_step_kind is not None:
        raise InvalidInput(
            "runs_since",
            "since_step_kind",
            since_step_kind,
            "give either since or since_step_kind, not both",
        )
    match = _workflow_match(workflow)
    since_run: str | None = None
    moment: dt.datetime | None = None
    if since_step_kind is not None:
        kind = _terms.text("runs_since", "since_step_kind", since_step_kind)
        rows = repo.select(queries.text("runs-latest-with-step"), experiment=exp, kind=kind)
        if not rows:
            raise InvalidInput(
                "runs_since",
                "since_step_kind",
                since_step_kind,
                f"no run of experiment <{exp.value}> has a succeeded {since_step_kind!r} step "
                "yet, so there is no point to count from; omit since_step_kind to count every run",
            )
        since_run, moment = rows[0]["run"], rows[0]["started"]
    elif isinstance(since, dt.datetime):
        if since.tzinfo is None or since.utcoffset() is None:
            raise InvalidInput(
                "runs_since",
                "since",
                since,
                "a naive datetime is ambiguous; give a timezone, e.g. datetime(..., tzinfo=UTC)",
            )
        moment = since
    elif since is not None:
        if not isinstance(since, str | NamedNode) and not hasattr(since, "iri"):
            raise InvalidInput(
                "runs_since", "since", since, "expected a timezone-aware datetime or a run"
            )
        summary = run_summary(repo, since)
        since_run, moment = summary.iri, summary.started
    if moment is None:
        rows = repo.select(queries.text("runs-summary"), experiment=exp)
    else:
        rows = repo.select(
            queries.text("runs-since"), experiment=exp, since=_terms.timestamp(moment)
        )
    kept = {row["run"] for row in rows if match(row)}
    runs = tuple(s for s in _summaries(rows) if s.iri in kept)
    return RunHistory(
        count=len(runs),
        runs=runs,
        since=moment,
        by_cause=_count(s.trigger.cause.value if s.trigger else NO_TRIGGER for s in runs),
        by_status=_count(s.status.value for s in runs),
        since_run=since_run,
    )


# -- FR10: trace -----------------------------------------------------------------------------------
def trace(repo: Repository, experiment: object) -> Trace:
    """FR10: all runs of ``experiment`` and every artifact they produced or used, each once.

    Artifacts are what the runs' executions produced (``kg:generatedBy``, metrics included) or used
    (``kg:used``). A few set-oriented queries whatever the number of runs (the executions and
    artifacts bound as inline data, in chunks). An artifact that runs described
    differently (another name or URI for the same digest) gets the smallest value of each field.
    Raises as :func:`runs_since` does for a bad experiment.
    """
    exp = _resolve.require(repo, experiment, "experiment")
    runs = _summaries(repo.select(queries.text("runs-summary"), experiment=exp))
    run_of = {
        row["execution"]: row["run"]
        for row in repo.select(queries.text("experiment-executions"), experiment=exp)
    }
    executions = [NamedNode(e) for e in run_of]
    produced: dict[str, set[str]] = defaultdict(set)
    used: dict[str, set[str]] = defaultdict(set)
    for row in queries.select_each(repo, "execution-outputs", "execution", executions):
        produced[row["output"]].add(run_of[row["execution"]])
    for row in queries.select_each(repo, "execution-inputs", "execution", executions):
        used[row["input"]].add(run_of[row["execution"]])
    touched = sorted(produced.keys() | used.keys())
    infos = artifact_infos(
        repo, queries.select_each(repo, "artifact-info", "artifact", map(NamedNode, touched))
    )
    position = {run.iri: i for i, run in enumerate(runs)}
    last = len(position)

    def in_order(iris: set[str]) -> tuple[str, ...]:
        return tuple(sorted(iris, key=lambda r: (position.get(r, last), r)))

    entries = [
        TraceArtifact(infos[iri], in_order(produced[iri]), in_order(used[iri]))
        for iri in touched
        if iri in infos
    ]

    def first_run(entry: TraceArtifact) -> tuple[int, str, str, str]:
        touched = (*entry.produced_by[:1], *entry.used_by[:1])
        first = min((position.get(r, last) for r in touched), default=last)
        return (first, entry.artifact.kind, entry.artifact.name, entry.artifact.iri)

    return Trace(exp.value, tuple(runs), tuple(sorted(entries, key=first_run)))


# -- shared with kgrepo.dag ------------------------------------------------------------------------
def artifact_infos(repo: Repository, rows: Iterable[Row]) -> dict[str, ArtifactInfo]:
    """:class:`ArtifactInfo` by IRI from rows with ``artifact``, ``name``, ``type`` (or ``types``,
    space-separated) and optional ``uri`` and ``digest``. The kind is the most specific known kind
    among the types (built-in or custom); where rows disagree, the smallest value of each field is
    kept."""
    depth = _kind_depths(repo)
    fields: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = row["artifact"]
        current = fields.setdefault(iri, {"kind": (-1, "Artifact")})
        for key in ("name", "uri", "digest"):
            value = row.get(key)
            if value is not None and (current.get(key) is None or str(value) < current[key]):
                current[key] = str(value)
        types = row["types"].split() if "types" in row else [row.get("type", "")]
        for known in (depth.get(t) for t in types):
            if known is not None and known > current["kind"]:
                current["kind"] = known
    return {
        iri: ArtifactInfo(
            iri, f.get("name", iri), f["kind"][1], uri=f.get("uri"), digest=f.get("digest")
        )
        for iri, f in fields.items()
    }


def read_artifacts(repo: Repository, iris: Iterable[str]) -> dict[str, ArtifactInfo]:
    """:class:`ArtifactInfo` of each of ``iris``, read with ``artifact-info.rq`` (bound to the
    IRIs in chunks, see :func:`kgrepo.queries.select_each`); an IRI with no description is a bare
    ``Artifact`` named by its IRI."""
    wanted = sorted(set(iris))
    rows = queries.select_each(repo, "artifact-info", "artifact", map(NamedNode, wanted))
    found = artifact_infos(repo, rows)
    return {iri: found.get(iri) or ArtifactInfo(iri, iri, "Artifact") for iri in wanted}


def _kind_depths(repo: Repository) -> dict[str, tuple[int, str]]:
    """Class IRI → (depth below kg:Artifact, kind name), for every known artifact kind."""
    out = {}
    for kind in repo.kinds():
        depth, parent = 0, kind.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        out[kind.iri.value] = (depth, kind.name)
    return out


def _summaries(rows: list[Row]) -> list[RunSummary]:
    """One :class:`RunSummary` per run, in start order (rows as runs-summary.rq returns them)."""
    by_run: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=_row_key):
        by_run.setdefault(row["run"], row)
    summaries = [
        RunSummary(
            iri=run,
            experiment=row["experiment"],
            status=Status.from_iri(NamedNode(row["status"])),
            started=row["started"],
            ended=row.get("ended"),
            trigger=_trigger(row) if "cause" in row else None,
            name=row.get("name"),
        )
        for run, row in by_run.items()
    ]
    return sorted(summaries, key=lambda s: (s.started, s.iri))


def _trigger(row: Row) -> TriggerInfo:
    return TriggerInfo(
        cause=Cause.from_iri(NamedNode(row["cause"])),
        by=row.get("by"),
        reason=row.get("reason"),
        concerns=row.get("concerns"),
    )


def _row_key(row: Row) -> tuple[str, ...]:
    """A total order on rows (values may be missing or of mixed types), to pick one per run."""
    return tuple(f"{k}={row[k]!s}" for k in sorted(row))


def _workflow_match(workflow: str | Workflow | NamedNode | None) -> Callable[[Row], bool]:
    """Whether a runs-summary row is a run of ``workflow`` (the argument of :func:`runs_since`)."""
    if workflow is None:
        return lambda row: True
    if isinstance(workflow, NamedNode):
        iri = workflow.value
        return lambda row: bool(row.get("workflow") == iri)
    if isinstance(workflow, Workflow):
        name, version = workflow.name, workflow.version
        return lambda row: (
            row.get("workflowName") == name
            and (version is None or row.get("workflowVersion") == version)
        )
    if isinstance(workflow, str):
        name = _terms.name("runs_since", workflow)
        return lambda row: bool(row.get("workflowName") == name)
    raise InvalidInput(
        "runs_since",
        "workflow",
        workflow,
        "expected a workflow name, a kgrepo.Workflow or a workflow IRI (NamedNode)",
    )


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))
