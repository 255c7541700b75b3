"""Engine conformance: the same cases through every engine crossgate supports.

- every candidate of tests/fixtures/candidates (expected outcomes in expected.json) through each
  in-process engine (regorus, regopy), and the remote OPA engine against a local HTTP server
  that speaks OPA's Data API with regorus behind it;
- small probes of the Rego features and builtins the shipped policies rely on (and of a few
  they avoid on purpose), with the value OPA gives; where an engine is known to disagree the
  case is marked xfail with the reason, so this file documents the disagreements;
- threads: one regorus engine per worker thread through EnginePool;
- fail closed: broken policies, undefined or malformed results, raising engines, timeouts and
  an unreachable OPA all give allow=false with an engine_error violation.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crossgate.gate.input import normalise
from crossgate.policy.engines import (
    EngineError,
    EnginePool,
    OpaRemoteEngine,
    RegopyEngine,
    RegorusEngine,
    available_engines,
    decision_path,
    evaluate_decision,
    load_policies,
    make_engine,
)
from tests.candidates import what_if

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ROOT / "tests" / "fixtures" / "candidates"
DATA = json.loads((ROOT / "tests" / "fixtures" / "policy_data.json").read_text())
POLICIES = load_policies(ROOT / "rego")
EXPECTED: dict[str, dict[str, Any]] = json.loads((CANDIDATES / "expected.json").read_text())
ENGINES = available_engines()

# Candidate cases on which an engine is known to disagree with the expected outcome:
# {engine: {case: reason}}. Empty since the policies avoid the constructs listed in the probes.
KNOWN_DISAGREEMENTS: dict[str, dict[str, str]] = {"regorus": {}, "regopy": {}}

DECISION = decision_path("deployment")


def candidate_input(name: str) -> dict[str, Any]:
    return normalise(what_if(name))


@pytest.fixture(scope="module")
def engines() -> dict[str, Any]:
    built = {}
    for name in ENGINES:
        built[name] = RegorusEngine(POLICIES, DATA) if name == "regorus" else RegopyEngine(POLICIES, DATA)
    return built


_DECISIONS: dict[tuple[str, str], dict[str, Any]] = {}


def decide(engines: dict[str, Any], engine_name: str, case: str) -> dict[str, Any]:
    """A candidate's decision by an engine, computed once per test session (regopy is slow)."""
    key = (engine_name, case)
    if key not in _DECISIONS:
        _DECISIONS[key] = evaluate_decision(engines[engine_name], candidate_input(case), timeout_s=None)
    return _DECISIONS[key]


def test_every_candidate_file_has_an_expectation() -> None:
    files = {p.stem for p in CANDIDATES.glob("*.json")} - {"expected"}
    assert files == set(EXPECTED)


def test_regorus_is_available() -> None:
    assert "regorus" in ENGINES


def case_params() -> Iterator[Any]:
    for engine in ("regorus", "regopy"):
        for case in sorted(EXPECTED):
            marks = []
            if engine not in ENGINES:
                marks.append(pytest.mark.skip(reason=f"{engine} is not installed"))
            reason = KNOWN_DISAGREEMENTS[engine].get(case)
            if reason:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            yield pytest.param(engine, case, marks=marks, id=f"{engine}-{case}")


def check_expected(decision: dict[str, Any], case: str) -> None:
    expected = EXPECTED[case]
    assert decision["allow"] is expected["allow"], decision["violations"]
    assert sorted({v["code"] for v in decision["violations"]}) == expected["violations"]
    assert set(expected["warnings_include"]) <= {w["code"] for w in decision["warnings"]}


@pytest.mark.parametrize(("engine_name", "case"), list(case_params()))
def test_candidate_decisions(engines: dict[str, Any], engine_name: str, case: str) -> None:
    check_expected(decide(engines, engine_name, case), case)


@pytest.mark.skipif("regopy" not in ENGINES, reason="regopy is not installed")
def test_regopy_gives_the_same_whole_decisions_as_regorus(engines: dict[str, Any]) -> None:
    # Beyond allow and codes: every message, list order, coverage count and satisfied entry.
    different = []
    for case in sorted(EXPECTED):
        if case in KNOWN_DISAGREEMENTS["regopy"]:
            continue
        if decide(engines, "regorus", case) != decide(engines, "regopy", case):
            different.append(case)
    assert not different


def _rule_variants() -> dict[str, dict[str, Any]]:
    """Inputs that exercise the rules no candidate file triggers: future dates, one person in
    two roles, an exception over the profile's maximum and one on a blocking criterion."""
    future = what_if("high_pass")
    future["evidence"][3]["collected_at"] = "2026-11-15T00:05:01Z"
    future["approvals"][1]["approved_at"] = "2026-11-16T00:00:00Z"
    two_roles = what_if("high_pass")
    two_roles["approvals"][1]["approver"] = two_roles["approvals"][0]["approver"].upper()
    blocking = what_if("critical_pass")
    compliance = next(a["approver"] for a in blocking["approvals"] if a["role"] == "compliance")
    blocking["findings"].append({"id": "SEC-99", "severity": "critical", "status": "open"})
    blocking["exceptions"] = [
        {"item": "SEC-99", "approved_by": compliance, "risk_acceptance": "WAF rule until the fix.",
         "expires_at": "2026-12-01T00:00:00Z"},
        {"item": "ev:board_briefing", "approved_by": "cro@example.com", "risk_acceptance": "x",
         "approved_at": "2026-08-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z"},
    ]
    return {"future": future, "two_roles": two_roles, "blocking": blocking}


@pytest.mark.skipif("regopy" not in ENGINES, reason="regopy is not installed")
@pytest.mark.parametrize("variant", ["future", "two_roles", "blocking"])
def test_the_engines_agree_on_the_time_and_approval_rules(engines: dict[str, Any],
                                                          variant: str) -> None:
    inp = normalise(_rule_variants()[variant])
    ours = evaluate_decision(engines["regorus"], inp, timeout_s=None)
    theirs = evaluate_decision(engines["regopy"], inp, timeout_s=None)
    expected = {"future": "future_dated", "two_roles": "separation_of_duties",
                "blocking": "invalid_exception"}[variant]
    assert expected in {v["code"] for v in ours["violations"]}
    assert ours["allow"] is False
    assert ours == theirs


# --- probes -----------------------------------------------------------------------------------

PROBE_DATA = {"reach": {"a": {"r1": 1, "r2": 1}, "b": {"r3": 1}}}

# name -> (rules of package probe, expected value of data.probe.out per OPA; None = undefined)
PROBES: dict[str, tuple[str, Any]] = {
    "set_comprehension": ('out := {x | some x in [3, 1, 3]}', [1, 3]),
    "object_comprehension": ('out := {k: upper(k) | some k in ["a", "b"]}', {"a": "A", "b": "B"}),
    "every_over_object": ('out if {\n\tevery _, v in {"a": 1, "b": 1} { v == 1 }\n}', True),
    "set_algebra": ('out := [{1, 2, 3} - {2}, {1, 2} & {2, 3}, {1} | {2}]', [[1, 3], [2], [1, 2]]),
    "default_false_queried_directly": (
        'default out := false\nout if input.never == true', False),
    "undefined_rule": ('other := 1 if false', None),
    "function_with_else": (
        'f(x) := "big" if { x > 1 } else := "small"\nout := [f(1), f(2)]', ["small", "big"]),
    "multi_definition_function": ('f(x) := 1 if x == "a"\nf(x) := 2 if x == "b"\nout := [f("a"), f("b")]',
                                  [1, 2]),
    "partial_object_rule": ('o[k] := v if { some k in ["a"]; v := 1 }\nout := o', {"a": 1}),
    "object_get_default": ('out := [object.get({"a": 1}, "a", 0), object.get({}, "a", 0)]', [1, 0]),
    "string_builtins": (
        'out := [lower("CI@Example.COM"), trim_space("  x "), concat("; ", ["a", "b"]), '
        'startswith("euaia:art-9", "euaia:"), contains("a b", " ")]',
        ["ci@example.com", "x", "a; b", True, True]),
    "hex_digest_check": (
        'd := "aa5110967ca8b38648c632591771c0f7ace6a03eae0df887f819ff7ed239b4ed"\n'
        'out := [count(d), trim(d, "0123456789abcdef"), trim(upper(d), "0123456789abcdef") == ""]',
        [64, "", False]),
    "nanosecond_arithmetic": (
        'out := [1794700800000000000 - 1761955200000000000 <= 365 * 86400000000000, '
        'floor((1794700800000000000 - 1761955200000000000) / 86400000000000)]',
        [False, 379]),
    "format_int": ('out := format_int(379, 10)', "379"),
    "float_comparisons": ('out := [0.083 > 0.05, 0.048 >= 0.05 * (1 - 0.1), 0.02 >= 0.045]',
                          [True, True, False]),
    "iso_date_strings_compare": ('out := ["2026-12-31" < "2027-01-01", "2027-01-01" <= "2027-01-01"]',
                                 [True, True]),
    "max_min_of_strings": ('out := [max({"2027-12-02", "2026-01-01"}), min({"b", "a"})]',
                           ["2027-12-02", "a"]),
    "sort_strings_bytewise": ('out := sort(["b", "a-b", "C", "a", "euaia:art-26-6", "euaia:art-26"])',
                              ["C", "a", "a-b", "b", "euaia:art-26", "euaia:art-26-6"]),
    "sort_pairs": ('out := sort([["b", {"z": 1}], ["a", {"y": 2}]])', [["a", {"y": 2}], ["b", {"z": 1}]]),
    "array_concat": ('out := array.concat(["a"], ["b"])', ["a", "b"]),
    "key_bound_outside_comprehension": (
        'f(t) := {r | some r; links[r]} if {\n\tlinks := object.get(data.crossgate.reach, t, {})\n}\n'
        'out := f("a")',
        ["r1", "r2"]),
    # --- constructs the shipped policies avoid, with the engine that gets them wrong ---------
    "function_argument_as_key_inside_comprehension": (
        'f(t) := {r | some r; data.crossgate.reach[t][r]}\nout := f("a")', ["r1", "r2"]),
    "index_of_a_sorted_set": ('out := sort({"b", "a"})[0]', "a"),
    "key_value_iteration_inside_comprehension": ('out := {k | some k, _ in {"a": 1}}', ["a"]),
    "object_union_is_recursive": (
        'out := object.union({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}})', {"a": {"b": 3, "c": 2}}),
    "string_orders_after_null": ('out := "2026-01-01" > null', True),
    "newline_sorts_before_dash": ('out := sort(["a-b", "a\\nb"])', ["a\nb", "a-b"]),
    "prefix_sorts_first": ('out := ["a" < "a b", sort(["a b", "a"])]', [True, ["a", "a b"]]),
    "builtin_type_error_is_undefined": ('out := lower(null)', None),
    "time_parse_rfc3339_with_z": ('out := time.parse_rfc3339_ns("2026-11-01T09:00:00Z")',
                                  1793523600000000000),
    "float_printing": ('out := sprintf("%v", [0.1 + 0.2])', "0.30000000000000004"),
}

PROBE_DISAGREEMENTS: dict[str, dict[str, str]] = {
    "regorus": {
        "builtin_type_error_is_undefined":
            "regorus raises on a builtin type error (like opa eval --strict-builtin-errors); "
            "the policies check types before calling builtins on input",
    },
    "regopy": {
        "function_argument_as_key_inside_comprehension":
            "rego-cpp treats a function argument used as a key inside a comprehension as "
            "unbound and iterates every key",
        "index_of_a_sorted_set": "rego-cpp: indexing the array sort() returns for a set is undefined",
        "key_value_iteration_inside_comprehension":
            "rego-cpp rejects `some k, v in` inside a comprehension (Invalid collection)",
        "object_union_is_recursive": "rego-cpp's object.union drops the nested key",
        "string_orders_after_null": "rego-cpp orders a string below null",
        "newline_sorts_before_dash": "rego-cpp sorts a string holding \\n after one holding -",
        "prefix_sorts_first":
            "rego-cpp seems to compare strings with their closing quote, so \"a\" sorts after "
            "\"a b\"; the decision's sort keys end in a sentinel so no key is a prefix of another",
        "time_parse_rfc3339_with_z":
            "rego-cpp's time.parse_rfc3339_ns is undefined for a trailing Z (the normaliser "
            "sends +00:00 and nanoseconds instead)",
        "float_printing": "rego-cpp prints floats differently",
    },
}


def probe_params() -> Iterator[Any]:
    for engine in ("regorus", "regopy"):
        for name in PROBES:
            marks = []
            if engine not in ENGINES:
                marks.append(pytest.mark.skip(reason=f"{engine} is not installed"))
            reason = PROBE_DISAGREEMENTS[engine].get(name)
            if reason:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            yield pytest.param(engine, name, marks=marks, id=f"{engine}-{name}")


def normal(value: Any) -> Any:
    """Sets come back as arrays; compare them as sorted JSON."""
    return json.loads(json.dumps(value, sort_keys=True))


@pytest.mark.parametrize(("engine_name", "probe"), list(probe_params()))
def test_probe(engine_name: str, probe: str) -> None:
    rules, expected = PROBES[probe]
    policies = [("probe.rego", f"package probe\n\n{rules}\n")]
    engine_class = RegorusEngine if engine_name == "regorus" else RegopyEngine
    value = engine_class(policies, PROBE_DATA).evaluate("probe.out", {})
    assert normal(value) == normal(expected)


def test_rule_conflicts_are_errors_in_every_engine() -> None:
    policies = [("c.rego", "package c\n\nout := 1 if true\nout := 2 if true\n")]
    for name in ENGINES:
        engine_class = RegorusEngine if name == "regorus" else RegopyEngine
        with pytest.raises(EngineError):
            engine_class(policies, {}).evaluate("c.out", {})


# --- threads ----------------------------------------------------------------------------------

def test_engine_pool_gives_each_thread_its_own_regorus_engine() -> None:
    pool = EnginePool(lambda: RegorusEngine(POLICIES, DATA))
    inp = candidate_input("high_pass")
    reference = json.dumps(RegorusEngine(POLICIES, DATA).evaluate(DECISION, inp), sort_keys=True)
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(50):
                results.append(json.dumps(evaluate_decision(pool, inp, timeout_s=None), sort_keys=True))
        except BaseException as exc:  # a PanicException would be a BaseException
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 200
    assert set(results) == {reference}
    assert pool.created == 4


def test_a_regorus_engine_used_from_another_thread_is_an_engine_error() -> None:
    engine = RegorusEngine(POLICIES, DATA)
    caught: list[BaseException] = []

    def work() -> None:
        try:
            engine.evaluate(DECISION, candidate_input("low_pass"))
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert len(caught) == 1
    assert isinstance(caught[0], EngineError)


def test_make_engine_returns_engines_safe_across_threads() -> None:
    engine = make_engine("regorus", POLICIES, DATA)
    inp = candidate_input("low_pass")
    out: list[bool] = []
    thread = threading.Thread(target=lambda: out.append(evaluate_decision(engine, inp)["allow"]))
    thread.start()
    thread.join()
    assert out == [True]
    assert evaluate_decision(engine, inp)["allow"] is True


# --- fail closed ------------------------------------------------------------------------------

def assert_engine_error(decision: dict[str, Any], fragment: str = "") -> None:
    assert decision["allow"] is False
    assert [v["code"] for v in decision["violations"]] == ["engine_error"]
    assert fragment in decision["violations"][0]["message"]
    assert set(decision) >= {"allow", "tier", "violations", "warnings", "waived", "satisfied",
                             "missing", "coverage", "deployment_strategy"}


class FakeEngine:
    name = "fake"

    def __init__(self, result: Any = None, error: BaseException | None = None, delay: float = 0.0):
        self.result, self.error, self.delay = result, error, delay

    def evaluate(self, query_path: str, input: dict[str, Any],
                 history: dict[str, Any] | None = None) -> Any:
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.result


GOOD = {"allow": True, "tier": "LOW", "violations": [], "warnings": [], "waived": [],
        "satisfied": {}, "missing": [], "coverage": {}, "deployment_strategy": "direct"}


def test_broken_policies_fail_to_load_with_an_engine_error() -> None:
    broken = [("broken.rego", "package crossgate.gate.deployment\n\ndecision := {\n")]
    for name in ENGINES:
        with pytest.raises(EngineError):
            make_engine(name, broken, DATA)


def test_a_pool_whose_engine_cannot_be_built_denies() -> None:
    broken = [("broken.rego", "package crossgate.gate.deployment\n\ndecision := {\n")]
    pool = EnginePool(lambda: RegorusEngine(broken, DATA))
    assert_engine_error(evaluate_decision(pool, candidate_input("low_pass")), "could not load")


@pytest.mark.parametrize("engine_name", ENGINES)
def test_an_undefined_decision_denies(engine_name: str) -> None:
    # Input that is not normalised (no as_of_ns): the policies leave the decision undefined.
    engine = make_engine(engine_name, POLICIES, DATA)
    raw = {k: v for k, v in candidate_input("low_pass").items() if k != "as_of_ns"}
    assert_engine_error(evaluate_decision(engine, raw, timeout_s=None), "undefined")


@pytest.mark.parametrize("engine_name", ENGINES)
def test_an_error_during_evaluation_denies(engine_name: str) -> None:
    conflict = [("c.rego", "package crossgate.gate.deployment\n\ndecision := {\"allow\": true} if true\n"
                           "decision := {\"allow\": false} if true\n")]
    engine = make_engine(engine_name, conflict, DATA)
    assert_engine_error(evaluate_decision(engine, candidate_input("low_pass"), timeout_s=None))


@pytest.mark.parametrize(("result", "fragment"), [
    (None, "undefined"),
    (42, "not an object"),
    ({**GOOD, "allow": "yes"}, "not a boolean"),
    ({**GOOD, "violations": "none"}, "violations"),
    ({**GOOD, "violations": [{"code": "missing_evidence", "item": "x"}]}, "yet lists violations"),
    ({**GOOD, "allow": False}, "without giving a reason"),
    ({"allow": True, "violations": []}, "lacks"),
])
def test_malformed_results_deny(result: Any, fragment: str) -> None:
    assert_engine_error(evaluate_decision(FakeEngine(result), {"system": {"risk_tier": "LOW"}}), fragment)


@pytest.mark.parametrize("error", [
    EngineError("boom"), RuntimeError("boom"), ValueError("boom"), BaseException("panic-like boom"),
])
def test_a_raising_engine_denies(error: BaseException) -> None:
    decision = evaluate_decision(FakeEngine(error=error), {"system": {"risk_tier": "HIGH"}})
    assert_engine_error(decision, "boom")
    assert decision["tier"] == "HIGH"


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt):
        evaluate_decision(FakeEngine(error=KeyboardInterrupt()), {})


def test_a_late_in_process_decision_is_discarded() -> None:
    decision = evaluate_decision(FakeEngine(GOOD, delay=0.05), {}, timeout_s=0.01)
    assert_engine_error(decision, "over the 0.01 s limit")
    assert evaluate_decision(FakeEngine(GOOD, delay=0.0), {}, timeout_s=1.0)["allow"] is True


def test_unknown_engine_and_bad_paths_are_engine_errors() -> None:
    with pytest.raises(EngineError):
        make_engine("wasm", POLICIES, DATA)
    with pytest.raises(EngineError):
        RegorusEngine(POLICIES, DATA).evaluate("crossgate.gate.deployment.decision; true", {})
    with pytest.raises(EngineError):
        make_engine("opa", POLICIES, DATA, opa_url=None)


# --- remote OPA -------------------------------------------------------------------------------

class FakeOpa(ThreadingHTTPServer):
    """A tiny OPA: POST /v1/data/<path> {"input": ...} -> {"result": ...}, or {} when undefined."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), OpaHandler)
        self.pool = EnginePool(lambda: RegorusEngine(POLICIES, DATA))
        self.delay = 0.0
        self.fail_with: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out closed the socket: nothing to report


class OpaHandler(BaseHTTPRequestHandler):
    server: FakeOpa

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(self.server.delay)
        if self.server.fail_with:
            self.reply(self.server.fail_with, {"code": "internal_error", "message": "policy error"})
            return
        if not self.path.startswith("/v1/data/"):
            self.reply(404, {"code": "not_found"})
            return
        path = self.path.removeprefix("/v1/data/").strip("/").replace("/", ".")
        try:
            value = self.server.pool.evaluate(path, body.get("input"))
        except EngineError as exc:
            self.reply(500, {"code": "internal_error", "message": exc.reason})
            return
        self.reply(200, {} if value is None else {"result": value})

    def reply(self, status: int, body: dict[str, Any]) -> None:
        blob = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(blob)))
        self.end_headers()
        self.wfile.write(blob)


@pytest.fixture()
def opa() -> Iterator[FakeOpa]:
    server = FakeOpa()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_remote_opa_gives_the_expected_decisions(opa: FakeOpa) -> None:
    engine = make_engine("opa", POLICIES, DATA, opa_url=opa.url, timeout_s=5.0)
    reference = RegorusEngine(POLICIES, DATA)
    for case in sorted(EXPECTED):
        inp = candidate_input(case)
        decision = evaluate_decision(engine, inp, timeout_s=None)
        check_expected(decision, case)
        assert decision == evaluate_decision(reference, inp, timeout_s=None)


def test_remote_opa_undefined_denies(opa: FakeOpa) -> None:
    engine = OpaRemoteEngine(opa.url, timeout_s=5.0)
    assert engine.evaluate("crossgate.gate.nothing.here", {}) is None
    raw = {k: v for k, v in candidate_input("low_pass").items() if k != "as_of"}
    assert_engine_error(evaluate_decision(engine, raw, timeout_s=None), "undefined")


def test_remote_opa_http_errors_deny(opa: FakeOpa) -> None:
    opa.fail_with = 500
    decision = evaluate_decision(OpaRemoteEngine(opa.url, timeout_s=5.0), candidate_input("low_pass"))
    assert_engine_error(decision, "HTTP 500")


def test_remote_opa_timeout_denies(opa: FakeOpa) -> None:
    opa.delay = 1.0
    started = time.monotonic()
    decision = evaluate_decision(OpaRemoteEngine(opa.url, timeout_s=0.2), candidate_input("low_pass"),
                                 timeout_s=None)
    assert time.monotonic() - started < 0.9
    assert_engine_error(decision, "did not answer within 0.2 s")


def test_remote_opa_connection_refused_denies() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    decision = evaluate_decision(OpaRemoteEngine(f"http://127.0.0.1:{port}", timeout_s=1.0),
                                 candidate_input("low_pass"))
    assert_engine_error(decision, "unreachable")


# --- the normalised input every engine sees ---------------------------------------------------

def raw_candidate(name: str = "high_pass") -> dict[str, Any]:
    return what_if(name)


def test_normalise_adds_instants_and_renders_utc() -> None:
    raw = raw_candidate("medium_stale_evaluation")
    inp = normalise(raw)
    assert inp["as_of"] == "2026-11-15"
    assert inp["as_of_ns"] == 1794700800000000000
    piece = next(e for e in inp["evidence"] if e["type"] == "ev:evaluation_results")
    # "2026-09-01T12:30:00+02:00" in the candidate
    assert piece["collected_at"] == "2026-09-01T10:30:00+00:00"
    assert piece["collected_at_ns"] == 1788258600000000000
    assert all(e["collected_at"].endswith("+00:00") for e in inp["evidence"])
    assert inp["approvals"][0]["approved_at_ns"] == 1794528000000000000 + 10 * 3600 * 10**9


def test_normalise_keeps_sub_second_precision() -> None:
    raw = raw_candidate("low_pass")
    raw["evidence"][0]["collected_at"] = "2026-11-01T09:00:00.123456Z"
    inp = normalise(raw)
    assert inp["evidence"][0]["collected_at_ns"] == 1793523600123456000
    assert inp["evidence"][0]["collected_at"] == "2026-11-01T09:00:00.123456+00:00"


def test_normalise_lowercases_identities_and_codes() -> None:
    raw = raw_candidate("high_open_critical_finding")
    raw["system"]["jurisdictions"] = ["eu", "us-co"]
    inp = normalise(raw)
    assert inp["release"]["deployer"] == "ci@example.com"
    assert inp["approvals"][0]["approver"] == "j.rivera@example.com"
    assert inp["findings"][0] == {"id": "SEC-12", "severity": "critical", "status": "open"}
    assert inp["system"]["jurisdictions"] == ["EU", "US-CO"]
    assert inp["system"]["regulatory_notifications_required"] is False


def test_the_decision_time_is_the_clock_unless_a_what_if_date_is_given() -> None:
    from datetime import UTC, datetime

    from crossgate.gate.input import GateInput, decision_time

    raw = raw_candidate("low_pass")
    clock = datetime(2027, 1, 1, 13, 45, 7, 250000, tzinfo=UTC)
    # A what-if date means 00:00 UTC of that day, whatever the clock says.
    assert decision_time(GateInput.model_validate(raw), clock) == (
        datetime(2026, 11, 15, tzinfo=UTC), True)
    assert normalise(raw, clock)["as_of_ns"] == 1794700800000000000
    del raw["as_of"]
    # Without it, the clock's instant (not its midnight) is the decision time.
    assert decision_time(GateInput.model_validate(raw), clock) == (clock, False)
    inp = normalise(raw, clock)
    assert inp["as_of"] == "2027-01-01"
    assert inp["as_of_ns"] == 1798811107250000000
    assert normalise(raw)["as_of"] == datetime.now(UTC).date().isoformat()


@pytest.mark.parametrize(("change", "where"), [
    (lambda c: c["system"].update(owner="x"), ("system", "owner")),
    (lambda c: c["evidence"][0].update(note="x"), ("evidence", 0, "note")),
    (lambda c: c.update(extra=True), ("extra",)),
    (lambda c: c["system"].update(risk_tier="SEVERE"), ("system", "risk_tier")),
    (lambda c: c["evidence"][0].update(collected_at="2026-11-01T09:00:00"), ("evidence", 0, "collected_at")),
    (lambda c: c["evidence"][0].update(metrics={"x": True}), ("evidence", 0, "metrics", "x")),
    (lambda c: c.update(as_of="2026-11-15T00:00:00Z"), ("as_of",)),
    (lambda c: c.update(as_of=1794700800), ("as_of",)),
    (lambda c: c.update(as_of="9999-12-31"), ("as_of",)),
    (lambda c: c["system"].update(personal_data="true"), ("system", "personal_data")),
    (lambda c: c["system"].update(user_facing=1), ("system", "user_facing")),
    (lambda c: c["system"].update(risk_tier=2), ("system", "risk_tier")),
    (lambda c: c["system"].update(id=42), ("system", "id")),
    (lambda c: c["release"].update(version=1.4), ("release", "version")),
    (lambda c: c["evidence"][0].update(collected_at=1793523600), ("evidence", 0, "collected_at")),
    (lambda c: c["approvals"][0].update(approved_at=1793523600.5), ("approvals", 0, "approved_at")),
    (lambda c: c["evidence"][0].update(metrics={"x": "0.03"}), ("evidence", 0, "metrics", "x")),
    (lambda c: c["evidence"][0].update(collected_at="9999-12-31T23:59:59-05:00"),
     ("evidence", 0, "collected_at")),
    (lambda c: c["evidence"][0].update(collected_at="0001-01-01T00:00:00+05:00"),
     ("evidence", 0, "collected_at")),
    (lambda c: c["evidence"][0].update(collected_at="2262-01-01T00:00:00Z"),
     ("evidence", 0, "collected_at")),
    (lambda c: c["evidence"][0].update(collected_at="1678-01-01T00:00:00+00:01"),
     ("evidence", 0, "collected_at")),
])
def test_bad_input_is_rejected_with_its_path(change: Any, where: tuple[Any, ...]) -> None:
    from pydantic import ValidationError

    from crossgate.gate.input import GateInput

    raw = raw_candidate("low_pass")
    change(raw)
    with pytest.raises(ValidationError) as info:
        GateInput.model_validate(raw)
    assert any(tuple(e["loc"][:len(where)]) == where for e in info.value.errors()), info.value.errors()


def test_duplicate_evidence_ids_are_rejected() -> None:
    from pydantic import ValidationError

    raw = raw_candidate("low_pass")
    raw["evidence"].append(dict(raw["evidence"][0]))
    with pytest.raises(ValidationError, match="more than once"):
        normalise(raw)
