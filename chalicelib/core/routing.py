"""`ApiBlueprint`: a Chalice Blueprint whose routes document themselves and fail as problem+json.

Every route declares a `RouteDoc` (summary, auth, schemas) next to its path, which the OpenAPI
generator reads. Every exception a view raises that is not already a `ProblemError` is logged with
its traceback and becomes a problem: a 503 with Retry-After when a dependency failed (throttled,
down, too slow), else a 500 carrying only a correlation id.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.core.dependency_errors import as_unavailable
from chalicelib.core.exceptions import InternalError, ProblemError
from chalicelib.core.lazy import lazy_import
from chalicelib.core.observability import logger
from chalicelib.core.openapi_docs import ROUTE_DOCS, RouteDoc

if TYPE_CHECKING:
    from chalicelib.core import rate_limit
else:  # PynamoDB and settings load with the first rate-limited request (cold start)
    rate_limit = lazy_import("chalicelib.core.rate_limit")


def _problem_boundary(view: Callable[..., Any], blueprint: Blueprint, doc: RouteDoc) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            if doc.rate_limit:
                rate_limit.check(doc.rate_limit, blueprint.current_request)
            return view(*args, **kwargs)
        except ProblemError:
            raise
        except Exception as error:
            unavailable = as_unavailable(error)
            if unavailable is not None:
                logger.warning("dependency unavailable in %s", view.__qualname__, exc_info=True)
                raise unavailable from None
            logger.exception("unhandled error in %s", view.__qualname__)
            raise InternalError("Something went wrong on our side.") from None

    return wrapper


class ApiBlueprint(Blueprint):
    def route(self, path: str, *, doc: RouteDoc, **kwargs: Any) -> Callable[..., Any]:  # type: ignore[override]
        # We parse bodies ourselves (415/400/422 as problem+json), so Chalice must not refuse
        # a content type before our code sees the request.
        kwargs.setdefault("content_types", ["*/*"])
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            wrapped = _problem_boundary(view, self, doc)
            ROUTE_DOCS[wrapped] = doc
            register(wrapped)
            return view

        return decorator
