"""Integrity per auditor: their visits' flags, how often appeals overturned them, how far they agree in calibration."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.auth import roles
from server.db import Database
from server.errors import problems
from server.integrity.flags import CODES
from server.periods import PERIOD_PATTERN
from server.store import appeals as appeals_store
from server.store import calibration as calibration_store
from server.store import integrity as store
from server.store import policies as policies_store
from server.wire import Wire

SEE = roles("admin", "quality_lead")


class Overturns(Wire):
    """Items of the auditor's visits that unit managers appealed: decided, overturned, and the share overturned."""

    items_decided: int
    items_overturned: int
    share: float | None


class AuditorIntegrity(Wire):
    auditor: str
    visits: int  # submitted visits of the period (second scorings aside)
    flagged_visits: int
    flags: dict[str, int]  # code -> visits holding it (every code, 0 included)
    appeals: Overturns
    # Share of the auditor's calibration comparisons that agree with their group; null without any.
    calibration_agreement: float | None
    below_calibration_threshold: bool


class IntegrityAuditors(Wire):
    period: str
    min_agreement: float
    items: list[AuditorIntegrity]


def auditors_of(c, period: str) -> IntegrityAuditors:
    """Every auditor with a visit, an appeal or a calibration in the period, by name."""
    counts = store.flag_counts(c, period)
    overturns = {o.auditor: o for o in appeals_store.overturn_shares(c, period)}
    agreement = calibration_store.agreement_by_auditor(c, period)
    threshold = policies_store.integrity_rules(c).calibration_min_agreement
    items = []
    for name in sorted(set(counts) | set(overturns) | set(agreement)):
        visits, flagged, codes = counts.get(name, (0, 0, {}))
        o = overturns.get(name)
        agree = agreement.get(name)
        items.append(
            AuditorIntegrity(
                auditor=name,
                visits=visits,
                flagged_visits=flagged,
                flags={code: codes.get(code, 0) for code in CODES},
                appeals=Overturns(
                    items_decided=o.items_decided if o else 0,
                    items_overturned=o.items_overturned if o else 0,
                    share=o.share if o else None,
                ),
                calibration_agreement=agree,
                below_calibration_threshold=agree is not None and agree < threshold,
            )
        )
    return IntegrityAuditors(period=period, min_agreement=threshold, items=items)


@get("/v1/integrity/auditors", opt=SEE, responses=problems(400, 401, 403), tags=["integrity"])
async def integrity_auditors(
    db: NamedDependency[Database],
    period: Annotated[str, QueryParameter(pattern=PERIOD_PATTERN, description="the month, YYYY-MM")],
) -> IntegrityAuditors:
    """Per auditor: visits, flags by code, the appeal overturn rate and the calibration agreement of a month."""
    return await db.read(auditors_of, period)


ROUTES = [integrity_auditors]
