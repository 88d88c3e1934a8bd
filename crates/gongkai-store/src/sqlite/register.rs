//! [`Register`] for [`SqliteStore`].
//!
//! Every write runs in the store's `IMMEDIATE` transaction ([`SqliteStore::write`]): the write
//! lock is taken before the first read, so the "is the log still `expected_len` long?" check
//! of [`Register::append_request_events`] and the insert after it cannot be interleaved with
//! another writer, and concurrent portal submissions queue on the lock instead of failing with
//! `SQLITE_BUSY`.

use gongkai_core::date::Date;
use gongkai_core::lifecycle::Request;
use gongkai_core::register::{Appeal, ProactiveCounts};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{agency_exists, is_unique_violation, SqliteStore};
use crate::common::{self, OrDb, Param, Where};
use crate::register::*;
use crate::{AgencyId, Result, StoreError, UserId};

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Int(i) => i.to_sql(),
            Param::Text(s) => s.to_sql(),
        }
    }
}

/// The id of request `code`, if stored.
fn request_id(c: &Connection, code: &str) -> Result<Option<i64>> {
    c.prepare_cached("SELECT id FROM requests WHERE code = ?1")
        .db()?
        .query_row([code], |r| r.get(0))
        .optional()
        .db()
}

fn insert_events(
    c: &Connection,
    request: i64,
    rows: &[(i32, String)],
    by: Option<UserId>,
    now: i64,
) -> Result<()> {
    let mut stmt = c
        .prepare_cached(
            "INSERT INTO request_events (request_id, seq, event_json, recorded_by, recorded_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .db()?;
    for (seq, json) in rows {
        stmt.execute(params![request, seq, json, by.map(|u| u.0), now])
            .map_err(|e| {
                if is_unique_violation(&e) {
                    common::conflict_stale()
                } else {
                    StoreError::Database(e.to_string())
                }
            })?;
    }
    Ok(())
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<common::SummaryCols> {
    Ok(common::SummaryCols {
        code: row.get(0)?,
        agency: row.get(1)?,
        applicant_name: row.get(2)?,
        applicant_type: row.get(3)?,
        description: row.get(4)?,
        received_on: row.get(5)?,
        status: row.get(6)?,
        due_on: row.get(7)?,
        outcome: row.get(8)?,
        source: row.get(9)?,
    })
}

fn publication_from_row(row: &Row<'_>) -> rusqlite::Result<common::PublicationCols> {
    Ok(common::PublicationCols {
        agency: row.get(0)?,
        id: row.get(1)?,
        title: row.get(2)?,
        kind: row.get(3)?,
        doc_number: row.get(4)?,
        index_number: row.get(5)?,
        category: row.get(6)?,
        issued_on: row.get(7)?,
        published_on: row.get(8)?,
        repealed_on: row.get(9)?,
        issuer: row.get(10)?,
        body: row.get(11)?,
    })
}

fn publication_select() -> String {
    format!(
        "SELECT {}, b.body FROM publications p JOIN publication_bodies b ON b.publication_id = p.id",
        common::PUBLICATION_COLUMNS
    )
}

/// `LIMIT ?n OFFSET ?m` after the filter's parameters (SQLite: a negative limit is no limit).
fn limit_offset(w: &mut Where, limit: Option<i64>, offset: i64) -> String {
    let (limit, offset) = common::page_of(limit, offset);
    let l = w.bind(Param::Int(limit.unwrap_or(-1)));
    let o = w.bind(Param::Int(offset));
    format!(" LIMIT {l} OFFSET {o}")
}

impl Register for SqliteStore {
    fn create_request(&self, new: &NewRequest<'_>) -> Result<()> {
        let code = new.request.id.0.as_str();
        let row = common::request_row(new.request)?;
        let events = common::event_rows(new.request, 0)?;
        let now = common::now();
        self.write(|c| {
            if !agency_exists(c, new.agency)? {
                return Err(common::agency_not_found(new.agency));
            }
            let p = new.private;
            let inserted: Option<i64> = c
                .prepare_cached(
                    "INSERT INTO requests (code, agency_id, applicant_name, applicant_type, \
                     description, received_on, status, due_on, outcome, source, fingerprint, \
                     id_number, phone, address, email, delivery, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
                     ?16, ?17) ON CONFLICT (code) DO NOTHING RETURNING id",
                )
                .db()?
                .query_row(
                    params![
                        code,
                        new.agency.0,
                        row.applicant_name,
                        row.applicant_type,
                        row.description,
                        row.received_on,
                        row.status,
                        row.due_on,
                        row.outcome,
                        new.source.as_str(),
                        new.fingerprint,
                        p.id_number,
                        p.phone,
                        p.address,
                        p.email,
                        p.delivery,
                        now,
                    ],
                    |r| r.get(0),
                )
                .optional()
                .db()?;
            let Some(id) = inserted else {
                return Err(common::conflict_code(code));
            };
            c.prepare_cached("INSERT INTO request_states (request_id, state_json) VALUES (?1, ?2)")
                .db()?
                .execute(params![id, row.state_json])
                .db()?;
            insert_events(c, id, &events, new.recorded_by, now)?;
            let mut meta = c
                .prepare_cached(
                    "INSERT INTO request_attachments (request_id, file_name, size) \
                     VALUES (?1, ?2, ?3) RETURNING id",
                )
                .db()?;
            let mut blob = c
                .prepare_cached(
                    "INSERT INTO request_attachment_blobs (attachment_id, bytes) VALUES (?1, ?2)",
                )
                .db()?;
            for (name, bytes) in new.attachments {
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let att: i64 = meta.query_row(params![id, name, size], |r| r.get(0)).db()?;
                blob.execute(params![att, bytes]).db()?;
            }
            Ok(())
        })
    }

    fn append_request_events(
        &self,
        code: &str,
        expected_len: usize,
        updated: &Request,
        recorded_by: Option<UserId>,
    ) -> Result<()> {
        common::same_request(code, updated)?;
        let row = common::request_row(updated)?;
        let events = common::event_rows(updated, expected_len)?;
        let now = common::now();
        self.write(|c| {
            let id = request_id(c, code)?.ok_or_else(|| common::request_not_found(code))?;
            // The write lock is held (IMMEDIATE): nobody can append between this count and
            // the inserts below.
            let stored: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM request_events WHERE request_id = ?1")
                .db()?
                .query_row([id], |r| r.get(0))
                .db()?;
            if usize::try_from(stored).ok() != Some(expected_len) {
                return Err(common::conflict_stale());
            }
            insert_events(c, id, &events, recorded_by, now)?;
            c.prepare_cached(
                "UPDATE requests SET applicant_name = ?2, applicant_type = ?3, description = ?4, \
                 received_on = ?5, status = ?6, due_on = ?7, outcome = ?8 WHERE id = ?1",
            )
            .db()?
            .execute(params![
                id,
                row.applicant_name,
                row.applicant_type,
                row.description,
                row.received_on,
                row.status,
                row.due_on,
                row.outcome,
            ])
            .db()?;
            c.prepare_cached("UPDATE request_states SET state_json = ?2 WHERE request_id = ?1")
                .db()?
                .execute(params![id, row.state_json])
                .db()?;
            Ok(())
        })
    }

    fn request(&self, code: &str) -> Result<Option<StoredRequest>> {
        self.read(|c| {
            let found = c
                .prepare_cached(
                    "SELECT r.id, r.agency_id, r.source, r.created_at, r.id_number, r.phone, \
                     r.address, r.email, r.delivery, s.state_json FROM requests r \
                     JOIN request_states s ON s.request_id = r.id WHERE r.code = ?1",
                )
                .db()?
                .query_row([code], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        ApplicantPrivate {
                            id_number: r.get(4)?,
                            phone: r.get(5)?,
                            address: r.get(6)?,
                            email: r.get(7)?,
                            delivery: r.get(8)?,
                        },
                        r.get::<_, String>(9)?,
                    ))
                })
                .optional()
                .db()?;
            let Some((id, agency, source, created_at, private, json)) = found else {
                return Ok(None);
            };
            let attachments = c
                .prepare_cached(
                    "SELECT id, file_name, size FROM request_attachments \
                     WHERE request_id = ?1 ORDER BY id",
                )
                .db()?
                .query_map([id], |r| {
                    Ok(AttachmentMeta {
                        id: r.get(0)?,
                        file_name: r.get(1)?,
                        size: r.get(2)?,
                    })
                })
                .db()?
                .collect::<rusqlite::Result<Vec<_>>>()
                .db()?;
            Ok(Some(StoredRequest {
                agency: AgencyId(agency),
                request: common::request_from_json(code, &json)?,
                private,
                source: common::parse_source(&source)?,
                created_at,
                attachments,
            }))
        })
    }

    fn request_events(&self, code: &str) -> Result<Vec<StoredEvent>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT e.seq, e.event_json, e.recorded_by, e.recorded_at FROM request_events e \
                 JOIN requests r ON r.id = e.request_id WHERE r.code = ?1 ORDER BY e.seq",
            )
            .db()?
            .query_map([code], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.into_iter()
            .map(|(seq, json, by, at)| {
                Ok(StoredEvent {
                    seq: u32::try_from(seq).map_err(|_| {
                        StoreError::Corrupt(format!("申请 {code} 的事件序号 {seq}"))
                    })?,
                    event: common::event_from_json(code, seq, &json)?,
                    recorded_by: by.map(UserId),
                    recorded_at: at,
                })
            })
            .collect()
    }

    fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<RequestSummary>> {
        let mut w = common::request_where(filter, '?');
        if w.nothing {
            return Ok(Vec::new());
        }
        let page = limit_offset(&mut w, filter.limit, filter.offset);
        let sql = format!(
            "SELECT {} FROM requests r{} ORDER BY {}{page}",
            common::REQUEST_SUMMARY_COLUMNS,
            w.sql(),
            common::REQUEST_ORDER
        );
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(&sql)
            .db()?
            .query_map(params_from_iter(&w.params), summary_from_row)
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.into_iter().map(|r| r.into_summary()).collect()
    }

    fn count_requests(&self, filter: &RequestFilter) -> Result<i64> {
        let w = common::request_where(filter, '?');
        if w.nothing {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM requests r{}", w.sql());
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&sql).db()?;
        stmt.query_row(params_from_iter(&w.params), |r| r.get(0))
            .db()
    }

    fn requests_received_until(&self, agency: AgencyId, until: Date) -> Result<Vec<Request>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT r.code, s.state_json FROM requests r \
                 JOIN request_states s ON s.request_id = r.id \
                 WHERE r.agency_id = ?1 AND r.received_on <= ?2 ORDER BY r.received_on, r.code",
            )
            .db()?
            .query_map(params![agency.0, until.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.iter()
            .map(|(code, json)| common::request_from_json(code, json))
            .collect()
    }

    fn find_fingerprint(&self, fingerprint: &str, since: i64) -> Result<Option<String>> {
        let conn = self.conn()?;
        let code = conn
            .prepare_cached(
                "SELECT code FROM requests WHERE fingerprint = ?1 AND created_at >= ?2 \
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .db()?
            .query_row(params![fingerprint, since], |r| r.get(0))
            .optional()
            .db()?;
        Ok(code)
    }

    fn attachment(&self, code: &str, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(
                "SELECT a.file_name, b.bytes FROM request_attachments a \
                 JOIN request_attachment_blobs b ON b.attachment_id = a.id \
                 JOIN requests r ON r.id = a.request_id WHERE r.code = ?1 AND a.id = ?2",
            )
            .db()?
            .query_row(params![code, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .db()?;
        Ok(found)
    }

    fn update_request_private(&self, code: &str, private: &ApplicantPrivate) -> Result<()> {
        self.write(|c| {
            let n = c
                .execute(
                    "UPDATE requests SET id_number = ?2, phone = ?3, address = ?4, email = ?5, \
                     delivery = ?6 WHERE code = ?1",
                    params![
                        code,
                        private.id_number,
                        private.phone,
                        private.address,
                        private.email,
                        private.delivery
                    ],
                )
                .db()?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("申请 {code}")));
            }
            Ok(())
        })
    }

    fn add_request_attachments(&self, code: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<i64>> {
        self.write(|c| {
            let request: i64 = c
                .query_row("SELECT id FROM requests WHERE code = ?1", [code], |r| {
                    r.get(0)
                })
                .optional()
                .db()?
                .ok_or_else(|| StoreError::NotFound(format!("申请 {code}")))?;
            let mut ids = Vec::with_capacity(files.len());
            for (file_name, bytes) in files {
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let id: i64 = c
                    .query_row(
                        "INSERT INTO request_attachments (request_id, file_name, size) \
                         VALUES (?1, ?2, ?3) RETURNING id",
                        params![request, file_name, size],
                        |r| r.get(0),
                    )
                    .db()?;
                c.execute(
                    "INSERT INTO request_attachment_blobs (attachment_id, bytes) VALUES (?1, ?2)",
                    params![id, bytes],
                )
                .db()?;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    fn save_appeal(&self, agency: AgencyId, appeal: &Appeal) -> Result<()> {
        let (kind, filed_on, outcome, json) = common::appeal_row(appeal)?;
        self.write(|c| {
            if !agency_exists(c, agency)? {
                return Err(common::agency_not_found(agency));
            }
            c.prepare_cached(
                "INSERT INTO appeals (agency_id, appeal_id, kind, filed_on, outcome, appeal_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (agency_id, appeal_id) DO UPDATE SET \
                 kind = excluded.kind, filed_on = excluded.filed_on, outcome = excluded.outcome, \
                 appeal_json = excluded.appeal_json",
            )
            .db()?
            .execute(params![agency.0, appeal.id, kind, filed_on, outcome, json])
            .db()?;
            Ok(())
        })
    }

    fn appeals(&self, agency: AgencyId) -> Result<Vec<Appeal>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT appeal_id, appeal_json FROM appeals WHERE agency_id = ?1 \
                 ORDER BY filed_on, appeal_id",
            )
            .db()?
            .query_map([agency.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.iter()
            .map(|(id, json)| common::appeal_from_json(id, json))
            .collect()
    }

    fn save_publication(&self, record: &PublicationRecord) -> Result<()> {
        let p = &record.publication;
        let kind = common::serde_name(&p.kind)?;
        self.write(|c| {
            if !agency_exists(c, record.agency)? {
                return Err(common::agency_not_found(record.agency));
            }
            let id: i64 = c
                .prepare_cached(
                    "INSERT INTO publications (agency_id, pub_id, title, kind, category, \
                     doc_number, index_number, issuer, issued_on, published_on, repealed_on) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                     ON CONFLICT (agency_id, pub_id) DO UPDATE SET title = excluded.title, \
                     kind = excluded.kind, category = excluded.category, \
                     doc_number = excluded.doc_number, index_number = excluded.index_number, \
                     issuer = excluded.issuer, issued_on = excluded.issued_on, \
                     published_on = excluded.published_on, repealed_on = excluded.repealed_on \
                     RETURNING id",
                )
                .db()?
                .query_row(
                    params![
                        record.agency.0,
                        p.id,
                        p.title,
                        kind,
                        p.category,
                        p.doc_number,
                        p.index_number,
                        record.issuer,
                        p.issued_on.to_string(),
                        p.published_on.map(|d| d.to_string()),
                        p.repealed_on.map(|d| d.to_string()),
                    ],
                    |r| r.get(0),
                )
                .db()?;
            c.prepare_cached(
                "INSERT INTO publication_bodies (publication_id, body) VALUES (?1, ?2) \
                 ON CONFLICT (publication_id) DO UPDATE SET body = excluded.body",
            )
            .db()?
            .execute(params![id, record.body])
            .db()?;
            Ok(())
        })
    }

    fn publication(&self, agency: AgencyId, id: &str) -> Result<Option<PublicationRecord>> {
        let conn = self.conn()?;
        let sql = format!(
            "{} WHERE p.agency_id = ?1 AND p.pub_id = ?2",
            publication_select()
        );
        let cols = conn
            .prepare_cached(&sql)
            .db()?
            .query_row(params![agency.0, id], publication_from_row)
            .optional()
            .db()?;
        cols.map(|c| c.into_record()).transpose()
    }

    fn list_publications(&self, filter: &PublicationFilter) -> Result<Vec<PublicationRecord>> {
        let mut w = common::publication_where(filter, '?');
        if w.nothing {
            return Ok(Vec::new());
        }
        let page = limit_offset(&mut w, filter.limit, filter.offset);
        let sql = format!(
            "{}{} ORDER BY {}{page}",
            publication_select(),
            w.sql(),
            common::PUBLICATION_ORDER
        );
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(&sql)
            .db()?
            .query_map(params_from_iter(&w.params), publication_from_row)
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.into_iter().map(|r| r.into_record()).collect()
    }

    fn count_publications(&self, filter: &PublicationFilter) -> Result<i64> {
        let w = common::publication_where(filter, '?');
        if w.nothing {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM publications p{}", w.sql());
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&sql).db()?;
        stmt.query_row(params_from_iter(&w.params), |r| r.get(0))
            .db()
    }

    fn publication_categories(&self, agency: Option<AgencyId>) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT DISTINCT category FROM publications WHERE category IS NOT NULL \
                 AND (?1 IS NULL OR agency_id = ?1) ORDER BY category",
            )
            .db()?;
        let rows = stmt
            .query_map([agency.map(|a| a.0)], |r| r.get(0))
            .db()?
            .collect::<rusqlite::Result<Vec<String>>>()
            .db()?;
        Ok(rows)
    }

    fn save_proactive_counts(
        &self,
        agency: AgencyId,
        year: i32,
        counts: &ProactiveCounts,
    ) -> Result<()> {
        let json = common::counts_to_json(counts)?;
        self.write(|c| {
            if !agency_exists(c, agency)? {
                return Err(common::agency_not_found(agency));
            }
            c.prepare_cached(
                "INSERT INTO proactive_counts (agency_id, year, counts_json) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (agency_id, year) DO UPDATE SET counts_json = excluded.counts_json",
            )
            .db()?
            .execute(params![agency.0, year, json])
            .db()?;
            Ok(())
        })
    }

    fn proactive_counts(&self, agency: AgencyId, year: i32) -> Result<Option<ProactiveCounts>> {
        let conn = self.conn()?;
        let json: Option<String> = conn
            .prepare_cached(
                "SELECT counts_json FROM proactive_counts WHERE agency_id = ?1 AND year = ?2",
            )
            .db()?
            .query_row(params![agency.0, year], |r| r.get(0))
            .optional()
            .db()?;
        json.map(|j| common::counts_from_json(year, &j)).transpose()
    }

    fn audit(
        &self,
        user: Option<UserId>,
        agency: Option<AgencyId>,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()> {
        let now = common::now();
        self.write(|c| {
            c.prepare_cached(
                "INSERT INTO audit_log (at, user_id, agency_id, action, target, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .db()?
            .execute(params![
                now,
                user.map(|u| u.0),
                agency.map(|a| a.0),
                action,
                target,
                detail
            ])
            .db()?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: i64, agencies: Option<&[AgencyId]>) -> Result<Vec<AuditEntry>> {
        let conn = self.conn()?;
        // The unit filter as a JSON array (`json_each`), `NULL` for every entry.
        let only = agencies.map(|ids| {
            serde_json::to_string(&ids.iter().map(|a| a.0).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        });
        let rows = conn
            .prepare_cached(
                "SELECT id, at, user_id, agency_id, action, target, detail FROM audit_log \
                 WHERE ?2 IS NULL OR agency_id IN (SELECT value FROM json_each(?2)) \
                 ORDER BY at DESC, id DESC LIMIT ?1",
            )
            .db()?
            .query_map(params![limit.max(0), only], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    user: r.get::<_, Option<i64>>(2)?.map(UserId),
                    agency: r.get::<_, Option<i64>>(3)?.map(AgencyId),
                    action: r.get(4)?,
                    target: r.get(5)?,
                    detail: r.get(6)?,
                })
            })
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        Ok(rows)
    }
}
