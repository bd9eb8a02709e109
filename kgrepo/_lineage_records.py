"""What lineage says about each execution on the way, read for many executions at once.

A :class:`StepRecord` is a lineage step without its place in one answer (depth, and the inputs and
outputs that answer reached): the step's name, kind, status, times, executable, settings, run and
trigger. ``depends`` lists every node whose statements the record was read from (execution,
executable, run, trigger event, agent, settings and their parameters), which is what
:mod:`kgrepo._lineage_index` needs to know when a write makes a cached record stale.

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
    writes).
    """
    nodes = [NamedNode(e) for e in sorted(set(executions))]
    details = {
        r["execution"]: r
        for r in queries.select_each(repo, "execution-details", "execution", nodes)
    }
    runs = {
        r["execution"]: r["run"]
        for r in queries.select_each(repo, "execution-runs", "execution", nodes)
    }
    triggers = {
        r["run"]: r
        for r in queries.select_each(repo, "run-trigger", "run", map(NamedNode, runs.values()))
    }
    settings: dict[str, dict[str, Any]] = defaultdict(dict)
    setting_nodes: dict[str, set[str]] = defaultdict(set)
    for row in queries.select_each(repo, "execution-settings", "execution", nodes):
        settings[row["execution"]][row["parameter"]] = row["value"]
        setting_nodes[row["execution"]].update((row["setting"], row["param"]))
    out = {}
    for node in nodes:
        e = node.value
        run = runs[e]
        row, trigger = details[e], triggers[run]
        read_from = {e, run, trigger["event"], *setting_nodes[e]}
        read_from.update(row[k] for k in ("executable",) if k in row)
        read_from.update(trigger[k] for k in ("agent",) if k in trigger)
        out[e] = _record(row, run, trigger, settings[e], frozenset(read_from))
    return out


def _record(
    row: dict[str, Any],
    run: str,
    trigger_row: dict[str, Any],
    settings: dict[str, Any],
    depends: frozenset[str],
) -> StepRecord:
    executable = None
    if "executable" in row:
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
