"""CI report formats over real decisions of a real server: each format read back by a real
parser (junitparser for JUnit XML, the official SARIF 2.1.0 schema through jsonschema), for allow,
deny, waived and engine-error decisions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import junitparser
import pytest

from crossgate.reports import FORMATS, Report
from crossgate.reports.codes import VIOLATIONS, WARNINGS
from crossgate.reports.github import summary
from tests.conftest import REPO, LiveServer, free_port, start_server, stop_server
from tests.schemas import sarif_schema

CANDIDATES = REPO / "tests" / "fixtures" / "candidates"
CASES = {"allow": "high_pass", "deny": "high_missing_red_team", "waived": "high_waived_red_team"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def decide(server: LiveServer, name: str) -> Report:
    path = CANDIDATES / f"{name}.json"
    text = path.read_text()
    with server.client("ci") as ci:
        answer = ci.post("/v1/gate/decide", params={"dry_run": "true"}, content=text,
                         headers={"Content-Type": "application/json"})
    answer.raise_for_status()
    return Report(answer.json(), json.loads(text), str(path.relative_to(REPO)), text)


@pytest.fixture(scope="module")
def reports(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Report]]:
    out = {case: decide(server, name) for case, name in CASES.items()}
    # An engine error for real: the remote OPA it is told to use is not there.
    broken = start_server(tmp_path_factory.mktemp("no-opa") / "data", env={
        "CROSSGATE_ENGINE": "opa", "CROSSGATE_OPA_URL": f"http://127.0.0.1:{free_port()}"})
    try:
        out["engine_error"] = decide(broken, "high_pass")
    finally:
        stop_server(broken)
    assert out["allow"].allow and not out["deny"].allow and out["waived"].allow
    assert [v["code"] for v in out["engine_error"].violations] == ["engine_error"]
    assert out["waived"].waived
    yield out


def test_text_puts_the_reason_first_and_fits_a_screen(reports: dict[str, Report]) -> None:
    deny = reports["deny"]
    assert len(deny.warnings) > 30, "the case this format exists for: many warnings"
    lines = FORMATS["text"](deny).splitlines()
    assert len(lines) <= 15, lines
    assert lines[0].startswith("DENY  support-summarizer 1.4.0")
    assert lines[1].strip() == "x missing_evidence  ev:red_team_exercise"
    assert lines[3].strip().startswith("fix: Commission a red-team exercise")
    upcoming = next(line for line in lines if "obligations upcoming" in line)
    total = sum(1 for w in deny.warnings if w["code"] == "upcoming_obligation")
    assert upcoming.strip().startswith(f"! {total} obligations upcoming")
    assert f"--warnings to list all {len(deny.warnings)}" in "\n".join(lines)
    assert "not recorded" in lines[-1]
    listed = FORMATS["text"](deny, all_warnings=True).splitlines()
    assert len(listed) >= len(deny.warnings)
    assert not ANSI.search("\n".join(lines))
    coloured = FORMATS["text"](deny, colour=True)
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == "\n".join(lines) + "\n"


def test_text_of_allow_waived_and_engine_error(reports: dict[str, Report]) -> None:
    assert FORMATS["text"](reports["allow"]).startswith("ALLOW  support-summarizer")
    waived = FORMATS["text"](reports["waived"])
    assert "~ waived ev:red_team_exercise" in waived
    broken = FORMATS["text"](reports["engine_error"])
    assert broken.startswith("DENY") and "engine_error" in broken.splitlines()[1]


def junit(report: Report) -> junitparser.TestSuite:
    xml = junitparser.JUnitXml.fromstring(FORMATS["junit"](report).encode())
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    assert len(suites) == 1, "one testsuite per gate decision"
    return suites[0]


def outcome(case: junitparser.TestCase) -> str:
    results = case.result
    if not results:
        return "passed"
    kinds = {type(r).__name__.lower() for r in results}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def test_junit_deny_fails_the_missing_item_only(reports: dict[str, Report]) -> None:
    suite = junit(reports["deny"])
    cases = {case.name: case for case in suite}
    failed = [name for name, case in cases.items() if outcome(case) == "failure"]
    assert failed == ["ev:red_team_exercise"]
    failure = cases["ev:red_team_exercise"].result[0]
    assert failure.type == "missing_evidence" and "fix: Commission" in failure.text
    assert suite.failures == 1 and suite.errors == 0 and suite.tests == len(cases)
    assert suite.name == "crossgate deployment gate: support-summarizer 1.4.0"


def test_junit_allow_waived_and_engine_error(reports: dict[str, Report]) -> None:
    allow = junit(reports["allow"])
    assert allow.failures == 0 and allow.errors == 0 and allow.tests >= 1
    assert all(outcome(case) == "passed" for case in allow)
    waived = {case.name: outcome(case) for case in junit(reports["waived"])}
    assert waived["ev:red_team_exercise"] == "skipped"
    broken = junit(reports["engine_error"])
    assert broken.errors == 1 and broken.failures == 0
    assert [outcome(case) for case in broken if outcome(case) != "passed"] == ["error"]


@pytest.mark.parametrize("case", ["allow", "deny", "waived", "engine_error"])
def test_sarif_is_valid_sarif_2_1_0(reports: dict[str, Report], case: str) -> None:
    report = reports[case]
    log = json.loads(FORMATS["sarif"](report))
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    (run,) = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert sorted(rules) == sorted({v["code"] for v in report.violations}), "one rule per code"
    assert len(run["results"]) == len(report.violations), "one result per violation"
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == report.candidate_path
        assert location["region"]["startLine"] >= 1
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"] and rule["shortDescription"]["text"]


def test_sarif_points_at_the_line_naming_the_item(reports: dict[str, Report]) -> None:
    report = reports["engine_error"]
    assert report.line_of("no such thing") == 1
    deny = reports["deny"]
    text = deny.candidate_text or ""
    line = deny.line_of("ev:adversarial_test_suite")
    assert '"ev:adversarial_test_suite"' in text.splitlines()[line - 1]


COMMAND = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:\n]*(,[a-z]+=[^,:\n]*)*)?::[^\n]*$")


@pytest.mark.parametrize("case", ["allow", "deny", "waived", "engine_error"])
def test_github_workflow_commands(reports: dict[str, Report], case: str) -> None:
    report = reports[case]
    lines = FORMATS["github"](report).splitlines()
    assert all(COMMAND.match(line) for line in lines), lines
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == len(report.violations)
    warnings = [line for line in lines if line.startswith("::warning")]
    assert len(warnings) == len(report.warning_groups()) <= 5, "warnings folded by kind"
    markdown = summary(report)
    assert markdown.startswith(f"## {'✅' if report.allow else '❌'} crossgate deployment gate")
    for v in report.violations:
        assert f"`{v['code']}`" in markdown


def test_every_code_the_policies_emit_has_help() -> None:
    emitted: set[str] = {"engine_error"}
    for path in Path(REPO / "rego").rglob("*.rego"):
        if path.name.endswith("_test.rego"):
            continue
        text = path.read_text()
        emitted |= set(re.findall(r'"code": "([a-z_]+)"', text))
        emitted |= set(re.findall(r'need_problems contains \[need, "([a-z_]+)"', text))
        for listed in re.findall(r"codes: \[([a-z_, ]+)\]", text):
            emitted |= {c.strip() for c in listed.split(",")}
    assert {"missing_evidence", "stale_evidence", "open_finding"} <= emitted
    assert emitted <= set(VIOLATIONS) | set(WARNINGS), emitted - set(VIOLATIONS) - set(WARNINGS)


def test_json_format_is_the_decision(reports: dict[str, Report]) -> None:
    report = reports["deny"]
    decision: dict[str, Any] = json.loads(FORMATS["json"](report))
    assert decision == report.decision
