"""`crossgate gate check` as a pipeline runs it, against a real server: formats written where
asked, exit codes (0 allow, 1 deny, 2 bad input, 3 gate down), colour only on a terminal; and
the shipped GitHub Action and GitLab CI template, their scripts run by bash as the CI systems
would run them."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import junitparser
import pytest
import yaml

from tests.conftest import REPO, LiveServer, free_port
from tests.schemas import sarif_schema

CANDIDATES = REPO / "tests" / "fixtures" / "candidates"
BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def check(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crossgate.cli", "gate", "check", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          cwd=cwd, timeout=120)


def remote(server: LiveServer) -> list[str]:
    return ["--server", server.url, "--token", server.tokens["ci"], "--dry-run"]


def test_exit_codes(server: LiveServer, tmp_path: Path) -> None:
    allow = check(str(CANDIDATES / "high_pass.json"), *remote(server))
    assert allow.returncode == 0, allow.stderr
    assert allow.stdout.startswith("ALLOW")
    strict = check(str(CANDIDATES / "high_pass.json"), *remote(server), "--fail-on", "warnings")
    assert strict.returncode == 1, "an allow with warnings fails when warnings fail the job"
    deny = check(str(CANDIDATES / "high_missing_red_team.json"), *remote(server))
    assert deny.returncode == 1 and deny.stdout.startswith("DENY")
    assert len(deny.stdout.splitlines()) <= 15
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gate": "deployment", "system": {"id": "x"}}))
    refused = check(str(bad), *remote(server))
    assert refused.returncode == 2 and "$.system.risk_tier" in refused.stderr
    wrong_token = check(str(CANDIDATES / "high_pass.json"), "--server", server.url, "--token",
                        "cg_nope")
    assert wrong_token.returncode == 2 and "401" in wrong_token.stderr
    down = check(str(CANDIDATES / "high_pass.json"), "--server",
                 f"http://127.0.0.1:{free_port()}", "--token", "x", "--retries", "1",
                 "--timeout", "2")
    assert down.returncode == 3, down.stderr
    assert "after 2 tries" in down.stderr and "not allowed" in down.stderr
    assert down.stdout == "", "nothing that could pass for a verdict"
    unknown = check(str(CANDIDATES / "high_pass.json"), *remote(server), "--format", "pdf")
    assert unknown.returncode == 2 and "junit" in unknown.stderr


def test_several_reports_in_one_call(server: LiveServer, tmp_path: Path) -> None:
    run = check(str(CANDIDATES / "high_missing_red_team.json"), *remote(server),
                "--format", "text", "--format", "sarif", "--output", str(tmp_path / "r.sarif"),
                "--format=junit", f"--output={tmp_path / 'r.xml'}",
                "--format", "json", "--output", str(tmp_path / "d.json"))
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("DENY")
    jsonschema.Draft4Validator(sarif_schema()).validate(json.loads((tmp_path / "r.sarif").read_text()))
    suite = next(iter(junitparser.JUnitXml.fromfile(str(tmp_path / "r.xml"))))
    assert suite.failures >= 1
    assert json.loads((tmp_path / "d.json").read_text())["allow"] is False
    clash = check(str(CANDIDATES / "high_pass.json"), *remote(server), "--format", "sarif",
                  "--format", "junit")
    assert clash.returncode == 2 and "standard output" in clash.stderr


def test_colour_only_on_a_terminal(server: LiveServer) -> None:
    piped = check(str(CANDIDATES / "high_missing_red_team.json"), *remote(server))
    assert not ANSI.search(piped.stdout)

    def on_a_terminal(env: dict[str, str]) -> str:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "crossgate.cli", "gate", "check",
             str(CANDIDATES / "high_missing_red_team.json"), *remote(server)],
            stdout=follower, stderr=subprocess.DEVNULL, env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        os.close(leader)
        return b"".join(chunks).decode()

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert ANSI.search(on_a_terminal(env))
    assert not ANSI.search(on_a_terminal({**env, "NO_COLOR": "1"}))


def _step(action: dict, name: str) -> dict:
    return next(step for step in action["runs"]["steps"] if step.get("name") == name)


def _fill(script: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        return values[match.group(1).strip()]

    return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", value, script)


@pytest.mark.parametrize("name, allowed", [("high_pass", True), ("high_missing_red_team", False)])
def test_github_action_steps(server: LiveServer, tmp_path: Path, name: str, allowed: bool) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {f"inputs.{k}": str(v.get("default", "")) for k, v in action["inputs"].items()}
    inputs["inputs.dry-run"] = "true"
    check_step = _step(action, "Ask the gate")
    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(outputs),
           "GITHUB_STEP_SUMMARY": str(summary),
           **{k: _fill(v, {**inputs, "inputs.server-url": server.url,
                           "inputs.token": server.tokens["ci"],
                           "inputs.candidate": str(CANDIDATES / f"{name}.json")})
              for k, v in check_step["env"].items()}}
    run = subprocess.run(["bash", "-e", "-c", _fill(check_step["run"], inputs)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr  # the step itself never fails: the last one does
    said = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert said["allow"] == ("true" if allowed else "false")
    assert said["exit-code"] == ("0" if allowed else "1") and said["decision-id"]
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error ")]
    assert bool(errors) is not allowed
    assert summary.read_text().startswith(f"## {'✅' if allowed else '❌'} crossgate deployment gate")
    jsonschema.Draft4Validator(sarif_schema()).validate(
        json.loads((tmp_path / "crossgate.sarif").read_text()))
    junitparser.JUnitXml.fromfile(str(tmp_path / "crossgate-junit.xml"))
    final = _step(action, "Fail unless allowed")
    last = subprocess.run(["bash", "-c", _fill(final["run"], {
        "steps.check.outputs.exit-code": said["exit-code"]})], capture_output=True, text=True)
    assert last.returncode == (0 if allowed else 1)


def test_gitlab_template_job(server: LiveServer, tmp_path: Path) -> None:
    template = yaml.safe_load((REPO / "ci" / "gitlab" / "crossgate.gitlab-ci.yml").read_text())
    job = template[".crossgate-gate"]
    assert job["artifacts"]["reports"]["junit"] == "crossgate-junit.xml"
    env = {**os.environ, **{k: str(v) for k, v in job["variables"].items()},
           "PATH": f"{BIN}:{os.environ['PATH']}", "CROSSGATE_URL": server.url,
           "CROSSGATE_TOKEN": server.tokens["ci"], "CROSSGATE_EXTRA_ARGS": "--dry-run",
           "CROSSGATE_CANDIDATE": str(CANDIDATES / "high_missing_red_team.json")}
    script = "\n".join(job["script"])
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1, run.stderr  # denied: the job fails
    assert run.stdout.startswith("DENY")
    for artifact in job["artifacts"]["paths"]:
        assert (tmp_path / artifact).stat().st_size > 0, artifact
    suite = next(iter(junitparser.JUnitXml.fromfile(str(tmp_path / "crossgate-junit.xml"))))
    assert any(case.name == "ev:red_team_exercise" and case.result for case in suite)
