"""How the `tekseru` command reaches the API: the running server, or the app in this process.

While `serve` runs it is the only writer of the database (see DESIGN.md, "One writer process"):
a command that writes then goes through its HTTP API with the local admin credential that the
server leaves in the data directory. With no server running, the command runs the same app in
its own process and calls it the same way, so every write takes one code path either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

import httpx
from litestar import Litestar

from server.app import create_app
from server.local_admin import SERVER_URL_FILE, admin_token
from server.settings import Settings


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


@contextlib.contextmanager
def admin_client(settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client with the local admin credential, to the running server or in-process."""
    url = running_server_url(settings)
    if url is not None:
        with httpx.Client(base_url=url, timeout=600.0) as client:
            client.headers["Authorization"] = f"Bearer {admin_token(settings.data_dir)}"
            yield client
        return
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Entering the client enters its transport, which starts the app's lifespan: that opens the
    # database and writes a fresh local admin credential, so the token is read only after it.
    transport = _InProcessTransport(create_app(settings))
    with httpx.Client(transport=transport, base_url="http://tekseru.local", timeout=None) as client:
        client.headers["Authorization"] = f"Bearer {admin_token(settings.data_dir)}"
        yield client


class _InProcessTransport(httpx.BaseTransport):
    """A blocking transport to the app in this process: `httpx.ASGITransport` on a loop of its own.

    The commands are synchronous (and `scorecards build` calls from several threads at once), so
    the app and its lifespan run on an event loop in one background thread, and each request is
    handed to that loop and waited for.
    """

    def __init__(self, app: Litestar) -> None:
        self._app = app
        # An exception in a handler answers 500 (as the server would), not a traceback in the command.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tekseru-in-process", daemon=True)
        self._stop: asyncio.Event | None = None
        self._lifespan: asyncio.Future[None] | None = None

    def __enter__(self) -> _InProcessTransport:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._started(), self._loop).result()
        except BaseException:
            self._close_loop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._shut_down(), self._loop).result()
        finally:
            self._close_loop()

    async def _started(self) -> None:
        """Start the app's lifespan as a task that holds it open until `_stop` is set."""
        self._stop = asyncio.Event()
        ready = asyncio.get_running_loop().create_future()
        self._lifespan = asyncio.ensure_future(self._run_lifespan(ready))
        await ready

    async def _run_lifespan(self, ready: asyncio.Future[None]) -> None:
        # One task enters and leaves the lifespan: its task groups and cancel scopes require that.
        assert self._stop is not None
        try:
            async with self._app.lifespan():
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
                return
            raise

    async def _shut_down(self) -> None:
        """End the lifespan (the app closes the database) and wait until it has."""
        assert self._stop is not None and self._lifespan is not None
        self._stop.set()
        await self._lifespan

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` to the app and wait for its whole answer."""
        request.read()  # a sync body becomes bytes, which the ASGI transport can stream
        return asyncio.run_coroutine_threadsafe(self._send(request), self._loop).result()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        # Raw bytes: the client decodes any content-encoding itself, from the headers passed on.
        content = b"".join([chunk async for chunk in response.aiter_raw()])
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def _close_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


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
