"""``lineage.upstream`` over a sample of models, not only the deepest one.

    python benchmarks/lineage/bench_upstream_spread.py --data DIR [--models 20] [--reps 5]

``DIR`` is ``generate.py``'s ``--out``. Draws ``--models`` models at random (seed 1) among the
first 2,000 of the store, times ``kgrepo.lineage.upstream`` on each (median of ``--reps`` calls
after one warm-up) and prints each model's number of upstream steps and time, then the p50 over
the models. ``bench_kgrepo.py`` times the deepest model only (55 levels, 119 steps): this shows
how the time grows with the lineage's size.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import kgrepo
from kgrepo import lineage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    manifest = json.loads((args.data / "manifest.json").read_text())
    with kgrepo.Repository.open(manifest["store"]) as repo:
        rows = repo.select("SELECT ?model WHERE { ?model a kg:Model } LIMIT 2000")
        models = random.Random(1).sample([r["model"] for r in rows], args.models)
        results = []
        for model in models:
            lineage.upstream(repo, model)
            times = []
            for _ in range(args.reps):
                start = time.perf_counter()
                up = lineage.upstream(repo, model)
                times.append((time.perf_counter() - start) * 1000)
            results.append((len(up.steps), statistics.median(times)))
    for steps, ms in sorted(results):
        print(f"{steps:5d} steps  {ms:8.1f} ms  ({ms / max(steps, 1):.2f} ms per step)")
    print(f"p50 over {len(results)} models: {statistics.median(ms for _, ms in results):.1f} ms")


if __name__ == "__main__":
    main()
