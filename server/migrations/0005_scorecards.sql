-- Scorecards: rendered PDFs. A draft can be replaced; a published one never changes or goes away.
CREATE TABLE scorecards (
    scorecard_id   TEXT PRIMARY KEY,
    scope          TEXT NOT NULL CHECK (scope IN ('unit', 'staff', 'network')),
    unit_id        TEXT,
    staff_id       TEXT,
    unit_kind      TEXT,
    period         TEXT NOT NULL,
    lang           TEXT NOT NULL CHECK (lang IN ('ru', 'kk', 'en')),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    sha256         TEXT NOT NULL,
    input_sha256   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    pdf            BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    published_at   TEXT,
    published_by   TEXT,
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX scorecards_period ON scorecards (period, unit_id, status);

-- The bytes of a scorecard are what its hash says, always.
CREATE TRIGGER scorecards_bytes_fixed BEFORE UPDATE OF pdf, sha256, input_sha256, size, scope, unit_id, staff_id,
    unit_kind, period, lang ON scorecards
BEGIN
    SELECT RAISE(ABORT, 'the bytes of a scorecard never change; render a new draft');
END;

CREATE TRIGGER scorecards_published_immutable BEFORE UPDATE ON scorecards WHEN OLD.status = 'published'
BEGIN
    SELECT RAISE(ABORT, 'a published scorecard is immutable');
END;

CREATE TRIGGER scorecards_published_kept BEFORE DELETE ON scorecards WHEN OLD.status = 'published'
BEGIN
    SELECT RAISE(ABORT, 'a published scorecard is never deleted');
END;
