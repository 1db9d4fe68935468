"""Sesh: the Chalice application. Creates the app, installs the middleware, registers blueprints."""

from chalice import Chalice

from chalicelib.accounts import service as accounts_service
from chalicelib.accounts.api import bp as accounts_api
from chalicelib.core import auth, cors, middleware
from chalicelib.core.openapi import bp as openapi_api

app = Chalice(app_name="sesh")
app.api.binary_types.append("multipart/form-data")

auth.set_principal_resolver(accounts_service.principal_for)
middleware.install(app)

app.register_blueprint(accounts_api)
app.register_blueprint(openapi_api)

cors.register_preflight_routes(app)
