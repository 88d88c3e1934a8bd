-- 单位范围: a user limited to one unit and the units under it. NULL = every unit (the
-- 政务公开办's own staff). Deleting a unit that scopes a user is refused (no ON DELETE), so a
-- scope can never silently widen to "every unit".
ALTER TABLE users ADD COLUMN agency_id INTEGER REFERENCES agencies(id);
CREATE INDEX users_agency ON users (agency_id);

-- The unit an audit entry concerns (NULL: none, e.g. a user account), so a scoped user's
-- 操作记录 shows only their units' entries. No foreign key: the log outlives what it names.
ALTER TABLE audit_log ADD COLUMN agency_id INTEGER;
CREATE INDEX audit_log_agency ON audit_log (agency_id, at DESC, id DESC);
