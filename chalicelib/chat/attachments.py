"""Attachments: images, voice messages and PDFs, uploaded straight to S3 with a presigned POST.

A member asks for an upload (`POST /v1/conversations/{id}/attachments`) and gets a POST policy for
one key under `chat/<cnv>/<usr>/`, bound to the content type and at most 25 MB. A message may then
name that key: before it is accepted the key must lie under the sender's own prefix in this
conversation, and S3 must have the object (HeadObject), with an allowed type and size. Members
download through presigned GETs in the messages they read; nobody else ever gets a URL.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.chat import domain, models, schemas
from chalicelib.chat.models import AttachmentMap
from chalicelib.core import ids, storage
from chalicelib.core.exceptions import FieldError, ValidationFailed
from chalicelib.core.settings import get_settings

UPLOAD_SECONDS = 600


def prefix(conversation_id: str, user_id: str) -> str:
    return f"chat/{conversation_id}/{user_id}/"


@lru_cache(maxsize=1)
def _s3() -> Any:
    settings = get_settings()
    return boto3.client("s3", region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url)


def upload(conversation_id: str, user_id: str, request: schemas.AttachmentUploadIn) -> schemas.AttachmentUploadOut:
    extension = domain.EXTENSIONS[request.content_type]
    key = f"{prefix(conversation_id, user_id)}{ids.new_ulid().lower()}.{extension}"
    post = storage.presigned_upload(key, request.content_type, request.size_bytes, UPLOAD_SECONDS)
    return schemas.AttachmentUploadOut(
        url=post.url, fields=post.fields, key=post.key, max_bytes=request.size_bytes, expires_in=post.expires_in
    )


def _invalid(index: int, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(f"attachments.{index}.key", message)])


def _head(key: str) -> dict[str, Any] | None:
    try:
        head: dict[str, Any] = _s3().head_object(Bucket=get_settings().uploads_bucket, Key=key)
        return head
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403"):
            return None
        raise


def checked(conversation_id: str, user_id: str, refs: list[schemas.AttachmentRef]) -> list[AttachmentMap]:
    """The attachments of a message, each proven uploaded by the sender here (one HeadObject each)."""
    mine = prefix(conversation_id, user_id)
    out: list[AttachmentMap] = []
    keys = [ref.key for ref in refs]
    for index, ref in enumerate(refs):
        if keys.index(ref.key) != index:
            raise _invalid(index, "The same attachment is named twice.")
        if not ref.key.startswith(mine) or ".." in ref.key:
            raise _invalid(index, "Not one of your uploads in this conversation.")
        head = _head(ref.key)
        if head is None:
            raise _invalid(index, "Nothing was uploaded under this key (or the upload has not finished).")
        content_type = str(head.get("ContentType", "")).split(";")[0].strip().lower()
        kind = domain.attachment_kind(content_type)
        size = int(head.get("ContentLength", 0))
        if kind is None or size > domain.MAX_ATTACHMENT_BYTES:
            raise _invalid(index, "The uploaded file's type or size is not allowed.")
        if kind == "audio" and ref.duration_seconds is None:
            raise ValidationFailed(
                "A voice message needs its duration.",
                errors=[FieldError(f"attachments.{index}.duration_seconds", "required for audio")],
            )
        out.append(
            models.new_attachment(
                key=ref.key,
                kind=kind,
                content_type=content_type,
                size_bytes=size,
                filename=ref.filename,
                duration_seconds=ref.duration_seconds if kind == "audio" else None,
            )
        )
    return out


def check_avatar(conversation_id: str, user_id: str, key: str) -> str:
    """A group avatar: an image the caller uploaded to this conversation."""
    if not key.startswith(prefix(conversation_id, user_id)) or ".." in key:
        raise ValidationFailed("Use an image you uploaded here.", errors=[FieldError("avatar_key", "not your upload")])
    head = _head(key)
    if head is None or domain.attachment_kind(str(head.get("ContentType", "")).split(";")[0]) != "image":
        raise ValidationFailed("Upload the image first.", errors=[FieldError("avatar_key", "no image uploaded")])
    return key
