"""What a route says about itself for the OpenAPI document: attached where the route is declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from chalicelib.core.lazy import resolve

if TYPE_CHECKING:
    from pydantic import BaseModel

AuthMode = Literal["required", "optional", "none", "signature"]


# A schema is a pydantic model class, or "package.module:Model" so that declaring a route does not
# import its schemas (they load with the first request that uses them; see core.lazy).


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    auth: AuthMode = "required"
    request: type[BaseModel] | str | None = None
    response: type[BaseModel] | str | None = None
    query: type[BaseModel] | str | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    response_media_type: str = "application/json"
    extra_responses: dict[int, str] = field(default_factory=dict)
    idempotent: bool = False  # accepts Idempotency-Key (core.idempotency)
    if_match: bool = False  # accepts If-Match with the version the client read (core.http.if_match_version)
    rate_limit: str | None = None  # a limit of core.rate_limit, checked before the view (429 + Retry-After)

    @property
    def request_model(self) -> type[BaseModel] | None:
        return _load(self.request)

    @property
    def response_model(self) -> type[BaseModel] | None:
        return _load(self.response)

    @property
    def query_model(self) -> type[BaseModel] | None:
        return _load(self.query)


def _load(schema: type[BaseModel] | str | None) -> type[BaseModel] | None:
    if isinstance(schema, str):
        model: type[BaseModel] = resolve(schema)
        return model
    return schema


# view function → its doc; filled by ApiBlueprint.route, read by core.openapi.
ROUTE_DOCS: dict[object, RouteDoc] = {}
