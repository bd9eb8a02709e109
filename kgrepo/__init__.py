"""kgrepo: a knowledge-graph experiment repository for machine learning.

Record experiments, runs, steps and artifacts from Python; they land as RDF (an ontology derived
from W3C ML-Schema and aligned with PROV-O) in an Oxigraph store, queryable with SPARQL. The store
is embedded (``Repository.open(path)``, one process) or a SPARQL server that many processes share
(``Repository.connect(url)``, :mod:`kgrepo.remote`).

The questions users ask live in one module each, as functions taking the repository:
:mod:`kgrepo.lineage` (upstream, downstream, recipe, root cause, flags), :mod:`kgrepo.reuse`
(an equivalent earlier execution), :mod:`kgrepo.listing` (artifacts of a kind, filtered and
sorted), :mod:`kgrepo.compare` (what differs between two runs or artifacts), :mod:`kgrepo.dag`
(a run's steps) and :mod:`kgrepo.history` (triggers, runs since, an experiment's trace).

:class:`kgrepo.Client` records into a kgrepo server (``kgrepo serve``) with the same API as an
embedded repository: a script switches by changing the line that opens the repository.

>>> import kgrepo
>>> repo = kgrepo.Repository.in_memory()
>>> exp = repo.experiment("digits", goal="recognise handwritten digits")
>>> with exp.run(trigger=kgrepo.Trigger.manual(by="alice")) as run:
...     with run.step("prepare", kind="transform") as step:
...         _ = step.use(kgrepo.Dataset("digits", uri="file:///data/digits.csv"))
>>> run.status.value
'Succeeded'
"""

from kgrepo import compare, dag, history, lineage, listing, reuse
from kgrepo.artifacts import (
    ARTIFACT,
    DATASET,
    EVENT,
    METRICS,
    MODEL,
    Artifact,
    ArtifactKind,
    ArtifactRef,
    Dataset,
    Model,
)
from kgrepo.client import Client
from kgrepo.errors import (
    Conflict,
    InvalidInput,
    InvalidState,
    KgRepoError,
    NotFound,
    QuerySyntaxError,
    StoreUnavailable,
    TooLarge,
    ValidationError,
)
from kgrepo.iris import DEFAULT_BASE
from kgrepo.recording import Experiment, Run, Step
from kgrepo.records import Agent, Cause, Executable, Status, Trigger, Workflow
from kgrepo.repository import Repository, RunInfo

__version__ = "0.1.0"

__all__ = [
    "ARTIFACT",
    "DATASET",
    "DEFAULT_BASE",
    "EVENT",
    "METRICS",
    "MODEL",
    "Agent",
    "Artifact",
    "ArtifactKind",
    "ArtifactRef",
    "Cause",
    "Client",
    "Conflict",
    "Dataset",
    "Executable",
    "Experiment",
    "InvalidInput",
    "InvalidState",
    "KgRepoError",
    "Model",
    "NotFound",
    "QuerySyntaxError",
    "Repository",
    "Run",
    "RunInfo",
    "Status",
    "Step",
    "StoreUnavailable",
    "TooLarge",
    "Trigger",
    "ValidationError",
    "Workflow",
    "__version__",
    "compare",
    "dag",
    "history",
    "lineage",
    "listing",
    "reuse",
]
