"""Deferred imports, to keep Lambda cold starts short.

`app` imports every blueprint at start-up, but a request only needs the schemas, services and SDKs
of its own route. Modules loaded through `lazy_import` are executed on first attribute access, so
each route pays for what it uses. Pair it with `if TYPE_CHECKING:` imports to keep static types.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    """Stands for a module until an attribute is first read, then imports it and delegates.

    The import goes through `importlib.import_module`, whose import lock makes a first use from
    several threads at once safe (Python 3.11's `importlib.util.LazyLoader` is not).
    """

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later reads skip this method
        return getattr(module, attribute)


def lazy_import(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        raise ImportError(f"no module named {name!r}")
    return _LazyModule(name)


def resolve(reference: str) -> Any:
    """`"package.module:attribute"` → the attribute, importing the module now."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
