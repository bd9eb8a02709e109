"""What lineage says about each execution on the way, read for many executions at once.

A :class:`StepRecord` is a lineage step without its place in one answer (depth, and the inputs and
outputs that answer reached): the step's name, kind, status, times, executable, settings, run and
trigger. ``depends`` lists every node the record was read from, or reached through a link without
being able to read it whole (a setting without a value yet, an agent without a label): execution,
executable, settings and their parameters, run, trigger events and their agents. Every query
reads statements *about* these nodes (as subjects), except ``?run kg:hasExecution ?execution``: a
record is stale exactly when a statement about one of them is written or removed, or a run is
linked to its execution. That is what :mod:`kgrepo._lineage_index` checks on every write.

>>> import kgrepo
>>> from kgrepo import demo
>>> repo = kgrepo.Repository.in_memory()
>>> result = demo.record(repo)
>>> from kgrepo import lineage
>>> step = lineage.upstream(repo, result.bad_model).steps[0]
>>> record = read_steps(repo, [step.iri])[step.iri]
>>> record.name == step.name, step.iri in record.depends, step.run in record.depends
(True, True, True)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyoxigraph import NamedNode

from kgrepo import queries
from kgrepo.records import Cause, Status
from kgrepo.results import ExecutableInfo, TriggerInfo

if TYPE_CHECKING:
    from kgrepo.repository import Repository


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """One execution's details as lineage reports them, and the nodes they were read from."""

    iri: str
    name: str
    kind: str
    status: Status
    run: str
    started: dt.datetime
    ended: dt.datetime | None
    executable: ExecutableInfo | None
    settings: dict[str, Any]
    trigger: TriggerInfo
    depends: frozenset[str]


def read_steps(repo: Repository, executions: Iterable[str]) -> dict[str, StepRecord]:
    """The record of each of ``executions``, each aspect read for all of them at once (the
    executions bound as inline data: one join of a few patterns each, which Oxigraph plans well;
    a single query joining them all was planned badly, 12 s for 119 steps).

    An execution without details, run or trigger raises ``KeyError`` (recorded data kgrepo never
    writes). The nodes reached but not read whole cost one more query, on the runs
    (``lineage-run-links.rq``: 70 ms for the 248 runs of 1,186 executions at 10,000 runs).
    """
    nodes = [NamedNode(e) for e in sorted(set(executions))]
    details: dict[str, dict[str, Any]] = {}
    linked: dict[str, set[str]] = defaultdict(set)  # nodes reached through links, read or not
    for row in queries.select_each(repo, "execution-details", "execution", nodes):
        e = row["execution"]
        if "executable" in row:
            linked[e].add(row["executable"])
        if e not in details or "exeName" in row:  # an executable read whole wins
            details[e] = row
    runs = {
        r["execution"]: r["run"]
        for r in queries.select_each(repo, "execution-runs", "execution", nodes)
    }
    run_nodes = sorted(set(map(NamedNode, runs.values())), key=str)
    triggers = {r["run"]: r for r in queries.select_each(repo, "run-trigger", "run", run_nodes)}
    for row in queries.select_each(repo, "lineage-run-links", "run", run_nodes):
        linked[row["run"]].add(row["node"])
    settings: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in queries.select_each(repo, "execution-settings", "execution", nodes):
        e = row["execution"]
        linked[e].update(row[k] for k in ("setting", "param") if k in row)
        if "parameter" in row and "value" in row:
            settings[e][row["parameter"]] = row["value"]
    out = {}
    for node in nodes:
        e = node.value
        run = runs[e]
        row, trigger = details[e], triggers[run]
        read_from = frozenset({e, run, *linked[e], *linked[run]})
        out[e] = _record(row, run, trigger, settings[e], read_from)
    return out


def _record(
    row: dict[str, Any],
    run: str,
    trigger_row: dict[str, Any],
    settings: dict[str, Any],
    depends: frozenset[str],
) -> StepRecord:
    executable = None
    if "exeName" in row:
        executable = ExecutableInfo(
            row["executable"],
            row["exeName"],
            row.get("exeVersion"),
            row.get("exeDigest"),
            row.get("exeUri"),
        )
    trigger = TriggerInfo(
        Cause.from_iri(NamedNode(trigger_row["cause"])),
        trigger_row.get("by"),
        trigger_row.get("reason"),
        trigger_row.get("concerns"),
    )
    return StepRecord(
        iri=row["execution"],
        name=row["name"],
        kind=row["kind"],
        status=Status.from_iri(NamedNode(row["status"])),
        run=run,
        started=row["started"],
        ended=row.get("ended"),
        executable=executable,
        settings=dict(sorted(settings.items())),
        trigger=trigger,
        depends=depends,
    )
