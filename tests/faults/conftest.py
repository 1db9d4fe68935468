"""Faults tier: the app (Chalice's test client, in process) reaches every dependency over real HTTP
through a fault proxy (tests/fault_proxy.py), so a test can make one dependency fail — throttle,
5xx, reset, hang, refuse — and heal it again, while everything else keeps working.

    DynamoDB, S3, SES  → proxy → moto server (in this process)
    Stripe             → proxy → the Stripe emulator (a subprocess)
    @connections       → proxy → a recording gateway (answers 410 Gone for closed connections)

The environment is set at import, before settings are first read (tests/conftest.py sets the rest).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from tests import moto_transactions, stripe_support
from tests.app_client import Api
from tests.conftest import TEST_ISSUER
from tests.fault_proxy import FaultProxy

AWS_PORT = stripe_support.free_port()
STRIPE_PORT = stripe_support.free_port()


class RecordingGateway:
    """An @connections endpoint: keeps the frames posted to each connection; 410 for closed ones."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frames: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.closed: set[str] = set()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                connection_id = self.path.rsplit("/@connections/", 1)[-1]
                with gateway.lock:
                    gone = connection_id in gateway.closed
                    if not gone:
                        gateway.frames[connection_id].append(json.loads(body))
                self.send_response(410 if gone else 200)
                if gone:
                    self.send_header("x-amzn-ErrorType", "GoneException")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, connection_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.frames.get(connection_id, []))


GATEWAY = RecordingGateway()
PROXIES = {
    "dynamodb": FaultProxy("127.0.0.1", AWS_PORT).start(),
    "s3": FaultProxy("127.0.0.1", AWS_PORT).start(),
    "ses": FaultProxy("127.0.0.1", AWS_PORT).start(),
    "stripe": FaultProxy("127.0.0.1", STRIPE_PORT).start(),
    "gateway": FaultProxy("127.0.0.1", GATEWAY.port).start(),
}
stripe_support.configure(STRIPE_PORT)
os.environ.update(
    {
        "DYNAMODB_ENDPOINT_URL": PROXIES["dynamodb"].url,
        "S3_ENDPOINT_URL": PROXIES["s3"].url,
        "SES_ENDPOINT_URL": PROXIES["ses"].url,
        "STRIPE_API_BASE": PROXIES["stripe"].url,
        "STRIPE_TIMEOUT_SECONDS": "1",
        "WEBSOCKET_MANAGEMENT_URL": PROXIES["gateway"].url + "/test",
    }
)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    moto_transactions.install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=AWS_PORT, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{AWS_PORT}"
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def stripe_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with stripe_support.running(STRIPE_PORT, tmp_path_factory.mktemp("stripe")) as base:
        yield base


@pytest.fixture(autouse=True)
def fresh_backend(moto_server: str) -> Iterator[None]:
    """A new table and bucket per test, made straight on moto (not through the proxies)."""
    from chalicelib.core import clock
    from chalicelib.core.settings import get_settings
    from devstack import mail
    from devstack.table import create_table
    from tests.api.catalog_helpers import NOW

    settings = get_settings()
    dynamodb = boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=moto_server)
    s3 = boto3.client("s3", region_name=settings.aws_region, endpoint_url=moto_server)
    create_table(dynamodb, settings.table_name)
    s3.create_bucket(Bucket=settings.uploads_bucket)
    mail.verify_sender(settings.email_from)
    mail.clear()
    clock.freeze(NOW)
    yield
    for proxy in PROXIES.values():
        proxy.heal()
        proxy.forget()
    dynamodb.delete_table(TableName=settings.table_name)
    for obj in s3.list_objects_v2(Bucket=settings.uploads_bucket).get("Contents", []):
        s3.delete_object(Bucket=settings.uploads_bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=settings.uploads_bucket)
    clock.reset()


@pytest.fixture(scope="session")
def api(moto_server: str) -> Iterator[Api]:
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="test") as client:
        yield Api(client)


@pytest.fixture
def token_for() -> Any:
    """`token_for()` → a token for a new user, valid for the weeks these tests move the clock by."""
    from chalicelib.core import clock, ids

    def mint(user_id: str | None = None, **kwargs: Any) -> str:
        subject = user_id or ids.new_id("usr")
        kwargs.setdefault("email", f"{subject.lower()}@example.test")
        kwargs.setdefault("ttl_seconds", 120 * 86400)
        return TEST_ISSUER.mint(subject, now=clock.now(), **kwargs)

    return mint


@pytest.fixture
def proxies() -> dict[str, FaultProxy]:
    return PROXIES


@pytest.fixture
def gateway() -> RecordingGateway:
    return GATEWAY
