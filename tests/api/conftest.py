"""API tier: every route through Chalice's test client, on moto in-process.

One moto mock for the session (clients cached by the app stay valid); the table and bucket are
recreated for each test so tests never see each other's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.table import create_table
from tests import fake_gateway, moto_transactions, stripe_support
from tests.app_client import Api
from tests.conftest import TEST_ISSUER
from tests.fake_gateway import FakeGateway


@pytest.fixture(scope="session")
def aws() -> Iterator[None]:
    moto_transactions.install()
    with mock_aws():
        # SES (moto, as in AWS) sends only from a verified identity: the stage's sender.
        boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress="no-reply@sesh.example")
        yield


@pytest.fixture(autouse=True)
def fresh_backend(aws: None) -> Iterator[None]:
    from chalicelib.core import clock
    from chalicelib.core.settings import get_settings

    settings = get_settings()
    dynamodb = boto3.client("dynamodb", region_name=settings.aws_region)
    s3 = boto3.client("s3", region_name=settings.aws_region)
    create_table(dynamodb, settings.table_name)
    s3.create_bucket(Bucket=settings.uploads_bucket)
    yield
    dynamodb.delete_table(TableName=settings.table_name)
    for obj in s3.list_objects_v2(Bucket=settings.uploads_bucket).get("Contents", []):
        s3.delete_object(Bucket=settings.uploads_bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=settings.uploads_bucket)
    clock.reset()


@pytest.fixture(autouse=True)
def gateway() -> Iterator[FakeGateway]:
    """The websocket gateway the app posts frames to (a fake: the API tier has no sockets)."""
    yield fake_gateway.install()
    fake_gateway.uninstall()


@pytest.fixture(scope="session")
def api(aws: None) -> Iterator[Api]:
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="test") as client:
        yield Api(client)


@pytest.fixture(scope="session")
def token_for() -> Any:
    """`token_for("usr_...", roles=("player", "host"))` → a valid bearer token for that user (valid for
    120 days of the clock unless `ttl_seconds` says otherwise)."""
    from chalicelib.core import clock, ids

    def mint(user_id: str | None = None, **kwargs: Any) -> str:
        subject = user_id or ids.new_id("usr")
        kwargs.setdefault("email", f"{subject.lower()}@example.test")
        kwargs.setdefault("ttl_seconds", 120 * 86400)  # outlives the weeks tests move the clock by
        return TEST_ISSUER.mint(subject, now=clock.now(), **kwargs)

    return mint


# The Stripe emulator for the routes that charge players: the real adapter calls it over HTTP.
# Its port is fixed here, at import, before settings are first read.
STRIPE_PORT = stripe_support.free_port()
stripe_support.configure(STRIPE_PORT)
STRIPE_WEBHOOK_SECRET = stripe_support.WEBHOOK_SECRET


@pytest.fixture(scope="session", autouse=True)
def stripe_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with stripe_support.running(STRIPE_PORT, tmp_path_factory.mktemp("stripe")) as base:
        yield base


@pytest.fixture
def frozen_clock() -> Any:
    """The clock stopped at `catalog_helpers.NOW` (a winter Saturday) for the test; the backend's
    teardown sets it going again. Files whose tests count in dates use it for every test:
    `pytestmark = pytest.mark.usefixtures("frozen_clock")`."""
    from chalicelib.core import clock
    from tests.api.catalog_helpers import NOW

    clock.freeze(NOW)
    return NOW
