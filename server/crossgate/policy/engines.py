"""Rego engines behind one interface, and a gate decision that fails closed.

An engine is built from policies (a list of (filename, Rego text)) and the policy data document
(docs/policy-data.md), which every engine mounts at `data.crossgate`. `evaluate(path, input, history)`
returns the JSON value of the rule at `path` (e.g. "crossgate.gate.deployment.decision"), or
None when it is undefined; every failure raises `EngineError`. `history`, when given, is the
history document (crossgate.gate.history) the evaluation sees at `data.crossgate.history`; it
changes with every recorded decision, so it is laid over the loaded data per evaluation instead
of being loaded with it.

- `RegorusEngine`: gordon-to-regorus (Rust, in process; the default). A regorus Engine is
  pinned to the thread that created it (using it from another thread panics), so `make_engine`
  wraps it in an `EnginePool` that gives each thread its own copy.
- `RegopyEngine`: regopy (Microsoft's rego-cpp bindings, in process). Slower, and the process
  crashed when several threads used it, so every call holds one lock.
- `OpaRemoteEngine`: a remote OPA server through its REST Data API (POST /v1/data/{path}). The
  server is expected to hold the same bundle (GET /bundles/... serves it).

`evaluate_decision` turns whatever happens into a decision: an exception, a timeout, an
undefined or malformed result all give `allow: false` with one `engine_error` violation.
In-process engines cannot be interrupted (regorus holds the GIL while it evaluates), so their
timeout is a deadline checked when evaluation returns: a late decision is discarded and denied.
The remote engine has a hard timeout (the HTTP request is abandoned).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx

DATA_ROOT = "crossgate"
ENGINE_NAMES = ("regorus", "regopy", "opa")
DEFAULT_TIMEOUT_S = 2.0

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_FATAL = (KeyboardInterrupt, SystemExit, GeneratorExit)

Policies = Sequence[tuple[str, str]]


class EngineError(Exception):
    """An engine could not produce a value; `reason` says why, in one line."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Engine(Protocol):
    name: str

    def evaluate(self, query_path: str, input: dict[str, Any],
                 history: dict[str, Any] | None = None) -> Any | None:
        """The JSON value at data.<query_path> for this input (and history document, when
        given); None when undefined."""
        ...


def decision_path(gate: str = "deployment") -> str:
    return f"{DATA_ROOT}.gate.{gate}.decision"


def rule_path(query_path: str) -> str:
    """"crossgate.gate.x" or "data.crossgate.gate.x" -> "crossgate.gate.x", checked."""
    path = query_path.removeprefix("data.")
    if not _PATH.match(path):
        raise EngineError(f"not a rule path: {query_path!r}")
    return path


def load_policies(rego_dir: Path, include_tests: bool = False) -> list[tuple[str, str]]:
    """(relative filename, text) of every .rego under rego_dir, sorted by name."""
    return [
        (str(p.relative_to(rego_dir)), p.read_text())
        for p in sorted(rego_dir.rglob("*.rego"))
        if include_tests or not p.name.endswith("_test.rego")
    ]


def _short(error: BaseException) -> str:
    """The first useful part of an engine's error message (regorus appends a Rust backtrace)."""
    text = str(error).split("Stack backtrace:")[0].strip() or type(error).__name__
    text = " ".join(text.split())
    return text if len(text) <= 600 else text[:597] + "..."


class RegorusEngine:
    """gordon-to-regorus 0.13.0 (import regorus). Use only on the thread that created it."""

    name = "regorus"

    def __init__(self, policies: Policies, data: dict[str, Any]):
        try:
            import regorus
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise EngineError(f"regorus is not installed: {exc}") from exc
        self._owner = threading.get_ident()
        try:
            self._engine = regorus.Engine()
            for filename, text in policies:
                self._engine.add_policy(filename, text)
            self._engine.add_data_json(json.dumps({DATA_ROOT: data}))
        except _FATAL:
            raise
        except BaseException as exc:  # PanicException is a BaseException
            raise EngineError(f"regorus could not load the policies or data: {_short(exc)}") from exc
        self._with_history: tuple[str, Any] | None = None  # (history JSON, engine holding it)

    def _engine_for(self, history: dict[str, Any] | None) -> Any:
        """The base engine, or a clone of it with the history document added (a clone shares
        the loaded policies and data: microseconds, measured)."""
        if history is None:
            return self._engine
        text = json.dumps({DATA_ROOT: {"history": history}}, sort_keys=True)
        if self._with_history is None or self._with_history[0] != text:
            engine = self._engine.clone()
            engine.add_data_json(text)
            self._with_history = (text, engine)
        return self._with_history[1]

    def evaluate(self, query_path: str, input: dict[str, Any],
                 history: dict[str, Any] | None = None) -> Any | None:
        path = rule_path(query_path)
        if threading.get_ident() != self._owner:
            raise EngineError("a regorus engine was used from a thread other than its own")
        try:
            engine = self._engine_for(history)
            engine.set_input_json(json.dumps(input))
            answer = json.loads(engine.eval_query_as_json(f"data.{path}"))
        except _FATAL:
            raise
        except BaseException as exc:
            raise EngineError(f"regorus: {_short(exc)}") from exc
        results = answer.get("result") or []
        if not results:
            return None
        return results[0]["expressions"][0]["value"]


class EnginePool:
    """One engine per thread, built on first use by `factory`; itself an Engine.

    Building an engine parses the policies and loads the data again (a few milliseconds for
    the shipped policies); worker threads are long-lived, so this happens once per thread.
    """

    def __init__(self, factory: Callable[[], Engine]):
        self._factory = factory
        self._local = threading.local()
        self._lock = threading.Lock()
        self._created = 0
        self.name = getattr(factory, "engine_name", None) or "pool"

    @property
    def created(self) -> int:
        """How many engines the pool has built (one per thread that used it)."""
        return self._created

    def engine(self) -> Engine:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._factory()
            self._local.engine = engine
            with self._lock:
                self._created += 1
            self.name = engine.name
        return engine

    def evaluate(self, query_path: str, input: dict[str, Any],
                 history: dict[str, Any] | None = None) -> Any | None:
        try:
            engine = self.engine()
        except EngineError:
            raise
        except _FATAL:
            raise
        except BaseException as exc:
            raise EngineError(f"could not build an engine: {_short(exc)}") from exc
        return engine.evaluate(query_path, input, history)


class RegopyEngine:
    """regopy 1.5.2 (Microsoft's rego-cpp bindings). Thread-safe by serialising every call.

    Each query path is compiled once into a rego-cpp bundle (about a fifth faster per decision
    than interpreting the query afresh).
    """

    name = "regopy"

    def __init__(self, policies: Policies, data: dict[str, Any]):
        try:
            import regopy
        except ImportError as exc:
            raise EngineError(
                f"regopy is not installed (pip install 'crossgate[regopy]'): {exc}") from exc
        self._lock = threading.Lock()
        self._bundles: dict[str, Any] = {}
        try:
            self._interpreter = regopy.Interpreter()
            for filename, text in policies:
                self._interpreter.add_module(filename, text)
            self._interpreter.add_data_json(json.dumps({DATA_ROOT: data}))
        except _FATAL:
            raise
        except BaseException as exc:
            raise EngineError(f"regopy could not load the policies or data: {_short(exc)}") from exc

    def _bundle(self, path: str) -> Any:
        bundle = self._bundles.get(path)
        if bundle is None:
            # Query through a binding: rego-cpp reports a rule whose value is false as
            # undefined when the rule itself is the query.
            bundle = self._interpreter.build(f"x := data.{path}")
            self._bundles[path] = bundle
        return bundle

    def evaluate(self, query_path: str, input: dict[str, Any],
                 history: dict[str, Any] | None = None) -> Any | None:
        path = rule_path(query_path)
        with self._lock:
            try:
                self._interpreter.set_input_term(json.dumps(input))
                if history is None:
                    output = self._interpreter.query_bundle(self._bundle(path))
                else:
                    # An interpreter cannot be cloned: the history is laid over the data for
                    # this query only (JSON is a Rego term).
                    output = self._interpreter.query(
                        f"x := data.{path} with data.{DATA_ROOT}.history as {json.dumps(history)}")
                text = str(output)
                if not output.ok():
                    raise EngineError(f"regopy: {_short(Exception(text))}")
                # Touching the result of an undefined query aborts the process: check first.
                if text.strip() == "undefined" or len(output) == 0:
                    return None
                return json.loads(output.binding("x").json())
            except EngineError:
                raise
            except _FATAL:
                raise
            except BaseException as exc:
                raise EngineError(f"regopy: {_short(exc)}") from exc


class OpaRemoteEngine:
    """A remote OPA server, through POST {url}/v1/data/{path} with {"input": ...}."""

    name = "opa"

    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S,
                 client: httpx.Client | None = None):
        if not url:
            raise EngineError("the opa engine needs a URL (CROSSGATE_OPA_URL)")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout_s))

    def evaluate(self, query_path: str, input: dict[str, Any],
                 history: dict[str, Any] | None = None) -> Any | None:
        # A remote OPA reads the history the bundle it polls carries (at most one poll behind).
        path = rule_path(query_path)
        endpoint = f"{self.url}/v1/data/{path.replace('.', '/')}"
        try:
            response = self._client.post(endpoint, json={"input": input}, timeout=self.timeout_s)
        except httpx.TimeoutException as exc:
            raise EngineError(f"opa at {self.url} did not answer within {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise EngineError(f"opa at {self.url} is unreachable: {_short(exc)}") from exc
        if response.status_code != 200:
            raise EngineError(
                f"opa at {self.url} answered HTTP {response.status_code}: {_short(Exception(response.text))}")
        try:
            body = response.json()
        except ValueError as exc:
            raise EngineError(f"opa at {self.url} answered with something other than JSON") from exc
        if not isinstance(body, dict):
            raise EngineError(f"opa at {self.url} answered with a JSON {type(body).__name__}, not an object")
        return body.get("result")  # no "result" key: the document is undefined

    def close(self) -> None:
        self._client.close()


def make_engine(name: str, policies: Policies, data: dict[str, Any],
                opa_url: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> Engine:
    """An engine by name (CROSSGATE_ENGINE), safe to call from any thread.

    In-process engines load the policies now, so broken policies raise EngineError here.
    """
    policies = list(policies)
    if name == "regorus":
        RegorusEngine(policies, data)  # fail now, in the caller, if the policies do not load

        def factory() -> Engine:
            return RegorusEngine(policies, data)

        factory.engine_name = "regorus"  # type: ignore[attr-defined]
        return EnginePool(factory)
    if name == "regopy":
        return RegopyEngine(policies, data)
    if name == "opa":
        return OpaRemoteEngine(opa_url or "", timeout_s=timeout_s)
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")


def available_engines(names: Iterable[str] = ("regorus", "regopy")) -> list[str]:
    """In-process engines whose package can be imported here."""
    found = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            continue
        found.append(name)
    return found


# --- decisions -----------------------------------------------------------------------------

DECISION_KEYS = ("allow", "tier", "violations", "warnings", "waived", "satisfied", "missing",
                 "coverage", "deployment_strategy")


def engine_error_decision(reason: str, input: dict[str, Any] | None = None,
                          engine_name: str = "engine") -> dict[str, Any]:
    """The deny decision given when no trustworthy decision could be made."""
    tier = None
    if isinstance(input, dict) and isinstance(input.get("system"), dict):
        tier = input["system"].get("risk_tier")
    return {
        "allow": False,
        "tier": tier,
        "violations": [{
            "code": "engine_error",
            "item": engine_name,
            "message": f"No decision could be made, so the release is denied: {reason}",
            "remediation": "Retry; if it persists, check the engine, the policies and the policy "
                           "data, and the crossgate logs.",
            "requirements": [],
        }],
        "warnings": [],
        "waived": [],
        "satisfied": {},
        "missing": [],
        "coverage": {},
        "deployment_strategy": None,
    }


def _problem(result: Any) -> str | None:
    """Why a policy result is not a usable decision, or None when it is."""
    if result is None:
        return ("the policy returned no decision (undefined): is the input normalised and "
                "is the gate profile in the data?")
    if not isinstance(result, dict):
        return f"the policy returned a {type(result).__name__}, not an object"
    if not isinstance(result.get("allow"), bool):
        return "the decision's allow is not a boolean"
    violations = result.get("violations")
    if not isinstance(violations, list) or not all(
            isinstance(v, dict) and isinstance(v.get("code"), str) for v in violations):
        return "the decision's violations are not a list of objects with a code"
    if result["allow"] and violations:
        return "the decision allows the release yet lists violations"
    if not result["allow"] and not violations:
        return "the decision denies the release without giving a reason"
    missing = [k for k in DECISION_KEYS if k not in result]
    if missing:
        return f"the decision lacks {', '.join(missing)}"
    return None


def evaluate_decision(engine: Engine, input: dict[str, Any], gate: str = "deployment",
                      timeout_s: float | None = DEFAULT_TIMEOUT_S,
                      history: dict[str, Any] | None = None) -> dict[str, Any]:
    """The gate decision for a normalised input; never raises, never fails open."""
    name = getattr(engine, "name", "engine")
    started = time.monotonic()
    try:
        result = engine.evaluate(decision_path(gate), input, history)
    except EngineError as exc:
        return engine_error_decision(exc.reason, input, name)
    except _FATAL:
        raise
    except BaseException as exc:  # an engine bug must still deny
        return engine_error_decision(f"{name} failed: {_short(exc)}", input, name)
    elapsed = time.monotonic() - started
    if timeout_s is not None and elapsed > timeout_s:
        return engine_error_decision(
            f"{name} took {elapsed:.3f} s, over the {timeout_s:g} s limit", input, name)
    problem = _problem(result)
    if problem is not None or not isinstance(result, dict):
        return engine_error_decision(f"{name}: {problem}", input, name)
    return result
