"""Notifications use cases: deliver one notice on the recipient's channels, the in-app feed and its
read state, preferences, and the email and push senders (outbox kinds).

Delivering is one transaction: the in-app item (conditional on not existing: its id is derived from
the event, the recipient and the message, so a repeated event finds it and stops) plus one outbox
message per other channel (email, push), deduplicated by the same id. The outbox sends them right
after the commit and the sweep retries them (SES down for a while → sent later, once). The in-app
item is then pushed as a `notification` frame to the user's open websockets (best effort: the feed
is the record).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pynamodb.exceptions import TransactWriteError
from pynamodb.pagination import ResultIterator

from chalicelib.accounts import service as accounts
from chalicelib.core import clock, conditional, outbox, realtime
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from chalicelib.core.http import check_version
from chalicelib.core.observability import logger
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.secrets import get_secret
from chalicelib.core.settings import get_settings
from chalicelib.notifications import domain, email, push, render, schemas
from chalicelib.notifications.models import (
    DEVICE_PREFIX,
    NOTIFICATION_PREFIX,
    PREFS_SK,
    DeviceItem,
    NotificationItem,
    PreferencesItem,
    inbox_pk,
    unread_pk,
)

EMAIL, PUSH = "notifications.email", "notifications.push"
MAX_READ_ALL = 500  # notifications marked read per call of "all"


# Delivering


def preferences_of(user_id: str) -> dict[str, dict[str, bool]]:
    try:
        stored = PreferencesItem.get(inbox_pk(user_id), PREFS_SK).choices
    except PreferencesItem.DoesNotExist:
        stored = {}
    return domain.merged_preferences(stored)


def notify(
    notice: domain.Notice,
    facts: Mapping[str, Any],
    *,
    dedupe: str,
    occurred_at: datetime,
    contact: accounts.Contact | None = None,
) -> str | None:
    """Tell `notice.recipient` on the channels they chose; returns the notification id, or None when
    this notice was delivered before (a repeated event) or nobody is there to tell."""
    if contact is None:
        contact = accounts.contacts([notice.recipient]).get(notice.recipient)
    if contact is None:
        return None
    channels = domain.channels_for(preferences_of(contact.user_id), notice.category)
    lang = domain.language_of(contact.locale)
    title, body = render.texts(notice.template, lang, dict(facts), contact.locale, contact.timezone)
    ntf_id = domain.notification_id(f"{dedupe}#{contact.user_id}#{notice.template}", occurred_at)
    now = clock.now()
    data = {k: v for k, v in facts.items() if k.endswith("_id")}
    item = NotificationItem(
        inbox_pk(contact.user_id),
        NOTIFICATION_PREFIX + ntf_id,
        notification_id=ntf_id,
        user_id=contact.user_id,
        template=notice.template,
        category=notice.category,
        title=title,
        body=body,
        data=data,
        created_at=now,
    )
    item.GSI1PK, item.GSI1SK = unread_pk(contact.user_id), ntf_id
    try:
        with outbox.transaction() as tx:
            if domain.IN_APP in channels:
                tx.save(item, condition=NotificationItem.PK.does_not_exist())
            if domain.EMAIL in channels and contact.email:
                outbox.emit(
                    tx,
                    kind=EMAIL,
                    subject=contact.user_id,
                    dedupe_key=f"email#{ntf_id}",
                    payload={
                        "to": contact.email,
                        "user_id": contact.user_id,
                        "name": contact.display_name,
                        "locale": contact.locale,
                        "timezone": contact.timezone,
                        "lang": lang,
                        "template": notice.template,
                        "category": notice.category,
                        "facts": dict(facts),
                        "ics": notice.ics,
                    },
                )
            if domain.PUSH in channels:
                outbox.emit(
                    tx,
                    kind=PUSH,
                    subject=contact.user_id,
                    dedupe_key=f"push#{ntf_id}",
                    payload={
                        "user_id": contact.user_id,
                        "title": title,
                        "body": body,
                        "data": {**data, "id": ntf_id},
                    },
                )
    except TransactWriteError as exc:
        if conditional.condition_failed(exc):
            return None  # delivered before: nothing is sent twice
        raise
    if domain.IN_APP in channels:
        _push_frame(item)
    return ntf_id


def _push_frame(item: NotificationItem) -> None:
    try:
        realtime.send_to_user(item.user_id, realtime.frame("notification", out(item).model_dump(mode="json")))
    except Exception:  # best effort: the feed has it
        logger.exception("notification frame not sent", extra={"user_id": item.user_id})


def out(item: NotificationItem) -> schemas.NotificationOut:
    return schemas.NotificationOut(
        id=item.notification_id,
        kind=item.template,
        category=item.category,
        title=item.title,
        body=item.body,
        data=dict(item.data or {}),
        read=item.read_at is not None,
        created_at=clock.to_wire(item.created_at),
    )


# Outbox senders


def unsubscribe_url(user_id: str, category: str) -> str:
    signature = domain.unsubscribe_signature(get_secret("cursor_secret"), user_id, category)
    query = urlencode({"user": user_id, "category": category, "sig": signature})
    return f"{get_settings().public_api_url.rstrip('/')}/v1/notifications/unsubscribe?{query}"


def _send_email(message: outbox.Message) -> None:
    p = message.payload
    category = str(p["category"])
    settings = get_settings()
    unsubscribe = None if category in domain.ALWAYS else unsubscribe_url(str(p["user_id"]), category)
    facts = dict(p["facts"])
    rendered = render.email(
        str(p["template"]),
        str(p["lang"]),
        facts,
        name=str(p["name"]),
        locale_tag=str(p["locale"]),
        timezone=str(p["timezone"]),
        category=category,
        unsubscribe_url=unsubscribe,
        manage_url=f"{settings.web_app_url.rstrip('/')}/settings/notifications",
        action_url=f"{settings.web_app_url.rstrip('/')}/bookings/{facts['booking_id']}"
        if facts.get("booking_id")
        else None,
    )
    headers = (
        {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        if unsubscribe
        else {}
    )
    attachments: tuple[email.Attachment, ...] = ()
    if p.get("ics") and facts.get("booking_id"):
        from chalicelib.notifications import calendar_feed

        attachments = (
            email.Attachment("invite.ics", "text/calendar; method=PUBLISH", calendar_feed.invitation(facts)),
        )
    email.send(
        email.Email(
            to=(str(p["to"]),),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=headers,
            attachments=attachments,
        )
    )


def devices_of(user_id: str) -> list[DeviceItem]:
    found = DeviceItem.query(inbox_pk(user_id), DeviceItem.SK.startswith(DEVICE_PREFIX))
    return [d for d in found if isinstance(d, DeviceItem)]


def _send_push(message: outbox.Message) -> None:
    p = message.payload
    for device in devices_of(str(p["user_id"])):
        try:
            push.publish(device.endpoint_arn, device.platform, str(p["title"]), str(p["body"]), dict(p["data"]))
        except push.EndpointGone:
            logger.info("push endpoint gone: device removed", extra={"device_id": device.device_id})
            device.delete()
            push.unregister(device.endpoint_arn)


outbox.register_sender(EMAIL, _send_email, max_attempts=12)
outbox.register_sender(PUSH, _send_push, max_attempts=6)


# The feed


def feed(principal: Principal, query: schemas.FeedQuery) -> schemas.FeedPage:
    uid = principal.user_id
    scope = f"notifications:{uid}:{query.unread}"
    start = decode_cursor(query.cursor, scope)
    found: ResultIterator[Any]
    if query.unread:
        found = NotificationItem.gsi1.query(
            unread_pk(uid), scan_index_forward=False, limit=query.limit, last_evaluated_key=start
        )
    else:
        found = NotificationItem.query(
            inbox_pk(uid),
            NotificationItem.SK.startswith(NOTIFICATION_PREFIX),
            scan_index_forward=False,
            limit=query.limit,
            last_evaluated_key=start,
        )
    items = [out(i) for i in found if isinstance(i, NotificationItem)]
    return schemas.FeedPage(
        items=items, next_cursor=encode_cursor(found.last_evaluated_key, scope), unread_count=unread_count(uid)
    )


def unread_count(user_id: str) -> int:
    return int(NotificationItem.gsi1.count(unread_pk(user_id)))


def _mark_read(user_id: str, ntf_id: str) -> bool:
    item = NotificationItem(inbox_pk(user_id), NOTIFICATION_PREFIX + ntf_id)
    # False: not there, or read already
    return conditional.write(
        lambda: item.update(
            actions=[
                NotificationItem.read_at.set(clock.now()),
                NotificationItem.GSI1PK.remove(),
                NotificationItem.GSI1SK.remove(),
            ],
            condition=NotificationItem.PK.exists() & NotificationItem.read_at.does_not_exist(),
        )
    )


def mark_read(principal: Principal, request: schemas.MarkRead) -> schemas.ReadResult:
    uid = principal.user_id
    if request.all:
        unread = NotificationItem.gsi1.query(unread_pk(uid), limit=MAX_READ_ALL)
        targets = [i.notification_id for i in unread if isinstance(i, NotificationItem)]
    else:
        targets = list(dict.fromkeys(request.ids or []))
    marked = sum(_mark_read(uid, ntf_id) for ntf_id in targets)
    return schemas.ReadResult(marked=marked, unread_count=unread_count(uid))


# Preferences


def get_preferences(principal: Principal) -> schemas.PreferencesOut:
    try:
        item = PreferencesItem.get(inbox_pk(principal.user_id), PREFS_SK)
        stored, version = item.choices, int(item.version or 1)
    except PreferencesItem.DoesNotExist:
        stored, version = {}, 0
    return _prefs_out(domain.merged_preferences(stored), version)


def _prefs_out(prefs: dict[str, dict[str, bool]], version: int) -> schemas.PreferencesOut:
    return schemas.PreferencesOut(
        categories={c: schemas.Channels(**v) for c, v in prefs.items()},
        always_on=sorted(domain.ALWAYS),
        version=version,
    )


def put_preferences(
    principal: Principal, body: schemas.PreferencesIn, expected_version: int | None
) -> schemas.PreferencesOut:
    errors = []
    for category, channels in body.categories.items():
        if category not in domain.CATEGORIES:
            errors.append(FieldError(f"categories.{category}", "unknown category"))
        elif category in domain.ALWAYS and (channels.in_app is False or channels.email is False):
            errors.append(FieldError(f"categories.{category}", "receipts and security messages always go out"))
    if errors:
        raise ValidationFailed("Some preferences cannot be set.", errors=errors)
    try:
        item = PreferencesItem.get(inbox_pk(principal.user_id), PREFS_SK, consistent_read=True)
    except PreferencesItem.DoesNotExist:
        item = PreferencesItem(inbox_pk(principal.user_id), PREFS_SK, user_id=principal.user_id, choices={})
    check_version(expected_version, int(item.version or 0))
    choices: dict[str, Any] = dict(item.choices or {})
    for category, channels in body.categories.items():
        merged = dict(choices.get(category) or {})
        merged.update(channels.model_dump(exclude_none=True))
        choices[category] = merged
    item.choices = choices
    item.updated_at = clock.now()
    if not conditional.write(item.save):  # conditional on the version read (VersionedItem)
        raise PreconditionFailed("Your preferences changed meanwhile; read them again.")
    return _prefs_out(domain.merged_preferences(choices), int(item.version or 1))


def unsubscribe(user_id: str, category: str, signature: str) -> str:
    """The one-click unsubscribe: email off for the category. 404 for a bad link."""
    if not domain.valid_unsubscribe(get_secret("cursor_secret"), user_id, category, signature):
        raise NotFound("No such subscription.")
    pk = inbox_pk(user_id)
    try:
        item = PreferencesItem.get(pk, PREFS_SK, consistent_read=True)
    except PreferencesItem.DoesNotExist:
        item = PreferencesItem(pk, PREFS_SK, user_id=user_id, choices={})
    choices: dict[str, Any] = dict(item.choices or {})
    choices[category] = {**dict(choices.get(category) or {}), domain.EMAIL: False}
    item.choices = choices
    item.updated_at = clock.now()
    if not conditional.write(item.save):
        raise Conflict("Your preferences changed meanwhile; open the link again.")
    return category


# Devices


def device_id(platform: str, token: str) -> str:
    return hashlib.sha256(f"{platform}\n{token}".encode()).hexdigest()[:24]


def add_device(principal: Principal, body: schemas.DeviceIn) -> schemas.DeviceOut:
    try:
        arn = push.register(body.platform, body.token, principal.user_id)
    except ValueError as exc:
        raise ValidationFailed("The push token was refused.", errors=[FieldError("token", str(exc))]) from None
    except push.NoPlatformApplication:
        raise ValidationFailed(
            "Push is not available for this platform.", errors=[FieldError("platform", "not configured")]
        ) from None
    did = device_id(body.platform, body.token)
    item = DeviceItem(
        inbox_pk(principal.user_id),
        DEVICE_PREFIX + did,
        device_id=did,
        user_id=principal.user_id,
        platform=body.platform,
        token=body.token,
        endpoint_arn=arn,
    )
    item.save()
    return schemas.DeviceOut(id=did, platform=body.platform, created_at=clock.to_wire(item.created_at))


def remove_device(principal: Principal, body: schemas.DeviceIn) -> None:
    did = device_id(body.platform, body.token)
    try:
        item = DeviceItem.get(inbox_pk(principal.user_id), DEVICE_PREFIX + did)
    except DeviceItem.DoesNotExist:
        raise NotFound("No such device.") from None
    item.delete()
    push.unregister(item.endpoint_arn)


def list_devices(principal: Principal) -> Page:
    items = [
        schemas.DeviceOut(id=d.device_id, platform=d.platform, created_at=clock.to_wire(d.created_at))
        for d in devices_of(principal.user_id)
    ]
    return Page(items, None)
