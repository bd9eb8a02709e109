"""``kgrepo trigger``, ``kgrepo runs-since`` and ``kgrepo trace``: why runs started, how often an
experiment ran since a point (FR7), and the trace of an experiment (FR10).

An EXPERIMENT is given by name or by IRI. Registered on the main group when this module is imported
(``kgrepo/cli/__init__.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import click
from pyoxigraph import NamedNode

from kgrepo.cli._core import emit, main, open_repository
from kgrepo.history import RunHistory, Trace, run_trigger, runs_since, trace
from kgrepo.repository import Repository
from kgrepo.results import RunSummary

_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)


@main.command("trigger")
@click.argument("run")
@click.option(
    "-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def trigger(ctx: click.Context, run: str, output: str) -> None:
    """What triggered RUN (an IRI): the cause, who or what, why, and what changed."""
    with open_repository(ctx) as repo:
        info = run_trigger(repo, run)
    if output == "json":
        click.echo(json.dumps(info.to_dict(), indent=2, ensure_ascii=False))
        return
    for label, value in (
        ("cause", info.cause.value),
        ("by", info.by),
        ("reason", info.reason),
        ("concerns", info.concerns),
    ):
        click.echo(f"{label:<9} {value if value is not None else '-'}")


@main.command("runs-since")
@click.argument("experiment")
@click.option(
    "--since",
    metavar="ISO|RUN",
    help="A time with a timezone (2025-01-31T00:00:00Z) or a run IRI (from its start, included).",
)
@click.option(
    "--since-step-kind",
    metavar="KIND",
    help="From the start of the latest run with a succeeded step of this kind (e.g. deploy).",
)
@click.option("--workflow", metavar="NAME", help="Only runs of this workflow (any version).")
@_OUTPUT
@click.pass_context
def runs_since_(
    ctx: click.Context,
    experiment: str,
    since: str | None,
    since_step_kind: str | None,
    workflow: str | None,
    output: str,
) -> None:
    """How often EXPERIMENT ran since a point, what triggered each run, and how each ended."""
    point = _since(since)
    with open_repository(ctx) as repo:
        result = runs_since(
            repo,
            _experiment(repo, experiment),
            since=point,
            since_step_kind=since_step_kind,
            workflow=workflow,
        )
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    names, rows = _run_rows(result.runs)
    emit(names, rows, output)
    if output == "table":
        _history_footer(result)


@main.command("trace")
@click.argument("experiment")
@_OUTPUT
@click.pass_context
def trace_(ctx: click.Context, experiment: str, output: str) -> None:
    """The trace of EXPERIMENT: its runs, and each artifact they produced or used, once."""
    with open_repository(ctx) as repo:
        result = trace(repo, _experiment(repo, experiment))
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif output == "csv":
        emit(*_artifact_rows(result, numbered=False), "csv")
    else:
        names, rows = _run_rows(result.runs)
        emit(names, rows, "table")
        click.echo()
        emit(*_artifact_rows(result, numbered=True), "table")


# -- helpers ---------------------------------------------------------------------------------------
def _experiment(repo: Repository, value: str) -> str:
    """The IRI of the experiment named ``value``; else ``value`` itself, taken as an IRI (the
    question then says whether it is an experiment)."""
    for row in repo.experiments():
        if row.get("name") == value:
            return str(row["experiment"])
    try:
        NamedNode(value)
    except ValueError:
        raise click.ClickException(
            f"no experiment named {value!r} (nor is it an IRI); `kgrepo info` lists the experiments"
        ) from None
    return value


def _since(value: str | None) -> dt.datetime | str | None:
    """``--since``: an ISO 8601 time with a timezone, or else a run IRI."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        raise click.BadParameter(
            f"{value!r} has no timezone; add one, e.g. {moment.isoformat()}Z or +02:00",
            param_hint="--since",
        )
    return moment


def _run_rows(runs: Sequence[RunSummary]) -> tuple[list[str], list[list[str]]]:
    names = ["#", "started", "run", "status", "cause", "by", "reason"]
    rows = [
        [
            str(number),
            run.started.isoformat(),
            run.iri,
            run.status.value,
            run.trigger.cause.value if run.trigger else "",
            (run.trigger.by or "") if run.trigger else "",
            (run.trigger.reason or "") if run.trigger else "",
        ]
        for number, run in enumerate(runs, 1)
    ]
    return names, rows


def _history_footer(result: RunHistory) -> None:
    if result.since is not None:
        origin = f" (run {result.since_run})" if result.since_run else ""
        click.echo(f"{result.count} run(s) since {result.since.isoformat()}{origin}")
    else:
        click.echo(f"{result.count} run(s)")
    for label, counts in (("by cause", result.by_cause), ("by status", result.by_status)):
        text = ", ".join(f"{key} {count}" for key, count in counts.items())
        click.echo(f"  {label}: {text or '-'}")


def _artifact_rows(result: Trace, *, numbered: bool) -> tuple[list[str], list[list[str]]]:
    """Artifacts of a trace; runs as their numbers in the runs table (``numbered``) or as IRIs."""
    number = {run.iri: i for i, run in enumerate(result.runs, 1)}

    def runs(iris: Sequence[str]) -> str:
        if not numbered:
            return " ".join(iris)
        return _ranges(sorted(number[i] for i in iris if i in number))

    names = ["kind", "name", "digest", "produced by", "used by"]
    rows = [
        [
            entry.artifact.kind,
            entry.artifact.name,
            entry.artifact.digest or "",
            runs(entry.produced_by),
            runs(entry.used_by),
        ]
        for entry in result.artifacts
    ]
    if not numbered:  # CSV: the IRI too, for joining with other answers
        names.insert(0, "artifact")
        for row, entry in zip(rows, result.artifacts, strict=True):
            row.insert(0, entry.artifact.iri)
    return names, rows


def _ranges(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 7]`` → ``"#1-3, #7"``: a run list that stays short for a thousand runs."""
    parts: list[str] = []
    start = previous = None
    for n in [*numbers, None]:
        if n is not None and previous is not None and n == previous + 1:
            previous = n
            continue
        if start is not None:
            parts.append(f"#{start}" if start == previous else f"#{start}-{previous}")
        start = previous = n
    return ", ".join(parts)
