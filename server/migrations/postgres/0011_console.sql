-- The web console: office users sign in with a password, in their language, and hold sessions.
-- NULL password: the user cannot sign in to the console (every user before this migration, every
-- auditor, the local admin).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'ru' CHECK (lang IN ('ru', 'kk', 'en'));

-- A console session. The cookie holds a random id; only its SHA-256 is stored, so a copy of the
-- database opens no session. `ends_at` is the absolute end; the idle end is `last_seen_at` plus
-- the idle timeout (a setting, so it is not stored). `ended_at`: signed out, revoked, or ended by
-- a password change.
CREATE TABLE console_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL REFERENCES users (name),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    ended_at      TEXT
);
CREATE INDEX console_sessions_user ON console_sessions (user_name) WHERE ended_at IS NULL;

-- Failed sign-ins per key (`user:<name>` or `addr:<client address>`): the count since the last
-- quiet spell, when the last one failed (the next attempt waits a delay that grows with the
-- count) and, past a limit, a lock until `locked_until`. A key that does not name a user is
-- counted too, so the answer says nothing of which names exist.
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL CHECK (failures >= 0),
    last_failed_at  TEXT NOT NULL,
    locked_until    TEXT
);

-- Who has a visit page open ("being reviewed by"), refreshed when the page is opened again.
CREATE TABLE review_open (
    submission_id  TEXT NOT NULL,
    user_name      TEXT NOT NULL REFERENCES users (name),
    opened_at      TEXT NOT NULL,
    PRIMARY KEY (submission_id, user_name)
);
CREATE INDEX review_open_opened ON review_open (opened_at);
