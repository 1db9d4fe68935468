"""The app's `@app.schedule` rule: every minute, and invoking it runs the sweep (moto in-process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalice.app import ScheduledEventConfig
from chalice.test import Client

from chalicelib.core import clock, outbox, sweep, timers
from chalicelib.core.table import write_transaction


def test_the_sweep_is_scheduled_every_minute(api: object) -> None:
    import app

    (rule,) = [s for s in app.app.event_sources if isinstance(s, ScheduledEventConfig) and s.name == "sweep_timers"]
    expression = rule.schedule_expression
    assert not isinstance(expression, str) and expression.to_string() == "rate(1 minute)"


def test_invoking_the_rule_fires_due_timers_and_sends_due_messages(api: object) -> None:
    import app

    fired: list[timers.Timer] = []
    sent: list[outbox.Message] = []
    timers.register_handler("test.api_sweep", fired.append)
    outbox.register_sender("test.api_sweep", sent.append)
    try:
        clock.freeze(datetime(2030, 3, 4, 9, 0, 30, tzinfo=UTC))
        sweep.run(lookback_minutes=5)
        with write_transaction() as tx:
            timers.schedule(tx, handler="test.api_sweep", due_at=clock.now() + timedelta(minutes=2), subject="s")
            outbox.emit(tx, kind="test.api_sweep", payload={"n": 1}, subject="s")
        clock.advance(150)
        with Client(app.app, stage_name="test") as client:
            event = client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
            )
            client.lambda_.invoke("sweep_timers", event)
    finally:
        timers.unregister_handler("test.api_sweep")
        outbox.unregister_sender("test.api_sweep")
    assert [t.subject for t in fired] == ["s"]
    assert [m.payload for m in sent] == [{"n": 1}]
