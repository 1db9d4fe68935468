"""Bearer-token authentication and the one-line authorization helpers every route uses.

Tokens are JWTs verified against the issuer's JWKS (Cognito in AWS, the dev issuer locally): RS256
only, with issuer, audience, expiry and not-before checked. Which user a token belongs to is decided
by a resolver that the accounts package registers at wiring time (app.py), so core never imports it.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalice.app import Request

from chalicelib.core import clock
from chalicelib.core.exceptions import Forbidden, NotFound, Unauthorized
from chalicelib.core.lazy import lazy_import, resolve
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    import jwt

    from chalicelib.core import settings
else:
    # PyJWT pulls in cryptography: loaded when the first token is verified, not at cold start.
    jwt = lazy_import("jwt")
    settings = lazy_import("chalicelib.core.settings")

ROLES = ("player", "host", "admin")
ALGORITHMS = ["RS256"]  # pinned: never "none", never HS* (no key confusion)


@dataclass(frozen=True)
class Claims:
    """What a verified token says about its bearer."""

    issuer: str
    subject: str
    email: str | None
    name: str | None
    roles: frozenset[str]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as routes see them."""

    user_id: str
    roles: frozenset[str]
    email: str | None = None
    issuer: str = ""
    subject: str = ""

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_host(self) -> bool:
        return "host" in self.roles


PrincipalResolver = Callable[[Claims], Principal]
_resolver: PrincipalResolver | str | None = None
_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def set_principal_resolver(resolver: PrincipalResolver | str) -> None:
    """Who a token belongs to: a function, or "module:function" imported on first use."""
    global _resolver
    _resolver = resolver


@lru_cache(maxsize=1)
def _jwks_client() -> Any:
    config = settings.get_settings()
    if config.jwks_json:
        return jwt.PyJWKSet.from_dict(json.loads(config.jwks_json))
    return jwt.PyJWKClient(config.effective_jwks_url, cache_keys=True, lifespan=3600)


def _signing_key(token: str) -> Any:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is malformed.", code="invalid_token") from exc
    source = _jwks_client()
    try:
        if isinstance(source, jwt.PyJWKSet):
            return next(k for k in source.keys if k.key_id == kid).key
        return source.get_signing_key(kid).key
    except (StopIteration, jwt.PyJWKClientError) as exc:
        raise Unauthorized("The token was not signed by a trusted key.", code="invalid_token") from exc


def _roles_from(payload: dict[str, Any]) -> frozenset[str]:
    raw = payload.get("roles") or payload.get("cognito:groups") or []
    if isinstance(raw, str):
        raw = raw.split()
    return frozenset({"player"} | {r for r in raw if r in ROLES})


def verify_token(token: str) -> Claims:
    config = settings.get_settings()
    key = _signing_key(token)
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=config.jwt_audience,
            issuer=config.jwt_issuer,
            leeway=config.jwt_leeway_seconds,
            # exp, nbf and iat are checked below against the movable clock, not PyJWT's wall clock.
            options={
                "require": ["exp", "sub", "iss", "aud"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("The token is for another audience.", code="invalid_token") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"The token is not valid: {exc}.", code="invalid_token") from exc
    _check_lifetime(payload, config.jwt_leeway_seconds)
    return Claims(
        issuer=payload["iss"],
        subject=str(payload["sub"]),
        email=payload.get("email"),
        name=payload.get("name"),
        roles=_roles_from(payload),
    )


def _check_lifetime(payload: dict[str, Any], leeway: int) -> None:
    now = clock.epoch_seconds()
    try:
        expires = int(payload["exp"])
        not_before = max(int(payload.get("nbf", 0)), int(payload.get("iat", 0)))
    except (TypeError, ValueError) as exc:
        raise Unauthorized("The token's exp, nbf or iat is not a number.", code="invalid_token") from exc
    if now > expires + leeway:
        raise Unauthorized("The token has expired.", code="token_expired")
    if now + leeway < not_before:
        raise Unauthorized("The token is not valid yet.", code="invalid_token")


def bearer_token(request: Request) -> str | None:
    header: str | None = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.", code="invalid_token")
    return token.strip()


def principal_from_token(token: str) -> Principal:
    global _resolver
    if _resolver is None:
        raise RuntimeError("no principal resolver registered (see app.py)")
    if isinstance(_resolver, str):
        _resolver = resolve(_resolver)
    assert callable(_resolver)
    return _resolver(verify_token(token))


def authenticate(request: Request) -> Principal:
    """The caller, or 401. Cached for the rest of the request."""
    cached = _current.get()
    if cached is not None:
        return cached
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("This route needs a bearer token.", code="missing_token")
    principal = principal_from_token(token)
    _current.set(principal)
    logger.append_keys(user_id=principal.user_id)
    return principal


def optional_principal(request: Request) -> Principal | None:
    """The caller on public routes that show more to signed-in users."""
    return authenticate(request) if request.headers.get("authorization") else None


def current_user_id() -> str | None:
    """For log lines: who is calling, when already known."""
    principal = _current.get()
    return principal.user_id if principal is not None else None


def reset_request_state() -> None:
    _current.set(None)


def require_role(principal: Principal, role: str) -> Principal:
    if role not in principal.roles and not principal.is_admin:
        raise Forbidden(f"Only a {role} may do this.", code=f"{role}_only")
    return principal


def require_admin(principal: Principal) -> Principal:
    if not principal.is_admin:
        raise Forbidden("Only an admin may do this.", code="admin_only")
    return principal


def require_owner(principal: Principal, owner_id: str, *, hide: bool = False) -> Principal:
    """Only the owner (or an admin). `hide=True` answers 404 so strangers learn nothing."""
    if principal.user_id != owner_id and not principal.is_admin:
        if hide:
            raise NotFound()
        raise Forbidden("Only the owner may do this.", code="owner_only")
    return principal
