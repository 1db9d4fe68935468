"""Moderation: members report a message; platform admins review the reports and remove messages.

One report item per reported message, `PK=CHATREPORT#<msg>`, gathers every member's report (one
per member: a second is a no-op) and keeps a snapshot of the text for the moderator. Each new report
also adds one to the platform's report total (`CHATSTATS`) in the same transaction, so a repeat that
changes nothing counts nothing. Open reports
are listed through GSI1 (`CHATREPORTS#<status>`), oldest first. Removing a message is the same
tombstone as a delete: content gone, a `message.deleted` frame to the members.
"""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.chat import access as access_mod
from chalicelib.chat import messages, schemas
from chalicelib.chat.models import STATS_KEY, ChatStatsItem, ReportDetail, ReportItem, report_pk, reports_index_pk
from chalicelib.core import clock, conditional, ids
from chalicelib.core.auth import Principal, require_admin
from chalicelib.core.exceptions import Conflict, NotFound, ValidationFailed
from chalicelib.core.pagination import PageQuery, decode_cursor, encode_cursor

SK = "REPORT"


def report(
    user_id: str, conversation_id: str, message_id: str, request: schemas.ReportIn
) -> tuple[schemas.ReportReceived, bool]:
    """File the caller's report; (the receipt, whether it is new)."""
    access_mod.load(conversation_id, user_id)
    item = messages.get_item(conversation_id, message_id)
    if item.sender_id == user_id:
        raise ValidationFailed("You cannot report your own message; delete it instead.", code="own_message")
    if item.deleted_at is not None:
        raise Conflict("The message was deleted already.", code="message_deleted")
    now = clock.now()
    cls = ReportItem
    detail = ReportDetail(reporter_id=user_id, reason=request.reason, detail=request.detail, reported_at=now)
    actions = [
        cls.kind.set(cls.kind | cls),
        cls.created_at.set(cls.created_at | now),
        cls.updated_at.set(now),
        cls.message_id.set(message_id),
        cls.conversation_id.set(conversation_id),
        cls.sender_id.set(item.sender_id),
        cls.body_snapshot.set(cls.body_snapshot | (item.body or "")),
        cls.status.set(cls.status | "open"),
        cls.GSI1PK.set(cls.GSI1PK | reports_index_pk("open")),
        cls.GSI1SK.set(cls.GSI1SK | f"{clock.to_wire(now)}#{message_id}"),
        cls.reporter_ids.add({user_id}),
        cls.details.set((cls.details | []).append([detail])),
    ]
    counted = [ChatStatsItem.reports.add(1), ChatStatsItem.kind.set(ChatStatsItem), ChatStatsItem.updated_at.set(now)]

    def build(tx: TransactWrite) -> None:
        tx.update(
            ReportItem(report_pk(message_id), SK),
            actions=actions,
            condition=cls.reporter_ids.does_not_exist() | ~cls.reporter_ids.contains(user_id),
        )
        tx.update(ChatStatsItem(STATS_KEY, STATS_KEY), actions=counted)

    try:
        conditional.run(build)
    except conditional.Refused:
        return schemas.ReportReceived(message_id=message_id, status="open"), False
    return schemas.ReportReceived(message_id=message_id, status="open"), True


def _out(item: ReportItem) -> schemas.Report:
    details = [
        schemas.ReportDetail(
            reporter_id=d.reporter_id, reason=d.reason, detail=d.detail, reported_at=clock.to_wire(d.reported_at)
        )
        for d in item.details or ()
    ]
    return schemas.Report(
        message_id=item.message_id,
        conversation_id=item.conversation_id,
        sender_id=item.sender_id,
        body_snapshot=item.body_snapshot or None,
        report_count=len(item.reporter_ids or ()),
        details=details,
        status=item.status,  # type: ignore[arg-type]
        first_reported_at=clock.to_wire(item.created_at),
        resolved_by=item.resolved_by,
        resolution_note=item.resolution_note,
    )


def list_reports(principal: Principal, status: str, query: PageQuery) -> schemas.ReportPage:
    require_admin(principal)
    scope = f"chat.reports:{status}"
    found = ReportItem.gsi1.query(
        reports_index_pk(status),
        limit=query.limit,
        page_size=query.limit,
        last_evaluated_key=decode_cursor(query.cursor, scope),
    )
    items = [_out(r) for r in found if isinstance(r, ReportItem)]
    return schemas.ReportPage(items=items, next_cursor=encode_cursor(found.last_evaluated_key, scope))


def resolve(principal: Principal, message_id: str, request: schemas.ResolveReport) -> schemas.Report:
    require_admin(principal)
    if not ids.is_id(message_id, "msg"):
        raise NotFound("No report for this message.")
    try:
        item = ReportItem.get(report_pk(message_id), SK, consistent_read=True)
    except ReportItem.DoesNotExist:
        raise NotFound("No report for this message.") from None
    if item.status != "open":
        raise Conflict(f"The report was resolved already ({item.status}).", code="report_resolved")
    status = "removed" if request.action == "remove_message" else "dismissed"
    if status == "removed":
        loaded = access_mod.load_any(item.conversation_id)
        message = messages.get_item(item.conversation_id, message_id)
        messages.tombstone(loaded, message, principal.user_id)
    cls = ReportItem
    item.update(
        actions=[
            cls.status.set(status),
            cls.resolved_by.set(principal.user_id),
            cls.resolution_note.set(request.note) if request.note else cls.resolution_note.remove(),
            cls.GSI1PK.set(reports_index_pk(status)),
            cls.updated_at.set(clock.now()),
        ]
    )
    return _out(item)
