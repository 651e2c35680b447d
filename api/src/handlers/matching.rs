//! Capability profiles and recommendations both ways, each with its reasons (matched terms,
//! industry, region). Only what the caller may see is ever recommended: open challenges that are
//! published (directed ones only to their invited organisations), and verified organisations.

use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::handlers::access::{access, Access};
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use jiebang_db::profiles::Profile;
use jiebang_domain::challenge::ChallengeStatus;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::matching::{ChallengeDoc, Evidence, Hit};
use jiebang_domain::validation::bounded_text;
use jiebang_domain::{Role, Violations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    /// Industries (产业领域) from the configured list.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Technical keywords, e.g. 电解水制氢, 碱性电解槽.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Capability statement (能力描述), Chinese free text.
    #[serde(default)]
    pub statement: String,
    /// Innovation platforms (国家/自治区重点实验室、工程中心…).
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Past projects (代表性项目).
    #[serde(default)]
    pub past_projects: Vec<String>,
}

pub(crate) fn items(
    v: &mut Violations,
    field: &str,
    list: &[String],
    max_items: usize,
    max_len: usize,
) -> Vec<String> {
    if list.len() > max_items {
        v.push(
            field,
            FieldCode::TooMany,
            format!("最多 {max_items} 项 / at most {max_items} items"),
        );
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, s)| v.take(&format!("{field}[{i}]"), bounded_text(s, 1, max_len)))
        .collect()
}

/// Set an organisation's capability profile (its admin).
#[utoipa::path(put, path = "/api/v1/organizations/{id}/profile", tag = "matching", request_body = ProfileBody, security(("bearer" = [])),
    responses((status = 200, body = ProfileBody), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_profile(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Json<ProfileBody>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(put_profile_of(&state, auth, id.into_inner(), body.0).await?))
}

/// Sets an organisation's capability profile as `PUT /organizations/{id}/profile` does (its
/// admin; the web interface's 能力画像 calls the same).
pub async fn put_profile_of(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
    b: ProfileBody,
) -> ApiResult<ProfileBody> {
    if !(auth.role == Role::OrgAdmin && auth.belongs_to(&id)) {
        return Err(if auth.belongs_to(&id) || auth.is_staff() {
            ApiError::with(Code::Forbidden, "只有本单位管理员可以修改能力画像 / only the organisation's admin edits its profile")
        } else {
            ApiError::not_found("单位 / organization")
        });
    }
    let mut v = Violations::new();
    for (i, ind) in b.industries.iter().enumerate() {
        if !state.rules.industries.contains(ind) {
            v.push(
                format!("industries[{i}]"),
                FieldCode::UnknownIndustry,
                "不在产业领域列表中 / not a configured industry",
            );
        }
    }
    let keywords = items(&mut v, "keywords", &b.keywords, 50, 30);
    let platforms = items(&mut v, "platforms", &b.platforms, 50, 100);
    let past = items(&mut v, "past_projects", &b.past_projects, 50, 200);
    let statement = v
        .take("statement", bounded_text(&b.statement, 0, 5000))
        .unwrap_or_default();
    v.into_result()?;
    let now = state.now();
    let row = Profile {
        organization_id: id,
        industries_json: serde_json::to_string(&b.industries).map_err(ApiError::internal)?,
        keywords_json: serde_json::to_string(&keywords).map_err(ApiError::internal)?,
        statement: statement.clone(),
        platforms_json: serde_json::to_string(&platforms).map_err(ApiError::internal)?,
        past_projects_json: serde_json::to_string(&past).map_err(ApiError::internal)?,
        updated_at: now.naive_utc(),
    };
    let org = row.organization_id.clone();
    state
        .write(move |conn| Ok(jiebang_db::profiles::put(conn, &row)?))
        .await?;
    state
        .search_changed(crate::search::Change::Organization(org))
        .await;
    Ok(ProfileBody {
        industries: b.industries,
        keywords,
        statement,
        platforms,
        past_projects: past,
    })
}

/// An organisation's capability profile (whoever may see the organisation).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/profile", tag = "matching",
    responses((status = 200, body = ProfileBody), (status = 404, body = crate::error::Problem)))]
pub async fn get_profile(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(profile_of(&state, auth, id.into_inner()).await?))
}

/// An organisation's capability profile as `GET /organizations/{id}/profile` answers it.
pub async fn profile_of(
    state: &web::Data<AppState>,
    auth: MaybeAuth,
    id: String,
) -> ApiResult<ProfileBody> {
    let p = state
        .read(move |conn| {
            let org = jiebang_db::organizations::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("单位 / organization"))?;
            let insider = auth
                .0
                .as_ref()
                .is_some_and(|a| a.belongs_to(&org.id) || a.is_staff());
            if !org.is_verified() && !insider {
                return Err(ApiError::not_found("单位 / organization"));
            }
            Ok(jiebang_db::profiles::find(conn, &org.id)?)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("能力画像 / profile"))?;
    Ok(ProfileBody {
        industries: p.industries(),
        keywords: p.keywords(),
        statement: p.statement.clone(),
        platforms: p.platforms(),
        past_projects: p.past_projects(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonsView {
    /// Words the two texts share, most telling first.
    pub matched_terms: Vec<String>,
    /// The industry both name, if any.
    pub matched_industry: Option<String>,
    /// `same_prefecture` | `same_province` | `none` (how close the regions are)
    pub region: String,
    /// The challenge's KPIs (考核指标) the organisation's profile speaks to, each with the words
    /// they share: what a reader can check against the two texts.
    pub answered_kpis: Vec<AnswerView>,
    /// The organisation's past projects (代表性项目) and platforms that speak to the challenge, each
    /// with the words they share.
    pub supporting_projects: Vec<AnswerView>,
}

/// A KPI or a past project, with the words it shares with the other side.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    pub text: String,
    pub terms: Vec<String>,
}

fn reasons(h: &Hit, evidence: Evidence) -> ReasonsView {
    let view = |a: Vec<jiebang_domain::matching::Answer>| {
        a.into_iter()
            .map(|a| AnswerView {
                text: a.text,
                terms: a.terms,
            })
            .collect()
    };
    ReasonsView {
        matched_terms: h.reasons.matched_terms.clone(),
        matched_industry: h.reasons.matched_industry.clone(),
        region: serde_json::to_value(h.reasons.region)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        answered_kpis: view(evidence.kpis),
        supporting_projects: view(evidence.projects),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeRecommendation {
    pub challenge_id: String,
    pub title: String,
    pub industry: String,
    pub bidding_deadline: DateTime<Utc>,
    pub score: f32,
    pub reasons: ReasonsView,
}

/// Open challenges ranked for the caller's organisation by its capability profile.
#[utoipa::path(get, path = "/api/v1/me/recommendations", tag = "matching", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChallengeRecommendation>), (status = 409, body = crate::error::Problem)))]
pub async fn my_recommendations(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(recommendations_for(&state, auth).await?))
}

/// The open challenges recommended to the caller's organisation, as `GET /me/recommendations`
/// answers (the web workspace's 为您推荐 shows the same).
pub async fn recommendations_for(
    state: &web::Data<AppState>,
    auth: Auth,
) -> ApiResult<Vec<ChallengeRecommendation>> {
    let org = auth
        .organization_id()
        .filter(|_| auth.role.is_organization_user())
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::with(
                Code::NoOrganization,
                "您不属于任何单位 / you belong to no organisation",
            )
        })?;
    let org2 = org.clone();
    let (profile, name, region, invited) = state
        .read(move |conn| {
            let o = jiebang_db::organizations::find(conn, &org2)?
                .ok_or_else(|| ApiError::internal("no organisation"))?;
            let p = jiebang_db::profiles::find(conn, &org2)?;
            let invited: std::collections::HashSet<String> =
                jiebang_db::challenges::invitations_of(conn, &org2)?
                    .into_iter()
                    .collect();
            Ok((p, o.name, o.region_code, invited))
        })
        .await?;
    let profile = profile.ok_or_else(|| {
        ApiError::with(
            Code::NoProfile,
            "请先填写本单位能力画像 / fill in your organisation's capability profile first",
        )
    })?;
    let doc = crate::search::profile_doc(&profile, &name, &region);
    let now = state.now().naive_utc();
    let ranked: Vec<(Hit, crate::search::ChallengeMeta)> = {
        let meta = state.search.challenge_meta();
        let hits = state
            .search
            .matcher()
            .recommend_challenges_where(&doc, 20, |id| {
                meta.get(id).is_some_and(|m| {
                    m.status == ChallengeStatus::Published
                        && m.bidding_deadline > now
                        && jiebang_domain::visibility::offered_to(
                            &m.organization_id,
                            m.mode,
                            &org,
                            || invited.contains(id),
                        )
                })
            });
        hits.into_iter()
            .filter_map(|h| meta.get(&h.id).cloned().map(|m| (h, m)))
            .collect()
    };
    // the KPIs the evidence is drawn from: the recommended challenges, read at once
    let ids: Vec<String> = ranked.iter().map(|(h, _)| h.id.clone()).collect();
    let challenges: std::collections::HashMap<String, jiebang_db::challenges::Challenge> = state
        .read(move |conn| Ok(jiebang_db::challenges::find_many(conn, &ids)?))
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let matcher = state.search.matcher();
    Ok(ranked
        .into_iter()
        .map(|(h, m)| {
            let evidence = challenges
                .get(&h.id)
                .map(|c| {
                    let kpis = ChallengeDoc::kpi_texts(&c.terms(Vec::new()));
                    matcher.evidence(&kpis, &crate::search::challenge_doc(c), &doc)
                })
                .unwrap_or_default();
            ChallengeRecommendation {
                challenge_id: h.id.clone(),
                title: m.title,
                industry: m.industry,
                bidding_deadline: utc(m.bidding_deadline),
                score: h.score,
                reasons: reasons(&h, evidence),
            }
        })
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRecommendation {
    pub organization_id: String,
    pub name: String,
    pub region_code: String,
    pub score: f32,
    pub reasons: ReasonsView,
}

/// Organisations ranked for a challenge (its publisher, officials): verified organisations with a
/// profile, never the publisher; for a directed challenge only the invited ones.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/recommended-organizations", tag = "matching", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrganizationRecommendation>), (status = 404, body = crate::error::Problem)))]
pub async fn recommended_organizations(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(organizations_for(&state, auth, id.into_inner()).await?))
}

/// The organisations recommended for challenge `id`, as
/// `GET /challenges/{id}/recommended-organizations` answers (the challenge page calls the same).
pub async fn organizations_for(
    state: &web::Data<AppState>,
    auth: Auth,
    id: String,
) -> ApiResult<Vec<OrganizationRecommendation>> {
    let (c, invited) = state
        .read(move |conn| {
            let c = jiebang_db::challenges::find(conn, &id)?.ok_or_else(|| ApiError::not_found("榜单 / challenge"))?;
            match access(conn, &c, Some(&auth))? {
                Access::Owner | Access::Staff => {}
                Access::Public => return Err(ApiError::with(Code::Forbidden, "只有发榜单位和科技厅可以查看推荐 / only the publisher and officials see recommendations")),
                Access::Hidden => return Err(ApiError::not_found("榜单 / challenge")),
            }
            let invited = jiebang_db::challenges::invitations(conn, &c.id)?;
            Ok((c, invited))
        })
        .await?;
    let doc = crate::search::challenge_doc(&c);
    let ranked: Vec<(Hit, crate::search::OrgMeta)> = {
        let orgs = state.search.organization_meta();
        let hits = state
            .search
            .matcher()
            .recommend_organizations_where(&doc, 20, |org| {
                orgs.contains_key(org)
                    && jiebang_domain::visibility::offered_to(
                        &c.organization_id,
                        c.mode(),
                        org,
                        || invited.iter().any(|i| i == org),
                    )
            });
        hits.into_iter()
            .filter_map(|h| orgs.get(&h.id).cloned().map(|o| (h, o)))
            .collect()
    };
    // the profiles the evidence is drawn from, read at once
    let ids: Vec<String> = ranked.iter().map(|(h, _)| h.id.clone()).collect();
    let profiles: std::collections::HashMap<String, jiebang_db::profiles::Profile> = state
        .read(move |conn| Ok(jiebang_db::profiles::find_many(conn, &ids)?))
        .await?
        .into_iter()
        .map(|p| (p.organization_id.clone(), p))
        .collect();
    let kpis = ChallengeDoc::kpi_texts(&c.terms(Vec::new()));
    let matcher = state.search.matcher();
    Ok(ranked
        .into_iter()
        .map(|(h, o)| {
            let evidence = profiles
                .get(&h.id)
                .map(|p| {
                    let profile = crate::search::profile_doc(p, &o.name, &o.region_code);
                    matcher.evidence(&kpis, &doc, &profile)
                })
                .unwrap_or_default();
            OrganizationRecommendation {
                organization_id: h.id.clone(),
                name: o.name,
                region_code: o.region_code,
                score: h.score,
                reasons: reasons(&h, evidence),
            }
        })
        .collect())
}
