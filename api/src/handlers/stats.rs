//! Officials' view (统计): the public overview, the funnel with its breakdowns, and the CSV export
//! of agreements. Amounts are the agreed terms of signed agreements (signed, registered,
//! completed); leverage is enterprise money per yuan of fiscal money.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;
use crate::views::utc;
use actix_web::{web, HttpResponse};
use jiebang_domain::agreement::PartyRole;
use jiebang_domain::agreement::PaymentSource;
use jiebang_domain::agreement::Terms;
use jiebang_domain::bid::BidStatus;
use jiebang_domain::challenge::{ChallengeStatus, Mode};
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::organization::{ConsortiumStatus, OrganizationStatus};
use jiebang_domain::Role;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};

const SIGNED: &[&str] = &["signed", "registered", "completed"];
const AWARDED: &[&str] = &["awarded", "contracted", "completed"];
const HANDED_IN: &[&str] = &["submitted", "ineligible", "awarded", "not_awarded"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overview {
    pub challenges_published: i64,
    pub challenges_open: i64,
    pub challenges_awarded: i64,
    pub bids: i64,
    pub agreements_signed: i64,
    /// 财政资金 of signed agreements, yuan
    pub fiscal_signed: i64,
    /// 企业出资 of signed agreements, yuan
    pub enterprise_signed: i64,
    pub consortia_filed: i64,
    pub organizations_verified: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Funnel {
    /// Challenges ever submitted for review.
    pub submitted: i64,
    pub published: i64,
    /// Published challenges with at least one bid handed in.
    pub with_bids: i64,
    pub awarded: i64,
    pub contracted: i64,
    pub completed: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Breakdown {
    /// Industry, 盟市 code (first four digits + "00") or organisation kind (`enterprise`, …).
    pub key: String,
    /// A readable name: the 盟市's name for regions, the kind in Chinese (企业, 高校, 科研院所,
    /// 政府机关, 其他) for organisation kinds.
    pub name: String,
    pub published: i64,
    pub bids: i64,
    pub awarded: i64,
    pub agreements_signed: i64,
    pub fiscal_signed: i64,
    pub enterprise_signed: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ConsortiumFigures {
    pub filed: i64,
    /// Member organisations, leads included.
    pub members: i64,
    pub national_platforms: i64,
    pub provincial_platforms: i64,
    pub regional_platforms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelReport {
    pub funnel: Funnel,
    pub bids: i64,
    pub bids_awarded: i64,
    pub agreements_signed: i64,
    pub fiscal_signed: i64,
    pub enterprise_signed: i64,
    /// Fiscal money paid out (已拨付) on these agreements, yuan.
    pub fiscal_paid: i64,
    /// Enterprise money paid in (已到位) on these agreements, yuan.
    pub enterprise_paid: i64,
    /// Enterprise money per yuan of fiscal money (撬动比), two decimals; null without fiscal money.
    pub leverage: Option<f64>,
    pub by_industry: Vec<Breakdown>,
    pub by_region: Vec<Breakdown>,
    /// By the kind of the bidding lead organisation.
    pub by_organization_kind: Vec<Breakdown>,
    pub consortia: ConsortiumFigures,
}

struct Data {
    challenges: Vec<jiebang_db::stats::ChallengeRow>,
    bids: Vec<(String, String, String)>,
    orgs: HashMap<String, (String, String)>,
    agreements: Vec<(jiebang_db::evaluation::Agreement, Terms)>,
    consortia: Vec<jiebang_db::consortia::Consortium>,
    consortium_members: Vec<(String, String)>,
    /// (agreement id, source, amount)
    payments: Vec<(String, String, i64)>,
}

async fn load(state: &AppState) -> ApiResult<Data> {
    state
        .read(|conn| {
            let agreements = jiebang_db::stats::agreements(conn)?
                .into_iter()
                .map(|a| {
                    serde_json::from_str::<Terms>(&a.terms_json)
                        .map(|t| (a, t))
                        .map_err(ApiError::internal)
                })
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(Data {
                challenges: jiebang_db::stats::challenges(conn)?,
                bids: jiebang_db::stats::bids(conn)?,
                orgs: jiebang_db::stats::organizations(conn)?
                    .into_iter()
                    .map(|(id, kind, status)| (id, (kind, status)))
                    .collect(),
                agreements,
                consortia: jiebang_db::consortia::with_status(conn, "filed")?,
                consortium_members: jiebang_db::stats::filed_consortium_members(conn)?,
                payments: jiebang_db::stats::payments(conn)?,
            })
        })
        .await
}

fn signed(d: &Data) -> impl Iterator<Item = &(jiebang_db::evaluation::Agreement, Terms)> {
    d.agreements
        .iter()
        .filter(|(a, _)| SIGNED.contains(&a.status.as_str()))
}

/// Headline figures (public).
#[utoipa::path(get, path = "/api/v1/stats/overview", tag = "stats", responses((status = 200, body = Overview)))]
pub async fn overview(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(&*overview_figures(&state).await?))
}

/// The public headline figures (`GET /stats/overview`, and the counters of the web hall).
pub async fn overview_figures(state: &AppState) -> ApiResult<std::sync::Arc<Overview>> {
    // the same for everyone: counted once and reused until a write (crate::public_cache)
    state
        .public
        .get_or_fill("overview", || count_overview(state))
        .await
}

async fn count_overview(state: &AppState) -> ApiResult<Overview> {
    // the public summary counts open challenges only: a directed challenge (定向委托), its bids
    // and its agreements are not public. Counted by the database: this runs again after every
    // write, and loading whole tables took ~300 ms at 100 000 challenges.
    state
        .read(|conn| {
            let open = Mode::Open.as_str();
            let counts = jiebang_db::stats::overview_counts(
                conn,
                open,
                ChallengeStatus::Published.as_str(),
                AWARDED,
                HANDED_IN,
                OrganizationStatus::Verified.as_str(),
            )?;
            let signed = jiebang_db::stats::agreements_of(conn, open, SIGNED)?
                .into_iter()
                .map(|a| serde_json::from_str::<Terms>(&a.terms_json).map_err(ApiError::internal))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(Overview {
                challenges_published: counts.published,
                challenges_open: counts.open,
                challenges_awarded: counts.awarded,
                bids: counts.bids,
                agreements_signed: signed.len() as i64,
                fiscal_signed: signed.iter().map(|t| t.fiscal_amount).sum(),
                enterprise_signed: signed.iter().map(|t| t.enterprise_amount).sum(),
                consortia_filed: jiebang_db::consortia::count_with_status(
                    conn,
                    ConsortiumStatus::Filed.as_str(),
                )?,
                organizations_verified: counts.organizations_verified,
            })
        })
        .await
}

fn prefecture(region: &str) -> (String, String) {
    let code = format!("{}00", &region[..region.len().min(4)]);
    let name = jiebang_domain::region::lookup(&code)
        .map(|r| r.name.to_owned())
        .unwrap_or_default();
    (code, name)
}

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FunnelQuery {
    /// Only the challenges submitted for review in this year (北京时间), with their bids and
    /// agreements, and the consortia filed in it.
    pub year: Option<String>,
    /// Only the challenges of this industry (产业领域), with their bids and agreements, and the
    /// consortia whose industry direction is this industry.
    pub industry: Option<String>,
}

/// A valid filter: (year, industry).
fn parse_filter(q: &FunnelQuery) -> ApiResult<(Option<i32>, Option<String>)> {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(n) if (2000..=2100).contains(&n) => Some(n),
            _ => {
                return Err(ApiError::field(
                    "year",
                    FieldCode::InvalidValue,
                    "年度应为 2000–2100 的四位数字 / year must be 2000–2100",
                ))
            }
        },
    };
    let industry = q
        .industry
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_owned);
    Ok((year, industry))
}

/// The year of a stored (UTC) time in Beijing.
fn beijing_year(t: chrono::NaiveDateTime) -> i32 {
    jiebang_domain::challenge::beijing_year(utc(t))
}

/// Keeps what the filter selects: the challenges, then the bids and agreements of those, and the
/// consortia filed in the year with the industry as their direction.
fn narrow(d: &mut Data, year: Option<i32>, industry: Option<&str>) {
    if year.is_none() && industry.is_none() {
        return;
    }
    d.challenges.retain(|c| {
        year.is_none_or(|y| c.4.is_some_and(|t| beijing_year(t) == y))
            && industry.is_none_or(|i| c.2 == i)
    });
    let kept: HashSet<String> = d.challenges.iter().map(|c| c.0.clone()).collect();
    d.bids.retain(|b| kept.contains(&b.0));
    d.agreements.retain(|(a, _)| kept.contains(&a.challenge_id));
    let agreements: HashSet<&str> = d.agreements.iter().map(|(a, _)| a.id.as_str()).collect();
    d.payments.retain(|p| agreements.contains(p.0.as_str()));
    d.consortia.retain(|c| {
        year.is_none_or(|y| c.filed_at.is_some_and(|t| beijing_year(t) == y))
            && industry.is_none_or(|i| c.industry_direction == i)
    });
    let consortia: HashSet<&str> = d.consortia.iter().map(|c| c.id.as_str()).collect();
    d.consortium_members
        .retain(|(c, _)| consortia.contains(c.as_str()));
}

/// The funnel, money and breakdowns (officials and admins), of the whole programme or of a
/// year and an industry.
#[utoipa::path(get, path = "/api/v1/stats/funnel", tag = "stats", params(FunnelQuery), security(("bearer" = [])),
    responses((status = 200, body = FunnelReport), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn funnel(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<FunnelQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(funnel_report(&state, auth, &query.0).await?))
}

/// The report `GET /stats/funnel` answers (the web interface's 统计仪表盘 draws the same).
pub async fn funnel_report(
    state: &web::Data<AppState>,
    auth: Auth,
    query: &FunnelQuery,
) -> ApiResult<FunnelReport> {
    auth.require(&[Role::Official, Role::Admin])?;
    let (year, industry) = parse_filter(query)?;
    let mut d = load(state).await?;
    narrow(&mut d, year, industry.as_deref());
    let d = d;
    let handed_in: Vec<&(String, String, String)> = d
        .bids
        .iter()
        .filter(|b| HANDED_IN.contains(&b.2.as_str()))
        .collect();
    let with_bids: HashSet<&str> = handed_in.iter().map(|b| b.0.as_str()).collect();
    let f = Funnel {
        submitted: d.challenges.iter().filter(|c| c.4.is_some()).count() as i64,
        published: d.challenges.iter().filter(|c| c.5.is_some()).count() as i64,
        with_bids: d
            .challenges
            .iter()
            .filter(|c| c.5.is_some() && with_bids.contains(c.0.as_str()))
            .count() as i64,
        awarded: d
            .challenges
            .iter()
            .filter(|c| AWARDED.contains(&c.1.as_str()))
            .count() as i64,
        contracted: d
            .challenges
            .iter()
            .filter(|c| c.1 == "contracted" || c.1 == "completed")
            .count() as i64,
        completed: d.challenges.iter().filter(|c| c.1 == "completed").count() as i64,
    };
    let challenge: HashMap<&str, &jiebang_db::stats::ChallengeRow> =
        d.challenges.iter().map(|c| (c.0.as_str(), c)).collect();
    let mut by_industry: BTreeMap<String, Breakdown> = BTreeMap::new();
    let mut by_region: BTreeMap<String, Breakdown> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, Breakdown> = BTreeMap::new();
    for c in d.challenges.iter().filter(|c| c.5.is_some()) {
        let (code, name) = prefecture(&c.3);
        for (map, key, name) in [
            (&mut by_industry, c.2.clone(), c.2.clone()),
            (&mut by_region, code, name),
        ] {
            let e = map.entry(key.clone()).or_insert_with(|| Breakdown {
                key,
                name,
                ..Default::default()
            });
            e.published += 1;
            e.awarded += i64::from(AWARDED.contains(&c.1.as_str()));
        }
    }
    for b in &handed_in {
        // who bids (kind, region) is counted only once bidding has closed: before it, a bid is
        // sealed and its bidder must not show, not even as a number moving in a breakdown
        let Some(c) = challenge.get(b.0.as_str()).filter(|c| c.8.is_some()) else {
            continue;
        };
        let kind = d.orgs.get(&b.1).map(|o| o.0.clone()).unwrap_or_default();
        let (code, name) = prefecture(&c.3);
        for (map, key, name) in [
            (&mut by_industry, c.2.clone(), c.2.clone()),
            (&mut by_region, code, name),
            (&mut by_kind, kind.clone(), kind_name(&kind)),
        ] {
            let e = map.entry(key.clone()).or_insert_with(|| Breakdown {
                key,
                name,
                ..Default::default()
            });
            e.bids += 1;
        }
        if b.2 == "awarded" {
            let kind = d.orgs.get(&b.1).map(|o| o.0.clone()).unwrap_or_default();
            by_kind
                .entry(kind.clone())
                .or_insert_with(|| Breakdown {
                    key: kind.clone(),
                    name: kind_name(&kind),
                    ..Default::default()
                })
                .awarded += 1;
        }
    }
    for (a, t) in signed(&d) {
        let Some(c) = challenge.get(a.challenge_id.as_str()) else {
            continue;
        };
        let (code, name) = prefecture(&c.3);
        let lead = t
            .party(PartyRole::Bidder)
            .map(|p| p.organization_id.clone())
            .unwrap_or_default();
        let kind = d.orgs.get(&lead).map(|o| o.0.clone()).unwrap_or_default();
        for (map, key, name) in [
            (&mut by_industry, c.2.clone(), c.2.clone()),
            (&mut by_region, code, name),
            (&mut by_kind, kind.clone(), kind_name(&kind)),
        ] {
            let e = map.entry(key.clone()).or_insert_with(|| Breakdown {
                key,
                name,
                ..Default::default()
            });
            e.agreements_signed += 1;
            e.fiscal_signed += t.fiscal_amount;
            e.enterprise_signed += t.enterprise_amount;
        }
    }
    let fiscal: i64 = signed(&d).map(|(_, t)| t.fiscal_amount).sum();
    let enterprise: i64 = signed(&d).map(|(_, t)| t.enterprise_amount).sum();
    let members: HashSet<(&str, &str)> = d
        .consortium_members
        .iter()
        .map(|(c, o)| (c.as_str(), o.as_str()))
        .collect();
    let paid = |source: PaymentSource| -> i64 {
        d.payments
            .iter()
            .filter(|p| PaymentSource::parse(&p.1) == Some(source))
            .map(|p| p.2)
            .sum()
    };
    let consortia = ConsortiumFigures {
        filed: d.consortia.len() as i64,
        members: (members.len() + d.consortia.len()) as i64,
        national_platforms: d.consortia.iter().map(|c| c.national_platforms).sum(),
        provincial_platforms: d.consortia.iter().map(|c| c.provincial_platforms).sum(),
        regional_platforms: d.consortia.iter().map(|c| c.regional_platforms).sum(),
    };
    Ok(FunnelReport {
        funnel: f,
        bids: handed_in.len() as i64,
        bids_awarded: handed_in.iter().filter(|b| b.2 == "awarded").count() as i64,
        agreements_signed: signed(&d).count() as i64,
        fiscal_signed: fiscal,
        enterprise_signed: enterprise,
        fiscal_paid: paid(PaymentSource::Fiscal),
        enterprise_paid: paid(PaymentSource::Enterprise),
        leverage: (fiscal > 0).then(|| (enterprise as f64 / fiscal as f64 * 100.0).round() / 100.0),
        by_industry: by_industry.into_values().collect(),
        by_region: by_region.into_values().collect(),
        by_organization_kind: by_kind.into_values().collect(),
        consortia,
    })
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The columns of `/exports/agreements.csv`, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "协议编号 agreement_id",
    "榜单 challenge",
    "产业领域 industry",
    "发榜单位 publisher",
    "发榜单位信用代码 publisher_credit_code",
    "揭榜单位 bidder",
    "揭榜单位信用代码 bidder_credit_code",
    "联合体成员 members",
    "所在盟市 prefecture",
    "状态 status",
    "财政资金(元) fiscal_yuan",
    "企业出资(元) enterprise_yuan",
    "签署时间 signed_at",
    "备案时间 registered_at",
    "条款摘要 terms_hash",
];

/// Rows of the agreements CSV read per database round trip while streaming.
const CSV_PAGE: i64 = 500;

/// One page of the agreements CSV after `after` (newest first): the rows, and the cursor of the
/// next page if there is one.
fn csv_page(
    conn: &mut jiebang_db::DbConnection,
    after: Option<(chrono::NaiveDateTime, String)>,
) -> ApiResult<(String, Option<(chrono::NaiveDateTime, String)>)> {
    let mut rows = jiebang_db::agreements::list(
        conn,
        &jiebang_db::agreements::Filter {
            after,
            limit: CSV_PAGE + 1,
            ..Default::default()
        },
    )?;
    let next = (rows.len() as i64 > CSV_PAGE).then(|| {
        rows.truncate(CSV_PAGE as usize);
        let last = rows.last().expect("a full page");
        (last.created_at, last.id.clone())
    });
    let mut challenges: HashMap<String, Option<jiebang_db::challenges::Challenge>> = HashMap::new();
    let mut out = String::new();
    for a in &rows {
        let t: Terms = serde_json::from_str(&a.terms_json).map_err(ApiError::internal)?;
        if !challenges.contains_key(&a.challenge_id) {
            let c = jiebang_db::challenges::find(conn, &a.challenge_id)?;
            challenges.insert(a.challenge_id.clone(), c);
        }
        let c = challenges[&a.challenge_id].as_ref();
        let (publisher, bidder) = (t.party(PartyRole::Publisher), t.party(PartyRole::Bidder));
        let time = |t: Option<chrono::NaiveDateTime>| {
            t.map(|t| jiebang_domain::challenge::shanghai(utc(t)))
                .unwrap_or_default()
        };
        let name = |p: Option<&jiebang_domain::agreement::Party>| {
            p.map(|p| p.name.clone()).unwrap_or_default()
        };
        let code = |p: Option<&jiebang_domain::agreement::Party>| {
            p.map(|p| p.credit_code.clone()).unwrap_or_default()
        };
        let row = [
            a.id.clone(),
            t.title.clone(),
            c.map(|c| c.industry.clone()).unwrap_or_default(),
            name(publisher),
            code(publisher),
            name(bidder),
            code(bidder),
            t.members()
                .map(|m| format!("{}（{}）", m.name, m.credit_code))
                .collect::<Vec<_>>()
                .join("；"),
            c.map(|c| prefecture(&c.region_code).1).unwrap_or_default(),
            a.status.clone(),
            t.fiscal_amount.to_string(),
            t.enterprise_amount.to_string(),
            time(a.signed_at),
            time(a.registered_at),
            a.terms_hash.clone(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    Ok((out, next))
}

/// Every agreement as CSV (officials and admins), newest first: UTF-8 with a byte-order mark so
/// that spreadsheet programs show Chinese correctly; columns in `CSV_COLUMNS`. The body is
/// streamed, a page of rows per database round trip, so no export is held in memory whole.
#[utoipa::path(get, path = "/api/v1/exports/agreements.csv", tag = "stats", security(("bearer" = [])),
    responses((status = 200, description = "text/csv; charset=utf-8, with BOM"), (status = 403, body = crate::error::Problem)))]
pub async fn agreements_csv(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    use futures_util::stream::{self, StreamExt};
    auth.require(&[Role::Official, Role::Admin])?;
    // the first page is read before the response starts, so a database failure is still a
    // problem+json answer rather than a cut-off file
    let (first, next) = state.read(|conn| csv_page(conn, None)).await?;
    let mut head = String::from("\u{feff}");
    head.push_str(
        &CSV_COLUMNS
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(","),
    );
    head.push_str("\r\n");
    head.push_str(&first);
    let rest = stream::try_unfold(next, move |cursor| {
        let state = state.clone();
        async move {
            let Some(after) = cursor else {
                return Ok::<_, ApiError>(None);
            };
            let (rows, next) = state.read(move |conn| csv_page(conn, Some(after))).await?;
            Ok(Some((web::Bytes::from(rows), next)))
        }
    });
    // after the first page the status line is sent: a failure can only cut the body short
    let body = stream::once(async move { Ok::<_, ApiError>(web::Bytes::from(head)) })
        .chain(rest)
        .map(|r| r.map_err(|e| std::io::Error::other(format!("{e:?}"))));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"agreements.csv\"",
        ))
        .streaming(body))
}

/// The OCDS 1.1.5 release package of every challenge that was published (tender = challenge,
/// awards, contracts with milestones and transactions), for officials and admins. Validated in
/// the tests against `domain/data/ocds-1.1.5/release-package-schema.json`.
#[utoipa::path(get, path = "/api/v1/exports/ocds", tag = "stats", security(("bearer" = [])),
    responses((status = 200, description = "OCDS 1.1.5 release package (application/json)"), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn ocds(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    use jiebang_domain::ocds::{
        self, AwardRecord, ChallengeRecord, ContractRecord, MilestoneRecord, Party, PaymentRecord,
    };
    auth.require(&[Role::Official, Role::Admin])?;
    let base = state.config.public_url.clone();
    let now = state.now();
    let package = state
        .read(move |conn| {
            let party = |conn: &mut jiebang_db::DbConnection, id: &str| -> ApiResult<Party> {
                let o = jiebang_db::organizations::find(conn, id)?
                    .ok_or_else(|| ApiError::internal("missing organisation"))?;
                Ok(Party {
                    id: o.id,
                    name: o.name,
                    credit_code: o.credit_code,
                    region_code: o.region_code,
                    kind: o.kind,
                })
            };
            let funder = Party {
                id: ocds::FUNDER_ID.into(),
                name: ocds::FUNDER_NAME.into(),
                credit_code: String::new(),
                region_code: "150000".into(),
                kind: "government".into(),
            };
            let mut records = Vec::new();
            for (id, ..) in jiebang_db::stats::challenges(conn)?
                .into_iter()
                .filter(|c| c.5.is_some())
            {
                let c = jiebang_db::challenges::find(conn, &id)?
                    .ok_or_else(|| ApiError::internal("lost challenge"))?;
                let publisher = party(conn, &c.organization_id)?;
                // the bids of a challenge whose bidding never closed (cancelled before its
                // deadline) stay sealed: they are no awards
                let bids = if jiebang_application::bids::bidding_closed(&c, now) {
                    jiebang_db::bids::for_challenge(conn, &c.id, None)?
                } else {
                    Vec::new()
                };
                let mut awards = Vec::new();
                for b in bids.iter().filter(|b| {
                    matches!(
                        b.status(),
                        BidStatus::Awarded | BidStatus::NotAwarded | BidStatus::Ineligible
                    )
                }) {
                    awards.push(AwardRecord {
                        bid_id: b.id.clone(),
                        supplier: party(conn, &b.lead_organization_id)?,
                        members: jiebang_db::bids::members(conn, &b.id)?
                            .iter()
                            .map(|m| party(conn, &m.organization_id))
                            .collect::<ApiResult<Vec<_>>>()?,
                        bid_status: b.status.clone(),
                        value: b.requested_fiscal + b.own_funds,
                        date: (b.status() != BidStatus::Ineligible).then(|| utc(b.updated_at)),
                    });
                }
                let mut contracts = Vec::new();
                for a in jiebang_db::evaluation::agreements_of_challenge(conn, &c.id)? {
                    let t: Terms =
                        serde_json::from_str(&a.terms_json).map_err(ApiError::internal)?;
                    let milestones = jiebang_db::agreements::milestones(conn, &a.id)?
                        .into_iter()
                        .map(|m| MilestoneRecord {
                            id: m.id,
                            seq: m.seq,
                            deliverable: m.deliverable,
                            due_at: utc(m.due_at),
                            status: m.status,
                            confirmed_at: m.confirmed_at.map(utc),
                        })
                        .collect();
                    let mut payments = Vec::new();
                    for p in jiebang_db::agreements::payments(conn, &a.id)? {
                        let payer = if p.source() == PaymentSource::Fiscal {
                            funder.clone()
                        } else {
                            publisher.clone()
                        };
                        payments.push(PaymentRecord {
                            id: p.id,
                            milestone_id: p.milestone_id,
                            source: p.source,
                            amount: p.amount,
                            paid_at: utc(p.paid_at),
                            payer,
                        });
                    }
                    contracts.push(ContractRecord {
                        agreement_id: a.id.clone(),
                        bid_id: a.bid_id.clone(),
                        status: a.status.clone(),
                        fiscal_amount: t.fiscal_amount,
                        enterprise_amount: t.enterprise_amount,
                        signed_at: a.signed_at.map(utc),
                        registered_at: a.registered_at.map(utc),
                        term_months: t.term_months,
                        milestones,
                        payments,
                    });
                }
                records.push((
                    ChallengeRecord {
                        bid_count: bids.iter().filter(|b| b.status().was_submitted()).count()
                            as i64,
                        kpis: c
                            .kpis()
                            .into_iter()
                            .map(|k| (k.name, k.target, k.unit))
                            .collect(),
                        id: c.id.clone(),
                        title: c.title.clone(),
                        problem: c.problem.clone(),
                        status: c.status.clone(),
                        mode: c.mode.clone(),
                        industry: c.industry.clone(),
                        enterprise_funds: c.enterprise_funds,
                        fiscal_support: c.fiscal_support,
                        max_winners: c.max_winners,
                        bidding_deadline: utc(c.bidding_deadline),
                        published_at: c.published_at.map(utc),
                        closed_at: c.closed_at.map(utc),
                        publisher,
                    },
                    awards,
                    contracts,
                ));
            }
            if records.is_empty() {
                return Err(ApiError::with(
                    Code::NothingToExport,
                    "尚无已发布的榜单可导出 / no challenge has been published yet",
                ));
            }
            Ok(ocds::release_package(
                ocds::FUNDER_NAME,
                &format!("{}/api/v1/exports/ocds", base.trim_end_matches('/')),
                now,
                ocds::DEFAULT_OCID_PREFIX,
                &records,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(package))
}

/// An organisation kind's Chinese name (the key keeps the code).
fn kind_name(kind: &str) -> String {
    jiebang_domain::OrganizationKind::parse(kind)
        .map(|k| k.label_zh().to_owned())
        .unwrap_or_else(|| kind.to_owned())
}
