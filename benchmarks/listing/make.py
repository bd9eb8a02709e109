"""Records N runs (one model each, most with accuracy) in memory, dumps N-Quads, loads on disk."""

import io
import random
import shutil
import sys
import time
from pathlib import Path

import kgrepo

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
out = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/listing-bench/store2")
rng = random.Random(1)
repo = kgrepo.Repository.in_memory()
exp = repo.experiment("bench")
train = kgrepo.Executable("train.py", version="1")
data = kgrepo.Dataset("digits", digest="sha256:dd")
t0 = time.perf_counter()
for i in range(N):
    with (
        exp.run(config={"seed": i}) as run,
        run.step("train", kind="train", executable=train) as step,
    ):
        step.use(data)
        step.set_params(C=rng.choice([0.1, 1.0, 10.0]))
        m = step.produce(
            kgrepo.Model(
                f"model-{i:05d}",
                digest=f"sha256:{i:08x}",
                algorithm=rng.choice(["SVC", "RF", "LR"]),
                framework=("scikit-learn", "1.5"),
            )
        )
        if i % 10:
            step.log_metric("accuracy", round(rng.random(), 3), of=m)
            step.log_metric("macro_f1", round(rng.random(), 3), of=m)
    if i % 1000 == 0:
        print(i, round(time.perf_counter() - t0, 1), flush=True)
buf = io.BytesIO()
repo.dump(buf)
print("quads", len(repo.store), "record s", round(time.perf_counter() - t0, 1))
if out.exists():
    shutil.rmtree(out)
disk = kgrepo.Repository.open(out)
buf.seek(0)
disk.load(buf)
disk.close()
print("done", out)
