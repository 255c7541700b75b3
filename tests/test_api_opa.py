"""OPA's Data API semantics for paths: a well-formed path naming no rule is undefined (200
without `result`), a malformed one is 400 in the error shape; never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer


@pytest.mark.parametrize("path", [
    "crossgate/no_such_package",
    "crossgate/gate/deployment/no_such_rule",
    "no_such_root",
])
def test_a_path_naming_no_rule_is_undefined(server: LiveServer, path: str) -> None:
    with server.client("ci") as ci:
        for answer in (ci.get(f"/v1/data/{path}"),
                       ci.post(f"/v1/data/{path}", json={"input": {"x": 1}})):
            assert answer.status_code == 200, (path, answer.text)
            assert "result" not in answer.json()


def test_a_rule_path_answers_with_or_without_a_trailing_slash(server: LiveServer) -> None:
    with server.client("ci") as ci:
        plain = ci.get("/v1/data/crossgate/profiles/deployment/tiers")
        slash = ci.get("/v1/data/crossgate/profiles/deployment/tiers/")
    assert plain.status_code == slash.status_code == 200
    assert plain.json() == slash.json() == {"result": ["LOW", "MEDIUM", "HIGH", "CRITICAL"]}


@pytest.mark.parametrize("raw", [
    "/v1/data/0",
    "/v1/data/crossgate//gate",
    "/v1/data//",
    "/v1/data/crossgate/%00",
    "/v1/data/crossgate/a-b",
    "/v1/data/crossgate/gate%20x",
    "/v1/data/",
    "/v1/data/%E2%9C%93",
])
def test_a_malformed_path_is_400_in_the_error_shape(server: LiveServer, raw: str) -> None:
    headers = {"Authorization": f"Bearer {server.tokens['ci']}"}
    for method in ("GET", "POST"):
        # the raw target is sent as written (httpx would normalise "//" and "%00")
        request = httpx.Request(method, server.url + "/", headers=headers,
                                json={"input": {}} if method == "POST" else None)
        request.url = request.url.copy_with(raw_path=raw.encode())
        with httpx.Client(timeout=30) as client:
            answer = client.send(request)
        assert answer.status_code == 400, (method, raw, answer.status_code, answer.text)
        body = answer.json()
        assert body["code"] == "invalid_parameter" and body["errors"][0]["path"] == "path"
        assert "not a Rego identifier" in body["message"]


def test_a_decision_input_that_is_not_an_object_is_400(server: LiveServer) -> None:
    with server.client("ci") as ci:
        for value in (5, "x", [1]):
            answer = ci.post("/v1/data/crossgate/gate/deployment/decision", json={"input": value})
            assert answer.status_code == 400, (value, answer.text)
            assert answer.json()["errors"][0]["path"] == "$.input"
        bad = ci.post("/v1/data/crossgate/gate/deployment/decision",
                      json={"input": {"system": {"id": "s"}}})
        assert bad.status_code == 400
        assert any(e["path"] == "$.input.system.risk_tier" for e in bad.json()["errors"])


def test_a_decision_asked_through_the_data_api_is_recorded_at_the_servers_clock(
        fresh_server: LiveServer) -> None:
    from tests.candidates import current, promote, what_if

    path = "/v1/data/crossgate/gate/deployment/decision"
    with fresh_server.client("ci") as ci:
        before = len(promote(ci, current("high_pass")))
        refused = ci.post(path, json={"input": what_if("high_pass")})
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["path"] == "$.input.as_of"
        answer = ci.post(path, json={"input": current("high_pass")})
        assert answer.status_code == 200, answer.text
        decision = answer.json()["result"]
    assert decision["allow"] is True and decision["recorded"]["seq"] == before + 1
    assert decision["requested_by"] == {"name": "test ci", "role": "ci"}
    with fresh_server.client("auditor") as auditor:
        record = auditor.get(f"/v1/decisions/{decision['decision_id']}").json()
    assert record["output"]["requested_by"]["role"] == "ci"
