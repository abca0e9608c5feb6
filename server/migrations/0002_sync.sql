-- Offline sync: submissions, their immutable revisions, quarantine, evidence blobs, derived views.

-- Which database a pull cursor came from (a restore or another server gives another id).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(8))));

-- A logical visit; it belongs to the auditor whose revision created it.
CREATE TABLE submissions (
    submission_id  TEXT PRIMARY KEY,
    auditor        TEXT NOT NULL REFERENCES users (name),
    created_at     TEXT NOT NULL
);
CREATE INDEX submissions_auditor ON submissions (auditor);

-- The source of truth: every revision ever accepted, as its canonical JSON, never changed.
-- Arrival metadata (rank, author, device, arrival time, clock offset) is recorded once, at the
-- first arrival; `released` is the only column that may change (a reviewer releasing it).
CREATE TABLE revisions (
    rev_id            TEXT PRIMARY KEY,
    submission_id     TEXT NOT NULL REFERENCES submissions (submission_id),
    sha256            TEXT NOT NULL,
    content           TEXT NOT NULL,
    parents           TEXT NOT NULL,
    checklist_id      TEXT NOT NULL,
    checklist_version INTEGER NOT NULL,
    hlc               TEXT,
    rank              TEXT NOT NULL CHECK (rank IN ('auditor', 'reviewer')),
    author            TEXT NOT NULL,
    device_id         TEXT,
    received_at       TEXT NOT NULL,
    clock_offset_ms   INTEGER NOT NULL,
    released          INTEGER NOT NULL DEFAULT 0 CHECK (released IN (0, 1)),
    arrival           INTEGER NOT NULL
);
CREATE INDEX revisions_submission ON revisions (submission_id, arrival);

CREATE TRIGGER revisions_immutable
BEFORE UPDATE OF rev_id, submission_id, sha256, content, parents, checklist_id, checklist_version, hlc, rank,
    author, device_id, received_at, clock_offset_ms, arrival ON revisions
BEGIN
    SELECT RAISE(ABORT, 'a revision is immutable');
END;

CREATE TRIGGER revisions_no_delete
BEFORE DELETE ON revisions
BEGIN
    SELECT RAISE(ABORT, 'a revision is never deleted');
END;

-- Revisions that could not be used, stored raw with the reason, until an administrator replays them.
CREATE TABLE quarantine (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    rev_id           TEXT NOT NULL UNIQUE,
    submission_id    TEXT,
    sha256           TEXT NOT NULL,
    raw              TEXT NOT NULL,
    rank             TEXT NOT NULL CHECK (rank IN ('auditor', 'reviewer')),
    author           TEXT NOT NULL,
    device_id        TEXT,
    received_at      TEXT NOT NULL,
    clock_offset_ms  INTEGER NOT NULL,
    code             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    path             TEXT,
    released_at      TEXT
);

-- Evidence blobs (photos, recordings) by SHA-256; the files live under the data directory.
CREATE TABLE blobs (
    sha256        TEXT PRIMARY KEY,
    size          INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    stored_at     TEXT NOT NULL
);

-- Derived from the revisions by the pure merge; `tekseru rebuild` recomputes it.
CREATE TABLE submission_views (
    submission_id      TEXT PRIMARY KEY REFERENCES submissions (submission_id),
    auditor            TEXT NOT NULL,
    checklist_id       TEXT,
    checklist_version  INTEGER,
    unit_id            TEXT,
    assignment_id      TEXT,
    state              TEXT,
    started_at         TEXT,
    corrected_start    TEXT,
    period             TEXT,
    status             TEXT NOT NULL,
    visit_score        REAL,
    person_score       REAL,
    has_conflicts      INTEGER NOT NULL,
    document           TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX submission_views_auditor ON submission_views (auditor);
CREATE INDEX submission_views_period ON submission_views (period, unit_id);
CREATE INDEX submission_views_status ON submission_views (status, updated_at);

-- Which blobs each submission's current view references (awaiting_evidence until all are stored).
CREATE TABLE view_evidence (
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    sha256         TEXT NOT NULL,
    PRIMARY KEY (submission_id, sha256)
);
CREATE INDEX view_evidence_sha ON view_evidence (sha256);

-- Which blobs each revision references: a blob is served to whoever may see such a submission,
-- and is never deleted while any revision references it.
CREATE TABLE revision_evidence (
    sha256         TEXT NOT NULL,
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    PRIMARY KEY (sha256, submission_id)
);

-- Review decisions, append-only: each applies to the heads the reviewer saw.
CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    decision       TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment        TEXT,
    heads          TEXT NOT NULL,
    reviewer       TEXT NOT NULL,
    decided_at     TEXT NOT NULL
);
CREATE INDEX reviews_submission ON reviews (submission_id, id);

CREATE TRIGGER reviews_append_only_update
BEFORE UPDATE ON reviews
BEGIN
    SELECT RAISE(ABORT, 'review decisions are append-only');
END;

CREATE TRIGGER reviews_append_only_delete
BEFORE DELETE ON reviews
BEGIN
    SELECT RAISE(ABORT, 'review decisions are append-only');
END;
