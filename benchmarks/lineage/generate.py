"""Builds an on-disk kgrepo repository of N runs for the lineage benchmarks.

    python benchmarks/lineage/generate.py --runs 10000 --out DIR [--seed 1] [--workers 2]
                                          [--batch 2000] [--dump] [--direct]

The workload (``workload.py``) is recorded through kgrepo's real recording API —
``Repository.experiment`` → ``run(trigger, config, workflow)`` → ``step(executable)`` →
``use``/``produce`` of ``Dataset``/``Model``/``Artifact`` with digests → ``set_param_dict`` →
``log_metric(of=model)`` — so the data is exactly what kgrepo writes (materialised PROV-O and
ML-Schema super-properties, one named graph per run, FR6 signatures, …).

Recording straight into an on-disk store costs ~4× more per run than into memory (one RocksDB
transaction per write), so by default runs are recorded into ``Repository.in_memory()`` in batches
(``--batch`` runs each, by ``--workers`` processes), each batch dumped to N-Quads, and the batches
are loaded into the on-disk store with ``pyoxigraph.Store.bulk_load`` (a store is a set: quads two
batches share, such as the environment graph, are stored once). ``--direct`` records through
``Repository.open(DIR/store)`` instead (slow; for checking that both give the same data).

Writes ``DIR/store`` (the repository), ``DIR/manifest.json`` (the IRIs the benchmarks need, the
plan's facts, counts, sizes and timings), and with ``--dump`` ``DIR/dump.nq`` (the whole store as
N-Quads, for the rdflib comparison).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from pyoxigraph import RdfFormat, Store

import kgrepo
from kgrepo import ARTIFACT, Dataset, Executable, Model, Trigger, Workflow
from kgrepo.iris import Minter


class TrainingDiverged(RuntimeError):
    """The simulated failure of ~4 % of the trainings."""


def artifact(spec: workload.ArtifactSpec) -> kgrepo.Artifact:
    if spec.kind == "Dataset":
        chars: dict[str, Any] = {"rows": spec.rows or 0}
        if spec.name.startswith(("raw-", *workload.HEAVY, workload.FEED)):
            chars["features"] = spec.features or 0
        return Dataset(spec.name, uri=spec.uri, digest=spec.digest, characteristics=chars)
    if spec.kind == "Model":
        return Model(
            spec.name,
            uri=spec.uri,
            digest=spec.digest,
            algorithm=spec.algorithm,
            framework=("pytorch", "2.3.1"),
        )
    return ARTIFACT(spec.name, uri=spec.uri, digest=spec.digest)


def trigger(spec: workload.RunSpec, minter: Minter) -> Trigger:
    cause, by, concerns = spec.trigger
    if cause == "Schedule":
        return Trigger.schedule(by=by, reason="nightly retraining")
    if cause == "DataChange":
        assert concerns is not None
        return Trigger.data_change(
            by=by,
            reason="a new batch of labelled data",
            concerns=minter.artifact("Dataset", concerns).value,
        )
    return Trigger.manual(by=by)


def record_run(
    repo: kgrepo.Repository,
    experiments: dict[str, kgrepo.Experiment],
    spec: workload.RunSpec,
    plan: workload.Plan,
) -> str:
    """Records one planned run through the recording API; returns the run's IRI."""
    run = experiments[spec.experiment].run(
        trigger=trigger(spec, repo._minter),
        config=spec.config,
        workflow=Workflow(f"pipeline-{spec.template}", version="1"),
    )
    try:
        with run:
            refs: dict[tuple[str, str], kgrepo.ArtifactRef] = {}
            model: kgrepo.ArtifactRef | None = None
            for st in spec.steps:
                exe = Executable(st.exe[0], version=st.exe[1], digest=st.exe[2])
                with run.step(st.name, kind=st.kind, executable=exe) as step:
                    for key in st.uses:
                        step.use(refs.get(key) or artifact(plan.artifacts[key]))
                    step.set_param_dict(st.params)
                    if st.fail:
                        raise TrainingDiverged("loss diverged (NaN) at epoch 3")
                    for out in st.produces:
                        ref = step.produce(artifact(out))
                        refs[out.key] = ref
                        if out.kind == "Model":
                            model = ref
                    for name, value in st.metrics:
                        step.log_metric(name, value, of=model)
    except TrainingDiverged:
        pass
    return run.iri.value


def _worker(
    worker: int,
    indices: list[int],
    plan: workload.Plan,
    experiments_nq: bytes,
    batch: int,
    parts: Path,
    wanted: set[int],
    out: Any,
) -> None:
    iris: dict[int, str] = {}
    t0 = time.perf_counter()
    for b in range(0, len(indices), batch):
        repo = kgrepo.Repository.in_memory()
        repo.load(io.BytesIO(experiments_nq))
        exps = {name: repo.experiment(name) for name in plan.experiments}
        for i in indices[b : b + batch]:
            iri = record_run(repo, exps, plan.runs[i], plan)
            if i in wanted:
                iris[i] = iri
        with open(parts / f"part-{worker}-{b // batch:05d}.nq", "wb") as f:
            repo.dump(f)
        repo.close()
        done = min(b + batch, len(indices))
        print(
            f"  worker {worker}: {done}/{len(indices)} runs, {time.perf_counter() - t0:.0f}s",
            flush=True,
        )
    out.put((worker, iris, time.perf_counter() - t0))


def du(path: Path) -> int:
    return int(
        subprocess.run(
            ["du", "-sb", str(path)], capture_output=True, text=True, check=True
        ).stdout.split()[0]
    )


def git_state(root: Path) -> dict[str, str]:
    def run(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return r.stdout.strip()

    diff = subprocess.run(
        ["git", "-C", str(root), "diff", "HEAD", "--", "kgrepo", "ontology"], capture_output=True
    ).stdout
    import hashlib

    return {
        "commit": run("rev-parse", "HEAD"),
        "kgrepo_worktree_diff_sha256": hashlib.sha256(diff).hexdigest()[:16],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--dump", action="store_true", help="also write DIR/dump.nq (for rdflib)")
    ap.add_argument("--direct", action="store_true", help="record straight into the disk store")
    ap.add_argument(
        "--distinct",
        action="store_true",
        help="also count distinct triples over the union of graphs (slow at 10 M)",
    )
    args = ap.parse_args(argv)

    out: Path = args.out
    store_dir = out / "store"
    if store_dir.exists():
        shutil.rmtree(store_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    t = time.perf_counter()
    plan = workload.plan(args.runs, args.seed)
    timings["plan_s"] = time.perf_counter() - t
    f = plan.facts
    print(
        f"planned {len(plan.runs)} runs, {len(plan.experiments)} experiments, "
        f"{f['executions']} executions in {timings['plan_s']:.1f}s",
        flush=True,
    )
    wanted = {*f["diff_runs"], f["deep_model"]["run_index"], f["fr6_hit"]["run_index"]}

    minter = Minter(kgrepo.DEFAULT_BASE)
    run_iris: dict[int, str] = {}
    t = time.perf_counter()
    if args.direct:
        repo = kgrepo.Repository.open(store_dir)
        exps = {n: repo.experiment(n, goal=g) for n, g in plan.experiments.items()}
        for i, spec in enumerate(plan.runs):
            iri = record_run(repo, exps, spec, plan)
            if i in wanted:
                run_iris[i] = iri
            if (i + 1) % 1000 == 0:
                print(f"  {i + 1} runs, {time.perf_counter() - t:.0f}s", flush=True)
        timings["record_s"] = time.perf_counter() - t
        repo.close()
    else:
        seed_repo = kgrepo.Repository.in_memory()
        for name, goal in plan.experiments.items():
            seed_repo.experiment(name, goal=goal)
        buf = io.BytesIO()
        seed_repo.dump(buf)
        experiments_nq = buf.getvalue()
        parts = out / "parts"
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir()
        (parts / "experiments.nq").write_bytes(experiments_nq)
        n = len(plan.runs)
        chunk = -(-n // args.workers)
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        procs = [
            ctx.Process(
                target=_worker,
                args=(
                    w,
                    list(range(w * chunk, min(n, (w + 1) * chunk))),
                    plan,
                    experiments_nq,
                    args.batch,
                    parts,
                    wanted,
                    queue,
                ),
            )
            for w in range(args.workers)
        ]
        for p in procs:
            p.start()
        worker_s = []
        for _ in procs:
            _, iris, secs = queue.get()
            run_iris.update(iris)
            worker_s.append(secs)
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"a recording worker failed (exit code {p.exitcode})")
        timings["record_s"] = time.perf_counter() - t
        timings["record_worker_s"] = max(worker_s)
        print(f"recorded in {timings['record_s']:.0f}s ({args.workers} workers)", flush=True)
        t = time.perf_counter()
        store = Store(str(store_dir))
        for part in sorted(parts.iterdir()):
            store.bulk_load(path=str(part), format=RdfFormat.N_QUADS)
        timings["bulk_load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        store.optimize()
        store.flush()
        timings["optimize_s"] = time.perf_counter() - t
        del store
        parts_bytes = du(parts)
        shutil.rmtree(parts)
        print(
            f"bulk-loaded in {timings['bulk_load_s']:.0f}s, optimised in "
            f"{timings['optimize_s']:.0f}s ({parts_bytes / 1e9:.2f} GB of N-Quads parts)",
            flush=True,
        )

    repo = kgrepo.Repository.open(store_dir)
    quads = len(repo.store)
    counts = repo.counts()
    distinct = None
    if args.distinct:
        t = time.perf_counter()
        rows = repo.select(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        )
        distinct = rows[0]["n"]
        timings["distinct_count_s"] = time.perf_counter() - t
    if args.dump:
        t = time.perf_counter()
        with open(out / "dump.nq", "wb") as fh:
            repo.dump(fh)
        timings["dump_s"] = time.perf_counter() - t
    repo.close()
    timings["total_s"] = time.perf_counter() - t_all
    size = du(store_dir)

    base = kgrepo.DEFAULT_BASE

    def art(kind: str, dig: str) -> str:
        return minter.artifact(kind, dig).value

    hit = f["fr6_hit"]
    step_no = (
        next(j for j, s in enumerate(plan.runs[hit["run_index"]].steps) if s.name == hit["step"])
        + 1
    )
    manifest = {
        "runs": args.runs,
        "seed": args.seed,
        "base": base,
        "store": str(store_dir.resolve()),
        "dump": str((out / "dump.nq").resolve()) if args.dump else None,
        "quads": quads,
        "distinct_triples": distinct,
        "store_bytes": size,
        "counts": counts,
        "timings": timings,
        "mode": "direct"
        if args.direct
        else f"in-memory batches of {args.batch}, {args.workers} workers, bulk_load",
        "kgrepo_version": git_state(Path(__file__).resolve().parents[2]),
        "facts": f,
        "deep_model": art("Model", f["deep_model"]["digest"]),
        "heavy_dataset": art("Dataset", f["heavy_dataset"]["digest"]),
        "feed_dataset": art("Dataset", f["feed_dataset"]["digest"]),
        "trace_experiment": minter.experiment(f["trace_experiment"]).value
        if f["trace_experiment"]
        else None,
        "diff_runs": [run_iris[i] for i in f["diff_runs"]],
        "diff_models": [art("Model", d) for d in f["diff_models"]],
        "fr6": {
            "executable": {
                "name": hit["executable"][0],
                "version": hit["executable"][1],
                "digest": hit["executable"][2],
            },
            "executable_iri": minter.executable(*hit["executable"]).value,
            "inputs": [{"kind": k, "digest": d, "iri": art(k, d)} for k, d in hit["inputs"]],
            "params": hit["params"],
            "a_matching_execution": f"{run_iris[hit['run_index']]}/execution/{step_no}",
            "matching_executions": hit["matching_executions"],
            "miss_params": f["fr6_miss"]["params"],
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    print(
        json.dumps(
            {
                k: manifest[k]
                for k in ("runs", "quads", "distinct_triples", "store_bytes", "timings", "counts")
            },
            indent=1,
        )
    )
    print(f"store: {store_dir} — {quads:,} quads, {size / 1e9:.2f} GB on disk (du -sb)")
    return manifest


if __name__ == "__main__":
    main()
