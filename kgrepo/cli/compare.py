"""``kgrepo diff runs A B`` and ``kgrepo diff artifacts A B``: what differs (FR2).

Registered on the main group when this module is imported (``kgrepo/cli/__init__.py``).
"""

from __future__ import annotations

import json
from typing import Any

import click

from kgrepo.cli._core import emit, main, open_repository
from kgrepo.compare import Diff, diff_artifacts, diff_runs
from kgrepo.errors import KgRepoError

_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
_SAME = click.option("--same", is_flag=True, help="Also list the fields that are equal.")


@main.group("diff")
def diff() -> None:
    """Compare two runs, or two artifacts of the same kind."""


@diff.command("runs")
@click.argument("a")
@click.argument("b")
@_OUTPUT
@_SAME
@click.pass_context
def runs(ctx: click.Context, a: str, b: str, output: str, same: bool) -> None:
    """What differs between runs A and B (IRIs): status, trigger, workflow, configuration, and
    each step (matched by name): executable, parameters, inputs, outputs, metrics."""
    with open_repository(ctx) as repo:
        try:
            result = diff_runs(repo, a, b)
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    _print(result, output, same)


@diff.command("artifacts")
@click.argument("a")
@click.argument("b")
@_OUTPUT
@_SAME
@click.pass_context
def artifacts(ctx: click.Context, a: str, b: str, output: str, same: bool) -> None:
    """What differs between artifacts A and B (IRIs, of one kind): attributes, characteristics,
    annotations, metrics, and the step that generated each (executable, parameters, inputs)."""
    with open_repository(ctx) as repo:
        try:
            result = diff_artifacts(repo, a, b)
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    _print(result, output, same)


def _print(result: Diff, output: str, same: bool) -> None:
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"a: {result.a}")
    click.echo(f"b: {result.b}")
    rows = [[d.field, _cell(d.a), _cell(d.b)] for d in result.differences]
    emit(["field", "a", "b"], rows, "table")
    if same:
        click.echo("same: " + (", ".join(result.same) or "nothing"))


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return " | ".join(_cell(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
