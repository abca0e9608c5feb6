"""Every shim of another library's internals, named, with the version it was written against.

A shim leans on something a library does not promise to keep: a private module or attribute, or
the inside of a class it lets us subclass. Each one is listed here with a one-line reason. The
tests fail when the installed version of that library is not the one `requirements.lock` pins
(an upgrade: re-check the shim, then move the pin), when the internal it leans on is gone, and
when our code uses a private name of a library that no entry here names.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "reports", "checklists")


@dataclass(frozen=True)
class Shim:
    """One dependence on a library's internals."""

    library: str  # its distribution name, as `requirements.lock` pins it
    internal: str  # what of the library is relied upon
    where: str  # our code that relies on it
    reason: str  # one line: why no public API serves
    present: Callable[[], bool]  # is the internal still there, as the shim expects
    private_names: tuple[str, ...] = ()  # the `_names` our code uses (the scan below finds them)


def _sets_in_init(cls: type, *attributes: str) -> bool:
    """Whether `cls.__init__` assigns each of `self.<attribute>` (instance attributes have no class-level trace)."""
    source = inspect.getsource(cls.__init__)
    return all(re.search(rf"self\.{attribute}\b[^=\n]*=", source) for attribute in attributes)


def _litestar_options_closure() -> bool:
    from litestar import get
    from litestar.routes import HTTPRoute

    @get("/pinned", sync_to_thread=False)
    def pinned() -> None:
        return None

    route = HTTPRoute(path="/pinned", route_handlers=[pinned])
    options = [h for h in route.route_handlers if getattr(h.fn, "__name__", "") == "options_handler"]
    return len(options) == 1 and any(cell.cell_contents is route for cell in options[0].fn.__closure__ or ())


def _uvicorn_httptools_protocol() -> bool:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

    hooks = ("connection_made", "connection_lost", "data_received", "on_headers_complete")
    hooks += ("on_message_complete", "on_response_complete")
    return (
        all(callable(getattr(HttpToolsProtocol, hook, None)) for hook in hooks)
        and _sets_in_init(HttpToolsProtocol, "transport", "cycle", "flow", "loop")
        and _sets_in_init(RequestResponseCycle, "response_complete", "response_started", "disconnected")
        and _sets_in_init(RequestResponseCycle, "message_event")
    )


def _uvicorn_server_startup() -> bool:
    import uvicorn

    startup = getattr(uvicorn.Server, "startup", None)
    return (
        inspect.iscoroutinefunction(startup)
        and "sockets" in inspect.signature(startup).parameters
        and _sets_in_init(uvicorn.Server, "started")
    )


def _reportlab_paged_canvas() -> bool:
    from reportlab.pdfgen.canvas import Canvas

    return callable(getattr(Canvas, "_startPage", None)) and callable(getattr(Canvas, "showPage", None))


def _reportlab_rl_config() -> bool:
    from reportlab import rl_config

    return hasattr(rl_config, "invariant") and hasattr(rl_config, "useA85")


def _reportlab_row_heights() -> bool:
    from reportlab.platypus import Table

    table = Table([["a"], ["b"]])
    table.wrap(100, 100)
    return [round(h) for h in table._rowHeights] == [round(table._height / 2)] * 2  # noqa: SLF001


SHIMS = {
    "litestar-options-closure": Shim(
        library="litestar",
        internal="HTTPRoute.create_options_handler: an `options_handler` function closing over its route",
        where="server/app.py _rebind_options_handlers",
        reason="Litestar 2 answers OPTIONS with the methods of a path's first handler only (issue #4169)",
        present=_litestar_options_closure,
    ),
    "uvicorn-httptools-protocol": Shim(
        library="uvicorn",
        internal="HttpToolsProtocol's parser hooks and its transport/cycle/flow/loop attributes",
        where="server/transport.py guarded_http_protocol",
        reason="uvicorn bounds neither a slow request head, a stalled body, nor the size of a head",
        present=_uvicorn_httptools_protocol,
    ),
    "uvicorn-server-startup": Shim(
        library="uvicorn",
        internal="Server.startup(sockets) and Server.started",
        where="server/cli.py _AnnouncingServer",
        reason="`serve` says where it serves only once the socket is bound and the app has started",
        present=_uvicorn_server_startup,
    ),
    "reportlab-paged-canvas": Shim(
        library="reportlab",
        internal="Canvas._startPage and the page's state in Canvas.__dict__",
        where="the scorecard's paged canvas in reports/ (_PagedCanvas)",
        reason="`page x of y` needs every page held until the count is known; reportlab has no two-pass API",
        present=_reportlab_paged_canvas,
        private_names=("_startPage",),
    ),
    "reportlab-rl-config": Shim(
        library="reportlab",
        internal="the rl_config globals `invariant` and `useA85`, read by parts of reportlab at save time",
        where="the scorecard's render in reports/",
        reason="the same data must give the same PDF bytes, and binary streams keep it a quarter smaller",
        present=_reportlab_rl_config,
    ),
    "reportlab-row-heights": Shim(
        library="reportlab",
        internal="Table._rowHeights: each row's height once the table is wrapped (or split)",
        where="reports/pdf_tables.py DataTable",
        reason="a split that would leave fewer than three rows alone on a page moves earlier; reportlab has"
        " no public way to ask a table's row heights",
        present=_reportlab_row_heights,
        private_names=("_rowHeights",),
    ),
}

# Private names of the standard library that our code uses: the interpreter, not the lock, pins them.
STANDARD_LIBRARY = {
    "_value2member_map_": "server/errors.py: is an int an HTTPStatus (enum's lookup table, there since 3.4)",
    "_Hash": "hashlib._Hash in type annotations only (the type of a running hash), never evaluated",
    "_exit": "os._exit: a forked worker leaves without running the parent's exit handlers (public, documented)",
}


def _pinned_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[_canonical(name)] = version.split(";")[0].strip()
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("name", sorted(SHIMS))
def test_the_installed_version_is_the_pinned_one(name: str) -> None:
    shim = SHIMS[name]
    pinned = _pinned_versions().get(_canonical(shim.library))
    installed = importlib.metadata.version(shim.library)
    assert pinned is not None, f"{shim.library} is not pinned in requirements.lock, yet shim {name!r} relies on it"
    assert installed == pinned, (
        f"{shim.library} {installed} is installed, requirements.lock pins {pinned}: re-check shim {name!r}"
        f" ({shim.internal}) in {shim.where}, then move the pin"
    )


@pytest.mark.parametrize("name", sorted(SHIMS))
def test_the_shimmed_internal_is_still_there(name: str) -> None:
    shim = SHIMS[name]
    version = importlib.metadata.version(shim.library)
    assert shim.present(), (
        f"{shim.library} {version} no longer has {shim.internal}: re-check shim {name!r} in {shim.where}"
        f" ({shim.reason})"
    )


def _private_uses(theirs_only: bool = True) -> Iterator[tuple[str, int, str]]:
    """(file, line, name) of each private name our packages use (by default: that they do not define)."""
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"), str(path))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    ours: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                ours.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                ours.add(node.id)
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and _is_private(node.attr):
                if theirs_only and node.attr in ours:
                    continue
                yield where, node.lineno, node.attr
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_library(node.module):
                hidden = [part for part in node.module.split(".") if _is_private(part)]
                hidden += [alias.name for alias in node.names if _is_private(alias.name)]
                for name in hidden:
                    yield where, node.lineno, name


def _is_library(module: str | None) -> bool:
    return module is not None and module.split(".")[0] not in PACKAGES


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_every_private_name_of_a_library_that_we_use_is_named_here() -> None:
    named = {name for shim in SHIMS.values() for name in shim.private_names} | set(STANDARD_LIBRARY)
    unnamed = [f"{file}:{line}: {name}" for file, line, name in _private_uses() if name not in named]
    assert not unnamed, (
        "private names of other libraries used without an entry in tests/test_pins.py (add a Shim with its"
        " reason, or use the library's public API):\n  " + "\n  ".join(unnamed)
    )


def test_every_named_private_name_is_still_used() -> None:
    used = {name for _, _, name in _private_uses(theirs_only=False)}
    stale = {
        name: [n for n in shim.private_names if n not in used]
        for name, shim in SHIMS.items()
        if any(n not in used for n in shim.private_names)
    }
    assert not stale, f"shims no longer used by our code (delete their entries): {stale}"
