"""Is the embedding pipeline sound, and what did removing PyKEEN's overheads buy?

1. Link prediction on PyKEEN's bundled Nations and Kinships with kgrepo's own training code
   (:func:`kgrepo.embeddings.training.train_triples`): filtered MRR and Hits@1/10 on the test
   split (both sides), next to published figures, with each run's time.
2. Overheads: the same training (TransE on Nations, 20 epochs, no early stopping, same seed) run
   through PyKEEN's ``pipeline`` as a user would call it, and through ``train_triples``
   (``gc.freeze()`` while training, one torch thread, no memory search on the CPU), alternately,
   in one process after a warm-up that pays the imports; plus the one-off import of
   ``torch._dynamo`` measured in a fresh interpreter.

    PYSTOW_HOME=/work/.pystow python benchmarks/recommend/soundness.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from kgrepo.embeddings.training import TrainingConfig, train_triples

RUNS = [
    # dataset, model, most epochs (early stopping may end sooner), published figure
    ("Nations", "DistMult", 300, "MRR ~0.70"),
    ("Nations", "RotatE", 300, "MRR ~0.70"),
    ("Kinships", "ComplEx", 150, "Hits@10 ~0.97"),
]


def soundness(quick: bool) -> None:
    from pykeen.datasets import Kinships, Nations

    print("| dataset | model | epochs | MRR | Hits@1 | Hits@10 | published | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model, epochs, published in RUNS:
        data = {"Nations": Nations, "Kinships": Kinships}[name]()
        config = TrainingConfig(
            model=model,
            embedding_dim=64 if quick else 128,
            epochs=60 if quick else epochs,
            learning_rate=0.01,
            negatives_per_positive=16,
            evaluate_every=20,
            patience=3,
            progress=False,
            seed=1,
        )
        r = train_triples(data.training, data.validation, data.testing, config)
        m = r.metrics
        print(
            f"| {name} | {model} | {r.epochs} | {m['mrr']:.3f} | {m['hits_at_1']:.3f} | "
            f"{m['hits_at_10']:.3f} | {published} | {r.seconds:.0f} |",
            flush=True,
        )


def overheads(repeats: int) -> None:
    from pykeen.datasets import Nations
    from pykeen.pipeline import pipeline

    data = Nations()
    config = TrainingConfig(model="TransE", epochs=20, progress=False, seed=1)

    def plain() -> float:
        started = time.perf_counter()
        pipeline(
            dataset=data,
            model="TransE",
            epochs=20,
            random_seed=1,
            training_kwargs={"use_tqdm": False},
            evaluation_kwargs={"use_tqdm": False},
        )
        return time.perf_counter() - started

    def ours() -> float:
        started = time.perf_counter()
        train_triples(data.training, None, data.testing, config)
        return time.perf_counter() - started

    ours()  # warm-up: imports, torch._dynamo
    before, after = [], []
    for _ in range(repeats):
        before.append(plain())
        after.append(ours())
    b, a = statistics.median(before), statistics.median(after)
    print(f"\nTransE on Nations, 20 epochs + evaluation, median of {repeats} (alternating):")
    print(f"PyKEEN pipeline as is: {b:.1f} s; train_triples: {a:.1f} s; ratio {b / a:.1f}x")
    code = "import time, torch; t = time.perf_counter(); import torch._dynamo; print(time.perf_counter() - t)"
    seconds = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    print(f"one-off import of torch._dynamo (first optimizer): {seconds:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller models, fewer epochs")
    parser.add_argument("--skip-soundness", action="store_true")
    args = parser.parse_args()
    overheads(repeats=2 if args.quick else 3)
    if not args.skip_soundness:
        soundness(args.quick)
