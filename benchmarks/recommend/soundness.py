"""Is the embedding pipeline sound, and what did removing PyKEEN's overheads buy?

1. Link prediction on PyKEEN's bundled Nations and Kinships with kgrepo's own training code
   (:func:`kgrepo.embeddings.training.train_triples`): filtered MRR and Hits@1/10 on the test
   split (both sides), next to published figures, with each run's time.
2. Overheads: the same training (TransE on Nations, 20 epochs, batch 256, no early stopping,
   same seed) through PyKEEN's ``pipeline``, with each of ``train_triples``' changes
   (``gc.freeze()`` while training, one torch thread, no memory search on the CPU) switched on
   alone and all together, interleaved, in one process after a warm-up that pays the imports;
   plus the one-off import of ``torch._dynamo`` measured in a fresh interpreter.

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
    """TransE on Nations, 20 epochs, batch 256, same seed: PyKEEN's pipeline with each of
    kgrepo's three changes switched on in turn, then all of them (what ``train_triples`` does)."""
    import contextlib

    from kgrepo.embeddings.training import _frozen_gc, quiet_pykeen, threads
    from pykeen.datasets import Nations
    from pykeen.pipeline import pipeline

    data = Nations()

    def run(freeze: bool, one_thread: bool, no_search: bool) -> float:
        started = time.perf_counter()
        with (
            _frozen_gc() if freeze else contextlib.nullcontext(),
            threads(1 if one_thread else None),
            quiet_pykeen(),
        ):
            pipeline(
                dataset=data,
                model="TransE",
                random_seed=1,
                training_loop_kwargs={"automatic_memory_optimization": not no_search},
                training_kwargs={
                    "num_epochs": 20,
                    "batch_size": 256,
                    "use_tqdm": False,
                    "pin_memory": False,
                },
                evaluation_kwargs={"use_tqdm": False},
            )
        return time.perf_counter() - started

    variants = {
        "PyKEEN pipeline (batch 256)": (False, False, False),
        "+ gc.freeze() while training": (True, False, False),
        "+ one torch thread": (False, True, False),
        "+ no memory search on the CPU": (False, False, True),
        "all three (train_triples)": (True, True, True),
    }
    run(True, True, True)  # warm-up: imports, torch._dynamo
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, flags in variants.items():
            times[name].append(run(*flags))
    base = statistics.median(times["PyKEEN pipeline (batch 256)"])
    print(f"TransE on Nations, 20 epochs + evaluation, median of {repeats} rounds (interleaved):")
    print("| variant | seconds | speed-up |")
    print("|---|---|---|")
    for name in variants:
        m = statistics.median(times[name])
        print(f"| {name} | {m:.1f} | {base / m:.1f}x |")
    code = (
        "import time, torch; t = time.perf_counter(); import torch._dynamo; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    print(f"one-off import of torch._dynamo (first optimizer): {float(out.stdout):.1f} s\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller models, fewer epochs")
    parser.add_argument("--skip-soundness", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the overhead table")
    args = parser.parse_args()
    overheads(repeats=args.repeats)
    if not args.skip_soundness:
        soundness(args.quick)
