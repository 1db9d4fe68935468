"""Listing use cases: create, read, edit (If-Match), publish/unpublish/archive, images, host lists.

A published listing's facets are in the search index (search_index). An edit that changes them
writes the new entries first, commits the listing (conditional on its version), then deletes the
entries only the old state had.

The package's face: other packages also read here a session's facts for booking it
(`session_for_booking`, `SessionForBooking`, `NoSuchSession`) and a host's sessions (`hosted_sessions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from chalicelib.accounts import service as accounts
from chalicelib.catalog import domain, schemas, search_index, views
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog import seats as _seats
from chalicelib.catalog.models import (
    LISTING_SK,
    ListingItem,
    SessionItem,
    host_listings_pk,
    listing_pk,
    listing_sessions_pk,
)
from chalicelib.catalog.queries import HostedSession as HostedSession
from chalicelib.catalog.queries import hosted_sessions as hosted_sessions
from chalicelib.catalog.seats import NoSuchSession as NoSuchSession
from chalicelib.catalog.seats import SessionForBooking as SessionForBooking
from chalicelib.catalog.seats import cancel_session as cancel_session
from chalicelib.catalog.seats import seats_of as seats_of
from chalicelib.catalog.seats import session_for_booking as session_for_booking
from chalicelib.core import clock, ids, money, storage
from chalicelib.core.auth import Principal, require_owner, require_role
from chalicelib.core.exceptions import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from chalicelib.core.http import check_version, validate
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.core.table import touch

# Seats, for booking: the counters on a session it moves in its own transactions (each adds one
# conditional update to the caller's transaction), besides the view of a session it reads
# (`session_for_booking`) and the session's cancellation by the minimum-players check.
hold_seats = _seats.hold
book_seats = _seats.book
release_held_seats = _seats.release_hold
confirm_held_seats = _seats.confirm_hold
release_booked_seats = _seats.release_booked
offer_seats = _seats.offer

if TYPE_CHECKING:
    from chalicelib.catalog.search_schemas import SessionPage

IMAGE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_UPCOMING_SESSIONS = 500  # per listing: bounds the work of re-indexing it after an edit


def taxonomy() -> schemas.Taxonomy:
    from chalicelib.catalog import taxonomy as t

    def entries(terms: tuple[t.Term, ...]) -> list[schemas.Taxonomy.Entry]:
        return [schemas.Taxonomy.Entry(id=x.id, name=x.name, vertical=x.vertical) for x in terms]

    return schemas.Taxonomy(
        verticals=dict(t.VERTICALS),
        categories=entries(t.CATEGORIES),
        game_systems=entries(t.GAME_SYSTEMS),
        tools=entries(t.TOOLS),
        safety_tools=entries(t.SAFETY_TOOLS),
        experience_levels=entries(t.EXPERIENCE_LEVELS),
        age_ratings=entries(t.AGE_RATINGS),
    )


# Loading and visibility


def load_listing(listing_id: str, *, consistent: bool = False) -> ListingItem:
    if not ids.is_id(listing_id, "lst"):
        raise NotFound("No such listing.")
    try:
        return ListingItem.get(listing_pk(listing_id), LISTING_SK, consistent_read=consistent)
    except ListingItem.DoesNotExist:
        raise NotFound("No such listing.") from None


def can_see(principal: Principal | None, listing: ListingItem) -> bool:
    if listing.status == domain.PUBLISHED:
        return True
    return principal is not None and (principal.user_id == listing.host_id or principal.is_admin)


def visible_listing(principal: Principal | None, listing_id: str) -> ListingItem:
    """A listing the caller may see: published, or their own (404 otherwise)."""
    listing = load_listing(listing_id)
    if not can_see(principal, listing):
        raise NotFound("No such listing.")
    return listing


def owned_listing(principal: Principal, listing_id: str) -> ListingItem:
    """The caller's own listing, read consistently for an edit. Strangers get 403 for a published
    listing (they can see it exists) and 404 for any other."""
    require_role(principal, "host")
    listing = load_listing(listing_id, consistent=True)
    require_owner(principal, listing.host_id, hide=listing.status != domain.PUBLISHED)
    return listing


def indexed_facets(listing: ListingItem) -> plan.Facets | None:
    """What the search index holds for the listing: its facets while published, else nothing."""
    return views.facets_of(listing) if listing.status == domain.PUBLISHED else None


def upcoming_placed(listing_id: str) -> list[search_index.Placed]:
    """The listing's scheduled sessions that have not started, as the index places them."""
    found = SessionItem.gsi1.query(
        listing_sessions_pk(listing_id), SessionItem.GSI1SK.between(plan.time_key(clock.now()), plan.END)
    )
    return [
        search_index.Placed(s.session_id, s.starts_at)
        for s in found
        if isinstance(s, SessionItem) and s.state == domain.SCHEDULED
    ]


# Writing


def _apply(listing: ListingItem, data: schemas.ListingIn) -> None:
    listing.title = data.title
    listing.description = data.description
    listing.category = data.category
    listing.tags = list(data.tags)
    listing.game_system = data.game_system
    listing.tool = data.tool
    listing.languages = list(data.languages)
    listing.experience_level = data.experience_level
    listing.age_rating = data.age_rating
    listing.content_warnings = list(data.content_warnings)
    listing.safety_tools = list(data.safety_tools)
    listing.format = data.format
    listing.location = data.location.model_dump(mode="json", exclude_none=True)
    listing.min_players = data.min_players
    listing.max_seats = data.max_seats
    listing.price_amount = data.price.amount
    listing.price_currency = data.price.currency
    listing.regional_prices = {p.currency: p.amount for p in data.regional_prices}
    listing.cancellation_policy = data.cancellation_policy.model_dump(mode="json", exclude_none=True)
    listing.booking_mode = data.booking_mode
    listing.timezone = data.timezone or listing.timezone
    listing.duration_minutes = data.duration_minutes
    listing.images = list(data.images)


def _as_input(listing: ListingItem) -> dict[str, Any]:
    out = views.listing_out(listing)
    data = out.model_dump(mode="json", exclude={"id", "host_id", "status", "vertical", "created_at", "updated_at"})
    data.pop("version")
    data["images"] = list(listing.images or ())
    data["cancellation_policy"] = dict(listing.cancellation_policy)
    return data


def _check_images(listing_id: str, keys: list[str]) -> None:
    prefix = f"listings/{listing_id}/"
    bad = [
        FieldError(f"images.{i}", "not one of this listing's uploads")
        for i, k in enumerate(keys)
        if not k.startswith(prefix)
    ]
    if bad:
        raise ValidationFailed("Use keys returned by POST /v1/listings/{id}/images.", errors=bad)


def create_listing(principal: Principal, data: schemas.ListingIn) -> schemas.ListingOut:
    require_role(principal, "host")
    listing_id = ids.new_id("lst")
    _check_images(listing_id, list(data.images))
    timezone = data.timezone or accounts.get_me(principal).timezone
    listing = ListingItem(
        listing_pk(listing_id),
        LISTING_SK,
        listing_id=listing_id,
        host_id=principal.user_id,
        status=domain.DRAFT,
        timezone=timezone,
    )
    _apply(listing, data)
    listing.GSI1PK = host_listings_pk(principal.user_id)
    listing.GSI1SK = listing_id
    listing.save(condition=ListingItem.PK.does_not_exist())
    return views.listing_out(listing)


def _save(listing: ListingItem, before: plan.Facets | None) -> None:
    """Save a changed listing (conditional on the version read) and move its index entries."""
    after = indexed_facets(listing)
    sessions = upcoming_placed(listing.listing_id) if before != after else []
    if before != after:
        search_index.add_sessions(after, sessions, before=(before, sessions))
        search_index.add_listing(after)
    touch(listing)
    try:
        listing.save()  # VersionAttribute: conditional on the version we read
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise PreconditionFailed("The listing changed while you edited it; reload and retry.") from None
        raise
    if before != after:
        search_index.prune_sessions((before, sessions), (after, sessions))
        search_index.prune_listing(before, after)


def update_listing(
    principal: Principal, listing_id: str, patch: schemas.ListingPatch, expected_version: int | None
) -> schemas.ListingOut:
    listing = owned_listing(principal, listing_id)
    check_version(expected_version, int(listing.version or 1))
    if listing.status == domain.ARCHIVED:
        raise Conflict("An archived listing cannot be edited.", code="listing_archived")
    merged = {**_as_input(listing), **patch.model_dump(mode="json", exclude_unset=True)}
    if merged.get("timezone") is None:
        merged["timezone"] = listing.timezone
    data = validate(schemas.ListingIn, merged)
    _check_images(listing_id, list(data.images))
    before = indexed_facets(listing)
    _apply(listing, data)
    _save(listing, before)
    return views.listing_out(listing)


def change_status(
    principal: Principal, listing_id: str, action: str, expected_version: int | None
) -> schemas.ListingOut:
    listing = owned_listing(principal, listing_id)
    check_version(expected_version, int(listing.version or 1))
    target = domain.next_status(listing.status, action)
    if target is None:
        raise Conflict(f"A {listing.status} listing cannot be {action}ed.", code="invalid_listing_state")
    if target == domain.ARCHIVED:
        from chalicelib.catalog import sessions_service

        sessions_service.cancel_upcoming_for_archive(listing)
    before = indexed_facets(listing)
    listing.status = target
    if target == domain.PUBLISHED:
        from chalicelib.payments import service as payments

        _check_chargeable(listing)  # listings saved before prices were checked
        prices = [int(listing.price_amount or 0), *(int(a) for a in dict(listing.regional_prices or {}).values())]
        payments.require_payouts_enabled(listing.host_id, max(prices))  # 409 payouts_disabled for a paid listing
        listing.published_at = clock.now()
    _save(listing, before)
    return views.listing_out(listing)


def _check_chargeable(listing: ListingItem) -> None:
    """422 naming each price cards cannot be charged (0, free, only needs a chargeable currency)."""
    regional = sorted(dict(listing.regional_prices or {}).items())  # as the listing shows them
    prices = [("price", str(listing.price_currency), int(listing.price_amount or 0))]
    prices += [(f"regional_prices.{i}", str(c), int(a)) for i, (c, a) in enumerate(regional)]
    errors = []
    for field, currency, amount in prices:
        refused = money.refusal(amount, currency) if amount or not money.chargeable(currency) else None
        if refused is not None:
            errors.append(FieldError(f"{field}.{refused.field}", refused.message))
    if errors:
        raise ValidationFailed("Some prices cannot be charged; edit them before publishing.", errors=errors)


def image_upload(principal: Principal, listing_id: str, request: schemas.ImageUploadIn) -> schemas.ImageUploadOut:
    owned_listing(principal, listing_id)
    max_bytes = get_settings().avatar_max_bytes
    key = f"listings/{listing_id}/{ids.new_ulid().lower()}.{IMAGE_EXTENSIONS[request.content_type]}"
    upload = storage.presigned_upload(key, request.content_type, max_bytes)
    return schemas.ImageUploadOut(
        url=upload.url, fields=upload.fields, key=upload.key, max_bytes=max_bytes, expires_in=upload.expires_in
    )


# Reading


def get_listing(principal: Principal | None, listing_id: str, viewer_tz: str | None) -> schemas.ListingDetail:
    listing = visible_listing(principal, listing_id)
    upcoming = SessionItem.gsi1.query(
        listing_sessions_pk(listing_id),
        SessionItem.GSI1SK.between(plan.time_key(clock.now()), plan.END),
        filter_condition=SessionItem.state == domain.SCHEDULED,
        limit=10,
    )
    host = accounts.host_summaries([listing.host_id]).get(listing.host_id)
    rating = _rating_of(listing_id)
    return schemas.ListingDetail(
        rating=schemas.Rating(average=rating.average, count=rating.count),
        **views.listing_out(listing).model_dump(),
        host=schemas.HostSummary.model_validate(host.model_dump()) if host else None,
        upcoming_sessions=[views.session_brief(s, viewer_tz) for s in upcoming if isinstance(s, SessionItem)],
    )


def _rating_of(listing_id: str) -> Any:
    from chalicelib.reviews import service as reviews

    return reviews.rating_of(listing_id)


def _host_page(host_id: str, limit: int, cursor: str | None, scope: str) -> tuple[list[ListingItem], str | None]:
    found = ListingItem.gsi1.query(
        host_listings_pk(host_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    items = [i for i in found if isinstance(i, ListingItem)]
    return items, encode_cursor(found.last_evaluated_key, scope)


def my_listings(principal: Principal, limit: int, cursor: str | None) -> Page:
    """The caller's listings in every state, newest first."""
    require_role(principal, "host")
    items, next_cursor = _host_page(principal.user_id, limit, cursor, f"my-listings:{principal.user_id}")
    return Page([views.listing_out(i) for i in items], next_cursor)


def host_listings(user_id: str, limit: int, cursor: str | None) -> Page:
    """A host's published listings (their public page), newest first. Filtered in memory from the
    host's own partition, so a page may hold fewer than `limit` items with a cursor for more."""
    if not ids.is_id(user_id, "usr"):
        raise NotFound("No such user.")
    items, next_cursor = _host_page(user_id, limit, cursor, f"host-listings:{user_id}")
    return Page([views.listing_card(i) for i in items if i.status == domain.PUBLISHED], next_cursor)


# The face's reads for a dashboard: loaded on first use (their modules import this one).


def host_sessions(host_id: str, limit: int) -> SessionPage:
    """A host's upcoming sessions, soonest first (the search by host)."""
    from chalicelib.catalog import discovery
    from chalicelib.catalog.search_schemas import SearchQuery

    return discovery.search_sessions(SearchQuery(host=host_id, limit=limit))


def favorites(principal: Principal, limit: int, cursor: str | None) -> Page:
    """The caller's favorites that they can still see."""
    from chalicelib.catalog import me_service

    return me_service.favorites(principal, limit, cursor)


def listing_sessions(
    principal: Principal | None, listing_id: str, limit: int, cursor: str | None, viewer_tz: str | None
) -> Page:
    """A listing's sessions that have not started, by start."""
    from chalicelib.catalog import sessions_service

    return sessions_service.list_for_listing(principal, listing_id, limit, cursor, viewer_tz)
