"""A revision on the wire: its types, its strict decoding, and its canonical form.

A revision is a full snapshot of a visit. Tablets of several app versions push them, so a
revision may carry fields this server does not know: they are kept (and hashed), never refused.
The canonical form (DESIGN.md, "Content and equality") is what is hashed and compared:

- keys sorted; ids lower-case (`rev_id`, `submission_id`, `parents`, `calibrates`, evidence hashes,
  `hlc`);
- times as UTC instants with milliseconds (`2026-10-14T05:32:05.000Z`), those outside 2000..2100
  (quarantined) as sent;
- `parents`, `staff_ids` and each answer's `evidence` as sorted sets; answers sorted by item;
- integral numbers without a fraction (`4.0` is `4`), booleans never equal to numbers;
- an optional field sent as `null` is the same as the field left out (API.md: "an absent field
  means null"), and `na: false` the same as no `na`; so a tablet that stops sending nulls does
  not turn its resends into `rev_id_reused`. `[]` stays distinct from `null`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from operator import itemgetter
from typing import Annotated, Literal

import msgspec

from checklists.canonical import canonical_json, canonical_value, encode_normalized, normalize_number
from server.clock import in_range, iso_utc
from server.wire import SLUG_PATTERN, Scalar, Slug, Uuid

# `$(?!\n)`: msgspec matches with `re.search`, where a bare `$` also matches before a final newline.
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{64}$(?!\n)")]
# The device part is a UUID in text form; that it names the pushing device is checked later
# (`server.sync.quarantine`), so a wrong one is quarantined `invalid_hlc`, not refused as a shape.
Hlc = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{16}:[0-9]{4}:[0-9a-fA-F-]{36}$(?!\n)")]
AwareTime = Annotated[
    dt.datetime,
    msgspec.Meta(
        tz=True,
        description="RFC 3339 with an offset, within 2000-01-01T00:00:00Z..2100-01-01T00:00:00Z "
        "(a revision's time outside is quarantined `time_out_of_range`; a push's `sent_at`, 400)",
    ),
]
Comment = Annotated[str, msgspec.Meta(max_length=10_000)]

MAX_REVISIONS_PER_PUSH = 500
MAX_ANSWERS = 500
# One revision's JSON: a visit of 60 answers is ~3 KB; this leaves room for long comments on every
# answer, and refuses (without storing) what no tablet sends.
MAX_REVISION_BYTES = 1_048_576


class ChecklistRef(msgspec.Struct, kw_only=True, frozen=True):
    id: Slug
    version: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class Location(msgspec.Struct, kw_only=True, frozen=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=1_000_000)] | None = None


class AnswerIn(msgspec.Struct, kw_only=True, frozen=True):
    item: Slug
    value: Scalar = None
    na: bool = False
    comment: Comment | None = None
    evidence: Annotated[list[Sha256], msgspec.Meta(max_length=50)] | None = None


class RevisionIn(msgspec.Struct, kw_only=True, frozen=True):
    """One revision as a tablet sends it (unknown fields are kept, not refused)."""

    rev_id: Uuid
    submission_id: Uuid
    parents: Annotated[list[Uuid], msgspec.Meta(max_length=100)]
    checklist: ChecklistRef
    unit_id: Slug
    started_at: AwareTime
    state: Literal["draft", "submitted"]
    answers: Annotated[list[AnswerIn], msgspec.Meta(max_length=MAX_ANSWERS)]
    hlc: Hlc | None = None
    assignment_id: Slug | None = None
    staff_ids: Annotated[list[Slug], msgspec.Meta(max_length=50)] | None = None
    finished_at: AwareTime | None = None
    location: Location | None = None
    # A second scoring of another submission's event (a recorded call, a visit's evidence): the
    # submission it calibrates, for measuring how far auditors agree (API.md, "Calibration").
    calibrates: Uuid | None = None


# The same types refusing unknown fields: a revision that decodes into them carries no field this
# server does not know, so its canonical form can be built from the typed values alone (the fast
# path of a push). Anything else, unknown fields or errors, takes the general path.
class _ExactChecklistRef(ChecklistRef, forbid_unknown_fields=True):
    pass


class _ExactLocation(Location, forbid_unknown_fields=True):
    pass


class _ExactAnswer(AnswerIn, forbid_unknown_fields=True):
    item: str  # a Slug, checked after decoding (`_items_are_slugs`)


class _ExactRevision(RevisionIn, forbid_unknown_fields=True):
    checklist: _ExactChecklistRef
    answers: Annotated[list[_ExactAnswer], msgspec.Meta(max_length=MAX_ANSWERS)]
    location: _ExactLocation | None = None


_exact_decoder = msgspec.json.Decoder(_ExactRevision)

# msgspec checks a pattern with `re` on every value: for a visit's 56 item ids that was two thirds
# of decoding it. Item ids repeat across every visit of a checklist, so the fast path checks
# each distinct one once (with the same `search` msgspec uses) and remembers those that passed.
_slug = re.compile(SLUG_PATTERN).search
_slugs_seen: set[str] = set()
_SLUGS_KEPT = 50_000


def _items_are_slugs(answers: list[_ExactAnswer]) -> bool:
    for answer in answers:
        item = answer.item
        if item not in _slugs_seen:
            if not _slug(item):
                return False
            if len(_slugs_seen) < _SLUGS_KEPT:
                _slugs_seen.add(item)
    return True


class Decoded(msgspec.Struct, kw_only=True, dict=True, tag=True, array_like=True):
    """A revision that decoded: its ids and references, canonical JSON bytes and hash.

    In the process that decoded it, `revision` (typed) and `canonical` (the canonical form as a
    dict) are at hand. A Decoded handed over from a push worker (`server.sync.prepare`) carries
    only the fields below, which is all the writer needs for a new visit; there `canonical` is
    decoded from `canonical_json` when asked for (JSON gives back exactly the same values), and
    `revision` from the revision's bytes as the tablet sent them (`keep_raw`), so that field
    paths keep the tablet's order.
    """

    rev_id: str
    submission_id: str
    parents: list[str]
    checklist_id: str
    checklist_version: int
    hlc: str | None
    unit_id: str
    staff_ids: list[str] | None
    canonical_json: bytes
    sha256: str
    evidence: list[str]  # the blobs its answers reference, sorted

    @property
    def revision(self) -> RevisionIn:
        if "_revision" not in self.__dict__:
            self._again()
        return self.__dict__["_revision"]

    @property
    def canonical(self) -> dict:
        if "_canonical" not in self.__dict__:
            self.__dict__["_canonical"] = msgspec.json.decode(self.canonical_json)
        return self.__dict__["_canonical"]

    def keep(self, revision: RevisionIn, canonical: dict) -> Decoded:
        self.__dict__["_revision"], self.__dict__["_canonical"] = revision, canonical
        return self

    def keep_raw(self, raw: bytes | dict) -> None:
        """The revision as sent, for working out `revision` again if it is needed."""
        self.__dict__["_raw"] = raw

    def _again(self) -> None:
        again = decode_revision(self.__dict__["_raw"])
        if not isinstance(again, Decoded) or again.sha256 != self.sha256:
            raise RuntimeError(f"revision {self.rev_id} decoded differently a second time")
        self.__dict__["_revision"] = again.revision


class Undecodable(msgspec.Struct, kw_only=True, frozen=True, tag=True, array_like=True):
    """A revision that did not decode: what can still be told of it."""

    rev_id: str | None
    submission_id: str | None
    path: str
    message: str
    raw: str
    sha256: str


_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$(?!\n)")
_OPTIONAL_TOP = ("hlc", "assignment_id", "staff_ids", "finished_at", "location", "calibrates")


def decode_revision(raw: bytes | dict) -> Decoded | Undecodable | Oversized:
    """Decode one revision strictly; a wrong shape gives Undecodable with the field path."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_REVISION_BYTES:
            ids = _ids_decoder.decode(raw) if _is_json(raw) else _Ids()
            return Oversized(rev_id=_id_of(ids.rev_id), submission_id=_id_of(ids.submission_id), size=len(raw))
        try:
            exact = _exact_decoder.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            pass  # the general path tells what is wrong, or keeps the unknown fields
        else:
            if _items_are_slugs(exact.answers):
                return _decoded(exact, _canonical_exact(exact))
    try:
        doc = msgspec.json.decode(raw) if isinstance(raw, bytes) else raw
    except (msgspec.DecodeError, RecursionError) as exc:
        return _undecodable(raw, None, "", f"not JSON: {exc}")
    if not isinstance(doc, dict):
        return _undecodable(raw, doc, "", "a revision is an object")
    try:
        revision = msgspec.convert(doc, RevisionIn, strict=True)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        return _undecodable(raw, doc, where.rstrip("`").lstrip("."), message)
    except RecursionError:
        return _undecodable(raw, doc, "", "nested too deeply")
    try:
        return _decoded(revision, canonical_revision(doc, revision))
    except RecursionError:
        return _undecodable(raw, doc, "", "nested too deeply")


class Oversized(msgspec.Struct, kw_only=True, frozen=True, tag=True, array_like=True):
    """A revision larger than MAX_REVISION_BYTES: refused and not stored."""

    rev_id: str | None
    submission_id: str | None
    size: int


class _Ids(msgspec.Struct):
    rev_id: object = None
    submission_id: object = None


_ids_decoder = msgspec.json.Decoder(_Ids)


def _is_json(raw: bytes) -> bool:
    try:
        _ids_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return False
    return True


def _undecodable(raw: bytes | dict, doc: object, path: str, message: str) -> Undecodable:
    """What can still be told of a revision that did not decode, with its text to keep in quarantine.

    The text is the canonical JSON of what decoded (so a resend spelled otherwise is the same
    revision), else the bytes as sent.
    """
    text = _raw_text(doc) if doc is not None else ""
    if not text and isinstance(raw, bytes):
        text = raw.decode("utf-8", "replace")
    ids = doc if isinstance(doc, dict) else {}
    return Undecodable(
        rev_id=_id_of(ids.get("rev_id")),
        submission_id=_id_of(ids.get("submission_id")),
        path=path,
        message=message,
        raw=text,
        sha256=_raw_hash(text),
    )


def _decoded(revision: RevisionIn, canonical: dict) -> Decoded:
    data = encode_normalized(canonical)
    return Decoded(
        rev_id=canonical["rev_id"],
        submission_id=canonical["submission_id"],
        parents=canonical["parents"],
        checklist_id=revision.checklist.id,
        checklist_version=revision.checklist.version,
        hlc=canonical.get("hlc"),
        unit_id=revision.unit_id,
        staff_ids=revision.staff_ids,
        canonical_json=data,
        sha256=hashlib.sha256(data).hexdigest(),
        evidence=sorted({e for a in canonical["answers"] for e in a.get("evidence", ())}),
    ).keep(revision, canonical)


def _raw_text(doc: object) -> str:
    """A revision (given as an object) that did not decode, as text to keep in quarantine."""
    try:
        return canonical_json(doc).decode("utf-8")
    except (TypeError, ValueError, RecursionError, msgspec.EncodeError):
        return ""


def _raw_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _id_of(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and _UUID_RE.match(value) else None


def canonical_time(moment: dt.datetime) -> str:
    """A revision's time in its canonical form: `iso_utc`, or as sent when out of range.

    A time outside 2000..2100 quarantines its revision (`time_out_of_range`), which is still
    hashed and kept: written as sent (ISO 8601 with its own offset) it never has to be converted
    to UTC, which for year 9999 with a negative offset would overflow.
    """
    return iso_utc(moment) if in_range(moment) else moment.isoformat()


def canonical_revision(doc: dict, revision: RevisionIn) -> dict:
    """The canonical form of a decoded revision (see the module docstring)."""
    out = {k: canonical_value(v) for k, v in doc.items() if k != "answers"}
    out["rev_id"] = revision.rev_id.lower()
    out["submission_id"] = revision.submission_id.lower()
    out["parents"] = sorted({p.lower() for p in revision.parents})
    out["started_at"] = canonical_time(revision.started_at)
    for key in _OPTIONAL_TOP:
        if out.get(key) is None:
            out.pop(key, None)
    if revision.hlc is not None:
        out["hlc"] = revision.hlc.lower()
    if revision.finished_at is not None:
        out["finished_at"] = canonical_time(revision.finished_at)
    if revision.staff_ids is not None:
        out["staff_ids"] = sorted(set(revision.staff_ids))
    if revision.calibrates is not None:
        out["calibrates"] = revision.calibrates.lower()
    if isinstance(out.get("location"), dict) and out["location"].get("accuracy_m") is None:
        out["location"] = {k: v for k, v in out["location"].items() if k != "accuracy_m"}
    answers = []
    for raw_answer in doc["answers"]:
        answer = {k: canonical_value(v) for k, v in raw_answer.items()}
        for key in ("value", "comment", "evidence"):
            if answer.get(key) is None:
                answer.pop(key, None)
        if answer.get("na") is False:
            answer.pop("na")
        if "evidence" in answer:
            answer["evidence"] = sorted({e.lower() for e in answer["evidence"]})
        answers.append(answer)
    out["answers"] = sorted(answers, key=lambda a: a["item"])
    return out


_by_item = itemgetter("item")


def _canonical_exact(revision: _ExactRevision) -> dict:
    """`canonical_revision` of a revision without unknown fields, from its typed values alone."""
    out: dict = {
        "rev_id": revision.rev_id.lower(),
        "submission_id": revision.submission_id.lower(),
        "parents": sorted({p.lower() for p in revision.parents}),
        "checklist": {"id": revision.checklist.id, "version": revision.checklist.version},
        "unit_id": revision.unit_id,
        "started_at": canonical_time(revision.started_at),
        "state": revision.state,
    }
    if revision.hlc is not None:
        out["hlc"] = revision.hlc.lower()
    if revision.assignment_id is not None:
        out["assignment_id"] = revision.assignment_id
    if revision.staff_ids is not None:
        out["staff_ids"] = sorted(set(revision.staff_ids))
    if revision.finished_at is not None:
        out["finished_at"] = canonical_time(revision.finished_at)
    if (location := revision.location) is not None:
        place = {"lat": normalize_number(location.lat), "lon": normalize_number(location.lon)}
        if location.accuracy_m is not None:
            place["accuracy_m"] = normalize_number(location.accuracy_m)
        out["location"] = place
    if revision.calibrates is not None:
        out["calibrates"] = revision.calibrates.lower()
    answers = []
    for a in revision.answers:
        answer: dict = {"item": a.item}
        value = a.value
        if value is not None:
            answer["value"] = normalize_number(value) if type(value) is float else value
        if a.na:
            answer["na"] = True
        if a.comment is not None:
            answer["comment"] = a.comment
        if a.evidence is not None:
            answer["evidence"] = sorted({e.lower() for e in a.evidence})
        answers.append(answer)
    answers.sort(key=_by_item)
    out["answers"] = answers
    return out
