"""Texts of notifications: the message catalogs (templates/messages/<lang>.json) and the email
layouts (templates/email.*.j2), rendered with Jinja2, with dates, times and money formatted by babel
for the recipient's locale and in their timezone.

HTML is autoescaped (a listing title cannot inject markup); the text part is rendered by a second
environment without escaping. Imported only by the senders and services that write notifications.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_name
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from chalicelib.core.money import exponent
from chalicelib.notifications import domain

TEMPLATES = Path(__file__).parent / "templates"
MONEY_FACTS = ("price", "refund", "amount")  # {name}_amount + {name}_currency → formatted money
TIME_FACTS = ("starts_at", "deadline", "free_cancel_until")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def _html_env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@cache
def _text_env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True)


@cache
def catalog(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TEMPLATES / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(domain.babel_locale(tag))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def when(moment: datetime, locale_tag: str, timezone: str) -> str:
    """'Sonntag, 1. Februar 2026, 19:00 (Mitteleuropäische Normalzeit)' in the reader's zone."""
    locale = _locale(locale_tag)
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return (
        f"{format_date(local, 'full', locale=locale)}, {format_time(local, 'short', locale=locale)} "
        f"({get_timezone_name(local, width='long', locale=locale)})"
    )


def money(amount: int, currency: str, locale_tag: str) -> str:
    value = amount / (10 ** exponent(currency))
    return str(format_currency(value, currency.upper(), locale=_locale(locale_tag)))


def variables(facts: dict[str, Any], locale_tag: str, timezone: str) -> dict[str, Any]:
    """Facts (JSON values, as they travel in the outbox) → the catalogs' variables, formatted."""
    out: dict[str, Any] = {k: v for k, v in facts.items() if k not in TIME_FACTS}
    for name in TIME_FACTS:
        value = facts.get(name)
        out["when" if name == "starts_at" else name] = (
            when(datetime.fromisoformat(value), locale_tag, timezone) if value else None
        )
    for name in MONEY_FACTS:
        amount, currency = facts.get(f"{name}_amount"), facts.get(f"{name}_currency")
        out[name] = money(int(amount), str(currency), locale_tag) if amount and currency else None
    out.setdefault("title", "")
    return out


def texts(template: str, lang: str, facts: dict[str, Any], locale_tag: str, timezone: str) -> tuple[str, str]:
    """(title, body) as plain text: the in-app notification and the push message."""
    entry = catalog(lang).get(template) or catalog("en")[template]
    values = variables(facts, locale_tag, timezone)
    env = _text_env()
    return env.from_string(entry["title"]).render(values), env.from_string(entry["body"]).render(values)


def email(
    template: str,
    lang: str,
    facts: dict[str, Any],
    *,
    name: str,
    locale_tag: str,
    timezone: str,
    category: str,
    unsubscribe_url: str | None,
    manage_url: str,
    action_url: str | None,
) -> Rendered:
    entry = catalog(lang).get(template) or catalog("en")[template]
    layout = catalog(lang)["_layout"]
    values = variables(facts, locale_tag, timezone)
    text_env, html_env = _text_env(), _html_env()
    subject = text_env.from_string(entry["title"]).render(values)
    common = {
        "lang": lang,
        "subject": subject,
        "layout": layout,
        "action_url": action_url,
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
    }
    category_name = layout["categories"].get(category, category)
    text = text_env.get_template("email.txt.j2").render(
        common,
        greeting=text_env.from_string(layout["greeting"]).render(name=name),
        body=text_env.from_string(entry["body"]).render(values),
        unsubscribe_text=text_env.from_string(layout["unsubscribe"]).render(category=category_name),
    )
    html = html_env.get_template("email.html.j2").render(
        common,
        greeting=Markup(html_env.from_string(layout["greeting"]).render(name=name)),
        body=Markup(html_env.from_string(entry["body"]).render(values)),
        unsubscribe_text=Markup(html_env.from_string(layout["unsubscribe"]).render(category=category_name)),
    )
    return Rendered(subject=subject, text=text, html=html)
