"""Unit, staff and network figures for a period (quality leads, HR, admin; unit managers their own units)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from checklists.score import shown
from reports.aggregate import (
    NetworkFigures,
    RegionFigures,
    StandardSums,
    UnitFigures,
    UnitSums,
    network_figures,
    region_figures,
    unit_figures,
)
from server import figures_refresh
from server.auth import Principal, principal_of, roles
from server.db import Database
from server.errors import FieldError, ProblemError, problems
from server.periods import PERIOD_PATTERN, check_period, previous_period
from server.store import policies as policy_store
from server.store import scores as store
from server.store import users as users_store
from server.wire import Wire

READERS = roles("admin", "quality_lead", "hr")
# A unit manager reads the figures of their own units (on the approved basis only).
UNIT_READERS = roles("admin", "quality_lead", "hr", "unit_manager")
PeriodParam = Annotated[
    str, QueryParameter(pattern=PERIOD_PATTERN, description="YYYY-MM, in the organisation's time zone")
]
Basis = Literal["approved", "provisional"]
BasisParam = Annotated[
    Basis,
    QueryParameter(
        description="`approved` (default): only visits a reviewer approved, the figures HR pays on; "
        "`provisional`: every submitted visit not rejected, for dashboards"
    ),
]
Kind = Literal["branch", "contact_centre", "field_technician"]


class UnitScores(Wire):
    period: str
    basis: str
    items: list[UnitFigures]


class StaffScore(Wire):
    staff_id: str
    name: str
    unit_id: str
    person_score: float | None
    n: int


class StaffScores(Wire):
    period: str
    basis: str
    items: list[StaffScore]


class RegionScores(Wire):
    period: str
    basis: str
    kind: str | None
    items: list[RegionFigures]


class NetworkScores(Wire):
    period: str
    basis: str
    network: NetworkFigures


def counted_of(basis: str) -> int:
    """The store's `counted` level of a basis."""
    return store.APPROVED if basis == "approved" else store.PROVISIONAL


async def unit_figures_of(
    db: Database, period: str, basis: str, kind: str | None, unit_id: str | None, per_standard: bool = True
) -> tuple[list[UnitFigures], list[UnitSums], list[StandardSums]]:
    """The units' figures, with the month's unit and standard sums they were made of (the console's too).

    `per_standard=False` reads no standard sums and leaves each unit's `standards` empty: a page
    that shows only some units' standards reads and figures those with the same functions.
    """
    counted = counted_of(basis)
    policy = await db.read(policy_store.latest_or_none)
    units = await db.read(store.unit_infos, kind, unit_id)
    wanted = {u.unit_id for u in units}
    current = [s for s in await db.read(store.unit_sums, period, counted, unit_id) if s.unit_id in wanted]
    previous = [
        s for s in await db.read(store.unit_sums, previous_period(period), counted, unit_id) if s.unit_id in wanted
    ]
    standards = []
    if per_standard:
        standards = [
            s for s in await figures_refresh.standard_sums(db, period, counted, unit_id) if s.unit_id in wanted
        ]
    return unit_figures(units, current, previous, standards, policy), current, standards


async def managed_units(db: Database, principal: Principal, basis: str, unit_id: str | None) -> list[str] | None:
    """The units whose figures a caller may read, narrowed to `unit_id` when given; None for every unit.

    A unit manager reads their own units, on the approved basis only: the provisional figures hold
    visits nobody has reviewed yet, which the audited side does not see. Asking for them is a thing
    the role may not do (403 `approved_only`, naming `query.basis`), not a malformed request. A
    `unit_id` of another unit reads nothing, as a filter that matches nothing.
    """
    if principal.role != "unit_manager":
        return None
    if basis != "approved":
        raise ProblemError(
            403,
            "approved_only",
            "unit managers read the approved figures only",
            [FieldError(path="query.basis", message="leave it out, or ask for approved")],
        )
    units = await db.read(users_store.units_of, principal.name)
    return [u for u in units if u == unit_id] if unit_id is not None else units


@get("/v1/scores/units", opt=UNIT_READERS, responses=problems(400, 401, 403), tags=["scores"])
async def unit_scores(
    request: Request,
    db: NamedDependency[Database],
    period: PeriodParam,
    kind: FromQuery[Kind | None] = None,
    unit_id: FromQuery[str | None] = None,
    basis: BasisParam = "approved",
) -> UnitScores:
    """Per unit: mean visit score, n, change against the previous period, each standard's mean and share met.

    A unit manager gets their own units only, on the approved basis (`basis=provisional` is 403
    `approved_only`).
    """
    period = check_period(period)
    units = await managed_units(db, principal_of(request), basis, unit_id)
    if units is None:
        figures, _, _ = await unit_figures_of(db, period, basis, kind, unit_id)
    else:
        figures = []
        for unit in units:
            figures += (await unit_figures_of(db, period, basis, kind, unit))[0]
    return UnitScores(period=period, basis=basis, items=figures)


@get("/v1/scores/network", opt=READERS, responses=problems(400, 401, 403), tags=["scores"])
async def network_scores(
    db: NamedDependency[Database], period: PeriodParam, kind: FromQuery[Kind], basis: BasisParam = "approved"
) -> NetworkScores:
    """All units of one kind ranked by visit score, and the standards met least often across the network."""
    figures, current, standards = await unit_figures_of(db, check_period(period), basis, kind, None)
    return NetworkScores(period=period, basis=basis, network=network_figures(kind, figures, current, standards))


@get("/v1/scores/staff", opt=UNIT_READERS, responses=problems(400, 401, 403), tags=["scores"])
async def staff_scores(
    request: Request,
    db: NamedDependency[Database],
    period: PeriodParam,
    unit_id: FromQuery[str | None] = None,
    basis: BasisParam = "approved",
) -> StaffScores:
    """Per staff member: the mean person score and n (with unit_id: only visits in that unit).

    A unit manager gets only the visits in their own units, on the approved basis (`basis=provisional`
    is 403 `approved_only`).
    """
    period = check_period(period)
    units = await managed_units(db, principal_of(request), basis, unit_id)
    if units is None:
        scores = await db.read(store.person_scores, period, counted_of(basis), unit_id)
    else:
        scores = {}
        for unit in units:
            for staff_id, values in (await db.read(store.person_scores, period, counted_of(basis), unit)).items():
                scores.setdefault(staff_id, []).extend(values)
    infos = {s.staff_id: s for s in await db.read(store.staff_infos)}
    items = [
        StaffScore(
            staff_id=staff_id,
            name=infos[staff_id].name if staff_id in infos else staff_id,
            unit_id=infos[staff_id].unit_id if staff_id in infos else "",
            person_score=shown(sum(values) / len(values)),
            n=len(values),
        )
        for staff_id, values in sorted(scores.items())
    ]
    return StaffScores(period=period, basis=basis, items=items)


async def region_scores_of(db: Database, period: str, basis: str, kind: str | None) -> list[RegionFigures]:
    """Each region's figures of the period (the console's network page shows the same)."""
    counted = counted_of(basis)
    policy = await db.read(policy_store.latest_or_none)
    units = await db.read(store.unit_infos, kind)
    current = await db.read(store.unit_sums, period, counted)
    previous = await db.read(store.unit_sums, previous_period(period), counted)
    return region_figures(units, current, previous, policy)


@get("/v1/scores/regions", opt=READERS, responses=problems(400, 401, 403), tags=["scores"])
async def region_scores(
    db: NamedDependency[Database],
    period: PeriodParam,
    kind: FromQuery[Kind | None] = None,
    basis: BasisParam = "approved",
) -> RegionScores:
    """Per region (of one unit kind, or of all): units, visits `n`, mean visit score, change, mark.

    The mean is pooled over the region's visits (sum of visit scores / number of visits), as the
    network figure of `/v1/scores/network` is, not a mean of unit means; `change` is against the
    previous period on the same basis; `mark` is the latest policy's zone of the mean. Regions are
    those of the units (a region whose units had no visits has `n` 0 and `visit_score` null),
    ordered by name. The same visits as `/v1/scores/units`: a region's `n` is the sum of its
    units' `n` there.
    """
    items = await region_scores_of(db, check_period(period), basis, kind)
    return RegionScores(period=period, basis=basis, kind=kind, items=items)


ROUTES = [unit_scores, network_scores, staff_scores, region_scores]
