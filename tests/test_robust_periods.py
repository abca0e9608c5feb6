"""Closing a month is safe: only an ended month of 2000..2100, and every adjustment carried once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import httpx
import pytest

from server.errors import ProblemError
from server.periods import check_closable
from tests.live import LiveServer

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5 all year
UTC = dt.UTC


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "now", "closable"),
    [
        # October ends at 2026-11-01T00:00 in Almaty, which is 2026-10-31T19:00Z.
        ("2026-10", "2026-10-31T18:59:59.999+00:00", False),
        ("2026-10", "2026-10-31T19:00:00+00:00", True),
        ("2026-10", "2026-11-01T00:00:00+05:00", True),
        ("2026-10", "2026-10-31T23:59:59+05:00", False),
        ("2026-10", "2026-10-15T12:00:00+00:00", False),  # the month we are in
        ("2026-11", "2026-10-15T12:00:00+00:00", False),  # a month to come
        ("2026-12", "2027-01-01T00:00:00+05:00", True),  # December rolls into the next year
        ("2026-12", "2026-12-31T23:59:59+05:00", False),
        ("2000-01", "2026-10-15T12:00:00+00:00", True),
        ("2099-12", "2100-01-01T00:00:00+05:00", True),
    ],
)
def test_only_a_month_that_has_ended_in_the_organisations_time_zone_can_be_closed(period, now, closable):
    if closable:
        assert check_closable(period, ALMATY, _at(now)) == period
    else:
        with pytest.raises(ProblemError) as refused:
            check_closable(period, ALMATY, _at(now))
        assert (refused.value.status, refused.value.code) == (409, "period_not_ended")


def test_the_end_of_a_month_is_the_organisations_midnight_not_utcs():
    moment = _at("2026-10-31T20:00:00+00:00")  # 1 November 01:00 in Almaty, still October in UTC
    assert check_closable("2026-10", ALMATY, moment) == "2026-10"
    with pytest.raises(ProblemError):
        check_closable("2026-10", ZoneInfo("UTC"), moment)
    # And the other way round: in New York October is not over yet.
    with pytest.raises(ProblemError):
        check_closable("2026-10", ZoneInfo("America/New_York"), moment)


@pytest.mark.parametrize("period", ["0000-01", "0001-01", "0999-12", "1999-12", "2100-01", "9999-12"])
def test_months_outside_2000_to_2100_are_refused_with_the_path(period):
    with pytest.raises(ProblemError) as refused:
        check_closable(period, ALMATY, _at("2026-10-15T12:00:00+00:00"))
    assert (refused.value.status, refused.value.code) == (400, "period_out_of_range")
    assert [e.path for e in refused.value.errors] == ["period"]


def test_the_api_refuses_months_not_ended_or_out_of_range(client, users):
    hr = users["hr"]
    today = dt.datetime.now(ALMATY)
    this_month = f"{today.year:04d}-{today.month:02d}"
    next_year = f"{today.year + 1:04d}-{today.month:02d}"
    for period in (this_month, next_year):
        response = client.post(f"/v1/periods/{period}/close", json={"force": True}, headers=hr)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "period_not_ended"
        assert response.headers["content-type"] == "application/problem+json"
    for period in ("0000-01", "0001-12", "1999-12", "2100-01", "9999-12"):
        response = client.post(f"/v1/periods/{period}/close", json={"force": True}, headers=hr)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "period_out_of_range"
        assert response.json()["errors"][0]["path"] == "period"
    # Nothing was frozen by any of them.
    for period in (this_month, "0000-01", "9999-12"):
        assert client.get(f"/v1/periods/{period}/snapshot", headers=hr).status_code == 404


def _put(url: str, headers: dict[str, str], path: str, body: dict) -> None:
    response = httpx.put(f"{url}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code in (200, 201), response.text


def _close_at_once(url: str, headers: dict[str, str], periods: list[str]) -> list[httpx.Response]:
    """POST the closes of `periods` from threads released together."""
    start = threading.Barrier(len(periods))
    answers: dict[str, httpx.Response] = {}

    def close(period: str) -> None:
        with httpx.Client(timeout=60) as http:
            start.wait()
            answers[period] = http.post(f"{url}/v1/periods/{period}/close", json={"force": True}, headers=headers)

    threads = [threading.Thread(target=close, args=(p,)) for p in periods]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [answers[p] for p in periods]


def test_an_adjustment_is_carried_by_exactly_one_snapshot_when_months_close_at_once(tmp_path):
    """Each round adds a person (a row every closed month lacks: an adjustment of each), then closes
    two or three later months at the same moment. Each adjustment must land in exactly one snapshot."""
    with LiveServer(tmp_path / "var") as server:
        url, admin = server.url, server.admin_headers()
        _put(url, admin, "/v1/units/U1", {"kind": "branch", "name": "Алматы 1", "region": "Алматы"})
        _put(url, admin, "/v1/staff/E0", {"name": "Әлия", "unit_id": "U1"})
        first = httpx.post(f"{url}/v1/periods/2024-01/close", json={"force": True}, headers=admin, timeout=30)
        assert first.status_code == 201, first.text
        months = iter(f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13))
        next(months)  # 2024-01, closed above
        closed = ["2024-01"]
        expected: Counter = Counter()
        for round_ in range(1, 8):
            _put(url, admin, f"/v1/staff/E{round_}", {"name": f"Сотрудник {round_}", "unit_id": "U1"})
            for period in closed:
                expected[(period, f"E{round_}")] += 1  # a new row in every closed month
            batch = [next(months) for _ in range(2 if round_ % 2 else 3)]
            answers = _close_at_once(url, admin, batch)
            assert [a.status_code for a in answers] == [201] * len(batch), [a.text for a in answers]
            closed += batch
        carried: Counter = Counter()
        for period in closed:
            snapshot = httpx.get(f"{url}/v1/periods/{period}/snapshot", headers=admin, timeout=30).json()
            for adjustment in snapshot["carried"]:
                carried[(adjustment["period"], adjustment["staff_id"])] += 1
        assert carried == expected
        # And nothing is left pending or listed twice.
        for period in closed:
            listed = httpx.get(f"{url}/v1/periods/{period}/adjustments", headers=admin, timeout=30).json()
            assert listed["pending"] == []
            pairs = [(c["adjustment"]["staff_id"], c["carried_by"]) for c in listed["carried"]]
            assert len(pairs) == len({staff for staff, _ in pairs})


def test_the_same_month_closed_twice_at_once_gives_one_snapshot(tmp_path):
    with LiveServer(tmp_path / "var") as server:
        url, admin = server.url, server.admin_headers()
        start = threading.Barrier(4)
        codes: list[tuple[int, str | None]] = []

        def close() -> None:
            with httpx.Client(timeout=60) as http:
                start.wait()
                response = http.post(f"{url}/v1/periods/2025-04/close", json={"force": True}, headers=admin)
                codes.append((response.status_code, response.json().get("code")))

        threads = [threading.Thread(target=close) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes, key=lambda c: c[0]) == [(201, None)] + [(409, "period_closed")] * 3
