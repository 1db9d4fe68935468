"""Favorites and saved searches: a user's own catalog items, in their partition (PK=USER#<usr>)."""

from __future__ import annotations

from urllib.parse import urlencode

from chalicelib.catalog import domain, service, views
from chalicelib.catalog import search_schemas as sch
from chalicelib.catalog.models import LISTING_SK, FavoriteItem, ListingItem, SavedSearchItem, listing_pk, user_pk
from chalicelib.core import clock, conditional, ids
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, NotFound
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.table import BaseItem

FAV = "FAV#"
SEARCH = "SEARCH#"
MAX_SAVED_SEARCHES = 50


def add_favorite(principal: Principal, listing_id: str) -> None:
    """Idempotent: favoriting twice keeps the first time."""
    service.visible_listing(principal, listing_id)
    favorite = FavoriteItem(user_pk(principal.user_id), FAV + listing_id, listing_id=listing_id)
    conditional.write(lambda: favorite.save(condition=FavoriteItem.PK.does_not_exist()))


def remove_favorite(principal: Principal, listing_id: str) -> None:
    """Idempotent: removing one that is not there is fine."""
    if not ids.is_id(listing_id, "lst"):
        raise NotFound("No such listing.")
    FavoriteItem(user_pk(principal.user_id), FAV + listing_id).delete()


def favorites(principal: Principal, limit: int, cursor: str | None) -> Page:
    """The caller's favorites that they can still see (published, or their own)."""
    scope = f"favorites:{principal.user_id}"
    found = FavoriteItem.query(
        user_pk(principal.user_id),
        FavoriteItem.SK.startswith(FAV),
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    favs = [f for f in found if isinstance(f, FavoriteItem)]
    listings = {
        i.listing_id: i
        for i in BaseItem.batch_get([(listing_pk(f.listing_id), LISTING_SK) for f in favs])
        if isinstance(i, ListingItem)
    }
    items = [
        sch.Favorite(listing=views.listing_card(listings[f.listing_id]), favorited_at=clock.to_wire(f.created_at))
        for f in favs
        if f.listing_id in listings
        and service.can_see(principal, listings[f.listing_id])
        and listings[f.listing_id].status != domain.ARCHIVED
    ]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


def _saved_out(item: SavedSearchItem) -> sch.SavedSearch:
    filters = dict(item.filters)
    return sch.SavedSearch(
        id=item.search_id,
        name=item.name,
        filters=filters,
        query=urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()}),
        created_at=clock.to_wire(item.created_at),
    )


def save_search(principal: Principal, body: sch.SavedSearchIn) -> sch.SavedSearch:
    existing = SavedSearchItem.count(user_pk(principal.user_id), SavedSearchItem.SK.startswith(SEARCH))
    if existing >= MAX_SAVED_SEARCHES:
        raise Conflict(f"You have {MAX_SAVED_SEARCHES} saved searches; delete one first.", code="too_many_searches")
    search_id = ids.new_id("srch")
    item = SavedSearchItem(
        user_pk(principal.user_id),
        SEARCH + search_id,
        search_id=search_id,
        name=body.name,
        filters=body.filters.model_dump(mode="json", exclude_unset=True, exclude_defaults=True),
    )
    item.save(condition=SavedSearchItem.PK.does_not_exist())
    return _saved_out(item)


def saved_searches(principal: Principal, limit: int, cursor: str | None) -> Page:
    scope = f"saved-searches:{principal.user_id}"
    found = SavedSearchItem.query(
        user_pk(principal.user_id),
        SavedSearchItem.SK.startswith(SEARCH),
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    return Page(
        [_saved_out(i) for i in found if isinstance(i, SavedSearchItem)], encode_cursor(found.last_evaluated_key, scope)
    )


def delete_search(principal: Principal, search_id: str) -> None:
    if not ids.is_id(search_id, "srch"):
        raise NotFound("No such saved search.")
    saved = SavedSearchItem(user_pk(principal.user_id), SEARCH + search_id)
    if not conditional.write(lambda: saved.delete(condition=SavedSearchItem.PK.exists())):
        raise NotFound("No such saved search.")
