"""Validated value types shared by every schema: locale (BCP-47), IANA timezone, ISO-4217 currency."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, StringConstraints

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    # Babel is imported lazily: only the few routes that validate currencies pay for it.
    from babel.numbers import list_currencies

    return frozenset(c.lower() for c in list_currencies())


@lru_cache(maxsize=512)
def _known_locale(tag: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True


def check_locale(value: str) -> str:
    if not _BCP47.match(value) or not _known_locale(value):
        raise ValueError("must be a BCP-47 language tag such as 'en', 'de-AT' or 'pt-BR'")
    language, *rest = value.split("-")
    return "-".join([language.lower(), *[p.title() if len(p) == 4 else p.upper() for p in rest]])


def check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("must be an IANA timezone such as 'Europe/Berlin'")
    return value


def check_currency(value: str) -> str:
    code = value.lower()
    if len(code) != 3 or code not in _currencies():
        raise ValueError("must be an ISO-4217 currency code such as 'usd'")
    return code


# The length bounds refuse oversized input before the lookups run (and show in the OpenAPI).
Locale = Annotated[str, StringConstraints(max_length=35), AfterValidator(check_locale)]
Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(check_timezone)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(check_currency)]
