"""Powertools Logger, Metrics and Tracer, one instance each for the whole app."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from chalicelib.core.settings import get_settings

_settings = get_settings()

logger = Logger(service=_settings.service_name)
metrics = Metrics(namespace=f"Sesh/{_settings.stage}", service=_settings.service_name)
tracer = Tracer(service=_settings.service_name)
