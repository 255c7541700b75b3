"""Per-decision latency of each Rego engine, side by side, on the fixture policy data.

    python bench/engines.py                       # 1000 decisions per engine (regopy: ~10 min)
    python bench/engines.py --n 200 --engines regorus --out /tmp/engines.md
    python bench/engines.py --data /path/to/compiled.json   # another policy data document
    python bench/engines.py --opa-url http://127.0.0.1:8181 # also a real OPA with the bundle

Each engine decides the normalised HIGH-tier candidate (tests/fixtures/candidates/high_pass.json)
with the policy data of tests/fixtures/policy_data.json through `evaluate_decision`, the path the
product takes (engine call, result checks). Warm-up decisions first; then --n timed decisions,
one at a time. "opa-local" is the remote engine against an OPA Data API server on 127.0.0.1
with regorus behind it (HTTP round trip + JSON both ways + regorus), to show what the HTTP hop
costs; --opa-url adds a real OPA (which must hold the same bundle). Results go to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "server"))

from crossgate.gate.input import normalise  # noqa: E402
from crossgate.policy.engines import (  # noqa: E402
    DEFAULT_TIMEOUT_S,
    EngineError,
    EnginePool,
    OpaRemoteEngine,
    RegorusEngine,
    available_engines,
    evaluate_decision,
    load_policies,
    make_engine,
)

CANDIDATE = REPO / "tests" / "fixtures" / "candidates" / "high_pass.json"
DATA = REPO / "tests" / "fixtures" / "policy_data.json"
PACKAGES = ("gordon-to-regorus", "regopy", "httpx", "pydantic")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    """The commit the run started from, marked "+changes" when rego/ or the engines differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "rego", "server/crossgate/policy"],
                               cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


class _Handler(BaseHTTPRequestHandler):
    server: _LocalOpa

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path.removeprefix("/v1/data/").strip("/").replace("/", ".")
        try:
            value = self.server.pool.evaluate(path, body.get("input"))
            status, reply = 200, ({} if value is None else {"result": value})
        except EngineError as exc:
            status, reply = 500, {"code": "internal_error", "message": exc.reason}
        blob = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(blob)))
        self.end_headers()
        self.wfile.write(blob)


class _LocalOpa(ThreadingHTTPServer):
    """OPA's Data API on 127.0.0.1 with regorus behind it."""

    daemon_threads = True

    def __init__(self, policies: list[tuple[str, str]], data: dict[str, Any]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pool = EnginePool(lambda: RegorusEngine(policies, data))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def measure(engine: Any, normalised: dict[str, Any], n: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        evaluate_decision(engine, normalised, timeout_s=None)
    times: list[float] = []
    allowed = errors = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        decision = evaluate_decision(engine, normalised, timeout_s=None)
        times.append((time.perf_counter() - t) * 1000)
        allowed += decision["allow"] is True
        errors += any(v["code"] == "engine_error" for v in decision["violations"])
    wall = time.perf_counter() - started
    return {
        "n": n, "median": statistics.median(times), "p99": percentile(times, 99),
        "mean": statistics.fmean(times), "min": min(times), "max": max(times),
        "per_s": n / wall, "cpu_ms": (time.process_time() - cpu_started) * 1000 / n,
        "allowed": allowed, "errors": errors, "decision": decision,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="timed decisions per engine (default 1000)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--engines", default="regorus,regopy,opa-local",
                        help="comma-separated: regorus, regopy, opa-local")
    parser.add_argument("--opa-url", help="also measure a real OPA server holding the crossgate bundle")
    parser.add_argument("--data", type=Path, default=DATA, help="policy data document (JSON)")
    parser.add_argument("--candidate", type=Path, default=CANDIDATE)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "engines.md")
    args = parser.parse_args()

    policies = load_policies(REPO / "rego")
    data = json.loads(args.data.read_text())
    normalised = normalise(json.loads(args.candidate.read_text()))
    wanted = [e.strip() for e in args.engines.split(",") if e.strip()]
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    revision = git_revision()
    load_before = load_average()
    rows: dict[str, dict[str, Any]] = {}
    server = None
    for name in wanted + (["opa"] if args.opa_url else []):
        if name in ("regorus", "regopy") and name not in available_engines():
            print(f"{name}: not installed, skipped", file=sys.stderr)
            continue
        t = time.perf_counter()
        if name == "opa-local":
            server = _LocalOpa(policies, data)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            engine: Any = OpaRemoteEngine(server.url, timeout_s=DEFAULT_TIMEOUT_S)
        elif name == "opa":
            engine = OpaRemoteEngine(args.opa_url, timeout_s=DEFAULT_TIMEOUT_S)
        else:
            engine = make_engine(name, policies, data)
        build_ms = (time.perf_counter() - t) * 1000
        print(f"{name}: {args.n} decisions ...", file=sys.stderr, flush=True)
        result = measure(engine, normalised, args.n, args.warmup)
        result["build_ms"] = build_ms
        rows[name] = result
        print(f"  median {result['median']:.2f} ms, p99 {result['p99']:.2f} ms", file=sys.stderr)
    if server is not None:
        server.shutdown()

    decisions = {name: json.dumps(r.pop("decision"), sort_keys=True) for name, r in rows.items()}
    reference = decisions.get("regorus")
    lines = [
        "# Rego engines: per-decision latency",
        "",
        f"Command: `python bench/engines.py --n {args.n}" + (f" --engines {args.engines}" if args.engines
                                                             != parser.get_default("engines") else "")
        + (f" --data {args.data}" if args.data != DATA else "") + "`  ",
        f"Run {started_at} at commit {revision} on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, " + ", ".join(f"{p} {version(p)}" for p in PACKAGES) + ".  ",
        f"Load average (1 min) before / after: {load_before} / {load_average()} (other work shares "
        "the machine; compare engines within one run rather than across runs).",
        "",
        f"Input: the normalised HIGH-tier candidate `{args.candidate.relative_to(REPO)}` "
        f"({len(normalised['evidence'])} pieces of evidence, EU + US-CO, provider and deployer); "
        f"data: `{args.data.name}` ({len(data.get('requirements', {}))} requirements, "
        f"{len(data.get('evidence_reach', {}))} evidence types with reach, "
        f"{len(data.get('profiles', {}).get('deployment', {}).get('items', []))} deployment items). "
        f"Each figure is over {args.n} sequential decisions through `evaluate_decision` after "
        f"{args.warmup} warm-up decisions.",
        "",
        "| engine | median (ms) | p99 (ms) | mean (ms) | min (ms) | CPU per decision (ms) | decisions/s | "
        "load policies + data (ms) | allow | same decision as regorus |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        same = "—" if name == "regorus" or reference is None else (
            "yes" if decisions[name] == reference else "NO")
        lines.append(
            f"| {name} | {r['median']:.2f} | {r['p99']:.2f} | {r['mean']:.2f} | {r['min']:.2f} | "
            f"{r['cpu_ms']:.2f} | {r['per_s']:.0f} | {r['build_ms']:.0f} | {r['allowed']}/{r['n']} "
            f"| {same} |")
    if "regorus" in rows:
        base = rows["regorus"]["median"]
        ratios = ", ".join(f"{name} {r['median'] / base:.1f}x"
                           for name, r in rows.items() if name != "regorus")
        if ratios:
            lines += ["", f"Median relative to regorus: {ratios}."]
    lines += [
        "",
        "CPU per decision is the process's CPU time divided by the decisions (for opa-local it "
        "includes the local server's thread, which runs in the same process). regorus holds the "
        "GIL while it evaluates, so decisions in one process do not run in parallel; regopy is "
        "serialised by a lock.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
