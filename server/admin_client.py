"""How the `tekseru` command reaches the API: the running server, or the app in this process.

While `serve` runs it is the only writer of the database (see DESIGN.md, "One writer process"):
a command that writes then goes through its HTTP API with the local admin credential that the
server leaves in the data directory. With no server running, the command runs the same app in
its own process and calls it the same way, so every write takes one code path either way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx

from server.settings import Settings

SERVER_URL_FILE = "server.url"
ADMIN_TOKEN_FILE = "admin.token"


class ApiError(Exception):
    """A problem+json answer, or no answer at all, turned into lines for stderr."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


def running_server_url(settings: Settings) -> str | None:
    """The URL of a `tekseru serve` on this data directory that answers, or None."""
    path = settings.data_dir / SERVER_URL_FILE
    try:
        url = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    try:
        answer = httpx.get(f"{url}/v1/health", timeout=2.0)
    except httpx.HTTPError:
        return None
    # A degraded server (its disk full, say) is still the one writer: never open the database beside it.
    return url if answer.status_code in (200, 503) else None


def _admin_token(data_dir: Path) -> str:
    return (data_dir / ADMIN_TOKEN_FILE).read_text(encoding="utf-8").strip()


@contextlib.contextmanager
def admin_client(settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client with the local admin credential, to the running server or in-process."""
    url = running_server_url(settings)
    if url is not None:
        with httpx.Client(base_url=url, timeout=600.0) as client:
            client.headers["Authorization"] = f"Bearer {_admin_token(settings.data_dir)}"
            yield client
        return
    from litestar.testing import TestClient

    from server.app import create_app

    logging.getLogger("httpx").setLevel(logging.WARNING)
    # TestClient is Litestar's in-process ASGI client: it runs the app's lifespan (which opens the
    # database and writes a fresh local admin credential) and calls the handlers without a socket.
    with TestClient(create_app(settings), base_url="http://tekseru.local", raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {_admin_token(settings.data_dir)}"
        yield client


def checked(response: httpx.Response) -> httpx.Response:
    """The response if it succeeded; otherwise ApiError with the problem's detail and errors."""
    if response.status_code < 400:
        return response
    try:
        problem = response.json()
    except ValueError:
        raise ApiError(f"the server answered {response.status_code}") from None
    details = [f"{e.get('path') or '-'}: {e.get('message')}" for e in problem.get("errors") or []]
    raise ApiError(f"{problem.get('detail', 'error')} ({problem.get('code', response.status_code)})", details)
