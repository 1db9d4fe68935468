"""The Stripe emulator (localstripe), as the local stack runs it: `python -m devstack.stripe_emulator`.

Differences from `localstripe` run on its own, all for a local stack that behaves:
- it listens on 127.0.0.1 only (localstripe binds every interface);
- its store lives in a file we choose (localstripe always uses /tmp/localstripe.pickle, which two
  stacks on one machine would share), so data survives restarts next to DynamoDB's;
- gaps in localstripe's API that our code uses are filled in `extend()`, and objects shaped as Stripe's
  API shapes them: PaymentIntents (amounts, manual capture, cancel, `latest_charge`), charges and refunds
  and their limits (devstack/stripe_payments.py); disputes (devstack/stripe_disputes.py); Connect
  accounts, account links, transfers, reversals, Idempotency-Key (devstack/stripe_connect.py); each
  sends Stripe's signed events;
- events are signed when they are sent (localstripe signed them with their `created` time), and can be
  held, then released in order, reversed or shuffled, once or twice (devstack/stripe_delivery.py).
"""

from __future__ import annotations

import argparse
import logging
import pickle
from pathlib import Path
from typing import Any

from aiohttp import web


def _use_store_file(path: Path) -> None:
    from localstripe import resources

    def load(self: Any) -> None:
        try:
            with path.open("rb") as f:
                old = pickle.load(f)
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return
        self.clear()
        self.update(old)

    def dump(self: Any) -> None:
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a crash never leaves half a store

    resources.Store.try_load_from_disk = load  # type: ignore[method-assign]
    resources.Store.dump_to_disk = dump  # type: ignore[method-assign]


def extend() -> None:
    """Fill gaps in localstripe's API that our code and tests rely on. Runs before localstripe's
    server module is imported, as that import registers the routes from `resources.extra_apis`."""
    from devstack import stripe_connect, stripe_delivery, stripe_disputes, stripe_payments

    stripe_delivery.install()  # events signed when sent; held and released on demand
    stripe_payments.install()  # PaymentIntents, charges, refunds as Stripe's API has them
    stripe_disputes.install()  # disputes, their events and dev controls
    stripe_connect.install()  # Connect accounts, transfers, reversals, their events


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.stripe_emulator")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, required=True, help="file keeping the emulator's data")
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()

    args.store.parent.mkdir(parents=True, exist_ok=True)
    _use_store_file(args.store)
    extend()
    from localstripe import server  # imported after the store and routes are adjusted
    from localstripe.resources import store

    from devstack import stripe_connect, stripe_delivery

    stripe_connect.add_routes(server.app)
    stripe_delivery.add_routes(server.app)

    if args.from_scratch:
        store.clear()
        args.store.unlink(missing_ok=True)
    else:
        store.try_load_from_disk()
    logging.basicConfig(level=logging.WARNING, format="stripe-emulator: %(message)s")
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    main()
