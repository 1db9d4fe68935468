"""Demo data for the local stack, created at start (unless --no-seed) through the app's own services.

Idempotent: fixed ids, and each step checks before it writes, so a restart finds the same data.
Later capabilities add their demo data as one more function in `STEPS` (listings and sessions from
catalog, then bookings, conversations...), using the users in `SeedContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from devstack.issuer import Issuer

if TYPE_CHECKING:  # the app's modules are imported only once its environment is set
    from chalicelib.core.auth import Principal

TOKEN_TTL = timedelta(days=30)


@dataclass(frozen=True)
class DemoUser:
    key: str  # how other seed steps refer to them
    user_id: str
    email: str
    name: str
    roles: tuple[str, ...]


GAME_MASTER = DemoUser(
    "game_master", "usr_01HSESH0DEM0GAMEMASTER0001", "mira@sesh.example", "Mira Quill", ("player", "host")
)
STUDIO = DemoUser(
    "studio",
    "usr_01HSESH0DEM0STVD0000000001",
    "booking@basement-tapes.example",
    "Basement Tapes Studio",
    ("player", "host"),
)
PLAYER = DemoUser("player", "usr_01HSESH0DEM0PAYER000000001", "pat@sesh.example", "Pat Player", ("player",))
USERS = (GAME_MASTER, STUDIO, PLAYER)


@dataclass
class SeedContext:
    issuer: Issuer
    principals: dict[str, Principal] = field(default_factory=dict)  # by DemoUser.key
    tokens: dict[str, str] = field(default_factory=dict)  # bearer tokens, by DemoUser.key


def token_for(issuer: Issuer, user: DemoUser) -> str:
    from chalicelib.core import clock

    return issuer.mint(
        user.user_id,
        now=clock.now(),
        email=user.email,
        name=user.name,
        roles=user.roles,
        ttl_seconds=int(TOKEN_TTL.total_seconds()),
    )


def _users(ctx: SeedContext) -> None:
    """The three demo users: created on first sight of their token, as any user is."""
    from chalicelib.accounts import service as accounts
    from chalicelib.core.auth import Claims

    for user in USERS:
        claims = Claims(ctx.issuer.issuer, user.user_id, user.email, user.name, frozenset(user.roles))
        ctx.principals[user.key] = accounts.principal_for(claims)
        ctx.tokens[user.key] = token_for(ctx.issuer, user)


def _host_profiles(ctx: SeedContext) -> None:
    from pydantic import HttpUrl

    from chalicelib.accounts import schemas
    from chalicelib.accounts import service as accounts

    profiles = {
        GAME_MASTER.key: schemas.HostProfileIn(
            kinds=[schemas.HostKind.game_master],
            headline="Cosy horror one-shots and a long-running Blades in the Dark campaign",
            game_systems=["Call of Cthulhu", "Blades in the Dark", "Mothership"],
            genres=["horror", "heist"],
            languages=["en", "de"],
            safety_tools=[schemas.SafetyTool.lines_and_veils, schemas.SafetyTool.x_card],
            rates_text="Free intro sessions; campaigns from $15 per seat.",
        ),
        STUDIO.key: schemas.HostProfileIn(
            kinds=[schemas.HostKind.studio, schemas.HostKind.engineer],
            headline="A warm live room with a tracking engineer, by the hour",
            skills=["tracking", "mixing"],
            gear=["Neve 1073 preamps", "Yamaha C7 grand piano", "Ludwig drum kit"],
            genres=["indie", "jazz"],
            languages=["en"],
            portfolio_links=[HttpUrl("https://basement-tapes.example/credits")],
            rates_text="$60/hour with engineer, 3 hour minimum.",
        ),
    }
    for key, profile in profiles.items():
        principal = ctx.principals[key]
        if accounts.get_me(principal).host_profile is None:
            accounts.become_host(principal, profile, None)


# The order matters: each step may use what earlier ones made. Add later capabilities' data here.
STEPS: list[Callable[[SeedContext], None]] = [_users, _host_profiles]


def seed(issuer: Issuer) -> SeedContext:
    ctx = SeedContext(issuer)
    for step in STEPS:
        step(ctx)
    return ctx
