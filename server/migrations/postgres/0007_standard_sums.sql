-- Per (month, basis, unit, standard) sums, recomputed from visit_standards for the groups that
-- changed since they were last read: a month's unit x standard figures then read ~15,000 rows
-- instead of ~750,000. Each group is summed over its rows in key order, exactly as a direct
-- GROUP BY over visit_standards would, so the figures do not depend on which way they were read.
CREATE TABLE standard_sums (
    period   TEXT NOT NULL,
    counted  BIGINT NOT NULL,
    unit_id  TEXT NOT NULL,
    code     TEXT NOT NULL,
    total    DOUBLE PRECISION NOT NULL,
    n        BIGINT NOT NULL,
    met      BIGINT NOT NULL,
    PRIMARY KEY (period, counted, unit_id, code)
);

-- Groups whose visit_standards rows changed since their sums were computed.
CREATE TABLE dirty_groups (
    period   TEXT NOT NULL,
    counted  BIGINT NOT NULL,
    unit_id  TEXT NOT NULL,
    PRIMARY KEY (period, counted, unit_id)
);

INSERT INTO dirty_groups (period, counted, unit_id) SELECT DISTINCT period, counted, unit_id FROM visit_standards;
