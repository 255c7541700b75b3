"""Graph store candidates on crossgate's own queries, at 1x, 10x and 100x the shipped content.

    python bench/store_bench.py            # scales 1, 10, 100 (about 15 minutes on 2 cores)
    python bench/store_bench.py --quick    # scales 1 and 10

The content is N copies of crosswalks/*.ttl (bench/scale_content.py: ids suffixed per copy, a
few bridge mappings between copies, one named graph per file per copy) plus the ontology once.
Each backend loads and queries in its own fresh subprocess (`--child`), so its peak RSS
(/proc/self/status VmHWM) is its own. Columns:

- pyox-disk:      pyoxigraph on disk, loaded the product's way: ONE EmbeddedStore.commit of every
                  named graph (canonicalise, bulk-load each graph version, switch the revision in
                  one SPARQL update); queried with the union of all graphs as the default graph.
                  The baseline of the ratios: the engine on disk, as one default graph.
- embedded:       the same store and process, queried through EmbeddedStore.select as the
                  product does at the commit in the report's header (so the ratio shows what
                  the store layer adds to the engine; see bench/README.md for its history).
- pyox-disk-1graph: pyoxigraph on disk, all triples bulk-loaded into ONE named graph, which
                  queries name as their default graph (what the shipped queries would cost
                  if the head revision's content were one graph)
- pyox-mem:       pyoxigraph in memory, one bulk_load of the N-Quads, union default graph
- oxrdflib-mem:   rdflib.Graph(store="Oxigraph") in memory, loaded by oxrdflib's "ox-nt" parser
- oxrdflib-disk:  the same over an on-disk Oxigraph store (Graph.open(path))
- rdflib:         rdflib.Graph() in memory, N-Triples parsed by rdflib

Each query runs once to warm up, then up to 5 timed runs (fewer when a run is slow: about 10 s
of timed runs at most; none after a warm-up over 5 s); the figure is the median. One run past
60 s is killed. A query over 60 s, or whose time grown at the rate it grew over the last scale
step (at least linearly) would pass 60 s, is skipped at the next scale; within a child the
queries run cheapest first, so a killed query does not cost a reload for the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(HERE))

# Columns of the report. Each is (child process, query mode): the two pyoxigraph-disk columns
# share one child (one load through EmbeddedStore.commit) and differ only in how queries name
# the default graph.
COLUMNS = {
    "pyox-disk": ("pyox-disk", "union"),
    "embedded": ("pyox-disk", "shipped"),
    "pyox-disk-1graph": ("pyox-disk-1graph", "one"),
    "pyox-mem": ("pyox-mem", "union"),
    "oxrdflib-mem": ("oxrdflib-mem", ""),
    "oxrdflib-disk": ("oxrdflib-disk", ""),
    "rdflib": ("rdflib", ""),
}
CHILDREN = ("pyox-disk", "pyox-disk-1graph", "pyox-mem", "oxrdflib-mem", "oxrdflib-disk", "rdflib")
BASELINE = "pyox-disk"
LABELS = {
    "pyox-disk": "pyoxigraph disk, loaded by EmbeddedStore.commit, queried over the union "
                 "default graph",
    "embedded": "same store, queried by EmbeddedStore.select as shipped",
    "pyox-disk-1graph": "pyoxigraph disk, bulk_load into ONE named graph, queried as the "
                        "default graph",
    "pyox-mem": "pyoxigraph memory, union",
    "oxrdflib-mem": "rdflib over oxrdflib, memory",
    "oxrdflib-disk": "rdflib over oxrdflib, disk",
    "rdflib": "rdflib Graph, memory",
}
ONE_GRAPH = "https://w3id.org/crossgate/graph/bench-head"
SHIPPED = "@shipped"  # query key suffix: run through EmbeddedStore.select as the product does
# Cheap first: a query killed at its time limit costs a reload only for the queries after it.
QUERIES = ("lookup", "path-1hop", "path-plus", "applicability", "requirements", "mappings",
           "load_model", "gap-optional", "gap-minus", "gap-not-exists")
QUERY_LABELS = {
    "lookup": "lookup one requirement by shortId",
    "path-1hop": "mappings from one node (1 hop)",
    "path-plus": "mapping path from one node `(^cg:source/cg:target)+`",
    "applicability": "queries.APPLICABILITY",
    "requirements": "queries.REQUIREMENTS",
    "mappings": "queries.MAPPINGS",
    "load_model": "model.load_model() (14 queries + Python)",
    "gap-optional": "coverage gap, queries.UNMAPPED_OBLIGATIONS (OPTIONAL + !BOUND)",
    "gap-minus": "coverage gap, MINUS form",
    "gap-not-exists": "coverage gap, FILTER NOT EXISTS form",
}
SLOW_S = 60.0  # one run past this: killed, and skipped at the larger scales
TIMED_BUDGET_S = 10.0  # timed runs per query after the warm-up, at most about this long
ONE_RUN_S = 5.0  # a warm-up longer than this is the only run
LOAD_LIMIT_S = 420.0
REPEAT = 5


# ---------------------------------------------------------------------------------------------
# queries


def query_texts(info: dict) -> dict[str, str]:
    from crossgate.graph import queries as Q

    gap_body = """  ?o a cg:Obligation ; cg:shortId ?id .
  OPTIONAL { ?o dcterms:title ?title }"""
    return {
        "lookup": Q.PREFIXES + f"""
SELECT ?r ?kind ?title WHERE {{
  ?r cg:shortId {json.dumps(info["lookup_id"])} ; a ?kind .
  OPTIONAL {{ ?r dcterms:title ?title }}
}}""",
        "path-1hop": Q.PREFIXES + f"""
SELECT ?m ?y WHERE {{ ?m cg:source <{info["path_start"]}> ; cg:target ?y }}""",
        "path-plus": Q.PREFIXES + f"""
SELECT DISTINCT ?y WHERE {{ <{info["path_start"]}> (^cg:source/cg:target)+ ?y }}""",
        "applicability": Q.APPLICABILITY,
        "requirements": Q.REQUIREMENTS,
        "mappings": Q.MAPPINGS,
        "gap-optional": Q.UNMAPPED_OBLIGATIONS,
        "gap-minus": Q.PREFIXES + f"""
SELECT ?id ?title WHERE {{
{gap_body}
  MINUS {{ ?m cg:target ?o ; cg:source ?c . ?c a cg:Control }}
}} ORDER BY ?id""",
        "gap-not-exists": Q.PREFIXES + f"""
SELECT ?id ?title WHERE {{
{gap_body}
  FILTER NOT EXISTS {{ ?m cg:target ?o ; cg:source ?c . ?c a cg:Control }}
}} ORDER BY ?id""",
    }


# ---------------------------------------------------------------------------------------------
# child: one backend, one scale


def proc_status() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024.0  # kB -> MB
    return out


def dir_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total / 1e6


class RdflibSelect:
    """GraphStore.select() over an rdflib Graph, for load_model and the timed queries."""

    def __init__(self, graph) -> None:  # type: ignore[no-untyped-def]
        self.graph = graph

    def select(self, sparql: str) -> list[dict[str, str]]:
        result = self.graph.query(sparql)
        names = [str(v) for v in result.vars]
        rows = []
        for row in result:
            rows.append({n: str(v) for n, v in zip(names, row, strict=True) if v is not None})
        return rows


class OxSelect:
    """GraphStore.select() over a pyoxigraph Store: the union of all graphs as the default graph
    (for an EmbeddedStore's store that includes the small meta graph, which none of these
    queries can match), or the given graphs."""

    def __init__(self, store, default_graph=None) -> None:  # type: ignore[no-untyped-def]
        self.store = store
        self.kwargs = ({"default_graph": default_graph} if default_graph
                       else {"use_default_graph_as_union": True})

    def select(self, sparql: str) -> list[dict[str, str]]:
        from crossgate.graph.store import EmbeddedStore

        return EmbeddedStore._rows(self.store.query(sparql, **self.kwargs))


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def load_backend(backend: str, info: dict, work: Path):  # type: ignore[no-untyped-def]
    """Load the scaled content; return ({query mode: selector}, load facts)."""
    import pyoxigraph as ox

    facts: dict[str, object] = {}
    if backend == "rdflib":
        from rdflib import Graph

        facts.update(before=proc_status()["VmRSS"])
        start = time.perf_counter()
        g = Graph()
        g.parse(info["ntriples"], format="nt")
        facts["load_s"] = time.perf_counter() - start
        facts["triples"] = len(g)
        return {"": RdflibSelect(g)}, facts
    if backend in ("oxrdflib-mem", "oxrdflib-disk"):
        from rdflib import Graph

        facts.update(before=proc_status()["VmRSS"])
        start = time.perf_counter()
        g = Graph(store="Oxigraph")
        if backend == "oxrdflib-disk":
            g.open(str(work / "store"), create=True)
        g.parse(info["ntriples"], format="ox-nt")
        if backend == "oxrdflib-disk":
            g.store._inner.flush()
        facts["load_s"] = time.perf_counter() - start
        facts["triples"] = len(g)
        if backend == "oxrdflib-disk":
            facts["disk_mb"] = dir_mb(work / "store")
        return {"": RdflibSelect(g)}, facts
    if backend == "pyox-mem":
        facts.update(before=proc_status()["VmRSS"])
        start = time.perf_counter()
        store = ox.Store()
        store.bulk_load(path=info["nquads"], format=ox.RdfFormat.N_QUADS)
        facts["load_s"] = time.perf_counter() - start
        facts["triples"] = len(store)
        return {"union": OxSelect(store)}, facts

    if backend == "pyox-disk-1graph":
        facts.update(before=proc_status()["VmRSS"])
        start = time.perf_counter()
        raw = ox.Store(str(work / "store"))
        head = ox.NamedNode(ONE_GRAPH)
        raw.bulk_load(path=info["ntriples"], format=ox.RdfFormat.N_TRIPLES, to_graph=head)
        raw.flush()
        facts["load_s"] = time.perf_counter() - start
        facts["triples"] = len(raw)
        facts["disk_mb"] = dir_mb(work / "store")
        return {"one": OxSelect(raw, default_graph=[head])}, facts
    if backend == "pyox-disk":
        from crossgate.graph.store import EmbeddedStore

        # The commit's input as the loader produces it: N-Triples text per named graph.
        per_graph: dict[str, list] = {}
        for q in ox.parse(path=info["nquads"], format=ox.RdfFormat.N_QUADS):
            per_graph.setdefault(q.graph_name.value, []).append(
                ox.Triple(q.subject, q.predicate, q.object))
        changes = {g: ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES).decode()
                   for g, ts in per_graph.items()}
        del per_graph
        gc.collect()
        facts["graphs"] = len(changes)
        store = EmbeddedStore(work / "store")  # snapshots/ beside it, as the product does
        spent = {"_update": 0.0, "_write_version": 0.0}
        for name in spent:  # time the store's two write steps inside commit()
            real = getattr(store, name, None)
            if real is None:
                continue

            def timed(*a, _real=real, _name=name):  # type: ignore[no-untyped-def]
                t0 = time.perf_counter()
                try:
                    return _real(*a)
                finally:
                    spent[_name] += time.perf_counter() - t0

            setattr(store, name, timed)
        facts.update(before=proc_status()["VmRSS"])
        start = time.perf_counter()
        store.commit(changes, "bench: all scaled content", "bench")
        store._store.flush()
        facts["load_s"] = time.perf_counter() - start
        for name in spent:
            store.__dict__.pop(name, None)
        facts["update_s"] = spent["_update"]
        facts["write_version_s"] = spent["_write_version"]
        del changes
        gc.collect()
        facts["triples"] = len(store._store)
        facts["disk_mb"] = dir_mb(work / "store")
        facts["snapshots_mb"] = dir_mb(work / "snapshots")
        facts["content_graphs"] = len(store.head().graphs)
        return {"union": OxSelect(store._store), "shipped": store}, facts
    raise SystemExit(f"unknown backend {backend}")


def child(args: argparse.Namespace) -> None:
    from crossgate.graph.model import load_model

    info = json.loads(Path(args.data).read_text())
    texts = query_texts(info)
    work = Path(tempfile.mkdtemp(prefix=f"store-{args.child}-", dir=args.work))
    try:
        selectors_by_mode, facts = load_backend(args.child, info, work)
        gc.collect()
        facts.update(proc_status())
        emit({"event": "load", **facts})
        for key in args.queries.split(",") if args.queries else []:
            name, _, mode = key.partition("@")
            selector = selectors_by_mode[mode if mode else next(iter(selectors_by_mode))]
            if name == "load_model":
                def run(selector=selector) -> int:  # type: ignore[no-untyped-def]
                    model = load_model(selector, 1)
                    return len(model.requirements) + len(model.mappings)
            else:
                def run(selector=selector, text=texts[name]) -> int:  # type: ignore[no-untyped-def]
                    return len(selector.select(text))
            emit({"event": "begin", "query": key})
            start = time.perf_counter()
            rows = run()
            warm = time.perf_counter() - start
            emit({"event": "warm", "query": key, "seconds": warm, "rows": rows})
            times = []
            n = (0 if warm > ONE_RUN_S
                 else max(1, min(REPEAT, int(TIMED_BUDGET_S / max(warm, 1e-9)))))
            for _ in range(n):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
            emit({"event": "query", "query": key, "rows": rows, "warm": warm, "times": times,
                  "median": statistics.median(times) if times else warm})
        emit({"event": "done", **proc_status()})
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# parent


def run_child(backend: str, data: Path, queries: list[str], work: Path,
              expected: dict[str, float]) -> tuple[dict, dict]:
    """Run one child (one load, then `queries` in order), restarting it after a killed query
    for the queries after that one that are expected to be faster (by their time at the smaller
    scale, `expected`). Returns (load facts, results by query key)."""
    load: dict = {}
    results: dict[str, dict] = {}
    todo = list(queries)
    first = True
    loadavg = os.getloadavg()[0]
    while first or todo:
        cmd = [sys.executable, __file__, "--child", backend, "--data", str(data),
               "--queries", ",".join(todo), "--work", str(work)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()
        errors: list[str] = []

        def pump(proc=proc, lines=lines) -> None:  # type: ignore[no-untyped-def]
            for line in proc.stdout:  # type: ignore[union-attr]
                lines.put(line)
            lines.put("")

        threading.Thread(target=pump, daemon=True).start()
        threading.Thread(target=lambda proc=proc, errors=errors: errors.append(
            proc.stderr.read()), daemon=True).start()  # type: ignore[union-attr]
        deadline = time.monotonic() + LOAD_LIMIT_S
        current = None
        killed = None
        while True:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                proc.kill()
                killed = current or "load"
                break
            if not line:
                break
            msg = json.loads(line)
            event = msg["event"]
            if event == "load":
                if first:
                    load = {**msg, "loadavg": loadavg}
                    log(f"  {backend:15s} load {fmt_s(msg['load_s']):>10s}  {msg['triples']:>9,} "
                        f"triples  VmHWM {msg['VmHWM']:7.1f} MB")
                deadline = time.monotonic() + SLOW_S
            elif event == "begin":
                current = msg["query"]
                deadline = time.monotonic() + SLOW_S
            elif event == "warm":
                deadline = time.monotonic() + TIMED_BUDGET_S * 2 + msg["seconds"] * REPEAT + 10
            elif event == "query":
                results[msg["query"]] = msg
                todo.remove(msg["query"])
                log(f"  {backend:15s} {msg['query']:24s} {fmt_s(msg['median']):>10s}  "
                    f"rows {msg['rows']:>7,}  ({len(msg['times'])} timed runs)")
                current = None
                deadline = time.monotonic() + SLOW_S
        proc.wait()
        time.sleep(0.1)
        stderr = errors[0] if errors else ""
        if killed == "load":
            if first:
                load = {"error": f"load killed after {LOAD_LIMIT_S:.0f} s"}
            for q in todo:
                results[q] = {"error": "not run: load timed out"}
            break
        if killed:
            results[killed] = {"error": f"killed: one run > {SLOW_S:.0f} s", "slow": True}
            todo.remove(killed)
            log(f"  {backend:15s} {killed:24s} killed after {SLOW_S:.0f} s")
            # The queries after it took longer at the smaller scale: not worth a reload.
            limit = expected.get(killed)
            for q in list(todo):
                if limit is not None and expected.get(q, 0) >= limit:
                    results[q] = {"error": f"not run: {killed} was killed and this took longer "
                                           "at the smaller scale", "slow": True}
                    todo.remove(q)
        elif proc.returncode != 0:
            last = (stderr.strip().splitlines() or ["failed"])[-1][:200]
            log(f"  {backend} failed:\n{stderr[-3000:]}")
            if first and not load:
                load = {"error": f"failed: {last}"}
            for q in todo:
                results[q] = {"error": f"failed: {last}"}
            break
        first = False
    return load, results


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    if seconds >= 100:
        return f"{seconds:.0f} s" if seconds < 3600 else f"{seconds / 3600:.1f} h"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scales 1 and 10 only")
    parser.add_argument("--scales", default=None, help="comma-separated copy counts")
    parser.add_argument("--columns", default=",".join(COLUMNS),
                        help="which backends/columns to run (default: all)")
    parser.add_argument("--out", default=str(HERE / "results" / "store.md"))
    parser.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from scale_content import scale

    scales = ([int(s) for s in args.scales.split(",")] if args.scales
              else [1, 10] if args.quick else [1, 10, 100])
    columns = [c for c in args.columns.split(",") if c]
    started = time.monotonic()
    args.commit = _commit()  # the code and content measured: as at the start of the run
    work = Path(tempfile.mkdtemp(prefix="crossgate-store-bench-"))
    runs: list[dict] = []
    # (column, query or "load") -> why it is skipped at the larger scales
    skip: dict[tuple[str, str], str] = {}
    last_time: dict[tuple[str, str], float] = {}  # (column, query) -> median at the last scale
    last_copies = 0
    try:
        for copies in scales:
            new_time: dict[tuple[str, str], float] = {}
            t0 = time.perf_counter()
            info = scale(REPO / "crosswalks", REPO / "ontology" / "crossgate.ttl", copies,
                         work / f"data-{copies}")
            log(f"scale {copies}x: {info.total_triples:,} triples in {info.graphs} graphs "
                f"(generated in {time.perf_counter() - t0:.1f} s)")
            data = Path(info.nquads).with_suffix(".json")
            run: dict = {"copies": copies, "info": {k: v for k, v in info.__dict__.items()
                                                     if k != "graph_iris"}, "columns": {}}
            for child_name in CHILDREN:
                mine = [c for c in columns if COLUMNS[c][0] == child_name]
                if not mine:
                    continue
                if (child_name, "load") in skip:
                    for c in mine:
                        run["columns"][c] = {"load": {"error": skip[(child_name, "load")]},
                                             "results": {}}
                    continue
                keys, expected = [], {}
                for c in mine:  # the columns of one child run one after the other
                    suffix = SHIPPED if COLUMNS[c][1] == "shipped" else ""
                    for q in QUERIES:
                        if (c, q) not in skip:
                            keys.append(q + suffix)
                            if (c, q) in last_time:
                                expected[q + suffix] = last_time[(c, q)]
                # Cheapest first (by the smaller scale's time), so a killed query is the last
                # one worth running in this child.
                keys.sort(key=lambda k: expected.get(k, 0))
                load, results = run_child(child_name, data, keys, work, expected)
                if "error" in load or load.get("load_s", 0) > SLOW_S:
                    skip[(child_name, "load")] = (
                        load.get("error") or f"skipped: load {fmt_s(load['load_s'])} at {copies}x")
                for c in mine:
                    suffix = SHIPPED if COLUMNS[c][1] == "shipped" else ""
                    res = {}
                    for q in QUERIES:
                        if (c, q) in skip:
                            res[q] = {"error": skip[(c, q)]}
                            continue
                        r = res[q] = results.get(q + suffix, {"error": "not run"})
                        t = r.get("median", 0)
                        if r.get("slow") or t > SLOW_S:
                            skip[(c, q)] = f"skipped: > {SLOW_S:.0f} s at {copies}x"
                        elif t and copies < scales[-1]:
                            # Expected time at the next scale: linear in the content, or as
                            # fast as it grew over the last step if that was faster.
                            nxt = scales[scales.index(copies) + 1]
                            step = nxt / copies
                            growth = step
                            prev = last_time.get((c, q))
                            if prev and last_copies:
                                growth = max(step, step ** (math.log(t / prev)
                                                            / math.log(copies / last_copies)))
                            if t * growth > SLOW_S:
                                skip[(c, q)] = (f"skipped: {fmt_s(t)} at {copies}x, "
                                                f"~{fmt_s(t * growth)} expected at {nxt}x")
                        if t:
                            new_time[(c, q)] = t
                    run["columns"][c] = {"load": load, "results": res}
            runs.append(run)
            last_time, last_copies = new_time, copies
            shutil.rmtree(work / f"data-{copies}", ignore_errors=True)
            Path(args.out).write_text(render(runs, columns, time.monotonic() - started, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    Path(args.out).write_text(render(runs, columns, elapsed, args))
    log(f"wrote {args.out} ({elapsed / 60:.1f} min)")


# ---------------------------------------------------------------------------------------------
# report


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _proc_line(path: str, key: str) -> str | None:
    with contextlib.suppress(OSError), open(path) as f:
        for line in f:
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    return None


def _cpu() -> str:
    return _proc_line("/proc/cpuinfo", "model name") or platform.processor() or "?"


def _mem_gb() -> str:
    total = _proc_line("/proc/meminfo", "MemTotal")
    return f"{int(total.split()[0]) / 1024 / 1024:.0f} GB" if total else "?"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def cell(r: dict, base: dict | None) -> str:
    if not r:
        return "—"
    if "error" in r:
        return r["error"]
    text = fmt_s(r["median"])
    if not r["times"]:
        text += " (1 run)"
    if base and base.get("median") and r is not base:
        text += f" ({fmt_ratio(r['median'] / base['median'])})"
    return text


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "crosswalks", "ontology"],
                               cwd=REPO, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return sha + (" (crosswalks/ or ontology/ modified)" if dirty.strip() else "")


def render(runs: list[dict], columns: list[str], elapsed: float,
           args: argparse.Namespace) -> str:
    cmd = "python bench/store_bench.py" + (" --quick" if args.quick else "")
    if args.scales:
        cmd += f" --scales {args.scales}"
    if args.columns != ",".join(COLUMNS):
        cmd += f" --columns {args.columns}"
    lines = [
        "# Graph store benchmark",
        "",
        f"Command: `{cmd}` (took {elapsed / 60:.1f} min). Scaled content: "
        "`bench/scale_content.py`; what the columns are: the docstring of `bench/store_bench.py`.",
        "",
        f"Machine: {os.cpu_count()} cores ({_cpu()}), {_mem_gb()} RAM, Python "
        f"{platform.python_version()}, pyoxigraph {_version('pyoxigraph')}, rdflib "
        f"{_version('rdflib')}, oxrdflib {_version('oxrdflib')}. Run "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC at commit {args.commit}.",
        "",
        "Each backend loads and queries in its own subprocess. Query figures are the median of "
        f"up to {REPEAT} timed runs after one warm-up (fewer when a run is slow; \"1 run\" = the "
        "warm-up alone), including turning every solution into Python values; in brackets the "
        f"ratio to `{BASELINE}` ({LABELS[BASELINE]}) at the same scale. A run past "
        f"{SLOW_S:.0f} s is killed. A combination over {SLOW_S:.0f} s is skipped at the next "
        "scale, and so is one expected to pass it there: its time grown at the rate it grew "
        "over the previous step, or linearly if that was slower (so \"skipped\" figures are "
        "extrapolations, not measurements).",
        "",
        "## Content per scale",
        "",
        "| scale | copies x triples | content triples | + bridges | + ontology | total "
        "triples | named graphs |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        i = run["info"]
        lines.append(
            f"| {run['copies']}x | {i['copies']} x {i['content_triples_per_copy']:,} | "
            f"{i['copies'] * i['content_triples_per_copy']:,} | {i['bridge_triples']:,} | "
            f"{i['ontology_triples']:,} | {i['total_triples']:,} | {i['graphs']:,} |")
    if runs:
        i = runs[0]["info"]
        lines += ["", f"Shipped files (crosswalks/*.ttl): {', '.join(i['files'])}. Probes: "
                  f"lookup of `{i['lookup_id']}` (1x), path from `{i['path_start']}` (1x).", ""]

    shown = [c for c in ("pyox-disk", "embedded", "pyox-mem", "rdflib") if c in columns]
    if len(runs) > 1 and shown:
        lines += ["## At a glance", "",
                  "| query | " + " | ".join(f"{c} {r['copies']}x" for c in shown for r in runs)
                  + " |", "|---|" + "---|" * (len(shown) * len(runs))]
        for q in QUERIES:
            cells = []
            for c in shown:
                for r in runs:
                    res = r["columns"].get(c, {}).get("results", {}).get(q, {})
                    cells.append(fmt_s(res["median"]) if "median" in res
                                 else ("skipped" if "skipped" in res.get("error", "")
                                       else res.get("error", "—").split(":")[0]))
            lines.append(f"| {q} | " + " | ".join(cells) + " |")
        lines.append("")

    for run in runs:
        head = "| | " + " | ".join(f"{c}: {LABELS.get(c, c)}" for c in columns) + " |"
        lines += [f"## {run['copies']}x ({run['info']['total_triples']:,} triples, "
                  f"{run['info']['graphs']:,} named graphs)", "",
                  head, "|---|" + "---|" * len(columns)]
        data = run["columns"]
        base_load = data.get(BASELINE, {}).get("load", {})

        def load_row(label: str, key: str, unit: str, data=data, base_load=base_load) -> str:
            cells = []
            for c in columns:
                ld = data.get(c, {}).get("load", {})
                if c != BASELINE and COLUMNS[c][0] == COLUMNS[BASELINE][0]:
                    cells.append(f"(same load as {BASELINE})")
                elif "error" in ld:
                    cells.append(ld["error"] if key == "load_s" else "—")
                elif key not in ld:
                    cells.append("—")
                elif unit == "x":
                    cells.append(f"{ld[key]:.1f}")
                elif unit == "s":
                    ratio = (f" ({fmt_ratio(ld[key] / base_load[key])})"
                             if c != BASELINE and base_load.get(key) else "")
                    cells.append(fmt_s(ld[key]) + ratio)
                else:
                    cells.append(f"{ld[key]:,.0f} MB")
            return f"| {label} | " + " | ".join(cells) + " |"

        lines.append(load_row("load (whole content)", "load_s", "s"))
        lines.append(load_row("RSS before load (inputs ready)", "before", "MB"))
        lines.append(load_row("peak RSS to end of load (VmHWM)", "VmHWM", "MB"))
        lines.append(load_row("RSS after load (VmRSS)", "VmRSS", "MB"))
        lines.append(load_row("on disk (store directory)", "disk_mb", "MB"))
        lines.append(load_row("machine load average when the backend started", "loadavg", "x"))
        for q in QUERIES:
            base = data.get(BASELINE, {}).get("results", {}).get(q)
            cells = [cell(data.get(c, {}).get("results", {}).get(q, {}), base) for c in columns]
            lines.append(f"| {QUERY_LABELS[q]} | " + " | ".join(cells) + " |")
        rows: dict[str, dict[str, int]] = {}
        for c in columns:
            for q, r in data.get(c, {}).get("results", {}).items():
                if "rows" in r:
                    rows.setdefault(q, {})[c] = r["rows"]
        disagree = {q: v for q, v in rows.items() if len(set(v.values())) > 1}
        lines.append("")
        counts = ", ".join(f"{q} {next(iter(set(v.values()))):,}" for q, v in rows.items()
                           if q not in disagree)
        if counts:
            lines.append(f"Result rows, the same in every column that ran (load_model: "
                         f"requirements + mappings): {counts}.")
        for q, v in disagree.items():
            lines.append(f"**Row counts differ for {q}:** "
                         + ", ".join(f"{c} {n:,}" for c, n in v.items()) + ".")
        emb = data.get(BASELINE, {}).get("load", {})
        if "update_s" in emb:
            lines.append("")
            if emb.get("write_version_s"):
                steps = (f"bulk-loading each graph version {fmt_s(emb['write_version_s'])}, "
                         f"the revision switch (one SPARQL update) {fmt_s(emb['update_s'])}, "
                         "the rest canonicalising and hashing each graph")
            else:
                steps = (f"the one SPARQL update {fmt_s(emb['update_s'])}, the rest "
                         "canonicalising and hashing each graph and writing its snapshot")
            lines.append(
                f"`{BASELINE}` load: one EmbeddedStore.commit of {emb.get('graphs', 0):,} named "
                f"graphs ({emb.get('content_graphs', 0):,} in the head revision), "
                f"{fmt_s(emb['load_s'])} in all: {steps}; "
                f"{emb.get('snapshots_mb', 0):,.1f} MB of snapshots beside the store.")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
