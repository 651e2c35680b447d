//! The in-memory matching index (jieba segmentation + BM25, `jiebang_domain::matching`) of this
//! instance: every challenge ever published and every verified organisation's profile. Built at
//! start, updated right after local changes, and re-synchronised with the database whenever its
//! fingerprint changes (changes made through other instances on the same PostgreSQL), checked
//! every `JIEBANG_INDEX_REFRESH_MS`.

use crate::state::AppState;
use actix_web::web;
use jiebang_db::{Database, DbConnection};
use jiebang_domain::matching::{Analyzer, ChallengeDoc, Matcher, Params, ProfileDoc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What results are shown with, without going back to the database.
#[derive(Debug, Clone)]
pub struct ChallengeMeta {
    pub status: String,
    pub mode: String,
    pub organization_id: String,
    pub title: String,
    pub industry: String,
    pub bidding_deadline: chrono::NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct OrgMeta {
    pub name: String,
    pub region_code: String,
}

pub struct SearchIndex {
    pub matcher: RwLock<Matcher>,
    pub challenges: RwLock<HashMap<String, ChallengeMeta>>,
    pub organizations: RwLock<HashMap<String, OrgMeta>>,
    watermark: Mutex<String>,
}

/// The analyzer (jieba's dictionary and the domain dictionary) is loaded once per process.
fn analyzer() -> Arc<Analyzer> {
    static ANALYZER: OnceLock<Arc<Analyzer>> = OnceLock::new();
    ANALYZER.get_or_init(|| Arc::new(Analyzer::new())).clone()
}

pub fn challenge_doc(c: &jiebang_db::challenges::Challenge) -> ChallengeDoc {
    ChallengeDoc::from_terms(&c.id, &c.terms(Vec::new()), &c.region_code)
}

pub fn profile_doc(p: &jiebang_db::profiles::Profile, name: &str, region: &str) -> ProfileDoc {
    ProfileDoc {
        id: p.organization_id.clone(),
        name: name.to_owned(),
        industries: p.industries(),
        keywords: p.keywords(),
        statement: p.statement.clone(),
        platforms: p.platforms(),
        past_projects: p.past_projects(),
        region_code: region.to_owned(),
    }
}

fn meta(c: &jiebang_db::challenges::Challenge) -> ChallengeMeta {
    ChallengeMeta {
        status: c.status.clone(),
        mode: c.mode.clone(),
        organization_id: c.organization_id.clone(),
        title: c.title.clone(),
        industry: c.industry.clone(),
        bidding_deadline: c.bidding_deadline,
    }
}

impl SearchIndex {
    pub fn empty() -> SearchIndex {
        SearchIndex {
            matcher: RwLock::new(Matcher::with(analyzer(), Params::default())),
            challenges: RwLock::new(HashMap::new()),
            organizations: RwLock::new(HashMap::new()),
            watermark: Mutex::new(String::new()),
        }
    }

    /// Rebuilds everything from the database.
    pub fn rebuild(&self, conn: &mut DbConnection) -> Result<(), jiebang_db::DbError> {
        let mark = jiebang_db::profiles::watermark(conn)?;
        let challenges = jiebang_db::profiles::published_challenges(conn)?;
        let profiles = jiebang_db::profiles::verified(conn)?;
        let docs: Vec<ChallengeDoc> = challenges.iter().map(challenge_doc).collect();
        let pdocs: Vec<ProfileDoc> = profiles
            .iter()
            .map(|(p, name, region)| profile_doc(p, name, region))
            .collect();
        let matcher = Matcher::build(analyzer(), Params::default(), &docs, &pdocs);
        *self.matcher.write().unwrap_or_else(|e| e.into_inner()) = matcher;
        *self.challenges.write().unwrap_or_else(|e| e.into_inner()) =
            challenges.iter().map(|c| (c.id.clone(), meta(c))).collect();
        *self
            .organizations
            .write()
            .unwrap_or_else(|e| e.into_inner()) = profiles
            .iter()
            .map(|(p, name, region)| {
                (
                    p.organization_id.clone(),
                    OrgMeta {
                        name: name.clone(),
                        region_code: region.clone(),
                    },
                )
            })
            .collect();
        *self.watermark.lock().unwrap_or_else(|e| e.into_inner()) = mark;
        Ok(())
    }

    /// Rebuilds when the database's fingerprint differs from the one the index was built at.
    pub fn refresh(&self, db: &Database) -> Result<bool, jiebang_db::DbError> {
        let mark = db.read(jiebang_db::profiles::watermark)?;
        if *self.watermark.lock().unwrap_or_else(|e| e.into_inner()) == mark {
            return Ok(false);
        }
        db.read(|conn| self.rebuild(conn))?;
        Ok(true)
    }
}

/// Brings the index up to date after a change made by this instance (call after the commit).
pub async fn changed(state: &web::Data<AppState>) {
    let st = state.clone();
    match web::block(move || st.search.refresh(&st.db)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "search index refresh failed"),
        Err(e) => tracing::warn!(error = %e, "search index refresh failed"),
    }
}

/// The loop that keeps the index in step with changes made through other instances.
pub fn spawn(state: web::Data<AppState>) {
    let interval = std::time::Duration::from_millis(state.config.index_refresh_ms.max(50));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            changed(&state).await;
        }
    });
}
