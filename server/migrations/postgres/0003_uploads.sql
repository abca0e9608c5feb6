-- Resumable evidence uploads (tus 1.0.0). The bytes received so far live in
-- `<data_dir>/uploads/<upload_id>.part`; `offset` is how many of them are durable and acknowledged
-- (the file may hold more after a crash: they are cut off before the next chunk is appended).
-- A row stays after its upload completes (`offset = length`), so a retried last chunk is answered,
-- until `expires_at`; every request that appends a chunk moves `expires_at` forward.
-- OFFSET is a reserved word in PostgreSQL: the column is named as SQLite's, so SQL names it "offset".
CREATE TABLE uploads (
    upload_id     TEXT PRIMARY KEY,
    auditor       TEXT NOT NULL REFERENCES users (name),
    device_id     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    length        BIGINT NOT NULL CHECK (length > 0),
    "offset"      BIGINT NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= length),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX uploads_expires ON uploads (expires_at);
