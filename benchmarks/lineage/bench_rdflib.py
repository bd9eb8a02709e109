"""The same questions answered by rdflib, over the same data loaded in memory.

    python benchmarks/lineage/bench_rdflib.py --data DIR [--reps 20] [--budget 20] [--timeout 120]
                                              [--out FILE]

Loads ``DIR/dump.nq`` (``generate.py --dump``: the kgrepo store exported as N-Quads) into an
``rdflib.Dataset(default_union=True)`` — the union of all graphs as the default graph, as kgrepo
queries it — reporting the load time and the process's resident memory before and after. Then runs
the very query texts of ``questions.py`` with ``Dataset.query`` (rdflib evaluates property paths
itself), rows materialised and post-processed as on the kgrepo side.

rdflib is slow on some questions, so each question gets 1 warm-up call, then timed calls until
``--reps`` or ``--budget`` seconds, and any single call is interrupted after ``--timeout`` seconds
(reported as such).
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import questions
from _timing import measure


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout()


def rss_bytes() -> int:
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()


def _value(term: Any) -> Any:
    return None if term is None else str(term)


def runner(ds: Any, q: questions.Question) -> Any:
    def run() -> Any:
        result = ds.query(q.text)
        names = [str(v) for v in result.vars]
        rows = [tuple(_value(r[n]) for n in names) for r in result]
        return q.post(rows)

    return run


def cursor_after_99(ds: Any, m: dict[str, Any]) -> tuple[str, str] | None:
    rows = list(ds.query(questions.cursor_query(m)))
    if len(rows) < 50:
        return None
    last = rows[-1]
    return last["value"].n3(), str(last["model"])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds for any single call")
    ap.add_argument("--only", nargs="*", help="question ids to run (default: all)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    import rdflib

    m = json.loads((args.data / "manifest.json").read_text())
    before = rss_bytes()
    t = time.perf_counter()
    ds = rdflib.Dataset(default_union=True)
    ds.parse(str(args.data / "dump.nq"), format="nquads")
    load_s = time.perf_counter() - t
    after = rss_bytes()
    print(
        f"rdflib: loaded {len(ds):,} triples in {load_s:.0f}s, "
        f"+{(after - before) / 1e9:.2f} GB RSS",
        file=sys.stderr,
        flush=True,
    )

    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    try:
        cursor = cursor_after_99(ds, m)
    except Timeout:
        cursor = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    results: dict[str, Any] = {}
    for q in questions.build(m, cursor):
        if args.only and q.id not in args.only:
            continue
        print(f"rdflib: {q.id} …", end=" ", file=sys.stderr, flush=True)
        fn = runner(ds, q)

        def guarded(fn: Any = fn) -> Any:
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                return fn()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)

        try:
            row = measure(guarded, reps=args.reps, warmup=1, budget_s=args.budget, min_reps=1)
            print(f"p50 {row['p50_ms']:.1f} ms ({row['calls']} calls)", file=sys.stderr)
        except Timeout:
            row = {"timeout_s": args.timeout}
            print(f"over {args.timeout:.0f} s", file=sys.stderr)
        except Exception as err:
            row = {"error": repr(err)[:300]}
            print(row["error"], file=sys.stderr)
        results[q.id] = {"label": q.label, "sparql": row}
    out = {
        "engine": f"rdflib {rdflib.__version__} (Dataset in memory, default_union)",
        "runs": m["runs"],
        "triples_loaded": len(ds),
        "load_s": load_s,
        "rss_before_bytes": before,
        "rss_after_load_bytes": after,
        "results": results,
    }
    text = json.dumps(out, indent=1, default=str)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return out


if __name__ == "__main__":
    main()
