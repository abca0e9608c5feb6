-- Review audit log, derived per-visit rows for aggregation, motivation policies, closed periods.

-- Every decision and correction: who, when, what. Append-only, enforced here.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- How a submission counts in the figures: 2 approved (HR), 1 provisional (submitted, not
-- rejected, not yet approved), 0 not at all (drafts, rejected). Derived with the view.
ALTER TABLE submission_views ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX submission_views_counted ON submission_views (period, counted, unit_id, visit_score);

-- One row per (visit, standard applicable in it): the raw score in [0, 1] and whether it was met.
CREATE TABLE visit_standards (
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    period         TEXT NOT NULL,
    counted        INTEGER NOT NULL,
    unit_id        TEXT NOT NULL,
    code           TEXT NOT NULL,
    score          REAL NOT NULL,
    met            INTEGER NOT NULL,
    PRIMARY KEY (submission_id, code)
);
CREATE INDEX visit_standards_month ON visit_standards (period, counted, unit_id, code, score, met);

-- One row per (visit, staff member evaluated in it) with the visit's person score.
CREATE TABLE visit_staff (
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    staff_id       TEXT NOT NULL,
    period         TEXT NOT NULL,
    counted        INTEGER NOT NULL,
    unit_id        TEXT NOT NULL,
    person_score   REAL NOT NULL,
    PRIMARY KEY (submission_id, staff_id)
);
CREATE INDEX visit_staff_month ON visit_staff (period, counted, staff_id, person_score);

-- Motivation policies: immutable published versions, like checklist versions.
CREATE TABLE policies (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    body          TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    UNIQUE (policy_id, version)
);

CREATE TRIGGER policies_immutable BEFORE UPDATE ON policies
BEGIN
    SELECT RAISE(ABORT, 'a published policy is immutable');
END;

CREATE TRIGGER policies_no_delete BEFORE DELETE ON policies
BEGIN
    SELECT RAISE(ABORT, 'a published policy is never deleted');
END;

-- A closed period's snapshot: the motivation rows HR pays on, frozen, with their hash, and the
-- adjustments of earlier closed periods that this snapshot carries. Never changed afterwards.
CREATE TABLE period_snapshots (
    snapshot_id     TEXT PRIMARY KEY,
    period          TEXT NOT NULL UNIQUE,
    closed_at       TEXT NOT NULL,
    closed_by       TEXT NOT NULL,
    forced          INTEGER NOT NULL,
    policy_id       TEXT NOT NULL,
    policy_version  INTEGER NOT NULL,
    policy_sha256   TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    rows            TEXT NOT NULL,
    carried         TEXT NOT NULL
);

CREATE TRIGGER period_snapshots_immutable BEFORE UPDATE ON period_snapshots
BEGIN
    SELECT RAISE(ABORT, 'a closed period snapshot never changes');
END;

CREATE TRIGGER period_snapshots_no_delete BEFORE DELETE ON period_snapshots
BEGIN
    SELECT RAISE(ABORT, 'a closed period snapshot never changes');
END;
