-- migrate: foreign_keys=off
-- Unit managers and appeals: the audited side reads its units' results and disputes items of an
-- approved visit; a quality lead decides each disputed item.
--
-- (The line above: SQLite cannot widen a CHECK in place, so `users` is rebuilt, and a table that
-- others reference can only be replaced with foreign keys off; `server.db.migrate` turns them off
-- around this migration and checks every reference before it commits.)

-- A fifth role: `unit_manager`, bound to units.
CREATE TABLE users_new (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'quality_lead', 'hr', 'auditor', 'unit_manager')),
    created_at     TEXT NOT NULL,
    password_hash  TEXT,
    lang           TEXT NOT NULL DEFAULT 'ru' CHECK (lang IN ('ru', 'kk', 'en'))
);
INSERT INTO users_new (name, role, created_at, password_hash, lang)
SELECT name, role, created_at, password_hash, lang FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- The units a unit manager reads (and appeals for). Only unit managers have rows here.
CREATE TABLE user_units (
    user_name  TEXT NOT NULL REFERENCES users (name),
    unit_id    TEXT NOT NULL REFERENCES units (unit_id),
    PRIMARY KEY (user_name, unit_id)
);
CREATE INDEX user_units_unit ON user_units (unit_id, user_name);

-- An appeal: a unit manager disputes items of one approved visit of their unit. `period` and
-- `unit_id` are the visit's when it was filed (the cap counts per unit and period). `due_at` is
-- when the quality lead should have decided (the policy's `decide_within_days`). Closed by a
-- withdrawal or a decision; a decision that overturns items records the reviewer revision it made
-- (`rev_id`) and the approval of the visit as changed (`review_id`).
CREATE TABLE appeals (
    appeal_id      TEXT PRIMARY KEY,
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    unit_id        TEXT NOT NULL REFERENCES units (unit_id),
    period         TEXT NOT NULL,
    filed_by       TEXT NOT NULL REFERENCES users (name),
    filed_at       TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'withdrawn', 'decided')),
    closed_at      TEXT,
    decided_by     TEXT REFERENCES users (name),
    rev_id         TEXT,
    review_id      INTEGER,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'decided') = (decided_by IS NOT NULL))
);
CREATE INDEX appeals_unit ON appeals (unit_id, period, appeal_id);
CREATE INDEX appeals_status ON appeals (status, due_at, appeal_id);
CREATE INDEX appeals_submission ON appeals (submission_id, appeal_id);

-- The disputed items of an appeal. `open` is 1 while the appeal is open: one open appeal per item
-- of a visit (the unique index). `before` is the answer as it stood when filed ({"value", "na"}).
-- A decided item has its outcome and reason; an overturned one the value (JSON) or N/A it became.
CREATE TABLE appeal_items (
    appeal_id      TEXT NOT NULL REFERENCES appeals (appeal_id),
    item           TEXT NOT NULL,
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    position       INTEGER NOT NULL CHECK (position >= 0),
    claim          TEXT NOT NULL,
    before         TEXT NOT NULL,
    open           INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
    outcome        TEXT CHECK (outcome IN ('upheld', 'overturned')),
    reason         TEXT,
    value          TEXT,
    na             INTEGER CHECK (na IN (0, 1)),
    PRIMARY KEY (appeal_id, item),
    CHECK (open = 0 OR outcome IS NULL),
    CHECK ((outcome IS NULL) = (reason IS NULL))
);
CREATE UNIQUE INDEX appeal_items_one_open ON appeal_items (submission_id, item) WHERE open = 1;

-- The evidence the unit manager attached to each item (blobs uploaded with tus, like an auditor's).
CREATE TABLE appeal_evidence (
    appeal_id  TEXT NOT NULL REFERENCES appeals (appeal_id),
    item       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (appeal_id, item, sha256)
);
CREATE INDEX appeal_evidence_sha ON appeal_evidence (sha256);

-- The decision a quality lead records with an overturn (the visit stays approved, as changed)
-- names the appeal it came from; the auditor's tablet reads it in the document's `review`.
ALTER TABLE reviews ADD COLUMN appeal_id TEXT;

-- Appeals, their items and evidence are the record: a decided or withdrawn appeal is never
-- deleted, and only the columns a decision or withdrawal fills change.
CREATE TRIGGER appeals_no_delete BEFORE DELETE ON appeals
BEGIN
    SELECT RAISE(ABORT, 'appeals are kept');
END;
CREATE TRIGGER appeal_items_no_delete BEFORE DELETE ON appeal_items
BEGIN
    SELECT RAISE(ABORT, 'appeals are kept');
END;
CREATE TRIGGER appeal_evidence_no_change BEFORE UPDATE ON appeal_evidence
BEGIN
    SELECT RAISE(ABORT, 'appeals are kept');
END;
CREATE TRIGGER appeal_evidence_no_delete BEFORE DELETE ON appeal_evidence
BEGIN
    SELECT RAISE(ABORT, 'appeals are kept');
END;
