"""Building a month's scorecard drafts as a background job (the console's "build drafts").

A job renders one draft per active unit of a kind, then the network scorecard of that kind, for one
period and language, each through `server.scorecards.make_draft` (the path of POST /v1/scorecards).
Starting a job writes it and its subjects (`scorecard_job_units`); its progress is counted in the
database as each subject ends, so a reloaded page shows it, whichever process serves the page.

Work is claimed, never assigned. Every server process runs one claiming loop (`ScorecardJobs`,
kept in `Services`, opened and closed by the app's lifespan) that takes the next waiting subject of
any running job, oldest job first, under a lease (`LEASE_S`, renewed while it renders), renders
it, and ends it done or failed; the transaction that ends a job's last subject finishes the job.
A process wakes its loop at once when it starts a job and polls (a read) every `POLL_S` for jobs
started elsewhere. Several processes on one PostgreSQL database thus share a job's subjects.

A process that stops cleanly gives its subject back (waiting again); one that dies leaves a lease
that runs out, and another process takes the subject over. A subject whose claimers all died
(`MAX_ATTEMPTS` times) is failed rather than claimed forever. Rendering a subject twice (a process
was only slow, not dead) is harmless: the same data gives the same bytes, so the same draft, and
only the holder of the subject's lease counts it. A lease's end is written by the claimer's clock
and read against the others': the hosts' clocks must agree to well within `LEASE_S` (NTP does).

`interrupted` means that no process will ever finish the job:
- On PostgreSQL, a running job is interrupted only when no subject of it is left to claim (a job
  left running before its subjects were recorded). A job whose processes all stopped stays
  `running`, its subjects waiting, and the next process to start goes on with it.
- On SQLite the store has one server process, which keeps the behaviour from before: at shutdown
  the jobs it was running are `interrupted`, and at start any job still `running` (the server
  was killed) is too. An interrupted job is not resumed: starting the same build again is cheap,
  because drafts whose data has not changed come back as the same draft.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from server.claiming import ClaimingLoop
from server.errors import ProblemError
from server.scorecards import make_draft
from server.store import scorecard_jobs as store

if TYPE_CHECKING:
    from server.db import Database
    from server.settings import Settings
    from server.workers import RenderWorkers

log = logging.getLogger("tekseru.scorecards")
KINDS = ("branch", "contact_centre", "field_technician")
LEASE_S = 60.0  # a claimed subject is this process's for so long, renewed every third of it while it renders
POLL_S = 1.0  # how often an idle process looks for subjects of jobs started elsewhere
MAX_ATTEMPTS = 3  # claims of one subject whose claimer died, before it is failed


class ScorecardJobs(ClaimingLoop):
    """This process's claiming loop over the subjects of every running build job."""

    name = "scorecard-jobs"

    def __init__(
        self,
        db: Database,
        settings: Settings,
        render_workers: RenderWorkers,
        *,
        lease_s: float = LEASE_S,
        poll_s: float = POLL_S,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        super().__init__(lease_s, poll_s, log)
        self.db, self.settings, self.render_workers = db, settings, render_workers
        self.max_attempts = max_attempts
        # SQLite's store has one server process: no other can go on with a job this one leaves.
        self.alone = db.kind == "sqlite"

    async def recover(self) -> int:
        """At start: the jobs no process can finish are `interrupted` (see the module); how many."""
        if self.alone:
            return await self.db.write(store.interrupt_running)
        return await self.db.write(store.interrupt_stranded)

    async def start(self, period: str, kind: str, lang: str, actor: str) -> tuple[store.Job, bool]:
        """Start building (period, kind, lang), or find the job already running it; (job, started)."""
        job, _, started = await self.db.write(store.start, period, kind, lang, actor)
        if started:
            self.wake()
        return job, started

    async def close(self) -> None:
        """Stop claiming; the subject being rendered goes back to waiting (SQLite: its jobs are `interrupted`)."""
        await self.stop()
        try:
            await self.db.write(store.release, self.worker)
            if self.alone:
                await self.db.write(store.interrupt_running, "the server stopped")
        except Exception:  # the store is gone: on PostgreSQL the lease runs out and another process goes on
            log.exception("scorecard jobs: could not give back the subjects of %s", self.worker)

    async def run_once(self) -> int:
        """Claim the next waiting subject and render it; 1, or 0 when none waited."""
        claim = await self._next_claim()
        if claim is None:
            return 0
        await self._render(claim)
        return 1

    async def _next_claim(self) -> store.Claim | None:
        now, _ = self.lease()
        if not await self.db.read(store.has_work, now):  # a read: an idle poll takes no write lock
            return None
        now, until = self.lease()
        return await self.db.write(store.claim, self.worker, now, until, self.max_attempts)

    async def _render(self, claim: store.Claim) -> None:
        """Render the claimed subject (its lease renewed meanwhile) and end it, done or failed."""
        name = claim.unit_id or claim.unit_kind
        subject = {
            "scope": "unit" if claim.unit_id else "network",
            "unit_id": claim.unit_id,
            "unit_kind": None if claim.unit_id else claim.unit_kind,
            "staff_id": None,
            "period": claim.period,
            "lang": claim.lang,
        }
        ok, error = True, None
        renewing = asyncio.create_task(self._renew(claim))
        try:
            await make_draft(self.db, self.settings, self.render_workers, subject, claim.started_by)
        except ProblemError as exc:  # the unit went away meanwhile, ...: this draft fails, the job goes on
            ok, error = False, f"{name}: {exc.detail}"
        except Exception as exc:  # a render that failed (a worker died, ...): likewise
            log.exception("scorecard job %s: %s failed", claim.job_id, name)
            ok, error = False, f"{name}: {type(exc).__name__}"
        finally:
            renewing.cancel()
        await self.db.write(store.complete, claim.job_id, claim.position, self.worker, ok, error)

    async def _renew(self, claim: store.Claim) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                _, until = self.lease()
                if not await self.db.write(store.renew, claim.job_id, claim.position, self.worker, until):
                    log.warning("scorecard job %s: subject %s was taken over", claim.job_id, claim.position)
                    return
            except Exception:
                log.exception("scorecard job %s: renewing the lease failed", claim.job_id)
