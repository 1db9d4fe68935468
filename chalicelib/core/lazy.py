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


def lazy_import(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def resolve(reference: str) -> Any:
    """`"package.module:attribute"` → the attribute, importing the module now."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
