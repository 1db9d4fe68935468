"""Package boundaries: one public face per package, dependencies pointing one way.

Every `chalicelib/**/*.py` is parsed (nothing is imported) and each dependency of a module on a
chalicelib module is collected: `import` / `from ... import` anywhere (module top, functions,
`if TYPE_CHECKING:` blocks), the module named by a string passed to `lazy_import(...)` or
`resolve(...)`, and any string literal of the form `"chalicelib.pkg.mod:attr"` (handler and schema
references). Two rules are checked on every dependency between two capability packages:

- face: a package uses another only through its face, `service` (or the package itself), or through
  `events`, the typed events it publishes, which any package may import;
- direction: a package uses only the packages `MAY_USE` declares below it (events excepted).

`core` is shared and uses no capability package. The composition root (`ROOT`) may use anything; a
package reads it only where `ROOT_LOOKUPS` says so. Violations still in the code are listed in
`KNOWN_VIOLATIONS`; a second test fails once one of them is gone, so that list can only shrink.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHALICELIB = REPO / "chalicelib"

# The declared direction, lowest first (README.md, "Architecture in a paragraph", draws it):
#
#   dashboards ─► analytics, reviews, notifications, booking, chat, catalog, payments, accounts
#   notifications ─► booking, chat, catalog, payments, accounts
#   reviews ─► analytics, booking, catalog, accounts
#   analytics ─► booking, chat, catalog, payments, accounts
#   booking ─► chat, catalog, payments, accounts
#   chat ─► accounts          catalog ─► payments, accounts
#   payments, accounts ─► core only;  core ─► nothing
#
# Every package may also use `core`; any package may import another's `events`.
MAY_USE: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "accounts": frozenset({"core"}),
    "payments": frozenset({"core"}),
    "catalog": frozenset({"core", "accounts", "payments"}),
    "chat": frozenset({"core", "accounts"}),
    "booking": frozenset({"core", "accounts", "catalog", "payments", "chat"}),
    "analytics": frozenset({"core", "accounts", "catalog", "payments", "chat", "booking"}),
    "reviews": frozenset({"core", "accounts", "catalog", "booking", "analytics"}),
    "notifications": frozenset({"core", "accounts", "catalog", "payments", "chat", "booking"}),
    "dashboards": frozenset(
        {"core", "accounts", "catalog", "payments", "chat", "booking", "analytics", "reviews", "notifications"}
    ),
}
FACES = frozenset({"service", "events"})  # a package's public modules (besides the package itself)
SHARED = "core"  # its modules are all public
ROOT = frozenset({"chalicelib", "chalicelib.wiring", "chalicelib.subscriptions", "chalicelib.timer_jobs"})
ROOT_LOOKUPS = frozenset(
    {  # packages reading the composition root, by design, late (a string)
        ("chalicelib.core.events", "chalicelib.subscriptions"),  # the event kind → subscribers table
        ("chalicelib.payments.payables", "chalicelib.wiring"),  # who owns what players pay for
    }
)

# importing module → imported module: still in the code, each with why. Only ever remove entries.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset(
    {
        # accounts shows a host's rating: reads reviews, which sits above it (needs a rating copy kept by an event)
        ("chalicelib.accounts.service", "chalicelib.reviews.service"),
        # catalog shows and orders by ratings: reads reviews, which sits above it
        ("chalicelib.catalog.discovery", "chalicelib.reviews.service"),
        ("chalicelib.catalog.search", "chalicelib.reviews.service"),
        ("chalicelib.catalog.service", "chalicelib.reviews.service"),
    }
)

_REFERENCE = re.compile(r"^chalicelib(?:\.[A-Za-z_]\w*)+:\w*$")  # "chalicelib.pkg.mod:attr"
_LATE_LOADERS = frozenset({"lazy_import", "resolve"})


@dataclass(frozen=True)
class Dependency:
    path: str
    line: int
    importer: str
    imported: str
    how: str  # "import", "lazy_import", "resolve", "reference"


@dataclass(frozen=True)
class Violation:
    dependency: Dependency
    rule: str

    @property
    def pair(self) -> tuple[str, str]:
        return self.dependency.importer, self.dependency.imported

    def __str__(self) -> str:
        d = self.dependency
        return f"{d.path}:{d.line}: {d.importer} → {d.imported} ({d.how}): {self.rule}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in CHALICELIB.rglob("*.py"))


MODULES = _known_modules()


def _loader_name(call: ast.Call) -> str | None:
    f = call.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return name if name in _LATE_LOADERS else None


def dependencies(source: str, importer: str, path: str) -> Iterator[Dependency]:
    """Every chalicelib module `importer` depends on, wherever in `source` it is named."""
    tree = ast.parse(source, filename=path)
    loaded: set[int] = set()  # string constants already seen as a loader's argument
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Dependency(path, node.lineno, importer, alias.name, "import")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package
                package = importer.split(".")[: len(importer.split(".")) - node.level]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Dependency(path, node.lineno, importer, sub if sub in MODULES else base, "import")
        elif isinstance(node, ast.Call) and (loader := _loader_name(node)) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                loaded.add(id(arg))
                yield Dependency(path, node.lineno, importer, arg.value.partition(":")[0], loader)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in loaded
            and _REFERENCE.match(node.value)
        ):
            yield Dependency(path, node.lineno, importer, node.value.partition(":")[0], "reference")


def package_of(module: str) -> str | None:
    """The capability package (or `core`) a chalicelib module belongs to; None for the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MAY_USE else None


def check(dependency: Dependency) -> Violation | None:
    importer, imported = dependency.importer, dependency.imported
    if not (imported == "chalicelib" or imported.startswith("chalicelib.")) or importer in ROOT:
        return None
    if imported in ROOT:
        if (importer, imported) in ROOT_LOOKUPS:
            return None
        return Violation(dependency, "a package does not use the composition root (wiring, subscriptions, timer_jobs)")
    source, target = package_of(importer), package_of(imported)
    if source is None or target is None or source == target:
        return None
    parts = imported.split(".")
    if target != SHARED and len(parts) > 2 and parts[2] not in FACES:
        return Violation(
            dependency, f"{parts[2]!r} is private to {target}: use chalicelib.{target}.service (or its events)"
        )
    if len(parts) > 2 and parts[2] == "events" and source != SHARED:
        return None  # any package may import another's typed events
    if target not in MAY_USE[source]:
        return Violation(
            dependency,
            f"{source} may not use {target} (declared: {source} uses "
            f"{', '.join(sorted(MAY_USE[source])) or 'nothing'}): publish an event "
            "or move the code",
        )
    return None


def violations_in(source: str, importer: str, path: str) -> list[Violation]:
    return [v for d in dependencies(source, importer, path) if (v := check(d)) is not None]


def all_violations() -> list[Violation]:
    found: list[Violation] = []
    for path in sorted(CHALICELIB.rglob("*.py")):
        found += violations_in(path.read_text(encoding="utf-8"), module_name(path), str(path.relative_to(REPO)))
    return found


def test_no_package_reaches_past_a_face_or_against_the_direction() -> None:
    new = [str(v) for v in all_violations() if v.pair not in KNOWN_VIOLATIONS]
    assert not new, "package boundary broken:\n" + "\n".join(new)


def test_every_known_violation_still_exists() -> None:
    present = {v.pair for v in all_violations()}
    gone = sorted(f"{a} → {b}" for a, b in KNOWN_VIOLATIONS - present)
    assert not gone, "no longer in the code, remove from KNOWN_VIOLATIONS:\n" + "\n".join(gone)


def test_the_declared_direction_has_no_cycle() -> None:
    done: set[str] = set()

    def visit(package: str, trail: tuple[str, ...]) -> None:
        assert package not in trail, f"MAY_USE has a cycle: {' → '.join((*trail, package))}"
        if package not in done:
            for lower in MAY_USE[package]:
                visit(lower, (*trail, package))
            done.add(package)

    for package in MAY_USE:
        visit(package, ())
    assert all(used in MAY_USE for uses in MAY_USE.values() for used in uses)
    assert {p.name for p in CHALICELIB.iterdir() if (p / "__init__.py").exists()} == set(MAY_USE)


CAUGHT = {
    "a private import inside a function": (
        "chalicelib.chat.messages",
        "def f():\n    from chalicelib.notifications import chat_digest\n    return chat_digest\n",
        "chalicelib.notifications.chat_digest",
        "private",
    ),
    "a lazy_import of a private module": (
        "chalicelib.dashboards.api",
        "from chalicelib.core.lazy import lazy_import\nstore = lazy_import('chalicelib.booking.store')\n",
        "chalicelib.booking.store",
        "private",
    ),
    "a resolve() against the direction": (
        "chalicelib.catalog.search",
        "from chalicelib.core.lazy import resolve\nx = resolve('chalicelib.reviews.service:x')\n",
        "chalicelib.reviews.service",
        "may not use",
    ),
    "an import under TYPE_CHECKING against the direction": (
        "chalicelib.reviews.service",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from chalicelib.dashboards import service\n",
        "chalicelib.dashboards.service",
        "may not use",
    ),
    "a handler reference string against the direction": (
        "chalicelib.core.outbox",
        "HANDLER = 'chalicelib.notifications.service:notify'\n",
        "chalicelib.notifications.service",
        "may not use",
    ),
    "a package importing the composition root": (
        "chalicelib.chat.service",
        "import chalicelib.wiring\n",
        "chalicelib.wiring",
        "composition root",
    ),
}


@pytest.mark.parametrize("case", sorted(CAUGHT))
def test_the_checker_reports(case: str) -> None:
    importer, source, imported, rule = CAUGHT[case]
    found = violations_in(source, importer, "synthetic.py")
    assert [(v.dependency.imported, rule in v.rule) for v in found] == [(imported, True)], found
    assert "synthetic.py:" in str(found[0])


ALLOWED = {
    "a face, downward, inside a function": (
        "chalicelib.booking.create",
        "def f():\n    from chalicelib.catalog import service\n",
    ),
    "another package's events, even upward": (
        "chalicelib.chat.messages",
        "from chalicelib.notifications.events import Something\n",
    ),
    "core, anywhere": ("chalicelib.reviews.domain", "from chalicelib.core import clock\nfrom . import models\n"),
    "the composition root using anything": ("chalicelib.wiring", "from chalicelib.booking import payment_state\n"),
    "a late lookup the root allows": ("chalicelib.core.events", "S = 'chalicelib.subscriptions:SUBSCRIBERS'\n"),
}


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_the_checker_allows(case: str) -> None:
    importer, source = ALLOWED[case]
    assert violations_in(source, importer, "synthetic.py") == []
