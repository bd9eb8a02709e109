"""FR3: the DAG of a run — its executions, their order, their inputs and outputs.

:func:`run_dag` reads a run with three documented queries of ``ontology/queries/`` (``dag-
executions.rq``, ``dag-follows.rq``, ``dag-io.rq``) and returns a :class:`RunDag`: the executions in
a topological order of their ``kg:follows`` edges (ties by start time), each with its kind, status,
times, executable, inputs and outputs. :meth:`RunDag.to_dot` and :meth:`RunDag.to_mermaid` draw it
for Graphviz and Mermaid; names are escaped for each, so quotes, brackets, ``-->``, newlines or any
Unicode in a name never break the drawing or inject syntax.

>>> import kgrepo
>>> from kgrepo.dag import run_dag
>>> repo = kgrepo.Repository.in_memory()
>>> with repo.experiment("digits").run() as run:
...     with run.step("prepare", kind="transform") as prepare:
...         clean = prepare.produce(kgrepo.Dataset('digits "clean"'))
...     with run.step("report", kind="evaluate", after=[]) as report:
...         pass
...     with run.step("train", kind="train", after=[prepare, report]) as train:
...         _ = train.use(clean)
>>> dag = run_dag(repo, run)
>>> [e.name for e in dag.executions]
['prepare', 'report', 'train']
>>> dag.execution("train").predecessors == (prepare.iri.value, report.iri.value)
True
>>> print(dag.to_mermaid())
flowchart LR
  s1["prepare<br/>transform · Succeeded"]
  s2["report<br/>evaluate · Succeeded"]
  s3["train<br/>train · Succeeded"]
  a1(["digits #34;clean#34;<br/>Dataset"])
  s1 --> a1
  s2 -.-> s3
  a1 --> s3
<BLANKLINE>
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyoxigraph import NamedNode

from kgrepo import _resolve, queries
from kgrepo.errors import NotFound
from kgrepo.history import artifact_infos, run_summary
from kgrepo.records import Status
from kgrepo.results import ArtifactInfo, ExecutableInfo, Result, RunSummary

if TYPE_CHECKING:
    from kgrepo.repository import Repository

__all__ = ["DagExecution", "RunDag", "run_dag"]

_FAILED = (Status.FAILED, Status.ABANDONED)


@dataclasses.dataclass(frozen=True)
class DagExecution(Result):
    """One execution (step) of a run, as the DAG shows it.

    ``predecessors`` are the executions it follows (``kg:follows``), ``successors`` those that
    follow it; both are IRIs in the DAG's order. ``inputs`` and ``outputs`` are sorted by kind and
    name; outputs include the metrics it logged. ``reused`` are outputs taken over from an earlier
    equivalent execution (``reused_from``, FR6) instead of produced.
    """

    iri: str
    name: str
    kind: str
    status: Status
    started: dt.datetime
    ended: dt.datetime | None
    executable: ExecutableInfo | None
    inputs: tuple[ArtifactInfo, ...]
    outputs: tuple[ArtifactInfo, ...]
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    reused: tuple[ArtifactInfo, ...] = ()
    reused_from: str | None = None
    error_type: str | None = None
    error_message: str | None = None


@dataclasses.dataclass(frozen=True)
class RunDag(Result):
    """FR3: a run and its executions, in a topological order (ties by start time, then IRI).

    Every execution comes after all those it follows. A cycle of ``kg:follows`` (impossible through
    the recording API, possible in imported data) does not hang: its executions come last, by start
    time.
    """

    run: RunSummary
    executions: tuple[DagExecution, ...]

    def execution(self, key: str) -> DagExecution:
        """The execution with IRI ``key``, or else the first one named ``key``."""
        for execution in self.executions:
            if execution.iri == key:
                return execution
        for execution in self.executions:
            if execution.name == key:
                return execution
        raise NotFound(f"no execution {key!r} in run <{self.run.iri}>")

    @property
    def artifacts(self) -> tuple[ArtifactInfo, ...]:
        """Every artifact the run's executions used, produced or reused, once, in DAG order."""
        seen: dict[str, ArtifactInfo] = {}
        for execution in self.executions:
            for info in (*execution.inputs, *execution.outputs, *execution.reused):
                seen.setdefault(info.iri, info)
        return tuple(seen.values())

    def to_dot(self) -> str:
        """The DAG in Graphviz DOT: executions as boxes (red when failed), artifacts as ellipses,
        data edges input → execution → output, a dotted edge to reused outputs, and a dashed edge
        for a ``kg:follows`` order that no artifact carries. Render with ``dot -Tsvg``."""
        nodes, edges = self._drawing()
        lines = [
            "digraph run {",
            f"  graph [rankdir=LR, labelloc=t, label={_dot_string([self._title()])}];",
            '  node [fontname="Helvetica"];',
            '  edge [fontname="Helvetica"];',
        ]
        for node in nodes:
            shape = "box" if node.execution else "ellipse"
            extra = ", color=red, fontcolor=red" if node.failed else ""
            lines.append(f"  {node.id} [shape={shape}, label={_dot_string(node.label)}{extra}];")
        for edge in edges:
            style = {
                "data": "",
                "order": " [style=dashed]",
                "reused": ' [style=dotted, label="reused"]',
            }[edge.kind]
            lines.append(f"  {edge.source} -> {edge.target}{style};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        """The DAG as a Mermaid flowchart (left to right), drawn like :meth:`to_dot`: executions as
        rectangles, artifacts as stadiums, ``-.->`` for an order no artifact carries."""
        nodes, edges = self._drawing()
        lines = ["flowchart LR"]
        for node in nodes:
            text = _mermaid_string(node.label)
            lines.append(f"  {node.id}[{text}]" if node.execution else f"  {node.id}([{text}])")
        arrows = {"data": "-->", "order": "-.->", "reused": "-. reused .->"}
        lines.extend(f"  {e.source} {arrows[e.kind]} {e.target}" for e in edges)
        failed = [node.id for node in nodes if node.failed]
        if failed:
            lines.append("  classDef failed stroke:#c00,color:#c00")
            lines.append(f"  class {','.join(failed)} failed")
        return "\n".join(lines) + "\n"

    def _title(self) -> str:
        return f"run {self.run.name}" if self.run.name else f"run <{self.run.iri}>"

    def _drawing(self) -> tuple[list[_Node], list[_Edge]]:
        """Nodes and edges shared by both drawings; node ids are generated (s1…, a1…), never
        derived from names or IRIs, so they are always valid identifiers."""
        ids = {e.iri: f"s{i}" for i, e in enumerate(self.executions, 1)}
        nodes = [
            _Node(ids[e.iri], (e.name, f"{e.kind} · {e.status.value}"), True, e.status in _FAILED)
            for e in self.executions
        ]
        artifact_ids: dict[str, str] = {}
        for info in self.artifacts:
            artifact_ids[info.iri] = f"a{len(artifact_ids) + 1}"
            nodes.append(_Node(artifact_ids[info.iri], (info.name, info.kind), False, False))
        edges: list[_Edge] = []
        by_iri = {e.iri: e for e in self.executions}
        for execution in self.executions:
            node = ids[execution.iri]
            consumed = {a.iri for a in execution.inputs}
            for previous in execution.predecessors:
                before = by_iri[previous]
                if not consumed & {a.iri for a in (*before.outputs, *before.reused)}:
                    edges.append(_Edge(ids[previous], node, "order"))
            edges.extend(_Edge(artifact_ids[a.iri], node, "data") for a in execution.inputs)
            edges.extend(_Edge(node, artifact_ids[a.iri], "data") for a in execution.outputs)
            edges.extend(_Edge(node, artifact_ids[a.iri], "reused") for a in execution.reused)
        return nodes, edges


@dataclasses.dataclass(frozen=True)
class _Node:
    id: str
    label: tuple[str, ...]
    execution: bool
    failed: bool


@dataclasses.dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    kind: str


def run_dag(repo: Repository, run: object) -> RunDag:
    """FR3: the DAG of ``run`` (an IRI or a :class:`~kgrepo.Run`).

    Raises :class:`~kgrepo.errors.NotFound` for an unknown run and
    :class:`~kgrepo.errors.InvalidInput` for an IRI that is not a run. A run still running shows
    the steps that have ended (a step is written when it ends).
    """
    iri = _resolve.require(repo, run, "run")
    summary = run_summary(repo, iri)
    rows = repo.select(queries.text("dag-executions"), run=iri)
    follows = repo.select(queries.text("dag-follows"), run=iri)
    io_rows = repo.select(queries.text("dag-io"), run=iri)
    infos = artifact_infos(repo, io_rows)
    roles: dict[tuple[str, str], set[str]] = {}
    for row in io_rows:
        roles.setdefault((row["execution"], row["role"]), set()).add(row["artifact"])
    predecessors: dict[str, set[str]] = {}
    successors: dict[str, set[str]] = {}
    for row in follows:
        predecessors.setdefault(row["execution"], set()).add(row["predecessor"])
        successors.setdefault(row["predecessor"], set()).add(row["execution"])
    first = _first_rows(rows)
    order = _topological(
        {e: (row["started"], e) for e, row in first.items()},
        {e: predecessors.get(e, set()) & first.keys() for e in first},
    )
    position = {e: i for i, e in enumerate(order)}

    def ordered(iris: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted((i for i in iris if i in position), key=position.__getitem__))

    def artifacts(execution: str, role: str) -> tuple[ArtifactInfo, ...]:
        found = (infos[a] for a in roles.get((execution, role), ()))
        return tuple(sorted(found, key=lambda a: (a.kind, a.name, a.iri)))

    executions = tuple(
        DagExecution(
            iri=e,
            name=first[e]["name"],
            kind=first[e]["kind"],
            status=Status.from_iri(NamedNode(first[e]["status"])),
            started=first[e]["started"],
            ended=first[e].get("ended"),
            executable=_executable(first[e]),
            inputs=artifacts(e, "input"),
            outputs=artifacts(e, "output"),
            predecessors=ordered(predecessors.get(e, ())),
            successors=ordered(successors.get(e, ())),
            reused=artifacts(e, "reused"),
            reused_from=first[e].get("reusedFrom"),
            error_type=first[e].get("errorType"),
            error_message=first[e].get("errorMessage"),
        )
        for e in order
    )
    return RunDag(summary, executions)


def _first_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One row per execution: an executable described twice in a run gives two rows; keep the one
    with the smallest values, so the answer does not depend on the store's row order."""
    first: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: tuple(f"{k}={r[k]!s}" for k in sorted(r))):
        first.setdefault(row["execution"], row)
    return first


def _topological(keys: dict[str, tuple[Any, str]], after: dict[str, set[str]]) -> list[str]:
    """Kahn's algorithm, taking the ready node with the smallest key (start time, IRI) first."""
    waiting = {node: len(before) for node, before in after.items()}
    followers: dict[str, list[str]] = {}
    for node, before in after.items():
        for previous in before:
            followers.setdefault(previous, []).append(node)
    ready = [keys[node] for node, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for follower in followers.get(node, ()):
            waiting[follower] -= 1
            if waiting[follower] == 0:
                heapq.heappush(ready, keys[follower])
    if len(order) < len(keys):  # a cycle (imported data): the rest by start time
        placed = set(order)
        order.extend(sorted((n for n in keys if n not in placed), key=keys.__getitem__))
    return order


def _executable(row: dict[str, Any]) -> ExecutableInfo | None:
    if "executable" not in row:
        return None
    return ExecutableInfo(
        iri=row["executable"],
        name=row.get("executableName", row["executable"]),
        version=row.get("executableVersion"),
        digest=row.get("executableDigest"),
        uri=row.get("executableUri"),
    )


# -- escaping --------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_MERMAID_CODES = {
    '"': "#34;",
    "#": "#35;",
    "&": "#38;",
    ":": "#58;",
    "<": "#60;",
    ">": "#62;",
    "`": "#96;",
}


def _lines(parts: Iterable[str]) -> list[str]:
    """Label parts split into lines (every kind of newline), control characters made spaces."""
    return [_CONTROL.sub(" ", line) for part in parts for line in _NEWLINES.split(part)]


def _dot_string(parts: Iterable[str]) -> str:
    r"""A DOT quoted string showing ``parts`` on separate lines, exactly as written.

    In a DOT string only ``\"`` is an escape, but Graphviz then reads labels as escString (``\\``,
    ``\n``, ``\N`` the node name…) and decodes HTML entities: so backslashes are doubled, quotes
    escaped, an ``&`` that would start an entity written ``&amp;``, and lines joined with ``\n``.
    """
    escaped = (
        _ENTITY_LIKE.sub("&amp;", line).replace("\\", "\\\\").replace('"', '\\"')
        for line in _lines(parts)
    )
    return '"' + "\\n".join(escaped) + '"'


def _mermaid_string(parts: Iterable[str]) -> str:
    """A Mermaid quoted label showing ``parts`` on separate lines, exactly as written.

    Characters Mermaid would read as syntax or markup are written as its entity codes (``#34;`` for
    a quote; ``:`` too, which Mermaid's style pre-processing would otherwise see); lines are joined
    with ``<br/>``.
    """
    escaped = ("".join(_MERMAID_CODES.get(c, c) for c in line) for line in _lines(parts))
    return '"' + "<br/>".join(escaped) + '"'
