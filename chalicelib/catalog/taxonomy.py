"""The catalog's vocabulary: verticals, categories, game systems, tools, safety tools, levels.

Plain data, so adding a category or a game system is one line here. Ids are stable (they are stored
on listings and used in search filters); names are display text.
"""

from __future__ import annotations

from dataclasses import dataclass

RPG = "rpg"
MUSIC = "music"
ANY = "any"
VERTICALS = {RPG: "Tabletop role-playing games", MUSIC: "Music: studios, production, lessons"}


@dataclass(frozen=True)
class Term:
    id: str
    name: str
    vertical: str = ANY  # RPG, MUSIC, or ANY (fits both)


CATEGORIES = (
    Term("one_shot", "One-shot", RPG),
    Term("campaign", "Campaign", RPG),
    Term("learn_to_play", "Learn to play", RPG),
    Term("west_marches", "West Marches", RPG),
    Term("game_master_coaching", "Game master coaching", RPG),
    Term("studio_time", "Studio time", MUSIC),
    Term("mixing", "Mixing", MUSIC),
    Term("mastering", "Mastering", MUSIC),
    Term("production", "Production", MUSIC),
    Term("lessons", "Lessons", MUSIC),
    Term("session_musician", "Session musician", MUSIC),
    Term("songwriting", "Songwriting", MUSIC),
)

GAME_SYSTEMS = (
    Term("dnd_5e", "D&D 5e", RPG),
    Term("pathfinder_2e", "Pathfinder 2e", RPG),
    Term("call_of_cthulhu", "Call of Cthulhu", RPG),
    Term("blades_in_the_dark", "Blades in the Dark", RPG),
    Term("mothership", "Mothership", RPG),
    Term("vampire_the_masquerade", "Vampire: The Masquerade", RPG),
    Term("starfinder", "Starfinder", RPG),
    Term("cyberpunk_red", "Cyberpunk RED", RPG),
    Term("mork_borg", "Mörk Borg", RPG),
    Term("pbta", "Powered by the Apocalypse", RPG),
    Term("fate", "Fate", RPG),
    Term("other", "Other system", RPG),
)

# Where a session happens: a virtual tabletop, a call, a DAW, or a room.
TOOLS = (
    Term("roll20", "Roll20", RPG),
    Term("foundry_vtt", "Foundry VTT", RPG),
    Term("owlbear_rodeo", "Owlbear Rodeo", RPG),
    Term("fantasy_grounds", "Fantasy Grounds", RPG),
    Term("discord", "Discord"),
    Term("zoom", "Zoom"),
    Term("in_person", "In person"),
    Term("pro_tools", "Pro Tools", MUSIC),
    Term("logic_pro", "Logic Pro", MUSIC),
    Term("ableton_live", "Ableton Live", MUSIC),
    Term("fl_studio", "FL Studio", MUSIC),
    Term("cubase", "Cubase", MUSIC),
    Term("reaper", "Reaper", MUSIC),
    Term("audiomovers", "Audiomovers", MUSIC),
)

SAFETY_TOOLS = (
    Term("lines_and_veils", "Lines and veils"),
    Term("x_card", "X-card"),
    Term("open_door", "Open door"),
    Term("session_zero", "Session zero"),
    Term("stars_and_wishes", "Stars and wishes"),
    Term("script_change", "Script change"),
    Term("consent_checklist", "Consent checklist"),
)

EXPERIENCE_LEVELS = (
    Term("any", "Everyone welcome"),
    Term("beginner", "Beginner"),
    Term("intermediate", "Intermediate"),
    Term("experienced", "Experienced"),
)

AGE_RATINGS = (Term("all_ages", "All ages"), Term("13+", "13+"), Term("16+", "16+"), Term("18+", "18+"))

_BY_ID = {
    "category": {t.id: t for t in CATEGORIES},
    "game_system": {t.id: t for t in GAME_SYSTEMS},
    "tool": {t.id: t for t in TOOLS},
    "safety_tool": {t.id: t for t in SAFETY_TOOLS},
    "experience_level": {t.id: t for t in EXPERIENCE_LEVELS},
    "age_rating": {t.id: t for t in AGE_RATINGS},
}


def find(kind: str, term_id: str) -> Term | None:
    return _BY_ID[kind].get(term_id)


def check(kind: str, term_id: str) -> str:
    """A pydantic-friendly check: the id when known, else ValueError listing a few known ones."""
    if term_id not in _BY_ID[kind]:
        known = ", ".join(list(_BY_ID[kind])[:6])
        raise ValueError(f"unknown {kind.replace('_', ' ')}; see GET /v1/categories (e.g. {known})")
    return term_id


def vertical_of(category: str) -> str:
    return _BY_ID["category"][category].vertical


def fits(kind: str, term_id: str, vertical: str) -> bool:
    """Whether a game system or tool belongs with a category of `vertical`."""
    term = _BY_ID[kind][term_id]
    return term.vertical in (ANY, vertical)
