"""docs/LIMITS.md is the one place that lists the limits; each of its rows names the constants or
settings that enforce it, and this test checks that the numbers on the page are theirs."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "LIMITS.md"
_REF = re.compile(r"`([\w.]+):([\w.]+)(?:\[\"(\w+)\"\])?`")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and _REF.search(cells[2]):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _value(module: str, name: str, key: str | None) -> Any:
    target: Any = importlib.import_module(module)
    owner, _, attribute = name.partition(".")
    if attribute:  # a pydantic settings field: its default
        field = getattr(target, owner).model_fields[attribute]
        value = field.default_factory() if field.default_factory else field.default
    else:
        value = getattr(target, owner)
    return value[key] if key else value


def _numbers(value: Any) -> list[float]:
    return [float(v) for v in value] if isinstance(value, tuple) else [float(value)]


def test_the_page_lists_limits() -> None:
    assert len(_rows()) >= 20


@pytest.mark.parametrize(("limit", "shown", "enforced_by"), _rows(), ids=[r[0] for r in _rows()])
def test_each_documented_limit_is_the_enforced_one(limit: str, shown: str, enforced_by: str) -> None:
    actual: list[float] = []
    for module, name, key in _REF.findall(enforced_by):
        actual += _numbers(_value(module, name, key or None))
    assert [float(n) for n in _NUMBER.findall(shown)] == actual, f"{limit}: the page says {shown!r}"
