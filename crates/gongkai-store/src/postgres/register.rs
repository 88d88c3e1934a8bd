//! [`Register`] for [`PgStore`].
//!
//! Concurrency: `create_request` inserts with `ON CONFLICT (code) DO NOTHING`, so two
//! submissions with the same code give one request and one `Conflict` (never an aborted
//! transaction). `append_request_events` locks the request row (`FOR UPDATE`) before counting
//! its events, so of two clerks acting on the same request at once the second waits, then sees
//! the longer log and gets `Conflict`; the primary key `(request_id, seq)` backs this up.

use gongkai_core::date::Date;
use gongkai_core::lifecycle::Request;
use gongkai_core::register::{Appeal, ProactiveCounts};
use postgres::types::ToSql;
use postgres::{Row, Transaction};

use super::{agency_exists, get, is_unique_violation, param_refs, pg_err, PgStore};
use crate::common::{self, Param, Where};
use crate::register::*;
use crate::{AgencyId, Result, StoreError, UserId};

fn boxed(params: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Int(i) => Box::new(*i),
                Param::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

/// `[LIMIT $n] OFFSET $m` after the filter's parameters.
fn limit_offset(w: &mut Where, limit: Option<i64>, offset: i64) -> String {
    let (limit, offset) = common::page_of(limit, offset);
    let mut sql = String::new();
    if let Some(l) = limit {
        sql.push_str(&format!(" LIMIT {}", w.bind(Param::Int(l))));
    }
    sql.push_str(&format!(" OFFSET {}", w.bind(Param::Int(offset))));
    sql
}

fn insert_events(
    tx: &mut Transaction<'_>,
    request: i64,
    rows: &[(i32, String)],
    by: Option<UserId>,
    now: i64,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let jsons: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    tx.execute(
        "INSERT INTO request_events (request_id, seq, event_json, recorded_by, recorded_at) \
         SELECT $1, s, j, $4, $5 FROM UNNEST($2::INTEGER[], $3::TEXT[]) AS e (s, j)",
        &[&request, &seqs, &jsons, &by.map(|u| u.0), &now],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            common::conflict_stale()
        } else {
            pg_err(e)
        }
    })?;
    Ok(())
}

fn summary_from_row(row: &Row) -> Result<RequestSummary> {
    common::SummaryCols {
        code: get(row, 0)?,
        agency: get(row, 1)?,
        applicant_name: get(row, 2)?,
        applicant_type: get(row, 3)?,
        description: get(row, 4)?,
        received_on: get(row, 5)?,
        status: get(row, 6)?,
        due_on: get(row, 7)?,
        outcome: get(row, 8)?,
        source: get(row, 9)?,
    }
    .into_summary()
}

fn publication_from_row(row: &Row) -> Result<PublicationRecord> {
    common::PublicationCols {
        agency: get(row, 0)?,
        id: get(row, 1)?,
        title: get(row, 2)?,
        kind: get(row, 3)?,
        doc_number: get(row, 4)?,
        index_number: get(row, 5)?,
        category: get(row, 6)?,
        issued_on: get(row, 7)?,
        published_on: get(row, 8)?,
        repealed_on: get(row, 9)?,
        issuer: get(row, 10)?,
        body: get(row, 11)?,
    }
    .into_record()
}

fn publication_select() -> String {
    format!(
        "SELECT {}, p.body FROM publications p",
        common::PUBLICATION_COLUMNS
    )
}

impl Register for PgStore {
    fn create_request(&self, new: &NewRequest<'_>) -> Result<()> {
        let code = new.request.id.0.as_str();
        let row = common::request_row(new.request)?;
        let events = common::event_rows(new.request, 0)?;
        let now = common::now();
        self.write(|tx| {
            if !agency_exists(tx, new.agency)? {
                return Err(common::agency_not_found(new.agency));
            }
            let p = new.private;
            let inserted = tx
                .query_opt(
                    "INSERT INTO requests (code, agency_id, applicant_name, applicant_type, \
                     description, received_on, status, due_on, outcome, source, fingerprint, \
                     id_number, phone, address, email, delivery, created_at, state_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18) ON CONFLICT (code) DO NOTHING RETURNING id",
                    &[
                        &code,
                        &new.agency.0,
                        &row.applicant_name,
                        &row.applicant_type,
                        &row.description,
                        &row.received_on,
                        &row.status,
                        &row.due_on,
                        &row.outcome,
                        &new.source.as_str(),
                        &new.fingerprint,
                        &p.id_number,
                        &p.phone,
                        &p.address,
                        &p.email,
                        &p.delivery,
                        &now,
                        &row.state_json,
                    ],
                )
                .map_err(pg_err)?;
            let Some(inserted) = inserted else {
                return Err(common::conflict_code(code));
            };
            let id: i64 = get(&inserted, 0)?;
            insert_events(tx, id, &events, new.recorded_by, now)?;
            for (name, bytes) in new.attachments {
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                tx.execute(
                    "INSERT INTO request_attachments (request_id, file_name, size, bytes) \
                     VALUES ($1, $2, $3, $4)",
                    &[&id, name, &size, bytes],
                )
                .map_err(pg_err)?;
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
        self.write(|tx| {
            // Lock the request: a concurrent append waits here until this one commits.
            let found = tx
                .query_opt(
                    "SELECT id FROM requests WHERE code = $1 FOR UPDATE",
                    &[&code],
                )
                .map_err(pg_err)?
                .ok_or_else(|| common::request_not_found(code))?;
            let id: i64 = get(&found, 0)?;
            let stored: i64 = get(
                &tx.query_one(
                    "SELECT COUNT(*) FROM request_events WHERE request_id = $1",
                    &[&id],
                )
                .map_err(pg_err)?,
                0,
            )?;
            if usize::try_from(stored).ok() != Some(expected_len) {
                return Err(common::conflict_stale());
            }
            insert_events(tx, id, &events, recorded_by, now)?;
            tx.execute(
                "UPDATE requests SET applicant_name = $2, applicant_type = $3, description = $4, \
                 received_on = $5, status = $6, due_on = $7, outcome = $8, state_json = $9 \
                 WHERE id = $1",
                &[
                    &id,
                    &row.applicant_name,
                    &row.applicant_type,
                    &row.description,
                    &row.received_on,
                    &row.status,
                    &row.due_on,
                    &row.outcome,
                    &row.state_json,
                ],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn request(&self, code: &str) -> Result<Option<StoredRequest>> {
        self.read(|tx| {
            let Some(r) = tx
                .query_opt(
                    "SELECT id, agency_id, source, created_at, id_number, phone, address, email, \
                     delivery, state_json FROM requests WHERE code = $1",
                    &[&code],
                )
                .map_err(pg_err)?
            else {
                return Ok(None);
            };
            let id: i64 = get(&r, 0)?;
            let attachments = tx
                .query(
                    "SELECT id, file_name, size FROM request_attachments \
                     WHERE request_id = $1 ORDER BY id",
                    &[&id],
                )
                .map_err(pg_err)?
                .iter()
                .map(|a| {
                    Ok(AttachmentMeta {
                        id: get(a, 0)?,
                        file_name: get(a, 1)?,
                        size: get(a, 2)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(StoredRequest {
                agency: AgencyId(get(&r, 1)?),
                request: common::request_from_json(code, get(&r, 9)?)?,
                private: ApplicantPrivate {
                    id_number: get(&r, 4)?,
                    phone: get(&r, 5)?,
                    address: get(&r, 6)?,
                    email: get(&r, 7)?,
                    delivery: get(&r, 8)?,
                },
                source: common::parse_source(get(&r, 2)?)?,
                created_at: get(&r, 3)?,
                attachments,
            }))
        })
    }

    fn request_events(&self, code: &str) -> Result<Vec<StoredEvent>> {
        let mut conn = self.conn()?;
        conn.query(
            "SELECT e.seq, e.event_json, e.recorded_by, e.recorded_at FROM request_events e \
             JOIN requests r ON r.id = e.request_id WHERE r.code = $1 ORDER BY e.seq",
            &[&code],
        )
        .map_err(pg_err)?
        .iter()
        .map(|r| {
            let seq: i32 = get(r, 0)?;
            Ok(StoredEvent {
                seq: u32::try_from(seq)
                    .map_err(|_| StoreError::Corrupt(format!("申请 {code} 的事件序号 {seq}")))?,
                event: common::event_from_json(code, seq.into(), get(r, 1)?)?,
                recorded_by: get::<Option<i64>>(r, 2)?.map(UserId),
                recorded_at: get(r, 3)?,
            })
        })
        .collect()
    }

    fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<RequestSummary>> {
        let mut w = common::request_where(filter, '$');
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
        let params = boxed(&w.params);
        let mut conn = self.conn()?;
        conn.query(&sql, &param_refs(&params))
            .map_err(pg_err)?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    fn count_requests(&self, filter: &RequestFilter) -> Result<i64> {
        let w = common::request_where(filter, '$');
        if w.nothing {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM requests r{}", w.sql());
        let params = boxed(&w.params);
        let mut conn = self.conn()?;
        let row = conn.query_one(&sql, &param_refs(&params)).map_err(pg_err)?;
        get(&row, 0)
    }

    fn requests_received_until(&self, agency: AgencyId, until: Date) -> Result<Vec<Request>> {
        let mut conn = self.conn()?;
        conn.query(
            "SELECT code, state_json FROM requests WHERE agency_id = $1 AND received_on <= $2 \
             ORDER BY received_on, code",
            &[&agency.0, &until.to_string()],
        )
        .map_err(pg_err)?
        .iter()
        .map(|r| common::request_from_json(get(r, 0)?, get(r, 1)?))
        .collect()
    }

    fn find_fingerprint(&self, fingerprint: &str, since: i64) -> Result<Option<String>> {
        let mut conn = self.conn()?;
        conn.query_opt(
            "SELECT code FROM requests WHERE fingerprint = $1 AND created_at >= $2 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
            &[&fingerprint, &since],
        )
        .map_err(pg_err)?
        .map(|r| get(&r, 0))
        .transpose()
    }

    fn attachment(&self, code: &str, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        let mut conn = self.conn()?;
        conn.query_opt(
            "SELECT a.file_name, a.bytes FROM request_attachments a \
             JOIN requests r ON r.id = a.request_id WHERE r.code = $1 AND a.id = $2",
            &[&code, &id],
        )
        .map_err(pg_err)?
        .map(|r| Ok((get(&r, 0)?, get(&r, 1)?)))
        .transpose()
    }

    fn update_request_private(&self, code: &str, private: &ApplicantPrivate) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE requests SET id_number = $2, phone = $3, address = $4, email = $5, \
                     delivery = $6 WHERE code = $1",
                    &[
                        &code,
                        &private.id_number,
                        &private.phone,
                        &private.address,
                        &private.email,
                        &private.delivery,
                    ],
                )
                .map_err(pg_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("申请 {code}")));
            }
            Ok(())
        })
    }

    fn add_request_attachments(&self, code: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<i64>> {
        self.write(|tx| {
            let request: i64 = tx
                .query_opt("SELECT id FROM requests WHERE code = $1", &[&code])
                .map_err(pg_err)?
                .map(|r| get(&r, 0))
                .transpose()?
                .ok_or_else(|| StoreError::NotFound(format!("申请 {code}")))?;
            let mut ids = Vec::with_capacity(files.len());
            for (file_name, bytes) in files {
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let row = tx
                    .query_one(
                        "INSERT INTO request_attachments (request_id, file_name, size, bytes) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                        &[&request, file_name, &size, bytes],
                    )
                    .map_err(pg_err)?;
                ids.push(get(&row, 0)?);
            }
            Ok(ids)
        })
    }

    fn save_appeal(&self, agency: AgencyId, appeal: &Appeal) -> Result<()> {
        let (kind, filed_on, outcome, json) = common::appeal_row(appeal)?;
        self.write(|tx| {
            if !agency_exists(tx, agency)? {
                return Err(common::agency_not_found(agency));
            }
            tx.execute(
                "INSERT INTO appeals (agency_id, appeal_id, kind, filed_on, outcome, appeal_json) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agency_id, appeal_id) DO UPDATE SET \
                 kind = excluded.kind, filed_on = excluded.filed_on, outcome = excluded.outcome, \
                 appeal_json = excluded.appeal_json",
                &[&agency.0, &appeal.id, &kind, &filed_on, &outcome, &json],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn appeals(&self, agency: AgencyId) -> Result<Vec<Appeal>> {
        let mut conn = self.conn()?;
        conn.query(
            "SELECT appeal_id, appeal_json FROM appeals WHERE agency_id = $1 \
             ORDER BY filed_on, appeal_id",
            &[&agency.0],
        )
        .map_err(pg_err)?
        .iter()
        .map(|r| common::appeal_from_json(get(r, 0)?, get(r, 1)?))
        .collect()
    }

    fn save_publication(&self, record: &PublicationRecord) -> Result<()> {
        let p = &record.publication;
        let kind = common::serde_name(&p.kind)?;
        self.write(|tx| {
            if !agency_exists(tx, record.agency)? {
                return Err(common::agency_not_found(record.agency));
            }
            tx.execute(
                "INSERT INTO publications (agency_id, pub_id, title, kind, category, doc_number, \
                 index_number, issuer, issued_on, published_on, repealed_on, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (agency_id, pub_id) DO UPDATE SET title = excluded.title, \
                 kind = excluded.kind, category = excluded.category, \
                 doc_number = excluded.doc_number, index_number = excluded.index_number, \
                 issuer = excluded.issuer, issued_on = excluded.issued_on, \
                 published_on = excluded.published_on, repealed_on = excluded.repealed_on, \
                 body = excluded.body",
                &[
                    &record.agency.0,
                    &p.id,
                    &p.title,
                    &kind,
                    &p.category,
                    &p.doc_number,
                    &p.index_number,
                    &record.issuer,
                    &p.issued_on.to_string(),
                    &p.published_on.map(|d| d.to_string()),
                    &p.repealed_on.map(|d| d.to_string()),
                    &record.body,
                ],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn publication(&self, agency: AgencyId, id: &str) -> Result<Option<PublicationRecord>> {
        let sql = format!(
            "{} WHERE p.agency_id = $1 AND p.pub_id = $2",
            publication_select()
        );
        let mut conn = self.conn()?;
        conn.query_opt(&sql, &[&agency.0, &id])
            .map_err(pg_err)?
            .as_ref()
            .map(publication_from_row)
            .transpose()
    }

    fn list_publications(&self, filter: &PublicationFilter) -> Result<Vec<PublicationRecord>> {
        let mut w = common::publication_where(filter, '$');
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
        let params = boxed(&w.params);
        let mut conn = self.conn()?;
        conn.query(&sql, &param_refs(&params))
            .map_err(pg_err)?
            .iter()
            .map(publication_from_row)
            .collect()
    }

    fn count_publications(&self, filter: &PublicationFilter) -> Result<i64> {
        let w = common::publication_where(filter, '$');
        if w.nothing {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM publications p{}", w.sql());
        let params = boxed(&w.params);
        let mut conn = self.conn()?;
        let row = conn.query_one(&sql, &param_refs(&params)).map_err(pg_err)?;
        get(&row, 0)
    }

    fn publication_categories(&self, agency: Option<AgencyId>) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        conn.query(
            "SELECT DISTINCT category FROM publications WHERE category IS NOT NULL \
             AND ($1::BIGINT IS NULL OR agency_id = $1) ORDER BY category",
            &[&agency.map(|a| a.0)],
        )
        .map_err(pg_err)?
        .iter()
        .map(|r| get(r, 0))
        .collect()
    }

    fn save_proactive_counts(
        &self,
        agency: AgencyId,
        year: i32,
        counts: &ProactiveCounts,
    ) -> Result<()> {
        let json = common::counts_to_json(counts)?;
        self.write(|tx| {
            if !agency_exists(tx, agency)? {
                return Err(common::agency_not_found(agency));
            }
            tx.execute(
                "INSERT INTO proactive_counts (agency_id, year, counts_json) VALUES ($1, $2, $3) \
                 ON CONFLICT (agency_id, year) DO UPDATE SET counts_json = excluded.counts_json",
                &[&agency.0, &year, &json],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn proactive_counts(&self, agency: AgencyId, year: i32) -> Result<Option<ProactiveCounts>> {
        let mut conn = self.conn()?;
        conn.query_opt(
            "SELECT counts_json FROM proactive_counts WHERE agency_id = $1 AND year = $2",
            &[&agency.0, &year],
        )
        .map_err(pg_err)?
        .map(|r| common::counts_from_json(year, get(&r, 0)?))
        .transpose()
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
        self.write(|tx| {
            tx.execute(
                "INSERT INTO audit_log (at, user_id, agency_id, action, target, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &now,
                    &user.map(|u| u.0),
                    &agency.map(|a| a.0),
                    &action,
                    &target,
                    &detail,
                ],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: i64, agencies: Option<&[AgencyId]>) -> Result<Vec<AuditEntry>> {
        let mut conn = self.conn()?;
        let only: Option<Vec<i64>> = agencies.map(|ids| ids.iter().map(|a| a.0).collect());
        conn.query(
            "SELECT id, at, user_id, agency_id, action, target, detail FROM audit_log \
             WHERE $2::BIGINT[] IS NULL OR agency_id = ANY($2) \
             ORDER BY at DESC, id DESC LIMIT $1",
            &[&limit.max(0), &only],
        )
        .map_err(pg_err)?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: get(r, 0)?,
                at: get(r, 1)?,
                user: get::<Option<i64>>(r, 2)?.map(UserId),
                agency: get::<Option<i64>>(r, 3)?.map(AgencyId),
                action: get(r, 4)?,
                target: get(r, 5)?,
                detail: get(r, 6)?,
            })
        })
        .collect()
    }
}
