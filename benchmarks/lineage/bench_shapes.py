# ruff: noqa: E501  (query texts are kept on one line each)
"""Query-shape evidence: the same question written several ways, on the same on-disk store.

    python benchmarks/lineage/bench_shapes.py --data DIR [--reps 20] [--timeout 30] [--out FILE]

Each shape runs in a child process (a pyoxigraph query cannot be interrupted from Python, and some
shapes do not finish), best-of and p50 over ``--reps`` calls. The shapes:

* upstream / downstream: the closure alone (constant start, ``*``), the closure in a subquery
  joined with the steps around it (the shape of ``questions.py`` and of kgrepo's
  ``lineage-*-edges.rq``), the closure written with ``+``, and the path continued past the closure
  (``(…)*/^kg:used`` — the sequence shape);
* FR1: sorting the metric values alone, with the ``kg:evaluates`` join, and "sort, then describe
  the 50 rows" (labels joined after the ``LIMIT``);
* FR6: kgrepo's ``reuse-lookup.rq`` with the signature bound through pyoxigraph's
  ``substitutions`` (how ``Repository.select`` binds values) vs. written into the query text.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

P = (
    "PREFIX kg: <https://w3id.org/kgrepo#> PREFIX prov: <http://www.w3.org/ns/prov#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
)


def shapes(m: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any] | None]]:
    up, feed, heavy = m["deep_model"], m["feed_dataset"], m["heavy_dataset"]
    acc = f"<{m['base']}measure/accuracy>"
    out: dict[str, tuple[str, dict[str, Any] | None]] = {
        "up: closure alone (artifacts)": (
            f"SELECT DISTINCT ?a WHERE {{ <{up}> (kg:generatedBy/kg:used)* ?a }}",
            None,
        ),
        "up: executions as one path from the constant": (
            f"SELECT DISTINCT ?e WHERE {{ <{up}> kg:generatedBy/(kg:used/kg:generatedBy)* ?e }}",
            None,
        ),
        "up: closure in subquery + join (bench shape)": (
            f"SELECT DISTINCT ?a ?e ?i WHERE {{ {{ SELECT DISTINCT ?a WHERE {{ <{up}> (kg:generatedBy/kg:used)* ?a }} }} ?a kg:generatedBy ?e . OPTIONAL {{ ?e kg:used ?i }} }}",
            None,
        ),
        "down 1k: closure alone, *": (
            f"SELECT DISTINCT ?i WHERE {{ <{feed}> (^kg:used/^kg:generatedBy)* ?i }}",
            None,
        ),
        "down 1k: closure alone, +": (
            f"SELECT DISTINCT ?i WHERE {{ <{feed}> (^kg:used/^kg:generatedBy)+ ?i }}",
            None,
        ),
        "down 1k: closure in subquery + join (bench shape)": (
            f"SELECT DISTINCT ?e ?o WHERE {{ {{ SELECT DISTINCT ?i WHERE {{ <{feed}> (^kg:used/^kg:generatedBy)* ?i }} }} ?e kg:used ?i . ?o kg:generatedBy ?e }}",
            None,
        ),
        "down 1k: path continued past the closure (*/^kg:used)": (
            f"SELECT DISTINCT ?e WHERE {{ <{feed}> (^kg:used/^kg:generatedBy)*/^kg:used ?e }}",
            None,
        ),
        "down heavy: closure alone, *": (
            f"SELECT DISTINCT ?i WHERE {{ <{heavy}> (^kg:used/^kg:generatedBy)* ?i }}",
            None,
        ),
        "fr1: metric values alone, sorted, LIMIT 50": (
            f"SELECT ?m ?v WHERE {{ ?m kg:measure {acc} ; kg:value ?v }} ORDER BY DESC(?v) LIMIT 50",
            None,
        ),
        "fr1: + kg:evaluates, sorted, LIMIT 50": (
            f"SELECT ?model ?v WHERE {{ ?m kg:evaluates ?model ; kg:measure {acc} ; kg:value ?v }} ORDER BY DESC(?v) ?model LIMIT 50",
            None,
        ),
        "fr1: sort in subquery, then describe 50 (page 100)": (
            f"SELECT ?model ?name ?v WHERE {{ {{ SELECT ?model ?v WHERE {{ ?m kg:evaluates ?model ; kg:measure {acc} ; kg:value ?v }} ORDER BY DESC(?v) ?model LIMIT 50 OFFSET 4950 }} ?model rdfs:label ?name }}",
            None,
        ),
        "fr1: bench shape (labels joined before the sort, page 100)": (
            f"SELECT ?model ?name ?v WHERE {{ ?m kg:evaluates ?model ; kg:measure {acc} ; kg:value ?v . ?model a kg:Model ; rdfs:label ?name }} ORDER BY DESC(?v) ?model LIMIT 50 OFFSET 4950",
            None,
        ),
    }
    return out


def _reuse_shapes(m: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any] | None]]:
    import kgrepo
    from kgrepo import queries, reuse

    e = m["fr6"]["executable"]
    exe = kgrepo.Executable(e["name"], version=e["version"], digest=e["digest"])
    ins = [
        kgrepo.Artifact("i", kind=kgrepo.DATASET, digest=i["digest"]) for i in m["fr6"]["inputs"]
    ]
    sig = reuse.signature(exe, ins, m["fr6"]["params"])
    text = queries.text("reuse-lookup")
    inlined = text.replace("SELECT ?signature ", "SELECT ").replace(
        "kg:signature ?signature", f'kg:signature "{sig}"'
    )
    return {
        "fr6: reuse-lookup.rq, signature via substitutions": (text, {"signature": sig}),
        "fr6: reuse-lookup.rq, signature in the text": (inlined, None),
        "fr6: signature triple alone": (P + f'SELECT ?e WHERE {{ ?e kg:signature "{sig}" }}', None),
    }


def _child(store_path: str, text: str, subs: dict[str, Any] | None, reps: int, q: Any) -> None:
    from pyoxigraph import Literal, Store, Variable

    from kgrepo.store import PREFIXES

    store = Store.read_only(store_path) if hasattr(Store, "read_only") else Store(store_path)
    kw: dict[str, Any] = {"use_default_graph_as_union": True, "prefixes": PREFIXES}
    if subs:
        kw["substitutions"] = {Variable(k): Literal(v) for k, v in subs.items()}
    times = []
    rows = 0
    for _ in range(reps + 1):
        t = time.perf_counter()
        rows = len(list(store.query(text, **kw)))
        times.append((time.perf_counter() - t) * 1000)
    q.put({"rows": rows, "best_ms": min(times[1:]), "p50_ms": statistics.median(times[1:])})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    m = json.loads((args.data / "manifest.json").read_text())
    all_shapes = {
        k: (P + t if not t.lstrip().startswith("#") else t, s) for k, (t, s) in shapes(m).items()
    }
    all_shapes.update(_reuse_shapes(m))
    ctx = mp.get_context("spawn")
    results = {}
    for name, (text, subs) in all_shapes.items():
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(str(args.data / "store"), text, subs, args.reps, q))
        p.start()
        p.join(args.timeout)
        if p.is_alive():
            p.terminate()
            p.join()
            res: dict[str, Any] = {"timeout_s": args.timeout}
        else:
            res = q.get() if not q.empty() else {"error": f"exit code {p.exitcode}"}
        results[name] = res
        cell = (
            f"{res['p50_ms']:.1f} ms (best {res['best_ms']:.1f}), {res['rows']} rows"
            if "p50_ms" in res
            else f"> {args.timeout:.0f} s"
            if "timeout_s" in res
            else res["error"]
        )
        print(f"| {name} | {cell} |", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
