"""Calls the app in process as API Gateway would (Chalice's test client), with an optional bearer token.
Shared by the tiers that run the app in the test's own process (api, faults, conformance)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    def __init__(self, client: Any) -> None:
        self._client = client  # a chalice.test.Client

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        sent = dict(headers or {})
        if token:
            sent.setdefault("Authorization", f"Bearer {token}")
        if json_body is not None:
            body = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        raw = self._client.http.request(method, path, headers=sent, body=body or b"")
        return ApiResponse(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, raw.body)

    def get(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("DELETE", path, **kw)
