"""A bounded schemathesis run over the whole OpenAPI description of a real server.

Every operation /openapi.json lists is fuzzed with valid (positive) and invalid (negative)
requests, authenticated as admin, against a server of its own on 127.0.0.1 (fuzzing writes:
imports, decisions). Checks: no answer is a server error (5xx); every answer's status and media type are
declared, and its body matches the schema declared for them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import LiveServer, start_server, stop_server

# Examples per operation and generation mode (a deeper local run: CROSSGATE_FUZZ_EXAMPLES=200).
EXAMPLES = int(os.environ.get("CROSSGATE_FUZZ_EXAMPLES", "25"))
# No 5xx; the body matches the schema declared for its status and media type; the status and
# the media type are declared at all (every 4xx as the one error shape, downloads as theirs).
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
# Checks waived for an operation, each with the reason ("METHOD /path": ([checks], why)); the
# report below names every waiver and CROSSGATE_FUZZ_ALL=1 runs every check everywhere. None
# is waived: every operation passes every check.
WAIVED: dict[str, tuple[list[Any], str]] = {}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("crossgate-fuzz")))
    yield live
    stop_server(live)


def _kind(failure: Failure) -> str:
    return type(failure).__name__


def _fuzz(operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode,
          checks: list[Any], url: str, headers: dict[str, str], cases: Counter[str],
          failures: dict[str, Counter[str]], examples: dict[tuple[str, str], str]) -> None:
    label = operation.label

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        cases[label] += 1
        response = case.call(base_url=url, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Failure, FailureGroup) as exc:
            found = list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc]
            for failure in found:
                kind = _kind(failure)
                failures.setdefault(label, Counter())[kind] += 1
                examples.setdefault(
                    (label, kind),
                    f"{case.method} {case.formatted_path} query={case.query} -> "
                    f"{response.status_code}: {failure.title}")

    try:
        run()
    except Unsatisfiable:
        assert mode == schemathesis.GenerationMode.NEGATIVE, label  # nothing to make invalid


@pytest.mark.slow
def test_whole_api_has_no_server_errors_and_matches_its_schema(fuzz_server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {fuzz_server.tokens['admin']}"}
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json", headers=headers)
    cases: Counter[str] = Counter()
    failures: dict[str, Counter[str]] = {}
    examples: dict[tuple[str, str], str] = {}

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # /openapi.json itself must be readable
        operation = result.ok()
        label = operation.label
        waived, _ = WAIVED.get(label, ([], ""))
        if os.environ.get("CROSSGATE_FUZZ_ALL"):
            waived = []
        checks = [check for check in CHECKS if check not in waived]
        if not checks:
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            _fuzz(operation, mode, checks, fuzz_server.url, headers, cases, failures, examples)

    total = sum(cases.values())
    by_kind: Counter[str] = Counter()
    for counts in failures.values():
        by_kind.update(counts)
    report = [f"{total} cases over {len(cases)} operations; failures by kind: {dict(by_kind)}"]
    if not os.environ.get("CROSSGATE_FUZZ_ALL"):
        report += [f"waived for {label}: {', '.join(c.__name__ for c in waived)} ({why})"
                   for label, (waived, why) in WAIVED.items()]
    report += [f"  {label} [{kind}] x{failures[label][kind]}: {example}"
               for (label, kind), example in sorted(examples.items())]
    print("\n".join(report))
    assert not failures, "\n".join(report)
