-- Scorecard build jobs (the console's "build drafts" with a progress bar) and the cached first
-- page of a scorecard as an image.
--
-- A job renders one draft per active unit of a kind, plus the network scorecard of the kind, for
-- one period and language. Its state is here, not in memory, so a page reload shows the progress
-- and a job a restart cut off reads `interrupted` (the server marks it so when it starts again).
CREATE TABLE scorecard_jobs (
    job_id       TEXT PRIMARY KEY,
    period       TEXT NOT NULL,
    unit_kind    TEXT NOT NULL CHECK (unit_kind IN ('branch', 'contact_centre', 'field_technician')),
    lang         TEXT NOT NULL CHECK (lang IN ('ru', 'kk', 'en')),
    total        BIGINT NOT NULL CHECK (total >= 0),
    done         BIGINT NOT NULL DEFAULT 0 CHECK (done >= 0),
    failed       BIGINT NOT NULL DEFAULT 0 CHECK (failed >= 0),
    status       TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
    started_at   TEXT NOT NULL,
    started_by   TEXT NOT NULL,
    finished_at  TEXT,
    error        TEXT,
    CHECK (done + failed <= total),
    CHECK ((status = 'running') = (finished_at IS NULL))
);
-- One running job per (period, kind, language): starting it again finds the running one.
CREATE UNIQUE INDEX scorecard_jobs_running ON scorecard_jobs (period, unit_kind, lang) WHERE status = 'running';
CREATE INDEX scorecard_jobs_started ON scorecard_jobs (started_at);

-- The first page of a scorecard's PDF as a PNG, by the PDF's SHA-256 (the same bytes, the same image).
CREATE TABLE scorecard_previews (
    sha256      TEXT PRIMARY KEY,
    png         BYTEA NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    created_at  TEXT NOT NULL
);
