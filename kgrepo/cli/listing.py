"""``kgrepo artifacts KIND``: the artifacts of a kind, filtered and sorted, a page at a time (FR1).

Registered on the main group when this module is imported (``kgrepo/cli/__init__.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from kgrepo.cli._core import OUTPUT, emit, main, open_repository
from kgrepo.errors import KgRepoError
from kgrepo.listing import MAX_LIMIT, OPERATORS, ArtifactPage, list_artifacts

# The longest operators first, so "a>=1" splits at ">=", not at ">".
_CONDITION = re.compile(
    r"^\s*(?P<measure>.+?)\s*(?P<op>"
    + "|".join(re.escape(op) for op in sorted((*OPERATORS, "=="), key=len, reverse=True))
    + r")\s*(?P<value>[^<>=!]+?)\s*$"
)


@main.command("artifacts")
@click.argument("kind")
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Keep artifacts whose field (an attribute of the kind, or name, uri, digest, version, "
    "description, created) equals VALUE. Repeatable.",
)
@click.option(
    "--annotation",
    "annotations",
    multiple=True,
    metavar="KEY=VALUE",
    help="Keep artifacts annotated KEY=VALUE. Repeatable.",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="'MEASURE>=VALUE'",
    help=f"Keep artifacts with a metric meeting the condition ({' '.join(OPERATORS)}). Repeatable.",
)
@click.option(
    "--sort",
    help="name (default), created, a field, or metric:MEASURE; artifacts without one come last.",
)
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--limit",
    type=int,
    default=50,
    show_default=True,
    help=f"Artifacts per page (1 to {MAX_LIMIT}).",
)
@click.option("--cursor", help="Start after the page that printed this cursor.")
@click.option("--offset", type=int, help="Skip this many artifacts (slower than --cursor).")
@OUTPUT
@click.pass_context
def artifacts(
    ctx: click.Context,
    kind: str,
    where: tuple[str, ...],
    annotations: tuple[str, ...],
    metrics: tuple[str, ...],
    sort: str | None,
    desc: bool,
    limit: int,
    cursor: str | None,
    offset: int | None,
    output: str,
) -> None:
    """List the artifacts of KIND (e.g. Model, Dataset or a custom kind; sub-kinds included).

    The table ends with the cursor of the next page (CSV prints it on stderr, JSON includes it).
    """
    if cursor is not None and offset is not None:
        raise click.UsageError("give either --cursor or --offset, not both")
    conditions = dict(_condition(text) for text in metrics)
    with open_repository(ctx) as repo:
        try:
            page = list_artifacts(
                repo,
                kind,
                where=_pairs(where, "--where", "FIELD=VALUE"),
                annotations=_pairs(annotations, "--annotation", "KEY=VALUE"),
                metrics=conditions,
                sort=sort,
                descending=desc,
                limit=limit,
                cursor=cursor,
                offset=offset,
            )
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    _print(page, output)


def _pairs(items: tuple[str, ...], option: str, form: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not {form}", param_hint=option)
        pairs[name.strip()] = value
    return pairs


def _condition(text: str) -> tuple[str, tuple[str, float]]:
    match = _CONDITION.match(text)
    if match is None:
        raise click.BadParameter(
            f"{text!r} is not MEASURE<op>NUMBER with op one of {' '.join(OPERATORS)}, "
            "e.g. 'accuracy>=0.9'",
            param_hint="--metric",
        )
    try:
        value = float(match["value"])
    except ValueError:
        raise click.BadParameter(
            f"{match['value']!r} in {text!r} is not a number", param_hint="--metric"
        ) from None
    op = "=" if match["op"] == "==" else match["op"]
    return match["measure"], (op, value)


def _print(page: ArtifactPage, output: str) -> None:
    if output == "json":
        click.echo(json.dumps(page.to_dict(), indent=2, ensure_ascii=False))
        return
    attributes = sorted({name for item in page.items for name in item.attributes})
    names = ["name", "kind", "sort value", "created", "digest", "uri", *attributes, "iri"]
    rows = [
        [
            item.name,
            item.kind,
            _cell(item.sort_value),
            _cell(item.created),
            item.digest or "",
            item.uri or "",
            *(_cell(item.attributes.get(name)) for name in attributes),
            item.iri,
        ]
        for item in page.items
    ]
    emit(names, rows, output)
    footer = []
    if page.total is not None:
        footer.append(f"{page.total} matching")
    if page.next_cursor is not None:
        footer.append(f"next page: --cursor {page.next_cursor}")
    if footer:
        click.echo("; ".join(footer), err=output == "csv")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
