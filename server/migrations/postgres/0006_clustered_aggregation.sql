-- The per-visit rows behind the period figures, keyed by what the figures group on (SQLite makes
-- them WITHOUT ROWID tables, clustered by that key). The tables are rebuilt as SQLite's are, so
-- that the columns come in the same order; the old tables' indexes and foreign keys go with them.

CREATE TABLE visit_standards_new (
    period         TEXT NOT NULL,
    counted        BIGINT NOT NULL,
    unit_id        TEXT NOT NULL,
    code           TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    met            BIGINT NOT NULL,
    PRIMARY KEY (period, counted, unit_id, code, submission_id)
);
INSERT INTO visit_standards_new (period, counted, unit_id, code, submission_id, score, met)
    SELECT period, counted, unit_id, code, submission_id, score, met FROM visit_standards;
DROP TABLE visit_standards;
ALTER TABLE visit_standards_new RENAME TO visit_standards;
ALTER TABLE visit_standards RENAME CONSTRAINT visit_standards_new_pkey TO visit_standards_pkey;

CREATE TABLE visit_staff_new (
    period         TEXT NOT NULL,
    counted        BIGINT NOT NULL,
    staff_id       TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    unit_id        TEXT NOT NULL,
    person_score   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (period, counted, staff_id, submission_id)
);
INSERT INTO visit_staff_new (period, counted, staff_id, submission_id, unit_id, person_score)
    SELECT period, counted, staff_id, submission_id, unit_id, person_score FROM visit_staff;
DROP TABLE visit_staff;
ALTER TABLE visit_staff_new RENAME TO visit_staff;
ALTER TABLE visit_staff RENAME CONSTRAINT visit_staff_new_pkey TO visit_staff_pkey;
