-- Evidence at rest is verified. `verified_file` is the identity of the blob's file (device, inode,
-- size, mtime_ns, ctime_ns) when its SHA-256 was last checked: while the file still shows that
-- identity it is the bytes that were checked (our blobs are only ever renamed into place, never
-- written in place, and a write or a `touch` moves ctime), so a read needs a stat, not a rehash.
-- NULL (rows from before this migration) means "not checked yet": the next read rehashes.
ALTER TABLE blobs ADD COLUMN verified_file TEXT;
ALTER TABLE blobs ADD COLUMN verified_at TEXT;

-- Blobs whose file was found changed or gone. The row leaves `blobs` (so everything that counts a
-- blob as present sees it missing: views, receipts, `/v1/blobs/missing`, uploads) and waits here,
-- with what is needed to take the file back if it returns (a remounted disk, a restored backup),
-- until an upload of the same hash completes.
CREATE TABLE lost_blobs (
    sha256        TEXT PRIMARY KEY,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('damaged', 'missing')),
    lost_at       TEXT NOT NULL
);

-- The upload quota counts an auditor's unfinished uploads inside the transaction that adds one.
CREATE INDEX uploads_auditor ON uploads (auditor);
