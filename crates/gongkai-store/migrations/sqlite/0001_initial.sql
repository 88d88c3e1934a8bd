-- gongkai store, initial schema (SQLite).
-- Timestamps are unix seconds (INTEGER). Booleans are 0/1 INTEGER. JSON is stored as TEXT.

CREATE TABLE agencies (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL UNIQUE,
    level     TEXT    NOT NULL CHECK (level IN ('province', 'city', 'county', 'department')),
    parent_id INTEGER REFERENCES agencies (id) ON DELETE SET NULL
);
CREATE INDEX agencies_parent ON agencies (parent_id);

-- Large values live in tables of their own (document_blobs, report_bodies): SQLite keeps the
-- first part of every value in the row's b-tree page, so a 30 KB JSON column in `reports`
-- would make each row fill a page and the 10,000-row overview read 10,000 pages. Kept apart,
-- the summary rows pack a hundred to a page.
CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    sha256     TEXT    NOT NULL UNIQUE,
    file_name  TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE document_blobs (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    bytes       BLOB    NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'supervisor', 'admin')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE batches (
    id         INTEGER PRIMARY KEY,
    label      TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    finished   INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1))
);
CREATE INDEX batches_recent ON batches (created_at DESC, id DESC);

CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL UNIQUE REFERENCES documents (id),
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    year         INTEGER,
    generation   TEXT    NOT NULL,
    published_on TEXT,
    late         INTEGER CHECK (late IN (0, 1)),
    errors       INTEGER NOT NULL DEFAULT 0,
    warnings     INTEGER NOT NULL DEFAULT 0,
    infos        INTEGER NOT NULL DEFAULT 0,
    imported_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    batch_id     INTEGER REFERENCES batches (id) ON DELETE SET NULL,
    imported_at  INTEGER NOT NULL
);
CREATE TABLE report_bodies (
    report_id   INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    report_json TEXT    NOT NULL
);
-- The overview (agencies × years) and lists filtered by year and/or agency.
CREATE INDEX reports_year_agency ON reports (year, agency_id);
CREATE INDEX reports_agency_year ON reports (agency_id, year);
-- "With errors" lists: a partial index holding only reports that have errors.
CREATE INDEX reports_with_errors ON reports (year, agency_id) WHERE errors > 0;
CREATE INDEX reports_batch ON reports (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE findings (
    id        INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    source    TEXT,
    rule      TEXT    NOT NULL,
    severity  TEXT    NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    message   TEXT    NOT NULL,
    cells     TEXT    NOT NULL,
    expected  TEXT,
    found     TEXT
);
CREATE INDEX findings_report ON findings (report_id, seq);
CREATE INDEX findings_rule ON findings (rule);

CREATE TABLE batch_items (
    id        INTEGER PRIMARY KEY,
    batch_id  INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    file_name TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    report_id INTEGER REFERENCES reports (id) ON DELETE SET NULL,
    message   TEXT,
    UNIQUE (batch_id, seq)
);
CREATE INDEX batch_items_report ON batch_items (report_id) WHERE report_id IS NOT NULL;

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
