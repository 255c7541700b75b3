"""Runs the Rego unit tests (rego/**/*_test.rego) with regorus, the default engine.

Every `test_` rule of every test package is evaluated against the shipped policies and the
fixture policy data (tests/fixtures/policy_data.json, mounted at data.crossgate) and must be
true; the failure message names every test that is false, undefined or raised.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from crossgate.policy.engines import EngineError, RegorusEngine, load_policies

ROOT = Path(__file__).resolve().parents[1]
REGO = ROOT / "rego"
DATA = ROOT / "tests" / "fixtures" / "policy_data.json"

PACKAGE = re.compile(r"^package\s+([\w.]+)\s*$", re.MULTILINE)
TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)


def discover() -> list[tuple[str, str]]:
    """(package, rule) of every test rule, in file order."""
    found: list[tuple[str, str]] = []
    for path in sorted(REGO.rglob("*_test.rego")):
        text = path.read_text()
        package = PACKAGE.search(text)
        assert package, f"{path} has no package line"
        for name in TEST_RULE.findall(text):
            found.append((package.group(1), name))
    return found


TESTS = discover()


@pytest.fixture(scope="module")
def engine() -> RegorusEngine:
    policies = load_policies(REGO, include_tests=True)
    return RegorusEngine(policies, json.loads(DATA.read_text()))


def test_there_are_rego_tests_for_every_policy_file() -> None:
    policy_files = {p for p in REGO.rglob("*.rego") if not p.name.endswith("_test.rego")}
    assert policy_files, "no policies under rego/"
    missing = sorted(str(p.relative_to(REGO)) for p in policy_files
                     if not p.with_name(p.stem + "_test.rego").exists())
    assert not missing, f"policy files without a *_test.rego beside them: {missing}"


def test_test_names_are_unique() -> None:
    # Rego merges rules of the same name (OR for booleans): a duplicate would hide a test.
    counts = Counter(TESTS)
    duplicates = sorted(t for t, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate test rules: {duplicates}"


def test_all_rego_tests_pass(engine: RegorusEngine) -> None:
    assert len(TESTS) > 50
    failures: list[str] = []
    for package, name in TESTS:
        try:
            result = engine.evaluate(f"{package}.{name}", {})
        except EngineError as exc:
            failures.append(f"{package}.{name}: error: {exc.reason}")
            continue
        if result is not True:
            failures.append(f"{package}.{name}: {'undefined' if result is None else result!r}")
    assert not failures, f"{len(failures)} of {len(TESTS)} Rego tests failed:\n" + "\n".join(failures)


# --- every lifecycle rule is held by a test ------------------------------------------------------

LIFECYCLE_RULES = [
    ("lib/lifecycle.rego", "stage_order", "A stage the profile does not know"),
    ("lib/lifecycle.rego", "stage_order", "No allowed decision at the previous stage"),
    ("lib/lifecycle.rego", "rollback_target", "A rollback to a version production never allowed"),
    ("lib/lifecycle.rego", "tier_change", "A tier lowered too soon"),
    ("lib/evidence.rego", "threshold_not_met", "A required item whose evidence does not reach"),
]


def without_rule(text: str, title: str) -> str:
    """The policy text with the violation rule whose METADATA title starts with `title` cut out
    (from its METADATA block to the next one)."""
    start = text.index(f"# title: {title}")
    start = text.rindex("# METADATA", 0, start)
    end = text.index("# METADATA", start + 1)
    removed = text[start:end]
    assert "violations contains v if" in removed, f"{title!r} is not a violation rule"
    return text[:start] + text[end:]


@pytest.mark.parametrize(("path", "code", "title"), LIFECYCLE_RULES,
                         ids=[f"{c}: {t}" for _p, c, t in LIFECYCLE_RULES])
def test_removing_a_lifecycle_rule_fails_a_rego_test(path: str, code: str, title: str) -> None:
    policies = [(name, without_rule(text, title) if name == path else text)
                for name, text in load_policies(REGO, include_tests=True)]
    engine = RegorusEngine(policies, json.loads(DATA.read_text()))
    failing = []
    for package, name in TESTS:
        if not package.endswith("lifecycle_test"):  # the rules' own tests; the rest are slow
            continue
        try:
            result = engine.evaluate(f"{package}.{name}", {})
        except EngineError:
            result = None
        if result is not True:
            failing.append(name)
    assert failing, f"no Rego test fails when the {code} rule {title!r} is removed"
