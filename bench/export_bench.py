"""Crosswalk xlsx export: our writer against raw xlsxwriter, same cells, same run.

    python bench/export_bench.py                     # 2,000 x 2,000, 200,000 mappings, 3 runs
    python bench/export_bench.py --rows 500 --cols 500 --mappings 20000 --repeat 1

Every run is its own subprocess (`--child VARIANT`), which reports its wall time and its peak
RSS (getrusage of itself, so runs do not see each other's peaks). Variants, run interleaved:

- ours:             write_crosswalk_xlsx (matrix, legend, detail, coverage)
- raw-workbook:     xlsxwriter constant_memory writing the same matrix cells and the same
                    detail rows, with no formats, neutralisation, legend or coverage
- ours-matrix-only: write_crosswalk_xlsx(include_detail=False)
- raw-matrix:       xlsxwriter constant_memory writing only the same matrix cells

Mappings come from one seeded generator, row by row (what a SPARQL `ORDER BY` gives), so the
raw writers can write them as they arrive; ours does not rely on that order. Results go to
bench/results/export.md.
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
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))

from crossgate.sheets.export_matrix import cell_text, write_crosswalk_xlsx  # noqa: E402
from crossgate.sheets.export_model import (  # noqa: E402
    DETAIL_COLUMNS,
    RELATIONS,
    CrosswalkMapping,
    CrosswalkView,
    Framework,
    Requirement,
    detail_values,
)

VARIANTS = ("ours", "raw-workbook", "ours-matrix-only", "raw-matrix")
PAIRS = (("ours", "raw-workbook"), ("ours-matrix-only", "raw-matrix"))


def requirements(n: int, prefix: str, word: str) -> list[Requirement]:
    return [Requirement(f"{prefix}:{word[:3].upper()}-{i:05d}",
                        f"{word} requirement {i}: keep records of the system's operation")
            for i in range(n)]


def mappings(rows: list[Requirement], cols: list[Requirement], n: int,
             seed: int = 20261123) -> Iterator[CrosswalkMapping]:
    """About n mappings, row by row, each row's targets distinct and in column order."""
    rng = random.Random(seed)
    names = list(RELATIONS)
    per_row, extra = divmod(n, len(rows))
    k = 0
    for i, row in enumerate(rows):
        for j in sorted(rng.sample(range(len(cols)), per_row + (i < extra))):
            derived = k % 10 == 0
            yield CrosswalkMapping(
                row.id, cols[j].id, names[k % len(names)], rng.randrange(11),
                rationale=f"Both require logging of automated decisions (case {k}).",
                rationale_type="semantic", author="legal@example.com",
                created=date(2026, 10, 1 + k % 28), source_doc="eu-crosswalk.xlsx",
                import_id="imp-000042", sheet="mappings", row=k + 2, derived=derived,
                path=(row.id, cols[(j + 1) % len(cols)].id, cols[j].id) if derived else ())
            k += 1


def view(args: argparse.Namespace) -> CrosswalkView:
    rows = requirements(args.rows, "src", "Source")
    cols = requirements(args.cols, "tgt", "Target")
    return CrosswalkView(Framework("fw:src", "Source framework"),
                         Framework("fw:tgt", "Target framework"), rows, cols,
                         mappings(rows, cols, args.mappings), revision="bench",
                         generated_at=datetime(2026, 11, 23, tzinfo=UTC))


def raw_write(v: CrosswalkView, path: str, detail: bool) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    matrix = wb.add_worksheet("matrix")
    sheet = wb.add_worksheet("detail") if detail else None
    for j, col in enumerate(v.target_requirements):
        matrix.write_string(0, 2 + j, col.id)
        matrix.write_string(1, 2 + j, col.title)
    if sheet is not None:
        for c, name in enumerate(DETAIL_COLUMNS):
            sheet.write_string(0, c, name)
    row_index = {r.id: i for i, r in enumerate(v.source_requirements)}
    col_index = {c.id: j for j, c in enumerate(v.target_requirements)}
    written = -1
    for n, m in enumerate(v.mappings, start=1):
        i = row_index[m.source]
        while written < i:  # row titles, in order, up to this mapping's row
            written += 1
            matrix.write_string(2 + written, 0, v.source_requirements[written].id)
            matrix.write_string(2 + written, 1, v.source_requirements[written].title)
        matrix.write_string(2 + i, 2 + col_index[m.target],
                            cell_text(m.relation, m.strength, m.derived))
        if sheet is not None:
            for c, value in enumerate(detail_values(m)):
                if isinstance(value, int):
                    sheet.write_number(n, c, value)
                elif value:
                    sheet.write_string(n, c, value)
    for i in range(written + 1, len(v.source_requirements)):
        matrix.write_string(2 + i, 0, v.source_requirements[i].id)
        matrix.write_string(2 + i, 1, v.source_requirements[i].title)
    wb.close()


def child(args: argparse.Namespace) -> None:
    v = view(args)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.xlsx")
        start = time.perf_counter()
        if args.child == "ours":
            write_crosswalk_xlsx(v, path)
        elif args.child == "ours-matrix-only":
            write_crosswalk_xlsx(v, path, include_detail=False)
        else:
            raw_write(v, path, detail=args.child == "raw-workbook")
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_kb": peak, "before_kb": before, "bytes": size}))


def run_child(variant: str, args: argparse.Namespace, mappings_n: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", variant, "--rows", str(args.rows),
           "--cols", str(args.cols), "--mappings", str(mappings_n or args.mappings)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--cols", type=int, default=2000)
    parser.add_argument("--mappings", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "export.md"))
    parser.add_argument("--no-scaling", action="store_true",
                        help="skip the peak-memory-by-mapping-count runs")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for rep in range(args.repeat):
        for variant in VARIANTS:  # interleaved, so drift in machine load hits all alike
            result = run_child(variant, args)
            runs[variant].append(result)
            print(f"run {rep + 1}/{args.repeat} {variant:17s} {result['seconds']:7.2f} s "
                  f"peak {result['peak_kb'] / 1024:6.1f} MB", file=sys.stderr)
    med = {v: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for v, rs in runs.items()}

    scaling = []
    if not args.no_scaling:
        for n in (args.mappings // 4, args.mappings // 2, args.mappings):
            result = run_child("ours", args, n)
            scaling.append((n, result))
            print(f"scaling ours {n:8d} mappings peak {result['peak_kb'] / 1024:6.1f} MB",
                  file=sys.stderr)

    write_report(args, runs, med, scaling, (load_before, os.getloadavg()[0]))


def write_report(args, runs, med, scaling, load) -> None:
    mb = 1024.0
    lines = [
        "# Crosswalk xlsx export benchmark",
        "",
        f"Command: `python bench/export_bench.py --rows {args.rows} --cols {args.cols} "
        f"--mappings {args.mappings} --repeat {args.repeat}`  ",
        f"Run {datetime.now(UTC).date().isoformat()} on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, xlsxwriter {_version('xlsxwriter')}. Each run is a "
        "fresh subprocess; figures are medians of the runs; peak RSS is the process's own "
        "(`getrusage`), \"before\" is its RSS after imports and building the requirement "
        "lists, just before writing. Load average (1 min) at start / end: "
        f"{load[0]:.1f} / {load[1]:.1f} (other work shares the machine: ratios of the "
        "interleaved runs are steadier than absolute times).",
        "",
        f"{args.rows:,} source x {args.cols:,} target requirements, {args.mappings:,} mappings "
        "(10% derived), streamed from a generator row by row.",
        "",
        "| variant | writes | time (s) | runs (s) | peak RSS (MB) | before (MB) | file (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    writes = {
        "ours": "matrix + legend + detail + coverage, formats, neutralised",
        "raw-workbook": "same matrix cells + same detail rows, plain",
        "ours-matrix-only": "matrix + legend + coverage, formats, neutralised",
        "raw-matrix": "same matrix cells, plain",
    }
    for v in VARIANTS:
        m = med[v]
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs[v])
        lines.append(f"| {v} | {writes[v]} | {m['seconds']:.2f} | {each} | "
                     f"{m['peak_kb'] / mb:.1f} | {m['before_kb'] / mb:.1f} | "
                     f"{m['bytes'] / 1e6:.1f} |")
    lines += ["", "Ratios: of the medians, and the median of the per-run ratios (each run of ours "
                  "is paired with the raw run right after it).", "",
              "| ours / raw | time ratio of medians | median of paired time ratios | "
              "peak RSS ratio | RSS added while writing (MB), ours / raw |",
              "|---|---|---|---|---|"]
    for ours, raw in (*PAIRS, ("ours", "raw-matrix")):
        o, r = med[ours], med[raw]
        paired = statistics.median(a["seconds"] / b["seconds"]
                                   for a, b in zip(runs[ours], runs[raw], strict=True))
        lines.append(
            f"| {ours} / {raw} | {o['seconds'] / r['seconds']:.2f} | {paired:.2f} | "
            f"{o['peak_kb'] / r['peak_kb']:.2f} | "
            f"{(o['peak_kb'] - o['before_kb']) / mb:.1f} / "
            f"{(r['peak_kb'] - r['before_kb']) / mb:.1f} |")
    if scaling:
        lines += ["", "Peak RSS of `ours` by number of mappings (one run each, same matrix "
                      "size): memory grows with the mappings held for the matrix (one shared "
                      "small int per mapping in a dict per row), not with rows x columns.", "",
                  "| mappings | time (s) | peak RSS (MB) | added while writing (MB) |",
                  "|---|---|---|---|"]
        for n, res in scaling:
            lines.append(f"| {n:,} | {res['seconds']:.2f} | {res['peak_kb'] / mb:.1f} | "
                         f"{(res['peak_kb'] - res['before_kb']) / mb:.1f} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _version(module: str) -> str:
    from importlib.metadata import version

    return version(module)


if __name__ == "__main__":
    main()
