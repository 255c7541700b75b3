"""Spreadsheet import: our plan_import (and commit) against a raw python-calamine read.

    python bench/import_bench.py                           # 100,000 rows, 3 runs, with commit
    python bench/import_bench.py --rows 10000 --repeat 1   # quick look
    python bench/import_bench.py --no-commit               # read and plan only

One mapping workbook (sheet `mappings`, the template's six columns) is written once with
xlsxwriter; every measured run is its own subprocess (`--child VARIANT`) reporting its wall
time and its peak RSS (getrusage of itself). Variants, interleaved run by run:

- raw:    python-calamine opens the same bytes and reads the sheet to Python lists
- plan:   plan_import(data, ...) against a known state holding every id: zip checks, reading,
          header detection, per-cell parsing, cross-row checks and the diff (100% added)
- commit: into a fresh on-disk store holding the requirements: known_state(store), plan, then
          commit_plan (one revision: the store canonicalises the import graph, keeps a
          gzip snapshot of it and inserts it in one transactional SPARQL update)

Results go to bench/results/import.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))
sys.path.insert(0, str(HERE.parent))

VARIANTS = ("raw", "plan", "commit")
SOURCES = 5_000
TARGETS = 5_000
RELATIONS = ("equal", "subset-of", "superset", "intersects with", "related", "not_related")


def ids() -> tuple[list[str], list[str]]:
    return ([f"src:R-{i:05d}" for i in range(SOURCES)],
            [f"tgt:C-{i:05d}" for i in range(TARGETS)])


def rows(n: int, seed: int = 20261123) -> list[tuple[object, ...]]:
    sources, targets = ids()
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    out: list[tuple[object, ...]] = []
    while len(out) < n:
        pair = (rng.choice(sources), rng.choice(targets))
        if pair in seen:
            continue
        seen.add(pair)
        k = len(out)
        out.append((pair[0], pair[1], RELATIONS[k % len(RELATIONS)], rng.randrange(11),
                    f"Both require logging of automated decisions (case {k}).",
                    "semantic"))
    return out


def known():  # type: ignore[no-untyped-def]
    from crossgate.sheets.model import KnownState

    sources, targets = ids()
    return KnownState(
        frameworks={"fw:src": {"title": "Source framework", "jurisdiction": "ORG"},
                    "fw:tgt": {"title": "Target framework", "jurisdiction": "ORG"}},
        requirements={**{s: {"title": s, "framework": "fw:src", "kind": "control"}
                         for s in sources},
                      **{t: {"title": t, "framework": "fw:tgt", "kind": "control"}
                         for t in targets}})


def content_ntriples() -> str:
    """The requirements as a shipped graph, for the commit variant's store."""
    from crossgate.sheets import rdf
    from crossgate.sheets.plan import normalise

    state = known()
    prov = rdf.Provenance("content", "bench", __import__("datetime").datetime.now(
        __import__("datetime").UTC), "content", "0" * 64)
    lines: list[str] = []
    for kind, table in (("framework", state.frameworks), ("requirement", state.requirements)):
        for short_id, fields in table.items():
            item = {"kind": kind, "id": short_id, "before": None,
                    "after": normalise(kind, fields)}
            lines.extend(rdf.item_triples(item, prov))
    return "\n".join(lines) + "\n"


def child(variant: str, path: Path, workdir: Path) -> dict[str, float]:
    data = path.read_bytes()
    result: dict[str, float] = {}
    if variant == "raw":
        import io

        import python_calamine

        started = time.perf_counter()
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        cells = book.get_sheet_by_name("mappings").to_python(skip_empty_area=False)
        result["seconds"] = time.perf_counter() - started
        result["rows"] = len(cells) - 1
    elif variant == "plan":
        from crossgate.sheets import plan_import

        state = known()
        started = time.perf_counter()
        plan = plan_import(data, path.name, state, who="bench@example.com")
        result["seconds"] = time.perf_counter() - started
        assert plan.ok, plan.summary_text()[:2000]
        result["rows"] = plan.counts()["mappings"]
    else:
        from crossgate.graph.store import EmbeddedStore
        from crossgate.sheets.commit import commit_plan, known_state
        from crossgate.sheets.plan import plan_import

        store = EmbeddedStore(workdir / "graph")
        store.commit({"https://w3id.org/crossgate/graph/shipped/bench": content_ntriples()},
                     "content", "bench")
        base = store.head().number
        started = time.perf_counter()
        state = known_state(store)
        result["known_state_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        plan = plan_import(data, path.name, state, who="bench@example.com")
        result["plan_seconds"] = time.perf_counter() - started
        assert plan.ok, plan.summary_text()[:2000]
        started = time.perf_counter()
        done = commit_plan(store, plan, base)
        result["seconds"] = time.perf_counter() - started  # the commit itself
        result["rows"] = plan.counts()["mappings"]
        result["triples"] = plan.to_ntriples().count("\n")
        assert done.revision == base + 1
        store.close()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_child(variant: str, path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="import-bench-") as workdir:
        output = subprocess.run(
            [sys.executable, __file__, "--child", variant, "--file", str(path),
             "--workdir", workdir], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def versions() -> str:
    from importlib.metadata import version

    names = ("python-calamine", "xlsxwriter", "pyoxigraph")
    return ", ".join(f"{name} {version(name)}" for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-commit", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "import.md")
    parser.add_argument("--child", choices=VARIANTS)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file, args.workdir)))
        return

    from tests.sheets_factory import mapping_rows_workbook

    variants = [v for v in VARIANTS if not (args.no_commit and v == "commit")]
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        path = Path(tmp) / f"mappings-{args.rows}.xlsx"
        started = time.perf_counter()
        mapping_rows_workbook(rows(args.rows), constant_memory=True, path=str(path))
        written = time.perf_counter() - started
        size = path.stat().st_size
        print(f"wrote {args.rows:,} rows, {size / 1e6:.1f} MB in {written:.1f} s", flush=True)
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
        for attempt in range(args.repeat):
            for variant in variants:
                measured = run_child(variant, path)
                runs[variant].append(measured)
                print(f"run {attempt + 1} {variant}: {measured}", flush=True)

    def median(variant: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[variant])

    lines = [
        "# Import benchmark",
        "",
        f"Command: `python bench/import_bench.py --rows {args.rows} --repeat {args.repeat}"
        f"{' --no-commit' if args.no_commit else ''}`  ",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {versions()}  ",
        f"Workbook: one `mappings` sheet, {args.rows:,} rows x 6 columns (source, targets, "
        f"relation, strength, rationale, rationale type), {size / 1e6:.1f} MB, written by "
        "xlsxwriter. Every run in its own process; medians of "
        f"{args.repeat} run(s), interleaved.",
        "",
        "| variant | median time | peak RSS (median) | runs (s) |",
        "|---|---|---|---|",
    ]
    labels = {"raw": "(a) raw python-calamine read of the sheet",
              "plan": "(b) plan_import: limits, read, checks, diff",
              "commit": "(c) commit_plan into an on-disk store (commit step only)"}
    for variant in variants:
        lines.append(f"| {labels[variant]} | {median(variant, 'seconds'):.2f} s | "
                     f"{median(variant, 'peak_rss_mb'):.0f} MB | "
                     + ", ".join(f"{r['seconds']:.2f}" for r in runs[variant]) + " |")
    ratio = median("plan", "seconds") / median("raw", "seconds")
    rss_ratio = median("plan", "peak_rss_mb") / median("raw", "peak_rss_mb")
    lines += ["", f"plan_import / raw read: **{ratio:.1f}x** the time, {rss_ratio:.1f}x the "
              "peak RSS."]
    if "commit" in runs:
        lines += [
            "",
            f"Commit variant, medians: reading the known state from the store "
            f"{median('commit', 'known_state_seconds'):.2f} s, plan "
            f"{median('commit', 'plan_seconds'):.2f} s, commit "
            f"{median('commit', 'seconds'):.2f} s for {median('commit', 'triples'):,.0f} "
            f"triples in the import graph; whole process peak RSS "
            f"{median('commit', 'peak_rss_mb'):.0f} MB.",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
