-- Integrity: the signals that question a visit, the background work that computes those which
-- compare it with other visits, and calibration (a second scoring of the same event).

-- Where a unit is, and how far from it a visit's GPS fix may be (metres). Both optional: a unit
-- without a place (a contact centre) raises no GPS flag.
ALTER TABLE units ADD COLUMN lat REAL;
ALTER TABLE units ADD COLUMN lon REAL;
ALTER TABLE units ADD COLUMN geofence_m INTEGER;

-- An assignment that asks for a second scoring of another assignment's event (a calibration pair).
ALTER TABLE assignments ADD COLUMN calibration_of TEXT REFERENCES assignments (assignment_id);

-- Derived with the view: the submission this one calibrates (a second scoring of its event), from
-- the revision's `calibrates` or the assignment's `calibration_of`. A calibration submission is
-- never counted in the figures: it measures the auditors, not the unit.
ALTER TABLE submission_views ADD COLUMN calibrates TEXT;
CREATE INDEX submission_views_calibrates ON submission_views (calibrates) WHERE calibrates IS NOT NULL;

-- A visit's integrity flags. `source` says who writes the row: `visit` flags come from the visit
-- alone and are rewritten with its view; `task` flags compare it with other visits (or read its
-- photos) and are rewritten by a background check, the one of the visit named in `raised_by`: a
-- check writes its visit's flags and the paired flags the other visits hold about it (`ref` names
-- the other visit, '' when a code has one flag per visit). The same pair found by both visits'
-- checks is two rows, one per check, shown once: so what a visit holds never depends on the order
-- in which the checks ran. `evidence` is JSON.
CREATE TABLE integrity_flags (
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    code           TEXT NOT NULL,
    ref            TEXT NOT NULL DEFAULT '',
    raised_by      TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL CHECK (source IN ('visit', 'task')),
    detail         TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    raised_at      TEXT NOT NULL,
    PRIMARY KEY (submission_id, code, ref, raised_by)
);
CREATE INDEX integrity_flags_code ON integrity_flags (code, submission_id);
-- A check rewrites every row it raised: found by `raised_by`.
CREATE INDEX integrity_flags_raised_by ON integrity_flags (raised_by) WHERE raised_by <> '';

-- Background checks waiting or running: one row per visit to check again. `generation` grows with
-- every request, so a check that ran on an older request leaves the row for the newer one. A
-- claim is a lease (`claimed_by` until `claimed_until`); a claimer that died leaves a lease that
-- runs out, and another process takes the row over.
CREATE TABLE integrity_tasks (
    submission_id  TEXT PRIMARY KEY REFERENCES submissions (submission_id),
    generation     INTEGER NOT NULL,
    enqueued_at    TEXT NOT NULL,
    claimed_by     TEXT,
    claimed_until  TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    error          TEXT
);
CREATE INDEX integrity_tasks_next ON integrity_tasks (enqueued_at, submission_id);

-- What was read from a photo's bytes, once per blob: its 64-bit perceptual hash (a signed
-- integer) cut into four 16-bit bands, each indexed, so a lookup of the hashes within a small
-- Hamming distance reads a few index ranges instead of every row (multi-index hashing); and its
-- EXIF capture time. `phash` is NULL for evidence that is not a readable image (audio).
CREATE TABLE photo_hashes (
    sha256       TEXT PRIMARY KEY,
    phash        INTEGER,
    band0        INTEGER,
    band1        INTEGER,
    band2        INTEGER,
    band3        INTEGER,
    exif_taken   TEXT,
    computed_at  TEXT NOT NULL
);
-- Each band's index carries the hash too: a lookup checks the distance of the thousands of rows
-- its bands find from the indexes alone, and reads the table only for the few within it (a fifth
-- of the time of reading every row found, among 1,000,000 photos: bench/integrity.py).
CREATE INDEX photo_hashes_band0 ON photo_hashes (band0, phash);
CREATE INDEX photo_hashes_band1 ON photo_hashes (band1, phash);
CREATE INDEX photo_hashes_band2 ON photo_hashes (band2, phash);
CREATE INDEX photo_hashes_band3 ON photo_hashes (band3, phash);

-- The comments of checked visits long enough to compare, normalised, per item and day: a check
-- compares a comment with the same item's comments of the policy's window.
CREATE TABLE visit_comments (
    submission_id  TEXT NOT NULL REFERENCES submissions (submission_id),
    item           TEXT NOT NULL,
    day            TEXT NOT NULL,
    normalized     TEXT NOT NULL,
    PRIMARY KEY (submission_id, item)
);
CREATE INDEX visit_comments_item ON visit_comments (item, day);
