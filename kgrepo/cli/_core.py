"""The core commands: init, info, query, export, import, demo, recover.

The repository is ``./.kgrepo`` unless ``--repo`` (or the environment variable ``KGREPO_REPO``)
says otherwise: a directory (an embedded store) or the URL of a SPARQL server such as
``oxigraph serve`` (``--repo http://127.0.0.1:7878``), which any number of processes may share.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions

from kgrepo import demo, queries
from kgrepo.errors import KgRepoError
from kgrepo.iris import DEFAULT_BASE
from kgrepo.repository import Repository

#: The --output option of commands printing rows (table, CSV or JSON).
OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)

_FORMATS_BY_SUFFIX = {".nq": "nquads", ".nquads": "nquads", ".trig": "trig"}


@click.group()
@click.option(
    "--repo",
    "repo_path",
    envvar="KGREPO_REPO",
    default=".kgrepo",
    show_default=True,
    help="Repository directory, or the URL of a SPARQL server (http://host:port).",
)
@click.option(
    "--base",
    envvar="KGREPO_BASE",
    default=DEFAULT_BASE,
    show_default=True,
    help="Base IRI under which new IRIs are minted.",
)
@click.version_option(package_name="kgrepo")
@click.pass_context
def main(ctx: click.Context, repo_path: str, base: str) -> None:
    """kgrepo: a knowledge-graph experiment repository for machine learning."""
    ctx.obj = {"path": repo_path if _is_url(repo_path) else Path(repo_path), "base": base}


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


@contextmanager
def open_repository(ctx: click.Context) -> Iterator[Repository]:
    """Opens the repository named by the global options; kgrepo errors become clean CLI errors."""
    try:
        location, base = ctx.obj["path"], ctx.obj["base"]
        if isinstance(location, str):
            repository = Repository.connect(location, base=base)
        else:
            repository = Repository.open(location, base=base)
        with repository as repo:
            yield repo
    except KgRepoError as err:
        raise click.ClickException(str(err)) from None


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the repository (an embedded Oxigraph store) if it does not exist."""
    with open_repository(ctx):
        pass
    click.echo(f"repository ready at {ctx.obj['path']}")


@main.command()
@click.pass_context
def info(ctx: click.Context) -> None:
    """Counts of entities by kind, and the experiments."""
    with open_repository(ctx) as repo:
        counts = repo.counts()
        experiments = repo.experiments()
    click.echo(f"repository: {ctx.obj['path']}")
    for label, count in counts.items():
        click.echo(f"  {label:<24} {count}")
    click.echo("experiments:")
    for exp in experiments:
        click.echo(f"  {exp['name']}  ({exp['runs']} runs)  {exp.get('goal', '')}")


@main.command()
@click.argument("sparql", required=False)
@click.option(
    "-f",
    "--file",
    "file",
    type=click.File("r", encoding="utf-8"),
    help="Read the query from a file (e.g. one of ontology/queries/*.rq).",
)
@click.option("-n", "--named", help="Run a packaged query by name (see --list).")
@click.option("--list", "list_named", is_flag=True, help="List the packaged queries.")
@click.option(
    "-b",
    "--bind",
    multiple=True,
    metavar="NAME=IRI",
    help="Bind a variable to an IRI (repeatable); values are never formatted into the query.",
)
@OUTPUT
@click.pass_context
def query(
    ctx: click.Context,
    sparql: str | None,
    file: Any,
    named: str | None,
    list_named: bool,
    bind: tuple[str, ...],
    output: str,
) -> None:
    """Run a SPARQL query over all graphs (kg, prov, mls, rdf, rdfs, xsd, owl predeclared)."""
    if list_named:
        for name in queries.names():
            click.echo(name)
        return
    sources = [s for s in (sparql, file, named) if s is not None]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of SPARQL, --file or --named")
    try:
        text = str(file.read() if file is not None else queries.text(named) if named else sparql)
    except KgRepoError as err:
        raise click.ClickException(str(err)) from None
    bindings = {}
    for item in bind:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=IRI", param_hint="--bind")
        bindings[name.lstrip("?")] = value
    with open_repository(ctx) as repo:
        try:
            result = repo.query(text, **bindings)
            _print_result(result, output)
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None


def _print_result(result: Any, output: str) -> None:
    if isinstance(result, QueryBoolean):
        click.echo(
            json.dumps({"boolean": bool(result)}) if output == "json" else str(bool(result)).lower()
        )
        return
    if not isinstance(result, QuerySolutions):
        for triple in result:
            click.echo(f"{triple.subject} {triple.predicate} {triple.object} .")
        return
    names = [v.value for v in result.variables]
    emit(names, [[_cell(row[n]) for n in names] for row in result], output)


def emit(names: list[str], rows: list[list[str]], output: str) -> None:
    """Prints rows as an aligned table, CSV or JSON (a list of objects)."""
    if output == "json":
        click.echo(json.dumps([dict(zip(names, r, strict=True)) for r in rows], indent=2))
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        widths = [min(60, max([len(n), *(len(r[i]) for r in rows)])) for i, n in enumerate(names)]
        click.echo("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
        click.echo("  ".join("-" * w for w in widths))
        for r in rows:
            click.echo("  ".join(_clip(c, w).ljust(w) for c, w in zip(r, widths, strict=True)))
        click.echo(f"({len(rows)} rows)")


def _cell(term: Any) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _format(path: str, given: str | None) -> str:
    if given:
        return given
    fmt = _FORMATS_BY_SUFFIX.get(Path(path).suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            "cannot tell the format from the file name; use --format", param_hint="PATH"
        )
    return fmt


@main.command("export")
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["nquads", "trig"]),
    help="Default: from the file name (.nq, .trig); '-' writes N-Quads to stdout.",
)
@click.pass_context
def export_(ctx: click.Context, path: str, fmt: str | None) -> None:
    """Export every graph (named graphs kept) as N-Quads or TriG."""
    with open_repository(ctx) as repo:
        if path == "-":
            repo.dump(sys.stdout.buffer, fmt or "nquads")
            return
        fmt = _format(path, fmt)  # before opening: a bad name must not truncate a file
        with open(path, "wb") as out:
            repo.dump(out, fmt)
    click.echo(f"exported to {path}", err=True)


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["nquads", "trig"]))
@click.pass_context
def import_(ctx: click.Context, path: str, fmt: str | None) -> None:
    """Import N-Quads or TriG in one transaction (a file that does not parse adds nothing)."""
    with open_repository(ctx) as repo, open(path, "rb") as data:
        before = len(repo.store)
        try:
            repo.load(data, _format(path, fmt))
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
        added = len(repo.store) - before
    click.echo(f"imported {path}: {added} new quads")


@main.command("demo")
@click.pass_context
def demo_(ctx: click.Context) -> None:
    """Record the root-cause scenario (two runs of a digits pipeline) and show the lineage, and a
    tuning history for the recommender (80 runs of scikit-learn configurations on 5 datasets)."""
    with open_repository(ctx) as repo:
        result = demo.record(repo)
        click.echo(f"recorded experiment {result.experiment}")
        click.echo(f"  run 1 (manual, digits):              {result.good_run}")
        click.echo(f"  run 2 (data change, alphanumeric):   {result.bad_run}")
        for label, model in (
            ("model of run 1", result.good_model),
            ("model of run 2", result.bad_model),
        ):
            click.echo(f"\nlineage of the {label} <{model}>:")
            rows = repo.select(queries.text("model-upstream"), model=NamedNode(model))
            for row in sorted(rows, key=lambda r: (r["stepName"], r["inputName"])):
                click.echo(
                    f"  {row['inputName']:<20} -> {row['stepName']:<9} "
                    f"({row.get('executable', '?')} {row.get('version', '')}) "
                    f"trigger: {row['cause']} by {row.get('by', '?')}"
                )
        tuning = demo.record_tuning(repo)
    click.echo(
        f"\nquery it: kgrepo --repo {ctx.obj['path']} query --named model-upstream "
        f"--bind model={result.bad_model}"
    )
    click.echo(
        f"\nrecorded a tuning history to learn from: {len(tuning)} experiments (tune-*), "
        f"80 runs\nlearn from it:   kgrepo --repo {ctx.obj['path']} embeddings train\n"
        f"then ask:        kgrepo --repo {ctx.obj['path']} recommend "
        "--characteristic rows=500 --characteristic classes=2 -k 3"
    )


@main.command()
@click.option("--all-hosts", is_flag=True, help="Also list running runs started on other hosts.")
@click.option("--dry-run", is_flag=True, help="Only list the stale runs.")
@click.pass_context
def recover(ctx: click.Context, all_hosts: bool, dry_run: bool) -> None:
    """Mark runs whose recording process died as abandoned."""
    with open_repository(ctx) as repo:
        stale = repo.stale_runs(all_hosts=all_hosts)
        for run in stale:
            click.echo(f"{run.iri}  started {run.started}  on {run.host} (pid {run.pid})")
            if not dry_run:
                repo.abandon(run.iri)
    verb = "found" if dry_run else "abandoned"
    click.echo(f"{len(stale)} stale run(s) {verb}")
