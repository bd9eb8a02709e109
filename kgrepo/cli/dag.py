"""``kgrepo dag RUN``: the DAG of a run (FR3) as a table, Graphviz DOT, Mermaid or JSON.

Registered on the main group when this module is imported (``kgrepo/cli/__init__.py``).
"""

from __future__ import annotations

import json

import click

from kgrepo.cli._core import emit, main, open_repository
from kgrepo.dag import RunDag, run_dag


@main.command("dag")
@click.argument("run")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "dot", "mermaid", "json"]),
    default="table",
    show_default=True,
    help="dot: pipe into `dot -Tsvg`; mermaid: paste into Markdown.",
)
@click.pass_context
def dag(ctx: click.Context, run: str, fmt: str) -> None:
    """The DAG of RUN (an IRI): its steps in order, with their inputs and outputs."""
    with open_repository(ctx) as repo:
        result = run_dag(repo, run)
    if fmt == "dot":
        click.echo(result.to_dot(), nl=False)
    elif fmt == "mermaid":
        click.echo(result.to_mermaid(), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _table(result)


def _table(result: RunDag) -> None:
    run = result.run
    trigger = f"{run.trigger.cause.value} by {run.trigger.by or '?'}" if run.trigger else "?"
    click.echo(f"run {run.iri}  {run.status.value}  started {run.started.isoformat()}")
    click.echo(f"trigger: {trigger}")
    names = {e.iri: e.name for e in result.executions}
    rows = [
        [
            str(number),
            e.name,
            e.kind,
            e.status.value,
            ", ".join(names[p] for p in e.predecessors),
            ", ".join(a.name for a in e.inputs),
            ", ".join(a.name for a in (*e.outputs, *e.reused)),
            f"{e.executable.name} {e.executable.version or ''}".strip() if e.executable else "",
        ]
        for number, e in enumerate(result.executions, 1)
    ]
    emit(["#", "step", "kind", "status", "after", "inputs", "outputs", "executable"], rows, "table")
