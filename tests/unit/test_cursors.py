"""Cursors are opaque, signed and bound to their query."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.core.exceptions import BadRequest
from chalicelib.core.pagination import PageQuery, decode_cursor, encode_cursor

KEY = {"PK": {"S": "USER#usr_1"}, "SK": {"S": "BOOKING#bkg_9"}}


def test_round_trip_on_the_same_query():
    cursor = encode_cursor(KEY, scope="bookings:usr_1")
    assert cursor is not None
    assert decode_cursor(cursor, scope="bookings:usr_1") == KEY


def test_no_key_means_no_cursor():
    assert encode_cursor(None, scope="x") is None
    assert decode_cursor(None, scope="x") is None


def test_replay_on_another_query_is_refused():
    cursor = encode_cursor(KEY, scope="bookings:usr_1")
    with pytest.raises(BadRequest) as error:
        decode_cursor(cursor, scope="bookings:usr_2")
    assert error.value.code == "invalid_cursor"


def test_forged_cursor_for_another_partition_is_refused():
    cursor = encode_cursor(KEY, scope="bookings:usr_1")
    assert cursor is not None
    body, signature = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"]["PK"]["S"] = "USER#usr_victim"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(BadRequest):
        decode_cursor(f"{forged_body}.{signature}", scope="bookings:usr_1")


@pytest.mark.parametrize("junk", ["", "abc", "a.b", "....", "eyJ9.e30", "%%%.###"])
def test_junk_is_refused_not_crashing(junk):
    if junk == "":
        assert decode_cursor(junk, scope="s") is None
        return
    with pytest.raises(BadRequest):
        decode_cursor(junk, scope="s")


def test_page_query_bounds():
    assert PageQuery.model_validate({}).limit == 20
    assert PageQuery.model_validate({"limit": "100"}).limit == 100
    for bad in ("0", "101", "-1", "ten"):
        with pytest.raises(ValueError):
            PageQuery.model_validate({"limit": bad})
