"""SPARQL limits: what a timed-out runaway query leaves behind, and what the worker costs.

    python bench/sparql_bench.py --baseline /work/main/server     # about 1 minute

1. Runaway queries, side by side: a real `crossgate serve` from the baseline source tree (e.g.
   main) and one from this tree, each with CROSSGATE_SPARQL_TIMEOUT_S=1. Each gets an ORDER BY
   over a cartesian product and a COUNT over one; after each 503 the server's process tree
   (server plus any query workers) is sampled every second: CPU in cores, RSS in MB. The
   baseline server is killed afterwards (its runaway threads never stop on their own).
2. Cost of the worker: a small SELECT through `run_query` with the query pool vs in-thread,
   interleaved, medians; the read-only reopen a worker does after a commit; the SERVICE check.

Writes bench/results/sparql.md (use --out to write elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "server"))

from tests.conftest import seeded_store, start_server  # noqa: E402
from tests.procstat import cpu_cores, rss_bytes, tree  # noqa: E402

from crossgate.graph.query_check import check_federation  # noqa: E402
from crossgate.graph.query_pool import QueryPool  # noqa: E402
from crossgate.graph.sparql import run_query  # noqa: E402
from crossgate.graph.store import EmbeddedStore  # noqa: E402

RUNAWAY = {
    "ORDER BY cartesian": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
                          "ORDER BY ?c ?f ?i LIMIT 1",
    "COUNT cartesian": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
}
SMALL = ("PREFIX cg: <https://w3id.org/crossgate/ns#> "
         "SELECT ?o WHERE { ?o a cg:Obligation } ORDER BY ?o LIMIT 10")


def mb(n: int) -> str:
    return f"{n / 1e6:.0f}"


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.3f}"


def runaway(source: Path, label: str, watch_s: int, http_n: int) -> list[str]:
    data = Path(tempfile.mkdtemp(prefix="crossgate-bench-")) / "data"
    env = {"CROSSGATE_SPARQL_TIMEOUT_S": "1", "PYTHONPATH": str(source)}
    live = start_server(data, env=env)
    rows = []
    try:
        with live.client("analyst") as c:
            assert c.get("/sparql", params={"query": SMALL}).status_code == 200  # warm
            latencies = []
            for _ in range(http_n):
                t0 = time.perf_counter()
                assert c.get("/sparql", params={"query": SMALL}).status_code == 200
                latencies.append(time.perf_counter() - t0)
            time.sleep(1)
            pid = live.process.pid
            base_rss, base_cpu = rss_bytes(tree(pid)), cpu_cores(pid)
            rows.append(f"| {label} | idle, after {http_n} small SELECTs over HTTP (median "
                        f"{median_ms(latencies)} ms) | | {base_cpu:.2f} / {mb(base_rss)} | "
                        f"{len(tree(pid))} |")
            for name, query in RUNAWAY.items():
                t0 = time.monotonic()
                answer = c.get("/sparql", params={"query": query})
                took = time.monotonic() - t0
                status = f"{answer.status_code} ({answer.json().get('message', '')[:40]}…)"
                samples = []
                for _ in range(watch_s):
                    cores = cpu_cores(pid)
                    samples.append(f"{cores:.2f} / {mb(rss_bytes(tree(pid)))}")
                rows.append(f"| {label} | {name} | {status} in {took:.1f} s | "
                            f"{' → '.join(samples)} | {len(tree(pid))} |")
    finally:
        live.process.kill()
        live.process.wait()
        shutil.rmtree(data.parent, ignore_errors=True)
    return rows


def costs(n: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="crossgate-bench-"))
    for part in ("graph", "snapshots"):
        shutil.copytree(seeded_store() / part, work / part)
    store = EmbeddedStore(work / "graph")
    pool = QueryPool(store.path, workers=1)
    run_query(store, SMALL, None, 10, 10_000, pool=pool)  # start the worker
    pooled, in_thread = [], []
    for _ in range(n):
        t = time.perf_counter()
        run_query(store, SMALL, None, 10, 10_000, pool=pool)
        pooled.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_query(store, SMALL, None, 10, 10_000)
        in_thread.append(time.perf_counter() - t)
    reopen = []
    for _ in range(20):
        t = time.perf_counter()
        EmbeddedStore(store.path, read_only=True).close()
        reopen.append(time.perf_counter() - t)
    check = []
    for _ in range(n):
        t = time.perf_counter()
        check_federation(SMALL, frozenset())
        check.append(time.perf_counter() - t)
    federated = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    refuse: list[float] = []
    parse: list[float] = []
    for _ in range(20):
        for allowed, samples in ((frozenset(), refuse), (frozenset({"http://other/"}), parse)):
            t = time.perf_counter()
            with contextlib.suppress(ValueError):
                check_federation(federated, allowed)
            samples.append(time.perf_counter() - t)
    pool.close()
    store.close()
    shutil.rmtree(work, ignore_errors=True)
    return [
        "| what | median ms |",
        "| --- | ---: |",
        f"| small SELECT, in-thread (`run_query` without a pool; main's path) | "
        f"{median_ms(in_thread)} |",
        f"| small SELECT through a worker (`run_query` with the pool) | {median_ms(pooled)} |",
        f"| worker reopens the store read-only (after a commit) | {median_ms(reopen)} |",
        f"| SERVICE check, query without the keyword (tokenizer only) | {median_ms(check)} |",
        f"| SERVICE check, query with SERVICE, no allow-list (tokenizer, refused) | "
        f"{median_ms(refuse)} |",
        f"| SERVICE check, query with SERVICE, an allow-list (tokenizer + rdflib parse) | "
        f"{median_ms(parse)} |",
        "",
        f"{n} interleaved runs each (20 for the reopen and the parse), on the shipped content.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True,
                        help="the server/ folder of the tree to compare with (e.g. main's)")
    parser.add_argument("--watch", type=int, default=5, help="seconds sampled after each 503")
    parser.add_argument("-n", type=int, default=200, help="runs of the small SELECT")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sparql.md")
    args = parser.parse_args()
    lines = [
        "# SPARQL limits",
        "",
        f"`python bench/sparql_bench.py --baseline {args.baseline}` on {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "## A runaway query after its 503 (CROSSGATE_SPARQL_TIMEOUT_S=1)",
        "",
        "Server process tree (server plus query workers); after each 503, one sample a second: "
        "CPU cores used over that second / RSS MB. The baseline server is killed after its "
        "samples: its runaway threads never stop.",
        "",
        "| tree | query | answer | CPU cores / RSS MB, each second | processes |",
        "| --- | --- | --- | --- | ---: |",
    ]
    lines += runaway(args.baseline.resolve(), "baseline", args.watch, args.n // 2)
    lines += runaway(HERE.parent / "server", "this tree", args.watch, args.n // 2)
    lines += ["", "## What the worker costs", ""]
    lines += costs(args.n)
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
