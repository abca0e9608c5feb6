"""Building a month's scorecard drafts as a background job (the console's "build drafts").

A job renders one draft per active unit of a kind, then the network scorecard of that kind, for one
period and language, each through `server.scorecards.make_draft` (the path of POST /v1/scorecards).
Its progress is counted in the database as each draft is stored, so a reloaded page shows it.

The job runs as an asyncio task owned by the app (`ScorecardJobs`, kept in `Services`): at
shutdown the tasks are cancelled and their jobs marked `interrupted`; at start any job still
`running` (the server was killed) is marked `interrupted` too. An interrupted job is not resumed:
starting the same build again is cheap, because drafts whose data has not changed come back as
the same draft (the same bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from server.errors import ProblemError
from server.scorecards import make_draft
from server.store import scorecard_jobs as store

if TYPE_CHECKING:
    from server.db import Database
    from server.settings import Settings
    from server.workers import RenderWorkers

log = logging.getLogger("tekseru.scorecards")
KINDS = ("branch", "contact_centre", "field_technician")


class ScorecardJobs:
    """The build jobs this server process runs: one asyncio task each, cancelled at shutdown."""

    def __init__(self, db: Database, settings: Settings, render_workers: RenderWorkers) -> None:
        self.db, self.settings, self.render_workers = db, settings, render_workers
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def recover(self) -> int:
        """At start: the jobs a stopped server left `running` are `interrupted`; how many."""
        return await self.db.write(store.interrupt_running)

    async def start(self, period: str, kind: str, lang: str, actor: str) -> tuple[store.Job, bool]:
        """Start building (period, kind, lang), or find the job already running it; (job, started)."""
        job, units, started = await self.db.write(store.start, period, kind, lang, actor)
        if started:
            task = asyncio.create_task(self._run(job, units), name=f"scorecard-job-{job.job_id}")
            self._tasks[job.job_id] = task
            task.add_done_callback(lambda _: self._tasks.pop(job.job_id, None))
        return job, started

    def running(self) -> list[str]:
        """The ids of the jobs this process is running now."""
        return list(self._tasks)

    async def close(self) -> None:
        """Stop every running job (each is marked `interrupted`) and wait for them."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, job: store.Job, units: list[str]) -> None:
        subjects = [
            {"scope": "unit", "unit_id": u, "period": job.period, "lang": job.lang, "staff_id": None, "unit_kind": None}
            for u in units
        ]
        subjects.append(
            {
                "scope": "network",
                "unit_kind": job.unit_kind,
                "period": job.period,
                "lang": job.lang,
                "unit_id": None,
                "staff_id": None,
            }
        )
        try:
            for subject in subjects:
                try:
                    await make_draft(self.db, self.settings, self.render_workers, subject, job.started_by)
                except ProblemError as exc:  # the unit went away meanwhile, ...: this draft fails, the job goes on
                    await self.db.write(store.count, job.job_id, False, f"{_name(subject)}: {exc.detail}")
                except Exception as exc:  # a render that failed (a worker died, ...): likewise
                    log.exception("scorecard job %s: %s failed", job.job_id, _name(subject))
                    await self.db.write(store.count, job.job_id, False, f"{_name(subject)}: {type(exc).__name__}")
                else:
                    await self.db.write(store.count, job.job_id, True)
            await self.db.write(store.finish, job.job_id, "finished")
        except asyncio.CancelledError:
            await asyncio.shield(self.db.write(store.finish, job.job_id, "interrupted", "the server stopped"))
            raise


def _name(subject: dict) -> str:
    return subject["unit_id"] or subject["unit_kind"]
