"""A trained embedding model with its training graph: saved, loaded back, and scored.

The file is one ``torch.save`` of plain data (tensors, strings, numbers), loaded with
``weights_only=True`` so opening a model file never runs code from it. It holds a format tag, the
package versions it was saved with, the training configuration, the training graph (as JSON, from
which the graph is rebuilt exactly), the entity and relation ids and the model's weights. Loading
checks the file's SHA-256 against the digest recorded in the repository, the format tag and the
PyKEEN version, and raises :class:`~.errors.BadModelFile` naming what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from kgrepo.embeddings.errors import BadModelFile
from kgrepo.embeddings.graph import TrainingGraph
from kgrepo.embeddings.training import quiet_pykeen, threads

from kgrepo.artifacts import ArtifactRef

__all__ = ["FORMAT", "EmbeddingModel", "file_digest"]

FORMAT = "kgrepo-embeddings/1"


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


@dataclass
class EmbeddingModel:
    """A PyKEEN model (``model``) trained on ``graph``; ``iri`` is its Model artifact once it is
    recorded in a repository."""

    model: Any
    graph: TrainingGraph
    config: dict[str, Any]
    entity_to_id: dict[str, int]
    relation_to_id: dict[str, int]
    metrics: dict[str, float]
    iri: str | None = None
    #: package versions the model was saved with (kgrepo, pykeen, torch)
    versions: dict[str, str] = field(default_factory=dict)
    #: the recorded Model artifact, to link what the model does (recommendations) to it
    artifact: ArtifactRef | None = None
    #: quantities derived from the model once and reused (see :mod:`~.represent`)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # -- scoring ---------------------------------------------------------------------------------
    def outcome_levels(self) -> list[tuple[int, int]]:
        """(level, relation id) for each outcome level the graph has."""
        out = []
        for level in range(self.graph.projection.outcome_levels):
            rid = self.relation_to_id.get(f"outcome:{level}")
            if rid is not None:
                out.append((level, rid))
        return out

    def expected_outcome(self, datasets: Mapping[str, float], configs: Sequence[str]) -> np.ndarray:
        """For each configuration label, its predicted score quantile in [0, 1] on a dataset
        represented by ``datasets`` (dataset IRI → weight): the weighted mean of the rows of
        :meth:`expected_outcomes`."""
        names = list(datasets)
        weights = np.array([datasets[d] for d in names], dtype=float)
        if not names or weights.sum() == 0:
            return np.zeros(len(configs))
        return np.asarray(weights @ self.expected_outcomes(names, configs) / weights.sum())

    def expected_outcomes(self, datasets: Sequence[str], configs: Sequence[str]) -> np.ndarray:
        """The predicted score quantile in [0, 1] of each configuration (columns) on each dataset
        (rows), all labels the model knows.

        For each dataset the model scores ``(dataset, outcome:l, config)`` for every level ``l``;
        a softmax over levels gives a distribution whose mean, divided by the top level, is the
        expected quantile. One batched scoring call for all datasets.
        """
        import torch

        levels = self.outcome_levels()
        if not datasets or not configs:
            return np.zeros((len(datasets), len(configs)))
        tails = torch.tensor([self.entity_to_id[c] for c in configs], dtype=torch.long)
        top = max(self.graph.projection.outcome_levels - 1, 1)
        hr = torch.tensor(
            [[self.entity_to_id[d], rid] for d in datasets for _, rid in levels], dtype=torch.long
        )
        values = np.array([lv for lv, _ in levels], dtype=float)[None, :, None] / top
        self.model.eval()
        # one thread: these tensors are tiny, and idle OpenMP threads on a busy machine cost
        # tens of milliseconds per operation (BENCHMARKS.md)
        with torch.inference_mode(), threads(1):
            scores = self.model.score_t(hr.to(self.model.device), tails=tails.to(hr.device))
            scores = scores.detach().cpu().double().reshape(len(datasets), len(levels), -1)
            probs = torch.softmax(scores, dim=1).numpy()
        return np.asarray((probs * values).sum(axis=1))

    # -- files ------------------------------------------------------------------------------------
    def save(self, path: Path) -> str:
        """Writes the model to ``path``; returns the file's digest."""
        import pykeen.version
        import torch

        import kgrepo

        self.versions = {
            "kgrepo": kgrepo.__version__,
            "pykeen": pykeen.version.get_version(),
            "torch": str(torch.__version__),
        }
        payload = {
            "format": FORMAT,
            **self.versions,
            "config": json.dumps(self.config),
            "graph": json.dumps(self.graph.to_dict()),
            "entity_to_id": json.dumps(self.entity_to_id),
            "relation_to_id": json.dumps(self.relation_to_id),
            "metrics": json.dumps(self.metrics),
            "state": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, path)
        return file_digest(path)

    @classmethod
    def load(
        cls, path: Path, digest: str | None = None, *, iri: str | None = None
    ) -> EmbeddingModel:
        """Loads a model saved by :meth:`save`, checking ``digest`` when given."""
        import pykeen.version
        import torch
        from pykeen.models import model_resolver
        from pykeen.triples import TriplesFactory

        entity = f"Embedding model <{iri or path}>"
        if not path.is_file():
            raise BadModelFile(entity, "uri", str(path), "the model file does not exist; retrain")
        if digest is not None and file_digest(path) != digest:
            raise BadModelFile(
                entity,
                "digest",
                digest,
                "the file's content does not match the digest recorded when it was trained: it "
                "was changed or is corrupted; retrain with `kgrepo embeddings train`",
            )
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises many kinds for a damaged file
            raise BadModelFile(
                entity, "file", str(path), f"is not a readable model file ({err}); retrain"
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
            raise BadModelFile(
                entity, "format", found, f"expected {FORMAT!r}; retrain with this kgrepo version"
            )
        here = pykeen.version.get_version()
        if _minor(payload["pykeen"]) != _minor(here):
            raise BadModelFile(
                entity,
                "pykeen",
                payload["pykeen"],
                f"saved with PyKEEN {payload['pykeen']}, this is {here}; retrain",
            )
        config = json.loads(payload["config"])
        graph = TrainingGraph.from_dict(json.loads(payload["graph"]))
        entity_to_id = json.loads(payload["entity_to_id"])
        relation_to_id = json.loads(payload["relation_to_id"])
        factory = TriplesFactory.from_labeled_triples(
            np.array(graph.triples, dtype=str),
            entity_to_id=entity_to_id,
            relation_to_id=relation_to_id,
        )
        with quiet_pykeen():
            model = model_resolver.make(
                config["model"],
                {"embedding_dim": config["embedding_dim"], **config["model_kwargs"]},
                triples_factory=factory,
                random_seed=config["seed"],  # the weights are overwritten; this keeps it quiet
            )
        try:
            model.load_state_dict(payload["state"])
        except RuntimeError as err:
            raise BadModelFile(entity, "state", str(path), f"weights do not fit: {err}") from None
        return cls(
            model,
            graph,
            config,
            entity_to_id,
            relation_to_id,
            json.loads(payload["metrics"]),
            iri,
            {k: str(payload[k]) for k in ("kgrepo", "pykeen", "torch")},
        )


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
