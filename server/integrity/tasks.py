"""The background integrity checks: this process's loop that claims visits to check and checks them.

A push, an upload or a rebuild asks for a visit's check by writing a row (`integrity_tasks`, in the
same transaction as the change); every server process runs one claiming loop (`IntegrityChecks`,
kept in `Services`, opened and closed by the app's lifespan; `server.claiming`) that takes a batch
of waiting rows under a lease, examines each visit (`server.integrity.checks.examine`), and writes
what the batch found with the end of its rows in one transaction. An idle loop looks (a read)
every `POLL_S`, so a check starts within a second of the push, and several processes on one
PostgreSQL database share the checks (`SKIP LOCKED`).

A process that stops cleanly gives its rows back; one that dies (kill -9) leaves leases that run
out (`TEKSERU_INTEGRITY_LEASE_S`), and the next claim, by another process or by this one after a
restart, takes them over; SQLite's one server process takes them back at once when it starts. A check
that fails is tried again after `RETRY_S`, up to `MAX_ATTEMPTS` claims; checking a visit twice is
harmless (it rewrites the same flags). A row asked for again while its check runs (a newer
generation) is kept for one more check.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from server.claiming import ClaimingLoop
from server.clock import iso_utc, utc_now
from server.integrity import checks
from server.store import integrity as store

if TYPE_CHECKING:
    from server.blobstore import BlobStore
    from server.db import Database

log = logging.getLogger("tekseru.integrity")
LEASE_S = 120.0  # a claimed batch is this process's for so long
POLL_S = 1.0  # how often an idle process looks for checks asked for elsewhere
BATCH = 16  # checks claimed at once
RETRY_S = 30.0  # a failed check waits this long before it is claimed again
MAX_ATTEMPTS = 5


class IntegrityChecks(ClaimingLoop):
    """This process's claiming loop over the waiting integrity checks."""

    name = "integrity"

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        timezone: str,
        *,
        lease_s: float = LEASE_S,
        poll_s: float = POLL_S,
        batch: int = BATCH,
    ) -> None:
        super().__init__(lease_s, poll_s, log)
        self.db, self.blobs, self.tz = db, blobs, ZoneInfo(timezone)
        self.batch = batch
        # SQLite's store has one server process: a claim left in it at start is a dead process's.
        self.alone = db.kind == "sqlite"

    async def recover(self) -> int:
        """At start, on SQLite: the checks a killed server held wait again (on PostgreSQL their leases run out)."""
        return await self.db.write(store.release_all) if self.alone else 0

    async def close(self) -> None:
        """Stop claiming; the checks held go back to waiting."""
        await self.stop()
        try:
            await self.db.write(store.release, self.worker)
        except Exception:  # the store is gone: the leases run out and another claim takes the checks
            log.exception("integrity: could not give back the checks of %s", self.worker)

    async def run_once(self) -> int:
        """Claim and run one batch of waiting checks; how many ran (the tests call it).

        Each check reads on its own; what they found is then written in one transaction with the
        end of their rows, so a batch costs the one writer two short writes, not one per visit."""
        now, until = self.lease()
        if not await self.db.read(store.has_work, now):
            return 0
        tasks = await self.db.write(store.claim, self.worker, now, until, self.batch, MAX_ATTEMPTS)
        done, unstored = [], checks.Unstored()
        for task in tasks:
            try:
                examined = await checks.examine(self.db, self.blobs, task.submission_id, self.tz, unstored)
            except Exception as exc:
                await self._failed(task, exc)
                continue
            done.append((task, examined))
            unstored.add(examined)
        try:
            await self.db.write(self._store, done)
        except Exception:  # one check's write failed: store them one by one, so the others land
            log.exception("integrity: storing a batch of checks failed; storing them one by one")
            for task, examined in done:
                try:
                    await self.db.write(self._store, [(task, examined)])
                except Exception as exc:
                    await self._failed(task, exc)
        return len(tasks)

    def _store(self, c, done: list) -> None:
        for task, examined in done:
            checks.store_examined(c, examined, self.tz, self.db.checklist_indexes)
            store.complete(c, task, self.worker)

    async def _failed(self, task: store.Task, exc: Exception) -> None:
        log.error("integrity: checking %s failed (attempt %s): %r", task.submission_id, task.attempts, exc)
        until = iso_utc(utc_now() + dt.timedelta(seconds=RETRY_S))
        await self.db.write(store.postpone, task, self.worker, until, f"{type(exc).__name__}: {exc}")

    async def drain(self) -> int:
        """Run checks until none waits; how many ran."""
        total = 0
        while n := await self.run_once():
            total += n
        return total
