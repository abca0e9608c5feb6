"""The direction of dependency (DESIGN.md, Architecture), read from the imports of every module.

checklists -> nothing of ours; reports -> checklists; server -> both; and inside server, the store
is the SQL leaf: it imports nothing of the engine, the routes or the application around them.
Imports inside functions count: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("checklists", "reports", "server")

# (importing package, forbidden targets): a module under the first may import none of the second.
FORBIDDEN = (
    ("checklists", ("server", "reports")),
    ("reports", ("server",)),
    (
        "server.store",
        (
            "server.sync",
            "server.routes",
            "server.app",
            "server.cli",
            "server.scorecards",
            "server.directory",
            "server.admin_client",
            "server.demo",
        ),
    ),
)


def module_name(path: Path) -> str:
    """The dotted module name of a source file under ROOT."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported name) of every import in the source, at any depth; `from a import b` gives a and a.b."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def forbidden_arrows(module: str, imports: list[tuple[int, str]]) -> list[str]:
    """The imports of `module` that break a rule of FORBIDDEN, as 'module:line imports target (rule)'.

    One entry per import statement: its shortest forbidden name (the module, not each name taken from it).
    """
    out: dict[int, str] = {}
    for source, targets in FORBIDDEN:
        if not _within(module, source):
            continue
        for line, name in sorted(imports, key=lambda i: len(i[1])):
            if line not in out and any(_within(name, t) for t in targets):
                out[line] = f"{module}:{line} imports {name} ({source} must not import {', '.join(targets)})"
    return [out[line] for line in sorted(out)]


def modules() -> list[tuple[str, Path]]:
    return sorted(
        (module_name(p), p)
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    )


def test_no_module_imports_against_the_direction_of_dependency():
    found = modules()
    assert any(m == "server.store.views" for m, _ in found)  # the walk sees the store
    broken = []
    for module, path in found:
        imports = imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
        broken += forbidden_arrows(module, imports)
    assert not broken, "imports against the direction of dependency:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("module", "source", "arrow"),
    [
        # The arrows the store had before it became the leaf, including one inside a function.
        ("server.store.reviews", "from server.sync.push import rebuild_views\n", "server.sync.push"),
        (
            "server.store.blobs",
            "async def f():\n    from server.sync.push import rebuild_views\n",
            "server.sync.push",
        ),
        ("server.store.directory", "from server.directory import Unit\n", "server.directory"),
        ("server.store.sync", "from server import sync\n", "server.sync"),
        ("server.store.sync", "from ..sync import view\n", "server.sync"),
        ("server.store.feed", "import server.routes.sync as r\n", "server.routes.sync"),
        ("reports.scorecard", "from server.clock import now_iso\n", "server.clock"),
        ("checklists.score", "import reports.aggregate\n", "reports.aggregate"),
    ],
)
def test_a_forbidden_arrow_is_named_with_its_module(module, source, arrow):
    broken = forbidden_arrows(module, imports_of(source, module))
    assert broken and any(f" imports {arrow} " in b and b.startswith(module + ":") for b in broken), broken


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("server.store.blobs", "from server.store import sync as sync_store\n"),
        ("server.store.sync", "from server.store.views import StoredView\n"),
        ("server.sync.push", "from server.store import sync as store\n"),
        ("server.routes.sync", "from server.sync.push import store_revisions\n"),
        ("server.store.scores", "from reports.aggregate import sum_standards\n"),
        ("server.store.feed", "from server.db import run_on\n"),
        ("reports.scorecard", "from checklists.model import Checklist\n"),
        ("server.store.sync", "import server.syncing\n"),  # a name that only starts like a forbidden one
    ],
)
def test_an_allowed_arrow_passes(module, source):
    assert forbidden_arrows(module, imports_of(source, module)) == []


# The parts of a running server (db, settings, worker pools) live in one `Services` the lifespan
# keeps on the app's state: route handlers receive them by dependency injection, the rest through
# `server.services.services_of(app)`. Only these two modules touch the app's state themselves.
APP_STATE_OWNERS = ("server/app.py", "server/services.py")


def app_state_uses(source: str, where: str) -> list[str]:
    """'where:line: text' of every line of the source that mentions `app.state`."""
    return [
        f"{where}:{number}: {line.strip()}"
        for number, line in enumerate(source.splitlines(), start=1)
        if "app.state" in line
    ]


def test_only_the_app_and_its_services_read_the_app_state():
    sources = sorted(p for p in (ROOT / "server").rglob("*.py") if "__pycache__" not in p.parts)
    assert any(p.name == "services.py" for p in sources)  # the walk sees the server
    found = []
    for path in sources:
        where = path.relative_to(ROOT).as_posix()
        if where not in APP_STATE_OWNERS:
            found += app_state_uses(path.read_text(encoding="utf-8"), where)
    assert not found, (
        "app.state read outside server/app.py and server/services.py (take a dependency in a route"
        " handler, services_of(app) elsewhere):\n" + "\n".join(found)
    )


def test_an_app_state_use_is_named_with_its_file_and_line():
    source = "def f(request):\n    return request.app.state.db\n"
    assert app_state_uses(source, "server/routes/x.py") == ["server/routes/x.py:2: return request.app.state.db"]
