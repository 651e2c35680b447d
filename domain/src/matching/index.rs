//! An in-memory inverted index (倒排索引) ranked with BM25F: BM25 over several weighted fields.
//!
//! For a query term `t` with weight `q_t` and a document `d`:
//!
//! ```text
//! tf~(t, d)  = Σ_f  w_f · tf(t, d, f) / (1 − b_f + b_f · len(d, f) / avglen(f))
//! idf(t)     = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
//! text(d)    = Σ_t  q_t · idf(t) · tf~ · (k1 + 1) / (tf~ + k1)
//! score(d)   = text(d) · (1 + industry_boost · [industry match])
//!                      · (1 + prefecture_boost · [same 盟市]  or  province_boost · [same 省])
//! ```
//!
//! Postings hold `tf~` precomputed with the field-length averages of the last normalisation; the
//! averages are recomputed, and the postings with them, whenever they drift by more than
//! [`RENORMALIZE_DRIFT`] (rare once the index holds more than a few hundred documents).
//! Documents also keep their own term list (forward index), used to remove them and to explain a
//! hit.

use super::analyzer::Analyzer;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::marker::PhantomData;
use std::sync::Arc;

/// Most fields a document type may have.
pub const MAX_FIELDS: usize = 4;

/// Relative drift of a field's average length that triggers a renormalisation.
pub const RENORMALIZE_DRIFT: f64 = 0.05;

/// Most matched terms a hit's reasons list.
pub const MAX_REASON_TERMS: usize = 8;

/// A field of a document type: its name, BM25F weight `w_f` and length normalisation `b_f`.
/// The same weight applies to the terms of that field when a document is used as a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub weight: f32,
    pub b: f32,
}

/// Something the index can hold: a challenge (榜单) or an organisation's capability profile.
pub trait Document {
    /// Stable id (the database id).
    fn id(&self) -> &str;
    /// The texts of the fields, in the order of the index's [`FieldSpec`]s.
    fn field_texts(&self) -> Vec<Cow<'_, str>>;
    /// Industries (产业领域) of the document.
    fn industries(&self) -> Vec<&str>;
    /// GB/T 2260 region code, `""` when unknown.
    fn region_code(&self) -> &str;
}

/// Scoring constants shared by both directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scoring {
    /// BM25 term-frequency saturation in documents.
    pub k1: f32,
    /// BM25 term-frequency saturation in queries (0: a repeated query term counts once).
    pub k3: f32,
    /// Weight of a sub-word (`制氢` inside `电解水制氢`) relative to a whole word, in queries.
    pub sub_word_weight: f32,
    /// Multiplier bonus when the industries match.
    pub industry_boost: f32,
    /// Multiplier bonus for the same province (省/自治区).
    pub province_boost: f32,
    /// Multiplier bonus for the same prefecture (盟市), replacing the province bonus.
    pub prefecture_boost: f32,
}

/// How close two regions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionMatch {
    /// Different provinces, or a region is unknown.
    None,
    /// Same province (省/自治区), different or unknown prefecture.
    SameProvince,
    /// Same prefecture (盟市).
    SamePrefecture,
}

impl RegionMatch {
    /// Compares two GB/T 2260 codes.
    pub fn between(a: &str, b: &str) -> RegionMatch {
        region_match(parse_region(a), parse_region(b))
    }
}

/// Why a document was recommended (推荐理由).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reasons {
    /// Terms the query and the document share, most telling first; a term contained in a longer
    /// matched term is left out (`电解水制氢` rather than also `制氢`).
    pub matched_terms: Vec<String>,
    /// The document's industry that matched one of the query's, if any.
    pub matched_industry: Option<String>,
    /// How close the regions are.
    pub region: RegionMatch,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    pub reasons: Reasons,
}

/// A weighted query term.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    pub term: String,
    pub weight: f32,
}

/// What to look for: weighted terms plus the industry and region signals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub terms: Vec<QueryTerm>,
    pub industries: Vec<String>,
    pub region_code: String,
}

impl Query {
    /// Analyses weighted texts into query terms. A term's weight is the largest weight of the
    /// texts it occurs in (times `sub_word_weight` where it is only a sub-word), raised for
    /// repeats as BM25 does for query terms: `· (k3 + 1) · n / (k3 + n)` for `n` occurrences.
    pub fn from_texts(analyzer: &Analyzer, texts: &[(&str, f32)], scoring: &Scoring) -> Query {
        let mut weights: FxHashMap<String, (f32, u32)> = FxHashMap::default();
        let mut order = Vec::new();
        for (text, weight) in texts {
            for token in analyzer.tokens(text) {
                let w = if token.sub {
                    weight * scoring.sub_word_weight
                } else {
                    *weight
                };
                match weights.get_mut(&token.term) {
                    Some((old, n)) => {
                        *old = old.max(w);
                        *n += 1;
                    }
                    None => {
                        order.push(token.term.clone());
                        weights.insert(token.term, (w, 1));
                    }
                }
            }
        }
        let k3 = scoring.k3;
        let terms = order
            .into_iter()
            .map(|term| {
                let (w, n) = weights[&term];
                let n = n as f32;
                QueryTerm {
                    weight: w * (k3 + 1.0) * n / (k3 + n),
                    term,
                }
            })
            .collect();
        Query {
            terms,
            industries: Vec::new(),
            region_code: String::new(),
        }
    }

    /// A query made of a document of another kind, its fields weighted as `fields` says.
    pub fn from_document<D: Document>(
        analyzer: &Analyzer,
        doc: &D,
        fields: &[FieldSpec],
        scoring: &Scoring,
    ) -> Query {
        let texts = doc.field_texts();
        let weighted: Vec<(&str, f32)> = texts
            .iter()
            .zip(fields)
            .map(|(t, f)| (t.as_ref(), f.weight))
            .collect();
        let mut q = Query::from_texts(analyzer, &weighted, scoring);
        q.industries = doc.industries().into_iter().map(str::to_owned).collect();
        q.region_code = doc.region_code().to_owned();
        q
    }
}

/// A posting: a document slot and the term's weighted, length-normalised frequency `tf~` there.
#[derive(Debug, Clone, Copy)]
struct Posting {
    slot: u32,
    wtf: f32,
}

/// A term of a document with its raw frequency in each field.
#[derive(Debug, Clone, Copy)]
struct DocTerm {
    term: u32,
    tf: [u16; MAX_FIELDS],
}

#[derive(Debug, Clone)]
struct Slot {
    id: Box<str>,
    /// Sorted by term id.
    terms: Box<[DocTerm]>,
    lens: [u32; MAX_FIELDS],
    industries: Box<[u32]>,
    region: u32,
}

/// A document analysed, not yet in the index (analysis runs in parallel during a build).
struct Analyzed {
    id: String,
    terms: Vec<(String, [u16; MAX_FIELDS])>,
    lens: [u32; MAX_FIELDS],
    industries: Vec<String>,
    region: u32,
}

/// The BM25F index of one document type. `Send + Sync`: share it behind an `RwLock`; searches
/// take `&self`, updates `&mut self`.
#[derive(Debug, Clone)]
pub struct Index<T> {
    analyzer: Arc<Analyzer>,
    fields: Vec<FieldSpec>,
    scoring: Scoring,
    term_ids: FxHashMap<Box<str>, u32>,
    term_texts: Vec<Box<str>>,
    postings: Vec<Vec<Posting>>,
    slots: Vec<Option<Slot>>,
    /// Each slot's order key (`set_order`; 0 until set): the order keyword matches are listed in.
    orders: Vec<i64>,
    free: Vec<u32>,
    slot_of: FxHashMap<Box<str>, u32>,
    industry_ids: FxHashMap<Box<str>, u32>,
    industry_names: Vec<Box<str>>,
    total_lens: [u64; MAX_FIELDS],
    /// Average field lengths the postings' `tf~` were computed with.
    norm_avgs: [f64; MAX_FIELDS],
    _doc: PhantomData<fn(&T)>,
}

impl<T: Document + Sync> Index<T> {
    /// An empty index whose documents have `fields` (at most [`MAX_FIELDS`]).
    pub fn new(analyzer: Arc<Analyzer>, fields: &[FieldSpec], scoring: Scoring) -> Self {
        assert!(fields.len() <= MAX_FIELDS, "at most {MAX_FIELDS} fields");
        Index {
            analyzer,
            fields: fields.to_vec(),
            scoring,
            term_ids: FxHashMap::default(),
            term_texts: Vec::new(),
            postings: Vec::new(),
            slots: Vec::new(),
            orders: Vec::new(),
            free: Vec::new(),
            slot_of: FxHashMap::default(),
            industry_ids: FxHashMap::default(),
            industry_names: Vec::new(),
            total_lens: [0; MAX_FIELDS],
            norm_avgs: [0.0; MAX_FIELDS],
            _doc: PhantomData,
        }
    }

    /// An index of `docs`, analysed on all cores. A later document with the id of an earlier one
    /// replaces it.
    pub fn build(
        analyzer: Arc<Analyzer>,
        fields: &[FieldSpec],
        scoring: Scoring,
        docs: &[T],
    ) -> Self {
        /// Documents analysed at a time: bounds the memory the analysis holds before insertion.
        const BATCH: usize = 4096;
        let mut index = Self::new(analyzer, fields, scoring);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for batch in docs.chunks(BATCH) {
            let chunk = batch.len().div_ceil(threads).max(1);
            let analyzed: Vec<Vec<Analyzed>> = std::thread::scope(|s| {
                let index = &index;
                let handles: Vec<_> = batch
                    .chunks(chunk)
                    .map(|part| s.spawn(move || part.iter().map(|d| index.analyze(d)).collect()))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("analysis thread"))
                    .collect()
            });
            for doc in analyzed.into_iter().flatten() {
                index.insert(doc, false);
            }
        }
        index.renormalize();
        index
    }

    /// Adds `doc` or replaces the document with its id.
    pub fn upsert(&mut self, doc: &T) {
        let analyzed = self.analyze(doc);
        self.insert(analyzed, true);
    }

    /// Removes the document `id`; false if it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slot_of.remove(id) else {
            return false;
        };
        let doc = self.slots[slot as usize]
            .take()
            .expect("mapped slot is live");
        for t in doc.terms.iter() {
            let list = &mut self.postings[t.term as usize];
            if let Some(pos) = list.iter().position(|p| p.slot == slot) {
                list.swap_remove(pos);
            }
        }
        for (total, len) in self.total_lens.iter_mut().zip(doc.lens) {
            *total -= u64::from(len);
        }
        self.free.push(slot);
        self.renormalize_if_drifted();
        true
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Whether the document `id` is indexed.
    pub fn contains(&self, id: &str) -> bool {
        self.slot_of.contains_key(id)
    }

    /// The analyser the index cuts text with.
    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    /// The fields of its documents.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    /// Number of distinct terms.
    pub fn vocabulary_len(&self) -> usize {
        self.term_ids.len()
    }

    /// An estimate of the heap memory the index holds, in bytes.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let terms: usize = self.term_texts.iter().map(|t| t.len()).sum();
        let postings: usize = self
            .postings
            .iter()
            .map(|p| p.capacity() * size_of::<Posting>() + size_of::<Vec<Posting>>())
            .sum();
        let slots: usize = self
            .slots
            .iter()
            .flatten()
            .map(|s| {
                s.id.len() * 2
                    + s.terms.len() * size_of::<DocTerm>()
                    + s.industries.len() * size_of::<u32>()
            })
            .sum::<usize>()
            + self.slots.capacity() * size_of::<Option<Slot>>();
        // hash maps: ~ (key + value + control byte) / load factor
        let maps = (self.term_ids.capacity() + self.slot_of.capacity())
            * (size_of::<Box<str>>() + size_of::<u32>() + 1);
        terms * 2 + self.term_texts.capacity() * size_of::<Box<str>>() + postings + slots + maps
    }

    /// The best `k` documents for `query` among those whose id passes `filter`, best first (ties
    /// by id). Only documents sharing at least one term with the query are returned.
    pub fn search(&self, query: &Query, k: usize, filter: impl Fn(&str) -> bool) -> Vec<Hit> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let weighted = self.weighted_terms(query);
        let mut acc = vec![0f32; self.slots.len()];
        let k1 = self.scoring.k1;
        for &(term, w) in &weighted {
            for p in &self.postings[term as usize] {
                acc[p.slot as usize] += w * p.wtf * (k1 + 1.0) / (p.wtf + k1);
            }
        }
        let industry_match = self.industry_matches(&query.industries);
        let query_region = parse_region(&query.region_code);
        let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(k + 1);
        for (slot, &text) in acc.iter().enumerate() {
            if text <= 0.0 {
                continue;
            }
            let doc = self.slots[slot].as_ref().expect("scored slots are live");
            let score = text * self.boost(doc, &industry_match, query_region);
            if heap.len() == k && score <= heap.peek().expect("k > 0").score {
                continue;
            }
            if !filter(&doc.id) {
                continue;
            }
            heap.push(Entry {
                score,
                slot: slot as u32,
            });
            if heap.len() > k {
                heap.pop();
            }
        }
        let mut hits: Vec<(f32, u32)> = heap.into_iter().map(|e| (e.score, e.slot)).collect();
        hits.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.slot(a.1).id.cmp(&self.slot(b.1).id))
        });
        hits.into_iter()
            .map(|(score, slot)| Hit {
                id: self.slot(slot).id.to_string(),
                score,
                reasons: self.reasons(slot, &weighted, &industry_match, query_region),
            })
            .collect()
    }

    /// Ids of the documents that contain every word of `q` (a word or, failing that, all the
    /// dictionary sub-words inside it), ranked by BM25F. `None` when `q` has no searchable term
    /// (only stop words, numbers or punctuation): the caller decides what that means.
    pub fn keyword_search(&self, q: &str) -> Option<Vec<String>> {
        let matching = self.matching_slots(q)?;
        let query = Query::from_texts(&self.analyzer, &[(q, 1.0)], &self.scoring);
        let weighted = self.weighted_terms(&query);
        let k1 = self.scoring.k1;
        let mut acc = vec![0f32; self.slots.len()];
        for &(term, w) in &weighted {
            for p in &self.postings[term as usize] {
                acc[p.slot as usize] += w * p.wtf * (k1 + 1.0) / (p.wtf + k1);
            }
        }
        let mut found: Vec<(f32, &str)> = matching
            .into_iter()
            .map(|slot| (acc[slot as usize], &*self.slot(slot).id))
            .collect();
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        Some(found.into_iter().map(|(_, id)| id.to_owned()).collect())
    }

    /// Sets the order key of document `id` (for challenges, the publication time), by which
    /// [`keyword_matches`](Self::keyword_matches) lists them; false if `id` is not indexed. An
    /// upsert resets it to 0.
    pub fn set_order(&mut self, id: &str, order: i64) -> bool {
        match self.slot_of.get(id) {
            Some(&slot) => {
                self.orders[slot as usize] = order;
                true
            }
            None => false,
        }
    }

    /// The same documents as [`keyword_search`](Self::keyword_search), unranked: by order key
    /// then id, greatest first, only those before `before` (an `(order, id)` bound, exclusive),
    /// borrowed from the index. For a caller that pages through them newest first and stops when
    /// its page is full, looking at no more of them than that.
    pub fn keyword_matches(&self, q: &str, before: Option<(i64, &str)>) -> Option<Vec<&str>> {
        let mut found: Vec<(i64, u32)> = self
            .matching_slots(q)?
            .into_iter()
            .map(|slot| (self.orders[slot as usize], slot))
            .filter(|&(order, slot)| {
                before.is_none_or(|(o, id)| (order, &*self.slot(slot).id) < (o, id))
            })
            .collect();
        // ties in the order key (rare) are broken by id
        found.sort_unstable_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| self.slot(b.1).id.cmp(&self.slot(a.1).id))
        });
        Some(
            found
                .into_iter()
                .map(|(_, slot)| &*self.slot(slot).id)
                .collect(),
        )
    }

    /// The slots of the documents that contain every word of `q` (see `keyword_search`).
    fn matching_slots(&self, q: &str) -> Option<Vec<u32>> {
        // group each word with its sub-words
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut repeated = false;
        for token in self.analyzer.tokens(q) {
            if token.sub {
                if let (Some(g), false) = (groups.last_mut(), repeated) {
                    g.1.push(token.term);
                }
            } else {
                repeated = groups.iter().any(|g| g.0 == token.term);
                if !repeated {
                    groups.push((token.term, Vec::new()));
                }
            }
        }
        if groups.is_empty() {
            return None;
        }
        // per-slot counters, kept per thread between searches: vectors the size of the index,
        // allocated and freed on every search, cost more in page faults than the search itself
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Vec<u16>, Vec<bool>, Vec<u16>)> =
                const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
        }
        SCRATCH.with_borrow_mut(|(satisfied, seen, count)| {
            let len = self.slots.len();
            satisfied.clear();
            satisfied.resize(len, 0);
            seen.resize(len, false);
            for (n, (word, subs)) in groups.iter().enumerate() {
                seen.iter_mut().for_each(|s| *s = false);
                for p in self.postings_of(word) {
                    seen[p.slot as usize] = true;
                }
                if !subs.is_empty() {
                    count.clear();
                    count.resize(len, 0);
                    for sub in subs {
                        for p in self.postings_of(sub) {
                            count[p.slot as usize] += 1;
                        }
                    }
                    for (s, c) in seen.iter_mut().zip(count.iter()) {
                        *s |= usize::from(*c) == subs.len();
                    }
                }
                for (sat, s) in satisfied.iter_mut().zip(seen.iter()) {
                    if *s && usize::from(*sat) == n {
                        *sat += 1;
                    }
                }
            }
            Some(
                satisfied
                    .iter()
                    .enumerate()
                    .filter(|(_, &s)| usize::from(s) == groups.len())
                    .map(|(slot, _)| slot as u32)
                    .collect(),
            )
        })
    }

    fn postings_of(&self, term: &str) -> &[Posting] {
        self.term_ids
            .get(term)
            .map_or(&[], |&t| &self.postings[t as usize])
    }

    fn slot(&self, slot: u32) -> &Slot {
        self.slots[slot as usize].as_ref().expect("live slot")
    }

    /// Query terms known to the index with `q_t · idf(t)`.
    fn weighted_terms(&self, query: &Query) -> Vec<(u32, f32)> {
        let n = self.len() as f32;
        query
            .terms
            .iter()
            .filter_map(|qt| {
                let &term = self.term_ids.get(qt.term.as_str())?;
                let df = self.postings[term as usize].len() as f32;
                if df == 0.0 {
                    return None;
                }
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                Some((term, qt.weight * idf))
            })
            .collect()
    }

    /// For each interned industry of the index, whether it matches one of `query`'s.
    fn industry_matches(&self, query: &[String]) -> Vec<bool> {
        self.industry_names
            .iter()
            .map(|name| query.iter().any(|q| industries_match(name, q)))
            .collect()
    }

    fn matched_industry(&self, doc: &Slot, matches: &[bool]) -> Option<u32> {
        doc.industries
            .iter()
            .copied()
            .find(|&i| matches[i as usize])
    }

    fn boost(&self, doc: &Slot, matches: &[bool], query_region: u32) -> f32 {
        let s = &self.scoring;
        let industry = if self.matched_industry(doc, matches).is_some() {
            1.0 + s.industry_boost
        } else {
            1.0
        };
        let region = match region_match(doc.region, query_region) {
            RegionMatch::SamePrefecture => 1.0 + s.prefecture_boost,
            RegionMatch::SameProvince => 1.0 + s.province_boost,
            RegionMatch::None => 1.0,
        };
        industry * region
    }

    fn reasons(
        &self,
        slot: u32,
        weighted: &[(u32, f32)],
        industry_match: &[bool],
        query_region: u32,
    ) -> Reasons {
        let doc = self.slot(slot);
        let k1 = self.scoring.k1;
        let mut matched: Vec<(f32, &str)> = weighted
            .iter()
            .filter_map(|&(term, w)| {
                let i = doc.terms.binary_search_by_key(&term, |t| t.term).ok()?;
                let wtf = self.wtf(&doc.terms[i].tf, &doc.lens);
                Some((
                    w * wtf * (k1 + 1.0) / (wtf + k1),
                    &*self.term_texts[term as usize],
                ))
            })
            .collect();
        matched.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut terms: Vec<String> = Vec::new();
        for (_, term) in &matched {
            let inside_another = matched
                .iter()
                .any(|(_, other)| other.len() > term.len() && other.contains(term));
            if !inside_another && terms.len() < MAX_REASON_TERMS {
                terms.push((*term).to_owned());
            }
        }
        Reasons {
            matched_terms: terms,
            matched_industry: self
                .matched_industry(doc, industry_match)
                .map(|i| self.industry_names[i as usize].to_string()),
            region: region_match(doc.region, query_region),
        }
    }

    fn analyze(&self, doc: &T) -> Analyzed {
        let mut counts: FxHashMap<String, [u16; MAX_FIELDS]> = FxHashMap::default();
        let mut lens = [0u32; MAX_FIELDS];
        for (f, text) in doc.field_texts().iter().enumerate().take(self.fields.len()) {
            for token in self.analyzer.tokens(text) {
                lens[f] += 1;
                let tf = counts.entry(token.term).or_default();
                tf[f] = tf[f].saturating_add(1);
            }
        }
        Analyzed {
            id: doc.id().to_owned(),
            terms: counts.into_iter().collect(),
            lens,
            industries: doc.industries().into_iter().map(str::to_owned).collect(),
            region: parse_region(doc.region_code()),
        }
    }

    fn insert(&mut self, doc: Analyzed, renormalize: bool) {
        if self.slot_of.contains_key(doc.id.as_str()) {
            self.remove(&doc.id);
        }
        let mut terms: Vec<DocTerm> = doc
            .terms
            .into_iter()
            .map(|(text, tf)| DocTerm {
                term: self.intern_term(text),
                tf,
            })
            .collect();
        terms.sort_unstable_by_key(|t| t.term);
        let industries = doc
            .industries
            .into_iter()
            .map(|i| self.intern_industry(i))
            .collect();
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.orders.push(0);
                (self.slots.len() - 1) as u32
            }
        };
        self.orders[slot as usize] = 0;
        for (total, len) in self.total_lens.iter_mut().zip(doc.lens) {
            *total += u64::from(len);
        }
        self.slot_of.insert(doc.id.clone().into_boxed_str(), slot);
        let new = Slot {
            id: doc.id.into_boxed_str(),
            terms: terms.into_boxed_slice(),
            lens: doc.lens,
            industries,
            region: doc.region,
        };
        if renormalize {
            if self.norm_avgs.iter().all(|&a| a == 0.0) {
                self.norm_avgs = self.averages();
            }
            for t in new.terms.iter() {
                let wtf = self.wtf(&t.tf, &new.lens);
                self.postings[t.term as usize].push(Posting { slot, wtf });
            }
            self.slots[slot as usize] = Some(new);
            self.renormalize_if_drifted();
        } else {
            // a build fills the postings in one pass at the end
            self.slots[slot as usize] = Some(new);
        }
    }

    fn intern_term(&mut self, text: String) -> u32 {
        if let Some(&id) = self.term_ids.get(text.as_str()) {
            return id;
        }
        let id = self.term_texts.len() as u32;
        let text = text.into_boxed_str();
        self.term_texts.push(text.clone());
        self.term_ids.insert(text, id);
        self.postings.push(Vec::new());
        id
    }

    fn intern_industry(&mut self, name: String) -> u32 {
        if let Some(&id) = self.industry_ids.get(name.as_str()) {
            return id;
        }
        let id = self.industry_names.len() as u32;
        let name = name.into_boxed_str();
        self.industry_names.push(name.clone());
        self.industry_ids.insert(name, id);
        id
    }

    fn averages(&self) -> [f64; MAX_FIELDS] {
        let n = self.len().max(1) as f64;
        self.total_lens.map(|t| t as f64 / n)
    }

    fn renormalize_if_drifted(&mut self) {
        let now = self.averages();
        let drifted = now.iter().zip(&self.norm_avgs).any(|(&now, &then)| {
            let scale = then.max(now).max(1.0);
            (now - then).abs() / scale > RENORMALIZE_DRIFT
        });
        if drifted {
            self.renormalize();
        }
    }

    /// Recomputes the averages and every posting from the documents' own term lists.
    fn renormalize(&mut self) {
        self.norm_avgs = self.averages();
        // exact sizes: a posting list grown by doubling holds up to twice what it needs
        let mut df = vec![0usize; self.postings.len()];
        for doc in self.slots.iter().flatten() {
            for t in doc.terms.iter() {
                df[t.term as usize] += 1;
            }
        }
        for (list, df) in self.postings.iter_mut().zip(df) {
            *list = Vec::with_capacity(df);
        }
        for (slot, doc) in self.slots.iter().enumerate() {
            let Some(doc) = doc else { continue };
            for t in doc.terms.iter() {
                let wtf = wtf(&self.fields, &self.norm_avgs, &t.tf, &doc.lens);
                self.postings[t.term as usize].push(Posting {
                    slot: slot as u32,
                    wtf,
                });
            }
        }
    }

    fn wtf(&self, tf: &[u16; MAX_FIELDS], lens: &[u32; MAX_FIELDS]) -> f32 {
        wtf(&self.fields, &self.norm_avgs, tf, lens)
    }
}

/// `tf~ = Σ_f w_f · tf_f / (1 − b_f + b_f · len_f / avg_f)`.
fn wtf(
    fields: &[FieldSpec],
    avgs: &[f64; MAX_FIELDS],
    tf: &[u16; MAX_FIELDS],
    lens: &[u32; MAX_FIELDS],
) -> f32 {
    let mut sum = 0f64;
    for (f, spec) in fields.iter().enumerate() {
        if tf[f] == 0 {
            continue;
        }
        let b = f64::from(spec.b);
        let norm = if avgs[f] > 0.0 {
            1.0 - b + b * f64::from(lens[f]) / avgs[f]
        } else {
            1.0
        };
        sum += f64::from(spec.weight) * f64::from(tf[f]) / norm;
    }
    sum as f32
}

/// A heap entry ordered so that the heap's top is the worst kept hit.
#[derive(Debug, Clone, Copy)]
struct Entry {
    score: f32,
    slot: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // reversed: the smallest score is the greatest entry; among equals, the later slot
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.slot.cmp(&other.slot))
    }
}

/// A 6-digit region code as a number, 0 when missing or malformed.
fn parse_region(code: &str) -> u32 {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        code.parse().unwrap_or(0)
    } else {
        0
    }
}

fn region_match(a: u32, b: u32) -> RegionMatch {
    if a == 0 || b == 0 || a / 10_000 != b / 10_000 {
        return RegionMatch::None;
    }
    // a province-level code (`150000`) names no prefecture
    let prefecture = |c: u32| (c / 10_000 * 10_000 != c).then_some(c / 100);
    match (prefecture(a), prefecture(b)) {
        (Some(x), Some(y)) if x == y => RegionMatch::SamePrefecture,
        _ => RegionMatch::SameProvince,
    }
}

/// Whether two industry names (产业领域) designate the same field: equal, one containing the other
/// (`中医药(蒙医药)` and `蒙医药`), or the same first two characters (`生态环保` and `生态保护`).
pub fn industries_match(a: &str, b: &str) -> bool {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && !"()（）".contains(*c))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (a, b) = (clean(a), clean(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if short.chars().count() >= 2 && long.contains(short.as_str()) {
        return true;
    }
    let head = |s: &str| s.chars().take(2).collect::<String>();
    a.chars().count() >= 3 && b.chars().count() >= 3 && head(&a) == head(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_compare_by_province_then_prefecture() {
        assert_eq!(
            RegionMatch::between("150602", "150600"),
            RegionMatch::SamePrefecture
        );
        assert_eq!(
            RegionMatch::between("150602", "150203"),
            RegionMatch::SameProvince
        );
        assert_eq!(
            RegionMatch::between("150000", "150203"),
            RegionMatch::SameProvince
        );
        assert_eq!(RegionMatch::between("110000", "150203"), RegionMatch::None);
        assert_eq!(RegionMatch::between("", "150203"), RegionMatch::None);
    }

    #[test]
    fn industries_match_loosely() {
        assert!(industries_match("种业", "种业"));
        assert!(industries_match("中医药(蒙医药)", "蒙医药"));
        assert!(industries_match("生态环保", "生态保护"));
        assert!(!industries_match("新材料", "新能源"));
        assert!(!industries_match("种业", "农牧业"));
        assert!(!industries_match("", "种业"));
    }
}
