"""Training the recommender's embeddings on a repository, and recording that training in it.

kgrepo records its own learning: :func:`train` is a run of the experiment ``kgrepo-embeddings``
whose ``train`` step uses the training-graph snapshot (a Dataset whose digest is the SHA-256 of
its triples), sets the training configuration and projection as parameters (seed included),
produces the model file as a Model artifact (digest, PyKEEN version) and logs its filtered
link-prediction metrics on the validation split. The run's environment (package versions) is
captured like any run's. :func:`load` finds the newest such model and loads it, checking its
digest.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgrepo.embeddings.errors import HOW_TO_TRAIN, NoModel, NotEnoughHistory
from kgrepo.embeddings.graph import Projection, TrainingGraph, project
from kgrepo.embeddings.model import FORMAT, EmbeddingModel
from kgrepo.embeddings.training import TrainingConfig, quiet_pykeen, split, train_triples
from pyoxigraph import NamedNode

import kgrepo
from kgrepo import queries
from kgrepo.artifacts import ArtifactRef
from kgrepo.errors import InvalidInput

if TYPE_CHECKING:
    from kgrepo.repository import Repository

__all__ = ["EXPERIMENT", "MIN_DATASETS", "MIN_RUNS", "load", "train", "train_graph"]

#: The experiment kgrepo records its embedding training in.
EXPERIMENT = "kgrepo-embeddings"
#: Internal experiments, left out of the training graph.
INTERNAL = (EXPERIMENT, "kgrepo-recommendations")
#: Below these the graph is too small to learn from (cold start): link prediction needs the same
#: configuration seen on several datasets to say anything about a new one.
MIN_DATASETS = 2
MIN_RUNS = 8


def train_graph(graph: TrainingGraph, config: TrainingConfig) -> EmbeddingModel:
    """Trains an embedding model on ``graph`` (not recorded anywhere); raises
    :class:`~.errors.NotEnoughHistory` when the graph is too small."""
    scored = [r for r in graph.runs if r.score is not None]
    if len(scored) < MIN_RUNS or len(graph.datasets) < MIN_DATASETS:
        raise NotEnoughHistory(len(scored), len(graph.datasets), MIN_RUNS, MIN_DATASETS)
    with quiet_pykeen():
        training, validation = split(graph.triples, config.validation_share, config.seed)
    testing = validation if validation is not None else training
    trained = train_triples(training, validation, testing, config)
    result = EmbeddingModel(
        trained.model,
        graph,
        config.to_params(),
        dict(training.entity_to_id),
        dict(training.relation_to_id),
        {**trained.metrics, "epochs": float(trained.epochs), "seconds": trained.seconds},
    )
    return result


def train(
    repo: Repository,
    config: TrainingConfig | None = None,
    projection: Projection | None = None,
    *,
    directory: str | Path | None = None,
) -> EmbeddingModel:
    """Projects ``repo``, trains an embedding model on it, saves it under ``directory`` and
    records the training in ``repo`` (see module docstring); returns the model with its IRI.

    ``directory`` defaults to ``<store>-embeddings/`` next to an on-disk repository, and to a
    new temporary directory for an in-memory one. Raises :class:`~.errors.NotEnoughHistory` when
    the repository is too small to learn from; nothing is recorded then.
    """
    config = config or TrainingConfig()
    projection = projection or Projection()
    if not isinstance(config, TrainingConfig):
        raise InvalidInput("train", "config", config, "expected a TrainingConfig")
    graph = _without_internal(repo, project(repo, projection))
    folder = _directory(repo, directory)
    trained = train_graph(graph, config)
    snapshot = "\n".join("\t".join(t) for t in graph.triples).encode()
    snapshot_digest = "sha256:" + hashlib.sha256(snapshot).hexdigest()
    snapshot_path = folder / f"graph-{snapshot_digest[7:19]}.tsv"
    snapshot_path.write_bytes(snapshot)
    path = folder / f"model-{snapshot_digest[7:19]}-{config.model_name}-{config.seed}.pt"
    digest = trained.save(path)
    exp = repo.experiment(EXPERIMENT, goal="learn from past runs to recommend configurations")
    run_config = {
        "training": _settable(config.to_params()),
        "projection": _settable(asdict(projection)),
        "seed": config.seed,
    }
    exe = kgrepo.Executable("kgrepo.embeddings.train", version=kgrepo.__version__)
    agent = kgrepo.Agent("kgrepo", software=True)
    with (
        exp.run(config=run_config, agent=agent) as run,
        run.step("train", kind="train", executable=exe) as step,
    ):
        step.use(
            kgrepo.Dataset(
                "training-graph",
                uri=snapshot_path.resolve().as_uri(),
                digest=snapshot_digest,
                characteristics={
                    "triples": len(graph.triples),
                    "entities": len(trained.entity_to_id),
                    "relations": len(trained.relation_to_id),
                    "runs": len(graph.runs),
                    "datasets": len(graph.datasets),
                },
                description="the repository projected by ontology/queries/training-graph.rq",
            )
        )
        step.set_param_dict(_settable(config.to_params()))
        ref = step.produce(
            model_artifact(config.model_name, path.resolve().as_uri(), digest, trained.versions)
        )
        for name in ("mrr", "hits_at_1", "hits_at_3", "hits_at_10"):
            step.log_metric(name, trained.metrics[name], of=ref, scope="validation")
        step.log_metric("training_seconds", trained.metrics["seconds"], of=ref)
        step.log_metric("epochs", trained.metrics["epochs"], of=ref)
    trained.iri = ref.iri.value
    trained.artifact = ref
    return trained


def model_artifact(name: str, uri: str, digest: str, versions: dict[str, str]) -> kgrepo.Model:
    """The Model artifact of a saved embedding model; describing it again from the same file
    gives the same description, so later steps can use it."""
    return kgrepo.Model(
        f"embeddings-{name}",
        uri=uri,
        digest=digest,
        algorithm=name,
        framework=("pykeen", versions["pykeen"]),
        annotations={"torch": versions["torch"], "format": FORMAT},
    )


def load(repo: Repository, model: str | None = None) -> EmbeddingModel:
    """The newest embedding model trained on ``repo`` (or the Model artifact ``model``), loaded
    and checked against its recorded digest. Raises :class:`~.errors.NoModel` if there is none."""
    rows = repo.select(
        queries.text("embedding-models"), experiment=repo._minter.experiment(EXPERIMENT)
    )
    if model is not None:
        rows = [r for r in rows if r["model"] == model]
        if not rows:
            raise NoModel(f"no embedding model <{model}> in this repository; " + _how())
    if not rows:
        raise NoModel("no embedding model has been trained in this repository; " + _how())
    row = rows[0]
    uri = str(row["uri"])
    if not uri.startswith("file://"):
        raise InvalidInput(f"Embedding model <{row['model']}>", "uri", uri, "expected a file URI")
    from urllib.parse import unquote, urlparse

    path = Path(unquote(urlparse(uri).path))
    loaded = EmbeddingModel.load(path, row["digest"], iri=row["model"])
    artifact = model_artifact(loaded.config["model"], uri, row["digest"], loaded.versions)
    loaded.artifact = ArtifactRef(NamedNode(row["model"]), artifact)
    return loaded


def _how() -> str:
    return str(HOW_TO_TRAIN).format(datasets=MIN_DATASETS)


def _without_internal(repo: Repository, graph: TrainingGraph) -> TrainingGraph:
    internal = {repo._minter.experiment(name).value for name in INTERNAL}
    if not any(r.experiment in internal for r in graph.runs):
        return graph
    runs = [r for r in graph.runs if r.experiment not in internal]
    used = {d for r in runs for d in r.datasets}
    chars = {d: c for d, c in graph.characteristics.items() if d in used}
    return TrainingGraph.build(runs, chars, graph.projection)


def _directory(repo: Repository, directory: str | Path | None) -> Path:
    if directory is not None:
        folder = Path(directory)
    elif repo.store.path is not None:
        folder = repo.store.path.with_name(repo.store.path.name + "-embeddings")
    else:
        folder = Path(tempfile.mkdtemp(prefix="kgrepo-embeddings-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _settable(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as kgrepo records them: scalars, nested mappings, lists of scalars."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            if value:
                out[key] = _settable(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
        elif value is not None:
            out[key] = value
    return out
