"""Deferred imports: nothing runs until first use, and a first use from many threads is safe."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.core.lazy import lazy_import, resolve


def test_the_module_is_imported_on_first_attribute_read():
    sys.modules.pop("colorsys", None)
    module = lazy_import("colorsys")
    assert "colorsys" not in sys.modules
    assert module.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert "colorsys" in sys.modules


def test_a_first_use_from_many_threads_at_once_works_in_each():
    sys.modules.pop("colorsys", None)
    module = lazy_import("colorsys")
    start = threading.Barrier(16)

    def first_use(_: int) -> tuple[float, float, float]:
        start.wait()
        return module.hsv_to_rgb(0.0, 1.0, 1.0)  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(first_use, range(16))) == {(1.0, 0.0, 0.0)}


def test_unknown_modules_fail_where_they_are_declared():
    with pytest.raises(ImportError):
        lazy_import("chalicelib.no_such_module")


def test_resolve_imports_an_attribute():
    assert resolve("chalicelib.core.lazy:lazy_import") is lazy_import
