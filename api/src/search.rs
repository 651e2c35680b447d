//! The in-memory matching index (jieba segmentation + BM25, `jiebang_domain::matching`) of this
//! instance: every challenge ever published and every verified organisation's profile. Built at
//! start; afterwards kept in step incrementally — right after changes made through this instance,
//! and every `JIEBANG_INDEX_REFRESH_MS` for changes made through other instances on the same
//! PostgreSQL — by reading the rows whose `updated_at` moved since the last sync.

use actix_web::web;
use jiebang_db::{Database, DbConnection};
use jiebang_domain::challenge::{ChallengeKind, ChallengeStatus, Mode};
use jiebang_domain::clock::Clock;
use jiebang_domain::matching::{Analyzer, ChallengeDoc, Matcher, Params, ProfileDoc};
use jiebang_domain::OrganizationStatus;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What results are shown with, without going back to the database.
#[derive(Debug, Clone)]
pub struct ChallengeMeta {
    pub updated_at: chrono::NaiveDateTime,
    pub published_at: chrono::NaiveDateTime,
    pub kind: ChallengeKind,
    pub region_code: String,
    pub status: ChallengeStatus,
    pub mode: Mode,
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
    /// When the latest read of the database (the rebuild or a sync) began, by this instance's
    /// clock. Every row that read did not see was committed after it began, so its `updated_at`
    /// is at most the margin before (the margin covers transactions that commit late and clocks
    /// of other instances): the next sync reads what changed since then, less the margin. (Until
    /// 2026-12-02 this was the newest `updated_at` seen, which stops moving when the writes stop:
    /// after a burst of writes every pass read the burst's last five seconds again, thousands of
    /// rows every five seconds.)
    read_from: Mutex<Option<chrono::NaiveDateTime>>,
    clock: Arc<dyn Clock>,
}

/// How far back each incremental sync looks again: longer than any write transaction and the
/// clock differences between instances.
const SYNC_MARGIN_SECONDS: i64 = 5;

/// The analyzer (jieba's dictionary and the domain dictionary) is loaded once per process.
fn analyzer() -> Arc<Analyzer> {
    static ANALYZER: OnceLock<Arc<Analyzer>> = OnceLock::new();
    ANALYZER.get_or_init(|| Arc::new(Analyzer::new())).clone()
}

/// The order the list's keyword search takes matches in: the publication time, as the list's
/// cursor holds it (`Matcher::set_challenge_order`).
pub fn order_key(published_at: chrono::NaiveDateTime) -> i64 {
    published_at
        .and_utc()
        .timestamp_nanos_opt()
        .unwrap_or(i64::MAX)
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
        updated_at: c.updated_at,
        published_at: c.published_at.unwrap_or(c.created_at),
        kind: ChallengeKind::parse(&c.kind).unwrap_or(ChallengeKind::TechBreakthrough),
        region_code: c.region_code.clone(),
        status: c.status(),
        mode: c.mode(),
        organization_id: c.organization_id.clone(),
        title: c.title.clone(),
        industry: c.industry.clone(),
        bidding_deadline: c.bidding_deadline,
    }
}

impl SearchIndex {
    /// An empty index whose syncs read `clock` (the application's).
    pub fn empty(clock: Arc<dyn Clock>) -> SearchIndex {
        SearchIndex {
            matcher: RwLock::new(Matcher::with(analyzer(), Params::default())),
            challenges: RwLock::new(HashMap::new()),
            organizations: RwLock::new(HashMap::new()),
            read_from: Mutex::new(None),
            clock,
        }
    }

    /// Notes that a read of the database began at `began` (the latest of concurrent ones wins).
    fn read_began(&self, began: chrono::NaiveDateTime) {
        let mut from = self.read_from.lock().unwrap_or_else(|e| e.into_inner());
        *from = Some(from.map_or(began, |f| f.max(began)));
    }

    /// Rebuilds everything from the database.
    pub fn rebuild(&self, conn: &mut DbConnection) -> Result<(), jiebang_db::DbError> {
        let began = self.clock.now().naive_utc();
        let challenges = jiebang_db::profiles::published_challenges(conn)?;
        let profiles = jiebang_db::profiles::verified(conn)?;
        let docs: Vec<ChallengeDoc> = challenges.iter().map(challenge_doc).collect();
        let pdocs: Vec<ProfileDoc> = profiles
            .iter()
            .map(|(p, name, region)| profile_doc(p, name, region))
            .collect();
        let mut matcher = Matcher::build(analyzer(), Params::default(), &docs, &pdocs);
        for c in &challenges {
            matcher.set_challenge_order(&c.id, order_key(c.published_at.unwrap_or(c.created_at)));
        }
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
        self.read_began(began);
        Ok(())
    }

    /// Brings the index up to date with what changed in the database since the last sync:
    /// challenges published, amended, closed or cancelled, profiles written, organisations
    /// verified — through this instance or any other on the same database. Cheap: it reads only
    /// the rows changed since then (and a margin), and upserts them.
    pub fn refresh(&self, db: &Database) -> Result<usize, jiebang_db::DbError> {
        let began = self.clock.now().naive_utc();
        let since = self
            .read_from
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_default()
            - chrono::Duration::seconds(SYNC_MARGIN_SECONDS);
        let (challenges, profiles) = db.read(|conn| {
            Ok::<_, jiebang_db::DbError>((
                jiebang_db::profiles::challenges_changed_since(conn, since)?,
                jiebang_db::profiles::profiles_changed_since(conn, since)?,
            ))
        })?;
        if challenges.is_empty() && profiles.is_empty() {
            self.read_began(began);
            return Ok(0);
        }
        // rows read again within the margin and already seen change nothing
        let mut upserted = !profiles.is_empty();
        {
            let mut matcher = self.matcher.write().unwrap_or_else(|e| e.into_inner());
            let mut metas = self.challenges.write().unwrap_or_else(|e| e.into_inner());
            for c in &challenges {
                if metas
                    .get(&c.id)
                    .is_some_and(|m| m.updated_at == c.updated_at)
                {
                    continue; // seen already (the margin reads some rows twice)
                }
                matcher.upsert_challenge(&challenge_doc(c));
                let m = meta(c);
                matcher.set_challenge_order(&c.id, order_key(m.published_at));
                metas.insert(c.id.clone(), m);
                upserted = true;
            }
            let mut orgs = self
                .organizations
                .write()
                .unwrap_or_else(|e| e.into_inner());
            for (p, name, region, status) in &profiles {
                if OrganizationStatus::parse(status) == Some(OrganizationStatus::Verified) {
                    matcher.upsert_profile(&profile_doc(p, name, region));
                    orgs.insert(
                        p.organization_id.clone(),
                        OrgMeta {
                            name: name.clone(),
                            region_code: region.clone(),
                        },
                    );
                } else {
                    matcher.remove_profile(&p.organization_id);
                    orgs.remove(&p.organization_id);
                }
            }
        }
        self.read_began(began);
        if upserted {
            // a search cached from the index as it was must not be served any more (the session
            // checks read nothing of the index)
            db.changes().bump_for(jiebang_db::changes::Touches::PUBLIC);
        }
        Ok(challenges.len() + profiles.len())
    }
}

impl SearchIndex {
    /// The matcher, for reading. The locks are only ever held to read or to upsert whole
    /// entries, so one left poisoned by a panic still holds a usable index.
    pub fn matcher(&self) -> std::sync::RwLockReadGuard<'_, Matcher> {
        self.matcher.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The indexed challenges' metadata, for reading (as [`SearchIndex::matcher`]).
    pub fn challenge_meta(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, ChallengeMeta>> {
        self.challenges.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The indexed organisations' names and regions, for reading (as [`SearchIndex::matcher`]).
    pub fn organization_meta(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, OrgMeta>> {
        self.organizations.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts one challenge's current state in the index (a challenge never published is left out).
    pub fn sync_challenge(
        &self,
        conn: &mut DbConnection,
        id: &str,
    ) -> Result<(), jiebang_db::DbError> {
        if let Some(c) =
            jiebang_db::challenges::find(conn, id)?.filter(|c| c.published_at.is_some())
        {
            let m = meta(&c);
            let mut matcher = self.matcher.write().unwrap_or_else(|e| e.into_inner());
            matcher.upsert_challenge(&challenge_doc(&c));
            matcher.set_challenge_order(&c.id, order_key(m.published_at));
            // the metadata while the index is still held, as `refresh` does (same lock order)
            self.challenges
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(c.id.clone(), m);
        }
        Ok(())
    }

    /// Puts one organisation's profile in the index, or takes it out when the organisation is not
    /// verified or has no profile.
    pub fn sync_profile(
        &self,
        conn: &mut DbConnection,
        org: &str,
    ) -> Result<(), jiebang_db::DbError> {
        let o = jiebang_db::organizations::find(conn, org)?;
        let p = jiebang_db::profiles::find(conn, org)?;
        let mut matcher = self.matcher.write().unwrap_or_else(|e| e.into_inner());
        let mut orgs = self
            .organizations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        match (o, p) {
            (Some(o), Some(p)) if o.is_verified() => {
                matcher.upsert_profile(&profile_doc(&p, &o.name, &o.region_code));
                orgs.insert(
                    o.id.clone(),
                    OrgMeta {
                        name: o.name,
                        region_code: o.region_code,
                    },
                );
            }
            _ => {
                matcher.remove_profile(org);
                orgs.remove(org);
            }
        }
        Ok(())
    }
}

/// What changed through this instance, to bring into the index at once (after the commit).
pub enum Change {
    Challenge(String),
    Organization(String),
}

pub async fn changed(db: &Database, index: &Arc<SearchIndex>, change: Change) {
    let (db, index) = (db.clone(), index.clone());
    let result = web::block(move || {
        let r = db.read(|conn| match &change {
            Change::Challenge(id) => index.sync_challenge(conn, id),
            Change::Organization(id) => index.sync_profile(conn, id),
        });
        // the write moved the change counter at its commit, before the index had it: a search
        // cached in between must not be served any more
        db.changes().bump_for(jiebang_db::changes::Touches::PUBLIC);
        r
    })
    .await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "search index update failed"),
        Err(e) => tracing::warn!(error = %e, "search index update failed"),
    }
}

/// One pass of the loop: changes made through other instances.
async fn sync(db: &Database, index: &Arc<SearchIndex>) {
    let (db, index) = (db.clone(), index.clone());
    match web::block(move || index.refresh(&db)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "search index sync failed"),
        Err(e) => tracing::warn!(error = %e, "search index sync failed"),
    }
}

/// The loop that keeps the index in step with changes made through other instances.
pub fn spawn(db: Database, index: Arc<SearchIndex>, refresh_ms: u64) {
    let interval = std::time::Duration::from_millis(refresh_ms.max(50));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            sync(&db, &index).await;
        }
    });
}
