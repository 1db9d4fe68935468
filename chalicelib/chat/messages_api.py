"""Routes of chat, part two: messages (also sent over the websocket), read state, reactions, pins,
attachments, and moderation."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.chat import access, attachments, messages, moderation, reactions, read_state, schemas
    from chalicelib.core import http, idempotency
else:  # loaded by the first request that needs them (cold start)
    access = lazy_import("chalicelib.chat.access")
    attachments = lazy_import("chalicelib.chat.attachments")
    messages = lazy_import("chalicelib.chat.messages")
    moderation = lazy_import("chalicelib.chat.moderation")
    reactions = lazy_import("chalicelib.chat.reactions")
    read_state = lazy_import("chalicelib.chat.read_state")
    schemas = lazy_import("chalicelib.chat.schemas")
    http = lazy_import("chalicelib.core.http")
    idempotency = lazy_import("chalicelib.core.idempotency")

bp = ApiBlueprint(__name__)
TAGS = ("chat",)
S = "chalicelib.chat.schemas:"
ONE = "/v1/conversations/{conversation_id}"
MSG = ONE + "/messages/{message_id}"


@bp.route(
    ONE + "/messages",
    methods=["GET"],
    doc=RouteDoc(
        "History, newest first (a cursor pages back; `after` stops at a message you have; `q` searches)",
        query=S + "MessagesQuery",
        response=S + "MessagePage",
        errors=(400, 404),
        tags=TAGS,
    ),
)
def list_conversation_messages(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, schemas.MessagesQuery)
    return http.json_response(messages.history(principal.user_id, conversation_id, query))


@bp.route(
    ONE + "/messages",
    methods=["POST"],
    doc=RouteDoc(
        "Send a message (the same as the websocket's send action); a repeated client_msg_id returns the first",
        request=S + "SendMessage",
        response=S + "SentMessage",
        status=201,
        extra_responses={200: "client_msg_id (or Idempotency-Key) named a message sent before."},
        idempotent=True,
        errors=(404, 409, 429),
        tags=TAGS,
    ),
)
def send_conversation_message(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.SendMessage)
    key = idempotency.key_from(request)
    if body.client_msg_id is None and key is not None:  # the header works as a client_msg_id
        body = body.model_copy(update={"client_msg_id": "idem-" + hashlib.sha256(key.encode()).hexdigest()[:40]})
    sent = messages.send(principal.user_id, conversation_id, body)
    return http.json_response(sent, status=200 if sent.duplicate else 201)


@bp.route(MSG, methods=["GET"], doc=RouteDoc("One message", response=S + "Message", errors=(404,), tags=TAGS))
def get_conversation_message(conversation_id: str, message_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return http.json_response(messages.get(principal.user_id, conversation_id, message_id))


@bp.route(
    MSG,
    methods=["PATCH"],
    doc=RouteDoc(
        "Edit your message (within 48 hours; it is marked edited)",
        request=S + "EditMessage",
        response=S + "Message",
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def edit_conversation_message(conversation_id: str, message_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.EditMessage)
    return http.json_response(messages.edit(principal.user_id, conversation_id, message_id, body))


@bp.route(
    MSG,
    methods=["DELETE"],
    doc=RouteDoc(
        "Delete a message (yours, or anyone's as an admin): its content goes, a tombstone stays",
        response=S + "Message",
        errors=(403, 404),
        tags=TAGS,
    ),
)
def delete_conversation_message(conversation_id: str, message_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return http.json_response(messages.delete(principal.user_id, conversation_id, message_id))


@bp.route(
    MSG + "/reactions",
    methods=["POST"],
    doc=RouteDoc(
        "Toggle your reaction (one of a fixed set of emoji) on a message",
        request=S + "ToggleReaction",
        response=S + "ReactionResult",
        errors=(404, 409),
        tags=TAGS,
    ),
)
def toggle_message_reaction(conversation_id: str, message_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ToggleReaction)
    return http.json_response(reactions.toggle(principal.user_id, conversation_id, message_id, body))


@bp.route(
    MSG + "/reports",
    methods=["POST"],
    doc=RouteDoc(
        "Report a message to the moderators (once per member; a repeat answers 200)",
        request=S + "ReportIn",
        response=S + "ReportReceived",
        status=201,
        extra_responses={200: "You had reported this message already."},
        errors=(404, 409),
        tags=TAGS,
    ),
)
def report_conversation_message(conversation_id: str, message_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ReportIn)
    receipt, new = moderation.report(principal.user_id, conversation_id, message_id, body)
    return http.json_response(receipt, status=201 if new else 200)


@bp.route(
    ONE + "/pins",
    methods=["GET"],
    doc=RouteDoc("The pinned messages", response=S + "PinList", errors=(404,), tags=TAGS),
)
def list_conversation_pins(conversation_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return http.json_response(reactions.pins(principal.user_id, conversation_id))


@bp.route(
    ONE + "/pins/{message_id}",
    methods=["PUT"],
    doc=RouteDoc(
        "Pin a message (admins; both people in a direct chat)",
        response=S + "Message",
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def pin_conversation_message(conversation_id: str, message_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return http.json_response(reactions.pin(principal.user_id, conversation_id, message_id, True))


@bp.route(
    ONE + "/pins/{message_id}",
    methods=["DELETE"],
    doc=RouteDoc("Unpin a message (admins)", response=S + "Message", errors=(403, 404, 409), tags=TAGS),
)
def unpin_conversation_message(conversation_id: str, message_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return http.json_response(reactions.pin(principal.user_id, conversation_id, message_id, False))


@bp.route(
    ONE + "/read",
    methods=["POST"],
    doc=RouteDoc(
        "Mark everything up to a message as read (never moves back)",
        request=S + "MarkRead",
        response=S + "ReadState",
        errors=(404,),
        tags=TAGS,
    ),
)
def mark_conversation_read(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.MarkRead)
    return http.json_response(read_state.mark_read(principal.user_id, conversation_id, body.message_id))


@bp.route(
    ONE + "/attachments",
    methods=["POST"],
    doc=RouteDoc(
        "A presigned S3 POST for an image, voice message or PDF (up to 25 MB); then send a message naming its key",
        request=S + "AttachmentUploadIn",
        response=S + "AttachmentUploadOut",
        status=201,
        errors=(404,),
        rate_limit="upload",
        tags=TAGS,
    ),
)
def create_conversation_attachment(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.AttachmentUploadIn)
    access.load(conversation_id, principal.user_id)
    return http.json_response(attachments.upload(conversation_id, principal.user_id, body), status=201)


@bp.route(
    "/v1/chat/reports",
    methods=["GET"],
    doc=RouteDoc(
        "Reported messages, oldest first (admins)",
        query=S + "ReportsQuery",
        response=S + "ReportPage",
        errors=(400, 403),
        tags=TAGS,
    ),
)
def list_chat_reports() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, schemas.ReportsQuery)
    return http.json_response(moderation.list_reports(principal, query.status, query))


@bp.route(
    "/v1/chat/reports/{message_id}",
    methods=["POST"],
    doc=RouteDoc(
        "Resolve a message's reports: remove the message, or dismiss them (admins)",
        request=S + "ResolveReport",
        response=S + "Report",
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def resolve_chat_report(message_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ResolveReport)
    return http.json_response(moderation.resolve(principal, message_id, body))
