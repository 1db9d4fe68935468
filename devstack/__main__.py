"""`python -m devstack` (`make run`): the whole Sesh backend on 127.0.0.1, in one command.

Order matters: the app's environment is set before `app` is imported (settings are read once) and
before the Lambda worker starts (it imports the app while the services start), the services must
listen before the table is created, and the API listens last. SIGINT and SIGTERM stop the API, the
sweep and every child process, whatever stage start-up had reached.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from devstack import environment, ports, provision, seed
from devstack.config import StackConfig, parse
from devstack.dev_routes import DevContext, register_dev_timer_handler
from devstack.lambda_worker import LambdaWorker
from devstack.services import Services, choose_dynamodb
from devstack.sweeper import Sweeper, app_sweep
from devstack.ws_registry import Registry

log = logging.getLogger("devstack")
WORKER_READY_TIMEOUT = 60.0  # it imports the app alongside the services starting; seconds under load


class Stop(BaseException):
    """Raised by the first SIGINT/SIGTERM; BaseException so no `except Exception` swallows it."""


def _install_signal_handlers() -> None:
    stopping = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():
            return  # already stopping: let the clean-up finish
        stopping.set()
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _stack_info(
    config: StackConfig,
    services: Services,
    worker: LambdaWorker,
    started_in: Callable[[], float],
    timings: dict[str, float],
) -> dict[str, Any]:
    return {
        "api": config.api_url,
        "websocket": config.ws_url,
        "connections_api": f"{config.api_url}/@connections",
        "dynamodb": config.dynamodb_url + (" (moto)" if config.use_moto_dynamodb else " (DynamoDB Local)"),
        "s3_ses": config.aws_url + " (moto)",
        "stripe": config.stripe_url + " (localstripe)",
        "issuer": config.issuer,
        "jwks": f"{config.api_url}/dev/.well-known/jwks.json",
        "data_dir": str(config.data_dir),
        "pid": os.getpid(),
        "child_pids": {"Lambda worker": worker.process.pid, **services.child_pids()},
        "ports": config.ports(),
        "started_in_seconds": started_in(),
        "timings": timings,
    }


def _banner(info: dict[str, Any], tokens: dict[str, str], notes: list[str]) -> str:
    lines = [
        "",
        f"Sesh local stack ready in {info['started_in_seconds']:.1f}s ("
        + ", ".join(f"{step} {seconds:.1f}s" for step, seconds in info["timings"].items())
        + ")",
        f'  API (HTTP)        {info["api"]}    e.g. curl -H "Authorization: Bearer $TOKEN" {info["api"]}/v1/me',
        f"  Websocket         {info['websocket']}?token=$TOKEN",
        f"  @connections      {info['connections_api']}",
        f"  Dev routes        {info['api']}/dev  (token, mail, clock, ...)",
        f"  DynamoDB          {info['dynamodb']}",
        f"  S3 + SES          {info['s3_ses']}",
        f"  Stripe emulator   {info['stripe']}  (webhooks -> {info['api']}/v1/webhooks/stripe)",
        f"  Data              {info['data_dir']}",
        f"  PIDs              runner {info['pid']}, " + ", ".join(f"{k} {v}" for k, v in info["child_pids"].items()),
    ]
    if tokens:
        lines.append("  Demo users (tokens valid 30 days):")
        for user in seed.USERS:
            lines.append(f"    {user.key:<12} {user.user_id}  {user.name}")
            lines.append(f"      TOKEN={tokens[user.key]}")
    lines += [f"  Note: {note}" for note in notes]
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def run(config: StackConfig) -> None:
    started = time.monotonic()
    notes: list[str] = []
    config, fallback = choose_dynamodb(config)
    if fallback:
        notes.append(fallback)
    ports.ensure_free(config.ports())

    issuer = environment.load_issuer(config)
    environment.apply(environment.app_environment(config, issuer))
    services = Services(config)
    sweeper: Sweeper | None = None
    worker = LambdaWorker.start()  # first: it imports the app while the services start
    timings: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - since, 2)
        return now

    try:
        mark = step("prepare", started)
        services.start()
        mark = step("services", mark)
        app_module = importlib.import_module("app")  # after the environment: settings are read once
        mark = step("app import", mark)
        provision.provision(config)
        register_dev_timer_handler()
        mark = step("provision", mark)
        tokens = seed.seed(issuer).tokens if config.seed else {}
        mark = step("seed", mark)
        worker.wait_ready(WORKER_READY_TIMEOUT)
        mark = step("Lambda worker", mark)

        from devstack.server import build_app, build_server

        sweeper = Sweeper(app_sweep(), config.sweep_interval)
        registry = Registry()
        elapsed: list[float] = []

        def started_in() -> float:
            return round(elapsed[0] if elapsed else time.monotonic() - started, 2)

        dev = DevContext(
            issuer, registry, worker, sweeper.wake, lambda: _stack_info(config, services, worker, started_in, timings)
        )
        server = build_server(config, build_app(config, app_module, dev))
        sweeper.start()

        def announce() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.02)
            if server.started:
                elapsed.append(time.monotonic() - started)
                print(_banner(dev.stack_info(), tokens, notes), flush=True)

        threading.Thread(target=announce, name="devstack-announce", daemon=True).start()
        server.run()  # returns on SIGINT/SIGTERM (uvicorn handles them while it runs)
        if not server.started:
            raise SystemExit(f"the API could not listen on port {config.port}")
    except Stop:
        pass
    finally:
        print("Stopping the local stack...", flush=True)
        if sweeper is not None:
            sweeper.stop()
        worker.stop()
        services.stop()
        print("Stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("devstack").setLevel(logging.INFO)
    _install_signal_handlers()
    try:
        run(parse(argv))
    except ports.PortInUse as exc:
        raise SystemExit(f"devstack: {exc}") from None
    except Stop:
        pass


if __name__ == "__main__":
    main()
