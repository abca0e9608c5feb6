"""Fuzzing from the OpenAPI document: every operation, as every role, in every Schemathesis phase.

A real `tekseru serve --demo` (units, staff, visits, a closed month, published scorecards) on a
free port; the `schemathesis run` command against its own `/schema/openapi.json`, once per role,
with the phases examples, coverage, fuzzing and stateful and every check (server errors, status
codes, content types, response headers and bodies against the document, acceptance of valid and
rejection of invalid data, auth). What each operation may answer to valid data is in
`schemathesis.toml`, each exception with its reason.

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
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import schemathesis

from tests.live import LiveServer

ROOT = Path(__file__).parent.parent
EXAMPLES = int(os.environ.get("TEKSERU_FUZZ_EXAMPLES", "15"))
SEED = int(os.environ.get("TEKSERU_FUZZ_SEED", "20261126"))
PHASES = "examples,coverage,fuzzing,stateful"
# The admin runs last: it may revoke the other users' tokens. It fuzzes with the server's local
# admin credential, which no list shows, so it cannot revoke its own.
ROLES = ("quality_lead", "hr", "auditor", "admin")
DEMO_USER = {"quality_lead": "qlead.saule", "hr": "hr.dana", "auditor": "auditor.aigerim"}
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
    token = next(line.split()[-1] for line in tokens if line.split()[:1] == [DEMO_USER[role]])
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
    with sqlite3.connect(settings.db_path) as db:
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
