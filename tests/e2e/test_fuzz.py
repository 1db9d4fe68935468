"""Fuzzing the whole API on the local stack with schemathesis, from the generated OpenAPI document:
for every operation, bounded examples as a player and as a host (schema-valid data and mutations
of it). Every response must be a documented status with a documented content type and body
schema, and none may be a 5xx.

CI runs FUZZ_EXAMPLES examples per operation and caller (default 4); for a longer run:

    FUZZ_EXAMPLES=100 .venv/bin/python -m pytest tests/e2e/test_fuzz.py
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.stack import Stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SKIPPED = {("POST", "/v1/webhooks/stripe")}  # signed by Stripe: every fuzzed body is a 400 (tested on its own)


@pytest.fixture(scope="module")
def callers(stack: Stack) -> dict[str, str]:
    player, _ = stack.token(name="Fuzz Player")
    host, _ = stack.token(name="Fuzz Host", roles=["player", "host"])
    return {"player": player, "host": host}


def _fuzz(operation: Any, base_url: str, token: str) -> list[str]:
    failures: list[str] = []

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(
        case=operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
        | operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE)
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as failure:  # collect, so one run reports every operation that fails
            failures.append(
                f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                f"{str(failure)[:300]} | {case.as_curl_command()[:300]}"
            )

    run()
    return failures


def test_no_operation_answers_5xx_or_off_contract(stack: Stack, callers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url}/v1/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1
        for token in callers.values():
            failures += _fuzz(operation, stack.url, token)
    assert operations > 50
    assert failures == [], "\n".join(failures)
