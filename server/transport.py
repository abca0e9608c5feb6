"""The HTTP protocol `tekseru serve` runs: uvicorn's httptools parser with bounds on slow clients."""

from __future__ import annotations

import time

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.errors import ProblemBody

# uvicorn (0.54, httptools) closes a connection left idle between requests (`timeout_keep_alive`),
# but puts no bound on a request still arriving: a client may take forever over its head, stall in
# the middle of its body, or send a head of any size, which the parser keeps in memory (the server
# grows by more than the head's size). So a request's head must arrive within `client_timeout_s`
# and stay under MAX_HEAD_BYTES, and its body may not pause longer than `client_timeout_s` (a
# tablet on a poor link still gets there; an evidence upload that stops resumes with tus).
KEEP_ALIVE_S = 5
MAX_HEAD_BYTES = 16 * 1024
LINGER_S = 1.0


def guarded_http_protocol(timeout_s: float) -> type:
    """uvicorn's httptools protocol with a deadline on the head, a stall limit on the body, a size limit on the head."""

    def raw_problem(status: int, reason: str, code: str, detail: str) -> bytes:
        body = msgspec.json.encode(
            ProblemBody(type=f"urn:tekseru:problem:{code}", title=reason, status=status, detail=detail, code=code)
        )
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        return head.encode("ascii") + body

    too_large = raw_problem(
        431, "Request Header Fields Too Large", "header_too_large", f"the request head is over {MAX_HEAD_BYTES} bytes"
    )
    too_slow = raw_problem(408, "Request Timeout", "request_timeout", f"no complete request within {timeout_s:g} s")

    class GuardedHttpTools(HttpToolsProtocol):
        def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
            super().connection_made(transport)
            self._in_head, self._in_body = True, False
            self._head_bytes, self._events, self._last_data = 0, 0, time.monotonic()
            self._timer = None
            self._refused = False
            self._arm(timeout_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # answered and about to close: what still comes is read and dropped
            self._last_data = time.monotonic()
            events_before = self._events
            super().data_received(data)
            # A chunk in which no head and no message ended belongs wholly to the unfinished head.
            if self._in_head and self._events == events_before and not self.transport.is_closing():
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._refuse(too_large)

        def on_headers_complete(self) -> None:
            self._in_head, self._in_body = False, True
            self._head_bytes = 0
            self._events += 1
            self._arm(timeout_s)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head, self._in_body = True, False
            self._events += 1
            self._disarm()
            if self.cycle is not None and self.cycle.response_complete:
                self._arm(timeout_s)  # answered early (a 413, a 401): the next head is due

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._in_head and not self.transport.is_closing():
                self._arm(timeout_s)

        def _arm(self, delay: float) -> None:
            self._disarm()
            self._timer = self.loop.call_later(delay, self._expired)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expired(self) -> None:
            self._timer = None
            answering = self.cycle is not None and not self.cycle.response_complete
            if self.transport.is_closing() or (self._in_head and answering):
                return  # a (pipelined) request is being answered; its answer arms the deadline again
            if self._in_head and self._head_bytes:
                self._refuse(too_slow)
            elif self._in_head:
                self.transport.close()  # idle, not a request begun
            elif self._in_body:
                idle = time.monotonic() - self._last_data
                if self.flow.read_paused or idle < timeout_s:
                    # The application has not taken what arrived yet, or bytes came since.
                    self._arm(timeout_s - idle if idle < timeout_s else timeout_s)
                elif self.cycle is not None and not self.cycle.response_started:
                    self._refuse(too_slow)
                else:
                    self.transport.close()

        def _refuse(self, answer: bytes) -> None:
            # Answer, then drop what the client still sends for a moment before closing: a socket
            # closed with unread bytes is reset, and the client may never see the answer.
            self._disarm()
            self._refused = True
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the application's own answer, if any, goes nowhere
                self.cycle.message_event.set()
            self.flow.resume_reading()
            self.transport.write(answer)
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)

    return GuardedHttpTools


def __getattr__(name: str) -> type:
    """`server.transport:FromEnvironment`: the guarded protocol with the environment's `client_timeout_s`.

    What `tekseru serve --workers N` names to uvicorn, whose worker processes import the protocol
    by name (a class made in the parent process cannot be handed to them).
    """
    if name == "FromEnvironment":
        from server.settings import settings_from_env

        return guarded_http_protocol(settings_from_env().client_timeout_s)
    raise AttributeError(name)
