"""Sesh: the Chalice application. Creates the app, installs the middleware, registers blueprints."""

from typing import TYPE_CHECKING

from chalice import Chalice, Cron, Rate, Response
from chalice.app import WebsocketEvent

from chalicelib.accounts.api import bp as accounts_api
from chalicelib.analytics.api import bp as analytics_api
from chalicelib.booking.api import bp as booking_api
from chalicelib.catalog.api import bp as catalog_api
from chalicelib.catalog.discovery_api import bp as discovery_api
from chalicelib.catalog.sessions_api import bp as sessions_api
from chalicelib.chat.api import bp as chat_api
from chalicelib.chat.messages_api import bp as chat_messages_api
from chalicelib.core import auth, cors, middleware
from chalicelib.core.docs_api import bp as docs_api
from chalicelib.core.lazy import lazy_import
from chalicelib.dashboards.api import bp as dashboards_api
from chalicelib.notifications.api import bp as notifications_api
from chalicelib.payments.api import bp as payments_api
from chalicelib.reviews.api import bp as reviews_api

if TYPE_CHECKING:
    from chalicelib import timer_jobs
    from chalicelib.chat import websocket
    from chalicelib.core import sweep
    from chalicelib.payments import reconcile
else:  # imported by the functions that use them, not on every cold start
    websocket = lazy_import("chalicelib.chat.websocket")
    sweep = lazy_import("chalicelib.core.sweep")
    timer_jobs = lazy_import("chalicelib.timer_jobs")
    reconcile = lazy_import("chalicelib.payments.reconcile")

app = Chalice(app_name="sesh")
app.experimental_feature_flags.update(["WEBSOCKETS"])  # chalice package/deploy require the opt-in
app.api.binary_types.append("multipart/form-data")

auth.set_principal_resolver("chalicelib.accounts.service:principal_for")
middleware.install(app)

app.register_blueprint(accounts_api)
app.register_blueprint(catalog_api)
app.register_blueprint(sessions_api)
app.register_blueprint(discovery_api)
app.register_blueprint(chat_api)
app.register_blueprint(chat_messages_api)
app.register_blueprint(docs_api)
app.register_blueprint(payments_api)
app.register_blueprint(booking_api)
app.register_blueprint(notifications_api)
app.register_blueprint(reviews_api)
app.register_blueprint(analytics_api)
app.register_blueprint(dashboards_api)


# Websocket routes: declared on the app (Chalice does not wrap on_ws_* on a Blueprint).
@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> Response | None:
    return websocket.on_connect(event)


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> None:
    websocket.on_message(event)


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> None:
    websocket.on_disconnect(event)


cors.register_preflight_routes(app)


# Timers and outbox (DESIGN §6): every minute, run what is due and catch up on missed minutes.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_timers(event: object) -> None:
    timer_jobs.register_all()  # every package's timer handlers and outbox senders, known to this Lambda
    sweep.run()


# Payments (docs/PAYMENTS.md): every day at 02:30 UTC, yesterday's ledger against Stripe.
@app.schedule(Cron(30, 2, "*", "*", "?", "*"))
def reconcile_payments(event: object) -> None:
    reconcile.run()
