"""A server process's loop that claims work recorded in the store and does it, in the background.

The scorecard build jobs (`server.scorecard_jobs`) and the integrity checks
(`server.integrity.tasks`) are both work written to the store by one request and done later by
whichever server process claims it under a lease. Each is a `ClaimingLoop`: `run_once` claims and
does what it can and says how much; the loop runs it again at once while it finds work, else
waits for a `wake` (this process just recorded work) or `poll_s` (another process may have).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid

from server.clock import iso_utc, utc_now


def process_id() -> str:
    """A name for this claimer, unique among the processes (and hosts) on one store."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ClaimingLoop(abc.ABC):
    """This process's loop over some kind of claimable work (see the module)."""

    name = "work"  # for the task's name and the log

    def __init__(self, lease_s: float, poll_s: float, log: logging.Logger) -> None:
        self.lease_s, self.poll_s, self.log = lease_s, poll_s, log
        self.worker = process_id()
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def run_once(self) -> int:
        """Claim and do what waits (a batch, or one piece); how much was done (0: nothing waited)."""

    def open(self) -> None:
        """Start claiming (on the running event loop)."""
        if self._loop is None:
            self._loop = asyncio.create_task(self._claim_loop(), name=f"{self.name}-{self.worker}")

    def wake(self) -> None:
        """Look for work now (this process just recorded some)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming (what is being done is cancelled: the caller gives it back)."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None

    def lease(self) -> tuple[str, str]:
        """(now, the end of a lease taken now), as the store writes times."""
        now = utc_now()
        return iso_utc(now), iso_utc(now + dt.timedelta(seconds=self.lease_s))

    async def _claim_loop(self) -> None:
        failing = False
        while True:
            self._wake.clear()  # before looking: work recorded while we look wakes the wait below
            done = 0
            try:
                done = await self.run_once()
                failing = False
            except Exception:
                if not failing:  # once per outage, not once per poll
                    self.log.exception("%s: claiming or ending work failed", self.name)
                failing = True
            if not done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
