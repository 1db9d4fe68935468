"""What the app logger never writes: secrets and addresses are replaced, ids and text stay readable."""

from __future__ import annotations

from chalicelib.core.observability import redact


def test_secrets_tokens_and_emails_are_replaced() -> None:
    line = (
        "to robin.m+sesh@example.co.uk Authorization: Bearer abc.def-ghi "
        "jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2ln "
        "pi_3Nabc_secret_XYZ123 sk_live_51Habc whsec_abc123 rk_test_9z"
    )
    assert redact(line) == (
        "to <email> Authorization: Bearer <token> jwt <jwt> <client_secret> <stripe_key> <webhook_secret> <stripe_key>"
    )


def test_ids_and_ordinary_text_are_kept() -> None:
    line = "booking bkg_01HX confirmed for usr_01HY, intent pi_3Nabc, session ses_01HZ at 19:00"
    assert redact(line) == line
