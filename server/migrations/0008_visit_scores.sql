-- One row per counted visit holding its per-standard scores, instead of one row per visit and
-- standard: a push of a 30-standard visit now writes one aggregation row, not thirty (the rows
-- were most of a push's SQLite work). `standards` is a JSON array of [code, score, met]; scores
-- are written with 17 significant digits, which give back the same double.
CREATE TABLE visit_scores (
    period         TEXT NOT NULL,
    counted        INTEGER NOT NULL,
    unit_id        TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    standards      TEXT NOT NULL,
    PRIMARY KEY (period, counted, unit_id, submission_id)
) WITHOUT ROWID;

INSERT INTO visit_scores (period, counted, unit_id, submission_id, standards)
    SELECT period, counted, unit_id, submission_id,
           '[' || group_concat('[' || json_quote(code) || ',' || printf('%!.17g', score) || ',' || met || ']', ',') || ']'
    FROM (SELECT * FROM visit_standards ORDER BY period, counted, unit_id, submission_id, code)
    GROUP BY period, counted, unit_id, submission_id;

DROP TABLE visit_standards;
