"""What the local stack runs with: ports, data folder and switches, from flags and DEVSTACK_* variables.

Each child service gets its own port; by default they follow the API port (8000 → DynamoDB 8001,
S3/SES 8002, Stripe 8003), so `--port 9000` moves the whole stack.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEV_ISSUER = "http://127.0.0.1:8000/dev"  # the app's default JWT_ISSUER; JWKS at <api>/dev/.well-known/jwks.json


@dataclass(frozen=True)
class StackConfig:
    port: int = 8000
    dynamodb_port: int = 8001
    aws_port: int = 8002  # moto server: S3, SES (and DynamoDB with --moto)
    stripe_port: int = 8003
    data_dir: Path = ROOT / ".devstack"
    fresh: bool = False
    seed: bool = True
    use_moto_dynamodb: bool = False
    ws_idle_timeout: float = 600.0  # API Gateway closes a websocket idle for 10 minutes
    ws_max_duration: float = 7200.0  # ... and any websocket after 2 hours
    sweep_interval: float = 1.0
    log_level: str = "warning"  # uvicorn's own log; the app logs JSON through Powertools

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws"

    @property
    def dynamodb_url(self) -> str:
        return f"http://{HOST}:{self.aws_port if self.use_moto_dynamodb else self.dynamodb_port}"

    @property
    def aws_url(self) -> str:
        return f"http://{HOST}:{self.aws_port}"

    @property
    def stripe_url(self) -> str:
        return f"http://{HOST}:{self.stripe_port}"

    @property
    def issuer(self) -> str:
        # The same on every port: users are found by (issuer, subject), so moving the stack to
        # another port must not turn every existing user into a stranger.
        return DEV_ISSUER

    def ports(self) -> dict[str, int]:
        """Every port this stack will listen on, by what listens there."""
        ports = {"API": self.port, "S3/SES (moto)": self.aws_port, "Stripe emulator": self.stripe_port}
        if not self.use_moto_dynamodb:
            ports["DynamoDB Local"] = self.dynamodb_port
        return ports


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def parse(argv: list[str] | None = None) -> StackConfig:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Run the whole Sesh backend locally.")
    parser.add_argument("--port", type=int, default=_env_int("DEVSTACK_PORT") or 8000, help="HTTP API + /ws")
    parser.add_argument("--dynamodb-port", type=int, default=_env_int("DEVSTACK_DYNAMODB_PORT"))
    parser.add_argument("--aws-port", type=int, default=_env_int("DEVSTACK_AWS_PORT"), help="moto: S3, SES")
    parser.add_argument("--stripe-port", type=int, default=_env_int("DEVSTACK_STRIPE_PORT"))
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DEVSTACK_DATA_DIR", ROOT / ".devstack")))
    parser.add_argument("--fresh", action="store_true", default=_env_flag("DEVSTACK_FRESH"), help="start empty")
    parser.add_argument("--no-seed", action="store_true", default=_env_flag("DEVSTACK_NO_SEED"), help="no demo data")
    parser.add_argument(
        "--moto",
        action="store_true",
        default=_env_flag("DEVSTACK_MOTO"),
        help="DynamoDB on moto instead of DynamoDB Local (automatic when Java is missing)",
    )
    parser.add_argument(
        "--ws-idle-timeout",
        type=float,
        default=float(os.environ.get("DEVSTACK_WS_IDLE_TIMEOUT", 600)),
        help="seconds before an idle websocket is closed (API Gateway: 600)",
    )
    parser.add_argument("--log-level", default=os.environ.get("DEVSTACK_LOG_LEVEL", "warning"))
    args = parser.parse_args(argv)
    port: int = args.port
    return StackConfig(
        port=port,
        dynamodb_port=args.dynamodb_port or port + 1,
        aws_port=args.aws_port or port + 2,
        stripe_port=args.stripe_port or port + 3,
        data_dir=args.data_dir.resolve(),
        fresh=args.fresh,
        seed=not args.no_seed,
        use_moto_dynamodb=args.moto,
        ws_idle_timeout=args.ws_idle_timeout,
        log_level=args.log_level,
    )
