-- Unit managers and appeals (SQLite's 0015_appeals.sql says what each table is for): the same
-- tables, columns, constraints, indexes and rules. PostgreSQL widens the role CHECK in place.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'quality_lead', 'hr', 'auditor', 'unit_manager'));

CREATE TABLE user_units (
    user_name  TEXT NOT NULL REFERENCES users (name),
    unit_id    TEXT NOT NULL REFERENCES units (unit_id),
    PRIMARY KEY (user_name, unit_id)
);
CREATE INDEX user_units_unit ON user_units (unit_id, user_name);

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
    review_id      BIGINT,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'decided') = (decided_by IS NOT NULL))
);
CREATE INDEX appeals_unit ON appeals (unit_id, period, appeal_id);
CREATE INDEX appeals_status ON appeals (status, due_at, appeal_id);
CREATE INDEX appeals_submission ON appeals (submission_id, appeal_id);

CREATE TABLE appeal_items (
    appeal_id      TEXT NOT NULL REFERENCES appeals (appeal_id),
    item           TEXT NOT NULL,
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    position       BIGINT NOT NULL CHECK (position >= 0),
    claim          TEXT NOT NULL,
    before         TEXT NOT NULL,
    open           BIGINT NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
    outcome        TEXT CHECK (outcome IN ('upheld', 'overturned')),
    reason         TEXT,
    value          TEXT,
    na             BIGINT CHECK (na IN (0, 1)),
    PRIMARY KEY (appeal_id, item),
    CHECK (open = 0 OR outcome IS NULL),
    CHECK ((outcome IS NULL) = (reason IS NULL))
);
CREATE UNIQUE INDEX appeal_items_one_open ON appeal_items (submission_id, item) WHERE open = 1;

CREATE TABLE appeal_evidence (
    appeal_id  TEXT NOT NULL REFERENCES appeals (appeal_id),
    item       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (appeal_id, item, sha256)
);
CREATE INDEX appeal_evidence_sha ON appeal_evidence (sha256);

ALTER TABLE reviews ADD COLUMN appeal_id TEXT;

CREATE TRIGGER appeals_no_delete BEFORE DELETE ON appeals
FOR EACH ROW EXECUTE FUNCTION abort_change('appeals are kept');
CREATE TRIGGER appeal_items_no_delete BEFORE DELETE ON appeal_items
FOR EACH ROW EXECUTE FUNCTION abort_change('appeals are kept');
CREATE TRIGGER appeal_evidence_no_change BEFORE UPDATE ON appeal_evidence
FOR EACH ROW EXECUTE FUNCTION abort_change('appeals are kept');
CREATE TRIGGER appeal_evidence_no_delete BEFORE DELETE ON appeal_evidence
FOR EACH ROW EXECUTE FUNCTION abort_change('appeals are kept');
