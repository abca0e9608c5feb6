"""`Services`: the parts of a running server, built by the lifespan and kept in one place.

Route handlers receive the parts by Litestar dependency injection (`db: Database`,
`settings: Settings`, ...; registered in `server.app`). Guards, exception handlers and code
outside a request reach them with `services_of(app)`. Nothing else reads the app's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.datastructures import State

    from server.blobstore import BlobStore
    from server.db import Database
    from server.integrity.tasks import IntegrityChecks
    from server.scorecard_jobs import ScorecardJobs
    from server.settings import Settings
    from server.sync.prepare import PushWorkers
    from server.sync.tus import Receiving
    from server.workers import RenderWorkers

STATE_KEY = "services"


@dataclass(frozen=True, slots=True)
class Services:
    """The database, the settings, the worker pools, the tus uploads being received, the scorecard jobs,
    the blob store."""

    db: Database
    settings: Settings
    push_workers: PushWorkers | None
    render_workers: RenderWorkers
    # The uploads this process is receiving (who writes to each now, their running SHA-256):
    # they live as long as the app.
    tus_receiving: Receiving
    # The scorecard build jobs: this process's loop that claims and renders their subjects (server.scorecard_jobs).
    scorecard_jobs: ScorecardJobs
    # Where evidence bytes live: the data directory or a bucket (`server.blobstore`).
    blobs: BlobStore
    # The background integrity checks: this process's loop that claims and runs them (server.integrity.tasks).
    integrity: IntegrityChecks


def services_of(app: Litestar) -> Services:
    """The app's Services; RuntimeError before its lifespan has built them."""
    return services_in(app.state)


def services_in(state: State) -> Services:
    """The Services kept in an app's state (what a dependency provider is given); as `services_of`."""
    services = state.get(STATE_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("the app has no services yet: its lifespan has not started")
    return services
