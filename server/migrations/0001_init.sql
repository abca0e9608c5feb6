-- Users, their tokens (hashes only) and the devices the tokens are bound to.
CREATE TABLE users (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'quality_lead', 'hr', 'auditor')),
    created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
    prefix      TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES users (name),
    hash        TEXT NOT NULL,
    device_id   TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX tokens_user ON tokens (user_name);

CREATE TABLE devices (
    device_id      TEXT PRIMARY KEY,
    user_name      TEXT NOT NULL REFERENCES users (name),
    first_seen_at  TEXT NOT NULL,
    revoked_at     TEXT
);

-- The directory: units, staff, assignments. Nothing is deleted; `active` retires a row.
CREATE TABLE units (
    unit_id     TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('branch', 'contact_centre', 'field_technician')),
    name        TEXT NOT NULL,
    region      TEXT NOT NULL,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at  TEXT NOT NULL
);
CREATE INDEX units_kind ON units (kind, unit_id);

CREATE TABLE staff (
    staff_id    TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    unit_id     TEXT NOT NULL REFERENCES units (unit_id),
    position    TEXT,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at  TEXT NOT NULL
);
CREATE INDEX staff_unit ON staff (unit_id, staff_id);

CREATE TABLE assignments (
    assignment_id  TEXT PRIMARY KEY,
    auditor        TEXT NOT NULL REFERENCES users (name),
    unit_id        TEXT NOT NULL REFERENCES units (unit_id),
    checklist_id   TEXT NOT NULL,
    due_from       TEXT NOT NULL,
    due_to         TEXT NOT NULL,
    active         INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at     TEXT NOT NULL,
    CHECK (due_from <= due_to)
);
CREATE INDEX assignments_auditor ON assignments (auditor, assignment_id);

-- Published checklist versions: immutable, the body is the canonical JSON that `sha256` hashes.
CREATE TABLE checklist_versions (
    checklist_id  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    unit_kind     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    body          TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    retired_at    TEXT,
    PRIMARY KEY (checklist_id, version)
);

CREATE TRIGGER checklist_versions_immutable
BEFORE UPDATE OF checklist_id, version, unit_kind, sha256, body, published_at ON checklist_versions
BEGIN
    SELECT RAISE(ABORT, 'a published checklist version is immutable');
END;

CREATE TRIGGER checklist_versions_no_delete
BEFORE DELETE ON checklist_versions
BEGIN
    SELECT RAISE(ABORT, 'a published checklist version is never deleted');
END;

-- The change feed that tablets pull. One row per (object, audience): a newer change to the same
-- object replaces the row with the next sequence number, so a first pull gets each object once.
-- audience NULL: every auditor sees it; otherwise the one auditor it belongs to.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    audience   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX changes_object ON changes (kind, object_id, audience);
CREATE INDEX changes_audience ON changes (audience, seq);
