"""Writes ``kgrepo/data/demo-tuning.json``: the tuning history ``kgrepo demo`` records.

    python benchmarks/recommend/metadataset.py        # once: the meta-dataset cache
    python benchmarks/recommend/demo_tuning.py

A slice of the meta-dataset of ``BENCHMARKS.md`` ("Is the recommender useful?"): real stratified
3-fold cross-validation accuracies of scikit-learn classifiers, for the datasets and configurations
chosen below, with each dataset's characteristics and digest. It is data the demo ships (the demo
cannot run scikit-learn: it is not a dependency of kgrepo), so the command that made it is here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metadataset import CACHE, key

DATASETS = ("iris", "wine", "breast-cancer", "digits", "synth-imbalanced")
#: Per algorithm family, four configurations spread over its grid (the first of each grid is the
#: most regularised).
PER_FAMILY = 4
OUT = Path(__file__).resolve().parents[2] / "kgrepo" / "data" / "demo-tuning.json"


def main() -> None:
    meta = json.loads(CACHE.read_text())
    families: dict[str, list[dict[str, object]]] = {}
    for config in meta["configs"]:
        families.setdefault(str(config["algorithm"]), []).append(config)
    chosen = []
    for configs in families.values():
        step = max(1, len(configs) // PER_FAMILY)
        chosen += configs[step // 2 :: step][:PER_FAMILY]
    datasets = []
    for name in DATASETS:
        d = meta["datasets"][name]
        runs = [
            {"configuration": c, "accuracy": round(d["scores"][key(c)], 4)}
            for c in chosen
            if d["scores"][key(c)] == d["scores"][key(c)]  # NaN: the configuration failed
        ]
        datasets.append(
            {
                "name": name,
                "digest": d["digest"],
                "characteristics": d["characteristics"],
                "runs": runs,
            }
        )
    document = {
        "about": (
            "Stratified 3-fold cross-validation accuracies of scikit-learn classifiers (at most "
            "400 rows per dataset), from benchmarks/recommend/metadataset.py; written by "
            "benchmarks/recommend/demo_tuning.py."
        ),
        "datasets": datasets,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{OUT}: {sum(len(d['runs']) for d in datasets)} runs on {len(datasets)} datasets")


if __name__ == "__main__":
    main()
