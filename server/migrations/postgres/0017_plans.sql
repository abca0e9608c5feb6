-- Assignment plans (SQLite's 0017_plans.sql says what each table is for; the same tables here).
-- Assignment plans: a month's visits drafted from a plan policy, read, then published as assignments.

-- The region an auditor works in (NULL: any region): a plan sends auditors only to units of theirs.
ALTER TABLE users ADD COLUMN region TEXT;

-- An assignment made by publishing a plan names it; a planned visit has a time window on its day.
ALTER TABLE assignments ADD COLUMN plan_id TEXT;
ALTER TABLE assignments ADD COLUMN time_from TEXT;
ALTER TABLE assignments ADD COLUMN time_to TEXT;
CREATE INDEX assignments_plan ON assignments (plan_id) WHERE plan_id IS NOT NULL;

-- A plan of one month. `policy` is the canonical JSON of the plan policy it was drafted from;
-- `inputs_sha256` the hash of what the planner read (units, auditors, history, the month's
-- published plan): a draft whose inputs changed since is stale and cannot be published. At most one
-- plan of a month is published at a time; publishing another supersedes it. `needed` (visits per
-- unit) and `warnings` are JSON.
CREATE TABLE plans (
    plan_id        TEXT PRIMARY KEY,
    period         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    seed           BIGINT NOT NULL,
    policy         TEXT NOT NULL,
    policy_sha256  TEXT NOT NULL,
    inputs_sha256  TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    published_by   TEXT,
    published_at   TEXT,
    needed         TEXT NOT NULL,
    warnings       TEXT NOT NULL,
    CHECK ((status = 'draft') = (published_at IS NULL))
);
CREATE INDEX plans_period ON plans (period, created_at);
CREATE UNIQUE INDEX plans_one_published ON plans (period) WHERE status = 'published';

-- The visits of a plan, in the planner's order. `key` is the planner's name of the visit and
-- `calibration_of` the key of the visit it scores again; `assignment_id` is set when published.
CREATE TABLE plan_visits (
    plan_id         TEXT NOT NULL REFERENCES plans (plan_id),
    position        BIGINT NOT NULL,
    key             TEXT NOT NULL,
    auditor         TEXT NOT NULL,
    unit_id         TEXT NOT NULL,
    checklist_id    TEXT NOT NULL,
    day             TEXT NOT NULL,
    time_from       TEXT NOT NULL,
    time_to         TEXT NOT NULL,
    calibration_of  TEXT,
    assignment_id   TEXT,
    PRIMARY KEY (plan_id, position),
    UNIQUE (plan_id, key)
);
