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
    size           BIGINT NOT NULL,
    pdf            BYTEA NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    published_at   TEXT,
    published_by   TEXT,
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX scorecards_period ON scorecards (period, unit_id, status);

-- The bytes of a scorecard are what its hash says, always. For a published scorecard SQLite
-- fires the trigger below first (the later one created) and says it is immutable; PostgreSQL
-- fires triggers by name, so this one leaves published scorecards to it, for the same message.
CREATE TRIGGER scorecards_bytes_fixed BEFORE UPDATE OF pdf, sha256, input_sha256, size, scope, unit_id, staff_id,
    unit_kind, period, lang ON scorecards
FOR EACH ROW WHEN (OLD.status <> 'published')
EXECUTE FUNCTION abort_change('the bytes of a scorecard never change; render a new draft');

CREATE TRIGGER scorecards_published_immutable BEFORE UPDATE ON scorecards
FOR EACH ROW WHEN (OLD.status = 'published')
EXECUTE FUNCTION abort_change('a published scorecard is immutable');

CREATE TRIGGER scorecards_published_kept BEFORE DELETE ON scorecards
FOR EACH ROW WHEN (OLD.status = 'published')
EXECUTE FUNCTION abort_change('a published scorecard is never deleted');

-- TRUNCATE fires no row trigger: it may empty the table only while no scorecard is published.
CREATE FUNCTION scorecards_truncate_keeps_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM scorecards WHERE status = 'published') THEN
        RAISE EXCEPTION 'a published scorecard is never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER scorecards_published_kept_truncate BEFORE TRUNCATE ON scorecards
FOR EACH STATEMENT EXECUTE FUNCTION scorecards_truncate_keeps_published();
