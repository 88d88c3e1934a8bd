-- gongkai store, the agency's register (SQLite): requests and their append-only event log,
-- attachments, appeals, publications, table-二 counts, audit log.
-- Dates are TEXT `YYYY-MM-DD` (they sort as dates); timestamps unix seconds (INTEGER).
-- Large values live in tables of their own (request_states, request_attachment_blobs,
-- publication_bodies), as in 0001: the queue and catalog lists read rows that pack many to a
-- page instead of one row per page.

CREATE TABLE requests (
    id             INTEGER PRIMARY KEY,
    -- The tracking code (查询码), `Request.id`.
    code           TEXT    NOT NULL UNIQUE,
    agency_id      INTEGER NOT NULL REFERENCES agencies (id),
    applicant_name TEXT    NOT NULL,
    applicant_type TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    received_on    TEXT    NOT NULL,
    -- `Status` by its serde name; the due date in force (NULL when the clock is not running);
    -- `Outcome::id()` once answered. Rewritten with every event.
    status         TEXT    NOT NULL,
    due_on         TEXT,
    outcome        TEXT,
    source         TEXT    NOT NULL CHECK (source IN ('staff', 'online', 'ledger')),
    fingerprint    TEXT,
    -- Personal data of the applicant: only the staff pages read these columns.
    id_number      TEXT,
    phone          TEXT,
    address        TEXT,
    email          TEXT,
    delivery       TEXT,
    created_at     INTEGER NOT NULL
);
-- The queue: ordered by due date, then received date and code.
CREATE INDEX requests_due ON requests (due_on, received_on, code);
CREATE INDEX requests_received ON requests (received_on);
CREATE INDEX requests_agency_received ON requests (agency_id, received_on);
CREATE INDEX requests_fingerprint ON requests (fingerprint, created_at)
    WHERE fingerprint IS NOT NULL;

-- The current state (`Request` JSON, its log included), rewritten with every event.
CREATE TABLE request_states (
    request_id INTEGER PRIMARY KEY REFERENCES requests (id),
    state_json TEXT    NOT NULL
);

-- The event log: one row per event, append-only (the triggers refuse UPDATE and DELETE).
CREATE TABLE request_events (
    request_id  INTEGER NOT NULL REFERENCES requests (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    -- The `LoggedEvent` JSON.
    event_json  TEXT    NOT NULL,
    recorded_by INTEGER REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;

CREATE TABLE request_attachments (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    file_name  TEXT    NOT NULL,
    size       INTEGER NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments (request_id);
CREATE TABLE request_attachment_blobs (
    attachment_id INTEGER PRIMARY KEY REFERENCES request_attachments (id) ON DELETE CASCADE,
    bytes         BLOB    NOT NULL
);

-- 行政复议 / 行政诉讼 cases: the `Appeal` JSON, plus the columns lists sort and filter on.
CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    appeal_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    filed_on    TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    appeal_json TEXT    NOT NULL,
    UNIQUE (agency_id, appeal_id)
);

-- The catalog of proactively published documents.
CREATE TABLE publications (
    id           INTEGER PRIMARY KEY,
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    pub_id       TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    category     TEXT,
    doc_number   TEXT,
    index_number TEXT,
    issuer       TEXT,
    issued_on    TEXT    NOT NULL,
    published_on TEXT,
    repealed_on  TEXT,
    UNIQUE (agency_id, pub_id)
);
CREATE INDEX publications_issued ON publications (issued_on, pub_id);
CREATE INDEX publications_agency_issued ON publications (agency_id, issued_on);
CREATE INDEX publications_category_issued ON publications (category, issued_on);
CREATE INDEX publications_agency_category ON publications (agency_id, category, issued_on);
CREATE TABLE publication_bodies (
    publication_id INTEGER PRIMARY KEY REFERENCES publications (id) ON DELETE CASCADE,
    body           TEXT    NOT NULL
);

-- Table-二 figures entered by hand (`ProactiveCounts` JSON).
CREATE TABLE proactive_counts (
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    year        INTEGER NOT NULL,
    counts_json TEXT    NOT NULL,
    PRIMARY KEY (agency_id, year)
);

-- Staff actions.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
