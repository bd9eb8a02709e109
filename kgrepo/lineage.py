"""Lineage: how an artifact came to be (FR4), what was derived from it (FR5), how to rebuild it
(FR8), and where the lineages of two models part (root cause).

>>> import kgrepo
>>> from kgrepo import demo, lineage
>>> repo = kgrepo.Repository.in_memory()
>>> result = demo.record(repo)
>>> up = lineage.upstream(repo, result.bad_model)
>>> [a.name for a in up.raw_inputs]
['alphanumeric']
>>> cause = lineage.root_cause(repo, result.good_model, result.bad_model)
>>> cause.step, [a.name for a in cause.only_in_a], [a.name for a in cause.only_in_b]
('prepare', ['digits'], ['alphanumeric'])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from pyoxigraph import Literal as RdfLiteral
from pyoxigraph import NamedNode

from kgrepo import _resolve, _terms, queries
from kgrepo._lineage_index import Walk, levels
from kgrepo._lineage_records import StepRecord, read_steps
from kgrepo._vocab import KG, RDFS
from kgrepo.errors import InvalidInput, TooLarge
from kgrepo.history import read_artifacts
from kgrepo.records import Status
from kgrepo.results import ArtifactInfo, ExecutableInfo, Result, TriggerInfo

if TYPE_CHECKING:
    from kgrepo.repository import Repository

#: Depth limits above this are refused: no recorded pipeline is that deep, and ``None`` means
#: "all the way".
MAX_DEPTH = 10_000

Direction = Literal["upstream", "downstream"]


@dataclasses.dataclass(frozen=True)
class LineageStep(Result):
    """One execution on the lineage path: what ran, with which code and configuration, on what."""

    iri: str
    name: str
    kind: str
    status: Status
    run: str
    depth: int
    started: dt.datetime
    ended: dt.datetime | None
    executable: ExecutableInfo | None
    settings: dict[str, Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    trigger: TriggerInfo


@dataclasses.dataclass(frozen=True)
class Lineage(Result):
    """The executions and artifacts reachable from ``root`` in one direction.

    ``steps`` are ordered by depth (nearest first) then start time; ``artifacts`` maps every IRI
    mentioned to its description. Upstream, ``raw_inputs`` are the artifacts no recorded step
    generated (where the data came from) and ``triggers`` why the runs involved started.
    """

    root: ArtifactInfo
    direction: Direction
    depth: int | None
    steps: tuple[LineageStep, ...]
    artifacts: dict[str, ArtifactInfo]

    @property
    def raw_inputs(self) -> list[ArtifactInfo]:
        generated = {o for s in self.steps for o in s.outputs}
        used = {i for s in self.steps for i in s.inputs}
        return sorted((self.artifacts[i] for i in used - generated), key=lambda a: (a.name, a.iri))

    @property
    def descendants(self) -> list[ArtifactInfo]:
        """Everything derived from the root (downstream) or the root's ancestors (upstream)."""
        nodes = {o for s in self.steps for o in (*s.outputs, *s.inputs)} - {self.root.iri}
        return sorted((self.artifacts[i] for i in nodes), key=lambda a: (a.name, a.iri))

    @property
    def triggers(self) -> dict[str, TriggerInfo]:
        """The trigger of every run involved, by run IRI."""
        return {s.run: s.trigger for s in self.steps}


def upstream(
    repo: Repository, artifact: object, depth: int | None = None, *, max_steps: int | None = None
) -> Lineage:
    """How ``artifact`` came to be: every step back to the raw inputs (or ``depth`` steps back),
    with executables, configurations and triggers (FR4).

    With ``max_steps``, a lineage of more steps raises :class:`~kgrepo.errors.TooLarge` before
    any step's details are read (a server's limit: the details cost ~1.6 ms a step)."""
    return _lineage(repo, artifact, "upstream", depth, max_steps=max_steps)


def downstream(
    repo: Repository, artifact: object, depth: int | None = None, *, max_steps: int | None = None
) -> Lineage:
    """Everything derived from ``artifact``, across runs and experiments (FR5); ``max_steps``
    as for :func:`upstream`."""
    return _lineage(repo, artifact, "downstream", depth, max_steps=max_steps)


def _lineage(
    repo: Repository,
    artifact: object,
    direction: Direction,
    depth: int | None,
    *,
    indexed: bool = True,
    max_steps: int | None = None,
) -> Lineage:
    """The lineage from the store's index (:mod:`kgrepo._lineage_index`) when it has one and
    ``indexed``, else from the queries: the same answer either way."""
    if max_steps is not None and (
        isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0
    ):
        raise InvalidInput("Lineage", "max_steps", max_steps, "must be a non-negative integer")
    if depth is not None and (
        isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH
    ):
        raise InvalidInput(
            "Lineage", "depth", depth, f"must be an integer from 0 to {MAX_DEPTH}, or None for all"
        )
    root = _resolve.require(repo, artifact, "artifact")
    check = functools.partial(_check_size, root.value, direction, depth, max_steps)
    index = repo.store.lineage_index if indexed else None
    walk = index.walk(repo, root.value, direction, depth, check) if index is not None else None
    if walk is None:
        walk = _queried(repo, root, direction, depth, check)
    steps = [
        _step(walk.steps[e], level, walk.ins[e], walk.outs[e]) for e, level in walk.levels.items()
    ]
    steps.sort(key=lambda s: (s.depth, s.started, s.iri))
    return Lineage(walk.artifacts[root.value], direction, depth, tuple(steps), walk.artifacts)


def _check_size(
    artifact: str, direction: Direction, depth: int | None, limit: int | None, steps: int
) -> None:
    """Raises TooLarge if a lineage of ``steps`` steps is over ``limit``."""
    if limit is not None and steps > limit:
        within = "" if depth is None else f" within depth {depth}"
        raise TooLarge(
            f"the {direction} lineage of <{artifact}>{within} has {steps:,} steps, over the limit "
            f"of {limit:,}: ask with a smaller depth (how many steps back or forward)"
        )


def _queried(
    repo: Repository,
    root: NamedNode,
    direction: Direction,
    depth: int | None,
    check: Callable[[int], None],
) -> Walk:
    """The lineage read with ``lineage-<direction>-edges.rq`` and the details' queries;
    ``check(steps)`` runs before the details are read."""
    edges = repo.select(queries.text(f"lineage-{direction}-edges"), artifact=root)
    # execution -> (inputs, outputs) and artifact -> executions next in this direction
    ins: dict[str, set[str]] = defaultdict(set)
    outs: dict[str, set[str]] = defaultdict(set)
    following: dict[str, set[str]] = defaultdict(set)
    for row in edges:
        execution = row["execution"]
        if "input" in row:
            ins[execution].add(row["input"])
        if "output" in row:
            outs[execution].add(row["output"])
        start = row["output"] if direction == "upstream" else row["input"]
        following[start].add(execution)
    found = levels(root.value, following, ins if direction == "upstream" else outs, depth)
    check(len(found))
    steps = read_steps(repo, found)
    mentioned = {root.value} | {a for e in found for a in (*ins[e], *outs[e])}
    return Walk(found, ins, outs, steps, read_artifacts(repo, mentioned))


def _step(record: StepRecord, depth: int, ins: set[str], outs: set[str]) -> LineageStep:
    return LineageStep(
        iri=record.iri,
        name=record.name,
        kind=record.kind,
        status=record.status,
        run=record.run,
        depth=depth,
        started=record.started,
        ended=record.ended,
        executable=record.executable,
        settings=dict(record.settings),
        inputs=tuple(sorted(ins)),
        outputs=tuple(sorted(outs)),
        trigger=record.trigger,
    )


# -- FR8: reproduction recipe ----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Recipe(Result):
    """Enough to rebuild ``artifact``: its upstream steps in an order that can be run (every step
    after the steps producing its inputs), each with executable, configuration and inputs."""

    artifact: ArtifactInfo
    steps: tuple[LineageStep, ...]
    inputs: tuple[ArtifactInfo, ...]
    artifacts: dict[str, ArtifactInfo]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def recipe(repo: Repository, artifact: object, *, max_steps: int | None = None) -> Recipe:
    """The reproduction recipe of ``artifact`` (FR8), steps in executable order.

    Each step lists every output it generated, not only those on the way to ``artifact``: a
    step re-run from the recipe writes them all, and the recipe says where. ``max_steps`` as for
    :func:`upstream`.
    """
    up = upstream(repo, artifact, max_steps=max_steps)
    generated: dict[str, set[str]] = defaultdict(set)
    executions = [NamedNode(s.iri) for s in up.steps]
    for row in queries.select_each(repo, "execution-outputs", "execution", executions):
        generated[row["execution"]].add(row["output"])
    artifacts = dict(up.artifacts)
    artifacts.update(
        read_artifacts(repo, {o for os in generated.values() for o in os} - set(artifacts))
    )
    steps = [
        dataclasses.replace(s, outputs=tuple(sorted({*s.outputs, *generated[s.iri]})))
        for s in _topological(up.steps)
    ]
    return Recipe(up.root, tuple(steps), tuple(up.raw_inputs), artifacts)


def _topological(steps: Iterable[LineageStep]) -> list[LineageStep]:
    """Producers before consumers; ties (and cycles, which cannot be ordered) by start time."""
    pending = sorted(steps, key=lambda s: (s.started, s.iri))
    producer = {o: s.iri for s in pending for o in s.outputs}
    done: set[str] = set()
    ordered: list[LineageStep] = []
    while pending:
        ready = [
            s for s in pending if all(producer.get(i, s.iri) in done | {s.iri} for i in s.inputs)
        ]
        step = ready[0] if ready else pending[0]
        ordered.append(step)
        done.add(step.iri)
        pending.remove(step)
    return ordered


# -- root cause ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RootCause(Result):
    """Where the upstream lineages of ``a`` and ``b`` first differ, walking from the raw data
    towards the models: the step, what differs there, the triggers of both runs, and every
    artifact derived from what only ``b`` used (the models affected)."""

    a: str
    b: str
    step: str | None
    differences: tuple[str, ...]
    only_in_a: tuple[ArtifactInfo, ...]
    only_in_b: tuple[ArtifactInfo, ...]
    trigger_a: TriggerInfo | None
    trigger_b: TriggerInfo | None
    affected: tuple[ArtifactInfo, ...]


def root_cause(repo: Repository, a: object, b: object) -> RootCause:
    """Compares the upstream lineages of two artifacts (typically a good and a bad model)."""
    up_a, up_b = upstream(repo, a), upstream(repo, b)
    steps_b = {s.name: s for s in up_b.steps}
    for step_a in _topological(up_a.steps):
        step_b = steps_b.get(step_a.name)
        if step_b is None:
            return _cause(
                repo, up_a, up_b, step_a.name, (f"step {step_a.name!r} only in a",), (), ()
            )
        differences, only_a, only_b = _compare_steps(up_a, up_b, step_a, step_b)
        if differences:
            return _cause(repo, up_a, up_b, step_a.name, differences, only_a, only_b)
    extra = sorted(set(steps_b) - {s.name for s in up_a.steps})
    if extra:
        return _cause(repo, up_a, up_b, extra[0], (f"step {extra[0]!r} only in b",), (), ())
    return _cause(repo, up_a, up_b, None, (), (), ())


def _compare_steps(
    up_a: Lineage, up_b: Lineage, a: LineageStep, b: LineageStep
) -> tuple[tuple[str, ...], tuple[ArtifactInfo, ...], tuple[ArtifactInfo, ...]]:
    differences = []
    exe_a = (a.executable.name, a.executable.version, a.executable.digest) if a.executable else None
    exe_b = (b.executable.name, b.executable.version, b.executable.digest) if b.executable else None
    if exe_a != exe_b:
        differences.append(f"executable: {exe_a} != {exe_b}")
    for key in sorted(set(a.settings) | set(b.settings)):
        if repr(a.settings.get(key)) != repr(b.settings.get(key)):  # 1 != 1.0 != True
            differences.append(
                f"parameter {key}: {a.settings.get(key)!r} != {b.settings.get(key)!r}"
            )

    def identity(lineage: Lineage, iri: str) -> tuple[str, str | None]:
        info = lineage.artifacts[iri]
        return (info.kind, info.digest) if info.digest else (info.kind, info.name)

    ids_a = {identity(up_a, i): up_a.artifacts[i] for i in a.inputs}
    ids_b = {identity(up_b, i): up_b.artifacts[i] for i in b.inputs}
    only_a = tuple(ids_a[k] for k in sorted(set(ids_a) - set(ids_b), key=str))
    only_b = tuple(ids_b[k] for k in sorted(set(ids_b) - set(ids_a), key=str))
    for info in only_a:
        differences.append(
            f"input only in a: {info.kind} {info.name!r} ({info.digest or info.iri})"
        )
    for info in only_b:
        differences.append(
            f"input only in b: {info.kind} {info.name!r} ({info.digest or info.iri})"
        )
    return tuple(differences), only_a, only_b


def _cause(
    repo: Repository,
    up_a: Lineage,
    up_b: Lineage,
    step: str | None,
    differences: Iterable[str],
    only_a: tuple[ArtifactInfo, ...],
    only_b: tuple[ArtifactInfo, ...],
) -> RootCause:
    affected: dict[str, ArtifactInfo] = {}
    for info in only_b:
        for derived in downstream(repo, info.iri).descendants:
            affected[derived.iri] = derived
    return RootCause(
        up_a.root.iri,
        up_b.root.iri,
        step,
        tuple(differences),
        only_a,
        only_b,
        _root_trigger(up_a),
        _root_trigger(up_b),
        tuple(sorted(affected.values(), key=lambda x: (x.kind, x.name, x.iri))),
    )


def _root_trigger(lineage: Lineage) -> TriggerInfo | None:
    nearest = [s for s in lineage.steps if s.depth == 1]
    return nearest[0].trigger if nearest else None


# -- FR5: flags ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Suspect(Result):
    """An artifact derived from a flagged one."""

    artifact: ArtifactInfo
    flagged: str
    reason: str


def flag(repo: Repository, artifact: object, reason: str, *, by: str | None = None) -> str:
    """Flags ``artifact`` as bad with ``reason`` (recorded in a graph of its own, never a deletion);
    every artifact derived from it becomes a suspect (:func:`suspects`). Returns the flag's IRI."""
    iri = _resolve.require(repo, artifact, "artifact")
    _terms.text("Flag", "reason", reason)
    if by is not None:
        _terms.name("Flag", by)
    node = repo._minter.child(NamedNode(repo.base + "flag"), _new_id())
    t = repo._describer.triples()
    t.type(node, KG.Flag)
    t.add(node, RDFS.label, RdfLiteral(f"flag of {iri.value}"))
    t.add(node, KG.flags, iri)
    t.add(node, KG.reason, RdfLiteral(reason))
    t.add(node, KG.createdAt, _terms.timestamp())
    if by is not None:
        from kgrepo.records import Agent

        t.add(node, KG.attributedTo, repo._describer.agent(t, Agent(by)))
    repo._write(node, t)
    return node.value


def suspects(repo: Repository) -> list[Suspect]:
    """Every artifact derived from a flagged artifact, with the flag's reason."""
    rows = repo.select(queries.text("lineage-suspects"))
    infos = read_artifacts(repo, (r["suspect"] for r in rows))
    return [Suspect(infos[r["suspect"]], r["flagged"], r["reason"]) for r in rows]


def _new_id() -> str:
    from kgrepo.iris import new_id

    return new_id()
