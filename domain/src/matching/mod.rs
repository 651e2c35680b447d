//! Matching (供需匹配): open challenges (榜单) ranked for an organisation, and organisations ranked
//! for a challenge, each hit with its reasons (推荐理由). Also the keyword search of the challenge
//! list.
//!
//! - [`Analyzer`] cuts Chinese text into words with jieba and the programme's domain dictionary
//!   (`data/matching-dictionary.txt`), adds the dictionary sub-words of long words and drops stop
//!   words (`data/matching-stopwords.txt`).
//! - [`Index`] is an in-memory BM25F index over weighted fields, with industry and region
//!   multipliers; see its module for the formula.
//! - [`Matcher`] holds one index of challenges and one of capability profiles (能力画像) and is
//!   what the API shares (`Send + Sync`, behind an `RwLock`): rebuilt at start with
//!   [`Matcher::build`], kept current with `upsert_*`/`remove_*` on publication, amendment,
//!   closing and profile changes.
//! - [`eval`] measures the ranking on the evaluation set in `data/matching-eval/`.
//!
//! `docs/matching.md` explains the choices and gives the evaluation and benchmark figures.

pub mod analyzer;
pub mod eval;
pub mod index;

pub use analyzer::{Analyzer, Token};
pub use index::{
    industries_match, Document, FieldSpec, Hit, Index, Query, QueryTerm, Reasons, RegionMatch,
    Scoring,
};

use crate::challenge::Terms;
use std::borrow::Cow;
use std::sync::Arc;

/// A text of one side of a recommendation that speaks to the other side, with the terms they
/// share: a KPI (考核指标) of the challenge, or a past project (代表性项目) or platform of the
/// organisation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Answer {
    pub text: String,
    pub terms: Vec<String>,
}

/// The reasons of a recommendation that a person can check against the two texts
/// ([`Matcher::evidence`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// The challenge's KPIs the organisation's profile speaks to.
    pub kpis: Vec<Answer>,
    /// The organisation's past projects and platforms that speak to the challenge.
    pub projects: Vec<Answer>,
}

/// What the matcher knows of a challenge (榜单).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChallengeDoc {
    pub id: String,
    pub title: String,
    /// Industry (产业领域), one of the configured list (`种业`, `新能源`, …).
    pub industry: String,
    /// Industry chain (产业链), free text (`氢能`, `肉牛`).
    pub industry_chain: String,
    /// The KPIs (考核指标) as text: names, targets, units.
    pub kpis_text: String,
    /// The problem (技术难题), expected outcomes and any other free text.
    pub body_text: String,
    /// GB/T 2260 code of the publisher.
    pub region_code: String,
}

impl ChallengeDoc {
    /// Each KPI (考核指标) of `terms` as one text: name, target and unit (`单槽产氢量 ≥1000Nm³/h`).
    pub fn kpi_texts(terms: &Terms) -> Vec<String> {
        terms
            .kpis
            .iter()
            .map(|k| format!("{} {}{}", k.name, k.target, k.unit))
            .collect()
    }

    /// The document of a challenge's validated terms.
    pub fn from_terms(id: &str, terms: &Terms, region_code: &str) -> ChallengeDoc {
        let kpis = Self::kpi_texts(terms).join("；");
        ChallengeDoc {
            id: id.to_owned(),
            title: terms.title.clone(),
            industry: terms.industry.clone(),
            industry_chain: terms.industry_chain.clone(),
            kpis_text: kpis,
            body_text: format!("{}\n{}", terms.problem, terms.expected_outcomes),
            region_code: region_code.to_owned(),
        }
    }
}

impl Document for ChallengeDoc {
    fn id(&self) -> &str {
        &self.id
    }

    /// title, topic (industry and chain), KPIs, body.
    fn field_texts(&self) -> Vec<Cow<'_, str>> {
        vec![
            Cow::Borrowed(&self.title),
            Cow::Owned(format!("{}，{}", self.industry, self.industry_chain)),
            Cow::Borrowed(&self.kpis_text),
            Cow::Borrowed(&self.body_text),
        ]
    }

    fn industries(&self) -> Vec<&str> {
        if self.industry.trim().is_empty() {
            Vec::new()
        } else {
            vec![&self.industry]
        }
    }

    fn region_code(&self) -> &str {
        &self.region_code
    }
}

/// What the matcher knows of an organisation: its name and capability profile (能力画像).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileDoc {
    /// The organisation's id.
    pub id: String,
    pub name: String,
    /// Industries (产业领域) it works in.
    pub industries: Vec<String>,
    pub keywords: Vec<String>,
    /// Capability statement (能力描述).
    pub statement: String,
    /// Platforms (平台): key laboratories, engineering centres…
    pub platforms: Vec<String>,
    /// Past projects (代表性项目).
    pub past_projects: Vec<String>,
    /// GB/T 2260 code of the organisation.
    pub region_code: String,
}

impl Document for ProfileDoc {
    fn id(&self) -> &str {
        &self.id
    }

    /// name, keywords (with the industries), experience (platforms and past projects),
    /// statement. List items are joined with `，` so that jieba never glues two together.
    fn field_texts(&self) -> Vec<Cow<'_, str>> {
        let experience: Vec<&str> = self
            .platforms
            .iter()
            .chain(&self.past_projects)
            .map(String::as_str)
            .collect();
        let keywords: Vec<&str> = self
            .keywords
            .iter()
            .chain(&self.industries)
            .map(String::as_str)
            .collect();
        vec![
            Cow::Borrowed(&self.name),
            Cow::Owned(keywords.join("，")),
            Cow::Owned(experience.join("，")),
            Cow::Borrowed(&self.statement),
        ]
    }

    fn industries(&self) -> Vec<&str> {
        self.industries.iter().map(String::as_str).collect()
    }

    fn region_code(&self) -> &str {
        &self.region_code
    }
}

/// The weights of the ranking. [`Params::default`] is what production uses; the other
/// constructors exist for the evaluation's comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub scoring: Scoring,
    /// title, topic, KPIs, body.
    pub challenge_fields: [FieldSpec; 4],
    /// name, keywords, experience, statement.
    pub profile_fields: [FieldSpec; 4],
}

impl Default for Params {
    fn default() -> Self {
        let f = |name, weight, b| FieldSpec { name, weight, b };
        Params {
            scoring: Scoring {
                k1: 1.2,
                k3: 1.5,
                sub_word_weight: 0.5,
                industry_boost: 0.3,
                province_boost: 0.1,
                prefecture_boost: 0.2,
            },
            challenge_fields: [
                f("title", 3.0, 0.5),
                f("topic", 2.0, 0.3),
                f("kpis", 2.0, 0.75),
                f("body", 1.0, 0.75),
            ],
            profile_fields: [
                f("name", 1.0, 0.5),
                f("keywords", 3.0, 0.5),
                f("experience", 1.5, 0.75),
                f("statement", 1.0, 0.75),
            ],
        }
    }
}

impl Params {
    /// Every field weighs 1 (plain BM25 over the concatenated text, still length-normalised per
    /// field).
    pub fn without_field_weights(mut self) -> Self {
        for f in self
            .challenge_fields
            .iter_mut()
            .chain(self.profile_fields.iter_mut())
        {
            f.weight = 1.0;
        }
        self
    }

    /// Text relevance only: no industry or region multiplier.
    pub fn without_signals(mut self) -> Self {
        self.scoring.industry_boost = 0.0;
        self.scoring.province_boost = 0.0;
        self.scoring.prefecture_boost = 0.0;
        self
    }
}

/// The two indexes and the analyser they share. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Matcher {
    params: Params,
    challenges: Index<ChallengeDoc>,
    organizations: Index<ProfileDoc>,
}

impl Default for Matcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Matcher {
    /// An empty matcher with the production analyser and weights.
    pub fn new() -> Self {
        Self::with(Arc::new(Analyzer::new()), Params::default())
    }

    /// An empty matcher with the given analyser and weights.
    pub fn with(analyzer: Arc<Analyzer>, params: Params) -> Self {
        Matcher {
            challenges: Index::new(analyzer.clone(), &params.challenge_fields, params.scoring),
            organizations: Index::new(analyzer, &params.profile_fields, params.scoring),
            params,
        }
    }

    /// A matcher holding `challenges` (the open ones, for recommendations) and `profiles`.
    pub fn build(
        analyzer: Arc<Analyzer>,
        params: Params,
        challenges: &[ChallengeDoc],
        profiles: &[ProfileDoc],
    ) -> Self {
        Matcher {
            challenges: Index::build(
                analyzer.clone(),
                &params.challenge_fields,
                params.scoring,
                challenges,
            ),
            organizations: Index::build(analyzer, &params.profile_fields, params.scoring, profiles),
            params,
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn analyzer(&self) -> &Arc<Analyzer> {
        self.challenges.analyzer()
    }

    pub fn challenges(&self) -> &Index<ChallengeDoc> {
        &self.challenges
    }

    pub fn organizations(&self) -> &Index<ProfileDoc> {
        &self.organizations
    }

    /// Adds or replaces a challenge (on publication or amendment).
    pub fn upsert_challenge(&mut self, doc: &ChallengeDoc) {
        self.challenges.upsert(doc);
    }

    /// Removes a challenge (closed, cancelled); false if it was not indexed.
    pub fn remove_challenge(&mut self, id: &str) -> bool {
        self.challenges.remove(id)
    }

    /// Adds or replaces an organisation's profile.
    pub fn upsert_profile(&mut self, doc: &ProfileDoc) {
        self.organizations.upsert(doc);
    }

    /// Removes an organisation's profile; false if it was not indexed.
    pub fn remove_profile(&mut self, id: &str) -> bool {
        self.organizations.remove(id)
    }

    /// The query a profile makes, its fields weighted like profile fields.
    pub fn profile_query(&self, profile: &ProfileDoc) -> Query {
        Query::from_document(
            self.analyzer(),
            profile,
            &self.params.profile_fields,
            &self.params.scoring,
        )
    }

    /// The query a challenge makes, its fields weighted like challenge fields.
    pub fn challenge_query(&self, challenge: &ChallengeDoc) -> Query {
        Query::from_document(
            self.analyzer(),
            challenge,
            &self.params.challenge_fields,
            &self.params.scoring,
        )
    }

    /// The `k` indexed challenges that best fit `profile` (为揭榜方推荐榜单).
    pub fn recommend_challenges(&self, profile: &ProfileDoc, k: usize) -> Vec<Hit> {
        self.recommend_challenges_where(profile, k, |_| true)
    }

    /// As [`Matcher::recommend_challenges`], among the challenges whose id passes `filter`
    /// (e.g. not yet bid on).
    pub fn recommend_challenges_where(
        &self,
        profile: &ProfileDoc,
        k: usize,
        filter: impl Fn(&str) -> bool,
    ) -> Vec<Hit> {
        self.challenges
            .search(&self.profile_query(profile), k, filter)
    }

    /// The `k` organisations whose profiles best fit `challenge` (为发榜方推荐揭榜单位).
    pub fn recommend_organizations(&self, challenge: &ChallengeDoc, k: usize) -> Vec<Hit> {
        self.recommend_organizations_where(challenge, k, |_| true)
    }

    /// As [`Matcher::recommend_organizations`], among the organisations whose id passes `filter`
    /// (e.g. not the publisher itself).
    pub fn recommend_organizations_where(
        &self,
        challenge: &ChallengeDoc,
        k: usize,
        filter: impl Fn(&str) -> bool,
    ) -> Vec<Hit> {
        self.organizations
            .search(&self.challenge_query(challenge), k, filter)
    }

    /// What a person can check a recommendation against: which of the challenge's KPIs (考核指标,
    /// `kpis`, one text each) the organisation's profile speaks to, and which of the profile's
    /// past projects and platforms speak to the challenge, each with the terms the two sides
    /// share. A term inside a longer shared term of the same text is left out (`电解槽` rather
    /// than also `电解`). Texts that share nothing are not listed.
    pub fn evidence(
        &self,
        kpis: &[String],
        challenge: &ChallengeDoc,
        profile: &ProfileDoc,
    ) -> Evidence {
        let analyzer = self.analyzer();
        let terms_of = |texts: Vec<Cow<'_, str>>| -> rustc_hash::FxHashSet<String> {
            texts.iter().flat_map(|t| analyzer.terms(t)).collect()
        };
        let profile_terms = terms_of(profile.field_texts());
        let challenge_terms = terms_of(challenge.field_texts());
        let answer = |text: &String, other: &rustc_hash::FxHashSet<String>| {
            let mut shared: Vec<String> = Vec::new();
            for t in analyzer.terms(text) {
                if other.contains(&t) && !shared.contains(&t) {
                    shared.push(t);
                }
            }
            let terms: Vec<String> = shared
                .iter()
                .filter(|t| {
                    !shared
                        .iter()
                        .any(|u| u.len() > t.len() && u.contains(t.as_str()))
                })
                .cloned()
                .collect();
            (!terms.is_empty()).then(|| Answer {
                text: text.clone(),
                terms,
            })
        };
        Evidence {
            kpis: kpis
                .iter()
                .filter_map(|k| answer(k, &profile_terms))
                .collect(),
            projects: profile
                .past_projects
                .iter()
                .chain(&profile.platforms)
                .filter_map(|p| answer(p, &challenge_terms))
                .collect(),
        }
    }

    /// The challenge list's keyword search (`q`): ids of the indexed challenges containing every
    /// word of `q`, best first. `None` when `q` holds no searchable word (only stop words,
    /// numbers, punctuation); the caller may then fall back to a substring search.
    pub fn keyword_search(&self, q: &str) -> Option<Vec<String>> {
        self.challenges.keyword_search(q)
    }

    /// The challenges [`keyword_search`](Self::keyword_search) finds, unranked: by their order
    /// key (`set_challenge_order`: the list uses the publication time) then id, greatest first,
    /// only those before `before`.
    pub fn keyword_matches(&self, q: &str, before: Option<(i64, &str)>) -> Option<Vec<&str>> {
        self.challenges.keyword_matches(q, before)
    }

    /// Sets a challenge's order key for [`keyword_matches`](Self::keyword_matches) (reset to 0 by
    /// each upsert); false if it is not indexed.
    pub fn set_challenge_order(&mut self, id: &str, order: i64) -> bool {
        self.challenges.set_order(id, order)
    }
}

#[cfg(test)]
pub(crate) mod tests;
