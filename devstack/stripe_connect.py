"""Stripe Connect for the Stripe emulator (localstripe has none), dev tooling only.

Installed by `devstack.stripe_emulator.extend()` before localstripe's server registers its routes:

- `POST/GET /v1/accounts[/{id}]`, `POST /v1/account_links` (Express onboarding);
- `POST/GET /v1/transfers[/{id}]` (filter by `transfer_group` and `created`; newest first),
  `POST /v1/transfers/{id}/reversals`;
- `Idempotency-Key` honoured on every POST: the same key on the same route answers the first response;
- signed events (through localstripe's webhooks) `account.updated`, `transfer.created`, `transfer.reversed`;
- dev controls, no key needed (under localstripe's unauthenticated `/_config/`):
  `POST /_config/connect/accounts/{id}/onboard` (details submitted, payouts enabled; or `disable=true`),
  `GET /_config/connect/onboarding/{id}` (the account link's page: completes onboarding).

PaymentIntents, charges and refunds: devstack/stripe_payments.py; disputes: devstack/stripe_disputes.py.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError

from devstack.stripe_disputes import Dispute as Dispute  # stores saved when disputes lived here still load
from devstack.stripe_payments import emit, filter_created, listing, positive_int, stored

_INSTALLED = [False]
_IDEMPOTENT: dict[tuple[str, str, str], tuple[int, bytes]] = {}
DUE = ["external_account", "individual.dob.day", "tos_acceptance.date"]
StripeObject = resources.StripeObject


class Account(StripeObject):  # type: ignore[misc, valid-type]
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type: str = "express",
        email: str | None = None,
        metadata: Any = None,
        capabilities: Any = None,
        country: str = "US",
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.type = type
        self.email = email
        self.country = country
        self.metadata = dict(metadata or {})
        self.capabilities = {k: "inactive" for k in dict(capabilities or {})}
        self.details_submitted = False
        self.charges_enabled = False
        self.payouts_enabled = False
        self.requirements = {"currently_due": list(DUE), "disabled_reason": "requirements.past_due"}

    def _onboard(self, enabled: bool) -> None:
        self.details_submitted = True
        self.charges_enabled = self.payouts_enabled = enabled
        self.requirements = {
            "currently_due": [] if enabled else ["individual.verification.document"],
            "disabled_reason": None if enabled else "requirements.past_due",
        }
        self.capabilities = {k: "active" if enabled else "inactive" for k in self.capabilities}
        emit("account.updated", self)


class AccountLink(StripeObject):  # type: ignore[misc, valid-type]
    object = "account_link"
    _id_prefix = "acctlink_"

    def __init__(
        self,
        account: str | None = None,
        type: str | None = None,
        return_url: str | None = None,
        refresh_url: str | None = None,
        base: str = "",
        **kwargs: Any,
    ) -> None:
        Account._api_retrieve(account or "")
        if type != "account_onboarding" or not return_url or not refresh_url:
            raise UserError(400, "account, type=account_onboarding, return_url and refresh_url are required")
        super().__init__()
        self.url = f"{base}/_config/connect/onboarding/{account}"
        self.expires_at = self.created + 300


class TransferReversal(StripeObject):  # type: ignore[misc, valid-type]
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: str, amount: int, currency: str, metadata: Any = None) -> None:
        super().__init__()
        self.transfer = transfer
        self.amount = amount
        self.currency = currency
        self.metadata = dict(metadata or {})


class Transfer(StripeObject):  # type: ignore[misc, valid-type]
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount: Any = None,
        currency: str | None = None,
        destination: str | None = None,
        transfer_group: str | None = None,
        source_transaction: str | None = None,
        metadata: Any = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        number = positive_int(amount, "amount")
        if not currency:
            raise UserError(400, "Missing currency")
        account = Account._api_retrieve(destination or "")
        if not account.payouts_enabled:
            raise UserError(400, "The destination account cannot receive transfers")
        if source_transaction:
            resources.Charge._api_retrieve(source_transaction)
        super().__init__()
        self.amount = number
        self.currency = currency
        self.destination = destination
        self.transfer_group = transfer_group
        self.source_transaction = source_transaction
        self.metadata = dict(metadata or {})
        self.description = description
        self.amount_reversed = 0
        self.reversed = False
        self.reversals = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/transfers/{self.id}/reversals",
        }

    def _reverse(self, amount: Any, metadata: Any = None) -> Any:
        number = positive_int(amount if amount is not None else self.amount - self.amount_reversed, "amount")
        if number > self.amount - self.amount_reversed:
            raise UserError(400, "Reversal amount exceeds the transfer's remaining amount")
        reversal = TransferReversal(self.id, number, self.currency, metadata)
        self.amount_reversed += number
        self.reversed = self.amount_reversed == self.amount
        data = [*self.reversals["data"], reversal._export()]
        self.reversals = {**self.reversals, "data": data, "total_count": len(data)}
        emit("transfer.reversed", self)
        return reversal


def install() -> None:
    if _INSTALLED[0]:
        return
    _INSTALLED[0] = True

    # Routes (kwargs as localstripe's api_extra passes them: body and query merged, `id` from the path)

    def create_account(**data: Any) -> Any:
        return Account(**data)

    def retrieve_account(id: str, **data: Any) -> Any:
        return Account._api_retrieve(id)

    def update_account(id: str, metadata: Any = None, email: str | None = None, **data: Any) -> Any:
        account = Account._api_retrieve(id)
        if metadata:
            account.metadata.update(metadata)
        if email:
            account.email = email
        emit("account.updated", account)
        return account

    def create_account_link(**data: Any) -> Any:
        return AccountLink(**data)

    def create_transfer(**data: Any) -> Any:
        transfer = Transfer(**data)
        emit("transfer.created", transfer)
        return transfer

    def retrieve_transfer(id: str, **data: Any) -> Any:
        return Transfer._api_retrieve(id)

    def list_transfers(
        transfer_group: str | None = None,
        destination: str | None = None,
        created: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **data: Any,
    ) -> Any:
        items = stored("transfer")
        if transfer_group:
            items = [t for t in items if t.transfer_group == transfer_group]
        if destination:
            items = [t for t in items if t.destination == destination]
        return listing("/v1/transfers", filter_created(items, created), limit, starting_after)

    def create_reversal(id: str, amount: Any = None, metadata: Any = None, **data: Any) -> Any:
        return Transfer._api_retrieve(id)._reverse(amount, metadata)

    def dev_onboard(id: str, disable: Any = None, **data: Any) -> Any:
        account = Account._api_retrieve(id)
        account._onboard(enabled=str(disable).lower() not in ("true", "1"))
        return account

    resources.extra_apis[:0] = [
        ("POST", "/v1/accounts", create_account),
        ("GET", "/v1/accounts/{id}", retrieve_account),
        ("POST", "/v1/accounts/{id}", update_account),
        ("POST", "/v1/transfers/{id}/reversals", create_reversal),
        ("POST", "/v1/transfers", create_transfer),
        ("GET", "/v1/transfers", list_transfers),
        ("GET", "/v1/transfers/{id}", retrieve_transfer),
        ("POST", "/_config/connect/accounts/{id}/onboard", dev_onboard),
    ]
    _LINKS.append(create_account_link)
    _ONBOARD.append(dev_onboard)


_LINKS: list[Callable[..., Any]] = []
_ONBOARD: list[Callable[..., Any]] = []


def add_routes(app: web.Application) -> None:
    """Routes that need the request itself (the emulator's own address; an HTML page), and the
    Idempotency-Key middleware. Called after localstripe's server module built its app."""
    from localstripe.server import get_post_data, json_response

    async def account_link(request: web.Request) -> web.Response:
        data = await get_post_data(request) or {}
        data.pop("expand", None)
        base = f"{request.scheme}://{request.host}"
        return json_response(_LINKS[0](base=base, **data)._export())

    async def onboarding_page(request: web.Request) -> web.Response:
        _ONBOARD[0](id=request.match_info["id"])
        return web.Response(text="Onboarding complete (Stripe emulator). You may close this page.\n")

    app.router.add_route("POST", "/v1/account_links", account_link)
    app.router.add_route("GET", "/_config/connect/onboarding/{id}", onboarding_page)
    app.middlewares.insert(1, idempotency_middleware)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    slot = (key, request.method, request.path)
    if slot in _IDEMPOTENT:
        status, body = _IDEMPOTENT[slot]
        return web.Response(
            status=status, body=body, content_type="application/json", headers={"Idempotent-Replayed": "true"}
        )
    response = await handler(request)
    if isinstance(response, web.Response) and 200 <= response.status < 300 and response.body is not None:
        body = response.body if isinstance(response.body, bytes) else json.dumps(response.body).encode()
        _IDEMPOTENT[slot] = (response.status, body)
        if len(_IDEMPOTENT) > 50_000:  # a dev emulator: forget the oldest half
            for old in list(_IDEMPOTENT)[:25_000]:
                _IDEMPOTENT.pop(old, None)
    return response
