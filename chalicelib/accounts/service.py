"""Accounts use cases: who a token is, reading and editing profiles, becoming a host, avatars."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.accounts import schemas
from chalicelib.accounts.models import HostProfileItem, IdentityItem, UserItem, identity_pk, user_pk
from chalicelib.core import clock, conditional, ids, storage
from chalicelib.core.auth import Claims, Principal
from chalicelib.core.exceptions import FieldError, NotFound, PreconditionFailed, ValidationFailed
from chalicelib.core.http import check_version
from chalicelib.core.settings import get_settings
from chalicelib.core.table import BaseItem, touch, write_transaction

IDENTITY_SK = "IDENT"
PROFILE_SK = "PROFILE"
HOST_SK = "PROFILE#HOST"  # shares the PROFILE prefix: one Query reads both
AVATAR_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def _principal(identity: IdentityItem, claims: Claims) -> Principal:
    roles = claims.roles | frozenset(identity.granted_roles or ())
    return Principal(
        user_id=identity.user_id, roles=roles, email=claims.email, issuer=claims.issuer, subject=claims.subject
    )


def principal_for(claims: Claims) -> Principal:
    """The user behind a verified token; their records are created on their first call.

    Costs one GetItem per request; the first call of a new user adds one transaction.
    """
    pk = identity_pk(claims.issuer, claims.subject)
    try:
        return _principal(IdentityItem.get(pk, IDENTITY_SK), claims)
    except IdentityItem.DoesNotExist:
        pass
    # Tokens from our own dev issuer carry a Sesh user id as subject; others (Cognito) carry their
    # own, and get a fresh id. A subject naming a user another identity owns also gets a fresh id.
    if ids.is_id(claims.subject, "usr") and _create_identity(claims, claims.subject):
        return _principal(IdentityItem.get(pk, IDENTITY_SK, consistent_read=True), claims)
    _create_identity(claims, ids.new_id("usr"))
    return _principal(IdentityItem.get(pk, IDENTITY_SK, consistent_read=True), claims)


def _create_identity(claims: Claims, user_id: str) -> bool:
    """Write the identity and its new user together; False if either exists already (a racing
    first request of the same user wrote the identity, or the user id is taken)."""
    identity = IdentityItem(identity_pk(claims.issuer, claims.subject), IDENTITY_SK, user_id=user_id)
    name = claims.name or (claims.email.split("@")[0] if claims.email else "New user")
    user = UserItem(user_pk(user_id), PROFILE_SK, user_id=user_id, email=claims.email, display_name=name[:80])
    try:
        with write_transaction() as tx:
            tx.save(identity, condition=IdentityItem.PK.does_not_exist())
            tx.save(user, condition=UserItem.PK.does_not_exist())
    except TransactWriteError:
        return False
    return True


def _load(user_id: str) -> tuple[UserItem, HostProfileItem | None]:
    if not ids.is_id(user_id, "usr"):
        raise NotFound("No such user.")
    user: UserItem | None = None
    host: HostProfileItem | None = None
    for item in BaseItem.query(user_pk(user_id), BaseItem.SK.startswith(PROFILE_SK)):
        if isinstance(item, UserItem):
            user = item
        elif isinstance(item, HostProfileItem):
            host = item
    if user is None:
        raise NotFound("No such user.")
    return user, host


def _host_out(host: HostProfileItem | None) -> schemas.HostProfileOut | None:
    if host is None:
        return None
    return schemas.HostProfileOut(
        kinds=[schemas.HostKind(k) for k in host.kinds],
        headline=host.headline,
        game_systems=list(host.game_systems),
        genres=list(host.genres),
        skills=list(host.skills),
        gear=list(host.gear),
        languages=list(host.languages),
        portfolio_links=list(host.portfolio_links),
        safety_tools=[schemas.SafetyTool(t) for t in host.safety_tools],
        rates_text=host.rates_text,
        version=int(host.version or 1),
    )


def _public(user: UserItem, host: HostProfileItem | None) -> schemas.PublicProfile:
    return schemas.PublicProfile(
        id=user.user_id,
        display_name=user.display_name,
        bio=user.bio,
        avatar_url=storage.presigned_download(user.avatar_key) if user.avatar_key else None,
        is_host=bool(user.is_host),
        host_profile=_host_out(host),
        member_since=clock.to_wire(user.created_at),
        rating=_host_rating(user.user_id) if user.is_host else None,
    )


def _host_rating(user_id: str) -> schemas.HostRating:
    from chalicelib.reviews import service as reviews

    found = reviews.rating_of(user_id)
    return schemas.HostRating(average=found.average, count=found.count)


def _me(user: UserItem, host: HostProfileItem | None, principal: Principal) -> schemas.Me:
    return schemas.Me(
        **_public(user, host).model_dump(),
        email=user.email,
        locale=user.locale,
        timezone=user.timezone,
        currency=user.currency,
        roles=sorted(principal.roles | ({"host"} if user.is_host else set())),
        version=int(user.version or 1),
    )


def get_me(principal: Principal) -> schemas.Me:
    user, host = _load(principal.user_id)
    return _me(user, host, principal)


def timezone_of(user_id: str) -> str:
    """The user's preferred IANA timezone ("UTC" for an unknown user): one GetItem."""
    try:
        return str(UserItem.get(user_pk(user_id), PROFILE_SK).timezone or "UTC")
    except UserItem.DoesNotExist:
        return "UTC"


def currency_of(user_id: str) -> str | None:
    """The currency on the user's profile (None for an unknown user): one GetItem."""
    try:
        return str(UserItem.get(user_pk(user_id), PROFILE_SK).currency or "") or None
    except UserItem.DoesNotExist:
        return None


def public_profile(user_id: str) -> schemas.PublicProfile:
    user, host = _load(user_id)
    return _public(user, host)


def update_me(principal: Principal, change: schemas.UpdateMe, expected_version: int | None) -> schemas.Me:
    fields = change.model_dump(exclude_unset=True)
    key = fields.get("avatar_key")
    if key is not None and not key.startswith(f"avatars/{principal.user_id}/"):
        raise ValidationFailed(
            "Use a key returned by POST /v1/me/avatar.",
            errors=[FieldError("avatar_key", "not one of your uploads")],
        )
    user, host = _load(principal.user_id)
    check_version(expected_version, int(user.version or 1))
    for name, value in fields.items():
        setattr(user, name, value)
    touch(user)
    if not conditional.write(user.save):  # conditional on the version we read (VersionAttribute)
        raise PreconditionFailed("The profile changed while you edited it; reload and retry.")
    return _me(user, host, principal)


def become_host(principal: Principal, profile: schemas.HostProfileIn, expected_version: int | None) -> schemas.Me:
    """Create or replace the caller's host profile and grant the host role, in one transaction."""
    user, current = _load(principal.user_id)
    if current is not None:
        check_version(expected_version, int(current.version or 1))
    host = current or HostProfileItem(user_pk(principal.user_id), HOST_SK, user_id=principal.user_id)
    data = profile.model_dump(mode="json")
    for name, value in data.items():
        setattr(host, name, value)
    touch(host)
    try:
        with write_transaction() as tx:
            tx.save(host)  # VersionAttribute: conditional on the version we read
            tx.update(user, actions=[UserItem.is_host.set(True), UserItem.updated_at.set(clock.now())])
            tx.update(
                IdentityItem(identity_pk(principal.issuer, principal.subject), IDENTITY_SK),
                actions=[IdentityItem.granted_roles.add({"host"})],
                condition=IdentityItem.PK.exists(),
            )
    except (TransactWriteError, UpdateError) as exc:
        if conditional.condition_failed(exc):
            raise PreconditionFailed("The host profile changed while you edited it; reload and retry.") from None
        raise
    user.is_host = True
    return _me(user, host, principal)


def avatar_upload(principal: Principal, request: schemas.AvatarUploadIn) -> schemas.AvatarUploadOut:
    settings = get_settings()
    extension = AVATAR_EXTENSIONS[request.content_type]
    key = f"avatars/{principal.user_id}/{ids.new_ulid().lower()}.{extension}"
    upload = storage.presigned_upload(key, request.content_type, settings.avatar_max_bytes)
    return schemas.AvatarUploadOut(
        url=upload.url,
        fields=upload.fields,
        key=upload.key,
        max_bytes=settings.avatar_max_bytes,
        expires_in=upload.expires_in,
    )


def host_summaries(user_ids: Iterable[str]) -> dict[str, schemas.HostSummary]:
    """Name, avatar and headline of each existing user among `user_ids` (one BatchGetItem per 50 users)."""
    wanted = [u for u in dict.fromkeys(user_ids) if ids.is_id(u, "usr")]
    keys = [(user_pk(u), sk) for u in wanted for sk in (PROFILE_SK, HOST_SK)]
    users: dict[str, UserItem] = {}
    headlines: dict[str, str] = {}
    for item in BaseItem.batch_get(keys):
        if isinstance(item, UserItem):
            users[item.user_id] = item
        elif isinstance(item, HostProfileItem):
            headlines[item.user_id] = item.headline
    return {
        u: schemas.HostSummary(
            id=u,
            display_name=user.display_name,
            avatar_url=storage.presigned_download(user.avatar_key) if user.avatar_key else None,
            headline=headlines.get(u),
        )
        for u, user in users.items()
    }


@dataclass(frozen=True)
class Contact:
    """How to reach a user and in which language and timezone (for notifications)."""

    user_id: str
    email: str | None
    display_name: str
    locale: str
    timezone: str


def contacts(user_ids: Iterable[str]) -> dict[str, Contact]:
    """Contact details of each existing user among `user_ids` (one BatchGetItem per 100 users)."""
    wanted = [u for u in dict.fromkeys(user_ids) if ids.is_id(u, "usr")]
    found = UserItem.batch_get([(user_pk(u), PROFILE_SK) for u in wanted])
    return {
        user.user_id: Contact(user.user_id, user.email, user.display_name, user.locale or "en", user.timezone or "UTC")
        for user in found
        if isinstance(user, UserItem)
    }
