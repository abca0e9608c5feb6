"""Calibration: how far auditors agree when two of them score the same event (quality leads and admins)."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from reports.calibration import AlphaOut, AuditorAgreement, GroupAgreement, PairAgreement
from reports.policy import Integrity
from server.auth import roles
from server.db import Database
from server.errors import problems
from server.periods import PERIOD_PATTERN, check_period
from server.store import calibration as store
from server.store import policies as policy_store
from server.wire import SLUG_PATTERN, Wire

# Agreement names auditors and measures them: the office that trains them reads it, nobody else.
READERS = roles("admin", "quality_lead")


class ChecklistCalibration(Wire):
    """One checklist's calibration over the period (`reports.calibration.CalibrationReport`)."""

    checklist_id: str
    groups: list[GroupAgreement]
    pairs: list[PairAgreement]
    alpha: list[AlphaOut]
    auditors: list[AuditorAgreement]


class CalibrationOut(Wire):
    period: str
    checklist_id: str | None
    min_agreement: float
    checklists: list[ChecklistCalibration]


async def min_agreement_of(db: Database) -> float:
    """The latest policy's calibration threshold (the default when no policy is published)."""
    policy = await db.read(policy_store.latest_or_none)
    return (policy.integrity if policy is not None else Integrity()).calibration_min_agreement


@get("/v1/calibration", opt=READERS, responses=problems(400, 401, 403), tags=["integrity"])
async def calibration(
    db: NamedDependency[Database],
    period: Annotated[
        str, QueryParameter(pattern=PERIOD_PATTERN, description="YYYY-MM: the month of the visits scored again")
    ],
    checklist_id: Annotated[
        str | None, QueryParameter(pattern=SLUG_PATTERN, description="one checklist; every checklist when left out")
    ] = None,
) -> CalibrationOut:
    """Per checklist with calibration groups in the period: each group's per-item agreement, Cohen's kappa
    per pair of auditors (weighted for scales), Krippendorff's alpha per level of measurement, and per
    auditor the agreement and leniency, flagged below the policy's `calibration_min_agreement`.

    A group is a submitted visit of the period with the visits that score its event again (a revision's
    `calibrates`, or an assignment's `calibration_of`). With `checklist_id`, `checklists` holds that
    checklist only (empty when it has no groups).
    """
    period = check_period(period)
    threshold = await min_agreement_of(db)
    reports = await db.read(store.calibration_reports, period, checklist_id, threshold)
    return CalibrationOut(
        period=period,
        checklist_id=checklist_id,
        min_agreement=threshold,
        checklists=[
            ChecklistCalibration(checklist_id=cl_id, groups=r.groups, pairs=r.pairs, alpha=r.alpha, auditors=r.auditors)
            for cl_id, r in sorted(reports.items())
        ],
    )


ROUTES = [calibration]
