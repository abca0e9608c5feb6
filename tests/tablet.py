"""A simulated tablet for the tests: builds revisions as the app does and pushes them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

ALMATY = dt.timezone(dt.timedelta(hours=5))

# Answers to tests/data/example.toml that pass every item.
PASSING = {
    "GREET.1": True,
    "GREET.2": 5,
    "QUEUE.1": 300,
    "INFO.1": "full",
    "PAY.1": False,
    "CLEAN.1": True,
    "PHONE.1": True,
}


class Tablet:
    """One auditor's tablet: its headers, its clock, and the revisions it makes."""

    def __init__(self, headers: dict[str, str], clock_skew: dt.timedelta = dt.timedelta(0)) -> None:
        self.headers = headers
        self.device_id = headers["Tekseru-Device-Id"]
        self.clock_skew = clock_skew
        self.counter = 0
        # A visit's start and finish are stamped once, as the app does; later
        # revisions of the same visit carry them unchanged.
        self.visit_times: dict[str, tuple[str, str]] = {}

    def now(self) -> dt.datetime:
        return dt.datetime.now(ALMATY) + self.clock_skew

    def hlc(self) -> str:
        self.counter += 1
        millis = int(self.now().timestamp() * 1000)
        return f"{millis:016d}:{self.counter % 10000:04d}:{self.device_id}"

    def revision(
        self,
        submission_id: str | None = None,
        parents: list[str] | None = None,
        answers: dict[str, Any] | None = None,
        state: str = "submitted",
        **fields: Any,
    ) -> dict:
        answers = PASSING if answers is None else answers
        submission_id = submission_id or str(uuid.uuid4())
        now = self.now()
        started_at, finished_at = self.visit_times.get(
            submission_id, ((now - dt.timedelta(minutes=30)).isoformat(), now.isoformat())
        )
        revision = {
            "rev_id": str(uuid.uuid4()),
            "submission_id": submission_id,
            "parents": parents or [],
            "hlc": self.hlc(),
            "checklist": {"id": "example", "version": 1},
            "unit_id": "U1",
            "staff_ids": ["E1"],
            "started_at": started_at,
            "finished_at": finished_at,
            "state": state,
            "answers": [{"item": item, "value": value} for item, value in answers.items()],
        }
        revision.update(fields)
        self.visit_times.setdefault(submission_id, (revision["started_at"], revision["finished_at"]))
        return revision

    def edit(
        self, base: dict, parents: list[str] | None = None, answers: dict[str, Any] | None = None, **fields: Any
    ) -> dict:
        """A new revision of `base`'s submission: the same snapshot with the given changes."""
        revision = dict(base)
        revision.update(rev_id=str(uuid.uuid4()), parents=parents or [base["rev_id"]], hlc=self.hlc())
        if answers is not None:
            revision["answers"] = [{"item": item, "value": value} for item, value in answers.items()]
        revision.update(fields)
        return revision

    def envelope(self, revisions: list[dict]) -> dict:
        return {"device_id": self.device_id, "sent_at": self.now().isoformat(), "revisions": revisions}

    def push(self, client: Any, revisions: list[dict]) -> list[dict]:
        response = client.post("/v1/sync/push", json=self.envelope(revisions), headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["receipts"]

    def pull_all(self, client: Any, cursor: str | None = None) -> tuple[list[dict], str]:
        changes: list[dict] = []
        while True:
            params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
            response = client.get("/v1/sync/pull", params=params, headers=self.headers)
            assert response.status_code == 200, response.text
            body = response.json()
            changes += body["changes"]
            cursor = body["cursor"]
            if not body["has_more"]:
                return changes, cursor
