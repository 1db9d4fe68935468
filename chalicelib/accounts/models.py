"""Persistence shape of accounts. Keys:

- identity  PK=IDENT#<issuer>#<subject>  SK=IDENT    → which user a token's subject is
- user      PK=USER#<user_id>            SK=PROFILE  → the profile (private and public fields)
- host      PK=USER#<user_id>            SK=HOST     → the host profile, when the user hosts
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute, UnicodeSetAttribute

from chalicelib.core.table import BaseItem, VersionedItem
from chalicelib.core.table import user_pk as user_pk


def identity_pk(issuer: str, subject: str) -> str:
    return f"IDENT#{issuer}#{subject}"


class IdentityItem(BaseItem, discriminator="identity"):
    user_id = UnicodeAttribute()
    # Roles granted inside Sesh (becoming a host); token roles are added at each request.
    granted_roles = UnicodeSetAttribute(null=True)


class UserItem(VersionedItem, discriminator="user"):
    user_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute()
    bio = UnicodeAttribute(null=True)
    avatar_key = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(default="en")
    timezone = UnicodeAttribute(default="UTC")
    currency = UnicodeAttribute(default="usd")
    is_host = BooleanAttribute(default=False)


class HostProfileItem(VersionedItem, discriminator="host_profile"):
    user_id = UnicodeAttribute()
    kinds = ListAttribute[str]()
    headline = UnicodeAttribute()
    game_systems = ListAttribute[str](default=list)
    genres = ListAttribute[str](default=list)
    skills = ListAttribute[str](default=list)
    gear = ListAttribute[str](default=list)
    languages = ListAttribute[str](default=list)
    portfolio_links = ListAttribute[str](default=list)
    safety_tools = ListAttribute[str](default=list)
    rates_text = UnicodeAttribute(null=True)
