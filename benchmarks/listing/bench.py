"""FR1 timing: models sorted by a metric, page 1 and page 100 (by cursor and by offset), on disk.

Usage: python bench.py STORE   (STORE made by make.py: 10,000 runs, each training one model, 90%
of them with accuracy and macro_f1 metrics). Each case is timed 9 times, interleaved with a
baseline measured in the same run (reading the IRIs of all 10,000 models with one SELECT), and
reported as the median wall time and the median ratio to the baseline.
"""

import statistics
import sys
import time

import kgrepo
from kgrepo.listing import list_artifacts

repo = kgrepo.Repository.open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/listing-bench/store2")
LIMIT, N = 50, 9
BASELINE = "SELECT ?artifact WHERE { ?artifact a kg:Model }"


def baseline():
    t0 = time.perf_counter()
    n = sum(1 for _ in repo.query(BASELINE))
    assert n == 10_000, n
    return time.perf_counter() - t0


def timed(label, **kw):
    walls, ratios = [], []
    for _ in range(N):
        base = baseline()
        t0 = time.perf_counter()
        page = list_artifacts(repo, limit=LIMIT, **kw)
        wall = time.perf_counter() - t0
        walls.append(wall)
        ratios.append(wall / base)
    first = page.items[0] if page.items else None
    median, best = statistics.median(walls) * 1000, min(walls) * 1000
    ratio = statistics.median(ratios)
    shown = f"{first.name} {first.sort_value}" if first else None
    print(f"  {label:<24} median {median:6.1f} ms  best {best:6.1f} ms  = {ratio:4.2f} x baseline")
    print(f"  {'':<24} (first: {shown})")


print("repository:", repo.counts().get("Model"), "models,", len(repo.store), "quads")
bases = sorted(baseline() for _ in range(N))
print(f"baseline (read 10,000 model IRIs): median {statistics.median(bases) * 1000:.1f} ms")
for spec in [
    dict(kind="Model", sort="metric:accuracy", descending=True),
    dict(kind="Model", sort="metric:accuracy"),
    dict(kind="Model", sort="name"),
    dict(kind="Model", sort="metric:accuracy", descending=True, where={"algorithm": "SVC"}),
    dict(kind="Model", sort="metric:accuracy", descending=True, metrics={"macro_f1": (">=", 0.5)}),
]:
    print(spec)
    timed("page 1", **spec)
    cursor = None
    for _ in range(99):
        cursor = list_artifacts(repo, limit=LIMIT, cursor=cursor, **spec).next_cursor
        if cursor is None:
            break
    if cursor is not None:
        timed("page 100 (cursor)", cursor=cursor, **spec)
        timed("page 100 (offset=4950)", offset=99 * LIMIT, **spec)
