"""SES failing for a while (throttled, then resetting connections): an email in the outbox is retried
by the sweep and delivered exactly once when SES is back."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from chalicelib.core import clock, outbox, sweep
from chalicelib.notifications import email
from devstack import mail
from tests.fault_proxy import RESET, SES_THROTTLED, Fault, FaultProxy, Reply, path_contains

KIND = "faults.email"  # a sender of this test: the SES adapter, as a notifications sender uses it
SEND_EMAIL = path_contains("/v2/email/outbound-emails")


def _send(message: outbox.Message) -> None:
    email.send(
        email.Email(
            to=(str(message.payload["to"]),),
            subject=str(message.payload["subject"]),
            text="Your session starts in one hour.",
        )
    )


@pytest.fixture(autouse=True)
def _sender() -> Iterator[None]:
    outbox.register_sender(KIND, _send)
    yield
    outbox.unregister_sender(KIND)


def _emit(subject: str) -> str:
    with outbox.transaction() as tx:  # sent right after the commit: the first attempt
        return outbox.emit(
            tx,
            kind=KIND,
            subject="bkg_faults",
            dedupe_key="reminder#bkg_faults",
            payload={"to": "robin@example.test", "subject": subject},
        )


def _sweep_later() -> sweep.SweepReport:
    clock.advance(180)  # past the backoff of the first attempts (30 s, 60 s, 120 s, +-20%)
    return sweep.run(lookback_minutes=10)


def test_an_email_is_retried_while_ses_fails_and_sent_once_when_it_is_back(proxies: dict[str, FaultProxy]) -> None:
    ses = proxies["ses"]
    with ses.failing(Fault.answer(SES_THROTTLED)):
        message_id = _emit("Starts in one hour")
        assert outbox.get(message_id).status == "pending"  # type: ignore[union-attr]
        assert _sweep_later().counts.get("OutboxRetried") == 1
    with ses.failing(RESET):
        assert _sweep_later().counts.get("OutboxRetried") == 1
    assert mail.sent_mail() == []
    assert len(ses.seen(faulted=True, when=SEND_EMAIL)) >= 3  # botocore retried each attempt too

    assert _sweep_later().counts.get("OutboxSent") == 1
    assert _sweep_later().counts.get("OutboxSent", 0) == 0

    sent = outbox.get(message_id)
    assert sent is not None and sent.status == "done" and sent.attempt == 4  # emit, 2 sweeps failing, 1 sending
    assert [m.subject for m in mail.sent_mail()] == ["Starts in one hour"]
    assert len(ses.seen(faulted=False, when=SEND_EMAIL)) == 1


def test_a_short_ses_hiccup_is_absorbed_by_the_sdk_retries(proxies: dict[str, FaultProxy]) -> None:
    ses = proxies["ses"]
    with ses.failing(Fault.answer(SES_THROTTLED), times=1):  # the first request only
        message_id = _emit("Starts soon")
    sent = outbox.get(message_id)
    assert sent is not None and sent.status == "done" and sent.attempt == 1
    assert [m.subject for m in mail.sent_mail()] == ["Starts soon"]


def test_a_rejection_naming_the_recipient_is_retried_without_logging_the_address(
    proxies: dict[str, FaultProxy],
) -> None:
    from chalicelib.core.observability import logger

    lines: list[str] = []
    capture = logging.Handler()
    capture.setFormatter(logger.registered_formatter)  # type: ignore[arg-type]  # as production writes them
    capture.emit = lambda record: lines.append(capture.format(record))  # type: ignore[method-assign]
    logging.getLogger(logger.name).addHandler(capture)
    # SES in its sandbox refuses unverified recipients and names them in the error message
    rejected = Reply(
        400,
        b'{"message":"Email address is not verified. The following identities failed the check '
        b'in region US-EAST-1: robin@example.test"}',
        {"Content-Type": "application/json", "x-amzn-ErrorType": "MessageRejected"},
    )
    with proxies["ses"].failing(Fault.answer(rejected)):
        message_id = _emit("Starts in one hour")
        assert _sweep_later().counts.get("OutboxRetried") == 1
    assert _sweep_later().counts.get("OutboxSent") == 1

    sent = outbox.get(message_id)
    assert sent is not None and sent.status == "done"
    logging.getLogger(logger.name).removeHandler(capture)
    logged = "\n".join(lines)
    assert "MessageRejected" in logged and "due item failed; will retry" in logged
    assert "robin@example.test" not in logged
