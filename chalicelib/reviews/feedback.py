"""Hosts' private session feedback: what went well, what to improve. Only the session's host reads
or writes it (not even admins: the issue promises "only they see"); nobody else learns it exists."""

from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import NotFound
from chalicelib.reviews import schemas
from chalicelib.reviews.models import FEEDBACK_SK, FeedbackItem, feedback_pk


def _hosts_session(principal: Principal, session_id: str) -> str:
    from chalicelib.catalog import service as catalog

    try:
        session = catalog.session_for_booking(session_id, consistent=False)
    except catalog.NoSuchSession:
        raise NotFound("No such session.") from None
    if principal.user_id != session.host_id:  # private notes: not even admins read them
        raise NotFound("No such session.")
    return session.host_id


def _out(item: FeedbackItem) -> schemas.FeedbackOut:
    return schemas.FeedbackOut(
        session_id=item.session_id,
        went_well=item.went_well,
        to_improve=item.to_improve,
        updated_at=clock.to_wire(item.updated_at),
    )


def save(principal: Principal, session_id: str, body: schemas.FeedbackIn) -> schemas.FeedbackOut:
    host_id = _hosts_session(principal, session_id)
    now = clock.now()
    item = FeedbackItem(
        feedback_pk(session_id),
        FEEDBACK_SK,
        session_id=session_id,
        host_id=host_id,
        went_well=body.went_well or None,
        to_improve=body.to_improve or None,
        updated_at=now,
    )
    item.save()
    return _out(item)


def get(principal: Principal, session_id: str) -> schemas.FeedbackOut:
    _hosts_session(principal, session_id)
    try:
        return _out(FeedbackItem.get(feedback_pk(session_id), FEEDBACK_SK))
    except FeedbackItem.DoesNotExist:
        return schemas.FeedbackOut(
            session_id=session_id, went_well=None, to_improve=None, updated_at=clock.to_wire(clock.now())
        )
