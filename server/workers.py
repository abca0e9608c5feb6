"""Worker processes: scorecard rendering (`RenderWorkers`) and the CPU half of pushes (`PushWorkers`) run in them."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from reports.scorecard_data import ScorecardData

T = TypeVar("T")


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes that exit when the server process is gone."""
    # spawn, not fork: the server process holds database threads that a fork would copy mid-state.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start)


class WorkerPool:
    """Worker processes started at the first job that needs them; a pool whose worker died is replaced."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker process; BrokenProcessPool when a worker died (the next job gets new ones)."""
        if self._pool is None:
            self._pool = process_pool(self.workers)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): this job fails, the next starts new workers.
            self.close(wait=False)
            raise

    def running(self) -> bool:
        """Whether worker processes are started."""
        return self._pool is not None

    def close(self, wait: bool = True) -> None:
        """Stop the worker processes (at shutdown, or after one died)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None


class RenderWorkers(WorkerPool):
    """The scorecard render processes, started at the first scorecard; with 0 a thread of the server renders."""

    async def render(self, data: ScorecardData) -> bytes:
        """The scorecard's PDF, rendered off the event loop (pure: data in, bytes out)."""
        # Imported here: push workers import this module, and reportlab would slow their start.
        from reports.scorecard import render

        if self.workers <= 0:
            return await asyncio.to_thread(render, data)
        return await self.run(render, data)


def tune_gc() -> None:
    """Collect garbage for a process that makes many short-lived objects (the server, its workers).

    Decoding, merging and scoring a visit makes thousands of small containers: a larger youngest
    generation collects them in fewer passes, and what start-up loaded is left alone: about a
    tenth less CPU per visit, in the server and in a push worker (bench/README.md, history).
    """
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


def _start() -> None:
    _die_with_server()
    tune_gc()


def _die_with_server() -> None:
    """In a worker: exit as soon as the server process is gone.

    A server killed with SIGKILL cannot stop its workers; they would wait for work forever, and
    so would the resource tracker that shares their pipe. The parent's sentinel (an inherited
    pipe) reads end-of-file the moment the parent dies, whatever killed it.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="server-watch", daemon=True).start()
