"""Routes of chat, part one: conversations, their members and each member's own settings.
(Messages, reactions, pins, attachments and reports: chalicelib/chat/messages_api.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.auth import authenticate
from chalicelib.core.lazy import lazy_import
from chalicelib.core.openapi_docs import RouteDoc
from chalicelib.core.routing import ApiBlueprint

if TYPE_CHECKING:
    from chalicelib.chat import conversations, members, schemas
    from chalicelib.core import http, idempotency, pagination
else:  # loaded by the first request that needs them (cold start)
    conversations = lazy_import("chalicelib.chat.conversations")
    members = lazy_import("chalicelib.chat.members")
    schemas = lazy_import("chalicelib.chat.schemas")
    http = lazy_import("chalicelib.core.http")
    idempotency = lazy_import("chalicelib.core.idempotency")
    pagination = lazy_import("chalicelib.core.pagination")

bp = ApiBlueprint(__name__)
TAGS = ("chat",)
S = "chalicelib.chat.schemas:"  # schema references, imported on first use
ONE = "/v1/conversations/{conversation_id}"


@bp.route(
    "/v1/conversations",
    methods=["POST"],
    doc=RouteDoc(
        "Start a direct chat (200 with the existing one for the same pair) or create a group",
        request=S + "CreateConversation",
        response=S + "Conversation",
        status=201,
        extra_responses={200: "The direct chat with this person existed already."},
        idempotent=True,
        tags=TAGS,
    ),
)
def create_conversation() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.CreateConversation)

    def create() -> dict[str, object]:
        view, created = conversations.create(principal.user_id, body)
        return {"status": 201 if created else 200, "body": view.model_dump(mode="json")}

    outcome = idempotency.run_once(
        scope=f"{principal.user_id}:create_conversation",
        key=idempotency.key_from(request),
        payload=body.model_dump(mode="json"),
        action=create,
    )
    return http.json_response(outcome["body"], status=int(outcome["status"]))


@bp.route(
    "/v1/conversations",
    methods=["GET"],
    doc=RouteDoc(
        "Your conversations, most recently active first, with unread counts and the last message",
        query=S + "ConversationsQuery",
        response=S + "ConversationPage",
        errors=(400,),
        tags=TAGS,
    ),
)
def list_conversations() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, schemas.ConversationsQuery)
    return http.json_response(conversations.list_for(principal.user_id, query))


@bp.route(
    ONE,
    methods=["GET"],
    doc=RouteDoc("One of your conversations", response=S + "Conversation", errors=(404,), tags=TAGS),
)
def get_conversation(conversation_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return http.json_response(conversations.get(principal.user_id, conversation_id))


@bp.route(
    ONE,
    methods=["PATCH"],
    doc=RouteDoc(
        "Change a group's name, description or avatar (admins; If-Match with settings_version)",
        request=S + "UpdateConversation",
        response=S + "Conversation",
        if_match=True,
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def update_conversation(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    change = http.parse_body(request, schemas.UpdateConversation)
    view = conversations.update_settings(principal.user_id, conversation_id, change, http.if_match_version(request))
    return http.json_response(view)


@bp.route(
    ONE + "/me",
    methods=["PATCH"],
    doc=RouteDoc(
        "Archive or mute a conversation, for you only",
        request=S + "MySettings",
        response=S + "Conversation",
        errors=(404,),
        tags=TAGS,
    ),
)
def update_my_conversation_settings(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    change = http.parse_body(request, schemas.MySettings)
    return http.json_response(members.my_settings(principal.user_id, conversation_id, change))


@bp.route(
    ONE + "/members",
    methods=["GET"],
    doc=RouteDoc(
        "The members of a conversation",
        query="chalicelib.core.pagination:PageQuery",
        response=S + "MemberPage",
        errors=(400, 404),
        tags=TAGS,
    ),
)
def list_conversation_members(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    query = http.parse_query(request, pagination.PageQuery)
    return http.json_response(members.list_members(principal.user_id, conversation_id, query))


@bp.route(
    ONE + "/members",
    methods=["POST"],
    doc=RouteDoc(
        "Add members to a group (admins; at most 50 at a time, 500 in all)",
        request=S + "AddMembers",
        response=S + "MemberPage",
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def add_conversation_members(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.AddMembers)
    return http.json_response(members.add_members(principal.user_id, conversation_id, body))


@bp.route(
    ONE + "/members/{user_id}",
    methods=["DELETE"],
    doc=RouteDoc(
        "Remove a member (admins), or yourself (leave)",
        status=204,
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def remove_conversation_member(conversation_id: str, user_id: str) -> Response:
    principal = authenticate(bp.current_request)
    members.remove_member(principal.user_id, conversation_id, user_id)
    return Response(body="", status_code=204)


@bp.route(
    ONE + "/members/{user_id}",
    methods=["PATCH"],
    doc=RouteDoc(
        "Make a member an admin, or an admin a member (the owner)",
        request=S + "ChangeRole",
        response=S + "Member",
        errors=(403, 404, 409),
        tags=TAGS,
    ),
)
def change_conversation_member_role(conversation_id: str, user_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    body = http.parse_body(request, schemas.ChangeRole)
    return http.json_response(members.change_role(principal.user_id, conversation_id, user_id, body))


@bp.route(ONE + "/leave", methods=["POST"], doc=RouteDoc("Leave a group", status=204, errors=(404, 409), tags=TAGS))
def leave_conversation(conversation_id: str) -> Response:
    principal = authenticate(bp.current_request)
    members.leave(principal.user_id, conversation_id)
    return Response(body="", status_code=204)
