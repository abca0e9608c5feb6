-- The per-visit rows behind the period figures, clustered by what the figures group on.
-- One B-tree per table instead of a rowid table plus two indexes: a push writes ~30 of these rows
-- per visit, and the unit x standard figures of a month read one contiguous range in order.

CREATE TABLE visit_standards_new (
    period         TEXT NOT NULL,
    counted        INTEGER NOT NULL,
    unit_id        TEXT NOT NULL,
    code           TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    score          REAL NOT NULL,
    met            INTEGER NOT NULL,
    PRIMARY KEY (period, counted, unit_id, code, submission_id)
) WITHOUT ROWID;
INSERT INTO visit_standards_new (period, counted, unit_id, code, submission_id, score, met)
    SELECT period, counted, unit_id, code, submission_id, score, met FROM visit_standards;
DROP TABLE visit_standards;
ALTER TABLE visit_standards_new RENAME TO visit_standards;

CREATE TABLE visit_staff_new (
    period         TEXT NOT NULL,
    counted        INTEGER NOT NULL,
    staff_id       TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    unit_id        TEXT NOT NULL,
    person_score   REAL NOT NULL,
    PRIMARY KEY (period, counted, staff_id, submission_id)
) WITHOUT ROWID;
INSERT INTO visit_staff_new (period, counted, staff_id, submission_id, unit_id, person_score)
    SELECT period, counted, staff_id, submission_id, unit_id, person_score FROM visit_staff;
DROP TABLE visit_staff;
ALTER TABLE visit_staff_new RENAME TO visit_staff;
