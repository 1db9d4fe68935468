"""The stack's backing services: DynamoDB (Local on Java, or moto), S3 + SES (moto, in this process),
and the Stripe emulator (a child process). Each starts, reports where it is, and stops for good.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from devstack.config import ROOT, StackConfig
from devstack.dynamodb_local import DynamoDBLocal, java_available
from devstack.ports import wait_listening


@dataclass
class Services:
    """Everything started for one stack; `stop()` undoes it all, whatever failed on the way."""

    config: StackConfig
    notes: list[str] = field(default_factory=list)
    dynamodb: DynamoDBLocal | None = None
    moto: object | None = None  # moto.server.ThreadedMotoServer
    stripe: subprocess.Popen[bytes] | None = None

    def child_pids(self) -> dict[str, int]:
        pids = {}
        if self.dynamodb and self.dynamodb.process:
            pids["dynamodb-local"] = self.dynamodb.process.pid
        if self.stripe:
            pids["stripe-emulator"] = self.stripe.pid
        return pids

    def start(self) -> None:
        """Start all services at once (DynamoDB Local's JVM is the slow one) and wait for each."""
        data = self.config.data_dir
        if self.config.fresh:
            shutil.rmtree(data / "dynamodb", ignore_errors=True)
        data.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="start") as pool:
            dynamodb: Future[None] | None = None
            if not self.config.use_moto_dynamodb:
                dynamodb = pool.submit(self._start_dynamodb_local)
            self._start_stripe()
            self._start_moto()
            wait_listening(self.config.stripe_port, 20, "the Stripe emulator")
            if dynamodb is not None:
                dynamodb.result()

    def _start_dynamodb_local(self) -> None:
        self.dynamodb = DynamoDBLocal(port=self.config.dynamodb_port, data_dir=self.config.data_dir / "dynamodb")
        self.dynamodb.start(timeout=30)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.config.aws_port, verbose=False)
        server.start()
        self.moto = server

    def _start_stripe(self) -> None:
        args = [sys.executable, "-m", "devstack.stripe_emulator", "--port", str(self.config.stripe_port)]
        args += ["--store", str(self.config.data_dir / "stripe.pickle")]
        if self.config.fresh:
            args.append("--from-scratch")
        # A session of its own: Ctrl-C reaches only the runner, which stops children in order.
        self.stripe = subprocess.Popen(args, cwd=ROOT, start_new_session=True)

    def stop(self) -> None:
        """Stop every child and listener; safe to call twice or after a partial start."""
        if self.stripe is not None:
            _terminate(self.stripe)
            self.stripe = None
        if self.dynamodb is not None:
            self.dynamodb.stop()
            self.dynamodb = None
        if self.moto is not None:
            self.moto.stop()  # type: ignore[attr-defined]
            self.moto = None


def _terminate(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def choose_dynamodb(config: StackConfig) -> tuple[StackConfig, str | None]:
    """Fall back to moto when Java is missing; returns the config to use and why it changed."""
    if config.use_moto_dynamodb or java_available():
        return config, None
    from dataclasses import replace

    return replace(config, use_moto_dynamodb=True), "Java not found: DynamoDB runs on moto (data is not kept)."
