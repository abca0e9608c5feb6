-- The subjects of a scorecard build job (one draft per unit, then the network scorecard), each
-- claimed by whichever server process is free, under a lease: several processes share one store.
--
-- A subject is `waiting` until a process claims it: it is then `running`, `claimed_by` that
-- process until `claimed_until`; a process renews the lease while it renders, so a lease that has
-- run out means its process died, and another process takes the subject over. `attempts` counts
-- the claims, so a subject whose every claimer died is failed at last instead of claimed forever.
-- A subject ends `done` (its draft stored) or `failed` (with its reason); the job counts it in
-- the same transaction.
CREATE TABLE scorecard_job_units (
    job_id         TEXT NOT NULL REFERENCES scorecard_jobs (job_id),
    position       INTEGER NOT NULL CHECK (position >= 0),
    unit_id        TEXT,  -- NULL: the network scorecard of the job's unit kind
    state          TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'running', 'done', 'failed')),
    claimed_by     TEXT,
    claimed_until  TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error          TEXT,
    PRIMARY KEY (job_id, position),
    CHECK ((state = 'running') = (claimed_until IS NOT NULL)),
    CHECK (state = 'waiting' OR claimed_by IS NOT NULL)
);
-- What is left to claim, in the order it is claimed: a claim and the poll for work read this alone.
CREATE INDEX scorecard_job_units_open ON scorecard_job_units (state, job_id, position)
WHERE state IN ('waiting', 'running');

-- A job left running before its subjects were recorded cannot be continued by any process.
UPDATE scorecard_jobs
SET status = 'interrupted', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE status = 'running';
