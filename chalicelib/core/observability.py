"""Powertools Logger, Metrics and Tracer, one instance each for the whole app.

Names come from the environment Powertools reads (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE, set per stage in .chalice/config.json). The Tracer pulls in the X-Ray
SDK, which costs more at import than the rest of the app, so it is created on first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer
    from aws_lambda_powertools.logging.types import LogRecord

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "sesh")

# What never goes to the logs, not even inside another service's error message (SES names the
# recipients it rejects, a library may echo a header): client secrets, Stripe keys, webhook secrets,
# JWTs and bearer tokens, email addresses. Replaced in every line the app logger writes.
_SECRETS = [
    (re.compile(r"pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"), "<client_secret>"),
    (re.compile(r"\b[srp]k_(?:live|test)_[A-Za-z0-9_]+"), "<stripe_key>"),
    (re.compile(r"\bwhsec_[A-Za-z0-9_]+"), "<webhook_secret>"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), "<jwt>"),
    (re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"), "Bearer <token>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, with `redact` applied to the whole line."""

    def serialize(self, log: LogRecord) -> str:
        return redact(super().serialize(log))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or f"Sesh/{os.environ.get('STAGE', 'local')}",
    service=SERVICE,
)


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def tracing_enabled() -> bool:
    """X-Ray only exists inside Lambda; tests and the local stack (or POWERTOOLS_TRACE_DISABLED) skip it."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true"}
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ and not disabled


@contextmanager
def traced(name: str, **annotations: str) -> Iterator[None]:
    """A subsegment around a unit of work (one HTTP request), annotated for filtering in X-Ray.

    Creating the Tracer patches boto3, so the DynamoDB, S3 and Stripe calls inside show up as
    subsegments of their own.
    """
    if not tracing_enabled():
        yield
        return
    with tracer().provider.in_subsegment(name) as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key=key, value=value)
        yield
