"""S3 uploads and downloads through presigned URLs: clients never send files through the API."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3

from chalicelib.core.settings import get_settings


@lru_cache(maxsize=1)
def _s3() -> Any:
    settings = get_settings()
    return boto3.client("s3", region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url)


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    key: str
    expires_in: int


def presigned_upload(key: str, content_type: str, max_bytes: int, expires_in: int = 600) -> PresignedUpload:
    """A POST policy: exactly this key, this content type, at most `max_bytes`."""
    post = _s3().generate_presigned_post(
        Bucket=get_settings().uploads_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    return PresignedUpload(url=post["url"], fields=post["fields"], key=key, expires_in=expires_in)


def presigned_download(key: str, expires_in: int = 12 * 3600) -> str:
    url: str = _s3().generate_presigned_url(
        "get_object", Params={"Bucket": get_settings().uploads_bucket, "Key": key}, ExpiresIn=expires_in
    )
    return url
