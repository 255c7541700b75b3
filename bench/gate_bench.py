"""Gate decision latency in-process and over HTTP, against a trivial endpoint on the same server.

    python bench/gate_bench.py                  # the full run (about 4 minutes on 2 cores)
    python bench/gate_bench.py --n 200 --rounds 4 --concurrent-seconds 5 --out /tmp/gate.md

What it does, in one run, on the shipped content (a fresh data directory seeded by Runtime):

1. In-process, per available engine (regorus; regopy if importable): `evaluate_decision` on the
   compiled shipped data with the normalised HIGH-tier candidate
   (tests/fixtures/candidates/high_pass.json); --n decisions for regorus, --regopy-n for regopy
   (seconds per decision on this content). Then a breakdown of one decision's parts (request
   validation, normalisation, engine input/eval/parse, response serialisation as FastAPI does it,
   a SQLite ledger append with synchronous=FULL) and of the engine time per policy package.
2. Over HTTP, against bench/bench_server.py (the real app + /bench/echo, uvicorn httptools +
   uvloop, as `crossgate serve`) with one keep-alive httpx client: echo (async), echo (sync, via
   the thread pool like the gate route), POST /v1/gate/decide?dry_run=true and the same recorded,
   --n each after a warm-up, interleaved in --rounds rounds whose order rotates, so drift hits all
   alike; also a "candidate echo" (the same 8 KB candidate validated as GateInput and returned)
   as the HTTP floor of a decision's payload. Median, p90, p99 and each median's ratio to the
   echo's; the server's own wall and CPU time per request (bench_server's x-bench-app-* headers).
   Then --profile-seconds of dry-run decisions under py-spy (when on PATH), grouped by frame.
3. Concurrency: --concurrency client threads (own keep-alive client each) sending up to
   --concurrent-requests requests per endpoint, each endpoint bounded to --concurrent-seconds.

Results go to --out (bench/results/gate.md). Everything under the line "<!-- notes -->" in an
existing results file (hand-written analysis) is kept. The goal checked: the HTTP decision's
median costs at most 3x the echo's.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "server"))

import httpx  # noqa: E402

CANDIDATE = REPO / "tests" / "fixtures" / "candidates" / "high_pass.json"
NOTES_MARK = "<!-- notes -->"
GOAL_RATIO = 3.0
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "httpx", "pydantic",
            "pydantic-core", "gordon-to-regorus", "regopy", "anyio")
LIB_RULES = ("coverage.counts", "coverage.frameworks", "coverage.warnings", "coverage.satisfied",
             "evidence.warnings", "evidence.violations", "evidence.needs", "evidence.unevidenced",
             "applicability.applicable", "jurisdiction.named_requirements", "approvals.violations",
             "findings.violations", "exceptions.violations", "context.ready")


# --- statistics -------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """Percentile p (0-100) by linear interpolation between closest ranks."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "median": statistics.median(ms) if ms else float("nan"),
            "p90": pct(ms, 90), "p99": pct(ms, 99), "max": max(ms) if ms else float("nan")}


def f(ms: float) -> str:
    return f"{ms:,.2f}" if ms < 100 else f"{ms:,.0f}"


def timed(fn: Callable[[], Any], n: int, cpu: list[float] | None = None) -> list[float]:
    """Wall ms of n calls; with cpu given, also this thread's CPU ms of each call into it."""
    out = []
    for _ in range(n):
        c = time.thread_time()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - c) * 1000)
    return out


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- in-process -------------------------------------------------------------------------------

def in_process(data_dir: Path, candidate: dict[str, Any], args: argparse.Namespace,
               log: Callable[[str], None]) -> dict[str, Any]:
    from pydantic import TypeAdapter

    from crossgate.config import Settings
    from crossgate.gate.input import GateInput, normalise
    from crossgate.ledger import LedgerEntry
    from crossgate.ledger.sqlite import SqliteLedger
    from crossgate.policy.engines import (
        RegorusEngine,
        available_engines,
        decision_path,
        evaluate_decision,
        make_engine,
    )
    from crossgate.runtime import Runtime

    out: dict[str, Any] = {"engines": {}, "parts": {}, "rules": {}}
    t = time.perf_counter()
    runtime = Runtime(Settings(data_dir=data_dir))
    out["seed_s"] = time.perf_counter() - t
    t = time.perf_counter()
    snapshot = runtime.policy()
    out["compile_s"] = time.perf_counter() - t
    out["data_bytes"] = {k: len(json.dumps(v)) for k, v in snapshot.data.items()}
    policies = list(snapshot.policies.files.items())
    normalised = normalise(GateInput.model_validate(candidate), None)
    out["input_bytes"] = len(json.dumps(normalised))
    from tests.candidates import promoted_history

    # The candidate's version as allowed at staging: the history a production decision reads.
    history = promoted_history(candidate)
    log(f"seeded in {out['seed_s']:.1f} s, compiled in {out['compile_s']:.2f} s; "
        f"data {sum(out['data_bytes'].values()):,} bytes of JSON")

    for name in available_engines():
        n = args.n if name == "regorus" else args.regopy_n
        if n <= 0:
            continue
        t = time.perf_counter()
        engine = make_engine(name, policies, snapshot.data)
        build_ms = (time.perf_counter() - t) * 1000
        warm = min(args.warmup, 20) if name == "regorus" else 0
        results: list[dict[str, Any]] = []

        def once(engine: Any = engine, results: list[dict[str, Any]] = results) -> None:
            results.append(evaluate_decision(engine, normalised, timeout_s=None, history=history))

        timed(once, warm)
        results.clear()
        log(f"in-process {name}: {n} decisions ...")
        cpu: list[float] = []
        ms = timed(once, n, cpu)
        allowed = sum(1 for r in results if r.get("allow") is True)
        errors = sum(1 for r in results if any(v.get("code") == "engine_error"
                                                for v in r.get("violations", [])))
        out["engines"][name] = {**summary(ms), "cpu": statistics.median(cpu), "build_ms": build_ms,
                                "allowed": allowed,
                                "engine_errors": errors,
                                "output_bytes": len(json.dumps(results[-1]))}
        log(f"  median {statistics.median(ms):.2f} ms, allow {allowed}/{n}")

    # Parts of one decision, each measured alone.
    k = args.breakdown_n
    body = json.dumps(candidate).encode()
    engine = RegorusEngine(policies, snapshot.data)
    text = json.dumps(normalised)
    raw = ""

    with_history = engine._engine_for(history)

    def eval_only() -> None:
        nonlocal raw
        raw = with_history.eval_query_as_json(f"data.{decision_path()}")

    with_history.set_input_json(text)
    eval_only()
    decision = evaluate_decision(engine, normalised, timeout_s=None, history=history)
    output = {"decision_id": "00000000-0000-0000-0000-000000000000", **decision,
              "revision": {"policy": snapshot.policy_revision, "data": snapshot.data_revision},
              "recorded": {"seq": 1, "hash": "0" * 64}, "elapsed_ms": 1.0}
    response = TypeAdapter(dict[str, Any])
    ledger_dir = Path(tempfile.mkdtemp(prefix="gate-bench-ledger-", dir=data_dir.parent))
    ledger = SqliteLedger(ledger_dir / "ledger.sqlite")
    counter = iter(range(10**9))

    def append() -> None:
        ledger.append(LedgerEntry(
            decision_id=f"bench-{next(counter)}", system_id="support-summarizer", gate="deployment",
            outcome="allow", policy_revision=snapshot.policy_revision,
            data_revision=snapshot.data_revision, input=normalised, output=output))

    parts: list[tuple[str, Callable[[], Any]]] = [
        ("request body: json.loads + GateInput validation",
         lambda: GateInput.model_validate(json.loads(body))),
        ("normalise()", lambda: normalise(GateInput.model_validate(candidate), None)),
        ("engine: json.dumps(input) + set_input_json",
         lambda: engine._engine.set_input_json(json.dumps(normalised))),
        ("engine: eval_query_as_json (the Rego evaluation)", eval_only),
        ("engine: json.loads(result)", lambda: json.loads(raw)),
        ("response: validate + dump_json as FastAPI does for dict[str, Any]",
         lambda: response.dump_json(response.validate_python(output))),
        ("ledger append (SQLite WAL, synchronous=FULL, own file)", append),
    ]
    log(f"breakdown: {k} of each part ...")
    for label, fn in parts:
        timed(fn, 3)
        cpu_parts: list[float] = []
        out["parts"][label] = {**summary(timed(fn, k, cpu_parts)), "cpu": statistics.median(cpu_parts)}
    ledger.close()
    shutil.rmtree(ledger_dir, ignore_errors=True)
    out["output_bytes"] = len(response.dump_json(output))

    # Engine time per policy package rule: each query evaluates the rule and what it needs.
    engine._engine.set_input_json(text)
    for rule in LIB_RULES:
        query = functools.partial(engine._engine.eval_query_as_json, f"data.crossgate.gate.lib.{rule}")
        timed(query, 1)
        cpu_rule: list[float] = []
        out["rules"][rule] = {**summary(timed(query, args.rule_n, cpu_rule)),
                              "cpu": statistics.median(cpu_rule)}
    runtime.close()
    return out


# --- HTTP -------------------------------------------------------------------------------------

ECHO = {"name": "bench", "n": 1, "tags": ["a", "b"]}


def start_bench_server(data_dir: Path, threads: int, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSGATE_")}
    process = subprocess.Popen(
        [sys.executable, str(HERE / "bench_server.py"), "--data-dir", str(data_dir),
         "--port", str(port), "--threads", str(threads)],
        stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bench server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"bench server not healthy in 90 s:\n{log_path.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Variant:
    def __init__(self, key: str, label: str, path: str, body: dict[str, Any],
                 params: dict[str, str] | None, auth: bool, check: Callable[[dict[str, Any]], bool]):
        self.key, self.label, self.path, self.body = key, label, path, body
        self.params, self.auth, self.check = params, auth, check
        self.ms: list[float] = []
        self.app_ms: list[float] = []
        self.app_cpu_ms: list[float] = []
        self.last_app_ms = self.last_app_cpu_ms = float("nan")
        self.server_ms: list[float] = []
        self.errors = 0

    def send(self, client: httpx.Client, token: str) -> tuple[float, float | None, bool]:
        """(round trip ms, the decision's elapsed_ms or None, answer as expected); the server's
        x-bench-app-ms and x-bench-app-cpu-ms of this request are left in self.last_app_ms and
        self.last_app_cpu_ms."""
        headers = {"Authorization": f"Bearer {token}"} if self.auth else None
        t = time.perf_counter()
        r = client.post(self.path, json=self.body, params=self.params, headers=headers)
        ms = (time.perf_counter() - t) * 1000
        ok = r.status_code == 200
        self.last_app_ms = float(r.headers.get("x-bench-app-ms", "nan"))
        self.last_app_cpu_ms = float(r.headers.get("x-bench-app-cpu-ms", "nan"))
        server = None
        if ok:
            doc = r.json()
            ok = self.check(doc)
            server = doc.get("elapsed_ms") if isinstance(doc, dict) else None
        return ms, server, ok


def variants(candidate: dict[str, Any]) -> list[Variant]:
    def allowed(doc: dict[str, Any]) -> bool:
        return doc.get("allow") is True and doc.get("recorded") is None

    def recorded(doc: dict[str, Any]) -> bool:
        return doc.get("allow") is True and isinstance(doc.get("recorded"), dict)

    # Every variant sends the token: the request edge refuses a body without one (401) before
    # any handler runs, so the echoes pay the same token check as the decisions.
    return [
        Variant("echo", "trivial echo, async handler (the ceiling)", "/bench/echo", ECHO, None,
                True, lambda d: d == ECHO),
        Variant("echo-sync", "trivial echo, sync handler (thread pool)", "/bench/echo-sync", ECHO,
                None, True, lambda d: d == ECHO),
        Variant("echo-gate", "candidate echo: GateInput in, its dump out, sync",
                "/bench/echo-gate", candidate, None, True,
                lambda d: d.get("system", {}).get("id") == candidate["system"]["id"]),
        Variant("dry", "POST /v1/gate/decide?dry_run=true (HIGH)", "/v1/gate/decide", candidate,
                {"dry_run": "true"}, True, allowed),
        Variant("recorded", "POST /v1/gate/decide, recorded (HIGH)", "/v1/gate/decide", candidate,
                None, True, recorded),
    ]


def sequential(url: str, token: str, vs: list[Variant], args: argparse.Namespace,
               deadline: float, log: Callable[[str], None]) -> dict[str, Any]:
    per_round = max(1, args.n // args.rounds)
    with httpx.Client(base_url=url, timeout=30) as client:
        for v in vs:  # warm-up: connection, thread pool, the per-thread engines
            for _ in range(args.warmup):
                v.send(client, token)
        rounds_done = 0
        by_round: list[dict[str, float]] = []
        for r in range(args.rounds):
            if time.monotonic() > deadline:
                log(f"sequential: time budget reached after {r} rounds")
                break
            order = vs[r % len(vs):] + vs[:r % len(vs)]
            this: dict[str, float] = {}
            for v in order:
                mine = []
                for _ in range(per_round):
                    ms, server, ok = v.send(client, token)
                    mine.append(ms)
                    v.app_ms.append(v.last_app_ms)
                    v.app_cpu_ms.append(v.last_app_cpu_ms)
                    if server is not None:
                        v.server_ms.append(server)
                    v.errors += not ok
                v.ms += mine
                this[v.key] = statistics.median(mine)
            by_round.append(this)
            rounds_done += 1
            log(f"  round {r + 1}/{args.rounds}: " + ", ".join(
                f"{v.key} {statistics.median(v.ms):.2f}" for v in vs) + " ms (running medians)")
    return {"rounds": rounds_done, "per_round": per_round, "by_round": by_round}


def concurrent(url: str, token: str, v: Variant, args: argparse.Namespace) -> dict[str, Any]:
    lock = threading.Lock()
    issued = 0
    ms: list[float] = []
    errors = 0
    stop_at = time.monotonic() + args.concurrent_seconds

    def worker() -> None:
        nonlocal issued, errors
        with httpx.Client(base_url=url, timeout=30) as client:
            v.send(client, token)  # connect + warm this connection
            while True:
                with lock:
                    if issued >= args.concurrent_requests or time.monotonic() > stop_at:
                        return
                    issued += 1
                try:
                    took, _server, ok = v.send(client, token)
                except httpx.HTTPError:
                    took, ok = float("nan"), False
                with lock:
                    if ok:
                        ms.append(took)
                    errors += not ok

    t = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        for fut in [pool.submit(worker) for _ in range(args.concurrency)]:
            fut.result()
    wall = time.perf_counter() - t
    return {**summary(ms), "wall_s": wall, "rps": len(ms) / wall if wall else 0.0,
            "errors": errors, "bounded": len(ms) + errors < args.concurrent_requests}


# --- profile of the server (py-spy) ----------------------------------------------------------

# (label, substrings of a collapsed stack), first match wins; order matters.
LOOP_IDLE = "Runner.run (asyncio/runners.py"  # the leaf frame while uvloop's C loop runs
CATEGORIES = (
    ("idle: worker threads waiting for work", ("Condition.wait", "Queue.get")),
    ("event loop thread inside uvloop's C loop (socket I/O, or waiting for I/O or the GIL)",
     ("\0loop",)),
    ("Rego evaluation (regorus, engine calls)", ("RegorusEngine.evaluate",)),
    ("ledger append (SQLite, fsync)", ("SqliteLedger.append",)),
    ("graph head check per decision (Runtime.policy -> store.head, SPARQL)", ("Runtime.policy",)),
    ("normalise()", ("normalise (",)),
    ("rest of decide() (uuid, output dict, evaluate_decision checks)", ("decide (",)),
    ("token lookup (sha256 + SQLite)", ("TokenStore.lookup",)),
    ("response validation + JSON serialisation (with its thread hand-off)",
     ("serialize_response", "dump_json", "JSONResponse", "render (")),
    ("request body read + JSON parse + GateInput validation", ("request_body_to_args", "Request.json",
                                                               "Request.body", "_get_body",
                                                               "validate_python")),
    ("metrics", ("Metrics.observe",)),
    ("rest of the request: uvicorn, middleware, routing, dependencies, thread hand-offs", ("",)),
)


def profile(pid: int, url: str, token: str, vs: list[Variant], seconds: float,
            tmp: Path) -> dict[str, Any]:
    spy = shutil.which("py-spy")
    if spy is None:
        return {"skipped": "py-spy is not on PATH (pip install py-spy)"}
    raw = tmp / "py-spy.txt"
    rate = 250
    dry = next(v for v in vs if v.key == "dry")
    recorder = subprocess.Popen(
        [spy, "record", "-p", str(pid), "-d", str(int(seconds) + 2), "-r", str(rate), "-f", "raw",
         "-o", str(raw)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(1.0)
    n = 0
    t = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as client:
        while time.monotonic() - t < seconds:
            dry.send(client, token)
            n += 1
    wall = time.monotonic() - t
    message = recorder.communicate(timeout=60)[0].decode(errors="replace")
    if not raw.exists():
        return {"skipped": f"py-spy failed: {message.strip()[-300:]}"}
    counts = dict.fromkeys((label for label, _ in CATEGORIES), 0)
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        total += int(number)
        if stack.rsplit(";", 1)[-1].startswith(LOOP_IDLE):
            stack = "\0loop"
        for label, needles in CATEGORIES:
            if any(needle in stack for needle in needles):
                counts[label] += int(number)
                break
    return {"rate": rate, "requests": n, "wall_s": wall, "samples": total, "counts": counts,
            "per_request_ms": wall * 1000 / n if n else float("nan")}


def profile_lines(p: dict[str, Any]) -> list[str]:
    if "skipped" in p:
        return ["", f"Profile skipped: {p['skipped']}."]
    idle = (CATEGORIES[0][0], CATEGORIES[1][0])
    busy = p["samples"] - sum(p["counts"][label] for label in idle)
    lines = [
        "",
        f"### Where the server's time goes (py-spy, {p['rate']} Hz, {p['wall_s']:.0f} s of "
        f"sequential dry-run decisions: {p['requests']} requests, {f(p['per_request_ms'])} ms each)",
        "",
        "Samples of the server's Python threads (py-spy without --idle), grouped by the first "
        "matching frame in the stack; the GIL lets one thread run at a time. Thread-ms per "
        "request = samples / rate / requests. The first two rows are mostly waiting and are "
        "left out of the shares.",
        "",
        "| where | share of busy samples | thread-ms per request |",
        "|---|---|---|",
    ]
    for label, count in p["counts"].items():
        share = "" if label in idle or not busy else f"{100 * count / busy:.1f}%"
        lines.append(f"| {label} | {share} | {f(count / p['rate'] / p['requests'] * 1000)} |")
    return lines


# --- report -----------------------------------------------------------------------------------

def render(facts: dict[str, Any], proc: dict[str, Any], http: dict[str, Any],
           conc: dict[str, dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    vs: list[Variant] = http["variants"]
    by = {v.key: v for v in vs}
    echo_med = statistics.median(by["echo"].ms)
    lines = [
        "# Gate decision latency: in-process, over HTTP, against a trivial endpoint",
        "",
        f"Command: `{command}`  ",
        f"Run {facts['when']} on {facts['nproc']} cores ({facts['machine']}), Python "
        f"{facts['python']}; " + ", ".join(f"{k} {v}" for k, v in facts["versions"].items()) + ".  ",
        f"Load average (1/5/15 min) at start: {facts['load_start']}; at end: {facts['load_end']} "
        "(other work shares this 2-core machine: compare ratios within the run, not absolute "
        f"times across runs). Whole run {facts['total_s']:.0f} s.",
        "",
        f"Content: the shipped content, compiled to {sum(proc['data_bytes'].values()):,} bytes of "
        "policy data (" + ", ".join(f"{k} {v:,}" for k, v in proc["data_bytes"].items()) + "). "
        f"Candidate: tests/fixtures/candidates/high_pass.json (HIGH tier, 23 pieces of evidence; "
        f"normalised input {proc['input_bytes']:,} bytes, decision response {proc['output_bytes']:,} "
        "bytes); every decision measured is an allow.",
        "",
        "## Over HTTP, one keep-alive client, sequential",
        "",
        f"bench/bench_server.py: the real app (`create_app`) plus /bench/echo routes, uvicorn with "
        f"httptools + uvloop, one process, {args.threads} worker threads, access log on (as "
        f"`crossgate serve`). {http['rounds']} interleaved rounds of {http['per_round']} requests per "
        f"endpoint after {args.warmup} warm-up requests each; the order rotates every round. "
        "Times are client round trips in ms. \"In the app\" is the server's own time from the "
        "request entering FastAPI to its response start (bench_server's x-bench-app-ms: routing, "
        "auth, body validation, handler, serialisation, thread hand-offs); \"decide()\" is the "
        "decision's `elapsed_ms` (normalise, engine, ledger); \"app CPU\" is the server process's "
        "CPU time over the same span as \"in the app\" (x-bench-app-cpu-ms), which load from "
        "other processes does not inflate.",
        "",
        "| endpoint | n | median | p90 | p99 | max | median / echo median "
        "| in the app, median | decide(), median | app CPU, median | app CPU / echo's | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    echo_cpu = statistics.median(by["echo"].app_cpu_ms)
    for v in vs:
        s = summary(v.ms)
        app = f(statistics.median(v.app_ms))
        server = f(statistics.median(v.server_ms)) if v.server_ms else ""
        cpu = statistics.median(v.app_cpu_ms)
        lines.append(f"| {v.label} | {s['n']:,} | {f(s['median'])} | {f(s['p90'])} | {f(s['p99'])} | "
                     f"{f(s['max'])} | {s['median'] / echo_med:.1f}x | {app} | {server} | {f(cpu)} | "
                     f"{cpu / echo_cpu:.0f}x | {v.errors} |")
    dry = statistics.median(by["dry"].ms) / echo_med
    rec = statistics.median(by["recorded"].ms) / echo_med
    met = dry <= GOAL_RATIO and rec <= GOAL_RATIO
    lines += [
        "",
        f"**Goal (HTTP decision median at most {GOAL_RATIO:g}x the trivial endpoint's): "
        f"{'met' if met else 'NOT met'}** — dry run {dry:.1f}x, recorded {rec:.1f}x the echo median "
        f"({f(echo_med)} ms). The echo's round trip is mostly client, socket and scheduling time "
        "on this busy machine, so this ratio moves between runs; the CPU columns do not.",
        "",
        "Median per round (ms), in the order the rounds ran:",
        "",
        "| round | " + " | ".join(v.key for v in vs) + " |",
        "|---|" + "---|" * len(vs),
    ]
    for i, row in enumerate(http["by_round"], 1):
        lines.append(f"| {i} | " + " | ".join(f(row[v.key]) for v in vs) + " |")
    if http.get("profile"):
        lines += profile_lines(http["profile"])
    lines += [
        "",
        "## In-process, per engine",
        "",
        "`evaluate_decision(make_engine(name, policies, data), normalised)` on the compiled "
        "shipped data, timeout off (so a slow engine's real time is measured rather than its "
        "timeout deny). Times in ms; CPU is the calling thread's CPU time (`time.thread_time`), "
        "which load from other processes does not inflate.",
        "",
        "| engine | decisions | median | p90 | p99 | max | CPU, median | engine build (ms) | allow "
        "| engine_error |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in proc["engines"].items():
        lines.append(f"| {name} | {s['n']:,} | {f(s['median'])} | {f(s['p90'])} | {f(s['p99'])} | "
                     f"{f(s['max'])} | {f(s['cpu'])} | {f(s['build_ms'])} | {s['allowed']}/{s['n']} "
                     f"| {s['engine_errors']} |")
    if "regopy" in proc["engines"]:
        rp = proc["engines"]["regopy"]
        lines += ["", f"regopy: only {rp['n']} decisions (--regopy-n), each takes seconds on this "
                  f"content. With the default engine timeout (CROSSGATE_ENGINE_TIMEOUT_S=2.0) "
                  f"{'every' if rp['p90'] / 1000 > 2 else 'a slow'} regopy decision here would be "
                  "discarded and denied as engine_error."]
    elif args.regopy_n > 0:
        lines += ["", "regopy is not importable here: not measured."]
    lines += [
        "",
        "## Where one decision's time goes (in-process, each part alone)",
        "",
        f"{args.breakdown_n} of each part, ms (CPU: this thread's CPU time; the ledger append "
        "waits for fsync, which is not CPU).",
        "",
        "| part | median | p99 | CPU, median |",
        "|---|---|---|---|",
    ]
    for label, s in proc["parts"].items():
        lines.append(f"| {label} | {f(s['median'])} | {f(s['p99'])} | {f(s['cpu'])} |")
    lines += [
        "",
        f"Engine time per policy rule ({args.rule_n} queries each of data.crossgate.gate.lib.<rule>; "
        "each query evaluates the rule and everything it depends on, so rows overlap: the full "
        "decision evaluates each rule once).",
        "",
        "| rule | median (ms) | CPU, median (ms) |",
        "|---|---|---|",
    ]
    for rule, s in proc["rules"].items():
        lines.append(f"| {rule} | {f(s['median'])} | {f(s['cpu'])} |")
    lines += [
        "",
        f"## Concurrency: {args.concurrency} client threads",
        "",
        f"Each endpoint alone: up to {args.concurrent_requests:,} requests, stopped after "
        f"{args.concurrent_seconds:g} s; one keep-alive connection per thread. Times in ms.",
        "",
        "| endpoint | requests | wall (s) | requests/s | median | p99 | errors | stopped by the time bound |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, c in conc.items():
        bounded = "yes" if c["bounded"] else "no"
        lines.append(f"| {by[key].label} | {c['n']:,} | {c['wall_s']:.1f} | {c['rps']:,.0f} | "
                     f"{f(c['median'])} | {f(c['p99'])} | {c['errors']} | {bounded} |")
    if http.get("verify"):
        vr = http["verify"]
        lines += ["", f"Ledger after the run: GET /v1/ledger/verify -> ok={vr.get('ok')}, "
                  f"count={vr.get('count')}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000,
                        help="requests per endpoint, and in-process regorus decisions")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--regopy-n", type=int, default=3)
    parser.add_argument("--breakdown-n", type=int, default=100)
    parser.add_argument("--rule-n", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--concurrent-requests", type=int, default=2000)
    parser.add_argument("--concurrent-seconds", type=float, default=10.0)
    parser.add_argument("--profile-seconds", type=float, default=10.0,
                        help="py-spy the server this long during dry-run decisions (0: off; "
                             "skipped when py-spy is not on PATH)")
    parser.add_argument("--budget-s", type=float, default=285.0,
                        help="stop sequential rounds when the whole run passes this")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "gate.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    started = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {msg}", flush=True)

    facts: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
        "machine": platform.machine(), "python": platform.python_version(),
        "versions": {p: version(p) for p in PACKAGES}, "load_start": loadavg(),
    }
    # Moved to today: recorded decisions are made at the server's clock and may not carry as_of.
    sys.path.insert(0, str(REPO))
    from tests.candidates import shifted

    candidate = shifted(json.loads(CANDIDATE.read_text()))
    tmp = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    data_dir = tmp / "data"
    process = None
    try:
        proc = in_process(data_dir, candidate, args, log)
        from crossgate.tokens import TokenStore

        tokens = TokenStore(data_dir / "tokens.sqlite")
        ci, auditor = tokens.create("ci", "gate bench"), tokens.create("auditor", "gate bench")
        tokens.close()
        log("starting bench server ...")
        process, url = start_bench_server(data_dir, args.threads, tmp / "server.log")
        from tests.candidates import promote

        with httpx.Client(base_url=url, timeout=120,
                          headers={"Authorization": f"Bearer {ci}"}) as client:
            promote(client, candidate)  # development and staging, so production is an allow
        vs = variants(candidate)
        log(f"sequential: {args.rounds} rounds x {args.n // args.rounds} per endpoint ...")
        http = sequential(url, ci, vs, args, started + args.budget_s - 4 * args.concurrent_seconds, log)
        http["variants"] = vs
        if args.profile_seconds > 0:
            log(f"profile: py-spy on the server for {args.profile_seconds:g} s of dry-run decisions ...")
            http["profile"] = profile(process.pid, url, ci, vs, args.profile_seconds, tmp)
        conc: dict[str, dict[str, Any]] = {}
        for key in ("echo", "dry", "recorded"):
            log(f"concurrent: {key} ...")
            conc[key] = concurrent(url, ci, next(v for v in vs if v.key == key), args)
        with httpx.Client(base_url=url, timeout=120,
                          headers={"Authorization": f"Bearer {auditor}"}) as client:
            http["verify"] = client.get("/v1/ledger/verify").json()
        stop(process)
        process = None
        facts["load_end"] = loadavg()
        facts["total_s"] = time.monotonic() - started
        script = Path(sys.argv[0]).resolve()
        shown = str(script.relative_to(REPO)) if script.is_relative_to(REPO) else sys.argv[0]
        command = " ".join(["python", shown, *sys.argv[1:]])
        text = render(facts, proc, http, conc, args, command)
        notes = ""
        if args.out.exists() and NOTES_MARK in args.out.read_text():
            notes = args.out.read_text().split(NOTES_MARK, 1)[1]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n" + NOTES_MARK + (notes or "\n"))
        print(text)
        log(f"wrote {args.out}")
    finally:
        if process is not None:
            stop(process)
        if args.keep:
            print(f"data directory kept: {data_dir}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
