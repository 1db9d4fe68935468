"""The HTTP side of the local API Gateway: an HTTP request becomes a REST API proxy event.

Built as API Gateway (REST, Lambda proxy integration) builds it: the matched resource template and
its path parameters, single- and multi-value query strings and headers, a requestContext with
request id, resource path, stage and source IP, and the body byte-for-byte (base64 with
`isBase64Encoded` when its media type is one of the app's binary types). A path no route matches is
answered by the gateway itself (404 problem+json); so is a body over API Gateway's 10 MB limit.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.lambda_runtime import Invoker

STAGE = "local"
API_ID = "sesh-local"
ACCOUNT_ID = "123456789012"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
INTEGRATION_TIMEOUT_SECONDS = 29.0  # API Gateway's integration timeout


@dataclass(frozen=True)
class Match:
    resource: str
    path_parameters: dict[str, str]


class RouteTable:
    """The app's resource templates, matched as API Gateway does: literal segments beat
    `{param}` segments, `{param+}` takes the rest of the path."""

    def __init__(self, templates: list[str]) -> None:
        self._templates = [(t, t.strip("/").split("/") if t != "/" else []) for t in templates]

    def match(self, path: str) -> Match | None:
        parts = path.strip("/").split("/") if path.strip("/") else []
        best: tuple[tuple[int, ...], Match] | None = None
        for template, segments in self._templates:
            found = _match_segments(segments, parts)
            if found is None:
                continue
            params, score = found
            if best is None or score > best[0]:
                best = (score, Match(template, params))
        return best[1] if best else None


def _match_segments(segments: list[str], parts: list[str]) -> tuple[dict[str, str], tuple[int, ...]] | None:
    params: dict[str, str] = {}
    score: list[int] = []  # per segment: 2 literal, 1 parameter, 0 greedy; compared left to right
    for index, segment in enumerate(segments):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = parts[index:]
            if not rest:
                return None
            params[segment[1:-2]] = "/".join(rest)
            return params, (*score, 0)
        if index >= len(parts):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if not parts[index]:
                return None
            params[segment[1:-1]] = parts[index]
            score.append(1)
        elif segment == parts[index]:
            score.append(2)
        else:
            return None
    if len(segments) != len(parts):
        return None
    return params, tuple(score)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_binary(content_type: str | None, binary_types: list[str]) -> bool:
    if not content_type:
        return False
    media = _media_type(content_type)
    for pattern in binary_types:
        pattern = pattern.lower()
        if pattern in ("*/*", media) or (pattern.endswith("/*") and media.startswith(pattern[:-1])):
            return True
    return False


def _headers(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    multi: dict[str, list[str]] = {}
    for raw_name, raw_value in request.scope["headers"]:
        # HTTP/1.1 servers hand names over lowercased; Chalice reads them case-insensitively anyway.
        multi.setdefault(raw_name.decode("latin-1"), []).append(raw_value.decode("latin-1"))
    client = request.client.host if request.client else "127.0.0.1"
    forwarded = {
        "x-forwarded-for": client,
        "x-forwarded-proto": request.url.scheme,
        "x-forwarded-port": str(request.url.port or 80),
        "x-amzn-trace-id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}",
    }
    for name, value in forwarded.items():
        multi.setdefault(name, [value])
    single = {name: values[-1] for name, values in multi.items()}
    return single, multi


def _query(raw_query: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not raw_query:
        return None, None
    multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def request_context(request: Request, resource: str, request_id: str, now: datetime) -> dict[str, Any]:
    client = request.client.host if request.client else "127.0.0.1"
    return {
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, resource).hex[:6],
        "resourcePath": resource,
        "httpMethod": request.method,
        "extendedRequestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{STAGE}{request.scope['raw_path'].decode('latin-1')}",
        "accountId": ACCOUNT_ID,
        "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}",
        "stage": STAGE,
        "domainPrefix": request.url.hostname or "127",
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": client,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.headers.get("user-agent"),
            "user": None,
        },
        "domainName": request.url.netloc,
        "apiId": API_ID,
    }


def build_event(request: Request, match: Match, body: bytes, binary_types: list[str]) -> dict[str, Any]:
    """The proxy event API Gateway would send to the Lambda function for this request."""
    headers, multi_headers = _headers(request)
    query, multi_query = _query(request.scope.get("query_string", b"").decode("latin-1"))
    encoded = is_binary(request.headers.get("content-type"), binary_types)
    text: str | None = None
    if body:
        if not encoded:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                encoded = True  # API Gateway would mangle it; keep the bytes instead
        if encoded:
            text = base64.b64encode(body).decode("ascii")
    request_id = str(uuid.uuid4())
    # Like API Gateway (REST), path and path parameters stay percent-encoded as sent.
    raw_path = request.scope["raw_path"].decode("latin-1")
    return {
        "resource": match.resource,
        "path": raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context(request, match.resource, request_id, datetime.now(UTC)),
        "body": text,
        "isBase64Encoded": encoded,
    }


def gateway_problem(status: int, code: str, title: str, detail: str) -> Response:
    body = {
        "type": f"https://sesh.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [],
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def to_response(result: dict[str, Any], request_id: str) -> Response:
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    response = Response(content=body, status_code=int(result.get("statusCode", 200)))
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))  # API Gateway's default for proxy responses
    headers.append(("x-amzn-RequestId", request_id))
    response.raw_headers = [(b"content-length", str(len(body)).encode())] + [
        (n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers if n.lower() != "content-length"
    ]
    return response


class HttpGateway:
    def __init__(self, invoker: Invoker) -> None:
        self.invoker = invoker
        self.routes = RouteTable(list(invoker.app.routes))

    async def handle(self, request: Request) -> Response:
        raw_path = request.scope["raw_path"].decode("latin-1")
        match = self.routes.match(raw_path)
        if match is None:
            return gateway_problem(404, "not_found", "Not found", f"No route matches {raw_path}.")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return gateway_problem(
                413,
                "payload_too_large",
                "Request body too large",
                f"API Gateway accepts at most {MAX_BODY_BYTES} bytes.",
            )
        event = build_event(request, match, body, list(self.invoker.app.api.binary_types))
        request_id = event["requestContext"]["requestId"]
        try:
            result = await asyncio.wait_for(
                to_thread.run_sync(self.invoker.http, event, abandon_on_cancel=True),
                timeout=INTEGRATION_TIMEOUT_SECONDS,
            )
        except TimeoutError:
            return gateway_problem(
                504,
                "gateway_timeout",
                "Gateway timeout",
                f"The app did not answer within {INTEGRATION_TIMEOUT_SECONDS:.0f}s.",
            )
        except Exception as exc:  # the function crashed: API Gateway answers 502
            return gateway_problem(502, "bad_gateway", "Bad gateway", f"The function failed: {exc!r}.")
        return to_response(result, request_id)
