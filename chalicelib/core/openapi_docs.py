"""What a route says about itself for the OpenAPI document: attached where the route is declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

AuthMode = Literal["required", "optional", "none", "signature"]


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    auth: AuthMode = "required"
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    response_media_type: str = "application/json"
    extra_responses: dict[int, str] = field(default_factory=dict)


# view function → its doc; filled by ApiBlueprint.route, read by core.openapi.
ROUTE_DOCS: dict[object, RouteDoc] = {}
