"""Powertools Logger, Metrics and Tracer, one instance each for the whole app.

Names come from the environment Powertools reads (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE, set per stage in .chalice/config.json). The Tracer pulls in the X-Ray
SDK, which costs more at import than the rest of the app, so it is created on first use.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "sesh")

logger = Logger(service=SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or f"Sesh/{os.environ.get('STAGE', 'local')}",
    service=SERVICE,
)


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)
