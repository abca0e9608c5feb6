"""Fuzzing from the OpenAPI document: every operation, as every role, in every Schemathesis phase.

A real `tekseru serve --demo` (units, staff, visits, a closed month, published scorecards) on a
free port; the `schemathesis run` command against its own `/schema/openapi.json`, once per role,
with the phases examples, coverage, fuzzing and stateful and every check (server errors, status
codes, content types, response headers and bodies against the document, acceptance of valid and
rejection of invalid data, auth). What each operation may answer to valid data is in
`schemathesis.toml`, each exception with its reason.

Schemathesis does not generate the values an attacker or an unlucky tablet sends (years 1, 999
and 9999 with `-12:00`, ids with a trailing newline, `²`, `٣`, NFD names, U+202E, formulas):
`test_hostile_examples_answer_within_the_contract` sends them, as explicit cases, to every
operation as every role, through the same response checks.

`TEKSERU_FUZZ_EXAMPLES` sets the cases per operation and phase (a few here; `make fuzz` runs
many), `TEKSERU_FUZZ_SEED` the seed. This module is also the command's hooks module
(`hooks` in `schemathesis.toml`): it teaches Schemathesis tus's chunk media type, and lets
generated cases past rules a schema cannot state (a push repeats its device header, an upload
announces a well-formed hash, upload ids and blob hashes name ones that exist) so that they reach
the code behind them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
import uuid
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis

from tests.conftest import open_store
from tests.live import LiveServer

ROOT = Path(__file__).parent.parent
EXAMPLES = int(os.environ.get("TEKSERU_FUZZ_EXAMPLES", "15"))
SEED = int(os.environ.get("TEKSERU_FUZZ_SEED", "20261126"))
PHASES = "examples,coverage,fuzzing,stateful"
# The admin runs last: it may revoke the other users' tokens. It fuzzes with the server's local
# admin credential, which no list shows, so it cannot revoke its own.
ROLES = ("quality_lead", "hr", "auditor", "unit_manager", "admin")
DEMO_USER = {
    "quality_lead": "qlead.saule",
    "hr": "hr.dana",
    "auditor": "auditor.aigerim",
    "unit_manager": "manager.aliya",
}
DEVICE_ID = str(uuid.UUID(int=SEED, version=4))
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# A tus chunk (PATCH /v1/uploads/{id}) is raw bytes under tus's own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@schemathesis.hook("map_body")
def push_from_this_device(context, body):
    """A push names the device that sends it: a well-formed `device_id` becomes the header's.

    The schema cannot say that the body must repeat a header (400 `device_mismatch`); without
    this almost every generated push would stop at that check, before its revisions are read.
    """
    operation = context.operation
    if operation is None or operation.path != "/v1/sync/push" or not isinstance(body, dict):
        return body
    device = os.environ.get("TEKSERU_FUZZ_DEVICE_ID")
    if device and isinstance(body.get("device_id"), str) and UUID.fullmatch(body["device_id"]):
        return {**body, "device_id": device}
    return body


@schemathesis.hook("map_headers")
def upload_of_an_allowed_file(context, headers):
    """A new upload announces a SHA-256 and an allowed content type, as base64 pairs.

    Any string fits the header's schema, but only `sha256 <b64>,content_type <b64>` opens an upload
    (400 otherwise); a well-formed one lets the cases (and the stateful links) go on to HEAD and PATCH.
    """
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) != ("POST", "/v1/uploads"):
        return headers
    if not headers or not isinstance(headers.get("Upload-Metadata"), str):
        return headers
    digest = hashlib.sha256(headers["Upload-Metadata"].encode("utf-8", "surrogatepass")).hexdigest()
    pairs = {"sha256": digest, "content_type": "image/jpeg"}
    metadata = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())
    return {**headers, "Upload-Metadata": metadata}


@schemathesis.hook("map_path_parameters")
def an_upload_that_exists(context, path_parameters):
    """Half the cases for an upload's HEAD and PATCH name a real, new upload of 64 bytes.

    Upload ids are random server-made tokens that no generator can guess, and tus answers their
    `Location` in a header; without this every HEAD and PATCH would stop at 404.
    """
    operation = context.operation
    uploader = os.environ.get("TEKSERU_FUZZ_UPLOADER")
    if not uploader or operation is None or operation.path != "/v1/uploads/{upload_id}":
        return path_parameters
    if not path_parameters:
        return path_parameters
    digest = hashlib.sha256(str(path_parameters.get("upload_id")).encode("utf-8", "surrogatepass")).hexdigest()
    if int(digest[0], 16) % 2:
        return path_parameters
    url, headers = json.loads(uploader)
    metadata = (
        f"sha256 {base64.b64encode(digest.encode()).decode()},content_type {base64.b64encode(b'audio/amr').decode()}"
    )
    made = httpx.post(
        f"{url}/v1/uploads",
        headers=headers | {"Tus-Resumable": "1.0.0", "Upload-Length": "64", "Upload-Metadata": metadata},
    )
    if made.status_code != 201:
        return path_parameters
    return {**path_parameters, "upload_id": made.headers["Location"].rpartition("/")[2]}


@schemathesis.hook("filter_failure")
def chunk_bytes_are_never_invalid(context, failure, case, response):
    """A tus chunk is raw bytes: whatever body a case holds reaches the server as bytes, a valid chunk.

    Schemathesis already lets any body pass for `application/octet-stream` (it becomes valid once
    serialized) but not for tus's own `application/offset+octet-stream`; this drops that one
    finding, and only when the body was the case's sole invalid part.
    """
    if getattr(failure, "code", None) != "ST201" or case.operation.path != "/v1/uploads/{upload_id}":
        return True
    components = case.meta.components if case.meta is not None else {}
    return {where.value for where, info in components.items() if info.mode.is_negative} != {"body"}


@schemathesis.hook("map_path_parameters")
def a_blob_that_exists(context, path_parameters):
    """Half the cases for `GET /v1/blobs/{sha256}` name the evidence photo the test stored."""
    operation = context.operation
    blob = os.environ.get("TEKSERU_FUZZ_BLOB")
    if not blob or operation is None or operation.path != "/v1/blobs/{sha256}" or not path_parameters:
        return path_parameters
    if int(hashlib.sha256(str(path_parameters.get("sha256")).encode("utf-8", "surrogatepass")).hexdigest()[0], 16) % 2:
        return path_parameters
    return {**path_parameters, "sha256": blob}


def _store_evidence(server: LiveServer) -> str:
    """Upload a photo over tus and attach it to one of the auditor's visits; its SHA-256."""
    headers = _headers(server, "auditor")
    photo = b"\xff\xd8\xff\xe0 a photo of the queue display \xff\xd9"
    sha256 = hashlib.sha256(photo).hexdigest()
    metadata = (
        f"sha256 {base64.b64encode(sha256.encode()).decode()},content_type {base64.b64encode(b'image/jpeg').decode()}"
    )
    tus = headers | {"Tus-Resumable": "1.0.0"}
    with httpx.Client(base_url=server.url, timeout=30) as api:
        made = api.post("/v1/uploads", headers=tus | {"Upload-Length": str(len(photo)), "Upload-Metadata": metadata})
        chunk = tus | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        assert api.patch(made.headers["Location"], content=photo, headers=chunk).status_code == 204
        visit = api.get("/v1/submissions", params={"status": "all"}, headers=headers).json()["items"][0]
        doc = api.get(f"/v1/submissions/{visit['submission_id']}", headers=headers).json()
        last = api.get(f"/v1/submissions/{visit['submission_id']}/revisions", headers=headers).json()["items"][-1]
        revision = last["content"] | {"rev_id": str(uuid.uuid4()), "parents": doc["heads"]}
        revision["answers"] = [revision["answers"][0] | {"evidence": [sha256]}, *revision["answers"][1:]]
        envelope = {"device_id": DEVICE_ID, "sent_at": dt.datetime.now(dt.UTC).isoformat(), "revisions": [revision]}
        (receipt,) = api.post("/v1/sync/push", json=envelope, headers=headers).json()["receipts"]
        assert receipt["status"] == "applied", receipt
    return sha256


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("fuzz") / "var", "--demo") as server:
        server.blob = _store_evidence(server)
        yield server
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, f"the server logged an unhandled error:\n{log[-8000:]}"


def _headers(server: LiveServer, role: str) -> dict[str, str]:
    if role == "admin":
        return server.admin_headers()
    tokens = (server.data_dir / "demo-tokens.txt").read_text(encoding="utf-8").splitlines()
    token = next(line.split()[2] for line in tokens if line.split()[:1] == [DEMO_USER[role]])
    headers = {"Authorization": f"Bearer {token}"}
    if role == "auditor":
        headers["Tekseru-Device-Id"] = DEVICE_ID
    return headers


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_within_its_contract(live, role, tmp_path):
    report = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "run",
        f"{live.url}/schema/openapi.json",
        f"--phases={PHASES}",
        "--checks=all",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        "--workers=1",
        "--report=json",
        f"--report-json-path={report}",
    ]
    headers = _headers(live, role)
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    uploader = {"TEKSERU_FUZZ_UPLOADER": json.dumps([live.url, headers])} if role == "auditor" else {}
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ
        | {"NO_COLOR": "1", "TEKSERU_FUZZ_DEVICE_ID": DEVICE_ID, "TEKSERU_FUZZ_BLOB": live.blob}
        | uploader,
    )
    (tmp_path / "schemathesis.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    summary = json.loads(report.read_text()) if report.exists() else {}
    cases = summary.get("test_cases", {})
    print(
        f"\nfuzz {role}: {summary.get('operations', {}).get('tested')} operations, "
        f"{cases.get('generated')} cases, {cases.get('unique_failures')} unique failures, "
        f"{sum(e['count'] for e in summary.get('errors', []))} errors, "
        f"{time.monotonic() - started:.0f} s, seed {SEED} ({tmp_path / 'schemathesis.txt'})"
    )
    assert done.returncode == 0, done.stdout[-30000:] + done.stderr[-5000:]


def test_what_the_fuzzer_found(client, admin, default_policy, settings):
    """Each request once answered 500 or broke the document; the fuzz finds them again if they return."""
    client.put("/v1/units/U1", json={"kind": "branch", "name": "ПСС", "region": "Алматы"}, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    # Names with control characters are refused now; ones stored before that rule stay in the data.
    assert client.put("/v1/staff/E2", json={"name": "Нұрланова\x1b", "unit_id": "U1"}, headers=admin).status_code == 400
    with open_store(settings) as db:
        db.execute("UPDATE units SET name = ? WHERE unit_id = 'U1'", ("ПСС\x07",))
        db.execute("UPDATE staff SET name = ? WHERE staff_id = 'E1'", ("Нұрланова\x1b Әлия",))
    # A scorecard's trend reaches back before year 0.
    card = client.post("/v1/scorecards", json={"scope": "unit", "unit_id": "U1", "period": "0000-01"}, headers=admin)
    assert card.status_code == 201, card.text
    # A version past SQLite's integers.
    assert client.get("/v1/policies/default/versions/72708014118942186615603200", headers=admin).status_code == 400
    assert client.get("/v1/checklists/branch/versions/0", headers=admin).status_code == 400
    # A name with a control character in a workbook.
    sheet = client.get("/v1/motivation", params={"period": "2026-10", "format": "xlsx"}, headers=admin)
    assert sheet.status_code == 200 and sheet.content.startswith(b"PK")
    # An integral answer matched both `integer` and `number` of a `oneOf`.
    document = client.get("/schema/openapi.json").json()
    value = document["components"]["schemas"]["AnswerOut"]["properties"]["value"]["oneOf"]
    assert {"type": "integer"} not in value and {"type": "number"} in value
    # A file's Last-Modified is an HTTP date, and a blob comes with the type it was uploaded with.
    blob = document["paths"]["/v1/blobs/{sha256}"]["get"]["responses"]["200"]
    assert "format" not in blob["headers"]["last-modified"]["schema"] and "image/jpeg" in blob["content"]


# -- Hostile examples: the values Schemathesis does not generate, through the same checks --
#
# Schemathesis draws from the schema's types; it does not think of a year 1 time with `-12:00`, an
# id with a trailing newline (Python's `$` matches before it), `²` or `٣` (digits to `str.isdigit`,
# not to a parser), a name in NFD, U+202E or a formula. Injecting them as schema examples would
# make its "valid data is accepted" check fail on every value the contract refuses, so they are
# sent as explicit cases (`operation.Case`) to every operation of the document, as every role, and
# each answer goes through Schemathesis's own response checks: no 5xx, a documented status, content
# type, headers and body; and every 4xx is problem+json with a `code`.

HOSTILE_TIMES = (
    "0001-01-01T00:00:00-12:00",
    "0999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00",  # .NET's DateTime.MinValue, without an offset
    "9999-12-31T23:59:59.9999999+14:00",
)
HOSTILE_TEXT = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "²",
    "٣",
    unicodedata.normalize("NFD", "Йосиф Ёлкин Zoë"),
    "\u202eКассир",
    "Кассир\n",
)
HOSTILE_INTEGERS = ("1e3", "10.0", "²", "٣", "1\n", "-1", "0", "99999999999999999999999")
HOSTILE_PERIODS = ("0001-01", "0999-12", "9999-12", "2026-10\n", "٢٠٢٦-١٠", "2026-1²", "2026-13")
HOSTILE_CURSORS = ("1²", "12\n", "٣", "2026-12-01T00:00:00.000Z|x\n", "9999-12-31T23:59:59.999Z|")
# Header values are Latin-1 on the wire: only the ASCII ones can be sent.
HOSTILE_HEADER_INTEGERS = ("1e3", "10.0", "-1", "99999999999999999999999")
PROBLEM_JSON = "application/problem+json"


def _hostile_checks() -> list:
    """Schemathesis's checks of an answer: no server error; status, content type, headers and body as documented."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]


class HostileWorld:
    """Real ids of the demo (so that `id + "\\n"` names something that exists), a revision to vary, and users.

    Each role is a user of its own, made here: the schemathesis run as the admin may have revoked the
    demo users' tokens and devices by the time these cases run.
    """

    def __init__(self, server: LiveServer) -> None:
        admin = server.admin_headers()
        self.device_id = str(uuid.uuid4())
        self.headers = {"admin": admin}
        with httpx.Client(base_url=server.url, timeout=30) as api:
            for role in ROLES[:-1]:
                user = {"name": f"fuzz.hostile.{role}", "role": role}
                if role == "unit_manager":  # the demo's branch: its visits and appeals are real objects to read
                    user["units"] = ["ALM-014"]
                made = api.post("/v1/users", json=user, headers=admin)
                assert made.status_code == 201, made.text
                self.headers[role] = {"Authorization": f"Bearer {made.json()['token']}"}
            self.headers["auditor"]["Tekseru-Device-Id"] = self.device_id
            assignment = api.get("/v1/assignments", params={"limit": 1}, headers=admin).json()["items"][0]
            card = api.get("/v1/scorecards", params={"limit": 1}, headers=admin).json()["items"][0]
            visit = api.get("/v1/submissions", params={"status": "all", "limit": 1}, headers=admin).json()["items"][0]
            doc = api.get(f"/v1/submissions/{visit['submission_id']}", headers=admin).json()
            last = api.get(f"/v1/submissions/{visit['submission_id']}/revisions", headers=admin).json()["items"][-1]
            metadata = (
                f"sha256 {base64.b64encode(('0' * 64).encode()).decode()},"
                f"content_type {base64.b64encode(b'image/jpeg').decode()}"
            )
            tus = {"Tus-Resumable": "1.0.0", "Upload-Length": "64", "Upload-Metadata": metadata}
            upload = api.post("/v1/uploads", headers=self.headers["auditor"] | tus)
            assert upload.status_code == 201, upload.text
        self.submission_id = visit["submission_id"]
        self.heads = doc["heads"]
        self.content = last["content"]
        self.unit_id = self.content["unit_id"]
        self.staff_id = (self.content.get("staff_ids") or ["E1001"])[0]
        self.checklist = self.content["checklist"]
        self.period = card["period"]  # the demo's closed month: its scorecards are published
        # Parameters by name: real values, harmless to name (an auditor no test uses, a device no
        # test holds), so that a hostile value of another parameter reaches the code behind it.
        self.valid = (
            {
                "unit_id": self.unit_id,
                "staff_id": self.staff_id,
                "assignment_id": assignment["assignment_id"],
                "checklist_id": self.checklist["id"],
                "policy_id": "default",
                "version": 1,
                "submission_id": self.submission_id,
                "rev_id": self.heads[0],
                "scorecard_id": card["id"],
                "sha256": server.blob,
                "upload_id": upload.headers["Location"].rpartition("/")[2],
                "name": "auditor.daulet",
                "auditor": "auditor.daulet",
                "region": "Алматы",
                "prefix": "tks_0000",
                "device_id": str(uuid.uuid4()),
                "entity": "units",
                "period": self.period,
                "kind": "branch",
            }
            | tus
            | {"Upload-Offset": "0"}
        )

    def revision(self, **changes: object) -> dict:
        """A new visit like the demo's, from the fuzz device, with `changes`."""
        millis = int(time.time() * 1000)
        revision = self.content | {
            "rev_id": str(uuid.uuid4()),
            "submission_id": str(uuid.uuid4()),
            "parents": [],
            "hlc": f"{millis:016d}:0000:{self.device_id}",
            "state": "submitted",
        }
        return revision | changes

    def push(self, *revisions: dict, **changes: object) -> dict:
        envelope = {"device_id": self.device_id, "sent_at": dt.datetime.now(dt.UTC).isoformat(), "revisions": revisions}
        return envelope | changes

    def revision_variants(self, **base: object) -> list[tuple[str, dict]]:
        """A revision with one hostile value at a time: times, every id kind with a newline, odd digits."""
        first = self.content["answers"][0]
        variants = [(f"started_at={t!r}", {"started_at": t}) for t in HOSTILE_TIMES]
        variants += [(f"finished_at={t!r}", {"finished_at": t}) for t in HOSTILE_TIMES]
        variants += [
            ("rev_id+\\n", {"rev_id": f"{uuid.uuid4()}\n"}),
            ("submission_id+\\n", {"submission_id": f"{uuid.uuid4()}\n"}),
            ("parents[0]+\\n", {"parents": [f"{self.heads[0]}\n"]}),
            ("parents=[self]", {"rev_id": (own := str(uuid.uuid4())), "parents": [own]}),
            ("unit_id+\\n", {"unit_id": f"{self.unit_id}\n"}),
            ("staff_ids[0]+\\n", {"staff_ids": [f"{self.staff_id}\n"]}),
            ("checklist.id+\\n", {"checklist": self.checklist | {"id": f"{self.checklist['id']}\n"}}),
            ("checklist.version=²", {"checklist": self.checklist | {"version": "²"}}),
            ("hlc+\\n", {"hlc": f"{int(time.time() * 1000):016d}:0000:{self.device_id}\n"}),
            ("hlc of another device", {"hlc": f"{int(time.time() * 1000):016d}:0000:{uuid.uuid4()}"}),
            ("answers[0].item+\\n", {"answers": [first | {"item": f"{first['item']}\n"}]}),
        ]
        variants += [(f"unit_id={t!r}", {"unit_id": t}) for t in HOSTILE_TEXT]
        variants += [(f"answers[0].value={t!r}", {"answers": [first | {"value": t}]}) for t in HOSTILE_TEXT]
        return [(label, self.revision(**(base | change))) for label, change in variants]

    def bodies(self, method: str, path: str) -> list[tuple[str, object, str]]:
        """(label, body, media type) of one operation: hostile bodies, and a `valid` one for hostile parameters."""
        csv_type, json_type = "text/csv", "application/json"
        operation = (method, path)
        if operation == ("POST", "/v1/sync/push"):
            good = self.revision()
            cases = [("valid", self.push(self.revision()), json_type)]
            cases += [(label, self.push(revision), json_type) for label, revision in self.revision_variants()]
            cases += [(f"sent_at={t!r}", self.push(self.revision(), sent_at=t), json_type) for t in HOSTILE_TIMES]
            cases.append(("device_id+\\n", self.push(self.revision(), device_id=f"{self.device_id}\n"), json_type))
            cases.append(
                ("a good and a year-1 revision", self.push(good, self.revision(started_at=HOSTILE_TIMES[0])), json_type)
            )
            return cases
        if operation == ("POST", "/v1/submissions/{submission_id}/revisions"):
            base = {"submission_id": self.submission_id, "parents": self.heads}
            return [("valid", self.revision(**base), json_type)] + [
                (label, revision, json_type) for label, revision in self.revision_variants(**base)
            ]
        if operation == ("PUT", "/v1/units/{unit_id}"):
            unit = {"kind": "branch", "name": "ПСС Алматы", "region": "Алматы"}
            return [("valid", unit, json_type)] + [
                (f"{field}={t!r}", unit | {field: t}, json_type) for field in ("name", "region") for t in HOSTILE_TEXT
            ]
        if operation == ("PUT", "/v1/staff/{staff_id}"):
            person = {"name": "Нұрланова Әлия", "unit_id": self.unit_id, "position": "консультант"}
            cases = [
                ("valid", person, json_type),
                ("unit_id+\\n", person | {"unit_id": f"{self.unit_id}\n"}, json_type),
            ]
            return cases + [
                (f"{field}={t!r}", person | {field: t}, json_type)
                for field in ("name", "position")
                for t in HOSTILE_TEXT
            ]
        if operation == ("PUT", "/v1/assignments/{assignment_id}"):
            assignment = {
                "auditor": "auditor.daulet",
                "unit_id": self.unit_id,
                "checklist_id": self.checklist["id"],
                "due_from": "2026-12-01",
                "due_to": "2026-12-31",
            }
            changes = [
                ("auditor+\\n", {"auditor": "auditor.daulet\n"}),
                ("unit_id+\\n", {"unit_id": f"{self.unit_id}\n"}),
                ("checklist_id+\\n", {"checklist_id": f"{self.checklist['id']}\n"}),
                ("due_from=0001-01-01", {"due_from": "0001-01-01"}),
                ("due_from=0999-12-31", {"due_from": "0999-12-31"}),
                ("due_to=9999-12-31", {"due_to": "9999-12-31"}),
                ("due_from=٢٠٢٦-١٢-٠١", {"due_from": "٢٠٢٦-١٢-٠١"}),
            ]
            return [("valid", assignment, json_type)] + [(label, assignment | c, json_type) for label, c in changes]
        if operation == ("POST", "/v1/users"):
            names = ["fuzz.hostile\n", *HOSTILE_TEXT]
            return [(f"name={n!r}", {"name": n, "role": "auditor"}, json_type) for n in names]
        if operation == ("POST", "/v1/scorecards"):
            card = {"scope": "unit", "unit_id": self.unit_id, "period": self.period, "lang": "ru"}
            cases = [(f"period={p!r}", card | {"period": p}, json_type) for p in HOSTILE_PERIODS]
            cases.append(("unit_id+\\n", card | {"unit_id": f"{self.unit_id}\n"}, json_type))
            person = {"scope": "staff", "staff_id": f"{self.staff_id}\n", "period": self.period, "lang": "ru"}
            return [*cases, ("staff_id+\\n", person, json_type)]
        if operation == ("POST", "/v1/submissions/{submission_id}/review"):
            review = {"decision": "reject", "heads": [f"{self.heads[0]}\n"]}
            return [("heads[0]+\\n", review, json_type)] + [
                (f"comment={t!r}", review | {"comment": t}, json_type) for t in HOSTILE_TEXT
            ]
        if operation == ("POST", "/v1/submissions/review"):
            decision = {"submission_id": f"{self.submission_id}\n", "decision": "reject", "heads": self.heads}
            return [("decisions[0].submission_id+\\n", {"decisions": [decision]}, json_type)]
        if operation == ("POST", "/v1/periods/{period}/close"):
            return [("no body", None, json_type)]
        if operation == ("PATCH", "/v1/uploads/{upload_id}"):
            return [("valid", b"\xff\xd8 sixteen bytes", "application/offset+octet-stream")]
        if operation == ("POST", "/v1/blobs/missing"):
            return [
                ("sha256[0]+\\n", {"sha256": [f"{self.valid['sha256']}\n"]}, json_type),
                ("sha256[0]=٣×64", {"sha256": ["٣" * 64]}, json_type),
            ]
        if operation == ("POST", "/v1/admin/import/{entity}"):
            header = "unit_id,kind,name,region\r\n"
            rows = [
                f'FUZZ-{i},branch,"{t.replace(chr(34), chr(34) * 2)}",Алматы\r\n' for i, t in enumerate(HOSTILE_TEXT)
            ]
            cases = [
                (f"units: name={t!r}", (header + row).encode(), csv_type)
                for t, row in zip(HOSTILE_TEXT, rows, strict=True)
            ]
            return [("units: all hostile names", (header + "".join(rows)).encode(), csv_type), *cases]
        return []


def _hostile_values(name: str, schema: dict, valid: object) -> tuple[object, ...]:
    """The hostile values of one path, query or header parameter, by what it holds."""
    kinds = json.dumps(
        [schema.get("type")] + [s.get("type") for s in schema.get("oneOf", []) + schema.get("anyOf", [])]
    )
    if name == "period":
        return HOSTILE_PERIODS
    if name == "cursor":
        return HOSTILE_CURSORS
    if name.startswith(("Upload-", "Tus-")):
        return HOSTILE_HEADER_INTEGERS if name in ("Upload-Length", "Upload-Offset") else ()
    if "integer" in kinds:
        return HOSTILE_INTEGERS
    return ((f"{valid}\n",) if valid is not None else ()) + HOSTILE_TEXT


def _hostile_cases(world: HostileWorld, operation) -> list[tuple[str, dict]]:
    """Every explicit case of one operation: each parameter hostile in turn, then each hostile body."""
    parameters = [
        (p.location.value, p.name, p.definition.get("schema", {}), p.is_required)
        for p in operation.iter_parameters()
        # The role's own credentials; a header cannot carry a newline: the push body's device_id is varied.
        if p.name not in ("Authorization", "Tekseru-Device-Id")
    ]
    base: dict[str, dict] = {"path": {}, "query": {}, "header": {}}
    for where, name, _, required in parameters:
        if where in base and (required or where == "path"):
            base[where][name] = world.valid.get(name, "x")
    bodies = world.bodies(operation.method.upper(), operation.path)
    valid_body = next(((body, media) for label, body, media in bodies if label in ("valid", "no body")), None)
    if valid_body is None and bodies:
        valid_body = bodies[0][1:]
    cases = []
    for where, name, schema, _ in parameters:
        if where not in base:
            continue
        for value in _hostile_values(name, schema, world.valid.get(name)):
            parts = {k: dict(v) for k, v in base.items()}
            parts[where][name] = value
            cases.append((f"{where}.{name}={value!r}", parts | {"body": valid_body}))
    for label, body, media in bodies:
        if label != "valid":
            cases.append((f"body {label}", base | {"body": (body, media)}))
    return cases


def _finding(exc: BaseException) -> str:
    """What a failed case broke: each failed check, by name and title."""
    found = getattr(exc, "exceptions", None) or [exc]
    lines = [f"{type(e).__name__}: {getattr(e, 'title', None) or str(e)[:300]}" for e in found]
    return "; ".join(lines)


@pytest.fixture(scope="module")
def hostile_world(live):
    return HostileWorld(live)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_hostile_examples_answer_within_the_contract(live, hostile_world, role):
    """Years 1/999/9999 with -12:00, ids ending in a newline, `²`, `٣`, NFD, U+202E, formulas: no 5xx, as documented."""
    schema = schemathesis.openapi.from_url(f"{live.url}/schema/openapi.json")
    checks = _hostile_checks()
    headers = hostile_world.headers[role]
    failures: list[str] = []
    sent = 0
    statuses: dict[int, int] = {}
    started = time.monotonic()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for label, parts in _hostile_cases(hostile_world, operation):
                body, media = parts["body"] if parts["body"] is not None else (None, None)
                case = operation.Case(
                    path_parameters=parts["path"] or None,
                    query=parts["query"] or None,
                    headers=parts["header"] or None,
                    **({"body": body, "media_type": media} if body is not None else {}),
                )
                where = f"{operation.method.upper()} {operation.path} {label}"
                sent += 1
                try:
                    response = case.call_and_validate(
                        base_url=live.url, session=session, headers=headers, checks=checks
                    )
                # Failed checks come as a group (a BaseExceptionGroup); no answer at all is a finding too.
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{where}: {_finding(exc)}\n    body: {body!r:.600}")
                    continue
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if 400 <= response.status_code < 500 and operation.method.upper() != "HEAD":
                    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0]
                    if media_type != PROBLEM_JSON or "code" not in response.json():
                        failures.append(f"{where}: {response.status_code} {media_type} {response.text[:200]}")
    print(
        f"\nhostile examples as {role}: {sent} requests, {time.monotonic() - started:.1f} s, "
        f"answers {dict(sorted(statuses.items()))}"
    )
    assert not failures, f"{len(failures)} of {sent} hostile requests broke the contract:\n" + "\n".join(failures)
