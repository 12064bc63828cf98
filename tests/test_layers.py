"""The shape of the house: no import cycle, lower layers never import higher ones, long modules
say why they are long.

Every module under ``survey_app`` is parsed with ``ast`` (nothing is imported); every import
counts — at the top, inside functions, under ``TYPE_CHECKING``. An edge goes from a module to
each ``survey_app`` module it names: ``from a.b import c`` names ``a.b.c`` if that is a module,
else ``a.b``. A package reached through lazily-loaded attributes (``from survey_app.services
import analytics`` and then ``analytics.office.overview(...)``) also counts: the attribute
``analytics.office`` is an edge to ``survey_app.services.analytics.office``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = "survey_app"

# The layers, lowest first. A module belongs to the layer of the longest prefix that names it
# (``survey_app.services.storage.engine`` → ``survey_app.services.storage``); a module may
# import its own layer and any lower one, never a higher one. Mirrored in docs/architecture.md.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "survey_app.extensions",
        "survey_app.config",
        "survey_app.models",
        "survey_app.security",
    ),
    (
        "survey_app.services.clock",
        "survey_app.services.errors",
        "survey_app.services.formatting",
        "survey_app.services.text",
        "survey_app.services.queue",
        "survey_app.services.workdays",
    ),
    ("survey_app.services.storage",),
    ("survey_app.services.org",),
    ("survey_app.services.access",),
    (
        "survey_app.services.accounts",
        "survey_app.services.ingest",
        "survey_app.services.complaints",
        "survey_app.services.exchange",
        "survey_app.services.dossiers",
        "survey_app.services.alerts",
    ),
    (
        "survey_app.services.analytics",
        "survey_app.services.kiosk",
        "survey_app.services.indicators",
    ),
    ("survey_app.services.reports", "survey_app.services.digests"),
    ("survey_app.services.demo", "survey_app.services.tasks"),
    ("survey_app.services",),  # the package's own docstring: the rule for heavy packages
    # The web and CLI edge.
    (
        "survey_app.i18n",
        "survey_app.schemas",
        "survey_app.errors",
        "survey_app.auth",
        "survey_app.public",
        "survey_app.staff",
        "survey_app.office",
        "survey_app.inspector",
        "survey_app.reports_web",
        "survey_app.alerts_web",
        "survey_app.complaints",
        "survey_app.imports",
        "survey_app.admin",
        "survey_app.api",
        "survey_app.kiosk",
        "survey_app.commands",
    ),
    ("survey_app",),  # create_app: registers every blueprint and command
    ("survey_app.cli",),
)

LONG = 450  # lines; longer modules open their docstring with a "Why this module is long:" paragraph
WHY_LONG = "Why this module is long:"
LONG_FOR_NOW: set[str] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


@cache
def _tree(name: str) -> ast.Module:
    return ast.parse(_modules()[name].read_text(encoding="utf-8"), filename=str(_modules()[name]))


def _is_package(name: str) -> bool:
    return _modules()[name].name == "__init__.py"


def _resolve(name: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _edges(name: str) -> Iterator[tuple[str, int]]:
    """(imported survey_app module, line) for every import in module ``name``."""
    modules = _modules()
    bound: dict[str, str] = {}  # local name → survey_app module it is bound to
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, node.lineno
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        bound.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(name, node)
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if target in modules:
                    yield target, node.lineno
                    bound[alias.asname or alias.name] = target
                elif source in modules:
                    yield source, node.lineno
    # Attributes of bound modules that are modules themselves: lazily-loaded submodules.
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Attribute):
            chain: list[str] = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                chain.insert(0, inner.attr)
                inner = inner.value
            if not isinstance(inner, ast.Name) or inner.id not in bound:
                continue
            target = bound[inner.id]
            for attr in chain:
                if f"{target}.{attr}" not in modules:
                    break
                target = f"{target}.{attr}"
            if target != bound[inner.id]:
                yield target, node.lineno


@cache
def _graph() -> dict[str, dict[str, int]]:
    """module → {imported module: first line}, self-imports left out."""
    graph: dict[str, dict[str, int]] = {}
    for name in _modules():
        targets: dict[str, int] = {}
        for target, line in _edges(name):
            if target != name:
                targets.setdefault(target, line)
        graph[name] = targets
    return graph


def _layer(name: str) -> int:
    best, found = -1, -1
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), rank
    return found


def _cycle() -> list[str] | None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_every_module_has_a_layer() -> None:
    assert [name for name in _modules() if _layer(name) < 0] == []


def test_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_lower_layers_never_import_higher_ones() -> None:
    upward = [
        f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)}) at line {line}"
        for name, targets in sorted(_graph().items())
        for target, line in sorted(targets.items())
        if _layer(target) > _layer(name)
    ]
    assert upward == []


def test_long_modules_say_why() -> None:
    unexplained = []
    for name, path in _modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines <= LONG or name in LONG_FOR_NOW:
            continue
        doc = ast.get_docstring(_tree(name)) or ""
        if not any(par.lstrip().startswith(WHY_LONG) for par in doc.split("\n\n")):
            unexplained.append(f"{name} ({lines} lines)")
    assert unexplained == []


def test_lazy_stubs_name_real_modules() -> None:
    """Each ``__init__.pyi`` that ``lazy_loader.attach_stub`` reads names modules that exist
    (a typo would only fail on first use)."""
    missing = []
    for stub in sorted((ROOT / PACKAGE).rglob("__init__.pyi")):
        package = _module_name(stub.with_suffix(".py"))
        for node in ast.walk(ast.parse(stub.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module] if node.module else [a.name for a in node.names]
                missing += [f"{package}.{n}" for n in names if f"{package}.{n}" not in _modules()]
    assert missing == []
