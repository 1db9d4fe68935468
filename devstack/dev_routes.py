"""Dev-only routes under /dev, served by the runner and never by the deployed app (app.py never
imports this). They mint tokens, show the mail sink, move the clock, and let tests and developers
poke the app's own code (realtime sender, email adapter, timers) from outside.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack import mail
from devstack.issuer import Issuer
from devstack.lambda_worker import LambdaWorker
from devstack.ws_registry import Registry

DEV_TIMER_HANDLER = "dev.echo"
M = TypeVar("M", bound=BaseModel)


@dataclass
class DevContext:
    issuer: Issuer
    registry: Registry
    lambda_worker: LambdaWorker
    wake_sweeper: Callable[[], None]
    stack_info: Callable[[], dict[str, Any]]


# -- request bodies -----------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenIn(_Body):
    user_id: str | None = None
    email: str | None = None
    name: str | None = None
    roles: list[str] = Field(default_factory=lambda: ["player"])
    ttl_seconds: int = Field(default=24 * 3600, ge=60, le=365 * 24 * 3600)


class ClockIn(_Body):
    advance_seconds: float | None = None
    set: datetime | None = None


class SendIn(_Body):
    connection_ids: list[str] = Field(default_factory=list)
    user_id: str | None = None
    frame: dict[str, Any]


class TestMailIn(_Body):
    to: list[str] = Field(min_length=1)
    subject: str = "Hello from the Sesh local stack"
    text: str = "It works."
    html: str | None = None


class TimerIn(_Body):
    due_in_seconds: float = Field(ge=0)
    payload: dict[str, Any] = Field(default_factory=dict)


class ConnectionIn(_Body):
    connection_id: str = Field(min_length=1, max_length=128)
    user_id: str


class SessionRosterIn(_Body):
    """What the booking engine tells chat: a session's chat opened, players confirmed or gone."""

    session_id: str
    host_id: str
    title: str = "Session chat"
    confirmed: list[str] = Field(default_factory=list)
    cancelled: list[str] = Field(default_factory=list)


class DynamoCalls:
    """Counts the app's DynamoDB calls by operation (PynamoDB's pre-send signal), leaving out the
    timer sweep's own polling, for benchmarks: GET /dev/stats/dynamodb, DELETE to reset."""

    SWEEP_THREADS = ("devstack-sweep", "sweep_")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._installed = False

    def install(self) -> None:
        from pynamodb.signals import pre_dynamodb_send

        if not self._installed:
            pre_dynamodb_send.connect(self._on_send, weak=False)
            self._installed = True

    def _on_send(self, sender: object, operation_name: str, table_name: str | None, req_uuid: object) -> None:
        if threading.current_thread().name.startswith(self.SWEEP_THREADS):
            return
        with self._lock:
            self._counts[operation_name] += 1

    def snapshot(self, more: Counter[str] | None = None) -> dict[str, Any]:
        """The counts, plus `more` (another process's)."""
        with self._lock:
            counts = dict(sorted((self._counts + (more or Counter())).items()))
        return {"total": sum(counts.values()), "by_operation": counts}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


# -- helpers ------------------------------------------------------------------------------------


def problem(status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    from chalicelib.core.problems import problem_body

    body = problem_body(status, code, detail, detail, errors)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class BadInput(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def _parse(request_body: bytes, model: type[M]) -> M:
    try:
        return model.model_validate_json(request_body or b"{}")
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()]
        raise BadInput(problem(422, "validation_failed", "Some fields are not valid.", errors)) from None


def _wire(moment: datetime) -> str:
    from chalicelib.core import clock

    return clock.to_wire(moment)


def _clock_state() -> dict[str, Any]:
    from datetime import UTC

    from chalicelib.core import clock

    now = clock.now()
    return {"now": _wire(now), "offset_seconds": round((now - datetime.now(UTC)).total_seconds(), 3)}


# -- routes -------------------------------------------------------------------------------------


class DevRoutes:
    def __init__(self, ctx: DevContext) -> None:
        self.ctx = ctx
        self.dynamodb_calls = DynamoCalls()
        self.dynamodb_calls.install()

    def routes(self) -> list[Route]:
        return [
            Route("/dev", self.index, methods=["GET"]),
            Route("/dev/token", self.token, methods=["POST"]),
            Route("/dev/.well-known/jwks.json", self.jwks, methods=["GET"]),
            Route("/dev/mail", self.list_mail, methods=["GET"]),
            Route("/dev/mail", self.clear_mail, methods=["DELETE"]),
            Route("/dev/mail/test", self.test_mail, methods=["POST"]),
            Route("/dev/clock", self.get_clock, methods=["GET"]),
            Route("/dev/clock", self.move_clock, methods=["POST"]),
            Route("/dev/realtime/send", self.realtime_send, methods=["POST"]),
            Route("/dev/connections", self.live_connections, methods=["GET"]),
            Route("/dev/connections", self.register_connection, methods=["POST"]),
            Route("/dev/connections/{connection_id}", self.connection, methods=["GET"]),
            Route("/dev/chat/session-roster", self.session_roster, methods=["POST"]),
            Route("/dev/stats/dynamodb", self.dynamodb_stats, methods=["GET"]),
            Route("/dev/stats/dynamodb", self.reset_dynamodb_stats, methods=["DELETE"]),
            Route("/dev/stripe/events/{event_id}", self.stripe_event, methods=["GET"]),
            Route("/dev/timers", self.schedule_timer, methods=["POST"]),
            Route("/dev/timers/{timer_id}", self.timer, methods=["GET"]),
        ]

    async def index(self, request: Request) -> Response:
        return JSONResponse(self.ctx.stack_info())

    async def token(self, request: Request) -> Response:
        from chalicelib.core import clock, ids
        from chalicelib.core.auth import ROLES

        try:
            body = _parse(await request.body(), TokenIn)
        except BadInput as bad:
            return bad.response
        if body.user_id is not None and not ids.is_id(body.user_id, "usr"):
            return problem(
                422,
                "validation_failed",
                "user_id must look like usr_<ULID>.",
                [{"field": "user_id", "message": "not a user id"}],
            )
        unknown = sorted(set(body.roles) - set(ROLES))
        if unknown:
            return problem(
                422,
                "validation_failed",
                f"Unknown roles: {unknown}; use {list(ROLES)}.",
                [{"field": "roles", "message": "unknown role"}],
            )
        user_id = body.user_id or ids.new_id("usr")
        email = body.email or f"{user_id.lower()}@sesh.example"
        now = clock.now()
        token = self.ctx.issuer.mint(
            user_id, now=now, email=email, name=body.name, roles=body.roles, ttl_seconds=body.ttl_seconds
        )
        expires = now + timedelta(seconds=body.ttl_seconds)
        return JSONResponse(
            {"token": token, "user_id": user_id, "email": email, "roles": body.roles, "expires_at": _wire(expires)},
            status_code=201,
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.ctx.issuer.jwks())

    async def list_mail(self, request: Request) -> Response:
        to = request.query_params.get("to")
        items = [m.as_dict() for m in mail.sent_mail() if to is None or to in m.to]
        return JSONResponse({"items": items})

    async def clear_mail(self, request: Request) -> Response:
        mail.clear()
        return Response(status_code=204)

    async def test_mail(self, request: Request) -> Response:
        """Sends through the app's email adapter, as any feature would."""
        from chalicelib.notifications import email

        try:
            body = _parse(await request.body(), TestMailIn)
        except BadInput as bad:
            return bad.response
        message = email.Email(to=tuple(body.to), subject=body.subject, text=body.text, html=body.html)
        message_id = await run_in_threadpool(email.send, message)
        return JSONResponse({"message_id": message_id}, status_code=202)

    async def get_clock(self, request: Request) -> Response:
        return JSONResponse(_clock_state())

    async def move_clock(self, request: Request) -> Response:
        from chalicelib.core import clock

        try:
            body = _parse(await request.body(), ClockIn)
        except BadInput as bad:
            return bad.response
        if (body.advance_seconds is None) == (body.set is None):
            return problem(422, "validation_failed", "Send exactly one of advance_seconds or set.")
        if body.set is not None:
            if body.set.tzinfo is None:
                return problem(422, "validation_failed", "set needs a timezone, e.g. 2030-01-01T09:00:00Z.")
            clock.set_now(body.set)
        else:
            clock.advance(float(body.advance_seconds or 0))
        self.ctx.wake_sweeper()  # what became due runs now, not at the next tick
        return JSONResponse(_clock_state())

    async def realtime_send(self, request: Request) -> Response:
        """Sends through the app's realtime sender (post_to_connection via @connections)."""
        from chalicelib.core import realtime

        try:
            body = _parse(await request.body(), SendIn)
        except BadInput as bad:
            return bad.response
        if body.user_id:
            report = await run_in_threadpool(realtime.send_to_user, body.user_id, body.frame)
        else:
            report = await run_in_threadpool(realtime.send_to_connections, body.connection_ids, body.frame)
        return JSONResponse(report.as_dict())

    async def live_connections(self, request: Request) -> Response:
        items = [
            {
                "connection_id": c.connection_id,
                "connected_at": _wire(c.connected_at),
                "last_active_at": _wire(c.last_active_at),
                "source_ip": c.source_ip,
            }
            for c in self.ctx.registry.all()
        ]
        return JSONResponse({"items": items})

    def connection(self, request: Request) -> Response:
        """The app's record of a connection (core.connections), not the gateway's socket."""
        from chalicelib.core import connections

        found = connections.get(request.path_params["connection_id"])
        if found is None:
            return problem(404, "not_found", "The app has no record of this connection.")
        return JSONResponse(
            {
                "connection_id": found.connection_id,
                "user_id": found.user_id,
                "connected_at": _wire(found.connected_at),
                "expires_at": _wire(found.expires_at) if found.expires_at else None,
            }
        )

    async def register_connection(self, request: Request) -> Response:
        """A connection record with no socket behind it: as if its $disconnect never reached the app
        (the gateway answers 410 for it, and the next send to its user cleans it up)."""
        from chalicelib.core import connections

        try:
            body = _parse(await request.body(), ConnectionIn)
        except BadInput as bad:
            return bad.response
        found = await run_in_threadpool(connections.register, body.connection_id, body.user_id)
        return JSONResponse({"connection_id": found.connection_id, "user_id": found.user_id}, status_code=201)

    async def session_roster(self, request: Request) -> Response:
        """Drives chat's session-chat contract as the booking engine would: open the session's chat
        (idempotent), then join the confirmed players and remove the cancelled ones."""
        from chalicelib.chat import service as chat
        from chalicelib.core.exceptions import ProblemError

        try:
            body = _parse(await request.body(), SessionRosterIn)
        except BadInput as bad:
            return bad.response

        def apply() -> dict[str, Any]:
            conversation_id = chat.open_session_chat(body.session_id, body.host_id, body.title)
            joined = [uid for uid in body.confirmed if chat.join_session_chat(body.session_id, uid)]
            left = [uid for uid in body.cancelled if chat.leave_session_chat(body.session_id, uid)]
            return {"conversation_id": conversation_id, "joined": joined, "left": left}

        try:
            return JSONResponse(await run_in_threadpool(apply))
        except ValueError as exc:
            return problem(422, "validation_failed", str(exc))
        except ProblemError as exc:
            return problem(exc.status, exc.code, exc.detail)

    async def dynamodb_stats(self, request: Request) -> Response:
        """This process's calls (HTTP routes, /dev) and the Lambda worker's (websocket handlers)."""
        worker = Counter(await self.ctx.lambda_worker.dynamodb_calls())
        return JSONResponse(self.dynamodb_calls.snapshot(worker))

    async def reset_dynamodb_stats(self, request: Request) -> Response:
        self.dynamodb_calls.reset()
        await self.ctx.lambda_worker.reset_dynamodb_calls()
        return Response(status_code=204)

    def stripe_event(self, request: Request) -> Response:
        from chalicelib.payments import webhooks

        found = webhooks.processed_event(request.path_params["event_id"])
        if found is None:
            return problem(404, "not_found", "The API has not processed this Stripe event (yet).")
        return JSONResponse(
            {
                "id": found.event_id,
                "type": found.event_type,
                "object_id": found.object_id,
                "processed_at": _wire(found.processed_at),
            }
        )

    async def schedule_timer(self, request: Request) -> Response:
        """A `dev.echo` timer: when it fires it emails payload["to"] with payload["subject"]."""
        from chalicelib.core import clock, timers
        from chalicelib.core.table import write_transaction

        try:
            body = _parse(await request.body(), TimerIn)
        except BadInput as bad:
            return bad.response
        due_at = clock.now() + timedelta(seconds=body.due_in_seconds)

        def write() -> str:
            with write_transaction() as tx:
                return timers.schedule(tx, handler=DEV_TIMER_HANDLER, due_at=due_at, payload=body.payload)

        timer_id = await run_in_threadpool(write)
        return JSONResponse({"timer_id": timer_id, "due_at": _wire(due_at)}, status_code=201)

    def timer(self, request: Request) -> Response:
        from chalicelib.core import timers

        found = timers.get(request.path_params["timer_id"])
        if found is None:
            return problem(404, "not_found", "No such timer.")
        return JSONResponse(
            {
                "timer_id": found.timer_id,
                "handler": found.handler,
                "status": found.status,
                "due_at": _wire(found.due_at),
                "attempt": found.attempt,
                "payload": found.payload,
            }
        )


def register_dev_timer_handler() -> None:
    """The timer handler behind POST /dev/timers: proves a timer fired by sending an email."""
    from chalicelib.core import timers
    from chalicelib.notifications import email

    def echo(timer: Any) -> None:
        payload = timer.payload
        email.send(
            email.Email(
                to=(str(payload.get("to", "dev@sesh.example")),),
                subject=str(payload.get("subject", f"Timer {timer.timer_id} fired")),
                text=f"Timer {timer.timer_id} was due at {_wire(timer.due_at)}.\n\n{payload}",
            )
        )

    if DEV_TIMER_HANDLER not in timers.registered_handlers():
        timers.register_handler(DEV_TIMER_HANDLER, echo)
