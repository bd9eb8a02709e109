"""The lineage benchmark's workload: a seeded plan of N runs, independent of any store.

Standard library only, so that the kgrepo generator (``generate.py``) and the ML Metadata builder
(``mlmd/mlmd_bench.py``, in its own venv) build the *same* repository from the same plan.

Shapes (see the "Lineage queries" section of ``BENCHMARKS.md``):

* experiments of 50–400 runs, plus one experiment (``trace-1000``) of exactly 1,000 runs (FR10);
* pipelines of 3–8 steps (one template per experiment): transforms (each produces a dataset;
  ``split`` produces two), ``train`` (a model; ~4 % of trainings fail, which fails the run),
  ``evaluate`` (three metrics of the model: accuracy, f1, loss), ``export`` (a package);
* runs come in *sweeps* (5–40 runs with the same data preparation and different training
  hyperparameters: transforms are deterministic, so they re-produce the same dataset digests,
  which is what FR6 finds and what FR10 shows once) or in *refinement chains* (20–50 runs where run
  k's first step uses the dataset produced by run k-1's first step plus a new batch of raw data,
  so a model's upstream lineage goes 20–50 runs back);
* a few heavily used datasets: ``corpus-main`` (raw input of ~25 % of the runs),
  ``glove-embeddings`` (used by the featurize step of ~half the experiments that featurize) and
  ``benchmark-test-v1`` (the test set of ~40 % of the evaluations);
* ``partner-feed`` — a raw dataset added to the first step of a few sweeps until it has about
  1,000 derived artifacts (the FR5 floor's "dataset with 1,000 descendants");
* ~8 % of sweeps fine-tune a model trained by an earlier run (model → model lineage).

Everything is drawn from ``random.Random(seed)``; digests are SHA-256 of the plan's keys, so two
builds of the same (N, seed) are identical except for the IRIs of runs (kgrepo mints UUIDs).
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

TEMPLATES: dict[int, tuple[str, ...]] = {
    3: ("prepare", "train", "evaluate"),
    4: ("prepare", "featurize", "train", "evaluate"),
    5: ("ingest", "prepare", "featurize", "train", "evaluate"),
    6: ("ingest", "clean", "featurize", "split", "train", "evaluate"),
    7: ("ingest", "clean", "augment", "featurize", "split", "train", "evaluate"),
    8: ("ingest", "clean", "augment", "featurize", "split", "train", "evaluate", "export"),
}
KIND = {"train": "train", "evaluate": "evaluate", "export": "deploy"}  # others: transform
METRICS = ("accuracy", "f1", "loss")
TRACE_EXPERIMENT = "trace-1000"
HEAVY = ("corpus-main", "glove-embeddings", "benchmark-test-v1")
FEED = "partner-feed"
FEED_TARGET = 1000
AGENTS = ("alice", "bob", "carol", "dave", "erin")


def digest(*parts: Any) -> str:
    return "sha256:" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


@dataclass(frozen=True)
class ArtifactSpec:
    """``kind`` is Dataset, Model or Artifact; ``key`` = (kind, digest) identifies it."""

    kind: str
    name: str
    digest: str
    uri: str
    rows: int | None = None
    features: int | None = None
    algorithm: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.digest)


@dataclass
class StepSpec:
    name: str
    kind: str
    exe: tuple[str, str, str]  # name, version, digest
    uses: list[tuple[str, str]]  # artifact keys
    params: dict[str, Any]
    produces: list[ArtifactSpec] = field(default_factory=list)
    metrics: list[tuple[str, float]] = field(default_factory=list)  # of the step's model input
    fail: bool = False


@dataclass
class RunSpec:
    index: int
    experiment: str
    template: int
    trigger: tuple[str, str, str | None]  # cause, by, concerns (artifact key digest) or None
    config: dict[str, Any]
    steps: list[StepSpec]
    group: str  # "sweep:<n>" or "chain:<n>"

    @property
    def failed(self) -> bool:
        return any(s.fail for s in self.steps)

    @property
    def model(self) -> ArtifactSpec | None:
        for s in self.steps:
            for a in s.produces:
                if a.kind == "Model":
                    return a
        return None


@dataclass
class Plan:
    runs: list[RunSpec]
    artifacts: dict[tuple[str, str], ArtifactSpec]
    experiments: dict[str, str]  # name -> goal
    facts: dict[str, Any]


class _Planner:
    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.seed = seed
        self.artifacts: dict[tuple[str, str], ArtifactSpec] = {}
        self.runs: list[RunSpec] = []
        self.experiments: dict[str, str] = {}
        self.models: list[tuple[str, str]] = []  # fine-tuning candidates
        self.feed_runs: list[int] = []
        self.feed_count = 0
        self.groups = 0
        # The raw datasets: a pool shared Zipf-like, and the heavy ones.
        pool = max(20, n // 40)
        self.raw_pool = [
            self._raw(f"raw-{i:05d}", rows=self.rng.randint(10**3, 10**6)) for i in range(pool)
        ]
        self.weights = [1.0 / (i + 1) ** 0.8 for i in range(pool)]
        self.corpus = self._raw("corpus-main", rows=25_000_000, features=300)
        self.glove = self._raw("glove-embeddings", rows=400_000, features=300)
        self.bench_test = self._raw("benchmark-test-v1", rows=50_000, features=300)
        self.feed = self._raw(FEED, rows=120_000, features=40)
        # Probability that a sweep gets the partner feed, so ~1,000 descendants accrue over the
        # whole generation (not all at its start).
        self.feed_p = min(1.0, 60 / max(1, n / 20))

    def _raw(self, name: str, rows: int, features: int | None = None) -> ArtifactSpec:
        a = ArtifactSpec(
            "Dataset",
            name,
            digest("raw", name, self.seed),
            f"s3://lake/raw/{name}",
            rows=rows,
            features=features or self.rng.randint(5, 500),
        )
        self.artifacts[a.key] = a
        return a

    def _add(self, a: ArtifactSpec) -> ArtifactSpec:
        self.artifacts.setdefault(a.key, a)
        return self.artifacts[a.key]

    # -- experiments -----------------------------------------------------------------------------
    def plan(self) -> Plan:
        sizes: list[tuple[str, int]] = []
        rest = self.n
        if self.n >= 1000:
            sizes.append((TRACE_EXPERIMENT, 1000))
            rest -= 1000
        i = 0
        while rest > 0:
            size = min(rest, self.rng.randint(50, 400))
            sizes.append((f"project-{i:04d}", size))
            rest -= size
            i += 1
        # The trace experiment sits in the middle of the history, not at its start.
        if sizes and sizes[0][0] == TRACE_EXPERIMENT and len(sizes) > 2:
            trace = sizes.pop(0)
            sizes.insert(len(sizes) // 2, trace)
        for name, size in sizes:
            self._experiment(name, size)
        facts = self._facts()
        return Plan(self.runs, self.artifacts, self.experiments, facts)

    def _experiment(self, name: str, size: int) -> None:
        rng = self.rng
        self.experiments[name] = (
            f"goal of {name}: classify {rng.choice(['digits', 'reviews', 'images', 'intents'])}"
        )
        template = rng.choice(list(TEMPLATES))
        steps = TEMPLATES[template]
        versions = {s: str(rng.randint(1, 4)) for s in steps}
        uses_corpus = rng.random() < 0.25
        uses_glove = "featurize" in steps and rng.random() < 0.5
        uses_bench = rng.random() < 0.4
        raw = self.corpus if uses_corpus else rng.choices(self.raw_pool, self.weights)[0]
        own_test = self._raw(f"{name}-test", rows=rng.randint(1000, 20000))
        scheduled = rng.random() < 0.3
        ctx = {
            "name": name,
            "template": template,
            "versions": versions,
            "raw": raw,
            "glove": uses_glove,
            "test": self.bench_test if uses_bench else own_test,
            "scheduled": scheduled,
        }
        left = size
        while left > 0:
            if left >= 20 and rng.random() < 0.25:
                n = min(left, rng.randint(20, 50))
                self._chain(ctx, n)
            else:
                n = min(left, rng.randint(5, 40))
                if left - n < 5:
                    n = left
                self._sweep(ctx, n)
            left -= n

    def _transform_params(self, step: str) -> dict[str, Any]:
        r = self.rng
        return {
            "ingest": lambda: {"source_format": r.choice(["parquet", "csv", "jsonl"])},
            "prepare": lambda: {"min_count": r.randint(1, 10), "lowercase": r.random() < 0.5},
            "clean": lambda: {"drop_na": True, "dedupe": r.random() < 0.7},
            "augment": lambda: {
                "strategy": r.choice(["flip", "noise", "mixup"]),
                "factor": r.randint(2, 4),
            },
            "featurize": lambda: {
                "dim": r.choice([64, 128, 256, 300]),
                "vocab": r.choice([10_000, 30_000, 50_000]),
            },
            "split": lambda: {"val_fraction": 0.1, "seed": r.randint(0, 9)},
        }[step]()

    # -- groups of runs --------------------------------------------------------------------------
    def _sweep(self, ctx: dict[str, Any], n: int) -> None:
        rng = self.rng
        self.groups += 1
        group = f"sweep:{self.groups}"
        steps = TEMPLATES[ctx["template"]]
        tparams = {s: self._transform_params(s) for s in steps if s not in KIND}
        raws = [ctx["raw"].key]
        with_feed = (
            self.feed_count < FEED_TARGET
            and rng.random() < self.feed_p
            and ctx["name"] != TRACE_EXPERIMENT
        )
        base = None
        if not with_feed and self.models and rng.random() < 0.08:
            base = rng.choice(self.models[-2000:])
        by = rng.choice(AGENTS)
        new_models = []
        for _ in range(n):
            trigger = ("Schedule", "airflow", None) if ctx["scheduled"] else ("Manual", by, None)
            feed = with_feed and self.feed_count < FEED_TARGET  # stop once ~1,000 derive from it
            before = len(self.artifacts)
            run = self._run(
                ctx, group, trigger, [*raws, self.feed.key] if feed else raws, tparams, base
            )
            if feed:
                self.feed_runs.append(run.index)
                self.feed_count += len(self.artifacts) - before
                self.feed_count += sum(len(s.metrics) for s in run.steps if not run.failed)
            elif run.model is not None and not run.failed:
                new_models.append(run.model.key)
        self.models.extend(new_models)

    def _chain(self, ctx: dict[str, Any], n: int) -> None:
        self.groups += 1
        group = f"chain:{self.groups}"
        steps = TEMPLATES[ctx["template"]]
        tparams = {s: self._transform_params(s) for s in steps if s not in KIND}
        previous = ctx["raw"].key
        for k in range(n):
            batch = self._raw(
                f"{ctx['name']}-batch-{self.groups}-{k:03d}", rows=self.rng.randint(1000, 50_000)
            )
            raws = [previous, batch.key] if k else [previous]
            trigger = ("DataChange", "ingest-bot", batch.digest) if k else ("Manual", "alice", None)
            run = self._run(ctx, group, trigger, raws, tparams, None)
            previous = run.steps[0].produces[0].key

    def _run(
        self,
        ctx: dict[str, Any],
        group: str,
        trigger: tuple[str, str, str | None],
        raws: list[tuple[str, str]],
        tparams: dict[str, dict[str, Any]],
        base: tuple[str, str] | None,
    ) -> RunSpec:
        rng = self.rng
        index = len(self.runs)
        name = ctx["name"]
        steps = TEMPLATES[ctx["template"]]
        specs: list[StepSpec] = []
        current = list(raws)
        train_data: tuple[str, str] | None = None
        model: ArtifactSpec | None = None
        failed = False
        for step in steps:
            version = ctx["versions"][step]
            exe = (f"{step}.py", version, digest("exe", step, version))
            kind = KIND.get(step, "transform")
            if step not in KIND:  # a deterministic transform
                uses = list(current)
                if step == "featurize" and ctx["glove"]:
                    uses.append(self.glove.key)
                params = tparams[step]
                key = digest(exe, sorted(uses), sorted(params.items()))
                rows = self.artifacts[uses[0]].rows or 1000
                if step == "split":
                    outs = [
                        self._add(
                            ArtifactSpec(
                                "Dataset",
                                f"{name}-{part}",
                                digest(key, part),
                                f"s3://lake/{name}/{key[7:19]}/{part}",
                                rows=int(rows * frac),
                            )
                        )
                        for part, frac in (("train", 0.9), ("val", 0.1))
                    ]
                else:
                    outs = [
                        self._add(
                            ArtifactSpec(
                                "Dataset",
                                f"{name}-{step}",
                                key,
                                f"s3://lake/{name}/{key[7:19]}/{step}",
                                rows=rows,
                            )
                        )
                    ]
                specs.append(StepSpec(step, kind, exe, uses, dict(params), outs))
                current = [outs[0].key]
                train_data = outs[0].key
            elif step == "train":
                uses = [train_data or current[0]] + ([base] if base else [])
                params = {
                    "lr": rng.choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
                    "batch_size": rng.choice([16, 32, 64, 128]),
                    "epochs": rng.randint(5, 50),
                    "dropout": round(rng.uniform(0.0, 0.5), 2),
                    "seed": rng.randint(0, 10**6),
                }
                failed = rng.random() < 0.04
                st = StepSpec(step, kind, exe, uses, params, fail=failed)
                if not failed:
                    model = self._add(
                        ArtifactSpec(
                            "Model",
                            f"{name}-model",
                            digest("model", index, self.seed),
                            f"s3://models/{name}/{index}",
                            algorithm=rng.choice(["cnn", "gbdt", "svm", "transformer"]),
                        )
                    )
                    st.produces.append(model)
                specs.append(st)
                if failed:
                    break
            elif step == "evaluate":
                assert model is not None
                acc = round(rng.uniform(0.55, 0.99), 4)
                metrics = [
                    ("accuracy", acc),
                    ("f1", round(acc - rng.uniform(0, 0.05), 4)),
                    ("loss", round(rng.uniform(0.05, 1.5), 4)),
                ]
                specs.append(
                    StepSpec(
                        step,
                        kind,
                        exe,
                        [model.key, ctx["test"].key],
                        {"threshold": 0.5},
                        metrics=metrics,
                    )
                )
            elif step == "export":
                assert model is not None
                pkg = self._add(
                    ArtifactSpec(
                        "Artifact",
                        f"{name}-package",
                        digest("pkg", model.digest),
                        f"oci://registry/{name}:{index}",
                    )
                )
                specs.append(StepSpec(step, kind, exe, [model.key], {"format": "onnx"}, [pkg]))
        run = RunSpec(
            index,
            name,
            ctx["template"],
            trigger,
            {"seed": index, "pipeline": f"pipeline-{ctx['template']}"},
            specs,
            group,
        )
        self.runs.append(run)
        return run

    # -- what the benchmarks need to know --------------------------------------------------------
    def _facts(self) -> dict[str, Any]:
        used_by: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        made_by: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        for run in self.runs:
            for j, s in enumerate(run.steps):
                for u in s.uses:
                    used_by[u].append((run.index, j))
                if not s.fail:
                    for a in s.produces:
                        made_by[a.key].append((run.index, j))

        def outputs(r: int, j: int) -> list[tuple[str, str]]:
            s = self.runs[r].steps[j]
            out = [a.key for a in s.produces]
            if s.metrics:
                out += [("Metrics", f"{r}/{j}/{m}") for m in range(len(s.metrics))]
            return out

        def downstream(key: tuple[str, str]) -> set[tuple[str, str]]:
            seen: set[tuple[str, str]] = set()
            queue = deque([key])
            while queue:
                k = queue.popleft()
                for r, j in used_by.get(k, ()):
                    if self.runs[r].steps[j].fail:
                        continue
                    for o in outputs(r, j):
                        if o not in seen:
                            seen.add(o)
                            queue.append(o)
            return seen

        def upstream(
            key: tuple[str, str],
        ) -> tuple[set[tuple[str, str]], int, set[tuple[int, int]]]:
            seen: set[tuple[str, str]] = set()
            execs: set[tuple[int, int]] = set()
            depth = 0
            frontier = {key}
            while frontier:
                nxt = set()
                for k in frontier:
                    for r, j in made_by.get(k, ()):
                        if (r, j) in execs:
                            continue
                        execs.add((r, j))
                        for u in self.runs[r].steps[j].uses:
                            if u not in seen:
                                seen.add(u)
                                nxt.add(u)
                if nxt:
                    depth += 1
                frontier = nxt
            return seen, depth, execs

        # the deepest model: the last successful model of the longest chain
        chains: dict[str, list[RunSpec]] = defaultdict(list)
        for run in self.runs:
            if run.group.startswith("chain:"):
                chains[run.group].append(run)
        longest = max(chains.values(), key=len) if chains else []
        deep = next((r for r in reversed(longest) if r.model and not r.failed), None)
        if deep is None:
            deep = next(r for r in reversed(self.runs) if r.model and not r.failed)
        up, depth, execs = upstream(deep.model.key)  # type: ignore[union-attr]

        uses_count = {k: len({r for r, _ in v}) for k, v in used_by.items()}
        heavy = {
            name: self.artifacts[a.key]
            for name, a in (
                ("corpus-main", self.corpus),
                ("glove-embeddings", self.glove),
                ("benchmark-test-v1", self.bench_test),
            )
        }
        downs = {n: downstream(h.key) for n, h in heavy.items()}
        heavy_name = max(downs, key=lambda n: len(downs[n]))
        feed_down = downstream(self.feed.key)

        # a pair of runs of the same sweep (both succeeded) to diff, and their models
        by_group: dict[str, list[RunSpec]] = defaultdict(list)
        for run in self.runs:
            if run.group.startswith("sweep:") and not run.failed:
                by_group[run.group].append(run)
        pair_group = max(
            (g for g in by_group.values() if len(g) >= 2 and g[0].template >= 6),
            key=len,
            default=None,
        ) or max(by_group.values(), key=len)
        a, b = pair_group[0], pair_group[1]

        # FR6: the featurize (or else the first) step of a run of a large sweep: a hit; the same
        # with one parameter changed: a miss
        spec_run = pair_group[-1]
        step = next((s for s in spec_run.steps if s.name == "featurize"), spec_run.steps[0])
        same = [
            (r.index, j)
            for r in self.runs
            for j, s in enumerate(r.steps)
            if s.exe == step.exe
            and sorted(s.uses) == sorted(step.uses)
            and s.params == step.params
            and not s.fail
        ]
        return {
            "runs": len(self.runs),
            "experiments": len(self.experiments),
            "succeeded_runs": sum(1 for r in self.runs if not r.failed),
            "models": sum(1 for r in self.runs if r.model is not None and not r.failed),
            "executions": sum(len(r.steps) for r in self.runs),
            "artifacts": len(self.artifacts),
            "deep_model": {
                "kind": "Model",
                "digest": deep.model.digest,
                "run_index": deep.index,  # type: ignore[union-attr]
                "chain_length": len(longest),
                "upstream_artifacts": len(up),
                "upstream_executions": len(execs),
                "upstream_depth": depth,
            },
            "heavy_datasets": {
                n: {
                    "digest": h.digest,
                    "runs_using": uses_count.get(h.key, 0),
                    "descendants": len(downs[n]),
                }
                for n, h in heavy.items()
            },
            "heavy_dataset": {
                "name": heavy_name,
                "digest": heavy[heavy_name].digest,
                "runs_using": uses_count.get(heavy[heavy_name].key, 0),
                "descendants": len(downs[heavy_name]),
            },
            "feed_dataset": {
                "name": FEED,
                "digest": self.feed.digest,
                "runs_using": len(self.feed_runs),
                "descendants": len(feed_down),
            },
            "trace_experiment": TRACE_EXPERIMENT if TRACE_EXPERIMENT in self.experiments else None,
            "diff_runs": [a.index, b.index],
            "diff_models": [a.model.digest, b.model.digest],  # type: ignore[union-attr]
            "fr6_hit": {
                "run_index": spec_run.index,
                "step": step.name,
                "executable": list(step.exe),
                "inputs": [list(k) for k in step.uses],
                "params": step.params,
                "matching_executions": len(same),
            },
            "fr6_miss": {
                "executable": list(step.exe),
                "inputs": [list(k) for k in step.uses],
                "params": {**step.params, next(iter(step.params)): "never-used"},
            },
        }


def plan(n: int, seed: int = 1) -> Plan:
    """The plan of ``n`` runs drawn from ``seed``."""
    return _Planner(n, seed).plan()


if __name__ == "__main__":  # a quick look at a plan's shape
    import json
    import sys
    import time

    t = time.perf_counter()
    p = plan(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(json.dumps(p.facts, indent=1, default=str))
    print(f"planned in {time.perf_counter() - t:.1f}s")
