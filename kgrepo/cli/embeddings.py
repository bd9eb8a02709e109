"""``kgrepo embeddings train`` and ``kgrepo recommend``: learn from past runs, propose the next.

Registered on the main group when this module is imported (``kgrepo/cli/__init__.py``). torch and
pykeen are imported only when one of these commands runs, so ``kgrepo --help`` stays fast; without
the extra ``kgrepo[embeddings]`` the commands say how to install it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from kgrepo.cli._core import emit, main, open_repository
from kgrepo.errors import KgRepoError


def _embeddings() -> ModuleType:
    try:
        return importlib.import_module("kgrepo.embeddings")
    except ImportError as err:
        raise click.ClickException(
            f"this needs the embeddings extra: pip install 'kgrepo[embeddings]' ({err})"
        ) from None


@main.group()
def embeddings() -> None:
    """Link-prediction embeddings learnt from the repository's runs."""


@embeddings.command("train")
@click.option("--model", default="DistMult", show_default=True, help="A PyKEEN model name.")
@click.option("--dim", "embedding_dim", default=64, show_default=True, type=int)
@click.option("--epochs", default=200, show_default=True, type=int)
@click.option(
    "--training-loop",
    type=click.Choice(["slcwa", "lcwa"]),
    default="slcwa",
    show_default=True,
    help="slcwa: each true triple against sampled negatives; lcwa: against every entity.",
)
@click.option("--loss", help="A PyKEEN loss name (default: the model's own).")
@click.option("--negative-sampler", default="basic", show_default=True)
@click.option("--negatives", "negatives_per_positive", default=8, show_default=True, type=int)
@click.option("--learning-rate", default=0.01, show_default=True, type=float)
@click.option("--batch-size", default=256, show_default=True, type=int)
@click.option(
    "--stopping-metric",
    default="hits_at_10",
    show_default=True,
    help="Early stopping watches this rank-based metric on the validation split (e.g. mrr).",
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--measure", default="accuracy", show_default=True, help="The primary metric.")
@click.option("--lower-is-better", is_flag=True, help="The primary metric is a loss or an error.")
@click.option("--bins", default=4, show_default=True, type=int, help="Quantile bins per number.")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to save the model (default: <repo>-embeddings/).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.pass_context
def train(
    ctx: click.Context,
    model: str,
    embedding_dim: int,
    epochs: int,
    training_loop: str,
    loss: str | None,
    negative_sampler: str,
    negatives_per_positive: int,
    learning_rate: float,
    batch_size: int,
    stopping_metric: str,
    seed: int,
    measure: str,
    lower_is_better: bool,
    bins: int,
    directory: Path | None,
    progress: bool,
) -> None:
    """Train the recommender on the repository's runs and record the model in it."""
    emb = _embeddings()
    with open_repository(ctx) as repo:
        try:
            config = emb.TrainingConfig(
                model=model,
                embedding_dim=embedding_dim,
                epochs=epochs,
                training_loop=training_loop,
                loss=loss,
                negative_sampler=negative_sampler,
                negatives_per_positive=negatives_per_positive,
                learning_rate=learning_rate,
                batch_size=batch_size,
                stopping_metric=stopping_metric,
                seed=seed,
                progress=progress,
            )
            projection = emb.Projection(
                measure=measure, higher_is_better=not lower_is_better, bins=bins
            )
            trained = emb.train(repo, config, projection, directory=directory)
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    m = trained.metrics
    click.echo(f"model {trained.iri}")
    click.echo(
        f"{len(trained.graph.triples)} triples, {int(m['epochs'])} epochs in {m['seconds']:.1f} s; "
        f"validation MRR {m['mrr']:.3f}, Hits@1 {m['hits_at_1']:.3f}, "
        f"Hits@10 {m['hits_at_10']:.3f}"
    )


@main.command("recommend")
@click.option("--experiment", help="Recommend for this experiment (name or IRI).")
@click.option("--dataset", help="Recommend for this dataset (IRI).")
@click.option(
    "--characteristic",
    "characteristics",
    multiple=True,
    metavar="NAME=VALUE",
    help="Describe an unseen dataset (repeat): rows=500 classes=3 ...",
)
@click.option(
    "--space",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help='JSON search space: {"SVC": {"C": {"min": 0.1, "max": 10}, "kernel": ["rbf"]}}.',
)
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help='JSON list of configurations: [{"algorithm": "SVC", "C": 1.0}, ...].',
)
@click.option("-k", "k", default=5, show_default=True, type=int)
@click.option("--include-tried", is_flag=True, help="Keep configurations already tried.")
@click.option("--no-record", is_flag=True, help="Do not record the recommendation.")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def recommend(
    ctx: click.Context,
    experiment: str | None,
    dataset: str | None,
    characteristics: tuple[str, ...],
    space: Path | None,
    candidates: Path | None,
    k: int,
    include_tried: bool,
    no_record: bool,
    output: str,
) -> None:
    """The next configurations to try, ranked and explained by the past runs behind them."""
    emb = _embeddings()
    fields: dict[str, Any] = {
        "experiment": experiment,
        "dataset": dataset,
        "characteristics": dict(_characteristic(c) for c in characteristics) or None,
        "search_space": _json(space) if space else None,
        "candidates": _json(candidates) if candidates else None,
        "k": k,
        "include_tried": include_tried,
    }
    with open_repository(ctx) as repo:
        try:
            request = emb.RecommendationRequest.from_dict(fields)
            result = emb.recommend(repo, request, record=not no_record)
        except KgRepoError as err:
            raise click.ClickException(str(err)) from None
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    rows = [
        [
            str(i.rank),
            f"{i.score:.3f}",
            json.dumps(i.configuration, ensure_ascii=False),
            i.explanation,
            str(len(i.supporting_runs)),
        ]
        for i in result.items
    ]
    emit(["rank", "score", "configuration", "why", "runs"], rows, "table")
    if result.unseen:
        nearest = ", ".join(f"{d} ({w:.2f})" for d, w in result.neighbours[:3])
        click.echo(
            f"unseen dataset, represented by {len(result.neighbours)} training datasets "
            f"weighted by similarity; nearest: {nearest}"
        )
    if result.activity:
        click.echo(f"recorded as {result.activity}")


def _characteristic(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r}: expected NAME=VALUE", param_hint="--characteristic")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise click.BadParameter(f"{path}: not JSON ({err})") from None
