"""Secrets come from the environment when set (tests, local stack) or from SSM Parameter Store."""

from __future__ import annotations

import os
from functools import cache

from chalicelib.core.settings import get_settings


@cache
def get_secret(name: str) -> str:
    """`name` like "cursor_secret": env var CURSOR_SECRET, else SSM /sesh/<stage>/cursor_secret."""
    value = os.environ.get(name.upper())
    if value:
        return value
    # Imported here so that stages with secrets in the environment never load the SSM client.
    from aws_lambda_powertools.utilities import parameters

    settings = get_settings()
    secret = parameters.get_parameter(f"/{settings.service_name}/{settings.stage}/{name}", decrypt=True)
    return str(secret)
