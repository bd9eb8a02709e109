"""CLI commands for lineage (FR4, FR5, FR6, FR8 and root cause)."""

from __future__ import annotations

import json

import click

from kgrepo import lineage as lineage_
from kgrepo import reuse
from kgrepo.artifacts import Artifact
from kgrepo.cli._core import emit, main, open_repository
from kgrepo.errors import KgRepoError
from kgrepo.records import Executable

_OUTPUT = click.option(
    "-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@main.command()
@click.argument("artifact")
@click.option(
    "--direction",
    type=click.Choice(["upstream", "downstream"]),
    default="upstream",
    show_default=True,
)
@click.option("--depth", type=int, help="Steps to follow (default: all the way).")
@_OUTPUT
@click.pass_context
def lineage(
    ctx: click.Context, artifact: str, direction: str, depth: int | None, output: str
) -> None:
    """How ARTIFACT came to be (upstream) or what was derived from it (downstream)."""
    with open_repository(ctx) as repo:
        try:
            found = (lineage_.upstream if direction == "upstream" else lineage_.downstream)(
                repo, artifact, depth
            )
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    if output == "json":
        click.echo(json.dumps(found.to_dict(), indent=2, default=str))
        return
    names = {iri: a.name for iri, a in found.artifacts.items()}
    rows = [
        [
            str(s.depth),
            s.name,
            s.kind,
            f"{s.executable.name} {s.executable.version or ''}".strip() if s.executable else "",
            ", ".join(names[i] for i in s.inputs),
            ", ".join(names[o] for o in s.outputs),
            f"{s.trigger.cause.value} by {s.trigger.by or '?'}",
        ]
        for s in found.steps
    ]
    emit(["depth", "step", "kind", "executable", "inputs", "outputs", "trigger"], rows, "table")


@main.command()
@click.argument("artifact")
@click.pass_context
def recipe(ctx: click.Context, artifact: str) -> None:
    """A JSON reproduction recipe for ARTIFACT: ordered steps, executables, settings, inputs."""
    with open_repository(ctx) as repo:
        try:
            click.echo(lineage_.recipe(repo, artifact).to_json())
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None


@main.command("root-cause")
@click.argument("a")
@click.argument("b")
@_OUTPUT
@click.pass_context
def root_cause(ctx: click.Context, a: str, b: str, output: str) -> None:
    """Where the upstream lineages of two artifacts (e.g. a good and a bad model) first differ."""
    with open_repository(ctx) as repo:
        try:
            cause = lineage_.root_cause(repo, a, b)
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    if output == "json":
        click.echo(json.dumps(cause.to_dict(), indent=2))
        return
    if cause.step is None:
        click.echo("the upstream lineages do not differ")
        return
    click.echo(f"first difference at step {cause.step!r}:")
    for line in cause.differences:
        click.echo(f"  {line}")
    for side, trigger in (("a", cause.trigger_a), ("b", cause.trigger_b)):
        if trigger is not None:
            click.echo(
                f"run of {side} triggered by: {trigger.cause.value} by {trigger.by or '?'}"
                f"{' — ' + trigger.reason if trigger.reason else ''}"
            )
    if cause.affected:
        click.echo("affected (derived from what only b used):")
        for info in cause.affected:
            click.echo(f"  {info.kind:<10} {info.name}  <{info.iri}>")


@main.command()
@click.argument("artifact")
@click.option("--reason", required=True, help="Why the artifact is bad.")
@click.option("--by", help="Who flags it.")
@click.pass_context
def flag(ctx: click.Context, artifact: str, reason: str, by: str | None) -> None:
    """Flag ARTIFACT as bad; everything derived from it becomes a suspect."""
    with open_repository(ctx) as repo:
        try:
            iri = lineage_.flag(repo, artifact, reason, by=by)
            count = len([s for s in lineage_.suspects(repo) if s.flagged == artifact])
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    click.echo(f"flagged: {iri}  ({count} suspect artifacts downstream)")


@main.command()
@_OUTPUT
@click.pass_context
def suspects(ctx: click.Context, output: str) -> None:
    """Every artifact derived from a flagged one, with the reason."""
    with open_repository(ctx) as repo:
        found = lineage_.suspects(repo)
    if output == "json":
        click.echo(json.dumps([s.to_dict() for s in found], indent=2))
        return
    rows = [[s.artifact.kind, s.artifact.name, s.artifact.iri, s.flagged, s.reason] for s in found]
    emit(["kind", "name", "suspect", "flagged", "reason"], rows, "table")


@main.command()
@click.option("--executable", "name", required=True, help="Executable name.")
@click.option("--version", help="Executable version.")
@click.option("--digest", help="Executable digest.")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="KIND=DIGEST",
    help="An input by kind and digest, e.g. Dataset=sha256:ab12 (repeatable).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=JSON",
    help='A setting; the value is JSON (1.0, 3, true, "rbf") or plain text.',
)
@click.pass_context
def equivalent(
    ctx: click.Context,
    name: str,
    version: str | None,
    digest: str | None,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
) -> None:
    """FR6: an earlier successful execution with the same executable, inputs and settings."""
    with open_repository(ctx) as repo:
        try:
            artifacts = []
            for item in inputs:
                kind, sep, value = item.partition("=")
                if not sep:
                    raise click.BadParameter(f"{item!r} is not KIND=DIGEST", param_hint="--input")
                artifacts.append(Artifact("input", kind=repo.kind(kind), digest=value))
            settings = {}
            for item in params:
                key, sep, value = item.partition("=")
                if not sep:
                    raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
                try:
                    settings[key] = json.loads(value)
                except json.JSONDecodeError:
                    settings[key] = value
            found = reuse.find_equivalent(
                repo, Executable(name, version, digest=digest), artifacts, settings
            )
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    if found is None:
        click.echo("no equivalent execution: the step must run")
        raise SystemExit(1)
    click.echo(json.dumps(found.to_dict(), indent=2))
