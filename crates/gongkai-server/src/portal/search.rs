//! Full-text search of the disclosure catalog: a tantivy index in RAM with Chinese word
//! segmentation by jieba.
//!
//! Why it is built this way:
//!
//! * **Words, not characters.** Chinese has no spaces; a citizen looking for 交易 expects to
//!   find 《公共资源交易中心…》. The tokenizer runs jieba in *search mode*, which emits the
//!   words of a compound as well as the compound (公共资源交易中心 → 公共 / 资源 / 公共资源 /
//!   交易 / 中心 / 交易中心), so both the short word and the long one are terms of the index.
//! * **Query = every word, each satisfiable by its parts.** The query is cut in *default* mode
//!   (the longest words); each word must match, either as itself or — when the document was
//!   segmented differently — through all of its search-mode parts. When no document has every
//!   word, the search falls back to any word (and says so).
//! * **Titles first.** The title field's matches are boosted three-fold over the body's, so a
//!   document *about* 交易 ranks above one that mentions it in passing.
//! * **In RAM, rebuilt from the store.** The store is the truth; the index is derived. It is
//!   built when the portal first needs it and updated when a publication is saved through
//!   [`crate::portal::save_publication`] (or rebuilt by [`crate::portal::reindex`]). tantivy is
//!   compiled without its default features: no mmap directory, no compression codecs, no
//!   stemmers — none is needed for a RAM index of Chinese text, and the build stays lean.

use gongkai_store::PublicationRecord;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::{Mutex, OnceLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// The name the Chinese tokenizer is registered under.
const TOKENIZER: &str = "zh_jieba";
/// How much a title match weighs against a body match.
pub const TITLE_BOOST: f32 = 3.0;
/// Longest token kept (a run of base64 or a URL is not a word).
const MAX_TOKEN_BYTES: usize = 96;

/// The process-wide jieba segmenter (its dictionary takes a moment to load; it is shared).
pub fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// Whether a segment is a word worth indexing (not whitespace or punctuation, not too long).
fn is_word(word: &str) -> bool {
    word.len() <= MAX_TOKEN_BYTES && word.chars().any(char::is_alphanumeric)
}

/// The search-mode words of `text`, lower-cased, as the index stores them.
pub fn index_terms(text: &str) -> Vec<String> {
    jieba()
        .cut_for_search(text, true)
        .into_iter()
        .filter(|t| is_word(t.word))
        .map(|t| t.word.to_lowercase())
        .collect()
}

/// jieba in search mode as a tantivy tokenizer.
#[derive(Clone, Default)]
pub struct ChineseTokenizer;

/// The tokens of one text, produced eagerly (jieba segments a whole sentence at once).
pub struct ChineseTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream {
        let tokens = jieba()
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| is_word(t.word))
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position,
                text: t.word.to_lowercase(),
                position_length: 1,
            })
            .collect();
        ChineseTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for ChineseTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Errors of the index, as Chinese text for the page.
#[derive(Debug, thiserror::Error)]
#[error("目录检索索引出错：{0}")]
pub struct SearchError(String);

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> SearchError {
        SearchError(e.to_string())
    }
}

impl From<SearchError> for crate::AppError {
    fn from(e: SearchError) -> crate::AppError {
        crate::AppError::Internal(e.to_string())
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    body: Field,
    meta: Field,
    category: Field,
    year: Field,
    issued: Field,
    doc_number: Field,
}

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub offset: usize,
    pub limit: usize,
}

/// One document found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: String,
    pub title: String,
    /// Byte ranges of the title to highlight.
    pub title_highlighted: Vec<Range<usize>>,
    pub category: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    pub doc_number: Option<String>,
    pub score: f32,
    /// A passage of the body and the byte ranges in it to highlight (sorted, not overlapping).
    pub snippet: String,
    pub highlighted: Vec<Range<usize>>,
}

/// A page of hits.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// How many documents match in all.
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// No document had every word; these match some of them.
    pub relaxed: bool,
    /// The words searched for, as segmented.
    pub words: Vec<String>,
}

/// The catalog index of one agency.
pub struct Catalog {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: Fields,
    /// Publication id → (year, category): the facet counts of the catalog page.
    docs: Mutex<HashMap<String, (i32, Option<String>)>>,
}

impl Catalog {
    /// An empty index (one indexing thread, a small memory budget).
    pub fn new() -> Result<Catalog, SearchError> {
        Catalog::with_threads(1, 20_000_000)
    }

    /// An empty index with `threads` indexing threads sharing `budget_bytes` (bulk loads).
    pub fn with_threads(threads: usize, budget_bytes: usize) -> Result<Catalog, SearchError> {
        let mut schema = Schema::builder();
        let words = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            id: schema.add_text_field("id", STRING | STORED),
            title: schema.add_text_field("title", words.clone().set_stored()),
            body: schema.add_text_field("body", words.clone().set_stored()),
            meta: schema.add_text_field("meta", words),
            category: schema.add_text_field("category", STRING | STORED),
            year: schema.add_i64_field("year", NumericOptions::default().set_indexed()),
            issued: schema.add_text_field("issued", STORED),
            doc_number: schema.add_text_field("doc_number", STORED),
        };
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register(TOKENIZER, TextAnalyzer::from(ChineseTokenizer));
        let writer = index.writer_with_num_threads(threads.max(1), budget_bytes.max(15_000_000))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Catalog {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            docs: Mutex::new(HashMap::new()),
        })
    }

    /// An index of `records` (one agency's publications), merged into one segment.
    pub fn build<'a>(
        records: impl IntoIterator<Item = &'a PublicationRecord>,
    ) -> Result<Catalog, SearchError> {
        let catalog = Catalog::with_threads(1, 40_000_000)?;
        catalog.add_all(records)?;
        Ok(catalog)
    }

    /// Add many records in one commit, then merge the segments (bulk load).
    pub fn add_all<'a>(
        &self,
        records: impl IntoIterator<Item = &'a PublicationRecord>,
    ) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        for record in records {
            let id = &record.publication.id;
            if docs.contains_key(id) {
                writer.delete_term(Term::from_field_text(self.fields.id, id));
            }
            writer.add_document(self.document(record))?;
            docs.insert(id.clone(), facet_of(record));
        }
        writer.commit()?;
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer
                .merge(&segments)
                .wait()
                .map_err(|e| SearchError(e.to_string()))?;
        }
        drop(docs);
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Add or replace one publication (by its id) and make it searchable.
    pub fn upsert(&self, record: &PublicationRecord) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let id = &record.publication.id;
        writer.delete_term(Term::from_field_text(self.fields.id, id));
        writer.add_document(self.document(record))?;
        writer.commit()?;
        drop(writer);
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), facet_of(record));
        self.reader.reload()?;
        Ok(())
    }

    /// Remove one publication.
    pub fn remove(&self, id: &str) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer.delete_term(Term::from_field_text(self.fields.id, id));
        writer.commit()?;
        drop(writer);
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        self.reader.reload()?;
        Ok(())
    }

    /// How many publications are indexed.
    pub fn len(&self) -> usize {
        self.docs.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Years with publications (newest first) and how many each, optionally in one category.
    pub fn years(&self, category: Option<&str>) -> Vec<(i32, usize)> {
        let docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        let mut years: BTreeMap<i32, usize> = BTreeMap::new();
        for (year, cat) in docs.values() {
            if category.is_none() || cat.as_deref() == category {
                *years.entry(*year).or_default() += 1;
            }
        }
        years.into_iter().rev().collect()
    }

    /// Categories and how many publications each has (by name).
    pub fn categories(&self) -> Vec<(String, usize)> {
        let docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        let mut cats: BTreeMap<String, usize> = BTreeMap::new();
        for (_, cat) in docs.values() {
            if let Some(c) = cat {
                *cats.entry(c.clone()).or_default() += 1;
            }
        }
        cats.into_iter().collect()
    }

    fn document(&self, record: &PublicationRecord) -> TantivyDocument {
        let p = &record.publication;
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &p.id);
        doc.add_text(f.title, &p.title);
        doc.add_text(f.body, &record.body);
        let meta: Vec<&str> = [
            p.doc_number.as_deref(),
            p.index_number.as_deref(),
            record.issuer.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !meta.is_empty() {
            doc.add_text(f.meta, meta.join(" "));
        }
        if let Some(c) = &p.category {
            doc.add_text(f.category, c);
        }
        doc.add_i64(f.year, i64::from(p.issued_on.year()));
        doc.add_text(f.issued, p.issued_on.to_string());
        if let Some(n) = &p.doc_number {
            doc.add_text(f.doc_number, n);
        }
        doc
    }

    /// A word matched in the title (boosted), the body or the metadata.
    fn word_query(&self, word: &str) -> Box<dyn Query> {
        let f = &self.fields;
        let term = |field: Field| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(term(f.title), TITLE_BOOST)),
            ),
            (Occur::Should, term(f.body)),
            (Occur::Should, term(f.meta)),
        ]))
    }

    /// The query for `text`: `strict` requires every word (each as itself or through all its
    /// parts); otherwise any word of any segmentation will do. `None` when the text has no
    /// word.
    fn text_query(&self, text: &str, strict: bool) -> (Option<Box<dyn Query>>, Vec<String>) {
        let mut seen = HashSet::new();
        let words: Vec<String> = jieba()
            .cut(text, true)
            .into_iter()
            .filter(|t| is_word(t.word))
            .map(|t| t.word.to_lowercase())
            .filter(|w| seen.insert(w.clone()))
            .collect();
        if words.is_empty() {
            return (None, words);
        }
        let query: Box<dyn Query> = if strict {
            let clauses = words
                .iter()
                .map(|word| {
                    let parts: Vec<String> = index_terms(word)
                        .into_iter()
                        .filter(|p| p != word)
                        .collect::<HashSet<_>>()
                        .into_iter()
                        .collect();
                    let whole = self.word_query(word);
                    let clause: Box<dyn Query> = if parts.len() >= 2 {
                        let all_parts = BooleanQuery::new(
                            parts
                                .iter()
                                .map(|p| (Occur::Must, self.word_query(p)))
                                .collect(),
                        );
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Should, whole),
                            (Occur::Should, Box::new(all_parts)),
                        ]))
                    } else {
                        whole
                    };
                    (Occur::Must, clause)
                })
                .collect();
            Box::new(BooleanQuery::new(clauses))
        } else {
            let mut all = HashSet::new();
            for word in &words {
                all.insert(word.clone());
                all.extend(index_terms(word));
            }
            let mut all: Vec<String> = all.into_iter().collect();
            all.sort();
            Box::new(BooleanQuery::new(
                all.iter()
                    .map(|w| (Occur::Should, self.word_query(w)))
                    .collect(),
            ))
        };
        (Some(query), words)
    }

    /// Restrict `query` to a category and a year (filters that do not change the ranking).
    fn filtered(&self, query: Box<dyn Query>, q: &SearchQuery) -> Box<dyn Query> {
        let mut clauses = vec![(Occur::Must, query)];
        let filter = |term: Term| -> (Occur, Box<dyn Query>) {
            (
                Occur::Must,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    0.0,
                )),
            )
        };
        if let Some(c) = &q.category {
            clauses.push(filter(Term::from_field_text(self.fields.category, c)));
        }
        if let Some(y) = q.year {
            clauses.push(filter(Term::from_field_i64(self.fields.year, i64::from(y))));
        }
        if clauses.len() == 1 {
            if let Some((_, only)) = clauses.pop() {
                return only;
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Search: best matches first, title matches above body matches.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 200);
        let mut relaxed = false;
        let (mut query, words) = self.text_query(&q.text, true);
        let Some(strict) = query.take() else {
            return Ok(SearchResults::default());
        };
        let mut query = self.filtered(strict, q);
        let collector = (
            TopDocs::with_limit(limit)
                .and_offset(q.offset)
                .order_by_score(),
            Count,
        );
        let (mut top, mut total) = searcher.search(&*query, &collector)?;
        if total == 0 {
            if let (Some(loose), _) = self.text_query(&q.text, false) {
                query = self.filtered(loose, q);
                (top, total) = searcher.search(&*query, &collector)?;
                relaxed = total > 0;
            }
        }
        let mut snippets = SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        snippets.set_max_num_chars(160);
        // Every word and part searched for, to mark in titles.
        let mut marks: Vec<String> = words.iter().flat_map(|w| index_terms(w)).collect();
        marks.extend(words.iter().cloned());
        marks.sort();
        marks.dedup();
        let f = &self.fields;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let snippet = snippets.snippet_from_doc(&doc);
            let (snippet, highlighted) = if snippet.fragment().is_empty() {
                let body = text(f.body).unwrap_or_default();
                (body.chars().take(120).collect(), Vec::new())
            } else {
                (
                    snippet.fragment().to_string(),
                    merge_ranges(snippet.highlighted()),
                )
            };
            let title = text(f.title).unwrap_or_default();
            let title_highlighted = occurrences(&title, &marks);
            hits.push(SearchHit {
                id: text(f.id).unwrap_or_default(),
                title,
                title_highlighted,
                category: text(f.category),
                issued_on: text(f.issued).unwrap_or_default(),
                doc_number: text(f.doc_number),
                score,
                snippet,
                highlighted,
            });
        }
        Ok(SearchResults {
            total,
            hits,
            relaxed,
            words,
        })
    }
}

fn facet_of(record: &PublicationRecord) -> (i32, Option<String>) {
    (
        record.publication.issued_on.year(),
        record.publication.category.clone(),
    )
}

/// Byte ranges of every occurrence of `terms` in `text` (ASCII case ignored), merged.
fn occurrences(text: &str, terms: &[String]) -> Vec<Range<usize>> {
    let folded = text.to_ascii_lowercase();
    let mut ranges = Vec::new();
    for term in terms.iter().filter(|t| !t.is_empty()) {
        ranges.extend(
            folded
                .match_indices(term.as_str())
                .map(|(i, m)| i..i + m.len()),
        );
    }
    merge_ranges(&ranges)
}

/// Sort and merge overlapping highlight ranges (search-mode tokens overlap: 公共 / 公共资源).
fn merge_ranges(ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted: Vec<Range<usize>> = ranges.to_vec();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongkai_core::date::Date;
    use gongkai_core::register::{Publication, PublicationKind};
    use gongkai_store::AgencyId;

    fn record(id: &str, title: &str, body: &str, category: &str, year: i32) -> PublicationRecord {
        PublicationRecord {
            agency: AgencyId(1),
            publication: Publication {
                id: id.into(),
                title: title.into(),
                kind: PublicationKind::Other,
                doc_number: None,
                index_number: None,
                category: Some(category.into()),
                issued_on: Date::new(year, 3, 1).unwrap(),
                published_on: None,
                repealed_on: None,
            },
            issuer: None,
            body: body.into(),
        }
    }

    #[test]
    fn search_mode_splits_compounds() {
        let terms = index_terms("公共资源交易中心");
        for w in ["公共", "资源", "交易", "中心"] {
            assert!(terms.contains(&w.to_string()), "{w} in {terms:?}");
        }
    }

    #[test]
    fn finds_words_inside_compounds_and_ranks_titles_first() {
        let records = [
            record(
                "a",
                "关于调整办公用房的通知",
                "市公共资源交易中心将于下月搬迁。",
                "通知公告",
                2024,
            ),
            record(
                "b",
                "公共资源交易管理办法",
                "本办法自发布之日起施行。",
                "规章",
                2023,
            ),
            record("c", "年度预算", "财政预算执行情况。", "财政", 2024),
        ];
        let catalog = Catalog::build(records.iter()).unwrap();
        let found = catalog
            .search(&SearchQuery {
                text: "交易".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert!(!found.relaxed);
        // Filters.
        let in_2024 = catalog
            .search(&SearchQuery {
                text: "交易".into(),
                year: Some(2024),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(in_2024.hits.len(), 1);
        assert_eq!(in_2024.hits[0].id, "a");
        // A compound query found through its parts.
        let compound = catalog
            .search(&SearchQuery {
                text: "资源交易中心".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(compound.hits.first().map(|h| h.id.as_str()), Some("a"));
        // Replace and remove.
        catalog
            .upsert(&record("c", "公共资源交易年报", "", "财政", 2024))
            .unwrap();
        assert_eq!(catalog.len(), 3);
        catalog.remove("a").unwrap();
        let after = catalog
            .search(&SearchQuery {
                text: "交易".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let mut ids: Vec<&str> = after.hits.iter().map(|h| h.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["b", "c"]);
        assert_eq!(catalog.years(None), vec![(2024, 1), (2023, 1)]);
    }
}
